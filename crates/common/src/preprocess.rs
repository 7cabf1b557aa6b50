//! Preprocessing fitted on the training split only and saved with the model: numeric imputation
//! (train mean), categorical imputation (train mode) and one-hot encoding (an unseen category →
//! all zeros plus a warning), standardization. Predicting on raw rows from a checkpoint gives
//! the same features as during training.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::config::DataConfig;
use crate::data::Frame;
use crate::Result;

/// How one raw column becomes features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputColumn {
    /// One feature: `(fill-if-missing(x) - mean) / std`.
    Numeric {
        /// Column name.
        name: String,
        /// Train mean used for missing values.
        fill: f64,
        /// Train mean subtracted (0 when not scaling).
        mean: f64,
        /// Train standard deviation divided by (1 when not scaling or constant).
        std: f64,
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
}

impl Preprocessor {
    /// Fits on the rows `rows` of `frame` (the training split).
    pub fn fit(frame: &Frame, rows: &[usize], cfg: &DataConfig, class_names: &[String]) -> Result<Self> {
        let _ = (frame, rows, cfg, class_names);
        todo!()
    }
    /// Transforms rows of a frame (any frame with the fitted columns by name; extra columns
    /// are ignored). Returns the features and warnings (unseen categories, one per
    /// column and category).
    ///
    /// # Shapes
    /// Returns `[rows.len(), self.n_features()]`.
    pub fn transform(&self, frame: &Frame, rows: &[usize]) -> Result<(Array2<f32>, Vec<String>)> {
        let _ = (frame, rows);
        todo!()
    }
    /// Number of output features.
    pub fn n_features(&self) -> usize {
        todo!()
    }
    /// Output feature names (`island=Biscoe` for one-hot features).
    pub fn feature_names(&self) -> Vec<String> {
        todo!()
    }
}
