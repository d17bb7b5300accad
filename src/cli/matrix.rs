//! `diff` and `eval` of expressions with vectors and matrices: shapes come from the `--at`
//! values (a matrix as a list of rows, a vector as a flat list, always a column), the
//! expression is lowered into the shaped DAG with every shape checked, and derivatives are
//! gradients (shaped like the variable) or Jacobians (outputs × inputs).

use super::{DiffArgs, EvalArgs, Output, cli_name, mode, note_digits, style};
use crate::error::{Error, Result};
use crate::eval::matrix::{self as meval, MatPoint};
use crate::matrix::{self, MId, MatStore};
use crate::report;
use crate::syntax::{self, Literal, ast::Expr};

/// Whether an expression goes to the matrix engine: it uses vector or matrix syntax, or a
/// value given for it is a vector or matrix.
pub(super) fn is_matrix_input(ast: &Expr, literals: &[(String, Literal)]) -> bool {
    syntax::uses_matrix_syntax(ast)
        || literals
            .iter()
            .any(|(_, l)| !matches!(l, Literal::Scalar(..)))
}

/// The values as exact matrices, with their shapes declared in `store`, and the point as
/// written for reports.
fn declare_point(
    store: &mut MatStore,
    literals: &[(String, Literal)],
) -> (MatPoint, Vec<(String, String)>) {
    let mut point = MatPoint::new();
    let mut written = Vec::new();
    for (name, lit) in literals {
        let (dense, shape, text) = crate::network::given_value(lit);
        store.declare(name, shape);
        point.insert(name.clone(), dense);
        written.push((name.clone(), text));
    }
    (point, written)
}

struct MatInput {
    store: MatStore,
    expr: MId,
    /// The subexpressions as written, simplified, with their places.
    parts: Vec<(MId, crate::syntax::ast::Span)>,
    point: MatPoint,
    written: Vec<(String, String)>,
}

fn read(src: &str, src_name: &str, ast: &Expr, literals: &[(String, Literal)]) -> Result<MatInput> {
    let mut store = MatStore::new();
    let (point, written) = declare_point(&mut store, literals);
    let mut low = syntax::MatrixLowerer::new(&mut store, src, src_name);
    let expr = low.expr(ast)?;
    let parts = low.take_parts();
    Ok(MatInput {
        store,
        expr,
        parts,
        point,
        written,
    })
}

/// Evaluates the input: its value, after checking that every part of it as written is
/// defined at the point (simplifying may have cancelled a part that is not).
fn evaluate_input(
    input: &MatInput,
    src: &str,
    src_name: &str,
    mode: crate::eval::Mode,
) -> Result<(Vec<meval::MatValue>, Option<String>)> {
    let value = meval::evaluate(&input.store, &[input.expr], &input.point, mode)
        .map_err(|err| err.describe(&input.store))?;
    meval::check_written(
        &input.store,
        &input.parts,
        &input.point,
        mode,
        (src, src_name),
    )?;
    Ok(value)
}

/// Every variable of `roots` has a value, or an error naming the first without one.
fn check_values(store: &MatStore, root: MId, point: &MatPoint) -> Result<()> {
    for v in store.variables(root) {
        if !point.contains_key(&v) {
            return Err(Error::Usage(format!(
                "no value for `{v}`: --at must give every input of the expression a value (a vector as [1, 2], a matrix as [[1, 2], [3, 4]])"
            )));
        }
    }
    Ok(())
}

pub(super) fn run_matrix_diff(
    a: &DiffArgs,
    src: &str,
    src_name: &str,
    ast: &Expr,
    literals: &[(String, Literal)],
) -> Result<Output> {
    let mut out = Output::default();
    if a.order != 1 {
        return Err(Error::Usage(format!(
            "--order {}: derivatives of order 2 and more of vector and matrix expressions (Hessians) are not supported; differentiate once",
            a.order
        )));
    }
    let mut input = read(src, src_name, ast, literals)?;
    let e = input.expr;
    let evaluate = !a.eval.at.is_empty();
    note_digits(&a.eval, &mut out);
    let mut ids = Vec::new();
    let mut kinds = Vec::new();
    let mut names = Vec::new();
    for name in &a.wrt {
        let name = cli_name("--wrt", name)?;
        if !input.store.variables(e).contains(&name) {
            out.warnings.push(format!(
                "warning: `{name}` does not occur in the expression, so its derivative is 0"
            ));
        }
        let scalar_out = input.store.is_scalar(e);
        let r = if scalar_out {
            matrix::gradient(&mut input.store, e, &name)
        } else {
            matrix::jacobian(&mut input.store, e, &name)
        };
        let d = r.map_err(|err| Error::Usage(format!("∂/∂{name}: {err}")))?;
        ids.push(d);
        kinds.push(if scalar_out { "gradient" } else { "jacobian" });
        names.push(name);
    }
    let values = if evaluate {
        check_values(&input.store, e, &input.point)?;
        // A derivative is defined only where its function is: the function is evaluated
        // first (on its own, so that an irrational value does not make exact derivatives
        // inexact).
        evaluate_input(&input, src, src_name, mode(&a.eval))?;
        let kinks = meval::kink_arguments(&input.store, &ids);
        let mut roots = ids.clone();
        roots.extend(&kinks);
        let (mut vals, note) = meval::evaluate(&input.store, &roots, &input.point, mode(&a.eval))
            .map_err(|err| err.describe(&input.store))?;
        if let Some(n) = note {
            out.warnings.push(format!("note: {n}"));
        }
        let kink_values = vals.split_off(ids.len());
        out.warnings
            .extend(meval::kinks_met(&input.store, &kinks, &kink_values));
        vals.into_iter().map(Some).collect()
    } else {
        vec![None; ids.len()]
    };
    let derivatives = names
        .into_iter()
        .zip(kinds)
        .zip(ids)
        .zip(values)
        .map(|(((wrt, kind), id), value)| report::MatDerivative {
            wrt,
            kind,
            id,
            value,
        })
        .collect();
    let report = report::MatDiffReport {
        store: &input.store,
        expr: e,
        src,
        derivatives,
        point: input.written.clone(),
        digits: a.eval.digits,
        precision: a.eval.precision,
    };
    out.stdout = report.render(style(a.eval.format));
    Ok(out)
}

pub(super) fn run_matrix_eval(
    a: &EvalArgs,
    src: &str,
    src_name: &str,
    ast: &Expr,
    literals: &[(String, Literal)],
) -> Result<Output> {
    let mut out = Output::default();
    if a.points.is_some() {
        return Err(Error::Usage(
            "--points evaluates scalar expressions only; give vector and matrix values with --at"
                .into(),
        ));
    }
    let input = read(src, src_name, ast, literals)?;
    check_values(&input.store, input.expr, &input.point)?;
    note_digits(&a.eval, &mut out);
    let (mut vals, note) = evaluate_input(&input, src, src_name, mode(&a.eval))?;
    if let Some(n) = note {
        out.warnings.push(format!("note: {n}"));
    }
    let report = report::MatEvalReport {
        store: &input.store,
        expr: input.expr,
        src,
        value: vals.remove(0),
        digits: a.eval.digits,
        precision: a.eval.precision,
    };
    out.stdout = report.render(style(a.eval.format));
    Ok(out)
}
