//! Plots of step-size sweeps: an SVG on log-log axes, and the same data as CSV.
//!
//! The SVG comes from plotters' SVG backend, which writes text as `<text>` elements: no font
//! files are needed to make it, and any viewer renders the labels with its own fonts.
//!
//! The axes are drawn in log₁₀ space (a tick at −8 is labelled `1e-8`) rather than with a
//! logarithmic coordinate: the errors are carried as logarithms computed in high precision, so
//! a very small error of a very precise arithmetic, which would underflow a double, still has
//! its place on the plot. An error that is exactly zero has no logarithm at all; it is drawn on
//! the bottom edge (labelled `0`) with its own marker, ▽, and the legend says so.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use rug::Float;

use crate::error::{Error, Result};
pub use crate::fd::Measure;
use crate::fd::{Scheme, Series, SweepReport, fmt_delta};

const WIDTH: u32 = 1040;
const HEIGHT: u32 = 620;
/// The legend has its own column right of the axes, so it never covers data.
const LEGEND_WIDTH: u32 = 270;
const FONT: &str = "sans-serif";
/// The zero-error marker ▽ in pixels relative to its point, tip just above it.
const ZERO_MARKER: [(i32, i32); 4] = [(-6, -12), (6, -12), (0, -1), (-6, -12)];

/// matplotlib's first three colours, as in the homework's plot: forward blue, backward orange,
/// central green.
fn scheme_color(s: Scheme) -> RGBColor {
    match s {
        Scheme::Forward => RGBColor(0x1f, 0x77, 0xb4),
        Scheme::Backward => RGBColor(0xff, 0x7f, 0x0e),
        Scheme::Central => RGBColor(0x2c, 0xa0, 0x2c),
    }
}

/// How one series looks. The colour's hue and the marker's shape say the scheme (forward:
/// blue circles, backward: orange squares, central: green triangles, so that overlapping
/// schemes stay distinguishable); the shade, the dashing and the marker's fill say the
/// arithmetic (the first one requested: solid lines, filled markers; the second: darker,
/// dashed, hollow; the third: lighter, dotted, filled; …). Every series gets a colour of its
/// own.
struct SeriesStyle {
    color: RGBColor,
    scheme: Scheme,
    /// 0 solid, 1 dashed, 2 dotted.
    dash: usize,
    filled: bool,
}

impl SeriesStyle {
    fn of(report: &SweepReport, s: &Series) -> SeriesStyle {
        let k = arith_index(report, s);
        const SHADES: [f64; 6] = [0.0, -0.45, 0.4, -0.25, 0.2, -0.6];
        let t = SHADES[k % SHADES.len()];
        let RGBColor(r, g, b) = scheme_color(s.scheme);
        let mix = |c: u8| -> u8 {
            let c = f64::from(c);
            let v = if t < 0.0 {
                c * (1.0 + t)
            } else {
                c + (255.0 - c) * t
            };
            v.round() as u8
        };
        SeriesStyle {
            color: RGBColor(mix(r), mix(g), mix(b)),
            scheme: s.scheme,
            dash: k % 3,
            filled: k.is_multiple_of(2),
        }
    }

    fn line(&self) -> ShapeStyle {
        self.color.stroke_width(2)
    }

    /// Draws the series' marker centred on pixel `at` of `area`.
    fn draw_marker(&self, area: &Canvas<'_>, at: (i32, i32)) -> Result<()> {
        let fill = if self.filled {
            self.color.filled()
        } else {
            self.color.stroke_width(2)
        };
        let c = EmptyElement::at(at);
        match self.scheme {
            Scheme::Forward => area.draw(&(c + Circle::new((0, 0), 4, fill))),
            Scheme::Backward => area.draw(&(c + Rectangle::new([(-5, -5), (5, 5)], fill))),
            Scheme::Central if self.filled => {
                area.draw(&(c + Polygon::new(vec![(0, -6), (6, 4), (-6, 4)], fill)))
            }
            Scheme::Central => {
                area.draw(&(c + PathElement::new(vec![(0, -6), (6, 4), (-6, 4), (0, -6)], fill)))
            }
        }
        .map_err(draw_err)
    }
}

/// A drawing area in pixels.
type Canvas<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// The zero-error marker: a hollow ▽ whose tip is just above pixel `at`.
fn draw_zero_marker(area: &Canvas<'_>, at: (i32, i32), color: RGBColor) -> Result<()> {
    area.draw(
        &(EmptyElement::at(at) + PathElement::new(ZERO_MARKER.to_vec(), color.stroke_width(2))),
    )
    .map_err(draw_err)
}

fn draw_err(e: impl std::fmt::Display) -> Error {
    Error::Limit(format!("could not draw the plot: {e}"))
}

