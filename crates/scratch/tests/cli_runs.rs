//! Black-box tests of the `scratch` binary's happy paths: the chapter run, `train` with a
//! config, `eval`, `predict` on raw rows (missing value, unseen category), `gradcheck`,
//! gradient-norm logging, determinism and exact resume.

mod cli_support;
use cli_support::*;

#[test]
fn no_arguments_runs_the_chapter_and_reaches_099() {
    let dir = workdir();
    let (ok, out, err) = run(dir.path(), &[]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 20, "one line per epoch on stdout:\n{out}");
    let re = |l: &str| {
        let f: Vec<&str> = l.split(' ').collect();
        f.len() == 5
            && f[0].starts_with("epoch=")
            && f[0].len() == 9
            && ["train_loss=", "train_acc=", "val_loss=", "val_acc="]
                .iter()
                .zip(&f[1..])
                .all(|(k, v)| v.starts_with(k) && v[k.len()..].len() == 6)
    };
    assert!(lines.iter().all(|l| re(l)), "chapter format:\n{out}");
    let last = lines[19];
    assert!(last.starts_with("epoch=020"));
    let val_acc: f64 = last.rsplit('=').next().unwrap().parse().unwrap();
    assert!(val_acc >= 0.99, "chapter run val_acc {val_acc}");
    let run_dir = dir.path().join("checkpoints/scratch-chapter");
    for f in [
        "config.toml",
        "history.csv",
        "curves.svg",
        "best.safetensors",
        "last.safetensors",
    ] {
        assert!(run_dir.join(f).is_file(), "missing {f}");
    }
}

#[test]
fn same_seed_gives_identical_history() {
    let dir = workdir();
    for out in ["a", "b"] {
        let (ok, _, err) = run(
            dir.path(),
            &["train", "-c", "configs/circle.toml", "--out", out, "-q"],
        );
        assert!(ok, "{err}");
    }
    let a = history_without_seconds(&dir.path().join("a"));
    assert_eq!(a.len(), 21);
    assert_eq!(a, history_without_seconds(&dir.path().join("b")));
    let (ok, _, _) = run(
        dir.path(),
        &[
            "train",
            "-c",
            "configs/circle.toml",
            "--out",
            "c",
            "-q",
            "--set",
            "seed=43",
        ],
    );
    assert!(ok);
    assert_ne!(
        a,
        history_without_seconds(&dir.path().join("c")),
        "another seed, other numbers"
    );
}

#[test]
fn resume_reaches_the_same_weights() {
    let dir = workdir();
    let base = [
        "train",
        "-c",
        "configs/moons.toml",
        "-q",
        "--set",
        "train.epochs=6",
    ];
    let (ok, _, err) = run(dir.path(), &[&base[..], &["--out", "full"]].concat());
    assert!(ok, "{err}");
    let short = [
        "train",
        "-c",
        "configs/moons.toml",
        "-q",
        "--set",
        "train.epochs=3",
        "--out",
        "part",
    ];
    assert!(run(dir.path(), &short).0);
    let resume = [
        &base[..],
        &["--out", "part", "--resume", "part/last.safetensors"],
    ]
    .concat();
    let (ok, _, err) = run(dir.path(), &resume);
    assert!(ok, "{err}");
    let full = std::fs::read(dir.path().join("full/last.safetensors")).unwrap();
    let part = std::fs::read(dir.path().join("part/last.safetensors")).unwrap();
    let tensors = |b: &[u8]| {
        let st = safetensors_header(b);
        st.into_iter()
            .filter(|(n, _)| n.starts_with("net.") || n.starts_with("optim."))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        tensors(&full),
        tensors(&part),
        "weights and optimizer state after resume"
    );
    assert_eq!(
        history_without_seconds(&dir.path().join("full")),
        history_without_seconds(&dir.path().join("part"))
    );
}

/// Tensor names and raw bytes of a safetensors file (enough to compare two files exactly).
fn safetensors_header(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let data = &bytes[8 + n..];
    let mut out = Vec::new();
    for (name, info) in header.as_object().unwrap() {
        if name == "__metadata__" {
            continue;
        }
        let off = info["data_offsets"].as_array().unwrap();
        let (a, b) = (
            off[0].as_u64().unwrap() as usize,
            off[1].as_u64().unwrap() as usize,
        );
        out.push((name.clone(), data[a..b].to_vec()));
    }
    out.sort();
    out
}

