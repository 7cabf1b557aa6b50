//! Black-box tests of bad input to the `scratch` binary: each case exits non-zero with one
//! `error:` line naming the file, row, column or key at fault, never panics, and leaves no
//! partial output file behind.

mod cli_support;
use cli_support::*;

fn train_csv(dir: &std::path::Path, csv: &str, target: &str) -> Vec<String> {
    [
        "train",
        "--out",
        "run",
        "-q",
        "--set",
        "data.source=\"csv\"",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([
        "--set".into(),
        format!("data.path=\"{}\"", csv.replace('\\', "/")),
        "--set".into(),
        format!("data.target=\"{target}\""),
        "--set".into(),
        "model.head=\"auto\"".into(),
    ])
    .chain(std::iter::once(String::new()).filter(|_| dir.as_os_str().is_empty()))
    .collect()
}

fn check_csv(body: Option<&str>, target: &str, needles: &[&str]) {
    let dir = workdir();
    let path = match body {
        Some(text) => write(dir.path(), "bad.csv", text),
        None => dir.path().join("nope.csv").to_string_lossy().into_owned(),
    };
    let args = train_csv(dir.path(), &path, target);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let line = assert_clean_error(
        dir.path(),
        &args,
        if body.is_some() {
            "bad.csv"
        } else {
            "nope.csv"
        },
    );
    for n in needles {
        assert!(line.contains(n), "'{n}' missing from: {line}");
    }
    assert!(
        !dir.path().join("run/best.safetensors").exists(),
        "no checkpoint from bad data"
    );
}

#[test]
fn missing_file() {
    check_csv(None, "y", &[]);
}

#[test]
fn empty_file() {
    check_csv(Some(""), "y", &[]);
}

#[test]
fn header_only() {
    check_csv(Some("a,b,y\n"), "y", &[]);
}

#[test]
fn ragged_row() {
    check_csv(Some("a,b,y\n1,2,0\n3,1\n4,5,1\n"), "y", &["row 3"]);
}

#[test]
fn non_numeric_value_in_a_numeric_column() {
    let dir = workdir();
    let path = write(dir.path(), "bad.csv", "a,b,y\n1,2,0\n3,x,1\n4,5,1\n2,2,0\n");
    let mut args = train_csv(dir.path(), &path, "y");
    args.extend(["--set".into(), "data.numeric=[\"b\"]".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let line = assert_clean_error(dir.path(), &args, "bad.csv");
    assert!(line.contains("row 3") && line.contains("'b'"), "{line}");
}

#[test]
fn infinite_feature() {
    check_csv(
        Some("a,b,y\n1,2,0\n3,inf,1\n4,5,1\n2,2,0\n"),
        "y",
        &["row 3", "'b'"],
    );
}

#[test]
fn missing_target_column() {
    check_csv(Some("a,b,y\n1,2,0\n3,4,1\n"), "label", &["label"]);
}

#[test]
fn only_one_class() {
    check_csv(Some("a,b,y\n1,2,0\n3,4,0\n5,6,0\n"), "y", &["class"]);
}

/// The penguins file's Adelie rows and one Gentoo row (which a split puts in training): a
/// validation split of one class, on which ROC AUC is undefined. Refused before the run folder
/// is made, rather than training to a run with no best epoch.
#[test]
fn a_monitor_the_validation_split_cannot_define() {
    let dir = workdir();
    let penguins = std::fs::read_to_string(repo().join("data/penguins.csv")).unwrap();
    let mut lines = penguins.lines();
    let mut text = format!("{}\n", lines.next().unwrap());
    let rows: Vec<&str> = lines.collect();
    for row in rows.iter().filter(|r| r.starts_with("Adelie")) {
        text += &format!("{row}\n");
    }
    text += rows.iter().find(|r| r.starts_with("Gentoo")).unwrap();
    let csv = write(dir.path(), "rare.csv", &text);
    let mut args = vec!["train", "-q", "--csv", &csv, "--target", "species"];
    args.extend(["--out", "run", "--set", "train.monitor=\"val_auc\""]);
    let line = assert_clean_error(dir.path(), &args, "train.monitor");
    assert!(line.contains("'Gentoo' 0"), "{line}");
    assert!(
        !dir.path().join("run").exists(),
        "a refused run leaves no folder"
    );
}

#[test]
fn unknown_config_key() {
    let dir = workdir();
    let cfg = write(dir.path(), "c.toml", "seed = 1\n[model]\nhiden = [3]\n");
    assert_clean_error(
        dir.path(),
        &["train", "-c", &cfg, "--out", "run"],
        "model.hiden",
    );
    assert!(
        !dir.path().join("run").exists(),
        "nothing written for a bad config"
    );
}

#[test]
fn wrong_type_in_config() {
    let dir = workdir();
    let cfg = write(dir.path(), "c.toml", "[optim]\nlr = \"fast\"\n");
    assert_clean_error(dir.path(), &["train", "-c", &cfg], "optim.lr");
}

#[test]
fn impossible_values_name_their_key() {
    let dir = workdir();
    for (set, key) in [
        ("optim.lr=0", "optim.lr"),
        ("train.batch_size=0", "train.batch_size"),
        ("model.hidden=[8, 0]", "model.hidden"),
        ("data.split={train=0.0, val=1.0, test=0.0}", "data.split"),
    ] {
        assert_clean_error(dir.path(), &["train", "--set", set], key);
    }
}

#[test]
fn truncated_checkpoint_and_another_architecture() {
    let dir = workdir();
    let (ok, _, err) = run(
        dir.path(),
        &["train", "--out", "r", "-q", "--set", "train.epochs=1"],
    );
    assert!(ok, "{err}");
    let best = dir.path().join("r/best.safetensors");
    let bytes = std::fs::read(&best).unwrap();
    std::fs::write(
        dir.path().join("cut.safetensors"),
        &bytes[..bytes.len() / 2],
    )
    .unwrap();
    write(dir.path(), "in.csv", "x0,x1\n0.1,0.2\n");
    let args = [
        "predict",
        "--checkpoint",
        "cut.safetensors",
        "--input",
        "in.csv",
        "--output",
        "o.csv",
    ];
    assert_clean_error(dir.path(), &args, "cut.safetensors");
    assert!(!dir.path().join("o.csv").exists(), "no partial output");
    // Resuming a 32-unit checkpoint into a 16-unit model: refused before training, naming why.
    let args = [
        "train",
        "--out",
        "r2",
        "--resume",
        "r/last.safetensors",
        "--set",
        "model.hidden=[16]",
    ];
    assert_clean_error(dir.path(), &args, "model.hidden");
    let (ok, _, _) = run(dir.path(), &["eval", "--checkpoint", "r/best.safetensors"]);
    assert!(ok, "an intact checkpoint still evaluates");
}

#[test]
fn predict_input_missing_a_column() {
    let dir = workdir();
    assert!(
        run(
            dir.path(),
            &["train", "--out", "r", "-q", "--set", "train.epochs=1"]
        )
        .0
    );
    write(dir.path(), "in.csv", "x0\n0.1\n");
    let args = [
        "predict",
        "--checkpoint",
        "r/best.safetensors",
        "--input",
        "in.csv",
        "--output",
        "o.csv",
    ];
    assert_clean_error(dir.path(), &args, "in.csv");
    assert!(!dir.path().join("o.csv").exists());
}

#[test]
fn an_image_or_a_folder_given_to_a_table_model_is_named_as_such() {
    // Not read as text in another encoding (which suggested data.encoding), by predict and by
    // eval --data.
    let dir = workdir();
    let train = ["train", "-c", "configs/penguins.toml", "--out", "r", "-q"];
    assert!(
        run(
            dir.path(),
            &[&train[..], &["--set", "train.epochs=1"]].concat()
        )
        .0
    );
    std::fs::write(
        dir.path().join("photo.png"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("photos")).unwrap();
    for (input, what) in [
        ("photo.png", "is an image (PNG)"),
        ("photos", "is a folder"),
    ] {
        for cmd in [["predict", "--input"], ["eval", "--data"]] {
            let args = [cmd[0], "--checkpoint", "r", cmd[1], input];
            let err = assert_clean_error(dir.path(), &args, input);
            assert!(
                err.contains(what) && err.contains("trained on a table"),
                "{args:?}: {err}"
            );
        }
    }
}

/// Runs `args` and asserts a usage error (status 2, clap's convention, before anything runs)
/// naming `flag` and the allowed range; returns stderr.
fn assert_count_refused(args: &[&str], flag: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = scratch(dir.path()).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        err.starts_with(&format!(
            "error: invalid value '{}' for '{flag}",
            args[args.len() - 1]
        )),
        "{args:?}: {err}"
    );
    assert!(
        err.contains("≥ 1"),
        "{args:?} does not state the range: {err}"
    );
    assert!(
        out.stdout.is_empty(),
        "{args:?} ran: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "{args:?} wrote files"
    );
    err
}

#[test]
fn counts_below_one_are_refused_naming_the_flag_and_range() {
    assert_count_refused(&["gradcheck", "--batch", "0"], "--batch");
    assert_count_refused(&["gradcheck", "--batch", "many"], "--batch");
    assert_count_refused(&["bench", "--scale-down", "0"], "--scale-down");
    // The smallest allowed value is a real run of that size.
    let dir = workdir();
    let (ok, out, err) = run(dir.path(), &["gradcheck", "--batch", "1"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains(" on 1 examples "), "{out}");
}
