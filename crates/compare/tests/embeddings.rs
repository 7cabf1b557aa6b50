//! Embedding tables (`model.embeddings`) across the two routes and PyTorch: f64 parity of every
//! step of an epoch (≤ 1e-10) with some examples reading the reserved row of unseen levels;
//! checkpoints that load in the other backend and, through `scripts/interop.py`, in a PyTorch
//! module with `nn.ModuleDict` of `nn.Embedding`s (`load_state_dict(strict=True)`); and
//! `"auto"` on a table with a 40-level column, whose vocabulary is saved in the checkpoint and
//! whose unseen levels `predict` reads through row 0; fine-tuning, which keeps the pretrained
//! tables (saying that `model.embeddings` is unused) or, refitted without them, refuses the
//! file's stray table; and `compare` on two columns, one embedded (no boundary plot).

use std::path::{Path, PathBuf};
use std::process::Command;

use common::app::{predict, train, PredictArgs, TrainArgs};
use common::checkpoint::Checkpoint;
use common::config::Config;
use common::data::prepare;
use common::init::initial_params;
use common::preprocess::InputColumn;
use common::seed::Rng;
use compare::factory::ScratchFactory;
use compare::parity::{check_steps, F64_TOLERANCE};
use compare::side::{self, CompareOptions};
use rand::{Rng as _, SeedableRng};
use torch::DeviceChoice;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shipped penguins config with both categorical columns embedded (island in 3 dims, sex
/// in 2), the data path made absolute.
fn penguins(sets: &[&str]) -> Config {
    let data = workspace().join("data/penguins.csv");
    let mut all = vec![
        "model.embeddings={ island = 3, sex = 2 }".to_string(),
        format!("data.path={:?}", data.display().to_string()),
    ];
    all.extend(sets.iter().map(|s| s.to_string()));
    Config::load(&workspace().join("configs/penguins.toml"), &all).unwrap()
}

#[test]
fn f64_parity_of_every_step_with_unseen_rows() {
    let cfg = penguins(&[]);
    let mut data = prepare(&cfg).unwrap();
    let spec = data.spec(&cfg).unwrap();
    assert_eq!(
        spec.describe(),
        "7→emb10→32→16→3 relu, dropout 0.1, softmax"
    );
    // Every seventh example reads island's reserved row, every fifth sex's: what a level
    // unseen in training does (PyTorch's padding_idx: zeros, no gradient).
    let n = data.pre.n_features();
    for (i, mut row) in data.train.x.rows_mut().into_iter().enumerate() {
        if i % 7 == 0 {
            row[n - 2] = 0.0;
        }
        if i % 5 == 0 {
            row[n - 1] = 0.0;
        }
    }
    let init = initial_params(&spec, &cfg);
    let r = check_steps(&cfg, &data, &spec, &init, F64_TOLERANCE, None).unwrap();
    let epoch = data.train.y.len().div_ceil(cfg.train.batch_size);
    assert_eq!(r.steps, epoch);
    assert_eq!(r.worst.len(), 2 + 2 * spec.params().len(), "{:?}", r.worst);
    assert!(r.max() <= F64_TOLERANCE, "{}", r.render());
    println!(
        "{}: {} steps, max relative error {:.2e}",
        spec.describe(),
        r.steps,
        r.max()
    );
    let rendered = r.render();
    assert!(rendered.contains("grad emb.island.weight"), "{rendered}");
}

/// The project's Python (`.venv/bin/python`, or `$TWIN_NETS_VENV/bin/python`).
fn python() -> PathBuf {
    let venv =
        std::env::var_os("TWIN_NETS_VENV").map_or_else(|| workspace().join(".venv"), PathBuf::from);
    let py = venv.join("bin/python");
    assert!(
        py.is_file(),
        "{} not found: run `source scripts/libtorch.sh` (or `make setup`) first",
        py.display()
    );
    py
}

fn write_csv(path: &Path, m: &ndarray::Array2<f32>) {
    let rows: Vec<String> = m
        .rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .map(|v| format!("{v:?}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    std::fs::write(path, rows.join("\n") + "\n").unwrap();
}

#[test]
fn checkpoints_load_in_the_other_backend_and_in_pytorch_strictly() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = penguins(&["train.epochs=8"]);
    let opts = CompareOptions {
        out: dir.path().join("cmp"),
        device: DeviceChoice::Cpu,
        quiet: true,
        overwrite: false,
    };
    let c = side::run(&cfg, &opts).unwrap();
    let features = dir.path().join("features.csv");
    // Some rows read the reserved row: PyTorch must give the same logits there too.
    let mut x = c.eval_xy().x.clone();
    let n = x.ncols();
    for (i, mut row) in x.rows_mut().into_iter().enumerate() {
        if i % 4 == 0 {
            row[n - 2] = 0.0;
        }
    }
    write_csv(&features, &x);
    for s in &c.sides {
        let ckpt = s.dir.join("best.safetensors");
        let loaded = Checkpoint::load(&ckpt).unwrap();
        let names: Vec<String> = loaded.model_tensors().into_iter().map(|(n, _)| n).collect();
        assert_eq!(&names[..2], ["emb.island.weight", "emb.sex.weight"]);
        // Ours, on the same rows, from this checkpoint loaded in each backend.
        for factory in [
            &ScratchFactory as &dyn common::app::BackendFactory,
            &compare::factory::torch_factory(DeviceChoice::Cpu),
        ] {
            let logits = logits_of(factory, &loaded, &x);
            let expected = dir
                .path()
                .join(format!("{}-in-{}.csv", s.name, factory.name()));
            write_csv(&expected, &logits);
            let out = Command::new(python())
                .arg(workspace().join("scripts/interop.py"))
                .arg(&ckpt)
                .args([&features, &expected])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "interop.py on {}: {text}", s.name);
            let rows = x.nrows();
            assert!(
                text.contains(&format!("{rows}/{rows} predictions identical")),
                "{text}"
            );
        }
    }
}

/// Logits of `ckpt`'s model, loaded into a backend of `factory`, on `x`.
fn logits_of(
    factory: &dyn common::app::BackendFactory,
    ckpt: &Checkpoint,
    x: &ndarray::Array2<f32>,
) -> ndarray::Array2<f32> {
    let m = &ckpt.meta;
    let empty = common::data::XY {
        x: ndarray::Array2::zeros((0, x.ncols())),
        y: Vec::new(),
    };
    let args = common::app::BuildArgs {
        spec: &m.spec,
        params: &ckpt.model_tensors(),
        cfg: &m.config,
        train: &empty,
        pre: &m.preprocessing,
    };
    factory.build(&args).unwrap().logits(x).unwrap()
}

/// A table of 900 shoppers: `store` (40 levels, each with its own effect on buying), `visits`
/// (a count), `spend` (real amounts) and `region` (3 levels); the target `bought` is yes/no.
fn shoppers(path: &Path) {
    let mut rng = Rng::seed_from_u64(2026);
    let effect: Vec<f64> = (0..40).map(|_| rng.gen_range(-2.2..2.2)).collect();
    let mut text = String::from("store,visits,spend,region,bought\n");
    for _ in 0..900 {
        let s = rng.gen_range(0..40usize);
        let visits = rng.gen_range(0..17u32);
        let spend: f64 = rng.gen_range(3.17..412.9);
        let region = ["north", "south", "east"][rng.gen_range(0..3usize)];
        let z = effect[s] + 0.11 * f64::from(visits) - spend / 350.0 + rng.gen_range(-0.8..0.8);
        let bought = if z > 0.0 { "yes" } else { "no" };
        text.push_str(&format!(
            "store{s:02},{visits},{spend:.2},{region},{bought}\n"
        ));
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn auto_embeds_a_many_level_column_saves_its_vocabulary_and_reads_unseen_levels() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("shoppers.csv");
    shoppers(&csv);
    let out = dir.path().join("run");
    let args = TrainArgs {
        csv: Some(csv.clone()),
        target: Some("bought".into()),
        set: vec!["model.embeddings=\"auto\"".into(), "train.epochs=30".into()],
        out: Some(out.clone()),
        quiet: true,
        ..TrainArgs::default()
    };
    train(&ScratchFactory, &args).unwrap();
    let ckpt = Checkpoint::load(&out.join("best.safetensors")).unwrap();
    // store (40 levels ≥ 16) is embedded in round(1.6·40^0.56) = 13 dimensions; region (3)
    // stays one-hot.
    let pre = &ckpt.meta.preprocessing;
    let store = pre.columns.iter().find_map(|c| match c {
        InputColumn::Embedded {
            name,
            categories,
            dim,
            key,
            ..
        } if name == "store" => Some((categories.len(), *dim, key.clone())),
        _ => None,
    });
    assert_eq!(store, Some((40, 13, "store".to_string())));
    assert!(pre
        .columns
        .iter()
        .any(|c| matches!(c, InputColumn::Categorical { name, .. } if name == "region")));
    let tensors = ckpt.model_tensors();
    let table = &tensors
        .iter()
        .find(|(n, _)| n == "emb.store.weight")
        .unwrap()
        .1;
    assert_eq!(table.shape, [41, 13]);
    let schema = std::fs::read_to_string(out.join("schema.txt")).unwrap();
    assert!(
        schema.contains("embedding emb.store, 41 rows × 13"),
        "{schema}"
    );
    // New rows: a store never seen, a missing store (→ the most frequent), a known one.
    let rows = dir.path().join("new.csv");
    std::fs::write(
        &rows,
        "store,visits,spend,region\nstore99,3,120.5,north\n,3,120.5,north\nstore07,3,120.5,north\n",
    )
    .unwrap();
    let (features, warnings) = {
        let frame = common::data::csv::read_for_predict(&rows, pre).unwrap();
        pre.transform(&frame, &[0, 1, 2]).unwrap()
    };
    let last = features.ncols() - 1;
    assert_eq!(features[[0, last]], 0.0, "unseen → the reserved row 0");
    assert_eq!(features[[2, last]], 8.0, "store07 is the 8th level → row 8");
    assert!(
        features[[1, last]] >= 1.0,
        "missing → the training mode, a real row"
    );
    assert_eq!(
        warnings,
        ["column 'store': 1 row with 1 value not seen in training ('store99'); read as row 0 of \
          its embedding table (zeros)"]
    );
    let written = dir.path().join("pred.csv");
    predict(
        &ScratchFactory,
        &PredictArgs {
            checkpoint: out.clone(),
            input: rows,
            output: Some(written.clone()),
            dialect: Default::default(),
        },
    )
    .unwrap();
    let predicted = std::fs::read_to_string(&written).unwrap();
    assert_eq!(predicted.lines().count(), 4, "{predicted}");
}

#[test]
fn fine_tuning_keeps_or_refuses_the_pretrained_tables_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let data = workspace().join("data/penguins.csv");
    let config = workspace().join("configs/penguins.toml");
    let pre = dir.path().join("pre");
    let args = TrainArgs {
        config: Some(config.clone()),
        set: vec![
            "model.embeddings={ island = 3 }".into(),
            format!("data.path={:?}", data.display().to_string()),
            "train.epochs=2".into(),
        ],
        out: Some(pre.clone()),
        quiet: true,
        ..TrainArgs::default()
    };
    train(&ScratchFactory, &args).unwrap();
    let from = pre.join("best.safetensors");
    let tune = |sets: &[&str]| {
        let mut all = vec![
            format!("model.init_from={:?}", from.display().to_string()),
            format!("data.path={:?}", data.display().to_string()),
        ];
        all.extend(sets.iter().map(|s| s.to_string()));
        Config::load(&config, &all).unwrap()
    };
    // The pretrained preprocessing decides the tables; a different model.embeddings is said to
    // be unused, and the model is the pretrained one's.
    let cfg = tune(&["model.embeddings=\"auto\""]);
    let (data_kept, spec, _) = common::app::starting_point(&cfg, None, true).unwrap();
    assert_eq!(
        spec.describe(),
        "8→emb10→32→16→3 relu, dropout 0.1, softmax"
    );
    assert!(
        data_kept
            .notes
            .iter()
            .any(|n| n.contains("model.embeddings is not used") && n.contains("(island)")),
        "{:?}",
        data_kept.notes
    );
    // Refitted without tables, the file's table has no place in the model: an error naming
    // it, not a silent drop (the one-hot island has the same width, so net.0 would load).
    let cfg = tune(&[
        "model.init_preprocessing=\"refit\"",
        "model.embeddings=\"none\"",
    ]);
    let err = common::app::starting_point(&cfg, None, true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("emb.island.weight"), "{err}");
}

#[test]
fn compare_on_two_columns_one_embedded_skips_the_boundary_plot() {
    // Two inputs, one of them a row of a table: the 2-D decision-boundary plot would sweep the
    // row index as a coordinate (rows that do not exist), so it is left out.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("two.csv");
    let mut rng = Rng::seed_from_u64(5);
    let mut text = String::from("store,spend,bought\n");
    for _ in 0..400 {
        let s = rng.gen_range(0..20usize);
        let spend: f64 = rng.gen_range(1.3..97.9);
        let yes = (s % 3 == 0) ^ (spend > 60.0);
        text.push_str(&format!(
            "s{s},{spend:.2},{}\n",
            if yes { "yes" } else { "no" }
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let out = dir.path().join("cmp");
    let status = Command::new(assert_cmd::cargo::cargo_bin("compare"))
        .args(["--quiet", "--out"])
        .arg(&out)
        .args(["--set", "data.source=\"csv\"", "--set", "train.epochs=2"])
        .args([
            "--set",
            "model.embeddings=\"auto\"",
            "--set",
            "data.target=\"bought\"",
        ])
        .arg("--set")
        .arg(format!("data.path={:?}", csv.display().to_string()))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&status.stderr);
    assert!(status.status.success(), "{err}");
    assert!(out.join("report.md").is_file());
    assert!(!out.join("boundary_scratch.svg").exists(), "{err}");
}
