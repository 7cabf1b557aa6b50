//! Minibatches (the chapter's `iterate_minibatches`): the training set laid out for fast
//! gathers, and [`Batch`], the `(X, y)` pair a step consumes.

use common::data::augment::Augmenter;
use common::data::XY;
use common::seed::Rng;
use common::{Error, Result};
use ndarray::ArrayViewMut2;

use crate::float::Float;
use crate::ops::Buf;

/// A minibatch: features `x` `[batch, features]` and class indices `y` `[batch]`.
#[derive(Debug, Default)]
pub struct Batch<F> {
    /// Features, row-major.
    pub x: Buf<F>,
    /// Class indices.
    pub y: Vec<usize>,
}

/// The training set, one record per example: its label, then its features. Keeping each label
/// beside its features makes a gather touch one cache line per example instead of two, which
/// is what limits the chapter's tiny net once the data outgrow the cache. The label travels as
/// the bits of an f32 slot (`f32::from_bits(label)`), so reading it back is free.
#[derive(Debug, Clone)]
pub struct TrainRows {
    records: Vec<f32>,
    /// Features per example.
    d: usize,
    /// Reused storage for the rows the augmenter works on (f32, before conversion to `F`).
    stage: Vec<f32>,
}

/// Labels travel as the 32 bits of an f32 slot.
const MAX_LABEL: usize = u32::MAX as usize;

impl TrainRows {
    /// The records of `train`. A label of 2³² − 1 or more is an error naming its row.
    pub fn new(train: &XY) -> Result<Self> {
        let d = train.x.ncols();
        let mut records = Vec::with_capacity(train.y.len() * (d + 1));
        for (row, (x, &label)) in train.x.rows().into_iter().zip(&train.y).enumerate() {
            if label >= MAX_LABEL {
                return Err(Error::Shape(format!(
                    "train: label {label} at row {row} is too large (at most {MAX_LABEL} classes)"
                )));
            }
            records.push(f32::from_bits(label as u32));
            records.extend(x.iter());
        }
        Ok(TrainRows {
            records,
            d,
            stage: Vec::new(),
        })
    }

    /// Fills `batch` with the examples `rows` (through the augmenter when there is one,
    /// drawing from `aug_rng`), converted to `F`.
    pub fn gather<F: Float>(
        &mut self,
        rows: &[usize],
        batch: &mut Batch<F>,
        augmenter: Option<&Augmenter>,
        aug_rng: &mut Rng,
    ) {
        let (d, stride) = (self.d, self.d + 1);
        let records = &self.records;
        let record = |r: usize| &records[r * stride..(r + 1) * stride];
        let label = |rec: &[f32]| rec[0].to_bits() as usize;
        batch.y.resize(rows.len(), 0);
        batch.x.resize(rows.len(), d);
        let dst = batch.x.as_mut_slice();
        let Some(aug) = augmenter else {
            // One pass: each record's label and features are read while its line is in cache.
            // `max(1)`: zero-feature rows still yield their labels.
            let mut out_rows = dst.chunks_exact_mut(d.max(1));
            for (y, &r) in batch.y.iter_mut().zip(rows) {
                let rec = record(r);
                *y = label(rec);
                if let Some(out) = out_rows.next() {
                    out.iter_mut()
                        .zip(&rec[1..])
                        .for_each(|(o, &v)| *o = F::of_f32(v));
                }
            }
            return;
        };
        let mut stage = std::mem::take(&mut self.stage);
        stage.clear();
        for (y, &r) in batch.y.iter_mut().zip(rows) {
            let rec = record(r);
            *y = label(rec);
            stage.extend_from_slice(&rec[1..]);
        }
        let mut view =
            ArrayViewMut2::from_shape((rows.len(), d), &mut stage[..]).expect("len = rows·d");
        aug.apply(&mut view, aug_rng);
        dst.iter_mut()
            .zip(&stage)
            .for_each(|(o, &v)| *o = F::of_f32(v));
        self.stage = stage;
    }
}
