//! The history CSV as the epoch loop writes it (`common::fit` rewrites `history.csv` with
//! `HistoryRow::to_csv_line` after every epoch) and as `history::read` reads it back (on
//! resume, for plots and reports): the exact text (header, one shortest-round-trip line per
//! epoch, NaN for an undefined AUC), every bit back, the file complete after each epoch,
//! resume truncation, and errors on damaged files that name the file, row and column.

mod fit_support;

use common::checkpoint::Checkpoint;
use common::fit::{Backend, EpochCtx, FitOptions, HISTORY_FILE, LAST_FILE};
use common::history::{read, HistoryRow, COLUMNS};
use common::{Error, Result};
use fit_support::*;
use std::path::{Path, PathBuf};

/// The text the loop must write for `rows`: the header, then one line per row.
fn expected_text(rows: &[HistoryRow]) -> String {
    let mut text = format!("{}\n", COLUMNS.join(","));
    rows.iter().for_each(|r| text.push_str(&r.to_csv_line()));
    text
}

/// The fields of a row as bit patterns (NaN equal to NaN), for exact comparisons.
fn bits(r: &HistoryRow) -> (usize, [u64; 10]) {
    let floats = [
        r.train_loss,
        r.train_acc,
        r.val_loss,
        r.val_acc,
        r.val_f1,
        r.val_auc,
        r.val_bal_acc,
        r.val_ap,
        r.lr,
        r.seconds,
    ];
    (r.epoch, floats.map(f64::to_bits))
}

/// Toy data whose validation split holds one class only, so that its ROC AUC is undefined
/// (NaN in the history) while the losses and accuracies are ordinary numbers.
fn one_class_val_data() -> common::data::Prepared {
    let mut data = toy_data(48, 3);
    data.val.y.iter_mut().for_each(|y| *y = 0);
    data
}

/// Runs `epochs` epochs of the test backend into `dir` (resuming from `resume` if given),
/// saving every epoch (`train.save_interval_s = 0`), watching the history file; returns the
/// rows the loop reported and the texts it saw.
fn watched_run(
    dir: &Path,
    epochs: usize,
    resume: Option<PathBuf>,
) -> Result<(Vec<HistoryRow>, Vec<Option<String>>)> {
    watched_run_saving_every(dir, epochs, resume, 0.0)
}

/// [`watched_run`] with the given `train.save_interval_s`.
fn watched_run_saving_every(
    dir: &Path,
    epochs: usize,
    resume: Option<PathBuf>,
    interval: f64,
) -> Result<(Vec<HistoryRow>, Vec<Option<String>>)> {
    let (mut cfg, data, spec) = (config(epochs), one_class_val_data(), linear_spec(2, 3));
    cfg.train.save_interval_s = interval;
    // The history file (text, or `None` when absent) at the start of every epoch.
    let (history, mut seen) = (dir.join(HISTORY_FILE), Vec::new());
    let mut b = Wrapped {
        inner: SoftmaxReg::new(&data, &cfg, 1),
        name: "test",
        train: |inner: &mut SoftmaxReg, order: &[usize], ctx: &EpochCtx| {
            seen.push(std::fs::read_to_string(&history).ok());
            inner.train_epoch(order, ctx)
        },
    };
    let opts = FitOptions {
        resume,
        ..options(dir)
    };
    let outcome = run_fit(&mut b, &cfg, &spec, &data, &opts)?;
    drop(b);
    Ok((outcome.history, seen))
}

#[test]
fn the_loop_writes_a_header_and_one_round_trip_line_per_epoch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rows, _) = watched_run(dir.path(), 4, None).expect("run");
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r.val_auc.is_nan()), "{rows:?}");
    let text = std::fs::read_to_string(dir.path().join(HISTORY_FILE)).expect("history");
    assert_eq!(
        text.lines().next(),
        Some("epoch,train_loss,train_acc,val_loss,val_acc,val_f1,val_auc,val_bal_acc,val_ap,lr,seconds")
    );
    assert_eq!(text, expected_text(&rows));
    for line in text.lines().skip(1) {
        assert_eq!(line.split(',').nth(6), Some("NaN"), "{line}");
    }
    // Every bit comes back, NaN included.
    let back = read(&dir.path().join(HISTORY_FILE)).expect("read back");
    assert_eq!(
        back.iter().map(bits).collect::<Vec<_>>(),
        rows.iter().map(bits).collect::<Vec<_>>()
    );
    // The atomic rewrite leaves no temporary file behind.
    for entry in std::fs::read_dir(dir.path()).expect("ls") {
        let name = entry.expect("entry").file_name();
        assert!(
            !name.to_string_lossy().contains(".tmp-"),
            "left over: {name:?}"
        );
    }
}

