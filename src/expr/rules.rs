//! Named rewrite rules beyond canonical construction, applied by [`Store::call`] when a call
//! is built: part of making a call canonical, so they live with the constructors.
//!
//! Each rule keeps the value wherever the original is defined and keeps the domain too (the
//! comment says why), so evaluation still reports a domain error where the input has one.
//! That is why `exp(log(t)) = t` is not a rule: it would turn `log` of a negative number,
//! an error, into a value.

use super::{Builtin, Func, Id, Node, Store};

/// A rule: its name and what it rewrites to, given the call.
type Rule = fn(&Store, Builtin, &[Id]) -> Option<Id>;

/// The rules, in the order they are tried.
pub(crate) const RULES: [(&str, Rule); 2] = [
    // log(exp(t)) = t for every real t.
    ("log-of-exp", |s, f, a| {
        inner(s, f, a, Builtin::Log, Builtin::Exp)
    }),
    // abs(abs(t)) = abs(t), relu(relu(t)) = relu(t): idempotent everywhere.
    ("idempotent", |s, f, a| match f {
        Builtin::Abs | Builtin::Relu => inner(s, f, a, f, f).map(|_| a[0]),
        _ => None,
    }),
];

/// `outer(inner(t))` → `t`.
fn inner(store: &Store, f: Builtin, args: &[Id], outer: Builtin, inner: Builtin) -> Option<Id> {
    if f != outer {
        return None;
    }
    match store.node(args[0]) {
        Node::Call(Func::Builtin(g), xs) if *g == inner => Some(xs[0]),
        _ => None,
    }
}

/// The first rule that applies to `f(args)`, if any.
pub(crate) fn rewrite_call(store: &Store, f: Builtin, args: &[Id]) -> Option<Id> {
    RULES.iter().find_map(|(_, rule)| rule(store, f, args))
}
