//! Checking a claimed derivative: is the student's `∂E/∂w3 = ∂_2 ℓ(y, ŷ) · x2 · x2` right?
//!
//! Both sides are expanded in the program's inputs. If the canonical forms are one node, the
//! claim is right. Otherwise they are compared at points: the program's own point first, then
//! pseudo-random rational points, exactly where the arithmetic allows. Unspecified functions
//! (`σ`, `ℓ`) have no values, so each is replaced by a random quadratic polynomial in its
//! arguments, its derivatives by the polynomial's derivatives, and the values are exact: a
//! difference found is certain, and shown in exact numbers. Quadratics alone would not do for
//! an agreement: their second derivatives are constants, so `(σ(t + 1) - σ(t - 1))/2` is
//! σ'(t) for every one of them, and a claim with `∂_2 ℓ(0, 0)` for `∂_2 ℓ(y, ŷ)` agrees with
//! one that has no `t1·t2` or `t2²` term. Two formulas that agree for the quadratics are
//! compared again with a sine added to each stand-in (values in MPFR, at points where no
//! digit is in doubt): no derivative of it is constant, and no finite difference is its
//! derivative. An agreement found numerically is said to be numerical.

mod grade;
mod hint;
mod shaped;

pub use grade::{GradedChain, GradedSide, GradedStep, StepVerdict, grade};
pub use shaped::{ShapedCheck, ShapedVerdict, check_shaped};

use crate::diff::diff;
use crate::error::{Result, SourceError};
use crate::eval::{Mode, Point, Value, evaluate_guarded};
use crate::expr::{Condition, Func, Id, Node, Store, Sym};
use crate::network::{Network, names_used};
use crate::print::latex_name;
use crate::syntax::ast::Expr;
use crate::syntax::{self, Lowerer};
use rug::{Float, Rational};
use std::collections::{BTreeMap, HashMap};

/// The outcome of a check.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// The same expression after simplification.
    Identical,
    /// Equal at every point tried (`trials` of them).
    AgreesAt {
        /// How many points.
        trials: usize,
        /// Whether unspecified functions were replaced by random functions to compare.
        stand_ins: bool,
    },
    /// Different at a point.
    Differs {
        /// The values of the inputs.
        point: Vec<(String, Rational)>,
        /// The stand-ins used for unspecified functions, as `σ(t1) = …` in text and in LaTeX.
        stand_ins: Vec<(String, String)>,
        /// The claimed formula's value there.
        claimed: Value,
        /// The correct value there.
        correct: Value,
    },
    /// No point could be evaluated (domain errors everywhere tried).
    Undecided(String),
}

/// A claim and its verdict.
#[derive(Clone, Debug)]
pub struct Check {
    /// The variable differentiated by.
    pub wrt: Sym,
    /// The claim as read, in the program's names.
    pub claimed: Id,
    /// The correct derivative, in terms of intermediates (all δ inlined).
    pub correct: Id,
    /// The verdict.
    pub verdict: Verdict,
    /// What is wrong, when it is one simple thing (a sign, a factor, a name), as text and
    /// as LaTeX.
    pub hint: Option<(String, String)>,
}

/// A small deterministic generator (xorshift), so checks and their output are reproducible.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A nonzero rational p/q with q ≤ `max_q` and |p/q| ≤ `bound`.
    pub(crate) fn rational_in(&mut self, max_q: u64, bound: i64) -> Rational {
        loop {
            let q = 1 + (self.next() % max_q) as i64;
            let p = (self.next() % (2 * bound as u64 * q as u64 + 1)) as i64 - bound * q;
            if p != 0 {
                return Rational::from((p, q));
            }
        }
    }
    /// A nonzero rational p/q with |p/q| ≤ 3, q ≤ 7: varied enough that two different
    /// formulas rarely agree by accident.
    fn rational(&mut self) -> Rational {
        self.rational_in(7, 3)
    }
    fn small_int(&mut self) -> i64 {
        (self.next() % 5) as i64 - 2
    }
}

impl Check {
    /// Whether the claim was found right (identical, or equal at every point tried).
    pub fn agrees(&self) -> bool {
        matches!(self.verdict, Verdict::Identical | Verdict::AgreesAt { .. })
    }
}

