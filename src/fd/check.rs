//! The numerics of a gradient check at one step: the difference quotients in each arithmetic,
//! their errors against the symbolic gradient, and the estimate of the work beforehand.

use rug::{Float, Rational};

use super::explain::fmt_delta;
use super::{Arith, ERROR_PREC, ErrorNorm, Objective, Scheme};
use crate::error::{Error, Result};
use crate::eval::{Value, nearest_f64};

/// One scheme's result for one parameter.
#[derive(Debug, Clone)]
pub struct FdEntry {
    /// The scheme.
    pub scheme: Scheme,
    /// The difference quotient, in the experiment's arithmetic.
    pub quotient: Value,
    /// quotient − gradient: exact when both are exact, else MPFR at ≥ [`ERROR_PREC`] bits
    /// (the true error of the quotient, not a rounded-again one).
    pub error: Value,
}

/// The finite differences for one parameter.
#[derive(Debug, Clone)]
pub struct FdParam {
    /// The parameter's name.
    pub name: String,
    /// Its value at the point, exact.
    pub point: Rational,
    /// The symbolic derivative ∂f/∂(this parameter): the reference.
    pub gradient: Value,
    /// One entry per requested scheme, in the requested order.
    pub entries: Vec<FdEntry>,
}

/// The result of [`check`]: quotients and errors of every scheme for every parameter.
#[derive(Debug, Clone)]
pub struct FdReport {
    /// The step as requested, exact.
    pub delta: Rational,
    /// The step actually used: Δ rounded to f64 or to the MPFR precision, or exact.
    pub step_used: Value,
    /// The arithmetic of the quotients.
    pub arith: Arith,
    /// The schemes, in the requested order.
    pub schemes: Vec<Scheme>,
    /// One row per parameter, in the objective's order.
    pub params: Vec<FdParam>,
}

impl FdReport {
    /// The size of one scheme's error vector ∇̂ − ∇ (`None` if the scheme was not requested).
    pub fn norm(&self, scheme: Scheme) -> Option<ErrorNorm> {
        let k = self.schemes.iter().position(|&s| s == scheme)?;
        let errors: Vec<&Value> = self.params.iter().map(|p| &p.entries[k].error).collect();
        Some(ErrorNorm::of(&errors))
    }
}

/// Compares finite-difference quotients at step `delta` with the symbolic gradient.
///
/// Errors: [`Error::Usage`] for a step that is not positive (or that rounds to 0 or ∞ in the
/// arithmetic), an empty scheme list, an invalid MPFR precision or an inconsistent objective;
/// [`Error::Domain`] from evaluation (also when an f64 quotient overflows to ∞ or NaN).
pub fn check(
    obj: &dyn Objective,
    delta: &Rational,
    schemes: &[Scheme],
    arith: Arith,
) -> Result<FdReport> {
    validate_objective(obj)?;
    arith.validate()?;
    if schemes.is_empty() {
        return Err(Error::Usage(
            "no finite-difference scheme requested".to_string(),
        ));
    }
    let gradient = obj.gradient()?;
    if gradient.len() != obj.params().len() {
        return Err(Error::Usage(format!(
            "the gradient has {} entries for {} parameters",
            gradient.len(),
            obj.params().len()
        )));
    }
    let (step_used, quotients) = quotients(obj, delta, schemes, arith)?;
    let params = obj
        .params()
        .iter()
        .zip(obj.point())
        .zip(gradient)
        .zip(quotients)
        .map(|(((name, point), gradient), qs)| {
            let entries = schemes
                .iter()
                .zip(qs)
                .map(|(&scheme, quotient)| FdEntry {
                    scheme,
                    error: subtract(&quotient, &gradient),
                    quotient,
                })
                .collect();
            FdParam {
                name: name.clone(),
                point: point.clone(),
                gradient,
                entries,
            }
        })
        .collect();
    Ok(FdReport {
        delta: delta.clone(),
        step_used,
        arith,
        schemes: schemes.to_vec(),
        params,
    })
}