#[test]
fn the_file_holds_every_finished_epoch_when_the_next_one_starts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rows, seen) = watched_run(dir.path(), 4, None).expect("run");
    assert_eq!(seen.len(), 4);
    // A fresh run writes its history with its first epoch's checkpoint: none before.
    assert_eq!(seen[0], None, "history.csv before the first epoch");
    for (epoch, text) in seen.iter().enumerate().skip(1) {
        // Before epoch e+1 trains: the header and exactly the e finished rows.
        assert_eq!(
            text.as_deref(),
            Some(expected_text(&rows[..epoch]).as_str()),
            "history.csv at the start of epoch {}",
            epoch + 1
        );
    }
}

#[test]
fn short_epochs_wait_for_the_save_interval_and_the_last_one_saves_them_all() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A minute between saves: these instant epochs never reach it, so nothing is on disk
    // until the final epoch, which writes every row.
    let (rows, seen) = watched_run_saving_every(dir.path(), 4, None, 60.0).expect("run");
    assert_eq!(seen, vec![None; 4], "no history before the final epoch");
    let text = std::fs::read_to_string(dir.path().join(HISTORY_FILE)).expect("history");
    assert_eq!(text, expected_text(&rows));
    // The same numbers as a run that saves every epoch.
    let every = tempfile::tempdir().expect("tempdir");
    let (rows_every, _) = watched_run(every.path(), 4, None).expect("run");
    // Every number but the epochs' timings.
    let numbers = |rows: &[HistoryRow]| {
        rows.iter()
            .map(|r| bits(r).1[..7].to_vec())
            .collect::<Vec<_>>()
    };
    assert_eq!(numbers(&rows), numbers(&rows_every));
    for file in ["last.safetensors", "best.safetensors"] {
        let load = |d: &Path| Checkpoint::load(&d.join(file)).expect(file);
        let (a, b) = (load(dir.path()), load(every.path()));
        assert_eq!(a.tensors, b.tensors, "{file}");
        assert_eq!(a.meta.train_state, b.meta.train_state, "{file}");
    }
}

#[test]
fn resume_keeps_the_rows_up_to_the_checkpoint_then_writes_the_new_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keep = tempfile::tempdir().expect("tempdir");
    // Two epochs, keep that checkpoint, go on to five; then put the epoch-2 checkpoint back
    // (a history that ran ahead of its checkpoint) and resume from it to three epochs: rows
    // 3..5 of the longer run must go, rows 1 and 2 stay byte for byte.
    let (first, _) = watched_run(dir.path(), 2, None).expect("first run");
    let last = dir.path().join(LAST_FILE);
    let at_two = keep.path().join(LAST_FILE);
    std::fs::copy(&last, &at_two).expect("keep the checkpoint");
    let (long, _) = watched_run(dir.path(), 5, Some(last.clone())).expect("to five");
    assert_eq!(long.len(), 5);
    std::fs::copy(&at_two, &last).expect("put the checkpoint back");
    let (rows, seen) = watched_run(dir.path(), 3, Some(last)).expect("resume from two");
    assert_eq!(rows.iter().map(|r| r.epoch).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(seen, [Some(expected_text(&first))]);
    let text = std::fs::read_to_string(dir.path().join(HISTORY_FILE)).expect("history");
    assert_eq!(text, expected_text(&rows));
    assert!(text.starts_with(&expected_text(&first)), "{text}");
}

