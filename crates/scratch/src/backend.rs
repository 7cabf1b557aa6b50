//! `ScratchBackend`: Route 1's step loop behind `common::fit::Backend` (the chapter's
//! `train.train` inner loop): for each minibatch, gather the rows, forward (train mode),
//! loss, count correct predictions, backward, optimizer step. `common::fit` owns everything
//! around it (epochs, shuffling, validation, history, checkpoints).

use common::config::{Config, OptimConfig};
use common::data::augment::Augmenter;
use common::data::{Prepared, XY};
use common::fit::{check_interrupted, Backend, EpochCtx, EpochStats};
use common::seed::Rng;
use common::spec::ModelSpec;
use common::tensor::NamedTensors;
use common::{Error, Result};
use ndarray::{Array2, ArrayViewMut2};
use rand::SeedableRng;

use crate::float::Float;
use crate::loss::{count_correct, Loss};
use crate::model::Model;
use crate::optim::Optimizer;

/// Rows per forward pass in [`Backend::logits`] (bounds the activation buffers).
const EVAL_CHUNK: usize = 4096;

/// The hand-written backend in precision `F` (`f32` to train, `f64` for parity checks).
#[derive(Debug, Clone)]
pub struct ScratchBackend<F: Float> {
    model: Model<F>,
    loss: Loss<F>,
    optim: Optimizer<F>,
    /// The training set, one record per example: the label's bits, then the features (f32,
    /// converted per batch). Keeping each label beside its features makes a minibatch gather
    /// touch one cache line per example instead of two, which is what limits the chapter's
    /// tiny net once the data outgrow the cache.
    records: Vec<f32>,
    /// Training examples.
    n: usize,
    /// Features per example.
    d: usize,
    augmenter: Option<Augmenter>,
    /// Reused per-batch storage: labels, and the f32 rows the augmenter works on.
    labels: Vec<usize>,
    stage: Vec<f32>,
}

impl<F: Float> ScratchBackend<F> {
    /// A backend for `spec` starting from the parameters `init` (by `state_dict` name),
    /// training on `train` with optimizer `optim`. Errors name a missing or misshapen tensor,
    /// a feature count that does not fit the spec, or a label out of range (with its row).
    pub fn new(
        spec: &ModelSpec,
        init: &NamedTensors,
        optim: &OptimConfig,
        train: &XY,
    ) -> Result<Self> {
        let model = Model::<F>::new(spec, init)?;
        if train.x.nrows() != train.y.len() {
            return Err(Error::Shape(format!(
                "train: {} feature rows but {} labels",
                train.x.nrows(),
                train.y.len()
            )));
        }
        if train.x.ncols() != model.n_inputs() {
            let msg = format!(
                "train: {} features per row, the model expects {}",
                train.x.ncols(),
                model.n_inputs()
            );
            return Err(Error::Shape(msg));
        }
        let classes = spec.n_outputs().max(2); // < 2³² (a Linear layer of that width cannot exist)
        if let Some((row, &c)) = train.y.iter().enumerate().find(|(_, &c)| c >= classes) {
            return Err(Error::Shape(format!(
                "train: label {c} at row {row} is not one of {classes} classes"
            )));
        }
        let sizes: Vec<usize> = model
            .param_shapes()
            .iter()
            .map(|s| s.iter().product())
            .collect();
        Ok(ScratchBackend {
            loss: Loss::new(spec.head),
            optim: Optimizer::new(optim, &sizes),
            model,
            records: records(train),
            n: train.y.len(),
            d: train.x.ncols(),
            augmenter: None,
            labels: Vec::new(),
            stage: Vec::new(),
        })
    }

    /// [`ScratchBackend::new`] on a prepared dataset's training split, with the config's
    /// optimizer and, when `data.augment.enabled` and the data are images, augmentation of
    /// every training batch (seeded by the epoch's `augment_seed`).
    pub fn from_prepared(
        spec: &ModelSpec,
        init: &NamedTensors,
        cfg: &Config,
        data: &Prepared,
    ) -> Result<Self> {
        let mut backend = Self::new(spec, init, &cfg.optim, &data.train)?;
        backend.set_augmenter(Augmenter::new(&data.pre, &cfg.data.augment));
        Ok(backend)
    }

    /// Turns augmentation of training batches on (`Some`) or off.
    pub fn set_augmenter(&mut self, augmenter: Option<Augmenter>) {
        self.augmenter = augmenter;
    }
    /// The model (weights, gradients of the last step).
    pub fn model(&self) -> &Model<F> {
        &self.model
    }

