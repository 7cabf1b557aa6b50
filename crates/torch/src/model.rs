//! The network on libtorch (the chapter's `models.MLP(nn.Module)` with its `nn.Sequential`),
//! built from a [`ModelSpec`], and the loss of its head (`nn.CrossEntropyLoss` or
//! `nn.BCEWithLogitsLoss`).
//!
//! All parameters live in one flat 1-D tensor; each `net.{i}.weight|bias` is a view of it in
//! PyTorch's layout. Autograd sees ordinary leaf tensors, while the optimizer updates every
//! parameter with one in-place operation per formula term instead of one per parameter (the
//! same elementwise arithmetic, so the same numbers: see `optim`). On a small MLP that is what
//! keeps per-step dispatch overhead below the arithmetic.
//!
//! The training step differentiates a second set of leaves over the same memory
//! ([`Net::forward_train`]): there a Linear weight is its transposed view `Wᵀ` (`[in, out]`),
//! because `F.linear(x, W, b)` on a 2-D batch *is* `addmm(b, x, W.t())`. Calling `addmm` on
//! `Wᵀ` directly is the same kernel on the same operands, so the same numbers, minus a `t()`
//! operation per layer and its autograd node (a fifth of the backward graph of the chapter's
//! MLP). [`Net::leaf_views`] and [`Net::param_grads`] give the gradients PyTorch's layout back.
//!
//! Frozen parameters (`model.freeze`) sit first in the flat buffer and do not require grad, so
//! autograd computes nothing for them; the gradient buffer and the optimizer cover the trained
//! tail only ([`Net::trained_flat`]): frozen tensors are never written, get no state, no decay.

mod build;
mod forward;
mod loss;
mod norms;
#[cfg(test)]
mod tests;

pub use loss::{correct, loss, loss_targets, LossTensors};

use common::spec::{ModelSpec, ParamInfo};
use common::tensor::{HostTensor, NamedTensors};
use common::{Error, Result};
use tch::{Device, Kind, TchError, Tensor};

use crate::convert::{dims, host_to_tensor, tensor_to_host, TchContext};
use build::{compile, leaves, views, Layer};
use norms::Norms;

/// The spec's network with its parameters on a device.
#[derive(Debug)]
pub struct Net {
    spec: ModelSpec,
    infos: Vec<ParamInfo>,
    layers: Vec<Layer>,
    /// Every parameter, concatenated in spec order (`[n_params]`).
    flat: Tensor,
    /// Views of `flat` shaped like the spec's parameters, requiring grad.
    params: Vec<Tensor>,
    /// The leaves of [`Net::forward_train`]: `params`, except that a Linear weight is its own
    /// transposed view (`[in, out]`), a separate leaf over the same memory.
    train_leaves: Vec<Tensor>,
    /// Which parameters `train_leaves` holds transposed.
    transposed: Vec<bool>,
    /// `(offset, numel)` of each parameter in `flat`.
    spans: Vec<(i64, i64)>,
    /// Indices (spec order) of the trained parameters: all but the spec's frozen ones.
    trained: Vec<usize>,
    /// Elements of the frozen parameters, which `flat` holds first (see [`Net::trained_flat`]).
    n_frozen: i64,
    /// The BatchNorms' running statistics and batch counts, beside the flat parameters.
    norms: Norms,
    /// Per-example input shape of each top-level layer.
    inputs: Vec<Vec<usize>>,
    /// The first top-level layer [`Net::forward_train`] runs: 0, or where a frozen
    /// backbone's precomputed features enter (see [`Net::features`]).
    train_start: usize,
}

