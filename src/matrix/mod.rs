//! Vectors and matrices: a shaped expression DAG ([`MatStore`]), its simplifying constructors,
//! gradients and Jacobians ([`gradient`], [`jacobian`]), and its printing in textbook notation.
//!
//! Every value is a matrix (a scalar is 1×1, a vector a column). A symbolic matrix expression
//! never depends on the sizes: ∇_W vᵀσ(Wx) = (v ⊙ σ'(Wx))xᵀ is one small DAG whether W is
//! 3×2 or 784×256. Numbers are computed by [`crate::eval::matrix`]; the scalar engine stays
//! the oracle (tests expand matrix expressions entry by entry at small sizes).

mod build;
mod diff;
mod print;
mod scalarise;
mod shape;
mod store;
mod substitute;

pub use build::Built;
pub use diff::{MatDiffError, gradient, jacobian, map_derivative};
pub use print::{latex, text};
pub use scalarise::{Entries, MAX_EXPANDED_DET, ScalariseError, entry_name, scalarise};
pub use shape::{Dim, Shape, ShapeError};
pub use store::{Fun, MId, MatStore, Node, VecFn};
