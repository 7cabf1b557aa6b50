//! Checkpoints (the chapter's `save_checkpoint`/`load_checkpoint`): safetensors files with
//! PyTorch `state_dict` names and layouts (`net.0.weight` `[out, in]`, ...), readable by
//! Python's `safetensors.torch.load_file`, plus string metadata: format version, backend,
//! config (TOML), spec, class names, preprocessing and training state (JSON). Optimizer state
//! is stored as tensors named `optim.{param}.{momentum_buffer|exp_avg|exp_avg_sq}`. Writes go
//! to a temporary file in the same folder, fsynced, then renamed: never a half-written file.
//!
//! Submodules: [`atomic`] (the atomic write, also used by the history), `meta` (the metadata
//! keys) and `read` (defensive parsing: every damaged file is a clear error, never a panic).

pub mod atomic;
mod meta;
mod read;
mod weights;

pub use atomic::{write_atomic, write_atomic_all};
pub use meta::FORMAT_NAME;
pub use weights::{load_weights, WeightsFile};

use safetensors::tensor::TensorView;
use safetensors::Dtype;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

use crate::config::Config;
use crate::preprocess::Preprocessor;
use crate::spec::ModelSpec;
use crate::tensor::{find, HostTensor, NamedTensors, TensorData};
use crate::{Error, Result};

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
    /// A binary model's decision threshold on class 1's probability, chosen after training
    /// (`train.threshold`); `None` is the plain rule (`logit > 0`, argmax).
    pub threshold: Option<f64>,
}

/// A checkpoint in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// Model parameters (`net.*`) and optimizer state (`optim.*`).
    pub tensors: NamedTensors,
    /// Metadata.
    pub meta: CheckpointMeta,
}

