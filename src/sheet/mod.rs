//! Solution sheets: one document per program with, in order, the program as written, its
//! computation graph, the forward and backward passes, the gradient (along the chain and
//! expanded), the chain rule for each parameter, and the finite-difference check with its
//! step-size sweep, as one self-contained HTML page ([`html`], math as MathML, pictures as
//! inline SVG, no script) or one LaTeX document ([`latex`]).
//!
//! A sheet is gathered from the reports' own LaTeX, so that the page, the document and
//! `backprop --format latex` cannot disagree; [`html`] turns that LaTeX into MathML.
//! What does not apply to a program (a point-free program has no values and no finite
//! differences; a program of vectors and matrices has no step-size sweep yet) is said in the
//! sheet, where it would have been.

mod html;
mod latex;

pub use html::{html, mathml};
pub use latex::latex;

use crate::error::{Error, Result};
use crate::eval::Point;
use crate::fd;
use crate::network::{MatNetwork, Network, WrittenPoint};
use crate::plot;
use crate::print::latex_name;
use crate::report::{self, Numbers, Style};

/// A solution sheet.
#[derive(Clone, Debug)]
pub struct Sheet {
    /// The program file's name.
    pub file: String,
    /// The output's name.
    pub output: String,
    /// The point, as LaTeX (`w_{1} = 2, \; …`), when the program gives one.
    pub point: Option<String>,
    /// The program's text as written.
    pub source: String,
    /// The sections, in order.
    pub sections: Vec<Section>,
}

/// One section of a sheet.
#[derive(Clone, Debug)]
pub struct Section {
    /// An anchor for the page (`graph`, `forward`).
    pub id: String,
    /// The heading: LaTeX text, math in `$…$`.
    pub heading: String,
    /// Its contents.
    pub blocks: Vec<Block>,
}

/// What a section holds.
#[derive(Clone, Debug)]
pub enum Block {
    /// The program as written.
    Source,
    /// A report's LaTeX: displays, with `% ` notes ([`report::pieces`]).
    Latex(String),
    /// A picture, for the page; the document says where to get it.
    Svg {
        /// The SVG document.
        svg: String,
        /// The command that draws it on its own.
        command: String,
    },
    /// A text table, as the command line prints it.
    Table(String),
    /// A paragraph: LaTeX text, math in `$…$` (what does not apply, and why).
    Note(String),
}

fn section(id: &str, heading: &str, blocks: Vec<Block>) -> Section {
    Section {
        id: id.to_string(),
        heading: heading.to_string(),
        blocks,
    }
}

/// A section's contents, or a note saying why it cannot be shown (too large a report).
fn or_note(r: Result<Vec<Block>>, instead: &str) -> Result<Vec<Block>> {
    match r {
        Ok(b) => Ok(b),
        Err(Error::TooLarge(t)) => Ok(vec![Block::Note(format!(
            "{}: {instead}.",
            report::latex_text(&t.to_string())
        ))]),
        Err(Error::Limit(m)) => Ok(vec![Block::Note(format!(
            "{}: {instead}.",
            report::latex_text(&m)
        ))]),
        Err(e) => Err(e),
    }
}

/// The computation graph's picture, with the command that draws it on its own; a graph too
/// large to draw is a note instead.
fn graph_blocks(g: Result<report::Graph>, file: &str) -> Result<Vec<Block>> {
    or_note(
        g.map(|g| {
            vec![Block::Svg {
                svg: report::graph_svg(&g),
                command: format!("chainrule graph {file} -o graph.svg"),
            }]
        }),
        "the tables below show every value and adjoint",
    )
}

/// The most local derivatives the chain-rule section writes for all parameters together
/// (each one's own limit is [`report::MAX_EXPLAIN_FACTORS`]). In a deep network the paths
/// to the early weights grow with the depth, and all of them together with its square: the
/// 1000-layer chain's section alone would be half a gigabyte of page, written for minutes.
/// The 100-layer chain's (about 10 000) is within.
pub const MAX_SHEET_EXPLAIN_FACTORS: u64 = 20_000;

