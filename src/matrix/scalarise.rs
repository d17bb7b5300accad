//! Expansion of a shaped expression into its entries, each a scalar expression of the scalar
//! engine: the oracle that matrix derivatives are tested against (DESIGN.md), and a reference
//! evaluator for small sizes.
//!
//! A matrix variable `W` of r×c becomes the scalars `W_1_1 … W_r_c`, a vector `x` the scalars
//! `x_1 … x_n`, a scalar keeps its name. An unspecified vector function `f: R^p → R^q` becomes
//! q unspecified scalar functions `f_1 … f_q` of p arguments, and its Jacobian their partials.

use super::shape::Dim;
use super::store::{Fun, MId, MatStore, Node};
use crate::expr::{AbstractFn, Builtin, Func, Id, Store};
use rug::Rational;
use std::collections::HashMap;

/// The entries of a value, row by row.
pub type Entries = Vec<Vec<Id>>;

/// Why an expression cannot be expanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScalariseError(pub String);

/// The name of entry (i, j), 0-based, of the variable `name` shaped `rows × cols`.
pub fn entry_name(name: &str, rows: usize, cols: usize, i: usize, j: usize) -> String {
    match (rows, cols) {
        (1, 1) => name.to_string(),
        (_, 1) => format!("{name}_{}", i + 1),
        _ => format!("{name}_{}_{}", i + 1, j + 1),
    }
}

/// The largest matrix `det` and `inv` are expanded for (cofactor expansion grows as n!).
pub const MAX_EXPANDED_DET: usize = 5;

struct Expander<'a> {
    m: &'a MatStore,
    s: &'a mut Store,
    sizes: &'a HashMap<String, u64>,
    memo: HashMap<MId, Entries>,
}

/// Expands `root` into its entries in `store`, with symbolic dimensions given by `sizes`.
pub fn scalarise(
    m: &MatStore,
    root: MId,
    sizes: &HashMap<String, u64>,
    store: &mut Store,
) -> Result<Entries, ScalariseError> {
    let mut e = Expander {
        m,
        s: store,
        sizes,
        memo: HashMap::new(),
    };
    for id in m.reachable(&[root]) {
        let v = e.node(id)?;
        e.memo.insert(id, v);
    }
    Ok(e.memo.remove(&root).expect("root expanded"))
}

fn err<T>(msg: impl Into<String>) -> Result<T, ScalariseError> {
    Err(ScalariseError(msg.into()))
}

