//! Evaluation: one evaluator, generic over the number type ([`Backend`]).
//!
//! The evaluator walks the reachable nodes in id order (children before parents), so it needs
//! no recursion. Backends: exact rationals ([`Exact`]), MPFR floats at a chosen precision
//! ([`Mpfr`]) and IEEE doubles ([`F64`]). [`evaluate`] is the front door: exact when every
//! operation stays rational, MPFR otherwise, or f64 on request.

mod backends;
mod builtins;
pub mod dense;
pub mod format;
pub mod matrix;
mod session;
pub mod tape;
mod value;
pub mod written;

pub use backends::{Exact, ExactVal, F64, GUARD_PREC, Mpfr};
pub use dense::{Dense, DenseBackend};
pub(crate) use session::Session;
pub use value::{Value, nearest_f64};

use crate::error::{Error, Request, Result};
use crate::expr::{Condition, Func, Id, Node, Store, Sym};
use rug::Rational;
use std::collections::HashMap;

/// Why a backend could not compute a node.
#[derive(Clone, Debug, PartialEq)]
pub enum Fail {
    /// A domain error: what went wrong (`"log of a non-positive number"`).
    Domain(String),
    /// The value is not rational (exact backend only).
    NotExact,
    /// The exact value is larger than the limit (exact backend only).
    TooLarge,
}

/// The arithmetic of one evaluation.
pub trait Backend {
    /// The number type.
    type V: Clone;
    /// An exact constant.
    fn num(&self, r: &Rational) -> Result<Self::V, Fail>;
    /// `c + Σ k·v`.
    fn sum(&self, c: &Rational, terms: &[(&Self::V, &Rational)]) -> Result<Self::V, Fail>;
    /// `c · Π v^e`.
    fn product(&self, c: &Rational, factors: &[(&Self::V, &Rational)]) -> Result<Self::V, Fail>;
    /// `b ^ e` for a computed exponent.
    fn pow(&self, b: &Self::V, e: &Self::V) -> Result<Self::V, Fail>;
    /// A built-in applied to values.
    fn call(&self, f: crate::expr::Builtin, args: &[&Self::V]) -> Result<Self::V, Fail>;
    /// The sign of a value (`None` for NaN).
    fn sign(&self, v: &Self::V) -> Option<std::cmp::Ordering>;
    /// A value as a short decimal string, for error messages.
    fn show(&self, v: &Self::V) -> String;
}

/// Where and why an evaluation failed.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalError {
    /// A backend failed at this node.
    At(Id, Fail),
    /// A domain error at this node, with the values of its operands.
    Domain(Id, String, Vec<(Id, String)>),
    /// No value was given for this variable.
    Unbound(Sym),
    /// A call of an unspecified function, which has no value.
    Abstract(Id),
    /// A domain condition of the input as written failed (the error evaluating its node),
    /// where the simplified formula itself may be defined.
    Condition(Condition, Box<EvalError>),
}

/// [`evaluate_with`] that also checks domain conditions ([`Condition`]): a condition that
/// fails is an error even where the roots have values. The conditions are evaluated in the
/// same pass as the roots, sharing their common subexpressions.
pub fn evaluate_with_conditions<B: Backend>(
    store: &Store,
    roots: &[Id],
    conditions: &[Condition],
    env: &HashMap<Sym, B::V>,
    backend: &B,
) -> Result<Vec<B::V>, EvalError> {
    if conditions.is_empty() {
        return evaluate_with(store, roots, env, backend);
    }
    let conditions = checkable_conditions(store, conditions, |s| env.contains_key(&s));
    let mut vs = with_conditions(store, roots, conditions, |all| {
        evaluate_with(store, all, env, backend)
    })?;
    vs.truncate(roots.len());
    Ok(vs)
}

/// `run` on the roots and the conditions' nodes together (roots first), until it succeeds
/// or fails for a reason to report: a failure is blamed on the roots or on a condition
/// ([`blame`]).
pub(crate) fn with_conditions<T>(
    store: &Store,
    roots: &[Id],
    mut conditions: Vec<Condition>,
    mut run: impl FnMut(&[Id]) -> Result<T, EvalError>,
) -> Result<T, EvalError> {
    loop {
        let mut all = roots.to_vec();
        all.extend(conditions.iter().map(|c| c.node));
        match run(&all) {
            Ok(v) => return Ok(v),
            Err(e) => match blame(store, roots, &conditions, e) {
                // A condition says where the input is defined; one that only overflows in this
                // arithmetic (`x/x` at 1e-310 in f64: 1/x is too large) is defined there as far
                // as that part goes, so that part is dropped and the rest of the condition
                // evaluated again: the other parts beside the way down to it (`x +
                // exp(exp(100)) + sqrt(y)` is undefined at y = -1 all the same). Not one that
                // underflows: the tiny value may be what the condition is about (`0*log(a)`
                // with a = sigmoid(t) + sigmoid(-t) - 1, identically 0, at t = -10^20).
                EvalError::Condition(c, inner) if overflow_error(&inner) => {
                    conditions.retain(|d| *d != c);
                    if let Some(at) = failing_node(&inner) {
                        let rest = beside_the_way(store, c.node, at);
                        conditions.extend(rest.into_iter().map(|node| Condition { node, ..c }));
                    }
                }
                other => return Err(other),
            },
        }
    }
}

