//! Simplification beyond canonical construction: shorter equal forms of what is printed.
//!
//! The canonical constructors (`crate::expr`) already collect like terms and powers, fold
//! constants and apply the named call rules. What they do not do is choose between equal
//! forms of different lengths: `v*σ(h)*σ(o)*(1 - y) - v*y*σ(h)*(1 - σ(o))` and
//! `v*σ(h)*(σ(o) - y)` are different canonical nodes. [`simplify`] searches for the shorter
//! one by the named rules of [`rules`], measuring length as SymPy's `count_ops` does
//! ([`size::ops`]).
//!
//! # Why a bounded rule loop and not an e-graph
//! The store is hash-consed with canonical n-ary sums and products: commutativity,
//! associativity, like terms and number folding are already normalised by the constructors.
//! An e-graph (egg) would have to re-derive all of that with binary AC rewrites, which is
//! where equality saturation explodes, and would need a second expression language and a
//! translation both ways. Here every rewrite builds its result through the canonical
//! constructors, so the search space is the canonical forms alone, and a bottom-up pass that
//! keeps, at each node, the shortest of the rules' candidates (each subexpression first)
//! finds the forms the rules can reach in a few rounds. The work is bounded twice: by the
//! printed size of the input ([`NODE_BUDGET`]: a larger expression is printed as it is) and
//! by the number of nodes the search may build ([`BUILD_BUDGET`]), both deterministic, so
//! output never depends on the machine's speed.
//!
//! Every rule keeps the value wherever its input is defined. A rule may cancel a part whose
//! definedness mattered (expanding `(a + log(x))*b - b*log(x)` to `a*b` loses `x > 0`): the
//! parts of the input that can be undefined and are no longer part of the result are
//! returned as [`Simplified::conditions`], to be checked beside the result (DESIGN.md,
//! "Domain conditions").

pub mod rational;
pub mod rules;
pub mod size;

use crate::expr::{Builtin, Func, Id, Node, Store};
use std::collections::{HashMap, HashSet};

/// The largest input, in nodes written out ([`crate::print::printed_size`]), that is
/// simplified; a larger one is returned unchanged. Far above what a person reads, far below
/// a deep network's gradient.
pub const NODE_BUDGET: u64 = 2_000;

/// The most new nodes one simplification may build in the store before it stops searching
/// and returns the shortest form found so far.
pub const BUILD_BUDGET: usize = 20_000;

/// How deep a rule may search a part it has made (the sum left once a factor is pulled out):
/// each level multiplies the work by the candidates of the level above.
pub const NESTED_MAX: usize = 3;

/// A simplified expression and the parts of the input it no longer contains that can be
/// undefined (a logarithm, a denominator, a root): the result equals the input wherever the
/// input is defined, and the input is defined exactly where the result and every condition
/// are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Simplified {
    /// The shortest form found (the input itself when nothing shorter was).
    pub id: Id,
    /// Parts of the input that must be defined, no longer implied by the result.
    pub conditions: Vec<Id>,
}

/// The shortest equal form of `root` the rules find, never longer than `root` by
/// [`size::ops`]; `root` itself when its printed size is over [`NODE_BUDGET`].
///
/// ```
/// use chainrule::{expr::Store, print::text, simplify::simplify, syntax::read_expr};
/// let mut store = Store::new();
/// let (e, _) = read_expr(&mut store, "s*(1 - y) - y*(1 - s)", "<expr>").unwrap();
/// let s = simplify(&mut store, e);
/// assert_eq!(text(&store, s.id), "s - y");
/// ```
pub fn simplify(store: &mut Store, root: Id) -> Simplified {
    // The size as a tree, by a walk that stops past the budget: a part of a large shared DAG
    // (one partial of a deep network's gradient) costs the budget, not the DAG's size.
    if !store.tree_size_at_most(root, NODE_BUDGET) {
        return Simplified {
            id: root,
            conditions: Vec::new(),
        };
    }
    let mut s = Search::new(store);
    let found = s.run(root);
    let id = if s.better(found, root) { found } else { root };
    Simplified {
        id,
        conditions: lost_conditions(store, root, id),
    }
}

/// The candidates the rule called `name` ([`rules::RULES`]) makes of `id` alone, each with
/// its subexpressions searched as the rule does; `None` for an unknown name. For showing
/// and testing one rule at a time.
pub fn candidates(store: &mut Store, name: &str, id: Id) -> Option<Vec<Id>> {
    let rule = rules::rule(name)?;
    let mut s = Search::new(store);
    Some(rule(&mut s, id))
}

