//! Finite differences on the homework's network (STAT154 HW7, computational Q1 and Q2):
//! E(w1, w2, w3) = (w3·σ(w2·σ(w1·x)) − y)² at x = 1, y = 10, w = (2, 2, 3).
//!
//! The objectives are written by hand here, evaluated the way NumPy evaluates `hat_y`, so that
//! these tests do not depend on the parser.

mod common;

use chainrule::error::{Error, Result};
use chainrule::eval::Value;
use chainrule::fd::{
    Arith, Measure, Objective, Scheme, SweepReport, check_gradient, parse_ariths, parse_deltas,
    parse_schemes, parse_step, sweep, sweep_sentences,
};
use chainrule::plot::{sweep_csv, sweep_svg};
use rug::{Float, Rational};

/// The activation.
#[derive(Clone, Copy, PartialEq)]
enum Act {
    /// max(t, 0) (Q1), with σ'(t) = 1{t > 0}.
    Relu,
    /// 1/(1 + exp(−t)) (Q2).
    Sigmoid,
}

/// The homework network with a given activation.
struct Net {
    act: Act,
    params: Vec<String>,
    point: Vec<Rational>,
}

impl Net {
    fn new(act: Act) -> Net {
        Net {
            act,
            params: ["w1", "w2", "w3"].map(String::from).to_vec(),
            point: [2, 2, 3].map(Rational::from).to_vec(),
        }
    }
}

const X: i32 = 1;
const Y: i32 = 10;
/// Precision of the sigmoid net's reference gradient.
const GRAD_PREC: u32 = 512;

fn sigma_f64(act: Act, t: f64) -> f64 {
    match act {
        Act::Relu => t.max(0.0),
        Act::Sigmoid => 1.0 / (1.0 + (-t).exp()),
    }
}

fn sigma_mpfr(act: Act, t: &Float, prec: u32) -> Float {
    match act {
        Act::Relu => {
            if t.is_sign_positive() && !t.is_zero() {
                t.clone()
            } else {
                Float::new(prec)
            }
        }
        Act::Sigmoid => {
            // 1/(1 + exp(−t)), each step rounded at prec as NumPy rounds each step in f64.
            let e = Float::with_val(prec, (-t.clone()).exp_ref());
            let d = Float::with_val(prec, 1 + e);
            Float::with_val(prec, 1 / d)
        }
    }
}

impl Objective for Net {
    fn params(&self) -> &[String] {
        &self.params
    }

    fn point(&self) -> &[Rational] {
        &self.point
    }

    fn eval_f64(&self, w: &[f64]) -> Result<f64> {
        // NumPy: (w[2]*sigmoid(w[1]*sigmoid(w[0])) - 10)**2 (x = 1, so w[0]*x = w[0]).
        let x1 = sigma_f64(self.act, w[0] * f64::from(X));
        let x2 = sigma_f64(self.act, w[1] * x1);
        let r = w[2] * x2 - f64::from(Y);
        Ok(r * r)
    }

    fn eval_mpfr(&self, w: &[Float], prec: u32) -> Result<Float> {
        let z1 = Float::with_val(prec, &w[0] * X);
        let x1 = sigma_mpfr(self.act, &z1, prec);
        let z2 = Float::with_val(prec, &w[1] * &x1);
        let x2 = sigma_mpfr(self.act, &z2, prec);
        let yhat = Float::with_val(prec, &w[2] * &x2);
        let r = Float::with_val(prec, yhat - Y);
        Ok(Float::with_val(prec, r.square_ref()))
    }

    fn eval_exact(&self, w: &[Rational]) -> Result<Rational> {
        let relu = |t: Rational| if t > 0 { t } else { Rational::new() };
        if self.act == Act::Sigmoid {
            return Err(Error::domain(
                "exp is not rational: sigmoid cannot be evaluated exactly",
            ));
        }
        let x1 = relu(Rational::from(&w[0] * X));
        let x2 = relu(Rational::from(&w[1] * &x1));
        let r = Rational::from(&w[2] * &x2) - Y;
        Ok(Rational::from(r.square_ref()))
    }

