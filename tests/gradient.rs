//! The whole-gradient reverse sweep (`diff::gradient`), the compiled tape (`eval::tape`) and
//! let-bound printing (`print::text_let`): values against `diff` and the tree evaluator on
//! the SymPy oracle corpus, and sizes that grow linearly with a network's depth.
//! (Times are measured by the benchmarks in `benches/`, not here.)

mod common;

use chainrule::diff::{diff, gradient};
use chainrule::eval::tape::{self, Tape};
use chainrule::eval::{F64, Mode, Mpfr, evaluate_with};
use chainrule::expr::{Builtin, Id, Store, Sym};
use chainrule::network;
use chainrule::points::points_csv;
use chainrule::print::{let_bound, text, text_let};
use chainrule::syntax::read_expr;
use common::*;
use rug::Float;
use std::collections::HashMap;

/// The oracle cases as (store, expression, its free variables, the exact point).
fn cases() -> Vec<(String, Store, Id, Vec<Sym>, chainrule::eval::Point)> {
    oracle()
        .into_iter()
        .map(|case| {
            let mut store = Store::new();
            let (e, _) = read_expr(&mut store, &case.expr, "<oracle>").unwrap();
            let vars = store.free_symbols(e);
            let p = point(&mut store, &case.at);
            (case.id, store, e, vars, p)
        })
        .collect()
}

