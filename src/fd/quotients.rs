//! The difference quotients at one step, in each arithmetic: one loop, generic over the
//! [`Arithmetic`] (how the point and the step are rounded into it, how a shifted point is
//! formed and evaluated, how a quotient is computed).

use rug::{Float, Rational};

use super::check::{at, check_delta, par_map};
use super::prose::fmt_delta;
use super::{Arith, Objective, Scheme};
use crate::error::{Error, Result};
use crate::eval::{Value, nearest_f64};

/// Which function values the schemes need.
pub(super) struct Needs {
    pub(super) centre: bool,
    pub(super) plus: bool,
    pub(super) minus: bool,
}

impl Needs {
    pub(super) fn of(schemes: &[Scheme]) -> Needs {
        let has = |s| schemes.contains(&s);
        Needs {
            centre: has(Scheme::Forward) || has(Scheme::Backward),
            plus: has(Scheme::Forward) || has(Scheme::Central),
            minus: has(Scheme::Backward) || has(Scheme::Central),
        }
    }
}

/// The numbers of one arithmetic, as the quotients need them.
trait Arithmetic: Sync {
    /// A number.
    type N: Clone + Send + Sync;
    /// Parameters whose shifted points are evaluated in one call of
    /// [`Arithmetic::eval_shifts`] (the f64 tape runs several points at once).
    const CHUNK: usize = 1;
    /// The point, rounded into the arithmetic.
    fn point(&self, obj: &dyn Objective) -> Vec<Self::N>;
    /// The step, rounded into the arithmetic; an error if it rounds to 0 or ∞.
    fn step(&self, delta: &Rational) -> Result<Self::N>;
    /// A placeholder for a value the schemes do not need.
    fn zero(&self) -> Self::N;
    /// `w ± d`.
    fn shift(&self, w: &Self::N, d: &Self::N, plus: bool) -> Self::N;
    /// The objective at `p`.
    fn eval(&self, obj: &dyn Objective, p: &[Self::N]) -> Result<Self::N>;
    /// The objective at `base` with coordinate `i` set to `v`, for each `(i, v)` of `shifts`.
    fn eval_shifts(
        &self,
        obj: &dyn Objective,
        base: &[Self::N],
        shifts: &[(usize, Self::N)],
    ) -> Vec<Result<Self::N>> {
        shifts
            .iter()
            .map(|(i, v)| {
                let mut p = base.to_vec();
                p[*i] = v.clone();
                self.eval(obj, &p)
            })
            .collect()
    }
    /// The quotient of scheme `s` from `f(w)`, `f(w + d)`, `f(w - d)` and the step `d`.
    fn quotient(&self, s: Scheme, f0: &Self::N, fp: &Self::N, fm: &Self::N, d: &Self::N)
    -> Self::N;
    /// If `q` is not finite, how to say so after "the quotient … is".
    fn not_finite(&self, q: &Self::N, delta: &Rational) -> Option<String>;
    /// A number as a [`Value`].
    fn value(&self, q: Self::N) -> Value;
}

/// IEEE double, as NumPy: `w + e_i*δ` is `w_i ± δ` in coordinate `i` (adding 0.0 to the
/// others is a no-op for them).
struct F64s;

impl Arithmetic for F64s {
    type N = f64;
    const CHUNK: usize = 64;
    fn point(&self, obj: &dyn Objective) -> Vec<f64> {
        obj.point().iter().map(nearest_f64).collect()
    }
    fn step(&self, delta: &Rational) -> Result<f64> {
        let d = nearest_f64(delta);
        if d == 0.0 || !d.is_finite() {
            return Err(Error::Usage(format!(
                "the step Δ = {} is {} in f64",
                fmt_delta(delta),
                if d == 0.0 { "0" } else { "infinite" }
            )));
        }
        Ok(d)
    }
    fn zero(&self) -> f64 {
        0.0
    }
    fn shift(&self, w: &f64, d: &f64, plus: bool) -> f64 {
        if plus { w + d } else { w - d }
    }
    fn eval(&self, obj: &dyn Objective, p: &[f64]) -> Result<f64> {
        obj.eval_f64(p)
    }
    fn eval_shifts(
        &self,
        obj: &dyn Objective,
        base: &[f64],
        shifts: &[(usize, f64)],
    ) -> Vec<Result<f64>> {
        obj.eval_f64_shifts(base, shifts)
    }
    fn quotient(&self, s: Scheme, f0: &f64, fp: &f64, fm: &f64, d: &f64) -> f64 {
        match s {
            Scheme::Forward => (fp - f0) / d,
            Scheme::Backward => (f0 - fm) / d,
            Scheme::Central => (fp - fm) / (2.0 * d),
        }
    }
    fn not_finite(&self, q: &f64, delta: &Rational) -> Option<String> {
        (!q.is_finite()).then(|| format!("{q} in f64 (Δ = {})", fmt_delta(delta)))
    }
    fn value(&self, q: f64) -> Value {
        Value::F64(q)
    }
}

/// MPFR at a precision: the step rounded to it, every operation correctly rounded.
struct Mpfrs(u32);

