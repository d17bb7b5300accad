//! The report of `simplify`: an expression and the shortest equal form the rules find, with
//! the parts that must stay defined for the two to be equal.

use super::diff::written;
use super::{Render, Style};
use crate::expr::{Id, Store};
use crate::print;
use crate::simplify::size;
use serde::Serialize;

/// Said when the rules find nothing shorter than the input.
const ALREADY_SHORT: &str = "(already as short as the rules find)";

/// The data of `simplify`'s report.
pub struct SimplifyReport<'a> {
    /// The store of the expression and its simplified form.
    pub store: &'a Store,
    /// The expression as read.
    pub expr: Id,
    /// The expression as the user wrote it.
    pub src: &'a str,
    /// The shortest equal form found (`expr` itself when none is shorter).
    pub simplified: Id,
    /// Parts of the input that must be defined for the two to be equal (the simplified form
    /// no longer implies them).
    pub conditions: Vec<Id>,
}

/// The report as JSON.
#[derive(Serialize)]
struct SimplifyJson {
    input: String,
    parsed: String,
    simplified: String,
    latex: String,
    conditions: Vec<String>,
    size_before: u64,
    size_after: u64,
}

impl SimplifyReport<'_> {
    /// The report in `style`.
    pub fn render(&self, style: Style) -> String {
        Render::render(self, style)
    }

    /// Nothing shorter found: neither the rules nor reading the input (which cancels
    /// `x/x`, leaving a condition) shortened it.
    fn unchanged(&self) -> bool {
        self.simplified == self.expr && self.conditions.is_empty()
    }

    fn condition_texts(&self) -> Vec<String> {
        self.conditions
            .iter()
            .map(|c| print::text(self.store, *c))
            .collect()
    }
}

impl Render for SimplifyReport<'_> {
    /// `EXPR = SIMPLIFIED`, then where the equality holds, or that nothing shorter was found.
    fn text(&self) -> String {
        let mut out = format!(
            "{} = {}\n",
            written(self.src),
            print::text(self.store, self.simplified)
        );
        let conds = self.condition_texts();
        if !conds.is_empty() {
            out.push_str(&format!(
                "  where {} {} defined\n",
                list(&conds),
                be(&conds)
            ));
        }
        if self.unchanged() {
            out.push_str(&format!("  {ALREADY_SHORT}\n"));
        }
        out
    }

    /// The same in LaTeX (`\text{…}` for the words, as KaTeX renders it).
    fn latex(&self) -> String {
        let store = self.store;
        let names: Vec<String> = store
            .free_symbols(self.expr)
            .into_iter()
            .map(|s| store.name(s).to_string())
            .collect();
        let in_play: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut out = String::new();
        print::with_names_in_play(&in_play, || {
            out.push_str(&format!(
                "{} = {}\n",
                print::latex(store, self.expr),
                print::latex(store, self.simplified)
            ));
            let conds: Vec<String> = self
                .conditions
                .iter()
                .map(|c| print::latex(store, *c))
                .collect();
            if !conds.is_empty() {
                let parts: Vec<String> = conds.iter().map(|c| format!("${c}$")).collect();
                out.push_str(&format!(
                    "\\text{{where {} {} defined}}\n",
                    list(&parts),
                    be(&conds)
                ));
            }
            if self.unchanged() {
                out.push_str(&format!("\\text{{{ALREADY_SHORT}}}\n"));
            }
        });
        out
    }

    fn json_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        super::write_json(&self.json(), w)
    }
}

impl SimplifyReport<'_> {
    fn json(&self) -> impl Serialize + '_ {
        let store = self.store;
        SimplifyJson {
            input: written(self.src),
            parsed: print::text(store, self.expr),
            simplified: print::text(store, self.simplified),
            latex: print::latex(store, self.simplified),
            conditions: self.condition_texts(),
            size_before: size::ops(store, self.expr),
            size_after: size::ops(store, self.simplified),
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `is` or `are`, for the number of `items`.
fn be(items: &[String]) -> &'static str {
    if items.len() == 1 { "is" } else { "are" }
}
