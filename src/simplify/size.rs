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

use crate::expr::{Id, Store};
use crate::print::{Disp, layout};

/// `count_ops` of `id` as printed. Linear in the printed size: call it on what is printed,
/// never on a large shared DAG (see [`crate::print::printed_size`]).
pub fn ops(store: &Store, id: Id) -> u64 {
    disp_ops(&layout(store, id))
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
