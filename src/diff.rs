//! Symbolic differentiation.
//!
//! The chain rule is written once ([`diff`] on a call): each function supplies only its
//! partial derivatives ([`partial`]), as SymPy's `fdiff` does. Derivatives are memoised per
//! `(node, variable)` in the store, and a DAG is differentiated bottom-up in id order, so the
//! work is linear in the DAG's size and no recursion can overflow the stack.

use crate::expr::{AbstractFn, Builtin, Func, Id, Node, Q, Store, Sym};
use rug::Rational;
use std::collections::{HashMap, HashSet};

/// `∂root/∂var`, simplified by the canonical constructors.
pub fn diff(store: &mut Store, root: Id, var: Sym) -> Id {
    if let Some(&d) = store.diff_memo.get(&(root, var)) {
        return d;
    }
    if let Some(d) = diff_of_leaves(store, root, var) {
        store.diff_memo.insert((root, var), d);
        return d;
    }
    for id in store.reachable(&[root]) {
        if store.diff_memo.contains_key(&(id, var)) {
            continue;
        }
        let d = diff_node(store, id, var);
        store.diff_memo.insert((id, var), d);
    }
    store.diff_memo[&(root, var)]
}

/// `∂root/∂v` for every `v` in `vars`, all at once, by one reverse sweep over the DAG.
///
/// Each node's adjoint `∂root/∂node` is built once from the adjoints of its users
/// (`δ_z = δ_a · σ'(z)`), and a large adjoint stays a shared node rather than being multiplied
/// out into its users ([`crate::expr::FLAT_MAX`]), so the whole gradient costs time and nodes
/// linear in the size of the DAG: the `n`-layer chain's gradient is `O(n)`, where asking
/// [`diff`] for each of the `n` weights in turn is `O(n²)`. The partials agree in value with
/// [`diff`]'s (they may group a product differently).
///
/// ```
/// use chainrule::{diff::gradient, expr::Store, print::text, syntax::read_expr};
/// let mut store = Store::new();
/// let (e, _) = read_expr(&mut store, "(y - w2*sigmoid(w1*x))^2", "<expr>").unwrap();
/// let ws = [store.intern("w1"), store.intern("w2")];
/// let g = gradient(&mut store, e, &ws);
/// assert_eq!(text(&store, g[1]), "sigmoid(w1*x)*(2*w2*sigmoid(w1*x) - 2*y)");
/// ```
pub fn gradient(store: &mut Store, root: Id, vars: &[Sym]) -> Vec<Id> {
    let order = store.reachable(&[root]);
    let index = crate::expr::Positions::new(&order);
    let pos = |id: Id| index.get(&order, id);
    // Which nodes depend on a variable at all: only their adjoints are needed.
    let wanted: HashSet<Sym> = vars.iter().copied().collect();
    let mut live = vec![false; order.len()];
    for (i, &id) in order.iter().enumerate() {
        live[i] = match store.node(id) {
            Node::Sym(s) => wanted.contains(s),
            Node::Num(_) => false,
            node => {
                let mut any = false;
                node.for_each_child(|c| any |= pos(c).is_some_and(|j| live[j]));
                any
            }
        };
    }
    // The contributions `δ_user · ∂user/∂node` to each node's adjoint, collected top-down,
    // each an unbuilt product `c · Π b^e`.
    // Only the frontier of the sweep has contributions waiting, so a map holds them.
    let mut contribs: HashMap<usize, Vec<Factors>> = HashMap::new();
    // The adjoints of the variables.
    let mut adjoint: HashMap<Sym, Id> = HashMap::new();
    if live.last() == Some(&true) {
        contribs.insert(order.len() - 1, vec![(Q::int(1), Vec::new())]);
    }
    for i in (0..order.len()).rev() {
        let Some(mut here) = contribs.remove(&i) else {
            continue;
        };
        let id = order[i];
        let node = store.node(id).clone();
        // The live children: (position among the node's children, index in `order`).
        let children: Vec<(usize, usize)> = node
            .children()
            .iter()
            .enumerate()
            .filter_map(|(slot, c)| pos(*c).filter(|j| live[*j]).map(|j| (slot, j)))
            .collect();
        // A lone contribution to a node with one live child is handed on unbuilt: the node
        // `δ_σ(z) = δ·w` need not exist for `δ_z = δ·w·σ'(z)` to be built, which saves a node
        // per layer. Its product is built once it has grown to a few factors.
        if here.len() == 1 && children.len() == 1 && here[0].1.len() < PENDING_MAX {
            let (c, items) = here.pop().unwrap();
            let (slot, j) = children[0];
            let (k, mut local) = local_partial(store, id, &node, slot, None);
            if k != 0 {
                local.extend(items);
                contribs.entry(j).or_default().push((c.mul(&k), local));
            }
            continue;
        }
        let terms: Vec<(Id, Q)> = here
            .into_iter()
            .map(|(c, items)| (store.product_of_q(c, items), Q::int(1)))
            .collect();
        let adj = store.sum_of_q(Q::int(0), terms);
        if let Node::Sym(s) = node {
            adjoint.insert(s, adj);
        }
        if store.is_zero(adj) {
            continue;
        }
        let mut shared = SharedProducts::default();
        for (slot, j) in children {
            let (k, mut local) = local_partial(store, id, &node, slot, Some(&mut shared));
            if k != 0 {
                local.push((adj, Q::int(1)));
                contribs.entry(j).or_default().push((k, local));
            }
        }
    }
    vars.iter()
        .map(|v| match adjoint.get(v) {
            Some(a) => *a,
            None => store.num(0),
        })
        .collect()
}