/// Checks the claim `claim_src` for `∂(output)/∂v`.
///
/// `v` may be any name of the program: for an intermediate, the true `∂E/∂v` holds what is
/// upstream of `v` as it is, the backward pass's adjoint `δ_v`. The claim may use the
/// program's names, its adjoints `δ_u` (as the backward table writes them, or `delta_u`),
/// and `d(…)`, which differentiates through the definitions; any other name is an error.
pub fn check(net: &mut Network, v: Sym, claim_src: &str) -> Result<Check> {
    let ast = syntax::parse_expr(claim_src, "<claim>")?;
    let claim = read_claim(net, &ast, claim_src, "<claim>")?;
    let bw = net.backward_for(&[v]);
    let correct = net.inlined(&bw, v);
    let expand: HashMap<Sym, Id> = net.defs.iter().map(|d| (d.name, d.expanded)).collect();
    let correct_x = if net.defines(v) {
        // Not the expanded output by `v` (where `v` no longer occurs): its adjoint, expanded.
        net.store.substitute(correct, &expand)
    } else {
        let root = net.output_def().expanded;
        diff(&mut net.store, root, v)
    };
    let same_formula = claim.claimed == correct || claim.expanded == correct_x;
    let verdict = if same_formula && claim.conditions.is_empty() {
        Verdict::Identical
    } else {
        compare(net, claim.expanded, correct_x, &claim.conditions, &[])
    };
    let hint = match verdict {
        Verdict::Differs { .. } => hint::difference(
            net,
            claim.claimed,
            claim.expanded,
            correct,
            correct_x,
            "the chain rule",
        ),
        _ => None,
    };
    Ok(Check {
        wrt: v,
        claimed: claim.claimed,
        correct,
        verdict,
        hint,
    })
}

/// A formula read in a program's context: as written (in the program's names), and in terms
/// of the program's inputs only, with where it is defined.
#[derive(Clone, Debug)]
pub struct Claim {
    /// The formula in the program's names.
    pub claimed: Id,
    /// The same with every name and adjoint expanded down to the inputs.
    pub expanded: Id,
    /// Where the formula as written is defined (in terms of inputs).
    pub conditions: Vec<Condition>,
}

/// Reads `ast` (the text `src`, named `src_name` in messages) in the program's context: its
/// names, its adjoints `δ_u` (or `delta_u`), its functions, and `d(a, b)`, the derivative of
/// one name by another through the definitions; any other name is an error with a caret.
pub fn read_claim(net: &mut Network, ast: &Expr, src: &str, src_name: &str) -> Result<Claim> {
    let meant = read_as_meant(net, ast);
    let ast = meant.as_ref().unwrap_or(ast);
    let adjoints = claim_names(net, ast, src, src_name)?;
    let (claimed, mut conditions) = {
        let mut l = Lowerer::new(&mut net.store, src, src_name);
        l.strict = true;
        l.functions = net.functions.clone();
        l.declared = net.declared.clone();
        l.definitions = net.defs.iter().map(|d| (d.name, d.formula)).collect();
        l.renames = net.renames.clone();
        let id = l.expr(ast)?;
        (id, std::mem::take(&mut l.conditions))
    };
    // Where the claim as written is defined: `2*x + log(-1-x^2)*0` is `2*x` only where it
    // is defined, which is nowhere.
    crate::expr::prune_conditions(&net.store, &[claimed], &mut conditions);
    let wanted: Vec<Sym> = adjoints.iter().map(|a| a.1).collect();
    let bw = net.backward_for(&wanted);
    let mut expand: HashMap<Sym, Id> = net.defs.iter().map(|d| (d.name, d.expanded)).collect();
    let deltas: Vec<(Sym, Id)> = adjoints
        .iter()
        .map(|&(delta, of)| {
            let inlined = net.inlined(&bw, of);
            (delta, net.store.substitute(inlined, &expand))
        })
        .collect();
    expand.extend(deltas);
    let expanded = net.store.substitute(claimed, &expand);
    let conditions: Vec<Condition> = conditions
        .into_iter()
        .map(|c| Condition {
            node: net.store.substitute(c.node, &expand),
            ..c
        })
        .collect();
    Ok(Claim {
        claimed,
        expanded,
        conditions,
    })
}

/// Whether two formulas read in the program's context are equal: the same node, or equal at
/// the program's point and at random points (see [`check`]). When one side is a number (a
/// numeric step, `= 24`), only the program's point is used.
pub fn compare_claims(net: &mut Network, a: &Claim, b: &Claim) -> Verdict {
    let numeric = |net: &Network, c: &Claim| is_numeric(&net.store, c.expanded);
    if a.expanded == b.expanded && a.conditions.is_empty() && b.conditions.is_empty() {
        return Verdict::Identical;
    }
    if numeric(net, a) || numeric(net, b) {
        return compare_at_point(net, a.expanded, b.expanded);
    }
    let mut conditions = a.conditions.clone();
    conditions.extend(b.conditions.iter().cloned());
    compare(net, a.expanded, b.expanded, &conditions, &[])
}