/// The conditions that can be checked where the names `bound` says have values.
///
/// A function kept as the condition of its derivative is checked only where it can be:
/// `diff 'x^2 + y' --wrt x --at x=1` needs no `y`, and `ℓ(y, p) + w*x` has a derivative by w
/// although `ℓ` has no value. (Cancelled parts of the input as written are always checked:
/// `x + log(y) - log(y)` needs `y > 0`.) One walk over all of them, children first (deep
/// programs share most of their nodes).
pub(crate) fn checkable_conditions(
    store: &Store,
    conditions: &[Condition],
    bound: impl Fn(Sym) -> bool,
) -> Vec<Condition> {
    let derivative: Vec<Id> = conditions
        .iter()
        .filter(|c| c.derivative)
        .map(|c| c.node)
        .collect();
    let mut unchecked: std::collections::HashSet<Id> = std::collections::HashSet::new();
    if !derivative.is_empty() {
        for id in store.reachable(&derivative) {
            let node = store.node(id);
            let here = match node {
                Node::Sym(s) => !bound(*s),
                Node::Call(Func::Abstract(_), _) => true,
                _ => false,
            };
            if here || node.children().iter().any(|c| unchecked.contains(c)) {
                unchecked.insert(id);
            }
        }
    }
    conditions
        .iter()
        .filter(|c| !c.derivative || !unchecked.contains(&c.node))
        .copied()
        .collect()
}

/// The error of node `id` failing with `f`: a domain error names the values of the node's
/// operands that are not numbers (`log(x - 2)` at `x = 1`: `x - 2 = -1`), read by `val`.
fn failure<'v, B: Backend>(
    store: &Store,
    id: Id,
    f: Fail,
    backend: &B,
    val: impl Fn(Id) -> &'v B::V,
) -> EvalError
where
    B::V: 'v,
{
    match f {
        Fail::Domain(what) => {
            let args = store
                .node(id)
                .children()
                .into_iter()
                .filter(|c| store.as_num(*c).is_none())
                .map(|c| (c, backend.show(val(c))))
                .collect();
            EvalError::Domain(id, what, args)
        }
        f => EvalError::At(id, f),
    }
}

/// The node an evaluation error is at, if it is one node's.
fn failing_node(e: &EvalError) -> Option<Id> {
    match e {
        EvalError::At(id, _) | EvalError::Domain(id, _, _) => Some(*id),
        EvalError::Condition(_, inner) => failing_node(inner),
        _ => None,
    }
}

/// The nodes beside one way down from `root` to `at` (the children of the nodes on it that
/// are not on it), and none if `at` is not below `root`: all of `root` but `at` and what it
/// stands on, which computed before it did.
fn beside_the_way(store: &Store, root: Id, at: Id) -> Vec<Id> {
    // A way down, depth first, each node entered once; `parent` records how each was reached.
    let mut parent: HashMap<Id, Id> = HashMap::new();
    let mut stack = vec![root];
    let mut found = root == at;
    while let Some(id) = stack.pop() {
        if found {
            break;
        }
        store.node(id).for_each_child(|c| {
            if c != root && !parent.contains_key(&c) {
                parent.insert(c, id);
                found |= c == at;
                stack.push(c);
            }
        });
    }
    if !found {
        return Vec::new();
    }
    let mut way = vec![at];
    while let Some(&p) = parent.get(way.last().expect("not empty")) {
        way.push(p);
    }
    let mut beside = Vec::new();
    for pair in way.windows(2) {
        let (below, node) = (pair[0], pair[1]);
        store.node(node).for_each_child(|c| {
            if c != below && !beside.contains(&c) {
                beside.push(c);
            }
        });
    }
    beside
}

/// The message of an evaluation error at a node, if it is a domain error (or a range one).
fn domain_message(e: &EvalError) -> Option<&str> {
    match e {
        EvalError::At(_, Fail::Domain(m)) | EvalError::Domain(_, m, _) => Some(m),
        _ => None,
    }
}

/// Whether an evaluation error is an overflow of the arithmetic.
fn overflow_error(e: &EvalError) -> bool {
    domain_message(e).is_some_and(backends::is_overflow)
}

/// Whether an evaluation error is an overflow or underflow of the arithmetic.
pub(crate) fn out_of_range_error(e: &EvalError) -> bool {
    domain_message(e).is_some_and(out_of_range)
}

