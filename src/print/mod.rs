//! Printers: text and LaTeX (JSON is the reports' own, in `report/`). Both walk the same DAG
//! through one `layout`.
//!
//! `layout` makes every presentation decision once (term order, where signs go, what goes
//! in a denominator, `x^(1/2)` as `sqrt(x)`); the text and LaTeX renderers only spell the
//! result. Precedence levels follow SymPy's `printing/precedence.py`.

mod latex;
mod names;
mod shared;
mod text;

pub use latex::{latex, latex_name};
pub use names::{
    NamesInPlay, command_of_char, greek_of_command, mark_of_accent, with_names_in_play,
};
pub(crate) use shared::latex_let_bound;
pub use shared::{LetBound, let_bound, text_let};
pub use text::text;

use crate::expr::{Func, Id, Node, Q, Store, natural_cmp, structural_cmp};
use rug::Rational;
use std::cmp::Ordering;

/// The most nodes an expression may have *written out* (a shared subexpression counted once
/// per appearance) to be printed in full: about a megabyte of text.
///
/// A DAG of a few hundred shared nodes can stand for an exponentially large tree (the 12th
/// derivative of `x^x` has 392 distinct nodes and four million characters of text; its 20th
/// would not fit in memory). Beyond this limit [`text`] and [`latex`] print a marker that
/// says so, `⟨too large to print: …⟩`, which no parser accepts; evaluation still works, as it
/// walks the shared DAG.
pub const MAX_PRINT_NODES: u64 = 250_000;

/// How many nodes `id` has when written out as a tree (saturating at `u64::MAX`): the work and
/// the size of printing it. Linear in the size of the DAG.
pub fn printed_size(store: &Store, id: Id) -> u64 {
    store.tree_sizes(&[id])[0]
}

/// The marker printed instead of an expression over [`MAX_PRINT_NODES`], if `id` is one.
pub(crate) fn too_large(store: &Store, id: Id) -> Option<String> {
    // Most formulas a report prints are a few nodes: counting their tree directly (a few
    // steps) shows they are far below the limit.
    if store.tree_size_at_most(id, 1024) {
        return None;
    }
    let n = printed_size(store, id);
    if n <= MAX_PRINT_NODES {
        return None;
    }
    let about = if n == u64::MAX {
        "more than 1.8e19".to_string()
    } else {
        format!("{:.1e}", n as f64)
    };
    Some(format!(
        "too large to print: {about} nodes written out (the limit is {MAX_PRINT_NODES}), \
         {} distinct",
        store.dag_size(id)
    ))
}

/// The formulas most reports print many of, in the shapes [`layout`] would give them: a
/// variable, a built-in applied to a variable, the product of two variables (in
/// [`structural_cmp`] order). Their printers need no layout.
pub(crate) enum Small<'s> {
    Var(&'s str),
    Call(crate::expr::Builtin, &'s str),
    Product(&'s str, &'s str),
}

/// `id` as a [`Small`] formula, if it is one.
pub(crate) fn small(store: &Store, id: Id) -> Option<Small<'_>> {
    let var = |id: Id| match store.node(id) {
        Node::Sym(s) => Some(store.name(*s)),
        _ => None,
    };
    match store.node(id) {
        Node::Sym(s) => Some(Small::Var(store.name(*s))),
        Node::Call(Func::Builtin(b), args) if args.len() == 1 => {
            Some(Small::Call(*b, var(args[0])?))
        }
        Node::Mul(p) if p.coeff_is(1) => match p.factors() {
            [(a, ea), (b, eb)] if *ea == 1 && *eb == 1 => {
                let (x, y) = (var(*a)?, var(*b)?);
                Some(match order_cmp(store, *a, *b) {
                    Ordering::Greater => Small::Product(y, x),
                    _ => Small::Product(x, y),
                })
            }
            _ => None,
        },
        _ => None,
    }
}

/// Precedence levels, lowest first.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) enum Prec {
    Sum,
    Neg,
    Product,
    Pow,
    Atom,
}

