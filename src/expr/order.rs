//! A structural total order on nodes, for stable printing.
//!
//! Ids depend on insertion order; printed output must not. Terms and factors are printed in
//! this order (Symbolica's term comparison): numbers, then variables (natural order, so `w2`
//! comes before `w10`), then products, powers, calls and sums, each compared child by child.

use super::{Id, Node, Store};
use std::cmp::Ordering;
use std::collections::HashMap;

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
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    // Byte by byte, without allocating: digits are ASCII, and UTF-8's byte order is the
    // order of the characters, so this is the character-by-character comparison.
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    loop {
        match (ab.get(i).copied(), bb.get(j).copied()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (si, sj) = (i, j);
                while ab.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                while bb.get(j).is_some_and(u8::is_ascii_digit) {
                    j += 1;
                }
                let trim = |d: &'_ [u8]| -> usize { d.iter().take_while(|c| **c == b'0').count() };
                let (na, nb) = (&ab[si..i], &bb[sj..j]);
                let (ta, tb) = (&na[trim(na)..], &nb[trim(nb)..]);
                let o = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
                if o != Ordering::Equal {
                    return o;
                }
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(&y);
                }
                i += 1;
                j += 1;
            }
        }
    }
}

/// The structural order of two nodes of one store. Equal exactly when the ids are equal.
///
/// Comparisons are memoised per call: derivatives share subexpressions, and comparing two
/// shared DAGs child by child without a memo takes time exponential in their depth (the 10th
/// derivative of `x^x`, 240 nodes, took seconds to print).
pub(crate) fn structural_cmp(store: &Store, a: Id, b: Id) -> Ordering {
    Cmp {
        store,
        memo: HashMap::new(),
    }
    .cmp(a, b)
}

/// One structural comparison, with the results of the comparisons it made.
struct Cmp<'s> {
    store: &'s Store,
    memo: HashMap<(Id, Id), Ordering>,
}

impl Cmp<'_> {
    fn cmp(&mut self, a: Id, b: Id) -> Ordering {
        if a == b {
            return Ordering::Equal;
        }
        if let Some(&o) = self.memo.get(&(a, b)) {
            return o;
        }
        let o = stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.cmp_nodes(a, b));
        self.memo.insert((a, b), o);
        self.memo.insert((b, a), o.reverse());
        o
    }

    fn cmp_nodes(&mut self, a: Id, b: Id) -> Ordering {
        let store = self.store;
        let (na, nb) = (store.node(a), store.node(b));
        let o = rank(na).cmp(&rank(nb));
        if o != Ordering::Equal {
            return o;
        }
        let o = match (na, nb) {
            (Node::Num(x), Node::Num(y)) => x.cmp(y),
            (Node::Sym(x), Node::Sym(y)) => natural_cmp(store.name(*x), store.name(*y)),
            (Node::Mul(x), Node::Mul(y)) => self
                .cmp_pairs(x.factors(), y.factors())
                .then_with(|| x.coeff().cmp(y.coeff())),
            (Node::Add(x), Node::Add(y)) => self
                .cmp_pairs(x.terms(), y.terms())
                .then_with(|| x.constant().cmp(y.constant())),
            (Node::Pow(b1, e1), Node::Pow(b2, e2)) => match self.cmp(*b1, *b2) {
                Ordering::Equal => self.cmp(*e1, *e2),
                o => o,
            },
            (Node::Call(f, xs), Node::Call(g, ys)) => {
                let name = |f: &super::Func| match f {
                    super::Func::Builtin(b) => b.name().to_string(),
                    super::Func::Abstract(a) => store.name(a.name).to_string(),
                };
                let o = natural_cmp(&name(f), &name(g)).then_with(|| f.cmp(g));
                if o != Ordering::Equal {
                    return o;
                }
                for (x, y) in xs.iter().zip(ys.iter()) {
                    let o = self.cmp(*x, *y);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                xs.len().cmp(&ys.len())
            }
            _ => unreachable!("same rank, same kind"),
        };
        // Distinct nodes never compare equal: fall back on the id.
        o.then_with(|| a.cmp(&b))
    }

    fn cmp_pairs(&mut self, xs: &[(Id, super::Q)], ys: &[(Id, super::Q)]) -> Ordering {
        let mut xs: Vec<&(Id, super::Q)> = xs.iter().collect();
        let mut ys: Vec<&(Id, super::Q)> = ys.iter().collect();
        xs.sort_by(|p, q| self.cmp(p.0, q.0));
        ys.sort_by(|p, q| self.cmp(p.0, q.0));
        for (x, y) in xs.iter().zip(ys.iter()) {
            let o = self.cmp(x.0, y.0).then_with(|| x.1.cmp(&y.1));
            if o != Ordering::Equal {
                return o;
            }
        }
        xs.len().cmp(&ys.len())
    }
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;
    use std::cmp::Ordering;

    /// The character-by-character comparison `natural_cmp` was written as first (it allocated
    /// a string per run of digits): the byte-wise one must agree with it everywhere.
    fn by_chars(a: &str, b: &str) -> Ordering {
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

    #[test]
    fn natural_order_of_names() {
        assert_eq!(natural_cmp("w2", "w10"), Ordering::Less);
        assert_eq!(natural_cmp("w10", "w2"), Ordering::Greater);
        assert_eq!(natural_cmp("w02", "w2"), Ordering::Less); // equal numbers: by bytes
        assert_eq!(natural_cmp("x_1", "x1"), Ordering::Greater);
        let names = [
            "", "w", "w0", "w00", "w1", "w01", "w2", "w10", "w10a", "w10b", "w9z", "x", "x1",
            "x_1", "x1_2", "x1_10", "σ", "σ1", "σ10", "σ2", "ŷ", "ŷ2", "y\u{302}", "δ_z1", "δ_z10",
            "α", "a1b2", "a1b10", "a01b3", "z", "Z9", "é", "e\u{301}", "ℓ", "ℓ1",
        ];
        for a in names {
            for b in names {
                assert_eq!(natural_cmp(a, b), by_chars(a, b), "{a:?} vs {b:?}");
            }
        }
    }
}
