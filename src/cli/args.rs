//! The command line's grammar: clap's definitions of the commands and their flags, and the
//! hints for command lines that clap would answer misleadingly.

use crate::eval::format;
use clap::{Args, Parser, Subcommand, ValueEnum};

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
        "  chainrule diff \"x'*A*x\" --wrt x --at 'A=[[1,2],[3,4]],x=[1,2]'\n",
        "      ∇_x xᵀ*A*x = (A + Aᵀ)*x\n",
        "\nThe expression may start with '-'; '-' alone reads it from standard input.\n",
        "Vectors and matrices: a value in --at as a list is a column vector (x=[1,2]), a list of\n",
        "rows a matrix (A=[[1,2],[3,4]]); other names are scalars. The gradient of a scalar by a\n",
        "vector or matrix has that variable's shape (∇_W E is shaped like W, as in PyTorch); the\n",
        "derivative of a vector by a vector (or scalar) is its Jacobian, one row per output.\n",
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
    /// Print an expression in the shortest equal form the simplifier's rules find.
    #[command(after_help = concat!(
        "Examples:\n",
        "  chainrule simplify 'sigmoid(o)*(1 - y) - y*(1 - sigmoid(o))'\n",
        "      sigmoid(o)*(1 - y) - y*(1 - sigmoid(o)) = sigmoid(o) - y\n",
        "  chainrule simplify '((1 - y)/(1 - p) - y/p)*p*(1 - p)' --format json\n",
        "\nThe same rules shorten the derivatives `diff` prints. When the short form is defined\n",
        "where the input is not (a cancelled 1/p), the parts that must stay defined are named.\n",
        "Scalar expressions only; '-' reads the expression from standard input."
    ))]
    Simplify(SimplifyArgs),
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
    /// Grade a derivation: every `=` of every chain of equalities in a LaTeX solution.
    #[command(after_help = concat!(
        "Example:\n",
        "  chainrule grade examples/hw7_relu.chain examples/hw7_solution.tex\n",
        "\nEach chain a = b = c in display math ($$…$$, \\[…\\], align, aligned; `&= d` on the next\n",
        "line continues it) is checked step by step: two formulas are equal when they agree as\n",
        "functions of the program's inputs (at random points; unspecified functions replaced by\n",
        "random quadratics, exactly, then by quadratics plus a sine); a number is checked at the\n",
        "program's point, one with a decimal point (-12.698) as rounded. \\approx is a step as = is;\n",
        "another relation (\\le, \\Rightarrow) starts a new chain. The exit code is 0 when grading\n",
        "ran, whatever the verdicts."
    ))]
    Grade(GradeArgs),
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
        "random quadratics (exact values), then, where those agree, by quadratics plus a sine,\n",
        "to compare values. Exits 1 when the claim is wrong or cannot be decided."
    ))]
    Check(CheckArgs),
    /// Draw a program's computation graph: values, local partials and adjoints (SVG or DOT).
    #[command(after_help = concat!(
        "Examples:\n",
        "  chainrule graph examples/hw7_relu.chain -o graph.svg\n",
        "  chainrule graph examples/hw7_abstract.chain --format dot | dot -Tpng -o graph.png\n",
        "\nA node per input, intermediate and the output, in columns from the inputs (left) to the\n",
        "output (right): its formula, its forward value at the program's point and its adjoint\n",
        "δ_v = ∂E/∂v (in red); an edge per use, with the local partial (∂z2/∂x1 = w2) and its value.\n",
        "Kinks met (relu or abs of exactly 0, ties in max or min) are marked on their node.\n",
        "Programs of more than 60 nodes are refused: use backprop's tables. With vectors and\n",
        "matrices, each node shows its shape and its value as a small matrix, and the edges the\n",
        "partial alone (the local derivative of a matrix operation is a linear map)."
    ))]
    Graph(GraphArgs),
    /// A solution sheet: one HTML page (or LaTeX document) with the program, its graph, the
    /// passes, the gradient, the chain rule for each parameter and the gradient check.
    #[command(after_help = concat!(
        "Examples:\n",
        "  chainrule sheet examples/hw7_relu.chain -o sheet.html\n",
        "  chainrule sheet examples/hw7_matrix.chain --format latex -o sheet.tex\n",
        "\nIn order: the program as written, the computation graph (SVG), the forward and backward\n",
        "passes, the gradient along the chain and expanded, `explain` for each parameter, and the\n",
        "finite-difference check (Δ = 1e-4 in IEEE double) with the step-size sweep's plot. The\n",
        "page is self-contained: math as MathML, pictures as inline SVG, no script, nothing\n",
        "loaded. What does not apply (no point, no values; vectors and matrices: no sweep yet)\n",
        "is said where it would be."
    ))]
    Sheet(SheetArgs),
}

