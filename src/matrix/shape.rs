//! Shapes: scalars, column vectors and matrices, with dimensions that are numbers or symbols.
//!
//! Every value is a matrix: a scalar is 1×1 and a vector is a column, n×1. A dimension is a
//! number or a symbol (`n`, `d3`). Two dimensions agree when they are the same number or the
//! same symbol: a symbol never stands for 1, so `xᵀy` with `x: n` is a scalar and an `n`-vector
//! is never mistaken for one.

use std::fmt;

/// One dimension of a shape.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    /// A known size.
    Known(u64),
    /// A size named by a symbol (`n`, `d3`), the same wherever the symbol is.
    Sym(String),
}

impl Dim {
    /// The dimension 1.
    pub const ONE: Dim = Dim::Known(1);

    /// Whether this is the number 1.
    pub fn is_one(&self) -> bool {
        *self == Dim::Known(1)
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Known(n) => write!(f, "{n}"),
            Dim::Sym(s) => write!(f, "{s}"),
        }
    }
}

/// A shape: rows × columns.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shape {
    /// Number of rows.
    pub rows: Dim,
    /// Number of columns.
    pub cols: Dim,
}

impl Shape {
    /// The shape of a scalar, 1×1.
    pub fn scalar() -> Shape {
        Shape {
            rows: Dim::ONE,
            cols: Dim::ONE,
        }
    }

    /// A column vector of `n` entries.
    pub fn vector(n: Dim) -> Shape {
        Shape {
            rows: n,
            cols: Dim::ONE,
        }
    }

    /// A matrix of `rows` × `cols`.
    pub fn matrix(rows: Dim, cols: Dim) -> Shape {
        Shape { rows, cols }
    }

    /// Whether this is 1×1.
    pub fn is_scalar(&self) -> bool {
        self.rows.is_one() && self.cols.is_one()
    }

    /// Whether this is a column vector of more than one entry (or of a symbolic length).
    pub fn is_vector(&self) -> bool {
        self.cols.is_one() && !self.rows.is_one()
    }

    /// Whether this is a row vector (1 × n, n not 1).
    pub fn is_row(&self) -> bool {
        self.rows.is_one() && !self.cols.is_one()
    }

    /// Whether rows and columns are the same.
    pub fn is_square(&self) -> bool {
        self.rows == self.cols
    }

    /// The transposed shape.
    pub fn transposed(&self) -> Shape {
        Shape {
            rows: self.cols.clone(),
            cols: self.rows.clone(),
        }
    }

    /// The sizes, when both are numbers.
    pub fn known(&self) -> Option<(usize, usize)> {
        match (&self.rows, &self.cols) {
            (Dim::Known(r), Dim::Known(c)) => Some((*r as usize, *c as usize)),
            _ => None,
        }
    }

    /// The JSON shape: `[]` for a scalar, `[n]` for a column vector, `[r, c]` otherwise.
    pub fn json_dims(&self) -> Vec<String> {
        if self.is_scalar() {
            vec![]
        } else if self.cols.is_one() {
            vec![self.rows.to_string()]
        } else {
            vec![self.rows.to_string(), self.cols.to_string()]
        }
    }

    /// The shape in words for messages: `a scalar`, `a 3-vector`, `3×4`.
    pub fn describe(&self) -> String {
        if self.is_scalar() {
            "a scalar".to_string()
        } else if self.is_vector() {
            format!("a vector of {} entries", self.rows)
        } else if self.is_row() {
            format!("a row vector of {} entries", self.cols)
        } else {
            format!("a {self} matrix")
        }
    }
}

impl fmt::Display for Shape {
    /// `1×1`, `3×1`, `m×n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}×{}", self.rows, self.cols)
    }
}

/// Why two shapes do not fit an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeError {
    /// The message, naming both shapes (`A*x: A is 4×3 but x has 2 rows`).
    pub message: String,
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_vectors_and_rows() {
        let n = Dim::Sym("n".into());
        assert!(Shape::scalar().is_scalar());
        assert!(Shape::vector(n.clone()).is_vector());
        assert!(!Shape::vector(Dim::ONE).is_vector());
        assert!(Shape::vector(n.clone()).transposed().is_row());
        assert_eq!(Shape::matrix(Dim::Known(4), n).to_string(), "4×n");
        assert_eq!(Shape::vector(Dim::Known(3)).json_dims(), vec!["3"]);
        assert!(Shape::scalar().json_dims().is_empty());
    }
}
