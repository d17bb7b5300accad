//! Formulas shared by the reports: partials `∂E/∂v`, chains of local derivatives along the
//! paths of a network, adjoints in sweep form, and let-bound forms of long formulas.

use crate::expr::{Id, Node, Store, Sym};
use crate::network::{Adjoint, Network};
use crate::print::{self, latex, latex_name, text};
use crate::simplify::rational::{normal, size};
use rug::{Integer, Rational};
use std::collections::HashMap;

/// A definition's formula `f` as a table shows it: `f` alone where it is the definition as
/// written (spaces aside), else `written = f`; and whether it was rewritten.
pub(super) fn def_formula(written: &str, f: String) -> (String, bool) {
    let written = written.trim();
    if same_but_spaces(written, &f) {
        (f, false)
    } else {
        (format!("{written} = {f}"), true)
    }
}

/// Whether two texts are the same once their spaces are left out.
pub(super) fn same_but_spaces(a: &str, b: &str) -> bool {
    a.chars()
        .filter(|c| *c != ' ')
        .eq(b.chars().filter(|c| *c != ' '))
}

/// `∂E/∂v` as text.
pub(super) fn partial_text(net: &Network, v: Sym) -> String {
    format!("∂{}/∂{}", net.name(net.output_def().name), net.name(v))
}

/// `∂E/∂v` as LaTeX.
pub(super) fn partial_latex(net: &Network, v: Sym) -> String {
    format!(
        "\\frac{{\\partial {}}}{{\\partial {}}}",
        latex_name(net.name(net.output_def().name)),
        latex_name(net.name(v))
    )
}

/// Sums with an integer common factor, each as that factor and the sum divided by it:
/// `2*ŷ - 2*y` is shown `2*(ŷ - y)`, the loss factor first as in the homework. The canonical
/// sum distributes a number (`2*(ŷ - y)` is built as `2*ŷ - 2*y`), so the printers of
/// chains and adjoints look the quotient up here.
#[derive(Default)]
pub(super) struct Factored(HashMap<Id, (Integer, Id)>);

/// The integer common factor of the sum `id` and the sum divided by it, when there is one
/// other than ±1 (negative when every term is).
fn integer_content(store: &mut Store, id: Id) -> Option<(Integer, Id)> {
    let Node::Add(sum) = store.node(id) else {
        return None;
    };
    let mut g = Integer::new();
    let mut all_negative = true;
    let whole = std::iter::once(sum.constant())
        .filter(|c| **c != 0)
        .chain(sum.terms().iter().map(|(_, k)| &**k));
    for k in whole {
        if *k.denom() != 1 {
            return None;
        }
        g.gcd_mut(k.numer());
        all_negative &= *k < 0;
    }
    if g <= 1 {
        return None;
    }
    if all_negative {
        g = -g;
    }
    let k = Rational::from((Integer::from(1), g.clone()));
    let rest = store.scale(id, &k);
    Some((g, rest))
}

/// `id` with the integer common factors of the sums it multiplies moved into the product's
/// coefficient (`w*x*(2*ŷ - 2*y)` is `2*w*x*(ŷ - y)`), in each term of a sum too: the same
/// value wherever either is defined, shorter, and the loss factor reads as the homework
/// writes it.
pub(super) fn content_first(store: &mut Store, id: Id) -> Id {
    match store.node(id).clone() {
        Node::Mul(p) => {
            let mut coeff = p.coeff().clone();
            let mut factors = Vec::new();
            for (b, e) in p.factors() {
                // A small whole power: (2*ŷ - 2*y)^2 is 4*(ŷ - y)^2.
                let k = e
                    .numer()
                    .to_u32()
                    .filter(|k| e.denom() == &1 && (1..=8).contains(k));
                match k.and_then(|k| Some((k, integer_content(store, *b)?))) {
                    Some((k, (g, rest))) => {
                        coeff *= rug::ops::Pow::pow(Rational::from(g), k);
                        factors.push((rest, e.to_rational()));
                    }
                    None => factors.push((*b, e.to_rational())),
                }
            }
            store.product_of(coeff, factors)
        }
        Node::Add(s) => {
            let terms = s
                .terms()
                .iter()
                .map(|(t, k)| (content_first(store, *t), k.to_rational()))
                .collect();
            store.sum_of(s.constant().clone(), terms)
        }
        _ => id,
    }
}

