//! Limits, by design: deep input is handled up to the parser's documented limit
//! ([`MAX_DEPTH`]) and refused past it with a message that names the limit; huge exact numbers
//! fall back to MPFR out loud or are refused; expressions too large to write out print as a
//! marker; a 10 000-layer network runs its backward pass.
//!
//! Every test here runs on the test harness's ordinary threads (2 MiB of stack): the library
//! is robust on a small stack (the parser sizes its own stack with `stacker`, lowering and
//! printing grow theirs as they recurse, differentiation and evaluation do not recurse), so
//! no test needs a big-stack thread. The binary runs its work on a 256 MiB thread anyway.

mod common;

use chainrule::diff::diff;
use chainrule::eval::{Mode, Point, Value, evaluate};
use chainrule::expr::Store;
use chainrule::network;
use chainrule::print::{MAX_PRINT_NODES, latex, printed_size, text};
use chainrule::report::{self, Numbers, Style};
use chainrule::syntax::{MAX_DEPTH, parse_expr, parse_program, read_expr};
use common::{chainrule, chainrule_with_input};
use rug::Rational;
use std::process::Command;
use std::time::{Duration, Instant};

fn nested(open: &str, inner: &str, close: &str, n: usize) -> String {
    let mut s = String::with_capacity(n * (open.len() + close.len()) + inner.len());
    for _ in 0..n {
        s.push_str(open);
    }
    s.push_str(inner);
    for _ in 0..n {
        s.push_str(close);
    }
    s
}

fn point(store: &mut Store, items: &[(&str, (i64, i64))]) -> Point {
    items
        .iter()
        .map(|(n, (p, q))| (store.intern(n), Rational::from((*p, *q))))
        .collect()
}

// ───────────────────────────── depth ─────────────────────────────

#[test]
fn parentheses_just_under_the_depth_limit_are_handled() {
    let src = nested("(", "x", ")", MAX_DEPTH);
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, &src, "<deep>").expect("MAX_DEPTH parentheses parse");
    let x = store.intern("x");
    assert_eq!(text(&store, e), "x");
    let d = diff(&mut store, e, x);
    assert_eq!(text(&store, d), "1");
}

/// `sigmoid(sigmoid(…(x)…))` nested `MAX_DEPTH` deep: parsed, differentiated, evaluated and
/// printed on a 2 MiB test thread. The expression prints in full and reads back; its
/// derivative, a product of 10 000 factors each nested up to 10 000 deep (5·10^7 nodes written
/// out, 30 000 distinct), prints as the too-large marker, and still evaluates.
#[test]
fn calls_just_under_the_depth_limit_are_handled() {
    let src = nested("sigmoid(", "x", ")", MAX_DEPTH);
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, &src, "<deep>").expect("MAX_DEPTH calls parse");
    let x = store.intern("x");
    let d = diff(&mut store, e, x);
    let p = point(&mut store, &[("x", (1, 2))]);

    let (v, _) = evaluate(&store, &[e, d], &p, Mode::Mpfr(64)).expect("evaluates");
    let (value, slope) = (v[0].to_f64(), v[1].to_float(64));
    // The iterates of sigmoid converge to its fixed point p = 0.6590…; each factor of the
    // derivative tends to σ'(p) = p(1 - p) ≈ 0.2247, so the derivative is about 10^-6484.
    assert!((value - 0.659_046_068_407_063).abs() < 1e-12, "{value}");
    let log10 = slope.clone().log10().to_f64();
    assert!(
        (-6490.0..-6478.0).contains(&log10),
        "log10 of the slope is {log10}"
    );
    let (v64, _) = evaluate(&store, &[e], &p, Mode::F64).expect("evaluates in f64");
    assert!((v64[0].to_f64() - value).abs() < 1e-12);

    let t = text(&store, e);
    assert_eq!(t.len(), src.len());
    let (back, _) = read_expr(&mut store, &t, "<printed>").expect("printed text parses");
    assert_eq!(back, e);
    let l = latex(&store, e);
    assert_eq!(l.matches("\\left(").count(), MAX_DEPTH);
    assert_eq!(l.matches("\\right)").count(), MAX_DEPTH);

    assert!(printed_size(&store, d) > MAX_PRINT_NODES);
    assert!(
        text(&store, d).starts_with("⟨too large to print"),
        "{}",
        &text(&store, d)[..80]
    );
    assert!(latex(&store, d).starts_with("\\text{⟨too large to print"));
}

