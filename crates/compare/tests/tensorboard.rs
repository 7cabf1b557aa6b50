//! TensorBoard event files, read back with TensorBoard's own code (the `tensorboard` package
//! of the project's venv, through `scripts/tensorboard_check.py`): a real run on the shipped
//! breast-cancer config says in its event file what its `history.csv` says (f32), with its
//! `--set` keys and seed as hparams and the config as text; a resumed run over an event file
//! that a killed process left with later steps and a torn record has one value per step; a
//! torn or corrupt file keeps its whole records; the masked CRC is TensorBoard's; and the real
//! TensorBoard server, on the loopback address, serves both backends of a comparison.

mod tensorboard_support;

use std::path::{Path, PathBuf};

use common::app::{train, TrainArgs};
use common::checkpoint::Checkpoint;
use common::config::Config;
use common::fit::{
    BEST_FILE, CONFIG_FILE, EVENTS_FILE, GRAD_NORM_PREFIX, HISTORY_FILE, SAMPLES_PER_SEC_TAG,
};
use common::tensorboard::record::{self, Stop};
use common::tensorboard::{self as tb, EventWriter};
use compare::factory::ScratchFactory;
use compare::side::{self, CompareOptions};
use tensorboard_support::*;
use torch::DeviceChoice;

/// Trains the scratch backend on configs/breast_cancer.toml for `epochs` epochs into `out`,
/// with gradient norms, as `scratch train --set ...` would.
fn train_breast_cancer(out: &Path, epochs: usize, resume: Option<PathBuf>) {
    train_with(out, epochs, resume, &[]).unwrap();
}

fn train_with(
    out: &Path,
    epochs: usize,
    resume: Option<PathBuf>,
    extra: &[&str],
) -> common::Result<()> {
    let data = workspace().join("data/breast_cancer.csv");
    let mut set = vec![
        format!("data.path={}", data.display()),
        format!("train.epochs={epochs}"),
        "optim.lr=0.003".into(),
    ];
    set.extend(extra.iter().map(|s| s.to_string()));
    let args = TrainArgs {
        config: Some(workspace().join("configs/breast_cancer.toml")),
        set,
        out: Some(out.to_path_buf()),
        resume,
        quiet: true,
        log_grad_norms: true,
        ..TrainArgs::default()
    };
    train(&ScratchFactory, &args)
}

#[test]
fn the_switch_turns_it_off_and_is_validated() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    train_with(&run, 1, None, &["train.tensorboard=false"]).unwrap();
    assert!(run.join(HISTORY_FILE).is_file() && !run.join(EVENTS_FILE).exists());
    let config = std::fs::read_to_string(run.join(CONFIG_FILE)).unwrap();
    assert!(config.contains("tensorboard = false"), "{config}");
    // The event file changes no number, and a default run's config does not name the switch:
    // its checkpoints are byte for byte what they were before the switch existed.
    let on = dir.path().join("on");
    train_with(&on, 1, None, &[]).unwrap();
    let on_config = std::fs::read_to_string(on.join(CONFIG_FILE)).unwrap();
    assert!(!on_config.contains("tensorboard"), "{on_config}");
    assert_eq!(config.replace("tensorboard = false\n", ""), on_config);
    let last = |d: &Path| {
        Checkpoint::load(&d.join("last.safetensors"))
            .unwrap()
            .tensors
    };
    assert_eq!(last(&on), last(&run));
    let without_time = |d: &Path| {
        let mut r = rows(d);
        r.iter_mut().for_each(|r| r.seconds = 0.0);
        r
    };
    assert_eq!(without_time(&on), without_time(&run));
    // Turned on again when resuming: the epoch trained without it is written from the history.
    train_with(&run, 2, Some(run.join("last.safetensors")), &[]).unwrap();
    matches_history(&dump(&run), &rows(&run)).unwrap();
    let err = train_with(&dir.path().join("bad"), 1, None, &["train.tensorboard=yes"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("train.tensorboard"), "{err}");
}

