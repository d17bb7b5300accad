//! The constructors of the shaped DAG: each checks shapes and simplifies as it builds.
//!
//! What they guarantee, so that printed derivatives read like a textbook:
//! - scalars are pulled out of products and gathered in front, constants outermost
//!   (`2·(Aᵀx)`, never `(2A)ᵀx`); a product with a 1×1 factor is a scaling;
//! - no identity or ones factor survives (`I·x`, `𝟏 ⊙ x`), no double transpose, and a transpose
//!   of a product or sum is pushed inside (`(xᵀA)ᵀ` is `Aᵀx`);
//! - like terms of a sum are collected (`x + x` is `2x`), and a factor common to every term
//!   is pulled out (`Aᵀx + Ax` is `(A + Aᵀ)x`);
//! - `log(det(X))` is `logdet(X)`, `norm2(r)^2` is `rᵀr`, `sum(x ⊙ y)` of vectors is `xᵀy`.
//!
//! Every rule is value-preserving wherever its input is defined and does not widen the domain.

use super::shape::{Dim, Shape, ShapeError};
use super::store::{Fun, MId, MatStore, Node};
use crate::expr::Builtin;
use rug::Rational;

/// The result of a constructor.
pub type Built = Result<MId, ShapeError>;

fn mismatch(message: String) -> ShapeError {
    ShapeError { message }
}

impl MatStore {
    /// A variable, with its declared shape (a scalar when undeclared).
    pub fn var(&mut self, name: &str) -> MId {
        let shape = self.var_shape(name);
        self.intern(Node::Var(name.to_string()), shape)
    }

    /// An exact scalar.
    pub fn number(&mut self, r: Rational) -> MId {
        self.intern(Node::Num(r), Shape::scalar())
    }

    /// A small integer.
    pub fn int(&mut self, i: i64) -> MId {
        self.number(Rational::from(i))
    }

    /// The identity matrix of size `n`.
    pub fn identity(&mut self, n: Dim) -> MId {
        if n.is_one() {
            return self.int(1);
        }
        self.intern(Node::Identity(n.clone()), Shape::matrix(n.clone(), n))
    }

    /// The matrix of ones of this shape.
    pub fn ones(&mut self, shape: Shape) -> MId {
        if shape.is_scalar() {
            return self.int(1);
        }
        self.intern(Node::Ones(shape.clone()), shape)
    }

    /// The zero matrix of this shape.
    pub fn zero(&mut self, shape: Shape) -> MId {
        if shape.is_scalar() {
            return self.int(0);
        }
        self.intern(Node::Zero(shape.clone()), shape)
    }

    /// Whether the node is a zero (scalar or matrix).
    pub fn is_zero(&self, id: MId) -> bool {
        match self.node(id) {
            Node::Num(r) => *r == 0,
            Node::Zero(_) => true,
            _ => false,
        }
    }

    fn is_num(&self, id: MId, v: i64) -> bool {
        self.num(id).is_some_and(|r| *r == v)
    }

    /// `coefficient · base` of a term: `2·A` is (2, A); a number is (r, None).
    fn split_coefficient(&self, id: MId) -> (Rational, Option<MId>) {
        match self.node(id) {
            Node::Num(r) => (r.clone(), None),
            Node::Scale(s, b) => match self.num(*s) {
                Some(c) => (c.clone(), Some(*b)),
                None => (Rational::from(1), Some(id)),
            },
            _ => (Rational::from(1), Some(id)),
        }
    }

    /// `a + b`.
    pub fn add2(&mut self, a: MId, b: MId) -> Built {
        self.add(vec![a, b])
    }

    /// `a - b`.
    pub fn sub(&mut self, a: MId, b: MId) -> Built {
        let nb = self.neg(b);
        self.add(vec![a, nb])
    }

    /// `-a`.
    pub fn neg(&mut self, a: MId) -> MId {
        let m1 = self.int(-1);
        self.scale(m1, a).expect("-1 is a scalar")
    }

