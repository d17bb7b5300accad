//! A compiled evaluator: the DAG lowered once into a flat tape of instructions.
//!
//! [`Tape::compile`] walks the nodes reachable from some roots in id order (children before
//! parents) and emits one or a few three-address instructions per node, with registers reused
//! as soon as a value's last user has run. Evaluating the tape is then a loop over a short
//! array: no hashing, no recursion, no allocation.
//!
//! - [`Tape::eval_batch`] runs in f64 over many points at once, structure of arrays: each
//!   instruction runs over a block of [`BLOCK`] points, a loop the compiler vectorises, and
//!   large batches are split over all cores.
//! - [`F64Eval`] runs one point in f64 (the same instructions, a block of one).
//! - [`MpfrEval`] runs one point in MPFR, reusing its allocated `Float`s from point to point.
//! - [`CheckedF64Eval`] runs one point (or [`LANES`] points) in f64 as NumPy would, with the C
//!   library's `exp`, and reports the first result that is not finite: the finite
//!   differences of `fd` and `sweep` run on it.
//!
//! Besides compiling a DAG, a tape can be built one operation at a time in a given order
//! (`Builder`): the user's input as written ([`super::written`]).
//!
//! A gradient is compiled together with its function ([`Tape::gradient`]): the symbolic
//! reverse sweep ([`crate::diff::gradient`]) shares the forward values and the adjoints, so
//! one pass over the tape yields the value and every partial, at a few times the cost of the
//! value alone. The derivative rules stay in one place (`diff.rs`); the tape only computes.
//!
//! f64 arithmetic follows the [`super::F64`] backend (`p/q·x` as `p·x/q`, sums left to right
//! with the constant last), with two differences: `exp` and `sigmoid` use a branch-free
//! `exp` that vectorises (within 1 ulp of the C library's), and a domain error is not
//! reported but yields NaN or an infinity, as in NumPy; in a batch, a point where any
//! instruction's result is NaN or infinite has NaN outputs (an infinite output stays so),
//! even where a later `max` or `sigmoid` would have turned it into a number.

pub use super::builtins::exp;
use super::builtins::{self, map1, map2};
use super::{EvalError, explain};
use crate::error::Result;
use crate::expr::{Builtin, Func, Id, Node, Store, Sym};
use rug::{Assign, Float, Rational};
use std::collections::HashMap;

/// Points per block in batch evaluation: large enough that each instruction's loop runs
/// long vectorised, small enough that a block's registers stay in the second-level cache
/// (the n = 100 chain's gradient uses about 200 registers: 200 KB). Measured: 16, 32, 64,
/// 128 and 256 points take 75, 54, 50, 45 and 46 ms for its 10^5-point batch on one core.
pub const BLOCK: usize = 128;

/// Batches with fewer points than this run on one thread.
const PARALLEL_FROM: usize = 4 * BLOCK * 16;

/// What an instruction computes. `a` and `b` are registers; `k` an index into the constants.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Copy,
    Add,
    Sub,
    Mul,
    Div,
    /// `a + q`
    AddQ,
    /// `q - a`
    RSubQ,
    /// `a · q` (f64: `a·p/q`, as the f64 backend)
    MulQ,
    /// `a + q·b`
    AxpyQ,
    Neg,
    Recip,
    Square,
    Sqrt,
    /// `a ^ n` for an integer `n` (the constant's numerator)
    PowI,
    /// `a ^ q` for a non-integer rational `q`
    PowQ,
    /// `a ^ b`
    Pow,
    /// A built-in of one or two arguments.
    Call(Builtin),
}

#[derive(Clone, Copy, Debug)]
struct Instr {
    op: Op,
    dst: u32,
    a: u32,
    b: u32,
    k: u32,
}

/// An exact constant of an instruction, with its f64 forms.
#[derive(Clone, Debug)]
struct Konst {
    q: Rational,
    /// The value, correctly rounded.
    f: f64,
    /// Numerator and denominator, for `p·x/q`.
    p: f64,
    d: f64,
}

impl Konst {
    fn new(q: Rational) -> Self {
        let f = super::nearest_f64(&q);
        let p = super::backends::integer_f64(q.numer());
        let d = super::backends::integer_f64(q.denom());
        Konst { q, f, p, d }
    }
}

/// A compiled function of some inputs: one or more outputs.
#[derive(Clone, Debug)]
pub struct Tape {
    inputs: Vec<Sym>,
    code: Vec<Instr>,
    konsts: Vec<Konst>,
    /// Registers that hold numbers, filled once per evaluator.
    numbers: Vec<(u32, Rational)>,
    outputs: Vec<u32>,
    registers: usize,
}

