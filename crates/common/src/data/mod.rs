//! Data (the chapter's `data.py` / `datasets.py`): raw examples as a [`Frame`] of columns plus
//! class labels, from synthetic generators (numbers), CSV files or the digits images (raw text
//! cells), and [`prepare`], the one-way pipeline read → schema → preprocess → tensors: it
//! splits, infers the column schema on the training rows ([`crate::schema`]), fits the
//! preprocessing on them and yields f32 matrices.

pub mod augment;
pub mod csv;
pub mod dialect;
pub mod digits;
pub mod images;
pub mod limits;
pub mod subset;
pub mod synthetic;
mod table;

pub use crate::frame::{is_na, Column, ColumnValues, Dataset, Frame};

use ndarray::Array2;

use crate::config::{Config, Scaling, Source};
use crate::preprocess::{resolved_scaling, Preprocessor, Unseen};
use crate::schema::Schema;
use crate::seed::{Seeds, Stream};
use crate::split::{kfold_split, stratified_split, Split};
use crate::Result;

/// Features and labels of one split, ready for a backend.
///
/// # Shapes
/// `x`: `[n, features]` (images flattened row-major), `y`: `[n]`.
#[derive(Debug, Clone, Default)]
pub struct XY {
    /// Preprocessed features.
    pub x: Array2<f32>,
    /// Class indices.
    pub y: Vec<usize>,
}

/// A dataset split and preprocessed: what every backend trains on.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The fitted preprocessing (saved with the model).
    pub pre: Preprocessor,
    /// Training split.
    pub train: XY,
    /// Validation split (model selection).
    pub val: XY,
    /// Held-out test split (may be empty).
    pub test: XY,
    /// The row indices of each split among the loaded dataset's rows (a CSV file's data rows,
    /// header excluded), also when `data.keep_classes` took a subset: what `split.json` records.
    pub split: Split,
    /// Class names in index order.
    pub class_names: Vec<String>,
    /// `[C, H, W]` for image data.
    pub image_shape: Option<[usize; 3]>,
    /// An image folder's files (relative paths), numbered as `split` numbers them; empty for
    /// tables.
    pub sources: Vec<String>,
    /// Image files left out as unreadable (`data.image.bad_files = "skip"`): path, reason.
    pub bad_files: Vec<(String, String)>,
    /// Lines to show before training (what was read, how it was normalized).
    pub notes: Vec<String>,
}

impl Prepared {
    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.train.x.ncols()
    }
    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.class_names.len()
    }
    /// The model spec of `cfg` for these data: their feature count, image shape, classes and
    /// embedding tables.
    pub fn spec(&self, cfg: &Config) -> Result<crate::spec::ModelSpec> {
        crate::spec::ModelSpec::with_tables(
            cfg,
            self.n_features(),
            self.image_shape,
            self.n_classes(),
            self.pre.embedding_tables(),
        )
    }
}

/// Loads the configured dataset (synthetic data is drawn from the `Data` stream).
pub fn load(cfg: &Config) -> Result<Dataset> {
    let d = &cfg.data;
    match d.source {
        Source::Circle | Source::Moons | Source::Spirals | Source::Blobs => {
            synthetic::generate(d, &mut Seeds::new(cfg.seed).rng(Stream::Data))
        }
        Source::Csv => {
            let path = d.path.as_ref().ok_or_else(|| {
                crate::Error::config(
                    "data.path",
                    "data.source = \"csv\" needs the path of a CSV file",
                )
            })?;
            csv::load(path, d)
        }
        Source::Digits => digits::load(d),
        Source::Images => Err(crate::Error::config(
            "data.source",
            "an image folder is not a table of columns (prepare it with data::prepare)",
        )),
    }
}

/// Loads, splits (stratified, seeded), fits preprocessing on train and transforms all splits.
pub fn prepare(cfg: &Config) -> Result<Prepared> {
    prepare_from(cfg, None, false)
}

