//! The built-ins' numbers, once: each built-in's domain, its value in f64 (over a block of
//! points, which the compiled tape runs and the [`super::F64`] backend runs as a block of one)
//! and its value in MPFR (into a given float, which the tape's MPFR evaluator and the
//! [`super::Mpfr`] backend both use). Exact values are [`Builtin::exact`] in the function table
//! (`expr/func.rs`); derivatives are in `diff.rs`.
//!
//! Each is one `match` over [`Builtin`], outside the loop over points, so that the f64 block
//! loops stay free of dispatch and vectorise.

use super::Fail;
use crate::expr::Builtin;
use rug::ops::NegAssign;
use rug::{Assign, Float};
use std::cmp::Ordering;

/// The domain rule of built-in `f` given the sign of its first argument (`None` for NaN):
/// `log`'s and `cot`'s at 0. The other built-ins are defined everywhere; results that overflow are
/// caught by each arithmetic's own check.
pub(crate) fn check_domain(f: Builtin, sign: Option<Ordering>) -> Result<(), Fail> {
    match f.domain_error(sign) {
        Some(msg) => Err(Fail::Domain(msg.to_string())),
        None => Ok(()),
    }
}

/// `sign(t)` in f64: -1, 0 or 1 (0 for ±0; NaN stays NaN for the caller to report).
pub(crate) fn sign_f64(t: f64) -> f64 {
    if t > 0.0 {
        1.0
    } else if t < 0.0 {
        -1.0
    } else if t == 0.0 {
        0.0
    } else {
        t
    }
}

/// Built-in `f` over a block: `dst = f(x)`, or `f(x, y)` for `max` and `min` (more arguments
/// are folded pairwise by the caller). With `LIBM`, `exp` and `sigmoid` use the C library's
/// `exp` (as NumPy); without, the branch-free [`exp`] that vectorises. No domain check: a
/// value outside the domain gives NaN or an infinity, as in NumPy.
#[inline(always)]
pub(crate) fn f64_block<const B: usize, const LIBM: bool>(
    f: Builtin,
    dst: &mut [f64; B],
    x: &[f64; B],
    y: &[f64; B],
) {
    match f {
        Builtin::Exp if LIBM => map1(dst, x, f64::exp),
        Builtin::Sigmoid if LIBM => map1(dst, x, |t| 1.0 / (1.0 + (-t).exp())),
        Builtin::Exp => map1(dst, x, exp),
        Builtin::Log => map1(dst, x, f64::ln),
        Builtin::Sin => map1(dst, x, f64::sin),
        Builtin::Cos => map1(dst, x, f64::cos),
        Builtin::Tan => map1(dst, x, f64::tan),
        // As NumPy users write it (NumPy has no cot): 1/tan(t).
        Builtin::Cot => map1(dst, x, |t| 1.0 / t.tan()),
        Builtin::Tanh => map1(dst, x, f64::tanh),
        Builtin::Sech => map1(dst, x, |t| 1.0 / t.cosh()),
        Builtin::Abs => map1(dst, x, f64::abs),
        Builtin::Sign => map1(dst, x, sign_f64),
        Builtin::Sigmoid => map1(dst, x, |t| 1.0 / (1.0 + exp(-t))),
        Builtin::Relu => map1(dst, x, |t| t.max(0.0)),
        Builtin::Softplus => map1(dst, x, |t| t.max(0.0) + (-t.abs()).exp().ln_1p()),
        Builtin::Step => map1(dst, x, |t| if t > 0.0 { 1.0 } else { 0.0 }),
        Builtin::Max => map2(dst, x, y, f64::max),
        Builtin::Min => map2(dst, x, y, f64::min),
    }
}

