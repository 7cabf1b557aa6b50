//! `Embedding` (`nn.Embedding` with `padding_idx=0`, one table per embedded column, as the
//! PyTorch model's `emb` dict): the last `k` input features of an example are row indices, and
//! each is replaced by its table's row; the `dense` features before them pass through.
//!
//! ```text
//! forward:   y = [x[:, :D] | E₁[r₁] | … | E_k[r_k]]           (a gather: no products)
//! backward:  dE_t = 0;  dE_t[r_t(i)] += dy[i, cols of table t]  (a scatter-add), row 0 excluded
//! ```
//!
//! Row 0 is the reserved row of levels unseen in training: like PyTorch's `padding_idx`, it
//! gets no gradient, so it stays at its initial zeros. The indices are not differentiable: `dX`
//! passes `dy` through to the dense features and is zero at the index features.

use ndarray::{Array2, ArrayView2};

use super::layer::{Layer, Mode, Param, ParamMut};
use crate::float::Float;
use crate::ops::Buf;

/// The embedding tables of an MLP with their gradients and the rows of the last batch.
#[derive(Debug, Clone)]
pub struct Embedding<F: Float> {
    /// Dense features before the indices.
    dense: usize,
    /// One table per index feature, `[rows, dim]`.
    pub tables: Vec<Array2<F>>,
    /// `∂L/∂E` of the last backward pass, one per table.
    pub dtables: Vec<Array2<F>>,
    frozen: Vec<bool>,
    /// The row each example read from each table in the last forward pass, `[n, k]`
    /// (the cache of the backward pass).
    cache_rows: Vec<usize>,
    /// The input of the last forward pass; its storage receives the next output.
    cache_x: Buf<F>,
    dx: Buf<F>,
}

impl<F: Float> Embedding<F> {
    /// Zero tables of `(rows, dim)` each, after `dense` pass-through features.
    pub fn new(dense: usize, tables: &[(usize, usize)]) -> Self {
        let zeros = || tables.iter().map(|&(r, d)| Array2::zeros((r, d))).collect();
        Embedding {
            dense,
            tables: zeros(),
            dtables: zeros(),
            frozen: vec![false; tables.len()],
            cache_rows: Vec::new(),
            cache_x: Buf::new(),
            dx: Buf::new(),
        }
    }
    /// Output features: the dense ones and every table's dimension.
    pub fn outputs(&self) -> usize {
        self.dense + self.tables.iter().map(|t| t.ncols()).sum::<usize>()
    }
}

impl<F: Float> Layer<F> for Embedding<F> {
    /// `y = [x_dense | E_t[r_t] …]`, keeping the rows as the cache. An index outside its table
    /// (which the preprocessing never writes) reads the reserved row 0 here, where the torch
    /// route's `F.embedding` raises an error: a forward pass has no error path.
    fn forward(&mut self, x: Buf<F>, _: Mode<'_>) -> Buf<F> {
        let (n, k, width) = (x.rows(), self.tables.len(), self.outputs());
        let mut y = std::mem::replace(&mut self.cache_x, x);
        y.resize(n, width);
        self.cache_rows.resize(n * k, 0);
        let (xs, ys) = (self.cache_x.view(), y.as_mut_slice());
        for (i, out) in ys.chunks_exact_mut(width).enumerate() {
            let row = xs.row(i);
            for (o, v) in out[..self.dense].iter_mut().zip(row.iter()) {
                *o = *v;
            }
            let mut at = self.dense;
            for (t, table) in self.tables.iter().enumerate() {
                // Rounded: the indices are exact integers, and a gradient check that nudges
                // one by ε must not move it to the row below.
                let r = row[self.dense + t].as_f64().round();
                let r = if r >= 0.0 && (r as usize) < table.nrows() {
                    r as usize
                } else {
                    0
                };
                self.cache_rows[i * k + t] = r;
                let dim = table.ncols();
                out[at..at + dim].copy_from_slice(table.row(r).as_slice().expect("row-major"));
                at += dim;
            }
        }
        y
    }

    /// `dE_t[r] = Σ_{i: r_t(i) = r} dy[i, table t's columns]` for `r ≥ 1` (row 0 is
    /// `padding_idx`: zero), and `dX = [dy_dense | 0]` when `need_dx`.
    fn backward<'a>(
        &'a mut self,
        dy: ArrayView2<'a, F>,
        need_dx: bool,
    ) -> Option<ArrayView2<'a, F>> {
        let k = self.tables.len();
        let mut at = self.dense;
        for (t, dtable) in self.dtables.iter_mut().enumerate() {
            let dim = dtable.ncols();
            if !self.frozen[t] {
                dtable.fill(F::zero());
                for (i, g) in dy.rows().into_iter().enumerate() {
                    let r = self.cache_rows[i * k + t];
                    if r == 0 {
                        continue;
                    }
                    let mut dst = dtable.row_mut(r);
                    for (d, v) in dst.iter_mut().zip(g.iter().skip(at).take(dim)) {
                        *d += *v;
                    }
                }
            }
            at += dim;
        }
        if !need_dx {
            return None;
        }
        let (n, cols) = (dy.nrows(), self.dense + k);
        self.dx.resize(n, cols);
        let mut dx = self.dx.view_mut();
        dx.fill(F::zero());
        dx.slice_mut(ndarray::s![.., ..self.dense])
            .assign(&dy.slice(ndarray::s![.., ..self.dense]));
        Some(self.dx.view())
    }

    fn params(&self) -> Vec<Param<'_, F>> {
        let msg = "owned tables are contiguous";
        self.tables
            .iter()
            .zip(&self.dtables)
            .map(|(t, g)| Param {
                value: t.as_slice().expect(msg),
                grad: g.as_slice().expect(msg),
            })
            .collect()
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(ParamMut<'_, F>)) {
        let msg = "owned tables are contiguous";
        for (t, g) in self.tables.iter_mut().zip(&self.dtables) {
            f(ParamMut {
                value: t.as_slice_mut().expect(msg),
                grad: g.as_slice().expect(msg),
            });
        }
    }
    fn set_frozen(&mut self, frozen: &[bool]) {
        self.frozen = frozen.to_vec();
    }
    fn param_shapes(&self) -> Vec<Vec<usize>> {
        self.tables
            .iter()
            .map(|t| vec![t.nrows(), t.ncols()])
            .collect()
    }
}
