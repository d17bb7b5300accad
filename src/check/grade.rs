//! Grading a derivation: every `=` of every chain of equalities in a student's solution is a
//! claim that two formulas are equal as functions of the program's inputs (or, for a number,
//! equal at the program's point). Each step is judged on its own, and a step that is right
//! but whose sides differ from the chain's first side is marked as carrying an earlier
//! mistake.
//!
//! A program that leaves σ and ℓ unspecified may fix one instance of them (`take σ(t) =
//! relu(t), ℓ(y, ŷ) = (y - ŷ)^2, x = 1, …`, as the homework does). A step is judged for
//! every σ and ℓ first; one that holds only for the instance's (`∂E/∂ŷ = -2(y - ŷ)`) is
//! right *for those*, and says which it needed; a number is checked at the instance's point.
//!
//! A number written with a decimal point (`-12.698`, after `=` or `≈`) is taken as rounded:
//! the step is right when the other side's value rounds to it, and says to how many digits.

use super::{Claim, Verdict, compare_claims, compare_claims_taking, read_claim};
use crate::error::Error;
use crate::eval::{Value, format};
use crate::network::Network;
use crate::syntax::{self, Chain};
use rug::Rational;
use rug::ops::Pow;

/// One side of a chain, read or not.
#[derive(Debug)]
pub struct GradedSide {
    /// The side as written.
    pub text: String,
    /// Whether `≈` (not `=`) comes before it: a whole number after it is rounded too.
    pub approx: bool,
    /// The line of the file it starts on (from 1).
    pub line: usize,
    /// The formula, or why it could not be read.
    pub read: Result<Claim, Error>,
}

/// The verdict on one `=`.
#[derive(Debug)]
pub enum StepVerdict {
    /// The two sides are equal.
    Right(Verdict),
    /// The two sides differ (the verdict has the counterexample).
    Wrong(Verdict),
    /// A side could not be read, or no point decided.
    Unreadable(String),
}

/// One step `sides[k] = sides[k + 1]`.
#[derive(Debug)]
pub struct GradedStep {
    /// The verdict.
    pub verdict: StepVerdict,
    /// Right, but the right side is not equal to the chain's first side: it carries a mistake
    /// made in an earlier step.
    pub inherits: bool,
    /// For a wrong step, what is wrong when it is one simple thing (a sign, a factor, a name).
    pub hint: Option<String>,
    /// For a right step that holds only for the program's instance (its `take`), the
    /// functions it needed, as taken (`ℓ(y, ŷ) = (y - ŷ)^2`); empty when it holds for every
    /// function.
    pub assumes: Vec<String>,
    /// Whether a side is a number (the step is checked at the program's point only).
    pub numeric: bool,
    /// For a right step with a number written with a decimal point that the other side's
    /// value only rounds to: to how many significant digits, and that value.
    pub rounded: Option<String>,
}

/// A graded chain.
#[derive(Debug)]
pub struct GradedChain {
    /// Its sides.
    pub sides: Vec<GradedSide>,
    /// Its steps: one per `=`.
    pub steps: Vec<GradedStep>,
}

impl GradedChain {
    /// The first wrong step, if any.
    pub fn first_wrong(&self) -> Option<usize> {
        self.steps
            .iter()
            .position(|s| matches!(s.verdict, StepVerdict::Wrong(_)))
    }
}

/// The verdict on `a = b`: for every unspecified function first; if not right so and the
/// program has an instance, under it, with each one function the two sides call taken alone,
/// then all of them. Returns the verdict and the functions taken (indices into the
/// instance's) when only the instance makes the step right, or makes a number wrong.
fn judge(net: &mut Network, a: &Claim, b: &Claim) -> (Verdict, Vec<usize>) {
    let general = compare_claims(net, a, b);
    if equal(&general) || net.instance.is_none() {
        return (general, Vec::new());
    }
    let used = net.taken_functions_in(&[a.expanded, b.expanded]);
    let mut tries: Vec<Vec<usize>> = used.iter().map(|&i| vec![i]).collect();
    if used.len() != 1 {
        tries.push(used.clone());
    }
    let mut last = None;
    for taken in tries {
        let v = compare_claims_taking(net, a, b, &taken);
        if equal(&v) {
            return (v, taken);
        }
        last = Some((v, taken));
    }
    match (general, last) {
        // A number that no function decides (`= 16` without values) is wrong when the
        // instance decides it otherwise.
        (Verdict::Undecided(_), Some((v @ Verdict::Differs { .. }, taken))) => (v, taken),
        (general, _) => (general, Vec::new()),
    }
}

