//! Reading exact numbers: the one reader behind numeric literals, `--at` values, the cells of
//! a points file and finite-difference steps, so that all accept the same numbers with the
//! same limit.

use rug::{Integer, Rational};

/// Largest decimal exponent a number may be written with (`1e-4000` is the smallest
/// positive power of ten; `1e99999` is refused rather than expanded to 100 000 digits). The
/// check is on the exponent of the last written digit, with a margin of 100 for digits after
/// the point: `1.5e4000` is still accepted.
pub const MAX_LITERAL_EXPONENT: i64 = 4000;

/// Parses an unsigned decimal literal (`2`, `0.5`, `1e-4`, `1.5E3`) exactly: `None` if the
/// text is not one, `Some(Err)` with a message if its exponent is out of range.
pub fn parse_number(text: &str) -> Option<std::result::Result<Rational, String>> {
    let (mantissa, exp) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((a, b)) => (a, b),
        None => (mantissa, ""),
    };
    if int.is_empty() && frac.is_empty()
        || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    // The commonest literals (`3`, `0.25`): digits that fit a machine word, no exponent, the
    // same number without GMP's parsing and powers (a large program has thousands).
    if exp.is_none() && int.len() + frac.len() <= 18 {
        let word = |d: &str| d.bytes().fold(0u64, |n, b| 10 * n + u64::from(b - b'0'));
        let scale = 10u64.pow(frac.len() as u32);
        let n = word(int) * scale + word(frac);
        return Some(Ok(Rational::from((n, scale))));
    }
    let digits = format!("{int}{frac}");
    let n: Integer = digits.parse().ok()?;
    let mut e: i64 = -(frac.len() as i64);
    if let Some(x) = exp {
        let unsigned = x.strip_prefix(['+', '-']).unwrap_or(x);
        if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let x: i64 = match x.parse() {
            Ok(x) => x,
            Err(_) => {
                return Some(Err(format!(
                    "the exponent of {text} is out of range (at most {MAX_LITERAL_EXPONENT})"
                )));
            }
        };
        e += x;
    }
    if e.abs() > MAX_LITERAL_EXPONENT + 100 {
        return Some(Err(format!(
            "the number {text} is out of range: decimal exponents are limited to ±{MAX_LITERAL_EXPONENT}"
        )));
    }
    let ten = Integer::from(Integer::u_pow_u(10, e.unsigned_abs() as u32));
    Some(Ok(if e >= 0 {
        Rational::from(n * ten)
    } else {
        Rational::from((n, ten))
    }))
}

/// Why a text is not an exact number; each caller words [`NumberError::NotANumber`] and
/// [`NumberError::DivisionByZero`] for its own context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumberError {
    /// Not a signed decimal or fraction at all.
    NotANumber,
    /// A fraction whose denominator is zero.
    DivisionByZero,
    /// A decimal whose exponent is beyond [`MAX_LITERAL_EXPONENT`]; the message says so.
    OutOfRange(String),
}

impl NumberError {
    /// The message for a value `text` that did not read.
    pub fn message(&self, text: &str) -> String {
        match self {
            NumberError::NotANumber => {
                format!("`{text}` is not a number (write e.g. 2, -0.5, 3/4 or 1e-4)")
            }
            NumberError::DivisionByZero => "division by zero".into(),
            NumberError::OutOfRange(m) => m.clone(),
        }
    }
}

/// Parses an exact value: a signed decimal (`2`, `-0.5`, `1e-4`, `+1.5E3`) or a fraction of
/// two decimals (`3/4`, `-1/1e4`), surrounding spaces ignored.
pub fn parse_exact(text: &str) -> std::result::Result<Rational, NumberError> {
    let text = text.trim();
    let (neg, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let decimal = |s: &str| match parse_number(s.trim()) {
        None => Err(NumberError::NotANumber),
        Some(r) => r.map_err(NumberError::OutOfRange),
    };
    let v = match body.split_once('/') {
        Some((p, q)) => {
            let p = decimal(p)?;
            let q = decimal(q)?;
            if q == 0 {
                return Err(NumberError::DivisionByZero);
            }
            p / q
        }
        None => decimal(body)?,
    };
    Ok(if neg { -v } else { v })
}
