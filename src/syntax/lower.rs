//! Lowering: AST (with spans) → expression DAG in a [`Store`].
//!
//! Names mean what the scope says: a built-in (`exp`, `sqrt`, `heaviside`), a user-defined
//! function (expanded at the call), a declared unspecified function, or — for a call of any
//! other name — an unspecified function (or an error, in strict mode, as in program files).
//! `d(expr, x)` differentiates; `f'(u)` and `∂_2 ℓ(y, ŷ)` are derivatives of functions.

use super::ast::{AddOp, Call, Expr, ExprKind, MulOp, Span};
use super::number::parse_number;
use crate::diff;
use crate::error::{Result, SourceError};
use crate::expr::BUILTINS;
use crate::expr::{AbstractFn, Builtin, Condition, Id, Q, Store, Sym, prune_conditions};
use std::collections::HashMap;

/// A user-defined function `f(t) = body`.
#[derive(Clone, Debug)]
pub struct UserFn {
    /// The parameters, as symbols of the body.
    pub params: Vec<Sym>,
    /// The body, in terms of the parameters.
    pub body: Id,
    /// Where the body as written is defined ([`Condition`]), in terms of the parameters.
    pub conditions: Vec<Condition>,
}

/// Turns AST into nodes, under a scope of functions.
pub(crate) struct Lowerer<'a> {
    /// The store nodes go into.
    pub store: &'a mut Store,
    src: &'a str,
    src_name: &'a str,
    /// User-defined functions by name.
    pub functions: HashMap<String, UserFn>,
    /// Declared unspecified functions by name, with their parameter names.
    pub declared: HashMap<String, Vec<String>>,
    /// In strict mode, a call of an unknown, undeclared name is an error.
    pub strict: bool,
    /// The function whose body is being lowered, if any: a call of it is recursion.
    pub defining: Option<String>,
    /// Warnings for the user (a name that looks like a misspelt built-in).
    pub warnings: Vec<String>,
    /// The domain conditions recorded so far (see [`Condition`]).
    pub conditions: Vec<Condition>,
    /// Arity of each undeclared abstract function met so far, and where.
    seen: HashMap<String, (usize, Span)>,
    /// A program's definitions so far, in order (name, formula): `d(…)` differentiates
    /// through them ([`diff::total_diff_n`]) rather than taking their names as constants.
    pub definitions: Vec<(Sym, Id)>,
    /// Names rebound in a program (`c = c + 1`), each read as its latest version's symbol.
    pub renames: HashMap<String, Sym>,
}

/// The help of an error for vector or matrix syntax in a scalar expression.
const SHAPES_HELP: &str = "Every name here is a scalar: vectors and matrices need their shapes declared in a program (`x: 3`, `W: 4×3`) or vector and matrix values (`at x = [1, 2]`)";

/// `text` with its first letter in lower case, to continue a sentence.
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or(String::new(), |c| c.to_lowercase().chain(chars).collect())
}

/// `1 argument`, `2 arguments`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Edit distance (Levenshtein: a transposition is two edits; [`suggest`] counts it as one),
/// for "did you mean".
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `sqrt(t)`, a function of the language that is not in the function table: it is built as
/// the power `t^(1/2)`.
pub(crate) const SQRT: &str = "sqrt";

/// `d(f, x)`, the derivative operator. Not a function: a program cannot define a function
/// called `d`, but `d` is a fine variable name.
const DERIVATIVE: &str = "d";

/// Whether `name` is a function of the language (a built-in, `heaviside`, `sqrt`): never a
/// variable, and no program may define it. The one list every reader and the command line
/// ask.
pub fn is_function_name(name: &str) -> bool {
    Builtin::from_name(name).is_some() || name == SQRT
}

/// Whether no program may define a function called `name`: the language's functions
/// ([`is_function_name`]) and the derivative operator `d`.
pub fn is_reserved_function_name(name: &str) -> bool {
    is_function_name(name) || name == DERIVATIVE
}

/// The built-in names, and `sqrt`, `heaviside` and `ln`.
fn known_names() -> impl Iterator<Item = &'static str> {
    BUILTINS
        .iter()
        .map(|b| b.name())
        .chain([SQRT, "heaviside", "ln"])
}

