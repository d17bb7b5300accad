//! The shaped DAG: hash-consed nodes over vectors and matrices, each with its shape.
//!
//! Nodes are built only through the constructors of [`build`](super::build), which check
//! shapes and simplify (no `I*x`, no double transposes, scalars pulled out of products), so
//! that a derivative reads like a textbook. Children always come before their parents.

use super::shape::{Dim, Shape};
use crate::expr::Builtin;
use rug::Rational;
use std::collections::HashMap;

/// A node of a [`MatStore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MId(pub u32);

/// An element-wise function: a built-in or an unspecified scalar function (`σ`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fun {
    /// A built-in of one argument.
    Builtin(Builtin),
    /// An unspecified scalar function, declared with `fn σ(t)`.
    Abstract(String),
}

impl Fun {
    /// The function's name as written in text.
    pub fn name(&self) -> &str {
        match self {
            Fun::Builtin(b) => b.name(),
            Fun::Abstract(n) => n,
        }
    }
}

/// What a node computes. Every operation is on whole vectors and matrices; scalars are 1×1.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// A variable (its shape is declared or given by its value).
    Var(String),
    /// An exact scalar constant.
    Num(Rational),
    /// The identity matrix of this size.
    Identity(Dim),
    /// The matrix of ones of this shape (`𝟏`).
    Ones(Shape),
    /// The zero matrix of this shape.
    Zero(Shape),
    /// A sum of terms of one shape; a scalar term is added to every entry.
    Add(Vec<MId>),
    /// A scalar times a value: `s·A`.
    Scale(MId, MId),
    /// The matrix product `AB`.
    MatMul(MId, MId),
    /// The element-wise product `A ⊙ B`.
    Hadamard(MId, MId),
    /// The element-wise quotient `A ./ B` (a scalar on either side applies to every entry).
    Quot(MId, MId),
    /// The element-wise power `A .^ p` by a scalar exponent.
    Pow(MId, MId),
    /// The transpose `Aᵀ`.
    Transpose(MId),
    /// An element-wise function or its `order`-th derivative: `exp(A)`, `σ'(Z)`.
    Map(Fun, u32, MId),
    /// The sum of all entries.
    Sum(MId),
    /// The trace.
    Trace(MId),
    /// The determinant.
    Det(MId),
    /// `log(det(A))`, det A > 0.
    LogDet(MId),
    /// The inverse.
    Inv(MId),
    /// The sum of the absolute values of the entries.
    Norm1(MId),
    /// The Euclidean norm of a vector (Frobenius for a matrix).
    Norm2(MId),
    /// The diagonal matrix of a vector.
    DiagMat(MId),
    /// The vector of a square matrix's diagonal.
    DiagVec(MId),
    /// `softmax(x) = exp(x) / sum(exp(x))` of a vector.
    Softmax(MId),
    /// `log(sum(exp(x)))` of a vector.
    LogSumExp(MId),
    /// An unspecified vector function `f(a)`, declared `f: R^p → R^q`.
    Apply(String, MId),
    /// The Jacobian `∇f(a)` of an unspecified vector function (q × p).
    Jacobian(String, MId),
}

impl Node {
    /// The children, in order.
    pub fn children(&self) -> Vec<MId> {
        use Node::*;
        match self {
            Var(_) | Num(_) | Identity(_) | Ones(_) | Zero(_) => vec![],
            Add(ts) => ts.clone(),
            Scale(a, b) | MatMul(a, b) | Hadamard(a, b) | Quot(a, b) | Pow(a, b) => vec![*a, *b],
            Transpose(a)
            | Map(_, _, a)
            | Sum(a)
            | Trace(a)
            | Det(a)
            | LogDet(a)
            | Inv(a)
            | Norm1(a)
            | Norm2(a)
            | DiagMat(a)
            | DiagVec(a)
            | Softmax(a)
            | LogSumExp(a)
            | Apply(_, a)
            | Jacobian(_, a) => vec![*a],
        }
    }
}

/// The shapes of an unspecified vector function: `f: R^p → R^q`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VecFn {
    /// The argument's shape.
    pub from: Shape,
    /// The result's shape.
    pub to: Shape,
}

