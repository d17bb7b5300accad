//! What the user asks for, read from text: the arithmetics (`f64`, `mpfr:BITS`, `exact`),
//! the schemes (`forward`, `backward`, `central`) and the steps (`1e-4`, a list, or a
//! log-spaced range `FROM:TO:COUNT`).

use std::fmt;
use std::str::FromStr;

use rug::ops::Pow;
use rug::{Float, Integer, Rational};

use super::{MAX_MPFR_PREC, MAX_STEPS};
use crate::error::{Error, Result};
use crate::syntax::NumberError;

/// The arithmetic a finite-difference experiment runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arith {
    /// IEEE double, as NumPy computes.
    F64,
    /// MPFR at the given precision in bits, every operation correctly rounded.
    Mpfr(u32),
    /// Exact rational arithmetic: no rounding error at all.
    Exact,
}

impl Arith {
    /// log₂ of the unit roundoff ε (−53 for f64, −prec for MPFR); `None` for exact arithmetic,
    /// which has no rounding error.
    pub fn unit_roundoff_log2(self) -> Option<i64> {
        match self {
            Arith::F64 => Some(-53),
            Arith::Mpfr(p) => Some(-i64::from(p)),
            Arith::Exact => None,
        }
    }

    /// A name for sentences: "f64", "MPFR at 256 bits", "exact arithmetic".
    pub fn describe(self) -> String {
        match self {
            Arith::F64 => "f64".to_string(),
            Arith::Mpfr(p) => format!("MPFR at {p} bits"),
            Arith::Exact => "exact arithmetic".to_string(),
        }
    }

    /// Checks the precision of an MPFR arithmetic (a value built directly, not parsed).
    pub(super) fn validate(self) -> Result<()> {
        match self {
            Arith::Mpfr(p) if !(2..=MAX_MPFR_PREC).contains(&p) => Err(Error::Usage(format!(
                "MPFR precision must be between 2 and {MAX_MPFR_PREC} bits, not {p}"
            ))),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Arith {
    /// `f64`, `mpfr:256` or `exact`: the form [`FromStr`] accepts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arith::F64 => f.write_str("f64"),
            Arith::Mpfr(p) => write!(f, "mpfr:{p}"),
            Arith::Exact => f.write_str("exact"),
        }
    }
}

impl FromStr for Arith {
    type Err = Error;

    /// Parses `f64`, `mpfr:BITS` (e.g. `mpfr:256`) or `exact` (case and surrounding spaces
    /// ignored).
    fn from_str(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        let expected = "expected f64, mpfr:BITS (e.g. mpfr:256) or exact";
        match lower.as_str() {
            "f64" => Ok(Arith::F64),
            "exact" => Ok(Arith::Exact),
            "mpfr" => Err(Error::Usage(
                "mpfr needs a precision in bits, e.g. mpfr:256".to_string(),
            )),
            _ => {
                let Some(bits) = lower.strip_prefix("mpfr:") else {
                    return Err(Error::Usage(format!(
                        "unknown arithmetic `{}`: {expected}",
                        s.trim()
                    )));
                };
                let p: u32 = bits.trim().parse().map_err(|_| {
                    Error::Usage(format!(
                        "bad MPFR precision `{}`: expected a number of bits, e.g. mpfr:256",
                        bits.trim()
                    ))
                })?;
                let a = Arith::Mpfr(p);
                a.validate()?;
                Ok(a)
            }
        }
    }
}

/// Parses a comma-separated list of arithmetics (`f64,mpfr:256`); duplicates are dropped.
pub fn parse_ariths(spec: &str) -> Result<Vec<Arith>> {
    parse_list(spec, "arithmetic")
}

/// A comma-separated list of `what`s, each read by its `FromStr`, duplicates dropped.
fn parse_list<T: FromStr<Err = Error> + PartialEq>(spec: &str, what: &str) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for part in spec.split(',') {
        if part.trim().is_empty() {
            return Err(Error::Usage(format!(
                "empty entry in the {what} list `{spec}`"
            )));
        }
        let item: T = part.parse()?;
        if !out.contains(&item) {
            out.push(item);
        }
    }
    Ok(out)
}

