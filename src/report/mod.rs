//! Reports on a network: the backward pass, gradients and chain-rule derivations, as text
//! tables, LaTeX and JSON. They read the network and its DAG; they never change a value.

use crate::error::{Error, Result};
use crate::eval::{Mode, Point, Value, format};
use crate::expr::{Id, Store, Sym, natural_cmp};
use crate::network::{Backward, Network, Trace};
use crate::print::{self, latex, latex_name, text};
use serde_json::{Value as Json, json};
use unicode_width::UnicodeWidthStr;

/// Output formats of reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Aligned text tables.
    Text,
    /// LaTeX `aligned` environments.
    Latex,
    /// JSON.
    Json,
}

/// How values are shown.
#[derive(Clone, Copy, Debug)]
pub struct Numbers {
    /// How to evaluate.
    pub mode: Mode,
    /// Significant digits of inexact values in text and LaTeX.
    pub digits: usize,
}

/// All digits of a value, for JSON: exact as an integer or `p/q`, floats in full.
fn value_json(v: &Value) -> Json {
    match v {
        Value::Exact(r) => Json::String(r.to_string()),
        Value::Mpfr(f) => Json::String(v.to_decimal(format::digits_for_bits(f.prec()))),
        Value::F64(_) => Json::String(v.to_decimal(17)),
    }
}

fn arithmetic(vs: &[Value]) -> &'static str {
    match vs.first() {
        Some(Value::Exact(_)) | None => "exact",
        Some(Value::Mpfr(_)) => "mpfr",
        Some(Value::F64(_)) => "f64",
    }
}

