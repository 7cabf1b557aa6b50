//! The report's SVG plots, drawn with `plotters` (SVG backend only: the text is SVG `<text>`,
//! rendered by whatever opens the file, so no font files are needed): learning curves of both
//! backends on shared axes, a decision boundary, a confusion matrix (in `confusion`).

use std::path::Path;

use common::app::write_atomic;
use common::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

mod confusion;
pub use confusion::confusion;

/// The colour of each backend: scratch blue, torch orange (matplotlib's first two).
pub const BACKEND_COLORS: [RGBColor; 2] = [RGBColor(31, 119, 180), RGBColor(255, 127, 14)];

/// Class colours (matplotlib's `tab10`), reused cyclically.
const CLASS_COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of class `c`.
pub fn class_color(c: usize) -> RGBColor {
    CLASS_COLORS[c % CLASS_COLORS.len()]
}

/// One curve of a line chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// Line colour.
    pub color: RGBColor,
    /// Stroke width in pixels (the first backend is drawn wide and pale, the second thin on
    /// top, so that identical curves stay visible as one line inside the other).
    pub width: u32,
    /// Dashed (validation) or solid (training).
    pub dashed: bool,
    /// `(x, y)` points.
    pub points: Vec<(f64, f64)>,
}

fn plot_err(path: &Path) -> impl Fn(String) -> Error + '_ {
    move |e| Error::Other(format!("cannot draw {}: {e}", path.display()))
}

/// Draws a picture of `size` pixels with `draw` into memory, then writes it to `path`
/// atomically (`write_atomic`): a kill while drawing never leaves half a picture.
fn write_svg(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> std::result::Result<(), String>,
) -> Result<()> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root)
            .and_then(|()| root.present().map_err(|e| e.to_string()))
            .map_err(plot_err(path))?;
    }
    write_atomic(path, svg.as_bytes())
}

/// `[min, max]` of the values, padded by 5% (a flat range gets ±0.5).
fn padded(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 };
    (lo - pad, hi + pad)
}

/// A line chart of `series` against the epoch, with a legend.
pub fn curves(path: &Path, title: &str, y_desc: &str, series: &[Series]) -> Result<()> {
    write_svg(path, (720, 420), |root| {
        draw_curves(root, title, y_desc, series)
    })
}

