//! Stratified, seeded train/val/test splits (each class is shuffled and cut by the configured
//! fractions, so every split keeps the class balance).

use serde::{Deserialize, Serialize};

use crate::config::SplitConfig;
use crate::Result;

/// Row indices of each split, each sorted ascending.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Split {
    /// Training rows.
    pub train: Vec<usize>,
    /// Validation rows.
    pub val: Vec<usize>,
    /// Test rows.
    pub test: Vec<usize>,
}

/// Splits `labels` (class indices < `n_classes`) by `fractions`, stratified, from `seed`.
/// Errors (naming `data.split`) when a split that should have rows gets none.
pub fn stratified_split(labels: &[usize], n_classes: usize, fractions: &SplitConfig, seed: u64) -> Result<Split> {
    let _ = (labels, n_classes, fractions, seed);
    todo!()
}