/// The step of the finite-difference check, and the sweep's steps (`chainrule fd` and
/// `chainrule sweep` with their defaults).
const FD_STEP: &str = "1e-4";
const SWEEP_STEPS: &str = "1e-10:1e-1:10";

/// The sheet of a program of scalars, at `point` when it gives one (an empty point: none).
pub fn scalar(net: &mut Network, point: &Point, source: &str, numbers: Numbers) -> Result<Sheet> {
    let file = net.source.1.clone();
    let out = net.output_def().name;
    let out_name = net.name(out).to_string();
    let given = (!point.is_empty()).then_some(point);
    let mut sections = vec![section("program", "The program", vec![Block::Source])];

    let graph = graph_blocks(report::graph(net, given, numbers), &file)?;
    sections.push(section("graph", "The computation graph", graph));

    let params: Vec<_> = net.params.clone();
    match given {
        Some(p) => {
            let passes = report::backprop(net, p, numbers, Style::Latex)?;
            sections.extend(passes_sections(&passes, &["forward", "backward"]));
        }
        None => {
            let why = "The program gives no point (no \\texttt{at} line), so there are no values: \
                       the graph above shows each adjoint as a formula, and the gradient and the \
                       chain rule below are formulas too.";
            sections.push(section(
                "forward",
                "Forward pass",
                vec![Block::Note(why.into())],
            ));
            sections.push(section(
                "backward",
                "Backward pass",
                vec![Block::Note(
                    "Without a point there is no backward table of values: see the adjoints on \
                     the graph."
                        .into(),
                )],
            ));
        }
    }

    let grad = or_note(
        report::grad(net, given, numbers, report::Form::Both, Style::Latex)
            .map(|g| vec![Block::Latex(g)]),
        "use \\texttt{chainrule backprop}",
    )?;
    sections.push(section(
        "gradient",
        "The gradient, along the chain and expanded",
        grad,
    ));

    let sizes = net.chain_sizes();
    let factors = params
        .iter()
        .map(|p| sizes.get(p).map_or(0, |s| s.1))
        .fold(0u64, u64::saturating_add);
    let mut explains = Vec::new();
    if factors > MAX_SHEET_EXPLAIN_FACTORS {
        explains.push(Block::Note(format!(
            "Written parameter by parameter, the chain rule would take {factors} local \
             derivatives in all (a sheet writes at most {MAX_SHEET_EXPLAIN_FACTORS}): the paths \
             to the early parameters of a deep network grow with its depth, and all of them \
             together with its square. \\texttt{{chainrule explain {file} --wrt NAME}} writes \
             one parameter's; the backward pass above writes each adjoint once."
        )));
    } else {
        for &w in &params {
            let one = or_note(
                report::explain(net, w, given, numbers, Style::Latex)
                    .map(|e| vec![Block::Latex(e)]),
                "use \\texttt{chainrule backprop}",
            )?;
            explains.extend(one);
        }
    }
    sections.push(section(
        "explain",
        "The chain rule, parameter by parameter",
        explains,
    ));

    let checks = match given {
        Some(p) => or_note(
            fd_blocks(net, p, numbers),
            "so the sheet leaves them out (\\texttt{chainrule fd} runs them for fewer parameters, with \\texttt{--data})",
        )?,
        None => vec![Block::Note(
            "Finite differences need a point, and this program gives none (its functions may \
             be unspecified): there is nothing to compute."
                .into(),
        )],
    };
    sections.push(section("fd", "Finite differences", checks));

    Ok(Sheet {
        file,
        output: out_name,
        point: given.map(|p| report::point_latex(&net.store, p)),
        source: source.to_string(),
        sections,
    })
}

/// The passes of `backprop --format latex`, a section for each of its headings (ids in
/// order; the headings are the report's own).
fn passes_sections(latex: &str, ids: &[&str]) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for piece in report::pieces(latex) {
        match piece {
            report::Piece::Heading(h) => {
                let id = ids.get(out.len()).copied().unwrap_or("passes");
                out.push(section(id, &h, Vec::new()));
            }
            report::Piece::Display(d) => {
                if let Some(s) = out.last_mut() {
                    s.blocks.push(Block::Latex(d));
                }
            }
            report::Piece::Note(n) => {
                if let Some(s) = out.last_mut() {
                    s.blocks.push(Block::Note(n));
                }
            }
        }
    }
    out
}

