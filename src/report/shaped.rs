//! Reports on programs with vectors and matrices: the forward and backward passes and the
//! gradient, each formula in textbook notation and each value a number, a vector `[1, 2]` or
//! an aligned matrix.

use super::matrix::{value_latex, value_text};
use super::{Numbers, Style, json_text};
use crate::error::Result;
use crate::eval::Value;
use crate::eval::dense::Dense;
use crate::eval::matrix::MatValue;
use crate::matrix::{self, MId};
use crate::network::{ADJOINT_PREFIX, MatAdjoint, MatNetwork};
use crate::print::latex_name;
use rug::Rational;
use serde::Serialize;
use serde_json::Value as Json;

/// How the gradient is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapedForm {
    /// In terms of the program's names and the adjoints.
    Intermediates,
    /// In terms of the inputs only.
    Expanded,
    /// Both.
    Both,
}

#[derive(Serialize)]
struct RowJson {
    name: String,
    formula: String,
    latex: String,
    shape: Vec<Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Json>,
}

#[derive(Serialize)]
struct GradJson {
    wrt: String,
    shape: Vec<Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    intermediates: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expanded: Option<String>,
    /// The LaTeX of `intermediates`, where that is shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    latex: Option<String>,
    /// The LaTeX of `expanded`, where that is shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    expanded_latex: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Json>,
}

#[derive(Serialize)]
struct BackpropJson {
    output: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    point: Vec<PointJson>,
    forward: Vec<RowJson>,
    backward: Vec<RowJson>,
    gradient: Vec<GradJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arithmetic: Option<String>,
}

#[derive(Serialize)]
struct PointJson {
    name: String,
    value: String,
}

fn shape_json(net: &MatNetwork, id: MId, v: Option<&MatValue>) -> Vec<Json> {
    super::matrix::shape_json(net.store.shape(id), v)
}

fn value_json(v: &MatValue, net: &MatNetwork, id: MId, digits: usize) -> Json {
    let d = &v.entries;
    let one = |x: &Value| Json::String(super::values::all_digits(x, digits.max(40)));
    let shape = net.store.shape(id);
    if shape.is_scalar() {
        return one(d.get(0, 0));
    }
    if shape.cols.is_one() {
        return Json::Array((0..d.rows()).map(|i| one(d.get(i, 0))).collect());
    }
    Json::Array(
        (0..d.rows())
            .map(|i| Json::Array((0..d.cols()).map(|j| one(d.get(i, j))).collect()))
            .collect(),
    )
}

fn how(vs: &[MatValue]) -> Option<String> {
    let first = vs.iter().flat_map(|v| v.entries.data().first()).next()?;
    Some(match first {
        Value::F64(_) => "IEEE double".to_string(),
        Value::Exact(_) => "exact".to_string(),
        Value::Mpfr(f) => format!("MPFR, {} bits", f.prec()),
    })
}

