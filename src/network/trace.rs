//! Values of the forward and backward passes at a point, and the kinks met on the way.

use super::{Adjoint, Backward, Def, Network, Trace};
use crate::error::Result;
use crate::eval::{self, Backend, EvalError, Exact, ExactVal, F64, Fail, Mode, Mpfr, Point, Value};
use crate::expr::{Builtin, Func, Id, Node, Sym};
use rug::{Float, Rational};
use std::collections::HashMap;

/// Forward values, adjoints, gradient, kink notes, and the local partials when asked for.
type SweepValues = (Vec<Value>, Vec<Value>, Vec<Value>, Vec<String>, Vec<Value>);

impl Network {
    /// The point with `extra` values taking precedence over the program's `at`.
    pub fn point_with(&self, extra: &Point) -> Point {
        let mut p = self.point.clone();
        p.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
        p
    }

    /// Evaluates the forward and backward passes at `point`.
    pub fn trace(&self, bw: &Backward, point: &Point, mode: Mode) -> Result<Trace> {
        self.trace_of(bw, point, mode, false)
    }

    /// As [`Self::trace`], with the value of each local partial of the backward pass too
    /// ([`Trace::locals`]), evaluated as the adjoints are, with the names before it bound:
    /// the values of the computation graph's edges.
    pub fn trace_with_locals(&self, bw: &Backward, point: &Point, mode: Mode) -> Result<Trace> {
        self.trace_of(bw, point, mode, true)
    }

    fn trace_of(&self, bw: &Backward, point: &Point, mode: Mode, locals: bool) -> Result<Trace> {
        let live = self.live_defs();
        // In f64 the forward pass is the program as written, as NumPy computes it; the
        // backward pass evaluates chainrule's formulas with those values.
        let written = match mode {
            Mode::F64 => self.written_forward(&live, point),
            _ => None,
        };
        let run = |m: Mode| -> std::result::Result<SweepValues, EvalError> {
            match m {
                Mode::Auto(_) => {
                    let env = point
                        .iter()
                        .map(|(s, r)| (*s, ExactVal::Q(r.clone())))
                        .collect();
                    let exact = Exact::new(self.store.limits().max_exact_bits);
                    self.sweep(bw, &live, env, (None, locals), &exact, |v: ExactVal| {
                        v.exact().map(Value::Exact)
                    })
                }
                Mode::Mpfr(prec) => {
                    let env = point
                        .iter()
                        .map(|(s, r)| (*s, Float::with_val(prec, r)))
                        .collect();
                    self.sweep(bw, &live, env, (None, locals), &Mpfr::new(prec), |v| {
                        Ok(Value::Mpfr(v))
                    })
                }
                Mode::F64 => {
                    let env = point
                        .iter()
                        .map(|(s, r)| (*s, eval::nearest_f64(r)))
                        .collect();
                    let given = written.as_ref().and_then(|w| w.as_ref().ok().cloned());
                    self.sweep(bw, &live, env, (given, locals), &F64, |v| Ok(Value::F64(v)))
                }
            }
        };
        let result = match mode {
            Mode::Auto(prec) => eval::exact_or_mpfr(&self.store, prec, run(mode), || {
                eval::checked_mpfr(
                    prec,
                    false,
                    |bits| run(Mode::Mpfr(bits)),
                    |(f, a, g, _, l): &mut SweepValues| {
                        f.iter_mut()
                            .chain(a.iter_mut())
                            .chain(g.iter_mut())
                            .chain(l.iter_mut())
                            .collect()
                    },
                )
            }),
            m => run(m).map(|values| (values, None)),
        };
        let ((forward, adjoints, gradient, mut kinks, locals), note) = match (result, written) {
            // Only the written order failed (`exp(1000)*0`): its error.
            (Ok(_), Some(Err(e))) => return Err(e),
            (result, _) => result.map_err(|e| self.describe_error(e))?,
        };
        // The note that exact values were too large goes with the kink notes: the reports
        // show those to the user.
        kinks.extend(note);
        Ok(Trace {
            forward,
            adjoints,
            gradient,
            kinks,
            locals,
        })
    }

    /// The live definitions' values in f64, computed as written ([`eval::written`]); `None`
    /// when the program has no as-written form.
    fn written_forward(&self, live: &[usize], point: &Point) -> Option<Result<Vec<f64>>> {
        let names: Vec<&str> = live.iter().map(|&i| self.name(self.defs[i].name)).collect();
        let set = names.iter().copied().collect();
        let mut inputs: Vec<Sym> = point.keys().copied().collect();
        inputs.sort();
        let w = eval::written::compile_program(&self.store, &self.source.0, &set, &names, &inputs)?;
        let values: Vec<f64> = inputs
            .iter()
            .map(|s| eval::nearest_f64(&point[s]))
            .collect();
        Some(w.eval_f64_all(&values))
    }

