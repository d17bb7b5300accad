//! `chainrule check` catches the seed homework's mistakes and accepts its correct formulas.

use std::process::Command;

/// The JSON verdict and the exit code (0 when the claim is right, 1 when it is not).
fn check_code(file: &str, wrt: &str, claim: &str) -> (serde_json::Value, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args([
            "check", file, "--wrt", wrt, "--claim", claim, "--format", "json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("no verdict: {}", String::from_utf8_lossy(&out.stderr)));
    let code = out.status.code().unwrap();
    let want = if j["agrees"] == true { 0 } else { 1 };
    assert_eq!(code, want, "exit code for {j}");
    (j, code)
}

fn check(file: &str, wrt: &str, claim: &str) -> serde_json::Value {
    check_code(file, wrt, claim).0
}

/// Runs the binary; returns (exit code, stdout, stderr).
fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CHAINRULE_ERROR_WIDTH", "100")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn homework_mistakes_are_caught() {
    // Q1: "∂E/∂w3 = ∂ℓ/∂ŷ · x2 · x2" (x2 counted twice).
    let j = check("examples/hw7_abstract.chain", "w3", "∂_2 ℓ(y, ŷ) · x2 · x2");
    assert_eq!(j["agrees"], false);
    assert_eq!(j["correct"], "∂_2 ℓ(y, ŷ) · x2");
    // Q1: "∂E/∂w2 = ∂_ŷ ℓ · w3 · σ'(x2) · x1" (σ' taken at x2 instead of z2).
    let j = check(
        "examples/hw7_abstract.chain",
        "w2",
        "∂_2 ℓ(y, ŷ) · w3 · σ'(x2) · x1",
    );
    assert_eq!(j["agrees"], false);
    assert_eq!(j["correct"], "∂_2 ℓ(y, ŷ) · w3 · σ'(z2) · x1");
    // The numeric part's chain for w1 drops ∂x2/∂z2: with relu that is step(z2), which is 1 at
    // the homework's point, so only other points reveal it.
    let j = check(
        "examples/hw7_relu.chain",
        "w1",
        "-2*(y - ŷ)*w3*w2*step(z1)*x",
    );
    assert_eq!(j["agrees"], false);
    assert!(j["verdict"].as_str().unwrap().contains("is 0"), "{j}");
}

#[test]
fn correct_formulas_are_accepted() {
    let j = check(
        "examples/hw7_abstract.chain",
        "w1",
        "∂_2 ℓ(y, ŷ) · w3 · σ'(z2) · w2 · σ'(z1) · x",
    );
    assert_eq!(j["agrees"], true);
    let j = check(
        "examples/hw7_relu.chain",
        "w1",
        "-2*(y - ŷ)*w3*step(z2)*w2*step(z1)*x",
    );
    assert_eq!(j["agrees"], true);
    // Equal but not identical after simplification: σ(t)(1 - σ(t)) written as σ(t) - σ(t)^2.
    let j = check("examples/hw7_sigmoid.chain", "w3", "-2*(y - ŷ)*x2");
    assert_eq!(j["agrees"], true);
}

#[test]
fn an_intermediate_is_checked_against_its_adjoint() {
    // ∂E/∂z1 holds what is upstream of z1 as it is: the adjoint δ_z1, 24 at the point.
    let (j, code) = check_code("examples/hw7_relu.chain", "z1", "0");
    assert_eq!((j["agrees"].clone(), code), (false.into(), 1));
    let v = j["verdict"].as_str().unwrap();
    assert!(v.contains("yours is 0 but ∂E/∂z1 is 24"), "{v}");
    let (j, code) = check_code(
        "examples/hw7_relu.chain",
        "z1",
        "-2*(y - ŷ)*w3*step(z2)*w2*step(z1)",
    );
    assert_eq!((j["agrees"].clone(), code), (true.into(), 0));
    // A claim from the wrong layer is caught, with the true value.
    let j = check("examples/hw7_relu.chain", "x1", "-2*(y - ŷ)*w3");
    assert_eq!(j["agrees"], false);
    assert!(
        j["verdict"]
            .as_str()
            .unwrap()
            .contains("yours is 12 but ∂E/∂x1 is 24"),
        "{j}"
    );
    let j = check("examples/hw7_relu.chain", "E", "1");
    assert_eq!(j["agrees"], true);
}

#[test]
fn claims_may_use_adjoints_and_d() {
    for claim in ["δ_z3 · x2", "delta_z3*x2", "d(E, w3)", "d(E, z3) * x2"] {
        let j = check("examples/hw7_relu.chain", "w3", claim);
        assert_eq!(j["agrees"], true, "{claim}: {j}");
    }
    let j = check("examples/hw7_relu.chain", "z1", "δ_x1 * step(z1)");
    assert_eq!(j["agrees"], true);
    let j = check("examples/hw7_relu.chain", "w3", "δ_z3 · x1");
    assert_eq!(j["agrees"], false);
    assert!(
        j["verdict"]
            .as_str()
            .unwrap()
            .contains("yours is 8 but ∂E/∂w3 is 16"),
        "{j}"
    );
    // Before, `d(E, w3)` took E as a constant: "yours is 0 but ∂E/∂w3 is 16".
    let j = check("examples/hw7_relu.chain", "w2", "d(E, w3)");
    assert!(
        j["verdict"]
            .as_str()
            .unwrap()
            .contains("yours is 16 but ∂E/∂w2 is 24"),
        "{j}"
    );
}

#[test]
fn a_data_input_can_be_checked() {
    // x has no `wrt` entry in hw7: ∂E/∂x = 2(ŷ − y)·w3·w2·w1 = 48 at the point.
    let j = check("examples/hw7_relu.chain", "x", "0");
    assert!(
        j["verdict"].as_str().unwrap().contains("∂E/∂x is 48"),
        "{j}"
    );
    let j = check("examples/hw7_relu.chain", "x", "δ_z1 * w1");
    assert_eq!(j["agrees"], true);
}

#[test]
fn unknown_names_in_a_claim_are_errors_with_a_suggestion() {
    let prog = "h1 = relu(w*x)\nyhat = v*h1\nE = (y - yhat)^2\nat w = 1, x = 2, v = 3, y = 1\n";
    for (claim, bad, help) in [
        ("-2*(y - yhat)*hl", "`hl`", "did you mean `h1`?"),
        ("-2*(y - ŷ)*h1", "`ŷ`", "did you mean `yhat`?"),
        ("δ_yhatt*h1", "`δ_yhatt`", "did you mean `δ_yhat`?"),
    ] {
        let (code, out, err) = run(&["check", "-", "--wrt", "v", "--claim", claim], prog);
        assert_eq!(code, 2, "{claim}: {out}{err}");
        assert!(out.is_empty(), "{out}");
        assert!(
            err.contains(&format!("{bad} is not a name of the program")),
            "{err}"
        );
        assert!(err.contains(help), "{err}");
        assert!(err.contains("<claim>:1:"), "{err}");
    }
    // The adjoint names of the backward table are understood.
    let (code, out, err) = run(&["check", "-", "--wrt", "v", "--claim", "δ_yhat*h1"], prog);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("✓ Right"), "{out}");
}

