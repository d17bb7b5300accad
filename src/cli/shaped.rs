//! The program commands on programs with vectors and matrices (shapes declared, or lists
//! given as values): `backprop`, `grad`, `check` and `fd`, over the shaped network.

use super::{
    CheckArgs, ExplainArgs, FdArgs, GradArgs, GradForm, Output, ProgramArgs, numbers,
    parse_point_literals, style, text_or_json,
};
use crate::error::{Error, Result};
use crate::network::{self, MatNetwork, WrittenPoint};
use crate::report;
use crate::syntax;
use crate::syntax::ast::Program;

/// A program about vectors and matrices (`network::is_shaped`), already read and parsed,
/// loaded with its point (`--at` values over the file's).
pub(super) fn load(
    a: &ProgramArgs,
    program: &Program,
    src: &str,
    name: &str,
) -> Result<(MatNetwork, WrittenPoint, Output)> {
    let mut net = network::load_shaped_parsed(program, src, name, a.opts.of.as_deref())?;
    for d in &a.opts.data {
        if !net.params.iter().any(|p| p == d) {
            return Err(Error::Usage(format!(
                "--data {d}: `{d}` is not a parameter of the program (its parameters: {})",
                net.params.join(", ")
            )));
        }
        net.params.retain(|p| p != d);
    }
    let mut extra = Vec::new();
    for (n, lit) in parse_point_literals(&a.opts.eval.at)? {
        if net.is_intermediate(&n) {
            return Err(Error::Usage(format!(
                "--at {n}: `{n}` is an intermediate of the program: its value is computed, not given"
            )));
        }
        let (d, _, text) = network::given_value(&lit);
        if let Some((msg, help)) = network::misfit(&net.store, &n, &d) {
            let help = help.map(|h| format!("; {h}")).unwrap_or_default();
            return Err(Error::Usage(format!("--at {n}={text}: {msg}{help}")));
        }
        extra.push((n, d, text));
    }
    let point = net.point_with(&extra);
    let out = Output {
        warnings: std::mem::take(&mut net.warnings),
        ..Output::default()
    };
    Ok((net, point, out))
}

pub(super) fn backprop(
    a: &ProgramArgs,
    mut net: MatNetwork,
    point: WrittenPoint,
    mut out: Output,
) -> Result<Output> {
    out.stdout = report::shaped_backprop(
        &mut net,
        &point,
        numbers(&a.opts.eval),
        None,
        style(a.opts.eval.format),
        &mut out.warnings,
    )?;
    Ok(out)
}

pub(super) fn grad(
    a: &GradArgs,
    mut net: MatNetwork,
    point: WrittenPoint,
    mut out: Output,
) -> Result<Output> {
    if a.points.is_some() {
        return Err(Error::Usage(
            "--points evaluates programs of scalars only; give vector and matrix values with --at or the program's `at`".into(),
        ));
    }
    if net.params.is_empty() {
        return Err(Error::Usage(
            "nothing to differentiate: every input is data, none a parameter".into(),
        ));
    }
    let form = match a.form {
        GradForm::Intermediates => report::ShapedForm::Intermediates,
        GradForm::Expanded => report::ShapedForm::Expanded,
        GradForm::Both => report::ShapedForm::Both,
    };
    let o = &a.program.opts.eval;
    out.stdout = report::shaped_backprop(
        &mut net,
        &point,
        numbers(o),
        Some(form),
        style(o.format),
        &mut out.warnings,
    )?;
    Ok(out)
}

pub(super) fn check(
    a: &CheckArgs,
    mut net: MatNetwork,
    point: WrittenPoint,
    mut out: Output,
) -> Result<Output> {
    if a.program.opts.eval.format == super::Format::Latex {
        return Err(Error::Usage(
            "`check` of a program with vectors and matrices prints text or JSON, not yet LaTeX"
                .into(),
        ));
    }
    net.point = point;
    let wrt = syntax::normalize_name(&a.wrt);
    let c = crate::check::check_shaped(&mut net, &wrt, &a.claim)?;
    out.stdout = report::shaped_check(&c, &a.claim, style(a.program.opts.eval.format));
    out.exit = u8::from(!c.agrees());
    Ok(out)
}

pub(super) fn fd(
    a: &FdArgs,
    mut net: MatNetwork,
    point: WrittenPoint,
    mut out: Output,
) -> Result<Output> {
    let fmt = text_or_json(a.program.opts.eval.format, "fd")?;
    let delta = crate::fd::parse_step(&a.delta)?;
    let arith: crate::fd::Arith = a.arith.parse()?;
    let mp = point
        .iter()
        .map(|(n, v, _)| (n.clone(), v.clone()))
        .collect();
    for v in &net.inputs {
        if !point.iter().any(|(n, _, _)| n == v) {
            return Err(Error::Request(crate::error::Request::NoValue {
                name: v.clone(),
            }));
        }
    }
    let rows = crate::fd::fd_shaped(&mut net, &mp, &delta, arith)?;
    out.stdout = report::shaped_fd(&rows, a.program.opts.eval.digits, fmt);
    Ok(out)
}

pub(super) fn explain(
    a: &ExplainArgs,
    mut net: MatNetwork,
    point: WrittenPoint,
    mut out: Output,
) -> Result<Output> {
    let wrt = syntax::normalize_name(&a.wrt);
    if wrt == net.defs[net.output].name {
        return Err(Error::Usage(format!(
            "--wrt {wrt}: `{wrt}` is the output, and its adjoint is 1: ask for a name it depends on"
        )));
    }
    let o = &a.program.opts.eval;
    out.stdout = report::shaped_explain(
        &mut net,
        &wrt,
        &point,
        numbers(o),
        style(o.format),
        &mut out.warnings,
    )?;
    Ok(out)
}

/// The commands not yet written for vectors and matrices say so.
pub(super) fn not_yet(command: &str) -> Error {
    Error::Usage(format!(
        "`chainrule {command}` does not yet work on programs with vectors and matrices; use `backprop`, `grad`, `explain`, `check`, `fd`, `graph` or `sheet`"
    ))
}
