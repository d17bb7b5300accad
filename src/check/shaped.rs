//! Checking a claimed gradient of a program with vectors and matrices: first its shape (a
//! claim that multiplies two column vectors is refused with the shapes named), then its
//! values against the backward pass's at random small matrices, in exact arithmetic, with
//! symbolic dimensions given small distinct sizes and unspecified functions replaced by
//! random polynomials (a scalar σ entry by entry; a vector function f by `A_f z + (B_f z).^2`,
//! whose Jacobian is `A_f + 2 diag(B_f z) B_f`). Where those agree, they are compared again
//! with a sine added to each stand-in (σ plus `d·sin(a·t + b)`; f plus `sin.(C_f z)`, whose
//! Jacobian adds `diag(cos.(C_f z)) C_f`): a polynomial's high derivatives are constants or
//! 0, and a finite difference is its derivative (the scalar `check`'s module text says more).

use super::{Rng, StandIn, is_zero, same};
use crate::error::{Error, Result};
use crate::eval::dense::Dense;
use crate::eval::format;
use crate::eval::matrix::{MatPoint, evaluate};
use crate::eval::{Mode, Value};
use crate::expr::Builtin;
use crate::matrix::{self, Dim, Fun, MId, MatStore, Node, Shape};
use crate::network::{ADJOINT_PREFIX, MatNetwork};
use crate::syntax::{self, MatrixLowerer};
use rug::Rational;
use std::collections::HashMap;

/// The verdict on a claimed gradient.
#[derive(Clone, Debug, PartialEq)]
pub enum ShapedVerdict {
    /// The claim is the same formula as the backward pass's.
    Identical,
    /// The claim has the value of the gradient at every point tried.
    AgreesAt(usize),
    /// The claim cannot be computed: a product or sum of misfitting shapes (the message,
    /// with a caret into the claim).
    BadShape(String),
    /// The claim is well shaped but not shaped like the gradient.
    WrongShape {
        /// The claim's shape.
        claimed: Shape,
        /// The gradient's shape.
        correct: Shape,
    },
    /// The values differ at this point.
    Differs {
        /// The sizes chosen for symbolic dimensions (`d1 = 2`).
        sizes: Vec<(String, u64)>,
        /// The point, each value as written.
        point: Vec<(String, String)>,
        /// Where the two differ first: (row, column) from 1.
        entry: (usize, usize),
        /// The claim's value there.
        claimed: String,
        /// The gradient's.
        correct: String,
        /// The stand-ins for unspecified functions, as text.
        stand_ins: Vec<String>,
    },
}

/// A claim checked against the program's gradient.
#[derive(Clone, Debug)]
pub struct ShapedCheck {
    /// The program's output.
    pub output: String,
    /// The variable.
    pub wrt: String,
    /// The claim as chainrule reads it (when well shaped).
    pub claimed: Option<String>,
    /// The backward pass's formula.
    pub correct: String,
    /// The verdict.
    pub verdict: ShapedVerdict,
}

impl ShapedCheck {
    /// Whether the claim was found right.
    pub fn agrees(&self) -> bool {
        matches!(
            self.verdict,
            ShapedVerdict::Identical | ShapedVerdict::AgreesAt(_)
        )
    }
}

/// A nonzero p/q, |p/q| ≤ 2, q ≤ 4 (positive when asked): small matrix entries.
fn entry(rng: &mut Rng, positive: bool) -> Rational {
    let r = rng.rational_in(4, 2);
    if positive { r.abs() } else { r }
}

