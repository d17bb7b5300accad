//! The expression commands, `diff` and `eval`: an expression read from the command line,
//! its inputs checked for values, and its domain errors pointed at in its text.

use super::{
    DiffArgs, EvalArgs, EvalOpts, Output, SimplifyArgs, cli_name, matrix, mode, no_value,
    note_digits, parse_point, parse_point_literals, point_lookalikes, read_source, read_text_file,
    style, warn_undefined_rows,
};
use crate::error::{Error, Result};
use crate::eval::{self, Mode, Point, Value};
use crate::expr::{Condition, Id, Store};
use crate::report;
use crate::span::Span;
use crate::syntax;
use crate::syntax::{Literal, ast::Expr};

/// Where an expression came from: its text and the name diagnostics show for it.
#[derive(Clone, Copy)]
struct Source<'a> {
    text: &'a str,
    name: &'a str,
}

impl Source<'_> {
    /// An error pointing at `start..end` of this source, labelled, with an optional help.
    fn error(
        &self,
        start: usize,
        end: usize,
        message: String,
        label: &str,
        help: Option<String>,
    ) -> crate::error::SourceError {
        let e = crate::error::SourceError::new(self.name, self.text, start, end, message, label);
        match help {
            Some(h) => e.with_help(h),
            None => e,
        }
    }
}

/// Evaluates `id` at the input's point, checking the domain conditions of the input as
/// written (`conditions`); errors point into the source where they can. The digit check's
/// note, if any, is returned with the value and given to standard error.
fn evaluate_one(
    input: &ExprInput,
    id: Id,
    conditions: &[Condition],
    opts: &EvalOpts,
    out: &mut Output,
) -> Result<(Value, Option<String>)> {
    let store = &input.store;
    let source = input.source();
    check_values(store, id, &input.point, source)?;
    let (vals, note) = eval::evaluate_guarded(store, &[id], conditions, &input.point, mode(opts))
        .map_err(|e| {
        locate(
            eval::describe_error_in(store, e, &input.src_name, &input.src),
            source,
        )
    })?;
    if let Some(n) = &note {
        out.warnings.push(format!("note: {n}"));
    }
    Ok((vals.into_iter().next().expect("one root, one value"), note))
}

/// In f64, after the canonical form failed: the value as written where that form only ran out
/// of range and the input's domain conditions hold: `(1 + 1e-30)*(x/y)` is 1e300 in NumPy, where the canonical
/// form folds the constant into a rational whose numerator and denominator overflow.
fn written_despite_range(input: &ExprInput, id: Id, opts: &EvalOpts) -> Option<f64> {
    if !matches!(mode(opts), Mode::F64) {
        return None;
    }
    let (store, point, conditions) = (&input.store, &input.point, &input.conditions);
    let canonical = eval::evaluate_guarded(store, &[id], conditions, point, Mode::F64);
    if !canonical.is_err_and(|e| eval::out_of_range_error(&e))
        || eval::evaluate_guarded(store, &[], conditions, point, Mode::F64).is_err()
    {
        return None;
    }
    eval::written::eval_expr_f64(store, &input.src, id, point).ok()
}

/// A domain error pointed at in the source where its subexpression is written there
/// ([`Error::located`]).
fn locate(e: Error, source: Source<'_>) -> Error {
    e.located(source.name, source.text)
}

/// Before evaluating `id`: every variable it needs has a value, or an error that points at
/// the first one without a value in the source, and says when it is read as `1e` (1·e) where
/// an exponent was meant, or when `--at` gives a look-alike of it.
fn check_values(store: &Store, id: Id, point: &Point, source: Source<'_>) -> Result<()> {
    let missing: Vec<&str> = store
        .free_symbols(id)
        .into_iter()
        .filter(|s| !point.contains_key(s))
        .map(|s| store.name(s))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let found = syntax::name_spans(source.text)
        .into_iter()
        .find(|(n, _, _)| missing.contains(&n.as_str()));
    let name = found.as_ref().map_or(missing[0], |(n, _, _)| n.as_str());
    let message = no_value(name);
    let given: Vec<&str> = point.keys().map(|s| store.name(*s)).collect();
    let help = if let Some(w) = given
        .iter()
        .find_map(|g| syntax::lookalike_warning(g, [name], "the expression").map(|_| g))
    {
        Some(format!(
            "--at gives `{w}`, which looks like `{name}` but is a different name (another alphabet)"
        ))
    } else if let Some((_, start, _)) = found.as_ref().filter(|(n, start, _)| {
        n.starts_with(['e', 'E']) && source.text[..*start].ends_with(|c: char| c.is_ascii_digit())
    }) {
        let number_start = source.text[..*start]
            .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
            .map_or(0, |i| i + 1);
        let number = &source.text[number_start..*start];
        Some(format!(
            "`{number}{name}` is read as {number}·{name}; for a power of ten write the exponent, e.g. {number}e-4 (and exp(1) for Euler's number)"
        ))
    } else {
        None
    };
    match found {
        Some((_, start, end)) => Err(source
            .error(start, end, message, "this has no value", help)
            .into()),
        None => Err(Error::Usage(match help {
            Some(h) => format!("{message}\n{h}"),
            None => message,
        })),
    }
}

