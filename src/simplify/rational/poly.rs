//! Sparse multivariate polynomials over Q with exact rug coefficients, and their gcd.
//!
//! A monomial is its exponent vector with trailing zeros trimmed, so that the derived order of
//! `Vec<u32>` is the lexicographic order (variable 0 first) whatever the number of variables.
//! The gcd is the recursive primitive polynomial remainder sequence (Knuth, TAOCP vol. 2,
//! 4.6.1, algorithm E; Geddes, Czapor and Labahn, "Algorithms for Computer Algebra", 7.2):
//! view both polynomials as univariate in one variable with coefficients in the others, take
//! the gcd of the contents recursively and run pseudo-remainders on the primitive parts,
//! taking the primitive part of each remainder so that coefficients stay small.
//!
//! Every operation spends from a [`Budget`]; when it runs out the caller gets [`TooBig`] and
//! gives up instead of growing without bound.

use rug::{Integer, Rational};
use std::collections::BTreeMap;

/// The work ran past its budget (or met something it does not handle): give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TooBig;

pub(super) type Res<T> = Result<T, TooBig>;

/// Most terms any polynomial may have.
const MAX_TERMS: usize = 256;
/// Most bits of any coefficient (numerator plus denominator).
const MAX_COEFF_BITS: u32 = 2048;

/// Work left: each term touched costs one unit.
#[derive(Debug)]
pub(super) struct Budget(u64);

impl Budget {
    pub(super) fn new(units: u64) -> Self {
        Budget(units)
    }

    fn spend(&mut self, units: usize) -> Res<()> {
        self.0 = self.0.checked_sub(units as u64).ok_or(TooBig)?;
        Ok(())
    }
}

/// An exponent vector without trailing zeros.
pub(super) type Mono = Vec<u32>;

fn trim(mut m: Mono) -> Mono {
    while m.last() == Some(&0) {
        m.pop();
    }
    m
}

fn mono_mul(a: &Mono, b: &Mono) -> Mono {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| a.get(i).copied().unwrap_or(0) + b.get(i).copied().unwrap_or(0))
        .collect()
}

/// `a / b` when `b` divides `a`.
fn mono_div(a: &Mono, b: &Mono) -> Option<Mono> {
    let n = a.len().max(b.len());
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        out.push(x.checked_sub(y)?);
    }
    Some(trim(out))
}

/// The exponent-wise minimum: the gcd of two monomials.
pub(super) fn mono_gcd(a: &Mono, b: &Mono) -> Mono {
    trim(a.iter().zip(b).map(|(x, y)| *x.min(y)).collect())
}

/// A polynomial: monomials with their nonzero coefficients.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(super) struct Poly(BTreeMap<Mono, Rational>);

impl Poly {
    pub(super) fn zero() -> Poly {
        Poly::default()
    }

    pub(super) fn constant(r: Rational) -> Poly {
        let mut p = Poly::zero();
        if r != 0 {
            p.0.insert(Vec::new(), r);
        }
        p
    }

    pub(super) fn one() -> Poly {
        Poly::constant(Rational::from(1))
    }

    /// The variable number `i`.
    pub(super) fn var(i: usize) -> Poly {
        let mut m = vec![0; i + 1];
        m[i] = 1;
        let mut p = Poly::zero();
        p.0.insert(m, Rational::from(1));
        p
    }

    pub(super) fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn terms(&self) -> impl Iterator<Item = (&Mono, &Rational)> {
        self.0.iter()
    }

    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    /// The value if the polynomial is a constant.
    pub(super) fn as_constant(&self) -> Option<Rational> {
        match self.0.len() {
            0 => Some(Rational::new()),
            1 => self.0.get(&Vec::new()).cloned(),
            _ => None,
        }
    }

    fn check(self) -> Res<Poly> {
        if self.0.len() > MAX_TERMS
            || self.0.values().any(|c| {
                c.numer().significant_bits() + c.denom().significant_bits() > MAX_COEFF_BITS
            })
        {
            return Err(TooBig);
        }
        Ok(self)
    }

