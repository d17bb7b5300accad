//! The grade report: each chain of equalities of a solution, step by step, right or wrong,
//! with a counterexample for the wrong ones and a mark on the steps that carry an earlier
//! mistake.

use super::{Style, json_text};
use crate::check::{GradedChain, StepVerdict, Verdict};
use crate::eval::format;
use serde::Serialize;

#[derive(Serialize)]
struct StepJson<'a> {
    left: &'a str,
    right: &'a str,
    line: usize,
    verdict: &'static str,
    detail: String,
    inherits_earlier_mistake: bool,
    /// The functions of the program's `take` the verdict needed (`ℓ(y, ŷ) = (y - ŷ)^2`):
    /// a right step with some holds for those, not for every function. Empty otherwise.
    assumes: &'a [String],
}

#[derive(Serialize)]
struct ChainJson<'a> {
    line: usize,
    steps: Vec<StepJson<'a>>,
}

#[derive(Serialize)]
struct GradeJson<'a> {
    program: &'a str,
    solution: &'a str,
    chains: Vec<ChainJson<'a>>,
}

/// Why a step is wrong, in words: where the two sides differ.
fn counterexample(v: &Verdict) -> String {
    match v {
        Verdict::Differs {
            point,
            stand_ins,
            claimed,
            correct,
        } => {
            let at: Vec<String> = point.iter().map(|(n, v)| format!("{n} = {v}")).collect();
            let with = if stand_ins.is_empty() {
                String::new()
            } else {
                let t: Vec<&str> = stand_ins.iter().map(|(t, _)| t.as_str()).collect();
                format!("taking {} (any function would do), ", t.join(", "))
            };
            format!(
                "{with}at {} the left side is {} but the right side is {}",
                at.join(", "),
                format::for_people(claimed, 12),
                format::for_people(correct, 12)
            )
        }
        Verdict::Identical => "the same formula".to_string(),
        // One point: a numeric step, or values put in, compared at the program's point.
        Verdict::AgreesAt { trials: 1, .. } => "equal at the one point tried".to_string(),
        Verdict::AgreesAt { trials, .. } => format!("equal at the {trials} points tried"),
        Verdict::Undecided(why) => why.clone(),
    }
}

/// The graded chains of `solution` against `program`.
pub fn grade(chains: &[GradedChain], program: &str, solution: &str, style: Style) -> String {
    let steps_of = |c: &GradedChain| -> Vec<(usize, &'static str, String, bool)> {
        c.steps
            .iter()
            .enumerate()
            .map(|(k, s)| match &s.verdict {
                StepVerdict::Right(v) => {
                    let detail = match &s.rounded {
                        Some(r) => format!("rounded {r}"),
                        None => counterexample(v),
                    };
                    (k, "right", detail, s.inherits)
                }
                StepVerdict::Wrong(v) => {
                    let with = if s.assumes.is_empty() {
                        String::new()
                    } else {
                        format!("with {}, ", s.assumes.join(", "))
                    };
                    let detail = match &s.hint {
                        Some(h) => format!("{h}; {with}{}", counterexample(v)),
                        None => format!("{with}{}", counterexample(v)),
                    };
                    (k, "wrong", detail, false)
                }
                StepVerdict::Unreadable(why) => (k, "unreadable", why.clone(), false),
            })
            .collect()
    };
    // A right step that needed the instance: for which functions (and, for a number, at
    // the program's point).
    let only_for = |s: &crate::check::GradedStep| -> Option<String> {
        if s.assumes.is_empty() || !matches!(s.verdict, StepVerdict::Right(_)) {
            return None;
        }
        let names: Vec<&str> = s
            .assumes
            .iter()
            .map(|a| a.split('(').next().unwrap_or(a))
            .collect();
        Some(if s.numeric {
            format!("at the program's point, with {}", s.assumes.join(", "))
        } else {
            format!(
                "for {}, not for every {}",
                s.assumes.join(", "),
                names.join(" and every ")
            )
        })
    };
    match style {
        Style::Json => json_text(&GradeJson {
            program,
            solution,
            chains: chains
                .iter()
                .map(|c| ChainJson {
                    line: c.sides[0].line,
                    steps: steps_of(c)
                        .into_iter()
                        .map(|(k, verdict, detail, inherits)| StepJson {
                            left: &c.sides[k].text,
                            right: &c.sides[k + 1].text,
                            line: c.sides[k + 1].line,
                            verdict,
                            detail,
                            inherits_earlier_mistake: inherits,
                            assumes: &c.steps[k].assumes,
                        })
                        .collect(),
                })
                .collect(),
        }),
        _ => {
            let mut out = String::new();
            if chains.is_empty() {
                out.push_str(&format!(
                    "{solution} has no chain of equalities in display math ($$…$$, \\[…\\], align or aligned)\n"
                ));
            }
            let (mut right, mut wrong, mut other, mut instance_only) = (0, 0, 0, 0);
            for (n, c) in chains.iter().enumerate() {
                out.push_str(&format!(
                    "Chain {} (line {}): {}\n",
                    n + 1,
                    c.sides[0].line,
                    c.sides[0].text
                ));
                for (k, verdict, detail, inherits) in steps_of(c) {
                    let only = only_for(&c.steps[k]);
                    let right_words = match &only {
                        Some(o) => {
                            instance_only += 1;
                            format!("right {o}")
                        }
                        None => "right".to_string(),
                    };
                    let right_words = match &c.steps[k].rounded {
                        Some(r) => format!("{right_words}, rounded {r}"),
                        None => right_words,
                    };
                    let (mark, words) = match (verdict, inherits) {
                        ("right", false) => {
                            right += 1;
                            ("✓", right_words)
                        }
                        ("right", true) => {
                            right += 1;
                            (
                                "~",
                                format!("{right_words}, but it carries the earlier mistake"),
                            )
                        }
                        ("wrong", _) => {
                            wrong += 1;
                            ("✗", format!("wrong: {detail}"))
                        }
                        _ => {
                            other += 1;
                            ("?", format!("not graded: {}", detail.trim()))
                        }
                    };
                    out.push_str(&format!(
                        "  {mark} step {}: … {} {}   {words}\n",
                        k + 1,
                        if c.sides[k + 1].approx { "≈" } else { "=" },
                        c.sides[k + 1].text
                    ));
                }
            }
            out.push_str(&format!(
                "\n{right} step{} right{}, {wrong} wrong{}\n",
                if right == 1 { "" } else { "s" },
                if instance_only > 0 {
                    format!(" ({instance_only} of them only for the program's `take`)")
                } else {
                    String::new()
                },
                if other > 0 {
                    format!(", {other} not graded")
                } else {
                    String::new()
                }
            ));
            out
        }
    }
}
