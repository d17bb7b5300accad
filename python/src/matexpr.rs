//! Expressions with vectors and matrices (`Expr("x'*A*x", shapes={"x": 3, "A": (3, 3)})`):
//! the shapes given up front, as the command line takes them from `--at`; derivatives are
//! gradients (shaped like the variable) or Jacobians (outputs × inputs); values in and out
//! are NumPy arrays.

use crate::errors::{run, usage};
use crate::values;
use chainrule::Error;
use chainrule::eval::Mode;
use chainrule::eval::dense::Dense;
use chainrule::eval::matrix::{self as meval, MatPoint};
use chainrule::matrix::{self, MId, MatStore, Shape};
use chainrule::syntax::{self, ast::Span};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use rug::Rational;
use std::sync::{Arc, Mutex};

/// The text read, the store of its nodes and its derivatives', and the parts as written.
pub struct MatShared {
    store: Mutex<MatStore>,
    src: String,
    /// The subexpressions as written, simplified, with their places: each must be defined
    /// at a point (simplifying may have cancelled one that is not).
    parts: Vec<(MId, Span)>,
}

impl MatShared {
    fn store(&self) -> std::sync::MutexGuard<'_, MatStore> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An expression with vectors and matrices.
pub struct Shaped {
    shared: Arc<MatShared>,
    id: MId,
    /// The expression as read, which a derivative's point must also be in the domain of.
    root: MId,
}

const SRC_NAME: &str = "<expression>";

/// The shapes given: a length for a vector, `(rows, cols)` for a matrix.
pub fn shapes(given: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<(String, Shape)>> {
    let mut out = Vec::new();
    let Some(given) = given else {
        return Ok(out);
    };
    for (k, v) in given.iter() {
        let raw: String = k.extract()?;
        let name = values::name(&raw)?;
        let bad = || {
            usage(format!(
                "shapes: `{name}` is given {v}; give a length for a vector (3) or (rows, cols) for a matrix ((3, 2))"
            ))
        };
        let shape = if let Ok(t) = v.cast::<PyTuple>() {
            let (r, c): (usize, usize) = t.extract().map_err(|_| bad())?;
            if r == 0 || c == 0 {
                return Err(bad());
            }
            syntax::literal_shape(r, Some(c))
        } else {
            let n: usize = v.extract().map_err(|_| bad())?;
            if n == 0 {
                return Err(bad());
            }
            syntax::literal_shape(n, None)
        };
        out.push((name, shape));
    }
    Ok(out)
}

/// An exact vector or matrix from nested Python lists (or a NumPy array's `tolist()`), or a
/// number.
fn dense(name: &str, v: &Bound<'_, PyAny>) -> PyResult<Dense<Rational>> {
    let v = if v.hasattr("tolist")? && !v.hasattr("as_integer_ratio")? {
        v.call_method0("tolist")?
    } else {
        v.clone()
    };
    let Ok(rows) = v.cast::<PyList>() else {
        return Ok(Dense::scalar(values::exact(name, &v)?));
    };
    let mut matrix: Vec<Vec<Rational>> = Vec::new();
    let mut vector: Vec<Rational> = Vec::new();
    for item in rows.iter() {
        match item.cast::<PyList>() {
            Ok(row) => matrix.push(
                row.iter()
                    .map(|x| values::exact(name, &x))
                    .collect::<PyResult<_>>()?,
            ),
            Err(_) => vector.push(values::exact(name, &item)?),
        }
    }
    match (matrix.is_empty(), vector.is_empty()) {
        (true, false) => Ok(Dense::column(vector)),
        (false, true) => Dense::from_rows(matrix)
            .ok_or_else(|| usage(format!("{name}: the rows of the matrix differ in length"))),
        _ => Err(usage(format!(
            "{name}: give a number, a vector (a list) or a matrix (a list of rows)"
        ))),
    }
}

impl Shaped {
    /// Reads `text` with the vectors and matrices of `shapes` declared.
    pub fn read(py: Python<'_>, text: String, shapes: Vec<(String, Shape)>) -> PyResult<Shaped> {
        let (store, id, parts, text) = run(py, move || {
            let ast = syntax::parse_expr(&text, SRC_NAME)?;
            let mut store = MatStore::new();
            for (name, shape) in shapes {
                store.declare(&name, shape);
            }
            let mut low = syntax::MatrixLowerer::new(&mut store, &text, SRC_NAME);
            let id = low.expr(&ast)?;
            let parts = low.take_parts();
            Ok((store, id, parts, text))
        })?;
        Ok(Shaped {
            shared: Arc::new(MatShared {
                store: Mutex::new(store),
                src: text,
                parts,
            }),
            id,
            root: id,
        })
    }

    /// The gradient by `name` (of a scalar), or the Jacobian (of a vector).
    pub fn diff(&self, py: Python<'_>, name: &str, order: u32) -> PyResult<Shaped> {
        if order != 1 {
            return Err(usage(format!(
                "order={order}: derivatives of order 2 and more of vector and matrix expressions (Hessians) are not supported; differentiate once"
            )));
        }
        let (shared, id, name) = (self.shared.clone(), self.id, name.to_string());
        let d = run(py, move || {
            let mut store = shared.store();
            let r = if store.is_scalar(id) {
                matrix::gradient(&mut store, id, &name)
            } else {
                matrix::jacobian(&mut store, id, &name)
            };
            r.map_err(|err| Error::Usage(format!("∂/∂{name}: {err}")))
        })?;
        Ok(Shaped {
            shared: self.shared.clone(),
            id: d,
            root: self.root,
        })
    }

    /// The value at the point: a number, or a NumPy array (a vector 1-D, a matrix 2-D).
    pub fn eval<'py>(
        &self,
        py: Python<'py>,
        arith: &str,
        mode: Mode,
        point: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut at = MatPoint::new();
        if let Some(p) = point {
            for (k, v) in p.iter() {
                let raw: String = k.extract()?;
                let name = values::name(&raw)?;
                let d = dense(&name, &v)?;
                at.insert(name, d);
            }
        }
        let (shared, id, root) = (self.shared.clone(), self.id, self.root);
        let (value, note, vector) = run(py, move || {
            let store = shared.store();
            for (name, d) in &at {
                if let Some((msg, help)) = chainrule::network::misfit(&store, name, d) {
                    let help = help.map(|h| format!("; {h}")).unwrap_or_default();
                    return Err(Error::Usage(format!("{name}: {msg}{help}")));
                }
            }
            for v in store.variables(id).into_iter().chain(store.variables(root)) {
                if !at.contains_key(&v) {
                    return Err(Error::Usage(format!(
                        "no value for `{v}`: give one, e.g. .eval({v}=[1, 2]) for a vector"
                    )));
                }
            }
            // The expression as read is evaluated first: a derivative is defined only where
            // its function is, and every part as written must be.
            meval::evaluate(&store, &[root], &at, mode).map_err(|e| e.describe(&store))?;
            meval::check_written(&store, &shared.parts, &at, mode, (&shared.src, SRC_NAME))?;
            let (mut vals, note) =
                meval::evaluate(&store, &[id], &at, mode).map_err(|e| e.describe(&store))?;
            let vector = store.shape(id).is_vector();
            Ok((vals.remove(0), note, vector))
        })?;
        if let Some(n) = note {
            crate::expr::warn(py, &[n])?;
        }
        let entries = &value.entries;
        for v in entries.data() {
            values::require_exact(arith, v)?;
        }
        if entries.rows() == 1 && entries.cols() == 1 {
            return values::to_py(py, entries.get(0, 0));
        }
        let float = entries
            .data()
            .iter()
            .all(|v| matches!(v, chainrule::Value::F64(_)));
        let cell = |v| values::to_py(py, v);
        let nested = if vector {
            PyList::new(
                py,
                entries
                    .data()
                    .iter()
                    .map(cell)
                    .collect::<PyResult<Vec<_>>>()?,
            )?
        } else {
            let rows = (0..entries.rows())
                .map(|i| {
                    let row = (0..entries.cols())
                        .map(|j| cell(entries.get(i, j)))
                        .collect::<PyResult<Vec<_>>>()?;
                    PyList::new(py, row)
                })
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, rows)?
        };
        let np = py.import("numpy")?;
        let dtype = if float {
            np.getattr("float64")?
        } else {
            py.import("builtins")?.getattr("object")?
        };
        let kwargs = PyDict::new(py);
        kwargs.set_item("dtype", dtype)?;
        np.call_method("array", (nested,), Some(&kwargs))
    }

    /// The variables, in order.
    pub fn variables(&self) -> Vec<String> {
        self.shared.store().variables(self.id)
    }

    /// The expression as text (ᵀ, ⊙) or LaTeX.
    pub fn print(&self, py: Python<'_>, latex: bool) -> PyResult<String> {
        let (shared, id) = (self.shared.clone(), self.id);
        run(py, move || {
            let store = shared.store();
            Ok(if latex {
                matrix::latex(&store, id)
            } else {
                matrix::text(&store, id)
            })
        })
    }
}
