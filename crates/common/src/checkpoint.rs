//! Checkpoints (the chapter's `save_checkpoint`/`load_checkpoint`): safetensors files with
//! PyTorch `state_dict` names and layouts (`net.0.weight` `[out, in]`, ...), readable by
//! Python's `safetensors.torch.load_file`, plus string metadata: format version, backend,
//! config (TOML), spec, class names, preprocessing and training state (JSON). Optimizer state
//! is stored as tensors named `optim.{param}.{momentum_buffer|exp_avg|exp_avg_sq}`. Writes go
//! to a temporary file in the same folder, fsynced, then renamed: never a half-written file.

use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::config::Config;
use crate::preprocess::Preprocessor;
use crate::spec::ModelSpec;
use crate::tensor::NamedTensors;
use crate::Result;

/// The checkpoint format version this build writes and reads (newer versions are refused).
pub const FORMAT_VERSION: u32 = 1;

/// Loop state needed to resume exactly (RNG streams are derived from seed and epoch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TrainState {
    /// Last completed epoch (1-based).
    pub epoch: usize,
    /// Optimizer steps taken so far (Adam's bias correction).
    pub optim_step: u64,
    /// Learning rate for the next epoch.
    pub lr: f64,
    /// Best monitored value so far.
    pub best_value: Option<f64>,
    /// Epoch of the best value.
    pub best_epoch: usize,
    /// Epochs since the last improvement (early stopping).
    pub bad_epochs: usize,
    /// Plateau scheduler: its best value and bad-epoch counter.
    pub plateau_best: Option<f64>,
    /// Plateau scheduler: epochs since its last improvement.
    pub plateau_bad: usize,
}

/// Everything in a checkpoint besides the tensors.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointMeta {
    /// Format version ([`FORMAT_VERSION`] when written by this build).
    pub format_version: u32,
    /// `scratch` or `torch`.
    pub backend: String,
    /// `best` or `last`.
    pub kind: String,
    /// The resolved config.
    pub config: Config,
    /// The model spec the tensors belong to.
    pub spec: ModelSpec,
    /// The fitted preprocessing (includes class names).
    pub preprocessing: Preprocessor,
    /// Monitored metric name and value at this epoch.
    pub monitor: String,
    /// Its value.
    pub monitor_value: f64,
    /// Loop state for `--resume`.
    pub train_state: TrainState,
}

/// A checkpoint in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// Model parameters (`net.*`) and optimizer state (`optim.*`).
    pub tensors: NamedTensors,
    /// Metadata.
    pub meta: CheckpointMeta,
}

impl Checkpoint {
    /// Writes atomically to `path` (temp file + fsync + rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let _ = path;
        todo!()
    }
    /// Reads and validates a checkpoint: not safetensors, truncated, missing or malformed
    /// metadata, a newer format version, a dtype other than F32/F64: each a clear error naming
    /// the file.
    pub fn load(path: &Path) -> Result<Checkpoint> {
        let _ = path;
        todo!()
    }
    /// The model parameters only (names starting `net.`), in spec order.
    pub fn model_tensors(&self) -> NamedTensors {
        todo!()
    }
    /// The optimizer tensors only (names starting `optim.`).
    pub fn optim_tensors(&self) -> NamedTensors {
        todo!()
    }
    /// Checks that the model tensors are exactly those of `self.meta.spec` (names and shapes);
    /// the error names the first tensor that differs.
    pub fn check_against_spec(&self, path: &Path) -> Result<()> {
        let _ = path;
        todo!()
    }
}