/// A tower `x^x^…^x` (right-associative) of `MAX_DEPTH` levels, differentiated and evaluated
/// exactly at x = 1, where every level is 1 and the derivative is 1.
///
/// Text prints a tower with its grouping made explicit, `x^(x^x)`: two levels per `^`, so a
/// tower deeper than `MAX_DEPTH / 2` prints to text that the parser refuses as too deep
/// (with the error naming the limit). Half as deep reads back.
#[test]
fn power_towers_just_under_the_depth_limit_are_handled() {
    let mut src = "x^".repeat(MAX_DEPTH - 1);
    src.push('x');
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, &src, "<tower>").expect("tower parses");
    let x = store.intern("x");
    let d = diff(&mut store, e, x);
    let p = point(&mut store, &[("x", (1, 1))]);
    let (v, _) = evaluate(&store, &[e, d], &p, Mode::Auto(64)).expect("evaluates");
    assert_eq!(v, vec![Value::Exact(1.into()), Value::Exact(1.into())]);
    let t = text(&store, e);
    let err = read_expr(&mut store, &t, "<printed>").expect_err("twice as deep as written");
    assert!(err.to_string().contains("the limit is 10000"), "{err}");

    let mut half = "x^".repeat(MAX_DEPTH / 2 - 1);
    half.push('x');
    let (e, _) = read_expr(&mut store, &half, "<tower>").unwrap();
    let t = text(&store, e);
    assert_eq!(read_expr(&mut store, &t, "<printed>").unwrap().0, e);
    let d = diff(&mut store, e, x);
    assert!(latex(&store, d).starts_with("\\text{⟨too large to print"));
}

/// One level past the limit is refused, with a message that names the limit, for each shape
/// that nests; so is a 100 000-level input, quickly and without overflowing the stack.
#[test]
fn nesting_past_the_depth_limit_is_refused_with_the_limit_named() {
    let limit = format!("the limit is {MAX_DEPTH}");
    let over = MAX_DEPTH + 1;
    let mut tower = "x^".repeat(over);
    tower.push('x');
    for src in [
        nested("(", "x", ")", over),
        nested("sigmoid(", "x", ")", over),
        nested("-(", "x", ")", over / 2 + 1),
        tower,
        nested("(", "x", ")", 100_000),
        nested("sigmoid(", "x", ")", 100_000),
    ] {
        let start = Instant::now();
        let err = parse_expr(&src, "<deep>").expect_err("past the limit");
        assert!(err.to_string().contains(&limit), "{err}");
        let program = format!("E = {src}\n");
        let err = parse_program(&program, "<deep>").expect_err("past the limit");
        assert!(err.to_string().contains(&limit), "{err}");
        assert!(start.elapsed() < Duration::from_secs(20));
    }
}

#[test]
fn the_binary_refuses_deep_input_and_handles_input_just_under() {
    let deep = nested("sigmoid(", "x", ")", 100_000);
    let (code, _, err) = chainrule_with_input(&["eval", "-", "--at", "x=1"], &deep);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("nested 100000 levels deep; the limit is 10000"),
        "{err}"
    );
    assert!(!err.contains("panicked") && !err.contains("overflow"));

    let under = nested("sigmoid(", "x", ")", MAX_DEPTH);
    let (code, out, err) =
        chainrule_with_input(&["diff", "-", "--wrt", "x", "--at", "x=1/2"], &under);
    assert_eq!(code, 0, "{err}");
    // The derivative's tree is quadratic in the depth; it is printed with its shared parts
    // named, which is linear: `… where t1 = sigmoid(x), …, t10000 = sigmoid(t9999)`.
    assert!(
        out.contains("  where\n    t1 = sigmoid(x)\n"),
        "{}",
        &out[..200.min(out.len())]
    );
    assert!(out.contains("    t10000 = sigmoid(t9999)\n"));
    assert!(out.contains("(MPFR, 128 bits)"));
}

