//! Input evaluated as written, as NumPy would: the one place where `0.1 + 0.2` is
//! 0.30000000000000004.
//!
//! The [`Store`] folds constants exactly (`0.1 + 0.2` is 3/10 the moment
//! it is built) and sorts the terms of sums and the factors of products: right for symbolic
//! work and for chainrule's own formulas (derivatives), but not what a program computes in
//! IEEE double. A NumPy program rounds each literal to the nearest double and runs each
//! operation in the order and grouping written, chains left to right (`a - b + c` is
//! `(a - b) + c`). So the user's input — an expression, or a program's definitions and the
//! functions they call — is compiled from its syntax tree, not from the DAG, into a
//! [`Tape`] whose instructions are those operations in that order, literals kept as exact
//! numbers rounded once by each arithmetic. `eval --float f64` and the finite differences
//! of `fd` and `sweep` run this tape, so they agree bit for bit, and its MPFR evaluation is
//! the same program at a higher precision.
//!
//! Input with no as-written meaning (`d(…)`, `f'(x)`, unspecified functions) is not
//! compiled (`compile_expr` and `compile_program` return `None`): callers then evaluate
//! the DAG, whose constants are rounded to nearest too.

use super::tape::{BuildOp, Builder, Tape};
use super::{Point, nearest_f64};
use crate::error::{Error, Result};
use crate::expr::{Builtin, Id, Store, Sym};
use crate::syntax::ast::{AddOp, Expr, ExprKind, MulOp, Span, Stmt};
use crate::syntax::parse_number;
use rug::Float;
use std::collections::HashMap;
use std::collections::HashSet;

/// A tape of input as written.
#[derive(Clone, Debug)]
pub struct Written {
    /// The compiled operations, in the order written.
    pub tape: Tape,
    /// The source text of each instruction's operation, for errors.
    texts: Vec<String>,
}

impl Written {
    /// Evaluates in IEEE double at `point` (values in the order of the tape's inputs), as
    /// NumPy would; a result that is not finite (an overflow, a domain error) is an error
    /// naming the first operation that gave it.
    pub fn eval_f64(&self, point: &[f64]) -> Result<f64> {
        self.eval_f64_all(point).map(|v| v[0])
    }

    /// [`Written::eval_f64`] for a tape of several outputs: all of them.
    pub fn eval_f64_all(&self, point: &[f64]) -> Result<Vec<f64>> {
        self.tape
            .checked_f64_eval()
            .eval(point)
            .map_err(|(i, v)| self.not_finite(i, v.is_nan()))
    }

    /// Evaluates in MPFR at `prec` bits, each operation correctly rounded; errors as
    /// [`Written::eval_f64`].
    pub fn eval_mpfr(&self, point: &[Float], prec: u32) -> Result<Float> {
        let mut out = [Float::new(prec)];
        self.tape
            .mpfr_eval(prec)
            .eval_checked(point, &mut out)
            .map_err(|(i, nan)| self.not_finite(i, nan))?;
        let [v] = out;
        Ok(v)
    }

    fn not_finite(&self, i: usize, nan: bool) -> Error {
        let what = if nan {
            "undefined result (NaN)"
        } else {
            "overflow"
        };
        Error::domain(format!("{what} in {}", self.texts[i]))
    }
}

/// What names mean while compiling: registers of inputs, definitions and parameters of the
/// function being expanded, and the user's functions.
struct Scope<'a> {
    store: &'a Store,
    inputs: &'a HashMap<Sym, u32>,
    locals: HashMap<String, u32>,
    functions: &'a HashMap<String, (Vec<String>, &'a Expr)>,
    /// How many user-function calls deep the expansion is.
    depth: usize,
}

/// The deepest nesting of user-function calls expanded.
const MAX_CALL_DEPTH: usize = 256;

/// The input cannot be compiled as written.
struct Unsupported;

/// The tape being built, with the span of each instruction's operation.
struct Ctx {
    b: Builder,
    spans: Vec<Span>,
}

impl Ctx {
    fn new(inputs: &[Sym]) -> Ctx {
        Ctx {
            b: Builder::new(inputs),
            spans: Vec::new(),
        }
    }

    fn number(&mut self, q: rug::Rational) -> u32 {
        self.b.number(q)
    }

    fn op(&mut self, op: BuildOp, a: u32, b: Option<u32>, span: Span) -> u32 {
        self.spans.push(span);
        self.b.op(op, a, b)
    }