fn point_text(point: &[(String, Dense<Rational>, String)]) -> String {
    point
        .iter()
        .map(|(n, _, t)| format!("{n} = {t}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A definition that calls the program's own functions as written, then as computed:
/// `σ(Z1) = relu(Z1)` for `σ(t) = relu(t)`.
fn as_written(net: &MatNetwork, written: &str, computed: &str) -> String {
    let written = written.split_whitespace().collect::<Vec<_>>().join(" ");
    let calls_own = net
        .functions
        .iter()
        .any(|(f, _)| written.contains(&format!("{f}(")));
    if calls_own && !written.contains('\\') {
        format!("{written} = {computed}")
    } else {
        computed.to_string()
    }
}

/// `δ_v` as text, `\delta_{v}` in LaTeX.
fn adjoint_name(v: &str, latex: bool) -> String {
    if latex {
        format!("\\delta_{{{}}}", latex_name(v))
    } else {
        format!("{ADJOINT_PREFIX}{v}")
    }
}

fn grad_name(net: &MatNetwork, p: &str, latex: bool) -> String {
    let out = &net.defs[net.output].name;
    let shape = net.store.var_shape(p);
    match (latex, shape.is_scalar()) {
        (false, true) => format!("∂{out}/∂{p}"),
        (false, false) => format!("∇_{p} {out}"),
        (true, true) => format!(
            "\\frac{{\\partial {}}}{{\\partial {}}}",
            latex_name(out),
            latex_name(p)
        ),
        (true, false) => format!("\\nabla_{{{}}} {}", latex_name(p), latex_name(out)),
    }
}

/// A line `name = formula` and, under it, `= value` aligned.
fn text_row(out: &mut String, name: &str, formula: &str, value: Option<(&MatValue, usize)>) {
    out.push_str(&format!("  {name} = {formula}\n"));
    if let Some((v, digits)) = value {
        let shown = value_text(v, digits, "");
        // A formula that is its value (`δ_E = 1`) is not repeated.
        if shown == formula {
            return;
        }
        let pad = " ".repeat(name.chars().count() + 1);
        let shown = value_text(v, digits, &format!("  {pad}  "));
        out.push_str(&format!("  {pad}= {shown}\n"));
    }
}

/// `chainrule backprop` (and `grad`) of a program with vectors and matrices; notes and
/// warnings (kinks met, digits lost) go to `warnings`.
pub fn shaped_backprop(
    net: &mut MatNetwork,
    point: &[(String, Dense<Rational>, String)],
    numbers: Numbers,
    form: Option<ShapedForm>,
    style: Style,
    warnings: &mut Vec<String>,
) -> Result<String> {
    let adjoints = net.backward()?;
    let expanded = match form {
        Some(ShapedForm::Expanded | ShapedForm::Both) => Some(net.expanded_gradient()?),
        _ => None,
    };
    let live = net.live_defs();
    let values = if point.is_empty() {
        None
    } else {
        let (f, b, notes) = net.trace(&adjoints, point, numbers.mode)?;
        warnings.extend(notes);
        Some((f, b))
    };
    let nparams = net.params.len();
    let (inner, params) = adjoints.split_at(adjoints.len() - nparams);
    let fwd_vals = values.as_ref().map(|v| &v.0);
    let back_vals = values.as_ref().map(|v| &v.1);
    let digits = numbers.digits;
    let show_passes = form.is_none();
    let out_name = net.defs[net.output].name.clone();
    match style {
        Style::Text => {
            let mut s = String::new();
            if show_passes {
                s.push_str(&if point.is_empty() {
                    "Forward pass\n".to_string()
                } else {
                    format!("Forward pass at {}\n", point_text(point))
                });
                for (k, &i) in live.iter().enumerate() {
                    let d = &net.defs[i];
                    text_row(
                        &mut s,
                        &d.name,
                        &as_written(net, &d.written, &matrix::text(&net.store, d.local)),
                        fwd_vals.map(|v| (&v[k], digits)),
                    );
                }
                s.push_str("\nBackward pass\n");
                for (k, a) in inner.iter().enumerate() {
                    text_row(
                        &mut s,
                        &adjoint_name(&a.of, false),
                        &matrix::text(&net.store, a.formula),
                        back_vals.map(|v| (&v[k], digits)),
                    );
                }
                s.push_str("\nGradient\n");
            } else if !point.is_empty() {
                s.push_str(&format!(
                    "Gradient of {out_name} at {}\n",
                    point_text(point)
                ));
            } else {
                s.push_str(&format!("Gradient of {out_name}\n"));
            }
            for (k, a) in params.iter().enumerate() {
                let v = back_vals.map(|v| (&v[inner.len() + k], digits));
                let name = grad_name(net, &a.of, false);
                match (form, &expanded) {
                    (Some(ShapedForm::Expanded), Some(e)) => {
                        text_row(&mut s, &name, &matrix::text(&net.store, e[k]), v)
                    }
                    (Some(ShapedForm::Both), Some(e)) => {
                        let (local, full) = (
                            matrix::text(&net.store, a.formula),
                            matrix::text(&net.store, e[k]),
                        );
                        // The same formula twice (no intermediate in it) is printed once.
                        if local != full {
                            text_row(&mut s, &name, &local, None);
                        }
                        text_row(&mut s, &name, &full, v);
                    }
                    _ => text_row(&mut s, &name, &matrix::text(&net.store, a.formula), v),
                }
            }
            if let Some(v) = &values
                && let Some(h) = how(&v.1)
            {
                s.push_str(&format!("({h})\n"));
            }
            Ok(s)
        }
        Style::Latex => {
            let mut s = String::new();
            let row = |s: &mut String, name: String, f: String, v: Option<&MatValue>| {
                // A value that is the formula itself (`δ_E = 1`) is not repeated.
                match v.map(|v| value_latex(v, digits)).filter(|v| *v != f) {
                    Some(v) => s.push_str(&format!("{name} &= {f} = {v} \\\\\n")),
                    None => s.push_str(&format!("{name} &= {f} \\\\\n")),
                }
            };
            if show_passes {
                s.push_str("% Forward pass\n\\begin{aligned}\n");
                for (k, &i) in live.iter().enumerate() {
                    let d = &net.defs[i];
                    row(
                        &mut s,
                        latex_name(&d.name),
                        matrix::latex(&net.store, d.local),
                        fwd_vals.map(|v| &v[k]),
                    );
                }
                s.push_str("\\end{aligned}\n% Backward pass\n\\begin{aligned}\n");
                for (k, a) in inner.iter().enumerate() {
                    row(
                        &mut s,
                        adjoint_name(&a.of, true),
                        matrix::latex(&net.store, a.formula),
                        back_vals.map(|v| &v[k]),
                    );
                }
                s.push_str("\\end{aligned}\n");
            }
            s.push_str("% Gradient\n\\begin{aligned}\n");
            for (k, a) in params.iter().enumerate() {
                let f = match (&expanded, form) {
                    (Some(e), Some(ShapedForm::Expanded)) => matrix::latex(&net.store, e[k]),
                    (Some(e), Some(ShapedForm::Both)) => {
                        let (local, full) = (
                            matrix::latex(&net.store, a.formula),
                            matrix::latex(&net.store, e[k]),
                        );
                        if local == full {
                            full
                        } else {
                            format!("{local} \\\\\n  &= {full}")
                        }
                    }
                    _ => matrix::latex(&net.store, a.formula),
                };
                row(
                    &mut s,
                    grad_name(net, &a.of, true),
                    f,
                    back_vals.map(|v| &v[inner.len() + k]),
                );
            }
            s.push_str("\\end{aligned}\n");
            Ok(s)
        }
        Style::Json => {
            let forward = live
                .iter()
                .enumerate()
                .map(|(k, &i)| {
                    let d = &net.defs[i];
                    RowJson {
                        name: d.name.clone(),
                        formula: matrix::text(&net.store, d.local),
                        latex: matrix::latex(&net.store, d.local),
                        shape: shape_json(net, d.local, fwd_vals.map(|v| &v[k])),
                        value: fwd_vals.map(|v| value_json(&v[k], net, d.local, digits)),
                    }
                })
                .collect();
            let backward = inner
                .iter()
                .enumerate()
                .map(|(k, a)| RowJson {
                    name: adjoint_name(&a.of, false),
                    formula: matrix::text(&net.store, a.formula),
                    latex: matrix::latex(&net.store, a.formula),
                    shape: shape_json(net, a.formula, back_vals.map(|v| &v[k])),
                    value: back_vals.map(|v| value_json(&v[k], net, a.formula, digits)),
                })
                .collect();
            let gradient = params
                .iter()
                .enumerate()
                .map(|(k, a): (usize, &MatAdjoint)| {
                    let v = back_vals.map(|v| &v[inner.len() + k]);
                    let e = expanded.as_ref().map(|e| matrix::text(&net.store, e[k]));
                    let e_latex = expanded.as_ref().map(|e| matrix::latex(&net.store, e[k]));
                    let local = form != Some(ShapedForm::Expanded);
                    GradJson {
                        wrt: a.of.clone(),
                        shape: shape_json(net, a.formula, v),
                        intermediates: local.then(|| matrix::text(&net.store, a.formula)),
                        expanded: e,
                        latex: local.then(|| matrix::latex(&net.store, a.formula)),
                        expanded_latex: e_latex,
                        value: v.map(|v| value_json(v, net, a.formula, digits)),
                    }
                })
                .collect();
            Ok(json_text(&BackpropJson {
                output: out_name,
                point: point
                    .iter()
                    .map(|(n, _, t)| PointJson {
                        name: n.clone(),
                        value: t.clone(),
                    })
                    .collect(),
                forward: if show_passes { forward } else { Vec::new() },
                backward: if show_passes { backward } else { Vec::new() },
                gradient,
                arithmetic: values.as_ref().and_then(|v| how(&v.1)),
            }))
        }
    }
}

/// `chainrule check` of a program with vectors and matrices.
pub fn shaped_check(c: &crate::check::ShapedCheck, claim_src: &str, style: Style) -> String {
    use crate::check::ShapedVerdict as V;
    let name = format!("∇_{} {}", c.wrt, c.output);
    let verdict = match &c.verdict {
        V::Identical => "✓ Right: it is the same formula as the backward pass's.".to_string(),
        V::AgreesAt(n) => format!(
            "✓ Right, as far as {n} random points can tell: the two have the same value at each."
        ),
        V::BadShape(msg) => format!(
            "✗ Not a formula for {name}: its shapes do not fit.\n{}",
            msg.trim_end()
        ),
        V::WrongShape { claimed, correct } => format!(
            "✗ Wrong shape: yours is {} but {name} is {} (a gradient is shaped like its variable).",
            claimed.describe(),
            correct.describe()
        ),
        V::Differs {
            sizes,
            point,
            entry,
            claimed,
            correct,
            stand_ins,
        } => {
            let mut s = String::from("✗ Not the same:");
            if !sizes.is_empty() {
                let sz: Vec<String> = sizes.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                s.push_str(&format!(" with {}", sz.join(", ")));
            }
            if !stand_ins.is_empty() {
                s.push_str(&format!(" and {}", stand_ins.join("; ")));
            }
            let pt: Vec<String> = point.iter().map(|(n, v)| format!("{n} = {v}")).collect();
            if !sizes.is_empty() || !stand_ins.is_empty() {
                s.push(',');
            }
            // (A claim and a gradient of no variable, `𝟎` against `𝟏𝟏ᵀ`, have no point.)
            if !pt.is_empty() {
                s.push_str(&format!(" at {},", pt.join(", ")));
            }
            s.push_str(&format!(
                " entry ({}, {}) of yours is {claimed} but of {name} is {correct}.",
                entry.0, entry.1
            ));
            s
        }
    };
    match style {
        Style::Json => json_text(&serde_json::json!({
            "wrt": c.wrt,
            "claim": claim_src,
            "claim_parsed": c.claimed,
            "correct": c.correct,
            "agrees": c.agrees(),
            "verdict": verdict,
        })),
        _ => format!(
            "Your   {name} = {}\nchain rule: {name} = {}\n{verdict}\n",
            c.claimed.clone().unwrap_or_else(|| claim_src.to_string()),
            c.correct
        ),
    }
}

/// `chainrule fd` of a program with vectors and matrices: each entry's quotients beside the
/// gradient's entry.
pub fn shaped_fd(rows: &[crate::fd::ShapedFdEntry], digits: usize, style: Style) -> String {
    use crate::eval::format::for_people;
    match style {
        Style::Json => {
            let items: Vec<Json> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "param": r.param,
                        "entry": [r.entry.0, r.entry.1],
                        "gradient": super::values::value_json(&r.gradient),
                        "forward": super::values::value_json(&r.forward),
                        "backward": super::values::value_json(&r.backward),
                        "central": super::values::value_json(&r.central),
                    })
                })
                .collect();
            json_text(&items)
        }
        _ => {
            let mut table = vec![vec![
                "entry".to_string(),
                "gradient".to_string(),
                "forward".to_string(),
                "backward".to_string(),
                "central".to_string(),
            ]];
            for r in rows {
                table.push(vec![
                    format!("{}[{},{}]", r.param, r.entry.0, r.entry.1),
                    for_people(&r.gradient, digits),
                    for_people(&r.forward, digits),
                    for_people(&r.backward, digits),
                    for_people(&r.central, digits),
                ]);
            }
            let widths: Vec<usize> = (0..5)
                .map(|j| {
                    table
                        .iter()
                        .map(|r| r[j].chars().count())
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let mut s = String::new();
            for row in table {
                let cells: Vec<String> = row
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}", w = *w))
                    .collect();
                s.push_str(cells.join("  ").trim_end());
                s.push('\n');
            }
            s
        }
    }
}

