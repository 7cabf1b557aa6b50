//! Minibatches (the chapter's `iterate_minibatches`): [`Batch`], the `(Xb, yb)` pair a step
//! consumes, and [`TrainRows`], the training set it is gathered from.
//!
//! ```text
//! for start in range(0, len(X), batch_size):
//!     batch_idx = idx[start:start+batch_size]
//!     yield X[batch_idx], y[batch_idx]
//! ```
//!
//! The shuffled `idx` and the slicing live in `common::fit` (shared by both routes); the
//! gather `X[batch_idx], y[batch_idx]` is [`TrainRows::gather`], over a layout made for it
//! (`ops::LabelledRows`).

use common::data::augment::Augmenter;
use common::data::XY;
use common::seed::Rng;
use common::Result;
use ndarray::ArrayViewMut2;

use crate::float::Float;
use crate::ops::{Buf, LabelledRows};

/// A minibatch: features `x` `[batch, features]` and class indices `y` `[batch]`.
#[derive(Debug, Default)]
pub struct Batch<F> {
    /// Features, row-major.
    pub x: Buf<F>,
    /// Class indices.
    pub y: Vec<usize>,
}

/// The training set `(X, y)`, with the room augmentation works in.
#[derive(Debug, Clone)]
pub struct TrainRows {
    rows: LabelledRows,
    /// Reused storage for the rows the augmenter works on (f32, before conversion to `F`).
    stage: Vec<f32>,
}

impl TrainRows {
    /// The training set `train`. A label too large to store is an error naming its row.
    pub fn new(train: &XY) -> Result<Self> {
        Ok(TrainRows {
            rows: LabelledRows::new(train.x.view(), &train.y)?,
            stage: Vec::new(),
        })
    }

    /// `batch = X[batch_idx], y[batch_idx]`, converted to `F`; with an augmenter, the
    /// gathered rows are transformed first (drawing from `aug_rng`). `batch` keeps its
    /// storage from the last step.
    pub fn gather<F: Float>(
        &mut self,
        batch_idx: &[usize],
        batch: &mut Batch<F>,
        augmenter: Option<&Augmenter>,
        aug_rng: &mut Rng,
    ) {
        let (n, d) = (batch_idx.len(), self.rows.features());
        batch.y.resize(n, 0);
        batch.x.resize(n, d);
        let Some(aug) = augmenter else {
            self.rows
                .gather(batch_idx, batch.x.as_mut_slice(), &mut batch.y);
            return;
        };
        // Augmentation works on f32 rows (both routes transform the same values).
        self.stage.resize(n * d, 0.0);
        self.rows.gather(batch_idx, &mut self.stage, &mut batch.y);
        let mut view =
            ArrayViewMut2::from_shape((n, d), &mut self.stage[..]).expect("len = rows·d");
        aug.apply(&mut view, aug_rng);
        let dst = batch.x.as_mut_slice();
        dst.iter_mut()
            .zip(&self.stage)
            .for_each(|(o, &v)| *o = F::of_f32(v));
    }
}