pub(super) fn validate_objective(obj: &dyn Objective) -> Result<()> {
    let n = obj.params().len();
    if n == 0 {
        return Err(Error::Usage(
            "nothing to differentiate: the objective has no parameters".to_string(),
        ));
    }
    if obj.point().len() != n {
        return Err(Error::Usage(format!(
            "the point has {} values for {n} parameters",
            obj.point().len()
        )));
    }
    Ok(())
}

/// quotient − gradient, as exactly as the two allow (see [`FdEntry::error`]).
pub(super) fn subtract(q: &Value, g: &Value) -> Value {
    match (q, g) {
        (Value::Exact(a), Value::Exact(b)) => Value::Exact(Rational::from(a - b)),
        _ => {
            // At a precision no lower than either operand's, converting them is exact, so the
            // only rounding is the subtraction's (and an exact rational enters via mpfr_sub_q).
            let p = ERROR_PREC.max(value_prec(q)).max(value_prec(g));
            let e = match (q, g) {
                (Value::Exact(a), _) => -Float::with_val(p, &g.to_float(p) - a),
                (_, Value::Exact(b)) => Float::with_val(p, &q.to_float(p) - b),
                _ => Float::with_val(p, &q.to_float(p) - &g.to_float(p)),
            };
            Value::Mpfr(e)
        }
    }
}

pub(super) fn value_prec(v: &Value) -> u32 {
    match v {
        Value::Exact(_) => 0,
        Value::Mpfr(f) => f.prec(),
        Value::F64(_) => 53,
    }
}

/// Adds a note on where an evaluation failed to a domain error.
fn at(e: Error, place: impl FnOnce() -> String) -> Error {
    match e {
        Error::Domain { message, help } => Error::Domain {
            message: format!("{message} (at {})", place()),
            help,
        },
        other => other,
    }
}

/// The longest finite-difference run accepted, in estimated seconds of an optimised build.
pub const MAX_SECONDS: f64 = 10.0;

/// The estimated time, in seconds, of the finite differences of a program of `size` nodes
/// and `params` parameters at `steps` steps: per step, the point and each parameter's
/// shifted points are evaluated once each (every scheme shares them), each evaluation costs
/// about `size` tape instructions, and an instruction costs about 3 ns in f64, 100 ns in MPFR
/// at 64 bits growing as (bits/64)^1.6 (multiplication's cost), and 5 µs in exact
/// arithmetic, which runs on the evaluator with growing rationals. Measured in a release
/// build on the n-layer chains: 1.5 ns (sigmoid, f64), 0.75 µs (sigmoid, 256 bits), 4.8 µs
/// (relu, exact); a scale, not a promise.
pub fn estimate_seconds(
    size: usize,
    params: usize,
    steps: usize,
    schemes: &[Scheme],
    ariths: &[Arith],
) -> f64 {
    let needs = Needs::of(schemes);
    let per_step = f64::from(u8::from(needs.centre))
        + params as f64 * f64::from(u8::from(needs.plus) + u8::from(needs.minus));
    let ns: f64 = ariths
        .iter()
        .map(|a| match a {
            Arith::F64 => 3.0,
            Arith::Mpfr(bits) => 100.0 * (f64::from(*bits) / 64.0).max(1.0).powf(1.6),
            Arith::Exact => 5000.0,
        })
        .sum();
    steps as f64 * per_step * size as f64 * ns * 1e-9
}

/// Refuses finite differences estimated ([`estimate_seconds`]) to run longer than
/// [`MAX_SECONDS`], saying what to reduce.
pub fn check_work(
    size: usize,
    params: usize,
    steps: usize,
    schemes: &[Scheme],
    ariths: &[Arith],
) -> Result<()> {
    let secs = estimate_seconds(size, params, steps, schemes, ariths);
    if secs > MAX_SECONDS {
        let names: Vec<String> = ariths.iter().map(ToString::to_string).collect();
        return Err(Error::Limit(format!(
            "these finite differences would take about {secs:.0} s (the limit is {MAX_SECONDS:.0} s): \
             {steps} step{} × {params} parameters of a {size}-node program in {}; use fewer steps, \
             fewer parameters or a lower precision",
            if steps == 1 { "" } else { "s" },
            names.join(", ")
        )));
    }
    Ok(())
}

/// Below this many parameters the shifted points are evaluated on one thread.
const PARALLEL_FROM: usize = 16;