    /// Copies the rows `rows` of the training set into the model's input buffer (through the
    /// augmenter when there is one) and their labels into `self.labels`.
    fn gather(&mut self, rows: &[usize], aug_rng: &mut Rng) {
        let (d, stride) = (self.d, self.d + 1);
        let src = &self.records;
        self.labels.resize(rows.len(), 0);
        let dst = self.model.input_mut(rows.len());
        // `max(1)`: zero-feature rows still carry their label.
        let out_rows = dst.chunks_exact_mut(d.max(1)).zip(self.labels.iter_mut());
        let Some(aug) = &self.augmenter else {
            for ((out, label), &r) in out_rows.zip(rows) {
                let rec = &src[r * stride..(r + 1) * stride];
                *label = rec[0].to_bits() as usize;
                out.iter_mut()
                    .zip(&rec[1..])
                    .for_each(|(o, &v)| *o = F::of_f32(v));
            }
            return;
        };
        self.stage.clear();
        for (&r, label) in rows.iter().zip(self.labels.iter_mut()) {
            let rec = &src[r * stride..(r + 1) * stride];
            *label = rec[0].to_bits() as usize;
            self.stage.extend_from_slice(&rec[1..]);
        }
        let mut view =
            ArrayViewMut2::from_shape((rows.len(), d), &mut self.stage[..]).expect("len = rows·d");
        aug.apply(&mut view, aug_rng);
        dst.iter_mut()
            .zip(&self.stage)
            .for_each(|(o, &v)| *o = F::of_f32(v));
    }

    /// One training step on the gathered batch: returns (mean loss, correct predictions).
    /// A non-finite loss stops before the update (the weights stay as they were).
    fn step(&mut self, lr: f64, epoch: usize, batch: usize) -> Result<(f64, usize)> {
        let logits = self.model.forward_input(true);
        let loss = self.loss.forward(logits, &self.labels)?;
        if !loss.is_finite() {
            return Err(Error::Diverged { epoch, batch, loss });
        }
        let correct = count_correct(logits, &self.labels);
        let dlogits = self.loss.backward();
        self.model.backward(dlogits);
        self.optim.step(self.model.params_mut(), lr);
        Ok((loss, correct))
    }
}

impl<F: Float> Backend for ScratchBackend<F> {
    fn name(&self) -> &'static str {
        "scratch"
    }

    fn train_epoch(&mut self, order: &[usize], ctx: &EpochCtx) -> Result<EpochStats> {
        let n = self.n;
        if let Some(&bad) = order.iter().find(|&&r| r >= n) {
            return Err(Error::Other(format!(
                "epoch order names row {bad}, but there are {n} training rows"
            )));
        }
        if ctx.batch_size == 0 {
            return Err(Error::config("train.batch_size", "must be at least 1"));
        }
        self.model.set_dropout_seed(ctx.dropout_seed);
        let mut aug_rng = Rng::seed_from_u64(ctx.augment_seed);
        let mut stats = EpochStats::default();
        let n_batches = order.len().div_ceil(ctx.batch_size);
        for (b, rows) in order.chunks(ctx.batch_size).enumerate() {
            // Ctrl-C stops within one step; the loop drops this partial epoch.
            check_interrupted()?;
            self.gather(rows, &mut aug_rng);
            let (loss, correct) = self.step(ctx.lr, ctx.epoch, b)?;
            stats.loss_sum += loss * rows.len() as f64;
            stats.correct += correct;
            stats.count += rows.len();
            if ctx.log_grad_norms && b + 1 == n_batches {
                stats.grad_norms = self.model.grad_norms();
            }
        }
        Ok(stats)
    }

    fn logits(&mut self, x: &Array2<f32>) -> Result<Array2<f32>> {
        let (n, d) = x.dim();
        if d != self.model.n_inputs() {
            return Err(Error::Shape(format!(
                "logits: input has {d} features, the model expects {}",
                self.model.n_inputs()
            )));
        }
        let mut out = Array2::zeros((n, self.model.spec().n_outputs()));
        for start in (0..n).step_by(EVAL_CHUNK) {
            let chunk = x.slice(ndarray::s![start..(start + EVAL_CHUNK).min(n), ..]);
            let dst = self.model.input_mut(chunk.nrows());
            dst.iter_mut()
                .zip(chunk.iter())
                .for_each(|(o, &v)| *o = F::of_f32(v));
            let logits = self.model.forward_input(false);
            let mut rows = out.slice_mut(ndarray::s![start..start + chunk.nrows(), ..]);
            rows.zip_mut_with(&logits, |o, &z| *o = z.as_f32());
        }
        Ok(out)
    }

    fn export(&self) -> Result<NamedTensors> {
        let mut tensors = self.model.export();
        tensors.extend(
            self.optim
                .export(self.model.param_names(), self.model.param_shapes()),
        );
        Ok(tensors)
    }

    fn import(&mut self, tensors: &NamedTensors) -> Result<()> {
        // The optimizer state is checked on a copy first, so a failure changes nothing.
        let mut optim = self.optim.clone();
        optim.import(tensors, self.model.param_names(), self.model.param_shapes())?;
        self.model.load(tensors, true)?;
        self.optim = optim;
        Ok(())
    }

    fn optim_step(&self) -> u64 {
        self.optim.steps()
    }

    fn set_optim_step(&mut self, step: u64) {
        self.optim.set_steps(step);
    }
}

/// One record per example: the label (as f32 bits), then its features.
fn records(train: &XY) -> Vec<f32> {
    let mut out = Vec::with_capacity(train.y.len() * (train.x.ncols() + 1));
    for (row, &label) in train.x.rows().into_iter().zip(&train.y) {
        out.push(f32::from_bits(label as u32));
        out.extend(row.iter());
    }
    out
}
