//! Transfer from PyTorch: `scripts/state_dict.py` builds the `nn.Sequential` of the shipped
//! `configs/penguins.toml` model with PyTorch's own initialisation and saves its `state_dict()`
//! with `safetensors.torch.save_file`; `model.init_from` then starts from exactly those
//! tensors (bit for bit), both backends train from them, and a state_dict with another number
//! of classes gets its head re-initialised from the seed, by name.

use std::path::Path;
use std::process::Command;

use common::app::starting_point;
use common::checkpoint::load_weights;
use common::config::Config;
use common::spec::ModelSpec;

use super::{python, trained, workspace};

/// `configs/penguins.toml` with `sets`, its data path made absolute.
fn penguins(sets: &[String]) -> Config {
    let mut cfg = Config::load(&workspace().join("configs/penguins.toml"), sets).unwrap();
    if let Some(p) = cfg.data.path.as_mut().filter(|p| p.is_relative()) {
        *p = workspace().join(&*p);
    }
    cfg
}

/// Runs scripts/state_dict.py on `spec` into `out` (`extra`: its options).
fn pytorch_state_dict(spec: &ModelSpec, dir: &Path, out: &Path, extra: &[&str]) {
    let json = dir.join("spec.json");
    std::fs::write(&json, serde_json::to_string(spec).unwrap()).unwrap();
    let run = Command::new(python())
        .arg(workspace().join("scripts/state_dict.py"))
        .args([&json, out])
        .args(extra)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "state_dict.py: {err}");
}

#[test]
fn a_pytorch_state_dict_is_the_starting_point_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let (_, spec, seeded) = starting_point(&penguins(&[]), None, true).unwrap();
    let file = dir.path().join("torch.safetensors");
    pytorch_state_dict(&spec, dir.path(), &file, &["--seed", "3"]);
    let cfg = penguins(&[format!("model.init_from=\"{}\"", file.display())]);
    let (_, spec2, init) = starting_point(&cfg, None, true).unwrap();
    assert_eq!(spec2, spec);
    let saved = load_weights(&file).unwrap();
    assert!(saved.meta.is_none(), "written by PyTorch, not by us");
    for p in spec.params() {
        let from_file = common::tensor::find(&saved.tensors, &p.name).unwrap();
        let start = common::tensor::find(&init, &p.name).unwrap();
        assert_eq!(start.shape, from_file.shape, "{}", p.name);
        let bits = |t: &common::tensor::HostTensor| {
            t.to_f32().iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        };
        assert_eq!(bits(start), bits(from_file), "{}", p.name);
        let seed = common::tensor::find(&seeded, &p.name).unwrap();
        assert_ne!(bits(start), bits(seed), "{}: not the seed's", p.name);
    }
    // Both backends train from it.
    let mut short = cfg.clone();
    short.train.epochs = 1;
    let c = trained(&short, &dir.path().join("run"));
    assert_eq!(c.sides.len(), 2);
}

#[test]
fn a_state_dict_with_another_class_count_gets_a_new_head_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (_, spec, seeded) = starting_point(&penguins(&[]), None, true).unwrap();
    let file = dir.path().join("five.safetensors");
    pytorch_state_dict(&spec, dir.path(), &file, &["--outputs", "5"]);
    let saved = load_weights(&file).unwrap();
    let cfg = penguins(&[]);
    let start =
        common::init::from_pretrained(&spec, &saved, &seeded, &cfg.model.reinit, &file).unwrap();
    let params = spec.params();
    let head: Vec<String> = params[params.len() - 2..]
        .iter()
        .map(|p| p.name.clone())
        .collect();
    assert_eq!(start.reinitialised, head);
    for p in &params {
        let got = common::tensor::find(&start.params, &p.name)
            .unwrap()
            .to_f32();
        let from = if head.contains(&p.name) {
            &seeded
        } else {
            &saved.tensors
        };
        assert_eq!(
            got,
            common::tensor::find(from, &p.name).unwrap().to_f32(),
            "{}",
            p.name
        );
    }
}
