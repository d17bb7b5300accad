//! Dense vectors and matrices of a backend's numbers, and their operations.
//!
//! [`Dense`] is a row-major matrix; a column vector is n×1 and a scalar 1×1. Every operation
//! is a method of [`DenseBackend`] with a default written with the scalar [`Backend`]'s own
//! `sum`, `product`, `pow`, `call` and `sign`, so exactness, domain errors and MPFR precision
//! are those of scalar evaluation entry by entry: [`Exact`](super::Exact) and
//! [`Mpfr`](super::Mpfr) use the defaults as they are. [`F64`](super::F64) overrides the heavy
//! ones (matrix products through `ndarray`'s gemm with a scalar factor folded in, element-wise
//! loops without per-entry dispatch, written into an operand the caller hands over as
//! [`Cow::Owned`] instead of a new matrix; `f64.rs`).
//!
//! This layer knows nothing of expressions: shapes are checked by the caller, and a mismatch
//! reaching here is a [`Fail::Domain`] naming both shapes, never a panic.
//!
//! ```
//! use chainrule::eval::{Dense, DenseBackend, Exact, ExactVal, F64};
//! use rug::Rational;
//! let q = |n: i32| ExactVal::Q(Rational::from(n));
//! let a = Dense::from_rows(vec![vec![q(2), q(1)], vec![q(1), q(1)]]).unwrap();
//! let exact = Exact::new(1 << 20);
//! assert_eq!(exact.det(&a).unwrap(), q(1));
//! let inv = exact.inverse(&a).unwrap();
//! assert_eq!(inv.data(), &[q(1), q(-1), q(-1), q(2)]);
//!
//! let x = Dense::column(vec![1.0, -2.0]);
//! let err = F64.apply(chainrule::expr::Builtin::Log, &[&x]).unwrap_err();
//! assert_eq!(format!("{err:?}"), r#"Domain("log of a non-positive number at entry 2")"#);
//! ```

mod f64;
#[cfg(test)]
mod tests;

use super::{Backend, Fail};
use crate::expr::Builtin;
use rug::Rational;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

/// A dense matrix, row-major. A column vector is n×1, a scalar 1×1.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense<V> {
    rows: usize,
    cols: usize,
    data: Vec<V>,
}

impl<V> Dense<V> {
    /// A `rows`×`cols` matrix from its entries in row-major order.
    ///
    /// # Panics
    /// If `data` does not have `rows·cols` entries (a bug of the caller).
    pub fn new(rows: usize, cols: usize, data: Vec<V>) -> Self {
        assert_eq!(
            data.len(),
            rows * cols,
            "{rows}×{cols} needs {} entries",
            rows * cols
        );
        Dense { rows, cols, data }
    }

    /// A matrix from its rows; `None` when they are not all of one length, or there are none.
    pub fn from_rows(rows: Vec<Vec<V>>) -> Option<Self> {
        let cols = rows.first()?.len();
        if cols == 0 || rows.iter().any(|r| r.len() != cols) {
            return None;
        }
        let n = rows.len();
        Some(Dense::new(n, cols, rows.into_iter().flatten().collect()))
    }

    /// A column vector (n×1).
    pub fn column(data: Vec<V>) -> Self {
        Dense::new(data.len(), 1, data)
    }

    /// A 1×1 matrix.
    pub fn scalar(v: V) -> Self {
        Dense::new(1, 1, vec![v])
    }