/// Checks the claim `claim_src` for the gradient of the program's output by `wrt`.
pub fn check_shaped(net: &mut MatNetwork, wrt: &str, claim_src: &str) -> Result<ShapedCheck> {
    let adjoints = net.backward()?;
    let Some(target) = adjoints.iter().find(|a| a.of == wrt).cloned() else {
        return Err(Error::Usage(format!(
            "`{wrt}` is neither an intermediate nor a parameter of the program (its parameters: {})",
            net.params.join(", ")
        )));
    };
    let correct_text = matrix::text(&net.store, target.formula);
    let ast = syntax::parse_expr(claim_src, "<claim>")?;
    // The claim in the program's terms: its names and adjoints are variables of their shapes.
    let lowered = {
        let mut low = MatrixLowerer::new(&mut net.store, claim_src, "<claim>");
        for (n, f) in &net.functions {
            low.define_fn(n, f.clone());
        }
        low.expr(&ast)
    };
    let claimed = match lowered {
        Ok(id) => id,
        Err(e @ Error::Source(_)) => {
            return Ok(ShapedCheck {
                output: net.defs[net.output].name.clone(),
                wrt: wrt.to_string(),
                claimed: None,
                correct: correct_text,
                verdict: ShapedVerdict::BadShape(format!("{:?}", miette::Report::new(e))),
            });
        }
        Err(e) => return Err(e),
    };
    for v in net.store.variables(claimed) {
        let known = net.inputs.contains(&v)
            || net.params.contains(&v)
            || net.is_intermediate(&v)
            || v.strip_prefix(ADJOINT_PREFIX)
                .is_some_and(|t| adjoints.iter().any(|a| a.of == t));
        if !known {
            let mut names: Vec<String> = net.defs.iter().map(|d| d.name.clone()).collect();
            names.extend(net.inputs.iter().cloned());
            return Err(Error::Usage(format!(
                "`{v}` in the claim is not a name of the program (its names: {})",
                names.join(", ")
            )));
        }
    }
    let claimed_text = matrix::text(&net.store, claimed);
    let (cs, gs) = (
        net.store.shape(claimed).clone(),
        net.store.shape(target.formula).clone(),
    );
    let verdict = if cs != gs {
        ShapedVerdict::WrongShape {
            claimed: cs,
            correct: gs,
        }
    } else if claimed == target.formula {
        ShapedVerdict::Identical
    } else {
        // Both in terms of inputs only.
        let mut vars: HashMap<String, MId> = net
            .defs
            .iter()
            .map(|d| (d.name.clone(), d.expanded))
            .collect();
        vars.extend(
            adjoints
                .iter()
                .map(|a| (format!("{ADJOINT_PREFIX}{}", a.of), a.expanded)),
        );
        let cx = net
            .store
            .substitute(claimed, &vars, &mut |_, _| None)
            .map_err(shape_bug)?;
        if cx == target.expanded {
            ShapedVerdict::Identical
        } else {
            compare(net, cx, target.expanded)?
        }
    };
    Ok(ShapedCheck {
        output: net.defs[net.output].name.clone(),
        wrt: wrt.to_string(),
        claimed: Some(claimed_text),
        correct: correct_text,
        verdict,
    })
}

fn shape_bug(e: matrix::ShapeError) -> Error {
    Error::Internal(format!("rebuilding a checked formula: {e}"))
}

/// Small distinct sizes for the symbolic dimensions of `store` (2, 3, 4, …), so that a
/// transposed factor shows.
fn choose_sizes(store: &MatStore, roots: &[MId]) -> HashMap<String, u64> {
    let mut sizes = HashMap::new();
    let mut next = 2;
    let mut see = |d: &Dim, sizes: &mut HashMap<String, u64>| {
        if let Dim::Sym(s) = d
            && !sizes.contains_key(s)
        {
            sizes.insert(s.clone(), next);
            next = if next >= 4 { 2 } else { next + 1 };
        }
    };
    for id in store.reachable(roots) {
        let sh = store.shape(id);
        see(&sh.rows, &mut sizes);
        see(&sh.cols, &mut sizes);
    }
    sizes
}

fn known(d: &Dim, sizes: &HashMap<String, u64>) -> usize {
    match d {
        Dim::Known(k) => *k as usize,
        Dim::Sym(s) => sizes[s] as usize,
    }
}

