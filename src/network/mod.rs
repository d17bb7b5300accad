//! Programs of named definitions, and the forward and backward passes over them.
//!
//! A program (`z1 = w1*x`, `x1 = σ(z1)`, …) is kept as named nodes in definition order:
//! each definition's *local* formula refers to earlier definitions by name (as symbols), and
//! its *expanded* formula has them substituted. The backward pass is the reverse-mode sweep
//! over those names: each adjoint `δ_v = ∂E/∂v` is its own formula, built from the adjoints
//! of v's users (`δ_z2 = δ_x2·σ'(z2)`), and stays a node of its own rather than being
//! multiplied out, so a deep network's gradient stays linear in size (DESIGN.md).
//!
//! [`load()`] reads a program (`load.rs`), [`Network::backward`] builds the adjoints and
//! `backward.rs` the other views of the chain (paths, chain sizes, the expanded gradient),
//! [`Network::trace`] evaluates both passes at a point (`trace.rs`).

mod backward;
mod load;
mod shaped;
mod trace;

pub(crate) use load::names_used;
pub use load::{ADJOINT_PREFIX, load, load_parsed};
pub use shaped::{
    MatAdjoint, MatDef, MatNetwork, WrittenPoint, given_value, is_shaped, load_shaped,
    load_shaped_parsed, misfit, shape_of,
};

use crate::error::{Error, Request, Result};
use crate::eval::{self, EvalError, Point, Value};
use crate::expr::{Condition, Id, Store, Sym};
use crate::syntax::ast::Span;
use crate::syntax::{self, UserFn};
use std::collections::{HashMap, HashSet};

/// One named definition.
#[derive(Clone, Debug)]
pub struct Def {
    /// The name defined.
    pub name: Sym,
    /// The formula as written, in terms of inputs and earlier names.
    pub formula: Id,
    /// The formula with every earlier name substituted: in terms of inputs only.
    pub expanded: Id,
    /// Where the definition's name is.
    pub span: Span,
    /// The right-hand side as written in the source.
    pub written: String,
    /// Where the formula as written is defined beyond what `formula` shows (denominators,
    /// logarithms, roots that cancelled), in terms of inputs and earlier names.
    pub conditions: Vec<Condition>,
    /// The names the formula as written uses, even those simplifying cancelled (`x` in
    /// `z = x - x`): an input stays an input, with gradient 0, rather than vanishing.
    pub uses: Vec<Sym>,
}

/// From how many nodes in the store [`Network::inputs`] makes its two walks at the same time:
/// a thread costs tens of microseconds, a walk of 20 000 nodes a few hundred.
const PARALLEL_WALKS: usize = 20_000;

/// A loaded program.
#[derive(Debug)]
pub struct Network {
    /// Owner of every node.
    pub store: Store,
    /// The definitions, in order.
    pub defs: Vec<Def>,
    /// Index of the output (the loss) in `defs`.
    pub output: usize,
    /// The parameters to differentiate by, in order.
    pub params: Vec<Sym>,
    /// Whether the program names its parameters (`wrt`); if not, they are all its inputs.
    pub wrt_given: bool,
    /// The point given by `at` statements.
    pub point: Point,
    /// Warnings for the user.
    pub warnings: Vec<String>,
    /// The source text and its name, for diagnostics.
    pub source: (String, String),
    /// User-defined functions, for reading formulas in the program's terms.
    pub functions: HashMap<String, UserFn>,
    /// Declared unspecified functions with their parameter names.
    pub declared: HashMap<String, Vec<String>>,
    /// Rebound names (`c = c + 1`), each to its latest version (`c_2`).
    pub renames: HashMap<String, Sym>,
    /// The `take` statements: one instance of the unspecified functions, with values.
    pub instance: Option<Instance>,
    /// [`Network::live_defs`] once computed (a command asks for it several times; on a
    /// program of 10^5 layers each walk costs a few milliseconds).
    live_cache: Kept<Vec<usize>>,
    /// [`Network::inputs`] once computed (loading computes them to choose the parameters; a
    /// command asks again).
    inputs_cache: Kept<Vec<Sym>>,
    /// The free symbols of the output's expanded formula, found with the inputs (the names
    /// in play for LaTeX start from them).
    reached_cache: Kept<Vec<Sym>>,
}

