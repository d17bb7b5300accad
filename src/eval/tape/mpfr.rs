//! Running a tape in MPFR, one point at a time, each operation correctly rounded.

use super::{Instr, Op, Tape};
use crate::eval::builtins;
use rug::{Assign, Float, Rational};

impl Tape {
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
