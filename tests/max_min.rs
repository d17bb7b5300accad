//! `max` and `min`: any number of arguments, `max(a, a)` is `a`, and at a tie the derivative
//! is shared equally among the arguments as written (issue 10, items 2 and 14; issue 9).
//! Every value is checked in every arithmetic: exact, MPFR, f64, and the compiled tape.

mod common;

use chainrule::eval::tape::Tape;
use chainrule::eval::{Mode, Point, evaluate};
use chainrule::expr::Store;
use chainrule::print::text;
use chainrule::syntax::read_expr;
use common::{json, ok};
use rug::{Float, Rational};

/// `∂expr/∂wrt` at `at` (`x=1,y=2`) in exact, MPFR, f64, tape f64 and tape MPFR, with the
/// function's value first: each arithmetic must give `want` (function value, derivative).
fn check(expr: &str, wrt: &str, at: &str, want: (f64, f64)) {
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, expr, "<expr>").unwrap();
    let w = store.intern(wrt);
    let d = chainrule::diff::diff(&mut store, e, w);
    let mut point = Point::new();
    for kv in at.split(',') {
        let (k, v) = kv.split_once('=').unwrap();
        point.insert(store.intern(k), v.parse::<Rational>().unwrap());
    }
    for mode in [Mode::Auto(128), Mode::Mpfr(128), Mode::F64] {
        let (vs, _) = evaluate(&store, &[e, d], &point, mode).unwrap();
        let got = (vs[0].to_f64(), vs[1].to_f64());
        assert_eq!(got, want, "{expr} by {wrt} at {at} in {mode:?}");
    }
    // The reverse sweep and its tape.
    let tape = Tape::gradient(&mut store, e, &[w]).unwrap();
    let xs: Vec<f64> = tape.inputs().iter().map(|s| point[s].to_f64()).collect();
    let out = tape.eval_f64(&xs);
    assert_eq!(
        (out[0], out[1]),
        want,
        "{expr} by {wrt} at {at} on the tape"
    );
    let qs: Vec<Rational> = tape.inputs().iter().map(|s| point[s].clone()).collect();
    let out: Vec<Float> = tape.mpfr_eval(128).eval_exact(&qs);
    assert_eq!(
        (out[0].to_f64(), out[1].to_f64()),
        want,
        "{expr} by {wrt} at {at} on the MPFR tape"
    );
    let batch = tape.eval_batch(&xs.iter().map(std::slice::from_ref).collect::<Vec<_>>());
    assert_eq!((batch[0][0], batch[1][0]), want, "{expr}: batch");
}

#[test]
fn an_argument_given_twice_is_one_argument() {
    let mut store = Store::new();
    for (src, want) in [
        ("max(x, x)", "x"),
        ("min(min(x, x), x)", "x"),
        // Only a call whose arguments are all one node collapses (issue 9): here x is
        // written twice and has two shares at a tie.
        ("max(x, y, x)", "max(x, y, x)"),
        ("max(2*x, x + x)", "2*x"),
    ] {
        let (e, _) = read_expr(&mut store, src, "<expr>").unwrap();
        assert_eq!(text(&store, e), want, "{src}");
    }
    // Derivative 1 everywhere, not 0 (it was 0 at every point).
    for at in ["x=-2", "x=0", "x=3"] {
        check("max(x, x)", "x", at, (at[2..].parse().unwrap(), 1.0));
        check(
            "min(min(x, x), x)",
            "x",
            at,
            (at[2..].parse().unwrap(), 1.0),
        );
    }
    assert_eq!(
        ok(&["diff", "max(x, x)", "--wrt", "x"]),
        "∂/∂x max(x, x) = 1\n"
    );
}

#[test]
fn a_tie_of_distinct_arguments_shares_the_derivative() {
    check("max(x, y)", "x", "x=1,y=1", (1.0, 0.5));
    check("max(x, y)", "y", "x=1,y=1", (1.0, 0.5));
    check("min(x, y)", "x", "x=1,y=1", (1.0, 0.5));
    check("max(x, y)", "x", "x=2,y=1", (2.0, 1.0));
    check("max(x, y)", "y", "x=2,y=1", (2.0, 0.0));
    check("min(x, y)", "x", "x=2,y=1", (1.0, 0.0));
    check("min(x, y)", "y", "x=2,y=1", (1.0, 1.0));
    // max(t, 0) at 0 is a tie: 1/2; relu'(0) stays 0.
    check("max(t, 0)", "t", "t=0", (0.0, 0.5));
    check("relu(t)", "t", "t=0", (0.0, 0.0));
    // Distinct expressions of equal value: the shares add up to the derivative of x.
    check("max(x, 2*x - x*x/x)", "x", "x=3", (3.0, 1.0));
}

