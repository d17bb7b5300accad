//! Numbers for shaped expressions ([`crate::matrix`]): every node evaluated on whole dense
//! matrices ([`Dense`]) in one backend: exact rationals when every value stays rational,
//! else MPFR with its digits checked as for scalars ([`checked_mpfr`]), or IEEE f64.
//!
//! Matrices are never expanded into scalar nodes: a product is one call of the backend's
//! matrix product (BLAS-class for f64), whatever the sizes.

use super::dense::{Dense, DenseBackend};
use super::{Exact, ExactVal, F64, Fail, Mode, Mpfr, Value, checked_mpfr};
use crate::expr::Builtin;
use crate::matrix::{Dim, Fun, MId, MatStore, Node, Shape};
use rug::{Float, Rational};
use std::collections::HashMap;

/// A point: each variable's exact value, a scalar as 1×1.
pub type MatPoint = HashMap<String, Dense<Rational>>;

/// A value of a shaped expression, in the arithmetic that computed it.
#[derive(Clone, Debug, PartialEq)]
pub struct MatValue {
    /// The entries, row-major, each a [`Value`] (all of one arithmetic).
    pub entries: Dense<Value>,
}

/// Why an evaluation failed.
#[derive(Clone, Debug, PartialEq)]
pub enum MatEvalError {
    /// The backend failed at this node.
    At(MId, Fail),
    /// No value for this variable.
    Unbound(String),
    /// A value's shape does not fit the variable's declaration, or two values give one
    /// symbolic dimension two sizes: the message says which.
    Shape(String),
    /// An unspecified function has no value.
    Abstract(String),
}

impl MatEvalError {
    /// The error in words, naming the failing subexpression.
    pub fn describe(&self, store: &MatStore) -> crate::Error {
        use crate::Error;
        match self {
            MatEvalError::At(id, Fail::Domain(what)) => Error::Domain {
                message: format!("{what} in {}", crate::matrix::text(store, *id)),
                help: None,
            },
            MatEvalError::At(id, f) => Error::Internal(format!(
                "evaluating {}: {f:?}",
                crate::matrix::text(store, *id)
            )),
            MatEvalError::Unbound(n) => Error::Usage(format!(
                "no value for `{n}`: the point must give every input a value"
            )),
            MatEvalError::Shape(m) => Error::Usage(m.clone()),
            MatEvalError::Abstract(f) => Error::Usage(format!(
                "`{f}` is an unspecified function: it has no value, so formulas with it cannot be evaluated (give it a definition to get numbers)"
            )),
        }
    }
}

/// The sizes of the symbolic dimensions, read off the values of `vars`, after checking
/// every value against its variable's declared shape.
pub fn bind_dims<V>(
    store: &MatStore,
    vars: &[String],
    point: &HashMap<String, Dense<V>>,
) -> Result<HashMap<String, u64>, MatEvalError> {
    let mut sizes: HashMap<String, u64> = HashMap::new();
    for name in vars {
        let Some(v) = point.get(name) else {
            return Err(MatEvalError::Unbound(name.clone()));
        };
        let declared = store
            .shape_of_var(name)
            .cloned()
            .unwrap_or_else(Shape::scalar);
        let (r, c) = v.shape();
        for (d, n, what) in [(&declared.rows, r, "rows"), (&declared.cols, c, "columns")] {
            let ok = match d {
                Dim::Known(k) => *k as usize == n,
                Dim::Sym(s) => match sizes.get(s) {
                    Some(&k) => k as usize == n,
                    None => {
                        sizes.insert(s.clone(), n as u64);
                        true
                    }
                },
            };
            if !ok {
                let want = match d {
                    Dim::Known(k) => k.to_string(),
                    Dim::Sym(s) => format!("{s} = {}", sizes[s]),
                };
                return Err(MatEvalError::Shape(format!(
                    "`{name}` is {} but its value has {n} {what} (it should have {want})",
                    declared.describe()
                )));
            }
        }
    }
    Ok(sizes)
}

/// The sizes of the symbolic dimensions for evaluating `roots`: from the values of their
/// variables, then from the other values of the point whose names have declared shapes (a
/// gradient `𝟏` by `x: n` has no variable, but `n` is the length of x's value).
fn sizes_for<V>(
    store: &MatStore,
    roots: &[MId],
    point: &HashMap<String, Dense<V>>,
) -> Result<HashMap<String, u64>, MatEvalError> {
    let mut vars = store.variables_of(roots);
    let mut others: Vec<&String> = point
        .keys()
        .filter(|n| !vars.contains(n) && store.shape_of_var(n).is_some())
        .collect();
    others.sort();
    vars.extend(others.into_iter().cloned());
    bind_dims(store, &vars, point)
}

