//! The backward pass and the other views of the chain rule over a program: the paths from
//! the output to a variable, the sizes of their chain-rule forms, the expanded gradient.

use super::{Adjoint, Backward, Edge, Network};
use crate::diff::{diff, partial_in_own_name};
use crate::expr::{Id, Node, Store, Sym};
use std::collections::HashMap;

/// `local` (a partial of the definition `name = formula`) with `formula` written as `name`,
/// as every backprop lecture writes the local derivatives: with `p = sigmoid(z)`, σ'(z) is
/// `p*(1 - p)`; with `h = tanh(a)`, tanh'(a) is `1 - h^2`; with `e = exp(a)`, it is `e`.
/// The value is the same (`name` is bound to the value of `formula` in the backward pass),
/// and `name` is defined wherever `formula` is.
fn in_own_name(store: &mut Store, local: Id, formula: Id, name: Sym) -> Id {
    // A name or number is written so already; nor can a leaf `local` hold a compound `formula`.
    let leaf = |id: Id| matches!(store.node(id), Node::Sym(_) | Node::Num(_));
    if leaf(formula) || leaf(local) {
        return local;
    }
    // Where `formula` is not reached, nothing is replaced and `local` comes back as it is.
    store.map_nodes(local, |store, id, _| {
        if id == formula {
            Some(store.sym_node(name))
        } else {
            None
        }
    })
}

/// The users of each name, `(user, ∂user/∂name)`, in a table by symbol number.
struct Users(Vec<Vec<(Sym, Id)>>);

impl Users {
    fn get(&self, s: Sym) -> &[(Sym, Id)] {
        self.0.get(s.index()).map_or(&[], Vec::as_slice)
    }
    fn take(&mut self, s: Sym) -> Vec<(Sym, Id)> {
        self.0
            .get_mut(s.index())
            .map(std::mem::take)
            .unwrap_or_default()
    }
}

/// From how many adjoints [`Network::delta_syms`] writes their names on two threads: a
/// thread costs tens of microseconds, a name tens of nanoseconds.
const PARALLEL_NAMES: usize = 4096;

/// The adjoints' symbols `δ_v`, by symbol number.
struct Deltas(Vec<Option<Sym>>);

impl Network {
    /// The symbol `δ_v` for a variable. No name of the program starts with
    /// [`super::ADJOINT_PREFIX`] (`load` refuses one), so it is the adjoint's own.
    fn delta_sym(&mut self, v: Sym) -> Sym {
        let name = super::load::adjoint_name(self.store.name(v));
        self.store.intern(&name)
    }

    /// The backward pass, symbolically.
    pub fn backward(&mut self) -> Backward {
        self.backward_for(&[])
    }

    /// The backward pass with, besides the parameters' gradients, the adjoints of the inputs
    /// `extra` (data inputs, say) appended to [`Backward::gradient`], for reports about any
    /// name of the program. Names already in the pass are not repeated.
    pub fn backward_for(&mut self, extra: &[Sym]) -> Backward {
        let live = self.live_defs();
        let mut users = self.users();
        let mut deltas = Deltas(vec![None; self.store.symbol_count()]);
        let mut wanted = self.params.clone();
        for v in extra {
            if !wanted.contains(v) && !live.iter().any(|&i| self.defs[i].name == *v) {
                wanted.push(*v);
            }
        }
        // The adjoints' symbols, in the order the pass makes them: the definitions from the
        // output down, then the parameters.
        let of: Vec<Sym> = live
            .iter()
            .rev()
            .map(|&i| self.defs[i].name)
            .chain(wanted.iter().copied())
            .collect();
        let delta = self.delta_syms(&of);
        for (v, d) in of.iter().zip(&delta) {
            if let Some(slot) = deltas.0.get_mut(v.index()) {
                *slot = Some(*d);
            }
        }
        let mut adjoint =
            |net: &mut Self, k: usize| net.adjoint(of[k], delta[k], &mut users, &deltas);
        let adjoints = (0..live.len()).map(|k| adjoint(self, k)).collect();
        let gradient = (live.len()..of.len()).map(|k| adjoint(self, k)).collect();
        Backward { adjoints, gradient }
    }