impl Arithmetic for Mpfrs {
    type N = Float;
    fn point(&self, obj: &dyn Objective) -> Vec<Float> {
        obj.point()
            .iter()
            .map(|r| Float::with_val(self.0, r))
            .collect()
    }
    fn step(&self, delta: &Rational) -> Result<Float> {
        Ok(Float::with_val(self.0, delta))
    }
    fn zero(&self) -> Float {
        Float::new(self.0)
    }
    fn shift(&self, w: &Float, d: &Float, plus: bool) -> Float {
        if plus {
            Float::with_val(self.0, w + d)
        } else {
            Float::with_val(self.0, w - d)
        }
    }
    fn eval(&self, obj: &dyn Objective, p: &[Float]) -> Result<Float> {
        obj.eval_mpfr(p, self.0)
    }
    fn quotient(&self, s: Scheme, f0: &Float, fp: &Float, fm: &Float, d: &Float) -> Float {
        let prec = self.0;
        let (num, den) = match s {
            Scheme::Forward => (Float::with_val(prec, fp - f0), d.clone()),
            Scheme::Backward => (Float::with_val(prec, f0 - fm), d.clone()),
            Scheme::Central => (
                Float::with_val(prec, fp - fm),
                Float::with_val(prec, d * 2u32),
            ),
        };
        Float::with_val(prec, &num / &den)
    }
    fn not_finite(&self, q: &Float, _: &Rational) -> Option<String> {
        (!q.is_finite()).then(|| format!("not finite in {}", Arith::Mpfr(self.0)))
    }
    fn value(&self, q: Float) -> Value {
        Value::Mpfr(q)
    }
}

/// Exact rationals: the step is the exact rational (1e-4 = 1/10000), the quotients exact.
struct Exacts;

impl Arithmetic for Exacts {
    type N = Rational;
    fn point(&self, obj: &dyn Objective) -> Vec<Rational> {
        obj.point().to_vec()
    }
    fn step(&self, delta: &Rational) -> Result<Rational> {
        Ok(delta.clone())
    }
    fn zero(&self) -> Rational {
        Rational::new()
    }
    fn shift(&self, w: &Rational, d: &Rational, plus: bool) -> Rational {
        if plus {
            Rational::from(w + d)
        } else {
            Rational::from(w - d)
        }
    }
    fn eval(&self, obj: &dyn Objective, p: &[Rational]) -> Result<Rational> {
        obj.eval_exact(p)
    }
    fn quotient(
        &self,
        s: Scheme,
        f0: &Rational,
        fp: &Rational,
        fm: &Rational,
        d: &Rational,
    ) -> Rational {
        match s {
            Scheme::Forward => Rational::from(fp - f0) / d,
            Scheme::Backward => Rational::from(f0 - fm) / d,
            Scheme::Central => Rational::from(fp - fm) / Rational::from(d * 2u32),
        }
    }
    fn not_finite(&self, _: &Rational, _: &Rational) -> Option<String> {
        None
    }
    fn value(&self, q: Rational) -> Value {
        Value::Exact(q)
    }
}

/// The step used and, per parameter, one quotient per scheme.
pub(super) fn quotients(
    obj: &dyn Objective,
    delta: &Rational,
    schemes: &[Scheme],
    arith: Arith,
) -> Result<(Value, Vec<Vec<Value>>)> {
    check_delta(delta)?;
    match arith {
        Arith::F64 => quotients_in(&F64s, obj, delta, schemes, arith),
        Arith::Mpfr(prec) => quotients_in(&Mpfrs(prec), obj, delta, schemes, arith),
        Arith::Exact => quotients_in(&Exacts, obj, delta, schemes, arith),
    }
}

fn quotients_in<A: Arithmetic>(
    a: &A,
    obj: &dyn Objective,
    delta: &Rational,
    schemes: &[Scheme],
    arith: Arith,
) -> Result<(Value, Vec<Vec<Value>>)> {
    let needs = Needs::of(schemes);
    let names = obj.params();
    let place = |i: usize, sign: &str| {
        let d = fmt_delta(delta);
        if sign.is_empty() {
            (format!("the point, in {arith}"), None)
        } else {
            let w = &names[i];
            let hint = (sign == "−").then(|| {
                format!(
                    "{w} − Δ is the point the backward and central differences shift to, not the \
                     program's point; a forward difference needs only {w} + Δ"
                )
            });
            (format!("{w} {sign} Δ, Δ = {d}, in {arith}"), hint)
        }
    };
    let w = a.point(obj);
    let d = a.step(delta)?;
    let f0 = if needs.centre {
        a.eval(obj, &w).map_err(|e| at(e, || place(0, "")))?
    } else {
        a.zero()
    };
    // Parameters in chunks, each chunk's shifted points computed together.
    let chunks = par_map(w.len().div_ceil(A::CHUNK), |c| {
        let params = c * A::CHUNK..((c + 1) * A::CHUNK).min(w.len());
        let mut shifts = Vec::new();
        for i in params.clone() {
            if needs.plus {
                shifts.push((i, a.shift(&w[i], &d, true)));
            }
            if needs.minus {
                shifts.push((i, a.shift(&w[i], &d, false)));
            }
        }
        let mut values = a.eval_shifts(obj, &w, &shifts).into_iter();
        let mut next = |i: usize, sign: &str| {
            let v = values.next().expect("one value per shift");
            v.map_err(|e| at(e, || place(i, sign)))
        };
        params
            .map(|i| {
                let fp = if needs.plus { next(i, "+")? } else { a.zero() };
                let fm = if needs.minus {
                    next(i, "−")?
                } else {
                    a.zero()
                };
                Ok((fp, fm))
            })
            .collect::<Result<Vec<(A::N, A::N)>>>()
    })?;
    let mut rows = Vec::with_capacity(w.len());
    for (name, (fp, fm)) in names.iter().zip(chunks.into_iter().flatten()) {
        let mut row = Vec::with_capacity(schemes.len());
        for &s in schemes {
            let q = a.quotient(s, &f0, &fp, &fm, &d);
            if let Some(what) = a.not_finite(&q, delta) {
                return Err(Error::domain(format!(
                    "the {s} difference quotient for {name} is {what}"
                )));
            }
            row.push(a.value(q));
        }
        rows.push(row);
    }
    Ok((a.value(d), rows))
}