/// A built-in name close to `name`, for suggestions: only for names of three or more
/// characters, a plausible typo (`sigmiod`, `tahn`); one-letter and Greek names (`f`, `σ`, `ℓ`)
/// are the textbook's unspecified functions, not typos.
pub(crate) fn suggest(name: &str) -> Option<&'static str> {
    if name.chars().count() < 3 {
        return None;
    }
    let lower = name.to_lowercase();
    known_names()
        .filter(|k| *k != name)
        .map(|k| {
            let mut d = edit_distance(&lower, k);
            // transpositions: swap adjacent characters and compare
            let cs: Vec<char> = lower.chars().collect();
            for i in 0..cs.len().saturating_sub(1) {
                let mut t = cs.clone();
                t.swap(i, i + 1);
                if t.iter().collect::<String>() == k {
                    d = d.min(1);
                }
            }
            (d, k)
        })
        .filter(|(d, k)| *d <= if k.len() <= 4 { 1 } else { 2 })
        .min()
        .map(|(_, k)| k)
}

/// The built-in nearest to `name` in spelling, without [`suggest`]'s threshold: the longest
/// common start, then the fewest edits (`sigma` → `sigmoid`), when they share a first letter.
fn nearest(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    let common = |k: &str| {
        lower
            .chars()
            .zip(k.chars())
            .take_while(|(a, b)| a == b)
            .count()
    };
    known_names()
        .filter(|k| common(k) > 0)
        .min_by_key(|k| (std::cmp::Reverse(common(k)), edit_distance(&lower, k)))
}

impl<'a> Lowerer<'a> {
    /// A lowerer for `src` (named `src_name` in diagnostics) into `store`.
    pub fn new(store: &'a mut Store, src: &'a str, src_name: &'a str) -> Self {
        Lowerer {
            store,
            src,
            src_name,
            functions: HashMap::new(),
            declared: HashMap::new(),
            strict: false,
            defining: None,
            warnings: Vec::new(),
            conditions: Vec::new(),
            seen: HashMap::new(),
            definitions: Vec::new(),
            renames: HashMap::new(),
        }
    }

    /// An error at `span`.
    pub fn error(
        &self,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> SourceError {
        SourceError::new(
            self.src_name,
            self.src,
            span.start,
            span.end,
            message,
            label,
        )
    }

    /// Lowers an expression.
    pub fn expr(&mut self, e: &Expr) -> Result<Id> {
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.expr_inner(e))
    }

    fn expr_inner(&mut self, e: &Expr) -> Result<Id> {
        Ok(match &e.kind {
            ExprKind::Num(text) => match parse_number(text) {
                Some(Ok(r)) => self.store.num(r),
                Some(Err(msg)) => return Err(self.error(e.span, msg, "this number").into()),
                None => {
                    return Err(self
                        .error(e.span, format!("`{text}` is not a number"), "here")
                        .into());
                }
            },
            ExprKind::Name(name) => self.name(name, e.span)?,
            ExprKind::Neg(x) => {
                let x = self.expr(x)?;
                self.store.neg(x)
            }
            ExprKind::Sum(first, rest) => {
                let mut terms = vec![(self.expr(first)?, Q::int(1))];
                for (op, t) in rest {
                    let k = if *op == AddOp::Add { 1 } else { -1 };
                    terms.push((self.expr(t)?, Q::int(k)));
                }
                self.store.sum_of_q(Q::int(0), terms)
            }
            ExprKind::Product(first, rest) => {
                if let Some(i) = rest
                    .iter()
                    .position(|(op, _)| matches!(op, MulOp::Hadamard | MulOp::HDiv))
                {
                    let before = if i == 0 {
                        first.span
                    } else {
                        rest[i - 1].1.span
                    };
                    return Err(self.elementwise_error(rest[i].0, before, rest[i].1.span));
                }
                // Left to right, as written: a/b*c is (a/b)*c.
                let mut factors = vec![(self.expr(first)?, Q::int(1))];
                for (op, f) in rest {
                    let e = if *op == MulOp::Mul { 1 } else { -1 };
                    let id = self.expr(f)?;
                    if e < 0 {
                        // A denominator must not be 0, even if it cancels: (x-2)/(x-2).
                        let node = self.store.recip(id);
                        self.conditions.push(Condition::new(node, f.span));
                    }
                    factors.push((id, Q::int(e)));
                }
                self.store.product_of_q(Q::int(1), factors)
            }
            ExprKind::Pow(a, b) => {
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                let p = self.store.pow(a, b);
                // A negative, fractional or symbolic power is partial: x^(-1), x^(1/2), x^y.
                let total = self
                    .store
                    .as_num(b)
                    .is_some_and(|r| *r.denom() == 1 && r.cmp0() != std::cmp::Ordering::Less);
                if !total {
                    self.conditions.push(Condition::new(p, e.span));
                }
                p
            }
            ExprKind::Call(c) => self.call(c, e.span)?,
            ExprKind::ElemPow(base, exponent) => {
                return Err(self.elementwise_error(MulOp::Mul, base.span, exponent.span));
            }
            ExprKind::Transpose(x) | ExprKind::Inverse(x) => {
                // The innermost first: in `x''` the first `'`. A name is not lowered: `σ'`
                // alone is explained as a derivative without its argument.
                // `X⁻ᵀ` is one operator, a transpose of an inverse ending at the same place.
                let operand = match &x.kind {
                    ExprKind::Inverse(y) if x.span.end == e.span.end => y,
                    _ => x,
                };
                if !matches!(operand.kind, ExprKind::Name(_)) {
                    self.expr(operand)?;
                }
                return Err(self.postfix_error(e, x));
            }
            ExprKind::List(_) => {
                return Err(self
                    .error(
                        e.span,
                        "a vector or matrix `[…]` in a scalar expression",
                        "a list of entries",
                    )
                    .with_help(SHAPES_HELP)
                    .into());
            }
        })
    }

