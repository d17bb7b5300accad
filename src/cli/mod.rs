//! The command line: flags (clap) turned into calls of the library, results into text.
//!
//! Nothing here prints: [`run`] returns what to print, so the binary stays a few lines and
//! tests can call the commands directly.

mod args;
mod expr;
mod matrix;
mod program;
mod shaped;

pub use args::{
    CheckArgs, Cli, Command, DiffArgs, EvalArgs, EvalOpts, ExplainArgs, FdArgs, FloatKind, Format,
    GradArgs, GradForm, GradeArgs, GraphArgs, GraphFormat, MeasureArg, ProgramArgs, ProgramOpts,
    SheetArgs, SheetFormat, SimplifyArgs, SweepArgs, argument_hint,
};

use crate::error::{Error, Request, Result};
use crate::eval::{Mode, Point, format};
use crate::expr::{Store, Sym};
use crate::report;
use crate::syntax;
use expr::{run_diff, run_eval, run_simplify};
use program::{
    run_backprop, run_check, run_explain, run_fd, run_grad, run_grade, run_graph, run_sheet,
    run_sweep,
};
use std::io::{self, Read, Write};

/// What a command produced: text for stdout, and notes and warnings for stderr.
#[derive(Debug, Default)]
pub struct Output {
    /// For standard output, before `stream`. Only part of it when `stream` is set (`backprop`
    /// writes its report there): read the whole with [`Output::text`].
    pub stdout: String,
    /// For standard output after `stdout`: a report written out as it is made, not held
    /// whole (a large program's backward pass: [`Output::write_to`]).
    pub stream: Option<Stream>,
    /// For standard error.
    pub warnings: Vec<String>,
    /// The exit code when the command ran but its answer is "no" (`check` of a wrong claim: 1).
    pub exit: u8,
}

/// A report still to be written, to the writer it is given.
pub struct Stream(Box<WriteOut>);

/// What writes a [`Stream`]'s report.
type WriteOut = dyn FnOnce(&mut dyn Write) -> io::Result<()> + Send;

impl Stream {
    /// The report `write` writes.
    pub fn new(write: impl FnOnce(&mut dyn Write) -> io::Result<()> + Send + 'static) -> Self {
        Stream(Box::new(write))
    }
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stream")
    }
}

impl Output {
    /// All of standard output as one text: `stdout`, then the stream written out.
    pub fn text(&mut self) -> io::Result<String> {
        let mut bytes = std::mem::take(&mut self.stdout).into_bytes();
        if let Some(Stream(write)) = self.stream.take() {
            write(&mut bytes)?;
        }
        String::from_utf8(bytes).map_err(io::Error::other)
    }