/// [`prepare`] for any source, keeping a pretrained model's preprocessing when given (see
/// [`prepare_dataset_from`]); `quiet` hides an image folder's progress bar.
pub fn prepare_from(
    cfg: &Config,
    pretrained: Option<&Preprocessor>,
    quiet: bool,
) -> Result<Prepared> {
    let image_model = pretrained.is_some_and(|p| p.image.is_some());
    match cfg.data.source {
        Source::Images if pretrained.is_some() && !image_model => Err(crate::Error::config(
            "model.init_from",
            "the pretrained model was trained on a table; its preprocessing cannot read \
             images (set model.init_preprocessing = \"refit\", or start from an image model)",
        )),
        Source::Images => images::prepare(cfg, pretrained, quiet),
        _ if image_model => Err(crate::Error::config(
            "model.init_from",
            "the pretrained model was trained on an image folder; its preprocessing cannot \
             read a table (set model.init_preprocessing = \"refit\", or start from a table model)",
        )),
        _ => prepare_dataset_from(cfg, &load(cfg)?, pretrained),
    }
}

/// Splits `ds` with the `Split` stream of `cfg.seed`, infers the column schema and fits the
/// preprocessing on the training rows only, and transforms every split. Categories of val/test
/// rows unseen in training are logged as warnings (`tracing::warn!`, one line per column for
/// both splits together), not errors.
pub fn prepare_dataset(cfg: &Config, ds: &Dataset) -> Result<Prepared> {
    prepare_dataset_from(cfg, ds, None)
}

