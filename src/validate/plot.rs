//! SVG figures of a validation run (plotters):
//!
//! * `parity-<group>.svg`: predicted against reference values of one group on log-log
//!   axes, with the identity line and ±10 % lines, one colour per judged engine;
//! * `accuracy-vs-speed.svg`: every compared case as (wall time of the judged engine,
//!   absolute error), log-log, one colour per engine, with one larger marker per group at
//!   (median wall time, MAPE): the trade-off between the fast and the detailed engine.
//!   Where the detailed engine is the reference (fast-vs-detailed groups) its wall times are
//!   drawn as hollow markers at the error floor. Errors below 0.001 % are drawn at 0.001 %.

use super::report::ValidationReport;
use super::run::{CaseResult, GroupKind, Status};
use super::suite::Engine;
use super::ValidateError;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// Smallest error drawn on the log axis, percent.
const ERROR_FLOOR_PCT: f64 = 1e-3;

fn colour(engine: Engine) -> RGBColor {
    match engine {
        Engine::Fast => RGBColor(31, 119, 180),
        Engine::Detailed => RGBColor(214, 39, 40),
    }
}

/// A file name from a group name.
fn file_name(prefix: &str, group: &str) -> String {
    let s: String = group
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{prefix}{s}.svg")
}

/// A log axis range covering `values`, padded by a factor of 1.5 each side.
fn log_range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !(lo.is_finite() && hi > 0.0) {
        return None;
    }
    let (lo, hi) = if hi / lo < 2.0 {
        (lo / 2.0, hi * 2.0)
    } else {
        (lo, hi)
    };
    Some((lo / 1.5, hi * 1.5))
}

