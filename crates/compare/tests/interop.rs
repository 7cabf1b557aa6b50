//! Interop: a checkpoint written by either backend (the `best.safetensors` of a real run)
//! loads in the other with the same predictions, and in plain PyTorch through
//! `scripts/interop.py` (`safetensors.torch.load_file` into an `nn.Sequential`). On the
//! shipped `configs/penguins.toml`, `predict` (the command both binaries run) gives the same
//! classes and probabilities from either backend's checkpoint in either backend, on the raw
//! example rows (missing values, an unseen category) and on the whole data file. A PyTorch
//! `state_dict` is a starting point (`model.init_from`, see `interop_support/state_dict.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;

use common::app::{predict, train, BackendFactory, BuildArgs, PredictArgs, TrainArgs};
use common::checkpoint::Checkpoint;
use common::config::{Config, InitScheme, ModelKind, Source};
use common::data::csv::read_for_predict;
use common::data::XY;
use common::metrics::predictions;
use compare::factory::{torch_factory, ScratchFactory};
use compare::side::{self, CompareOptions, Comparison};
use ndarray::Array2;
use torch::DeviceChoice;

#[path = "interop_support/state_dict.rs"]
mod state_dict;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Both backends trained on `cfg` into `dir` (quietly).
fn trained(cfg: &Config, dir: &Path) -> Comparison {
    let opts = CompareOptions {
        out: dir.to_path_buf(),
        device: DeviceChoice::Cpu,
        quiet: true,
        overwrite: false,
    };
    side::run(cfg, &opts).unwrap()
}

fn cnn() -> Config {
    let mut cfg = Config::default();
    cfg.data.source = Source::Digits;
    cfg.model.kind = ModelKind::Cnn;
    cfg.model.channels = vec![4];
    cfg.model.hidden = vec![8];
    cfg.model.init = InitScheme::Pytorch;
    cfg.optim.lr = 0.05;
    cfg.train.epochs = 1;
    cfg
}

/// Logits of `ckpt`'s model, loaded into a backend of `factory`, on `x`.
fn logits_in(factory: &dyn BackendFactory, ckpt: &Checkpoint, x: &Array2<f32>) -> Array2<f32> {
    let m = &ckpt.meta;
    let empty = XY {
        x: Array2::zeros((0, x.ncols())),
        y: Vec::new(),
    };
    let mut backend = factory
        .build(&BuildArgs {
            spec: &m.spec,
            params: &ckpt.model_tensors(),
            cfg: &m.config,
            train: &empty,
            pre: &m.preprocessing,
        })
        .unwrap();
    backend.logits(x).unwrap()
}

fn max_abs(a: &Array2<f32>) -> f32 {
    a.iter().fold(0.0f32, |m, v| m.max(v.abs()))
}

/// Each backend's best checkpoint, loaded into the other backend, predicts what it predicted.
fn assert_cross_loading(c: &Comparison) {
    let torch = torch_factory(DeviceChoice::Cpu);
    let factories: [&dyn BackendFactory; 2] = [&ScratchFactory, &torch];
    let x = &c.eval_xy().x;
    for (i, side) in c.sides.iter().enumerate() {
        let ckpt = Checkpoint::load(&side.dir.join("best.safetensors")).unwrap();
        assert_eq!(ckpt.meta.backend, side.name);
        let other = factories[1 - i];
        let theirs = logits_in(other, &ckpt, x);
        let ours = &side.eval_logits;
        let head = c.spec.head;
        assert_eq!(
            predictions(&theirs, head),
            predictions(ours, head),
            "{} → {}",
            side.name,
            other.name()
        );
        let diff = (&theirs - ours).mapv(f32::abs);
        let bound = 1e-5 * max_abs(ours).max(1.0);
        assert!(
            max_abs(&diff) <= bound,
            "{} → {}: max |Δlogit| {}",
            side.name,
            other.name(),
            max_abs(&diff)
        );
    }
}

#[test]
fn mlp_checkpoints_load_in_the_other_backend_with_identical_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::default();
    cfg.train.epochs = 3;
    assert_cross_loading(&trained(&cfg, dir.path()));
}

#[test]
fn cnn_checkpoints_load_in_the_other_backend_with_identical_predictions() {
    let dir = tempfile::tempdir().unwrap();
    assert_cross_loading(&trained(&cnn(), dir.path()));
}

/// `train` (the code of both binaries' `train` command) on `configs/penguins.toml` for
/// `epochs` epochs into `out`, the data path made absolute (tests run in the crate's folder).
fn train_penguins(factory: &dyn BackendFactory, epochs: usize, out: &Path) {
    let data = workspace().join("data/penguins.csv");
    let args = TrainArgs {
        config: Some(workspace().join("configs/penguins.toml")),
        set: vec![
            format!("train.epochs={epochs}"),
            format!("data.path={:?}", data.display().to_string()),
        ],
        out: Some(out.to_path_buf()),
        quiet: true,
        ..TrainArgs::default()
    };
    train(factory, &args).unwrap_or_else(|e| panic!("{} train: {e}", factory.name()));
}

/// One `predict` output: `(predicted class, probabilities)` per row.
type Predictions = Vec<(String, Vec<f64>)>;

/// Runs `predict` (the code of both binaries' `predict` command) with `factory` and parses the
/// CSV it writes.
fn predicted(factory: &dyn BackendFactory, ckpt: &Path, input: &Path, out: &Path) -> Predictions {
    predict(
        factory,
        &PredictArgs {
            checkpoint: ckpt.to_path_buf(),
            input: input.to_path_buf(),
            output: Some(out.to_path_buf()),
            dialect: Default::default(),
        },
    )
    .unwrap_or_else(|e| panic!("{} predict {}: {e}", factory.name(), input.display()));
    let text = std::fs::read_to_string(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("row,predicted,prob_Adelie,prob_Chinstrap,prob_Gentoo")
    );
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            let probs = cells[2..].iter().map(|p| p.parse().unwrap()).collect();
            (cells[1].to_string(), probs)
        })
        .collect()
}