/// [`compare_claims`] under the program's instance (its `take` statements): the functions
/// `taken` (indices into the instance's functions) replaced by the formulas taken for them,
/// in both claims and in the program's domain conditions, and the instance's point for the
/// program's. Without an instance, [`compare_claims`].
pub fn compare_claims_taking(net: &mut Network, a: &Claim, b: &Claim, taken: &[usize]) -> Verdict {
    let Some(point) = net.instance.as_ref().map(|i| i.point.clone()) else {
        return compare_claims(net, a, b);
    };
    let under = |net: &mut Network, c: &Claim| {
        let mut roots = vec![c.expanded];
        roots.extend(c.conditions.iter().map(|c| c.node));
        let new = net.instantiate(&roots, taken);
        Claim {
            claimed: c.claimed,
            expanded: new[0],
            conditions: c
                .conditions
                .iter()
                .zip(&new[1..])
                .map(|(c, n)| Condition { node: *n, ..*c })
                .collect(),
        }
    };
    let (a, b) = (under(net, a), under(net, b));
    let saved = std::mem::replace(&mut net.point, point);
    let numeric = |net: &Network, c: &Claim| is_numeric(&net.store, c.expanded);
    let v = if a.expanded == b.expanded && a.conditions.is_empty() && b.conditions.is_empty() {
        Verdict::Identical
    } else if numeric(net, &a) || numeric(net, &b) {
        compare_at_point(net, a.expanded, b.expanded)
    } else {
        let mut conditions = a.conditions.clone();
        conditions.extend(b.conditions.iter().cloned());
        compare(net, a.expanded, b.expanded, &conditions, taken)
    };
    net.point = saved;
    v
}

/// Whether two formulas are equal at the program's point under its instance, with every
/// function the instance takes (`false` without an instance or a value).
pub(crate) fn agree_at_instance_point(net: &mut Network, a: Id, b: Id) -> bool {
    let Some(point) = net.instance.as_ref().map(|i| i.point.clone()) else {
        return matches!(compare_at_point(net, a, b), Verdict::AgreesAt { .. });
    };
    let all: Vec<usize> = (0..net.instance.as_ref().map_or(0, |i| i.functions.len())).collect();
    let ab = net.instantiate(&[a, b], &all);
    let saved = std::mem::replace(&mut net.point, point);
    let v = compare_at_point(net, ab[0], ab[1]);
    net.point = saved;
    matches!(v, Verdict::AgreesAt { .. })
}

/// Compares two formulas at the program's point only (a numeric step).
fn compare_at_point(net: &mut Network, a: Id, b: Id) -> Verdict {
    let point = net.point.clone();
    let missing: Vec<String> = net
        .store
        .free_symbols(a)
        .into_iter()
        .chain(net.store.free_symbols(b))
        .filter(|s| !point.contains_key(s))
        .map(|s| net.name(s).to_string())
        .collect();
    if !missing.is_empty() {
        return Verdict::Undecided(format!(
            "a number is compared at the program's point, which gives no value for {}",
            missing.join(", ")
        ));
    }
    match (
        evaluate_guarded(&net.store, &[a], &[], &point, Mode::Auto(256)),
        evaluate_guarded(&net.store, &[b], &[], &point, Mode::Auto(256)),
    ) {
        (Ok((va, _)), Ok((vb, _))) => {
            if same(&va[0], &vb[0]) {
                Verdict::AgreesAt {
                    trials: 1,
                    stand_ins: false,
                }
            } else {
                let mut pt: Vec<(String, Rational)> = point
                    .iter()
                    .map(|(s, r)| (net.name(*s).to_string(), r.clone()))
                    .collect();
                pt.sort_by(|x, y| crate::expr::natural_cmp(&x.0, &y.0));
                Verdict::Differs {
                    point: pt,
                    stand_ins: Vec::new(),
                    claimed: va[0].clone(),
                    correct: vb[0].clone(),
                }
            }
        }
        (Err(e), _) | (_, Err(e)) => {
            Verdict::Undecided(format!("{}", crate::eval::describe_error(&net.store, e)))
        }
    }
}

