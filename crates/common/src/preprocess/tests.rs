//! Unit tests of [`super`] (`preprocess.rs`), kept in their own file to keep the module short.
use super::*;
use crate::frame::Column;

fn frame() -> Frame {
    let num = vec![1.0, f64::NAN, 3.0, 5.0, 100.0];
    let cat = ["b", "a", "b", "", "zz"]
        .map(|s| (!s.is_empty()).then(|| s.to_string()))
        .to_vec();
    Frame {
        columns: vec![
            Column {
                name: "n".into(),
                values: ColumnValues::Numeric(num),
            },
            Column {
                name: "c".into(),
                values: ColumnValues::Categorical(cat),
            },
        ],
        n_rows: 5,
    }
}

fn csv_cfg() -> DataConfig {
    DataConfig {
        source: Source::Csv,
        target: Some("y".into()),
        ..DataConfig::default()
    }
}

#[test]
fn fit_on_train_rows_only() {
    let pre = Preprocessor::fit(
        &frame(),
        &[0, 1, 2, 3],
        &csv_cfg(),
        &["p".into(), "q".into()],
    )
    .unwrap();
    let InputColumn::Numeric {
        fill, mean, std, ..
    } = &pre.columns[0]
    else {
        panic!("numeric")
    };
    assert_eq!((*fill, *mean), (3.0, 3.0));
    // Imputed train values 1, 3, 3, 5: population std √2.
    assert!((std - 2f64.sqrt()).abs() < 1e-12);
    assert_eq!(
        pre.columns[1],
        InputColumn::Categorical {
            name: "c".into(),
            categories: vec!["a".into(), "b".into()],
            fill: "b".into()
        }
    );
    assert_eq!(pre.feature_names(), ["n", "c=a", "c=b"]);
    assert_eq!(pre.target.as_deref(), Some("y"));
}

#[test]
fn transform_imputes_scales_one_hots_and_warns() {
    let f = frame();
    let pre = Preprocessor::fit(&f, &[0, 1, 2, 3], &csv_cfg(), &[]).unwrap();
    let (x, warnings) = pre.transform(&f, &[1, 3, 4]).unwrap();
    let s = 2f64.sqrt();
    assert_eq!(x.row(0).to_vec(), [0.0, 1.0, 0.0]);
    assert_eq!(x.row(1).to_vec(), [(2.0 / s) as f32, 0.0, 1.0]);
    assert_eq!(x.row(2).to_vec(), [(97.0 / s) as f32, 0.0, 0.0]);
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("'c'") && warnings[0].contains("'zz'"),
        "{warnings:?}"
    );
}

#[test]
fn no_scaling_for_synthetic_and_constant_columns() {
    let f = Frame {
        columns: vec![Column {
            name: "k".into(),
            values: ColumnValues::Numeric(vec![0.1; 4]),
        }],
        n_rows: 4,
    };
    let pre = Preprocessor::fit(&f, &[0, 1, 2, 3], &csv_cfg(), &[]).unwrap();
    let InputColumn::Numeric { std, .. } = &pre.columns[0] else {
        panic!("numeric")
    };
    assert_eq!(*std, 1.0);
    let synth = Preprocessor::fit(&frame(), &[0, 2], &DataConfig::default(), &[]).unwrap();
    let (x, _) = synth.transform(&frame(), &[4]).unwrap();
    assert_eq!(x[[0, 0]], 100.0);
    assert_eq!(synth.target, None);
}

#[test]
fn transform_errors_name_the_column() {
    let pre = Preprocessor::fit(&frame(), &[0], &csv_cfg(), &[]).unwrap();
    let mut f = frame();
    f.columns.swap(0, 1);
    f.columns[0].name = "n".into();
    f.columns[1].name = "c".into();
    let err = pre.transform(&f, &[0]).unwrap_err().to_string();
    assert!(err.contains("'n'") || err.contains("'c'"), "{err}");
    f.columns.truncate(1);
    assert!(pre.transform(&f, &[0]).is_err());
    assert!(pre.transform(&frame(), &[5]).is_err());
}

#[test]
fn piecewise_notes_name_columns_left_whole_and_a_kept_pretrained_encoding() {
    let f = Frame {
        columns: vec![
            Column {
                name: "flag".into(),
                values: ColumnValues::Numeric(vec![0.0, 1.0, 0.0, 1.0, 1.0, 0.0]),
            },
            Column {
                name: "dose".into(),
                values: ColumnValues::Numeric(vec![0.5, 1.5, 2.5, 3.5, 4.5, 5.5]),
            },
        ],
        n_rows: 6,
    };
    let cfg = DataConfig {
        piecewise_bins: 4,
        piecewise_columns: vec!["flag".into(), "dose".into()],
        ..csv_cfg()
    };
    let pre = Preprocessor::fit(&f, &[0, 1, 2, 3, 4, 5], &cfg, &[]).unwrap();
    assert_eq!(pre.piecewise_columns(), [("dose".to_string(), 4)]);
    let notes = piecewise_notes(&cfg, false, &pre);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].starts_with("data: flag (data.piecewise_columns) stay one feature"));
    // Fine-tuned with the pretrained preprocessing: the keys are said to be unused.
    let kept = piecewise_notes(&cfg, true, &pre);
    assert!(
        kept[0].contains("not used") && kept[0].contains("(dose)"),
        "{kept:?}"
    );
    let plain = DataConfig::default();
    assert!(piecewise_notes(&plain, true, &pre).is_empty());
    assert!(piecewise_notes(&plain, false, &pre).is_empty());
}