    /// The error for an element-wise operator between `before` and `after`: `.*`, `⊙`,
    /// `./` (`op` Hadamard or HDiv), or `.^` (any other `op`).
    fn elementwise_error(&self, op: MulOp, before: Span, after: Span) -> crate::error::Error {
        let between = self.src.get(before.end..after.start).unwrap_or("");
        let (what, written, scalar) = match op {
            MulOp::Hadamard => ("product", [".*", "⊙"], "*"),
            MulOp::HDiv => ("division", ["./", "./"], "/"),
            _ => ("power", [".^", ".^"], "^"),
        };
        let (at, text) = written
            .iter()
            .find_map(|w| between.find(w).map(|i| (i, *w)))
            .unwrap_or((0, written[0]));
        let start = before.end + at;
        let span = Span::new(start, (start + text.len()).min(after.start.max(start)));
        self.error(
            span,
            format!("`{text}` (element-wise {what}) is for vectors and matrices"),
            format!("element-wise {what}"),
        )
        .with_help(format!(
            "between scalars write `{scalar}`; {}",
            lowercase_first(SHAPES_HELP)
        ))
        .into()
    }

    /// The error for a transpose or an inverse (`e`, of `x`) in a scalar expression.
    fn postfix_error(&self, e: &Expr, x: &Expr) -> crate::error::Error {
        // `X⁻ᵀ` is a transpose of an inverse, both ending where `⁻ᵀ` does.
        let inverse_transpose = match &x.kind {
            ExprKind::Inverse(y) if x.span.end == e.span.end => Some(&**y),
            _ => None,
        };
        let operand = inverse_transpose.unwrap_or(x);
        let after = self.src.get(operand.span.end..e.span.end).unwrap_or("");
        let op = after.trim_start_matches(|c: char| c == ')' || c.is_whitespace());
        let span = Span::new(e.span.end - op.len(), e.span.end);
        // `σ'` alone: a derivative without its argument.
        if let (ExprKind::Transpose(_), ExprKind::Name(name)) = (&e.kind, &x.kind)
            && (is_function_name(name)
                || self.functions.contains_key(name)
                || self.declared.contains_key(name))
        {
            let written = self.src.get(e.span.start..e.span.end).unwrap_or("");
            return self
                .error(
                    e.span,
                    format!("`{written}` must be applied to arguments"),
                    "a derivative of a function, with no arguments",
                )
                .with_help(format!("write `{written}(z)`"))
                .into();
        }
        let matrices = |what: &str| {
            (
                format!("`{op}` ({what}) is for matrices"),
                what.to_string(),
                format!(
                    "for the reciprocal of a scalar write `1/x` or `x^-1`; {}",
                    lowercase_first(SHAPES_HELP)
                ),
            )
        };
        let transpose = format!("`{op}` (a transpose) is for vectors and matrices");
        let (message, label, help) = match e.kind {
            _ if inverse_transpose.is_some() => matrices("an inverse transpose"),
            ExprKind::Inverse(_) => matrices("a matrix inverse"),
            _ if matches!(x.kind, ExprKind::Name(_)) && op.starts_with(['\'', '′']) => (
                transpose,
                "a transpose".to_string(),
                format!(
                    "{SHAPES_HELP}; a derivative of a function is written with its argument, as in `σ'(z)`"
                ),
            ),
            // `e^T` with a variable `T`: `x^T` is always the transpose.
            _ if op.starts_with('^') => (
                transpose,
                "a transpose".to_string(),
                format!("{SHAPES_HELP}; for a power of a variable named `T` write `^(T)`"),
            ),
            _ => (
                transpose,
                "a transpose".to_string(),
                SHAPES_HELP.to_string(),
            ),
        };
        self.error(span, message, label).with_help(help).into()
    }