    /// A matrix whose entry (i, j) (from 0) is `f(i, j)`.
    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> V) -> Self {
        let data = (0..rows * cols).map(|k| f(k / cols, k % cols)).collect();
        Dense { rows, cols, data }
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// (rows, columns).
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// Whether this is 1×1.
    pub fn is_scalar(&self) -> bool {
        self.shape() == (1, 1)
    }

    /// Whether this is a column vector or a row vector.
    pub fn is_vector(&self) -> bool {
        self.rows == 1 || self.cols == 1
    }

    /// Entry (i, j), from 0.
    ///
    /// # Panics
    /// Out of bounds.
    pub fn get(&self, i: usize, j: usize) -> &V {
        assert!(
            i < self.rows && j < self.cols,
            "({i}, {j}) outside a {} matrix",
            ShapeOf(self.shape())
        );
        &self.data[i * self.cols + j]
    }

    /// The single entry of a 1×1 matrix.
    pub fn as_scalar(&self) -> Option<&V> {
        self.is_scalar().then(|| &self.data[0])
    }

    /// The entries in row-major order, to change in place.
    pub fn data_mut(&mut self) -> &mut [V] {
        &mut self.data
    }

    /// The entries, row-major.
    pub fn data(&self) -> &[V] {
        &self.data
    }

    /// The entries, row-major.
    pub fn into_data(self) -> Vec<V> {
        self.data
    }

    /// The rows, each a slice.
    pub fn row_slices(&self) -> impl Iterator<Item = &[V]> {
        self.data.chunks(self.cols.max(1))
    }

    /// `f` of every entry.
    pub fn map<W>(&self, f: impl FnMut(&V) -> W) -> Dense<W> {
        Dense {
            rows: self.rows,
            cols: self.cols,
            data: self.data.iter().map(f).collect(),
        }
    }

    /// `f` of every entry, the first failure naming its entry (see [`entry_fail`]).
    pub fn try_map<W>(&self, mut f: impl FnMut(&V) -> Result<W, Fail>) -> Result<Dense<W>, Fail> {
        let data = self
            .data
            .iter()
            .enumerate()
            .map(|(k, v)| f(v).map_err(|e| entry_fail(e, self.shape(), k)))
            .collect::<Result<_, _>>()?;
        Ok(Dense {
            rows: self.rows,
            cols: self.cols,
            data,
        })
    }

    /// The transpose.
    pub fn transposed(&self) -> Dense<V>
    where
        V: Clone,
    {
        Dense::from_fn(self.cols, self.rows, |i, j| self.get(j, i).clone())
    }
}

/// A shape as people write it: `4×3`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ShapeOf(pub (usize, usize));

impl fmt::Display for ShapeOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}×{}", self.0.0, self.0.1)
    }
}

impl fmt::Debug for ShapeOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The entry at row-major offset `k` of a matrix of `shape`, as people number it (from 1):
/// `entry 3` of a column vector, `entry (2, 1)` of a matrix; `None` for a 1×1.
pub fn entry_name(shape: (usize, usize), k: usize) -> Option<String> {
    let (i, j) = (k / shape.1.max(1) + 1, k % shape.1.max(1) + 1);
    match shape {
        (1, 1) => None,
        (_, 1) => Some(format!("entry {i}")),
        _ => Some(format!("entry ({i}, {j})")),
    }
}

/// A failure at row-major offset `k` of a result of `shape`: a domain error names the entry
/// (`log of a non-positive number at entry (2, 1)`); the others need no place.
pub fn entry_fail(f: Fail, shape: (usize, usize), k: usize) -> Fail {
    match (f, entry_name(shape, k)) {
        (Fail::Domain(what), Some(entry)) => Fail::Domain(format!("{what} at {entry}")),
        (f, _) => f,
    }
}

fn shape_error(what: &str, a: (usize, usize), b: (usize, usize)) -> Fail {
    Fail::Domain(format!("{what}: {} and {}", ShapeOf(a), ShapeOf(b)))
}

fn square(what: &str, a: (usize, usize)) -> Result<usize, Fail> {
    if a.0 == a.1 {
        Ok(a.0)
    } else {
        Err(Fail::Domain(format!(
            "{what} of a non-square {} matrix",
            ShapeOf(a)
        )))
    }
}

fn vector(what: &str, a: (usize, usize)) -> Result<(), Fail> {
    if a.0 == 1 || a.1 == 1 {
        Ok(())
    } else {
        Err(Fail::Domain(format!(
            "{what} of a {} matrix, not a vector",
            ShapeOf(a)
        )))
    }
}