/// Rows of cells, aligned in columns by display width, `gap` spaces between columns.
fn table(rows: &[Vec<String>], indent: &str, gap: usize) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| UnicodeWidthStr::width(s.as_str()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = indent.to_string();
        for (c, cell) in r.iter().enumerate() {
            line.push_str(cell);
            if c + 1 < r.len() {
                let pad = widths[c] - UnicodeWidthStr::width(cell.as_str()) + gap;
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The point's values sorted by name in natural order (`w2` before `w10`).
fn sorted_point<'p>(store: &Store, point: &'p Point) -> Vec<(Sym, &'p rug::Rational)> {
    let mut items: Vec<(Sym, &rug::Rational)> = point.iter().map(|(s, v)| (*s, v)).collect();
    items.sort_by(|a, b| natural_cmp(store.name(a.0), store.name(b.0)));
    items
}

/// The point as `x = 1, y = 10`, names in natural order.
pub fn point_text(store: &Store, point: &Point) -> String {
    sorted_point(store, point)
        .iter()
        .map(|(s, v)| match store.written_value(*s, v) {
            // As the user wrote it: 6.8813735870195432, not 8601716983774429/1250000000000000.
            Some(t) => format!("{} = {t}", store.name(*s)),
            None => format!("{} = {v}", store.name(*s)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The point in LaTeX: `w_{1} = 2, \; x = 1`.
pub fn point_latex(store: &Store, point: &Point) -> String {
    sorted_point(store, point)
        .iter()
        .map(|(s, v)| {
            // A plain decimal as written; fractions and exponents as LaTeX fractions.
            let value = match store.written_value(*s, v) {
                Some(t)
                    if t.bytes()
                        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') =>
                {
                    t.to_string()
                }
                _ => format::latex_rational(v),
            };
            format!("{} = {value}", latex_name(store.name(*s)))
        })
        .collect::<Vec<_>>()
        .join(", \\; ")
}

fn point_json(store: &Store, point: &Point) -> Json {
    let items = sorted_point(store, point)
        .into_iter()
        .map(|(s, v)| (store.name(s).to_string(), Json::String(v.to_string())));
    Json::Object(items.collect())
}

/// `∂E/∂v` as text.
fn partial_text(net: &Network, v: Sym) -> String {
    format!("∂{}/∂{}", net.name(net.output_def().name), net.name(v))
}

fn partial_latex(net: &Network, v: Sym) -> String {
    format!(
        "\\frac{{\\partial {}}}{{\\partial {}}}",
        latex_name(net.name(net.output_def().name)),
        latex_name(net.name(v))
    )
}

/// One factor of a chain `a · b · c`: sums, negatives and products of several factors are
/// parenthesised, so `·` never mixes with `*` at one level.
fn chain_factor(net: &Network, f: Id, latex_mode: bool) -> String {
    let body = if latex_mode {
        latex(&net.store, f)
    } else {
        text(&net.store, f)
    };
    let wrap = match net.store.node(f) {
        crate::expr::Node::Add(_) => true,
        crate::expr::Node::Mul(p) => p.factors().len() > 1 || *p.coeff() != 1,
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
fn adjoint_formula(net: &Network, a: &crate::network::Adjoint, latex_mode: bool) -> String {
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

/// The forward and backward passes at a point, step by step.
pub fn backprop(
    net: &mut Network,
    point: &Point,
    numbers: Numbers,
    style: Style,
) -> Result<String> {
    let bw = net.backward();
    let trace = net.trace(&bw, point, numbers.mode)?;
    let live = net.live_defs();
    let d = numbers.digits;
    Ok(match style {
        Style::Text => backprop_text(net, &bw, &trace, &live, point, d),
        Style::Latex => backprop_latex(net, &bw, &trace, &live, point, d),
        Style::Json => {
            let forward: Vec<Json> = live
                .iter()
                .zip(&trace.forward)
                .map(|(&i, v)| {
                    let def = &net.defs[i];
                    json!({
                        "name": net.name(def.name),
                        "formula": text(&net.store, def.formula),
                        "written": def.written,
                        "latex": latex(&net.store, def.formula),
                        "value": value_json(v),
                    })
                })
                .collect();
            let adjoint_json = |a: &crate::network::Adjoint, v: &Value, label: String| {
                json!({
                    "name": label,
                    "of": net.name(a.of),
                    "formula": adjoint_formula(net, a, false),
                    "latex": adjoint_formula(net, a, true),
                    "simplified": text(&net.store, a.formula),
                    "value": value_json(v),
                })
            };
            let backward: Vec<Json> = bw
                .adjoints
                .iter()
                .zip(&trace.adjoints)
                .chain(bw.gradient.iter().zip(&trace.gradient))
                .map(|(a, v)| adjoint_json(a, v, net.name(a.delta).to_string()))
                .collect();
            let mut gradient = serde_json::Map::new();
            for (a, v) in bw.gradient.iter().zip(&trace.gradient) {
                gradient.insert(net.name(a.of).to_string(), value_json(v));
            }
            let j = json!({
                "program": net.source.1,
                "output": net.name(net.output_def().name),
                "point": point_json(&net.store, point),
                "arithmetic": arithmetic(&trace.forward),
                "forward": forward,
                "backward": backward,
                "gradient": gradient,
                "kinks": trace.kinks,
            });
            serde_json::to_string_pretty(&j).expect("JSON") + "\n"
        }
    })
}

fn backprop_text(
    net: &Network,
    bw: &Backward,
    trace: &Trace,
    live: &[usize],
    point: &Point,
    d: usize,
) -> String {
    let out_name = net.name(net.output_def().name).to_string();
    let mut s = format!("Forward pass at {}\n", point_text(&net.store, point));
    let mut rows = Vec::new();
    for (&i, v) in live.iter().zip(&trace.forward) {
        let def = &net.defs[i];
        let f = text(&net.store, def.formula);
        let written = def.written.trim().to_string();
        let formula = if written.replace(' ', "") == f.replace(' ', "") {
            f
        } else {
            format!("{written} = {f}")
        };
        rows.push(vec![
            net.name(def.name).to_string(),
            " = ".into(),
            formula,
            " = ".into(),
            format::for_people(v, d),
        ]);
    }
    s.push_str(&table(&rows, "  ", 0));
    s.push_str(&format!(
        "\nBackward pass: δ_v = ∂{out_name}/∂v, from the output down; each δ sums over the users of v\n"
    ));
    let mut rows = Vec::new();
    for (a, v) in bw.adjoints.iter().zip(&trace.adjoints) {
        let mut row = vec![
            net.name(a.delta).to_string(),
            " = ".into(),
            adjoint_formula(net, a, false),
        ];
        // `δ_E = 1`, not `δ_E = 1 = 1`.
        if a.of != net.output_def().name {
            row.extend([" = ".into(), format::for_people(v, d)]);
        }
        rows.push(row);
    }
    s.push_str(&table(&rows, "  ", 0));
    s.push_str("\nGradient\n");
    let mut rows = Vec::new();
    for (a, v) in bw.gradient.iter().zip(&trace.gradient) {
        rows.push(vec![
            partial_text(net, a.of),
            " = ".into(),
            adjoint_formula(net, a, false),
            " = ".into(),
            format::for_people(v, d),
        ]);
    }
    s.push_str(&table(&rows, "  ", 0));
    for k in &trace.kinks {
        s.push_str(&format!("\nnote: {k}"));
    }
    if !trace.kinks.is_empty() {
        s.push('\n');
    }
    s
}

fn backprop_latex(
    net: &Network,
    bw: &Backward,
    trace: &Trace,
    live: &[usize],
    point: &Point,
    d: usize,
) -> String {
    let mut s = format!(
        "% Forward pass at {}\n\\begin{{aligned}}\n",
        point_text(&net.store, point)
    );
    let rows: Vec<String> = live
        .iter()
        .zip(&trace.forward)
        .map(|(&i, v)| {
            let def = &net.defs[i];
            format!(
                "{} &= {} = {}",
                latex_name(net.name(def.name)),
                latex(&net.store, def.formula),
                format::latex(v, d)
            )
        })
        .collect();
    s.push_str(&rows.join(" \\\\\n"));
    s.push_str(&format!(
        "\n\\end{{aligned}}\n\n% Backward pass: \\delta_v = \\partial {} / \\partial v\n\\begin{{aligned}}\n",
        latex_name(net.name(net.output_def().name))
    ));
    let rows: Vec<String> = bw
        .adjoints
        .iter()
        .zip(&trace.adjoints)
        .map(|(a, v)| {
            let lhs = latex_name(net.name(a.delta));
            if a.of == net.output_def().name {
                // `\delta_E = 1`, once.
                return format!("{lhs} &= {}", adjoint_formula(net, a, true));
            }
            format!(
                "{lhs} &= {} = {}",
                adjoint_formula(net, a, true),
                format::latex(v, d)
            )
        })
        .chain(bw.gradient.iter().zip(&trace.gradient).map(|(a, v)| {
            format!(
                "{} &= {} = {}",
                partial_latex(net, a.of),
                adjoint_formula(net, a, true),
                format::latex(v, d)
            )
        }))
        .collect();
    s.push_str(&rows.join(" \\\\\n"));
    s.push_str(&format!(
        "\n\\end{{aligned}}\n% at {}\n",
        point_latex(&net.store, point)
    ));
    s
}

/// Above this many characters of text, a formula is printed with let-bindings of its shared
/// subexpressions (`where t1 = …`) rather than as one tree.
pub const SHARED_FORM_CHARS: usize = 600;

/// The let-bound form of `id`, when its tree is long and sharing makes it shorter.
/// `text` is `id` printed as text, which the caller has anyway: its length decides.
pub fn shared_form(
    store: &crate::expr::Store,
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

/// Most factors `grad` writes out in chain-rule form, over all parameters.
pub const MAX_GRAD_FACTORS: u64 = 50_000;

/// Most local derivatives `explain` writes out along the paths to one variable.
pub const MAX_EXPLAIN_FACTORS: u64 = 5_000;

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

/// A count from [`Network::chain_sizes`], which saturates: a saturated one is not exact.
fn count(n: u64) -> String {
    if n == u64::MAX {
        "more than 10^19".to_string()
    } else {
        n.to_string()
    }
}

/// The chain-rule form of `∂E/∂v`, as text and as LaTeX: a sum over paths of products of
/// local partials (`None` past 64 paths).
fn chain_form(net: &mut Network, v: Sym) -> Option<(String, String)> {
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

/// Gradients, in chain-rule form and expanded, with values when a point is given.
pub fn grad(
    net: &mut Network,
    point: Option<&Point>,
    numbers: Numbers,
    form: Form,
    style: Style,
) -> Result<String> {
    let show_chain = form != Form::Expanded;
    let show_expanded = form != Form::Intermediates;
    // Written out, a deep network's gradient is quadratic in its depth (each ∂E/∂w_i is a chain
    // of O(i) factors): measure before writing, and point to the linear forms past a budget.
    let sizes = net.chain_sizes();
    let chain_factors: u64 = net
        .params
        .iter()
        .map(|p| sizes.get(p).map_or(0, |s| s.1))
        .fold(0, u64::saturating_add);
    if show_chain && chain_factors > MAX_GRAD_FACTORS {
        return Err(Error::Limit(format!(
            "the chain-rule form of this gradient has {} factors in all (the limit is {MAX_GRAD_FACTORS}): \
             use `chainrule backprop`, whose adjoints share their work and stay linear in the size of the network, \
             or `chainrule explain --wrt W` for one parameter",
            count(chain_factors)
        )));
    }
    let bw = net.backward();
    let expanded = net.expanded_gradient();
    if show_expanded {
        // Each partial is printed on its own: add their sizes, stopping once over the limit.
        let mut total = 0usize;
        for e in &expanded {
            total += net.store.dag_size(*e);
            if total > MAX_GRAD_NODES {
                break;
            }
        }
        if total > MAX_GRAD_NODES {
            return Err(Error::Limit(format!(
                "the expanded gradient has more than {MAX_GRAD_NODES} distinct nodes over its {} partial derivatives: \
                 use `--form intermediates`, or `chainrule backprop`, which stays linear in the size of the network",
                expanded.len()
            )));
        }
    }
    let values = match point {
        Some(p) => Some(net.trace(&bw, p, numbers.mode)?),
        None => None,
    };
    let params = net.params.clone();
    let mut items = Vec::new();
    for (k, p) in params.iter().enumerate() {
        let (chain_t, chain_l) = if show_chain {
            match chain_form(net, *p) {
                Some(forms) => forms,
                None => {
                    // More than 64 paths: the backward recursion, inlined.
                    let inlined = net.inlined(&bw, *p);
                    (text(&net.store, inlined), latex(&net.store, inlined))
                }
            }
        } else {
            (String::new(), String::new())
        };
        let value = values.as_ref().map(|t| t.gradient[k].clone());
        items.push((*p, chain_t, chain_l, expanded[k], value));
    }
    let d = numbers.digits;
    Ok(match style {
        Style::Text => {
            let mut s = String::new();
            if let Some(p) = point {
                s.push_str(&format!("Gradient at {}\n", point_text(&net.store, p)));
            }
            for (p, chain, _, exp, value) in &items {
                let lhs = partial_text(net, *p);
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
                    text(&net.store, *exp)
                } else {
                    String::new()
                };
                if show_expanded && let Some(b) = shared_form(&net.store, *exp, &exp_text, false) {
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
                    line(&mut s, format::for_people(v, d), "");
                }
                s.push('\n');
            }
            if let Some(t) = &values {
                for k in &t.kinks {
                    s.push_str(&format!("note: {k}\n"));
                }
            }
            s.trim_end().to_string() + "\n"
        }
        Style::Latex => {
            let mut rows = Vec::new();
            for (p, _, chain, exp, value) in &items {
                let mut parts = Vec::new();
                if show_chain {
                    parts.push(chain.clone());
                }
                if show_expanded {
                    parts.push(latex(&net.store, *exp));
                }
                if let Some(v) = value {
                    parts.push(format::latex(v, d));
                }
                let mut row = format!("{} &= {}", partial_latex(net, *p), parts[0]);
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
        Style::Json => {
            let grads: Vec<Json> = items
                .iter()
                .map(|(p, chain, chain_l, exp, value)| {
                    let mut o = json!({
                        "param": net.name(*p),
                        "chain": chain,
                        "chain_latex": chain_l,
                        "expanded": text(&net.store, *exp),
                        "expanded_latex": latex(&net.store, *exp),
                    });
                    if let Some(v) = value {
                        o["value"] = value_json(v);
                    }
                    o
                })
                .collect();
            let mut j = json!({
                "program": net.source.1,
                "output": net.name(net.output_def().name),
                "gradient": grads,
            });
            if let Some(p) = point {
                j["point"] = point_json(&net.store, p);
            }
            serde_json::to_string_pretty(&j).expect("JSON") + "\n"
        }
    })
}

/// The chain-rule derivation of `∂E/∂v`, path by path, then the simplified result.
pub fn explain(
    net: &mut Network,
    v: Sym,
    point: Option<&Point>,
    numbers: Numbers,
    style: Style,
) -> Result<String> {
    let out = net.output_def().name;
    let factors = net.chain_sizes().get(&v).map_or(0, |s| s.1);
    if factors > MAX_EXPLAIN_FACTORS {
        return Err(Error::Limit(format!(
            "∂{}/∂{} runs through {} local derivatives (the limit is {MAX_EXPLAIN_FACTORS}): \
             use `chainrule backprop`, which writes each adjoint once, in terms of the next",
            net.name(out),
            net.name(v),
            count(factors)
        )));
    }
    let paths = net.paths(v, 64);
    // Any name may be asked about: a data input gets its adjoint too.
    let bw = net.backward_for(&[v]);
    let k = bw.gradient.iter().position(|a| a.of == v);
    let inlined = net.inlined(&bw, v);
    let value = match point {
        Some(p) => {
            let t = net.trace(&bw, p, numbers.mode)?;
            match k {
                Some(k) => Some(t.gradient[k].clone()),
                None => bw
                    .adjoints
                    .iter()
                    .position(|a| a.of == v)
                    .map(|i| t.adjoints[i].clone()),
            }
        }
        None => None,
    };
    let leibniz = |net: &Network, path: &[(Sym, Sym, Id)], latex_mode: bool| -> String {
        let parts: Vec<String> = path
            .iter()
            .map(|(u, w, _)| {
                if latex_mode {
                    format!(
                        "\\frac{{\\partial {}}}{{\\partial {}}}",
                        latex_name(net.name(*u)),
                        latex_name(net.name(*w))
                    )
                } else {
                    format!("∂{}/∂{}", net.name(*u), net.name(*w))
                }
            })
            .collect();
        parts.join(if latex_mode { " \\cdot " } else { " · " })
    };
    let local = |net: &Network, path: &[(Sym, Sym, Id)], latex_mode: bool| -> String {
        let fs: Vec<Id> = path.iter().map(|e| e.2).collect();
        let shown: Vec<String> = fs
            .iter()
            .map(|f| chain_factor(net, *f, latex_mode))
            .collect();
        shown.join(if latex_mode { " \\cdot " } else { " · " })
    };
    let d = numbers.digits;
    let name_e = net.name(out).to_string();
    let name_v = net.name(v).to_string();
    Ok(match style {
        Style::Text => {
            let mut s = format!("∂{name_e}/∂{name_v} by the chain rule");
            match &paths {
                Some(ps) if ps.is_empty() => s.push_str(&format!(": {name_e} does not depend on {name_v}\n")),
                Some(ps) => {
                    s.push_str(&format!(
                        ", summing over the {} path{} from {name_e} down to {name_v}:\n",
                        ps.len(),
                        if ps.len() == 1 { "" } else { "s" }
                    ));
                    let lhs = format!("∂{name_e}/∂{name_v}");
                    let pad = " ".repeat(UnicodeWidthStr::width(lhs.as_str()));
                    let sum_l: Vec<String> = ps.iter().map(|p| leibniz(net, p, false)).collect();
                    let sum_f: Vec<String> = ps.iter().map(|p| local(net, p, false)).collect();
                    s.push_str(&format!("  {lhs} = {}\n", sum_l.join(" + ")));
                    s.push_str(&format!("  {pad} = {}\n", sum_f.join(" + ")));
                    s.push_str(&format!("  {pad} = {}    (simplified)\n", text(&net.store, inlined)));
                }
                None => s.push_str(&format!(
                    ": more than 64 paths, so by the backward recursion instead:\n  ∂{name_e}/∂{name_v} = {}\n",
                    text(&net.store, inlined)
                )),
            }
            if let (Some(v), Some(p)) = (&value, point) {
                s.push_str(&format!(
                    "\nAt {}: ∂{name_e}/∂{name_v} = {}\n",
                    point_text(&net.store, p),
                    format::for_people(v, d)
                ));
            }
            s
        }
        Style::Latex => {
            let lhs = format!(
                "\\frac{{\\partial {}}}{{\\partial {}}}",
                latex_name(&name_e),
                latex_name(&name_v)
            );
            let mut rows = vec![];
            if let Some(ps) = &paths
                && !ps.is_empty()
            {
                let sum_l: Vec<String> = ps.iter().map(|p| leibniz(net, p, true)).collect();
                let sum_f: Vec<String> = ps.iter().map(|p| local(net, p, true)).collect();
                rows.push(format!("{lhs} &= {}", sum_l.join(" + ")));
                rows.push(format!("&= {}", sum_f.join(" + ")));
                rows.push(format!("&= {}", latex(&net.store, inlined)));
            } else {
                rows.push(format!("{lhs} &= {}", latex(&net.store, inlined)));
            }
            if let Some(v) = &value {
                rows.push(format!("&= {}", format::latex(v, d)));
            }
            format!(
                "\\begin{{aligned}}\n{}\n\\end{{aligned}}\n",
                rows.join(" \\\\\n")
            )
        }
        Style::Json => {
            let mut j = json!({
                "program": net.source.1,
                "output": name_e,
                "wrt": name_v,
                "simplified": text(&net.store, inlined),
                "latex": latex(&net.store, inlined),
            });
            if let Some(ps) = &paths {
                j["paths"] = Json::Array(
                    ps.iter()
                        .map(|p| {
                            json!({
                                "leibniz": leibniz(net, p, false),
                                "factors": p.iter().map(|e| text(&net.store, e.2)).collect::<Vec<_>>(),
                            })
                        })
                        .collect(),
                );
            }
            if let Some(v) = &value {
                j["value"] = value_json(v);
            }
            serde_json::to_string_pretty(&j).expect("JSON") + "\n"
        }
    })
}

// ------------------------------------------------------------------ finite differences

/// A gradient or quotient of `fd`: exact values as fractions (with their decimal), MPFR ones
/// to `digits` significant digits, doubles as the shortest string that reads back.
fn fd_value(v: &Value, digits: usize) -> String {
    match v {
        Value::Exact(r) if *r.denom() != 1 => match format::terminating_decimal(r, digits) {
            Some(d) => format!("{r} = {d}"),
            None => format!("{r} ≈ {}", format::exact_decimal(r, digits.min(12))),
        },
        _ => v.to_decimal(digits),
    }
}

/// An error of `fd`: exact ones as fractions, others in scientific notation with three
/// significant digits, so a column reads `3.60e-3` above `4.84e-11`.
fn fd_error(v: &Value) -> String {
    match v {
        Value::Exact(r) => r.to_string(),
        _ => format::scientific(&v.to_float(64), 3),
    }
}

/// |error / gradient|, at 64 bits; `None` when the gradient is exactly 0.
fn relative_error(error: &Value, gradient: &Value) -> Option<rug::Float> {
    let g = gradient.to_float(64);
    if g.is_zero() {
        return None;
    }
    Some(rug::Float::with_val(64, error.to_float(64) / g).abs())
}

/// A gradient check at one step: each parameter's quotients and their errors (text or JSON;
/// LaTeX is refused by the command line).
///
/// Gradients and MPFR quotients print to `digits` significant digits; f64 quotients as the
/// shortest string that reads back; errors and relative errors (|error / gradient|) in
/// scientific notation.
pub fn fd(
    net: &Network,
    point: &Point,
    r: &crate::fd::FdReport,
    digits: usize,
    style: Style,
) -> String {
    let out = net.name(net.output_def().name);
    match style {
        Style::Json => {
            let rows: Vec<Json> = r
                .params
                .iter()
                .map(|p| {
                    let mut o = json!({
                        "param": p.name,
                        "point": p.point.to_string(),
                        "gradient": value_json(&p.gradient),
                    });
                    for e in &p.entries {
                        o[e.scheme.name()] = value_json(&e.quotient);
                        o[format!("{}_error", e.scheme.name())] = value_json(&e.error);
                        o[format!("{}_relative_error", e.scheme.name())] =
                            relative_error(&e.error, &p.gradient)
                                .map_or(Json::Null, |x| Json::String(format::scientific(&x, 17)));
                    }
                    o
                })
                .collect();
            let j = json!({
                "program": net.source.1,
                "output": out,
                "point": point_json(&net.store, point),
                "delta": r.delta.to_string(),
                "step_used": value_json(&r.step_used),
                "arith": r.arith.to_string(),
                "schemes": r.schemes.iter().map(|s| s.name()).collect::<Vec<_>>(),
                "rows": rows,
            });
            serde_json::to_string_pretty(&j).expect("JSON") + "\n"
        }
        Style::Text | Style::Latex => {
            let mut header = vec!["param".to_string(), "gradient".to_string()];
            for s in &r.schemes {
                header.push(s.name().to_string());
                header.push("error".to_string());
                header.push("rel.".to_string());
            }
            let mut rows = vec![header];
            for p in &r.params {
                let mut row = vec![p.name.clone(), fd_value(&p.gradient, digits)];
                for e in &p.entries {
                    row.push(fd_value(&e.quotient, digits));
                    row.push(fd_error(&e.error));
                    row.push(
                        relative_error(&e.error, &p.gradient)
                            .map_or("—".into(), |x| format::scientific(&x, 2)),
                    );
                }
                rows.push(row);
            }
            let mut s = format!(
                "Finite differences of {out} at {}\nstep Δ = {} in {}; error = quotient − gradient, rel. = |error / gradient|\n",
                point_text(&net.store, point),
                crate::fd::fmt_delta(&r.delta),
                r.arith.describe()
            );
            s.push_str(&table(&rows, "  ", 2));
            s
        }
    }
}

/// An error measure for JSON: a number, or beyond the range of doubles a string with 17
/// significant digits (JSON has no 1e584 in doubles and would print `inf` as null).
fn error_json(p: &crate::fd::ErrorNorm, m: crate::fd::Measure) -> Json {
    let v = p.value(m);
    if p.exact_zero || v.is_normal() {
        json!(v)
    } else {
        Json::String(p.sci(m, 17))
    }
}

/// A step-size sweep: the error for each step and series, and what it means.
pub fn sweep(
    net: &Network,
    point: &Point,
    r: &crate::fd::SweepReport,
    measure: crate::fd::Measure,
    style: Style,
) -> String {
    use crate::fd::fmt_delta;
    let explanation = crate::fd::explain(r);
    match style {
        Style::Json => {
            let series: Vec<Json> = r
                .series
                .iter()
                .map(|s| {
                    json!({
                        "scheme": s.scheme.name(),
                        "arith": s.arith.to_string(),
                        "errors": s.points.iter().map(|p| error_json(p, crate::fd::Measure::Squared)).collect::<Vec<_>>(),
                        "norms": s.points.iter().map(|p| error_json(p, crate::fd::Measure::Norm)).collect::<Vec<_>>(),
                        "slope": s.slope,
                        "best_delta": s.best.map(|i| fmt_delta(&r.deltas[i])),
                        "estimated_best_delta": s.estimate.as_ref().map(|e| e.step()),
                    })
                })
                .collect();
            let j = json!({
                "program": net.source.1,
                "output": net.name(net.output_def().name),
                "point": point_json(&net.store, point),
                "measure": "squared error ‖∇̂ − ∇‖² in errors, ‖∇̂ − ∇‖ in norms",
                "deltas": r.deltas.iter().map(fmt_delta).collect::<Vec<_>>(),
                "series": series,
                "explanation": explanation,
            });
            serde_json::to_string_pretty(&j).expect("JSON") + "\n"
        }
        Style::Text | Style::Latex => {
            let mut header = vec!["Δ".to_string()];
            header.extend(r.series.iter().map(|s| s.label()));
            let mut rows = vec![header];
            for (i, d) in r.deltas.iter().enumerate() {
                let mut row = vec![fmt_delta(d)];
                for s in &r.series {
                    row.push(s.points[i].sci(measure, 4));
                }
                rows.push(row);
            }
            let mut s = format!(
                "{} of the finite-difference gradient at {}\n",
                match measure {
                    crate::fd::Measure::Squared => "Squared error ‖∇̂ − ∇‖²",
                    crate::fd::Measure::Norm => "Error ‖∇̂ − ∇‖",
                },
                point_text(&net.store, point)
            );
            s.push_str(&table(&rows, "  ", 2));
            s.push('\n');
            for e in explanation {
                s.push_str(&e);
                s.push('\n');
            }
            s
        }
    }
}

// ------------------------------------------------------------------ checking a claim

/// The verdict on a claimed derivative, in words (text, JSON, or LaTeX for a write-up).
pub fn check(net: &mut Network, c: &crate::check::Check, claim_src: &str, style: Style) -> String {
    use crate::check::Verdict;
    let lhs = partial_text(net, c.wrt);
    let lhs_latex = partial_latex(net, c.wrt);
    let (chain, chain_latex) = chain_form(net, c.wrt)
        .unwrap_or_else(|| (text(&net.store, c.correct), latex(&net.store, c.correct)));
    // The verdict as text and as LaTeX, side by side.
    let (verdict, verdict_latex) = match &c.verdict {
        Verdict::Identical => (
            "✓ Right: it is the same formula after simplification.".to_string(),
            "\\checkmark\\ \\text{Right: it is the same formula after simplification.}".to_string(),
        ),
        Verdict::AgreesAt { trials } => {
            let why = format!(
                "Right, as far as {trials} points can tell: the two formulas have the same value at each \
(unspecified functions replaced by random polynomials), though they do not simplify to one form."
            );
            (format!("✓ {why}"), format!("\\checkmark\\ \\text{{{why}}}"))
        }
        Verdict::Differs {
            point,
            stand_ins,
            claimed,
            correct,
        } => {
            let at: Vec<String> = point.iter().map(|(n, v)| format!("{n} = {v}")).collect();
            let at_latex: Vec<String> = point
                .iter()
                .map(|(n, v)| format!("{} = {}", latex_name(n), format::latex_rational(v)))
                .collect();
            let (with, with_latex) = if stand_ins.is_empty() {
                (String::new(), String::new())
            } else {
                let (t, l): (Vec<&str>, Vec<&str>) = stand_ins
                    .iter()
                    .map(|(t, l)| (t.as_str(), l.as_str()))
                    .unzip();
                (
                    format!("taking {} (any function would do), and ", t.join(", ")),
                    format!(
                        "\\text{{taking }} {} \\text{{ (any function would do), and }}",
                        l.join(", \\; ")
                    ),
                )
            };
            (
                format!(
                    "✗ Not the same: {with}at {}, yours is {} but {lhs} is {}.",
                    at.join(", "),
                    format::for_people(claimed, 20),
                    format::for_people(correct, 20)
                ),
                format!(
                    "\\times\\ \\text{{Not the same: }} {with_latex}\\text{{at }} {} \\text{{, yours is }} {} \\text{{ but }} {lhs_latex} \\text{{ is }} {}.",
                    at_latex.join(", \\; "),
                    format::latex(claimed, 20),
                    format::latex(correct, 20)
                ),
            )
        }
        Verdict::Undecided(why) => (
            format!("? Could not decide: {why}."),
            format!("\\text{{? Could not decide: {why}.}}"),
        ),
    };
    match style {
        Style::Json => {
            let j = json!({
                "program": net.source.1,
                "wrt": net.name(c.wrt),
                "claim": claim_src,
                "claim_parsed": text(&net.store, c.claimed),
                "correct": chain,
                "correct_simplified": text(&net.store, c.correct),
                "agrees": c.agrees(),
                "verdict": verdict,
            });
            serde_json::to_string_pretty(&j).expect("JSON") + "\n"
        }
        Style::Text => format!(
            "Your   {lhs} = {}\nchain rule: {lhs} = {chain}\n{verdict}\n",
            claim_src.trim()
        ),
        Style::Latex => format!(
            "\\begin{{gathered}}\n\\begin{{aligned}}\n\\text{{yours: }} {lhs_latex} &= {} \\\\\n\\text{{chain rule: }} {lhs_latex} &= {chain_latex}\n\\end{{aligned}} \\\\\n{verdict_latex}\n\\end{{gathered}}\n",
            latex(&net.store, c.claimed)
        ),
    }
}