/// A value worked out from a network's definitions, kept with the output and the number of
/// definitions it was worked out for: the definitions and the output do not change once
/// loaded (the definitions only grow while loading), so that pair tells whether it holds.
#[derive(Default, Debug)]
struct Kept<T>(std::sync::Mutex<Option<((usize, usize), T)>>);

impl<T: Clone> Kept<T> {
    /// The value kept for `key`, if any.
    fn get(&self, key: (usize, usize)) -> Option<T> {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        kept.as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    }

    /// Keeps `value` for `key`.
    fn set(&self, key: (usize, usize), value: &T) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((key, value.clone()));
    }
}

/// A program's `take` statements (`take σ(t) = relu(t), ℓ(y, ŷ) = (y - ŷ)^2, x = 1`): the
/// homework's own σ and ℓ, and its values, for a program that leaves them unspecified.
///
/// A formula of the abstract program holds for every σ and ℓ; a student's step may hold only
/// for the homework's (`∂E/∂ŷ = -2(y - ŷ)`), and a number only at its point under its
/// functions. `grade` judges a step for every function first, then under the instance, and
/// says which. The other commands keep the functions unspecified: their formulas are the
/// general ones, and the values of `take` are not a point of theirs.
#[derive(Clone, Debug, Default)]
pub struct Instance {
    /// The functions taken, in the order written.
    pub functions: Vec<TakenFn>,
    /// The point: the program's `at` values with those of `take`.
    pub point: Point,
}

/// One function of an [`Instance`].
#[derive(Clone, Debug)]
pub struct TakenFn {
    /// The unspecified function's name (`ℓ`).
    pub name: String,
    /// Its parameters, as symbols of the body.
    pub params: Vec<Sym>,
    /// The formula taken for it, in its parameters.
    pub body: Id,
    /// The definition as text (`ℓ(y, ŷ) = (y - ŷ)^2`).
    pub text: String,
}

/// One adjoint of the backward pass: `δ_v = Σ_u δ_u · ∂u/∂v`.
#[derive(Clone, Debug)]
pub struct Adjoint {
    /// The variable `v` (an intermediate or a parameter).
    pub of: Sym,
    /// The symbol `δ_v` that stands for it in later formulas.
    pub delta: Sym,
    /// The users `u` of `v` with the local partial `∂u/∂v` (in terms of names).
    pub terms: Vec<(Sym, Id)>,
    /// `Σ_u δ_u · ∂u/∂v` with the `δ_u` as symbols.
    pub formula: Id,
}

/// The backward pass: adjoints in sweep order (output first), then the parameters' gradients.
#[derive(Clone, Debug)]
pub struct Backward {
    /// Adjoints of the intermediates, output first.
    pub adjoints: Vec<Adjoint>,
    /// Adjoints of the parameters: the gradient.
    pub gradient: Vec<Adjoint>,
}

/// Values of a forward and backward pass at a point.
#[derive(Clone, Debug)]
pub struct Trace {
    /// Each definition's value, in definition order.
    pub forward: Vec<Value>,
    /// Each adjoint's value, in sweep order.
    pub adjoints: Vec<Value>,
    /// Each parameter's gradient.
    pub gradient: Vec<Value>,
    /// Notes for the user: kinks met (non-differentiable points and the convention used),
    /// and, when exact values grew past the limit, that MPFR was used instead.
    pub kinks: Vec<String>,
    /// The local partials of the adjoints' terms (`∂u/∂v` of each user `u`), the adjoints'
    /// then the gradient's, each adjoint's terms in order; empty unless asked for
    /// ([`Network::trace_with_locals`]).
    pub locals: Vec<Value>,
}