impl std::fmt::Display for Tape {
    /// One instruction a line: `r7 = mul r3 r5`, `r9 = sigmoid r7`, `r4 = mulq r2 [-2]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (r, q) in &self.numbers {
            writeln!(f, "r{r} = {q}")?;
        }
        for ins in &self.code {
            let name = match ins.op {
                Op::Call(b) => b.name().to_string(),
                op => format!("{op:?}").to_lowercase(),
            };
            write!(f, "r{} = {name} r{}", ins.dst, ins.a)?;
            let binary = matches!(
                ins.op,
                Op::Add
                    | Op::Sub
                    | Op::Mul
                    | Op::Div
                    | Op::AxpyQ
                    | Op::Pow
                    | Op::Call(Builtin::Max | Builtin::Min)
            );
            if binary {
                write!(f, " r{}", ins.b)?;
            }
            if let Some(k) = self.konsts.get(ins.k as usize)
                && matches!(
                    ins.op,
                    Op::AddQ | Op::RSubQ | Op::MulQ | Op::AxpyQ | Op::PowI | Op::PowQ
                )
            {
                write!(f, " [{}]", k.q)?;
            }
            writeln!(f)?;
        }
        let outs: Vec<String> = self.outputs.iter().map(|r| format!("r{r}")).collect();
        writeln!(f, "out {}", outs.join(" "))
    }
}

/// Register allocation while compiling.
struct Regs {
    free: Vec<u32>,
    count: u32,
}

impl Regs {
    fn alloc(&mut self) -> u32 {
        self.free.pop().unwrap_or_else(|| {
            self.count += 1;
            self.count - 1
        })
    }
    fn release(&mut self, r: u32) {
        self.free.push(r);
    }
}

/// A value during compilation: a register, and whether this node owns it (a temporary) or
/// borrows it (a child's value, freed by the child's own last use).
#[derive(Clone, Copy)]
struct Val {
    reg: u32,
    owned: bool,
}

struct Compiler {
    code: Vec<Instr>,
    konsts: Vec<Konst>,
    konst_at: HashMap<Rational, u32>,
    regs: Regs,
}

impl Compiler {
    /// A compiler whose first `inputs` registers hold the inputs.
    fn new(inputs: usize) -> Compiler {
        Compiler {
            code: Vec::new(),
            konsts: Vec::new(),
            konst_at: HashMap::new(),
            regs: Regs {
                free: Vec::new(),
                count: inputs as u32,
            },
        }
    }

    fn konst(&mut self, q: &Rational) -> u32 {
        if let Some(&k) = self.konst_at.get(q) {
            return k;
        }
        let k = self.konsts.len() as u32;
        self.konsts.push(Konst::new(q.clone()));
        self.konst_at.insert(q.clone(), k);
        k
    }

    fn emit(&mut self, op: Op, a: Val, b: Option<Val>, k: u32) -> Val {
        // The destination is allocated before the operands are freed, so it is never one of
        // them: batch evaluation borrows the operands' blocks while writing the destination's.
        let dst = self.regs.alloc();
        self.code.push(Instr {
            op,
            dst,
            a: a.reg,
            b: b.map_or(0, |b| b.reg),
            k,
        });
        self.drop(a);
        if let Some(b) = b
            && (b.reg != a.reg || !a.owned)
        {
            self.drop(b);
        }
        Val {
            reg: dst,
            owned: true,
        }
    }

    fn drop(&mut self, v: Val) {
        if v.owned {
            self.regs.release(v.reg);
        }
    }

    /// `x^n` for a positive integer `n`.
    fn powi(&mut self, x: Val, n: &rug::Integer) -> Val {
        match n.to_u32() {
            Some(1) => x,
            Some(2) => self.emit(Op::Square, x, None, 0),
            Some(3) => {
                let sq = self.emit(Op::Square, Val { owned: false, ..x }, None, 0);
                self.emit(Op::Mul, sq, Some(x), 0)
            }
            Some(4) => {
                let sq = self.emit(Op::Square, x, None, 0);
                self.emit(Op::Square, sq, None, 0)
            }
            _ => {
                let k = self.konst(&Rational::from(n));
                self.emit(Op::PowI, x, None, k)
            }
        }
    }

    /// `x^e` for a positive rational `e`.
    fn power(&mut self, x: Val, e: &Rational) -> Val {
        if *e.denom() == 1 {
            self.powi(x, e.numer())
        } else if *e == Rational::from((1, 2)) {
            self.emit(Op::Sqrt, x, None, 0)
        } else {
            let k = self.konst(e);
            self.emit(Op::PowQ, x, None, k)
        }
    }

    /// The product of values, left to right.
    fn product(&mut self, vals: Vec<Val>) -> Option<Val> {
        vals.into_iter()
            .reduce(|acc, v| self.emit(Op::Mul, acc, Some(v), 0))
    }