/// Replaces unspecified functions by random polynomials, with [`StandIn::WithSine`] plus a
/// sine each; returns the new roots and the stand-ins in words.
fn stand_ins(
    store: &mut MatStore,
    roots: &[MId],
    rng: &mut Rng,
    kind: StandIn,
) -> Result<(Vec<MId>, Vec<String>)> {
    let sine = matches!(kind, StandIn::WithSine);
    // Per scalar function: a cubic's coefficients, and with `sine`, `(d, a, b)` of d·sin(a·t + b).
    type Scalar = ([Rational; 4], Option<[Rational; 3]>);
    let mut polys: HashMap<String, Scalar> = HashMap::new();
    let mut words = Vec::new();
    let mut vec_fns: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for &r in roots {
        let new = store
            .substitute(r, &HashMap::new(), &mut |s, node| match node {
                Node::Map(Fun::Abstract(name), k, a) => {
                    let (c, wave) = polys
                        .entry(name.clone())
                        .or_insert_with(|| {
                            let c = std::array::from_fn(|_| entry(rng, false));
                            let wave = sine.then(|| {
                                [
                                    entry(rng, false),
                                    rng.rational_in(3, 1),
                                    rng.rational_in(3, 1),
                                ]
                            });
                            (c, wave)
                        })
                        .clone();
                    Some(poly(s, &c, *k, *a).and_then(|p| match wave {
                        Some(w) => {
                            let w = sine_derivative(s, &w, *k, *a)?;
                            s.add2(p, w)
                        }
                        None => Ok(p),
                    }))
                }
                Node::Apply(f, a) | Node::Jacobian(f, a) => {
                    if !vec_fns.contains(f) {
                        vec_fns.push(f.clone());
                    }
                    let sig = s.vec_fn(f).cloned()?;
                    // Names no program can declare (a user's `A_f` is another matrix); shown
                    // without the mark.
                    let (am, bm, cm) = (
                        format!("{STAND_IN_MARK}A_{f}"),
                        format!("{STAND_IN_MARK}B_{f}"),
                        format!("{STAND_IN_MARK}C_{f}"),
                    );
                    let shape = Shape::matrix(sig.to.rows.clone(), sig.from.rows.clone());
                    s.declare(&am, shape.clone());
                    s.declare(&bm, shape.clone());
                    let (av, bv) = (s.var(&am), s.var(&bm));
                    let cv = sine.then(|| {
                        s.declare(&cm, shape);
                        s.var(&cm)
                    });
                    let r = (|| {
                        let bz = s.matmul(bv, *a)?;
                        let cz = cv
                            .map(|cv| s.matmul(cv, *a).map(|cz| (cv, cz)))
                            .transpose()?;
                        if matches!(node, Node::Apply(..)) {
                            let az = s.matmul(av, *a)?;
                            let two = s.int(2);
                            let sq = s.pow(bz, two)?;
                            let p = s.add2(az, sq)?;
                            match cz {
                                Some((_, cz)) => {
                                    let w = s.map(Fun::Builtin(Builtin::Sin), 0, cz);
                                    s.add2(p, w)
                                }
                                None => Ok(p),
                            }
                        } else {
                            let d = s.diag(bz)?;
                            let db = s.matmul(d, bv)?;
                            let two = s.int(2);
                            let t = s.scale(two, db)?;
                            let j = s.add2(av, t)?;
                            match cz {
                                Some((cv, cz)) => {
                                    let cos = s.map(Fun::Builtin(Builtin::Cos), 0, cz);
                                    let d = s.diag(cos)?;
                                    let dc = s.matmul(d, cv)?;
                                    s.add2(j, dc)
                                }
                                None => Ok(j),
                            }
                        }
                    })();
                    Some(r)
                }
                _ => None,
            })
            .map_err(shape_bug)?;
        out.push(new);
    }
    let mut names: Vec<&String> = polys.keys().collect();
    names.sort();
    for n in names {
        let (c, wave) = &polys[n];
        let wave = wave.as_ref().map_or(String::new(), |[d, a, b]| {
            format!(" + {d}·sin({a}·t + {b})")
        });
        words.push(format!(
            "{n}(t) = {} + {}·t + {}·t² + {}·t³{wave}",
            c[0], c[1], c[2], c[3]
        ));
    }
    for f in vec_fns {
        words.push(if sine {
            format!(
                "{f}(z) = A_{f}·z + (B_{f}·z).^2 + sin.(C_{f}·z) with random A_{f}, B_{f}, C_{f}"
            )
        } else {
            format!("{f}(z) = A_{f}·z + (B_{f}·z).^2 with random A_{f}, B_{f}")
        });
    }
    Ok((out, words))
}

/// What begins the names of the random matrices of a vector function's stand-in.
const STAND_IN_MARK: char = '\u{0}';