    fn name(&mut self, name: &str, span: Span) -> Result<Id> {
        if is_function_name(name)
            || self.functions.contains_key(name)
            || self.declared.contains_key(name)
        {
            return Err(self
                .error(
                    span,
                    format!("`{name}` is a function, not a variable"),
                    "used as a variable here",
                )
                .with_help(format!("call it with an argument, e.g. `{name}(x)`"))
                .into());
        }
        if let Some(&version) = self.renames.get(name) {
            return Ok(self.store.sym_node(version));
        }
        Ok(self.store.sym(name))
    }

    fn call(&mut self, c: &Call, span: Span) -> Result<Id> {
        let user = |n: &str| self.functions.contains_key(n) || self.declared.contains_key(n);
        // `ln` is the natural logarithm, as students write it (unless the program defines it).
        let name = match c.name.as_str() {
            "ln" if !user("ln") => "log",
            n => n,
        };
        if super::latex::is_constant_matrix(name) {
            let what = match name {
                super::latex::IDENTITY => "the identity matrix",
                super::latex::ONES => "a vector of ones",
                _ => "a vector of zeros",
            };
            return Err(self
                .error(
                    span,
                    format!("`{name}_{{…}}` is {what}: it needs vectors and matrices"),
                    "a matrix",
                )
                .with_help(
                    "give the names it meets their shapes (`--at x=[1,2]`, or `x: 3` in a program)",
                )
                .into());
        }
        let is_derivative = c.primes > 0 || !c.partials.is_empty();
        if self.defining.as_deref() == Some(name) {
            return Err(self
                .error(
                    c.name_span,
                    format!(
                        "`{name}` calls itself: a function cannot be defined in terms of itself"
                    ),
                    "a recursive call",
                )
                .with_help(
                    "write the body with built-in functions, its parameters and other functions",
                )
                .into());
        }
        if name == DERIVATIVE && !is_derivative {
            return self.derivative_call(c, span);
        }
        let args = c
            .args
            .iter()
            .map(|a| self.expr(a))
            .collect::<Result<Vec<Id>>>()?;
        let slots = self.slots(c, args.len())?;
        // sqrt: the power t^(1/2)
        if name == SQRT {
            self.check_arity(c, 1, args.len())?;
            let node = self.store.sqrt(args[0]);
            self.conditions.push(Condition::new(node, span));
            return Ok(self.partials_of(&args, &slots, |s, p| s.sqrt(p[0])));
        }
        if let Some(b) = Builtin::from_name(name) {
            // Derivatives of built-ins may be written in input: relu'(x) is step(x).
            if !b.variadic() {
                self.check_arity(c, b.arity(), args.len())?;
            } else if args.len() < b.arity() {
                // max(a, b, c): any number of arguments from two on
                return Err(self
                    .error(
                        c.name_span,
                        format!(
                            "`{}` takes at least {} arguments, but {} {} given",
                            c.name,
                            b.arity(),
                            args.len(),
                            if args.len() == 1 { "was" } else { "were" }
                        ),
                        "called here",
                    )
                    .into());
            }
            if b.has_domain_rule() || !slots.is_empty() {
                // log needs a positive argument, cot a nonzero one; a derivative written in
                // input (`log'(x)`) is defined where its function is.
                let node = self.store.builtin(b, args.clone());
                self.conditions.push(Condition {
                    derivative: !slots.is_empty(),
                    ..Condition::new(node, span)
                });
            }
            return Ok(self.partials_of(&args, &slots, |s, p| s.builtin(b, p.to_vec())));
        }
        if let Some(uf) = self.functions.get(name).cloned() {
            self.check_arity(c, uf.params.len(), args.len())?;
            let map: HashMap<Sym, Id> = uf.params.iter().copied().zip(args).collect();
            // The body's conditions hold at the arguments, and the body itself must be defined
            // there: its own domain (`sq(t) = sqrt(t)`) was pruned from its conditions, and
            // simplifying may cancel the call (`sq(x)^2` is x, defined at x = -4 though sq(-4)
            // is not). A derivative of the function needs the function defined there too.
            let mut conds = uf.conditions.clone();
            conds.push(if slots.is_empty() {
                Condition::new(uf.body, span)
            } else {
                Condition::function(uf.body, span)
            });
            for c in conds {
                let node = self.store.substitute(c.node, &map);
                self.conditions.push(Condition { node, ..c });
            }
            let mut body = uf.body;
            for s in &slots {
                body = diff::diff(self.store, body, uf.params[*s]);
            }
            return Ok(self.store.substitute(body, &map));
        }
        if let Some(params) = self.declared.get(name) {
            let n = params.len();
            self.check_arity(c, n, args.len())?;
        } else {
            if self.strict {
                let mut err = self.error(
                    c.name_span,
                    format!("unknown function `{name}`"),
                    "not defined or declared",
                );
                err = match suggest(name) {
                    Some(s) => err.with_help(format!("did you mean `{s}`?")),
                    None => err.with_help(format!(
                        "define it (`{name}(t) = relu(t)`) or declare it as unspecified (`fn {name}(t)`)"
                    )),
                };
                return Err(err.into());
            }
            if let Some((n, first)) = self.seen.get(name).copied() {
                if n != args.len() {
                    return Err(self
                        .error(
                            span,
                            format!(
                                "`{name}` is called with {} here but with {} before",
                                plural(args.len(), "argument"),
                                plural(n, "argument")
                            ),
                            "here",
                        )
                        .with_label(first.start, first.end, "first call")
                        .into());
                }
            } else {
                self.seen.insert(name.to_string(), (args.len(), span));
                if let Some(s) = suggest(name) {
                    self.warnings.push(format!(
                        "warning: `{name}` is not a built-in function, so it is kept as an unspecified function; did you mean `{s}`?"
                    ));
                } else if name.chars().count() > 1 {
                    // One letter (`f`, `σ`) is the textbook's unspecified function; a word is
                    // more likely meant as a built-in.
                    self.warnings.push(format!(
                        "warning: `{name}` is not a built-in function, so it is kept as an unspecified function `{name}(…)`{}",
                        nearest(name).map_or(String::new(), |k| format!("; the nearest built-in is `{k}`"))
                    ));
                }
            }
        }
        let sym = self.store.intern(name);
        let mut partials: Vec<u16> = slots.iter().map(|s| *s as u16).collect();
        partials.sort_unstable();
        Ok(self.store.abstract_call(
            AbstractFn {
                name: sym,
                partials: partials.into_boxed_slice(),
            },
            args,
        ))
    }

