//! Symbolic benchmarks: the whole gradient of the deep chain, the nested `e ← e² + e`,
//! parse + differentiate + print of small expressions, and a program's backward pass.
//! Run with `cargo bench --bench symbolic`; see BENCHMARKS.md for numbers and peers.

mod common;

use chainrule::diff::{diff, gradient};
use chainrule::expr::Store;
use common::{Act, SMALL, chain, chain_program, nested, parse_diff_print};
use criterion::{BatchSize, BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

/// ∂E/∂w for all n weights of the chain at once (the store built beforehand, untimed).
fn chain_gradient(c: &mut Criterion) {
    for act in [Act::Sigmoid, Act::Tanh] {
        let mut group = c.benchmark_group(format!("chain_gradient_{}", act.name()));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(200))
            // Flat sampling: the same number of iterations in every sample, so that the
            // largest sizes (a second each) take ten runs, not criterion's ramp of 55.
            .sampling_mode(SamplingMode::Flat);
        for n in [10usize, 100, 1_000, 10_000, 100_000] {
            group.measurement_time(Duration::from_secs(if n >= 10_000 { 8 } else { 2 }));
            group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
                b.iter_batched(
                    || {
                        let mut store = Store::new();
                        let (e, ws) = chain(&mut store, n, act);
                        (store, e, ws)
                    },
                    |(mut store, e, ws)| {
                        let g = gradient(&mut store, e, &ws);
                        black_box(g);
                        store
                    },
                    BatchSize::PerIteration,
                )
            });
        }
        group.finish();
    }
}

/// ∂/∂x of `e ← e² + e`, 1000 times, from `x` (built beforehand, untimed), and with the build.
fn nested_square(c: &mut Criterion) {
    let mut group = c.benchmark_group("nested_square_plus_self");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(2));
    group.bench_function("diff_depth_1000", |b| {
        b.iter_batched(
            || {
                let mut store = Store::new();
                let (e, x) = nested(&mut store, 1000);
                (store, e, x)
            },
            |(mut store, e, x)| {
                black_box(diff(&mut store, e, x));
                store
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("build_and_diff_depth_1000", |b| {
        b.iter(|| {
            let mut store = Store::new();
            let (e, x) = nested(&mut store, 1000);
            black_box(diff(&mut store, e, x));
            store
        })
    });
    group.finish();
}

fn parse_diff(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_diff_print");
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(1));
    for (src, var) in SMALL {
        group.bench_function(src, |b| b.iter(|| black_box(parse_diff_print(src, var))));
    }
    group.finish();
}

/// A program of 2n definitions: load (parse, lower, expand) and the symbolic backward pass.
fn program_backward(c: &mut Criterion) {
    let mut group = c.benchmark_group("program_load_backward");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .sampling_mode(SamplingMode::Flat);
    for n in [100usize, 1_000, 10_000] {
        let src = chain_program(n, Act::Sigmoid);
        group.bench_with_input(BenchmarkId::from_parameter(n), &src, |b, src| {
            b.iter(|| {
                let mut net = chainrule::network::load(src, "<chain>", None).unwrap();
                black_box(net.backward());
                net
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    chain_gradient,
    nested_square,
    parse_diff,
    program_backward
);
criterion_main!(benches);
