//! The column schema saved with the model: it round-trips through a checkpoint and gives the
//! same features (hence identical predictions) on the raw file; a checkpoint written before
//! the schema existed still loads; predict-time reading names a missing column and lists
//! extra ones in one line; numbers encoded piecewise-linearly (`data.piecewise_bins`) on the
//! shipped penguins table keep their training quantiles through a checkpoint.

mod checkpoint_fixture;

use common::checkpoint::Checkpoint;
use common::config::{Config, Source};
use common::data::{self, csv as csvdata};
use common::preprocess::{InputColumn, Preprocessor};
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

    let read = csvdata::read_for_predict_noting(&path, &back, &Default::default()).unwrap();
    let (frame, note) = (read.frame, read.note);
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
    let read = csvdata::read_for_predict_noting(&rows, &p.pre, &Default::default()).unwrap();
    let (frame, note) = (read.frame, read.note);
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

/// The quantile edges the encoding must have: the lower `i / bins` quantiles of the column's
/// non-missing values on `rows` of the file (read here without the crate's reader), repeats
/// collapsed.
fn train_quantiles(text: &str, column: &str, rows: &[usize], bins: usize) -> Vec<f64> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = header.iter().position(|h| *h == column).unwrap();
    let cells: Vec<&str> = lines.map(|l| l.split(',').nth(at).unwrap()).collect();
    let mut v: Vec<f64> = rows.iter().filter_map(|&r| cells[r].parse().ok()).collect();
    v.sort_by(f64::total_cmp);
    let mut edges: Vec<f64> = (0..=bins).map(|i| v[i * (v.len() - 1) / bins]).collect();
    edges.dedup();
    edges
}

#[test]
fn piecewise_linear_numbers_keep_their_train_quantiles_through_a_checkpoint() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let csv = root.join("data/penguins.csv");
    let sets = [
        format!("data.path={:?}", csv.display().to_string()),
        "data.piecewise_bins=8".to_string(),
    ];
    let cfg = Config::load(&root.join("configs/penguins.toml"), &sets).unwrap();
    let p = data::prepare(&cfg).unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut width = 0;
    for c in &p.pre.columns {
        match c {
            InputColumn::Numeric { name, bins, .. } => {
                let want = train_quantiles(&text, name, &p.split.train, 8);
                assert_eq!(bins, &want, "{name}: edges from the training rows");
                width += bins.len() - 1;
            }
            InputColumn::Categorical { categories, .. } => width += categories.len(),
            InputColumn::Embedded { .. } => width += 1,
        }
    }
    // Four measurements in 8 bins each, the year's three values in 2; island, sex one-hot.
    assert_eq!(width, 4 * 8 + 2 + 3 + 2);
    assert_eq!(p.n_features(), width);
    assert_eq!(p.pre.schema.n_features(), width);
    let report = p.pre.schema.report();
    assert!(
        report.contains("piecewise-linear, 8 bins of train quantiles")
            && report.contains("piecewise-linear, 2 bins of train quantiles"),
        "{report}"
    );
    let names = p.pre.feature_names();
    let at = names
        .iter()
        .position(|n| n == "bill_length_mm#bin0")
        .unwrap();
    assert_eq!(names[at + 7], "bill_length_mm#bin7");

    let dir = tempfile::tempdir().unwrap();
    let mut ckpt = checkpoint_fixture::checkpoint(false);
    ckpt.meta.preprocessing = p.pre.clone();
    // The fixture's head has two classes; the columns are what is tested here.
    ckpt.meta.preprocessing.class_names.truncate(2);
    let file = dir.path().join("best.safetensors");
    ckpt.save(&file).unwrap();
    let back = Checkpoint::load(&file).unwrap().meta.preprocessing;
    assert_eq!(back.columns, p.pre.columns);
    assert_eq!(back.schema, p.pre.schema);
    let frame = csvdata::read_for_predict(&csv, &back).unwrap();
    let (x, _) = back.transform(&frame, &p.split.test).unwrap();
    assert_eq!(x, p.test.x);
    // Weighted by the bins' widths, a row's features give back its value (the encoding loses
    // nothing a standardized number had): bill_length_mm, test rows.
    let bill = back
        .input_names()
        .iter()
        .position(|n| *n == "bill_length_mm");
    let Some(InputColumn::Numeric { bins, fill, .. }) = bill.map(|i| &back.columns[i]) else {
        panic!("bill_length_mm is numeric")
    };
    let cells: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    for (row, &r) in x.rows().into_iter().zip(&p.split.test) {
        let value = cells[r].parse().unwrap_or(*fill);
        let back: f64 = (0..8)
            .map(|t| f64::from(row[at + t]) * (bins[t + 1] - bins[t]))
            .sum::<f64>()
            + bins[0];
        assert!(
            (back - value).abs() < 1e-4 * value.abs(),
            "row {r}: {back} vs {value}"
        );
    }
}

#[test]
fn numbers_not_encoded_piecewise_write_no_bins_key() {
    // Checkpoints of runs without `data.piecewise_bins` keep their bytes.
    let dir = tempfile::tempdir().unwrap();
    let p = data::prepare(&config(&raw(dir.path()))).unwrap();
    let json = serde_json::to_string(&p.pre).unwrap();
    assert!(
        !json.contains("bins") && !json.contains("piecewise"),
        "{json}"
    );
}

#[test]
fn piecewise_columns_choose_the_numbers_to_encode_and_name_a_wrong_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let csv = root.join("data/penguins.csv");
    let load = |columns: &str| {
        let sets = [
            format!("data.path={:?}", csv.display().to_string()),
            "data.piecewise_bins=8".to_string(),
            format!("data.piecewise_columns={columns}"),
            r#"data.drop=["flipper_length_mm"]"#.to_string(),
        ];
        let cfg = Config::load(&root.join("configs/penguins.toml"), &sets).unwrap();
        data::prepare(&cfg)
    };
    let p = load(r#"["body_mass_g"]"#).unwrap();
    assert_eq!(p.pre.piecewise_columns(), [("body_mass_g".to_string(), 8)]);
    // Two measurements and the year stay one feature each; island and sex one-hot.
    assert_eq!(p.n_features(), 8 + 3 + 3 + 2);
    assert!(p.notes.is_empty(), "{:?}", p.notes);
    for (bad, what) in [
        ("island", "is categorical"),
        ("species", "is the target"),
        ("flipper_length_mm", "is excluded (listed in data.drop)"),
        ("wing_mm", "is not a column of the file"),
    ] {
        let err = load(&format!("[{bad:?}]")).unwrap_err().to_string();
        let have = "the numeric inputs are: bill_length_mm, bill_depth_mm, body_mass_g, year";
        assert!(
            err.contains("data.piecewise_columns")
                && err.contains(&format!("column '{bad}' {what}"))
                && err.contains(have),
            "{err}"
        );
    }
}