impl Expander<'_> {
    fn dim(&self, d: &Dim) -> Result<usize, ScalariseError> {
        match d {
            Dim::Known(n) => Ok(*n as usize),
            Dim::Sym(s) => match self.sizes.get(s) {
                Some(n) => Ok(*n as usize),
                None => err(format!("no size for the dimension `{s}`")),
            },
        }
    }

    fn size(&self, id: MId) -> Result<(usize, usize), ScalariseError> {
        let sh = self.m.shape(id);
        Ok((self.dim(&sh.rows)?, self.dim(&sh.cols)?))
    }

    fn get(&self, id: MId) -> &Entries {
        &self.memo[&id]
    }

    fn fill(&mut self, r: usize, c: usize, f: impl Fn(&mut Store, usize, usize) -> Id) -> Entries {
        (0..r)
            .map(|i| (0..c).map(|j| f(self.s, i, j)).collect())
            .collect()
    }

    /// Entry (i, j) of `id`, broadcasting a 1×1 value.
    fn at(&self, id: MId, i: usize, j: usize) -> Id {
        let e = self.get(id);
        if e.len() == 1 && e[0].len() == 1 {
            e[0][0]
        } else {
            e[i][j]
        }
    }

    fn map2(
        &mut self,
        id: MId,
        a: MId,
        b: MId,
        f: impl Fn(&mut Store, Id, Id) -> Id,
    ) -> Result<Entries, ScalariseError> {
        let (r, c) = self.size(id)?;
        let mut out = Vec::with_capacity(r);
        for i in 0..r {
            let mut row = Vec::with_capacity(c);
            for j in 0..c {
                let (x, y) = (self.at(a, i, j), self.at(b, i, j));
                row.push(f(self.s, x, y));
            }
            out.push(row);
        }
        Ok(out)
    }

    fn scalar_fn(&mut self, f: &Fun, order: u32, x: Id) -> Result<Id, ScalariseError> {
        Ok(match f {
            Fun::Abstract(name) => {
                let sym = self.s.intern(name);
                let f = AbstractFn {
                    name: sym,
                    partials: vec![0u16; order as usize].into_boxed_slice(),
                };
                self.s.abstract_call(f, vec![x])
            }
            Fun::Builtin(b) => {
                let mut v = self.s.apply(*b, x);
                let t = self.s.sym("t\u{2060}");
                let tsym = self.s.as_sym(t).expect("a symbol");
                if order > 0 {
                    let mut d = self.s.apply(*b, t);
                    for _ in 0..order {
                        d = crate::diff::diff(self.s, d, tsym);
                    }
                    let map = HashMap::from([(tsym, x)]);
                    v = self.s.substitute(d, &map);
                }
                v
            }
        })
    }

    fn det(&mut self, e: &Entries) -> Id {
        let n = e.len();
        if n == 1 {
            return e[0][0];
        }
        let mut terms = Vec::with_capacity(n);
        for j in 0..n {
            let minor: Entries = e[1..]
                .iter()
                .map(|row| {
                    row.iter()
                        .enumerate()
                        .filter(|(k, _)| *k != j)
                        .map(|(_, x)| *x)
                        .collect()
                })
                .collect();
            let d = self.det(&minor);
            let t = self.s.mul(e[0][j], d);
            terms.push(if j % 2 == 0 { t } else { self.s.neg(t) });
        }
        self.s.add_all(terms)
    }

    fn node(&mut self, id: MId) -> Result<Entries, ScalariseError> {
        let (r, c) = self.size(id)?;
        let node = self.m.node(id).clone();
        Ok(match node {
            Node::Var(name) => self.fill(r, c, |s, i, j| s.sym(&entry_name(&name, r, c, i, j))),
            Node::Num(q) => vec![vec![self.s.num(q)]],
            Node::Identity(_) => self.fill(r, c, |s, i, j| s.num(i64::from(i == j))),
            Node::Ones(_) => self.fill(r, c, |s, _, _| s.num(1)),
            Node::Zero(_) => self.fill(r, c, |s, _, _| s.num(0)),
            Node::Add(ts) => {
                let mut out = Vec::with_capacity(r);
                for i in 0..r {
                    let mut row = Vec::with_capacity(c);
                    for j in 0..c {
                        let items: Vec<Id> = ts.iter().map(|&t| self.at(t, i, j)).collect();
                        row.push(self.s.add_all(items));
                    }
                    out.push(row);
                }
                out
            }
            Node::Scale(k, a) => {
                let kk = self.get(k)[0][0];
                let ea = self.get(a).clone();
                ea.iter()
                    .map(|row| row.iter().map(|&x| self.s.mul(kk, x)).collect())
                    .collect()
            }
            Node::MatMul(a, b) => {
                let (ea, eb) = (self.get(a).clone(), self.get(b).clone());
                let mut out = Vec::with_capacity(r);
                for row in ea.iter() {
                    let mut orow = Vec::with_capacity(c);
                    for j in 0..c {
                        let items: Vec<Id> = row
                            .iter()
                            .zip(&eb)
                            .map(|(x, brow)| self.s.mul(*x, brow[j]))
                            .collect();
                        orow.push(self.s.add_all(items));
                    }
                    out.push(orow);
                }
                out
            }
            Node::Hadamard(a, b) => self.map2(id, a, b, |s, x, y| s.mul(x, y))?,
            Node::Quot(a, b) => self.map2(id, a, b, |s, x, y| s.div(x, y))?,
            Node::Pow(a, p) => self.map2(id, a, p, |s, x, y| s.pow(x, y))?,
            Node::Transpose(a) => {
                let ea = self.get(a).clone();
                (0..r).map(|i| (0..c).map(|j| ea[j][i]).collect()).collect()
            }
            Node::Map(f, k, a) => {
                let ea = self.get(a).clone();
                let mut out = Vec::with_capacity(r);
                for row in ea {
                    let mut orow = Vec::with_capacity(c);
                    for x in row {
                        orow.push(self.scalar_fn(&f, k, x)?);
                    }
                    out.push(orow);
                }
                out
            }
            Node::Sum(a) => {
                let items: Vec<Id> = self.get(a).iter().flatten().copied().collect();
                vec![vec![self.s.add_all(items)]]
            }
            Node::Trace(a) => {
                let ea = self.get(a).clone();
                let items: Vec<Id> = (0..ea.len()).map(|i| ea[i][i]).collect();
                vec![vec![self.s.add_all(items)]]
            }
            Node::Det(a) | Node::LogDet(a) | Node::Inv(a) => {
                let ea = self.get(a).clone();
                if ea.len() > MAX_EXPANDED_DET {
                    return err(format!(
                        "expanding det or inv of a {0}×{0} matrix (at most {MAX_EXPANDED_DET}×{MAX_EXPANDED_DET})",
                        ea.len()
                    ));
                }
                let d = self.det(&ea);
                match self.m.node(id) {
                    Node::Det(_) => vec![vec![d]],
                    Node::LogDet(_) => vec![vec![self.s.apply(Builtin::Log, d)]],
                    _ => {
                        // inv = adj / det, adj(i, j) = (-1)^(i+j) det(minor(j, i))
                        let n = ea.len();
                        let mut out = Vec::with_capacity(n);
                        for i in 0..n {
                            let mut row = Vec::with_capacity(n);
                            for j in 0..n {
                                let minor: Entries = (0..n)
                                    .filter(|&k| k != j)
                                    .map(|k| (0..n).filter(|&l| l != i).map(|l| ea[k][l]).collect())
                                    .collect();
                                let cof = if n == 1 {
                                    self.s.num(1)
                                } else {
                                    self.det(&minor)
                                };
                                let cof = if (i + j) % 2 == 1 {
                                    self.s.neg(cof)
                                } else {
                                    cof
                                };
                                row.push(self.s.div(cof, d));
                            }
                            out.push(row);
                        }
                        out
                    }
                }
            }
            Node::Norm1(a) => {
                let items: Vec<Id> = self.get(a).iter().flatten().copied().collect();
                let abs: Vec<Id> = items
                    .into_iter()
                    .map(|x| self.s.apply(Builtin::Abs, x))
                    .collect();
                vec![vec![self.s.add_all(abs)]]
            }
            Node::Norm2(a) => {
                let items: Vec<Id> = self.get(a).iter().flatten().copied().collect();
                let sq: Vec<Id> = items
                    .into_iter()
                    .map(|x| self.s.powr(x, Rational::from(2)))
                    .collect();
                let ss = self.s.add_all(sq);
                vec![vec![self.s.sqrt(ss)]]
            }
            Node::DiagMat(a) => {
                let ea = self.get(a).clone();
                self.fill(r, c, |s, i, j| if i == j { ea[i][0] } else { s.num(0) })
            }
            Node::DiagVec(a) => {
                let ea = self.get(a).clone();
                (0..r).map(|i| vec![ea[i][i]]).collect()
            }
            Node::Softmax(a) | Node::LogSumExp(a) => {
                let ea = self.get(a).clone();
                let exps: Vec<Id> = ea
                    .iter()
                    .map(|row| self.s.apply(Builtin::Exp, row[0]))
                    .collect();
                let total = self.s.add_all(exps.clone());
                if matches!(self.m.node(id), Node::Softmax(_)) {
                    exps.into_iter()
                        .map(|e| vec![self.s.div(e, total)])
                        .collect()
                } else {
                    vec![vec![self.s.apply(Builtin::Log, total)]]
                }
            }
            Node::Apply(f, a) | Node::Jacobian(f, a) => {
                let args: Vec<Id> = self.get(a).iter().flatten().copied().collect();
                let jac = matches!(self.m.node(id), Node::Jacobian(_, _));
                let mut out = Vec::with_capacity(r);
                for l in 0..r {
                    let sym = self.s.intern(&format!("{f}_{}", l + 1));
                    let mut row = Vec::with_capacity(c);
                    for k in 0..c {
                        let partials: Box<[u16]> = if jac {
                            Box::new([k as u16])
                        } else {
                            Box::new([])
                        };
                        let g = AbstractFn {
                            name: sym,
                            partials,
                        };
                        row.push(self.s.call(Func::Abstract(Box::new(g)), args.clone()));
                    }
                    out.push(row);
                }
                out
            }
        })
    }
}
