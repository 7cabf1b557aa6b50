//! The torch side of a parity check: Route 2's training step (`train_one_epoch`: forward →
//! `loss.backward()` → `optimizer.step()`) with the torch crate's own [`Net`], loss and
//! [`Optimizer`], one minibatch at a time, everything read back to the host after the step.
//!
//! Dropout is the one place where the two backends cannot agree by themselves: each draws its
//! masks from its own generator. When the spec has dropout, the forward pass here is the
//! same sequence of libtorch operations as [`Net::forward`] except that each dropout layer
//! multiplies by the mask the scratch side drew (`x · mask` is exactly what
//! `torch.nn.functional.dropout` computes from its Bernoulli draw divided by `1 − p`), so
//! autograd differentiates the same function the hand-written backward does.

use common::config::OptimConfig;
use common::loss_weights::LossWeights;
use common::spec::ModelSpec;
use common::tensor::NamedTensors;
use common::{Error, Result};
use ndarray::{Array2, ArrayView2};
use tch::{Device, Kind, TchError, Tensor};
use torch::convert::{labels_to_tensor, matrix_to_tensor, tensor_to_matrix};
use torch::model::{self, Net};
use torch::optim::Optimizer;
use torch::Precision;

use super::{DropoutMask, StepRecord};

/// A libtorch error as `Error::Backend`, saying what was being done.
fn tch_err(what: &str) -> impl Fn(TchError) -> Error + '_ {
    move |e| Error::Backend(format!("libtorch: {what}: {e}"))
}

/// The torch crate's network and optimizer on the CPU, stepped one batch at a time.
#[derive(Debug)]
pub struct TorchStepper {
    net: Net,
    optim: Optimizer,
    kind: Kind,
    /// Class weights of the loss (`train.class_weights`), when the run has them.
    weights: Option<model::LossTensors>,
}

impl TorchStepper {
    /// The network of `spec` in `precision` from the weights `init`, optimizer `optim`.
    pub fn new(
        spec: &ModelSpec,
        init: &NamedTensors,
        optim: &OptimConfig,
        precision: Precision,
    ) -> Result<Self> {
        let kind = precision.kind();
        let mut net = Net::new(spec, kind, Device::Cpu)?;
        net.load(init)?;
        let trained = net.trained_flat().map_err(tch_err("trained parameters"))?;
        let scales = spec.lr_scales(&optim.lr_scale)?;
        let mut optim = Optimizer::new(optim, &trained)?;
        optim.set_lr_scales(&net.trained_spans(), &scales);
        Ok(TorchStepper {
            net,
            optim,
            kind,
            weights: None,
        })
    }

    /// The same stepper with class weights in its loss (`train.class_weights`), or without.
    pub fn with_loss_weights(mut self, weights: Option<&LossWeights>) -> Result<Self> {
        self.weights = weights
            .map(|w| model::LossTensors::new(w, self.kind, Device::Cpu))
            .transpose()
            .map_err(tch_err("class weights"))?;
        Ok(self)
    }

    /// One training step on `(x, y)` at learning rate `lr`, applying `masks` (the scratch
    /// side's, one per active dropout layer) in place of libtorch's own draws. With `full`,
    /// the record holds logits, gradients and updated weights; otherwise only the loss.
    ///
    /// # Shapes
    /// `x`: `[batch, features]`, `y`: `[batch]`.
    pub fn step(
        &mut self,
        x: ArrayView2<'_, f32>,
        y: &[usize],
        lr: f64,
        masks: &[DropoutMask],
        full: bool,
    ) -> Result<StepRecord> {
        let head = self.net.spec().head;
        let xb = matrix_to_tensor(&x.to_owned(), self.kind, Device::Cpu)?;
        let yb = labels_to_tensor(y, Device::Cpu)?;
        let targets = model::loss_targets(head, &yb, self.kind).map_err(tch_err("targets"))?;
        let logits = if masks.is_empty() {
            self.net.forward(&xb, true)
        } else {
            forward_masked(&self.net, &xb, masks, self.kind)
        }
        .map_err(tch_err("forward"))?;
        let loss =
            model::loss(head, &logits, &targets, self.weights.as_ref()).map_err(tch_err("loss"))?;
        // Frozen parameters do not require grad: only the trained ones are differentiated.
        let grads = Tensor::f_run_backward(&[&loss], &self.net.trained_params(), false, false)
            .map_err(tch_err("backward"))?;
        let flat = grads
            .iter()
            .map(|g| g.f_reshape([-1]))
            .collect::<std::result::Result<Vec<_>, _>>()
            .and_then(|g| Tensor::f_cat(&g, 0))
            .map_err(tch_err("gradients"))?;
        let trained = self
            .net
            .trained_flat()
            .map_err(tch_err("trained parameters"))?;
        self.optim.step(&trained, &flat, lr)?;
        let loss = loss.f_double_value(&[]).map_err(tch_err("read loss"))?;
        if !full {
            return Ok(StepRecord {
                batch: y.len(),
                ..StepRecord::loss_only(loss)
            });
        }
        let names = self.net.trained_infos().into_iter().map(|p| p.name);
        let grads = names
            .zip(&grads)
            .map(|(n, g)| Ok((n, to_f64(g)?)))
            .collect::<Result<Vec<_>>>()?;
        let weights = self.net.export()?;
        Ok(StepRecord {
            logits: to_f64(&logits)?,
            loss,
            grads,
            weights: weights.into_iter().map(|(n, t)| (n, t.to_f64())).collect(),
            masks: Vec::new(),
            batch: y.len(),
        })
    }

    /// Loads weights and optimizer state by name (`net.*`, `optim.*`, as written by
    /// [`super::ScratchStepper::state`] or found in a checkpoint) and the step count.
    pub fn load_state(&mut self, tensors: &NamedTensors, steps: u64) -> Result<()> {
        self.net.load(tensors)?;
        let (infos, spans) = (self.net.trained_infos(), self.net.trained_spans());
        self.optim.import(tensors, &infos, &spans)?;
        self.optim.set_step_count(steps);
        Ok(())
    }

    /// Logits in eval mode (no dropout, no gradient), rounded to f32.
    ///
    /// # Shapes
    /// `x`: `[n, features]` → `[n, outputs]`.
    pub fn eval_logits(&mut self, x: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
        let xb = matrix_to_tensor(&x.to_owned(), self.kind, Device::Cpu)?;
        let logits = tch::no_grad(|| self.net.forward(&xb, false)).map_err(tch_err("forward"))?;
        tensor_to_matrix(&logits)
    }
}

/// Every element of a tensor as f64, row-major.
fn to_f64(t: &Tensor) -> Result<Vec<f64>> {
    t.f_detach()
        .and_then(|t| t.f_to_kind(Kind::Double))
        .and_then(|t| t.f_reshape([-1]))
        .and_then(|t| Vec::<f64>::try_from(&t))
        .map_err(tch_err("read tensor"))
}

/// [`Net::forward`] in train mode with each dropout layer multiplying by the given mask
/// ([`Net::forward_masked`]).
///
/// # Shapes
/// `x`: `[n, features]` → `[n, outputs]`; each mask has as many elements as its layer's input.
pub fn forward_masked(
    net: &Net,
    x: &Tensor,
    masks: &[DropoutMask],
    kind: Kind,
) -> std::result::Result<Tensor, TchError> {
    let masks = masks
        .iter()
        .map(|m| Ok((m.layer, Tensor::f_from_slice(&m.mask)?.f_to_kind(kind)?)))
        .collect::<std::result::Result<Vec<_>, TchError>>()?;
    net.forward_masked(x, &masks)
}
