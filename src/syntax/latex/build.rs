//! pest's pairs of `grammar/latex.pest` to [`ast`](crate::syntax::ast) trees: the trees
//! chainrule's own syntax gives for the same formula, with spans into the LaTeX.

use super::{ErrFn, Rule};
use crate::error::Result;
use crate::print::{greek_of_command, mark_of_accent};
use crate::syntax::ast::{AddOp, Call, Expr, ExprKind, MulOp, Span};
use crate::syntax::normalize_name;
use pest::iterators::Pair;

/// The builder recurses once per bracket: below this much stack left, it continues on a new
/// segment.
const RED_ZONE: usize = 128 * 1024;
const SEGMENT: usize = 2 * 1024 * 1024;

pub(super) struct Builder<'a> {
    /// Errors, at places in the text parsed.
    pub(super) err: &'a ErrFn<'a>,
    /// Where the text parsed starts in the source: spans are in the source.
    pub(super) offset: usize,
    /// The text parsed.
    pub(super) text: &'a str,
}

/// The name of the mark a `\partial` leaves until it is joined ([`join_partials`]).
pub(super) const PARTIAL: &str = "∂";

/// The call `\mathbf{I}_{n}` reads as: the n×n identity (its argument the size, a number or
/// a name). Not a name one can write, so only the LaTeX reader makes it.
pub const IDENTITY: &str = "\\mathbf{I}";
/// The call `\mathbf{1}_{n}` (one size) or `\mathbf{1}_{m \times n}` (two) reads as.
pub const ONES: &str = "\\mathbf{1}";
/// The call `\mathbf{0}_{n}` (one size) or `\mathbf{0}_{m \times n}` (two) reads as: zeros.
pub const ZEROS: &str = "\\mathbf{0}";

/// Whether a call's name is one of the constant matrices the reader makes, whose arguments
/// are sizes: [`IDENTITY`], [`ONES`], [`ZEROS`].
pub fn is_constant_matrix(name: &str) -> bool {
    [IDENTITY, ONES, ZEROS].contains(&name)
}

