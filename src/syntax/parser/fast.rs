//! A fast path for the common shapes of a program's lines, beside pest.
//!
//! pest recognises a line such as `z5 = w5*x4` with a few hundred rule calls (every
//! alternative of `stmt`, `infix`, `postfix` and `WHITESPACE` is tried in turn, and each call
//! checks pest's call limit and the remaining stack), about 60 000 instructions a line; the
//! Pratt parser and the builder then walk pest's pairs. A generated program of 10^5 layers is
//! 2·10^5 such lines. This module reads the plainest lines directly into the same trees:
//!
//! - a definition of a plain name, `z5 = w5*x4`, `x5 = sigmoid(z5)`, `E = (y - x9)^2`;
//! - a point, `at w1 = 1/2, w2 = -3/4`, with distinct names;
//!
//! where the expressions use ASCII names, numbers without exponents, `+ - * / ^`, a leading
//! `-`, parentheses and calls `f(a, b)` written without a space before `(`.
//!
//! Anything else, and anything that would be an error, is left to pest: [`line`] returns
//! `None` and the line is parsed as before (the tests below check on random lines,
//! near-misses included, that both give the same tree). Rejection is cheap and never
//! changes what a line means: the trees are made with the builder's own functions
//! ([`chain_sum`], [`chain_product`]) and pest's precedence (see [`super::PRATT`]).

use super::build::{Operand, chain_product, chain_sum};
use crate::syntax::ast::{AddOp, Call, Expr, ExprKind, Ident, MulOp, Span, Stmt};
use std::collections::HashSet;

/// Binding powers as pest's Pratt parser numbers them (levels 10 apart, lowest first): a
/// prefix operator reads its operand at its power less one, so `-x^2` is `-(x^2)` and `-a*b`
/// is `(-a)*b`; `^` is right-associative.
const ADD: u32 = 10;
const MUL: u32 = 20;
const NEG: u32 = 30;
const POW: u32 = 40;

/// Lines with parentheses, signs and powers nested deeper than this go to pest, whose stack
/// is sized for any depth up to `MAX_DEPTH`. The fast path runs on a stack sized as pest's
/// for this depth ([`super::with_stack_for`]), far more than its recursion takes.
pub(super) const MAX_FAST_DEPTH: usize = 32;

/// The statement of the line `text[start..end]` (no newline inside; newlines within
/// parentheses have been blanked by the scan): `Some(None)` for a blank line, `Some(Some(…))`
/// for a line read here, `None` when pest must read it.
pub(super) fn line(text: &str, start: usize, end: usize) -> Option<Option<(Stmt, Span)>> {
    let line = &text.as_bytes()[start..end];
    // A comment runs to the end of the line (pest ends it at a `\r` too: those lines are
    // pest's).
    let end = match line.iter().position(|&b| b == b'#') {
        Some(hash) if !line[hash..].contains(&b'\r') => start + hash,
        Some(_) => return None,
        None => end,
    };
    let bytes = &text.as_bytes()[..end];
    if !bytes[start..].iter().all(|&b| allowed(b)) {
        return None;
    }
    let mut p = Fast {
        bytes,
        pos: start,
        depth: 0,
    };
    p.spaces();
    if p.pos == end {
        return Some(None);
    }
    // The statement ends at the last character that is not a space.
    let stmt_end = end
        - bytes[start..]
            .iter()
            .rev()
            .take_while(|&&b| b == b' ')
            .count();
    let span = Span::new(p.pos, stmt_end);
    let (word, word_span) = p.name()?;
    let stmt = match word {
        "at" => p.at()?,
        // Keywords at the start of a statement, and definitions of functions or updates
        // (`f(x) = …`, `c += 1`), are pest's.
        "wrt" | "fn" | "take" => return None,
        _ => {
            p.spaces();
            p.eat(b'=')?;
            let value = p.expr(0)?.expr;
            Stmt::Def {
                name: Ident {
                    name: word.to_string(),
                    span: word_span,
                },
                value,
            }
        }
    };
    p.spaces();
    (p.pos == end).then_some(Some((stmt, span)))
}

/// The bytes a fast line may contain before its comment; any other (`;`, `'`, `[`, `:`, a tab, `\r`,
/// anything beyond ASCII) sends the line to pest.
fn allowed(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'_' | b' ' | b'.' | b'+' | b'-' | b'*' | b'/' | b'^' | b'(' | b')' | b',' | b'='
        )
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

