//! Text in the input syntax: minimal parentheses, parses back to the same node.

use super::{Callee, Disp, Prec, Small, layout};
use crate::expr::{Id, Store};

/// `id` as text in the input syntax (`-2*x*(y - w*x)`, `1/(2*sqrt(x))`, `σ'(z2)`).
///
/// An expression larger than [`MAX_PRINT_NODES`](super::MAX_PRINT_NODES) written out is
/// printed as a marker, `⟨too large to print: …⟩`, instead.
pub fn text(store: &Store, id: Id) -> String {
    if let Some(f) = super::small(store, id) {
        // Built with `push_str`: `format!` costs more than the rest of these.
        return match f {
            Small::Var(x) => x.to_string(),
            Small::Call(b, x) => concat(&[b.name(), "(", x, ")"]),
            Small::Product(x, y) => concat(&[x, "*", y]),
        };
    }
    if let Some(why) = super::too_large(store, id) {
        return format!("⟨{why}⟩");
    }
    // Room for a short formula from the start (where an empty string would have grown to
    // it anyway), without growing step by step.
    let mut out = String::with_capacity(32);
    render(&layout(store, id), &mut out);
    out
}

/// The pieces, one after another.
pub(crate) fn concat(pieces: &[&str]) -> String {
    let mut out = String::with_capacity(pieces.iter().map(|p| p.len()).sum());
    for p in pieces {
        out.push_str(p);
    }
    out
}

/// Renders `d`, in parentheses when its precedence is below `min`.
fn render_at(d: &Disp, min: Prec, out: &mut String) {
    if d.prec() < min {
        out.push('(');
        render(d, out);
        out.push(')');
    } else {
        render(d, out);
    }
}

/// `-x`. A sign binds tighter than `*` and `/`, so `-(y + 1)/z` would read back as
/// `(-y - 1)/z`, another node (the sign distributes over the sum, or goes into a large
/// product kept as one factor). A product whose first factor is printed in parentheses is
/// therefore negated with an explicit factor, `-1*(y + 1)/z`, which reads back as one
/// product with coefficient -1, as printed.
fn negated(x: &Disp, out: &mut String) {
    out.push('-');
    if let Disp::Product(num, _) = x
        && num.first().is_some_and(|f| f.prec() < Prec::Pow)
    {
        out.push_str("1*");
        render(x, out);
    } else {
        render_at(x, Prec::Product, out);
    }
}

pub(super) fn render(d: &Disp, out: &mut String) {
    stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || match d {
        Disp::Num(r) => out.push_str(&r.to_string()),
        Disp::Sym(s) => out.push_str(s),
        Disp::Sum(terms) => {
            for (i, (neg, t)) in terms.iter().enumerate() {
                match (i, neg) {
                    (0, false) => {}
                    (0, true) => {
                        negated(t, out);
                        continue;
                    }
                    (_, false) => out.push_str(" + "),
                    (_, true) => out.push_str(" - "),
                }
                render_at(t, Prec::Product, out);
            }
        }
        Disp::Neg(x) => negated(x, out),
        Disp::Product(num, den) => {
            if num.is_empty() {
                out.push('1');
            }
            for (i, f) in num.iter().enumerate() {
                if i > 0 {
                    out.push('*');
                }
                render_at(f, Prec::Pow, out);
            }
            if let [number @ Disp::Num(_), sum @ Disp::Sum(_)] = den.as_slice() {
                // `a/(4*(x - y))` would read back as `a/(4*x - 4*y)`, another node: a number
                // times a lone sum is distributed. Dividing twice reads back as written.
                out.push('/');
                render_at(number, Prec::Pow, out);
                out.push('/');
                render_at(sum, Prec::Atom, out);
            } else if !den.is_empty() {
                out.push('/');
                if den.len() == 1 {
                    render_at(&den[0], Prec::Pow, out);
                } else {
                    out.push('(');
                    for (i, f) in den.iter().enumerate() {
                        if i > 0 {
                            out.push('*');
                        }
                        render_at(f, Prec::Pow, out);
                    }
                    out.push(')');
                }
            }
        }
        Disp::Pow(b, e) => {
            render_at(b, Prec::Atom, out);
            out.push('^');
            render_at(e, Prec::Atom, out);
        }
        Disp::Sqrt(x) => {
            out.push_str("sqrt(");
            render(x, out);
            out.push(')');
        }
        Disp::Call(callee, args) => {
            match callee {
                Callee::Builtin(b) => out.push_str(b.name()),
                Callee::Abstract {
                    name,
                    primes,
                    partials,
                    ..
                } => {
                    for p in partials {
                        out.push_str(&format!("∂_{p} "));
                    }
                    out.push_str(name);
                    for _ in 0..*primes {
                        out.push('\'');
                    }
                }
            }
            out.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(a, out);
            }
            out.push(')');
        }
    })
}
