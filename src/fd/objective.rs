//! What finite differences differentiate: a scalar function of named parameters
//! ([`Objective`]), and the one a program defines ([`ProgramObjective`]).

use std::collections::HashMap;

use rug::{Float, Rational};

use crate::error::{Error, Request, Result};
use crate::eval::{self, Backend, EvalError, Exact, ExactVal, F64, Fail, Mode, Mpfr, Point, Value};
use crate::expr::{Condition, Id, Sym};
use crate::network::Network;

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

/// A program's output as a function of its parameters, for finite-difference experiments:
/// the other inputs stay at the point, the parameters move.
///
/// In f64 and MPFR the perturbed objectives run on a compiled tape of the program as
/// written ([`crate::eval::written`]: literals rounded once, operations in the order
/// written, as NumPy would), or of the expanded output when the program has no as-written
/// form; in exact arithmetic on the exact evaluator.
pub struct ProgramObjective<'a> {
    net: &'a Network,
    root: Id,
    /// The program's domain conditions on the inputs ([`Network::expanded_conditions`]).
    conditions: Vec<Condition>,
    names: Vec<String>,
    values: Vec<Rational>,
    base: Point,
    gradient: Vec<Value>,
    /// The reference gradient's notes (a kink met, digits lost to cancellation).
    notes: Vec<String>,
    /// The tape's inputs: the parameters, then the other names of the point.
    inputs: Vec<Sym>,
    tape: std::sync::OnceLock<Option<ObjectiveTape>>,
}

/// The tape an objective runs on.
enum ObjectiveTape {
    Written(eval::written::Written),
    Expanded(eval::tape::Tape),
}