#[test]
fn resume_refuses_a_damaged_history_and_leaves_it_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    watched_run(dir.path(), 2, None).expect("run");
    let path = dir.path().join(HISTORY_FILE);
    let text = format!("{}\n1,x,0,0,0,0,0,0,0,0,0\n", COLUMNS.join(","));
    std::fs::write(&path, &text).expect("write");
    let err = watched_run(dir.path(), 3, Some(dir.path().join(LAST_FILE)))
        .expect_err("a damaged history must stop the resume");
    assert!(
        matches!(err, Error::Data { row: Some(2), column: Some(ref c), .. } if c == "train_loss"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
}

/// Writes `text` and returns the error of reading it as a history.
fn read_err(text: &str) -> (Error, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, text).expect("write");
    let err = read(&path).expect_err("bad history must not parse");
    let msg = err.to_string();
    assert!(msg.contains("bad.csv"), "error names the file: {msg}");
    (err, msg)
}

#[test]
fn bad_files_are_errors_naming_file_row_and_column() {
    let header = COLUMNS.join(",");
    let good = HistoryRow {
        epoch: 1,
        train_loss: 0.5,
        train_acc: 0.5,
        val_loss: 0.5,
        val_acc: 0.5,
        val_f1: 0.5,
        val_auc: 0.5,
        val_bal_acc: 0.5,
        val_ap: 0.5,
        lr: 0.1,
        seconds: 0.01,
    }
    .to_csv_line();

    let (err, msg) = read_err(&format!(
        "{header}\n{good}1,0.5,abc,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1\n"
    ));
    assert!(
        matches!(err, Error::Data { row: Some(3), column: Some(ref c), .. } if c == "train_acc"),
        "{msg}"
    );
    assert!(msg.contains("'abc'"), "{msg}");

    let (err, msg) = read_err(&format!("{header}\n1,0.5,0.5\n"));
    assert!(matches!(err, Error::Data { row: Some(2), .. }), "{msg}");
    assert!(msg.contains("expected 11 fields"), "{msg}");

    let (err, msg) = read_err(&format!("{header}\n-1,{}", &good[2..]));
    assert!(
        matches!(err, Error::Data { column: Some(ref c), .. } if c == "epoch"),
        "{msg}"
    );

    let (_, msg) = read_err("epoch,loss\n1,0.5\n");
    assert!(msg.contains("not a twin-nets history"), "{msg}");

    let (_, msg) = read_err("");
    assert!(msg.contains("empty"), "{msg}");
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nope.csv");
    let err = read(&path).expect_err("missing");
    assert!(
        matches!(err, Error::Io { .. }) && err.to_string().contains("nope.csv"),
        "{err}"
    );
}

#[test]
fn csv_line_round_trips_awkward_floats() {
    let r = HistoryRow {
        epoch: 12,
        train_loss: 0.1 + 0.2,
        train_acc: 1e-300,
        val_loss: f64::INFINITY,
        val_acc: 1.0,
        val_f1: 0.0,
        val_auc: f64::NAN,
        val_bal_acc: 0.75,
        val_ap: f64::NAN,
        lr: 3.0e-4,
        seconds: 123456789.125,
    };
    let line = r.to_csv_line();
    assert!(
        line.ends_with('\n') && !line.trim_end().contains('\n'),
        "{line:?}"
    );
    let fields: Vec<&str> = line.trim_end().split(',').collect();
    assert_eq!(fields.len(), COLUMNS.len());
    assert_eq!(fields[0], "12");
    assert_eq!(fields[6], "NaN");
    let back: Vec<f64> = fields[1..]
        .iter()
        .map(|f| f.parse().expect("float"))
        .collect();
    assert_eq!(back[0].to_bits(), r.train_loss.to_bits());
    assert_eq!(back[1].to_bits(), r.train_acc.to_bits());
    assert_eq!(back[2], f64::INFINITY);
    assert!(back[5].is_nan());
    assert_eq!(back[9].to_bits(), r.seconds.to_bits());
}

#[test]
fn a_history_written_before_the_balanced_metrics_still_reads() {
    // The nine columns of earlier builds: a run from then resumes; the new columns read NaN.
    let old = "epoch,train_loss,train_acc,val_loss,val_acc,val_f1,val_auc,lr,seconds\n\
               1,0.5,0.75,0.25,0.8,0.7,0.9,0.01,0.125\n";
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("history.csv");
    std::fs::write(&path, old).expect("write");
    let rows = read(&path).expect("an old history reads");
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!((r.val_auc, r.lr, r.seconds), (0.9, 0.01, 0.125));
    assert!(r.val_bal_acc.is_nan() && r.val_ap.is_nan(), "{r:?}");
}