#[test]
fn max_and_min_of_any_number_of_arguments() {
    check("max(x, y, z)", "x", "x=3,y=1,z=2", (3.0, 1.0));
    check("max(x, y, z)", "y", "x=3,y=1,z=2", (3.0, 0.0));
    check("max(x, y, z)", "z", "x=1,y=2,z=5", (5.0, 1.0));
    check("min(x, y, z)", "y", "x=3,y=1,z=2", (1.0, 1.0));
    check("min(x, 2*y, z)", "y", "x=3,y=1,z=5", (2.0, 2.0));
    check("max(1, x, 7, y)", "y", "x=2,y=9", (9.0, 1.0));
    check("max(1, x, 7, y)", "y", "x=2,y=3", (7.0, 0.0));
    // Three-way tie: a third each; two-way tie: a half each, the third none.
    check("max(x, y, z)", "x", "x=1,y=1,z=1", (1.0, 1.0 / 3.0));
    check("max(x, y, z)", "x", "x=1,y=1,z=0", (1.0, 0.5));
    check("max(x, y, z)", "z", "x=1,y=1,z=0", (1.0, 0.0));
    check("min(x, y, z, w)", "w", "x=0,y=0,z=4,w=0", (0.0, 1.0 / 3.0));
    let j = json(&[
        "eval",
        "max(1/3, x, y)",
        "--at",
        "x=1/4,y=1/5",
        "--format",
        "json",
    ]);
    assert_eq!(j["exact"], "1/3");
}

