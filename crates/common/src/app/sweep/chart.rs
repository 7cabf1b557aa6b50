//! `DIR/summary.svg`: the monitored validation metric against each grid key, one panel per
//! key, each grid point drawn at its value of that key as its mean with a ± std error bar
//! (when other keys vary, a key's value has one bar per combination of the others). Values
//! are placed as categories in the order given, so `0.1,0.01,0.001` and `[8],[32,16]` plot
//! alike. Only the SVG backend of `plotters`, as `common::plot`.

use std::path::Path;

use plotters::prelude::*;

use super::plan::{grid_points, Manifest};
use super::report::PointStats;
use super::results::METRICS;
use crate::checkpoint::write_atomic;
use crate::{Error, Result};

/// One panel's size in pixels.
const PANEL: (u32, u32) = (480, 360);
const BAR: RGBColor = RGBColor(214, 39, 40);

/// Draws the picture into `out`.
pub fn plot(m: &Manifest, points: &[PointStats], monitor: &str, out: &Path) -> Result<()> {
    let i = METRICS.iter().position(|x| *x == monitor).unwrap_or(0);
    let values = grid_points(&m.grid);
    let keys: Vec<(String, Vec<String>)> = if m.grid.is_empty() {
        vec![("(config)".into(), vec!["config".into()])]
    } else {
        m.grid
            .iter()
            .map(|g| (g.key.clone(), g.values.clone()))
            .collect()
    };
    // (key index, x, mean, std) of every point with a finite mean.
    let mut bars = Vec::new();
    for (p, (_, _, st)) in points.iter().enumerate() {
        let Some((mean, sd, _)) = st[i] else { continue };
        for (k, (key, vals)) in keys.iter().enumerate() {
            let v = values[p].iter().find(|(kk, _)| kk == key).map(|(_, v)| v);
            let x = v
                .and_then(|v| vals.iter().position(|x| x == v))
                .unwrap_or(0);
            bars.push((k, x as f64, mean, sd));
        }
    }
    let svg = render(&keys, &bars, monitor)
        .map_err(|e| Error::Other(format!("{}: {e}", out.display())))?;
    write_atomic(out, svg.as_bytes())
}

/// `(key index, x, mean, std)` of one error bar.
type Bar = (usize, f64, f64, f64);

fn render(
    keys: &[(String, Vec<String>)],
    bars: &[Bar],
    monitor: &str,
) -> std::result::Result<String, String> {
    let lo = bars.iter().map(|b| b.2 - b.3).fold(f64::INFINITY, f64::min);
    let hi = bars
        .iter()
        .map(|b| b.2 + b.3)
        .fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let pad = ((hi - lo) * 0.1).max(1e-3);
    let mut svg = String::new();
    {
        let width = PANEL.0 * keys.len() as u32;
        let root = SVGBackend::with_string(&mut svg, (width, PANEL.1)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let areas = root.split_evenly((1, keys.len()));
        for (k, (key, area)) in keys.iter().zip(&areas).enumerate() {
            let mine: Vec<Bar> = bars.iter().copied().filter(|b| b.0 == k).collect();
            panel(area, key, &mine, monitor, lo - pad..hi + pad)?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// One key's panel: its values as categories on x, the bars of its points.
fn panel(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    (key, vals): &(String, Vec<String>),
    bars: &[Bar],
    monitor: &str,
    y: std::ops::Range<f64>,
) -> std::result::Result<(), String> {
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let n = vals.len() as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{monitor} by {key}"), ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5..n - 0.5, y)
        .map_err(err)?;
    // Ticks at every half step; only the whole ones (the categories) are labelled.
    let label = |x: &f64| {
        let r = x.round();
        let ok = (x - r).abs() < 1e-9 && r >= 0.0 && (r as usize) < vals.len();
        if ok {
            vals[r as usize].clone()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .x_desc(key.as_str())
        .y_desc(format!("{monitor} (mean ± std)"))
        .x_labels(vals.len() * 2 + 1)
        .x_label_formatter(&label)
        .light_line_style(TRANSPARENT)
        .draw()
        .map_err(err)?;
    chart
        .draw_series(
            bars.iter().map(|&(_, x, m, sd)| {
                ErrorBar::new_vertical(x, m - sd, m, m + sd, BAR.filled(), 10)
            }),
        )
        .map_err(err)?;
    chart
        .draw_series(
            bars.iter()
                .map(|&(_, x, m, _)| Circle::new((x, m), 4, BAR.filled())),
        )
        .map_err(err)?;
    Ok(())
}
