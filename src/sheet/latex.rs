//! A sheet as one LaTeX document: amsmath and amssymb, real sections, ASCII throughout (so
//! that pdflatex needs no font for Unicode). The pictures are not in it (they would need
//! packages or converted files): each section says which command draws its picture.

use super::{Block, Sheet};
use crate::print::{command_of_char, latex_name};
use crate::report::{self, latex_text};
use unicode_normalization::UnicodeNormalization as _;

/// Text spelt in ASCII for a `verbatim` block: Greek letters and `ℓ` by name (`σ` → `sigma`),
/// accents after their letter (`ŷ` → `y^hat`), a few symbols of the homework's comments as
/// their ASCII look-alikes, anything else as `?`.
pub(super) fn ascii(s: &str) -> String {
    let mut out = String::new();
    for c in s.nfd() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        let spelt = match c {
            '−' => "-",
            '·' | '⋅' | '×' => "*",
            '→' => "->",
            '∈' => " in ",
            'ᵀ' => "'",
            '≤' => "<=",
            '≥' => ">=",
            '≠' => "!=",
            '≈' => "~=",
            '∂' => "d",
            '∇' => "grad",
            '²' => "^2",
            '…' => "...",
            c => match command_of_char(c) {
                Some(w) if ('\u{300}'..='\u{36f}').contains(&c) || c == '\u{20d7}' => {
                    out.push('^');
                    w
                }
                Some(w) => w,
                None => "?",
            },
        };
        out.push_str(spelt);
    }
    out
}

/// The sheet as a LaTeX document.
pub fn latex(sheet: &Sheet) -> String {
    let title = format!("Solution sheet: \\texttt{{{}}}", latex_text(&sheet.file));
    let mut s = report::document_start(&title);
    let out = latex_name(&sheet.output);
    match &sheet.point {
        Some(p) => s.push_str(&format!("The output ${out}$ at ${p}$.\n\n")),
        None => s.push_str(&format!(
            "The output ${out}$, without a point: formulas only.\n\n"
        )),
    }
    for sec in &sheet.sections {
        s.push_str(&format!("\\section{{{}}}\n\n", sec.heading));
        for b in &sec.blocks {
            match b {
                Block::Source => {
                    s.push_str(&format!(
                        "The file \\texttt{{{}}}{}:\n\\begin{{verbatim}}\n{}\n\\end{{verbatim}}\n\n",
                        latex_text(&sheet.file),
                        if sheet.source.is_ascii() {
                            ""
                        } else {
                            " (its Greek letters and other non-ASCII characters spelt in ASCII)"
                        },
                        ascii(sheet.source.trim_end())
                    ));
                }
                Block::Latex(l) => {
                    s.push_str(&report::document_body(&report::pieces(l), "subsection*"))
                }
                Block::Svg { command, .. } => s.push_str(&format!(
                    "The picture is in the HTML sheet (\\texttt{{chainrule sheet}}), or on its own: \\texttt{{{}}}.\n\n",
                    latex_text(command)
                )),
                Block::Table(t) => s.push_str(&format!(
                    "\\begin{{verbatim}}\n{}\n\\end{{verbatim}}\n\n",
                    ascii(t.trim_end())
                )),
                Block::Note(n) => s.push_str(&format!("{n}\n\n")),
            }
        }
    }
    s.push_str("\\end{document}\n");
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn ascii_spells_greek_accents_and_symbols() {
        assert_eq!(
            super::ascii("ŷ = σ(z) · ℓ(y, ŷ) → Δ ∈ ★"),
            "y^hat = sigma(z) * ell(y, y^hat) -> Delta  in  ?"
        );
    }
}
