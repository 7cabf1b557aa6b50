//! `ScratchBackend`: Route 1's step loop behind `common::fit::Backend` (the chapter's
//! `train.train` inner loop): for each minibatch `(xb, yb)`, forward (train mode), loss,
//! backward, optimizer step ([`ScratchBackend::train_step`]). `common::fit` owns everything
//! around it (epochs, shuffling, validation, history, checkpoints). With a frozen backbone and
//! no augmentation (`train.cache_frozen`), the backbone runs once per training example before
//! epoch 1 and the steps start from its features.

use common::config::OptimConfig;
use common::data::augment::Augmenter;
use common::data::XY;
use common::fit::{
    check_interrupted, check_order, check_train_set, eval_chunk, logits_in_chunks, Backend,
    EpochCtx, EpochStats,
};
use common::loss_weights::LossWeights;
use common::seed::Rng;
use common::spec::ModelSpec;
use common::tensor::{refuse_unknown_params, NamedTensors};
use common::{Error, Result};
use ndarray::Array2;
use rand::SeedableRng;

use crate::batch::{Batch, TrainRows};
use crate::float::Float;
use crate::loss::{count_correct, Loss};
use crate::model::Model;
use crate::optim::Optimizer;

/// The hand-written backend in precision `F` (`f32` to train, `f64` for parity checks).
#[derive(Debug)]
pub struct ScratchBackend<F: Float> {
    model: Model<F>,
    loss_fn: Loss<F>,
    optim: Optimizer<F>,
    train_rows: TrainRows,
    /// Training examples.
    n: usize,
    augmenter: Option<Augmenter>,
    /// The label storage of the last batch, reused by the next.
    spare_labels: Vec<usize>,
    /// The training labels, in row order (for batches of cached features).
    train_y: Vec<usize>,
    /// Whether a frozen backbone's features may be computed once (`train.cache_frozen`).
    cache_allowed: bool,
    /// Those features, once computed.
    cache: Option<FeatureCache<F>>,
    /// Set once the spec was found to have no frozen backbone, so that later epochs do not
    /// look again (a step loop that allocates nothing does not walk the spec every epoch).
    no_backbone: bool,
}

/// A frozen backbone's output for every training row: the steps start at layer `start`.
#[derive(Debug)]
struct FeatureCache<F> {
    /// The first top-level layer that runs in the steps.
    start: usize,
    /// Values per row.
    width: usize,
    /// `[n, width]`, row-major.
    x: Vec<F>,
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
        check_train_set(train, model.n_inputs(), spec.n_outputs().max(2))?;
        // Frozen parameters get no optimizer state (and so no update, no weight decay).
        let (_, shapes) = model.trainable_names_and_shapes();
        let sizes: Vec<usize> = shapes.iter().map(|s| s.iter().product()).collect();
        Ok(ScratchBackend {
            loss_fn: Loss::new(spec.head),
            optim: Optimizer::new(optim, &sizes).with_lr_scales(spec.lr_scales(&optim.lr_scale)?),
            model,
            train_rows: TrainRows::new(train)?,
            n: train.y.len(),
            augmenter: None,
            spare_labels: Vec::new(),
            train_y: train.y.clone(),
            cache_allowed: true,
            cache: None,
            no_backbone: false,
        })
    }

    /// Weighs the training loss by class (`train.class_weights`), or not (`None`).
    pub fn set_loss_weights(&mut self, weights: Option<&LossWeights>) {
        self.loss_fn = Loss::new(self.model.spec().head).with_weights(weights);
    }

    /// Allows or forbids computing a frozen backbone's features once (`train.cache_frozen`).
    pub fn set_cache_frozen(&mut self, allowed: bool) {
        self.cache_allowed = allowed;
        self.cache = None;
    }

    /// Runs the frozen backbone once over every training row (in eval-sized chunks), when
    /// there is one, augmentation is off and caching is allowed; does nothing otherwise.
    fn ensure_cache(&mut self) -> Result<()> {
        if self.cache.is_some()
            || self.no_backbone
            || !self.cache_allowed
            || self.augmenter.is_some()
        {
            return Ok(());
        }
        let Some((start, shape)) = self.model.spec().frozen_backbone() else {
            self.no_backbone = true;
            return Ok(());
        };
        let width = shape.iter().product::<usize>();
        let mut x = Vec::with_capacity(self.n * width);
        let rows: Vec<usize> = (0..self.n).collect();
        let mut rng = Rng::seed_from_u64(0); // unused: no augmentation
        for part in rows.chunks(eval_chunk(self.model.spec()).max(1)) {
            check_interrupted()?;
            let batch = self.minibatch(part, &mut rng);
            self.spare_labels = batch.y;
            x.extend_from_slice(self.model.features(batch.x, start).as_slice());
        }
        self.cache = Some(FeatureCache { start, width, x });
        Ok(())
    }

    /// Turns augmentation of training batches on (`Some`) or off.
    pub fn set_augmenter(&mut self, augmenter: Option<Augmenter>) {
        self.augmenter = augmenter;
        self.cache = None;
    }
    /// The model (weights, gradients of the last step).
    pub fn model(&self) -> &Model<F> {
        &self.model
    }

    /// The minibatch of training examples `rows` from the feature cache, in storage recycled
    /// from the last step.
    fn cached_minibatch(&mut self, rows: &[usize]) -> Option<Batch<F>> {
        let cache = self.cache.as_ref()?;
        let w = cache.width;
        let mut x = self.model.recycle();
        x.resize(rows.len(), w);
        for (dst, &r) in x.as_mut_slice().chunks_exact_mut(w.max(1)).zip(rows) {
            dst.copy_from_slice(&cache.x[r * w..][..w]);
        }
        let mut y = std::mem::take(&mut self.spare_labels);
        y.clear();
        y.extend(rows.iter().map(|&r| self.train_y[r]));
        Some(Batch { x, y })
    }

    /// The minibatch of training examples `rows`, in storage recycled from the last step.
    fn minibatch(&mut self, rows: &[usize], aug_rng: &mut Rng) -> Batch<F> {
        let mut batch = Batch {
            x: self.model.recycle(),
            y: std::mem::take(&mut self.spare_labels),
        };
        let augmenter = self.augmenter.as_ref();
        self.train_rows.gather(rows, &mut batch, augmenter, aug_rng);
        batch
    }

    /// One training step (the chapter's loop body): forward, loss, backward, update. Returns
    /// (mean loss, correct predictions). A non-finite loss skips backward and update (the
    /// weights stay as they were) and is returned for the caller to report.
    pub fn train_step(&mut self, batch: Batch<F>, lr: f64) -> Result<(f64, usize)> {
        let Batch { x: xb, y: yb } = batch;
        let start = self.cache.as_ref().map_or(0, |c| c.start);
        let logits = self.model.forward_from(xb, start, true)?;
        let loss = self.loss_fn.forward(logits, &yb)?;
        let correct = count_correct(logits, &yb);
        self.spare_labels = yb;
        if !loss.is_finite() {
            return Ok((loss, correct));
        }
        self.model.backward(self.loss_fn.backward());
        self.optim.step(self.model.trainable_params_mut(), lr);
        Ok((loss, correct))
    }
}

