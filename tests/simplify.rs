//! The simplifier (`chainrule::simplify`) against the public oracle: its size measure is
//! SymPy's `count_ops`, and printed derivatives are about as short as SymPy's simplified ones.

mod common;

use chainrule::diff::diff;
use chainrule::expr::Store;
use chainrule::print::text;
use chainrule::simplify::{simplify, size};
use chainrule::syntax::read_expr;
use common::*;

/// `size::ops` of chainrule's parse of SymPy's derivative is SymPy's `count_ops` of it.
#[test]
fn size_is_sympys_count_ops() {
    let mut compared = 0;
    let mut differ = Vec::new();
    for case in oracle() {
        let (Some(d), Some(want)) = (&case.sympy_derivative, case.sympy_size) else {
            continue;
        };
        let mut store = Store::new();
        let (e, _) = read_expr(&mut store, d, "<sympy>").unwrap();
        let got = size::ops(&store, e);
        assert_eq!(got, size::ops_of_layout(&store, e), "{}", case.id);
        compared += 1;
        if got != want {
            differ.push(format!(
                "{}: {got} != {want}: {d}\n    as read: {}",
                case.id,
                text(&store, e)
            ));
        }
    }
    println!("{} of {compared} agree", compared - differ.len());
    for d in &differ {
        println!("{d}");
    }
    assert_eq!(compared, 122);
    // The few that differ are SymPy's parser at work, not its count: it distributes a number
    // over a sum as it reads a product left to right, so `2*(v*t - y)*t` is counted as
    // `(2*v*t - 2*y)*t` (one more), and `10*(p)/(q)` with its 10 inside `p` (one fewer).
    assert!(differ.len() <= 11, "{}", differ.join("\n"));
}

/// Chainrule's printed (simplified) derivative against SymPy's simplified one.
#[test]
fn printed_derivatives_are_about_as_short_as_sympys() {
    let (mut compared, mut no_larger, mut worst) = (0, 0, 0.0f64);
    let (mut no_larger_before, mut worst_before) = (0, 0.0f64);
    for case in oracle() {
        let Some(want) = case.sympy_size else {
            continue;
        };
        let mut store = Store::new();
        let (e, _) = read_expr(&mut store, &case.expr, "<oracle>").unwrap();
        let x = store.intern(&case.wrt);
        let d = diff(&mut store, e, x);
        let before = size::ops(&store, d);
        let s = simplify(&mut store, d);
        let got = size::ops(&store, s.id);
        for id in [d, s.id] {
            assert_eq!(
                size::ops(&store, id),
                size::ops_of_layout(&store, id),
                "{}",
                case.id
            );
        }
        compared += 1;
        if got <= want {
            no_larger += 1;
        }
        if before <= want {
            no_larger_before += 1;
        }
        worst_before = worst_before.max(before as f64 / want.max(1) as f64);
        let ratio = got as f64 / want.max(1) as f64;
        worst = worst.max(ratio);
        println!(
            "{} {got} (was {before}) vs {want} {}: {}",
            case.id,
            if got <= want { "ok" } else { "LONGER" },
            text(&store, s.id)
        );
    }
    println!(
        "unsimplified: no larger than SymPy's in {no_larger_before} of {compared} ({:.1}%), at worst {worst_before:.2}x",
        100.0 * no_larger_before as f64 / compared as f64
    );
    let share = no_larger as f64 / compared as f64;
    println!(
        "no larger than SymPy's in {no_larger} of {compared} ({:.1}%), at worst {worst:.2}x; target 90%, 1.5x",
        100.0 * share
    );
    // Issue 14 asks for 90% and 1.5x. Reached: 118 of 122 (96.7%), at worst 1.33x, with the
    // rational normaliser among the rules (112 without it), knowing square roots of
    // polynomials (115 without that: `(u/sqrt(u^2 + 1) + 1)/(u + sqrt(u^2 + 1))`, 2.4x, is
    // now `1/sqrt(u^2 + 1)`) and `cos-over-sin` (random-0026 was 1.86x, `q*r*cos(w)/sin(w)`
    // for SymPy's `q*r/tan(w)`; now `q*r*cot(w)`, as short, and defined where the input is,
    // which `1/tan(w)` is not where cos(w) = 0).
    assert_eq!(compared, 122);
    assert!(share >= 0.9, "{no_larger} of {compared}");
    assert!(no_larger >= 118, "{no_larger} of {compared}");
    assert!(worst <= 1.5, "at worst {worst:.2}x");
}

