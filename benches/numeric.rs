//! Numeric benchmarks of the compiled tape: the n = 100 chain's value and gradient at one
//! point and over 10^5 points in f64 (one thread and all), the tree evaluator for contrast,
//! the n = 30 gradient in MPFR at 256 and 1024 bits, and the dense f64 kernels of
//! `eval::dense`: the 256×784·784×128 matrix product, and issue 12's 784→256→10 sigmoid MLP
//! gradient (batch 128, squared loss) written by hand with those kernels, the workload
//! `bench/compare.py` times in NumPy (the same gradient through the symbolic path:
//! `benches/matrix.rs`).
//! Run with `cargo bench --bench numeric`; see BENCHMARKS.md for numbers and peers.

mod common;

use chainrule::eval::tape::Tape;
use chainrule::eval::{DenseBackend, F64, evaluate_with};
use chainrule::expr::Store;
use common::{Act, MLP_SIZES, chain, dense_random, mlp_by_hand, mlp_point, random_columns};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rug::Float;
use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

const POINTS: usize = 100_000;

fn f64_chain(c: &mut Criterion) {
    let mut store = Store::new();
    let (e, ws) = chain(&mut store, 100, Act::Sigmoid);
    let grad = Tape::gradient(&mut store, e, &ws).unwrap();
    let func = Tape::compile(&store, &[e], grad.inputs()).unwrap();
    let cols = random_columns(grad.inputs().len(), POINTS);
    let refs: Vec<&[f64]> = cols.iter().map(|c| &c[..]).collect();
    let point: Vec<f64> = cols.iter().map(|c| c[0]).collect();

    let mut group = c.benchmark_group("f64_chain100_one_point");
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(1));
    for (name, tape) in [("function", &func), ("gradient", &grad)] {
        let mut eval = tape.f64_eval();
        let mut out = vec![0.0; tape.outputs()];
        group.bench_function(name, |b| {
            b.iter(|| {
                eval.eval(black_box(&point), &mut out);
                black_box(out[0])
            })
        });
    }
    // The generic tree evaluator, for contrast with the compiled tape.
    let roots: Vec<_> = {
        let g = chainrule::diff::gradient(&mut store, e, &ws);
        std::iter::once(e).chain(g).collect()
    };
    let env: HashMap<_, _> = grad
        .inputs()
        .iter()
        .copied()
        .zip(point.iter().copied())
        .collect();
    group.bench_function("gradient_tree_evaluator", |b| {
        b.iter(|| black_box(evaluate_with(&store, &roots, &env, &F64).unwrap()))
    });
    group.finish();

    let mut group = c.benchmark_group("f64_chain100_batch_1e5");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(POINTS as u64));
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    for (name, tape) in [("function", &func), ("gradient", &grad)] {
        let mut out: Vec<Vec<f64>> = (0..tape.outputs()).map(|_| vec![0.0; POINTS]).collect();
        for t in [1, threads] {
            let id = BenchmarkId::new(name, format!("{t}_threads"));
            group.bench_function(id, |b| {
                b.iter(|| {
                    let mut slices: Vec<&mut [f64]> = out.iter_mut().map(|c| &mut c[..]).collect();
                    tape.eval_batch_on(&refs, &mut slices, t);
                })
            });
        }
    }
    group.finish();
}

fn mpfr_chain(c: &mut Criterion) {
    let mut store = Store::new();
    let (e, ws) = chain(&mut store, 30, Act::Sigmoid);
    let grad = Tape::gradient(&mut store, e, &ws).unwrap();
    let cols = random_columns(grad.inputs().len(), 1);
    let mut group = c.benchmark_group("mpfr_chain30_gradient");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(2));
    for prec in [256u32, 1024] {
        let point: Vec<Float> = cols.iter().map(|c| Float::with_val(prec, c[0])).collect();
        let mut eval = grad.mpfr_eval(prec);
        let mut out = vec![Float::new(prec); grad.outputs()];
        group.bench_with_input(BenchmarkId::from_parameter(prec), &prec, |b, _| {
            b.iter(|| {
                eval.eval(black_box(&point), &mut out);
            })
        });
    }
    group.finish();
}

fn f64_dense(c: &mut Criterion) {
    let mut group = c.benchmark_group("f64_dense");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(2));
    let a = dense_random(256, 784, 1, 1.0);
    let b = dense_random(784, 128, 2, 1.0);
    group.bench_function("matmul_256x784x128", |bench| {
        bench.iter(|| black_box(F64.matmul(black_box(&a), black_box(&b)).unwrap()))
    });
    let point = mlp_point(MLP_SIZES);
    group.bench_function("mlp_784_256_10_batch128_gradient_by_hand", |bench| {
        bench.iter(|| black_box(mlp_by_hand(&point)))
    });
    group.finish();
}

criterion_group!(benches, f64_chain, mpfr_chain, f64_dense);
criterion_main!(benches);
