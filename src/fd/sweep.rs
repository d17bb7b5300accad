//! The numerics of a step-size sweep: the error of each scheme's quotients at each step,
//! as a norm over the parameters, and what the curve says (the best step, the slope of the
//! truncation branch).

use rug::{Float, Rational};

use super::check::{check_delta, checked_gradient, subtract, validate_objective, value_prec};
use super::quotients::quotients;
use super::{Arith, ERROR_PREC, MAX_STEPS, Objective, Scheme};
use crate::error::{Error, Result};
use crate::eval::{Value, nearest_f64};

/// What a sweep measures and a plot shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// The squared error ‖∇̂ − ∇‖², the homework's measure.
    Squared,
    /// The plain 2-norm ‖∇̂ − ∇‖.
    Norm,
}

impl Measure {
    /// The axis label: `squared error ‖∇̂ − ∇‖²` or `error ‖∇̂ − ∇‖`.
    pub fn label(self) -> &'static str {
        match self {
            Measure::Squared => "squared error ‖∇̂ − ∇‖²",
            Measure::Norm => "error ‖∇̂ − ∇‖",
        }
    }

    /// A short name for columns: `squared` or `norm`.
    pub fn name(self) -> &'static str {
        match self {
            Measure::Squared => "squared",
            Measure::Norm => "norm",
        }
    }
}

/// The size of an error vector ∇̂ − ∇.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErrorNorm {
    /// ‖∇̂ − ∇‖², rounded to f64 (exactly 0.0 when the error is exactly zero).
    pub squared: f64,
    /// ‖∇̂ − ∇‖, rounded to f64.
    pub norm: f64,
    /// log₁₀ ‖∇̂ − ∇‖², computed in high precision so that it stays right where the f64 value
    /// underflows (very high MPFR precisions); −∞ when the error is exactly zero.
    pub log10_squared: f64,
    /// The error is exactly zero: every quotient equals the gradient.
    pub exact_zero: bool,
}

impl ErrorNorm {
    /// Sums the squares of the errors exactly (exact errors) or at ≥ [`ERROR_PREC`] bits.
    pub fn of(errors: &[&Value]) -> ErrorNorm {
        let sq: Value = if let Some(exact) = errors
            .iter()
            .map(|e| e.as_exact())
            .collect::<Option<Vec<&Rational>>>()
        {
            let mut s = Rational::new();
            for e in exact {
                s += Rational::from(e * e);
            }
            Value::Exact(s)
        } else {
            let p = errors
                .iter()
                .map(|e| value_prec(e))
                .max()
                .unwrap_or(0)
                .max(ERROR_PREC);
            let mut s = Float::new(p);
            for e in errors {
                let f = e.to_float(p);
                s += Float::with_val(p, f.square_ref());
            }
            Value::Mpfr(s)
        };
        let big = sq.to_float(ERROR_PREC);
        if big.is_zero() {
            return ErrorNorm {
                squared: 0.0,
                norm: 0.0,
                log10_squared: f64::NEG_INFINITY,
                exact_zero: true,
            };
        }
        ErrorNorm {
            squared: big.to_f64(),
            norm: Float::with_val(ERROR_PREC, big.sqrt_ref()).to_f64(),
            log10_squared: Float::with_val(64, big.log10_ref()).to_f64(),
            exact_zero: false,
        }
    }

    /// The measure's value as f64.
    pub fn value(&self, m: Measure) -> f64 {
        match m {
            Measure::Squared => self.squared,
            Measure::Norm => self.norm,
        }
    }

    /// The measure in scientific notation with `sig` significant digits (`3.513e-8`), `0` for
    /// an exact zero. Beyond the range of doubles (an error of 1e300 squared) it is written
    /// from the high-precision logarithm, never as `inf` or `0`.
    pub fn sci(&self, m: Measure, sig: usize) -> String {
        let p = sig.max(1) - 1;
        if self.exact_zero {
            return "0".to_string();
        }
        let v = self.value(m);
        if v.is_normal() {
            return format!("{v:.p$e}");
        }
        let l = self.log10(m);
        let mut e = l.floor();
        let mut mant = format!("{:.p$}", 10f64.powf(l - e));
        if mant.starts_with("10") {
            // 9.9996 rounded up to 10.000: one decade more.
            e += 1.0;
            mant = format!("{:.p$}", 10f64.powf(l - e));
        }
        format!("{mant}e{}", e as i64)
    }