#[test]
fn gradient_agrees_with_diff_on_the_oracle_at_256_bits() {
    let mut compared = 0;
    let mut failures = Vec::new();
    for (id, mut store, e, vars, p) in cases() {
        let g = gradient(&mut store, e, &vars);
        assert_eq!(g.len(), vars.len());
        for (v, gi) in vars.iter().zip(&g) {
            let d = diff(&mut store, e, *v);
            let want = chainrule::eval::evaluate(&store, &[d], &p, Mode::Mpfr(256));
            let got = chainrule::eval::evaluate(&store, &[*gi], &p, Mode::Mpfr(256));
            match (want, got) {
                (Ok((w, _)), Ok((g, _))) => {
                    let (w, g) = (w[0].to_float(512), g[0].to_float(512));
                    if !close(&g, &w, 1e-60) {
                        failures.push(format!("{id} ∂/∂{}: {g} != {w}", store.name(*v)));
                    }
                    compared += 1;
                }
                // Both undefined at the point (a kink's other side, a log of 0): fine.
                (Err(_), Err(_)) => {}
                (w, g) => failures.push(format!(
                    "{id} ∂/∂{}: diff gives {:?}, gradient {:?}",
                    store.name(*v),
                    w.map(|x| x.0),
                    g.map(|x| x.0)
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared > 250, "only {compared} partials compared");
}

#[test]
fn gradient_matches_sympy_for_the_oracle_variable() {
    for case in oracle() {
        let mut store = Store::new();
        let (e, _) = read_expr(&mut store, &case.expr, "<oracle>").unwrap();
        let x = store.intern(&case.wrt);
        let g = gradient(&mut store, e, &[x]);
        let p = point(&mut store, &case.at);
        let got = eval1(&store, g[0], &p, Mode::Auto(256)).to_float(512);
        assert!(close(&got, &expected(&case), 1e-30), "{}: {got}", case.id);
    }
}

#[test]
fn gradient_of_an_absent_variable_is_zero_and_order_is_kept() {
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, "w2*sin(w1*x)", "<e>").unwrap();
    let [w1, w2, q] = ["w1", "w2", "q"].map(|n| store.intern(n));
    let g = gradient(&mut store, e, &[q, w2, w1]);
    assert_eq!(text(&store, g[0]), "0");
    assert_eq!(text(&store, g[1]), "sin(w1*x)");
    assert_eq!(text(&store, g[2]), "w2*x*cos(w1*x)");
}

/// The deep chain `E = (y - w_n·σ(… σ(w_1·x)))^2` and its weights.
fn chain(store: &mut Store, n: usize, act: Builtin) -> (Id, Vec<Sym>) {
    let mut a = store.sym("x");
    let mut ws = Vec::new();
    for k in 1..=n {
        let w = store.sym(&format!("w{k}"));
        ws.push(store.as_sym(w).unwrap());
        let z = store.mul(w, a);
        a = if k < n { store.apply(act, z) } else { z };
    }
    let y = store.sym("y");
    let r = store.sub(y, a);
    (store.powr(r, 2.into()), ws)
}

/// Nodes and links (child references) of the DAG below `roots`.
fn size(store: &Store, roots: &[Id]) -> (usize, usize) {
    let nodes = store.reachable(roots);
    let links = nodes.iter().map(|n| store.node(*n).children().len()).sum();
    (nodes.len(), links)
}

#[test]
fn the_gradient_of_a_deep_chain_grows_linearly() {
    for act in [Builtin::Sigmoid, Builtin::Tanh] {
        let grow = |n: usize| {
            let mut store = Store::new();
            let (e, ws) = chain(&mut store, n, act);
            let before = store.len();
            let g = gradient(&mut store, e, &ws);
            (store.len() - before, size(&store, &g))
        };
        let (new1, (nodes1, links1)) = grow(500);
        let (new2, (nodes2, links2)) = grow(1000);
        // Twice the depth, twice the size (a quadratic gradient would be four times).
        assert!(
            new2 <= 2 * new1 + 50,
            "{act:?}: {new1} then {new2} new nodes"
        );
        assert!(
            nodes2 <= 2 * nodes1 + 50,
            "{act:?}: {nodes1} then {nodes2} nodes"
        );
        assert!(
            links2 <= 2 * links1 + 200,
            "{act:?}: {links1} then {links2} links"
        );
        // A handful of nodes per layer.
        assert!(new2 <= 6 * 1000, "{act:?}: {new2} nodes for 1000 layers");
    }
}

#[test]
fn per_variable_diff_of_a_deep_chain_is_linear_per_variable() {
    let mut store = Store::new();
    let (e, ws) = chain(&mut store, 2000, Builtin::Sigmoid);
    let d = diff(&mut store, e, ws[0]);
    let (nodes, links) = size(&store, &[d]);
    assert!(links < 12 * 2000, "{nodes} nodes, {links} links");
}

#[test]
fn the_nested_square_plus_itself_stays_linear() {
    // e ← e^2 + e: sums and products must not be multiplied out or flattened without bound.
    let sizes: Vec<(usize, usize)> = [500usize, 1000]
        .iter()
        .map(|&depth| {
            let mut store = Store::new();
            let x = store.sym("x");
            let mut e = x;
            for _ in 0..depth {
                let sq = store.powr(e, 2.into());
                e = store.add(sq, e);
            }
            let xs = store.as_sym(x).unwrap();
            let d = diff(&mut store, e, xs);
            size(&store, &[e, d])
        })
        .collect();
    let ((n1, l1), (n2, l2)) = (sizes[0], sizes[1]);
    assert!(n2 <= 2 * n1 + 100 && l2 <= 2 * l1 + 400, "{sizes:?}");
}

#[test]
fn large_sums_and_products_stay_shared_and_still_print_and_parse() {
    // A product larger than FLAT_MAX is kept as one factor: its text has parentheses that
    // read back as the same node.
    let mut store = Store::new();
    let (e, ws) = chain(&mut store, 12, Builtin::Sigmoid);
    let g = gradient(&mut store, e, &ws);
    for gi in &g {
        let printed = text(&store, *gi);
        let (back, _) = read_expr(&mut store, &printed, "<printed>").unwrap();
        assert_eq!(back, *gi, "{printed}");
    }
}

#[test]
fn backward_pass_of_a_deep_program_is_linear() {
    let program = |n: usize| {
        let mut s = String::new();
        let mut prev = "x".to_string();
        for k in 1..=n {
            s.push_str(&format!("z{k} = w{k}*{prev}\n"));
            s.push_str(&format!("a{k} = sigmoid(z{k})\n"));
            prev = format!("a{k}");
        }
        s.push_str(&format!("E = (y - {prev})^2\n"));
        s
    };
    let nodes = |n: usize| {
        let mut net = network::load(&program(n), "<chain>", None).unwrap();
        let bw = net.backward();
        assert_eq!(bw.gradient.len(), n + 2);
        net.store.len()
    };
    let (a, b) = (nodes(300), nodes(600));
    assert!(b <= 2 * a + 50, "{a} then {b} nodes");
}

/// Compiles the gradient tape of each oracle case, with the roots it computes.
fn tapes() -> Vec<(String, Store, Vec<Id>, Tape, chainrule::eval::Point)> {
    cases()
        .into_iter()
        .map(|(id, mut store, e, vars, p)| {
            let g = gradient(&mut store, e, &vars);
            let tape = Tape::gradient(&mut store, e, &vars).unwrap();
            let mut roots = vec![e];
            roots.extend(g);
            (id, store, roots, tape, p)
        })
        .collect()
}

#[test]
fn f64_tape_agrees_with_the_tree_evaluator_on_the_oracle() {
    let mut compared = 0;
    for (id, store, roots, tape, p) in tapes() {
        let env: HashMap<Sym, f64> = p
            .iter()
            .map(|(s, q)| (*s, Float::with_val(53, q).to_f64()))
            .collect();
        let point: Vec<f64> = tape.inputs().iter().map(|s| env[s]).collect();
        let got = tape.eval_f64(&point);
        for (r, g) in roots.iter().zip(&got) {
            let Ok(want) = evaluate_with(&store, &[*r], &env, &F64) else {
                continue;
            };
            let w = want[0];
            let ok = (g - w).abs() <= 1e-11 * w.abs().max(1e-300) || (g - w).abs() < 1e-280;
            assert!(ok, "{id}: tape {g} != tree {w} for {}", text(&store, *r));
            compared += 1;
        }
    }
    assert!(compared > 400, "only {compared} values compared");
}

#[test]
fn mpfr_tape_agrees_with_the_mpfr_evaluator_on_the_oracle() {
    let mut compared = 0;
    for (id, store, roots, tape, p) in tapes() {
        let mut eval = tape.mpfr_eval(256);
        let point: Vec<rug::Rational> = tape.inputs().iter().map(|s| p[s].clone()).collect();
        let got = eval.eval_exact(&point);
        // Reusing the evaluator gives the same values.
        assert_eq!(got, eval.eval_exact(&point), "{id}");
        let env: HashMap<Sym, Float> = p
            .iter()
            .map(|(s, q)| (*s, Float::with_val(256, q)))
            .collect();
        for (r, g) in roots.iter().zip(&got) {
            let Ok(want) = evaluate_with(&store, &[*r], &env, &Mpfr::new(256)) else {
                continue;
            };
            assert!(
                close(g, &want[0], 1e-60),
                "{id}: tape {g} != tree {} for {}",
                want[0],
                text(&store, *r)
            );
            compared += 1;
        }
    }
    assert!(compared > 400, "only {compared} values compared");
}

/// A few thousand pseudo-random points in [-2, 2] (xorshift: no dependency, same every run).
fn random_columns(inputs: usize, points: usize) -> Vec<Vec<f64>> {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
    };
    (0..inputs)
        .map(|_| (0..points).map(|_| next()).collect())
        .collect()
}

#[test]
fn batch_evaluation_equals_point_by_point_evaluation() {
    let mut store = Store::new();
    let (e, ws) = chain(&mut store, 30, Builtin::Tanh);
    let tape = Tape::gradient(&mut store, e, &ws).unwrap();
    // Not a multiple of the block, and large enough to be split over threads.
    for points in [1, tape::BLOCK + 3, 20_011] {
        let cols = random_columns(tape.inputs().len(), points);
        let refs: Vec<&[f64]> = cols.iter().map(|c| &c[..]).collect();
        let batch = tape.eval_batch(&refs);
        let mut one = tape.f64_eval();
        let mut out = vec![0.0; tape.outputs()];
        for i in (0..points).step_by(97) {
            let point: Vec<f64> = cols.iter().map(|c| c[i]).collect();
            one.eval(&point, &mut out);
            for (j, o) in out.iter().enumerate() {
                assert_eq!(o.to_bits(), batch[j][i].to_bits(), "point {i}, output {j}");
            }
        }
    }
}

#[test]
fn the_tape_is_a_few_instructions_per_layer() {
    let mut store = Store::new();
    let (e, ws) = chain(&mut store, 1000, Builtin::Sigmoid);
    let f = Tape::compile(&store, &[e], &store.free_symbols(e)).unwrap();
    let g = Tape::gradient(&mut store, e, &ws).unwrap();
    assert!(f.len() <= 2 * 1000 + 10, "{} instructions", f.len());
    // Forward 2, backward about 5 per layer: `1 - σ`, three products, and ∂E/∂w.
    assert!(g.len() <= 8 * 1000, "{} instructions", g.len());
    // Registers: the forward values the backward pass needs, not one per instruction.
    assert!(
        g.registers() <= 3 * 1000 + 100,
        "{} registers",
        g.registers()
    );
}

#[test]
fn fast_exp_is_within_one_ulp_of_the_c_library() {
    let ulps = |a: f64, b: f64| (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs();
    let mut x = -708.0;
    while x < 709.0 {
        assert!(
            ulps(tape::exp(x), x.exp()) <= 1,
            "exp({x}) = {} vs {}",
            tape::exp(x),
            x.exp()
        );
        x += 0.0137;
    }
    for x in [0.0, -0.0, 1e-300, -1e-20, 0.5, 1.0, 2.0, 100.0] {
        assert!(ulps(tape::exp(x), x.exp()) <= 1, "exp({x})");
    }
    assert_eq!(tape::exp(710.0), f64::INFINITY);
    assert_eq!(tape::exp(1e300), f64::INFINITY);
    assert_eq!(tape::exp(-800.0), 0.0);
    assert_eq!(tape::exp(f64::NEG_INFINITY), 0.0);
    assert!(tape::exp(f64::NAN).is_nan());
    // Gradual underflow: subnormal results are close to the C library's.
    let (a, b) = (tape::exp(-740.0), (-740.0f64).exp());
    assert!((a - b).abs() <= 2.0 * f64::from_bits(1), "{a} vs {b}");
}

#[test]
fn tape_compile_errors_name_the_problem() {
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, "f(x) + y", "<e>").unwrap();
    let x = store.intern("x");
    let y = store.intern("y");
    let err = Tape::compile(&store, &[e], &[x, y])
        .unwrap_err()
        .to_string();
    assert!(err.contains("unspecified function"), "{err}");
    let (e, _) = read_expr(&mut store, "x*y", "<e>").unwrap();
    let err = Tape::compile(&store, &[e], &[x]).unwrap_err().to_string();
    assert!(err.contains("no value for `y`"), "{err}");
}

#[test]
fn points_csv_gives_value_and_gradient_columns() {
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, "(y - w2*sigmoid(w1*x))^2", "<e>").unwrap();
    let ws = [store.intern("w1"), store.intern("w2")];
    let csv = "# homework points\nx, y, w1, w2, id\n1, 10, 2, 3, 7\n0.5,0,1/2,-1,8\n";
    let out = points_csv(&mut store, e, "E", &ws, csv).unwrap();
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("E,dE/dw1,dE/dw2"));
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 2);
    // The first row against the symbolic gradient evaluated exactly-then-rounded.
    let p = point(
        &mut store,
        &[("x", "1"), ("y", "10"), ("w1", "2"), ("w2", "3")]
            .map(|(a, b)| (a.to_string(), b.to_string())),
    );
    let g = gradient(&mut store, e, &ws);
    for (j, root) in [e, g[0], g[1]].iter().enumerate() {
        let want = eval1(&store, *root, &p, Mode::Mpfr(128)).to_f64();
        assert!(
            (rows[0][j] - want).abs() <= 1e-12 * want.abs(),
            "column {j}: {} vs {want}",
            rows[0][j]
        );
    }
    // Value only.
    let out = points_csv(&mut store, e, "E", &[], csv).unwrap();
    assert!(out.starts_with("E\n"), "{out}");
    // Errors.
    let err = points_csv(&mut store, e, "E", &ws, "x,y,w1\n1,2,3\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("no column `w2`"), "{err}");
    let err = points_csv(&mut store, e, "E", &ws, "x,y,w1,w2\n1,2,three,4\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 2") && err.contains("`w1`"), "{err}");
    let err = points_csv(&mut store, e, "E", &ws, "x,y,w1,w2\n1,2,3\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("3 values for 4 columns"), "{err}");
}