fn settings() -> insta::Settings {
    common::snapshot_settings()
}

/// Each rule on its own: the input, every candidate the rule makes (with its size), and what
/// the whole simplifier makes of the input.
fn show_rule(rule: &str, inputs: &[&str]) -> String {
    let mut out = String::new();
    for src in inputs {
        let mut store = Store::new();
        let (e, _) = read_expr(&mut store, src, "<rule>").unwrap();
        out.push_str(&format!(
            "{}    [{}]\n",
            text(&store, e),
            size::ops(&store, e)
        ));
        let cands = chainrule::simplify::candidates(&mut store, rule, e).unwrap();
        assert!(!cands.is_empty(), "{rule} makes nothing of {src}");
        for c in cands {
            out.push_str(&format!(
                "  {rule}: {}    [{}]\n",
                text(&store, c),
                size::ops(&store, c)
            ));
        }
        let s = simplify(&mut store, e);
        out.push_str(&format!(
            "  simplified: {}    [{}]\n",
            text(&store, s.id),
            size::ops(&store, s.id)
        ));
    }
    out
}

/// The rules, each with inputs it applies to; the snapshot shows before and after.
const RULE_EXAMPLES: &[(&str, &[&str])] = &[
    (
        "abs-from-sign",
        &[
            "u*sign(u)",
            "3*u^2*abs(u)*sign(u)",
            "(y - x)*sign(x - y)",
            "sign(u)/u",
        ],
    ),
    (
        "integer-sum-in-power",
        &["6/(-3*u - 7/2)^2", "x*(-a - b)^3"],
    ),
    (
        "merge-exp",
        &["4*exp(x)*exp(4*exp(x)/9)/9", "exp(a)^2*exp(-b)*c"],
    ),
    ("sign-into-sum", &["-2*x*(y - w*x)", "-z*(a - b)^3"]),
    (
        "collect-common-factors",
        &[
            "a*b + a*c",
            "a*b + a*c + d",
            "2*x*y - 4*x*z",
            "x^2*sin(x) + x^3*cos(x)",
            "a/x + b/x^2",
        ],
    ),
    (
        "expand",
        &[
            "s*(1 - y) - y*(1 - s)",
            "sigmoid(o)*(1 - y) - y*(1 - sigmoid(o))",
            "(a + b)*c - a*c",
        ],
    ),
    ("abs-as-sign-in-sum", &["t*sign(t/2 + 2) + 4*abs(t/2 + 2)"]),
    (
        "cos-over-sin",
        &[
            "cos(u)/sin(u)",
            "q*r*cos(p*q*r - q/r)/sin(p*q*r - q/r)",
            "cos(u)^2/sin(u)^2",
            "cos(u)^3/sin(u)",
            "cos(u)/sin(u)^3",
        ],
    ),
    (
        "sigmoid-complement",
        &["1 - sigmoid(-t)", "1 - sigmoid(a + b)", "sigmoid(t) - 1"],
    ),
    (
        "log-of-sigmoid",
        &["log(sigmoid(t))", "log(1 - sigmoid(t))"],
    ),
    (
        "tan-squared-plus-one",
        &["2*x*(tan(x^2)^2 + 1)/y", "(tan(u)^2 + 1)*v"],
    ),
    (
        "rational",
        &[
            "((1 - y)/(1 - p) - y/p)*p*(1 - p)",
            "1/x - 1/(x + 1)",
            "(x^2 - 1)/(x - 1)",
            "(z/sqrt(z^2 + 1) + 1)/(z + sqrt(z^2 + 1))",
            "(1 - x)/(1 + sqrt(x))",
            "(sqrt(x) + 1)^2 - 2*sqrt(x)",
        ],
    ),
];