/// An unbuilt product: a coefficient and `(base, exponent)` factors.
type Factors = (Q, Vec<(Id, Q)>);

/// An adjoint handed on unbuilt is built once it has this many factors.
const PENDING_MAX: usize = 8;

/// Most arguments of `max` or `min` whose derivative compares them pairwise (`O(n²)` nodes,
/// each comparison exact in sign where the arguments differ); past it, each against the
/// call's value (`O(n)` nodes).
const PAIRWISE_TIES: usize = 16;

/// Products with more factors than this get their partials from shared prefix and suffix
/// products, so a node with `k` factors costs `O(k)` rather than `O(k²)`.
const PREFIX_PRODUCTS_FROM: usize = 8;

/// Prefix and suffix products of one product node, made on first use.
#[derive(Default)]
struct SharedProducts {
    prefix: Vec<Id>,
    suffix: Vec<Id>,
}

impl SharedProducts {
    /// `prefix[i] = Π_{j<i} b_j^e_j` and `suffix[i] = Π_{j≥i} b_j^e_j` (`suffix[0]` unused),
    /// each built from the one before: `O(k)` nodes of two factors each.
    fn of(store: &mut Store, factors: &[(Id, Q)]) -> SharedProducts {
        let one = || Q::int(1);
        let k = factors.len();
        let mut prefix = vec![store.num(1)];
        for (b, e) in &factors[..k - 1] {
            let last = *prefix.last().unwrap();
            prefix.push(store.product_of_q(one(), vec![(last, one()), (*b, e.clone())]));
        }
        let mut suffix = vec![store.num(1); k + 1];
        for i in (1..k).rev() {
            let (b, e) = &factors[i];
            let next = vec![(suffix[i + 1], one()), (*b, e.clone())];
            suffix[i] = store.product_of_q(one(), next);
        }
        SharedProducts { prefix, suffix }
    }
}

/// `∂node/∂child` for the child in position `slot` of `node` (whose id is `id`), unbuilt.
fn local_partial(
    store: &mut Store,
    id: Id,
    node: &Node,
    slot: usize,
    shared: Option<&mut SharedProducts>,
) -> Factors {
    match node {
        Node::Num(_) | Node::Sym(_) => unreachable!("leaves have no children"),
        Node::Add(s) => (s.terms()[slot].1.clone(), Vec::new()),
        Node::Mul(p) => {
            let many = p.factors().len() > PREFIX_PRODUCTS_FROM;
            product_partial(
                store,
                p.coeff_q(),
                p.factors(),
                slot,
                shared.filter(|_| many),
            )
        }
        Node::Pow(b, e) if slot == 0 => power_base_partial(store, *b, *e),
        Node::Pow(b, e) => power_exponent_partial(store, id, *b, *e),
        Node::Call(f, args) => partial_factors(store, id, f, args, slot),
    }
}