    fn node(&mut self, node: &Node, reg: &impl Fn(Id) -> u32) -> Val {
        let child = |id: Id| Val {
            reg: reg(id),
            owned: false,
        };
        match node {
            Node::Num(_) | Node::Sym(_) => unreachable!("leaves live in fixed registers"),
            Node::Add(s) => {
                if let [(t, k)] = s.terms()
                    && *k == -1
                {
                    // `1 - σ`: one instruction rather than a negation and an addition.
                    let q = self.konst(s.constant());
                    return self.emit(Op::RSubQ, child(*t), None, q);
                }
                // Terms left to right, the constant last, as the f64 backend.
                let mut acc: Option<Val> = None;
                for (t, k) in s.terms() {
                    let v = child(*t);
                    acc = Some(match acc {
                        None if *k == 1 => v,
                        None if *k == -1 => self.emit(Op::Neg, v, None, 0),
                        None => {
                            let kk = self.konst(k);
                            self.emit(Op::MulQ, v, None, kk)
                        }
                        Some(a) if *k == 1 => self.emit(Op::Add, a, Some(v), 0),
                        Some(a) if *k == -1 => self.emit(Op::Sub, a, Some(v), 0),
                        Some(a) => {
                            let kk = self.konst(k);
                            self.emit(Op::AxpyQ, a, Some(v), kk)
                        }
                    });
                }
                let acc = acc.expect("a sum has terms");
                if *s.constant() != 0 {
                    let k = self.konst(s.constant());
                    self.emit(Op::AddQ, acc, None, k)
                } else {
                    acc
                }
            }
            Node::Mul(p) => {
                let mut num = Vec::new();
                let mut den = Vec::new();
                for (b, e) in p.factors() {
                    let e_abs = Rational::from(e.abs_ref());
                    let v = self.power(child(*b), &e_abs);
                    if *e > 0 { num.push(v) } else { den.push(v) }
                }
                let num = self.product(num);
                let den = self.product(den);
                let value = match (num, den) {
                    (Some(n), None) => n,
                    (Some(n), Some(d)) => self.emit(Op::Div, n, Some(d), 0),
                    (None, Some(d)) => self.emit(Op::Recip, d, None, 0),
                    (None, None) => unreachable!("a product has factors"),
                };
                let c = p.coeff();
                if *c == 1 {
                    value
                } else if *c == -1 {
                    self.emit(Op::Neg, value, None, 0)
                } else {
                    let k = self.konst(c);
                    self.emit(Op::MulQ, value, None, k)
                }
            }
            Node::Pow(b, e) => self.emit(Op::Pow, child(*b), Some(child(*e)), 0),
            Node::Call(Func::Builtin(f), args) => {
                let b = args.get(1).map(|a| child(*a));
                let mut acc = self.emit(Op::Call(*f), child(args[0]), b, 0);
                // max(a, b, c) as max(max(a, b), c)
                for a in args.iter().skip(2) {
                    acc = self.emit(Op::Call(*f), acc, Some(child(*a)), 0);
                }
                acc
            }
            Node::Call(Func::Abstract(_), _) => unreachable!("checked before"),
        }
    }
}

/// An operation of a tape built by hand ([`Builder`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum BuildOp {
    Add,
    Sub,
    Mul,
    Div,
    Neg,
    Sqrt,
    Pow,
    Call(Builtin),
}

/// Builds a tape one operation at a time, in the order given: for input evaluated as
/// written ([`super::written`]), where the DAG's canonical order must not apply. Every value
/// keeps its register (no reuse), since a name may be used any number of times later.
pub(crate) struct Builder {
    c: Compiler,
    numbers: Vec<(u32, Rational)>,
    number_at: HashMap<Rational, u32>,
    inputs: Vec<Sym>,
}

impl Builder {
    /// A tape of these inputs: input `i` is register `i`.
    pub(crate) fn new(inputs: &[Sym]) -> Builder {
        Builder {
            c: Compiler::new(inputs.len()),
            numbers: Vec::new(),
            number_at: HashMap::new(),
            inputs: inputs.to_vec(),
        }
    }

    /// The register of an exact number (rounded once per arithmetic when evaluated).
    pub(crate) fn number(&mut self, q: Rational) -> u32 {
        if let Some(&r) = self.number_at.get(&q) {
            return r;
        }
        let r = self.c.regs.alloc();
        self.numbers.push((r, q.clone()));
        self.number_at.insert(q, r);
        r
    }

    /// Emits `op a` or `op a b`; returns the result's register.
    pub(crate) fn op(&mut self, op: BuildOp, a: u32, b: Option<u32>) -> u32 {
        let val = |reg| Val { reg, owned: false };
        let op = match op {
            BuildOp::Add => Op::Add,
            BuildOp::Sub => Op::Sub,
            BuildOp::Mul => Op::Mul,
            BuildOp::Div => Op::Div,
            BuildOp::Neg => Op::Neg,
            BuildOp::Sqrt => Op::Sqrt,
            BuildOp::Pow => Op::Pow,
            BuildOp::Call(f) => Op::Call(f),
        };
        self.c.emit(op, val(a), b.map(val), 0).reg
    }

