//! Every LaTeX string chainrule prints must render in KaTeX, strictly: the derivative table,
//! `diff --format latex`, and the backprop, grad and explain reports of the examples.
//!
//! Needs Node.js; the `katex` package is installed into tests/katex/node_modules with `npm ci`
//! on first use (`.ci/run` does it up front). Without Node the test fails under CI and is
//! skipped, loudly, elsewhere.

#[path = "common/cases.rs"]
mod cases;

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
        chainrule::cli::run(parsed).unwrap().stdout
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

#[test]
fn every_latex_output_renders_in_katex() {
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
        eprintln!("SKIPPED every_latex_output_renders_in_katex: {msg}");
        return;
    }
    let items = all_latex();
    assert!(items.len() > 100);
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
    let errors = report["errors"].as_array().unwrap();
    assert!(
        errors.is_empty(),
        "KaTeX errors:\n{}",
        serde_json::to_string_pretty(errors).unwrap()
    );
    assert_eq!(report["ok"].as_u64().unwrap() as usize, items.len());
}