/// An expression laid out for display.
#[derive(Clone, Debug)]
pub(crate) enum Disp {
    /// A non-negative number.
    Num(Rational),
    /// A variable name.
    Sym(String),
    /// Terms with their signs (`true` = subtracted); the first is printed with a leading `-`.
    Sum(Vec<(bool, Disp)>),
    /// `-x`
    Neg(Box<Disp>),
    /// Numerator and denominator factors (the numerator empty means 1).
    Product(Vec<Disp>, Vec<Disp>),
    /// `base ^ exponent`
    Pow(Box<Disp>, Box<Disp>),
    /// `sqrt(x)`
    Sqrt(Box<Disp>),
    /// A call.
    Call(Callee, Vec<Disp>),
}

/// What is called.
#[derive(Clone, Debug)]
pub(crate) enum Callee {
    /// A built-in, by name.
    Builtin(crate::expr::Builtin),
    /// An abstract function: its name, the number of primes (one argument) or the 1-based
    /// partial slots (several arguments).
    Abstract {
        name: String,
        primes: usize,
        partials: Vec<usize>,
        /// The declared parameter names, when known (`fn ℓ(y, ŷ)`).
        params: Option<Vec<String>>,
    },
}

impl Disp {
    pub(crate) fn prec(&self) -> Prec {
        match self {
            Disp::Num(r) if *r.denom() != 1 => Prec::Product,
            Disp::Num(_) | Disp::Sym(_) | Disp::Call(..) | Disp::Sqrt(_) => Prec::Atom,
            Disp::Sum(_) => Prec::Sum,
            Disp::Neg(_) => Prec::Neg,
            Disp::Product(..) => Prec::Product,
            Disp::Pow(..) => Prec::Pow,
        }
    }
}

/// Lays out `id` for display.
pub(crate) fn layout(store: &Store, id: Id) -> Disp {
    stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || match store.node(id) {
        Node::Num(r) => signed(r.to_rational(), Disp::Num),
        Node::Sym(s) => Disp::Sym(store.name(*s).to_string()),
        Node::Add(s) => layout_sum(store, s.constant(), s.terms()),
        Node::Mul(p) => {
            let (neg, d) = layout_product(store, p.coeff(), p.factors());
            if neg { Disp::Neg(Box::new(d)) } else { d }
        }
        Node::Pow(b, e) => Disp::Pow(Box::new(layout(store, *b)), Box::new(layout(store, *e))),
        Node::Call(f, args) => {
            let args: Vec<Disp> = args.iter().map(|a| layout(store, *a)).collect();
            let callee = match f {
                Func::Builtin(b) => Callee::Builtin(*b),
                Func::Abstract(a) => {
                    let name = store.name(a.name).to_string();
                    let params = store
                        .param_names(a.name)
                        .filter(|p| p.len() == args.len())
                        .map(<[String]>::to_vec);
                    if args.len() == 1 {
                        Callee::Abstract {
                            name,
                            primes: a.partials.len(),
                            partials: vec![],
                            params,
                        }
                    } else {
                        Callee::Abstract {
                            name,
                            primes: 0,
                            partials: a.partials.iter().map(|p| *p as usize + 1).collect(),
                            params,
                        }
                    }
                }
            };
            Disp::Call(callee, args)
        }
    })
}

fn signed(r: Rational, f: impl Fn(Rational) -> Disp) -> Disp {
    if r < 0 {
        Disp::Neg(Box::new(f(-r)))
    } else {
        f(r)
    }
}

/// [`structural_cmp`], without building its memo where the answer is at hand: two variables
/// compare by name (then id), a variable comes after numbers and before everything else.
fn order_cmp(store: &Store, a: Id, b: Id) -> Ordering {
    let compound = |n: &Node| !matches!(n, Node::Num(_) | Node::Sym(_));
    match (store.node(a), store.node(b)) {
        (Node::Sym(x), Node::Sym(y)) if a != b => {
            natural_cmp(store.name(*x), store.name(*y)).then_with(|| a.cmp(&b))
        }
        (Node::Sym(_), n) if compound(n) => Ordering::Less,
        (n, Node::Sym(_)) if compound(n) => Ordering::Greater,
        _ => structural_cmp(store, a, b),
    }
}