#[test]
fn every_rule_has_an_example() {
    for (name, _) in chainrule::simplify::rules::RULES {
        assert!(
            RULE_EXAMPLES.iter().any(|(n, _)| *n == name),
            "rule {name} has no example"
        );
    }
}

#[test]
fn each_rule_before_and_after() {
    for (rule, inputs) in RULE_EXAMPLES {
        let out = show_rule(rule, inputs);
        let name = format!("simplify_rule_{}", rule.replace('-', "_"));
        settings().bind(|| insta::assert_snapshot!(name, out));
    }
}

/// `cos-over-sin` makes `cot` only of a cosine over the sine of the same argument, with
/// integer powers (`sqrt(cos(u))/sin(u)` is undefined where cos u < 0, `sqrt(cot(u))` is not
/// the same there), and never of a sine over a cosine (`1/cot(u)` would be undefined where
/// sin u = 0, where `tan(u)` is 0).
#[test]
fn cos_over_sin_leaves_other_quotients_alone() {
    for src in [
        "cos(u)/sin(v)",
        "sin(u)/cos(u)",
        "sqrt(cos(u))/sin(u)",
        "cos(u)/sqrt(sin(u))",
        "cos(u)*sin(u)",
    ] {
        let mut store = Store::new();
        let (e, _) = read_expr(&mut store, src, "<rule>").unwrap();
        let cands = chainrule::simplify::candidates(&mut store, "cos-over-sin", e).unwrap();
        assert!(cands.is_empty(), "{src}: {}", text(&store, cands[0]));
        let s = simplify(&mut store, e).id;
        assert!(
            !text(&store, s).contains("cot"),
            "{src}: {}",
            text(&store, s)
        );
    }
}

/// `q*r*cos(w)/sin(w)` and its `q*r*cot(w)` are equal in MPFR at points away from the
/// poles, and both are refused where sin(w) = 0 (at u = 0): the rewrite neither loses nor
/// adds a point of the domain.
#[test]
fn cot_from_cos_over_sin_is_equal_where_defined() {
    use chainrule::eval::{Mpfr, evaluate_with};
    use rug::Float;
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, "q*cos(u^2 - q)/sin(u^2 - q)", "<rule>").unwrap();
    let s = simplify(&mut store, e);
    assert_eq!(text(&store, s.id), "q*cot(u^2 - q)");
    // The cancelled quotient may be kept as a condition (it is defined exactly where the
    // result is): harmless, and checked below with the rest.
    let (u, q) = (store.intern("u"), store.intern("q"));
    for (pu, pq) in [(0.5, 2.0), (-1.25, 0.75), (3.0, -4.5), (1.0, 1.0)] {
        let env: std::collections::HashMap<_, _> =
            [(u, Float::with_val(200, pu)), (q, Float::with_val(200, pq))]
                .into_iter()
                .collect();
        let a = evaluate_with(&store, &[e], &env, &Mpfr::new(200));
        let mut ids = vec![s.id];
        ids.extend(&s.conditions);
        let b = evaluate_with(&store, &ids, &env, &Mpfr::new(200));
        match (a, b) {
            (Ok(a), Ok(b)) => {
                let d = Float::with_val(200, &a[0] - &b[0]).abs();
                assert!(d < 1e-50, "({pu}, {pq}): {} vs {}", a[0], b[0]);
            }
            // u^2 - q = 0 at (1, 1): both undefined.
            (Err(_), Err(_)) => assert_eq!((pu, pq), (1.0, 1.0)),
            (a, b) => panic!("({pu}, {pq}): {a:?} vs {b:?}"),
        }
    }
}

