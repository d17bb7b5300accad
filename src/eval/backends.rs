//! The three number types behind [`super::Backend`]: exact, MPFR and f64.
//!
//! The built-ins' values in f64 and MPFR, and their domain rule, are written once in
//! `builtins.rs` (shared with the compiled tape); here each backend adds its own checks.
//! Domain rules are the same in all three: `log` needs a positive argument, a negative power
//! needs a nonzero base, a non-integer power needs a non-negative base (positive if the
//! exponent is negative). Results that overflow to infinity or NaN are errors too.

use super::{Backend, Fail, builtins, nearest_f64};
use crate::expr::{Builtin, NoExactValue, is_int};
use rug::ops::Pow;
use rug::{Float, Integer, Rational};
use std::cmp::Ordering;

fn domain(s: &str) -> Fail {
    Fail::Domain(s.to_string())
}

/// Whether a failure's message is an overflow (of MPFR's or of f64's range, at any precision,
/// not a question of the input's domain).
pub(crate) fn is_overflow(message: &str) -> bool {
    message.starts_with("overflow")
}

/// Checks the domain of `base ^ e` given the sign of the base.
fn power_domain(
    base_sign: Ordering,
    e_integer: bool,
    e_negative: bool,
    half: bool,
) -> Result<(), Fail> {
    match base_sign {
        Ordering::Equal if e_negative => Err(domain("division by zero")),
        Ordering::Less if !e_integer => Err(domain(if half {
            "square root of a negative number"
        } else {
            "non-integer power of a negative number"
        })),
        _ => Ok(()),
    }
}

// ------------------------------------------------------------------ exact

/// A value in exact evaluation: a rational, or an irrational intermediate carried at
/// [`GUARD_PREC`] bits so that kinks can still decide exactly (`step(w·log 2)` is 1).
#[derive(Clone, Debug, PartialEq)]
pub enum ExactVal {
    /// Exactly this rational.
    Q(Rational),
    /// Not rational; approximately this, at [`GUARD_PREC`] bits and at 64 more, and whether
    /// a part of it was lost on the way (`exp(1000) + 1` is `exp(1000)` at both): where the
    /// two do not agree on the sign (a cancellation took the digits), or a part was lost, the
    /// sign is not decided.
    Approx(Float, Float, bool),
}

/// Precision of the approximations carried through exact evaluation.
pub const GUARD_PREC: u32 = 512;

/// Precision of the second approximation carried through exact evaluation.
const CHECK_PREC: u32 = GUARD_PREC + 64;

/// Below this magnitude an approximate value's sign is not trusted (2^-256).
fn undecided(f: &Float) -> bool {
    f.is_zero() || f.get_exp().is_some_and(|e| e < -256)
}

/// Whether two approximations of a value agree to two bits (their difference is below a
/// quarter of the first): then the sign of either is the value's.
fn agree(a: &Float, b: &Float) -> bool {
    let diff = Float::with_val(CHECK_PREC + 2, a - b).abs() * 4u32;
    diff < *a.as_abs()
}

/// Exact rational arithmetic. Irrational intermediates are carried approximately, and a
/// result that depends on one is refused ([`Fail::NotExact`]) by [`ExactVal::exact`], except
/// where a function of it is rational whatever its precise value: `step`, `sign`, and `relu`,
/// `abs`, `max`, `min` of a value whose sign is clear: the two approximations carried agree
/// on it (a cancellation makes one approximation's sign wrong: `sign(exp(1000)*(sin(x)^2 +
/// cos(x)^2 - 1))` is 0, and its approximation at 512 bits about -2^931).
#[derive(Clone, Debug)]
pub struct Exact {
    max_bits: u64,
    approx: Mpfr,
    check: Mpfr,
}

impl ExactVal {
    /// The rational, if the value is one.
    pub fn exact(self) -> Result<Rational, Fail> {
        match self {
            ExactVal::Q(r) => Ok(r),
            ExactVal::Approx(..) => Err(Fail::NotExact),
        }
    }

    /// The two approximations.
    fn floats(&self) -> (Float, Float) {
        match self {
            ExactVal::Q(r) => (
                Float::with_val(GUARD_PREC, r),
                Float::with_val(CHECK_PREC, r),
            ),
            ExactVal::Approx(a, b, _) => (a.clone(), b.clone()),
        }
    }