    /// Writes standard output to `out` (the front end's standard output): `stdout`, then the
    /// stream, made on a worker thread (the stack the command ran with: a report prints
    /// formulas recursively). `Err` is a panic while writing ([`Error::Internal`]);
    /// `Ok(Err(_))` a failed write (a closed pipe included).
    pub fn write_to(self, out: impl Write + Send + 'static) -> Result<io::Result<()>> {
        let Output { stdout, stream, .. } = self;
        crate::worker::run(move || {
            let mut w = io::BufWriter::with_capacity(1 << 16, out);
            let written = w.write_all(stdout.as_bytes()).and_then(|()| match stream {
                Some(Stream(write)) => write(&mut w),
                None => Ok(()),
            });
            Ok(written.and_then(|()| w.flush()))
        })
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<Output> {
    run_command(cli).map_err(worded)
}

/// A library error in the words of the command line: a [`Request`] names the flag that
/// makes it.
fn worded(e: Error) -> Error {
    let Error::Request(r) = e else {
        return e;
    };
    Error::Usage(match r {
        Request::NoValue { name } => no_value(&name),
        Request::NoDefinition { name } => {
            format!("--of {name}: the program has no definition named `{name}`")
        }
        Request::NotAnInput { name, output } => {
            format!("--data {name}: `{name}` is not an input of `{output}`")
        }
        Request::ParameterAsData { name } => {
            format!("--data {name}: the program's `wrt` names `{name}` as a parameter")
        }
        Request::NotRational => format!("{r} (use --arith f64 or mpfr:BITS)"),
    })
}

/// A program command's result, with an input that has no value pointed at where the program
/// first uses it (the file is read again only then; a program from standard input is not).
fn in_program(file: &str, result: Result<Output>) -> Result<Output> {
    let Err(Error::Request(Request::NoValue { name })) = result else {
        return result;
    };
    let place = (file != "-")
        .then(|| std::fs::read_to_string(file).ok())
        .flatten()
        .and_then(|src| {
            let (_, start, end) = syntax::name_spans(&src)
                .into_iter()
                .find(|(n, _, _)| *n == name)?;
            Some((src, start, end))
        });
    match place {
        Some((src, start, end)) => Err(crate::error::SourceError::new(
            file,
            &src,
            start,
            end,
            format!("no value for `{name}`"),
            "this has no value",
        )
        .with_help(if name == "e" {
            "here `e` is a name, not Euler's number: write e^x as exp(x) (`\\exp(x)` in LaTeX), or give the name e a value in the program's `at` line".to_string()
        } else if has_take(&src, file) {
            // The values of `take` go with its functions, which only `grade` puts in.
            format!(
                "the program's `take` gives values to `grade` only, with the functions it takes; here its unspecified functions stay unspecified, so numbers need a program that defines them (`σ(t) = relu(t)`) and an `at` line (`at {name} = 1`)"
            )
        } else {
            format!(
                "give it one in the program's `at` line (`at {name} = 1`) or with --at {name}=1"
            )
        })
        .into()),
        None => Err(Error::Request(Request::NoValue { name })),
    }
}

/// Whether the program `src` has a `take` statement.
fn has_take(src: &str, file: &str) -> bool {
    syntax::parse_program(src, file).is_ok_and(|p| {
        p.stmts
            .iter()
            .any(|(s, _)| matches!(s, syntax::ast::Stmt::Take(_)))
    })
}

/// The error for an input without a value.
fn no_value(name: &str) -> String {
    if name == "e" {
        // `e^{-x}` pasted from LaTeX: a value of 1 would be a wrong number, not Euler's.
        return "no value for `e`: here `e` is a name, not Euler's number; write e^x as exp(x) (`\\exp(x)` in LaTeX), or give the name e a value with --at e=…".to_string();
    }
    format!("no value for `{name}`: give one, e.g. --at {name}=1")
}

fn run_command(cli: Cli) -> Result<Output> {
    // A program command's file, to point into when an input has no value.
    let file = match (&cli.command, &cli.file) {
        (Some(Command::Backprop(a)), _) => Some(a.file.clone()),
        (Some(Command::Graph(a)), _) => Some(a.file.clone()),
        (Some(Command::Sheet(a)), _) => Some(a.file.clone()),
        (
            Some(
                Command::Grad(GradArgs { program, .. })
                | Command::Explain(ExplainArgs { program, .. })
                | Command::Fd(FdArgs { program, .. })
                | Command::Sweep(SweepArgs { program, .. })
                | Command::Check(CheckArgs { program, .. })
                | Command::Grade(GradeArgs { program, .. }),
            ),
            _,
        ) => Some(program.file.clone()),
        (None, file) => file.clone(),
        _ => None,
    };
    // `--standalone`: the command's LaTeX as a document, titled with the command.
    let standalone = standalone_title(&cli)?;
    let result = match (cli.command, cli.file) {
        (Some(Command::Diff(a)), _) => run_diff(a),
        (Some(Command::Eval(a)), _) => run_eval(a),
        (Some(Command::Simplify(a)), _) => run_simplify(a),
        (Some(Command::Backprop(a)), _) => run_backprop(a),
        (Some(Command::Grad(a)), _) => run_grad(a),
        (Some(Command::Explain(a)), _) => run_explain(a),
        (Some(Command::Fd(a)), _) => run_fd(a),
        (Some(Command::Sweep(a)), _) => run_sweep(a),
        (Some(Command::Check(a)), _) => run_check(a),
        (Some(Command::Grade(a)), _) => run_grade(a),
        (Some(Command::Graph(a)), _) => run_graph(a),
        (Some(Command::Sheet(a)), _) => run_sheet(a),
        (None, Some(file)) => run_backprop(ProgramArgs {
            file,
            opts: cli.opts,
        }),
        (None, None) => Err(Error::Usage(
            "nothing to do: give a program file (e.g. `chainrule examples/hw7_relu.chain`) or a subcommand; see --help"
                .into(),
        )),
    };
    let result = match file {
        Some(file) => in_program(&file, result),
        None => result,
    };
    match standalone {
        Some(title) => result.and_then(|mut out| {
            let body = out.text().map_err(|e| Error::Internal(e.to_string()))?;
            out.stdout = report::standalone(&title, &body);
            Ok(out)
        }),
        None => result,
    }
}

/// The title of the LaTeX document `--standalone` asks for (LaTeX text), or `None` without
/// it; `--standalone` without `--format latex` is refused.
fn standalone_title(cli: &Cli) -> Result<Option<String>> {
    let (name, eval, file) = match (&cli.command, &cli.file) {
        (Some(Command::Diff(a)), _) => ("diff", &a.eval, None),
        (Some(Command::Eval(a)), _) => ("eval", &a.eval, None),
        (Some(Command::Backprop(a)), _) => ("backprop", &a.opts.eval, Some(&a.file)),
        (Some(Command::Grad(a)), _) => ("grad", &a.program.opts.eval, Some(&a.program.file)),
        (Some(Command::Explain(a)), _) => ("explain", &a.program.opts.eval, Some(&a.program.file)),
        (Some(Command::Check(a)), _) => ("check", &a.program.opts.eval, Some(&a.program.file)),
        (Some(Command::Fd(a)), _) => ("fd", &a.program.opts.eval, None),
        (Some(Command::Sweep(a)), _) => ("sweep", &a.program.opts.eval, None),
        (Some(Command::Grade(a)), _) => ("grade", &a.program.opts.eval, None),
        (None, file) => ("backprop", &cli.opts.eval, file.as_ref()),
        (Some(Command::Graph(_) | Command::Sheet(_) | Command::Simplify(_)), _) => return Ok(None),
    };
    if !eval.standalone {
        return Ok(None);
    }
    if eval.format != Format::Latex {
        return Err(Error::Usage(format!(
            "--standalone makes a LaTeX document: give it with --format latex (`chainrule {name} … --format latex --standalone`)"
        )));
    }
    let mut title = format!("chainrule {name}");
    if let Some(file) = file.filter(|f| *f != "-") {
        title.push_str(&format!(": \\texttt{{{}}}", report::latex_text(file)));
    }
    Ok(Some(title))
}

fn read_program(file: &str) -> Result<(String, String)> {
    if file == "-" {
        let (s, n) = read_source(file)?;
        return Ok((s, n.to_string()));
    }
    let bytes = std::fs::read(file).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "there is no such file".to_string(),
            std::io::ErrorKind::IsADirectory => "it is a directory, not a file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.to_string(),
        };
        Error::Usage(format!("cannot read {file}: {why}"))
    })?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok((s, file.to_string())),
        Err(e) => {
            // Where the first bad byte is, as a line and column a student can find.
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let text = String::from_utf8_lossy(good);
            let line = text.matches('\n').count() + 1;
            let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let byte = e.as_bytes()[good.len()];
            Err(Error::Usage(format!(
                "cannot read {file}: it is not UTF-8 text (byte 0x{byte:02X} at line {line}, column {column}); save it as UTF-8"
            )))
        }
    }
}