struct Fast<'t> {
    bytes: &'t [u8],
    pos: usize,
    depth: usize,
}

/// An infix operator: its tree, binding power and whether it is right-associative.
#[derive(Clone, Copy)]
enum Infix {
    Add(AddOp),
    Mul(MulOp),
    Pow,
}

impl<'t> Fast<'t> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek() == Some(b)).then(|| self.pos += 1)
    }

    /// An ASCII name (`[A-Za-z][A-Za-z0-9_]*`) here, with its span.
    fn name(&mut self) -> Option<(&'t str, Span)> {
        let start = self.pos;
        if !self.peek()?.is_ascii_alphabetic() {
            return None;
        }
        while self.peek().is_some_and(is_name_byte) {
            self.pos += 1;
        }
        let text = std::str::from_utf8(&self.bytes[start..self.pos]).ok()?;
        Some((text, Span::new(start, self.pos)))
    }

    /// `at x = 1, y = -2/3`: distinct names, each with a value.
    fn at(&mut self) -> Option<Stmt> {
        // `at` must be followed by a space (`at(x) = 1`, `at = 1` are pest's to explain).
        if self.peek() != Some(b' ') {
            return None;
        }
        // Room for as many bindings as there are `=` on the line (a large program's point
        // has one per parameter: growing the list would copy it again and again).
        let values = self.bytes[self.pos..]
            .iter()
            .filter(|&&b| b == b'=')
            .count();
        let mut bindings = Vec::with_capacity(values);
        let mut seen: HashSet<&str> = HashSet::with_capacity(values);
        loop {
            self.spaces();
            let (name, span) = self.name()?;
            if !seen.insert(name) {
                return None;
            }
            self.spaces();
            self.eat(b'=')?;
            let value = self.expr(0)?.expr;
            bindings.push((
                Ident {
                    name: name.to_string(),
                    span,
                },
                value,
            ));
            self.spaces();
            if self.eat(b',').is_none() {
                return Some(Stmt::At(bindings));
            }
        }
    }

    /// An expression whose operators bind tighter than `rbp`, as pest's Pratt parser reads
    /// the same sequence of operands and operators.
    fn expr(&mut self, rbp: u32) -> Option<Operand> {
        self.depth += 1;
        if self.depth > MAX_FAST_DEPTH {
            return None;
        }
        let mut lhs = self.nud()?;
        loop {
            self.spaces();
            let (op, power, right) = match self.peek() {
                // What may follow an expression here; the caller checks it.
                None | Some(b')' | b',' | b'=') => break,
                Some(b'+') => (Infix::Add(AddOp::Add), ADD, false),
                Some(b'-') => (Infix::Add(AddOp::Sub), ADD, false),
                // `**` is a power, spelled otherwise: pest's.
                Some(b'*') if self.bytes.get(self.pos + 1) == Some(&b'*') => return None,
                Some(b'*') => (Infix::Mul(MulOp::Mul), MUL, false),
                Some(b'/') => (Infix::Mul(MulOp::Div), MUL, false),
                Some(b'^') => (Infix::Pow, POW, true),
                // A juxtaposition (`2x`, `x y`, and `1e5`: an exponent), `.*`, `./`, `.^`: pest's.
                _ => return None,
            };
            if rbp >= power {
                break;
            }
            self.pos += 1;
            if matches!(op, Infix::Pow) && self.transpose_follows() {
                return None;
            }
            let rhs = self.expr(if right { power - 1 } else { power })?;
            let span = lhs.outer.join(rhs.outer);
            let expr = match op {
                Infix::Add(op) => chain_sum(lhs, op, rhs.expr, span),
                Infix::Mul(op) => chain_product(lhs, op, rhs.expr, span),
                Infix::Pow => Expr {
                    kind: ExprKind::Pow(Box::new(lhs.expr), Box::new(rhs.expr)),
                    span,
                },
            };
            lhs = Operand {
                expr,
                outer: span,
                grouped: false,
            };
        }
        self.depth -= 1;
        Some(lhs)
    }

    /// After `^`: is it `^T`, the transpose (`T` not followed by a name's character)?
    fn transpose_follows(&self) -> bool {
        let mut at = self.pos;
        while self.bytes.get(at) == Some(&b' ') {
            at += 1;
        }
        self.bytes.get(at) == Some(&b'T')
            && !self.bytes.get(at + 1).copied().is_some_and(is_name_byte)
    }

    /// An operand with its signs: a number, a name, a call or a parenthesis.
    fn nud(&mut self) -> Option<Operand> {
        self.spaces();
        let start = self.pos;
        match self.peek()? {
            b'-' => {
                self.pos += 1;
                let operand = self.expr(NEG - 1)?;
                let span = Span::new(start, operand.outer.end);
                Some(Operand {
                    expr: Expr {
                        kind: ExprKind::Neg(Box::new(operand.expr)),
                        span,
                    },
                    outer: span,
                    grouped: false,
                })
            }
            b'(' => {
                self.pos += 1;
                let inner = self.expr(0)?;
                self.spaces();
                self.eat(b')')?;
                Some(Operand {
                    expr: inner.expr,
                    outer: Span::new(start, self.pos),
                    grouped: true,
                })
            }
            b'0'..=b'9' => {
                while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    self.pos += 1;
                }
                if self.peek() == Some(b'.') {
                    self.pos += 1;
                    if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                        self.pos += 1;
                    }
                }
                let span = Span::new(start, self.pos);
                let text = std::str::from_utf8(&self.bytes[start..self.pos]).ok()?;
                Some(leaf(ExprKind::Num(text.to_string()), span))
            }
            b'a'..=b'z' | b'A'..=b'Z' => {
                let (name, name_span) = self.name()?;
                if self.peek() != Some(b'(') {
                    return Some(leaf(ExprKind::Name(name.to_string()), name_span));
                }
                self.pos += 1;
                let mut args = Vec::new();
                loop {
                    args.push(self.expr(0)?.expr);
                    self.spaces();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b')' => break,
                        _ => return None,
                    }
                }
                self.pos += 1;
                let span = Span::new(start, self.pos);
                Some(leaf(
                    ExprKind::Call(Box::new(Call::plain(name, name_span, args))),
                    span,
                ))
            }
            _ => None,
        }
    }
}

