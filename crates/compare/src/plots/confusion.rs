//! The confusion-matrix plot of the report: true classes down, predicted classes across,
//! drawn on the drawing area in pixels (no chart axes), so that every class name sits exactly
//! at its row and column.

use std::path::Path;

use common::Result;
use ndarray::Array2;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{write_svg, BACKEND_COLORS};

/// Centred black text of `px` pixels at `at`.
fn label(s: String, at: (i32, i32), px: u32) -> Text<'static, (i32, i32), String> {
    let style = ("sans-serif", px).into_font().color(&BLACK);
    Text::new(s, at, style.pos(Pos::new(HPos::Center, VPos::Center)))
}

/// A confusion matrix: true classes down, predicted classes across, each cell shaded by its
/// share of the true class and labelled with its count.
pub fn confusion(path: &Path, title: &str, m: &Array2<usize>, names: &[String]) -> Result<()> {
    let k = m.nrows().max(1) as i32;
    let cell = (360 / k).clamp(24, 64);
    let size = (LEFT + cell * k + 30, TOP + cell * k + 40);
    write_svg(path, (size.0 as u32, size.1 as u32), |root| {
        draw_confusion(root, title, m, names, cell)
    })
}

/// Left and top margins of the confusion matrix, for the class names.
const LEFT: i32 = 110;
const TOP: i32 = 70;

fn draw_confusion(
    root: &DrawingArea<SVGBackend, Shift>,
    title: &str,
    m: &Array2<usize>,
    names: &[String],
    cell: i32,
) -> std::result::Result<(), String> {
    let e = |x: DrawingAreaErrorKind<_>| x.to_string();
    let k = m.nrows() as i32;
    let width = root.dim_in_pixel().0 as i32;
    root.fill(&WHITE).map_err(e)?;
    root.draw(&label(title.to_string(), (width / 2, 20), 18))
        .map_err(e)?;
    root.draw(&label(
        "predicted".into(),
        (LEFT + cell * k / 2, TOP - 38),
        14,
    ))
    .map_err(e)?;
    root.draw(&label("true".into(), (22, TOP + cell * k / 2), 14))
        .map_err(e)?;
    for (i, row) in m.rows().into_iter().enumerate() {
        let total = row.sum().max(1) as f64;
        for (j, &v) in row.iter().enumerate() {
            let (x, y) = (LEFT + j as i32 * cell, TOP + i as i32 * cell);
            let shade = BACKEND_COLORS[0]
                .mix(0.08 + 0.85 * v as f64 / total)
                .filled();
            root.draw(&Rectangle::new([(x, y), (x + cell, y + cell)], shade))
                .map_err(e)?;
            root.draw(&label(v.to_string(), (x + cell / 2, y + cell / 2), 13))
                .map_err(e)?;
        }
    }
    for (c, name) in names.iter().enumerate().take(k as usize) {
        let mid = c as i32 * cell + cell / 2;
        let short: String = name.chars().take(10).collect();
        root.draw(&label(short.clone(), (LEFT + mid, TOP - 14), 12))
            .map_err(e)?;
        root.draw(&label(short, (LEFT - 40, TOP + mid), 12))
            .map_err(e)?;
    }
    Ok(())
}
