//! The check report: the verdict on a claimed derivative, beside the chain rule's.

use super::formulas::{Grouping, chain_form, partial_latex, partial_text};
use super::{Style, json_text};
use crate::check::{Check, Verdict};
use crate::eval::format;
use crate::network::Network;
use crate::print::{latex, latex_name, text};
use serde::Serialize;

/// The verdict on a claimed derivative, in words (text, JSON, or LaTeX for a write-up).
pub fn check(net: &mut Network, c: &Check, claim_src: &str, style: Style) -> String {
    let lhs = partial_text(net, c.wrt);
    let lhs_latex = partial_latex(net, c.wrt);
    let (chain, chain_latex) = chain_form(net, &mut Grouping::default(), c.wrt)
        .unwrap_or_else(|| (text(&net.store, c.correct), latex(&net.store, c.correct)));
    let (mut verdict, mut verdict_latex) = verdict(c, &lhs, &lhs_latex);
    if let Some((h, h_latex)) = &c.hint {
        // "✗ Not the same: …." then what is wrong, when it is one simple thing.
        verdict = format!("{verdict} In short: {h}.");
        verdict_latex = format!("{verdict_latex} \\\\ \\text{{In short: }} {h_latex}");
    }
    match style {
        Style::Json => json_text(&CheckJson {
            program: &net.source.1,
            wrt: net.name(c.wrt),
            claim: claim_src,
            claim_parsed: text(&net.store, c.claimed),
            correct: chain,
            correct_simplified: text(&net.store, c.correct),
            agrees: c.agrees(),
            verdict,
        }),
        Style::Text => format!(
            "Your   {lhs} = {}\nchain rule: {lhs} = {chain}\n{verdict}\n",
            claim_src.trim()
        ),
        Style::Latex => format!(
            "\\begin{{gathered}}\n\\begin{{aligned}}\n\\text{{yours: }} {lhs_latex} &= {} \\\\\n\\text{{chain rule: }} {lhs_latex} &= {chain_latex}\n\\end{{aligned}} \\\\\n{verdict_latex}\n\\end{{gathered}}\n",
            latex(&net.store, c.claimed)
        ),
    }
}

/// The report as JSON.
#[derive(Serialize)]
struct CheckJson<'a> {
    program: &'a str,
    wrt: &'a str,
    claim: &'a str,
    claim_parsed: String,
    correct: String,
    correct_simplified: String,
    agrees: bool,
    verdict: String,
}

/// The verdict as text and as LaTeX, side by side; `lhs` is `∂E/∂v` in each.
fn verdict(c: &Check, lhs: &str, lhs_latex: &str) -> (String, String) {
    match &c.verdict {
        Verdict::Identical => (
            "✓ Right: it is the same formula after simplification.".to_string(),
            "\\checkmark\\ \\text{Right: it is the same formula after simplification.}".to_string(),
        ),
        Verdict::AgreesAt { trials, stand_ins } => {
            let replaced = if *stand_ins {
                " (unspecified functions replaced by random functions: quadratics, and quadratics plus a sine)"
            } else {
                ""
            };
            let why = format!(
                "Right, as far as {trials} points can tell: the two formulas have the same value at \
each{replaced}, though they do not simplify to one form."
            );
            (format!("✓ {why}"), format!("\\checkmark\\ \\text{{{why}}}"))
        }
        Verdict::Differs {
            point,
            stand_ins,
            claimed,
            correct,
        } => {
            let at: Vec<String> = point.iter().map(|(n, v)| format!("{n} = {v}")).collect();
            let at_latex: Vec<String> = point
                .iter()
                .map(|(n, v)| format!("{} = {}", latex_name(n), format::latex_rational(v)))
                .collect();
            let (with, with_latex) = if stand_ins.is_empty() {
                (String::new(), String::new())
            } else {
                let (t, l): (Vec<&str>, Vec<&str>) = stand_ins
                    .iter()
                    .map(|(t, l)| (t.as_str(), l.as_str()))
                    .unzip();
                (
                    format!("taking {} (any function would do), and ", t.join(", ")),
                    format!(
                        "\\text{{taking }} {} \\text{{ (any function would do), and }}",
                        l.join(", \\; ")
                    ),
                )
            };
            (
                format!(
                    "✗ Not the same: {with}at {}, yours is {} but {lhs} is {}.",
                    at.join(", "),
                    format::for_people(claimed, 20),
                    format::for_people(correct, 20)
                ),
                format!(
                    "\\times\\ \\text{{Not the same: }} {with_latex}\\text{{at }} {} \\text{{, yours is }} {} \\text{{ but }} {lhs_latex} \\text{{ is }} {}.",
                    at_latex.join(", \\; "),
                    format::latex(claimed, 20),
                    format::latex(correct, 20)
                ),
            )
        }
        Verdict::Undecided(why) => (
            format!("? Could not decide: {why}."),
            format!("\\text{{? Could not decide: {why}.}}"),
        ),
    }
}