    fn finish(self, outputs: Vec<u32>, src: &str) -> Written {
        let texts = self
            .spans
            .iter()
            .map(|s| {
                let t = src.get(s.start..s.end).unwrap_or("?");
                let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
                if t.chars().count() > 60 {
                    format!("{}…", t.chars().take(59).collect::<String>())
                } else {
                    t
                }
            })
            .collect();
        Written {
            tape: self.b.finish(outputs),
            texts,
        }
    }
}

fn compile(b: &mut Ctx, e: &Expr, scope: &Scope) -> std::result::Result<u32, Unsupported> {
    stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || compile_inner(b, e, scope))
}

fn compile_inner(b: &mut Ctx, e: &Expr, scope: &Scope) -> std::result::Result<u32, Unsupported> {
    let span = e.span;
    Ok(match &e.kind {
        ExprKind::Num(text) => match parse_number(text) {
            Some(Ok(q)) => b.number(q),
            _ => return Err(Unsupported),
        },
        ExprKind::Name(n) => match scope.locals.get(n) {
            Some(&r) => r,
            None => {
                let s = scope.store.lookup(n).ok_or(Unsupported)?;
                *scope.inputs.get(&s).ok_or(Unsupported)?
            }
        },
        ExprKind::Neg(x) => {
            let x = compile(b, x, scope)?;
            b.op(BuildOp::Neg, x, None, span)
        }
        ExprKind::Sum(first, rest) => {
            let op = |op: &AddOp| match op {
                AddOp::Add => BuildOp::Add,
                AddOp::Sub => BuildOp::Sub,
            };
            chain(b, first, rest.iter().map(|(o, t)| (op(o), t)), span, scope)?
        }
        ExprKind::Product(first, rest) => {
            let op = |op: &MulOp| match op {
                MulOp::Mul => Ok(BuildOp::Mul),
                MulOp::Div => Ok(BuildOp::Div),
                // Element-wise: vectors and matrices, not this scalar tape.
                MulOp::Hadamard | MulOp::HDiv => Err(Unsupported),
            };
            let rest = rest
                .iter()
                .map(|(o, f)| Ok((op(o)?, f)))
                .collect::<std::result::Result<Vec<_>, Unsupported>>()?;
            chain(b, first, rest.into_iter(), span, scope)?
        }
        ExprKind::Pow(base, exponent) => {
            // `x**2` in NumPy is C's pow, correctly rounded for squares as x*x is.
            let base = compile(b, base, scope)?;
            let exponent = compile(b, exponent, scope)?;
            b.op(BuildOp::Pow, base, Some(exponent), span)
        }
        // Vectors and matrices: not this scalar tape.
        ExprKind::ElemPow(..)
        | ExprKind::Transpose(_)
        | ExprKind::Inverse(_)
        | ExprKind::List(_) => return Err(Unsupported),
        ExprKind::Call(c) => {
            if c.primes > 0 || !c.partials.is_empty() {
                return Err(Unsupported);
            }
            let args = c
                .args
                .iter()
                .map(|a| compile(b, a, scope))
                .collect::<std::result::Result<Vec<u32>, Unsupported>>()?;
            if c.name == crate::syntax::SQRT && args.len() == 1 {
                return Ok(b.op(BuildOp::Sqrt, args[0], None, span));
            }
            if let Some(f) = Builtin::from_name(&c.name) {
                return match (f.arity(), &args[..]) {
                    (1, [a]) => Ok(b.op(BuildOp::Call(f), *a, None, span)),
                    (2, [a, rest @ ..]) if !rest.is_empty() => {
                        // max(a, b, c) as max(max(a, b), c).
                        Ok(rest
                            .iter()
                            .fold(*a, |acc, r| b.op(BuildOp::Call(f), acc, Some(*r), span)))
                    }
                    _ => Err(Unsupported),
                };
            }
            let (params, body) = scope.functions.get(&c.name).ok_or(Unsupported)?;
            if params.len() != args.len() {
                return Err(Unsupported);
            }
            // A call runs the body with its parameters bound, as a Python function would.
            // Bodies are expanded at most MAX_CALL_DEPTH calls deep (a program that loads has
            // no recursion; this only keeps a mistake from running away).
            if scope.depth >= MAX_CALL_DEPTH {
                return Err(Unsupported);
            }
            let inner = Scope {
                store: scope.store,
                inputs: scope.inputs,
                locals: params.iter().cloned().zip(args).collect(),
                functions: scope.functions,
                depth: scope.depth + 1,
            };
            compile(b, body, &inner)?
        }
    })
}

