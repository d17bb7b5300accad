//! chainrule: a symbolic differentiation engine and a teaching aid for back-propagation.
//!
//! Source text is parsed ([`syntax`]) into an AST with spans, lowered into a hash-consed
//! expression DAG ([`expr::Store`]), differentiated ([`diff`]), evaluated exactly, in MPFR
//! or in f64 ([`eval`]), and printed as text, LaTeX or JSON ([`print`]).
//!
//! ```
//! use chainrule::{expr::Store, syntax::read_expr, diff::diff, print::text};
//! let mut store = Store::new();
//! let (e, _warnings) = read_expr(&mut store, "(y - w*x)^2", "<expr>").unwrap();
//! let w = store.intern("w");
//! let d = diff(&mut store, e, w);
//! assert_eq!(text(&store, d), "-2*x*(y - w*x)");
//! ```
#![warn(missing_docs)]

pub mod check;
pub mod cli;
pub mod diff;
pub mod error;
pub mod eval;
pub mod expr;
pub mod fd;
pub mod files;
pub mod network;
pub mod plot;
pub mod print;
pub mod report;
pub mod simplify;
pub mod syntax;
pub mod worker;

pub use error::{Error, Result};
pub use eval::Value;
