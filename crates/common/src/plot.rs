//! Learning curves as an SVG picture (the chapter's "curvas de entrenamiento": the plot of
//! train/validation loss and accuracy that the PyTorch route draws with matplotlib or
//! TensorBoard). [`plot_history`] reads a run's `history.csv` and draws two panels side by
//! side: loss (log scale, so that both the first epochs and the over-fitting tail are visible)
//! and accuracy, each with its train and validation curve.
//!
//! Only the SVG backend of `plotters` is used, without its font features: SVG stores text as
//! `<text>` elements that the viewer renders, so nothing here needs system fonts.

use std::ops::Range;
use std::path::Path;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::checkpoint::write_atomic;
use crate::history::{self, HistoryRow};
use crate::{Error, Result};

/// Picture size in pixels (two panels of 480 × 360).
const SIZE: (u32, u32) = (960, 360);
/// Train curves in blue, validation curves in red, as in the chapter's matplotlib plots.
const TRAIN: RGBColor = RGBColor(31, 119, 180);
const VAL: RGBColor = RGBColor(214, 39, 40);

/// One curve: its legend name, colour and `(epoch, value)` points.
struct Curve {
    name: &'static str,
    color: RGBColor,
    points: Vec<(f64, f64)>,
}

/// Draws the learning curves of `history_csv` (a twin-nets history) into `out_svg`.
///
/// Left panel: train and validation loss per epoch, log-scaled y axis. Right panel: train and
/// validation accuracy. Non-finite values (a diverged epoch) are skipped, so are non-positive
/// losses on the log axis. The file is written atomically; missing parent folders are created.
///
/// # Errors
/// The history cannot be read (errors name its file and row), it has no rows, or the SVG
/// cannot be drawn or written (naming `out_svg`).
pub fn plot_history(history_csv: &Path, out_svg: &Path) -> Result<()> {
    let svg = history_svg(history_csv, out_svg)?;
    if let Some(dir) = out_svg.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    write_atomic(out_svg, svg.as_bytes())
}

/// [`plot_history`]'s picture as SVG text, for a caller that writes it with other files
/// (`out_svg` only names the picture in errors).
pub fn history_svg(history_csv: &Path, out_svg: &Path) -> Result<String> {
    let rows = history::read(history_csv)?;
    if rows.is_empty() {
        return Err(Error::Data {
            path: history_csv.to_path_buf(),
            row: None,
            column: None,
            msg: "no epochs in this history: nothing to plot".into(),
        });
    }
    render(&rows).map_err(|e| Error::Other(format!("{}: {e}", out_svg.display())))
}

/// The train and validation curves of the loss (positive values only, for the log axis) and
/// of the accuracy; non-finite values are skipped.
fn curves(rows: &[HistoryRow]) -> ([Curve; 2], [Curve; 2]) {
    let series = |name, color, f: fn(&HistoryRow) -> f64, positive: bool| Curve {
        name,
        color,
        points: rows
            .iter()
            .map(|r| (r.epoch as f64, f(r)))
            .filter(|&(_, v)| v.is_finite() && (!positive || v > 0.0))
            .collect(),
    };
    let loss = [
        series("train loss", TRAIN, |r| r.train_loss, true),
        series("val loss", VAL, |r| r.val_loss, true),
    ];
    let acc = [
        series("train acc", TRAIN, |r| r.train_acc, false),
        series("val acc", VAL, |r| r.val_acc, false),
    ];
    (loss, acc)
}

