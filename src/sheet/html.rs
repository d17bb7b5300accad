//! A sheet as one self-contained HTML page: math as MathML, pictures as inline SVG, one
//! stylesheet in the page, no script and nothing loaded from elsewhere.
//!
//! The math is the reports' own LaTeX, turned into MathML Core by pulldown-latex: one source
//! for the LaTeX and the page (which KaTeX already checks), instead of a third printer that
//! would have to make every report's layout (chains, aligned rows, matrices, verdicts) a
//! second time and could drift from it.

use super::{Block, Sheet};
use crate::error::{Error, Result};
use crate::report;
use pulldown_latex::config::DisplayMode;
use pulldown_latex::{Parser, RenderConfig, Storage, push_mathml};
use std::fmt::Write as _;

/// LaTeX math as MathML: a `<math>` element, displayed as a block or inline.
///
/// Errors: [`Error::Internal`] when pulldown-latex cannot read it (every LaTeX chainrule
/// prints should read).
pub fn mathml(latex: &str, block: bool) -> Result<String> {
    let storage = Storage::new();
    let parser = Parser::new(latex, &storage);
    let config = RenderConfig {
        display_mode: if block {
            DisplayMode::Block
        } else {
            DisplayMode::Inline
        },
        // An error is ours to report, not a red box in the page.
        ..RenderConfig::default()
    };
    let mut out = String::new();
    push_mathml(&mut out, parser, config)
        .map_err(|e| Error::Internal(format!("cannot write `{latex}` as MathML: {e}")))?;
    if out.contains("<merror") {
        return Err(Error::Internal(format!(
            "cannot write `{latex}` as MathML: {out}"
        )));
    }
    Ok(out)
}

/// Text escaped for HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// LaTeX text (math in `$…$`, `\texttt{…}`, `\_` and the other escapes of
/// [`report::latex_text`]) as HTML, the math as inline MathML.
fn text(latex_text: &str) -> Result<String> {
    // `\$` is a dollar sign, not math: kept aside while the text is split at the others.
    const DOLLAR: &str = "\u{0}";
    let mut out = String::new();
    for (k, part) in latex_text.replace("\\$", DOLLAR).split('$').enumerate() {
        if k % 2 == 1 {
            out.push_str(&mathml(&part.replace(DOLLAR, "\\$"), false)?);
        } else {
            out.push_str(&plain(part).replace(DOLLAR, "$"));
        }
    }
    Ok(out)
}

/// LaTeX text without math as HTML: `\texttt{x}` as `<code>`, escapes undone.
fn plain(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find("\\texttt{") {
        out.push_str(&unescape(&rest[..at]));
        let after = &rest[at + "\\texttt{".len()..];
        // The argument ends at the first unescaped `}`.
        let mut end = after.len();
        let b = after.as_bytes();
        for i in 0..b.len() {
            if b[i] == b'}' && (i == 0 || b[i - 1] != b'\\') {
                end = i;
                break;
            }
        }
        let _ = write!(out, "<code>{}</code>", unescape(&after[..end]));
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(&unescape(rest));
    out
}

fn unescape(s: &str) -> String {
    let s = s
        .replace("\\textbackslash{}", "\\")
        .replace("\\textasciitilde{}", "~")
        .replace("\\textasciicircum{}", "^");
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&n) = chars.peek()
            && "{}_#%&".contains(n)
        {
            out.push(n);
            chars.next();
            continue;
        }
        out.push(c);
    }
    esc(&out)
}

