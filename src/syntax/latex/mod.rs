//! LaTeX math as input: `w_3 \sigma(w_2 \sigma(w_1 x))`, `(y - \hat{y})^2`,
//! `\frac{1}{2}\left\lVert A x - b \right\rVert_2`, read into the same [`ast`](super::ast)
//! trees as chainrule's own syntax, with spans into the LaTeX, so that lowering and both
//! engines work on them unchanged.
//!
//! The grammar is `grammar/latex.pest` (its comments list what is read and how); this file
//! holds the entry point, the rule that decides when text is LaTeX ([`looks_like_latex`]),
//! and the checks made before pest runs: unknown commands (with the nearest known one),
//! unbalanced braces, nesting depth. [`build`] makes the trees.

use crate::syntax::ast::{ExprKind, Span};
use pest::Parser as _;
use std::ops::Range;

mod build;

pub(crate) use build::{IDENTITY, ONES, ZEROS, is_constant_matrix};

use super::ast::Expr;
use crate::error::{Result, SourceError};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/latex.pest"]
struct Grammar;

/// Whether an expression is read as LaTeX: it contains a backslash (a command such as
/// `\frac`, `\sigma`, `\cdot`) or a braced sub- or superscript (`w_{3}`, `x^{2}`), none of
/// which chainrule's own syntax has, or it is wrapped in `$…$` (also `$$…$$`, `\(…\)`,
/// `\[…\]`). Anything else is chainrule's syntax: `w_3 x` there is the name `w_3` beside
/// `x`, an error; `$w_3 x$` is LaTeX, the product of `w3` and `x`.
pub fn looks_like_latex(src: &str) -> bool {
    src.contains('\\') || src.contains("_{") || src.contains("^{") || math_delimiters(src).is_some()
}

/// Where the math is in text wrapped in `$…$`, `$$…$$`, `\(…\)` or `\[…\]`, as pasted from
/// a LaTeX document: the range inside the delimiters. Wrapping says "this is LaTeX", so
/// `$w_3 x_2$` is read as LaTeX although it has no command.
fn math_delimiters(src: &str) -> Option<Range<usize>> {
    let lead = src.len() - src.trim_start().len();
    let t = src.trim();
    for (open, close) in [("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")] {
        if t.len() >= open.len() + close.len() && t.starts_with(open) && t.ends_with(close) {
            return Some(lead + open.len()..lead + t.len() - close.len());
        }
    }
    None
}

/// A definition in a program written in LaTeX: the statement's bytes, and where its `=` is.
pub(crate) struct LatexDef {
    pub(crate) stmt: Range<usize>,
    pub(crate) equals: usize,
}