/// The product rule, one factor's share, unbuilt:
/// `∂(c · Π_j b_j^e_j)/∂b_i = c · e_i · b_i^(e_i - 1) · Π_{j≠i} b_j^e_j`. With `shared`, the
/// product of the other factors is a shared prefix times a shared suffix product (made on
/// first use), so that all `k` shares of a product of `k` factors take `O(k)` nodes, not `O(k²)`.
/// Used by both [`diff`] and [`gradient`].
fn product_partial(
    store: &mut Store,
    coeff: &Q,
    factors: &[(Id, Q)],
    i: usize,
    shared: Option<&mut SharedProducts>,
) -> Factors {
    let one = || Q::int(1);
    let (b, e) = &factors[i];
    let mut items: Vec<(Id, Q)> = Vec::with_capacity(factors.len().min(PREFIX_PRODUCTS_FROM) + 2);
    items.push((*b, e.add(&Q::int(-1))));
    match shared {
        Some(sh) => {
            if sh.prefix.is_empty() {
                *sh = SharedProducts::of(store, factors);
            }
            items.push((sh.prefix[i], one()));
            items.push((sh.suffix[i + 1], one()));
        }
        None => {
            for (j, (bj, ej)) in factors.iter().enumerate() {
                if j != i {
                    items.push((*bj, ej.clone()));
                }
            }
        }
    }
    (coeff.mul(e), items)
}

/// An unbuilt partial times a child's derivative, built.
fn times(store: &mut Store, (c, mut items): Factors, d: Id) -> Id {
    items.push((d, Q::int(1)));
    store.product_of_q(c, items)
}

/// The power rule by the base, unbuilt: `∂(b^e)/∂b = e · b^(e - 1)`.
fn power_base_partial(store: &mut Store, b: Id, e: Id) -> Factors {
    let one = || Q::int(1);
    let em1 = store.sum_of_q(Q::int(-1), vec![(e, one())]);
    let p = store.pow(b, em1);
    (one(), vec![(e, one()), (p, one())])
}

/// The power rule by the exponent, unbuilt: `∂(b^e)/∂e = b^e · log(b)`, where `id` is the
/// node `b^e`. For `0^e`, `b^e · log(b)` would read `log(0)`: the function is 0 for e > 0
/// (derivative 0), 1 at e = 0 (a jump: no derivative) and undefined for e < 0, and
/// `0^e · log(e)` is exactly that: 0 for e > 0, undefined for e ≤ 0.
fn power_exponent_partial(store: &mut Store, id: Id, b: Id, e: Id) -> Factors {
    let one = || Q::int(1);
    let log = store.apply(Builtin::Log, if store.is_zero(b) { e } else { b });
    (one(), vec![(id, one()), (log, one())])
}

/// The most nodes that taking higher derivatives ([`diff_n`]) may add to the store, about
/// 150 MB and a second or two of work. Each order of a composite function multiplies the size
/// of its derivative (`f(g(h(x)))` about threefold per order, a product of 30 factors sevenfold),
/// so a high order is refused up front, with the highest order that fits, rather than run for
/// minutes into gigabytes.
pub const MAX_HIGHER_ORDER_NODES: usize = 250_000;

/// The `n`-th derivative by `var`, or a [`crate::Error::Limit`] when the derivatives grow past
/// [`MAX_HIGHER_ORDER_NODES`]: before each order the growth of the last one predicts the next.
pub fn diff_n(store: &mut Store, root: Id, var: Sym, n: u32) -> crate::Result<Id> {
    repeat_limited(store, root, n, |store, e| diff(store, e, var))
}

