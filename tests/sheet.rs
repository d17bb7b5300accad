//! `chainrule sheet`: the page is well-formed, its math MathML Core, its graph the backward
//! pass's (every node and edge, values as in the JSON report), its numbers the reports';
//! snapshots of the page (normalised) and of the LaTeX documents. The page in a real browser
//! is tests/browser.rs.

mod common;
#[path = "common/documents.rs"]
mod documents;

use common::graph_svg::check_svg_against_backprop;
use common::{chainrule as run, json, num, ok, snapshot_settings};

use documents::EXAMPLES;

/// The elements of MathML Core.
const MATHML_CORE: &[&str] = &[
    "math",
    "semantics",
    "annotation",
    "annotation-xml",
    "mi",
    "mn",
    "mo",
    "mtext",
    "mspace",
    "ms",
    "mrow",
    "mfrac",
    "msqrt",
    "mroot",
    "mstyle",
    "merror",
    "mpadded",
    "mphantom",
    "msub",
    "msup",
    "msubsup",
    "munder",
    "mover",
    "munderover",
    "mmultiscripts",
    "mprescripts",
    "none",
    "mtable",
    "mtr",
    "mtd",
];

fn sheet(name: &str) -> String {
    ok(&["sheet", &format!("examples/{name}.chain")])
}

/// The `<svg>…</svg>` elements of a page, as text.
fn svgs(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<svg") {
        let end = rest[at..].find("</svg>").expect("closed") + at + "</svg>".len();
        out.push(&rest[at..end]);
        rest = &rest[end..];
    }
    out
}

#[test]
fn every_page_is_well_formed_offline_and_its_math_is_mathml_core() {
    for name in EXAMPLES {
        let html = sheet(name);
        // Polyglot: the page parses as XML too, so no tag is left open or misnested.
        let doc = roxmltree::Document::parse_with_options(
            &html,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{name}: the page is not well-formed: {e}"));
        let maths: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("math"))
            .collect();
        assert!(maths.len() > 2, "{name}: {} formulas", maths.len());
        for m in &maths {
            for e in m.descendants().filter(|n| n.is_element()) {
                let tag = e.tag_name().name();
                assert!(MATHML_CORE.contains(&tag), "{name}: <{tag}> in MathML");
                assert_ne!(tag, "merror", "{name}: an error in the MathML");
            }
        }
        // Nothing loaded from elsewhere, nothing run.
        for e in doc.descendants().filter(|n| n.is_element()) {
            assert_ne!(e.tag_name().name(), "script", "{name}: a script");
            assert_ne!(e.tag_name().name(), "link", "{name}: a link");
            for a in ["href", "src"] {
                if let Some(v) = e.attribute(a) {
                    assert!(v.starts_with('#'), "{name}: {a}={v}");
                }
            }
        }
        // The sections, in the order.
        let ids: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("section"))
            .map(|n| n.attribute("id").unwrap())
            .collect();
        let want: &[&str] = match name {
            "hw7_matrix" => &[
                "program",
                "graph",
                "forward",
                "backward",
                "gradient-values",
                "gradient",
                "explain",
                "fd",
            ],
            "hw7_phi" => &["program", "graph", "forward", "gradient", "explain", "fd"],
            _ => &[
                "program", "graph", "forward", "backward", "gradient", "explain", "fd",
            ],
        };
        assert_eq!(ids, want, "{name}");
        // The program as written.
        let src = std::fs::read_to_string(format!("examples/{name}.chain")).unwrap();
        let pre = doc
            .descendants()
            .find(|n| n.attribute("class") == Some("source"))
            .unwrap();
        assert_eq!(pre.text().unwrap(), src.trim_end(), "{name}");
    }
}

