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
//!
//! `compile.rs` makes a tape (from a DAG, or by hand with `Builder`); `f64.rs` runs it in
//! f64 (batches, and one point at a time), `mpfr.rs` in MPFR.

mod compile;
mod f64;
mod mpfr;

pub(crate) use compile::{BuildOp, Builder};
pub use f64::{CheckedF64Eval, F64Eval, LANES};
pub use mpfr::MpfrEval;

pub use super::builtins::exp;
use crate::expr::{Builtin, Sym};
use rug::Rational;

/// Points per block in batch evaluation: large enough that each instruction's loop runs
/// long vectorised, small enough that a block's registers stay in the second-level cache
/// (the n = 100 chain's gradient uses about 200 registers: 200 KB). Measured: 16, 32, 64,
/// 128 and 256 points take 75, 54, 50, 45 and 46 ms for its 10^5-point batch on one core.
pub const BLOCK: usize = 128;

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

impl Tape {
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
}
