//! The command line: flags (clap) turned into calls of the library, results into text.
//!
//! Nothing here prints: [`run`] returns what to print, so the binary stays a few lines and
//! tests can call the commands directly.

use crate::error::{Error, Request, Result, TooLarge};
use crate::eval::{self, Mode, Point, Value, format};
use crate::expr::{Condition, Id, Store, Sym};
use crate::network::{self, Network};
use crate::print;
use crate::report;
use crate::span::Span;
use crate::syntax;
use crate::{fd, plot};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::Read;

/// chainrule: symbolic derivatives and back-propagation, step by step.
#[derive(Parser, Debug)]
#[command(
    name = "chainrule",
    version,
    about,
    after_help = concat!(
        "Examples:\n",
        "  chainrule examples/hw7_relu.chain            the homework's forward and backward passes\n",
        "  chainrule grad examples/hw7_abstract.chain   ∂E/∂w in chain-rule form\n",
        "  chainrule fd examples/hw7_relu.chain         finite-difference check, as NumPy would\n",
        "  chainrule diff '(y - w*x)^2' --wrt w\n",
        "  chainrule diff 'sigmoid(w*x)' --wrt w --at w=2,x=1 --format latex\n",
        "  chainrule eval 'exp(1)' --precision 256\n",
        "\nConventions at kinks: relu'(0) = step(0) = 0 (the homework's σ'(x) = 1{x > 0}, as in\n",
        "PyTorch and JAX); abs'(0) = sign(0) = 0; max and min share their derivative equally\n",
        "among tied arguments (max(a, b) at a = b: 1/2 each); max(x, x) is x."
    )
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// A program file: with no subcommand, `chainrule FILE` runs `backprop` on it.
    pub file: Option<String>,
    /// Program options, for `chainrule FILE`.
    #[command(flatten)]
    pub opts: ProgramOpts,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Differentiate an expression.
    #[command(after_help = concat!(
        "Examples:\n",
        "  chainrule diff '(y - w*x)^2' --wrt w\n",
        "      ∂/∂w (y - w*x)^2 = -2*x*(y - w*x)\n",
        "  chainrule diff '(y - w3*relu(w2*relu(w1*x)))^2' --wrt w1,w2,w3 --at x=1,y=10,w1=2,w2=2,w3=3\n",
        "  chainrule diff 'x^3' --wrt x --order 2 --format latex\n",
        "  chainrule diff --wrt p -- '-y*log(p)'\n",
        "\nThe expression may start with '-'; '-' alone reads it from standard input.\n",
        "Conventions at kinks: relu'(0) = step(0) = 0; abs'(0) = sign(0) = 0."
    ))]
    Diff(DiffArgs),
    /// Evaluate an expression at a point.
    #[command(after_help = concat!(
        "Examples:\n",
        "  chainrule eval '(y - w*x)^2' --at x=1,y=10,w=2\n",
        "      (y - w*x)^2 = 64\n",
        "  chainrule eval 'sigmoid(1)' --precision 200 --digits 50\n",
        "  chainrule eval 'exp(1)' --float f64\n"
    ))]
    Eval(EvalArgs),
    /// The forward and backward passes of a program at a point, step by step.
    #[command(after_help = concat!(
        "Example:\n",
        "  chainrule backprop examples/hw7_relu.chain\n",
        "  chainrule backprop examples/hw7_sigmoid.chain --format latex\n",
        "  chainrule backprop examples/hw7_relu.chain --at w1=-1 --format json\n",
        "\nConventions at kinks: relu'(0) = step(0) = 0 (the homework's σ'(x) = 1{x > 0});\n",
        "kinks met at the point are flagged."
    ))]
    Backprop(ProgramArgs),
    /// The gradient of a program's output, in chain-rule form and expanded.
    #[command(after_help = concat!(
        "Example:\n",
        "  chainrule grad examples/hw7_abstract.chain\n",
        "      ∂E/∂w1 = ∂_2 ℓ(y, ŷ) · w3 · σ'(z2) · w2 · σ'(z1) · x\n",
        "  chainrule grad examples/hw7_relu.chain --form expanded --format latex\n"
    ))]
    Grad(GradArgs),
    /// The chain-rule derivation of one partial derivative, path by path.
    #[command(after_help = concat!(
        "Example:\n",
        "  chainrule explain examples/hw7_relu.chain --wrt w2\n"
    ))]
    Explain(ExplainArgs),
    /// Check the gradient with finite differences at one step.
    #[command(after_help = concat!(
        "Examples:\n",
        "  chainrule fd examples/hw7_relu.chain --scheme all\n",
        "      (the homework's 24.0036, 23.9964, 24 for w1 at Δ = 1e-4, in IEEE double)\n",
        "  chainrule fd examples/hw7_relu.chain --arith exact --delta 1/1000\n",
        "\nQuotients: forward (f(w + Δe) - f(w))/Δ, backward (f(w) - f(w - Δe))/Δ,\n",
        "central (f(w + Δe) - f(w - Δe))/(2Δ). The error is quotient − symbolic gradient."
    ))]
    Fd(FdArgs),
    /// Sweep the step size and watch truncation error meet rounding error.
    #[command(after_help = concat!(
        "Examples:\n",
        "  chainrule sweep examples/hw7_sigmoid.chain --plot sweep.svg\n",
        "  chainrule sweep examples/hw7_sigmoid.chain --arith f64,mpfr:256 --scheme forward,central --plot v.svg\n",
        "  chainrule sweep examples/hw7_relu.chain --deltas 1e-8,1e-6,1e-4 --csv errors.csv\n",
        "\nThe error measure is the homework's squared error ‖∇̂ − ∇‖² (--measure norm for ‖∇̂ − ∇‖).\n",
        "Teaching note: the homework's Q2 code forgets to divide by Δ (and by 2Δ for the central\n",
        "difference); the quotients here are the correct ones."
    ))]
    Sweep(SweepArgs),
    /// Check a claimed derivative against the chain rule (catch a homework's mistakes).
    #[command(after_help = concat!(
        "Examples (the seed homework's own claims):\n",
        "  chainrule check examples/hw7_abstract.chain --wrt w3 --claim \"∂_2 ℓ(y, ŷ) · x2 · x2\"\n",
        "  chainrule check examples/hw7_abstract.chain --wrt w2 --claim \"∂_2 ℓ(y, ŷ) · w3 · σ'(x2) · x1\"\n",
        "  chainrule check examples/hw7_relu.chain --wrt w1 --claim \"-2*(y - ŷ)*w3*step(z2)*w2*step(z1)*x\"\n",
        "\nThe claim may use the program's inputs, intermediates and functions, the adjoints of the\n",
        "backward table (δ_z2, or delta_z2) and d(E, w3). Unspecified functions are replaced by\n",
        "random polynomials to compare values; a difference found is certain. Exits 1 when the\n",
        "claim is wrong or cannot be decided."
    ))]
    Check(CheckArgs),
}

