//! What a person watching the run sees: an indicatif bar over epochs on stderr (only on a
//! terminal, never in logs or pipes), the chapter's per-epoch line and gradient norms on
//! stdout, printed around the bar so that the two never garble each other.

use indicatif::{ProgressBar, ProgressStyle};

use super::{EpochStats, FitOptions};
use crate::config::Config;
use crate::history::HistoryRow;
use std::io::IsTerminal;

/// The optional progress bar of a run.
pub(super) struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar over `total` epochs starting at `done`, shown only when stderr is a terminal and
    /// the run is not quiet.
    pub(super) fn new(total: usize, done: usize, quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::new(total as u64);
        let style =
            ProgressStyle::with_template("epoch {pos}/{len} [{bar:30}] {elapsed_precise} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        bar.set_style(style);
        bar.set_position(done as u64);
        Progress { bar: Some(bar) }
    }

    /// Prints a line on stdout without tearing the bar.
    pub(super) fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| crate::outln!("{line}")),
            None => crate::outln!("{line}"),
        }
    }

    /// One more epoch done; `msg` shows the latest validation metric.
    pub(super) fn advance(&self, msg: String) {
        if let Some(bar) = &self.bar {
            // Message first: `inc` redraws, and the redraw should show the new value.
            bar.set_message(msg);
            bar.inc(1);
        }
    }

    /// Leaves the final state of the bar on screen.
    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

/// What a person sees of one epoch: tracing events, the chapter line, gradient norms, the
/// progress bar.
pub(super) fn report(
    progress: &Progress,
    cfg: &Config,
    opts: &FitOptions,
    row: &HistoryRow,
    stats: &EpochStats,
    value: f64,
) {
    tracing::debug!(
        epoch = row.epoch,
        train_loss = row.train_loss,
        train_acc = row.train_acc,
        val_loss = row.val_loss,
        val_acc = row.val_acc,
        val_f1 = row.val_f1,
        val_auc = row.val_auc,
        val_bal_acc = row.val_bal_acc,
        val_ap = row.val_ap,
        lr = row.lr,
        seconds = row.seconds,
        "epoch done"
    );
    let quiet = opts.quiet;
    if opts.chapter_lines && !quiet {
        progress.println(&row.chapter_line());
    }
    if cfg.train.log_grad_norms && !stats.grad_norms.is_empty() {
        let line = grad_norm_line(&stats.grad_norms);
        tracing::debug!(epoch = row.epoch, "{}", line.trim_start());
        if !quiet {
            progress.println(&line);
        }
    }
    progress.advance(format!("{}={value:.4}", cfg.train.monitor));
}

/// The `--log-grad-norms` line: `  grad_norm net.0.weight=1.234e-1 net.0.bias=5.000e-2`.
pub(super) fn grad_norm_line(norms: &[(String, f64)]) -> String {
    let parts: Vec<String> = norms
        .iter()
        .map(|(name, n)| format!("{name}={n:.3e}"))
        .collect();
    format!("  grad_norm {}", parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grad_norm_line_names_each_parameter() {
        let line = grad_norm_line(&[("net.0.weight".into(), 0.1234), ("net.0.bias".into(), 0.05)]);
        assert_eq!(
            line,
            "  grad_norm net.0.weight=1.234e-1 net.0.bias=5.000e-2"
        );
    }

    #[test]
    fn quiet_has_no_bar() {
        let p = Progress::new(10, 0, true);
        assert!(p.bar.is_none());
        p.advance("val_loss=0.5".into());
        p.finish();
    }
}
