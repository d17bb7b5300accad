//! The numerics of a gradient check at one step: the difference quotients in each arithmetic,
//! their errors against the symbolic gradient, and the estimate of the work beforehand.

use rug::{Float, Rational};

use super::quotients::{Needs, quotients};
use super::{Arith, ERROR_PREC, ErrorNorm, Objective, Scheme};
use crate::error::{Error, Result};
use crate::eval::Value;

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

/// The result of [`check_gradient`]: quotients and errors of every scheme for every parameter.
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
pub fn check_gradient(
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
    let gradient = checked_gradient(obj)?;
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

/// The objective's symbolic gradient, one entry per parameter.
pub(super) fn checked_gradient(obj: &dyn Objective) -> Result<Vec<Value>> {
    let gradient = obj.gradient()?;
    if gradient.len() != obj.params().len() {
        return Err(Error::Usage(format!(
            "the gradient has {} entries for {} parameters",
            gradient.len(),
            obj.params().len()
        )));
    }
    Ok(gradient)
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
pub(super) fn at(e: Error, place: impl FnOnce() -> (String, Option<String>)) -> Error {
    let with_hint = |help: Option<String>, hint: Option<String>| match (hint, help) {
        (Some(h), Some(old)) => Some(format!("{h}\n{old}")),
        (h, old) => h.or(old),
    };
    match e {
        Error::Domain { message, help } => {
            let (place, hint) = place();
            Error::Domain {
                message: format!("{message} (at {place})"),
                help: with_hint(help, hint),
            }
        }
        Error::DomainAt(mut err) => {
            // `sqrt(w)^2` at w = 0: the backward difference's w - Δ is what is undefined.
            let (place, hint) = place();
            err.message = format!("{} (at {place})", err.message);
            err.help = with_hint(err.help.take(), hint);
            Error::DomainAt(err)
        }
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
pub(super) fn par_map<T: Send>(n: usize, f: impl Fn(usize) -> Result<T> + Sync) -> Result<Vec<T>> {
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

pub(super) fn check_delta(delta: &Rational) -> Result<()> {
    if *delta <= 0 {
        return Err(Error::Usage(format!(
            "the step Δ must be positive, not {delta}"
        )));
    }
    Ok(())
}