    /// A sum: terms of one shape, scalars added to every entry of the others.
    pub fn add(&mut self, terms: Vec<MId>) -> Built {
        // The shape: that of the non-scalar terms, which must agree.
        let mut shape = Shape::scalar();
        for &t in &terms {
            let s = self.shape(t);
            if s.is_scalar() {
                continue;
            }
            if shape.is_scalar() {
                shape = s.clone();
            } else if *s != shape {
                return Err(mismatch(format!(
                    "a sum of {shape} and {s}: the terms of a sum must have the same shape (or be scalars)"
                )));
            }
        }
        // Flatten, then collect like terms with their coefficients.
        let mut flat = Vec::new();
        let mut stack: Vec<MId> = terms.into_iter().rev().collect();
        while let Some(t) = stack.pop() {
            match self.node(t) {
                Node::Add(ts) => stack.extend(ts.iter().rev().copied()),
                _ if self.is_zero(t) => {}
                _ => flat.push(t),
            }
        }
        let mut constant = Rational::new();
        let mut collected: Vec<(MId, Rational)> = Vec::new();
        for t in flat {
            match self.split_coefficient(t) {
                (c, None) => constant += c,
                (c, Some(base)) => match collected.iter_mut().find(|(b, _)| *b == base) {
                    Some((_, k)) => *k += c,
                    None => collected.push((base, c)),
                },
            }
        }
        collected.retain(|(_, c)| *c != 0);
        // Variables and simple terms first, then larger ones; numbers last (`x - 1`).
        collected.sort_by_key(|(b, _)| *b);
        if let Some(common) = self.factor_common(&collected, &shape)? {
            if constant == 0 {
                return Ok(common);
            }
            let c = self.number(constant);
            return self.add(vec![common, c]);
        }
        // s·b₁ + s·b₂ is s·(b₁ + b₂) for a scalar s that is not a number.
        if collected.len() >= 2 && constant == 0 {
            let scaled: Option<Vec<(MId, MId)>> = collected
                .iter()
                .map(|(b, _)| match self.node(*b) {
                    Node::Scale(k, x) if self.num(*k).is_none() => Some((*k, *x)),
                    _ => None,
                })
                .collect();
            if let Some(parts) = scaled
                && parts.iter().all(|(k, _)| *k == parts[0].0)
            {
                let mut inner = Vec::new();
                for ((_, x), (_, c)) in parts.iter().zip(&collected) {
                    let c = self.number(c.clone());
                    inner.push(self.scale(c, *x)?);
                }
                let sum = self.add(inner)?;
                return self.scale(parts[0].0, sum);
            }
        }
        let mut out: Vec<MId> = Vec::new();
        for (base, c) in collected {
            let k = self.number(c);
            out.push(self.scale(k, base)?);
        }
        if constant != 0 {
            out.push(self.number(constant));
        }
        // Only scalars left in a sum of vectors or matrices (`x - x + a`): their sum on every
        // entry, `(a)·𝟏`, so that the node keeps its shape (an `Add` of scalars is a scalar).
        if !shape.is_scalar() && !out.is_empty() && out.iter().all(|&t| self.is_scalar(t)) {
            let s = self.add(out)?;
            let ones = self.ones(shape);
            return self.scale(s, ones);
        }
        Ok(match out.len() {
            0 => self.zero(shape),
            1 if self.shape(out[0]) == &shape => out[0],
            _ => self.intern(Node::Add(out), shape),
        })
    }

    /// `(A + B)x` for `Ax + Bx`, and `x(A + B)` for `xA + xB`, when every term has that
    /// factor (each with its coefficient).
    fn factor_common(
        &mut self,
        terms: &[(MId, Rational)],
        shape: &Shape,
    ) -> Result<Option<MId>, ShapeError> {
        if terms.len() < 2 {
            return Ok(None);
        }
        let parts: Option<Vec<(MId, MId)>> = terms
            .iter()
            .map(|(b, _)| match self.node(*b) {
                Node::MatMul(l, r) => Some((*l, *r)),
                _ => None,
            })
            .collect();
        let Some(parts) = parts else {
            return Ok(None);
        };
        // A scalar term of a sum of vectors (`A*y + xᵀy`) is added to every entry: it has
        // no factor in common with the others.
        if terms.iter().any(|(b, _)| self.shape(*b) != shape) {
            return Ok(None);
        }
        let right = parts[0].1;
        let left = parts[0].0;
        if parts.iter().all(|(_, r)| *r == right) {
            let mut inner = Vec::new();
            for ((l, _), (_, c)) in parts.iter().zip(terms) {
                let k = self.number(c.clone());
                inner.push(self.scale(k, *l)?);
            }
            let sum = self.add(inner)?;
            let out = self.matmul(sum, right)?;
            debug_assert!(self.shape(out) == shape || self.is_zero(out));
            return Ok(Some(out));
        }
        if parts.iter().all(|(l, _)| *l == left) {
            let mut inner = Vec::new();
            for ((_, r), (_, c)) in parts.iter().zip(terms) {
                let k = self.number(c.clone());
                inner.push(self.scale(k, *r)?);
            }
            let sum = self.add(inner)?;
            return Ok(Some(self.matmul(left, sum)?));
        }
        Ok(None)
    }

