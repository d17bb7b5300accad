//! The scan: reads the text once, token by token, before pest. It refuses what pest could
//! only report as "unexpected character", measures the nesting depth (see [`MAX_DEPTH`]), and
//! blanks newlines and comments inside parentheses and brackets so a statement may continue
//! over lines.

use super::{Builder, MAX_DEPTH, Mode};
use crate::error::{Result, SourceError};
use crate::syntax::names::{is_name_continue, is_name_start};

/// What the scan sees. Names and numbers follow the grammar's rules exactly.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Tok {
    Number,
    Name,
    Plus,
    Minus,
    /// `*`, `·`, `⋅`, `×`, and the element-wise `.*`, `⊙`
    Times,
    /// `/`, `÷`, and the element-wise `./`
    Divide,
    /// `^`, `**`, and the element-wise `.^`
    Power,
    Open,
    Close,
    /// `[`
    OpenBracket,
    /// `]`
    CloseBracket,
    /// `ᵀ`, `⁻¹`, `⁻ᵀ` (the transpose `'` is a [`Tok::Prime`])
    Postfix,
    /// `:` or `∈` (programs only): the statement declares shapes.
    Colon,
    /// `{`, `}` in a declaration (`R^{m×n}`)
    Brace,
    /// `->`, `→` in a declaration
    Arrow,
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
pub(super) struct Token {
    pub(super) kind: Tok,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// The scan's result: the tokens, and the text pest parses (the source with newlines and
/// comments inside parentheses replaced by spaces of the same length, so offsets agree).
pub(super) struct Scan {
    /// The tokens, if they were asked for ([`scan`]'s `keep_tokens`): only pest's error
    /// messages read them, so a program's are made again when pest refuses it (a program of
    /// 10^5 layers has 1.95·10^6 tokens, 47 MB, and most of its lines never reach pest).
    pub(super) tokens: Vec<Token>,
    /// How many tokens there are, kept or not.
    pub(super) token_count: usize,
    pub(super) text: String,
    /// The deepest nesting (at most [`MAX_DEPTH`]).
    pub(super) depth: usize,
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
            Tok::Open | Tok::OpenBracket => {
                self.open.push((self.current, token.start));
                self.deeper(token.start, token.end);
            }
            Tok::Close | Tok::CloseBracket => {
                if let Some((outside, _)) = self.open.pop() {
                    self.current = outside;
                }
            }
            Tok::Plus | Tok::Minus if starts_operand(prev) => self.deeper(token.start, token.end),
            // A transpose or an inverse wraps what it follows: `x'''` is 3 levels deep.
            Tok::Power | Tok::Prime | Tok::Postfix => self.deeper(token.start, token.end),
            Tok::Plus
            | Tok::Minus
            | Tok::Times
            | Tok::Divide
            | Tok::Comma
            | Tok::Equals
            | Tok::Colon
            | Tok::Arrow => {
                self.current = self.base();
            }
            Tok::Semi | Tok::Newline if self.open.is_empty() => self.current = 0,
            _ => {}
        }
    }
}

