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
                StepVerdict::Right(v) => (k, "right", counterexample(v), s.inherits),
                StepVerdict::Wrong(v) => (
                    k,
                    "wrong",
                    match &s.hint {
                        Some(h) => format!("{h}; {}", counterexample(v)),
                        None => counterexample(v),
                    },
                    false,
                ),
                StepVerdict::Unreadable(why) => (k, "unreadable", why.clone(), false),
            })
            .collect()
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
            let (mut right, mut wrong, mut other) = (0, 0, 0);
            for (n, c) in chains.iter().enumerate() {
                out.push_str(&format!(
                    "Chain {} (line {}): {}\n",
                    n + 1,
                    c.sides[0].line,
                    c.sides[0].text
                ));
                for (k, verdict, detail, inherits) in steps_of(c) {
                    let (mark, words) = match (verdict, inherits) {
                        ("right", false) => {
                            right += 1;
                            ("✓", "right".to_string())
                        }
                        ("right", true) => {
                            right += 1;
                            ("~", "right, but it carries the earlier mistake".to_string())
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
                        "  {mark} step {}: … = {}   {words}\n",
                        k + 1,
                        c.sides[k + 1].text
                    ));
                }
            }
            out.push_str(&format!(
                "\n{right} step{} right, {wrong} wrong{}\n",
                if right == 1 { "" } else { "s" },
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
