//! The `compare` binary end to end: the default run (table on stdout, report.md, SVGs and
//! both run folders), another config through `--config`/`--set`, `parity` passing and
//! failing (exit status 1), its `--steps`, `--f64-only` and `--tolerance` flags, and bad
//! input refused with exit status 1 before anything trains.

use std::path::Path;

mod cli_support;
use cli_support::{compare, stdout_of, succeeded};

#[test]
fn the_default_run_prints_the_table_and_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = compare(dir.path()).arg("--quiet").output().unwrap();
    let text = succeeded(&out);
    for row in [
        "final train loss",
        "final val accuracy",
        "val macro F1 (best)",
        "val ROC AUC (best)",
        "epochs run",
        "best epoch",
        "training time (s)",
        "train samples/s",
        "parameters",
    ] {
        assert!(text.contains(row), "row '{row}' missing:\n{text}");
    }
    assert!(
        text.contains("2→32→1 relu, bce") && text.contains("129"),
        "{text}"
    );
    let first = dir.path().join("checkpoints/compare-chapter");
    assert_report(&first);
    assert_only_listed_files(&first);

    // Again without --out: the first comparison is kept, this one goes to `…-2`.
    let again = compare(dir.path()).arg("--quiet").output().unwrap();
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{err}");
    assert!(
        err.contains("holds an earlier comparison (kept)") && err.contains("compare-chapter-2"),
        "{err}"
    );
    assert_report(&dir.path().join("checkpoints/compare-chapter-2"));
    // Naming the taken folder is refused, and --overwrite replaces it.
    let report = std::fs::read(first.join("report.md")).unwrap();
    let refused = compare(dir.path())
        .args(["--quiet", "--out", "checkpoints/compare-chapter"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{err}");
    assert!(
        err.contains("already holds a comparison") && err.contains("--overwrite"),
        "{err}"
    );
    assert_eq!(std::fs::read(first.join("report.md")).unwrap(), report);
    let replaced = compare(dir.path())
        .args([
            "--quiet",
            "--overwrite",
            "--out",
            "checkpoints/compare-chapter",
        ])
        .output()
        .unwrap();
    assert!(
        replaced.status.success(),
        "{}",
        String::from_utf8_lossy(&replaced.stderr)
    );
    assert_only_listed_files(&first);
}

/// A comparison folder holds its listed files (`compare::side::folder_files`) and two run
/// folders holding `common::fit::RUN_FILES` only, their schema and split among them.
fn assert_only_listed_files(dir: &Path) {
    let names = |d: &Path| -> Vec<String> {
        std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let listed = compare::side::folder_files();
    for name in names(dir) {
        let side = compare::side::SIDES.contains(&name.as_str());
        assert!(
            side || listed.contains(&name),
            "unlisted file {name} in {}",
            dir.display()
        );
    }
    for side in compare::side::SIDES {
        // What any `train` run folder says about its data is there too.
        for f in ["schema.txt", "schema.json", "split.json"] {
            assert!(dir.join(side).join(f).is_file(), "{side}/{f} missing");
        }
        for name in names(&dir.join(side)) {
            assert!(
                common::fit::RUN_FILES.contains(&name.as_str()),
                "unlisted file {side}/{name}"
            );
        }
    }
}

/// report.md shows every SVG, each a complete SVG file, and both run folders are complete.
fn assert_report(run: &Path) {
    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    for svg in [
        "loss.svg",
        "accuracy.svg",
        "boundary_scratch.svg",
        "boundary_torch.svg",
        "confusion_scratch.svg",
        "confusion_torch.svg",
    ] {
        let body = std::fs::read_to_string(run.join(svg)).unwrap();
        assert!(
            body.starts_with("<svg") && body.trim_end().ends_with("</svg>"),
            "{svg}"
        );
        assert!(
            report.contains(&format!("]({svg})")),
            "report.md does not show {svg}"
        );
    }
    assert!(report.contains("| final train loss |"), "{report}");
    for side in ["scratch", "torch"] {
        for file in [
            "config.toml",
            "history.csv",
            "best.safetensors",
            "last.safetensors",
            "curves.svg",
        ] {
            assert!(run.join(side).join(file).is_file(), "{side}/{file}");
        }
        let history = std::fs::read_to_string(run.join(side).join("history.csv")).unwrap();
        assert_eq!(history.lines().count(), 21, "{side}: header + 20 epochs");
    }
}

#[test]
fn any_config_runs_through_config_and_set_including_digits() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tiny_digits.toml");
    std::fs::write(
        &config,
        "[data]\nsource = \"digits\"\nsplit = { train = 0.6, val = 0.2, test = 0.2 }\n\
         [model]\nkind = \"cnn\"\nchannels = [4]\nhidden = [8]\ninit = \"pytorch\"\n\
         [optim]\nlr = 0.05\n[train]\nepochs = 1\n",
    )
    .unwrap();
    let digits = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/digits.csv");
    let out = compare(dir.path())
        .args(["--quiet", "--config"])
        .arg(&config)
        .arg("--set")
        .arg(format!("data.path={}", digits.display()))
        .args(["--set", "train.epochs=2", "--out", "cmp"])
        .output()
        .unwrap();
    let text = succeeded(&out);
    assert!(
        text.contains("test accuracy (best)") && text.contains("1×8×8→conv4"),
        "{text}"
    );
    let run = dir.path().join("cmp");
    // Images: no decision boundary, a 10-class confusion matrix, test metrics per backend.
    assert!(!run.join("boundary_scratch.svg").exists());
    let cm = std::fs::read_to_string(run.join("confusion_torch.svg")).unwrap();
    assert!(cm.contains("\n9\n</text>"), "class 9 is labelled");
    assert!(
        run.join("scratch/test_metrics.json").is_file()
            && run.join("torch/test_metrics.json").is_file()
    );
    let history = std::fs::read_to_string(run.join("torch/history.csv")).unwrap();
    assert_eq!(
        history.lines().count(),
        3,
        "--set train.epochs=2 was applied"
    );
}

#[test]
fn parity_passes_in_f64_and_f32_on_the_chapter_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = compare(dir.path())
        .args(["parity", "--set", "train.epochs=4"])
        .output()
        .unwrap();
    let text = succeeded(&out);
    assert!(text.contains("all 25 steps agree"), "{text}");
    assert!(
        text.contains("grad net.0.weight") && text.contains("net.2.bias"),
        "{text}"
    );
    assert!(
        text.contains("synchronised steps and both loss curves agree")
            && text.contains("free-running f32 runs"),
        "{text}"
    );
}

