//! The program commands (`backprop`, `grad`, `explain`, `check`, `fd`, `sweep`): a program
//! loaded with the command line's options, its report run, errors worded with the commands
//! to use instead.

use super::shaped;
use super::{
    CheckArgs, ExplainArgs, FdArgs, GradArgs, GradForm, GradeArgs, GraphArgs, GraphFormat,
    MeasureArg, Output, ProgramArgs, SheetArgs, SheetFormat, Stream, SweepArgs, cli_name,
    note_digits, numbers, parse_point, point_lookalikes, point_names, read_program, read_text_file,
    style, text_or_json, warn_undefined_rows,
};
use crate::error::{Error, Result, TooLarge};
use crate::eval::Point;
use crate::expr::{Id, Sym};
use crate::network::{self, MatNetwork, Network, WrittenPoint};
use crate::print;
use crate::report;
use crate::syntax;
use crate::syntax::ast;
use crate::{fd, plot};

/// A program loaded for a command: the network, its point, the output so far (warnings), and
/// the names in play for its LaTeX ([`Network::names_in_play`]).
struct Loaded {
    net: Network,
    point: Point,
    out: Output,
    names: Vec<String>,
}

/// A program file's text and name, read once for a command.
struct Source {
    src: String,
    name: String,
}

/// The program file, read and parsed: its text and its syntax tree.
fn read_parsed(a: &ProgramArgs) -> Result<(Source, ast::Program)> {
    let (src, name) = read_program(&a.file)?;
    let program = syntax::parse_program(&src, &name)?;
    Ok((Source { src, name }, program))
}

/// A command on a program: done by `shaped` when the program is about vectors and matrices,
/// else the scalar program loaded for the caller to go on with.
enum Program {
    Done(Output),
    Scalar(Box<Loaded>),
}

fn load_program(
    a: &ProgramArgs,
    shaped: impl FnOnce(MatNetwork, WrittenPoint, Output) -> Result<Output>,
) -> Result<Program> {
    let (s, program) = read_parsed(a)?;
    if network::is_shaped(&program) {
        let (net, point, out) = shaped::load(a, &program, &s.src, &s.name)?;
        return shaped(net, point, out).map(Program::Done);
    }
    load_network(a, program, &s).map(|l| Program::Scalar(Box::new(l)))
}

/// The scalar `program` of the file `s` loaded; its syntax tree is dropped as it is,
/// statement by statement.
fn load_network(a: &ProgramArgs, program: ast::Program, s: &Source) -> Result<Loaded> {
    let mut net = network::load_parsed(program, &s.src, &s.name, a.opts.of.as_deref())?;
    net.set_data(&a.opts.data)?;
    let extra = parse_point(&mut net.store, &a.opts.eval.at)?;
    // As in a file's `at` line, an intermediate's value is computed, not given; a rebound
    // name (`c = a*b; c = c + 1`) is one too, though its versions are `c_1`, `c_2`.
    let extra_names = point_names(&net.store, &extra);
    if let Some(s) = extra_names
        .iter()
        .find(|s| net.is_intermediate(net.store.name(**s)))
    {
        let n = net.store.name(*s);
        return Err(Error::Usage(format!(
            "--at {n}: `{n}` is an intermediate of the program: its value is computed, not given"
        )));
    }
    // Nor an adjoint's: `δ_z1` is computed by the backward pass.
    if let Some(s) = extra_names
        .iter()
        .find(|s| net.store.name(**s).starts_with(network::ADJOINT_PREFIX))
    {
        let n = net.store.name(*s);
        return Err(Error::Usage(format!(
            "--at {n}: `{n}` is an adjoint of the backward pass: its value is computed, not given"
        )));
    }
    // Only the inputs' values are used, and only they are shown ("at w1 = 2, …"); a name the
    // program does not use gets a warning below.
    let inputs = net.inputs();
    let used: Point = extra
        .iter()
        .filter(|(s, _)| inputs.contains(s))
        .map(|(s, v)| (*s, v.clone()))
        .collect();
    let point = net.point_with(&used);
    let names = net.names_in_play();
    let mut out = Output {
        warnings: std::mem::take(&mut net.warnings),
        ..Output::default()
    };
    let lookalikes = point_lookalikes(
        &net.store,
        &extra,
        names.iter().map(String::as_str),
        "the program",
    );
    // A name the program does not use (a typo, `wl` for `w1`) would be taken silently.
    if lookalikes.is_empty() {
        for s in extra_names.iter().filter(|s| !inputs.contains(s)) {
            let n = net.store.name(*s);
            let nearest = inputs
                .iter()
                .map(|i| net.store.name(*i))
                .min_by_key(|i| syntax::edit_distance(n, i))
                .map_or(String::new(), |i| format!("; the nearest input is `{i}`"));
            out.warnings.push(format!(
                "warning: --at {n}: `{n}` is not an input of the program, so its value is not used{nearest}"
            ));
        }
    }
    out.warnings.extend(lookalikes);
    Ok(Loaded {
        net,
        point,
        out,
        names,
    })
}

