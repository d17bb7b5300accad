//! Derivatives of shaped expressions: gradients by reverse mode, one adjoint rule per
//! operation (M. Giles, "An extended collection of matrix derivative results for forward and
//! reverse mode algorithmic differentiation", 2008), and Jacobians of vector expressions by
//! forward mode.
//!
//! The gradient of a scalar by a vector or matrix has that variable's shape (∇_W E is shaped
//! like W). The Jacobian of a vector by a vector has a row per output and a column per input.

use super::build::Built;
use super::shape::{Shape, ShapeError};
use super::store::{Fun, MId, MatStore, Node};
use crate::expr::Builtin;
use std::collections::HashMap;

/// Why a derivative cannot be taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MatDiffError {
    /// A derivative rule built a badly shaped expression (a bug), or the input is badly shaped.
    #[error("{0}")]
    Shape(ShapeError),
    /// The derivative exists but is not representable here.
    #[error("{0}")]
    Unsupported(String),
}

impl From<ShapeError> for MatDiffError {
    fn from(e: ShapeError) -> Self {
        MatDiffError::Shape(e)
    }
}

type Res = Result<MId, MatDiffError>;

/// The variable node named `wrt` in `store`, if the expression uses it.
fn find_var(store: &MatStore, root: MId, wrt: &str) -> Option<MId> {
    store
        .reachable(&[root])
        .into_iter()
        .find(|&id| matches!(store.node(id), Node::Var(n) if n == wrt))
}

/// Which of `order`'s nodes depend on `v`.
fn dependents(store: &MatStore, order: &[MId], v: MId) -> HashMap<MId, bool> {
    let mut dep = HashMap::with_capacity(order.len());
    for &id in order {
        let d = id == v || store.node(id).children().iter().any(|c| dep[c]);
        dep.insert(id, d);
    }
    dep
}

/// The derivative of an element-wise function at `a`: `f'(a)` (or the next derivative).
pub fn map_derivative(store: &mut MatStore, f: &Fun, order: u32, a: MId) -> Built {
    let b = match f {
        Fun::Abstract(_) => return Ok(store.map(f.clone(), order + 1, a)),
        Fun::Builtin(b) if order > 0 => {
            if *b == Builtin::Sigmoid {
                return Ok(store.map(f.clone(), order + 1, a));
            }
            return Err(ShapeError {
                message: format!("the derivative of {}' of a vector or matrix", b.name()),
            });
        }
        Fun::Builtin(b) => *b,
    };
    let one = store.int(1);
    let builtin = |s: &mut MatStore, g: Builtin| s.map(Fun::Builtin(g), 0, a);
    Ok(match b {
        Builtin::Exp => builtin(store, Builtin::Exp),
        Builtin::Log => store.quot(one, a)?,
        Builtin::Sin => builtin(store, Builtin::Cos),
        Builtin::Cos => {
            let s = builtin(store, Builtin::Sin);
            store.neg(s)
        }
        Builtin::Tan | Builtin::Tanh => {
            let t = builtin(store, b);
            let two = store.int(2);
            let t2 = store.pow(t, two)?;
            if b == Builtin::Tan {
                store.add2(one, t2)?
            } else {
                store.sub(one, t2)?
            }
        }
        Builtin::Cot => {
            let c = builtin(store, Builtin::Cot);
            let two = store.int(2);
            let c2 = store.pow(c, two)?;
            let s = store.add2(one, c2)?;
            store.neg(s)
        }
        Builtin::Sech => {
            let s = builtin(store, Builtin::Sech);
            let t = builtin(store, Builtin::Tanh);
            let st = store.hadamard(s, t)?;
            store.neg(st)
        }
        Builtin::Abs => builtin(store, Builtin::Sign),
        Builtin::Relu => builtin(store, Builtin::Step),
        Builtin::Softplus => builtin(store, Builtin::Sigmoid),
        Builtin::Sigmoid => store.map(Fun::Builtin(Builtin::Sigmoid), 1, a),
        Builtin::Sign | Builtin::Step => {
            let shape = store.shape(a).clone();
            store.zero(shape)
        }
        Builtin::Max | Builtin::Min => {
            return Err(ShapeError {
                message: format!("{} is not an element-wise function", b.name()),
            });
        }
    })
}

