//! Rational-function normalisation (`simplify::rational::normal`) never changes a value:
//! random quotients of polynomials in variables and rational-valued calls, with common
//! factors put in on purpose, evaluated exactly at random rational points. Where the input is
//! defined the result has the same value; where it is not, the result with the conditions
//! `normal` returns is not defined either; and the result is always shorter.
//!
//! The seed is fixed, as in `tests/properties.rs`; `PROPTEST_RNG_SEED=random` for new cases.

use chainrule::eval::{Mode, Point, Value, evaluate, evaluate_guarded};
use chainrule::expr::{Condition, Store};
use chainrule::print::text;
use chainrule::simplify::rational::{normal, size};
use chainrule::span::Span;
use chainrule::syntax::read_expr;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use rug::{Float, Rational};

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(14),
        ..Config::default()
    }
}

/// Source text of a small polynomial-like expression.
fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(&["x", "y", "z"][..]).prop_map(String::from),
        2 => (-3i64..=3, 1u64..=3).prop_map(|(p, q)| format!("({p}/{q})")),
        1 => Just("abs(x)".to_string()),
        1 => Just("relu(y - 1)".to_string()),
    ]
}

fn term() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} + {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} - {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} * {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} / {b})")),
            (inner, -1i64..=3).prop_map(|(a, k)| format!("({a})^({k})")),
        ]
    })
}

/// Quotients with a common factor, sums of such quotients, and plain terms.
fn expr() -> impl Strategy<Value = String> {
    prop_oneof![
        (term(), term(), term()).prop_map(|(a, b, c)| format!("(({a})*({b}))/(({a})*({c}))")),
        (term(), term(), term(), term())
            .prop_map(|(a, b, c, d)| format!("({a})/({b}) + ({c})/({d})")),
        (term(), term(), term()).prop_map(|(a, b, c)| format!("(({a})/({b}) - ({c})/({b}))*({b})")),
        term(),
    ]
}

fn point() -> impl Strategy<Value = [(i64, u64); 3]> {
    let v = (-3i64..=3, 1u64..=2);
    [v.clone(), v.clone(), v]
}

