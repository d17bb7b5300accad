//! The computation graph as drawn in SVG (by `chainrule graph` and in `chainrule sheet`):
//! parsed, and checked node by node and edge by edge against the JSON backward pass.

use super::{json, num};
use std::collections::HashMap;

/// One node as drawn: its role and the text of each of its lines, by class.
pub struct Drawn {
    pub role: String,
    pub lines: HashMap<String, Vec<String>>,
}

/// The nodes (by name) and edges (`(from, to)` → label) of an SVG graph.
pub fn parse(svg: &str) -> (HashMap<String, Drawn>, HashMap<(String, String), String>) {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    let mut nodes = HashMap::new();
    let mut edges = HashMap::new();
    let text = |n: roxmltree::Node| -> String {
        n.descendants()
            .filter(|d| d.is_text())
            .map(|d| d.text().unwrap())
            .collect()
    };
    for g in doc.descendants().filter(|n| n.has_tag_name("g")) {
        match g.attribute("class") {
            Some("node") => {
                let mut lines: HashMap<String, Vec<String>> = HashMap::new();
                for t in g.children().filter(|n| n.has_tag_name("text")) {
                    lines
                        .entry(t.attribute("class").unwrap().to_string())
                        .or_default()
                        .push(text(t));
                }
                let name = g.attribute("data-name").unwrap().to_string();
                let role = g.attribute("data-role").unwrap().to_string();
                assert!(
                    nodes.insert(name.clone(), Drawn { role, lines }).is_none(),
                    "node {name} drawn twice"
                );
            }
            Some("edge") => {
                let key = (
                    g.attribute("data-from").unwrap().to_string(),
                    g.attribute("data-to").unwrap().to_string(),
                );
                let label = g
                    .children()
                    .find(|n| n.has_tag_name("text"))
                    .map(text)
                    .unwrap();
                assert!(edges.insert(key.clone(), label).is_none(), "{key:?} twice");
            }
            _ => {}
        }
    }
    (nodes, edges)
}

/// The last `= value` of a line, as a double (`δ_z1 = 24` → 24, `= -9/2500` → -0.0036).
fn last_value(line: &str) -> f64 {
    let v = line.rsplit(" = ").next().unwrap().trim_start_matches("= ");
    num(&serde_json::Value::String(v.to_string()))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-5 * b.abs().max(1e-300)
}

/// Every node and edge of `svg`, the graph of `file`, with the values of its JSON backprop.
pub fn check_svg_against_backprop(svg: &str, file: &str) {
    let (nodes, edges) = parse(svg);
    let j = json(&["backprop", file, "--format", "json"]);
    // Inputs: the point's values; definitions: the forward pass.
    let mut want: Vec<(String, f64)> = j["point"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), num(v)))
        .collect();
    for f in j["forward"].as_array().unwrap() {
        want.push((f["name"].as_str().unwrap().to_string(), num(&f["value"])));
        let drawn = &nodes[f["name"].as_str().unwrap()];
        let head = &drawn.lines["formula"][0];
        assert!(
            head.contains(f["written"].as_str().unwrap())
                || head.contains(f["formula"].as_str().unwrap()),
            "{head} shows neither {} nor {}",
            f["written"],
            f["formula"]
        );
    }
    assert_eq!(nodes.len(), want.len(), "one node per input and definition");
    for (name, v) in &want {
        let drawn = nodes.get(name).unwrap_or_else(|| panic!("no node {name}"));
        let got = last_value(&drawn.lines["value"][0]);
        assert!(close(got, *v), "{name}: drawn {got}, backprop {v}");
    }
    // Adjoints: every one of the backward pass, on its node, in the second colour.
    let mut delta: HashMap<String, f64> = HashMap::new();
    for a in j["backward"].as_array().unwrap() {
        let of = a["of"].as_str().unwrap();
        let line = &nodes[of].lines["adjoint"][0];
        assert!(line.starts_with(a["name"].as_str().unwrap()), "{line}");
        let got = last_value(line);
        assert!(
            close(got, num(&a["value"])),
            "{of}: drawn {line}, backprop {}",
            a["value"]
        );
        delta.insert(of.to_string(), got);
    }
    for p in j["gradient"].as_object().unwrap().keys() {
        assert_eq!(nodes[p].role, "parameter");
    }
    // Edges: each adjoint is the sum over the edges out of its node of δ(user) × the edge's
    // value, so the edges' values are the local partials the backward pass used.
    let out = j["output"].as_str().unwrap();
    for (v, d) in &delta {
        if v == out {
            continue;
        }
        let sum: f64 = edges
            .iter()
            .filter(|((from, _), _)| from == v)
            .map(|((_, to), label)| delta[to] * last_value(label))
            .sum();
        assert!(
            close(sum, *d),
            "δ_{v} = {d}, but the edges out of {v} give {sum}"
        );
    }
    for ((from, to), label) in &edges {
        assert!(label.starts_with(&format!("∂{to}/∂{from} = ")), "{label}");
    }
    assert!(svg.contains("#b03a2e"), "adjoints in their own colour");
}
