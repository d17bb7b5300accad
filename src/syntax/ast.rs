//! The abstract syntax tree: what the parser recognised, with a span on every node.
//!
//! Spans ([`Span`], defined in [`crate::span`] so that domain conditions can carry one too)
//! never enter the expression DAG: hash-consing merges the `x` at column 3 with the `x` at
//! column 9, so locations belong to the syntax (DESIGN.md).

pub use crate::span::Span;

/// The operator joining a term to a sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddOp {
    /// `+`
    Add,
    /// `-`
    Sub,
}

/// The operator joining a factor to a product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MulOp {
    /// `*`, `·`, `⋅`, `×`, or juxtaposition after a number (`2x`)
    Mul,
    /// `/`
    Div,
    /// `.*` or `⊙`: the element-wise (Hadamard) product
    Hadamard,
    /// `./`: element-wise division
    HDiv,
}

/// An expression with its span.
///
/// A tree is at most a few times as deep as the parser's nesting limit
/// ([`MAX_DEPTH`](crate::syntax::MAX_DEPTH)): walk it by reference with an explicit stack,
/// or recursively under `stacker::maybe_grow`. Dropping is iterative (see the `Drop` impl);
/// the derived `Clone`, `Debug` and `PartialEq` recurse, so keep them to small trees.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

impl Expr {
    /// The kind, moved out and replaced by a placeholder, for a kind rebuilt in place.
    pub fn kind_take(&mut self) -> ExprKind {
        std::mem::replace(&mut self.kind, ExprKind::Num(String::new()))
    }

    /// The kind, moved out (fields cannot be moved out of a type with a `Drop` impl).
    pub fn into_kind(mut self) -> ExprKind {
        self.kind_take()
    }

    /// `f` of each direct subexpression, in order (what [`Expr::children`] lists).
    pub fn for_each_child<'e>(&'e self, mut f: impl FnMut(&'e Expr)) {
        match &self.kind {
            ExprKind::Num(_) | ExprKind::Name(_) => {}
            ExprKind::Neg(x) | ExprKind::Transpose(x) | ExprKind::Inverse(x) => f(x),
            ExprKind::Sum(a, rest) => {
                f(a);
                rest.iter().for_each(|(_, t)| f(t));
            }
            ExprKind::Product(a, rest) => {
                f(a);
                rest.iter().for_each(|(_, t)| f(t));
            }
            ExprKind::Pow(a, b) | ExprKind::ElemPow(a, b) => {
                f(a);
                f(b);
            }
            ExprKind::List(items) => items.iter().for_each(f),
            ExprKind::Call(c) => c.args.iter().for_each(f),
        }
    }

    /// `f` of each direct subexpression, mutably, in order.
    pub fn for_each_child_mut<'e>(&'e mut self, mut f: impl FnMut(&'e mut Expr)) {
        match &mut self.kind {
            ExprKind::Num(_) | ExprKind::Name(_) => {}
            ExprKind::Neg(x) | ExprKind::Transpose(x) | ExprKind::Inverse(x) => f(x),
            ExprKind::Sum(a, rest) => {
                f(a);
                rest.iter_mut().for_each(|(_, t)| f(t));
            }
            ExprKind::Product(a, rest) => {
                f(a);
                rest.iter_mut().for_each(|(_, t)| f(t));
            }
            ExprKind::Pow(a, b) | ExprKind::ElemPow(a, b) => {
                f(a);
                f(b);
            }
            ExprKind::List(items) => items.iter_mut().for_each(f),
            ExprKind::Call(c) => c.args.iter_mut().for_each(f),
        }
    }

    /// The direct subexpressions, in order (walk deep trees with a stack of these).
    pub fn children(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        self.for_each_child(|c| out.push(c));
        out
    }
}

impl Drop for Expr {
    /// Drops the tree with a heap stack instead of recursion: a tree 10 000 levels deep
    /// would need about 7 MiB of stack to drop recursively in a debug build.
    fn drop(&mut self) {
        // Most expressions (`w1*x0`, `sigmoid(z1)`) are a node over leaves: the fields' own
        // drop is then two levels deep, and needs no stack.
        if self.kind.over_leaves() {
            return;
        }
        let mut stack = Vec::new();
        self.kind.take_children(&mut stack);
        while let Some(mut expr) = stack.pop() {
            // `expr` is left without children, so dropping it here does not recurse.
            expr.kind.take_children(&mut stack);
        }
    }
}