/// `chainrule check`
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Program options.
    #[command(flatten)]
    pub program: ProgramArgs,
    /// The variable: the claim is for ∂E/∂(this).
    #[arg(long, required = true)]
    pub wrt: String,
    /// The claimed formula for the derivative.
    #[arg(long, required = true, allow_hyphen_values = true)]
    pub claim: String,
}

/// `chainrule fd`
#[derive(Args, Debug)]
pub struct FdArgs {
    /// Program options.
    #[command(flatten)]
    pub program: ProgramArgs,
    /// The step Δ (exact: 1e-4 is 1/10000).
    #[arg(long, default_value = "1e-4", allow_hyphen_values = true)]
    pub delta: String,
    /// Schemes: forward, backward, central, a comma list, or all.
    #[arg(long, default_value = "all")]
    pub scheme: String,
    /// Arithmetic of the quotients: f64 (as NumPy), mpfr:BITS, or exact.
    #[arg(long, default_value = "f64")]
    pub arith: String,
}

/// `chainrule sweep`
#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Program options.
    #[command(flatten)]
    pub program: ProgramArgs,
    /// Steps: FROM:TO:COUNT log-spaced (like numpy.logspace), or a comma list.
    #[arg(long, default_value = "1e-10:1e-1:10", allow_hyphen_values = true)]
    pub deltas: String,
    /// Schemes: forward, backward, central, a comma list, or all.
    #[arg(long, default_value = "all")]
    pub scheme: String,
    /// Arithmetics to compare, comma-separated: f64, mpfr:BITS, exact.
    #[arg(long, default_value = "f64")]
    pub arith: String,
    /// What to tabulate and plot: the squared error (as the homework) or the norm.
    #[arg(long, value_enum, default_value_t = MeasureArg::Squared)]
    pub measure: MeasureArg,
    /// Also write the table as CSV to this file.
    #[arg(long, value_name = "PATH")]
    pub csv: Option<String>,
    /// Also write a log-log plot as SVG to this file.
    #[arg(long, value_name = "PATH.svg")]
    pub plot: Option<String>,
}