/// The `k`-th derivative of c0 + c1 t + c2 t² + c3 t³, entry by entry at `a`.
fn poly(s: &mut MatStore, c: &[Rational; 4], k: u32, a: MId) -> matrix::Built {
    let mut coeffs: Vec<Rational> = c.to_vec();
    for _ in 0..k {
        coeffs = coeffs
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, x)| Rational::from(x * i as u32))
            .collect();
    }
    let mut terms = Vec::new();
    for (i, x) in coeffs.into_iter().enumerate() {
        let k = s.number(x);
        let t = if i == 0 {
            let ones = s.ones(s.shape(a).clone());
            s.scale(k, ones)?
        } else {
            let e = s.int(i as i64);
            let p = s.pow(a, e)?;
            s.scale(k, p)?
        };
        terms.push(t);
    }
    s.add(terms)
}

/// The `k`-th derivative of `d·sin(a·t + b)`, entry by entry at `x`: `d·aᵏ` times the sine,
/// the cosine, minus the sine or minus the cosine of `a·x + b`, as `k` is 0, 1, 2 or 3 mod 4.
fn sine_derivative(s: &mut MatStore, [d, a, b]: &[Rational; 3], k: u32, x: MId) -> matrix::Built {
    let (ak, bk) = (s.number(a.clone()), s.number(b.clone()));
    let ones = s.ones(s.shape(x).clone());
    let ax = s.scale(ak, x)?;
    let shift = s.scale(bk, ones)?;
    let arg = s.add2(ax, shift)?;
    let f = if k.is_multiple_of(2) {
        Builtin::Sin
    } else {
        Builtin::Cos
    };
    let wave = s.map(Fun::Builtin(f), 0, arg);
    let mut factor: Rational = d * Rational::from(rug::ops::Pow::pow(a, k));
    if k % 4 >= 2 {
        factor = -factor;
    }
    let factor = s.number(factor);
    s.scale(factor, wave)
}

/// The most entries of any value `check` computes at its random exact points: declared sizes
/// beyond it (`W: 100000x100000`) would need more memory and time than a check is worth.
pub const CHECK_MAX_ENTRIES: usize = 10_000;

fn compare(net: &mut MatNetwork, claimed: MId, correct: MId) -> Result<ShapedVerdict> {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let (verdict, replaced) = compare_with(net, claimed, correct, &mut rng, StandIn::Quadratic)?;
    if !replaced || !matches!(verdict, ShapedVerdict::AgreesAt(_)) {
        return Ok(verdict);
    }
    // The polynomials agree: so must stand-ins that are no polynomial (the module's text).
    Ok(compare_with(net, claimed, correct, &mut rng, StandIn::WithSine)?.0)
}