/// The lines of a program that are LaTeX definitions (`z_{1} = w_{1} x`,
/// `\hat{y} = w_3 \cdot x_2`, `\sigma(t) = \max\{t, 0\}`): a line (up to a `#` comment) that
/// [looks like LaTeX](looks_like_latex) and has an `=`, unless it is a point, parameters, a
/// declaration or a shape (`at`, `wrt`, `fn`, `:`, `∈`), which are chainrule's syntax. One
/// statement per line (`;` does not separate LaTeX statements).
pub(crate) fn program_definitions(src: &str) -> Vec<LatexDef> {
    // A line looks like LaTeX only with a `\`, `_{`, `^{` or `$` in it: a program without
    // any (most are) needs no look at each line.
    if !src.contains(['\\', '$']) && !src.contains("_{") && !src.contains("^{") {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut start = 0;
    for line in src.split_inclusive('\n') {
        let code = line.split('#').next().unwrap_or("");
        let code = code.trim_end_matches(['\n', '\r']);
        let lead = code.len() - code.trim_start().len();
        let trimmed = code.trim();
        let keyword = ["at", "wrt", "fn"].iter().any(|k| {
            trimmed
                .strip_prefix(k)
                .is_some_and(|r| r.is_empty() || r.starts_with(char::is_whitespace))
        });
        if looks_like_latex(trimmed)
            && !keyword
            && !trimmed.contains([':', '∈'])
            && let Some(eq) = trimmed.find('=')
        {
            let s = start + lead;
            out.push(LatexDef {
                stmt: s..s + trimmed.len(),
                equals: s + eq,
            });
        }
        start += line.len();
    }
    out
}

/// The commands the grammar reads; anything else is an unknown command.
const KNOWN: &[&str] = &[
    "cdot",
    "times",
    "ast",
    "div",
    "odot",
    "oslash",
    "top",
    "intercal",
    "circ",
    "frac",
    "dfrac",
    "tfrac",
    "sqrt",
    "left",
    "right",
    "bigl",
    "Bigl",
    "biggl",
    "Biggl",
    "bigr",
    "Bigr",
    "biggr",
    "Biggr",
    "big",
    "Big",
    "bigg",
    "Bigg",
    "lbrace",
    "rbrace",
    "lvert",
    "rvert",
    "lVert",
    "rVert",
    "mathbb",
    "mathbf",
    "partial",
    "operatorname",
    "exp",
    "log",
    "ln",
    "sin",
    "cos",
    "tan",
    "cot",
    "tanh",
    "det",
    "max",
    "min",
    "sech",
    "sgn",
    "tr",
    "relu",
    "sigmoid",
    "hat",
    "widehat",
    "bar",
    "overline",
    "tilde",
    "widetilde",
    "dot",
    "ddot",
    "vec",
    "check",
    "breve",
    "acute",
    "grave",
    "mathring",
    "mathrm",
    "text",
    "textrm",
    "mathit",
    "boldsymbol",
    "bm",
    "mathsf",
    "gt",
    "quad",
    "qquad",
    "displaystyle",
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "pi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "chi",
    "psi",
    "omega",
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Pi",
    "Sigma",
    "Upsilon",
    "Phi",
    "Psi",
    "Omega",
    "varepsilon",
    "vartheta",
    "varphi",
    "varsigma",
    "varrho",
    "varpi",
    "ell",
];

/// The commands of functions that take their argument without brackets (`\\log x`).
const FUNCTION_COMMANDS: &[&str] = &[
    "exp", "log", "ln", "sin", "cos", "tan", "cot", "tanh", "det", "max", "min", "sech", "sgn",
    "tr", "relu", "sigmoid",
];

/// Commands homework uses that chainrule does not read (yet), with why.
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "nabla",
        "gradients are asked for with `grad`, not written in the expression (`\\nabla f(a)`, the Jacobian of a vector function f at a, is read)",
    ),
    (
        "sum",
        "sums over an index are not supported; write the terms out",
    ),
    (
        "prod",
        "products over an index are not supported; write the factors out",
    ),
    ("int", "integrals are not supported"),
    ("lim", "limits are not supported"),
];

/// Characters that may follow a backslash: spacing, escaped braces, `\|`, `\_`, and a
/// second backslash (a line break).
const ESCAPES: &str = ",;:! {}|_\\";

/// Parses `src` as LaTeX math into a syntax tree (see the module's documentation).
///
/// # Errors
/// Unknown commands, unbalanced braces, anything the grammar does not read, and what
/// chainrule does not support yet (partial derivatives of a program's names), each as an
/// [`Error::Source`](crate::error::Error::Source) pointing into `src`.
pub fn parse_latex(src: &str, src_name: &str) -> Result<Expr> {
    parse_latex_range(src, 0..src.len(), src_name)
}