// ───────────────────────────── a deep network ─────────────────────────────

/// `z1 = w1*x; x1 = sigmoid(z1); …; E = (y - xN)^2` with every weight 1/2.
fn chain_program(n: usize) -> String {
    let mut s = String::new();
    let mut prev = "x".to_string();
    for i in 1..=n {
        s.push_str(&format!("z{i} = w{i}*{prev}\nx{i} = sigmoid(z{i})\n"));
        prev = format!("x{i}");
    }
    s.push_str(&format!("E = (y - {prev})^2\nat x = 1, y = 1"));
    for i in 1..=n {
        s.push_str(&format!(", w{i} = 1/2"));
    }
    s.push('\n');
    s
}

/// A 10 000-layer chain loads, runs its backward pass symbolically, evaluates it (MPFR and
/// f64) and prints the backprop report. Measured in a release build: see fuzz/README.md.
#[test]
fn a_ten_thousand_layer_chain_runs_its_backward_pass() {
    let n = 10_000;
    let src = chain_program(n);
    let start = Instant::now();
    let mut net = network::load(&src, "chain.chain", None).expect("loads");
    assert_eq!(net.defs.len(), 2 * n + 1);
    let bw = net.backward();
    assert_eq!(bw.gradient.len(), n + 2); // w1…wN, x and y
    let point = net.point.clone();
    let trace = net.trace(&bw, &point, Mode::Auto(64)).expect("trace");
    let trace64 = net.trace(&bw, &point, Mode::F64).expect("f64 trace");
    // ∂E/∂wN = -2(y - xN)·σ'(zN)·x(N-1): finite and negative since xN < y = 1.
    let w_n = net
        .params
        .iter()
        .position(|p| net.name(*p) == format!("w{n}"))
        .unwrap();
    let g = trace.gradient[w_n].to_f64();
    assert!(g < 0.0 && g > -1.0, "{g}");
    assert!((trace64.gradient[w_n].to_f64() - g).abs() < 1e-12);
    let numbers = Numbers {
        mode: Mode::Auto(64),
        digits: 10,
    };
    let text = report::backprop(&mut net, &point, numbers, Style::Text).expect("report");
    assert!(text.contains(&format!("x{n}")));
    eprintln!(
        "{n}-layer chain: load, backward, two traces and the report in {:.1?}",
        start.elapsed()
    );
}

// ───────────────────────────── size ─────────────────────────────

fn eval_auto(src: &str) -> chainrule::Result<(Vec<Value>, Option<String>)> {
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, src, "<size>").expect("parses");
    evaluate(&store, &[e], &Point::new(), Mode::Auto(64))
}

/// Exact numbers whose digits would explode are not computed: a value beyond MPFR's range is
/// an error that says so (exit code 1), quickly.
#[test]
fn exact_powers_that_would_explode_are_refused() {
    for (src, why) in [
        ("2^(10^12)", "overflow"),
        ("10^10^10", "overflow"),
        ("(1/3)^(10^9)", "underflow"),
        ("(-7/3)^(10^12 + 1)", "overflow"),
    ] {
        let start = Instant::now();
        let err = eval_auto(src).expect_err(src);
        assert!(err.to_string().contains(why), "{src}: {err}");
        assert_eq!(err.exit_code(), 1, "{src}");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{src} took {:?}",
            start.elapsed()
        );
    }
}

