//! Lowering of syntax trees into the shaped DAG ([`MatStore`]): vectors, matrices and their
//! operations, with every shape checked as the tree is built. A mismatch is an error with a
//! caret at the operator and both shapes named (`W1*x: W1 is 4×3 but x has 2 rows`).
//!
//! The syntax is matrixcalculus.org's where the two overlap: `*` (matrix or scalar product),
//! `'` / `ᵀ` / `^T` (transpose), `.*` / `⊙`, `./`, `.^` (element-wise), `⁻¹`, and the functions
//! `sum tr det logdet inv norm1 norm2 diag softmax logsumexp`, plus every element-wise built-in.

use super::ast::{AddOp, Call, Expr, ExprKind, MulOp, Span};
use super::lower::{SQRT, suggest};
use super::number::parse_number;
use crate::error::{Error, Result, SourceError};
use crate::expr::Builtin;
use crate::matrix::{Fun, MId, MatStore, Shape};
use rug::Rational;
use std::collections::HashMap;

/// The functions on whole vectors and matrices (not entry by entry).
pub const MATRIX_FUNCTIONS: &[&str] = &[
    "sum",
    "tr",
    "det",
    "logdet",
    "inv",
    "norm1",
    "norm2",
    "diag",
    "softmax",
    "logsumexp",
];

/// Whether `e` uses syntax that only makes sense for vectors and matrices (transposes,
/// element-wise operators, matrix functions, lists).
pub fn uses_matrix_syntax(e: &Expr) -> bool {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Transpose(_)
            | ExprKind::Inverse(_)
            | ExprKind::ElemPow(_, _)
            | ExprKind::List(_) => return true,
            ExprKind::Num(_) | ExprKind::Name(_) => {}
            ExprKind::Neg(x) => stack.push(x),
            ExprKind::Sum(a, rest) => {
                stack.push(a);
                stack.extend(rest.iter().map(|(_, t)| t));
            }
            ExprKind::Product(a, rest) => {
                if rest
                    .iter()
                    .any(|(op, _)| matches!(op, MulOp::Hadamard | MulOp::HDiv))
                {
                    return true;
                }
                stack.push(a);
                stack.extend(rest.iter().map(|(_, t)| t));
            }
            ExprKind::Pow(a, b) => {
                stack.push(a);
                stack.push(b);
            }
            ExprKind::Call(c) => {
                if MATRIX_FUNCTIONS.contains(&c.name.as_str()) {
                    return true;
                }
                stack.extend(c.args.iter());
            }
        }
    }
    false
}

/// A function defined in a program (`σ(t) = relu(t)`), applied entry by entry to vectors
/// and matrices.
#[derive(Clone, Debug)]
pub struct MatUserFn {
    /// Its parameters.
    pub params: Vec<String>,
    /// Its body.
    pub body: Expr,
}

/// Lowers syntax into a [`MatStore`] whose variables' shapes are already declared.
pub struct MatrixLowerer<'a> {
    store: &'a mut MatStore,
    src: &'a str,
    src_name: &'a str,
    functions: HashMap<String, MatUserFn>,
    /// Names standing for formulas (an intermediate's, a parameter's argument), innermost last.
    bound: Vec<HashMap<String, MId>>,
    /// Inside a user function applied to a vector or matrix: `*`, `/` and `^` act entry by
    /// entry, as the scalar function they define.
    elementwise: bool,
    /// User functions being lowered, to refuse recursion.
    calling: Vec<String>,
    /// Every subexpression lowered, as simplified, with its place: simplifying may cancel a
    /// part that is undefined as written (`0*sum(log(x))`), whose domain is still the input's.
    parts: Vec<(MId, Span)>,
}

impl<'a> MatrixLowerer<'a> {
    /// A lowerer for the text `src` (named `src_name` in messages).
    pub fn new(store: &'a mut MatStore, src: &'a str, src_name: &'a str) -> Self {
        MatrixLowerer {
            store,
            src,
            src_name,
            functions: HashMap::new(),
            bound: Vec::new(),
            elementwise: false,
            calling: Vec::new(),
            parts: Vec::new(),
        }
    }