impl Factored {
    /// The common factors of the sums among `ids` (the quotients are built in `store`).
    pub(super) fn of(store: &mut Store, ids: impl IntoIterator<Item = Id>) -> Factored {
        let mut out = HashMap::new();
        for id in ids {
            if let Some(found) = integer_content(store, id) {
                out.insert(id, found);
            }
        }
        Factored(out)
    }

    /// `f` as text or LaTeX, with its common factor pulled out.
    pub(super) fn show(&self, store: &Store, f: Id, latex_mode: bool) -> Option<String> {
        let (k, rest) = self.0.get(&f)?;
        Some(if latex_mode {
            format!("{k} \\left({}\\right)", latex(store, *rest))
        } else {
            format!("{k}*({})", text(store, *rest))
        })
    }
}

/// One factor of a chain `a · b · c`: sums, negatives and products of several factors are
/// parenthesised, so `·` never mixes with `*` at one level; a number times a sum with its
/// factor pulled out (`2*(ŷ - y)`) reads as one factor and is not.
pub(super) fn chain_factor(net: &Network, fac: &Factored, f: Id, latex_mode: bool) -> String {
    if let Some(shown) = fac.show(&net.store, f, latex_mode) {
        return shown;
    }
    let body = if latex_mode {
        latex(&net.store, f)
    } else {
        text(&net.store, f)
    };
    let wrap = match net.store.node(f) {
        Node::Add(_) => true,
        Node::Mul(p) => p.factors().len() > 1 || !p.coeff_is(1),
        _ => false,
    } || body.starts_with('-');
    let (open, close) = match (wrap, latex_mode) {
        (true, true) => ("\\left(", "\\right)"),
        (true, false) => ("(", ")"),
        _ => return body,
    };
    let mut s = String::with_capacity(open.len() + body.len() + close.len());
    s.push_str(open);
    s.push_str(&body);
    s.push_str(close);
    s
}

/// An adjoint's formula in sweep form, `δ_u · ∂u/∂v` summed over the users `u` of `v`,
/// written in that order (`δ_z2 = δ_x2 · step(z2)`); `δ` of the output is 1 and not written.
pub(super) fn adjoint_formula(
    net: &Network,
    fac: &Factored,
    a: &Adjoint,
    latex_mode: bool,
) -> String {
    if a.terms.is_empty() {
        return if a.of == net.output_def().name {
            "1".into()
        } else {
            "0".into()
        };
    }
    let out = net.output_def().name;
    let mut text_out = String::with_capacity(64);
    for (i, (u, local)) in a.terms.iter().enumerate() {
        if i > 0 {
            text_out.push_str(" + ");
        }
        let has_delta = *u != out;
        if has_delta {
            let name = net.name(*u);
            let mut d = String::with_capacity(name.len() + 3);
            d.push_str("δ_");
            d.push_str(name);
            if latex_mode {
                text_out.push_str(&latex_name(&d));
            } else {
                text_out.push_str(&d);
            }
        }
        let is_one = net.store.as_num(*local).is_some_and(|r| *r == 1);
        if !is_one || !has_delta {
            if has_delta {
                text_out.push_str(if latex_mode { " \\cdot " } else { " · " });
            }
            let f = if let Some(shown) = fac.show(&net.store, *local, latex_mode) {
                shown
            } else if !has_delta {
                if latex_mode {
                    latex(&net.store, *local)
                } else {
                    text(&net.store, *local)
                }
            } else {
                chain_factor(net, fac, *local, latex_mode)
            };
            text_out.push_str(&f);
        }
    }
    // Room was made for most adjoints; what is left over is given back (a text report keeps
    // every row until its table is drawn).
    text_out.shrink_to_fit();
    text_out
}

/// Above this many characters of text, a formula is printed with let-bindings of its shared
/// subexpressions (`where t1 = …`) rather than as one tree.
pub(crate) const SHARED_FORM_CHARS: usize = 600;

/// The let-bound form of `id`, when its tree is long and sharing makes it shorter.
/// `text` is `id` printed as text, which the caller has anyway: its length decides.
pub(crate) fn shared_form(
    store: &Store,
    id: Id,
    text: &str,
    latex: bool,
) -> Option<print::LetBound> {
    let long = print::printed_size(store, id) > print::MAX_PRINT_NODES
        || text.chars().count() > SHARED_FORM_CHARS;
    if !long {
        return None;
    }
    let b = if latex {
        print::latex_let_bound(store, &[id])
    } else {
        print::let_bound(store, &[id])
    };
    (!b.bindings.is_empty()).then_some(b)
}

