//! Black-box tests of the CSV loader's errors: every kind of bad file gives `Error::Data` whose
//! message names the file and the row and/or column at fault (never a panic).

use common::config::{Config, DataConfig, Source};
use common::data::{self, csv as csvdata};
use common::Error;
use std::path::PathBuf;

/// Writes `text` to `bad.csv` in a fresh tempdir and prepares it with target `y` (reading,
/// then the schema: a cell's type is checked once the schema has decided the column's).
fn load_text(
    text: &[u8],
    edit: impl FnOnce(&mut DataConfig),
) -> (tempfile::TempDir, PathBuf, Error) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, text).unwrap();
    let mut cfg = Config::default();
    cfg.data.source = Source::Csv;
    cfg.data.path = Some(path.clone());
    cfg.data.target = Some("y".into());
    edit(&mut cfg.data);
    let err = data::prepare(&cfg).expect_err("the file is bad");
    (dir, path, err)
}

/// Asserts `err` is a data error on `path` with this row and column, whose message contains
/// `words`, and that the one-line message names them all.
fn check(err: &Error, path: &PathBuf, row: Option<usize>, column: Option<&str>, words: &str) {
    let text = err.to_string();
    match err {
        Error::Data {
            path: p,
            row: r,
            column: c,
            msg,
        } => {
            assert_eq!(p, path, "{text}");
            assert_eq!(*r, row, "{text}");
            assert_eq!(c.as_deref(), column, "{text}");
            assert!(msg.contains(words), "expected '{words}' in: {text}");
        }
        other => panic!("expected a data error, got {other:?}"),
    }
    assert!(text.contains(&path.display().to_string()), "{text}");
    if let Some(r) = row {
        assert!(text.contains(&format!("row {r}")), "{text}");
    }
    if let Some(c) = column {
        assert!(text.contains(&format!("column '{c}'")), "{text}");
    }
}

#[test]
fn missing_file() {
    let mut cfg = Config::default();
    cfg.data.source = Source::Csv;
    cfg.data.target = Some("y".into());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    cfg.data.path = Some(path.clone());
    let err = data::load(&cfg).unwrap_err();
    check(&err, &path, None, None, "cannot open");
    let line = err.to_string();
    assert!(
        line.contains("(the file named by data.path)") && !line.contains("::"),
        "{line}"
    );
}

#[test]
fn a_continuous_target_is_refused() {
    // Breast cancer's `mean_radius` as the target: 456 distinct measurements in 569 rows would
    // build a 456-class softmax.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = root.join("data/breast_cancer.csv");
    let mut cfg = Config::load(&root.join("configs/breast_cancer.toml"), &[]).unwrap();
    cfg.data.path = Some(path.clone());
    cfg.data.target = Some("mean_radius".into());
    cfg.data.numeric.retain(|c| c != "mean_radius");
    let err = data::prepare(&cfg).expect_err("a measurement is no class column");
    check(&err, &path, None, Some("mean_radius"), "looks continuous");
    let line = err.to_string();
    assert!(
        line.contains("distinct numbers in 569 rows")
            && line.contains("choose another data.target"),
        "{line}"
    );
    // Few fractional classes, or many integer classes in many rows, are classes.
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    use common::schema::continuous_target;
    assert_eq!(continuous_target(&names(&["0.5", "1.5", "2.5"]), 30), None);
    let hundred: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    assert_eq!(
        continuous_target(&hundred, 60_000),
        None,
        "100 integer classes"
    );
    assert!(
        continuous_target(&hundred, 300).is_some(),
        "100 integers in 300 rows"
    );
    let fractional: Vec<String> = (0..12).map(|i| format!("{}.25", i)).collect();
    assert!(continuous_target(&fractional, 100_000).is_some());
    assert_eq!(continuous_target(&names(&["a", "b"]), 2), None);
}

#[test]
fn empty_file_and_header_only() {
    let (_d, p, e) = load_text(b"", |_| {});
    check(&e, &p, None, None, "empty file");
    let (_d, p, e) = load_text(b"x,y\n", |_| {});
    check(&e, &p, None, None, "no data rows");
}

#[test]
fn ragged_row() {
    let (_d, p, e) = load_text(b"x,y\n1,a\n2,b\n3\n", |_| {});
    check(&e, &p, Some(4), None, "1 fields but the header has 2");
    let (_d, p, e) = load_text(b"x,y\n1,a,extra\n", |_| {});
    check(&e, &p, Some(2), None, "3 fields");
}

#[test]
fn non_numeric_value_in_a_forced_numeric_column() {
    let text = b"x,z,y\n1,2,a\n2,oops,b\n3,4.5,a\n4,6.25,b\n5,7.5,a\n6,8.75,b\n";
    let (_d, p, e) = load_text(text, |d| d.numeric = vec!["z".into()]);
    check(&e, &p, Some(3), Some("z"), "'oops' is not a number");
}