#[test]
fn check_prints_latex() {
    let (code, out, err) = run(
        &[
            "check",
            "examples/hw7_abstract.chain",
            "--wrt",
            "w3",
            "--claim",
            "∂_2 ℓ(y, ŷ) · x2 · x2",
            "--format",
            "latex",
        ],
        "",
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        out.starts_with("\\begin{gathered}\n\\begin{aligned}\n"),
        "{out}"
    );
    assert!(
        out.contains("\\text{chain rule: } \\frac{\\partial E}{\\partial w_{3}} &= \\partial_{\\hat{y}} \\ell\\left(y, \\hat{y}\\right) \\cdot x_{2}"),
        "{out}"
    );
    assert!(out.contains("\\times\\ \\text{Not the same: }"), "{out}");
    let (code, out, _) = run(
        &[
            "check",
            "examples/hw7_relu.chain",
            "--wrt",
            "w3",
            "--claim",
            "δ_z3*x2",
            "--format",
            "latex",
        ],
        "",
    );
    assert_eq!(code, 0);
    assert!(out.contains("\\checkmark\\ \\text{Right"), "{out}");
}

/// Regression (found this session): on the ReLU homework, random points where a unit is off
/// make both `x2*x2` and the true `2(ŷ - y)·x2` zero, and the claim was judged right (exit 0)
/// after five such points; at the program's own point the two agree too (16 = 16). Agreement
/// where the true value is 0 no longer counts as evidence while other points can be found.
#[test]
fn agreement_where_both_are_zero_does_not_make_a_wrong_claim_right() {
    let (j, code) = check_code("examples/hw7_relu.chain", "w3", "x2*x2");
    assert_eq!(j["agrees"], false, "{j}");
    assert_eq!(code, 1);
    let (j, _) = check_code("examples/hw7_relu.chain", "w2", "x1*x1*w3");
    assert_eq!(j["agrees"], false, "{j}");
    // A right claim that is not the same formula is still accepted.
    let (j, code) = check_code("examples/hw7_relu.chain", "w3", "2*(ŷ - y)*x2");
    assert_eq!(j["agrees"], true, "{j}");
    assert_eq!(code, 0);
}