/// Finite-difference schemes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `(f(w+δe_i) - f(w)) / δ`, truncation error O(Δ).
    Forward,
    /// `(f(w) - f(w-δe_i)) / δ`, truncation error O(Δ).
    Backward,
    /// `(f(w+δe_i) - f(w-δe_i)) / (2δ)`, truncation error O(Δ²).
    Central,
}

impl Scheme {
    /// All three schemes, in the homework's order.
    pub const ALL: [Scheme; 3] = [Scheme::Forward, Scheme::Backward, Scheme::Central];

    /// The order of the truncation error: 1 for one-sided schemes, 2 for central.
    pub fn order(self) -> u32 {
        match self {
            Scheme::Forward | Scheme::Backward => 1,
            Scheme::Central => 2,
        }
    }

    /// The lower-case name: `forward`, `backward`, `central`.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Forward => "forward",
            Scheme::Backward => "backward",
            Scheme::Central => "central",
        }
    }
}

impl fmt::Display for Scheme {
    /// The lower-case name, as [`FromStr`] accepts it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scheme {
    type Err = Error;

    /// Parses `forward`, `backward` or `central` (case and surrounding spaces ignored).
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "forward" => Ok(Scheme::Forward),
            "backward" => Ok(Scheme::Backward),
            "central" => Ok(Scheme::Central),
            _ => Err(Error::Usage(format!(
                "unknown finite-difference scheme `{}`: expected forward, backward, central or all",
                s.trim()
            ))),
        }
    }
}

/// Parses `all` (the three schemes) or a comma-separated list such as `forward,central`;
/// duplicates are dropped.
pub fn parse_schemes(spec: &str) -> Result<Vec<Scheme>> {
    if spec.trim().eq_ignore_ascii_case("all") {
        return Ok(Scheme::ALL.to_vec());
    }
    parse_list(spec, "scheme")
}

// ---- Parsing steps

/// Parses one step exactly: a decimal (`1e-4`, `0.001`, `2.5E-3`) or a fraction (`1/10000`).
/// Must be positive.
pub fn parse_step(s: &str) -> Result<Rational> {
    let r = parse_exact(s)?;
    if r <= 0 {
        return Err(Error::Usage(format!(
            "the step Δ must be positive, not `{}`",
            s.trim()
        )));
    }
    Ok(r)
}

fn parse_exact(s: &str) -> Result<Rational> {
    let t = s.trim();
    crate::syntax::parse_exact(t).map_err(|e| match e {
        NumberError::NotANumber => Error::Usage(format!(
            "`{t}` is not a number: expected a decimal like 1e-4 or 0.001, or a fraction like 1/10000"
        )),
        NumberError::DivisionByZero => Error::Usage(format!("`{t}` divides by zero")),
        NumberError::OutOfRange(m) => Error::Usage(m),
    })
}

/// 10^e, exactly.
fn pow10(e: i64) -> Rational {
    let p = Integer::from(10).pow(e.unsigned_abs() as u32);
    if e >= 0 {
        Rational::from(p)
    } else {
        Rational::from((Integer::from(1), p))
    }
}

/// The k with r = 10^k, if there is one.
pub(super) fn power_of_ten(r: &Rational) -> Option<i64> {
    let is_pow = |i: &Integer| {
        let s = i.to_string();
        s.starts_with('1') && s[1..].bytes().all(|b| b == b'0')
    };
    if *r.numer() == 1 && is_pow(r.denom()) {
        Some(-(r.denom().to_string().len() as i64 - 1))
    } else if *r.denom() == 1 && is_pow(r.numer()) {
        Some(r.numer().to_string().len() as i64 - 1)
    } else {
        None
    }
}