    /// The tape with these outputs.
    pub(crate) fn finish(self, outputs: Vec<u32>) -> Tape {
        Tape {
            inputs: self.inputs,
            code: self.c.code,
            konsts: self.c.konsts,
            numbers: self.numbers,
            outputs,
            registers: self.c.regs.count as usize,
        }
    }
}

impl Tape {
    /// Compiles `roots` as functions of `inputs` (in that order). Every free variable of the
    /// roots must be an input, and no unspecified function may be called.
    pub fn compile(store: &Store, roots: &[Id], inputs: &[Sym]) -> Result<Tape> {
        let order = store.reachable(roots);
        let index = crate::expr::Positions::new(&order);
        let pos = |id: Id| index.get(&order, id).expect("reachable");
        // Where each node's value is used for the last time (roots: never).
        let mut last_use = vec![0usize; order.len()];
        for (p, &id) in order.iter().enumerate() {
            store.node(id).for_each_child(|c| last_use[pos(c)] = p);
        }
        for r in roots {
            last_use[pos(*r)] = usize::MAX;
        }
        let input_at: HashMap<Sym, u32> = inputs
            .iter()
            .enumerate()
            .map(|(i, s)| (*s, i as u32))
            .collect();
        let mut c = Compiler::new(inputs.len());
        let mut reg = vec![u32::MAX; order.len()];
        let mut numbers = Vec::new();
        // Leaves first: inputs and numbers have registers of their own for the whole run.
        for (p, &id) in order.iter().enumerate() {
            match store.node(id) {
                Node::Sym(s) => match input_at.get(s) {
                    Some(&r) => reg[p] = r,
                    None => return Err(explain(store, EvalError::Unbound(*s))),
                },
                Node::Num(q) => {
                    reg[p] = c.regs.alloc();
                    numbers.push((reg[p], q.clone()));
                }
                Node::Call(Func::Abstract(_), _) => {
                    return Err(explain(store, EvalError::Abstract(id)));
                }
                _ => {}
            }
        }
        for (p, &id) in order.iter().enumerate() {
            let node = store.node(id);
            if matches!(node, Node::Num(_) | Node::Sym(_)) {
                continue;
            }
            let v = c.node(node, &|child: Id| reg[pos(child)]);
            let v = if v.owned {
                v
            } else {
                // A node whose value is a child's (cannot happen with canonical nodes, but
                // the register must be the node's own).
                c.emit(Op::Copy, v, None, 0)
            };
            reg[p] = v.reg;
            node.for_each_child(|ch| {
                let q = pos(ch);
                let fixed = matches!(store.node(ch), Node::Num(_) | Node::Sym(_));
                if last_use[q] == p && !fixed && reg[q] != u32::MAX {
                    c.regs.release(reg[q]);
                    // Released once even when the child appears twice (x^x, max(x, x)).
                    reg[q] = u32::MAX;
                }
            });
            if last_use[p] < p {
                // Unused: cannot happen for reachable nodes other than roots.
                c.regs.release(v.reg);
            }
        }
        let outputs = roots.iter().map(|r| reg[pos(*r)]).collect();
        Ok(Tape {
            inputs: inputs.to_vec(),
            code: c.code,
            konsts: c.konsts,
            numbers,
            outputs,
            registers: c.regs.count as usize,
        })
    }

    /// The function `root` and its gradient by `wrt`, compiled together: outputs are the
    /// value, then `∂root/∂w` for each `w` in `wrt`. Inputs are `root`'s free variables in
    /// natural order (`w2` before `w10`), then any of `wrt` not among them.
    pub fn gradient(store: &mut Store, root: Id, wrt: &[Sym]) -> Result<Tape> {
        let grads = crate::diff::gradient(store, root, wrt);
        let mut inputs = store.free_symbols(root);
        for w in wrt {
            if !inputs.contains(w) {
                inputs.push(*w);
            }
        }
        let mut roots = vec![root];
        roots.extend(grads);
        Tape::compile(store, &roots, &inputs)
    }

    /// The input variables, in the order evaluation takes their values.
    pub fn inputs(&self) -> &[Sym] {
        &self.inputs
    }

    /// The number of outputs.
    pub fn outputs(&self) -> usize {
        self.outputs.len()
    }

    /// Keeps only the first `n` outputs: the others are still computed (a batch row where any
    /// instruction is not finite is undefined), but not returned.
    pub fn keep_outputs(&mut self, n: usize) {
        self.outputs.truncate(n);
    }

    /// The number of instructions.
    pub fn len(&self) -> usize {
        self.code.len()
    }

    /// Whether the tape has no instructions (every output is an input or a number).
    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// The number of registers an evaluation uses.
    pub fn registers(&self) -> usize {
        self.registers
    }

