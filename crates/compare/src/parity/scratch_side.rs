//! The scratch side of a parity check: Route 1's training step (the chapter's `train.train`
//! inner loop: forward → loss → backward → `optim.step`) driven one minibatch at a time, with
//! everything the check compares read back after the step — logits, loss, every gradient,
//! every weight — and the dropout masks it drew, which the torch side then reuses.

use common::config::OptimConfig;
use common::loss_weights::LossWeights;
use common::spec::ModelSpec;
use common::tensor::NamedTensors;
use common::{Error, Result};
use ndarray::{Array2, ArrayView2};
use scratch::loss::Loss;
use scratch::optim::Optimizer;
use scratch::{Float, Model};

use super::{DropoutMask, StepRecord};

/// The hand-written model, loss and optimizer in precision `F`, stepped one batch at a time.
#[derive(Debug)]
pub struct ScratchStepper<F: Float> {
    model: Model<F>,
    loss: Loss<F>,
    optim: Optimizer<F>,
}

impl<F: Float> ScratchStepper<F> {
    /// The model of `spec` from the weights `init` (by `state_dict` name), optimizer `optim`.
    pub fn new(spec: &ModelSpec, init: &NamedTensors, optim: &OptimConfig) -> Result<Self> {
        let model = Model::<F>::new(spec, init)?;
        let (_, shapes) = model.trainable_names_and_shapes();
        let sizes: Vec<usize> = shapes.iter().map(|s| s.iter().product()).collect();
        Ok(ScratchStepper {
            loss: Loss::new(spec.head),
            optim: Optimizer::new(optim, &sizes).with_lr_scales(spec.lr_scales(&optim.lr_scale)?),
            model,
        })
    }

    /// The same stepper with class weights in its loss (`train.class_weights`), or without.
    pub fn with_loss_weights(mut self, weights: Option<&LossWeights>) -> Self {
        self.loss = Loss::new(self.model.spec().head).with_weights(weights);
        self
    }

    /// Restarts the dropout stream (as the scratch backend does at the start of each epoch).
    pub fn set_dropout_seed(&mut self, seed: u64) {
        self.model.set_dropout_seed(seed);
    }

    /// One training step on `(x, y)` at learning rate `lr`: forward in train mode, loss,
    /// backward, update. With `full`, the record holds logits, gradients and updated weights;
    /// otherwise only the loss (and the masks, which the torch side needs either way).
    ///
    /// # Shapes
    /// `x`: `[batch, features]`, `y`: `[batch]`.
    pub fn step(
        &mut self,
        x: ArrayView2<'_, f32>,
        y: &[usize],
        lr: f64,
        full: bool,
    ) -> Result<StepRecord> {
        let xf = x.mapv(F::of_f32);
        let logits = self.model.forward_view(xf.view(), true)?;
        let logits_f64: Vec<f64> = if full {
            logits.iter().map(|v| v.as_f64()).collect()
        } else {
            Vec::new()
        };
        let loss = self.loss.forward(logits, y)?;
        if !loss.is_finite() {
            return Err(Error::Other(format!("scratch: the loss is {loss}")));
        }
        let masks = dropout_masks(&self.model);
        let dlogits = self.loss.backward();
        self.model.backward(dlogits);
        let grads = if full { self.host(true) } else { Vec::new() };
        self.optim.step(self.model.trainable_params_mut(), lr);
        let weights = if full { self.host(false) } else { Vec::new() };
        Ok(StepRecord {
            logits: logits_f64,
            loss,
            grads,
            weights,
            masks,
            batch: y.len(),
        })
    }

    /// The weights and optimizer state (`net.*`, `optim.*`, as in a checkpoint) and the
    /// optimizer's step count: what [`super::TorchStepper::load_state`] takes.
    pub fn state(&self) -> (NamedTensors, u64) {
        let mut tensors = self.model.export();
        let (names, shapes) = self.model.trainable_names_and_shapes();
        tensors.extend(self.optim.export(&names, &shapes));
        (tensors, self.optim.steps())
    }

    /// Logits in eval mode (no dropout), rounded to f32 as the backends return them.
    ///
    /// # Shapes
    /// `x`: `[n, features]` → `[n, outputs]`.
    pub fn eval_logits(&mut self, x: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
        let xf = x.mapv(F::of_f32);
        Ok(self
            .model
            .forward_view(xf.view(), false)?
            .mapv(|v| v.as_f32()))
    }

    /// `(name, values)` of every parameter's gradient with `grads` (trained parameters only:
    /// a frozen one has none); else of every parameter's value and every buffer (running
    /// statistics and batch counts), as the torch side exports them.
    fn host(&self, grads: bool) -> Vec<(String, Vec<f64>)> {
        if !grads {
            let state = self.model.export().into_iter();
            return state.map(|(n, t)| (n, t.to_f64())).collect();
        }
        let (trained, _) = self.model.trainable_names_and_shapes();
        self.model
            .params()
            .filter(|(name, _, _)| trained.iter().any(|t| t == name))
            .map(|(name, _, g)| (name.to_string(), g.iter().map(|x| x.as_f64()).collect()))
            .collect()
    }
}

/// The mask each dropout layer applied in the last forward pass (train mode): `0` or
/// `1/(1 − p)` per element, as `dX = dY ⊙ mask` uses it.
fn dropout_masks<F: Float>(model: &Model<F>) -> Vec<DropoutMask> {
    model
        .layers()
        .iter()
        .enumerate()
        .filter_map(|(i, layer)| {
            let mask = layer.dropout_mask()?.iter().map(|m| m.as_f64()).collect();
            Some(DropoutMask { layer: i, mask })
        })
        .collect()
}