/// Error measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MeasureArg {
    /// ‖∇̂ − ∇‖²
    Squared,
    /// ‖∇̂ − ∇‖
    Norm,
}

/// Options of commands that read a program.
#[derive(Args, Debug)]
pub struct ProgramArgs {
    /// The program file (`-` reads standard input).
    pub file: String,
    /// Program options.
    #[command(flatten)]
    pub opts: ProgramOpts,
}

/// What to do with a program once read: which output, which inputs are data, and how to
/// evaluate and print (shared by every program command and by `chainrule FILE`).
#[derive(Args, Debug)]
pub struct ProgramOpts {
    /// The definition to treat as the output (default: the last one).
    #[arg(long, value_name = "NAME")]
    pub of: Option<String>,
    /// Inputs that are data, not parameters (`--data x,y`): without a `wrt` in the program,
    /// the parameters are every other input.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub data: Vec<String>,
    /// Evaluation options (`--at` overrides the program's `at`).
    #[command(flatten)]
    pub eval: EvalOpts,
}

/// `chainrule grad`
#[derive(Args, Debug)]
pub struct GradArgs {
    /// Program options.
    #[command(flatten)]
    pub program: ProgramArgs,
    /// Which form of each gradient to print.
    #[arg(long, value_enum, default_value_t = GradForm::Both)]
    pub form: GradForm,
    /// Evaluate the output and its gradient in f64 at every point of a CSV file (a header of
    /// input names, then one point per row), with the compiled tape on all cores; prints CSV.
    #[arg(long, value_name = "FILE.csv")]
    pub points: Option<String>,
}

/// Forms of a gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GradForm {
    /// In terms of the intermediates and local derivatives, along the chain.
    Intermediates,
    /// Fully expanded in the inputs.
    Expanded,
    /// Both.
    Both,
}

/// `chainrule explain`
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Program options.
    #[command(flatten)]
    pub program: ProgramArgs,
    /// The variable to explain ∂E/∂v for: any name of the program (a parameter, an
    /// intermediate or a data input).
    #[arg(long, required = true)]
    pub wrt: String,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Plain text in the input syntax.
    Text,
    /// LaTeX, for KaTeX or a homework.
    #[value(alias = "tex")]
    Latex,
    /// JSON, for programs.
    Json,
}

/// Arithmetic choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FloatKind {
    /// IEEE double.
    F64,
    /// MPFR at --precision bits, even when the exact value is rational.
    Mpfr,
}

/// Options shared by commands that evaluate.
#[derive(Args, Debug, Clone)]
pub struct EvalOpts {
    /// The point: `x=1,y=10,w1=2` (integers, decimals, fractions like 3/4, 1e-4). Repeatable.
    #[arg(long, value_name = "NAME=VALUE,...", allow_hyphen_values = true)]
    pub at: Vec<String>,
    /// MPFR precision in bits, used when the value is not rational.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u32).range(2..=1_000_000))]
    pub precision: u32,
    /// Significant digits printed for inexact values (JSON carries all of them).
    #[arg(long, default_value_t = format::DEFAULT_DIGITS, value_parser = parse_digits)]
    pub digits: usize,
    /// Evaluate in IEEE double (`f64`), or force MPFR (`mpfr`) instead of exact arithmetic.
    #[arg(long, value_enum)]
    pub float: Option<FloatKind>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

fn parse_digits(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=100_000).contains(&n) => Ok(n),
        _ => Err("must be a whole number from 1 to 100000".into()),
    }
}

/// `chainrule diff`
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The expression (`-` reads standard input).
    #[arg(allow_hyphen_values = true)]
    pub expr: String,
    /// Variable(s) to differentiate by, comma-separated or repeated: one derivative each.
    #[arg(long, required = true, value_delimiter = ',')]
    pub wrt: Vec<String>,
    /// Order of the derivative.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub order: u32,
    /// Evaluation options.
    #[command(flatten)]
    pub eval: EvalOpts,
}

