//! The confusion matrix as an SVG picture (the final project's "per-class confusion matrix"):
//! one cell per (true, predicted) class pair holding its count, shaded by the share of the
//! true class's examples it holds, so that a weak class shows as a pale diagonal cell whatever
//! its size. Class names label both axes. Plain SVG text: no fonts or plotting library needed.

use ndarray::Array2;

/// Cell side in pixels.
const CELL: usize = 36;

/// Escapes text for an SVG element.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG of `confusion[[true, predicted]]` with `classes` in index order and `title` above.
///
/// # Shapes
/// `confusion`: `[K, K]` with `K = classes.len()`.
pub fn confusion_svg(confusion: &Array2<usize>, classes: &[String], title: &str) -> String {
    let k = classes.len();
    let label = classes
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(1)
        .min(24)
        * 7
        + 16;
    let (left, top) = (label + 24, 48);
    let (width, height) = (left + k * CELL + 16, top + k * CELL + label + 24);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{left}\" y=\"20\" font-size=\"13\">{}</text>\n\
         <text x=\"{left}\" y=\"38\">rows: true class, columns: predicted class</text>\n",
        escape(title)
    );
    for t in 0..k {
        let support = confusion.row(t).sum().max(1) as f64;
        for p in 0..k {
            let n = confusion[[t, p]];
            let share = n as f64 / support;
            // Blue for the diagonal, red for errors; white for none.
            let (r, g, b) = if t == p {
                (31, 119, 180)
            } else {
                (214, 39, 40)
            };
            let mix = |c: u8| (255.0 - (255.0 - f64::from(c)) * share).round() as u8;
            let (x, y) = (left + p * CELL, top + t * CELL);
            svg.push_str(&format!(
                "<rect x=\"{x}\" y=\"{y}\" width=\"{CELL}\" height=\"{CELL}\" fill=\"rgb({},{},{})\" stroke=\"#ccc\"/>\
                 <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\">{n}</text>\n",
                mix(r),
                mix(g),
                mix(b),
                x + CELL / 2,
                y + CELL / 2 + 4,
                if share > 0.6 { "white" } else { "black" }
            ));
        }
    }
    for (i, name) in classes.iter().enumerate() {
        let name = escape(name);
        let y = top + i * CELL + CELL / 2 + 4;
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{y}\" text-anchor=\"end\">{name}</text>\n",
            left - 6
        ));
        let x = left + i * CELL + CELL / 2;
        let yb = top + k * CELL + 8;
        svg.push_str(&format!(
            "<text x=\"{x}\" y=\"{yb}\" text-anchor=\"end\" transform=\"rotate(-60 {x} {yb})\">{name}</text>\n"
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_names_and_escaping() {
        let m = Array2::from_shape_vec((2, 2), vec![7, 1, 0, 3]).unwrap();
        let svg = confusion_svg(&m, &["a<b".into(), "gato".into()], "test split");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(
            svg.contains(">7</text>") && svg.contains(">3</text>") && svg.contains(">0</text>")
        );
        assert!(svg.contains("a&lt;b") && !svg.contains("a<b"));
        assert_eq!(svg.matches("<rect x=").count(), 4);
    }
}
