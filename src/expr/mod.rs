//! The expression DAG: a hash-consed [`Store`] of [`Node`]s addressed by small [`Id`]s.
//!
//! Every node is built by the canonical constructors in `build.rs`, so two equal expressions are
//! one node and structural equality is id equality. A node's children always have smaller ids
//! than the node itself (checked with `debug_assert!` on insertion, as egg's `RecExpr::add`
//! does), so evaluators and printers can walk nodes in index order without recursion.

mod build;
mod coeff;
mod condition;
mod func;
mod memo;
mod order;
mod rules;

pub(crate) use build::{is_int, rational_bits, rational_powi};
pub use coeff::{Q, owned_pairs};
pub use condition::Condition;
pub(crate) use condition::prune_conditions;
pub use func::{AbstractFn, BUILTINS, Builtin, Func, NoExactValue};
pub(crate) use memo::{Memo, name_near};
pub(crate) use order::{natural_cmp, structural_cmp};

use rug::Rational;
use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};

/// The hasher of rustc (`FxHasher`): a multiply and a rotate per word. Nodes are small and
/// not chosen by an adversary who could aim at collisions, so SipHash's cost buys nothing.
#[derive(Default)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn finish(&self) -> u64 {
        // The multiply mixes the high bits best, and a `HashMap` (hashbrown) picks a bucket
        // by the low bits: rotated, the well-mixed bits are the low ones (as rustc-hash 2
        // does). Unrotated, the low bits depend on the first bytes of a string alone: the 2·10^5
        // names `z1`…`x100000` of a program fell into 576 buckets, and each lookup in the
        // loader's table of names went through hundreds of them.
        self.0.rotate_left(26)
    }
}

/// A 32-bit hash for the hash-consing tables (and the other tables made with [`Memo`]):
/// the state's top 32 bits, the ones the multiply mixes best.
pub(crate) fn hash32<T: Hash + ?Sized>(x: &T) -> u32 {
    let mut h = FxHasher::default();
    x.hash(&mut h);
    (h.0 >> 32) as u32
}

/// Where a node's entry in the hash-consing table goes: beside the entries of the nodes made
/// about when its newest child was, which are in the caches when a node is made from new ones.
fn newest_child(node: &Node) -> Option<u32> {
    let mut top = None;
    node.for_each_child(|c| top = top.max(Some(c.0)));
    top
}

/// Records node number `memo.len()` of `nodes` in the hash-consing table `memo`, with its hash
/// and newest child (`nodes` gives the others' newest children when the table grows).
fn record(memo: &mut Memo, nodes: &[Node], hash: u32, near: Option<u32>) {
    memo.insert_near(hash, near, |i| newest_child(&nodes[i as usize]));
}

/// Positions of ids in a sorted list of them (as [`Store::reachable`] returns): a direct
/// table when the list is dense among the ids below its last, else binary search.
pub(crate) struct Positions(Vec<u32>);

impl Positions {
    pub(crate) fn new(order: &[Id]) -> Positions {
        let top = order.last().map_or(0, |id| id.index() + 1);
        if top > 16 * order.len() {
            return Positions(Vec::new());
        }
        let mut table = vec![u32::MAX; top];
        for (p, id) in order.iter().enumerate() {
            table[id.index()] = p as u32;
        }
        Positions(table)
    }

    /// The position of `id` in `order` (the list this was made from).
    pub(crate) fn get(&self, order: &[Id], id: Id) -> Option<usize> {
        if self.0.is_empty() {
            return order.binary_search(&id).ok();
        }
        match self.0.get(id.index()) {
            Some(&p) if p != u32::MAX => Some(p as usize),
            _ => None,
        }
    }
}

/// A handle to a node in a [`Store`]: a typed index, never a bare one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(u32);

