//! `Linear` (the chapter's `layers.Linear`): `y = x·Wᵀ + b` with the weight stored `[out, in]`
//! as PyTorch stores it (the chapter stores `W` as `[in, out]` and computes `X @ W`; same
//! numbers, transposed). Backward: `dW = dYᵀ·X`, `db = Σ_batch dY`, `dX = dY·W`.

use ndarray::{Array1, Array2, ArrayView2};

use crate::float::Float;
use crate::ops::{col_sums, matmul_nn, matmul_nt, matmul_tn, Buf};

/// A fully connected layer with its gradients and buffers.
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
    out: Buf<F>,
    dx: Buf<F>,
    scratch: Vec<F>,
}

impl<F: Float> Linear<F> {
    /// A layer with zero weights and bias (the model loads the initial values).
    pub fn new(inputs: usize, outputs: usize) -> Self {
        Linear {
            weight: Array2::zeros((outputs, inputs)),
            bias: Array1::zeros(outputs),
            dweight: Array2::zeros((outputs, inputs)),
            dbias: Array1::zeros(outputs),
            out: Buf::new(),
            dx: Buf::new(),
            scratch: Vec::new(),
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

    /// `y = x·Wᵀ + b`.
    ///
    /// # Shapes
    /// `x`: `[n, in]` → `[n, out]`.
    pub fn forward(&mut self, x: ArrayView2<'_, F>) -> ArrayView2<'_, F> {
        self.out.resize(x.nrows(), self.outputs());
        let bias = self.bias.as_slice().expect("owned bias is contiguous");
        matmul_nt(
            x,
            self.weight.view(),
            Some(bias),
            self.out.view_mut(),
            &mut self.scratch,
        );
        self.out.view()
    }

    /// `dW = dYᵀ·X`, `db = Σ dY` and, when `need_dx`, `dX = dY·W`. `x` is the forward input.
    ///
    /// # Shapes
    /// `x`: `[n, in]`, `dy`: `[n, out]`; [`Linear::grad_input`] is `[n, in]`.
    pub fn backward(&mut self, x: ArrayView2<'_, F>, dy: ArrayView2<'_, F>, need_dx: bool) {
        matmul_tn(dy, x, self.dweight.view_mut(), &mut self.scratch);
        col_sums(
            dy,
            self.dbias.as_slice_mut().expect("owned bias is contiguous"),
        );
        if need_dx {
            self.dx.resize(dy.nrows(), self.inputs());
            matmul_nn(dy, self.weight.view(), self.dx.view_mut());
        }
    }

    /// The output of the last forward pass, `[n, out]`.
    pub fn output(&self) -> ArrayView2<'_, F> {
        self.out.view()
    }
    /// `∂L/∂x` of the last backward pass, `[n, in]`.
    pub fn grad_input(&self) -> ArrayView2<'_, F> {
        self.dx.view()
    }
}
