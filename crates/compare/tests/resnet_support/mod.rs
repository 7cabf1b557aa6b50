//! What the torchvision tests share: the project's Python, `scripts/resnet_reference.py`, a
//! safetensors writer for inputs and weights, and the comparison of two tensors.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use common::tensor::{HostTensor, NamedTensors, TensorData};
use safetensors::tensor::{Dtype, TensorView};

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The project's Python (`.venv`, or `TWIN_NETS_VENV`), with torch and torchvision.
pub fn python() -> PathBuf {
    let venv =
        std::env::var_os("TWIN_NETS_VENV").map_or_else(|| workspace().join(".venv"), PathBuf::from);
    let py = venv.join("bin/python");
    assert!(
        py.is_file(),
        "{} not found: the torchvision tests need the project's virtual environment; run \
         `source scripts/libtorch.sh` (or `make setup`) first",
        py.display()
    );
    py
}

/// Runs `scripts/<script>` with `args`; panics with its stderr unless it exits 0.
pub fn script(script: &str, args: &[&str]) -> String {
    let out = Command::new(python())
        .arg(workspace().join("scripts").join(script))
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} {args:?}: {err}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Writes `tensors` as a safetensors file (no metadata), as PyTorch's `save_file` would.
pub fn write_safetensors(path: &Path, tensors: &NamedTensors) {
    let bytes: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(n, t)| {
            let (dtype, data): (Dtype, Vec<u8>) = match &t.data {
                TensorData::F32(v) => {
                    (Dtype::F32, v.iter().flat_map(|x| x.to_le_bytes()).collect())
                }
                TensorData::F64(v) => {
                    (Dtype::F64, v.iter().flat_map(|x| x.to_le_bytes()).collect())
                }
                TensorData::I64(v) => {
                    (Dtype::I64, v.iter().flat_map(|x| x.to_le_bytes()).collect())
                }
            };
            (n.clone(), dtype, t.shape.clone(), data)
        })
        .collect();
    let views: Vec<(String, TensorView<'_>)> = bytes
        .iter()
        .map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    safetensors::serialize_to_file(views, &None, path).unwrap();
}

/// Every tensor of a safetensors file, by name.
pub fn read(path: &Path) -> NamedTensors {
    common::checkpoint::load_weights(path).unwrap().tensors
}

/// `max|a − b| / max(1, max|b|)`.
pub fn rel(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
        / scale
}

/// `t` as f64 values.
pub fn values(t: &HostTensor) -> Vec<f64> {
    t.to_f64()
}