    fn add_term(&mut self, m: Mono, c: Rational) {
        if c == 0 {
            return;
        }
        let entry = self.0.entry(m);
        match entry {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(c);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                *o.get_mut() += c;
                if *o.get() == 0 {
                    o.remove();
                }
            }
        }
    }

    /// `self + k·other`
    pub(super) fn add_scaled(&self, other: &Poly, k: &Rational, b: &mut Budget) -> Res<Poly> {
        b.spend(self.len() + other.len())?;
        let mut out = self.clone();
        for (m, c) in &other.0 {
            out.add_term(m.clone(), Rational::from(c * k));
        }
        out.check()
    }

    pub(super) fn sub(&self, other: &Poly, b: &mut Budget) -> Res<Poly> {
        self.add_scaled(other, &Rational::from(-1), b)
    }

    pub(super) fn scale(&self, k: &Rational) -> Poly {
        if *k == 0 {
            return Poly::zero();
        }
        Poly(
            self.0
                .iter()
                .map(|(m, c)| (m.clone(), Rational::from(c * k)))
                .collect(),
        )
    }

    pub(super) fn mul(&self, other: &Poly, b: &mut Budget) -> Res<Poly> {
        b.spend(self.len().saturating_mul(other.len()))?;
        let mut out = Poly::zero();
        for (m, c) in &self.0 {
            for (n, d) in &other.0 {
                out.add_term(mono_mul(m, n), Rational::from(c * d));
            }
        }
        out.check()
    }

    pub(super) fn pow(&self, k: u32, b: &mut Budget) -> Res<Poly> {
        let mut out = Poly::one();
        for _ in 0..k {
            out = out.mul(self, b)?;
        }
        Ok(out)
    }

    /// `(a, b)` with `self = a + b·x_i` and neither containing `x_i`, when `self` has degree
    /// at most 1 in `x_i`.
    pub(super) fn split_linear(&self, i: usize) -> Option<(Poly, Poly)> {
        let (mut a, mut b) = (Poly::zero(), Poly::zero());
        for (m, c) in &self.0 {
            match m.get(i).copied().unwrap_or(0) {
                0 => a.add_term(m.clone(), c.clone()),
                1 => {
                    let mut n = m.clone();
                    n[i] = 0;
                    b.add_term(trim(n), c.clone());
                }
                _ => return None,
            }
        }
        Some((a, b))
    }

    /// With `x_i` standing for a square root of `u`: every `x_i^k`, `k ≥ 2`, replaced by
    /// `x_i^(k mod 2)·u^(k div 2)`; `None` when no term has `x_i^2`.
    pub(super) fn reduce_square(&self, i: usize, u: &Poly, b: &mut Budget) -> Res<Option<Poly>> {
        if self.degree_in(i) < 2 {
            return Ok(None);
        }
        let mut out = Poly::zero();
        for (m, c) in &self.0 {
            let k = m.get(i).copied().unwrap_or(0);
            let mut n = m.clone();
            if k > 0 {
                n[i] = k % 2;
            }
            let mut t = Poly::zero();
            t.0.insert(trim(n), c.clone());
            if k >= 2 {
                t = t.mul(&u.pow(k / 2, b)?, b)?;
            }
            out = out.add_scaled(&t, &Rational::from(1), b)?;
        }
        Ok(Some(out))
    }

    /// The leading term in lexicographic order.
    fn leading(&self) -> Option<(&Mono, &Rational)> {
        self.0.last_key_value()
    }

    /// `self / d` when `d` divides `self` exactly, else `None`.
    pub(super) fn div_exact(&self, d: &Poly, b: &mut Budget) -> Res<Option<Poly>> {
        let Some((dm, dc)) = d.leading() else {
            return Err(TooBig);
        };
        let (dm, dc) = (dm.clone(), dc.clone());
        let mut rest = self.clone();
        let mut q = Poly::zero();
        while let Some((rm, rc)) = rest.leading() {
            // In a lexicographic order the leading term of a multiple of d is d's leading
            // term times the cofactor's: if it does not divide, d does not divide.
            let Some(m) = mono_div(rm, &dm) else {
                return Ok(None);
            };
            let c = Rational::from(rc / &dc);
            let mut t = Poly::zero();
            t.0.insert(m.clone(), c.clone());
            q.add_term(m, c);
            rest = rest.sub(&t.mul(d, b)?, b)?;
        }
        Ok(Some(q))
    }

    /// `c` and `self / c` with `self / c` of coprime integer coefficients and a positive
    /// leading coefficient (`c` is 1 for zero).
    pub(super) fn numeric_content(&self) -> (Rational, Poly) {
        let Some((_, lead)) = self.leading() else {
            return (Rational::from(1), Poly::zero());
        };
        let mut g = Integer::new();
        let mut l = Integer::from(1);
        for c in self.0.values() {
            g.gcd_mut(c.numer());
            l.lcm_mut(c.denom());
        }
        let mut c = Rational::from((g, l));
        if *lead < 0 {
            c = -c;
        }
        let inv = Rational::from(1) / &c;
        (c, self.scale(&inv))
    }

    /// The gcd of the monomials of all terms (the empty monomial for zero).
    pub(super) fn monomial_content(&self) -> Mono {
        let mut it = self.0.keys();
        let Some(first) = it.next() else {
            return Vec::new();
        };
        it.fold(first.clone(), |g, m| mono_gcd(&g, m))
    }

    /// `self / m` for a monomial `m` dividing every term.
    pub(super) fn div_mono(&self, m: &Mono) -> Poly {
        Poly(
            self.0
                .iter()
                .map(|(n, c)| (mono_div(n, m).expect("m divides every term"), c.clone()))
                .collect(),
        )
    }

    /// The smallest variable that occurs.
    fn first_var(&self) -> Option<usize> {
        self.0
            .keys()
            .filter_map(|m| m.iter().position(|e| *e > 0))
            .min()
    }

    /// The highest exponent of variable `k` (0 for zero).
    pub(super) fn degree_in(&self, k: usize) -> u32 {
        self.0
            .keys()
            .map(|m| m.get(k).copied().unwrap_or(0))
            .max()
            .unwrap_or(0)
    }

    /// The coefficients of the powers of variable `k` (polynomials free of it).
    fn coeffs_in(&self, k: usize) -> BTreeMap<u32, Poly> {
        let mut out: BTreeMap<u32, Poly> = BTreeMap::new();
        for (m, c) in &self.0 {
            let e = m.get(k).copied().unwrap_or(0);
            let mut rest = m.clone();
            if k < rest.len() {
                rest[k] = 0;
            }
            out.entry(e).or_default().0.insert(trim(rest), c.clone());
        }
        out
    }

    /// `self · x_k^e`
    fn shift(&self, k: usize, e: u32) -> Poly {
        let mut x = vec![0; k + 1];
        x[k] = e;
        Poly(
            self.0
                .iter()
                .map(|(m, c)| (trim(mono_mul(m, &x)), c.clone()))
                .collect(),
        )
    }

    /// The gcd of the coefficients in variable `k`.
    fn content_in(&self, k: usize, b: &mut Budget) -> Res<Poly> {
        let mut g = Poly::zero();
        for c in self.coeffs_in(k).into_values() {
            g = gcd(&g, &c, b)?;
            if g.as_constant().is_some() {
                break;
            }
        }
        Ok(g)
    }

    /// The primitive part in variable `k`, with unit numeric content.
    fn primitive_in(&self, k: usize, b: &mut Budget) -> Res<Poly> {
        let c = self.content_in(k, b)?;
        let p = self.div_exact(&c, b)?.ok_or(TooBig)?;
        Ok(p.numeric_content().1)
    }

    /// The pseudo-remainder of `self` by `d` in variable `k`, up to a constant factor.
    fn prem_in(&self, d: &Poly, k: usize, b: &mut Budget) -> Res<Poly> {
        let dd = d.degree_in(k);
        let dc = d.coeffs_in(k);
        let lc_d = &dc[&dd];
        let mut r = self.clone();
        while !r.is_zero() && r.degree_in(k) >= dd {
            let dr = r.degree_in(k);
            let lc_r = r.coeffs_in(k).remove(&dr).expect("leading coefficient");
            // lc(d)·r − lc(r)·x^(dr − dd)·d removes the leading power.
            let t = lc_r.shift(k, dr - dd).mul(d, b)?;
            r = lc_d.mul(&r, b)?.sub(&t, b)?;
            r = r.numeric_content().1;
        }
        Ok(r)
    }
}