/// ∂/∂o of the cross-entropy of σ(o) is σ(o) − y: the derivatives of the scalar nets
/// print as (σ(o) − y) times the inner derivative.
#[test]
fn cross_entropy_of_sigmoid_prints_as_sigmoid_minus_y() {
    let o = "v1*softplus(b1 + w11*x1 + w12*x2) + v2*softplus(b2 + w21*x1 + w22*x2)";
    let loss = format!("-y*log(sigmoid({o})) - (1 - y)*log(1 - sigmoid({o}))");
    let so = format!("(sigmoid({o}) - y)");
    let cases = [
        ("b2", format!("v2*sigmoid(b2 + w21*x1 + w22*x2)*{so}")),
        ("v1", format!("softplus(b1 + w11*x1 + w12*x2)*{so}")),
        ("w11", format!("v1*x1*sigmoid(b1 + w11*x1 + w12*x2)*{so}")),
        ("w22", format!("v2*x2*sigmoid(b2 + w21*x1 + w22*x2)*{so}")),
    ];
    for (w, want) in cases {
        let mut store = Store::new();
        let (e, _) = read_expr(&mut store, &loss, "<net>").unwrap();
        let x = store.intern(w);
        let d = diff(&mut store, e, x);
        let s = simplify(&mut store, d).id;
        assert_eq!(text(&store, s), want, "∂/∂{w}");
    }
    // Logistic regression, and a net with a tanh layer (oracle nn-0015).
    for (src, w, want) in [
        (
            "-y*log(sigmoid(w*x + b)) - (1 - y)*log(1 - sigmoid(w*x + b))",
            "w",
            "x*(sigmoid(b + w*x) - y)",
        ),
        (
            "-y*log(sigmoid(c + v1*sigmoid(b1 + w1*x) + v2*tanh(b2 + w2*x))) - (1 - y)*log(1 - sigmoid(c + v1*sigmoid(b1 + w1*x) + v2*tanh(b2 + w2*x)))",
            "b2",
            "v2*(sigmoid(c + v1*sigmoid(b1 + w1*x) + v2*tanh(b2 + w2*x)) - y)*(1 - tanh(b2 + w2*x)^2)",
        ),
    ] {
        let mut store = Store::new();
        let (e, _) = read_expr(&mut store, src, "<net>").unwrap();
        let x = store.intern(w);
        let d = diff(&mut store, e, x);
        let s = simplify(&mut store, d).id;
        assert_eq!(text(&store, s), want, "{src}");
    }
}

/// softplus' is σ, as diff makes it; and no nested negative coefficients: `2*x*(ŷ - y)`.
#[test]
fn textbook_forms() {
    for (src, w, want) in [
        ("softplus(w*x + b)", "b", "sigmoid(b + w*x)"),
        ("x*(ŷ - y)^2", "ŷ", "2*x*(ŷ - y)"),
        ("(y - w*x)^2", "w", "2*x*(w*x - y)"),
        ("u*abs(u)^3", "u", "4*abs(u)^3"),
        ("abs(u)^2", "u", "2*u"),
        // The example: u*sign(u) is |u|, and the common power is collected (it
        // printed `9*u*sign(u)*(-2*u - 1)^3/10 + 9*abs(u)*(-2*u - 1)^3/10 - …`).
        (
            "9*u*abs(u)*(-2*u - 1)^3/10",
            "u",
            "-abs(u)*(2*u + 1)^2*(9*u + 9/5)",
        ),
    ] {
        let mut store = Store::new();
        let (e, _) = read_expr(&mut store, src, "<expr>").unwrap();
        let x = store.intern(w);
        let d = diff(&mut store, e, x);
        let s = simplify(&mut store, d).id;
        assert_eq!(text(&store, s), want, "{src}");
    }
}