/// One edge of a path through the program: `(user, used, ∂user/∂used)`.
pub type Edge = (Sym, Sym, Id);

impl Network {
    /// `roots` with the functions `which` (indices into the instance's functions) replaced
    /// by the formulas taken for them, their derivatives (`σ'(z)`, `∂_2 ℓ(y, ŷ)`) by the
    /// formulas' derivatives. Without an instance, `roots` unchanged.
    pub fn instantiate(&mut self, roots: &[Id], which: &[usize]) -> Vec<Id> {
        let Some(inst) = &self.instance else {
            return roots.to_vec();
        };
        let taken: HashMap<String, TakenFn> = which
            .iter()
            .map(|&i| (inst.functions[i].name.clone(), inst.functions[i].clone()))
            .collect();
        let store = &mut self.store;
        let mut map: HashMap<Id, Id> = HashMap::new();
        for id in store.reachable(roots) {
            let node = store.node(id).clone();
            let new = match &node {
                crate::expr::Node::Call(crate::expr::Func::Abstract(f), args)
                    if taken.contains_key(store.name(f.name)) =>
                {
                    let t = &taken[store.name(f.name)];
                    let mut g = t.body;
                    for slot in f.partials.iter() {
                        g = crate::diff::diff(store, g, t.params[*slot as usize]);
                    }
                    // All at once: `ℓ(y, ŷ)` called as `ℓ(ŷ, y)` swaps them.
                    let subst: HashMap<Sym, Id> = t
                        .params
                        .iter()
                        .copied()
                        .zip(args.iter().map(|x| map[x]))
                        .collect();
                    store.substitute(g, &subst)
                }
                crate::expr::Node::Num(_) | crate::expr::Node::Sym(_) => id,
                other => store.rebuild(other, &|c| map[&c]),
            };
            map.insert(id, new);
        }
        roots.iter().map(|r| map[r]).collect()
    }

    /// The instance's functions (indices) that `roots` call, in the instance's order.
    pub fn taken_functions_in(&self, roots: &[Id]) -> Vec<usize> {
        let Some(inst) = &self.instance else {
            return Vec::new();
        };
        let called: HashSet<&str> = self
            .store
            .reachable(roots)
            .into_iter()
            .filter_map(|id| match self.store.node(id) {
                crate::expr::Node::Call(crate::expr::Func::Abstract(f), _) => {
                    Some(self.store.name(f.name))
                }
                _ => None,
            })
            .collect();
        (0..inst.functions.len())
            .filter(|&i| called.contains(inst.functions[i].name.as_str()))
            .collect()
    }

    /// The name of a symbol.
    pub fn name(&self, s: Sym) -> &str {
        self.store.name(s)
    }

    /// Marks inputs as data, not parameters: they keep their values and get no gradient.
    /// Names that are not inputs of the output, or that the program's `wrt` lists, are errors.
    pub fn set_data(&mut self, names: &[String]) -> Result<()> {
        if names.is_empty() {
            return Ok(());
        }
        let inputs = self.inputs();
        for n in names {
            let n = syntax::normalize_name(n.trim());
            let s = self
                .store
                .lookup(&n)
                .filter(|s| inputs.contains(s))
                .ok_or_else(|| {
                    Error::Request(Request::NotAnInput {
                        name: n.clone(),
                        output: self.name(self.output_def().name).to_string(),
                    })
                })?;
            if self.wrt_given && self.params.contains(&s) {
                return Err(Error::Request(Request::ParameterAsData { name: n }));
            }
            self.params.retain(|p| *p != s);
        }
        Ok(())
    }

