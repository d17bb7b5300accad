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