/// A domain error met while evaluating roots and conditions together, as the roots' own error
/// if the failing node is part of them, else as the error of the first condition it is in.
fn blame(store: &Store, roots: &[Id], conditions: &[Condition], e: EvalError) -> EvalError {
    let at = match &e {
        EvalError::At(id, Fail::Domain(_)) | EvalError::Domain(id, _, _) => *id,
        _ => return e,
    };
    // One walk from the roots, then from each condition in turn, never entering a node twice:
    // linear however many conditions share how much.
    let mut seen = std::collections::HashSet::new();
    let mut reaches = |from: Id| {
        let mut stack = vec![from];
        while let Some(id) = stack.pop() {
            if id == at {
                return true;
            }
            if seen.insert(id) {
                store.node(id).for_each_child(|c| stack.push(c));
            }
        }
        false
    };
    if roots.iter().any(|r| reaches(*r)) {
        return e;
    }
    match conditions.iter().find(|c| reaches(c.node)) {
        Some(c) => EvalError::Condition(*c, Box::new(e)),
        None => e,
    }
}

/// A node's value during [`evaluate_with`]: computed, or a variable's, read in place from the
/// environment rather than copied (an MPFR value is a heap allocation).
enum Slot<'e, V> {
    Own(V),
    Env(&'e V),
}

impl<V> Slot<'_, V> {
    fn get(&self) -> &V {
        match self {
            Slot::Own(v) => v,
            Slot::Env(v) => v,
        }
    }
}

/// Evaluates `roots` with `backend`, variables taken from `env`.
pub fn evaluate_with<B: Backend>(
    store: &Store,
    roots: &[Id],
    env: &HashMap<Sym, B::V>,
    backend: &B,
) -> Result<Vec<B::V>, EvalError> {
    // Values by position in `order` (ids increasing, children first): no hashing.
    let order = store.reachable(roots);
    let index = crate::expr::Positions::new(&order);
    let pos = |id: Id| index.get(&order, id).expect("a child is reachable");
    let mut vals: Vec<Slot<'_, B::V>> = Vec::with_capacity(order.len());
    for &id in &order {
        let slot = match store.node(id) {
            Node::Sym(s) => Slot::Env(env.get(s).ok_or(EvalError::Unbound(*s))?),
            _ => Slot::Own(node_value(store, backend, id, |c| vals[pos(c)].get())?),
        };
        vals.push(slot);
    }
    Ok(roots.iter().map(|r| vals[pos(*r)].get().clone()).collect())
}

/// The value of node `id`, not a name (its caller reads names), from its children's values
/// (`val`): the one place each kind of node is computed, by [`evaluate_with`] and by
/// [`session::Session`] alike.
pub(crate) fn node_value<'v, B: Backend>(
    store: &Store,
    backend: &B,
    id: Id,
    val: impl Fn(Id) -> &'v B::V + Copy,
) -> Result<B::V, EvalError>
where
    B::V: 'v,
{
    let at = |f: Fail| failure(store, id, f, backend, val);
    match store.node(id) {
        Node::Num(r) => backend.num(r).map_err(at),
        Node::Sym(s) => Err(EvalError::Unbound(*s)),
        // Operands of one or two children (most nodes) in an array, not a vector.
        Node::Add(s) => match s.terms() {
            [(a, j), (b, k)] => backend.sum(s.constant(), &[(val(*a), &**j), (val(*b), &**k)]),
            [(a, j)] => backend.sum(s.constant(), &[(val(*a), &**j)]),
            terms => {
                let terms: Vec<(&B::V, &Rational)> =
                    terms.iter().map(|(t, k)| (val(*t), &**k)).collect();
                backend.sum(s.constant(), &terms)
            }
        }
        .map_err(at),
        Node::Mul(p) => match p.factors() {
            [(a, j), (b, k)] => backend.product(p.coeff(), &[(val(*a), &**j), (val(*b), &**k)]),
            [(a, j)] => backend.product(p.coeff(), &[(val(*a), &**j)]),
            factors => {
                let factors: Vec<(&B::V, &Rational)> =
                    factors.iter().map(|(b, e)| (val(*b), &**e)).collect();
                backend.product(p.coeff(), &factors)
            }
        }
        .map_err(at),
        Node::Pow(b, e) => backend.pow(val(*b), val(*e)).map_err(at),
        Node::Call(Func::Builtin(f), args) => match &args[..] {
            [a] => backend.call(*f, &[val(*a)]),
            args => {
                let args: Vec<&B::V> = args.iter().map(|a| val(*a)).collect();
                backend.call(*f, &args)
            }
        }
        .map_err(at),
        Node::Call(Func::Abstract(_), _) => Err(EvalError::Abstract(id)),
    }
}

/// How to evaluate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Exact when every operation stays rational, else MPFR at this many bits.
    Auto(u32),
    /// MPFR at this many bits.
    Mpfr(u32),
    /// IEEE double.
    F64,
}

/// A point: exact values for variables.
pub type Point = HashMap<Sym, Rational>;

/// Evaluates `roots` at `point` in `mode`. Errors name the failing subexpression.
///
/// In [`Mode::Auto`], an exact result too large for the limit falls back to MPFR; the second
/// value returned says so, in words, so the caller can tell the user.
pub fn evaluate(
    store: &Store,
    roots: &[Id],
    point: &Point,
    mode: Mode,
) -> Result<(Vec<Value>, Option<String>)> {
    evaluate_guarded(store, roots, &[], point, mode).map_err(|e| describe_error(store, e))
}