/// A dimension's size; a symbol no value gives a size to is an error, never an empty matrix.
fn known(d: &Dim, sizes: &HashMap<String, u64>) -> Result<usize, MatEvalError> {
    match d {
        Dim::Known(k) => Ok(*k as usize),
        Dim::Sym(s) => sizes.get(s).map(|&k| k as usize).ok_or_else(|| {
            MatEvalError::Shape(format!(
                "the size `{s}` is not known: no value in the point has a dimension `{s}`"
            ))
        }),
    }
}

/// Evaluates `roots` with the backend `b`; `give_up` stops the evaluation (as not exact) when
/// a value is one it cannot finish with.
pub fn evaluate_with<B: DenseBackend>(
    b: &B,
    store: &MatStore,
    roots: &[MId],
    point: &HashMap<String, Dense<B::V>>,
    sizes: &HashMap<String, u64>,
    give_up: &dyn Fn(&Dense<B::V>) -> bool,
) -> Result<Vec<Dense<B::V>>, MatEvalError> {
    let order = store.reachable(roots);
    let mut vals: HashMap<MId, Dense<B::V>> = HashMap::with_capacity(order.len());
    let num = |r: &Rational| b.num(r);
    for &id in &order {
        let at = |f: Fail| MatEvalError::At(id, f);
        let v = |i: &MId| &vals[i];
        let scalar = |d: &Dense<B::V>| d.get(0, 0).clone();
        let value: Dense<B::V> = match store.node(id) {
            Node::Var(n) => match point.get(n) {
                Some(v) => v.clone(),
                None => return Err(MatEvalError::Unbound(n.clone())),
            },
            Node::Num(r) => Dense::scalar(num(r).map_err(at)?),
            Node::Identity(n) => b.identity(known(n, sizes)?).map_err(at)?,
            Node::Ones(s) => b
                .ones(known(&s.rows, sizes)?, known(&s.cols, sizes)?)
                .map_err(at)?,
            Node::Zero(s) => {
                let z = num(&Rational::new()).map_err(at)?;
                Dense::from_fn(known(&s.rows, sizes)?, known(&s.cols, sizes)?, |_, _| {
                    z.clone()
                })
            }
            Node::Add(ts) => {
                // Non-scalar terms first, so a scalar is added to every entry.
                let mut sorted: Vec<&MId> = ts.iter().collect();
                sorted.sort_by_key(|t| v(t).shape() == (1, 1));
                let mut acc = v(sorted[0]).clone();
                for t in &sorted[1..] {
                    acc = b.add(&acc, v(t)).map_err(at)?;
                }
                acc
            }
            Node::Scale(k, a) => b.scale(&scalar(v(k)), v(a)).map_err(at)?,
            Node::MatMul(x, y) => {
                // A transposed operand is read transposed, not built.
                let (xt, x) = match store.node(*x) {
                    Node::Transpose(inner) => (true, inner),
                    _ => (false, x),
                };
                let (yt, y) = match store.node(*y) {
                    Node::Transpose(inner) => (true, inner),
                    _ => (false, y),
                };
                b.matmul_t(v(x), xt, v(y), yt).map_err(at)?
            }
            Node::Hadamard(x, y) => b.hadamard(v(x), v(y)).map_err(at)?,
            Node::Quot(x, y) => b.divide(v(x), v(y)).map_err(at)?,
            Node::Pow(x, p) => match store.num(*p) {
                Some(e) => b.power_const(v(x), e).map_err(at)?,
                None => b.power(v(x), v(p)).map_err(at)?,
            },
            Node::Transpose(x) => b.transpose(v(x)).map_err(at)?,
            Node::Map(Fun::Abstract(name), _, _) => {
                return Err(MatEvalError::Abstract(name.clone()));
            }
            Node::Map(Fun::Builtin(f), 0, x) => b.apply(*f, &[v(x)]).map_err(at)?,
            Node::Map(Fun::Builtin(Builtin::Sigmoid), k @ (1 | 2), x) => {
                // σ' = σ(1 − σ), σ'' = σ(1 − σ)(1 − 2σ)
                let s = b.apply(Builtin::Sigmoid, &[v(x)]).map_err(at)?;
                let one = Dense::scalar(num(&Rational::from(1)).map_err(at)?);
                let om = b.sub(&one, &s).map_err(at)?;
                let d1 = b.hadamard(&s, &om).map_err(at)?;
                if *k == 1 {
                    d1
                } else {
                    let two = num(&Rational::from(2)).map_err(at)?;
                    let s2 = b.scale(&two, &s).map_err(at)?;
                    let o2 = b.sub(&one, &s2).map_err(at)?;
                    b.hadamard(&d1, &o2).map_err(at)?
                }
            }
            Node::Map(Fun::Builtin(f), k, _) => {
                return Err(at(Fail::Domain(format!(
                    "no value for the derivative of order {k} of {}",
                    f.name()
                ))));
            }
            Node::Sum(x) => Dense::scalar(b.sum_entries(v(x)).map_err(at)?),
            Node::Trace(x) => Dense::scalar(b.trace(v(x)).map_err(at)?),
            Node::Det(x) => Dense::scalar(b.det(v(x)).map_err(at)?),
            Node::LogDet(x) => Dense::scalar(b.logdet(v(x)).map_err(at)?),
            Node::Inv(x) => b.inverse(v(x)).map_err(at)?,
            Node::Norm1(x) => Dense::scalar(b.norm1(v(x)).map_err(at)?),
            Node::Norm2(x) => Dense::scalar(b.norm2(v(x)).map_err(at)?),
            Node::DiagMat(x) | Node::DiagVec(x) => b.diag(v(x)).map_err(at)?,
            Node::Softmax(x) => b.softmax(v(x)).map_err(at)?,
            Node::LogSumExp(x) => Dense::scalar(b.logsumexp(v(x)).map_err(at)?),
            Node::Apply(f, _) | Node::Jacobian(f, _) => {
                return Err(MatEvalError::Abstract(f.clone()));
            }
        };
        if give_up(&value) {
            return Err(MatEvalError::At(id, Fail::NotExact));
        }
        vals.insert(id, value);
    }
    Ok(roots.iter().map(|r| vals[r].clone()).collect())
}

