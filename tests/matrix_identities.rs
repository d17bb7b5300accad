//! Matrix calculus checked against the scalar engine: each identity's expression is expanded
//! into its entries (`matrix::scalarise`), differentiated entry by entry by the scalar engine,
//! and compared with chainrule's matrix gradient or Jacobian evaluated on dense matrices, at
//! random exact points, in exact arithmetic where the values are rational (else MPFR at 256
//! bits, relative tolerance 1e-60), and in f64 against that value. The printed forms of all
//! identities are one snapshot.

mod common;

use chainrule::eval::dense::Dense;
use chainrule::eval::matrix::{MatPoint, evaluate as mat_evaluate};
use chainrule::eval::{Mode, Point, Value, evaluate};
use chainrule::expr::Store;
use chainrule::matrix::{self, Dim, MatStore, Shape};
use chainrule::syntax::{MatrixLowerer, parse_expr, parse_latex};
use proptest::prelude::*;
use rug::{Float, Rational};
use std::collections::HashMap;

/// An identity: the expression, the variable, the shapes (`3`, `2x3`; undeclared names are
/// scalars), and the variables whose values must be positive (`+x`) or symmetric positive
/// definite (`@X`).
struct Case {
    expr: &'static str,
    wrt: &'static str,
    shapes: &'static str,
}

const N: &str = "A:3x3 B:3x3 C:3x3 X:3x3 x:3 y:3 a:3 b:3";

const CASES: &[Case] = &[
    Case {
        expr: "x'*A*x",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "a'*x",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "x'*x",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "a'*X*b",
        wrt: "X",
        shapes: N,
    },
    Case {
        expr: "x'*A*y",
        wrt: "A",
        shapes: N,
    },
    Case {
        expr: "tr(A*X)",
        wrt: "X",
        shapes: N,
    },
    Case {
        expr: "tr(A*X*B)",
        wrt: "X",
        shapes: N,
    },
    Case {
        expr: "tr(X*A*X')",
        wrt: "X",
        shapes: N,
    },
    Case {
        expr: "tr(X'*X)",
        wrt: "X",
        shapes: "X:3x2",
    },
    Case {
        expr: "tr(X*X)",
        wrt: "X",
        shapes: N,
    },
    Case {
        expr: "tr(A*X'*B*X*C)",
        wrt: "X",
        shapes: N,
    },
    Case {
        expr: "log(det(X))",
        wrt: "X",
        shapes: "@X:3x3",
    },
    Case {
        expr: "logdet(X)",
        wrt: "X",
        shapes: "@X:3x3",
    },
    Case {
        expr: "det(X)",
        wrt: "X",
        shapes: "@X:3x3",
    },
    Case {
        expr: "tr(inv(X))",
        wrt: "X",
        shapes: "@X:3x3",
    },
    Case {
        expr: "tr(inv(X)*A)",
        wrt: "X",
        shapes: "@X:3x3 A:3x3",
    },
    Case {
        expr: "x'*inv(A)*x",
        wrt: "A",
        shapes: "@A:3x3 x:3",
    },
    Case {
        expr: "norm2(A*x - b)^2",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "norm2(A*x - b)^2",
        wrt: "A",
        shapes: N,
    },
    Case {
        expr: "norm2(A*x - b)",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "norm2(X)^2",
        wrt: "X",
        shapes: N,
    },
    Case {
        expr: "norm1(x)",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "(x'*a)^2",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "(a'*x)/(b'*x)",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "exp(x'*A*x)",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "sum(exp(A*x))",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "sum(x.*exp(y))",
        wrt: "y",
        shapes: N,
    },
    Case {
        expr: "sum(a./x)",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "sum(log(x))",
        wrt: "x",
        shapes: "+x:3",
    },
    Case {
        expr: "sum(sqrt(x))",
        wrt: "x",
        shapes: "+x:3",
    },
    Case {
        expr: "sum(x.^3)",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "sum(sigmoid(X))",
        wrt: "X",
        shapes: N,
    },
    Case {
        expr: "sum(diag(X))",
        wrt: "X",
        shapes: N,
    },
    Case {
        expr: "x'*diag(y)*x",
        wrt: "y",
        shapes: N,
    },
    Case {
        expr: "sum(log(exp(-y.*(X*w)) + 1))",
        wrt: "w",
        shapes: "y:2 X:2x3 w:3",
    },
    Case {
        expr: "v'*sigmoid(W*x)",
        wrt: "W",
        shapes: "v:2 W:2x3 x:3",
    },
    Case {
        expr: "v'*tanh(W*x)",
        wrt: "x",
        shapes: "v:2 W:2x3 x:3",
    },
    Case {
        expr: "sum(relu(W*x))",
        wrt: "W",
        shapes: "W:2x3 x:3",
    },
    Case {
        expr: "(y - w3'*sigmoid(W2*sigmoid(W1*x)))^2",
        wrt: "W1",
        shapes: "w3:2 W2:2x2 W1:2x3 x:3",
    },
    Case {
        expr: "(y - w3'*sigmoid(W2*sigmoid(W1*x)))^2",
        wrt: "W2",
        shapes: "w3:2 W2:2x2 W1:2x3 x:3",
    },
    Case {
        expr: "(y - w3'*sigmoid(W2*sigmoid(W1*x)))^2",
        wrt: "w3",
        shapes: "w3:2 W2:2x2 W1:2x3 x:3",
    },
    Case {
        expr: "(y - w3'*relu(W2*relu(W1*x)))^2",
        wrt: "W1",
        shapes: "w3:2 W2:2x2 W1:2x3 x:3",
    },
    Case {
        expr: "sum((Y - W2*sigmoid(W1*X)).^2)",
        wrt: "W1",
        shapes: "Y:2x4 W2:2x3 W1:3x2 X:2x4",
    },
    Case {
        expr: "-y'*log(softmax(W*x))",
        wrt: "W",
        shapes: "y:2 W:2x3 x:3",
    },
    Case {
        expr: "logsumexp(W*x) - y'*W*x",
        wrt: "x",
        shapes: "y:2 W:2x3 x:3",
    },
    Case {
        expr: "logsumexp(x)",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "sum(softmax(x).*y)",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "A*x",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "exp(x)",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "sigmoid(W*x)",
        wrt: "x",
        shapes: "W:2x3 x:3",
    },
    Case {
        expr: "softmax(x)",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "x.*y",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "(x'*x)*x",
        wrt: "x",
        shapes: N,
    },
    Case {
        expr: "W'*tanh(W*x) + x",
        wrt: "x",
        shapes: "W:2x3 x:3",
    },
    Case {
        expr: "x ./ (1 + exp(-x))",
        wrt: "x",
        shapes: N,
    },
];

