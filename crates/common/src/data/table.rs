//! Raw CSV reading shared by the training and predict-time loaders: the file decoded and its
//! dialect resolved ([`super::dialect`]), the header, the cells column by column (trimmed
//! strings, numbers rewritten in the plain syntax) and each row's line number, plus the typing
//! rules for cells: missing values (empty or one of `data.na_values`, any case), numbers (`f64`
//! syntax, never infinite).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::dialect::numbers::{rewrite_columns, Plan};
use super::dialect::sniff::{other_delimiters_in, sniff_delimiter_preferring};
use super::dialect::{
    decode::decode, delimiter_name, Dialect, DialectOptions, Encoding, NumberFormat,
};
use super::limits::{check_header_width, check_line_lengths, read_bounded, MAX_CELLS};
use crate::frame::{data_err, infinite_cell_message, is_na, number_cell, NumberCell};
use crate::{Error, Result};

/// A CSV file read as strings, column-major.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    /// The file, for messages.
    pub path: PathBuf,
    /// Header names (trimmed), unique.
    pub header: Vec<String>,
    /// `cells[col][row]`, trimmed.
    pub cells: Vec<Vec<String>>,
    /// 1-based line number of each data row (the header is line 1).
    pub lines: Vec<usize>,
    /// How the file was read.
    pub dialect: Dialect,
}

/// How to read a file: the dialect asked for, the missing-value tokens, the columns that are
/// text whatever their cells look like, and (at predict time) the number formats to apply.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadOptions<'a> {
    /// `data.delimiter`, `data.decimal`, `data.encoding`.
    pub dialect: DialectOptions,
    /// `data.na_values`.
    pub na_values: &'a [String],
    /// Columns never rewritten as numbers (the target, `data.categorical`).
    pub text_columns: Vec<String>,
    /// The training file's number formats, to read new rows the same way; `None` = detect.
    pub formats: Option<&'a [(String, NumberFormat)]>,
    /// The training file's delimiter, when new rows are read for a model: it settles a guess
    /// that finds none or several.
    pub preferred_delimiter: Option<u8>,
    /// The training file's encoding when it was not UTF-8: used for new rows that are neither
    /// valid UTF-8 nor marked as UTF-16 (an ASCII or UTF-8 file is read as UTF-8).
    pub fallback_encoding: Option<Encoding>,
}

impl Table {
    /// Reads `path`: one header row (non-empty, unique names), then at least one data row, every
    /// row with as many fields as the header. Errors name the file and the line.
    ///
    /// Hostile sizes are refused before they cost memory (see [`super::limits`]): peak memory
    /// is about the file's size plus 60 bytes per cell.
    pub fn read(path: &Path, opts: &ReadOptions<'_>) -> Result<Table> {
        Table::read_with_max_cells(path, opts, MAX_CELLS)
    }

    /// [`Table::read`] with the cell limit `max_cells` instead of [`MAX_CELLS`], so that a test
    /// can hit the limit without holding 20 million strings (about 1 GB).
    fn read_with_max_cells(path: &Path, opts: &ReadOptions<'_>, max_cells: usize) -> Result<Table> {
        let raw = read_bounded(path)?;
        // The training file's encoding, for new rows that are neither marked UTF-16 nor valid
        // UTF-8 (checked only when there is such a fallback: a training read validates once,
        // in `decode`).
        let asked = opts.dialect.encoding.or_else(|| {
            opts.fallback_encoding.filter(|_| {
                let marked = raw.starts_with(&[0xFF, 0xFE]) || raw.starts_with(&[0xFE, 0xFF]);
                !marked && std::str::from_utf8(&raw).is_err()
            })
        });
        let (bytes, encoding) = decode(path, raw, asked)?;
        let (delimiter, sniffed) = match opts.dialect.delimiter {
            Some(d) => (d, false),
            None => (
                sniff_delimiter_preferring(&bytes, opts.preferred_delimiter)
                    .map_err(|m| data_err(path, None, None, m))?,
                true,
            ),
        };
        // The csv crate's own line counter skips blank lines; count newlines ourselves so that
        // messages give the line an editor shows.
        let lines_at = LineIndex::new(&bytes);
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .trim(csv::Trim::All)
            .from_reader(bytes.as_slice());
        let mut rec = csv::StringRecord::new();
        if !rdr
            .read_record(&mut rec)
            .map_err(|e| csv_err(path, &e, &lines_at))?
        {
            return Err(data_err(
                path,
                None,
                None,
                "empty file: expected a header row".into(),
            ));
        }
        let header_line = rec.position().map_or(1, |p| lines_at.line(p.byte()));
        let header = check_header(path, &rec, header_line, delimiter)?;
        check_line_lengths(path, &bytes)?;
        let (mut cells, lines) =
            read_rows(path, &mut rdr, (&header, delimiter), &lines_at, max_cells)?;
        if lines.is_empty() {
            return Err(data_err(
                path,
                None,
                None,
                "no data rows after the header".into(),
            ));
        }
        let plan = match opts.formats {
            Some(formats) => Plan::Apply(formats),
            None => Plan::Detect {
                decimal: opts.dialect.decimal,
                delimiter,
            },
        };
        let number_formats = rewrite_columns(
            &header,
            &mut cells,
            plan,
            opts.na_values,
            &opts.text_columns,
        );
        Ok(Table {
            path: path.to_path_buf(),
            header,
            cells,
            lines,
            dialect: Dialect {
                delimiter: char::from(delimiter),
                sniffed,
                encoding,
                number_formats,
            },
        })
    }

