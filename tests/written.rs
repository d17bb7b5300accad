//! `--float f64` computes the user's input as written, as NumPy would: each literal rounded to
//! the nearest double, each operation in the order written. `eval` and the finite
//! differences of `fd` and `sweep` share one compiled form of it (issue 9, items 1 and 12).

mod common;

use chainrule::eval::{Value, nearest_f64};
use chainrule::fd::ProgramObjective;
use chainrule::fd::{Arith, Objective, Scheme, check_gradient, parse_deltas, parse_step, sweep};
use chainrule::network;
use common::{Rng, chainrule as run, json};

fn eval_f64(expr: &str) -> String {
    let (code, out, err) = run(&["eval", expr, "--float", "f64"]);
    assert_eq!(code, 0, "{err}");
    out
}

#[test]
fn eval_in_f64_computes_as_numpy_does() {
    for (expr, want) in [
        ("0.1 + 0.2", "0.30000000000000004"),
        ("1/10", "0.1"),
        ("0.1 + 0.2 + 0.3", "0.6000000000000001"),
        ("0.1 + (0.2 + 0.3)", "0.6"),
        ("0.1 * 3", "0.30000000000000004"),
        ("3 * 0.1 - 0.3", "5.551115123125783e-17"),
        ("1 - 0.9", "0.09999999999999998"),
        ("0.7 + 0.1", "0.7999999999999999"),
        ("2^0.5", "1.4142135623730951"),
        ("1e-320 * 1", "1e-320"),
        ("exp(1)", "2.718281828459045"),
        ("1/3", "0.3333333333333333"),
    ] {
        let out = eval_f64(expr);
        assert_eq!(out, format!("{expr} = {want} (IEEE double)\n"), "{expr}");
    }
    // JSON carries the same shortest digits.
    let j = json(&["eval", "0.1 + 0.2", "--float", "f64", "--format", "json"]);
    assert_eq!(j["value"], "0.30000000000000004");
    // Exactly, it is still 3/10.
    let j = json(&["eval", "0.1 + 0.2", "--format", "json"]);
    assert_eq!(j["exact"], "3/10");
    // In LaTeX the formula is the exact one, so the double is only near it.
    let (_, out, _) = run(&["eval", "0.1 + 0.2", "--float", "f64", "--format", "latex"]);
    assert_eq!(out, "\\frac{3}{10} \\approx 0.30000000000000004\n");
}

#[test]
fn eval_in_f64_takes_the_point_to_the_nearest_double() {
    let (_, out, _) = run(&["eval", "x + y", "--float", "f64", "--at", "x=0.1,y=0.2"]);
    assert_eq!(out, "x + y = 0.30000000000000004 (IEEE double)\n");
}

#[test]
fn an_overflow_that_only_the_written_order_meets_is_an_error() {
    // Exactly, exp(1000)*0 is 0; as written in f64 it is inf*0 = NaN, so no number.
    let (code, _, err) = run(&["eval", "exp(1000)*0", "--float", "f64"]);
    assert_eq!(code, 1);
    assert!(err.contains("overflow in exp(1000)"), "{err}");
}

// ------------------------------------------------------------------ programs

/// The homework's Q2 network written out as NumPy would compute it from the program's lines.
fn numpy_q2(w: &[f64]) -> f64 {
    let (x, y) = (1.0_f64, 10.0_f64);
    let sigma = |t: f64| 1.0 / (1.0 + (-t).exp());
    let z1 = w[0] * x;
    let x1 = sigma(z1);
    let z2 = w[1] * x1;
    let x2 = sigma(z2);
    let z3 = w[2] * x2;
    // NumPy's float64 scalar `**` calls the C library's pow, which can differ from d*d in the
    // last bit; an optimised build folds `powf(d, 2.0)` into d*d, so the 2 is hidden from it.
    (y - z3).powf(std::hint::black_box(2.0))
}