    /// Where the output as a function of the inputs is defined beyond what its expanded
    /// formula shows: every definition it depends on must be defined, with its conditions,
    /// though substituting the definitions may cancel them (`u = x - 2; E = u/u`).
    pub fn expanded_conditions(&mut self) -> Vec<Condition> {
        let expanded: HashMap<Sym, Id> = self.defs.iter().map(|d| (d.name, d.expanded)).collect();
        let mut out = Vec::new();
        for i in self.live_defs() {
            let (node, span) = (self.defs[i].expanded, self.defs[i].span);
            out.push(Condition::new(node, span));
            for c in self.defs[i].conditions.clone() {
                let node = self.store.substitute(c.node, &expanded);
                out.push(Condition { node, ..c });
            }
        }
        let root = self.output_def().expanded;
        crate::expr::prune_conditions(&self.store, &[root], &mut out);
        out
    }

    /// An evaluation error in words, pointing into the program where it can.
    pub fn describe_error(&self, e: EvalError) -> Error {
        eval::describe_error_in(&self.store, e, &self.source.1, &self.source.0)
    }

    /// The inputs of the output, in natural order: the names its definitions use that are
    /// not defined themselves (including those whose terms cancel, as `a` in `c = a + b;
    /// e = c - a`), and those its expanded formula reaches through `d(…)`.
    pub fn inputs(&self) -> Vec<Sym> {
        self.inputs_cache
            .get(self.kept_key())
            .unwrap_or_else(|| self.inputs_with_parts().0)
    }

    /// What the kept values ([`Kept`]) are worked out for.
    fn kept_key(&self) -> (usize, usize) {
        (self.output, self.defs.len())
    }

    /// [`Self::inputs`] (kept for the next call), with the two lists they are found from:
    /// the names [`Self::written`] and the free symbols of the output's expanded formula.
    pub(super) fn inputs_with_parts(&self) -> (Vec<Sym>, Vec<Sym>, Vec<Sym>) {
        // Two walks of the program's nodes, side by side when it is large (a 10^5-layer
        // program's take 12 and 24 ms).
        let reached = || self.store.free_symbols(self.output_def().expanded);
        let (reached, written) = if self.store.len() >= PARALLEL_WALKS {
            crate::parallel::join(reached, || self.written())
        } else {
            (reached(), self.written())
        };
        // Marks by symbol number: 1 seen, 2 defined.
        let mut mark = vec![0u8; self.store.symbol_count()];
        for s in written.iter().chain(&reached) {
            mark[s.index()] = 1;
        }
        for d in &self.defs {
            mark[d.name.index()] = 2;
        }
        let mut inputs: Vec<Sym> = (0..mark.len())
            .filter(|&k| mark[k] == 1)
            .map(|k| self.store.sym_at(k))
            .collect();
        // Symbols are numbered as the program first mentions them, which is close to the
        // natural order of its inputs' names (w1, w2, …): the sort finds the runs.
        inputs.sort_by(|a, b| crate::expr::natural_cmp(self.name(*a), self.name(*b)));
        self.inputs_cache.set(self.kept_key(), &inputs);
        self.reached_cache.set(self.kept_key(), &reached);
        (inputs, written, reached)
    }

    /// The names written in the definitions the output depends on (inputs and names),
    /// including those only their domain conditions keep (`E = d(sqrt(w)^2, w)` is 1 where
    /// it is defined, but it is a function of `w`); sorted by symbol, each once.
    fn written(&self) -> Vec<Sym> {
        let live = self.live_defs();
        let roots: Vec<Id> = live
            .iter()
            .flat_map(|&i| {
                let d = &self.defs[i];
                std::iter::once(d.formula).chain(d.conditions.iter().map(|c| c.node))
            })
            .collect();
        // Marked by symbol number, which is their order.
        let mut seen = vec![false; self.store.symbol_count()];
        let reached = self.store.reachable(&roots).into_iter();
        let syms = reached.filter_map(|id| self.store.as_sym(id));
        let uses = live.iter().flat_map(|&i| self.defs[i].uses.iter().copied());
        for s in syms.chain(uses) {
            seen[s.index()] = true;
        }
        (0..seen.len())
            .filter(|&k| seen[k])
            .map(|k| self.store.sym_at(k))
            .collect()
    }