/// A contribution to a scalar's adjoint from a non-scalar use: the sum of its entries.
fn unbroadcast(store: &mut MatStore, child: MId, contribution: MId) -> Built {
    if store.is_scalar(child) && !store.is_scalar(contribution) {
        store.sum(contribution)
    } else {
        Ok(contribution)
    }
}

/// `⟨g, a⟩ = sum(g ⊙ a)`: `gᵀa` for vectors, `g·a` for scalars.
fn inner(store: &mut MatStore, g: MId, a: MId) -> Built {
    if store.is_scalar(a) || store.is_scalar(g) {
        return store.scale(g, a);
    }
    if store.shape(a).cols.is_one() {
        let gt = store.transpose(g)?;
        return store.matmul(gt, a);
    }
    let h = store.hadamard(g, a)?;
    store.sum(h)
}

/// The gradient of the scalar `root` by the variable `wrt`, shaped like `wrt`.
pub fn gradient(store: &mut MatStore, root: MId, wrt: &str) -> Res {
    if !store.is_scalar(root) {
        return Err(MatDiffError::Unsupported(format!(
            "the expression is {}, not a scalar: its derivative by `{wrt}` is a Jacobian (vector by vector) or a tensor",
            store.shape(root).describe()
        )));
    }
    let Some(v) = find_var(store, root, wrt) else {
        let shape = store.var_shape(wrt);
        return Ok(store.zero(shape));
    };
    let order = store.reachable(&[root]);
    let dep = dependents(store, &order, v);
    let mut contributions: HashMap<MId, Vec<MId>> = HashMap::new();
    let one = store.int(1);
    contributions.insert(root, vec![one]);
    for &c in order.iter().rev() {
        if !dep[&c] || c == v {
            continue;
        }
        let Some(parts) = contributions.remove(&c) else {
            continue;
        };
        let g = store.add(parts)?;
        if store.is_zero(g) {
            continue;
        }
        for (child, adj) in adjoint_rule(store, c, g)? {
            if dep[&child] {
                let adj = unbroadcast(store, child, adj)?;
                contributions.entry(child).or_default().push(adj);
            }
        }
    }
    let parts = contributions.remove(&v).unwrap_or_default();
    let shape = store.shape(v).clone();
    let g = store.add(parts)?;
    if store.is_zero(g) {
        return Ok(store.zero(shape));
    }
    debug_assert_eq!(store.shape(g), &shape);
    Ok(g)
}

