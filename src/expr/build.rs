//! Canonical constructors. The only way to make a sum, a product or a power.
//!
//! Canonical forms (SymPy's `Add.flatten`/`Mul.flatten`, SymEngine's canonical Add/Mul):
//! - a sum is one rational constant plus `(term, coefficient)` pairs, like terms collected;
//! - a product is one rational coefficient times `(base, exponent)` pairs, like bases collected;
//! - a numeric coefficient times a single sum is distributed (`-(y - w*x)` is `w*x - y`), so a
//!   difference and its negation share their terms;
//! - constants fold exactly, within [`super::Limits`];
//! - a product or sum whose expanded size is above [`super::FLAT_MAX`] is not opened: it
//!   stays one base or term, shared by reference, so deep gradients stay linear in size.
//!
//! Every rewrite here keeps the value wherever the input is defined. In particular
//! `(x^2)^(1/2)` is *not* `x` (it is `|x|`), so non-integer powers of powers are not merged.

use super::{AbstractFn, Builtin, Func, Id, Node, Product, Q, Store, Sum};
use rug::ops::Pow;
use rug::{Integer, Rational};
use std::collections::BTreeMap;

/// Whether `r` is 0, without GMP's general comparison (the sign of the numerator).
fn is_zero(r: &Rational) -> bool {
    r.cmp0() == std::cmp::Ordering::Equal
}

/// Whether `r` is the integer `n`, without GMP's general comparison (a rational is kept in
/// lowest terms, so it is an integer exactly when its denominator is 1).
pub(crate) fn is_int(r: &Rational, n: i32) -> bool {
    *r.denom() == 1 && *r.numer() == n
}

/// `(id, rational)` pairs as a node keeps them ([`Q`]), from `Rational`s.
fn in_q(pairs: Vec<(Id, Rational)>) -> Vec<(Id, Q)> {
    pairs.into_iter().map(|(id, r)| (id, Q::new(r))).collect()
}

/// Like terms or bases being collected: `(id, rational)` pairs kept sorted by id, with the
/// operations of a `BTreeMap` the constructors use. Sums and products have a few entries,
/// where a sorted vector costs one allocation instead of a tree's node per entry.
struct Collected(Vec<(Id, Q)>);

impl Collected {
    fn with_capacity(n: usize) -> Collected {
        Collected(Vec::with_capacity(n))
    }
    /// Adds `k` to the entry of `id` (made 0 first if absent).
    fn add(&mut self, id: Id, k: Q) {
        match self.0.binary_search_by_key(&id, |(i, _)| *i) {
            Ok(p) => self.0[p].1 = self.0[p].1.add(&k),
            Err(p) => self.0.insert(p, (id, k)),
        }
    }
    fn get(&self, id: Id) -> Option<&Q> {
        let p = self.0.binary_search_by_key(&id, |(i, _)| *i).ok()?;
        Some(&self.0[p].1)
    }
    fn remove(&mut self, id: Id) -> Option<Q> {
        let p = self.0.binary_search_by_key(&id, |(i, _)| *i).ok()?;
        Some(self.0.remove(p).1)
    }
    /// The entries with a nonzero value, in id order.
    fn nonzero(self) -> Vec<(Id, Q)> {
        let mut v = self.0;
        v.retain(|(_, k)| !k.is_zero());
        v
    }
}

/// The exact `p/q`-th power of a non-negative rational, when it is rational.
fn exact_root(r: &Rational, q: u32) -> Option<Rational> {
    let (n, d) = (r.numer(), r.denom());
    let (rn, remn) = n.clone().root_rem(Integer::new(), q);
    if remn != 0 {
        return None;
    }
    let (rd, remd) = d.clone().root_rem(Integer::new(), q);
    if remd != 0 {
        return None;
    }
    Some(Rational::from((rn, rd)))
}

/// Bits needed for `r` (numerator plus denominator).
pub(crate) fn rational_bits(r: &Rational) -> u64 {
    u64::from(r.numer().significant_bits()) + u64::from(r.denom().significant_bits())
}

/// `r^e` for an integer `e`, if it is defined and within `max_bits`.
pub(crate) fn rational_powi(r: &Rational, e: &Integer, max_bits: u64) -> Option<Rational> {
    if is_zero(r) {
        return match e.cmp0() {
            std::cmp::Ordering::Greater => Some(Rational::new()),
            std::cmp::Ordering::Equal => Some(Rational::from(1)),
            std::cmp::Ordering::Less => None,
        };
    }
    // The commonest case, a factor or coefficient taken once: no arithmetic.
    if *e == 1 && rational_bits(r) <= max_bits {
        return Some(r.clone());
    }
    if r.numer().significant_bits() == 1 && *r.denom() == 1 {
        // ±1: no growth whatever the exponent
        return Some(if is_int(r, 1) || e.is_even() {
            Rational::from(1)
        } else {
            Rational::from(-1)
        });
    }
    let e_abs = e.clone().abs();
    let e_u32 = e_abs.to_u32()?;
    if rational_bits(r).saturating_mul(u64::from(e_u32)) > max_bits {
        return None;
    }
    let mut out = Rational::from(r.pow(e_u32));
    if e.cmp0() == std::cmp::Ordering::Less {
        out.recip_mut();
    }
    Some(out)
}