/// An exact value over `Limits::max_exact_bits` (2^20 bits) is computed in MPFR instead, and
/// the note says so; one under it stays exact.
#[test]
fn exact_values_over_the_bit_limit_fall_back_to_mpfr_out_loud() {
    let (v, note) = eval_auto("(1/3)^(10^6)").expect("falls back");
    let note = note.expect("the fallback is said out loud");
    assert!(
        note.contains("more than 1048576 bits") && note.contains("MPFR"),
        "{note}"
    );
    let Value::Mpfr(f) = &v[0] else {
        panic!("{:?}", v[0])
    };
    // (1/3)^(10^6) = 10^(-477121.25…)
    let log10 = f.clone().log10().to_f64();
    assert!((log10 + 477_121.254_719_662_4).abs() < 1e-6, "{log10}");

    let (v, note) = eval_auto("2^100000 - 2^99999").expect("exact");
    assert!(note.is_none());
    let Value::Exact(r) = &v[0] else {
        panic!("{:?}", v[0])
    };
    assert_eq!(*r, Rational::from(rug::Integer::from(1) << 99_999u32));
}

/// Derivatives whose trees would be exponential print as the marker, fast, and still evaluate.
#[test]
fn exponentially_large_derivatives_print_as_a_marker_and_still_evaluate() {
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, "x^x", "<size>").unwrap();
    let x = store.intern("x");
    let start = Instant::now();
    let mut d = e;
    for _ in 0..20 {
        d = diff(&mut store, d, x);
    }
    assert!(store.dag_size(d) < 10_000);
    assert!(printed_size(&store, d) > 1_000_000_000);
    let t = text(&store, d);
    assert!(
        t.starts_with("⟨too large to print") && t.contains("nodes written out"),
        "{t}"
    );
    assert!(latex(&store, d).starts_with("\\text{⟨too large to print"));
    let p = point(&mut store, &[("x", (1, 2))]);
    let (v, _) = evaluate(&store, &[d], &p, Mode::Mpfr(128)).expect("evaluates");
    assert!(v[0].to_f64().is_finite());
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );

    // Under the limit, the 10th derivative (430 000 characters) prints in full and reads back.
    let mut d10 = e;
    for _ in 0..10 {
        d10 = diff(&mut store, d10, x);
    }
    let t = text(&store, d10);
    assert!(!t.starts_with('⟨'));
    assert_eq!(read_expr(&mut store, &t, "<printed>").unwrap().0, d10);
}

