//! The backward-pass report: the forward pass, every adjoint and the gradient at a point.

use super::formulas::{
    Factored, adjoint_formula, def_formula, partial_latex, partial_text, same_but_spaces,
};
use super::points::{point_json, point_latex, point_text};
use super::rows::{Rows, map_in_halves};
use super::tables::table_onto;
use super::values::{arithmetic, value_json};
use super::{JsonObject, Numbers, Render, Style};
use crate::error::Result;
use crate::eval::{Point, Value, format};
use crate::network::{Adjoint, Backward, Network, Trace};
use crate::print::{latex, latex_name, text};
use serde::Serialize;
use serde_json::Value as Json;
use std::io;
use std::sync::Arc;

/// The forward and backward passes at a point, step by step.
pub fn backprop(
    net: &mut Network,
    point: &Point,
    numbers: Numbers,
    style: Style,
) -> Result<String> {
    let passes = Passes::of(net, point, numbers)?;
    Ok(passes.report(net, point).render(style))
}

/// The passes of a [`backprop`] report, worked out: what remains is to write them out
/// ([`Passes::write`]), which cannot fail but for the writing itself.
pub struct Passes {
    bw: Backward,
    trace: Trace,
    live: Vec<usize>,
    digits: usize,
    fac: Factored,
}

impl Passes {
    /// The backward pass of `net` and both passes' values at `point`.
    pub fn of(net: &mut Network, point: &Point, numbers: Numbers) -> Result<Passes> {
        let bw = net.backward();
        let locals: Vec<_> = bw
            .adjoints
            .iter()
            .chain(&bw.gradient)
            .flat_map(|a| a.terms.iter().map(|t| t.1))
            .collect();
        let fac = Factored::of(&mut net.store, locals);
        // The last node is made: the values and the report only read the store.
        net.store.release_tables();
        let trace = net.trace(&bw, point, numbers.mode)?;
        Ok(Passes {
            bw,
            trace,
            live: net.live_defs(),
            digits: numbers.digits,
            fac,
        })
    }

    /// The [`backprop`] report of these passes over `net` (the network they were worked out
    /// for) at `point`, in `style`, written to `w` as it is made.
    pub fn write(
        self,
        net: &Network,
        point: &Point,
        style: Style,
        w: &mut dyn io::Write,
    ) -> io::Result<()> {
        self.report(net, point).write(style, w)
    }

    fn report<'a>(self, net: &'a Network, point: &'a Point) -> Backprop<'a> {
        Backprop {
            net,
            bw: self.bw,
            trace: self.trace,
            live: self.live,
            point,
            digits: self.digits,
            fac: self.fac,
        }
    }
}

/// The data of the report: the adjoints, their values and the definitions that are used.
struct Backprop<'a> {
    net: &'a Network,
    bw: Backward,
    trace: Trace,
    /// The definitions the output uses, in order (their values are `trace.forward`).
    live: Vec<usize>,
    point: &'a Point,
    /// Significant digits of inexact values in text and LaTeX.
    digits: usize,
    /// Common factors of sums, pulled out when shown.
    fac: Factored,
}

/// One definition of the forward pass, as JSON.
#[derive(Serialize)]
struct ForwardJson<'a> {
    name: &'a str,
    formula: String,
    written: &'a str,
    latex: String,
    value: Json,
}

/// One adjoint (or a gradient entry) of the backward pass, as JSON.
#[derive(Serialize)]
struct AdjointJson<'a> {
    name: &'a str,
    of: &'a str,
    formula: String,
    latex: String,
    simplified: String,
    value: Json,
}

/// The forward pass's rows ([`Rows`]: made on two threads, a block at a time).
fn forward_rows<'a>(b: &'a Backprop<'a>) -> Rows<impl Fn(usize) -> ForwardJson<'a> + Sync> {
    let (net, trace) = (b.net, &b.trace);
    Rows {
        len: b.live.len(),
        make: move |k: usize| {
            let def = &net.defs[b.live[k]];
            ForwardJson {
                name: net.name(def.name),
                formula: text(&net.store, def.formula),
                written: &def.written,
                latex: latex(&net.store, def.formula),
                value: value_json(&trace.forward[k]),
            }
        },
    }
}