/// A report rendered with the program's names in play; one too large to write out says what
/// to ask for instead.
fn render(names: Vec<String>, report: impl FnOnce() -> Result<String>) -> Result<String> {
    in_play(names, report).map_err(word_too_large)
}

/// The point, if the program or `--at` gave one.
fn given(point: &Point) -> Option<&Point> {
    (!point.is_empty()).then_some(point)
}

pub(super) fn run_backprop(a: ProgramArgs) -> Result<Output> {
    let Loaded {
        mut net,
        point,
        mut out,
        names,
    } = match load_program(&a, |n, p, o| shaped::backprop(&a, n, p, o))? {
        Program::Done(out) => return Ok(out),
        Program::Scalar(l) => *l,
    };
    note_digits(&a.opts.eval, &mut out);
    let (names, passes) = in_play(names, || {
        let passes = report::Passes::of(&mut net, &point, numbers(&a.opts.eval));
        (print::NamesInPlay::here(), passes)
    });
    let passes = passes.map_err(word_too_large)?;
    // Written out as it is made: a large program's report is not held whole as well.
    let style = style(a.opts.eval.format);
    out.stream = Some(Stream::new(move |w| {
        let written = names.run(|| passes.write(&net, &point, style, w));
        end_of_command(net);
        written
    }));
    Ok(out)
}

/// The command is done with its program: it is left to the process's exit to free. A large
/// program's store holds millions of small allocations (each rational two), and freeing them
/// one by one took 4% of `backprop` on a program of 10^5 layers, for memory the exit
/// returns at once anyway.
fn end_of_command(net: Network) {
    std::mem::forget(net);
}

pub(super) fn run_grad(a: GradArgs) -> Result<Output> {
    let Loaded {
        mut net,
        point,
        mut out,
        names,
    } = match load_program(&a.program, |n, p, o| shaped::grad(&a, n, p, o))? {
        Program::Done(out) => return Ok(out),
        Program::Scalar(l) => *l,
    };
    if let Some(file) = &a.points {
        let csv = read_text_file(file)?;
        // As with --at, an intermediate's value is computed, not given: a column of one
        // would be ignored without a word.
        if let Some(c) = crate::points::columns(&csv)
            .into_iter()
            .find(|c| net.is_intermediate(c))
        {
            return Err(Error::Usage(format!(
                "--points {file}: the column `{c}` is an intermediate of the program: its value is computed, not given"
            )));
        }
        let root = net.output_def().expanded;
        let name = net.name(net.output_def().name).to_string();
        let params = net.params.clone();
        let conds: Vec<Id> = net.expanded_conditions().iter().map(|c| c.node).collect();
        out.stdout =
            crate::points::points_csv_guarded(&mut net.store, root, &conds, &name, &params, &csv)?;
        warn_undefined_rows(&mut out);
        return Ok(out);
    }
    note_digits(&a.program.opts.eval, &mut out);
    if net.params.is_empty() {
        return Err(no_parameters(&net));
    }
    let form = match a.form {
        GradForm::Intermediates => report::Form::Intermediates,
        GradForm::Expanded => report::Form::Expanded,
        GradForm::Both => report::Form::Both,
    };
    out.stdout = render(names, || {
        report::grad(
            &mut net,
            given(&point),
            numbers(&a.program.opts.eval),
            form,
            style(a.program.opts.eval.format),
        )
    })?;
    Ok(out)
}

/// The error for a program with nothing to differentiate: a constant output, or every input
/// data.
fn no_parameters(net: &Network) -> Error {
    let output = net.output_def();
    let name = net.name(output.name);
    Error::Usage(if net.store.free_symbols(output.expanded).is_empty() {
        format!(
            "nothing to differentiate: `{name}` = {} is a constant",
            print::text(&net.store, output.expanded)
        )
    } else {
        format!("nothing to differentiate: every input of `{name}` is data, none a parameter")
    })
}