/// [`parse_latex`] of the part `range` of `src` (a definition's side in a program), with
/// spans and errors placed in the whole of `src`.
pub(crate) fn parse_latex_range(src: &str, range: Range<usize>, src_name: &str) -> Result<Expr> {
    let range = match math_delimiters(&src[range.clone()]) {
        Some(inner) => range.start + inner.start..range.start + inner.end,
        None => range,
    };
    let offset = range.start;
    let text = &src[range];
    let err = |start: usize, end: usize, message: String, label: &str| {
        SourceError::new(src_name, src, start + offset, end + offset, message, label)
    };
    if text.trim().is_empty() {
        return Err(err(
            0,
            text.len(),
            "empty expression".into(),
            "an expression is expected here",
        )
        .with_help("write an expression, such as `w*x + b`")
        .into());
    }
    let (depth, bars) = check_text(text, &err)?;
    let marked = mark_bars(text, &bars);
    super::parser::with_stack_for(depth, || {
        let mut pairs =
            Grammar::parse(Rule::latex, &marked).map_err(|e| pest_error(text, &e, &err))?;
        let top = pairs.next().expect("grammar: one `latex`");
        let sum = top.into_inner().next().expect("grammar: a sum");
        let e = build::Builder {
            err: &err,
            offset,
            text: &marked,
        }
        .sum(sum)?;
        // A `\partial` that no `\frac` read and no name followed.
        if let Some(span) = leftover_partial(&e) {
            return Err(err(
                span.start - offset,
                span.end - offset,
                "a partial derivative is written `\\frac{\\partial a}{\\partial b}` (a name on each side) or `\\partial_{b} f` (a function's parameter)".into(),
                "a partial derivative",
            )
            .into());
        }
        Ok(e)
    })
}

/// Where a `\partial` mark is left in `e` (see `build::PARTIAL`).
fn leftover_partial(e: &Expr) -> Option<Span> {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        if let ExprKind::Call(c) = &e.kind
            && c.name == build::PARTIAL
        {
            return Some(e.span);
        }
        stack.extend(e.children());
    }
    None
}

type ErrFn<'a> = dyn Fn(usize, usize, String, &str) -> SourceError + 'a;

/// The checks before pest: commands known, braces balanced, nesting within
/// [`MAX_DEPTH`](super::MAX_DEPTH). Returns a bound on the depth pest will recurse to, and
/// the bars paired.
fn check_text(src: &str, err: &ErrFn) -> Result<(usize, Vec<Bar>)> {
    let mut open: Vec<usize> = Vec::new();
    let mut depth = Depth::default();
    let mut it = src.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        match c {
            '\\' => {
                let rest = &src[i + 1..];
                let word: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
                if word.is_empty() {
                    match rest.chars().next() {
                        Some(e) if ESCAPES.contains(e) => {
                            it.next();
                            match e {
                                '{' => depth.open(),
                                '}' => depth.close(),
                                '|' => depth.bar(i, true),
                                _ => {}
                            }
                        }
                        _ => {
                            let end = i + 1 + rest.chars().next().map_or(0, char::len_utf8);
                            return Err(err(
                                i,
                                end,
                                format!("unknown LaTeX command `{}`", &src[i..end]),
                                "not a command chainrule reads",
                            )
                            .into());
                        }
                    }
                } else {
                    let end = i + 1 + word.len();
                    for _ in 0..word.len() {
                        it.next();
                    }
                    // `\nabla f(a)`, the Jacobian of a vector function, as chainrule prints
                    // it, is read; `\nabla_W E` (a gradient asked for in the expression) is not.
                    let jacobian = word == "nabla" && !src[end..].trim_start().starts_with('_');
                    if !jacobian {
                        check_command(&word, i, end, err)?;
                    }
                    depth.command(&word);
                }
            }
            '{' | '(' | '[' => {
                if c == '{' {
                    open.push(i);
                }
                depth.open();
            }
            '}' | ')' | ']' => {
                if c == '}' && open.pop().is_none() {
                    return Err(err(
                        i,
                        i + 1,
                        "`}` without a matching `{`".into(),
                        "nothing to close here",
                    )
                    .into());
                }
                depth.close();
            }
            '|' => depth.bar(i, false),
            '\u{1}'..='\u{4}' => {
                return Err(err(
                    i,
                    i + 1,
                    "unexpected control character".into(),
                    "not part of the language",
                )
                .into());
            }
            c if c.is_whitespace() => {}
            c => depth.other(c),
        }
        if depth.max > super::MAX_DEPTH {
            return Err(err(
                i,
                i + c.len_utf8(),
                format!("LaTeX nested more than {} levels deep", super::MAX_DEPTH),
                "too deep here",
            )
            .into());
        }
    }
    if let Some(&i) = open.last() {
        return Err(err(i, i + 1, "`{` is never closed".into(), "opened here")
            .with_help("close it with `}`")
            .into());
    }
    Ok((depth.max, depth.paired))
}