/// A number as written ([`written_number`]).
struct Written {
    value: Rational,
    /// The power of ten of its last significant digit.
    last: i32,
    /// How many of its digits are significant: 0 for a 0.
    significant: usize,
}

/// A number written to some digits: one with a decimal point (`-12.698`, `0.50`, `+3.`,
/// `1.2 \times 10^{-5}`, `1.2e-5`), or with `approx` (after `≈`) a whole number too (`-13`,
/// `123000`, whose trailing zeros are not significant).
fn written_number(text: &str, approx: bool) -> Option<Written> {
    // `{-12.698}`, `(-12.698)`, `-(12.698)`, with the minus sign `−`.
    let text = text.replace('−', "-");
    let mut t = text.trim();
    let mut negative = false;
    loop {
        if let Some(inner) = t
            .strip_prefix('{')
            .and_then(|r| r.strip_suffix('}'))
            .or_else(|| t.strip_prefix('(').and_then(|r| r.strip_suffix(')')))
        {
            t = inner.trim();
        } else if let Some(r) = t.strip_prefix('-') {
            negative = !negative;
            t = r.trim_start();
        } else if let Some(r) = t.strip_prefix('+') {
            t = r.trim_start();
        } else {
            break;
        }
    }
    // A power of ten: `m \times 10^{e}`, `m \cdot 10^{e}`, `m×10^e`, `m e e`.
    let (mantissa, exp) = match scientific(t) {
        Some((m, e)) => (m, Some(e)),
        None => (t, None),
    };
    let (int, frac, point) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f, true),
        None if approx || exp.is_some() => (mantissa, "", false),
        None => return None,
    };
    if int.is_empty() && frac.is_empty()
        || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let digits: String = int.chars().chain(frac.chars()).collect();
    let leading = digits.trim_start_matches('0');
    let exp = exp.unwrap_or(0);
    let frac_len = i32::try_from(frac.len()).ok()?;
    // A whole number's trailing zeros are not significant (`≈ 123000`); after a point they are.
    let zeros = if point {
        0
    } else {
        leading.len() - leading.trim_end_matches('0').len()
    };
    let significant = leading.len() - zeros;
    let last = exp - frac_len + i32::try_from(zeros).ok()?;
    let mut value = Rational::from(digits.parse::<rug::Integer>().ok()?);
    let shift = exp - frac_len;
    let ten = Rational::from(rug::Integer::from(10).pow(shift.unsigned_abs()));
    value = if shift >= 0 { value * ten } else { value / ten };
    if negative {
        value = -value;
    }
    Some(Written {
        value,
        last,
        significant,
    })
}

/// [`written_number`], if it is a rounding: not a 0.
fn rounded_number(text: &str, approx: bool) -> Option<Written> {
    written_number(text, approx).filter(|w| w.significant > 0)
}

/// `m \times 10^{e}` (or `\cdot`, `×`, `·`, `1.2e-5`): the mantissa's text and the exponent.
fn scientific(t: &str) -> Option<(&str, i32)> {
    for times in ["\\times", "\\cdot", "×", "·"] {
        if let Some((m, rest)) = t.split_once(times) {
            let rest = rest
                .trim()
                .strip_prefix("10")?
                .trim_start()
                .strip_prefix('^')?;
            let e = rest.trim();
            let e = e
                .strip_prefix('{')
                .and_then(|r| r.strip_suffix('}'))
                .unwrap_or(e)
                .trim();
            return Some((m.trim(), e.replace('−', "-").parse().ok()?));
        }
    }
    let (m, e) = t.split_once(['e', 'E'])?;
    Some((m, e.parse().ok()?))
}