/// Declared shapes and the value constraints of a case.
fn declare(store: &mut MatStore, shapes: &str) -> HashMap<String, char> {
    let mut kinds = HashMap::new();
    for item in shapes.split_whitespace() {
        let (mut name, dims) = item.split_once(':').unwrap();
        let mut kind = ' ';
        if let Some(rest) = name.strip_prefix(['+', '@']) {
            kind = name.chars().next().unwrap();
            name = rest;
        }
        let shape = match dims.split_once('x') {
            Some((r, c)) => Shape::matrix(
                Dim::Known(r.parse().unwrap()),
                Dim::Known(c.parse().unwrap()),
            ),
            None => Shape::vector(Dim::Known(dims.parse().unwrap())),
        };
        store.declare(name, shape);
        kinds.insert(name.to_string(), kind);
    }
    kinds
}

/// A random exact value of `shape`: entries k/4 with |k| ≤ 12 and no zero (positive for `+`,
/// diagonally dominant with a positive diagonal for `@`, so det > 0).
fn random_value(rng: &mut TestRng, shape: &Shape, kind: char) -> Dense<Rational> {
    let (r, c) = shape.known().unwrap();
    Dense::from_fn(r, c, |i, j| {
        let mut k: i32 = rng.random_range(1..=12);
        if kind != '+' && rng.random_bool(0.5) {
            k = -k;
        }
        let mut q = Rational::from((k, 4));
        if kind == '@' {
            q /= 4;
            if i == j {
                q = q.abs() + 4;
            }
        }
        q
    })
}

struct TestRng(u64);
impl TestRng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn random_range(&mut self, r: std::ops::RangeInclusive<i32>) -> i32 {
        let span = (r.end() - r.start() + 1) as u64;
        r.start() + (self.next() % span) as i32
    }
    fn random_bool(&mut self, _p: f64) -> bool {
        self.next().is_multiple_of(2)
    }
}

fn to_float(v: &Value) -> Float {
    match v {
        Value::Exact(r) => Float::with_val(300, r),
        Value::Mpfr(f) => Float::with_val(300, f),
        Value::F64(x) => Float::with_val(300, *x),
    }
}

fn close(a: &Value, b: &Value) -> bool {
    if let (Value::Exact(x), Value::Exact(y)) = (a, b) {
        return x == y;
    }
    let (x, y) = (to_float(a), to_float(b));
    let diff = Float::with_val(300, &x - &y).abs();
    let size = Float::with_val(300, x.abs_ref()).max(&Float::with_val(300, y.abs_ref()));
    diff <= size * Float::with_val(300, 1e-60) || diff < 1e-70
}