/// An expression from the command line (or standard input) and the `--at` point, read
/// into a new store; warnings go into the output.
struct ExprInput {
    store: Store,
    expr: Id,
    /// Where the expression as written is defined beyond what `expr` shows.
    conditions: Vec<Condition>,
    src: String,
    src_name: String,
    point: Point,
}

impl ExprInput {
    fn source(&self) -> Source<'_> {
        Source {
            text: &self.src,
            name: &self.src_name,
        }
    }

    /// Warnings for `--at` names that look like the expression's but are not.
    fn lookalikes(&self) -> (Vec<String>, Vec<String>) {
        let free_names: Vec<String> = self
            .store
            .free_symbols(self.expr)
            .into_iter()
            .map(|s| self.store.name(s).to_string())
            .collect();
        let warnings = point_lookalikes(
            &self.store,
            &self.point,
            free_names.iter().map(String::as_str),
            "the expression",
        );
        (free_names, warnings)
    }
}

fn read_expression(src: String, src_name: &str, at: &[String]) -> Result<(ExprInput, Output)> {
    let mut store = Store::new();
    let read = syntax::read_expr_conditions(&mut store, &src, src_name)?;
    let point = parse_point(&mut store, at)?;
    let input = ExprInput {
        store,
        expr: read.id,
        conditions: read.conditions,
        src_name: src_name.to_string(),
        src,
        point,
    };
    let out = Output {
        warnings: read.warnings,
        ..Output::default()
    };
    Ok((input, out))
}

