//! Embedding tables in the spec: an MLP on a table may read some categorical columns through
//! `nn.Embedding` lookups instead of one-hot features (`model.embeddings`). The preprocessing
//! writes those columns as row indices at the end of each example (`0` = a level unseen in
//! training, `1..=L` the training levels in sorted order), and the [`LayerSpec::Embed`] module
//! replaces each index by its table's row:
//!
//! ```text
//! x = [dense features (D) | index₁ … index_k]  →  [dense features | E₁[index₁] | … | E_k[index_k]]
//! ```
//!
//! The module is named `emb` and the MLP after it `net`, as in the PyTorch model
//!
//! ```python
//! self.emb = nn.ModuleDict({key: nn.Embedding(rows, dim, padding_idx=0) for ...})
//! self.net = nn.Sequential(...)
//! ```
//!
//! so the state-dict names are `emb.<key>.weight`, `net.0.weight`, … and Python loads them.
//! Row 0 is PyTorch's `padding_idx`: zeros, and never trained (its gradient is zero), so an
//! unseen level adds nothing to the first Linear layer.

use serde::{Deserialize, Serialize};

use super::{LayerSpec, ModelSpec};
use crate::{Error, Result};

/// One embedding table: the module `key` of the `emb` dict, `rows = levels + 1` rows (row 0
/// reserved for unseen levels) of `dim` values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedTable {
    /// The module's name in `emb` (the column's name made a valid PyTorch module name).
    pub key: String,
    /// Rows: the training levels plus the reserved row 0.
    pub rows: usize,
    /// Values per row.
    pub dim: usize,
}

/// The row an unseen (or all-missing) level reads: PyTorch's `padding_idx`.
pub const UNSEEN_ROW: usize = 0;

impl ModelSpec {
    /// The MLP's tables, when its first module is an [`LayerSpec::Embed`] (and the model has no
    /// explicit module names): `(dense features, tables)`.
    pub fn embeddings(&self) -> Option<(usize, &[EmbedTable])> {
        match self.layers.first() {
            Some(LayerSpec::Embed { dense, tables }) if self.names.is_empty() => {
                Some((*dense, tables))
            }
            _ => None,
        }
    }

    /// Prepends the embedding module to an MLP spec built for `dense + tables.len()` input
    /// features (indices last), widening its first Linear layer to `dense + Σ dim`.
    pub(super) fn add_embeddings(&mut self, tables: Vec<EmbedTable>) -> Result<()> {
        let n = self.input_shape.iter().product::<usize>();
        let dense = n.checked_sub(tables.len()).ok_or_else(|| {
            Error::config(
                "model.embeddings",
                format!("{} tables for {n} input features", tables.len()),
            )
        })?;
        let widths = tables.iter().fold(dense, |a, t| a.saturating_add(t.dim));
        match self.layers.first_mut() {
            Some(LayerSpec::Linear { inputs, .. }) if self.names.is_empty() => {
                // Saturating: `validate` then refuses an absurd width by name.
                *inputs = widths;
            }
            _ => {
                let msg = "embeddings need model.kind = \"mlp\"";
                return Err(Error::config("model.embeddings", msg));
            }
        }
        self.layers.insert(0, LayerSpec::Embed { dense, tables });
        Ok(())
    }
}

/// The output width of an embedding module for `n` input features, or `None` when `dense`
/// plus one index per table is not `n`, a table has no row or dimension, or the width
/// overflows.
pub(super) fn embed_width(dense: usize, tables: &[EmbedTable], n: usize) -> Option<usize> {
    if dense.checked_add(tables.len())? != n || tables.iter().any(|t| t.rows == 0 || t.dim == 0) {
        return None;
    }
    tables
        .iter()
        .try_fold(dense, |acc, t| acc.checked_add(t.dim))
}

/// The parameters of an embedding module's tables (`Σ rows · dim`), `None` on overflow.
pub(super) fn embed_params(tables: &[EmbedTable]) -> Option<usize> {
    tables
        .iter()
        .try_fold(0usize, |acc, t| acc.checked_add(t.rows.checked_mul(t.dim)?))
}
