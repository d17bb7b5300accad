//! Printing with let-bindings: every node that is used more than once (and is not a number or
//! a variable) is printed once, as `t1 = …`, and referred to by its name.
//!
//! A deep network's gradient is a DAG whose expanded tree is exponentially (or at best
//! quadratically) large; its let-bound text is as large as the DAG.
//!
//! The bound form is made by rebuilding each definition in a scratch store with its named
//! children replaced by variables, so the text and LaTeX printers print it unchanged.

use crate::expr::{Id, Node, Store};

/// A DAG as let-bindings: definitions in dependency order, then the roots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LetBound {
    /// `(name, definition)` pairs: each definition uses only names bound before it.
    pub bindings: Vec<(String, String)>,
    /// Each root, in terms of the names.
    pub roots: Vec<String>,
}

/// `roots` as let-bound text in the input syntax.
///
/// ```
/// use chainrule::{expr::Store, print::let_bound, syntax::read_expr};
/// let mut store = Store::new();
/// let (e, _) = read_expr(&mut store, "sigmoid(w*x) * (1 - sigmoid(w*x))", "<expr>").unwrap();
/// let b = let_bound(&store, &[e]);
/// assert_eq!(b.bindings, vec![("t1".to_string(), "sigmoid(w*x)".to_string())]);
/// assert_eq!(b.roots, vec!["t1*(1 - t1)".to_string()]);
/// ```
pub fn let_bound(store: &Store, roots: &[Id]) -> LetBound {
    bound(store, roots, super::text, str::to_string)
}

/// [`let_bound`] in LaTeX: names are `t_{1}`, definitions and roots LaTeX.
pub(crate) fn latex_let_bound(store: &Store, roots: &[Id]) -> LetBound {
    bound(store, roots, super::latex, super::latex_name)
}

/// `roots` as let-bound text: a line `t1 = …` per shared node, then a line per root.
///
/// ```
/// use chainrule::{expr::Store, print::text_let, syntax::read_expr};
/// let mut store = Store::new();
/// let (e, _) = read_expr(&mut store, "exp(x^2) + exp(x^2)^2", "<expr>").unwrap();
/// assert_eq!(text_let(&store, &[e]), "t1 = exp(x^2)\nt1 + t1^2\n");
/// ```
pub fn text_let(store: &Store, roots: &[Id]) -> String {
    let b = let_bound(store, roots);
    let mut out = String::new();
    for (name, def) in &b.bindings {
        out.push_str(&format!("{name} = {def}\n"));
    }
    for r in &b.roots {
        out.push_str(r);
        out.push('\n');
    }
    out
}

fn bound(
    store: &Store,
    roots: &[Id],
    print: fn(&Store, Id) -> String,
    print_name: fn(&str) -> String,
) -> LetBound {
    let order = store.reachable(roots);
    let pos = |id: Id| order.binary_search(&id).expect("reachable");
    let mut uses = vec![0u32; order.len()];
    for &id in &order {
        store.node(id).for_each_child(|c| uses[pos(c)] += 1);
    }
    for r in roots {
        uses[pos(*r)] += 1;
    }
    let atom = |id: Id| matches!(store.node(id), Node::Num(_) | Node::Sym(_));
    // Names `t1`, `t2`, … that are not names of the store already.
    let mut counter = 0;
    let mut fresh = || loop {
        counter += 1;
        let name = format!("t{counter}");
        if store.lookup(&name).is_none() {
            return name;
        }
    };
    let mut scratch = Store::with_limits(store.limits().clone());
    // For each node: how its users refer to it (its name's variable, or its rebuilt self).
    let mut refer: Vec<Id> = Vec::with_capacity(order.len());
    let mut bindings = Vec::new();
    for (p, &id) in order.iter().enumerate() {
        let node = store.node(id);
        let def = match node {
            Node::Num(r) => scratch.num(r.to_rational()),
            Node::Sym(s) => scratch.sym(store.name(*s)),
            _ => {
                let node = translate(store, &mut scratch, node);
                scratch.rebuild(&node, &|c: Id| refer[pos(c)])
            }
        };
        if uses[p] > 1 && !atom(id) {
            let name = fresh();
            bindings.push((print_name(&name), print(&scratch, def)));
            refer.push(scratch.sym(&name));
        } else {
            refer.push(def);
        }
    }
    let roots = roots
        .iter()
        .map(|r| print(&scratch, refer[pos(*r)]))
        .collect();
    LetBound { bindings, roots }
}

/// A node of `store` whose function names are re-interned in `scratch` (children unchanged:
/// [`Store::rebuild`] maps them).
fn translate(store: &Store, scratch: &mut Store, node: &Node) -> Node {
    match node {
        Node::Call(crate::expr::Func::Abstract(f), args) => {
            let name = scratch.intern(store.name(f.name));
            if let Some(params) = store.param_names(f.name) {
                scratch.set_param_names(name, params.to_vec());
            }
            let f = crate::expr::AbstractFn {
                name,
                partials: f.partials.clone(),
            };
            Node::Call(crate::expr::Func::Abstract(Box::new(f)), args.clone())
        }
        other => other.clone(),
    }
}
