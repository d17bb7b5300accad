//! Reports on a shaped expression: its gradients or Jacobians (`diff`) and its value (`eval`),
//! with vector and matrix values aligned as text, as `bmatrix` in LaTeX, and in JSON as nested
//! lists of decimal strings (a vector a flat list, a matrix a list of rows, a scalar a string)
//! with the `shape` (`[]`, `[n]` or `[r, c]`).

use super::diff::{how, value_and_exact_json, written};
use super::{Style, json_text};
use crate::eval::matrix::MatValue;
use crate::eval::{Value, format};
use crate::matrix::{self, MId, MatStore, Shape};
use serde::Serialize;
use serde_json::Value as Json;

/// One derivative of a shaped expression.
pub struct MatDerivative {
    /// The variable differentiated by.
    pub wrt: String,
    /// `gradient` (shaped like the variable) or `jacobian` (outputs × inputs).
    pub kind: &'static str,
    /// The derivative.
    pub id: MId,
    /// Its value at the point, when one is given.
    pub value: Option<MatValue>,
}

/// The data of `diff` on a shaped expression.
pub struct MatDiffReport<'a> {
    /// The store.
    pub store: &'a MatStore,
    /// The expression.
    pub expr: MId,
    /// The expression as written.
    pub src: &'a str,
    /// The derivatives.
    pub derivatives: Vec<MatDerivative>,
    /// The point as written (`A = [[1,2],[3,4]]`), in order.
    pub point: Vec<(String, String)>,
    /// Significant digits of inexact values in text and LaTeX.
    pub digits: usize,
    /// The precision asked for, in bits.
    pub precision: u32,
}

#[derive(Serialize)]
struct MatDerivativeJson<'a> {
    input: &'a str,
    parsed: &'a str,
    wrt: &'a str,
    kind: &'a str,
    shape: Vec<Json>,
    derivative: String,
    latex: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exact: Option<Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arithmetic: Option<String>,
}

/// `[]`, `[n]` or `[r, c]`, numbers where the sizes are known.
pub(super) fn shape_json(shape: &Shape, value: Option<&MatValue>) -> Vec<Json> {
    let dims = shape.json_dims();
    let known = value.map(|v| v.entries.shape());
    dims.into_iter()
        .enumerate()
        .map(|(i, d)| match (d.parse::<u64>(), known) {
            (Ok(n), _) => Json::from(n),
            (Err(_), Some((r, c))) => Json::from(if i == 0 { r } else { c }),
            (Err(_), None) => Json::String(d),
        })
        .collect()
}

/// Nested like the shape: a string, a flat list (a column) or a list of rows.
fn nested(v: &MatValue, shape: &Shape, f: impl Fn(&Value) -> Json) -> Json {
    let d = &v.entries;
    if shape.is_scalar() && d.shape() == (1, 1) {
        return f(d.get(0, 0));
    }
    if d.cols() == 1 && shape.cols.is_one() {
        return Json::Array((0..d.rows()).map(|i| f(d.get(i, 0))).collect());
    }
    Json::Array(
        (0..d.rows())
            .map(|i| Json::Array((0..d.cols()).map(|j| f(d.get(i, j))).collect()))
            .collect(),
    )
}

/// The JSON `value` and `exact` of a shaped value.
fn value_json(v: &MatValue, shape: &Shape, precision: u32) -> (Json, Json) {
    let value = nested(v, shape, |x| value_and_exact_json(x, precision).0);
    let all_exact = v.entries.data().iter().all(|x| x.as_exact().is_some());
    let exact = if all_exact {
        nested(v, shape, |x| value_and_exact_json(x, precision).1)
    } else {
        Json::Null
    };
    (value, exact)
}

/// One entry of a vector or matrix for people, short enough to align in columns: an integer,
/// a terminating decimal (`0.25`), a fraction that does not terminate (`5/3`), or a float's
/// digits. A 1×1 value is shown as scalars are (`1/4 = 0.25`).
fn entry_text(v: &Value, digits: usize) -> String {
    match v {
        Value::Exact(r) if *r.denom() != 1 => {
            format::terminating_decimal(r, digits).unwrap_or_else(|| r.to_string())
        }
        _ => v.to_decimal(digits),
    }
}

