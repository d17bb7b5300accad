//! `max` and `min`: any number of arguments, an argument given twice is one argument, and at a
//! tie of distinct arguments the derivative is shared equally (issue 10, items 2 and 14).
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
        ("max(x, y, x)", "max(x, y)"),
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
    let dir = std::env::temp_dir().join(format!("chainrule-maxmin-{}", std::process::id()));
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