/// `f(0), …, f(n − 1)`, on all cores for large `n` (each evaluation of a shifted point is
/// independent, and pure, so the results do not depend on the threads); the first error in
/// index order, if any.
fn par_map<T: Send>(n: usize, f: impl Fn(usize) -> Result<T> + Sync) -> Result<Vec<T>> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    if n < PARALLEL_FROM || threads <= 1 {
        return (0..n).map(&f).collect();
    }
    let per = n.div_ceil(threads);
    let f = &f;
    let chunks: Vec<Result<Vec<T>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .step_by(per)
            .map(|start| scope.spawn(move || (start..(start + per).min(n)).map(f).collect()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("an evaluation thread panicked"))
            .collect()
    });
    let mut out = Vec::with_capacity(n);
    for c in chunks {
        out.extend(c?);
    }
    Ok(out)
}

/// Which function values the schemes need.
struct Needs {
    centre: bool,
    plus: bool,
    minus: bool,
}

impl Needs {
    fn of(schemes: &[Scheme]) -> Needs {
        let has = |s| schemes.contains(&s);
        Needs {
            centre: has(Scheme::Forward) || has(Scheme::Backward),
            plus: has(Scheme::Forward) || has(Scheme::Central),
            minus: has(Scheme::Backward) || has(Scheme::Central),
        }
    }
}

pub(super) fn check_delta(delta: &Rational) -> Result<()> {
    if *delta <= 0 {
        return Err(Error::Usage(format!(
            "the step Δ must be positive, not {delta}"
        )));
    }
    Ok(())
}