/// `step` applied `n` times to `root` (one order of differentiation each), stopping with a
/// [`crate::Error::Limit`] when the results would grow past [`MAX_HIGHER_ORDER_NODES`].
fn repeat_limited(
    store: &mut Store,
    root: Id,
    n: u32,
    mut step: impl FnMut(&mut Store, Id) -> Id,
) -> crate::Result<Id> {
    let start = store.len();
    let mut e = root;
    let mut size = store.dag_size(root);
    // Nodes the last order added to the store, and how much the result grew by.
    let mut last: Option<(usize, f64)> = None;
    for k in 1..=n {
        let used = store.len() - start;
        if let Some((added, growth)) = last {
            let next = (added as f64 * growth.max(1.0)) as usize;
            if used + next > MAX_HIGHER_ORDER_NODES {
                return Err(higher_order_limit(k, n, size, used + next));
            }
        }
        let before = store.len();
        e = step(store, e);
        let new_size = store.dag_size(e);
        last = Some((store.len() - before, new_size as f64 / size.max(1) as f64));
        size = new_size;
        if k < n && store.len() - start > MAX_HIGHER_ORDER_NODES {
            return Err(higher_order_limit(k + 1, n, size, store.len() - start));
        }
    }
    Ok(e)
}

fn higher_order_limit(k: u32, n: u32, size: usize, estimate: usize) -> crate::Error {
    crate::Error::Limit(format!(
        "the derivative of order {n} is too large: the one of order {} already has {size} \
         distinct nodes, and order {k} would take about {:.1e} in all (the limit is \
         {MAX_HIGHER_ORDER_NODES}); ask for order {} or lower, or differentiate a smaller \
         expression",
        k - 1,
        estimate as f64,
        k - 1,
    ))
}

/// The total derivative `d root / d var` through named definitions, `n` times.
///
/// `defs` are a program's definitions so far, in order, each a name and its formula in terms
/// of inputs and earlier names. `root` may use those names: each is differentiated through
/// its definition (forward mode, `dz/dw = Σ_s ∂z/∂s · ds/dw`), so with `z = w*x`,
/// `d(z^2, w)` is `2*z*x`, still in terms of `z`. When `var` is itself a defined name it is
/// held as a leaf, its own definition not entered: `d(E, z1)` is `∂E/∂z1` with everything
/// upstream of `z1` held, the backward pass's adjoint `δ_z1`.
///
/// ```
/// use chainrule::{diff::total_diff_n, expr::Store, print::text, syntax::read_expr};
/// let mut store = Store::new();
/// let (z, _) = read_expr(&mut store, "w*x", "<expr>").unwrap();
/// let (e, _) = read_expr(&mut store, "z^2", "<expr>").unwrap();
/// let defs = [(store.intern("z"), z)];
/// let w = store.intern("w");
/// let d = total_diff_n(&mut store, e, w, 1, &defs).unwrap();
/// assert_eq!(text(&store, d), "2*x*z");
/// ```
/// Like [`diff_n`], it stops at [`MAX_HIGHER_ORDER_NODES`].
pub fn total_diff_n(
    store: &mut Store,
    root: Id,
    var: Sym,
    n: u32,
    defs: &[(Sym, Id)],
) -> crate::Result<Id> {
    // Each definition's place, once for all the orders.
    let index: HashMap<Sym, usize> = defs.iter().enumerate().map(|(i, d)| (d.0, i)).collect();
    repeat_limited(store, root, n, |store, e| {
        total_diff(store, e, var, defs, &index)
    })
}

fn total_diff(
    store: &mut Store,
    root: Id,
    var: Sym,
    defs: &[(Sym, Id)],
    index: &HashMap<Sym, usize>,
) -> Id {
    // The definitions `root` reaches, `var` a leaf.
    let mut needed = vec![false; defs.len()];
    let mut stack: Vec<Sym> = store.free_symbols(root);
    while let Some(s) = stack.pop() {
        let Some(&i) = index.get(&s) else { continue };
        if needed[i] || s == var {
            continue;
        }
        needed[i] = true;
        stack.extend(store.free_symbols(defs[i].1));
    }
    if !needed.contains(&true) {
        return diff(store, root, var);
    }
    // Each needed name's total derivative, in definition order (each uses only earlier ones).
    let mut total: HashMap<Sym, Id> = HashMap::from([(var, store.num(1))]);
    let chain = |store: &mut Store, f: Id, total: &HashMap<Sym, Id>| -> Id {
        let mut terms = Vec::new();
        for s in store.free_symbols(f) {
            if let Some(&ds) = total.get(&s)
                && !store.is_zero(ds)
            {
                let partial = diff(store, f, s);
                terms.push(store.mul(partial, ds));
            }
        }
        store.add_all(terms)
    };
    for (i, &(name, formula)) in defs.iter().enumerate() {
        if needed[i] {
            let d = chain(store, formula, &total);
            total.insert(name, d);
        }
    }
    chain(store, root, &total)
}