/// Parses a list of steps.
///
/// * `FROM:TO:COUNT`, e.g. `1e-10:1e-1:10`: COUNT steps log-spaced from FROM to TO inclusive,
///   like `numpy.logspace(-10, -1, num=10)`. When TO/FROM is a power of ten whose exponent
///   COUNT−1 divides (as here), the steps are exact (1/10^10, 1/10^9, …, 1/10); otherwise the
///   inner steps are the shortest decimals that round to the same double as the true
///   log-spaced value (so they match NumPy's up to its last bit). FROM > TO gives a descending
///   list. COUNT = 1 needs FROM = TO.
/// * A comma list, e.g. `1e-4,1e-3`; a single step is a list of one.
///
/// Every step must be positive, COUNT between 1 and [`MAX_STEPS`]; anything else is an
/// [`Error::Usage`] saying what is wrong.
pub fn parse_deltas(spec: &str) -> Result<Vec<Rational>> {
    let spec = spec.trim();
    if spec.is_empty() {
        return Err(Error::Usage("no steps given".to_string()));
    }
    if spec.contains(':') {
        let parts: Vec<&str> = spec.split(':').collect();
        let [from, to, count] = parts[..] else {
            return Err(Error::Usage(format!(
                "bad step range `{spec}`: expected FROM:TO:COUNT, e.g. 1e-10:1e-1:10"
            )));
        };
        let from = parse_step(from)?;
        let to = parse_step(to)?;
        let count: usize = count.trim().parse().map_err(|_| {
            Error::Usage(format!(
                "bad step count `{}` in `{spec}`: expected a whole number, e.g. 10",
                count.trim()
            ))
        })?;
        return logspace(&from, &to, count, spec);
    }
    let mut out = Vec::new();
    for part in spec.split(',') {
        if part.trim().is_empty() {
            return Err(Error::Usage(format!(
                "empty entry in the step list `{spec}`"
            )));
        }
        out.push(parse_step(part)?);
    }
    if out.len() > MAX_STEPS {
        return Err(Error::Usage(format!(
            "{} steps given; at most {MAX_STEPS} are allowed",
            out.len()
        )));
    }
    Ok(out)
}

fn logspace(from: &Rational, to: &Rational, count: usize, spec: &str) -> Result<Vec<Rational>> {
    if count == 0 {
        return Err(Error::Usage(format!(
            "`{spec}` asks for 0 steps: COUNT must be at least 1"
        )));
    }
    if count > MAX_STEPS {
        return Err(Error::Usage(format!(
            "`{spec}` asks for {count} steps; at most {MAX_STEPS} are allowed"
        )));
    }
    if count == 1 {
        if from != to {
            return Err(Error::Usage(format!(
                "`{spec}`: one step cannot run from one value to another; use COUNT ≥ 2 or FROM = TO"
            )));
        }
        return Ok(vec![from.clone()]);
    }
    let gaps = (count - 1) as i64;
    let ratio = Rational::from(to / from);
    if let Some(m) = power_of_ten(&ratio).filter(|m| m % gaps == 0) {
        let step = m / gaps;
        return Ok((0..count as i64).map(|k| from * pow10(k * step)).collect());
    }
    const P: u32 = 192;
    let lf = Float::with_val(P, Float::with_val(P, from).log10_ref());
    let lt = Float::with_val(P, Float::with_val(P, to).log10_ref());
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        if k == 0 {
            out.push(from.clone());
            continue;
        }
        if k == count - 1 {
            out.push(to.clone());
            continue;
        }
        let span = Float::with_val(P, &lt - &lf);
        let l = Float::with_val(P, &lf + Float::with_val(P, span * k as u32) / gaps as u32);
        let x = Float::with_val(P, Float::exp10(l));
        let x64 = x.to_f64();
        let text = if x64.is_normal() {
            format!("{x64:e}")
        } else {
            format!("{x:.16e}")
        };
        out.push(parse_exact(&text)?);
    }
    Ok(out)
}