/// A chain `a ∘ b ∘ c` left to right, as written: `(a ∘ b) ∘ c`.
fn chain<'e>(
    b: &mut Ctx,
    first: &Expr,
    rest: impl Iterator<Item = (BuildOp, &'e Expr)>,
    span: Span,
    scope: &Scope,
) -> std::result::Result<u32, Unsupported> {
    let mut acc = compile(b, first, scope)?;
    for (op, e) in rest {
        let x = compile(b, e, scope)?;
        acc = b.op(op, acc, Some(x), span);
    }
    Ok(acc)
}

/// Compiles with `body`, which returns the output registers, in a scope where `inputs`
/// are the first registers and `functions` the user's functions.
fn build(
    store: &Store,
    src: &str,
    inputs: &[Sym],
    functions: &HashMap<String, (Vec<String>, &Expr)>,
    body: impl FnOnce(&mut Ctx, &mut Scope) -> std::result::Result<Vec<u32>, Unsupported>,
) -> Option<Written> {
    let registers: HashMap<Sym, u32> = inputs
        .iter()
        .enumerate()
        .map(|(i, s)| (*s, i as u32))
        .collect();
    let mut scope = Scope {
        store,
        inputs: &registers,
        locals: HashMap::new(),
        functions,
        depth: 0,
    };
    let mut b = Ctx::new(inputs);
    let outputs = body(&mut b, &mut scope).ok()?;
    Some(b.finish(outputs, src))
}

/// Compiles an expression as written, as a function of `inputs` (in that order). `None` if
/// it uses a name not among `inputs` or something with no as-written meaning.
pub(crate) fn compile_expr(store: &Store, e: &Expr, src: &str, inputs: &[Sym]) -> Option<Written> {
    build(store, src, inputs, &HashMap::new(), |b, scope| {
        Ok(vec![compile(b, e, scope)?])
    })
}

/// Compiles a program's definitions named in `live` as written, as a function of `inputs`
/// (in that order), with the values of the definitions named in `outputs` as outputs (in
/// that order): each definition once, in the order written, each call of a user function
/// expanded with its parameters bound. `None` as for [`compile_expr`], or if the program
/// does not parse or an output is not among its live definitions.
pub(crate) fn compile_program(
    store: &Store,
    src: &str,
    live: &HashSet<&str>,
    outputs: &[&str],
    inputs: &[Sym],
) -> Option<Written> {
    let program = crate::syntax::parse_program(src, "").ok()?;
    let mut functions: HashMap<String, (Vec<String>, &Expr)> = HashMap::new();
    for (stmt, _) in &program.stmts {
        if let Stmt::FnDef { name, params, body } = stmt {
            let params = params.iter().map(|p| p.name.clone()).collect();
            functions.insert(name.name.clone(), (params, body));
        }
    }
    build(store, src, inputs, &functions, |b, scope| {
        for (stmt, _) in &program.stmts {
            if let Stmt::Def { name, value } = stmt
                && live.contains(name.name.as_str())
            {
                let r = compile(b, value, scope)?;
                scope.locals.insert(name.name.clone(), r);
            }
        }
        outputs
            .iter()
            .map(|o| scope.locals.get(*o).copied().ok_or(Unsupported))
            .collect()
    })
}

/// Evaluates the expression `src` (lowered to `id` in `store`) at `point` in IEEE double as
/// written, as NumPy would (`0.1 + 0.2` is 0.30000000000000004). Input with no as-written
/// meaning is evaluated from the DAG. Errors are those of the DAG evaluator, which names the
/// failing subexpression and the values at the point, unless only the written order fails
/// (`exp(1000)*0`).
pub fn eval_expr_f64(store: &Store, src: &str, id: Id, point: &Point) -> Result<f64> {
    let dag = || -> Result<f64> {
        let (v, _) = super::evaluate(store, &[id], point, super::Mode::F64)?;
        Ok(v[0].to_f64())
    };
    let Ok(ast) = crate::syntax::parse_expr(src, "<expression>") else {
        return dag();
    };
    let mut inputs: Vec<Sym> = point.keys().copied().collect();
    inputs.sort();
    let Some(w) = compile_expr(store, &ast, src, &inputs) else {
        return dag();
    };
    let values: Vec<f64> = inputs.iter().map(|s| nearest_f64(&point[s])).collect();
    w.eval_f64(&values).or_else(|e| dag().and(Err(e)))
}