fn draw_curves(
    root: &DrawingArea<SVGBackend, Shift>,
    title: &str,
    y_desc: &str,
    series: &[Series],
) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let points = || series.iter().flat_map(|s| s.points.iter());
    let (x0, x1) = padded(points().map(|p| p.0));
    let (y0, y1) = padded(points().map(|p| p.1));
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y_desc)
        .draw()
        .map_err(|e| e.to_string())?;
    for s in series {
        let style = s.color.stroke_width(s.width);
        let pts = s.points.clone();
        let drawn = if s.dashed {
            chart.draw_series(DashedLineSeries::new(pts, 8, 5, style))
        } else {
            chart.draw_series(LineSeries::new(pts, style))
        };
        let (color, dashed) = (s.color, s.dashed);
        drawn
            .map_err(|e| e.to_string())?
            .label(s.label.as_str())
            .legend(move |(x, y)| {
                // Dashed series get a dashed key: two short strokes instead of one.
                let style = color.stroke_width(3);
                let (a, b) = if dashed { (10, 14) } else { (24, 24) };
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (a, 0)], style)
                    + PathElement::new(vec![(b, 0), (24, 0)], style)
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(legend_corner(series, (y0, y1)))
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Where the legend hides no curve: the curves end on the right, so the legend goes to the
/// lower right corner when they end high (accuracy), the upper right when they end low (loss).
fn legend_corner(series: &[Series], (y0, y1): (f64, f64)) -> SeriesLabelPosition {
    let ends: Vec<f64> = series
        .iter()
        .filter_map(|s| s.points.last().map(|p| p.1))
        .collect();
    let mean = ends.iter().sum::<f64>() / ends.len().max(1) as f64;
    if mean > (y0 + y1) / 2.0 {
        SeriesLabelPosition::LowerRight
    } else {
        SeriesLabelPosition::UpperRight
    }
}

/// The predictions of a model over a grid of the 2-D input plane.
#[derive(Debug, Clone)]
pub struct Grid {
    /// `(min, max)` of the first feature.
    pub x: (f64, f64),
    /// `(min, max)` of the second feature.
    pub y: (f64, f64),
    /// Cells per side.
    pub steps: usize,
    /// `(predicted class, its probability)` per cell, row-major with `y` outer.
    pub cells: Vec<(usize, f64)>,
}

/// Shades of confidence in a boundary plot.
const LEVELS: usize = 8;

/// One merged rectangle of a boundary plot: two opposite corners, the class, the shade level.
type Run = ((f64, f64), (f64, f64), usize, usize);

/// The grid as rectangles `(corner, opposite corner, class, shade level)`: cells of a row with
/// the same class and shade are merged, which keeps a 100×100 grid to a few hundred SVG
/// elements instead of 10,000.
fn runs(grid: &Grid) -> Vec<Run> {
    let n = grid.steps.max(1);
    let (dx, dy) = (
        (grid.x.1 - grid.x.0) / n as f64,
        (grid.y.1 - grid.y.0) / n as f64,
    );
    let key =
        |&(class, p): &(usize, f64)| (class, (p.clamp(0.0, 1.0) * LEVELS as f64).round() as usize);
    let mut out = Vec::new();
    for (gy, row) in grid.cells.chunks(n).enumerate() {
        let y = grid.y.0 + gy as f64 * dy;
        let mut start = 0;
        for gx in 1..=row.len() {
            if gx == row.len() || key(&row[gx]) != key(&row[start]) {
                let (class, level) = key(&row[start]);
                let (x0, x1) = (grid.x.0 + start as f64 * dx, grid.x.0 + gx as f64 * dx);
                out.push(((x0, y), (x1, y + dy), class, level));
                start = gx;
            }
        }
    }
    out
}

/// The decision regions of `grid` (each cell in its predicted class's colour, paler where the
/// model is less sure) with the examples `points` `(x, y, class)` on top.
pub fn boundary(path: &Path, title: &str, grid: &Grid, points: &[(f64, f64, usize)]) -> Result<()> {
    write_svg(path, (520, 520), |root| {
        draw_boundary(root, title, grid, points)
    })
}

fn draw_boundary(
    root: &DrawingArea<SVGBackend, Shift>,
    title: &str,
    grid: &Grid,
    points: &[(f64, f64, usize)],
) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(grid.x.0..grid.x.1, grid.y.0..grid.y.1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("feature 1")
        .y_desc("feature 2")
        .draw()
        .map_err(|e| e.to_string())?;
    let cells = runs(grid).into_iter().map(|(x, y, class, level)| {
        // Confidence 1/K (a coin toss) is pale, certainty is 45% of the class colour.
        let strength = 0.12 + 0.33 * level as f64 / LEVELS as f64;
        Rectangle::new([x, y], class_color(class).mix(strength).filled())
    });
    chart.draw_series(cells).map_err(|e| e.to_string())?;
    let dots = points.iter().map(|&(x, y, c)| {
        EmptyElement::at((x, y))
            + Circle::new((0, 0), 3, class_color(c).filled())
            + Circle::new((0, 0), 3, BLACK.mix(0.6).stroke_width(1))
    });
    chart.draw_series(dots).map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_runs_merge_equal_neighbours_only() {
        let grid = Grid {
            x: (0.0, 4.0),
            y: (0.0, 2.0),
            steps: 4,
            cells: [(0, 0.9), (0, 0.91), (1, 0.9), (1, 0.9)]
                .into_iter()
                .cycle()
                .take(16)
                .collect(),
        };
        let r = runs(&grid);
        assert_eq!(r.len(), 8);
        assert_eq!(r[0], ((0.0, 0.0), (2.0, 0.5), 0, 7));
        assert_eq!(r[1], ((2.0, 0.0), (4.0, 0.5), 1, 7));
    }

    #[test]
    fn the_plots_are_svg_files() {
        let dir = tempfile::tempdir().unwrap();
        let s = Series {
            label: "train".into(),
            color: BACKEND_COLORS[0],
            width: 2,
            dashed: true,
            points: vec![(1.0, 0.5), (2.0, 0.25)],
        };
        let path = dir.path().join("c.svg");
        curves(&path, "loss", "loss", &[s]).unwrap();
        let m = ndarray::array![[5, 1], [0, 7]];
        let cm = dir.path().join("m.svg");
        confusion(&cm, "confusion", &m, &["no".into(), "yes".into()]).unwrap();
        for p in [path, cm] {
            let text = std::fs::read_to_string(&p).unwrap();
            assert!(
                text.starts_with("<svg") && text.contains("</svg>"),
                "{}",
                p.display()
            );
        }
        let text = std::fs::read_to_string(dir.path().join("m.svg")).unwrap();
        assert!(text.contains("\n7\n</text>") && text.contains("\nyes\n</text>"));
    }
}
