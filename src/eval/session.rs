//! Many formulas evaluated with the same variables, each node once: a program's forward and
//! backward passes ([`Session`]).
//!
//! [`super::evaluate_with`] evaluates the nodes one call reaches and forgets them. A program's
//! passes make hundreds of thousands of calls (one per definition, adjoint, local partial),
//! each binding one more name, and the later ones read the values of the earlier (`δ_z1 =
//! δ_x1·sigmoid(z1)·(1 - sigmoid(z1))` reads x1's `sigmoid(z1)`). A session keeps every value
//! it has computed, in one array indexed through a table by node id, and names are bound to
//! values in that array: no map of names to copies of values, and no walk over the nodes a
//! call reaches beyond those not yet computed.
//!
//! Each value is computed by the same function as in [`super::evaluate_with`]
//! ([`super::node_value`]) on the same operand values, so the numbers are the same; the nodes a call computes are
//! computed in increasing id order, so a failure is the one [`super::evaluate_with`] reports
//! (the first failing node of the call, children first, by id).

use super::{Backend, EvalError};
use crate::expr::{Condition, Id, Node, Store, Sym};

/// A node not computed (in [`Session::slot`]).
const NONE: u32 = u32::MAX;
/// A node about to be computed by the current call.
const PENDING: u32 = u32::MAX - 1;

/// A binding of a name: the index of its value, and whether a node has read it.
#[derive(Clone, Copy)]
struct Binding {
    value: u32,
    read: bool,
}

/// Values of nodes and names, computed once each with one backend ([`super`]'s module text
/// says why).
pub(crate) struct Session<'s, B: Backend> {
    store: &'s Store,
    backend: &'s B,
    /// Per node id, the index of its value in `vals`, [`NONE`] or [`PENDING`].
    slot: Vec<u32>,
    vals: Vec<B::V>,
    /// Per symbol (by [`Sym::index`]), its binding; [`NONE`] as the value where unbound.
    env: Vec<Binding>,
    /// Scratch of [`Session::eval`]: the walk's stack, the nodes to compute.
    stack: Vec<Id>,
    todo: Vec<Id>,
}

impl<'s, B: Backend> Session<'s, B> {
    /// A session over `store`'s nodes as they are now (nodes built later are not evaluated).
    pub(crate) fn new(store: &'s Store, backend: &'s B) -> Self {
        Session {
            store,
            backend,
            slot: vec![NONE; store.len()],
            vals: Vec::new(),
            env: Vec::new(),
            stack: Vec::new(),
            todo: Vec::new(),
        }
    }

    /// Makes room for `values` values and `names` names (a program knows roughly how many).
    pub(crate) fn reserve(&mut self, values: usize, names: usize) {
        self.vals.reserve(values);
        // Symbols are numbered densely as they are interned: a program's names are most of
        // its store's symbols.
        self.env.reserve(names.min(self.store.symbol_count()));
    }

