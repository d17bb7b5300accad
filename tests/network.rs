//! Programs of intermediates: forward and backward passes, chain-rule gradients, errors.
//! Snapshots of the three homework examples in text, LaTeX and JSON; numbers as numbers.

mod common;

use common::{chainrule, json, num, ok};
use serde_json::Value as Json;

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

/// The `(name, value)` pairs of a JSON table (`forward` or `backward`).
fn name_values(j: &Json, table: &str) -> Vec<(String, String)> {
    j[table]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let field = |k: &str| r[k].as_str().unwrap().to_string();
            (field("name"), field("value"))
        })
        .collect()
}

#[test]
fn homework_backprop_numbers() {
    let j = json(&["backprop", "examples/hw7_relu.chain", "--format", "json"]);
    let forward = name_values(&j, "forward");
    let want = [
        ("z1", "2"),
        ("x1", "2"),
        ("z2", "4"),
        ("x2", "4"),
        ("z3", "12"),
        ("ŷ", "12"),
        ("E", "4"),
    ];
    assert_eq!(forward.len(), want.len());
    for ((n, v), (wn, wv)) in forward.iter().zip(want) {
        assert_eq!((n.as_str(), v.as_str()), (wn, wv));
    }
    let backward = name_values(&j, "backward");
    let want_b = [
        ("δ_E", "1"),
        ("δ_ŷ", "4"),
        ("δ_z3", "4"),
        ("δ_x2", "12"),
        ("δ_z2", "12"),
        ("δ_x1", "24"),
        ("δ_z1", "24"),
        ("δ_w1", "24"),
        ("δ_w2", "24"),
        ("δ_w3", "16"),
    ];
    assert_eq!(backward.len(), want_b.len());
    for ((n, v), (wn, wv)) in backward.iter().zip(want_b) {
        assert_eq!((n.as_str(), v.as_str()), (wn, wv));
    }
    assert_eq!(j["gradient"]["w1"], "24");
    assert_eq!(j["gradient"]["w2"], "24");
    assert_eq!(j["gradient"]["w3"], "16");
    assert_eq!(j["arithmetic"], "exact");
    assert_eq!(j["backward"][4]["formula"], "δ_x2 · step(z2)");
}

#[test]
fn default_command_runs_backprop_on_a_file() {
    let a = ok(&["examples/hw7_relu.chain"]);
    let b = ok(&["backprop", "examples/hw7_relu.chain"]);
    assert_eq!(a, b);
    assert!(a.contains("∂E/∂w1 = δ_z1 · x  = 24"), "{a}");
}

#[test]
fn abstract_gradient_in_chain_rule_form() {
    let out = ok(&[
        "grad",
        "examples/hw7_abstract.chain",
        "--form",
        "intermediates",
    ]);
    assert!(
        out.contains("∂E/∂w1 = ∂_2 ℓ(y, ŷ) · w3 · σ'(z2) · w2 · σ'(z1) · x"),
        "{out}"
    );
    assert!(
        out.contains("∂E/∂w2 = ∂_2 ℓ(y, ŷ) · w3 · σ'(z2) · x1"),
        "{out}"
    );
    assert!(out.contains("∂E/∂w3 = ∂_2 ℓ(y, ŷ) · x2"), "{out}");
}

#[test]
fn sigmoid_gradient_agrees_with_expanded_derivative() {
    // The backward pass and direct differentiation of the expanded loss, at 200 bits.
    let j = json(&[
        "grad",
        "examples/hw7_sigmoid.chain",
        "--format",
        "json",
        "--precision",
        "200",
    ]);
    for g in j["gradient"].as_array().unwrap() {
        let param = g["param"].as_str().unwrap();
        let at = "w1=2,w2=2,w3=3,x=1,y=10";
        let d = json(&[
            "diff",
            g["expanded"].as_str().unwrap(),
            "--wrt",
            "nothing",
            "--format",
            "json",
        ]);
        assert_eq!(d["derivative"], "0");
        let e = json(&[
            "eval",
            g["expanded"].as_str().unwrap(),
            "--at",
            at,
            "--precision",
            "200",
            "--format",
            "json",
        ]);
        let (a, b) = (num(&g["value"]), num(&e["value"]));
        assert!((a - b).abs() <= 1e-15 * b.abs(), "{param}: {a} vs {b}");
    }
    // The same gradient by hand, in f64: the homework's back-propagation written out.
    let sig = |t: f64| 1.0 / (1.0 + (-t).exp());
    let (x, y, w1, w2, w3) = (1.0, 10.0, 2.0, 2.0, 3.0);
    let (s1, s2): (f64, f64) = (sig(w1 * x), sig(w2 * sig(w1 * x)));
    let d_yhat = -2.0 * (y - w3 * s2);
    let want = [
        d_yhat * w3 * s2 * (1.0 - s2) * w2 * s1 * (1.0 - s1) * x,
        d_yhat * w3 * s2 * (1.0 - s2) * s1,
        d_yhat * s2,
    ];
    let vals: Vec<f64> = j["gradient"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| num(&g["value"]))
        .collect();
    for (v, w) in vals.iter().zip(want) {
        assert!((v - w).abs() < 1e-12 * w.abs(), "{v} vs {w}");
    }
}

