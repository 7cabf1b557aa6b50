//! The comparison's report: `report.md` in the comparison folder, with SVG plots beside it
//! (learning curves of both backends on shared axes, each backend's decision boundary for
//! 2-D data, each backend's confusion matrix), readable in any Markdown viewer or browser.

use std::path::{Path, PathBuf};

use common::app::write_atomic;
use common::data::Prepared;
use common::fit::{Backend, BEST_FILE, CONFIG_FILE, CURVES_FILE, HISTORY_FILE, LAST_FILE};
use common::history::HistoryRow;
use common::metrics::{predictions, probabilities};
use common::spec::ModelSpec;
use common::Result;
use ndarray::Array2;

use crate::plots::{self, Grid, Series, BACKEND_COLORS};
use crate::side::Comparison;
use crate::table;

/// Cells per side of the decision-boundary grid.
const GRID_STEPS: usize = 100;

/// Writes the plots and `report.md` into `out`; `source` says where the config came from
/// (shown in the report with the command that reproduces it). Returns the report's path.
pub fn write(c: &mut Comparison, out: &Path, source: &str, command: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(out).map_err(|e| common::Error::io(out, e))?;
    let mut figs = Figures {
        curves: Vec::new(),
        boundaries: Vec::new(),
        matrices: Vec::new(),
    };
    for (file, title, y, pick) in [
        (
            "loss.svg",
            "Loss",
            "loss (cross-entropy)",
            [loss_train, loss_val],
        ),
        ("accuracy.svg", "Accuracy", "accuracy", [acc_train, acc_val]),
    ] {
        plots::curves(&out.join(file), title, y, &curve_series(c, pick))?;
        figs.curves.push(file.to_string());
    }
    for side in &c.sides {
        let file = format!("confusion_{}.svg", side.name);
        let title = format!("{}: confusion matrix ({} split)", side.name, c.eval_split);
        plots::confusion(
            &out.join(&file),
            &title,
            &side.eval.confusion,
            &c.data.class_names,
        )?;
        figs.matrices.push(file);
    }
    // Two plain features only: a row index of an embedding table, or a bin of a number, is no
    // coordinate to sweep.
    let plain = c.spec.embeddings().is_none() && c.data.pre.piecewise_columns().is_empty();
    if c.data.n_features() == 2 && plain {
        for i in 0..c.sides.len() {
            let name = c.sides[i].name;
            let file = format!("boundary_{name}.svg");
            let grid = boundary_grid(&c.data, &c.spec, c.sides[i].backend.as_mut())?;
            let title = format!("{name}: decision boundary ({} split shown)", c.eval_split);
            plots::boundary(&out.join(&file), &title, &grid, &eval_points(c))?;
            figs.boundaries.push((name, file));
        }
    }
    let path = out.join(crate::side::REPORT_FILE);
    write_atomic(&path, markdown(c, source, command, &figs).as_bytes())?;
    Ok(path)
}

/// The evaluation split's examples as `(x, y, class)` (2-D data).
fn eval_points(c: &Comparison) -> Vec<(f64, f64, usize)> {
    let xy = c.eval_xy();
    xy.x.rows()
        .into_iter()
        .zip(&xy.y)
        .map(|(r, &y)| (f64::from(r[0]), f64::from(r[1]), y))
        .collect()
}

fn loss_train(r: &HistoryRow) -> f64 {
    r.train_loss
}
fn loss_val(r: &HistoryRow) -> f64 {
    r.val_loss
}
fn acc_train(r: &HistoryRow) -> f64 {
    r.train_acc
}
fn acc_val(r: &HistoryRow) -> f64 {
    r.val_acc
}

/// Train (solid) and validation (dashed) curves of both backends: scratch wide and pale,
/// torch thin on top, so that curves that coincide still show both.
fn curve_series(c: &Comparison, pick: [fn(&HistoryRow) -> f64; 2]) -> Vec<Series> {
    let mut out = Vec::new();
    for (i, side) in c.sides.iter().enumerate() {
        for (j, split) in ["train", "val"].into_iter().enumerate() {
            out.push(Series {
                label: format!("{} {split}", side.name),
                color: BACKEND_COLORS[i % 2],
                width: if i == 0 { 6 } else { 2 },
                dashed: j == 1,
                points: side
                    .outcome
                    .history
                    .iter()
                    .map(|r| (r.epoch as f64, pick[j](r)))
                    .collect(),
            });
        }
    }
    out
}

