//! `predict`: the class and class probabilities of every raw row of a CSV file, preprocessed
//! exactly as at training time by the preprocessing stored in the checkpoint (missing values
//! imputed, unseen categories encoded as all zeros with a warning). Output goes to stdout or,
//! with `--output`, atomically to a file. A model trained on an image folder predicts image
//! files instead (`path,predicted,prob_<class>...`, see `image_io`).

use std::path::{Path, PathBuf};

use super::image_io::{image_features, image_inputs_with};
use super::DialectArgs;
use super::{eval::load_model, write_atomic, BackendFactory};
use crate::data::csv::read_for_predict_noting;
use crate::metrics::{predictions_at, probabilities};
use crate::{Error, Result};

/// `predict` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct PredictArgs {
    /// The checkpoint (`best.safetensors` of a run), or a run folder (its `best.safetensors`).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Raw rows with the training columns (a target column, if present, is ignored); for a
    /// model trained on images: an image file, a folder of them (searched recursively) or a
    /// CSV with a `path` column.
    #[arg(long)]
    pub input: PathBuf,
    /// Write the predictions here instead of stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// How `--input` is written (default: as the training file was).
    #[command(flatten)]
    pub dialect: DialectArgs,
}

/// Runs `predict`.
pub fn predict(factory: &dyn BackendFactory, args: &PredictArgs) -> Result<()> {
    let (ckpt, mut backend) = load_model(factory, &args.checkpoint)?;
    super::threshold::note_if_absent(&ckpt);
    let pre = &ckpt.meta.preprocessing;
    if let Some(prep) = &pre.image {
        // A CSV of image paths is read with --delimiter when given, else detected.
        let paths = image_inputs_with(&args.input, args.dialect.options()?.delimiter)?;
        let x = image_features(prep, &paths)?;
        let logits = backend.logits(&x)?;
        let head = ckpt.meta.spec.head;
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        let text = render_paths(
            &pre.class_names,
            &names,
            &predictions_at(&logits, head, ckpt.meta.threshold),
            &probabilities(&logits, head),
        );
        return emit(args.output.as_deref(), &text);
    }
    let read = read_for_predict_noting(&args.input, pre, &args.dialect.options()?)?;
    let (frame, lines) = (read.frame, read.lines);
    if let Some(note) = read.note {
        crate::errln!("note: {note}");
    }
    let rows: Vec<usize> = (0..frame.n_rows).collect();
    let (x, unseen) = pre.transform_counted(&frame, &rows)?;
    for u in unseen {
        crate::errln!("warning: {}", u.located(&lines, true));
    }
    let logits = backend.logits(&x)?;
    let head = ckpt.meta.spec.head;
    let probs = probabilities(&logits, head);
    // A binary model's threshold chosen after training (`train.threshold`) decides here too.
    let preds = predictions_at(&logits, head, ckpt.meta.threshold);
    let text = render_csv(&pre.class_names, &preds, &probs);
    emit(args.output.as_deref(), &text)
}

/// `row,predicted,prob_<class>...` with one line per input row (rows numbered from 1).
fn render_csv(classes: &[String], preds: &[usize], probs: &ndarray::Array2<f64>) -> String {
    let mut out = String::from("row,predicted");
    for c in classes {
        out.push_str(&format!(",prob_{c}"));
    }
    out.push('\n');
    for (i, (&p, row)) in preds.iter().zip(probs.rows()).enumerate() {
        out.push_str(&format!("{},{}", i + 1, classes[p]));
        for v in row {
            out.push_str(&format!(",{v:.6}"));
        }
        out.push('\n');
    }
    out
}

/// `path,predicted,prob_<class>...` with one line per image (paths quoted when they need it).
fn render_paths(
    classes: &[String],
    paths: &[String],
    preds: &[usize],
    probs: &ndarray::Array2<f64>,
) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["path".to_string(), "predicted".to_string()];
    header.extend(classes.iter().map(|c| format!("prob_{c}")));
    let mut rows = vec![header];
    for ((path, &p), row) in paths.iter().zip(preds).zip(probs.rows()) {
        let mut r = vec![path.clone(), classes[p].clone()];
        r.extend(row.iter().map(|v| format!("{v:.6}")));
        rows.push(r);
    }
    for r in rows {
        // Writing to memory cannot fail.
        w.write_record(&r).expect("in-memory CSV");
    }
    String::from_utf8(w.into_inner().expect("in-memory CSV")).expect("UTF-8 in, UTF-8 out")
}

/// The predictions on standard output, or atomically into `output` with a line saying so.
fn emit(output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(path) => {
            write_output(path, text)?;
            let rows = text.lines().count().saturating_sub(1);
            crate::errln!("predict: {rows} rows written to {}", path.display());
            Ok(())
        }
        None => {
            crate::out!("{text}");
            Ok(())
        }
    }
}

fn write_output(path: &Path, text: &str) -> Result<()> {
    if path.is_dir() {
        return Err(Error::io(
            path,
            std::io::Error::other("is a folder, expected a file path"),
        ));
    }
    write_atomic(path, text.as_bytes())
}