    /// `s·a` for a scalar `s`.
    pub fn scale(&mut self, s: MId, a: MId) -> Built {
        if !self.is_scalar(s) {
            if self.is_scalar(a) {
                return self.scale(a, s);
            }
            return Err(mismatch(format!(
                "scaling by {}: not a scalar",
                self.shape(s).describe()
            )));
        }
        let shape = self.shape(a).clone();
        // Numbers first among scalars.
        if self.is_scalar(a) && self.num(a).is_some() && self.num(s).is_none() {
            return self.scale(a, s);
        }
        if self.is_zero(s) || self.is_zero(a) {
            return Ok(self.zero(shape));
        }
        if self.is_num(s, 1) {
            return Ok(a);
        }
        if let (Some(x), Some(y)) = (self.num(s), self.num(a)) {
            let p = Rational::from(x * y);
            return Ok(self.number(p));
        }
        // A number times a number times b: one number.
        if let (Some(c), Node::Scale(k, b)) = (self.num(s).cloned(), self.node(a).clone())
            && let Some(k) = self.num(k).cloned()
        {
            let ck = self.number(c * k);
            return self.scale(ck, b);
        }
        // Numbers outermost: s·(c·b) is c·(s·b), (c·s')·a is c·(s'·a).
        if self.num(s).is_none() {
            if let Node::Scale(k, b) = self.node(a).clone()
                && self.num(k).is_some()
            {
                let inner = self.scale(s, b)?;
                return self.scale(k, inner);
            }
            if let Node::Scale(k, s2) = self.node(s).clone()
                && self.num(k).is_some()
            {
                let inner = self.scale(s2, a)?;
                return self.scale(k, inner);
            }
        }
        // Scalar products are commutative: one order for hash-consing.
        if self.is_scalar(a) && self.num(s).is_none() && a < s {
            return Ok(self.intern(Node::Scale(a, s), shape));
        }
        Ok(self.intern(Node::Scale(s, a), shape))
    }

    /// `a * b` as written: the matrix product, or a scaling when either side is a scalar.
    pub fn mul(&mut self, a: MId, b: MId) -> Built {
        self.matmul(a, b)
    }

    /// The matrix product `ab` (a scaling when either is 1×1).
    pub fn matmul(&mut self, a: MId, b: MId) -> Built {
        if self.is_scalar(a) {
            return self.scale(a, b);
        }
        if self.is_scalar(b) {
            return self.scale(b, a);
        }
        let (sa, sb) = (self.shape(a).clone(), self.shape(b).clone());
        if sa.cols != sb.rows {
            return Err(mismatch(format!(
                "a product of {sa} and {sb}: the left factor has {} columns but the right one has {} rows",
                sa.cols, sb.rows
            )));
        }
        let shape = Shape::matrix(sa.rows.clone(), sb.cols.clone());
        if self.is_zero(a) || self.is_zero(b) {
            return Ok(self.zero(shape));
        }
        if matches!(self.node(a), Node::Identity(_)) {
            return Ok(b);
        }
        if matches!(self.node(b), Node::Identity(_)) {
            return Ok(a);
        }
        if let Node::Scale(s, a2) = self.node(a).clone() {
            let inner = self.matmul(a2, b)?;
            return self.scale(s, inner);
        }
        // diag(u)·diag(v) = diag(u ⊙ v)
        if let (Node::DiagMat(u), Node::DiagMat(v)) = (self.node(a).clone(), self.node(b).clone()) {
            let h = self.hadamard(u, v)?;
            return self.diag(h);
        }
        if let Node::Scale(s, b2) = self.node(b).clone() {
            let inner = self.matmul(a, b2)?;
            return self.scale(s, inner);
        }
        Ok(self.intern(Node::MatMul(a, b), shape))
    }

