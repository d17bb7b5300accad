//! Values of the forward and backward passes at a point, and the kinks met on the way.

use super::{Adjoint, Backward, Def, Network, Trace};
use crate::error::Result;
use crate::eval::{self, Backend, EvalError, Exact, ExactVal, F64, Fail, Mode, Mpfr, Point, Value};
use crate::expr::{Builtin, Func, Id, Node, Sym};
use rug::Rational;
use std::collections::HashMap;

/// What every sweep of a trace needs, worked out once: the live definitions, those whose
/// formula calls `relu`, `abs`, `max` or `min` (only there can a kink be met) by name, and
/// when there is one, every definition by name.
struct Plan<'n> {
    live: Vec<usize>,
    kinky: HashMap<Sym, &'n Def>,
    all: HashMap<Sym, &'n Def>,
}

/// From how many nodes in the store the two first sweeps of the digit check run at the same
/// time ([`eval::checked_mpfr`]): a thread costs tens of microseconds, a sweep of a program
/// this large a millisecond or more.
const PARALLEL_NODES: usize = 2000;

/// The built-in functions with a kink, where the derivative does not exist and a convention
/// is used.
const KINKS: [Builtin; 4] = [Builtin::Relu, Builtin::Abs, Builtin::Max, Builtin::Min];