/// A log₁₀ axis: linear in the exponent, with tick marks of our choosing (labels at whole
/// decades). plotters' own `WithKeyPoints` over `f64` lacks a label formatter, hence this.
struct Decades {
    range: Range<f64>,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl Ranged for Decades {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let t = (v - self.range.start) / (self.range.end - self.range.start);
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// Ticks: the labelled ones (every `step`-th decade, at most about a dozen) and a light grid
/// line at every decade.
fn ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let (a, b) = (lo.ceil() as i64, hi.floor() as i64);
    let step = (((b - a) as f64) / 12.0).ceil().max(1.0) as i64;
    let bold = (a..=b)
        .filter(|k| k.rem_euclid(step) == 0)
        .map(|k| k as f64);
    (bold.collect(), (a..=b).map(|k| k as f64).collect())
}

/// Refuses to write a plot under a name that says it is not SVG (`sweep.png`): the plot is
/// SVG, and a viewer would fail to open it or a student would hand in a broken file.
pub fn check_svg_path(path: &str) -> Result<()> {
    let ext = std::path::Path::new(path)
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase());
    match ext.as_deref() {
        Some("svg") => Ok(()),
        Some(other) => Err(Error::Usage(format!(
            "plots are written as SVG, so `{path}` would be an SVG file under a .{other} name: \
             name it with .svg (a converter such as rsvg-convert or Inkscape makes a PNG from it)"
        ))),
        None => Err(Error::Usage(format!(
            "plots are written as SVG: name the file with .svg, e.g. `{path}.svg`"
        ))),
    }
}

/// Renders a sweep as SVG text: log-log axes (step size Δ against the chosen measure of
/// ‖∇̂ − ∇‖), decades marked and labelled like `1e-8`, one colour, line style and marker per
/// (scheme, arithmetic) series, a legend in its own column (with each series' slope and best
/// step), and `title` on top. Exact zero errors are drawn as ▽ on the bottom edge, labelled
/// `0`, with a note in the legend.
///
/// Errors: [`Error::Limit`] if plotters fails (it should not for an in-memory SVG).
pub fn sweep_svg(report: &SweepReport, title: &str, value: Measure) -> Result<String> {
    let lx = report.log10_deltas();
    let (x_lo, x_hi) = span(lx.iter().copied());
    let has_zero = report
        .series
        .iter()
        .any(|s| s.points.iter().any(|p| p.exact_zero));
    let finite_y = report
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(move |p| p.log10(value)))
        .filter(|l| l.is_finite());
    let (y_lo, y_hi) = if finite_y.clone().next().is_some() {
        span(finite_y)
    } else {
        (-1.0, 1.0)
    };
    // Exact zeros get a row of their own one decade below the data, on the bottom edge.
    let zero_row = y_lo - 1.0;
    let y_bottom = if has_zero { zero_row } else { y_lo - 0.3 };
    let (x_bold, x_light) = ticks(x_lo, x_hi);
    let (mut y_bold, y_light) = ticks(y_lo, y_hi);
    if has_zero {
        y_bold.insert(0, zero_row);
    }
    let fmt_x = |v: &f64| format!("1e{}", v.round() as i64);
    let fmt_y = |v: &f64| {
        if has_zero && (*v - zero_row).abs() < 1e-9 {
            "0".to_string()
        } else {
            format!("1e{}", v.round() as i64)
        }
    };

    let mut svg = String::new();
    {
        let canvas = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        canvas.fill(&WHITE).map_err(draw_err)?;
        let root = canvas
            .titled(title, (FONT, 22).into_font().color(&BLACK))
            .map_err(draw_err)?;
        let (plot_area, legend_area) = root.split_horizontally(WIDTH - LEGEND_WIDTH);

        let mut chart = ChartBuilder::on(&plot_area)
            .margin(12)
            .margin_right(20)
            .x_label_area_size(60)
            .y_label_area_size(80)
            .build_cartesian_2d(
                Decades {
                    range: (x_lo - 0.3)..(x_hi + 0.3),
                    bold: x_bold,
                    light: x_light,
                },
                Decades {
                    range: y_bottom..(y_hi + 0.3),
                    bold: y_bold,
                    light: y_light,
                },
            )
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc("step size Δ")
            .y_desc(value.label())
            .x_label_formatter(&fmt_x)
            .y_label_formatter(&fmt_y)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 18))
            .bold_line_style(RGBColor(200, 200, 200))
            .light_line_style(RGBColor(236, 236, 236))
            .draw()
            .map_err(draw_err)?;

        for s in &report.series {
            let st = SeriesStyle::of(report, s);
            // The line breaks at exact zeros: log 0 = −∞ has no place on the axis.
            let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for (x, p) in lx.iter().zip(&s.points) {
                if p.exact_zero {
                    runs.push(Vec::new());
                } else {
                    runs.last_mut().unwrap().push((*x, p.log10(value)));
                }
            }
            for run in runs.into_iter().filter(|r| r.len() >= 2) {
                match st.dash {
                    0 => chart
                        .draw_series(LineSeries::new(run, st.line()))
                        .map(|_| ()),
                    1 => chart
                        .draw_series(DashedLineSeries::new(run, 9, 5, st.line()))
                        .map(|_| ()),
                    _ => chart
                        .draw_series(DashedLineSeries::new(run, 2, 4, st.line()))
                        .map(|_| ()),
                }
                .map_err(draw_err)?;
            }
            // Markers are drawn in pixels, on the whole canvas, at the points' pixels.
            for (x, p) in lx.iter().zip(&s.points) {
                if p.exact_zero {
                    let at = chart.backend_coord(&(*x, zero_row));
                    draw_zero_marker(&canvas, at, st.color)?;
                } else {
                    let at = chart.backend_coord(&(*x, p.log10(value)));
                    st.draw_marker(&canvas, at)?;
                }
            }
        }

        draw_legend(&legend_area, report, value, has_zero)?;
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