fn plot_err(path: &Path, e: impl std::fmt::Display) -> ValidateError {
    ValidateError::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Draw the parity plot of one group's compared cases; `None` if it has none.
pub fn parity(
    path: &Path,
    group: &str,
    cases: &[&CaseResult],
) -> Result<Option<PathBuf>, ValidateError> {
    let pts: Vec<(Engine, f64, f64)> = cases
        .iter()
        .filter(|c| c.status == Status::Ok)
        .filter_map(|c| Some((c.engine, c.reference?, c.predicted?)))
        .filter(|(_, r, p)| *r > 0.0 && *p > 0.0)
        .collect();
    let Some((lo, hi)) = log_range(pts.iter().flat_map(|(_, r, p)| [*r, *p])) else {
        return Ok(None);
    };
    let unit = cases.first().map_or(String::new(), |c| c.unit.clone());
    let reference = cases
        .first()
        .map_or(String::new(), |c| c.reference_source.clone());
    let root = SVGBackend::new(path, (640, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{group}: predicted vs {reference}"),
            ("sans-serif", 18),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(75)
        .build_cartesian_2d((lo..hi).log_scale(), (lo..hi).log_scale())
        .map_err(|e| plot_err(path, e))?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(6)
        .x_desc(format!("reference ({reference}) [{unit}]"))
        .y_desc(format!("predicted [{unit}]"))
        .x_label_formatter(&|v| format!("{v:.1e}"))
        .y_label_formatter(&|v| format!("{v:.1e}"))
        .draw()
        .map_err(|e| plot_err(path, e))?;
    chart
        .draw_series(LineSeries::new([(lo, lo), (hi, hi)], BLACK.stroke_width(1)))
        .map_err(|e| plot_err(path, e))?
        .label("identity")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLACK));
    let grey = RGBColor(150, 150, 150);
    for f in [0.9, 1.1] {
        let s = chart
            .draw_series(LineSeries::new(
                [(lo, lo * f), (hi, hi * f)],
                grey.stroke_width(1),
            ))
            .map_err(|e| plot_err(path, e))?;
        if f > 1.0 {
            s.label("±10 %")
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], grey));
        }
    }
    for engine in [Engine::Fast, Engine::Detailed] {
        let c = colour(engine);
        let mine: Vec<(f64, f64)> = pts
            .iter()
            .filter(|p| p.0 == engine)
            .map(|p| (p.1, p.2))
            .collect();
        if mine.is_empty() {
            continue;
        }
        chart
            .draw_series(mine.iter().map(|&xy| Circle::new(xy, 3, c.filled())))
            .map_err(|e| plot_err(path, e))?
            .label(engine.name())
            .legend(move |(x, y)| Circle::new((x + 8, y), 3, c.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| plot_err(path, e))?;
    root.present().map_err(|e| plot_err(path, e))?;
    Ok(Some(path.to_path_buf()))
}

/// Draw the accuracy-versus-speed figure; `None` if no case has a wall time and an error.
pub fn accuracy_vs_speed(
    path: &Path,
    r: &ValidationReport,
) -> Result<Option<PathBuf>, ValidateError> {
    let pts: Vec<(Engine, f64, f64)> = r
        .cases
        .iter()
        .filter(|c| c.status == Status::Ok)
        .filter_map(|c| Some((c.engine, c.wall_s()?, c.abs_error_pct?.max(ERROR_FLOOR_PCT))))
        .collect();
    // Group markers: (engine, median wall, MAPE, name).
    let mut marks: Vec<(Engine, f64, f64, String)> = Vec::new();
    for g in &r.groups {
        let walls: Vec<f64> = r
            .cases
            .iter()
            .filter(|c| c.group == g.name && c.status == Status::Ok)
            .filter_map(CaseResult::wall_s)
            .collect();
        let engine = r.cases.iter().find(|c| c.group == g.name).map(|c| c.engine);
        if let (Some(engine), Some(w), Some(m)) =
            (engine, super::stats::median(&walls), g.stats.mape_pct)
        {
            marks.push((engine, w, m.max(ERROR_FLOOR_PCT), g.name.clone()));
        }
    }
    // The detailed engine where it is the reference: its wall times, error 0 by definition.
    let reference_walls = |g: &str| -> Vec<f64> {
        r.cases
            .iter()
            .filter(|c| {
                c.group == g && c.kind == GroupKind::FastVsDetailed && c.status == Status::Ok
            })
            .filter_map(|c| c.detailed_wall_s)
            .collect()
    };
    let refs: Vec<f64> = r
        .groups
        .iter()
        .flat_map(|g| reference_walls(&g.name))
        .collect();
    let ref_marks: Vec<(f64, String)> = r
        .groups
        .iter()
        .filter_map(|g| {
            Some((
                super::stats::median(&reference_walls(&g.name))?,
                g.name.clone(),
            ))
        })
        .collect();
    let Some((x0, x1)) = log_range(pts.iter().map(|p| p.1).chain(refs.iter().copied())) else {
        return Ok(None);
    };
    let Some((y0, y1)) = log_range(pts.iter().map(|p| p.2).chain([ERROR_FLOOR_PCT, 100.0])) else {
        return Ok(None);
    };
    let root = SVGBackend::new(path, (900, 620)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("accuracy vs speed ({})", r.suite),
            ("sans-serif", 18),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
        .map_err(|e| plot_err(path, e))?;
    chart
        .configure_mesh()
        .x_desc("wall time per case [s]")
        .y_desc("absolute error [%]")
        .x_label_formatter(&|v| format!("{v:.0e}"))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()
        .map_err(|e| plot_err(path, e))?;
    for engine in [Engine::Fast, Engine::Detailed] {
        let c = colour(engine);
        let mine: Vec<(f64, f64)> = pts
            .iter()
            .filter(|p| p.0 == engine)
            .map(|p| (p.1, p.2))
            .collect();
        if mine.is_empty() {
            continue;
        }
        chart
            .draw_series(
                mine.iter()
                    .map(|&xy| Circle::new(xy, 2, c.mix(0.5).filled())),
            )
            .map_err(|e| plot_err(path, e))?
            .label(format!("{} engine, per case", engine.name()))
            .legend(move |(x, y)| Circle::new((x + 8, y), 3, c.filled()));
    }
    if !refs.is_empty() {
        let c = colour(Engine::Detailed);
        chart
            .draw_series(
                refs.iter()
                    .map(|&w| Circle::new((w, ERROR_FLOOR_PCT), 3, c.stroke_width(1))),
            )
            .map_err(|e| plot_err(path, e))?
            .label("detailed engine as the reference (error 0, at the floor)")
            .legend(move |(x, y)| Circle::new((x + 8, y), 3, c.stroke_width(1)));
        chart
            .draw_series(ref_marks.iter().enumerate().map(|(i, (w, name))| {
                EmptyElement::at((*w, ERROR_FLOOR_PCT))
                    + TriangleMarker::new((0, 0), 7, c.stroke_width(2))
                    + Text::new(
                        format!("{name} (reference)"),
                        (9, -14 - 12 * (i % 3) as i32),
                        ("sans-serif", 11).into_font(),
                    )
            }))
            .map_err(|e| plot_err(path, e))?;
    }
    chart
        .draw_series(marks.iter().map(|(engine, w, m, name)| {
            EmptyElement::at((*w, *m))
                + TriangleMarker::new((0, 0), 7, colour(*engine).filled())
                + Text::new(name.clone(), (9, -5), ("sans-serif", 11).into_font())
        }))
        .map_err(|e| plot_err(path, e))?
        .label("group: median wall, MAPE")
        .legend(|(x, y)| TriangleMarker::new((x + 8, y), 5, BLACK.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| plot_err(path, e))?;
    root.present().map_err(|e| plot_err(path, e))?;
    Ok(Some(path.to_path_buf()))
}

/// Write every figure into `dir` (created if needed); returns the files written.
pub fn write_all(dir: &Path, r: &ValidationReport) -> Result<Vec<PathBuf>, ValidateError> {
    std::fs::create_dir_all(dir).map_err(|e| ValidateError::Io {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let mut out = Vec::new();
    if let Some(p) = accuracy_vs_speed(&dir.join("accuracy-vs-speed.svg"), r)? {
        out.push(p);
    }
    for g in &r.groups {
        let members: Vec<&CaseResult> = r.cases.iter().filter(|c| c.group == g.name).collect();
        if let Some(p) = parity(&dir.join(file_name("parity-", &g.name)), &g.name, &members)? {
            out.push(p);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_names() {
        assert_eq!(
            log_range([1.0, 100.0].into_iter()),
            Some((1.0 / 1.5, 150.0))
        );
        assert_eq!(log_range([4.0].into_iter()), Some((2.0 / 1.5, 12.0)));
        assert_eq!(log_range([0.0, -1.0].into_iter()), None);
        assert_eq!(
            file_name("parity-", "ns3-switch/x"),
            "parity-ns3-switch-x.svg"
        );
    }
}