impl Id {
    /// The position of the node in its store.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// An interned symbol name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Sym(u32);

impl Sym {
    /// The symbol's number in its store: symbols are numbered 0, 1, 2, … as they are
    /// interned, so tables by symbol can be vectors.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A sum in canonical form: a rational constant plus a list of `(term, coefficient)` pairs,
/// sorted by term id, with no zero coefficient, no term that is a number or a sum, and no term
/// that is a product with a coefficient other than 1 — except that a sum larger than
/// [`FLAT_MAX`] stays one term (and may carry a coefficient). Only [`Store`]'s constructors
/// make one.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Sum {
    constant: Q,
    terms: Box<[(Id, Q)]>,
}

impl Sum {
    /// The constant term (possibly zero).
    pub fn constant(&self) -> &Rational {
        &self.constant
    }
    /// [`Self::constant`] as the node keeps it.
    pub fn constant_q(&self) -> &Q {
        &self.constant
    }
    /// The non-constant terms with their coefficients.
    pub fn terms(&self) -> &[(Id, Q)] {
        &self.terms
    }
}

/// A product in canonical form: a nonzero rational coefficient times a list of
/// `(base, exponent)` pairs with nonzero rational exponents, sorted by base id, no base a
/// number raised to an integer power, no base a product raised to an integer power unless
/// that product is larger than [`FLAT_MAX`].
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Product {
    coeff: Q,
    factors: Box<[(Id, Q)]>,
}

impl Product {
    /// The numeric coefficient.
    pub fn coeff(&self) -> &Rational {
        &self.coeff
    }
    /// [`Self::coeff`] as the node keeps it.
    pub fn coeff_q(&self) -> &Q {
        &self.coeff
    }
    /// Whether the coefficient is the integer `k` (for a small one, without GMP).
    pub fn coeff_is(&self, k: i32) -> bool {
        self.coeff == k
    }
    /// The factors `(base, exponent)`.
    pub fn factors(&self) -> &[(Id, Q)] {
        &self.factors
    }
}

/// One node of the DAG. Children are ids; leaves are exact rationals and interned symbols.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Node {
    /// An exact rational constant.
    Num(Q),
    /// A variable.
    Sym(Sym),
    /// A canonical sum.
    Add(Sum),
    /// A canonical product (including rational powers such as `x^(1/2)` and `1/x`).
    Mul(Product),
    /// A power whose exponent is not a number: `base ^ exponent`.
    Pow(Id, Id),
    /// A function applied to arguments.
    Call(Func, Box<[Id]>),
}

impl Node {
    /// The node's children, in order.
    pub fn children(&self) -> Vec<Id> {
        match self {
            Node::Num(_) | Node::Sym(_) => Vec::new(),
            Node::Add(s) => s.terms.iter().map(|(t, _)| *t).collect(),
            Node::Mul(p) => p.factors.iter().map(|(b, _)| *b).collect(),
            Node::Pow(b, e) => vec![*b, *e],
            Node::Call(_, args) => args.to_vec(),
        }
    }

    /// Calls `f` on each child, in order, without allocating.
    pub(crate) fn for_each_child(&self, mut f: impl FnMut(Id)) {
        match self {
            Node::Num(_) | Node::Sym(_) => {}
            Node::Add(s) => s.terms.iter().for_each(|(t, _)| f(*t)),
            Node::Mul(p) => p.factors.iter().for_each(|(b, _)| f(*b)),
            Node::Pow(b, e) => {
                f(*b);
                f(*e);
            }
            Node::Call(_, args) => args.iter().for_each(|a| f(*a)),
        }
    }
}

/// Limits that keep exact arithmetic and construction from exploding.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The largest exact number, in bits of numerator plus denominator, that constant folding
    /// and exact evaluation will produce. Larger powers stay unevaluated.
    pub max_exact_bits: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_exact_bits: 1 << 20,
        }
    }
}

/// Largest expanded size (factors of a product, terms of a sum, counted through the nested
/// products and sums that flattening would open) that the canonical constructors still merge
/// into a parent. Larger products and sums stay single bases and terms, shared by reference:
/// a deep chain's gradient would otherwise hold a quadratic number of links (DESIGN.md,
/// "Sharing versus flattening"). Small expressions, the ones people read, are fully flat.
pub const FLAT_MAX: u32 = 16;