/// The search state: the store, the shortest form found per node, and where the store
/// stood when the search began (for [`BUILD_BUDGET`]).
pub struct Search<'a> {
    /// The store every candidate is built in.
    pub store: &'a mut Store,
    memo: HashMap<Id, Id>,
    ops: size::Ops,
    start: usize,
    /// How many rules deep the search is in parts rules made.
    depth: usize,
}

impl<'a> Search<'a> {
    /// A search in `store`, its build budget counted from the store's size now.
    fn new(store: &'a mut Store) -> Search<'a> {
        let start = store.len();
        Search {
            store,
            memo: HashMap::new(),
            ops: size::Ops::default(),
            start,
            depth: 0,
        }
    }

    /// Whether the search has built as many nodes as it may.
    pub fn exhausted(&self) -> bool {
        self.store.len() - self.start > BUILD_BUDGET
    }

    /// `count_ops` of `id` as printed.
    pub fn ops(&mut self, id: Id) -> u64 {
        self.ops.of(self.store, id)
    }

    /// Whether `a` is better than `b`: shorter, or as short with fewer nested negations.
    fn better(&mut self, a: Id, b: Id) -> bool {
        match self.ops(a).cmp(&self.ops(b)) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Greater => false,
            std::cmp::Ordering::Equal => {
                a != b
                    && size::nested_negations(self.store, a) < size::nested_negations(self.store, b)
            }
        }
    }

    /// The shortest form found of a part a rule has made, searched only [`NESTED_MAX`] rules
    /// deep (deeper, the part as made).
    pub fn run_nested(&mut self, id: Id) -> Id {
        if self.depth >= NESTED_MAX {
            return id;
        }
        self.depth += 1;
        let r = self.run(id);
        self.depth -= 1;
        r
    }

    /// The shortest form of `id` found: its children's shortest forms first, then the
    /// rules on the node rebuilt from them, a few rounds while one of them shortens it.
    pub fn run(&mut self, id: Id) -> Id {
        if let Some(&r) = self.memo.get(&id) {
            return r;
        }
        let r = stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || {
            let node = self.store.node(id).clone();
            if matches!(node, Node::Num(_) | Node::Sym(_)) {
                return id;
            }
            let mut kids = HashMap::new();
            for c in node.children() {
                let r = self.run(c);
                kids.insert(c, r);
            }
            let rebuilt = self.store.rebuild(&node, &|c| kids[&c]);
            self.best_of(rebuilt)
        });
        self.memo.insert(id, r);
        self.memo.entry(r).or_insert(r);
        r
    }

    /// The shortest of `id` and what the rules make of it, in up to [`ROUNDS`] rounds.
    fn best_of(&mut self, id: Id) -> Id {
        let mut best = id;
        for _ in 0..ROUNDS {
            let mut improved = false;
            for (_, rule) in rules::RULES {
                if self.exhausted() {
                    return best;
                }
                for c in rule(self, best) {
                    if self.better(c, best) {
                        (best, improved) = (c, true);
                    }
                }
            }
            if !improved {
                break;
            }
        }
        best
    }
}

/// Rounds of rules on one node.
const ROUNDS: usize = 4;

/// Whether a node can be undefined on its own (a denominator, a root, a logarithm, a power
/// with a symbolic exponent, an unspecified function), given defined children.
fn partial(store: &Store, id: Id) -> bool {
    match store.node(id) {
        Node::Num(_) | Node::Sym(_) | Node::Add(_) => false,
        Node::Mul(p) => p.factors().iter().any(|(_, e)| e.denom() != &1 || *e < 0),
        Node::Pow(..) => true,
        Node::Call(Func::Builtin(b), _) => matches!(b, Builtin::Log | Builtin::Tan | Builtin::Cot),
        Node::Call(Func::Abstract(_), _) => true,
    }
}

/// The partial nodes of `before` that `after` no longer contains, without those contained
/// in another of them (checked with it anyway).
fn lost_conditions(store: &Store, before: Id, after: Id) -> Vec<Id> {
    if before == after {
        return Vec::new();
    }
    let kept: HashSet<Id> = store.reachable(&[after]).into_iter().collect();
    let lost: Vec<Id> = store
        .reachable(&[before])
        .into_iter()
        .filter(|id| !kept.contains(id) && partial(store, *id))
        .collect();
    // Highest first: a lost node reached from a kept condition is covered by it.
    let mut covered: HashSet<Id> = HashSet::new();
    let mut out = Vec::new();
    for &id in lost.iter().rev() {
        if covered.contains(&id) {
            continue;
        }
        for c in store.reachable(&[id]) {
            covered.insert(c);
        }
        out.push(id);
    }
    out.reverse();
    out
}
