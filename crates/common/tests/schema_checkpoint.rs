//! The column schema saved with the model: it round-trips through a checkpoint and gives the
//! same features (hence identical predictions) on the raw file; a checkpoint written before
//! the schema existed still loads; predict-time reading names a missing column and lists
//! extra ones in one line.

mod checkpoint_fixture;

use common::checkpoint::Checkpoint;
use common::config::{Config, Source};
use common::data::{self, csv as csvdata};
use common::preprocess::Preprocessor;
use common::schema::Kind;
use std::path::{Path, PathBuf};

/// A raw export of 120 rows: a sample ID per row, a date, a measurement with mixed missing
/// tokens, a category.
fn raw(dir: &Path) -> PathBuf {
    let mut text = String::from("sample,date,bill_mm,island,species\n");
    for i in 0..120 {
        let bill = match i % 17 {
            3 => "NA".to_string(),
            8 => "?".to_string(),
            _ => format!(
                "{:.1}",
                36.7 + (i * 13 % 29) as f64 * 0.43 + (i % 3) as f64 * 6.1
            ),
        };
        let island = ["Biscoe", "Dream", "Torgersen"][(i / 3 + i % 3) % 3];
        let species = ["Adelie", "Gentoo"][i % 2];
        let d = i % 28 + 1;
        text.push_str(&format!(
            "PAL-{i:04},2008-11-{d:02},{bill},{island},{species}\n"
        ));
    }
    let path = dir.join("raw.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn config(path: &Path) -> Config {
    let mut cfg = Config::default();
    cfg.data.source = Source::Csv;
    cfg.data.path = Some(path.to_path_buf());
    cfg.data.target = Some("species".into());
    cfg
}

#[test]
fn the_schema_round_trips_through_a_checkpoint_and_gives_the_same_features() {
    let dir = tempfile::tempdir().unwrap();
    let path = raw(dir.path());
    let p = data::prepare(&config(&path)).unwrap();
    let kinds: Vec<Kind> = p.pre.schema.columns.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [
            Kind::Identifier,
            Kind::DateTime,
            Kind::Numeric,
            Kind::Categorical
        ]
    );
    assert_eq!(p.n_features(), 1 + 3);

    let mut ckpt = checkpoint_fixture::checkpoint(false);
    ckpt.meta.preprocessing = p.pre.clone();
    let file = dir.path().join("best.safetensors");
    ckpt.save(&file).unwrap();
    let back = Checkpoint::load(&file).unwrap().meta.preprocessing;
    assert_eq!(back, p.pre);
    assert_eq!(back.schema.report(), p.pre.schema.report());

    let (frame, note) =
        csvdata::read_for_predict_noting(&path, &back, &Default::default()).unwrap();
    assert_eq!(
        note, None,
        "dropped columns and the target are known, not extra"
    );
    let (x, warnings) = back.transform(&frame, &p.split.test).unwrap();
    assert_eq!(x, p.test.x);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn a_checkpoint_from_before_the_schema_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let p = data::prepare(&config(&raw(dir.path()))).unwrap();
    let mut json = serde_json::to_value(&p.pre).unwrap();
    json.as_object_mut().unwrap().remove("schema");
    let old: Preprocessor = serde_json::from_value(json).unwrap();
    assert_eq!(old.columns, p.pre.columns);
    assert!(old.schema.columns.is_empty());
    assert!(old.schema.na_values().iter().any(|v| v == "NA"));
}

#[test]
fn predict_time_reading_names_missing_and_extra_columns() {
    let dir = tempfile::tempdir().unwrap();
    let p = data::prepare(&config(&raw(dir.path()))).unwrap();
    let rows = dir.path().join("new.csv");
    std::fs::write(
        &rows,
        "ring,island,bill_mm,colour\nR1,Dream,n/a,red\nR2,Mars,41.3,blue\n",
    )
    .unwrap();
    let (frame, note) =
        csvdata::read_for_predict_noting(&rows, &p.pre, &Default::default()).unwrap();
    let note = note.expect("extra columns are named");
    assert!(
        note.ends_with("ignoring 2 columns the model does not use: ring, colour"),
        "{note}"
    );
    let (x, warnings) = p.pre.transform(&frame, &[0, 1]).unwrap();
    assert!(x.iter().all(|v| v.is_finite()), "n/a is missing, imputed");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("column 'island': 1 row with 1 value not seen"),
        "{warnings:?}"
    );

    std::fs::write(&rows, "island\nDream\n").unwrap();
    let err = csvdata::read_for_predict(&rows, &p.pre)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("column 'bill_mm'") && err.contains("missing column"),
        "{err}"
    );
}