impl Store {
    // ---------------------------------------------------------------- sums

    /// `a + b`
    pub fn add(&mut self, a: Id, b: Id) -> Id {
        self.sum_of_q(Q::int(0), vec![(a, Q::int(1)), (b, Q::int(1))])
    }

    /// `a - b`
    pub fn sub(&mut self, a: Id, b: Id) -> Id {
        self.sum_of_q(Q::int(0), vec![(a, Q::int(1)), (b, Q::int(-1))])
    }

    /// `-a`
    pub fn neg(&mut self, a: Id) -> Id {
        self.product_of_q(Q::int(-1), vec![(a, Q::int(1))])
    }

    /// `k * a` for a rational `k`.
    pub fn scale(&mut self, a: Id, k: &Rational) -> Id {
        self.product_of_q(Q::from(k), vec![(a, Q::int(1))])
    }

    /// The sum of many expressions.
    pub fn add_all(&mut self, items: impl IntoIterator<Item = Id>) -> Id {
        let terms = items.into_iter().map(|t| (t, Q::int(1))).collect();
        self.sum_of_q(Q::int(0), terms)
    }

    /// The canonical form of `constant + Σ k·t`.
    pub fn sum_of(&mut self, constant: Rational, items: Vec<(Id, Rational)>) -> Id {
        self.sum_of_q(Q::new(constant), in_q(items))
    }

    /// [`Self::sum_of`] with the rationals as nodes keep them: the small ones (most
    /// coefficients) computed without GMP.
    pub fn sum_of_q(&mut self, constant: Q, items: Vec<(Id, Q)>) -> Id {
        let mut constant = constant;
        let mut acc = Collected::with_capacity(items.len());
        for (t, k) in items {
            if k.is_zero() {
                continue;
            }
            match self.node(t) {
                Node::Num(r) => constant = constant.add(&r.mul(&k)),
                Node::Add(s) if self.mergeable(t) => {
                    constant = constant.add(&s.constant.mul(&k));
                    for (u, j) in s.terms.iter() {
                        acc.add(*u, j.mul(&k));
                    }
                }
                Node::Mul(p) if p.coeff != 1 => {
                    let c = p.coeff.mul(&k);
                    let factors = p.factors.to_vec();
                    let unit = self.unit_product(factors);
                    acc.add(unit, c);
                }
                _ => acc.add(t, k),
            }
        }
        let terms = acc.nonzero();
        match terms.len() {
            0 => self.num_q(constant),
            1 if constant.is_zero() => {
                let (t, k) = terms.into_iter().next().unwrap();
                if k == 1 { t } else { self.scale_term(t, k) }
            }
            _ => self.insert(Node::Add(Sum {
                constant,
                terms: terms.into_boxed_slice(),
            })),
        }
    }

    /// A product of factors with coefficient 1 (or the lone base).
    fn unit_product(&mut self, factors: Vec<(Id, Q)>) -> Id {
        if factors.len() == 1 && factors[0].1 == 1 {
            return factors[0].0;
        }
        self.insert(Node::Mul(Product {
            coeff: Q::int(1),
            factors: factors.into_boxed_slice(),
        }))
    }

    /// `k * t` where `t` is a valid sum term (not a number, not a sum, coefficient 1).
    fn scale_term(&mut self, t: Id, k: Q) -> Id {
        let factors = match self.node(t) {
            Node::Mul(p) => p.factors.to_vec(),
            _ => vec![(t, Q::int(1))],
        };
        self.insert(Node::Mul(Product {
            coeff: k,
            factors: factors.into_boxed_slice(),
        }))
    }

    // ---------------------------------------------------------------- products

    /// `a * b`
    pub fn mul(&mut self, a: Id, b: Id) -> Id {
        // Two different factors that nothing merges with or into (names, sums, calls), the
        // commonest product of a program's backward pass: the node `product_of` makes, made
        // without collecting.
        let plain = |x: Id| matches!(self.node(x), Node::Sym(_) | Node::Add(_) | Node::Call(..));
        if a != b && plain(a) && plain(b) {
            let factors = Box::new([(a.min(b), Q::int(1)), (a.max(b), Q::int(1))]);
            return self.insert(Node::Mul(Product {
                coeff: Q::int(1),
                factors,
            }));
        }
        self.product_of_q(Q::int(1), vec![(a, Q::int(1)), (b, Q::int(1))])
    }

