//! The reports on one expression: its derivatives (`diff`) and its value (`eval`).

use super::formulas::shared_form;
use super::points::{point_latex, point_text};
use super::values::all_digits;
use super::{Style, json_text};
use crate::eval::{Point, Value, format};
use crate::expr::{Id, Store};
use crate::print;
use serde::Serialize;
use serde_json::Value as Json;

/// Short description of how a value was computed.
pub(super) fn how(v: &Value) -> String {
    match v {
        Value::Exact(_) => "exact".into(),
        Value::Mpfr(f) => format!("MPFR, {} bits", f.prec()),
        Value::F64(_) => "IEEE double".into(),
    }
}

/// JSON fields `value` (all digits of the precision used, at least 40 but 17 for doubles)
/// and `exact` (when rational).
pub(super) fn value_and_exact_json(v: &Value, precision: u32) -> (Json, Json) {
    let all = all_digits(v, format::digits_for_bits(precision).max(40));
    let exact = v
        .as_exact()
        .map_or(Json::Null, |r| Json::String(r.to_string()));
    (Json::String(all), exact)
}

/// The expression as written, on one line.
pub fn written(src: &str) -> String {
    src.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One derivative of an expression.
pub struct Derivative {
    /// The variable differentiated by.
    pub wrt: String,
    /// The derivative.
    pub id: Id,
    /// Its value at the point, when one is given.
    pub value: Option<Value>,
    /// What the user must know about that value (the digit check's note), if anything.
    pub note: Option<String>,
}

/// The data of `diff`'s report: an expression's derivatives of one order, each by a variable.
pub struct DiffReport<'a> {
    /// The store of the expression and its derivatives.
    pub store: &'a Store,
    /// The expression.
    pub expr: Id,
    /// The expression as the user wrote it.
    pub src: &'a str,
    /// The order of the derivatives.
    pub order: u32,
    /// The derivatives, one per variable asked for.
    pub derivatives: Vec<Derivative>,
    /// The point of the values.
    pub point: &'a Point,
    /// The expression's free variables (with the derivatives' variables, the names in play
    /// in LaTeX).
    pub free_names: &'a [String],
    /// Significant digits of values in text and LaTeX.
    pub digits: usize,
    /// The precision asked for, in bits (JSON shows all the digits it carries).
    pub precision: u32,
}

/// One derivative, as JSON.
#[derive(Serialize)]
struct DerivativeJson<'a> {
    input: &'a str,
    parsed: &'a str,
    wrt: &'a str,
    order: u32,
    derivative: String,
    latex: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    shared: Option<SharedJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exact: Option<Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arithmetic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

/// A long derivative with its shared parts named, as JSON.
#[derive(Serialize)]
struct SharedJson {
    bindings: Vec<BindingJson>,
    result: String,
}

/// One named part, as JSON.
#[derive(Serialize)]
struct BindingJson {
    name: String,
    formula: String,
}