#[test]
fn infinity_in_features_but_nan_is_missing() {
    let text = b"x,y\n1.5,a\nNaN,b\ninf,a\n2.25,b\n3.75,a\n4.5,b\n";
    let (_d, p, e) = load_text(text, |_| {});
    check(&e, &p, Some(4), Some("x"), "infinite");
    let (_d, p, e) = load_text(b"x,y\n1,a\n-INF,b\n2.5,a\n3.5,b\n4.5,a\n5.5,b\n", |_| {});
    check(&e, &p, Some(3), Some("x"), "infinite");
}

#[test]
fn missing_target_column_lists_the_columns() {
    let (_d, p, e) = load_text(b"x,label\n1,a\n2,b\n", |_| {});
    check(&e, &p, None, Some("y"), "available columns: x, label");
}

#[test]
fn a_target_without_any_value_is_an_error() {
    let (_d, p, e) = load_text(b"x,y\n1,NA\n2,\n3,na\n", |_| {});
    check(
        &e,
        &p,
        None,
        Some("y"),
        "every one of the 3 rows has no target value",
    );
}

/// The shipped penguins with the species of every ninth row blanked (and one `NA`): those rows
/// are left out with a note naming their lines, and `split.json`'s rows are the file's rows, so
/// that each names a labelled row whose species is the label trained on; also with
/// `data.keep_classes`, whose own renumbering composes with it.
#[test]
fn rows_without_a_target_value_are_left_out_and_split_rows_stay_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/penguins.csv"),
    )
    .unwrap();
    let mut lines: Vec<String> = src.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = header.iter().position(|h| *h == "species").unwrap();
    let mut species = Vec::new();
    for (r, line) in lines.iter_mut().skip(1).enumerate() {
        let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
        if r % 9 == 4 {
            cells[col] = if r == 4 { "NA".into() } else { String::new() };
        }
        species.push(cells[col].clone());
        *line = cells.join(",");
    }
    let path = dir.path().join("penguins_unlabelled.csv");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let blank = species
        .iter()
        .filter(|s| s.is_empty() || *s == "NA")
        .count();
    for keep in [vec![], vec!["Gentoo".to_string(), "Adelie".to_string()]] {
        let mut cfg = Config::default();
        cfg.data.source = Source::Csv;
        cfg.data.path = Some(path.clone());
        cfg.data.target = Some("species".into());
        cfg.data.keep_classes = keep.clone();
        let p = data::prepare(&cfg).unwrap();
        let note = p.notes.iter().find(|n| n.contains("left out")).unwrap();
        assert!(
            note.starts_with(&format!("data: {blank} rows without a value in the target")),
            "{note}"
        );
        assert!(note.contains("(lines 6, 15, 24, 33, 42, …)"), "{note}");
        let mut all: Vec<usize> = [&p.split.train, &p.split.val, &p.split.test]
            .into_iter()
            .flatten()
            .copied()
            .collect();
        all.sort_unstable();
        let expected: Vec<usize> = (0..species.len())
            .filter(|&r| {
                let s = species[r].as_str();
                !s.is_empty() && s != "NA" && (keep.is_empty() || keep.iter().any(|k| k == s))
            })
            .collect();
        assert_eq!(all, expected, "split.json names the file's labelled rows");
        // Each split row's label, trained on, is that file row's species.
        for (part, xy) in [(&p.split.train, &p.train), (&p.split.test, &p.test)] {
            for (&r, &y) in part.iter().zip(&xy.y) {
                assert_eq!(p.class_names[y], species[r], "file row {r}");
            }
        }
    }
}

#[test]
fn only_one_class() {
    let (_d, p, e) = load_text(b"x,y\n1,a\n2,a\n", |_| {});
    check(&e, &p, None, Some("y"), "only one class");
}

#[test]
fn duplicate_header_names() {
    let (_d, p, e) = load_text(b"x,x,y\n1,2,a\n", |_| {});
    check(&e, &p, Some(1), Some("x"), "duplicate");
}

#[test]
fn unknown_columns_in_config_lists() {
    let (_d, p, e) = load_text(b"x,y\n1,a\n2,b\n", |d| d.drop = vec!["nope".into()]);
    check(&e, &p, None, Some("nope"), "data.drop");
}

#[test]
fn predict_time_missing_column_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let train = dir.path().join("train.csv");
    std::fs::write(&train, "x,c,y\n1,u,a\n2,v,b\n3,u,a\n4,v,b\n5,u,a\n").unwrap();
    let mut cfg = Config::default();
    cfg.data.source = Source::Csv;
    cfg.data.path = Some(train);
    cfg.data.target = Some("y".into());
    let prepared = data::prepare(&cfg).unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, "x,y\n1,a\n").unwrap();
    let err = csvdata::read_for_predict(&path, &prepared.pre).unwrap_err();
    check(
        &err,
        &path,
        None,
        Some("c"),
        "missing column required by the model",
    );
    std::fs::write(&path, "c,x\nu,1\nv,zz\n").unwrap();
    let err = csvdata::read_for_predict(&path, &prepared.pre).unwrap_err();
    check(&err, &path, Some(3), Some("x"), "not a number");
}

