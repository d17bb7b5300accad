//! Rational-function normalisation: one fraction, common factors cancelled.
//!
//! [`normal`] treats every subterm that is not a sum, a product or an integer power (a call,
//! a symbolic power, a root) as an atom, reads the expression as a quotient of two
//! polynomials in those atoms over Q, combines fractions over a common denominator and
//! cancels the gcd of numerator and denominator (`poly.rs`), as SymPy's `cancel` does. A
//! square root `s = u^(1/2)` of a polynomial is an atom with its relation `s² = u`: squares of
//! roots become radicands and a denominator linear in `s` is rationalised by its conjugate,
//! each such result checked to equal the input wherever the input is defined. It
//! returns the result only when it is shorter than the input, and gives up on inputs past a
//! budget of work, so it can be tried on anything a report prints.
//!
//! Cancelling may make defined what was not: `x/x` is 1, but not at 0. Every factor of the
//! input with a negative exponent is returned as a condition beside the result (its node must
//! be defined), unless the result still contains it (DESIGN.md, "Domain conditions").

mod poly;

use crate::expr::{Id, Node, Store};
use poly::{Budget, Mono, Poly, Res, TooBig, gcd};
use rug::Rational;
use std::collections::HashMap;

/// Most nodes of an input [`normal`] looks at.
pub const MAX_NODES: usize = 200;

/// Units of work (terms touched) [`normal`] spends before it gives up.
const WORK: u64 = 200_000;

/// Most an integer power of a sum is expanded to.
const MAX_POWER: u32 = 8;

/// The result of [`normal`]: the expression and the domain conditions it dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Normal {
    /// The normalised expression.
    pub expr: Id,
    /// Nodes of the input that must be defined (each a factor with a negative exponent, a
    /// denominator, possibly cancelled) for the result to stand for the input; those the
    /// result still contains are left out.
    pub conditions: Vec<Id>,
}

/// `e` as one fraction with common factors cancelled, when that is shorter than `e` by
/// [`size`]; `None` when it is not, when `e` is larger than [`MAX_NODES`] or the work would
/// pass its budget, or when a denominator is zero everywhere.
///
/// ```
/// use chainrule::{expr::Store, print::text, simplify::rational::normal, syntax::read_expr};
/// let mut store = Store::new();
/// let (e, _) = read_expr(&mut store, "((1 - y)/(1 - p) - y/p) * p*(1 - p)", "<expr>").unwrap();
/// let n = normal(&mut store, e).unwrap();
/// assert_eq!(text(&store, n.expr), "p - y");
/// // p and 1 - p were denominators: the result stands for the input only where p ≠ 0, 1.
/// let c: Vec<String> = n.conditions.iter().map(|c| text(&store, *c)).collect();
/// assert_eq!(c, ["1/(1 - p)", "1/p"]);
/// ```
pub fn normal(store: &mut Store, e: Id) -> Option<Normal> {
    if store.dag_size(e) > MAX_NODES {
        return None;
    }
    let mut reader = Reader {
        atoms: Vec::new(),
        index: HashMap::new(),
        memo: HashMap::new(),
        conditions: Vec::new(),
        factors: Vec::new(),
        budget: Budget::new(WORK),
    };
    let f = reader.read(store, e).ok()?;
    let mut out = reader.write(store, &f).ok()?;
    if let Ok(Some((g, roots))) = reader.radical(store, &f)
        && let Ok(forms) = reader.write_radical(store, &g, &roots)
    {
        for form in forms {
            if size(store, form) < size(store, out) {
                out = form;
            }
        }
    }
    if size(store, out) >= size(store, e) {
        return None;
    }
    let kept = Kept::new(store, out);
    let mut conditions = Vec::new();
    for c in reader.conditions {
        if !kept.covers(store, c) && !conditions.contains(&c) {
            conditions.push(c);
        }
    }
    Some(Normal {
        expr: out,
        conditions,
    })
}

/// What a result still divides by: its nodes, and the bases of negative powers in its
/// products with their exponents.
struct Kept {
    reach: Vec<Id>,
    negative: HashMap<Id, Vec<Rational>>,
}

