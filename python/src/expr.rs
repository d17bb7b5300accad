//! `chainrule.Expr`: an expression, its derivatives, values, text and LaTeX.

use crate::errors::{run, usage};
use crate::values;
use chainrule::Error;
use chainrule::error::SourceError;
use chainrule::eval::{self, Mode, Point, Value};
use chainrule::expr::{Condition, Id, Store};
use chainrule::span::Span;
use chainrule::{print, syntax};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::{Arc, Mutex};

/// The source an expression was read from, and the store its nodes (and those of its
/// derivatives) live in.
pub struct Shared {
    pub store: Mutex<Store>,
    pub src: String,
    pub src_name: String,
}

impl Shared {
    pub fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        // A panic on the worker thread is reported as InternalError; the store it left is
        // still a valid store (nodes are only ever added).
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A symbolic expression: `Expr("(y - w*x)^2")`, or with vectors and matrices
/// (`Expr("x'*A*x", shapes={"x": 3, "A": (3, 3)})`).
#[pyclass(module = "chainrule._native", frozen)]
pub struct Expr {
    pub kind: Kind,
}

/// A scalar expression, or one with vectors and matrices.
pub enum Kind {
    Scalar(Scalar),
    Shaped(crate::matexpr::Shaped),
}

/// A scalar expression in its store.
pub struct Scalar {
    pub shared: Arc<Shared>,
    pub id: Id,
    /// Where the expression as written is defined beyond what `id` shows (and, for a
    /// derivative, the function it is the derivative of).
    pub conditions: Vec<Condition>,
    /// Whether this is the text as read (not a derivative): f64 values are then computed
    /// as written, as NumPy would.
    pub as_read: bool,
}

/// Warnings from the library, as Python `UserWarning`s.
pub fn warn(py: Python<'_>, warnings: &[String]) -> PyResult<()> {
    if warnings.is_empty() {
        return Ok(());
    }
    let warn = py.import("warnings")?.getattr("warn")?;
    for w in warnings {
        let w = w.trim_start_matches("warning: ");
        warn.call1((w, py.get_type::<pyo3::exceptions::PyUserWarning>(), 2))?;
    }
    Ok(())
}

#[pymethods]
impl Expr {
    /// Reads `text` (chainrule's syntax or LaTeX). With vectors and matrices, `shapes`
    /// gives each one's shape: a length for a vector (`"x": 3`), `(rows, cols)` for a matrix.
    #[new]
    #[pyo3(signature = (text, shapes = None))]
    fn new(py: Python<'_>, text: String, shapes: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let shapes = crate::matexpr::shapes(shapes)?;
        let src_name = "<expression>".to_string();
        let probe = text.clone();
        let matrix = run(py, move || {
            Ok(syntax::uses_matrix_syntax(&syntax::parse_expr(
                &probe,
                "<expression>",
            )?))
        })?;
        if matrix || !shapes.is_empty() {
            let shaped = crate::matexpr::Shaped::read(py, text, shapes)?;
            return Ok(Expr {
                kind: Kind::Shaped(shaped),
            });
        }
        let (store, read, text) = run(py, move || {
            let mut store = Store::new();
            let read = syntax::read_expr_conditions(&mut store, &text, "<expression>")?;
            Ok((store, read, text))
        })?;
        warn(py, &read.warnings)?;
        Ok(Expr {
            kind: Kind::Scalar(Scalar {
                shared: Arc::new(Shared {
                    store: Mutex::new(store),
                    src: text,
                    src_name,
                }),
                id: read.id,
                conditions: read.conditions,
                as_read: true,
            }),
        })
    }

    /// The derivative by the variable `name` (`order` times).
    #[pyo3(signature = (name, order = 1))]
    fn diff(&self, py: Python<'_>, name: &str, order: u32) -> PyResult<Expr> {
        let name = values::name(name)?;
        if syntax::is_function_name(&name) {
            return Err(usage(format!(
                "`{name}` is a function, not a variable; differentiate by a variable of the expression"
            )));
        }
        if order == 0 {
            return Err(usage("order=0: the order of a derivative is 1 or more"));
        }
        let this = match &self.kind {
            Kind::Scalar(s) => s,
            Kind::Shaped(m) => {
                return Ok(Expr {
                    kind: Kind::Shaped(m.diff(py, &name, order)?),
                });
            }
        };
        let shared = this.shared.clone();
        let (id, root) = (this.id, this.id);
        let d = run(py, move || {
            let mut store = shared.store();
            let var = store.intern(&name);
            chainrule::diff::diff_n(&mut store, id, var, order)
        })?;
        // A derivative is defined where its function is: the function's conditions, and the
        // function itself.
        let mut conditions = this.conditions.clone();
        if this.as_read {
            conditions.push(Condition::function(
                root,
                Span::new(0, this.shared.src.len()),
            ));
        }
        Ok(Expr {
            kind: Kind::Scalar(Scalar {
                shared: this.shared.clone(),
                id: d,
                conditions,
                as_read: false,
            }),
        })
    }

