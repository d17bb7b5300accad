//! LaTeX in textbook style, for KaTeX and for pasting into homework.

use super::{Callee, Disp, Prec, layout};
use crate::expr::{Builtin, Id, Store};
use rug::Rational;

pub use super::names::latex_name;
use super::names::with_names_in_play;

/// `id` as LaTeX (`-2 x \cdot \left(y - w x\right)` style, `\frac{1}{2 \sqrt{x}}`).
///
/// An expression larger than [`MAX_PRINT_NODES`](super::MAX_PRINT_NODES) written out is
/// printed as a marker, `\text{⟨too large to print: …⟩}`, instead.
pub fn latex(store: &Store, id: Id) -> String {
    // A variable or a product of two, with names in play already: no layout needed (nor a
    // size check: they are a few nodes).
    // (A name's LaTeX when in play is found with the question whether it is.)
    use super::names::latex_name_in_play as in_play;
    match super::small(store, id) {
        Some(super::Small::Var(x)) => {
            if let Some(l) = in_play(x) {
                return l;
            }
        }
        Some(super::Small::Product(x, y)) => {
            if let Some(lx) = in_play(x)
                && let Some(ly) = in_play(y)
            {
                // Two variables are juxtaposed, as [`factors`] writes them.
                return super::text::concat(&[&lx, " ", &ly]);
            }
        }
        Some(super::Small::Call(b, x)) => {
            if let Some(lx) = in_play(x) {
                let found = [(x, lx)];
                let mut out = Out {
                    text: String::new(),
                    found: &found,
                };
                call(&Callee::Builtin(b), &[Disp::Sym(x.to_string())], &mut out);
                return out.text;
            }
        }
        _ => {}
    }
    if let Some(why) = super::too_large(store, id) {
        return format!("\\text{{⟨{why}⟩}}");
    }
    let d = layout(store, id);
    let mut names = Vec::new();
    names_of(&d, &mut names);
    // Room for a short formula from the start, as in `text`.
    let text = String::with_capacity(32);
    // A formula of a few names, all in play already (a program's formula in its report):
    // each name's LaTeX is found once, not once to ask whether it is in play and again to
    // print it (a fifth of the time a 10^5-layer program's report took to write was spent
    // finding names).
    if names.len() <= FOUND_MAX {
        let found: Option<Vec<(&str, String)>> =
            names.iter().map(|n| Some((*n, in_play(n)?))).collect();
        if let Some(found) = found {
            let mut out = Out {
                text,
                found: &found,
            };
            render(&d, &mut out);
            return out.text;
        }
    }
    let mut out = Out { text, found: &[] };
    with_names_in_play(&names, || render(&d, &mut out));
    out.text
}

/// Up to how many names a formula's LaTeX names are found before it is printed ([`Out::found`]):
/// each is then looked for in that list as it is printed.
const FOUND_MAX: usize = 16;

/// The names a layout prints: variables, functions and declared parameters.
fn names_of<'a>(d: &'a Disp, out: &mut Vec<&'a str>) {
    stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || match d {
        Disp::Num(_) => {}
        Disp::Sym(s) => out.push(s),
        Disp::Sum(terms) => terms.iter().for_each(|(_, t)| names_of(t, out)),
        Disp::Neg(x) | Disp::Sqrt(x) => names_of(x, out),
        Disp::Product(n, m) => n.iter().chain(m).for_each(|f| names_of(f, out)),
        Disp::Pow(b, e) => {
            names_of(b, out);
            names_of(e, out);
        }
        Disp::Call(c, args) => {
            if let Callee::Abstract { name, params, .. } = c {
                out.push(name);
                out.extend(params.iter().flatten().map(String::as_str));
            }
            args.iter().for_each(|a| names_of(a, out));
        }
    });
}

/// LaTeX being written. (`sigmoid` is `\operatorname{sigmoid}`, never `\sigma`, which
/// the reader takes for the homework's unspecified σ: every LaTeX printed reads back to the
/// node printed.)
struct Out<'a> {
    text: String,
    /// Names' LaTeX found already, all in play (see [`latex`]); a name not among them is
    /// found as it is printed.
    found: &'a [(&'a str, String)],
}

impl Out<'_> {
    /// The LaTeX of the name `n`.
    fn name(&self, n: &str) -> String {
        match self.found.iter().find(|(f, _)| *f == n) {
            Some((_, l)) => l.clone(),
            None => latex_name(n),
        }
    }
}

impl std::ops::Deref for Out<'_> {
    type Target = String;
    fn deref(&self) -> &String {
        &self.text
    }
}

impl std::ops::DerefMut for Out<'_> {
    fn deref_mut(&mut self) -> &mut String {
        &mut self.text
    }
}

fn render_at(d: &Disp, min: Prec, out: &mut Out) {
    if d.prec() < min {
        out.push_str("\\left(");
        render(d, out);
        out.push_str("\\right)");
    } else {
        render(d, out);
    }
}

