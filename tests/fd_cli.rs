//! `chainrule fd` and `chainrule sweep` from the command line, on the homework's examples.

mod common;

use common::{chainrule as run, json, num};

#[test]
fn homework_q1_table_comes_out_of_fd() {
    let j = json(&[
        "fd",
        "examples/hw7_relu.chain",
        "--scheme",
        "all",
        "--format",
        "json",
    ]);
    assert_eq!(j["delta"], "1/10000");
    assert_eq!(j["arith"], "f64");
    let want = [
        ("w1", 24.0, 24.0036, 23.9964),
        ("w2", 24.0, 24.0036, 23.9964),
        ("w3", 16.0, 16.0016, 15.9984),
    ];
    let rows = j["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for (row, (p, g, f, b)) in rows.iter().zip(want) {
        assert_eq!(row["param"], p);
        assert_eq!(num(&row["gradient"]), g);
        assert!((num(&row["forward"]) - f).abs() < 1e-9, "{row}");
        assert!((num(&row["backward"]) - b).abs() < 1e-9, "{row}");
        assert!((num(&row["central"]) - g).abs() < 1e-9, "{row}");
    }
}

#[test]
fn exact_quotients_are_exact() {
    let j = json(&[
        "fd",
        "examples/hw7_relu.chain",
        "--arith",
        "exact",
        "--format",
        "json",
    ]);
    let w1 = &j["rows"][0];
    assert_eq!(w1["forward"], "60009/2500");
    assert_eq!(w1["forward_error"], "9/2500");
    assert_eq!(w1["central"], "24");
    assert_eq!(w1["central_error"], "0");
    let w3 = &j["rows"][2];
    assert_eq!(w3["backward"], "9999/625");
}

#[test]
fn sweep_shows_the_v_in_f64_and_a_line_at_256_bits() {
    let dir = std::env::temp_dir().join(format!("chainrule-sweep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("v.svg");
    let csv = dir.join("v.csv");
    let j = json(&[
        "sweep",
        "examples/hw7_sigmoid.chain",
        "--arith",
        "f64,mpfr:256",
        "--scheme",
        "forward,central",
        "--plot",
        svg.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(j["deltas"].as_array().unwrap().len(), 10);
    let series = j["series"].as_array().unwrap();
    assert_eq!(series.len(), 4);
    for s in series {
        let errors: Vec<f64> = s["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_f64().unwrap())
            .collect();
        let (min_i, _) = errors
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.partial_cmp(b.1).unwrap())
            .unwrap();
        let slope = s["slope"].as_f64().unwrap();
        let order = if s["scheme"] == "forward" { 1.0 } else { 2.0 };
        if s["arith"] == "f64" {
            // The V: the minimum is inside, and both ends are far above it.
            assert!(min_i > 0 && min_i < 9, "{s}");
            assert!(
                errors[0] > 1e3 * errors[min_i] && errors[9] > 1e3 * errors[min_i],
                "{s}"
            );
        } else {
            // A straight line: smallest error at the smallest step, slope = order (norm).
            assert_eq!(min_i, 0, "{s}");
            assert!((slope - order).abs() < 0.05, "{s}");
        }
    }
    let svg_text = std::fs::read_to_string(&svg).unwrap();
    assert!(svg_text.starts_with("<svg") || svg_text.starts_with("<?xml"));
    assert!(svg_text.contains("step size Δ"));
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(csv_text.lines().count(), 11, "{csv_text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_requests_are_usage_errors() {
    for args in [
        vec!["fd", "examples/hw7_relu.chain", "--delta", "0"],
        vec!["fd", "examples/hw7_relu.chain", "--arith", "mpfr:1"],
        vec!["fd", "examples/hw7_relu.chain", "--scheme", "sideways"],
        vec!["fd", "examples/hw7_relu.chain", "--format", "latex"],
        vec![
            "sweep",
            "examples/hw7_relu.chain",
            "--deltas",
            "1e-1:1e-10:0",
        ],
        vec!["fd", "examples/hw7_sigmoid.chain", "--arith", "exact"],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
