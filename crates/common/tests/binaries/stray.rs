//! Loading is symmetric: both binaries refuse a checkpoint that carries a model tensor
//! (`net.*`) their model has no place for, naming it, whether the checkpoint is evaluated,
//! used for predictions, resumed or started from (`model.init_from`). The checkpoint's spec
//! check catches it first; underneath, both backends' `import` refuse it too (the scratch
//! backend once ignored it: `scratch/tests/backend_train.rs`).

use super::{repo, run, strings};
use common::checkpoint::Checkpoint;
use common::tensor::HostTensor;
use std::process::Command;

/// Trains the circle for one epoch, plants `net.9.weight` in its `last.safetensors` and
/// checks that `eval`, `predict` and `train --resume` each fail naming it.
pub fn a_stray_model_tensor_is_refused(bin: &str, extra: &[&str]) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let mut args = strings(&["train", "-q", "-c", "configs/circle.toml", "--out"]);
    args.push(out.display().to_string());
    args.extend(strings(&["--set", "train.epochs=1"]));
    args.extend(strings(extra));
    run(bin, &args);
    let file = out.join("last.safetensors");
    let mut ckpt = Checkpoint::load(&file).expect("last");
    // Untouched, the checkpoint evaluates (so the failures below are the planted tensor's).
    let eval = |path: &std::path::Path| {
        let mut a = strings(&["eval", "--checkpoint", &path.display().to_string()]);
        a.extend(strings(extra));
        a
    };
    run(bin, &eval(&file));
    ckpt.tensors.push((
        "net.9.weight".into(),
        HostTensor::f32(vec![2], vec![0.5, -1.25]),
    ));
    let planted = tmp.path().join("planted.safetensors");
    ckpt.save(&planted).expect("save");
    let (input, _) = super::walk::predict_input(&ckpt, tmp.path());
    let mut predict = strings(&["predict", "--checkpoint", &planted.display().to_string()]);
    predict.extend(strings(&["--input", &input.display().to_string()]));
    predict.extend(strings(extra));
    let mut resume = strings(&["train", "-q", "--resume", &planted.display().to_string()]);
    resume.extend(strings(&[
        "-c",
        "configs/circle.toml",
        "--set",
        "train.epochs=2",
    ]));
    resume.extend(strings(&[
        "--out",
        &tmp.path().join("resumed").display().to_string(),
    ]));
    resume.extend(strings(extra));
    let mut start_from = strings(&["train", "-q", "-c", "configs/circle.toml"]);
    start_from.extend(strings(&[
        "--set",
        &format!("model.init_from={}", planted.display()),
    ]));
    start_from.extend(strings(&[
        "--out",
        &tmp.path().join("tuned").display().to_string(),
    ]));
    start_from.extend(strings(extra));
    for args in [eval(&planted), predict, resume, start_from] {
        let result = Command::new(bin)
            .args(&args)
            .current_dir(repo())
            .output()
            .expect("start the binary");
        let err = String::from_utf8_lossy(&result.stderr);
        assert!(!result.status.success(), "{args:?} accepted a stray tensor");
        assert!(err.contains("'net.9.weight'"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
