//! The gradient report: each parameter's partial in chain-rule form and expanded, with its
//! value when a point is given.

use super::formulas::{
    Grouping, chain_form, content_first, partial_latex, partial_text, shared_form,
};
use super::points::{PointJson, point_json, point_text};
use super::values::value_json;
use super::{Numbers, Render, Style};
use crate::error::{Error, Result, TooLarge};
use crate::eval::{Point, Value, format};
use crate::expr::{Id, Sym};
use crate::network::{Backward, Network, Trace};
use crate::print::{LetBound, latex, latex_let_bound, let_bound, text};
use serde::Serialize;
use serde_json::Value as Json;
use unicode_width::UnicodeWidthStr;

/// Most factors `grad` writes out in chain-rule form, over all parameters.
pub const MAX_GRAD_FACTORS: u64 = 50_000;

/// Most distinct nodes `grad` writes out in expanded form, over all parameters: counted
/// partial by partial when each is printed on its own, counted once over all partials when
/// they are printed with one block of shared parts (`MAX_SEPARATE_NODES`). Past it the
/// output is hundreds of thousands of lines, more than a person reads.
pub const MAX_GRAD_NODES: usize = 200_000;

/// Most distinct nodes, added partial by partial, for which `grad` prints each expanded
/// partial on its own (with its own shared parts named when it is long). Past it the
/// partials are printed with one block of named parts shared by all of them: a deep
/// network's partials share most of their nodes (the n-layer chain's n partials have O(n)
/// nodes each, O(n) in all), so printed one by one they would be quadratic in its size, and
/// with one block they are linear.
pub const MAX_SEPARATE_NODES: usize = 10_000;

/// Which forms of the gradient to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// In terms of the intermediates and local derivatives, along the chain.
    Intermediates,
    /// Fully expanded in the inputs.
    Expanded,
    /// Both.
    Both,
}

impl Form {
    fn chain(self) -> bool {
        self != Form::Expanded
    }

    fn expanded(self) -> bool {
        self != Form::Intermediates
    }
}

/// Gradients, in chain-rule form and expanded, with values when a point is given.
///
/// A gradient too large to write out in the forms asked for is [`Error::TooLarge`].
pub fn grad(
    net: &mut Network,
    point: Option<&Point>,
    numbers: Numbers,
    form: Form,
    style: Style,
) -> Result<String> {
    check_chain_size(net, form)?;
    // The backward pass is needed for the chain-rule form and for values; the expanded form
    // alone is the reverse sweep over the expanded output.
    let bw = (form.chain() || point.is_some()).then(|| net.backward());
    let expanded = net.expanded_gradient();
    let shared = check_expanded_size(net, form, &expanded)?;
    let values = match (point, &bw) {
        (Some(p), Some(bw)) => Some(net.trace(bw, p, numbers.mode)?),
        _ => None,
    };
    let partials = partials(net, bw.as_ref(), form, &expanded, values.as_ref());
    let report = Grad {
        net,
        point,
        form,
        partials,
        shared,
        values,
        digits: numbers.digits,
    };
    Ok(report.render(style))
}

/// Written out, a deep network's gradient is quadratic in its depth (each ∂E/∂w_i is a chain
/// of O(i) factors): measure before writing, and refuse past a budget.
fn check_chain_size(net: &mut Network, form: Form) -> Result<()> {
    if !form.chain() {
        return Ok(());
    }
    let sizes = net.chain_sizes();
    let factors: u64 = net
        .params
        .iter()
        .map(|p| sizes.get(p).map_or(0, |s| s.1))
        .fold(0, u64::saturating_add);
    if form.chain() && factors > MAX_GRAD_FACTORS {
        return Err(Error::TooLarge(TooLarge::ChainForm {
            factors,
            limit: MAX_GRAD_FACTORS,
        }));
    }
    Ok(())
}

/// Whether the expanded partials are printed with one block of shared parts (`true`) or each
/// on its own: on their own while their sizes added stay within [`MAX_SEPARATE_NODES`]; with
/// one block, counted once, up to [`MAX_GRAD_NODES`]; past that, too large.
fn check_expanded_size(net: &Network, form: Form, expanded: &[Id]) -> Result<bool> {
    if !form.expanded() {
        return Ok(false);
    }
    let mut total = 0usize;
    for e in expanded {
        total += net.store.dag_size(*e);
        if total > MAX_SEPARATE_NODES {
            break;
        }
    }
    if total <= MAX_SEPARATE_NODES {
        return Ok(false);
    }
    if net.store.reachable(expanded).len() > MAX_GRAD_NODES {
        return Err(Error::TooLarge(TooLarge::Expanded {
            limit: MAX_GRAD_NODES,
            partials: expanded.len(),
        }));
    }
    Ok(true)
}