/// A domain error (a logarithm of a non-positive number, a division by zero) as a sentence
/// for the sheet, with its help; any other error as it is. The finite differences are
/// computed in IEEE double and at shifted points, so they may fail where the backward pass
/// (exact or MPFR, at the point) does not: the sheet then says so instead of failing whole.
fn domain_note(e: Error) -> Result<String> {
    use miette::Diagnostic;
    if !matches!(e, Error::Domain { .. } | Error::DomainAt(_)) {
        return Err(e);
    }
    // ASCII, as the LaTeX document is (`w − Δ` as `w - Delta`).
    let text = |t: &str| report::latex_text(&latex::ascii(t));
    let mut s = text(&e.to_string());
    if let Some(h) = e.help() {
        let h = h.to_string();
        let lines: Vec<&str> = h.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        s.push_str(&format!("; {}", text(&lines.join("; "))));
    }
    Ok(s)
}

/// The gradient check at Δ = 1e-4 in IEEE double, and the step sweep's plot; a domain error
/// in either is a note where it would be.
fn fd_blocks(net: &mut Network, point: &Point, numbers: Numbers) -> Result<Vec<Block>> {
    let delta = fd::parse_step(FD_STEP)?;
    let deltas = fd::parse_deltas(SWEEP_STEPS)?;
    let schemes = fd::parse_schemes("all")?;
    let arith = fd::Arith::F64;
    let size = net.store.dag_size(net.output_def().expanded);
    fd::check_work(size, net.params.len(), deltas.len() + 1, &schemes, &[arith])?;
    let title = format!(
        "{}: {} at {}",
        net.source.1,
        net.name(net.output_def().name),
        report::point_text(&net.store, point)
    );
    let file = net.source.1.clone();
    let obj = match fd::ProgramObjective::new(net, point) {
        Ok(obj) => obj,
        Err(e) => return Ok(vec![fd_failed(e, false)?]),
    };
    let r = match fd::check_gradient(&obj, &delta, &schemes, arith) {
        Ok(r) => r,
        Err(e) => return Ok(vec![fd_failed(e, true)?]),
    };
    let sw = fd::sweep(&obj, &deltas, &schemes, &[arith]);
    // The differences are measured against a gradient these notes qualify.
    let notes: Vec<Block> = obj
        .notes()
        .iter()
        .map(|n| {
            Block::Note(format!(
                "note: the gradient's value: {}",
                report::latex_text(n)
            ))
        })
        .collect();
    drop(obj);
    let table = report::fd(net, point, &r, numbers.digits, Style::Text);
    let mut blocks = vec![Block::Table(table)];
    blocks.extend(notes);
    match sw {
        Ok(sw) => {
            let svg = plot::sweep_svg(&sw, &title, fd::Measure::Squared)?;
            blocks.push(Block::Note(
                "The step-size sweep: the squared error $\\lVert \\hat{\\nabla} - \\nabla \\rVert^2$ \
                 of each difference quotient against the step, in IEEE double. Truncation error \
                 falls with the step until rounding error takes over."
                    .into(),
            ));
            blocks.push(Block::Svg {
                svg,
                command: format!("chainrule sweep {file} --plot sweep.svg"),
            });
        }
        Err(e) => {
            let why = domain_note(e)?;
            blocks.push(Block::Note(format!(
                "The step-size sweep over $\\Delta$ from 1e-10 to 1e-1 leaves the domain: \
                 {why}. \\texttt{{chainrule sweep {} --deltas FROM:TO:COUNT}} sweeps the steps \
                 that stay in it.",
                report::latex_text(&file)
            )));
        }
    }
    Ok(blocks)
}