/// A report too large to write out, with the command or flag to use instead.
fn word_too_large(e: Error) -> Error {
    let Error::TooLarge(t) = e else { return e };
    let instead = match t {
        TooLarge::ChainForm { .. } => {
            "use `chainrule backprop`, whose adjoints share their work and stay linear in the size of the network, \
             or `chainrule explain --wrt W` for one parameter"
        }
        TooLarge::Expanded { .. } => {
            "use `--form intermediates`, or `chainrule backprop`, which stays linear in the size of the network"
        }
        TooLarge::Derivation { .. } => {
            "use `chainrule backprop`, which writes each adjoint once, in terms of the next"
        }
    };
    Error::Limit(format!("{t}: {instead}"))
}

/// A variable of the program named on the command line: a parameter, an intermediate or an input.
fn program_var(net: &Network, name: &str) -> Result<Sym> {
    let name = cli_name("--wrt", name)?;
    // Not a name the program only gives a value to (`at w_3 = 2` in a program whose LaTeX
    // lines use w_{3}, the name `w3`): its derivative, 0, would be "right" for a claim of 0.
    let used = |s: &Sym| net.uses(*s);
    net.lookup(&name).filter(used).ok_or_else(|| {
        let names = net.names_in_play();
        let alike =
            syntax::lookalike_warning(&name, names.iter().map(String::as_str), "the program")
                .map_or(String::new(), |w| {
                    format!(" ({})", w.trim_start_matches("warning: "))
                });
        let given = net
            .lookup(&name)
            .is_some_and(|s| net.only_given_a_value(s));
        // `w_3` for the `w3` of a LaTeX line (`w_{3}`, `w_3` there are the name w3).
        let plain: String = name.chars().filter(|c| !matches!(c, '_' | '{' | '}')).collect();
        let alike = match net.lookup(&plain).filter(used) {
            Some(_) if alike.is_empty() && plain != name => format!(
                " (did you mean `{plain}`? In LaTeX, `{name}` is the name {plain}, but not in chainrule's syntax)"
            ),
            _ => alike,
        };
        Error::Usage(if given {
            format!(
                "--wrt {name}: no definition of the program uses `{name}`, which it only gives a value{alike}"
            )
        } else {
            format!("--wrt {name}: the program has no variable named `{name}`{alike}")
        })
    })
}

/// Runs a report with a program's names in play, so that in LaTeX names that would print
/// alike are spelt out (see [`print::with_names_in_play`]).
fn in_play<T>(names: Vec<String>, f: impl FnOnce() -> T) -> T {
    // A large program's table of names is made on a thread of its own while the report
    // works out its formulas and values (it needs the names only to print).
    print::NamesInPlay::building(names).run(f)
}

pub(super) fn run_check(a: CheckArgs) -> Result<Output> {
    let Loaded {
        mut net, mut out, ..
    } = match load_program(&a.program, |n, p, o| shaped::check(&a, n, p, o))? {
        Program::Done(out) => return Ok(out),
        Program::Scalar(l) => *l,
    };
    let v = program_var(&net, &a.wrt)?;
    let c = crate::check::check(&mut net, v, &a.claim)?;
    out.stdout = report::check(&mut net, &c, &a.claim, style(a.program.opts.eval.format));
    // A wrong (or undecided) claim exits 1, so that scripts can test it.
    out.exit = u8::from(!c.agrees());
    Ok(out)
}

pub(super) fn run_grade(a: GradeArgs) -> Result<Output> {
    let Loaded {
        mut net, mut out, ..
    } = {
        let (s, program) = read_parsed(&a.program)?;
        load_network(&a.program, program, &s)?
    };
    let fmt = text_or_json(a.program.opts.eval.format, "grade")?;
    let (tex, tex_name) = read_program(&a.solution)?;
    let chains = crate::check::grade(&mut net, &tex, &tex_name)?;
    out.stdout = report::grade(&chains, &net.source.1, &tex_name, fmt);
    Ok(out)
}

pub(super) fn run_explain(a: ExplainArgs) -> Result<Output> {
    let Loaded {
        mut net,
        point,
        mut out,
        names,
    } = match load_program(&a.program, |n, p, o| shaped::explain(&a, n, p, o))? {
        Program::Done(out) => return Ok(out),
        Program::Scalar(l) => *l,
    };
    let v = program_var(&net, &a.wrt)?;
    if v == net.output_def().name {
        let n = net.name(v);
        return Err(Error::Usage(format!(
            "--wrt {n}: `{n}` is the output, and ∂{n}/∂{n} = 1 has no chain to explain; ask for a name it depends on (an input or an intermediate)"
        )));
    }
    note_digits(&a.program.opts.eval, &mut out);
    out.stdout = render(names, || {
        report::explain(
            &mut net,
            v,
            given(&point),
            numbers(&a.program.opts.eval),
            style(a.program.opts.eval.format),
        )
    })?;
    Ok(out)
}

