//! One reader of exact numbers: literals, `--at` values, points-file cells and fd steps accept
//! the same numbers with the same exponent limit.

use chainrule::cli::parse_value;
use chainrule::fd::parse_step;
use chainrule::syntax::{MAX_LITERAL_EXPONENT, NumberError, parse_exact, parse_number};
use rug::Rational;
use rug::ops::Pow;

#[test]
fn every_reader_reads_the_same_numbers() {
    for (text, want) in [
        ("2", Rational::from(2)),
        ("0.5", Rational::from((1, 2))),
        ("1e-4", Rational::from((1, 10_000))),
        ("1.5E3", Rational::from(1500)),
        ("3/4", Rational::from((3, 4))),
        ("1/1e4", Rational::from((1, 10_000))),
        (
            "1e-4100",
            Rational::from((1, rug::Integer::from(10).pow(4100))),
        ),
    ] {
        assert_eq!(parse_exact(text), Ok(want.clone()), "{text}");
        assert_eq!(parse_value(text), Ok(want.clone()), "{text}");
        assert_eq!(parse_step(text).unwrap(), want, "{text}");
    }
    assert_eq!(parse_exact("-3/4"), Ok(Rational::from((-3, 4))));
    assert_eq!(parse_value("-0.5"), Ok(Rational::from((-1, 2))));
}

#[test]
fn every_reader_has_the_same_exponent_limit() {
    assert_eq!(MAX_LITERAL_EXPONENT, 4000);
    for text in ["1e-4101", "1e99999", "1e-99999999999999999999"] {
        let Err(NumberError::OutOfRange(m)) = parse_exact(text) else {
            panic!("{text} should be out of range");
        };
        assert!(m.contains("exponent"), "{m}");
        assert_eq!(parse_value(text), Err(m.clone()));
        match parse_step(text) {
            Err(chainrule::Error::Usage(s)) => assert_eq!(s, m),
            other => panic!("{text}: {other:?}"),
        }
        if !text.contains("99999999999999") {
            assert_eq!(
                parse_number(text.trim_start_matches('-')).map(|r| r.is_err()),
                Some(true)
            );
        }
    }
}

#[test]
fn a_dangling_exponent_is_not_a_number() {
    for text in ["1e", "1e+", "2E-", "1e2.5", "abc", "", "1/x"] {
        assert_eq!(parse_exact(text), Err(NumberError::NotANumber), "{text}");
    }
    assert_eq!(parse_number("1e"), None);
    assert_eq!(parse_exact("1/0"), Err(NumberError::DivisionByZero));
}

#[test]
fn points_csv_writes_f64_as_eval_does() {
    use chainrule::eval::{Value, format};
    use chainrule::{expr::Store, syntax::read_expr};
    let mut store = Store::new();
    let (e, _) = read_expr(&mut store, "x", "<expr>").unwrap();
    let xs = [2.5e-6, 1.5e-7, 1e17, 123.25, 0.0, 1e300];
    let csv: String = std::iter::once("x\n".to_string())
        .chain(xs.iter().map(|x| format!("{x:e}\n")))
        .collect();
    let out = chainrule::points::points_csv(&mut store, e, "E", &[], &csv).unwrap();
    let want: Vec<String> = xs
        .iter()
        .map(|x| format::decimal(&Value::F64(*x), 17))
        .collect();
    assert_eq!(out.lines().skip(1).collect::<Vec<_>>(), want);
    assert_eq!(
        want,
        [
            "0.0000025",
            "1.5e-7",
            "100000000000000000",
            "123.25",
            "0",
            "1e300"
        ]
    );
}

/// Short decimals (18 digits or fewer, no exponent) are read without GMP's parser: the same
/// numbers as the digits over a power of ten, made here with GMP, at every length and split.
#[test]
fn short_decimals_read_as_their_digits_over_a_power_of_ten() {
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for _ in 0..5000 {
        let len = 1 + next(19) as usize;
        let digits: String = (0..len)
            .map(|_| char::from(b'0' + next(10) as u8))
            .collect();
        let point = next(len as u64 + 1) as usize;
        let (int, frac) = digits.split_at(point);
        let text = if frac.is_empty() {
            int.to_string()
        } else {
            format!("{int}.{frac}")
        };
        let n: rug::Integer = digits.parse().unwrap();
        let want = Rational::from((n, rug::Integer::from(10).pow(frac.len() as u32)));
        let got = parse_number(&text).expect("a number").expect("in range");
        assert_eq!(got, want, "{text}");
    }
}
