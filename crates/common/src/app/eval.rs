//! `eval`: a checkpoint's metrics and confusion matrix, on the test split of its own config
//! (re-created from the same seed, so it is the split the run never selected on) or on a
//! labelled CSV file given with `--data`.

use std::path::{Path, PathBuf};

use super::image_io::labelled_folder;
use super::DialectArgs;
use super::{BackendFactory, BuildArgs};
use crate::checkpoint::write_atomic;
use crate::checkpoint::Checkpoint;
use crate::data::dialect::DialectOptions;
use crate::data::{csv::read_labeled_noting, prepare_from, XY};
use crate::fit::evaluate_split_at;
use crate::fit::CONFUSION_FILE;
use crate::metrics::confusion_svg;
use crate::{Error, Result};

/// `eval` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// The checkpoint (`best.safetensors` of a run), or a run folder (its `best.safetensors`).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// A labelled CSV with the training columns and the target column, or for an image model
    /// a folder in the training layout (default: the checkpoint config's own test split, or
    /// its validation split when it has no test split).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Draw the confusion matrix into this SVG file (an image model draws it beside the
    /// checkpoint, as `confusion.svg`, unless this says where).
    #[arg(long)]
    pub confusion_svg: Option<PathBuf>,
    /// How `--data` is written (default: as the training file was).
    #[command(flatten)]
    pub dialect: DialectArgs,
}

/// The checkpoint file `path` names: a run folder stands for its best checkpoint.
pub(crate) fn checkpoint_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(crate::fit::BEST_FILE)
    } else {
        path.to_path_buf()
    }
}

/// Loads a checkpoint and rebuilds its backend with the stored weights.
pub(crate) fn load_model(
    factory: &dyn BackendFactory,
    path: &Path,
) -> Result<(Checkpoint, Box<dyn crate::fit::Backend>)> {
    let path = &checkpoint_file(path);
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
    let d = &args.dialect;
    if args.data.is_none() && (d.delimiter.is_some() || d.decimal.is_some() || d.encoding.is_some())
    {
        return Err(Error::config(
            "--delimiter/--decimal/--encoding",
            "they say how the --data file is written; without --data, eval reads the \
             checkpoint's own split as the run read it",
        ));
    }
    let (ckpt, mut backend) = load_model(factory, &args.checkpoint)?;
    let pre = &ckpt.meta.preprocessing;
    let (xy, what) = match &args.data {
        Some(dir) if pre.image.is_some() => labelled_folder(
            dir,
            pre,
            pre.image.as_ref().expect("image model"),
            &ckpt.meta.config.data.image,
        )?,
        Some(csv) => (
            labelled_csv(csv, &ckpt, &args.dialect.options()?)?,
            csv.display().to_string(),
        ),
        None => {
            // An image model reads its split as it was trained (its saved size, channels and
            // normalization), also when these came from a pretrained model.
            let kept = pre.image.is_some().then_some(pre);
            let data = prepare_from(&ckpt.meta.config, kept, false)?;
            if data.test.y.is_empty() {
                (data.val, "validation split".to_string())
            } else {
                (data.test, "test split".to_string())
            }
        }
    };
    // A binary model's threshold chosen after training (`train.threshold`) decides here too.
    let threshold = ckpt.meta.threshold;
    super::threshold::note_if_absent(&ckpt);
    let report = evaluate_split_at(
        backend.as_mut(),
        &xy,
        &ckpt.meta.spec,
        &pre.class_names,
        threshold,
    )?;
    // The confusion matrix as a picture: asked for, or by default for an image model
    // (the final project's option B), beside the checkpoint.
    let file = checkpoint_file(&args.checkpoint);
    let svg_path = args.confusion_svg.clone().or_else(|| {
        pre.image
            .as_ref()
            .map(|_| file.with_file_name(CONFUSION_FILE))
    });
    if let Some(path) = &svg_path {
        let title = format!("{} on {what}", file.display());
        write_atomic(
            path,
            confusion_svg(&report.confusion, &pre.class_names, &title).as_bytes(),
        )?;
        crate::errln!("confusion matrix: {}", path.display());
    }
    if args.json {
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| Error::Other(e.to_string()))?
        );
    } else {
        crate::outln!(
            "{} checkpoint {} (epoch {}) on {} ({} rows)",
            ckpt.meta.backend,
            args.checkpoint.display(),
            ckpt.meta.train_state.epoch,
            what,
            report.n
        );
        crate::outln!("{}", report.render());
    }
    Ok(())
}

/// Features and labels of a labelled CSV, read in the training file's dialect unless `given`
/// says otherwise and preprocessed as at training time.
fn labelled_csv(path: &Path, ckpt: &Checkpoint, given: &DialectOptions) -> Result<XY> {
    let pre = &ckpt.meta.preprocessing;
    let no_labels = |msg: &str| Error::Data {
        path: path.to_path_buf(),
        row: None,
        column: pre.target.clone(),
        msg: msg.into(),
    };
    if pre.target.is_none() {
        return Err(no_labels(
            "this checkpoint was trained on synthetic data, which has no target column to read",
        ));
    }
    let read = read_labeled_noting(path, pre, given)?;
    let (frame, labels, lines) = (read.frame, read.labels, read.lines);
    if let Some(note) = read.note {
        crate::errln!("note: {note}");
    }
    let y = labels.ok_or_else(|| no_labels("target column missing: eval needs labels"))?;
    let rows: Vec<usize> = (0..frame.n_rows).collect();
    let (x, unseen) = pre.transform_counted(&frame, &rows)?;
    for u in unseen {
        crate::errln!("warning: {}", u.located(&lines, false));
    }
    Ok(XY { x, y })
}