    /// The backend.
    pub(crate) fn backend(&self) -> &'s B {
        self.backend
    }

    /// Keeps a value, returning its index.
    pub(crate) fn push(&mut self, v: B::V) -> u32 {
        self.vals.push(v);
        (self.vals.len() - 1) as u32
    }

    /// The value at an index.
    pub(crate) fn get(&self, i: u32) -> &B::V {
        &self.vals[i as usize]
    }

    /// Binds `s` to the value at index `i`. Rebinding a name whose value a node has already
    /// read forgets every computed node (they may depend on it), as evaluating from scratch
    /// with the new binding would.
    pub(crate) fn bind(&mut self, s: Sym, i: u32) {
        if self.env.len() <= s.index() {
            let unbound = Binding {
                value: NONE,
                read: false,
            };
            self.env.resize(s.index() + 1, unbound);
        }
        let old = std::mem::replace(
            &mut self.env[s.index()],
            Binding {
                value: i,
                read: false,
            },
        );
        if old.value != NONE && old.read {
            self.slot.iter_mut().for_each(|v| *v = NONE);
        }
    }

    /// Whether `s` is bound.
    pub(crate) fn is_bound(&self, s: Sym) -> bool {
        self.env.get(s.index()).is_some_and(|b| b.value != NONE)
    }

    /// The index of the value of `id`, computed if need be, with everything it reaches.
    pub(crate) fn value(&mut self, id: Id) -> Result<u32, EvalError> {
        self.eval(&[id])?;
        Ok(self.slot[id.index()])
    }

    /// The index of the value of `id`, if computed.
    pub(crate) fn index_of(&self, id: Id) -> Option<u32> {
        match self.slot[id.index()] {
            NONE | PENDING => None,
            i => Some(i),
        }
    }

    /// The values, indexed as [`Session::push`] and [`Session::value`] say.
    pub(crate) fn into_values(self) -> Vec<B::V> {
        self.vals
    }

    /// Computes `roots` and every node they reach that is not computed yet, in increasing id
    /// order (children first), stopping at the first failure.
    pub(crate) fn eval(&mut self, roots: &[Id]) -> Result<(), EvalError> {
        let (mut stack, mut todo) = (
            std::mem::take(&mut self.stack),
            std::mem::take(&mut self.todo),
        );
        todo.clear();
        stack.extend_from_slice(roots);
        while let Some(id) = stack.pop() {
            let slot = &mut self.slot[id.index()];
            if *slot != NONE {
                continue;
            }
            *slot = PENDING;
            todo.push(id);
            let slots = &self.slot;
            self.store.node(id).for_each_child(|c| {
                if slots[c.index()] == NONE {
                    stack.push(c)
                }
            });
        }
        todo.sort_unstable();
        let mut result = Ok(());
        for (k, &id) in todo.iter().enumerate() {
            match self.compute(id) {
                Ok(i) => self.slot[id.index()] = i,
                Err(e) => {
                    for r in &todo[k..] {
                        self.slot[r.index()] = NONE;
                    }
                    result = Err(e);
                    break;
                }
            }
        }
        (self.stack, self.todo) = (stack, todo);
        result
    }

    /// The value of one node whose children are computed: its index (a new value, or a
    /// name's).
    fn compute(&mut self, id: Id) -> Result<u32, EvalError> {
        let (store, backend) = (self.store, self.backend);
        let node = store.node(id);
        if let Node::Sym(s) = node {
            let b = self
                .env
                .get_mut(s.index())
                .filter(|b| b.value != NONE)
                .ok_or(EvalError::Unbound(*s))?;
            b.read = true;
            return Ok(b.value);
        }
        let (slot, vals) = (&self.slot, &self.vals);
        let v = super::node_value(store, backend, id, |c| &vals[slot[c.index()] as usize])?;
        Ok(self.push(v))
    }

    /// [`Session::eval`] that also checks domain conditions, as
    /// [`super::evaluate_with_conditions`] does.
    pub(crate) fn eval_with_conditions(
        &mut self,
        roots: &[Id],
        conditions: &[Condition],
    ) -> Result<(), EvalError> {
        if conditions.is_empty() {
            return self.eval(roots);
        }
        let store = self.store;
        let conditions = super::checkable_conditions(store, conditions, |s| self.is_bound(s));
        super::with_conditions(store, roots, conditions, |all| self.eval(all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{Exact, ExactVal, F64, Mpfr, evaluate_with};
    use crate::syntax::read_expr;
    use rug::{Float, Rational};
    use std::collections::HashMap;

    fn lower(store: &mut Store, src: &str) -> Id {
        read_expr(store, src, "<test>").unwrap().0
    }

    /// Formulas sharing nodes, and the point.
    fn program() -> (Store, Vec<Id>, Vec<(Sym, Rational)>) {
        let mut store = Store::new();
        let srcs = [
            "a*b",
            "sigmoid(a*b) + log(a)",
            "(a - b)^2*exp(a) - sigmoid(a*b)",
            "max(a, b, 1/3) + min(a*b, abs(b))",
            "sqrt(a) + a^(1/3) + a^b + (a - b)^2",
            "relu(b) + step(a - b)",
        ];
        let roots = srcs.iter().map(|s| lower(&mut store, s)).collect();
        let (a, b) = (store.intern("a"), store.intern("b"));
        let point = vec![(a, Rational::from((7, 3))), (b, Rational::from((-5, 4)))];
        (store, roots, point)
    }

    /// One root at a time in one session gives what `evaluate_with` gives for each alone.
    fn same_values<B: Backend>(backend: &B, value: impl Fn(&Rational) -> B::V)
    where
        B::V: PartialEq + std::fmt::Debug,
    {
        let (store, roots, point) = program();
        let env: HashMap<Sym, B::V> = point.iter().map(|(s, r)| (*s, value(r))).collect();
        let mut s = Session::new(&store, backend);
        for (name, r) in &point {
            let i = s.push(value(r));
            s.bind(*name, i);
        }
        for &root in &roots {
            let want = evaluate_with(&store, &[root], &env, backend).unwrap();
            let got = s.value(root).unwrap();
            assert_eq!(s.get(got), &want[0]);
        }
    }

    #[test]
    fn a_session_computes_what_each_formula_alone_computes() {
        same_values(&Mpfr::new(200), |r| Float::with_val(200, r));
        same_values(&F64, crate::eval::nearest_f64);
        same_values(&Exact::new(10_000), |r| ExactVal::Q(r.clone()));
    }

    #[test]
    fn a_session_reports_the_failure_evaluate_with_reports() {
        let mut store = Store::new();
        let shared = lower(&mut store, "a - b");
        // Both logarithms fail at a = b; the report names the first by id, as alone.
        let both = lower(&mut store, "log(a - b) + log(b - a) + c");
        let unbound = lower(&mut store, "a + c");
        let (a, b) = (store.intern("a"), store.intern("b"));
        let env: HashMap<Sym, Float> = [(a, Float::with_val(64, 2)), (b, Float::with_val(64, 2))]
            .into_iter()
            .collect();
        let backend = Mpfr::new(64);
        let mut s = Session::new(&store, &backend);
        for (name, v) in &env {
            let i = s.push(v.clone());
            s.bind(*name, i);
        }
        s.value(shared).unwrap();
        for root in [both, unbound] {
            let want = evaluate_with(&store, &[root], &env, &backend).unwrap_err();
            assert!(matches!(
                want,
                EvalError::Domain(..) | EvalError::Unbound(_)
            ));
            assert_eq!(s.value(root).unwrap_err(), want);
        }
        // And again: a failed call leaves nothing half computed.
        let want = evaluate_with(&store, &[both], &env, &backend).unwrap_err();
        assert_eq!(s.value(both).unwrap_err(), want);
    }

    #[test]
    fn rebinding_a_name_already_read_recomputes_what_depends_on_it() {
        let mut store = Store::new();
        let f = lower(&mut store, "x + 1");
        let x = store.intern("x");
        let mut s = Session::new(&store, &F64);
        let one = s.push(1.0);
        s.bind(x, one);
        let v = s.value(f).unwrap();
        assert_eq!(*s.get(v), 2.0);
        let five = s.push(5.0);
        s.bind(x, five);
        let v = s.value(f).unwrap();
        assert_eq!(*s.get(v), 6.0);
    }
}
