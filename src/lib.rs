//! chainrule: a symbolic differentiation engine and a teaching aid for back-propagation.
//!
//! Source text is parsed ([`syntax`]) into an AST with spans, lowered into a hash-consed
//! expression DAG ([`expr::Store`]), differentiated ([`diff`]), evaluated exactly, in MPFR
//! or in f64 ([`eval`]), printed as text or LaTeX ([`print`](mod@print)), and reported as
//! text, LaTeX or JSON ([`report`]).
//!
//! ```
//! use chainrule::{expr::Store, syntax::read_expr, diff::diff, print::text};
//! let mut store = Store::new();
//! let (e, _warnings) = read_expr(&mut store, "(y - w*x)^2", "<expr>").unwrap();
//! let w = store.intern("w");
//! let d = diff(&mut store, e, w);
//! assert_eq!(text(&store, d), "-2*x*(y - w*x)");
//! ```
//!
//! # Layers
//!
//! Dependencies run one way, from the core outwards. A module may use the modules of the
//! layers listed before its own, never one of its own layer or of a later one
//! (`tests/layers.rs` checks every `crate::` path in `src/` against this list, which it
//! reads from here):
//!
//! 1. `error`, `span`, `parallel`: the error type, places in source text, and two pieces of
//!    work run at the same time; they know nothing else.
//! 2. `expr`: the store, canonical construction (with the named call rules), the function
//!    table with each built-in's exact values, domain conditions.
//! 3. `print`: text and LaTeX of a DAG. Printers only read the store, so they come right
//!    after it, and every later layer may name a subexpression in a message or a report.
//! 4. `diff`, `simplify`: symbolic derivatives, built through the store's constructors; and
//!    shorter equal forms of what is printed, by named rules (rational-function
//!    normalisation among them), bounded by size. Neither uses the other.
//! 5. `matrix`: vectors and matrices: the shaped DAG, its simplifying constructors,
//!    gradients and Jacobians by the matrix adjoint rules, and its textbook printing.
//! 6. `syntax`: parsing and lowering into the stores (`d(…)` in programs calls `diff`).
//! 7. `eval`: the evaluators (exact, MPFR, f64, the compiled tape, the input as written).
//! 8. `points`: points files, CSV in and out, evaluated on the tape.
//! 9. `network`: programs, their forward and backward passes.
//! 10. `check`: checking a claimed derivative of a program.
//! 11. `fd`: finite differences and step-size sweeps.
//! 12. `report`, `plot`: what the passes, checks and sweeps look like as text, LaTeX, JSON,
//!     SVG and CSV.
//! 13. `sheet`: solution sheets, one HTML page or LaTeX document gathering a program's
//!     reports and pictures (its MathML made from the reports' LaTeX).
//! 14. `files`, `worker`: what a front end needs around a command: writing the files it
//!     makes without losing the ones it reads, and running it on a thread of its own with a
//!     panic turned into an internal error. Kept up here so that no library layer writes
//!     files or spawns its worker on its own.
//! 15. `cli`: the command line, the one front end so far. The library returns typed values
//!     and errors ([`error::Request`]); only a front end words them with its flags.
#![warn(missing_docs)]

pub mod check;
pub mod cli;
pub mod diff;
pub mod error;
pub mod eval;
pub mod expr;
pub mod fd;
pub mod files;
pub mod matrix;
pub mod network;
pub mod parallel;
pub mod plot;
pub mod points;
pub mod print;
pub mod report;
pub mod sheet;
pub mod simplify;
pub mod span;
pub mod syntax;
pub mod worker;

pub use error::{Error, Result};
pub use eval::Value;
