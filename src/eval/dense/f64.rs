//! [`F64`]'s dense operations: matrix products by `ndarray`'s gemm (`matrixmultiply`, on every
//! core, with its AVX-512 kernel where the processor has one: `Cargo.toml` turns that feature
//! on, which ndarray leaves off), and element-wise loops over plain slices, with the same domain checks and the same
//! results entry by entry as the scalar backend (`exp` and `sigmoid` through the C library,
//! as [`F64::call`](super::super::Backend::call)).

use super::{
    Dense, DenseBackend, broadcast_shape, eliminate, entry_fail, generic_apply, shape_error, square,
};
use crate::eval::builtins::{check_domain, f64_block};
use crate::eval::{F64, Fail};
use crate::expr::Builtin;
use ndarray::{ArrayView2, ArrayViewMut2};
use std::borrow::Cow;

/// The first entry that is not finite, as the scalar backend words it.
fn finite(m: Dense<f64>) -> Result<Dense<f64>, Fail> {
    // A count of entries whose exponent bits are all ones (∞ and NaN), without an early exit
    // or a float comparison, vectorises; the entry is searched only on failure.
    const EXP: u64 = 0x7ff0_0000_0000_0000;
    let all_finite = m.data.chunks(256).all(|c| {
        c.iter()
            .map(|x| u64::from(x.to_bits() & EXP == EXP))
            .sum::<u64>()
            == 0
    });
    if all_finite {
        return Ok(m);
    }
    let k = m
        .data
        .iter()
        .position(|x| !x.is_finite())
        .expect("a non-finite entry");
    let what = if m.data[k].is_nan() {
        "undefined result (NaN)"
    } else {
        "overflow"
    };
    Err(entry_fail(Fail::Domain(what.into()), m.shape(), k))
}

/// `op` of the entries of `a` and `b` pairwise, a 1×1 broadcast.
fn zip(a: &Dense<f64>, b: &Dense<f64>, op: impl Fn(f64, f64) -> f64) -> Result<Dense<f64>, Fail> {
    let (r, c) = broadcast_shape(a.shape(), b.shape())?;
    // Equal shapes, or one side 1×1 (broadcast_shape).
    let data = if a.data.len() == b.data.len() {
        a.data
            .iter()
            .zip(&b.data)
            .map(|(x, y)| op(*x, *y))
            .collect()
    } else if b.data.len() == 1 {
        a.data.iter().map(|x| op(*x, b.data[0])).collect()
    } else {
        b.data.iter().map(|y| op(a.data[0], *y)).collect()
    };
    finite(Dense::new(r, c, data))
}

/// [`zip`], written into an operand handed over that has the result's shape (in place:
/// no allocation), else into a new matrix.
fn zip_reusing(
    a: Cow<'_, Dense<f64>>,
    b: Cow<'_, Dense<f64>>,
    op: impl Fn(f64, f64) -> f64,
) -> Result<Dense<f64>, Fail> {
    let shape = broadcast_shape(a.shape(), b.shape())?;
    match (a, b) {
        (Cow::Owned(mut a), b) if a.shape() == shape => {
            if let [y] = b.data[..] {
                a.data.iter_mut().for_each(|x| *x = op(*x, y));
            } else {
                a.data
                    .iter_mut()
                    .zip(&b.data)
                    .for_each(|(x, y)| *x = op(*x, *y));
            }
            finite(a)
        }
        (a, Cow::Owned(mut b)) if b.shape() == shape => {
            if let [x] = a.data[..] {
                b.data.iter_mut().for_each(|y| *y = op(x, *y));
            } else {
                b.data
                    .iter_mut()
                    .zip(&a.data)
                    .for_each(|(y, x)| *y = op(*x, *y));
            }
            finite(b)
        }
        (a, b) => zip(&a, &b, op),
    }
}

fn view(m: &Dense<f64>, transpose: bool) -> ArrayView2<'_, f64> {
    let v = ArrayView2::from_shape(m.shape(), &m.data).expect("the shape fits the data");
    if transpose { v.reversed_axes() } else { v }
}

impl DenseBackend for F64 {
    fn matmul_t(
        &self,
        a: &Dense<f64>,
        transpose_a: bool,
        b: &Dense<f64>,
        transpose_b: bool,
    ) -> Result<Dense<f64>, Fail> {
        self.scaled_matmul_t(&1.0, a, transpose_a, b, transpose_b)
    }

    fn folds_scale_into_product(&self) -> bool {
        true
    }

    /// One gemm with `k` as its α: no second pass over the product.
    fn scaled_matmul_t(
        &self,
        k: &f64,
        a: &Dense<f64>,
        transpose_a: bool,
        b: &Dense<f64>,
        transpose_b: bool,
    ) -> Result<Dense<f64>, Fail> {
        let (a, b) = (view(a, transpose_a), view(b, transpose_b));
        if a.ncols() != b.nrows() {
            return Err(shape_error(
                "matrix product of incompatible shapes",
                a.dim(),
                b.dim(),
            ));
        }
        let (r, c) = (a.nrows(), b.ncols());
        let mut data = vec![0.0; r * c];
        let mut out =
            ArrayViewMut2::from_shape((r, c), &mut data).expect("the shape fits the data");
        ndarray::linalg::general_mat_mul(*k, &a, &b, 0.0, &mut out);
        finite(Dense::new(r, c, data))
    }