pub(super) fn run_fd(a: FdArgs) -> Result<Output> {
    let Loaded {
        mut net,
        point,
        mut out,
        ..
    } = match load_program(&a.program, |n, p, o| shaped::fd(&a, n, p, o))? {
        Program::Done(out) => return Ok(out),
        Program::Scalar(l) => *l,
    };
    let fmt = text_or_json(a.program.opts.eval.format, "fd")?;
    let delta = fd::parse_step(&a.delta)?;
    let schemes = fd::parse_schemes(&a.scheme)?;
    let arith: fd::Arith = a.arith.parse()?;
    let size = net.store.dag_size(net.output_def().expanded);
    fd::check_work(size, net.params.len(), 1, &schemes, &[arith])?;
    let obj = fd::ProgramObjective::new(&mut net, &point)?;
    let r = fd::check_gradient(&obj, &delta, &schemes, arith)?;
    gradient_notes(&obj, &mut out);
    drop(obj);
    out.stdout = report::fd(&net, &point, &r, a.program.opts.eval.digits, fmt);
    Ok(out)
}

/// The notes of the gradient the differences are measured against, on standard error.
fn gradient_notes(obj: &fd::ProgramObjective, out: &mut Output) {
    let notes = obj.notes().iter();
    out.warnings
        .extend(notes.map(|n| format!("note: the gradient's value: {n}")));
}

pub(super) fn run_sweep(a: SweepArgs) -> Result<Output> {
    let (source, tree) = read_parsed(&a.program)?;
    if network::is_shaped(&tree) {
        return Err(shaped::not_yet("sweep"));
    }
    let fmt = text_or_json(a.program.opts.eval.format, "sweep")?;
    // Before any work: no output may overwrite the program or another output.
    let writes: Vec<(&str, &str)> = [("--csv", &a.csv), ("--plot", &a.plot)]
        .into_iter()
        .filter_map(|(flag, p)| p.as_deref().map(|p| (flag, p)))
        .collect();
    let files = crate::files::Outputs::plan(&[a.program.file.as_str()], &writes)?;
    let Loaded {
        mut net,
        point,
        mut out,
        ..
    } = load_network(&a.program, tree, &source)?;
    let deltas = fd::parse_deltas(&a.deltas)?;
    let schemes = fd::parse_schemes(&a.scheme)?;
    let ariths = fd::parse_ariths(&a.arith)?;
    let measure = match a.measure {
        MeasureArg::Squared => fd::Measure::Squared,
        MeasureArg::Norm => fd::Measure::Norm,
    };
    if let Some(path) = &a.plot {
        plot::check_svg_path(path)?;
    }
    let size = net.store.dag_size(net.output_def().expanded);
    fd::check_work(size, net.params.len(), deltas.len(), &schemes, &ariths)?;
    let obj = fd::ProgramObjective::new(&mut net, &point)?;
    let r = fd::sweep(&obj, &deltas, &schemes, &ariths)?;
    gradient_notes(&obj, &mut out);
    drop(obj);
    // Everything rendered before anything is written.
    let mut contents = Vec::new();
    if let Some(path) = &a.csv {
        contents.push((path, plot::sweep_csv(&r)));
    }
    if let Some(path) = &a.plot {
        let title = format!(
            "{}: {} at {}",
            net.source.1,
            net.name(net.output_def().name),
            report::point_text(&net.store, &point)
        );
        contents.push((path, plot::sweep_svg(&r, &title, measure)?));
    }
    for (path, text) in contents {
        files.write(path, text.as_bytes())?;
        out.warnings.push(format!("wrote {path}"));
    }
    out.stdout = report::sweep(&net, &point, &r, measure, fmt);
    Ok(out)
}

pub(super) fn run_graph(a: GraphArgs) -> Result<Output> {
    let program = a.program();
    let (source, tree) = read_parsed(&program)?;
    // Before any work: the file is named for its format, and is not the program.
    let files = plan_output(&a.file, a.output.as_deref(), |path| {
        check_graph_path(path, a.format)
    })?;
    let (g, mut out) = if network::is_shaped(&tree) {
        let (mut net, point, out) = shaped::load(&program, &tree, &source.src, &source.name)?;
        (
            report::shaped_graph(&mut net, &point, numbers(&program.opts.eval)),
            out,
        )
    } else {
        let Loaded {
            mut net,
            point,
            mut out,
            names,
        } = load_network(&program, tree, &source)?;
        note_digits(&program.opts.eval, &mut out);
        let g = in_play(names, || {
            report::graph(&mut net, given(&point), numbers(&program.opts.eval))
        });
        (g, out)
    };
    let g = g.map_err(|e| match e {
        Error::Limit(m) if m.starts_with("the computation graph") => Error::Limit(format!(
            "{m}: `chainrule backprop` shows every value and adjoint of a program of any size as tables"
        )),
        e => e,
    })?;
    let text = match a.format {
        GraphFormat::Svg => report::graph_svg(&g),
        GraphFormat::Dot => report::graph_dot(&g),
    };
    deliver(&mut out, a.output.as_deref(), files, text)?;
    Ok(out)
}