fn leaf(kind: ExprKind, span: Span) -> Operand {
    Operand {
        expr: Expr { kind, span },
        outer: span,
        grouped: false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_program_by;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    use std::cell::Cell;

    /// The fast path's answer for a one-line text, without the scan.
    fn read(line: &str) -> Option<Option<(super::Stmt, super::Span)>> {
        super::line(line, 0, line.len())
    }

    /// The program as `parse_program` reads it, and as pest alone reads it, tree or error.
    fn both(src: &str) -> (String, String) {
        let fast = parse_program_by(src, "<test>", true);
        let pest = parse_program_by(src, "<test>", false);
        (format!("{fast:?}"), format!("{pest:?}"))
    }

    #[test]
    fn the_chains_lines_are_read_here_and_give_pests_trees() {
        for line in [
            "z5 = w5*x4",
            "x5 = sigmoid(z5)",
            "E = (y - x100000)^2",
            "at w1 = 1/2, w2 = -3/4, x0 = 2, y = 1",
            "  y = a - b + c*d/e^f^g # a comment: ŷ, σ′, ∂",
            "y = -x^2 + -(a + b)*(c) - f(g(a, b), 2.5)",
            "y = ((a + b)) + c",
            "",
            "   ",
        ] {
            assert!(read(line).is_some(), "not read by the fast path: {line:?}");
            let (fast, pest) = both(line);
            assert_eq!(fast, pest, "{line:?}");
        }
    }

    /// A program long enough to be read in two halves at the same time, with lines for pest
    /// and lines for the fast path in both, gives pest's tree; and with a mistake in each
    /// half, pest's error for the first.
    #[test]
    fn a_long_program_read_in_two_halves_gives_pests_tree_and_first_error() {
        let mut src = String::new();
        for k in 1..4000 {
            src.push_str(&format!("z{k} = w{k}*x{}\nx{k} = sigmoid(z{k})\n", k - 1));
            if k % 1000 == 0 {
                src.push_str(&format!("u{k} = 2x{k}\n"));
            }
        }
        src.push_str("E = (y - x3999)^2\nat w1 = 1/2, x0 = 2, y = 1\n");
        assert!(
            src.len() > 2 * super::super::PARALLEL_BYTES,
            "{}",
            src.len()
        );
        let (fast, pest) = both(&src);
        assert!(fast.starts_with("Ok("), "{}", &fast[..200]);
        assert_eq!(fast, pest);
        let mid = src.len() / 2;
        let broken = |at: usize| {
            let nl = at + src[at..].find('\n').unwrap() + 1;
            format!("{}bad = (x1\n{}", &src[..nl], &src[nl..])
        };
        let twice = broken(mid + 100);
        let twice = {
            let nl = 1000 + twice[1000..].find('\n').unwrap() + 1;
            format!("{}also = x1)\n{}", &twice[..nl], &twice[nl..])
        };
        for text in [broken(mid + 100), broken(10), twice] {
            let (fast, pest) = both(&text);
            assert!(fast.starts_with("Err("), "{}", &fast[..200]);
            assert_eq!(fast, pest);
        }
    }

    #[test]
    fn near_misses_are_left_to_pest() {
        for line in [
            "z = 2x",
            "z = x y",
            "z = 2 (x)",
            "z = f (x)",
            "z = f()",
            "z = x^T",
            "z = x^ T",
            "z = x**2",
            "z = x.*y",
            "z = 1e5",
            "z = 1.5e-3*x",
            "z = +x",
            "z = x'",
            "z = a = b",
            "z == a",
            "z",
            "z =",
            "f(x) = x",
            "c += 1",
            "at x = 1, x = 2",
            "at x = 1,",
            "at x",
            "at = 1",
            "at(x) = 1",
            "take = 3",
            "wrt w1",
            "fn f(x)",
            "x: 3",
            "y = a; z = b",
            "y = a\tb",
            "y = a # c\r",
            "y = ŷ",
            "y = (a",
            "y = a)",
            "y = f(a,)",
            "y = [1, 2]",
        ] {
            assert!(read(line).is_none(), "read by the fast path: {line:?}");
        }
    }

    /// Random lines, most of them of the shapes the fast path reads, many a character or a
    /// token away from one (juxtapositions, exponents, keywords, transposes, `**`, comments,
    /// non-ASCII names, unbalanced parentheses): `parse_program` with the fast path and pest
    /// alone give the same tree, or the same error, on every program of such lines.
    #[test]
    fn fast_lines_read_as_pest_reads_them() {
        let accepted = Cell::new(0usize);
        let left = Cell::new(0usize);
        let mut runner = TestRunner::new(Config {
            cases: 3000,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&program(), |src| {
                for line in src.split('\n') {
                    match read(line) {
                        Some(Some(_)) => accepted.set(accepted.get() + 1),
                        Some(None) => {}
                        None => left.set(left.get() + 1),
                    }
                }
                let (fast, pest) = both(&src);
                prop_assert_eq!(fast, pest, "program {:?}", src);
                Ok(())
            })
            .unwrap();
        // Both paths were exercised, on many lines each.
        let (accepted, left) = (accepted.get(), left.get());
        assert!(
            accepted > 2000 && left > 2000,
            "{accepted} read, {left} left"
        );
    }

    fn pick(items: &'static [&'static str]) -> impl Strategy<Value = String> {
        proptest::sample::select(items).prop_map(str::to_string)
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => pick(&["x", "w1", "x4", "z_2", "E", "y", "b", "sigmoid", "f", "exp"]),
            1 => pick(&["at", "wrt", "fn", "take", "T", "Tx", "e", "ŷ", "σ", "x\u{302}", "d"]),
        ]
    }

    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => pick(&["0", "1", "2", "10", "0.5", "3.25", "007"]),
            1 => pick(&["1e5", "2e", "1E-3", "4e+2x"]),
        ]
    }

    fn space() -> impl Strategy<Value = String> {
        prop_oneof![4 => Just(String::new()), 3 => Just(" ".to_string()), 1 => pick(&["  ", "\t"])]
    }

    fn infix() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => pick(&["+", "-", "*", "/", "^"]),
            1 => pick(&["**", ".*", "./", ".^", "·", "×", "−", " ", "", "=", ","]),
        ]
    }

    fn expr() -> impl Strategy<Value = String> {
        let atom = prop_oneof![3 => name(), 2 => number()];
        atom.prop_recursive(4, 48, 3, |inner| {
            prop_oneof![
                6 => (inner.clone(), space(), infix(), space(), inner.clone())
                    .prop_map(|(a, s, op, t, b)| format!("{a}{s}{op}{t}{b}")),
                2 => (pick(&["-", "-", "- ", "+", "−", "--"]), inner.clone())
                    .prop_map(|(sign, a)| format!("{sign}{a}")),
                2 => (space(), inner.clone(), space())
                    .prop_map(|(s, a, t)| format!("({s}{a}{t})")),
                2 => (name(), pick(&["(", "(", " ("]), proptest::collection::vec(inner.clone(), 0..3))
                    .prop_map(|(f, open, args)| format!("{f}{open}{})", args.join(", "))),
                1 => (inner, pick(&["'", "ᵀ", "^T", "^ T", "^T2", "⁻¹"]))
                    .prop_map(|(a, post)| format!("{a}{post}")),
            ]
        })
    }

    /// An expression of the shapes the fast path reads.
    fn plain_expr() -> impl Strategy<Value = String> {
        let space = || pick(&["", " "]);
        let atom = prop_oneof![
            3 => pick(&["x", "w1", "x4", "z_2", "E", "y", "at", "fn", "Tx", "e", "d"]),
            2 => pick(&["0", "1", "2", "10", "0.5", "3.25", "007"]),
        ];
        atom.prop_recursive(4, 48, 3, move |inner| {
            prop_oneof![
                6 => (inner.clone(), space(), pick(&["+", "-", "*", "/", "^"]), space(), inner.clone())
                    .prop_map(|(a, s, op, t, b)| format!("{a}{s}{op}{t}{b}")),
                2 => (pick(&["-", "- ", "--"]), inner.clone())
                    .prop_map(|(sign, a)| format!("{sign}{a}")),
                2 => (space(), inner.clone(), space())
                    .prop_map(|(s, a, t)| format!("({s}{a}{t})")),
                2 => (pick(&["f", "sigmoid", "exp", "at"]), proptest::collection::vec(inner, 1..3))
                    .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
            ]
        })
    }

    fn line() -> impl Strategy<Value = String> {
        let plain = prop_oneof![
            3 => (pick(&["", " "]), name(), pick(&["=", " = "]), plain_expr(), pick(&["", "", " ", " # ∂σ′", " # \r x", "\r", "#"]))
                .prop_map(|(s, n, eq, e, c)| format!("{s}{n}{eq}{e}{c}")),
            1 => proptest::collection::vec((name(), pick(&[" = ", "="]), plain_expr()), 1..4)
                .prop_map(|bindings| {
                    let items: Vec<String> =
                        bindings.into_iter().map(|(n, eq, e)| format!("{n}{eq}{e}")).collect();
                    format!("at {}", items.join(", "))
                }),
        ];
        prop_oneof![plain, noisy_line()]
    }

    fn noisy_line() -> impl Strategy<Value = String> {
        let stmt = prop_oneof![
            6 => (space(), name(), space(), pick(&["=", "=", "=", "+=", ":", ""]), space(), expr())
                .prop_map(|(s, n, t, eq, u, e)| format!("{s}{n}{t}{eq}{u}{e}")),
            2 => proptest::collection::vec((name(), pick(&[" = ", "=", " "]), expr()), 0..4)
                .prop_map(|bindings| {
                    let items: Vec<String> =
                        bindings.into_iter().map(|(n, eq, e)| format!("{n}{eq}{e}")).collect();
                    format!("at {}", items.join(", "))
                }),
            1 => proptest::collection::vec(
                prop_oneof![name(), number(), infix(), pick(&["(", ")", ",", "at ", "[", "]"])],
                0..8,
            )
            .prop_map(|tokens| tokens.concat()),
        ];
        let tail = prop_oneof![
            6 => Just(String::new()),
            1 => pick(&[" ", " # note", "#σ′ ∂", ";", "; y = 2", "\t", "\r", " # \r x", ","]),
        ];
        // Sometimes one character inserted somewhere.
        let typo = proptest::option::weighted(
            0.15,
            (
                any::<proptest::sample::Index>(),
                pick(&["(", ")", " ", "x", "2", "'", ".", "#", "=", "-"]),
            ),
        );
        (stmt, tail, typo).prop_map(|(stmt, tail, typo)| {
            let mut line = format!("{stmt}{tail}");
            if let Some((at, c)) = typo {
                let boundaries: Vec<usize> = (0..=line.len())
                    .filter(|&i| line.is_char_boundary(i))
                    .collect();
                line.insert_str(boundaries[at.index(boundaries.len())], &c);
            }
            line
        })
    }

    fn program() -> impl Strategy<Value = String> {
        proptest::collection::vec(line(), 1..5).prop_map(|lines| lines.join("\n"))
    }
}