/// The same derivative evaluated in f64 (its own kernels: products folded with their factor,
/// values reused in place, σ' from σ's values) agrees with the exact or MPFR value `want`
/// to 1e-12 relative to its largest entry (the points' entries are at most 3 in size, so
/// no case cancels more than that).
fn check_f64(
    m: &MatStore,
    d: matrix::MId,
    point: &MatPoint,
    want: &Dense<Value>,
    case: &Case,
    slack: &[f64],
) {
    let (vals, _) = match mat_evaluate(m, &[d, d], point, Mode::F64) {
        Ok(v) => v,
        // A value beyond a double's range is an error in f64, rightly: nothing to compare.
        Err(chainrule::eval::matrix::MatEvalError::At(_, chainrule::eval::Fail::Domain(msg)))
            if msg.contains("overflow") || msg.contains("underflow") =>
        {
            return;
        }
        Err(err) => panic!("{} in f64: {err:?}", case.expr),
    };
    assert_eq!(vals[0], vals[1], "{}: a root listed twice", case.expr);
    let got = &vals[0].entries;
    assert_eq!(got.shape(), want.shape(), "{} in f64", case.expr);
    let want: Vec<f64> = want.data().iter().map(|v| to_float(v).to_f64()).collect();
    let largest = want.iter().fold(1.0f64, |a, w| a.max(w.abs()));
    for (k, (have, w)) in got.data().iter().zip(&want).enumerate() {
        let Value::F64(h) = have else {
            panic!("{}: f64 evaluation gave {have:?}", case.expr)
        };
        // 1e-12 of the largest entry, or 16 times the scalar engine's own f64 error there.
        let tol = (1e-12 * largest).max(16.0 * slack.get(k).copied().unwrap_or(0.0));
        assert!(
            (h - w).abs() <= tol,
            "{} by {} in f64: entry {k} is {h}, exactly {w} (tolerance {tol})",
            case.expr,
            case.wrt
        );
    }
}

/// Checks one identity at `points` random points; returns the derivative's text and LaTeX,
/// and whether the LaTeX reads back to the very node printed.
fn check_case(case: &Case, seed: u64) -> (String, String, bool) {
    let mut m = MatStore::new();
    let kinds = declare(&mut m, case.shapes);
    let ast = parse_expr(case.expr, "<identity>").unwrap();
    let e = MatrixLowerer::new(&mut m, case.expr, "<identity>")
        .expr(&ast)
        .unwrap();
    let d = if m.is_scalar(e) {
        matrix::gradient(&mut m, e, case.wrt).unwrap()
    } else {
        matrix::jacobian(&mut m, e, case.wrt).unwrap()
    };
    let printed = (matrix::text(&m, d), matrix::latex(&m, d));
    let latex_back = latex_reads_back(&mut m, &printed.1) == d;
    // The scalar side: the expression's entries, differentiated entry by entry.
    let mut s = Store::new();
    let sizes = HashMap::new();
    let entries = matrix::scalarise(&m, e, &sizes, &mut s).unwrap();
    let wshape = m.var_shape(case.wrt);
    let (wr, wc) = wshape.known().unwrap();
    let mut rng = TestRng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    for _ in 0..3 {
        let mut point = MatPoint::new();
        let mut spoint = Point::new();
        for v in m.variables(e) {
            let shape = m.var_shape(&v);
            let val = random_value(&mut rng, &shape, *kinds.get(&v).unwrap_or(&' '));
            let (r, c) = val.shape();
            for i in 0..r {
                for j in 0..c {
                    let sym = s.intern(&matrix::entry_name(&v, r, c, i, j));
                    spoint.insert(sym, val.get(i, j).clone());
                }
            }
            point.insert(v, val);
        }
        let (vals, _) = match mat_evaluate(&m, &[d], &point, Mode::Auto(256)) {
            Ok(v) => v,
            // A random expression may leave even MPFR's exponent range (exp of exp …):
            // nothing to compare there.
            Err(chainrule::eval::matrix::MatEvalError::At(
                _,
                chainrule::eval::Fail::Domain(msg),
            )) if msg.contains("overflow") || msg.contains("underflow") => {
                continue;
            }
            Err(err) => panic!("{}: {err:?}", case.expr),
        };
        let got = &vals[0].entries;
        // Expected: gradient entry (i, j) = ∂e/∂w_ij; Jacobian entry (i, k) = ∂e_i/∂w_k.
        let mut expected_ids = Vec::new();
        let gradient = m.is_scalar(e);
        let out_rows = entries.len();
        for i in 0..if gradient { wr } else { out_rows } {
            for j in 0..if gradient { wc } else { wr } {
                let (f, var) = if gradient {
                    (entries[0][0], matrix::entry_name(case.wrt, wr, wc, i, j))
                } else {
                    (entries[i][0], matrix::entry_name(case.wrt, wr, wc, j, 0))
                };
                let sym = s.intern(&var);
                expected_ids.push(chainrule::diff::diff(&mut s, f, sym));
            }
        }
        let (expected, note) = evaluate(&s, &expected_ids, &spoint, Mode::Auto(256)).unwrap();
        // The scalar expansion may cancel where the matrix form does not (A11·y1·e^1378 +
        // A11·e^1378 at y1 = -1): where MPFR says its digits cannot be trusted, the oracle
        // has nothing to say.
        if note.is_some() {
            continue;
        }

        // The scalar engine's own f64 error on the same derivative measures how badly the
        // point conditions it (exp of a large square against its neighbours).
        let scalar_f64 = evaluate(&s, &expected_ids, &spoint, Mode::F64)
            .ok()
            .map(|(v, _)| v);
        let slack: Vec<f64> = match &scalar_f64 {
            Some(v) => v
                .iter()
                .zip(&expected)
                .map(|(f, e)| (to_float(f).to_f64() - to_float(e).to_f64()).abs())
                .collect(),
            None => vec![0.0; expected.len()],
        };
        check_f64(&m, d, &point, got, case, &slack);
        let cols = got.cols();
        assert_eq!(
            got.data().len(),
            expected.len(),
            "{}: shape {:?}",
            case.expr,
            got.shape()
        );
        for (k, want) in expected.iter().enumerate() {
            let have = got.get(k / cols, k % cols);
            assert!(
                close(have, want),
                "{} by {}: entry {k}: matrix engine {have:?}, scalar engine {want:?}\nderivative: {}\nat {:?}",
                case.expr,
                case.wrt,
                printed.0,
                point
                    .iter()
                    .map(|(n, v)| (
                        n.clone(),
                        v.data().iter().map(|r| r.to_string()).collect::<Vec<_>>()
                    ))
                    .collect::<Vec<_>>()
            );
        }
    }
    (printed.0, printed.1, latex_back)
}