/// The MathML stylesheet: alignment of `aligned` rows and matrix spacing (after
/// pulldown-latex's own `styles.css`, MIT), without its web fonts: the page loads nothing.
const STYLE: &str = r#"body { font-family: "DejaVu Serif", Georgia, serif; max-width: 70rem; margin: 2rem auto; padding: 0 1.5rem; color: #111; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 2.2rem; }
nav ol { columns: 2; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: 0.7rem 1rem; overflow-x: auto; font-size: 0.85rem; line-height: 1.3; }
.display { overflow-x: auto; margin: 0.8rem 0; }
.picture { overflow-x: auto; margin: 0.8rem 0; }
.picture svg { max-width: none; }
@media print { .picture { overflow: visible; } .picture svg { max-width: 100%; height: auto; } }
.command { font-size: 0.85rem; color: #555; }
.note { color: #333; }
math { font-family: "Latin Modern Math", "STIX Two Math", "DejaVu Math TeX Gyre", math; font-size: 1.1em; }
math[display="block"] { margin: 0.5rem 0; }
mtd { padding-left: 0; padding-right: 0; math-style: normal; }
mtable { border-spacing: 0; border-collapse: collapse; }
mtr:last-child > mtd:empty:only-child { display: none; }
mtable.menv-alignlike > mtr > mtd:nth-child(odd) { text-align: right; text-align: -webkit-right; }
mtable.menv-alignlike > mtr > mtd:nth-child(even) { text-align: left; }
mtable.menv-align > mtr > mtd:nth-child(2n + 3) { padding-left: 1em; }
mtable.menv-arraylike > mtr > mtd { padding-left: 0.4em; padding-right: 0.4em; }
mtable.menv-matrix > mtr > mtd:first-child { padding-left: 0; }
mtable.menv-matrix > mtr > mtd:last-child { padding-right: 0; }
"#;

/// The sheet as one HTML page.
///
/// Errors: [`Error::Internal`] when some LaTeX cannot be written as MathML.
pub fn html(sheet: &Sheet) -> Result<String> {
    let mut s = String::new();
    let title = format!("Solution sheet: {}", sheet.file);
    let _ = writeln!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n<meta name=\"generator\" content=\"chainrule sheet\" />\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>",
        esc(&title)
    );
    let _ = writeln!(s, "<h1>{}</h1>", esc(&title));
    let at = match &sheet.point {
        Some(p) => format!(
            "The output {} at {}.",
            mathml(&crate::print::latex_name(&sheet.output), false)?,
            mathml(p, false)?
        ),
        None => format!(
            "The output {}, without a point: formulas only.",
            mathml(&crate::print::latex_name(&sheet.output), false)?
        ),
    };
    let _ = writeln!(s, "<p class=\"point\">{at}</p>");
    s.push_str("<nav><ol>\n");
    for sec in &sheet.sections {
        let _ = writeln!(
            s,
            "<li><a href=\"#{}\">{}</a></li>",
            esc(&sec.id),
            text(&sec.heading)?
        );
    }
    s.push_str("</ol></nav>\n");
    for (k, sec) in sheet.sections.iter().enumerate() {
        let _ = writeln!(
            s,
            "<section id=\"{}\">\n<h2>{}. {}</h2>",
            esc(&sec.id),
            k + 1,
            text(&sec.heading)?
        );
        for b in &sec.blocks {
            match b {
                Block::Source => {
                    let _ = writeln!(
                        s,
                        "<p class=\"command\">{}</p>\n<pre class=\"source\">{}</pre>",
                        esc(&sheet.file),
                        esc(sheet.source.trim_end())
                    );
                }
                Block::Latex(l) => {
                    for p in report::pieces(l) {
                        match p {
                            report::Piece::Heading(h) => {
                                let _ = writeln!(s, "<h3>{}</h3>", text(&h)?);
                            }
                            report::Piece::Note(n) => {
                                let _ = writeln!(s, "<p class=\"note\">{}</p>", text(&n)?);
                            }
                            report::Piece::Display(d) => {
                                let _ = writeln!(
                                    s,
                                    "<div class=\"display\">{}</div>",
                                    mathml(&d, true)?
                                );
                            }
                        }
                    }
                }
                Block::Svg { svg, command } => {
                    // The picture inline, without its XML declaration if any.
                    let svg = svg
                        .trim_start()
                        .strip_prefix("<?xml")
                        .and_then(|r| r.split_once("?>").map(|(_, r)| r))
                        .unwrap_or(svg);
                    let _ = writeln!(
                        s,
                        "<div class=\"picture\">\n{}</div>\n<p class=\"command\">On its own: <code>{}</code></p>",
                        svg.trim_start(),
                        esc(command)
                    );
                }
                Block::Table(t) => {
                    let _ = writeln!(s, "<pre class=\"table\">{}</pre>", esc(t.trim_end()));
                }
                Block::Note(n) => {
                    let _ = writeln!(s, "<p class=\"note\">{}</p>", text(n)?);
                }
            }
        }
        s.push_str("</section>\n");
    }
    s.push_str("</body>\n</html>\n");
    Ok(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn latex_text_as_html() {
        let h =
            super::text("costs \\$5 at $x_{1} = 2$ in \\texttt{hw7\\_relu.chain} & <b>").unwrap();
        assert!(
            h.starts_with("costs $5 at <math display=\"inline\">"),
            "{h}"
        );
        assert!(
            h.contains("<mn>2</mn></math> in <code>hw7_relu.chain</code> &amp; &lt;b&gt;"),
            "{h}"
        );
        assert!(super::mathml("\\frac{1}{", true).is_err());
    }
}