/// [`evaluate`] that also checks the domain conditions of the input as written
/// ([`evaluate_with_conditions`]). A failed condition is [`EvalError::Condition`], which
/// [`describe_error`] words without a place and [`describe_error_in`] points into the source.
pub fn evaluate_guarded(
    store: &Store,
    roots: &[Id],
    conditions: &[Condition],
    point: &Point,
    mode: Mode,
) -> Result<(Vec<Value>, Option<String>), EvalError> {
    let mpfr = |prec: u32| -> Result<Vec<Value>, EvalError> {
        let backend = Mpfr::new(prec);
        let env = point.iter().map(|(s, r)| (*s, backend.input(r))).collect();
        evaluate_with_conditions(store, roots, conditions, &env, &backend)
            .map(|vs| vs.into_iter().map(Value::Mpfr).collect())
    };
    match mode {
        Mode::F64 => {
            let env = point.iter().map(|(s, r)| (*s, nearest_f64(r))).collect();
            let vs = evaluate_with_conditions(store, roots, conditions, &env, &F64)?;
            Ok((vs.into_iter().map(Value::F64).collect(), None))
        }
        Mode::Mpfr(prec) => Ok((mpfr(prec)?, None)),
        Mode::Auto(prec) => {
            let exact = Exact::new(store.limits().max_exact_bits);
            let env = point
                .iter()
                .map(|(s, r)| (*s, ExactVal::Q(r.clone())))
                .collect();
            let result =
                evaluate_with_conditions(store, roots, conditions, &env, &exact).and_then(|vs| {
                    vs.into_iter()
                        .map(|v| v.exact().map(Value::Exact))
                        .collect::<Result<Vec<Value>, Fail>>()
                        .map_err(|f| EvalError::At(roots[0], f))
                });
            exact_or_mpfr(store, prec, result, || {
                checked_mpfr(prec, true, false, mpfr, |vs: &mut Vec<Value>| {
                    vs.iter_mut().collect()
                })
            })
        }
    }
}

/// The most bits [`checked_mpfr`] works with for a result wanted at `prec` bits: 16 times
/// `prec`, and at least 8192.
pub fn max_check_bits(prec: u32) -> u32 {
    prec.saturating_mul(16).max(8192)
}

/// The bits one run of the digit check lost ([`backends::take_lost_bits`]): the most in all,
/// and the most within the check's cap ([`backends::take_lost_within`]).
#[derive(Clone, Copy)]
struct Lost {
    all: u64,
    within: u64,
}