fn exact(v: Value) -> Rational {
    match v {
        Value::Exact(r) => r,
        other => panic!("not exact: {other:?}"),
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn normal_keeps_the_value_where_defined(src in expr(), at in point()) {
        let mut store = Store::new();
        let e = read_expr(&mut store, &src, "<random>").unwrap().0;
        let Some(n) = normal(&mut store, e) else {
            return Ok(());
        };
        prop_assert!(size(&store, n.expr) < size(&store, e));
        let mut p = Point::new();
        for (name, (num, den)) in ["x", "y", "z"].iter().zip(at) {
            p.insert(store.intern(name), Rational::from((num, den)));
        }
        let conditions: Vec<Condition> = n
            .conditions
            .iter()
            .map(|c| Condition::new(*c, Span::new(0, 0)))
            .collect();
        let before = evaluate(&store, &[e], &p, Mode::Auto(64));
        let after = evaluate_guarded(&store, &[n.expr], &conditions, &p, Mode::Auto(64));
        match before {
            Ok((mut v, _)) => {
                prop_assert!(after.is_ok(), "{} = {} is defined at {:?} but {} is not",
                    src, text(&store, e), at, text(&store, n.expr));
                let want = exact(v.remove(0));
                let got = exact(after.unwrap().0.remove(0));
                prop_assert_eq!(&got, &want, "{} = {} became {}", src, text(&store, e), text(&store, n.expr));
            }
            Err(_) => prop_assert!(after.is_err(), "{} = {} is undefined at {:?} but {} is defined there",
                src, text(&store, e), at, text(&store, n.expr)),
        }
    }
}

/// The logistic loss's chain: the adjoint of p times σ'(z) written in p is p − y, and it
/// keeps both denominators as conditions (the loss is undefined at p = 0 and p = 1).
#[test]
fn cross_entropy_times_sigmoid_slope() {
    let mut store = Store::new();
    let e = read_expr(&mut store, "((1 - y)/(1 - p) - y/p) * (p*(1 - p))", "<t>")
        .unwrap()
        .0;
    let n = normal(&mut store, e).unwrap();
    assert_eq!(text(&store, n.expr), "p - y");
    let mut at = Point::new();
    at.insert(store.intern("y"), Rational::from(1));
    at.insert(store.intern("p"), Rational::from(0));
    let conditions: Vec<Condition> = n
        .conditions
        .iter()
        .map(|c| Condition::new(*c, Span::new(0, 0)))
        .collect();
    assert!(evaluate_guarded(&store, &[n.expr], &conditions, &at, Mode::Auto(64)).is_err());
    at.insert(store.intern("p"), Rational::from((1, 4)));
    let v = evaluate_guarded(&store, &[n.expr], &conditions, &at, Mode::Auto(64)).unwrap();
    assert_eq!(v.0[0], Value::Exact(Rational::from((-3, 4))));
}

// ───────────────────────────── cases, one by one ─────────────────────────────

/// `src` normalised, as text (`None`: left as it is).
fn norm(src: &str) -> Option<String> {
    let mut store = Store::new();
    let e = read_expr(&mut store, src, "<test>").unwrap().0;
    normal(&mut store, e).map(|n| text(&store, n.expr))
}

#[test]
fn cancels_common_factors() {
    assert_eq!(norm("(x^2 - 1)/(x - 1)").as_deref(), Some("x + 1"));
    assert_eq!(norm("(x^2 - y^2)/(x + y)").as_deref(), Some("x - y"));
    assert_eq!(
        norm("(x^2 + 2*x*y + y^2)/(x^2 - y^2)").as_deref(),
        Some("(x + y)/(x - y)")
    );
}

#[test]
fn combines_fractions_over_a_common_denominator() {
    assert_eq!(
        norm("1/x - 1/(x + 1) - 1/(x*(x + 1))").as_deref(),
        Some("0")
    );
    assert_eq!(norm("a/(a + b) + b/(a + b)").as_deref(), Some("1"));
}

#[test]
fn treats_calls_as_atoms() {
    assert_eq!(
        norm("(exp(x)^2 - 1)/(exp(x) + 1)").as_deref(),
        Some("exp(x) - 1")
    );
    assert_eq!(
        norm("((1 - y)/(1 - sigmoid(z)) - y/sigmoid(z))*sigmoid(z)*(1 - sigmoid(z))").as_deref(),
        Some("sigmoid(z) - y")
    );
    // Roots are atoms: sqrt(x)^3/x is sqrt(x) where x > 0.
    assert_eq!(
        norm("(x*sqrt(x) + sqrt(x))/(x + 1)").as_deref(),
        Some("sqrt(x)")
    );
}

#[test]
fn keeps_what_is_not_shorter() {
    // Already one fraction in lowest terms, or longer when expanded.
    assert_eq!(norm("x/(x + 1)"), None);
    assert_eq!(norm("x1*(p - y)"), None);
    assert_eq!(norm("(x + 1)^2"), None);
    assert_eq!(norm("2*ŷ - 2*y"), None);
}

#[test]
fn pulls_out_the_monomial_content() {
    assert_eq!(
        norm("(x^2*y + x*y^2)/(x + y) + x*y*z").as_deref(),
        Some("x*y*(z + 1)")
    );
}

#[test]
fn refuses_large_inputs_and_zero_denominators() {
    // A power of a sum past MAX_POWER is not expanded.
    assert_eq!(norm("((x + 1)^20 - 1)/x"), None);
    // Zero everywhere: not a rational function to simplify.
    assert_eq!(norm("(x + 1)/((x + 1)^2 - x^2 - 2*x - 1)"), None);
    // Many variables: the budget stops the expansion.
    assert_eq!(
        norm("((a + b + c + d + e + f)^8 - 1)/((a + b + c + d + e + f) - 1)"),
        None
    );
}

#[test]
fn keeps_the_conditions_it_cancels() {
    let mut store = Store::new();
    let e = read_expr(&mut store, "(x^2 - 1)/(x - 1) + 1/y", "<t>")
        .unwrap()
        .0;
    let n = normal(&mut store, e).unwrap();
    assert_eq!(text(&store, n.expr), "(y + x*y + 1)/y");
    let c: Vec<String> = n.conditions.iter().map(|c| text(&store, *c)).collect();
    // 1/y is still in the result; 1/(x - 1) is not.
    assert_eq!(c, ["1/(x - 1)"]);
}

#[test]
fn size_counts_operations_as_count_ops() {
    let mut store = Store::new();
    let mut ops = |src: &str| {
        let e = read_expr(&mut store, src, "<t>").unwrap().0;
        size(&store, e)
    };
    assert_eq!(ops("x"), 0);
    assert_eq!(ops("x + y"), 1);
    assert_eq!(ops("x - y"), 1);
    assert_eq!(ops("-x"), 1);
    assert_eq!(ops("2*x"), 1);
    assert_eq!(ops("x/y"), 1);
    assert_eq!(ops("1/x"), 1);
    assert_eq!(ops("x^2"), 1);
    assert_eq!(ops("sigmoid(z)*(1 - sigmoid(z))"), 4);
    assert_eq!(ops("(1 - y)/(1 - p) - y/p"), 5);
    assert_eq!(ops("2*x/3 + 1"), 3);
}

#[test]
fn keeps_the_sums_of_the_input_as_factors() {
    // 1/(x + 1) - x/(x + 1)^2 is 1/(x + 1)^2, not 1/(x^2 + 2*x + 1).
    assert_eq!(
        norm("1/(x + 1) - x/(x + 1)^2").as_deref(),
        Some("1/(x + 1)^2")
    );
    assert_eq!(
        norm("(1/(h + 1) - h/(h + 1)^2)*exp(h)").as_deref(),
        Some("exp(h)/(h + 1)^2")
    );
    // Only the input's own sums are tried: x^2 - 1 is not factored into (x - 1)*(x + 1).
    assert_eq!(
        norm("1/(x - 1) - 1/(x + 1)").as_deref(),
        Some("2/(x^2 - 1)")
    );
}

// ───────────────────────────── square roots of polynomials ─────────────────────────────

/// The derivative of asinh written as a logarithm: the root's relation `s² = z² + 1` and the
/// conjugate of the denominator make it `1/sqrt(z^2 + 1)`, as SymPy prints it (table-0004
/// and table-0031 of the oracle).
#[test]
fn rationalises_a_denominator_linear_in_a_root() {
    assert_eq!(
        norm("(z/sqrt(z^2 + 1) + 1)/(z + sqrt(z^2 + 1))").as_deref(),
        Some("1/sqrt(z^2 + 1)")
    );
    // (1 + s)(1 - s) = 1 - x: the conjugate cancels.
    assert_eq!(
        norm("(1 - x)/(1 + sqrt(x))").as_deref(),
        Some("1 - sqrt(x)")
    );
    // Odd multiples u^(k/2): x^(3/2) is x·sqrt(x), and squares of roots are their radicands.
    assert_eq!(
        norm("(x^(3/2) - sqrt(x))/(sqrt(x) + 1)").as_deref(),
        Some("x - sqrt(x)")
    );
    assert_eq!(
        norm("(sqrt(x) + 1)^2 - 2*sqrt(x)").as_deref(),
        Some("x + 1")
    );
}

#[test]
fn keeps_a_root_form_that_is_not_shorter() {
    // (1 - sqrt(x))/(1 - x) is longer, and undefined at x = 1 where the input is 1/2.
    assert_eq!(norm("1/(1 + sqrt(x))"), None);
    assert_eq!(norm("sqrt(x^2 + 1)"), None);
}

/// sqrt(x^2) is |x|, not x: `x - sqrt(x^2)` is zero for x ≥ 0, so its conjugate `x + sqrt(x^2)`
/// is zero for x ≤ 0 and `a² − b²u` is zero everywhere. Nothing may come of it.
#[test]
fn refuses_a_conjugate_that_is_zero() {
    assert_eq!(norm("1/(x - sqrt(x^2))"), None);
    assert_eq!(norm("x/(x + sqrt(x^2)) + 1"), None);
}

/// Where the root of the input is lost, its condition stays: `(sqrt(x) + 1)^2 - 2*sqrt(x)` is
/// `x + 1` only where x ≥ 0.
#[test]
fn keeps_the_root_as_a_condition() {
    let mut store = Store::new();
    let e = read_expr(&mut store, "(sqrt(x) + 1)^2 - 2*sqrt(x)", "<t>")
        .unwrap()
        .0;
    let n = normal(&mut store, e).unwrap();
    assert_eq!(text(&store, n.expr), "x + 1");
    let c: Vec<String> = n.conditions.iter().map(|c| text(&store, *c)).collect();
    assert_eq!(c, ["sqrt(x)"]);
    // And a kept 1/sqrt(u) covers sqrt(u): no condition repeats it.
    let e = read_expr(
        &mut store,
        "(z/sqrt(z^2 + 1) + 1)/(z + sqrt(z^2 + 1))",
        "<t>",
    )
    .unwrap()
    .0;
    let n = normal(&mut store, e).unwrap();
    let c: Vec<String> = n.conditions.iter().map(|c| text(&store, *c)).collect();
    assert_eq!(c, ["1/(z + sqrt(z^2 + 1))"]);
}

/// A radicand: a random term, or a square (where `sqrt(u^2) = |u|` and conjugates vanish on
/// half the line).
fn radicand() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => term(),
        1 => term().prop_map(|a| format!("({a})^2")),
        1 => Just("x^2 + 1".to_string()),
    ]
}

