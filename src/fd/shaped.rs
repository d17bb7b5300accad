//! Finite differences of programs with vectors and matrices, entry by entry: for each entry
//! of each parameter, the forward, backward and central quotients next to the gradient's
//! entry. In f64 the shifted point is formed as NumPy forms it (the entry rounded to a double
//! plus the step rounded to a double, added in doubles); in MPFR and exact arithmetic as in
//! [`super`].

use super::Arith;
use crate::error::{Error, Result};
use crate::eval::dense::Dense;
use crate::eval::matrix::{MatPoint, evaluate, evaluate_f64};
use crate::eval::{Mode, Value, nearest_f64};
use crate::network::MatNetwork;
use rug::{Float, Rational};
use std::collections::HashMap;

/// The most entries (over all parameters) a finite-difference check of a program goes through.
pub const MAX_FD_ENTRIES: usize = 2_000;

/// One entry's quotients.
#[derive(Clone, Debug)]
pub struct ShapedFdEntry {
    /// The parameter.
    pub param: String,
    /// The entry, from 1: (row, column); (i, 1) for a vector, (1, 1) for a scalar.
    pub entry: (usize, usize),
    /// The gradient's entry.
    pub gradient: Value,
    /// `(f(w+δe) - f(w))/δ`.
    pub forward: Value,
    /// `(f(w) - f(w-δe))/δ`.
    pub backward: Value,
    /// `(f(w+δe) - f(w-δe))/(2δ)`.
    pub central: Value,
}

fn one(vals: Vec<Dense<Value>>) -> Value {
    vals[0].get(0, 0).clone()
}

/// The quotients of every entry of every parameter at `point` with step `delta`.
pub fn fd_shaped(
    net: &mut MatNetwork,
    point: &MatPoint,
    delta: &Rational,
    arith: Arith,
) -> Result<Vec<ShapedFdEntry>> {
    // A parameter the output does not use still needs a value to be shifted.
    if let Some(p) = net.params.iter().find(|p| !point.contains_key(*p)) {
        return Err(Error::Request(crate::error::Request::NoValue {
            name: p.clone(),
        }));
    }
    let entries: usize = net
        .params
        .iter()
        .map(|p| point.get(p).map_or(1, |d| d.data().len()))
        .sum();
    if entries > MAX_FD_ENTRIES {
        return Err(Error::Limit(format!(
            "finite differences of {entries} entries (at most {MAX_FD_ENTRIES}): each needs two evaluations of the whole program; check a smaller network, or fewer parameters with `wrt`"
        )));
    }
    // The program as written must be defined at the point (simplifying may cancel a part).
    let mode = match arith {
        Arith::F64 => Mode::F64,
        Arith::Mpfr(bits) => Mode::Mpfr(bits),
        Arith::Exact => Mode::Auto(256),
    };
    net.check_written(point, mode)?;
    let grads = net.expanded_gradient()?;
    let out = net.defs[net.output].expanded;
    let describe = |e: crate::eval::matrix::MatEvalError, net: &MatNetwork| e.describe(&net.store);
    let mut rows = Vec::new();
    match arith {
        Arith::F64 => {
            let base: HashMap<String, Dense<f64>> = point
                .iter()
                .map(|(n, d)| (n.clone(), d.map(nearest_f64)))
                .collect();
            let h = nearest_f64(delta);
            let mut roots = vec![out];
            roots.extend(&grads);
            let vals = evaluate_f64(&net.store, &roots, &base).map_err(|e| describe(e, net))?;
            let f0 = *vals[0].get(0, 0);
            for (k, p) in net.params.clone().iter().enumerate() {
                let g = &vals[k + 1];
                for idx in 0..g.data().len() {
                    let shifted = |sign: f64| -> Result<f64> {
                        let mut pt = base.clone();
                        let w = pt.get_mut(p).expect("a value for every parameter");
                        w.data_mut()[idx] += sign * h;
                        let v =
                            evaluate_f64(&net.store, &[out], &pt).map_err(|e| describe(e, net))?;
                        Ok(*v[0].get(0, 0))
                    };
                    let (fp, fm) = (shifted(1.0)?, shifted(-1.0)?);
                    rows.push(ShapedFdEntry {
                        param: p.clone(),
                        entry: (idx / g.cols() + 1, idx % g.cols() + 1),
                        // `+ 0.0` turns −0 (from −8·0) into 0: a gradient of `-0` reads
                        // as a sign that is not there.
                        gradient: Value::F64(g.data()[idx] + 0.0),
                        forward: Value::F64((fp - f0) / h),
                        backward: Value::F64((f0 - fm) / h),
                        central: Value::F64((fp - fm) / (2.0 * h)),
                    });
                }
            }
        }
        Arith::Mpfr(_) | Arith::Exact => {
            let mode = match arith {
                Arith::Mpfr(bits) => Mode::Mpfr(bits),
                _ => Mode::Auto(256),
            };
            let mut roots = vec![out];
            roots.extend(&grads);
            let (vals, _) =
                evaluate(&net.store, &roots, point, mode).map_err(|e| describe(e, net))?;
            let f0 = vals[0].entries.get(0, 0).clone();
            let prec = match arith {
                Arith::Mpfr(bits) => bits,
                _ => 256,
            };
            for (k, p) in net.params.clone().iter().enumerate() {
                let g = &vals[k + 1].entries;
                for idx in 0..g.data().len() {
                    let shifted = |sign: i32| -> Result<Value> {
                        let mut pt = point.clone();
                        let w = pt.get_mut(p).expect("a value for every parameter");
                        w.data_mut()[idx] += Rational::from(delta * sign);
                        let (v, _) = evaluate(&net.store, &[out], &pt, mode)
                            .map_err(|e| describe(e, net))?;
                        Ok(one(v.into_iter().map(|m| m.entries).collect()))
                    };
                    let (fp, fm) = (shifted(1)?, shifted(-1)?);
                    let q = |a: &Value, b: &Value, d: Rational| -> Value {
                        match (a, b) {
                            (Value::Exact(x), Value::Exact(y)) => {
                                Value::Exact(Rational::from(x - y) / d)
                            }
                            _ => {
                                let (x, y) = (a.to_float(prec), b.to_float(prec));
                                Value::Mpfr(
                                    Float::with_val(prec, &x - &y) / Float::with_val(prec, &d),
                                )
                            }
                        }
                    };
                    rows.push(ShapedFdEntry {
                        param: p.clone(),
                        entry: (idx / g.cols() + 1, idx % g.cols() + 1),
                        gradient: g.data()[idx].clone(),
                        forward: q(&fp, &f0, delta.clone()),
                        backward: q(&f0, &fm, delta.clone()),
                        central: q(&fp, &fm, Rational::from(delta * 2)),
                    });
                }
            }
        }
    }
    Ok(rows)
}