/// `src` with its bars marked as paired (see `grammar/latex.pest`, `abs`): the same length,
/// so that pest's places are the source's.
fn mark_bars(src: &str, paired: &[Bar]) -> String {
    let mut bytes = src.as_bytes().to_vec();
    for &(at, open, double) in paired {
        if double {
            bytes[at] = if open { 3 } else { 4 };
            bytes[at + 1] = b' ';
        } else {
            bytes[at] = if open { 1 } else { 2 };
        }
    }
    String::from_utf8(bytes).expect("ASCII replaced by ASCII")
}

/// Refuses a command the grammar does not read, with the nearest known one.
fn check_command(word: &str, start: usize, end: usize, err: &ErrFn) -> Result<()> {
    if KNOWN.contains(&word) {
        return Ok(());
    }
    if let Some((_, why)) = UNSUPPORTED.iter().find(|(w, _)| *w == word) {
        return Err(err(
            start,
            end,
            format!("the LaTeX command `\\{word}` is not supported"),
            "here",
        )
        .with_help(*why)
        .into());
    }
    let mut e = err(
        start,
        end,
        format!("unknown LaTeX command `\\{word}`"),
        "not a command chainrule reads",
    );
    if let Some(near) = nearest(word) {
        e = e.with_help(format!("the nearest known command is `\\{near}`"));
    }
    Err(e.into())
}

/// A bar `|` or `\\|` paired: where, whether it opens, whether it is `\\|`.
type Bar = (usize, bool, bool);

/// How deep pest recurses, measured along the text: each bracket is a level, and so is each
/// command that takes an argument (`\\exp \\exp x`, `\\hat{\\hat{y}}`) or bar (`||x||`),
/// which nest without a bracket of their own. A chain of such commands ends at its operand.
#[derive(Default)]
struct Depth {
    level: usize,
    max: usize,
    /// Commands in the chain being read, at the current bracket.
    run: usize,
    /// The chains of the brackets around, and whether each bracket is a level of its own.
    saved: Vec<(usize, bool)>,
    /// Whether the last thing read is a command that takes an argument.
    after_command: bool,
    /// Bars open, and whether the last thing read opened one (`||x||`).
    bars: usize,
    /// What `\\left` or `\\right` just said the next bar does.
    forced: Option<bool>,
    /// Each bar read: where, whether it opens, whether it is `\\|`.
    paired: Vec<Bar>,
    after_opener: bool,
}

impl Depth {
    fn bump(&mut self) {
        self.max = self.max.max(self.level);
    }

    fn command(&mut self, word: &str) {
        let nests = matches!(
            word,
            "frac" | "dfrac" | "tfrac" | "sqrt" | "operatorname" | "mathbb" | "partial"
        ) || FUNCTION_COMMANDS.contains(&word)
            || crate::print::mark_of_accent(word).is_some();
        let neutral = matches!(
            word,
            "left"
                | "right"
                | "bigl"
                | "Bigl"
                | "biggl"
                | "Biggl"
                | "bigr"
                | "Bigr"
                | "biggr"
                | "Biggr"
                | "big"
                | "Big"
                | "bigg"
                | "Bigg"
                | "quad"
                | "qquad"
                | "displaystyle"
        );
        match word {
            "lvert" | "lVert" => self.open_bar(),
            "rvert" | "rVert" => self.close_bar(),
            "left" | "bigl" | "Bigl" | "biggl" | "Biggl" => self.forced = Some(true),
            "right" | "bigr" | "Bigr" | "biggr" | "Biggr" => self.forced = Some(false),
            _ if nests => {
                self.run += 1;
                self.level += 1;
                self.after_opener = true;
                self.after_command = true;
                self.bump();
            }
            _ if neutral => {}
            _ => self.other('x'),
        }
    }