    /// The subexpressions lowered so far (inner ones first), each with its place in the
    /// source: evaluating them checks the domain of the input as written.
    pub fn take_parts(&mut self) -> Vec<(MId, Span)> {
        std::mem::take(&mut self.parts)
    }

    /// Defines a function for the calls that follow.
    pub fn define_fn(&mut self, name: &str, f: MatUserFn) {
        self.functions.insert(name.to_string(), f);
    }

    /// Whether `name` is a function defined with [`define_fn`](Self::define_fn).
    pub fn has_fn(&self, name: &str) -> bool {
        self.functions.contains_key(name)
    }

    /// Makes `name` stand for `formula` in what is lowered next (or undoes it with `None`).
    pub fn bind(&mut self, name: &str, formula: Option<MId>) {
        if self.bound.is_empty() {
            self.bound.push(HashMap::new());
        }
        match formula {
            Some(f) => self.bound[0].insert(name.to_string(), f),
            None => self.bound[0].remove(name),
        };
    }

    fn lookup(&self, name: &str) -> Option<MId> {
        self.bound.iter().rev().find_map(|m| m.get(name).copied())
    }

    /// The store being built.
    pub fn store(&mut self) -> &mut MatStore {
        self.store
    }

    fn error(&self, span: Span, message: impl Into<String>, label: impl Into<String>) -> Error {
        SourceError::new(
            self.src_name,
            self.src,
            span.start,
            span.end,
            message,
            label,
        )
        .into()
    }

    /// The source text of `e`, shortened for a message.
    fn snippet(&self, e: &Expr) -> String {
        let s = self.src.get(e.span.start..e.span.end).unwrap_or("").trim();
        if s.chars().count() > 24 {
            let head: String = s.chars().take(21).collect();
            format!("{head}…")
        } else {
            s.to_string()
        }
    }

    /// The operator between two operands: the text between them, trimmed.
    fn op_span(&self, left: &Expr, right: &Expr) -> Span {
        let (a, b) = (left.span.end, right.span.start.max(left.span.end));
        let between = self.src.get(a..b).unwrap_or("");
        let start = a + (between.len() - between.trim_start().len());
        let end = b - (between.len() - between.trim_end().len());
        if start < end {
            Span::new(start, end)
        } else {
            Span::new(a, b.max(a))
        }
    }

    fn describe(&self, id: MId) -> String {
        self.store.shape(id).describe()
    }