impl Net {
    /// Builds the network of `spec` with zero parameters of `kind` on `device`; load weights
    /// with [`Net::load`].
    pub fn new(spec: &ModelSpec, kind: Kind, device: Device) -> Result<Self> {
        let infos = spec.params();
        let frozen: Vec<bool> = infos.iter().map(|p| spec.is_frozen(&p.name)).collect();
        let (spans, n_frozen, offset) = layout(&infos, &frozen);
        let trained = (0..infos.len()).filter(|&i| !frozen[i]).collect();
        let flat = Tensor::f_zeros([offset], (kind, device)).ctx("allocate parameters")?;
        let layers = compile(spec, &infos)?;
        let mut transposed = vec![false; infos.len()];
        mark_linear_weights(&layers, &mut transposed);
        let norms = Norms::new(spec, kind, device).ctx("BatchNorm buffers")?;
        let untransposed = vec![false; infos.len()];
        let params =
            leaves(&flat, &infos, &spans, &untransposed, &frozen).ctx("parameter views")?;
        let train_leaves =
            leaves(&flat, &infos, &spans, &transposed, &frozen).ctx("training leaves")?;
        Ok(Net {
            spec: spec.clone(),
            infos,
            layers,
            flat,
            params,
            train_leaves,
            transposed,
            spans,
            trained,
            n_frozen,
            norms,
            inputs: spec.layer_inputs(),
            train_start: 0,
        })
    }

    /// Makes [`Net::forward_train`] start at top-level layer `start`: its input is then the
    /// output of the layers before (a frozen backbone's features, [`Net::features`]).
    pub fn set_train_start(&mut self, start: usize) {
        self.train_start = start;
    }

    /// The output of the top-level layers before `end`, in eval mode and without autograd:
    /// a frozen backbone's features, flattened.
    ///
    /// # Shapes
    /// `x`: `[n, features]` → `[n, size of layer end's input]`.
    pub fn features(&self, x: &Tensor, end: usize) -> std::result::Result<Tensor, TchError> {
        let h = self.shaped(x, 0)?;
        let pass = forward::Pass {
            train: false,
            p: &self.params,
            transposed: false,
            norms: &self.norms,
            masks: &[],
        };
        tch::no_grad(|| pass.chain(&self.layers[..end], h)?.f_flatten(1, -1))
    }

    /// `x` (`[n, flat]`) viewed as top-level layer `start`'s per-example input shape.
    fn shaped(&self, x: &Tensor, start: usize) -> std::result::Result<Tensor, TchError> {
        let input = &self.inputs[start];
        if input.len() > 1 {
            let mut shape = vec![-1i64];
            shape.extend(dims(input));
            x.f_view(shape.as_slice())
        } else {
            Ok(x.shallow_clone())
        }
    }