/// The shape of an element-wise result of `a` and `b`: equal shapes, or a 1×1 on either side
/// applied to every entry of the other.
pub fn broadcast_shape(a: (usize, usize), b: (usize, usize)) -> Result<(usize, usize), Fail> {
    if a == b || b == (1, 1) {
        Ok(a)
    } else if a == (1, 1) {
        Ok(b)
    } else {
        Err(shape_error(
            "element-wise operands of different shapes",
            a,
            b,
        ))
    }
}

/// `f` of the entries of `a` and `b` pairwise, a 1×1 broadcast; a failure names its entry.
pub fn zip_with<V, W>(
    a: &Dense<V>,
    b: &Dense<V>,
    mut f: impl FnMut(&V, &V) -> Result<W, Fail>,
) -> Result<Dense<W>, Fail> {
    let shape = broadcast_shape(a.shape(), b.shape())?;
    let n = shape.0 * shape.1;
    let pick = |m: &Dense<V>, k: usize| if m.data.len() == 1 { 0 } else { k };
    let mut data = Vec::with_capacity(n);
    for k in 0..n {
        let v = f(&a.data[pick(a, k)], &b.data[pick(b, k)]).map_err(|e| entry_fail(e, shape, k))?;
        data.push(v);
    }
    Ok(Dense::new(shape.0, shape.1, data))
}

/// How Gaussian elimination picks its pivot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pivoting {
    /// The first non-zero entry of the column (exact arithmetic, where any non-zero is exact).
    FirstNonZero,
    /// The entry of largest magnitude (partial pivoting, for floating point).
    LargestMagnitude,
}

/// The largest order of a matrix eliminated exactly: beyond it, the `n³` operations on
/// rationals whose size grows with `n` take too long, and [`Fail::TooLarge`] sends the caller
/// to MPFR as for any exact value too large.
pub const EXACT_MAX_ORDER: usize = 40;

/// Vector and matrix operations over a scalar [`Backend`]. Every method has a default written
/// with the backend's scalar operations, entry by entry; a backend overrides what it can do
/// faster. Element-wise failures name their entry ([`entry_fail`]); shape mismatches are
/// [`Fail::Domain`] naming both shapes.
pub trait DenseBackend: Backend {
    /// How [`det`](Self::det), [`inverse`](Self::inverse) and [`logdet`](Self::logdet) pick
    /// pivots.
    fn pivoting(&self) -> Pivoting {
        Pivoting::LargestMagnitude
    }

    /// `op(a)·op(b)`, where `op` transposes its operand when the flag says so (without
    /// building the transpose where the backend can).
    fn matmul_t(
        &self,
        a: &Dense<Self::V>,
        transpose_a: bool,
        b: &Dense<Self::V>,
        transpose_b: bool,
    ) -> Result<Dense<Self::V>, Fail> {
        generic_matmul(
            self,
            &transposed_if(a, transpose_a),
            &transposed_if(b, transpose_b),
        )
    }

    /// Whether [`scaled_matmul_t`](Self::scaled_matmul_t) folds its factor into the product
    /// (so that an evaluation computes `k·(AB)` as one call rather than two).
    fn folds_scale_into_product(&self) -> bool {
        false
    }

    /// `k·op(a)·op(b)`: [`matmul_t`](Self::matmul_t) then [`scale`](Self::scale).
    fn scaled_matmul_t(
        &self,
        k: &Self::V,
        a: &Dense<Self::V>,
        transpose_a: bool,
        b: &Dense<Self::V>,
        transpose_b: bool,
    ) -> Result<Dense<Self::V>, Fail> {
        let p = self.matmul_t(a, transpose_a, b, transpose_b)?;
        self.scale_reusing(k, Cow::Owned(p))
    }

    /// The matrix product `a·b`.
    fn matmul(&self, a: &Dense<Self::V>, b: &Dense<Self::V>) -> Result<Dense<Self::V>, Fail> {
        self.matmul_t(a, false, b, false)
    }