    fn sign(&self) -> Option<Ordering> {
        match self {
            ExactVal::Q(r) => Some(r.cmp0()),
            ExactVal::Approx(a, b, lost)
                if *lost || undecided(a) || undecided(b) || !agree(a, b) =>
            {
                None
            }
            ExactVal::Approx(a, ..) => a.cmp0(),
        }
    }
}

impl Exact {
    /// Exact arithmetic refusing numbers larger than `max_bits` (numerator plus denominator).
    pub fn new(max_bits: u64) -> Self {
        Exact {
            max_bits,
            approx: Mpfr::new(GUARD_PREC),
            check: Mpfr::new(CHECK_PREC),
        }
    }

    fn bounded(&self, r: Rational) -> Result<ExactVal, Fail> {
        if crate::expr::rational_bits(&r) > self.max_bits {
            Err(Fail::TooLarge)
        } else {
            Ok(ExactVal::Q(r))
        }
    }

    fn power(&self, b: &Rational, e: &Rational) -> Result<Rational, Fail> {
        power_domain(
            b.cmp0(),
            *e.denom() == 1,
            e.cmp0() == Ordering::Less,
            *e.denom() == 2,
        )?;
        if *e.denom() == 1 {
            return crate::expr::rational_powi(b, e.numer(), self.max_bits).ok_or(Fail::TooLarge);
        }
        let q = e.denom().to_u32().ok_or(Fail::NotExact)?;
        let (rn, remn) = b.numer().clone().root_rem(Integer::new(), q);
        let (rd, remd) = b.denom().clone().root_rem(Integer::new(), q);
        if remn != 0 || remd != 0 {
            return Err(Fail::NotExact);
        }
        crate::expr::rational_powi(&Rational::from((rn, rd)), e.numer(), self.max_bits)
            .ok_or(Fail::TooLarge)
    }

    fn all_q<'v>(vs: impl Iterator<Item = &'v ExactVal>) -> Option<Vec<&'v Rational>> {
        vs.map(|v| match v {
            ExactVal::Q(r) => Some(r),
            ExactVal::Approx(..) => None,
        })
        .collect()
    }

    /// An operation on the approximations of `vs`: `op(backend, approximations)` at both
    /// precisions.
    fn approx<T: Copy>(
        &self,
        vs: &[(&ExactVal, T)],
        op: impl Fn(&Mpfr, &[(&Float, T)]) -> Result<Float, Fail>,
    ) -> Result<ExactVal, Fail> {
        let fs: Vec<(Float, Float)> = vs.iter().map(|v| v.0.floats()).collect();
        let first: Vec<(&Float, T)> = fs.iter().zip(vs).map(|(f, v)| (&f.0, v.1)).collect();
        let second: Vec<(&Float, T)> = fs.iter().zip(vs).map(|(f, v)| (&f.1, v.1)).collect();
        let was_lost = vs
            .iter()
            .any(|v| matches!(v.0, ExactVal::Approx(_, _, true)));
        let ((a, b), lost) = lost_during(|| (op(&self.approx, &first), op(&self.check, &second)));
        match (a, b) {
            (Ok(a), Ok(b)) => Ok(ExactVal::Approx(a, b, was_lost || lost > 0)),
            // A domain error of an approximation is decided by rounding at these bits
            // (`log(exp(x) - 1)` at x = 10^-200: exp(x) - 1 is 0 at 512 bits): the checked
            // MPFR evaluation, which goes past what was lost, decides it, as it does whether
            // an underflow matters. (An overflow is the exponent range's at any precision.)
            (Err(Fail::Domain(m)), _) | (_, Err(Fail::Domain(m))) if !is_overflow(&m) => {
                Err(Fail::NotExact)
            }
            (Err(f), _) | (_, Err(f)) => Err(f),
        }
    }
}

/// A built-in on exact arguments: the value when it is rational ([`Builtin::exact`]).
pub(crate) fn exact_builtin(f: Builtin, a: &[&Rational]) -> Result<Rational, Fail> {
    f.exact(a).map_err(|e| match e {
        NoExactValue::Domain(what) => domain(what),
        NoExactValue::NotRational => Fail::NotExact,
    })
}