/// [`prepare_dataset`], keeping the column schema and fitted feature preprocessing of
/// `pretrained` when given (a fine-tuned model sees its inputs as the pretrained one did);
/// the classes are this dataset's. `data.keep_classes` and `data.train_per_class` apply here.
pub fn prepare_dataset_from(
    cfg: &Config,
    ds: &Dataset,
    pretrained: Option<&Preprocessor>,
) -> Result<Prepared> {
    let (file_rows, unlabelled) = (&ds.file_rows, &ds.unlabelled_lines);
    let (ds, source_rows) = subset::keep_classes(ds, &cfg.data.keep_classes)?;
    let ds = &*ds;
    let seed = Seeds::new(cfg.seed).seed(Stream::Split);
    let mut split = stratified_split(&ds.labels, ds.class_names.len(), &cfg.data.split, seed)?;
    if cfg.data.folds >= 2 {
        split = kfold_split(&ds.labels, &split, cfg.data.folds, cfg.data.fold, seed)?;
    }
    split.train = subset::cap_per_class(&split.train, &ds.labels, cfg.data.train_per_class);
    let schema = match pretrained {
        // The pretrained model's column decisions, but this file's dialect: new rows for the
        // fine-tuned model are read as this file was.
        Some(p) => Schema {
            dialect: ds.dialect.clone().filter(|d| !d.is_plain()),
            ..p.schema.clone()
        },
        None => {
            let mut schema = Schema::infer(ds, &split.train, &cfg.data)?;
            schema.scaled = resolved_scaling(&cfg.data) == Scaling::Standard;
            schema
        }
    };
    let frame = schema.apply(ds)?;
    // Embedding tables (`model.embeddings`, decided below) take one feature per column.
    let embeds = match (pretrained, cfg.data.source, cfg.model.kind) {
        (None, Source::Csv, crate::config::ModelKind::Mlp) => cfg.model.embeddings.clone(),
        _ => crate::config::Embeddings::None,
    };
    if let Some(path) = &ds.path {
        // The bins each number will have: the pretrained encoding's, else the config's.
        let kept = pretrained.map(|p| p.piecewise_columns());
        let bins_for = |column: &str| match &kept {
            Some(cols) => cols.iter().find(|c| c.0 == column).map_or(0, |c| c.1),
            None => crate::preprocess::piecewise_bins_for(&cfg.data, column),
        };
        let (n, columns) = (frame.n_rows, &frame.columns);
        limits::check_encoded_size(path, n, columns, &embeds, &bins_for)?;
    }
    let mut pre = match pretrained {
        Some(p) => Preprocessor {
            class_names: ds.class_names.clone(),
            ..p.clone()
        },
        None => {
            crate::preprocess::check_piecewise_columns(&schema, &cfg.data)?;
            Preprocessor::fit(&frame, &split.train, &cfg.data, &ds.class_names)?
        }
    };
    // A fine-tuned model keeps the pretrained one's tables (they are in its preprocessing).
    pre.embed(&embeds)?;
    let mut notes = crate::preprocess::piecewise_notes(&cfg.data, pretrained.is_some(), &pre);
    if pretrained.is_some() && !cfg.model.embeddings.is_default() {
        let tables: Vec<String> = pre.embedded_columns().into_iter().map(|c| c.0).collect();
        notes.push(format!(
            "init: model.embeddings is not used: the pretrained model's preprocessing decides \
             which columns go through embedding tables ({}); set model.init_preprocessing = \
             \"refit\" to choose again",
            if tables.is_empty() {
                "none".to_string()
            } else {
                tables.join(", ")
            }
        ));
    }
    pre.image_shape = ds.image_shape;
    if cfg.data.source == Source::Digits && pre.target.is_none() {
        pre.target = Some(digits::TARGET.to_string());
    }
    pre.schema = Schema {
        embedded: pre.embedded_columns(),
        piecewise: pre.piecewise_columns(),
        ..schema
    };
    let mut unseen = Vec::new();
    let mut part = |rows: &[usize]| -> Result<XY> {
        let (x, u) = pre.transform_counted(&frame, rows)?;
        unseen.extend(u);
        Ok(XY {
            x,
            y: rows.iter().map(|&r| ds.labels[r]).collect(),
        })
    };
    let (train, val, test) = (part(&split.train)?, part(&split.val)?, part(&split.test)?);
    for w in Unseen::merge(unseen) {
        tracing::warn!(origin = %ds.origin, "{w}");
    }
    // split.json names the file's rows: back from the class subset's numbering, and from the
    // labelled rows' numbering, to the file's.
    for part in [&mut split.train, &mut split.val, &mut split.test] {
        for r in part.iter_mut() {
            if let Some(rows) = &source_rows {
                *r = rows[*r];
            }
            if !file_rows.is_empty() {
                *r = file_rows[*r];
            }
        }
    }
    if !unlabelled.is_empty() {
        let shown: Vec<String> = unlabelled.iter().take(5).map(|l| l.to_string()).collect();
        let more = if unlabelled.len() > 5 { ", …" } else { "" };
        notes.push(format!(
            "data: {} row{} without a value in the target '{}' left out (line{} {}{more}): a \
             classifier learns from labelled rows only",
            unlabelled.len(),
            if unlabelled.len() == 1 { "" } else { "s" },
            cfg.data.target.as_deref().unwrap_or("?"),
            if unlabelled.len() == 1 { "" } else { "s" },
            shown.join(", ")
        ));
    }
    Ok(Prepared {
        class_names: ds.class_names.clone(),
        image_shape: ds.image_shape,
        pre,
        train,
        val,
        test,
        split,
        sources: vec![],
        bad_files: vec![],
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_circle_chapter_defaults() {
        let p = prepare(&Config::default()).unwrap();
        assert_eq!(p.train.x.dim(), (1600, 2));
        assert_eq!(p.val.x.dim(), (400, 2));
        assert_eq!(p.test.x.nrows(), 0);
        assert_eq!(p.n_classes(), 2);
        assert_eq!(p.n_features(), 2);
        // Synthetic data is not rescaled (scaling auto → none): features keep N(0, 1) scale.
        let raw = load(&Config::default()).unwrap();
        let ColumnValues::Numeric(x0) = &raw.frame.columns[0].values else {
            panic!("numeric")
        };
        assert_eq!(p.train.x[[0, 0]], x0[p.split.train[0]] as f32);
        assert_eq!(p.train.y[0], raw.labels[p.split.train[0]]);
    }

    #[test]
    fn prepare_is_deterministic_and_seed_dependent() {
        let a = prepare(&Config::default()).unwrap();
        let b = prepare(&Config::default()).unwrap();
        assert_eq!(a.split, b.split);
        assert_eq!(a.train.x, b.train.x);
        let c = Config {
            seed: 7,
            ..Config::default()
        };
        assert_ne!(prepare(&c).unwrap().train.x, a.train.x);
    }

    #[test]
    fn csv_without_path_names_the_key() {
        let mut c = Config::default();
        c.data.source = Source::Csv;
        let err = load(&c).unwrap_err().to_string();
        assert!(err.contains("data.path"), "{err}");
    }
}