impl<F: Float> Backend for ScratchBackend<F> {
    fn name(&self) -> &'static str {
        "scratch"
    }

    fn train_epoch(&mut self, order: &[usize], ctx: &EpochCtx) -> Result<EpochStats> {
        check_order(order, self.n)?;
        self.ensure_cache()?;
        self.model.set_dropout_seed(ctx.dropout_seed);
        let mut aug_rng = Rng::seed_from_u64(ctx.augment_seed);
        let mut stats = EpochStats::default();
        let n_batches = order.len().div_ceil(ctx.batch_size);
        for (b, rows) in order.chunks(ctx.batch_size).enumerate() {
            // Ctrl-C stops within one step; the loop drops this partial epoch.
            check_interrupted()?;
            let batch = match self.cached_minibatch(rows) {
                Some(batch) => batch,
                None => self.minibatch(rows, &mut aug_rng),
            };
            let (loss, correct) = self.train_step(batch, ctx.lr)?;
            if !loss.is_finite() {
                let epoch = ctx.epoch;
                return Err(Error::Diverged {
                    epoch,
                    batch: b,
                    loss,
                });
            }
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
        let (n_inputs, n_outputs) = (self.model.n_inputs(), self.model.spec().n_outputs());
        let model = &mut self.model;
        let rows = eval_chunk(model.spec());
        logits_in_chunks(x, n_inputs, n_outputs, rows, |chunk| {
            let mut xb = model.recycle();
            xb.resize(chunk.nrows(), chunk.ncols());
            xb.as_mut_slice()
                .iter_mut()
                .zip(chunk.iter())
                .for_each(|(o, &v)| *o = F::of_f32(v));
            Ok(model.forward(xb, false)?.mapv(|z| z.as_f32()))
        })
    }

    fn export(&self) -> Result<NamedTensors> {
        let mut tensors = self.model.export();
        let (names, shapes) = self.model.trainable_names_and_shapes();
        tensors.extend(self.optim.export(&names, &shapes));
        Ok(tensors)
    }

    fn import(&mut self, tensors: &NamedTensors) -> Result<()> {
        // The optimizer state is checked on a copy first, so a failure changes nothing.
        let mut optim = self.optim.clone();
        let (names, shapes) = self.model.trainable_names_and_shapes();
        optim.import(tensors, &names, &shapes)?;
        refuse_unknown_params(tensors, self.model.spec())?;
        self.model.load(tensors, true)?;
        self.optim = optim;
        // New weights: a cached backbone output would be stale.
        self.cache = None;
        Ok(())
    }

    fn optim_step(&self) -> u64 {
        self.optim.steps()
    }

    fn set_optim_step(&mut self, step: u64) {
        self.optim.set_steps(step);
    }
}
