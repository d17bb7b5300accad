//! Source text to [`ast`] trees, in three steps:
//!
//! 1. [`scan`] reads the text once, token by token. It refuses what pest could only
//!    report as "unexpected character" (a stray `@`, `3..2`, `.5`, a lone `∂`), measures
//!    the nesting depth so that nothing deeper than [`MAX_DEPTH`] reaches the recursive
//!    parts below, and blanks newlines (and comments) inside parentheses so a statement
//!    may continue over lines. Its tokens are kept to explain pest's errors.
//! 2. pest recognises the text with `grammar/chainrule.pest`. The grammar is lenient where a
//!    tree makes a better message (`f()`, `x y`, `σ(2) = 3`); its failures are turned into
//!    English by [`Builder::error_of_pest`], never shown with rule names.
//! 3. The builder makes the tree: pest's Pratt parser decides precedence, each node gets a
//!    span (byte offsets into the source), names are NFC-normalised, and the lenient parts
//!    of the grammar are checked.

use std::collections::HashMap;

use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, ConstPrattParser, Op};
use unicode_normalization::UnicodeNormalization as _;

use super::ast::{AddOp, Call, Expr, ExprKind, Ident, MulOp, Program, Span, Stmt};
use crate::error::{Result, SourceError};

/// Default maximum nesting depth (parentheses, calls, unary minus, powers) accepted by the parser.
///
/// Each open parenthesis (a call's too), sign and `^` counts one level until an operator
/// of lower precedence ends it: `-(x^2)` is 3 levels deep, while a sum of 100 000 terms is
/// 1 level, whatever its length. Deeper input is refused before pest runs, with an error
/// that names the limit.
///
/// pest, the Pratt parser and the builder recurse per level, so deep input needs a deep
/// stack: 10 000 levels of the costliest shape (`f(x+2*f(x+2*…))`) were measured to take
/// about 165 MiB of stack in a debug build and 60 MiB in a release build, far more than an
/// 8 MiB main thread. So the parser does not run on the caller's stack when that is too
/// small: it sizes a stack segment from the depth the scan measured (`stacker`), and
/// parses input `MAX_DEPTH` deep on any thread, even one with a 64 KiB stack, in debug and
/// release builds alike. The tree it returns is at most a few times `MAX_DEPTH` deep and
/// drops without recursion. This limit bounds that stack memory and the depth that
/// recursive walks of the tree (lowering, printing) must handle.
pub const MAX_DEPTH: usize = 10_000;

/// Whether `text` is a name by the grammar's rule (`name` in `grammar/chainrule.pest`: a
/// letter, then letters, combining marks, ASCII digits and `_`): the one test of what a name
/// is, for names given outside the source text (`--wrt`, `--at`, `--data`).
pub fn is_name(text: &str) -> bool {
    Grammar::parse(Rule::name, text)
        .ok()
        .and_then(|mut pairs| pairs.next())
        .is_some_and(|p| p.as_str().len() == text.len())
}

/// Parses one expression, such as `w3·σ(w2*x + b)^2`; newlines count as spaces.
///
/// `src_name` is the name that diagnostics show for the text (`"<expression>"`, a file's
/// path); spans in the result are byte offsets into `src`.
///
/// # Errors
/// Any syntax error, or nesting deeper than [`MAX_DEPTH`], as an
/// [`Error::Source`](crate::error::Error::Source) that points at the place.
pub fn parse_expr(src: &str, src_name: &str) -> Result<Expr> {
    let builder = Builder::new(src, src_name, Mode::Expr);
    let scan = scan(src, Mode::Expr, &builder)?;
    if scan.tokens.is_empty() {
        return Err(builder
            .error(
                0,
                src.len(),
                "empty expression",
                "an expression is expected here",
            )
            .with_help("write an expression, such as `w*x + b`")
            .into());
    }
    with_stack_for(scan.depth, || {
        let mut pairs = Grammar::parse(Rule::expression, &scan.text)
            .map_err(|e| builder.error_of_pest(&e, &scan.tokens))?;
        let expr = first_inner(pairs.next().expect("grammar: one `expression`"));
        builder.expr_of_pair(expr, Place::Plain)
    })
}

/// Parses a program file: definitions (`z1 = w1*x`, `σ(t) = relu(t)`), declarations
/// (`fn ℓ(y, ŷ)`), a point (`at x = 1, y = 10`) and parameters (`wrt w1, w2`), one statement
/// per line or separated by `;`, `#` comments to the end of a line. A statement continues
/// over newlines while a parenthesis is open.
///
/// `src_name` is the name that diagnostics show for the text; each statement comes with
/// the span of the whole statement, in bytes.
///
/// # Errors
/// The first syntax error, or nesting deeper than [`MAX_DEPTH`], as an
/// [`Error::Source`](crate::error::Error::Source) that points at the place.
pub fn parse_program(src: &str, src_name: &str) -> Result<Program> {
    let builder = Builder::new(src, src_name, Mode::Program);
    let scan = scan(src, Mode::Program, &builder)?;
    with_stack_for(scan.depth, || {
        let mut pairs = Grammar::parse(Rule::program, &scan.text)
            .map_err(|e| builder.error_of_pest(&e, &scan.tokens))?;
        builder.program_of_pair(pairs.next().expect("grammar: one `program`"))
    })
}

/// Stack that pest needs per level of nesting: measured at most 6.4 KiB in a debug build
/// and 1 KiB in a release build (nested calls whose arguments are sums of products), doubled.
const PEST_STACK_PER_LEVEL: usize = if cfg!(debug_assertions) { 16 } else { 4 } * 1024;
/// Stack for everything around pest's recursion.
const PEST_STACK_BASE: usize = 256 * 1024;
/// The builder recurses once per parenthesis: below this much stack left, it continues on
/// a new segment (one level of it takes at most about 10 KiB in a debug build).
const BUILD_RED_ZONE: usize = 128 * 1024;
const BUILD_STACK_SEGMENT: usize = 2 * 1024 * 1024;

/// Runs `f` (pest and the builder) with enough stack for input nested `depth` deep: on the
/// current stack when it has room, else on a segment allocated for it. pest's recursion
/// cannot grow the stack as it goes (the builder's can), so it is sized up front; without
/// this, pest would stop at its own guard with "stack limit reached" long before
/// MAX_DEPTH on a small thread stack.
fn with_stack_for<T>(depth: usize, f: impl FnOnce() -> T) -> T {
    let needed = PEST_STACK_BASE + depth * PEST_STACK_PER_LEVEL;
    stacker::maybe_grow(needed, needed, f)
}

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/chainrule.pest"]
struct Grammar;

/// Precedence, lowest first. Juxtaposition (`2x`) binds like `*`, so `2x^2` is `2*(x^2)`;
/// a sign binds tighter than `*` but looser than `^`, so `-x^2` is `-(x^2)` and `x^-2` is
/// `x^(-2)`.
static PRATT: ConstPrattParser<Rule, 8> = ConstPrattParser::new_const(pest::pratt_precedence![
    Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left),
    Op::infix(Rule::mul, Assoc::Left)
        | Op::infix(Rule::div, Assoc::Left)
        | Op::infix(Rule::juxt, Assoc::Left),
    Op::prefix(Rule::neg) | Op::prefix(Rule::plus),
    Op::infix(Rule::pow, Assoc::Right),
]);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Expr,
    Program,
}