/// MPFR in [`Mode::Auto`], with its digits checked: `run` at `prec + 64` bits and at
/// `2·prec + 64`, then at twice as many bits each time, up to [`max_check_bits`], until two
/// successive results agree to `prec - 2` bits in every value (`values` lists them; a 0 and
/// a non-zero disagree). The values of the more precise run are returned rounded to `prec`
/// bits. Where cancellation leaves fewer digits even at the cap, the best values come with a
/// note in words, for the user, of how many digits are reliable.
///
/// A value that is 0 in both runs may be a cancellation deeper than both precisions
/// (`log(1 + exp(-x))·exp(x)` at x = 1000 is 0 below 1443 bits): with `settle_zeros` it is
/// accepted only at the cap, which costs several evaluations for every true 0 (cheap for
/// one expression); without, two zeros agree (the program trace, whose dead units give
/// true zeros at every point).
///
/// Two precisions agree on a wrong result, too, where both lost the same part outright and
/// what follows cancels (`exp(x) - 1` at x = 10^-200 is 0 at 192 and 320 bits): a run that
/// lost bits (counted by the MPFR backend) is not accepted; the next has as many bits as
/// were lost and `prec + 64` more (or twice as many, if that is more), up to the cap. A part
/// lost beyond the cap is not looked for (a program's values would be worked out at the cap
/// for nothing): a note says it was lost; one lost within it still is.
///
/// A run that fails (a domain error, an overflow) is checked as a value is: its error is
/// returned only if the next run fails too and nothing it could find was lost (then the
/// first's error), or at the cap; a run that fails where the one before did not, or the
/// reverse, calls for the next. Where the values the check ends with come with a note and a
/// run failed on the way, the failure is returned (a division by a 0 that
/// rounding noise hides at other bits).
///
/// With `parallel` (for large work, where a thread costs nothing in comparison: a program's
/// passes), the first two runs are made at the same time, on two threads.
pub fn checked_mpfr<T: Send, E: Send>(
    prec: u32,
    settle_zeros: bool,
    parallel: bool,
    run: impl Fn(u32) -> Result<T, E> + Sync,
    values: impl Fn(&mut T) -> Vec<&mut Value>,
) -> Result<(T, Option<String>), E> {
    let cap = max_check_bits(prec);
    let mut lo_bits = prec.saturating_add(64).min(cap);
    let mut bits = prec.saturating_mul(2).saturating_add(64).min(cap);
    // Each run with the bits its arithmetic lost and the arguments of its `sign` and `step`,
    // recorded on the thread that made it.
    let run = |bits: u32| {
        backends::take_lost_bits();
        backends::take_lost_within(u64::from(cap));
        backends::take_kink_args();
        let r = run(bits);
        let lost = Lost {
            all: backends::take_lost_bits(),
            within: backends::take_lost_within(u64::MAX),
        };
        (r, lost, backends::take_kink_args())
    };
    // The first two runs are independent: with `parallel`, the second runs on a thread of its
    // own meanwhile (without, it runs even when the first failed: see below).
    let (lo, mut first_hi) = if parallel {
        let (lo, hi) = crate::parallel::join(|| run(lo_bits), || run(bits));
        (lo, Some(hi))
    } else {
        (run(lo_bits), None)
    };
    let (mut lo, mut lo_lost, mut lo_kinks) = lo;
    // The first error of a run the check went past.
    let mut first_error: Option<E> = None;
    loop {
        let (hi, hi_lost, hi_kinks) = match first_hi.take() {
            Some(hi) => hi,
            None => run(bits),
        };
        // A part the lower run lost beyond the higher one's bits was lost by both, though the
        // higher may not have told it from rounding (an input 1 + 10^-100 is 1 at 192 and at
        // 320 bits; only 192 is far enough from 332 to say so).
        let both = |lo: u64, hi: u64| if lo > u64::from(bits) { hi.max(lo) } else { hi };
        let (lost, within) = (
            both(lo_lost.all, hi_lost.all),
            both(lo_lost.within, hi_lost.within),
        );
        // A part lost past the cap cannot be found within it: the note says so. One lost
        // within it can, though another was lost past it (`tanh(185)` beside `sigmoid(10^5)`).
        let findable = within > 0;
        let last = bits >= cap;
        // An error (a domain error, an overflow) may come from rounding, as a value may: a
        // run that failed is not the last word unless the next fails too, and lost nothing
        // it could find (`log(1 - sigmoid(x))` at x = 135 is log(0) at 192 bits, where
        // 1 - sigmoid(x) is lost, and about -135 at 320; `sqrt(cos(x))` at x = 2·10^100,
        // where x itself is rounded at 192 bits). Two failures: the first's error, as it was.
        let (mut lo_ok, mut hi) = match (lo, hi) {
            (Ok(lo), Ok(hi)) => (lo, hi),
            (Err(e), Err(_)) if !findable || last => return Err(e),
            // At the cap, one failed and the other did not: whether the input is defined here
            // is not decided; the failure stands, as it did before the check went on.
            (Ok(_), Err(e)) | (Err(e), Ok(_)) if last => return Err(first_error.unwrap_or(e)),
            (old, hi) => {
                if let Err(e) = old {
                    first_error.get_or_insert(e);
                }
                lo = hi;
                (lo_bits, lo_lost, lo_kinks) = (bits, hi_lost, hi_kinks);
                bits = next_bits(bits, within, prec, cap);
                continue;
            }
        };
        // Each `sign` and `step` decided by its argument's sign at both precisions, not by
        // rounding: the argument agrees to two bits (or is the same, 0 in both).
        let kinks_settled = lo_kinks.len() == hi_kinks.len()
            && lo_kinks
                .iter()
                .zip(&hi_kinks)
                .all(|(a, b)| float_agreeing_bits_below(a, b, 2) >= 2);
        let (agree, zeros, many) = {
            let (lo_vals, hi_vals) = (values(&mut lo_ok), values(&mut hi));
            let many = lo_vals.len() >= PARALLEL_FREE;
            let agree = |lo: &[&mut Value], hi: &[&mut Value]| {
                lo.iter()
                    .zip(hi)
                    .map(|(a, b)| agreeing_bits_below(a, b, prec.saturating_sub(2)))
                    .min()
                    .unwrap_or(u32::MAX)
            };
            let agree = if parallel && lo_vals.len() >= 2 {
                // Each value is a subtraction and a division: the halves at the same time.
                let mid = lo_vals.len() / 2;
                let (lo1, lo2) = lo_vals.split_at(mid);
                let (hi1, hi2) = hi_vals.split_at(mid.min(hi_vals.len()));
                let (a, b) = crate::parallel::join(|| agree(lo1, hi1), || agree(lo2, hi2));
                a.min(b)
            } else {
                agree(&lo_vals, &hi_vals)
            };
            let zero = |v: &&mut Value| matches!(v, Value::Mpfr(f) if f.is_zero());
            (agree, settle_zeros && hi_vals.iter().any(zero), many)
        };
        if (agree >= prec.saturating_sub(2) && !zeros && !findable && kinks_settled) || last {
            // Values that come with a note (digits not reliable, a part lost beyond the cap)
            // where a run failed on the way (a division by, or the log of, a 0 that rounding
            // noise hides at other bits: `1/(sin(x)^2 + cos(x)^2 - 1)`): the failure is the
            // answer, not the noise.
            if (agree < prec.saturating_sub(2) || lost > 0)
                && let Some(e) = first_error
            {
                return Err(e);
            }
            // The lower run's values are done with: a large run's are freed on another
            // thread while this one rounds (4·10^5 values of a 10^5-layer program: 33 ms and
            // 20 ms).
            if parallel && many {
                crate::parallel::join(|| round_values(prec, values(&mut hi)), move || drop(lo_ok));
            } else {
                round_values(prec, values(&mut hi));
            }
            let cancelled = (agree < prec.saturating_sub(2)).then(|| {
                let digits = (f64::from(agree) * std::f64::consts::LOG10_2).floor();
                if digits < 1.0 {
                    format!(
                        "cancellation: MPFR at {lo_bits} and at {bits} bits give different results; not one digit is reliable (the true value may be 0)"
                    )
                } else {
                    format!(
                        "cancellation: MPFR at {lo_bits} and at {bits} bits agree to only about {digits} significant digits; the digits after those are not reliable"
                    )
                }
            });
            // Where the two results differ, that says enough; where they agree, a part lost
            // beyond the cap may still be wrong in both.
            let lost = (lost > 0 && cancelled.is_none()).then(|| {
                let size = if lost >= backends::LOST_CAP {
                    format!("below 2^-{}", backends::LOST_CAP)
                } else {
                    format!("about 2^-{lost}")
                };
                format!(
                    "a part {size} of a value was lost beyond the {cap} bits of the digit check (a term too small for the sum it is in, a function's value too close to where it is simplest, or a sum that cancelled to 0 or nearly: 1 - sigmoid(x) at a large x, exp(x) - 1 at a tiny x): what depends on that part may be wrong, and a 0 shown may be a tiny number that is not 0"
                )
            });
            let kink = (!kinks_settled).then(|| {
                format!(
                    "the sign of an argument of sign or step (through which relu, abs, max and min are differentiated) could not be decided: it is 0 to within the {cap} bits of the digit check, and the value shown takes the sign rounding gave it; if that argument is exactly 0 (a kink, or a tie of max or min), the value follows the convention there instead (sign(0) = step(0) = 0; a tie shares the derivative equally)"
                )
            });
            let notes: Vec<String> = [cancelled, lost, kink].into_iter().flatten().collect();
            let note = (!notes.is_empty()).then(|| notes.join("; "));
            return Ok((hi, note));
        }
        lo = Ok(hi);
        (lo_bits, lo_lost, lo_kinks) = (bits, hi_lost, hi_kinks);
        bits = next_bits(bits, within, prec, cap);
    }
}

