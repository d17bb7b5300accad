//! `chainrule graph`: the SVG is parsed and every node and edge checked against the JSON
//! backward-pass report; the DOT output is snapshotted.

mod common;

use common::graph_svg::{check_svg_against_backprop, parse};
use common::{chainrule as run, ok};

/// Every node and edge of the SVG graph of `file`, with the values of its JSON backprop.
fn check_against_backprop(file: &str) {
    check_svg_against_backprop(&ok(&["graph", file]), file);
}

#[test]
fn relu_graph_has_the_backprop_values() {
    check_against_backprop("examples/hw7_relu.chain");
    let (nodes, edges) = parse(&ok(&["graph", "examples/hw7_relu.chain"]));
    assert_eq!(nodes["w1"].lines["adjoint"], ["δ_w1 = 24"]);
    assert_eq!(nodes["w3"].lines["adjoint"], ["δ_w3 = 16"]);
    assert_eq!(nodes["z2"].lines["formula"], ["z2 = w2*x1"]);
    assert_eq!(
        edges[&("x1".to_string(), "z2".to_string())],
        "∂z2/∂x1 = w2 = 2"
    );
    assert_eq!(edges.len(), 11);
}

#[test]
fn sigmoid_graph_has_the_backprop_values() {
    check_against_backprop("examples/hw7_sigmoid.chain");
}

#[test]
fn abstract_graph_has_formulas_only() {
    let (nodes, edges) = parse(&ok(&["graph", "examples/hw7_abstract.chain"]));
    assert_eq!(nodes.len(), 12);
    assert!(nodes.values().all(|n| !n.lines.contains_key("value")));
    assert_eq!(nodes["x1"].lines["formula"], ["x1 = σ(z1)"]);
    assert_eq!(nodes["z1"].lines["adjoint"], ["δ_z1 = δ_x1 · σ'(z1)"]);
    assert_eq!(nodes["w1"].lines["adjoint"], ["δ_w1 = δ_z1 · x"]);
    assert_eq!(
        edges[&("z1".to_string(), "x1".to_string())],
        "∂x1/∂z1 = σ'(z1)"
    );
    let want = [
        ("w1", "z1"),
        ("x", "z1"),
        ("z1", "x1"),
        ("w2", "z2"),
        ("x1", "z2"),
        ("z2", "x2"),
        ("w3", "z3"),
        ("x2", "z3"),
        ("z3", "ŷ"),
        ("y", "E"),
        ("ŷ", "E"),
    ];
    let mut got: Vec<(String, String)> = edges.keys().cloned().collect();
    got.sort();
    let mut want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    want.sort();
    assert_eq!(got, want);
}

/// At x = 0 both relus' arguments (z1 = w1*x, and so z2 = w2*x1) are exactly 0, kinks
/// marked on x1 and x2 (whose formulas are relu(z1) and relu(z2)) and noted under the graph.
#[test]
fn a_kink_met_is_marked_on_its_node() {
    let svg = ok(&["graph", "examples/hw7_relu.chain", "--at", "x=0"]);
    let (nodes, _) = parse(&svg);
    assert_eq!(nodes["x1"].lines["kink"], ["kink: relu(z1) at z1 = 0"]);
    assert_eq!(nodes["x2"].lines["kink"], ["kink: relu(z2) at z2 = 0"]);
    assert!(!nodes["z3"].lines.contains_key("kink"));
    assert!(svg.contains("note: z1 = 0 here, a kink"), "{svg}");
}

#[test]
fn dot_output_snapshot() {
    let dot = ok(&["graph", "examples/hw7_relu.chain", "--format", "dot"]);
    common::snapshot_settings().bind(|| insta::assert_snapshot!("graph_relu_dot", dot));
}