    /// A reusable f64 evaluator of one point at a time.
    pub fn f64_eval(&self) -> F64Eval<'_> {
        F64Eval {
            tape: self,
            regs: self.f64_registers::<1>(),
        }
    }

    /// A reusable f64 evaluator of one point at a time that computes as NumPy does (the C
    /// library's `exp`) and stops at the first result that is not finite.
    pub fn checked_f64_eval(&self) -> CheckedF64Eval<'_> {
        CheckedF64Eval {
            tape: self,
            regs: self.f64_registers::<1>(),
            lanes: Vec::new(),
        }
    }

    /// Evaluates at one point in f64 (values in the order of [`Tape::inputs`]).
    pub fn eval_f64(&self, point: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.outputs()];
        self.f64_eval().eval(point, &mut out);
        out
    }

    /// A reusable MPFR evaluator at `prec` bits.
    pub fn mpfr_eval(&self, prec: u32) -> MpfrEval<'_> {
        let mut regs: Vec<Float> = (0..self.registers).map(|_| Float::new(prec)).collect();
        for (r, q) in &self.numbers {
            regs[*r as usize].assign(q);
        }
        let exponents = self
            .konsts
            .iter()
            .map(|k| Float::with_val(prec + 64, &k.q))
            .collect();
        MpfrEval {
            tape: self,
            regs,
            exponents,
            scratch: Float::new(prec),
            guard: Float::new(prec + 32),
            prec,
        }
    }

    /// Evaluates many points in f64. `columns[i]` holds the values of input `i` (in the
    /// order of [`Tape::inputs`]), one per point; the result holds one column per output.
    /// Large batches are split over all cores. A point where some instruction's result is
    /// NaN or infinite (a domain error anywhere, even one a later `max` or `sigmoid` hides)
    /// has NaN for every output that is not itself infinite.
    pub fn eval_batch(&self, columns: &[&[f64]]) -> Vec<Vec<f64>> {
        let n = columns.first().map_or(0, |c| c.len());
        let mut out: Vec<Vec<f64>> = (0..self.outputs()).map(|_| vec![0.0; n]).collect();
        let mut slices: Vec<&mut [f64]> = out.iter_mut().map(|c| &mut c[..]).collect();
        self.eval_batch_into(columns, &mut slices);
        out
    }

    /// [`Tape::eval_batch`] into columns the caller owns: `out[j]` receives output `j`.
    pub fn eval_batch_into(&self, columns: &[&[f64]], out: &mut [&mut [f64]]) {
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
        self.eval_batch_on(columns, out, threads);
    }

    /// [`Tape::eval_batch_into`] on at most `threads` threads (for measurements).
    pub fn eval_batch_on(&self, columns: &[&[f64]], out: &mut [&mut [f64]], threads: usize) {
        assert_eq!(columns.len(), self.inputs.len(), "one column per input");
        assert_eq!(out.len(), self.outputs(), "one column per output");
        let n = out.first().map_or(0, |c| c.len());
        assert!(
            columns.iter().all(|c| c.len() == n) && out.iter().all(|c| c.len() == n),
            "columns of equal length"
        );
        if n < PARALLEL_FROM || threads <= 1 {
            self.run_range(columns, 0, out);
            return;
        }
        // Equal shares of whole blocks: every point costs the same, so no work stealing is
        // needed and scoped threads do it without a thread-pool dependency.
        let per = n.div_ceil(threads).div_ceil(BLOCK) * BLOCK;
        let mut shares: Vec<Vec<&mut [f64]>> = (0..threads).map(|_| Vec::new()).collect();
        for col in out.iter_mut() {
            let mut rest: &mut [f64] = col;
            for share in shares.iter_mut() {
                let (mine, later) = rest.split_at_mut(per.min(rest.len()));
                share.push(mine);
                rest = later;
            }
        }
        std::thread::scope(|scope| {
            for (t, mut share) in shares.into_iter().enumerate() {
                if share.first().is_some_and(|s| !s.is_empty()) {
                    scope.spawn(move || self.run_range(columns, t * per, &mut share));
                }
            }
        });
    }

    /// Evaluates the points `start..start + out[0].len()` of `columns` into `out`.
    fn run_range(&self, columns: &[&[f64]], start: usize, out: &mut [&mut [f64]]) {
        let n = out.first().map_or(0, |o| o.len());
        let mut regs = self.f64_registers::<BLOCK>();
        let mut at = 0;
        while at < n {
            let len = BLOCK.min(n - at);
            let from = start + at;
            if len == BLOCK {
                // Whole blocks copy with a known size: moves, not calls of memcpy.
                for (i, col) in columns.iter().enumerate() {
                    regs[i] = col[from..from + BLOCK].try_into().expect("a block");
                }
            } else {
                for (i, col) in columns.iter().enumerate() {
                    regs[i][..len].copy_from_slice(&col[from..from + len]);
                    // Idle lanes of the last block compute on copies of a real point.
                    regs[i][len..].fill(col[from]);
                }
            }
            // A point whose input is NaN or infinite is undefined too.
            let mut undefined = [0.0; BLOCK];
            for reg in &regs[..self.inputs.len()] {
                for (u, x) in undefined.iter_mut().zip(reg) {
                    *u += x * 0.0;
                }
            }
            self.run_block(&mut regs, &mut undefined);
            if undefined.iter().any(|u| u.is_nan()) {
                // Its outputs are NaN (an infinite one stays infinite: an overflow).
                for &r in &self.outputs {
                    for (x, u) in regs[r as usize].iter_mut().zip(&undefined) {
                        if u.is_nan() && x.is_finite() {
                            *x = f64::NAN;
                        }
                    }
                }
            }
            for (o, &r) in out.iter_mut().zip(&self.outputs) {
                if len == BLOCK {
                    let dst: &mut [f64; BLOCK] =
                        (&mut o[at..at + BLOCK]).try_into().expect("a block");
                    *dst = regs[r as usize];
                } else {
                    o[at..at + len].copy_from_slice(&regs[r as usize][..len]);
                }
            }
            at += len;
        }
    }

    fn f64_registers<const B: usize>(&self) -> Vec<[f64; B]> {
        let mut regs = vec![[0.0; B]; self.registers];
        for (r, q) in &self.numbers {
            regs[*r as usize] = [super::nearest_f64(q); B];
        }
        regs
    }

    /// Runs the tape over one block of [`BLOCK`] points, with the widest vector instructions
    /// the processor has: the same operations in the same order, so the same results.
    /// `undefined[l]` becomes NaN if any instruction's result is NaN or infinite at point `l`.
    fn run_block(&self, regs: &mut [[f64; BLOCK]], undefined: &mut [f64; BLOCK]) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the processor has AVX-512F, as just checked.
                return unsafe { self.run_avx512(regs, undefined) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor has AVX2, as just checked.
                return unsafe { self.run_avx2(regs, undefined) };
            }
        }
        self.run_flagged::<BLOCK>(regs, undefined)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn run_avx512(&self, regs: &mut [[f64; BLOCK]], undefined: &mut [f64; BLOCK]) {
        self.run_flagged::<BLOCK>(regs, undefined)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn run_avx2(&self, regs: &mut [[f64; BLOCK]], undefined: &mut [f64; BLOCK]) {
        self.run_flagged::<BLOCK>(regs, undefined)
    }

    /// [`Tape::run`], and `undefined[l]` made NaN when an instruction's result at point `l` is
    /// NaN or infinite: `x·0` is NaN exactly then, and a NaN sum stays NaN. Built-ins such as
    /// `max(log(x), 0)` or `sigmoid(log(x))` turn an undefined argument into a number, so
    /// that NaN does not always reach the outputs (issue 9).
    #[inline(always)]
    fn run_flagged<const B: usize>(&self, regs: &mut [[f64; B]], undefined: &mut [f64; B]) {
        for ins in &self.code {
            self.step::<B, false>(ins, regs);
            for (u, x) in undefined.iter_mut().zip(&regs[ins.dst as usize]) {
                *u += x * 0.0;
            }
        }
    }

    /// Runs the tape over one block of `B` points. Inlined into each of the callers above,
    /// so that each is compiled for its own instruction set.
    #[inline(always)]
    fn run<const B: usize>(&self, regs: &mut [[f64; B]]) {
        for ins in &self.code {
            self.step::<B, false>(ins, regs);
        }
    }

    /// Runs one instruction over a block. With `LIBM`, `exp` and `sigmoid` use the C
    /// library's `exp` (as NumPy and the [`super::F64`] backend) instead of the vectorising one.
    #[inline(always)]
    fn step<const B: usize, const LIBM: bool>(&self, ins: &Instr, regs: &mut [[f64; B]]) {
        {
            let k = self.konsts.get(ins.k as usize);
            let (d, a, b) = (ins.dst as usize, ins.a as usize, ins.b as usize);
            let (dst, x, y) = split(regs, d, a, b);
            match ins.op {
                Op::Copy => *dst = *x,
                Op::Add => map2(dst, x, y, |x, y| x + y),
                Op::Sub => map2(dst, x, y, |x, y| x - y),
                Op::Mul => map2(dst, x, y, |x, y| x * y),
                Op::Div => map2(dst, x, y, |x, y| x / y),
                Op::AddQ => {
                    let q = k.unwrap().f;
                    map1(dst, x, |x| x + q)
                }
                Op::RSubQ => {
                    let q = k.unwrap().f;
                    map1(dst, x, |x| q - x)
                }
                Op::MulQ => {
                    let k = k.unwrap();
                    let (p, q) = (k.p, k.d);
                    if q == 1.0 {
                        map1(dst, x, |x| p * x)
                    } else {
                        map1(dst, x, |x| p * x / q)
                    }
                }
                Op::AxpyQ => {
                    let q = k.unwrap().f;
                    map2(dst, x, y, |x, y| x + q * y)
                }
                Op::Neg => map1(dst, x, |x| -x),
                Op::Recip => map1(dst, x, |x| 1.0 / x),
                Op::Square => map1(dst, x, |x| x * x),
                Op::Sqrt => map1(dst, x, f64::sqrt),
                Op::PowI => {
                    let n = k.unwrap().q.numer().to_i32().unwrap_or(i32::MAX);
                    map1(dst, x, |x| x.powi(n))
                }
                Op::PowQ => {
                    let e = k.unwrap().f;
                    map1(dst, x, |x| x.powf(e))
                }
                Op::Pow => map2(dst, x, y, f64::powf),
                Op::Call(f) => builtins::f64_block::<B, LIBM>(f, dst, x, y),
            }
        }
    }
}

