//! Numbers for shaped expressions ([`crate::matrix`]): every node evaluated on whole dense
//! matrices ([`Dense`]) in one backend: exact rationals when every value stays rational,
//! else MPFR with its digits checked as for scalars ([`checked_mpfr`]), or IEEE f64.
//!
//! Matrices are never expanded into scalar nodes: a product is one call of the backend's
//! matrix product (BLAS-class for f64), whatever the sizes.

use super::dense::{Dense, DenseBackend};
use super::{Exact, ExactVal, F64, Fail, Mode, Mpfr, Value, checked_mpfr};
use crate::expr::Builtin;
use crate::matrix::{Dim, Fun, MId, MatStore, Node};
use rug::Rational;
use std::borrow::Cow;
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
        let declared = store.var_shape(name);
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

/// The node a [`Node::MatMul`] reads for operand `x`: the transposed matrix itself when `x`
/// is a transpose (the product reads it transposed in place), and whether it did.
fn through_transpose(store: &MatStore, x: MId) -> (MId, bool) {
    match store.node(x) {
        Node::Transpose(inner) => (*inner, true),
        _ => (x, false),
    }
}

/// The order of an evaluation and what each node reads: worked out once before any number,
/// so that every value is dropped after its last reader, and the last reader may write into
/// it instead of allocating.
struct Plan {
    /// The nodes to compute, children before parents.
    order: Vec<MId>,
    /// For each node (by id), how many reads of its value are still to come, the roots'
    /// included; 0 for a node not computed (a transpose only ever read in place).
    reads: Vec<u32>,
    /// For `x`, the node `σ(x)` when it comes before a node `σ'(x)` or `σ''(x)`, which
    /// then read its values instead of computing them again.
    sigmoid_of: HashMap<MId, MId>,
    /// The nodes `k·(AB)` that compute their product themselves, in one call
    /// ([`DenseBackend::scaled_matmul_t`]): the product has no other reader, and is not
    /// computed on its own.
    fused: Vec<bool>,
}

impl Plan {
    fn new(store: &MatStore, roots: &[MId], fold_scale: bool) -> Plan {
        let reachable = store.reachable(roots);
        let mut sigmoid_of = HashMap::new();
        for &id in &reachable {
            if let Node::Map(Fun::Builtin(Builtin::Sigmoid), 0, x) = store.node(id) {
                sigmoid_of.entry(*x).or_insert(id);
            }
        }
        let mut plan = Plan {
            order: Vec::with_capacity(reachable.len()),
            reads: vec![0; store.len()],
            sigmoid_of,
            fused: vec![false; store.len()],
        };
        for r in roots {
            plan.reads[r.0 as usize] += 1;
        }
        // Parents before children: a node's readers are all counted when it is reached.
        for &id in reachable.iter().rev() {
            if plan.reads[id.0 as usize] > 0 {
                for c in plan.operands(store, id) {
                    plan.reads[c.0 as usize] += 1;
                }
            }
        }
        if fold_scale {
            // The product's reads become the scaling's: the counts stay as they are.
            for &id in &reachable {
                if let Node::Scale(_, m) = store.node(id)
                    && plan.reads[id.0 as usize] > 0
                    && matches!(store.node(*m), Node::MatMul(..))
                    && plan.reads[m.0 as usize] == 1
                {
                    plan.fused[id.0 as usize] = true;
                    plan.reads[m.0 as usize] = 0;
                }
            }
        }
        plan.order = reachable
            .into_iter()
            .filter(|id| plan.reads[id.0 as usize] > 0)
            .collect();
        plan
    }

    /// The nodes whose values `id` reads, once per read.
    fn operands(&self, store: &MatStore, id: MId) -> Vec<MId> {
        match store.node(id) {
            Node::MatMul(x, y) => vec![
                through_transpose(store, *x).0,
                through_transpose(store, *y).0,
            ],
            Node::Scale(k, m) if self.fused[id.0 as usize] => {
                let mut ops = self.operands(store, *m);
                ops.insert(0, *k);
                ops
            }
            Node::Map(Fun::Builtin(Builtin::Sigmoid), 1 | 2, x) => match self.sigmoid_of.get(x) {
                Some(&s) if s < id => vec![s],
                _ => vec![*x],
            },
            n => n.children(),
        }
    }
}

/// The values of an evaluation: borrowed from the point for variables, computed for the rest.
struct Values<'p, V: Clone> {
    slots: Vec<Option<Cow<'p, Dense<V>>>>,
}

