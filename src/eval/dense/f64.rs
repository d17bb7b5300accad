//! [`F64`]'s dense operations: matrix products by `ndarray`'s gemm (`matrixmultiply`, on every
//! core), and element-wise loops over plain slices, with the same domain checks and the same
//! results entry by entry as the scalar backend (`exp` and `sigmoid` through the C library,
//! as [`F64::call`](super::super::Backend::call)).

use super::{
    Dense, DenseBackend, broadcast_shape, eliminate, entry_fail, generic_apply, shape_error, square,
};
use crate::eval::builtins::{check_domain, f64_block};
use crate::eval::{F64, Fail};
use crate::expr::Builtin;
use ndarray::{ArrayView2, ArrayViewMut2};

/// The first entry that is not finite, as the scalar backend words it.
fn finite(m: Dense<f64>) -> Result<Dense<f64>, Fail> {
    match m.data.iter().position(|x| !x.is_finite()) {
        None => Ok(m),
        Some(k) => {
            let what = if m.data[k].is_nan() {
                "undefined result (NaN)"
            } else {
                "overflow"
            };
            Err(entry_fail(Fail::Domain(what.into()), m.shape(), k))
        }
    }
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
        ndarray::linalg::general_mat_mul(1.0, &a, &b, 0.0, &mut out);
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
        for (k, x) in a.data.iter().enumerate() {
            check_domain(f, x.partial_cmp(&0.0)).map_err(|e| entry_fail(e, a.shape(), k))?;
        }
        const BLOCK: usize = 8;
        let mut data = vec![0.0; a.data.len()];
        let mut src = a.data.chunks_exact(BLOCK);
        let mut dst = data.chunks_exact_mut(BLOCK);
        for (d, x) in (&mut dst).zip(&mut src) {
            let (d, x): (&mut [f64; BLOCK], &[f64; BLOCK]) = (
                d.try_into().expect("a block"),
                x.try_into().expect("a block"),
            );
            f64_block::<BLOCK, true>(f, d, x, x);
        }
        for (d, x) in dst.into_remainder().iter_mut().zip(src.remainder()) {
            let mut r = [0.0];
            f64_block::<1, true>(f, &mut r, &[*x], &[*x]);
            *d = r[0];
        }
        finite(Dense::new(a.rows, a.cols, data))
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