/// [`diff_node`] of a product or call whose factors or arguments are all names and numbers
/// (`w1*x`, `sigmoid(z1)`: every definition of a layered program): the leaves' derivatives
/// (0 or 1) are known, so neither the tree walk nor their memo entries are needed.
fn diff_of_leaves(store: &mut Store, id: Id, var: Sym) -> Option<Id> {
    let leaf = |c: &Id| matches!(store.node(*c), Node::Sym(_) | Node::Num(_));
    let over_leaves = match store.node(id) {
        Node::Mul(p) => p.factors().iter().all(|(b, _)| leaf(b)),
        Node::Call(_, args) => args.iter().all(leaf),
        _ => false,
    };
    if !over_leaves {
        return None;
    }
    // The commonest of all, a product of two names (`w1*x`): by one of them, the other.
    if let Node::Mul(p) = store.node(id)
        && let [(a, ea), (b, eb)] = p.factors()
        && p.coeff_is(1)
        && *ea == 1
        && *eb == 1
    {
        let is_var = |c: &Id| matches!(store.node(*c), Node::Sym(s) if *s == var);
        if is_var(a) {
            return Some(*b);
        }
        if is_var(b) {
            return Some(*a);
        }
    }
    let (zero, one) = (store.num(0), store.num(1));
    Some(node_derivative(store, id, |store, c| match store.node(c) {
        Node::Sym(s) if *s == var => one,
        _ => zero,
    }))
}

/// The derivative of one node, given that its children's derivatives are memoised.
fn diff_node(store: &mut Store, id: Id, var: Sym) -> Id {
    match store.node(id) {
        Node::Num(_) => store.num(0),
        Node::Sym(s) => {
            let d = if *s == var { 1 } else { 0 };
            store.num(d)
        }
        _ => node_derivative(store, id, |store, c| store.diff_memo[&(c, var)]),
    }
}

/// The derivative of the sum, product, power or call `id`, its children's derivatives given
/// by `d`.
fn node_derivative(store: &mut Store, id: Id, d: impl Fn(&Store, Id) -> Id) -> Id {
    match store.node(id).clone() {
        Node::Num(_) | Node::Sym(_) => unreachable!("a leaf's derivative is diff_node's"),
        Node::Add(s) => {
            let terms = s
                .terms()
                .iter()
                .map(|(t, k)| (d(store, *t), k.clone()))
                .collect();
            store.sum_of_q(Q::int(0), terms)
        }
        Node::Mul(p) => {
            // Σ_i ∂p/∂b_i · b_i', over the factors whose derivative is not zero.
            let factors = p.factors();
            let live: Vec<(usize, Id)> = factors
                .iter()
                .enumerate()
                .map(|(i, (b, _))| (i, d(store, *b)))
                .filter(|(_, db)| !store.is_zero(*db))
                .collect();
            let many = factors.len() > PREFIX_PRODUCTS_FROM && live.len() > 1;
            let mut shared = SharedProducts::default();
            let mut terms = Vec::with_capacity(live.len());
            for (i, db) in live {
                let sh = many.then_some(&mut shared);
                let partial = product_partial(store, p.coeff_q(), factors, i, sh);
                terms.push((times(store, partial, db), Q::int(1)));
            }
            store.sum_of_q(Q::int(0), terms)
        }
        Node::Pow(b, e) => {
            // d(b^e) = ∂/∂b · b' + ∂/∂e · e'
            let (db, de) = (d(store, b), d(store, e));
            let mut terms = Vec::new();
            if !store.is_zero(db) {
                let partial = power_base_partial(store, b, e);
                terms.push(times(store, partial, db));
            }
            if !store.is_zero(de) {
                let partial = power_exponent_partial(store, id, b, e);
                terms.push(times(store, partial, de));
            }
            store.add_all(terms)
        }
        Node::Call(f, args) => {
            // The chain rule, once for every function.
            let mut terms = Vec::new();
            for (i, a) in args.iter().enumerate() {
                let da = d(store, *a);
                if store.is_zero(da) {
                    continue;
                }
                let (c, factors) = partial_factors(store, id, &f, &args, i);
                let p = store.product_of_q(c, factors);
                // `p·1` is `p` (the constructors give a canonical node back unchanged), but
                // for a product too large to merge, which `mul` regroups.
                let times_one = matches!(store.node(da), Node::Num(r) if *r == 1)
                    && (!matches!(store.node(p), Node::Mul(_)) || store.mergeable(p));
                terms.push(if times_one { p } else { store.mul(p, da) });
            }
            store.add_all(terms)
        }
    }
}

