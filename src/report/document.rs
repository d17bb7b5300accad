//! A report's LaTeX as a complete document (`--format latex --standalone`), and the pieces
//! of a report's LaTeX for the documents that gather several (`sheet`).
//!
//! A report's LaTeX is a fragment: display math (an environment, `\begin{aligned}` …
//! `\end{aligned}`, or one line of math each), with `% TEXT` lines between them. TEXT is LaTeX
//! in text mode, its math between `$…$` (`% Backward pass: $\delta_v = …$`): a heading when
//! math follows it, else a note. As a document, a heading becomes a `\section`, a note a
//! paragraph, each display `\[ … \]`: amsmath (and amssymb for `\mathbb{1}` and
//! `\checkmark`), no other package.

/// A piece of a report's LaTeX.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// A heading (LaTeX text, math in `$…$`).
    Heading(String),
    /// A note (LaTeX text, math in `$…$`).
    Note(String),
    /// One display of math.
    Display(String),
}

/// A fragment's pieces, in order.
pub fn pieces(fragment: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut lines = fragment.lines().peekable();
    while let Some(line) = lines.next() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            continue;
        }
        if let Some(text) = line.strip_prefix("% ") {
            out.push(Piece::Note(text.trim().to_string()));
            continue;
        }
        // An environment: every line to its `\end`, nested ones included.
        if let Some(env) = line
            .trim_start()
            .strip_prefix("\\begin{")
            .and_then(|r| r.split_once('}'))
            .map(|(e, _)| e.to_string())
        {
            let (open, close) = (format!("\\begin{{{env}}}"), format!("\\end{{{env}}}"));
            let mut depth =
                line.matches(&open).count() as i64 - line.matches(&close).count() as i64;
            let mut block = vec![line.to_string()];
            while depth > 0 {
                let Some(next) = lines.next() else { break };
                depth += next.matches(&open).count() as i64 - next.matches(&close).count() as i64;
                block.push(next.trim_end().to_string());
            }
            out.push(Piece::Display(block.join("\n")));
            continue;
        }
        out.push(Piece::Display(line.to_string()));
    }
    // A note followed by math heads it.
    for k in 0..out.len() {
        if let Piece::Note(t) = &out[k]
            && matches!(out.get(k + 1), Some(Piece::Display(_)))
        {
            out[k] = Piece::Heading(t.clone());
        }
    }
    out
}

/// Text escaped for LaTeX's text mode (a file name in a title: `hw7\_relu.chain`).
pub fn latex_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '_' | '#' | '%' | '&' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            c => out.push(c),
        }
    }
    out
}

/// The notes of a report's values (a kink met, digits lost to cancellation) as the `% note:
/// …` lines that end a LaTeX fragment: a paragraph each in a document or a sheet.
pub fn latex_notes(notes: &[String]) -> String {
    notes
        .iter()
        .map(|n| format!("% note: {}\n", latex_text(n)))
        .collect()
}

/// The preamble of every document: amsmath, and amssymb for `\mathbb{1}` and `\checkmark`.
pub const PREAMBLE: &str =
    "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{amssymb}\n";

/// A document's start: the preamble, the title (LaTeX text) and `\begin{document}`.
pub fn document_start(title: &str) -> String {
    format!("{PREAMBLE}\\title{{{title}}}\n\\date{{}}\n\\begin{{document}}\n\\maketitle\n\n")
}

/// The pieces as the body of a document: sections, paragraphs and displays.
pub fn document_body(pieces: &[Piece], section: &str) -> String {
    let mut s = String::new();
    for p in pieces {
        match p {
            Piece::Heading(t) => s.push_str(&format!("\\{section}{{{t}}}\n\n")),
            Piece::Note(t) => s.push_str(&format!("{t}\n\n")),
            Piece::Display(m) => s.push_str(&format!("\\[\n{m}\n\\]\n\n")),
        }
    }
    s
}

/// A report's LaTeX fragment as a complete document, titled `title` (LaTeX text).
pub fn standalone(title: &str, fragment: &str) -> String {
    let mut s = document_start(title);
    s.push_str(&document_body(&pieces(fragment), "section"));
    s.push_str("\\end{document}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_notes_and_displays() {
        let f = "% Forward pass at $x = 1$\n\\begin{aligned}\na &= 1 \\\\\n\\begin{bmatrix} 1 \\end{bmatrix}\n\\end{aligned}\n\n% at $x = 1$\n\\frac{a}{b} = 2\n\\text{at } x = 1\n% the end\n";
        assert_eq!(
            pieces(f),
            vec![
                Piece::Heading("Forward pass at $x = 1$".into()),
                Piece::Display(
                    "\\begin{aligned}\na &= 1 \\\\\n\\begin{bmatrix} 1 \\end{bmatrix}\n\\end{aligned}"
                        .into()
                ),
                Piece::Heading("at $x = 1$".into()),
                Piece::Display("\\frac{a}{b} = 2".into()),
                Piece::Display("\\text{at } x = 1".into()),
                Piece::Note("the end".into()),
            ]
        );
        assert_eq!(
            latex_text("hw7_relu.chain & 50%"),
            "hw7\\_relu.chain \\& 50\\%"
        );
    }
}
