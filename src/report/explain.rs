//! The derivation report: `∂E/∂v` path by path by the chain rule, then simplified, with its
//! value when a point is given.

use super::formulas::{Factored, Grouping, chain_factor, chains_text, content_first};
use super::points::point_text;
use super::values::value_json;
use super::{Numbers, Render, Style};
use crate::error::{Error, Result, TooLarge};
use crate::eval::{Point, Value, format};
use crate::expr::{Id, Sym};
use crate::network::{Edge, Network};
use crate::print::{latex, latex_name, text};
use serde::Serialize;
use serde_json::Value as Json;
use unicode_width::UnicodeWidthStr;

/// Most local derivatives `explain` writes out along the paths to one variable.
pub const MAX_EXPLAIN_FACTORS: u64 = 5_000;

/// The chain-rule derivation of `∂E/∂v`, path by path, then the simplified result.
///
/// A derivation too long to write out is [`Error::TooLarge`].
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
        return Err(Error::TooLarge(TooLarge::Derivation {
            output: net.name(out).to_string(),
            wrt: net.name(v).to_string(),
            factors,
            limit: MAX_EXPLAIN_FACTORS,
        }));
    }
    let paths = net.paths(v, 64);
    // Any name may be asked about: a data input gets its adjoint too.
    let bw = net.backward_for(&[v]);
    let k = bw.gradient.iter().position(|a| a.of == v);
    let inlined = net.inlined(&bw, v);
    let inlined = content_first(&mut net.store, inlined);
    // Each path's factors, neighbours that cancel multiplied together: shown as the
    // simplified form when that shortened a chain.
    let mut grouping = Grouping::default();
    let mut grouped_paths = Vec::new();
    let mut shortened = false;
    for p in paths.iter().flatten() {
        let fs: Vec<Id> = p.iter().map(|e| e.2).collect();
        let g = grouping.grouped(&mut net.store, &fs);
        let shown = fs
            .iter()
            .filter(|f| net.store.as_num(**f).is_none_or(|r| *r != 1));
        shortened |= g.len() < shown.count();
        grouped_paths.push(g);
    }
    let grouped_paths = shortened.then_some(grouped_paths);
    let locals = paths.iter().flatten().flatten().map(|e| e.2);
    let fac = Factored::of(
        &mut net.store,
        locals
            .chain(grouped_paths.iter().flatten().flatten().copied())
            .chain([inlined])
            .collect::<Vec<_>>(),
    );
    let mut notes = Vec::new();
    let value = match point {
        Some(p) => {
            let mut t = net.trace(&bw, p, numbers.mode)?;
            notes = std::mem::take(&mut t.kinks);
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
    let report = Explain {
        net,
        name_e: net.name(out).to_string(),
        name_v: net.name(v).to_string(),
        paths,
        inlined,
        grouped: grouped_paths,
        fac,
        value,
        notes,
        point,
        digits: numbers.digits,
    };
    Ok(report.render(style))
}

/// The data of the report.
struct Explain<'a> {
    net: &'a Network,
    /// The output's and the variable's names.
    name_e: String,
    name_v: String,
    /// The paths from the output down to the variable (`None`: more than 64).
    paths: Option<Vec<Vec<Edge>>>,
    /// `∂E/∂v` simplified.
    inlined: Id,
    /// The chains with neighbours that cancel multiplied together, when that shortened one:
    /// the simplified form then.
    grouped: Option<Vec<Vec<Id>>>,
    /// Common factors of sums, pulled out when shown.
    fac: Factored,
    value: Option<Value>,
    /// The value's notes (a kink met, digits lost to cancellation).
    notes: Vec<String>,
    point: Option<&'a Point>,
    /// Significant digits of inexact values in text and LaTeX.
    digits: usize,
}

/// The report as JSON.
#[derive(Serialize)]
struct ExplainJson<'a> {
    program: &'a str,
    output: &'a str,
    wrt: &'a str,
    simplified: String,
    latex: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    paths: Option<Vec<PathJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Json>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
}

/// One path, as JSON.
#[derive(Serialize)]
struct PathJson {
    leibniz: String,
    factors: Vec<String>,
}

/// The partials along a path in Leibniz's notation: `∂E/∂z · ∂z/∂w`.
fn leibniz(net: &Network, path: &[Edge], latex_mode: bool) -> String {
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
}

/// The local derivatives along a path, as formulas.
fn local(net: &Network, fac: &Factored, path: &[Edge], latex_mode: bool) -> String {
    let shown: Vec<String> = path
        .iter()
        .map(|e| chain_factor(net, fac, e.2, latex_mode))
        .collect();
    shown.join(if latex_mode { " \\cdot " } else { " · " })
}

