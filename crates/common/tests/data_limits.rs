//! The CSV loader's size limits (`common::data::limits`), each hit through the public loaders:
//! the file size (512 MiB, refused before reading), the header width (65,536 columns), the
//! encoded features at training time (an identifier column one-hot encoded) and at predict
//! time (250 million values). Each refusal is an `Error::Data` naming the file and saying
//! which limit, with its value, was exceeded; one below the limit still loads. The cell limit
//! (20 million) is hit by `data::table::tests::the_cell_limit_names_the_first_line_over_it`
//! with the limit lowered, since reaching the real one holds about 1 GB of strings.

use std::fs::File;
use std::path::{Path, PathBuf};

use common::config::DataConfig;
use common::data::csv::{load, read_for_predict};
use common::data::limits::{MAX_COLUMNS, MAX_CSV_BYTES, MAX_FEATURE_VALUES};
use common::preprocess::{InputColumn, Preprocessor};
use common::Error;

/// A data config reading label column `y`.
fn target_y() -> DataConfig {
    DataConfig {
        target: Some("y".into()),
        ..DataConfig::default()
    }
}

/// Writes `text` to `dir/name` and returns the path.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Asserts `err` is a data error on `path` at `row` whose one-line message contains every
/// needle.
fn assert_data_error(err: &Error, path: &Path, row: Option<usize>, needles: &[&str]) {
    let text = err.to_string();
    match err {
        Error::Data {
            path: p, row: r, ..
        } => {
            assert_eq!(p, path, "{text}");
            assert_eq!(*r, row, "{text}");
        }
        other => panic!("expected a data error, got {other:?}"),
    }
    let name = path.file_name().unwrap().to_string_lossy();
    assert!(
        text.contains(name.as_ref()),
        "the file is not named: {text}"
    );
    for n in needles {
        assert!(text.contains(n), "'{n}' not in: {text}");
    }
}

#[test]
fn a_file_over_512_mib_is_refused_before_reading_at_train_and_predict_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.csv");
    // A sparse file: its size is over the limit, yet it takes no disk space.
    let f = File::create(&path).unwrap();
    f.set_len(MAX_CSV_BYTES + 1).unwrap();
    drop(f);
    let needles = [
        "the file is 536870913 bytes",
        "more than the limit of 536870912",
    ];
    let err = load(&path, &target_y()).unwrap_err();
    assert_data_error(&err, &path, None, &needles);
    let pre = Preprocessor {
        columns: vec![],
        target: None,
        class_names: vec!["a".into(), "b".into()],
        image_shape: None,
        schema: Default::default(),
        image: None,
    };
    let err = read_for_predict(&path, &pre).unwrap_err();
    assert_data_error(&err, &path, None, &needles);
}

/// A header of `n` columns `c1..c{n-1},y` and two data rows (classes `a` and `b`).
fn wide_csv(n: usize) -> String {
    let mut header: Vec<String> = (1..n).map(|i| format!("c{i}")).collect();
    header.push("y".into());
    let row = |label: &str| {
        let mut cells = vec!["1"; n - 1];
        cells.push(label);
        cells.join(",")
    };
    format!("{}\n{}\n{}\n", header.join(","), row("a"), row("b"))
}

#[test]
fn a_header_of_65536_columns_loads_and_one_more_is_refused_naming_row_1() {
    let dir = tempfile::tempdir().unwrap();
    let ok = write(dir.path(), "wide_ok.csv", &wide_csv(MAX_COLUMNS));
    let ds = load(&ok, &target_y()).unwrap();
    assert_eq!(
        ds.frame.columns.len(),
        MAX_COLUMNS - 1,
        "every feature column"
    );
    let bad = write(dir.path(), "wide_bad.csv", &wide_csv(MAX_COLUMNS + 1));
    let err = load(&bad, &target_y()).unwrap_err();
    assert_data_error(
        &err,
        &bad,
        Some(1),
        &[
            "the header has 65537 columns",
            "more than the limit of 65536",
        ],
    );
}

