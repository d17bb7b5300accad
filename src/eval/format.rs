//! Decimal strings for values.

use super::Value;
use rug::{Float, Integer, Rational};

/// Significant digits shown by default for an inexact value.
pub const DEFAULT_DIGITS: usize = 20;

/// Decimal digits that `prec` bits carry (enough to identify the binary value).
pub fn digits_for_bits(prec: u32) -> usize {
    (f64::from(prec) * std::f64::consts::LOG10_2).ceil() as usize + 1
}

/// A decimal string for `v`: exact integers in full; exact rationals with a terminating
/// expansion in full when it fits in `digits`; otherwise `digits` significant digits, and
/// for an MPFR value no more than its precision carries ([`digits_for_bits`]).
/// f64 values print as the shortest string that reads back to the same double.
pub fn decimal(v: &Value, digits: usize) -> String {
    match v {
        Value::Exact(r) => exact_decimal(r, digits),
        // No more digits than the precision carries: the rest would be noise.
        Value::Mpfr(f) => float_decimal(f, digits.min(digits_for_bits(f.prec()))),
        Value::F64(x) => f64_text(*x),
    }
}

/// Where an f64 is written in plain notation (`0.000125`, `123456`); outside, in scientific
/// notation (`1e-300`, `1.5e22`), so that no number prints as hundreds of digits. The same
/// bounds as JavaScript's `Number.prototype.toString`.
pub const F64_PLAIN: std::ops::Range<f64> = 1e-6..1e21;