    /// The transpose `aᵀ`.
    pub fn transpose(&mut self, a: MId) -> Built {
        let shape = self.shape(a).transposed();
        if self.is_scalar(a) {
            return Ok(a);
        }
        match self.node(a).clone() {
            Node::Transpose(b) => Ok(b),
            Node::Identity(_) | Node::DiagMat(_) => Ok(a),
            Node::Zero(s) => Ok(self.zero(s.transposed())),
            Node::Ones(s) => Ok(self.ones(s.transposed())),
            Node::Scale(s, b) => {
                let bt = self.transpose(b)?;
                self.scale(s, bt)
            }
            Node::MatMul(x, y) => {
                let (yt, xt) = (self.transpose(y)?, self.transpose(x)?);
                self.matmul(yt, xt)
            }
            Node::Add(ts) => {
                let mut out = Vec::with_capacity(ts.len());
                for t in ts {
                    out.push(self.transpose(t)?);
                }
                self.add(out)
            }
            _ => Ok(self.intern(Node::Transpose(a), shape)),
        }
    }

    fn same_shape(&self, what: &str, a: MId, b: MId) -> Result<Shape, ShapeError> {
        let (sa, sb) = (self.shape(a), self.shape(b));
        if sa != sb {
            return Err(mismatch(format!(
                "{what} of {sa} and {sb}: element-wise operations need the same shape (or a scalar)"
            )));
        }
        Ok(sa.clone())
    }

    /// The element-wise product `a ⊙ b` (a scaling when either is a scalar).
    pub fn hadamard(&mut self, a: MId, b: MId) -> Built {
        if self.is_scalar(a) {
            return self.scale(a, b);
        }
        if self.is_scalar(b) {
            return self.scale(b, a);
        }
        let shape = self.same_shape("an element-wise product", a, b)?;
        if self.is_zero(a) || self.is_zero(b) {
            return Ok(self.zero(shape));
        }
        if matches!(self.node(a), Node::Ones(_)) {
            return Ok(b);
        }
        if matches!(self.node(b), Node::Ones(_)) {
            return Ok(a);
        }
        for (x, y) in [(a, b), (b, a)] {
            if let Node::Scale(s, x2) = self.node(x).clone() {
                let inner = self.hadamard(x2, y)?;
                return self.scale(s, inner);
            }
            // x ⊙ (c ./ d) is c·(x ./ d) for a scalar c.
            if let Node::Quot(c, d) = self.node(y).clone()
                && self.is_scalar(c)
            {
                let inner = self.quot(x, d)?;
                return self.scale(c, inner);
            }
        }
        if a == b {
            let two = self.int(2);
            return self.pow(a, two);
        }
        let (a, b) = if b < a { (b, a) } else { (a, b) };
        Ok(self.intern(Node::Hadamard(a, b), shape))
    }

    /// The element-wise quotient `a ./ b`; a scalar on either side applies to every entry, and
    /// a quotient by a scalar is a scaling by its reciprocal.
    pub fn quot(&mut self, a: MId, b: MId) -> Built {
        if self.is_scalar(b) {
            if let Some(r) = self.num(b).cloned() {
                if r == 0 {
                    return Err(mismatch("a division by the number 0".to_string()));
                }
                let inv = self.number(r.recip());
                return self.scale(inv, a);
            }
            let m1 = self.int(-1);
            let inv = self.pow(b, m1)?;
            return self.scale(inv, a);
        }
        let shape = if self.is_scalar(a) {
            self.shape(b).clone()
        } else {
            self.same_shape("an element-wise quotient", a, b)?
        };
        if self.is_zero(a) {
            return Ok(self.zero(shape));
        }
        if let Node::Ones(_) = self.node(a) {
            let one = self.int(1);
            return self.quot(one, b);
        }
        if let Node::Scale(s, a2) = self.node(a).clone() {
            let inner = self.quot(a2, b)?;
            return self.scale(s, inner);
        }
        Ok(self.intern(Node::Quot(a, b), shape))
    }

