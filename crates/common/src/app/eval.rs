//! `eval`: a checkpoint's metrics and confusion matrix, on the test split of its own config
//! (re-created from the same seed, so it is the split the run never selected on) or on a
//! labelled CSV file given with `--data`.

use std::path::{Path, PathBuf};

use super::{BackendFactory, BuildArgs};
use crate::checkpoint::Checkpoint;
use crate::data::{csv::read_for_predict_noting, prepare, XY};
use crate::fit::evaluate_split;
use crate::{Error, Result};

/// `eval` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// The checkpoint (`best.safetensors` of a run).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// A labelled CSV with the training columns and the target column (default: the
    /// checkpoint config's own test split, or its validation split when it has no test split).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Loads a checkpoint and rebuilds its backend with the stored weights.
pub(crate) fn load_model(
    factory: &dyn BackendFactory,
    path: &Path,
) -> Result<(Checkpoint, Box<dyn crate::fit::Backend>)> {
    let ckpt = Checkpoint::load(path)?;
    ckpt.check_against_spec(path)?;
    let m = &ckpt.meta;
    let params = ckpt.model_tensors();
    // No training rows, but the right width: backends check features against the spec.
    let width = m.spec.input_shape.iter().product();
    let empty = XY {
        x: ndarray::Array2::zeros((0, width)),
        y: vec![],
    };
    let backend = factory.build(&BuildArgs {
        spec: &m.spec,
        params: &params,
        cfg: &m.config,
        train: &empty,
        pre: &m.preprocessing,
    })?;
    Ok((ckpt, backend))
}

/// Runs `eval`.
pub fn eval(factory: &dyn BackendFactory, args: &EvalArgs) -> Result<()> {
    let (ckpt, mut backend) = load_model(factory, &args.checkpoint)?;
    let pre = &ckpt.meta.preprocessing;
    let (xy, what) = match &args.data {
        Some(csv) => (labelled_csv(csv, &ckpt)?, csv.display().to_string()),
        None => {
            let data = prepare(&ckpt.meta.config)?;
            if data.test.y.is_empty() {
                (data.val, "validation split".to_string())
            } else {
                (data.test, "test split".to_string())
            }
        }
    };
    let report = evaluate_split(backend.as_mut(), &xy, &ckpt.meta.spec, &pre.class_names)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| Error::Other(e.to_string()))?
        );
    } else {
        println!(
            "{} checkpoint {} (epoch {}) on {} ({} rows)",
            ckpt.meta.backend,
            args.checkpoint.display(),
            ckpt.meta.train_state.epoch,
            what,
            report.n
        );
        println!("{}", report.render());
    }
    Ok(())
}

/// Features and labels of a labelled CSV, preprocessed as at training time.
fn labelled_csv(path: &Path, ckpt: &Checkpoint) -> Result<XY> {
    let pre = &ckpt.meta.preprocessing;
    let target = pre.target.clone().ok_or_else(|| Error::Data {
        path: path.to_path_buf(),
        row: None,
        column: None,
        msg: "this checkpoint was trained on synthetic data, which has no target column to read"
            .into(),
    })?;
    let (frame, note) = read_for_predict_noting(path, pre)?;
    if let Some(note) = note {
        eprintln!("note: {note}");
    }
    let rows: Vec<usize> = (0..frame.n_rows).collect();
    let (x, warnings) = pre.transform(&frame, &rows)?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    let y = read_labels(path, &target, &pre.class_names)?;
    Ok(XY { x, y })
}

/// The class index of every row's label in `target`; an unknown label is an error naming it.
fn read_labels(path: &Path, target: &str, classes: &[String]) -> Result<Vec<usize>> {
    let err = |row: Option<usize>, msg: String| Error::Data {
        path: path.to_path_buf(),
        row,
        column: Some(target.to_string()),
        msg,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| err(None, e.to_string()))?;
    let headers = rdr
        .headers()
        .map_err(|e| err(Some(1), e.to_string()))?
        .clone();
    let col = headers
        .iter()
        .position(|h| h.trim() == target)
        .ok_or_else(|| err(Some(1), "target column missing: eval needs labels".into()))?;
    let mut labels = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let rec = rec.map_err(|e| err(Some(row), e.to_string()))?;
        let value = rec.get(col).unwrap_or("").trim();
        let idx = classes.iter().position(|c| c == value).ok_or_else(|| {
            err(
                Some(row),
                format!("label '{value}' is not one of the trained classes {classes:?}"),
            )
        })?;
        labels.push(idx);
    }
    Ok(labels)
}