/// `chainrule sheet`
#[derive(Args, Debug)]
pub struct SheetArgs {
    /// The program file (`-` reads standard input).
    pub file: String,
    /// Write the sheet to this file (.html or .htm, or .tex with --format latex) instead of
    /// standard output; never the program itself.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<String>,
    /// An HTML page (MathML and SVG), or a LaTeX document.
    #[arg(long, value_enum, default_value_t = SheetFormat::Html)]
    pub format: SheetFormat,
    /// The definition to treat as the output (default: the last one).
    #[arg(long, value_name = "NAME")]
    pub of: Option<String>,
    /// Inputs that are data, not parameters (`--data x,y`).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub data: Vec<String>,
    /// The point: `x=1,y=10,w1=2`; overrides the program's `at`. Repeatable.
    #[arg(long, value_name = "NAME=VALUE,...", allow_hyphen_values = true)]
    pub at: Vec<String>,
    /// MPFR precision in bits, used when the value is not rational.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u32).range(2..=1_000_000))]
    pub precision: u32,
    /// Significant digits shown for inexact values (6 keep the tables and the graph
    /// readable).
    #[arg(long, default_value_t = GRAPH_DIGITS, value_parser = parse_digits)]
    pub digits: usize,
    /// Evaluate in IEEE double (`f64`), or force MPFR (`mpfr`) instead of exact arithmetic.
    #[arg(long, value_enum)]
    pub float: Option<FloatKind>,
}

impl SheetArgs {
    /// The program options, as the other program commands take them.
    pub fn program(&self) -> ProgramArgs {
        ProgramArgs {
            file: self.file.clone(),
            opts: ProgramOpts {
                of: self.of.clone(),
                data: self.data.clone(),
                eval: EvalOpts {
                    at: self.at.clone(),
                    precision: self.precision,
                    digits: self.digits,
                    float: self.float,
                    format: Format::Latex,
                    standalone: false,
                },
            },
        }
    }
}

/// Formats of a sheet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SheetFormat {
    /// One HTML page.
    Html,
    /// One LaTeX document.
    #[value(alias = "tex")]
    Latex,
}

/// `chainrule graph`
#[derive(Args, Debug)]
pub struct GraphArgs {
    /// The program file (`-` reads standard input).
    pub file: String,
    /// Write the graph to this file (.svg, or .dot/.gv with --format dot) instead of
    /// standard output; never the program itself.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<String>,
    /// SVG, a picture; or DOT, for graphviz (`dot -Tsvg`).
    #[arg(long, value_enum, default_value_t = GraphFormat::Svg)]
    pub format: GraphFormat,
    /// The definition to treat as the output (default: the last one).
    #[arg(long, value_name = "NAME")]
    pub of: Option<String>,
    /// Inputs that are data, not parameters (`--data x,y`).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub data: Vec<String>,
    /// The point: `x=1,y=10,w1=2`; overrides the program's `at`. Repeatable.
    #[arg(long, value_name = "NAME=VALUE,...", allow_hyphen_values = true)]
    pub at: Vec<String>,
    /// MPFR precision in bits, used when the value is not rational.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u32).range(2..=1_000_000))]
    pub precision: u32,
    /// Significant digits shown for inexact values: 6 keep the picture readable (`chainrule
    /// backprop` shows 20, and JSON all).
    #[arg(long, default_value_t = GRAPH_DIGITS, value_parser = parse_digits)]
    pub digits: usize,
    /// Evaluate in IEEE double (`f64`), or force MPFR (`mpfr`) instead of exact arithmetic.
    #[arg(long, value_enum)]
    pub float: Option<FloatKind>,
}

/// Significant digits of inexact values on the graph, by default.
const GRAPH_DIGITS: usize = 6;

impl GraphArgs {
    /// The program options, as the other program commands take them.
    pub fn program(&self) -> ProgramArgs {
        ProgramArgs {
            file: self.file.clone(),
            opts: ProgramOpts {
                of: self.of.clone(),
                data: self.data.clone(),
                eval: EvalOpts {
                    at: self.at.clone(),
                    precision: self.precision,
                    digits: self.digits,
                    float: self.float,
                    format: Format::Text,
                    standalone: false,
                },
            },
        }
    }
}

/// Formats of the computation graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// An SVG picture.
    Svg,
    /// graphviz's DOT language.
    Dot,
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

/// `chainrule grade`
#[derive(Args, Debug)]
pub struct GradeArgs {
    /// Program options.
    #[command(flatten)]
    pub program: ProgramArgs,
    /// The solution: a LaTeX file (`-` reads standard input).
    pub solution: String,
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
    /// The point: `x=1,y=10,w1=2` (integers, decimals, fractions like 3/4, 1e-4); a vector
    /// as `x=[1,2]` (a column), a matrix as its rows `A=[[1,2],[3,4]]`. Repeatable.
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
    /// With `--format latex`: a complete LaTeX document (amsmath, amssymb) with section
    /// headings, instead of a fragment to paste.
    #[arg(long)]
    pub standalone: bool,
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

/// `chainrule simplify`
#[derive(Args, Debug)]
pub struct SimplifyArgs {
    /// The expression (`-` reads standard input).
    #[arg(allow_hyphen_values = true)]
    pub expr: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// The subcommands' names, for hints.
const COMMANDS: [&str; 12] = [
    "diff", "eval", "simplify", "backprop", "grad", "explain", "fd", "sweep", "check", "grade",
    "graph", "sheet",
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
