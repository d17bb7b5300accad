//! The benchmark workloads, shared by the criterion benches (`benches/*.rs`) and the
//! JSON-printing runner used by `bench/compare.py` (`examples/bench_json.rs`), so both time
//! exactly the same expressions. `bench/compare.py` builds the same ones in SymPy and
//! SymEngine.
#![allow(dead_code)]

use chainrule::eval::{Dense, DenseBackend, F64};
use chainrule::expr::{Builtin, Id, Store, Sym};
use chainrule::matrix::{Dim, MId, MatStore, Shape};
use std::collections::HashMap;

/// The activation of the deep chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// The logistic sigmoid.
    Sigmoid,
    /// The hyperbolic tangent.
    Tanh,
}

impl Act {
    pub fn builtin(self) -> Builtin {
        match self {
            Act::Sigmoid => Builtin::Sigmoid,
            Act::Tanh => Builtin::Tanh,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Act::Sigmoid => "sigmoid",
            Act::Tanh => "tanh",
        }
    }
}

/// The deep chain `E = (y - w_n·σ(w_{n-1}·σ(… σ(w_1·x))))^2`: its root and the weights
/// `w_1 … w_n`, in that order.
pub fn chain(store: &mut Store, n: usize, act: Act) -> (Id, Vec<Sym>) {
    let mut a = store.sym("x");
    let mut ws = Vec::with_capacity(n);
    for k in 1..=n {
        let w = store.sym(&format!("w{k}"));
        ws.push(store.as_sym(w).unwrap());
        let z = store.mul(w, a);
        a = if k < n {
            store.apply(act.builtin(), z)
        } else {
            z
        };
    }
    let y = store.sym("y");
    let r = store.sub(y, a);
    let e = store.powr(r, 2.into());
    (e, ws)
}

/// The deep chain as a program file (`z1 = w1*x`, `a1 = sigmoid(z1)`, …, `E = (y - ŷ)^2`).
pub fn chain_program(n: usize, act: Act) -> String {
    let mut s = String::with_capacity(n * 40);
    let mut prev = "x".to_string();
    for k in 1..=n {
        s.push_str(&format!("z{k} = w{k}*{prev}\n"));
        if k < n {
            s.push_str(&format!("a{k} = {}(z{k})\n", act.name()));
            prev = format!("a{k}");
        }
    }
    s.push_str(&format!("E = (y - z{n})^2\n"));
    s
}

/// The deep chain as a program of `2n` definitions with a point, as issue 16 times the
/// command line on it: `z_k = w_k*x_{k-1}`, `x_k = sigmoid(z_k)` for k = 1 … n (x_0 is the
/// input `x0`), the loss `E = (y - x_n)^2`, and an `at` line giving every input a rational
/// value (`w_k = ±(k mod 7 + 1)/4`, nonzero, alternating in sign; `x0 = 1`, `y = 1/2`).
/// `bench_json chain_program N` prints it, for timing the binary on it.
pub fn chain_program_at(n: usize) -> String {
    let mut s = String::with_capacity(n * 64);
    s.push_str(&format!(
        "# The {n}-layer sigmoid chain (benches/common/mod.rs, chain_program_at)\n"
    ));
    for k in 1..=n {
        s.push_str(&format!("z{k} = w{k}*x{}\n", k - 1));
        s.push_str(&format!("x{k} = sigmoid(z{k})\n"));
    }
    s.push_str(&format!("E = (y - x{n})^2\n"));
    s.push_str("at x0 = 1, y = 1/2");
    for k in 1..=n {
        let sign = if k % 2 == 0 { "-" } else { "" };
        s.push_str(&format!(", w{k} = {sign}{}/4", k % 7 + 1));
    }
    s.push('\n');
    s
}

/// `e ← e^2 + e`, `depth` times, starting from `x`.
pub fn nested(store: &mut Store, depth: usize) -> (Id, Sym) {
    let x = store.sym("x");
    let mut e = x;
    for _ in 0..depth {
        let sq = store.powr(e, 2.into());
        e = store.add(sq, e);
    }
    (e, store.as_sym(x).unwrap())
}

/// `count` pseudo-random values in [-1, 1] per column (xorshift: the same every run, and the
/// same as `bench/compare.py`'s NumPy points only in distribution, not in value).
pub fn random_columns(columns: usize, count: usize) -> Vec<Vec<f64>> {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    (0..columns)
        .map(|_| (0..count).map(|_| next()).collect())
        .collect()
}

/// The parse-and-differentiate cases: expression and variable.
pub const SMALL: [(&str, &str); 2] = [("sin(x^2)", "x"), ("(x^2+1)/(x-1)", "x")];