    /// The element-wise power `a .^ p` by a scalar exponent (`a^p` for a scalar `a`).
    pub fn pow(&mut self, a: MId, p: MId) -> Built {
        if !self.is_scalar(p) {
            return Err(mismatch(format!(
                "a power with exponent {}: the exponent must be a scalar",
                self.shape(p).describe()
            )));
        }
        let shape = self.shape(a).clone();
        if self.is_num(p, 1) {
            return Ok(a);
        }
        if let (Some(x), Some(e)) = (self.num(a), self.num(p))
            && e.denom() == &1
            && let Some(k) = e.numer().to_i32()
            && k.unsigned_abs() <= 64
            && (*x != 0 || k > 0)
        {
            let mut r = Rational::from(1);
            for _ in 0..k.unsigned_abs() {
                r *= x;
            }
            if k < 0 {
                r.recip_mut();
            }
            return Ok(self.number(r));
        }
        // 𝟎.^p = 𝟎 for p > 0.
        if matches!(self.node(a), Node::Zero(_)) && self.num(p).is_some_and(|e| *e > 0) {
            return Ok(a);
        }
        // ‖r‖² = rᵀr for a vector r, sum(r.^2) for a matrix (Frobenius).
        if self.is_num(p, 2)
            && let Node::Norm2(r) = self.node(a).clone()
        {
            if self.shape(r).cols.is_one() {
                let rt = self.transpose(r)?;
                return self.matmul(rt, r);
            }
            let sq = self.pow(r, p)?;
            return self.sum(sq);
        }
        Ok(self.intern(Node::Pow(a, p), shape))
    }

    /// An element-wise function, or its `order`-th derivative.
    pub fn map(&mut self, f: Fun, order: u32, a: MId) -> MId {
        let shape = self.shape(a).clone();
        // A built-in at a constant with a rational value there: that value, entry by entry
        // (`sin(𝟎)` is 𝟎, `sigmoid(𝟎)` is 𝟏/2, `exp(0)` is 1).
        if let (Fun::Builtin(b), 0) = (&f, order) {
            let at = match self.node(a) {
                Node::Num(r) => Some(r.clone()),
                Node::Zero(_) => Some(Rational::new()),
                Node::Ones(_) => Some(Rational::from(1)),
                _ => None,
            };
            if let Some(v) = at.and_then(|t| b.exact(&[&t]).ok()) {
                let v = self.number(v);
                let ones = self.ones(shape);
                return self.scale(v, ones).expect("a number is a scalar");
            }
        }
        if order == 0 && f == Fun::Builtin(Builtin::Log) {
            match self.node(a).clone() {
                Node::Det(x) => return self.intern(Node::LogDet(x), Shape::scalar()),
                // log(softmax(z)) = z - logsumexp(z), entry by entry: defined everywhere.
                Node::Softmax(z) => {
                    let lse = self.intern(Node::LogSumExp(z), Shape::scalar());
                    let m1 = self.int(-1);
                    let neg = self.scale(m1, lse).expect("a scalar");
                    return self.add(vec![z, neg]).expect("a scalar broadcast");
                }
                _ => {}
            }
        }
        self.intern(Node::Map(f, order, a), shape)
    }

    fn square(&self, what: &str, a: MId) -> Result<Dim, ShapeError> {
        let s = self.shape(a);
        if !s.is_square() {
            return Err(mismatch(format!(
                "{what} of {}: needs a square matrix",
                s.describe()
            )));
        }
        Ok(s.rows.clone())
    }

    /// The sum of all entries.
    pub fn sum(&mut self, a: MId) -> Built {
        if self.is_scalar(a) {
            return Ok(a);
        }
        match self.node(a).clone() {
            Node::Zero(_) => return Ok(self.int(0)),
            Node::Ones(s) => {
                if let Some((r, c)) = s.known() {
                    return Ok(self.number(Rational::from(r * c)));
                }
            }
            Node::Scale(s, b) => {
                let inner = self.sum(b)?;
                return self.scale(s, inner);
            }
            // sum(x ⊙ y) = xᵀy for vectors.
            Node::Hadamard(x, y) if self.shape(x).cols.is_one() => {
                let xt = self.transpose(x)?;
                return self.matmul(xt, y);
            }
            _ => {}
        }
        Ok(self.intern(Node::Sum(a), Shape::scalar()))
    }