    fn add(&self, a: &Dense<f64>, b: &Dense<f64>) -> Result<Dense<f64>, Fail> {
        zip(a, b, |x, y| x + y)
    }

    fn sub(&self, a: &Dense<f64>, b: &Dense<f64>) -> Result<Dense<f64>, Fail> {
        zip(a, b, |x, y| x - y)
    }

    fn scale(&self, k: &f64, a: &Dense<f64>) -> Result<Dense<f64>, Fail> {
        finite(a.map(|x| k * x))
    }

    fn scale_reusing(&self, k: &f64, a: Cow<'_, Dense<f64>>) -> Result<Dense<f64>, Fail> {
        match a {
            Cow::Owned(mut a) => {
                a.data.iter_mut().for_each(|x| *x *= k);
                finite(a)
            }
            Cow::Borrowed(a) => self.scale(k, a),
        }
    }

    fn add_reusing(
        &self,
        a: Cow<'_, Dense<f64>>,
        b: Cow<'_, Dense<f64>>,
    ) -> Result<Dense<f64>, Fail> {
        zip_reusing(a, b, |x, y| x + y)
    }

    fn hadamard_reusing(
        &self,
        a: Cow<'_, Dense<f64>>,
        b: Cow<'_, Dense<f64>>,
    ) -> Result<Dense<f64>, Fail> {
        zip_reusing(a, b, |x, y| x * y)
    }

    fn sigmoid_derivative(&self, sigma: &Dense<f64>) -> Result<Dense<f64>, Fail> {
        // As `sub` then `hadamard` compute it, in one pass.
        finite(sigma.map(|s| s * (1.0 - s)))
    }

    fn hadamard(&self, a: &Dense<f64>, b: &Dense<f64>) -> Result<Dense<f64>, Fail> {
        zip(a, b, |x, y| x * y)
    }

    fn divide(&self, a: &Dense<f64>, b: &Dense<f64>) -> Result<Dense<f64>, Fail> {
        let shape = broadcast_shape(a.shape(), b.shape())?;
        if let Some(k) = b.data.iter().position(|y| *y == 0.0) {
            let k = if b.data.len() == 1 { 0 } else { k };
            return Err(entry_fail(
                Fail::Domain("division by zero".into()),
                shape,
                k,
            ));
        }
        zip(a, b, |x, y| x / y)
    }

    fn apply(&self, f: Builtin, args: &[&Dense<f64>]) -> Result<Dense<f64>, Fail> {
        let [a] = args else {
            return generic_apply(self, f, args);
        };
        self.apply_reusing(f, Cow::Borrowed(*a))
    }

    fn apply_reusing(&self, f: Builtin, a: Cow<'_, Dense<f64>>) -> Result<Dense<f64>, Fail> {
        for (k, x) in a.data.iter().enumerate() {
            check_domain(f, x.partial_cmp(&0.0)).map_err(|e| entry_fail(e, a.shape(), k))?;
        }
        const BLOCK: usize = 8;
        let (src, mut out) = match a {
            Cow::Owned(a) => (None, a),
            Cow::Borrowed(a) => (Some(a), Dense::new(a.rows, a.cols, vec![0.0; a.data.len()])),
        };
        let n = out.data.len();
        let whole = n - n % BLOCK;
        let mut x = [0.0; BLOCK];
        for start in (0..whole).step_by(BLOCK) {
            let end = start + BLOCK;
            x.copy_from_slice(src.map_or(&out.data[start..end], |a| &a.data[start..end]));
            let d: &mut [f64; BLOCK] = (&mut out.data[start..end]).try_into().expect("a block");
            f64_block::<BLOCK, true>(f, d, &x, &x);
        }
        for k in whole..n {
            let x = [src.map_or(out.data[k], |a| a.data[k])];
            let mut r = [0.0];
            f64_block::<1, true>(f, &mut r, &x, &x);
            out.data[k] = r[0];
        }
        finite(out)
    }

    fn sum_entries(&self, a: &Dense<f64>) -> Result<f64, Fail> {
        let s: f64 = a.data.iter().sum();
        if s.is_finite() {
            Ok(s)
        } else {
            Err(Fail::Domain("overflow".into()))
        }
    }

    /// `Σ log |pivot|`, so that a determinant beyond the range of f64 still has its log.
    fn logdet(&self, a: &Dense<f64>) -> Result<f64, Fail> {
        let n = square("logdet", a.shape())?;
        let Some((pivots, mut sign)) = eliminate(self, a.clone(), n)? else {
            return Err(Fail::Domain("logdet of a singular matrix".into()));
        };
        let mut log = 0.0;
        for p in pivots {
            if p < 0.0 {
                sign = -sign;
            }
            log += p.abs().ln();
        }
        if sign < 0 {
            return Err(Fail::Domain(
                "logdet of a matrix with a negative determinant".into(),
            ));
        }
        if log.is_finite() {
            Ok(log)
        } else {
            Err(Fail::Domain("overflow".into()))
        }
    }
}