impl Kept {
    fn new(store: &Store, root: Id) -> Kept {
        let reach = store.reachable(&[root]);
        let mut negative: HashMap<Id, Vec<Rational>> = HashMap::new();
        for id in &reach {
            if let Node::Mul(p) = store.node(*id) {
                for (b, x) in p.factors() {
                    if *x < 0 {
                        negative.entry(*b).or_default().push(x.to_rational());
                    }
                }
            }
        }
        Kept { reach, negative }
    }

    /// Whether evaluating the result checks the condition `c` (a power `b^e`, `e < 0`, or a
    /// root `b^(1/2)`) anyway: it contains `c`, or a negative power of `b` where `e` is an
    /// integer (both need only `b ≠ 0`), or `b^e` itself inside a product, or for a root a
    /// negative power of `b` with the same denominator (`b^(-1/2)` needs `b > 0`).
    fn covers(&self, store: &Store, c: Id) -> bool {
        if self.reach.binary_search(&c).is_ok() {
            return true;
        }
        let Node::Mul(p) = store.node(c) else {
            return false;
        };
        p.coeff_is(1)
            && p.factors().iter().all(|(b, e)| {
                // A root u^(1/2) needs u ≥ 0, as does the kept u^(-1/2).
                self.negative.get(b).is_some_and(|xs| {
                    xs.iter()
                        .any(|x| e.denom() == &1 || *x == **e || (*e > 0 && x.denom() == e.denom()))
                })
            })
    }
}

/// The number of operations of `e` as printed: SymPy's `count_ops`, the simplifier's one
/// measure of length ([`super::size::ops`]).
pub fn size(store: &Store, e: Id) -> u64 {
    super::size::ops(store, e)
}

/// A quotient of polynomials in lowest terms: the denominator has unit numeric content and a
/// positive leading coefficient, and is never zero.
#[derive(Clone, Debug)]
struct Frac {
    num: Poly,
    den: Poly,
}

impl Frac {
    fn poly(p: Poly) -> Frac {
        Frac {
            num: p,
            den: Poly::one(),
        }
    }

    /// `num/den` in lowest terms; a zero denominator is refused.
    fn new(num: Poly, den: Poly, b: &mut Budget) -> Res<Frac> {
        if den.is_zero() {
            return Err(TooBig);
        }
        let g = gcd(&num, &den, b)?;
        let (num, den) = if g.as_constant().is_some() {
            (num, den)
        } else {
            (
                num.div_exact(&g, b)?.ok_or(TooBig)?,
                den.div_exact(&g, b)?.ok_or(TooBig)?,
            )
        };
        let (c, den) = den.numeric_content();
        Ok(Frac {
            num: num.scale(&(Rational::from(1) / c)),
            den,
        })
    }

    fn add(&self, other: &Frac, k: &Rational, b: &mut Budget) -> Res<Frac> {
        if self.den == other.den {
            let num = self.num.add_scaled(&other.num, k, b)?;
            return Frac::new(num, self.den.clone(), b);
        }
        let g = gcd(&self.den, &other.den, b)?;
        let a_co = other.den.div_exact(&g, b)?.ok_or(TooBig)?;
        let b_co = self.den.div_exact(&g, b)?.ok_or(TooBig)?;
        let num = self
            .num
            .mul(&a_co, b)?
            .add_scaled(&other.num.mul(&b_co, b)?, k, b)?;
        let den = self.den.mul(&a_co, b)?;
        Frac::new(num, den, b)
    }

    fn mul(&self, other: &Frac, b: &mut Budget) -> Res<Frac> {
        let num = self.num.mul(&other.num, b)?;
        let den = self.den.mul(&other.den, b)?;
        Frac::new(num, den, b)
    }

    fn powi(&self, e: i64, b: &mut Budget) -> Res<Frac> {
        let k = u32::try_from(e.unsigned_abs()).map_err(|_| TooBig)?;
        if k > MAX_POWER && (self.num.len() > 1 || self.den.len() > 1) {
            return Err(TooBig);
        }
        let (num, den) = (self.num.pow(k, b)?, self.den.pow(k, b)?);
        if e < 0 {
            Frac::new(den, num, b)
        } else {
            Frac::new(num, den, b)
        }
    }
}