/// The backward pass's rows, adjoints then the gradient ([`Rows`]); the gradient's values,
/// written twice (as rows and as the `gradient` object), are made once.
fn backward_rows<'a>(
    b: &'a Backprop<'a>,
    gradient: Arc<[Json]>,
) -> Rows<impl Fn(usize) -> AdjointJson<'a> + Sync> {
    let (net, bw, trace) = (b.net, &b.bw, &b.trace);
    let row = move |a: &Adjoint, value: Json| AdjointJson {
        name: net.name(a.delta),
        of: net.name(a.of),
        formula: adjoint_formula(net, &b.fac, a, false),
        latex: adjoint_formula(net, &b.fac, a, true),
        simplified: text(&net.store, a.formula),
        value,
    };
    let n = bw.adjoints.len();
    Rows {
        len: n + bw.gradient.len(),
        make: move |k: usize| match k.checked_sub(n) {
            None => row(&bw.adjoints[k], value_json(&trace.adjoints[k])),
            Some(j) => row(&bw.gradient[j], gradient[j].clone()),
        },
    }
}

/// The gradient as an object, parameter name to value.
struct GradientJson<'a>(&'a Backprop<'a>, Arc<[Json]>);

impl Serialize for GradientJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (net, bw) = (self.0.net, &self.0.bw);
        let mut map = s.serialize_map(Some(bw.gradient.len()))?;
        for (a, v) in bw.gradient.iter().zip(self.1.iter()) {
            map.serialize_entry(net.name(a.of), v)?;
        }
        map.end()
    }
}

