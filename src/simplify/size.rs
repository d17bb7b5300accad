//! The size of an expression as printed, counted as SymPy's `count_ops` counts it: every
//! operator and every function call counts 1.
//!
//! The count is taken on the printed layout ([`crate::print`]'s), so it measures what a
//! reader sees. SymPy's conventions, checked against `count_ops` of SymPy 1.14 on every
//! `sympy_derivative` of the public oracle (`tests/simplify.rs` asserts the agreement):
//! - a sum of `n` terms is `n - 1` operators (`+` or `-`), one more when every term is
//!   negative (`-a - b` is a negation and a subtraction);
//! - a product of `n` factors over `m` is `n - 1` multiplications, and when `m > 0` one
//!   division and `m - 1` multiplications (`x/(2*y)` is 2); `1/x` is one division;
//! - a negation is 1 (`-2*a` is 2, `-3` is 1); a fraction `p/q` is a division (`x/2` is 1,
//!   `1/2` alone is 1), an integer is 0;
//! - a power is 1 plus its exponent (`x^2` is 1, `x^(3/2)` is 2, `sqrt(x)`, which is
//!   `x^(1/2)`, is 2, `1/sqrt(x)` is 3);
//! - a call is 1 plus its arguments.

use crate::expr::{Id, Node, Q, Store};
use crate::print::{Disp, layout};
use rug::Rational;

/// `count_ops` of `id` as printed. Linear in the DAG (each node's count is computed once),
/// but a large shared DAG's count is that of its printed tree, which can overflow: call it
/// on what is printed. Equal to [`ops_of_layout`], without laying out.
pub fn ops(store: &Store, id: Id) -> u64 {
    Ops::default().of(store, id)
}

/// `count_ops` of `id` read off its printed layout ([`crate::print`]'s): the definition that
/// [`ops`] computes faster.
pub fn ops_of_layout(store: &Store, id: Id) -> u64 {
    disp_ops(&layout(store, id))
}

/// [`ops`] with each node's count kept, for many counts over one store.
#[derive(Default)]
pub struct Ops(std::collections::HashMap<Id, u64>);

impl Ops {
    /// `count_ops` of `id` as printed.
    pub fn of(&mut self, store: &Store, id: Id) -> u64 {
        if let Some(&n) = self.0.get(&id) {
            return n;
        }
        let n = stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || match store.node(id) {
            Node::Num(r) => u64::from(*r < 0) + u64::from(*r.denom() != 1),
            Node::Sym(_) => 0,
            Node::Add(sum) => {
                let mut n = 0;
                let mut all_negative = true;
                for (t, k) in sum.terms() {
                    all_negative &= *k < 0;
                    let k_abs = Rational::from(k.abs_ref());
                    n += match store.node(*t) {
                        Node::Mul(p) => self.product(store, &k_abs, p.factors()),
                        _ => self.product(store, &k_abs, &[(*t, Q::int(1))]),
                    };
                }
                let c = sum.constant();
                let mut terms = sum.terms().len();
                if *c != 0 {
                    all_negative &= *c < 0;
                    n += u64::from(*c.denom() != 1);
                    terms += 1;
                }
                n + terms.saturating_sub(1) as u64 + u64::from(all_negative)
            }
            Node::Mul(p) => {
                let c = p.coeff();
                u64::from(*c < 0) + self.product(store, &Rational::from(c.abs_ref()), p.factors())
            }
            Node::Pow(b, e) => 1 + self.of(store, *b) + self.of(store, *e),
            Node::Call(_, args) => 1 + args.iter().map(|a| self.of(store, *a)).sum::<u64>(),
        });
        self.0.insert(id, n);
        n
    }

    /// `coeff · Π b^e` for `coeff ≥ 0`, laid out as numerator over denominator as the
    /// printer does (`layout_product`).
    fn product(&mut self, store: &Store, coeff: &Rational, factors: &[(Id, Q)]) -> u64 {
        let mut children = 0;
        let mut num = usize::from(
            *coeff.numer() != 1 || factors.iter().all(|f| f.1 < 0 && !store.is_zero(f.0)),
        );
        let mut den = usize::from(*coeff.denom() != 1);
        let mut single = 0;
        for (b, e) in factors {
            let base = self.of(store, *b);
            let d = if *e < 0 && store.is_zero(*b) {
                num += 1;
                1 + base + 1 + u64::from(*e.denom() != 1)
            } else {
                let e_abs = Rational::from(e.abs_ref());
                let d = if e_abs == 1 {
                    base
                } else if e_abs == Rational::from((1, 2)) {
                    2 + base
                } else {
                    1 + base + u64::from(*e_abs.denom() != 1)
                };
                if *e > 0 {
                    num += 1;
                } else {
                    den += 1;
                }
                d
            };
            single = d;
            children += d;
        }
        if den == 0 && num == 1 {
            // One factor alone (or the coefficient alone, which counts 0).
            return if factors.len() == 1 { single } else { 0 };
        }
        let mut n = num.saturating_sub(1) as u64 + children;
        if den > 0 {
            n += den as u64;
        }
        n
    }
}

