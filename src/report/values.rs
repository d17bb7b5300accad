//! Values as JSON: every digit a value carries, as a string.

use crate::eval::{Value, format};
use serde_json::Value as Json;

/// All the digits of a value as a decimal: doubles to 17 significant digits (enough to read
/// back), exact values to `digits`, MPFR values as the shortest decimal of at most `digits`
/// (and at most what the precision carries) that reads back as the same binary value: the
/// digits past those would show the rounding to binary, not the value (z = 0.6 computed in
/// MPFR printed as 0.6000000000000000000000000000000000000012).
pub(crate) fn all_digits(v: &Value, digits: usize) -> String {
    match v {
        Value::F64(_) => v.to_decimal(17),
        Value::Mpfr(f) => {
            format::shortest_float_decimal(f, digits.min(format::digits_for_bits(f.prec())))
        }
        Value::Exact(_) => v.to_decimal(digits),
    }
}

/// All digits of a value, for JSON: exact as an integer or `p/q`, floats in full.
pub(crate) fn value_json(v: &Value) -> Json {
    match v {
        Value::Exact(r) => Json::String(r.to_string()),
        Value::Mpfr(f) => Json::String(all_digits(v, format::digits_for_bits(f.prec()))),
        Value::F64(_) => Json::String(all_digits(v, 17)),
    }
}

/// The arithmetic of a list of values, as JSON names it.
pub(super) fn arithmetic(vs: &[Value]) -> &'static str {
    match vs.first() {
        Some(Value::Exact(_)) | None => "exact",
        Some(Value::Mpfr(_)) => "mpfr",
        Some(Value::F64(_)) => "f64",
    }
}
