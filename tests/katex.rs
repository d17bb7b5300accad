//! Every LaTeX string chainrule prints must render in KaTeX, strictly: the derivative table,
//! `diff --format latex`, and the backprop, grad and explain reports of the examples.
//!
//! Needs Node.js; the `katex` package is installed into tests/katex/node_modules with `npm ci`
//! on first use (`.ci/run` does it up front). Without Node the test fails under CI and is
//! skipped, loudly, elsewhere.

#[path = "common/cases.rs"]
mod cases;
#[path = "common/documents.rs"]
mod documents;

use chainrule::diff::diff;
use chainrule::eval::Mode;
use chainrule::expr::Store;
use chainrule::network;
use chainrule::print::latex;
use chainrule::report::{self, Form, Numbers, Style};
use chainrule::syntax::read_expr;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn all_latex() -> Vec<String> {
    let mut out = Vec::new();
    for (expr, wrt, _) in cases::DERIVATIVES {
        let mut store = Store::new();
        let (e, _) = read_expr(&mut store, expr, "<case>").unwrap();
        let v = store.intern(wrt);
        let d = diff(&mut store, e, v);
        out.push(latex(&store, e));
        out.push(latex(&store, d));
    }
    // The CLI's LaTeX for diff and eval, with and without values.
    let cli = |args: &[&str]| -> String {
        let mut full = vec!["chainrule"];
        full.extend_from_slice(args);
        let parsed = <chainrule::cli::Cli as clap::Parser>::try_parse_from(full).unwrap();
        chainrule::cli::run(parsed).unwrap().text().unwrap()
    };
    out.push(cli(&[
        "diff",
        "(y - w*x)^2",
        "--wrt",
        "w",
        "--at",
        "w=2,x=1,y=10",
        "--format",
        "latex",
    ]));
    out.push(cli(&[
        "diff",
        "sigmoid(x)",
        "--wrt",
        "x",
        "--at",
        "x=1",
        "--format",
        "latex",
    ]));
    out.push(cli(&[
        "diff", "x^3", "--wrt", "x", "--order", "2", "--format", "latex",
    ]));
    // check: a wrong claim (stand-ins, a point, two values) and a right one.
    out.push(cli(&[
        "check",
        "examples/hw7_abstract.chain",
        "--wrt",
        "w2",
        "--claim",
        "∂_2 ℓ(y, ŷ) · w3 · σ'(x2) · x1",
        "--format",
        "latex",
    ]));
    out.push(cli(&[
        "check",
        "examples/hw7_relu.chain",
        "--wrt",
        "z1",
        "--claim",
        "δ_x1 * step(z1)",
        "--format",
        "latex",
    ]));
    out.push(cli(&["eval", "exp(-30)", "--format", "latex"]));
    out.push(cli(&["eval", "1/3", "--format", "latex"]));
    let numbers = Numbers {
        mode: Mode::Auto(128),
        digits: 20,
    };
    for file in ["hw7_relu", "hw7_sigmoid", "hw7_abstract"] {
        let path = format!("examples/{file}.chain");
        let src = std::fs::read_to_string(&path).unwrap();
        let mut net = network::load(&src, &path, None).unwrap();
        let point = net.point.clone();
        let has_point = !point.is_empty();
        if has_point {
            out.push(report::backprop(&mut net, &point, numbers, Style::Latex).unwrap());
        }
        let p = has_point.then_some(&point);
        out.push(report::grad(&mut net, p, numbers, Form::Both, Style::Latex).unwrap());
        let w = net.store.lookup("w1").unwrap();
        out.push(report::explain(&mut net, w, p, numbers, Style::Latex).unwrap());
        let x = net.store.lookup("x").unwrap();
        out.push(report::explain(&mut net, x, p, numbers, Style::Latex).unwrap());
    }
    out
}

fn ensure_katex(dir: &Path) -> bool {
    if dir.join("node_modules/katex").exists() {
        return true;
    }
    let ok = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--silent"])
        .current_dir(dir)
        .status()
        .is_ok_and(|s| s.success());
    ok && dir.join("node_modules/katex").exists()
}