    /// The outer product `a·bᵀ` of two column vectors (any `a`, `b` with as many columns).
    fn outer(&self, a: &Dense<Self::V>, b: &Dense<Self::V>) -> Result<Dense<Self::V>, Fail> {
        self.matmul_t(a, false, b, true)
    }

    /// The transpose.
    fn transpose(&self, a: &Dense<Self::V>) -> Result<Dense<Self::V>, Fail> {
        Ok(a.transposed())
    }

    /// `a + b`, a 1×1 operand added to every entry of the other.
    fn add(&self, a: &Dense<Self::V>, b: &Dense<Self::V>) -> Result<Dense<Self::V>, Fail> {
        let (zero, one) = (Rational::new(), Rational::from(1));
        zip_with(a, b, |x, y| self.sum(&zero, &[(x, &one), (y, &one)]))
    }

    /// `a - b`, a 1×1 operand broadcast.
    fn sub(&self, a: &Dense<Self::V>, b: &Dense<Self::V>) -> Result<Dense<Self::V>, Fail> {
        let (zero, one, minus) = (Rational::new(), Rational::from(1), Rational::from(-1));
        zip_with(a, b, |x, y| self.sum(&zero, &[(x, &one), (y, &minus)]))
    }

    /// `k·a`.
    fn scale(&self, k: &Self::V, a: &Dense<Self::V>) -> Result<Dense<Self::V>, Fail> {
        let one = Rational::from(1);
        a.try_map(|x| self.product(&one, &[(k, &one), (x, &one)]))
    }

    /// The element-wise product `a .* b` (`⊙`), a 1×1 operand broadcast.
    fn hadamard(&self, a: &Dense<Self::V>, b: &Dense<Self::V>) -> Result<Dense<Self::V>, Fail> {
        let one = Rational::from(1);
        zip_with(a, b, |x, y| self.product(&one, &[(x, &one), (y, &one)]))
    }

    /// The element-wise quotient `a ./ b`, a 1×1 operand broadcast on either side.
    fn divide(&self, a: &Dense<Self::V>, b: &Dense<Self::V>) -> Result<Dense<Self::V>, Fail> {
        let (one, minus) = (Rational::from(1), Rational::from(-1));
        zip_with(a, b, |x, y| self.product(&one, &[(x, &one), (y, &minus)]))
    }

    /// [`scale`](Self::scale), free to write the result into `a`'s storage when the caller
    /// hands it over ([`Cow::Owned`]): the default computes a new matrix.
    fn scale_reusing(
        &self,
        k: &Self::V,
        a: Cow<'_, Dense<Self::V>>,
    ) -> Result<Dense<Self::V>, Fail> {
        self.scale(k, &a)
    }

    /// [`add`](Self::add), free to write the result into an operand handed over.
    fn add_reusing(
        &self,
        a: Cow<'_, Dense<Self::V>>,
        b: Cow<'_, Dense<Self::V>>,
    ) -> Result<Dense<Self::V>, Fail> {
        self.add(&a, &b)
    }

    /// [`hadamard`](Self::hadamard), free to write the result into an operand handed over.
    fn hadamard_reusing(
        &self,
        a: Cow<'_, Dense<Self::V>>,
        b: Cow<'_, Dense<Self::V>>,
    ) -> Result<Dense<Self::V>, Fail> {
        self.hadamard(&a, &b)
    }

    /// [`apply`](Self::apply) of a one-argument built-in, free to write the result into `a`
    /// when it is handed over.
    fn apply_reusing(
        &self,
        f: Builtin,
        a: Cow<'_, Dense<Self::V>>,
    ) -> Result<Dense<Self::V>, Fail> {
        self.apply(f, &[&a])
    }

    /// `σ ⊙ (1 − σ)` given `σ` (the sigmoid's derivative from its values), as
    /// [`sub`](Self::sub) and [`hadamard`](Self::hadamard) compute it.
    fn sigmoid_derivative(&self, sigma: &Dense<Self::V>) -> Result<Dense<Self::V>, Fail> {
        let one = Dense::scalar(self.num(&Rational::from(1))?);
        self.hadamard(sigma, &self.sub(&one, sigma)?)
    }

