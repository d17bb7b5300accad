//! What is wrong with a wrong formula, when it is one simple thing: the opposite sign, a
//! factor missing or extra (`yours lacks the factor step(z2)`), or one name in place of
//! another (`yours has σ'(x2) where the chain rule has σ'(z2)`).

use super::{Verdict, compare};
use crate::expr::{Id, Node, Store, Sym};
use crate::network::Network;
use crate::print::{latex, text};
use rug::Rational;
use std::collections::HashMap;

fn equal(v: &Verdict) -> bool {
    matches!(v, Verdict::Identical | Verdict::AgreesAt { .. })
}

/// A sentence saying how `claimed` differs from `correct` (both in the program's names, with
/// their expansions in terms of inputs), when it is one simple thing, as text and as LaTeX;
/// `theirs` names the other formula (`the chain rule`).
pub fn difference(
    net: &mut Network,
    claimed: Id,
    claimed_x: Id,
    correct: Id,
    correct_x: Id,
    theirs: &str,
) -> Option<(String, String)> {
    // The opposite sign.
    let neg = net.store.neg(correct_x);
    if equal(&compare(net, claimed_x, neg, &[], &[])) {
        return Some(words(&net.store, "yours has the opposite sign", &[]));
    }
    // One factor of the other's product missing, or one of yours extra.
    let expand: HashMap<Sym, Id> = net.defs.iter().map(|d| (d.name, d.expanded)).collect();
    for f in factors(&net.store, correct) {
        let fx = net.store.substitute(f, &expand);
        let with = net.store.mul(claimed_x, fx);
        if equal(&compare(net, with, correct_x, &[], &[])) {
            return Some(words(&net.store, "yours lacks the factor {}", &[f]));
        }
    }
    for f in factors(&net.store, claimed) {
        let fx = net.store.substitute(f, &expand);
        let without = net.store.div(claimed_x, fx);
        if equal(&compare(net, without, correct_x, &[], &[])) {
            return Some(words(&net.store, "yours has the extra factor {}", &[f]));
        }
    }
    // A factor to another power than the other's (`x1·x1·x1` for `x1`).
    let theirs_powers = powers(&net.store, correct);
    for (f, e) in powers(&net.store, claimed) {
        let Some((_, e2)) = theirs_powers.iter().find(|(g, _)| *g == f) else {
            continue;
        };
        if *e2 == e {
            continue;
        }
        let fx = net.store.substitute(f, &expand);
        let k = net.store.num(Rational::from(e2 - &e));
        let adjust = net.store.pow(fx, k);
        let with = net.store.mul(claimed_x, adjust);
        if equal(&compare(net, with, correct_x, &[], &[])) {
            let (ke, ke2) = (net.store.num(e), net.store.num(e2.clone()));
            let (mine, other) = (net.store.pow(f, ke), net.store.pow(f, ke2));
            let pattern = format!("yours has {{}} where {theirs} has {{}}");
            return Some(words(&net.store, &pattern, &[mine, other]));
        }
    }
    // A number too many or too few: the ratio at the program's point, tried everywhere.
    if let Some(k) = ratio_at_point(net, claimed_x, correct_x) {
        let scaled = net.store.scale(correct_x, &k);
        if equal(&compare(net, claimed_x, scaled, &[], &[])) {
            let t = format!("yours is {k} times {theirs}'s");
            return Some((t.clone(), format!("\\text{{{t}}}")));
        }
    }
    // One name in place of another.
    swapped_name(net, claimed, correct_x, theirs)
}

/// `a / b` at the program's point, when both are rational there and it is not 0 or 1.
fn ratio_at_point(net: &Network, a: Id, b: Id) -> Option<Rational> {
    let point = &net.point;
    let values =
        crate::eval::evaluate(&net.store, &[a, b], point, crate::eval::Mode::Auto(64)).ok()?;
    let (x, y) = (values.0[0].as_exact()?, values.0[1].as_exact()?);
    if *y == 0 {
        return None;
    }
    let k = Rational::from(x / y);
    (k != 0 && k != 1).then_some(k)
}