/// `ast` as a student means it, where the program's names say so (a copy, rewritten); `None`
/// when nothing changes:
/// - a call of one of the program's variables, `x_1(1 - x_1)` as students write the
///   sigmoid's derivative, is the product it means (a name directly followed by `(` is a
///   call, and was "unknown function `x1`"), and a power after the brackets is the
///   bracket's (`x_1(1 - x_1)^2` is x1·(1 − x1)²): a variable, not a function, of the
///   program, called with one argument that is not a bare name (`E(w_3)`, `\hat{y}(w_3)` say
///   what E depends on, and stay calls) and no derivative marks;
/// - `e^{…}`, where the program has no name `e`, is Euler's number's power
///   (`\frac{1}{1 + e^{-z_1}}` was "`e` is not a name"); a bare `e` is left a name (a student's
///   own `e = y - \hat{y}`).
fn read_as_meant(net: &Network, ast: &Expr) -> Option<Expr> {
    use crate::syntax::ast::{Call, ExprKind, MulOp};
    let is_variable_call = |e: &Expr| match &e.kind {
        ExprKind::Call(c) => {
            c.args.len() == 1
                && c.primes == 0
                && c.partials.is_empty()
                && !matches!(c.args[0].kind, ExprKind::Name(_))
                && !net.functions.contains_key(&c.name)
                && !net.declared.contains_key(&c.name)
                && net.lookup(&c.name).is_some_and(|s| net.knows(s))
        }
        _ => false,
    };
    let euler = net.lookup(EULER).is_none_or(|s| !net.knows(s));
    let is_euler_power = |e: &Expr| {
        euler
            && matches!(&e.kind, ExprKind::Pow(b, _) if matches!(&b.kind, ExprKind::Name(n) if n == EULER))
    };
    // The variable and its argument of a variable's call, taken out of `e`.
    fn take_call(e: &mut Expr) -> (Expr, Expr) {
        let ExprKind::Call(c) = e.kind_take() else {
            unreachable!("a call")
        };
        let c = *c;
        let name = Expr {
            kind: ExprKind::Name(c.name),
            span: c.name_span,
        };
        (name, c.args.into_iter().next().expect("one argument"))
    }
    let mut out = ast.clone();
    let mut changed = false;
    let mut stack = vec![&mut out];
    while let Some(e) = stack.pop() {
        let span = e.span;
        if is_euler_power(e) {
            let ExprKind::Pow(_, x) = e.kind_take() else {
                unreachable!("a power")
            };
            e.kind = ExprKind::Call(Box::new(Call::plain("exp", span, vec![*x])));
            changed = true;
        } else if let ExprKind::Pow(base, _) = &e.kind
            && is_variable_call(base)
        {
            let ExprKind::Pow(mut base, k) = e.kind_take() else {
                unreachable!("a power")
            };
            let (name, arg) = take_call(&mut base);
            let power = Expr {
                kind: ExprKind::Pow(Box::new(arg), k),
                span,
            };
            e.kind = ExprKind::Product(Box::new(name), vec![(MulOp::Mul, power)]);
            changed = true;
        } else if is_variable_call(e) {
            let (name, arg) = take_call(e);
            e.kind = ExprKind::Product(Box::new(name), vec![(MulOp::Mul, arg)]);
            changed = true;
        }
        e.for_each_child_mut(|c| stack.push(c));
    }
    changed.then_some(out)
}

/// Whether a claim's formula is a number, or a formula of numbers (`\frac{1}{1 + e^{-2}}`,
/// the point's values put in), checked at the program's point only: compared as formulas,
/// such a step was "wrong", equal only at the point. A formula calling an unspecified
/// function (`σ'(6)·4`) is not: the point does not decide it, and compared as a formula
/// (with stand-ins for σ) a wrong one is found wrong.
pub(crate) fn is_numeric(store: &crate::expr::Store, expanded: Id) -> bool {
    use crate::expr::{Func, Node};
    store.as_num(expanded).is_some()
        || store.reachable(&[expanded]).into_iter().all(|id| {
            !matches!(
                store.node(id),
                Node::Sym(_) | Node::Call(Func::Abstract(_), _)
            )
        })
}

/// The name whose powers are Euler's number's in a claim where the program has no variable
/// so named.
const EULER: &str = "e";

/// The name an adjoint's name stands for: `δ_a1` (or `delta_a1`) is `a1`'s.
fn adjoint_target(name: &str) -> Option<&str> {
    name.strip_prefix(crate::network::ADJOINT_PREFIX)
        .or_else(|| name.strip_prefix("delta_"))
        .filter(|t| !t.is_empty())
}