/// The expression's text, and, when it is about vectors and matrices (its syntax, or a value
/// given for it), its tree and values for the matrix engine.
type Routed = (String, &'static str, Option<(Expr, Vec<(String, Literal)>)>);

fn route(arg: &str, at: &[String], wrt: &[String]) -> Result<Routed> {
    let (src, src_name) = read_source(arg)?;
    let ast = syntax::parse_expr(&src, src_name)?;
    caret_t_is_not_a_power(&src, src_name, at, wrt)?;
    if syntax::uses_matrix_syntax(&ast) {
        let literals = parse_point_literals(at)?;
        return Ok((src, src_name, Some((ast, literals))));
    }
    // Scalar syntax: the matrix engine only when a value is a vector or matrix (a value that
    // does not read is left to the scalar path, whose messages say why).
    match parse_point_literals(at) {
        Ok(literals) if matrix::is_matrix_input(&ast, &literals) => {
            Ok((src, src_name, Some((ast, literals))))
        }
        _ => Ok((src, src_name, None)),
    }
}

/// `x^T` is always a transpose (as on matrixcalculus.org): refused when `T` is also a variable
/// the user gives a value or differentiates by, who meant a power.
fn caret_t_is_not_a_power(src: &str, src_name: &str, at: &[String], wrt: &[String]) -> Result<()> {
    let t_is_a_variable = wrt.iter().any(|w| w.trim() == "T")
        || parse_point_literals(at).is_ok_and(|l| l.iter().any(|(n, _)| n == "T"));
    match syntax::caret_t_meant_as_power(src, src_name) {
        Some(e) if t_is_a_variable => Err(e),
        _ => Ok(()),
    }
}

pub(super) fn run_diff(a: DiffArgs) -> Result<Output> {
    let (src, src_name, shaped) = route(&a.expr, &a.eval.at, &a.wrt)?;
    if let Some((ast, literals)) = shaped {
        return matrix::run_matrix_diff(&a, &src, src_name, &ast, &literals);
    }
    let (mut input, mut out) = read_expression(src, src_name, &a.eval.at)?;
    let e = input.expr;
    let (free_names, lookalikes) = input.lookalikes();
    out.warnings.extend(lookalikes);
    // A derivative is defined where its function is: the function's conditions, and the
    // function itself.
    let mut conditions = input.conditions.clone();
    conditions.push(Condition::function(e, Span::new(0, input.src.len())));
    let evaluate = !a.eval.at.is_empty();
    note_digits(&a.eval, &mut out);
    let mut results = Vec::new();
    for name in &a.wrt {
        let name = cli_name("--wrt", name)?;
        if syntax::is_function_name(&name) {
            return Err(Error::Usage(format!(
                "--wrt {name}: `{name}` is a function, not a variable; differentiate by a variable of the expression, e.g. --wrt x"
            )));
        }
        if let Some(w) = syntax::lookalike_warning(
            &name,
            free_names.iter().map(String::as_str),
            "the expression",
        ) {
            out.warnings.push(w);
        } else if !free_names.contains(&name) {
            // As the matrix engine and the program commands say it: a 0 for a name that is
            // not there is more often a misread input (LaTeX's `x_in` is x_i times n) than a
            // question.
            out.warnings.push(format!(
                "warning: `{name}` does not occur in the expression (read as `{}`), so its derivative is 0",
                crate::print::text(&input.store, e)
            ));
        }
        let var = input.store.intern(&name);
        let d = crate::diff::diff_n(&mut input.store, e, var, a.order)?;
        let (value, note) = if evaluate {
            let (v, note) = evaluate_one(&input, d, &conditions, &a.eval, &mut out)?;
            (Some(v), note)
        } else {
            (None, None)
        };
        // Printed in the shortest form the simplifier finds (bounded by size); the value is
        // the derivative's as differentiated, and its conditions are the function's.
        let shown = crate::simplify::simplify(&mut input.store, d).id;
        results.push(report::Derivative {
            wrt: name,
            id: shown,
            value,
            note,
        });
    }
    let ExprInput {
        store, point, src, ..
    } = input;
    let report = report::DiffReport {
        store: &store,
        expr: e,
        src: &src,
        order: a.order,
        derivatives: results,
        point: &point,
        free_names: &free_names,
        digits: a.eval.digits,
        precision: a.eval.precision,
    };
    out.stdout = report.render(style(a.eval.format));
    Ok(out)
}

pub(super) fn run_eval(a: EvalArgs) -> Result<Output> {
    let (src, src_name, shaped) = route(&a.expr, &a.eval.at, &[])?;
    if let Some((ast, literals)) = shaped {
        return matrix::run_matrix_eval(&a, &src, src_name, &ast, &literals);
    }
    let (mut input, mut out) = read_expression(src, src_name, &a.eval.at)?;
    let e = input.expr;
    out.warnings.extend(input.lookalikes().1);
    if let Some(file) = &a.points {
        let csv = read_text_file(file)?;
        let conds: Vec<Id> = input.conditions.iter().map(|c| c.node).collect();
        out.stdout =
            crate::points::points_csv_guarded(&mut input.store, e, &conds, "value", &[], &csv)?;
        warn_undefined_rows(&mut out);
        return Ok(out);
    }
    note_digits(&a.eval, &mut out);
    let (v, note) = match evaluate_one(&input, e, &input.conditions, &a.eval, &mut out) {
        // In f64 the input is computed as written, as NumPy would (`0.1 + 0.2`); the
        // evaluation checked its domain and gives the errors with their places.
        Ok((Value::F64(_), note)) => (
            Value::F64(
                eval::written::eval_expr_f64(&input.store, &input.src, e, &input.point)
                    .map_err(|err| locate(err, input.source()))?,
            ),
            note,
        ),
        Ok(v) => v,
        Err(err) => (
            Value::F64(written_despite_range(&input, e, &a.eval).ok_or(err)?),
            None,
        ),
    };
    let ExprInput { store, src, .. } = input;
    let report = report::EvalReport {
        store: &store,
        expr: e,
        src: &src,
        value: v,
        digits: a.eval.digits,
        precision: a.eval.precision,
        note,
    };
    out.stdout = report.render(style(a.eval.format));
    Ok(out)
}

pub(super) fn run_simplify(a: SimplifyArgs) -> Result<Output> {
    let (src, src_name, shaped) = route(&a.expr, &[], &[])?;
    if shaped.is_some() {
        return Err(Error::Usage(
            "simplify takes scalar expressions only: this one uses vector or matrix syntax (a transpose, an element-wise operator, a matrix function or a list), which the simplifier does not rewrite".into(),
        ));
    }
    let (mut input, out) = read_expression(src, src_name, &[])?;
    let e = input.expr;
    let simplified = crate::simplify::simplify(&mut input.store, e);
    // The parts that must be defined: those reading the input cancelled, then those the
    // simplifier did, each once.
    let mut conditions: Vec<Id> = Vec::new();
    for c in input
        .conditions
        .iter()
        .map(|c| c.node)
        .chain(simplified.conditions.iter().copied())
    {
        if !conditions.contains(&c) {
            conditions.push(c);
        }
    }
    let ExprInput { store, src, .. } = input;
    let report = report::SimplifyReport {
        store: &store,
        expr: e,
        src: &src,
        simplified: simplified.id,
        conditions,
    };
    Ok(Output {
        stdout: report.render(style(a.format)),
        ..out
    })
}
