//! The computation graph of a program, drawn as SVG or written for graphviz (DOT).
//!
//! A node per input, intermediate and the output, each with its local formula (`z2 = w2*x1`),
//! its forward value at the program's point and its adjoint `δ = ∂E/∂v` (in a second colour);
//! an edge per use, with the local partial (`∂z2/∂x1 = w2`) and its value. Kinks met (a
//! `relu` or `abs` of exactly 0, a tie of different arguments in `max` or `min`) are marked
//! on their node. In a program of vectors and matrices ([`shaped_graph`]) each node also
//! shows its shape, and its value and adjoint as small matrices, a line per row; its edges
//! show the partial alone.
//!
//! The layout is our own, for these small DAGs: definitions in columns by longest path from
//! the inputs (so every edge runs left to right and the output is the rightmost column),
//! each input one column before its first user (so `w3` sits next to `z3`, not far left with
//! long edges across the picture), and the order within a column by the barycentre of the
//! neighbours in the columns before and after, a few sweeps each way, which removes the
//! crossings of the chains students write. Edge labels sit in the gap just before the edge's
//! target, which is as wide as its widest label, and are pushed apart where two would meet.

use super::Numbers;
use super::formulas::{Factored, adjoint_formula, def_formula};
use super::points::point_text;
use crate::error::{Error, Result};
use crate::eval::matrix::MatValue;
use crate::eval::{self, Point, Value, format};
use crate::expr::{Builtin, Func, Id, Node, Sym};
use crate::network::{MatNetwork, Network, WrittenPoint};
use crate::print::text;
use std::collections::HashMap;
use std::fmt::Write as _;

/// The most nodes drawn: past this a picture is no longer readable.
pub const MAX_GRAPH_NODES: usize = 60;

/// What a node of the graph is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// An input that is data (no gradient asked for).
    Data,
    /// An input that is a parameter.
    Parameter,
    /// A definition that is not the output.
    Intermediate,
    /// The output.
    Output,
}

/// One node: an input or a definition.
#[derive(Clone, Debug)]
pub struct GraphNode {
    /// The name.
    pub name: String,
    /// What it is.
    pub role: Role,
    /// The local formula, for a definition (`w2*x1`; as written, then simplified if that
    /// differs: `ℓ(y, ŷ) = (y - ŷ)^2`).
    pub formula: Option<String>,
    /// The forward value, when the program has a point.
    pub value: Option<String>,
    /// The adjoint: `δ_z1 = 24` at a point, else its formula (`δ_z1 = δ_x1*step(z1)`).
    pub adjoint: Option<String>,
    /// Kinks met at the point in its formula (`kink: relu(z1) at z1 = 0`, `kink: a tie in
    /// max(c, a)`).
    pub kinks: Vec<String>,
    /// The shape of a vector or matrix (`4×3`); `None` for a scalar of a scalar program.
    pub shape: Option<String>,
    /// The column, from 0 (left).
    pub layer: usize,
}

/// One edge: `from` is used by `to`.
#[derive(Clone, Debug)]
pub struct GraphEdge {
    /// Index of the name used.
    pub from: usize,
    /// Index of its user.
    pub to: usize,
    /// `∂z2/∂x1`.
    pub partial: String,
    /// The local partial's formula (`w2`).
    pub formula: String,
    /// Its value at the point.
    pub value: Option<String>,
}

/// A program's computation graph.
#[derive(Clone, Debug)]
pub struct Graph {
    /// The program's name and point, for the title.
    pub title: String,
    /// The output's name.
    pub output: String,
    /// Inputs first, then the definitions in order.
    pub nodes: Vec<GraphNode>,
    /// The uses, with their local partials.
    pub edges: Vec<GraphEdge>,
    /// The notes of the backward pass (kinks met and their conventions).
    pub notes: Vec<String>,
}

/// Refused up front: a graph of more than [`MAX_GRAPH_NODES`] nodes is not readable.
fn drawable(file: &str, inputs: usize, defs: usize) -> Result<()> {
    let count = inputs + defs;
    if count > MAX_GRAPH_NODES {
        return Err(Error::Limit(format!(
            "the computation graph of {file} has {count} nodes ({inputs} inputs, {defs} definitions), more than the {MAX_GRAPH_NODES} that can be drawn readably"
        )));
    }
    Ok(())
}

