//! The four kernels of a Linear layer, named for what they compute, over the products of
//! `ops` (which pick a loop kernel or a GEMM by size).

use ndarray::ArrayView2;

use super::buf::{Buf, Workspace};
use super::products::{col_sums, matmul_nn, matmul_nt, matmul_tn};
use crate::float::Float;

/// `y = x·Wᵀ + b`, the Linear forward pass (weight stored `[out, in]`, as PyTorch).
///
/// # Shapes
/// `x`: `[n, in]`, `w`: `[out, in]`, `b`: `[out]` → `y`: `[n, out]` (resized).
pub fn linear_forward<F: Float>(
    x: ArrayView2<'_, F>,
    w: ArrayView2<'_, F>,
    b: &[F],
    y: &mut Buf<F>,
    work: &mut Workspace<F>,
) {
    y.resize(x.nrows(), w.nrows());
    matmul_nt(x, w, Some(b), y.view_mut(), work);
}

/// `dW = dYᵀ·X`, the gradient of a Linear layer's weight.
///
/// # Shapes
/// `dy`: `[n, out]`, `x`: `[n, in]` → `dw`: `[out, in]`.
pub fn weight_grad<F: Float>(
    dy: ArrayView2<'_, F>,
    x: ArrayView2<'_, F>,
    dw: ndarray::ArrayViewMut2<'_, F>,
    work: &mut Workspace<F>,
) {
    matmul_tn(dy, x, dw, work);
}

/// `db = Σ_batch dY`, the gradient of a Linear layer's bias.
///
/// # Shapes
/// `dy`: `[n, out]` → `db`: `[out]`.
pub fn bias_grad<F: Float>(dy: ArrayView2<'_, F>, db: &mut [F]) {
    col_sums(dy, db);
}

/// `dX = dY·W`, the gradient of a Linear layer's input.
///
/// # Shapes
/// `dy`: `[n, out]`, `w`: `[out, in]` → `dx`: `[n, in]` (resized).
pub fn input_grad<F: Float>(dy: ArrayView2<'_, F>, w: ArrayView2<'_, F>, dx: &mut Buf<F>) {
    dx.resize(dy.nrows(), w.ncols());
    matmul_nn(dy, w, dx.view_mut());
}