    /// Lowers an expression.
    pub fn expr(&mut self, e: &Expr) -> Result<MId> {
        let id = stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.expr_inner(e))?;
        if self.calling.is_empty() {
            self.parts.push((id, e.span));
        }
        Ok(id)
    }

    fn expr_inner(&mut self, e: &Expr) -> Result<MId> {
        Ok(match &e.kind {
            ExprKind::Num(text) => match parse_number(text) {
                Some(Ok(r)) => self.store.number(r),
                Some(Err(msg)) => return Err(self.error(e.span, msg, "this number")),
                None => return Err(self.error(e.span, "not a number", "this number")),
            },
            ExprKind::Name(n) => {
                if Builtin::from_name(n).is_some() {
                    return Err(self.error(
                        e.span,
                        format!("`{n}` is a function: call it with an argument, `{n}(x)`"),
                        "a function name",
                    ));
                }
                match self.lookup(n) {
                    Some(f) => f,
                    None => self.store.var(n),
                }
            }
            ExprKind::Neg(x) => {
                let v = self.expr(x)?;
                self.store.neg(v)
            }
            ExprKind::Sum(first, rest) => {
                let mut acc = self.expr(first)?;
                let mut left: &Expr = first;
                for (op, term) in rest {
                    let t = self.expr(term)?;
                    let r = match op {
                        AddOp::Add => self.store.add2(acc, t),
                        AddOp::Sub => self.store.sub(acc, t),
                    };
                    acc = r.map_err(|_| {
                        let span = self.op_span(left, term);
                        self.error(
                            span,
                            format!(
                                "`{}` is {} but `{}` is {}: a sum needs the same shape on both sides (or a scalar)",
                                self.snippet_upto(first, left),
                                self.describe(acc),
                                self.snippet(term),
                                self.describe(t)
                            ),
                            "shapes differ here",
                        )
                    })?;
                    left = term;
                }
                acc
            }
            ExprKind::Product(first, rest) => {
                let mut acc = self.expr(first)?;
                let mut left: &Expr = first;
                for (op, factor) in rest {
                    let f = self.expr(factor)?;
                    let span = self.op_span(left, factor);
                    let (lt, rt) = (self.snippet_upto(first, left), self.snippet(factor));
                    let op = match op {
                        MulOp::Mul if self.elementwise => &MulOp::Hadamard,
                        MulOp::Div if self.elementwise => &MulOp::HDiv,
                        op => op,
                    };
                    let r = match op {
                        MulOp::Mul => self.store.mul(acc, f).map_err(|_| {
                            let (ls, rs) = (self.store.shape(acc), self.store.shape(f));
                            let both_columns = ls.is_vector() && rs.is_vector();
                            let e = SourceError::new(
                                self.src_name,
                                self.src,
                                span.start,
                                span.end,
                                format!(
                                    "{lt}*{rt}: `{lt}` is {ls} but `{rt}` has {} rows (a matrix product needs the left factor's columns to match the right factor's rows)",
                                    rs.rows
                                ),
                                "shapes do not fit this product",
                            );
                            let e = if both_columns {
                                let (u, v) = (operand(&lt), operand(&rt));
                                e.with_help(format!(
                                    "both are column vectors: their outer product is `{u}*{v}'` ({} × {}), their inner product `{u}'*{v}` (a scalar, when their lengths agree)",
                                    ls.rows, rs.rows
                                ))
                            } else {
                                e
                            };
                            Error::from(e)
                        }),
                        MulOp::Div => {
                            if !self.store.is_scalar(f) {
                                return Err(self.error(
                                    span,
                                    format!(
                                        "`/` by `{rt}`, which is {}: divide by a scalar, use `./` for element-wise division, or `inv(…)`",
                                        self.describe(f)
                                    ),
                                    "a division by a vector or matrix",
                                ));
                            }
                            self.store.quot(acc, f).map_err(|m| self.error(span, m.message, "here"))
                        }
                        MulOp::Hadamard | MulOp::HDiv => {
                            let r = if *op == MulOp::Hadamard {
                                self.store.hadamard(acc, f)
                            } else {
                                self.store.quot(acc, f)
                            };
                            r.map_err(|_| {
                                self.error(
                                    span,
                                    format!(
                                        "`{lt}` is {} but `{rt}` is {}: an element-wise operation needs the same shape on both sides (or a scalar)",
                                        self.describe(acc),
                                        self.describe(f)
                                    ),
                                    "shapes differ here",
                                )
                            })
                        }
                    };
                    acc = r?;
                    left = factor;
                }
                acc
            }
            ExprKind::Pow(base, exp) | ExprKind::ElemPow(base, exp) => {
                let b = self.expr(base)?;
                let p = self.expr(exp)?;
                let span = self.op_span(base, exp);
                if !self.store.is_scalar(p) {
                    return Err(self.error(
                        span,
                        format!(
                            "the exponent `{}` is {}: an exponent must be a scalar",
                            self.snippet(exp),
                            self.describe(p)
                        ),
                        "this power",
                    ));
                }
                // `A^{-1}`: the inverse of a square matrix, as it is written (and printed).
                if matches!(e.kind, ExprKind::Pow(..))
                    && !self.store.is_scalar(b)
                    && !self.elementwise
                    && self.store.num(p).is_some_and(|r| *r == -1)
                    && self.store.shape(b).is_square()
                {
                    return self
                        .store
                        .inv(b)
                        .map_err(|m| self.error(span, m.message, "this inverse"));
                }
                if matches!(e.kind, ExprKind::Pow(..))
                    && !self.store.is_scalar(b)
                    && !self.elementwise
                {
                    return Err(self.error(
                        span,
                        format!(
                            "`{}` is {}: `^` is for scalars; write `.^` for an element-wise power, or a product `A*A` for a matrix power",
                            self.snippet(base),
                            self.describe(b)
                        ),
                        "a power of a vector or matrix",
                    ));
                }
                self.store
                    .pow(b, p)
                    .map_err(|m| self.error(span, m.message, "this power"))?
            }
            ExprKind::Transpose(x) => {
                // `σ'` alone: a derivative without its argument.
                if let ExprKind::Name(name) = &x.kind
                    && (Builtin::from_name(name).is_some()
                        || self.functions.contains_key(name)
                        || self.store.is_scalar_fn(name)
                        || self.store.vec_fn(name).is_some())
                {
                    let written = self.src.get(e.span.start..e.span.end).unwrap_or("");
                    return Err(SourceError::new(
                        self.src_name,
                        self.src,
                        e.span.start,
                        e.span.end,
                        format!("`{written}` must be applied to arguments"),
                        "a derivative of a function, with no arguments",
                    )
                    .with_help(format!("write `{written}(z)`"))
                    .into());
                }
                let v = self.expr(x)?;
                self.store
                    .transpose(v)
                    .map_err(|m| self.error(e.span, m.message, "this transpose"))?
            }
            ExprKind::Inverse(x) => {
                let v = self.expr(x)?;
                self.store.inv(v).map_err(|_| {
                    self.error(
                        e.span,
                        format!(
                            "`{}` is {}: only a square matrix has an inverse",
                            self.snippet(x),
                            self.describe(v)
                        ),
                        "this inverse",
                    )
                })?
            }
            ExprKind::List(_) => {
                return Err(self.error(
                    e.span,
                    "a list of numbers is a value for a point (`at x = [1, 2]`), not part of a formula",
                    "a list",
                ));
            }
            ExprKind::Call(c) => self.call(c, e.span)?,
        })
    }

    /// The text from the start of `first` to the end of `last`: the left side of a chain so far.
    fn snippet_upto(&self, first: &Expr, last: &Expr) -> String {
        let whole = Expr {
            kind: ExprKind::Num(String::new()),
            span: Span::new(first.span.start, last.span.end),
        };
        self.snippet(&whole)
    }

    /// A call of a program's own function: its body with the parameters bound to the
    /// arguments, entry by entry when an argument is a vector or matrix.
    fn user_call(&mut self, name: &str, f: &MatUserFn, args: &[MId], c: &Call) -> Result<MId> {
        if args.len() != f.params.len() {
            return Err(self.error(
                c.name_span,
                format!(
                    "`{name}` takes {} argument{}, but {} {} given",
                    f.params.len(),
                    if f.params.len() == 1 { "" } else { "s" },
                    args.len(),
                    if args.len() == 1 { "was" } else { "were" }
                ),
                "called here",
            ));
        }
        if self.calling.iter().any(|n| n == name) {
            return Err(self.error(
                c.name_span,
                format!("`{name}` calls itself: a function cannot be defined in terms of itself"),
                "a recursive call",
            ));
        }
        let frame: HashMap<String, MId> =
            f.params.iter().cloned().zip(args.iter().copied()).collect();
        let was = self.elementwise;
        self.elementwise = was || args.iter().any(|a| !self.store.is_scalar(*a));
        self.bound.push(frame);
        self.calling.push(name.to_string());
        let r = self.expr(&f.body);
        self.calling.pop();
        self.bound.pop();
        self.elementwise = was;
        r
    }

    /// `f'(a)` for a function `f(t) = …` of the program, applied entry by entry: the body's
    /// derivative by its scalar parameter, with the argument put in for the parameter (a
    /// product of two entries' formulas becoming ⊙).
    fn user_derivative(
        &mut self,
        name: &str,
        f: &MatUserFn,
        a: MId,
        c: &Call,
        span: Span,
    ) -> Result<MId> {
        // A name no program can write: the parameter as a scalar variable.
        let t = format!("\u{0}{name}");
        let tv = self.store.var(&t);
        let body = self.user_call(name, f, &[tv], c)?;
        let fail =
            |this: &Self, m: String| this.error(span, format!("{name}': {m}"), "this derivative");
        let d =
            crate::matrix::gradient(self.store, body, &t).map_err(|e| fail(self, e.to_string()))?;
        let vars: HashMap<String, MId> = [(t, a)].into_iter().collect();
        self.store
            .substitute(d, &vars, &mut |s, node| match node {
                crate::matrix::Node::Scale(k, x) if !s.is_scalar(*k) && !s.is_scalar(*x) => {
                    Some(s.hadamard(*k, *x))
                }
                _ => None,
            })
            .map_err(|e| fail(self, e.message))
    }

    /// `\mathbf{I}_{n}` (the n×n identity), `\mathbf{1}_{n}`, `\mathbf{1}_{m \times n}`
    /// (ones) or `\mathbf{0}_{n}`, `\mathbf{0}_{m \times n}` (zeros), as the LaTeX reader
    /// gives them: sizes are numbers or names.
    fn constant_matrix(&mut self, c: &Call) -> Result<MId> {
        let mut dims = Vec::new();
        for a in &c.args {
            dims.push(match &a.kind {
                ExprKind::Num(n) => match n.parse::<u64>() {
                    Ok(k) if k >= 1 => crate::matrix::Dim::Known(k),
                    _ => {
                        return Err(self.error(
                            a.span,
                            "a size must be a whole number from 1",
                            "this size",
                        ));
                    }
                },
                ExprKind::Name(n) => crate::matrix::Dim::Sym(n.clone()),
                _ => return Err(self.error(a.span, "a size is a number or a name", "this size")),
            });
        }
        let identity = c.name == super::latex::IDENTITY;
        let shape = match dims.as_slice() {
            [n] => Shape::vector(n.clone()),
            [r, k] => Shape::matrix(r.clone(), k.clone()),
            _ => unreachable!("the grammar gives one size or two"),
        };
        Ok(match (identity, dims.as_slice()) {
            (true, [n]) => self.store.identity(n.clone()),
            (true, [r, k]) if r == k => self.store.identity(r.clone()),
            (false, _) if c.name == super::latex::ZEROS => self.store.zero(shape),
            (false, _) => self.store.ones(shape),
            _ => {
                return Err(self.error(
                    c.name_span,
                    "the identity is square: `\\mathbf{I}_{n}`",
                    "not square",
                ));
            }
        })
    }

    fn call(&mut self, c: &Call, span: Span) -> Result<MId> {
        if super::latex::is_constant_matrix(&c.name) {
            return self.constant_matrix(c);
        }
        let name = if c.name == "ln" {
            "log"
        } else {
            c.name.as_str()
        };
        if !c.partials.is_empty() {
            return Err(self.error(
                c.name_span,
                "partial derivatives by slot (`∂_2 f`) of vector functions are not supported; declare the function with its shapes and differentiate the expression",
                "here",
            ));
        }
        let mut args = Vec::with_capacity(c.args.len());
        for a in &c.args {
            args.push(self.expr(a)?);
        }
        if c.primes == 0
            && let Some(f) = self.functions.get(name).cloned()
        {
            return self.user_call(name, &f, &args, c);
        }
        let one_arg = |this: &Self| -> Result<MId> {
            if args.len() != 1 {
                return Err(this.error(
                    c.name_span,
                    format!(
                        "`{name}` takes 1 argument, but {} {} given",
                        args.len(),
                        if args.len() == 1 { "was" } else { "were" }
                    ),
                    "called here",
                ));
            }
            Ok(args[0])
        };
        let shape_err = |this: &Self, m: crate::matrix::ShapeError| {
            // The message may already start with the function's name (`det of a 2×3 matrix`).
            let msg = if m.message.starts_with(&format!("{name} ")) {
                m.message
            } else {
                format!("{name}: {}", m.message)
            };
            this.error(span, msg, "this call")
        };
        // σ'(z) for the program's own σ(t) = …: its derivative, entry by entry.
        if c.primes == 1
            && let Some(f) = self.functions.get(name).cloned()
            && f.params.len() == 1
        {
            let a = one_arg(self)?;
            return self.user_derivative(name, &f, a, c, span);
        }
        if c.primes > 0 && Builtin::from_name(name).is_none_or(|b| b != Builtin::Sigmoid) {
            if self.store.is_scalar_fn(name) {
                let a = one_arg(self)?;
                return Ok(self.store.map(Fun::Abstract(name.to_string()), c.primes, a));
            }
            if self.store.vec_fn(name).is_some() && c.primes == 1 {
                let a = one_arg(self)?;
                return self
                    .store
                    .jacobian_of(name, a)
                    .map_err(|m| shape_err(self, m));
            }
            if let Some(b) = Builtin::from_name(name) {
                // relu'(z) and the like: the derivative as a formula.
                let a = one_arg(self)?;
                if c.primes == 1 {
                    return crate::matrix::map_derivative(self.store, &Fun::Builtin(b), 0, a)
                        .map_err(|m| shape_err(self, m));
                }
            }
            return Err(self.error(
                c.name_span,
                format!(
                    "`{name}` with {} primes is not supported on vectors and matrices",
                    c.primes
                ),
                "here",
            ));
        }
        let r = match name {
            "sum" => {
                let a = one_arg(self)?;
                self.store.sum(a)
            }
            "tr" => {
                let a = one_arg(self)?;
                self.store.trace(a)
            }
            "det" => {
                let a = one_arg(self)?;
                self.store.det(a)
            }
            "logdet" => {
                let a = one_arg(self)?;
                self.store.logdet(a)
            }
            "inv" => {
                let a = one_arg(self)?;
                self.store.inv(a)
            }
            "norm1" => {
                let a = one_arg(self)?;
                Ok(self.store.norm1(a))
            }
            "norm2" => {
                let a = one_arg(self)?;
                Ok(self.store.norm2(a))
            }
            "diag" => {
                let a = one_arg(self)?;
                self.store.diag(a)
            }
            "softmax" => {
                let a = one_arg(self)?;
                self.store.softmax(a)
            }
            "logsumexp" => {
                let a = one_arg(self)?;
                self.store.logsumexp(a)
            }
            n if n == SQRT => {
                let a = one_arg(self)?;
                let half = self.store.number(Rational::from((1, 2)));
                self.store.pow(a, half)
            }
            n => {
                if let Some(b) = Builtin::from_name(n) {
                    if b.variadic() || b.arity() != 1 {
                        return Err(self.error(
                            c.name_span,
                            format!("`{n}` is not an element-wise function of one argument, so it does not apply to vectors and matrices"),
                            "here",
                        ));
                    }
                    let a = one_arg(self)?;
                    Ok(self.store.map(Fun::Builtin(b), c.primes, a))
                } else if self.store.is_scalar_fn(n) {
                    let a = one_arg(self)?;
                    Ok(self.store.map(Fun::Abstract(n.to_string()), 0, a))
                } else if self.store.vec_fn(n).is_some() {
                    let a = one_arg(self)?;
                    let got = self.describe(a);
                    let want = self
                        .store
                        .vec_fn(n)
                        .map(|f| f.from.describe())
                        .unwrap_or_default();
                    return self.store.apply(n, a).map_err(|_| {
                        self.error(
                            span,
                            format!("`{n}` takes {want}, but its argument is {got}"),
                            "this call",
                        )
                    });
                } else if n == "d" {
                    // `d(E, W)` in a scalar program's claim; not read with vectors and matrices.
                    return Err(self.error(
                        c.name_span,
                        "`d(…)`, a derivative inside an expression, is read in scalar programs only: with vectors and matrices, write the formula itself (the adjoints `δ_Z2` and the program's names may be used)",
                        "a derivative",
                    ));
                } else {
                    let mut err = SourceError::new(
                        self.src_name,
                        self.src,
                        c.name_span.start,
                        c.name_span.end,
                        format!("unknown function `{n}`"),
                        "not a function",
                    );
                    if let Some(s) = suggest(n) {
                        err = err.with_help(format!("did you mean `{s}`?"));
                    } else {
                        err = err.with_help(format!(
                            "an unspecified function must be declared in a program: `fn {n}(t)` for one applied entry by entry, or `{n}: R^3 -> R^2` for a vector function"
                        ));
                    }
                    return Err(err.into());
                }
            }
        };
        r.map_err(|m| shape_err(self, m))
    }
}