/// One parameter's partial derivative.
struct Partial {
    param: Sym,
    /// The chain-rule form as text and as LaTeX (empty when not asked for).
    chain: String,
    chain_latex: String,
    expanded: Id,
    value: Option<Value>,
}

/// Each parameter's partial: the chain-rule form when asked for, expanded, and valued.
fn partials(
    net: &mut Network,
    bw: Option<&Backward>,
    form: Form,
    expanded: &[Id],
    values: Option<&Trace>,
) -> Vec<Partial> {
    let params = net.params.clone();
    // Which partials are small enough for the simplifier (the others it returns as they are),
    // found for all of them in one pass: a deep network's partials share most of their nodes.
    let simplifiable = if form.expanded() {
        net.store
            .tree_sizes_at_most(expanded, crate::simplify::NODE_BUDGET)
    } else {
        Vec::new()
    };
    let mut items = Vec::new();
    let mut grouping = Grouping::default();
    for (k, p) in params.iter().enumerate() {
        let (chain, chain_latex) = if form.chain() {
            match chain_form(net, &mut grouping, *p) {
                Some(forms) => forms,
                None => {
                    // More than 64 paths: the backward recursion, inlined.
                    let bw = bw.expect("the backward pass, made for the chain-rule form");
                    let inlined = net.inlined(bw, *p);
                    let inlined = content_first(&mut net.store, inlined);
                    (text(&net.store, inlined), latex(&net.store, inlined))
                }
            }
        } else {
            (String::new(), String::new())
        };
        items.push(Partial {
            param: *p,
            chain,
            chain_latex,
            // Printed in the shortest form the simplifier finds (bounded by size: a large
            // gradient prints as it is); values come from the backward pass.
            expanded: if simplifiable.get(k) == Some(&true) {
                crate::simplify::simplify(&mut net.store, expanded[k]).id
            } else {
                expanded[k]
            },
            value: values.map(|t| t.gradient[k].clone()),
        });
    }
    items
}

/// The data of the report.
struct Grad<'a> {
    net: &'a Network,
    point: Option<&'a Point>,
    form: Form,
    partials: Vec<Partial>,
    /// Whether the expanded partials are printed with one block of shared parts.
    shared: bool,
    /// The backward pass's values, when a point is given (for its notes on kinks).
    values: Option<Trace>,
    /// Significant digits of inexact values in text and LaTeX.
    digits: usize,
}

/// The report as JSON.
#[derive(Serialize)]
struct GradJson<'a> {
    program: &'a str,
    output: &'a str,
    /// The parts the expanded partials share, each written once (`t1 = …`), when the
    /// partials are printed in terms of them; absent otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    shared: Vec<SharedJson>,
    gradient: Vec<PartialJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    point: Option<PointJson<'a>>,
    /// The values' notes (a kink met, digits lost to cancellation), as text prints them.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
}

/// One named part shared by the expanded partials, as JSON.
#[derive(Serialize)]
struct SharedJson {
    name: String,
    expanded: String,
    expanded_latex: String,
}

/// One partial derivative, as JSON.
#[derive(Serialize)]
struct PartialJson<'a> {
    param: &'a str,
    chain: &'a str,
    chain_latex: &'a str,
    expanded: String,
    expanded_latex: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Json>,
}

impl Grad<'_> {
    /// The expanded partials in terms of the parts they share, as text or LaTeX, when they
    /// are printed so ([`check_expanded_size`]).
    fn shared_parts(&self, latex_mode: bool) -> Option<LetBound> {
        if !self.shared {
            return None;
        }
        let roots: Vec<Id> = self.partials.iter().map(|p| p.expanded).collect();
        Some(if latex_mode {
            latex_let_bound(&self.net.store, &roots)
        } else {
            let_bound(&self.net.store, &roots)
        })
    }
}

