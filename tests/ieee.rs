//! `--float f64` is IEEE double: exact numbers become the nearest double (as Rust's
//! correctly rounded `str::parse::<f64>` reads the same decimal), and f64 results print as
//! the shortest string that reads back to the same double (as Python's `repr`).

mod common;

use chainrule::eval::{Value, nearest_f64};
use chainrule::syntax::parse_number;
use common::Rng;
use rug::Rational;

/// A random decimal: 1 to 40 significant digits, a decimal exponent from normal through
/// subnormal to beyond the range of doubles at both ends.
fn random_decimal(rng: &mut Rng) -> String {
    let digits = 1 + rng.below(40) as usize;
    let mut mantissa: String = (0..digits)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect();
    if rng.below(4) == 0 {
        // Many 9s or 0s: decimals next to a power of ten or a halfway point.
        let fill = if rng.below(2) == 0 { '9' } else { '0' };
        mantissa.push_str(&fill.to_string().repeat(1 + rng.below(20) as usize));
        mantissa.push(char::from(b'1' + rng.below(9) as u8));
    }
    let exp: i64 = match rng.below(5) {
        0 => rng.below(700) as i64 - 350,   // across the whole range
        1 => -(rng.below(40) as i64) - 300, // subnormal
        2 => 290 + rng.below(40) as i64,    // near and past the largest double
        _ => rng.below(40) as i64 - 20,     // everyday
    };
    let point = rng.below(digits as u64 + 1) as usize;
    let sign = if rng.below(2) == 0 { "" } else { "-" };
    let (int, frac) = mantissa.split_at(point.min(mantissa.len()));
    let int = if int.is_empty() { "0" } else { int };
    if frac.is_empty() {
        format!("{sign}{int}e{exp}")
    } else {
        format!("{sign}{int}.{frac}e{exp}")
    }
}

fn exact(text: &str) -> Rational {
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text),
    };
    let r = parse_number(body).expect("a decimal").expect("in range");
    if neg { -r } else { r }
}

#[test]
fn exact_numbers_round_to_the_nearest_double_as_rust_parses_them() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut subnormal = 0;
    let mut infinite = 0;
    for _ in 0..20_000 {
        let text = random_decimal(&mut rng);
        let want: f64 = text.parse().unwrap();
        let q = exact(&text);
        if q == 0 {
            // An exact zero has no sign; `-0.0` parses as negative zero.
            assert_eq!(nearest_f64(&q), 0.0);
            continue;
        }
        let got = nearest_f64(&q);
        assert_eq!(got.to_bits(), want.to_bits(), "{text}: {got:e} vs {want:e}");
        // The same double through the evaluator's value type.
        assert_eq!(
            Value::Exact(exact(&text)).to_f64().to_bits(),
            want.to_bits()
        );
        subnormal += usize::from(want != 0.0 && !want.is_normal() && want.is_finite());
        infinite += usize::from(want.is_infinite());
    }
    // The generator reaches the hard ranges.
    assert!(subnormal > 1000, "{subnormal} subnormal cases");
    assert!(infinite > 500, "{infinite} infinite cases");
}

#[test]
fn the_edges_of_the_double_range_round_as_ieee_says() {
    for text in [
        "0.1",
        "0.3",
        "1e23",
        "9007199254740993",        // 2^53 + 1: a tie, to even
        "9007199254740995",        // 2^53 + 3: a tie, to even (up)
        "2.2250738585072011e-308", // just below the smallest normal
        "2.2250738585072014e-308", // the smallest normal
        "4.9406564584124654e-324", // the smallest subnormal
        "2.4703282292062327e-324", // just below half of it: 0
        "2.4703282292062328e-324", // just above half of it: the smallest subnormal
        "1.7976931348623157e308",  // the largest double
        "1.7976931348623158e308",  // rounds down to it
        "1.7976931348623159e308",  // rounds to infinity
        "7.4109846876186982e-323", // a subnormal tie region
        "1e-400",
        "1e400",
    ] {
        let want: f64 = text.parse().unwrap();
        assert_eq!(
            nearest_f64(&exact(text)).to_bits(),
            want.to_bits(),
            "{text}"
        );
    }
    // rug's own conversion truncates: the reason for one shared function.
    assert_eq!(Rational::from((1, 10)).to_f64(), 0.09999999999999999);
    assert_eq!(nearest_f64(&Rational::from((1, 10))), 0.1);
}

#[test]
fn f64_values_print_as_the_shortest_string_that_reads_back() {
    let mut rng = Rng(42);
    for _ in 0..10_000 {
        let x = f64::from_bits(rng.next());
        if !x.is_finite() {
            continue;
        }
        let s = Value::F64(x).to_decimal(17);
        let back: f64 = s.parse().unwrap();
        assert_eq!(back.to_bits(), x.to_bits(), "{x:e} printed as {s}");
        // As short as Rust's shortest representation.
        let shortest = format!("{x:e}");
        let sig = |t: &str| {
            t.split('e')
                .next()
                .unwrap()
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
                .trim_start_matches('0')
                .trim_end_matches('0')
                .len()
        };
        assert_eq!(sig(&s), sig(&shortest), "{x:e} printed as {s}");
    }
}

/// In f64 the value is the input as written, as NumPy computes it, also where the canonical
/// form runs out of range (found by a review, 2026-12-02): `(1+1e-30)*(x/y)` at x = 1,
/// y = 1e-300 was an overflow error, the constant folded into a rational whose numerator
/// and denominator overflow; NumPy gives 9.999999999999999e299. The input's domain
/// conditions still hold, and a true overflow is still one.
#[test]
fn the_value_as_written_stands_where_the_canonical_form_overflows() {
    let f64_eval =
        |expr: &str, at: &str| common::chainrule(&["eval", expr, "--at", at, "--float", "f64"]);
    let (code, out, err) = f64_eval("(1+1e-30)*(x/y)", "x=1,y=1e-300");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("= 9.999999999999999e299 (IEEE double)"),
        "{out}"
    );
    let (code, _, err) = f64_eval("(1+1e-30)*(x/y) + log(x)", "x=-1,y=1e-300");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("log of a non-positive number"), "{err}");
    let (code, _, err) = f64_eval("(1+1e-30)*(x/y)*1e10", "x=1,y=1e-300");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("overflow"), "{err}");
}