#[test]
fn the_graph_on_the_page_is_the_backward_pass() {
    for name in ["hw7_relu", "hw7_sigmoid"] {
        let file = format!("examples/{name}.chain");
        let html = sheet(name);
        let svgs = svgs(&html);
        assert_eq!(svgs.len(), 2, "{name}: the graph and the sweep");
        check_svg_against_backprop(svgs[0], &file);
        assert!(svgs[1].contains("step size"), "{name}: the sweep's plot");
    }
    // The picture is the one `chainrule graph` draws, for every example (its own tests check
    // the matrices and shapes of hw7_matrix and hw7_phi).
    for name in EXAMPLES {
        let file = format!("examples/{name}.chain");
        let html = sheet(name);
        assert_eq!(svgs(&html)[0], ok(&["graph", &file]).trim_end(), "{name}");
    }
    let (nodes, edges) = common::graph_svg::parse(svgs(&sheet("hw7_matrix"))[0]);
    assert_eq!((nodes.len(), edges.len()), (11, 10));
    assert_eq!(nodes["W1"].lines["shape"], ["shape 4×3"]);
    // The abstract program has a graph of formulas and no sweep.
    let html = sheet("hw7_abstract");
    let svgs = svgs(&html);
    assert_eq!(svgs.len(), 1);
    let (nodes, edges) = common::graph_svg::parse(svgs[0]);
    assert_eq!((nodes.len(), edges.len()), (12, 11));
    assert!(html.contains("no point"), "says why there are no values");
}

/// The numbers on the page are the reports': the gradient of the JSON backward pass in the
/// MathML, the quotients of `fd --format json` in the check's table.
#[test]
fn the_numbers_on_the_page_are_the_reports() {
    let html = sheet("hw7_relu");
    let j = json(&["backprop", "examples/hw7_relu.chain", "--format", "json"]);
    for (w, v) in j["gradient"].as_object().unwrap() {
        let v = num(v);
        assert_eq!(v.fract(), 0.0);
        // `\frac{\partial E}{\partial w_{1}} &= \delta_{z_{1}} \cdot x = 24`, as MathML.
        assert!(
            html.contains(&format!("<mo>=</mo><mn>{v}</mn>")),
            "{w} = {v}"
        );
    }
    for f in j["forward"].as_array().unwrap() {
        let v = num(&f["value"]);
        assert!(html.contains(&format!("<mn>{v}</mn>")), "{}", f["name"]);
    }
    let fd = json(&["fd", "examples/hw7_relu.chain", "--format", "json"]);
    let text = fd.to_string();
    let mut quotients = 0;
    for p in fd["rows"].as_array().expect(&text) {
        for scheme in ["forward", "backward", "central"] {
            let q = p[scheme].as_str().expect(&text);
            assert!(html.contains(q), "{q} of {}", p["param"]);
            quotients += 1;
        }
    }
    assert_eq!(quotients, 9);
    // Matrices as matrices, with the values of the JSON report.
    let html = sheet("hw7_matrix");
    assert!(html.contains("<mtable class=\"menv-arraylike"), "matrices");
    let j = json(&["backprop", "examples/hw7_matrix.chain", "--format", "json"]);
    assert_eq!(
        num(&j["forward"].as_array().unwrap().last().unwrap()["value"]),
        16.0
    );
    assert!(html.contains("<mo>=</mo><mn>16</mn>"));
}

/// The page with its pictures reduced to their titles, one tag a line where it helps to read
/// a diff: what the snapshots keep.
fn normalised(html: &str) -> String {
    let mut out = html.to_string();
    for svg in svgs(html) {
        // Its title, or a plot's first text.
        let title = svg
            .split_once("<title>")
            .and_then(|(_, r)| r.split_once("</title>"))
            .or_else(|| {
                svg.split_once("<text")
                    .and_then(|(_, r)| r.split_once('>'))
                    .and_then(|(_, r)| r.split_once("</text>"))
            })
            .map_or("untitled", |(t, _)| t);
        let nodes = svg.matches("class=\"node\"").count();
        let edges = svg.matches("class=\"edge\"").count();
        out = out.replacen(
            svg,
            &format!("<svg><!-- {title}: {nodes} nodes, {edges} edges --></svg>"),
            1,
        );
    }
    out.replace("<math", "\n<math")
}

