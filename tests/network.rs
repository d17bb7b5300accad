//! Programs of intermediates: forward and backward passes, chain-rule gradients, errors.
//! Snapshots of the three homework examples in text, LaTeX and JSON; numbers as numbers.

mod common;

use common::{chainrule, json, num, ok};
use serde_json::Value as Json;

fn settings() -> insta::Settings {
    common::snapshot_settings()
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
    let path =
        std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("chainrule_residual.chain");
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

/// A tie in `max` is one note, worded for max (it was 12 notes, both `u - v` and `v - u`, some
/// about relu in a program without relu); identical arguments are no kink (issue 9).
#[test]
fn one_note_per_tie_of_max() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule-ties-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kinks = |name: &str, src: &str| -> Vec<String> {
        let path = dir.join(name);
        std::fs::write(&path, src).unwrap();
        let j = json(&["backprop", path.to_str().unwrap(), "--format", "json"]);
        j["kinks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        kinks(
            "mm.chain",
            "u = x\nv = x\nw = 2*x-1\nm = max(u,v,w)\nE = m*y\nat x=1, y=3\n"
        ),
        [
            "a tie of u, v and w in max(u, v, w), a kink where the derivative does not exist; \
             convention: the derivative is shared equally among them"
        ]
    );
    assert_eq!(
        kinks("same.chain", "u = x\nv = x\nm = max(u, v)\nat x = 2\n"),
        [
            "a tie of u and v in max(u, v): they are the same function of the inputs, so this \
             is no kink; the derivative is shared equally between them"
        ]
    );
    // Two of three tied; relu and abs keep their own notes.
    assert_eq!(
        kinks(
            "mixed.chain",
            "a = min(x, 1, y)\nb = relu(x - 1) + abs(y - 1)\nE = a*b + a\nat x = 1, y = 2\n"
        ),
        [
            "a tie of x and 1 in min(x, 1, y), a kink where the derivative does not exist; \
             convention: the derivative is shared equally between them",
            "x - 1 = 0 here, a kink where the derivative does not exist; convention step(0) = 0: \
             relu'(0) is taken as 0",
        ]
    );
    // Away from the tie, none.
    assert!(kinks("away.chain", "u = x\nw = 2*x-1\nE = max(u, w)\nat x = 3\n").is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
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
    for file in ["hw7_relu", "hw7_sigmoid", "hw7_abstract", "logistic"] {
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
        let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("chainrule_bad_{i}.chain"));
        std::fs::write(&path, src).unwrap();
        let (code, out, err) = chainrule(&["backprop", path.to_str().unwrap()]);
        assert_eq!(code, 2, "{src:?}: {out}{err}");
        assert!(err.contains(want), "{src:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// A program of more than 4096 statements is loaded with each statement's names checked on
/// another thread, ahead of the loader (network/load.rs, `Prepared`): the errors are the
/// same, at the same places, and the first in the file is the one reported (a definition's
/// before a value given to an intermediate, which is found once every statement is read).
#[test]
fn a_large_programs_errors_are_the_same_and_first_in_the_file() {
    let filler = |from: usize, to: usize| -> String {
        (from..to).map(|k| format!("f{k} = {k}*x\n")).collect()
    };
    let cases = [
        (
            "a = b + 1\nb = 2*x\n",
            "`b` is used before it is defined",
            "1:5",
        ),
        ("a = a + 1\n", "`a` is defined in terms of itself", "1:5"),
        (
            "c = 2*x\nc = c + 1\nd = c + e\ne = x\n",
            "`e` is used before it is defined",
            "3:9",
        ),
    ];
    for (i, (snippet, want, at)) in cases.iter().enumerate() {
        // The snippet after 3000 statements, and after it a second mistake of each kind: the
        // first is reported.
        let src = format!(
            "{}{snippet}{}q = q + 1\nr = s\ns = x\nat f1 = 1\nE = f5999 + r\n",
            filler(0, 3000),
            filler(3000, 6000)
        );
        let p = program_file(&format!("large_bad_{i}.chain"), &src);
        let (code, out, err) = chainrule(&["backprop", &p]);
        assert_eq!(code, 2, "{snippet:?}: {out}{err}");
        assert!(err.contains(want), "{snippet:?}: {err}");
        let (line, col) = at.split_once(':').unwrap();
        let line: usize = line.parse::<usize>().unwrap() + 3000;
        assert!(
            err.contains(&format!("large_bad_{i}.chain:{line}:{col}]")),
            "{snippet:?}: {err}"
        );
    }
    // A value given to an intermediate: the first such name in the file.
    let src = format!(
        "{}z = 3*x\nat z = 1\n{}at f1 = 1\nE = f5999 + z\n",
        filler(0, 3000),
        filler(3000, 6000)
    );
    let p = program_file("large_bad_at.chain", &src);
    let (code, out, err) = chainrule(&["backprop", &p]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("`z` is an intermediate"), "{err}");
    assert!(err.contains("large_bad_at.chain:3002:4]"), "{err}");
    // Without a mistake, the same program loads, its rebound name's versions and all.
    let src = format!(
        "{}c = 2*x\nc = c + 1\n{}E = f5999 + c\nat x = 1/2\n",
        filler(0, 3000),
        filler(3000, 6000)
    );
    let p = program_file("large_good.chain", &src);
    let j = json(&["grad", &p, "--format", "json"]);
    assert_eq!(j["gradient"][0]["param"], "x", "{j}");
    assert_eq!(j["gradient"][0]["value"], "6001", "{j}");
    // A name written decomposed (`y` and a combining circumflex) is the composed `ŷ`, though
    // its text in the file is not the name's: the loader finds the names a formula uses by
    // their place in the file only where the text is the name. Small and large programs.
    for filler_to in [1, 6000] {
        let src = format!(
            "ŷ = w*x\n{}E = (y\u{302} - t)^2 + f0\nat w = 2, x = 3, t = 1\n",
            filler(0, filler_to)
        );
        let p = program_file(&format!("decomposed_{filler_to}.chain"), &src);
        let j = json(&["grad", &p, "--format", "json"]);
        let w = j["gradient"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["param"] == "w")
            .unwrap_or_else(|| panic!("{j}"));
        // dE/dw = 2(wx - t)·x = 2·5·3.
        assert_eq!(w["value"], "30", "{j}");
        // Cancelled, it must still be defined (`E = ŷ - ŷ + w` needs log(x)): no value at x = -1.
        let src = format!(
            "ŷ = log(x)\n{}E = y\u{302} - y\u{302} + w + f0\nat x = -1, w = 2\n",
            filler(0, filler_to)
        );
        let p = program_file(&format!("decomposed_cancelled_{filler_to}.chain"), &src);
        let (code, out, err) = chainrule(&["backprop", &p]);
        assert_eq!(code, 1, "{out}{err}");
        assert!(err.contains("log of a non-positive number"), "{err}");
    }
}

#[test]
fn explain_sums_over_every_path() {
    // x1 reaches E through z2 and directly through x2: two paths from E down to w1.
    let src = "z1 = w1*x\nx1 = tanh(z1)\nz2 = w2*x1\nx2 = tanh(z2) + x1\nE = (y - x2)^2\nat x = 0.5, y = 1, w1 = 0.75, w2 = -1.5\n";
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("chainrule_residual_explain.chain");
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
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule_deep{n}.chain"));
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
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("chainrule_data.chain");
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

/// Writes `src` to a scratch file named `name`; returns its path.
fn program_file(name: &str, src: &str) -> String {
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule_{}_{name}", std::process::id()));
    std::fs::write(&path, src).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn d_in_a_program_differentiates_through_the_intermediates() {
    // E = d(z^2, w) with z = w*x is 2*z*x = 8 at w = 1, x = 2 (it was 0: z taken as constant).
    let p = program_file("d.chain", "z = w*x\nE = d(z^2, w)\nat w = 1, x = 2\n");
    let j = json(&["backprop", &p, "--format", "json"]);
    let forward = name_values(&j, "forward");
    assert_eq!(forward[1], ("E".to_string(), "8".to_string()));
    assert_eq!(j["forward"][1]["formula"], "2*x*z");
    // E = 2*w*x^2: ∂E/∂w = 2*x^2 = 8, ∂E/∂x = 4*w*x = 8.
    assert_eq!(j["gradient"]["w"], "8");
    assert_eq!(j["gradient"]["x"], "8");
    // fd sees the parameters (it said "the objective has no parameters").
    let f = json(&["fd", &p, "--format", "json"]);
    let params: Vec<&str> = f["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["param"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["w", "x"]);
    assert_eq!(f["rows"][0]["gradient"], "8");
    // Through two layers and by an intermediate: with u = z + w, d(u^2, z) = 2*u.
    let p = program_file(
        "d2.chain",
        "z = w*x\nu = z + w\nE = d(u^2, w) + d(u^2, z)\nat w = 1, x = 2\n",
    );
    let j = json(&["backprop", &p, "--format", "json"]);
    // u = 3: d(u^2, w) = 2u·(x + 1) = 18, d(u^2, z) = 2u = 6.
    assert_eq!(j["forward"][2]["value"], "24");
}

#[test]
fn an_input_whose_terms_cancel_stays_in_the_gradient_as_zero() {
    for (name, src) in [
        ("cancel.chain", "c = a + b\ne = c - a\nat a = 1, b = 2\n"),
        (
            "cancel_wrt.chain",
            "c = a + b\ne = c - a\nat a = 1, b = 2\nwrt a, b\n",
        ),
    ] {
        let p = program_file(name, src);
        let (code, out, err) = chainrule(&["backprop", &p, "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let j: Json = serde_json::from_str(&out).unwrap();
        assert_eq!(j["gradient"]["a"], "0", "{name}");
        assert_eq!(j["gradient"]["b"], "1", "{name}");
        assert!(
            err.contains("`a` occurs in `e`, but its terms cancel"),
            "{name}: {err}"
        );
        assert!(!err.contains("does not occur"), "{name}: {err}");
    }
}

#[test]
fn explain_by_a_data_input_gives_its_derivative() {
    // hw7 names w1, w2, w3 in `wrt`; x and y are data. ∂E/∂x = 2(ŷ − y)·w3·w2·w1 = 48.
    let j = json(&[
        "explain",
        "examples/hw7_relu.chain",
        "--wrt",
        "x",
        "--format",
        "json",
    ]);
    assert_eq!(j["simplified"], "2*w1*w2*w3*step(z1)*step(z2)*(ŷ - y)");
    assert_eq!(j["value"], "48");
    let j = json(&[
        "explain",
        "examples/hw7_relu.chain",
        "--wrt",
        "y",
        "--format",
        "json",
    ]);
    assert_eq!(
        (j["simplified"].as_str(), j["value"].as_str()),
        (Some("2*(y - ŷ)"), Some("-4"))
    );
    // --data does the same to an input that would be a parameter.
    let p = program_file(
        "explain_data.chain",
        "z = w*x + b\nE = (y - z)^2\nat x = 3, y = 0, w = 1, b = 0\n",
    );
    let out = ok(&["explain", &p, "--wrt", "x", "--data", "x"]);
    assert!(out.contains("= 2*w*(z - y)    (simplified)"), "{out}");
    assert!(out.contains("∂E/∂x = 6"), "{out}");
}

#[test]
fn the_backward_table_names_its_output_and_says_delta_e_once() {
    let p = program_file(
        "loss_l.chain",
        "z = w*x\nL = sigmoid(z)^2\nat w = 0, x = 1\n",
    );
    let t = ok(&["backprop", &p]);
    assert!(t.contains("\n  δ_L = 1\n"), "{t}");
    let l = ok(&["backprop", &p, "--format", "latex"]);
    assert!(
        l.contains("% Backward pass: $\\delta_v = \\partial L / \\partial v$\n"),
        "{l}"
    );
    assert!(l.contains("\\delta_{L} &= 1 \\\\\n"), "{l}");
    // sigmoid keeps its name: `\sigma` reads back as an unspecified σ, not as sigmoid.
    assert!(
        l.contains("L &= \\operatorname{sigmoid}\\left(z\\right)^{2}"),
        "{l}"
    );
    // With the user's own σ too.
    let p = program_file(
        "loss_sigma.chain",
        "σ(t) = relu(t)\nz = w*x\nL = sigmoid(z) + σ(z)\nat w = 1, x = 1\n",
    );
    let l = ok(&["backprop", &p, "--format", "latex"]);
    assert!(
        l.contains(
            "L &= \\operatorname{relu}\\left(z\\right) + \\operatorname{sigmoid}\\left(z\\right)"
        ),
        "{l}"
    );
}

#[test]
fn a_rebound_name_makes_a_new_version() {
    // As in micrograd's `c += c + 1`: c_1 = a*b = 6, c_2 = c_1 + c_1 + 1 = 13.
    let p = program_file("rebind.chain", "c = a*b\nc += c + 1\nat a = 2, b = 3\n");
    let j = json(&["backprop", &p, "--format", "json"]);
    assert_eq!(
        name_values(&j, "forward"),
        [
            ("c_1".to_string(), "6".to_string()),
            ("c_2".to_string(), "13".to_string())
        ]
    );
    assert_eq!(j["forward"][1]["formula"], "2*c_1 + 1");
    assert_eq!(
        (j["gradient"]["a"].as_str(), j["gradient"]["b"].as_str()),
        (Some("6"), Some("4"))
    );
    // `c = c + 1` and the other updates; later lines read the latest version.
    let p = program_file(
        "rebind2.chain",
        "c = a + b\nc = c + 1\nd = c*a\nd += c\nd -= 1\nd *= 2\nd /= 4\ne = d^2\nat a = 2, b = 3\n",
    );
    let t = ok(&["backprop", &p]);
    // c_2 = 6, d_1 = 12, d_2 = 18, d_3 = 17, d_4 = 34, d_5 = 17/2, e = 289/4.
    for row in [
        "c_1 = a + b",
        "c_2 = c_1 + 1",
        "d_2 = c_2 + d_1",
        "d_3 = d_2 - 1",
        "d_4 = 2*d_3",
        "d_5 = d_4/4",
        "e   = d^2 = d_5^2",
        "= 289/4",
    ] {
        assert!(t.contains(row), "{row}:\n{t}");
    }
    // e = ((a + b + 1)(1 + a) - 1)^2 / 4: ∂e/∂b = (d_4/2)(1 + a)/2 = 17*3/2 = 51/2.
    let j = json(&["backprop", &p, "--format", "json"]);
    assert_eq!(j["gradient"]["b"], "51/2");
    // `c` names the latest version on the command line and in claims.
    let j = json(&["explain", &p, "--wrt", "c", "--format", "json"]);
    assert_eq!(j["wrt"], "c_2");
    let (code, out, err) = chainrule(&["check", &p, "--wrt", "c", "--claim", "δ_c_2"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn an_update_needs_an_earlier_definition_and_free_version_names() {
    let p = program_file("update_first.chain", "c += 1\nat c = 1\n");
    let (code, _, err) = chainrule(&["backprop", &p]);
    assert_eq!(code, 2);
    assert!(err.contains("`c` is defined in terms of itself"), "{err}");
    assert!(err.contains("only after a first"), "{err}");
    let p = program_file("update_clash.chain", "c = a*b\nc_2 = 1\nc = c + c_2\n");
    let (code, _, err) = chainrule(&["backprop", &p]);
    assert_eq!(code, 2);
    assert!(err.contains("`c_2` is"), "{err}");
    // Defining a name again without using it is still a mistake, not a version.
    let p = program_file("twice.chain", "z = w*x\nz = 2*w*x\nE = z^2\n");
    let (code, _, err) = chainrule(&["backprop", &p]);
    assert_eq!(code, 2);
    assert!(err.contains("`z` is defined twice"), "{err}");
}

#[test]
fn latex_of_a_deep_program_is_linear_and_right() {
    // 5000 layers: LaTeX took about a minute in release (the distinct-names work was redone
    // for every name printed); now a fraction of a second. The rows are still right.
    let path = deep_chain(5000);
    let out = ok(&["backprop", path.to_str().unwrap(), "--format", "latex"]);
    for row in [
        "z_{5000} &= w_{5000} x_{4999} = 0.28543966082676642231 \\\\",
        "x_{5000} &= \\operatorname{sigmoid}\\left(z_{5000}\\right) = 0.57087932165353284461 \\\\",
        "E &= \\left(y - x_{5000}\\right)^{2} = 0.18414455658453212537",
        "\\delta_{x_{5000}} &= 2 \\left(x_{5000} - y\\right) = -0.85824135669293431077 \\\\",
    ] {
        assert!(out.contains(row), "{row}");
    }
}

/// Review finding: a user name `c1` and the version `c_1` of a rebound `c` print differently
/// in LaTeX, and so do their adjoints (both were `\delta_{c_{1}}`).
#[test]
fn adjoints_of_names_that_print_alike_print_differently() {
    let dir = common::scratch_dir(
        "adjoint-latex",
        &[(
            "cc.chain",
            "c1 = a*b\nc = a + b\nc = c*2\nE = c1 + c\nat a = 2, b = 3\n",
        )],
    );
    let file = dir.join("cc.chain");
    let (code, out, err) = chainrule(&["backprop", file.to_str().unwrap(), "--format", "latex"]);
    assert_eq!(code, 0, "{err}");
    let adjoint_rows: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("&= 1 = 1") || l.contains("\\cdot 2 = 2"))
        .map(|l| l.split(" &=").next().unwrap())
        .collect();
    assert_eq!(adjoint_rows.len(), 3, "{out}");
    let mut distinct = adjoint_rows.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "{out}");
}

/// The logistic regression of every course reads as the lecture writes it: the local
/// derivative σ'(z) in the intermediate's name, p*(1 - p), and the cross-entropy's fractions
/// cancelled against it, ∂L/∂w1 = (p − y)·x1.
#[test]
fn logistic_regression_gradient_is_p_minus_y_times_the_input() {
    let out = ok(&["grad", "examples/logistic.chain", "--form", "intermediates"]);
    for line in [
        "∂L/∂w1 = (p - y) · x1",
        "∂L/∂w2 = (p - y) · x2",
        "∂L/∂b = p - y",
    ] {
        assert!(out.lines().any(|l| l == line), "{line} in\n{out}");
    }
    let out = ok(&["explain", "examples/logistic.chain", "--wrt", "w1"]);
    assert!(
        out.contains("= ((1 - y)/(1 - p) - y/p) · (p*(1 - p)) · x1\n"),
        "{out}"
    );
    assert!(out.contains("= (p - y) · x1    (simplified)\n"), "{out}");
    // The backward pass writes σ'(z) in p, and tanh' and exp' in their own names.
    let out = ok(&["backprop", "examples/logistic.chain"]);
    assert!(out.contains("δ_z = δ_p · (p*(1 - p))"), "{out}");
    let dir = common::scratch_dir(
        "local_names",
        &[(
            "t.chain",
            "a = w*x\nh = tanh(a)\ne = exp(h)\nE = e*y\nat w = 1/2, x = 1, y = 2\n",
        )],
    );
    let out = ok(&["backprop", dir.join("t.chain").to_str().unwrap()]);
    assert!(out.contains("δ_h = δ_e · e "), "{out}");
    assert!(out.contains("δ_a = δ_h · (1 - h^2) "), "{out}");
}

/// The chain-rule forms `grad` and `explain` print for the program `src` (its own point),
/// read back as formulas in the program's names and evaluated at 256 bits with the forward
/// pass's values: `Err` with what differs, `Ok(false)` when the program is not defined at
/// its point.
fn chain_forms_evaluate_to_the_gradient(src: &str, name: &str) -> Result<bool, String> {
    use chainrule::eval::{Mode, Value, evaluate};
    use chainrule::report::{Form, Numbers, Style, explain, grad};
    use chainrule::syntax::read_expr;
    let numbers = Numbers {
        mode: Mode::Mpfr(256),
        digits: 20,
    };
    let mut net = chainrule::network::load(src, name, None).map_err(|e| e.to_string())?;
    let point = net.point.clone();
    let bw = net.backward();
    let Ok(trace) = net.trace(&bw, &point, numbers.mode) else {
        return Ok(false);
    };
    // The point and every intermediate's value, exactly as the pass computed it.
    let mut env = point.clone();
    for (&i, v) in net.live_defs().iter().zip(&trace.forward) {
        let r = match v {
            Value::Exact(r) => r.clone(),
            Value::Mpfr(f) => f.to_rational().ok_or("not finite")?,
            Value::F64(_) => unreachable!("256 bits"),
        };
        env.insert(net.defs[i].name, r);
    }
    let report = grad(
        &mut net,
        Some(&point),
        numbers,
        Form::Intermediates,
        Style::Json,
    )
    .map_err(|e| e.to_string())?;
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    let params = net.params.clone();
    for (k, (g, p)) in report["gradient"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&params)
        .enumerate()
    {
        let want = trace.gradient[k].to_float(256);
        let mut forms = vec![g["chain"].as_str().unwrap().to_string()];
        let e =
            explain(&mut net, *p, Some(&point), numbers, Style::Json).map_err(|e| e.to_string())?;
        let e: serde_json::Value = serde_json::from_str(&e).unwrap();
        forms.push(e["simplified"].as_str().unwrap().to_string());
        for form in forms {
            let f = read_expr(&mut net.store, &form, "<chain>")
                .map_err(|e| format!("{form}: {e}"))?
                .0;
            let got = evaluate(&net.store, &[f], &env, Mode::Mpfr(256))
                .map_err(|e| format!("{form}: {e}"))?
                .0;
            let got = got[0].to_float(256);
            let diff = rug::Float::with_val(256, &got - &want).abs().to_f64();
            if diff > want.to_f64().abs() * 1e-60 {
                return Err(format!(
                    "{name}: ∂/∂{} printed as {form} is {} at the point, the gradient {}",
                    net.name(*p),
                    got.to_f64(),
                    want.to_f64()
                ));
            }
        }
    }
    Ok(true)
}

/// The examples' chain forms evaluate to their gradients.
#[test]
fn printed_chain_forms_evaluate_to_the_gradient() {
    for file in ["logistic", "hw7_sigmoid", "hw7_relu"] {
        let path = format!("examples/{file}.chain");
        let src = std::fs::read_to_string(&path).unwrap();
        assert_eq!(chain_forms_evaluate_to_the_gradient(&src, &path), Ok(true));
    }
}

/// A one-unit network: activations and losses of the courses, including those whose
/// chain factors cancel (the cross-entropy of a sigmoid) and those whose do not.
const ACTIVATIONS: [&str; 6] = [
    "sigmoid(z)",
    "tanh(z)",
    "exp(z)",
    "z^2",
    "1/(1 + exp(-z))",
    "softplus(z)",
];
const LOSSES: [&str; 7] = [
    "-(y*log(h) + (1-y)*log(1-h))",
    "(y - h)^2",
    "-log(h)",
    "h/(1 + h)",
    "(h - y)^2/(2*h)",
    "log(1 + h^2)",
    "y/h - (1 - y)/(1 - h)",
];

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        cases: 96,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(14),
        ..proptest::test_runner::Config::default()
    })]

    /// Whatever the activation and the loss, the chain forms printed (their local
    /// derivatives in the intermediates' names, neighbours multiplied out where they cancel)
    /// have the gradient's value at the point.
    #[test]
    fn chain_forms_of_random_units_evaluate_to_the_gradient(
        act in proptest::sample::select(&ACTIVATIONS[..]),
        loss in proptest::sample::select(&LOSSES[..]),
        ws in proptest::array::uniform4((-4i32..=4, 1u32..=4)),
    ) {
        let [w1, w2, b, y] = ws.map(|(p, q)| format!("{p}/{q}"));
        let src = format!(
            "z = w1*x1 + w2*x2 + b\nh = {act}\nL = {loss}\n\
             at x1 = 1/2, x2 = -3/2, y = ({y})^2/(1 + ({y})^2), w1 = {w1}, w2 = {w2}, b = {b}\n\
             wrt w1, w2, b\n"
        );
        let r = chain_forms_evaluate_to_the_gradient(&src, "<unit>");
        proptest::prop_assert!(r.is_ok(), "{}\n{}", src, r.unwrap_err());
    }
}

#[test]
fn warnings_about_at_names_come_in_the_same_order_every_run() {
    // The `--at` point is a hash map with a random seed: its names were warned about in the
    // map's order, which changed from run to run (the same command, different bytes). They
    // come in the order of their names.
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("chainrule_at_order_{}.chain", std::process::id()));
    std::fs::write(&path, "z = w*x\nE = z^2\nat w = 1, x = 2\n").unwrap();
    let p = path.to_str().unwrap();
    let path2 = dir.join(format!("chainrule_at_order2_{}.chain", std::process::id()));
    std::fs::write(&path2, "E = a*x + c\nat a = 1, x = 2, c = 3\n").unwrap();
    let p2 = path2.to_str().unwrap();
    let unused = [
        "warning: --at a: `a` is not an input of the program, so its value is not used; the nearest input is `w`",
        "warning: --at b: `b` is not an input of the program, so its value is not used; the nearest input is `w`",
        "warning: --at c: `c` is not an input of the program, so its value is not used; the nearest input is `w`",
        "warning: --at d: `d` is not an input of the program, so its value is not used; the nearest input is `w`",
        "warning: --at e: `e` is not an input of the program, so its value is not used; the nearest input is `w`",
    ];
    // Cyrillic а, с and х; the program's are Latin.
    let lookalikes = [
        "warning: `а` (Cyrillic) does not occur in the program, but `a` (Latin) does: they look alike and are different names",
        "warning: `с` (Cyrillic) does not occur in the program, but `c` (Latin) does: they look alike and are different names",
        "warning: `х` (Cyrillic) does not occur in the program, but `x` (Latin) does: they look alike and are different names",
    ];
    for _ in 0..8 {
        let (code, _, err) = chainrule(&["backprop", p, "--at", "d=1,b=2,e=3,a=4,c=5"]);
        assert_eq!(code, 0, "{err}");
        let got: Vec<&str> = err.lines().collect();
        assert_eq!(got, unused, "{err}");
        let (code, _, err) = chainrule(&["backprop", p2, "--at", "х=1,а=2,с=3"]);
        assert_eq!(code, 0, "{err}");
        let got: Vec<&str> = err.lines().collect();
        assert_eq!(got, lookalikes, "{err}");
    }
    std::fs::remove_file(&path).unwrap();
    std::fs::remove_file(&path2).unwrap();
}

/// Two `at` lines giving one name a value: the second silently won (`at w = 1, x = 2` then
/// `at w = 5` computed at w = 5), where one line naming it twice is refused. Both are now.
#[test]
fn a_name_given_two_values_by_two_at_lines_is_refused() {
    let dir = common::scratch_dir(
        "two_at_lines",
        &[
            ("s.chain", "E = w*x\nat w = 1, x = 2\nat w = 5\n"),
            (
                "m.chain",
                "x: 2\nE = sum(x)*w\nat x = [1, 2], w = 1\nat w = 3\n",
            ),
            ("ok.chain", "E = w*x\nat w = 1\nat x = 2\n"),
        ],
    );
    for f in ["s.chain", "m.chain"] {
        let (code, out, err) = common::chainrule(&["backprop", dir.join(f).to_str().unwrap()]);
        assert_eq!(code, 2, "{f}: {out}");
        assert!(err.contains("`w` is given two values"), "{f}: {err}");
        assert!(err.contains("again here"), "{f}: {err}");
    }
    let j = common::json(&[
        "backprop",
        dir.join("ok.chain").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(j["gradient"]["w"], "2", "{j}");
}