/// The atoms that are square roots of polynomials: variable number `i` and radicand `u`,
/// for the relation `x_i^2 = u`.
type Roots = Vec<(usize, Poly)>;

/// Reads expressions as fractions over atoms and writes fractions back.
struct Reader {
    /// The atoms, by variable number.
    atoms: Vec<Id>,
    index: HashMap<Id, usize>,
    memo: HashMap<Id, Frac>,
    /// Nodes that must be defined: the input's factors with negative exponents.
    conditions: Vec<Id>,
    /// The sums of the input as polynomials (unit numeric content): tried as factors of the
    /// result.
    factors: Vec<Poly>,
    budget: Budget,
}

impl Reader {
    fn atom(&mut self, id: Id) -> Frac {
        let n = self.atoms.len();
        let i = *self.index.entry(id).or_insert(n);
        if i == n {
            self.atoms.push(id);
        }
        Frac::poly(Poly::var(i))
    }

    fn read(&mut self, store: &mut Store, id: Id) -> Res<Frac> {
        if let Some(f) = self.memo.get(&id) {
            return Ok(f.clone());
        }
        let f = match store.node(id).clone() {
            Node::Num(r) => Frac::poly(Poly::constant(r.to_rational())),
            Node::Sym(_) | Node::Pow(..) | Node::Call(..) => self.atom(id),
            Node::Add(s) => {
                let mut acc = Frac::poly(Poly::constant(s.constant().clone()));
                for (t, k) in s.terms() {
                    let f = self.read(store, *t)?;
                    acc = acc.add(&f, k, &mut self.budget)?;
                }
                if acc.den.as_constant().is_some() && acc.num.len() > 1 {
                    let factor = acc.num.numeric_content().1;
                    if !self.factors.contains(&factor) {
                        self.factors.push(factor);
                    }
                }
                acc
            }
            Node::Mul(p) => {
                let mut acc = Frac::poly(Poly::constant(p.coeff().clone()));
                for (base, x) in p.factors() {
                    if *x < 0 {
                        let factor = store.powr(*base, x.to_rational());
                        self.conditions.push(factor);
                    }
                    let f = if x.denom() == &1 {
                        let e = x.numer().to_i64().ok_or(TooBig)?;
                        self.read(store, *base)?.powi(e, &mut self.budget)?
                    } else {
                        // base^(i + f) is base^i · base^f with an integer i and 0 < f < 1,
                        // so that x^(3/2) and x share x: the fractional power is the atom.
                        let i = x.to_rational().floor();
                        let f = Rational::from(&**x - &i);
                        let root = store.powr(*base, f);
                        let e = i.numer().to_i64().ok_or(TooBig)?;
                        let whole = self.read(store, *base)?.powi(e, &mut self.budget)?;
                        self.atom(root).mul(&whole, &mut self.budget)?
                    };
                    acc = acc.mul(&f, &mut self.budget)?;
                }
                acc
            }
        };
        self.memo.insert(id, f.clone());
        Ok(f)
    }

    /// The atoms that are square roots `u^(1/2)` of polynomials `u` (variable number and
    /// `u`), each also a condition (the root must be defined). Reading a radicand may add
    /// atoms, roots among them: those are looked at too. A root is never part of its own
    /// radicand, so the relations `x_i^2 = u` are acyclic.
    fn roots(&mut self, store: &mut Store) -> Res<Roots> {
        let half = Rational::from((1, 2));
        let mut roots = Vec::new();
        let mut i = 0;
        while i < self.atoms.len() {
            let id = self.atoms[i];
            let base = match store.node(id) {
                Node::Mul(p)
                    if p.coeff_is(1) && p.factors().len() == 1 && *p.factors()[0].1 == half =>
                {
                    Some(p.factors()[0].0)
                }
                _ => None,
            };
            if let Some(base) = base {
                let u = self.read(store, base)?;
                // In lowest terms a polynomial has the denominator 1.
                if u.den.as_constant().is_some() {
                    roots.push((i, u.num));
                    self.conditions.push(id);
                }
            }
            i += 1;
        }
        Ok(roots)
    }

