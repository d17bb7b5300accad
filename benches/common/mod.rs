//! The benchmark workloads, shared by the criterion benches (`benches/*.rs`) and the
//! JSON-printing runner used by `bench/compare.py` (`examples/bench_json.rs`), so both time
//! exactly the same expressions. `bench/compare.py` builds the same ones in SymPy and
//! SymEngine.
#![allow(dead_code)]

use chainrule::expr::{Builtin, Id, Store, Sym};

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