/// The smallest and largest whole decades around the values (at least one decade apart).
fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let (mut lo, mut hi) = (lo.floor(), hi.ceil());
    if hi - lo < 1.0 {
        lo -= 0.5;
        hi += 0.5;
    }
    (lo, hi)
}

/// The position of the series' arithmetic among the report's arithmetics (first appearance).
fn arith_index(report: &SweepReport, s: &Series) -> usize {
    let mut seen = Vec::new();
    for t in &report.series {
        if !seen.contains(&t.arith) {
            seen.push(t.arith);
        }
    }
    seen.iter().position(|&a| a == s.arith).unwrap_or(0)
}

fn draw_legend(
    area: &Canvas<'_>,
    report: &SweepReport,
    value: Measure,
    has_zero: bool,
) -> Result<()> {
    let label = (FONT, 16).into_font().color(&BLACK);
    let note = (FONT, 13).into_font().color(&RGBColor(90, 90, 90));
    let factor = match value {
        Measure::Squared => 2.0,
        Measure::Norm => 1.0,
    };
    // Two lines per series while they fit, else one.
    let rows = report.series.len() as i32 + i32::from(has_zero);
    let step = ((HEIGHT as i32 - 90) / rows.max(1)).min(48);
    let mut y = 24;
    for s in &report.series {
        let st = SeriesStyle::of(report, s);
        let sample = [(8, y + 8), (48, y + 8)];
        match st.dash {
            0 => area.draw(&PathElement::new(sample.to_vec(), st.line())),
            1 => area.draw(&DashedPathElement::new(sample, 9, 5, st.line())),
            _ => area.draw(&DashedPathElement::new(sample, 2, 4, st.line())),
        }
        .map_err(draw_err)?;
        st.draw_marker(area, (28, y + 8))?;
        area.draw(&Text::new(s.label(), (58, y), label.clone()))
            .map_err(draw_err)?;
        let mut detail = Vec::new();
        if let Some(k) = s.slope {
            detail.push(format!("slope {:.1}", factor * k));
        }
        if s.points.iter().all(|p| p.exact_zero) {
            detail.push("error exactly 0 at every Δ".to_string());
        } else if let Some(b) = s.best {
            // A minimum at an end of the range is where the sweep stopped, not a best step.
            let n = report.deltas.len();
            let d = fmt_delta(&report.deltas[b]);
            detail.push(if n > 1 && b == 0 {
                format!("least error at the smallest Δ swept, {d}")
            } else if n > 1 && b == n - 1 {
                format!("least error at the largest Δ swept, {d}")
            } else {
                format!("best Δ ≈ {d}")
            });
        }
        if !detail.is_empty() && step >= 40 {
            area.draw(&Text::new(detail.join(", "), (58, y + 20), note.clone()))
                .map_err(draw_err)?;
        }
        y += step;
    }
    if has_zero {
        y += 6;
        draw_zero_marker(area, (28, y + 14), BLACK)?;
        area.draw(&Text::new("error exactly 0", (58, y), label.clone()))
            .map_err(draw_err)?;
        area.draw(&Text::new(
            "(no logarithm: ▽ on the bottom edge)",
            (58, y + 20),
            note.clone(),
        ))
        .map_err(draw_err)?;
    }
    Ok(())
}

/// The sweep as CSV: a header row (`delta`, then `SCHEME ARITH squared` and
/// `SCHEME ARITH norm` for each series), then one row per step. Steps are written as the
/// shortest decimal of their double (`1e-10`); errors with Rust's `{:e}` (`1.296e-5`), an
/// exact zero as `0`, and a value beyond the range of doubles from its high-precision
/// logarithm (15 significant digits).
pub fn sweep_csv(report: &SweepReport) -> String {
    let mut out = String::from("delta");
    for s in &report.series {
        for m in [Measure::Squared, Measure::Norm] {
            out.push_str(&format!(",{} {} {}", s.scheme, s.arith, m.name()));
        }
    }
    out.push('\n');
    for (i, d) in report.deltas.iter().enumerate() {
        let x = Float::with_val(53, d);
        let x64 = crate::eval::nearest_f64(d);
        if x64.is_normal() {
            out.push_str(&format!("{x64:e}"));
        } else {
            out.push_str(&format!("{x:.15e}"));
        }
        for s in &report.series {
            for m in [Measure::Squared, Measure::Norm] {
                out.push(',');
                out.push_str(&csv_number(&s.points[i], m));
            }
        }
        out.push('\n');
    }
    out
}

fn csv_number(p: &crate::fd::ErrorNorm, m: Measure) -> String {
    if p.exact_zero {
        return "0".to_string();
    }
    let v = p.value(m);
    if v.is_normal() {
        return format!("{v:e}");
    }
    p.sci(m, 15)
}
