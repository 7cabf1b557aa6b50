//! [`TorchBackend`]: the chapter's `train_one_epoch` / `validate` on libtorch, behind
//! `common::fit::Backend` so that `common::fit` drives it exactly as it drives the scratch
//! backend. The step loop is in `train`, the batches in `loader`; here they are put together
//! with the device set-up, evaluation and checkpoint export/import.
//!
//! Losses and logits stay on the device during the epoch and are read back once at its end
//! (no host sync per step).

use common::config::Config;
use common::data::augment::Augmenter;
use common::data::XY;
use common::fit::{
    check_order, check_train_set, eval_chunk, logits_in_chunks, Backend, EpochCtx, EpochStats,
};
use common::loss_weights::LossWeights;
use common::spec::ModelSpec;
use common::tensor::{refuse_unknown_params, NamedTensors};
use common::Result;
use ndarray::Array2;
use tch::{Device, Kind};

use crate::convert::{matrix_to_tensor, tensor_to_matrix, Precision, TchContext};
use crate::device::{self, DeviceChoice};
use crate::loader::TrainLoader;
use crate::model::{LossTensors, Net};
use crate::optim::{AdamKernel, Optimizer};
use crate::train::{finish_epoch, train_one_epoch, Learner};

/// Backend-specific options (what the `torch` CLI adds to the config).
#[derive(Debug, Clone, Copy, Default)]
pub struct TorchOptions {
    /// Where to train.
    pub device: DeviceChoice,
    /// Float precision.
    pub precision: Precision,
    /// Intra-op threads (`None`: [`device::auto_threads`] of the model and batch size).
    pub threads: Option<usize>,
    /// Adam's implementation: libtorch's fused kernel (default) or the composite formula.
    pub adam: AdamKernel,
}

/// The torch backend: a [`Net`] with its [`Optimizer`] (`train::Learner`) and the training
/// set on the device (`loader::TrainLoader`).
#[derive(Debug)]
pub struct TorchBackend {
    learner: Learner,
    loader: TrainLoader,
    device: Device,
    kind: Kind,
    /// Whether a frozen backbone's features may be computed once (`train.cache_frozen`).
    cache_allowed: bool,
    /// Whether that was decided (before the first epoch): the loader then holds them, or
    /// there is no frozen backbone, or the rows are augmented on the host.
    cache_decided: bool,
}

impl TorchBackend {
    /// A backend for `spec` starting from `params` (`net.*`, spec order, as produced by
    /// `common::init::init_params` or read from a checkpoint), with the optimizer of
    /// `cfg.optim` and the training split `train` (may be empty for evaluation). Seeds
    /// libtorch with `cfg.seed` and sets its thread count.
    ///
    /// # Shapes
    /// `train.x`: `[n, spec features]`, `train.y`: `[n]`.
    pub fn new(
        spec: &ModelSpec,
        params: &NamedTensors,
        cfg: &Config,
        train: &XY,
        opts: &TorchOptions,
    ) -> Result<Self> {
        device::configure_threads(
            opts.threads
                .or_else(|| Some(device::auto_threads(spec, cfg.train.batch_size))),
        );
        let device = device::resolve(opts.device)?;
        // Under the generators' lock: reseeding while another backend of this process draws
        // its dropout masks (inside `device::with_seed`) would change that backend's masks.
        device::with_seed(cfg.seed, || ());
        let kind = opts.precision.kind();
        let mut net = Net::new(spec, kind, device)?;
        net.load(params)?;
        let mut optim = Optimizer::with_kernel(
            &cfg.optim,
            &net.trained_flat().ctx("trained parameters")?,
            opts.adam,
        )?;
        optim.set_lr_scales(&net.trained_spans(), &spec.lr_scales(&cfg.optim.lr_scale)?);
        check_train_set(train, net.n_inputs(), spec.n_outputs().max(2))?;
        Ok(TorchBackend {
            learner: Learner::new(net, optim)?,
            loader: TrainLoader::new(train, kind, device)?,
            device,
            kind,
            cache_allowed: cfg.train.cache_frozen,
            cache_decided: false,
        })
    }