/// Whether `v` rounds to `number`, whose last significant digit is that of 10^`last`: it is
/// within half a unit of that digit.
fn rounds_to(v: &Value, number: &Rational, last: i32) -> bool {
    let unit = Rational::from(rug::Integer::from(10).pow(last.unsigned_abs()));
    let unit = if last >= 0 { unit } else { unit.recip() };
    let half = unit / 2u32;
    match v {
        Value::Exact(r) => Rational::from(r - number).abs() <= half,
        _ => {
            let f = v.to_float(256);
            f.is_finite() && rug::Float::with_val(256, &f - number).abs() <= half
        }
    }
}

/// For a step that differs at the program's point, where one side is a number written with a
/// decimal point and the other's value rounds to it: the words that say so.
fn rounding(left: &str, right: &str, approx: bool, v: &Verdict) -> Option<String> {
    let Verdict::Differs {
        claimed, correct, ..
    } = v
    else {
        return None;
    };
    // The side whose last digit is the coarser is the rounded one (`-12.69834 = -12.7`,
    // `-12.7 = -12.69834`).
    let written = |t: &str| rounded_number(t, approx);
    let (value, written) = match (written(left), written(right)) {
        (Some(l), Some(r)) if l.last > r.last => (correct, l),
        (_, Some(r)) => (claimed, r),
        (Some(l), None) => (correct, l),
        (None, None) => return None,
    };
    let significant = written.significant;
    rounds_to(value, &written.value, written.last).then(|| {
        format!(
            "to the {significant} significant digit{} written (the value is {})",
            if significant == 1 { "" } else { "s" },
            format::for_people(value, significant + 5)
        )
    })
}

/// Whether `text` has a number with a decimal point in it (`2.5602`, `.5`).
fn has_rounded_numbers(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'.' && w[1].is_ascii_digit())
}

fn line_of(tex: &str, offset: usize) -> usize {
    tex[..offset.min(tex.len())].matches('\n').count() + 1
}

fn equal(v: &Verdict) -> bool {
    matches!(v, Verdict::Identical | Verdict::AgreesAt { .. })
}

/// The most steps (`=` signs) one solution may have: a wrong step costs tens of comparisons
/// at 24 or more points each (its hint tries factors and names), so a file of tens of
/// thousands of steps would run for many minutes. A homework solution has tens.
pub const MAX_STEPS: usize = 1000;

/// Grades every chain of equalities of the LaTeX solution `tex` (named `tex_name`) against
/// the program.
///
/// # Errors
/// [`Error::Limit`] when the solution has more than `MAX_STEPS` steps, before any is graded.
pub fn grade(net: &mut Network, tex: &str, tex_name: &str) -> Result<Vec<GradedChain>, Error> {
    let chains = syntax::chains(tex);
    let steps: usize = chains.iter().map(|c| c.len() - 1).sum();
    if steps > MAX_STEPS {
        return Err(Error::Limit(format!(
            "{tex_name} has {steps} steps (`=` signs in chains of equalities); grading takes at most {MAX_STEPS}: split the solution into smaller files"
        )));
    }
    Ok(chains
        .into_iter()
        .map(|chain| grade_chain(net, tex, tex_name, &chain))
        .collect())
}

