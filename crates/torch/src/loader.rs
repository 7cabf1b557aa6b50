//! The chapter's `make_loaders` (`TensorDataset` + `DataLoader(shuffle=True)`): the training
//! set and, each epoch, its minibatches in the loop's shuffled order.
//!
//! The chapter's `DataLoader` copies every batch from the host; here the training set is
//! uploaded to the device once, each epoch uploads its order as one `Int64` tensor and gathers
//! its rows in that order with one `index_select` into a buffer kept across epochs, and every
//! batch is a view (`narrow`) of that. Image augmentation, when on, is the one exception:
//! batches are gathered and augmented on the host by `common::data::augment`, so that both
//! backends see the same pixels.

use common::data::augment::Augmenter;
use common::data::XY;
use common::seed::Rng;
use common::spec::Head;
use common::Result;
use ndarray::Array2;
use rand::SeedableRng;
use tch::{Device, Kind, Tensor};

use crate::convert::{labels_to_tensor, matrix_to_tensor, TchContext};
use crate::model;

/// The training set, on the device or (for augmented batches) on the host.
#[derive(Debug)]
pub(crate) struct TrainLoader {
    /// Labels `[n]` (`Int64`) on the device.
    y: Tensor,
    /// Where the features are.
    x: Features,
    /// A frozen backbone's output for every row (`[n, width]`), read instead of the device
    /// features while set; the features stay, so that new weights can recompute it.
    cached: Option<Tensor>,
    kind: Kind,
    device: Device,
}

/// Where the training features live: exactly one of the two, so a batch always has a source.
#[derive(Debug)]
enum Features {
    /// `[n, features]` on the device, and the epoch's rows gathered in shuffled order
    /// (allocated on the first epoch, kept across epochs: on a wide dataset a fresh buffer would
    /// cost a page fault per 4 KiB every epoch).
    Device { x: Tensor, gathered: Option<Tensor> },
    /// `[n, features]` on the host, augmented batch by batch.
    Host {
        x: Array2<f32>,
        augmenter: Augmenter,
    },
}

/// One epoch's minibatches: labels in epoch order, and the rows each batch reads.
pub(crate) struct EpochBatches<'a> {
    /// Labels in epoch order (`Int64`, `[n]`), for counting correct predictions.
    pub(crate) y: Tensor,
    /// The loss's targets in epoch order (`[n]`, see `model::loss_targets`).
    targets: Tensor,
    rows: EpochRows<'a>,
}

/// The rows of one epoch's batches.
enum EpochRows<'a> {
    /// Every row of the epoch, gathered on the device in epoch order (`[n, features]`).
    Gathered(Tensor),
    /// Rows gathered and augmented on the host, batch by batch.
    Augmented {
        x: &'a Array2<f32>,
        augmenter: &'a Augmenter,
        order: &'a [usize],
        /// Boxed: the generator's state is large beside a tensor handle.
        rng: Box<Rng>,
        kind: Kind,
        device: Device,
    },
}

impl TrainLoader {
    /// Uploads `train` (features as `kind`) to `device`.
    ///
    /// # Shapes
    /// `train.x`: `[n, features]`, `train.y`: `[n]`.
    pub(crate) fn new(train: &XY, kind: Kind, device: Device) -> Result<Self> {
        Ok(TrainLoader {
            y: labels_to_tensor(&train.y, device)?,
            x: Features::Device {
                x: matrix_to_tensor(&train.x, kind, device)?,
                gathered: None,
            },
            cached: None,
            kind,
            device,
        })
    }

    /// Augments every batch with `augmenter` on the host copy `x` of the training features.
    pub(crate) fn augmented(self, x: Array2<f32>, augmenter: Augmenter) -> Self {
        TrainLoader {
            x: Features::Host { x, augmenter },
            ..self
        }
    }

    /// The training features when they are on the device (not augmented on the host).
    ///
    /// # Shapes
    /// `[n, features]`.
    pub(crate) fn device_features(&self) -> Option<&Tensor> {
        match &self.x {
            Features::Device { x, .. } => Some(x),
            Features::Host { .. } => None,
        }
    }

