//! Rebuilding a shaped expression with some nodes replaced: variables by formulas (an
//! intermediate by its definition, an adjoint `δ_v` by its own), or unspecified functions by
//! concrete ones (as `check` does). The rebuilt nodes go through the simplifying constructors.

use super::build::Built;
use super::store::{MId, MatStore, Node};
use std::collections::HashMap;

impl MatStore {
    /// `root` with each variable named in `vars` replaced by its formula, and each node for
    /// which `rewrite` returns a formula (given the node with its children already rebuilt)
    /// replaced by it.
    pub fn substitute(
        &mut self,
        root: MId,
        vars: &HashMap<String, MId>,
        rewrite: &mut dyn FnMut(&mut MatStore, &Node) -> Option<Built>,
    ) -> Built {
        let mut done: HashMap<MId, MId> = HashMap::new();
        for id in self.reachable(&[root]) {
            let node = self.node(id).clone();
            let mapped = match &node {
                Node::Var(n) if vars.contains_key(n) => {
                    done.insert(id, vars[n]);
                    continue;
                }
                _ => map_children(&node, &done),
            };
            let new = match rewrite(self, &mapped) {
                Some(r) => r?,
                None if mapped == node => id,
                None => self.rebuild(&mapped)?,
            };
            done.insert(id, new);
        }
        Ok(done[&root])
    }

    /// A node rebuilt through the constructors (its children already in the store).
    pub fn rebuild(&mut self, node: &Node) -> Built {
        use Node::*;
        Ok(match node.clone() {
            Var(n) => self.var(&n),
            Num(r) => self.number(r),
            Identity(d) => self.identity(d),
            Ones(s) => self.ones(s),
            Zero(s) => self.zero(s),
            Add(ts) => self.add(ts)?,
            Scale(k, a) => self.scale(k, a)?,
            MatMul(a, b) => self.matmul(a, b)?,
            Hadamard(a, b) => self.hadamard(a, b)?,
            Quot(a, b) => self.quot(a, b)?,
            Pow(a, p) => self.pow(a, p)?,
            Transpose(a) => self.transpose(a)?,
            Map(f, k, a) => self.map(f, k, a),
            Sum(a) => self.sum(a)?,
            Trace(a) => self.trace(a)?,
            Det(a) => self.det(a)?,
            LogDet(a) => self.logdet(a)?,
            Inv(a) => self.inv(a)?,
            Norm1(a) => self.norm1(a),
            Norm2(a) => self.norm2(a),
            DiagMat(a) | DiagVec(a) => self.diag(a)?,
            Softmax(a) => self.softmax(a)?,
            LogSumExp(a) => self.logsumexp(a)?,
            Apply(f, a) => self.apply(&f, a)?,
            Jacobian(f, a) => self.jacobian_of(&f, a)?,
        })
    }
}

fn map_children(node: &Node, done: &HashMap<MId, MId>) -> Node {
    use Node::*;
    let m = |c: &MId| done[c];
    match node {
        Var(_) | Num(_) | Identity(_) | Ones(_) | Zero(_) => node.clone(),
        Add(ts) => Add(ts.iter().map(m).collect()),
        Scale(a, b) => Scale(m(a), m(b)),
        MatMul(a, b) => MatMul(m(a), m(b)),
        Hadamard(a, b) => Hadamard(m(a), m(b)),
        Quot(a, b) => Quot(m(a), m(b)),
        Pow(a, b) => Pow(m(a), m(b)),
        Transpose(a) => Transpose(m(a)),
        Map(f, k, a) => Map(f.clone(), *k, m(a)),
        Sum(a) => Sum(m(a)),
        Trace(a) => Trace(m(a)),
        Det(a) => Det(m(a)),
        LogDet(a) => LogDet(m(a)),
        Inv(a) => Inv(m(a)),
        Norm1(a) => Norm1(m(a)),
        Norm2(a) => Norm2(m(a)),
        DiagMat(a) => DiagMat(m(a)),
        DiagVec(a) => DiagVec(m(a)),
        Softmax(a) => Softmax(m(a)),
        LogSumExp(a) => LogSumExp(m(a)),
        Apply(f, a) => Apply(f.clone(), m(a)),
        Jacobian(f, a) => Jacobian(f.clone(), m(a)),
    }
}
