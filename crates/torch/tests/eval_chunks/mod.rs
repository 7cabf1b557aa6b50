//! Evaluation in chunks changes no number: the logits of a shipped config's data are the same
//! bits whether the rows go through in chunks of `common::fit::EVAL_CHUNK` (what
//! `Backend::logits` uses), of 8192 (torch's chunk before it was shared), of 1000, or in one pass.

use std::path::Path;

use common::config::Config;
use common::fit::{logits_in_chunks, Backend, EVAL_CHUNK};
use ndarray::{concatenate, Array2, Axis};
use torch::convert::{matrix_to_tensor, tensor_to_matrix};
use torch::{Precision, TorchBackend};

use crate::support::{cpu, setup, train};

/// `cfg` from `configs/<name>.toml` with `overrides`.
fn shipped(name: &str, overrides: &[&str]) -> Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../configs/{name}.toml"));
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    Config::load(&path, &overrides).expect("shipped config")
}

/// The backend's logits of `x`, `chunk` rows per forward pass.
fn logits_by(b: &TorchBackend, x: &Array2<f32>, chunk: usize) -> Array2<f32> {
    let net = b.net();
    let k = net.spec().n_outputs();
    logits_in_chunks(x, net.n_inputs(), k, chunk, |rows| {
        let xb = matrix_to_tensor(&rows.to_owned(), b.kind(), b.device())?;
        tensor_to_matrix(&tch::no_grad(|| net.forward(&xb, false)).unwrap())
    })
    .unwrap()
}

/// Trains `cfg` for one epoch, then checks its logits on `reps` copies of all its rows (more
/// than two chunks of every size tried) chunk by chunk against one pass.
fn chunking_changes_nothing(cfg: &Config, reps: usize) {
    let (data, _, mut b) = setup(cfg, &cpu(Precision::F32));
    train(&mut b, cfg, data.train.y.len(), 1, 1);
    let all = concatenate![Axis(0), data.train.x, data.val.x];
    let views = vec![all.view(); reps];
    let x = concatenate(Axis(0), &views).unwrap();
    assert!(x.nrows() > 2 * 8192, "{} rows", x.nrows());
    let one_pass = logits_by(&b, &x, x.nrows());
    let via_backend = b.logits(&x).unwrap();
    assert!(via_backend.iter().all(|v| v.is_finite()));
    let bits = |a: &Array2<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(&via_backend),
        bits(&one_pass),
        "EVAL_CHUNK {EVAL_CHUNK}"
    );
    for chunk in [8192, 1000] {
        assert_eq!(
            bits(&logits_by(&b, &x, chunk)),
            bits(&one_pass),
            "chunk {chunk}"
        );
    }
}

#[test]
fn chunk_size_leaves_mlp_logits_bit_for_bit() {
    chunking_changes_nothing(&shipped("spirals", &["train.epochs=1"]), 8);
}

#[test]
fn chunk_size_leaves_cnn_logits_bit_for_bit() {
    // Narrower than shipped, to keep the test quick; the data and the layers are the config's.
    let cfg = shipped("digits_cnn", &["train.epochs=1", "model.channels=[8, 16]"]);
    chunking_changes_nothing(&cfg, 12);
}