/// Checks that every name in the claim is the program's or an adjoint of one of its names;
/// returns the adjoints used as `(δ_v, v)`. An unknown name is an error pointing at it, with
/// the nearest name of the program (`hl` for `h1`, `ŷ` for `yhat`).
fn claim_names(
    net: &mut Network,
    ast: &Expr,
    claim_src: &str,
    src_name: &str,
) -> Result<Vec<(Sym, Sym)>> {
    let mut adjoints = Vec::new();
    for (name, span) in names_used(ast) {
        let known = |net: &Network, n: &str| net.lookup(n).filter(|s| net.knows(*s));
        // A function of the program (as in `d(ℓ, ŷ)`, the partial of ℓ by its parameter ŷ).
        if known(net, name).is_some()
            || net.functions.contains_key(name)
            || net.declared.contains_key(name)
        {
            continue;
        }
        if let Some(of) = adjoint_target(name).and_then(|t| known(net, t)) {
            let delta = net.store.intern(name);
            if !adjoints.contains(&(delta, of)) {
                adjoints.push((delta, of));
            }
            continue;
        }
        let names = program_names(net);
        let help = match adjoint_target(name) {
            Some(t) => nearest(t, &names).map(|n| format!("did you mean `δ_{n}`?")),
            None => nearest(name, &names).map(|n| format!("did you mean `{n}`?")),
        };
        let shown: Vec<String> = names.iter().take(12).map(|n| format!("`{n}`")).collect();
        let more = if names.len() > shown.len() {
            ", …"
        } else {
            ""
        };
        let help = help.unwrap_or_else(|| {
            format!(
                "the claim may use the program's names ({}{more}) and their adjoints, as `δ_{}`",
                shown.join(", "),
                names.first().map_or("v", String::as_str)
            )
        });
        return Err(SourceError::new(
            src_name,
            claim_src,
            span.start,
            span.end,
            format!("`{name}` is not a name of the program"),
            "unknown name",
        )
        .with_help(help)
        .into());
    }
    Ok(adjoints)
}

/// The program's names: its definitions, then its inputs.
fn program_names(net: &Network) -> Vec<String> {
    let mut names: Vec<String> = net
        .defs
        .iter()
        .map(|d| net.name(d.name).to_string())
        .collect();
    for s in net.inputs().into_iter().chain(net.params.iter().copied()) {
        let n = net.name(s).to_string();
        if !names.contains(&n) {
            names.push(n);
        }
    }
    names
}

/// A name's look: accents spelt out and underscores dropped, so `ŷ`, `yhat` and `y_hat`
/// look alike.
fn look(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::new();
    for c in name.nfd() {
        match c {
            '\u{0302}' => out.push_str("hat"),
            '\u{0303}' => out.push_str("tilde"),
            '\u{0304}' | '\u{0305}' => out.push_str("bar"),
            '\u{0307}' => out.push_str("dot"),
            '_' => {}
            c if unicode_normalization::char::is_combining_mark(c) => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The name in `names` nearest to `name`: one that looks alike, else one a small edit away.
fn nearest<'n>(name: &str, names: &'n [String]) -> Option<&'n str> {
    let key = look(name);
    if let Some(n) = names.iter().find(|n| look(n) == key) {
        return Some(n);
    }
    names
        .iter()
        .map(|n| (syntax::edit_distance(name, n), n))
        .filter(|(d, n)| *d <= if n.chars().count() <= 4 { 1 } else { 2 })
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n.as_str())
}

/// Compares two expanded formulas at the program's point and at pseudo-random points, only
/// where the program as written is defined (its domain conditions hold).
fn compare(
    net: &mut Network,
    a: Id,
    b: Id,
    claim_conditions: &[Condition],
    taken: &[usize],
) -> Verdict {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // Where the program is defined: its conditions and the output itself, which
    // `expanded_conditions` leaves out as part of the result (`E = w*log(x)` needs x > 0
    // though its derivative w/x does not).
    let mut conditions = net.expanded_conditions();
    let output = net.output_def();
    conditions.push(Condition::new(output.expanded, output.span));
    // Under the program's instance, the program's conditions are too.
    if !taken.is_empty() {
        let nodes: Vec<Id> = conditions.iter().map(|c| c.node).collect();
        let new = net.instantiate(&nodes, taken);
        for (c, n) in conditions.iter_mut().zip(new) {
            c.node = n;
        }
    }
    // Stand-ins replace unspecified functions in the formulas, not in the conditions: a
    // condition that calls one (the output `ℓ(y, ŷ)`, or `σ(w)*log(x)`) has the call made
    // total, as an unspecified function is defined everywhere, and the rest of it kept
    // (`σ(w)*log(x)` needs x > 0, whatever σ is). The stand-ins would make conditions of
    // their own (`log(σ(z))` would need a quadratic to be positive).
    let mut total = |c: &Condition| Condition {
        node: domain_only(&mut net.store, c.node),
        ..*c
    };
    let conditions: Vec<Condition> = conditions.iter().map(&mut total).collect();
    let claim_conditions: Vec<Condition> = claim_conditions.iter().map(&mut total).collect();
    let conditions = (conditions.as_slice(), claim_conditions.as_slice());
    let (qa, qb, stand_ins) = replace_abstract(&mut net.store, a, b, &mut rng, StandIn::Quadratic);
    let verdict = at_points(
        net,
        (qa, qb, stand_ins),
        conditions,
        StandIn::Quadratic,
        &mut rng,
    );
    if !matches!(
        verdict,
        Verdict::AgreesAt {
            stand_ins: true,
            ..
        }
    ) {
        return verdict;
    }
    // The quadratics agree: so must stand-ins that are no polynomial (see the module's text).
    let replaced = replace_abstract(&mut net.store, a, b, &mut rng, StandIn::WithSine);
    at_points(net, replaced, conditions, StandIn::WithSine, &mut rng)
}