/// The destination block and the two operand blocks (the destination is never an operand).
fn split<const B: usize>(
    regs: &mut [[f64; B]],
    d: usize,
    a: usize,
    b: usize,
) -> (&mut [f64; B], &[f64; B], &[f64; B]) {
    let (lo, hi) = regs.split_at_mut(d);
    let (dst, rest) = hi.split_first_mut().expect("destination in range");
    let (lo, rest): (&[[f64; B]], &[[f64; B]]) = (lo, rest);
    let get = |r: usize| if r < d { &lo[r] } else { &rest[r - d - 1] };
    // `b` is 0 for one-operand instructions: any block will do, but not the destination.
    let b = if b == d { a } else { b };
    (dst, get(a), get(b))
}

/// Evaluates a [`Tape`] at one point at a time in f64, reusing its registers.
pub struct F64Eval<'t> {
    tape: &'t Tape,
    regs: Vec<[f64; 1]>,
}

/// Evaluates a [`Tape`] at one point at a time in f64 as NumPy would: the C library's `exp`,
/// and the first instruction whose result is not finite reported.
pub struct CheckedF64Eval<'t> {
    tape: &'t Tape,
    regs: Vec<[f64; 1]>,
    lanes: Vec<[f64; LANES]>,
}

/// Points per run of [`CheckedF64Eval::eval_lanes`]: enough to spread each instruction's
/// dispatch over several points, few enough that a deep program's registers stay in cache.
pub const LANES: usize = 8;

