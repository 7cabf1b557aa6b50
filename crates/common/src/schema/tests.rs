//! Unit tests of the schema rules on small tables built here (realistic values: penguin
//! measurements, sample IDs, dates, comments).
use super::*;
use crate::config::{DataConfig, Source};

/// A dataset of text columns read from `path` `t.csv`, every row a training row.
pub(super) fn ds(columns: &[(&str, Vec<String>)]) -> Dataset {
    let n = columns[0].1.len();
    Dataset {
        frame: Frame {
            columns: columns
                .iter()
                .map(|(name, v)| Column {
                    name: name.to_string(),
                    values: ColumnValues::Text(v.clone()),
                })
                .collect(),
            n_rows: n,
        },
        labels: vec![0; n],
        class_names: vec!["a".into(), "b".into()],
        image_shape: None,
        origin: "t.csv".into(),
        path: Some("t.csv".into()),
        lines: (2..n + 2).collect(),
        file_rows: vec![],
        unlabelled_lines: vec![],
        dialect: None,
    }
}

pub(super) fn cfg() -> DataConfig {
    DataConfig {
        source: Source::Csv,
        target: Some("species".into()),
        ..DataConfig::default()
    }
}

pub(super) fn cells(f: impl Fn(usize) -> String, n: usize) -> Vec<String> {
    (0..n).map(f).collect()
}

/// Flipper lengths like the penguins': 172.0 to 231.0 mm.
pub(super) fn flipper(i: usize) -> String {
    format!("{:.1}", 172.0 + ((i * 37) % 59) as f64)
}

pub(super) fn kind_of(
    columns: &[(&str, Vec<String>)],
    train: &[usize],
    c: &DataConfig,
) -> Vec<Kind> {
    let s = Schema::infer(&ds(columns), train, c).unwrap();
    s.columns.iter().map(|c| c.kind).collect()
}

fn all(n: usize) -> Vec<usize> {
    (0..n).collect()
}

#[test]
fn numbers_integers_categories_constants_and_empties() {
    let n = 60;
    let cols = [
        ("flipper_mm", cells(flipper, n)),
        ("year", cells(|i| (2007 + i % 3).to_string(), n)),
        (
            "island",
            cells(|i| ["Biscoe", "Dream", "Torgersen"][i % 3].into(), n),
        ),
        ("stage", cells(|_| "Adult, 1 Egg Stage".into(), n)),
        ("clutch", cells(|_| "4.0".into(), n)),
        ("delta_15n", cells(|i| ["", "NA", "n/a"][i % 3].into(), n)),
    ];
    use Kind::*;
    let kinds = kind_of(&cols, &all(n), &cfg());
    assert_eq!(
        kinds,
        [Numeric, Numeric, Categorical, Constant, Constant, Empty]
    );
}

#[test]
fn identifiers_per_row_and_per_individual() {
    let n = 120;
    let cols = [
        ("sample", cells(|i| format!("PAL0708-{:04}", i + 1), n)),
        // Each individual measured twice.
        (
            "individual",
            cells(|i| format!("N{}A{}", i / 2 + 1, i % 2 + 1), n),
        ),
        ("individual_id", cells(|i| format!("N{}", i / 2 + 1), n)),
        // 15 levels, 8 rows each: a real category.
        ("nest", cells(|i| format!("nest{}", i % 15), n)),
        ("flipper_mm", cells(flipper, n)),
    ];
    let s = Schema::infer(&ds(&cols), &all(n), &cfg()).unwrap();
    let kinds: Vec<Kind> = s.columns.iter().map(|c| c.kind).collect();
    use Kind::*;
    assert_eq!(
        kinds,
        [Identifier, Identifier, Identifier, Categorical, Numeric]
    );
    assert_eq!(s.columns[0].why, "120 of 120 values unique");
    assert_eq!(
        s.columns[2].why,
        "60 levels in 120 values, a typical level in 2 rows"
    );
    // A small table keeps a few unique labels as categories.
    let few = [("name", cells(|i| format!("bird{i}"), 12))];
    assert_eq!(kind_of(&few, &all(12), &cfg()), [Categorical]);
}

#[test]
fn dates_and_free_text_are_dropped_with_their_reason() {
    let n = 40;
    let comment = |i: usize| format!("Nest never observed with full clutch, visit {i}");
    let cols = [
        (
            "date_egg",
            cells(|i| format!("2007-11-{:02}", i % 28 + 1), n),
        ),
        ("us_date", cells(|i| format!("11/{}/07", i % 28 + 1), n)),
        (
            "stamp",
            cells(|i| format!("2008/11/09 10:{:02}", i % 60), n),
        ),
        ("comments", cells(comment, n)),
        ("flipper_mm", cells(flipper, n)),
    ];
    let s = Schema::infer(&ds(&cols), &all(n), &cfg()).unwrap();
    use Kind::*;
    let kinds: Vec<Kind> = s.columns.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [DateTime, DateTime, DateTime, FreeText, Numeric]);
    assert!(
        s.columns[0].why.contains("40 of 40 values are dates"),
        "{}",
        s.columns[0].why
    );
    let report = s.report();
    assert!(report.contains("dropped: date/time (40 of 40"), "{report}");
    assert!(
        report.contains("dropped: free text (40 of 40 values distinct"),
        "{report}"
    );
}