impl Backend for Exact {
    type V = ExactVal;
    fn num(&self, r: &Rational) -> Result<ExactVal, Fail> {
        Ok(ExactVal::Q(r.clone()))
    }
    fn sum(&self, c: &Rational, terms: &[(&ExactVal, &Rational)]) -> Result<ExactVal, Fail> {
        if let Some(qs) = Self::all_q(terms.iter().map(|t| t.0)) {
            let mut acc = c.clone();
            for (v, (_, k)) in qs.into_iter().zip(terms) {
                acc += Rational::from(v * *k);
            }
            return self.bounded(acc);
        }
        self.approx(terms, |m, fs| m.sum(c, fs))
    }
    fn product(&self, c: &Rational, factors: &[(&ExactVal, &Rational)]) -> Result<ExactVal, Fail> {
        if let Some(qs) = Self::all_q(factors.iter().map(|t| t.0)) {
            let mut acc = c.clone();
            let mut exact = true;
            for (v, (_, e)) in qs.iter().zip(factors) {
                match self.power(v, e) {
                    Ok(p) => {
                        acc *= p;
                        if crate::expr::rational_bits(&acc) > self.max_bits {
                            return Err(Fail::TooLarge);
                        }
                    }
                    Err(Fail::NotExact) => exact = false,
                    Err(f) => return Err(f),
                }
            }
            if exact {
                return self.bounded(acc);
            }
        }
        // An exact zero factor makes the product exactly zero, whatever the others are
        // (they are defined: their own evaluation has already succeeded).
        let is_zero = |v: &ExactVal| matches!(v, ExactVal::Q(r) if *r == 0);
        if factors
            .iter()
            .any(|(v, e)| is_zero(v) && e.cmp0() == Ordering::Greater)
            && !factors
                .iter()
                .any(|(v, e)| is_zero(v) && e.cmp0() == Ordering::Less)
        {
            return Ok(ExactVal::Q(Rational::new()));
        }
        self.approx(factors, |m, fs| m.product(c, fs))
    }
    fn pow(&self, b: &ExactVal, e: &ExactVal) -> Result<ExactVal, Fail> {
        if let (ExactVal::Q(b), ExactVal::Q(e)) = (b, e) {
            match self.power(b, e) {
                Ok(r) => return self.bounded(r),
                Err(Fail::NotExact) => {}
                Err(f) => return Err(f),
            }
        }
        self.approx(&[(b, ()), (e, ())], |m, fs| m.pow(fs[0].0, fs[1].0))
    }
    fn call(&self, f: Builtin, args: &[&ExactVal]) -> Result<ExactVal, Fail> {
        if let Some(qs) = Self::all_q(args.iter().copied()) {
            match exact_builtin(f, &qs) {
                Ok(r) => return self.bounded(r),
                Err(Fail::NotExact) => {}
                Err(e) => return Err(e),
            }
        } else {
            // Functions that are rational whatever the precise irrational argument.
            let sign = |v: &ExactVal| v.sign().ok_or(Fail::NotExact);
            match f {
                Builtin::Step => {
                    return Ok(ExactVal::Q(Rational::from(i32::from(
                        sign(args[0])? == Ordering::Greater,
                    ))));
                }
                Builtin::Sign => return Ok(ExactVal::Q(Rational::from(sign(args[0])? as i32))),
                Builtin::Relu if sign(args[0])? != Ordering::Greater => {
                    return Ok(ExactVal::Q(Rational::new()));
                }
                // A function with a domain rule of an argument whose sign the approximations
                // do not decide (a part lost: `log(1 + t - exp(t))` at t = 10^-155, where
                // exp(t) is 1 at 512 bits and the argument -t²/2 < 0): the checked MPFR
                // evaluation decides whether it is defined.
                b if b.has_domain_rule() => {
                    sign(args[0])?;
                }
                Builtin::Max | Builtin::Min => {
                    // Left to right, keeping the earlier argument at a tie.
                    let mut best = args[0];
                    for &v in &args[1..] {
                        let d = self.sum(
                            &Rational::new(),
                            &[(best, &Rational::from(1)), (v, &Rational::from(-1))],
                        )?;
                        let sd = sign(&d)?;
                        if sd != Ordering::Equal && (sd == Ordering::Less) == (f == Builtin::Max) {
                            best = v;
                        }
                    }
                    return Ok(best.clone());
                }
                _ => {}
            }
        }
        let vs: Vec<(&ExactVal, ())> = args.iter().map(|a| (*a, ())).collect();
        self.approx(&vs, |m, fs| {
            let fs: Vec<&Float> = fs.iter().map(|f| f.0).collect();
            m.call(f, &fs)
        })
    }
    fn sign(&self, v: &ExactVal) -> Option<Ordering> {
        v.sign()
    }
    fn show(&self, v: &ExactVal) -> String {
        match v {
            ExactVal::Q(r) => r.to_string(),
            ExactVal::Approx(f, ..) => super::format::float_decimal(f, 10),
        }
    }
}