/// The computation graph of a scalar program, with values when `point` is given.
///
/// Errors: [`Error::Limit`] when it has more than [`MAX_GRAPH_NODES`] nodes; evaluation
/// errors as in the backward pass.
pub fn graph(net: &mut Network, point: Option<&Point>, numbers: Numbers) -> Result<Graph> {
    let live = net.live_defs();
    let inputs = net.inputs();
    drawable(&net.source.1, inputs.len(), live.len())?;
    let bw = net.backward_for(&inputs);
    let trace = point
        .map(|p| net.trace_with_locals(&bw, p, numbers.mode))
        .transpose()?;
    let show = |v: &Value| format::for_people(v, numbers.digits);
    let out = net.output_def().name;

    let mut nodes = Vec::new();
    let mut index: HashMap<Sym, usize> = HashMap::new();
    for &s in &inputs {
        index.insert(s, nodes.len());
        nodes.push(GraphNode {
            name: net.name(s).to_string(),
            role: if net.params.contains(&s) {
                Role::Parameter
            } else {
                Role::Data
            },
            formula: None,
            value: point
                .and_then(|p| p.get(&s))
                .map(|r| show(&Value::Exact(r.clone()))),
            adjoint: None,
            kinks: Vec::new(),
            shape: None,
            layer: 0,
        });
    }
    for (k, &i) in live.iter().enumerate() {
        let def = &net.defs[i];
        let (formula, _) = def_formula(&def.written, text(&net.store, def.formula));
        index.insert(def.name, nodes.len());
        nodes.push(GraphNode {
            name: net.name(def.name).to_string(),
            role: if def.name == out {
                Role::Output
            } else {
                Role::Intermediate
            },
            formula: Some(formula),
            value: trace.as_ref().map(|t| show(&t.forward[k])),
            adjoint: None,
            kinks: Vec::new(),
            shape: None,
            layer: 0,
        });
    }

    // Adjoints and edges, from the backward pass: each adjoint's terms are its variable's
    // users with the local partials.
    let adjoints: Vec<_> = bw.adjoints.iter().chain(&bw.gradient).collect();
    let values: Vec<Option<&Value>> = match &trace {
        Some(t) => t.adjoints.iter().chain(&t.gradient).map(Some).collect(),
        None => vec![None; adjoints.len()],
    };
    let mut edges = Vec::new();
    // The local partials' values are the backward pass's (`trace.locals`, one per term),
    // computed with the names bound to their forward values (not the partials with each
    // name's expanded formula put in, whose rounding differs: max(h, tan(α), 1/2) - h with
    // h = abs(α) + … expanded was not 0 in MPFR, and the graph failed with a division by
    // zero).
    let locals = point.and(trace.as_ref()).map(|t| &t.locals);
    let mut terms_seen = 0;
    for (a, v) in adjoints.iter().zip(values) {
        let first_term = terms_seen;
        terms_seen += a.terms.len();
        let Some(&n) = index.get(&a.of) else { continue };
        let delta = net.name(a.delta);
        nodes[n].adjoint = Some(match v {
            Some(v) => format!("{delta} = {}", show(v)),
            None => format!(
                "{delta} = {}",
                adjoint_formula(net, &Factored::default(), a, false)
            ),
        });
        for (k, (u, local)) in a.terms.iter().enumerate() {
            let Some(&to) = index.get(u) else { continue };
            edges.push(GraphEdge {
                from: n,
                to,
                partial: format!("∂{}/∂{}", net.name(*u), net.name(a.of)),
                formula: text(&net.store, *local),
                value: locals.map(|l| show(&l[first_term + k])),
            });
        }
    }
    // Edges in a stable order: by user, then by the name used.
    edges.sort_by_key(|e| (e.to, e.from));

    if let (Some(p), Some(_)) = (point, &trace) {
        // Kink arguments are in terms of names: substitute each name's expanded formula and
        // evaluate at the point, as the forward pass does.
        let expanded: HashMap<Sym, Id> = net.defs.iter().map(|d| (d.name, d.expanded)).collect();
        for &i in &live {
            let def_formula = net.defs[i].formula;
            let n = index[&net.defs[i].name];
            for id in net.store.reachable(&[def_formula]) {
                let Node::Call(Func::Builtin(b), args) = net.store.node(id).clone() else {
                    continue;
                };
                if let Builtin::Max | Builtin::Min = b {
                    // A tie of arguments that are different functions of the inputs.
                    let args: Vec<Id> = args
                        .iter()
                        .map(|&a| net.store.substitute(a, &expanded))
                        .collect();
                    let call = net.store.substitute(id, &expanded);
                    let mut roots = args.clone();
                    roots.push(call);
                    let (v, _) = eval::evaluate(&net.store, &roots, p, numbers.mode)?;
                    let (m, vs) = v.split_last().expect("the call");
                    let mut tied: Vec<Id> = Vec::new();
                    for (a, v) in args.iter().zip(vs) {
                        if same(v, m) && !tied.contains(a) {
                            tied.push(*a);
                        }
                    }
                    if tied.len() > 1 {
                        let t = text(&net.store, id);
                        nodes[index[&net.defs[i].name]]
                            .kinks
                            .push(format!("kink: a tie in {t}"));
                    }
                    continue;
                }
                if !matches!(b, Builtin::Relu | Builtin::Abs) {
                    continue;
                }
                let arg = net.store.substitute(args[0], &expanded);
                let (v, _) = eval::evaluate(&net.store, &[arg], p, numbers.mode)?;
                if is_zero(&v[0]) {
                    let f = if b == Builtin::Relu { "relu" } else { "abs" };
                    let a = text(&net.store, args[0]);
                    nodes[n].kinks.push(format!("kink: {f}({a}) at {a} = 0"));
                }
            }
        }
    }

    layer(&mut nodes, &edges);
    let title = match point {
        Some(p) => format!(
            "{}: {} at {}",
            net.source.1,
            net.name(out),
            point_text(&net.store, p)
        ),
        None => format!(
            "{}: {} (no point: formulas only)",
            net.source.1,
            net.name(out)
        ),
    };
    Ok(Graph {
        title,
        output: net.name(out).to_string(),
        nodes,
        edges,
        notes: trace.map(|t| t.kinks).unwrap_or_default(),
    })
}

