//! Numbers as locales write them, rewritten into the one syntax every reader parses (`1234.5`),
//! column by column, before the schema sees the cells.
//!
//! Rules (documented in the README, "Your own CSV"):
//! - A column is rewritten only when *every* non-missing cell reads in the format and, when
//!   the format is guessed, at least one cell holds a `,` (so a plain column is never touched,
//!   and `1.234` alone stays 1.234). With `data.decimal = ","` (or `--decimal ,`) no comma is
//!   needed: `1.500` then reads as 1500.
//! - Decimal comma: `2,5`, `-0,125`, `1.234,56`, `1.234.567` (`.` groups exactly three digits),
//!   `2,5e-3`. Detected when the delimiter is not `,`, or used with `data.decimal = ","`.
//! - Thousands comma: `1,234.56`, `12,345` (`,` groups exactly three digits), only when the
//!   delimiter is not `,`. A column whose cells are all `d,ddd` reads as decimal commas first
//!   (`1,234` = 1.234) unless `data.decimal = "."` says otherwise.
//! - The target column and `data.categorical` columns are text: never rewritten.

use super::{Decimal, NumberFormat};
use crate::frame::is_na;

/// `cell` in the plain syntax if it is a number written with `decimal` as its decimal mark and
/// `group` as an optional thousands separator; `None` otherwise.
fn normalise(cell: &str, decimal: char, group: char) -> Option<String> {
    let s = cell.trim();
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' | b'-' => s.split_at(1),
        _ => ("", s),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    if let Some(e) = exponent {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    let (int, frac) = match mantissa.split_once(decimal) {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if let Some(f) = frac {
        if !digits(f) || (f.is_empty() && int.is_empty()) {
            return None;
        }
    }
    let int_digits = if digits(int) {
        int.to_string()
    } else {
        let mut groups = int.split(group);
        let first = groups.next()?;
        let ok_first = (1..=3).contains(&first.len()) && digits(first);
        let rest: Vec<&str> = groups.collect();
        if !ok_first || rest.is_empty() || !rest.iter().all(|g| g.len() == 3 && digits(g)) {
            return None;
        }
        int.replace(group, "")
    };
    if int_digits.is_empty() && frac.is_none_or(str::is_empty) {
        return None;
    }
    let mut out = format!("{sign}{int_digits}");
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    if let Some(e) = exponent {
        out.push('e');
        out.push_str(e);
    }
    Some(out)
}

/// `cell` in the plain syntax, if it is a number in `format`.
pub fn read_as(cell: &str, format: NumberFormat) -> Option<String> {
    match format {
        NumberFormat::DecimalComma => normalise(cell, ',', '.'),
        NumberFormat::ThousandsComma => normalise(cell, '.', ','),
    }
}

/// What to do with the number cells of a file.
#[derive(Debug, Clone, Copy)]
pub enum Plan<'a> {
    /// Find each column's format (training): `decimal` is `data.decimal`, `delimiter` the
    /// file's.
    Detect {
        /// `data.decimal`, if set.
        decimal: Option<Decimal>,
        /// The file's delimiter.
        delimiter: u8,
    },
    /// Read these columns in these formats (predict time: the training file's dialect).
    Apply(&'a [(String, NumberFormat)]),
}

/// The formats to try on a column under `decimal` and `delimiter`, in order.
fn candidates(decimal: Option<Decimal>, delimiter: u8) -> &'static [NumberFormat] {
    use NumberFormat::{DecimalComma, ThousandsComma};
    match (decimal, delimiter == b',') {
        (Some(Decimal::Comma), _) => &[DecimalComma],
        (Some(Decimal::Dot), false) => &[ThousandsComma],
        (None, false) => &[DecimalComma, ThousandsComma],
        (_, true) => &[],
    }
}

/// Rewrites the number cells of `cells` (column-major, named by `header`) by `plan`, leaving
/// the `text` columns alone; returns the columns rewritten, with their format.
pub fn rewrite_columns(
    header: &[String],
    cells: &mut [Vec<String>],
    plan: Plan<'_>,
    na_values: &[String],
    text: &[String],
) -> Vec<(String, NumberFormat)> {
    let mut done = Vec::new();
    for (name, col) in header.iter().zip(cells.iter_mut()) {
        if text.contains(name) {
            continue;
        }
        let format = match plan {
            Plan::Apply(formats) => formats.iter().find(|(n, _)| n == name).map(|&(_, f)| f),
            Plan::Detect { decimal, delimiter } => candidates(decimal, delimiter)
                .iter()
                .copied()
                .find(|&f| column_reads_as(col, f, na_values, decimal.is_none())),
        };
        let Some(format) = format else { continue };
        for cell in col.iter_mut().filter(|c| !is_na(c, na_values)) {
            if let Some(plain) = read_as(cell, format) {
                *cell = plain;
            }
        }
        done.push((name.clone(), format));
    }
    done
}

/// Whether every non-missing cell of `col` is a number in `format` and not every one is
/// already a plain number with the same value; with `guessed`, one must also hold a `,`.
fn column_reads_as(
    col: &[String],
    format: NumberFormat,
    na_values: &[String],
    guessed: bool,
) -> bool {
    let mut present = col.iter().filter(|c| !is_na(c, na_values)).peekable();
    if present.peek().is_none() {
        return false;
    }
    let (mut comma, mut all_same) = (false, true);
    for cell in present {
        let Some(plain) = read_as(cell, format) else {
            return false;
        };
        comma |= cell.contains(',');
        all_same &= plain == cell.trim();
    }
    (comma || !guessed) && !all_same
}