impl Explain<'_> {
    /// `∂E/∂v` simplified: the grouped chains, or the inlined formula.
    fn simplified(&self, latex_mode: bool) -> String {
        let net = self.net;
        match &self.grouped {
            Some(chains) => chains_text(net, &self.fac, chains, latex_mode),
            None => match self.fac.show(&net.store, self.inlined, latex_mode) {
                Some(shown) => shown,
                None if latex_mode => latex(&net.store, self.inlined),
                None => text(&net.store, self.inlined),
            },
        }
    }
}

impl Render for Explain<'_> {
    /// The paths in words, the sum of their products in Leibniz's notation, as formulas and
    /// simplified; then the value.
    fn text(&self) -> String {
        let Explain {
            net,
            name_e,
            name_v,
            paths,
            inlined,
            value,
            point,
            digits,
            fac,
            ..
        } = self;
        let inlined = *inlined;
        let mut s = format!("∂{name_e}/∂{name_v} by the chain rule");
        match paths {
            Some(ps) if ps.is_empty() => {
                s.push_str(&format!(": {name_e} does not depend on {name_v}\n"))
            }
            Some(ps) => {
                s.push_str(&format!(
                    ", summing over the {} path{} from {name_e} down to {name_v}:\n",
                    ps.len(),
                    if ps.len() == 1 { "" } else { "s" }
                ));
                let lhs = format!("∂{name_e}/∂{name_v}");
                let pad = " ".repeat(UnicodeWidthStr::width(lhs.as_str()));
                let sum_l: Vec<String> = ps.iter().map(|p| leibniz(net, p, false)).collect();
                let sum_f: Vec<String> = ps.iter().map(|p| local(net, fac, p, false)).collect();
                s.push_str(&format!("  {lhs} = {}\n", sum_l.join(" + ")));
                s.push_str(&format!("  {pad} = {}\n", sum_f.join(" + ")));
                s.push_str(&format!(
                    "  {pad} = {}    (simplified)\n",
                    self.simplified(false)
                ));
            }
            None => s.push_str(&format!(
                ": more than 64 paths, so by the backward recursion instead:\n  ∂{name_e}/∂{name_v} = {}\n",
                text(&net.store, inlined)
            )),
        }
        if let (Some(v), Some(p)) = (value, point) {
            s.push_str(&format!(
                "\nAt {}: ∂{name_e}/∂{name_v} = {}\n",
                point_text(&net.store, p),
                format::for_people(v, *digits)
            ));
        }
        for n in &self.notes {
            s.push_str(&format!("note: {n}\n"));
        }
        s
    }

    /// One LaTeX `aligned` environment: the sum in Leibniz's notation, as formulas,
    /// simplified, and the value.
    fn latex(&self) -> String {
        let net = self.net;
        let lhs = format!(
            "\\frac{{\\partial {}}}{{\\partial {}}}",
            latex_name(&self.name_e),
            latex_name(&self.name_v)
        );
        let mut rows = vec![];
        if let Some(ps) = &self.paths
            && !ps.is_empty()
        {
            let sum_l: Vec<String> = ps.iter().map(|p| leibniz(net, p, true)).collect();
            let sum_f: Vec<String> = ps.iter().map(|p| local(net, &self.fac, p, true)).collect();
            rows.push(format!("{lhs} &= {}", sum_l.join(" + ")));
            rows.push(format!("&= {}", sum_f.join(" + ")));
            rows.push(format!("&= {}", self.simplified(true)));
        } else {
            rows.push(format!("{lhs} &= {}", latex(&net.store, self.inlined)));
        }
        if let Some(v) = &self.value {
            rows.push(format!("&= {}", format::latex(v, self.digits)));
        }
        format!(
            "\\begin{{aligned}}\n{}\n\\end{{aligned}}\n{}",
            rows.join(" \\\\\n"),
            super::latex_notes(&self.notes)
        )
    }

    fn json_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        super::write_json(&self.json(), w)
    }
}

impl Explain<'_> {
    fn json(&self) -> impl Serialize + '_ {
        let net = self.net;
        ExplainJson {
            program: &net.source.1,
            output: &self.name_e,
            wrt: &self.name_v,
            simplified: self.simplified(false),
            latex: self.simplified(true),
            paths: self.paths.as_ref().map(|ps| {
                ps.iter()
                    .map(|p| PathJson {
                        leibniz: leibniz(net, p, false),
                        factors: p.iter().map(|e| text(&net.store, e.2)).collect(),
                    })
                    .collect()
            }),
            value: self.value.as_ref().map(value_json),
            notes: &self.notes,
        }
    }
}