/// Quotients with a root `s` of a random radicand: over denominators linear in `s`, with
/// the conjugate or the denominator itself put in the numerator on purpose.
fn root_expr() -> impl Strategy<Value = String> {
    (radicand(), term(), term(), term(), term(), 0..7usize).prop_map(|(u, a, b, c, d, k)| {
        let s = format!("sqrt({u})");
        match k {
            0 => format!("(({a}) + ({b})*{s})/(({c}) + ({d})*{s})"),
            1 => format!("(({c}) - ({d})*{s})*({a})/(({c}) + ({d})*{s})"),
            2 => format!("({a})/(({c}) + {s}) + ({b})*{s}^3/({u})"),
            3 => format!("(({a})*{s} + ({u}))/(({c})*({u}) + ({u})^(3/2))"),
            // (c + d·s)(c − d·s)·a over c + d·s: zero where the conjugate is.
            4 => format!("(({c})^2 - ({d})^2*({u}))*({a})/(({c}) + ({d})*{s})"),
            // sqrt(c^2) is |c|: the conjugate c − |c| vanishes on half the line.
            5 => format!("({a})/(({c}) + sqrt(({c})^2)) + ({b})"),
            _ => format!("(({c})*{s}/({u}) + ({d}))/(({c}) + ({d})*{s})"),
        }
    })
}

