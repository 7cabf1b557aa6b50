//! Fuzzing the CSV loader: random bytes, random CSV-shaped tables (quotes, blank lines, `NA`,
//! infinities, huge numbers, unicode, ragged rows, duplicate names) and byte mutations of a
//! valid file go through the whole data path (`data::prepare`: read, type, label, split, fit
//! and apply the preprocessing) and, when that succeeds, through the predict-time reader and
//! transform. Each case must give data or an error: a panic fails the test.
//!
//! Cases per property: `TWIN_NETS_FUZZ_CASES` (default 2,000). The 100,000-case run:
//! `TWIN_NETS_FUZZ_CASES=100000 cargo test --release -p common --test robust_fuzz_csv`.

use common::config::{Config, Scaling, Source};
use common::data::{csv, prepare};
use proptest::prelude::*;
use std::path::PathBuf;

fn cases() -> u32 {
    std::env::var("TWIN_NETS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

thread_local! {
    /// One scratch folder per test thread: each case rewrites the same file.
    static DIR: tempfile::TempDir = tempfile::tempdir().expect("tempdir");
}

fn write_case(bytes: &[u8]) -> PathBuf {
    DIR.with(|d| {
        let path = d.path().join("fuzz.csv");
        std::fs::write(&path, bytes).expect("write the case");
        path
    })
}

/// Runs the whole data path on `bytes` with label column `target`; checks the shapes of
/// whatever comes out.
fn load_everything(bytes: &[u8], target: &str, scaling: Scaling, forced: Vec<String>) {
    let path = write_case(bytes);
    let mut cfg = Config::default();
    cfg.data.source = Source::Csv;
    cfg.data.path = Some(path.clone());
    cfg.data.target = Some(target.to_string());
    cfg.data.scaling = scaling;
    cfg.data.categorical = forced;
    let Ok(data) = prepare(&cfg) else { return };
    let width = data.pre.n_features();
    for xy in [&data.train, &data.val, &data.test] {
        assert_eq!(xy.x.nrows(), xy.y.len());
        assert_eq!(xy.x.ncols(), width);
        assert!(xy.y.iter().all(|&c| c < data.class_names.len()));
    }
    if let Ok(frame) = csv::read_for_predict(&path, &data.pre) {
        let rows: Vec<usize> = (0..frame.n_rows).collect();
        if let Ok((x, _)) = data.pre.transform(&frame, &rows) {
            assert_eq!(x.dim(), (frame.n_rows, width));
        }
    }
}

/// One cell: numbers of every kind, missing markers, quoting, separators inside quotes, and
/// arbitrary short text.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|v| v.to_string()),
        (-20i64..20).prop_map(|v| v.to_string()),
        prop::sample::select(vec![
            "", " ", "NA", "nan", "NaN", "inf", "-inf", "1e999", "-1e308", "1e308", "0x10",
            "\"a,b\"", "\"x\ny\"", "\"\"", "\"", "a", "b", "c", "é", "\u{0}", "  7 ", "1,5",
        ])
        .prop_map(str::to_string),
        "[ -~]{0,6}",
    ]
}

/// Cells of one column: mostly numbers, mostly categories, or anything.
fn column_cell(kind: u8) -> BoxedStrategy<String> {
    let numbers = prop_oneof![
        8 => (-1000i32..1000).prop_map(|v| (f64::from(v) / 8.0).to_string()),
        1 => any::<f64>().prop_map(|v| v.to_string()),
        1 => prop::sample::select(vec!["", "NA", "nan", "inf", "1e308", "-1e308"]).prop_map(str::to_string),
    ];
    let categories = prop::sample::select(vec!["a", "b", "c", "NA", "", " d ", "é", "\"x,y\""])
        .prop_map(str::to_string);
    match kind {
        0 => numbers.boxed(),
        1 => categories.boxed(),
        _ => cell().boxed(),
    }
}

/// One well-formed data row: the cells of each column, the label inserted at `target`.
fn row(kinds: &[u8], target: usize) -> impl Strategy<Value = Vec<String>> {
    let cells: Vec<BoxedStrategy<String>> = kinds.iter().map(|&k| column_cell(k)).collect();
    let label = prop::sample::select(vec!["a", "b", "c"]);
    (cells, label).prop_map(move |(mut cells, label)| {
        cells.insert(target.min(cells.len()), label.to_string());
        cells
    })
}