/// Batch results are IEEE doubles, NaN or infinite outside the domain, as NumPy's would
/// be; say how many rows are, so that no one mistakes them for values.
fn warn_undefined_rows(out: &mut Output) {
    let bad: Vec<usize> = out
        .stdout
        .lines()
        .skip(1)
        .enumerate()
        .filter(|(_, l)| {
            l.split(',')
                .any(|c| c.parse::<f64>().map_or(true, |x| !x.is_finite()))
        })
        .map(|(i, _)| i + 1)
        .collect();
    if let Some(first) = bad.first() {
        out.warnings.push(format!(
            "warning: {} of the points (the first is row {first}) are outside the domain: their values are NaN or infinite",
            bad.len()
        ));
    }
}

/// A text file's contents (`-` for standard input), with the same messages as programs.
fn read_text_file(file: &str) -> Result<String> {
    read_program(file).map(|(text, _)| text)
}

fn style(f: Format) -> report::Style {
    match f {
        Format::Text => report::Style::Text,
        Format::Latex => report::Style::Latex,
        Format::Json => report::Style::Json,
    }
}

fn numbers(opts: &EvalOpts) -> report::Numbers {
    report::Numbers {
        mode: mode(opts),
        digits: opts.digits,
    }
}

fn read_source(arg: &str) -> Result<(String, &'static str)> {
    if arg == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::Usage(format!("cannot read standard input: {e}")))?;
        Ok((s, "<stdin>"))
    } else {
        Ok((arg.to_string(), "<expression>"))
    }
}

/// Parses `--at` values (`x=1,y=3/4`) into an exact point. Vector and matrix values
/// (`x=[1,2]`) are refused: they are read by [`parse_point_literals`].
pub fn parse_point(store: &mut Store, specs: &[String]) -> Result<Point> {
    let mut point = Point::new();
    for (name, value) in parse_point_literals(specs)? {
        let syntax::Literal::Scalar(v, text) = value else {
            return Err(Error::Usage(format!(
                "--at {name}: vector and matrix values are not supported by this command yet"
            )));
        };
        let s = store.intern(&name);
        store.set_written_value(s, &v, &text);
        point.insert(s, v);
    }
    Ok(point)
}