/// The adjoint contributions of node `c` with adjoint `g` to its children.
fn adjoint_rule(store: &mut MatStore, c: MId, g: MId) -> Result<Vec<(MId, MId)>, MatDiffError> {
    let node = store.node(c).clone();
    let s = store;
    Ok(match node {
        Node::Var(_) | Node::Num(_) | Node::Identity(_) | Node::Ones(_) | Node::Zero(_) => vec![],
        Node::Add(ts) => ts.into_iter().map(|t| (t, g)).collect(),
        Node::Scale(k, a) => {
            let gk = inner(s, g, a)?;
            let ga = s.scale(k, g)?;
            vec![(k, gk), (a, ga)]
        }
        Node::MatMul(a, b) => {
            let bt = s.transpose(b)?;
            let at = s.transpose(a)?;
            let ga = s.matmul(g, bt)?;
            let gb = s.matmul(at, g)?;
            vec![(a, ga), (b, gb)]
        }
        Node::Hadamard(a, b) => {
            let ga = s.hadamard(g, b)?;
            let gb = s.hadamard(g, a)?;
            vec![(a, ga), (b, gb)]
        }
        Node::Quot(a, b) => {
            // c = a ./ b: ā = g ./ b, b̄ = -(g ⊙ a) ./ b.^2
            let ga = s.quot(g, b)?;
            let ga_ = s.hadamard(g, a)?;
            let two = s.int(2);
            let b2 = s.pow(b, two)?;
            let q = s.quot(ga_, b2)?;
            let gb = s.neg(q);
            vec![(a, ga), (b, gb)]
        }
        Node::Pow(a, p) => {
            // ā = g ⊙ p·a.^(p-1); p̄ = sum(g ⊙ c ⊙ log a)
            let m1 = s.int(-1);
            let pm1 = s.add2(p, m1)?;
            let apm1 = s.pow(a, pm1)?;
            let d = s.scale(p, apm1)?;
            let ga = s.hadamard(g, d)?;
            let la = s.map(Fun::Builtin(Builtin::Log), 0, a);
            let cl = s.hadamard(c, la)?;
            let gp = inner(s, g, cl)?;
            vec![(a, ga), (p, gp)]
        }
        Node::Transpose(a) => vec![(a, s.transpose(g)?)],
        Node::Map(f, k, a) => {
            let d = map_derivative(s, &f, k, a)?;
            vec![(a, s.hadamard(g, d)?)]
        }
        Node::Sum(a) => {
            let ones = s.ones(s.shape(a).clone());
            vec![(a, s.scale(g, ones)?)]
        }
        Node::Trace(a) => {
            let i = s.identity(s.shape(a).rows.clone());
            vec![(a, s.scale(g, i)?)]
        }
        Node::Det(a) => {
            // ā = g·det(a)·a⁻ᵀ
            let inv = s.inv(a)?;
            let it = s.transpose(inv)?;
            let ci = s.scale(c, it)?;
            vec![(a, s.scale(g, ci)?)]
        }
        Node::LogDet(a) => {
            let inv = s.inv(a)?;
            let it = s.transpose(inv)?;
            vec![(a, s.scale(g, it)?)]
        }
        Node::Inv(a) => {
            // ā = -cᵀ g cᵀ
            let ct = s.transpose(c)?;
            let l = s.matmul(ct, g)?;
            let r = s.matmul(l, ct)?;
            vec![(a, s.neg(r))]
        }
        Node::Norm1(a) => {
            let sg = s.map(Fun::Builtin(Builtin::Sign), 0, a);
            vec![(a, s.scale(g, sg)?)]
        }
        Node::Norm2(a) => {
            // ā = g·a/‖a‖
            let q = s.quot(a, c)?;
            vec![(a, s.scale(g, q)?)]
        }
        Node::DiagMat(v) => vec![(v, s.diag(g)?)],
        Node::DiagVec(m) => vec![(m, s.diag(g)?)],
        Node::Softmax(a) => {
            // ā = c ⊙ (g − cᵀg)
            let ct = s.transpose(c)?;
            let ctg = s.matmul(ct, g)?;
            let d = s.sub(g, ctg)?;
            vec![(a, s.hadamard(c, d)?)]
        }
        Node::LogSumExp(a) => {
            let sm = s.softmax(a)?;
            vec![(a, s.scale(g, sm)?)]
        }
        Node::Apply(f, a) => {
            let j = s.jacobian_of(&f, a)?;
            let jt = s.transpose(j)?;
            vec![(a, s.matmul(jt, g)?)]
        }
        Node::Jacobian(f, _) => {
            return Err(MatDiffError::Unsupported(format!(
                "second derivatives of the unspecified vector function `{f}`"
            )));
        }
    })
}