    /// Reads `cached` (a frozen backbone's output for every row) instead of the device
    /// features from the next epoch on, or the features again with `None`.
    ///
    /// # Shapes
    /// `cached`: `[n, width]`.
    pub(crate) fn set_cached(&mut self, cached: Option<Tensor>) {
        self.cached = cached;
        if let Features::Device { gathered, .. } = &mut self.x {
            *gathered = None; // another width
        }
    }

    /// Training rows.
    pub(crate) fn n_rows(&self) -> usize {
        self.y.size()[0] as usize
    }

    /// The minibatches of an epoch over the rows in `order` (checked by the caller), for the
    /// loss of `head`; augmentation is drawn from `augment_seed`.
    pub(crate) fn epoch<'a>(
        &'a mut self,
        order: &'a [usize],
        head: Head,
        augment_seed: u64,
    ) -> Result<EpochBatches<'a>> {
        let order_t = labels_to_tensor(order, self.device)?;
        let y = self.y.f_index_select(0, &order_t).ctx("gather labels")?;
        let targets = model::loss_targets(head, &y, self.kind).ctx("loss targets")?;
        let (kind, device) = (self.kind, self.device);
        let rows = match &mut self.x {
            Features::Device { x, gathered } => {
                let src = self.cached.as_ref().unwrap_or(x);
                EpochRows::Gathered(gather_rows_into(src, gathered, &order_t, kind, device)?)
            }
            Features::Host { x, augmenter } => EpochRows::Augmented {
                x,
                augmenter,
                order,
                rng: Box::new(Rng::seed_from_u64(augment_seed)),
                kind,
                device,
            },
        };
        Ok(EpochBatches { y, targets, rows })
    }
}

impl EpochBatches<'_> {
    /// The batch of `len` rows from epoch position `start`: `(X, targets)`.
    ///
    /// # Shapes
    /// → `[len, features]`, `[len]`.
    pub(crate) fn batch(&mut self, start: usize, len: usize) -> Result<(Tensor, Tensor)> {
        let xb = match &mut self.rows {
            EpochRows::Gathered(x) => x
                .f_narrow(0, start as i64, len as i64)
                .ctx("gather batch")?,
            EpochRows::Augmented {
                x,
                augmenter,
                order,
                rng,
                kind,
                device,
            } => {
                let mut rows = host_rows(x, &order[start..start + len]);
                augmenter.apply(&mut rows.view_mut(), rng);
                matrix_to_tensor(&rows, *kind, *device)?
            }
        };
        let yb = self
            .targets
            .f_narrow(0, start as i64, len as i64)
            .ctx("gather batch")?;
        Ok((xb, yb))
    }
}

/// The rows of `x` listed in `order_t` (`Int64`), gathered with one `index_select` into
/// `buf`, which is (re)allocated only when it is missing or too short.
///
/// # Shapes
/// `x`: `[n, d]`, `order_t`: `[m]` → `[m, d]` (a view of `buf`).
fn gather_rows_into(
    x: &Tensor,
    buf: &mut Option<Tensor>,
    order_t: &Tensor,
    kind: Kind,
    device: Device,
) -> Result<Tensor> {
    let m = order_t.size()[0];
    let rows = match buf {
        Some(b) if b.size()[0] >= m => b.shallow_clone(),
        _ => {
            let fresh =
                Tensor::f_empty([m, x.size()[1]], (kind, device)).ctx("allocate epoch rows")?;
            *buf = Some(fresh.shallow_clone());
            fresh
        }
    };
    rows.f_narrow(0, 0, m)
        .and_then(|out| x.f_index_select_out(&out, 0, order_t))
        .ctx("gather rows")
}

/// The rows of `x` listed in `rows`, in that order.
///
/// # Shapes
/// `x`: `[n, d]` → `[rows.len(), d]`.
fn host_rows(x: &Array2<f32>, rows: &[usize]) -> Array2<f32> {
    let mut out = Array2::zeros((rows.len(), x.ncols()));
    for (mut dst, &r) in out.rows_mut().into_iter().zip(rows) {
        dst.assign(&x.row(r));
    }
    out
}