#[test]
fn penguins_checkpoints_predict_the_same_in_both_backends_from_raw_rows() {
    let dir = tempfile::tempdir().unwrap();
    let torch = torch_factory(DeviceChoice::Cpu);
    let factories: [&dyn BackendFactory; 2] = [&ScratchFactory, &torch];
    let inputs = [
        workspace().join("examples/penguins_rows.csv"),
        workspace().join("data/penguins.csv"),
    ];
    for trainer in factories {
        let run = dir.path().join(format!("{}-penguins", trainer.name()));
        train_penguins(trainer, 5, &run);
        let ckpt = run.join("best.safetensors");
        let loaded = Checkpoint::load(&ckpt).unwrap();
        assert_eq!(loaded.meta.backend, trainer.name());
        let pre = &loaded.meta.preprocessing;
        for input in &inputs {
            let stem = input.file_stem().unwrap().to_string_lossy();
            // What a user sees: `predict`'s CSV (probabilities printed to 6 decimals).
            let [a, b] = factories.map(|f| {
                let out = dir
                    .path()
                    .join(format!("{}-{}-{stem}.csv", trainer.name(), f.name()));
                predicted(f, &ckpt, input, &out)
            });
            let rows = std::fs::read_to_string(input).unwrap().lines().count() - 1;
            assert_eq!((a.len(), b.len()), (rows, rows), "{stem}");
            for (i, ((ca, pa), (cb, pb))) in a.iter().zip(&b).enumerate() {
                let what = format!("{} checkpoint, {stem} row {}", trainer.name(), i + 1);
                assert_eq!(ca, cb, "{what}: predicted class");
                for (x, y) in pa.iter().zip(pb) {
                    // One unit of the sixth decimal: f32 rounding can tip the printed digit.
                    assert!((x - y).abs() <= 1.000_1e-6, "{what}: {pa:?} vs {pb:?}");
                }
            }
            // Underneath: the logits of both backends on the same preprocessed rows.
            let frame = read_for_predict(input, pre).unwrap();
            let all: Vec<usize> = (0..frame.n_rows).collect();
            let (x, _) = pre.transform(&frame, &all).unwrap();
            let [la, lb] = factories.map(|f| logits_in(f, &loaded, &x));
            let diff = max_abs(&(&la - &lb));
            assert!(
                diff <= 1e-5 * max_abs(&la).max(1.0),
                "{} checkpoint on {stem}: max |Δlogit| {diff}",
                trainer.name()
            );
        }
    }
}

/// The project's Python (`.venv/bin/python`, or `$TWIN_NETS_VENV/bin/python`).
fn python() -> PathBuf {
    let venv =
        std::env::var_os("TWIN_NETS_VENV").map_or_else(|| workspace().join(".venv"), PathBuf::from);
    let py = venv.join("bin/python");
    assert!(
        py.is_file(),
        "{} not found: the interop test needs the project's virtual environment with torch and \
         safetensors; run `source scripts/libtorch.sh` (or `make setup`) first",
        py.display()
    );
    py
}

fn write_csv(path: &Path, m: &Array2<f32>) {
    let mut text = String::new();
    for row in m.rows() {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:?}")).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// Runs scripts/interop.py on each backend's checkpoint against that backend's logits.
fn assert_python_reproduces(c: &Comparison, dir: &Path) {
    let features = dir.join("features.csv");
    write_csv(&features, &c.eval_xy().x);
    for side in &c.sides {
        let expected = dir.join(format!("logits_{}.csv", side.name));
        write_csv(&expected, &side.eval_logits);
        let out = Command::new(python())
            .arg(workspace().join("scripts/interop.py"))
            .arg(side.dir.join("best.safetensors"))
            .args([&features, &expected])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "interop.py on {}: {stdout}{stderr}",
            side.name
        );
        let n = c.eval_xy().y.len();
        assert!(
            stdout.contains(&format!("{n}/{n} predictions identical")),
            "{stdout}"
        );
    }
}

#[test]
fn pytorch_nn_sequential_reproduces_our_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::default();
    cfg.train.epochs = 2;
    let mlp = trained(&cfg, &dir.path().join("mlp"));
    assert_python_reproduces(&mlp, dir.path());
    let cnn = trained(&cnn(), &dir.path().join("cnn"));
    assert_python_reproduces(&cnn, dir.path());
}

#[test]
fn interop_script_refuses_a_foreign_or_mismatched_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::default();
    cfg.train.epochs = 1;
    let c = trained(&cfg, dir.path());
    let features = dir.path().join("features.csv");
    write_csv(&features, &c.eval_xy().x);
    // Logits of another model: the script must say they differ, not pass.
    let wrong = dir.path().join("wrong.csv");
    write_csv(&wrong, &c.sides[0].eval_logits.mapv(|v| v + 0.5));
    let ckpt = c.sides[0].dir.join("best.safetensors");
    let out = Command::new(python())
        .arg(workspace().join("scripts/interop.py"))
        .arg(&ckpt)
        .args([&features, &wrong])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A file that is not a checkpoint at all.
    let out = Command::new(python())
        .arg(workspace().join("scripts/interop.py"))
        .arg(&features)
        .arg(&features)
        .output()
        .unwrap();
    assert!(!out.status.success());
}
