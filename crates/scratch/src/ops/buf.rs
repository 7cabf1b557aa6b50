//! [`Buf`]: the reusable matrix buffer behind every layer's cache, output and gradient, and
//! [`Workspace`], the kernels' room for a transposed operand, so that the step's own code
//! allocates nothing once the largest batch has been seen (see `layers/mod.rs` for what still
//! does, underneath, and the test that counts).

use ndarray::{ArrayView2, ArrayViewMut2};

use crate::float::Float;

/// A row-major `[rows, cols]` matrix whose storage only ever grows: resizing to a smaller
/// batch (the last one of an epoch, an eval chunk) and back costs no allocation.
#[derive(Debug, Clone, Default)]
pub struct Buf<F> {
    data: Vec<F>,
    rows: usize,
    cols: usize,
}

impl<F: Float> Buf<F> {
    /// An empty `[0, 0]` buffer.
    pub fn new() -> Self {
        Buf {
            data: Vec::new(),
            rows: 0,
            cols: 0,
        }
    }
    /// Sets the logical shape; the contents are unspecified until written.
    ///
    /// # Shapes
    /// Afterwards `view()` is `[rows, cols]`.
    pub fn resize(&mut self, rows: usize, cols: usize) {
        let len = rows * cols;
        if self.data.len() < len {
            self.data.resize(len, F::zero());
        }
        self.rows = rows;
        self.cols = cols;
    }
    /// A buffer holding a copy of `x` (a batch handed to [`crate::Model::forward`]).
    ///
    /// # Shapes
    /// `x`: `[rows, cols]`.
    pub fn from_view(x: ArrayView2<'_, F>) -> Self {
        let mut buf = Buf::new();
        buf.resize(x.nrows(), x.ncols());
        super::elementwise::map_into(buf.as_mut_slice(), x, |v| v);
        buf
    }
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// The `rows·cols` elements, row-major.
    pub fn as_slice(&self) -> &[F] {
        &self.data[..self.rows * self.cols]
    }
    /// The `rows·cols` elements, row-major, writable.
    pub fn as_mut_slice(&mut self) -> &mut [F] {
        &mut self.data[..self.rows * self.cols]
    }
    /// The matrix as an ndarray view.
    ///
    /// # Shapes
    /// `[rows, cols]`.
    pub fn view(&self) -> ArrayView2<'_, F> {
        ArrayView2::from_shape((self.rows, self.cols), self.as_slice()).expect("len = rows·cols")
    }
    /// The matrix as a writable ndarray view.
    ///
    /// # Shapes
    /// `[rows, cols]`.
    pub fn view_mut(&mut self) -> ArrayViewMut2<'_, F> {
        let (r, c) = (self.rows, self.cols);
        ArrayViewMut2::from_shape((r, c), self.as_mut_slice()).expect("len = rows·cols")
    }
}

/// Room for a transposed operand that the small-product kernels need when one dimension is
/// tiny (see [`super::products::matmul_nt`]): kept by the layer between steps so that the kernel
/// allocates only the first time.
#[derive(Debug, Clone, Default)]
pub struct Workspace<F>(pub(super) Vec<F>);

impl<F> Workspace<F> {
    /// An empty workspace (it grows on first use).
    pub fn new() -> Self {
        Workspace(Vec::new())
    }
}
