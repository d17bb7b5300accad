//! Numbers and names between Python and the library: exact inputs from `int`, `Fraction`,
//! `float`, `Decimal` and strings; results as `Fraction` (exact), `Decimal` (MPFR, the
//! shortest decimal that reads back as the binary value, as the reports' JSON) or `float`
//! (IEEE double).

use crate::errors::usage;
use chainrule::eval::{Mode, Value, format};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString};
use rug::{Integer, Rational};

/// The default MPFR precision in bits (the command line's `--precision`).
pub const DEFAULT_PRECISION: u32 = 128;

/// An exact value for `name` from a Python number: `int`, `Fraction`, `Decimal` and `float`
/// exactly as they are (a float is the binary fraction it holds: `0.1` is
/// 3602879701896397/36028797018963968), a string as chainrule reads numbers (`"0.1"` is
/// 1/10, `"3/4"`, `"1e-4"`).
pub fn exact(name: &str, v: &Bound<'_, PyAny>) -> PyResult<Rational> {
    if v.is_instance_of::<PyBool>() {
        return Err(usage(format!(
            "{name}: a bool is not a number; give 0 or 1 if that is meant"
        )));
    }
    if let Ok(s) = v.cast::<PyString>() {
        let text = s.to_str()?;
        return chainrule::syntax::parse_exact(text.trim())
            .map_err(|e| usage(format!("{name}={text:?}: {}", e.message(text.trim()))));
    }
    // int, Fraction, Decimal, float and NumPy's floats say what they are exactly; NumPy's
    // integers are integers (`__index__`).
    let ratio = if v.hasattr("as_integer_ratio")? {
        v.call_method0("as_integer_ratio")
            // inf and NaN: `cannot convert Infinity to integer ratio`.
            .map_err(|e| usage(format!("{name}: {e}")))?
    } else if v.hasattr("__index__")? {
        let i = v.py().import("operator")?.call_method1("index", (v,))?;
        (i, 1).into_pyobject(v.py())?.into_any()
    } else {
        return Err(usage(format!(
            "{name}: expected a number (int, Fraction, float, Decimal or a string like \"3/4\"), got {}",
            v.get_type()
                .name()
                .map_or_else(|_| "?".to_string(), |n| n.to_string())
        )));
    };
    let (p, q): (Bound<'_, PyAny>, Bound<'_, PyAny>) = ratio.extract()?;
    let int = |x: Bound<'_, PyAny>| -> PyResult<Integer> {
        let text = x.str()?.to_string();
        text.parse::<Integer>()
            .map_err(|_| usage(format!("{name}: `{text}` is not an integer")))
    };
    Ok(Rational::from((int(p)?, int(q)?)))
}

/// A variable name as the parser normalizes it, when it is one.
pub fn name(raw: &str) -> PyResult<String> {
    let name = chainrule::syntax::normalize_name(raw.trim());
    if chainrule::syntax::is_name(&name) {
        Ok(name)
    } else {
        Err(usage(format!(
            "`{name}` is not a variable name (a name is a letter, then letters, digits and `_`: x, w1, y_hat, ŷ)"
        )))
    }
}

/// The evaluation mode for `arith` ("auto", "exact", "mpfr" or "f64") at `precision` bits.
pub fn mode(arith: &str, precision: u32) -> PyResult<Mode> {
    if !(2..=1 << 24).contains(&precision) {
        return Err(usage(format!(
            "precision={precision}: give between 2 and 16777216 bits"
        )));
    }
    match arith {
        "auto" | "exact" => Ok(Mode::Auto(precision)),
        "mpfr" => Ok(Mode::Mpfr(precision)),
        "f64" => Ok(Mode::F64),
        other => Err(usage(format!(
            "arith={other:?}: expected \"auto\" (exact when rational, else MPFR), \"exact\", \"mpfr\" or \"f64\""
        ))),
    }
}

/// A value as Python: `Fraction`, `Decimal` or `float`.
pub fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    match v {
        Value::Exact(r) => py
            .import("fractions")?
            .getattr("Fraction")?
            .call1((r.to_string(),)),
        Value::Mpfr(f) => {
            let digits = format::digits_for_bits(f.prec());
            let text = if f.is_nan() {
                "NaN".to_string()
            } else if f.is_infinite() {
                if f.is_sign_negative() {
                    "-Infinity"
                } else {
                    "Infinity"
                }
                .to_string()
            } else {
                // The shortest decimal that reads back as the binary value, as the JSON of
                // the reports has it (`.data`): 0.6, not the binary value's own expansion
                // 0.6000…0012.
                format::shortest_float_decimal(f, digits)
            };
            py.import("decimal")?.getattr("Decimal")?.call1((text,))
        }
        Value::F64(x) => Ok(pyo3::types::PyFloat::new(py, *x).into_any()),
    }
}

/// What `arith="exact"` says when a value is not rational.
pub const NOT_EXACT: &str = "arith=\"exact\": this value is not rational (an irrational function, or exact numbers grown past the size limit); use arith=\"auto\", \"mpfr\" or \"f64\"";

/// For `arith="exact"`: the value, or the error saying exact arithmetic cannot give it.
pub fn require_exact(arith: &str, v: &Value) -> PyResult<()> {
    if arith == "exact" && v.as_exact().is_none() {
        return Err(usage(NOT_EXACT));
    }
    Ok(())
}