/// From how many values [`checked_mpfr`] frees the lower run's on another thread while it
/// rounds the higher run's: a thread costs tens of microseconds, freeing a value tens of
/// nanoseconds (4 000 values were freed faster here, the report of 10^3 layers measured).
const PARALLEL_FREE: usize = 1 << 15;

/// The next precision of the digit check ([`checked_mpfr`]): twice the last, or past what was
/// lost within the cap if that is more, up to the cap.
fn next_bits(bits: u32, within: u64, prec: u32, cap: u32) -> u32 {
    let past = u32::try_from(within)
        .unwrap_or(u32::MAX)
        .saturating_add(prec)
        .saturating_add(64);
    bits.saturating_mul(2).max(past).min(cap)
}

/// MPFR values rounded to `prec` bits, as the digit check returns them.
fn round_values(prec: u32, values: Vec<&mut Value>) {
    for v in values {
        if let Value::Mpfr(f) = v {
            *f = rug::Float::with_val(prec, &*f);
        }
    }
}

/// The number of leading bits in which `a` and `b` agree (`-log2` of their relative
/// difference, rounded down; `u32::MAX` when they are equal: two zeros, two like infinities,
/// two NaNs; 0 when one is 0 and the other not) where it is below `need`; where it is not,
/// some number of `need` or more, all the digit check asks of most values. That is decided
/// from the exponents of the difference and of the larger value, without the division, and
/// the difference is made in a float kept for the thread (a report of 10^5 layers compares
/// 5·10^5 pairs).
fn agreeing_bits_below(a: &Value, b: &Value, need: u32) -> u32 {
    match (a, b) {
        (Value::Mpfr(x), Value::Mpfr(y)) => float_agreeing_bits_below(x, y, need),
        _ if a == b => u32::MAX,
        _ => 0,
    }
}

/// [`agreeing_bits_below`] of two floats.
fn float_agreeing_bits_below(x: &rug::Float, y: &rug::Float, need: u32) -> u32 {
    if x == y || (x.is_nan() && y.is_nan()) {
        return u32::MAX;
    }
    if x.is_zero() || y.is_zero() || !x.is_finite() || !y.is_finite() {
        return 0;
    }
    thread_local! {
        static DIFF: std::cell::RefCell<rug::Float> = std::cell::RefCell::new(rug::Float::new(64));
    }
    DIFF.with_borrow_mut(|diff| {
        use rug::Assign;
        diff.set_prec(x.prec().max(y.prec()) + 2);
        diff.assign(x - y);
        let size = if x.cmp_abs(y) == Some(std::cmp::Ordering::Less) {
            y
        } else {
            x
        };
        // |diff| / size lies in (2^(d-1-s), 2^(d+1-s)); rounded to 64 bits it may reach
        // 2^(d+1-s) itself (size a power of two, the difference all ones in its first 64
        // bits): its exponent is d - s, d - s + 1 or d - s + 2, so the bits agreeing are
        // gap, gap - 1 or gap - 2.
        if let (Some(s), Some(d)) = (size.get_exp(), diff.get_exp()) {
            let gap = i64::from(s) - i64::from(d);
            if gap - 2 >= i64::from(need) {
                return u32::try_from(gap - 2).unwrap_or(u32::MAX);
            }
        }
        // The quotient rounded once to 64 bits (`size` is divided as it is: a copy at more
        // bits would be the same number); rel < 2^e, so -log2(rel) > -e.
        match rug::Float::with_val(64, &*diff / size).get_exp() {
            Some(e) if e < 0 => e.unsigned_abs(),
            Some(_) => 0,
            None => u32::MAX,
        }
    })
}