/// The value's entries for people: a number, a vector on one line (`[1, 2, 3]`), or a matrix
/// aligned in columns, one row a line, the lines after the first indented by `indent`.
pub fn value_text(v: &MatValue, digits: usize, indent: &str) -> String {
    let d = &v.entries;
    if d.shape() == (1, 1) {
        return format::for_people(d.get(0, 0), digits);
    }
    let cells: Vec<Vec<String>> = (0..d.rows())
        .map(|i| {
            (0..d.cols())
                .map(|j| entry_text(d.get(i, j), digits))
                .collect()
        })
        .collect();
    // A (column) vector on one line, as it is written: [1, 2, 3].
    if d.cols() == 1 {
        let items: Vec<&str> = cells.iter().map(|r| r[0].as_str()).collect();
        return format!("[{}]", items.join(", "));
    }
    let widths: Vec<usize> = (0..d.cols())
        .map(|j| {
            cells
                .iter()
                .map(|r| r[j].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let lines: Vec<String> = cells
        .iter()
        .map(|row| {
            let inner: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:>w$}", w = *w))
                .collect();
            format!("[ {} ]", inner.join("  "))
        })
        .collect();
    lines.join(&format!("\n{indent}"))
}

/// The value in LaTeX: a number, or a `bmatrix`.
pub fn value_latex(v: &MatValue, digits: usize) -> String {
    bmatrix(&v.entries, |x| format::latex(x, digits))
}

/// Entries in LaTeX, each by `entry`: a number for a 1×1 value, else a `bmatrix`.
pub fn bmatrix<V>(d: &crate::eval::dense::Dense<V>, entry: impl Fn(&V) -> String) -> String {
    if d.shape() == (1, 1) {
        return entry(d.get(0, 0));
    }
    let rows: Vec<String> = (0..d.rows())
        .map(|i| {
            (0..d.cols())
                .map(|j| entry(d.get(i, j)))
                .collect::<Vec<_>>()
                .join(" & ")
        })
        .collect();
    format!(
        "\\begin{{bmatrix}} {} \\end{{bmatrix}}",
        rows.join(" \\\\ ")
    )
}

fn arithmetic(v: &MatValue) -> String {
    v.entries.data().first().map(how).unwrap_or_default()
}

impl MatDiffReport<'_> {
    fn heading_text(&self, d: &MatDerivative) -> String {
        // The expression as the user wrote it (simplifying may have changed its form:
        // norm2(r)^2 is rᵀr).
        let e = written(self.src);
        let wrt_shape = self.store.var_shape(&d.wrt);
        if d.kind == "jacobian" {
            format!("∂({e})/∂{}", d.wrt)
        } else if wrt_shape.is_scalar() {
            format!("∂/∂{} {e}", d.wrt)
        } else {
            format!("∇_{} {e}", d.wrt)
        }
    }

    fn heading_latex(&self, d: &MatDerivative) -> String {
        let e = matrix::latex(self.store, self.expr);
        let w = crate::print::latex_name(&d.wrt);
        let wrt_shape = self.store.var_shape(&d.wrt);
        if d.kind == "jacobian" {
            format!("\\frac{{\\partial \\left({e}\\right)}}{{\\partial {w}}}")
        } else if wrt_shape.is_scalar() {
            format!("\\frac{{\\partial}}{{\\partial {w}}} \\left[ {e} \\right]")
        } else {
            format!("\\nabla_{{{w}}} \\left[ {e} \\right]")
        }
    }

    fn point_text(&self) -> String {
        self.point
            .iter()
            .map(|(n, v)| format!("{n} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The report in `style`.
    pub fn render(&self, style: Style) -> String {
        match style {
            Style::Text => {
                let mut out = String::new();
                for d in &self.derivatives {
                    out.push_str(&format!(
                        "{} = {}\n",
                        self.heading_text(d),
                        matrix::text(self.store, d.id)
                    ));
                    if let Some(v) = &d.value {
                        let shown = value_text(v, self.digits, "      ");
                        if v.entries.cols() > 1 {
                            out.push_str(&format!(
                                "    at {} ({}):\n      {shown}\n",
                                self.point_text(),
                                arithmetic(v)
                            ));
                        } else {
                            out.push_str(&format!(
                                "    at {}: {shown} ({})\n",
                                self.point_text(),
                                arithmetic(v)
                            ));
                        }
                    }
                }
                out
            }
            Style::Latex => {
                let mut out = String::new();
                for d in &self.derivatives {
                    out.push_str(&format!(
                        "{} = {}\n",
                        self.heading_latex(d),
                        matrix::latex(self.store, d.id)
                    ));
                    if let Some(v) = &d.value {
                        let rel = if matches!(v.entries.data().first(), Some(Value::F64(_))) {
                            "\\approx"
                        } else {
                            "="
                        };
                        out.push_str(&format!(
                            "\\text{{at the point: }} \\quad {rel} {}\n",
                            value_latex(v, self.digits)
                        ));
                    }
                }
                out
            }
            Style::Json => {
                let input = written(self.src);
                let parsed = matrix::text(self.store, self.expr);
                let objs: Vec<MatDerivativeJson> = self
                    .derivatives
                    .iter()
                    .map(|d| {
                        let shape = self.store.shape(d.id).clone();
                        let (value, exact) = match &d.value {
                            Some(v) => {
                                let (a, b) = value_json(v, &shape, self.precision);
                                (Some(a), Some(b))
                            }
                            None => (None, None),
                        };
                        MatDerivativeJson {
                            input: &input,
                            parsed: &parsed,
                            wrt: &d.wrt,
                            kind: d.kind,
                            shape: shape_json(&shape, d.value.as_ref()),
                            derivative: matrix::text(self.store, d.id),
                            latex: matrix::latex(self.store, d.id),
                            value,
                            exact,
                            arithmetic: d.value.as_ref().map(arithmetic),
                        }
                    })
                    .collect();
                super::json_one_or_many(&objs)
            }
        }
    }
}

/// The data of `eval` on a shaped expression.
pub struct MatEvalReport<'a> {
    /// The store.
    pub store: &'a MatStore,
    /// The expression.
    pub expr: MId,
    /// The expression as written.
    pub src: &'a str,
    /// Its value.
    pub value: MatValue,
    /// Significant digits of inexact values in text and LaTeX.
    pub digits: usize,
    /// The precision asked for, in bits.
    pub precision: u32,
}

#[derive(Serialize)]
struct MatEvalJson<'a> {
    input: &'a str,
    parsed: String,
    latex: String,
    shape: Vec<Json>,
    value: Json,
    exact: Json,
    arithmetic: String,
}

impl MatEvalReport<'_> {
    /// The report in `style`.
    pub fn render(&self, style: Style) -> String {
        let input = written(self.src);
        let shape = self.store.shape(self.expr).clone();
        match style {
            Style::Text if self.value.entries.cols() > 1 => format!(
                "{input} = ({})\n    {}\n",
                arithmetic(&self.value),
                value_text(&self.value, self.digits, "    ")
            ),
            Style::Text => format!(
                "{input} = {} ({})\n",
                value_text(&self.value, self.digits, "    "),
                arithmetic(&self.value)
            ),
            Style::Latex => format!(
                "{} = {}\n",
                matrix::latex(self.store, self.expr),
                value_latex(&self.value, self.digits)
            ),
            Style::Json => {
                let (value, exact) = value_json(&self.value, &shape, self.precision);
                json_text(&MatEvalJson {
                    input: &input,
                    parsed: matrix::text(self.store, self.expr),
                    latex: matrix::latex(self.store, self.expr),
                    shape: shape_json(&shape, Some(&self.value)),
                    value,
                    exact,
                    arithmetic: arithmetic(&self.value),
                })
            }
        }
    }
}
