//! Vectors and matrices from the command line: snapshots of the two matrix examples
//! (`backprop`, `grad`) and of matrixcalculus.org's examples (`diff`) in text, LaTeX and JSON;
//! `check` catching the homework's Q2 mistakes; the JSON contract of `diff` with matrix values.

mod common;

use common::{chainrule, json, ok};
use serde_json::Value as Json;

fn settings() -> insta::Settings {
    let mut s = common::snapshot_settings();
    s.set_omit_expression(true);
    s
}

const FORMATS: [&str; 3] = ["text", "latex", "json"];

/// The two-layer net of Q2 (`hw7_matrix`) and φ = vᵀf(Wg(x)) (`hw7_phi`): `backprop`, `grad
/// --form both`, and for `hw7_phi` `grad`, in every format.
#[test]
fn snapshots_of_the_matrix_examples() {
    for file in ["hw7_matrix", "hw7_phi"] {
        let path = format!("examples/{file}.chain");
        for fmt in FORMATS {
            let out = ok(&["backprop", &path, "--format", fmt]);
            settings().bind(|| insta::assert_snapshot!(format!("backprop_{file}_{fmt}"), out));
            let out = ok(&["grad", &path, "--form", "both", "--format", fmt]);
            settings().bind(|| insta::assert_snapshot!(format!("grad_both_{file}_{fmt}"), out));
            if file == "hw7_phi" {
                let out = ok(&["grad", &path, "--format", fmt]);
                settings().bind(|| insta::assert_snapshot!(format!("grad_{file}_{fmt}"), out));
            }
        }
    }
}

/// matrixcalculus.org's examples, each at a small point (the values checked against NumPy
/// by hand when the snapshots were written: finite differences for the trace, logistic and
/// softmax cases, the closed forms for the others).
const MATRIXCALCULUS: &[(&str, &str, &str, &str)] = &[
    ("quadratic_form", "x'*A*x", "x", "A=[[1,2],[3,4]],x=[1,2]"),
    (
        "trace",
        "tr(A*X'*B*X*C)",
        "X",
        "A=[[1,2],[0,1]],B=[[2,0],[1,1]],C=[[1,0],[1,3]],X=[[1,-1],[2,0]]",
    ),
    ("log_det", "log(det(X))", "X", "X=[[2,1],[1,3]]"),
    (
        "least_squares",
        "norm2(A*x-b)^2",
        "x",
        "A=[[1,2],[3,4]],x=[1,2],b=[1,1]",
    ),
    (
        "logistic_loss",
        "sum(log(exp(-y.*(X*w)) + 1))",
        "w",
        "X=[[1,2],[3,4],[0,1]],w=[1,-1],y=[1,-1,1]",
    ),
    (
        "softmax_cross_entropy",
        "-y'*log(softmax(W*x))",
        "W",
        "W=[[1,0],[0,1],[1,1]],x=[1,2],y=[0,1,0]",
    ),
];

#[test]
fn snapshots_of_matrixcalculus_examples() {
    for (name, expr, wrt, at) in MATRIXCALCULUS {
        for fmt in FORMATS {
            let out = ok(&["diff", expr, "--wrt", wrt, "--at", at, "--format", fmt]);
            settings().bind(|| insta::assert_snapshot!(format!("diff_matrix_{name}_{fmt}"), out));
        }
    }
}