#[test]
fn let_bound_text_names_shared_nodes_and_means_the_same() {
    let mut store = Store::new();
    let (e, ws) = chain(&mut store, 40, Builtin::Sigmoid);
    let g = gradient(&mut store, e, &ws);
    let bound = let_bound(&store, &g);
    assert!(!bound.bindings.is_empty());
    // Linear size: the expanded gradient would be far larger.
    let total: usize = bound.bindings.iter().map(|(_, d)| d.len()).sum::<usize>()
        + bound.roots.iter().map(String::len).sum::<usize>();
    assert!(total < 60_000, "{total} characters");
    // As a program (bindings, then the roots), it has the gradient's values.
    let mut program = String::new();
    for (name, def) in &bound.bindings {
        program.push_str(&format!("{name} = {def}\n"));
    }
    for (i, r) in bound.roots.iter().enumerate().step_by(13) {
        let src = format!("{program}g = {r}\n");
        let mut net = network::load(&src, "<let>", None).unwrap();
        let at: Vec<(String, String)> = net
            .store
            .free_symbols(net.output_def().expanded)
            .iter()
            .enumerate()
            .map(|(k, s)| (net.store.name(*s).to_string(), format!("{}/7", k % 5 + 1)))
            .collect();
        let p1 = point(&mut net.store, &at);
        let got = eval1(&net.store, net.output_def().expanded, &p1, Mode::Mpfr(200)).to_float(512);
        let p2 = point(&mut store, &at);
        let want = eval1(&store, g[i], &p2, Mode::Mpfr(200)).to_float(512);
        assert!(close(&got, &want, 1e-50), "∂E/∂w{}: {got} != {want}", i + 1);
    }
}

