//! Shaped expressions as text and LaTeX, in textbook notation: `(A + Aᵀ)*x`, `X⁻ᵀ`,
//! `(v ⊙ sigmoid'(W*x))*xᵀ`; in LaTeX `\left(A + A^\top\right) x`, `X^{-\top}`, `\odot`.
//!
//! The text form is chainrule's own syntax (it reads back), with `ᵀ`, `⊙` and `⁻¹` as a
//! textbook writes them.

use super::store::{Fun, MId, MatStore, Node};
use crate::expr::Builtin;
use crate::print::latex_name;
use rug::Rational;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Text,
    Latex,
}

/// Binding strength of what was printed: a sum binds loosest, an atom tightest.
const SUM: u8 = 1;
const NEG: u8 = 2;
const PROD: u8 = 3;
const POW: u8 = 4;
const ATOM: u8 = 5;

/// Which kind of product a printed product is, so that `(a ⊙ b)c` keeps its parentheses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Other,
    MatMul,
    Hadamard,
    Quot,
}

struct Out {
    s: String,
    prec: u8,
    kind: Kind,
}

fn out(s: String, prec: u8) -> Out {
    Out {
        s,
        prec,
        kind: Kind::Other,
    }
}

/// The expression in chainrule's text syntax.
pub fn text(store: &MatStore, id: MId) -> String {
    Printer {
        store,
        style: Style::Text,
    }
    .go(id)
    .s
}

/// The expression in LaTeX.
pub fn latex(store: &MatStore, id: MId) -> String {
    Printer {
        store,
        style: Style::Latex,
    }
    .go(id)
    .s
}

struct Printer<'a> {
    store: &'a MatStore,
    style: Style,
}

