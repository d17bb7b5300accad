//! Source text to [`ast`] trees, in three steps:
//!
//! 1. The scan ([`scan`]) reads the text once, token by token. It refuses what pest could only
//!    report as "unexpected character" (a stray `@`, `3..2`, `.5`, a lone `∂`), measures
//!    the nesting depth so that nothing deeper than [`MAX_DEPTH`] reaches the recursive
//!    parts below, and blanks newlines (and comments) inside parentheses so a statement
//!    may continue over lines. Its tokens are kept to explain pest's errors.
//! 2. pest recognises the text with `grammar/chainrule.pest`. The grammar is lenient where a
//!    tree makes a better message (`f()`, `x y`, `σ(2) = 3`); its failures are turned into
//!    English ([`diagnose`]), never shown with rule names.
//! 3. The builder ([`build`]) makes the tree: pest's Pratt parser decides precedence, each
//!    node gets a span (byte offsets into the source), names are NFC-normalised, and the
//!    lenient parts of the grammar are checked.
//!
//! In a program, the lines of the commonest shapes (`z5 = w5*x4`, `x5 = sigmoid(z5)`,
//! `at w1 = 1/2, w2 = -3/4`) skip steps 2 and 3: [`fast`] reads them into the same trees,
//! about 20 times faster, and pest reads the other lines (tested to agree on random lines).
//!
//! This file holds the entry points and what the three steps share: the grammar, the
//! precedence table and the [`Builder`], which carries the source for diagnostics.

use pest::Parser as _;
use pest::pratt_parser::{Assoc, ConstPrattParser, Op};

mod build;
mod diagnose;
mod fast;
mod scan;

use super::ast::{Expr, Program, Span, Stmt};
use crate::error::{Result, SourceError};
use build::{Place, first_inner};
use scan::scan;

/// Default maximum nesting depth (parentheses, brackets, calls, unary minus, powers,
/// transposes) accepted by the parser.
///
/// Each open parenthesis (a call's too) or bracket, sign, `^`, prime and postfix `ᵀ`, `⁻¹`
/// counts one level until an operator
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

