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
pub use document::{
    Piece, document_body, document_start, latex_notes, latex_text, pieces, standalone,
};
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
    let mut out = Vec::new();
    write_json(data, &mut out).expect("JSON into memory");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// A report's data as pretty-printed JSON, with a final newline, written to `w`.
fn write_json(data: &impl Serialize, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, data)?;
    w.write_all(b"\n")
}

/// serde_json's pretty layout (its `PrettyFormatter`: two spaces a level) for a value that
/// stands `level` levels deep in a document written in parts, so that the parts, serialised
/// each on its own (on either of two threads), are together the text serde_json would write
/// for the whole.
pub(super) struct Nested {
    level: usize,
    has_value: bool,
}

impl Nested {
    pub fn at(level: usize) -> Self {
        Nested {
            level,
            has_value: false,
        }
    }

    /// A line break, then the indentation of the current level.
    fn new_line<W: ?Sized + Write>(&self, w: &mut W, comma: bool) -> io::Result<()> {
        const SPACES: &[u8; 64] = &[b' '; 64];
        w.write_all(if comma { b",\n" } else { b"\n" })?;
        let mut n = 2 * self.level;
        while n > 0 {
            let k = n.min(SPACES.len());
            w.write_all(&SPACES[..k])?;
            n -= k;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.new_line(w, false)?;
        }
        w.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.new_line(w, !first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.new_line(w, !first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `value` serialised at `level` levels deep ([`Nested`]).
pub(super) fn write_nested(
    w: &mut (impl Write + ?Sized),
    level: usize,
    value: &(impl Serialize + ?Sized),
) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(w, Nested::at(level));
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// A JSON object written field by field at the top level, byte for byte as serde_json's
/// pretty printer writes a struct: for a report some of whose fields are written otherwise
/// than by serialising them (rows made on two threads).
pub(super) struct JsonObject<'w> {
    w: &'w mut dyn Write,
    first: bool,
}

impl<'w> JsonObject<'w> {
    pub fn new(w: &'w mut dyn Write) -> io::Result<Self> {
        w.write_all(b"{")?;
        Ok(JsonObject { w, first: true })
    }

    /// The next field's key; its value is to be written next, as a value inside the object.
    fn key(&mut self, key: &str) -> io::Result<&mut dyn Write> {
        let sep: &[u8] = if self.first { b"\n  " } else { b",\n  " };
        self.first = false;
        self.w.write_all(sep)?;
        serde_json::to_writer(&mut *self.w, key)?;
        self.w.write_all(b": ")?;
        Ok(&mut *self.w)
    }

    /// A field whose value is serialised.
    pub fn field(&mut self, key: &str, value: &(impl Serialize + ?Sized)) -> io::Result<()> {
        let w = self.key(key)?;
        write_nested(w, 1, value)
    }

    /// A field whose value `write` writes, one level deep ([`Nested::at`] 1).
    pub fn field_with(
        &mut self,
        key: &str,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        let w = self.key(key)?;
        write(w)
    }

    /// The end of the object, and of the text.
    pub fn end(self) -> io::Result<()> {
        let end: &[u8] = if self.first { b"}\n" } else { b"\n}\n" };
        self.w.write_all(end)
    }
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

    /// The text written to `w`: made whole, then written, unless a report writes it in parts
    /// (a large report's text is not then held whole).
    fn text_to(&self, w: &mut dyn Write) -> io::Result<()> {
        w.write_all(self.text().as_bytes())
    }

    /// The LaTeX written to `w`, as [`Render::text_to`].
    fn latex_to(&self, w: &mut dyn Write) -> io::Result<()> {
        w.write_all(self.latex().as_bytes())
    }

    /// The JSON text of the data, with a final newline, written to `w` (most reports
    /// serialise a struct of their fields with [`write_json`]).
    fn json_to(&self, w: &mut dyn Write) -> io::Result<()>;

    /// About how many bytes the JSON text takes, when a report knows (0: it does not).
    fn json_bytes(&self) -> usize {
        0
    }

    /// The report in `style`.
    fn render(&self, style: Style) -> String {
        match style {
            Style::Text => self.text(),
            Style::Latex => self.latex(),
            Style::Json => {
                // Room for the whole text: a large report's text then grows without being
                // copied and its memory touched afresh at each doubling.
                let mut out = Vec::with_capacity(self.json_bytes());
                self.json_to(&mut out).expect("JSON into memory");
                String::from_utf8(out).expect("serde_json writes UTF-8")
            }
        }
    }

    /// The report in `style`, written to `w`: JSON as it is made, never held whole (the
    /// 10^5-layer program's is 140 MB), text and LaTeX as the report writes them.
    fn write(&self, style: Style, w: &mut dyn Write) -> io::Result<()> {
        match style {
            Style::Json => {
                // Buffered here, so that serde_json's many small writes are to a known type.
                let mut w = io::BufWriter::with_capacity(1 << 16, w);
                self.json_to(&mut w)?;
                w.flush()
            }
            Style::Text => self.text_to(w),
            Style::Latex => self.latex_to(w),
        }
    }
}

/// What `write` writes, as a string.
fn written(write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
    let mut out = Vec::new();
    write(&mut out).expect("a report into memory");
    String::from_utf8(out).expect("reports are UTF-8")
}

#[cfg(test)]
mod tests {
    use super::{JsonObject, write_nested};
    use serde_json::{Value, json};

    /// Values nested deeper than the indentation's buffer of spaces, written at their depth,
    /// are serde_json's pretty text; an object with no field is `{}`.
    #[test]
    fn nested_values_are_laid_out_as_serde_json_lays_them_out() {
        let mut deep = json!({"leaf": [1, "two", {}, []]});
        for k in 0..40 {
            deep = json!({ format!("level{k}"): [deep, k] });
        }
        let whole = json!({ "deep": deep, "empty": {} });
        let mut text = Vec::new();
        let mut o = JsonObject::new(&mut text).unwrap();
        o.field("deep", &whole["deep"]).unwrap();
        o.field_with("empty", |w| write_nested(w, 1, &json!({})))
            .unwrap();
        o.end().unwrap();
        let expected = serde_json::to_string_pretty(&whole).unwrap() + "\n";
        assert_eq!(String::from_utf8(text).unwrap(), expected);
        let mut none = Vec::new();
        JsonObject::new(&mut none).unwrap().end().unwrap();
        let empty: Value = json!({});
        assert_eq!(
            String::from_utf8(none).unwrap(),
            serde_json::to_string_pretty(&empty).unwrap() + "\n"
        );
    }
}