/// Owner of every node. Building a node that already exists returns the existing id.
#[derive(Default)]
pub struct Store {
    nodes: Vec<Node>,
    /// Per node, its expanded size (saturating: only sizes up to [`FLAT_MAX`] matter).
    flat: Vec<u8>,
    /// Hash-consing: finds the node equal to one about to be built.
    memo: memo::Memo,
    /// The nodes of the numbers 0 and 1, once [`Store::num`] has made or found them.
    units: [Option<Id>; 2],
    names: Vec<Box<str>>,
    /// Finds a symbol by name (each name is stored once, in `names`).
    name_ids: memo::Memo,
    /// Per symbol, its node (`u32::MAX` while it has none): found by the symbol's number,
    /// not in the hash-consing table, where the node of a name made long before is a cache
    /// miss.
    sym_nodes: Vec<u32>,
    /// Which built-in functions a node of the store calls: bit `b as u32` for [`Builtin`] `b`
    /// ([`Store::calls_builtin`]).
    builtins: u32,
    /// `diff`'s memo: the derivative of a node by a symbol, once computed. expr never reads
    /// it. It lives here because an id means something only in its store and the store only
    /// grows, so an entry is valid exactly as long as the store; and `diff` takes the store
    /// alone (`diff(&mut store, e, w)`, from lowering `d(…)`, programs, checks and tests), so
    /// a memo owned elsewhere would be one more object every caller must carry and keep
    /// paired with its store, or one dropped between calls (each `d(…)` and each parameter
    /// of a gradient would differentiate the shared part of the DAG again).
    pub(crate) diff_memo: HashMap<(Id, Sym), Id, std::hash::BuildHasherDefault<FxHasher>>,
    /// Per `max`/`min` call of 3 or more arguments, the number of arguments tied for the
    /// extremum (a node), shared by the partials by every argument (see `crate::diff`).
    pub(crate) tie_counts: HashMap<Id, Id, std::hash::BuildHasherDefault<FxHasher>>,
    limits: Limits,
    /// Parameter names of declared unspecified functions (`fn ℓ(y, ŷ)`), for printing their
    /// partials the way a textbook does (`∂_ŷ ℓ` in LaTeX).
    param_names: HashMap<Sym, Vec<String>>,
    /// How the user wrote the value of an input (`--at b=6.8813735870195432`), with the exact
    /// value it stands for: points print as written, computations use the exact value.
    written_values: HashMap<Sym, (Rational, String)>,
}

// One bit a built-in function in [`Store`]'s `builtins`.
const _: () = assert!(BUILTINS.len() <= 32);

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Store({} nodes)", self.nodes.len())
    }
}

