//! `chainrule._native.Tape`: an expression (and, if asked, its gradient) compiled to the
//! library's tape, run over NumPy columns in place: `chainrule.lambdify` broadcasts its
//! arguments and calls [`Tape::eval_columns`].

use crate::errors::{run, usage};
use crate::expr::Expr;
use crate::program::Program;
use chainrule::Error;
use chainrule::eval::tape;
use chainrule::expr::{Id, Store};
use numpy::{PyArray2, PyArrayMethods, PyReadonlyArray1, PyUntypedArrayMethods};
use pyo3::prelude::*;

/// A compiled expression: outputs are its value, then (with `gradient`) its partial
/// derivatives by each of `names`, in that order.
#[pyclass(module = "chainrule._native", frozen)]
pub struct Tape {
    tape: tape::Tape,
    names: Vec<String>,
}

#[pymethods]
impl Tape {
    /// Compiles `expr` as a function of `names` (in that order), with its gradient by them
    /// when `gradient` is true.
    #[new]
    #[pyo3(signature = (expr, names, gradient = false))]
    fn new(py: Python<'_>, expr: &Expr, names: Vec<String>, gradient: bool) -> PyResult<Self> {
        let names = checked(names)?;
        let crate::expr::Kind::Scalar(expr) = &expr.kind else {
            return Err(usage(
                "lambdify: the expression has vectors or matrices; lambdify takes scalar expressions",
            ));
        };
        let (shared, root) = (expr.shared.clone(), expr.id);
        let given = names.clone();
        let tape = run(py, move || {
            let mut store = shared.store();
            compile(&mut store, root, &given, gradient)
        })?;
        Ok(Tape { tape, names })
    }

    /// Compiles a program's output, as a function of `names` (default: its inputs), with
    /// its gradient by them when `gradient` is true.
    #[staticmethod]
    #[pyo3(signature = (program, names = None, gradient = false))]
    fn of_program(
        py: Python<'_>,
        program: &Program,
        names: Option<Vec<String>>,
        gradient: bool,
    ) -> PyResult<Self> {
        let names = match names {
            Some(n) => checked(n)?,
            None => program.inputs(),
        };
        let given = names.clone();
        let tape = program.scalar(py, "lambdify", move |net| {
            let root = net.output_def().expanded;
            compile(&mut net.store, root, &given, gradient)
        })?;
        Ok(Tape { tape, names })
    }

    /// The input names, in order.
    #[getter]
    fn names(&self) -> Vec<String> {
        self.names.clone()
    }

    /// How many outputs: 1, or 1 + the number of names with the gradient.
    #[getter]
    fn outputs(&self) -> usize {
        self.tape.outputs()
    }

    /// Instructions in the tape.
    fn __len__(&self) -> usize {
        self.tape.len()
    }

    /// Runs the tape over one contiguous float64 column per name (all of one length);
    /// returns one new array of shape (outputs, points), a row per output, so that the
    /// value and the gradient are views of it, not copies. NaN where a point is outside the
    /// domain, as NumPy.
    fn eval_columns<'py>(
        &self,
        py: Python<'py>,
        columns: Vec<PyReadonlyArray1<'py, f64>>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        if columns.len() != self.names.len() {
            return Err(usage(format!(
                "expected {} arrays (for {:?}), got {}",
                self.names.len(),
                self.names,
                columns.len()
            )));
        }
        let n = columns.first().map_or(1, |c| c.len());
        if columns.iter().any(|c| c.len() != n) {
            return Err(usage("the arrays differ in length"));
        }
        let slices = columns
            .iter()
            .map(|c| c.as_slice())
            .collect::<Result<Vec<&[f64]>, _>>()
            .map_err(|_| usage("the arrays must be contiguous"))?;
        let out = PyArray2::<f64>::zeros(py, [self.tape.outputs(), n], false);
        if n > 0 {
            let mut writer = out.readwrite();
            let all = writer
                .as_slice_mut()
                .map_err(|_| usage("the output array is not contiguous"))?;
            let mut rows: Vec<&mut [f64]> = all.chunks_mut(n).collect();
            let tape = &self.tape;
            py.detach(|| tape.eval_batch_into(&slices, &mut rows));
        }
        Ok(out)
    }

    /// Runs the tape at one point (one value per name), one point at a time: the reference
    /// for the batch.
    fn eval_point(&self, point: Vec<f64>) -> PyResult<Vec<f64>> {
        if point.len() != self.names.len() {
            return Err(usage(format!(
                "expected {} values (for {:?}), got {}",
                self.names.len(),
                self.names,
                point.len()
            )));
        }
        Ok(self.tape.eval_f64(&point))
    }
}

/// Names as the parser normalizes them, each once.
fn checked(names: Vec<String>) -> PyResult<Vec<String>> {
    let names = names
        .iter()
        .map(|n| crate::values::name(n))
        .collect::<PyResult<Vec<String>>>()?;
    if let Some(n) = names
        .iter()
        .enumerate()
        .find_map(|(i, n)| names[..i].contains(n).then_some(n))
    {
        return Err(usage(format!("lambdify: `{n}` is named twice")));
    }
    Ok(names)
}

/// `root` (and its gradient by `names`) compiled as a function of `names`, every variable of
/// `root` among them.
fn compile(
    store: &mut Store,
    root: Id,
    names: &[String],
    gradient: bool,
) -> chainrule::Result<tape::Tape> {
    let inputs: Vec<_> = names.iter().map(|n| store.intern(n)).collect();
    if let Some(s) = store
        .free_symbols(root)
        .into_iter()
        .find(|s| !inputs.contains(s))
    {
        return Err(Error::Usage(format!(
            "lambdify: `{}` is a variable of the expression but not among the names {:?}",
            store.name(s),
            names
        )));
    }
    let mut roots = vec![root];
    if gradient {
        roots.extend(chainrule::diff::gradient(store, root, &inputs));
    }
    tape::Tape::compile(store, &roots, &inputs)
}
