//! Preprocessing fitted on the training split only and saved with the model: numeric imputation
//! (train mean), standardization or piecewise-linear encoding (`piecewise.rs`), categorical
//! imputation (train mode) and one-hot encoding (an unseen category → all zeros plus one
//! warning line per column) or, with `model.embeddings`, one row index per column for the
//! model's embedding table (written after every dense feature; `embedded.rs`). Fitting one
//! column is `fit.rs`. It applies the column schema ([`crate::schema`], saved inside it) and
//! decides nothing about columns itself. Predicting on raw rows from a checkpoint gives the
//! same features as during training. The chapter feeds raw toy data to the net; the final
//! project's tabular and image data need this step (the chapter's advice: fit on train only).

use ndarray::{s, Array2, ArrayViewMut2};
use serde::{Deserialize, Serialize};

use crate::config::{DataConfig, Scaling, Source};
use crate::frame::{ColumnValues, Frame};
use crate::schema::Schema;
use crate::{Error, Result};

mod embedded;
mod fit;
pub use fit::{check_piecewise_columns, piecewise_notes};
mod image;
mod piecewise;
mod unseen;
pub use image::ImagePrep;
pub use unseen::Unseen;

/// How one raw column becomes features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputColumn {
    /// One feature, `(fill-if-missing(x) - mean) / std`; or, with `bins`, one per bin of the
    /// piecewise-linear encoding of `fill-if-missing(x)` (`piecewise.rs`).
    Numeric {
        /// Column name.
        name: String,
        /// Train mean used for missing values.
        fill: f64,
        /// Train mean subtracted (0 when not scaling).
        mean: f64,
        /// Train standard deviation divided by (1 when not scaling or constant).
        std: f64,
        /// The piecewise-linear encoding's bin edges (train quantiles, increasing, at least
        /// three); empty: one feature, scaled as `data.scaling` says (and absent from the
        /// checkpoint).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        bins: Vec<f64>,
    },
    /// One feature per category (one-hot).
    Categorical {
        /// Column name.
        name: String,
        /// The train categories, sorted.
        categories: Vec<String>,
        /// Train mode used for missing values.
        fill: String,
    },
    /// One feature holding the row of the model's embedding table (`embedded.rs`): 0 for a
    /// level unseen in training, `k + 1` for category `k`. Written after every dense feature.
    Embedded {
        /// Column name.
        name: String,
        /// The table's module name in the model (`emb.<key>.weight`).
        key: String,
        /// The train categories, sorted (the table's rows 1, 2, …).
        categories: Vec<String>,
        /// Train mode used for missing values.
        fill: String,
        /// The table's dimension.
        dim: usize,
    },
}

/// The fitted preprocessing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocessor {
    /// The input columns in feature order.
    pub columns: Vec<InputColumn>,
    /// The label column name (`None` for synthetic data).
    pub target: Option<String>,
    /// Class names in index order.
    pub class_names: Vec<String>,
    /// `[C, H, W]` for image data.
    pub image_shape: Option<[usize; 3]>,
    /// The column schema it applies: every column's kind, treatment and, for dropped ones, why
    /// (empty in checkpoints from before the schema).
    #[serde(default)]
    pub schema: Schema,
    /// For an image folder: how its files became inputs (no `columns` then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImagePrep>,
}

impl Preprocessor {
    /// Fits on the rows `rows` of `frame` (the training split).
    ///
    /// Numeric columns: fill = train mean of the non-missing values (0 if all are missing); with
    /// standard scaling, mean/std (population) of the imputed train values, std 1 for a constant
    /// column; with `data.piecewise_bins`, the bin edges of the columns
    /// [`piecewise_bins_for`] bins (those `data.piecewise_columns` names, all when it is
    /// empty; [`check_piecewise_columns`] refuses a name that is not a numeric input). Categorical
    /// columns: the sorted train categories; fill = the most frequent one (ties → the first in
    /// sorted order).
    pub fn fit(
        frame: &Frame,
        rows: &[usize],
        cfg: &DataConfig,
        class_names: &[String],
    ) -> Result<Self> {
        check_rows(frame, rows)?;
        let scale = resolved_scaling(cfg) == Scaling::Standard;
        let columns = frame
            .columns
            .iter()
            .map(|c| match &c.values {
                ColumnValues::Numeric(v) => {
                    let bins = piecewise_bins_for(cfg, &c.name);
                    Ok(fit::numeric(&c.name, v, rows, scale, bins))
                }
                ColumnValues::Categorical(v) => Ok(fit::categorical(&c.name, v, rows)),
                values => Err(kind_mismatch(&c.name, values)),
            })
            .collect::<Result<_>>()?;
        // What the data are (their target column's default, their image shape) is known where
        // they were read: `data::prepare_dataset` fills those in, so that this module needs
        // nothing from `data`.
        let target = match cfg.source {
            Source::Csv | Source::Digits => cfg.target.clone(),
            _ => None,
        };
        Ok(Preprocessor {
            columns,
            target,
            class_names: class_names.to_vec(),
            image_shape: None,
            schema: Schema::default(),
            image: None,
        })
    }
    /// Transforms rows of a frame (any frame with the fitted columns by name; extra columns
    /// are ignored). Returns the features and the warnings: one line per column with values
    /// unseen in training (a count and at most three examples).
    ///
    /// # Shapes
    /// Returns `[rows.len(), self.n_features()]`.
    pub fn transform(&self, frame: &Frame, rows: &[usize]) -> Result<(Array2<f32>, Vec<String>)> {
        let (x, unseen) = self.transform_counted(frame, rows)?;
        Ok((x, unseen.iter().map(Unseen::to_string).collect()))
    }