// ───────────────────────────── the scan ─────────────────────────────

/// What the scan sees. Names and numbers follow the grammar's rules exactly.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tok {
    Number,
    Name,
    Plus,
    Minus,
    /// `*`, `·`, `⋅`, `×`
    Times,
    /// `/`, `÷`
    Divide,
    /// `^`, `**`
    Power,
    Open,
    Close,
    Comma,
    Equals,
    Semi,
    /// A newline that ends a statement (programs only, outside parentheses).
    Newline,
    Prime,
    /// `∂_2`, `∂_{2}`
    Partial,
    /// A `#` comment (programs only, outside parentheses).
    Comment,
}

#[derive(Clone, Copy, Debug)]
struct Token {
    kind: Tok,
    start: usize,
    end: usize,
}

/// The scan's result: the tokens, and the text pest parses (the source with newlines and
/// comments inside parentheses replaced by spaces of the same length, so offsets agree).
struct Scan {
    tokens: Vec<Token>,
    text: String,
    /// The deepest nesting (at most [`MAX_DEPTH`]).
    depth: usize,
}

/// The nesting depth as the scan counts it (see [`MAX_DEPTH`]).
#[derive(Default)]
struct Depth {
    /// For each open parenthesis: the depth outside it, and where it is.
    open: Vec<(usize, usize)>,
    current: usize,
    max: usize,
    /// The token that first went past [`MAX_DEPTH`].
    exceeded_at: Option<(usize, usize)>,
}

impl Depth {
    /// The depth at which an operand of the innermost open parenthesis starts.
    fn base(&self) -> usize {
        self.open.last().map_or(0, |&(outside, _)| outside + 1)
    }

    fn deeper(&mut self, start: usize, end: usize) {
        self.current += 1;
        self.max = self.max.max(self.current);
        if self.current > MAX_DEPTH && self.exceeded_at.is_none() {
            self.exceeded_at = Some((start, end));
        }
    }

    fn track(&mut self, token: Token, prev: Option<Tok>) {
        match token.kind {
            Tok::Open => {
                self.open.push((self.current, token.start));
                self.deeper(token.start, token.end);
            }
            Tok::Close => {
                if let Some((outside, _)) = self.open.pop() {
                    self.current = outside;
                }
            }
            Tok::Plus | Tok::Minus if starts_operand(prev) => self.deeper(token.start, token.end),
            Tok::Power => self.deeper(token.start, token.end),
            Tok::Plus | Tok::Minus | Tok::Times | Tok::Divide | Tok::Comma | Tok::Equals => {
                self.current = self.base();
            }
            Tok::Semi | Tok::Newline if self.open.is_empty() => self.current = 0,
            _ => {}
        }
    }
}

/// Whether a token after `prev` begins an operand (so a `-` there is a sign, not a minus).
fn starts_operand(prev: Option<Tok>) -> bool {
    match prev {
        None => true,
        Some(kind) => matches!(
            kind,
            Tok::Plus
                | Tok::Minus
                | Tok::Times
                | Tok::Divide
                | Tok::Power
                | Tok::Open
                | Tok::Comma
                | Tok::Equals
                | Tok::Semi
                | Tok::Newline
                | Tok::Comment
        ),
    }
}

/// The hint for a `.` that is not in a number: Python's `z.relu()` and `math.exp(x)` are
/// written `relu(z)` and `exp(x)`; otherwise multiplication is meant.
fn dot_help(src: &str, dot: usize) -> String {
    let before_start = src[..dot]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_name_continue(*c))
        .last()
        .map_or(dot, |(i, _)| i);
    let before = &src[before_start..dot];
    let after_end = src[dot + 1..]
        .char_indices()
        .find(|(_, c)| !is_name_continue(*c))
        .map_or(src.len(), |(i, _)| dot + 1 + i);
    let after = &src[dot + 1..after_end];
    let rest = &src[after_end..];
    if before.is_empty() || after.is_empty() || !after.starts_with(is_name_start) {
        return "multiplication is written `*` or `·`".into();
    }
    const MODULES: [&str; 8] = ["math", "np", "numpy", "torch", "F", "jnp", "tf", "sympy"];
    if MODULES.contains(&before) {
        // The call as written, when its parentheses close soon after.
        let mut depth = 0;
        let close = rest.char_indices().take(60).find_map(|(i, c)| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            (depth == 0).then_some(i)
        });
        let call = match close {
            Some(i) if rest.starts_with('(') => format!("{after}{}", &rest[..=i]),
            _ if rest.starts_with('(') => format!("{after}(…)"),
            _ => after.to_string(),
        };
        return format!(
            "functions are called by their own name: write `{call}`, without `{before}.`"
        );
    }
    if rest.starts_with("()") {
        return format!("functions are called on their argument: write `{after}({before})`");
    }
    "multiplication is written `*` or `·`".into()
}

fn is_name_start(c: char) -> bool {
    pest::unicode::LETTER(c)
}

fn is_name_continue(c: char) -> bool {
    pest::unicode::LETTER(c) || pest::unicode::MARK(c) || c.is_ascii_digit() || c == '_'
}

fn char_at(src: &str, i: usize) -> Option<char> {
    src.get(i..).and_then(|rest| rest.chars().next())
}