    /// Whether `s` names something of the program: one it [uses](Self::uses), or a name
    /// given a value.
    pub fn knows(&self, s: Sym) -> bool {
        self.uses(s) || self.point.contains_key(&s)
    }

    /// Whether the program's definitions use or define `s`, or it is a parameter.
    pub fn uses(&self, s: Sym) -> bool {
        self.params.contains(&s)
            || self
                .defs
                .iter()
                .any(|d| self.store.free_symbols(d.formula).contains(&s))
            || self.defines(s)
            || self
                .store
                .free_symbols(self.output_def().expanded)
                .contains(&s)
    }

    /// Whether `s` is only given a value (by an `at` line or `--at`), used by no definition
    /// and defining none.
    pub fn only_given_a_value(&self, s: Sym) -> bool {
        self.point.contains_key(&s) && !self.uses(s)
    }

    /// The symbol a name stands for: a rebound name's latest version, else the name itself.
    pub fn lookup(&self, name: &str) -> Option<Sym> {
        let name = syntax::normalize_name(name.trim());
        self.renames
            .get(&name)
            .copied()
            .or_else(|| self.store.lookup(&name))
    }

    /// Whether `s` is defined by the program (an intermediate, a version or the output).
    pub fn defines(&self, s: Sym) -> bool {
        self.defs.iter().any(|d| d.name == s)
    }

    /// Whether `name` is defined by the program: an intermediate, the output, a version
    /// (`c_1`) or a rebound name (`c`, its latest version), whose value is computed.
    pub fn is_intermediate(&self, name: &str) -> bool {
        self.lookup(name).is_some_and(|s| self.defines(s))
    }

    /// The output definition.
    pub fn output_def(&self) -> &Def {
        &self.defs[self.output]
    }

    /// The names of the program's inputs and intermediates, and of their adjoints, so that
    /// `δ_c1` and `δ_c_1` print differently as `c1` and `c_1` do: the names in play for its
    /// LaTeX ([`crate::print::with_names_in_play`]).
    pub fn names_in_play(&self) -> Vec<String> {
        let reached = self
            .reached_cache
            .get(self.kept_key())
            .unwrap_or_else(|| self.store.free_symbols(self.output_def().expanded));
        let names: Vec<&str> = reached
            .into_iter()
            .chain(self.defs.iter().map(|d| d.name))
            .map(|s| self.store.name(s))
            .collect();
        let mut all = Vec::with_capacity(2 * names.len());
        all.extend(names.iter().map(|n| n.to_string()));
        all.extend(names.iter().map(|n| load::adjoint_name(n)));
        all
    }

    /// The definitions the output depends on, in definition order (output last).
    pub fn live_defs(&self) -> Vec<usize> {
        if let Some(live) = self.live_cache.get(self.kept_key()) {
            return live;
        }
        let live = self.find_live_defs();
        self.live_cache.set(self.kept_key(), &live);
        live
    }

    fn find_live_defs(&self) -> Vec<usize> {
        let mut live = vec![false; self.defs.len()];
        live[self.output] = true;
        // Symbols are small dense numbers: a table by symbol finds a name's definition
        // without hashing (this runs several times per command on programs of 10^5 lines).
        let mut index = vec![usize::MAX; self.store.symbol_count()];
        for (i, d) in self.defs.iter().enumerate() {
            index[d.name.index()] = i;
        }
        for i in (0..=self.output).rev() {
            if !live[i] {
                continue;
            }
            // The names its domain conditions use count too: `E = u/u` needs u ≠ 0.
            let conds = self.defs[i].conditions.iter().map(|c| c.node);
            let roots: Vec<Id> = std::iter::once(self.defs[i].formula).chain(conds).collect();
            for id in self.store.reachable(&roots) {
                if let Some(&j) = self.store.as_sym(id).and_then(|s| index.get(s.index()))
                    && j != usize::MAX
                {
                    live[j] = true;
                }
            }
        }
        (0..=self.output).filter(|i| live[*i]).collect()
    }
}
