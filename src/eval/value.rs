//! A computed number: exact, MPFR, or IEEE double.

use rug::float::Round;
use rug::{Float, Rational};
use std::fmt;

/// The IEEE double nearest to `r` (ties to even), as `str::parse::<f64>` reads a decimal:
/// the one conversion of exact numbers to f64 everywhere.
///
/// rug's `Rational::to_f64` rounds toward zero, and rounding to 53 bits and then to a
/// subnormal would round twice; here the 53-bit rounding's direction is passed on to the
/// subnormal rounding, so the result is rounded once. Beyond the largest double the result
/// is ±∞, as IEEE rounding gives.
///
/// ```
/// use chainrule::eval::nearest_f64;
/// use rug::Rational;
/// assert_eq!(nearest_f64(&Rational::from((1, 10))), 0.1);
/// assert_eq!(nearest_f64(&Rational::from((1, 3))), 1.0 / 3.0);
/// ```
pub fn nearest_f64(r: &Rational) -> f64 {
    let (mut f, dir) = Float::with_val_round(53, r, Round::Nearest);
    f.subnormalize_ieee_round(dir, Round::Nearest);
    f.to_f64()
}

/// The result of an evaluation.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Exact rational.
    Exact(Rational),
    /// MPFR float, carrying its own precision.
    Mpfr(Float),
    /// IEEE double.
    F64(f64),
}

impl Value {
    /// The nearest double.
    pub fn to_f64(&self) -> f64 {
        match self {
            Value::Exact(r) => nearest_f64(r),
            Value::Mpfr(f) => f.to_f64(),
            Value::F64(x) => *x,
        }
    }

    /// As an MPFR float of `prec` bits (exact values rounded once).
    pub fn to_float(&self, prec: u32) -> Float {
        match self {
            Value::Exact(r) => Float::with_val(prec, r),
            Value::Mpfr(f) => Float::with_val(prec, f),
            Value::F64(x) => Float::with_val(prec, *x),
        }
    }

    /// The exact value, when there is one.
    pub fn as_exact(&self) -> Option<&Rational> {
        match self {
            Value::Exact(r) => Some(r),
            _ => None,
        }
    }

    /// A decimal string with `digits` significant digits (all of them for exact integers and
    /// for values whose decimal expansion terminates within `digits`).
    pub fn to_decimal(&self, digits: usize) -> String {
        crate::eval::format::decimal(self, digits)
    }
}

impl fmt::Display for Value {
    /// Exact values as `p/q` or an integer; floats with the default number of digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Exact(r) => write!(f, "{r}"),
            _ => f.write_str(&self.to_decimal(crate::eval::format::DEFAULT_DIGITS)),
        }
    }
}