/// The node the derivative's LaTeX reads back as (as LaTeX, `syntax::parse_latex`): every
/// LaTeX chainrule prints must read back to the node printed, the identity
/// (`\mathbf{I}_{3}`), ones (`\mathbf{1}_{3}`), `\operatorname{sigmoid}` and a product
/// chain grouped on the right (`A \left(B C\right)`) included.
fn latex_reads_back(m: &mut MatStore, tex: &str) -> matrix::MId {
    let ast = parse_latex(tex, "<printed>").unwrap_or_else(|e| panic!("{tex}: {e:?}"));
    MatrixLowerer::new(m, tex, "<printed>")
        .expr(&ast)
        .unwrap_or_else(|e| panic!("{tex}: {e:?}"))
}

#[test]
fn identities_agree_with_the_scalar_engine() {
    assert!(CASES.len() >= 40);
    let mut table = String::new();
    let mut not_back = Vec::new();
    for (k, case) in CASES.iter().enumerate() {
        let (text, latex, back) = check_case(case, k as u64 + 1);
        if !back {
            not_back.push(format!("{} by {}: {latex}", case.expr, case.wrt));
        }
        table.push_str(&format!(
            "{} by {}\n  = {text}\n  $ {latex}\n",
            case.expr, case.wrt
        ));
    }
    common::snapshot_settings().bind(|| insta::assert_snapshot!("matrix_identities", table));
    // Every printed LaTeX reads back to the node printed: no exceptions.
    assert!(
        not_back.is_empty(),
        "LaTeX that does not read back to the node printed:\n{}",
        not_back.join("\n")
    );
}

/// Random well-shaped expressions over `x: 3`, `y: 3`, `A: 3x3`, `B: 2x3`, built from the
/// grammar's operations; the gradient of `sum(E)` (or `E` when scalar) by `x` and by `A` must
/// agree with the scalar engine entry by entry.
fn vector_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("x".to_string()),
        Just("y".to_string()),
        Just("(A*x)".to_string()),
        Just("(A'*y)".to_string()),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} + {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} - {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} .* {b})")),
            inner.clone().prop_map(|a| format!("(A*{a})")),
            inner.clone().prop_map(|a| format!("(A'*{a})")),
            inner.clone().prop_map(|a| format!("sigmoid({a})")),
            inner.clone().prop_map(|a| format!("tanh({a})")),
            inner.clone().prop_map(|a| format!("exp({a}/4)")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("((({a})'*{b})*{a})")),
            inner.clone().prop_map(|a| format!("(2*{a} - 1)")),
            inner.clone().prop_map(|a| format!("softmax({a})")),
            inner.clone().prop_map(|a| format!("{a}.^2")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]
    #[test]
    fn random_expressions_agree_with_the_scalar_engine(e in vector_expr(), seed in 1u64..1000, wrt_a in any::<bool>()) {
        let expr = format!("sum({e}) + y'*{e}");
        let case = Case {
            expr: Box::leak(expr.into_boxed_str()),
            wrt: if wrt_a { "A" } else { "x" },
            shapes: "x:3 y:3 A:3x3",
        };
        check_case(&case, seed);
    }
}