/// The values of matrixcalculus.org's examples, as numbers (not only snapshots).
#[test]
fn matrixcalculus_examples_have_the_right_values() {
    let value = |k: usize| {
        let (_, expr, wrt, at) = MATRIXCALCULUS[k];
        json(&["diff", expr, "--wrt", wrt, "--at", at, "--format", "json"])["value"].clone()
    };
    let floats = |v: &Json| -> Vec<f64> {
        let mut out = Vec::new();
        for e in v.as_array().unwrap() {
            match e {
                Json::Array(row) => out.extend(row.iter().map(common::num)),
                e => out.push(common::num(e)),
            }
        }
        out
    };
    // ∇ xᵀAx = (A + Aᵀ)x.
    assert_eq!(value(0), serde_json::json!(["12", "21"]));
    // ∇_X tr(AXᵀBXC) = BᵀXAᵀCᵀ + BXCA.
    assert_eq!(value(1), serde_json::json!([["0", "-12"], ["4", "3"]]));
    // ∇ log det X = X⁻ᵀ.
    assert_eq!(
        value(2),
        serde_json::json!([["0.6", "-0.2"], ["-0.2", "0.4"]])
    );
    // ∇ ‖Ax − b‖² = 2Aᵀ(Ax − b).
    assert_eq!(value(3), serde_json::json!(["68", "96"]));
    // Central differences in NumPy: 0.0757656857…, −1.117410050….
    let got = floats(&value(4));
    for (g, want) in got
        .iter()
        .zip([0.075_765_685_479_980_48, -1.117_410_050_410_034_2])
    {
        assert!((g - want).abs() < 1e-15, "{got:?}");
    }
    // (softmax(Wx) − y) xᵀ, as NumPy computes it.
    let got = floats(&value(5));
    let want = [
        0.090_030_573_170_380_46,
        0.180_061_146_340_760_9,
        -0.755_271_528_945_202_3,
        -1.510_543_057_890_404_7,
        0.665_240_955_774_821_9,
        1.330_481_911_549_643_8,
    ];
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-15, "{got:?}");
    }
}

