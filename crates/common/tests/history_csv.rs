//! Black-box tests of `common::history`: the CSV round trip (NaN included), resume truncation,
//! and errors on damaged files that name the file, row and column.

use common::history::{read, HistoryRow, HistoryWriter, COLUMNS};
use common::Error;
use std::path::Path;

fn row(epoch: usize) -> HistoryRow {
    let e = epoch as f64;
    HistoryRow {
        epoch,
        train_loss: 1.0 / (e + 0.3),
        train_acc: 0.5 + e / 97.0,
        val_loss: 1.1 / (e + 0.7),
        val_acc: 0.45 + e / 89.0,
        val_f1: 0.4 + e / 83.0,
        val_auc: if [2, 4, 6].contains(&epoch) {
            f64::NAN
        } else {
            0.6 + e / 71.0
        },
        lr: 0.5 * 0.9f64.powi(epoch as i32),
        seconds: 0.001 * e + 1e-9,
    }
}

/// Rows compared field by field, NaN equal to NaN (bit patterns), since NaN != NaN.
fn same(a: &HistoryRow, b: &HistoryRow) -> bool {
    let f = |r: &HistoryRow| {
        [
            r.train_loss,
            r.train_acc,
            r.val_loss,
            r.val_acc,
            r.val_f1,
            r.val_auc,
            r.lr,
            r.seconds,
        ]
        .map(f64::to_bits)
    };
    a.epoch == b.epoch && f(a) == f(b)
}

fn write_rows(path: &Path, rows: &[HistoryRow]) {
    let mut w = HistoryWriter::create(path).expect("create");
    for r in rows {
        w.append(r).expect("append");
    }
}

#[test]
fn round_trip_keeps_every_bit_and_nan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("run/history.csv");
    let rows: Vec<HistoryRow> = (1..=6).map(row).collect();
    write_rows(&path, &rows);
    let text = std::fs::read_to_string(&path).expect("read text");
    assert_eq!(text.lines().next(), Some(COLUMNS.join(",").as_str()));
    assert_eq!(
        COLUMNS.join(","),
        "epoch,train_loss,train_acc,val_loss,val_acc,val_f1,val_auc,lr,seconds"
    );
    assert!(
        text.lines().nth(2).is_some_and(|l| l.contains("NaN")),
        "{text}"
    );
    let back = read(&path).expect("read back");
    assert_eq!(back.len(), rows.len());
    assert!(back.iter().zip(&rows).all(|(a, b)| same(a, b)));
}

#[test]
fn create_truncates_an_old_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("history.csv");
    write_rows(&path, &(1..=4).map(row).collect::<Vec<_>>());
    write_rows(&path, &[row(1)]);
    assert_eq!(read(&path).expect("read").len(), 1);
}

#[test]
fn resume_keeps_rows_up_to_the_checkpoint_epoch_then_appends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("history.csv");
    write_rows(&path, &(1..=5).map(row).collect::<Vec<_>>());
    let mut w = HistoryWriter::resume(&path, 3).expect("resume");
    let mut redo = row(4);
    redo.train_loss = 42.0;
    w.append(&redo).expect("append after resume");
    let back = read(&path).expect("read");
    assert_eq!(
        back.iter().map(|r| r.epoch).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert!(same(&back[2], &row(3)));
    assert_eq!(back[3].train_loss, 42.0);
    let entries = std::fs::read_dir(dir.path()).expect("ls").count();
    assert_eq!(entries, 1, "the atomic rewrite leaves no temporary file");
}

#[test]
fn resume_without_a_file_starts_a_new_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fresh/history.csv");
    let mut w = HistoryWriter::resume(&path, 7).expect("resume creates");
    w.append(&row(8)).expect("append");
    assert_eq!(read(&path).expect("read").len(), 1);
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
    let good = row(1).to_csv_line();

    let (err, msg) = read_err(&format!(
        "{header}\n{good}1,0.5,abc,0.1,0.1,0.1,0.1,0.1,0.1\n"
    ));
    assert!(
        matches!(err, Error::Data { row: Some(3), column: Some(ref c), .. } if c == "train_acc"),
        "{msg}"
    );
    assert!(msg.contains("'abc'"), "{msg}");

    let (err, msg) = read_err(&format!("{header}\n1,0.5,0.5\n"));
    assert!(matches!(err, Error::Data { row: Some(2), .. }), "{msg}");
    assert!(msg.contains("expected 9 fields"), "{msg}");

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
fn resume_refuses_a_damaged_history_and_leaves_it_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("history.csv");
    let text = format!("{}\n1,x,0,0,0,0,0,0,0\n", COLUMNS.join(","));
    std::fs::write(&path, &text).expect("write");
    assert!(HistoryWriter::resume(&path, 1).is_err());
    assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
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
        lr: 3.0e-4,
        seconds: 123456789.125,
    };
    let line = r.to_csv_line();
    let fields: Vec<&str> = line.trim_end().split(',').collect();
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
    assert_eq!(back[7].to_bits(), r.seconds.to_bits());
}