    /// The spec.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }
    /// The parameters' names and shapes, in spec order.
    pub fn infos(&self) -> &[ParamInfo] {
        &self.infos
    }
    /// The parameter tensors (leaf views of the flat buffer), in spec order.
    pub fn params(&self) -> &[Tensor] {
        &self.params
    }
    /// The leaves [`Net::forward_train`] differentiates, in spec order: each parameter's view
    /// of [`Net::flat`], a Linear weight transposed (`[in, out]`). Frozen ones do not
    /// require grad.
    pub fn train_leaves(&self) -> &[Tensor] {
        &self.train_leaves
    }
    /// The trained parameters' [`Net::train_leaves`], in spec order: what a step differentiates.
    pub fn trained_leaves(&self) -> Vec<Tensor> {
        self.trained
            .iter()
            .map(|&i| self.train_leaves[i].shallow_clone())
            .collect()
    }
    /// The trained parameters' [`Net::params`], in spec order.
    pub fn trained_params(&self) -> Vec<Tensor> {
        self.trained
            .iter()
            .map(|&i| self.params[i].shallow_clone())
            .collect()
    }
    /// The trained parameters' infos, in spec order (the order of [`Net::trained_flat`]).
    pub fn trained_infos(&self) -> Vec<ParamInfo> {
        self.trained
            .iter()
            .map(|&i| self.infos[i].clone())
            .collect()
    }
    /// `(offset, numel)` of each trained parameter within [`Net::trained_flat`].
    pub fn trained_spans(&self) -> Vec<(i64, i64)> {
        let shift = |&i: &usize| (self.spans[i].0 - self.n_frozen, self.spans[i].1);
        self.trained.iter().map(shift).collect()
    }
    /// The part of [`Net::flat`] the optimizer updates: every trained parameter, contiguous
    /// (the frozen ones come first in `flat`, so nothing frozen is ever written).
    ///
    /// # Shapes
    /// `[n_trained]`.
    pub fn trained_flat(&self) -> std::result::Result<Tensor, TchError> {
        let n = self.flat.size()[0] - self.n_frozen;
        self.flat.f_narrow(0, self.n_frozen, n)
    }
    /// Views of `buf` (`[n_trained]`, laid out like [`Net::trained_flat`]) shaped and strided
    /// like [`Net::trained_leaves`]: copying each leaf's gradient into its view fills `buf`
    /// with the flat gradient in the parameters' layout.
    pub fn leaf_views(&self, buf: &Tensor) -> std::result::Result<Vec<Tensor>, TchError> {
        let pick = |v: &[bool]| self.trained.iter().map(|&i| v[i]).collect::<Vec<_>>();
        views(
            buf,
            &self.trained_infos(),
            &self.trained_spans(),
            &pick(&self.transposed),
        )
    }
    /// Gradients with respect to [`Net::trained_leaves`] in the parameters' layout (the
    /// transpose of a Linear weight's, a view).
    ///
    /// # Shapes
    /// Each as its leaf → each as its parameter.
    pub fn param_grads(&self, grads: Vec<Tensor>) -> std::result::Result<Vec<Tensor>, TchError> {
        grads
            .into_iter()
            .zip(&self.trained)
            .map(|(g, &i)| if self.transposed[i] { g.f_tr() } else { Ok(g) })
            .collect()
    }
    /// The flat parameter buffer the optimizer updates in place.
    ///
    /// # Shapes
    /// `[n_params]`.
    pub fn flat(&self) -> &Tensor {
        &self.flat
    }
    /// `(offset, numel)` of each parameter within [`Net::flat`] (frozen parameters first).
    pub fn spans(&self) -> &[(i64, i64)] {
        &self.spans
    }
    /// Number of input features of one example (`C·H·W` for images).
    pub fn n_inputs(&self) -> usize {
        self.spec.input_shape.iter().product()
    }

    /// Copies weights and buffers in by name; every one is required and its shape must match.
    pub fn load(&mut self, tensors: &NamedTensors) -> Result<()> {
        for i in 0..self.infos.len() {
            let name = self.infos[i].name.clone();
            let t = common::tensor::find(tensors, &name)
                .ok_or_else(|| Error::Shape(format!("parameter '{name}' is missing")))?;
            self.copy_into(i, t, &name)?;
        }
        self.norms.load(tensors)
    }

    /// Copies one host tensor into the slice of `flat` of parameter `i`.
    fn copy_into(&mut self, i: usize, t: &HostTensor, name: &str) -> Result<()> {
        let info = &self.infos[i];
        if t.shape != info.shape {
            return Err(Error::Shape(format!(
                "tensor '{name}' has shape {:?}, the model needs {:?} ({})",
                t.shape,
                info.shape,
                self.spec.describe()
            )));
        }
        let (o, n) = self.spans[i];
        let src = host_to_tensor(t, name, self.flat.kind(), self.flat.device())?;
        tch::no_grad(|| self.flat.f_narrow(0, o, n)?.f_copy_(&src.f_reshape([-1])?)).ctx(name)
    }

    /// The parameters, then the buffers, on the host, named as the spec.
    pub fn export(&self) -> Result<NamedTensors> {
        let mut out = self
            .infos
            .iter()
            .zip(&self.params)
            .map(|(info, p)| Ok((info.name.clone(), tensor_to_host(&p.detach(), &info.name)?)))
            .collect::<Result<NamedTensors>>()?;
        out.extend(self.norms.export()?);
        Ok(out)
    }