/// [`compare`] of the formulas `a` and `b` with their unspecified functions replaced by
/// `stand_ins` of the kind `kind`, where the program's and the claim's `conditions` hold
/// (none of them calls an unspecified function). With stand-ins whose values are not
/// rational ([`StandIn::WithSine`]), a point where either value comes with a note (digits
/// not reliable) is passed over: rounding there could pass for a difference.
fn at_points(
    net: &mut Network,
    (a, b, stand_ins): (Id, Id, Vec<(String, String)>),
    (conditions, claim_conditions): (&[Condition], &[Condition]),
    kind: StandIn,
    rng: &mut Rng,
) -> Verdict {
    let inexact = matches!(kind, StandIn::WithSine);
    // The inputs of both formulas and of the conditions: `E = w*x + 0*log(x)` needs x
    // although its derivative by x, w, does not name it.
    let mut inputs: Vec<Sym> = net.store.free_symbols(a);
    let condition_nodes: Vec<Id> = conditions
        .iter()
        .chain(claim_conditions)
        .map(|c| c.node)
        .collect();
    // The formulas' own inputs come first: `formula_inputs` of them.
    let mut formula_inputs = 0;
    for root in std::iter::once(b).chain(condition_nodes) {
        for s in net.store.free_symbols(root) {
            if !inputs.contains(&s) {
                inputs.push(s);
            }
        }
        if formula_inputs == 0 {
            formula_inputs = inputs.len();
        }
    }
    let labels = log_loss_labels(net);
    let mut points: Vec<Point> = Vec::new();
    if inputs.iter().all(|s| net.point.contains_key(s)) && stand_ins.is_empty() {
        points.push(net.point.clone());
    }
    // Agreement where both formulas are 0 proves little (a ReLU network is 0 wherever a unit
    // is off, so `x2*x2` and the true `2(ŷ - y)·x2` agree there): such points are counted
    // apart, and every other trial draws positive inputs, which keep ReLU units on.
    let mut tried = 0;
    let mut agreed = 0;
    let mut agreed_at_zero = 0;
    // Points passed over because a value there was not reliable (`inexact` only).
    let mut unreliable = 0;
    // At least 24 points, of both kinds: positive inputs keep every ReLU unit on and hide a
    // dropped step(z); random signs find it.
    while (agreed < 5 || tried < 24) && tried < 200 {
        tried += 1;
        let (p, at_program): (Point, bool) = match points.pop() {
            Some(p) => (p, true),
            None => (
                inputs
                    .iter()
                    .map(|s| {
                        // A label of a log-loss is 0 or 1 in the first trials, so that a
                        // counterexample reads as the data would (y = 1, not y = -3/2); later
                        // trials take any value, as equality as functions needs.
                        let r = if tried <= 12 && labels.contains(s) {
                            Rational::from(rng.next() % 2)
                        } else if tried % 2 == 0 {
                            rng.rational().abs()
                        } else {
                            rng.rational()
                        };
                        (*s, r)
                    })
                    .collect(),
                false,
            ),
        };
        let (Ok((va, na)), Ok((vb, nb))) = (
            evaluate_guarded(&net.store, &[a], claim_conditions, &p, Mode::Auto(256)),
            evaluate_guarded(&net.store, &[b], conditions, &p, Mode::Auto(256)),
        ) else {
            continue;
        };
        if inexact && (na.is_some() || nb.is_some()) {
            unreliable += 1;
            continue;
        }
        let (va, vb) = (va[0].clone(), vb[0].clone());
        if same(&va, &vb) {
            if is_zero(&vb) {
                agreed_at_zero += 1;
            } else {
                agreed += 1;
            }
            continue;
        }
        // A random point on a kink (`max(w, x)` at w = x, where 1/2 and 1{w > x} are both
        // fair derivatives) proves nothing when the formulas agree all around it.
        if !at_program && agrees_around(net, a, b, claim_conditions, conditions, &p) {
            continue;
        }
        // With stand-ins, the inputs the formulas use: a condition's own (`y` of the output
        // `ℓ(y, ŷ)`) has a value only so that the program is defined there.
        let shown = |s: &Sym| stand_ins.is_empty() || inputs[..formula_inputs].contains(s);
        let mut point: Vec<(String, Rational)> = p
            .iter()
            .filter(|(s, _)| shown(s))
            .map(|(s, r)| (net.name(*s).to_string(), r.clone()))
            .collect();
        point.sort_by(|x, y| crate::expr::natural_cmp(&x.0, &y.0));
        return Verdict::Differs {
            point,
            stand_ins,
            claimed: va,
            correct: vb,
        };
    }
    if agreed == 0 && agreed_at_zero == 0 && unreliable > 0 {
        Verdict::Undecided(format!(
            "with the second stand-ins (random functions with a sine), not one of the {tried} points tried gave values of both formulas whose digits are all reliable"
        ))
    } else if agreed == 0 && agreed_at_zero == 0 {
        Verdict::Undecided("no point tried was in the domain of both formulas".into())
    } else {
        // Where the true value was 0 at every point tried, the agreement there is all there is.
        Verdict::AgreesAt {
            trials: if agreed > 0 { agreed } else { agreed_at_zero },
            stand_ins: !stand_ins.is_empty(),
        }
    }
}