#[test]
fn parity_exits_non_zero_naming_where_it_diverged() {
    let dir = tempfile::tempdir().unwrap();
    // f32 rounding makes the backends differ by ~1e-7: a tolerance of 1e-15 must fail, in epoch 1.
    let out = compare(dir.path())
        .args([
            "parity",
            "--set",
            "train.epochs=2",
            "--f32-tolerance",
            "1e-15",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("parity (f32)") && err.contains("epoch 1"),
        "{err}"
    );
}

#[test]
fn parity_steps_f64_only_and_tolerance_flags() {
    let dir = tempfile::tempdir().unwrap();
    // `--steps 3 --f64-only`: three f64 steps, then nothing of the f32 half.
    let out = compare(dir.path())
        .args(["parity", "--steps", "3", "--f64-only"])
        .output()
        .unwrap();
    let text = succeeded(&out);
    assert!(text.contains("all 3 steps agree"), "{text}");
    assert!(!text.contains("parity (f32)"), "{text}");
    // `--tolerance` below f64 rounding: a step fails, naming step, epoch, tensor and element.
    let out = compare(dir.path())
        .args([
            "parity",
            "--steps",
            "3",
            "--f64-only",
            "--tolerance",
            "1e-30",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let line = err.lines().find(|l| l.starts_with("error: ")).unwrap_or("");
    for needle in [
        "parity: step ",
        " of epoch 1: tensor '",
        "element ",
        "scratch ",
        "torch ",
    ] {
        assert!(line.contains(needle), "'{needle}' not in: {err}");
    }
}

#[test]
fn bad_configs_are_refused_before_training_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (args, key) in [
        (vec!["--set", "model.layers=[3]"], "model"),
        (vec!["--set", "model.activation=gelu"], "model.activation"),
        (vec!["--set", "optim.lr=-1"], "optim.lr"),
        (
            vec!["parity", "--set", "train.batch_size=0"],
            "train.batch_size",
        ),
        (
            vec!["--set", "model.head=bce", "--set", "data.source=blobs"],
            "model.head",
        ),
    ] {
        let out = compare(dir.path()).args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(key),
            "{args:?}: the error does not name {key}: {err}"
        );
        assert!(
            !dir.path().join("checkpoints").exists(),
            "{args:?}: something was written"
        );
    }
    let missing = compare(dir.path())
        .args(["--config", "nope.toml"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope.toml"));
}

#[test]
fn flags_outside_their_range_are_refused_naming_the_flag_and_range() {
    let dir = tempfile::tempdir().unwrap();
    for (args, flag, range) in [
        (&["bench", "--scale-down", "0"][..], "--scale-down", "≥ 1"),
        (&["bench", "--reps", "0"][..], "--reps", "≥ 1"),
        (&["parity", "--steps", "0"][..], "--steps", "≥ 1"),
        (&["--device", "gpu"][..], "--device", "cpu, cuda or auto"),
        (
            &["bench", "--device", "gpu"][..],
            "--device",
            "cpu, cuda or auto",
        ),
    ] {
        let out = compare(dir.path()).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        let value = args[args.len() - 1];
        assert!(
            err.starts_with(&format!("error: invalid value '{value}' for '{flag}")),
            "{args:?}: {err}"
        );
        assert!(
            err.contains(range),
            "{args:?}: the range is not stated: {err}"
        );
        assert!(out.stdout.is_empty(), "{args:?} ran: {}", stdout_of(&out));
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{args:?} wrote files"
        );
    }
}
