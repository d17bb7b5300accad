//! A table of derivatives covering every built-in, the chain, product and quotient rules,
//! abstract functions and the homework network: printed text and LaTeX are snapshots
//! (snapshots/derivatives_text.snap, derivatives_latex.snap); every printed form parses
//! back to the same node; and every derivative agrees with a 256-bit central difference.

#[path = "common/cases.rs"]
mod cases;
mod common;

use cases::DERIVATIVES;
use chainrule::diff::diff;
use chainrule::eval::{Mode, Point, Value, evaluate};
use chainrule::expr::{Id, Store};
use chainrule::print::{latex, text};
use chainrule::syntax::read_expr;
use rug::{Float, Rational};

fn derive(store: &mut Store, expr: &str, wrt: &str) -> (Id, Id) {
    let (e, _) = read_expr(store, expr, "<case>").unwrap();
    let v = store.intern(wrt);
    (e, diff(store, e, v))
}

fn settings() -> insta::Settings {
    common::snapshot_settings()
}

#[test]
fn at_least_forty_cases() {
    assert!(DERIVATIVES.len() >= 40);
}

#[test]
fn derivative_table_text() {
    let mut out = String::new();
    for (expr, wrt, _) in DERIVATIVES {
        let mut store = Store::new();
        let (e, d) = derive(&mut store, expr, wrt);
        out.push_str(&format!(
            "d/d{wrt} {} = {}\n",
            text(&store, e),
            text(&store, d)
        ));
    }
    settings().bind(|| insta::assert_snapshot!("derivatives_text", out));
}

#[test]
fn derivative_table_latex() {
    let mut out = String::new();
    for (expr, wrt, _) in DERIVATIVES {
        let mut store = Store::new();
        let (e, d) = derive(&mut store, expr, wrt);
        out.push_str(&format!("{}  ⟶  {}\n", latex(&store, e), latex(&store, d)));
    }
    settings().bind(|| insta::assert_snapshot!("derivatives_latex", out));
}

#[test]
fn the_issue_examples_print_as_a_careful_person_would() {
    let cases = [
        ("x^2", "x", "2*x"),
        ("sigmoid(x)", "x", "sigmoid(x)*(1 - sigmoid(x))"),
        ("tanh(x)", "x", "1 - tanh(x)^2"),
        ("softplus(x)", "x", "sigmoid(x)"),
        ("relu(x)", "x", "step(x)"),
        ("log(x)", "x", "1/x"),
        ("(y - w*x)^2", "w", "-2*x*(y - w*x)"),
        ("exp(2x)", "x", "2*exp(2*x)"),
        ("x^y", "x", "y*x^(y - 1)"),
        ("x^y", "y", "x^y*log(x)"),
        ("sqrt(x)", "x", "1/(2*sqrt(x))"),
        ("abs(x)", "x", "sign(x)"),
        ("σ(w*x)", "w", "x*σ'(w*x)"),
        ("ℓ(y, ŷ)", "ŷ", "∂_2 ℓ(y, ŷ)"),
        ("f'(x)", "x", "f''(x)"),
        ("d(x^3, x)", "x", "6*x"),
    ];
    for (expr, wrt, want) in cases {
        let mut store = Store::new();
        let (_, d) = derive(&mut store, expr, wrt);
        assert_eq!(text(&store, d), want, "d/d{wrt} {expr}");
    }
}

#[test]
fn no_one_times_no_plus_zero_no_double_minus() {
    for (expr, wrt, _) in DERIVATIVES {
        let mut store = Store::new();
        let (_, d) = derive(&mut store, expr, wrt);
        let t = text(&store, d);
        for bad in ["1*", "+ 0", "--", "+ -", "- -", "^1)", "*1)"] {
            let hit = t.match_indices(bad).any(|(i, _)| {
                // `1*` only counts as a factor of its own, not as the end of `21*` or `w1*`
                bad != "1*" || i == 0 || t[..i].ends_with(['(', ' ', '*', '/', '-'])
            });
            assert!(!hit, "d/d{wrt} {expr} printed as {t} contains {bad:?}");
        }
    }
}