/// `id` with each call of an unspecified function (or of a partial of one) replaced by the
/// sigmoid of the sum of its arguments: a total function, so that where `id` is defined is
/// decided by the rest of it and by the arguments. For a domain condition only: the value
/// is not the function's. `id` itself when it calls none.
fn domain_only(store: &mut Store, id: Id) -> Id {
    store.map_nodes(id, |store, n, mapped| {
        let Node::Call(Func::Abstract(_), args) = store.node(n) else {
            return None;
        };
        let args: Vec<Id> = args.iter().map(|a| mapped(*a)).collect();
        let sum = store.add_all(args);
        Some(store.apply(crate::expr::Builtin::Sigmoid, sum))
    })
}

/// The data inputs of the program that are labels of a log-loss: an input that is not a
/// parameter and multiplies a logarithm (`y*log(p)`, `(1 - y)*log(1 - p)`).
fn log_loss_labels(net: &Network) -> Vec<Sym> {
    let store = &net.store;
    let is_log = |id: Id| {
        matches!(
            store.node(id),
            Node::Call(Func::Builtin(crate::expr::Builtin::Log), _)
        )
    };
    let mut out = Vec::new();
    for id in store.reachable(&[net.output_def().expanded]) {
        let Node::Mul(p) = store.node(id) else {
            continue;
        };
        if !p.factors().iter().any(|(f, _)| is_log(*f)) {
            continue;
        }
        for (f, _) in p.factors() {
            let syms: Vec<Sym> = match store.node(*f) {
                Node::Sym(s) => vec![*s],
                // 1 - y
                Node::Add(sum) if *sum.constant() != 0 && sum.terms().len() == 1 => {
                    store.as_sym(sum.terms()[0].0).into_iter().collect()
                }
                _ => Vec::new(),
            };
            for s in syms {
                if !net.params.contains(&s) && !out.contains(&s) {
                    out.push(s);
                }
            }
        }
    }
    out
}

/// Whether `a` and `b` agree at two points near `p` (each input moved by its own small
/// amount, one way and then the other), so that a difference at `p` is one of a kink's.
fn agrees_around(
    net: &Network,
    a: Id,
    b: Id,
    a_conditions: &[Condition],
    b_conditions: &[Condition],
    p: &Point,
) -> bool {
    let mut syms: Vec<Sym> = p.keys().copied().collect();
    syms.sort();
    [1i32, -1].iter().all(|&dir| {
        let near: Point = syms
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let step = Rational::from((dir * (k as i32 % 7 + 1), 7919));
                (*s, Rational::from(&p[s] + &step))
            })
            .collect();
        match (
            evaluate_guarded(&net.store, &[a], a_conditions, &near, Mode::Auto(256)),
            evaluate_guarded(&net.store, &[b], b_conditions, &near, Mode::Auto(256)),
        ) {
            (Ok((va, _)), Ok((vb, _))) => same(&va[0], &vb[0]),
            _ => false,
        }
    })
}

/// Whether a value is 0.
pub(crate) fn is_zero(v: &Value) -> bool {
    match v {
        Value::Exact(r) => *r == 0,
        Value::Mpfr(f) => f.is_zero(),
        Value::F64(x) => *x == 0.0,
    }
}

/// Whether two values are equal: exactly when both are exact, else to 1e-60 relative.
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Exact(x), Value::Exact(y)) => x == y,
        _ => {
            let (x, y) = (a.to_float(256), b.to_float(256));
            let diff = Float::with_val(256, &x - &y).abs();
            let scale = Float::with_val(256, x.abs_ref()).max(&Float::with_val(256, y.abs_ref()));
            diff <= scale * Float::with_val(256, 1e-60) || diff.is_zero()
        }
    }
}

/// What replaces an unspecified function for [`compare`] (the module's text says why both),
/// and for the shaped check's.
#[derive(Clone, Copy)]
pub(crate) enum StandIn {
    /// A random quadratic polynomial of its arguments (in the shaped check, a cubic entry by
    /// entry, or `A_f z + (B_f z).^2`): exact values.
    Quadratic,
    /// Such a polynomial drawn again, plus a random multiple of the sine of a random linear
    /// form of the arguments (`sin.(C_f z)` for a vector function).
    WithSine,
}

