//! The network as a composition of layers (the chapter's `model.MLP`; `nn.Sequential`):
//! forward runs the layers in order, backward runs them in reverse, and the parameters are
//! reachable by their PyTorch `state_dict` names, which the spec's module tree gives
//! (`net.{i}.weight` for an MLP, where `i` counts every layer, activations and dropout
//! included; torchvision's `layer1.0.conv1.weight` for a ResNet). Buffers (a BatchNorm's
//! running statistics) are saved and loaded with the parameters, by name too.

use common::seed::Rng;
use common::spec::ModelSpec;
use common::tensor::NamedTensors;
use common::{Error, Result};
use ndarray::{ArrayView2, ArrayViewD, IxDyn};
use rand::SeedableRng;

use crate::float::Float;
use crate::layers::{build, Layer, Mode, Param, ParamMut, Parameters};
use crate::ops::Buf;

mod state;
pub(crate) use state::checked;

/// A sequential network built from a [`ModelSpec`].
#[derive(Debug)]
pub struct Model<F: Float> {
    spec: ModelSpec,
    layers: Vec<Box<dyn Layer<F>>>,
    /// `state_dict` names of the parameters, in order (weight before bias, layer by layer).
    names: Vec<String>,
    /// PyTorch shapes of the parameters, in the same order.
    shapes: Vec<Vec<usize>>,
    /// Flat per-example input size of each top-level layer.
    input_sizes: Vec<usize>,
    /// Names, shapes and kinds (count or values) of the buffers, in `state_dict` order.
    buffers: Vec<common::spec::BufferInfo>,
    /// Whether each parameter is trained (not in `model.freeze`), in the same order.
    trainable: Vec<bool>,
    /// Index of the first layer with a trained parameter: backward stops there.
    first_trained_layer: usize,
    /// The logits of the last forward pass.
    logits: Buf<F>,
    /// Dropout masks are drawn from here (reseeded every epoch by the backend).
    dropout_rng: Rng,
}

impl<F: Float> Model<F> {
    /// Builds the layers of `spec` and loads every parameter from `init` by name (shapes
    /// must match the spec; the error names the tensor and both shapes).
    pub fn new(spec: &ModelSpec, init: &NamedTensors) -> Result<Self> {
        let mut model = Self::zeros(spec)?;
        model.load(init, true)?;
        Ok(model)
    }

    /// Builds the layers of `spec` with all parameters zero; checks that consecutive layer
    /// shapes fit and that the last layer has `spec.n_outputs()` flat outputs.
    pub fn zeros(spec: &ModelSpec) -> Result<Self> {
        if spec.layers.is_empty() {
            return Err(Error::Shape("the model spec has no layers".into()));
        }
        let infos = spec.params();
        let (mut layers, mut shapes) = (Vec::new(), Vec::new());
        let mut first_trained_layer = None;
        let mut shape = spec.input_shape.clone();
        let mut input_sizes = Vec::with_capacity(spec.layers.len());
        for (i, ls) in spec.layers.iter().enumerate() {
            input_sizes.push(shape.iter().product());
            let (mut layer, out) = build::<F>(ls, &shape).map_err(|e| {
                Error::Shape(format!(
                    "{}: {}",
                    spec.layer_name(i),
                    e.to_string().trim_start_matches("shape mismatch: ")
                ))
            })?;
            let own = layer.param_shapes();
            let names = infos.get(shapes.len()..shapes.len() + own.len());
            let frozen: Vec<bool> = names
                .unwrap_or_default()
                .iter()
                .map(|p| spec.is_frozen(&p.name))
                .collect();
            if frozen.contains(&false) {
                first_trained_layer.get_or_insert(i);
            }
            layer.set_frozen(&frozen);
            shapes.extend(own);
            layers.push(layer);
            shape = out;
        }
        let spec_shapes: Vec<&Vec<usize>> = infos.iter().map(|p| &p.shape).collect();
        if shapes.iter().collect::<Vec<_>>() != spec_shapes {
            let msg =
                format!("the layers' parameters {shapes:?} are not the spec's {spec_shapes:?}");
            return Err(Error::Shape(msg));
        }
        if shape != [spec.n_outputs()] {
            let msg = format!(
                "the network ends in per-example shape {shape:?}, the head needs [{}]",
                spec.n_outputs()
            );
            return Err(Error::Shape(msg));
        }
        Ok(Model {
            spec: spec.clone(),
            layers,
            trainable: infos.iter().map(|p| !spec.is_frozen(&p.name)).collect(),
            names: infos.into_iter().map(|p| p.name).collect(),
            shapes,
            buffers: spec.buffers(),
            input_sizes,
            first_trained_layer: first_trained_layer.unwrap_or(0),
            logits: Buf::new(),
            dropout_rng: Rng::seed_from_u64(0),
        })
    }