    /// The symbols `δ_v` of the variables `of`, made in that order. A large program's names
    /// are written on two threads first (each reads a name made long before, from memory
    /// the caches no longer hold: a tenth of the 10^5-layer backward pass).
    fn delta_syms(&mut self, of: &[Sym]) -> Vec<Sym> {
        if of.len() < PARALLEL_NAMES {
            return of.iter().map(|v| self.delta_sym(*v)).collect();
        }
        let store = &self.store;
        let names = |part: &[Sym]| -> Vec<String> {
            part.iter()
                .map(|v| super::load::adjoint_name(store.name(*v)))
                .collect()
        };
        let (a, b) = of.split_at(of.len() / 2);
        let (mut names, b) = crate::parallel::join(|| names(a), || names(b));
        names.extend(b);
        names.iter().map(|n| self.store.intern(n)).collect()
    }

    /// The adjoint `δ_v = Σ_u δ_u · ∂u/∂v`, its symbol `delta`, over the users `u` of `v`
    /// (taken from `users`: each name's adjoint is made once).
    fn adjoint(&mut self, v: Sym, delta: Sym, users: &mut Users, deltas: &Deltas) -> Adjoint {
        let out = self.defs[self.output].name;
        if v == out {
            let one = self.store.num(1);
            return Adjoint {
                of: v,
                delta,
                terms: vec![],
                formula: one,
            };
        }
        let terms = users.take(v);
        let mut f_terms = Vec::new();
        for (u, local) in &terms {
            // δ_E = 1: write the output's users' terms without it.
            let du_node = if *u == out {
                self.store.num(1)
            } else {
                // Every adjoint's symbol is made before the pass (`delta_syms`).
                let du = match deltas.0.get(u.index()) {
                    Some(Some(du)) => *du,
                    _ => self.delta_sym(*u),
                };
                self.store.sym_node(du)
            };
            f_terms.push(self.store.mul(du_node, *local));
        }
        let formula = self.store.add_all(f_terms);
        Adjoint {
            of: v,
            delta,
            terms,
            formula,
        }
    }

    /// `∂E/∂v` in terms of intermediates and inputs: every `δ` of `bw` inlined. Each product
    /// is flattened, so in a deep chain this costs time quadratic in the depth: it is for
    /// display, while the backward pass itself keeps the adjoints shared.
    pub fn inlined(&mut self, bw: &Backward, v: Sym) -> Id {
        let by_sym: HashMap<Sym, &Adjoint> = bw
            .adjoints
            .iter()
            .chain(&bw.gradient)
            .map(|a| (a.of, a))
            .collect();
        let Some(target) = by_sym.get(&v) else {
            return self.store.num(0);
        };
        let mut memo: HashMap<Sym, Id> = HashMap::new();
        // The adjoints in sweep order: each depends only on earlier ones.
        for a in bw.adjoints.iter().chain(&bw.gradient) {
            let id = if a.terms.is_empty() {
                self.store
                    .num(if a.of == self.output_def().name { 1 } else { 0 })
            } else {
                let terms: Vec<Id> = a
                    .terms
                    .iter()
                    .map(|(u, local)| {
                        let du = memo[u];
                        self.store.mul(du, *local)
                    })
                    .collect();
                self.store.add_all(terms)
            };
            memo.insert(a.of, id);
            if a.of == target.of {
                return id;
            }
        }
        memo[&v]
    }

    /// The local derivatives of the definitions the output depends on: `(user, used,
    /// ∂user/∂used)` for each name a definition uses with a nonzero partial, users from the
    /// output down.
    fn local_edges(&mut self) -> Vec<Edge> {
        let mut edges = Vec::new();
        for i in self.live_defs().into_iter().rev() {
            let (u, f) = (self.defs[i].name, self.defs[i].formula);
            // A built-in of one name (`x1 = sigmoid(z1)`, half of a layered network's
            // definitions): its derivative made in its own name at once, the node
            // `in_own_name` would give.
            if let Node::Call(_, args) = self.store.node(f)
                && let &[a] = &**args
                && let Node::Sym(w) = *self.store.node(a)
            {
                let own = self.store.sym_node(u);
                if let Some(local) = partial_in_own_name(&mut self.store, f, own) {
                    if !self.store.is_zero(local) {
                        edges.push((u, w, local));
                    }
                    continue;
                }
            }
            for w in self.store.free_symbols(f) {
                let local = diff(&mut self.store, f, w);
                let local = in_own_name(&mut self.store, local, f, u);
                if !self.store.is_zero(local) {
                    edges.push((u, w, local));
                }
            }
        }
        edges
    }

    /// The users of each name: `(user, ∂user/∂name)`, users from the output down.
    fn users(&mut self) -> Users {
        let mut users = Users(vec![Vec::new(); self.store.symbol_count()]);
        for (u, w, local) in self.local_edges() {
            users.0[w.index()].push((u, local));
        }
        users
    }