/// The homework's Q2 (`../shared/seed/hw7-backprop.txt`): its ∇_W φ = (∇f(Wg(x)))ᵀ v · g(x)
/// multiplies two column vectors; with the transpose it is right.
#[test]
fn check_catches_the_badly_shaped_gradient_of_phi() {
    let (code, out, err) = chainrule(&[
        "check",
        "examples/hw7_phi.chain",
        "--wrt",
        "W",
        "--claim",
        "(f'(W*g(x)))'*v*g(x)",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("✗ Not a formula for ∇_W φ: its shapes do not fit."),
        "{out}"
    );
    assert!(out.contains("but `g(x)` has d2 rows"), "{out}");
    assert!(out.contains("their outer product is"), "{out}");
    let (code, out, err) = chainrule(&[
        "check",
        "examples/hw7_phi.chain",
        "--wrt",
        "W",
        "--claim",
        "f'(W*g(x))'*v*g(x)'",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("✓ Right"), "{out}");
}

/// The gradient as `grad` prints it, `∇f(W*g(x))ᵀ*v*g(x)ᵀ`, reads back as a claim (`∇` was
/// "unexpected character", though `\nabla f(a)` in LaTeX was read): `∇f(a)` is `f'(a)`.
#[test]
fn the_printed_jacobian_reads_back() {
    let out = ok(&["grad", "examples/hw7_phi.chain"]);
    let printed = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("∇_W φ = "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(printed.starts_with("∇f("), "{out}");
    let (code, out, err) = chainrule(&[
        "check",
        "examples/hw7_phi.chain",
        "--wrt",
        "W",
        "--claim",
        printed,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("✓ Right"), "{out}");
    // Without the transpose, the shapes do not fit, as with `f'`.
    let (code, out, _) = chainrule(&[
        "check",
        "examples/hw7_phi.chain",
        "--wrt",
        "W",
        "--claim",
        "∇f(W*g(x))*v*g(x)ᵀ",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("its shapes do not fit"), "{out}");
    // `∇` before anything but a call is refused with what it means.
    for text in ["∇f", "∇x + 1", "∇f'(x)", "∇"] {
        let (code, _, err) = chainrule(&["diff", text, "--wrt", "x"]);
        assert_eq!(code, 2, "{text}: {err}");
        assert!(err.contains("Jacobian"), "{text}: {err}");
    }
}

/// The homework's ∇_{W3} E = −2(y − ŷ) · W3ᵀ diag(σ'(H2)) is not the gradient (its shapes do
/// not even fit); −2(y − ŷ) H2ᵀ is.
#[test]
fn check_catches_the_wrong_gradient_of_w3() {
    let (code, out, err) = chainrule(&[
        "check",
        "examples/hw7_matrix.chain",
        "--wrt",
        "W3",
        "--claim",
        "-2*(y - ŷ)*W3'*diag(step(H2))",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("its shapes do not fit"), "{out}");
    let (code, out, err) = chainrule(&[
        "check",
        "examples/hw7_matrix.chain",
        "--wrt",
        "W3",
        "--claim",
        "-2*(y - ŷ)*H2'",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("✓ Right"), "{out}");
}

/// A well-shaped claim that is wrong gets a counterexample: at the program's point, and, with
/// unspecified f and g, at small random matrices.
#[test]
fn check_gives_a_counterexample_to_a_well_shaped_wrong_claim() {
    let (code, out, err) = chainrule(&[
        "check",
        "examples/hw7_matrix.chain",
        "--wrt",
        "W3",
        "--claim",
        "2*(y - ŷ)*H2'",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("✗ Not the same")
            && out.contains("entry (1, 1) of yours is 32 but of ∇_W3 E is -32"),
        "{out}"
    );
    let (code, out, err) = chainrule(&[
        "check",
        "examples/hw7_phi.chain",
        "--wrt",
        "W",
        "--claim",
        "2*f'(W*g(x))'*v*g(x)'",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("✗ Not the same: with d1 = "), "{out}");
    // A claim of the wrong shape is told so, not compared.
    let (code, out, _) = chainrule(&[
        "check",
        "examples/hw7_phi.chain",
        "--wrt",
        "W",
        "--claim",
        "f'(W*g(x))'*v*x'",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("yours is a d3×d1 matrix but ∇_W φ is a d3×d2 matrix"),
        "{out}"
    );
}

/// `diff --format json` with matrix values: `value` as nested lists of decimal strings
/// (scalar: a string, vector: a flat list, matrix: a list of rows), `shape` `[]`, `[n]` or
/// `[r, c]`, `derivative` and `latex`.
#[test]
fn diff_json_contract_with_matrix_values() {
    let at = "A=[[1,2],[3,4]],x=[1,2]";
    // A scalar's gradient by a vector: a vector, shaped like x.
    let j = json(&[
        "diff", "x'*A*x", "--wrt", "x", "--at", at, "--format", "json",
    ]);
    assert_eq!(j["shape"], serde_json::json!([2]));
    assert_eq!(j["value"], serde_json::json!(["12", "21"]));
    assert_eq!(j["derivative"], "(A + Aᵀ)*x");
    assert_eq!(j["latex"], "\\left(A + A^{\\top}\\right) x");
    assert_eq!(j["kind"], "gradient");
    // By a matrix: shaped like A.
    let j = json(&[
        "diff", "x'*A*x", "--wrt", "A", "--at", at, "--format", "json",
    ]);
    assert_eq!(j["shape"], serde_json::json!([2, 2]));
    assert_eq!(j["value"], serde_json::json!([["1", "2"], ["2", "4"]]));
    assert_eq!(j["derivative"], "x*xᵀ");
    // A vector by a vector: the Jacobian, rows = outputs.
    let j = json(&["diff", "A*x", "--wrt", "x", "--at", at, "--format", "json"]);
    assert_eq!(j["kind"], "jacobian");
    assert_eq!(j["shape"], serde_json::json!([2, 2]));
    assert_eq!(j["value"], serde_json::json!([["1", "2"], ["3", "4"]]));
    // A vector by a scalar: a vector; a scalar by a scalar: a string and shape [].
    let j = json(&[
        "diff",
        "c*x",
        "--wrt",
        "c",
        "--at",
        "c=3,x=[1,2]",
        "--format",
        "json",
    ]);
    assert_eq!(j["shape"], serde_json::json!([2]));
    assert_eq!(j["value"], serde_json::json!(["1", "2"]));
    let j = json(&[
        "diff",
        "x'*x*c",
        "--wrt",
        "c",
        "--at",
        "c=3,x=[1,2]",
        "--format",
        "json",
    ]);
    assert_eq!(j["shape"], serde_json::json!([]));
    assert_eq!(j["value"], "5");
    // --precision applies to every entry (300 bits: about 90 significant digits each).
    let j = json(&[
        "diff",
        "sum(exp(X))",
        "--wrt",
        "X",
        "--at",
        "X=[[1,2],[3,4]]",
        "--precision",
        "300",
        "--format",
        "json",
    ]);
    assert_eq!(j["arithmetic"], "MPFR, 300 bits");
    let rows = j["value"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for e in rows.iter().flat_map(|r| r.as_array().unwrap()) {
        let digits = e
            .as_str()
            .unwrap()
            .chars()
            .filter(char::is_ascii_digit)
            .count();
        assert!(digits >= 89, "{e}");
    }
    assert!(
        rows[1][1]
            .as_str()
            .unwrap()
            .starts_with("54.598150033144239078110261202860878402790737038614068725826593958553"),
        "{j}"
    );
    // --digits applies to every entry of the text (JSON carries every digit).
    let out = ok(&[
        "diff",
        "sum(exp(X))",
        "--wrt",
        "X",
        "--at",
        "X=[[1,2],[3,4]]",
        "--digits",
        "5",
    ]);
    assert!(
        out.contains("[ 2.7183  7.3891 ]") && out.contains("[ 20.086  54.598 ]"),
        "{out}"
    );
}

/// `fd` of the Q2 network, entry by entry, next to the gradient; a gradient entry that is
/// −8·0 in f64 prints as 0, not `-0`.
#[test]
fn fd_of_the_matrix_network_agrees_entry_by_entry() {
    let out = ok(&["fd", "examples/hw7_matrix.chain"]);
    assert!(out.contains("W3[1,2]  -40"), "{out}");
    assert!(!out.contains(" -0 "), "{out}");
    let j = json(&["fd", "examples/hw7_matrix.chain", "--format", "json"]);
    let rows = j.as_array().unwrap();
    assert_eq!(rows.len(), 12 + 8 + 2);
    for r in rows {
        let (g, c) = (common::num(&r["gradient"]), common::num(&r["central"]));
        assert!((g - c).abs() < 1e-9, "{r}");
    }
}

/// `explain` of a one-step chain (∇_W φ of hw7_phi) prints that step once, in LaTeX as in
/// text: the "substituted" form of a one-step chain is the step itself (it was printed twice,
/// and showed twice in the solution sheet).
#[test]
fn explain_of_a_one_step_chain_prints_it_once() {
    let l = ok(&[
        "explain",
        "examples/hw7_phi.chain",
        "--wrt",
        "W",
        "--format",
        "latex",
    ]);
    assert_eq!(l.matches("\\nabla_{W} \\phi &=").count(), 1, "{l}");
    assert!(l.ends_with("^{\\top}\n\\end{aligned}\n"), "{l}");
    let t = ok(&["explain", "examples/hw7_phi.chain", "--wrt", "W"]);
    assert_eq!(t.matches("∇_W φ =").count(), 1, "{t}");
    // A longer chain keeps its substituted form, in both.
    let l = ok(&[
        "explain",
        "examples/hw7_matrix.chain",
        "--wrt",
        "W3",
        "--format",
        "latex",
    ]);
    assert_eq!(l.matches("\\nabla_{W_{3}} E &=").count(), 2, "{l}");
}

/// `cot` element-wise: ∇_W sum(cot(Wx)) = −(1 + cot(Wx)^∘2) xᵀ, against the closed form in f64
/// (`1/tan`, as NumPy users write cot).
#[test]
fn cot_is_element_wise_with_its_derivative() {
    let j = json(&[
        "diff",
        "sum(cot(W*x))",
        "--wrt",
        "W",
        "--at",
        "W=[[1,0.5],[0.25,-1]],x=[0.5,0.25]",
        "--format",
        "json",
    ]);
    assert_eq!(j["derivative"], "-(cot(W*x).^2 + 1)*xᵀ");
    let x = [0.5, 0.25];
    let wx = [0.625f64, -0.125];
    let rows = j["value"].as_array().unwrap();
    for (i, row) in rows.iter().enumerate() {
        for (k, e) in row.as_array().unwrap().iter().enumerate() {
            let c = 1.0 / wx[i].tan();
            let want = -(1.0 + c * c) * x[k];
            let got = common::num(e);
            assert!(
                (got - want).abs() < 1e-13 * want.abs(),
                "[{i},{k}] {got} vs {want}"
            );
        }
    }
}
