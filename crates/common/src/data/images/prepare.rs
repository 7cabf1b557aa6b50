//! An image folder → [`Prepared`]: the classes kept (`data.keep_classes`), the split (the
//! config's seeded, stratified `data.split` and `data.folds` for one pool of class folders;
//! the folders' own `train/`, `val/`, `test/` otherwise), the per-channel normalization fitted
//! on the training images (or given, or the pretrained model's), and the `f32` features.

use super::{load, Part, Reading};
use crate::config::{Config, Normalize, NormalizeName, IMAGENET_MEAN, IMAGENET_STD};
use crate::data::{subset, Prepared, XY};
use crate::preprocess::Preprocessor;
use crate::seed::{Seeds, Stream};
use crate::split::{kfold_split, stratified_split, Split};
use crate::{Error, Result};

pub use crate::preprocess::ImagePrep;

/// Reads the folder `data.path` and prepares it; with `pretrained` (a fine-tuned model),
/// its size, channels and normalization are kept so that the model sees images as it did.
pub fn prepare(cfg: &Config, pretrained: Option<&Preprocessor>, quiet: bool) -> Result<Prepared> {
    let d = &cfg.data;
    let root = d.path.as_ref().ok_or_else(|| {
        Error::config(
            "data.path",
            "data.source = \"images\" needs the folder of class folders",
        )
    })?;
    let kept_prep = pretrained.and_then(|p| p.image.clone());
    let how = match &kept_prep {
        Some(p) => reading_of(p),
        None => Reading::from_config(&d.image),
    };
    check_root(root)?;
    let set = load(root, &d.image, &how, quiet)?;
    let (rows, labels, class_names) = select_classes(&set, &d.keep_classes, root)?;
    let mut split = match &set.parts {
        Some(parts) => given_split(cfg, &rows, parts, root)?,
        None => {
            let seed = Seeds::new(cfg.seed).seed(Stream::Split);
            let mut s = stratified_split(&labels, class_names.len(), &d.split, seed)?;
            if d.folds >= 2 {
                s = kfold_split(&labels, &s, d.folds, d.fold, seed)?;
            }
            s
        }
    };
    split.train = subset::cap_per_class(&split.train, &labels, d.train_per_class);
    let prep = match kept_prep {
        Some(p) => p,
        None => {
            let train: Vec<&[u8]> = split.train.iter().map(|&i| set.image(rows[i])).collect();
            let (mean, std) = normalization(&d.image.normalize, set.shape[0], &train)?;
            ImagePrep {
                size: [set.shape[1], set.shape[2]],
                resized: how.size.is_some(),
                resize: how.resize,
                channels: set.shape[0],
                mean,
                std,
                max_pixels: how.max_pixels,
            }
        }
    };
    let part = |idx: &[usize]| -> XY {
        let mut px = Vec::with_capacity(idx.len() * set.image(0).len());
        idx.iter()
            .for_each(|&i| px.extend_from_slice(set.image(rows[i])));
        XY {
            x: prep.features(&px),
            y: idx.iter().map(|&i| labels[i]).collect(),
        }
    };
    let (train, val, test) = (part(&split.train), part(&split.val), part(&split.test));
    // split.json names the images as the folder numbers them (all classes), as for tables.
    for p in [&mut split.train, &mut split.val, &mut split.test] {
        p.iter_mut().for_each(|i| *i = rows[*i]);
    }
    let notes = notes(
        &set,
        &class_names,
        &prep,
        &d.image.normalize,
        pretrained.is_some(),
    );
    let pre = Preprocessor {
        columns: vec![],
        target: None,
        class_names: class_names.clone(),
        image_shape: Some(prep.shape()),
        schema: Default::default(),
        image: Some(prep.clone()),
    };
    Ok(Prepared {
        pre,
        train,
        val,
        test,
        split,
        class_names,
        image_shape: Some(prep.shape()),
        sources: set.files.clone(),
        bad_files: set.bad.clone(),
        notes,
    })
}

/// Refuses a `data.path` that cannot be opened, naming the key and, for a relative path that
/// is missing, the folder it was read from (a run's config keeps the path as given, so from
/// another folder it points elsewhere), as a CSV path's error does.
fn check_root(root: &std::path::Path) -> Result<()> {
    let Err(e) = std::fs::metadata(root) else {
        return Ok(());
    };
    let hint = crate::data::limits::relative_path_hint(root, &e);
    Err(Error::config(
        "data.path",
        format!("cannot open {}: {e}{hint}", root.display()),
    ))
}

/// The images kept and their labels: all, or those of `data.keep_classes` renumbered in its
/// order. Returns (positions in `set`, labels, class names).
fn select_classes(
    set: &super::ImageSet,
    keep: &[String],
    root: &std::path::Path,
) -> Result<(Vec<usize>, Vec<usize>, Vec<String>)> {
    if keep.is_empty() {
        return Ok((
            (0..set.len()).collect(),
            set.labels.clone(),
            set.classes.clone(),
        ));
    }
    let map = subset::keep_map(&set.classes, keep, &root.display().to_string())?;
    let rows: Vec<usize> = (0..set.len())
        .filter(|&i| map[set.labels[i]].is_some())
        .collect();
    let labels = rows
        .iter()
        .map(|&i| map[set.labels[i]].expect("kept"))
        .collect();
    Ok((rows, labels, keep.to_vec()))
}