    /// The product of many expressions.
    pub fn mul_all(&mut self, items: impl IntoIterator<Item = Id>) -> Id {
        let factors = items.into_iter().map(|t| (t, Q::int(1))).collect();
        self.product_of_q(Q::int(1), factors)
    }

    /// `a / b`
    pub fn div(&mut self, a: Id, b: Id) -> Id {
        self.product_of_q(Q::int(1), vec![(a, Q::int(1)), (b, Q::int(-1))])
    }

    /// `1 / a`
    pub fn recip(&mut self, a: Id) -> Id {
        self.product_of_q(Q::int(1), vec![(a, Q::int(-1))])
    }

    /// `a ^ r` for a rational exponent.
    pub fn powr(&mut self, a: Id, r: Rational) -> Id {
        self.product_of_q(Q::int(1), vec![(a, Q::new(r))])
    }

    /// The canonical form of `coeff * Π base^exp`.
    pub fn product_of(&mut self, coeff: Rational, items: Vec<(Id, Rational)>) -> Id {
        self.product_of_q(Q::new(coeff), in_q(items))
    }

    /// [`Self::product_of`] with the rationals as nodes keep them: the small ones (most
    /// coefficients and exponents) computed without GMP.
    pub fn product_of_q(&mut self, coeff: Q, items: Vec<(Id, Q)>) -> Id {
        let max_bits = self.limits().max_exact_bits;
        let mut coeff = coeff;
        let mut acc = Collected::with_capacity(items.len());
        let mut work = items;
        while !work.is_empty() {
            for (b, e) in std::mem::take(&mut work) {
                if e.is_zero() || coeff.is_zero() {
                    continue;
                }
                match self.node(b) {
                    Node::Num(r) => {
                        if let Some(v) = num_power(r, &e, max_bits) {
                            coeff = coeff.mul(&v);
                        } else if *r != 1 {
                            acc.add(b, e);
                        }
                    }
                    Node::Mul(p) if e.is_integer() && self.mergeable(b) => {
                        match power(&p.coeff, &e, max_bits) {
                            Some(c) => {
                                coeff = coeff.mul(&c);
                                for (u, j) in p.factors.iter() {
                                    work.push((*u, j.mul(&e)));
                                }
                            }
                            None => acc.add(b, e),
                        }
                    }
                    Node::Mul(p) if p.coeff > 0 && p.coeff != 1 => {
                        // (c·X)^e = c^e · X^e for c > 0: both sides are defined exactly when X > 0.
                        let (coeff, factors) = (p.coeff.clone(), p.factors.to_vec());
                        let c = self.num_q(coeff);
                        let unit = self.unit_product(factors);
                        work.push((c, e.clone()));
                        work.push((unit, e));
                    }
                    _ => acc.add(b, e),
                }
            }
            // Merged exponents may have become integers: x^(1/2)·x^(1/2), (x·y)^(1/2) squared.
            let redo: Vec<Id> = acc
                .0
                .iter()
                .filter(|(b, e)| {
                    e.is_integer()
                        && !e.is_zero()
                        && match self.node(*b) {
                            Node::Num(_) => true,
                            Node::Mul(_) => self.mergeable(*b),
                            _ => false,
                        }
                        && !self.stuck_power(*b, e)
                })
                .map(|(b, _)| *b)
                .collect();
            for b in redo {
                let e = acc.remove(b).unwrap();
                work.push((b, e));
            }
            // b^s · b^t · b^r = b^(s + t + r) for symbolic s, t and a rational r
            // (x·x^(x - 1) is x^x): where the left side is defined, b > 0 or every exponent is
            // an integer, and then the right side is defined and equal.
            // An integer power of such a factor takes part too, (b^s)^k = b^(k·s), or else
            // `n·n^s` would merge while `n^-1·(n^s)^-1` would not, and `1/(n*n^s)` would read
            // back as another node than the one printed.
            let mut by_base: BTreeMap<Id, Vec<(Id, Id, Q)>> = BTreeMap::new();
            for (p, k) in &acc.0 {
                if let Node::Pow(b, s) = self.node(*p)
                    && k.is_integer()
                {
                    by_base.entry(*b).or_default().push((*p, *s, k.clone()));
                }
            }
            for (b, pows) in by_base {
                let r = acc.get(b).cloned().unwrap_or(Q::int(0));
                if pows.len() + usize::from(!r.is_zero()) < 2 {
                    continue;
                }
                acc.remove(b);
                let mut exps = Vec::new();
                for (p, s, k) in pows {
                    acc.remove(p);
                    exps.push((s, k));
                }
                let exponent = self.sum_of_q(r, exps);
                let merged = self.pow(b, exponent);
                work.push((merged, Q::int(1)));
            }
        }
        if coeff.is_zero() {
            return self.num_q(Q::int(0));
        }
        let factors = acc.nonzero();
        if factors.is_empty() {
            return self.num_q(coeff);
        }
        if factors.len() == 1 && factors[0].1 == 1 {
            let b = factors[0].0;
            if coeff == 1 {
                return b;
            }
            if let Node::Add(s) = self.node(b)
                && self.mergeable(b)
            {
                // Distribute a number over a single sum: 2*(x + 1) is 2*x + 2.
                let constant = s.constant.mul(&coeff);
                let terms = s.terms.iter().map(|(t, k)| (*t, k.mul(&coeff))).collect();
                return self.sum_of_q(constant, terms);
            }
        }
        self.insert(Node::Mul(Product {
            coeff,
            factors: factors.into_boxed_slice(),
        }))
    }