/// An output file named for what it holds: `.svg` for a picture, `.dot` or `.gv` for DOT.
fn check_graph_path(path: &str, format: GraphFormat) -> Result<()> {
    match format {
        GraphFormat::Svg => named_for(
            path,
            "graph",
            ("SVG", &["svg"]),
            ".svg (or give --format dot for a .dot file)",
        ),
        GraphFormat::Dot => named_for(path, "graph", ("DOT", &["dot", "gv"]), ".dot or .gv"),
    }
}

/// `Ok` when `path` ends in one of the extensions `ok` (any case); else an error saying that
/// the `noun` is written as `what`, so the file should be named with `want`.
fn named_for(path: &str, noun: &str, (what, ok): (&str, &[&str]), want: &str) -> Result<()> {
    let ext = std::path::Path::new(path)
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase());
    if ext.as_deref().is_some_and(|e| ok.contains(&e)) {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "-o {path}: the {noun} is written as {what}, so name the file with {want}"
    )))
}

/// The `-o` file of a command that writes one, planned before any work: its name fits
/// the format (`check`), and it is not the program.
fn plan_output(
    program: &str,
    output: Option<&str>,
    check: impl FnOnce(&str) -> Result<()>,
) -> Result<Option<crate::files::Outputs>> {
    let Some(path) = output else {
        return Ok(None);
    };
    check(path)?;
    Ok(Some(crate::files::Outputs::plan(
        &[program],
        &[("-o", path)],
    )?))
}

/// `text` into the file planned by [`plan_output`], or to standard output without one.
fn deliver(
    out: &mut Output,
    output: Option<&str>,
    files: Option<crate::files::Outputs>,
    text: String,
) -> Result<()> {
    match (output, files) {
        (Some(path), Some(files)) => {
            files.write(path, text.as_bytes())?;
            out.warnings.push(format!("wrote {path}"));
        }
        _ => out.stdout = text,
    }
    Ok(())
}

pub(super) fn run_sheet(a: SheetArgs) -> Result<Output> {
    let program = a.program();
    // Before any work: the file is named for its format, and is not the program.
    let files = plan_output(&a.file, a.output.as_deref(), |path| {
        check_sheet_path(path, a.format)
    })?;
    let (source, tree) = read_parsed(&program)?;
    let numbers = numbers(&program.opts.eval);
    let (sheet, mut out) = if network::is_shaped(&tree) {
        let (mut net, point, mut out) = shaped::load(&program, &tree, &source.src, &source.name)?;
        let sheet =
            crate::sheet::shaped(&mut net, &point, &source.src, numbers, &mut out.warnings)?;
        (sheet, out)
    } else {
        let Loaded {
            mut net,
            point,
            mut out,
            names,
        } = load_network(&program, tree, &source)?;
        note_digits(&program.opts.eval, &mut out);
        if net.params.is_empty() {
            return Err(no_parameters(&net));
        }
        let sheet = in_play(names, || {
            crate::sheet::scalar(&mut net, &point, &source.src, numbers)
        })
        .map_err(word_too_large)?;
        (sheet, out)
    };
    let text = match a.format {
        SheetFormat::Html => crate::sheet::html(&sheet)?,
        SheetFormat::Latex => crate::sheet::latex(&sheet),
    };
    deliver(&mut out, a.output.as_deref(), files, text)?;
    Ok(out)
}

/// A sheet's file named for what it holds: `.html` or `.htm` for the page, `.tex` for LaTeX.
fn check_sheet_path(path: &str, format: SheetFormat) -> Result<()> {
    match format {
        SheetFormat::Html => named_for(
            path,
            "sheet",
            ("an HTML page", &["html", "htm"]),
            ".html (or give --format latex for a .tex file)",
        ),
        SheetFormat::Latex => named_for(path, "sheet", ("a LaTeX document", &["tex"]), ".tex"),
    }
}
