//! Reports on a network: the backward pass, gradients, chain-rule derivations, gradient checks
//! and step sweeps, and the derivative and value of one expression, as text tables, LaTeX and
//! JSON; and the computation graph, as SVG and DOT (`graph`). They read the network and its
//! DAG; they never change a value.
//!
//! Each report has its own file, which gathers the report's data in a plain struct; its text,
//! LaTeX and JSON renderers draw that struct (JSON through serde, in the struct's field order).
//! The pieces shared by several reports: `tables` (aligned columns), `points` (a point as
//! text, LaTeX or JSON), `values` (a value's digits for JSON) and `formulas` (partials,
//! chains of local derivatives, let-bound forms of long formulas).

use crate::eval::Mode;
use serde::Serialize;
use std::io::{self, Write};

mod backprop;
mod check;
mod diff;
mod document;
mod explain;
mod fd;
mod formulas;
mod grad;
mod grade;
mod graph;
mod matrix;
mod points;
mod rows;
mod shaped;
mod simplify;
mod sweep;
mod tables;
mod values;

pub use backprop::{Passes, backprop};
pub use check::check;
pub use diff::{Derivative, DiffReport, EvalReport};
pub use document::{Piece, document_body, document_start, latex_text, pieces, standalone};
pub use explain::{MAX_EXPLAIN_FACTORS, explain};
pub use fd::fd;
pub use grad::{Form, MAX_GRAD_FACTORS, MAX_GRAD_NODES, grad};
pub use grade::grade;
pub use graph::{
    Graph, GraphEdge, GraphNode, MAX_GRAPH_NODES, Role, graph, graph_dot, graph_svg, shaped_graph,
};
pub use matrix::{MatDerivative, MatDiffReport, MatEvalReport, bmatrix, value_latex, value_text};
pub use points::{point_latex, point_text};
pub use shaped::{ShapedForm, shaped_backprop, shaped_check, shaped_explain, shaped_fd};
pub use simplify::SimplifyReport;
pub use sweep::sweep;

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

/// A report's data as pretty-printed JSON, with a final newline.
fn json_text(data: &impl Serialize) -> String {
    json_text_sized(data, 0)
}

/// [`json_text`] written into room for about `bytes` bytes: a large report's text then grows
/// without being copied and its memory touched afresh at each doubling (the 10^5-layer
/// program's JSON is 140 MB).
fn json_text_sized(data: &impl Serialize, bytes: usize) -> String {
    let mut out = Vec::with_capacity(bytes);
    write_json(data, &mut out).expect("JSON into memory");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// A report's data as pretty-printed JSON, with a final newline, written to `w`.
fn write_json(data: &impl Serialize, w: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, data)?;
    w.write_all(b"\n")
}

/// One object as itself, several as an array (the JSON of a command asked for one or more
/// derivatives).
fn json_one_or_many<T: Serialize>(objs: &[T]) -> String {
    if objs.len() == 1 {
        json_text(&objs[0])
    } else {
        json_text(&objs)
    }
}

/// A report's data, drawn as text, LaTeX or JSON.
trait Render {
    fn text(&self) -> String;

    fn latex(&self) -> String;

    /// The JSON form of the data: serialised in its fields' order.
    fn json(&self) -> impl Serialize + '_;

    /// About how many bytes the JSON text takes, when a report knows (0: it does not).
    fn json_bytes(&self) -> usize {
        0
    }

    /// The report in `style`.
    fn render(&self, style: Style) -> String {
        match style {
            Style::Text => self.text(),
            Style::Latex => self.latex(),
            Style::Json => json_text_sized(&self.json(), self.json_bytes()),
        }
    }

    /// The report in `style`, written to `w`: JSON as it is made, never held whole (the
    /// 10^5-layer program's is 140 MB), text and LaTeX rendered then written.
    fn write(&self, style: Style, w: &mut dyn Write) -> io::Result<()> {
        match style {
            Style::Json => {
                // Buffered here, so that serde_json's many small writes are to a known type.
                let mut w = io::BufWriter::with_capacity(1 << 16, w);
                write_json(&self.json(), &mut w)?;
                w.flush()
            }
            _ => w.write_all(self.render(style).as_bytes()),
        }
    }
}