/// The gcd of two polynomials: unit numeric content and a positive leading coefficient
/// (zero only when both are zero).
pub(super) fn gcd(a: &Poly, c: &Poly, b: &mut Budget) -> Res<Poly> {
    if a.is_zero() {
        return Ok(c.numeric_content().1);
    }
    if c.is_zero() {
        return Ok(a.numeric_content().1);
    }
    if a.as_constant().is_some() || c.as_constant().is_some() {
        return Ok(Poly::one());
    }
    // Both share no variable through this one: a monomial factor is found the same way.
    let k = match (a.first_var(), c.first_var()) {
        (Some(i), Some(j)) => i.min(j),
        _ => return Ok(Poly::one()),
    };
    let (da, dc) = (a.degree_in(k), c.degree_in(k));
    if da == 0 {
        return gcd(a, &c.content_in(k, b)?, b);
    }
    if dc == 0 {
        return gcd(&a.content_in(k, b)?, c, b);
    }
    let (ca, cc) = (a.content_in(k, b)?, c.content_in(k, b)?);
    let content = gcd(&ca, &cc, b)?;
    let pa = a.div_exact(&ca, b)?.ok_or(TooBig)?;
    let pc = c.div_exact(&cc, b)?.ok_or(TooBig)?;
    let (mut f, mut g) = if da >= dc { (pa, pc) } else { (pc, pa) };
    while !g.is_zero() {
        let r = f.prem_in(&g, k, b)?;
        f = g;
        if r.is_zero() {
            break;
        }
        if r.degree_in(k) == 0 {
            // A nonzero remainder free of x_k: the primitive parts are coprime.
            f = Poly::one();
            break;
        }
        g = r.primitive_in(k, b)?;
    }
    let f = f.primitive_in(k, b)?;
    Ok(content.mul(&f, b)?.numeric_content().1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget() -> Budget {
        Budget::new(1_000_000)
    }

    /// A polynomial from `(coefficient, exponents)` pairs.
    fn p(terms: &[(i64, &[u32])]) -> Poly {
        let mut out = Poly::zero();
        for (c, m) in terms {
            out.add_term(trim(m.to_vec()), Rational::from(*c));
        }
        out
    }

    #[test]
    fn gcd_of_univariate_polynomials() {
        let b = &mut budget();
        // x² − 1 and x² + 2x + 1 share x + 1.
        let a = p(&[(1, &[2]), (-1, &[])]);
        let c = p(&[(1, &[2]), (2, &[1]), (1, &[])]);
        assert_eq!(gcd(&a, &c, b).unwrap(), p(&[(1, &[1]), (1, &[])]));
    }

    #[test]
    fn gcd_of_multivariate_polynomials() {
        let b = &mut budget();
        // (x + y)(x − 2y + 3) and (x + y)(2x + y)² share x + y.
        let xy = p(&[(1, &[1]), (1, &[0, 1])]);
        let f = p(&[(1, &[1]), (-2, &[0, 1]), (3, &[])]);
        let g = p(&[(2, &[1]), (1, &[0, 1])]);
        let a = xy.mul(&f, b).unwrap();
        let c = xy.mul(&g.pow(2, b).unwrap(), b).unwrap();
        assert_eq!(gcd(&a, &c, b).unwrap(), xy);
        // Coprime: 1.
        assert_eq!(gcd(&f, &g, b).unwrap(), Poly::one());
        // A common factor free of the first variable: y² − 1 times x and times (x + 1).
        let y2 = p(&[(1, &[0, 2]), (-1, &[])]);
        let a = y2.mul(&p(&[(1, &[1])]), b).unwrap();
        let c = y2.mul(&p(&[(1, &[1]), (1, &[])]), b).unwrap();
        assert_eq!(gcd(&a, &c, b).unwrap(), y2);
    }

    #[test]
    fn gcd_keeps_rational_coefficients_out() {
        let b = &mut budget();
        // (x/2 − 1/3) and (3x − 2)·x: gcd 3x − 2.
        let mut a = Poly::zero();
        a.add_term(vec![1], Rational::from((1, 2)));
        a.add_term(vec![], Rational::from((-1, 3)));
        let c = p(&[(3, &[2]), (-2, &[1])]);
        assert_eq!(gcd(&a, &c, b).unwrap(), p(&[(3, &[1]), (-2, &[])]));
    }

    #[test]
    fn exact_division() {
        let b = &mut budget();
        let a = p(&[(1, &[2]), (-1, &[0, 2])]); // x² − y²
        let d = p(&[(1, &[1]), (-1, &[0, 1])]); // x − y
        assert_eq!(
            a.div_exact(&d, b).unwrap(),
            Some(p(&[(1, &[1]), (1, &[0, 1])]))
        );
        assert_eq!(a.div_exact(&p(&[(1, &[1]), (2, &[])]), b).unwrap(), None);
    }

    #[test]
    fn the_budget_stops_growth() {
        let x1 = p(&[(1, &[1]), (1, &[0, 1]), (1, &[0, 0, 1]), (1, &[])]);
        assert_eq!(x1.pow(12, &mut budget()), Err(TooBig));
        assert_eq!(x1.pow(3, &mut Budget::new(10)), Err(TooBig));
    }
}
