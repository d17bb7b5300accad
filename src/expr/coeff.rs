//! The rationals inside nodes ([`Q`]): the small ones that most coefficients and exponents
//! are (integers up to 64 in size, halves) without an allocation.
//!
//! A `rug::Rational` is 32 bytes and two allocations (numerator and denominator limbs), for
//! a 1 as for a 500-digit number; a node of a large network holds several (a product's
//! coefficient and each factor's exponent), and a 10^5-layer program's store had millions of
//! them. A [`Q`] is 16 bytes: an index into a table of the small rationals, made once, or a
//! boxed `Rational` for any other. It dereferences to `&Rational`, so reading one is reading
//! a rational; only the store's constructors make one, and each value has one form (a small
//! value is never boxed), so equality and hashing may go by the form.

use rug::Rational;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::LazyLock;

/// The largest integer kept small, in size; halves below it in size are small too.
const SMALL_INT: i32 = 64;

/// The small rationals: the integers -64..=64, then the halves -63/2..=63/2.
static SMALL: LazyLock<Vec<Rational>> = LazyLock::new(|| {
    let ints = (-SMALL_INT..=SMALL_INT).map(Rational::from);
    let halves = (-SMALL_INT + 1..SMALL_INT)
        .step_by(2)
        .map(|n| Rational::from((n, 2)));
    ints.chain(halves).collect()
});

/// A rational in a node: see the module's documentation.
#[derive(Clone)]
pub struct Q(Repr);

#[derive(Clone)]
enum Repr {
    Small(u8),
    Big(Box<Rational>),
}

/// The index in [`SMALL`] of the value `t/2`, if it is there: the inverse of [`small_twice`].
fn index_of_twice(t: i64) -> Option<u8> {
    let small = i64::from(SMALL_INT);
    if t % 2 == 0 && (-2 * small..=2 * small).contains(&t) {
        Some((t / 2 + small) as u8)
    } else if t % 2 != 0 && -small < t && t < small {
        // The halves follow the integers, from -(SMALL_INT - 1)/2 on.
        Some((2 * small + 1 + (t + small - 1) / 2) as u8)
    } else {
        None
    }
}

/// The index in [`SMALL`] of `r`, if it is there.
fn small_index(r: &Rational) -> Option<u8> {
    let n = i64::from(r.numer().to_i32()?);
    // In lowest terms: over 2, `n` is odd.
    match r.denom().to_u32()? {
        1 => index_of_twice(2 * n),
        2 => index_of_twice(n),
        _ => None,
    }
}

impl Q {
    /// `r` as a node's rational.
    pub fn new(r: Rational) -> Q {
        match small_index(&r) {
            Some(i) => Q(Repr::Small(i)),
            None => Q(Repr::Big(Box::new(r))),
        }
    }

    /// The integer `k` (small for |k| <= 64).
    pub fn int(k: i32) -> Q {
        Q::of_twice(2 * i64::from(k))
    }

    /// The value, as an owned `Rational`.
    pub fn to_rational(&self) -> Rational {
        Rational::from(&**self)
    }

    /// Twice a small value (an integer: small values are integers and halves).
    fn twice(&self) -> Option<i64> {
        match self.0 {
            Repr::Small(i) => Some(small_twice(i)),
            Repr::Big(_) => None,
        }
    }

    /// The value `t/2`, small or boxed as its size asks.
    fn of_twice(t: i64) -> Q {
        match index_of_twice(t) {
            Some(i) => Q(Repr::Small(i)),
            None => Q(Repr::Big(Box::new(Rational::from((t, 2))))),
        }
    }

    /// `self + other`: without GMP when both are small.
    pub fn add(&self, other: &Q) -> Q {
        match (self.twice(), other.twice()) {
            (Some(a), Some(b)) => Q::of_twice(a + b),
            _ => Q::new(Rational::from(&**self + &**other)),
        }
    }

    /// `self * other`: without GMP when both are small and so is the product, or either is 1.
    pub fn mul(&self, other: &Q) -> Q {
        match (self.twice(), other.twice()) {
            // (a/2)·(b/2) is ab/4: twice it is ab/2, a small value's twice when ab is even.
            (Some(a), Some(b)) if (a * b) % 2 == 0 => Q::of_twice(a * b / 2),
            (Some(2), _) => other.clone(),
            (_, Some(2)) => self.clone(),
            _ => Q::new(Rational::from(&**self * &**other)),
        }
    }

    /// Whether the value is 0.
    pub fn is_zero(&self) -> bool {
        match self.0 {
            Repr::Small(i) => small_twice(i) == 0,
            // A small value is never boxed.
            Repr::Big(_) => false,
        }
    }

    /// Whether the value is an integer.
    pub fn is_integer(&self) -> bool {
        match &self.0 {
            Repr::Small(i) => small_twice(*i) % 2 == 0,
            Repr::Big(r) => *r.denom() == 1,
        }
    }
}

/// `(id, rational)` pairs of a node, with the rationals owned (for the store's constructors,
/// which take `Rational`s).
pub fn owned_pairs<I: Copy>(pairs: &[(I, Q)]) -> Vec<(I, Rational)> {
    pairs.iter().map(|(i, q)| (*i, q.to_rational())).collect()
}

impl From<Rational> for Q {
    fn from(r: Rational) -> Q {
        Q::new(r)
    }
}

impl From<&Rational> for Q {
    fn from(r: &Rational) -> Q {
        match small_index(r) {
            Some(i) => Q(Repr::Small(i)),
            None => Q(Repr::Big(Box::new(r.clone()))),
        }
    }
}