#[test]
fn sheet_snapshots() {
    let settings = snapshot_settings();
    for name in EXAMPLES {
        let html = normalised(&sheet(name));
        let tex = ok(&[
            "sheet",
            &format!("examples/{name}.chain"),
            "--format",
            "latex",
        ]);
        settings.bind(|| {
            insta::assert_snapshot!(format!("sheet_{name}_html"), html);
            insta::assert_snapshot!(format!("sheet_{name}_latex"), tex);
        });
    }
    let standalone = ok(&[
        "backprop",
        "examples/hw7_relu.chain",
        "--format",
        "latex",
        "--standalone",
    ]);
    settings.bind(|| insta::assert_snapshot!("standalone_backprop_hw7_relu", standalone));
    // Every other report as a document, one after another.
    let all: Vec<String> = documents::documents()
        .into_iter()
        .filter(|(what, _)| !what.starts_with("sheet "))
        .map(|(what, doc)| format!("=== chainrule {what}\n{doc}"))
        .collect();
    settings.bind(|| insta::assert_snapshot!("standalone_reports", all.join("\n")));
}

#[test]
fn every_latex_document_is_complete_ascii_and_uses_amsmath_only() {
    for (what, doc) in documents::documents() {
        assert!(doc.starts_with("\\documentclass{article}\n"), "{what}");
        let packages: Vec<&str> = doc
            .lines()
            .filter(|l| l.starts_with("\\usepackage"))
            .collect();
        assert_eq!(
            packages,
            ["\\usepackage{amsmath}", "\\usepackage{amssymb}"],
            "{what}"
        );
        assert_eq!(doc.matches("\\begin{document}").count(), 1, "{what}");
        assert!(doc.ends_with("\\end{document}\n"), "{what}");
        let lines = |l: &str| doc.lines().filter(|x| *x == l).count();
        assert_eq!(lines("\\["), lines("\\]"), "{what}");
        // No `%` comment is left as a heading; ASCII, so pdflatex needs no Unicode font.
        assert!(
            !doc.lines().any(|l| l.starts_with('%')),
            "{what}: a % line:\n{doc}"
        );
        assert!(doc.is_ascii(), "{what}: not ASCII:\n{doc}");
    }
    let (_, relu) = documents::documents()
        .into_iter()
        .find(|(w, _)| w.starts_with("backprop examples/hw7_relu"))
        .unwrap();
    assert!(relu.contains("\\section{Forward pass at $w_{1} = 2, \\; w_{2} = 2"));
    assert!(relu.contains("\\section{Backward pass: $\\delta_v = \\partial E / \\partial v$}"));
}