    /// The value at the point given by keywords (`e.eval(w=2, x=1)`): a `Fraction` when
    /// exact, a `Decimal` in MPFR, a `float` in f64.
    #[pyo3(signature = (arith = "auto", precision = values::DEFAULT_PRECISION, **point))]
    fn eval<'py>(
        &self,
        py: Python<'py>,
        arith: &str,
        precision: u32,
        point: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mode = values::mode(arith, precision)?;
        let this = match &self.kind {
            Kind::Scalar(s) => s,
            Kind::Shaped(m) => return m.eval(py, arith, mode, point),
        };
        let mut given: Vec<(String, rug::Rational)> = Vec::new();
        if let Some(p) = point {
            for (k, v) in p.iter() {
                let raw: String = k.extract()?;
                let name = values::name(&raw)?;
                given.push((name.clone(), values::exact(&name, &v)?));
            }
        }
        let (shared, id, conditions, as_read) = (
            this.shared.clone(),
            this.id,
            this.conditions.clone(),
            this.as_read,
        );
        let (value, note) = run(py, move || {
            let mut store = shared.store();
            let mut at = Point::new();
            for (name, v) in given {
                let s = store.intern(&name);
                at.insert(s, v);
            }
            let (src, src_name) = (shared.src.as_str(), shared.src_name.as_str());
            check_values(&store, id, &at, src, src_name)?;
            let (vals, note) = eval::evaluate_guarded(&store, &[id], &conditions, &at, mode)
                .map_err(|e| {
                    eval::describe_error_in(&store, e, src_name, src).located(src_name, src)
                })?;
            let v = vals.into_iter().next().expect("one root, one value");
            // In f64 the input as read is computed as written, as NumPy would (`0.1 + 0.2`);
            // the evaluation above checked its domain and placed its errors.
            let v = match v {
                Value::F64(_) if as_read && mode == Mode::F64 => Value::F64(
                    eval::written::eval_expr_f64(&store, src, id, &at)
                        .map_err(|e| e.located(src_name, src))?,
                ),
                v => v,
            };
            Ok((v, note))
        })?;
        if let Some(n) = note {
            warn(py, &[n])?;
        }
        values::require_exact(arith, &value)?;
        values::to_py(py, &value)
    }

    /// The variables of the expression, in natural order (`w2` before `w10`).
    #[getter]
    fn variables(&self) -> Vec<String> {
        match &self.kind {
            Kind::Scalar(s) => {
                let store = s.shared.store();
                store
                    .free_symbols(s.id)
                    .into_iter()
                    .map(|v| store.name(v).to_string())
                    .collect()
            }
            Kind::Shaped(m) => m.variables(),
        }
    }

    /// The expression in LaTeX (`\frac{1}{2} x^{2}`).
    fn latex(&self, py: Python<'_>) -> PyResult<String> {
        // On the worker, as every printing: its large stack is there for deep input.
        match &self.kind {
            Kind::Scalar(s) => {
                let (shared, id) = (s.shared.clone(), s.id);
                run(py, move || Ok(print::latex(&shared.store(), id)))
            }
            Kind::Shaped(m) => m.print(py, true),
        }
    }

    /// For Jupyter: the formula, displayed.
    fn _repr_latex_(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("$\\displaystyle {}$", self.latex(py)?))
    }

    /// The expression in chainrule's syntax; `Expr(str(e))` reads back the same expression.
    fn __str__(&self, py: Python<'_>) -> PyResult<String> {
        match &self.kind {
            Kind::Scalar(s) => {
                let (shared, id) = (s.shared.clone(), s.id);
                run(py, move || Ok(print::text(&shared.store(), id)))
            }
            Kind::Shaped(m) => m.print(py, false),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Expr({:?})", self.__str__(py)?))
    }
}

/// Every variable `id` needs has a value, or an error pointing at the first one without a
/// value in the source.
fn check_values(
    store: &Store,
    id: Id,
    point: &Point,
    src: &str,
    src_name: &str,
) -> chainrule::Result<()> {
    let missing: Vec<&str> = store
        .free_symbols(id)
        .into_iter()
        .filter(|s| !point.contains_key(s))
        .map(|s| store.name(s))
        .collect();
    let Some(first) = missing.first() else {
        return Ok(());
    };
    let found = syntax::name_spans(src)
        .into_iter()
        .find(|(n, _, _)| missing.contains(&n.as_str()));
    let name = found.as_ref().map_or(*first, |(n, _, _)| n.as_str());
    let message = if name == "e" {
        "no value for `e`: here `e` is a name, not Euler's number; write e^x as exp(x), or give e a value".to_string()
    } else {
        format!("no value for `{name}`: give one, e.g. .eval({name}=1)")
    };
    match found {
        Some((_, start, end)) => Err(Error::Usage(crate::errors::render(
            SourceError::new(src_name, src, start, end, message, "this has no value").into(),
        ))),
        None => Err(Error::Usage(message)),
    }
}