/// Renders each item in KaTeX, strictly; the errors, or `None` when Node.js or KaTeX is
/// missing outside CI (the test is then skipped, loudly).
fn katex_errors(test: &str, items: &[String]) -> Option<Vec<serde_json::Value>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/katex");
    let have_node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_node || !ensure_katex(&dir) {
        let msg = "Node.js and the katex npm package are needed to check LaTeX (apt-get install nodejs npm)";
        if std::env::var_os("CI").is_some() {
            panic!("{msg}");
        }
        eprintln!("SKIPPED {test}: {msg}");
        return None;
    }
    let mut child = Command::new("node")
        .arg(dir.join("check.js"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&items).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "node failed");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = report["errors"].as_array().unwrap().clone();
    assert_eq!(
        report["ok"].as_u64().unwrap() as usize + errors.len(),
        items.len()
    );
    Some(errors)
}

#[test]
fn every_latex_output_renders_in_katex() {
    let items = all_latex();
    assert!(items.len() > 100);
    let Some(errors) = katex_errors("every_latex_output_renders_in_katex", &items) else {
        return;
    };
    assert!(
        errors.is_empty(),
        "KaTeX errors:\n{}",
        serde_json::to_string_pretty(&errors).unwrap()
    );
}

/// The LaTeX of vectors and matrices: every identity of the matrix table (its snapshot keeps
/// each derivative's LaTeX on a line `  $ …`), `diff` and `eval` with matrix values
/// (`\begin{bmatrix}`), and the reports of the two matrix examples.
fn matrix_latex() -> Vec<String> {
    let snap = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/matrix_identities.snap"),
    )
    .unwrap();
    let mut out: Vec<String> = snap
        .lines()
        .filter_map(|l| l.strip_prefix("  $ "))
        .map(String::from)
        .collect();
    assert!(out.len() >= 55, "{} identities", out.len());
    let cli = |args: &[&str]| -> String {
        let mut full = vec!["chainrule"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["--format", "latex"]);
        let parsed = <chainrule::cli::Cli as clap::Parser>::try_parse_from(&full).unwrap();
        match chainrule::cli::run(parsed) {
            Ok(mut o) => o.text().unwrap(),
            Err(e) => panic!("{full:?}: {e:?}"),
        }
    };
    let at = "A=[[1,2],[3,4]],X=[[2,1],[1,3]],x=[1,2],b=[1,1],y=[0,1],c=3";
    for (expr, wrt) in [
        ("x'*A*x", "x"),
        ("x'*A*x", "A"),
        ("log(det(X))", "X"),
        ("det(X)", "X"),
        ("tr(A*X'*X)", "X"),
        ("norm2(A*x-b)^2", "x"),
        ("norm2(x)", "x"),
        ("norm1(x)", "x"),
        ("x.^2", "x"),
        ("x./(1 + exp(-x))", "x"),
        ("A*x", "x"),
        ("softmax(A*x)", "x"),
        ("-y'*log(softmax(A*x))", "A"),
        ("logsumexp(A*x)", "x"),
        ("sum(inv(X)*x)", "x"),
        ("x'*inv(X)*x", "X"),
        ("sum(diag(x)*A*x)", "x"),
        ("sum(diag(X))", "X"),
        ("c*x", "c"),
    ] {
        out.push(cli(&["diff", expr, "--wrt", wrt, "--at", at]));
        out.push(cli(&["diff", expr, "--wrt", wrt]));
    }
    for expr in ["inv(X)", "X'", "x*x'", "x'*x", "softmax(x)", "exp(A/7)"] {
        out.push(cli(&["eval", expr, "--at", at]));
    }
    for file in ["hw7_matrix", "hw7_phi"] {
        let path = format!("examples/{file}.chain");
        out.push(cli(&["backprop", &path]));
        for form in ["intermediates", "expanded", "both"] {
            out.push(cli(&["grad", &path, "--form", form]));
        }
    }
    out
}

#[test]
fn every_matrix_latex_output_renders_in_katex() {
    let items = matrix_latex();
    let text = items.concat();
    for needed in [
        "^{\\top}",
        "\\odot",
        "\\oslash",
        "^{\\circ 2}",
        "\\operatorname{diag}",
        "\\nabla f",
        "\\begin{bmatrix}",
        "^{-\\top}",
        "\\left\\lVert",
        "\\right\\rVert_2",
    ] {
        assert!(text.contains(needed), "no {needed} in the matrix LaTeX");
    }
    let Some(errors) = katex_errors("every_matrix_latex_output_renders_in_katex", &items) else {
        return;
    };
    assert!(
        errors.is_empty(),
        "KaTeX errors:\n{}",
        serde_json::to_string_pretty(&errors).unwrap()
    );
}