    /// Number of data rows.
    pub fn n_rows(&self) -> usize {
        self.lines.len()
    }

    /// Index of the column called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The header as `a, b, c` (for "available columns" messages).
    pub fn columns_list(&self) -> String {
        self.header.join(", ")
    }

    /// A data error on this file at data row `row` (0-based, converted to its line number).
    pub fn err(&self, row: Option<usize>, column: Option<&str>, msg: String) -> Error {
        data_err(
            &self.path,
            row.map(|r| self.lines[r]),
            column.map(str::to_string),
            msg,
        )
    }

    /// Column `col` as numbers (`NaN` = missing). A cell that is not a number, or that is
    /// infinite (`inf`, `-inf`, `1e999`), is an error naming its row and column.
    pub fn numeric(&self, col: usize, na_values: &[String]) -> Result<Vec<f64>> {
        let name = self.header[col].as_str();
        let mut out = Vec::with_capacity(self.n_rows());
        for (r, cell) in self.cells[col].iter().enumerate() {
            match number_cell(cell, na_values) {
                NumberCell::Missing => out.push(f64::NAN),
                NumberCell::Number(v) => out.push(v),
                NumberCell::Infinite => {
                    return Err(self.err(Some(r), Some(name), infinite_cell_message(cell)))
                }
                NumberCell::NotANumber => {
                    return Err(self.err(Some(r), Some(name), format!("'{cell}' is not a number")))
                }
            }
        }
        Ok(out)
    }

    /// Column `col` as category strings (`None` = missing).
    pub fn categorical(&self, col: usize, na_values: &[String]) -> Vec<Option<String>> {
        self.cells[col]
            .iter()
            .map(|c| (!is_na(c, na_values)).then(|| c.clone()))
            .collect()
    }
}

/// Reads the data rows column-major, with their line numbers; a row whose field count differs
/// from the header's is an error naming its line. Lines of only spaces are skipped. More than
/// `max_cells` cells (rows × header width) is an error naming the first line over the limit.
fn read_rows(
    path: &Path,
    rdr: &mut csv::Reader<&[u8]>,
    (header, delimiter): (&[String], u8),
    lines_at: &LineIndex<'_>,
    max_cells: usize,
) -> Result<(Vec<Vec<String>>, Vec<usize>)> {
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); header.len()];
    let mut lines = Vec::new();
    let mut rec = csv::StringRecord::new();
    let max_rows = max_cells / header.len().max(1);
    while rdr
        .read_record(&mut rec)
        .map_err(|e| csv_err(path, &e, lines_at))?
    {
        let line = rec
            .position()
            .map_or(lines.len() + 2, |p| lines_at.line(p.byte()));
        if lines.len() >= max_rows {
            let msg = format!(
                "more than {max_rows} data rows of {} columns: over the limit of {max_cells} cells",
                header.len()
            );
            return Err(data_err(path, Some(line), None, msg));
        }
        if rec.len() == 1 && rec[0].is_empty() && header.len() > 1 {
            continue;
        }
        if rec.len() != header.len() {
            return Err(data_err(
                path,
                Some(line),
                None,
                field_count_message(&rec, header.len(), delimiter),
            ));
        }
        for (col, field) in cells.iter_mut().zip(rec.iter()) {
            col.push(field.to_string());
        }
        lines.push(line);
    }
    Ok((cells, lines))
}