impl<'a> ProgramObjective<'a> {
    /// The objective of `net`'s output at `point` (which must give every input a value).
    pub fn new(net: &'a mut Network, point: &Point) -> Result<ProgramObjective<'a>> {
        let bw = net.backward();
        // The reference gradient: exact where possible, else 512-bit MPFR.
        let trace = net.trace(&bw, point, Mode::Auto(512))?;
        let names = net
            .params
            .iter()
            .map(|p| net.name(*p).to_string())
            .collect();
        let mut values = Vec::new();
        for p in &net.params {
            let v = point.get(p).cloned().ok_or_else(|| {
                Error::Request(Request::NoValue {
                    name: net.name(*p).to_string(),
                })
            })?;
            values.push(v);
        }
        let conditions = net.expanded_conditions();
        let net: &'a Network = net;
        let mut inputs = net.params.clone();
        let mut others: Vec<Sym> = point
            .keys()
            .filter(|s| !inputs.contains(s))
            .copied()
            .collect();
        others.sort();
        inputs.extend(others);
        Ok(ProgramObjective {
            net,
            root: net.output_def().expanded,
            conditions,
            names,
            values,
            base: point.clone(),
            gradient: trace.gradient,
            notes: trace.kinks,
            inputs,
            tape: std::sync::OnceLock::new(),
        })
    }

    /// The notes of the reference gradient (a kink met, digits lost to cancellation): the
    /// differences are measured against a value they qualify.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The output at `env`, its domain conditions checked.
    fn evaluate<B: Backend>(&self, env: &HashMap<Sym, B::V>, backend: &B) -> Result<B::V> {
        let root = [self.root];
        eval::evaluate_with_conditions(&self.net.store, &root, &self.conditions, env, backend)
            .map(|mut v| v.remove(0))
            .map_err(|e| self.net.describe_error(e))
    }

    /// The tape, compiled on first use; `None` if the output cannot be compiled (an input
    /// without a value, an unspecified function), which the evaluator then reports.
    fn tape(&self) -> Option<&ObjectiveTape> {
        self.tape
            .get_or_init(|| {
                let net = self.net;
                let live: std::collections::HashSet<&str> = net
                    .live_defs()
                    .into_iter()
                    .map(|i| net.name(net.defs[i].name))
                    .collect();
                let output = net.name(net.output_def().name);
                match eval::written::compile_program(
                    &net.store,
                    &net.source.0,
                    &live,
                    &[output],
                    &self.inputs,
                ) {
                    Some(w) => Some(ObjectiveTape::Written(w)),
                    // The conditions are outputs too: the checked tape fails where one is
                    // undefined, as the program as written does.
                    None => {
                        let roots: Vec<Id> = std::iter::once(self.root)
                            .chain(self.conditions.iter().map(|c| c.node))
                            .collect();
                        eval::tape::Tape::compile(&net.store, &roots, &self.inputs)
                            .ok()
                            .map(ObjectiveTape::Expanded)
                    }
                }
            })
            .as_ref()
    }

    /// The tape's input values: `p` for the parameters, the point's for the others.
    fn tape_point<V: Clone>(&self, p: &[V], convert: impl Fn(&Rational) -> V) -> Vec<V> {
        let mut out = p.to_vec();
        out.extend(
            self.inputs[p.len()..]
                .iter()
                .map(|s| convert(&self.base[s])),
        );
        out
    }

    /// An evaluation that failed on the tape, explained by the evaluator (which names the
    /// failing subexpression and the values there), or by the tape when only it fails.
    fn explain_failure<B: Backend>(
        &self,
        env: HashMap<Sym, B::V>,
        backend: &B,
        tape_error: Error,
    ) -> Error {
        match self.evaluate(&env, backend) {
            Err(e) => e,
            Ok(_) => tape_error,
        }
    }

    fn env<V: Clone>(&self, p: &[V], convert: impl Fn(&Rational) -> V) -> HashMap<Sym, V> {
        let mut env: HashMap<Sym, V> = self.base.iter().map(|(s, r)| (*s, convert(r))).collect();
        for (s, v) in self.net.params.iter().zip(p) {
            env.insert(*s, v.clone());
        }
        env
    }
}

impl Objective for ProgramObjective<'_> {
    fn params(&self) -> &[String] {
        &self.names
    }
    fn point(&self) -> &[Rational] {
        &self.values
    }
    fn eval_f64(&self, p: &[f64]) -> Result<f64> {
        let point = self.tape_point(p, eval::nearest_f64);
        let result = match self.tape() {
            None => Err(Error::domain("no tape")),
            Some(ObjectiveTape::Written(w)) => w.eval_f64(&point),
            Some(ObjectiveTape::Expanded(t)) => t
                .checked_f64_eval()
                .eval(&point)
                .map(|v| v[0])
                .map_err(|_| {
                    Error::domain(
                        "the value is not finite in IEEE double (an overflow or a domain error)",
                    )
                }),
        };
        result.map_err(|e| self.explain_failure(self.env(p, eval::nearest_f64), &F64, e))
    }
    fn eval_f64_shifts(&self, base: &[f64], shifts: &[(usize, f64)]) -> Vec<Result<f64>> {
        let tape = match self.tape() {
            Some(ObjectiveTape::Written(w)) => &w.tape,
            Some(ObjectiveTape::Expanded(t)) => t,
            None => return shifts.iter().map(|_| self.eval_f64(base)).collect(),
        };
        let values = self.tape_point(base, eval::nearest_f64);
        let mut eval = tape.checked_f64_eval();
        let mut out = Vec::with_capacity(shifts.len());
        for group in shifts.chunks(eval::tape::LANES) {
            let got = eval.eval_lanes(group.len(), |l, k| {
                if k == group[l].0 {
                    group[l].1
                } else {
                    values[k]
                }
            });
            for (v, &(i, x)) in got.into_iter().zip(group) {
                out.push(match v {
                    Some(v) => Ok(v),
                    None => {
                        // Not finite somewhere: evaluated alone, it says where.
                        let mut p = base.to_vec();
                        p[i] = x;
                        self.eval_f64(&p)
                    }
                });
            }
        }
        out
    }
    fn eval_mpfr(&self, p: &[Float], prec: u32) -> Result<Float> {
        let point = self.tape_point(p, |r| Float::with_val(prec, r));
        let result = match self.tape() {
            None => Err(Error::domain("no tape")),
            Some(ObjectiveTape::Written(w)) => w.eval_mpfr(&point, prec),
            Some(ObjectiveTape::Expanded(t)) => {
                let mut out = vec![Float::new(prec); t.outputs()];
                t.mpfr_eval(prec)
                    .eval_checked(&point, &mut out)
                    .map(|()| out.swap_remove(0))
                    .map_err(|_| {
                        Error::domain(format!(
                            "the value is not finite in MPFR at {prec} bits (an overflow or a domain error)"
                        ))
                    })
            }
        };
        result.map_err(|e| {
            self.explain_failure(
                self.env(p, |r| Float::with_val(prec, r)),
                &Mpfr::new(prec),
                e,
            )
        })
    }
    fn eval_exact(&self, p: &[Rational]) -> Result<Rational> {
        let q: Vec<ExactVal> = p.iter().map(|r| ExactVal::Q(r.clone())).collect();
        let env = self.env(&q, |r| ExactVal::Q(r.clone()));
        let exact = Exact::new(self.net.store.limits().max_exact_bits);
        let root = [self.root];
        eval::evaluate_with_conditions(&self.net.store, &root, &self.conditions, &env, &exact)
            .and_then(|mut v| v.remove(0).exact().map_err(|f| EvalError::At(self.root, f)))
            .map_err(|e| match e {
                EvalError::At(_, Fail::NotExact) => Error::Request(Request::NotRational),
                e => self.net.describe_error(e),
            })
    }
    fn gradient(&self) -> Result<Vec<Value>> {
        Ok(self.gradient.clone())
    }
}
