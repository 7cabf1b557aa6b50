//! Shared fixtures of the checkpoint tests: a small valid checkpoint (2→3→1 MLP with Adam
//! state) and helpers to take its file apart and put it back together with one thing broken.

#![allow(dead_code)] // each test file uses a different subset

use common::checkpoint::{Checkpoint, CheckpointMeta, TrainState, FORMAT_VERSION};
use common::config::{Activation, Config, TrainConfig};
use common::preprocess::{InputColumn, Preprocessor};
use common::spec::{Head, LayerSpec, ModelSpec};
use common::tensor::{HostTensor, NamedTensors};
use serde_json::{Map, Value};

/// 2 → 3 → 1, ReLU, BCE: parameters `net.0.*` and `net.2.*`.
pub fn spec() -> ModelSpec {
    ModelSpec {
        names: Vec::new(),
        input_shape: vec![2],
        layers: vec![
            LayerSpec::Linear {
                inputs: 2,
                outputs: 3,
            },
            LayerSpec::Act {
                act: Activation::Relu,
            },
            LayerSpec::Linear {
                inputs: 3,
                outputs: 1,
            },
        ],
        head: Head::Bce,
        freeze: Vec::new(),
    }
}

/// Two standardized numeric columns and two named classes.
pub fn preprocessor() -> Preprocessor {
    let numeric = |name: &str, mean: f64, std: f64| InputColumn::Numeric {
        name: name.into(),
        fill: mean,
        mean,
        std,
        bins: Vec::new(),
    };
    Preprocessor {
        columns: vec![numeric("x1", 0.25, 1.5), numeric("x2", -0.125, 0.75)],
        target: Some("label".into()),
        class_names: vec!["outside".into(), "inside".into()],
        image_shape: None,
        schema: Default::default(),
        image: None,
    }
}

/// Metadata of a `best` checkpoint from the scratch backend at epoch 7.
pub fn meta() -> CheckpointMeta {
    let config = Config {
        seed: 1234,
        train: TrainConfig {
            epochs: 9,
            ..TrainConfig::default()
        },
        ..Config::default()
    };
    CheckpointMeta {
        format_version: FORMAT_VERSION,
        backend: "scratch".into(),
        kind: "best".into(),
        config,
        spec: spec(),
        preprocessing: preprocessor(),
        monitor: "val_loss".into(),
        monitor_value: 0.123_456_789_012_345_67,
        train_state: TrainState {
            epoch: 7,
            optim_step: 700,
            lr: 0.05,
            best_value: Some(0.1234),
            best_epoch: 7,
            bad_epochs: 0,
            plateau_best: Some(0.2),
            plateau_bad: 1,
        },
        threshold: None,
    }
}

/// Deterministic, distinct values (including awkward ones) for a tensor of `n` elements.
fn values(seed: usize, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| ((seed * 31 + i * 7) as f64).sin() * 10f64.powi((i % 5) as i32 - 2))
        .collect()
}

/// Parameters then Adam state, in f64 or f32.
pub fn tensors(f64_data: bool) -> NamedTensors {
    let shapes: [(&str, Vec<usize>); 4] = [
        ("net.0.weight", vec![3, 2]),
        ("net.0.bias", vec![3]),
        ("net.2.weight", vec![1, 3]),
        ("net.2.bias", vec![1]),
    ];
    let mut out = Vec::new();
    let mut seed = 0;
    for suffix in ["", ".exp_avg", ".exp_avg_sq"] {
        for (name, shape) in &shapes {
            seed += 1;
            let v = values(seed, shape.iter().product());
            let t = if f64_data {
                HostTensor::f64(shape.clone(), v)
            } else {
                HostTensor::f32(shape.clone(), v.iter().map(|&x| x as f32).collect())
            };
            let full = if suffix.is_empty() {
                name.to_string()
            } else {
                format!("optim.{name}{suffix}")
            };
            out.push((full, t));
        }
    }
    out
}

/// A complete checkpoint.
pub fn checkpoint(f64_data: bool) -> Checkpoint {
    Checkpoint {
        tensors: tensors(f64_data),
        meta: meta(),
    }
}

/// The bytes of a valid f32 checkpoint.
pub fn valid_bytes() -> Vec<u8> {
    checkpoint(false)
        .to_bytes(std::path::Path::new("fixture.safetensors"))
        .expect("fixture serializes")
}

/// Splits safetensors bytes into the header JSON object and the data section.
pub fn take_apart(bytes: &[u8]) -> (Map<String, Value>, Vec<u8>) {
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let header = serde_json::from_slice(&bytes[8..8 + n]).expect("valid header");
    (header, bytes[8 + n..].to_vec())
}

/// Builds safetensors bytes from a header object and a data section (no validation at all).
pub fn put_together(header: &Map<String, Value>, data: &[u8]) -> Vec<u8> {
    let text = serde_json::to_string(header).expect("json");
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(data);
    out
}

/// A valid checkpoint's bytes after `edit` changed its header.
pub fn with_header(edit: impl FnOnce(&mut Map<String, Value>)) -> Vec<u8> {
    let (mut header, data) = take_apart(&valid_bytes());
    edit(&mut header);
    put_together(&header, &data)
}

/// A valid checkpoint's bytes after `edit` changed its `__metadata__`.
pub fn with_metadata(edit: impl FnOnce(&mut Map<String, Value>)) -> Vec<u8> {
    with_header(|h| {
        edit(
            h.get_mut("__metadata__")
                .and_then(Value::as_object_mut)
                .expect("metadata"),
        )
    })
}
