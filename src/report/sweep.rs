//! The step-sweep report: the error of the finite-difference gradient for each step and
//! series, and what it means.

use super::points::{PointJson, point_json, point_text};
use super::tables::table;
use super::{Style, json_text};
use crate::eval::Point;
use crate::fd::{ErrorNorm, Measure, Series, SweepReport, fmt_delta};
use crate::network::Network;
use serde::Serialize;
use serde_json::Value as Json;

/// An error measure for JSON: a number, or beyond the range of doubles a string with 17
/// significant digits (JSON has no 1e584 in doubles and would print `inf` as null).
fn error_json(p: &ErrorNorm, m: Measure) -> Json {
    let v = p.value(m);
    if p.exact_zero || v.is_normal() {
        Json::from(v)
    } else {
        Json::String(p.sci(m, 17))
    }
}

/// A step-size sweep: the error for each step and series, and what it means.
pub fn sweep(
    net: &Network,
    point: &Point,
    r: &SweepReport,
    measure: Measure,
    style: Style,
) -> String {
    let explanation = crate::fd::sweep_sentences(r);
    match style {
        Style::Json => json_text(&SweepJson {
            program: &net.source.1,
            output: net.name(net.output_def().name),
            point: point_json(&net.store, point),
            measure: "squared error ‖∇̂ − ∇‖² in errors, ‖∇̂ − ∇‖ in norms",
            deltas: r.deltas.iter().map(fmt_delta).collect(),
            series: r.series.iter().map(|s| series_json(r, s)).collect(),
            explanation,
        }),
        Style::Text | Style::Latex => sweep_text(net, point, r, measure, &explanation),
    }
}

/// The report as JSON.
#[derive(Serialize)]
struct SweepJson<'a> {
    program: &'a str,
    output: &'a str,
    point: PointJson<'a>,
    measure: &'static str,
    deltas: Vec<String>,
    series: Vec<SeriesJson>,
    explanation: Vec<String>,
}

/// One series (a scheme in an arithmetic), as JSON.
#[derive(Serialize)]
struct SeriesJson {
    scheme: &'static str,
    arith: String,
    errors: Vec<Json>,
    norms: Vec<Json>,
    slope: Option<f64>,
    best_delta: Option<String>,
    estimated_best_delta: Option<f64>,
}

fn series_json(r: &SweepReport, s: &Series) -> SeriesJson {
    SeriesJson {
        scheme: s.scheme.name(),
        arith: s.arith.to_string(),
        errors: s
            .points
            .iter()
            .map(|p| error_json(p, Measure::Squared))
            .collect(),
        norms: s
            .points
            .iter()
            .map(|p| error_json(p, Measure::Norm))
            .collect(),
        slope: s.slope,
        best_delta: s.best.map(|i| fmt_delta(&r.deltas[i])),
        estimated_best_delta: s.estimate.as_ref().map(|e| e.step()),
    }
}

/// The report as a text table, a row per step and a column per series, then the explanation.
fn sweep_text(
    net: &Network,
    point: &Point,
    r: &SweepReport,
    measure: Measure,
    explanation: &[String],
) -> String {
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
            Measure::Squared => "Squared error ‖∇̂ − ∇‖²",
            Measure::Norm => "Error ‖∇̂ − ∇‖",
        },
        point_text(&net.store, point)
    );
    s.push_str(&table(&rows, "  ", 2));
    s.push('\n');
    for e in explanation {
        s.push_str(e);
        s.push('\n');
    }
    s
}