/// `-o` writes the same page, through the files module (never over the program).
#[test]
fn sheet_writes_its_file() {
    let dir = common::scratch_dir("sheet", &[]);
    let path = dir.join("relu.html");
    let (code, out, err) = run(&[
        "sheet",
        "examples/hw7_relu.chain",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("wrote"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), sheet("hw7_relu"));
    let (code, _, err) = run(&[
        "sheet",
        "examples/hw7_relu.chain",
        "--format",
        "latex",
        "-o",
        dir.join("relu.tex").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        std::fs::read_to_string(dir.join("relu.tex"))
            .unwrap()
            .contains("\\section{The program}")
    );
}

/// `--at` gives the sheet its point, as for the other commands: every section is at it.
#[test]
fn the_point_of_the_command_line_is_the_sheets() {
    let file = "examples/hw7_relu.chain";
    let html = ok(&["sheet", file, "--at", "w1=1"]);
    let j = json(&["backprop", file, "--at", "w1=1", "--format", "json"]);
    let want: Vec<(String, f64)> = j["gradient"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(w, v)| (w.clone(), num(v)))
        .collect();
    assert_eq!(
        want,
        [
            ("w1".to_string(), -48.0),
            ("w2".to_string(), -24.0),
            ("w3".to_string(), -16.0)
        ]
    );
    for (w, v) in want {
        // `= -48` in MathML: the sign, then the number.
        let abs = v.abs();
        assert!(
            html.contains(&format!("<mo>=</mo><mo>−</mo><mn>{abs}</mn>"))
                || html.contains(&format!("<mo>=</mo><mi>−</mi><mn>{abs}</mn>")),
            "∂E/∂{w} = {v}"
        );
    }
    assert!(html.contains("E at w1 = 1, w2 = 2"), "the graph's title");
    assert!(
        html.contains("Finite differences of E at w1 = 1"),
        "the check's table"
    );
}

/// The finite differences are computed in IEEE double and at shifted points, so they can
/// leave the domain where the backward pass does not: `log(w)` at w = 0.05 is fine, but the
/// sweep's largest step Δ = 1e-1 evaluates log(-0.05); logistic regression at w1 = 40 has
/// p = 1 in double, so log(1 - p) fails at the point itself. The sheet failed whole (exit 1,
/// no page); now it has every other section and says there why the check is missing.
#[test]
fn finite_differences_that_leave_the_domain_are_a_note_not_a_failed_sheet() {
    let dir = common::scratch_dir(
        "sheet-domain",
        &[("lg.chain", "E = log(w)*x\nat w = 0.05, x = 2\nwrt w\n")],
    );
    let lg = dir.join("lg.chain");
    let lg = lg.to_str().unwrap();
    let html = ok(&["sheet", lg]);
    // The check at Δ = 1e-4 is there, with its quotients (fd's own); the sweep is a note.
    let fd = json(&["fd", lg, "--format", "json"]);
    let central = fd["rows"][0]["central"].as_str().unwrap().to_string();
    assert!(html.contains(&central), "{central}");
    assert!(html.contains("leaves the domain"), "the sweep's note");
    assert!(html.contains("log of a non-positive number in log(w)"));
    let tex = ok(&["sheet", lg, "--format", "latex"]);
    assert!(tex.is_ascii());
    assert!(tex.contains("at w - Delta, Delta = 1e-1, in f64"), "{tex}");
    assert!(tex.contains("--deltas FROM:TO:COUNT"));

    // The point itself out of the domain in double: the gradient is still on the page, in
    // MPFR as the JSON report has it (-6.3377998023733788e-18 to 17 digits).
    let logistic = "examples/logistic.chain";
    let j = json(&["backprop", logistic, "--at", "w1=40", "--format", "json"]);
    assert!(
        j["gradient"]["w1"]
            .as_str()
            .unwrap()
            .starts_with("-6.3377998023733788")
    );
    for format in ["html", "latex"] {
        let page = ok(&["sheet", logistic, "--at", "w1=40", "--format", format]);
        assert!(page.contains("cannot be computed here"), "{format}");
        assert!(page.contains("Backward pass"), "{format}");
        assert!(
            page.contains("6.3378"),
            "the gradient, to the sheet's 6 digits: {format}"
        );
    }
}

/// The n-layer sigmoid chain as a program with its point.
fn chain_program(n: usize) -> String {
    let mut s = String::new();
    for k in 1..=n {
        s += &format!("z{k} = w{k}*x{}\nx{k} = sigmoid(z{k})\n", k - 1);
    }
    s += &format!("E = (y - x{n})^2\nat x0 = 1/2, y = 1");
    for k in 1..=n {
        s += &format!(", w{k} = {}/4", 1 + k % 7);
    }
    s + "\n"
}

/// The chain rule parameter by parameter grows with the square of the depth: the 200-layer
/// chain's would write 40 802 local derivatives (2(200 - k) + 3 for w_k, 401 for x0, 1 for
/// y), and the 1000-layer chain's sheet ran for minutes into a page of half a gigabyte. Past
/// the sheet's limit the section is a note that says what to run instead; the rest of the
/// sheet (the passes, the gradient, the checks) is there, and below the limit every
/// parameter has its derivation.
#[test]
fn the_chain_rule_section_of_a_deep_network_is_bounded() {
    let dir = common::scratch_dir(
        "sheet-deep",
        &[
            ("c200.chain", &chain_program(200)),
            ("c20.chain", &chain_program(20)),
        ],
    );
    let deep = dir.join("c200.chain");
    let html = ok(&["sheet", deep.to_str().unwrap()]);
    assert!(
        html.contains("the chain rule would take 40802 local derivatives in all"),
        "the note"
    );
    assert!(html.contains("--wrt NAME</code> writes one parameter"));
    assert!(html.contains("Backward pass") && html.contains("Finite differences"));

    let shallow = dir.join("c20.chain");
    let shallow = shallow.to_str().unwrap();
    let tex = ok(&["sheet", shallow, "--format", "latex"]);
    assert!(!tex.contains("local derivatives in all"));
    // Every parameter's derivation is there, as `explain` writes it at the sheet's digits.
    for w in ["w1", "w7", "w20", "x0", "y"] {
        let explain = ok(&[
            "explain", shallow, "--wrt", w, "--format", "latex", "--digits", "6",
        ]);
        assert!(tex.contains(explain.trim()), "{w}");
    }
}