proptest! {
    #![proptest_config(config(512))]

    /// With roots: the same value at 1024 bits where the input is defined, undefined (with
    /// the conditions) where it is not, and always shorter.
    #[test]
    fn normal_with_roots_keeps_the_value_where_defined(src in root_expr(), at in point()) {
        let mut store = Store::new();
        let e = read_expr(&mut store, &src, "<random>").unwrap().0;
        let Some(n) = normal(&mut store, e) else {
            return Ok(());
        };
        prop_assert!(size(&store, n.expr) < size(&store, e));
        let mut p = Point::new();
        for (name, (num, den)) in ["x", "y", "z"].iter().zip(at) {
            p.insert(store.intern(name), Rational::from((num, den)));
        }
        let conditions: Vec<Condition> = n
            .conditions
            .iter()
            .map(|c| Condition::new(*c, Span::new(0, 0)))
            .collect();
        let before = evaluate(&store, &[e], &p, Mode::Mpfr(1024));
        let after = evaluate_guarded(&store, &[n.expr], &conditions, &p, Mode::Mpfr(1024));
        match before {
            Ok((mut v, _)) => {
                prop_assert!(after.is_ok(), "{} = {} is defined at {:?} but {} is not",
                    src, text(&store, e), at, text(&store, n.expr));
                let want = v.remove(0).to_float(1024);
                let got = after.unwrap().0.remove(0).to_float(1024);
                let err = Float::with_val(1024, &got - &want).abs();
                let scale = Float::with_val(1024, want.abs_ref()).max(&Float::with_val(1024, 1));
                prop_assert!(err <= scale * 1e-100, "{} = {} became {} at {:?}: {} vs {}",
                    src, text(&store, e), text(&store, n.expr), at, want.to_f64(), got.to_f64());
            }
            Err(_) => prop_assert!(after.is_err(), "{} = {} is undefined at {:?} but {} is defined there",
                src, text(&store, e), at, text(&store, n.expr)),
        }
    }
}