    /// `p` with every square of a root replaced by its radicand, until none is left (the
    /// relations are acyclic, and the budget bounds the work).
    fn reduce(&mut self, p: &Poly, roots: &[(usize, Poly)]) -> Res<Poly> {
        let mut p = p.clone();
        loop {
            let mut changed = false;
            for (i, u) in roots {
                if let Some(q) = p.reduce_square(*i, u, &mut self.budget)? {
                    p = q;
                    changed = true;
                }
            }
            if !changed {
                return Ok(p);
            }
        }
    }

    /// `f` with the square roots of polynomials among its atoms known as such: squares of
    /// roots replaced by their radicands, and a denominator linear in a root `s`, `a + b·s`,
    /// rationalised by its conjugate, `(a + b·s)(a − b·s) = a² − b²·u`; then in lowest
    /// terms. With the roots' relations `s² = u` (the roots found by [`Self::roots`]), or
    /// `None` when there is no root or nothing changed.
    ///
    /// Multiplying by the conjugate is valid only where it is not zero, and `s² = u` has
    /// zero divisors when `u` is a square. So the result `g` is kept only when it is checked:
    /// `g.num·f.den = f.num·g.den` modulo the relations (an identity in the atoms, true at
    /// every point where the atoms are defined and real), and `g.den` a product of factors of
    /// `f.den` (so `g.den ≠ 0` wherever `f.den ≠ 0`, that is wherever the input is defined).
    /// Then `g = f` wherever the input is defined.
    fn radical(&mut self, store: &mut Store, f: &Frac) -> Res<Option<(Frac, Roots)>> {
        let roots = self.roots(store)?;
        if roots.is_empty() {
            return Ok(None);
        }
        let mut num = self.reduce(&f.num, &roots)?;
        let mut den = self.reduce(&f.den, &roots)?;
        for (i, _) in &roots {
            let Some((a, b)) = den.split_linear(*i) else {
                continue;
            };
            if b.is_zero() {
                continue;
            }
            let g = gcd(&a, &b, &mut self.budget)?;
            let a = a.div_exact(&g, &mut self.budget)?.ok_or(TooBig)?;
            let b = b.div_exact(&g, &mut self.budget)?.ok_or(TooBig)?;
            let conj = a.sub(&b.mul(&Poly::var(*i), &mut self.budget)?, &mut self.budget)?;
            let n = num.mul(&conj, &mut self.budget)?;
            let d = den.mul(&conj, &mut self.budget)?;
            num = self.reduce(&n, &roots)?;
            den = self.reduce(&d, &roots)?;
        }
        let g = Frac::new(num, den, &mut self.budget)?;
        if g.num == f.num && g.den == f.den {
            return Ok(None);
        }
        let cross = g
            .num
            .mul(&f.den, &mut self.budget)?
            .sub(&f.num.mul(&g.den, &mut self.budget)?, &mut self.budget)?;
        if !self.reduce(&cross, &roots)?.is_zero() {
            return Ok(None);
        }
        let mut rest = g.den.clone();
        while rest.as_constant().is_none() {
            let h = gcd(&rest, &f.den, &mut self.budget)?;
            if h.as_constant().is_some() {
                return Ok(None);
            }
            rest = rest.div_exact(&h, &mut self.budget)?.ok_or(TooBig)?;
        }
        Ok(Some((g, roots)))
    }

