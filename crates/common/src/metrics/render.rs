//! The text form of a [`Report`]: the headline numbers, the per-class table and the confusion
//! matrix, with columns aligned to the longest class name so that it reads well in a terminal
//! and in a Markdown code block.

use std::fmt::Write;

use super::Report;

/// Width in characters (what `format!` pads by), not bytes: class names may be non-ASCII.
fn width(s: &str) -> usize {
    s.chars().count()
}

impl Report {
    /// A human-readable multi-line summary: accuracy, macro F1, AUC, balanced accuracy, average
    /// precision, log loss, the per-class
    /// table and the confusion matrix with class names.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let auc = self
            .roc_auc
            .map_or_else(|| "n/a".to_string(), |v| format!("{v:.4}"));
        // `write!` into a String cannot fail.
        let _ = writeln!(out, "examples   {}", self.n);
        if let Some(t) = self.threshold {
            let _ = writeln!(
                out,
                "threshold  {t:.4} (class 1's probability, train.threshold)"
            );
        }
        let ap = self
            .average_precision
            .map_or_else(|| "n/a".to_string(), |v| format!("{v:.4}"));
        let _ = writeln!(out, "accuracy   {:.4}", self.accuracy);
        let _ = writeln!(out, "macro F1   {:.4}", self.macro_f1);
        let _ = writeln!(out, "ROC AUC    {auc}");
        let _ = writeln!(out, "balanced accuracy   {:.4}", self.balanced_accuracy);
        let _ = writeln!(out, "average precision   {ap}");
        let _ = writeln!(out, "log loss   {:.4}", self.log_loss);
        out.push('\n');
        self.render_per_class(&mut out);
        out.push('\n');
        self.render_confusion(&mut out);
        out
    }

    /// The precision/recall/F1/support table, one row per class.
    fn render_per_class(&self, out: &mut String) {
        let name_w = self
            .per_class
            .iter()
            .map(|m| width(&m.name))
            .fold(width("class"), usize::max);
        let support_w = self
            .per_class
            .iter()
            .map(|m| m.support.to_string().len())
            .fold(7, usize::max);
        let _ = writeln!(
            out,
            "{:<name_w$}  precision  recall      f1  {:>support_w$}",
            "class", "support"
        );
        for m in &self.per_class {
            let _ = writeln!(
                out,
                "{:<name_w$}  {:>9.4}  {:>6.4}  {:>6.4}  {:>support_w$}",
                m.name, m.precision, m.recall, m.f1, m.support
            );
        }
    }

    /// The confusion matrix, rows the true class and columns the predicted one.
    fn render_confusion(&self, out: &mut String) {
        let names: Vec<&str> = self.per_class.iter().map(|m| m.name.as_str()).collect();
        let corner = "true \\ predicted";
        let row_w = names
            .iter()
            .map(|n| width(n))
            .fold(width(corner), usize::max);
        let max_count = self.confusion.iter().copied().max().unwrap_or(0);
        let col_w: Vec<usize> = names
            .iter()
            .map(|n| width(n).max(max_count.to_string().len()))
            .collect();
        let _ = writeln!(
            out,
            "confusion matrix (rows: true class, columns: predicted class)"
        );
        let _ = write!(out, "{corner:<row_w$}");
        for (name, w) in names.iter().zip(&col_w) {
            let _ = write!(out, "  {name:>w$}");
        }
        out.push('\n');
        for (t, name) in names.iter().enumerate() {
            let _ = write!(out, "{name:<row_w$}");
            for (p, w) in col_w.iter().enumerate() {
                let count = self.confusion.get([t, p]).copied().unwrap_or(0);
                let _ = write!(out, "  {count:>w$}");
            }
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::metrics::evaluate;
    use crate::spec::Head;
    use ndarray::array;

    #[test]
    fn columns_line_up_under_headers() {
        let names = vec![
            "Adelie".to_string(),
            "Chinstrap".to_string(),
            "Gentoo".to_string(),
        ];
        let logits = array![
            [3.0f32, 0.0, 0.0],
            [0.0, 3.0, 0.0],
            [0.0, 0.0, 3.0],
            [3.0, 0.0, 0.0]
        ];
        let text = evaluate(&logits, &[0, 1, 2, 1], Head::Softmax { classes: 3 }, &names).render();
        let lines: Vec<&str> = text.lines().collect();
        let header = lines
            .iter()
            .position(|l| l.starts_with("true \\ predicted"))
            .expect("matrix header");
        // Every matrix row is as wide as its header, so the counts sit under the names.
        for row in &lines[header + 1..header + 4] {
            assert_eq!(row.chars().count(), lines[header].chars().count(), "{text}");
        }
        let table = lines
            .iter()
            .position(|l| l.starts_with("class"))
            .expect("table header");
        for row in &lines[table + 1..table + 4] {
            assert_eq!(row.chars().count(), lines[table].chars().count(), "{text}");
        }
    }
}
