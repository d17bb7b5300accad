//! Each built-in's numbers are written once (`eval/builtins.rs`): the backends and the tape
//! give the same bits for a call of one built-in, at many points and precisions.

use chainrule::eval::{F64, Mpfr, evaluate_with, tape::Tape};
use chainrule::expr::{BUILTINS, Builtin, Store};
use rug::Float;
use std::collections::HashMap;

const POINTS: [f64; 12] = [
    -40.0, -3.25, -1.0, -0.1, -0.0, 0.0, 1e-9, 0.5, 1.0, 2.75, 30.0, 700.5,
];

fn call(store: &mut Store, b: Builtin) -> (chainrule::expr::Id, Vec<chainrule::expr::Sym>) {
    let (xs, ys) = (store.sym("x"), store.sym("y"));
    let (x, y) = (store.intern("x"), store.intern("y"));
    let args = if b.arity() == 2 {
        vec![xs, ys]
    } else {
        vec![xs]
    };
    let inputs = if b.arity() == 2 { vec![x, y] } else { vec![x] };
    (store.call(chainrule::expr::Func::Builtin(b), args), inputs)
}

#[test]
fn the_f64_backend_and_the_checked_tape_give_the_same_bits() {
    for b in BUILTINS {
        let mut store = Store::new();
        let (e, inputs) = call(&mut store, b);
        let tape = Tape::compile(&store, &[e], &inputs).unwrap();
        let mut checked = tape.checked_f64_eval();
        for &px in &POINTS {
            for &py in &POINTS[..if b.arity() == 2 { POINTS.len() } else { 1 }] {
                let point: Vec<f64> = [px, py][..inputs.len()].to_vec();
                let env: HashMap<_, _> = inputs.iter().copied().zip(point.clone()).collect();
                let backend = evaluate_with(&store, &[e], &env, &F64).map(|v| v[0]);
                let tape = checked.eval(&point).map(|v| v[0]);
                match (backend, tape) {
                    (Ok(a), Ok(t)) => assert_eq!(a.to_bits(), t.to_bits(), "{b:?}({point:?})"),
                    (Err(_), Err(_)) => {}
                    (a, t) => panic!("{b:?}({point:?}): backend {a:?}, tape {t:?}"),
                }
            }
        }
    }
}

#[test]
fn the_mpfr_backend_and_the_mpfr_tape_give_the_same_bits() {
    for prec in [2, 11, 53, 64, 113, 256] {
        for b in BUILTINS {
            let mut store = Store::new();
            let (e, inputs) = call(&mut store, b);
            let tape = Tape::compile(&store, &[e], &inputs).unwrap();
            let mut eval = tape.mpfr_eval(prec);
            for &px in &POINTS {
                for &py in &POINTS[..if b.arity() == 2 { POINTS.len() } else { 1 }] {
                    let point: Vec<Float> = [px, py][..inputs.len()]
                        .iter()
                        .map(|v| Float::with_val(prec, *v))
                        .collect();
                    let env: HashMap<_, _> = inputs.iter().copied().zip(point.clone()).collect();
                    let mut out = [Float::new(prec)];
                    let tape = eval.eval_checked(&point, &mut out).map(|()| out[0].clone());
                    // Where the backend refuses (log of a non-positive number, underflow of
                    // exp) the tape may carry a value on: nothing to compare.
                    if let Ok(v) = evaluate_with(&store, &[e], &env, &Mpfr::new(prec)) {
                        assert_eq!(
                            (v[0].prec(), v[0].to_string_radix(2, None)),
                            (out[0].prec(), tape.unwrap().to_string_radix(2, None)),
                            "{b:?}({point:?}) at {prec} bits"
                        );
                    }
                }
            }
        }
    }
}

/// `cot`: no rational value (and none at 0, where sin is 0); in MPFR the correctly rounded
/// cotangent at every precision; in f64 `1/tan(t)`, as NumPy users write it; refused at 0 in
/// every arithmetic, with the call named.
#[test]
fn cot_values_in_each_arithmetic() {
    use chainrule::eval::{Mode, Point, Value, evaluate};
    use chainrule::expr::NoExactValue;
    use rug::Rational;
    assert_eq!(Builtin::from_name("cot"), Some(Builtin::Cot));
    assert_eq!(
        Builtin::Cot.exact(&[&Rational::from(1)]),
        Err(NoExactValue::NotRational)
    );
    assert!(matches!(
        Builtin::Cot.exact(&[&Rational::new()]),
        Err(NoExactValue::Domain(_))
    ));
    let mut store = Store::new();
    let (e, inputs) = call(&mut store, Builtin::Cot);
    for (p, q) in [(1, 1), (-13, 4), (1, 1000), (22, 7)] {
        let mut point = Point::new();
        point.insert(inputs[0], Rational::from((p, q)));
        for prec in [53, 200] {
            let (v, _) = evaluate(&store, &[e], &point, Mode::Auto(prec)).unwrap();
            // Against the cotangent at 400 bits: within a few units in the last place.
            let want = Float::with_val(400, Float::with_val(400, p) / q).cot();
            match &v[0] {
                Value::Mpfr(f) => {
                    assert_eq!(f.prec(), prec);
                    let rel = Float::with_val(400, f - &want).abs() / want.clone().abs();
                    assert!(
                        rel < Float::with_val(400, Float::i_exp(1, 3 - prec as i32)),
                        "cot({p}/{q}) at {prec} bits: {f} vs {want}"
                    );
                }
                other => panic!("cot({p}/{q}): {other:?}"),
            }
        }
        let (v, _) = evaluate(&store, &[e], &point, Mode::F64).unwrap();
        let t = p as f64 / q as f64;
        assert_eq!(v[0], Value::F64(1.0 / t.tan()), "cot({p}/{q}) in f64");
        // Within a few ulps of the correctly rounded cotangent.
        let exact = Float::with_val(53, t).cot().to_f64();
        assert!((v[0].to_f64() - exact).abs() <= 4.0 * f64::EPSILON * exact.abs());
    }
    let mut zero = Point::new();
    zero.insert(inputs[0], Rational::new());
    for mode in [Mode::Auto(64), Mode::Mpfr(64), Mode::F64] {
        let err = evaluate(&store, &[e], &zero, mode).unwrap_err().to_string();
        assert!(err.contains("cot of 0"), "{mode:?}: {err}");
    }
}