/// The factors of a product (the bases of its positive whole powers: `x2` of `x2^2`; numbers
/// left out), or the formula itself.
fn factors(store: &Store, id: Id) -> Vec<Id> {
    match store.node(id) {
        Node::Mul(p) => p
            .factors()
            .iter()
            .filter(|(_, e)| *e >= 1 && e.denom() == &1)
            .map(|(b, _)| *b)
            .collect(),
        Node::Num(_) => Vec::new(),
        _ => vec![id],
    }
}

/// The factors of a product with their whole exponents (`x1^3` is `(x1, 3)`), or the formula
/// itself to the power 1.
fn powers(store: &Store, id: Id) -> Vec<(Id, Rational)> {
    match store.node(id) {
        Node::Mul(p) => p
            .factors()
            .iter()
            .filter(|(_, e)| e.denom() == &1)
            .map(|(b, e)| (*b, e.to_rational()))
            .collect(),
        Node::Num(_) => Vec::new(),
        _ => vec![(id, Rational::from(1))],
    }
}

/// A sentence with formulas in its `{}`s, as text and as LaTeX (`\text{…}` around the words).
fn words(store: &Store, pattern: &str, formulas: &[Id]) -> (String, String) {
    let parts: Vec<&str> = pattern.split("{}").collect();
    let (mut t, mut l) = (String::new(), String::new());
    for (k, part) in parts.iter().enumerate() {
        t.push_str(part);
        if !part.is_empty() {
            l.push_str(&format!("\\text{{{part}}}"));
        }
        if let Some(id) = formulas.get(k) {
            t.push_str(&text(store, *id));
            l.push_str(&latex(store, *id));
        }
    }
    (t, l)
}

/// `yours has σ'(x2) where the chain rule has σ'(z2)`: one name of the claim replaced by
/// another name of the program makes it right.
fn swapped_name(
    net: &mut Network,
    claimed: Id,
    correct_x: Id,
    theirs: &str,
) -> Option<(String, String)> {
    let used: Vec<Sym> = net.store.free_symbols(claimed);
    let mut names: Vec<Sym> = net.defs.iter().map(|d| d.name).collect();
    for s in net.inputs() {
        if !names.contains(&s) {
            names.push(s);
        }
    }
    if used.len() * names.len() > 400 {
        return None;
    }
    let expand: HashMap<Sym, Id> = net.defs.iter().map(|d| (d.name, d.expanded)).collect();
    let pattern = format!("yours has {{}} where {theirs} has {{}}");
    for &s in &used {
        for &t in &names {
            if s == t {
                continue;
            }
            let t_node = net.store.sym_node(t);
            let swap = HashMap::from([(s, t_node)]);
            let swapped = net.store.substitute(claimed, &swap);
            let swapped_x = net.store.substitute(swapped, &expand);
            if !equal(&compare(net, swapped_x, correct_x, &[], &[])) {
                continue;
            }
            // The smallest part of the claim that names `s`: a call taking it, when `s`
            // stands nowhere else (`σ'(a)·a` needs both changed: the hint names `a`), or `s`
            // itself.
            let s_node = net.store.sym_node(s);
            let parents: Vec<Id> = net
                .store
                .reachable(&[claimed])
                .into_iter()
                .filter(|&id| net.store.node(id).children().contains(&s_node))
                .collect();
            let part = match parents.as_slice() {
                [p] if matches!(net.store.node(*p), Node::Call(..)) => Some(*p),
                _ => None,
            };
            let (p, q) = match part {
                Some(p) => (p, net.store.substitute(p, &swap)),
                None => (net.store.sym_node(s), t_node),
            };
            return Some(words(&net.store, &pattern, &[p, q]));
        }
    }
    None
}