    /// `a .^ e` for a constant exponent: each entry as the scalar `x^e` (exact for integer
    /// exponents in exact arithmetic, `x·x` for `e = 2` in f64).
    fn power_const(&self, a: &Dense<Self::V>, e: &Rational) -> Result<Dense<Self::V>, Fail> {
        let one = Rational::from(1);
        a.try_map(|x| self.product(&one, &[(x, e)]))
    }

    /// `a .^ e` for a computed exponent (a 1×1 `e` applies to every entry; or one per entry).
    fn power(&self, a: &Dense<Self::V>, e: &Dense<Self::V>) -> Result<Dense<Self::V>, Fail> {
        zip_with(a, e, |x, y| self.pow(x, y))
    }

    /// Built-in `f` entry by entry (`exp(x)`; `max(x, y)` pairwise, 1×1 arguments broadcast).
    /// A domain error names its entry: `log of a non-positive number at entry (2, 1)`.
    fn apply(&self, f: Builtin, args: &[&Dense<Self::V>]) -> Result<Dense<Self::V>, Fail> {
        generic_apply(self, f, args)
    }

    /// The sum of the entries.
    fn sum_entries(&self, a: &Dense<Self::V>) -> Result<Self::V, Fail> {
        let one = Rational::from(1);
        let terms: Vec<(&Self::V, &Rational)> = a.data.iter().map(|v| (v, &one)).collect();
        self.sum(&Rational::new(), &terms)
    }

    /// The trace of a square matrix.
    fn trace(&self, a: &Dense<Self::V>) -> Result<Self::V, Fail> {
        let n = square("trace", a.shape())?;
        let one = Rational::from(1);
        let terms: Vec<(&Self::V, &Rational)> = (0..n).map(|i| (a.get(i, i), &one)).collect();
        self.sum(&Rational::new(), &terms)
    }

    /// The determinant, by Gaussian elimination ([`pivoting`](Self::pivoting)); 0 for a
    /// singular matrix.
    fn det(&self, a: &Dense<Self::V>) -> Result<Self::V, Fail> {
        let n = square("det", a.shape())?;
        match eliminate(self, a.clone(), n)? {
            Some((pivots, sign)) => {
                let one = Rational::from(1);
                let factors: Vec<(&Self::V, &Rational)> =
                    pivots.iter().map(|p| (p, &one)).collect();
                self.product(&Rational::from(sign), &factors)
            }
            None => self.num(&Rational::new()),
        }
    }

    /// `log(det a)`; a domain error unless `det a > 0`.
    fn logdet(&self, a: &Dense<Self::V>) -> Result<Self::V, Fail> {
        let d = self.det(a)?;
        match self.sign(&d) {
            Some(Ordering::Greater) => self.call(Builtin::Log, &[&d]),
            Some(Ordering::Equal) => Err(Fail::Domain("logdet of a singular matrix".into())),
            Some(Ordering::Less) => Err(Fail::Domain(format!(
                "logdet of a matrix with a negative determinant ({})",
                self.show(&d)
            ))),
            None => Err(Fail::NotExact),
        }
    }

    /// The inverse, by Gauss–Jordan elimination ([`pivoting`](Self::pivoting)); a domain
    /// error for a singular matrix (a pivot exactly 0).
    fn inverse(&self, a: &Dense<Self::V>) -> Result<Dense<Self::V>, Fail> {
        let n = square("inverse", a.shape())?;
        generic_inverse(self, a, n)
    }

    /// The sum of the absolute values of the entries.
    fn norm1(&self, a: &Dense<Self::V>) -> Result<Self::V, Fail> {
        let abs = a.try_map(|x| self.call(Builtin::Abs, &[x]))?;
        self.sum_entries(&abs)
    }

