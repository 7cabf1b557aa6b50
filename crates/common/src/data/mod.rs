//! Data (the chapter's `data.py` / `datasets.py`): raw examples as a [`Frame`] of typed columns
//! plus class labels, from synthetic generators, CSV files or the digits images, and
//! [`prepare`], which splits, fits the preprocessing on train only and yields f32 matrices.

pub mod csv;
pub mod digits;
pub mod synthetic;

use ndarray::Array2;
use std::path::PathBuf;

use crate::config::Config;
use crate::preprocess::Preprocessor;
use crate::split::Split;
use crate::Result;

/// The values of one raw column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    /// Numbers; `NaN` marks a missing value.
    Numeric(Vec<f64>),
    /// Category strings; `None` marks a missing value.
    Categorical(Vec<Option<String>>),
}

/// One named raw column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header name.
    pub name: String,
    /// Values, one per row.
    pub values: ColumnValues,
}

/// Raw feature columns, all of length `n_rows` (the target is not among them).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Frame {
    /// The columns in file order.
    pub columns: Vec<Column>,
    /// Number of rows.
    pub n_rows: usize,
}

/// A loaded dataset before preprocessing.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Raw features.
    pub frame: Frame,
    /// Class index of each row, in `0..class_names.len()`.
    pub labels: Vec<usize>,
    /// Class names in index order (sorted label strings for CSV; "0", "1", ... for synthetic).
    pub class_names: Vec<String>,
    /// `[C, H, W]` when rows are images (flattened row-major), e.g. `[1, 8, 8]` for digits.
    pub image_shape: Option<[usize; 3]>,
    /// Where the data came from, for messages (a file path or `circle(n=2000)`).
    pub origin: String,
    /// The CSV file, if any (for error messages naming it).
    pub path: Option<PathBuf>,
}

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
    /// The row indices of each split in the raw dataset.
    pub split: Split,
    /// Class names in index order.
    pub class_names: Vec<String>,
    /// `[C, H, W]` for image data.
    pub image_shape: Option<[usize; 3]>,
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
}

/// Loads the configured dataset (synthetic data is drawn from the `Data` stream).
pub fn load(cfg: &Config) -> Result<Dataset> {
    let _ = cfg;
    todo!()
}

/// Loads, splits (stratified, seeded), fits preprocessing on train and transforms all splits.
pub fn prepare(cfg: &Config) -> Result<Prepared> {
    let _ = cfg;
    todo!()
}