#[test]
fn a_run_event_file_says_what_its_history_says() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    train_breast_cancer(&run, 4, None);
    let d = dump(&run);
    let rows = rows(&run);
    assert_eq!(rows.len(), 4);
    matches_history(&d, &rows).unwrap();

    // The checker catches a planted fault: one value off by one f32 step, a duplicated step.
    let mut bad = d.clone();
    let v = bad["scalars"]["loss/val"][2][1].as_f64().unwrap() as f32;
    bad["scalars"]["loss/val"][2][1] = f64::from(f32::from_bits(v.to_bits() + 1)).into();
    assert!(matches_history(&bad, &rows)
        .unwrap_err()
        .contains("loss/val"));
    let mut dup = d.clone();
    dup["raw_steps"]["loss/train"]
        .as_array_mut()
        .unwrap()
        .push(4.into());
    assert!(matches_history(&dup, &rows)
        .unwrap_err()
        .contains("raw steps"));

    let steps = |tag: &str| points(&d, tag).iter().map(|p| p.0).collect::<Vec<_>>();
    assert_eq!(steps(SAMPLES_PER_SEC_TAG), [1, 2, 3, 4]);
    for (row, (_, rate)) in rows.iter().zip(points(&d, SAMPLES_PER_SEC_TAG)) {
        // 60 % of 569 rows, stratified.
        let n = rate * row.seconds;
        assert!((n - 341.0).abs() < 0.01 * 341.0, "{n} samples per epoch");
    }
    assert_eq!(
        steps(&format!("{GRAD_NORM_PREFIX}net.0.weight")),
        [1, 2, 3, 4]
    );

    let hp = hparams(&d);
    let keys: Vec<&str> = hp.keys().map(String::as_str).collect();
    assert_eq!(keys, ["data.path", "optim.lr", "seed", "train.epochs"]);
    // protobuf's JSON form of a `google.protobuf.Value` is the bare value.
    assert_eq!(hp["optim.lr"], 0.003);
    assert_eq!(hp["seed"], 7.0);
    assert_eq!(hp["train.epochs"], 4.0);
    assert!(hp["data.path"]
        .as_str()
        .unwrap()
        .ends_with("breast_cancer.csv"));
    let end = &d["hparams"]["_hparams_/session_end_info"]["sessionEndInfo"];
    assert_eq!(end["status"], "STATUS_SUCCESS");

    let config = std::fs::read_to_string(run.join(CONFIG_FILE)).unwrap();
    let text = d["text"]["config"][0].as_str().unwrap();
    let unindented: Vec<&str> = text.lines().map(|l| l.trim_start_matches("    ")).collect();
    assert_eq!(unindented.join("\n"), config.trim_end());

    let best = Checkpoint::load(&run.join(BEST_FILE)).unwrap().meta;
    let last = rows.last().unwrap().val_loss;
    let as_f32 = |v: f64| f64::from(v as f32);
    assert_eq!(
        points(&d, "metrics/best_val_loss"),
        [(4, as_f32(best.monitor_value))]
    );
    assert_eq!(points(&d, "metrics/final_val_loss"), [(4, as_f32(last))]);

    torn_and_corrupt_files_keep_their_whole_records(&run, dir.path(), d["records"].as_u64());
}