#[test]
fn printed_text_parses_back_to_the_same_node() {
    for (expr, wrt, _) in DERIVATIVES {
        let mut store = Store::new();
        let (e, d) = derive(&mut store, expr, wrt);
        for id in [e, d] {
            let t = text(&store, id);
            let (back, _) = read_expr(&mut store, &t, "<printed>").unwrap();
            assert_eq!(back, id, "{t} does not round-trip");
        }
    }
}

fn point(store: &mut Store, spec: &str) -> Point {
    chainrule::cli::parse_point(store, &[spec.to_string()]).unwrap()
}

/// The value at 256 bits, as a float.
fn at(store: &Store, id: Id, p: &Point) -> Float {
    let v = evaluate(store, &[id], p, Mode::Mpfr(256))
        .unwrap()
        .0
        .remove(0);
    v.to_float(256)
}

#[test]
fn derivatives_agree_with_a_high_precision_central_difference() {
    // Central difference at 256 bits with h = 2^-60: truncation error ~h² ≈ 1e-36 times the
    // third derivative, rounding error ~2^-256/h ≈ 1e-59; 1e-25 relative leaves wide margin.
    let h = Rational::from((1, 1u64 << 60));
    for (expr, wrt, spec) in DERIVATIVES.iter().filter(|c| !c.2.is_empty()) {
        let mut store = Store::new();
        let (e, d) = derive(&mut store, expr, wrt);
        let p = point(&mut store, spec);
        let v = store.intern(wrt);
        let mut plus = p.clone();
        let mut minus = p.clone();
        *plus.get_mut(&v).unwrap() += &h;
        *minus.get_mut(&v).unwrap() -= &h;
        let fd = Float::with_val(256, at(&store, e, &plus) - at(&store, e, &minus))
            / (2 * Float::with_val(256, &h));
        let exact = at(&store, d, &p);
        let err = Float::with_val(256, &fd - &exact).abs();
        let tol = Float::with_val(256, exact.abs_ref()).max(&Float::with_val(256, 1)) * 1e-25;
        assert!(
            err <= tol,
            "d/d{wrt} {expr} at {spec}: symbolic {exact} vs difference {fd}"
        );
    }
}

#[test]
fn the_homework_gradient_is_exactly_24_24_16() {
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, "(y - w3*relu(w2*relu(w1*x)))^2", "<hw7>").unwrap();
    let p = point(&mut store, "x=1,y=10,w1=2,w2=2,w3=3");
    let want = [("w1", 24), ("w2", 24), ("w3", 16)];
    for (w, g) in want {
        let s = store.intern(w);
        let d = diff(&mut store, e, s);
        let v = evaluate(&store, &[d], &p, Mode::Auto(128))
            .unwrap()
            .0
            .remove(0);
        assert_eq!(v, Value::Exact(Rational::from(g)), "∂E/∂{w}");
    }
}

/// `0^y` is 0 for y > 0, and so is its derivative by y (it read `0^y*log(0)` and failed at
/// y = 3/5 with a domain error); at y = 0 it jumps (0^0 = 1), so there is no derivative there,
/// and for y < 0 no function: `0^y·log(y)` is 0 for y > 0 and undefined elsewhere (it was 0 at
/// y = 0 too, a wrong answer). Other constant bases keep `b^y·log(b)`.
#[test]
fn zero_to_a_variable_power_has_derivative_zero_where_it_has_one() {
    for (expr, want_text, at, want) in [
        ("0^y", "0^y*log(y)", "3/5", Some(Rational::new())),
        (
            "0^(y^2) + y",
            "2*y*0^(y^2)*log(y^2) + 1",
            "3/10",
            Some(Rational::from(1)),
        ),
        ("x*0^y", "x*0^y*log(y)", "2", Some(Rational::new())),
        ("0^y", "0^y*log(y)", "0", None),
        ("0^(y^2) + y", "2*y*0^(y^2)*log(y^2) + 1", "0", None),
        ("0^y", "0^y*log(y)", "-1", None),
    ] {
        let mut store = Store::new();
        let (_, d) = derive(&mut store, expr, "y");
        assert_eq!(text(&store, d), want_text, "{expr}");
        let mut point = Point::new();
        point.insert(store.intern("y"), at.parse::<Rational>().unwrap());
        point.insert(store.intern("x"), Rational::from(2));
        let got = evaluate(&store, &[d], &point, Mode::Auto(128)).map(|(v, _)| v[0].clone());
        match want {
            Some(w) => assert_eq!(got.unwrap(), Value::Exact(w), "{expr} at {at}"),
            None => assert_eq!(got.unwrap_err().exit_code(), 1, "{expr} at {at}"),
        }
    }
    let mut store = Store::new();
    let (_, d) = derive(&mut store, "2^y", "y");
    assert_eq!(text(&store, d), "2^y*log(2)");
    // Through a program's backward pass too.
    let mut net =
        chainrule::network::load("a = 0^y\nE = a*w\nat y = 0.5, w = 2\n", "p", None).unwrap();
    let bw = net.backward();
    let point = net.point.clone();
    let t = net.trace(&bw, &point, Mode::Auto(128)).unwrap();
    let zero = Value::Exact(Rational::new());
    assert_eq!(t.gradient, [zero.clone(), zero]);
}

