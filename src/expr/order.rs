//! A structural total order on nodes, for stable printing.
//!
//! Ids depend on insertion order; printed output must not. Terms and factors are printed in
//! this order (Symbolica's term comparison): numbers, then variables (natural order, so `w2`
//! comes before `w10`), then products, powers, calls and sums, each compared child by child.

use super::{Id, Node, Store};
use std::cmp::Ordering;

fn rank(node: &Node) -> u8 {
    match node {
        Node::Num(_) => 0,
        Node::Sym(_) => 1,
        Node::Mul(_) => 2,
        Node::Pow(..) => 3,
        Node::Call(..) => 4,
        Node::Add(_) => 5,
    }
}

/// Compares names so that embedded numbers compare by value: `w2 < w10`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut ai, mut bi) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (ai.peek().copied(), bi.peek().copied()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let mut na = String::new();
                while let Some(c) = ai.peek().copied().filter(char::is_ascii_digit) {
                    na.push(c);
                    ai.next();
                }
                let mut nb = String::new();
                while let Some(c) = bi.peek().copied().filter(char::is_ascii_digit) {
                    nb.push(c);
                    bi.next();
                }
                let (ta, tb) = (na.trim_start_matches('0'), nb.trim_start_matches('0'));
                let o = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
                if o != Ordering::Equal {
                    return o;
                }
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(&y);
                }
                ai.next();
                bi.next();
            }
        }
    }
}

/// The structural order of two nodes of one store. Equal exactly when the ids are equal.
pub fn structural_cmp(store: &Store, a: Id, b: Id) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || {
        let (na, nb) = (store.node(a), store.node(b));
        let o = rank(na).cmp(&rank(nb));
        if o != Ordering::Equal {
            return o;
        }
        let o =
            match (na, nb) {
                (Node::Num(x), Node::Num(y)) => x.cmp(y),
                (Node::Sym(x), Node::Sym(y)) => natural_cmp(store.name(*x), store.name(*y)),
                (Node::Mul(x), Node::Mul(y)) => cmp_pairs(store, x.factors(), y.factors())
                    .then_with(|| x.coeff().cmp(y.coeff())),
                (Node::Add(x), Node::Add(y)) => cmp_pairs(store, x.terms(), y.terms())
                    .then_with(|| x.constant().cmp(y.constant())),
                (Node::Pow(b1, e1), Node::Pow(b2, e2)) => {
                    structural_cmp(store, *b1, *b2).then_with(|| structural_cmp(store, *e1, *e2))
                }
                (Node::Call(f, xs), Node::Call(g, ys)) => {
                    let name = |f: &super::Func| match f {
                        super::Func::Builtin(b) => b.name().to_string(),
                        super::Func::Abstract(a) => store.name(a.name).to_string(),
                    };
                    natural_cmp(&name(f), &name(g))
                        .then_with(|| f.cmp(g))
                        .then_with(|| {
                            for (x, y) in xs.iter().zip(ys.iter()) {
                                let o = structural_cmp(store, *x, *y);
                                if o != Ordering::Equal {
                                    return o;
                                }
                            }
                            xs.len().cmp(&ys.len())
                        })
                }
                _ => unreachable!("same rank, same kind"),
            };
        // Distinct nodes never compare equal: fall back on the id.
        o.then_with(|| a.cmp(&b))
    })
}

fn cmp_pairs(store: &Store, xs: &[(Id, rug::Rational)], ys: &[(Id, rug::Rational)]) -> Ordering {
    let mut xs: Vec<&(Id, rug::Rational)> = xs.iter().collect();
    let mut ys: Vec<&(Id, rug::Rational)> = ys.iter().collect();
    xs.sort_by(|p, q| structural_cmp(store, p.0, q.0));
    ys.sort_by(|p, q| structural_cmp(store, p.0, q.0));
    for (x, y) in xs.iter().zip(ys.iter()) {
        let o = structural_cmp(store, x.0, y.0).then_with(|| x.1.cmp(&y.1));
        if o != Ordering::Equal {
            return o;
        }
    }
    xs.len().cmp(&ys.len())
}
