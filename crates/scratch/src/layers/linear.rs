//! `Linear` (the chapter's `layers.Linear`): `y = x·Wᵀ + b` with the weight stored `[out, in]`
//! as PyTorch stores it (the chapter stores `W` as `[in, out]` and computes `X @ W`; same
//! numbers, transposed). Backward: `dW = dYᵀ·X`, `db = Σ_batch dY`, `dX = dY·W` (each only
//! when needed: a frozen parameter gets no gradient, the lowest trained layer no `dX`).

use ndarray::{Array1, Array2, ArrayView2};

use super::layer::{visit_weight_and_bias_mut, weight_and_bias, Layer, Mode, Param, ParamMut};
use crate::float::Float;
use crate::ops::{bias_grad, input_grad, linear_forward, weight_grad, Buf, Workspace};

/// A fully connected layer with its gradients and its cache.
#[derive(Debug, Clone)]
pub struct Linear<F: Float> {
    /// `[out, in]`.
    pub weight: Array2<F>,
    /// `[out]`.
    pub bias: Array1<F>,
    /// `∂L/∂W` of the last backward pass, `[out, in]`.
    pub dweight: Array2<F>,
    /// `∂L/∂b` of the last backward pass, `[out]`.
    pub dbias: Array1<F>,
    /// Whether weight and bias are frozen (their gradients are then not computed).
    frozen: [bool; 2],
    /// The input of the last forward pass, `[n, in]` (the chapter's `cache_X`).
    cache_x: Buf<F>,
    /// `∂L/∂x` of the last backward pass, `[n, in]`.
    dx: Buf<F>,
    work: Workspace<F>,
}

impl<F: Float> Linear<F> {
    /// A layer with zero weights and bias (the model loads the initial values).
    pub fn new(inputs: usize, outputs: usize) -> Self {
        Linear {
            weight: Array2::zeros((outputs, inputs)),
            bias: Array1::zeros(outputs),
            dweight: Array2::zeros((outputs, inputs)),
            dbias: Array1::zeros(outputs),
            frozen: [false; 2],
            cache_x: Buf::new(),
            dx: Buf::new(),
            work: Workspace::new(),
        }
    }
    /// Input features.
    pub fn inputs(&self) -> usize {
        self.weight.ncols()
    }
    /// Output features.
    pub fn outputs(&self) -> usize {
        self.weight.nrows()
    }
}

impl<F: Float> Layer<F> for Linear<F> {
    /// `cache_X = X`; `Y = X·Wᵀ + b`.
    fn forward(&mut self, x: Buf<F>, _: Mode<'_>) -> Buf<F> {
        // The input becomes the cache; the old cache's storage receives the output.
        let mut y = std::mem::replace(&mut self.cache_x, x);
        let bias = self.bias.as_slice().expect("owned bias is contiguous");
        linear_forward(
            self.cache_x.view(),
            self.weight.view(),
            bias,
            &mut y,
            &mut self.work,
        );
        y
    }

    /// `dW = dYᵀ·X` and `db = Σ dY` for whichever of them is not frozen, and `dX = dY·W`
    /// when `need_dx`. A frozen parameter's gradient is not computed: it keeps its last value
    /// (zero if it was frozen from the start), and the optimizer never reads it.
    fn backward<'a>(
        &'a mut self,
        dy: ArrayView2<'a, F>,
        need_dx: bool,
    ) -> Option<ArrayView2<'a, F>> {
        let [weight_frozen, bias_frozen] = self.frozen;
        if !weight_frozen {
            let x = self.cache_x.view();
            weight_grad(dy, x, self.dweight.view_mut(), &mut self.work);
        }
        if !bias_frozen {
            let db = self.dbias.as_slice_mut().expect("owned bias is contiguous");
            bias_grad(dy, db);
        }
        if !need_dx {
            return None;
        }
        input_grad(dy, self.weight.view(), &mut self.dx);
        Some(self.dx.view())
    }

    fn params(&self) -> Vec<Param<'_, F>> {
        weight_and_bias(&self.weight, &self.bias, &self.dweight, &self.dbias)
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(ParamMut<'_, F>)) {
        let (w, b) = (&mut self.weight, &mut self.bias);
        visit_weight_and_bias_mut(w, b, &self.dweight, &self.dbias, f);
    }
    fn set_frozen(&mut self, frozen: &[bool]) {
        self.frozen = [frozen[0], frozen[1]];
    }
    fn param_shapes(&self) -> Vec<Vec<usize>> {
        vec![vec![self.outputs(), self.inputs()], vec![self.outputs()]]
    }
}
