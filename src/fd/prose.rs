//! The prose for students: steps and errors written for people, and one or two plain
//! sentences per series of a sweep.

use rug::Rational;

use super::args::power_of_ten;
use super::sweep::log10_rational;
use super::{Arith, Measure, Series, SweepReport};
use crate::eval::nearest_f64;

/// A number given by its log₁₀, with two significant digits: `3.2e-8`, `1e-8` for a power of
/// ten, plain between 1e-3 and 1e4 (`5.3`, `0.0036`); `0` for −∞.
pub(crate) fn fmt_log10(l: f64) -> String {
    if l == f64::NEG_INFINITY {
        return "0".to_string();
    }
    if !l.is_finite() {
        return format!("{l}");
    }
    let mut e = l.floor();
    let mut m = ((10f64.powf(l - e)) * 10.0).round() / 10.0;
    if m >= 10.0 {
        m /= 10.0;
        e += 1.0;
    }
    let e = e as i64;
    if (m - 1.0).abs() < 1e-9 {
        format!("1e{e}")
    } else if (-3..=3).contains(&e) {
        // Plain decimals where they are short: 5.3, 0.0036, 240.
        let digits = (1 - e).max(0) as usize;
        format!("{:.digits$}", m * 10f64.powi(e as i32))
    } else {
        format!("{m:.1}e{e}")
    }
}

/// A step for people, always in scientific notation so that labels read alike: `1e-8` for
/// powers of ten (`1e0` for 1), else the shortest decimal of its double if that is short
/// (`2.5e-3`), else two significant digits (`3.2e-4`).
pub fn fmt_delta(r: &Rational) -> String {
    if let Some(k) = power_of_ten(r) {
        return format!("1e{k}");
    }
    let x = nearest_f64(r);
    let s = format!("{x:e}");
    if x.is_normal() && s.len() <= 8 {
        s
    } else {
        fmt_step_log10(log10_rational(r))
    }
}

/// A step given by its log₁₀, in scientific notation with two significant digits (`3.2e-4`,
/// `1e-8`), as [`fmt_delta`] writes steps.
fn fmt_step_log10(l: f64) -> String {
    if !l.is_finite() {
        return fmt_log10(l);
    }
    let mut e = l.floor();
    let mut m = (10f64.powf(l - e) * 10.0).round() / 10.0;
    if m >= 10.0 {
        m /= 10.0;
        e += 1.0;
    }
    if (m - 1.0).abs() < 1e-9 {
        format!("1e{}", e as i64)
    } else {
        format!("{m:.1}e{}", e as i64)
    }
}

/// One or two plain sentences per series, for a student reading the plot: the slope of the
/// truncation branch, where the minimum is, whether rounding error takes over, and the
/// textbook estimate of the best step.
pub fn sweep_sentences(report: &SweepReport) -> Vec<String> {
    report
        .series
        .iter()
        .map(|s| series_sentences(report, s))
        .collect()
}

fn series_sentences(report: &SweepReport, s: &Series) -> String {
    let n = report.deltas.len();
    let name = format!("{} differences in {}", s.scheme, s.arith.describe());
    let order = if s.scheme.order() == 1 {
        "O(Δ)"
    } else {
        "O(Δ²)"
    };
    let zeros: Vec<String> = (0..n)
        .filter(|&i| s.points[i].exact_zero)
        .map(|i| fmt_delta(&report.deltas[i]))
        .collect();
    let exact = s.arith == Arith::Exact;

    if zeros.len() == n {
        return format!(
            "{name}: the error is exactly 0 at every Δ: the scheme has no truncation error for \
             this function{}.",
            if exact {
                " and exact arithmetic has no rounding error"
            } else {
                ", and no rounding error happened to show"
            }
        );
    }

    if n == 1 {
        return format!(
            "{name}: at the single step Δ = {} the error ‖∇̂ − ∇‖ is {}; sweep several steps to \
             see how it changes with Δ.",
            fmt_delta(&report.deltas[0]),
            fmt_log10(s.points[0].log10(Measure::Norm))
        );
    }

    let est = s.estimate.as_ref().map(|e| {
        let scale = if (e.scale - 1.0).abs() < 1e-12 {
            String::new()
        } else {
            format!("·{}", fmt_plain(e.scale))
        };
        (
            format!(
                "{}{scale} ≈ {} (ε = 2^{})",
                e.rule,
                fmt_step_log10(e.log10_step),
                e.eps_log2
            ),
            e.log10_step,
        )
    });
    let falls = match s.slope {
        Some(k) if k >= 0.5 => Some(format!(
            "the error falls with slope {k:.1} ({:.1} for the squared error; truncation error, \
             expected {order})",
            2.0 * k
        )),
        _ => None,
    };
    let best = s.best.unwrap_or(0);
    let best_d = fmt_delta(&report.deltas[best]);
    let smallest = fmt_delta(&report.deltas[0]);
    let largest = fmt_delta(&report.deltas[n - 1]);
    let mut out = match falls {
        Some(falls) if best > 0 && best < n - 1 => {
            let mut t = format!("{name}: {falls} until Δ ≈ {best_d}, then rises as ");
            t.push_str(if exact {
                "the error of the scheme changes character (exact arithmetic has no rounding error)"
            } else {
                "rounding error takes over"
            });
            if let Some((e, _)) = &est {
                t.push_str(&format!("; the textbook estimate of the best step is {e}"));
            }
            t.push('.');
            t
        }
        Some(falls) if best == 0 => {
            let mut t = format!("{name}: {falls} over the whole range, down to Δ = {smallest}");
            match &est {
                None => t.push_str(
                    "; exact arithmetic has no rounding error, so there is no V: the smaller \
                     the step, the smaller the error",
                ),
                Some((e, l)) if *l < log10_rational(&report.deltas[0]) => t.push_str(&format!(
                    "; rounding error would take over only near the textbook best step {e}, \
                     below the range swept"
                )),
                Some((e, _)) => {
                    t.push_str(&format!("; the textbook estimate of the best step is {e}"))
                }
            }
            t.push('.');
            t
        }
        _ if n > 1 && best == n - 1 => {
            let mut t = format!(
                "{name}: the error grows as Δ shrinks across the whole range, so {}; the best \
                 step swept is the largest, Δ = {largest}",
                if exact {
                    "the truncation error is not what limits it"
                } else {
                    "rounding error dominates (the truncation error of this scheme is tiny or \
                     zero for this function)"
                }
            );
            if let Some((e, _)) = &est {
                t.push_str(&format!("; the textbook estimate of the best step is {e}"));
            }
            t.push('.');
            t
        }
        _ => {
            let slope = match s.slope {
                Some(k) => format!(" (fitted slope {k:.1})"),
                None => String::new(),
            };
            let mut t = format!(
                "{name}: the error shows no clear truncation trend{slope}; the smallest error is \
                 at Δ ≈ {best_d}"
            );
            if let Some((e, _)) = &est {
                t.push_str(&format!("; the textbook estimate of the best step is {e}"));
            }
            t.push('.');
            t
        }
    };
    if !zeros.is_empty() {
        out.push_str(&format!(
            " The error is exactly 0 at Δ = {} (drawn ▽ on the plot's bottom edge).",
            zeros.join(", ")
        ));
    }
    out
}

/// A small positive number for text: `3`, `2.5`.
fn fmt_plain(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        fmt_log10(x.log10())
    }
}