/// Issue 13: a wrong claim says what is wrong when it is one simple thing.
#[test]
fn a_wrong_claim_says_what_is_wrong() {
    let verdict = |file: &str, wrt: &str, claim: &str| -> String {
        let (j, code) = check_code(file, wrt, claim);
        assert_eq!(code, 1, "{j}");
        j["verdict"].as_str().unwrap().to_string()
    };
    let v = verdict("examples/hw7_abstract.chain", "w3", "∂_2 ℓ(y, ŷ) · x2 · x2");
    assert!(
        v.ends_with("In short: yours has the extra factor x2."),
        "{v}"
    );
    let v = verdict(
        "examples/hw7_abstract.chain",
        "w2",
        "∂_2 ℓ(y, ŷ) · w3 · σ'(x2) · x1",
    );
    assert!(
        v.ends_with("In short: yours has σ'(x2) where the chain rule has σ'(z2)."),
        "{v}"
    );
    let v = verdict(
        "examples/hw7_relu.chain",
        "w1",
        "-2*(y - ŷ)*w3*w2*step(z1)*x",
    );
    assert!(
        v.ends_with("In short: yours lacks the factor step(z2)."),
        "{v}"
    );
    let v = verdict("examples/hw7_relu.chain", "w3", "2*(y - ŷ)*x2");
    assert!(v.ends_with("In short: yours has the opposite sign."), "{v}");
    let v = verdict("examples/hw7_relu.chain", "w3", "4*(ŷ - y)*x2");
    assert!(
        v.ends_with("In short: yours is 2 times the chain rule's."),
        "{v}"
    );
}

/// Issue 13: a counterexample gives a log-loss label a value the data could have (0 or 1).
#[test]
fn a_label_of_a_log_loss_is_0_or_1_in_a_counterexample() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule-labels-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("logreg.chain");
    std::fs::write(
        &file,
        "z = w1*x1 + w2*x2 + b\np = sigmoid(z)\nL = -(y*log(p) + (1-y)*log(1-p))\nwrt w1, w2, b\n",
    )
    .unwrap();
    let (j, code) = check_code(file.to_str().unwrap(), "w1", "(p - y)*x2");
    assert_eq!(code, 1, "{j}");
    let v = j["verdict"].as_str().unwrap();
    assert!(v.contains("y = 1,") || v.contains("y = 0,"), "{v}");
    assert!(
        v.contains("yours has x2 where the chain rule has x1"),
        "{v}"
    );
    // Labels restricted to 0 and 1 only in the first trials: a claim right only for such
    // labels (y² = y) is still not the gradient as a function.
    let (j, code) = check_code(file.to_str().unwrap(), "w1", "(p - y*y)*x1");
    assert_eq!(code, 1, "{j}");
}

