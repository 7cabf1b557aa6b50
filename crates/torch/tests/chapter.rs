//! The chapter's Route 2 run end to end through `common::fit`: 30 epochs of Adam on the
//! circle data must separate it (the chapter's PyTorch run ends near val_acc 0.99), and the
//! run folder must hold the history and checkpoints.

use common::app::run_training;
use common::config::Config;
use common::fit::FitOptions;
use torch::{Precision, TorchFactory, TorchOptions};

#[test]
fn chapter_route2_run_reaches_99_percent_validation_accuracy() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::chapter_route2();
    let fit = FitOptions {
        out_dir: dir.path().to_path_buf(),
        quiet: true,
        chapter_lines: false,
        resume: None,
        overwrite: false,
        hparams: Vec::new(),
    };
    let opts = TorchOptions {
        precision: Precision::F32,
        threads: Some(1),
        adam: torch::optim::AdamKernel::default(),
        ..TorchOptions::default()
    };
    let outcome = run_training(&TorchFactory { opts }, &cfg, &fit)
        .unwrap()
        .outcome;
    assert_eq!(outcome.epochs_run, 30);
    let last = outcome.history.last().unwrap();
    assert!(last.val_acc >= 0.99, "val_acc {}", last.val_acc);
    assert!(last.train_loss < outcome.history[0].train_loss);
    for file in [
        "config.toml",
        "history.csv",
        "best.safetensors",
        "last.safetensors",
    ] {
        assert!(dir.path().join(file).is_file(), "{file} missing");
    }
}