#[test]
fn absurd_precision_is_refused_before_any_work() {
    for args in [
        &["eval", "exp(1)", "--precision", "1000000000"][..],
        &["eval", "exp(1)", "--precision", "1"],
        &["eval", "exp(1)", "--digits", "1000000000"],
    ] {
        let start = Instant::now();
        let (code, _, err) = chainrule(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("invalid value"), "{err}");
        assert!(start.elapsed() < Duration::from_secs(10));
    }
    // The largest precision accepted (10^6 bits) is fast for a small expression.
    let (code, out, err) =
        chainrule(&["eval", "exp(1)", "--precision", "1000000", "--digits", "30"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2.71828182845904523536028747135"), "{out}");
}

// ───────────────────────────── time ─────────────────────────────

/// Found by the `parse` fuzz target: an unfinished call inside unfinished calls made pest
/// backtrack exponentially (each `name(` was tried as a call, then again as a name followed by
/// a parenthesis): 18 levels took 15 s in a debug build. Fixed in grammar/chainrule.pest
/// (`apply` no longer falls back to a bare name before `(`).
#[test]
fn unfinished_nested_calls_fail_fast() {
    for src in [
        "f(x+".repeat(24),
        "f(".repeat(24),
        format!("{}x+{}", "f(".repeat(24), ")".repeat(24)),
    ] {
        let start = Instant::now();
        assert!(parse_expr(&src, "<fuzz>").is_err());
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{src}: {:?}",
            start.elapsed()
        );
    }
}

/// Regression: a reader that stops early (`chainrule big.chain | head`) made `print!` panic on
/// the closed pipe. The output of a 2 000-layer backprop report is far larger than a pipe's
/// buffer, so the binary is still writing when the reader goes away. JSON is written as it is
/// made (through serde_json, whose write error must be taken for the closed pipe it is).
#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::Read as _;
    use std::process::Stdio;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("limits");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("chain2000.chain");
    std::fs::write(&file, chain_program(2000)).unwrap();
    for format in ["text", "json", "latex"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chainrule"))
            .arg(&file)
            .args(["--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut head = [0u8; 100];
        stdout.read_exact(&mut head).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{format}: {stderr}");
        assert!(!stderr.contains("cannot write"), "{format}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{format}: {stderr}");
    }
}

/// A write that fails (a full disk) is an error, said once, exit code 1: for the text held
/// whole and for the JSON written as it is made.
#[test]
#[cfg(target_os = "linux")]
fn a_failed_write_is_an_error() {
    for format in ["text", "json"] {
        let out = Command::new(env!("CARGO_BIN_EXE_chainrule"))
            .args(["examples/hw7_relu.chain", "--format", format])
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
        assert_eq!(
            stderr.trim(),
            "cannot write the output: No space left on device (os error 28)",
            "{format}"
        );
    }
}

// ───────────────────── products and higher orders ─────────────────────

fn product_of_shifts(from: usize, to: usize) -> String {
    (from..to)
        .map(|i| format!("(x+{i})"))
        .collect::<Vec<_>>()
        .join("*")
}

/// The derivative of a product of n factors has O(n) nodes (a shared prefix and suffix
/// product per factor), not n terms of n − 1 factors each: 20 000 factors once took
/// quadratic time and memory (100 000 took 30 s and 4.8 GB).
#[test]
fn the_derivative_of_a_long_product_is_linear_and_right() {
    let n = 20_000;
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, &product_of_shifts(0, n), "<product>").unwrap();
    let x = store.intern("x");
    let d = diff(&mut store, e, x);
    let size = store.dag_size(d);
    assert!(size < 6 * n, "{size} nodes for {n} factors");
    // At x = 0 only the factor x + 0 contributes: (n - 1)!.
    let p = point(&mut store, &[("x", (0, 1))]);
    let (v, _) = evaluate(&store, &[d], &p, Mode::Auto(64)).unwrap();
    let want = Rational::from(rug::Integer::from(rug::Integer::factorial(n as u32 - 1)));
    assert_eq!(v[0].as_exact(), Some(&want));
}

/// A product of 12 factors, differentiated 11 and 12 times: 12!·x + 11!·78 and 12!.
#[test]
fn high_orders_of_a_product_are_right() {
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, &product_of_shifts(1, 13), "<product>").unwrap();
    let x = store.intern("x");
    let p = point(&mut store, &[("x", (1, 1))]);
    let d11 = chainrule::diff::diff_n(&mut store, e, x, 11).unwrap();
    let d12 = chainrule::diff::diff_n(&mut store, e, x, 12).unwrap();
    let (v, _) = evaluate(&store, &[d11, d12], &p, Mode::Auto(64)).unwrap();
    assert_eq!(v[0].as_exact(), Some(&Rational::from(3_592_512_000u64)));
    assert_eq!(v[1].as_exact(), Some(&Rational::from(479_001_600u64)));
}

