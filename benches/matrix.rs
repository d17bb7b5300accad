//! Issue 12's matrix benchmark through chainrule's symbolic path: the f64 gradient of a
//! 784→256→10 sigmoid MLP with squared loss over a batch of 128 inputs,
//! E = sum((Y - W2*sigmoid(W1*X)).^2), by W1 and W2.
//!
//! - `mlp_symbolic/parse_lower_gradient`: the text parsed, lowered into the shaped DAG
//!   (`syntax::MatrixLowerer`) and differentiated by W1 and W2 (`matrix::gradient`); the
//!   result does not depend on the sizes.
//! - `mlp_f64/evaluate_gradients`: both symbolic gradients evaluated in f64 at fixed seeded
//!   matrices (`eval::matrix::evaluate_f64`), the DAG built once beforehand; checked once,
//!   untimed, against the forward and backward pass written by hand with the dense kernels,
//!   which is timed too (`by_hand`) for the ratio in one run.
//!
//! Run with `cargo bench --bench matrix`; see BENCHMARKS.md for numbers and NumPy's.

mod common;

use chainrule::eval::matrix::evaluate_f64;
use common::{MLP_SIZES, mlp_by_hand, mlp_point, mlp_symbolic, relative_difference};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn mlp_symbolic_gradient(c: &mut Criterion) {
    let mut group = c.benchmark_group("mlp_symbolic");
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(2));
    group.bench_function("parse_lower_gradient", |b| {
        b.iter(|| black_box(mlp_symbolic(black_box(MLP_SIZES))))
    });
    group.finish();
}

fn mlp_f64(c: &mut Criterion) {
    let (store, roots) = mlp_symbolic(MLP_SIZES);
    let point = mlp_point(MLP_SIZES);
    let ours = evaluate_f64(&store, &roots, &point).unwrap();
    let (g1, g2) = mlp_by_hand(&point);
    for (name, got, want) in [("W1", &ours[0], &g1), ("W2", &ours[1], &g2)] {
        let d = relative_difference(got, want);
        assert!(
            d <= 1e-12,
            "∇{name}: the symbolic gradient differs from the hand-written pass by {d:e}"
        );
    }
    let mut group = c.benchmark_group("mlp_f64");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("evaluate_gradients", |b| {
        b.iter(|| black_box(evaluate_f64(&store, &roots, black_box(&point)).unwrap()))
    });
    group.bench_function("by_hand", |b| {
        b.iter(|| black_box(mlp_by_hand(black_box(&point))))
    });
    group.finish();
}

criterion_group!(benches, mlp_symbolic_gradient, mlp_f64);
criterion_main!(benches);
