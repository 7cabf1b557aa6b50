//! Unit tests of `data::table`.

use super::*;
use std::io::Write;

fn file(text: impl AsRef<[u8]>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_ref())
        .unwrap();
    (dir, path)
}

#[test]
fn missing_markers() {
    let na: Vec<String> = crate::config::DEFAULT_NA_VALUES
        .iter()
        .map(|s| s.to_string())
        .collect();
    for m in [
        "", " ", "NA", "na", " NaN ", "nan", "NAN", "null", "n/a", "?", "-",
    ] {
        assert!(is_na(m, &na), "{m:?}");
    }
    for v in ["0", "N/A?", "nana", "inf", "-1", "none"] {
        assert!(!is_na(v, &na), "{v:?}");
    }
    assert!(is_na(" ", &[]) && !is_na("NA", &[]));
}

#[test]
fn reads_columns_lines_and_types() {
    let (_d, p) = file("a, b ,c\r\n1,x,NA\n\n2.5, y ,3");
    let t = Table::read(&p, &ReadOptions::default()).unwrap();
    assert_eq!(t.header, ["a", "b", "c"]);
    assert_eq!(t.lines, [2, 4]);
    let na = ["NA".to_string()];
    assert_eq!(t.numeric(0, &na).unwrap(), [1.0, 2.5]);
    assert!(t.numeric(2, &na).unwrap()[0].is_nan());
    assert_eq!(
        t.categorical(1, &na),
        [Some("x".to_string()), Some("y".to_string())]
    );
    let err = t.numeric(1, &na).unwrap_err().to_string();
    assert!(
        err.contains("row 2") && err.contains("column 'b'") && err.contains("'x'"),
        "{err}"
    );
}

#[test]
fn structural_errors_name_file_and_line() {
    let msg = |text: &[u8]| {
        Table::read(&file(text).1, &ReadOptions::default())
            .unwrap_err()
            .to_string()
    };
    let m = msg(b"a,b\n1,2\n\n3\n");
    assert!(
        m.contains("t.csv") && m.contains("row 4") && m.contains("1 fields"),
        "{m}"
    );
    let m = msg(b"a,a\n1,2\n");
    assert!(
        m.contains("row 1") && m.contains("column 'a'") && m.contains("duplicate"),
        "{m}"
    );
    assert!(msg(b"").contains("empty file"));
    assert!(msg(b"a,b\n").contains("no data rows"));
    let m = msg(b"a\n1\n\"x\ny\"\n\xff\n");
    assert!(m.contains("row 5") && m.contains("UTF-8"), "{m}");
}

#[test]
fn the_cell_limit_names_the_first_line_over_it() {
    // The same code as `Table::read` with the limit at 6 cells instead of 20 million: two
    // data rows of 3 columns fit, the blank line is not counted, the third row is refused.
    let (_d, p) = file("a,b,y\n1,2,x\n\n3,4,y\n5,6,x\n7,8,y\n");
    let err = Table::read_with_max_cells(&p, &ReadOptions::default(), 6).unwrap_err();
    let text = err.to_string();
    for needle in [
        "t.csv",
        "row 5",
        "more than 2 data rows of 3 columns",
        "limit of 6 cells",
    ] {
        assert!(text.contains(needle), "'{needle}' not in: {text}");
    }
    // At the limit exactly, the file loads.
    let (_d, p) = file("a,b,y\n1,2,x\n3,4,y\n");
    assert_eq!(
        Table::read_with_max_cells(&p, &ReadOptions::default(), 6)
            .unwrap()
            .n_rows(),
        2
    );
}

#[test]
fn infinity_is_an_error_with_its_line() {
    let (_d, p) = file("a\n1\n-inf\n");
    let err = Table::read(&p, &ReadOptions::default())
        .unwrap()
        .numeric(0, &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("t.csv") && err.contains("row 3") && err.contains("infinite"),
        "{err}"
    );
}