/// `chainrule explain` of a program with vectors and matrices: the adjoints from the output
/// down to `wrt`, each from the ones above it (the matrix chain rule, one step at a time),
/// then the gradient with them substituted, in terms of the program's names.
pub fn shaped_explain(
    net: &mut MatNetwork,
    wrt: &str,
    point: &[(String, Dense<Rational>, String)],
    numbers: Numbers,
    style: Style,
    warnings: &mut Vec<String>,
) -> Result<String> {
    use std::collections::HashMap;
    let adjoints = net.backward()?;
    let Some(k_target) = adjoints.iter().position(|a| a.of == wrt) else {
        return Err(crate::Error::Usage(format!(
            "`{wrt}` is neither an intermediate nor a parameter of the program; its parameters are {}",
            net.params.join(", ")
        )));
    };
    // The adjoints the gradient is built from, transitively.
    let index: HashMap<String, usize> = adjoints
        .iter()
        .enumerate()
        .map(|(k, a)| (format!("{ADJOINT_PREFIX}{}", a.of), k))
        .collect();
    let mut needed = vec![false; adjoints.len()];
    let mut stack = vec![k_target];
    while let Some(k) = stack.pop() {
        if std::mem::replace(&mut needed[k], true) {
            continue;
        }
        for v in net.store.variables(adjoints[k].formula) {
            if let Some(&j) = index.get(&v) {
                stack.push(j);
            }
        }
    }
    // Each adjoint with those above it substituted: in terms of the program's names.
    let mut substituted: HashMap<String, MId> = HashMap::new();
    for (k, a) in adjoints.iter().enumerate() {
        if !needed[k] {
            continue;
        }
        let s = net
            .store
            .substitute(a.formula, &substituted, &mut |_, _| None)
            .map_err(|e| crate::Error::Internal(e.message))?;
        substituted.insert(format!("{ADJOINT_PREFIX}{}", a.of), s);
    }
    let whole = substituted[&format!("{ADJOINT_PREFIX}{wrt}")];
    let values = if point.is_empty() {
        None
    } else {
        let (_, back, notes) = net.trace(&adjoints, point, numbers.mode)?;
        warnings.extend(notes);
        Some(back)
    };
    let out_name = net.defs[net.output].name.clone();
    let is_param = net.params.iter().any(|p| p == wrt);
    let target_name = |latex: bool| {
        if is_param {
            grad_name(net, wrt, latex)
        } else {
            adjoint_name(wrt, latex)
        }
    };
    let steps: Vec<usize> = (0..adjoints.len())
        .filter(|&k| needed[k] && adjoints[k].of != out_name)
        .collect();
    let digits = numbers.digits;
    match style {
        Style::Text => {
            let mut s = format!(
                "{} by the chain rule, from {out_name} down to {wrt}, each adjoint from those above it:\n",
                target_name(false)
            );
            for &k in &steps {
                let a = &adjoints[k];
                let name = if k == k_target {
                    target_name(false)
                } else {
                    adjoint_name(&a.of, false)
                };
                text_row(
                    &mut s,
                    &name,
                    &matrix::text(&net.store, a.formula),
                    values.as_ref().map(|v| (&v[k], digits)),
                );
            }
            if steps.len() > 1 {
                s.push_str(&format!(
                    "\nSubstituted, in terms of the program's names:\n  {} = {}\n",
                    target_name(false),
                    matrix::text(&net.store, whole)
                ));
            }
            Ok(s)
        }
        Style::Latex => {
            let mut s = String::from("\\begin{aligned}\n");
            for &k in &steps {
                let a = &adjoints[k];
                let name = if k == k_target {
                    target_name(true)
                } else {
                    adjoint_name(&a.of, true)
                };
                match values.as_ref() {
                    Some(v) => s.push_str(&format!(
                        "{name} &= {} = {} \\\\\n",
                        matrix::latex(&net.store, a.formula),
                        value_latex(&v[k], digits)
                    )),
                    None => s.push_str(&format!(
                        "{name} &= {} \\\\\n",
                        matrix::latex(&net.store, a.formula)
                    )),
                }
            }
            // As in the text: the substituted form only when there is a chain to substitute
            // (one step is already it, and would be printed twice).
            if steps.len() > 1 {
                s.push_str(&format!(
                    "{} &= {}\n",
                    target_name(true),
                    matrix::latex(&net.store, whole)
                ));
            } else if let Some(rows) = s.strip_suffix(" \\\\\n") {
                s = format!("{rows}\n");
            }
            s.push_str("\\end{aligned}\n");
            Ok(s)
        }
        Style::Json => {
            let chain: Vec<RowJson> = steps
                .iter()
                .map(|&k| {
                    let a = &adjoints[k];
                    RowJson {
                        name: adjoint_name(&a.of, false),
                        formula: matrix::text(&net.store, a.formula),
                        latex: matrix::latex(&net.store, a.formula),
                        shape: shape_json(net, a.formula, values.as_ref().map(|v| &v[k])),
                        value: values
                            .as_ref()
                            .map(|v| value_json(&v[k], net, a.formula, digits)),
                    }
                })
                .collect();
            Ok(json_text(&serde_json::json!({
                "wrt": wrt,
                "output": out_name,
                "chain": chain,
                "substituted": matrix::text(&net.store, whole),
                "latex": matrix::latex(&net.store, whole),
                "value": values.as_ref().map(|v| value_json(&v[k_target], net, adjoints[k_target].formula, digits)),
            })))
        }
    }
}