/// Breaks a table in one way (or none, for most values of `fault`): an empty or repeated
/// header name, a short or long row, a missing label.
fn break_table(
    names: &mut [String],
    rows: &mut [Vec<String>],
    fault: u8,
    at: usize,
    target: usize,
) {
    let r = at % rows.len().max(1);
    match (fault, rows.get_mut(r)) {
        (0, _) => names[0] = String::new(),
        (1, _) => names[0] = names[names.len() - 1].clone(),
        (2, Some(row)) => {
            row.pop();
        }
        (3, Some(row)) => row.push("extra".into()),
        (4, Some(row)) => row[target] = "NA".into(),
        _ => {}
    }
}

/// A CSV-shaped text with its target column name: a header of unique names, then 2-30 rows
/// of typed columns, with various line endings, and in about half the cases one structural
/// fault (see [`break_table`]).
fn table() -> impl Strategy<Value = (String, String)> {
    let shape = (prop::collection::vec(0u8..3, 1..5), 0usize..5, 2usize..30);
    shape
        .prop_flat_map(|(kinds, target, n)| {
            let target = target.min(kinds.len());
            let rows = prop::collection::vec(row(&kinds, target), n);
            let ending = prop::sample::select(vec!["\n", "\r\n", "\n\n"]);
            (
                Just((kinds.len(), target)),
                rows,
                ending,
                0u8..10,
                any::<usize>(),
            )
        })
        .prop_map(|((cols, target), mut rows, end, fault, at)| {
            let mut names: Vec<String> = (0..cols).map(|i| format!("c{i}")).collect();
            names.insert(target, "y".to_string());
            break_table(&mut names, &mut rows, fault, at, target);
            let mut text = names.join(",");
            for r in &rows {
                text.push_str(end);
                text.push_str(&r.join(","));
            }
            (text, "y".to_string())
        })
}

const VALID: &str = "bill,island,sex,y
39.1,Torgersen,male,Adelie
46.5,Dream,female,Chinstrap
NA,Biscoe,,Gentoo
40.3,Torgersen,female,Adelie
49.0,Dream,male,Chinstrap
47.6,Biscoe,male,Gentoo
38.6,Torgersen,female,Adelie
50.2,Dream,NA,Chinstrap
45.1,Biscoe,female,Gentoo
36.7,Torgersen,female,Adelie
51.3,Dream,male,Chinstrap
48.7,Biscoe,female,Gentoo
";

fn scaling() -> impl Strategy<Value = Scaling> {
    prop::sample::select(vec![Scaling::Auto, Scaling::None, Scaling::Standard])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400), s in scaling()) {
        load_everything(&bytes, "y", s, vec![]);
    }

    #[test]
    fn random_tables((text, target) in table(), s in scaling(), force in prop::option::of("c[0-3]")) {
        load_everything(text.as_bytes(), &target, s, force.into_iter().collect());
    }

    #[test]
    fn mutated_valid_file(
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop_oneof![4 => b' '..=b'~', 1 => any::<u8>()]), 1..6),
        cut in prop::option::of(any::<prop::sample::Index>()),
        s in scaling(),
    ) {
        let mut bytes = VALID.as_bytes().to_vec();
        for (at, v) in &edits {
            let i = at.index(bytes.len());
            bytes[i] = *v;
        }
        if let Some(c) = cut {
            bytes.truncate(c.index(bytes.len()));
        }
        load_everything(&bytes, "y", s, vec!["sex".to_string()]);
    }
}

#[test]
fn the_valid_seed_file_loads() {
    // Guards the mutation property: it must start from a file that works.
    let path = write_case(VALID.as_bytes());
    let mut cfg = Config::default();
    cfg.data.source = Source::Csv;
    cfg.data.path = Some(path);
    cfg.data.target = Some("y".into());
    cfg.data.split.train = 0.6;
    cfg.data.split.val = 0.4;
    let data = prepare(&cfg).expect("the seed file is valid");
    assert_eq!(data.class_names, ["Adelie", "Chinstrap", "Gentoo"]);
}