/// The computation graph of a program of vectors and matrices: a node per input and
/// definition with its shape, its value (a small matrix, a line per row) and its adjoint's,
/// when the program gives every input a value; an edge per use. The local derivative of a
/// matrix operation is a linear map, not a number, so the edges are labelled with the partial
/// alone (`∂Z1/∂W1`); the backward table has the adjoint rules.
///
/// Errors: [`Error::Limit`] past [`MAX_GRAPH_NODES`]; a scalar output is needed, as for the
/// backward pass.
pub fn shaped_graph(net: &mut MatNetwork, point: &WrittenPoint, numbers: Numbers) -> Result<Graph> {
    let live = net.live_defs();
    let out = net.defs[net.output].name.clone();
    let mut inputs: Vec<String> = Vec::new();
    for &i in &live {
        for v in net.store.variables(net.defs[i].local) {
            let is_def = live.iter().any(|&j| net.defs[j].name == v);
            if !is_def && !inputs.contains(&v) {
                inputs.push(v);
            }
        }
    }
    inputs.sort();
    drawable(&net.source.1, inputs.len(), live.len())?;
    let adjoints = net.backward()?;
    let complete = net
        .inputs
        .iter()
        .all(|i| point.iter().any(|(n, _, _)| n == i));
    let (values, notes) = if complete {
        let (f, b, notes) = net.trace(&adjoints, point, numbers.mode)?;
        (Some((f, b)), notes)
    } else {
        (None, Vec::new())
    };
    let d = numbers.digits;
    let show = |v: &MatValue| super::matrix::value_text(v, d, "  ");
    let shape = |s: &crate::matrix::Shape| (!s.is_scalar()).then(|| s.to_string());
    let mut nodes = Vec::new();
    for v in &inputs {
        let value = point.iter().find(|(n, _, _)| n == v).map(|(_, r, _)| {
            show(&MatValue {
                entries: r.map(|x| Value::Exact(x.clone())),
            })
        });
        nodes.push(GraphNode {
            name: v.clone(),
            role: if net.params.contains(v) {
                Role::Parameter
            } else {
                Role::Data
            },
            formula: None,
            value,
            adjoint: None,
            kinks: Vec::new(),
            shape: shape(&net.store.var_shape(v)),
            layer: 0,
        });
    }
    let index_of = |nodes: &[GraphNode], name: &str| nodes.iter().position(|n| n.name == name);
    let mut edges = Vec::new();
    for (k, &i) in live.iter().enumerate() {
        let def = &net.defs[i];
        let to = nodes.len();
        for v in net.store.variables(def.local) {
            if let Some(from) = index_of(&nodes, &v) {
                edges.push(GraphEdge {
                    from,
                    to,
                    partial: format!("∂{}/∂{v}", def.name),
                    formula: String::new(),
                    value: None,
                });
            }
        }
        nodes.push(GraphNode {
            name: def.name.clone(),
            role: if def.name == out {
                Role::Output
            } else {
                Role::Intermediate
            },
            formula: Some(crate::matrix::text(&net.store, def.local)),
            value: values.as_ref().map(|(f, _)| show(&f[k])),
            adjoint: None,
            kinks: Vec::new(),
            shape: shape(net.store.shape(def.local)),
            layer: 0,
        });
    }
    for (k, a) in adjoints.iter().enumerate() {
        let Some(n) = index_of(&nodes, &a.of) else {
            continue;
        };
        let delta = format!("{}{}", crate::network::ADJOINT_PREFIX, a.of);
        nodes[n].adjoint = Some(match &values {
            // Rows of a matrix below the first line up under its first.
            Some((_, b)) => {
                let pad = " ".repeat(delta.chars().count() + 3);
                let v = super::matrix::value_text(&b[k], d, &pad);
                format!("{delta} = {v}")
            }
            None => format!("{delta} = {}", crate::matrix::text(&net.store, a.formula)),
        });
    }
    // The output's adjoint is 1.
    if let Some(n) = index_of(&nodes, &out)
        && nodes[n].adjoint.is_none()
    {
        nodes[n].adjoint = Some(format!("{}{out} = 1", crate::network::ADJOINT_PREFIX));
    }
    edges.sort_by_key(|e| (e.to, e.from));
    layer(&mut nodes, &edges);
    let title = if complete {
        let at: Vec<String> = point
            .iter()
            .filter(|(n, _, _)| inputs.contains(n))
            .map(|(n, _, t)| format!("{n} = {t}"))
            .collect();
        format!("{}: {out} at {}", net.source.1, at.join(", "))
    } else {
        format!("{}: {out} (no point: formulas only)", net.source.1)
    };
    Ok(Graph {
        title,
        output: out,
        nodes,
        edges,
        notes,
    })
}

