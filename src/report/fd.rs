//! The gradient-check report: each parameter's finite-difference quotients beside its
//! gradient, with their errors.

use super::points::{PointJson, point_json, point_text};
use super::tables::table;
use super::values::value_json;
use super::{Style, json_text};
use crate::eval::{Point, Value, format};
use crate::fd::{FdParam, FdReport, fmt_delta};
use crate::network::Network;
use serde::Serialize;
use serde_json::Value as Json;

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
pub fn fd(net: &Network, point: &Point, r: &FdReport, digits: usize, style: Style) -> String {
    match style {
        Style::Json => json_text(&fd_json(net, point, r)),
        Style::Text | Style::Latex => fd_text(net, point, r, digits),
    }
}

/// The report as JSON.
#[derive(Serialize)]
struct FdJson<'a> {
    program: &'a str,
    output: &'a str,
    point: PointJson<'a>,
    delta: String,
    step_used: Json,
    arith: String,
    schemes: Vec<&'static str>,
    rows: Vec<serde_json::Map<String, Json>>,
}

fn fd_json<'a>(net: &'a Network, point: &'a Point, r: &FdReport) -> FdJson<'a> {
    FdJson {
        program: &net.source.1,
        output: net.name(net.output_def().name),
        point: point_json(&net.store, point),
        delta: r.delta.to_string(),
        step_used: value_json(&r.step_used),
        arith: r.arith.to_string(),
        schemes: r.schemes.iter().map(|s| s.name()).collect(),
        rows: r.params.iter().map(row_json).collect(),
    }
}

/// One parameter's row, as JSON: its keys are named after the schemes
/// (`central`, `central_error`, `central_relative_error`).
fn row_json(p: &FdParam) -> serde_json::Map<String, Json> {
    let mut o = serde_json::Map::new();
    o.insert("param".into(), Json::String(p.name.clone()));
    o.insert("point".into(), Json::String(p.point.to_string()));
    o.insert("gradient".into(), value_json(&p.gradient));
    for e in &p.entries {
        o.insert(e.scheme.name().into(), value_json(&e.quotient));
        o.insert(format!("{}_error", e.scheme.name()), value_json(&e.error));
        o.insert(
            format!("{}_relative_error", e.scheme.name()),
            relative_error(&e.error, &p.gradient)
                .map_or(Json::Null, |x| Json::String(format::scientific(&x, 17))),
        );
    }
    o
}

/// The report as a text table, a row per parameter.
fn fd_text(net: &Network, point: &Point, r: &FdReport, digits: usize) -> String {
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
        "Finite differences of {} at {}\nstep Δ = {} in {}; error = quotient − gradient, rel. = |error / gradient|\n",
        net.name(net.output_def().name),
        point_text(&net.store, point),
        fmt_delta(&r.delta),
        r.arith.describe()
    );
    s.push_str(&table(&rows, "  ", 2));
    s
}