/// An f64 as the shortest text that reads back as the same double: plain within
/// [`F64_PLAIN`] (and 0), else scientific. Every f64 the crate prints as a number goes
/// through here.
pub fn f64_text(x: f64) -> String {
    if x.is_finite() && (x == 0.0 || F64_PLAIN.contains(&x.abs())) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// An exact rational as a decimal string (see [`decimal`]).
pub fn exact_decimal(r: &Rational, digits: usize) -> String {
    if *r.denom() == 1 {
        return r.numer().to_string();
    }
    if let Some(s) = terminating_decimal(r, digits) {
        return s;
    }
    let prec = (digits as f64 / std::f64::consts::LOG10_2).ceil() as u32 + 16;
    float_decimal(&Float::with_val(prec, r), digits)
}

/// The exact decimal expansion of `r` when it terminates within `digits` significant digits
/// (the denominator has no prime factor but 2 and 5).
pub fn terminating_decimal(r: &Rational, digits: usize) -> Option<String> {
    let mut d = r.denom().clone();
    let (mut twos, mut fives) = (0u32, 0u32);
    while d.is_divisible_u(2) {
        d /= 2;
        twos += 1;
    }
    while d.is_divisible_u(5) {
        d /= 5;
        fives += 1;
    }
    if d != 1 {
        return None;
    }
    let places = twos.max(fives);
    let scaled = Rational::from(r * Integer::from(Integer::u_pow_u(10, places)));
    let n = scaled.numer().clone();
    let s = n.clone().abs().to_string();
    let sig = s.trim_start_matches('0').trim_end_matches('0').len();
    if sig > digits.max(1) {
        return None;
    }
    if places == 0 {
        return Some(n.to_string());
    }
    let places = places as usize;
    let padded = format!("{s:0>width$}", width = places + 1);
    let (int, frac) = padded.split_at(padded.len() - places);
    let sign = if n < 0 { "-" } else { "" };
    Some(format!("{sign}{int}.{frac}"))
}

/// An MPFR value with `digits` significant digits, in plain notation when the exponent is
/// moderate and in scientific notation (`1.5e-12`) otherwise.
pub fn float_decimal(f: &Float, digits: usize) -> String {
    if f.is_zero() {
        return "0".into();
    }
    if !f.is_finite() {
        return f.to_string();
    }
    let (neg, mantissa, exp) = f.to_sign_string_exp(10, Some(digits.max(1)));
    let exp = exp.unwrap_or(0); // value = 0.mantissa × 10^exp
    let mantissa = mantissa.trim_end_matches('0');
    let mantissa = if mantissa.is_empty() { "0" } else { mantissa };
    let sign = if neg { "-" } else { "" };
    let n = mantissa.len() as i32;
    let body = if (-5..=21).contains(&exp) {
        if exp <= 0 {
            format!("0.{}{}", "0".repeat((-exp) as usize), mantissa)
        } else if exp >= n {
            format!("{}{}", mantissa, "0".repeat((exp - n) as usize))
        } else {
            let (a, b) = mantissa.split_at(exp as usize);
            format!("{a}.{b}")
        }
    } else {
        let (a, b) = mantissa.split_at(1);
        let e = exp - 1;
        if b.is_empty() {
            format!("{a}e{e}")
        } else {
            format!("{a}.{b}e{e}")
        }
    };
    format!("{sign}{body}")
}

/// The shortest decimal, of at most `max_digits` significant digits, that reads back as `f`
/// at its precision (rounding to nearest), as Python prints a double: `0.6` for the MPFR
/// value nearest 0.6, not that binary value's own expansion `0.6000…0012`, whose last digits
/// come from the rounding to binary and are not the value's. Where no string of `max_digits`
/// digits reads back (`max_digits` below what the precision carries), `max_digits` digits.
pub fn shortest_float_decimal(f: &Float, max_digits: usize) -> String {
    let max = max_digits.max(1);
    if f.is_zero() || !f.is_finite() {
        return float_decimal(f, max);
    }
    let reads_back = |d: usize| -> bool {
        let (neg, mantissa, exp) = f.to_sign_string_exp(10, Some(d));
        let text = format!(
            "{}0.{mantissa}e{}",
            if neg { "-" } else { "" },
            exp.unwrap_or(0)
        );
        Float::parse(&text).is_ok_and(|p| Float::with_val(f.prec(), p) == *f)
    };
    // Most values need all digits, or all but one: two tries. Round trips are monotone in
    // the number of digits, so a value that reads back from fewer is found by bisection.
    let fewest = if max <= 2 || !reads_back(max - 2) {
        if max >= 2 && reads_back(max - 1) {
            max - 1
        } else {
            max
        }
    } else {
        let (mut lo, mut hi) = (0, max - 2); // lo does not read back (or is 0); hi does
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if reads_back(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    };
    float_decimal(f, fewest)
}

/// A float in scientific notation with exactly `digits` significant digits, whatever its
/// size (`3.60e-3`, `4.84e-11`, `1.27e-25`): for columns of errors that line up.
pub fn scientific(f: &Float, digits: usize) -> String {
    if f.is_zero() {
        return "0".into();
    }
    if !f.is_finite() {
        return f.to_string();
    }
    let digits = digits.max(1);
    let (neg, mantissa, exp) = f.to_sign_string_exp(10, Some(digits));
    let exp = exp.unwrap_or(0) - 1; // value = d.ddd × 10^exp
    let (a, b) = mantissa.split_at(1);
    let sign = if neg { "-" } else { "" };
    if b.is_empty() {
        format!("{sign}{a}e{exp}")
    } else {
        format!("{sign}{a}.{b}e{exp}")
    }
}

/// A value for people: integers in full, other exact values as `p/q = 0.75` or
/// `p/q ≈ 0.3333…`, floats to `digits` significant digits.
pub fn for_people(v: &Value, digits: usize) -> String {
    match v {
        Value::Exact(r) if *r.denom() != 1 => match terminating_decimal(r, digits) {
            Some(dec) => format!("{r} = {dec}"),
            None => format!("{r} ≈ {}", exact_decimal(r, digits)),
        },
        _ => v.to_decimal(digits),
    }
}

/// An exact rational in LaTeX: `3` or `-\frac{3}{4}`.
pub fn latex_rational(r: &Rational) -> String {
    if *r.denom() == 1 {
        r.to_string()
    } else {
        let sign = if *r < 0 { "-" } else { "" };
        format!(
            "{sign}\\frac{{{}}}{{{}}}",
            r.numer().clone().abs(),
            r.denom()
        )
    }
}

/// A value in LaTeX: exact as a fraction, floats with `\times 10^{k}` for exponents.
pub fn latex(v: &Value, digits: usize) -> String {
    match v {
        Value::Exact(r) => latex_rational(r),
        _ => {
            let s = v.to_decimal(digits);
            match s.split_once('e') {
                Some((m, e)) => format!("{m} \\times 10^{{{e}}}"),
                None => s,
            }
        }
    }
}