/// The step used and, per parameter, one quotient per scheme.
pub(super) fn quotients(
    obj: &dyn Objective,
    delta: &Rational,
    schemes: &[Scheme],
    arith: Arith,
) -> Result<(Value, Vec<Vec<Value>>)> {
    check_delta(delta)?;
    let needs = Needs::of(schemes);
    let names = obj.params();
    let place = |i: usize, sign: &str| {
        let d = fmt_delta(delta);
        if sign.is_empty() {
            format!("the point, in {arith}")
        } else {
            format!("{} {sign} Δ, Δ = {d}, in {arith}", names[i])
        }
    };
    match arith {
        Arith::F64 => {
            let w: Vec<f64> = obj.point().iter().map(nearest_f64).collect();
            let d = nearest_f64(delta);
            if d == 0.0 || !d.is_finite() {
                return Err(Error::Usage(format!(
                    "the step Δ = {} is {} in f64",
                    fmt_delta(delta),
                    if d == 0.0 { "0" } else { "infinite" }
                )));
            }
            // As NumPy: w + e_i*δ is w_i ± δ in coordinate i (adding 0.0 to the others is a
            // no-op for them).
            let f0 = if needs.centre {
                obj.eval_f64(&w).map_err(|e| at(e, || place(0, "")))?
            } else {
                0.0
            };
            // Parameters in chunks, each chunk's shifted points computed together.
            const CHUNK: usize = 64;
            let chunks = par_map(w.len().div_ceil(CHUNK), |c| {
                let params = c * CHUNK..((c + 1) * CHUNK).min(w.len());
                let mut shifts = Vec::new();
                for i in params.clone() {
                    if needs.plus {
                        shifts.push((i, w[i] + d));
                    }
                    if needs.minus {
                        shifts.push((i, w[i] - d));
                    }
                }
                let mut values = obj.eval_f64_shifts(&w, &shifts).into_iter();
                let mut next = |i: usize, sign: &str| {
                    let v = values.next().expect("one value per shift");
                    v.map_err(|e| at(e, || place(i, sign)))
                };
                params
                    .map(|i| {
                        let fp = if needs.plus { next(i, "+")? } else { 0.0 };
                        let fm = if needs.minus { next(i, "−")? } else { 0.0 };
                        Ok((fp, fm))
                    })
                    .collect::<Result<Vec<(f64, f64)>>>()
            })?;
            let shifted_values = chunks.into_iter().flatten();
            let mut rows = Vec::with_capacity(w.len());
            for (name, (fp, fm)) in names.iter().zip(shifted_values) {
                let mut row = Vec::with_capacity(schemes.len());
                for &s in schemes {
                    let q = match s {
                        Scheme::Forward => (fp - f0) / d,
                        Scheme::Backward => (f0 - fm) / d,
                        Scheme::Central => (fp - fm) / (2.0 * d),
                    };
                    if !q.is_finite() {
                        return Err(Error::domain(format!(
                            "the {s} difference quotient for {} is {q} in f64 (Δ = {})",
                            name,
                            fmt_delta(delta)
                        )));
                    }
                    row.push(Value::F64(q));
                }
                rows.push(row);
            }
            Ok((Value::F64(d), rows))
        }
        Arith::Mpfr(prec) => {
            let w: Vec<Float> = obj
                .point()
                .iter()
                .map(|r| Float::with_val(prec, r))
                .collect();
            let d = Float::with_val(prec, delta);
            let two_d = Float::with_val(prec, &d * 2u32);
            let shifted = |i: usize, plus: bool| -> Vec<Float> {
                let mut p = w.clone();
                p[i] = if plus {
                    Float::with_val(prec, &w[i] + &d)
                } else {
                    Float::with_val(prec, &w[i] - &d)
                };
                p
            };
            let eval = |p: &[Float], i: usize, sign: &str| {
                obj.eval_mpfr(p, prec).map_err(|e| at(e, || place(i, sign)))
            };
            let zero = Float::new(prec);
            let f0 = if needs.centre {
                eval(&w, 0, "")?
            } else {
                zero.clone()
            };
            let shifted_values = par_map(w.len(), |i| {
                let fp = if needs.plus {
                    eval(&shifted(i, true), i, "+")?
                } else {
                    zero.clone()
                };
                let fm = if needs.minus {
                    eval(&shifted(i, false), i, "−")?
                } else {
                    zero.clone()
                };
                Ok((fp, fm))
            })?;
            let mut rows = Vec::with_capacity(w.len());
            for (name, (fp, fm)) in names.iter().zip(shifted_values) {
                let mut row = Vec::with_capacity(schemes.len());
                for &s in schemes {
                    let (num, den) = match s {
                        Scheme::Forward => (Float::with_val(prec, &fp - &f0), &d),
                        Scheme::Backward => (Float::with_val(prec, &f0 - &fm), &d),
                        Scheme::Central => (Float::with_val(prec, &fp - &fm), &two_d),
                    };
                    let q = Float::with_val(prec, &num / den);
                    if !q.is_finite() {
                        return Err(Error::domain(format!(
                            "the {s} difference quotient for {} is not finite in {arith}",
                            name
                        )));
                    }
                    row.push(Value::Mpfr(q));
                }
                rows.push(row);
            }
            Ok((Value::Mpfr(d), rows))
        }
        Arith::Exact => {
            let w = obj.point();
            let shifted = |i: usize, plus: bool| -> Vec<Rational> {
                let mut p = w.to_vec();
                if plus {
                    p[i] += delta;
                } else {
                    p[i] -= delta;
                }
                p
            };
            let eval = |p: &[Rational], i: usize, sign: &str| {
                obj.eval_exact(p).map_err(|e| at(e, || place(i, sign)))
            };
            let f0 = if needs.centre {
                eval(w, 0, "")?
            } else {
                Rational::new()
            };
            let two_d = Rational::from(delta * 2u32);
            let shifted_values = par_map(w.len(), |i| {
                let fp = if needs.plus {
                    eval(&shifted(i, true), i, "+")?
                } else {
                    Rational::new()
                };
                let fm = if needs.minus {
                    eval(&shifted(i, false), i, "−")?
                } else {
                    Rational::new()
                };
                Ok((fp, fm))
            })?;
            let mut rows = Vec::with_capacity(w.len());
            for (fp, fm) in shifted_values {
                let row = schemes
                    .iter()
                    .map(|s| {
                        let q = match s {
                            Scheme::Forward => Rational::from(&fp - &f0) / delta,
                            Scheme::Backward => Rational::from(&f0 - &fm) / delta,
                            Scheme::Central => Rational::from(&fp - &fm) / &two_d,
                        };
                        Value::Exact(q)
                    })
                    .collect();
                rows.push(row);
            }
            Ok((Value::Exact(delta.clone()), rows))
        }
    }
}
