//! The SymPy matrix oracle (tests/data/matrix_derivatives.jsonl, 36 cases computed entry by
//! entry): `chainrule diff EXPR --wrt V --at … --precision 256 --format json` gives each
//! case's `shape` and `value` (exactly where the value is rational, else to 1e-30).

use rug::{Float, Rational};
use serde_json::Value as Json;
use std::process::Command;

/// `A=[[1,2],[3,4]],x=[1,2],c=3` from the case's point.
fn at_arg(at: &serde_json::Map<String, Json>) -> String {
    let value = |v: &Json| -> String {
        match v {
            Json::String(s) => s.clone(),
            Json::Array(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(|i| match i {
                        Json::String(s) => s.clone(),
                        Json::Array(row) => format!(
                            "[{}]",
                            row.iter()
                                .map(|x| x.as_str().unwrap().to_string())
                                .collect::<Vec<_>>()
                                .join(",")
                        ),
                        _ => panic!("bad entry"),
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            _ => panic!("bad value"),
        }
    };
    at.iter()
        .map(|(k, v)| format!("{k}={}", value(v)))
        .collect::<Vec<_>>()
        .join(",")
}

fn flatten(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::String(s) => out.push(s.clone()),
        Json::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        _ => panic!("not a value: {v}"),
    }
}

fn close(got: &str, want: &str) -> bool {
    let g = Float::with_val(300, Float::parse(got).unwrap());
    let w = Float::with_val(300, Float::parse(want).unwrap());
    let diff = Float::with_val(300, &g - &w).abs();
    if w.is_zero() {
        return diff < 1e-30;
    }
    diff / w.abs() < 1e-30
}

#[test]
fn every_matrix_oracle_case_matches() {
    let text = include_str!("data/matrix_derivatives.jsonl");
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Json = serde_json::from_str(line).unwrap();
        let id = case["id"].as_str().unwrap();
        let at = at_arg(case["at"].as_object().unwrap());
        let out = Command::new(env!("CARGO_BIN_EXE_chainrule"))
            .args(["diff", case["expr"].as_str().unwrap(), "--wrt"])
            .arg(case["wrt"].as_str().unwrap())
            .args(["--at", &at, "--precision", "256", "--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{id}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let j: Json = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(j["shape"], case["shape"], "{id}: shape");
        assert_eq!(j["kind"], case["kind"], "{id}: kind");
        let (mut got, mut want) = (Vec::new(), Vec::new());
        flatten(&j["value"], &mut got);
        flatten(&case["expected"], &mut want);
        assert_eq!(got.len(), want.len(), "{id}: number of entries");
        // Nested as the contract says: the same structure as `expected`.
        assert_eq!(
            serde_json::to_string(&j["value"])
                .unwrap()
                .matches('[')
                .count(),
            serde_json::to_string(&case["expected"])
                .unwrap()
                .matches('[')
                .count(),
            "{id}: nesting"
        );
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(close(g, w), "{id}: entry {k}: got {g}, SymPy {w}");
        }
        // Where every entry is rational, the exact values are given and equal SymPy's.
        if j["exact"].is_array() {
            let mut exact = Vec::new();
            flatten(&j["exact"], &mut exact);
            for (e, w) in exact.iter().zip(&want) {
                let r: Rational = e.parse().unwrap();
                let f = Float::with_val(300, &r);
                assert!(close(&f.to_string(), w), "{id}: exact {e} vs {w}");
            }
        }
        n += 1;
    }
    assert_eq!(n, 36);
}