    /// Whether an integer power of a number or product must stay unevaluated (too large, or 0
    /// to a negative power, which is left for evaluation to report as a division by zero).
    fn stuck_power(&self, b: Id, e: &Rational) -> bool {
        let max_bits = self.limits().max_exact_bits;
        match self.node(b) {
            Node::Num(r) => rational_powi(r, e.numer(), max_bits).is_none(),
            Node::Mul(p) => rational_powi(&p.coeff, e.numer(), max_bits).is_none(),
            _ => false,
        }
    }
}

/// `r^e` for an integer `e` when it is defined and within `max_bits` ([`rational_powi`]);
/// a value taken once without arithmetic.
fn power(r: &Q, e: &Q, max_bits: u64) -> Option<Q> {
    if *e == 1 && rational_bits(r) <= max_bits {
        return Some(r.clone());
    }
    rational_powi(r, e.numer(), max_bits).map(Q::new)
}

/// `r^e` when it is an exact rational within limits.
fn num_power(r: &Q, e: &Q, max_bits: u64) -> Option<Q> {
    if e.is_integer() {
        return power(r, e, max_bits);
    }
    if *r < 0 {
        return None;
    }
    let q = e.denom().to_u32()?;
    let root = exact_root(r, q)?;
    rational_powi(&root, e.numer(), max_bits).map(Q::new)
}

impl Store {
    // ---------------------------------------------------------------- powers

    /// `base ^ exponent`.
    pub fn pow(&mut self, base: Id, exponent: Id) -> Id {
        if let Node::Num(r) = self.node(exponent) {
            let r = r.clone();
            return self.product_of_q(Q::int(1), vec![(base, r)]);
        }
        if let Node::Num(b) = self.node(base)
            && *b == 1
        {
            return base;
        }
        self.insert(Node::Pow(base, exponent))
    }

    /// `sqrt(a)`, built as `a^(1/2)`.
    pub fn sqrt(&mut self, a: Id) -> Id {
        self.powr(a, Rational::from((1, 2)))
    }

    // ---------------------------------------------------------------- calls

    /// A call of a function, with exact folding of constant arguments where the value is
    /// rational ([`Builtin::exact`]: `relu(-2)` is 0, `exp(0)` is 1, `sigmoid(0)` is 1/2), then
    /// the named call rules (`expr/rules.rs`: `log(exp(t))` is `t`).
    pub fn call(&mut self, f: Func, args: Vec<Id>) -> Id {
        if let Func::Builtin(Builtin::Max | Builtin::Min) = f {
            // max(a, a) is a: not a tie at a kink. Only when every argument is the same node:
            // `max(x, x, 2x - 1)` keeps its three arguments, so that at a tie each has its
            // share as written (1/3 each), as in a program with `u = x` (issue 9).
            if args.iter().all(|a| *a == args[0]) && !args.is_empty() {
                return args[0];
            }
        }
        if let Func::Builtin(b) = f {
            if let Some(v) = self.fold_builtin(b, &args) {
                return self.num(v);
            }
            if let Some(id) = super::rules::rewrite_call(self, b, &args) {
                return id;
            }
        }
        self.insert(Node::Call(f, args.into_boxed_slice()))
    }

    /// A call of a built-in.
    pub fn builtin(&mut self, b: Builtin, args: Vec<Id>) -> Id {
        debug_assert!(b.takes(args.len()));
        self.call(Func::Builtin(b), args)
    }

    /// `f(x)` for a built-in of one argument.
    pub fn apply(&mut self, b: Builtin, x: Id) -> Id {
        self.builtin(b, vec![x])
    }

    /// A call of an abstract function or one of its partials.
    pub fn abstract_call(&mut self, f: AbstractFn, args: Vec<Id>) -> Id {
        self.call(Func::Abstract(Box::new(f)), args)
    }

    fn fold_builtin(&self, b: Builtin, args: &[Id]) -> Option<Rational> {
        let vals: Vec<&Rational> = args
            .iter()
            .map(|a| self.as_num(*a))
            .collect::<Option<_>>()?;
        b.exact(&vals).ok()
    }
}
