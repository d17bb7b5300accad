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
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule-sweep-{}", std::process::id()));
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

/// Issue 10.11: `fd` honours --digits, errors line up in scientific notation, each error has
/// its relative size, a plot is SVG or refused, and steps are labelled alike.
#[test]
fn fd_output_is_consistent_and_honours_digits() {
    let (code, out, _) = run(&[
        "fd",
        "examples/hw7_sigmoid.chain",
        "--arith",
        "mpfr:100",
        "--digits",
        "8",
    ]);
    assert_eq!(code, 0);
    let w1 = out
        .lines()
        .find(|l| l.trim_start().starts_with("w1"))
        .unwrap();
    let cells: Vec<&str> = w1.split_whitespace().collect();
    // gradient, then (quotient, error, rel.) per scheme
    assert_eq!(cells.len(), 2 + 3 * 3, "{w1}");
    assert_eq!(cells[1], "-1.172648");
    assert_eq!(cells[2], "-1.1725941");
    assert_eq!(cells[3], "5.40e-5");
    assert_eq!(cells[4], "4.6e-5");
    assert_eq!(cells[9], "-1.46e-9");
    assert!(out.contains("rel. = |error / gradient|"), "{out}");
    // Every inexact error in scientific notation, however large or small.
    for row in out.lines().skip(3) {
        let cells: Vec<&str> = row.split_whitespace().collect();
        for k in [3, 6, 9] {
            assert!(cells[k].contains('e'), "{row}");
        }
    }
    let j = json(&["fd", "examples/hw7_relu.chain", "--format", "json"]);
    let rel = j["rows"][0]["forward_relative_error"].as_str().unwrap();
    // (24.00360000008206 − 24)/24, the f64 quotient's own error included.
    assert!(
        rel.starts_with("1.50000003419") && rel.ends_with("e-4"),
        "{rel}"
    );
}

#[test]
fn a_png_plot_is_refused_before_any_work() {
    let (code, out, err) = run(&["sweep", "examples/hw7_sigmoid.chain", "--plot", "sweep.png"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("plots are written as SVG"), "{err}");
    assert!(!std::path::Path::new("sweep.png").exists());
}

#[test]
fn steps_are_labelled_in_scientific_notation() {
    use chainrule::fd::{fmt_delta, parse_step};
    for (step, want) in [
        ("1e-4", "1e-4"),
        ("1", "1e0"),
        ("0.0025", "2.5e-3"),
        ("0.00316227766016837933", "3.2e-3"),
        ("0.000316227766016837933", "3.2e-4"),
    ] {
        assert_eq!(fmt_delta(&parse_step(step).unwrap()), want, "{step}");
    }
    // In MPFR the least error of a sweep is at its smallest step: the legend says so rather
    // than calling it the best step.
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule-legend-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("v.svg");
    let (code, _, err) = run(&[
        "sweep",
        "examples/hw7_sigmoid.chain",
        "--arith",
        "mpfr:256",
        "--scheme",
        "forward",
        "--plot",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.contains("least error at the smallest Δ swept, 1e-10"),
        "legend"
    );
    assert!(!text.contains("best Δ"), "legend");
}

/// `E = sqrt(w)^2` at w = 0: the backward difference's w − Δ is undefined. The error says it
/// is that shifted point (it said "at this point w = -0.0001" as if it were the program's) and
/// that a forward difference needs only w + Δ; which works.
#[test]
fn an_undefined_shifted_point_is_named_as_such() {
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule-sqsq-{}.chain", std::process::id()));
    std::fs::write(&path, "E = sqrt(w)^2\nat w = 0\n").unwrap();
    let file = path.to_str().unwrap();
    let (code, _, err) = run(&["fd", file]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("(at w − Δ, Δ = 1e-4, in f64)"), "{err}");
    assert!(
        err.contains("w − Δ is the point the backward and central differences shift to"),
        "{err}"
    );
    assert!(
        err.contains("a forward difference needs only w + Δ"),
        "{err}"
    );
    let j = json(&["fd", file, "--scheme", "forward", "--format", "json"]);
    assert_eq!(num(&j["rows"][0]["forward"]), 1.0, "{j}");
    std::fs::remove_file(&path).unwrap();
}