/// Sum terms: positive ones first, then negative ones, each group in structural order with
/// the constant last (`y - w*x`, `1 - sigmoid(x)`, `x + 1`).
fn layout_sum(store: &Store, constant: &Rational, terms: &[(Id, Q)]) -> Disp {
    let mut sorted: Vec<&(Id, Q)> = terms.iter().collect();
    sorted.sort_by(|a, b| {
        (a.1 < 0)
            .cmp(&(b.1 < 0))
            .then_with(|| order_cmp(store, a.0, b.0))
    });
    let (pos, neg): (Vec<_>, Vec<_>) = sorted.into_iter().partition(|t| t.1 > 0);
    let mut out = Vec::new();
    let push_terms = |out: &mut Vec<(bool, Disp)>, group: Vec<&(Id, Q)>| {
        for (t, k) in group {
            // The term's magnitude: `layout_product` writes `|k|` (its sign is the term's).
            let d = match store.node(*t) {
                Node::Mul(p) => layout_product(store, k, p.factors()).1,
                // `1*t` is `t`, as `layout_product` would write it.
                _ if *k.numer().as_abs() == 1 && *k.denom() == 1 => layout(store, *t),
                _ => layout_product(store, k, &[(*t, Q::int(1))]).1,
            };
            out.push((*k < 0, d));
        }
    };
    push_terms(&mut out, pos);
    if *constant > 0 {
        out.push((false, Disp::Num(constant.clone())));
    }
    push_terms(&mut out, neg);
    if *constant < 0 {
        out.push((true, Disp::Num(Rational::from(-constant))));
    }
    Disp::Sum(out)
}

/// A product `coeff · Π b^e` as numerator and denominator; returns whether it is negative.
fn layout_product(store: &Store, coeff: &Rational, factors: &[(Id, Q)]) -> (bool, Disp) {
    let mut sorted: Vec<&(Id, Q)> = factors.iter().collect();
    sorted.sort_by(|a, b| order_cmp(store, a.0, b.0));
    let mut num = Vec::with_capacity(factors.len() + 1);
    let mut den = Vec::new();
    if *coeff.numer().as_abs() != 1 || sorted.iter().all(|f| f.1 < 0 && !store.is_zero(f.0)) {
        num.push(Disp::Num(Rational::from(coeff.numer().clone().abs())));
    }
    if *coeff.denom() != 1 {
        den.push(Disp::Num(Rational::from(coeff.denom().clone())));
    }
    for (b, e) in sorted {
        let base = layout(store, *b);
        if *e < 0 && store.is_zero(*b) {
            // `0^(-2)` stays unevaluated so that evaluation reports the division by zero; as
            // `1/0^2` it would read back as `1/0`, another node, since `0^2` folds to 0.
            num.push(Disp::Pow(
                Box::new(base),
                Box::new(signed(e.to_rational(), Disp::Num)),
            ));
            continue;
        }
        let d = power(base, e);
        if *e > 0 {
            num.push(d);
        } else {
            den.push(d);
        }
    }
    let neg = *coeff < 0;
    if den.is_empty() && num.len() == 1 {
        return (neg, num.pop().unwrap());
    }
    (neg, Disp::Product(num, den))
}

/// `base^|e|`: the base itself for 1, `sqrt` for 1/2.
fn power(base: Disp, e: &Rational) -> Disp {
    let (n, d) = (e.numer().as_abs(), e.denom());
    if *n == 1 && *d == 1 {
        base
    } else if *n == 1 && *d == 2 {
        Disp::Sqrt(Box::new(base))
    } else {
        Disp::Pow(
            Box::new(base),
            Box::new(Disp::Num(Rational::from(e.abs_ref()))),
        )
    }
}