/// The partial derivative of `f` by its argument `i` (0-based), at `args`.
///
/// Conventions at kinks, where the derivative does not exist: `relu'(0) = step(0) = 0` (the
/// homework's `σ'(x) = 1{x > 0}`, as in PyTorch and JAX); `abs'(0) = sign(0) = 0`;
/// `sign' = step' = 0`. `max` and `min` share their derivative equally among the arguments
/// tied at the point (`max(a, b)` at `a = b`: 1/2 each), as PyTorch, JAX and autograd do, each
/// argument as written (`max(x, x, 2x - 1)` at x = 1: 1/3 + 1/3 + 2/3); only a call whose
/// arguments are all the same node is that node (`max(a, a)` is `a`). So `max(t, 0)` has derivative
/// 1/2 at 0, while `relu'(0)` is 0.
pub fn partial(store: &mut Store, f: &Func, args: &[Id], i: usize) -> Id {
    let call = store.call(f.clone(), args.to_vec());
    let (c, factors) = partial_factors(store, call, f, args, i);
    store.product_of_q(c, factors)
}

/// [`partial`] as an unbuilt product, so that the gradient can multiply it into an adjoint
/// without making the partial a node of its own. `call` is the node `f(args)`.
fn partial_factors(store: &mut Store, call: Id, f: &Func, args: &[Id], i: usize) -> Factors {
    match f {
        Func::Builtin(b) => builtin_partial(store, call, *b, args, i, None),
        Func::Abstract(a) => {
            let mut partials = a.partials.to_vec();
            partials.push(i as u16);
            partials.sort_unstable();
            let g = AbstractFn {
                name: a.name,
                partials: partials.into_boxed_slice(),
            };
            let call = store.abstract_call(g, args.to_vec());
            (Q::int(1), vec![(call, Q::int(1))])
        }
    }
}

/// The derivative of `call`, a built-in of one argument `b(t)`, by `t`, with the call itself
/// written as `own` wherever the derivative uses it (`sigmoid'(t)` as `own·(1 - own)`,
/// `exp'(t)` as `own`, `tanh'(t)` as `1 - own^2`): the local derivative of a definition
/// `own = b(t)` in its own name, as the backward pass writes it, made without the call's
/// form first. `None` when `call` is not such a call.
pub fn partial_in_own_name(store: &mut Store, call: Id, own: Id) -> Option<Id> {
    let Node::Call(Func::Builtin(b), args) = store.node(call) else {
        return None;
    };
    let (&[t], b) = (&**args, *b) else {
        return None;
    };
    if !b.takes(1) {
        return None;
    }
    let (c, factors) = builtin_partial(store, call, b, &[t], 0, Some(own));
    Some(store.product_of_q(c, factors))
}