/// `e^x`, branch-free so that a loop of it vectorises: Cody–Waite reduction `x = n·ln 2 + r`
/// with `|r| ≤ ln 2 / 2`, a degree-13 Taylor polynomial for `e^r` (truncation error below
/// 10^-17), and the scaling by `2^n` done as two exact multiplications by powers of two made
/// from bits, so that results that overflow give ∞ and results in the subnormal range
/// underflow gradually. Within 1 ulp of the C library's `exp`.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    const SHIFT: f64 = 6_755_399_441_055_744.0; // 1.5·2^52: x + SHIFT rounds x to an integer
    const LN2_HI: f64 = 6.931_471_803_691_238e-1; // fdlibm's split of ln 2
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    // Beyond these, e^x is ∞ or 0 in f64 (NaN passes through both comparisons).
    let x = x.clamp(-746.0, 710.0);
    let t = x * std::f64::consts::LOG2_E + SHIFT;
    let n = t - SHIFT;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let mut p = 1.0 / 6_227_020_800.0; // 1/13!
    for c in [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p * r + c;
    }
    // 2^n as 2^n1 · 2^n2, each a normal number, n1 = round(n/2).
    let t1 = n * 0.5 + SHIFT;
    let n1 = t1 - SHIFT;
    let t2 = (n - n1) + SHIFT;
    let pow2 = |t: f64| {
        let n = t.to_bits().wrapping_sub(SHIFT.to_bits());
        f64::from_bits(n.wrapping_add(1023) << 52)
    };
    p * pow2(t1) * pow2(t2)
}

#[inline(always)]
pub(crate) fn map1<const B: usize>(dst: &mut [f64; B], x: &[f64; B], f: impl Fn(f64) -> f64) {
    for i in 0..B {
        dst[i] = f(x[i]);
    }
}

#[inline(always)]
pub(crate) fn map2<const B: usize>(
    dst: &mut [f64; B],
    x: &[f64; B],
    y: &[f64; B],
    f: impl Fn(f64, f64) -> f64,
) {
    for i in 0..B {
        dst[i] = f(x[i], y[i]);
    }
}

/// Built-in `f` in MPFR into `s`, rounded once to the precision of `s`: `f(x)`, or `f(x, y)`
/// for `max` and `min`. `guard` is scratch with 32 more bits than `s`, for `sigmoid` and
/// `softplus`. No domain check (`log` of a negative number gives NaN).
pub(crate) fn mpfr_into(f: Builtin, s: &mut Float, x: &Float, y: &Float, guard: &mut Float) {
    let positive = x.cmp0() == Some(std::cmp::Ordering::Greater);
    match f {
        Builtin::Exp => s.assign(x.exp_ref()),
        Builtin::Log => s.assign(x.ln_ref()),
        Builtin::Sin => s.assign(x.sin_ref()),
        Builtin::Cos => s.assign(x.cos_ref()),
        Builtin::Tan => s.assign(x.tan_ref()),
        Builtin::Cot => s.assign(x.cot_ref()),
        Builtin::Tanh => s.assign(x.tanh_ref()),
        Builtin::Sech => s.assign(x.sech_ref()),
        Builtin::Abs => s.assign(x.abs_ref()),
        Builtin::Sign => s.assign(x.cmp0().map_or(0, |o| o as i32)),
        Builtin::Sigmoid => {
            // 1/(1 + e^-x): e^-x and 1 + e^-x with 32 guard bits, the quotient rounded once.
            guard.assign(-x);
            guard.exp_mut();
            *guard += 1u32;
            s.assign(guard.recip_ref());
        }
        Builtin::Relu => {
            if positive {
                s.assign(x)
            } else {
                s.assign(0)
            }
        }
        Builtin::Softplus => {
            // max(x, 0) + log1p(e^-|x|), stable for large |x|: the log1p with guard bits, the
            // sum rounded once.
            guard.assign(x.abs_ref());
            guard.neg_assign();
            guard.exp_mut();
            guard.ln_1p_mut();
            if positive {
                s.assign(&*guard + x);
            } else {
                s.assign(&*guard);
            }
        }
        Builtin::Step => s.assign(i32::from(positive)),
        Builtin::Max => s.assign(if *x >= *y { x } else { y }),
        Builtin::Min => s.assign(if *x <= *y { x } else { y }),
    }
}