fn convert<V>(point: &MatPoint, f: impl Fn(&Rational) -> V) -> HashMap<String, Dense<V>> {
    point
        .iter()
        .map(|(n, d)| (n.clone(), d.map(|r| f(r))))
        .collect()
}

/// Evaluates `roots` in IEEE double at a point given in doubles (as NumPy would hold it:
/// a finite-difference step added in doubles, not exactly).
pub fn evaluate_f64(
    store: &MatStore,
    roots: &[MId],
    point: &HashMap<String, Dense<f64>>,
) -> Result<Vec<Dense<f64>>, MatEvalError> {
    let sizes = sizes_for(store, roots, point)?;
    evaluate_with(&F64, store, roots, point, &sizes, &|_| false)
}

/// Evaluates `roots` at `point` in `mode`: exact where every value is rational (else MPFR
/// with checked digits, with a note when fewer are reliable), MPFR, or f64.
pub fn evaluate(
    store: &MatStore,
    roots: &[MId],
    point: &MatPoint,
    mode: Mode,
) -> Result<(Vec<MatValue>, Option<String>), MatEvalError> {
    let sizes = sizes_for(store, roots, point)?;
    let wrap = |ds: Vec<Dense<Value>>| -> Vec<MatValue> {
        ds.into_iter().map(|entries| MatValue { entries }).collect()
    };
    let mpfr = |prec: u32| -> Result<Vec<MatValue>, MatEvalError> {
        let env = convert(point, |r| Float::with_val(prec, r));
        let out = evaluate_with(&Mpfr::new(prec), store, roots, &env, &sizes, &|_| false)?;
        Ok(wrap(
            out.into_iter()
                .map(|d| d.map(|f| Value::Mpfr(f.clone())))
                .collect(),
        ))
    };
    let checked = |prec: u32| -> Result<(Vec<MatValue>, Option<String>), MatEvalError> {
        checked_mpfr(prec, true, mpfr, |vs: &mut Vec<MatValue>| {
            vs.iter_mut()
                .flat_map(|m| m.entries.data_mut().iter_mut())
                .collect()
        })
    };
    match mode {
        Mode::F64 => {
            let env = convert(point, super::nearest_f64);
            let out = evaluate_with(&F64, store, roots, &env, &sizes, &|_| false)?;
            Ok((
                wrap(out.into_iter().map(|d| d.map(|x| Value::F64(*x))).collect()),
                None,
            ))
        }
        Mode::Mpfr(prec) => Ok((mpfr(prec)?, None)),
        Mode::Auto(prec) => {
            let exact = Exact::new(crate::expr::Limits::default().max_exact_bits);
            let env = convert(point, |r| ExactVal::Q(r.clone()));
            // An irrational value ends exact arithmetic at once: the rest would be carried
            // at 512 bits only to be refused at the end.
            let irrational =
                |d: &Dense<ExactVal>| d.data().iter().any(|v| matches!(v, ExactVal::Approx(_)));
            match evaluate_with(&exact, store, roots, &env, &sizes, &irrational) {
                Ok(out) => {
                    let mut res = Vec::with_capacity(out.len());
                    let mut all_exact = true;
                    for d in out {
                        let e = d.try_map(|v| v.clone().exact());
                        match e {
                            Ok(q) => res.push(MatValue {
                                entries: q.map(|r| Value::Exact(r.clone())),
                            }),
                            Err(_) => {
                                all_exact = false;
                                break;
                            }
                        }
                    }
                    if all_exact {
                        Ok((res, None))
                    } else {
                        checked(prec)
                    }
                }
                Err(MatEvalError::At(_, Fail::NotExact | Fail::TooLarge)) => checked(prec),
                Err(e) => Err(e),
            }
        }
    }
}

