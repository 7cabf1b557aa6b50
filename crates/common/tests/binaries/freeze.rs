//! Fine-tuning with frozen layers through a real binary (issue 14): `digits_transfer` started
//! from a pretrain run made here keeps its frozen tensors bit for bit, holds no optimizer
//! state for them, and trains the rest; the same check against a run without freezing fails
//! (the check catches a planted fault). Bad `model.freeze` lists and a weights file with a
//! wrong shape are errors naming the key or the tensor and both shapes.

use super::{repo, run, strings};
use common::checkpoint::Checkpoint;
use std::path::Path;
use std::process::Command;

/// `train -q -c configs/<config> --out out` with `sets` (each `--set`) and `extra`.
fn train_args(config: &str, out: &Path, sets: &[String], extra: &[&str]) -> Vec<String> {
    let mut args = strings(&["train", "-q", "-c", &format!("configs/{config}")]);
    args.extend(strings(&["--out", &out.display().to_string()]));
    for s in sets {
        args.extend(["--set".to_string(), s.clone()]);
    }
    args.extend(strings(extra));
    args
}

/// A short run: few epochs, no early stop.
fn short(epochs: usize) -> Vec<String> {
    vec![
        format!("train.epochs={epochs}"),
        "train.early_stopping.enabled=false".into(),
        "data.train_per_class=10".into(),
    ]
}

/// The tensors named `prefix*` of `ckpt` that differ in any bit from `init`'s.
fn changed(ckpt: &Checkpoint, init: &Checkpoint, prefix: &str) -> Vec<String> {
    let bits = |c: &Checkpoint, n: &str| {
        let t = common::tensor::find(&c.tensors, n).expect(n);
        t.to_f64().iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    };
    ckpt.tensors
        .iter()
        .filter(|(n, _)| n.starts_with(prefix))
        .filter(|(n, _)| bits(ckpt, n) != bits(init, n))
        .map(|(n, _)| n.clone())
        .collect()
}

/// Pretrain one epoch, then fine-tune `digits_transfer` from it with and without freezing.
pub fn frozen_tensors_stay_bit_identical(bin: &str, extra: &[&str]) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let pre = tmp.path().join("pre");
    run(
        bin,
        &train_args("digits_pretrain.toml", &pre, &short(1), extra),
    );
    let init_file = pre.join("last.safetensors");
    let init = Checkpoint::load(&init_file).expect("pretrained");
    let mut sets = short(2);
    sets.push(format!("model.init_from={}", init_file.display()));
    sets.push(r#"model.freeze=["net.0","net.3"]"#.into());
    let frozen = tmp.path().join("frozen");
    run(
        bin,
        &train_args("digits_transfer.toml", &frozen, &sets, extra),
    );
    let last = Checkpoint::load(&frozen.join("last.safetensors")).expect("last");
    for layer in ["net.0.", "net.3."] {
        assert!(changed(&last, &init, layer).is_empty(), "{layer} changed");
        let state: Vec<_> = last.tensors.iter().map(|(n, _)| n).collect();
        let optim = format!("optim.{layer}");
        assert!(!state.iter().any(|n| n.starts_with(&optim)), "{state:?}");
    }
    assert!(last
        .tensors
        .iter()
        .any(|(n, _)| n == "optim.net.7.weight.exp_avg"));
    assert_eq!(
        changed(&last, &init, "net.7.").len(),
        2,
        "the trained layer moved"
    );
    // The planted fault: without freezing, the same check finds the convolutions changed.
    sets.push("model.freeze=[]".into());
    let all = tmp.path().join("all");
    run(bin, &train_args("digits_transfer.toml", &all, &sets, extra));
    let last = Checkpoint::load(&all.join("last.safetensors")).expect("last");
    assert_eq!(
        changed(&last, &init, "net.0.").len(),
        2,
        "the check sees a change"
    );
    assert_bad_inputs(bin, &init_file, tmp.path(), extra);
}

/// Runs `bin args` expecting failure; returns its stderr.
fn fails(bin: &str, args: &[String]) -> String {
    let out = Command::new(bin)
        .args(args)
        .current_dir(repo())
        .output()
        .expect("start the binary");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// A prefix matching nothing, freezing everything, and a file with a wrong shape.
fn assert_bad_inputs(bin: &str, init_file: &Path, dir: &Path, extra: &[&str]) {
    let from = format!("model.init_from={}", init_file.display());
    for (freeze, what) in [("[\"net.99\"]", "net.99"), ("[\"net\"]", "every")] {
        let sets = [from.clone(), format!("model.freeze={freeze}")];
        let err = fails(
            bin,
            &train_args("digits_transfer.toml", &dir.join("x"), &sets, extra),
        );
        assert!(err.contains("model.freeze") && err.contains(what), "{err}");
    }
    // A pretrain run with 16 first-layer channels: net.0.weight is [16, 1, 3, 3].
    let narrow = dir.join("narrow");
    let mut sets = short(1);
    sets.push("model.channels=[16, 64]".into());
    run(
        bin,
        &train_args("digits_pretrain.toml", &narrow, &sets, extra),
    );
    let sets = [format!(
        "model.init_from={}",
        narrow.join("last.safetensors").display()
    )];
    let err = fails(
        bin,
        &train_args("digits_transfer.toml", &dir.join("y"), &sets, extra),
    );
    assert!(err.contains("net.0.weight"), "{err}");
    assert!(
        err.contains("[16, 1, 3, 3]") && err.contains("[32, 1, 3, 3]"),
        "{err}"
    );
}