/// "has N fields but the header has M", naming the delimiter, and pointing at an unquoted
/// decimal comma when a field ending in a digit is followed by one starting with a digit in a
/// row with too many fields (`1,5` read as `1` and `5`).
fn field_count_message(rec: &csv::StringRecord, expected: usize, delimiter: u8) -> String {
    let mut msg = format!(
        "has {} fields but the header has {expected} (delimiter {})",
        rec.len(),
        delimiter_name(delimiter)
    );
    let split_number = rec.len() > expected
        && rec.iter().zip(rec.iter().skip(1)).any(|(a, b)| {
            a.ends_with(|c: char| c.is_ascii_digit()) && b.starts_with(|c: char| c.is_ascii_digit())
        });
    if split_number {
        msg.push_str(
            ": an unquoted decimal comma, as in 1,5, splits a number into two fields; quote \
             such cells, or save the file with ';' as the delimiter",
        );
    }
    msg
}

/// Checks the header: not too many names, every one non-empty and unique. A one-field header
/// holding another delimiter is an error naming it and `data.delimiter`.
fn check_header(
    path: &Path,
    rec: &csv::StringRecord,
    line: usize,
    delimiter: u8,
) -> Result<Vec<String>> {
    check_header_width(path, rec.len(), line)?;
    if rec.len() == 1 {
        if let Some(&(other, n)) = other_delimiters_in(&rec[0], delimiter).first() {
            let msg = format!(
                "the header has 1 field read with delimiter {}, but it holds {n} × {}: set \
                 data.delimiter = \"{}\" (--delimiter for predict and eval)",
                delimiter_name(delimiter),
                delimiter_name(other),
                if other == b'\t' {
                    "tab".to_string()
                } else {
                    char::from(other).to_string()
                }
            );
            return Err(data_err(path, Some(line), None, msg));
        }
    }
    let mut seen = HashSet::new();
    let mut header = Vec::with_capacity(rec.len());
    for (i, name) in rec.iter().enumerate() {
        // R's `write.csv` and pandas' `to_csv` leave the row-name column's header empty;
        // it gets the name pandas' `read_csv` gives it (`Unnamed: 0`), and the schema then
        // drops it as an identifier.
        let unnamed;
        let name = if name.trim().is_empty() {
            unnamed = format!("Unnamed: {i}");
            unnamed.as_str()
        } else {
            name
        };
        if !seen.insert(name.to_string()) {
            let msg = "duplicate column name in the header".to_string();
            return Err(data_err(path, Some(line), Some(name.to_string()), msg));
        }
        header.push(name.to_string());
    }
    Ok(header)
}

/// Maps byte offsets of the csv crate's positions to 1-based editor line numbers.
struct LineIndex<'a> {
    bytes: &'a [u8],
    newlines: Vec<u64>,
}

impl<'a> LineIndex<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let newlines = bytes
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .map(|(i, _)| i as u64)
            .collect();
        LineIndex { bytes, newlines }
    }
    /// The line of the record whose position is `byte`. A csv position points just after the
    /// previous record's last field, so skip the line terminators (and blank lines) first.
    fn line(&self, byte: u64) -> usize {
        let mut b = byte as usize;
        while b < self.bytes.len() && matches!(self.bytes[b], b'\r' | b'\n') {
            b += 1;
        }
        1 + self.newlines.partition_point(|&nl| nl < b as u64)
    }
}

/// A csv-crate error while reading records (bad UTF-8), with its line when known.
fn csv_err(path: &Path, e: &csv::Error, lines: &LineIndex<'_>) -> Error {
    let line = e.position().map(|p| lines.line(p.byte()));
    let reason = match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => format!("field {} is not valid UTF-8", err.field() + 1),
        _ => e.to_string(),
    };
    data_err(path, line, None, format!("cannot read CSV: {reason}"))
}

#[cfg(test)]
mod tests;