fn number(r: &Rational, out: &mut Out) {
    if *r.denom() == 1 {
        out.push_str(&r.numer().to_string());
    } else {
        out.push_str(&format!("\\frac{{{}}}{{{}}}", r.numer(), r.denom()));
    }
}

/// Whether a factor reads well juxtaposed with its neighbour (`2 x`, `w_{1} x^{2}`).
fn simple(d: &Disp) -> bool {
    match d {
        Disp::Sym(_) | Disp::Sqrt(_) => true,
        Disp::Pow(b, _) => matches!(**b, Disp::Sym(_)),
        _ => false,
    }
}

/// Factors joined textbook-style: a number or a simple factor followed by a simple factor or
/// a parenthesised sum is juxtaposed (`2 x`, `w x`, `x \left(y - w x\right)`); anything else is
/// separated by `\cdot` (`\sigma'(z) \cdot w`).
fn factors(fs: &[Disp], out: &mut Out) {
    if let [only] = fs {
        // Alone in a numerator or denominator: the fraction bar already groups it.
        render(only, out);
        return;
    }
    for (i, f) in fs.iter().enumerate() {
        if i > 0 {
            let prev = &fs[i - 1];
            let next_ok = simple(f) || matches!(f, Disp::Sum(_));
            let juxtapose = match prev {
                Disp::Num(_) => !matches!(f, Disp::Num(_)),
                _ => simple(prev) && next_ok,
            };
            out.push_str(if juxtapose { " " } else { " \\cdot " });
        }
        render_at(f, Prec::Pow, out);
    }
}

fn render(d: &Disp, out: &mut Out) {
    stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || match d {
        Disp::Num(r) => number(r, out),
        Disp::Sym(s) => {
            let l = out.name(s);
            out.push_str(&l);
        }
        Disp::Sum(terms) => {
            for (i, (neg, t)) in terms.iter().enumerate() {
                match (i, neg) {
                    (0, false) => {}
                    (0, true) => out.push('-'),
                    (_, false) => out.push_str(" + "),
                    (_, true) => out.push_str(" - "),
                }
                render_at(t, Prec::Product, out);
            }
        }
        Disp::Neg(x) => {
            out.push('-');
            render_at(x, Prec::Product, out);
        }
        Disp::Product(num, den) => {
            if den.is_empty() {
                factors(num, out);
            } else {
                out.push_str("\\frac{");
                if num.is_empty() {
                    out.push('1');
                } else {
                    factors(num, out);
                }
                out.push_str("}{");
                factors(den, out);
                out.push('}');
            }
        }
        Disp::Pow(b, e) => {
            render_at(b, Prec::Atom, out);
            out.push_str("^{");
            render(e, out);
            out.push('}');
        }
        Disp::Sqrt(x) => {
            out.push_str("\\sqrt{");
            render(x, out);
            out.push('}');
        }
        Disp::Call(callee, args) => call(callee, args, out),
    })
}

fn args_in_parens(args: &[Disp], out: &mut Out) {
    out.push_str("\\left(");
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        render(a, out);
    }
    out.push_str("\\right)");
}

fn call(callee: &Callee, args: &[Disp], out: &mut Out) {
    match callee {
        Callee::Builtin(b) => match b {
            Builtin::Step => {
                out.push_str("\\mathbb{1}\\{");
                render(&args[0], out);
                out.push_str(" > 0\\}");
                return;
            }
            Builtin::Abs => {
                out.push_str("\\left|");
                render(&args[0], out);
                out.push_str("\\right|");
                return;
            }
            Builtin::Exp
            | Builtin::Log
            | Builtin::Sin
            | Builtin::Cos
            | Builtin::Tan
            | Builtin::Cot
            | Builtin::Tanh
            | Builtin::Max
            | Builtin::Min => {
                out.push('\\');
                out.push_str(b.name());
            }
            Builtin::Sign
            | Builtin::Sigmoid
            | Builtin::Relu
            | Builtin::Softplus
            | Builtin::Sech => {
                out.push_str(&format!("\\operatorname{{{}}}", b.name()));
            }
        },
        Callee::Abstract {
            name,
            primes,
            partials,
            params,
        } => {
            // By parameter name when the function was declared (`∂_ŷ ℓ`), else by slot.
            for p in partials {
                let sub = match params {
                    Some(names) => out.name(&names[p - 1]),
                    None => p.to_string(),
                };
                out.push_str(&format!("\\partial_{{{sub}}} "));
            }
            let n = out.name(name);
            let n = if n.starts_with("\\mathrm{") {
                n.replacen("\\mathrm", "\\operatorname", 1)
            } else {
                n
            };
            out.push_str(&n);
            match primes {
                0 => {}
                1..=3 => out.push_str(&"'".repeat(*primes)),
                k => out.push_str(&format!("^{{({k})}}")),
            }
        }
    }
    args_in_parens(args, out);
}