/// Copies of `run`'s event file cut inside a record, or with one bit flipped in a record:
/// TensorBoard's reader and ours read the whole records before it, and nothing after.
fn torn_and_corrupt_files_keep_their_whole_records(run: &Path, tmp: &Path, records: Option<u64>) {
    let bytes = std::fs::read(run.join(EVENTS_FILE)).unwrap();
    let ends: Vec<usize> = tb::read_events(&bytes).iter().map(|e| e.1).collect();
    assert_eq!(Some(ends.len() as u64), records, "every record read");
    assert_eq!(record::read_records(&bytes).1, Stop::Clean);
    let n = ends.len();
    for (k, how) in [(n - 1, "torn"), (3, "torn"), (3, "corrupt")] {
        let copy = tmp.join(format!("{how}-{k}"));
        std::fs::create_dir_all(&copy).unwrap();
        let mut broken = bytes.clone();
        let middle = (ends[k - 1] + ends[k]) / 2;
        if how == "torn" {
            broken.truncate(middle);
        } else {
            broken[middle] ^= 0x01;
        }
        std::fs::write(copy.join(EVENTS_FILE), &broken).unwrap();
        let (found, stop) = record::read_records(&broken);
        assert_eq!(found.len(), k, "{how} at record {k}");
        assert!(stop != Stop::Clean, "{how}: {stop:?}");
        let d = dump(&copy);
        assert_eq!(d["records"].as_u64(), Some(k as u64), "{how} at record {k}");
        // Records 0 and 1 are the header: record k holds epoch k - 1.
        let steps: Vec<u64> = points(&d, "loss/train").iter().map(|p| p.0).collect();
        assert_eq!(steps, (1..k as u64 - 1).collect::<Vec<_>>(), "{how} at {k}");
    }
}

#[test]
fn a_resumed_run_has_one_value_per_step() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    train_breast_cancer(&run, 3, None);
    // What a process killed after epoch 5's events but before its checkpoint would leave:
    // epochs 4 and 5 (with values the resumed run will not reproduce), then a torn record.
    let path = run.join(EVENTS_FILE);
    let len = std::fs::metadata(&path).unwrap().len();
    let mut w = EventWriter::truncate_and_append(&path, len).unwrap();
    for step in [4, 5] {
        let values = vec![tb::scalar("loss/train", 99.0), tb::scalar("loss/val", 99.0)];
        w.append(&[tb::summary(tb::now(), step, values)]).unwrap();
    }
    drop(w);
    let mut torn = Vec::new();
    record::frame_into(&mut torn, b"a record cut short by kill -9");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(&torn[..20]);
    std::fs::write(&path, bytes).unwrap();

    train_breast_cancer(&run, 6, Some(run.join("last.safetensors")));
    let d = dump(&run);
    let rows = rows(&run);
    assert_eq!(rows.len(), 6);
    matches_history(&d, &rows).unwrap();
    let raw = |tag: &str| d["raw_steps"][tag].clone();
    assert_eq!(raw("_hparams_/session_start_info"), serde_json::json!([0]));
    assert_eq!(raw("_hparams_/session_end_info"), serde_json::json!([6]));
    assert_eq!(raw("metrics/best_val_loss"), serde_json::json!([6]));
    // file version + header + 6 epochs + the end: the first session's end is gone too.
    assert_eq!(d["records"], 9);
}

#[test]
fn the_masked_crc_is_tensorboards() {
    let inputs: [&[u8]; 4] = [b"", b"123456789", &[0u8; 8], &[0xff; 300]];
    let hexes: Vec<String> = inputs
        .iter()
        .map(|b| b.iter().map(|x| format!("{x:02x}")).collect())
        .collect();
    let theirs = check_script(&[&["crc".to_string()][..], &hexes].concat());
    let ours: Vec<u32> = inputs.iter().map(|b| record::masked_crc(b)).collect();
    assert_eq!(theirs, serde_json::json!(ours));
}