/// The policy of [`Mode::Auto`], once for every caller: the `exact` result if it succeeded;
/// where a value is not rational, or too large for the exact limit, the result of `mpfr`
/// instead (normally [`checked_mpfr`], whose note is passed on), with, for a value too large,
/// a note in words that the caller must show the user (the numbers are then not exact, though
/// exactness was asked for).
pub fn exact_or_mpfr<T>(
    store: &Store,
    prec: u32,
    exact: Result<T, EvalError>,
    mpfr: impl FnOnce() -> Result<(T, Option<String>), EvalError>,
) -> Result<(T, Option<String>), EvalError> {
    match exact {
        Ok(v) => Ok((v, None)),
        Err(EvalError::At(_, Fail::NotExact)) => mpfr(),
        Err(EvalError::At(id, Fail::TooLarge)) => {
            let note = format!(
                "the exact value of {} has more than {} bits; evaluated with MPFR at {} bits instead",
                crate::print::text(store, id),
                store.limits().max_exact_bits,
                prec
            );
            let (v, digits) = mpfr()?;
            let note = match digits {
                Some(d) => format!("{note}; {d}"),
                None => note,
            };
            Ok((v, Some(note)))
        }
        Err(e) => Err(e),
    }
}

/// [`describe_error`], pointing at the place in the source (`src`, named `src_name`) of a
/// failed domain condition: the conditions' spans must be into that source.
pub fn describe_error_in(store: &Store, e: EvalError, src_name: &str, src: &str) -> Error {
    let EvalError::Condition(c, inner) = e else {
        return describe_error(store, e);
    };
    let (message, help) = match describe_error(store, *inner) {
        Error::Domain { message, help } => (message, help),
        other => return other,
    };
    let label = if out_of_range(&message) {
        "out of range here"
    } else {
        "undefined here"
    };
    let mut err =
        crate::error::SourceError::new(src_name, src, c.span.start, c.span.end, message, label);
    err.help = Some(condition_help(&err.message, help, &c));
    Error::DomainAt(Box::new(err))
}

/// Whether an evaluation error is an overflow or underflow of the arithmetic, not a domain
/// error of the mathematics.
fn out_of_range(message: &str) -> bool {
    backends::is_overflow(message) || message.starts_with("underflow")
}

/// The hint of a failed domain condition: the values, then why the condition is there.
fn condition_help(message: &str, values: Option<String>, c: &Condition) -> String {
    let why = if out_of_range(message) {
        // Not a domain error: the arithmetic ran out of range checking this part.
        "the input as written is defined here, but this part is out of the range of the \
         arithmetic used; try exact arithmetic or a higher precision"
    } else if c.derivative {
        "a derivative is defined only where its function is"
    } else {
        "as written, the input is undefined here, even though simplifying cancels this part"
    };
    match values {
        Some(v) => format!("{v}; {why}"),
        None => why.to_string(),
    }
}

/// Turns an evaluation failure into a user-facing error that names the subexpression.
pub fn describe_error(store: &Store, e: EvalError) -> Error {
    match e {
        EvalError::Condition(_, inner) => match describe_error(store, *inner) {
            Error::Domain { message, help } => Error::Domain {
                message: format!("{message}, in the input as written"),
                help,
            },
            other => other,
        },
        EvalError::At(id, Fail::Domain(what)) => Error::Domain {
            message: format!("{what} in {}", crate::print::text(store, id)),
            help: None,
        },
        EvalError::Domain(id, what, args) => {
            let values: Vec<String> = args
                .iter()
                .map(|(c, v)| format!("{} = {v}", crate::print::text(store, *c)))
                .collect();
            Error::Domain {
                message: format!("{what} in {}", crate::print::text(store, id)),
                help: (!values.is_empty()).then(|| format!("at this point {}", values.join(", "))),
            }
        }
        EvalError::At(id, Fail::NotExact) => Error::domain(format!(
            "{} has no exact rational value",
            crate::print::text(store, id)
        )),
        EvalError::At(id, Fail::TooLarge) => Error::Limit(format!(
            "the exact value of {} is larger than the limit of {} bits",
            crate::print::text(store, id),
            store.limits().max_exact_bits
        )),
        EvalError::Unbound(s) => Error::Request(Request::NoValue {
            name: store.name(s).to_string(),
        }),
        EvalError::Abstract(id) => {
            let name = match store.node(id) {
                Node::Call(Func::Abstract(a), _) => store.name(a.name).to_string(),
                _ => "?".into(),
            };
            Error::Domain {
                message: format!(
                    "cannot evaluate {}: `{name}` is an unspecified function",
                    crate::print::text(store, id)
                ),
                help: Some(match crate::syntax::suggest(&name) {
                    Some(s) => format!("did you mean `{s}`? `{name}` is not a built-in function"),
                    None => format!(
                        "define it in a program, e.g. `{name}(t) = relu(t)`, or evaluate a formula without it"
                    ),
                }),
            }
        }
    }
}