    /// The 0-based slots differentiated by, from primes or `∂_k`.
    fn slots(&self, c: &Call, nargs: usize) -> Result<Vec<usize>> {
        if c.primes > 0 && !c.partials.is_empty() {
            return Err(self
                .error(
                    c.name_span,
                    "write either primes or `∂_k`, not both",
                    "here",
                )
                .into());
        }
        if c.primes > 0 {
            if nargs != 1 {
                return Err(self
                    .error(
                        c.name_span,
                        format!("`{}'` needs one argument; for a function of several arguments write a partial like `∂_1 {}(…)`", c.name, c.name),
                        "here",
                    )
                    .into());
            }
            if c.primes > 64 {
                return Err(self.error(c.name_span, "at most 64 primes", "here").into());
            }
            return Ok(vec![0; c.primes as usize]);
        }
        let mut out = Vec::new();
        for k in &c.partials {
            if *k == 0 || *k as usize > nargs {
                return Err(self
                    .error(
                        c.name_span,
                        format!(
                            "`∂_{k}` names argument {k}, but `{}` is called with {nargs}",
                            c.name
                        ),
                        "here",
                    )
                    .with_help("slots are numbered from 1")
                    .into());
            }
            out.push(*k as usize - 1);
        }
        Ok(out)
    }

