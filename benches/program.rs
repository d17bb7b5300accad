//! The whole program path of `chainrule backprop FILE` (issue 16), stage by stage, on the
//! n-layer sigmoid chain written as a program with its point (`common::chain_program_at`):
//! load (parse, lower, expand), the symbolic backward pass, the evaluation of both passes at
//! the point (exact where it can, else MPFR checked at two precisions, as the command does),
//! and printing the report as text and as JSON. `grad_expanded` is `chainrule grad FILE
//! --form expanded` without a point.
//! Run with `cargo bench --bench program`; see BENCHMARKS.md for numbers.

mod common;

use chainrule::eval::Mode;
use chainrule::network::{self, Network};
use chainrule::report::{self, Form, Numbers, Style};
use common::chain_program_at;
use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

const SIZES: [usize; 2] = [1_000, 10_000];

/// The command line's default evaluation: exact, else MPFR at 128 bits; 20 digits in text.
const NUMBERS: Numbers = Numbers {
    mode: Mode::Auto(128),
    digits: 20,
};

fn load(src: &str) -> Network {
    network::load(src, "<chain>", None).expect("the chain program loads")
}

fn program_path(c: &mut Criterion) {
    let mut group = c.benchmark_group("program_path");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(3))
        .sampling_mode(SamplingMode::Flat);
    for n in SIZES {
        let src = chain_program_at(n);
        group.bench_with_input(BenchmarkId::new("load", n), &src, |b, src| {
            b.iter(|| load(black_box(src)))
        });
        group.bench_with_input(BenchmarkId::new("backward", n), &src, |b, src| {
            b.iter_batched(
                || load(src),
                |mut net| {
                    black_box(net.backward());
                    net
                },
                criterion::BatchSize::PerIteration,
            )
        });
        group.bench_with_input(BenchmarkId::new("evaluate", n), &src, |b, src| {
            let mut net = load(src);
            let bw = net.backward();
            let point = net.point.clone();
            b.iter(|| black_box(net.trace(&bw, &point, NUMBERS.mode).expect("values")))
        });
        for (name, style) in [("report_text", Style::Text), ("report_json", Style::Json)] {
            // The whole report: backward pass, evaluation and printing (the command's work
            // after loading); printing alone is this less `backward` and `evaluate`.
            group.bench_with_input(BenchmarkId::new(name, n), &src, |b, src| {
                b.iter_batched(
                    || load(src),
                    |mut net| {
                        let point = net.point.clone();
                        black_box(report::backprop(&mut net, &point, NUMBERS, style).unwrap());
                        net
                    },
                    criterion::BatchSize::PerIteration,
                )
            });
        }
        group.bench_with_input(BenchmarkId::new("grad_expanded", n), &src, |b, src| {
            b.iter_batched(
                || load(src),
                |mut net| {
                    let r = report::grad(&mut net, None, NUMBERS, Form::Expanded, Style::Text);
                    black_box(r.ok());
                    net
                },
                criterion::BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, program_path);
criterion_main!(benches);