/// Whether two values are equal (exactly, when both are exact).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Exact(x), Value::Exact(y)) => x == y,
        _ => a.to_float(1024) == b.to_float(1024),
    }
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::Exact(r) => *r == 0,
        Value::Mpfr(f) => f.is_zero(),
        Value::F64(x) => *x == 0.0,
    }
}

/// Columns by longest path for definitions, each input one column before its first user.
fn layer(nodes: &mut [GraphNode], edges: &[GraphEdge]) {
    // Definitions come in definition order, each after the names it uses.
    for i in 0..nodes.len() {
        if matches!(nodes[i].role, Role::Data | Role::Parameter) {
            continue;
        }
        let l = edges
            .iter()
            .filter(|e| e.to == i)
            .map(|e| nodes[e.from].layer + 1)
            .max()
            .unwrap_or(1);
        nodes[i].layer = l;
    }
    for i in 0..nodes.len() {
        if matches!(nodes[i].role, Role::Data | Role::Parameter) {
            nodes[i].layer = edges
                .iter()
                .filter(|e| e.from == i)
                .map(|e| nodes[e.to].layer - 1)
                .min()
                .unwrap_or(0);
        }
    }
    // Columns may start past 0 when no input is used at the front (a constant definition).
    let first = nodes.iter().map(|n| n.layer).min().unwrap_or(0);
    for n in nodes.iter_mut() {
        n.layer -= first;
    }
}