    /// log₁₀ of the measure (−∞ for an exact zero).
    pub fn log10(&self, m: Measure) -> f64 {
        match m {
            Measure::Squared => self.log10_squared,
            Measure::Norm => self.log10_squared / 2.0,
        }
    }
}

// ---- Step-size sweeps

/// The textbook estimate of the best step.
///
/// Balancing truncation error (≈ |f''|Δ/2 one-sided, ≈ |f'''|Δ²/6 central) against rounding
/// error (≈ ε|f|/Δ) gives Δ* ∝ ε^{1/2} for one-sided schemes and Δ* ∝ ε^{1/3} for central
/// ones; with the rule of thumb that f varies on the scale of its arguments (Numerical Recipes
/// §5.7: Δ* ≈ ε_f^{1/2}·x_c, resp. ε_f^{1/3}·x_c, with the curvature scale x_c ≈ |x|, never
/// below 1) this is
///
/// * one-sided: Δ* ≈ √ε · max(1, maxᵢ |wᵢ|)
/// * central: Δ* ≈ ∛ε · max(1, maxᵢ |wᵢ|)
///
/// with ε the unit roundoff (2⁻⁵³ for f64, 2^−prec for MPFR). It is a scale, good to a decade
/// or so; the sweep shows the true minimum.
#[derive(Debug, Clone, PartialEq)]
pub struct StepEstimate {
    /// `√ε` for one-sided schemes, `∛ε` for central.
    pub rule: &'static str,
    /// log₂ ε (−53 for f64).
    pub eps_log2: i64,
    /// max(1, maxᵢ |wᵢ|).
    pub scale: f64,
    /// log₁₀ of the estimated step (a logarithm, so that it survives very high precisions).
    pub log10_step: f64,
}

impl StepEstimate {
    /// The estimate for `scheme` in `arith` at a point of scale `scale`; `None` in exact
    /// arithmetic, which has no rounding error and so no best step.
    pub fn new(scheme: Scheme, arith: Arith, scale: f64) -> Option<StepEstimate> {
        let eps_log2 = arith.unit_roundoff_log2()?;
        let root = f64::from(scheme.order() + 1);
        Some(StepEstimate {
            rule: if scheme.order() == 1 {
                "√ε"
            } else {
                "∛ε"
            },
            eps_log2,
            scale,
            log10_step: eps_log2 as f64 * std::f64::consts::LOG10_2 / root + scale.log10(),
        })
    }

    /// The estimated step as f64 (0 if it underflows).
    pub fn step(&self) -> f64 {
        10f64.powf(self.log10_step)
    }
}

/// One curve of a sweep: one scheme in one arithmetic.
#[derive(Debug, Clone)]
pub struct Series {
    /// The scheme.
    pub scheme: Scheme,
    /// The arithmetic.
    pub arith: Arith,
    /// The error at each step, aligned with [`SweepReport::deltas`].
    pub points: Vec<ErrorNorm>,
    /// The observed order: the least-squares slope of log‖∇̂ − ∇‖ against log Δ over the
    /// truncation branch (the steps larger than the best one, exact zeros left out). The
    /// squared error's slope is twice this. `None` with fewer than two usable points.
    pub slope: Option<f64>,
    /// Index (into [`SweepReport::deltas`]) of the step with the smallest error (the smallest
    /// such step if several tie, e.g. at exact zeros).
    pub best: Option<usize>,
    /// The textbook estimate of the best step; `None` in exact arithmetic.
    pub estimate: Option<StepEstimate>,
}

impl Series {
    /// A legend label: `forward, f64`.
    pub fn label(&self) -> String {
        format!("{}, {}", self.scheme, self.arith)
    }
}

/// The result of [`sweep`].
#[derive(Debug, Clone)]
pub struct SweepReport {
    /// Parameter names.
    pub params: Vec<String>,
    /// The point, exact.
    pub point: Vec<Rational>,
    /// The symbolic gradient at the point: the reference.
    pub gradient: Vec<Value>,
    /// The steps, ascending, without duplicates.
    pub deltas: Vec<Rational>,
    /// One series per (arithmetic, scheme), arithmetic-major in the requested orders.
    pub series: Vec<Series>,
}

impl SweepReport {
    /// log₁₀ of each step.
    pub fn log10_deltas(&self) -> Vec<f64> {
        self.deltas.iter().map(log10_rational).collect()
    }
}

