//! Unit tests of `data::csv`.

use super::*;
use std::io::Write;

fn write(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
    let path = dir.path().join("d.csv");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path
}

fn cfg(target: &str) -> DataConfig {
    DataConfig {
        target: Some(target.into()),
        ..DataConfig::default()
    }
}

#[test]
fn numeric_labels_sort_numerically() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "x,y\n1,10\n2,2\n3,10\n4,1\n");
    let ds = load(&p, &cfg("y")).unwrap();
    assert_eq!(ds.class_names, ["1", "2", "10"]);
    assert_eq!(ds.labels, [2, 1, 2, 0]);
}

#[test]
fn columns_stay_raw_text_and_drop_leaves_them_out() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "year,id,island,y\n2007,1,A,a\n2008,2,,b\n");
    let mut c = cfg("y");
    c.drop = vec!["id".into()];
    let ds = load(&p, &c).unwrap();
    assert_eq!(ds.frame.names(), ["year", "island"]);
    assert_eq!(
        ds.frame.columns[1].values,
        ColumnValues::Text(vec!["A".into(), "".into()])
    );
    assert_eq!(ds.lines, [2, 3]);
}

#[test]
fn labeled_predict_maps_labels_and_rejects_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "x,y\n1,a\n2,b\n");
    let pre = Preprocessor {
        columns: vec![InputColumn::Numeric {
            name: "x".into(),
            fill: 0.0,
            mean: 0.0,
            std: 1.0,
            bins: Vec::new(),
        }],
        target: Some("y".into()),
        class_names: vec!["a".into(), "b".into()],
        image_shape: None,
        schema: Default::default(),
        image: None,
    };
    let (frame, labels) = read_labeled_for_predict(&p, &pre).unwrap();
    assert_eq!(frame.n_rows, 2);
    assert_eq!(labels, Some(vec![0, 1]));
    let p = write(&dir, "y,x\nc,1\n");
    let err = read_labeled_for_predict(&p, &pre).unwrap_err().to_string();
    assert!(err.contains("row 2") && err.contains("'c'"), "{err}");
}