    /// `build(args)` differentiated by `slots`: built on fresh parameter symbols (names no
    /// input can spell), differentiated, then the arguments substituted.
    fn partials_of(
        &mut self,
        args: &[Id],
        slots: &[usize],
        build: impl Fn(&mut Store, &[Id]) -> Id,
    ) -> Id {
        if slots.is_empty() {
            return build(self.store, args);
        }
        let params: Vec<Sym> = (0..args.len())
            .map(|i| self.store.intern(&format!("\u{0}arg{i}")))
            .collect();
        let pnodes: Vec<Id> = params.iter().map(|p| self.store.sym_node(*p)).collect();
        let mut g = build(self.store, &pnodes);
        for s in slots {
            g = diff::diff(self.store, g, params[*s]);
        }
        let map: HashMap<Sym, Id> = params.into_iter().zip(args.iter().copied()).collect();
        self.store.substitute(g, &map)
    }

    fn check_arity(&self, c: &Call, want: usize, got: usize) -> Result<()> {
        if want == got {
            return Ok(());
        }
        Err(self
            .error(
                c.name_span,
                format!(
                    "`{}` takes {want} argument{}, but {got} {} given",
                    c.name,
                    if want == 1 { "" } else { "s" },
                    if got == 1 { "was" } else { "were" }
                ),
                "called here",
            )
            .into())
    }

    /// The parameter names of a function of the program (defined or declared), by name.
    fn parameter_names(&self, f: &str) -> Option<Vec<String>> {
        if let Some(params) = self.declared.get(f) {
            return Some(params.clone());
        }
        self.functions.get(f).map(|u| {
            u.params
                .iter()
                .map(|p| self.store.name(*p).to_string())
                .collect()
        })
    }

    fn derivative_call(&mut self, c: &Call, span: Span) -> Result<Id> {
        if !(2..=3).contains(&c.args.len()) {
            return Err(self
                .error(span, "`d` takes an expression and a variable: `d(x^2, x)`, or an order too: `d(x^3, x, 2)`", "here")
                .into());
        }
        let var = match &c.args[1].kind {
            ExprKind::Name(v) => {
                // A variable written nowhere else in a program is likely a typo: `d(z, q)` is 0.
                let uses = super::name_spans(self.src)
                    .iter()
                    .filter(|(n, _, _)| n == v)
                    .count();
                if self.strict && uses <= 1 {
                    self.warnings.push(format!(
                        "warning: `{v}` occurs nowhere else in the program, so d(…, {v}) is 0"
                    ));
                }
                match self.renames.get(v) {
                    Some(&version) => version,
                    None => self.store.intern(v),
                }
            }
            _ => {
                return Err(self
                    .error(
                        c.args[1].span,
                        "the second argument of `d` must be a variable",
                        "not a variable",
                    )
                    .into());
            }
        };
        let order = match c.args.get(2) {
            None => 1,
            Some(a) => match &a.kind {
                ExprKind::Num(t) if t.chars().all(|c| c.is_ascii_digit()) && t.len() <= 3 => {
                    t.parse::<u32>().unwrap_or(0)
                }
                _ => 0,
            },
        };
        if order == 0 || order > 100 {
            return Err(self
                .error(
                    c.args[2].span,
                    "the order of `d` must be a whole number from 1 to 100",
                    "here",
                )
                .into());
        }
        // `d(ℓ, ŷ)`, the homework's ∂ℓ/∂ŷ: the partial of a function by its parameter named
        // ŷ, at its parameters (`∂_2 ℓ(y, ŷ)` for `ℓ(y, ŷ)`).
        if let ExprKind::Name(f) = &c.args[0].kind
            && let Some(params) = self.parameter_names(f)
        {
            let wrt = self.store.name(var).to_string();
            let Some(slot) = params.iter().position(|p| *p == wrt) else {
                return Err(self
                    .error(
                        c.args[1].span,
                        format!(
                            "`{wrt}` is not a parameter of `{f}` (its parameters: {})",
                            params.join(", ")
                        ),
                        "not a parameter",
                    )
                    .into());
            };
            let call = Call {
                name: f.clone(),
                name_span: c.args[0].span,
                primes: 0,
                partials: vec![slot as u32 + 1; order as usize],
                args: params
                    .iter()
                    .map(|p| Expr {
                        kind: ExprKind::Name(p.clone()),
                        span: c.args[0].span,
                    })
                    .collect(),
            };
            return self.call(&call, span);
        }
        // `∂ℓ/∂ŷ` of two names outside a program: no definition links them, and 0 would be
        // an answer to a question nobody asked.
        if let ExprKind::Name(a) = &c.args[0].kind
            && self.definitions.is_empty()
            && *a != self.store.name(var)
        {
            return Err(self
                .error(
                    span,
                    format!(
                        "the derivative of the name `{a}` by `{}` means something only in a program, through its definitions",
                        self.store.name(var)
                    ),
                    "a derivative of one name by another",
                )
                .with_help(
                    "use it in a program's claim (`chainrule check FILE --claim …`, `chainrule grade`), or write the formula to differentiate: d(x^2, x)",
                )
                .into());
        }
        let e = self.expr(&c.args[0])?;
        // A derivative is defined where its function is.
        self.conditions.push(Condition::function(e, c.args[0].span));
        if self.definitions.is_empty() {
            return diff::diff_n(self.store, e, var, order);
        }
        diff::total_diff_n(self.store, e, var, order, &self.definitions)
    }
}

