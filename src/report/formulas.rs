//! Formulas shared by the reports: partials `∂E/∂v`, chains of local derivatives along the
//! paths of a network, adjoints in sweep form, and let-bound forms of long formulas.

use crate::expr::{Id, Node, Store, Sym};
use crate::network::{Adjoint, Network};
use crate::print::{self, latex, latex_name, text};

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

/// One factor of a chain `a · b · c`: sums, negatives and products of several factors are
/// parenthesised, so `·` never mixes with `*` at one level.
pub(super) fn chain_factor(net: &Network, f: Id, latex_mode: bool) -> String {
    let body = if latex_mode {
        latex(&net.store, f)
    } else {
        text(&net.store, f)
    };
    let wrap = match net.store.node(f) {
        Node::Add(_) => true,
        Node::Mul(p) => p.factors().len() > 1 || *p.coeff() != 1,
        _ => false,
    } || body.starts_with('-');
    match (wrap, latex_mode) {
        (true, true) => format!("\\left({body}\\right)"),
        (true, false) => format!("({body})"),
        _ => body,
    }
}

/// An adjoint's formula in sweep form, `δ_u · ∂u/∂v` summed over the users `u` of `v`,
/// written in that order (`δ_z2 = δ_x2 · step(z2)`); `δ` of the output is 1 and not written.
pub(super) fn adjoint_formula(net: &Network, a: &Adjoint, latex_mode: bool) -> String {
    if a.terms.is_empty() {
        return if a.of == net.output_def().name {
            "1".into()
        } else {
            "0".into()
        };
    }
    let out = net.output_def().name;
    let terms: Vec<String> = a
        .terms
        .iter()
        .map(|(u, local)| {
            let mut fs = Vec::new();
            if *u != out {
                let d = format!("δ_{}", net.name(*u));
                fs.push(if latex_mode { latex_name(&d) } else { d });
            }
            let is_one = net.store.as_num(*local).is_some_and(|r| *r == 1);
            if !is_one || fs.is_empty() {
                fs.push(if fs.is_empty() {
                    if latex_mode {
                        latex(&net.store, *local)
                    } else {
                        text(&net.store, *local)
                    }
                } else {
                    chain_factor(net, *local, latex_mode)
                });
            }
            fs.join(if latex_mode { " \\cdot " } else { " · " })
        })
        .collect();
    terms.join(" + ")
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
fn chain_text(net: &Network, factors: &[Id], latex_mode: bool) -> String {
    let shown: Vec<&Id> = factors
        .iter()
        .filter(|f| net.store.as_num(**f).is_none_or(|r| *r != 1))
        .collect();
    if shown.is_empty() {
        return "1".into();
    }
    let parts: Vec<String> = shown
        .iter()
        .map(|f| chain_factor(net, **f, latex_mode))
        .collect();
    parts.join(if latex_mode { " \\cdot " } else { " · " })
}

/// The chain-rule form of `∂E/∂v`, as text and as LaTeX: a sum over paths of products of
/// local partials (`None` past 64 paths).
pub(super) fn chain_form(net: &mut Network, v: Sym) -> Option<(String, String)> {
    let paths = net.paths(v, 64)?;
    if paths.is_empty() {
        return Some(("0".into(), "0".into()));
    }
    let sum = |latex_mode: bool| {
        paths
            .iter()
            .map(|p| {
                let fs: Vec<Id> = p.iter().map(|e| e.2).collect();
                chain_text(net, &fs, latex_mode)
            })
            .collect::<Vec<_>>()
            .join(" + ")
    };
    Some((sum(false), sum(true)))
}