#[test]
fn shared_intermediate_sums_its_users() {
    // A residual connection: x1 is used by z2 and by x2, so δ_x1 has two terms.
    let src = "z1 = w1*x\nx1 = tanh(z1)\nz2 = w2*x1\nx2 = tanh(z2) + x1\nE = (y - x2)^2\nat x = 0.5, y = 1, w1 = 0.75, w2 = -1.5\nwrt w1, w2\n";
    let path = std::env::temp_dir().join("chainrule_residual.chain");
    std::fs::write(&path, src).unwrap();
    let p = path.to_str().unwrap();
    let j = json(&["backprop", p, "--format", "json"]);
    let dx1 = j["backward"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "δ_x1")
        .unwrap();
    assert_eq!(dx1["formula"], "δ_x2 + δ_z2 · w2");
    // The gradient equals direct differentiation of the expanded loss.
    let expanded = "(y - tanh(w2*tanh(w1*x)) - tanh(w1*x))^2";
    for w in ["w1", "w2"] {
        let d = json(&[
            "diff",
            expanded,
            "--wrt",
            w,
            "--at",
            "x=0.5,y=1,w1=0.75,w2=-1.5",
            "--format",
            "json",
        ]);
        let (a, b) = (num(&j["gradient"][w]), num(&d["value"]));
        assert!((a - b).abs() <= 1e-15 * b.abs().max(1.0), "{w}: {a} vs {b}");
    }
}

#[test]
fn kinks_are_flagged() {
    // At w1 = 0, z1 = 0 and so z2 = 0: relu'(0) is taken as 0 at both, and the output says so.
    let out = ok(&["backprop", "examples/hw7_relu.chain", "--at", "w1=0"]);
    assert!(out.contains("z1 = 0 here, a kink"), "{out}");
    assert!(out.contains("z2 = 0 here, a kink"), "{out}");
    let j = json(&[
        "backprop",
        "examples/hw7_relu.chain",
        "--at",
        "w1=0",
        "--format",
        "json",
    ]);
    assert_eq!(j["gradient"]["w1"], "0");
    assert_eq!(j["kinks"].as_array().unwrap().len(), 2);
    // Away from kinks, no note.
    let j = json(&["backprop", "examples/hw7_relu.chain", "--format", "json"]);
    assert!(j["kinks"].as_array().unwrap().is_empty());
}

#[test]
fn explain_lists_the_path() {
    let out = ok(&["explain", "examples/hw7_relu.chain", "--wrt", "w2"]);
    assert!(
        out.contains("∂E/∂w2 = ∂E/∂ŷ · ∂ŷ/∂z3 · ∂z3/∂x2 · ∂x2/∂z2 · ∂z2/∂w2"),
        "{out}"
    );
    assert!(out.contains("∂E/∂w2 = 24"), "{out}");
}

#[test]
fn snapshots_of_the_examples() {
    for file in ["hw7_relu", "hw7_sigmoid", "hw7_abstract"] {
        let path = format!("examples/{file}.chain");
        for (fmt, ext) in [("text", "txt"), ("latex", "tex"), ("json", "json")] {
            let _ = ext;
            if file != "hw7_abstract" {
                let out = ok(&["backprop", &path, "--format", fmt]);
                settings().bind(|| insta::assert_snapshot!(format!("backprop_{file}_{fmt}"), out));
            }
            let out = ok(&["grad", &path, "--format", fmt]);
            settings().bind(|| insta::assert_snapshot!(format!("grad_{file}_{fmt}"), out));
            let out = ok(&["explain", &path, "--wrt", "w1", "--format", fmt]);
            settings().bind(|| insta::assert_snapshot!(format!("explain_{file}_{fmt}"), out));
        }
    }
}

