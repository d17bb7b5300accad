//! `chainrule diff` and `chainrule eval` from the command line: JSON contract and numbers.

mod common;

use common::{chainrule, json};

#[test]
fn diff_json_gives_the_homework_gradient_exactly() {
    let j = json(&[
        "diff",
        "(y - w3*relu(w2*relu(w1*x)))^2",
        "--wrt",
        "w1,w2,w3",
        "--at",
        "x=1,y=10,w1=2,w2=2,w3=3",
        "--format",
        "json",
    ]);
    let rows = j.as_array().expect("one object per variable");
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["wrt"].as_str().unwrap(),
                r["value"].as_str().unwrap(),
                r["exact"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("w1", "24", "24"), ("w2", "24", "24"), ("w3", "16", "16")]
    );
    assert_eq!(
        rows[2]["derivative"],
        "-2*relu(w2*relu(w1*x))*(y - w3*relu(w2*relu(w1*x)))"
    );
}

#[test]
fn eval_carries_every_digit_of_the_precision_in_json() {
    let j = json(&["eval", "sqrt(2)", "--precision", "200", "--format", "json"]);
    let v = j["value"].as_str().unwrap();
    // √2 to 61 significant digits (200 bits carry about 60.2).
    assert!(
        v.starts_with("1.414213562373095048801688724209698078569671875376948073176679"),
        "{v}"
    );
    assert_eq!(j["exact"], serde_json::Value::Null);
    let j = json(&["eval", "3/4 + 1e-4", "--format", "json"]);
    assert_eq!(j["exact"], "7501/10000");
    assert_eq!(j["value"], "0.7501");
}

#[test]
fn leading_minus_stdin_and_exit_codes() {
    let (code, out, err) = chainrule(&["diff", "-y*log(p)", "--wrt", "p", "--at", "y=1,p=0.25"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("= -y/p") && out.contains(": -4 (exact)"),
        "{out}"
    );
    let (code, out, _) = chainrule(&["diff", "--wrt", "p", "--", "-y*log(p)"]);
    assert_eq!(code, 0);
    assert!(out.contains("= -y/p"));
    let (code, _, err) = chainrule(&["eval", "log(x)", "--at", "x=-1"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("log of a non-positive number"), "{err}");
    let (code, _, err) = chainrule(&["eval", "2*"]);
    assert_eq!(code, 2, "{err}");
}

/// The textbook's unspecified functions (`f`, `σ`, `ℓ`) get no "did you mean `d`?"; a word
/// that is no built-in gets a warning naming the nearest built-in (issue 9.13, 10.9).
#[test]
fn unspecified_functions_get_hints_only_where_plausible() {
    let (code, out, err) = chainrule(&["diff", "σ(w*x) + ℓ(y, f(g(w)))", "--wrt", "w"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    assert!(out.contains("σ'(w*x)"), "{out}");
    let (code, _, err) = chainrule(&["eval", "h(x)", "--at", "x=1"]);
    assert_eq!(code, 1);
    assert!(!err.contains("did you mean"), "{err}");
    let (_, _, err) = chainrule(&["diff", "sigma(w*x)", "--wrt", "w"]);
    assert!(err.contains("the nearest built-in is `sigmoid`"), "{err}");
}

/// `ln` is the natural logarithm; `--format tex` is LaTeX.
#[test]
fn ln_is_the_natural_logarithm() {
    let (code, out, err) = chainrule(&["diff", "ln(x)", "--wrt", "x", "--at", "x=4"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("= 1/x") && out.contains(": 1/4 = 0.25 (exact)"),
        "{out}"
    );
    let (code, out, err) = chainrule(&["eval", "ln(x)", "--at", "x=1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("= 0 (exact)"), "{out}");
    let (code, out, err) = chainrule(&["eval", "x", "--at", "x=1", "--format", "tex"]);
    assert_eq!((code, out.as_str()), (0, "x = 1\n"), "{err}");
}