    fn gradient(&self) -> Result<Vec<Value>> {
        match self.act {
            Act::Relu => {
                // Back-propagation, exactly: ∂E/∂ŷ = 2(ŷ − y), σ'(t) = 1{t > 0}.
                let w = &self.point;
                let step = |t: &Rational| if *t > 0 { 1 } else { 0 };
                let z1 = Rational::from(&w[0] * X);
                let x1 = if step(&z1) == 1 {
                    z1.clone()
                } else {
                    Rational::new()
                };
                let z2 = Rational::from(&w[1] * &x1);
                let x2 = if step(&z2) == 1 {
                    z2.clone()
                } else {
                    Rational::new()
                };
                let yhat = Rational::from(&w[2] * &x2);
                let dy = (yhat - Y) * 2;
                let dz2 = Rational::from(&dy * &w[2]) * step(&z2);
                let dz1 = Rational::from(&dz2 * &w[1]) * step(&z1);
                Ok(vec![
                    Value::Exact(dz1 * X),
                    Value::Exact(dz2 * &x1),
                    Value::Exact(dy * &x2),
                ])
            }
            Act::Sigmoid => {
                // σ'(t) = σ(t)(1 − σ(t)); computed at 512 bits.
                let p = GRAD_PREC;
                let w: Vec<Float> = self.point.iter().map(|r| Float::with_val(p, r)).collect();
                let s = |t: &Float| sigma_mpfr(Act::Sigmoid, t, p);
                let ds = |sig: &Float| Float::with_val(p, sig * Float::with_val(p, 1 - sig));
                let x1 = s(&Float::with_val(p, &w[0] * X));
                let x2 = s(&Float::with_val(p, &w[1] * &x1));
                let yhat = Float::with_val(p, &w[2] * &x2);
                let dy = Float::with_val(p, Float::with_val(p, yhat - Y) * 2);
                let dz2 = Float::with_val(p, Float::with_val(p, &dy * &w[2]) * ds(&x2));
                let dz1 = Float::with_val(p, Float::with_val(p, &dz2 * &w[1]) * ds(&x1));
                Ok(vec![
                    Value::Mpfr(Float::with_val(p, dz1 * X)),
                    Value::Mpfr(Float::with_val(p, &dz2 * &x1)),
                    Value::Mpfr(Float::with_val(p, &dy * &x2)),
                ])
            }
        }
    }
}

fn rat(n: i64, d: i64) -> Rational {
    Rational::from((n, d))
}

fn quotients(r: &chainrule::fd::FdReport, k: usize) -> Vec<f64> {
    r.params
        .iter()
        .map(|p| p.entries[k].quotient.to_f64())
        .collect()
}

fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= tol, "got {got:?}, want {want:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Q1: gradient check at Δ = 1e-4
// ---------------------------------------------------------------------------------------------

#[test]
fn q1_f64_reproduces_the_numpy_output() {
    let net = Net::new(Act::Relu);
    let r = check_gradient(&net, &parse_step("1e-4").unwrap(), &Scheme::ALL, Arith::F64).unwrap();
    assert_eq!(r.step_used, Value::F64(1e-4));
    let grads: Vec<Value> = r.params.iter().map(|p| p.gradient.clone()).collect();
    assert_eq!(grads, [24, 24, 16].map(|g| Value::Exact(Rational::from(g))));
    assert_close(&quotients(&r, 0), &[24.0036, 24.0036, 16.0016], 1e-9);
    assert_close(&quotients(&r, 1), &[23.9964, 23.9964, 15.9984], 1e-9);
    assert_close(&quotients(&r, 2), &[24.0, 24.0, 16.0], 1e-9);
    // The error is the f64 quotient's true error, computed at 256 bits: not rounded again.
    for p in &r.params {
        for e in &p.entries {
            let Value::Mpfr(err) = &e.error else {
                panic!("an f64 error should be an MPFR value")
            };
            assert!(err.prec() >= 256);
            let q = e.quotient.to_f64();
            let g = p.gradient.as_exact().unwrap();
            let want = Rational::from_f64(q).unwrap() - g;
            assert_eq!(*err, want, "{} {}", p.name, e.scheme);
        }
    }
    assert_close(
        &r.params
            .iter()
            .map(|p| p.entries[0].error.to_f64())
            .collect::<Vec<_>>(),
        &[0.0036, 0.0036, 0.0016],
        1e-9,
    );
}