/// Lowers a standalone expression (unknown calls become unspecified functions).
/// Returns the node and any warnings for the user.
fn lower_expr(store: &mut Store, e: &Expr, src: &str, src_name: &str) -> Result<(Id, Vec<String>)> {
    let mut l = Lowerer::new(store, src, src_name);
    let id = l.expr(e)?;
    Ok((id, l.warnings))
}

/// Parses and lowers an expression in one step.
pub fn read_expr(store: &mut Store, src: &str, src_name: &str) -> Result<(Id, Vec<String>)> {
    let ast = super::parse_expr(src, src_name)?;
    lower_expr(store, &ast, src, src_name)
}

/// Parses LaTeX math (`w_3 \sigma(w_2 x)`, see [`parse_latex`](super::parse_latex)) and
/// lowers it in one step, whatever the text looks like: `w x` is read as the product of `w`
/// and `x`, as LaTeX means it, where [`read_expr`] would read chainrule's syntax.
pub fn read_latex(store: &mut Store, src: &str, src_name: &str) -> Result<(Id, Vec<String>)> {
    let ast = super::parse_latex(src, src_name)?;
    lower_expr(store, &ast, src, src_name)
}

/// An expression as read: its node, where it is defined beyond what the node shows, and
/// warnings for the user.
#[derive(Clone, Debug)]
pub struct ReadExpr {
    /// The node, in canonical form.
    pub id: Id,
    /// The domain conditions that canonical construction may have cancelled, pruned.
    pub conditions: Vec<Condition>,
    /// Warnings for the user.
    pub warnings: Vec<String>,
}

/// [`read_expr`] keeping the domain conditions of the input as written.
pub fn read_expr_conditions(store: &mut Store, src: &str, src_name: &str) -> Result<ReadExpr> {
    let ast = super::parse_expr(src, src_name)?;
    let mut l = Lowerer::new(store, src, src_name);
    let id = l.expr(&ast)?;
    let (mut conditions, warnings) = (l.conditions, l.warnings);
    prune_conditions(store, &[id], &mut conditions);
    Ok(ReadExpr {
        id,
        conditions,
        warnings,
    })
}

/// A name in canonical (NFC) form: `y` + combining circumflex is `ŷ`.
pub fn normalize_name(name: &str) -> String {
    use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
    // ASCII is its own NFC, and most names are ASCII (a large program has hundreds of
    // thousands of uses of names).
    if name.is_ascii() || is_nfc_quick(name.chars()) == IsNormalized::Yes {
        return name.to_string();
    }
    name.nfc().collect()
}