    /// The trace.
    pub fn trace(&mut self, a: MId) -> Built {
        let n = self.square("tr", a)?;
        if self.is_scalar(a) {
            return Ok(a);
        }
        match self.node(a).clone() {
            Node::Identity(Dim::Known(k)) => return Ok(self.number(Rational::from(k))),
            Node::Scale(s, b) => {
                let inner = self.trace(b)?;
                return self.scale(s, inner);
            }
            Node::Zero(_) => return Ok(self.int(0)),
            _ => {}
        }
        let _ = n;
        Ok(self.intern(Node::Trace(a), Shape::scalar()))
    }

    /// The determinant.
    pub fn det(&mut self, a: MId) -> Built {
        self.square("det", a)?;
        if self.is_scalar(a) {
            return Ok(a);
        }
        if let Node::Zero(_) = self.node(a) {
            return Ok(self.int(0));
        }
        Ok(self.intern(Node::Det(a), Shape::scalar()))
    }

    /// `log(det(a))`, for det a > 0.
    pub fn logdet(&mut self, a: MId) -> Built {
        self.square("logdet", a)?;
        if self.is_scalar(a) {
            return Ok(self.map(Fun::Builtin(Builtin::Log), 0, a));
        }
        Ok(self.intern(Node::LogDet(a), Shape::scalar()))
    }

    /// The inverse.
    pub fn inv(&mut self, a: MId) -> Built {
        self.square("inv", a)?;
        if self.is_scalar(a) {
            let m1 = self.int(-1);
            return self.pow(a, m1);
        }
        match self.node(a).clone() {
            Node::Inv(b) => Ok(b),
            Node::Identity(_) => Ok(a),
            _ => {
                let shape = self.shape(a).clone();
                Ok(self.intern(Node::Inv(a), shape))
            }
        }
    }

    /// The sum of absolute values of the entries.
    pub fn norm1(&mut self, a: MId) -> MId {
        if let Node::Zero(_) = self.node(a) {
            return self.int(0);
        }
        self.intern(Node::Norm1(a), Shape::scalar())
    }

    /// The Euclidean (Frobenius) norm.
    pub fn norm2(&mut self, a: MId) -> MId {
        if let Node::Zero(_) = self.node(a) {
            return self.int(0);
        }
        self.intern(Node::Norm2(a), Shape::scalar())
    }

    /// `diag`: a vector's diagonal matrix, or a square matrix's diagonal as a vector.
    pub fn diag(&mut self, a: MId) -> Built {
        let s = self.shape(a).clone();
        if s.is_scalar() {
            return Ok(a);
        }
        // A row vector's entries on the diagonal, as a column's (as NumPy and MATLAB do).
        if s.rows.is_one() {
            let column = self.transpose(a)?;
            return self.diag(column);
        }
        if s.cols.is_one() {
            // diag(𝟏) = I, diag(𝟎) = 𝟎
            if matches!(self.node(a), Node::Ones(_)) {
                return Ok(self.identity(s.rows));
            }
            if matches!(self.node(a), Node::Zero(_)) {
                return Ok(self.zero(Shape::matrix(s.rows.clone(), s.rows)));
            }
            if let Node::Scale(k, v) = self.node(a).clone() {
                let d = self.diag(v)?;
                return self.scale(k, d);
            }
            return Ok(self.intern(Node::DiagMat(a), Shape::matrix(s.rows.clone(), s.rows)));
        }
        let n = self.square("diag", a)?;
        match self.node(a).clone() {
            Node::DiagMat(v) => return Ok(v),
            Node::Zero(_) => return Ok(self.zero(Shape::vector(n))),
            Node::Identity(_) => return Ok(self.ones(Shape::vector(n))),
            // diag(u vᵀ) = u ⊙ v
            Node::MatMul(u, vt) if self.shape(u).cols.is_one() && self.shape(vt).rows.is_one() => {
                let v = self.transpose(vt)?;
                return self.hadamard(u, v);
            }
            Node::Scale(k, m) => {
                let d = self.diag(m)?;
                return self.scale(k, d);
            }
            _ => {}
        }
        Ok(self.intern(Node::DiagVec(a), Shape::vector(n)))
    }

    fn vector_arg(&self, what: &str, a: MId) -> Result<(), ShapeError> {
        if !self.shape(a).cols.is_one() {
            return Err(mismatch(format!(
                "{what} of {}: needs a (column) vector",
                self.shape(a).describe()
            )));
        }
        Ok(())
    }