/// Parses `src`, differentiates by `var` (simplified by the canonical constructors and the
/// call rules) and prints the result.
pub fn parse_diff_print(src: &str, var: &str) -> String {
    let mut store = Store::new();
    let (e, _) = chainrule::syntax::read_expr(&mut store, src, "<bench>").unwrap();
    let x = store.intern(var);
    let d = chainrule::diff::diff(&mut store, e, x);
    chainrule::print::text(&store, d)
}

/// Issue 12's MLP workload: E = sum((Y - W2·σ(W1·X)).^2) over a batch, as written.
pub const MLP_SRC: &str = "sum((Y - W2*sigmoid(W1*X)).^2)";

/// The MLP's sizes: inputs, hidden units, outputs, batch (784, 256, 10, 128 in the issue).
pub type MlpSizes = (usize, usize, usize, usize);

/// The sizes.
pub const MLP_SIZES: MlpSizes = (784, 256, 10, 128);

/// [`MLP_SRC`] parsed and lowered through the library with X, Y, W1, W2 declared at `sizes`,
/// and its symbolic gradients by W1 and W2 (`matrix::gradient`): the store and the two roots.
pub fn mlp_symbolic(sizes: MlpSizes) -> (MatStore, [MId; 2]) {
    let (inputs, hidden, outputs, batch) = sizes;
    let mut store = MatStore::new();
    let m = |r: usize, c: usize| Shape::matrix(Dim::Known(r as u64), Dim::Known(c as u64));
    store.declare("X", m(inputs, batch));
    store.declare("Y", m(outputs, batch));
    store.declare("W1", m(hidden, inputs));
    store.declare("W2", m(outputs, hidden));
    let ast = chainrule::syntax::parse_expr(MLP_SRC, "<bench>").unwrap();
    let e = chainrule::syntax::MatrixLowerer::new(&mut store, MLP_SRC, "<bench>")
        .expr(&ast)
        .unwrap();
    let g1 = chainrule::matrix::gradient(&mut store, e, "W1").unwrap();
    let g2 = chainrule::matrix::gradient(&mut store, e, "W2").unwrap();
    (store, [g1, g2])
}

/// A deterministic r×c matrix with entries in [-1, 1) times `scale`.
pub fn dense_random(rows: usize, cols: usize, seed: u64, scale: f64) -> Dense<f64> {
    let mut s = seed;
    Dense::from_fn(rows, cols, |_, _| {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0) * scale
    })
}

/// X, Y, W1, W2 at `sizes`, seeded, the weights scaled by 1/√fan-in as `bench/compare.py`'s
/// `mlp_data` does (same distribution, not the same values).
pub fn mlp_point(sizes: MlpSizes) -> HashMap<String, Dense<f64>> {
    let (inputs, hidden, outputs, batch) = sizes;
    let fan = |n: usize| 1.0 / (n as f64).sqrt();
    [
        ("X", dense_random(inputs, batch, 3, 1.0)),
        ("Y", dense_random(outputs, batch, 4, 1.0)),
        ("W1", dense_random(hidden, inputs, 5, fan(inputs))),
        ("W2", dense_random(outputs, hidden, 6, fan(hidden))),
    ]
    .into_iter()
    .map(|(n, d)| (n.to_string(), d))
    .collect()
}

/// ∇W1 and ∇W2 of the MLP at `p`, forward and backward written by hand with the dense f64
/// kernels (as NumPy's pass in `bench/compare.py`).
pub fn mlp_by_hand(p: &HashMap<String, Dense<f64>>) -> (Dense<f64>, Dense<f64>) {
    let (x, y, w1, w2) = (&p["X"], &p["Y"], &p["W1"], &p["W2"]);
    let b = F64;
    let h = b
        .apply(Builtin::Sigmoid, &[&b.matmul(w1, x).unwrap()])
        .unwrap();
    let r = b.sub(y, &b.matmul(w2, &h).unwrap()).unwrap();
    let d_out = b.scale(&-2.0, &r).unwrap();
    let grad_w2 = b.matmul_t(&d_out, false, &h, true).unwrap();
    let d_h = b.matmul_t(w2, true, &d_out, false).unwrap();
    let one_minus_h = b.sub(&Dense::scalar(1.0), &h).unwrap();
    let d_z = b
        .hadamard(&b.hadamard(&d_h, &h).unwrap(), &one_minus_h)
        .unwrap();
    let grad_w1 = b.matmul_t(&d_z, false, x, true).unwrap();
    (grad_w1, grad_w2)
}

/// max |a - b| / max |b| over the entries: `a`'s difference from `b` relative to `b`'s
/// largest entry (entry by entry it would be dominated by entries that cancel to nearly 0,
/// where any two summation orders differ).
pub fn relative_difference(a: &Dense<f64>, b: &Dense<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    let largest = b.data().iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let diff = a
        .data()
        .iter()
        .zip(b.data())
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    diff / largest
}
