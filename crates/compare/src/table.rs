//! The side-by-side table: one row per measure, one column per backend, and a last column
//! saying how torch relates to scratch (a difference for losses and metrics, a ratio for time
//! and throughput). Rendered for the terminal and as Markdown for `report.md`.

use common::history::HistoryRow;

use crate::side::{Comparison, Side};

/// One row: the measure and its cells (scratch, torch, torch vs scratch).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// What is measured.
    pub label: String,
    /// Scratch, torch, and the comparison cell.
    pub cells: [String; 3],
}

/// How the last column compares the two values.
#[derive(Clone, Copy)]
enum Diff {
    /// `torch − scratch`.
    Delta,
    /// `torch / scratch`.
    Ratio,
    /// `same` or `differs`.
    Same,
}

fn row(label: String, values: [f64; 2], digits: usize, diff: Diff) -> Row {
    let [a, b] = values;
    let fmt = |v: f64| {
        if v.is_nan() {
            "n/a".to_string()
        } else {
            format!("{v:.digits$}")
        }
    };
    let last = match diff {
        Diff::Delta if a.is_nan() || b.is_nan() => String::new(),
        Diff::Delta if a == b => "0".into(),
        Diff::Delta => format!("{:+.1e}", b - a),
        Diff::Ratio => format!("×{:.2}", b / a),
        Diff::Same if a == b => "same".into(),
        Diff::Same => "differs".into(),
    };
    Row {
        label,
        cells: [fmt(a), fmt(b), last],
    }
}

/// The table's rows for a comparison of two sides.
pub fn rows(c: &Comparison) -> Vec<Row> {
    let mut out = quality_rows(c);
    out.extend(run_rows(c));
    out
}

/// Losses, accuracies and the evaluation split's metrics.
fn quality_rows(c: &Comparison) -> Vec<Row> {
    let [s, t] = [&c.sides[0], &c.sides[1]];
    let last =
        |side: &Side, f: fn(&HistoryRow) -> f64| side.outcome.history.last().map_or(f64::NAN, f);
    let both = |f: fn(&HistoryRow) -> f64| [last(s, f), last(t, f)];
    let split = c.eval_split;
    let auc = [s.eval.roc_auc, t.eval.roc_auc].map(|a| a.unwrap_or(f64::NAN));
    vec![
        row(
            "final train loss".into(),
            both(|r| r.train_loss),
            4,
            Diff::Delta,
        ),
        row(
            "final train accuracy".into(),
            both(|r| r.train_acc),
            4,
            Diff::Delta,
        ),
        row(
            "final val loss".into(),
            both(|r| r.val_loss),
            4,
            Diff::Delta,
        ),
        row(
            "final val accuracy".into(),
            both(|r| r.val_acc),
            4,
            Diff::Delta,
        ),
        row(
            format!("{split} accuracy (best)"),
            [s.eval.accuracy, t.eval.accuracy],
            4,
            Diff::Delta,
        ),
        row(
            format!("{split} macro F1 (best)"),
            [s.eval.macro_f1, t.eval.macro_f1],
            4,
            Diff::Delta,
        ),
        row(format!("{split} ROC AUC (best)"), auc, 4, Diff::Delta),
    ]
}

/// Epochs, time, throughput and size.
fn run_rows(c: &Comparison) -> Vec<Row> {
    let sides = [&c.sides[0], &c.sides[1]];
    let each = |f: fn(&Side) -> f64| sides.map(f);
    let params = c.spec.n_params() as f64;
    vec![
        row(
            "epochs run".into(),
            each(|x| x.outcome.epochs_run as f64),
            0,
            Diff::Same,
        ),
        row(
            "best epoch".into(),
            each(|x| x.outcome.best_epoch as f64),
            0,
            Diff::Same,
        ),
        row(
            "training time (s)".into(),
            each(|x| x.outcome.train_seconds),
            3,
            Diff::Ratio,
        ),
        row("train samples/s".into(), each(rate), 0, Diff::Ratio),
        row("parameters".into(), [params, params], 0, Diff::Same),
    ]
}

/// Training examples per second of training steps.
fn rate(side: &Side) -> f64 {
    side.outcome.train_samples as f64 / side.outcome.train_seconds.max(1e-12)
}

/// The table as aligned plain text.
pub fn render_text(c: &Comparison) -> String {
    let rows = rows(c);
    let header = ["", "scratch", "torch", "torch vs scratch"];
    let w0 = rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(0);
    let w = |i: usize| {
        let cells = rows.iter().map(|r| r.cells[i].chars().count());
        cells.chain([header[i + 1].len()]).max().unwrap_or(0)
    };
    let [w1, w2, w3] = [w(0), w(1), w(2)];
    let mut out = format!(
        "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}\n",
        header[0], header[1], header[2], header[3]
    );
    out.push_str(&format!("{}\n", "-".repeat(w0 + w1 + w2 + w3 + 6)));
    for r in &rows {
        let [a, b, d] = &r.cells;
        out.push_str(&format!("{:<w0$}  {a:>w1$}  {b:>w2$}  {d:>w3$}\n", r.label));
    }
    out
}

/// The table as GitHub-flavoured Markdown.
pub fn render_markdown(c: &Comparison) -> String {
    let mut out = String::from("| | scratch | torch | torch vs scratch |\n|---|---:|---:|---:|\n");
    for r in rows(c) {
        let [a, b, d] = &r.cells;
        out.push_str(&format!("| {} | {a} | {b} | {d} |\n", r.label));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_compare_as_announced() {
        let r = row("x".into(), [0.5, 0.25], 3, Diff::Delta);
        assert_eq!(
            r.cells,
            ["0.500".to_string(), "0.250".into(), "-2.5e-1".into()]
        );
        assert_eq!(row("y".into(), [0.5, 0.5], 3, Diff::Delta).cells[2], "0");
        let r = row("t".into(), [2.0, 1.0], 1, Diff::Ratio);
        assert_eq!(r.cells[2], "×0.50");
        assert_eq!(row("e".into(), [3.0, 3.0], 0, Diff::Same).cells[2], "same");
        assert_eq!(
            row("e".into(), [3.0, 4.0], 0, Diff::Same).cells[2],
            "differs"
        );
        let r = row("auc".into(), [f64::NAN, 0.9], 2, Diff::Delta);
        assert_eq!((r.cells[0].as_str(), r.cells[2].as_str()), ("n/a", ""));
    }
}