#[test]
fn let_bound_names_avoid_the_expressions_own_names() {
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, "exp(t1*x) + exp(t1*x)^2 + t2", "<e>").unwrap();
    assert_eq!(text_let(&store, &[e]), "t3 = exp(t1*x)\nt2 + t3 + t3^2\n");
}

#[test]
fn tapes_whose_outputs_are_inputs_or_numbers() {
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, "w*x + 3", "<e>").unwrap();
    let [w, q] = ["w", "q"].map(|n| store.intern(n));
    // ∂/∂w = x (an input), ∂/∂q = 0 (a number).
    let tape = Tape::gradient(&mut store, e, &[w, q]).unwrap();
    let names: Vec<&str> = tape.inputs().iter().map(|s| store.name(*s)).collect();
    assert_eq!(names, ["w", "x", "q"]);
    assert_eq!(tape.eval_f64(&[2.0, 5.0, 7.0]), [13.0, 5.0, 0.0]);
    let cols: Vec<Vec<f64>> = vec![vec![2.0, 1.0], vec![5.0, -1.0], vec![0.0, 0.0]];
    let refs: Vec<&[f64]> = cols.iter().map(|c| &c[..]).collect();
    assert_eq!(
        tape.eval_batch(&refs),
        [vec![13.0, 2.0], vec![5.0, -1.0], vec![0.0, 0.0]]
    );
    let out = tape
        .mpfr_eval(64)
        .eval_exact(&[2.into(), 5.into(), 7.into()]);
    assert_eq!(out, [13, 5, 0]);
    let listing = tape.to_string();
    assert_eq!(
        listing,
        "r3 = 0\nr4 = mul r0 r1\nr5 = addq r4 [3]\nout r5 r1 r3\n"
    );
}
