//! [`TorchBackend`]: the chapter's `train_one_epoch` / `validate` on libtorch, behind
//! `common::fit::Backend` so that `common::fit` drives it exactly as it drives the scratch
//! backend.
//!
//! The chapter's `DataLoader` copies every batch from the host; here the training set is
//! uploaded to the device once, each epoch uploads its shuffled order as one `Int64` tensor,
//! gathers its rows in that order with one `index_select` into a buffer kept across epochs, and
//! every batch is a view (`narrow`) of that. Losses and logits stay on the device during the
//! epoch and are read back once at its end (no host sync per step). Image augmentation, when
//! on, is the one exception: batches are augmented on the host by `common::data::augment`, so
//! that both backends see the same pixels.

use common::config::Config;
use common::data::augment::Augmenter;
use common::data::XY;
use common::fit::{Backend, EpochCtx, EpochStats};
use common::spec::ModelSpec;
use common::tensor::NamedTensors;
use common::{Error, Result};
use ndarray::Array2;
use tch::{Device, Kind, Tensor};

use crate::convert::{labels_to_tensor, matrix_to_tensor, tensor_to_matrix, Precision, TchContext};
use crate::device::{self, DeviceChoice};
use crate::model::Net;
use crate::optim::{AdamKernel, Optimizer};
use crate::train::{self, EpochTensors, GradBuffer};

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

/// Rows per forward pass when evaluating (bounds device memory on large splits).
const EVAL_CHUNK: usize = 8192;

/// The torch backend: a [`Net`], its [`Optimizer`] and the device-resident training set.
#[derive(Debug)]
pub struct TorchBackend {
    pub(crate) net: Net,
    pub(crate) optim: Optimizer,
    pub(crate) device: Device,
    pub(crate) kind: Kind,
    /// Training features `[n, features]` on the device.
    pub(crate) train_x: Tensor,
    /// Training labels `[n]` (`Int64`) on the device.
    pub(crate) train_y: Tensor,
    pub(crate) n_train: usize,
    /// The epoch's rows in shuffled order, reused across epochs (see `train::run_epoch`).
    pub(crate) x_epoch: Option<Tensor>,
    /// The flat gradient of each step, reused across steps.
    pub(crate) grads: GradBuffer,
    /// Host copy of the features and the augmenter, for augmented (image) training only.
    pub(crate) augment: Option<(Array2<f32>, Augmenter)>,
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
        let optim = Optimizer::with_kernel(&cfg.optim, net.flat(), opts.adam)?;
        let grads = GradBuffer::new(&net)?;
        check_train(train, &net, spec)?;
        let train_x = matrix_to_tensor(&train.x, kind, device)?;
        let train_y = labels_to_tensor(&train.y, device)?;
        let n_train = train.y.len();
        Ok(TorchBackend {
            net,
            optim,
            device,
            kind,
            train_x,
            train_y,
            n_train,
            x_epoch: None,
            grads,
            augment: None,
        })
    }

    /// Augments every training batch on the host with `augmenter` (drawn from the epoch's
    /// `augment_seed`), as the scratch backend does; `None` turns augmentation off.
    pub fn with_augmenter(mut self, augmenter: Option<Augmenter>, train: &XY) -> Self {
        self.augment = augmenter.map(|a| (train.x.clone(), a));
        self
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
        &self.net
    }
}

/// Training data must match the spec's input width, and its labels its outputs.
fn check_train(train: &XY, net: &Net, spec: &ModelSpec) -> Result<()> {
    if train.x.nrows() != train.y.len() {
        return Err(Error::Shape(format!(
            "training split has {} feature rows but {} labels",
            train.x.nrows(),
            train.y.len()
        )));
    }
    if !train.y.is_empty() && train.x.ncols() != net.n_inputs() {
        return Err(Error::Shape(format!(
            "training features have {} columns, the model {} takes {}",
            train.x.ncols(),
            spec.describe(),
            net.n_inputs()
        )));
    }
    let classes = spec.n_outputs().max(2);
    if let Some(&bad) = train.y.iter().find(|&&c| c >= classes) {
        return Err(Error::Shape(format!(
            "training label {bad} is out of range for {classes} classes"
        )));
    }
    Ok(())
}

impl Backend for TorchBackend {
    fn name(&self) -> &'static str {
        "torch"
    }

    fn train_epoch(&mut self, order: &[usize], ctx: &EpochCtx) -> Result<EpochStats> {
        if let Some(&bad) = order.iter().find(|&&i| i >= self.n_train) {
            return Err(Error::Shape(format!(
                "epoch order has row {bad}, the training split has {} rows",
                self.n_train
            )));
        }
        if ctx.batch_size == 0 {
            return Err(Error::config("train.batch_size", "must be ≥ 1"));
        }
        // Dropout masks of this epoch depend on its seed only (exact resume, parallel runs).
        let tensors: EpochTensors =
            device::with_seed(ctx.dropout_seed, || train::run_epoch(self, order, ctx))?;
        train::finish_epoch(self, tensors, order, ctx)
    }

    fn logits(&mut self, x: &Array2<f32>) -> Result<Array2<f32>> {
        if x.ncols() != self.net.n_inputs() {
            return Err(Error::Shape(format!(
                "input has {} features, the model {} takes {}",
                x.ncols(),
                self.net.spec().describe(),
                self.net.n_inputs()
            )));
        }
        let k = self.net.spec().n_outputs();
        if x.nrows() == 0 {
            return Ok(Array2::zeros((0, k)));
        }
        let mut chunks = Vec::new();
        for start in (0..x.nrows()).step_by(EVAL_CHUNK) {
            let end = (start + EVAL_CHUNK).min(x.nrows());
            let xb = matrix_to_tensor(
                &x.slice(ndarray::s![start..end, ..]).to_owned(),
                self.kind,
                self.device,
            )?;
            chunks.push(tch::no_grad(|| self.net.forward(&xb, false)).ctx("forward (eval)")?);
        }
        tensor_to_matrix(&Tensor::f_cat(&chunks, 0).ctx("concatenate logits")?)
    }

    fn export(&self) -> Result<NamedTensors> {
        let mut out = self.net.export()?;
        out.extend(self.optim.export(self.net.infos(), self.net.spans())?);
        Ok(out)
    }

    fn import(&mut self, tensors: &NamedTensors) -> Result<()> {
        if let Some((name, _)) = tensors
            .iter()
            .find(|(n, _)| n.starts_with("net.") && !self.net.infos().iter().any(|p| &p.name == n))
        {
            return Err(Error::Shape(format!(
                "tensor '{name}' is not a parameter of the model {}",
                self.net.spec().describe()
            )));
        }
        self.net.load(tensors)?;
        self.optim
            .import(tensors, self.net.infos(), self.net.spans())
    }

    fn optim_step(&self) -> u64 {
        self.optim.step_count()
    }

    fn set_optim_step(&mut self, step: u64) {
        self.optim.set_step_count(step);
    }
}