    /// An opening bracket: a level, unless it is the argument's bracket of the command just
    /// read (`\\exp(`, `\\hat{`), which is one level with it, as a call `exp(` is one level
    /// of chainrule's syntax.
    fn open(&mut self) {
        self.forced = None;
        let own = !self.after_command;
        self.saved.push((self.run, own));
        self.run = 0;
        self.level += usize::from(own);
        self.after_opener = true;
        self.after_command = false;
        self.bump();
    }

    fn close(&mut self) {
        self.forced = None;
        let (outer, own) = self.saved.pop().unwrap_or((0, true));
        // The chain that led into the bracket is complete with it.
        self.level = self
            .level
            .saturating_sub(usize::from(own) + self.run + outer);
        self.run = 0;
        self.after_opener = false;
        self.after_command = false;
    }

    /// A bar `|` (or `\\|`, `double`) at byte `at`: it opens at the start, after an opening
    /// bracket or bar, an operator or `\\left`, and closes after an operand or `\\right`.
    fn bar(&mut self, at: usize, double: bool) {
        let open = match self.forced.take() {
            Some(open) => open,
            None => self.bars == 0 || self.after_opener,
        };
        self.paired.push((at, open, double));
        if open {
            self.open_bar();
        } else {
            self.close_bar();
        }
    }

    fn open_bar(&mut self) {
        self.bars += 1;
        self.open();
    }

    fn close_bar(&mut self) {
        self.bars = self.bars.saturating_sub(1);
        self.close();
    }

    /// An operand or an operator: ends a chain; after an operator a bar opens.
    fn other(&mut self, c: char) {
        self.forced = None;
        self.level = self.level.saturating_sub(self.run);
        self.run = 0;
        self.after_command = false;
        self.after_opener = "+-−*/,=<>·×".contains(c);
    }
}

/// The known command nearest to `word`, when near enough to be a typo.
fn nearest(word: &str) -> Option<&'static str> {
    KNOWN
        .iter()
        .map(|k| (super::edit_distance(word, k), *k))
        .filter(|(d, _)| *d <= if word.len() <= 4 { 1 } else { 2 })
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// pest's failure, in words: the place and what stands there.
fn pest_error(src: &str, e: &pest::error::Error<Rule>, err: &ErrFn) -> crate::Error {
    use pest::error::InputLocation;
    let mut pos = match e.location {
        InputLocation::Pos(p) | InputLocation::Span((p, _)) => p,
    }
    .min(src.len());
    while !src.is_char_boundary(pos) {
        pos -= 1;
    }
    let rest = &src[pos..];
    let Some(c) = rest.chars().next() else {
        return err(
            pos,
            pos,
            "the LaTeX ends too early".into(),
            "something is missing here",
        )
        .with_help("a bracket may be left open, or an operator lack its right side")
        .into();
    };
    let end = pos + c.len_utf8();
    let (message, help) = match c {
        '=' => (
            "unexpected `=`".to_string(),
            "an expression has no `=`; definitions belong in a program file".to_string(),
        ),
        '<' | '>' => (
            format!("unexpected `{c}`"),
            "a comparison is read only in an indicator, `\\mathbb{1}\\{z > 0\\}`".to_string(),
        ),
        '\'' | '′' => (
            "unexpected prime".to_string(),
            "a prime marks a derivative of a function and needs its argument, as in `\\sigma'(z)`; write a transpose as `x^\\top`".to_string(),
        ),
        _ => (
            format!("cannot read the LaTeX at `{}`", quote(rest)),
            "chainrule reads the LaTeX of formulas: \\frac, \\cdot, ^{…}, _{…}, \\left( \\right), Greek letters, \\exp, \\log, \\max, \\sqrt, …".to_string(),
        ),
    };
    err(pos, end, message, "unexpected here")
        .with_help(help)
        .into()
}

/// The start of `text` for a message.
fn quote(text: &str) -> String {
    let first: String = text.chars().take(12).collect();
    if first.len() < text.len() {
        format!("{first}…")
    } else {
        first
    }
}