fn grade_chain(net: &mut Network, tex: &str, tex_name: &str, chain: &Chain) -> GradedChain {
    // A chain with one side in LaTeX is LaTeX throughout: `x_2 = 4 = 2 \cdot 2` and
    // `… = 2 (12 - 10) 4` have sides without a command, which chainrule's own syntax would
    // read otherwise (`x_2` a name of its own, `x^23` the power 23, `2 (12 - 10) 4` refused).
    // A subscript `x_2` says LaTeX too: the file is a LaTeX solution.
    let latex = chain
        .iter()
        .any(|s| syntax::looks_like_latex(&s.text) || s.text.contains('_'));
    let sides: Vec<GradedSide> = chain
        .iter()
        .map(|side| {
            let line = line_of(tex, side.offset);
            let name = format!("{tex_name}:{line}");
            // `.5` is one half: the readers want a digit before the point.
            let text = match side.text.find('.') {
                Some(i)
                    if side.text[..i].trim_matches(['-', '+', ' ']).is_empty()
                        && side.text[i + 1..].starts_with(|c: char| c.is_ascii_digit()) =>
                {
                    format!("{}0{}", &side.text[..i], &side.text[i..])
                }
                _ => side.text.clone(),
            };
            let parsed = if latex {
                syntax::parse_latex(&text, &name)
            } else {
                syntax::parse_expr(&text, &name)
            };
            let read = parsed.and_then(|ast| read_claim(net, &ast, &text, &name));
            GradedSide {
                text: side.text.clone(),
                approx: side.approx,
                line,
                read,
            }
        })
        .collect();
    let mut steps = Vec::new();
    let mut earlier_mistake = false;
    for k in 0..sides.len() - 1 {
        let (a, b) = (&sides[k].read, &sides[k + 1].read);
        let step = match (a, b) {
            (Ok(a), Ok(b)) => {
                let numeric = super::is_numeric(&net.store, a.expanded)
                    || super::is_numeric(&net.store, b.expanded);
                let (v, taken) = judge(net, a, b);
                let approx = sides[k + 1].approx;
                let mut rounded = rounding(&sides[k].text, &sides[k + 1].text, approx, &v);
                // A written number after a side with rounded numbers in it (`0.4445 ≈ 0.445`
                // for 0.44449, `-2(10 - 2.5602)(0.8534) ≈ -12.698`) must round the value
                // itself: the last side before without any.
                let mut v = v;
                let mut drift = None;
                if rounded_number(&sides[k + 1].text, approx).is_some()
                    && has_rounded_numbers(&sides[k].text)
                    && let Some((j, value)) = (0..k).rev().find_map(|j| match &sides[j].read {
                        Ok(c) if !has_rounded_numbers(&sides[j].text) => Some((j, c)),
                        _ => None,
                    })
                {
                    let (vr, _) = judge(net, value, b);
                    let j_text = sides[j].text.as_str();
                    rounded = rounding(j_text, &sides[k + 1].text, approx, &vr);
                    if equal(&vr) {
                        v = vr;
                    } else if rounded.is_none()
                        && let Verdict::Differs { claimed, .. } = &vr
                    {
                        drift = Some(format!(
                            "it rounds a rounded value: {}, {}, does not round to it",
                            j_text,
                            format::for_people(claimed, 12)
                        ));
                    }
                }
                // Rounded numbers put in (`-2(10 - 2.5602)(0.8534)`) make a formula's value
                // right to some digits only, which the formula does not say: such a step is
                // not graded; the number it comes to is, against the value itself.
                let put_in =
                    |t: &str| has_rounded_numbers(t) && written_number(t, approx).is_none();
                if !equal(&v)
                    && rounded.is_none()
                    && drift.is_none()
                    && (put_in(&sides[k].text) || put_in(&sides[k + 1].text))
                {
                    steps.push(GradedStep {
                        verdict: StepVerdict::Unreadable(
                            "rounded numbers are put in, so the two sides are equal to some digits at most; the number they come to is graded".into(),
                        ),
                        inherits: false,
                        hint: None,
                        assumes: Vec::new(),
                        numeric: true,
                        rounded: None,
                    });
                    continue;
                }
                let assumes: Vec<String> = taken
                    .iter()
                    .filter_map(|&i| {
                        net.instance
                            .as_ref()
                            .map(|inst| inst.functions[i].text.clone())
                    })
                    .collect();
                match v {
                    Verdict::Undecided(why) => GradedStep {
                        verdict: StepVerdict::Unreadable(why),
                        inherits: false,
                        hint: None,
                        assumes: Vec::new(),
                        numeric,
                        rounded: None,
                    },
                    v if equal(&v) || rounded.is_some() => {
                        // Right, but is it still the chain's first side?
                        let inherits = earlier_mistake
                            && match &sides[0].read {
                                Ok(first) => {
                                    let v = judge(net, first, b).0;
                                    matches!(v, Verdict::Differs { .. })
                                        && rounding(&sides[0].text, &sides[k + 1].text, approx, &v)
                                            .is_none()
                                }
                                Err(_) => false,
                            };
                        GradedStep {
                            verdict: StepVerdict::Right(v),
                            inherits,
                            hint: None,
                            assumes,
                            numeric,
                            rounded,
                        }
                    }
                    v => {
                        let after_a_mistake = earlier_mistake;
                        earlier_mistake = true;
                        let hint = if numeric {
                            None
                        } else {
                            super::hint::difference(
                                net,
                                b.claimed,
                                b.expanded,
                                a.claimed,
                                a.expanded,
                                "the left side",
                            )
                            .map(|(t, _)| t)
                        };
                        // After a mistake, a right side equal to the chain's first side is no
                        // new mistake: it undoes the earlier one (σ'(x2) is σ'(z2) for relu).
                        let undoes = after_a_mistake
                            && !numeric
                            && match &sides[0].read {
                                // For every function: σ'(x2) undoes nothing for every σ.
                                Ok(first) => equal(&compare_claims(net, first, b)),
                                Err(_) => false,
                            };
                        let hint = if undoes {
                            Some("the right side equals the first side: it undoes the earlier mistake rather than following from the left side".to_string())
                        } else {
                            hint
                        };
                        // After a mistake the left side is wrong itself: what differs from
                        // the chain's first side is what the student should hear of
                        // (`x1·x1·x1`, then σ'(x2) for σ'(z2) with x1 once).
                        let hint = match (&hint, after_a_mistake, &sides[0].read) {
                            (None, true, Ok(first)) if !numeric => super::hint::difference(
                                net,
                                b.claimed,
                                b.expanded,
                                first.claimed,
                                first.expanded,
                                "the first side",
                            )
                            .map(|(t, _)| format!("compared with the first side, {t}")),
                            _ => hint,
                        };
                        // `2(\hat{y} - y) x_2 = 2(12 - 10) x_2`: values of the program's point
                        // put in are right there only; so is a factor left out that is 1
                        // there (`w_2 x` for `w_2 \mathbb{1}\{z_1 > 0\} x`). Which one it is,
                        // the formulas cannot tell: say both, after what else is wrong.
                        let at_point =
                            !numeric && super::agree_at_instance_point(net, a.expanded, b.expanded);
                        // With a hint, it says what is left out or put in.
                        let why = if hint.is_some() {
                            ""
                        } else {
                            " (a value put in, or a factor left out that is 1 there)"
                        };
                        let point_note = at_point.then(|| match &net.instance {
                            Some(inst) if !inst.functions.is_empty() => {
                                let fs: Vec<&str> =
                                    inst.functions.iter().map(|f| f.text.as_str()).collect();
                                format!(
                                    "with {}, the two sides are equal at the program's point but not as formulas{why}",
                                    fs.join(", ")
                                )
                            }
                            _ => format!(
                                "the two sides are equal at the program's point but not as formulas{why}"
                            ),
                        });
                        let hint = match (hint, point_note) {
                            (Some(h), Some(n)) => Some(format!("{h}; {n}")),
                            (h, n) => h.or(n),
                        };
                        GradedStep {
                            verdict: StepVerdict::Wrong(v),
                            inherits: false,
                            hint: drift.or(hint),
                            assumes,
                            numeric,
                            rounded: None,
                        }
                    }
                }
            }
            (Err(e), _) | (_, Err(e)) => GradedStep {
                verdict: StepVerdict::Unreadable(format!("{e}")),
                inherits: false,
                hint: None,
                assumes: Vec::new(),
                numeric: false,
                rounded: None,
            },
        };
        steps.push(step);
    }
    GradedChain { sides, steps }
}