#[test]
fn q1_exact_quotients_are_the_hand_derived_rationals() {
    // Near w = (2, 2, 3) the network is E = (w1·w2·w3 − 10)²; along w1 (and w2) it is
    // (6t − 10)², along w3 it is (4t − 10)². So with δ exact:
    //   forward  w1, w2: ((2 + 6δ)² − 4)/δ = 24 + 36δ     w3: ((2 + 4δ)² − 4)/δ = 16 + 16δ
    //   backward w1, w2: 24 − 36δ                         w3: 16 − 16δ
    //   central  w1, w2: ((2 + 6δ)² − (2 − 6δ)²)/(2δ) = 24 w3: 16  (exact for a quadratic)
    let net = Net::new(Act::Relu);
    let delta = parse_step("1e-4").unwrap();
    assert_eq!(delta, rat(1, 10_000));
    let r = check_gradient(&net, &delta, &Scheme::ALL, Arith::Exact).unwrap();
    assert_eq!(r.step_used, Value::Exact(delta.clone()));
    let d = &delta;
    let want = [
        [
            24 + Rational::from(36 * d),
            24 - Rational::from(36 * d),
            Rational::from(24),
        ],
        [
            24 + Rational::from(36 * d),
            24 - Rational::from(36 * d),
            Rational::from(24),
        ],
        [
            16 + Rational::from(16 * d),
            16 - Rational::from(16 * d),
            Rational::from(16),
        ],
    ];
    assert_eq!(want[0][0], rat(60_009, 2_500));
    assert_eq!(want[0][1], rat(59_991, 2_500));
    assert_eq!(want[2][0], rat(10_001, 625));
    assert_eq!(want[2][1], rat(9_999, 625));
    for (p, want) in r.params.iter().zip(&want) {
        for (e, w) in p.entries.iter().zip(want) {
            assert_eq!(
                e.quotient,
                Value::Exact(w.clone()),
                "{} {}",
                p.name,
                e.scheme
            );
            let g = p.gradient.as_exact().unwrap();
            assert_eq!(e.error, Value::Exact(Rational::from(w - g)));
        }
    }
    // Errors: 36δ = 9/2500 and 16δ = 1/625, exactly; central exactly 0.
    assert_eq!(r.params[0].entries[0].error, Value::Exact(rat(9, 2_500)));
    assert_eq!(r.params[2].entries[1].error, Value::Exact(rat(-1, 625)));
    let central = r.norm(Scheme::Central).unwrap();
    assert!(central.exact_zero);
    assert_eq!(central.squared, 0.0);
    // ‖(9/2500, 9/2500, 1/625)‖² = 2·81/2500² + 1/625², exactly, rounded once.
    let fwd = r.norm(Scheme::Forward).unwrap();
    let sq = 2 * rat(81, 6_250_000) + rat(1, 390_625);
    assert_eq!(fwd.squared, Float::with_val(53, &sq).to_f64());
}

#[test]
fn q1_mpfr_quotients_match_the_exact_ones_to_working_precision() {
    let net = Net::new(Act::Relu);
    let delta = rat(1, 10_000);
    let exact = check_gradient(&net, &delta, &Scheme::ALL, Arith::Exact).unwrap();
    let mpfr = check_gradient(&net, &delta, &Scheme::ALL, Arith::Mpfr(256)).unwrap();
    for (pe, pm) in exact.params.iter().zip(&mpfr.params) {
        for (ee, em) in pe.entries.iter().zip(&pm.entries) {
            let Value::Mpfr(q) = &em.quotient else {
                panic!("MPFR quotient expected")
            };
            assert_eq!(q.prec(), 256);
            let diff = Float::with_val(256, q - ee.quotient.as_exact().unwrap());
            assert!(
                diff.clone().abs() < 1e-70,
                "{} {}: {diff}",
                pm.name,
                em.scheme
            );
        }
    }
}