/// The Jacobian of the vector (or scalar) `root` by the vector variable `wrt`: a row per
/// entry of `root`, a column per entry of `wrt`. A scalar's Jacobian is a row (the transposed
/// gradient).
pub fn jacobian(store: &mut MatStore, root: MId, wrt: &str) -> Res {
    let wshape = store.var_shape(wrt);
    if !wshape.cols.is_one() || !store.shape(root).cols.is_one() {
        return Err(MatDiffError::Unsupported(format!(
            "the derivative of {} by {} is a tensor of order 3 or 4, which chainrule does not print; differentiate a scalar (e.g. sum(…) or vᵀ…) to get a gradient",
            store.shape(root).describe(),
            wshape.describe()
        )));
    }
    let n = wshape.rows.clone();
    let out_rows = store.shape(root).rows.clone();
    let Some(v) = find_var(store, root, wrt) else {
        return Ok(store.zero(Shape::matrix(out_rows, n)));
    };
    let order = store.reachable(&[root]);
    let dep = dependents(store, &order, v);
    let mut tangent: HashMap<MId, MId> = HashMap::new();
    for &c in &order {
        if !dep[&c] {
            continue;
        }
        // A row's Jacobian is not a matrix of ours: a product with a row takes the
        // Jacobian of the row's transpose instead (tangent_rule).
        if store.shape(c).is_row() {
            continue;
        }
        // A matrix's Jacobian is a tensor: its tangent would not be a matrix of ours.
        if !store.shape(c).cols.is_one() {
            return Err(MatDiffError::Unsupported(format!(
                "a Jacobian through {} that depends on the variable; differentiate a scalar instead to get a gradient",
                store.shape(c).describe()
            )));
        }
        let t = if c == v {
            store.identity(n.clone())
        } else {
            tangent_rule(store, c, &tangent, &dep, &n, wrt)?
        };
        tangent.insert(c, t);
    }
    Ok(tangent[&root])
}