/// `chainrule eval`
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The expression (`-` reads standard input).
    #[arg(allow_hyphen_values = true)]
    pub expr: String,
    /// Evaluate in f64 at every point of a CSV file (a header of variable names, then one
    /// point per row) with the compiled tape; prints a CSV column of values.
    #[arg(long, value_name = "FILE.csv")]
    pub points: Option<String>,
    /// Evaluation options.
    #[command(flatten)]
    pub eval: EvalOpts,
}

/// The subcommands' names, for hints.
const COMMANDS: [&str; 8] = [
    "diff", "eval", "backprop", "grad", "explain", "fd", "sweep", "check",
];

/// Hints for command lines that clap would answer misleadingly, checked before clap parses
/// them: a mistyped command (`chainrule backprob FILE`), a format given as a flag
/// (`--latex`), `--wrt` for a command that takes every parameter (`grad --wrt w1`).
pub fn argument_hint(args: &[String]) -> Option<String> {
    let first = args.get(1)?;
    let list = COMMANDS.join(", ");
    if !first.starts_with('-')
        && !COMMANDS.contains(&first.as_str())
        && first != "help"
        && !std::path::Path::new(first).exists()
        && (args.len() > 2 || !first.contains(['.', '/', '\\']))
    {
        let close = COMMANDS
            .iter()
            .map(|c| (crate::syntax::edit_distance(first, c), *c))
            .filter(|(d, c)| *d <= 2 && *d < c.len())
            .min();
        return Some(match close {
            Some((_, c)) => format!(
                "unknown command `{first}`; did you mean `{c}`? The commands are {list} (or `chainrule FILE` for backprop)"
            ),
            None => format!(
                "unknown command `{first}`, and no file of that name; the commands are {list} (or `chainrule FILE` for backprop)"
            ),
        });
    }
    for a in &args[1..] {
        if a == "--" {
            break;
        }
        let flag = a.split('=').next().unwrap_or(a);
        if let Some(format) = match flag {
            "--latex" | "--tex" => Some("latex"),
            "--json" => Some("json"),
            "--text" => Some("text"),
            _ => None,
        } {
            return Some(format!(
                "unknown option `{flag}`: write `--format {format}`"
            ));
        }
    }
    let command = first.as_str();
    if matches!(command, "grad" | "backprop" | "fd" | "sweep")
        && args[2..]
            .iter()
            .take_while(|a| *a != "--")
            .any(|a| a == "--wrt" || a.starts_with("--wrt="))
    {
        return Some(format!(
            "`{command}` has no --wrt: it covers every parameter (the program's `wrt` line, or every input not given as --data); for one partial derivative step by step use `chainrule explain FILE --wrt NAME`"
        ));
    }
    None
}

/// What a command produced: text for stdout, and notes and warnings for stderr.
#[derive(Debug, Default, Clone)]
pub struct Output {
    /// For standard output.
    pub stdout: String,
    /// For standard error.
    pub warnings: Vec<String>,
    /// The exit code when the command ran but its answer is "no" (`check` of a wrong claim: 1).
    pub exit: u8,
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
        .with_help(format!(
            "give it one in the program's `at` line (`at {name} = 1`) or with --at {name}=1"
        ))
        .into()),
        None => Err(Error::Request(Request::NoValue { name })),
    }
}

/// The error for an input without a value.
fn no_value(name: &str) -> String {
    format!("no value for `{name}`: give one, e.g. --at {name}=1")
}