    /// `softmax` of a vector.
    pub fn softmax(&mut self, a: MId) -> Built {
        self.vector_arg("softmax", a)?;
        let shape = self.shape(a).clone();
        // softmax(c·𝟏) = 𝟏/n: every entry the same.
        if let (Node::Zero(_) | Node::Ones(_), Some((n, _))) = (self.node(a), shape.known()) {
            let v = self.number(Rational::from((1, n as u64)));
            let ones = self.ones(shape);
            return self.scale(v, ones);
        }
        Ok(self.intern(Node::Softmax(a), shape))
    }

    /// `logsumexp` of a vector.
    pub fn logsumexp(&mut self, a: MId) -> Built {
        self.vector_arg("logsumexp", a)?;
        Ok(self.intern(Node::LogSumExp(a), Shape::scalar()))
    }

    /// An unspecified vector function applied: `f(a)`.
    pub fn apply(&mut self, f: &str, a: MId) -> Built {
        let Some(sig) = self.vec_fn(f).cloned() else {
            return Err(mismatch(format!("`{f}` is not a declared vector function")));
        };
        if *self.shape(a) != sig.from {
            return Err(mismatch(format!(
                "{f}({}): {f} takes {} but its argument is {}",
                "…",
                sig.from.describe(),
                self.shape(a).describe()
            )));
        }
        Ok(self.intern(Node::Apply(f.to_string(), a), sig.to))
    }

    /// The Jacobian `∇f(a)` of an unspecified vector function: outputs × inputs.
    pub fn jacobian_of(&mut self, f: &str, a: MId) -> Built {
        let Some(sig) = self.vec_fn(f).cloned() else {
            return Err(mismatch(format!("`{f}` is not a declared vector function")));
        };
        // Taken where f is: at an argument of f's shape (as `apply` checks).
        if *self.shape(a) != sig.from {
            return Err(mismatch(format!(
                "∇{f}(…): {f} takes {} but the argument is {}",
                sig.from.describe(),
                self.shape(a).describe()
            )));
        }
        let shape = Shape::matrix(sig.to.rows.clone(), sig.from.rows.clone());
        Ok(self.intern(Node::Jacobian(f.to_string(), a), shape))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> MatStore {
        let mut s = MatStore::new();
        s.declare("A", Shape::matrix(Dim::Known(3), Dim::Known(3)));
        s.declare("x", Shape::vector(Dim::Known(3)));
        s
    }

    #[test]
    fn shapes_are_checked() {
        let mut s = store();
        s.declare("y", Shape::vector(Dim::Known(2)));
        let (a, y) = (s.var("A"), s.var("y"));
        let e = s.matmul(a, y).unwrap_err();
        assert!(
            e.message.contains("3 columns but the right one has 2 rows"),
            "{e}"
        );
        let x = s.var("x");
        assert!(s.add2(x, y).is_err());
        assert!(s.hadamard(x, y).is_err());
    }

    #[test]
    fn transposes_and_identities_vanish() {
        let mut s = store();
        let (a, x) = (s.var("A"), s.var("x"));
        let at = s.transpose(a).unwrap();
        assert_eq!(s.transpose(at).unwrap(), a);
        let i = s.identity(Dim::Known(3));
        assert_eq!(s.matmul(i, x).unwrap(), x);
        // (xᵀA)ᵀ = Aᵀx
        let xt = s.transpose(x).unwrap();
        let xta = s.matmul(xt, a).unwrap();
        let back = s.transpose(xta).unwrap();
        assert_eq!(back, s.matmul(at, x).unwrap());
    }

    #[test]
    fn like_terms_and_common_factors() {
        let mut s = store();
        let (a, x) = (s.var("A"), s.var("x"));
        let sum = s.add2(x, x).unwrap();
        let two = s.int(2);
        assert_eq!(sum, s.scale(two, x).unwrap());
        let at = s.transpose(a).unwrap();
        let ax = s.matmul(a, x).unwrap();
        let atx = s.matmul(at, x).unwrap();
        let total = s.add2(atx, ax).unwrap();
        let a_at = s.add2(a, at).unwrap();
        assert_eq!(total, s.matmul(a_at, x).unwrap());
        let zero = s.sub(x, x).unwrap();
        assert!(s.is_zero(zero));
    }
}