    /// Runs the frozen backbone once over every training row (in eval-sized chunks) and
    /// trains from its output, when there is one and the rows are on the device (no
    /// augmentation); does nothing otherwise. The backbone is frozen, so its output cannot
    /// change during the run.
    fn ensure_cache(&mut self) -> Result<()> {
        let net = &mut self.learner.net;
        if self.cache_decided || !self.cache_allowed {
            return Ok(());
        }
        self.cache_decided = true;
        let (Some(x), Some((start, _))) =
            (self.loader.device_features(), net.spec().frozen_backbone())
        else {
            return Ok(());
        };
        let n = x.size()[0];
        let chunk = eval_chunk(net.spec()).max(1) as i64;
        let mut parts = Vec::new();
        for o in (0..n).step_by(chunk as usize) {
            common::fit::check_interrupted()?;
            let rows = x.f_narrow(0, o, chunk.min(n - o)).ctx("backbone rows")?;
            parts.push(net.features(&rows, start).ctx("backbone features")?);
        }
        let features = tch::Tensor::f_cat(&parts, 0).ctx("backbone features")?;
        self.loader.set_cached(Some(features));
        net.set_train_start(start);
        Ok(())
    }

    /// Augments every training batch on the host with `augmenter` (drawn from the epoch's
    /// `augment_seed`), as the scratch backend does; `None` turns augmentation off.
    pub fn with_augmenter(mut self, augmenter: Option<Augmenter>, train: &XY) -> Self {
        if let Some(augmenter) = augmenter {
            self.loader = self.loader.augmented(train.x.clone(), augmenter);
        }
        self
    }

    /// Weighs the training loss by class (`train.class_weights`), or not (`None`).
    pub fn with_loss_weights(mut self, weights: Option<&LossWeights>) -> Result<Self> {
        self.learner.weights = weights
            .map(|w| LossTensors::new(w, self.kind, self.device))
            .transpose()
            .ctx("class weights")?;
        Ok(self)
    }

    /// The device the backend runs on.
    pub fn device(&self) -> Device {
        self.device
    }
    /// The element kind (`Float` or `Double`).
    pub fn kind(&self) -> Kind {
        self.kind
    }
    /// The network.
    pub fn net(&self) -> &Net {
        &self.learner.net
    }
}

impl Backend for TorchBackend {
    fn name(&self) -> &'static str {
        "torch"
    }

    fn train_epoch(&mut self, order: &[usize], ctx: &EpochCtx) -> Result<EpochStats> {
        check_order(order, self.loader.n_rows())?;
        self.ensure_cache()?;
        let (learner, loader) = (&mut self.learner, &mut self.loader);
        // Dropout masks of this epoch depend on its seed only (exact resume, parallel runs).
        let tensors = device::with_seed(ctx.dropout_seed, || {
            train_one_epoch(learner, loader, order, ctx)
        })?;
        finish_epoch(learner.net.spec().head, tensors, order, ctx)
    }

    fn logits(&mut self, x: &Array2<f32>) -> Result<Array2<f32>> {
        let net = &self.learner.net;
        let (kind, device) = (self.kind, self.device);
        let n_outputs = net.spec().n_outputs();
        let chunk = eval_chunk(net.spec());
        logits_in_chunks(x, net.n_inputs(), n_outputs, chunk, |rows| {
            let xb = matrix_to_tensor(&rows.to_owned(), kind, device)?;
            tensor_to_matrix(&tch::no_grad(|| net.forward(&xb, false)).ctx("forward (eval)")?)
        })
    }

    fn export(&self) -> Result<NamedTensors> {
        let Learner { net, optim, .. } = &self.learner;
        let mut out = net.export()?;
        out.extend(optim.export(&net.trained_infos(), &net.trained_spans())?);
        Ok(out)
    }

    fn import(&mut self, tensors: &NamedTensors) -> Result<()> {
        let Learner { net, optim, .. } = &mut self.learner;
        refuse_unknown_params(tensors, net.spec())?;
        net.load(tensors)?;
        optim.import(tensors, &net.trained_infos(), &net.trained_spans())?;
        // New weights: a cached backbone output would be stale; the next epoch recomputes it.
        net.set_train_start(0);
        self.loader.set_cached(None);
        self.cache_decided = false;
        Ok(())
    }

    fn optim_step(&self) -> u64 {
        self.learner.optim.step_count()
    }

    fn set_optim_step(&mut self, step: u64) {
        self.learner.optim.set_step_count(step);
    }
}
