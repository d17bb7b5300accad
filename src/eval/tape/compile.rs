//! Compiling a DAG into a tape, with registers reused after a value's last use; and
//! building a tape by hand, one operation at a time.

use super::{Instr, Konst, Op, Tape};
use crate::error::Result;
use crate::eval::{EvalError, describe_error};
use crate::expr::{Builtin, Func, Id, Node, Store, Sym};
use rug::Rational;
use std::collections::HashMap;

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
/// written ([`crate::eval::written`]), where the DAG's canonical order must not apply. Every value
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
                    None => return Err(describe_error(store, EvalError::Unbound(*s))),
                },
                Node::Num(q) => {
                    reg[p] = c.regs.alloc();
                    numbers.push((reg[p], q.to_rational()));
                }
                Node::Call(Func::Abstract(_), _) => {
                    return Err(describe_error(store, EvalError::Abstract(id)));
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
}