impl Render for Backprop<'_> {
    /// A row of the 10^5-layer chain's report takes about 275 bytes.
    fn json_bytes(&self) -> usize {
        let rows = self.live.len() + self.bw.adjoints.len() + self.bw.gradient.len();
        rows.saturating_mul(320)
    }

    /// The program, its output, the point, the arithmetic, the forward pass's rows, the
    /// backward pass's rows, the gradient by parameter name and the kinks met. The rows
    /// (most of the text) are written by [`Rows::write`], on two threads.
    fn json_to(&self, w: &mut dyn io::Write) -> io::Result<()> {
        let (net, trace) = (self.net, &self.trace);
        let values: Arc<[Json]> =
            map_in_halves(trace.gradient.len(), |k| value_json(&trace.gradient[k])).into();
        let mut o = JsonObject::new(w)?;
        o.field("program", &net.source.1)?;
        o.field("output", net.name(net.output_def().name))?;
        o.field("point", &point_json(&net.store, self.point))?;
        o.field("arithmetic", arithmetic(&trace.forward))?;
        o.field_with("forward", |w| forward_rows(self).write(w))?;
        o.field_with("backward", |w| backward_rows(self, values.clone()).write(w))?;
        o.field("gradient", &GradientJson(self, values))?;
        o.field("kinks", &trace.kinks)?;
        o.end()
    }

    /// The passes as aligned text tables.
    fn text(&self) -> String {
        super::written(|w| self.text_to(w))
    }

    /// The passes as two LaTeX `aligned` environments.
    fn latex(&self) -> String {
        super::written(|w| self.latex_to(w))
    }

    /// The text, a table at a time (the 10^5-layer report is 36 MB).
    fn text_to(&self, w: &mut dyn io::Write) -> io::Result<()> {
        let (net, bw, trace) = (self.net, &self.bw, &self.trace);
        let (live, point, d) = (&self.live, self.point, self.digits);
        let out_name = net.name(net.output_def().name).to_string();
        let mut s = format!("Forward pass at {}\n", point_text(&net.store, point));
        let rows = map_in_halves(live.len(), |k| {
            let (def, v) = (&net.defs[live[k]], &trace.forward[k]);
            let (formula, simplified) = def_formula(&def.written, text(&net.store, def.formula));
            vec![
                net.name(def.name).to_string(),
                " = ".into(),
                formula,
                format!(" {} ", relation(v, simplified)),
                format::for_people(v, d),
            ]
        });
        table_onto(&mut s, &rows, "  ", 0);
        // Each table's rows are let go once it is drawn (at 10^5 layers, 10^6 strings), and
        // its text once written.
        drop(rows);
        w.write_all(s.as_bytes())?;
        s.clear();
        s.push_str(&format!(
            "\nBackward pass: δ_v = ∂{out_name}/∂v, from the output down; each δ sums over the users of v\n"
        ));
        let rows = map_in_halves(bw.adjoints.len(), |k| {
            let (a, v) = (&bw.adjoints[k], &trace.adjoints[k]);
            let mut row = vec![
                net.name(a.delta).to_string(),
                " = ".into(),
                adjoint_formula(net, &self.fac, a, false),
            ];
            // `δ_E = 1`, not `δ_E = 1 = 1`.
            if a.of != net.output_def().name {
                row.extend([" = ".into(), format::for_people(v, d)]);
            }
            row
        });
        table_onto(&mut s, &rows, "  ", 0);
        drop(rows);
        w.write_all(s.as_bytes())?;
        s.clear();
        s.push_str("\nGradient\n");
        let rows = map_in_halves(bw.gradient.len(), |k| {
            let (a, v) = (&bw.gradient[k], &trace.gradient[k]);
            vec![
                partial_text(net, a.of),
                " = ".into(),
                adjoint_formula(net, &self.fac, a, false),
                " = ".into(),
                format::for_people(v, d),
            ]
        });
        table_onto(&mut s, &rows, "  ", 0);
        for k in &trace.kinks {
            s.push_str(&format!("\nnote: {k}"));
        }
        if !trace.kinks.is_empty() {
            s.push('\n');
        }
        w.write_all(s.as_bytes())
    }

    /// The LaTeX, a table at a time.
    fn latex_to(&self, w: &mut dyn io::Write) -> io::Result<()> {
        let (net, bw, trace) = (self.net, &self.bw, &self.trace);
        let (live, point, d) = (&self.live, self.point, self.digits);
        let mut s = format!(
            "% Forward pass at ${}$\n\\begin{{aligned}}\n",
            point_latex(&net.store, point)
        );
        let rows = map_in_halves(live.len(), |k| {
            let (def, v) = (&net.defs[live[k]], &trace.forward[k]);
            let simplified = !same_but_spaces(&def.written, &text(&net.store, def.formula));
            format!(
                "{} &= {} {} {}",
                latex_name(net.name(def.name)),
                latex(&net.store, def.formula),
                if relation(v, simplified) == "=" {
                    "="
                } else {
                    "\\approx"
                },
                format::latex(v, d)
            )
        });
        push_joined(&mut s, &rows, " \\\\\n");
        // The rows are let go once joined (at 10^5 layers, 2·10^5 strings), and their text
        // once written.
        drop(rows);
        w.write_all(s.as_bytes())?;
        s.clear();
        s.push_str(&format!(
            "\n\\end{{aligned}}\n\n% Backward pass: $\\delta_v = \\partial {} / \\partial v$\n\\begin{{aligned}}\n",
            latex_name(net.name(net.output_def().name))
        ));
        let n = bw.adjoints.len();
        let rows = map_in_halves(n + bw.gradient.len(), |k| {
            if let Some(j) = k.checked_sub(n) {
                let (a, v) = (&bw.gradient[j], &trace.gradient[j]);
                return format!(
                    "{} &= {} = {}",
                    partial_latex(net, a.of),
                    adjoint_formula(net, &self.fac, a, true),
                    format::latex(v, d)
                );
            }
            let (a, v) = (&bw.adjoints[k], &trace.adjoints[k]);
            let lhs = latex_name(net.name(a.delta));
            if a.of == net.output_def().name {
                // `\delta_E = 1`, once.
                return format!("{lhs} &= {}", adjoint_formula(net, &self.fac, a, true));
            }
            format!(
                "{lhs} &= {} = {}",
                adjoint_formula(net, &self.fac, a, true),
                format::latex(v, d)
            )
        });
        push_joined(&mut s, &rows, " \\\\\n");
        s.push_str(&format!(
            "\n\\end{{aligned}}\n% at ${}$\n",
            point_latex(&net.store, point)
        ));
        s.push_str(&super::latex_notes(&trace.kinks));
        w.write_all(s.as_bytes())
    }
}

/// How a forward value relates to the formula before it. In IEEE double the value is the
/// definition as written computed as NumPy would (`0.1 + 0.2` is 0.30000000000000004); when
/// the formula shown is a simplified form (`3/10`), the value only approximates it: `≈`.
fn relation(v: &Value, simplified: bool) -> &'static str {
    match v {
        Value::F64(_) if simplified => "≈",
        _ => "=",
    }
}

/// `parts` joined by `sep`, onto the end of `s` (a large report's rows are not joined into a
/// string of their own first).
fn push_joined(s: &mut String, parts: &[String], sep: &str) {
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            s.push_str(sep);
        }
        s.push_str(p);
    }
}
