//! Finite differences: gradient checks, step-size sweeps, and what they teach.
//!
//! A finite-difference quotient approximates ∂f/∂w_i by evaluating `f` at points shifted along
//! one coordinate. Two errors compete: the *truncation* error of the formula (O(Δ) for the
//! one-sided schemes, O(Δ²) for the central one), which falls as Δ shrinks, and the *rounding*
//! error of the arithmetic (about ε·|f|/Δ), which grows as Δ shrinks. On log-log axes the total
//! error is a V; in exact arithmetic there is no rounding error and no V.
//!
//! The shifted points are formed the way NumPy forms them, so that f64 results reproduce a
//! NumPy notebook bit for bit (given the same `exp`): `w` is the point rounded to the nearest
//! double, `δ` the step rounded to the nearest double, the shifted point is `w + e_i*δ`
//! computed in doubles, and the quotients are
//!
//! * forward: `(f(w+δe_i) - f(w)) / δ`
//! * backward: `(f(w) - f(w-δe_i)) / δ`
//! * central: `(f(w+δe_i) - f(w-δe_i)) / (2δ)`
//!
//! In MPFR the same happens at the chosen precision (`δ` rounded to it, every operation
//! correctly rounded); in exact arithmetic `δ` is the exact rational (1e-4 = 1/10000) and the
//! quotients are exact.
//!
//! Errors against the symbolic gradient are computed so that they are the true errors of the
//! quotients: exactly when both are exact, else in MPFR at [`ERROR_PREC`] bits or more (an f64
//! quotient is converted exactly before subtracting).

use std::fmt;
use std::str::FromStr;

use rug::ops::Pow;
use rug::{Float, Integer, Rational};

use crate::error::{Error, Result};
use crate::eval::{Value, nearest_f64};

/// The largest MPFR precision (bits) a finite-difference experiment accepts.
pub const MAX_MPFR_PREC: u32 = 65_536;

/// The most steps a sweep accepts.
pub const MAX_STEPS: usize = 10_000;

/// The least precision (bits) in which errors of inexact quotients are computed.
pub const ERROR_PREC: u32 = 256;

/// The largest decimal exponent accepted in a step (`1e-10000` is the smallest step).
const MAX_EXPONENT: i64 = 10_000;