impl Deref for Q {
    type Target = Rational;
    fn deref(&self) -> &Rational {
        match &self.0 {
            Repr::Small(i) => &SMALL[*i as usize],
            Repr::Big(r) => r,
        }
    }
}

impl PartialEq for Q {
    fn eq(&self, other: &Q) -> bool {
        match (&self.0, &other.0) {
            (Repr::Small(a), Repr::Small(b)) => a == b,
            (Repr::Big(a), Repr::Big(b)) => a == b,
            // A small value is never boxed.
            _ => false,
        }
    }
}

impl Eq for Q {}

impl Hash for Q {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match &self.0 {
            Repr::Small(i) => state.write_u8(*i),
            Repr::Big(r) => r.hash(state),
        }
    }
}

impl PartialOrd for Q {
    fn partial_cmp(&self, other: &Q) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Q {
    fn cmp(&self, other: &Q) -> std::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

/// Twice the small rational at index `i` of [`SMALL`] (an integer: the table holds integers
/// and halves), from its place in the table alone.
fn small_twice(i: u8) -> i64 {
    let (i, n) = (i64::from(i), i64::from(SMALL_INT));
    if i <= 2 * n {
        2 * (i - n)
    } else {
        // The halves (2k + 1)/2 for k from -n/2 on, in order, after the integers.
        2 * (i - (2 * n + 1)) - (n - 1)
    }
}

/// Comparisons with an integer (`e == 1`, `c > 0`: the commonest questions asked of a
/// coefficient or an exponent) answered from a small value's place in the table, without
/// GMP; a boxed value is compared as a rational.
impl PartialEq<i32> for Q {
    fn eq(&self, other: &i32) -> bool {
        match &self.0 {
            Repr::Small(i) => small_twice(*i) == 2 * i64::from(*other),
            // A small value is never boxed.
            Repr::Big(_) if (-SMALL_INT..=SMALL_INT).contains(other) => false,
            Repr::Big(r) => **r == *other,
        }
    }
}

impl PartialOrd<i32> for Q {
    fn partial_cmp(&self, other: &i32) -> Option<std::cmp::Ordering> {
        match &self.0 {
            Repr::Small(i) => Some(small_twice(*i).cmp(&(2 * i64::from(*other)))),
            Repr::Big(r) => (**r).partial_cmp(other),
        }
    }
}

impl fmt::Debug for Q {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl fmt::Display for Q {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::{Q, Repr, SMALL};
    use rug::Rational;

    /// Every small value is found at its own place in the table, and only small values are
    /// kept small: each value has one form.
    #[test]
    fn small_values_are_small_and_only_they() {
        for (i, r) in SMALL.iter().enumerate() {
            assert!(
                matches!(Q::new(r.clone()).0, Repr::Small(j) if j as usize == i),
                "{r}"
            );
            assert_eq!(*Q::new(r.clone()), *r);
        }
        for (n, d) in [
            (65i64, 1i64),
            (-65, 1),
            (65, 2),
            (1, 3),
            (-1, 4),
            (1 << 40, 1),
            (3, 1 << 40),
        ] {
            let r = Rational::from((n, d));
            let q = Q::new(r.clone());
            assert!(matches!(q.0, Repr::Big(_)), "{r}");
            assert_eq!(*q, r);
        }
        for k in -100..100 {
            assert_eq!(Q::int(k), Q::new(Rational::from(k)), "{k}");
            assert_eq!(*Q::int(k), k);
        }
        assert_eq!(SMALL.len(), 129 + 64);
    }

    /// Every small value, and boxed ones just past the table's ends and well beyond.
    fn around_the_table() -> Vec<Rational> {
        let mut values: Vec<Rational> = SMALL.clone();
        for (n, d) in [
            (65i64, 1i64),
            (-65, 1),
            (65, 2),
            (-65, 2),
            (1, 3),
            (-7, 3),
            (1, 4),
            (128, 1),
            (1 << 40, 1),
            (3, 1 << 40),
        ] {
            values.push(Rational::from((n, d)));
        }
        values
    }

    /// Sums and products are the rationals' own, in their one form (a small value never
    /// boxed), for every pair of small values and with boxed ones, at and around the table's
    /// ends; so are the tests for 0 and for an integer.
    #[test]
    fn arithmetic_is_the_rationals() {
        let values = around_the_table();
        let form = |q: &Q| match &q.0 {
            Repr::Small(i) => Some(*i),
            Repr::Big(_) => None,
        };
        for a in &values {
            let qa = Q::new(a.clone());
            assert_eq!(qa.is_zero(), *a == 0, "{a}");
            assert_eq!(qa.is_integer(), *a.denom() == 1, "{a}");
            for b in &values {
                let qb = Q::new(b.clone());
                for (got, want) in [
                    (qa.add(&qb), Rational::from(a + b)),
                    (qa.mul(&qb), Rational::from(a * b)),
                ] {
                    assert_eq!(*got, want, "{a}, {b}");
                    assert_eq!(form(&got), form(&Q::new(want.clone())), "{a}, {b}: {want}");
                    assert!(got == Q::new(want), "{a}, {b}");
                }
            }
        }
    }

    /// Comparing with an integer gives the rational comparison's answer, for every small
    /// value and for boxed ones, at and around the table's ends.
    #[test]
    fn comparisons_with_integers_are_the_rationals() {
        for r in around_the_table() {
            let q = Q::new(r.clone());
            for k in (-70..=70).chain([i32::MIN, i32::MAX, 1 << 20]) {
                assert_eq!(q == k, r == k, "{r} == {k}");
                assert_eq!(q.partial_cmp(&k), r.partial_cmp(&k), "{r} <=> {k}");
            }
        }
    }
}