#[test]
fn the_graph_is_written_with_dash_o_and_not_over_the_program() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule-graph-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("g.svg");
    let (code, out, err) = run(&[
        "graph",
        "examples/hw7_relu.chain",
        "-o",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("wrote"));
    let written = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(written, ok(&["graph", "examples/hw7_relu.chain"]));
    let prog = dir.join("p.svg");
    std::fs::copy("examples/hw7_relu.chain", &prog)
        .or_else(|_| {
            std::fs::copy(
                concat!(env!("CARGO_MANIFEST_DIR"), "/examples/hw7_relu.chain"),
                &prog,
            )
        })
        .unwrap();
    let before = std::fs::read(&prog).unwrap();
    let p = prog.to_str().unwrap();
    let (code, _, err) = run(&["graph", p, "-o", p]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(std::fs::read(&prog).unwrap(), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_large_program_is_refused_with_its_size() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule-graph-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut src = String::from("h0 = w0*x\n");
    for i in 1..70 {
        src.push_str(&format!("h{i} = relu(w{i}*h{})\n", i - 1));
    }
    src.push_str("E = h69^2\n");
    let file = dir.join("big.chain");
    std::fs::write(&file, src).unwrap();
    let (code, out, err) = run(&["graph", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    let flat: Vec<&str> = err.split_whitespace().filter(|w| *w != "│").collect();
    let flat = flat.join(" ");
    assert!(
        flat.contains("has 142 nodes (71 inputs, 71 definitions), more than the 60"),
        "{err}"
    );
    assert!(
        flat.contains("`chainrule backprop` shows every value"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A tie of max's arguments that are different functions of the inputs is a kink, marked on
/// its node; `max(u, v)` with u and v both x is no kink, and is not marked.
#[test]
fn a_tie_of_max_is_marked_only_when_it_is_a_kink() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule-graph-tie-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kink = dir.join("kink.chain");
    std::fs::write(&kink, "c = a*b + 1\nE = max(c, a)\nat a = 1, b = 0\n").unwrap();
    let (nodes, _) = parse(&ok(&["graph", kink.to_str().unwrap()]));
    assert_eq!(nodes["E"].lines["kink"], ["kink: a tie in max(c, a)"]);
    assert_eq!(nodes["E"].lines["adjoint"], ["δ_E = 1"]);
    assert_eq!(nodes["a"].lines["adjoint"], ["δ_a = 1/2 = 0.5"]);
    let same = dir.join("same.chain");
    std::fs::write(&same, "u = x\nv = x\nE = max(u, v)\nat x = 2\n").unwrap();
    let (nodes, _) = parse(&ok(&["graph", same.to_str().unwrap()]));
    assert!(nodes.values().all(|n| !n.lines.contains_key("kink")));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The edges' values are the backward pass's local partials, evaluated with the names bound
/// to their forward values. They were the partials with each name's expanded formula put in,
/// which rounds differently: here ∂k/∂α divides by the number of arguments of max tied at the
/// maximum, 3 - step(max(h, tan(α), 1/2) - h) - …, and with h = abs(α) + sign(α)*sech(α) +
/// sqrt(1 + α^2) expanded, max(…) - h was a rounding error above 0 in MPFR instead of 0: the
/// graph (and the sheet that draws it) failed with a division by zero, though backprop ran.
#[test]
fn edge_values_are_the_backward_passs_where_expanding_would_round_differently() {
    let src = "α = w*x + β\nh = abs(α) + sign(α)*sech(α) + sqrt(1 + α^2)\n\
               k = max(h, tan(α), 0.5) - min(sin(α), cos(α))\nE = (y - k)^2/2\n\
               at w = 0.3, x = 2, β = -0.1, y = 1\nwrt w, β\n";
    let dir = common::scratch_dir("graph-max3", &[("max3.chain", src)]);
    let file = dir.join("max3.chain");
    let file = file.to_str().unwrap();
    let svg = ok(&["graph", file]);
    check_svg_against_backprop(&svg, file);
    let (_, edges) = parse(&svg);
    // h is the largest of the three, alone: all of ∂k/∂h goes to it.
    assert!(
        edges[&("h".to_string(), "k".to_string())].ends_with(" = 1"),
        "{}",
        edges[&("h".to_string(), "k".to_string())]
    );
    ok(&["sheet", file]);
}

/// The boxes of the nodes and of the edge labels of an SVG graph: (x, y, width, height).
fn boxes(svg: &str) -> Vec<(String, [f64; 4])> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let mut out = Vec::new();
    for g in doc.descendants().filter(|n| n.has_tag_name("g")) {
        let Some(rect) = g.children().find(|n| n.has_tag_name("rect")) else {
            continue;
        };
        let f = |a: &str| rect.attribute(a).unwrap().parse::<f64>().unwrap();
        let what = format!(
            "{} {}",
            g.attribute("class").unwrap(),
            g.attribute("data-name")
                .or(g.attribute("data-to"))
                .unwrap_or_default()
        );
        out.push((what, [f("x"), f("y"), f("width"), f("height")]));
    }
    out
}

/// No two boxes (nodes, edge labels) overlap, on the homework's graphs, a kink's and a DAG
/// with fan-out and an edge across two columns: the pictures stay readable.
#[test]
fn no_label_overlaps_another_or_a_node() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule-graph-dag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dag = dir.join("dag.chain");
    std::fs::write(
        &dag,
        "a = w*x\nb = a^2\nc = sin(a)\nd = b*c + a\nE = (y - d)^2 + abs(u)\nat w = 1, x = 2, y = 1, u = 0\n",
    )
    .unwrap();
    let dag = dag.to_str().unwrap().to_string();
    for args in [
        vec!["graph", "examples/hw7_relu.chain"],
        vec!["graph", "examples/hw7_sigmoid.chain"],
        vec!["graph", "examples/hw7_abstract.chain"],
        vec!["graph", "examples/hw7_relu.chain", "--at", "x=0"],
        vec!["graph", dag.as_str()],
    ] {
        let svg = ok(&args);
        let b = boxes(&svg);
        assert!(b.len() > 5, "{args:?}");
        for (i, (p, [x1, y1, w1, h1])) in b.iter().enumerate() {
            for (q, [x2, y2, w2, h2]) in &b[i + 1..] {
                let apart = x1 + w1 <= *x2 || x2 + w2 <= *x1 || y1 + h1 <= *y2 || y2 + h2 <= *y1;
                assert!(apart, "{args:?}: {p} overlaps {q}");
            }
        }
        // rsvg-convert, where installed, renders it without a complaint.
        let svg_file = dir.join("g.svg");
        std::fs::write(&svg_file, &svg).unwrap();
        if let Ok(out) = std::process::Command::new("rsvg-convert")
            .arg(&svg_file)
            .arg("-o")
            .arg(dir.join("g.png"))
            .output()
        {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                out.stderr.is_empty(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The entries of a drawn value or adjoint, a line per row (`= [ 1  1 ]`, `  [ 0  1 ]`, or
/// `δ_W1 = [ -8  -16 ]` then `       [ 8  16 ]`), in row order.
fn entries(lines: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (k, l) in lines.iter().enumerate() {
        let l = if k == 0 {
            l.split_once("= ").map_or(l.as_str(), |(_, r)| r)
        } else {
            l.as_str()
        };
        out.extend(
            l.split(|c: char| c.is_whitespace() || "[],".contains(c))
                .filter(|t| !t.is_empty())
                .map(String::from),
        );
    }
    out
}

/// A JSON value (a number, a vector, a matrix as rows) as its entries in row order.
fn flat(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::Array(a) => a.iter().flat_map(flat).collect(),
        serde_json::Value::String(s) => vec![s.clone()],
        other => vec![other.to_string()],
    }
}

/// The shape line a node shows for a JSON shape (`[4]` is 4×1, `[]` a scalar: none).
fn shape_line(shape: &serde_json::Value) -> Option<String> {
    let dims: Vec<String> = shape
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d.as_u64()
                .map_or_else(|| d.as_str().unwrap().to_string(), |n| n.to_string())
        })
        .collect();
    match dims.as_slice() {
        [] => None,
        [r] => Some(format!("shape {r}×1")),
        [r, c] => Some(format!("shape {r}×{c}")),
        _ => panic!("{shape}"),
    }
}

/// The graph of a program of matrices: every node with its shape, its value (a small matrix)
/// and its adjoint's, entry by entry as in the JSON backward pass; an edge per use.
#[test]
fn matrix_graph_has_shapes_and_the_backprop_values() {
    let file = "examples/hw7_matrix.chain";
    let (nodes, edges) = parse(&ok(&["graph", file]));
    let j = common::json(&["backprop", file, "--format", "json"]);
    let mut names: Vec<String> = j["point"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    for f in j["forward"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        names.push(name.to_string());
        let n = &nodes[name];
        assert_eq!(entries(&n.lines["value"]), flat(&f["value"]), "{name}");
        assert_eq!(
            n.lines.get("shape").map(|s| s[0].clone()),
            shape_line(&f["shape"]),
            "{name}"
        );
    }
    assert_eq!(nodes.len(), names.len());
    for p in j["point"].as_array().unwrap() {
        let n = &nodes[p["name"].as_str().unwrap()];
        let written = p["value"].as_str().unwrap();
        let want: Vec<String> = written
            .split(|c: char| c.is_whitespace() || "[],".contains(c))
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect();
        assert_eq!(entries(&n.lines["value"]), want, "{written}");
    }
    for a in j["backward"].as_array().unwrap() {
        let name = a["name"].as_str().unwrap().trim_start_matches("δ_");
        let lines = &nodes[name].lines["adjoint"];
        assert!(lines[0].starts_with(&format!("δ_{name} = ")), "{lines:?}");
        assert_eq!(entries(lines), flat(&a["value"]), "δ_{name}");
    }
    for g in j["gradient"].as_array().unwrap() {
        let name = g["wrt"].as_str().unwrap();
        assert_eq!(nodes[name].role, "parameter");
        assert_eq!(
            nodes[name].lines["shape"][0],
            shape_line(&g["shape"]).unwrap()
        );
        assert_eq!(
            entries(&nodes[name].lines["adjoint"]),
            flat(&g["value"]),
            "∇_{name}"
        );
    }
    let mut got: Vec<(String, String)> = edges.keys().cloned().collect();
    got.sort();
    let mut want: Vec<(String, String)> = [
        ("W1", "Z1"),
        ("x", "Z1"),
        ("Z1", "H1"),
        ("W2", "Z2"),
        ("H1", "Z2"),
        ("Z2", "H2"),
        ("W3", "ŷ"),
        ("H2", "ŷ"),
        ("y", "E"),
        ("ŷ", "E"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(edges[&("W1".to_string(), "Z1".to_string())], "∂Z1/∂W1");
}

/// Without values (φ = vᵀ f(W g(x)), f and g unspecified): shapes, formulas and the adjoints'
/// formulas.
#[test]
fn phi_graph_has_symbolic_shapes_and_formulas() {
    let (nodes, edges) = parse(&ok(&["graph", "examples/hw7_phi.chain"]));
    assert_eq!(nodes["W"].lines["shape"], ["shape d3×d2"]);
    assert_eq!(nodes["x"].lines["shape"], ["shape d1×1"]);
    assert!(nodes.values().all(|n| !n.lines.contains_key("value")));
    assert_eq!(nodes["W"].role, "parameter");
    assert!(nodes["W"].lines["adjoint"][0].starts_with("δ_W = "));
    assert_eq!(edges.len(), 3);
}
