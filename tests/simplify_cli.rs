//! `chainrule simplify`: an expression as the user wrote it and the shortest equal form the
//! simplifier's rules find, with the parts that must stay defined, in text, LaTeX and JSON.

mod common;

use common::*;

#[test]
fn logistic_loss_gradient_in_sigmoid() {
    assert_eq!(
        ok(&["simplify", "sigmoid(o)*(1 - y) - y*(1 - sigmoid(o))"]),
        "sigmoid(o)*(1 - y) - y*(1 - sigmoid(o)) = sigmoid(o) - y\n"
    );
}

#[test]
fn cancelled_denominators_are_named_as_conditions() {
    let out = ok(&["simplify", "((1 - y)/(1 - p) - y/p)*p*(1 - p)"]);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("((1 - y)/(1 - p) - y/p)*p*(1 - p) = p - y")
    );
    let where_line = lines.next().expect("a line of conditions");
    assert!(where_line.starts_with("  where "), "{out}");
    assert!(where_line.ends_with(" are defined"), "{out}");
    assert!(where_line.contains("1/(1 - p)"), "{out}");
    assert!(where_line.contains("1/p"), "{out}");
    assert_eq!(lines.next(), None, "{out}");
}

#[test]
fn times_its_sign_is_abs() {
    assert_eq!(ok(&["simplify", "u*sign(u)"]), "u*sign(u) = abs(u)\n");
}

#[test]
fn nothing_shorter_is_said() {
    assert_eq!(
        ok(&["simplify", "x + y"]),
        "x + y = x + y\n  (already as short as the rules find)\n"
    );
    let j = json(&["simplify", "x + y", "--format", "json"]);
    assert_eq!(j["simplified"], "x + y");
    assert_eq!(j["size_before"], j["size_after"]);
    assert_eq!(j["conditions"], serde_json::json!([]));
}

/// Reading the input already cancelled `log(x)`: not "already as short", and the condition
/// reading kept is shown.
#[test]
fn conditions_from_reading_are_kept() {
    assert_eq!(
        ok(&["simplify", "log(x) - log(x)"]),
        "log(x) - log(x) = 0\n  where log(x) is defined\n"
    );
}

#[test]
fn json_fields() {
    let j = json(&[
        "simplify",
        "((1 - y)/(1 - p) - y/p)*p*(1 - p)",
        "--format",
        "json",
    ]);
    assert_eq!(j["input"], "((1 - y)/(1 - p) - y/p)*p*(1 - p)");
    assert_eq!(j["parsed"], "p*(1 - p)*((1 - y)/(1 - p) - y/p)");
    assert_eq!(j["simplified"], "p - y");
    assert_eq!(j["latex"], "p - y");
    let conds: Vec<&str> = j["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(conds.contains(&"1/(1 - p)"), "{conds:?}");
    assert!(conds.contains(&"1/p"), "{conds:?}");
    // SymPy's count_ops: p*(1 - p)*((1 - y)/(1 - p) - y/p) has 8 operations, p - y one.
    assert_eq!(j["size_before"], 8);
    assert_eq!(j["size_after"], 1);
}

#[test]
fn latex_output() {
    assert_eq!(
        ok(&["simplify", "u*sign(u)", "--format", "latex"]),
        "u \\cdot \\operatorname{sign}\\left(u\\right) = \\left|u\\right|\n"
    );
}

#[test]
fn latex_input() {
    assert_eq!(
        ok(&["simplify", "\\frac{a}{b} \\cdot b"]),
        "\\frac{a}{b} \\cdot b = a\n  where 1/b is defined\n"
    );
}

#[test]
fn standard_input() {
    let (code, out, err) = chainrule_with_input(&["simplify", "-"], "u*sign(u)\n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "u*sign(u) = abs(u)\n");
}

#[test]
fn errors_exit_2_with_a_caret() {
    let (code, out, err) = chainrule(&["simplify", "x +* 2"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(err.contains('┬') || err.contains('^'), "{err}");
    let (code, _, err) = chainrule(&["simplify", "x'*A*x"]);
    assert_eq!(code, 2);
    assert!(err.contains("scalar expressions only"), "{err}");
}
