//! Black-box tests of the shipped datasets and the synthetic generators through
//! `data::load` / `data::prepare`: penguins (3 classes, NA imputed, one-hot), breast cancer,
//! digits (1797 × 64, 10 classes), the chapter's circle balance, predict-time parity and speed.

use common::config::{Config, Scaling, Source, SplitConfig};
use common::data::{self, csv as csvdata, ColumnValues};
use common::schema::Kind;
use std::path::PathBuf;
use std::time::Instant;

fn shipped(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

fn csv_config(file: &str, target: &str) -> Config {
    let mut cfg = Config::default();
    cfg.data.source = Source::Csv;
    cfg.data.path = Some(shipped(file));
    cfg.data.target = Some(target.into());
    cfg
}

#[test]
fn penguins_three_classes_imputed_one_hot() {
    let cfg = csv_config("penguins.csv", "species");
    let ds = data::load(&cfg).unwrap();
    assert_eq!(ds.class_names, ["Adelie", "Chinstrap", "Gentoo"]);
    assert_eq!(ds.frame.n_rows, 344);
    let ColumnValues::Text(bill) = &ds.frame.column("bill_length_mm").unwrap().values else {
        panic!("bill_length_mm is read as raw text")
    };
    assert!(
        bill.iter().any(|v| v == "NA"),
        "penguins has NA bill lengths"
    );

    let p = data::prepare(&cfg).unwrap();
    let kind = |name: &str| p.pre.schema.column(name).unwrap().kind;
    assert_eq!(kind("island"), Kind::Categorical);
    assert_eq!(kind("bill_length_mm"), Kind::Numeric);
    assert!(p.pre.schema.column("bill_length_mm").unwrap().missing > 0);
    let names = p.pre.feature_names();
    for f in [
        "island=Biscoe",
        "island=Dream",
        "island=Torgersen",
        "sex=female",
        "sex=male",
        "year",
    ] {
        assert!(names.contains(&f.to_string()), "{f} not in {names:?}");
    }
    assert_eq!(p.n_features(), names.len());
    assert_eq!(p.n_classes(), 3);
    for xy in [&p.train, &p.val] {
        assert!(xy.x.iter().all(|v| v.is_finite()), "NA must be imputed");
    }
    // Standardized on train: every numeric train feature has mean ≈ 0.
    let j = names.iter().position(|n| n == "bill_length_mm").unwrap();
    let mean = p.train.x.column(j).sum() / p.train.x.nrows() as f32;
    assert!(mean.abs() < 1e-4, "train mean {mean}");
    // Each island one-hot row has exactly one 1 (island has no NA).
    let isl: Vec<usize> = (0..names.len())
        .filter(|&k| names[k].starts_with("island="))
        .collect();
    for row in p.train.x.rows() {
        assert_eq!(isl.iter().map(|&k| row[k]).sum::<f32>(), 1.0);
    }
}

#[test]
fn predict_time_features_equal_training_features() {
    let cfg = csv_config("penguins.csv", "species");
    let p = data::prepare(&cfg).unwrap();
    // Reread the raw file the way `predict` does (target ignored, columns typed by the model).
    let frame = csvdata::read_for_predict(&shipped("penguins.csv"), &p.pre).unwrap();
    let (x, warnings) = p.pre.transform(&frame, &p.split.val).unwrap();
    assert_eq!(x, p.val.x);
    assert!(warnings.is_empty(), "{warnings:?}");
    let (_, labels) = csvdata::read_labeled_for_predict(&shipped("penguins.csv"), &p.pre).unwrap();
    let labels = labels.expect("the file has the target column");
    assert_eq!(
        p.split.val.iter().map(|&r| labels[r]).collect::<Vec<_>>(),
        p.val.y
    );
}

#[test]
fn breast_cancer_binary_imbalanced_stratified() {
    let mut cfg = csv_config("breast_cancer.csv", "diagnosis");
    cfg.data.split = SplitConfig {
        train: 0.6,
        val: 0.2,
        test: 0.2,
    };
    let p = data::prepare(&cfg).unwrap();
    assert_eq!(p.class_names, ["benign", "malignant"]);
    assert_eq!(p.n_features(), 30);
    assert_eq!(p.train.x.nrows() + p.val.x.nrows() + p.test.x.nrows(), 569);
    let share = |y: &[usize]| y.iter().sum::<usize>() as f64 / y.len() as f64;
    for part in [&p.train.y, &p.val.y, &p.test.y] {
        assert!(
            (share(part) - 212.0 / 569.0).abs() < 0.01,
            "malignant share {}",
            share(part)
        );
    }
}

#[test]
fn digits_1797_by_64_ten_classes() {
    let mut cfg = Config::default();
    cfg.data.source = Source::Digits;
    let p = data::prepare(&cfg).unwrap();
    assert_eq!(p.train.x.nrows() + p.val.x.nrows(), 1797);
    assert_eq!(p.n_features(), 64);
    assert_eq!(p.n_classes(), 10);
    assert_eq!(p.class_names[9], "9");
    assert_eq!(p.image_shape, Some([1, 8, 8]));
    assert_eq!(p.pre.image_shape, Some([1, 8, 8]));
    assert_eq!(p.pre.feature_names()[8], "pixel_1_0");
    // Standard scaling: the always-blank corner pixel stays 0 (std 1), others have unit std.
    assert!(p.train.x.column(0).iter().all(|&v| v == 0.0));
    let col = p.train.x.column(20);
    let m = col.sum() / col.len() as f32;
    let sd = (col.iter().map(|v| (v - m) * (v - m)).sum::<f32>() / col.len() as f32).sqrt();
    assert!((sd - 1.0).abs() < 1e-3, "std {sd}");
}

#[test]
fn circle_has_the_chapters_balance() {
    let p = data::prepare(&Config::default()).unwrap();
    let all: Vec<usize> = p.train.y.iter().chain(&p.val.y).copied().collect();
    assert_eq!(all.len(), 2000);
    let pos = all.iter().sum::<usize>() as f64 / 2000.0;
    // P(x0² + x1² > 1) for a 2-D standard normal is e^{-1/2} ≈ 0.607.
    assert!((pos - (-0.5f64).exp()).abs() < 0.03, "positives {pos}");
    let tr = p.train.y.iter().sum::<usize>() as f64 / p.train.y.len() as f64;
    assert!(
        (tr - pos).abs() < 0.002,
        "stratified train share {tr} vs {pos}"
    );
}

#[test]
fn two_million_rows_prepare() {
    let mut cfg = Config::default();
    cfg.data.n = 2_000_000;
    cfg.data.scaling = Scaling::Standard; // exercise the whole fit/transform path
    let t = Instant::now();
    let p = data::prepare(&cfg).unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(p.train.x.dim(), (1_600_000, 2));
    assert_eq!(p.val.x.nrows(), 400_000);
    // Timing is reported, never asserted (benchmarks measure speed; tests check results).
    eprintln!("circle n=2e6 prepare: {secs:.3}s");
}
