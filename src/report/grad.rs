//! The gradient report: each parameter's partial in chain-rule form and expanded, with its
//! value when a point is given.

use super::formulas::{
    Grouping, chain_form, content_first, partial_latex, partial_text, shared_form,
};
use super::points::{point_json, point_text};
use super::values::value_json;
use super::{Numbers, Render, Style};
use crate::error::{Error, Result, TooLarge};
use crate::eval::{Point, Value, format};
use crate::expr::{Id, Sym};
use crate::network::{Backward, Network, Trace};
use crate::print::{latex, text};
use serde::Serialize;
use serde_json::Value as Json;
use unicode_width::UnicodeWidthStr;

/// Most factors `grad` writes out in chain-rule form, over all parameters.
pub const MAX_GRAD_FACTORS: u64 = 50_000;

/// Most distinct nodes `grad` writes out in expanded form, over all parameters.
pub const MAX_GRAD_NODES: usize = 200_000;

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
    let bw = net.backward();
    let expanded = net.expanded_gradient();
    check_expanded_size(net, form, &expanded)?;
    let values = match point {
        Some(p) => Some(net.trace(&bw, p, numbers.mode)?),
        None => None,
    };
    let partials = partials(net, &bw, form, &expanded, values.as_ref());
    let report = Grad {
        net,
        point,
        form,
        partials,
        values,
        digits: numbers.digits,
    };
    Ok(report.render(style))
}

/// Written out, a deep network's gradient is quadratic in its depth (each ∂E/∂w_i is a chain
/// of O(i) factors): measure before writing, and refuse past a budget.
fn check_chain_size(net: &mut Network, form: Form) -> Result<()> {
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

/// Each partial is printed on its own: add their sizes, stopping once over the limit.
fn check_expanded_size(net: &Network, form: Form, expanded: &[Id]) -> Result<()> {
    if !form.expanded() {
        return Ok(());
    }
    let mut total = 0usize;
    for e in expanded {
        total += net.store.dag_size(*e);
        if total > MAX_GRAD_NODES {
            return Err(Error::TooLarge(TooLarge::Expanded {
                limit: MAX_GRAD_NODES,
                partials: expanded.len(),
            }));
        }
    }
    Ok(())
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
    bw: &Backward,
    form: Form,
    expanded: &[Id],
    values: Option<&Trace>,
) -> Vec<Partial> {
    let params = net.params.clone();
    let mut items = Vec::new();
    let mut grouping = Grouping::default();
    for (k, p) in params.iter().enumerate() {
        let (chain, chain_latex) = if form.chain() {
            match chain_form(net, &mut grouping, *p) {
                Some(forms) => forms,
                None => {
                    // More than 64 paths: the backward recursion, inlined.
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
            expanded: if form.expanded() {
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
    gradient: Vec<PartialJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    point: Option<Json>,
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

impl Render for Grad<'_> {
    /// Each partial as `∂E/∂w = chain`, then its expanded form and value on lines below.
    fn text(&self) -> String {
        let net = self.net;
        let (show_chain, show_expanded) = (self.form.chain(), self.form.expanded());
        let mut s = String::new();
        if let Some(p) = self.point {
            s.push_str(&format!("Gradient at {}\n", point_text(&net.store, p)));
        }
        for Partial {
            param,
            chain,
            expanded,
            value,
            ..
        } in &self.partials
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
        let mut rows = Vec::new();
        for p in &self.partials {
            let mut parts = Vec::new();
            if self.form.chain() {
                parts.push(p.chain_latex.clone());
            }
            if self.form.expanded() {
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
            "\\begin{{aligned}}\n{}\n\\end{{aligned}}\n",
            rows.join(" \\\\[1ex]\n")
        )
    }

    fn json(&self) -> impl Serialize + '_ {
        let net = self.net;
        let gradient = self
            .partials
            .iter()
            .map(|p| PartialJson {
                param: net.name(p.param),
                chain: &p.chain,
                chain_latex: &p.chain_latex,
                expanded: text(&net.store, p.expanded),
                expanded_latex: latex(&net.store, p.expanded),
                value: p.value.as_ref().map(value_json),
            })
            .collect();
        GradJson {
            program: &net.source.1,
            output: net.name(net.output_def().name),
            gradient,
            point: self.point.map(|p| point_json(&net.store, p)),
        }
    }
}