    /// The Euclidean norm of a vector, the Frobenius norm of a matrix.
    fn norm2(&self, a: &Dense<Self::V>) -> Result<Self::V, Fail> {
        let (one, two) = (Rational::from(1), Rational::from(2));
        let terms: Vec<(&Self::V, &Rational)> = a.data.iter().map(|v| (v, &two)).collect();
        // Σ x² as one sum of squares, then its square root.
        let squares = terms
            .iter()
            .map(|t| self.product(&one, &[*t]))
            .collect::<Result<Vec<_>, _>>()?;
        let s = self.sum(
            &Rational::new(),
            &squares.iter().map(|v| (v, &one)).collect::<Vec<_>>(),
        )?;
        self.product(&one, &[(&s, &Rational::from((1, 2)))])
    }

    /// `diag`: a vector's entries on the diagonal of a square matrix, or a square matrix's
    /// diagonal as a column vector.
    fn diag(&self, a: &Dense<Self::V>) -> Result<Dense<Self::V>, Fail> {
        let (r, c) = a.shape();
        if r == c && r != 1 {
            return Ok(Dense::column((0..r).map(|i| a.get(i, i).clone()).collect()));
        }
        vector("diag", a.shape())?;
        let zero = self.num(&Rational::new())?;
        let n = a.data.len();
        Ok(Dense::from_fn(n, n, |i, j| {
            if i == j {
                a.data[i].clone()
            } else {
                zero.clone()
            }
        }))
    }

    /// The n×n identity.
    fn identity(&self, n: usize) -> Result<Dense<Self::V>, Fail> {
        let (zero, one) = (self.num(&Rational::new())?, self.num(&Rational::from(1))?);
        Ok(Dense::from_fn(n, n, |i, j| {
            if i == j { one.clone() } else { zero.clone() }
        }))
    }

    /// The r×c matrix of ones.
    fn ones(&self, rows: usize, cols: usize) -> Result<Dense<Self::V>, Fail> {
        let one = self.num(&Rational::from(1))?;
        Ok(Dense::from_fn(rows, cols, |_, _| one.clone()))
    }

    /// `softmax(x) = exp(x) / Σ exp(x)` of a vector, computed as `exp(x - max x) / Σ …` so that
    /// no exponential overflows. Not rational unless all entries are equal.
    fn softmax(&self, a: &Dense<Self::V>) -> Result<Dense<Self::V>, Fail> {
        vector("softmax", a.shape())?;
        let exps = shifted_exps(self, a)?.1;
        let total = self.sum_entries(&exps)?;
        self.divide(&exps, &Dense::scalar(total))
    }

    /// `log Σ exp(x)` of a vector, computed as `max x + log Σ exp(x - max x)`.
    fn logsumexp(&self, a: &Dense<Self::V>) -> Result<Self::V, Fail> {
        vector("logsumexp", a.shape())?;
        let (m, exps) = shifted_exps(self, a)?;
        let total = self.sum_entries(&exps)?;
        let log = self.call(Builtin::Log, &[&total])?;
        let one = Rational::from(1);
        self.sum(&Rational::new(), &[(&m, &one), (&log, &one)])
    }
}

impl DenseBackend for super::Exact {
    fn pivoting(&self) -> Pivoting {
        Pivoting::FirstNonZero
    }
}

impl DenseBackend for super::Mpfr {}

/// `m`, or its transpose when `transpose`.
fn transposed_if<V: Clone>(m: &Dense<V>, transpose: bool) -> Cow<'_, Dense<V>> {
    if transpose {
        Cow::Owned(m.transposed())
    } else {
        Cow::Borrowed(m)
    }
}

/// The matrix product entry by entry with the backend's `product` and `sum`.
fn generic_matmul<B: DenseBackend + ?Sized>(
    b: &B,
    x: &Dense<B::V>,
    y: &Dense<B::V>,
) -> Result<Dense<B::V>, Fail> {
    if x.cols != y.rows {
        return Err(shape_error(
            "matrix product of incompatible shapes",
            x.shape(),
            y.shape(),
        ));
    }
    let (zero, one) = (Rational::new(), Rational::from(1));
    let mut data = Vec::with_capacity(x.rows * y.cols);
    let mut products = Vec::with_capacity(x.cols);
    for i in 0..x.rows {
        for j in 0..y.cols {
            products.clear();
            for k in 0..x.cols {
                products.push(b.product(&one, &[(x.get(i, k), &one), (y.get(k, j), &one)])?);
            }
            let terms: Vec<(&B::V, &Rational)> = products.iter().map(|p| (p, &one)).collect();
            data.push(b.sum(&zero, &terms)?);
        }
    }
    Ok(Dense::new(x.rows, y.cols, data))
}

