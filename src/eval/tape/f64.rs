//! Running a tape in f64: batches of points a block at a time (vectorised, over all cores),
//! and one point at a time, plain or checked as NumPy computes.

use super::{BLOCK, Instr, Op, Tape};
use crate::eval::builtins::{self, map1, map2};

/// Batches with fewer points than this run on one thread.
const PARALLEL_FROM: usize = 4 * BLOCK * 16;

impl Tape {
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
            regs[*r as usize] = [crate::eval::nearest_f64(q); B];
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
    /// library's `exp` (as NumPy and the [`crate::eval::F64`] backend) instead of the vectorising one.
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