    /// For each variable, the number of paths from the output down to it and the number of
    /// local factors along all of them together (saturating): the size of the chain-rule
    /// form, computed in time linear in the program, before anyone writes it out.
    pub fn chain_sizes(&mut self) -> HashMap<Sym, (u64, u64)> {
        let out = self.defs[self.output].name;
        let mut sizes: HashMap<Sym, (u64, u64)> = HashMap::from([(out, (1, 0))]);
        // Edges come user by user from the output down, so a user's totals are final
        // before they flow into the names it uses.
        for (u, w, _) in self.local_edges() {
            let Some(&(paths, factors)) = sizes.get(&u) else {
                continue;
            };
            let e = sizes.entry(w).or_insert((0, 0));
            e.0 = e.0.saturating_add(paths);
            e.1 = e.1.saturating_add(factors.saturating_add(paths));
        }
        sizes
    }

    /// The paths from the output down to `v`, each a list of edges `(user, used, ∂user/∂used)`
    /// from the output downwards; `None` when there are more than `max` paths.
    pub fn paths(&mut self, v: Sym, max: usize) -> Option<Vec<Vec<Edge>>> {
        let live = self.live_defs();
        let out = self.defs[self.output].name;
        let index: HashMap<Sym, usize> = live.iter().map(|&i| (self.defs[i].name, i)).collect();
        let users = self.users();
        // Walk up from v to the output, depth first. A partial path is a chain of parent
        // links into `steps`, so extending it costs O(1) however deep the network is.
        let mut steps: Vec<(Edge, Option<usize>)> = Vec::new();
        let mut done: Vec<Vec<Edge>> = Vec::new();
        let mut stack: Vec<(Sym, Option<usize>)> = vec![(v, None)];
        while let Some((w, tail)) = stack.pop() {
            if w == out {
                // Follow the links from the output's end back down to v.
                let mut path = Vec::new();
                let mut at = tail;
                while let Some(k) = at {
                    path.push(steps[k].0);
                    at = steps[k].1;
                }
                done.push(path);
                if done.len() > max {
                    return None;
                }
                continue;
            }
            for (u, local) in users.get(w) {
                steps.push(((*u, w, *local), tail));
                stack.push((*u, Some(steps.len() - 1)));
            }
        }
        // A stable order: by the definitions along the path, from the output down.
        done.sort_by_key(|p| {
            p.iter()
                .map(|e| std::cmp::Reverse(index[&e.0]))
                .collect::<Vec<_>>()
        });
        Some(done)
    }

    /// `∂output/∂p` of the fully expanded output, by direct differentiation.
    ///
    /// Small programs are differentiated once per parameter, which prints each partial in its
    /// most readable grouping; large ones by one reverse sweep ([`crate::diff::gradient`]),
    /// linear in the program where one `diff` per parameter would be quadratic.
    pub fn expanded_gradient(&mut self) -> Vec<Id> {
        const PER_PARAMETER_WORK: usize = 200_000;
        let root = self.defs[self.output].expanded;
        let params = self.params.clone();
        if params.len().saturating_mul(self.store.dag_size(root)) > PER_PARAMETER_WORK {
            return crate::diff::gradient(&mut self.store, root, &params);
        }
        params
            .iter()
            .map(|p| diff(&mut self.store, root, *p))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::in_own_name;
    use crate::diff::{diff, partial_in_own_name};
    use crate::expr::{BUILTINS, Store};

    /// The local derivative of `x = b(t)` made in its own name at once is the node that
    /// differentiating and then writing it in its own name gives, for every built-in of one
    /// argument (`sigmoid'` as `x·(1 - x)`, `exp'` as `x`, `tanh'` as `1 - x^2`, and those
    /// whose derivative does not use their value).
    #[test]
    fn a_builtins_derivative_in_its_own_name_is_the_rewritten_one() {
        for b in BUILTINS.into_iter().filter(|b| b.takes(1)) {
            let mut s = Store::new();
            let (t, x) = (s.intern("t"), s.intern("x"));
            let tn = s.sym_node(t);
            let f = s.apply(b, tn);
            let own = s.sym_node(x);
            let rewritten = {
                let d = diff(&mut s, f, t);
                in_own_name(&mut s, d, f, x)
            };
            assert_eq!(
                partial_in_own_name(&mut s, f, own),
                Some(rewritten),
                "{b:?}"
            );
        }
        let mut s = Store::new();
        let t = s.sym("t");
        let two = s.add(t, t);
        assert_eq!(partial_in_own_name(&mut s, two, t), None);
    }
}
