//! `chainrule._native`: the compiled part of the `chainrule` Python package.
//!
//! A thin skin over the library (DESIGN.md, STYLE.md 19): each class and function reads its
//! Python arguments, calls the library on a worker thread (a large stack, a panic turned into
//! `chainrule.InternalError`, the GIL released meanwhile), and hands back Python values. The
//! pure-Python layer (`python/chainrule/`) adds result objects for notebooks and NumPy
//! broadcasting; no arithmetic lives in either.

mod errors;
mod expr;
mod matexpr;
mod program;
mod tape;
mod values;

use pyo3::prelude::*;

/// The compiled module, `chainrule._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<expr::Expr>()?;
    m.add_class::<program::Program>()?;
    m.add_class::<tape::Tape>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // The Python layer's words for arith="exact" on vectors and matrices, the same.
    m.add("_NOT_EXACT", values::NOT_EXACT)?;
    Ok(())
}
