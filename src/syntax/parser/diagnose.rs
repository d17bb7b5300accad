//! pest's errors in English: where pest stopped, explained from the scan's tokens around
//! that place, and what it expected in words, never a rule's name.

use pest::error::{ErrorVariant, InputLocation};

use super::scan::{Tok, Token, starts_operand};
use super::{Builder, Mode, Rule, quote};
use crate::error::SourceError;
use crate::syntax::ast::Span;

impl Builder<'_> {
    /// Explains where pest stopped, from the tokens around that place.
    pub(super) fn error_of_pest(
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
        self.unexpected_at(pos, positives, tokens).into()
    }

    fn unexpected_at(&self, pos: usize, positives: &[Rule], tokens: &[Token]) -> SourceError {
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
                Tok::Open | Tok::OpenBracket => open.push(*t),
                Tok::Close | Tok::CloseBracket => {
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
        // A `]` that closes nothing, or closes a `(`.
        if let Some(t) = next.filter(|t| t.kind == Tok::CloseBracket)
            && open.last().is_none_or(|o| o.kind == Tok::Open)
            && !prev.is_some_and(|p| starts_operand(Some(p.kind)))
        {
            return match open.last() {
                Some(paren) => self
                    .error(t.start, t.end, "unexpected `]`", "expected `)` here")
                    .with_label(paren.start, paren.end, "this parenthesis is open"),
                None => self.error(t.start, t.end, "unexpected `]`", "this `]` closes nothing"),
            };
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
                .with_help(if text(p) == "∇" {
                    "a Jacobian is written `∇f(a)`"
                } else {
                    "a partial derivative is written `∂_2 ℓ(y, ŷ)`"
                });
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
                Tok::Colon => "a shape",
                Tok::Arrow => "a space, such as `R^4`",
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
                Some(t) if matches!(t.kind, Tok::Close | Tok::CloseBracket) => {
                    let close = text(t);
                    self.error_at(
                        next_span,
                        format!("unexpected `{close}`"),
                        format!("{expected} should come between `{after}` and `{close}`"),
                    )
                }
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
            let (what, close) = if paren.kind == Tok::OpenBracket {
                ("bracket", "]")
            } else {
                ("parenthesis", ")")
            };
            if at_end || !same_line {
                let error = self.error(
                    paren.start,
                    paren.end,
                    format!("unclosed {what}"),
                    format!("this {what} is never closed"),
                );
                return if next.is_none() {
                    error.with_label(here.start, here.end, format!("`{close}` should {follow}"))
                } else if !same_line {
                    error
                        .with_label(
                            next_span.start,
                            next_span.end,
                            "so the statement goes on to here",
                        )
                        .with_help(format!(
                            "a statement continues on the next line while a {what} is open"
                        ))
                } else {
                    error.with_label(
                        next_span.start,
                        next_span.start,
                        format!("expected `{close}` before this"),
                    )
                };
            }
        }
        let operators = [Rule::add, Rule::sub, Rule::mul, Rule::div, Rule::pow];
        let expected = if !positives.iter().any(|r| operators.contains(r)) {
            expected_in_english(positives)
        } else if open.last().is_some_and(|o| o.kind == Tok::OpenBracket) {
            "an operator, `,` or `]`".to_string()
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
            Some(Tok::Arrow) => {
                "a function's shape goes from one space to another, as in `f: R^3 → R^4`"
            }
            Some(Tok::Colon) => {
                "a shape is declared on a line of its own, as in `x: 3` or `x, b: n`"
            }
            _ => return error,
        };
        error.with_help(help)
    }
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
            Rule::program
            | Rule::at
            | Rule::wrt
            | Rule::fn_decl
            | Rule::take
            | Rule::def
            | Rule::binding => "a statement",
            Rule::kw_at => "`at`",
            Rule::kw_wrt => "`wrt`",
            Rule::kw_fn => "`fn`",
            Rule::kw_take => "`take`",
            Rule::list => "`[`",
            Rule::transpose | Rule::tee => "`'`",
            Rule::inverse | Rule::inv_transpose => "`⁻¹`",
            Rule::hadamard | Rule::hdiv | Rule::epow => "an operator",
            Rule::shape | Rule::shape_names => "a statement",
            Rule::fn_shape | Rule::space | Rule::reals => "`R`",
            Rule::dims | Rule::dim_times => "a shape",
            Rule::arrow => "`→`",
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
