//! Weights to start from (`model.init_from`): one of our checkpoints, with its metadata, or any
//! safetensors file of named F32/F64 tensors, such as a PyTorch `state_dict` saved with
//! `safetensors.torch.save_file(model.state_dict(), path)`.

use std::path::Path;

use super::{meta, read, CheckpointMeta};
use crate::tensor::NamedTensors;
use crate::{Error, Result};

/// The tensors of a weights file, and its metadata when it is one of our checkpoints.
#[derive(Debug, Clone)]
pub struct WeightsFile {
    /// Every tensor of the file (model parameters, and optimizer state in a checkpoint).
    pub tensors: NamedTensors,
    /// The checkpoint's metadata (config, spec, fitted preprocessing); `None` for a file that
    /// is not a twin-nets checkpoint.
    pub meta: Option<CheckpointMeta>,
    /// The input normalization the weights were trained with, `(mean, std)` per channel in
    /// `[0, 1]` units, when the file's metadata says (`normalize` = `{"mean": […], "std":
    /// […]}`, as `scripts/export_torchvision.py` writes it); `data.image.normalize =
    /// "weights"` uses it.
    pub normalize: Option<(Vec<f64>, Vec<f64>)>,
}

/// The `normalize` metadata entry of a weights file: `{"mean": [...], "std": [...]}`.
fn parse_normalize(text: &str, path: &Path) -> Result<(Vec<f64>, Vec<f64>)> {
    #[derive(serde::Deserialize)]
    struct Norm {
        mean: Vec<f64>,
        std: Vec<f64>,
    }
    let n: Norm = serde_json::from_str(text).map_err(|e| {
        let msg = format!("metadata 'normalize' is not {{\"mean\": [...], \"std\": [...]}}: {e}");
        Error::checkpoint(path, msg)
    })?;
    Ok((n.mean, n.std))
}

/// For a shipped config's checkpoint (`checkpoints/<backend>-<stem>/…`): the command that
/// makes it, e.g. `; run `scratch train --config configs/digits_pretrain.toml` first`.
fn init_hint(path: &Path) -> String {
    let folder = path
        .parent()
        .and_then(|p| p.file_name())
        .map(|f| f.to_string_lossy());
    let Some((backend, stem)) = folder.as_deref().and_then(|f| f.split_once('-')) else {
        return String::new();
    };
    let config = Path::new("configs").join(format!("{stem}.toml"));
    if matches!(backend, "scratch" | "torch") && config.is_file() {
        format!(
            "; run `{backend} train --config {}` first",
            config.display()
        )
    } else {
        String::new()
    }
}

/// Reads a weights file; every malformation is an error naming the file (and the tensor).
pub fn load_weights(path: &Path) -> Result<WeightsFile> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::checkpoint(
            path,
            format!(
                "cannot read the weights to start from (model.init_from, relative to the current \
                 folder): {e}{}",
                init_hint(path)
            ),
        )
    })?;
    let (map, tensors) = read::parse_any(&bytes, path)?;
    let normalize = match map.as_ref().and_then(|m| m.get("normalize")) {
        Some(text) => Some(parse_normalize(text, path)?),
        None => None,
    };
    let meta = match map {
        Some(map) if map.contains_key("format") => {
            meta::check_format(&map, path)?;
            Some(meta::from_map(&map, path)?)
        }
        _ => None,
    };
    Ok(WeightsFile {
        tensors,
        meta,
        normalize,
    })
}