/// [`DenseBackend::apply`] entry by entry with the backend's `call`.
fn generic_apply<B: DenseBackend + ?Sized>(
    b: &B,
    f: Builtin,
    args: &[&Dense<B::V>],
) -> Result<Dense<B::V>, Fail> {
    let Some(first) = args.first() else {
        return Err(Fail::Domain(format!("{} of no arguments", f.name())));
    };
    let mut shape = first.shape();
    for a in &args[1..] {
        shape = broadcast_shape(shape, a.shape())?;
    }
    let n = shape.0 * shape.1;
    let mut data = Vec::with_capacity(n);
    for k in 0..n {
        let entry: Vec<&B::V> = args
            .iter()
            .map(|a| &a.data[if a.data.len() == 1 { 0 } else { k }])
            .collect();
        data.push(b.call(f, &entry).map_err(|e| entry_fail(e, shape, k))?);
    }
    Ok(Dense::new(shape.0, shape.1, data))
}

/// `max x` and `exp(x - max x)` entry by entry.
fn shifted_exps<B: DenseBackend + ?Sized>(
    b: &B,
    a: &Dense<B::V>,
) -> Result<(B::V, Dense<B::V>), Fail> {
    let m = if a.data.len() == 1 {
        a.data[0].clone()
    } else {
        b.call(Builtin::Max, &a.data.iter().collect::<Vec<_>>())?
    };
    let (zero, one, minus) = (Rational::new(), Rational::from(1), Rational::from(-1));
    let exps = a.try_map(|x| {
        let d = b.sum(&zero, &[(x, &one), (&m, &minus)])?;
        b.call(Builtin::Exp, &[&d])
    })?;
    Ok((m, exps))
}

/// Whether `x` is exactly 0 (`None` when its sign cannot be decided).
fn is_zero<B: Backend + ?Sized>(b: &B, x: &B::V) -> Option<bool> {
    b.sign(x).map(|s| s == Ordering::Equal)
}

/// The row (from `k`) of the pivot of column `k` of the n-row row-major `m` with rows of
/// `width` entries: `Ok(None)` when the column is exactly 0 from row `k` down.
fn pick_pivot<B: DenseBackend + ?Sized>(
    b: &B,
    m: &[B::V],
    (n, width): (usize, usize),
    k: usize,
) -> Result<Option<usize>, Fail> {
    let mut undecided = false;
    let mut best: Option<(usize, B::V)> = None;
    for r in k..n {
        let x = &m[r * width + k];
        match is_zero(b, x) {
            None => undecided = true,
            Some(true) => {}
            Some(false) => match b.pivoting() {
                Pivoting::FirstNonZero => return Ok(Some(r)),
                Pivoting::LargestMagnitude => {
                    let abs = b.call(Builtin::Abs, &[x])?;
                    let larger = match &best {
                        None => true,
                        Some((_, top)) => {
                            let d = b.sum(
                                &Rational::new(),
                                &[(&abs, &Rational::from(1)), (top, &Rational::from(-1))],
                            )?;
                            b.sign(&d) == Some(Ordering::Greater)
                        }
                    };
                    if larger {
                        best = Some((r, abs));
                    }
                }
            },
        }
    }
    match best {
        Some((r, _)) => Ok(Some(r)),
        None if undecided => Err(Fail::NotExact),
        None => Ok(None),
    }
}

fn check_exact_order<B: DenseBackend + ?Sized>(b: &B, n: usize) -> Result<(), Fail> {
    if b.pivoting() == Pivoting::FirstNonZero && n > EXACT_MAX_ORDER {
        Err(Fail::TooLarge)
    } else {
        Ok(())
    }
}

