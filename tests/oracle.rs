//! The SymPy oracle (tests/data/derivatives.jsonl, see tests/data/ORACLE.md): every case's
//! derivative, evaluated at 256 bits and in f64, equals SymPy's value; the printed derivative
//! parses back to the same node; and the same function written as a program of intermediates
//! gives the same gradient through the backward pass.

mod common;

use chainrule::diff::diff;
use chainrule::eval::{Mode, Value};
use chainrule::expr::{Node, Store};
use chainrule::network;
use chainrule::print::text;
use chainrule::syntax::read_expr;
use common::*;
use rug::{Float, Rational};

fn as_float(v: &Value) -> Float {
    v.to_float(512)
}

#[test]
fn oracle_has_150_cases() {
    let cases = oracle();
    assert_eq!(cases.len(), 150);
    for cat in ["table", "nn", "random"] {
        assert_eq!(
            cases.iter().filter(|c| c.category == cat).count(),
            50,
            "{cat}"
        );
    }
}

/// Fails with every collected failure listed, so one run shows them all.
fn assert_none(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A case's derivative in a new store, with the case's point.
fn derivative_at(case: &OracleCase) -> (Store, chainrule::expr::Id, chainrule::eval::Point) {
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, &case.expr, "<oracle>").unwrap();
    let x = store.intern(&case.wrt);
    let d = diff(&mut store, e, x);
    let p = point(&mut store, &case.at);
    (store, d, p)
}

#[test]
fn every_derivative_matches_sympy_at_256_bits() {
    let mut failures = Vec::new();
    for case in oracle() {
        let (store, d, p) = derivative_at(&case);
        let want = expected(&case);
        // Exact where the value is rational, else MPFR at 256 bits.
        let got = eval1(&store, d, &p, Mode::Auto(256));
        if let (Some(ex), Value::Exact(r)) = (&case.exact, &got) {
            if *r != ex.parse::<Rational>().unwrap() {
                failures.push(format!("{}: exact {} != {}", case.id, r, ex));
            }
        } else if case.exact.is_some() {
            failures.push(format!(
                "{}: expected an exact value, got {:?}",
                case.id, got
            ));
        }
        if !close(&as_float(&got), &want, 1e-30) {
            failures.push(format!("{}: {} != {}", case.id, as_float(&got), case.value));
        }
        // Forced MPFR agrees too, even where exact arithmetic applies.
        let mp = eval1(&store, d, &p, Mode::Mpfr(256));
        if !close(&as_float(&mp), &want, 1e-30) {
            failures.push(format!(
                "{}: mpfr {} != {}",
                case.id,
                as_float(&mp),
                case.value
            ));
        }
    }
    assert_none(&failures);
}

#[test]
fn every_derivative_matches_sympy_in_f64() {
    let mut failures = Vec::new();
    for case in oracle() {
        let (store, d, p) = derivative_at(&case);
        let got = eval1(&store, d, &p, Mode::F64);
        let want = expected(&case);
        // The oracle's tolerance for doubles is 1e-12 relative; a few cases lose digits to
        // cancellation in f64, which the 256-bit test above rules out as a formula error.
        if !close(&as_float(&got), &want, 1e-9) {
            failures.push(format!("{}: {} != {}", case.id, got.to_f64(), case.value));
        }
    }
    assert_none(&failures);
}

#[test]
fn printed_derivatives_parse_back_to_the_same_node() {
    for case in oracle() {
        let mut store = Store::new();
        let (e, _) = read_expr(&mut store, &case.expr, "<oracle>").unwrap();
        let printed_input = text(&store, e);
        let (e2, _) = read_expr(&mut store, &printed_input, "<printed>").unwrap();
        assert_eq!(
            e, e2,
            "{}: input {} printed as {}",
            case.id, case.expr, printed_input
        );
        let x = store.intern(&case.wrt);
        let d = diff(&mut store, e, x);
        let printed = text(&store, d);
        let (d2, _) = read_expr(&mut store, &printed, "<printed>").unwrap();
        assert_eq!(
            d, d2,
            "{}: derivative {} does not round-trip",
            case.id, printed
        );
    }
}

#[test]
fn sympys_derivative_parses_and_agrees() {
    // SymPy's own simplified derivative, read by our parser, has the oracle's value: a check
    // of the parser on text we did not write (heaviside, sign, abs, powers).
    let mut checked = 0;
    for case in oracle() {
        let Some(sd) = &case.sympy_derivative else {
            continue;
        };
        let mut store = Store::new();
        let (d, _) = read_expr(&mut store, sd, "<sympy>").unwrap();
        let p = point(&mut store, &case.at);
        let got = eval1(&store, d, &p, Mode::Mpfr(256));
        assert!(
            close(&as_float(&got), &expected(&case), 1e-30),
            "{}: sympy's {} evaluates to {}",
            case.id,
            sd,
            as_float(&got)
        );
        checked += 1;
    }
    assert!(checked > 100, "only {checked} cases had a SymPy derivative");
}

/// The expression as a program: one definition per operation (`t7 = t3*t5`), so shared
/// subexpressions become intermediates with several users.
fn as_program(expr: &str, wrt: &str) -> String {
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, expr, "<oracle>").unwrap();
    let mut names: std::collections::HashMap<chainrule::expr::Id, String> =
        std::collections::HashMap::new();
    let mut lines = Vec::new();
    for id in store.reachable(&[e]) {
        if matches!(store.node(id), Node::Num(_) | Node::Sym(_)) {
            continue;
        }
        let node = store.node(id).clone();
        let syms: std::collections::HashMap<_, _> = node
            .children()
            .into_iter()
            .filter(|c| names.contains_key(c))
            .map(|c| (c, store.sym(&names[&c])))
            .collect();
        let local = store.rebuild(&node, &|c| *syms.get(&c).unwrap_or(&c));
        let name = format!("t{}", id.index());
        lines.push(format!("{name} = {}", text(&store, local)));
        names.insert(id, name);
    }
    if lines.is_empty() {
        lines.push(format!("t = {}", text(&store, e)));
    }
    lines.push(format!("wrt {wrt}"));
    lines.join("\n")
}

#[test]
fn backward_pass_on_programs_matches_sympy() {
    let mut failures = Vec::new();
    let mut shared = 0;
    for case in oracle() {
        let src = as_program(&case.expr, &case.wrt);
        let mut net = network::load(&src, "<program>", None)
            .unwrap_or_else(|e| panic!("{}: {e}\n{src}", case.id));
        let bw = net.backward();
        shared += bw.adjoints.iter().filter(|a| a.terms.len() > 1).count();
        let p = point(&mut net.store, &case.at);
        let trace = net.trace(&bw, &p, Mode::Auto(256)).unwrap();
        let got = as_float(&trace.gradient[0]);
        if !close(&got, &expected(&case), 1e-30) {
            failures.push(format!(
                "{}: backward {} != {}\n{src}",
                case.id, got, case.value
            ));
        }
        // The expanded output differentiated directly agrees with the backward pass.
        let direct = net.expanded_gradient()[0];
        let v = eval1(&net.store, direct, &p, Mode::Auto(256));
        if !close(&as_float(&v), &got, 1e-30) {
            failures.push(format!(
                "{}: expanded {} != backward {}",
                case.id,
                as_float(&v),
                got
            ));
        }
    }
    assert_none(&failures);
    // The programs do exercise adjoints summed over several users.
    assert!(shared >= 5, "only {shared} adjoints with several users");
}