#[test]
fn tensorboard_serves_both_backends_of_a_comparison_overlaid() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::default();
    cfg.train.epochs = 3;
    let opts = CompareOptions {
        out: dir.path().join("cmp"),
        device: DeviceChoice::Cpu,
        quiet: true,
        overwrite: false,
    };
    side::run(&cfg, &opts).unwrap();
    let pairs: Vec<String> = side::SIDES
        .iter()
        .flat_map(|s| [format!("{s}:loss/train"), format!("{s}:accuracy/val")])
        .collect();
    // One server, one --logdir, both runs; at most 90 s before it gives up and is stopped.
    let args = [
        vec![
            "serve".to_string(),
            opts.out.display().to_string(),
            "90".into(),
        ],
        pairs,
    ]
    .concat();
    let served = check_script(&args);
    // The HParams tab: the seed as hparam, the end-of-run metrics among its columns.
    let experiment = &served["hparams_experiment"];
    let names = |list: &str, field: &str| -> Vec<String> {
        experiment[list]
            .as_array()
            .unwrap_or_else(|| panic!("no {list} in {experiment}"))
            .iter()
            .map(|i| i[field].to_string())
            .collect()
    };
    assert_eq!(names("hparamInfos", "name"), ["\"seed\""], "{experiment}");
    let metrics = names("metricInfos", "name");
    assert!(
        metrics.iter().any(|m| m.contains("metrics/best_val_loss")),
        "{metrics:?}"
    );
    for s in side::SIDES {
        let rows = rows(&opts.out.join(s));
        for (tag, col) in [("loss/train", "train_loss"), ("accuracy/val", "val_acc")] {
            let got: Vec<(u64, f64)> = served[format!("{s}:{tag}")]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[1].as_u64().unwrap(), p[2].as_f64().unwrap()))
                .collect();
            let want: Vec<(u64, f64)> = rows
                .iter()
                .map(|r| (r.epoch as u64, f64::from(column(r, col) as f32)))
                .collect();
            assert_eq!(got, want, "{s} {tag}");
        }
        // The chapter run sets no key: its only hparam is the seed.
        let keys: Vec<String> = hparams(&dump(&opts.out.join(s))).into_keys().collect();
        assert_eq!(keys, ["seed"]);
    }
}

/// Accents survive the whole way from a Windows-1252 file to TensorBoard: the target column
/// renamed `diagnóstico`, the file saved as `cáncer.csv` in Windows-1252 with `;` and decimal
/// commas; the event file's config text and its `data.path` hparam carry them as written.
#[test]
fn accents_from_a_windows_1252_file_reach_the_event_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(workspace().join("data/breast_cancer.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().replace("diagnosis", "diagnóstico");
    // Every field to `;`, every decimal point to a comma (the values hold no commas).
    let body: String = lines
        .map(|l| l.replace(',', ";").replace('.', ",") + "\r\n")
        .collect();
    let latin: Vec<u8> = (header.replace(',', ";") + "\r\n" + &body)
        .chars()
        .map(|c| u8::try_from(u32::from(c)).expect("Latin-1 text"))
        .collect();
    let data = dir.path().join("cáncer.csv");
    std::fs::write(&data, latin).unwrap();
    let run = dir.path().join("run");
    let sets = [
        format!("data.path={}", data.display()),
        "data.target=diagnóstico".to_string(),
        "data.encoding=windows-1252".to_string(),
        "train.epochs=1".to_string(),
    ];
    let args = TrainArgs {
        config: Some(workspace().join("configs/breast_cancer.toml")),
        set: sets.to_vec(),
        out: Some(run.clone()),
        quiet: true,
        ..TrainArgs::default()
    };
    train(&ScratchFactory, &args).unwrap();
    let d = dump(&run);
    let config = d["text"]["config"][0].as_str().unwrap();
    assert!(
        config.contains("target = \"diagnóstico\"")
            && config.contains("encoding = \"windows-1252\""),
        "{config}"
    );
    let hp = hparams(&d);
    assert!(
        hp["data.path"].as_str().unwrap().ends_with("cáncer.csv"),
        "{hp:?}"
    );
    let schema = std::fs::read_to_string(run.join("schema.txt")).unwrap();
    assert!(
        schema.contains("diagnóstico") && schema.contains("decimal comma"),
        "{schema}"
    );
}