#[test]
fn the_program_objective_is_the_program_as_written_bit_for_bit() {
    let src = std::fs::read_to_string("examples/hw7_sigmoid.chain").unwrap();
    let mut net = network::load(&src, "hw7_sigmoid.chain", None).unwrap();
    let point = net.point.clone();
    let obj = ProgramObjective::new(&mut net, &point).unwrap();
    let mut rng = Rng(7);
    for _ in 0..2000 {
        let w: Vec<f64> = (0..3).map(|_| rng.uniform(-4.0, 4.0)).collect();
        let got = obj.eval_f64(&w).unwrap();
        assert_eq!(got.to_bits(), numpy_q2(&w).to_bits(), "at {w:?}");
    }
}

#[test]
fn a_square_is_computed_as_numpys_float64_scalars_do() {
    // At this point (y - z3)^2 as the C library's pow(d, 2.0) and as d*d differ in the last
    // bit. NumPy 2.4 gives pow's bits for the homework's code, whose w[2] is a float64 scalar
    // (`(w[2]*sigmoid(…) - 10)**2`): 4637721030575430521, where d*d is …522.
    let w = [-0.7888587070407, -3.4100432470223563, -2.6381543311353415];
    let src = std::fs::read_to_string("examples/hw7_sigmoid.chain").unwrap();
    let mut net = network::load(&src, "hw7_sigmoid.chain", None).unwrap();
    let point = net.point.clone();
    let obj = ProgramObjective::new(&mut net, &point).unwrap();
    assert_eq!(obj.eval_f64(&w).unwrap().to_bits(), 4637721030575430521);
}

/// A chain of `n` sigmoid layers: z_k = w_k*x_{k-1}, x_k = sigmoid(z_k), E = (y - x_n)^2.
fn chain_program(n: usize) -> String {
    let mut s = String::from("x0 = x\n");
    for k in 1..=n {
        s.push_str(&format!("z{k} = w{k}*x{}\nx{k} = sigmoid(z{k})\n", k - 1));
    }
    s.push_str(&format!("E = (y - x{n})^2\n"));
    let ws: Vec<String> = (1..=n).map(|k| format!("w{k} = 1.5")).collect();
    s.push_str(&format!("at x = 0.5, y = 0.25, {}\n", ws.join(", ")));
    s
}

/// The chain, as NumPy would compute it: `w[k]` for w_{k+1}, then x, then y.
fn numpy_chain(w: &[f64], x: f64, y: f64) -> f64 {
    let mut a = x;
    for wk in w {
        a = 1.0 / (1.0 + (-(wk * a)).exp());
    }
    (y - a).powf(2.0)
}

#[test]
fn fd_and_sweep_of_a_5000_layer_program_run_on_the_tape() {
    const N: usize = 5000;
    let src = chain_program(N);
    let mut net = network::load(&src, "chain.chain", None).unwrap();
    let point = net.point.clone();
    let obj = ProgramObjective::new(&mut net, &point).unwrap();
    let names = obj.params().to_vec();
    assert_eq!(names.len(), N + 2);
    let r = check_gradient(
        &obj,
        &parse_step("1e-4").unwrap(),
        &[Scheme::Central],
        Arith::F64,
    )
    .unwrap();
    let d = 1e-4;
    // Parameters in the objective's order: each perturbed quotient equals NumPy's.
    let values: Vec<f64> = obj.point().iter().map(nearest_f64).collect();
    let index: std::collections::HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let numpy_at = |p: &[f64]| {
        let w: Vec<f64> = (1..=N)
            .map(|k| p[index[format!("w{k}").as_str()]])
            .collect();
        numpy_chain(&w, p[index["x"]], p[index["y"]])
    };
    for name in ["w1", "w2500", "w5000", "x", "y"] {
        let i = names.iter().position(|n| n == name).unwrap();
        let mut plus = values.clone();
        plus[i] += d;
        let mut minus = values.clone();
        minus[i] -= d;
        let want = (numpy_at(&plus) - numpy_at(&minus)) / (2.0 * d);
        let got = r.params[i].entries[0].quotient.to_f64();
        assert_eq!(got.to_bits(), want.to_bits(), "{name}: {got} vs {want}");
    }
    // The symbolic gradient by y is -2(y - x_n), and the central difference is within 1e-9.
    let iy = names.iter().position(|n| n == "y").unwrap();
    let gy = r.params[iy].gradient.to_f64();
    assert!((gy + 1.0135924398595397).abs() < 1e-15, "{gy}");
    assert!(r.params[iy].entries[0].error.to_f64().abs() < 1e-9);

    // A sweep of two steps: the forward error falls with Δ (slope 1 between them).
    let s = sweep(
        &obj,
        &parse_deltas("1e-4,1e-3").unwrap(),
        &[Scheme::Forward],
        &[Arith::F64],
    )
    .unwrap();
    let pts = &s.series[0].points;
    let slope = (pts[1].log10(chainrule::fd::Measure::Norm)
        - pts[0].log10(chainrule::fd::Measure::Norm))
        / 1.0;
    assert!((slope - 1.0).abs() < 0.05, "slope {slope}");
    assert!(matches!(
        r.params[0].gradient,
        Value::Exact(_) | Value::Mpfr(_)
    ));
}