// ---------------------------------------------------------------------------------------------
// Arithmetic and schemes
// ---------------------------------------------------------------------------------------------

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
    fn validate(self) -> Result<()> {
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
    let mut out = Vec::new();
    for part in spec.split(',') {
        if part.trim().is_empty() {
            return Err(Error::Usage(format!(
                "empty entry in the arithmetic list `{spec}`"
            )));
        }
        let a: Arith = part.parse()?;
        if !out.contains(&a) {
            out.push(a);
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
    let mut out = Vec::new();
    for part in spec.split(',') {
        if part.trim().is_empty() {
            return Err(Error::Usage(format!(
                "empty entry in the scheme list `{spec}`"
            )));
        }
        let s: Scheme = part.parse()?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The objective
// ---------------------------------------------------------------------------------------------

/// A scalar function of named parameters, evaluable in every arithmetic, with its exact gradient.
/// Shared between threads: the shifted points of many parameters are evaluated in parallel.
pub trait Objective: Sync {
    /// Parameter names, in order.
    fn params(&self) -> &[String];
    /// The point: the parameters' values, exact.
    fn point(&self) -> &[Rational];
    /// Value at `p` (one entry per parameter) in IEEE double.
    fn eval_f64(&self, p: &[f64]) -> Result<f64>;
    /// Values in IEEE double at `base` with one coordinate replaced, for each `(i, v)` of
    /// `shifts` (coordinate `i` set to `v`). The same values as [`Objective::eval_f64`];
    /// an objective may compute several at once.
    fn eval_f64_shifts(&self, base: &[f64], shifts: &[(usize, f64)]) -> Vec<Result<f64>> {
        shifts
            .iter()
            .map(|&(i, v)| {
                let mut p = base.to_vec();
                p[i] = v;
                self.eval_f64(&p)
            })
            .collect()
    }
    /// Value at `p` in MPFR at `prec` bits (every operation correctly rounded at `prec`).
    fn eval_mpfr(&self, p: &[Float], prec: u32) -> Result<Float>;
    /// Value at `p`, exactly; Err if some operation is not rational (e.g. exp).
    fn eval_exact(&self, p: &[Rational]) -> Result<Rational>;
    /// The symbolic gradient at `point()`: exact where possible, else an MPFR value of at least
    /// 256 bits.
    fn gradient(&self) -> Result<Vec<Value>>;
}

// ---------------------------------------------------------------------------------------------
// Gradient check at one step
// ---------------------------------------------------------------------------------------------

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

fn validate_objective(obj: &dyn Objective) -> Result<()> {
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
fn subtract(q: &Value, g: &Value) -> Value {
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

fn value_prec(v: &Value) -> u32 {
    match v {
        Value::Exact(_) => 0,
        Value::Mpfr(f) => f.prec(),
        Value::F64(_) => 53,
    }
}

/// Adds a note on where an evaluation failed to a domain error: the place, and a hint when
/// it is a shifted point rather than the program's own.
fn at(e: Error, place: impl FnOnce() -> (String, Option<String>)) -> Error {
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

fn check_delta(delta: &Rational) -> Result<()> {
    if *delta <= 0 {
        return Err(Error::Usage(format!(
            "the step Δ must be positive, not {delta}"
        )));
    }
    Ok(())
}

/// The step used and, per parameter, one quotient per scheme.
fn quotients(
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

// ---------------------------------------------------------------------------------------------
// Error norms
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Step-size sweeps
// ---------------------------------------------------------------------------------------------

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

fn log10_rational(r: &Rational) -> f64 {
    Float::with_val(64, Float::with_val(128, r).log10_ref()).to_f64()
}

/// Sweeps the step over `deltas` for every scheme in every arithmetic, measuring ‖∇̂ − ∇‖² and
/// ‖∇̂ − ∇‖ against the symbolic gradient.
///
/// The steps are sorted ascending and duplicates dropped. Errors as for [`check`], plus
/// [`Error::Usage`] for an empty list of steps or arithmetics, or more than [`MAX_STEPS`] steps.
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

    let gradient = obj.gradient()?;
    if gradient.len() != obj.params().len() {
        return Err(Error::Usage(format!(
            "the gradient has {} entries for {} parameters",
            gradient.len(),
            obj.params().len()
        )));
    }
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

// ---------------------------------------------------------------------------------------------
// Parsing steps
// ---------------------------------------------------------------------------------------------

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
    let bad = || {
        Error::Usage(format!(
            "`{t}` is not a number: expected a decimal like 1e-4 or 0.001, or a fraction like 1/10000"
        ))
    };
    if let Some((n, d)) = t.split_once('/') {
        let n = parse_decimal(n.trim()).ok_or_else(bad)??;
        let d = parse_decimal(d.trim()).ok_or_else(bad)??;
        if d == 0 {
            return Err(Error::Usage(format!("`{t}` divides by zero")));
        }
        return Ok(n / d);
    }
    parse_decimal(t).ok_or_else(bad)?
}

/// `None` if not a decimal; `Some(Err)` if its exponent is out of range.
fn parse_decimal(s: &str) -> Option<Result<Rational>> {
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i64>().ok()?),
        None => (s, 0),
    };
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant.strip_prefix('+').unwrap_or(mant)),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let e = exp - frac.len() as i64;
    if !(-MAX_EXPONENT..=MAX_EXPONENT).contains(&e) {
        return Some(Err(Error::Usage(format!(
            "`{s}`: the exponent is out of range (at most ±{MAX_EXPONENT})"
        ))));
    }
    let digits: Integer = format!("{int}{frac}").parse().ok()?;
    let digits = if neg { -digits } else { digits };
    Some(Ok(digits * pow10(e)))
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
fn power_of_ten(r: &Rational) -> Option<i64> {
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

// ---------------------------------------------------------------------------------------------
// Explanations
// ---------------------------------------------------------------------------------------------

/// A number given by its log₁₀, with two significant digits: `3.2e-8`, `1e-8` for a power of
/// ten, plain between 1e-3 and 1e4 (`5.3`, `0.0036`); `0` for −∞.
pub(crate) fn fmt_log10(l: f64) -> String {
    if l == f64::NEG_INFINITY {
        return "0".to_string();
    }
    if !l.is_finite() {
        return format!("{l}");
    }
    let mut e = l.floor();
    let mut m = ((10f64.powf(l - e)) * 10.0).round() / 10.0;
    if m >= 10.0 {
        m /= 10.0;
        e += 1.0;
    }
    let e = e as i64;
    if (m - 1.0).abs() < 1e-9 {
        format!("1e{e}")
    } else if (-3..=3).contains(&e) {
        // Plain decimals where they are short: 5.3, 0.0036, 240.
        let digits = (1 - e).max(0) as usize;
        format!("{:.digits$}", m * 10f64.powi(e as i32))
    } else {
        format!("{m:.1}e{e}")
    }
}

/// A step for people, always in scientific notation so that labels read alike: `1e-8` for
/// powers of ten (`1e0` for 1), else the shortest decimal of its double if that is short
/// (`2.5e-3`), else two significant digits (`3.2e-4`).
pub fn fmt_delta(r: &Rational) -> String {
    if let Some(k) = power_of_ten(r) {
        return format!("1e{k}");
    }
    let x = nearest_f64(r);
    let s = format!("{x:e}");
    if x.is_normal() && s.len() <= 8 {
        s
    } else {
        fmt_step_log10(log10_rational(r))
    }
}

/// A step given by its log₁₀, in scientific notation with two significant digits (`3.2e-4`,
/// `1e-8`), as [`fmt_delta`] writes steps.
fn fmt_step_log10(l: f64) -> String {
    if !l.is_finite() {
        return fmt_log10(l);
    }
    let mut e = l.floor();
    let mut m = (10f64.powf(l - e) * 10.0).round() / 10.0;
    if m >= 10.0 {
        m /= 10.0;
        e += 1.0;
    }
    if (m - 1.0).abs() < 1e-9 {
        format!("1e{}", e as i64)
    } else {
        format!("{m:.1}e{}", e as i64)
    }
}

/// One or two plain sentences per series, for a student reading the plot: the slope of the
/// truncation branch, where the minimum is, whether rounding error takes over, and the
/// textbook estimate of the best step.
pub fn explain(report: &SweepReport) -> Vec<String> {
    report
        .series
        .iter()
        .map(|s| explain_series(report, s))
        .collect()
}

fn explain_series(report: &SweepReport, s: &Series) -> String {
    let n = report.deltas.len();
    let name = format!("{} differences in {}", s.scheme, s.arith.describe());
    let order = if s.scheme.order() == 1 {
        "O(Δ)"
    } else {
        "O(Δ²)"
    };
    let zeros: Vec<String> = (0..n)
        .filter(|&i| s.points[i].exact_zero)
        .map(|i| fmt_delta(&report.deltas[i]))
        .collect();
    let exact = s.arith == Arith::Exact;

    if zeros.len() == n {
        return format!(
            "{name}: the error is exactly 0 at every Δ: the scheme has no truncation error for \
             this function{}.",
            if exact {
                " and exact arithmetic has no rounding error"
            } else {
                ", and no rounding error happened to show"
            }
        );
    }

    if n == 1 {
        return format!(
            "{name}: at the single step Δ = {} the error ‖∇̂ − ∇‖ is {}; sweep several steps to \
             see how it changes with Δ.",
            fmt_delta(&report.deltas[0]),
            fmt_log10(s.points[0].log10(Measure::Norm))
        );
    }

    let est = s.estimate.as_ref().map(|e| {
        let scale = if (e.scale - 1.0).abs() < 1e-12 {
            String::new()
        } else {
            format!("·{}", fmt_plain(e.scale))
        };
        (
            format!(
                "{}{scale} ≈ {} (ε = 2^{})",
                e.rule,
                fmt_step_log10(e.log10_step),
                e.eps_log2
            ),
            e.log10_step,
        )
    });
    let falls = match s.slope {
        Some(k) if k >= 0.5 => Some(format!(
            "the error falls with slope {k:.1} ({:.1} for the squared error; truncation error, \
             expected {order})",
            2.0 * k
        )),
        _ => None,
    };
    let best = s.best.unwrap_or(0);
    let best_d = fmt_delta(&report.deltas[best]);
    let smallest = fmt_delta(&report.deltas[0]);
    let largest = fmt_delta(&report.deltas[n - 1]);
    let mut out = match falls {
        Some(falls) if best > 0 && best < n - 1 => {
            let mut t = format!("{name}: {falls} until Δ ≈ {best_d}, then rises as ");
            t.push_str(if exact {
                "the error of the scheme changes character (exact arithmetic has no rounding error)"
            } else {
                "rounding error takes over"
            });
            if let Some((e, _)) = &est {
                t.push_str(&format!("; the textbook estimate of the best step is {e}"));
            }
            t.push('.');
            t
        }
        Some(falls) if best == 0 => {
            let mut t = format!("{name}: {falls} over the whole range, down to Δ = {smallest}");
            match &est {
                None => t.push_str(
                    "; exact arithmetic has no rounding error, so there is no V: the smaller \
                     the step, the smaller the error",
                ),
                Some((e, l)) if *l < log10_rational(&report.deltas[0]) => t.push_str(&format!(
                    "; rounding error would take over only near the textbook best step {e}, \
                     below the range swept"
                )),
                Some((e, _)) => {
                    t.push_str(&format!("; the textbook estimate of the best step is {e}"))
                }
            }
            t.push('.');
            t
        }
        _ if n > 1 && best == n - 1 => {
            let mut t = format!(
                "{name}: the error grows as Δ shrinks across the whole range, so {}; the best \
                 step swept is the largest, Δ = {largest}",
                if exact {
                    "the truncation error is not what limits it"
                } else {
                    "rounding error dominates (the truncation error of this scheme is tiny or \
                     zero for this function)"
                }
            );
            if let Some((e, _)) = &est {
                t.push_str(&format!("; the textbook estimate of the best step is {e}"));
            }
            t.push('.');
            t
        }
        _ => {
            let slope = match s.slope {
                Some(k) => format!(" (fitted slope {k:.1})"),
                None => String::new(),
            };
            let mut t = format!(
                "{name}: the error shows no clear truncation trend{slope}; the smallest error is \
                 at Δ ≈ {best_d}"
            );
            if let Some((e, _)) = &est {
                t.push_str(&format!("; the textbook estimate of the best step is {e}"));
            }
            t.push('.');
            t
        }
    };
    if !zeros.is_empty() {
        out.push_str(&format!(
            " The error is exactly 0 at Δ = {} (drawn ▽ on the plot's bottom edge).",
            zeros.join(", ")
        ));
    }
    out
}

/// A small positive number for text: `3`, `2.5`.
fn fmt_plain(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        fmt_log10(x.log10())
    }
}