#[test]
fn penguins_train_eval_predict_on_raw_rows() {
    let dir = workdir();
    let train = [
        "train",
        "-c",
        "configs/circle.toml",
        "--out",
        "peng",
        "-q",
        "--set",
        "data.source=\"csv\"",
    ];
    let extra = [
        "--set",
        "data.path=\"data/penguins.csv\"",
        "--set",
        "data.target=\"species\"",
        "--set",
        "data.scaling=\"standard\"",
        "--set",
        "model.head=\"auto\"",
        "--set",
        "optim.lr=0.1",
        "--set",
        "data.split={train=0.7, val=0.15, test=0.15}",
    ];
    let (ok, _, err) = run(dir.path(), &[&train[..], &extra[..]].concat());
    assert!(ok, "{err}");
    assert!(dir.path().join("peng/test_metrics.json").is_file());
    let (ok, out, err) = run(
        dir.path(),
        &["eval", "--checkpoint", "peng/best.safetensors"],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("test split") && out.to_lowercase().contains("accuracy"),
        "{out}"
    );
    let rows =
        "species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year\n\
                Adelie,Torgersen,39.1,18.7,181,3750,male,2007\n\
                Gentoo,Biscoe,NA,15.0,220,5000,female,2008\n\
                Chinstrap,Atlantis,49.0,18.5,195,3700,,2009\n";
    write(dir.path(), "raw.csv", rows);
    let (ok, out, err) = run(
        dir.path(),
        &[
            "predict",
            "--checkpoint",
            "peng/best.safetensors",
            "--input",
            "raw.csv",
        ],
    );
    assert!(ok, "{err}");
    // The unseen category is warned about with where it is: the file's line, the output's row.
    assert!(
        err.contains("('Atlantis'), first on line 4 (output row 3); encoded as all zeros"),
        "unseen category warned about: {err}"
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "row,predicted,prob_Adelie,prob_Chinstrap,prob_Gentoo"
    );
    assert_eq!(lines.len(), 4);
    assert!(lines[1].starts_with("1,Adelie,"), "{out}");
    for l in &lines[1..] {
        let p: f64 = l
            .split(',')
            .skip(2)
            .map(|v| v.parse::<f64>().unwrap())
            .sum();
        assert!((p - 1.0).abs() < 1e-5, "probabilities sum to 1: {l}");
    }
    let (ok, _, _) = run(
        dir.path(),
        &[
            "predict",
            "--checkpoint",
            "peng/best.safetensors",
            "--input",
            "raw.csv",
            "--output",
            "pred.csv",
        ],
    );
    assert!(ok);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("pred.csv")).unwrap(),
        out
    );
}

#[test]
fn gradcheck_passes_for_the_chapter_model_and_a_deeper_one() {
    let dir = workdir();
    let (ok, out, err) = run(dir.path(), &["gradcheck"]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("net.0.weight") && out.contains("net.2.bias"),
        "{out}"
    );
    // A progress line per tensor, with its size: 2→32→1 has 64 + 32 + 32 + 1 elements.
    let sizes: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("relative error"))
        .filter_map(|l| l.split('(').nth(1)?.split(" elements").next())
        .collect();
    assert_eq!(sizes, ["64", "32", "32", "1"], "{out}");
    let deeper = [
        "gradcheck",
        "-c",
        "configs/spirals.toml",
        "--set",
        "model.activation=\"tanh\"",
        "--set",
        "model.dropout=0.2",
    ];
    let (ok, out, err) = run(dir.path(), &deeper);
    assert!(ok, "{out}{err}");
    assert!(out.contains("all ") && out.contains("within"), "{out}");
}

#[test]
fn log_grad_norms_prints_one_line_per_epoch() {
    let dir = workdir();
    let args = [
        "train",
        "--out",
        "g",
        "--log-grad-norms",
        "--set",
        "train.epochs=3",
    ];
    let (ok, out, err) = run(dir.path(), &args);
    assert!(ok, "{err}");
    let all = format!("{out}{err}");
    let n = all
        .lines()
        .filter(|l| l.contains("net.0.weight") && l.contains("grad"))
        .count();
    assert_eq!(n, 3, "{all}");
}

/// The tabular defaults of `--csv` are not the user's keys: turning early stopping off warns
/// about the patience the user set, not about the defaults' `min_delta` and `restore_best`.
#[test]
fn the_tabular_defaults_keys_are_not_warned_about() {
    let dir = workdir();
    let csv = repo().join("data/penguins.csv");
    let csv = csv.to_string_lossy();
    let mut args = vec![
        "train", "-q", "--out", "k", "--csv", &csv, "--target", "species",
    ];
    args.extend([
        "--set",
        "train.epochs=1",
        "--set",
        "train.early_stopping.enabled=false",
    ]);
    args.extend(["--set", "train.early_stopping.patience=5"]);
    let (ok, _out, err) = run(dir.path(), &args);
    assert!(ok, "{err}");
    assert_eq!(err.matches("has no effect").count(), 1, "{err}");
    assert!(
        err.contains("config key 'train.early_stopping.patience' has no effect"),
        "{err}"
    );
}

#[test]
fn a_key_without_effect_is_warned_about_and_not_recorded() {
    let dir = workdir();
    let args = [
        "train",
        "-q",
        "--out",
        "k",
        "--set",
        "train.epochs=1",
        "--set",
        "data.path=\"data/penguins.csv\"",
        "--set",
        "optim.betas=[0.8, 0.9]",
    ];
    let (ok, _out, err) = run(dir.path(), &args);
    assert!(ok, "{err}");
    for (key, why) in [
        ("data.path", "with data.source = \"circle\""),
        ("optim.betas", "with optim.name = \"sgd\""),
    ] {
        assert!(
            err.contains(&format!("config key '{key}' has no effect {why}")),
            "{key}: {err}"
        );
    }
    // Standard error is a pipe here: plain text, no terminal colour codes, each warning a line
    // in the form predict's take.
    let warned = |l: &str| l.starts_with("warning: config key 'data.path' has no effect");
    assert!(
        err.lines().any(warned) && !err.contains('\u{1b}'),
        "{err:?}"
    );
    let saved = std::fs::read_to_string(dir.path().join("k/config.toml")).unwrap();
    assert!(
        !saved.contains("path") && !saved.contains("betas"),
        "{saved}"
    );
    assert!(
        saved.contains("lr = 0.5"),
        "the keys that count are kept: {saved}"
    );
}