impl DiffReport<'_> {
    /// The report in `style`.
    pub fn render(&self, style: Style) -> String {
        match style {
            Style::Text => self.text(),
            Style::Latex => self.latex(),
            Style::Json => self.json(),
        }
    }

    fn op_text(&self, v: &str) -> String {
        let order = self.order;
        if order == 1 {
            format!("∂/∂{v}")
        } else {
            format!("∂^{order}/∂{v}^{order}")
        }
    }

    fn op_latex(&self, v: &str) -> String {
        let order = self.order;
        let v = print::latex_name(v);
        if order == 1 {
            format!("\\frac{{\\partial}}{{\\partial {v}}}")
        } else {
            format!("\\frac{{\\partial^{{{order}}}}}{{\\partial {v}^{{{order}}}}}")
        }
    }

    /// `∂/∂x expr = derivative`, long ones with their shared parts named, and the values.
    fn text(&self) -> String {
        let store = self.store;
        let input_text = written(self.src);
        let mut out = String::new();
        for Derivative { wrt, id, value, .. } in &self.derivatives {
            let lhs = format!("{} {}", self.op_text(wrt), input_text);
            let d_text = print::text(store, *id);
            if let Some(b) = shared_form(store, *id, &d_text, false) {
                out.push_str(&format!("{lhs} = {}\n  where\n", b.roots[0]));
                for (n, def) in &b.bindings {
                    out.push_str(&format!("    {n} = {def}\n"));
                }
            } else {
                out.push_str(&format!("{lhs} = {d_text}\n"));
            }
            if let Some(v) = value {
                out.push_str(&format!(
                    "    at {}: {} ({})\n",
                    point_text(store, self.point),
                    format::for_people(v, self.digits),
                    how(v)
                ));
            }
        }
        out
    }

    /// The same in LaTeX; names that would print alike (`w1`, `w_1`) are spelt out in the
    /// whole output.
    fn latex(&self) -> String {
        let store = self.store;
        let in_play: Vec<&str> = self
            .free_names
            .iter()
            .map(String::as_str)
            .chain(self.derivatives.iter().map(|d| d.wrt.as_str()))
            .collect();
        let mut out = String::new();
        print::with_names_in_play(&in_play, || {
            let input_latex = print::latex(store, self.expr);
            for Derivative { wrt, id, value, .. } in &self.derivatives {
                let lhs = format!("{} \\left[ {} \\right]", self.op_latex(wrt), input_latex);
                let d_text = print::text(store, *id);
                if let Some(b) = shared_form(store, *id, &d_text, true) {
                    let rows: Vec<String> = std::iter::once(format!("{lhs} &= {}", b.roots[0]))
                        .chain(b.bindings.iter().map(|(n, def)| format!("{n} &= {def}")))
                        .collect();
                    out.push_str(&format!(
                        "\\begin{{aligned}}\n{}\n\\end{{aligned}}\n",
                        rows.join(" \\\\\n")
                    ));
                } else {
                    out.push_str(&format!("{lhs} = {}\n", print::latex(store, *id)));
                }
                if let Some(v) = value {
                    out.push_str(&format!(
                        "\\text{{at }} {}: \\quad {}\n",
                        point_latex(store, self.point),
                        format::latex(v, self.digits)
                    ));
                }
            }
        });
        out
    }

    /// One object per derivative; a single one is not wrapped in an array.
    fn json(&self) -> String {
        let store = self.store;
        // Shown as the user wrote it (constants folded, `0.1 + 0.2` would read `3/10`);
        // JSON also carries the parsed form.
        let input_text = written(self.src);
        let parsed_text = print::text(store, self.expr);
        let objs: Vec<DerivativeJson> = self
            .derivatives
            .iter()
            .map(|d| {
                let Derivative {
                    wrt,
                    id,
                    value,
                    note,
                } = d;
                let d_text = print::text(store, *id);
                let shared = shared_form(store, *id, &d_text, false).map(|b| SharedJson {
                    bindings: b
                        .bindings
                        .iter()
                        .map(|(n, def)| BindingJson {
                            name: n.clone(),
                            formula: def.clone(),
                        })
                        .collect(),
                    result: b.roots[0].clone(),
                });
                let arithmetic = value.as_ref().map(how);
                let (value, exact) = match value {
                    Some(v) => {
                        let (val, exact) = value_and_exact_json(v, self.precision);
                        (Some(val), Some(exact))
                    }
                    None => (None, None),
                };
                DerivativeJson {
                    input: &input_text,
                    parsed: &parsed_text,
                    wrt,
                    order: self.order,
                    latex: print::latex(store, *id),
                    derivative: d_text,
                    shared,
                    value,
                    exact,
                    arithmetic,
                    note: note.as_deref(),
                }
            })
            .collect();
        super::json_one_or_many(&objs)
    }
}

/// The data of `eval`'s report: an expression and its value.
pub struct EvalReport<'a> {
    /// The store of the expression.
    pub store: &'a Store,
    /// The expression.
    pub expr: Id,
    /// The expression as the user wrote it.
    pub src: &'a str,
    /// Its value.
    pub value: Value,
    /// Significant digits of the value in text and LaTeX.
    pub digits: usize,
    /// The precision asked for, in bits (JSON shows all the digits it carries).
    pub precision: u32,
    /// What the user must know about the value (the digit check's note), if anything: JSON
    /// carries it (text and LaTeX leave it to standard error).
    pub note: Option<String>,
}

/// The value of an expression, as JSON.
#[derive(Serialize)]
struct EvalJson<'a> {
    input: &'a str,
    parsed: String,
    latex: String,
    value: Json,
    exact: Json,
    arithmetic: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

impl EvalReport<'_> {
    /// The report in `style`.
    pub fn render(&self, style: Style) -> String {
        let (store, e, v) = (self.store, self.expr, &self.value);
        let input_text = written(self.src);
        match style {
            Style::Text => format!(
                "{input_text} = {} ({})\n",
                format::for_people(v, self.digits),
                how(v)
            ),
            Style::Latex => {
                // The formula is the exact one (0.1 + 0.2 reads 3/10); a double computed
                // from it is only near its value.
                let rel = if matches!(v, Value::F64(_)) {
                    "\\approx"
                } else {
                    "="
                };
                format!(
                    "{} {rel} {}\n",
                    print::latex(store, e),
                    format::latex(v, self.digits)
                )
            }
            Style::Json => {
                let (value, exact) = value_and_exact_json(v, self.precision);
                json_text(&EvalJson {
                    input: &input_text,
                    parsed: print::text(store, e),
                    latex: print::latex(store, e),
                    value,
                    exact,
                    arithmetic: how(v),
                    note: self.note.as_deref(),
                })
            }
        }
    }
}
