//! `DIR/summary.md`: one row per grid point, each metric as mean ± std and its 95 % interval
//! (Student's t over the runs of the point), the number of runs, and the best point chosen by
//! the monitored validation metric, never by a test number. It holds no wall time and no date,
//! so that the same runs always give the same bytes (a killed sweep, rerun, gives the same file).

use super::plan::{grid_points, Manifest};
use super::results::{RunResult, METRICS, VAL_METRICS};

/// Mean, sample standard deviation and the half-width of the 95 % t-interval of the finite
/// values (`None` when there are none; the half-width is NaN for a single value).
pub fn stats(values: &[f64]) -> Option<(f64, f64, f64)> {
    let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    let n = v.len();
    if n == 0 {
        return None;
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return Some((mean, 0.0, f64::NAN));
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let std = var.sqrt();
    Some((mean, std, t975(n - 1) * std / (n as f64).sqrt()))
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom (NaN for 0), from statrs's
/// inverse CDF: equal to scipy's `t.ppf(0.975, df)` to 1e-9 (`common/tests/sweep_stats.rs`).
pub fn t975(df: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    match StudentsT::new(0.0, 1.0, df as f64) {
        Ok(t) if df > 0 => t.inverse_cdf(0.975),
        _ => f64::NAN,
    }
}

/// One grid point's label (`optim.lr=0.01, model.hidden=[8]`; `(config)` without a grid).
pub fn point_label(values: &[(String, String)]) -> String {
    if values.is_empty() {
        return "(config)".into();
    }
    values
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Per grid point: its label, its number of runs and the stats of each metric.
pub type PointStats = (String, usize, Vec<Option<(f64, f64, f64)>>);

/// The stats of every grid point, in grid order.
pub fn by_point(m: &Manifest, results: &[RunResult]) -> Vec<PointStats> {
    grid_points(&m.grid)
        .iter()
        .enumerate()
        .map(|(p, values)| {
            let runs: Vec<&RunResult> = results.iter().filter(|r| r.plan.point == p).collect();
            let metrics = (0..METRICS.len())
                .map(|i| stats(&runs.iter().map(|r| r.metrics[i]).collect::<Vec<_>>()))
                .collect();
            (point_label(values), runs.len(), metrics)
        })
        .collect()
}

/// The index of the best point by the mean of `monitor` (a `val_*` metric), `maximize` or not.
pub fn best_point(points: &[PointStats], monitor: &str, maximize: bool) -> Option<usize> {
    let i = METRICS.iter().position(|m| *m == monitor)?;
    let key = |p: &PointStats| p.2[i].map(|s| s.0);
    let mut best: Option<(usize, f64)> = None;
    for (k, p) in points.iter().enumerate() {
        if let Some(v) = key(p) {
            let better = best.is_none_or(|(_, b)| if maximize { v > b } else { v < b });
            if better {
                best = Some((k, v));
            }
        }
    }
    best.map(|(k, _)| k)
}

/// One cell: `mean ± std [lo, hi]`. A metric bounded to [0, 1] (accuracy, F1, AUC) has its
/// interval clipped to that range and marked `*`: with few runs a t-interval can cross it
/// (two seeds gave `[0.899, 1.086]` for an accuracy), which says nothing true.
fn cell(s: &Option<(f64, f64, f64)>, bounded: bool) -> String {
    match s {
        None => "–".into(),
        Some((m, sd, h)) if h.is_finite() => {
            let (lo, hi) = (m - h, m + h);
            if bounded && (lo < 0.0 || hi > 1.0) {
                format!("{m:.4} ± {sd:.4} [{:.4}, {:.4}]*", lo.max(0.0), hi.min(1.0))
            } else {
                format!("{m:.4} ± {sd:.4} [{lo:.4}, {hi:.4}]")
            }
        }
        Some((m, sd, _)) => format!("{m:.4} ± {sd:.4}"),
    }
}

/// The text of `summary.md`.
pub fn render(m: &Manifest, results: &[RunResult], monitor: &str, maximize: bool) -> String {
    let points = by_point(m, results);
    let best = best_point(&points, monitor, maximize);
    let folds = match m.folds {
        0 => String::new(),
        k => format!(" × {k} folds"),
    };
    let mut s =
        format!(
        "# Sweep summary\n\n`{} sweep --config {}{}`: {} grid point(s) × {} seed(s){folds} = {} \
         runs.\nEach cell: mean ± sample std [95 % t-interval of the mean] over the runs of the \
         point; validation metrics at each run's best epoch, test metrics of its best \
         checkpoint. `*`: the interval of a metric bounded to [0, 1] crossed that range and is \
         clipped to it.\n\n",
        m.backend,
        m.config,
        m.set.iter().map(|s| format!(" --set {s}")).collect::<String>(),
        points.len(),
        m.seeds.len(),
        results.len()
    );
    for (title, range) in [
        ("Validation", 0..VAL_METRICS),
        (
            "Test (never used for selection)",
            VAL_METRICS..METRICS.len(),
        ),
    ] {
        s.push_str(&format!("## {title}\n\n| point | runs |"));
        for name in &METRICS[range.clone()] {
            s.push_str(&format!(" {name} |"));
        }
        s.push_str(&format!("\n|---|---:|{}\n", "---|".repeat(range.len())));
        for (k, (label, n, st)) in points.iter().enumerate() {
            let mark = if Some(k) == best { " **(best)**" } else { "" };
            s.push_str(&format!("| {label}{mark} | {n} |"));
            for (name, stat) in METRICS[range.clone()].iter().zip(&st[range.clone()]) {
                s.push_str(&format!(" {} |", cell(stat, !name.ends_with("loss"))));
            }
            s.push('\n');
        }
        s.push('\n');
    }
    let dir = if maximize { "highest" } else { "lowest" };
    match best {
        Some(k) => s.push_str(&format!(
            "Best point, by the {dir} mean {monitor} (validation only): **{}**.\n",
            points[k].0
        )),
        None => s.push_str(&format!("No point has a finite {monitor}.\n")),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounded_metric_keeps_its_interval_in_range() {
        // Two seeds of an accuracy: 0.95 and 1.0 give a t-interval past 1.
        let st = stats(&[0.95, 1.0]);
        let (m, _, h) = st.unwrap();
        assert!(m + h > 1.0);
        let c = cell(&st, true);
        assert!(c.ends_with("1.0000]*"), "{c}");
        assert!(!cell(&st, false).contains('*'), "a loss is not bounded");
        assert!(
            !cell(&stats(&[0.5, 0.52]), true).contains('*'),
            "inside: unchanged"
        );
    }

    #[test]
    fn stats_match_hand_computed_values() {
        let (m, sd, h) = stats(&[1.0, 2.0, 3.0, f64::NAN]).unwrap();
        assert_eq!((m, sd), (2.0, 1.0));
        // scipy.stats.t.ppf(0.975, 2) = 4.302652729749464 (the whole range is checked against
        // SciPy itself in common/tests/sweep_stats.rs).
        assert!((h - 4.302652729749464 / 3f64.sqrt()).abs() < 1e-9);
        assert!(stats(&[f64::NAN]).is_none());
        assert!((t975(1000) - 1.962339).abs() < 1e-6);
        assert!((t975(31) - 2.039513).abs() < 1e-6);
        assert!(t975(0).is_nan());
    }
}
