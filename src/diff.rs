//! Symbolic differentiation.
//!
//! The chain rule is written once ([`diff`] on a call): each function supplies only its
//! partial derivatives ([`partial`]), as SymPy's `fdiff` does. Derivatives are memoised per
//! `(node, variable)` in the store, and a DAG is differentiated bottom-up in id order, so the
//! work is linear in the DAG's size and no recursion can overflow the stack.

use crate::expr::{AbstractFn, Builtin, Func, Id, Node, Store, Sym};
use rug::Rational;

/// `∂root/∂var`, simplified by the canonical constructors.
pub fn diff(store: &mut Store, root: Id, var: Sym) -> Id {
    if let Some(&d) = store.diff_memo.get(&(root, var)) {
        return d;
    }
    for id in store.reachable(&[root]) {
        if store.diff_memo.contains_key(&(id, var)) {
            continue;
        }
        let d = diff_node(store, id, var);
        store.diff_memo.insert((id, var), d);
    }
    store.diff_memo[&(root, var)]
}

/// The `n`-th derivative by `var`.
pub fn diff_n(store: &mut Store, root: Id, var: Sym, n: u32) -> Id {
    (0..n).fold(root, |e, _| diff(store, e, var))
}

/// The derivative of one node, given that its children's derivatives are memoised.
fn diff_node(store: &mut Store, id: Id, var: Sym) -> Id {
    let d = |store: &Store, c: Id| store.diff_memo[&(c, var)];
    match store.node(id).clone() {
        Node::Num(_) => store.num(0),
        Node::Sym(s) => store.num(if s == var { 1 } else { 0 }),
        Node::Add(s) => {
            let terms = s
                .terms()
                .iter()
                .map(|(t, k)| (d(store, *t), k.clone()))
                .collect();
            store.sum_of(Rational::new(), terms)
        }
        Node::Mul(p) => {
            // Product rule: Σ_i c · e_i · b_i^(e_i - 1) · b_i' · Π_{j≠i} b_j^e_j
            let factors = p.factors();
            let mut terms = Vec::new();
            for (i, (b, e)) in factors.iter().enumerate() {
                let db = d(store, *b);
                if store.is_zero(db) {
                    continue;
                }
                let mut items: Vec<(Id, Rational)> = Vec::with_capacity(factors.len() + 1);
                for (j, (bj, ej)) in factors.iter().enumerate() {
                    if j == i {
                        items.push((*bj, Rational::from(ej - 1u32)));
                    } else {
                        items.push((*bj, ej.clone()));
                    }
                }
                items.push((db, Rational::from(1)));
                let c = Rational::from(p.coeff() * e);
                terms.push((store.product_of(c, items), Rational::from(1)));
            }
            store.sum_of(Rational::new(), terms)
        }
        Node::Pow(b, e) => {
            // d(b^e) = e·b^(e-1)·b' + b^e·log(b)·e'
            let (db, de) = (d(store, b), d(store, e));
            let mut terms = Vec::new();
            if !store.is_zero(db) {
                let em1 = store.sum_of(Rational::from(-1), vec![(e, Rational::from(1))]);
                let p = store.pow(b, em1);
                terms.push(store.mul_all([e, p, db]));
            }
            if !store.is_zero(de) {
                let log_b = store.apply(Builtin::Log, b);
                terms.push(store.mul_all([id, log_b, de]));
            }
            store.add_all(terms)
        }
        Node::Call(f, args) => {
            // The chain rule, once for every function.
            let mut terms = Vec::new();
            for (i, a) in args.iter().enumerate() {
                let da = d(store, *a);
                if store.is_zero(da) {
                    continue;
                }
                let p = partial(store, &f, &args, i);
                terms.push(store.mul(p, da));
            }
            store.add_all(terms)
        }
    }
}

/// The partial derivative of `f` by its argument `i` (0-based), at `args`.
///
/// Conventions at kinks, where the derivative does not exist: `relu'(0) = step(0) = 0` (the
/// homework's `σ'(x) = 1{x > 0}`, as in PyTorch and JAX); `abs'(0) = sign(0) = 0`;
/// `sign' = step' = 0`; at a tie `max(a, a)` and `min(a, a)` both partials are 0, consistently
/// with `relu(t) = max(t, 0)`.
pub fn partial(store: &mut Store, f: &Func, args: &[Id], i: usize) -> Id {
    match f {
        Func::Builtin(b) => builtin_partial(store, *b, args, i),
        Func::Abstract(a) => {
            let mut partials = a.partials.to_vec();
            partials.push(i as u16);
            partials.sort_unstable();
            let g = AbstractFn {
                name: a.name,
                partials: partials.into_boxed_slice(),
            };
            store.abstract_call(g, args.to_vec())
        }
    }
}

fn builtin_partial(store: &mut Store, b: Builtin, args: &[Id], i: usize) -> Id {
    let t = args[0];
    match b {
        Builtin::Exp => store.apply(Builtin::Exp, t),
        Builtin::Log => store.recip(t),
        Builtin::Sin => store.apply(Builtin::Cos, t),
        Builtin::Cos => {
            let s = store.apply(Builtin::Sin, t);
            store.neg(s)
        }
        Builtin::Tan => {
            let tan = store.apply(Builtin::Tan, t);
            let sq = store.powr(tan, Rational::from(2));
            store.sum_of(Rational::from(1), vec![(sq, Rational::from(1))])
        }
        Builtin::Tanh => {
            let th = store.apply(Builtin::Tanh, t);
            let sq = store.powr(th, Rational::from(2));
            store.sum_of(Rational::from(1), vec![(sq, Rational::from(-1))])
        }
        Builtin::Abs => store.apply(Builtin::Sign, t),
        Builtin::Sign | Builtin::Step => store.num(0),
        Builtin::Sigmoid => {
            let s = store.apply(Builtin::Sigmoid, t);
            let one_minus = store.sum_of(Rational::from(1), vec![(s, Rational::from(-1))]);
            store.mul(s, one_minus)
        }
        Builtin::Relu => store.apply(Builtin::Step, t),
        Builtin::Softplus => store.apply(Builtin::Sigmoid, t),
        Builtin::Max | Builtin::Min => {
            let (a, c) = (args[0], args[1]);
            // ∂max/∂a = step(a - c); ∂min/∂a = step(c - a); the other slot mirrored.
            let first_wins = (b == Builtin::Max) == (i == 0);
            let diff = if first_wins {
                store.sub(a, c)
            } else {
                store.sub(c, a)
            };
            store.apply(Builtin::Step, diff)
        }
    }
}