impl Printer<'_> {
    fn latex(&self) -> bool {
        self.style == Style::Latex
    }

    fn paren(&self, s: &str) -> String {
        if self.latex() {
            format!("\\left({s}\\right)")
        } else {
            format!("({s})")
        }
    }

    /// `id` printed, in parentheses when it binds looser than `min`.
    fn wrapped(&self, id: MId, min: u8) -> String {
        let o = self.go(id);
        if o.prec < min { self.paren(&o.s) } else { o.s }
    }

    /// An operand of a product of kind `kind`: parenthesised when looser than a product, or a
    /// product of another kind (`(a ⊙ b)c`), or on the right of a quotient.
    fn factor(&self, id: MId, kind: Kind, right: bool) -> String {
        let o = self.go(id);
        let mixed = o.prec == PROD && o.kind != kind && o.kind != Kind::Other;
        let needs = o.prec < PROD || mixed || (right && o.prec == PROD && kind != Kind::MatMul);
        if needs { self.paren(&o.s) } else { o.s }
    }

    fn number(&self, r: &Rational) -> Out {
        let neg = *r < 0;
        let s = if r.denom() == &1 {
            r.numer().to_string()
        } else if self.latex() {
            let a = Rational::from(r.abs_ref());
            let f = format!("\\frac{{{}}}{{{}}}", a.numer(), a.denom());
            if neg { format!("-{f}") } else { f }
        } else {
            r.to_string()
        };
        let prec = if neg {
            NEG
        } else if r.denom() == &1 || self.latex() {
            ATOM
        } else {
            PROD
        };
        out(s, prec)
    }

    fn func_name(&self, f: &Fun, order: u32) -> String {
        let primes = "'".repeat(order as usize);
        let base = match (self.style, f) {
            (Style::Text, f) => f.name().to_string(),
            (Style::Latex, Fun::Abstract(n)) => latex_name(n),
            (Style::Latex, Fun::Builtin(b)) => match b {
                Builtin::Exp
                | Builtin::Log
                | Builtin::Sin
                | Builtin::Cos
                | Builtin::Tan
                | Builtin::Cot
                | Builtin::Tanh => format!("\\{}", b.name()),
                _ => format!("\\operatorname{{{}}}", b.name()),
            },
        };
        format!("{base}{primes}")
    }

    fn call(&self, name: &str, latex: &str, a: MId) -> Out {
        let arg = self.go(a).s;
        if self.latex() {
            out(format!("{latex}\\left({arg}\\right)"), ATOM)
        } else {
            out(format!("{name}({arg})"), ATOM)
        }
    }

    fn postfix(&self, a: MId, text: &str, latex: &str) -> Out {
        let base = self.wrapped(a, ATOM);
        if self.latex() {
            out(format!("{base}^{{{latex}}}"), POW)
        } else {
            out(format!("{base}{text}"), POW)
        }
    }

    /// A term of a sum without its sign, and whether it is negative.
    fn unsigned(&self, id: MId) -> (bool, String) {
        let st = self.store;
        if let Some(r) = st.num(id)
            && *r < 0
        {
            return (true, self.number(&Rational::from(-r)).s);
        }
        if let Node::Scale(k, a) = st.node(id)
            && let Some(c) = st.num(*k)
            && *c < 0
        {
            let pos = Rational::from(-c);
            let body = self.scaled(&pos, *a);
            // -(u - 2v) is not -u - 2v.
            if body.prec <= SUM {
                return (true, self.paren(&body.s));
            }
            return (true, body.s);
        }
        (false, self.go(id).s)
    }

    /// `c·a` for a number `c > 0`.
    fn scaled(&self, c: &Rational, a: MId) -> Out {
        if *c == 1 {
            return self.go(a);
        }
        let body = self.factor(a, Kind::MatMul, true);
        if c.numer() == &1 && !self.latex() {
            let left = self.factor(a, Kind::Quot, false);
            return Out {
                s: format!("{left}/{}", c.denom()),
                prec: PROD,
                kind: Kind::Quot,
            };
        }
        let n = self.number(c).s;
        let s = if self.latex() {
            format!("{n} {body}")
        } else {
            format!("{n}*{body}")
        };
        Out {
            s,
            prec: PROD,
            kind: Kind::MatMul,
        }
    }

    /// `a op b` for a product of kind `kind`, its right operand parenthesised as
    /// [`factor`](Self::factor) says (`right_strict`); `ops` are the text and LaTeX operators.
    fn product(&self, a: MId, b: MId, kind: Kind, right_strict: bool, ops: (&str, &str)) -> Out {
        let (x, y) = (
            self.factor(a, kind, false),
            self.factor(b, kind, right_strict),
        );
        let op = if self.latex() { ops.1 } else { ops.0 };
        Out {
            s: format!("{x}{op}{y}"),
            prec: PROD,
            kind,
        }
    }

    fn go(&self, id: MId) -> Out {
        let st = self.store;
        let l = self.latex();
        match st.node(id) {
            Node::Var(n) => out(if l { latex_name(n) } else { n.clone() }, ATOM),
            Node::Num(r) => self.number(r),
            // In LaTeX with their size, which the reader needs to make the same node.
            Node::Identity(n) if l => out(format!("\\mathbf{{I}}_{{{}}}", dim_latex(n)), ATOM),
            Node::Identity(_) => out("I".to_string(), ATOM),
            // In LaTeX with their shape, which the reader needs to make the same node; in
            // text bold, never a plain `0` or `1`, which would read back as a scalar
            // (`softmax(0)` is 1, `softmax(𝟎)` a vector of 1/n).
            Node::Ones(shape) if l => {
                out(format!("\\mathbf{{1}}_{{{}}}", shape_latex(shape)), ATOM)
            }
            Node::Zero(shape) if l => {
                out(format!("\\mathbf{{0}}_{{{}}}", shape_latex(shape)), ATOM)
            }
            // A row of them transposed, as a row vector is written (`𝟏ᵀy`, not `𝟏*y`).
            Node::Ones(s) | Node::Zero(s) if s.rows.is_one() => {
                let bold = if matches!(st.node(id), Node::Ones(_)) {
                    "𝟏ᵀ"
                } else {
                    "𝟎ᵀ"
                };
                out(bold.to_string(), POW)
            }
            Node::Ones(_) => out("𝟏".to_string(), ATOM),
            Node::Zero(_) => out("𝟎".to_string(), ATOM),
            Node::Add(ts) => {
                let mut s = String::new();
                // Lead with a term that is not negative: 1 - t^2, not -t^2 + 1.
                let mut ts = ts.clone();
                if let Some(p) = ts.iter().position(|&t| !self.unsigned(t).0) {
                    let first = ts.remove(p);
                    ts.insert(0, first);
                }
                for (i, &t) in ts.iter().enumerate() {
                    let (neg, body) = self.unsigned(t);
                    let body = if self.go(t).prec <= SUM && !neg {
                        self.paren(&body)
                    } else {
                        body
                    };
                    match (i, neg) {
                        (0, true) => s.push_str(&format!("-{body}")),
                        (0, false) => s.push_str(&body),
                        (_, true) => s.push_str(&format!(" - {body}")),
                        (_, false) => s.push_str(&format!(" + {body}")),
                    }
                }
                out(s, SUM)
            }
            Node::Scale(k, a) => {
                if let Some(c) = st.num(*k) {
                    if *c < 0 {
                        let pos = Rational::from(-c);
                        let body = self.scaled(&pos, *a);
                        let body = if body.prec <= NEG {
                            self.paren(&body.s)
                        } else {
                            body.s
                        };
                        return out(format!("-{body}"), NEG);
                    }
                    return self.scaled(c, *a);
                }
                // a/b^n for a scalar b^(-n).
                if let Node::Pow(b, e) = st.node(*k)
                    && let Some(e) = st.num(*e).filter(|e| **e < 0)
                {
                    let pos = Rational::from(-e);
                    let den = if pos == 1 {
                        self.go(*b)
                    } else {
                        let base = self.wrapped(*b, ATOM);
                        let p = self.number(&pos).s;
                        if l {
                            out(format!("{base}^{{{p}}}"), POW)
                        } else if pos.denom() == &1 {
                            out(format!("{base}^{p}"), POW)
                        } else {
                            out(format!("{base}^({p})"), POW)
                        }
                    };
                    if l {
                        let num = self.go(*a).s;
                        return out(format!("\\frac{{{num}}}{{{}}}", den.s), ATOM);
                    }
                    let num = self.factor(*a, Kind::Quot, false);
                    let den = if den.prec < ATOM && pos == 1 || den.prec < POW {
                        self.paren(&den.s)
                    } else {
                        den.s
                    };
                    return Out {
                        s: format!("{num}/{den}"),
                        prec: PROD,
                        kind: Kind::Quot,
                    };
                }
                // A scalar that is itself a product (an inner product xᵀa) in parentheses
                // before a vector or matrix: (xᵀa)·a, not xᵀ·a·a.
                let scalar_product = self.go(*k).kind == Kind::MatMul && !st.is_scalar(*a);
                if scalar_product {
                    let x = self.paren(&self.go(*k).s);
                    let y = self.factor(*a, Kind::MatMul, true);
                    return Out {
                        s: if l {
                            format!("{x} {y}")
                        } else {
                            format!("{x}*{y}")
                        },
                        prec: PROD,
                        kind: Kind::MatMul,
                    };
                }
                self.product(*k, *a, Kind::MatMul, true, ("*", " "))
            }
            // A matrix product on the right of another keeps its parentheses, `A (B C)`:
            // read left to right, `A B C` is `(A B) C`, another node (and another cost).
            // (A scalar on the left moves inwards when read: `2 A B` is the node `2 (A B)`.)
            Node::MatMul(a, b) if matches!(st.node(*b), Node::MatMul(..)) && !st.is_scalar(*a) => {
                let x = self.factor(*a, Kind::MatMul, false);
                let y = self.paren(&self.go(*b).s);
                Out {
                    s: if l {
                        format!("{x} {y}")
                    } else {
                        format!("{x}*{y}")
                    },
                    prec: PROD,
                    kind: Kind::MatMul,
                }
            }
            Node::MatMul(a, b) => self.product(*a, *b, Kind::MatMul, true, ("*", " ")),
            Node::Hadamard(a, b) => {
                self.product(*a, *b, Kind::Hadamard, false, (" ⊙ ", " \\odot "))
            }
            Node::Quot(a, b) => self.product(*a, *b, Kind::Quot, true, (" ./ ", " \\oslash ")),
            Node::Pow(a, p) => {
                let elementwise = !st.is_scalar(*a);
                if st.num(*p).is_some_and(|e| *e == Rational::from((1, 2))) && !elementwise {
                    return self.call("sqrt", "\\sqrt", *a);
                }
                let base = self.wrapped(*a, ATOM);
                let e = self.go(*p);
                if l {
                    let ring = if elementwise { "\\circ " } else { "" };
                    out(format!("{base}^{{{ring}{}}}", e.s), POW)
                } else {
                    let e = if e.prec < ATOM { self.paren(&e.s) } else { e.s };
                    let op = if elementwise { ".^" } else { "^" };
                    out(format!("{base}{op}{e}"), POW)
                }
            }
            Node::Transpose(a) => {
                if let Node::Inv(b) = st.node(*a) {
                    return self.postfix(*b, "⁻ᵀ", "-\\top");
                }
                self.postfix(*a, "ᵀ", "\\top")
            }
            Node::Inv(a) => self.postfix(*a, "⁻¹", "-1"),
            Node::Map(Fun::Builtin(Builtin::Step), 0, a) if l => out(
                format!("\\mathbb{{1}}\\left\\{{{} > 0\\right\\}}", self.go(*a).s),
                ATOM,
            ),
            Node::Map(f, k, a) => {
                let name = self.func_name(f, *k);
                let arg = self.go(*a).s;
                if l {
                    out(format!("{name}\\left({arg}\\right)"), ATOM)
                } else {
                    out(format!("{name}({arg})"), ATOM)
                }
            }
            Node::Sum(a) => self.call("sum", "\\operatorname{sum}", *a),
            Node::Trace(a) => self.call("tr", "\\operatorname{tr}", *a),
            Node::Det(a) => self.call("det", "\\det", *a),
            Node::LogDet(a) => self.call("logdet", "\\log\\det", *a),
            Node::Norm1(a) | Node::Norm2(a) => {
                let k = if matches!(st.node(id), Node::Norm1(_)) {
                    1
                } else {
                    2
                };
                if l {
                    // A matrix's 2-norm is its Frobenius norm, written so: `‖A‖₂` is its
                    // spectral norm in linear algebra.
                    let shape = st.shape(*a);
                    let sub =
                        if k == 2 && !shape.is_vector() && !shape.is_row() && !shape.is_scalar() {
                            "F".to_string()
                        } else {
                            k.to_string()
                        };
                    out(
                        format!("\\left\\lVert {} \\right\\rVert_{sub}", self.go(*a).s),
                        ATOM,
                    )
                } else {
                    out(format!("norm{k}({})", self.go(*a).s), ATOM)
                }
            }
            Node::DiagMat(a) | Node::DiagVec(a) => self.call("diag", "\\operatorname{diag}", *a),
            Node::Softmax(a) => self.call("softmax", "\\operatorname{softmax}", *a),
            Node::LogSumExp(a) => self.call("logsumexp", "\\operatorname{logsumexp}", *a),
            Node::Apply(f, a) => {
                let n = if l { latex_name(f) } else { f.clone() };
                self.call(&n, &n, *a)
            }
            Node::Jacobian(f, a) => {
                let n = if l {
                    format!("\\nabla {}", latex_name(f))
                } else {
                    format!("∇{f}")
                };
                self.call(&n, &n, *a)
            }
        }
    }
}

