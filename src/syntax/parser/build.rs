//! Building the tree from pest's pairs: precedence by pest's Pratt parser, a span on every
//! node, names NFC-normalised, and the checks of the grammar's lenient parts (`f()`, `x y`,
//! `σ(2) = 3`) with their errors.

use std::collections::HashMap;

use pest::iterators::{Pair, Pairs};
use unicode_normalization::UnicodeNormalization as _;

use super::{BUILD_RED_ZONE, BUILD_STACK_SEGMENT, Builder, PRATT, Rule, quote};
use crate::error::Result;
use crate::syntax::ast::{
    AddOp, Call, DimDecl, Expr, ExprKind, Ident, MulOp, Program, ShapeDecl, Span, Stmt, TakeItem,
};

/// Where an expression stands, for the hint of a juxtaposition error.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Plain,
    /// An argument of a call: `f(x y)` may mean `f(x, y)`.
    Arg,
    /// An item of `wrt`: `wrt w1 w2` means `wrt w1, w2`.
    Wrt,
}

/// An operand during Pratt parsing: the tree, its span with any parentheses around it,
/// and whether it was parenthesised (then a chain does not absorb it: `(a + b) + c` keeps
/// `(a + b)` as one term).
pub(super) struct Operand {
    pub(super) expr: Expr,
    pub(super) outer: Span,
    pub(super) grouped: bool,
}