#[test]
fn declared_columns_beat_inference_and_drop_is_listed() {
    let n = 40;
    let cols = [
        ("sample", cells(|i| format!("PAL0708-{:04}", i + 1), n)),
        ("clutch", cells(|_| "4".into(), n)),
        ("year", cells(|i| (2007 + i % 3).to_string(), n)),
        ("flipper_mm", cells(flipper, n)),
    ];
    let mut c = cfg();
    c.categorical = vec!["sample".into(), "year".into()];
    c.numeric = vec!["clutch".into()];
    let s = Schema::infer(&ds(&cols), &all(n), &c).unwrap();
    let got: Vec<(Kind, Option<usize>)> = s.columns.iter().map(|c| (c.kind, c.levels)).collect();
    use Kind::*;
    assert_eq!(
        got,
        [
            (Categorical, Some(40)),
            (Numeric, None),
            (Categorical, Some(3)),
            (Numeric, None)
        ]
    );
    c.drop = vec!["comments".into()];
    let s = Schema::infer(&ds(&cols), &all(n), &c).unwrap();
    assert_eq!(s.columns.last().unwrap().kind, Excluded);
    let frame = s.apply(&ds(&cols)).unwrap();
    assert_eq!(frame.names(), ["sample", "clutch", "year", "flipper_mm"]);
    assert_eq!(s.n_features(), 40 + 1 + 3 + 1);
}

#[test]
fn inferred_on_training_rows_only() {
    // The first 30 rows (training) hold one island, later rows another: constant in training.
    let n = 50;
    let cols = [
        (
            "island",
            cells(|i| if i < 30 { "Biscoe" } else { "Dream" }.into(), n),
        ),
        ("flipper_mm", cells(flipper, n)),
    ];
    let s = Schema::infer(&ds(&cols), &all(30), &cfg()).unwrap();
    assert_eq!(s.columns[0].kind, Kind::Constant);
    assert_eq!(s.columns[0].why, "every value is 'Biscoe'");
    let s = Schema::infer(&ds(&cols), &all(n), &cfg()).unwrap();
    assert_eq!(s.columns[0].kind, Kind::Categorical);
}

#[test]
fn a_typo_in_a_numeric_column_is_an_error_naming_row_token_and_fixes() {
    let n = 200;
    let mut v = cells(flipper, n);
    v[56] = "0.4o2".into();
    let cols = [("flipper_mm", v.clone())];
    let err = Schema::infer(&ds(&cols), &all(n), &cfg()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "t.csv: row 58 column 'flipper_mm': '0.4o2' is not a number, but 199 of 200 values \
         are; correct the file, list the token as missing (data.na_values), or declare the \
         column categorical (data.categorical)"
    );
    // Listed as missing, the token is read as missing.
    let mut c = cfg();
    c.na_values.push("0.4o2".into());
    let s = Schema::infer(&ds(&cols), &all(n), &c).unwrap();
    assert_eq!(
        (s.columns[0].kind, s.columns[0].missing),
        (Kind::Numeric, 1)
    );
    // A typo outside the training rows is the same error when the schema is applied.
    let s = Schema::infer(&ds(&cols), &all(50), &cfg()).unwrap();
    let err = s.apply(&ds(&cols)).unwrap_err().to_string();
    assert!(
        err.contains("row 58") && err.contains("199 of 200"),
        "{err}"
    );
    // Many stray tokens: text, not a typo.
    let mut v = cells(flipper, n);
    for (k, i) in (0..n).step_by(25).enumerate() {
        v[i] = format!("tag{k}");
    }
    let s = Schema::infer(&ds(&[("flipper_mm", v)]), &all(n), &cfg()).unwrap();
    assert_ne!(s.columns[0].kind, Kind::Numeric);
}

#[test]
fn no_column_left_names_every_drop() {
    let n = 30;
    let cols = [("sample", cells(|i| format!("PAL0708-{:04}", i + 1), n))];
    let err = Schema::infer(&ds(&cols), &all(n), &cfg())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("'sample' (identifier: 30 of 30 values unique)")
            && err.contains("data.categorical"),
        "{err}"
    );
}

/// The verdict of the rules on `values` (all training rows, default missing tokens).
fn verdict(values: &[String]) -> Result<Kind, &'static str> {
    let na = crate::config::DEFAULT_NA_VALUES.map(String::from);
    match rules::classify(values, &all(values.len()), &na) {
        rules::Verdict::Is(kind, _, _) => Ok(kind),
        rules::Verdict::MostlyNumbers => Err("mostly numbers"),
    }
}

/// `n` values: `strays` of them the distinct tokens `t0`, `t1`, … (each once), the rest
/// numbers.
fn with_strays(n: usize, strays: usize) -> Vec<String> {
    (0..n)
        .map(|i| match i < strays {
            true => format!("t{i}"),
            false => flipper(i),
        })
        .collect()
}