fn ascii_digits_end(src: &str, mut i: usize) -> usize {
    while src.as_bytes().get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

/// The end of the number starting at `start` (a digit), exactly as the grammar's `number`.
fn number_end(src: &str, start: usize) -> usize {
    let bytes = src.as_bytes();
    let mut i = ascii_digits_end(src, start);
    if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i = ascii_digits_end(src, i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if bytes.get(j).is_some_and(u8::is_ascii_digit) {
            i = ascii_digits_end(src, j);
        }
    }
    i
}

/// The end of a run of ASCII digits and points, for the span of a malformed number.
fn digits_and_points_end(src: &str, mut i: usize) -> usize {
    while src
        .as_bytes()
        .get(i)
        .is_some_and(|b| b.is_ascii_digit() || *b == b'.')
    {
        i += 1;
    }
    i
}

/// Scans `src` (see the module's documentation). Returns the first error: a character or
/// number the language does not have, or nesting deeper than [`MAX_DEPTH`], whichever comes
/// first in the text.
fn scan(src: &str, mode: Mode, builder: &Builder<'_>) -> Result<Scan> {
    let mut tokens: Vec<Token> = Vec::new();
    let mut blank: Vec<(usize, usize)> = Vec::new();
    let mut depth = Depth::default();
    let mut lexical: Option<(usize, SourceError)> = None;
    let mut i = 0;
    while let Some(c) = char_at(src, i) {
        let start = i;
        let mut end = i + c.len_utf8();
        let kind = match c {
            ' ' | '\t' | '\r' | '\u{feff}' => None,
            c if pest::unicode::SPACE_SEPARATOR(c) => None,
            '\n' => {
                if mode == Mode::Expr || !depth.open.is_empty() {
                    blank.push((start, end));
                    None
                } else {
                    Some(Tok::Newline)
                }
            }
            '#' if mode == Mode::Program => {
                end = src[start..].find('\n').map_or(src.len(), |n| start + n);
                if depth.open.is_empty() {
                    Some(Tok::Comment)
                } else {
                    blank.push((start, end));
                    None
                }
            }
            '0'..='9' => {
                end = number_end(src, start);
                if src.as_bytes().get(end) == Some(&b'.') {
                    end = digits_and_points_end(src, end);
                    let text = &src[start..end];
                    let error = builder
                        .error(
                            start,
                            end,
                            format!("`{text}` is not a number"),
                            "not a number",
                        )
                        .with_help(
                            "a decimal number has digits on both sides of one point, \
                             as in `0.5` or `3.0`",
                        );
                    lexical.get_or_insert((start, error));
                    None
                } else {
                    Some(Tok::Number)
                }
            }
            '.' => {
                let error = if src.as_bytes().get(end).is_some_and(u8::is_ascii_digit) {
                    end = digits_and_points_end(src, end);
                    let text = &src[start..end];
                    let help = if text[1..].contains('.') {
                        "a decimal number has digits on both sides of one point, \
                         as in `0.5` or `3.0`"
                            .to_string()
                    } else {
                        format!("write `0{text}`: a number starts with a digit")
                    };
                    builder
                        .error(
                            start,
                            end,
                            format!("`{text}` is not a number"),
                            "not a number",
                        )
                        .with_help(help)
                } else {
                    builder
                        .error(start, end, "unexpected `.`", "not part of an expression")
                        .with_help(dot_help(src, start))
                };
                lexical.get_or_insert((start, error));
                None
            }
            c if is_name_start(c) => {
                while let Some(next) = char_at(src, end).filter(|&n| is_name_continue(n)) {
                    end += next.len_utf8();
                }
                Some(Tok::Name)
            }
            '+' => Some(Tok::Plus),
            '-' | '−' => Some(Tok::Minus),
            '*' if char_at(src, end) == Some('*') => {
                end += 1;
                Some(Tok::Power)
            }
            '*' | '·' | '⋅' | '×' => Some(Tok::Times),
            '/' | '÷' => Some(Tok::Divide),
            '^' => Some(Tok::Power),
            '(' => Some(Tok::Open),
            ')' => Some(Tok::Close),
            ',' => Some(Tok::Comma),
            '=' => Some(Tok::Equals),
            ';' => Some(Tok::Semi),
            '\'' | '′' | '″' | '‴' => Some(Tok::Prime),
            '∂' => match partial_end(src, end) {
                Some(partial) => {
                    end = partial;
                    Some(Tok::Partial)
                }
                None => {
                    let error = builder
                        .error(
                            start,
                            end,
                            "`∂` must be followed by `_` and an argument number",
                            "a partial derivative names its argument by number",
                        )
                        .with_help(
                            "write `∂_2 ℓ(y, ŷ)` for the derivative of ℓ by its second argument",
                        );
                    lexical.get_or_insert((start, error));
                    None
                }
            },
            c => {
                let error = builder.error(
                    start,
                    end,
                    format!("unexpected character {}", show_char(c)),
                    "not part of the language",
                );
                let error = match unknown_char_help(c, mode) {
                    Some(help) => error.with_help(help),
                    None => error,
                };
                lexical.get_or_insert((start, error));
                None
            }
        };
        if let Some(kind) = kind {
            let token = Token { kind, start, end };
            depth.track(token, tokens.last().map(|t| t.kind));
            tokens.push(token);
        }
        i = end;
    }

    let too_deep = depth.exceeded_at.map(|(start, end)| {
        let error = builder
            .error(
                start,
                end,
                format!(
                    "expression nested {} levels deep; the limit is {MAX_DEPTH}",
                    depth.max
                ),
                format!("level {} starts here", MAX_DEPTH + 1),
            )
            .with_help(
                "each parenthesis, sign and `^` nests one level; name the inner parts \
                 in a program file (`z1 = …`, then use `z1`)",
            );
        (start, error)
    });
    match (lexical, too_deep) {
        (Some((at, error)), Some((deep_at, _))) if at <= deep_at => return Err(error.into()),
        (_, Some((_, error))) | (Some((_, error)), None) => return Err(error.into()),
        (None, None) => {}
    }

    let mut text = src.as_bytes().to_vec();
    for (start, end) in blank {
        text[start..end].fill(b' ');
    }
    // Whole characters (a newline, a comment up to a newline) became ASCII spaces.
    let text = String::from_utf8(text).expect("blanked whole characters only");
    Ok(Scan {
        tokens,
        text,
        depth: depth.max,
    })
}

/// The end of `_2` or `_{2}` after `∂`, if it is there.
fn partial_end(src: &str, after: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    if bytes.get(after) != Some(&b'_') {
        return None;
    }
    let digits = after + 1;
    if bytes.get(digits) == Some(&b'{') {
        let end = ascii_digits_end(src, digits + 1);
        (end > digits + 1 && bytes.get(end) == Some(&b'}')).then_some(end + 1)
    } else {
        let end = ascii_digits_end(src, digits);
        (end > digits).then_some(end)
    }
}

/// A character for a message: quoted, or by its code point if it would not show.
fn show_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() || pest::unicode::MARK(c) || pest::unicode::FORMAT(c) {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("`{c}`")
    }
}

/// A hint for a character the language does not have, where a likely intent is known.
fn unknown_char_help(c: char, mode: Mode) -> Option<&'static str> {
    Some(match c {
        '#' if mode == Mode::Expr => "comments (`#`) belong in program files, not in an expression",
        '[' | ']' | '{' | '}' => "group with round parentheses `(` and `)`",
        '|' => "write `abs(x)` for an absolute value",
        '!' => "there is no factorial; the operators are `+ - * / ^`",
        '√' => "write `sqrt(x)` for a square root",
        '²' => "write `x^2` for a square",
        '³' => "write `x^3` for a cube",
        '₀'..='₉' => "a name has plain digits, as in `w1`",
        '_' => "a name starts with a letter",
        '"' => "two primes are written `''`, as in `f''(x)`",
        '<' | '>' | '≤' | '≥' => {
            "there are no comparisons; `step(x)` is 1 for x > 0 and 0 below"
        }
        _ => return None,
    })
}

// ───────────────────────────── building the tree ─────────────────────────────

/// Where an expression stands, for the hint of a juxtaposition error.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Plain,
    /// An argument of a call: `f(x y)` may mean `f(x, y)`.
    Arg,
    /// An item of `wrt`: `wrt w1 w2` means `wrt w1, w2`.
    Wrt,
}