/// `lhs + term`: extends `lhs` if it is a sum written without parentheses.
pub(super) fn chain_sum(lhs: Operand, op: AddOp, term: Expr, span: Span) -> Expr {
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
pub(super) fn chain_product(lhs: Operand, op: MulOp, factor: Expr, span: Span) -> Expr {
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

fn span_of(pair: &Pair<'_, Rule>) -> Span {
    Span::new(pair.as_span().start(), pair.as_span().end())
}

/// A pair's span without trailing whitespace: pest includes the whitespace it skipped
/// before an optional or repeated part that then did not match.
fn tight_span(pair: &Pair<'_, Rule>) -> Span {
    let start = pair.as_span().start();
    Span::new(start, start + pair.as_str().trim_end().len())
}

pub(super) fn first_inner(pair: Pair<'_, Rule>) -> Pair<'_, Rule> {
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

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

impl Builder<'_> {
    /// The tree of an `expr` pair.
    pub(super) fn expr_of_pair(&self, pair: Pair<'_, Rule>, place: Place) -> Result<Expr> {
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
            .map_postfix(|operand: Result<Box<Operand>>, op| {
                let operand = operand?;
                let span = Span::new(operand.outer.start, tight_span(&op).end);
                let wrap = |kind: fn(Box<Expr>) -> ExprKind, expr: Expr| Expr {
                    kind: kind(Box::new(expr)),
                    span,
                };
                let expr = match op.as_rule() {
                    Rule::inverse => wrap(ExprKind::Inverse, operand.expr),
                    Rule::inv_transpose => {
                        wrap(ExprKind::Transpose, wrap(ExprKind::Inverse, operand.expr))
                    }
                    // `'`, `′`, `ᵀ`, `^T` once; `″` twice, `‴` three times.
                    _ => (0..prime_count(op.as_str().trim()))
                        .fold(operand.expr, |x, _| wrap(ExprKind::Transpose, x)),
                };
                Ok(Box::new(Operand {
                    expr,
                    outer: span,
                    grouped: false,
                }))
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = (*lhs?, *rhs?);
                let span = lhs.outer.join(rhs.outer);
                let expr = match op.as_rule() {
                    Rule::add => chain_sum(lhs, AddOp::Add, rhs.expr, span),
                    Rule::sub => chain_sum(lhs, AddOp::Sub, rhs.expr, span),
                    Rule::div => chain_product(lhs, MulOp::Div, rhs.expr, span),
                    Rule::hadamard => chain_product(lhs, MulOp::Hadamard, rhs.expr, span),
                    Rule::hdiv => chain_product(lhs, MulOp::HDiv, rhs.expr, span),
                    Rule::pow => Expr {
                        kind: ExprKind::Pow(Box::new(lhs.expr), Box::new(rhs.expr)),
                        span,
                    },
                    Rule::epow => Expr {
                        kind: ExprKind::ElemPow(Box::new(lhs.expr), Box::new(rhs.expr)),
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
            Rule::list => {
                let items = pair
                    .into_inner()
                    .map(|item| self.expr_of_pair(item, Place::Plain))
                    .collect::<Result<Vec<Expr>>>()?;
                if items.is_empty() {
                    return Err(self
                        .error_at(span, "empty brackets", "nothing inside")
                        .with_help(
                            "a vector lists its entries, as in `[1, 2, 3]`; a matrix lists its \
                             rows, as in `[[1, 2], [3, 4]]`",
                        )
                        .into());
                }
                Ok(Operand {
                    expr: Expr {
                        kind: ExprKind::List(items),
                        span,
                    },
                    outer: span,
                    grouped: false,
                })
            }
            Rule::partial_frac => {
                // `∂a/∂b` is `d(a, b)`.
                let args: Vec<Expr> = pair
                    .into_inner()
                    .map(|n| Expr {
                        kind: ExprKind::Name(name_text(n.as_str())),
                        span: span_of(&n),
                    })
                    .collect();
                Ok(Operand {
                    expr: Expr {
                        kind: ExprKind::Call(Box::new(Call::plain("d", span, args))),
                        span,
                    },
                    outer: span,
                    grouped: false,
                })
            }
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
        // The operator before the current operand (signs skipped), and the last operand with
        // the end of its postfix operators (`x'`), if any.
        let mut before: Option<Rule> = None;
        let mut last_operand: Option<(usize, Option<Rule>, Option<usize>)> = None;
        for (i, item) in items.iter().enumerate() {
            let next_start = items.get(i + 1).map_or(0, |p| p.as_span().start());
            match item.as_rule() {
                Rule::neg | Rule::plus => {}
                Rule::pow | Rule::epow => before = Some(Rule::pow),
                rule @ (Rule::add | Rule::sub) => {
                    before = Some(rule);
                    segment_start = next_start;
                }
                rule @ (Rule::mul | Rule::div | Rule::hadamard | Rule::hdiv) => {
                    before = Some(rule);
                }
                Rule::transpose | Rule::inverse | Rule::inv_transpose => {
                    if let Some((_, _, postfix_end)) = &mut last_operand {
                        *postfix_end = Some(tight_span(item).end);
                    }
                }
                Rule::juxt => {
                    let (Some((lhs_index, lhs_before, postfix_end)), Some(rhs)) =
                        (last_operand, items.get(i + 1))
                    else {
                        continue;
                    };
                    let lhs = Juxtaposed {
                        pair: &items[lhs_index],
                        before: lhs_before,
                        postfix_end,
                    };
                    self.check_juxtaposition(&lhs, rhs, segment_start, place)?;
                    before = Some(Rule::juxt);
                }
                _ => last_operand = Some((i, before, None)),
            }
        }
        Ok(())
    }

    fn check_juxtaposition(
        &self,
        juxtaposed: &Juxtaposed<'_, '_>,
        rhs: &Pair<'_, Rule>,
        segment_start: usize,
        place: Place,
    ) -> Result<()> {
        let Juxtaposed {
            pair: lhs,
            before: lhs_before,
            postfix_end,
        } = *juxtaposed;
        let mut lhs_span = operand_span(lhs);
        if let Some(end) = postfix_end {
            lhs_span.end = end;
        }
        let rhs_span = operand_span(rhs);
        let both = lhs_span.join(rhs_span);
        let (l, r) = (quote(self.text(lhs_span)), quote(self.text(rhs_span)));
        // A number juxtaposed is a product (`2x`), unless transposed (`2'x`).
        let lhs_number = lhs.as_rule() == Rule::number && postfix_end.is_none();
        if !lhs_number || rhs.as_rule() == Rule::number {
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
                Place::Plain
                    if is_plain_name(lhs)
                        && postfix_end.is_none()
                        && rhs.as_rule() != Rule::paren =>
                {
                    (
                        format!("missing operator between `{l}` and `{r}`"),
                        "two operands side by side",
                        format!(
                            "write `{l}*{r}` for a product, or `{l}({r})` to apply `{l}` to `{r}`"
                        ),
                    )
                }
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
        let mut nabla = false;
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::partial => partials.push(self.slot_of_partial(inner)?),
                Rule::nabla => nabla = true,
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
        if nabla {
            // `∇f(a)` is `f'(a)`, as chainrule prints a vector function's Jacobian.
            if args.is_none() || primes > 0 {
                let written = self.text(span);
                return Err(self
                    .error_at(
                        span,
                        format!("`{written}` is not a Jacobian"),
                        "`∇` is read before a function applied to its argument",
                    )
                    .with_help(
                        "`∇f(a)` is the Jacobian of a function f at a; gradients are asked for with `grad`, not written in the expression",
                    )
                    .into());
            }
            primes = 1;
        }
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
            kind: ExprKind::Call(Box::new(Call {
                name,
                name_span,
                primes,
                partials: partials.into_iter().map(|(slot, _)| slot).collect(),
                args,
            })),
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

    pub(super) fn program_of_pair(&self, pair: Pair<'_, Rule>) -> Result<Program> {
        let mut stmts = Vec::new();
        for stmt in pair.into_inner() {
            let span = tight_span(&stmt);
            let stmt = match stmt.as_rule() {
                Rule::at => self.at_of_pair(stmt)?,
                Rule::wrt => self.wrt_of_pair(stmt)?,
                Rule::fn_decl => self.fn_decl_of_pair(stmt)?,
                Rule::take => self.take_of_pair(stmt)?,
                Rule::def => self.def_of_pair(stmt)?,
                Rule::shape => {
                    stmts.extend(self.shape_of_pair(stmt)?.into_iter().map(|s| (s, span)));
                    continue;
                }
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
        if rhs.as_rule() == Rule::update {
            return self.update_of(
                lhs,
                rhs.as_str(),
                inner.next().expect("grammar: an update has a value"),
            );
        }
        self.def_of(lhs, || self.expr_of_pair(rhs, Place::Plain))
    }

    /// `lhs = rhs`: a named value or a function with its parameters. The right side is
    /// built after the left is checked. Shared with LaTeX definitions (`z_{1} = w_{1} x`).
    pub(super) fn def_of(&self, lhs: Expr, rhs: impl FnOnce() -> Result<Expr>) -> Result<Stmt> {
        let lhs_span = lhs.span;
        match lhs.into_kind() {
            ExprKind::Name(name) => Ok(Stmt::Def {
                name: Ident {
                    name,
                    span: lhs_span,
                },
                value: rhs()?,
            }),
            ExprKind::Call(call) if call.primes == 0 && call.partials.is_empty() => {
                let params = self.params_of(call.args, "σ(t) = relu(t)")?;
                Ok(Stmt::FnDef {
                    name: Ident {
                        name: call.name,
                        span: call.name_span,
                    },
                    params,
                    body: Box::new(rhs()?),
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

    /// `take σ(t) = relu(t), ℓ(y, ŷ) = (y - ŷ)^2, x = 1`: functions with their bodies
    /// and inputs with their values (each is checked against the program when loaded).
    fn take_of_pair(&self, pair: Pair<'_, Rule>) -> Result<Stmt> {
        const EXAMPLE: &str = "write `take σ(t) = relu(t), ℓ(y, ŷ) = (y - ŷ)^2, x = 1`";
        let mut inner = pair.into_inner();
        let keyword = span_of(&inner.next().expect("grammar: `take` keyword"));
        let mut items = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        for binding in inner {
            let mut parts = binding.into_inner();
            let lhs = self.expr_of_pair(parts.next().expect("grammar: binding"), Place::Plain)?;
            let lhs_span = lhs.span;
            let Some(value) = parts.next() else {
                return Err(self
                    .error_at(
                        lhs_span,
                        format!(
                            "expected `=` after `{}`: `take` gives a function its formula or an input its value",
                            quote(self.text(lhs_span))
                        ),
                        "nothing given",
                    )
                    .with_help(EXAMPLE)
                    .into());
            };
            let (name, item) = match lhs.into_kind() {
                ExprKind::Name(name) => {
                    let value = self.expr_of_pair(value, Place::Plain)?;
                    let ident = Ident {
                        name: name.clone(),
                        span: lhs_span,
                    };
                    (ident.clone(), TakeItem::Value(ident, value))
                }
                ExprKind::Call(call) if call.primes == 0 && call.partials.is_empty() => {
                    let params = self.params_of(call.args, "σ(t) = relu(t)")?;
                    let name = Ident {
                        name: call.name,
                        span: call.name_span,
                    };
                    let body = self.expr_of_pair(value, Place::Plain)?;
                    (name.clone(), TakeItem::Function { name, params, body })
                }
                _ => {
                    return Err(self
                        .error_at(
                            lhs_span,
                            "`take` gives a function (`σ(t) = …`) or an input (`x = 1`)",
                            "neither a function with its parameters nor a name",
                        )
                        .with_help(EXAMPLE)
                        .into());
                }
            };
            if let Some(&first) = seen.get(&name.name) {
                return Err(self
                    .error_at(
                        first,
                        format!("`take` gives `{}` twice", name.name),
                        "first here",
                    )
                    .with_label(name.span.start, name.span.end, "again here")
                    .into());
            }
            seen.insert(name.name, name.span);
            items.push(item);
        }
        if items.is_empty() {
            return Err(self
                .error_at(
                    keyword,
                    "`take` needs at least one function or value",
                    "nothing taken",
                )
                .with_help(EXAMPLE)
                .into());
        }
        Ok(Stmt::Take(items))
    }

    /// `x: 3`, `x, b: n`, `W: m×n`, `y: scalar`, `x ∈ ℝ^3`, or a function's shape
    /// `f: R^3 → R^4` (one [`Stmt::FnShape`] per name declared).
    fn shape_of_pair(&self, pair: Pair<'_, Rule>) -> Result<Vec<Stmt>> {
        let mut inner = pair.into_inner();
        let mut names: Vec<Ident> = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        for name in inner.next().expect("grammar: names").into_inner() {
            let (text, span) = (name_text(name.as_str()), span_of(&name));
            self.listed_once(&mut seen, &text, span)?;
            names.push(Ident { name: text, span });
        }
        let rhs = inner.next().expect("grammar: a shape");
        Ok(match rhs.as_rule() {
            Rule::fn_shape => {
                let mut parts = rhs.into_inner();
                let from = self.space_of(parts.next().expect("grammar: a space"))?;
                let _arrow = parts.next();
                let to = self.space_of(parts.next().expect("grammar: a space"))?;
                names
                    .into_iter()
                    .map(|name| Stmt::FnShape {
                        name,
                        from: Box::new(from.clone()),
                        to: Box::new(to.clone()),
                    })
                    .collect()
            }
            Rule::space => vec![Stmt::Shape {
                names,
                shape: Box::new(self.space_of(rhs)?),
            }],
            _ => {
                let span = tight_span(&rhs);
                vec![Stmt::Shape {
                    names,
                    shape: Box::new(self.dims_of(rhs.into_inner().collect(), span)?),
                }]
            }
        })
    }

    /// `R` (a scalar), `R^3`, `ℝ^n`, `R^{m×n}`.
    fn space_of(&self, pair: Pair<'_, Rule>) -> Result<ShapeDecl> {
        let span = tight_span(&pair);
        let mut inner = pair.into_inner();
        let _reals = inner.next();
        match inner.next() {
            None => Ok(ShapeDecl {
                rows: DimDecl::Num(1, span),
                cols: None,
                span,
            }),
            Some(dims) if dims.as_rule() == Rule::dims => {
                let span = tight_span(&dims);
                self.dims_of(dims.into_inner().collect(), span)
            }
            Some(one) => {
                let span = tight_span(&one);
                self.dims_of(vec![one], span)
            }
        }
    }

    /// The dimensions of a shape, as written: `3`, `n`, `4×3`, `4x3` (the number 4 and the
    /// name `x3`), `m x n`, `scalar`.
    fn dims_of(&self, parts: Vec<Pair<'_, Rule>>, span: Span) -> Result<ShapeDecl> {
        let shape = |rows, cols| Ok(ShapeDecl { rows, cols, span });
        let is_x = |p: &Pair<'_, Rule>| {
            p.as_rule() == Rule::dim_times || (p.as_rule() == Rule::name && p.as_str() == "x")
        };
        match parts.as_slice() {
            [one] if one.as_rule() == Rule::name && one.as_str() == "scalar" => {
                shape(DimDecl::Num(1, span), None)
            }
            [one] => {
                if one.as_rule() == Rule::name
                    && let Some((m, n)) = split_at_x(one.as_str())
                {
                    return Err(self
                        .error_at(
                            span_of(one),
                            format!("`{}` is read as one name", one.as_str()),
                            "one dimension named so",
                        )
                        .with_help(format!(
                            "for a matrix of {m} rows and {n} columns write `{m}×{n}` or `{m} x {n}` (with spaces)"
                        ))
                        .into());
                }
                shape(self.dim_of(one)?, None)
            }
            [rows, x, cols] if is_x(x) && !is_x(rows) && !is_x(cols) => {
                shape(self.dim_of(rows)?, Some(self.dim_of(cols)?))
            }
            // `4x3`: the number 4, then the name `x3`.
            [rows, cols]
                if rows.as_rule() == Rule::number
                    && cols.as_rule() == Rule::name
                    && cols.as_str().len() > 1
                    && cols.as_str().starts_with('x') =>
            {
                let cols_span = span_of(cols);
                let rest = Span::new(cols_span.start + 1, cols_span.end);
                let text = &cols.as_str()[1..];
                let cols = if text.bytes().all(|b| b.is_ascii_digit()) {
                    self.dim_number(text, rest)?
                } else if super::is_name(text) && split_at_x(text).is_none() {
                    DimDecl::Sym(Ident {
                        name: name_text(text),
                        span: rest,
                    })
                } else {
                    return Err(self.not_a_shape(span));
                };
                shape(self.dim_of(rows)?, Some(cols))
            }
            _ => Err(self.not_a_shape(span)),
        }
    }

    fn not_a_shape(&self, span: Span) -> crate::error::Error {
        self.error_at(span, "not a shape", "expected a shape")
            .with_help(
                "a shape is a length (`x: 3`, `x: n`), rows × columns (`W: 4×3`, \
                 `W: m x n`), or `scalar`; there are no shapes of three dimensions",
            )
            .into()
    }

    /// One dimension: a whole number from 1, or a name.
    fn dim_of(&self, part: &Pair<'_, Rule>) -> Result<DimDecl> {
        let span = span_of(part);
        match part.as_rule() {
            Rule::number => self.dim_number(part.as_str(), span),
            Rule::name if part.as_str() != "scalar" => Ok(DimDecl::Sym(Ident {
                name: name_text(part.as_str()),
                span,
            })),
            _ => Err(self
                .error_at(span, "not a dimension", "expected a number or a name")
                .with_help("a matrix's shape is rows × columns, as in `W: 4×3` or `W: m x n`")
                .into()),
        }
    }

    fn dim_number(&self, text: &str, span: Span) -> Result<DimDecl> {
        match text.parse::<u64>() {
            Ok(n) if n >= 1 => Ok(DimDecl::Num(n, span)),
            Ok(_) => Err(self
                .error_at(span, "a dimension is at least 1", "no entries")
                .with_help("a scalar is declared `y: 1` or `y: scalar`")
                .into()),
            Err(_) => Err(self
                .error_at(
                    span,
                    format!("`{text}` is not a number of entries"),
                    "not a dimension",
                )
                .with_help("a dimension is a whole number, such as `3`, or a name, such as `n`")
                .into()),
        }
    }

    /// Records `name` at `span` in `seen`, refusing it if listed before (`wrt a, a`,
    /// `x, x: 3`).
    fn listed_once(&self, seen: &mut HashMap<String, Span>, name: &str, span: Span) -> Result<()> {
        if let Some(&first) = seen.get(name) {
            return Err(self
                .error_at(first, format!("`{name}` is listed twice"), "first here")
                .with_label(span.start, span.end, "again here")
                .into());
        }
        seen.insert(name.to_string(), span);
        Ok(())
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
            self.listed_once(&mut seen, &name, span)?;
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
}

/// The left operand of a juxtaposition: its pair, the operator before it, and the end of
/// the postfix operators after it (`x'` in `x'y`).
#[derive(Clone, Copy)]
struct Juxtaposed<'p, 'i> {
    pair: &'p Pair<'i, Rule>,
    before: Option<Rule>,
    postfix_end: Option<usize>,
}

/// `mxn` (one name) as the dimensions `m` and `n` it was likely meant as: a short name or
/// digits on either side of one `x`.
fn split_at_x(name: &str) -> Option<(&str, &str)> {
    let likely = |part: &str| {
        !part.is_empty()
            && part.chars().count() <= 2
            && !part.contains('x')
            && (part.bytes().all(|b| b.is_ascii_digit()) || super::is_name(part))
    };
    name.split_once('x').filter(|(m, n)| likely(m) && likely(n))
}

/// How many transposes a postfix transpose writes: `″` is two primes, `‴` three.
fn prime_count(text: &str) -> usize {
    match text {
        "″" => 2,
        "‴" => 3,
        _ => 1,
    }
}

/// The span of an operand's pair (`number`, `paren`, `list` or `apply`).
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