#[test]
fn a_column_that_one_hot_encoding_would_blow_up_is_named() {
    // 16,000 rows with a distinct id each. The schema drops such an identifier by itself; a
    // user who declares it categorical asks for 16,000 × (16,000 categories + 1 number)
    // features = 256 million values, over the limit of 250 million.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("id,x,y\n");
    for i in 0..16_000 {
        // `x` is a measurement, not the row's number (which the schema drops as an identifier).
        text.push_str(&format!("row{i},{},{}\n", 3 * i, ["a", "b"][i % 2]));
    }
    let path = write(dir.path(), "ids.csv", &text);
    let mut cfg = common::config::Config {
        data: DataConfig {
            source: common::config::Source::Csv,
            path: Some(path.clone()),
            categorical: vec!["id".into()],
            ..target_y()
        },
        ..Default::default()
    };
    let err = common::data::prepare(&cfg).unwrap_err();
    assert_data_error(
        &err,
        &path,
        None,
        &[
            "16000 rows × 16001 features",
            "exceed the limit of 250000000 values",
            "column 'id' alone has 16000 categories",
            "data.drop",
        ],
    );
    // Read through an embedding table, the same column is one feature: the file loads.
    cfg.model.embeddings = toml::from_str::<toml::Table>("e = { id = 4 }").unwrap()["e"]
        .clone()
        .try_into()
        .unwrap();
    let p = common::data::prepare(&cfg).unwrap();
    assert_eq!(p.n_features(), 2, "x and the row of id's table");
    assert_eq!(p.pre.embedding_tables()[0].dim, 4);
    cfg.model.embeddings = Default::default();
    // Left to the schema, the identifier is dropped and the same file loads.
    cfg.data.categorical.clear();
    let p = common::data::prepare(&cfg).unwrap();
    assert_eq!(p.pre.input_names(), ["x"]);
}

#[test]
fn predict_refuses_more_than_250_million_model_features_and_accepts_the_limit() {
    // A (hostile) checkpoint's preprocessing with 250,000 categories: 1,000 rows make exactly
    // 250 million feature values (allowed), 1,001 rows are over the limit.
    let features = MAX_FEATURE_VALUES / 1000;
    let pre = Preprocessor {
        columns: vec![InputColumn::Categorical {
            name: "code".into(),
            categories: (0..features).map(|i| format!("k{i}")).collect(),
            fill: "k0".into(),
        }],
        target: None,
        class_names: vec!["a".into(), "b".into()],
        image_shape: None,
        schema: Default::default(),
        image: None,
    };
    assert_eq!(pre.n_features(), 250_000);
    let dir = tempfile::tempdir().unwrap();
    let rows = |n: usize| {
        let mut text = String::from("code\n");
        for i in 0..n {
            text.push_str(&format!("k{i}\n"));
        }
        text
    };
    let ok = write(dir.path(), "rows_ok.csv", &rows(1000));
    assert_eq!(read_for_predict(&ok, &pre).unwrap().n_rows, 1000);
    let bad = write(dir.path(), "rows_bad.csv", &rows(1001));
    let err = read_for_predict(&bad, &pre).unwrap_err();
    assert_data_error(
        &err,
        &bad,
        None,
        &[
            "1001 rows × 250000 model features",
            "exceed the limit of 250000000 values",
            "split the file",
        ],
    );
}

#[test]
fn the_limits_are_the_documented_values() {
    // docs/ROBUSTNESS.md's table of limits states these values; a change must update it.
    assert_eq!(MAX_CSV_BYTES, 512 * 1024 * 1024);
    assert_eq!(MAX_COLUMNS, 65_536);
    assert_eq!(MAX_FEATURE_VALUES, 250_000_000);
    assert_eq!(common::data::limits::MAX_CELLS, 20_000_000);
    assert_eq!(common::data::limits::MAX_LINE_BYTES, 1024 * 1024);
}