/// Orders whose derivatives grow past the documented limit are refused, as math limits
/// (exit code 1), with the highest order that fits; those that grow slowly still run.
#[test]
fn higher_orders_that_would_explode_are_refused() {
    use chainrule::diff::diff_n;
    for (src, order, fits) in [
        ("sigmoid(sigmoid(x))", 100, 20),
        ("f(g(h(x)))", 30, 15),
        (product_of_shifts(0, 30).as_str(), 50, 4),
    ] {
        let mut store = Store::new();
        let (e, _) = read_expr(&mut store, src, "<order>").unwrap();
        let x = store.intern("x");
        let err = diff_n(&mut store, e, x, order).expect_err(src);
        assert_eq!(err.exit_code(), 1, "{src}");
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("the derivative of order {order} is too large"))
                && msg.contains("or lower"),
            "{src}: {msg}"
        );
        // The order it names as fitting is at least `fits`, and does fit.
        let allowed: u32 = msg
            .split("ask for order ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{msg}"));
        assert!(allowed >= fits, "{src}: {msg}");
        let mut store = Store::new();
        let (e, _) = read_expr(&mut store, src, "<order>").unwrap();
        let x = store.intern("x");
        assert!(diff_n(&mut store, e, x, allowed).is_ok(), "{src}: {msg}");
    }
    // exp(2x) at order 100 is small: 2^100·exp(2x), 2^100 at 0.
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, "exp(2*x)", "<order>").unwrap();
    let x = store.intern("x");
    let d = diff_n(&mut store, e, x, 100).unwrap();
    let p = point(&mut store, &[("x", (0, 1))]);
    let (v, _) = evaluate(&store, &[d], &p, Mode::Auto(64)).unwrap();
    assert_eq!(
        v[0].as_exact(),
        Some(&Rational::from(rug::Integer::from(1) << 100u32))
    );
}

/// `d(…, w, n)` inside a program differentiates through the definitions; its higher orders
/// stop at the same limit as `diff --order` (it ran on past 20 s and gigabytes before).
#[test]
fn higher_orders_of_d_in_a_program_are_refused_too() {
    let src = "u = w*x\nE = d(sigmoid(sigmoid(u)), w, 60)\nat w = 1, x = 1\n";
    let err = match network::load(src, "d60.chain", None) {
        Err(e) => e,
        Ok(_) => panic!("order 60 through a definition should be refused"),
    };
    assert_eq!(err.exit_code(), 1);
    assert!(
        err.to_string()
            .contains("the derivative of order 60 is too large"),
        "{err}"
    );
    // A small order through the same definition has the right value: d²/dw² of u³ with
    // u = w*x is 6·w·x³, 48 at w = 1, x = 2 (taking u as a constant gave 0).
    let src = "u = w*x\nE = d(u^3, w, 2)\nat w = 1, x = 2\n";
    let mut net = network::load(src, "d2.chain", None).unwrap();
    let point = net.point.clone();
    let bw = net.backward();
    let trace = net.trace(&bw, &point, Mode::Auto(64)).unwrap();
    let e = trace.forward.last().unwrap();
    assert_eq!(e.as_exact().map(|r| r.to_string()), Some("48".into()));
}