impl<'p, V: Clone> Values<'p, V> {
    fn get(&self, id: MId) -> &Dense<V> {
        self.slots[id.0 as usize]
            .as_deref()
            .expect("a value computed before its readers")
    }

    /// The value for its last reader to take (a computed one: a variable's stays borrowed).
    fn take_last(&mut self, plan: &Plan, id: MId) -> Option<Dense<V>> {
        let slot = &mut self.slots[id.0 as usize];
        if plan.reads[id.0 as usize] == 1 && matches!(slot, Some(Cow::Owned(_))) {
            slot.take().map(Cow::into_owned)
        } else {
            None
        }
    }

    /// `id`'s value, handed over when this is its last read.
    fn arg(&mut self, plan: &Plan, id: MId) -> Cow<'_, Dense<V>> {
        match self.take_last(plan, id) {
            Some(d) => Cow::Owned(d),
            None => Cow::Borrowed(self.get(id)),
        }
    }

    /// Two values, each handed over on its last read.
    fn args2(&mut self, plan: &Plan, x: MId, y: MId) -> (Cow<'_, Dense<V>>, Cow<'_, Dense<V>>) {
        let (tx, ty) = (self.take_last(plan, x), self.take_last(plan, y));
        let pick = |t: Option<Dense<V>>, id: MId| match t {
            Some(d) => Cow::Owned(d),
            None => Cow::Borrowed(self.get(id)),
        };
        (pick(tx, x), pick(ty, y))
    }
}