fn disp_ops(d: &Disp) -> u64 {
    match d {
        Disp::Num(r) => u64::from(*r.denom() != 1),
        Disp::Sym(_) => 0,
        Disp::Sum(terms) => {
            let all_negative = terms.iter().all(|(neg, _)| *neg);
            let inner: u64 = terms.iter().map(|(_, t)| disp_ops(t)).sum();
            inner + terms.len().saturating_sub(1) as u64 + u64::from(all_negative)
        }
        Disp::Neg(x) => 1 + disp_ops(x),
        Disp::Product(num, den) => {
            let mut n = num.len().saturating_sub(1) as u64;
            if !den.is_empty() {
                n += den.len() as u64;
            }
            n + num.iter().chain(den.iter()).map(disp_ops).sum::<u64>()
        }
        Disp::Pow(b, e) => 1 + disp_ops(b) + disp_ops(e),
        Disp::Sqrt(x) => 2 + disp_ops(x),
        Disp::Call(_, args) => 1 + args.iter().map(disp_ops).sum::<u64>(),
    }
}

/// How many negations `id` shows below its top (`-x` and `-a - b` inside a sum, a product
/// or a call): among forms of one size, the one with fewer reads more like a textbook
/// (`-(2*u + 1)^3` rather than `(-2*u - 1)^3`).
pub fn nested_negations(store: &Store, id: Id) -> u64 {
    fn count(d: &Disp, top: bool) -> u64 {
        let own = match d {
            Disp::Neg(_) => 1,
            Disp::Sum(terms) if terms.iter().all(|(neg, _)| *neg) => 1,
            _ => 0,
        };
        // `-(8*u + 6)/v` prints as `-1*(8*u + 6)/v` (see the text printer): count it.
        let spelt_out = matches!(d, Disp::Neg(x) if matches!(&**x,
            Disp::Product(num, _) if num.first().is_some_and(|f| matches!(f, Disp::Sum(_)))));
        let own = if top && !spelt_out { 0 } else { own };
        own + match d {
            Disp::Num(_) | Disp::Sym(_) => 0,
            Disp::Sum(terms) => terms.iter().map(|(_, t)| count(t, false)).sum(),
            // A negated product keeps its factors at the top: `-2*x*(y - w*x)`.
            Disp::Neg(x) => count(x, top),
            Disp::Product(num, den) => num.iter().chain(den.iter()).map(|f| count(f, false)).sum(),
            Disp::Pow(b, e) => count(b, false) + count(e, false),
            Disp::Sqrt(x) => count(x, false),
            Disp::Call(_, args) => args.iter().map(|a| count(a, false)).sum(),
        }
    }
    count(&layout(store, id), true)
}
