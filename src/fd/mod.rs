//! Finite differences: gradient checks, step-size sweeps, and what they teach.
//!
//! A finite-difference quotient approximates ∂f/∂w_i by evaluating `f` at points shifted along
//! one coordinate. Two errors compete: the *truncation* error of the formula (O(Δ) for the
//! one-sided schemes, O(Δ²) for the central one), which falls as Δ shrinks, and the *rounding*
//! error of the arithmetic (about ε·|f|/Δ), which grows as Δ shrinks. On log-log axes the total
//! error is a V; in exact arithmetic there is no rounding error and no V.
//!
//! The shifted points are formed the way NumPy forms them, so that f64 results reproduce a
//! NumPy notebook bit for bit (given the same `exp`): `w` is the point rounded to the nearest
//! double, `δ` the step rounded to the nearest double, the shifted point is `w + e_i*δ`
//! computed in doubles, and the quotients are
//!
//! * forward: `(f(w+δe_i) - f(w)) / δ`
//! * backward: `(f(w) - f(w-δe_i)) / δ`
//! * central: `(f(w+δe_i) - f(w-δe_i)) / (2δ)`
//!
//! In MPFR the same happens at the chosen precision (`δ` rounded to it, every operation
//! correctly rounded); in exact arithmetic `δ` is the exact rational (1e-4 = 1/10000) and the
//! quotients are exact.
//!
//! Errors against the symbolic gradient are computed so that they are the true errors of the
//! quotients: exactly when both are exact, else in MPFR at [`ERROR_PREC`] bits or more (an f64
//! quotient is converted exactly before subtracting).
//!
//! One job per file: `args` reads what the user asks for (arithmetics, schemes, steps);
//! `objective` is what is differentiated; `quotients` computes the difference quotients,
//! one loop for every arithmetic; `check` a gradient check at one step and the work
//! estimate; `sweep` the error norms over many steps; `prose` the sentences for students.

mod args;
mod check;
mod objective;
mod prose;
mod quotients;
mod shaped;
mod sweep;

pub use args::{Arith, Scheme, parse_ariths, parse_deltas, parse_schemes, parse_step};
pub use check::{
    FdEntry, FdParam, FdReport, MAX_SECONDS, check_gradient, check_work, estimate_seconds,
};
pub use objective::{Objective, ProgramObjective};
pub use prose::{fmt_delta, sweep_sentences};
pub use shaped::{MAX_FD_ENTRIES, ShapedFdEntry, fd_shaped};
pub use sweep::{ErrorNorm, Measure, Series, StepEstimate, SweepReport, sweep};

/// The largest MPFR precision (bits) a finite-difference experiment accepts.
pub const MAX_MPFR_PREC: u32 = 65_536;

/// The most steps a sweep accepts.
pub const MAX_STEPS: usize = 10_000;

/// The least precision (bits) in which errors of inexact quotients are computed.
pub const ERROR_PREC: u32 = 256;
