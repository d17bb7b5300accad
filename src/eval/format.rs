//! Decimal strings for values.

use super::Value;
use rug::{Float, Integer, Rational};
use std::cmp::Ordering;

/// Significant digits shown by default for an inexact value.
pub const DEFAULT_DIGITS: usize = 20;

/// Decimal digits that identify a binary value of `prec` bits (read back, they give it
/// again): JSON writes an MPFR value with at most these.
pub fn digits_for_bits(prec: u32) -> usize {
    (f64::from(prec) * std::f64::consts::LOG10_2).ceil() as usize + 1
}

/// Significant digits a value of `prec` bits is sure to have right, to within one unit in the
/// last: ⌊(prec - 1)·log10 2⌋, at least 1. A value the digit check settles is within half a
/// unit in its last bit, 2^-prec of it, of the true value; `d` digits of it are then within
/// one unit in their last digit of the true value when 10^d ≤ 2^(prec - 1). More digits
/// ([`digits_for_bits`]) would show the binary value's expansion, not the true value's:
/// √2 at 24 bits is 1.41421354 to 9 digits, √2 1.41421356.
pub fn digits_sure(prec: u32) -> usize {
    ((f64::from(prec.max(1)) - 1.0) * std::f64::consts::LOG10_2)
        .floor()
        .max(1.0) as usize
}