impl CheckedF64Eval<'_> {
    /// Evaluates at `point` (values in the order of [`Tape::inputs`]): the outputs, or the
    /// index of the first instruction whose result is NaN or infinite (a domain error or an
    /// overflow, which NumPy would carry on with).
    pub fn eval(&mut self, point: &[f64]) -> std::result::Result<Vec<f64>, (usize, f64)> {
        assert_eq!(point.len(), self.tape.inputs.len(), "one value per input");
        for (r, v) in self.regs.iter_mut().zip(point) {
            *r = [*v];
        }
        for (i, ins) in self.tape.code.iter().enumerate() {
            self.tape.step::<1, true>(ins, &mut self.regs);
            let v = self.regs[ins.dst as usize][0];
            if !v.is_finite() {
                return Err((i, v));
            }
        }
        Ok(self
            .tape
            .outputs
            .iter()
            .map(|&r| self.regs[r as usize][0])
            .collect())
    }

    /// Evaluates up to [`LANES`] points at once, input `k` of point `l` being `input(l, k)`:
    /// the same operations as [`CheckedF64Eval::eval`], so the same results. The first output
    /// of each point, or `None` if some instruction's result was not finite for it (evaluate
    /// that point alone to know where).
    pub fn eval_lanes(
        &mut self,
        points: usize,
        input: impl Fn(usize, usize) -> f64,
    ) -> Vec<Option<f64>> {
        assert!((1..=LANES).contains(&points), "1 to LANES points");
        if self.lanes.is_empty() {
            self.lanes = self.tape.f64_registers::<LANES>();
        }
        for k in 0..self.tape.inputs.len() {
            // Idle lanes compute on copies of the first point.
            self.lanes[k] = std::array::from_fn(|l| input(if l < points { l } else { 0 }, k));
        }
        let mut bad = [false; LANES];
        for ins in &self.tape.code {
            self.tape.step::<LANES, true>(ins, &mut self.lanes);
            let v = &self.lanes[ins.dst as usize];
            if !v.iter().all(|x| x.is_finite()) {
                for (b, x) in bad.iter_mut().zip(v) {
                    *b |= !x.is_finite();
                }
            }
        }
        let out = &self.lanes[self.tape.outputs[0] as usize];
        (0..points).map(|l| (!bad[l]).then_some(out[l])).collect()
    }
}