    /// The spec the model was built from.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }
    /// The layers, in order.
    pub fn layers(&self) -> &[Box<dyn Layer<F>>] {
        &self.layers
    }
    /// Flat input features per example.
    pub fn n_inputs(&self) -> usize {
        self.spec.input_shape.iter().product()
    }
    /// Parameter names in `state_dict` order.
    pub fn param_names(&self) -> &[String] {
        &self.names
    }
    /// Parameter shapes (PyTorch layout), in the order of [`Model::param_names`].
    pub fn param_shapes(&self) -> &[Vec<usize>] {
        &self.shapes
    }
    /// Restarts the dropout stream (the backend does this at the start of every epoch).
    pub fn set_dropout_seed(&mut self, seed: u64) {
        self.dropout_rng = Rng::seed_from_u64(seed);
    }

    /// The storage of the last logits, handed back to fill with the next batch: batches,
    /// caches and outputs trade places from step to step, so no step allocates its activations.
    pub fn recycle(&mut self) -> Buf<F> {
        std::mem::take(&mut self.logits)
    }

    /// The forward pass (the chapter's `MLP.forward`): each layer's output is the next one's
    /// input; train mode applies dropout. Returns the logits.
    ///
    /// # Shapes
    /// `x`: `[n, n_inputs]` → logits `[n, n_outputs]`.
    pub fn forward(&mut self, x: Buf<F>, train: bool) -> Result<ArrayView2<'_, F>> {
        self.forward_from(x, 0, train)
    }

    /// [`Model::forward`] from top-level layer `start` on: `x` is what the layers before it
    /// output (the features of a frozen backbone, computed once by [`Model::features`]).
    ///
    /// # Shapes
    /// `x`: `[n, size of layer start's input]` → logits `[n, n_outputs]`.
    pub fn forward_from(
        &mut self,
        x: Buf<F>,
        start: usize,
        train: bool,
    ) -> Result<ArrayView2<'_, F>> {
        let want = self.input_sizes[start];
        if x.cols() != want {
            return Err(Error::Shape(format!(
                "input has {} features, the model expects {want}",
                x.cols(),
            )));
        }
        let mut out = x;
        for layer in &mut self.layers[start..] {
            let mode = if train {
                Mode::Train(&mut self.dropout_rng)
            } else {
                Mode::Eval
            };
            out = layer.forward(out, mode);
        }
        self.logits = out;
        Ok(self.logits.view())
    }

    /// The output of the top-level layers before `end`, in eval mode: a frozen backbone's
    /// features (see `ModelSpec::frozen_backbone`), in the storage handed in.
    ///
    /// # Shapes
    /// `x`: `[n, n_inputs]` → `[n, size of layer end's input]`.
    pub fn features(&mut self, x: Buf<F>, end: usize) -> Buf<F> {
        let mut out = x;
        for layer in &mut self.layers[..end] {
            out = layer.forward(out, Mode::Eval);
        }
        out
    }

    /// [`Model::forward`] on a borrowed batch (copied into recycled storage first).
    ///
    /// # Shapes
    /// `x`: `[n, n_inputs]` → logits `[n, n_outputs]`.
    pub fn forward_view(&mut self, x: ArrayView2<'_, F>, train: bool) -> Result<ArrayView2<'_, F>> {
        let mut buf = self.recycle();
        buf.resize(x.nrows(), x.ncols());
        crate::ops::map_into(buf.as_mut_slice(), x, |v| v);
        self.forward(buf, train)
    }

    /// The logits of the last forward pass.
    ///
    /// # Shapes
    /// `[n, n_outputs]`.
    pub fn logits(&self) -> ArrayView2<'_, F> {
        self.logits.view()
    }

    /// The backward pass from `∂L/∂logits` (the chapter's `MLP.backward`): each layer, last
    /// first, turns the gradient of its output into the gradient of its input.
    ///
    /// # Shapes
    /// `dlogits`: `[n, n_outputs]`, the batch of the last forward pass.
    pub fn backward(&mut self, dlogits: ArrayView2<'_, F>) {
        // `reborrow`: a view's lifetime is invariant; this one must shrink to the layers'.
        let mut grad = dlogits.reborrow();
        let first = self.first_trained_layer;
        // Layers before the first trained one (the input side of a frozen feature extractor)
        // need no gradient at all, and nothing upstream wants that layer's input gradient:
        // it returns `None` and the pass ends there.
        for (i, layer) in self.layers.iter_mut().enumerate().skip(first).rev() {
            let Some(dx) = layer.backward(grad, i > first) else {
                break;
            };
            grad = dx;
        }
    }

    /// Calls `f` on every parameter with its gradient, writable, in [`Model::param_names`]
    /// order.
    pub fn visit_params_mut(&mut self, mut f: impl FnMut(ParamMut<'_, F>)) {
        for layer in &mut self.layers {
            layer.visit_params_mut(&mut f);
        }
    }

    /// The parameters the optimizer updates (those not frozen), in order: the chapter's
    /// `model.parameters()`, handed to [`crate::optim::Optimizer::step`].
    pub fn trainable_params_mut(&mut self) -> TrainableParams<'_, F> {
        TrainableParams { model: self }
    }

    /// Names and shapes of the trained parameters, in order (the optimizer's state follows them).
    pub fn trainable_names_and_shapes(&self) -> (Vec<String>, Vec<Vec<usize>>) {
        let kept = |i: &usize| self.trainable[*i];
        let idx: Vec<usize> = (0..self.names.len()).filter(kept).collect();
        (
            idx.iter().map(|&i| self.names[i].clone()).collect(),
            idx.iter().map(|&i| self.shapes[i].clone()).collect(),
        )
    }

    /// Every parameter as `(name, value, gradient)`, in order.
    pub fn params(&self) -> impl Iterator<Item = (&str, &[F], &[F])> + '_ {
        let pairs = self.layers.iter().flat_map(|l| l.params());
        self.names
            .iter()
            .map(String::as_str)
            .zip(pairs)
            .map(|(n, Param { value, grad })| (n, value, grad))
    }

    /// A parameter by name, in its PyTorch shape.
    pub fn param(&self, name: &str) -> Option<ArrayViewD<'_, F>> {
        let i = self.names.iter().position(|n| n == name)?;
        let (_, v, _) = self.params().nth(i)?;
        ArrayViewD::from_shape(IxDyn(&self.shapes[i]), v).ok()
    }

    /// The gradient of a parameter by name (from the last backward pass), in its shape. A
    /// frozen parameter's gradient is not computed: it reads zero, or what it was before it
    /// was frozen.
    pub fn grad(&self, name: &str) -> Option<ArrayViewD<'_, F>> {
        let i = self.names.iter().position(|n| n == name)?;
        let (_, _, g) = self.params().nth(i)?;
        ArrayViewD::from_shape(IxDyn(&self.shapes[i]), g).ok()
    }

    /// `(name, ‖∂L/∂p‖₂)` for every trained parameter (the chapter's debugging checklist).
    pub fn grad_norms(&self) -> Vec<(String, f64)> {
        let norm = |g: &[F]| {
            g.iter()
                .map(|&x| x.as_f64() * x.as_f64())
                .sum::<f64>()
                .sqrt()
        };
        self.params()
            .zip(&self.trainable)
            .filter(|(_, &t)| t)
            .map(|((n, _, g), _)| (n.to_string(), norm(g)))
            .collect()
    }

    /// Sets element `j` of parameter `pi` (in [`Model::param_names`] order) to `v` and returns
    /// the old value (a gradient check moves one element at a time).
    pub fn replace_param_element(&mut self, pi: usize, j: usize, v: F) -> F {
        let mut old = None;
        let mut i = 0;
        self.visit_params_mut(|p| {
            if i == pi {
                old = Some(std::mem::replace(&mut p.value[j], v));
            }
            i += 1;
        });
        old.expect("parameter index from param_names()")
    }
}

/// The trained parameters of a model, for the optimizer to visit (see [`Parameters`]).
#[derive(Debug)]
pub struct TrainableParams<'a, F: Float> {
    model: &'a mut Model<F>,
}

impl<F: Float> Parameters<F> for TrainableParams<'_, F> {
    fn visit_mut(&mut self, f: &mut dyn FnMut(ParamMut<'_, F>)) {
        let Model {
            layers, trainable, ..
        } = &mut *self.model;
        let mut trained = trainable.iter();
        for layer in layers {
            layer.visit_params_mut(&mut |p| {
                if trained.next() == Some(&true) {
                    f(p);
                }
            });
        }
    }
}