/// Parses one expression, such as `w3·σ(w2*x + b)^2`; newlines count as spaces. Text that
/// [looks like LaTeX](super::looks_like_latex) (`w_3 \sigma(w_2 x)`) is read as LaTeX
/// ([`parse_latex`](super::parse_latex)), into the same trees.
///
/// `src_name` is the name that diagnostics show for the text (`"<expression>"`, a file's
/// path); spans in the result are byte offsets into `src`.
///
/// # Errors
/// Any syntax error, or nesting deeper than [`MAX_DEPTH`], as an
/// [`Error::Source`](crate::error::Error::Source) that points at the place.
pub fn parse_expr(src: &str, src_name: &str) -> Result<Expr> {
    if super::latex::looks_like_latex(src) {
        return super::latex::parse_latex(src, src_name);
    }
    let builder = Builder::new(src, src_name, Mode::Expr);
    let scan = scan(src, Mode::Expr, &builder, Some(0))?;
    if scan.token_count == 0 {
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
/// the span of the whole statement, in bytes. A definition may be written in LaTeX
/// (`z_{1} = w_{1} x`, `\sigma(t) = \max\{t, 0\}`): see
/// `syntax::latex::program_definitions` for which lines are.
///
/// # Errors
/// The first syntax error, or nesting deeper than [`MAX_DEPTH`], as an
/// [`Error::Source`](crate::error::Error::Source) that points at the place.
pub fn parse_program(src: &str, src_name: &str) -> Result<Program> {
    parse_program_by(src, src_name, true)
}

/// [`parse_program`], with the fast path for common lines or (for tests) without it.
fn parse_program_by(src: &str, src_name: &str, fast_lines: bool) -> Result<Program> {
    let builder = Builder::new(src, src_name, Mode::Program);
    // Definitions written in LaTeX are read by the LaTeX reader, the rest with them blanked.
    let latex = super::latex::program_definitions(src);
    let blanked;
    let text = if latex.is_empty() {
        src
    } else {
        let mut bytes = src.as_bytes().to_vec();
        for d in &latex {
            // Whole characters become spaces: the text stays UTF-8, offsets unchanged.
            bytes[d.stmt.clone()].fill(b' ');
        }
        blanked = String::from_utf8(bytes).expect("characters replaced whole");
        &blanked
    };
    let scan = scan(text, Mode::Program, &builder, None)?;
    let mut program = program_of_lines(&scan, &builder, fast_lines)?;
    if latex.is_empty() {
        return Ok(program);
    }
    for d in latex {
        let lhs = super::latex::parse_latex_range(src, d.stmt.start..d.equals, src_name)?;
        let stmt = builder.def_of(lhs, || {
            super::latex::parse_latex_range(src, d.equals + 1..d.stmt.end, src_name)
        })?;
        program
            .stmts
            .push((stmt, Span::new(d.stmt.start, d.stmt.end)));
    }
    program.stmts.sort_by_key(|(_, span)| span.start);
    Ok(program)
}

/// The program of the scanned text: the lines of common shapes read by [`fast`], the others
/// by pest (with the fast lines blanked), in the order of the text. Errors are pest's and the
/// builder's, unchanged: the fast path takes no line that either would refuse.
fn program_of_lines(scan: &scan::Scan, builder: &Builder<'_>, fast_lines: bool) -> Result<Program> {
    let text = &scan.text;
    // A long program's lines are read in two halves at the same time.
    let (stmts, fast_ranges, any_slow) = match halfway_newline(text) {
        Some(mid) if fast_lines => {
            let depth = scan.depth;
            // The first half's lists have room for the second's too, which is appended.
            let second = mid + 1..text.len();
            let (lines_a, lines_b) = (
                statements_at_most(&text[..mid]),
                statements_at_most(&text[second.clone()]),
            );
            let (mut a, b) = crate::parallel::join(
                || fast_lines_of(text, 0..mid, depth, lines_a + lines_b),
                || fast_lines_of(text, second, depth, lines_b),
            );
            a.0.extend(b.0);
            a.1.extend(b.1);
            (a.0, a.1, a.2 || b.2)
        }
        _ if fast_lines => fast_lines_of(text, 0..text.len(), scan.depth, 0),
        _ => (Vec::new(), Vec::new(), true),
    };
    if !any_slow {
        return Ok(Program { stmts });
    }
    // The tokens again, for pest's messages: the scan kept none. Made once, for the first
    // message, and shared with the second (both are of `scan.text`'s tokens, as before;
    // `scan.text` has the same tokens as the text scanned: only blanks differ, where none are).
    let tokens = std::sync::OnceLock::new();
    let pest_program = |text: &str| {
        with_stack_for(scan.depth, || {
            let mut pairs = Grammar::parse(Rule::program, text).map_err(|e| {
                let tokens = tokens.get_or_init(|| {
                    scan::scan(&scan.text, Mode::Program, builder, Some(scan.token_count))
                        .map_or_else(|_| Vec::new(), |again| again.tokens)
                });
                builder.error_of_pest(&e, tokens)
            })?;
            builder.program_of_pair(pairs.next().expect("grammar: one `program`"))
        })
    };
    if stmts.is_empty() {
        return pest_program(text);
    }
    // pest reads the other lines with the fast ones blanked (offsets unchanged).
    let mut blanked = text.as_bytes().to_vec();
    for &(start, end) in &fast_ranges {
        blanked[start..end].fill(b' ');
    }
    let blanked = String::from_utf8(blanked).expect("whole lines blanked");
    let from_pest = match pest_program(&blanked) {
        Ok(program) => program.stmts,
        // The first error as pest and the builder give it on the whole text.
        Err(e) => return pest_program(text).and(Err(e)),
    };
    // Both lists are in the order of the text; merge them.
    let mut merged = Vec::with_capacity(stmts.len() + from_pest.len());
    let mut fast = stmts.into_iter().peekable();
    for stmt in from_pest {
        while let Some(f) = fast.next_if(|f| f.1.start < stmt.1.start) {
            merged.push(f);
        }
        merged.push(stmt);
    }
    merged.extend(fast);
    Ok(Program { stmts: merged })
}

/// The statements of the lines of `text[range]` (`range` ends at a newline or at the end of
/// the text) that the fast path reads, those lines as byte ranges (none holds a newline),
/// and whether pest must read any other.
type FastLines = (Vec<(Stmt, Span)>, Vec<(usize, usize)>, bool);

/// `lines` is room to make in the lists (a long program's lines: growing the list of its
/// statements, 120 bytes each, would copy it to fresh memory again and again).
fn fast_lines_of(
    text: &str,
    range: std::ops::Range<usize>,
    depth: usize,
    lines: usize,
) -> FastLines {
    let (mut stmts, mut fast_ranges, mut any_slow) =
        (Vec::with_capacity(lines), Vec::with_capacity(lines), false);
    // The fast path recurses at most `MAX_FAST_DEPTH` levels: size the stack for that.
    with_stack_for(depth.min(fast::MAX_FAST_DEPTH), || {
        let mut start = range.start;
        let ends = newlines(&text[range.clone()]).map(|i| range.start + i);
        for end in ends.chain(std::iter::once(range.end)) {
            match fast::line(text, start, end) {
                Some(stmt) => {
                    stmts.extend(stmt);
                    fast_ranges.push((start, end));
                }
                None => any_slow = true,
            }
            start = end + 1;
        }
    });
    (stmts, fast_ranges, any_slow)
}

/// From how many bytes a program's lines are read in two halves at the same time: a thread
/// costs tens of microseconds, a line some.
const PARALLEL_BYTES: usize = 64 * 1024;

/// The first newline at or after the middle of a long `text`, where its second half of lines
/// starts (`None` for a short text, or one without a newline there).
fn halfway_newline(text: &str) -> Option<usize> {
    if text.len() < PARALLEL_BYTES {
        return None;
    }
    let mid = text.len() / 2;
    text.as_bytes()[mid..]
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| mid + i)
}

/// Room for the statements of `text`: one a line, but no more than one in 8 bytes (a file of
/// empty lines should not make room for millions; most definitions take more).
fn statements_at_most(text: &str) -> usize {
    (newlines(text).count() + 1).min(text.len() / 8 + 1)
}

/// The offsets of the newlines of `text`.
fn newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'\n')
        .map(|(i, _)| i)
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
pub(super) fn with_stack_for<T>(depth: usize, f: impl FnOnce() -> T) -> T {
    let needed = PEST_STACK_BASE + depth * PEST_STACK_PER_LEVEL;
    stacker::maybe_grow(needed, needed, f)
}

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/chainrule.pest"]
struct Grammar;

