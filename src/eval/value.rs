//! A computed number: exact, MPFR, or IEEE double.

use rug::{Float, Rational};
use std::fmt;

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
            // Rounded to nearest (rug's `Rational::to_f64` truncates).
            Value::Exact(r) => Float::with_val(53, r).to_f64(),
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