impl ExprKind {
    /// Whether every child (if any) is a leaf, a number or a name.
    fn over_leaves(&self) -> bool {
        let leaf = |e: &Expr| matches!(e.kind, ExprKind::Num(_) | ExprKind::Name(_));
        match self {
            ExprKind::Num(_) | ExprKind::Name(_) => true,
            ExprKind::Neg(x) | ExprKind::Transpose(x) | ExprKind::Inverse(x) => leaf(x),
            ExprKind::Sum(first, rest) => leaf(first) && rest.iter().all(|(_, e)| leaf(e)),
            ExprKind::Product(first, rest) => leaf(first) && rest.iter().all(|(_, e)| leaf(e)),
            ExprKind::Pow(a, b) | ExprKind::ElemPow(a, b) => leaf(a) && leaf(b),
            ExprKind::List(items) => items.iter().all(leaf),
            ExprKind::Call(c) => c.args.iter().all(leaf),
        }
    }

    /// Moves the children out into `out`, leaving empty leaves (which allocate nothing).
    fn take_children(&mut self, out: &mut Vec<Expr>) {
        fn take(expr: &mut Expr) -> Expr {
            std::mem::replace(
                expr,
                Expr {
                    kind: ExprKind::Num(String::new()),
                    span: Span::default(),
                },
            )
        }
        match self {
            ExprKind::Num(_) | ExprKind::Name(_) => {}
            ExprKind::Neg(x) => out.push(take(x)),
            ExprKind::Sum(first, rest) => {
                out.push(take(first));
                out.extend(rest.drain(..).map(|(_, term)| term));
            }
            ExprKind::Product(first, rest) => {
                out.push(take(first));
                out.extend(rest.drain(..).map(|(_, factor)| factor));
            }
            ExprKind::Pow(base, exponent) | ExprKind::ElemPow(base, exponent) => {
                out.push(take(base));
                out.push(take(exponent));
            }
            ExprKind::Transpose(x) | ExprKind::Inverse(x) => out.push(take(x)),
            ExprKind::List(items) => out.append(items),
            ExprKind::Call(call) => out.append(&mut call.args),
        }
    }
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A numeric literal exactly as written (`2`, `0.5`, `1e-4`, `1.5E3`); lowering makes it exact.
    Num(String),
    /// A name, NFC-normalised (`x`, `w1`, `ŷ`).
    Name(String),
    /// Unary minus.
    Neg(Box<Expr>),
    /// A chain of `+` and `-`, left to right: `a - b + c` is
    /// `Sum(a, [(Sub, b), (Add, c)])`, meaning `(a - b) + c`; the list is never empty.
    /// A parenthesised sum is its own term: `(a + b) + c` is `Sum(Sum(a, [(Add, b)]), [(Add, c)])`.
    ///
    /// Chains are flat instead of nested binary nodes so that the tree of a sum of
    /// 100 000 terms is 2 levels deep, not 100 000: the tree's depth stays bounded by the
    /// nesting the parser checks (`MAX_DEPTH`), and every recursive walk over it
    /// (lowering, `Drop`, `Clone`, `Debug`, `PartialEq`) is safe from stack overflow.
    Sum(Box<Expr>, Vec<(AddOp, Expr)>),
    /// A chain of `*` and `/` (and juxtaposition `2x`, and the element-wise `.*`, `⊙`, `./`),
    /// left to right: `a/b*c` is `Product(a, [(Div, b), (Mul, c)])`, meaning `(a/b)*c`;
    /// the list is never empty.
    Product(Box<Expr>, Vec<(MulOp, Expr)>),
    /// A power `base ^ exponent` (or `**`); right-associative: `2^3^2` is `2^(3^2)`.
    Pow(Box<Expr>, Box<Expr>),
    /// An element-wise power `base .^ exponent`; binds and associates as `^` (`a.^b^c` is
    /// `a.^(b^c)`).
    ElemPow(Box<Expr>, Box<Expr>),
    /// A transpose: postfix `'` (or `′`) not followed by `(`, `ᵀ`, or `^T` (a caret then
    /// exactly the name `T`: `x^T` is always the transpose, never a power of a variable `T`).
    /// Postfix operators bind tighter than `^`, `*` and a sign: `x'*A*x` is
    /// `Product(Transpose(x), [(Mul, A), (Mul, x)])`, `X'^2` is `(X')^2`, `-x'` is `-(x')`,
    /// `2x'` is `2*(x')`. `X''` is two transposes; `σ'(z)` is a derivative ([`Call`]), and
    /// `σ'(z)'` the transpose of that call. `X⁻ᵀ` is `Transpose(Inverse(X))`.
    Transpose(Box<Expr>),
    /// A matrix inverse, postfix `⁻¹`.
    Inverse(Box<Expr>),
    /// A bracket literal `[a, b, c]`; `[[1, 2], [3, 4]]` is a list of lists (rows). Never
    /// empty. Its entries are any expressions (`[-1/2, 0.5]`); lowering decides what the
    /// list means (a flat list is a column vector, a list of equal rows a matrix).
    List(Vec<Expr>),
    /// A call `f(a, b)`, possibly of a derivative of `f` (boxed: the largest kind by far,
    /// which would make every expression twice its size).
    Call(Box<Call>),
}