/// Every value is accepted (MPFR, f64).
fn any<V>(_: &V) -> std::result::Result<(), Fail> {
    Ok(())
}

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
        let plan = self.plan(live);
        let run = |m: Mode| -> std::result::Result<SweepValues, EvalError> {
            match m {
                Mode::Auto(_) => {
                    let env = point.iter().map(|(s, r)| (*s, ExactVal::Q(r.clone())));
                    let exact = Exact::new(self.store.limits().max_exact_bits);
                    let rational = |v: &ExactVal| match v {
                        ExactVal::Q(_) => Ok(()),
                        ExactVal::Approx(..) => Err(Fail::NotExact),
                    };
                    let wrap = |v: ExactVal| v.exact().map(Value::Exact);
                    self.sweep(bw, &plan, env, (None, locals), &exact, (rational, wrap))
                }
                Mode::Mpfr(prec) => {
                    let backend = Mpfr::new(prec);
                    let env = point.iter().map(|(s, r)| (*s, backend.input(r)));
                    let wrap = |v| Ok(Value::Mpfr(v));
                    self.sweep(bw, &plan, env, (None, locals), &backend, (any, wrap))
                }
                Mode::F64 => {
                    let env = point.iter().map(|(s, r)| (*s, eval::nearest_f64(r)));
                    let given = written.as_ref().and_then(|w| w.as_ref().ok().cloned());
                    let wrap = |v| Ok(Value::F64(v));
                    self.sweep(bw, &plan, env, (given, locals), &F64, (any, wrap))
                }
            }
        };
        let result = match mode {
            Mode::Auto(prec) => eval::exact_or_mpfr(&self.store, prec, run(mode), || {
                eval::checked_mpfr(
                    prec,
                    false,
                    self.store.len() >= PARALLEL_NODES,
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

    /// The [`Plan`] of a trace: which definitions can meet a kink is one walk over the
    /// formulas' nodes, children first (most programs have none, and then the backward pass
    /// looks for no kink; a store without a call of those functions needs no walk: a
    /// 10^5-layer program's took 14 ms).
    fn plan(&self, live: Vec<usize>) -> Plan<'_> {
        if !self.store.calls_builtin(&KINKS) {
            return Plan {
                live,
                kinky: HashMap::new(),
                all: HashMap::new(),
            };
        }
        let formulas: Vec<Id> = self.defs.iter().map(|d| d.formula).collect();
        let top = formulas.iter().map(|f| f.index() + 1).max().unwrap_or(0);
        let mut calls = vec![false; top];
        for id in self.store.reachable(&formulas) {
            let node = self.store.node(id);
            calls[id.index()] = matches!(node, Node::Call(Func::Builtin(b), _) if KINKS.contains(b))
                || {
                    let mut any = false;
                    node.for_each_child(|c| any |= calls[c.index()]);
                    any
                };
        }
        let kinky: HashMap<Sym, &Def> = self
            .defs
            .iter()
            .filter(|d| calls[d.formula.index()])
            .map(|d| (d.name, d))
            .collect();
        let all = if kinky.is_empty() {
            HashMap::new()
        } else {
            self.defs.iter().map(|d| (d.name, d)).collect()
        };
        Plan { live, kinky, all }
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
    /// before it bound; with `locals`, each adjoint's local partials too. `exact` refuses a
    /// value as soon as it is computed (a value not rational, in exact arithmetic); `wrap`
    /// makes the values returned.
    fn sweep<B: Backend>(
        &self,
        bw: &Backward,
        plan: &Plan<'_>,
        env: impl IntoIterator<Item = (Sym, B::V)>,
        (given, locals): (Option<Vec<B::V>>, bool),
        backend: &B,
        (exact, wrap): (
            impl Fn(&B::V) -> std::result::Result<(), Fail>,
            impl Fn(B::V) -> std::result::Result<Value, Fail>,
        ),
    ) -> std::result::Result<SweepValues, EvalError> {
        // One session for the whole sweep: each node is computed once, and each definition's
        // formula keeps the value computed for it (not one given as written), which the
        // backward pass's formulas read (`δ_z1 = δ_x1·sigmoid(z1)·(1 - sigmoid(z1))` reads
        // x1's `sigmoid(z1)`). Values are kept by index; the outputs record (index, node).
        let mut s = eval::Session::new(&self.store, backend);
        let env = env.into_iter();
        let live = &plan.live;
        let names = env.size_hint().0 + live.len() + bw.adjoints.len() + bw.gradient.len();
        // About two values a name (a name's, and a node or two between names).
        s.reserve(2 * names, names);
        for (name, v) in env {
            let i = s.push(v);
            s.bind(name, i);
        }
        let mut given = given.map(Vec::into_iter);
        let mut forward = Vec::with_capacity(live.len());
        for &i in live {
            let d = &self.defs[i];
            let v = match given.as_mut().and_then(Iterator::next) {
                Some(v) => s.push(v),
                None => {
                    s.eval_with_conditions(&[d.formula], &d.conditions)?;
                    s.index_of(d.formula).expect("computed")
                }
            };
            s.bind(d.name, v);
            exact(s.get(v)).map_err(|f| EvalError::At(d.formula, f))?;
            forward.push((v, d.formula));
        }
        let mut kinks = Vec::new();
        let mut local_vals = Vec::new();
        let mut eval_adjoint = |a: &Adjoint,
                                s: &mut eval::Session<'_, B>|
         -> std::result::Result<(u32, Id), EvalError> {
            for (user, local) in &a.terms {
                if let Some(def) = plan.kinky.get(user) {
                    self.find_kinks(plan, def, a.of, s, &mut kinks)?;
                }
                if locals {
                    let v = s.value(*local)?;
                    exact(s.get(v)).map_err(|f| EvalError::At(*local, f))?;
                    local_vals.push((v, *local));
                }
            }
            let v = s.value(a.formula)?;
            s.bind(a.delta, v);
            exact(s.get(v)).map_err(|f| EvalError::At(a.formula, f))?;
            Ok((v, a.formula))
        };
        let mut adjoint_vals = Vec::with_capacity(bw.adjoints.len());
        for a in &bw.adjoints {
            adjoint_vals.push(eval_adjoint(a, &mut s)?);
        }
        let mut grads = Vec::with_capacity(bw.gradient.len());
        for a in &bw.gradient {
            grads.push(eval_adjoint(a, &mut s)?);
        }
        kinks.sort();
        kinks.dedup();
        // The values move out of the session; one that several outputs share (`u = x;
        // v = x`) is copied for all but its last.
        let mut vals: Vec<Option<B::V>> = s.into_values().into_iter().map(Some).collect();
        let mut last = vec![u32::MAX; vals.len()];
        let outputs = [&forward, &adjoint_vals, &grads, &local_vals];
        for (k, &(v, _)) in outputs.iter().flat_map(|o| o.iter()).enumerate() {
            last[v as usize] = k as u32;
        }
        let mut k = 0u32;
        let mut out = |list: &[(u32, Id)]| -> std::result::Result<Vec<Value>, EvalError> {
            let mut values = Vec::with_capacity(list.len());
            for &(v, id) in list {
                let slot = &mut vals[v as usize];
                let value = if last[v as usize] == k {
                    slot.take()
                } else {
                    slot.clone()
                };
                k += 1;
                let value = value.expect("taken at its last use only");
                values.push(wrap(value).map_err(|f| EvalError::At(id, f))?);
            }
            Ok(values)
        };
        Ok((
            out(&forward)?,
            out(&adjoint_vals)?,
            out(&grads)?,
            kinks,
            out(&local_vals)?,
        ))
    }

    /// Notes for the kinks met at the point on the way from `def`'s name to `of` (a name
    /// its formula uses), where the derivative does not exist and a convention is used:
    /// `relu` or `abs` of exactly 0, and `max` or `min` reached by several arguments (one
    /// note per tie). Arguments that are the same function of the inputs (`u = x; v = x;
    /// max(u, v)`) tie everywhere: that is no kink, and the note says so.
    fn find_kinks<B: Backend>(
        &self,
        plan: &Plan<'_>,
        def: &Def,
        of: Sym,
        s: &mut eval::Session<'_, B>,
        notes: &mut Vec<String>,
    ) -> std::result::Result<(), EvalError> {
        let backend = s.backend();
        let text = |id: Id| crate::print::text(&self.store, id);
        let zero = |v: &B::V| backend.sign(v) == Some(std::cmp::Ordering::Equal);
        let defs = &plan.all;
        for n in self.store.reachable(&[def.formula]) {
            let Node::Call(Func::Builtin(b), args) = self.store.node(n) else {
                continue;
            };
            if !KINKS.contains(b) || !self.store.free_symbols(n).contains(&of) {
                continue;
            }
            if let Builtin::Relu | Builtin::Abs = b {
                let v = s.value(args[0])?;
                if zero(s.get(v)) {
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
            let m = s.value(n)?;
            let (one, minus) = (Rational::from(1), Rational::from(-1));
            let mut tied: Vec<Id> = Vec::new();
            for &a in args.iter() {
                let v = s.value(a)?;
                let gap = backend
                    .sum(&Rational::new(), &[(s.get(v), &one), (s.get(m), &minus)])
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