    /// [`Preprocessor::transform`] with the unseen values of each column as data, so that the
    /// caller can merge several splits into one line per column ([`Unseen::merge`]).
    pub fn transform_counted(
        &self,
        frame: &Frame,
        rows: &[usize],
    ) -> Result<(Array2<f32>, Vec<Unseen>)> {
        check_rows(frame, rows)?;
        let mut x = Array2::<f32>::zeros((rows.len(), self.n_features()));
        let mut unseen = Vec::new();
        for (input, offset) in self.columns.iter().zip(self.offsets()) {
            let name = input_name(input);
            let col = frame.column(name).ok_or_else(|| {
                Error::Other(format!(
                    "column '{name}' needed by the preprocessing is missing; have: {}",
                    frame.names().join(", ")
                ))
            })?;
            let mut out = x.slice_mut(s![.., offset..offset + input_width(input)]);
            match (input, &col.values) {
                (
                    InputColumn::Numeric {
                        fill,
                        mean,
                        std,
                        bins,
                        ..
                    },
                    ColumnValues::Numeric(v),
                ) => {
                    for (mut o, &r) in out.rows_mut().into_iter().zip(rows) {
                        let raw = if v[r].is_nan() { *fill } else { v[r] };
                        match bins.is_empty() {
                            true => o[0] = ((raw - mean) / std) as f32,
                            false => piecewise::encode(raw, bins, o.iter_mut()),
                        }
                    }
                }
                (
                    InputColumn::Categorical {
                        categories, fill, ..
                    },
                    ColumnValues::Categorical(v),
                ) => unseen.extend(one_hot(&mut out, categories, fill, v, rows).named(name)),
                (
                    InputColumn::Embedded {
                        categories, fill, ..
                    },
                    ColumnValues::Categorical(v),
                ) => {
                    let mut out = out.column_mut(0);
                    let u = embedded::write_indices(&mut out, categories, fill, v, rows);
                    unseen.extend(u.named(name));
                }
                (_, values) => return Err(kind_mismatch(name, values)),
            }
        }
        Ok((x, unseen))
    }
    /// Number of output features.
    pub fn n_features(&self) -> usize {
        if let Some(im) = &self.image {
            return im.shape().iter().product();
        }
        self.columns.iter().map(input_width).sum()
    }
    /// The first output feature of each input column: the dense ones (numeric, one-hot) in
    /// column order, then one index per embedded column.
    fn offsets(&self) -> Vec<usize> {
        let embedded = |c: &InputColumn| matches!(c, InputColumn::Embedded { .. });
        let mut dense = 0;
        let mut index = self
            .columns
            .iter()
            .filter(|c| !embedded(c))
            .map(input_width)
            .sum::<usize>();
        let mut at = |c: &InputColumn| {
            let slot = if embedded(c) { &mut index } else { &mut dense };
            *slot += input_width(c);
            *slot - input_width(c)
        };
        self.columns.iter().map(&mut at).collect()
    }
    /// Output feature names (`island=Biscoe` for one-hot features, `age#bin0` for the first bin
    /// of a piecewise-linear one, `city#row` for an embedded column's index), in feature order.
    pub fn feature_names(&self) -> Vec<String> {
        let mut out = vec![String::new(); self.n_features()];
        for (c, at) in self.columns.iter().zip(self.offsets()) {
            match c {
                InputColumn::Numeric { name, bins, .. } => {
                    let width = input_width(c);
                    for (k, o) in out[at..at + width].iter_mut().enumerate() {
                        *o = match bins.is_empty() {
                            true => name.clone(),
                            false => format!("{name}#bin{k}"),
                        };
                    }
                }
                InputColumn::Categorical {
                    name, categories, ..
                } => {
                    for (o, k) in out[at..].iter_mut().zip(categories) {
                        *o = format!("{name}={k}");
                    }
                }
                InputColumn::Embedded { name, .. } => out[at] = format!("{name}#row"),
            }
        }
        out
    }
    /// `(column, bins)` of every numeric column encoded piecewise-linearly (for the schema's
    /// report).
    pub fn piecewise_columns(&self) -> Vec<(String, usize)> {
        let with_bins = |c: &InputColumn| match c {
            InputColumn::Numeric { name, bins, .. } if !bins.is_empty() => {
                Some((name.clone(), bins.len() - 1))
            }
            _ => None,
        };
        self.columns.iter().filter_map(with_bins).collect()
    }
    /// The raw input columns the preprocessing reads, in order.
    pub fn input_names(&self) -> Vec<&str> {
        self.columns.iter().map(input_name).collect()
    }
    /// `(mean, std)` of every output feature, so that `raw = feature · std + mean` (one-hot
    /// features are `(0, 1)`). Used to augment images in raw pixel units.
    pub fn feature_scale(&self) -> Vec<(f64, f64)> {
        if let Some(im) = &self.image {
            return im.feature_scale();
        }
        let mut out = vec![(0.0, 1.0); self.n_features()];
        for (c, at) in self.columns.iter().zip(self.offsets()) {
            if let InputColumn::Numeric {
                mean, std, bins, ..
            } = c
            {
                if bins.is_empty() {
                    out[at] = (*mean, *std);
                }
            }
        }
        out
    }
}

