//! `--points FILE.csv`: batch evaluation with the compiled tape, from the command line.

mod common;

use common::chainrule as run;

fn points_file(name: &str, text: &str) -> String {
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn rows(csv: &str) -> Vec<Vec<f64>> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect()
}

#[test]
fn grad_over_points_gives_the_homework_gradient_and_others() {
    let f = points_file("hw7.csv", "w1,w2,w3,x,y\n2,2,3,1,10\n0.5,1,2,2,3\n");
    let (code, out, err) = run(&["grad", "examples/hw7_relu.chain", "--points", &f]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().next().unwrap(), "E,dE/dw1,dE/dw2,dE/dw3");
    let r = rows(&out);
    assert_eq!(r[0], [4.0, 24.0, 24.0, 16.0]);
    // Second point: z1 = 1, x1 = 1, z2 = 1, x2 = 1, ŷ = 2, E = (3 - 2)^2 = 1, δ_ŷ = -2.
    assert_eq!(r[1], [1.0, -8.0, -4.0, -2.0]);
    assert!(err.is_empty(), "{err}");
}

#[test]
fn eval_over_points_and_rows_outside_the_domain() {
    let f = points_file("x.csv", "x\n3\n1\n");
    let (code, out, err) = run(&["eval", "log(x - 2) + x^2", "--points", &f]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "value");
    assert_eq!(lines[1].parse::<f64>().unwrap(), 9.0);
    assert_eq!(lines[2], "NaN");
    assert!(
        err.contains("1 of the points (the first is row 2) are outside the domain"),
        "{err}"
    );
}

#[test]
fn a_missing_column_is_a_usage_error() {
    let f = points_file("y.csv", "y\n1\n");
    let (code, _, err) = run(&["eval", "x + y", "--points", &f]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no column `x`"), "{err}");
}

/// Spreadsheets save "CSV UTF-8" with a byte-order mark: the first column is still `w1`.
#[test]
fn a_byte_order_mark_is_not_part_of_the_first_name() {
    let f = points_file("bom.csv", "\u{feff}w1,w2,w3,x,y\n2,2,3,1,10\n");
    let (code, out, err) = run(&["grad", "examples/hw7_relu.chain", "--points", &f]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows(&out)[0], [4.0, 24.0, 24.0, 16.0]);
}

/// Two columns with one name: an error naming it, not the first column silently.
#[test]
fn a_duplicate_column_is_a_usage_error() {
    let f = points_file("dup.csv", "x,y,x\n1,2,3\n");
    let (code, out, err) = run(&["eval", "x + y", "--points", &f]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("two columns named `x` (columns 1 and 3)"),
        "{err}"
    );
}

/// A row is undefined when any part of the formula is, even where a built-in turns NaN or
/// −∞ into a number (`max(log(x), 0)` at x = 0 was 0, with no warning): issue 9.
#[test]
fn a_built_in_does_not_hide_an_undefined_row() {
    let f = points_file("hide.csv", "x,y\n-1,0\n0,0\n2,1\n");
    for (expr, want) in [
        ("max(log(x), 0)", ["NaN", "NaN", "0.6931471805599453"]),
        ("sigmoid(log(x))", ["NaN", "NaN", "0.6666666666666666"]),
        ("relu(log(x))", ["NaN", "NaN", "0.6931471805599453"]),
        ("step(sqrt(x))", ["NaN", "0", "1"]),
        ("min(sqrt(x), y)", ["NaN", "0", "1"]),
        // An output that is itself infinite stays so (as `log(x)` at 0); the row is counted.
        ("min(log(x), 1)", ["NaN", "-inf", "0.6931471805599453"]),
    ] {
        let (code, out, err) = run(&["eval", expr, "--points", &f]);
        assert_eq!(code, 0, "{err}");
        let lines: Vec<&str> = out.lines().skip(1).collect();
        assert_eq!(lines, want, "{expr}");
        let bad = want
            .iter()
            .filter(|v| v.parse::<f64>().unwrap().is_nan() || v.contains("inf"))
            .count();
        assert!(
            err.contains(&format!(
                "{bad} of the points (the first is row 1) are outside"
            )),
            "{expr}: {err}"
        );
    }
    // Through a program's gradient: backprop at w = 1, x = -1 is a domain error, and so is
    // the row (it printed `1,1,-0`).
    let prog = points_file("relu_log.chain", "z = w*x\na = log(z)\nE = relu(a) + w\n");
    let f = points_file("relu_log.csv", "w,x\n1,-1\n1,2\n");
    let (code, out, err) = run(&["grad", &prog, "--points", &f]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "E,dE/dw,dE/dx");
    assert_eq!(lines[1], "NaN,NaN,NaN");
    assert_eq!(rows(&out)[1], [1.0 + 2f64.ln(), 2.0, 0.5]);
    assert!(
        err.contains("1 of the points (the first is row 1)"),
        "{err}"
    );
    let (code, _, err) = run(&["backprop", &prog, "--at", "w=1,x=-1"]);
    assert_ne!(code, 0, "{err}");
}

/// `-0` prints as 0, and a constant has a value in every row (it had no rows).
#[test]
fn negative_zero_and_constants() {
    let f = points_file("negzero.csv", "x,y\n-1,0\n0,0\n2,1\n");
    let (code, out, err) = run(&["eval", "x*y", "--points", &f]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "value\n0\n0\n2\n");
    let (code, out, err) = run(&["eval", "0*x + 3", "--points", &f]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "value\n3\n3\n3\n");
}

/// Layers that carry domain conditions (`x_k = sigmoid(z_k)*z_k/z_k`: z_k ≠ 0) keep
/// `grad --points` linear in the depth: collecting the conditions' inputs was a walk and a
/// list scan per condition, cubic (2,000 layers 0.85 s, 20,000 over 300 s). The values: each
/// layer is sigmoid(z_k) where z_k ≠ 0, a row with some z_k = 0 is undefined.
#[test]
fn deep_programs_with_conditions_over_points() {
    let n = 3000;
    let mut src = String::from("x0 = x\n");
    for k in 1..=n {
        src.push_str(&format!(
            "z{k} = w*x{} + b\nx{k} = sigmoid(z{k})*z{k}/z{k}\n",
            k - 1
        ));
    }
    src.push_str(&format!("E = x{n}\nwrt w, b\n"));
    let prog = points_file("deep_cond.chain", &src);
    // b = 0, x = 0: z1 = 0, undefined. w = 0, b = 1: every layer sigmoid(1).
    let f = points_file("deep_cond.csv", "x,w,b\n0,1,0\n5,0,1\n");
    let (code, out, err) = run(&["grad", &prog, "--points", &f]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "E,dE/dw,dE/db");
    assert_eq!(lines[1], "NaN,NaN,NaN");
    let s = 1.0 / (1.0 + (-1f64).exp());
    let r = &rows(&out)[1];
    // With w = 0 only the last layer's b reaches E: dE/db = σ'(1), dE/dw = σ'(1)·x_{n-1}.
    let ds = s * (1.0 - s);
    assert!((r[0] - s).abs() < 1e-15, "{out}");
    assert!((r[1] - ds * s).abs() < 1e-15, "{out}");
    assert!((r[2] - ds).abs() < 1e-15, "{out}");
}