/// A call `f(a, …)`, `f'(a)`, `f''(a)` or `∂_2 ℓ(a, b)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The function's name, NFC-normalised.
    pub name: String,
    /// Where the name is.
    pub name_span: Span,
    /// Number of primes after the name (`σ''(z)` has 2).
    pub primes: u32,
    /// Partial-derivative slots written before the name, 1-based, in the order written
    /// (`∂_1 ∂_2 ℓ(y, ŷ)` gives `[1, 2]`).
    pub partials: Vec<u32>,
    /// The arguments.
    pub args: Vec<Expr>,
}

impl Call {
    /// A call written without primes or partials: `f(a, b)`.
    pub fn plain(name: &str, name_span: Span, args: Vec<Expr>) -> Call {
        Call {
            name: name.to_string(),
            name_span,
            primes: 0,
            partials: Vec::new(),
            args,
        }
    }
}

/// A name with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The name, NFC-normalised.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// One item of a `take` statement.
#[derive(Clone, Debug, PartialEq)]
pub enum TakeItem {
    /// `σ(t) = relu(t)`: what an unspecified function is, in this instance.
    Function {
        /// The function's name.
        name: Ident,
        /// Its parameters.
        params: Vec<Ident>,
        /// Its body, in terms of the parameters.
        body: Expr,
    },
    /// `x = 1`: an input's value.
    Value(Ident, Expr),
}

/// One statement of a program file.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// `z1 = w1*x`: a named intermediate.
    Def {
        /// The name defined.
        name: Ident,
        /// Its formula.
        value: Expr,
    },
    /// `σ(t) = relu(t)`: a user-defined function.
    FnDef {
        /// The function's name.
        name: Ident,
        /// Its parameters.
        params: Vec<Ident>,
        /// Its body (boxed, as the shapes below: a program is mostly `Def`s, which are kept
        /// small).
        body: Box<Expr>,
    },
    /// `fn ℓ(y, ŷ)`: an unspecified (abstract) function, declared with its parameter names.
    FnDecl {
        /// The function's name.
        name: Ident,
        /// Its parameters (names used when printing its partials).
        params: Vec<Ident>,
    },
    /// `at x = 1, y = 10`: the point.
    At(Vec<(Ident, Expr)>),
    /// `take σ(t) = relu(t), ℓ(y, ŷ) = (y - ŷ)^2, x = 1`: one instance of the program's
    /// unspecified functions, and values of its inputs, as a homework fixes them (used by
    /// `grade`).
    Take(Vec<TakeItem>),
    /// `wrt w1, w2`: the parameters.
    Wrt(Vec<Ident>),
    /// `x: 3`, `W1: 4×3`, `x, b: n`, `y: scalar`, `x ∈ ℝ^3`: the shape of names.
    Shape {
        /// The names declared, in order (at least one, distinct).
        names: Vec<Ident>,
        /// Their shape.
        shape: Box<ShapeDecl>,
    },
    /// `f: R^{d3} → R^{d4}` (or `->`, `ℝ`): an abstract function's shape, from its
    /// argument's to its value's.
    FnShape {
        /// The function's name.
        name: Ident,
        /// The argument's shape (`R` alone is a scalar).
        from: Box<ShapeDecl>,
        /// The value's shape.
        to: Box<ShapeDecl>,
    },
}

/// A declared shape: rows, and columns for a matrix.
///
/// `cols: None` is a column vector of `rows` entries, or a scalar when `rows` is the number
/// 1: `y: 1`, `y: scalar` and `R` (no exponent) all give `rows: Num(1), cols: None`.
/// `x: 3` and `R^3` give `rows: Num(3), cols: None`; `W: m×n` and `R^{m×n}` give
/// `rows: Sym(m), cols: Some(Sym(n))`. A matrix's dimensions may be 1 (`R^{1×3}`, a row).
#[derive(Clone, Debug, PartialEq)]
pub struct ShapeDecl {
    /// The number of rows (the length of a vector).
    pub rows: DimDecl,
    /// The number of columns, for a matrix.
    pub cols: Option<DimDecl>,
    /// Where the shape is written (`4×3`, `R^{m×n}`, the word `scalar`).
    pub span: Span,
}

/// One dimension of a declared shape.
#[derive(Clone, Debug, PartialEq)]
pub enum DimDecl {
    /// A number of entries, at least 1, with where it is written.
    Num(u64, Span),
    /// A symbolic dimension (`n`, `d3`).
    Sym(Ident),
}

/// A whole program file, statements in order, each with the span of the whole statement.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Program {
    /// The statements.
    pub stmts: Vec<(Stmt, Span)>,
}