/// An operand during Pratt parsing: the tree, its span with any parentheses around it,
/// and whether it was parenthesised (then a chain does not absorb it: `(a + b) + c` keeps
/// `(a + b)` as one term).
struct Operand {
    expr: Expr,
    outer: Span,
    grouped: bool,
}

/// `lhs + term`: extends `lhs` if it is a sum written without parentheses.
fn chain_sum(lhs: Operand, op: AddOp, term: Expr, span: Span) -> Expr {
    let Operand {
        mut expr, grouped, ..
    } = lhs;
    if !grouped && let ExprKind::Sum(_, rest) = &mut expr.kind {
        rest.push((op, term));
        expr.span = span;
        expr
    } else {
        Expr {
            kind: ExprKind::Sum(Box::new(expr), vec![(op, term)]),
            span,
        }
    }
}

/// `lhs * factor`: extends `lhs` if it is a product written without parentheses.
fn chain_product(lhs: Operand, op: MulOp, factor: Expr, span: Span) -> Expr {
    let Operand {
        mut expr, grouped, ..
    } = lhs;
    if !grouped && let ExprKind::Product(_, rest) = &mut expr.kind {
        rest.push((op, factor));
        expr.span = span;
        expr
    } else {
        Expr {
            kind: ExprKind::Product(Box::new(expr), vec![(op, factor)]),
            span,
        }
    }
}

/// Builds trees from pest's pairs and explains errors, with the source for diagnostics.
struct Builder<'s> {
    src: &'s str,
    src_name: &'s str,
    mode: Mode,
}

fn span_of(pair: &Pair<'_, Rule>) -> Span {
    Span::new(pair.as_span().start(), pair.as_span().end())
}

/// A pair's span without trailing whitespace: pest includes the whitespace it skipped
/// before an optional or repeated part that then did not match.
fn tight_span(pair: &Pair<'_, Rule>) -> Span {
    let start = pair.as_span().start();
    Span::new(start, start + pair.as_str().trim_end().len())
}