impl F64Eval<'_> {
    /// Evaluates at `point` (values in the order of [`Tape::inputs`]) into `out` (one value
    /// per output).
    pub fn eval(&mut self, point: &[f64], out: &mut [f64]) {
        assert_eq!(point.len(), self.tape.inputs.len(), "one value per input");
        for (r, v) in self.regs.iter_mut().zip(point) {
            *r = [*v];
        }
        self.tape.run::<1>(&mut self.regs);
        for (o, &r) in out.iter_mut().zip(&self.tape.outputs) {
            *o = self.regs[r as usize][0];
        }
    }
}

/// Evaluates a [`Tape`] at one point at a time in MPFR, each operation correctly rounded,
/// reusing its allocated `Float`s.
pub struct MpfrEval<'t> {
    tape: &'t Tape,
    regs: Vec<Float>,
    /// The constants as exponents of non-integer powers, with 64 guard bits.
    exponents: Vec<Float>,
    scratch: Float,
    /// For `sigmoid`, computed with 32 guard bits and rounded once.
    guard: Float,
    prec: u32,
}

impl MpfrEval<'_> {
    /// Evaluates at `point` (values in the order of [`Tape::inputs`]) into `out` (one value
    /// per output; each is assigned, so its precision is kept).
    pub fn eval(&mut self, point: &[Float], out: &mut [Float]) {
        assert_eq!(point.len(), self.tape.inputs.len(), "one value per input");
        for (r, v) in self.regs.iter_mut().zip(point) {
            r.assign(v);
        }
        self.run();
        for (o, &r) in out.iter_mut().zip(&self.tape.outputs) {
            o.assign(&self.regs[r as usize]);
        }
    }

    /// Evaluates at an exact point, returning new floats of the evaluator's precision.
    pub fn eval_exact(&mut self, point: &[Rational]) -> Vec<Float> {
        let point: Vec<Float> = point
            .iter()
            .map(|q| Float::with_val(self.prec, q))
            .collect();
        let mut out = vec![Float::new(self.prec); self.tape.outputs()];
        self.eval(&point, &mut out);
        out
    }

    /// Evaluates at `point` into `out` like [`MpfrEval::eval`], or returns the index of the
    /// first instruction whose result is NaN or infinite, and whether it is NaN.
    pub fn eval_checked(
        &mut self,
        point: &[Float],
        out: &mut [Float],
    ) -> std::result::Result<(), (usize, bool)> {
        assert_eq!(point.len(), self.tape.inputs.len(), "one value per input");
        for (r, v) in self.regs.iter_mut().zip(point) {
            r.assign(v);
        }
        for (i, ins) in self.tape.code.iter().enumerate() {
            self.step(ins);
            let v = &self.regs[ins.dst as usize];
            if !v.is_finite() {
                return Err((i, v.is_nan()));
            }
        }
        for (o, &r) in out.iter_mut().zip(&self.tape.outputs) {
            o.assign(&self.regs[r as usize]);
        }
        Ok(())
    }

    fn run(&mut self) {
        let tape = self.tape;
        for ins in &tape.code {
            self.step(ins);
        }
    }

    fn step(&mut self, ins: &Instr) {
        let tape = self.tape;
        {
            let k = ins.k as usize;
            let q = tape.konsts.get(k).map(|k| &k.q);
            let (d, a, b) = (ins.dst as usize, ins.a as usize, ins.b as usize);
            // Compute into the scratch float, then swap it in: no operand is borrowed while
            // the destination is written, and no float is allocated.
            let (x, y) = (&self.regs[a], &self.regs[b]);
            let s = &mut self.scratch;
            match ins.op {
                Op::Copy => s.assign(x),
                Op::Add => s.assign(x + y),
                Op::Sub => s.assign(x - y),
                Op::Mul => s.assign(x * y),
                Op::Div => s.assign(x / y),
                Op::AddQ => s.assign(x + q.unwrap()),
                Op::RSubQ => s.assign(q.unwrap() - x),
                Op::MulQ => s.assign(x * q.unwrap()),
                Op::AxpyQ => {
                    s.assign(y * q.unwrap());
                    *s += x;
                }
                Op::Neg => s.assign(-x),
                Op::Recip => s.assign(x.recip_ref()),
                Op::Square => s.assign(x.square_ref()),
                Op::Sqrt => s.assign(x.sqrt_ref()),
                Op::PowI => {
                    let n = q.unwrap().numer().to_i32().unwrap_or(i32::MAX);
                    s.assign(rug::ops::Pow::pow(x, n));
                }
                Op::PowQ => s.assign(rug::ops::Pow::pow(x, &self.exponents[k])),
                Op::Pow => s.assign(rug::ops::Pow::pow(x, y)),
                Op::Call(f) => builtins::mpfr_into(f, s, x, y, &mut self.guard),
            }
            std::mem::swap(&mut self.regs[d], &mut self.scratch);
        }
    }
}