#[test]
fn check_rejects_bad_requests() {
    let net = Net::new(Act::Relu);
    let usage = |r: Result<chainrule::fd::FdReport>| match r {
        Err(Error::Usage(m)) => m,
        other => panic!("expected a usage error, got {other:?}"),
    };
    let m = usage(check_gradient(
        &net,
        &Rational::new(),
        &Scheme::ALL,
        Arith::F64,
    ));
    assert!(m.contains("positive"), "{m}");
    usage(check_gradient(&net, &rat(-1, 10), &Scheme::ALL, Arith::F64));
    usage(check_gradient(&net, &rat(1, 10), &[], Arith::F64));
    usage(check_gradient(
        &net,
        &rat(1, 10),
        &Scheme::ALL,
        Arith::Mpfr(0),
    ));
    // 1e-400 is 0 in f64 but fine in MPFR and exactly.
    let tiny = parse_step("1e-400").unwrap();
    let m = usage(check_gradient(&net, &tiny, &Scheme::ALL, Arith::F64));
    assert!(m.contains("0 in f64"), "{m}");
    assert!(check_gradient(&net, &tiny, &Scheme::ALL, Arith::Exact).is_ok());
    // A non-rational objective cannot run in exact arithmetic: the domain error says where.
    let sig = Net::new(Act::Sigmoid);
    match check_gradient(&sig, &rat(1, 10), &Scheme::ALL, Arith::Exact) {
        Err(Error::Domain { message, .. }) => {
            assert!(message.contains("exp is not rational"), "{message}");
            assert!(message.contains("in exact"), "{message}");
        }
        other => panic!("expected a domain error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Q2: sweeps
// ---------------------------------------------------------------------------------------------

fn q2_sweep() -> SweepReport {
    let net = Net::new(Act::Sigmoid);
    let deltas = parse_deltas("1e-10:1e-1:10").unwrap();
    sweep(&net, &deltas, &Scheme::ALL, &[Arith::F64, Arith::Mpfr(256)]).unwrap()
}

fn series(r: &SweepReport, scheme: Scheme, arith: Arith) -> &chainrule::fd::Series {
    r.series
        .iter()
        .find(|s| s.scheme == scheme && s.arith == arith)
        .unwrap()
}

#[test]
fn q2_f64_shows_a_v() {
    let r = q2_sweep();
    assert_eq!(r.series.len(), 6);
    for scheme in Scheme::ALL {
        let s = series(&r, scheme, Arith::F64);
        let best = s.best.unwrap();
        let sq: Vec<f64> = s.points.iter().map(|p| p.squared).collect();
        assert!(
            best > 0 && best < 9,
            "{scheme}: minimum at the edge: {sq:?}"
        );
        assert!(
            sq[0] > 1e4 * sq[best],
            "{scheme}: no rounding branch: {sq:?}"
        );
        assert!(
            sq[9] > 1e4 * sq[best],
            "{scheme}: no truncation branch: {sq:?}"
        );
    }
    // The one-sided minimum sits near √ε·scale (about 3e-8), the central one near ∛ε·scale
    // (about 1e-5); which decade wins by a hair depends on the last bits of `exp`.
    let best = |scheme| {
        let s = series(&r, scheme, Arith::F64);
        r.deltas[s.best.unwrap()].clone()
    };
    let near = |d: Rational, lo: i64, hi: i64| d >= rat(1, lo) && d <= rat(1, hi);
    assert!(near(best(Scheme::Forward), 100_000_000, 10_000_000));
    assert!(near(best(Scheme::Backward), 100_000_000, 10_000_000));
    assert!(near(best(Scheme::Central), 1_000_000, 10_000));
    // The truncation branch of the f64 one-sided schemes still has slope ≈ 1 (2 squared).
    for scheme in [Scheme::Forward, Scheme::Backward] {
        let k = series(&r, scheme, Arith::F64).slope.unwrap();
        assert!((k - 1.0).abs() < 0.1, "{scheme}: slope {k}");
    }
    let est = series(&r, Scheme::Forward, Arith::F64)
        .estimate
        .clone()
        .unwrap();
    assert_eq!(est.eps_log2, -53);
    assert_eq!(est.scale, 3.0);
    assert!((est.step() - 3.0 * 2f64.powf(-26.5)).abs() < 1e-20);
}

#[test]
fn q2_mpfr_256_is_a_straight_line() {
    let r = q2_sweep();
    for scheme in Scheme::ALL {
        let s = series(&r, scheme, Arith::Mpfr(256));
        let sq: Vec<f64> = s.points.iter().map(|p| p.squared).collect();
        assert!(
            sq.windows(2).all(|w| w[0] < w[1]),
            "{scheme}: not monotone: {sq:?}"
        );
        assert_eq!(s.best, Some(0));
        let squared_slope = 2.0 * s.slope.unwrap();
        let want = 2.0 * f64::from(scheme.order());
        assert!(
            (squared_slope - want).abs() <= 0.1,
            "{scheme}: squared-error slope {squared_slope}, want {want}"
        );
        // √ε·3 ≈ 8.8e-39 and ∛ε·3 ≈ 6.2e-26 at ε = 2^-256: far below the range swept.
        assert!(s.estimate.as_ref().unwrap().log10_step < -25.0);
    }
}

#[test]
fn q2_explanations_read_right() {
    let r = q2_sweep();
    let text = sweep_sentences(&r);
    assert_eq!(text.len(), 6);
    let fwd_f64 = &text[0];
    assert!(
        fwd_f64.starts_with("forward differences in f64: the error falls with slope 1.0"),
        "{fwd_f64}"
    );
    // 1e-8 or 1e-7, depending on the last bits of `exp` (see q2_f64_shows_a_v).
    assert!(fwd_f64.contains("until Δ ≈ 1e-"), "{fwd_f64}");
    assert!(
        fwd_f64.contains("then rises as rounding error takes over"),
        "{fwd_f64}"
    );
    assert!(fwd_f64.contains("√ε·3 ≈ 3.2e-8 (ε = 2^-53)"), "{fwd_f64}");
    let cen_mpfr = &text[5];
    assert!(
        cen_mpfr
            .starts_with("central differences in MPFR at 256 bits: the error falls with slope 2.0"),
        "{cen_mpfr}"
    );
    assert!(cen_mpfr.contains("over the whole range"), "{cen_mpfr}");
    // The MPFR sentences only: MPFR is correctly rounded everywhere, while the f64 ones hang
    // on the last bits of the platform's `exp`.
    common::snapshot_settings().bind(|| {
        insta::assert_snapshot!("fd_explain_q2_sigmoid_mpfr", text[3..].join("\n"));
    });
}

#[test]
fn relu_sweep_in_exact_arithmetic_has_no_v_and_exact_zero_central_errors() {
    let net = Net::new(Act::Relu);
    let deltas = parse_deltas("1e-10:1e-1:10").unwrap();
    let r = sweep(&net, &deltas, &Scheme::ALL, &[Arith::Exact, Arith::F64]).unwrap();
    let fwd = series(&r, Scheme::Forward, Arith::Exact);
    // Forward errors are exactly (36δ, 36δ, 16δ): the norm is δ·√(2·36² + 16²), slope 1.
    for (d, p) in r.deltas.iter().zip(&fwd.points) {
        let want = Float::with_val(53, d).to_f64() * (2.0 * 36.0f64.powi(2) + 256.0).sqrt();
        assert!((p.norm / want - 1.0).abs() < 1e-12);
    }
    assert!((fwd.slope.unwrap() - 1.0).abs() < 1e-9);
    assert_eq!(fwd.best, Some(0));
    assert!(fwd.estimate.is_none());
    let cen = series(&r, Scheme::Central, Arith::Exact);
    assert!(
        cen.points
            .iter()
            .all(|p| p.exact_zero && p.squared == 0.0 && p.norm == 0.0)
    );
    assert_eq!(cen.slope, None);
    let text = sweep_sentences(&r);
    assert!(text[0].contains("no V"), "{}", text[0]);
    assert!(text[2].contains("exactly 0 at every Δ"), "{}", text[2]);
    common::snapshot_settings().bind(|| {
        insta::assert_snapshot!("fd_explain_q1_relu", text.join("\n"));
        insta::assert_snapshot!("fd_csv_q1_relu", sweep_csv(&r));
    });
}

#[test]
fn sweep_rejects_bad_requests() {
    let net = Net::new(Act::Relu);
    let d = parse_deltas("1e-4,1e-3").unwrap();
    assert!(matches!(
        sweep(&net, &[], &Scheme::ALL, &[Arith::F64]),
        Err(Error::Usage(_))
    ));
    assert!(matches!(
        sweep(&net, &d, &[], &[Arith::F64]),
        Err(Error::Usage(_))
    ));
    assert!(matches!(
        sweep(&net, &d, &Scheme::ALL, &[]),
        Err(Error::Usage(_))
    ));
    assert!(matches!(
        sweep(
            &net,
            &[rat(1, 10), Rational::new()],
            &Scheme::ALL,
            &[Arith::F64]
        ),
        Err(Error::Usage(_))
    ));
    // Steps come back sorted and without duplicates.
    let r = sweep(
        &net,
        &[rat(1, 10), rat(1, 1000), rat(1, 10)],
        &[Scheme::Forward],
        &[Arith::F64],
    )
    .unwrap();
    assert_eq!(r.deltas, [rat(1, 1000), rat(1, 10)]);
    // A single step has no trend to explain.
    let r = sweep(&net, &[rat(1, 10)], &[Scheme::Forward], &[Arith::Exact]).unwrap();
    assert_eq!(r.series[0].slope, None);
    assert_eq!(
        sweep_sentences(&r),
        [
            "forward differences in exact arithmetic: at the single step Δ = 1e-1 the error \
          ‖∇̂ − ∇‖ is 5.3; sweep several steps to see how it changes with Δ."
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

#[test]
fn deltas_are_exact_powers_of_ten() {
    let d = parse_deltas("1e-10:1e-1:10").unwrap();
    let want: Vec<Rational> = (1..=10).rev().map(|k| rat(1, 10i64.pow(k))).collect();
    assert_eq!(d, want);
    assert_eq!(
        parse_deltas(" 1e-4 , 1e-3 ").unwrap(),
        [rat(1, 10_000), rat(1, 1_000)]
    );
    assert_eq!(parse_deltas("0.001").unwrap(), [rat(1, 1000)]);
    assert_eq!(parse_deltas("1/10000").unwrap(), [rat(1, 10_000)]);
    assert_eq!(parse_deltas("2.5E-3").unwrap(), [rat(1, 400)]);
    // Every other decade, and descending when FROM > TO.
    assert_eq!(
        parse_deltas("1e-9:1e-1:5").unwrap(),
        (0..5)
            .map(|k| rat(1, 10i64.pow(9 - 2 * k)))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        parse_deltas("1e-1:1e-3:3").unwrap(),
        [rat(1, 10), rat(1, 100), rat(1, 1000)]
    );
    // Endpoints not powers of ten, ratio a power of ten: still exact.
    assert_eq!(
        parse_deltas("2e-5:2e-3:3").unwrap(),
        [rat(1, 50_000), rat(1, 5_000), rat(1, 500)]
    );
    assert_eq!(parse_deltas("1e-4:1e-4:1").unwrap(), [rat(1, 10_000)]);
}

#[test]
fn half_decades_are_rounded_sensibly() {
    let d = parse_deltas("1e-10:1e-1:19").unwrap();
    assert_eq!(d.len(), 19);
    assert_eq!(d[0], rat(1, 10i64.pow(10)));
    assert_eq!(d[2], rat(1, 10i64.pow(9)));
    assert_eq!(d[18], rat(1, 10));
    // 10^-9.5 as the shortest decimal of its double.
    assert_eq!(d[1], parse_step("3.1622776601683795e-10").unwrap());
    let x = Float::with_val(53, &d[1]).to_f64();
    assert!((x / 10f64.powf(-9.5) - 1.0).abs() < 1e-15);
}

#[test]
fn bad_delta_specs_say_what_is_wrong() {
    for (spec, words) in [
        ("1e-10:1e-1:0", "0 steps"),
        ("1e-10:1e-1:10001", "at most 10000"),
        ("0:1e-1:10", "positive"),
        ("-1e-4", "positive"),
        ("1e-4,,1e-3", "empty entry"),
        ("", "no steps"),
        ("abc", "not a number"),
        ("1e-4:1e-1", "FROM:TO:COUNT"),
        ("1e-4:1e-1:x", "bad step count"),
        ("1e-4:1e-3:1", "one step"),
        ("1e-99999", "exponent"),
        ("1/0", "divides by zero"),
    ] {
        match parse_deltas(spec) {
            Err(Error::Usage(m)) => assert!(m.contains(words), "`{spec}`: {m}"),
            other => panic!("`{spec}`: expected a usage error, got {other:?}"),
        }
    }
}

#[test]
fn arithmetics_and_schemes_parse_and_print() {
    for (text, a) in [
        ("f64", Arith::F64),
        ("mpfr:256", Arith::Mpfr(256)),
        ("exact", Arith::Exact),
    ] {
        assert_eq!(text.parse::<Arith>().unwrap(), a);
        assert_eq!(a.to_string(), text);
    }
    assert_eq!(" MPFR:53 ".parse::<Arith>().unwrap(), Arith::Mpfr(53));
    for (text, words) in [
        ("mpfr", "needs a precision"),
        ("mpfr:0", "between 2 and"),
        ("mpfr:99999999", "between 2 and"),
        ("mpfr:abc", "bad MPFR precision"),
        ("f32", "unknown arithmetic `f32`"),
        ("", "unknown arithmetic"),
    ] {
        match text.parse::<Arith>() {
            Err(Error::Usage(m)) => assert!(m.contains(words), "`{text}`: {m}"),
            other => panic!("`{text}`: expected a usage error, got {other:?}"),
        }
    }
    assert_eq!(
        parse_ariths("f64,mpfr:256,f64").unwrap(),
        [Arith::F64, Arith::Mpfr(256)]
    );

    for s in Scheme::ALL {
        assert_eq!(s.to_string().parse::<Scheme>().unwrap(), s);
    }
    assert_eq!(parse_schemes("all").unwrap(), Scheme::ALL);
    assert_eq!(
        parse_schemes("central, forward").unwrap(),
        [Scheme::Central, Scheme::Forward]
    );
    match "sideways".parse::<Scheme>() {
        Err(Error::Usage(m)) => assert!(m.contains("forward, backward, central or all"), "{m}"),
        other => panic!("expected a usage error, got {other:?}"),
    }
    assert!(matches!(parse_schemes("forward,"), Err(Error::Usage(_))));
}

// ---------------------------------------------------------------------------------------------
// Plots
// ---------------------------------------------------------------------------------------------

/// Stroke colours of the polylines drawn 2 px wide: the data lines (and legend samples), one
/// colour per series. Grid lines and axes are 1 px; the legend's black ▽ is left out.
fn series_colors(doc: &roxmltree::Document) -> std::collections::BTreeSet<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("2"))
        .filter_map(|n| n.attribute("stroke").map(String::from))
        .filter(|c| c != "#000000")
        .collect()
}

/// Polylines shaped like ▽: four points, closed, flat top, tip below.
fn zero_markers(doc: &roxmltree::Document) -> usize {
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .filter(|n| {
            let pts: Vec<(i32, i32)> = n
                .attribute("points")
                .unwrap_or("")
                .split_whitespace()
                .filter_map(|p| {
                    let (x, y) = p.split_once(',')?;
                    Some((x.parse().ok()?, y.parse().ok()?))
                })
                .collect();
            pts.len() == 4 && pts[0] == pts[3] && pts[0].1 == pts[1].1 && pts[2].1 > pts[0].1
        })
        .count()
}

fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .collect()
}

#[test]
fn q2_plot_is_well_formed_with_one_series_each() {
    let r = q2_sweep();
    let title = "chainrule fd sweep: hw7 Q2 (sigmoid) at w1 = 2, w2 = 2, w3 = 3";
    let svg = sweep_svg(&r, title, Measure::Squared).unwrap();
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fd_q2_sweep.svg");
    std::fs::write(&out, &svg).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert_eq!(series_colors(&doc).len(), 6, "{:?}", series_colors(&doc));
    let t = texts(&doc);
    for want in [
        "step size Δ",
        "squared error ‖∇̂ − ∇‖²",
        title,
        "forward, f64",
        "central, mpfr:256",
        "1e-8",
    ] {
        assert!(
            t.iter().any(|x| x == want),
            "missing text `{want}` in {t:?}"
        );
    }
    // No error is exactly zero here: no ▽ and no note.
    assert_eq!(zero_markers(&doc), 0);
    assert!(!t.iter().any(|x| x.contains("exactly 0")));

    let norm = sweep_svg(&r, title, Measure::Norm).unwrap();
    let doc = roxmltree::Document::parse(&norm).unwrap();
    assert!(texts(&doc).iter().any(|x| x == "error ‖∇̂ − ∇‖"));
}

#[test]
fn exact_zero_errors_are_drawn_not_dropped() {
    let net = Net::new(Act::Relu);
    let deltas = parse_deltas("1e-6:1e-1:6").unwrap();
    let r = sweep(
        &net,
        &deltas,
        &[Scheme::Forward, Scheme::Central],
        &[Arith::Exact],
    )
    .unwrap();
    let svg = sweep_svg(&r, "relu <net> & \"zeros\"", Measure::Squared).unwrap();
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fd_q1_exact_sweep.svg");
    std::fs::write(&out, &svg).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    assert_eq!(series_colors(&doc).len(), 2);
    // Six exact zeros of the central scheme, plus the legend's ▽.
    assert_eq!(zero_markers(&doc), 6 + 1);
    let t = texts(&doc);
    assert!(t.iter().any(|x| x == "error exactly 0"), "{t:?}");
    assert!(
        t.iter().any(|x| x == "0"),
        "the zero row is labelled 0: {t:?}"
    );
    assert!(t.iter().any(|x| x == "relu <net> & \"zeros\""));
    let csv = sweep_csv(&r);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "delta,forward exact squared,forward exact norm,central exact squared,central exact norm"
    );
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(first[0], "1e-6");
    assert_eq!(&first[3..], ["0", "0"]);
}

#[test]
fn three_arithmetics_get_nine_styles() {
    let net = Net::new(Act::Relu);
    let deltas = parse_deltas("1e-10:1e-1:10").unwrap();
    let ariths = parse_ariths("f64,mpfr:64,exact").unwrap();
    let r = sweep(&net, &deltas, &Scheme::ALL, &ariths).unwrap();
    assert_eq!(r.series.len(), 9);
    let svg = sweep_svg(&r, "hw7 Q1 (relu)", Measure::Norm).unwrap();
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fd_q1_three_ariths.svg");
    std::fs::write(&out, &svg).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    assert_eq!(series_colors(&doc).len(), 9, "{:?}", series_colors(&doc));
    // The exact central errors are all 0: ten ▽ at least (MPFR may add some of its own).
    assert!(zero_markers(&doc) > 10);
}

/// The work estimate counts what runs (issue 9.12): the 5,000-layer chain's default f64 sweep
/// (15,004 nodes, 5,002 parameters, 10 steps) runs in a few seconds on the tape and passes;
/// the same in MPFR at 256 bits would take minutes and is refused, as is one exact step.
#[test]
fn the_work_estimate_lets_the_tape_through_and_stops_minutes_of_mpfr() {
    use chainrule::fd::{MAX_SECONDS, check_work, estimate_seconds};
    let (size, params) = (15_004, 5_002);
    let f64_secs = estimate_seconds(size, params, 10, &Scheme::ALL, &[Arith::F64]);
    assert!(f64_secs > 1.0 && f64_secs < MAX_SECONDS, "{f64_secs}");
    assert!(check_work(size, params, 10, &Scheme::ALL, &[Arith::F64]).is_ok());
    assert!(check_work(size, params, 10, &Scheme::ALL, &[Arith::Mpfr(256)]).is_err());
    assert!(check_work(size, params, 1, &Scheme::ALL, &[Arith::Exact]).is_err());
    // Schemes share the shifted points: forward needs the point and w + Δ, not twice as many.
    let one = estimate_seconds(size, params, 1, &[Scheme::Forward], &[Arith::F64]);
    let all = estimate_seconds(size, params, 1, &Scheme::ALL, &[Arith::F64]);
    assert!((all / one - 2.0).abs() < 0.01, "{one} {all}");
}