/// Loads `text` as a CSV with target `y` after `edit`; panics with the error if it fails.
fn load_ok(text: &[u8], edit: impl FnOnce(&mut DataConfig)) -> data::Prepared {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ok.csv");
    std::fs::write(&path, text).unwrap();
    let mut cfg = Config::default();
    cfg.data.source = Source::Csv;
    cfg.data.path = Some(path);
    cfg.data.target = Some("y".into());
    cfg.data.split.test = 0.0;
    edit(&mut cfg.data);
    data::prepare(&cfg).unwrap_or_else(|e| panic!("{e}"))
}

/// Twelve rows of `a` (a number), `b` (a level) and `y`, in the given dialect.
fn dialect_rows(delimiter: &str, decimal: &str) -> String {
    let mut s = format!("a{delimiter}b{delimiter}y\n");
    for i in 0..12 {
        let a = format!("{}.{}", i / 3, (i * 7) % 10).replace('.', decimal);
        let b = if i % 2 == 0 { "señor" } else { "año" };
        s.push_str(&format!("{a}{delimiter}{b}{delimiter}{}\n", i % 2));
    }
    s
}

#[test]
fn an_8bit_file_names_row_byte_and_the_encoding_to_set() {
    let text = dialect_rows(",", ".");
    let latin1: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
    let (_d, path, err) = load_text(&latin1, |_| {});
    check(&err, &path, Some(2), None, "not valid UTF-8");
    let msg = err.to_string();
    assert!(msg.contains("0xF1") && msg.contains("señor"), "{msg}");
    assert!(msg.contains("data.encoding = \"windows-1252\""), "{msg}");
    for enc in ["windows-1252", "latin-1"] {
        let p = load_ok(&latin1, |d| {
            d.encoding = common::data::dialect::Encoding::parse(enc)
        });
        let levels = p.pre.schema.columns.iter().find(|c| c.name == "b").unwrap();
        assert_eq!(levels.levels, Some(2), "{enc}");
        let dialect = p.pre.schema.dialect.as_ref().expect("not plain: saved");
        assert_eq!(dialect.encoding.name(), enc);
        // New rows: an 8-bit file is read in the training file's encoding, a UTF-8 one as UTF-8.
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in [
            ("new8.csv", latin1.clone()),
            ("new.csv", text.clone().into_bytes()),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let frame = csvdata::read_for_predict(&path, &p.pre).unwrap_or_else(|e| panic!("{e}"));
            let b = frame.columns.iter().find(|c| c.name == "b").unwrap();
            let common::data::ColumnValues::Categorical(v) = &b.values else {
                panic!("b is categorical")
            };
            assert_eq!(v[0].as_deref(), Some("señor"), "{enc} then {name}");
        }
    }
}

#[test]
fn a_header_holding_another_delimiter_names_it_and_the_key() {
    let (_d, path, err) = load_text(dialect_rows(";", ",").as_bytes(), |d| {
        d.delimiter = Some(",".into())
    });
    check(&err, &path, Some(1), None, "holds 2 × ';'");
    assert!(err.to_string().contains("data.delimiter = \";\""), "{err}");
    // Left to detection, the same file reads, its decimal commas as numbers.
    let p = load_ok(dialect_rows(";", ",").as_bytes(), |_| {});
    let d = p.pre.schema.dialect.as_ref().expect("saved");
    assert_eq!((d.delimiter, d.sniffed), (';', true));
    assert_eq!(d.number_formats.len(), 1, "{d:?}");
    assert!(p.pre.schema.report().contains("read with a decimal comma"));
}

#[test]
fn unquoted_decimal_commas_in_a_comma_file_are_pointed_at() {
    let text = "a,b,y\n1,5,x,0\n2,5,z,1\n";
    let (_d, path, err) = load_text(text.as_bytes(), |d| d.delimiter = Some(",".into()));
    check(&err, &path, Some(2), None, "unquoted decimal comma");
    assert!(err
        .to_string()
        .contains("has 4 fields but the header has 3 (delimiter ',')"));
}

#[test]
fn an_ambiguous_file_lists_the_candidates_and_the_key() {
    let text = "a,b;y\n1,2;0\n3,4;1\n";
    let (_d, path, err) = load_text(text.as_bytes(), |_| {});
    check(&err, &path, None, None, "cannot tell the delimiter");
    let msg = err.to_string();
    assert!(msg.contains("','") && msg.contains("';'") && msg.contains("data.delimiter"));
}

#[test]
fn a_bad_delimiter_key_is_a_config_error() {
    let mut cfg = Config::default();
    cfg.data.source = Source::Csv;
    cfg.data.delimiter = Some("::".into());
    let err = cfg.validate().unwrap_err().to_string();
    assert!(
        err.contains("data.delimiter") && err.contains("'::'"),
        "{err}"
    );
}