#[cfg(test)]
mod agreement_tests {
    use super::{Value, agreeing_bits_below};
    use proptest::prelude::*;
    use rug::Float;

    /// The number of leading bits in which `a` and `b` agree, by its definition: the
    /// difference and the quotient made, the quotient's exponent read.
    fn agreeing_bits(a: &Value, b: &Value) -> u32 {
        let (Value::Mpfr(a), Value::Mpfr(b)) = (a, b) else {
            return if a == b { u32::MAX } else { 0 };
        };
        if a == b || (a.is_nan() && b.is_nan()) {
            return u32::MAX;
        }
        if a.is_zero() || b.is_zero() || !a.is_finite() || !b.is_finite() {
            return 0;
        }
        let prec = a.prec().max(b.prec()) + 2;
        let diff = rug::Float::with_val(prec, a - b).abs();
        let (a_abs, b_abs) = (a.as_abs(), b.as_abs());
        let size = if *a_abs >= *b_abs { a_abs } else { b_abs };
        let rel = rug::Float::with_val(64, &diff / &*size);
        match rel.get_exp() {
            Some(e) if e < 0 => e.unsigned_abs(),
            Some(_) => 0,
            None => u32::MAX,
        }
    }

    /// The number below `need` is [`agreeing_bits`]'s; at or above it, it is at least `need`
    /// and at most the true number.
    fn check(a: &Float, b: &Float, need: u32) {
        let (a, b) = (Value::Mpfr(a.clone()), Value::Mpfr(b.clone()));
        let exact = agreeing_bits(&a, &b);
        let fast = agreeing_bits_below(&a, &b, need);
        if exact < need {
            assert_eq!(fast, exact, "{a:?} {b:?} need {need}");
        } else {
            assert!(
                fast >= need && fast <= exact,
                "{a:?} {b:?} need {need}: {fast} {exact}"
            );
        }
    }

    proptest! {
        /// Values at the digit check's two precisions, differing in their last bits, in
        /// bits around the threshold, or wholly; of either sign, near powers of two.
        #[test]
        fn agreeing_bits_below_agrees_with_agreeing_bits(
            m in -1.0e6f64..1.0e6,
            e in -300i32..300,
            rel_exp in 1u32..400,
            nudge in -3i32..4,
            need in prop::sample::select(vec![62u32, 126, 190, 254, 318]),
        ) {
            let a = Float::with_val(192, m) << e;
            let b = Float::with_val(320, &a) * (Float::with_val(320, 1) + (Float::with_val(320, nudge) >> rel_exp));
            check(&a, &b, need);
            check(&b, &a, need);
            let two = Float::with_val(192, 1) << e;
            let near = Float::with_val(320, &two) - (Float::with_val(320, 1) >> (rel_exp as i32 - e));
            check(&two, &near, need);
            check(&near, &two, need);
        }
    }

    /// The quotient rounded up to a power of two: a power of two against a value whose
    /// difference from it is all ones in its first 64 bits, `1 - 2^-k (1 - 2^-70)`. Its
    /// agreeing bits are two below the exponents' gap: a bound of one would take a value that
    /// fails the check for one that passes it.
    #[test]
    fn a_quotient_rounded_up_to_a_power_of_two() {
        for k in [10u32, 100, 189, 190, 191, 250] {
            let one = Float::with_val(192, 1);
            let d = (Float::with_val(320, 1) >> k)
                * (Float::with_val(320, 1) - (Float::with_val(320, 1) >> 70u32));
            let b = Float::with_val(320, 1) - d;
            let exact = agreeing_bits(&Value::Mpfr(one.clone()), &Value::Mpfr(b.clone()));
            assert_eq!(exact, k - 1);
            for need in [k - 2, k - 1, k, k + 1] {
                check(&one, &b, need);
                check(&b, &one, need);
            }
        }
    }

    #[test]
    fn special_values_take_the_exact_path() {
        let one = Float::with_val(192, 1);
        for other in [
            Float::with_val(320, 0),
            Float::with_val(320, 1),
            Float::with_val(320, f64::INFINITY),
            Float::with_val(320, f64::NAN),
            Float::with_val(320, -1),
        ] {
            check(&one, &other, 126);
            check(&other, &one, 126);
        }
        let mixed = (Value::Mpfr(one.clone()), Value::F64(1.0));
        assert_eq!(
            agreeing_bits_below(&mixed.0, &mixed.1, 126),
            agreeing_bits(&mixed.0, &mixed.1)
        );
    }
}