/// The shape of a value given as a literal: a scalar, a column vector of `n`, a matrix.
pub fn literal_shape(rows: usize, cols: Option<usize>) -> Shape {
    use crate::matrix::Dim;
    match cols {
        None if rows == 1 => Shape::scalar(),
        None => Shape::vector(Dim::Known(rows as u64)),
        Some(c) => Shape::matrix(Dim::Known(rows as u64), Dim::Known(c as u64)),
    }
}

/// `text` as a factor that a transpose or product may follow: parenthesized unless it is a
/// name, a call or already in parentheses (`x`, `g(x)`, `(a + b)`; but `(a*b)`).
fn operand(text: &str) -> String {
    let mut depth = 0i32;
    let mut top_level_operator = false;
    for ch in text.chars() {
        match ch {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == '\'' || c == 'ᵀ') => {
                top_level_operator = true;
            }
            _ => {}
        }
    }
    if top_level_operator {
        format!("({text})")
    } else {
        text.to_string()
    }
}

/// The first `^T` in `src` (a transpose: `x^T` is never a power of a variable `T`), as the
/// error that the user, who also gave `T` a value or differentiates by it, meant a power: a
/// scalar's transpose is itself, so the answer would silently ignore `T`. In LaTeX the braced
/// `^{T}` and `^{-T}` are transposes too, and `^T` takes the one token T (`x^Ty` is xᵀy).
pub fn caret_t_meant_as_power(src: &str, src_name: &str) -> Option<Error> {
    for (i, _) in src.match_indices('^') {
        let line_start = src[..i].rfind('\n').map_or(0, |k| k + 1);
        if src[line_start..i].contains('#') {
            continue; // a comment
        }
        let line_end = src[i..].find('\n').map_or(src.len(), |k| i + k);
        let latex = crate::syntax::looks_like_latex(&src[line_start..line_end]);
        let rest = &src[i + 1..];
        let trimmed = rest.trim_start();
        let tee = match trimmed.strip_prefix('{') {
            Some(braced) if latex => {
                let inner = braced.trim_start();
                let inner = inner
                    .strip_prefix(['-', '−'])
                    .map_or(inner, str::trim_start);
                match inner.strip_prefix('T') {
                    Some(after) if after.trim_start().starts_with('}') => inner,
                    _ => continue,
                }
            }
            _ => match trimmed.strip_prefix('T') {
                Some(after)
                    if latex || !after.starts_with(|c: char| c.is_alphanumeric() || c == '_') =>
                {
                    trimmed
                }
                _ => continue,
            },
        };
        let end = src.len() - tee.len() + 1;
        return Some(
            SourceError::new(
                src_name,
                src,
                i,
                end,
                "`^T` is a transpose, not a power of the variable `T`",
                "a transpose",
            )
            .with_help(if latex {
                "in LaTeX `^T`, `^{T}` and `^\\top` are transposes; for a power of a variable named `T`, rename it, or write the formula in chainrule's syntax, `x^(T)`"
            } else {
                "for a power of a variable named `T` write `^(T)`"
            })
            .into(),
        );
    }
    None
}