/// Over the node budget, nothing is searched: a deep chain's derivative is returned as it is,
/// at once, however many nodes it has.
#[test]
fn large_inputs_are_left_as_they_are() {
    let mut src = String::from("x");
    for i in 0..300 {
        src = format!("sigmoid(w{i}*{src} + b{i})");
    }
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, &format!("({src} - y)^2"), "<chain>").unwrap();
    let w = store.intern("w0");
    let d = diff(&mut store, e, w);
    assert!(chainrule::print::printed_size(&store, d) > chainrule::simplify::NODE_BUDGET);
    let before = store.len();
    let s = simplify(&mut store, d);
    assert_eq!(s.id, d);
    // The cancelled quotient may be kept as a condition (it is defined exactly where the
    // result is): harmless, and checked below with the rest.
    assert_eq!(store.len(), before, "nothing built");
}

/// What a rule cancels is kept as a condition: `(a + log(x))*b - b*log(x)` is `a*b`, defined
/// only where `log(x)` is.
#[test]
fn a_cancelled_part_is_kept_as_a_condition() {
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, "(a + log(x))*b - b*log(x)", "<expr>").unwrap();
    let s = simplify(&mut store, e);
    assert_eq!(text(&store, s.id), "a*b");
    let conds: Vec<String> = s.conditions.iter().map(|c| text(&store, *c)).collect();
    assert_eq!(conds, ["log(x)"]);
}

/// The simplifier's size gate walks a derivative as a tree and stops past its budget: it must
/// agree with `printed_size` on every oracle derivative (shared parts counted at each use),
/// at budgets below, at and above the size; and so must the gate for many roots at once
/// (`tree_sizes_at_most`, one pass over the nodes they reach), asked of the expression and
/// its derivative together.
#[test]
fn tree_size_gate_agrees_with_printed_size() {
    let mut checked = 0;
    for case in oracle() {
        let mut store = Store::new();
        let Ok((e, _)) = read_expr(&mut store, &case.expr, "<oracle>") else {
            continue;
        };
        let var = store.intern(&case.wrt);
        let roots = [e, diff(&mut store, e, var)];
        let sizes = roots.map(|r| chainrule::print::printed_size(&store, r));
        for (root, n) in roots.into_iter().zip(sizes) {
            for budget in [0, 1, n.saturating_sub(1), n, n + 1, 2000] {
                assert_eq!(
                    store.tree_size_at_most(root, budget),
                    n <= budget,
                    "{}: size {n}, budget {budget}",
                    case.id
                );
                let together = store.tree_sizes_at_most(&roots, budget);
                let alone: Vec<bool> = sizes.iter().map(|m| *m <= budget).collect();
                assert_eq!(
                    together, alone,
                    "{}: sizes {sizes:?}, budget {budget}",
                    case.id
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 200, "{checked}");
}

/// The gate for many roots on a deep chain's partials, which share most of their nodes: each
/// answer is the one-root walk's, below, at and past the sizes.
#[test]
fn tree_size_gate_for_many_roots_on_shared_partials() {
    let mut store = Store::new();
    let (e, _) = read_expr(
        &mut store,
        "(y - sigmoid(w4*sigmoid(w3*sigmoid(w2*sigmoid(w1*x)))))^2",
        "<chain>",
    )
    .unwrap();
    let roots: Vec<_> = ["w1", "w2", "w3", "w4", "x", "y"]
        .iter()
        .map(|w| {
            let w = store.intern(w);
            diff(&mut store, e, w)
        })
        .collect();
    let sizes: Vec<u64> = roots
        .iter()
        .map(|r| chainrule::print::printed_size(&store, *r))
        .collect();
    assert!(sizes.iter().max() > sizes.iter().min(), "{sizes:?}");
    for budget in sizes.iter().flat_map(|n| [n - 1, *n, n + 1]) {
        let together = store.tree_sizes_at_most(&roots, budget);
        let alone: Vec<bool> = roots
            .iter()
            .map(|r| store.tree_size_at_most(*r, budget))
            .collect();
        assert_eq!(together, alone, "sizes {sizes:?}, budget {budget}");
        let by_size: Vec<bool> = sizes.iter().map(|n| *n <= budget).collect();
        assert_eq!(together, by_size, "sizes {sizes:?}, budget {budget}");
    }
}
