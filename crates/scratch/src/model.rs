//! The network as a composition of layers (the chapter's `model.MLP`; `nn.Sequential`):
//! forward runs the layers in order, backward runs them in reverse, and the parameters are
//! reachable by their PyTorch `state_dict` names (`net.{i}.weight`, `net.{i}.bias`, where `i`
//! counts every layer of the spec, activations and dropout included).

use common::seed::Rng;
use common::spec::ModelSpec;
use common::tensor::{find, NamedTensors};
use common::{Error, Result};
use ndarray::{ArrayView2, ArrayViewD, IxDyn};
use rand::SeedableRng;

use crate::float::Float;
use crate::layers::{Layer, ParamMut};
use crate::ops::Buf;

/// A sequential network built from a [`ModelSpec`], with its batch buffers.
#[derive(Debug, Clone)]
pub struct Model<F: Float> {
    spec: ModelSpec,
    layers: Vec<Layer<F>>,
    /// `state_dict` names of the parameters, in order (weight before bias, layer by layer).
    names: Vec<String>,
    /// PyTorch shapes of the parameters, in the same order.
    shapes: Vec<Vec<usize>>,
    /// The current batch: the cache of the first layer's input.
    input: Buf<F>,
    /// Dropout masks are drawn from here (reseeded every epoch by the backend).
    rng: Rng,
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
        let (mut layers, mut names, mut shapes) = (Vec::new(), Vec::new(), Vec::new());
        let mut shape = spec.input_shape.clone();
        for (i, ls) in spec.layers.iter().enumerate() {
            let (layer, out) = Layer::new(ls, &shape).map_err(|e| {
                Error::Shape(format!(
                    "net.{i}: {}",
                    e.to_string().trim_start_matches("shape mismatch: ")
                ))
            })?;
            if let Some([w, b]) = layer.param_shapes() {
                names.extend([format!("net.{i}.weight"), format!("net.{i}.bias")]);
                shapes.extend([w, b]);
            }
            layers.push(layer);
            shape = out;
        }
        if shape != [spec.n_outputs()] {
            let msg = format!(
                "the network ends in per-example shape {shape:?}, the head needs [{}]",
                spec.n_outputs()
            );
            return Err(Error::Shape(msg));
        }
        let rng = Rng::seed_from_u64(0);
        Ok(Model {
            spec: spec.clone(),
            layers,
            names,
            shapes,
            input: Buf::new(),
            rng,
        })
    }

    /// The spec the model was built from.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }
    /// The layers, in order.
    pub fn layers(&self) -> &[Layer<F>] {
        &self.layers
    }
    /// The layers, in order, writable (gradient checks perturb single layers).
    pub fn layers_mut(&mut self) -> &mut [Layer<F>] {
        &mut self.layers
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
        self.rng = Rng::seed_from_u64(seed);
    }

    /// The input buffer resized to `n` examples, to be filled in place (the backend gathers
    /// a minibatch straight into it).
    ///
    /// # Shapes
    /// `[n · n_inputs]`, row-major.
    pub fn input_mut(&mut self, n: usize) -> &mut [F] {
        self.input.resize(n, self.n_inputs());
        self.input.as_mut_slice()
    }

    /// Forward pass of `x` (copied into the input buffer); train mode applies dropout.
    ///
    /// # Shapes
    /// `x`: `[n, n_inputs]` → logits `[n, n_outputs]`.
    pub fn forward(&mut self, x: ArrayView2<'_, F>, train: bool) -> Result<ArrayView2<'_, F>> {
        if x.ncols() != self.n_inputs() {
            return Err(Error::Shape(format!(
                "input has {} features, the model expects {}",
                x.ncols(),
                self.n_inputs()
            )));
        }
        crate::ops::map_into(self.input_mut(x.nrows()), x, |v| v);
        Ok(self.forward_input(train))
    }

    /// Forward pass of the batch already in the input buffer ([`Model::input_mut`]).
    ///
    /// # Shapes
    /// Logits `[n, n_outputs]`.
    pub fn forward_input(&mut self, train: bool) -> ArrayView2<'_, F> {
        let Model {
            layers, input, rng, ..
        } = self;
        for i in 0..layers.len() {
            let (done, rest) = layers.split_at_mut(i);
            let x = done.last().map_or_else(|| input.view(), Layer::output);
            rest[0].forward(x, train, rng);
        }
        self.logits()
    }

    /// The logits of the last forward pass.
    ///
    /// # Shapes
    /// `[n, n_outputs]`.
    pub fn logits(&self) -> ArrayView2<'_, F> {
        self.layers
            .last()
            .expect("a spec has at least its output layer")
            .output()
    }

    /// Backward pass from `∂L/∂logits`, last layer first; each layer reads its forward input
    /// from the layer before it (or the input buffer), and the first layer skips `∂L/∂x`.
    ///
    /// # Shapes
    /// `dlogits`: `[n, n_outputs]`, the batch of the last forward pass.
    pub fn backward(&mut self, dlogits: ArrayView2<'_, F>) {
        let Model { layers, input, .. } = self;
        for i in (0..layers.len()).rev() {
            let (before, rest) = layers.split_at_mut(i);
            let (layer, after) = rest.split_first_mut().expect("i < len");
            let x = before.last().map_or_else(|| input.view(), Layer::output);
            // `dlogits.view()` reborrows: views are invariant in their lifetime.
            let dy = match after.first() {
                Some(next) => next.grad_input(),
                None => dlogits.view(),
            };
            layer.backward(x, dy, i > 0);
        }
    }

    /// Every parameter with its gradient, in [`Model::param_names`] order.
    pub fn params_mut(&mut self) -> impl Iterator<Item = ParamMut<'_, F>> + '_ {
        self.layers
            .iter_mut()
            .filter_map(Layer::params_mut)
            .flatten()
    }

    /// Every parameter as `(name, value, gradient)`, in order.
    pub fn params(&self) -> impl Iterator<Item = (&str, &[F], &[F])> + '_ {
        let pairs = self.layers.iter().filter_map(Layer::params).flatten();
        self.names
            .iter()
            .map(String::as_str)
            .zip(pairs)
            .map(|(n, (v, g))| (n, v, g))
    }

    /// A parameter by name, in its PyTorch shape.
    pub fn param(&self, name: &str) -> Option<ArrayViewD<'_, F>> {
        let i = self.names.iter().position(|n| n == name)?;
        let (_, v, _) = self.params().nth(i)?;
        ArrayViewD::from_shape(IxDyn(&self.shapes[i]), v).ok()
    }

    /// The gradient of a parameter by name (from the last backward pass), in its shape.
    pub fn grad(&self, name: &str) -> Option<ArrayViewD<'_, F>> {
        let i = self.names.iter().position(|n| n == name)?;
        let (_, _, g) = self.params().nth(i)?;
        ArrayViewD::from_shape(IxDyn(&self.shapes[i]), g).ok()
    }

    /// `(name, ‖∂L/∂p‖₂)` for every parameter (the chapter's debugging checklist).
    pub fn grad_norms(&self) -> Vec<(String, f64)> {
        let norm = |g: &[F]| {
            g.iter()
                .map(|&x| x.as_f64() * x.as_f64())
                .sum::<f64>()
                .sqrt()
        };
        self.params()
            .map(|(n, _, g)| (n.to_string(), norm(g)))
            .collect()
    }

    /// The parameters as host tensors, `state_dict` names and shapes.
    pub fn export(&self) -> NamedTensors {
        let shapes = self.shapes.iter();
        self.params()
            .zip(shapes)
            .map(|((n, v, _), s)| (n.to_string(), F::host(s.clone(), v.to_vec())))
            .collect()
    }

    /// Loads parameters by name. With `required`, a missing tensor is an error; a tensor of
    /// the wrong shape always is (naming it and both shapes). Other names are ignored.
    pub fn load(&mut self, tensors: &NamedTensors, required: bool) -> Result<()> {
        // Check every tensor before writing any, so a bad file leaves the model untouched.
        let mut values = Vec::with_capacity(self.names.len());
        for (name, shape) in self.names.iter().zip(&self.shapes) {
            values.push(match find(tensors, name) {
                Some(t) => Some(checked::<F>(name, shape, t)?),
                None if required => {
                    return Err(Error::Shape(format!(
                        "tensor '{name}' (shape {shape:?}) is missing"
                    )));
                }
                None => None,
            });
        }
        for (p, v) in self.params_mut().zip(values) {
            if let Some(v) = v {
                p.value.copy_from_slice(&v);
            }
        }
        Ok(())
    }
}

/// The elements of `t` in precision `F`, if its shape is `shape` (the error names `name`).
pub(crate) fn checked<F: Float>(
    name: &str,
    shape: &[usize],
    t: &common::tensor::HostTensor,
) -> Result<Vec<F>> {
    if t.shape != shape || t.len() != shape.iter().product::<usize>() {
        let msg = format!(
            "tensor '{name}': expected shape {shape:?}, got {:?} ({} elements)",
            t.shape,
            t.len()
        );
        return Err(Error::Shape(msg));
    }
    Ok(F::from_host(t))
}