    /// `g` from [`Self::radical`] written out: as it is, and with each root `s` that divides
    /// the numerator while its radicand `u` divides the denominator moved down, `s/u = 1/s`
    /// (`1/sqrt(u)` rather than `sqrt(u)/u`; both are zero-free exactly where `u ≠ 0`).
    fn write_radical(
        &mut self,
        store: &mut Store,
        g: &Frac,
        roots: &[(usize, Poly)],
    ) -> Res<Vec<Id>> {
        let mut forms = vec![self.write(store, g)?];
        let (mut num, mut den) = (g.num.clone(), g.den.clone());
        let mut down = Vec::new();
        for (i, u) in roots {
            if num.monomial_content().get(*i).copied().unwrap_or(0) == 0 {
                continue;
            }
            if let Some(q) = den.div_exact(u, &mut self.budget)? {
                let mut m = vec![0; i + 1];
                m[*i] = 1;
                num = num.div_mono(&m);
                den = q;
                down.push(self.atoms[*i]);
            }
        }
        if !down.is_empty() {
            let n = self.polynomial(store, &num);
            let d = self.polynomial(store, &den);
            let mut items = vec![(n, Rational::from(1)), (d, Rational::from(-1))];
            items.extend(down.into_iter().map(|s| (s, Rational::from(-1))));
            forms.push(store.product_of(Rational::from(1), items));
        }
        Ok(forms)
    }

    /// A monomial as a product of atoms.
    fn monomial(&self, store: &mut Store, coeff: Rational, m: &Mono) -> Id {
        let factors = m
            .iter()
            .enumerate()
            .filter(|(_, e)| **e > 0)
            .map(|(i, e)| (self.atoms[i], Rational::from(*e)))
            .collect();
        store.product_of(coeff, factors)
    }

    /// A polynomial written out, term by term.
    fn expanded(&self, store: &mut Store, p: &Poly) -> Id {
        let mut constant = Rational::new();
        let mut terms = Vec::new();
        for (m, c) in p.terms() {
            if m.is_empty() {
                constant = c.clone();
            } else {
                terms.push((self.monomial(store, Rational::from(1), m), c.clone()));
            }
        }
        store.sum_of(constant, terms)
    }

    /// A polynomial as its numeric and monomial content times the rest, or written out,
    /// whichever is shorter.
    fn content_form(&self, store: &mut Store, p: &Poly) -> Id {
        let flat = self.expanded(store, p);
        let m = p.monomial_content();
        let (c, rest) = p.numeric_content();
        if m.is_empty() && c.numer().clone().abs() == 1 && *c.denom() == 1 {
            return flat;
        }
        let rest = rest.div_mono(&m);
        let rest = self.expanded(store, &rest);
        let mono = self.monomial(store, c, &m);
        let factored = store.mul(mono, rest);
        if size(store, factored) < size(store, flat) {
            factored
        } else {
            flat
        }
    }

    /// A polynomial written with the sums of the input that divide it as factors (`(h + 1)^2`
    /// rather than `h^2 + 2*h + 1`), when that is shorter than [`Self::content_form`]. No
    /// factorisation: only the input's own sums are tried, so the result keeps the forms the
    /// reader wrote.
    fn polynomial(&mut self, store: &mut Store, p: &Poly) -> Id {
        let plain = self.content_form(store, p);
        if p.as_constant().is_some() {
            return plain;
        }
        let mut rest = p.clone();
        let mut found: Vec<(usize, u32)> = Vec::new();
        for (i, c) in self.factors.iter().enumerate() {
            let mut k = 0;
            // rest is never constant here, so each division lowers its degree.
            while rest.as_constant().is_none()
                && let Ok(Some(q)) = rest.div_exact(c, &mut self.budget)
            {
                rest = q;
                k += 1;
            }
            if k > 0 {
                found.push((i, k));
            }
        }
        if found.is_empty() {
            return plain;
        }
        let mut items = vec![(self.content_form(store, &rest), Rational::from(1))];
        for (i, k) in found {
            let c = self.factors[i].clone();
            items.push((self.content_form(store, &c), Rational::from(k)));
        }
        let factored = store.product_of(Rational::from(1), items);
        // On a tie the input's own sums win: `p*(1 - p)` reads as the input did, `p - p^2`
        // does not.
        if size(store, factored) <= size(store, plain) {
            factored
        } else {
            plain
        }
    }

    fn write(&mut self, store: &mut Store, f: &Frac) -> Res<Id> {
        let num = self.polynomial(store, &f.num);
        if let Some(c) = f.den.as_constant() {
            // Lowest terms: a constant denominator is 1.
            debug_assert_eq!(c, 1);
            return Ok(num);
        }
        let den = self.polynomial(store, &f.den);
        Ok(store.div(num, den))
    }
}