#[test]
fn ties_through_a_program_add_up() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule-maxmin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, src, want) in [
        ("two.chain", "u = x\nv = x\nm = max(u, v)\nat x = 2\n", "1"),
        (
            "nested.chain",
            "u = x\nv = x\nm = min(min(u, v), x)\nat x = 2\n",
            "1",
        ),
        (
            "three.chain",
            "u = x\nv = x\nw = x\nm = max(u, v, w)\nat x = -1\n",
            "1",
        ),
        (
            "scaled.chain",
            "u = 2*x\nv = x + x\nm = max(u, v)\nat x = 5\n",
            "2",
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, src).unwrap();
        let j = json(&["backprop", path.to_str().unwrap(), "--format", "json"]);
        assert_eq!(
            j["gradient"],
            serde_json::json!({ "x": want }),
            "{name}: {j}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The value of a JSON field, whether a string (`"4/3"`) or a number.
fn value_of(v: &serde_json::Value) -> f64 {
    common::num(v)
}

/// `max(x, x, 2x - 1)` at x = 1: three tied arguments as written, a third each, so the
/// derivative is 1/3 + 1/3 + 2/3 = 4/3 (PyTorch's rule) in every form. The constructor used
/// to collapse it to `max(x, 2x - 1)` (3/2) while the intermediates kept `u` and `x` apart
/// (4/3): two different gradients in one program.
#[test]
fn a_repeated_argument_among_three_has_its_share_in_every_form() {
    check("max(x, x, 2*x - 1)", "x", "x=1", (1.0, 4.0 / 3.0));
    check("min(x, 2*x - 1, x)", "x", "x=1", (1.0, 4.0 / 3.0));
    // No tie: the repeated argument loses or wins alone.
    check("max(x, x, 2*x - 1)", "x", "x=3", (5.0, 2.0));
    check("max(x, x, 2*x - 1)", "x", "x=0", (0.0, 1.0));
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule-maxmin3-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, src, wrt, want) in [
        (
            "m3p.chain",
            "u = x\nw = 2*x - 1\nE = max(u, x, w)\nat x = 1\n",
            "x",
            4.0 / 3.0,
        ),
        (
            "mm.chain",
            "u = x\nv = x\nw = 2*x-1\nm = max(u,v,w)\nE = m*y\nat x=1, y=3\n",
            "x",
            4.0,
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, src).unwrap();
        let file = path.to_str().unwrap();
        // backprop (intermediates, swept backward).
        let j = json(&["backprop", file, "--format", "json"]);
        assert_eq!(value_of(&j["gradient"][wrt]), want, "{name} backprop: {j}");
        // grad: the value and the expanded formula evaluated at the point.
        let j = json(&["grad", file, "--form", "both", "--format", "json"]);
        let g = &j["gradient"][0];
        assert_eq!(g["param"], wrt);
        assert_eq!(value_of(&g["value"]), want, "{name} grad: {j}");
        let expanded = g["expanded"].as_str().unwrap();
        let e = json(&["eval", expanded, "--at", "x=1,y=3", "--format", "json"]);
        assert_eq!(value_of(&e["exact"]), want, "{name} expanded {expanded}");
        // check: the claimed value is right at the program's point (it used to say
        // "at x = 1 …, yours is 4 but ∂E/∂x is 9/2"); a constant claim is still not a formula,
        // as another point shows (x = 1/6: no tie there).
        let claim = if name == "mm.chain" { "4*y/3" } else { "4/3" };
        let (_, out, _) = common::chainrule(&["check", file, "--wrt", wrt, "--claim", claim]);
        assert!(!out.contains("at x = 1,"), "{name} check: {out}");
        assert!(out.contains("Not the same"), "{name} check: {out}");
        // --points.
        let csv = dir.join("p.csv");
        std::fs::write(&csv, "x,y\n1,3\n").unwrap();
        let out = ok(&["grad", file, "--points", csv.to_str().unwrap()]);
        let row: Vec<f64> = out
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .map(|c| c.parse().unwrap())
            .collect();
        assert!((row[1] - want).abs() < 1e-15, "{name} --points: {out}");
    }
    // diff of the expanded formula.
    let j = json(&[
        "diff",
        "max(x, x, 2*x - 1)",
        "--wrt",
        "x",
        "--at",
        "x=1",
        "--format",
        "json",
    ]);
    assert_eq!(value_of(&j["exact"]), 4.0 / 3.0, "{j}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The partials of an n-argument max share one count of the tied arguments: the derivative of
/// `max(x*1, …, x*n)` takes O(n) nodes (it took O(n²): 18 s and 1.67 GB at n = 2,000).
#[test]
fn the_derivative_of_a_long_max_is_linear() {
    let n = 20_000;
    let src = format!(
        "max({})",
        (1..=n)
            .map(|i| format!("x*{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, &src, "<expr>").unwrap();
    let x = store.intern("x");
    let before = store.dag_size(e);
    let d = chainrule::diff::diff(&mut store, e, x);
    let size = store.dag_size(d);
    assert!(size < 12 * before, "{size} nodes for {before}");
    let grad = chainrule::diff::gradient(&mut store, e, &[x]);
    assert!(store.dag_size(grad[0]) < 12 * before);
    for (at, want) in [
        // One maximum: x*n.
        (1, Rational::from(n)),
        // All tie at 0: the mean of 1..n.
        (0, Rational::from((n + 1, 2))),
    ] {
        let mut point = Point::new();
        point.insert(x, Rational::from(at));
        for id in [d, grad[0]] {
            let (vs, _) = evaluate(&store, &[id], &point, Mode::Auto(64)).unwrap();
            assert_eq!(vs[0].to_f64(), want.to_f64(), "at x = {at}");
        }
    }
}

/// A maximum of three whose winner is a sum of irrational terms: k = max(sqrt(w) + exp(w),
/// tan(w), 1/2). Its derivative tested the winner with step(k - sqrt(w) - exp(w)), k the
/// rounded value of sqrt(w) + exp(w), so the step saw the rounding error: above 0 at most
/// points, the winner lost, no argument won, and backprop failed with a division by zero
/// (exit 1) at w = 0.7, 1.1, 0.2 and 0.55. The arguments are now compared with each other.
/// dE/dw = 2k·(1/(2√w) + e^w), by mpmath at 30 digits.
#[test]
fn the_winner_of_three_is_found_whatever_the_rounding() {
    let dir = common::scratch_dir("maxmin-rounding", &[]);
    // mpmath: 14.8869475691132875569040…, 28.2159787291581688998109…
    for (w, want) in [
        ("0.7", "14.886947569113287557"),
        ("1.1", "28.2159787291581689"),
    ] {
        let path = dir.join(format!("max3-{w}.chain"));
        std::fs::write(
            &path,
            format!("k = max(sqrt(w) + exp(w), tan(w), 0.5)\nE = k^2\nat w = {w}\n"),
        )
        .unwrap();
        let j = json(&["backprop", path.to_str().unwrap(), "--format", "json"]);
        let got = j["gradient"]["w"].as_str().unwrap();
        assert!(
            got.starts_with(&want[..17]),
            "at w = {w}: {got}, want {want}"
        );
        // The same rule in diff, exact to 20 digits.
        let out = ok(&[
            "diff",
            "max(sqrt(w) + exp(w), tan(w), 0.5)^2",
            "--wrt",
            "w",
            "--at",
            &format!("w={w}"),
        ]);
        assert!(out.contains(&format!("at w = {w}: {want} (MPFR")), "{out}");
    }
    // A tie of three still shares: max(x, 2x - 1, 3x - 2) at x = 1 is (1 + 2 + 3)/3.
    check("max(x, 2*x - 1, 3*x - 2)", "x", "x=1", (1.0, 2.0));
    check("min(x, 2*x - 1, 3*x - 2)", "x", "x=2", (2.0, 1.0));
}