/// The tangent (Jacobian by the variable) of node `c` from its children's.
fn tangent_rule(
    s: &mut MatStore,
    c: MId,
    tangent: &HashMap<MId, MId>,
    dep: &HashMap<MId, bool>,
    n: &super::shape::Dim,
    wrt: &str,
) -> Res {
    let node = s.node(c).clone();
    let rows = s.shape(c).rows.clone();
    let unsupported = |what: &str| {
        MatDiffError::Unsupported(format!(
            "a Jacobian through {what} of a matrix that depends on the variable; differentiate a scalar instead to get a gradient"
        ))
    };
    let zero_t = |s: &mut MatStore| s.zero(Shape::matrix(rows.clone(), n.clone()));
    // The tangent of a child: zero when it does not depend on the variable; a child that
    // depends but has none (a row, a matrix) cannot be gone through.
    let t = |s: &mut MatStore, id: MId| -> Res {
        match tangent.get(&id) {
            Some(t) => Ok(*t),
            None if dep[&id] => Err(MatDiffError::Unsupported(format!(
                "a Jacobian through {} that depends on the variable; differentiate a scalar instead to get a gradient",
                s.shape(id).describe()
            ))),
            None => {
                let r = s.shape(id).rows.clone();
                Ok(s.zero(Shape::matrix(r, n.clone())))
            }
        }
    };
    // diag(d)·T, or d·T for a scalar d.
    let diag_times = |s: &mut MatStore, d: MId, tt: MId| -> Built {
        let dm = s.diag(d)?;
        s.matmul(dm, tt)
    };
    Ok(match node {
        Node::Var(_) | Node::Num(_) | Node::Identity(_) | Node::Ones(_) | Node::Zero(_) => {
            zero_t(s)
        }
        Node::Add(ts) => {
            let mut parts = Vec::new();
            for term in ts {
                let tt = t(s, term)?;
                if s.is_scalar(term) && !rows.is_one() {
                    // A scalar added to every entry: its row of derivatives, on every row.
                    let ones = s.ones(Shape::vector(rows.clone()));
                    parts.push(s.matmul(ones, tt)?);
                } else {
                    parts.push(tt);
                }
            }
            s.add(parts)?
        }
        Node::Scale(k, a) => {
            let ta = t(s, a)?;
            let tk = t(s, k)?;
            let p1 = s.scale(k, ta)?;
            let p2 = s.matmul(a, tk)?;
            s.add2(p1, p2)?
        }
        Node::MatMul(a, b) => {
            let a_depends = dep[&a];
            let tb = t(s, b)?;
            let right = s.matmul(a, tb)?;
            if !a_depends {
                right
            } else if s.shape(a).rows.is_one() {
                // A row that depends on the variable, times a column: d(aᵀ-col · b) =
                // bᵀ·T(aᵀ) + a·T(b), with T(aᵀ) the Jacobian of the column aᵀ.
                let at = s.transpose(a)?;
                let t_at = jacobian(s, at, wrt)?;
                let bt = s.transpose(b)?;
                let left = s.matmul(bt, t_at)?;
                s.add2(left, right)?
            } else {
                return Err(unsupported("a product"));
            }
        }
        Node::Hadamard(a, b) => {
            let (ta, tb) = (t(s, a)?, t(s, b)?);
            let p1 = diag_times(s, b, ta)?;
            let p2 = diag_times(s, a, tb)?;
            s.add2(p1, p2)?
        }
        Node::Quot(a, b) => {
            let (ta, tb) = (t(s, a)?, t(s, b)?);
            let one = s.int(1);
            let rb = s.quot(one, b)?;
            let mut p1 = if s.is_scalar(a) && !rows.is_one() {
                s.matmul(rb, ta)?
            } else {
                diag_times(s, rb, ta)?
            };
            if s.is_zero(ta) {
                p1 = zero_t(s);
            }
            let two = s.int(2);
            let b2 = s.pow(b, two)?;
            let ab2 = s.quot(a, b2)?;
            let p2 = diag_times(s, ab2, tb)?;
            s.sub(p1, p2)?
        }
        Node::Pow(a, p) => {
            if tangent.get(&p).is_some_and(|x| !s.is_zero(*x)) {
                return Err(unsupported("a power with a variable exponent"));
            }
            let ta = t(s, a)?;
            let m1 = s.int(-1);
            let pm1 = s.add2(p, m1)?;
            let apm1 = s.pow(a, pm1)?;
            let d = s.scale(p, apm1)?;
            diag_times(s, d, ta)?
        }
        Node::Map(f, k, a) => {
            let ta = t(s, a)?;
            let d = map_derivative(s, &f, k, a)?;
            diag_times(s, d, ta)?
        }
        Node::Transpose(a) if s.is_scalar(a) => t(s, a)?,
        Node::Sum(a) => {
            let ta = t(s, a)?;
            let ones = s.ones(s.shape(a).transposed());
            s.matmul(ones, ta)?
        }
        Node::Softmax(a) => {
            // (diag(c) − c cᵀ)·T
            let ta = t(s, a)?;
            let dc = s.diag(c)?;
            let ct = s.transpose(c)?;
            let cct = s.matmul(c, ct)?;
            let m = s.sub(dc, cct)?;
            s.matmul(m, ta)?
        }
        Node::LogSumExp(a) => {
            let ta = t(s, a)?;
            let sm = s.softmax(a)?;
            let smt = s.transpose(sm)?;
            s.matmul(smt, ta)?
        }
        Node::Apply(f, a) => {
            let ta = t(s, a)?;
            let j = s.jacobian_of(&f, a)?;
            s.matmul(j, ta)?
        }
        Node::Norm2(a) => {
            let ta = t(s, a)?;
            let q = s.quot(a, c)?;
            let qt = s.transpose(q)?;
            s.matmul(qt, ta)?
        }
        Node::Transpose(_)
        | Node::Trace(_)
        | Node::Det(_)
        | Node::LogDet(_)
        | Node::Inv(_)
        | Node::Norm1(_)
        | Node::DiagMat(_)
        | Node::DiagVec(_)
        | Node::Jacobian(_, _) => return Err(unsupported("a matrix operation")),
    })
}