/// [`compare`] with unspecified functions replaced by stand-ins of the kind `kind`; and
/// whether any was replaced.
fn compare_with(
    net: &mut MatNetwork,
    claimed: MId,
    correct: MId,
    rng: &mut Rng,
    kind: StandIn,
) -> Result<(ShapedVerdict, bool)> {
    let (roots, words) = stand_ins(&mut net.store, &[claimed, correct], rng, kind)?;
    let replaced = !words.is_empty();
    let (a, b) = (roots[0], roots[1]);
    let sizes = choose_sizes(&net.store, &[a, b]);
    for id in net.store.reachable(&[a, b]) {
        let sh = net.store.shape(id);
        let entries = known(&sh.rows, &sizes).saturating_mul(known(&sh.cols, &sizes));
        if entries > CHECK_MAX_ENTRIES {
            return Err(Error::Limit(format!(
                "checking at random matrices would compute `{}`, which has {} entries (at most {CHECK_MAX_ENTRIES}): declare smaller sizes, or symbolic ones (`W: m x n`), which the check gives small values",
                crate::matrix::text(&net.store, id),
                entries
            )));
        }
    }
    let mut vars: Vec<String> = net.store.variables(a);
    for v in net.store.variables(b) {
        if !vars.contains(&v) {
            vars.push(v);
        }
    }
    // The program's own point first, when it has one for every input and no stand-ins.
    let own: Option<MatPoint> = (words.is_empty()
        && vars
            .iter()
            .all(|v| net.point.iter().any(|(n, _, _)| n == v)))
    .then(|| {
        net.point
            .iter()
            .map(|(n, v, _)| (n.clone(), v.clone()))
            .collect()
    });
    let mut agreed = 0;
    let mut evaluated = 0;
    let mut first_failure: Option<Error> = None;
    let mut tried = 0;
    let mut pending = own;
    while (agreed < 5 || tried < 12) && tried < 60 {
        tried += 1;
        let point: MatPoint = match pending.take() {
            Some(p) => p,
            None => vars
                .iter()
                .map(|v| {
                    let sh = net.store.var_shape(v);
                    let (r, c) = (known(&sh.rows, &sizes), known(&sh.cols, &sizes));
                    let positive = tried % 2 == 0;
                    (v.clone(), Dense::from_fn(r, c, |_, _| entry(rng, positive)))
                })
                .collect(),
        };
        let (va, vb, noted) = match (
            evaluate(&net.store, &[a], &point, Mode::Auto(256)),
            evaluate(&net.store, &[b], &point, Mode::Auto(256)),
        ) {
            (Ok((va, na)), Ok((vb, nb))) => (va, vb, na.or(nb)),
            (Err(e), _) | (_, Err(e)) => {
                first_failure.get_or_insert_with(|| e.describe(&net.store));
                continue;
            }
        };
        let (x, y) = (&va[0].entries, &vb[0].entries);
        // Where either value comes with a note (digits not reliable, a part lost), an entry
        // may be rounding noise about a true 0 (`sum(y)*Σ softmax - Σ y`, about 10^-2466 at
        // the check's last precision): entries within 2^-256 of the largest entry of either
        // (the precision the check evaluates at) are the same there.
        let noise = noted.map(|_| {
            let largest = x
                .data()
                .iter()
                .chain(y.data())
                .map(|v| v.to_float(256).abs())
                .fold(rug::Float::new(256), |m, v| if v > m { v } else { m });
            largest >> 256u32
        });
        let near = |p: &Value, q: &Value| {
            noise.as_ref().is_some_and(|n| {
                rug::Float::with_val(256, p.to_float(256) - q.to_float(256)).abs() <= *n
            })
        };
        let differs = (0..y.data().len()).find(|&k| {
            let (p, q) = (&x.data()[k], &y.data()[k]);
            !same(p, q) && !near(p, q)
        });
        evaluated += 1;
        match differs {
            None => {
                if y.data().iter().any(|v| !is_zero(v)) {
                    agreed += 1;
                }
            }
            Some(k) => {
                let cols = y.cols();
                let mut sz: Vec<(String, u64)> =
                    sizes.iter().map(|(k, v)| (k.clone(), *v)).collect();
                sz.sort();
                let mut pt: Vec<(String, String)> = point
                    .iter()
                    .map(|(n, d)| (n.trim_start_matches(STAND_IN_MARK).to_string(), show(d)))
                    .collect();
                pt.sort_by(|p, q| crate::expr::natural_cmp(&p.0, &q.0));
                let verdict = ShapedVerdict::Differs {
                    sizes: sz,
                    point: pt,
                    entry: (k / cols + 1, k % cols + 1),
                    claimed: format::for_people(&x.data()[k], 20),
                    correct: format::for_people(&y.data()[k], 20),
                    stand_ins: words,
                };
                return Ok((verdict, replaced));
            }
        }
    }
    if evaluated == 0 {
        // Not one point to compare at: the claim is not shown right (nor wrong).
        return Err(Error::Domain {
            message: format!(
                "cannot check the claim: at none of the {tried} random points tried could both it and the gradient be evaluated"
            ),
            help: first_failure.map(|e| format!("at the first point: {e}")),
        });
    }
    // Where every value compared was 0, the points still count: the two agree at each.
    let verdict = ShapedVerdict::AgreesAt(if agreed == 0 { evaluated } else { agreed });
    Ok((verdict, replaced))
}

fn show(d: &Dense<Rational>) -> String {
    let row = |i: usize| {
        (0..d.cols())
            .map(|j| d.get(i, j).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match d.shape() {
        (1, 1) => d.get(0, 0).to_string(),
        (_, 1) => format!(
            "[{}]",
            (0..d.rows())
                .map(|i| d.get(i, 0).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => format!(
            "[{}]",
            (0..d.rows())
                .map(|i| format!("[{}]", row(i)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