/// Reports too large to write out are typed errors carrying their sizes, which name no
/// command or flag (other front ends than the command line use the library); the command
/// line words them with what to use instead, exit code 1.
#[test]
fn reports_too_large_are_typed_errors_the_command_line_words() {
    use chainrule::error::TooLarge;
    // The message without miette's frame and line breaks.
    let words = |err: &str| {
        err.split_whitespace()
            .filter(|w| !["×", "│"].contains(w))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let numbers = Numbers {
        mode: Mode::Auto(64),
        digits: 10,
    };
    let src = chain_program(300);
    let mut net = network::load(&src, "chain.chain", None).expect("loads");
    let e = report::grad(&mut net, None, numbers, report::Form::Both, Style::Text).unwrap_err();
    let chainrule::Error::TooLarge(TooLarge::ChainForm { factors, limit }) = e else {
        panic!("{e:?}")
    };
    assert_eq!((factors, limit), (91202, report::MAX_GRAD_FACTORS));
    let message = chainrule::Error::TooLarge(TooLarge::ChainForm { factors, limit }).to_string();
    assert!(
        !message.contains("chainrule") && !message.contains("--"),
        "{message}"
    );
    let (code, out, err) = chainrule_with_input(&["grad", "-"], &src);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        words(&err),
        "the chain-rule form of this gradient has 91202 factors in all (the limit is 50000): use `chainrule backprop`, whose adjoints share their work and stay linear in the size of the network, or `chainrule explain --wrt W` for one parameter"
    );
    // Expanded, a 600-layer chain's gradient is printed with one block of shared parts
    // (`expanded_gradient_of_a_deep_chain_shares_its_parts`), no longer refused.
    let deep = chain_program(600);
    let (code, out, err) = chainrule_with_input(&["grad", "-", "--form", "expanded"], &deep);
    assert_eq!(
        (code, err.as_str()),
        (0, ""),
        "{}",
        &out[..out.len().min(300)]
    );
    assert!(out.contains("Parts the expanded partials share, each written once:\n"));
    // One parameter of the 300-layer chain is within explain's limit; the first of a longer
    // one not.
    let w1 = net.lookup("w1").unwrap();
    assert!(report::explain(&mut net, w1, None, numbers, Style::Text).is_ok());
    let src = chain_program(3000);
    let mut net = network::load(&src, "chain.chain", None).expect("loads");
    let w1 = net.lookup("w1").unwrap();
    let e = report::explain(&mut net, w1, None, numbers, Style::Text).unwrap_err();
    let chainrule::Error::TooLarge(TooLarge::Derivation {
        output,
        wrt,
        factors,
        limit,
    }) = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(
        (output.as_str(), wrt.as_str(), limit),
        ("E", "w1", report::MAX_EXPLAIN_FACTORS)
    );
    assert!(factors > limit, "{factors}");
    let (code, out, err) = chainrule_with_input(&["explain", "-", "--wrt", "w1"], &src);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        words(&err),
        format!(
            "∂E/∂w1 runs through {factors} local derivatives (the limit is 5000): use `chainrule backprop`, which writes each adjoint once, in terms of the next"
        )
    );
}

/// The partials of `grad --form expanded`'s text with its shared parts, each read back
/// (the parts substituted) into `store`, by parameter name; the number of lines too.
fn read_shared_partials(
    store: &mut Store,
    out: &str,
) -> (Vec<(String, chainrule::expr::Id)>, usize) {
    use std::collections::HashMap;
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("Parts the expanded partials share, each written once:"),
        "{}",
        &out[..out.len().min(300)]
    );
    let mut parts = HashMap::new();
    for line in lines.by_ref() {
        if line.is_empty() {
            break;
        }
        let (name, def) = line.trim().split_once(" = ").expect("t = …");
        let (id, _) = read_expr(store, def, "<part>").expect("a part reads back");
        let id = store.substitute(id, &parts);
        let name = store.intern(name);
        parts.insert(name, id);
    }
    let mut partials = Vec::new();
    for line in lines.by_ref().filter(|l| !l.is_empty()) {
        let (lhs, rhs) = line.split_once(" = ").expect("∂E/∂p = …");
        let param = lhs.strip_prefix("∂E/∂").expect("a partial").to_string();
        let (id, _) = read_expr(store, rhs, "<partial>").expect("a partial reads back");
        partials.push((param, store.substitute(id, &parts)));
    }
    (partials, out.lines().count())
}