/// How the files of a model trained with `prep` are read (`predict`, `eval`, fine-tuning).
pub fn reading_of(prep: &ImagePrep) -> Reading {
    Reading {
        size: prep.resized.then_some(prep.size),
        channels: Some(prep.channels),
        resize: prep.resize,
        max_pixels: prep.max_pixels,
    }
}

/// The folders' own split (`train/`, `val/`, `test/`), in positions of `rows`.
fn given_split(
    cfg: &Config,
    rows: &[usize],
    parts: &[Part],
    root: &std::path::Path,
) -> Result<Split> {
    if cfg.data.folds >= 2 {
        return Err(Error::config(
            "data.folds",
            format!(
                "{} gives its own splits (train/, val/): cross-validation needs one pool of \
                 class folders (DIR/<class>/…)",
                root.display()
            ),
        ));
    }
    let pick = |want: Part| -> Vec<usize> {
        (0..rows.len())
            .filter(|&i| parts[rows[i]] == want)
            .collect()
    };
    let split = Split {
        train: pick(Part::Train),
        val: pick(Part::Val),
        test: pick(Part::Test),
    };
    if split.val.is_empty() {
        return Err(Error::Data {
            path: root.to_path_buf(),
            row: None,
            column: None,
            msg: "no readable validation image (of the kept classes, data.keep_classes) in its \
                  val/ folder"
                .into(),
        });
    }
    Ok(split)
}

/// Per-channel `(mean, std)` of `data.image.normalize` for `channels` channels.
fn normalization(n: &Normalize, channels: usize, train: &[&[u8]]) -> Result<(Vec<f64>, Vec<f64>)> {
    let per_channel = |v: &[f64], key: &str| -> Result<Vec<f64>> {
        match v.len() {
            1 => Ok(vec![v[0]; channels]),
            len if len == channels => Ok(v.to_vec()),
            len => Err(Error::config(
                key,
                format!("has {len} values for {channels}-channel images (give 1 or {channels})"),
            )),
        }
    };
    Ok(match n {
        Normalize::Named(NormalizeName::Fit) => ImagePrep::fit_normalization(channels, train),
        Normalize::Named(NormalizeName::None) => (vec![0.0; channels], vec![1.0; channels]),
        Normalize::Named(NormalizeName::Imagenet) if channels != 3 => {
            return Err(Error::config(
                "data.image.normalize",
                "\"imagenet\" is ImageNet's RGB mean and std: set data.image.channels = 3, or \
                 give { mean = [m], std = [s] } for grey images",
            ))
        }
        Normalize::Named(NormalizeName::Imagenet) => (
            per_channel(&IMAGENET_MEAN, "data.image.normalize")?,
            per_channel(&IMAGENET_STD, "data.image.normalize")?,
        ),
        Normalize::Given { mean, std } => (
            per_channel(mean, "data.image.normalize.mean")?,
            per_channel(std, "data.image.normalize.std")?,
        ),
        // `app::starting_point` replaces it by the file's values before the data is read.
        Normalize::Named(NormalizeName::Weights) => {
            return Err(Error::config(
                "data.image.normalize",
                "\"weights\" needs weights that carry their normalization (model.init_from, \
                 a torchvision export by scripts/export_torchvision.py)",
            ))
        }
    })
}

/// What the run prints before training: the classes, the shape and normalization, what
/// was ignored or skipped.
fn notes(
    set: &super::ImageSet,
    classes: &[String],
    prep: &ImagePrep,
    n: &Normalize,
    kept: bool,
) -> Vec<String> {
    let [c, h, w] = prep.shape();
    let layout = match &set.parts {
        Some(parts) if parts.contains(&Part::Test) => "train/ val/ test/ as given",
        // Said here, as the run's summary later simply has no test line.
        Some(_) => "train/ val/ as given; no test/ folder, so no test metrics",
        None => "class folders",
    };
    let fmt = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.4}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let how = match n {
        _ if kept => {
            "kept from the pretrained model, with its size, channels and resize; \
                      this config's data.image keys other than bad_files are not used"
        }
        Normalize::Named(NormalizeName::Fit) => "fitted on the training images",
        _ => "given",
    };
    let mut out = vec![
        format!(
            "images: {} files in {} ({layout}), {c}×{h}×{w}, pixels {:016x}; classes: {}",
            set.len(),
            set.root.display(),
            fnv1a(&set.pixels),
            classes.join(", ")
        ),
        format!(
            "images: normalized per channel ({how}): mean [{}], std [{}]",
            fmt(&prep.mean),
            fmt(&prep.std)
        ),
    ];
    out.extend(super::ignored_note(set));
    out.extend(super::links_warning(set));
    let listed = format!(
        "data.image.bad_files = \"skip\"; the list is in the run folder's {}",
        crate::fit::BAD_FILES_FILE
    );
    out.extend(super::bad_files_warning(set, &listed));
    out
}

/// FNV-1a (64 bits) of the decoded pixels: printed before training, so two runs (or the two
/// routes) show that they read the same bytes.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