    /// The forward pass: logits of a batch of flat rows. `train` turns dropout on.
    ///
    /// # Shapes
    /// `x`: `[n, features]` → `[n, spec.n_outputs()]`.
    pub fn forward(&self, x: &Tensor, train: bool) -> std::result::Result<Tensor, TchError> {
        self.run_with(x, train, (&self.params, false), &[], 0)
    }

    /// The training forward pass (dropout on) over [`Net::train_leaves`]: the same operations
    /// and numbers as `forward(x, true)`, differentiable with respect to the training leaves.
    ///
    /// # Shapes
    /// `x`: `[n, features]` → `[n, spec.n_outputs()]`.
    pub fn forward_train(&self, x: &Tensor) -> std::result::Result<Tensor, TchError> {
        self.run_with(x, true, (&self.train_leaves, true), &[], self.train_start)
    }

    /// [`Net::forward`] in train mode over [`Net::params`], where each top-level dropout
    /// layer listed in `masks` (`(layer index, mask)`) multiplies by its mask instead of
    /// drawing one: `x · mask` is what `F.dropout` computes from its Bernoulli draw divided by
    /// `1 − p`. Parity checks replay the scratch side's draws with it.
    ///
    /// # Shapes
    /// `x`: `[n, features]` → `[n, spec.n_outputs()]`; each mask has as many elements as its
    /// layer's input.
    pub fn forward_masked(
        &self,
        x: &Tensor,
        masks: &[(usize, Tensor)],
    ) -> std::result::Result<Tensor, TchError> {
        self.run_with(x, true, (&self.params, false), masks, 0)
    }

    /// The top-level layers from `start` on, over `p` (Linear weights as `Wᵀ` when the flag
    /// says), replaying `masks` (see [`Net::forward_masked`]).
    fn run_with(
        &self,
        x: &Tensor,
        train: bool,
        (p, transposed): (&[Tensor], bool),
        masks: &[(usize, Tensor)],
        start: usize,
    ) -> std::result::Result<Tensor, TchError> {
        let h = self.shaped(x, start)?;
        let pass = forward::Pass {
            train,
            p,
            transposed,
            norms: &self.norms,
            masks,
        };
        pass.top(&self.layers[start..], h)
    }
}

/// Where each parameter sits in the flat buffer: the frozen ones first, then the trained ones,
/// each group in spec order, so the trained ones form one contiguous tail that the optimizer
/// updates alone. With nothing frozen this is plain spec order. Returns the spans, the frozen
/// elements and the total.
fn layout(infos: &[ParamInfo], frozen: &[bool]) -> (Vec<(i64, i64)>, i64, i64) {
    let numel = |p: &ParamInfo| p.shape.iter().product::<usize>() as i64;
    let mut spans = vec![(0, 0); infos.len()];
    let (mut offset, mut n_frozen) = (0i64, 0i64);
    for group in [true, false] {
        for (i, p) in infos
            .iter()
            .enumerate()
            .filter(|(i, _)| frozen[*i] == group)
        {
            spans[i] = (offset, numel(p));
            offset += numel(p);
        }
        if group {
            n_frozen = offset;
        }
    }
    (spans, n_frozen, offset)
}

/// Marks the weight of every Linear layer, however deep in a container: the training pass
/// runs each on its transposed leaf (see the module documentation).
fn mark_linear_weights(layers: &[Layer], transposed: &mut [bool]) {
    for layer in layers {
        match layer {
            Layer::Linear { w, .. } => transposed[*w] = true,
            Layer::Sequential(inner) => mark_linear_weights(inner, transposed),
            Layer::Residual {
                body, downsample, ..
            } => {
                mark_linear_weights(body, transposed);
                mark_linear_weights(downsample, transposed);
            }
            _ => {}
        }
    }
}