/// A size in LaTeX: `3`, `n`, `d_{3}`.
fn dim_latex(d: &super::Dim) -> String {
    match d {
        super::Dim::Known(k) => k.to_string(),
        super::Dim::Sym(s) => latex_name(s),
    }
}

/// A shape as the subscript of `\mathbf{1}` or `\mathbf{0}`: `n` for a vector, `m \times n`.
fn shape_latex(shape: &super::Shape) -> String {
    if shape.cols.is_one() {
        dim_latex(&shape.rows)
    } else {
        format!(
            "{} \\times {}",
            dim_latex(&shape.rows),
            dim_latex(&shape.cols)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Dim, Shape, gradient};
    use super::*;

    fn store() -> MatStore {
        let mut s = MatStore::new();
        let n = Dim::Known(3);
        s.declare("A", Shape::matrix(n.clone(), n.clone()));
        s.declare("X", Shape::matrix(n.clone(), n.clone()));
        s.declare("x", Shape::vector(n.clone()));
        s.declare("v", Shape::vector(Dim::Known(2)));
        s.declare("W", Shape::matrix(Dim::Known(2), n));
        s
    }

    #[test]
    fn textbook_gradients() {
        let mut s = store();
        let (a, x) = (s.var("A"), s.var("x"));
        let xt = s.transpose(x).unwrap();
        let xta = s.matmul(xt, a).unwrap();
        let q = s.matmul(xta, x).unwrap();
        let g = gradient(&mut s, q, "x").unwrap();
        assert_eq!(text(&s, g), "(A + Aᵀ)*x");
        assert_eq!(latex(&s, g), "\\left(A + A^{\\top}\\right) x");

        let xx = s.var("X");
        let d = s.det(xx).unwrap();
        let ld = s.map(Fun::Builtin(Builtin::Log), 0, d);
        let g = gradient(&mut s, ld, "X").unwrap();
        assert_eq!(text(&s, g), "X⁻ᵀ");

        let (v, w) = (s.var("v"), s.var("W"));
        let wx = s.matmul(w, x).unwrap();
        let sig = s.map(Fun::Builtin(Builtin::Sigmoid), 0, wx);
        let vt = s.transpose(v).unwrap();
        let phi = s.matmul(vt, sig).unwrap();
        let g = gradient(&mut s, phi, "W").unwrap();
        assert_eq!(text(&s, g), "(v ⊙ sigmoid'(W*x))*xᵀ");
    }
}