/// Expanded, a deep chain's gradient is printed with one block of the parts its partials
/// share (issue 16), so its size is linear in the depth where each partial printed on its own
/// made it quadratic (and was refused from about 600 layers on). Each partial read back, the
/// parts substituted, has the value the backward pass computes.
#[test]
fn expanded_gradient_of_a_deep_chain_shares_its_parts() {
    let numbers = Numbers {
        mode: Mode::Mpfr(128),
        digits: 10,
    };
    let mut lines_per_layer = Vec::new();
    for n in [150, 600] {
        let src = chain_program(n);
        let mut net = network::load(&src, "chain.chain", None).expect("loads");
        let out = report::grad(&mut net, None, numbers, report::Form::Expanded, Style::Text)
            .expect("printed, not refused");
        let mut store = Store::new();
        let (partials, lines) = read_shared_partials(&mut store, &out);
        lines_per_layer.push(lines as f64 / n as f64);
        // w1 … wn, x, y: every parameter, once, in order.
        let names: Vec<&str> = partials.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(names.len(), n + 2);
        assert_eq!(
            (names[0], names[n - 1], names[n + 1]),
            ("w1", &*format!("w{n}"), "y")
        );
        // The values, against the backward pass's at the program's point (every weight 1/2).
        let bw = net.backward();
        let trace = net
            .trace(&bw, &net.point.clone(), numbers.mode)
            .expect("values");
        let mut p = net
            .point
            .iter()
            .map(|(s, v)| (net.name(*s).to_string(), v.clone()))
            .collect::<Vec<_>>();
        p.sort();
        let point: Point = p.into_iter().map(|(n, v)| (store.intern(&n), v)).collect();
        let roots: Vec<_> = partials.iter().map(|(_, id)| *id).collect();
        let (values, _) = evaluate(&store, &roots, &point, numbers.mode).expect("evaluates");
        for (k, (got, want)) in values.iter().zip(&trace.gradient).enumerate() {
            let (Value::Mpfr(g), Value::Mpfr(w)) = (got, want) else {
                panic!("{got:?} {want:?}")
            };
            let scale = w.clone().abs().max(&rug::Float::with_val(128, 1e-300));
            let rel = (g.clone() - w).abs() / scale;
            assert!(rel < 1e-30, "∂E/∂{}: {g} against {w}", partials[k].0);
        }
    }
    // Linear: about as many lines per layer at 600 layers as at 150.
    let (a, b) = (lines_per_layer[0], lines_per_layer[1]);
    assert!(b < a * 1.1 && a < 6.0, "{lines_per_layer:?}");
    // JSON and LaTeX have the same parts and partials: JSON's `shared` list, each partial's
    // `expanded` in terms of it; LaTeX's rows `t_{k} &= …` before the partials.
    let src = chain_program(150);
    let mut net = network::load(&src, "chain.chain", None).expect("loads");
    let text = report::grad(&mut net, None, numbers, report::Form::Expanded, Style::Text).unwrap();
    let json = report::grad(&mut net, None, numbers, report::Form::Expanded, Style::Json).unwrap();
    let latex = report::grad(
        &mut net,
        None,
        numbers,
        report::Form::Expanded,
        Style::Latex,
    )
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let parts: Vec<String> = text
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| l.trim().to_string())
        .collect();
    let shared = json["shared"].as_array().expect("a shared list");
    assert_eq!(shared.len(), parts.len());
    for (part, line) in shared.iter().zip(&parts) {
        assert_eq!(
            format!(
                "{} = {}",
                part["name"].as_str().unwrap(),
                part["expanded"].as_str().unwrap()
            ),
            *line
        );
    }
    let w1 = &json["gradient"][0];
    assert_eq!(w1["param"], "w1");
    assert!(text.contains(&format!("∂E/∂w1 = {}\n", w1["expanded"].as_str().unwrap())));
    assert!(
        latex.starts_with(
            "\\begin{aligned}\nt_{1} &= \\operatorname{sigmoid}\\left(w_{1} x\\right) \\\\\n"
        ),
        "{}",
        &latex[..200]
    );
    assert_eq!(latex.matches(" &= ").count(), parts.len() + 152);
    // A small program prints as before: no shared list.
    let mut small = network::load(&chain_program(3), "chain.chain", None).expect("loads");
    let json = report::grad(
        &mut small,
        None,
        numbers,
        report::Form::Expanded,
        Style::Json,
    )
    .unwrap();
    assert!(!json.contains("\"shared\""), "{json}");
}