/// The SVG text of both panels.
fn render(rows: &[HistoryRow]) -> std::result::Result<String, String> {
    let (loss, acc) = curves(rows);
    let last = rows.iter().map(|r| r.epoch).max().unwrap_or(1) as f64;
    // At least one epoch of width, so that a one-epoch run still has a valid x range.
    let epochs = 1.0..last.max(2.0);
    let (lo, hi) = bounds(&loss, 1e-6);
    // Whole decades, because plotters puts log ticks only from the first power of ten in range;
    // the bottom a hair below its decade, so that rounding keeps that decade's tick.
    let decade = |v: f64, round: fn(f64) -> f64| 10f64.powf(round(v.log10()));
    let loss_y = (decade(lo, f64::floor) * 0.999..decade(hi * 1.01, f64::ceil)).log_scale();
    let loss_panel = Panel {
        title: "loss (log scale)",
        legend: SeriesLabelPosition::UpperRight,
        y_fmt: log_label,
        // Enough tick candidates that plotters proposes 2× and 5× of each decade too.
        y_labels: 30,
    };
    let (lo, hi) = bounds(&acc, 0.0);
    let acc_y = (lo - 0.02).max(0.0)..(hi + 0.02).min(1.0);
    // Accuracy rises to the top right, so its legend goes below the curves.
    let acc_panel = Panel {
        title: "accuracy",
        legend: SeriesLabelPosition::LowerRight,
        y_fmt: |v| format!("{v:.2}"),
        y_labels: 10,
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (left, right) = root.split_horizontally(SIZE.0 / 2);
        panel(&left, &loss_panel, epochs.clone(), loss_y, &loss)?;
        panel(&right, &acc_panel, epochs, acc_y, &acc)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Smallest and largest value over the curves (`(floor, 1)` when they hold no points), the
/// smallest kept at or above `floor`.
fn bounds(curves: &[Curve], floor: f64) -> (f64, f64) {
    let values = || curves.iter().flat_map(|c| c.points.iter().map(|p| p.1));
    let lo = values().fold(f64::INFINITY, f64::min);
    let hi = values().fold(f64::NEG_INFINITY, f64::max);
    if lo.is_finite() && hi.is_finite() {
        (lo.max(floor), hi.max(lo.max(floor)))
    } else {
        (floor, 1.0)
    }
}

/// What differs between the two panels.
struct Panel {
    title: &'static str,
    legend: SeriesLabelPosition,
    y_fmt: fn(&f64) -> String,
    y_labels: usize,
}

/// Labels a log axis at 1, 2 and 5 times each power of ten ("0.02", "0.05", "0.1", "1e-4"),
/// and nothing else: the axis also has grid lines at 3×, 4×, ... of each decade, and labelling
/// those too crowds the axis with digits.
fn log_label(v: &f64) -> String {
    if !(v.is_finite() && *v > 0.0) {
        return String::new();
    }
    let k = v.log10().floor();
    let mantissa = v / 10f64.powf(k);
    let Some(m) = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|m| (mantissa - m).abs() < 1e-6 * m)
    else {
        return String::new();
    };
    // A mantissa of 10 is the next decade reached through rounding.
    let (m, k) = if m == 10.0 {
        (1.0, k as i32 + 1)
    } else {
        (m, k as i32)
    };
    match k {
        0.. => format!("{}", m * 10f64.powi(k)),
        -3..=-1 => format!("{:.*}", (-k) as usize, m * 10f64.powi(k)),
        _ => format!("{m}e{k}"),
    }
}

/// One panel: axes with labels (whole epochs on x), the curves and their legend.
fn panel<Y>(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    p: &Panel,
    x: Range<f64>,
    y: Y,
    curves: &[Curve],
) -> std::result::Result<(), String>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let mut chart = ChartBuilder::on(area)
        .caption(p.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d::<RangedCoordf64, Y>(x.into(), y)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc(p.title)
        .y_label_formatter(&p.y_fmt)
        .y_labels(p.y_labels)
        // Grid lines at the labelled ticks only: plotters' finer lines bunch up on a log axis.
        .light_line_style(TRANSPARENT)
        .draw()
        .map_err(err)?;
    for c in curves {
        let color = c.color;
        chart
            .draw_series(LineSeries::new(
                c.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(c.name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(p.legend.clone())
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(epoch: usize, loss: f64, acc: f64) -> HistoryRow {
        HistoryRow {
            epoch,
            train_loss: loss,
            train_acc: acc,
            val_loss: loss * 1.1,
            val_acc: acc - 0.01,
            val_f1: acc,
            val_auc: f64::NAN,
            val_bal_acc: acc,
            val_ap: f64::NAN,
            lr: 0.01,
            seconds: 0.1,
        }
    }

    /// A history file as the epoch loop writes it: the header, then one line per row.
    fn write_history(path: &Path, rows: &[HistoryRow]) {
        let mut text = format!("{}\n", history::COLUMNS.join(","));
        rows.iter().for_each(|r| text.push_str(&r.to_csv_line()));
        std::fs::write(path, text).expect("write history");
    }

    #[test]
    fn draws_both_panels_with_legends() {
        let dir = tempfile::tempdir().expect("tempdir");
        let csv = dir.path().join("history.csv");
        let rows: Vec<_> = (1..=5)
            .map(|e| row(e, 1.0 / e as f64, 0.5 + 0.09 * e as f64))
            .collect();
        write_history(&csv, &rows);
        let out = dir.path().join("plots/curves.svg");
        plot_history(&csv, &out).expect("plot");
        let svg = std::fs::read_to_string(&out).expect("read svg");
        assert!(
            svg.starts_with("<svg"),
            "not an SVG: {}",
            &svg[..svg.len().min(40)]
        );
        for text in [
            "loss (log scale)",
            "accuracy",
            "train loss",
            "val loss",
            "train acc",
            "val acc",
            "epoch",
        ] {
            assert!(svg.contains(text), "missing label {text:?}");
        }
        // Four curves plus four legend samples, each a polyline.
        assert!(
            svg.matches("<polyline").count() >= 8,
            "expected curves as polylines"
        );
    }

    #[test]
    fn log_axis_labels_one_two_five() {
        let cases = [
            (1.0, "1"),
            (20.0, "20"),
            (0.1, "0.1"),
            (0.05, "0.05"),
            (0.002, "0.002"),
            (1e-5, "1e-5"),
            (2e-4, "2e-4"),
            (0.3, ""),
            (0.07, ""),
            (0.0, ""),
        ];
        for (v, want) in cases {
            assert_eq!(log_label(&v), want, "label of {v}");
        }
    }

    #[test]
    fn one_epoch_and_nan_values_still_plot() {
        let dir = tempfile::tempdir().expect("tempdir");
        let csv = dir.path().join("history.csv");
        let mut r = row(1, 0.7, 0.5);
        r.val_loss = f64::NAN;
        write_history(&csv, &[r]);
        let out = dir.path().join("curves.svg");
        plot_history(&csv, &out).expect("plot");
        assert!(std::fs::read_to_string(&out)
            .expect("svg")
            .contains("</svg>"));
    }

    #[test]
    fn empty_or_missing_history_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let csv = dir.path().join("history.csv");
        write_history(&csv, &[]);
        let out = dir.path().join("curves.svg");
        let msg = plot_history(&csv, &out).expect_err("no rows").to_string();
        assert!(
            msg.contains("history.csv") && msg.contains("no epochs"),
            "{msg}"
        );
        assert!(!out.exists(), "no picture for an empty history");
        let missing = dir.path().join("nope.csv");
        let msg = plot_history(&missing, &out)
            .expect_err("missing")
            .to_string();
        assert!(msg.contains("nope.csv"), "{msg}");
    }
}