/// The arguments of the step and sign functions in `roots` (the derivatives of relu and abs):
/// where one of their entries is 0 the derivative is a convention (step(0) = sign(0) = 0),
/// a kink the user should be told about.
pub fn kink_arguments(store: &MatStore, roots: &[MId]) -> Vec<MId> {
    store
        .reachable(roots)
        .into_iter()
        .filter_map(|id| match store.node(id) {
            Node::Map(Fun::Builtin(Builtin::Step | Builtin::Sign), 0, a) => Some(*a),
            _ => None,
        })
        .collect()
}

/// A warning for each kink argument with an entry exactly 0 (`values` are the arguments'
/// values, in the order of `args`).
pub fn kinks_met(store: &MatStore, args: &[MId], values: &[MatValue]) -> Vec<String> {
    let mut out = Vec::new();
    for (a, v) in args.iter().zip(values) {
        let d = &v.entries;
        let zeros: Vec<String> = (0..d.data().len())
            .filter(|&k| match &d.data()[k] {
                Value::Exact(r) => *r == 0,
                Value::Mpfr(f) => f.is_zero(),
                Value::F64(x) => *x == 0.0,
            })
            .map(|k| match d.shape() {
                (1, 1) => String::new(),
                (_, 1) => format!("entry {}", k + 1),
                (_, c) => format!("entry ({}, {})", k / c + 1, k % c + 1),
            })
            .collect();
        if zeros.is_empty() {
            continue;
        }
        let place = if zeros.iter().all(String::is_empty) {
            String::new()
        } else {
            format!(" at {}", zeros.join(", "))
        };
        out.push(format!(
            "warning: kink: {} is 0{place}, where relu and abs have no derivative; step(0) = sign(0) = 0 is used there (one of the one-sided values)",
            crate::matrix::text(store, *a)
        ));
    }
    out
}

/// Checks that every part of an input as written is defined at `point`: `parts` are its
/// subexpressions as lowered (simplified, inner ones first, with their places in `src`), and
/// simplifying may have cancelled one that is not (`0*sum(log(x))`, `inv(inv(A))` at a
/// singular A). The innermost failing part is the error, with a caret.
pub fn check_written(
    store: &MatStore,
    parts: &[(MId, crate::syntax::ast::Span)],
    point: &MatPoint,
    mode: Mode,
    (src, src_name): (&str, &str),
) -> Result<(), crate::Error> {
    let ids: Vec<MId> = parts.iter().map(|(id, _)| *id).collect();
    if ids.is_empty() || evaluate(store, &ids, point, mode).is_ok() {
        return Ok(());
    }
    for (id, span) in parts {
        if let Err(err) = evaluate(store, &[*id], point, mode) {
            let crate::Error::Domain { message, .. } = err.describe(store) else {
                return Err(err.describe(store));
            };
            let e = crate::error::SourceError::new(
                src_name,
                src,
                span.start,
                span.end,
                message,
                "undefined here",
            )
            .with_help(
                "as written, the input is undefined here, even though simplifying cancels this part",
            );
            return Err(crate::Error::DomainAt(Box::new(e)));
        }
    }
    Ok(())
}