/// Random names (ASCII, underscores, digits, Greek, combining marks), seeded: a few xorshift
/// draws per name, always a letter first.
fn random_names(seed: u64, count: usize) -> Vec<String> {
    const FIRST: &[char] = &[
        'x', 'y', 'w', 'a', 'b', 'e', 'Z', 'α', 'β', 'δ', 'σ', 'ω', 'Δ', 'ℓ', 'ŷ',
    ];
    const MORE: &[char] = &[
        'x', 'y', 'h', 'a', 't', '1', '2', '0', '_', '_', 'α', 'β', 'ω', 'ϵ', 'Ω', '\u{302}',
        '\u{304}', '\u{301}', '\u{308}', '\u{303}', '\u{351}',
    ];
    let mut state = seed.max(1);
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    (0..count)
        .map(|_| {
            let mut s = String::new();
            s.push(FIRST[next(FIRST.len())]);
            for _ in 0..next(6) {
                s.push(MORE[next(MORE.len())]);
            }
            s
        })
        .collect()
}

/// Every name has a LaTeX form KaTeX accepts, and distinct names in one output print
/// differently (`x_ + x` printed both as `x`; `x__`, `αβ`, `ωx`, `ŷ̂` did not render).
#[test]
fn every_name_renders_in_katex_and_distinct_names_print_differently() {
    use chainrule::print::{latex_name, with_names_in_play};
    use chainrule::syntax::{is_name, normalize_name};
    let mut names: Vec<String> = [
        "x_",
        "x",
        "x__",
        "αβ",
        "ωx",
        "ŷ\u{302}",
        "w1",
        "w_1",
        "yhat",
        "ŷ",
        "y_hat",
        "alpha",
        "α",
        "Delta2",
        "Δ_2",
        "x_y1",
        "x_y_1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    names.extend(random_names(0x5eed, 600));
    let names: Vec<String> = names
        .iter()
        .map(|n| normalize_name(n))
        .filter(|n| is_name(n))
        .filter(|n| {
            // Not a built-in function's name.
            let mut store = Store::new();
            read_expr(&mut store, &format!("{n} + 1"), "<name>").is_ok()
        })
        .collect();
    assert!(names.len() > 400, "{}", names.len());
    let cli = |args: &[&str]| -> String {
        let mut full = vec!["chainrule"];
        full.extend_from_slice(args);
        let parsed = <chainrule::cli::Cli as clap::Parser>::try_parse_from(full).unwrap();
        chainrule::cli::run(parsed).unwrap().text().unwrap()
    };
    let mut items = Vec::new();
    let mut same = Vec::new();
    for pair in names.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a == b {
            continue;
        }
        let expr = format!("{a}^2 + 3*{b}*{a}");
        let out = cli(&["diff", &expr, "--wrt", a, "--format", "latex"]);
        let (ta, tb) = with_names_in_play(&[a, b], || (latex_name(a), latex_name(b)));
        if ta == tb || !out.contains(&ta) || !out.contains(&tb) {
            same.push(format!("{a} → {ta}, {b} → {tb}: {out}"));
        }
        items.push(out);
    }
    assert!(same.is_empty(), "names printed alike:\n{}", same.join("\n"));
    let Some(errors) = katex_errors("every_name_renders_in_katex", &items) else {
        return;
    };
    assert!(
        errors.is_empty(),
        "KaTeX errors:\n{}",
        serde_json::to_string_pretty(&errors).unwrap()
    );
}

/// Every LaTeX document (the sheets of the examples, each report with `--standalone`): its
/// displays and the math of its headings and notes still render.
#[test]
fn every_latex_document_renders_in_katex() {
    let mut items = Vec::new();
    for (what, doc) in documents::documents() {
        let math = documents::math_of(&doc);
        assert!(!math.is_empty(), "{what}: no math");
        items.extend(math);
    }
    assert!(items.len() > 50, "{} pieces of math", items.len());
    let Some(errors) = katex_errors("every_latex_document_renders_in_katex", &items) else {
        return;
    };
    assert!(
        errors.is_empty(),
        "KaTeX errors:\n{}",
        serde_json::to_string_pretty(&errors).unwrap()
    );
}