/// A chain of factors along one path, as text joined by ` · ` (which parses back as a product).
fn chain_text(net: &Network, fac: &Factored, factors: &[Id], latex_mode: bool) -> String {
    let shown: Vec<&Id> = factors
        .iter()
        .filter(|f| net.store.as_num(**f).is_none_or(|r| *r != 1))
        .collect();
    if shown.is_empty() {
        return "1".into();
    }
    if let [f] = shown[..] {
        // One factor alone needs no parentheses: `∂L/∂b = p - y`.
        return fac.show(&net.store, *f, latex_mode).unwrap_or_else(|| {
            if latex_mode {
                latex(&net.store, *f)
            } else {
                text(&net.store, *f)
            }
        });
    }
    let parts: Vec<String> = shown
        .iter()
        .map(|f| chain_factor(net, fac, **f, latex_mode))
        .collect();
    parts.join(if latex_mode { " \\cdot " } else { " · " })
}

/// The factors of a chain with neighbours multiplied together where rational normalisation
/// makes their product shorter than the two apart ([`normal`]): along the logistic loss,
/// `((1 - y)/(1 - p) - y/p) · (p*(1 - p)) · x1` becomes `(p - y) · x1`, as every backprop
/// lecture writes it. Factors 1 are left out. The product keeps the value wherever the chain
/// is defined; the values shown beside it are those of the backward pass, which checks the
/// cancelled denominators.
///
/// Each pair tried is remembered: the paths to all the parameters start at the output with
/// the same factors, so a report's paths share most of their pairs, and a deep chain's
/// gradient tries a number of pairs linear in its depth, not quadratic.
#[derive(Default)]
pub(super) struct Grouping(HashMap<(Id, Id), Option<Id>>);

impl Grouping {
    pub(super) fn grouped(&mut self, store: &mut Store, factors: &[Id]) -> Vec<Id> {
        let mut out: Vec<Id> = Vec::new();
        for &f in factors {
            if store.as_num(f).is_some_and(|r| *r == 1) {
                continue;
            }
            if let Some(&last) = out.last() {
                let joined = *self.0.entry((last, f)).or_insert_with(|| {
                    // The product itself may cancel (-1/h times h*(1 - h) is h - 1).
                    let product = store.mul(last, f);
                    let n = normal(store, product).map_or(product, |n| n.expr);
                    Some(n).filter(|&n| size(store, n) < size(store, last) + size(store, f))
                });
                if let Some(n) = joined {
                    *out.last_mut().expect("a last factor") = n;
                    continue;
                }
            }
            out.push(f);
        }
        out
    }
}

/// The chain-rule form of `∂E/∂v`, as text and as LaTeX: a sum over paths of products of
/// local partials, neighbours that cancel multiplied together ([`Grouping`]), and `None` past
/// 64 paths.
pub(super) fn chain_form(
    net: &mut Network,
    grouping: &mut Grouping,
    v: Sym,
) -> Option<(String, String)> {
    let paths = net.paths(v, 64)?;
    if paths.is_empty() {
        return Some(("0".into(), "0".into()));
    }
    let chains: Vec<Vec<Id>> = paths
        .iter()
        .map(|p| {
            let fs: Vec<Id> = p.iter().map(|e| e.2).collect();
            grouping.grouped(&mut net.store, &fs)
        })
        .collect();
    let fac = Factored::of(&mut net.store, chains.iter().flatten().copied());
    Some((
        chains_text(net, &fac, &chains, false),
        chains_text(net, &fac, &chains, true),
    ))
}

/// A sum of chains, one per path: a lone chain of one factor without parentheses, else each
/// chain as [`chain_text`] writes it.
pub(super) fn chains_text(
    net: &Network,
    fac: &Factored,
    chains: &[Vec<Id>],
    latex_mode: bool,
) -> String {
    if let [fs] = chains {
        return chain_text(net, fac, fs, latex_mode);
    }
    chains
        .iter()
        .map(|fs| match &fs[..] {
            [f] => chain_factor(net, fac, *f, latex_mode),
            _ => chain_text(net, fac, fs, latex_mode),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}
