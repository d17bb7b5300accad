//! Times one benchmark workload and prints the result as one line of JSON, for
//! `bench/compare.py`, which runs SymPy and SymEngine on the same workloads in the same run.
//! (For statistics use the criterion benches: `cargo bench`.)
//!
//! ```text
//! cargo run --release --example bench_json -- chain_gradient sigmoid 1000
//! cargo run --release --example bench_json -- nested_diff 1000
//! cargo run --release --example bench_json -- parse_diff 'sin(x^2)'
//! cargo run --release --example bench_json -- f64_batch 100 100000 2
//! cargo run --release --example bench_json -- f64_point 100
//! cargo run --release --example bench_json -- mpfr_gradient 30 256
//! cargo run --release --example bench_json -- mlp_gradient 784 256 10 128 [DIR]
//! cargo run --release --example bench_json -- mlp_by_hand 784 256 10 128 [DIR]
//! cargo run --release --example bench_json -- mlp_symbolic 784 256 10 128
//! cargo run --release --example bench_json -- chain_program 10000 > chain10000.chain
//! ```
//!
//! `chain_program N` times nothing: it prints the N-layer sigmoid chain as a program with its
//! point (`common::chain_program_at`), the file the command-line timings of BENCHMARKS.md
//! run on (`chainrule backprop chain10000.chain --format json`).
//!
//! `mlp_gradient` times the f64 evaluation of the symbolic gradients of issue 12's MLP
//! (`eval::matrix::evaluate_f64` of ∇W1 and ∇W2 of `sum((Y - W2*sigmoid(W1*X)).^2)`, the DAG
//! built beforehand, untimed; `mlp_symbolic` times that build: parse, lower, both gradients).
//! The matrices are read from DIR (`X.f64`, `Y.f64`, `W1.f64`, `W2.f64`: raw little-endian
//! doubles, row-major, as NumPy's `tofile` writes them), or seeded here without DIR; with DIR,
//! the gradients computed before timing are written to `gW1.f64` and `gW2.f64` there, for the
//! caller to check. `mlp_by_hand` times the same pass written by hand with the dense kernels.
//!
//! Each workload runs until at least 3 runs and 1 s have passed (at most 30 runs; one run
//! with `BENCH_ONCE=1`); the JSON gives the median and the fastest run in seconds, and the
//! process's peak memory in bytes.

#[path = "../benches/common/mod.rs"]
mod common;

use chainrule::eval::Dense;
use chainrule::eval::matrix::evaluate_f64;
use chainrule::eval::tape::Tape;
use chainrule::expr::Store;
use common::{
    Act, MlpSizes, chain, chain_program_at, mlp_by_hand, mlp_point, mlp_symbolic, nested,
    parse_diff_print, random_columns,
};
use rug::Float;
use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

/// Runs `setup` then times `run` on its result, repeatedly; returns the sorted times.
/// Times `f` called `per` times in a row, per call: for work too short to time alone.
fn per_call(per: usize, mut f: impl FnMut()) -> Vec<f64> {
    time(
        || (),
        |()| {
            for _ in 0..per {
                f();
            }
        },
    )
    .into_iter()
    .map(|t| t / per as f64)
    .collect()
}

fn time<S, T>(mut setup: impl FnMut() -> S, mut run: impl FnMut(S) -> T) -> Vec<f64> {
    let mut times = Vec::new();
    let started = Instant::now();
    // BENCH_ONCE=1: one run, so that the peak memory is that of one run.
    let once = std::env::var_os("BENCH_ONCE").is_some();
    while times.is_empty()
        || !once
            && (times.len() < 3 || started.elapsed() < Duration::from_secs(1) && times.len() < 30)
    {
        let s = setup();
        let t = Instant::now();
        let out = run(s);
        times.push(t.elapsed().as_secs_f64());
        drop(black_box(out));
    }
    times.sort_by(f64::total_cmp);
    times
}

/// Peak resident memory of this process, in bytes (Linux; 0 elsewhere).
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

fn act(name: &str) -> Act {
    match name {
        "sigmoid" => Act::Sigmoid,
        "tanh" => Act::Tanh,
        _ => panic!("activation: sigmoid or tanh"),
    }
}