#[test]
fn backprop_in_f64_runs_the_forward_pass_as_written() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule-written-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sum.chain");
    std::fs::write(&file, "a = 0.1 + 0.2\nb = a + 0.3\nE = w*b\nat w = 1\n").unwrap();
    let j = json(&[
        "backprop",
        file.to_str().unwrap(),
        "--float",
        "f64",
        "--format",
        "json",
    ]);
    let text = j.to_string();
    assert!(text.contains("\"0.30000000000000004\""), "{text}");
    assert!(text.contains("\"0.6000000000000001\""), "{text}");
    // The text table does not claim 3/10 = 0.30000000000000004: the value is the program as
    // written in f64, which the simplified formula only approximates.
    let (code, out, _) = run(&["backprop", file.to_str().unwrap(), "--float", "f64"]);
    assert_eq!(code, 0);
    let squeezed: Vec<String> = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert!(
        squeezed.contains(&"a = 0.1 + 0.2 = 3/10 ≈ 0.30000000000000004".to_string()),
        "{out}"
    );
    // The homework's loss in f64 is NumPy's, bit for bit.
    let (code, out, _) = run(&["backprop", "examples/hw7_sigmoid.chain", "--float", "f64"]);
    assert_eq!(code, 0);
    let want = numpy_q2(&[2.0, 2.0, 3.0]);
    assert!(out.contains(&format!("= {want}\n")), "{want} in\n{out}");
}

/// Every expression of the SymPy oracle, computed as written in f64, is within rounding of its
/// 256-bit value (or both fail): the written form computes the same function as the DAG.
#[test]
fn the_written_form_computes_the_same_function_as_the_dag() {
    use chainrule::eval::{Mode, evaluate, written::eval_expr_f64};
    use chainrule::expr::Store;
    let mut compared = 0;
    for case in common::oracle() {
        let mut store = Store::new();
        let Ok((e, _)) = chainrule::syntax::read_expr(&mut store, &case.expr, "<case>") else {
            continue;
        };
        let point = common::point(&mut store, &case.at);
        let exact = evaluate(&store, &[e], &point, Mode::Mpfr(256));
        let written = eval_expr_f64(&store, &case.expr, e, &point);
        match (exact, written) {
            (Ok((v, _)), Ok(x)) => {
                let want = v[0].to_f64();
                let tol = 1e-9 * want.abs().max(1.0);
                assert!((x - want).abs() <= tol, "{}: {x} vs {want}", case.expr);
                compared += 1;
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!("{}: {a:?} vs {b:?}", case.expr),
        }
    }
    assert!(compared >= 100, "{compared}");
}