impl Store {
    /// An empty store with default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store with the given limits.
    pub fn with_limits(limits: Limits) -> Self {
        Store {
            limits,
            ..Self::default()
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The node behind an id.
    pub fn node(&self, id: Id) -> &Node {
        &self.nodes[id.index()]
    }

    /// Makes room for `additional` more nodes (a program's loader knows about how many), so
    /// that the list of nodes is not copied to a larger one again and again as it grows.
    pub fn reserve(&mut self, additional: usize) {
        self.nodes.reserve(additional);
        self.flat.reserve(additional);
    }

    /// How many nodes the store holds.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Interns a symbol name.
    pub fn intern(&mut self, name: &str) -> Sym {
        let (hash, near) = (hash32(name), memo::name_near(name));
        let names = &self.names;
        if let Some(i) = self
            .name_ids
            .find_near(hash, near, |i| &*names[i as usize] == name)
        {
            return Sym(i);
        }
        let s = Sym(self.names.len() as u32);
        self.names.push(name.into());
        let names = &self.names;
        self.name_ids
            .insert_near(hash, near, |i| memo::name_near(&names[i as usize]));
        s
    }

    /// The symbol numbered `k` ([`Sym::index`]); `k` must be below [`Self::symbol_count`].
    pub fn sym_at(&self, k: usize) -> Sym {
        assert!(k < self.names.len(), "no symbol numbered {k}");
        Sym(k as u32)
    }

    /// How many symbols were interned: every [`Sym::index`] is below it.
    pub fn symbol_count(&self) -> usize {
        self.names.len()
    }

    /// Whether any node of the store calls one of `builtins` (a question answered without a
    /// walk: a program without `relu`, `abs`, `max` or `min` has no kink to look for).
    pub fn calls_builtin(&self, builtins: &[Builtin]) -> bool {
        builtins
            .iter()
            .any(|b| self.builtins & (1 << (*b as u32)) != 0)
    }

    /// The symbol with this name, if it was ever interned.
    pub fn lookup(&self, name: &str) -> Option<Sym> {
        let names = &self.names;
        self.name_ids
            .find_near(hash32(name), memo::name_near(name), |i| {
                &*names[i as usize] == name
            })
            .map(Sym)
    }

    /// Records the parameter names of an unspecified function.
    pub fn set_param_names(&mut self, f: Sym, names: Vec<String>) {
        self.param_names.insert(f, names);
    }

    /// The parameter names of an unspecified function, if it was declared with them.
    pub fn param_names(&self, f: Sym) -> Option<&[String]> {
        self.param_names.get(&f).map(Vec::as_slice)
    }

    /// Records that the user wrote `value` of the input `s` as `text`.
    pub fn set_written_value(&mut self, s: Sym, value: &Rational, text: &str) {
        self.written_values
            .insert(s, (value.clone(), text.split_whitespace().collect()));
    }

    /// How the user wrote the value of `s`, if they wrote this value.
    pub fn written_value(&self, s: Sym, value: &Rational) -> Option<&str> {
        self.written_values
            .get(&s)
            .filter(|(v, _)| v == value)
            .map(|(_, t)| t.as_str())
    }

    /// The name of a symbol.
    pub fn name(&self, s: Sym) -> &str {
        &self.names[s.0 as usize]
    }

    /// The node for a variable.
    pub fn sym(&mut self, name: &str) -> Id {
        let s = self.intern(name);
        self.insert(Node::Sym(s))
    }

    /// The node for an interned symbol.
    pub fn sym_node(&mut self, s: Sym) -> Id {
        self.insert(Node::Sym(s))
    }

    /// The node for an exact number.
    pub fn num(&mut self, r: impl Into<Rational>) -> Id {
        self.num_q(Q::new(r.into()))
    }

    /// [`Self::num`] of a rational as nodes keep them.
    pub fn num_q(&mut self, q: Q) -> Id {
        // 0 and 1 (every leaf's derivative, and more) are found without hashing once made.
        let unit = if q.is_zero() {
            Some(0)
        } else if q == 1 {
            Some(1)
        } else {
            None
        };
        if let Some(id) = unit.and_then(|k| self.units[k]) {
            return id;
        }
        let id = self.insert(Node::Num(q));
        if let Some(k) = unit {
            self.units[k] = Some(id);
        }
        id
    }

    /// The number behind `id`, if it is one.
    pub fn as_num(&self, id: Id) -> Option<&Rational> {
        match self.node(id) {
            Node::Num(r) => Some(r),
            _ => None,
        }
    }

    /// The symbol behind `id`, if it is a variable.
    pub fn as_sym(&self, id: Id) -> Option<Sym> {
        match self.node(id) {
            Node::Sym(s) => Some(*s),
            _ => None,
        }
    }

    /// Whether `id` is the number zero.
    pub fn is_zero(&self, id: Id) -> bool {
        matches!(self.node(id), Node::Num(r) if *r == 0)
    }

    /// Hash-conses a node whose children are already in the store.
    fn insert(&mut self, node: Node) -> Id {
        if self.memo.len() != self.nodes.len() {
            // Released by `release_tables`: made again, once (a table that had fallen
            // behind otherwise would be made again on top of itself).
            debug_assert_eq!(self.memo.len(), 0, "the hash-consing table fell behind");
            let nodes = &self.nodes;
            for n in nodes {
                if let Node::Sym(_) = n {
                    self.memo.skip();
                } else {
                    record(&mut self.memo, nodes, hash32(n), newest_child(n));
                }
            }
        }
        if let Node::Sym(s) = node {
            return self.insert_sym(s);
        }
        let hash = hash32(&node);
        let near = newest_child(&node);
        if let Some(i) = self
            .memo
            .find_near(hash, near, |i| self.nodes[i as usize] == node)
        {
            return Id(i);
        }
        let id = Id(u32::try_from(self.nodes.len()).expect("more than 2^32 nodes"));
        debug_assert!(
            node.children().iter().all(|c| *c < id),
            "children must precede their parent"
        );
        let flat = self.flat_of(&node);
        if let Node::Call(Func::Builtin(b), _) = &node {
            self.builtins |= 1 << (*b as u32);
        }
        self.nodes.push(node);
        self.flat.push(flat);
        record(&mut self.memo, &self.nodes, hash, near);
        id
    }

    /// [`Store::insert`] of a symbol's node: found by the symbol's number.
    fn insert_sym(&mut self, s: Sym) -> Id {
        if let Some(&i) = self.sym_nodes.get(s.index())
            && i != u32::MAX
        {
            return Id(i);
        }
        let id = Id(u32::try_from(self.nodes.len()).expect("more than 2^32 nodes"));
        if self.sym_nodes.len() <= s.index() {
            self.sym_nodes.resize(s.index() + 1, u32::MAX);
        }
        self.sym_nodes[s.index()] = id.0;
        self.nodes.push(Node::Sym(s));
        self.flat.push(1);
        self.memo.skip();
        id
    }

    /// The expanded size of a node about to be inserted.
    fn flat_of(&self, node: &Node) -> u8 {
        match node {
            Node::Add(s) => s.terms.iter().fold(0u8, |n, (t, _)| {
                n.saturating_add(match self.node(*t) {
                    Node::Add(_) => self.flat[t.index()],
                    _ => 1,
                })
            }),
            Node::Mul(p) => p.factors.iter().fold(0u8, |n, (b, e)| {
                n.saturating_add(match self.node(*b) {
                    Node::Mul(_) if e.denom() == &1 => self.flat[b.index()],
                    _ => 1,
                })
            }),
            _ => 1,
        }
    }

    /// Frees the tables that making nodes needs (the hash-consing table, `diff`'s memo) while
    /// the store is only read: a 10^5-layer program's report evaluates and prints for seconds
    /// with 50 MB of them unused. Making a node afterwards first makes the hash-consing table
    /// again (one pass over the nodes), so the store stays hash-consed; `diff` fills its memo
    /// anew.
    pub(crate) fn release_tables(&mut self) {
        self.memo = memo::Memo::default();
        self.diff_memo = HashMap::default();
    }

    /// Whether the sum or product `id` is small enough to be merged into a parent.
    pub(crate) fn mergeable(&self, id: Id) -> bool {
        u32::from(self.flat[id.index()]) <= FLAT_MAX
    }

    /// [`Self::reachable`] from `root` when its children have no children of their own: the
    /// children in ascending id order, then `root` (`None` for any other node).
    fn over_leaves(&self, root: Id) -> Option<Vec<Id>> {
        let has_children = |id: Id| {
            let mut any = false;
            self.node(id).for_each_child(|_| any = true);
            any
        };
        let mut leaves = true;
        self.node(root)
            .for_each_child(|c| leaves &= !has_children(c));
        if !leaves {
            return None;
        }
        let mut order = Vec::new();
        self.node(root).for_each_child(|c| order.push(c));
        order.sort_unstable();
        order.dedup();
        order.push(root);
        Some(order)
    }

    /// Every node reachable from `roots`, in ascending id order (children before parents).
    pub fn reachable(&self, roots: &[Id]) -> Vec<Id> {
        // A set, not a bitmap of the whole store, while the walk is small: the cost is that
        // of the part reached, so many small walks over a large store (a deep network's
        // definitions) stay cheap. A walk that reaches more than one id in 128 of those
        // below its highest root switches to a bitmap of them, which needs no sort and no
        // hashing: a deep gradient's walk over a million nodes is then several times faster.
        // The smallest walks (a definition's formula, a local derivative: a few nodes, made
        // by the hundred thousand for a large program) keep their ids in a short list
        // searched linearly, which allocates once and hashes nothing.
        const SHORT: usize = 32;
        let top = roots.iter().map(|r| r.index() + 1).max().unwrap_or(0);
        // Sized for a small walk at once: growing each list four ids at a time was a tenth
        // of the walk's cost.
        let mut short: Vec<Id> = Vec::with_capacity(SHORT);
        let mut seen: std::collections::HashSet<Id, std::hash::BuildHasherDefault<FxHasher>> =
            Default::default();
        let mut bits: Vec<u64> = Vec::new();
        let mut stack: Vec<Id> = Vec::with_capacity(roots.len() + SHORT);
        stack.extend_from_slice(roots);
        while let Some(id) = stack.pop() {
            if bits.is_empty() {
                let new = if seen.is_empty() && short.len() < SHORT {
                    !short.contains(&id) && {
                        short.push(id);
                        true
                    }
                } else {
                    seen.extend(short.drain(..));
                    seen.insert(id)
                };
                if !new {
                    continue;
                }
                if (short.len() + seen.len()) * 128 > top {
                    bits = vec![0; top.div_ceil(64)];
                    for s in short.drain(..).chain(seen.drain()) {
                        bits[s.index() / 64] |= 1 << (s.index() % 64);
                    }
                }
            } else {
                let (word, bit) = (id.index() / 64, 1u64 << (id.index() % 64));
                if bits[word] & bit != 0 {
                    continue;
                }
                bits[word] |= bit;
            }
            self.node(id).for_each_child(|c| stack.push(c));
        }
        if bits.is_empty() {
            let mut out: Vec<Id> = if seen.is_empty() {
                short
            } else {
                seen.into_iter().collect()
            };
            out.sort_unstable();
            return out;
        }
        let mut out = Vec::new();
        for (w, &word) in bits.iter().enumerate() {
            let mut word = word;
            while word != 0 {
                out.push(Id((w * 64) as u32 + word.trailing_zeros()));
                word &= word - 1;
            }
        }
        out
    }

    /// Whether `root` written out as a tree (each shared node counted at each use, as
    /// [`crate::print::printed_size`] counts) has at most `max` nodes. The walk stops at the
    /// first node over `max`, so asking it of every part of a large shared DAG (each partial
    /// of a deep network's gradient) costs at most `max` steps per part, not the DAG's size.
    pub fn tree_size_at_most(&self, root: Id, max: u64) -> bool {
        let mut count = 0u64;
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            count += 1;
            if count > max {
                return false;
            }
            self.node(id).for_each_child(|c| stack.push(c));
        }
        true
    }

    /// The size of each of `roots` written out as a tree (each shared node counted at each
    /// use; saturating at `u64::MAX`), in one pass over the nodes they reach: each node's
    /// size from its children's. Linear in the size of the DAG, however large the trees.
    pub fn tree_sizes(&self, roots: &[Id]) -> Vec<u64> {
        // `reachable` lists ids in increasing order, children before their users: a node's
        // size is found by its position in that list, with no hashing.
        let order = self.reachable(roots);
        let pos = Positions::new(&order);
        let mut size: Vec<u64> = Vec::with_capacity(order.len());
        for &n in &order {
            let mut s = 1u64;
            self.node(n).for_each_child(|c| {
                let p = pos.get(&order, c).expect("a child is reachable");
                s = s.saturating_add(size[p]);
            });
            size.push(s);
        }
        roots
            .iter()
            .map(|r| size[pos.get(&order, *r).expect("a root is reachable")])
            .collect()
    }

    /// [`Self::tree_size_at_most`] for each of `roots`, from [`Self::tree_sizes`]: asking the
    /// walk of each partial of a deep network's gradient one by one costs `max` steps for
    /// every large one (10^4 partials, 2·10^7 steps); this costs one step per node reached.
    pub fn tree_sizes_at_most(&self, roots: &[Id], max: u64) -> Vec<bool> {
        self.tree_sizes(roots)
            .into_iter()
            .map(|n| n <= max)
            .collect()
    }

    /// The free symbols of `root`, sorted by name in natural order (`w2` before `w10`).
    pub fn free_symbols(&self, root: Id) -> Vec<Sym> {
        let mut syms: Vec<Sym> = self
            .reachable(&[root])
            .into_iter()
            .filter_map(|id| self.as_sym(id))
            .collect();
        syms.sort_by(|a, b| order::natural_cmp(self.name(*a), self.name(*b)));
        syms
    }

    /// Number of nodes reachable from `root` (the DAG size, shared nodes counted once).
    pub fn dag_size(&self, root: Id) -> usize {
        self.reachable(&[root]).len()
    }

    /// Replaces symbols by expressions throughout `root` (one pass, children first).
    pub fn substitute<S: std::hash::BuildHasher>(
        &mut self,
        root: Id,
        map: &HashMap<Sym, Id, S>,
    ) -> Id {
        if map.is_empty() {
            return root;
        }
        self.map_nodes(root, |store, id, _| match store.node(id) {
            Node::Sym(s) => Some(map.get(s).copied().unwrap_or(id)),
            _ => None,
        })
    }

    /// `root` rebuilt bottom-up through the canonical constructors, with the nodes for which
    /// `leaf` says so replaced (`leaf` returns their replacement, or `None` to keep the node
    /// and map its children; it is given what each child became, children coming first). A
    /// node whose children all stay is itself (the constructors give a canonical node back
    /// unchanged), so only the part above a replacement is built again.
    pub(crate) fn map_nodes(
        &mut self,
        root: Id,
        mut leaf: impl FnMut(&mut Store, Id, &dyn Fn(Id) -> Id) -> Option<Id>,
    ) -> Id {
        // A node over leaves (`w1*x`, `sigmoid(z1)`: every definition of a layered program)
        // needs no walk.
        let order = self
            .over_leaves(root)
            .unwrap_or_else(|| self.reachable(&[root]));
        let at = Positions::new(&order);
        let mut new: Vec<Id> = Vec::with_capacity(order.len());
        for &id in &order {
            let mapped = |c: Id| new[at.get(&order, c).expect("a child is reachable")];
            if let Some(r) = leaf(self, id, &mapped) {
                new.push(r);
                continue;
            }
            let mut same = true;
            self.node(id).for_each_child(|c| same &= mapped(c) == c);
            let r = if same {
                id
            } else {
                let node = self.node(id).clone();
                self.rebuild(&node, &mapped)
            };
            new.push(r);
        }
        // The root is the highest id reached.
        *new.last().expect("the root is reachable")
    }

    /// Rebuilds a node with its children mapped, through the canonical constructors.
    pub fn rebuild(&mut self, node: &Node, child: &dyn Fn(Id) -> Id) -> Id {
        match node {
            Node::Num(r) => self.num_q(r.clone()),
            Node::Sym(s) => self.sym_node(*s),
            Node::Add(s) => {
                let terms = s
                    .terms
                    .iter()
                    .map(|(t, k)| (child(*t), k.clone()))
                    .collect();
                self.sum_of_q(s.constant.clone(), terms)
            }
            Node::Mul(p) => {
                let factors = p
                    .factors
                    .iter()
                    .map(|(b, e)| (child(*b), e.clone()))
                    .collect();
                self.product_of_q(p.coeff.clone(), factors)
            }
            Node::Pow(b, e) => {
                let (b, e) = (child(*b), child(*e));
                self.pow(b, e)
            }
            Node::Call(f, args) => {
                let args: Vec<Id> = args.iter().map(|a| child(*a)).collect();
                self.call(f.clone(), args)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Builtin, Func, Id, Node, Store, Sym};
    use rug::Rational;
    use std::collections::HashMap;

    /// The nodes of these names, in `s`.
    fn names<const N: usize>(s: &mut Store, names: [&str; N]) -> [super::Id; N] {
        names.map(|n| {
            let n = s.intern(n);
            s.sym_node(n)
        })
    }

    /// A `HashMap` picks a bucket by the hash's low bits: names that differ in their last
    /// characters (a program's `z1`…`z100000`, `x1`…) must spread over the buckets. Before
    /// the hasher's `finish` rotated, these 2·10^5 names had 576 distinct low 18 bits.
    #[test]
    fn similar_names_spread_over_a_tables_buckets() {
        use std::hash::BuildHasher as _;
        let fx = std::hash::BuildHasherDefault::<super::FxHasher>::default();
        let names: Vec<String> = (1..=100_000)
            .flat_map(|k| [format!("z{k}"), format!("x{k}")])
            .collect();
        let buckets: std::collections::HashSet<u64> = names
            .iter()
            .map(|n| fx.hash_one(n.as_str()) & ((1 << 18) - 1))
            .collect();
        // A random hash leaves about 1 - e^(-200000/262144) ≈ 53% of 2^18 buckets used.
        assert!(buckets.len() > 120_000, "{} buckets", buckets.len());
    }

    /// `map_nodes`'s shortcut for a node over leaves gives the walk's own list.
    #[test]
    fn what_a_node_over_leaves_reaches_is_what_the_walk_finds() {
        let mut s = Store::new();
        let [x, y] = names(&mut s, ["x", "y"]);
        let (two, one) = (s.num(2), s.num(1));
        let x1 = s.add(x, one);
        let roots = [
            s.mul(y, x),
            s.call(Func::Builtin(Builtin::Max), vec![y, x, y, two]),
            s.apply(Builtin::Sigmoid, x),
            x,
            two,
        ];
        let deeper = s.mul(x1, y);
        assert_eq!(s.over_leaves(deeper), None);
        for e in roots {
            assert_eq!(s.over_leaves(e), Some(s.reachable(&[e])), "{e:?}");
        }
    }

    /// A node is five words on a 64-bit machine: the store of a large program holds millions,
    /// and every walk over them reads them (a field or variant that grows it is a cost to
    /// weigh, boxed where it is rare, as an abstract function is).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_node_is_five_words() {
        assert_eq!(std::mem::size_of::<Node>(), 40);
    }

    /// `mul`'s shortcut for two factors nothing merges with makes `product_of`'s node, and
    /// every other pair goes the general way: over names, numbers, sums, products, powers
    /// and calls, each with each and with itself.
    #[test]
    fn a_product_of_two_is_product_ofs_node() {
        let mut s = Store::new();
        let [x, y] = names(&mut s, ["x", "y"]);
        let (one, two, half) = (s.num(1), s.num(2), s.num(Rational::from((1, 2))));
        let x1 = s.add(x, one);
        let y2 = s.add(y, two);
        let two_x = s.mul(two, x);
        let xy = s.mul(x, y);
        let x_to_y = s.pow(x, y);
        let x_sq = s.mul(x, x);
        let root = s.pow(x1, half);
        let sin = s.apply(Builtin::Sin, x);
        let sig = s.apply(Builtin::Sigmoid, y2);
        let all = [
            x, y, one, two, half, x1, y2, two_x, xy, x_to_y, x_sq, root, sin, sig,
        ];
        for a in all {
            for b in all {
                let general = s.product_of(
                    Rational::from(1),
                    vec![(a, Rational::from(1)), (b, Rational::from(1))],
                );
                assert_eq!(s.mul(a, b), general, "{:?} * {:?}", s.node(a), s.node(b));
            }
        }
    }

    /// A store whose tables were released is still hash-consed: an existing node is found
    /// again, a new one made once, and released twice in a row it still is.
    #[test]
    fn a_store_stays_hash_consed_after_its_tables_are_released() {
        let mut s = Store::new();
        let [x, y] = names(&mut s, ["x", "y"]);
        let xy = s.mul(x, y);
        let sig = s.apply(Builtin::Sigmoid, xy);
        let len = s.len();
        s.release_tables();
        assert_eq!(s.memo.len(), 0);
        assert_eq!(s.apply(Builtin::Sigmoid, xy), sig);
        assert_eq!(s.len(), len);
        assert_eq!(s.memo.len(), len);
        let new = s.add(sig, x);
        assert_eq!(s.len(), len + 1);
        s.release_tables();
        s.release_tables();
        assert_eq!((s.add(sig, x), s.mul(y, x)), (new, xy));
        assert_eq!(s.len(), len + 1);
    }

    #[test]
    fn a_large_store_finds_every_node_and_name_again() {
        // Nodes made from new children, from old ones (whose windows filled long ago),
        // many with one newest child (more than a window holds), symbols' nodes (found by
        // symbol) and names numbered like a program's and not, across many doublings.
        fn var(s: &mut Store, name: &str) -> Id {
            let sym = s.intern(name);
            s.sym_node(sym)
        }
        let mut s = Store::new();
        // Per layer: its name, and the nodes made from (w, the layer before, an old node).
        let mut made: Vec<(Sym, [Id; 4])> = Vec::new();
        let mut prev = var(&mut s, "x0");
        let hub = var(&mut s, "hub");
        for k in 1..3000 {
            let w = var(&mut s, &format!("w{k}"));
            let z = s.mul(w, prev);
            let x = s.apply(Builtin::Sigmoid, z);
            let shared = s.add(hub, x);
            let old = made.get(k / 2).map_or(x, |(_, n)| n[1]);
            let late = s.mul(old, hub);
            let name = s.intern(&format!("name_{k}_{}", k % 7));
            made.push((name, [x, shared, old, late]));
            prev = x;
        }
        let len = s.len();
        // Every name and node made again is the one made before, and nothing new is made.
        let mut prev = var(&mut s, "x0");
        for (k, (name, [x, shared, old, late])) in (1..).zip(&made) {
            assert_eq!(s.intern(&format!("name_{k}_{}", k % 7)), *name);
            let w = var(&mut s, &format!("w{k}"));
            let z = s.mul(w, prev);
            assert_eq!(s.apply(Builtin::Sigmoid, z), *x);
            assert_eq!(s.add(hub, *x), *shared);
            assert_eq!(s.mul(*old, hub), *late);
            prev = *x;
        }
        assert_eq!(s.len(), len);
        assert_eq!(s.lookup("w3000"), None);
        assert!(s.lookup("w2999").is_some());
    }

    #[test]
    fn substituting_into_a_node_over_leaves_is_the_general_walk() {
        let mut s = Store::new();
        let [w, x, y, z, a, b] = names(&mut s, ["w", "x", "y", "z", "a", "b"]);
        let (xs, zs) = (s.intern("x"), s.intern("z"));
        let one = s.num(1);
        let a1 = s.add(a, one);
        let sb = s.apply(Builtin::Sigmoid, b);
        let map: HashMap<_, _> = [(xs, a1), (zs, sb)].into();
        let three = s.num(3);
        let roots = [
            s.mul(w, x),
            s.apply(Builtin::Sigmoid, z),
            s.mul_all(vec![three, x, x, y]),
            s.call(Func::Builtin(Builtin::Max), vec![x, y, x]),
            s.mul(w, y),
            x,
            y,
            three,
        ];
        for e in roots {
            let fast = s.substitute(e, &map);
            let walk = s.map_nodes(e, |store, id, _| match store.node(id) {
                Node::Sym(v) => Some(map.get(v).copied().unwrap_or(id)),
                _ => None,
            });
            assert_eq!(fast, walk, "{e:?}");
        }
    }
}
