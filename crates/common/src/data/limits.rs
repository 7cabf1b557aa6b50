//! Size limits of the CSV loader, so that whatever file a user points at (a binary, a log, a
//! table with an identifier column, a million columns) is a clear error naming the file and
//! line, never an out-of-memory abort. Each limit is far above the shipped data sets (digits:
//! 1,797 rows × 65 columns) and bounds one allocation: the file buffer, the cell strings, the
//! encoded feature matrix.

use std::collections::HashSet;
use std::path::Path;

use crate::config::Embeddings;
use crate::frame::{data_err, Column, ColumnValues};
use crate::preprocess::Preprocessor;
use crate::Result;

/// Largest CSV file read (512 MiB): it is read whole, so this bounds that buffer.
pub const MAX_CSV_BYTES: u64 = 512 << 20;
/// Longest line accepted (1 MiB), so that a binary file or one giant cell is refused early.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// Most columns a header may have.
pub const MAX_COLUMNS: usize = 65_536;
/// Most cells (rows × columns) a file may have: each is kept as a string (about 60 bytes).
pub const MAX_CELLS: usize = 20_000_000;
/// Most feature values (rows × features after one-hot encoding) one file may turn into: 250
/// million f32, i.e. 1 GB.
pub const MAX_FEATURE_VALUES: usize = 250_000_000;

/// `; a relative path is read from the current folder, <cwd>` when `path` is relative and was
/// not found (the file may exist, seen from another folder: a run evaluated from elsewhere),
/// else nothing: the hint every "cannot open" of a data path ends with.
pub(crate) fn relative_path_hint(path: &Path, e: &std::io::Error) -> String {
    let cwd = std::env::current_dir().ok().filter(|_| path.is_relative());
    match cwd {
        Some(dir) if e.kind() == std::io::ErrorKind::NotFound => format!(
            "; a relative path is read from the current folder, {}",
            dir.display()
        ),
        _ => String::new(),
    }
}

/// The file's bytes, refused above [`MAX_CSV_BYTES`] before reading.
pub(crate) fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    let open = |e: std::io::Error| {
        // A run's config keeps the path as it was given: from another folder, a relative one
        // points elsewhere (e.g. `eval --checkpoint RUN` without --data).
        let hint = relative_path_hint(path, &e);
        data_err(path, None, None, format!("cannot open: {e}{hint}"))
    };
    let len = std::fs::metadata(path).map_err(open)?.len();
    if len > MAX_CSV_BYTES {
        let msg = format!("the file is {len} bytes, more than the limit of {MAX_CSV_BYTES}");
        return Err(data_err(path, None, None, msg));
    }
    std::fs::read(path).map_err(open)
}

/// Refuses the first line longer than [`MAX_LINE_BYTES`], naming it (1-based).
pub(crate) fn check_line_lengths(path: &Path, bytes: &[u8]) -> Result<()> {
    let long = bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .find(|(_, line)| line.len() > MAX_LINE_BYTES);
    match long {
        None => Ok(()),
        Some((i, line)) => {
            let msg = format!(
                "the line is {} bytes long, more than the limit of {MAX_LINE_BYTES} (not a table of values?)",
                line.len()
            );
            Err(data_err(path, Some(i + 1), None, msg))
        }
    }
}

/// Refuses a header of more than [`MAX_COLUMNS`] names.
pub(crate) fn check_header_width(path: &Path, n: usize, line: usize) -> Result<()> {
    if n > MAX_COLUMNS {
        let msg = format!("the header has {n} columns, more than the limit of {MAX_COLUMNS}");
        return Err(data_err(path, Some(line), None, msg));
    }
    Ok(())
}