fn first_inner(pair: Pair<'_, Rule>) -> Pair<'_, Rule> {
    pair.into_inner()
        .next()
        .expect("grammar: the rule has an inner pair")
}

/// The name, NFC-normalised: `y` + U+0302 and `ŷ` are the same name.
fn name_text(text: &str) -> String {
    if text.is_ascii() {
        text.to_string()
    } else {
        text.nfc().collect()
    }
}

/// Source text for a message, shortened when long.
fn quote(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() > 24 {
        let head: String = text.chars().take(20).collect();
        format!("{head}…")
    } else {
        text.to_string()
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

impl<'s> Builder<'s> {
    fn new(src: &'s str, src_name: &'s str, mode: Mode) -> Self {
        Builder {
            src,
            src_name,
            mode,
        }
    }

    fn error(
        &self,
        start: usize,
        end: usize,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> SourceError {
        SourceError::new(self.src_name, self.src, start, end, message, label)
    }

    fn error_at(
        &self,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> SourceError {
        self.error(span.start, span.end, message, label)
    }

    fn text(&self, span: Span) -> &'s str {
        self.src.get(span.start..span.end).unwrap_or("")
    }

    // ─────────────── expressions ───────────────

    /// The tree of an `expr` pair.
    fn expr_of_pair(&self, pair: Pair<'_, Rule>, place: Place) -> Result<Expr> {
        // Each level of parentheses comes back here; grow the stack on the heap if it runs
        // low, whatever thread the parser was called on.
        stacker::maybe_grow(BUILD_RED_ZONE, BUILD_STACK_SEGMENT, || {
            self.expr_of_pair_inner(pair, place)
        })
    }

    fn expr_of_pair_inner(&self, pair: Pair<'_, Rule>, place: Place) -> Result<Expr> {
        let pairs = pair.into_inner();
        self.check_juxtapositions(pairs.clone(), place)?;
        // Operands are boxed to keep the Pratt parser's recursive frames small.
        let operand = PRATT
            .map_primary(|primary| self.operand_of_primary(primary).map(Box::new))
            .map_prefix(|op, operand: Result<Box<Operand>>| {
                let operand = operand?;
                let span = Span::new(op.as_span().start(), operand.outer.end);
                Ok(Box::new(match op.as_rule() {
                    Rule::neg => Operand {
                        expr: Expr {
                            kind: ExprKind::Neg(Box::new(operand.expr)),
                            span,
                        },
                        outer: span,
                        grouped: false,
                    },
                    // A unary plus changes nothing.
                    _ => Operand {
                        outer: span,
                        ..*operand
                    },
                }))
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = (*lhs?, *rhs?);
                let span = lhs.outer.join(rhs.outer);
                let expr = match op.as_rule() {
                    Rule::add => chain_sum(lhs, AddOp::Add, rhs.expr, span),
                    Rule::sub => chain_sum(lhs, AddOp::Sub, rhs.expr, span),
                    Rule::div => chain_product(lhs, MulOp::Div, rhs.expr, span),
                    Rule::pow => Expr {
                        kind: ExprKind::Pow(Box::new(lhs.expr), Box::new(rhs.expr)),
                        span,
                    },
                    // `mul` and `juxt`
                    _ => chain_product(lhs, MulOp::Mul, rhs.expr, span),
                };
                Ok(Box::new(Operand {
                    expr,
                    outer: span,
                    grouped: false,
                }))
            })
            .parse(pairs)?;
        Ok(operand.expr)
    }

    fn operand_of_primary(&self, pair: Pair<'_, Rule>) -> Result<Operand> {
        let span = span_of(&pair);
        match pair.as_rule() {
            Rule::number => Ok(Operand {
                expr: Expr {
                    kind: ExprKind::Num(pair.as_str().to_string()),
                    span,
                },
                outer: span,
                grouped: false,
            }),
            Rule::paren => Ok(Operand {
                expr: self.expr_of_pair(first_inner(pair), Place::Plain)?,
                outer: span,
                grouped: true,
            }),
            _ => {
                let expr = self.apply_of_pair(pair)?;
                Ok(Operand {
                    outer: expr.span,
                    expr,
                    grouped: false,
                })
            }
        }
    }

    /// Juxtaposition is a product only right after a number (`2x`, `3(x+1)`, `2exp(x)`), and
    /// not where it would be ambiguous: `x^2y` and `1/2x` are refused with both readings.
    /// Checked on the flat sequence of operands and operators, before precedence.
    fn check_juxtapositions(&self, pairs: Pairs<'_, Rule>, place: Place) -> Result<()> {
        let items: Vec<Pair<'_, Rule>> = pairs.collect();
        let mut segment_start = items.first().map_or(0, |p| p.as_span().start());
        // The operator before the current operand (signs skipped), and the last operand.
        let mut before: Option<Rule> = None;
        let mut last_operand: Option<(usize, Option<Rule>)> = None;
        for (i, item) in items.iter().enumerate() {
            let next_start = items.get(i + 1).map_or(0, |p| p.as_span().start());
            match item.as_rule() {
                Rule::neg | Rule::plus => {}
                Rule::pow => before = Some(Rule::pow),
                rule @ (Rule::add | Rule::sub) => {
                    before = Some(rule);
                    segment_start = next_start;
                }
                rule @ (Rule::mul | Rule::div) => before = Some(rule),
                Rule::juxt => {
                    let (Some((lhs_index, lhs_before)), Some(rhs)) =
                        (last_operand, items.get(i + 1))
                    else {
                        continue;
                    };
                    let lhs = &items[lhs_index];
                    self.check_juxtaposition(lhs, lhs_before, rhs, segment_start, place)?;
                    before = Some(Rule::juxt);
                }
                _ => last_operand = Some((i, before)),
            }
        }
        Ok(())
    }

    fn check_juxtaposition(
        &self,
        lhs: &Pair<'_, Rule>,
        lhs_before: Option<Rule>,
        rhs: &Pair<'_, Rule>,
        segment_start: usize,
        place: Place,
    ) -> Result<()> {
        let (lhs_span, rhs_span) = (operand_span(lhs), operand_span(rhs));
        let both = lhs_span.join(rhs_span);
        let (l, r) = (quote(self.text(lhs_span)), quote(self.text(rhs_span)));
        if lhs.as_rule() != Rule::number || rhs.as_rule() == Rule::number {
            let (message, label, help) = match place {
                Place::Wrt => (
                    format!("missing `,` between `{l}` and `{r}`"),
                    "two names side by side",
                    format!("separate the names with commas: `wrt {l}, {r}`"),
                ),
                Place::Arg => (
                    format!("missing operator between `{l}` and `{r}`"),
                    "two operands side by side",
                    format!("write `{l}*{r}` for a product, or `{l}, {r}` for two arguments"),
                ),
                Place::Plain if is_plain_name(lhs) && rhs.as_rule() != Rule::paren => (
                    format!("missing operator between `{l}` and `{r}`"),
                    "two operands side by side",
                    format!("write `{l}*{r}` for a product, or `{l}({r})` to apply `{l}` to `{r}`"),
                ),
                Place::Plain => (
                    format!("missing operator between `{l}` and `{r}`"),
                    "two operands side by side",
                    format!("write `{l}*{r}` for a product"),
                ),
            };
            return Err(self.error_at(both, message, label).with_help(help).into());
        }
        let written = quote(self.text(both));
        let head = self
            .src
            .get(segment_start..lhs_span.start)
            .unwrap_or("")
            .trim_start();
        // `tanh^2(a1)`: the textbook's power of a function's value.
        let function = head
            .strip_suffix('^')
            .map(str::trim_end)
            .filter(|f| crate::expr::Builtin::from_name(f).is_some() || *f == "sqrt")
            .filter(|_| rhs.as_rule() == Rule::paren);
        match lhs_before {
            Some(Rule::pow) if function.is_some() => {
                let f = function.unwrap_or_default();
                Err(self
                    .error_at(
                        both,
                        format!("`{f}^{l}{r}` is not read as a power of `{f}`"),
                        "a power of a function's value",
                    )
                    .with_help(format!("write `{f}{r}^{l}`"))
                    .into())
            }
            Some(Rule::pow) => Err(self
                .error_at(
                    both,
                    format!("`{written}` after `^` is ambiguous"),
                    format!("is the exponent `{l}` or `{written}`?"),
                )
                .with_help(format!(
                    "write `{head}({l}{r})` for the power {l}{r}, or `{head}{l}*{r}` for the power {l} times {r}"
                ))
                .into()),
            Some(Rule::div) => Err(self
                .error_at(
                    both,
                    format!("`{written}` after `/` is ambiguous"),
                    format!("divide by `{l}` or by `{written}`?"),
                )
                .with_help(format!(
                    "write `{head}({l}{r})` to divide by {l}{r}, or `{head}{l}*{r}` to divide by {l} and multiply by {r}"
                ))
                .into()),
            _ => Ok(()),
        }
    }

    /// A name, or a call of a function or of one of its derivatives.
    fn apply_of_pair(&self, pair: Pair<'_, Rule>) -> Result<Expr> {
        let span = tight_span(&pair);
        let mut partials: Vec<(u32, Span)> = Vec::new();
        let mut name: Option<(String, Span)> = None;
        let mut primes: u32 = 0;
        let mut args: Option<Pair<'_, Rule>> = None;
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::partial => partials.push(self.slot_of_partial(inner)?),
                Rule::name => name = Some((name_text(inner.as_str()), span_of(&inner))),
                Rule::prime => {
                    let count = match inner.as_str() {
                        "″" => 2,
                        "‴" => 3,
                        _ => 1,
                    };
                    primes = primes.saturating_add(count);
                }
                _ => args = Some(inner),
            }
        }
        let (name, name_span) = name.expect("grammar: `apply` has a name");
        let Some(args) = args else {
            if partials.is_empty() && primes == 0 {
                return Ok(Expr {
                    kind: ExprKind::Name(name),
                    span,
                });
            }
            let written = self.text(span);
            let example = if partials.is_empty() {
                format!("{written}(z)")
            } else {
                format!("{written}(y, ŷ)")
            };
            return Err(self
                .error_at(
                    span,
                    format!("`{written}` must be applied to arguments"),
                    "a derivative of a function, with no arguments",
                )
                .with_help(format!("write `{example}`"))
                .into());
        };

        let args_span = span_of(&args);
        let args = args
            .into_inner()
            .map(|arg| self.expr_of_pair(arg, Place::Arg))
            .collect::<Result<Vec<Expr>>>()?;
        if args.is_empty() {
            return Err(self
                .error_at(
                    args_span,
                    "a call needs at least one argument",
                    format!("`{name}` is given no arguments"),
                )
                .with_help(format!(
                    "write `{name}(x)`; a constant is written as a name without parentheses, `{name}`"
                ))
                .into());
        }
        if let Some(&(slot, slot_span)) = partials
            .iter()
            .find(|(slot, _)| *slot as usize > args.len())
        {
            return Err(self
                .error_at(
                    slot_span,
                    format!(
                        "`{}` is the derivative by argument {slot}, but `{name}` is given {}",
                        self.text(slot_span),
                        plural(args.len(), "argument", "arguments")
                    ),
                    "no such argument",
                )
                .with_help(
                    "arguments are numbered from 1: in `ℓ(y, ŷ)`, `∂_2` is the derivative by ŷ",
                )
                .into());
        }
        Ok(Expr {
            kind: ExprKind::Call(Call {
                name,
                name_span,
                primes,
                partials: partials.into_iter().map(|(slot, _)| slot).collect(),
                args,
            }),
            span,
        })
    }

    fn slot_of_partial(&self, partial: Pair<'_, Rule>) -> Result<(u32, Span)> {
        let span = span_of(&partial);
        let digits = first_inner(partial);
        match digits.as_str().parse::<u32>() {
            Ok(slot) if slot >= 1 => Ok((slot, span)),
            Ok(_) => Err(self
                .error_at(
                    span,
                    "arguments are numbered from 1",
                    "there is no argument 0",
                )
                .with_help("`∂_1` is the derivative by the first argument")
                .into()),
            Err(_) => Err(self
                .error_at(
                    span,
                    format!("no function has {} arguments", digits.as_str()),
                    "argument number too large",
                )
                .into()),
        }
    }

    // ─────────────── programs ───────────────

    fn program_of_pair(&self, pair: Pair<'_, Rule>) -> Result<Program> {
        let mut stmts = Vec::new();
        for stmt in pair.into_inner() {
            let span = tight_span(&stmt);
            let stmt = match stmt.as_rule() {
                Rule::at => self.at_of_pair(stmt)?,
                Rule::wrt => self.wrt_of_pair(stmt)?,
                Rule::fn_decl => self.fn_decl_of_pair(stmt)?,
                Rule::def => self.def_of_pair(stmt)?,
                _ => continue, // EOI
            };
            stmts.push((stmt, span));
        }
        Ok(Program { stmts })
    }

    /// `z1 = w1*x` or `σ(t) = relu(t)`.
    fn def_of_pair(&self, pair: Pair<'_, Rule>) -> Result<Stmt> {
        let mut inner = pair.into_inner();
        let lhs = self.expr_of_pair(
            inner.next().expect("grammar: `def` has an expr"),
            Place::Plain,
        )?;
        let Some(rhs) = inner.next() else {
            return Err(self
                .error_at(
                    lhs.span,
                    "a statement needs `=`",
                    "an expression without a name",
                )
                .with_help("a program defines names, as in `E = (y - ŷ)^2`")
                .into());
        };
        let lhs_span = lhs.span;
        if rhs.as_rule() == Rule::update {
            return self.update_of(
                lhs,
                rhs.as_str(),
                inner.next().expect("grammar: an update has a value"),
            );
        }
        match lhs.into_kind() {
            ExprKind::Name(name) => Ok(Stmt::Def {
                name: Ident {
                    name,
                    span: lhs_span,
                },
                value: self.expr_of_pair(rhs, Place::Plain)?,
            }),
            ExprKind::Call(call) if call.primes == 0 && call.partials.is_empty() => {
                let params = self.params_of(call.args, "σ(t) = relu(t)")?;
                Ok(Stmt::FnDef {
                    name: Ident {
                        name: call.name,
                        span: call.name_span,
                    },
                    params,
                    body: self.expr_of_pair(rhs, Place::Plain)?,
                })
            }
            ExprKind::Call(call) => Err(self
                .error_at(lhs_span, "a derivative cannot be defined", "a derivative")
                .with_help(format!(
                    "define the function itself, as in `{}(t) = …`; chainrule finds its derivatives",
                    call.name
                ))
                .into()),
            _ => Err(self
                .error_at(
                    lhs_span,
                    "the left side of `=` must be a name or a function with its parameters",
                    "cannot be defined",
                )
                .with_help("write `z = …` to name a value, or `f(x, y) = …` to define a function")
                .into()),
        }
    }

    /// `c += v` (or `-=`, `*=`, `/=`): the definition `c = c + (v)`, a new version of `c`.
    fn update_of(&self, lhs: Expr, op: &str, rhs: Pair<'_, Rule>) -> Result<Stmt> {
        let lhs_span = lhs.span;
        let ExprKind::Name(name) = lhs.into_kind() else {
            return Err(self
                .error_at(
                    lhs_span,
                    format!("the left side of `{op}=` must be a name"),
                    "not a name",
                )
                .into());
        };
        let rhs = self.expr_of_pair(rhs, Place::Plain)?;
        let span = lhs_span.join(rhs.span);
        let old = Box::new(Expr {
            kind: ExprKind::Name(name.clone()),
            span: lhs_span,
        });
        let kind = match op {
            "+" => ExprKind::Sum(old, vec![(AddOp::Add, rhs)]),
            "-" => ExprKind::Sum(old, vec![(AddOp::Sub, rhs)]),
            "*" => ExprKind::Product(old, vec![(MulOp::Mul, rhs)]),
            _ => ExprKind::Product(old, vec![(MulOp::Div, rhs)]),
        };
        Ok(Stmt::Def {
            name: Ident {
                name,
                span: lhs_span,
            },
            value: Expr { kind, span },
        })
    }

    /// The parameters of `f(x, y) = …` or `fn f(x, y)`: distinct plain names.
    fn params_of(&self, args: Vec<Expr>, example: &str) -> Result<Vec<Ident>> {
        let mut params: Vec<Ident> = Vec::with_capacity(args.len());
        let mut seen: HashMap<String, Span> = HashMap::new();
        for arg in args {
            let span = arg.span;
            let ExprKind::Name(name) = arg.into_kind() else {
                return Err(self
                    .error_at(
                        span,
                        "a parameter must be a name",
                        format!("`{}` is not a name", quote(self.text(span))),
                    )
                    .with_help(format!(
                        "a function's parameters are names, as in `{example}`"
                    ))
                    .into());
            };
            if let Some(&first) = seen.get(&name) {
                return Err(self
                    .error_at(
                        first,
                        format!("parameter `{name}` is listed twice"),
                        "first here",
                    )
                    .with_label(span.start, span.end, "again here")
                    .with_help("each parameter needs a name of its own")
                    .into());
            }
            seen.insert(name.clone(), span);
            params.push(Ident { name, span });
        }
        Ok(params)
    }

    /// `fn ℓ(y, ŷ)`.
    fn fn_decl_of_pair(&self, pair: Pair<'_, Rule>) -> Result<Stmt> {
        let mut inner = pair.into_inner();
        let keyword = span_of(&inner.next().expect("grammar: `fn` keyword"));
        let Some(head) = inner.next() else {
            return Err(self
                .error_at(
                    keyword,
                    "`fn` needs a function and its parameters",
                    "nothing declared",
                )
                .with_help("write `fn ℓ(y, ŷ)` to declare a function ℓ of two arguments")
                .into());
        };
        let head = self.expr_of_pair(head, Place::Plain)?;
        let head_span = head.span;
        match head.into_kind() {
            ExprKind::Call(call) if call.primes == 0 && call.partials.is_empty() => {
                Ok(Stmt::FnDecl {
                    name: Ident {
                        name: call.name,
                        span: call.name_span,
                    },
                    params: self.params_of(call.args, "fn ℓ(y, ŷ)")?,
                })
            }
            ExprKind::Name(name) => Err(self
                .error_at(
                    head_span,
                    format!("`fn {name}` needs the function's parameters"),
                    "no parameters",
                )
                .with_help(format!(
                    "write `fn {name}(x)`, or `fn {name}(x, y)` for two arguments"
                ))
                .into()),
            _ => Err(self
                .error_at(
                    head_span,
                    "`fn` declares a function by its name and parameters",
                    "not a function with parameters",
                )
                .with_help("write `fn ℓ(y, ŷ)`")
                .into()),
        }
    }

    /// `at x = 1, y = 10`.
    fn at_of_pair(&self, pair: Pair<'_, Rule>) -> Result<Stmt> {
        let mut inner = pair.into_inner();
        let keyword = span_of(&inner.next().expect("grammar: `at` keyword"));
        let mut bindings: Vec<(Ident, Expr)> = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        for binding in inner {
            let mut parts = binding.into_inner();
            let lhs = self.expr_of_pair(parts.next().expect("grammar: binding"), Place::Plain)?;
            let lhs_span = lhs.span;
            let ExprKind::Name(name) = lhs.into_kind() else {
                return Err(self
                    .error_at(
                        lhs_span,
                        "`at` expects a name, then `=` and its value",
                        format!("`{}` is not a name", quote(self.text(lhs_span))),
                    )
                    .with_help("write `at x = 1, y = 2`")
                    .into());
            };
            let Some(value) = parts.next() else {
                return Err(self
                    .error_at(
                        lhs_span,
                        format!("expected `=` and a value after `{name}`"),
                        format!("`{name}` is given no value"),
                    )
                    .with_help(format!(
                        "write `at {name} = 1`; separate several with commas"
                    ))
                    .into());
            };
            if let Some(&first) = seen.get(&name) {
                return Err(self
                    .error_at(first, format!("`{name}` is given two values"), "first here")
                    .with_label(lhs_span.start, lhs_span.end, "again here")
                    .into());
            }
            let value = self.expr_of_pair(value, Place::Plain)?;
            seen.insert(name.clone(), lhs_span);
            bindings.push((
                Ident {
                    name,
                    span: lhs_span,
                },
                value,
            ));
        }
        if bindings.is_empty() {
            return Err(self
                .error_at(
                    keyword,
                    "`at` needs at least one variable and its value",
                    "no values",
                )
                .with_help("write `at x = 1, y = 2`")
                .into());
        }
        Ok(Stmt::At(bindings))
    }

    /// `wrt w1, w2`.
    fn wrt_of_pair(&self, pair: Pair<'_, Rule>) -> Result<Stmt> {
        let mut inner = pair.into_inner();
        let keyword = span_of(&inner.next().expect("grammar: `wrt` keyword"));
        let mut names: Vec<Ident> = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        for item in inner {
            let item = self.expr_of_pair(item, Place::Wrt)?;
            let span = item.span;
            let ExprKind::Name(name) = item.into_kind() else {
                return Err(self
                    .error_at(
                        span,
                        "`wrt` takes names of variables",
                        format!("`{}` is not a name", quote(self.text(span))),
                    )
                    .with_help("write `wrt w1, w2`")
                    .into());
            };
            if let Some(&first) = seen.get(&name) {
                return Err(self
                    .error_at(first, format!("`{name}` is listed twice"), "first here")
                    .with_label(span.start, span.end, "again here")
                    .into());
            }
            seen.insert(name.clone(), span);
            names.push(Ident { name, span });
        }
        if names.is_empty() {
            return Err(self
                .error_at(keyword, "`wrt` needs at least one name", "no names")
                .with_help("write `wrt w1, w2` to differentiate by w1 and w2")
                .into());
        }
        Ok(Stmt::Wrt(names))
    }

    // ─────────────── pest's errors in English ───────────────

    /// Explains where pest stopped, from the tokens around that place.
    fn error_of_pest(
        &self,
        error: &pest::error::Error<Rule>,
        tokens: &[Token],
    ) -> crate::error::Error {
        let mut pos = match error.location {
            InputLocation::Pos(pos) => pos,
            InputLocation::Span((start, _)) => start,
        }
        .min(self.src.len());
        // pest parsed the blanked text, whose character boundaries are the source's except
        // inside a blanked comment; make sure the place is a boundary of the source.
        while !self.src.is_char_boundary(pos) {
            pos -= 1;
        }
        let positives: &[Rule] = match &error.variant {
            ErrorVariant::ParsingError { positives, .. } => positives,
            // pest's own stack and call limits: MAX_DEPTH should keep input below them.
            ErrorVariant::CustomError { .. } => {
                return self
                    .error(pos, pos, "expression nested too deeply to parse", "here")
                    .with_help("name the inner parts in a program file (`z1 = …`, then use `z1`)")
                    .into();
            }
        };
        self.explain(pos, positives, tokens).into()
    }

    fn explain(&self, pos: usize, positives: &[Rule], tokens: &[Token]) -> SourceError {
        let index = tokens.partition_point(|t| t.start < pos);
        let next = tokens.get(index).copied();
        let prev = index.checked_sub(1).map(|i| tokens[i]);
        let text = |t: Token| self.text(Span::new(t.start, t.end));
        let described = match next {
            None => "the end of the input".to_string(),
            Some(t) if matches!(t.kind, Tok::Newline | Tok::Comment) => {
                "the end of the line".to_string()
            }
            Some(t) => format!("`{}`", quote(text(t))),
        };
        let at_end = next.is_none_or(|t| matches!(t.kind, Tok::Newline | Tok::Comment | Tok::Semi));
        let next_span = next.map_or(Span::new(pos, pos), |t| Span::new(t.start, t.end));

        // The statement around `pos`: where it starts, and the parentheses open at `pos`.
        let statement = tokens[..index]
            .iter()
            .rposition(|t| matches!(t.kind, Tok::Newline | Tok::Semi))
            .map_or(0, |i| i + 1);
        let mut open: Vec<Token> = Vec::new();
        for t in &tokens[statement..index] {
            match t.kind {
                Tok::Open => open.push(*t),
                Tok::Close => {
                    open.pop();
                }
                _ => {}
            }
        }
        let keyword = tokens
            .get(statement)
            .filter(|t| {
                self.mode == Mode::Program
                    && t.kind == Tok::Name
                    && matches!(text(**t), "at" | "wrt" | "fn")
            })
            .map(|t| text(*t));

        // Where a label "… should follow here" goes. miette shows no empty label at the very
        // end of the text, so there the label goes on the last token instead.
        let here = match prev {
            Some(p) if pos >= self.src.len() => Span::new(p.start, p.end),
            _ => Span::new(pos, pos),
        };
        let follow = if pos >= self.src.len() {
            "follow this"
        } else {
            "come here"
        };
        if let Some(t) = next.filter(|t| t.kind == Tok::Close && open.is_empty())
            && !prev.is_some_and(|p| p.kind != Tok::Open && starts_operand(Some(p.kind)))
        {
            return self.error(t.start, t.end, "unexpected `)`", "this `)` closes nothing");
        }
        if let (Some(keyword), Some(p), Some(t)) = (keyword, prev, next)
            && p.start == tokens[statement].start
            && matches!(t.kind, Tok::Equals | Tok::Open)
        {
            let purpose = match keyword {
                "at" => "`at` gives the point, as in `at x = 1`",
                "wrt" => "`wrt` lists the parameters, as in `wrt w1`",
                _ => "`fn` declares a function, as in `fn ℓ(y, ŷ)`",
            };
            return self
                .error(
                    p.start,
                    p.end,
                    format!("`{keyword}` cannot be defined"),
                    "a keyword here",
                )
                .with_help(format!(
                    "at the start of a statement, {purpose}; choose another name"
                ));
        }

        let operand_expected = match prev {
            None => true,
            Some(p) => {
                starts_operand(Some(p.kind))
                    || keyword.is_some() && p.start == tokens[statement].start
            }
        };
        if let Some(p) = prev.filter(|p| p.kind == Tok::Partial) {
            return self
                .error_at(
                    next_span,
                    format!(
                        "expected the name of a function after `{}`, found {described}",
                        text(p)
                    ),
                    "a function name is expected here",
                )
                .with_help("a partial derivative is written `∂_2 ℓ(y, ŷ)`");
        }
        if operand_expected {
            let Some(p) = prev.filter(|p| p.kind != Tok::Newline && p.kind != Tok::Semi) else {
                let what = if self.mode == Mode::Program {
                    "a statement"
                } else {
                    "an expression"
                };
                let error = self.error_at(
                    next_span,
                    format!("{what} cannot start with {described}"),
                    "expected an expression before this",
                );
                return match next.map(|t| t.kind) {
                    Some(Tok::Equals) => error
                        .with_help("a definition starts with the name it defines, as in `z = w*x`"),
                    Some(Tok::Prime) => {
                        error.with_help("a prime marks a derivative of a function, as in `σ'(z)`")
                    }
                    _ => error,
                };
            };
            let expected = match p.kind {
                Tok::Power => "an exponent",
                Tok::Equals => "a value",
                _ => "an expression",
            };
            let after = quote(text(p));
            return match next {
                // Python's `c += 1`.
                Some(t)
                    if t.kind == Tok::Equals
                        && t.start == p.end
                        && matches!(p.kind, Tok::Plus | Tok::Minus | Tok::Times | Tok::Divide) =>
                {
                    let op = text(p);
                    let help = if self.mode == Mode::Program {
                        "in a program an update is a line of its own, after a first definition: `c += 1`".to_string()
                    } else {
                        format!("write the expression itself, e.g. `c {op} 1`")
                    };
                    self.error(
                        p.start,
                        t.end,
                        format!("`{op}=` (Python's update) cannot stand inside an expression"),
                        "an update",
                    )
                    .with_help(help)
                }
                Some(t) if t.kind == Tok::Close && p.kind == Tok::Open => self
                    .error(p.start, t.end, "empty parentheses", "nothing inside")
                    .with_help("put an expression between them, or remove them"),
                Some(t) if t.kind == Tok::Close => self.error_at(
                    next_span,
                    "unexpected `)`",
                    format!("{expected} should come between `{after}` and `)`"),
                ),
                _ if at_end => self.error_at(
                    here,
                    format!("expected {expected} after `{after}`"),
                    format!("{expected} should {follow}"),
                ),
                _ => self.error_at(
                    next_span,
                    format!("expected {expected} after `{after}`, found {described}"),
                    format!("{expected} should come here"),
                ),
            };
        }

        // An operand just ended; pest wanted an operator, `)`, `,` or the end.
        if let Some(paren) = open.last() {
            let same_line = !self.src[paren.start..pos].contains('\n');
            if at_end || !same_line {
                let error = self.error(
                    paren.start,
                    paren.end,
                    "unclosed parenthesis",
                    "this parenthesis is never closed",
                );
                return if next.is_none() {
                    error.with_label(here.start, here.end, format!("`)` should {follow}"))
                } else if !same_line {
                    error
                        .with_label(
                            next_span.start,
                            next_span.end,
                            "so the statement goes on to here",
                        )
                        .with_help(
                            "a statement continues on the next line while a parenthesis is open",
                        )
                } else {
                    error.with_label(next_span.start, next_span.start, "expected `)` before this")
                };
            }
        }
        let operators = [Rule::add, Rule::sub, Rule::mul, Rule::div, Rule::pow];
        let expected = if !positives.iter().any(|r| operators.contains(r)) {
            expected_in_english(positives)
        } else if !open.is_empty() {
            "an operator or `)`".to_string()
        } else if self.mode == Mode::Expr {
            "an operator or the end of the expression".to_string()
        } else {
            "an operator or the end of the statement".to_string()
        };
        let error = self.error_at(
            next_span,
            format!("unexpected {described}"),
            format!("expected {expected}"),
        );
        let help = match next.map(|t| t.kind) {
            Some(Tok::Equals) if self.mode == Mode::Expr => {
                "an expression has no `=`; definitions belong in a program file"
            }
            Some(Tok::Equals) if keyword == Some("at") => {
                "separate the values with commas: `at x = 1, y = 2`"
            }
            Some(Tok::Equals) => {
                "a statement has one `=`; put each definition on its own line \
                 or separate them with `;`"
            }
            Some(Tok::Comma) => "commas separate the arguments of a call, as in `f(a, b)`",
            Some(Tok::Semi) => "`;` separates the statements of a program file",
            Some(Tok::Prime) => "a prime marks a derivative of a function, as in `σ'(z)`",
            _ => return error,
        };
        error.with_help(help)
    }
}

/// The span of an operand's pair (`number`, `paren` or `apply`).
fn operand_span(pair: &Pair<'_, Rule>) -> Span {
    if pair.as_rule() == Rule::apply {
        tight_span(pair)
    } else {
        span_of(pair)
    }
}

/// Whether `pair` (an operand) is a bare name, such as `sin` in `sin x`.
fn is_plain_name(pair: &Pair<'_, Rule>) -> bool {
    pair.as_rule() == Rule::apply && pair.clone().into_inner().all(|p| p.as_rule() == Rule::name)
}

/// What pest expected, in words (Tera-style): never a rule's name.
fn expected_in_english(positives: &[Rule]) -> String {
    let mut words: Vec<&str> = Vec::new();
    for rule in positives {
        let word = match rule {
            Rule::EOI => "the end",
            Rule::number => "a number",
            Rule::name | Rule::apply => "a name (starting with a letter)",
            Rule::expr | Rule::expression | Rule::paren | Rule::neg | Rule::plus | Rule::juxt => {
                "an expression"
            }
            Rule::add | Rule::sub | Rule::mul | Rule::div | Rule::pow => "an operator",
            Rule::args => "`(`",
            Rule::prime => "`'`",
            Rule::partial | Rule::slot => "`∂_1`",
            Rule::program | Rule::at | Rule::wrt | Rule::fn_decl | Rule::def | Rule::binding => {
                "a statement"
            }
            Rule::kw_at => "`at`",
            Rule::kw_wrt => "`wrt`",
            Rule::kw_fn => "`fn`",
            _ => continue,
        };
        if !words.contains(&word) {
            words.push(word);
        }
    }
    match words.as_slice() {
        [] => "something else".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn is_name_is_the_grammars_rule() {
        for good in [
            "x", "w1", "y_hat", "x_", "ŷ", "y\u{302}", "σ", "αβ", "ℓ", "Δ2",
        ] {
            assert!(super::is_name(good), "{good}");
        }
        for bad in [
            "", "(x)", "x^2", "x y", "1x", "_x", "x.y", "x-1", " x", "x'", "2",
        ] {
            assert!(!super::is_name(bad), "{bad}");
        }
    }
}