/// The partial of `b(args)` by argument `i`, unbuilt; with `own`, the call itself (a
/// built-in of one argument) is written as `own` ([`partial_in_own_name`]).
fn builtin_partial(
    store: &mut Store,
    call: Id,
    b: Builtin,
    args: &[Id],
    i: usize,
    own: Option<Id>,
) -> Factors {
    let t = args[0];
    // `b(t)` where the derivative uses it: the call itself, or the name given for it.
    let this = own.unwrap_or(call);
    let one = || Q::int(1);
    let just = |id: Id| (Q::int(1), vec![(id, Q::int(1))]);
    match b {
        Builtin::Exp => just(this),
        Builtin::Log => (one(), vec![(t, Q::int(-1))]),
        Builtin::Sin => just(store.apply(Builtin::Cos, t)),
        Builtin::Cos => (Q::int(-1), vec![(store.apply(Builtin::Sin, t), one())]),
        Builtin::Tan => {
            let tan = this;
            let sq = store.powr(tan, Rational::from(2));
            just(store.sum_of_q(one(), vec![(sq, one())]))
        }
        Builtin::Cot => {
            // d cot(t)/dt = -(1 + cot(t)^2), defined exactly where cot(t) is.
            let cot = this;
            let sq = store.powr(cot, Rational::from(2));
            let s = store.sum_of_q(one(), vec![(sq, one())]);
            (Q::int(-1), vec![(s, one())])
        }
        Builtin::Tanh => {
            let th = this;
            let sq = store.powr(th, Rational::from(2));
            just(store.sum_of_q(one(), vec![(sq, Q::int(-1))]))
        }
        Builtin::Sech => {
            let sech = this;
            let th = store.apply(Builtin::Tanh, t);
            (Q::int(-1), vec![(sech, one()), (th, one())])
        }
        Builtin::Abs => just(store.apply(Builtin::Sign, t)),
        Builtin::Sign | Builtin::Step => (Q::int(0), Vec::new()),
        Builtin::Sigmoid => {
            let s = this;
            let one_minus = store.sum_of_q(one(), vec![(s, Q::int(-1))]);
            (one(), vec![(s, one()), (one_minus, one())])
        }
        Builtin::Relu => just(store.apply(Builtin::Step, t)),
        Builtin::Softplus => just(store.apply(Builtin::Sigmoid, t)),
        Builtin::Max | Builtin::Min if args.len() == 2 => {
            // ∂max(a, b)/∂a = (1 + sign(a - b))/2: 1 where a wins, 0 where it loses, and at a
            // tie the derivative is shared, 1/2 each, as PyTorch, JAX and autograd do, so
            // that max(u, v) with u = v = x has derivative 1 by x. ∂min/∂a mirrors it.
            let d = store.sub(args[0], args[1]);
            let s = store.apply(Builtin::Sign, d);
            let half = if (b == Builtin::Max) == (i == 0) {
                Q::new(Rational::from((1, 2)))
            } else {
                Q::new(Rational::from((-1, 2)))
            };
            just(store.sum_of_q(Q::new(Rational::from((1, 2))), vec![(s, half)]))
        }
        Builtin::Max | Builtin::Min => {
            // ∂max(a_1, …, a_n)/∂a_i = [a_i = m] / #{j : a_j = m} with m = max(a_1, …, a_n):
            // the derivative shared equally among the arguments tied for the maximum (an
            // argument written twice counts twice), with [a_j = m] = 1 - step(m - a_j), as
            // m ≥ a_j. The count is one node shared by every partial, so the n partials take
            // O(n) nodes in all, not O(n²). For min, [a_j = m] = 1 - step(a_j - m).
            //
            // Up to PAIRWISE_TIES arguments, m - a_j is written max_k(a_k - a_j) over the other
            // arguments (for min, max_k(a_j - a_k)): the same value, but each difference is one
            // sum of the arguments' terms, whose sign evaluation gets right wherever they
            // differ. m - a_j itself subtracts a_j from m, a rounded a_j when a_j wins: with
            // a_j = sqrt(w) + exp(w) its rounding error, above 0 as often as not, made the
            // winner lose, no argument win, and the count 0 (a division by zero in backprop).
            let pairwise = args.len() <= PAIRWISE_TIES;
            let wins = |store: &mut Store, a: Id| {
                let gap = if pairwise {
                    let others: Vec<Id> = args
                        .iter()
                        .filter(|&&o| o != a)
                        .map(|&o| {
                            if b == Builtin::Max {
                                store.sub(o, a)
                            } else {
                                store.sub(a, o)
                            }
                        })
                        .collect();
                    match others[..] {
                        [] => store.num(0),
                        [g] => g,
                        _ => store.call(Func::Builtin(Builtin::Max), others),
                    }
                } else if b == Builtin::Max {
                    store.sub(call, a)
                } else {
                    store.sub(a, call)
                };
                store.apply(Builtin::Step, gap)
            };
            let count = match store.tie_counts.get(&call) {
                Some(&c) => c,
                None => {
                    let terms = args.iter().map(|&a| (wins(store, a), Q::int(-1))).collect();
                    let c = store.sum_of_q(Q::new(Rational::from(args.len())), terms);
                    store.tie_counts.insert(call, c);
                    c
                }
            };
            let st = wins(store, args[i]);
            let win = store.sum_of_q(one(), vec![(st, Q::int(-1))]);
            (one(), vec![(win, one()), (count, Q::int(-1))])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{diff_node, diff_of_leaves};
    use crate::expr::{Builtin, Func, Id, Store, Sym};
    use rug::Rational;

    /// `diff` by the general walk alone, without the shortcut for nodes over leaves.
    fn by_the_walk(store: &mut Store, root: Id, var: Sym) -> Id {
        for id in store.reachable(&[root]) {
            if !store.diff_memo.contains_key(&(id, var)) {
                let d = diff_node(store, id, var);
                store.diff_memo.insert((id, var), d);
            }
        }
        store.diff_memo[&(root, var)]
    }

    /// Products and calls over names and numbers, and the names to differentiate them by.
    fn nodes_over_leaves(s: &mut Store) -> Vec<Id> {
        let [w, x, y, z, a, b] = ["w", "x", "y", "z", "a", "b"].map(|n| {
            let n = s.intern(n);
            s.sym_node(n)
        });
        let two = s.num(2);
        let x3 = s.powr(x, Rational::from(3));
        let y_half = s.powr(y, Rational::from((-1, 2)));
        let wx = s.mul(w, x);
        let minus_one = s.num(-1);
        let minus_wx = s.mul_all([minus_one, w, x]);
        let big = s.mul_all([two, w, x3, y_half]);
        let x2y2 = s.mul_all([x, x, y, y]);
        let sig = s.apply(Builtin::Sigmoid, z);
        let relu = s.apply(Builtin::Relu, a);
        let max = s.call(Func::Builtin(Builtin::Max), vec![a, b, a]);
        let min = s.call(Func::Builtin(Builtin::Min), vec![y, x]);
        let wxy = s.mul_all([w, x, y]);
        let xy = s.mul(x, y);
        vec![wx, minus_wx, big, x2y2, sig, relu, max, min, wxy, xy]
    }

    #[test]
    fn the_shortcut_for_nodes_over_leaves_is_the_walk() {
        let mut s = Store::new();
        let nodes = nodes_over_leaves(&mut s);
        for e in nodes {
            for v in ["w", "x", "y", "z", "a", "b", "q"] {
                let var = s.intern(v);
                let fast = diff_of_leaves(&mut s, e, var).expect("a node over leaves");
                // The same store: equal nodes are the same id.
                assert_eq!(fast, by_the_walk(&mut s, e, var), "{e:?} by {v}");
            }
        }
    }

    #[test]
    fn the_shortcut_leaves_deeper_nodes_to_the_walk() {
        let mut s = Store::new();
        let [w, x] = ["w", "x"].map(|n| {
            let n = s.intern(n);
            s.sym_node(n)
        });
        let wx = s.mul(w, x);
        let one = s.num(1);
        let x1 = s.add(x, one);
        let deeper = [s.apply(Builtin::Sigmoid, wx), s.mul(w, x1), x1, x];
        let xs = s.intern("x");
        for e in deeper {
            assert_eq!(diff_of_leaves(&mut s, e, xs), None, "{e:?}");
        }
    }
}