/// `row_i -= f · row_k` over columns `from..n` of the n-column row-major `m`.
fn eliminate_row<B: DenseBackend + ?Sized>(
    b: &B,
    m: &mut [B::V],
    cols: usize,
    (i, k): (usize, usize),
    f: &B::V,
    from: usize,
) -> Result<(), Fail> {
    let (zero, one, minus) = (Rational::new(), Rational::from(1), Rational::from(-1));
    for j in from..cols {
        let t = &m[k * cols + j];
        if is_zero(b, t) == Some(true) {
            continue;
        }
        let p = b.product(&one, &[(f, &one), (t, &one)])?;
        m[i * cols + j] = b.sum(&zero, &[(&m[i * cols + j], &one), (&p, &minus)])?;
    }
    Ok(())
}

/// The diagonal of an upper triangular form of a matrix and the sign of its row permutation.
type Triangular<V> = (Vec<V>, i32);

/// Gaussian elimination of the n×n `a` to upper triangular form: its pivots and the sign of
/// the row permutation, or `None` for a singular matrix.
fn eliminate<B: DenseBackend + ?Sized>(
    b: &B,
    a: Dense<B::V>,
    n: usize,
) -> Result<Option<Triangular<B::V>>, Fail> {
    check_exact_order(b, n)?;
    let mut m = a.data;
    let mut sign = 1;
    let mut pivots = Vec::with_capacity(n);
    let (one, minus) = (Rational::from(1), Rational::from(-1));
    for k in 0..n {
        let Some(p) = pick_pivot(b, &m, (n, n), k)? else {
            return Ok(None);
        };
        if p != k {
            for j in 0..n {
                m.swap(k * n + j, p * n + j);
            }
            sign = -sign;
        }
        for i in k + 1..n {
            if is_zero(b, &m[i * n + k]) == Some(true) {
                continue;
            }
            let f = b.product(&one, &[(&m[i * n + k], &one), (&m[k * n + k], &minus)])?;
            eliminate_row(b, &mut m, n, (i, k), &f, k + 1)?;
        }
        pivots.push(m[k * n + k].clone());
    }
    Ok(Some((pivots, sign)))
}

/// Gauss–Jordan elimination of `[a | I]`.
fn generic_inverse<B: DenseBackend + ?Sized>(
    b: &B,
    a: &Dense<B::V>,
    n: usize,
) -> Result<Dense<B::V>, Fail> {
    check_exact_order(b, n)?;
    let w = 2 * n;
    let (zero, one, minus) = (
        b.num(&Rational::new())?,
        Rational::from(1),
        Rational::from(-1),
    );
    let unit = b.num(&one)?;
    let mut m: Vec<B::V> = Vec::with_capacity(n * w);
    for i in 0..n {
        m.extend(a.data[i * n..(i + 1) * n].iter().cloned());
        m.extend((0..n).map(|j| if i == j { unit.clone() } else { zero.clone() }));
    }
    for k in 0..n {
        let Some(p) = pick_pivot(b, &m, (n, w), k)? else {
            return Err(Fail::Domain(format!(
                "singular matrix: no inverse (column {} has no non-zero pivot)",
                k + 1
            )));
        };
        if p != k {
            for j in 0..w {
                m.swap(k * w + j, p * w + j);
            }
        }
        let pivot = m[k * w + k].clone();
        for j in k..w {
            m[k * w + j] = b.product(&one, &[(&m[k * w + j], &one), (&pivot, &minus)])?;
        }
        for i in (0..n).filter(|i| *i != k) {
            let f = m[i * w + k].clone();
            if is_zero(b, &f) == Some(true) {
                continue;
            }
            eliminate_row(b, &mut m, w, (i, k), &f, k)?;
        }
    }
    let data = m
        .chunks(w)
        .flat_map(|row| row[n..].iter().cloned())
        .collect();
    Ok(Dense::new(n, n, data))
}