/// `auto` resolved: `standard` for csv and digits, `none` for synthetic data.
pub fn resolved_scaling(cfg: &DataConfig) -> Scaling {
    match (cfg.scaling, cfg.source) {
        (Scaling::Auto, Source::Csv | Source::Digits) => Scaling::Standard,
        (Scaling::Auto, _) => Scaling::None,
        (s, _) => s,
    }
}

/// `data.piecewise_bins` where it applies: tables and generated data (0 for images, whose
/// pixels a CNN reads as a grid).
pub fn piecewise_bins(cfg: &DataConfig) -> usize {
    match cfg.source {
        Source::Digits | Source::Images => 0,
        _ => cfg.piecewise_bins,
    }
}

/// The bins asked for the numeric column `column`: [`piecewise_bins`] when
/// `data.piecewise_columns` is empty or names it, else 0 (one scaled feature). The one rule
/// for which numbers are binned: [`Preprocessor::fit`] fits it, and the size check before
/// it (`data::limits`) counts its features by it.
pub fn piecewise_bins_for(cfg: &DataConfig, column: &str) -> usize {
    let chosen = &cfg.piecewise_columns;
    if chosen.is_empty() || chosen.iter().any(|c| c == column) {
        piecewise_bins(cfg)
    } else {
        0
    }
}

/// Number of output features of one input column.
fn input_width(c: &InputColumn) -> usize {
    match c {
        InputColumn::Numeric { bins, .. } if !bins.is_empty() => bins.len() - 1,
        InputColumn::Numeric { .. } | InputColumn::Embedded { .. } => 1,
        InputColumn::Categorical { categories, .. } => categories.len(),
    }
}

/// Writes the one-hot codes of `rows` of `v` into `out` (`[rows, categories]`, zeros on entry);
/// returns the non-missing values that are not among `categories`, counted.
fn one_hot(
    out: &mut ArrayViewMut2<f32>,
    categories: &[String],
    fill: &str,
    v: &[Option<String>],
    rows: &[usize],
) -> Unseen {
    let mut unseen = Unseen::default();
    for (i, &r) in rows.iter().enumerate() {
        let value = v[r].as_deref().unwrap_or(fill);
        match categories.binary_search_by(|c| c.as_str().cmp(value)) {
            Ok(k) => out[[i, k]] = 1.0,
            // A missing value whose fill is no category (all-missing train column) is not
            // "unseen": it simply encodes as zeros.
            Err(_) if v[r].is_some() => unseen.add(value, r),
            Err(_) => {}
        }
    }
    unseen
}

/// The error for a column whose values are not of the kind the preprocessing expects.
fn kind_mismatch(name: &str, values: &ColumnValues) -> Error {
    let (want, got) = match values {
        ColumnValues::Numeric(_) => ("categorical", "numeric"),
        ColumnValues::Categorical(_) => ("numeric", "categorical"),
        ColumnValues::Text(_) => ("typed by the schema", "raw text"),
    };
    Error::Other(format!(
        "column '{name}' is {got} but the preprocessing expects {want}"
    ))
}

/// The raw column name of an input column.
fn input_name(c: &InputColumn) -> &str {
    match c {
        InputColumn::Numeric { name, .. }
        | InputColumn::Categorical { name, .. }
        | InputColumn::Embedded { name, .. } => name,
    }
}

/// Every row index must be inside the frame.
fn check_rows(frame: &Frame, rows: &[usize]) -> Result<()> {
    match rows.iter().find(|&&r| r >= frame.n_rows) {
        Some(r) => Err(Error::Other(format!(
            "row index {r} is outside the frame ({} rows)",
            frame.n_rows
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