/// Replaces every unspecified function in `a` and `b` by a random function of its arguments
/// of the kind `kind` (and its partials by that function's partials). Returns the new roots
/// and the stand-ins as text.
fn replace_abstract(
    store: &mut Store,
    a: Id,
    b: Id,
    rng: &mut Rng,
    kind: StandIn,
) -> (Id, Id, Vec<(String, String)>) {
    let order = store.reachable(&[a, b]);
    let mut polys: BTreeMap<String, (Vec<Sym>, Id)> = BTreeMap::new();
    let mut map: HashMap<Id, Id> = HashMap::new();
    for id in order {
        let node = store.node(id).clone();
        let new = match &node {
            Node::Call(Func::Abstract(f), args) => {
                let name = store.name(f.name).to_string();
                let k = args.len();
                let (params, poly) = match polys.get(&name) {
                    Some(p) => p.clone(),
                    None => {
                        let params: Vec<Sym> = (0..k)
                            .map(|i| store.intern(&format!("\u{0}t{i}")))
                            .collect();
                        let poly = stand_in(store, &params, rng, kind);
                        polys.insert(name.clone(), (params.clone(), poly));
                        (params, poly)
                    }
                };
                let mut g = poly;
                for slot in f.partials.iter() {
                    g = diff(store, g, params[*slot as usize]);
                }
                let subst: HashMap<Sym, Id> = params
                    .iter()
                    .copied()
                    .zip(args.iter().map(|x| map[x]))
                    .collect();
                store.substitute(g, &subst)
            }
            Node::Num(_) | Node::Sym(_) => id,
            other => store.rebuild(other, &|c| map[&c]),
        };
        map.insert(id, new);
    }
    let stand_ins = polys
        .iter()
        .map(|(name, (params, poly))| {
            let names: Vec<String> = (0..params.len()).map(|i| format!("t{}", i + 1)).collect();
            let shown: HashMap<Sym, Id> = params
                .iter()
                .zip(&names)
                .map(|(p, n)| (*p, store.sym(n)))
                .collect();
            let p = store.substitute(*poly, &shown);
            let latex_args: Vec<String> = names.iter().map(|n| latex_name(n)).collect();
            (
                format!(
                    "{name}({}) = {}",
                    names.join(", "),
                    crate::print::text(store, p)
                ),
                format!(
                    "{}\\left({}\\right) = {}",
                    latex_name(name),
                    latex_args.join(", "),
                    crate::print::latex(store, p)
                ),
            )
        })
        .collect();
    (map[&a], map[&b], stand_ins)
}

/// A random function of `params` of the kind `kind`: a polynomial of total degree at most 2
/// with small integer coefficients, and with [`StandIn::WithSine`], plus `d·sin(a1·t1 + … +
/// c)` with a small integer `d ≠ 0` and rationals `ai ≠ 0` of at most 1 in size.
fn stand_in(store: &mut Store, params: &[Sym], rng: &mut Rng, kind: StandIn) -> Id {
    let mut monomials: Vec<Vec<u32>> = vec![vec![]];
    for _ in 0..2 {
        let mut next = Vec::new();
        for m in &monomials {
            let start = m.last().copied().unwrap_or(0);
            for i in start..params.len() as u32 {
                let mut n = m.clone();
                n.push(i);
                next.push(n);
            }
        }
        monomials.extend(next.into_iter().filter(|m| m.len() <= 2));
        monomials.sort();
        monomials.dedup();
    }
    let mut terms = Vec::new();
    for m in monomials {
        let c = rng.small_int();
        if c == 0 {
            continue;
        }
        let factors: Vec<Id> = m
            .iter()
            .map(|i| store.sym_node(params[*i as usize]))
            .collect();
        let prod = store.mul_all(factors);
        terms.push((prod, Rational::from(c)));
    }
    // A nonzero linear part in every argument keeps derivatives from vanishing identically.
    for p in params {
        let s = store.sym_node(*p);
        terms.push((s, Rational::from(1)));
    }
    if let StandIn::WithSine = kind {
        let linear: Vec<(Id, Rational)> = params
            .iter()
            .map(|p| (store.sym_node(*p), rng.rational_in(3, 1)))
            .collect();
        let phase = rng.rational_in(3, 1);
        let arg = store.sum_of(phase, linear);
        let sine = store.apply(crate::expr::Builtin::Sin, arg);
        let d = match rng.small_int() {
            0 => 1,
            d => d,
        };
        terms.push((sine, Rational::from(d)));
    }
    store.sum_of(Rational::from(1), terms)
}