/// The MLP's matrices from `dir` (raw little-endian f64, row-major), or seeded.
fn mlp_matrices(sizes: MlpSizes, dir: Option<&Path>) -> HashMap<String, Dense<f64>> {
    let Some(dir) = dir else {
        return mlp_point(sizes);
    };
    let (inputs, hidden, outputs, batch) = sizes;
    [
        ("X", inputs, batch),
        ("Y", outputs, batch),
        ("W1", hidden, inputs),
        ("W2", outputs, hidden),
    ]
    .into_iter()
    .map(|(name, r, c)| {
        let path = dir.join(format!("{name}.f64"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            bytes.len(),
            r * c * 8,
            "{}: not {r}×{c} doubles",
            path.display()
        );
        let data = bytes
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
            .collect();
        (name.to_string(), Dense::new(r, c, data))
    })
    .collect()
}

/// Writes `m` to `path` as raw little-endian f64, row-major.
fn write_f64(path: &Path, m: &Dense<f64>) {
    let bytes: Vec<u8> = m.data().iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or_default();
    let num = |i: usize| arg(i).parse::<usize>().expect("a number argument");
    let mut extra = String::new();
    if arg(0) == "chain_program" {
        print!("{}", chain_program_at(num(1)));
        return;
    }
    let times = match arg(0) {
        "chain_gradient" => {
            let (a, n) = (act(arg(1)), num(2));
            time(
                || {
                    let mut store = Store::new();
                    let (e, ws) = chain(&mut store, n, a);
                    (store, e, ws)
                },
                |(mut store, e, ws)| {
                    let before = store.len();
                    black_box(chainrule::diff::gradient(&mut store, e, &ws));
                    extra = format!(r#", "new_nodes": {}"#, store.len() - before);
                    store
                },
            )
        }
        "nested_diff" => {
            let depth = num(1);
            time(
                || {
                    let mut store = Store::new();
                    let (e, x) = nested(&mut store, depth);
                    (store, e, x)
                },
                |(mut store, e, x)| {
                    black_box(chainrule::diff::diff(&mut store, e, x));
                    store
                },
            )
        }
        "parse_diff" => {
            let src = arg(1).to_string();
            extra = format!(r#", "result": {:?}"#, parse_diff_print(&src, "x"));
            // Many repetitions per timing: one takes microseconds.
            let per = 1000;
            time(
                || (),
                |()| {
                    for _ in 0..per {
                        black_box(parse_diff_print(&src, "x"));
                    }
                },
            )
            .into_iter()
            .map(|t| t / per as f64)
            .collect()
        }
        "f64_batch" | "f64_batch_function" => {
            let (n, points, threads) = (num(1), num(2), num(3));
            let mut store = Store::new();
            let (e, ws) = chain(&mut store, n, Act::Sigmoid);
            let mut tape = Tape::gradient(&mut store, e, &ws).unwrap();
            if arg(0) == "f64_batch_function" {
                tape = Tape::compile(&store, &[e], tape.inputs()).unwrap();
            }
            let cols = random_columns(tape.inputs().len(), points);
            let refs: Vec<&[f64]> = cols.iter().map(|c| &c[..]).collect();
            let mut out: Vec<Vec<f64>> = (0..tape.outputs()).map(|_| vec![0.0; points]).collect();
            extra = format!(
                r#", "instructions": {}, "registers": {}"#,
                tape.len(),
                tape.registers()
            );
            time(
                || (),
                |()| {
                    let mut slices: Vec<&mut [f64]> = out.iter_mut().map(|c| &mut c[..]).collect();
                    tape.eval_batch_on(&refs, &mut slices, threads);
                },
            )
        }
        "f64_point" => {
            let n = num(1);
            let mut store = Store::new();
            let (e, ws) = chain(&mut store, n, Act::Sigmoid);
            let tape = Tape::gradient(&mut store, e, &ws).unwrap();
            let point: Vec<f64> = random_columns(tape.inputs().len(), 1)
                .iter()
                .map(|c| c[0])
                .collect();
            let mut eval = tape.f64_eval();
            let mut out = vec![0.0; tape.outputs()];
            per_call(10_000, || eval.eval(black_box(&point), &mut out))
        }
        "mpfr_gradient" => {
            let (n, prec) = (num(1), num(2) as u32);
            let mut store = Store::new();
            let (e, ws) = chain(&mut store, n, Act::Sigmoid);
            let tape = Tape::gradient(&mut store, e, &ws).unwrap();
            let point: Vec<Float> = random_columns(tape.inputs().len(), 1)
                .iter()
                .map(|c| Float::with_val(prec, c[0]))
                .collect();
            let mut eval = tape.mpfr_eval(prec);
            let mut out = vec![Float::new(prec); tape.outputs()];
            per_call(100, || eval.eval(black_box(&point), &mut out))
        }
        "mlp_symbolic" => {
            let sizes = (num(1), num(2), num(3), num(4));
            per_call(100, || drop(black_box(mlp_symbolic(sizes))))
        }
        "mlp_gradient" | "mlp_by_hand" => {
            let sizes = (num(1), num(2), num(3), num(4));
            let dir = args.get(5).map(Path::new);
            let point = mlp_matrices(sizes, dir);
            let (store, roots) = mlp_symbolic(sizes);
            let run = || match arg(0) {
                "mlp_gradient" => {
                    let mut g = evaluate_f64(&store, &roots, black_box(&point)).unwrap();
                    let g2 = g.pop().unwrap();
                    (g.pop().unwrap(), g2)
                }
                _ => mlp_by_hand(black_box(&point)),
            };
            if let Some(dir) = dir {
                let (g1, g2) = run();
                write_f64(&dir.join("gW1.f64"), &g1);
                write_f64(&dir.join("gW2.f64"), &g2);
            }
            time(|| (), |()| run())
        }
        other => {
            eprintln!("unknown workload `{other}`: see the top of examples/bench_json.rs");
            std::process::exit(2);
        }
    };
    println!(
        r#"{{"workload": {:?}, "args": {:?}, "median": {:e}, "min": {:e}, "runs": {}, "peak_rss": {}{extra}}}"#,
        arg(0),
        &args[1..],
        times[times.len() / 2],
        times[0],
        times.len(),
        peak_rss()
    );
}