/// A decimal string for `v`: exact integers in full; exact rationals with a terminating
/// expansion in full when it fits in `digits`; otherwise `digits` significant digits, and
/// for an MPFR value no more than its precision is sure of ([`digits_sure`]).
/// f64 values print as the shortest string that reads back to the same double.
pub fn decimal(v: &Value, digits: usize) -> String {
    match v {
        Value::Exact(r) => exact_decimal(r, digits),
        // No more digits than the precision carries: the rest would be noise.
        Value::Mpfr(f) => float_decimal(f, digits.min(digits_sure(f.prec()))),
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
    written_decimal(neg, &mantissa, exp.unwrap_or(0))
}

/// The decimal `±0.mantissa × 10^exp` as [`float_decimal`] writes it (trailing zeros of the
/// mantissa dropped).
fn written_decimal(neg: bool, mantissa: &str, exp: i32) -> String {
    let mantissa = mantissa.trim_end_matches('0');
    let mantissa = if mantissa.is_empty() { "0" } else { mantissa };
    let n = mantissa.len() as i32;
    let plain = (-5..=21).contains(&exp);
    // The exact length, so that a report holding many values holds no spare room.
    let len = usize::from(neg)
        + if !plain {
            let e = exp - 1;
            let e_digits = e.unsigned_abs().checked_ilog10().unwrap_or(0) as usize + 1;
            mantissa.len() + usize::from(n > 1) + 1 + usize::from(e < 0) + e_digits
        } else if exp <= 0 {
            2 + (-exp) as usize + mantissa.len()
        } else if exp >= n {
            exp as usize
        } else {
            mantissa.len() + 1
        };
    let mut out = String::with_capacity(len);
    if neg {
        out.push('-');
    }
    let zeros = |out: &mut String, k: i32| out.extend(std::iter::repeat_n('0', k as usize));
    if plain {
        if exp <= 0 {
            out.push_str("0.");
            zeros(&mut out, -exp);
            out.push_str(mantissa);
        } else if exp >= n {
            out.push_str(mantissa);
            zeros(&mut out, exp - n);
        } else {
            let (a, b) = mantissa.split_at(exp as usize);
            out.push_str(a);
            out.push('.');
            out.push_str(b);
        }
    } else {
        let (a, b) = mantissa.split_at(1);
        out.push_str(a);
        if !b.is_empty() {
            out.push('.');
            out.push_str(b);
        }
        out.push('e');
        out.push_str(&(exp - 1).to_string());
    }
    debug_assert_eq!(out.len(), len);
    out
}

/// The shortest decimal, of at most `max_digits` significant digits, that reads back as `f`
/// at its precision (rounding to nearest), as Python prints a double: `0.6` for the MPFR
/// value nearest 0.6, not that binary value's own expansion `0.6000…0012`, whose last digits
/// come from the rounding to binary and are not the value's. Where no string of `max_digits`
/// digits reads back (`max_digits` below what the precision carries), `max_digits` digits.
///
/// One conversion to decimal, with `EXTRA_DIGITS` more digits than asked, gives every
/// shorter rounding and how far it lies from `f`; whether it reads back is decided by that
/// distance against half the gap to `f`'s neighbours. Only where either is too close to call
/// (a rounding tie, a distance within a hair of the half gap) is the value converted again
/// at that length, or the decimal read back, as `shortest_by_reading_back` does.
pub fn shortest_float_decimal(f: &Float, max_digits: usize) -> String {
    let max = max_digits.max(1);
    if f.is_zero() || !f.is_finite() {
        return float_decimal(f, max);
    }
    let digits = Expansion::of(f, max + EXTRA_DIGITS);
    let fewest = fewest_digits(max, |d| digits.reads_back(f, d));
    match digits.rounded(fewest) {
        Some((mantissa, exp)) => written_decimal(digits.neg, &mantissa, exp),
        None => float_decimal(f, fewest),
    }
}

/// The fewest digits, at most `max`, whose rounding of a value reads back (`reads_back(d)`),
/// found as [`shortest_float_decimal`] always has: most values need all digits, or all but
/// one: two tries. Round trips are monotone in the number of digits, so a value that reads
/// back from fewer is found by bisection.
fn fewest_digits(max: usize, mut reads_back: impl FnMut(usize) -> bool) -> usize {
    if max <= 2 || !reads_back(max - 2) {
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
    }
}

/// Whether `f` rounded to `d` significant digits reads back as `f` at its precision: by
/// converting and parsing (the definition [`Expansion::reads_back`] follows).
fn reads_back_by_parsing(f: &Float, d: usize) -> bool {
    let (neg, mantissa, exp) = f.to_sign_string_exp(10, Some(d));
    let text = format!(
        "{}0.{mantissa}e{}",
        if neg { "-" } else { "" },
        exp.unwrap_or(0)
    );
    Float::parse(&text).is_ok_and(|p| Float::with_val(f.prec(), p) == *f)
}

/// [`shortest_float_decimal`] by its definition: each length tried converted and read back.
/// (What the one-conversion version must agree with; kept for the cases too close to call.)
#[cfg(test)]
fn shortest_by_reading_back(f: &Float, max_digits: usize) -> String {
    let max = max_digits.max(1);
    if f.is_zero() || !f.is_finite() {
        return float_decimal(f, max);
    }
    float_decimal(f, fewest_digits(max, |d| reads_back_by_parsing(f, d)))
}

/// Digits converted beyond those asked for: the distance of each shorter rounding from the
/// value is then known to within half a unit in the last of them, about 10^-5 of the half gap
/// to the value's neighbours.
const EXTRA_DIGITS: usize = 5;

/// Up to this binary exponent (either sign), and this many digits, [`Expansion::of`]
/// computes in integers: the integers stay under about 3000 bits.
const EXACT_EXPANSION_BITS: u32 = 1100;
const EXACT_EXPANSION_DIGITS: usize = 300;

/// Powers of ten, made once for a thread.
#[derive(Default)]
struct PowersOfTen(Vec<Integer>);

impl PowersOfTen {
    fn get(&mut self, k: usize) -> &Integer {
        while self.0.len() <= k {
            let next = match self.0.last() {
                Some(p) => Integer::from(p * 10u32),
                None => Integer::from(1),
            };
            self.0.push(next);
        }
        &self.0[k]
    }
}

thread_local! {
    static POWERS_OF_TEN: std::cell::RefCell<PowersOfTen> = std::cell::RefCell::default();
    static POWERS_OF_FIVE: std::cell::RefCell<FivePowers> = std::cell::RefCell::default();
}

/// Below 2^-[`EXACT_EXPANSION_BITS`], [`Expansion::of`] scales by bounds on a power of five
/// ([`FivePowers`]) rather than by the power itself, for up to this many digits and powers up
/// to [`MAX_FIVE_POWER`]: the small values of a deep network (its adjoints reach 10^-7000 at
/// 10^4 layers) then cost what values near 1 do, where MPFR's conversion costs several times
/// that and grows with the exponent.
const BOUNDED_DIGITS: usize = 80;

/// The largest power of five [`FivePowers`] gives bounds on: values down to about
/// 10^-1000000, with a table of at most 16384 entries (under 3 MB).
const MAX_FIVE_POWER: u32 = 1 << 20;

/// Bits kept of each power of five, well beyond the 267 bits that twice an
/// 80-digit integer takes.
const FIVE_BITS: u32 = 384;

/// Bounds on the powers of five, made as needed for a thread: `blocks[j]` is `(lo, hi, sh)`
/// with `lo·2^sh ≤ 5^(64j) ≤ hi·2^sh`, `lo` and `hi` of [`FIVE_BITS`] bits once past 5^192.
/// Each block is the last times 5^64 rounded outwards, which widens the gap, relative to the
/// bounds, by at most 2^-382: at the last block, 2^-368.
struct FivePowers {
    blocks: Vec<(Integer, Integer, u32)>,
    /// 5^r exactly, for r < 64.
    small: Vec<Integer>,
}

impl Default for FivePowers {
    fn default() -> Self {
        let mut small = vec![Integer::from(1)];
        for r in 1..=64 {
            small.push(Integer::from(&small[r - 1] * 5u32));
        }
        FivePowers {
            blocks: vec![(Integer::from(1), Integer::from(1), 0)],
            small,
        }
    }
}

impl FivePowers {
    /// `(lo, hi, sh)` with `lo·2^sh ≤ 5^s ≤ hi·2^sh`, for `s` up to [`MAX_FIVE_POWER`].
    fn bounds(&mut self, s: u32) -> (Integer, Integer, u32) {
        let (j, r) = ((s / 64) as usize, (s % 64) as usize);
        while self.blocks.len() <= j {
            let (lo, hi, sh) = self.blocks.last().expect("5^0 is the first block");
            let (lo, hi) = (
                Integer::from(lo * &self.small[64]),
                Integer::from(hi * &self.small[64]),
            );
            let drop = hi.significant_bits().saturating_sub(FIVE_BITS);
            // Down for the lower bound, up for the upper: ceil(x/2^d) = ((x - 1) >> d) + 1.
            let hi = ((hi - 1u32) >> drop) + 1u32;
            self.blocks.push((lo >> drop, hi, sh + drop));
        }
        let (lo, hi, sh) = &self.blocks[j];
        let p = &self.small[r];
        (Integer::from(lo * p), Integer::from(hi * p), *sh)
    }
}

/// [`scaled`] for a value below 1 scaled up (`k < 0`, `s > 0`), by the bounds on 5^s:
/// `m·2^k·10^s = m·5^s / 2^t` with `t = -(k + s)`. `None` where the bounds do not decide the
/// integer part and the half (about 2^-100 of values), where the fraction could be exactly 0
/// or a half (`m` divisible by 2^(t-1)), and beyond the table: MPFR converts those.
fn scaled_by_fives(
    m: &Integer,
    k: i32,
    s: i32,
    fives: &mut FivePowers,
) -> Option<(Integer, Ordering)> {
    let s = u32::try_from(s)
        .ok()
        .filter(|&s| s > 0 && s <= MAX_FIVE_POWER)?;
    let t = -(i64::from(k) + i64::from(s));
    // 0 < the fraction ≠ 1/2: m·5^s is divisible by exactly the powers of two m is.
    if t < 2 || m.find_one(0).is_none_or(|z| i64::from(z) >= t - 1) {
        return None;
    }
    let (lo, hi, sh) = fives.bounds(s);
    // m·5^s / 2^t lies in [m·lo, m·hi] / 2^u; twice it, floored, is the integer part and the half.
    let u = u32::try_from(t - i64::from(sh)).ok().filter(|&u| u >= 1)?;
    let low = Integer::from(m * &lo) >> (u - 1);
    let high = Integer::from(m * &hi) >> (u - 1);
    if low != high {
        return None;
    }
    let rest = if low.is_odd() {
        Ordering::Greater
    } else {
        Ordering::Less
    };
    Some((low >> 1u32, rest))
}

/// `m * 2^k * 10^s` as its integer part and how its fractional part compares with a half.
fn scaled(m: &Integer, k: i32, s: i32, tens: &mut PowersOfTen) -> (Integer, Ordering) {
    let mut num = m.clone();
    if s > 0 {
        num *= tens.get(s.unsigned_abs() as usize);
    }
    let shift = if k >= 0 {
        num <<= k.unsigned_abs();
        0
    } else {
        k.unsigned_abs()
    };
    if s >= 0 {
        // Divided by 2^shift: the bit below the point is the half, any lower one the rest.
        if shift == 0 {
            return (num, Ordering::Less);
        }
        let half = num.get_bit(shift - 1);
        let below = num.find_one(0).is_some_and(|i| i < shift - 1);
        num >>= shift;
        let rest = match (half, below) {
            (false, _) => Ordering::Less,
            (true, false) => Ordering::Equal,
            (true, true) => Ordering::Greater,
        };
        return (num, rest);
    }
    let divisor = Integer::from(tens.get(s.unsigned_abs() as usize) << shift);
    let (q, r) = num.div_rem_floor(divisor.clone());
    (q, Integer::from(&r << 1u32).cmp(&divisor))
}

/// A nonzero finite value rounded to nearest at `n` significant digits: `±0.digits × 10^exp`.
struct Expansion {
    neg: bool,
    digits: Vec<u8>,
    exp: i32,
}

impl Expansion {
    /// `f` rounded to nearest at `n` digits, ties to even, as MPFR's `mpfr_get_str` rounds
    /// it (what [`Expansion::by_mpfr`] returns): here in exact integer arithmetic, the
    /// significand times a power of ten, shifted, a quarter of `mpfr_get_str`'s cost at the
    /// sizes of a report (a report of 10^4 layers prints 5·10^4 values). Smaller values are
    /// scaled by bounds on a power of five ([`scaled_by_fives`]); larger ones, and the few
    /// those bounds leave undecided, go to MPFR.
    fn of(f: &Float, n: usize) -> Expansion {
        let n = n.max(1);
        let (Some(b), Some((m, k))) = (f.get_exp(), f.to_integer_exp()) else {
            return Expansion::by_mpfr(f, n);
        };
        let tiny = b < -(EXACT_EXPANSION_BITS as i32) && n <= BOUNDED_DIGITS;
        if (b.unsigned_abs() > EXACT_EXPANSION_BITS && !tiny) || n > EXACT_EXPANSION_DIGITS {
            return Expansion::by_mpfr(f, n);
        }
        let neg = m < 0;
        let m = m.abs();
        // 2^(b-1) <= |f| < 2^b, so 10^(e-1) <= |f| < 10^e for this e or the next.
        let mut e = (f64::from(b - 1) * std::f64::consts::LOG10_2).floor() as i32 + 1;
        // q = floor(|f| * 10^s), and how the rest compares with a half.
        let scale = |s: i32, tens: &mut PowersOfTen| {
            if tiny {
                POWERS_OF_FIVE.with_borrow_mut(|fives| scaled_by_fives(&m, k, s, fives))
            } else {
                Some(scaled(&m, k, s, tens))
            }
        };
        POWERS_OF_TEN.with_borrow_mut(|tens| {
            loop {
                let Some((mut q, rest)) = scale(n as i32 - e, tens) else {
                    return Expansion::by_mpfr(f, n);
                };
                if q >= *tens.get(n) {
                    e += 1;
                    continue;
                }
                if q < *tens.get(n - 1) {
                    e -= 1;
                    continue;
                }
                if rest == Ordering::Greater || (rest == Ordering::Equal && q.is_odd()) {
                    q += 1;
                    if q == *tens.get(n) {
                        // 99…9 rounds up to 100…0, one place further.
                        q /= 10;
                        e += 1;
                    }
                }
                return Expansion {
                    neg,
                    digits: q.to_string_radix(10).into_bytes(),
                    exp: e,
                };
            }
        })
    }

    /// [`Expansion::of`] by MPFR's own conversion.
    fn by_mpfr(f: &Float, n: usize) -> Expansion {
        let (neg, s, exp) = f.to_sign_string_exp(10, Some(n));
        Expansion {
            neg,
            digits: s.into_bytes(),
            exp: exp.unwrap_or(0),
        }
    }

    /// How the value rounds to nearest at `d` digits, as MPFR rounds it: whether up (away
    /// from zero), and the distance from the expansion in units of its last digit. Taken from
    /// the expansion unless what `d` digits drop of it is exactly a half (`5000…`), where the
    /// expansion cannot tell which way the value itself rounds: `None` then, and for `d`
    /// below 2 or not below the expansion's length.
    fn rounding(&self, d: usize) -> Option<(bool, f64)> {
        if d < 2 || d >= self.digits.len() {
            return None;
        }
        let tail = &self.digits[d..];
        if tail[0] == b'5' && tail[1..].iter().all(|&c| c == b'0') {
            return None;
        }
        let up = tail[0] >= b'5';
        let units = if up {
            // 10^len(tail) - tail = (99…9 - tail) + 1.
            tail.iter()
                .fold(0.0, |acc, &c| acc * 10.0 + f64::from(b'9' - c))
                + 1.0
        } else {
            tail.iter()
                .fold(0.0, |acc, &c| acc * 10.0 + f64::from(c - b'0'))
        };
        Some((up, units))
    }

    /// The digits and exponent of the value rounded to `d` digits ([`Expansion::rounding`]).
    fn rounded(&self, d: usize) -> Option<(String, i32)> {
        let (up, _) = self.rounding(d)?;
        let mut mantissa = self.digits[..d].to_vec();
        let mut exp = self.exp;
        if up {
            match mantissa.iter().rposition(|&c| c != b'9') {
                Some(i) => {
                    mantissa[i] += 1;
                    mantissa[i + 1..].fill(b'0');
                }
                None => {
                    // 99…9 rounds up to 100…0, one place further.
                    mantissa.fill(b'0');
                    mantissa[0] = b'1';
                    exp += 1;
                }
            }
        }
        Some((String::from_utf8(mantissa).expect("ASCII digits"), exp))
    }

    /// Whether `f` (the value expanded) rounded to `d` digits reads back as `f`: whether that
    /// rounding lies within half the gap to `f`'s neighbour on its side (the gap below a power
    /// of two is half the gap above). The distance is known to within half a unit of the
    /// expansion's last digit; where that, or the rounding itself, leaves the answer open, it
    /// is found by converting and parsing.
    fn reads_back(&self, f: &Float, d: usize) -> bool {
        self.decided(f, d)
            .unwrap_or_else(|| reads_back_by_parsing(f, d))
    }

    fn decided(&self, f: &Float, d: usize) -> Option<bool> {
        let (up, units) = self.rounding(d)?;
        let e2 = f.get_exp()?;
        let prec = i64::from(f.prec());
        // log2 of half the gap above |f|: the gap is 2^(e2 - prec).
        let half_gap_above = (i64::from(e2) - prec - 1) as f64;
        let power_of_two = || f.get_significand().is_some_and(|m| m.is_power_of_two());
        let half_gap = if units == 0.0 {
            // The rounding is the expansion itself: within half a unit, on either side.
            half_gap_above - 1.0
        } else if up || !power_of_two() {
            half_gap_above
        } else {
            half_gap_above - 1.0
        };
        // log2 of one unit of the expansion's last digit: 10^(exp - n).
        let unit = f64::from(self.exp - self.digits.len() as i32) * std::f64::consts::LOG2_10;
        // The distance lies within units ± 1/2 (the expansion is within half a unit of f).
        let far = (units + 0.5).log2() + unit;
        let near = (units - 0.5).max(0.0).log2() + unit;
        // Margin for the rounding of these logarithms (the exponents reach ~10^9).
        const MARGIN: f64 = 1e-4;
        if far < half_gap - MARGIN {
            Some(true)
        } else if near > half_gap + MARGIN {
            Some(false)
        } else {
            None
        }
    }
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

/// Appends `r` as its `Display` writes it (`3`, `-3/4`): in machine words when its parts fit
/// one (a large program's point has 10^5 values to write).
pub fn push_rational(r: &Rational, out: &mut String) {
    use std::fmt::Write;
    match (r.numer().to_i64(), r.denom().to_u64()) {
        (Some(n), Some(1)) => write!(out, "{n}"),
        (Some(n), Some(d)) => write!(out, "{n}/{d}"),
        _ => write!(out, "{r}"),
    }
    .expect("writing to a String cannot fail");
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

#[cfg(test)]
mod tests {
    use super::{
        Expansion, FivePowers, digits_for_bits, push_rational, shortest_by_reading_back,
        shortest_float_decimal,
    };
    use proptest::prelude::*;
    use rug::{Float, Integer, Rational};

    /// `push_rational` writes what `Display` writes, in machine words or not: signs, whole
    /// numbers, the word limits, parts beyond them.
    #[test]
    fn pushed_rationals_are_displayed_rationals() {
        let big: Integer = Integer::from(1) << 64;
        let mut cases: Vec<Rational> = [0i64, 1, -1, 7, -12, i64::MAX, i64::MIN]
            .iter()
            .flat_map(|&n| {
                [1u64, 2, 3, 1 << 40, u64::MAX]
                    .map(|d| Rational::from((Integer::from(n), Integer::from(d))))
            })
            .collect();
        cases.push(Rational::from((big.clone(), 3)));
        cases.push(Rational::from((-big.clone(), 1)));
        cases.push(Rational::from((1, big.clone() + 1)));
        for r in cases {
            let mut s = String::from("x = ");
            push_rational(&r, &mut s);
            assert_eq!(s, format!("x = {r}"));
        }
    }

    /// The expansion in integers is MPFR's, digit for digit.
    fn same_expansion(f: &Float, n: usize) {
        let (ours, mpfr) = (Expansion::of(f, n), Expansion::by_mpfr(f, n));
        assert_eq!(
            (ours.neg, String::from_utf8(ours.digits).unwrap(), ours.exp),
            (mpfr.neg, String::from_utf8(mpfr.digits).unwrap(), mpfr.exp),
            "{f:?} at {} bits, {n} digits",
            f.prec()
        );
    }

    /// Ties (dyadic values whose decimal expansion ends in 5 just past the digits asked
    /// for), carries (9…9 rounding up a place) and powers of ten with their neighbours, at
    /// every length: where rounding to nearest, ties to even, has cases to get wrong.
    #[test]
    fn expansions_round_as_mpfr_does() {
        for prec in [2, 11, 24, 53, 64, 113, 128, 192, 320] {
            for j in 0..12u32 {
                for k in (1..200u32).step_by(3) {
                    for scale in [-40i32, -3, 0, 2, 17] {
                        let q = Rational::from((k, 1u32 << j));
                        let ten = Rational::from(Integer::from(Integer::u_pow_u(
                            10,
                            scale.unsigned_abs(),
                        )));
                        let q = if scale < 0 { q / ten } else { q * ten };
                        let f = Float::with_val(prec, &q);
                        for n in 1..10 {
                            same_expansion(&f, n);
                            same_expansion(&(-f.clone()), n);
                        }
                    }
                }
            }
            for t in -340i32..340 {
                let p = Float::with_val(prec, Float::i_pow_u(10, t.unsigned_abs()));
                let p = if t < 0 {
                    Float::with_val(prec, p.recip_ref())
                } else {
                    p
                };
                let (mut up, mut down) = (p.clone(), p.clone());
                up.next_up();
                down.next_down();
                for f in [p, up, down] {
                    for n in [1, 2, 5, digits_for_bits(prec), digits_for_bits(prec) + 5] {
                        same_expansion(&f, n);
                    }
                }
            }
        }
    }

    /// The bounds on powers of five hold, and are as close as documented.
    #[test]
    fn bounds_on_powers_of_five() {
        let mut fives = FivePowers::default();
        for s in [0u32, 1, 63, 64, 65, 191, 192, 1000, 4095, 70_001, 200_003] {
            let (lo, hi, sh) = fives.bounds(s);
            let five = Integer::from(Integer::u_pow_u(5, s));
            assert!(
                Integer::from(&lo << sh) <= five && five <= Integer::from(&hi << sh),
                "{s}"
            );
            // The gap, relative to the bounds, under 2^-368.
            let gap = Integer::from(&hi - &lo) << 368u32;
            assert!(
                gap <= lo,
                "5^{s}: gap {} for {} bits",
                Integer::from(&hi - &lo),
                lo.significant_bits()
            );
        }
    }

    /// Small values, far below where the integers are exact ([`scaled_by_fives`]): powers of
    /// ten and their neighbours, at every length up to the bounded one and past it.
    #[test]
    fn small_expansions_round_as_mpfr_does() {
        for prec in [2, 24, 53, 113, 133, 256, 400] {
            for t in (340..80_000)
                .step_by(997)
                .chain([400_000, 700_000, 720_000])
            {
                let p = Float::with_val(prec, Float::i_pow_u(10, t));
                let p = Float::with_val(prec, p.recip_ref());
                let (mut up, mut down) = (p.clone(), p.clone());
                up.next_up();
                down.next_down();
                for f in [p, up, down] {
                    for n in [1, 2, 5, digits_for_bits(prec), 44, 80, 81] {
                        same_expansion(&f, n);
                        same_expansion(&(-f.clone()), n);
                    }
                }
            }
        }
    }

    /// The lengths asked for at precision `prec`: all it carries, and fewer.
    fn lengths(prec: u32) -> Vec<usize> {
        let all = digits_for_bits(prec);
        let mut ls = vec![1, 2, 3, 5, 17, 20, all - 2, all - 1, all, all + 3];
        ls.retain(|&d| d >= 1);
        ls
    }

    fn agree(f: &Float) {
        for d in lengths(f.prec()) {
            assert_eq!(
                shortest_float_decimal(f, d),
                shortest_by_reading_back(f, d),
                "{f:?} at {} bits, {d} digits",
                f.prec()
            );
        }
    }

    const PRECS: [u32; 8] = [2, 11, 24, 53, 64, 113, 128, 200];

    #[test]
    fn powers_of_two_and_their_neighbours() {
        for prec in PRECS {
            for k in (-1200..1200).step_by(7) {
                let p = Float::with_val(prec, Float::i_exp(1, k));
                let (mut up, mut down) = (p.clone(), p.clone());
                up.next_up();
                down.next_down();
                for f in [p, up, down] {
                    agree(&f);
                    agree(&(-f));
                }
            }
        }
    }

    #[test]
    fn values_with_few_digits() {
        for prec in PRECS {
            for (n, d) in [
                (1, 2),
                (1, 10),
                (3, 5),
                (6, 10),
                (1, 8),
                (125, 1000),
                (15, 100),
                (25, 100),
                (45, 1),
                (95, 10),
                (999, 1000),
                (9995, 10000),
                (1, 3),
                (2, 3),
                (123_456_789, 1),
                (1, 1_000_000_000),
                (35, 1000),
            ] {
                let r = Rational::from((n, d));
                for scale in [-400i32, -30, -5, 0, 3, 21, 22, 300] {
                    let ten =
                        Rational::from(Integer::from(Integer::u_pow_u(10, scale.unsigned_abs())));
                    let r = if scale < 0 {
                        r.clone() / ten
                    } else {
                        r.clone() * ten
                    };
                    let f = Float::with_val(prec, &r);
                    agree(&f);
                    agree(&(-f));
                }
            }
        }
    }

    /// A random value for the properties below: a 192-bit significand rounded to `prec` bits,
    /// times 2^-(exp + 192), negated or not.
    fn random_value((bits, more): (u128, u64), exp: i32, prec: u32, neg: bool) -> Float {
        let m = (Integer::from(bits) << 64u32) + more;
        let f = Float::with_val(prec, &m) >> (exp + 192);
        if neg { -f } else { f }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Random significands and exponents, at each precision: the one-conversion search
        /// gives what converting and reading back each length gives.
        #[test]
        fn one_conversion_reads_back_as_parsing_does(
            bits in any::<u128>(),
            more in any::<u64>(),
            exp in -3000i32..3000,
            which in 0usize..8,
            neg in any::<bool>(),
        ) {
            let prec = PRECS[which];
            let f = random_value((bits, more), exp, prec, neg);
            if !f.is_zero() {
                agree(&f);
            }
        }

        /// Random values, within the range computed in integers and beyond it (where MPFR
        /// converts), at any length: the same digits as MPFR's conversion.
        #[test]
        fn expansions_are_mpfrs(
            bits in any::<u128>(),
            more in any::<u64>(),
            exp in -4000i32..4000,
            prec in 2u32..400,
            n in 1usize..70,
            neg in any::<bool>(),
        ) {
            let f = random_value((bits, more), exp, prec, neg);
            if !f.is_zero() {
                same_expansion(&f, n);
            }
        }

        /// Random small values, down to 2^-4000000 (past the table of powers of five, which
        /// ends near 2^-3480000, where MPFR converts): the same digits as MPFR's conversion.
        #[test]
        fn small_expansions_are_mpfrs(
            bits in any::<u128>(),
            more in any::<u64>(),
            exp in 1000i32..4_000_000,
            prec in 2u32..400,
            n in 1usize..90,
            neg in any::<bool>(),
        ) {
            let f = random_value((bits, more), exp, prec, neg);
            if !f.is_zero() {
                same_expansion(&f, n);
                agree(&f);
            }
        }

        /// Values computed the way reports compute them: quotients of small integers, at the
        /// precisions of `--precision`.
        #[test]
        fn quotients_agree(n in -100_000i64..100_000, d in 1i64..100_000, prec in 2u32..300) {
            let f = Float::with_val(prec, Rational::from((n, d)));
            if !f.is_zero() {
                agree(&f);
            }
        }
    }
}