/// `sech` (issue 10.9): sech(t) = 1/cosh(t), derivative −sech(t)·tanh(t), exact at 0, and the
/// same value in every arithmetic.
#[test]
fn sech_is_one_over_cosh() {
    let mut store = Store::new();
    let (e, d) = derive(&mut store, "sech(2*x)", "x");
    assert_eq!(text(&store, d), "-2*sech(2*x)*tanh(2*x)");
    let mut point = Point::new();
    point.insert(store.intern("x"), Rational::from((1, 2)));
    let (v, _) = evaluate(&store, &[e, d], &point, Mode::Auto(128)).unwrap();
    let (f, df) = (v[0].to_f64(), v[1].to_f64());
    assert!((f - 1.0 / 1f64.cosh()).abs() < 1e-15, "{f}");
    assert!((df + 2.0 * 1f64.tanh() / 1f64.cosh()).abs() < 1e-15, "{df}");
    let (v, _) = evaluate(&store, &[e], &point, Mode::F64).unwrap();
    assert_eq!(v[0], Value::F64(1.0 / 1f64.cosh()));
    point.insert(store.intern("x"), Rational::new());
    let (v, _) = evaluate(&store, &[e], &point, Mode::Auto(128)).unwrap();
    assert_eq!(v[0], Value::Exact(Rational::from(1)));
}

/// `cot`: derivative −(1 + cot(t)²), which agrees with a central difference of the MPFR
/// cotangent, prints as `\cot` in LaTeX and reads back from it.
#[test]
fn cot_derivative_and_latex() {
    let mut store = Store::new();
    let (e, d) = derive(&mut store, "cot(x^2)", "x");
    assert_eq!(text(&store, d), "2*x*(-cot(x^2)^2 - 1)");
    let s = chainrule::simplify::simplify(&mut store, d).id;
    assert_eq!(text(&store, s), "-2*x*(cot(x^2)^2 + 1)");
    assert_eq!(latex(&store, e), "\\cot\\left(x^{2}\\right)");
    let printed = latex(&store, e);
    let (back, _) = read_expr(&mut store, &printed, "<latex>").unwrap();
    assert_eq!(back, e);
    let (back, _) = read_expr(&mut store, "\\cot x^2", "<latex>").unwrap();
    assert_eq!(back, e);
    for x0 in [(1, 2), (-7, 5), (3, 1)] {
        let mut point = Point::new();
        point.insert(store.intern("x"), Rational::from(x0));
        let (v, _) = evaluate(&store, &[d], &point, Mode::Auto(256)).unwrap();
        let prec = 256;
        let x = Float::with_val(prec, &Rational::from(x0));
        let h = Float::with_val(prec, Float::i_exp(1, -80));
        let f = |t: Float| Float::with_val(prec, t.square()).cot();
        let diff = Float::with_val(
            prec,
            f(Float::with_val(prec, &x + &h)) - f(Float::with_val(prec, &x - &h)),
        );
        let fd = Float::with_val(prec, diff / Float::with_val(prec, 2 * h));
        let got = v[0].to_f64();
        assert!(
            (got - fd.to_f64()).abs() < 1e-12 * got.abs().max(1.0),
            "{x0:?}: {got} vs {fd}"
        );
    }
}