/// Parses `--at` values, each a number, a vector or a matrix
/// (`A=[[1,2],[3,4]],x=[1,2],c=3`, split at the commas outside brackets), in the order
/// given: names checked as for [`parse_point`], a name given twice refused.
pub fn parse_point_literals(specs: &[String]) -> Result<Vec<(String, syntax::Literal)>> {
    let mut values: Vec<(String, syntax::Literal)> = Vec::new();
    for spec in specs {
        for item in syntax::split_top_level(spec)
            .into_iter()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let Some((name, value)) = item.split_once('=') else {
                return Err(Error::Usage(format!(
                    "--at expects NAME=VALUE pairs separated by commas, e.g. --at x=1,y=0.5; got `{item}`"
                )));
            };
            let name = cli_name("--at", name)?;
            let v = syntax::parse_value_literal(value.trim())
                .map_err(|msg| Error::Usage(format!("--at {name}={}: {msg}", value.trim())))?;
            if values.iter().any(|(n, _)| *n == name) {
                return Err(Error::Usage(format!("--at gives `{name}` twice")));
            }
            values.push((name, v));
        }
    }
    Ok(values)
}

/// A name given on the command line (`--wrt`, `--at`), normalized as the parser normalizes
/// names, when it is one by the grammar's rule.
fn cli_name(flag: &str, raw: &str) -> Result<String> {
    let name = syntax::normalize_name(raw.trim());
    if syntax::is_name(&name) {
        Ok(name)
    } else {
        Err(Error::Usage(format!(
            "{flag}: `{name}` is not a variable name (a name is a letter, then letters, digits and `_`: x, w1, y_hat, ŷ)"
        )))
    }
}

/// A warning for each name of `point` that does not occur in `names` while a look-alike does.
fn point_lookalikes<'a>(
    store: &'a Store,
    point: &Point,
    names: impl Iterator<Item = &'a str> + Clone,
    where_: &str,
) -> Vec<String> {
    point_names(store, point)
        .into_iter()
        .filter_map(|s| syntax::lookalike_warning(store.name(s), names.clone(), where_))
        .collect()
}

/// The names of a point in the order of their text: a [`Point`]'s own order is its hash
/// map's, which changes from run to run, and what is said about its names must not.
fn point_names(store: &Store, point: &Point) -> Vec<Sym> {
    let mut names: Vec<Sym> = point.keys().copied().collect();
    names.sort_by(|a, b| store.name(*a).cmp(store.name(*b)));
    names
}

/// An exact value from `2`, `-0.5`, `3/4`, `1e-4`, `-1.5E3` ([`syntax::parse_exact`]).
pub fn parse_value(text: &str) -> std::result::Result<rug::Rational, String> {
    syntax::parse_exact(text).map_err(|e| e.message(text))
}

/// Says so when `--digits` asks for more digits than `--precision` carries: MPFR values print
/// at most that many ([`format::decimal`]), not digits of noise.
fn note_digits(opts: &EvalOpts, out: &mut Output) {
    let most = format::digits_sure(opts.precision);
    if opts.float != Some(FloatKind::F64) && opts.digits > most {
        out.warnings.push(format!(
            "note: at {} bits a value is sure to {most} significant digit{s}, so values computed in MPFR print at most {most} (not the {} of --digits); raise --precision for more",
            opts.precision,
            opts.digits,
            s = if most == 1 { "" } else { "s" }
        ));
    }
}

fn mode(opts: &EvalOpts) -> Mode {
    match opts.float {
        Some(FloatKind::F64) => Mode::F64,
        Some(FloatKind::Mpfr) => Mode::Mpfr(opts.precision),
        None => Mode::Auto(opts.precision),
    }
}

fn text_or_json(f: Format, cmd: &str) -> Result<report::Style> {
    match f {
        Format::Latex if cmd == "grade" => Err(Error::Usage(
            "`grade` prints text or JSON (the solution it grades is the LaTeX)".to_string(),
        )),
        Format::Latex => Err(Error::Usage(format!(
            "`{cmd}` prints text or JSON; for a figure use `chainrule sweep --plot FILE.svg`"
        ))),
        f => Ok(style(f)),
    }
}

#[cfg(test)]
mod tests {
    use super::{Output, Stream};

    #[test]
    fn the_text_of_an_output_is_its_stdout_then_its_stream() {
        let mut out = Output {
            stdout: "held ".into(),
            stream: Some(Stream::new(|w| w.write_all(b"and streamed"))),
            ..Output::default()
        };
        assert_eq!(out.text().unwrap(), "held and streamed");
        // Taken: asked again, there is nothing left.
        assert_eq!(out.text().unwrap(), "");
    }

    #[test]
    fn a_stream_that_fails_is_an_error_of_the_text() {
        let mut out = Output {
            stream: Some(Stream::new(|_| Err(std::io::Error::other("no room")))),
            ..Output::default()
        };
        assert_eq!(out.text().unwrap_err().to_string(), "no room");
    }
}
