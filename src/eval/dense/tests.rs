//! Dense operations against values worked out independently (by hand, by SymPy, or by a
//! naive loop).

use super::*;
use crate::eval::{Exact, ExactVal, F64, Mpfr};
use rug::Float;

fn q(n: i64, d: i64) -> Rational {
    Rational::from((n, d))
}

fn exact() -> Exact {
    Exact::new(1 << 20)
}

/// A matrix of exact values from rows of (numerator, denominator).
fn exact_rows(rows: &[&[(i64, i64)]]) -> Dense<ExactVal> {
    Dense::from_rows(
        rows.iter()
            .map(|r| r.iter().map(|(n, d)| ExactVal::Q(q(*n, *d))).collect())
            .collect(),
    )
    .unwrap()
}

fn f64_rows(rows: &[&[f64]]) -> Dense<f64> {
    Dense::from_rows(rows.iter().map(|r| r.to_vec()).collect()).unwrap()
}

fn rationals(m: Dense<ExactVal>) -> Vec<Rational> {
    m.into_data()
        .into_iter()
        .map(|v| v.exact().unwrap())
        .collect()
}

fn domain(r: Result<impl std::fmt::Debug, Fail>) -> String {
    match r {
        Err(Fail::Domain(m)) => m,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

/// A deterministic pseudo-random f64 in [-1, 1) (a 64-bit LCG).
fn random(seed: &mut u64) -> f64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    ((*seed >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
}

fn random_matrix(rows: usize, cols: usize, seed: &mut u64) -> Dense<f64> {
    Dense::from_fn(rows, cols, |_, _| random(seed))
}

// A = [[2, 1/2, 3], [1, 0, -1], [4/3, 2, 5]]: det 41/6, inverse (SymPy)
// [[12, 21, -3], [-38, 36, 30], [12, -20, -3]] / 41. The first column's first entry is the
// pivot, the zero at (2, 2) forces a row exchange in exact elimination.
const A: &[&[(i64, i64)]] = &[
    &[(2, 1), (1, 2), (3, 1)],
    &[(1, 1), (0, 1), (-1, 1)],
    &[(4, 3), (2, 1), (5, 1)],
];

#[test]
fn exact_det_and_inverse_of_a_3x3_rational_matrix() {
    let b = exact();
    let a = exact_rows(A);
    assert_eq!(b.det(&a).unwrap(), ExactVal::Q(q(41, 6)));
    let inv = b.inverse(&a).unwrap();
    let want: Vec<Rational> = [12, 21, -3, -38, 36, 30, 12, -20, -3]
        .iter()
        .map(|n| q(*n, 41))
        .collect();
    assert_eq!(rationals(inv.clone()), want);
    // A·A⁻¹ = A⁻¹·A = I exactly.
    let id = rationals(b.identity(3).unwrap());
    assert_eq!(rationals(b.matmul(&a, &inv).unwrap()), id);
    assert_eq!(rationals(b.matmul(&inv, &a).unwrap()), id);
    // logdet is log(41/6), which is not rational; of the identity it is exactly 0.
    assert!(b.logdet(&a).unwrap().exact().is_err());
    assert_eq!(
        b.logdet(&b.identity(3).unwrap()).unwrap(),
        ExactVal::Q(q(0, 1))
    );
}

#[test]
fn mpfr_det_at_200_bits_matches_the_exact_value() {
    // The 4×4 Hilbert matrix, det 1/6048000: ill-conditioned, so rounding shows if the
    // precision is not carried through.
    let hilbert = |i: usize, j: usize| q(1, (i + j + 1) as i64);
    let exact_det = exact()
        .det(&Dense::from_fn(4, 4, |i, j| ExactVal::Q(hilbert(i, j))))
        .unwrap();
    assert_eq!(exact_det, ExactVal::Q(q(1, 6_048_000)));
    let m = Mpfr::new(200);
    let d = m
        .det(&Dense::from_fn(4, 4, |i, j| {
            Float::with_val(200, hilbert(i, j))
        }))
        .unwrap();
    assert_eq!(d.prec(), 200);
    let want = Float::with_val(400, q(1, 6_048_000));
    let rel = Float::with_val(400, (Float::with_val(400, &d) - &want) / &want).abs();
    assert!(
        rel < Float::with_val(64, 2.0f64.powi(-190)),
        "relative error {rel}"
    );
    // At 53 bits the same computation is visibly less accurate than at 200.
    let d53 = Mpfr::new(53)
        .det(&Dense::from_fn(4, 4, |i, j| {
            Float::with_val(53, hilbert(i, j))
        }))
        .unwrap();
    assert!(Float::with_val(400, (Float::with_val(400, &d53) - &want) / &want).abs() > rel);
}

#[test]
fn f64_matmul_matches_a_naive_triple_loop() {
    let mut seed = 12;
    let a = random_matrix(64, 80, &mut seed);
    let b = random_matrix(80, 50, &mut seed);
    let naive = |a: &Dense<f64>, b: &Dense<f64>| {
        Dense::from_fn(a.rows(), b.cols(), |i, j| {
            let (mut s, mut size) = (0.0, 0.0);
            for k in 0..a.cols() {
                s += a.get(i, k) * b.get(k, j);
                size += (a.get(i, k) * b.get(k, j)).abs();
            }
            (s, size)
        })
    };
    let check = |got: Dense<f64>, want: Dense<(f64, f64)>| {
        assert_eq!(got.shape(), want.shape());
        for (g, (w, size)) in got.data().iter().zip(want.data()) {
            // The error bound of a dot product in any order: n·ε·Σ|aᵢbᵢ| < 1e-12·Σ|aᵢbᵢ|.
            assert!((g - w).abs() <= 1e-12 * size, "{g} vs {w}");
        }
    };
    let want = naive(&a, &b);
    check(F64.matmul(&a, &b).unwrap(), want.clone());
    // Transposed operands without building the transposes: (bᵀ·aᵀ)ᵀ = a·b.
    let (at, bt) = (a.transposed(), b.transposed());
    check(F64.matmul_t(&at, true, &bt, true).unwrap(), want.clone());
    check(F64.matmul_t(&at, true, &b, false).unwrap(), want.clone());
    check(F64.matmul_t(&a, false, &bt, true).unwrap(), want.clone());
    check(F64.transpose(&F64.matmul(&bt, &at).unwrap()).unwrap(), want);
    // The same product by the generic MPFR path at 53 bits agrees too.
    let m = Mpfr::new(53);
    let to = |d: &Dense<f64>| d.map(|x| Float::with_val(53, *x));
    let generic = m.matmul(&to(&a), &to(&b)).unwrap().map(|f| f.to_f64());
    check(generic, naive(&a, &b));
}

#[test]
fn matmul_of_incompatible_shapes_is_an_error_not_a_panic() {
    let a = f64_rows(&[&[1.0, 2.0]]);
    assert_eq!(
        domain(F64.matmul(&a, &a)),
        "matrix product of incompatible shapes: 1×2 and 1×2"
    );
    let e = exact_rows(&[&[(1, 1), (2, 1)]]);
    assert_eq!(
        domain(exact().matmul(&e, &e)),
        "matrix product of incompatible shapes: 1×2 and 1×2"
    );
    assert_eq!(domain(exact().det(&e)), "det of a non-square 1×2 matrix");
}

#[test]
fn softmax_and_logsumexp_of_large_inputs_are_finite() {
    let x = Dense::column(vec![1000.0, 1001.0]);
    let s = F64.softmax(&x).unwrap();
    assert_eq!(s.shape(), (2, 1));
    // 1/(1 + e) and e/(1 + e).
    assert!((s.get(0, 0) - 0.268_941_421_369_995_1).abs() < 1e-15);
    assert!((s.get(1, 0) - 0.731_058_578_630_004_9).abs() < 1e-15);
    // 1001 + log(1 + 1/e).
    assert!((F64.logsumexp(&x).unwrap() - 1_001.313_261_687_518_2).abs() < 1e-12);
    // MPFR agrees, and exact arithmetic has no rational value (but no error either).
    let m = Mpfr::new(100);
    let xm = x.map(|v| Float::with_val(100, *v));
    let sm = m.softmax(&xm).unwrap();
    assert!((sm.get(0, 0).to_f64() - 0.268_941_421_369_995_1).abs() < 1e-15);
    let xe = x.map(|v| ExactVal::Q(Rational::from_f64(*v).unwrap()));
    assert!(
        exact()
            .softmax(&xe)
            .unwrap()
            .get(0, 0)
            .clone()
            .exact()
            .is_err()
    );
    // Equal entries: exactly 1/n.
    let same = Dense::column(vec![ExactVal::Q(q(7, 1)); 4]);
    assert_eq!(rationals(exact().softmax(&same).unwrap()), vec![q(1, 4); 4]);
    assert_eq!(
        domain(F64.softmax(&f64_rows(&[&[1.0, 2.0], &[3.0, 4.0]]))),
        "softmax of a 2×2 matrix, not a vector"
    );
}

#[test]
fn a_domain_error_of_an_element_wise_call_names_its_entry() {
    let m = f64_rows(&[&[1.0, 2.0], &[-3.0, 4.0]]);
    let want = "log of a non-positive number at entry (2, 1)";
    assert_eq!(domain(F64.apply(Builtin::Log, &[&m])), want);
    let mm = m.map(|x| Float::with_val(64, *x));
    assert_eq!(domain(Mpfr::new(64).apply(Builtin::Log, &[&mm])), want);
    let me = m.map(|x| ExactVal::Q(Rational::from_f64(*x).unwrap()));
    assert_eq!(domain(exact().apply(Builtin::Log, &[&me])), want);
    // A column vector's entry is one number; a 1×1 has no entry to name.
    let v = Dense::column(vec![1.0, 0.0]);
    assert_eq!(
        domain(F64.apply(Builtin::Log, &[&v])),
        "log of a non-positive number at entry 2"
    );
    let s = Dense::scalar(-1.0);
    assert_eq!(
        domain(F64.apply(Builtin::Log, &[&s])),
        "log of a non-positive number"
    );
    // Overflow names its entry too.
    let big = Dense::column(vec![1.0, 2.0, 800.0]);
    assert_eq!(
        domain(F64.apply(Builtin::Exp, &[&big])),
        "overflow at entry 3"
    );
}

#[test]
fn f64_element_wise_calls_equal_the_scalar_backend_bitwise() {
    // 11 entries: one block of 8 and a remainder of 3.
    let mut seed = 3;
    let m = random_matrix(1, 11, &mut seed).map(|x| 30.0 * x);
    for f in [
        Builtin::Exp,
        Builtin::Sigmoid,
        Builtin::Tanh,
        Builtin::Softplus,
        Builtin::Relu,
    ] {
        let got = F64.apply(f, &[&m]).unwrap();
        for (g, x) in got.data().iter().zip(m.data()) {
            assert_eq!(
                g.to_bits(),
                F64.call(f, &[x]).unwrap().to_bits(),
                "{f:?}({x})"
            );
        }
    }
    // max of a matrix and a scalar: pairwise, the scalar broadcast.
    let got = F64.apply(Builtin::Max, &[&m, &Dense::scalar(0.0)]).unwrap();
    assert_eq!(got, F64.apply(Builtin::Relu, &[&m]).unwrap());
}

#[test]
fn singular_matrices_have_det_zero_and_no_inverse() {
    let e = exact_rows(&[&[(1, 1), (2, 1)], &[(2, 1), (4, 1)]]);
    assert_eq!(exact().det(&e).unwrap(), ExactVal::Q(q(0, 1)));
    let msg = domain(exact().inverse(&e));
    assert!(msg.starts_with("singular matrix"), "{msg}");
    assert_eq!(domain(exact().logdet(&e)), "logdet of a singular matrix");
    let f = f64_rows(&[&[1.0, 2.0], &[2.0, 4.0]]);
    assert_eq!(F64.det(&f).unwrap(), 0.0);
    assert!(domain(F64.inverse(&f)).starts_with("singular matrix"));
    let m = Mpfr::new(128);
    assert!(domain(m.inverse(&f.map(|x| Float::with_val(128, *x)))).starts_with("singular matrix"));
}

#[test]
fn f64_inverse_uses_partial_pivoting() {
    // A tiny first pivot: without row exchange the inverse loses most of its digits.
    let a = f64_rows(&[&[1e-20, 1.0], &[1.0, 1.0]]);
    let inv = F64.inverse(&a).unwrap();
    // The inverse is [[1, -1], [-1, 1e-20]] / (1e-20 - 1) ≈ [[-1, 1], [1, -1e-20]].
    let want = [-1.0, 1.0, 1.0, -1e-20];
    for (g, w) in inv.data().iter().zip(want) {
        assert!((g - w).abs() <= 1e-15 * w.abs(), "{inv:?}");
    }
    assert_eq!(F64.det(&a).unwrap(), 1e-20 - 1.0);
}

#[test]
fn logdet_by_pivots_in_f64_where_det_overflows() {
    let n = 100;
    let a = Dense::from_fn(n, n, |i, j| if i == j { 1e5 } else { 0.0 });
    assert_eq!(domain(F64.det(&a)), "overflow");
    let want = 500.0 * 10f64.ln();
    assert!((F64.logdet(&a).unwrap() - want).abs() < 1e-10);
    let neg = f64_rows(&[&[0.0, 1.0], &[1.0, 0.0]]);
    assert_eq!(
        domain(F64.logdet(&neg)),
        "logdet of a matrix with a negative determinant"
    );
    let ne = exact_rows(&[&[(0, 1), (1, 1)], &[(1, 1), (0, 1)]]);
    assert_eq!(
        domain(exact().logdet(&ne)),
        "logdet of a matrix with a negative determinant (-1)"
    );
}

#[test]
fn exact_elimination_of_large_matrices_goes_to_mpfr() {
    let n = EXACT_MAX_ORDER + 1;
    let a = Dense::from_fn(n, n, |i, j| ExactVal::Q(Rational::from(i32::from(i == j))));
    assert_eq!(exact().det(&a), Err(Fail::TooLarge));
    assert_eq!(exact().inverse(&a).err(), Some(Fail::TooLarge));
}

#[test]
fn a_1x1_operand_is_broadcast_to_every_entry() {
    let b = exact();
    let m = exact_rows(&[&[(1, 1), (2, 1)], &[(3, 1), (4, 1)]]);
    let two = Dense::scalar(ExactVal::Q(q(2, 1)));
    assert_eq!(
        rationals(b.add(&m, &two).unwrap()),
        vec![q(3, 1), q(4, 1), q(5, 1), q(6, 1)]
    );
    assert_eq!(
        rationals(b.add(&two, &m).unwrap()),
        vec![q(3, 1), q(4, 1), q(5, 1), q(6, 1)]
    );
    assert_eq!(
        rationals(b.sub(&m, &two).unwrap()),
        vec![q(-1, 1), q(0, 1), q(1, 1), q(2, 1)]
    );
    assert_eq!(
        rationals(b.sub(&two, &m).unwrap()),
        vec![q(1, 1), q(0, 1), q(-1, 1), q(-2, 1)]
    );
    assert_eq!(
        rationals(b.divide(&two, &m).unwrap()),
        vec![q(2, 1), q(1, 1), q(2, 3), q(1, 2)]
    );
    assert_eq!(
        rationals(b.divide(&m, &two).unwrap()),
        vec![q(1, 2), q(1, 1), q(3, 2), q(2, 1)]
    );
    assert_eq!(
        rationals(b.hadamard(&m, &m).unwrap()),
        vec![q(1, 1), q(4, 1), q(9, 1), q(16, 1)]
    );
    assert_eq!(
        rationals(b.scale(&ExactVal::Q(q(1, 3)), &m).unwrap()),
        vec![q(1, 3), q(2, 3), q(1, 1), q(4, 3)]
    );
    // The same in f64, through its own loops.
    let f = f64_rows(&[&[1.0, 2.0], &[3.0, 4.0]]);
    let t = Dense::scalar(2.0);
    assert_eq!(
        F64.sub(&t, &f).unwrap().into_data(),
        vec![1.0, 0.0, -1.0, -2.0]
    );
    assert_eq!(
        F64.divide(&t, &f).unwrap().into_data(),
        vec![2.0, 1.0, 2.0 / 3.0, 0.5]
    );
    assert_eq!(
        F64.divide(&f, &t).unwrap().into_data(),
        vec![0.5, 1.0, 1.5, 2.0]
    );
    assert_eq!(
        F64.add(&f, &t).unwrap().into_data(),
        vec![3.0, 4.0, 5.0, 6.0]
    );
    // Division by a zero entry names it; by a zero scalar, the first entry it meets.
    let z = f64_rows(&[&[1.0, 0.0], &[3.0, 4.0]]);
    assert_eq!(
        domain(F64.divide(&f, &z)),
        "division by zero at entry (1, 2)"
    );
    let ze = exact_rows(&[&[(1, 1), (0, 1)], &[(3, 1), (4, 1)]]);
    assert_eq!(
        domain(b.divide(&m, &ze)),
        "division by zero at entry (1, 2)"
    );
    assert_eq!(
        domain(F64.divide(&f, &Dense::scalar(0.0))),
        "division by zero at entry (1, 1)"
    );
    // Shapes that neither match nor broadcast.
    assert_eq!(
        domain(F64.hadamard(&f, &Dense::column(vec![1.0, 2.0]))),
        "element-wise operands of different shapes: 2×2 and 2×1"
    );
}

#[test]
fn exact_powers_reductions_and_shapes() {
    let b = exact();
    let v = exact_rows(&[&[(1, 2)], &[(-3, 1)]]);
    assert_eq!(
        rationals(b.power_const(&v, &q(3, 1)).unwrap()),
        vec![q(1, 8), q(-27, 1)]
    );
    assert_eq!(
        rationals(b.power_const(&v, &q(-2, 1)).unwrap()),
        vec![q(4, 1), q(1, 9)]
    );
    let z = exact_rows(&[&[(1, 1)], &[(0, 1)]]);
    assert_eq!(
        domain(b.power_const(&z, &q(-1, 1))),
        "division by zero at entry 2"
    );
    let e = Dense::scalar(ExactVal::Q(q(2, 1)));
    assert_eq!(rationals(b.power(&v, &e).unwrap()), vec![q(1, 4), q(9, 1)]);
    assert_eq!(
        F64.power_const(&Dense::column(vec![3.0]), &q(2, 1))
            .unwrap()
            .into_data(),
        vec![9.0]
    );
    // Reductions.
    let m = exact_rows(&[&[(3, 1), (-4, 1)], &[(0, 1), (1, 2)]]);
    assert_eq!(b.sum_entries(&m).unwrap(), ExactVal::Q(q(-1, 2)));
    assert_eq!(b.trace(&m).unwrap(), ExactVal::Q(q(7, 2)));
    assert_eq!(b.norm1(&m).unwrap(), ExactVal::Q(q(15, 2)));
    let v34 = exact_rows(&[&[(3, 1)], &[(-4, 1)]]);
    assert_eq!(b.norm2(&v34).unwrap(), ExactVal::Q(q(5, 1)));
    // Frobenius: √(9 + 16 + 0 + 1/4) = √(101/4) is not rational.
    assert!(b.norm2(&m).unwrap().exact().is_err());
    assert!(
        (F64.norm2(&f64_rows(&[&[3.0, -4.0], &[0.0, 0.5]])).unwrap() - 25.25f64.sqrt()).abs()
            < 1e-15
    );
    assert_eq!(F64.norm1(&f64_rows(&[&[3.0, -4.0]])).unwrap(), 7.0);
    // diag both ways, identity, ones.
    let d = b.diag(&v).unwrap();
    assert_eq!(
        rationals(d.clone()),
        vec![q(1, 2), q(0, 1), q(0, 1), q(-3, 1)]
    );
    assert_eq!(rationals(b.diag(&d).unwrap()), vec![q(1, 2), q(-3, 1)]);
    assert_eq!(b.diag(&d).unwrap().shape(), (2, 1));
    assert_eq!(
        domain(b.diag(&exact_rows(&[
            &[(1, 1), (2, 1), (3, 1)],
            &[(1, 1), (2, 1), (3, 1)]
        ]))),
        "diag of a 2×3 matrix, not a vector"
    );
    assert_eq!(F64.ones(2, 3).unwrap().into_data(), vec![1.0; 6]);
    assert_eq!(
        F64.identity(2).unwrap().into_data(),
        vec![1.0, 0.0, 0.0, 1.0]
    );
    // Outer product of column vectors.
    let o = F64
        .outer(
            &Dense::column(vec![1.0, 2.0]),
            &Dense::column(vec![3.0, 4.0, 5.0]),
        )
        .unwrap();
    assert_eq!(o, f64_rows(&[&[3.0, 4.0, 5.0], &[6.0, 8.0, 10.0]]));
    assert_eq!(Dense::<f64>::from_rows(vec![vec![1.0], vec![]]), None);
}

#[test]
fn exact_identities_hold_on_random_small_matrices() {
    // det(A·B) = det A · det B, A·A⁻¹ = I and (A⁻¹)⁻¹ = A, exactly, on random 1×1 … 5×5
    // matrices of small fractions; and f64 and 200-bit MPFR det near the exact one.
    let b = exact();
    let mut seed = 7;
    let mut small = || {
        let n = (random(&mut seed) * 6.0).round() as i64; // -6 ..= 6
        let d = 1 + ((random(&mut seed) + 1.0) * 2.0) as i64; // 1 ..= 5
        q(n, d)
    };
    let mut singular = 0;
    for n in 1..=5 {
        for _ in 0..6 {
            let a = Dense::from_fn(n, n, |_, _| ExactVal::Q(small()));
            let c = Dense::from_fn(n, n, |_, _| ExactVal::Q(small()));
            let (da, dc) = (
                b.det(&a).unwrap().exact().unwrap(),
                b.det(&c).unwrap().exact().unwrap(),
            );
            let dac = b.det(&b.matmul(&a, &c).unwrap()).unwrap().exact().unwrap();
            assert_eq!(dac, Rational::from(&da * &dc));
            let af = a.map(|v| v.clone().exact().unwrap().to_f64());
            let scale: f64 = af
                .data()
                .iter()
                .map(|x| x.abs())
                .fold(1.0, f64::max)
                .powi(n as i32);
            assert!((F64.det(&af).unwrap() - da.to_f64()).abs() <= 1e-12 * scale);
            let am = a.map(|v| Float::with_val(200, v.clone().exact().unwrap()));
            let dm = Mpfr::new(200).det(&am).unwrap();
            assert!(Float::with_val(200, &dm - &da).abs() <= Float::with_val(64, 1e-50) * scale);
            if da == 0 {
                singular += 1;
                assert!(domain(b.inverse(&a)).starts_with("singular matrix"));
                continue;
            }
            let inv = b.inverse(&a).unwrap();
            assert_eq!(
                rationals(b.matmul(&a, &inv).unwrap()),
                rationals(b.identity(n).unwrap())
            );
            assert_eq!(b.inverse(&inv).unwrap(), a);
            assert_eq!(b.det(&inv).unwrap(), ExactVal::Q(da.recip()));
        }
    }
    // Most cases are invertible (a random matrix of fractions rarely is not).
    assert!(singular <= 5, "{singular} of 30 singular");
}