/// The sheet of a program of vectors and matrices: the graph with shapes on the nodes, the
/// passes and gradients with values as matrices; its sweep is not drawn yet, and the sheet
/// says so.
pub fn shaped(
    net: &mut MatNetwork,
    point: &WrittenPoint,
    source: &str,
    numbers: Numbers,
    warnings: &mut Vec<String>,
) -> Result<Sheet> {
    let file = net.source.1.clone();
    let output = net.defs[net.output].name.clone();
    let complete = net
        .inputs
        .iter()
        .all(|i| point.iter().any(|(n, _, _)| n == i));
    let mut sections = vec![section("program", "The program", vec![Block::Source])];
    let graph = graph_blocks(report::shaped_graph(net, point, numbers), &file)?;
    sections.push(section("graph", "The computation graph", graph));
    if complete {
        let passes = report::shaped_backprop(net, point, numbers, None, Style::Latex, warnings)?;
        sections.extend(passes_sections(
            &passes,
            &["forward", "backward", "gradient-values"],
        ));
    } else {
        sections.push(section(
            "forward",
            "Forward and backward passes",
            vec![Block::Note(
                "The program gives no values for all its inputs (its functions may be \
                 unspecified), so there are no forward or backward values: the gradient and \
                 the chain rule below are formulas."
                    .into(),
            )],
        ));
    }
    let grad = report::shaped_backprop(
        net,
        point,
        numbers,
        Some(report::ShapedForm::Both),
        Style::Latex,
        warnings,
    )?;
    let grad: Vec<Block> = report::pieces(&grad)
        .into_iter()
        .filter_map(|p| match p {
            report::Piece::Display(d) => Some(Block::Latex(d)),
            report::Piece::Note(n) => Some(Block::Note(n)),
            report::Piece::Heading(_) => None,
        })
        .collect();
    sections.push(section(
        "gradient",
        "The gradient, along the chain and expanded",
        grad,
    ));
    let mut explains = Vec::new();
    for p in net.params.clone() {
        let e = report::shaped_explain(net, &p, point, numbers, Style::Latex, warnings)?;
        explains.push(Block::Latex(e));
    }
    sections.push(section(
        "explain",
        "The chain rule, parameter by parameter",
        explains,
    ));
    let mut checks = Vec::new();
    if complete {
        let mp = point
            .iter()
            .map(|(n, v, _)| (n.clone(), v.clone()))
            .collect();
        match fd::fd_shaped(net, &mp, &fd::parse_step(FD_STEP)?, fd::Arith::F64) {
            Ok(rows) => checks.push(Block::Table(report::shaped_fd(
                &rows,
                numbers.digits,
                Style::Text,
            ))),
            Err(e) => checks.push(fd_failed(e, true)?),
        }
        checks.push(Block::Note(
            "The step-size sweep of a program of vectors and matrices is not drawn yet \
             (\\texttt{chainrule sweep} takes programs of scalars)."
                .into(),
        ));
    } else {
        checks.push(Block::Note(
            "Finite differences need a value for every input, and this program gives none: \
             there is nothing to compute."
                .into(),
        ));
    }
    sections.push(section("fd", "Finite differences", checks));
    let point_latex = complete.then(|| {
        point
            .iter()
            .map(|(n, v, _)| format!("{} = {}", latex_name(n), dense_latex(v)))
            .collect::<Vec<_>>()
            .join(", \\; ")
    });
    Ok(Sheet {
        file,
        output,
        point: point_latex,
        source: source.to_string(),
        sections,
    })
}

/// The note of finite differences that cannot be computed (`e`, a domain error), said
/// of the step [`FD_STEP`] when they failed `at_step`, else of the point.
fn fd_failed(e: Error, at_step: bool) -> Result<Block> {
    let at = if at_step {
        format!(" at $\\Delta = {FD_STEP}$")
    } else {
        String::new()
    };
    Ok(Block::Note(format!(
        "The finite differences in IEEE double{at} cannot be computed here: {}.",
        domain_note(e)?
    )))
}

/// An exact value of a point as LaTeX: a number, or a `bmatrix`.
fn dense_latex(d: &crate::eval::dense::Dense<rug::Rational>) -> String {
    report::bmatrix(d, crate::eval::format::latex_rational)
}