/// Wrong claims that random quadratic stand-ins cannot tell from the truth: a constant for
/// `∂_2 ℓ` (the stand-in for ℓ had no `t1·t2` or `t2²` term, so `∂_2 ℓ` was -1 everywhere), ℓ's
/// arguments swapped, a central difference for σ', and σ''' (0 for a quadratic) or a ratio of
/// σ'' (a constant) thrown in. Each was "✓ Right, as far as 24 points can tell", exit 0.
#[test]
fn claims_right_only_for_quadratic_stand_ins_are_wrong() {
    for (wrt, claim) in [
        ("w3", "-x2"),
        ("w3", "∂_2 ℓ(0, 0) · x2"),
        ("w3", "∂_2 ℓ(y, ŷ) · x2 · σ''(z1) / σ''(z2)"),
        ("w1", "∂_2 ℓ(ŷ, y) · w3 · σ'(z2) · w2 · σ'(z1) · x"),
    ] {
        let (j, code) = check_code("examples/hw7_abstract.chain", wrt, claim);
        assert_eq!(
            (j["agrees"].clone(), code),
            (false.into(), 1),
            "{claim}: {j}"
        );
    }
    let program = "fn σ(t)\nE = σ(w*x)\nwrt w\n";
    for claim in [
        "x*(σ(w*x + 1) - σ(w*x - 1))/2",
        "x*σ'(w*x) + σ'''(w)",
        "x*σ'(w*x) + σ''(w) - σ''(x)",
    ] {
        let (code, out, err) = run(&["check", "-", "--wrt", "w", "--claim", claim], program);
        assert_eq!(code, 1, "{claim}: {out}{err}");
        assert!(out.contains("✗ Not the same"), "{claim}: {out}");
        // The counterexample names the stand-in that shows it, sine and all.
        assert!(out.contains("sin("), "{claim}: {out}");
    }
    // Right claims in another form still agree, under both kinds of stand-in.
    for (wrt, claim) in [
        ("w3", "x2*(x2 + ∂_2 ℓ(y, ŷ)) - x2^2"),
        ("w1", "∂_2 ℓ(y, ŷ) · w3 · σ'(z2) · w2 · σ'(z1) · x"),
    ] {
        let (j, code) = check_code("examples/hw7_abstract.chain", wrt, claim);
        assert_eq!(
            (j["agrees"].clone(), code),
            (true.into(), 0),
            "{claim}: {j}"
        );
    }
    let (code, out, err) = run(
        &[
            "check",
            "-",
            "--wrt",
            "w",
            "--claim",
            "x*σ'(x*w)*(1 + x)/(x + 1)",
        ],
        program,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("✓ Right, as far as"), "{out}");
}

/// A domain condition that calls an unspecified function keeps the rest of it: `E =
/// w*log(x) + σ(y)` needs x > 0, so `w/abs(x)` is ∂E/∂x there (it was judged wrong at x = -2,
/// a point outside the program's domain; before that, every point failed the condition).
#[test]
fn a_condition_calling_an_unspecified_function_keeps_its_other_parts() {
    for (program, claim) in [
        ("fn σ(t)\nE = w*log(x) + σ(y)\nwrt w, x\n", "w/abs(x)"),
        ("fn σ(t)\nE = σ(w)*log(x)\nwrt w, x\n", "σ(w)/abs(x)"),
    ] {
        let (code, out, err) = run(&["check", "-", "--wrt", "x", "--claim", claim], program);
        assert_eq!(code, 0, "{claim}: {out}{err}");
        assert!(out.contains("✓ Right"), "{claim}: {out}");
    }
}