/// Precedence, lowest first. Juxtaposition (`2x`) and the element-wise `.*`, `⊙`, `./` bind
/// like `*`, so `2x^2` is `2*(x^2)`; a sign binds tighter than `*` but looser than `^` (and
/// `.^`), so `-x^2` is `-(x^2)` and `x^-2` is `x^(-2)`; the postfix transpose and inverse
/// bind tightest, so `x'*A*x` is `(x')*A*x`, `X'^2` is `(X')^2` and `-x'` is `-(x')`.
static PRATT: ConstPrattParser<Rule, 14> = ConstPrattParser::new_const(pest::pratt_precedence![
    Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left),
    Op::infix(Rule::mul, Assoc::Left)
        | Op::infix(Rule::div, Assoc::Left)
        | Op::infix(Rule::juxt, Assoc::Left)
        | Op::infix(Rule::hadamard, Assoc::Left)
        | Op::infix(Rule::hdiv, Assoc::Left),
    Op::prefix(Rule::neg) | Op::prefix(Rule::plus),
    Op::infix(Rule::pow, Assoc::Right) | Op::infix(Rule::epow, Assoc::Right),
    Op::postfix(Rule::transpose) | Op::postfix(Rule::inverse) | Op::postfix(Rule::inv_transpose),
]);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Expr,
    Program,
}

/// Builds trees from pest's pairs and explains errors, with the source for diagnostics.
struct Builder<'s> {
    src: &'s str,
    src_name: &'s str,
    mode: Mode,
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