    /// One sweep in one arithmetic: forward through the definitions (or with the `given`
    /// forward values), backward through the adjoints, each formula evaluated with the names
    /// before it bound; with `locals`, each adjoint's local partials too.
    fn sweep<B: Backend>(
        &self,
        bw: &Backward,
        live: &[usize],
        mut env: HashMap<Sym, B::V>,
        (given, locals): (Option<Vec<B::V>>, bool),
        backend: &B,
        wrap: impl Fn(B::V) -> std::result::Result<Value, Fail>,
    ) -> std::result::Result<SweepValues, EvalError> {
        let mut forward = Vec::new();
        // Each definition's formula with the value computed for it (not one given as
        // written): the backward pass's formulas contain them (`δ_z1 = δ_x1·sigmoid(z1)·(1 -
        // sigmoid(z1))` reads x1's `sigmoid(z1)`), and each value is computed once.
        let mut known: eval::Known<B::V> = eval::Known::default();
        for (k, &i) in live.iter().enumerate() {
            let d = &self.defs[i];
            let v = match &given {
                Some(vals) => vals[k].clone(),
                None => {
                    let v = eval::evaluate_with_conditions(
                        &self.store,
                        &[d.formula],
                        &d.conditions,
                        &env,
                        backend,
                    )?
                    .remove(0);
                    if !matches!(self.store.node(d.formula), Node::Num(_) | Node::Sym(_)) {
                        known.insert(d.formula, v.clone());
                    }
                    v
                }
            };
            env.insert(d.name, v.clone());
            forward.push(wrap(v).map_err(|f| EvalError::At(d.formula, f))?);
        }
        let mut kinks = Vec::new();
        let mut adjoint_vals = Vec::new();
        let mut local_vals = Vec::new();
        let defs: HashMap<Sym, &Def> = self.defs.iter().map(|d| (d.name, d)).collect();
        let mut eval_adjoint = |a: &Adjoint,
                                env: &mut HashMap<Sym, B::V>|
         -> std::result::Result<Value, EvalError> {
            for (user, local) in &a.terms {
                self.find_kinks(&defs, *user, a.of, env, backend, &mut kinks)?;
                if locals {
                    let v = eval::evaluate_with(&self.store, &[*local], env, backend)?.remove(0);
                    local_vals.push(wrap(v).map_err(|f| EvalError::At(*local, f))?);
                }
            }
            let v =
                eval::evaluate_known(&self.store, &[a.formula], env, &known, backend)?.remove(0);
            env.insert(a.delta, v.clone());
            wrap(v).map_err(|f| EvalError::At(a.formula, f))
        };
        for a in &bw.adjoints {
            adjoint_vals.push(eval_adjoint(a, &mut env)?);
        }
        let mut grads = Vec::new();
        for a in &bw.gradient {
            grads.push(eval_adjoint(a, &mut env)?);
        }
        kinks.sort();
        kinks.dedup();
        Ok((forward, adjoint_vals, grads, kinks, local_vals))
    }

    /// Notes for the kinks met at the point on the way from `user` to `of` (a name its
    /// formula uses), where the derivative does not exist and a convention is used: `relu`
    /// or `abs` of exactly 0, and `max` or `min` reached by several arguments (one note per
    /// tie). Arguments that are the same function of the inputs (`u = x; v = x; max(u, v)`)
    /// tie everywhere: that is no kink, and the note says so.
    fn find_kinks<B: Backend>(
        &self,
        defs: &HashMap<Sym, &Def>,
        user: Sym,
        of: Sym,
        env: &HashMap<Sym, B::V>,
        backend: &B,
        notes: &mut Vec<String>,
    ) -> std::result::Result<(), EvalError> {
        let Some(def) = defs.get(&user) else {
            return Ok(());
        };
        let value =
            |id: Id| eval::evaluate_with(&self.store, &[id], env, backend).map(|mut v| v.remove(0));
        let text = |id: Id| crate::print::text(&self.store, id);
        let zero = |v: &B::V| backend.sign(v) == Some(std::cmp::Ordering::Equal);
        for n in self.store.reachable(&[def.formula]) {
            let Node::Call(Func::Builtin(b), args) = self.store.node(n) else {
                continue;
            };
            if !matches!(
                b,
                Builtin::Relu | Builtin::Abs | Builtin::Max | Builtin::Min
            ) || !self.store.free_symbols(n).contains(&of)
            {
                continue;
            }
            if let Builtin::Relu | Builtin::Abs = b {
                if zero(&value(args[0])?) {
                    let rule = if *b == Builtin::Relu {
                        "step(0) = 0: relu'(0) is taken as 0"
                    } else {
                        "sign(0) = 0: abs'(0) is taken as 0"
                    };
                    notes.push(format!(
                        "{} = 0 here, a kink where the derivative does not exist; convention {rule}",
                        text(args[0])
                    ));
                }
                continue;
            }
            let m = value(n)?;
            let (one, minus) = (Rational::from(1), Rational::from(-1));
            let mut tied: Vec<Id> = Vec::new();
            for &a in args.iter() {
                let gap = backend
                    .sum(&Rational::new(), &[(&value(a)?, &one), (&m, &minus)])
                    .map_err(|f| EvalError::At(n, f))?;
                if zero(&gap) && !tied.contains(&a) {
                    tied.push(a);
                }
            }
            if tied.len() < 2 {
                continue;
            }
            // An argument as a function of the inputs: a name's expanded formula.
            let function = |a: Id| match self.store.as_sym(a).and_then(|s| defs.get(&s)) {
                Some(d) => d.expanded,
                None => a,
            };
            let kink = tied.iter().any(|a| function(*a) != function(tied[0]));
            let names: Vec<String> = tied.iter().map(|a| text(*a)).collect();
            let (last, rest) = names.split_last().expect("two or more");
            let (names, among) = (
                format!("{} and {last}", rest.join(", ")),
                if tied.len() == 2 { "between" } else { "among" },
            );
            notes.push(if kink {
                format!(
                    "a tie of {names} in {}, a kink where the derivative does not exist; convention: the derivative is shared equally {among} them",
                    text(n)
                )
            } else {
                format!(
                    "a tie of {names} in {}: they are the same function of the inputs, so this is no kink; the derivative is shared equally {among} them",
                    text(n)
                )
            });
        }
        Ok(())
    }
}