#[test]
fn program_errors_point_into_the_file() {
    let cases = [
        ("z = x\nz = y\n", "`z` is defined twice"),
        ("a = b + 1\nb = 2*x\n", "`b` is used before it is defined"),
        ("a = a + 1\n", "`a` is defined in terms of itself"),
        ("z = sigmiod(x)\n", "unknown function `sigmiod`"),
        ("z = x\nat z = 1\n", "`z` is an intermediate"),
        ("# nothing\n", "defines nothing"),
        (
            "relu(t) = t\nz = relu(x)\n",
            "built-in function and cannot be redefined",
        ),
        (
            "fn f(t)\nz = f(x, y)\n",
            "`f` takes 1 argument, but 2 were given",
        ),
    ];
    for (i, (src, want)) in cases.iter().enumerate() {
        let path = std::env::temp_dir().join(format!("chainrule_bad_{i}.chain"));
        std::fs::write(&path, src).unwrap();
        let (code, out, err) = chainrule(&["backprop", path.to_str().unwrap()]);
        assert_eq!(code, 2, "{src:?}: {out}{err}");
        assert!(err.contains(want), "{src:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn explain_sums_over_every_path() {
    // x1 reaches E through z2 and directly through x2: two paths from E down to w1.
    let src = "z1 = w1*x\nx1 = tanh(z1)\nz2 = w2*x1\nx2 = tanh(z2) + x1\nE = (y - x2)^2\nat x = 0.5, y = 1, w1 = 0.75, w2 = -1.5\n";
    let path = std::env::temp_dir().join("chainrule_residual_explain.chain");
    std::fs::write(&path, src).unwrap();
    let j = json(&[
        "explain",
        path.to_str().unwrap(),
        "--wrt",
        "w1",
        "--format",
        "json",
    ]);
    let paths: Vec<&str> = j["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["leibniz"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "∂E/∂x2 · ∂x2/∂z2 · ∂z2/∂x1 · ∂x1/∂z1 · ∂z1/∂w1",
            "∂E/∂x2 · ∂x2/∂x1 · ∂x1/∂z1 · ∂z1/∂w1",
        ]
    );
    let g = json(&["backprop", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(j["value"], g["gradient"]["w1"]);
}

/// `z1 = w1*x; x1 = sigmoid(z1); …; E = (y - xN)^2` with every weight 1/2, in a file.
fn deep_chain(n: usize) -> std::path::PathBuf {
    let mut src = String::new();
    let mut prev = "x".to_string();
    for i in 1..=n {
        src.push_str(&format!("z{i} = w{i}*{prev}\nx{i} = sigmoid(z{i})\n"));
        prev = format!("x{i}");
    }
    src.push_str(&format!("E = (y - {prev})^2\nat x = 1, y = 1"));
    for i in 1..=n {
        src.push_str(&format!(", w{i} = 1/2"));
    }
    let path = std::env::temp_dir().join(format!("chainrule_deep{n}.chain"));
    std::fs::write(&path, src).unwrap();
    path
}

#[test]
fn deep_networks_get_linear_forms_or_a_clear_limit() {
    // 400 sigmoid layers: backprop is linear and works; the written-out chain-rule forms of
    // the whole gradient are quadratic, so grad says so and points to backprop.
    let n = 400;
    let path = deep_chain(n);
    let p = path.to_str().unwrap();
    let j = json(&["backprop", p, "--format", "json"]);
    assert_eq!(j["forward"].as_array().unwrap().len(), 2 * n + 1);
    let (code, _, err) = chainrule(&["grad", p]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("use `chainrule backprop`"), "{err}");
    // One partial derivative along 800 factors is fine to explain.
    let out = ok(&["explain", p, "--wrt", "w1"]);
    assert!(out.contains("∂z1/∂w1"), "{out}");
    // 2600 layers: ∂E/∂w1 runs through 5201 local derivatives, over explain's limit.
    let path = deep_chain(2600);
    let (code, _, err) = chainrule(&["explain", path.to_str().unwrap(), "--wrt", "w1"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("5201 local derivatives"), "{err}");
}

#[test]
fn data_inputs_are_not_parameters() {
    // Without `wrt`, every input is a parameter; `--data` takes some out.
    let src = "z = w*x + b\nE = (y - sigmoid(z))^2\nat x = 1, y = 0, w = 0.5, b = 0\n";
    let path = std::env::temp_dir().join("chainrule_data.chain");
    std::fs::write(&path, src).unwrap();
    let p = path.to_str().unwrap();
    let all = json(&["backprop", p, "--format", "json"]);
    let names =
        |j: &Json| -> Vec<String> { j["gradient"].as_object().unwrap().keys().cloned().collect() };
    assert_eq!(names(&all), ["b", "w", "x", "y"]);
    let some = json(&["backprop", p, "--data", "x,y", "--format", "json"]);
    assert_eq!(names(&some), ["b", "w"]);
    assert_eq!(some["gradient"]["w"], all["gradient"]["w"]);
    let (code, _, err) = chainrule(&["backprop", p, "--data", "q"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`q` is not an input of `E`"), "{err}");
}