// ------------------------------------------------------------------ MPFR

/// MPFR arithmetic at a fixed precision, each operation correctly rounded.
#[derive(Clone, Debug)]
pub struct Mpfr {
    prec: u32,
}

/// The most bits counted as lost: beyond, the count says only that much more was lost
/// (`tanh` of 10^20 loses e^-(2·10^20)).
pub(crate) const LOST_CAP: u64 = 1 << 50;

/// Whether `v` is 0 or has at most 64 significant bits (1, 3/4, 10^6): a number more likely
/// exact than rounded.
fn short(v: &Float) -> bool {
    match v.get_significand() {
        None => true,
        Some(m) => m.significant_bits() - m.find_one(0).unwrap_or(0) <= 64,
    }
}

/// Bits a sum that cancels must keep beyond its depth (its largest term's exponent less its
/// result's) for its result to count as computed, not lost ([`Mpfr::lose`]).
const CANCEL_GUARD: i64 = 64;

thread_local! {
    /// The most bits any MPFR operation on this thread lost outright since [`take_lost_bits`]
    /// was last called ([`Mpfr::lose`]): read by the digit check
    /// ([`checked_mpfr`](super::checked_mpfr)) around each of its evaluations.
    static LOST_BITS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The most bits an MPFR operation on this thread lost outright since the last call (0 if
/// none), and the count started again: a term of a sum beyond the precision of the result
/// (`1 + 2^-2000` at 320 bits is 1), or the argument of a function whose value at 0 is not
/// 0 (`exp(2^-2000)` is 1). Two precisions both below such a gap agree on the same wrong
/// result where what follows cancels (`exp(x) - 1`), so the digit check must go past it.
pub fn take_lost_bits() -> u64 {
    LOST_BITS.with(|l| l.replace(0))
}

thread_local! {
    /// As [`LOST_BITS`], counting only the losses of fewer bits than a limit: `(limit, most)`
    /// ([`take_lost_within`]).
    static LOST_WITHIN: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((u64::MAX, 0)) };
}

/// The most bits an MPFR operation on this thread lost outright since the last call, counting
/// only losses of fewer bits than the limit set then; the count started again, with `limit`.
/// A part lost beyond the digit check's cap cannot be found, but one lost within it can, in
/// the same evaluation (`tanh(185)` beside `sigmoid(10^5)`): the check goes past the second.
pub fn take_lost_within(limit: u64) -> u64 {
    LOST_WITHIN.with(|l| l.replace((limit, 0)).1)
}

thread_local! {
    /// The arguments `sign` and `step` were applied to on this thread since
    /// [`take_kink_args`] was last called, in order.
    static KINK_ARGS: std::cell::RefCell<Vec<Float>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The arguments MPFR's `sign` and `step` were applied to on this thread since the last call,
/// in order, and the list started again. Their results jump at 0, so where an argument is 0
/// (a kink, a tie: `sign(sin(x)^2 + cos(x)^2 - 1)`) rounding decides them, and two precisions
/// agree on a wrong ±1: the digit check ([`checked_mpfr`](super::checked_mpfr)) compares
/// the arguments too.
pub fn take_kink_args() -> Vec<Float> {
    KINK_ARGS.with_borrow_mut(std::mem::take)
}

/// `f()`, with the bits MPFR operations lost during it ([`take_lost_bits`]); the count kept
/// for an evaluation around it goes on as if `f` had run within it.
fn lost_during<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = take_lost_bits();
    let r = f();
    let lost = take_lost_bits();
    LOST_BITS.with(|l| l.set(before.max(lost)));
    (r, lost)
}

impl Mpfr {
    /// MPFR at `prec` bits.
    pub fn new(prec: u32) -> Self {
        Mpfr { prec }
    }

    /// Records that `gap` bits (how far below the result's leading bit a part of it was) were
    /// needed and the precision did not have them ([`take_lost_bits`]).
    fn lose(&self, gap: i64) {
        if gap > i64::from(self.prec) {
            let gap = gap.unsigned_abs().min(LOST_CAP);
            LOST_BITS.with(|l| l.set(l.get().max(gap)));
            LOST_WITHIN.with(|l| {
                let (limit, most) = l.get();
                if gap < limit {
                    l.set((limit, most.max(gap)));
                }
            });
        }
    }

    /// An input's value `r` at the precision. Rounding it is no loss, but for a number that is
    /// a part too small for the other (10^100 + 1, 1 + 10^-100): rounded to within far less
    /// than its last bit, it lost that part, and that counts for the digit check.
    pub fn input(&self, r: &Rational) -> Float {
        let f = Float::with_val(self.prec, r);
        if f.is_finite() && !f.is_zero() && f != *r {
            let lost = (r - f.to_rational().unwrap_or_default()) / r;
            if let Some(e) = Float::with_val(64, lost).get_exp()
                && -i64::from(e) > i64::from(self.prec) + CANCEL_GUARD
            {
                self.lose(-i64::from(e));
            }
        }
        f
    }

    /// `r` rounded to the precision; an integer through `mpfr_set_z`, several times faster
    /// than `mpfr_set_q` and the same correctly rounded number.
    fn constant(&self, r: &Rational) -> Float {
        if *r.denom() == 1 {
            Float::with_val(self.prec, r.numer())
        } else {
            Float::with_val(self.prec, r)
        }
    }

    fn finite(&self, x: Float) -> Result<Float, Fail> {
        if x.is_nan() {
            Err(domain("undefined result (NaN)"))
        } else if x.is_infinite() {
            Err(domain(
                "overflow: the result is larger than MPFR can represent",
            ))
        } else {
            Ok(x)
        }
    }

    fn power(&self, b: &Float, e: &Rational) -> Result<Float, Fail> {
        let sign = b.cmp0().unwrap_or(Ordering::Equal);
        let integer = *e.denom() == 1;
        power_domain(sign, integer, e.cmp0() == Ordering::Less, *e.denom() == 2)?;
        let p = self.prec;
        let r = if integer {
            Float::with_val(p, b.pow(e.numer()))
        } else if *e.denom() == 2 {
            let s = Float::with_val(p, b.sqrt_ref());
            if *e.numer() == 1 {
                s
            } else {
                Float::with_val(p, s.pow(e.numer()))
            }
        } else {
            let ef = Float::with_val(p + 64, e);
            Float::with_val(p, b.pow(&ef))
        };
        if !b.is_zero() && underflowed(&r) {
            return Err(underflow());
        }
        self.finite(r)
    }
}

/// A nonzero result too small for MPFR's exponent range, which would otherwise read as 0: an
/// error. Not 0, which flips what depends on it (`step(sech(x))` at 10^10 was 0, true 1), and
/// not the least number MPFR has either, which makes different tiny values equal
/// (`sign(sigmoid(-t) - 2*sigmoid(-t)^2)`): reviews found wrong values of both.
fn underflow() -> Fail {
    domain("underflow: the result is nonzero but smaller than MPFR can represent")
}

/// Whether a result that cannot be 0 underflowed: it is 0, or the least number MPFR has
/// (where a result below it may round; `sigmoid(-10^9)` is e^-10^9, about 2^-1.44·10^9, past
/// the exponent range).
fn underflowed(r: &Float) -> bool {
    r.is_zero() || (r.get_exp() == Some(rug::float::exp_min()) && least(r))
}

/// Whether `r` is ± the least number MPFR has (at its exponent, the significand 1/2).
fn least(r: &Float) -> bool {
    r.get_significand()
        .is_some_and(|m| m.as_abs().is_power_of_two())
}

impl Backend for Mpfr {
    type V = Float;
    fn num(&self, r: &Rational) -> Result<Float, Fail> {
        Ok(self.constant(r))
    }
    /// The correctly rounded sum of the terms (each `k·v` rounded once, then added exactly by
    /// `mpfr_sum`). Adding in order would let a large term absorb a small one before a
    /// cancelling large term arrives (`e^1372 + 1e113 − e^1372`), and do so the same way at
    /// every precision below the gap, so that two precisions agree on a wrong result and
    /// the digit check ([`checked_mpfr`](super::checked_mpfr)) is fooled.
    fn sum(&self, c: &Rational, terms: &[(&Float, &Rational)]) -> Result<Float, Fail> {
        // The terms with coefficient 1 are summed in place, the others rounded into new
        // floats: `mpfr_sum`'s result does not depend on the order of its terms.
        let mut parts: Vec<Float> = Vec::new();
        if !is_int(c, 0) {
            parts.push(self.constant(c));
        }
        for (v, k) in terms {
            if is_int(k, -1) {
                parts.push(Float::with_val(self.prec, -*v));
            } else if !is_int(k, 1) {
                parts.push(Float::with_val(self.prec, *v * *k));
            }
        }
        let units = terms.iter().filter(|(_, k)| is_int(k, 1)).map(|(v, _)| *v);
        let sum = Float::with_val(self.prec, Float::sum(parts.iter().chain(units.clone())));
        // A term below the result's last bit is lost outright; and a result far below its
        // largest term keeps only the bits of the terms below that depth (`y - x - 1/2` with
        // x = 10^100 and y = x + 1, which round to the same float at 192 and at 320 bits, is
        // -1/2 at both): fewer than [`CANCEL_GUARD`] of them is as good as lost.
        if let Some(top) = sum.get_exp() {
            let exps = parts.iter().chain(units).filter_map(|v| v.get_exp());
            let (smallest, largest) =
                exps.fold((i32::MAX, i32::MIN), |(lo, hi), e| (lo.min(e), hi.max(e)));
            let top = i64::from(top);
            if smallest <= largest {
                self.lose(top - i64::from(smallest));
            }
            if i64::from(largest) > top {
                self.lose(i64::from(largest) - top + CANCEL_GUARD);
            }
        } else if sum.is_zero() && parts.iter().chain(units).any(|v| !short(v)) {
            // Cancelled to 0 (`y - x` with y = x + 1 = 10^100 + 1, the same float at 192 and
            // at 320 bits): what is left, if anything, is below every bit there was. Not where
            // every term is a short number, which is more likely exact (`1 - y` at y = 1).
            self.lose(i64::from(self.prec) + CANCEL_GUARD);
        }
        self.finite(sum)
    }
    fn product(&self, c: &Rational, factors: &[(&Float, &Rational)]) -> Result<Float, Fail> {
        // Left to right, each product rounded to the precision. A product of floats of that
        // precision is formed in place (`a *= b` rounds as `Float::with_val(prec, a * b)`).
        let mut acc: Option<Float> = None;
        for (v, e) in factors {
            let unit = is_int(e, 1);
            acc = Some(match acc {
                None if unit => (*v).clone(),
                None => self.power(v, e)?,
                Some(mut a) if a.prec() == self.prec => {
                    if unit {
                        a *= *v;
                    } else {
                        a *= self.power(v, e)?;
                    }
                    a
                }
                Some(a) => {
                    let pv = if unit {
                        (*v).clone()
                    } else {
                        self.power(v, e)?
                    };
                    Float::with_val(self.prec, a * pv)
                }
            });
        }
        let acc = acc.unwrap_or_else(|| Float::with_val(self.prec, 1));
        let r = if is_int(c, 1) {
            acc
        } else if is_int(c, -1) {
            -acc
        } else if acc.prec() == self.prec {
            acc * c
        } else {
            Float::with_val(self.prec, acc * c)
        };
        if underflowed(&r) && factors.iter().all(|(v, _)| !v.is_zero()) {
            return Err(underflow());
        }
        self.finite(r)
    }
    fn pow(&self, b: &Float, e: &Float) -> Result<Float, Fail> {
        let sign = b.cmp0().unwrap_or(Ordering::Equal);
        power_domain(sign, e.is_integer(), e.is_sign_negative(), false)?;
        let r = Float::with_val(self.prec, b.pow(e));
        if !b.is_zero() && underflowed(&r) {
            return Err(underflow());
        }
        self.finite(r)
    }
    fn sign(&self, v: &Float) -> Option<Ordering> {
        v.cmp0()
    }
    fn show(&self, v: &Float) -> String {
        super::format::float_decimal(v, 10)
    }
    fn call(&self, f: Builtin, args: &[&Float]) -> Result<Float, Fail> {
        let t = args[0];
        builtins::check_domain(f, t.cmp0())?;
        // Near 0 these are their value at 0 plus a term in t (exp, sigmoid, softplus), or
        // their value to first order times 1 plus a term in t² (the others): that term is lost
        // once it is below the value's last bit (`sin(t)/t - 1` at t = 10^-60).
        if let Some(e) = t.get_exp().filter(|e| *e < 0) {
            match f {
                Builtin::Exp | Builtin::Sigmoid | Builtin::Softplus => self.lose(-i64::from(e) + 2),
                // cos, sech: 1 - t²/2; sin, tan, tanh, cot: t·(1 ∓ t²/6 …), 1/t - t/3.
                Builtin::Cos
                | Builtin::Sech
                | Builtin::Sin
                | Builtin::Tan
                | Builtin::Tanh
                | Builtin::Cot => self.lose(-2 * i64::from(e) + 2),
                _ => {}
            }
        }
        // Far out, these are their limit plus a term in e^-|t| (sigmoid, tanh: 1 - e^-t and
        // ±(1 - 2e^-2|t|); softplus: t + e^-t), lost once it is below the value's last bit
        // (`1 - sigmoid(600)` is 0 at 192 and at 320 bits): the check goes straight to the
        // bits it needs. Beyond the cap the value alone (tanh(3000) is 1) is right, but the
        // note says the part was lost all the same: the check cannot tell whether what
        // follows cancels it.
        if t.get_exp().is_some_and(|e| e > 2) {
            // (A float past i64 saturates; `lose` caps the count anyway.)
            let bits =
                |k: f64, more: f64| (k * t.to_f64().abs() * std::f64::consts::LOG2_E + more) as i64;
            let positive = t.cmp0() == Some(Ordering::Greater);
            match f {
                Builtin::Sigmoid if positive => self.lose(bits(1.0, 0.0)),
                Builtin::Softplus if positive => {
                    self.lose(bits(1.0, f64::from(t.get_exp().unwrap_or(0))))
                }
                Builtin::Tanh => self.lose(bits(2.0, -1.0)),
                _ => {}
            }
        }
        if let Builtin::Sign | Builtin::Step = f {
            KINK_ARGS.with_borrow_mut(|k| k.push(t.clone()));
        }
        let mut s = Float::new(self.prec);
        // Guard bits only where the built-in rounds in two steps (sigmoid, softplus).
        let mut guard = match f {
            Builtin::Sigmoid | Builtin::Softplus => Float::new(self.prec + 32),
            _ => Float::new(rug::float::prec_min()),
        };
        builtins::mpfr_into(f, &mut s, t, args.get(1).copied().unwrap_or(t), &mut guard);
        // `max` and `min` of more arguments: left to right, keeping the earlier at a tie.
        for v in args.iter().skip(2) {
            let acc = s.clone();
            builtins::mpfr_into(f, &mut s, &acc, v, &mut guard);
        }
        // These are never 0: a 0 (or the least number MPFR has) is an underflow.
        if matches!(
            f,
            Builtin::Exp | Builtin::Sigmoid | Builtin::Softplus | Builtin::Sech
        ) && underflowed(&s)
        {
            return Err(underflow());
        }
        self.finite(s)
    }
}

// ------------------------------------------------------------------ f64

/// The double nearest to an integer (rug's `Integer::to_f64` rounds toward zero).
pub(crate) fn integer_f64(n: &Integer) -> f64 {
    Float::with_val_round(53, n, rug::float::Round::Nearest)
        .0
        .to_f64()
}

/// IEEE double arithmetic, in the order a straightforward program (NumPy) would use.
#[derive(Clone, Copy, Debug)]
pub struct F64;

impl F64 {
    fn finite(x: f64) -> Result<f64, Fail> {
        if x.is_nan() {
            Err(domain("undefined result (NaN)"))
        } else if x.is_infinite() {
            Err(domain("overflow"))
        } else {
            Ok(x)
        }
    }

    fn power(b: f64, e: &Rational) -> Result<f64, Fail> {
        let integer = *e.denom() == 1;
        let sign = b.partial_cmp(&0.0).unwrap_or(Ordering::Equal);
        power_domain(sign, integer, e.cmp0() == Ordering::Less, *e.denom() == 2)?;
        let r = if integer {
            match e.numer().to_i32() {
                Some(1) => b,
                Some(2) => b * b,
                Some(-1) => 1.0 / b,
                Some(n) => b.powi(n),
                None => b.powf(nearest_f64(e)),
            }
        } else if *e.denom() == 2 && *e.numer() == 1 {
            b.sqrt()
        } else if *e.denom() == 2 && *e.numer() == -1 {
            1.0 / b.sqrt()
        } else {
            b.powf(nearest_f64(e))
        };
        Self::finite(r)
    }
}

impl Backend for F64 {
    type V = f64;
    fn num(&self, r: &Rational) -> Result<f64, Fail> {
        Ok(nearest_f64(r))
    }
    fn sum(&self, c: &Rational, terms: &[(&f64, &Rational)]) -> Result<f64, Fail> {
        // Terms first, the constant last: `y - w*x` and `(w*x) - 10` round as NumPy would.
        let mut acc: Option<f64> = None;
        for (v, k) in terms {
            let t = if is_int(k, 1) {
                **v
            } else if is_int(k, -1) {
                -**v
            } else {
                nearest_f64(k) * **v
            };
            acc = Some(acc.map_or(t, |a| a + t));
        }
        let acc = acc.unwrap_or(0.0);
        Self::finite(if *c == 0 { acc } else { acc + nearest_f64(c) })
    }
    fn product(&self, c: &Rational, factors: &[(&f64, &Rational)]) -> Result<f64, Fail> {
        let mut acc: Option<f64> = None;
        for (v, e) in factors {
            let pv = Self::power(**v, e)?;
            acc = Some(acc.map_or(pv, |a| a * pv));
        }
        let acc = acc.unwrap_or(1.0);
        let r = if is_int(c, 1) {
            acc
        } else if is_int(c, -1) {
            -acc
        } else if *c.denom() == 1 {
            nearest_f64(c) * acc
        } else {
            // p/q·x computed as p·x/q, so x/2 is exact.
            integer_f64(c.numer()) * acc / integer_f64(c.denom())
        };
        Self::finite(r)
    }
    fn pow(&self, b: &f64, e: &f64) -> Result<f64, Fail> {
        let sign = b.partial_cmp(&0.0).unwrap_or(Ordering::Equal);
        power_domain(sign, e.fract() == 0.0, *e < 0.0, false)?;
        Self::finite(b.powf(*e))
    }
    fn sign(&self, v: &f64) -> Option<Ordering> {
        v.partial_cmp(&0.0)
    }
    fn show(&self, v: &f64) -> String {
        // The shortest string that reads back, in scientific notation when large or small
        // (1e300, not three hundred digits).
        super::format::decimal(&super::Value::F64(*v), 17)
    }
    fn call(&self, f: Builtin, args: &[&f64]) -> Result<f64, Fail> {
        let t = *args[0];
        builtins::check_domain(f, t.partial_cmp(&0.0))?;
        let mut r = [0.0];
        builtins::f64_block::<1, true>(f, &mut r, &[t], &[args.get(1).map_or(t, |v| **v)]);
        // `max` and `min` of more arguments: left to right.
        for v in args.iter().skip(2) {
            let acc = r;
            builtins::f64_block::<1, true>(f, &mut r, &acc, &[**v]);
        }
        Self::finite(r[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Backend;

    fn q(n: i64, d: i64) -> Rational {
        Rational::from((n, d))
    }

    /// MPFR products and sums round as written out step by step: each product of two
    /// rounded to the precision, left to right; a sum's terms `k·v` rounded, then summed
    /// exactly and rounded once. Operands of the backend's precision and of more bits.
    #[test]
    fn mpfr_products_and_sums_round_step_by_step() {
        let p = 64;
        let m = Mpfr::new(p);
        for extra in [0, 40] {
            let a = Float::with_val(p + extra, Float::with_val(200, 2).sqrt());
            let b = Float::with_val(p + extra, Float::with_val(200, 3).ln());
            let c = Float::with_val(p + extra, Float::with_val(200, -7).exp());
            let (one, half, minus) = (q(1, 1), q(1, 2), q(-1, 1));
            let k = q(3, 7);
            let got = m
                .product(&k, &[(&a, &one), (&b, &one), (&c, &minus), (&a, &half)])
                .unwrap();
            let ab = Float::with_val(p, a.clone() * b.clone());
            let abc = Float::with_val(p, ab * Float::with_val(p, (&c).pow(&Integer::from(-1))));
            let abca = Float::with_val(p, abc * Float::with_val(p, a.sqrt_ref()));
            let want = Float::with_val(p, abca * &k);
            assert_eq!((got.prec(), &got), (p, &want));

            let got = m
                .sum(&q(1, 3), &[(&a, &one), (&b, &minus), (&c, &q(5, 2))])
                .unwrap();
            let parts = [
                Float::with_val(p, &q(1, 3)),
                a.clone(),
                Float::with_val(p, -&b),
                Float::with_val(p, &c * &q(5, 2)),
            ];
            let want = Float::with_val(p, Float::sum(parts.iter()));
            assert_eq!((got.prec(), &got), (p, &want));
        }
        // Constants, integers among them, rounded once to the precision.
        let m = Mpfr::new(8);
        for r in [q(1, 1), q(-257, 1), q(12_345_678, 1), q(1, 3), q(0, 1)] {
            let got = m.num(&r).unwrap();
            assert_eq!((got.prec(), &got), (8, &Float::with_val(8, &r)));
            let got = m.sum(&r, &[]).unwrap();
            assert_eq!(got, Float::with_val(8, &r));
        }
    }
}