/// A hash-consed DAG of shaped nodes.
#[derive(Clone, Debug, Default)]
pub struct MatStore {
    nodes: Vec<(Node, Shape)>,
    index: HashMap<Node, MId>,
    vars: HashMap<String, Shape>,
    vec_fns: HashMap<String, VecFn>,
    scalar_fns: Vec<String>,
}

impl MatStore {
    /// An empty store.
    pub fn new() -> MatStore {
        MatStore::default()
    }

    /// Declares a variable's shape (a later declaration of the same name replaces it).
    pub fn declare(&mut self, name: &str, shape: Shape) {
        self.vars.insert(name.to_string(), shape);
    }

    /// A variable's declared shape.
    pub fn shape_of_var(&self, name: &str) -> Option<&Shape> {
        self.vars.get(name)
    }

    /// A variable's shape: as declared, else a scalar's (names are scalars unless declared).
    pub fn var_shape(&self, name: &str) -> Shape {
        self.vars.get(name).cloned().unwrap_or_else(Shape::scalar)
    }

    /// Declares an unspecified vector function `f: from → to`.
    pub fn declare_vec_fn(&mut self, name: &str, from: Shape, to: Shape) {
        self.vec_fns.insert(name.to_string(), VecFn { from, to });
    }

    /// An unspecified vector function's shapes.
    pub fn vec_fn(&self, name: &str) -> Option<&VecFn> {
        self.vec_fns.get(name)
    }

    /// Declares an unspecified scalar function, applied entry by entry (`fn σ(t)`).
    pub fn declare_scalar_fn(&mut self, name: &str) {
        if !self.scalar_fns.iter().any(|n| n == name) {
            self.scalar_fns.push(name.to_string());
        }
    }

    /// Whether `name` is a declared unspecified scalar function.
    pub fn is_scalar_fn(&self, name: &str) -> bool {
        self.scalar_fns.iter().any(|n| n == name)
    }

    /// The node.
    pub fn node(&self, id: MId) -> &Node {
        &self.nodes[id.0 as usize].0
    }

    /// The node's shape.
    pub fn shape(&self, id: MId) -> &Shape {
        &self.nodes[id.0 as usize].1
    }

    /// Whether the node is 1×1.
    pub fn is_scalar(&self, id: MId) -> bool {
        self.shape(id).is_scalar()
    }

    /// The constant's value, when the node is a number.
    pub fn num(&self, id: MId) -> Option<&Rational> {
        match self.node(id) {
            Node::Num(r) => Some(r),
            _ => None,
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the store has no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Interns a node of this shape (no checks, no simplification: use the constructors).
    pub(super) fn intern(&mut self, node: Node, shape: Shape) -> MId {
        if let Some(&id) = self.index.get(&node) {
            return id;
        }
        debug_assert!(
            node.children()
                .iter()
                .all(|c| (c.0 as usize) < self.nodes.len())
        );
        let id = MId(self.nodes.len() as u32);
        self.index.insert(node.clone(), id);
        self.nodes.push((node, shape));
        id
    }

    /// Every node reachable from `roots`, children before parents (ascending ids).
    pub fn reachable(&self, roots: &[MId]) -> Vec<MId> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack: Vec<MId> = roots.to_vec();
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut seen[id.0 as usize], true) {
                continue;
            }
            stack.extend(self.node(id).children());
        }
        (0..self.nodes.len() as u32)
            .filter(|&i| seen[i as usize])
            .map(MId)
            .collect()
    }

    /// The variables reachable from `root`, in order of first appearance by id.
    pub fn variables(&self, root: MId) -> Vec<String> {
        self.reachable(&[root])
            .into_iter()
            .filter_map(|id| match self.node(id) {
                Node::Var(n) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }

    /// The variables reachable from any of `roots`, each once, by id.
    pub fn variables_of(&self, roots: &[MId]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for id in self.reachable(roots) {
            if let Node::Var(n) = self.node(id)
                && !out.contains(n)
            {
                out.push(n.clone());
            }
        }
        out
    }

    /// Number of distinct nodes reachable from `root`: the size of a formula.
    pub fn size(&self, root: MId) -> usize {
        self.reachable(&[root]).len()
    }
}
