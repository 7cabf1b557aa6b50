//! The one-line start, through a real binary: `train --csv FILE --target COLUMN` trains with
//! the tabular defaults and writes them, resolved, as the run's `config.toml`; `--resume`
//! continues that run from its folder alone, or with the first command's `--csv` and
//! `--target` (refused when they differ); `init-config` prints the same config (which
//! reads back as it), and refuses a column the file lacks, naming it. The run encodes its
//! numbers piecewise-linearly (`data.piecewise_bins`), which the resumed run keeps.

use super::{repo, run, strings};
use common::config::Config;
use std::path::Path;
use std::process::Command;

/// The whole round on the penguins file with `bin` (`extra`: flags such as torch's device).
pub fn the_one_line_start_trains_resumes_and_prints_its_config(bin: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let out_s = out.display().to_string();
    let csv = "data/penguins.csv";
    run(
        bin,
        &strings(&[
            "train",
            "-q",
            "--csv",
            csv,
            "--target",
            "species",
            "--set",
            "train.epochs=3",
            "--set",
            "data.piecewise_bins=6",
            "--out",
            &out_s,
        ]),
    );
    let sets = ["train.epochs=3".to_string(), "data.piecewise_bins=6".into()];
    let want = Config::tabular(Path::new(csv), "species", &sets).unwrap();
    let saved = Config::load(&out.join("config.toml"), &[]).expect("config.toml reads back");
    assert_eq!(
        saved, want,
        "the run folder holds the resolved tabular config"
    );
    // Resumed from the folder alone (the checkpoint holds the config), two more epochs.
    run(
        bin,
        &strings(&["train", "-q", "--resume", &out_s, "--set", "train.epochs=5"]),
    );
    let history = std::fs::read_to_string(out.join("history.csv")).expect("history");
    assert_eq!(history.lines().count(), 1 + 5, "{history}");
    // The first command again with `--resume` (what an interrupted run's message advises),
    // two more epochs; a different target is refused, naming the key.
    let again = |target: &str, epochs: &str| {
        let mut args = strings(&["train", "-q", "--csv", csv, "--target", target]);
        args.extend(strings(&[
            "--set",
            epochs,
            "--set",
            "data.piecewise_bins=6",
        ]));
        args.extend(strings(&["--out", &out_s, "--resume", &out_s]));
        args
    };
    run(bin, &again("species", "train.epochs=7"));
    let history = std::fs::read_to_string(out.join("history.csv")).expect("history");
    assert_eq!(history.lines().count(), 1 + 7, "{history}");
    let other = Command::new(bin)
        .args(again("island", "train.epochs=9"))
        .current_dir(repo())
        .output()
        .expect("start");
    let err = String::from_utf8_lossy(&other.stderr);
    assert_eq!(other.status.code(), Some(1), "{err}");
    assert!(err.contains("data.target"), "{err}");
    let schema = std::fs::read_to_string(out.join("schema.txt")).expect("schema.txt");
    assert!(
        schema.contains("piecewise-linear, 6 bins of train quantiles"),
        "{schema}"
    );
    // init-config prints that config, with its comments, and it trains as printed.
    let printed = run(
        bin,
        &strings(&["init-config", "--csv", csv, "--target", "species"]),
    );
    assert!(
        printed.contains("# class_weights = \"balanced\""),
        "{printed}"
    );
    let parsed = Config::from_toml_str(&printed, "init-config", &sets)
        .expect("the printed config reads back");
    assert_eq!(parsed, want);
    // A column the file lacks is refused before anything is printed.
    let bad = Command::new(bin)
        .args(["init-config", "--csv", csv, "--target", "specie"])
        .current_dir(repo())
        .output()
        .expect("start");
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1), "{err}");
    assert!(err.contains("specie") && bad.stdout.is_empty(), "{err}");
    // --csv needs --target, and does not mix with --config.
    let clash = Command::new(bin)
        .args([
            "train",
            "--csv",
            csv,
            "--target",
            "species",
            "-c",
            "configs/penguins.toml",
        ])
        .current_dir(repo())
        .output()
        .expect("start");
    assert!(!clash.status.success());
}