#[test]
fn stray_tokens_at_the_token_limit_and_the_number_share() {
    use rules::{STRAY_MAX_TOKENS, STRAY_MIN_NUMBER_SHARE};
    assert_eq!((STRAY_MAX_TOKENS, STRAY_MIN_NUMBER_SHARE), (3, 0.9));
    // 100 values: 3 distinct strays (97 % numbers) is an error, 4 is not.
    assert_eq!(
        verdict(&with_strays(100, STRAY_MAX_TOKENS)),
        Err("mostly numbers")
    );
    // (Text: what kind of text the later rules decide, here an identifier, is not the point.)
    assert_ne!(
        verdict(&with_strays(100, STRAY_MAX_TOKENS + 1)),
        Err("mostly numbers")
    );
    // 30 values with 3 strays: exactly 90 % numbers, an error; 29 values with 3: 89.7 %, not.
    assert_eq!(verdict(&with_strays(30, 3)), Err("mostly numbers"));
    assert_ne!(verdict(&with_strays(29, 3)), Err("mostly numbers"));
    // One stray token repeated (one distinct token) still counts once.
    let mut repeated = with_strays(40, 0);
    repeated[..4].iter_mut().for_each(|c| *c = "x".into());
    assert_eq!(verdict(&repeated), Err("mostly numbers"));
}

#[test]
fn dates_at_the_date_share() {
    assert_eq!(rules::DATE_MIN_SHARE, 0.95);
    let dates = |n: usize, other: usize| -> Vec<String> {
        (0..n)
            .map(|i| match i < other {
                true => format!("word{}", i % 2),
                false => format!("2007-11-{:02}", 1 + i % 28),
            })
            .collect()
    };
    // 20 values, 1 not a date: exactly 95 % → date/time; 2 not dates: 90 % → not.
    assert_eq!(verdict(&dates(20, 1)), Ok(Kind::DateTime));
    assert_ne!(verdict(&dates(20, 2)), Ok(Kind::DateTime));
}

#[test]
fn identifiers_at_the_level_limit_and_the_unique_share() {
    use rules::{ID_MAX_MEDIAN_ROWS, ID_MIN_LEVELS, ID_UNIQUE_SHARE};
    assert_eq!(
        (ID_MIN_LEVELS, ID_UNIQUE_SHARE, ID_MAX_MEDIAN_ROWS),
        (20, 0.99, 2)
    );
    let ids = |k: usize, reps: usize| -> Vec<String> {
        (0..k * reps).map(|i| format!("P{:03}", i % k)).collect()
    };
    // All unique: 19 levels are categories, 20 an identifier.
    assert_eq!(verdict(&ids(ID_MIN_LEVELS - 1, 1)), Ok(Kind::Categorical));
    assert_eq!(verdict(&ids(ID_MIN_LEVELS, 1)), Ok(Kind::Identifier));
    // 100 values, 99 distinct (99 %): an identifier by the unique share alone.
    let mut share: Vec<String> = (0..99).map(|i| format!("S{i:03}")).collect();
    share.push("S000".into());
    assert_eq!(verdict(&share), Ok(Kind::Identifier));
    // Median rows per level: 2 → identifier, 3 → categorical (25 levels, not unique).
    assert_eq!(verdict(&ids(25, ID_MAX_MEDIAN_ROWS)), Ok(Kind::Identifier));
    assert_eq!(
        verdict(&ids(25, ID_MAX_MEDIAN_ROWS + 1)),
        Ok(Kind::Categorical)
    );
}

#[test]
fn a_continuous_target_at_its_thresholds() {
    use rules::{continuous_target, CONTINUOUS_MIN_DISTINCT, CONTINUOUS_MIN_FRACTIONAL};
    assert_eq!(
        (CONTINUOUS_MIN_DISTINCT, CONTINUOUS_MIN_FRACTIONAL),
        (20, 10)
    );
    assert_eq!(rules::CONTINUOUS_MIN_SHARE, 0.2);
    let ints = |k: usize| -> Vec<String> { (0..k).map(|i| i.to_string()).collect() };
    let fracs = |k: usize| -> Vec<String> { (0..k).map(|i| format!("{i}.5")).collect() };
    // 20 distinct integers in 100 rows (20 %): continuous; 19: classes; 20 in 101 rows: classes.
    assert!(continuous_target(&ints(20), 100).is_some());
    assert!(continuous_target(&ints(19), 95).is_none());
    assert!(continuous_target(&ints(20), 101).is_none());
    // Non-integer numbers: 10 distinct is continuous at any row count, 9 is not.
    assert!(continuous_target(&fracs(10), 10_000).is_some());
    assert!(continuous_target(&fracs(9), 10_000).is_none());
    // Text classes never are.
    let words: Vec<String> = (0..50).map(|i| format!("c{i}")).collect();
    assert!(continuous_target(&words, 50).is_none());
}
