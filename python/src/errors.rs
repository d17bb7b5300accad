//! Library errors as Python exceptions, each message the diagnostic the command line prints
//! (with the caret under the place), without colour.

use chainrule::Error;
use chainrule::error::Request;
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

create_exception!(
    chainrule,
    ChainruleError,
    PyValueError,
    "An error in what chainrule was asked to do; the message is the diagnostic."
);
create_exception!(
    chainrule,
    ParseError,
    ChainruleError,
    "Text that does not read: a syntax error, an unknown name, a cycle in a program."
);
create_exception!(
    chainrule,
    DomainError,
    ChainruleError,
    "A mathematical error at the point: log of a non-positive number, division by zero."
);
create_exception!(
    chainrule,
    UsageError,
    ChainruleError,
    "A request that cannot be served as made: a missing value, an unknown name or option."
);
create_exception!(
    chainrule,
    LimitError,
    ChainruleError,
    "A documented limit was reached (a report too large to write out, too much work)."
);
create_exception!(
    chainrule,
    InternalError,
    PyRuntimeError,
    "A bug in chainrule (the computation panicked), never an answer about the input."
);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ChainruleError", py.get_type::<ChainruleError>())?;
    m.add("ParseError", py.get_type::<ParseError>())?;
    m.add("DomainError", py.get_type::<DomainError>())?;
    m.add("UsageError", py.get_type::<UsageError>())?;
    m.add("LimitError", py.get_type::<LimitError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    Ok(())
}

/// The diagnostic as the command line renders it (miette, no colour, 100 columns).
pub fn render(e: Error) -> String {
    let e = e.for_display();
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(100);
    let mut s = String::new();
    match handler.render_report(&mut s, &e) {
        Ok(()) => s.trim_end().to_string(),
        Err(_) => e.to_string(),
    }
}

/// A library error as the Python exception of its kind, its message the diagnostic: with
/// the source and caret when it points into text, else its sentence (and hint). Requests are
/// worded for Python (the command line words them with its flags).
pub fn to_py(e: Error) -> PyErr {
    let e = match e {
        Error::Request(Request::NotRational) => Error::Usage(format!(
            "{} (use arith=\"f64\" or arith=\"mpfr\")",
            Request::NotRational
        )),
        e => e,
    };
    let diagnostic = matches!(
        e,
        Error::Source(_) | Error::DomainAt(_) | Error::Domain { help: Some(_), .. }
    );
    let message = |e: Error| {
        if diagnostic {
            render(e)
        } else {
            e.for_display().to_string()
        }
    };
    match e {
        Error::Source(_) => ParseError::new_err(message(e)),
        Error::Domain { .. } | Error::DomainAt(_) => DomainError::new_err(message(e)),
        Error::Usage(_) | Error::Request(_) => UsageError::new_err(message(e)),
        Error::Limit(_) | Error::TooLarge(_) => LimitError::new_err(message(e)),
        Error::Internal(_) => InternalError::new_err(message(e)),
    }
}

/// A usage error in Python's words.
pub fn usage(message: impl Into<String>) -> PyErr {
    UsageError::new_err(message.into())
}

/// `?` for library results in the bindings.
pub trait OrPy<T> {
    /// The result, its error as a Python exception.
    fn or_py(self) -> PyResult<T>;
}

impl<T> OrPy<T> for chainrule::Result<T> {
    fn or_py(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

/// Runs `work` on the library's worker thread (a large stack for deep input, a panic as
/// [`InternalError`]) with the GIL released, so other Python threads run meanwhile.
pub fn run<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> chainrule::Result<T> + Send + 'static,
{
    py.detach(|| chainrule::worker::run(work)).or_py()
}