fn run_command(cli: Cli) -> Result<Output> {
    // A program command's file, to point into when an input has no value.
    let file = match (&cli.command, &cli.file) {
        (Some(Command::Backprop(a)), _) => Some(a.file.clone()),
        (
            Some(
                Command::Grad(GradArgs { program, .. })
                | Command::Explain(ExplainArgs { program, .. })
                | Command::Fd(FdArgs { program, .. })
                | Command::Sweep(SweepArgs { program, .. })
                | Command::Check(CheckArgs { program, .. }),
            ),
            _,
        ) => Some(program.file.clone()),
        (None, file) => file.clone(),
        _ => None,
    };
    let result = match (cli.command, cli.file) {
        (Some(Command::Diff(a)), _) => run_diff(a),
        (Some(Command::Eval(a)), _) => run_eval(a),
        (Some(Command::Backprop(a)), _) => run_backprop(a),
        (Some(Command::Grad(a)), _) => run_grad(a),
        (Some(Command::Explain(a)), _) => run_explain(a),
        (Some(Command::Fd(a)), _) => run_fd(a),
        (Some(Command::Sweep(a)), _) => run_sweep(a),
        (Some(Command::Check(a)), _) => run_check(a),
        (None, Some(file)) => run_backprop(ProgramArgs {
            file,
            opts: cli.opts,
        }),
        (None, None) => Err(Error::Usage(
            "nothing to do: give a program file (e.g. `chainrule examples/hw7_relu.chain`) or a subcommand; see --help"
                .into(),
        )),
    };
    match file {
        Some(file) => in_program(&file, result),
        None => result,
    }
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

fn load_network(a: &ProgramArgs) -> Result<(Network, Point, Output)> {
    let (src, name) = read_program(&a.file)?;
    let mut net = network::load(&src, &name, a.opts.of.as_deref())?;
    net.set_data(&a.opts.data)?;
    let extra = parse_point(&mut net.store, &a.opts.eval.at)?;
    // As in a file's `at` line, an intermediate's value is computed, not given.
    if let Some(s) = extra
        .keys()
        .find(|s| net.defs.iter().any(|d| d.name == **s))
    {
        let n = net.store.name(*s);
        return Err(Error::Usage(format!(
            "--at {n}: `{n}` is an intermediate of the program: its value is computed, not given"
        )));
    }
    let point = net.point_with(&extra);
    let names = program_names(&net);
    let mut out = Output {
        warnings: std::mem::take(&mut net.warnings),
        ..Output::default()
    };
    out.warnings.extend(point_lookalikes(
        &net.store,
        &extra,
        names.iter().map(String::as_str),
        "the program",
    ));
    Ok((net, point, out))
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

fn run_backprop(a: ProgramArgs) -> Result<Output> {
    let (mut net, point, mut out) = load_network(&a)?;
    note_digits(&a.opts.eval, &mut out);
    let names = program_names(&net);
    out.stdout = in_play(&names, || {
        report::backprop(
            &mut net,
            &point,
            numbers(&a.opts.eval),
            style(a.opts.eval.format),
        )
    })?;
    Ok(out)
}

fn run_grad(a: GradArgs) -> Result<Output> {
    let (mut net, point, mut out) = load_network(&a.program)?;
    if let Some(file) = &a.points {
        let csv = read_text_file(file)?;
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
    let output = net.output_def();
    if net.params.is_empty() {
        let name = net.name(output.name);
        return Err(Error::Usage(
            if net.store.free_symbols(output.expanded).is_empty() {
                format!(
                    "nothing to differentiate: `{name}` = {} is a constant",
                    print::text(&net.store, output.expanded)
                )
            } else {
                format!(
                    "nothing to differentiate: every input of `{name}` is data, none a parameter"
                )
            },
        ));
    }
    let form = match a.form {
        GradForm::Intermediates => report::Form::Intermediates,
        GradForm::Expanded => report::Form::Expanded,
        GradForm::Both => report::Form::Both,
    };
    let point = if point.is_empty() { None } else { Some(&point) };
    let names = program_names(&net);
    out.stdout = in_play(&names, || {
        report::grad(
            &mut net,
            point,
            numbers(&a.program.opts.eval),
            form,
            style(a.program.opts.eval.format),
        )
    })
    .map_err(word_too_large)?;
    Ok(out)
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
    net.lookup(&name).filter(|s| net.knows(*s)).ok_or_else(|| {
        let names = program_names(net);
        let alike =
            syntax::lookalike_warning(&name, names.iter().map(String::as_str), "the program")
                .map_or(String::new(), |w| {
                    format!(" ({})", w.trim_start_matches("warning: "))
                });
        Error::Usage(format!(
            "--wrt {name}: the program has no variable named `{name}`{alike}"
        ))
    })
}

/// Runs a report with a program's names in play, so that in LaTeX names that would print
/// alike are spelt out (see [`print::with_names_in_play`]).
fn in_play<T>(names: &[String], f: impl FnOnce() -> T) -> T {
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    print::with_names_in_play(&names, f)
}

/// The names of a program's inputs and intermediates.
fn program_names(net: &Network) -> Vec<String> {
    net.store
        .free_symbols(net.output_def().expanded)
        .into_iter()
        .chain(net.defs.iter().map(|d| d.name))
        .map(|s| net.store.name(s).to_string())
        .collect()
}

fn run_check(a: CheckArgs) -> Result<Output> {
    let (mut net, _point, mut out) = load_network(&a.program)?;
    let v = program_var(&net, &a.wrt)?;
    let c = crate::check::check(&mut net, v, &a.claim)?;
    out.stdout = report::check(&mut net, &c, &a.claim, style(a.program.opts.eval.format));
    // A wrong (or undecided) claim exits 1, so that scripts can test it.
    out.exit = u8::from(!c.agrees());
    Ok(out)
}

fn run_explain(a: ExplainArgs) -> Result<Output> {
    let (mut net, point, mut out) = load_network(&a.program)?;
    let v = program_var(&net, &a.wrt)?;
    note_digits(&a.program.opts.eval, &mut out);
    let point = if point.is_empty() { None } else { Some(&point) };
    let names = program_names(&net);
    out.stdout = in_play(&names, || {
        report::explain(
            &mut net,
            v,
            point,
            numbers(&a.program.opts.eval),
            style(a.program.opts.eval.format),
        )
    })
    .map_err(word_too_large)?;
    Ok(out)
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

/// Parses `--at` values (`x=1,y=3/4`) into an exact point.
pub fn parse_point(store: &mut Store, specs: &[String]) -> Result<Point> {
    let mut point = Point::new();
    for spec in specs {
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let Some((name, value)) = item.split_once('=') else {
                return Err(Error::Usage(format!(
                    "--at expects NAME=VALUE pairs separated by commas, e.g. --at x=1,y=0.5; got `{item}`"
                )));
            };
            let name = cli_name("--at", name)?;
            let v = parse_value(value.trim())
                .map_err(|msg| Error::Usage(format!("--at {name}={}: {msg}", value.trim())))?;
            let s = store.intern(&name);
            store.set_written_value(s, &v, value.trim());
            if point.insert(s, v).is_some() {
                return Err(Error::Usage(format!("--at gives `{name}` twice")));
            }
        }
    }
    Ok(point)
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
    point
        .keys()
        .filter_map(|s| syntax::lookalike_warning(store.name(*s), names.clone(), where_))
        .collect()
}

/// An exact value from `2`, `-0.5`, `3/4`, `1e-4`, `-1.5E3` ([`syntax::parse_exact`]).
pub fn parse_value(text: &str) -> std::result::Result<rug::Rational, String> {
    syntax::parse_exact(text).map_err(|e| e.message(text))
}

/// Says so when `--digits` asks for more digits than `--precision` carries: MPFR values print
/// at most that many ([`format::decimal`]), not digits of noise.
fn note_digits(opts: &EvalOpts, out: &mut Output) {
    let most = format::digits_for_bits(opts.precision);
    if opts.float != Some(FloatKind::F64) && opts.digits > most {
        out.warnings.push(format!(
            "note: {} bits carry about {most} significant digits, so values computed in MPFR print at most {most} (not the {} of --digits); raise --precision for more",
            opts.precision, opts.digits
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

/// Where an expression came from: its text and the name diagnostics show for it.
#[derive(Clone, Copy)]
struct Source<'a> {
    text: &'a str,
    name: &'a str,
}

/// Evaluates `id` at the input's point, checking the domain conditions of the input as
/// written (`conditions`); errors point into the source where they can.
fn evaluate_one(
    input: &ExprInput,
    id: Id,
    conditions: &[Condition],
    opts: &EvalOpts,
    out: &mut Output,
) -> Result<Value> {
    let store = &input.store;
    let source = input.source();
    check_values(store, id, &input.point, source)?;
    let (vals, note) = eval::evaluate_guarded(store, &[id], conditions, &input.point, mode(opts))
        .map_err(|e| {
        locate(
            eval::explain_in(store, e, &input.src_name, &input.src),
            source,
        )
    })?;
    if let Some(n) = note {
        out.warnings.push(format!("note: {n}"));
    }
    Ok(vals.into_iter().next().expect("one root, one value"))
}

/// A domain error that names its subexpression (`log of zero in log(x - 1)`), pointed at in
/// the source when the subexpression is written there (spaces aside).
fn locate(e: Error, source: Source<'_>) -> Error {
    let Error::Domain { message, help } = e else {
        return e;
    };
    let place = message.rsplit_once(" in ").and_then(|(_, sub)| {
        // Byte offsets of the source's non-space characters, to map a match back.
        let (squeezed, offsets): (String, Vec<usize>) = source
            .text
            .char_indices()
            .filter(|(_, c)| !c.is_whitespace())
            .map(|(i, c)| (c, i))
            .unzip();
        let wanted: String = sub.chars().filter(|c| !c.is_whitespace()).collect();
        if wanted.is_empty() {
            return None;
        }
        let at = squeezed.find(&wanted)?;
        let first = squeezed[..at].chars().count();
        let last = first + wanted.chars().count() - 1;
        let end = offsets[last] + source.text[offsets[last]..].chars().next()?.len_utf8();
        Some((offsets[first], end))
    });
    match place {
        Some((start, end)) => {
            let e = crate::error::SourceError::new(
                source.name,
                source.text,
                start,
                end,
                message,
                "fails here",
            );
            Error::DomainAt(Box::new(match help {
                Some(h) => e.with_help(h),
                None => e,
            }))
        }
        None => Error::Domain { message, help },
    }
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
        Some((_, start, end)) => {
            let e = crate::error::SourceError::new(
                source.name,
                source.text,
                start,
                end,
                message,
                "this has no value",
            );
            Err(match help {
                Some(h) => e.with_help(h),
                None => e,
            }
            .into())
        }
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

fn read_expression(arg: &str, at: &[String]) -> Result<(ExprInput, Output)> {
    let (src, src_name) = read_source(arg)?;
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

fn run_diff(a: DiffArgs) -> Result<Output> {
    let (mut input, mut out) = read_expression(&a.expr, &a.eval.at)?;
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
        }
        let var = input.store.intern(&name);
        let d = crate::diff::diff_n(&mut input.store, e, var, a.order)?;
        let value = if evaluate {
            Some(evaluate_one(&input, d, &conditions, &a.eval, &mut out)?)
        } else {
            None
        };
        results.push(report::Derivative {
            wrt: name,
            id: d,
            value,
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

fn run_eval(a: EvalArgs) -> Result<Output> {
    let (mut input, mut out) = read_expression(&a.expr, &a.eval.at)?;
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
    let v = evaluate_one(&input, e, &input.conditions, &a.eval, &mut out)?;
    // In f64 the input is computed as written, as NumPy would (`0.1 + 0.2`); the evaluation
    // above checked its domain and gives the errors with their places.
    let v = match v {
        Value::F64(_) => Value::F64(
            eval::written::eval_expr_f64(&input.store, &input.src, e, &input.point)
                .map_err(|err| locate(err, input.source()))?,
        ),
        v => v,
    };
    let ExprInput { store, src, .. } = input;
    let report = report::EvalReport {
        store: &store,
        expr: e,
        src: &src,
        value: v,
        digits: a.eval.digits,
        precision: a.eval.precision,
    };
    out.stdout = report.render(style(a.eval.format));
    Ok(out)
}

fn text_or_json(f: Format, cmd: &str) -> Result<report::Style> {
    match f {
        Format::Latex => Err(Error::Usage(format!(
            "`{cmd}` prints text or JSON; for a figure use `chainrule sweep --plot FILE.svg`"
        ))),
        f => Ok(style(f)),
    }
}

fn run_fd(a: FdArgs) -> Result<Output> {
    let fmt = text_or_json(a.program.opts.eval.format, "fd")?;
    let (mut net, point, mut out) = load_network(&a.program)?;
    let delta = fd::parse_step(&a.delta)?;
    let schemes = fd::parse_schemes(&a.scheme)?;
    let arith: fd::Arith = a.arith.parse()?;
    let size = net.store.dag_size(net.output_def().expanded);
    fd::check_work(size, net.params.len(), 1, &schemes, &[arith])?;
    let obj = fd::ProgramObjective::new(&mut net, &point)?;
    let r = fd::check(&obj, &delta, &schemes, arith)?;
    drop(obj);
    out.stdout = report::fd(&net, &point, &r, a.program.opts.eval.digits, fmt);
    Ok(out)
}

fn run_sweep(a: SweepArgs) -> Result<Output> {
    let fmt = text_or_json(a.program.opts.eval.format, "sweep")?;
    // Before any work: no output may overwrite the program or another output.
    let writes: Vec<(&str, &str)> = [("--csv", &a.csv), ("--plot", &a.plot)]
        .into_iter()
        .filter_map(|(flag, p)| p.as_deref().map(|p| (flag, p)))
        .collect();
    let files = crate::files::Outputs::plan(&[a.program.file.as_str()], &writes)?;
    let (mut net, point, mut out) = load_network(&a.program)?;
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