/// `∂x` (a `\partial` mark joined to a name): the name.
fn partial_of(e: &Expr) -> Option<Expr> {
    match &e.kind {
        ExprKind::Call(c) if c.name == PARTIAL && c.args.len() == 1 && c.partials.is_empty() => {
            match &c.args[0].kind {
                ExprKind::Name(_) => Some(c.args[0].clone()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Joins each `\partial` mark to the factor after it: `\partial E` is the mark `∂(E)` (read by
/// a `\frac`), and `\partial_{\hat{y}} \ell` is `d(ℓ, ŷ)`, the partial of ℓ by its parameter ŷ.
fn join_partials(first: Expr, rest: Vec<(MulOp, Expr)>) -> (Expr, Vec<(MulOp, Expr)>) {
    // `-\partial_{\hat{y}} \ell`: the sign wraps the mark, and goes on what it joins.
    fn peel(mut e: &Expr) -> &Expr {
        while let ExprKind::Neg(x) = &e.kind {
            e = x;
        }
        e
    }
    let is_mark = |e: &Expr| matches!(&peel(e).kind, ExprKind::Call(c) if c.name == PARTIAL);
    let mut items: Vec<(MulOp, Expr)> = Vec::with_capacity(rest.len() + 1);
    items.push((MulOp::Mul, first));
    items.extend(rest);
    if !items.iter().any(|(_, e)| is_mark(e)) {
        let mut it = items.into_iter();
        let first = it.next().expect("one factor").1;
        return (first, it.collect());
    }
    let mut out: Vec<(MulOp, Expr)> = Vec::new();
    let mut it = items.into_iter().peekable();
    while let Some((op, e)) = it.next() {
        let mark = is_mark(&e);
        let followed = matches!(it.peek(), Some((MulOp::Mul, next)) if matches!(next.kind, ExprKind::Name(_) | ExprKind::Call(_)));
        if mark && followed {
            let (_, next) = it.next().expect("peeked");
            let mut signs = Vec::new();
            let mut inner = e.clone();
            while matches!(inner.kind, ExprKind::Neg(_)) {
                signs.push(inner.span);
                let ExprKind::Neg(x) = inner.into_kind() else {
                    unreachable!()
                };
                inner = *x;
            }
            let mark_span = inner.span;
            let ExprKind::Call(c) = inner.into_kind() else {
                unreachable!()
            };
            let target = match &next.kind {
                ExprKind::Call(f) => Expr {
                    kind: ExprKind::Name(f.name.clone()),
                    span: f.name_span,
                },
                _ => next.clone(),
            };
            let span = Span::new(mark_span.start, next.span.end);
            let joined = match c.args.into_iter().next() {
                // `\partial_{b} f`: d(f, b).
                Some(by) => Expr {
                    kind: ExprKind::Call(Box::new(Call::plain("d", mark_span, vec![target, by]))),
                    span,
                },
                // `\partial E`: the mark ∂(E), for a \frac to read.
                None => Expr {
                    kind: ExprKind::Call(Box::new(Call::plain(PARTIAL, mark_span, vec![target]))),
                    span,
                },
            };
            let joined = signs.into_iter().rev().fold(joined, |j, sign| {
                let span = Span::new(sign.start, j.span.end);
                node(ExprKind::Neg(Box::new(j)), span)
            });
            out.push((op, joined));
        } else {
            out.push((op, e));
        }
    }
    let mut it = out.into_iter();
    let first = it.next().expect("one factor").1;
    (first, it.collect())
}

fn node(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

/// A denominator `4 (w + x)` as the divisors `4` and `w + x`: `a/4/(w + x)`, as chainrule
/// prints it, since `4*(w + x)` alone lowers to `4*w + 4*x`, another node. Only a leading
/// number is split off, which is safe for vectors and matrices too (`b^\top x` stays whole).
fn split_number(den: Expr) -> Vec<Expr> {
    let span = den.span;
    let splits = matches!(&den.kind, ExprKind::Product(first, rest)
        if matches!(first.kind, ExprKind::Num(_)) && rest.iter().all(|(op, _)| *op == MulOp::Mul));
    if !splits {
        return vec![den];
    }
    let ExprKind::Product(first, mut rest) = den.into_kind() else {
        unreachable!("checked above")
    };
    let rest_expr = if rest.len() == 1 {
        rest.pop().expect("one factor").1
    } else {
        let (_, head) = rest.remove(0);
        let start = head.span.start;
        node(
            ExprKind::Product(Box::new(head), rest),
            Span::new(start, span.end),
        )
    };
    vec![*first, rest_expr]
}

impl Builder<'_> {
    fn span_of(&self, p: &Pair<Rule>) -> Span {
        Span::new(
            self.offset + p.as_span().start(),
            self.offset + p.as_span().end(),
        )
    }

    fn fail_help<T>(&self, span: Span, message: &str, label: &str, help: &str) -> Result<T> {
        let (start, end) = (span.start - self.offset, span.end - self.offset);
        Err((self.err)(start, end, message.into(), label)
            .with_help(help.to_string())
            .into())
    }

    fn fail<T>(&self, span: Span, message: impl Into<String>, label: &str) -> Result<T> {
        let (start, end) = (span.start - self.offset, span.end - self.offset);
        Err((self.err)(start, end, message.into(), label).into())
    }

    /// `a + b - c`: a flat [`ExprKind::Sum`], or the one term.
    pub(super) fn sum(&self, p: Pair<Rule>) -> Result<Expr> {
        stacker::maybe_grow(RED_ZONE, SEGMENT, || {
            let span = self.span_of(&p);
            let mut inner = p.into_inner();
            let first = self.term(inner.next().expect("grammar: a term"))?;
            let mut rest = Vec::new();
            while let Some(op) = inner.next() {
                let op = if op.as_str() == "+" {
                    AddOp::Add
                } else {
                    AddOp::Sub
                };
                rest.push((op, self.term(inner.next().expect("grammar: a term"))?));
            }
            Ok(if rest.is_empty() {
                first
            } else {
                node(ExprKind::Sum(Box::new(first), rest), span)
            })
        })
    }

    /// Factors joined by `\cdot`, `\times`, `/`, `\odot`, `\oslash` or side by side.
    fn term(&self, p: Pair<Rule>) -> Result<Expr> {
        let span = self.span_of(&p);
        let mut inner = p.into_inner();
        let first = self.factor(inner.next().expect("grammar: a factor"))?;
        let mut rest: Vec<(MulOp, Expr)> = Vec::new();
        while let Some(q) = inner.next() {
            if q.as_rule() == Rule::mulop {
                let op = match q.into_inner().next().map(|o| o.as_rule()) {
                    Some(Rule::divop) => MulOp::Div,
                    Some(Rule::odot) => MulOp::Hadamard,
                    Some(Rule::oslash) => MulOp::HDiv,
                    _ => MulOp::Mul,
                };
                rest.push((op, self.factor(inner.next().expect("grammar: a factor"))?));
            } else {
                // Side by side: a product, as LaTeX reads `2x`, `w_3 x_2`, `W_1 x`.
                let next = self.power(q)?;
                let (last_op, last) = match rest.last() {
                    Some((op, e)) => (*op, e),
                    None => (MulOp::Mul, &first),
                };
                self.juxtaposable(last_op, last, &next)?;
                rest.push((MulOp::Mul, next));
            }
        }
        let (first, rest) = join_partials(first, rest);
        Ok(if rest.is_empty() {
            first
        } else {
            node(ExprKind::Product(Box::new(first), rest), span)
        })
    }

    /// Refuses side-by-side factors that LaTeX renders as another formula or that readers
    /// read two ways: `x/2y` (x/(2y) or (x/2)·y?), `\\sin 2x` (sin(2x), not sin(2)·x),
    /// `2 3` and `x 2` (rendered `23` and `x2`), `x^23` (x²·3, though meant as x²³).
    fn juxtaposable(&self, last_op: MulOp, last: &Expr, next: &Expr) -> Result<()> {
        let span = Span::new(last.span.start, next.span.end);
        if matches!(last_op, MulOp::Div | MulOp::HDiv) {
            return self.fail_help(
                span,
                "a product after `/` is ambiguous",
                "is the product divided, or only its first factor?",
                "write `\\frac{x}{2y}`, or `\\frac{x}{2} y`",
            );
        }
        let mut bare = last;
        while let ExprKind::Neg(x) = &bare.kind {
            bare = x;
        }
        if let ExprKind::Call(c) = &bare.kind
            && !is_constant_matrix(&c.name)
        {
            // A function command with its argument unbracketed (`\log x`, `\sin 2`): the call
            // ends where its argument does. (Not a size: `\mathbf{I}_3 x`.)
            let unbracketed = c.args.last().is_some_and(|a| {
                let after = self
                    .text
                    .get(a.span.end - self.offset..bare.span.end - self.offset);
                after.is_some_and(|t| t.trim().is_empty())
            });
            if unbracketed && !matches!(next.kind, ExprKind::Call(_)) {
                return self.fail_help(
                    span,
                    "a function's argument without brackets followed by a factor is ambiguous",
                    "is the factor part of the argument?",
                    "write the argument in brackets: `\\sin(2x)`, or `\\sin(2) x`",
                );
            }
        }
        // `\\sigma^2(x)`: σ(x)² as textbooks write it, not σ²·x; `x^2 (x + 1)`, with a space,
        // is a product, as `x (y + 1)` is.
        if let ExprKind::Pow(base, _) = &bare.kind
            && matches!(base.kind, ExprKind::Name(_))
        {
            let after = self.text.get(bare.span.end - self.offset..).unwrap_or("");
            if after.starts_with('(') || after.starts_with("\\left(") {
                return self.fail_help(
                    span,
                    "a power of a name directly followed by `(` is ambiguous",
                    "a power of a call, or a product?",
                    "write `\\sigma(x)^2` for the square of σ(x), or `\\sigma^2 \\cdot (x)` for a product",
                );
            }
        }
        // A bracket between them is seen: `(7.4398)(0.8534)`, `-2(0.5)`, `(2)3` are products
        // as written and rendered (a brace is not: `{2}{3}` renders as 23).
        let bracketed = self
            .text
            .get(last.span.end - self.offset..next.span.start - self.offset)
            .is_some_and(|gap| {
                gap.contains(['(', ')', '[', ']']) || gap.contains("\\{") || gap.contains("\\}")
            });
        if !bracketed
            && matches!(next.kind, ExprKind::Num(_))
            && matches!(
                bare.kind,
                ExprKind::Num(_) | ExprKind::Name(_) | ExprKind::Pow(..)
            )
        {
            return self.fail_help(
                span,
                "a number written after a number, a name or a power reads as another formula",
                "missing operator",
                "write the product with `\\cdot` (`x^2 \\cdot 3`), or braces for an exponent (`x^{23}`)",
            );
        }
        Ok(())
    }

    /// A power with its signs: `-x^2` is `-(x^2)`, as in chainrule's syntax.
    fn factor(&self, p: Pair<Rule>) -> Result<Expr> {
        let span = self.span_of(&p);
        let mut signs = Vec::new();
        let mut body = None;
        for q in p.into_inner() {
            if q.as_rule() == Rule::neg {
                signs.push(q.as_str() != "+");
            } else {
                body = Some(self.power(q)?);
            }
        }
        let mut e = body.expect("grammar: a power");
        let negs = signs.iter().filter(|n| **n).count();
        for _ in 0..negs {
            e = node(ExprKind::Neg(Box::new(e)), span);
        }
        Ok(e)
    }

    /// A base and its superscripts, applied left to right.
    fn power(&self, p: Pair<Rule>) -> Result<Expr> {
        let mut inner = p.into_inner();
        let atom = inner.next().expect("grammar: an atom");
        let start = self.offset + atom.as_span().start();
        let mut e = self.atom(atom)?;
        for (k, sup) in inner.enumerate() {
            let span = Span::new(start, self.offset + sup.as_span().end());
            if k > 0 {
                // `x^{2}^{3}`: TeX stops at "Double superscript"; read, it was (x²)³ here and
                // x^(2^3) in chainrule's syntax.
                return self.fail_help(
                    span,
                    "a double superscript is ambiguous",
                    "a power of a power, or a power of the exponent?",
                    "write `(x^{2})^{3}` or `x^{2^{3}}` (LaTeX refuses `x^{2}^{3}` too)",
                );
            }
            let body = sup.into_inner().next().expect("grammar: a superscript");
            e = match body.as_rule() {
                Rule::top | Rule::tee => node(ExprKind::Transpose(Box::new(e)), span),
                Rule::inv_top => node(
                    ExprKind::Transpose(Box::new(node(ExprKind::Inverse(Box::new(e)), span))),
                    span,
                ),
                Rule::circ => {
                    let k = self.sum(body.into_inner().next().expect("grammar: a sum"))?;
                    node(ExprKind::ElemPow(Box::new(e), Box::new(k)), span)
                }
                Rule::single => node(
                    ExprKind::Pow(Box::new(e), Box::new(self.single(body)?)),
                    span,
                ),
                _ => {
                    if is_label(body.as_str()) {
                        return self.fail_help(
                            span,
                            "a superscript in brackets reads as a power or as a label",
                            "a power, or a layer's or a sample's number?",
                            "`W^{(2)}`, `x^{(i)}`, `a^{[l]}` name a layer or a sample in machine learning; write `x^{2}` for a power, and a layer's names with a subscript, `W_{2}`",
                        );
                    }
                    node(ExprKind::Pow(Box::new(e), Box::new(self.sum(body)?)), span)
                }
            };
        }
        Ok(e)
    }

    /// One token: a digit or a letter (`x^2`, `\frac12`).
    fn single(&self, p: Pair<Rule>) -> Result<Expr> {
        let q = p.into_inner().next().expect("grammar: a token");
        let span = self.span_of(&q);
        Ok(match q.as_rule() {
            Rule::digit => node(ExprKind::Num(q.as_str().to_string()), span),
            _ => node(ExprKind::Name(normalize_name(&self.letter(q)?)), span),
        })
    }

    /// A braced expression or one token.
    fn arg(&self, p: Pair<Rule>) -> Result<Expr> {
        if p.as_rule() == Rule::single {
            self.single(p)
        } else {
            self.sum(p)
        }
    }

    fn call(&self, name: &str, name_span: Span, args: Vec<Expr>, span: Span) -> Expr {
        node(
            ExprKind::Call(Box::new(Call::plain(name, name_span, args))),
            span,
        )
    }

    fn atom(&self, p: Pair<Rule>) -> Result<Expr> {
        // `\exp \exp x` nests without a sum between.
        stacker::maybe_grow(RED_ZONE, SEGMENT, || self.atom_here(p))
    }

    fn atom_here(&self, p: Pair<Rule>) -> Result<Expr> {
        let span = self.span_of(&p);
        match p.as_rule() {
            Rule::number => Ok(node(ExprKind::Num(p.as_str().to_string()), span)),
            Rule::group => self.sum(p.into_inner().next().expect("grammar: a sum")),
            Rule::abs => {
                let a = self.sum(p.into_inner().next().expect("grammar: a sum"))?;
                Ok(self.call("abs", span, vec![a], span))
            }
            Rule::norm => {
                let mut inner = p.into_inner();
                let a = self.sum(inner.next().expect("grammar: a sum"))?;
                // Of a matrix, `_2` (and no subscript) is read as `_F`, the Frobenius norm, as
                // machine learning writes weight decay (‖W‖₂²), and `_1` as the entries'
                // absolute values summed: never the spectral or the induced norm.
                let name = match inner.next().map(|d| (d.as_rule(), d.as_str().to_string())) {
                    None | Some((Rule::frob, _)) => "norm2".to_string(),
                    Some((_, k)) if k == "1" || k == "2" => format!("norm{k}"),
                    Some((_, k)) => {
                        return self.fail(
                            span,
                            format!("the {k}-norm is not supported"),
                            "only the 1-norm and the 2-norm are",
                        );
                    }
                };
                Ok(self.call(&name, span, vec![a], span))
            }
            Rule::frac => {
                let mut inner = p.clone().into_inner();
                let num = self.arg(inner.next().expect("grammar: a numerator"))?;
                let den = self.arg(inner.next().expect("grammar: a denominator"))?;
                // `\frac{\partial E}{\partial w_3}`: the derivative of a name by another,
                // `d(E, w3)` (through the program's definitions).
                // `\frac{dE}{dw_3}`, `\frac{\mathrm{d}E}{\mathrm{d}w_3}`: the same, in Leibniz's
                // d (it was the product d·E over d·w3: "`d` is not a name of the program").
                let leibniz = (partial_of(&num), partial_of(&den));
                let leibniz = match leibniz {
                    (Some(a), Some(b)) => Some((a, b)),
                    _ => self.d_of(&num).zip(self.d_of(&den)),
                };
                if let Some((a, b)) = leibniz {
                    return Ok(self.call("d", span, vec![a, b], span));
                }
                if let Some(why) = self.partial_fraction(&p) {
                    return self.fail(span, why, "a partial derivative");
                }
                let dens = split_number(den);
                // `\frac{2 (a - b)}{c}` is `2*(a - b)/c`, one chain, as chainrule's syntax
                // reads it (a chain of its own in the numerator would lower differently).
                let num_span = num.span;
                let divs = dens.into_iter().map(|d| (MulOp::Div, d));
                Ok(match num.into_kind() {
                    ExprKind::Product(first, mut rest) if !rest.is_empty() => {
                        rest.extend(divs);
                        node(ExprKind::Product(first, rest), span)
                    }
                    kind => {
                        let num = node(kind, num_span);
                        node(ExprKind::Product(Box::new(num), divs.collect()), span)
                    }
                })
            }
            Rule::sqrt => {
                let a = self.arg(p.into_inner().next().expect("grammar: an argument"))?;
                Ok(self.call(crate::syntax::SQRT, span, vec![a], span))
            }
            Rule::indicator => {
                let a = self.sum(p.into_inner().next().expect("grammar: a condition"))?;
                Ok(self.call("step", span, vec![a], span))
            }
            Rule::ones | Rule::zeros | Rule::identity => {
                let rule = p.as_rule();
                let Some(size) = p.into_inner().next() else {
                    let (what, digit) = if rule == Rule::zeros {
                        ("zeros", 0)
                    } else {
                        ("ones", 1)
                    };
                    return self.fail(
                        span,
                        format!(
                            "the vector of {what} `\\mathbf{{{digit}}}` needs its size: `\\mathbf{{{digit}}}_{{n}}`, or `\\mathbf{{{digit}}}_{{m \\times n}}` for a matrix"
                        ),
                        "no size",
                    );
                };
                let mut args = Vec::new();
                for d in size.into_inner() {
                    let dspan = self.span_of(&d);
                    let q = d.into_inner().next().expect("grammar: a size");
                    let kind = match q.as_rule() {
                        Rule::sub_digits | Rule::sub_digit => ExprKind::Num(q.as_str().to_string()),
                        Rule::one_letter => ExprKind::Name(q.as_str().to_string()),
                        _ => ExprKind::Name(self.name(q)?),
                    };
                    args.push(node(kind, dspan));
                }
                let name = match rule {
                    Rule::identity => IDENTITY,
                    Rule::zeros => ZEROS,
                    _ => ONES,
                };
                Ok(self.call(name, span, args, span))
            }
            // `\partial` alone, or `\partial_{\hat{y}}`: a mark joined to what follows it by
            // `join_partials`, and read by a `\frac` (`\frac{\partial E}{\partial w_3}`).
            Rule::partial => {
                let args = match p.into_inner().next() {
                    Some(sub) => vec![self.arg(sub)?],
                    None => Vec::new(),
                };
                Ok(self.call(PARTIAL, span, args, span))
            }
            Rule::slot_partial => {
                let mut slots = Vec::new();
                let mut call = None;
                for q in p.into_inner() {
                    if q.as_rule() == Rule::slot_mark {
                        let s = q.into_inner().next().expect("grammar: a slot");
                        let k: u32 = s.as_str().parse().unwrap_or(0);
                        if k == 0 {
                            return self.fail(
                                self.span_of(&s),
                                "argument slots are numbered from 1",
                                "not a slot",
                            );
                        }
                        slots.push(k);
                    } else {
                        call = Some(self.name_call(q)?);
                    }
                }
                let mut e = call.expect("grammar: a called name");
                match &mut e.kind {
                    ExprKind::Call(c) => {
                        c.partials = slots;
                        e.span = span;
                        Ok(e)
                    }
                    _ => self.fail(
                        span,
                        "a partial derivative by slot needs the function's arguments",
                        "as in `\\partial_{2} f(x, y)`",
                    ),
                }
            }
            Rule::fn_call => self.fn_call(p),
            Rule::name_call => self.name_call(p),
            Rule::jacobian => {
                let call = p.into_inner().next().expect("grammar: a call");
                let mut e = self.name_call(call)?;
                e.span = span;
                match &mut e.kind {
                    ExprKind::Call(c) if c.primes == 0 => c.primes = 1,
                    _ => {
                        return self.fail(
                            span,
                            "`\\nabla f(a)` is the Jacobian of a vector function f at a: it needs a function and its argument",
                            "not a function's Jacobian",
                        );
                    }
                }
                Ok(e)
            }
            Rule::unknown => {
                let cmd = p.as_str();
                let usage = match cmd {
                    "\\frac" | "\\dfrac" | "\\tfrac" => Some("\\frac{a}{b}"),
                    "\\sqrt" => Some("\\sqrt{x}"),
                    "\\operatorname" => Some("\\operatorname{relu}(x)"),
                    "\\mathbb" => Some("\\mathbb{1}\\{z > 0\\}"),
                    "\\left" => Some("\\left( x + 1 \\right)"),
                    "\\mathrm" | "\\text" | "\\mathbf" => Some("\\mathrm{loss}"),
                    _ => None,
                };
                match usage {
                    Some(u) => Err((self.err)(
                        span.start - self.offset,
                        span.end - self.offset,
                        format!("`{cmd}` is not complete here"),
                        "incomplete",
                    )
                    .with_help(format!("write it as in `{u}`"))
                    .into()),
                    None => self.fail(
                        span,
                        format!("the LaTeX command `{cmd}` cannot stand here"),
                        "unexpected here",
                    ),
                }
            }
            r => unreachable!("grammar: atom {r:?}"),
        }
    }

    /// `x` of Leibniz's `dx`, written `d x`, `dx`, `d\,x` or `\mathrm{d} x`: the name d side
    /// by side with one other name (`d \cdot x` is a product).
    fn d_of(&self, e: &Expr) -> Option<Expr> {
        match &e.kind {
            ExprKind::Product(first, rest)
                if rest.len() == 1
                    && rest[0].0 == MulOp::Mul
                    && matches!(&first.kind, ExprKind::Name(d) if d == "d")
                    && matches!(&rest[0].1.kind, ExprKind::Name(x) if x != "d") =>
            {
                let gap = self
                    .text
                    .get(first.span.end - self.offset..rest[0].1.span.start - self.offset)?;
                let mut gap = gap.trim();
                for spacing in ["\\,", "\\;", "\\!", "\\:", "~"] {
                    gap = gap.trim_start_matches(spacing).trim();
                }
                gap.is_empty().then(|| rest[0].1.clone())
            }
            _ => None,
        }
    }

    /// Why a `\frac` is a partial derivative (`\frac{\partial E}{\partial w_3}`), if it is one.
    fn partial_fraction(&self, p: &Pair<Rule>) -> Option<&'static str> {
        let text = p.as_str();
        let num = text.split_once('{').map(|(_, r)| r.trim_start())?;
        (num.starts_with("\\partial") || num.starts_with("d}") || num.starts_with("d "))
            .then_some(
                "a partial derivative is written `\\frac{\\partial a}{\\partial b}` with a name on each side",
            )
    }

    /// `\exp(x)`, `\log x`, `\max\{x, 0\}`, `\operatorname{relu}(x)`, `\log\det X`.
    fn fn_call(&self, p: Pair<Rule>) -> Result<Expr> {
        let span = self.span_of(&p);
        let mut inner = p.into_inner();
        let head = inner.next().expect("grammar: a function");
        let name_span = self.span_of(&head);
        let name = if head.as_str().starts_with("\\log") && head.as_str().contains("\\det") {
            "logdet".to_string()
        } else {
            let q = head.into_inner().next().expect("grammar: a function name");
            let word = q.as_str().trim_start_matches('\\').replace("\\_", "_");
            match word.as_str() {
                "sgn" => "sign".to_string(),
                _ => normalize_name(&word),
            }
        };
        let mut primes = 0;
        let mut args = Vec::new();
        for q in inner {
            match q.as_rule() {
                Rule::marks => primes = self.marks(q)?,
                Rule::fn_args => args = self.args(q)?,
                _ => args = vec![self.power(q)?],
            }
        }
        let mut e = self.call(&name, name_span, args, span);
        if let ExprKind::Call(c) = &mut e.kind {
            c.primes = primes;
        }
        Ok(e)
    }

    fn args(&self, p: Pair<Rule>) -> Result<Vec<Expr>> {
        p.into_inner().map(|a| self.sum(a)).collect()
    }

    /// The number of derivatives a mark asks for: primes, or `^{(4)}`.
    fn marks(&self, p: Pair<Rule>) -> Result<u32> {
        let span = self.span_of(&p);
        let q = p.into_inner().next().expect("grammar: a mark");
        if q.as_rule() == Rule::primes {
            return Ok(q.as_str().chars().count() as u32);
        }
        let digits = q.into_inner().next().expect("grammar: an order");
        match digits.as_str().parse::<u32>() {
            Ok(k) if k <= 1000 => Ok(k),
            _ => self.fail(span, "derivative order too large", "here"),
        }
    }

    /// A name, or a call when arguments follow it directly (`\sigma'(z_2)`, `f\left(x\right)`).
    fn name_call(&self, p: Pair<Rule>) -> Result<Expr> {
        let span = self.span_of(&p);
        let mut inner = p.into_inner();
        let name_pair = inner.next().expect("grammar: a name");
        let name_span = self.span_of(&name_pair);
        let name = self.name(name_pair)?;
        let mut primes = 0;
        let mut args = None;
        for q in inner {
            match q.as_rule() {
                Rule::marks => primes = self.marks(q)?,
                _ => args = Some(self.args(q.into_inner().next().expect("grammar: arguments"))?),
            }
        }
        Ok(match args {
            None => node(ExprKind::Name(name), span),
            Some(args) => {
                let mut e = self.call(&name, name_span, args, span);
                if let ExprKind::Call(c) = &mut e.kind {
                    c.primes = primes;
                }
                e
            }
        })
    }

    /// A letter and its subscript: `w_3` and `w_{3}` are `w3`, `W_{ij}` is `W_ij`,
    /// `\delta_{\hat{y}}` is `δ_ŷ`, `\delta_{z_3}` is `δ_z3`.
    fn name(&self, p: Pair<Rule>) -> Result<String> {
        let mut inner = p.into_inner();
        let mut name = self.letter(inner.next().expect("grammar: a letter"))?;
        if let Some(sub) = inner.next() {
            let mut text = String::new();
            let mut digits_only = true;
            for piece in sub.into_inner() {
                match piece.as_rule() {
                    Rule::sub_digits | Rule::sub_digit => text.push_str(piece.as_str()),
                    // A subscript with its own: `\delta_{z_3}` is `δ_z3`, an adjoint's name.
                    Rule::name => {
                        digits_only = false;
                        text.push_str(&self.name(piece)?);
                    }
                    _ => {
                        digits_only = false;
                        text.push_str(&self.letter(piece)?);
                    }
                }
            }
            if !digits_only {
                name.push('_');
            }
            name.push_str(&text);
        }
        Ok(normalize_name(&name))
    }

    /// One letter as chainrule writes it: `\sigma` → `σ`, `\hat{y}` → `ŷ`,
    /// `\mathrm{loss}` → `loss`, `\mathrm{w\_1}` → `w_1`.
    fn letter(&self, p: Pair<Rule>) -> Result<String> {
        // `\hat{\hat{y}}` nests letters in letters.
        stacker::maybe_grow(RED_ZONE, SEGMENT, || self.letter_here(p))
    }

    fn letter_here(&self, p: Pair<Rule>) -> Result<String> {
        let q = match p.as_rule() {
            Rule::letter => p.into_inner().next().expect("grammar: a letter"),
            _ => p,
        };
        Ok(match q.as_rule() {
            Rule::greek => {
                let word = q.as_str().trim_start_matches('\\');
                greek_of_command(word)
                    .expect("grammar: Greek letters are the printer's")
                    .to_string()
            }
            Rule::accent => {
                let mut inner = q.into_inner();
                let cmd = inner.next().expect("grammar: an accent");
                let span = self.span_of(&cmd);
                let base = self.letter(inner.next().expect("grammar: a letter"))?;
                let Some(mark) = mark_of_accent(cmd.as_str().trim_start_matches('\\')) else {
                    return self.fail(span, "this accent is not supported", "here");
                };
                normalize_name(&format!("{base}{mark}"))
            }
            Rule::word => {
                let mut out = String::new();
                for piece in q.into_inner().skip(1) {
                    match piece.as_rule() {
                        Rule::underscore => out.push('_'),
                        Rule::word_char => out.push_str(piece.as_str()),
                        _ => out.push_str(&self.letter(piece)?),
                    }
                }
                out
            }
            _ => q.as_str().to_string(),
        })
    }
}

/// Whether a superscript's text is a number or one letter in brackets, `(2)`, `(i)`, `[l]`,
/// `(\ell)`: in machine learning, the label of a layer or a sample (`W^{(2)}`, `x^{(i)}`,
/// `a^{[l]}`), read silently as a power it gave a wrong number (`a^{(1)}` is not a¹).
fn is_label(sup: &str) -> bool {
    let t = sup.trim();
    let Some(inner) = t
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .or_else(|| t.strip_prefix('[').and_then(|r| r.strip_suffix(']')))
    else {
        return false;
    };
    let inner = inner.trim();
    let one_letter = |w: &str| {
        let mut chars = w.chars();
        chars.next().is_some_and(char::is_alphabetic) && chars.next().is_none()
    };
    (!inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()))
        || one_letter(inner)
        || inner
            .strip_prefix('\\')
            .is_some_and(|cmd| !cmd.is_empty() && cmd.bytes().all(|b| b.is_ascii_alphabetic()))
}