/// Whether a token after `prev` begins an operand (so a `-` there is a sign, not a minus).
pub(super) fn starts_operand(prev: Option<Tok>) -> bool {
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
                | Tok::OpenBracket
                | Tok::Colon
                | Tok::Arrow
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

/// Scans `src` (see the module's documentation), keeping the tokens if `keep_tokens` says
/// so, with room for as many as it says (a second scan knows how many there are).
/// Returns the first error: a character or number the language does not have, or nesting
/// deeper than [`MAX_DEPTH`], whichever comes first in the text.
pub(super) fn scan(
    src: &str,
    mode: Mode,
    builder: &Builder<'_>,
    keep_tokens: Option<usize>,
) -> Result<Scan> {
    let mut tokens: Vec<Token> = Vec::with_capacity(keep_tokens.unwrap_or(0));
    let mut token_count = 0;
    let mut last: Option<Tok> = None;
    let mut blank: Vec<(usize, usize)> = Vec::new();
    let mut depth = Depth::default();
    let mut lexical: Option<(usize, SourceError)> = None;
    // Whether the statement declares shapes (it has had a `:` or `∈`): only there are `{`,
    // `}`, `->` and `→` part of the language.
    let mut declaring = false;
    let mut i = 0;
    while let Some(c) = char_at(src, i) {
        let start = i;
        let mut end = i + c.len_utf8();
        let kind = match c {
            ' ' | '\t' | '\r' | '\u{feff}' => None,
            // (The only ASCII space separator is the space.)
            c if !c.is_ascii() && pest::unicode::SPACE_SEPARATOR(c) => None,
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
                if src.as_bytes().get(end) == Some(&b'.') && elementwise_end(src, end).is_none() {
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
            '.' if elementwise_end(src, start).is_some() => {
                end = elementwise_end(src, start).unwrap_or(end);
                Some(match src.as_bytes()[start + 1] {
                    b'*' => Tok::Times,
                    b'/' => Tok::Divide,
                    _ => Tok::Power,
                })
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
            '-' if declaring && char_at(src, end) == Some('>') => {
                end += 1;
                Some(Tok::Arrow)
            }
            '→' if declaring => Some(Tok::Arrow),
            '{' | '}' if declaring => Some(Tok::Brace),
            ':' | '∈' if mode == Mode::Program => {
                declaring = true;
                Some(Tok::Colon)
            }
            '-' | '−' => Some(Tok::Minus),
            '*' if char_at(src, end) == Some('*') => {
                end += 1;
                Some(Tok::Power)
            }
            '*' | '·' | '⋅' | '×' | '⊙' => Some(Tok::Times),
            '/' | '÷' => Some(Tok::Divide),
            '^' => Some(Tok::Power),
            '(' => Some(Tok::Open),
            ')' => Some(Tok::Close),
            '[' => Some(Tok::OpenBracket),
            ']' => Some(Tok::CloseBracket),
            'ᵀ' => Some(Tok::Postfix),
            '⁻' if matches!(char_at(src, end), Some('¹' | 'ᵀ')) => {
                end += char_at(src, end).map_or(0, char::len_utf8);
                Some(Tok::Postfix)
            }
            ',' => Some(Tok::Comma),
            '=' => Some(Tok::Equals),
            ';' => Some(Tok::Semi),
            '\'' | '′' | '″' | '‴' => Some(Tok::Prime),
            // `∇f(a)`, a Jacobian: a prefix of a call, as `∂_2` is.
            '∇' => Some(Tok::Partial),
            '∂' => match partial_end(src, end) {
                Some(partial) => {
                    end = partial;
                    Some(Tok::Partial)
                }
                // `∂z3/∂w3`: a name's derivative by another (the grammar's partial_frac).
                None if char_at(src, end).is_some_and(is_name_start) => {
                    while let Some(next) = char_at(src, end).filter(|&n| is_name_continue(n)) {
                        end += next.len_utf8();
                    }
                    Some(Tok::Name)
                }
                None => {
                    let error = builder
                        .error(
                            start,
                            end,
                            "`∂` must be followed by `_` and an argument number, or by a name",
                            "a partial derivative names its argument by number, or a name",
                        )
                        .with_help(
                            "write `∂_2 ℓ(y, ŷ)` for the derivative of ℓ by its second argument, or `∂z3/∂w3` for the derivative of z3 by w3",
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
            if matches!(kind, Tok::Newline | Tok::Semi) && depth.open.is_empty() {
                declaring = false;
            }
            let token = Token { kind, start, end };
            depth.track(token, last);
            last = Some(kind);
            token_count += 1;
            if keep_tokens.is_some() {
                tokens.push(token);
            }
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
        token_count,
        text,
        depth: depth.max,
    })
}

/// The end of an element-wise operator (`.*`, `./`, `.^`) starting at `dot`, if one is there.
fn elementwise_end(src: &str, dot: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    (bytes.get(dot) == Some(&b'.') && matches!(bytes.get(dot + 1), Some(b'*' | b'/' | b'^')))
        .then_some(dot + 2)
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
        '{' | '}' => "group with round parentheses `(` and `)`",
        '⁻' => {
            "write `X⁻¹` for an inverse, `X⁻ᵀ` for the inverse transpose, or `x^-2` for a power"
        }
        '∈' | ':' => "shapes are declared in a program file, as in `x: 3` or `W: 4×3`",
        '→' => "`→` belongs in a function's shape, as in `f: R^3 → R^4`",
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_space_is_asciis_only_space_separator() {
        for c in (0..128u8).map(char::from) {
            assert_eq!(pest::unicode::SPACE_SEPARATOR(c), c == ' ', "{c:?}");
        }
    }
}