/// The model's predictions on a grid covering every split's examples (plus 10%).
fn boundary_grid(d: &Prepared, spec: &ModelSpec, backend: &mut dyn Backend) -> Result<Grid> {
    let range = |col: usize| {
        let all = [&d.train.x, &d.val.x, &d.test.x];
        let vals = all.iter().flat_map(|x| x.column(col).to_vec());
        let (lo, hi) = vals.fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        let pad = 0.1 * f64::from(hi - lo).max(1e-3);
        (f64::from(lo) - pad, f64::from(hi) + pad)
    };
    let (x, y) = (range(0), range(1));
    let n = GRID_STEPS;
    let centre = |(lo, hi): (f64, f64), i: usize| lo + (i as f64 + 0.5) * (hi - lo) / n as f64;
    let pts = Array2::from_shape_fn((n * n, 2), |(k, j)| {
        if j == 0 {
            centre(x, k % n) as f32
        } else {
            centre(y, k / n) as f32
        }
    });
    let logits = common::fit::checked_logits(backend, &pts, spec)?;
    let probs = probabilities(&logits, spec.head);
    let cells = predictions(&logits, spec.head)
        .into_iter()
        .enumerate()
        .map(|(k, class)| (class, probs[[k, class]]))
        .collect();
    Ok(Grid {
        x,
        y,
        steps: n,
        cells,
    })
}

/// How many evaluation examples both backends classify the same, and the largest difference
/// of a predicted probability.
pub fn agreement(c: &Comparison) -> (usize, usize, f64) {
    let head = c.spec.head;
    let [a, b] = [&c.sides[0].eval_logits, &c.sides[1].eval_logits];
    let (pa, pb) = (predictions(a, head), predictions(b, head));
    let same = pa.iter().zip(&pb).filter(|(x, y)| x == y).count();
    let (qa, qb) = (probabilities(a, head), probabilities(b, head));
    let dp = qa
        .iter()
        .zip(qb.iter())
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    (same, pa.len(), dp)
}

/// The plot files of a report, by section.
struct Figures {
    curves: Vec<String>,
    boundaries: Vec<(&'static str, String)>,
    matrices: Vec<String>,
}

/// The report's Markdown: setup, results, plots, run folders.
fn markdown(c: &Comparison, source: &str, command: &str, figs: &Figures) -> String {
    let mut s = format!(
        "# scratch vs torch: {source}\n\nBoth backends trained the same model on the same split \
         from the same initial weights (digest `{:016x}`), in f32, with the same minibatch order. \
         Reproduce with `{command}`.\n\n",
        c.init_digest
    );
    s.push_str(&setup(c));
    let (same, n, dp) = agreement(c);
    s.push_str("## Results\n\n");
    s.push_str(&table::render_markdown(c));
    s.push_str(&format!(
        "\nBest checkpoints on the {} split: both predict the same class for {same} of {n} \
         examples; the largest difference of a predicted probability is {dp:.2e}.\n\n",
        c.eval_split
    ));
    if let Some(note) = c.dropout_note() {
        s.push_str(&format!("Note: {note}.\n\n"));
    }
    s.push_str(&plots_section(c, figs));
    s.push_str("## Run folders\n\n");
    for side in &c.sides {
        let dir = side.dir.file_name().unwrap_or_default().to_string_lossy();
        s.push_str(&format!(
            "- `{dir}/`: {CONFIG_FILE}, {HISTORY_FILE}, {BEST_FILE}, {LAST_FILE}, \
             [{CURVES_FILE}]({dir}/{CURVES_FILE})\n"
        ));
    }
    s
}

/// The setup table: model, data, optimizer, training.
fn setup(c: &Comparison) -> String {
    let (cfg, d) = (&c.cfg, &c.data);
    let o = &cfg.optim;
    let lower = |v: &dyn std::fmt::Debug| format!("{v:?}").to_lowercase();
    format!(
        "| setup | |\n|---|---|\n| model | {} ({} parameters) |\n\
         | data | {}, {} train / {} val / {} test examples, {} classes |\n\
         | optimizer | {}, lr {}, momentum {}, weight decay {} |\n\
         | training | {} epochs max, batch {}, seed {}, init {} |\n\n",
        c.spec.describe(),
        c.spec.n_params(),
        lower(&cfg.data.source),
        d.train.y.len(),
        d.val.y.len(),
        d.test.y.len(),
        d.n_classes(),
        lower(&o.name),
        o.lr,
        o.momentum,
        o.weight_decay,
        cfg.train.epochs,
        cfg.train.batch_size,
        cfg.seed,
        lower(&cfg.model.init)
    )
}

/// Curves, decision boundaries (2-D data) and confusion matrices.
fn plots_section(c: &Comparison, figs: &Figures) -> String {
    let mut s = String::from(
        "## Learning curves\n\nSolid: training, dashed: validation; scratch wide and pale, \
         torch thin on top.\n\n",
    );
    for f in &figs.curves {
        s.push_str(&format!("![{f}]({f})\n\n"));
    }
    if !figs.boundaries.is_empty() {
        s.push_str(
            "## Decision boundaries\n\nShade: the predicted class, darker where the model is \
             surer. Dots: the evaluation examples in their true class's colour.\n\n",
        );
        for (name, f) in &figs.boundaries {
            s.push_str(&format!("![{name}]({f}) "));
        }
        s.push_str("\n\n");
    }
    s.push_str(&format!(
        "## Confusion matrices ({} split, best checkpoint)\n\n",
        c.eval_split
    ));
    for f in &figs.matrices {
        s.push_str(&format!("![{f}]({f}) "));
    }
    s.push_str("\n\n");
    s
}