/// Little-endian bytes of a tensor, after checking that its length matches its shape.
fn encode(name: &str, t: &HostTensor, path: &Path) -> Result<(Dtype, Vec<u8>)> {
    let expected = t
        .shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if expected != Some(t.len()) {
        let msg = format!(
            "cannot save tensor '{name}': shape {:?} does not match its {} elements",
            t.shape,
            t.len()
        );
        return Err(Error::checkpoint(path, msg));
    }
    Ok(match &t.data {
        TensorData::F32(v) => (Dtype::F32, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        TensorData::F64(v) => (Dtype::F64, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        TensorData::I64(v) => (Dtype::I64, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
    })
}

/// The file with its JSON header's keys in sorted order, so that one run's checkpoint is the
/// same file byte for byte every time: safetensors writes the metadata map in hash-map order,
/// which changes from process to process. The header keeps its length (the same compact JSON,
/// reordered), so the tensor offsets stay valid; should it not, the file is returned as it was.
fn sorted_header(mut bytes: Vec<u8>) -> Vec<u8> {
    fn sorted(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(
                    entries.into_iter().map(|(k, v)| (k, sorted(v))).collect(),
                )
            }
            other => other,
        }
    }
    let Some(len) = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
    else {
        return bytes;
    };
    let Some(end) = usize::try_from(len).ok().and_then(|n| n.checked_add(8)) else {
        return bytes;
    };
    let Some(header) = bytes.get(8..end) else {
        return bytes;
    };
    let text = String::from_utf8_lossy(header);
    let body = text.trim_end();
    let Ok(value) = serde_json::from_str::<serde_json::Value>(body) else {
        return bytes;
    };
    match serde_json::to_string(&sorted(value)) {
        Ok(new) if new.len() == body.len() => {
            bytes[8..8 + new.len()].copy_from_slice(new.as_bytes());
            bytes
        }
        _ => bytes,
    }
}

impl Checkpoint {
    /// The file's bytes: safetensors with the metadata in `__metadata__`.
    pub fn to_bytes(&self, path: &Path) -> Result<Vec<u8>> {
        let mut seen = HashSet::new();
        let mut encoded = Vec::with_capacity(self.tensors.len());
        for (name, t) in &self.tensors {
            if name == "__metadata__" || !seen.insert(name.as_str()) {
                return Err(Error::checkpoint(
                    path,
                    format!("cannot save: tensor name '{name}' is reserved or repeated"),
                ));
            }
            encoded.push((name.as_str(), t.shape.clone(), encode(name, t, path)?));
        }
        let mut views = Vec::with_capacity(encoded.len());
        for (name, shape, (dtype, bytes)) in &encoded {
            let view = TensorView::new(*dtype, shape.clone(), bytes).map_err(|e| {
                Error::checkpoint(path, format!("cannot save tensor '{name}': {e}"))
            })?;
            views.push((*name, view));
        }
        let metadata = Some(meta::to_map(&self.meta, path)?);
        safetensors::serialize(views, &metadata)
            .map(sorted_header)
            .map_err(|e| Error::checkpoint(path, format!("cannot serialize: {e}")))
    }
    /// Writes atomically to `path` (temp file + fsync + rename), creating parent folders.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_atomic(path, &self.to_bytes(path)?)
    }
    /// Reads and validates a checkpoint: not safetensors, truncated, missing or malformed
    /// metadata, a newer format version, a dtype other than F32/F64: each a clear error naming
    /// the file.
    ///
    /// The tensors come back in file order (safetensors sorts them by dtype, then name); use
    /// [`Checkpoint::model_tensors`] for spec order.
    pub fn load(path: &Path) -> Result<Checkpoint> {
        let bytes = std::fs::read(path).map_err(|e| {
            let what = if e.kind() == std::io::ErrorKind::NotFound {
                "no such file".to_string()
            } else {
                e.to_string()
            };
            Error::checkpoint(path, format!("cannot read: {what}"))
        })?;
        Self::from_bytes(&bytes, path)
    }
    /// Parses a checkpoint from its bytes (`path` only names it in errors).
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Checkpoint> {
        let (map, tensors) = read::parse(bytes, path)?;
        Ok(Checkpoint {
            tensors,
            meta: meta::from_map(&map, path)?,
        })
    }
    /// The model's tensors only (parameters and buffers: `net.*` for an MLP or CNN, all but
    /// `optim.*` for a ResNet), in spec order.
    ///
    /// Model tensors the spec does not list (see [`Checkpoint::check_against_spec`]) follow
    /// in stored order, so nothing is silently dropped.
    pub fn model_tensors(&self) -> NamedTensors {
        let spec = &self.meta.spec;
        let state = spec.state();
        let mut out: NamedTensors = state
            .iter()
            .filter_map(|(n, _)| find(&self.tensors, n).map(|t| (n.clone(), t.clone())))
            .collect();
        let listed: HashSet<&str> = state.iter().map(|(n, _)| n.as_str()).collect();
        out.extend(
            self.tensors
                .iter()
                .filter(|(n, _)| spec.claims(n) && !listed.contains(n.as_str()))
                .cloned(),
        );
        out
    }
    /// The optimizer tensors only (names starting `optim.`).
    pub fn optim_tensors(&self) -> NamedTensors {
        self.tensors
            .iter()
            .filter(|(n, _)| n.starts_with("optim."))
            .cloned()
            .collect()
    }
    /// Checks that the model tensors are exactly those of `self.meta.spec` (names and shapes);
    /// the error names the first tensor that differs.
    pub fn check_against_spec(&self, path: &Path) -> Result<()> {
        self.check_tensors_against(&self.meta.spec, path)
    }
    /// Checks that the model tensors are exactly those of `spec` (every parameter present with
    /// its shape, no other `net.*` tensor); the error names the tensor and both shapes.
    pub fn check_tensors_against(&self, spec: &ModelSpec, path: &Path) -> Result<()> {
        let state = spec.state();
        // Only described when reporting: the description is for the error message.
        let arch = || spec.describe();
        for (name, shape) in &state {
            let t = find(&self.tensors, name).ok_or_else(|| {
                let msg = format!(
                    "tensor '{name}' {shape:?} of the model {} is missing: built for another architecture",
                    arch()
                );
                Error::checkpoint(path, msg)
            })?;
            if &t.shape != shape {
                let msg = format!(
                    "tensor '{name}' has shape {:?} but the model {} needs {shape:?}: built for another architecture",
                    t.shape, arch()
                );
                return Err(Error::checkpoint(path, msg));
            }
        }
        let listed: HashSet<&str> = state.iter().map(|(n, _)| n.as_str()).collect();
        if let Some((name, t)) = self
            .tensors
            .iter()
            .find(|(n, _)| spec.claims(n) && !listed.contains(n.as_str()))
        {
            let msg = format!(
                "unknown tensor '{name}' {:?} for the model {}: built for another architecture",
                t.shape,
                arch()
            );
            return Err(Error::checkpoint(path, msg));
        }
        Ok(())
    }
}