impl Render for Grad<'_> {
    /// Each partial as `∂E/∂w = chain`, then its expanded form and value on lines below.
    fn text(&self) -> String {
        let net = self.net;
        let (show_chain, show_expanded) = (self.form.chain(), self.form.expanded());
        let mut s = String::new();
        if let Some(p) = self.point {
            s.push_str(&format!("Gradient at {}\n", point_text(&net.store, p)));
        }
        let shared = self.shared_parts(false);
        if let Some(b) = &shared {
            s.push_str("Parts the expanded partials share, each written once:\n");
            for (n, def) in &b.bindings {
                s.push_str(&format!("  {n} = {def}\n"));
            }
            s.push('\n');
        }
        for (
            k,
            Partial {
                param,
                chain,
                expanded,
                value,
                ..
            },
        ) in self.partials.iter().enumerate()
        {
            let lhs = partial_text(net, *param);
            let pad = " ".repeat(UnicodeWidthStr::width(lhs.as_str()));
            let mut first = true;
            let mut line = |s: &mut String, body: String, note: &str| {
                let l = if first { &lhs } else { &pad };
                s.push_str(&format!("{l} = {body}{note}\n"));
                first = false;
            };
            if show_chain {
                line(&mut s, chain.clone(), "");
            }
            if let Some(b) = &shared {
                line(
                    &mut s,
                    b.roots[k].clone(),
                    if show_chain { "    (expanded)" } else { "" },
                );
                if let Some(v) = value {
                    line(&mut s, format::for_people(v, self.digits), "");
                }
                s.push('\n');
                continue;
            }
            let exp_text = if show_expanded {
                text(&net.store, *expanded)
            } else {
                String::new()
            };
            if show_expanded && let Some(b) = shared_form(&net.store, *expanded, &exp_text, false) {
                let mut body = format!("{}    (expanded, with shared parts named)", b.roots[0]);
                for (n, def) in &b.bindings {
                    body.push_str(&format!("\n{pad}     {n} = {def}"));
                }
                line(&mut s, body, "");
            } else if show_expanded {
                line(
                    &mut s,
                    exp_text,
                    if show_chain { "    (expanded)" } else { "" },
                );
            }
            if let Some(v) = value {
                line(&mut s, format::for_people(v, self.digits), "");
            }
            s.push('\n');
        }
        if let Some(t) = &self.values {
            for k in &t.kinks {
                s.push_str(&format!("note: {k}\n"));
            }
        }
        s.trim_end().to_string() + "\n"
    }

    /// One LaTeX `aligned` environment, a block of rows per partial.
    fn latex(&self) -> String {
        let net = self.net;
        let shared = self.shared_parts(true);
        let mut rows = Vec::new();
        if let Some(b) = &shared {
            let defs: Vec<String> = b
                .bindings
                .iter()
                .map(|(n, def)| format!("{n} &= {def}"))
                .collect();
            if !defs.is_empty() {
                rows.push(defs.join(" \\\\\n"));
            }
        }
        for (k, p) in self.partials.iter().enumerate() {
            let mut parts = Vec::new();
            if self.form.chain() {
                parts.push(p.chain_latex.clone());
            }
            if let Some(b) = &shared {
                parts.push(b.roots[k].clone());
            } else if self.form.expanded() {
                parts.push(latex(&net.store, p.expanded));
            }
            if let Some(v) = &p.value {
                parts.push(format::latex(v, self.digits));
            }
            let mut row = format!("{} &= {}", partial_latex(net, p.param), parts[0]);
            for part in &parts[1..] {
                row.push_str(&format!(" \\\\\n  &= {part}"));
            }
            rows.push(row);
        }
        format!(
            "\\begin{{aligned}}\n{}\n\\end{{aligned}}\n{}",
            rows.join(" \\\\[1ex]\n"),
            super::latex_notes(self.notes())
        )
    }

    fn json_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        super::write_json(&self.json(), w)
    }
}

impl Grad<'_> {
    fn json(&self) -> impl Serialize + '_ {
        let net = self.net;
        let (shared_text, shared_latex) = (self.shared_parts(false), self.shared_parts(true));
        let gradient = self
            .partials
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let (expanded, expanded_latex) = match (&shared_text, &shared_latex) {
                    (Some(t), Some(l)) => (t.roots[k].clone(), l.roots[k].clone()),
                    _ => (text(&net.store, p.expanded), latex(&net.store, p.expanded)),
                };
                PartialJson {
                    param: net.name(p.param),
                    chain: &p.chain,
                    chain_latex: &p.chain_latex,
                    expanded,
                    expanded_latex,
                    value: p.value.as_ref().map(value_json),
                }
            })
            .collect();
        let shared = match (shared_text, shared_latex) {
            (Some(t), Some(l)) => t
                .bindings
                .into_iter()
                .zip(l.bindings)
                .map(|((name, expanded), (_, expanded_latex))| SharedJson {
                    name,
                    expanded,
                    expanded_latex,
                })
                .collect(),
            _ => Vec::new(),
        };
        GradJson {
            program: &net.source.1,
            output: net.name(net.output_def().name),
            shared,
            gradient,
            point: self.point.map(|p| point_json(&net.store, p)),
            notes: self.notes(),
        }
    }

    /// The notes of the values, if any.
    fn notes(&self) -> &[String] {
        self.values.as_ref().map_or(&[], |t| &t.kinks)
    }
}