/// Refuses a table whose features would exceed [`MAX_FEATURE_VALUES`] once encoded (one
/// feature per numeric column, or `bins_for(column)` for those encoded piecewise-linearly (at
/// most that many), one per category, one per column read through an embedding
/// table by `embeddings`), naming the widest one-hot column: a column declared categorical with
/// one level per row is the usual culprit. Levels are counted over all rows (the encoding will
/// know only the training rows' levels, at most as many).
pub(crate) fn check_encoded_size(
    path: &Path,
    n_rows: usize,
    columns: &[Column],
    embeddings: &Embeddings,
    bins_for: &dyn Fn(&str) -> usize,
) -> Result<()> {
    let width = |c: &Column| match &c.values {
        ColumnValues::Numeric(_) => bins_for(&c.name).max(1),
        ColumnValues::Categorical(v) => {
            let levels = v.iter().flatten().collect::<HashSet<_>>().len().max(1);
            match embeddings.dim_for(&c.name, levels) {
                Some(_) => 1,
                None => levels,
            }
        }
        ColumnValues::Text(v) => v.iter().collect::<HashSet<_>>().len().max(1),
    };
    let widths: Vec<usize> = columns.iter().map(width).collect();
    let total = widths.iter().fold(0usize, |a, &w| a.saturating_add(w));
    if n_rows.saturating_mul(total) <= MAX_FEATURE_VALUES {
        return Ok(());
    }
    // The widest column that is not a number: a number's width is its bins.
    let number = |c: &Column| matches!(c.values, ColumnValues::Numeric(_));
    let piecewise_bins = columns
        .iter()
        .filter(|c| number(c))
        .map(|c| bins_for(&c.name));
    let piecewise_bins = piecewise_bins.max().unwrap_or(0);
    let text = |i: &usize| !number(&columns[*i]);
    let widest = (0..widths.len()).filter(text).max_by_key(|&i| widths[i]);
    let cause = match widest {
        Some(i) if widths[i] > piecewise_bins => format!(
            "column '{}' alone has {} categories: drop it (data.drop) if it is an identifier",
            columns[i].name, widths[i]
        ),
        _ if piecewise_bins >= 2 => format!(
            "up to {piecewise_bins} features per piecewise-linear number: use fewer bins \
             (data.piecewise_bins) or encode fewer columns (data.piecewise_columns)"
        ),
        _ => "leave columns out (data.drop) or use fewer rows".to_string(),
    };
    let msg = format!(
        "{n_rows} rows × {total} features once encoded exceed the limit of \
         {MAX_FEATURE_VALUES} values; {cause}"
    );
    Err(data_err(path, None, None, msg))
}

/// Refuses to encode more than [`MAX_FEATURE_VALUES`] values at once for a model (`predict`,
/// `eval --data`): a huge file, or a hostile checkpoint's preprocessing with millions of
/// categories.
pub(crate) fn check_predict_size(path: &Path, rows: usize, pre: &Preprocessor) -> Result<()> {
    let features = pre.n_features();
    if rows.saturating_mul(features) > MAX_FEATURE_VALUES {
        let msg = format!(
            "{rows} rows × {features} model features exceed the limit of {MAX_FEATURE_VALUES} \
             values: split the file"
        );
        return Err(data_err(path, None, None, msg));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_and_wide_headers_are_named() {
        let p = Path::new("big.csv");
        let mut bytes = b"a,b\n1,2\n".to_vec();
        assert!(check_line_lengths(p, &bytes).is_ok());
        bytes.extend_from_slice(&vec![b'9'; MAX_LINE_BYTES + 1]);
        let e = check_line_lengths(p, &bytes).unwrap_err().to_string();
        assert!(
            e.contains("big.csv") && e.contains("row 3") && e.contains("limit"),
            "{e}"
        );
        assert!(check_header_width(p, MAX_COLUMNS, 1).is_ok());
        let e = check_header_width(p, MAX_COLUMNS + 1, 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 1") && e.contains("65537 columns"), "{e}");
    }

    #[test]
    fn a_missing_relative_path_names_the_folder_it_was_read_from() {
        let e = read_bounded(Path::new("no/such/table.csv")).unwrap_err();
        let cwd = std::env::current_dir().unwrap();
        let want = format!(
            "a relative path is read from the current folder, {}",
            cwd.display()
        );
        assert!(e.to_string().contains(&want), "{e}");
        let absolute = cwd.join("no/such/table.csv");
        let e = read_bounded(&absolute).unwrap_err().to_string();
        assert!(e.contains("cannot open") && !e.contains("relative"), "{e}");
    }

    #[test]
    fn piecewise_bins_count_only_on_the_columns_they_encode() {
        let p = Path::new("wide.csv");
        let number = |name: &str| Column {
            name: name.into(),
            values: ColumnValues::Numeric(vec![1.0, 2.0]),
        };
        let columns = [number("a"), number("b"), number("c")];
        let none = Embeddings::None;
        // 900,000 rows: 3 numbers in 256 bins would be 691 million values; one, 232 million.
        let rows = 900_000;
        let mut cfg = crate::config::Config::default().data;
        (cfg.source, cfg.piecewise_bins) = (crate::config::Source::Csv, 256);
        cfg.piecewise_columns = vec!["a".to_string()];
        let bins_for = |c: &str| crate::preprocess::piecewise_bins_for(&cfg, c);
        assert!(check_encoded_size(p, rows, &columns, &none, &bins_for).is_ok());
        cfg.piecewise_columns.clear();
        let bins_for = |c: &str| crate::preprocess::piecewise_bins_for(&cfg, c);
        let e = check_encoded_size(p, rows, &columns, &none, &bins_for);
        let e = e.unwrap_err().to_string();
        assert!(
            e.contains("900000 rows × 768 features") && e.contains("data.piecewise_bins"),
            "{e}"
        );
        let e = check_encoded_size(p, 100_000_000, &columns, &none, &|_| 0);
        let e = e.unwrap_err().to_string();
        assert!(e.contains("× 3 features") && e.contains("data.drop"), "{e}");
    }
}