/// Evaluates `roots` with the backend `b`; `give_up` stops the evaluation (as not exact) when
/// a value is one it cannot finish with.
///
/// Variables are read from `point` in place; each computed value is dropped after its last
/// reader, which may write its result into it ([`DenseBackend::add_reusing`] and the like);
/// a transposed operand of a product is read in place, never built.
pub fn evaluate_with<'p, B: DenseBackend>(
    b: &B,
    store: &MatStore,
    roots: &[MId],
    point: &'p HashMap<String, Dense<B::V>>,
    sizes: &HashMap<String, u64>,
    give_up: &dyn Fn(&Dense<B::V>) -> bool,
) -> Result<Vec<Dense<B::V>>, MatEvalError> {
    let mut plan = Plan::new(store, roots, b.folds_scale_into_product());
    let mut vals: Values<'p, B::V> = Values {
        slots: (0..store.len()).map(|_| None).collect(),
    };
    let num = |r: &Rational| b.num(r);
    let order = std::mem::take(&mut plan.order);
    for &id in &order {
        let at = |f: Fail| MatEvalError::At(id, f);
        let scalar = |d: &Dense<B::V>| d.get(0, 0).clone();
        let value: Cow<'p, Dense<B::V>> = match store.node(id) {
            Node::Var(n) => match point.get(n) {
                Some(v) => Cow::Borrowed(v),
                None => return Err(MatEvalError::Unbound(n.clone())),
            },
            node => Cow::Owned(match node {
                Node::Var(_) => unreachable!("a variable is read from the point"),
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
                    let mut sorted: Vec<MId> = ts.clone();
                    sorted.sort_by_key(|t| vals.get(*t).shape() == (1, 1));
                    let mut acc = match sorted[..] {
                        [only] => vals.get(only).clone(),
                        _ => {
                            let (x, y) = vals.args2(&plan, sorted[0], sorted[1]);
                            b.add_reusing(x, y).map_err(at)?
                        }
                    };
                    for t in sorted.iter().skip(2) {
                        let y = vals.arg(&plan, *t);
                        acc = b.add_reusing(Cow::Owned(acc), y).map_err(at)?;
                    }
                    acc
                }
                Node::Scale(k, m) if plan.fused[id.0 as usize] => {
                    let Node::MatMul(x, y) = store.node(*m) else {
                        unreachable!("only a scaled product is fused")
                    };
                    let (x, xt) = through_transpose(store, *x);
                    let (y, yt) = through_transpose(store, *y);
                    let (k, x, y) = (scalar(vals.get(*k)), vals.get(x), vals.get(y));
                    match b.scaled_matmul_t(&k, x, xt, y, yt) {
                        Ok(v) => v,
                        Err(e) => {
                            // The product alone, to name it when it is what failed.
                            b.matmul_t(x, xt, y, yt)
                                .map_err(|f| MatEvalError::At(*m, f))?;
                            return Err(at(e));
                        }
                    }
                }
                Node::Scale(k, a) => {
                    let k = scalar(vals.get(*k));
                    b.scale_reusing(&k, vals.arg(&plan, *a)).map_err(at)?
                }
                Node::MatMul(x, y) => {
                    // A transposed operand is read transposed, not built.
                    let (x, xt) = through_transpose(store, *x);
                    let (y, yt) = through_transpose(store, *y);
                    b.matmul_t(vals.get(x), xt, vals.get(y), yt).map_err(at)?
                }
                Node::Hadamard(x, y) => {
                    let (x, y) = vals.args2(&plan, *x, *y);
                    b.hadamard_reusing(x, y).map_err(at)?
                }
                Node::Quot(x, y) => b.divide(vals.get(*x), vals.get(*y)).map_err(at)?,
                Node::Pow(x, p) => match store.num(*p) {
                    Some(e) => b.power_const(vals.get(*x), e).map_err(at)?,
                    None => b.power(vals.get(*x), vals.get(*p)).map_err(at)?,
                },
                Node::Transpose(x) => b.transpose(vals.get(*x)).map_err(at)?,
                Node::Map(Fun::Abstract(name), _, _) => {
                    return Err(MatEvalError::Abstract(name.clone()));
                }
                Node::Map(Fun::Builtin(f), 0, x) => {
                    b.apply_reusing(*f, vals.arg(&plan, *x)).map_err(at)?
                }
                Node::Map(Fun::Builtin(Builtin::Sigmoid), k @ (1 | 2), x) => {
                    // σ' = σ(1 − σ), σ'' = σ(1 − σ)(1 − 2σ), from σ's values when they are
                    // computed already.
                    let s = match plan.operands(store, id)[..] {
                        [s] if s != *x => Cow::Borrowed(vals.get(s)),
                        _ => Cow::Owned(b.apply(Builtin::Sigmoid, &[vals.get(*x)]).map_err(at)?),
                    };
                    let d1 = b.sigmoid_derivative(&s).map_err(at)?;
                    if *k == 1 {
                        d1
                    } else {
                        let one = Dense::scalar(num(&Rational::from(1)).map_err(at)?);
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
                Node::Sum(x) => Dense::scalar(b.sum_entries(vals.get(*x)).map_err(at)?),
                Node::Trace(x) => Dense::scalar(b.trace(vals.get(*x)).map_err(at)?),
                Node::Det(x) => Dense::scalar(b.det(vals.get(*x)).map_err(at)?),
                Node::LogDet(x) => Dense::scalar(b.logdet(vals.get(*x)).map_err(at)?),
                Node::Inv(x) => b.inverse(vals.get(*x)).map_err(at)?,
                Node::Norm1(x) => Dense::scalar(b.norm1(vals.get(*x)).map_err(at)?),
                Node::Norm2(x) => Dense::scalar(b.norm2(vals.get(*x)).map_err(at)?),
                Node::DiagMat(x) | Node::DiagVec(x) => b.diag(vals.get(*x)).map_err(at)?,
                Node::Softmax(x) => b.softmax(vals.get(*x)).map_err(at)?,
                Node::LogSumExp(x) => Dense::scalar(b.logsumexp(vals.get(*x)).map_err(at)?),
                Node::Apply(f, _) | Node::Jacobian(f, _) => {
                    return Err(MatEvalError::Abstract(f.clone()));
                }
            }),
        };
        if give_up(&value) {
            return Err(MatEvalError::At(id, Fail::NotExact));
        }
        // This node's reads are done: a value read for the last time is dropped.
        for c in plan.operands(store, id) {
            let r = &mut plan.reads[c.0 as usize];
            *r -= 1;
            if *r == 0 {
                vals.slots[c.0 as usize] = None;
            }
        }
        vals.slots[id.0 as usize] = Some(value);
    }
    // The roots' values, handed over (cloned for a root listed again later).
    let mut out = Vec::with_capacity(roots.len());
    for (i, r) in roots.iter().enumerate() {
        let slot = &mut vals.slots[r.0 as usize];
        out.push(if roots[i + 1..].contains(r) {
            slot.as_deref().expect("a root's value").clone()
        } else {
            slot.take().expect("a root's value").into_owned()
        });
    }
    Ok(out)
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
        let backend = Mpfr::new(prec);
        let env = convert(point, |r| backend.input(r));
        let out = evaluate_with(&backend, store, roots, &env, &sizes, &|_| false)?;
        Ok(wrap(
            out.into_iter()
                .map(|d| d.map(|f| Value::Mpfr(f.clone())))
                .collect(),
        ))
    };
    let checked = |prec: u32| -> Result<(Vec<MatValue>, Option<String>), MatEvalError> {
        checked_mpfr(prec, true, false, mpfr, |vs: &mut Vec<MatValue>| {
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
                |d: &Dense<ExactVal>| d.data().iter().any(|v| matches!(v, ExactVal::Approx(..)));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::Shape;
    use crate::syntax::{MatrixLowerer, parse_expr};

    fn store_2x2(names: &[&str]) -> MatStore {
        let mut store = MatStore::new();
        for n in names {
            store.declare(n, Shape::matrix(Dim::Known(2), Dim::Known(2)));
        }
        store
    }

    fn lower(store: &mut MatStore, src: &str) -> MId {
        let ast = parse_expr(src, "<test>").unwrap();
        MatrixLowerer::new(store, src, "<test>").expr(&ast).unwrap()
    }

    fn point(values: &[(&str, [f64; 4])]) -> HashMap<String, Dense<f64>> {
        values
            .iter()
            .map(|(n, v)| (n.to_string(), Dense::new(2, 2, v.to_vec())))
            .collect()
    }

    /// Where `At` points, and its message.
    fn failure(store: &MatStore, r: Result<Vec<Dense<f64>>, MatEvalError>) -> (String, String) {
        match r {
            Err(MatEvalError::At(id, Fail::Domain(m))) => (crate::matrix::text(store, id), m),
            other => panic!("expected a domain error, got {other:?}"),
        }
    }

    #[test]
    fn a_product_folded_with_its_factor_names_whichever_overflowed() {
        let mut store = store_2x2(&["A", "B"]);
        let e = lower(&mut store, "2*(A*B)");
        let big = point(&[("A", [1e300, 0.0, 0.0, 1.0]), ("B", [1e300, 0.0, 0.0, 1.0])]);
        let (at, msg) = failure(&store, evaluate_f64(&store, &[e], &big));
        assert_eq!(
            (at.as_str(), msg.as_str()),
            ("A*B", "overflow at entry (1, 1)")
        );
        // The product is finite (1e308), twice it is not.
        let near = point(&[("A", [1e308, 0.0, 0.0, 1.0]), ("B", [1.0, 0.0, 0.0, 1.0])]);
        let (at, msg) = failure(&store, evaluate_f64(&store, &[e], &near));
        assert_eq!(
            (at.as_str(), msg.as_str()),
            ("2*A*B", "overflow at entry (1, 1)")
        );
    }

    #[test]
    fn values_read_again_are_not_overwritten_by_an_earlier_reader() {
        // A*B is a root and read by 2*(A*B) and σ(A*B), σ' reads σ's values, Bᵀ is read in
        // place by a product and as a value by a sum: every value as computed on its own.
        let mut store = store_2x2(&["A", "B"]);
        let p = lower(&mut store, "A*B");
        let twice = lower(&mut store, "2*(A*B)");
        let s = lower(&mut store, "sigmoid(A*B)");
        let e = lower(&mut store, "sum(sigmoid(A*B))");
        let d = crate::matrix::gradient(&mut store, e, "A").unwrap();
        let t = lower(&mut store, "A*B' + B'");
        let at = point(&[("A", [1.0, 2.0, 3.0, 4.0]), ("B", [0.5, -1.0, 2.0, 0.25])]);
        let roots = [twice, p, s, d, t, p];
        let got = evaluate_f64(&store, &roots, &at).unwrap();
        let alone: Vec<Dense<f64>> = roots
            .iter()
            .map(|r| evaluate_f64(&store, &[*r], &at).unwrap().remove(0))
            .collect();
        assert_eq!(got, alone);
        assert_eq!(got[1].data(), &[4.5, -0.5, 9.5, -2.0]);
        assert_eq!(got[0].data(), &[9.0, -1.0, 19.0, -4.0]);
        // A·Bᵀ + Bᵀ = [[-1.5, 2.5], [-2.5, 7]] + [[0.5, 2], [-1, 0.25]]
        assert_eq!(got[4].data(), &[-1.0, 4.5, -3.5, 7.25]);
        let sigma = |z: f64| 1.0 / (1.0 + (-z).exp());
        let want: Vec<f64> = [4.5, -0.5, 9.5, -2.0].iter().map(|z| sigma(*z)).collect();
        assert_eq!(got[2].data(), &want[..]);
    }
}