/// The slots of each column, in drawing order (top to bottom): by the barycentre of their
/// neighbours' positions along the segments, sweeping right then left, a few times. A slot
/// is a node or a waypoint of an edge that spans several columns (as in Sugiyama's layered
/// drawing), so long edges are ordered, and make room, like nodes.
fn columns(layer: &[usize], segs: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let width = layer.iter().map(|l| l + 1).max().unwrap_or(0);
    let mut cols: Vec<Vec<usize>> = vec![Vec::new(); width];
    for (i, &l) in layer.iter().enumerate() {
        cols[l].push(i);
    }
    // Position of a slot: its place in its column, centred on 0.
    let pos = |cols: &[Vec<usize>]| -> Vec<f64> {
        let mut p = vec![0.0; layer.len()];
        for c in cols {
            for (k, &i) in c.iter().enumerate() {
                p[i] = k as f64 - (c.len() as f64 - 1.0) / 2.0;
            }
        }
        p
    };
    let sort = |cols: &mut Vec<Vec<usize>>, l: usize, by_parents: bool| {
        let p = pos(cols);
        let mut keyed: Vec<(f64, usize)> = cols[l]
            .iter()
            .map(|&i| {
                let near: Vec<f64> = segs
                    .iter()
                    .filter_map(|&(a, b)| match by_parents {
                        true if b == i => Some(p[a]),
                        false if a == i => Some(p[b]),
                        _ => None,
                    })
                    .collect();
                let key = if near.is_empty() {
                    p[i]
                } else {
                    near.iter().sum::<f64>() / near.len() as f64
                };
                (key, i)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        cols[l] = keyed.into_iter().map(|(_, i)| i).collect();
    };
    for _ in 0..3 {
        for l in 1..width {
            sort(&mut cols, l, true);
        }
        for l in (0..width.saturating_sub(1)).rev() {
            sort(&mut cols, l, false);
        }
    }
    cols
}

/// Text escaped for XML (SVG, and graphviz's HTML-like labels).
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The second colour: adjoints.
const ADJOINT_COLOUR: &str = "#b03a2e";
/// Kinks.
const KINK_COLOUR: &str = "#d35400";
/// Edge labels.
const EDGE_COLOUR: &str = "#1f4e79";

/// A node's first line: `z1 = w1*x`, or `w1 (parameter)` for an input.
fn head(n: &GraphNode) -> String {
    match (&n.formula, n.role) {
        (Some(f), _) => format!("{} = {f}", n.name),
        (None, Role::Parameter) => format!("{} (parameter)", n.name),
        (None, _) => format!("{} (data)", n.name),
    }
}

/// An edge's label: `∂z2/∂x1 = w2 = 2`.
fn edge_label(e: &GraphEdge) -> String {
    if e.formula.is_empty() {
        return e.partial.clone();
    }
    let mut s = format!("{} = {}", e.partial, e.formula);
    if let Some(v) = &e.value
        && *v != e.formula
    {
        let _ = write!(s, " = {v}");
    }
    s
}

/// A node's value line, `= 2`, when the program has a point.
fn value_line(n: &GraphNode) -> Option<String> {
    let v = n.value.as_ref()?;
    Some(format!("= {v}"))
}

/// The lines of a node, each with its class.
fn node_lines(n: &GraphNode) -> Vec<(&'static str, String)> {
    let mut lines = vec![("formula", head(n))];
    if let Some(shape) = &n.shape {
        lines.push(("shape", format!("shape {shape}")));
    }
    // A matrix's value and adjoint take a line per row.
    if let Some(v) = value_line(n) {
        lines.extend(v.lines().map(|l| ("value", l.to_string())));
    }
    if let Some(a) = &n.adjoint {
        lines.extend(a.lines().map(|l| ("adjoint", l.to_string())));
    }
    for k in &n.kinks {
        lines.push(("kink", k.clone()));
    }
    lines
}

const FONT: f64 = 13.0;
/// Width of one character of the monospaced font, at [`FONT`].
const CHAR: f64 = FONT * 0.6;
const LINE: f64 = 18.0;
const PAD: f64 = 8.0;
const EDGE_FONT: f64 = 12.0;
const EDGE_CHAR: f64 = EDGE_FONT * 0.6;
const V_GAP: f64 = 44.0;
const MARGIN: f64 = 20.0;
/// Height of an edge's waypoint in a column it passes through.
const WAYPOINT: f64 = 12.0;

fn width_of(s: &str, char_width: f64) -> f64 {
    s.chars().count() as f64 * char_width
}

/// The graph as a standalone SVG document.
pub fn graph_svg(g: &Graph) -> String {
    // Slots: the nodes, then a waypoint in each column an edge passes through.
    let mut layer: Vec<usize> = g.nodes.iter().map(|n| n.layer).collect();
    let mut segs = Vec::new();
    let mut paths: Vec<Vec<usize>> = Vec::new();
    for e in &g.edges {
        let mut path = vec![e.from];
        for l in g.nodes[e.from].layer + 1..g.nodes[e.to].layer {
            layer.push(l);
            path.push(layer.len() - 1);
        }
        path.push(e.to);
        segs.extend(path.windows(2).map(|w| (w[0], w[1])));
        paths.push(path);
    }
    let cols = columns(&layer, &segs);
    let lines: Vec<Vec<(&str, String)>> = g.nodes.iter().map(node_lines).collect();
    let mut size: Vec<(f64, f64)> = lines
        .iter()
        .map(|ls| {
            let w = ls
                .iter()
                .map(|(_, l)| width_of(l, CHAR))
                .fold(0.0, f64::max);
            (w + 2.0 * PAD, ls.len() as f64 * LINE + PAD)
        })
        .collect();
    size.resize(layer.len(), (0.0, WAYPOINT));
    // The gap before each column: as wide as the widest label of the edges into it.
    let mut gap = vec![0.0; cols.len()];
    for e in &g.edges {
        let l = g.nodes[e.to].layer;
        gap[l] = f64::max(gap[l], width_of(&edge_label(e), EDGE_CHAR) + 36.0);
    }
    let header = 2.0 * LINE + 10.0;
    let mut x = vec![0.0; cols.len()];
    let mut col_width = vec![0.0; cols.len()];
    let mut at = MARGIN;
    for (l, c) in cols.iter().enumerate() {
        if l > 0 {
            at += f64::max(gap[l], 60.0);
        }
        x[l] = at;
        col_width[l] = c.iter().map(|&i| size[i].0).fold(0.0, f64::max);
        at += col_width[l];
    }
    let notes_width = g
        .notes
        .iter()
        .map(|n| width_of(&format!("note: {n}"), EDGE_CHAR))
        .fold(0.0, f64::max);
    let width = (at + MARGIN)
        .max(width_of(&g.title, CHAR) + 2.0 * MARGIN)
        .max(notes_width + 2.0 * MARGIN);
    let col_height = |c: &Vec<usize>| -> f64 {
        c.iter().map(|&i| size[i].1).sum::<f64>() + V_GAP * (c.len().saturating_sub(1)) as f64
    };
    let tallest = cols.iter().map(col_height).fold(0.0, f64::max);
    // Slot boxes: (x, y) of the top left corner, centred in their column.
    let mut pos = vec![(0.0, 0.0); layer.len()];
    for (l, c) in cols.iter().enumerate() {
        let mut y = header + (tallest - col_height(c)) / 2.0;
        for &i in c {
            pos[i] = (x[l] + (col_width[l] - size[i].0) / 2.0, y);
            y += size[i].1 + V_GAP;
        }
    }
    // Each edge's polyline: out of its node's right side, across each column it passes
    // through at its waypoint, into its user's left side.
    let points: Vec<Vec<(f64, f64)>> = paths
        .iter()
        .map(|path| {
            let (a, b) = (path[0], path[path.len() - 1]);
            let mut pts = vec![(pos[a].0 + size[a].0, pos[a].1 + size[a].1 / 2.0)];
            for &w in &path[1..path.len() - 1] {
                let (l, y) = (layer[w], pos[w].1 + WAYPOINT / 2.0);
                pts.push((x[l], y));
                pts.push((x[l] + col_width[l], y));
            }
            pts.push((pos[b].0, pos[b].1 + size[b].1 / 2.0));
            pts
        })
        .collect();
    // Edge labels: in the gap before the target, on the last segment, pushed apart where
    // they meet.
    let mut label_at: Vec<(f64, f64)> = g
        .edges
        .iter()
        .zip(&points)
        .map(|(e, pts)| {
            let ((x1, y1), (x2, y2)) = (pts[pts.len() - 2], pts[pts.len() - 1]);
            let l = g.nodes[e.to].layer;
            let lx = x[l] - f64::max(gap[l], 60.0) / 2.0;
            let t = if x2 > x1 {
                ((lx - x1) / (x2 - x1)).clamp(0.0, 1.0)
            } else {
                0.5
            };
            (lx, y1 + t * (y2 - y1))
        })
        .collect();
    for l in 0..cols.len() {
        let mut in_gap: Vec<usize> = (0..g.edges.len())
            .filter(|&e| g.nodes[g.edges[e].to].layer == l)
            .collect();
        in_gap.sort_by(|&a, &b| label_at[a].1.total_cmp(&label_at[b].1));
        for k in 1..in_gap.len() {
            let (prev, cur) = (in_gap[k - 1], in_gap[k]);
            let min = label_at[prev].1 + LINE;
            if label_at[cur].1 < min {
                label_at[cur].1 = min;
            }
        }
    }
    let notes_height = g.notes.len() as f64 * LINE;
    let height = header + tallest + MARGIN + notes_height + LINE;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="{FONT}">"#
    );
    let _ = writeln!(s, "<title>{}</title>", xml(&g.title));
    let _ = writeln!(
        s,
        r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>"##
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{MARGIN}" y="{:.1}" font-weight="bold">{}</text>"#,
        LINE,
        xml(&g.title)
    );
    let _ = writeln!(
        s,
        r#"<text x="{MARGIN}" y="{:.1}" font-size="{EDGE_FONT}">forward values in black; <tspan fill="{ADJOINT_COLOUR}">adjoints δ_v = ∂{}/∂v</tspan>; <tspan fill="{EDGE_COLOUR}">edges: local partials</tspan></text>"#,
        2.0 * LINE,
        xml(&g.output)
    );
    // Every line before any label, so that no line crosses a label.
    for (e, pts) in g.edges.iter().zip(&points) {
        let pts: Vec<String> = pts.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = writeln!(
            s,
            r##"<polyline class="edge-line" data-from="{}" data-to="{}" points="{}" fill="none" stroke="#555" stroke-width="1.2" marker-end="url(#arrow)"/>"##,
            xml(&g.nodes[e.from].name),
            xml(&g.nodes[e.to].name),
            pts.join(" ")
        );
    }
    for (e, &(lx, ly)) in g.edges.iter().zip(&label_at) {
        let label = edge_label(e);
        let w = width_of(&label, EDGE_CHAR);
        let _ = writeln!(
            s,
            r#"<g class="edge" data-from="{}" data-to="{}">"#,
            xml(&g.nodes[e.from].name),
            xml(&g.nodes[e.to].name)
        );
        let _ = writeln!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="white" fill-opacity="0.9"/>"#,
            lx - w / 2.0 - 2.0,
            ly - LINE / 2.0 + 1.0,
            w + 4.0,
            LINE - 2.0
        );
        let _ = writeln!(
            s,
            r#"<text class="partial" x="{lx:.1}" y="{:.1}" text-anchor="middle" font-size="{EDGE_FONT}" fill="{EDGE_COLOUR}">{}</text>"#,
            ly + EDGE_FONT / 3.0,
            xml(&label)
        );
        let _ = writeln!(s, "</g>");
    }
    for (i, n) in g.nodes.iter().enumerate() {
        let (nx, ny) = pos[i];
        let (w, h) = size[i];
        let (fill, stroke) = match n.role {
            Role::Data => ("#f2f2f2", "#777"),
            Role::Parameter => ("#e8f1fb", "#2e6da4"),
            Role::Intermediate => ("#ffffff", "#333"),
            Role::Output => ("#fdf5e6", "#333"),
        };
        let (stroke, stroke_width) = if n.kinks.is_empty() {
            (stroke, 1.2)
        } else {
            (KINK_COLOUR, 2.5)
        };
        let _ = writeln!(
            s,
            r#"<g class="node" data-name="{}" data-role="{}">"#,
            xml(&n.name),
            match n.role {
                Role::Data => "data",
                Role::Parameter => "parameter",
                Role::Intermediate => "intermediate",
                Role::Output => "output",
            }
        );
        let _ = writeln!(
            s,
            r#"<rect x="{nx:.1}" y="{ny:.1}" width="{w:.1}" height="{h:.1}" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="{stroke_width}"/>"#
        );
        for (k, (class, line)) in lines[i].iter().enumerate() {
            let ty = ny + PAD / 2.0 + LINE * (k as f64 + 1.0) - 5.0;
            let style = match *class {
                "adjoint" => format!(r#" fill="{ADJOINT_COLOUR}""#),
                "kink" => format!(r#" fill="{KINK_COLOUR}""#),
                "shape" => r##" fill="#666""##.to_string(),
                _ => String::new(),
            };
            let body = if *class == "formula" {
                let rest = line.strip_prefix(n.name.as_str()).unwrap_or(line);
                format!(
                    r#"<tspan font-weight="bold">{}</tspan>{}"#,
                    xml(&n.name),
                    xml(rest)
                )
            } else {
                xml(line)
            };
            let _ = writeln!(
                s,
                r#"<text class="{class}" x="{:.1}" y="{ty:.1}" xml:space="preserve"{style}>{body}</text>"#,
                nx + PAD
            );
        }
        let _ = writeln!(s, "</g>");
    }
    for (k, note) in g.notes.iter().enumerate() {
        let _ = writeln!(
            s,
            r#"<text class="note" x="{MARGIN}" y="{:.1}" font-size="{EDGE_FONT}" fill="{KINK_COLOUR}">note: {}</text>"#,
            header + tallest + MARGIN + LINE * (k as f64 + 0.5),
            xml(note)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// A string quoted for DOT.
fn dot_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The graph in graphviz's DOT language (`dot -Tsvg`), left to right, with HTML-like labels
/// so that the adjoints keep their colour.
pub fn graph_dot(g: &Graph) -> String {
    let mut s = format!("// {}\ndigraph {} {{\n", g.title, dot_quote(&g.title));
    s.push_str("  rankdir=LR;\n  node [shape=plain, fontname=\"DejaVu Sans Mono\"];\n");
    s.push_str(&format!(
        "  edge [fontname=\"DejaVu Sans Mono\", fontsize=11, fontcolor=\"{EDGE_COLOUR}\"];\n"
    ));
    for (i, n) in g.nodes.iter().enumerate() {
        let colour = if n.kinks.is_empty() {
            "black"
        } else {
            KINK_COLOUR
        };
        let mut rows = String::new();
        for (class, line) in node_lines(n) {
            let cell = match class {
                "formula" => {
                    let rest = line.strip_prefix(n.name.as_str()).unwrap_or(&line);
                    format!("<B>{}</B>{}", xml(&n.name), xml(rest))
                }
                "adjoint" => format!("<FONT COLOR=\"{ADJOINT_COLOUR}\">{}</FONT>", xml(&line)),
                "kink" => format!("<FONT COLOR=\"{KINK_COLOUR}\">{}</FONT>", xml(&line)),
                _ => xml(&line),
            };
            let _ = write!(rows, "<TR><TD ALIGN=\"LEFT\">{cell}</TD></TR>");
        }
        let _ = writeln!(
            s,
            "  n{i} [label=<<TABLE BORDER=\"1\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"3\" COLOR=\"{colour}\">{rows}</TABLE>>];"
        );
    }
    for e in &g.edges {
        let _ = writeln!(
            s,
            "  n{} -> n{} [label=<{}>];",
            e.from,
            e.to,
            xml(&edge_label(e))
        );
    }
    for note in &g.notes {
        let _ = writeln!(s, "  // note: {note}");
    }
    s.push_str("}\n");
    s
}