pub(super) fn log10_rational(r: &Rational) -> f64 {
    Float::with_val(64, Float::with_val(128, r).log10_ref()).to_f64()
}

/// Sweeps the step over `deltas` for every scheme in every arithmetic, measuring ‖∇̂ − ∇‖² and
/// ‖∇̂ − ∇‖ against the symbolic gradient.
///
/// The steps are sorted ascending and duplicates dropped. Errors as for
/// [`check_gradient`](super::check_gradient), plus [`Error::Usage`] for an empty list of steps
/// or arithmetics, or more than [`MAX_STEPS`] steps.
pub fn sweep(
    obj: &dyn Objective,
    deltas: &[Rational],
    schemes: &[Scheme],
    ariths: &[Arith],
) -> Result<SweepReport> {
    validate_objective(obj)?;
    if deltas.is_empty() {
        return Err(Error::Usage("no steps to sweep".to_string()));
    }
    if deltas.len() > MAX_STEPS {
        return Err(Error::Usage(format!(
            "{} steps requested; a sweep takes at most {MAX_STEPS}",
            deltas.len()
        )));
    }
    if schemes.is_empty() {
        return Err(Error::Usage(
            "no finite-difference scheme requested".to_string(),
        ));
    }
    if ariths.is_empty() {
        return Err(Error::Usage("no arithmetic requested".to_string()));
    }
    for d in deltas {
        check_delta(d)?;
    }
    for a in ariths {
        a.validate()?;
    }
    let mut ds = deltas.to_vec();
    ds.sort();
    ds.dedup();

    let gradient = checked_gradient(obj)?;
    let scale = obj
        .point()
        .iter()
        .map(|w| nearest_f64(w).abs())
        .fold(1.0, f64::max);
    let log_d: Vec<f64> = ds.iter().map(log10_rational).collect();

    let mut series = Vec::new();
    for &arith in ariths {
        // points[scheme][delta]
        let mut points: Vec<Vec<ErrorNorm>> = vec![Vec::with_capacity(ds.len()); schemes.len()];
        for d in &ds {
            let (_, rows) = quotients(obj, d, schemes, arith)?;
            for (k, pts) in points.iter_mut().enumerate() {
                let errors: Vec<Value> = rows
                    .iter()
                    .zip(&gradient)
                    .map(|(row, g)| subtract(&row[k], g))
                    .collect();
                pts.push(ErrorNorm::of(&errors.iter().collect::<Vec<_>>()));
            }
        }
        for (&scheme, pts) in schemes.iter().zip(points) {
            let best = best_index(&pts);
            let slope = best.and_then(|b| truncation_slope(&log_d, &pts, b));
            series.push(Series {
                scheme,
                arith,
                points: pts,
                slope,
                best,
                estimate: StepEstimate::new(scheme, arith, scale),
            });
        }
    }
    Ok(SweepReport {
        params: obj.params().to_vec(),
        point: obj.point().to_vec(),
        gradient,
        deltas: ds,
        series,
    })
}

/// The index of the smallest error (the first, i.e. smallest step, among ties).
fn best_index(points: &[ErrorNorm]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, p) in points.iter().enumerate() {
        match best {
            Some(b) if points[b].log10_squared <= p.log10_squared => {}
            _ => best = Some(i),
        }
    }
    best
}

/// The least-squares slope of log‖err‖ against log Δ over the steps larger than the best one
/// (including the best one too if that leaves fewer than two), exact zeros left out.
fn truncation_slope(log_d: &[f64], points: &[ErrorNorm], best: usize) -> Option<f64> {
    let usable = |from: usize| -> Vec<(f64, f64)> {
        (from..points.len())
            .filter(|&i| !points[i].exact_zero)
            .map(|i| (log_d[i], points[i].log10(Measure::Norm)))
            .collect()
    };
    let mut xy = usable(best + 1);
    if xy.len() < 2 {
        xy = usable(best);
    }
    least_squares_slope(&xy)
}

fn least_squares_slope(xy: &[(f64, f64)]) -> Option<f64> {
    if xy.len() < 2 {
        return None;
    }
    let n = xy.len() as f64;
    let mx = xy.iter().map(|p| p.0).sum::<f64>() / n;
    let my = xy.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = xy.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f64 = xy.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx == 0.0 {
        return None;
    }
    Some(sxy / sxx)
}
