//! The inference rules of the schema for one text column, with their thresholds, and the error
//! for a mostly-numeric column with stray tokens. The rules in order are in the module doc of
//! [`super`]; every threshold is a constant here.

use std::collections::HashMap;

use super::{data_error, dates::looks_like_datetime, Kind};
use crate::frame::{is_na, Dataset};
use crate::Error;

/// Share of distinct values (among non-missing training values) from which a text column is an
/// identifier (AutoGluon drops object columns with ≥ 99 % unique values).
pub const ID_UNIQUE_SHARE: f64 = 0.99;
/// A text column whose median level appears in at most this many training rows is an
/// identifier (an ID of individuals measured once or twice: nothing carries to new rows).
pub const ID_MAX_MEDIAN_ROWS: usize = 2;
/// The identifier rules apply from this many distinct training values on (a small table with a
/// few unique labels keeps them as categories).
pub const ID_MIN_LEVELS: usize = 20;
/// Mean length in characters from which mostly distinct strings are free text.
pub const FREE_TEXT_MIN_CHARS: f64 = 20.0;
/// Share of distinct values from which long strings are free text.
pub const FREE_TEXT_MIN_UNIQUE_SHARE: f64 = 0.5;
/// Share of values that must look like dates or times for a date/time column.
pub const DATE_MIN_SHARE: f64 = 0.95;
/// Share of values that are numbers from which stray tokens are an error, not categories.
pub const STRAY_MIN_NUMBER_SHARE: f64 = 0.9;
/// Most distinct stray tokens for that error (more: the column is text).
pub const STRAY_MAX_TOKENS: usize = 3;
/// Stray rows named in the error message.
const STRAY_ROWS_SHOWN: usize = 3;
/// A numeric target with at least this many distinct values...
pub const CONTINUOUS_MIN_DISTINCT: usize = 20;
/// ...that make up at least this share of the rows is a measurement, not a class column
/// (breast cancer's `mean_radius`: 456 distinct values in 569 rows). A target with
/// non-integer numbers needs only [`CONTINUOUS_MIN_FRACTIONAL`] distinct values.
pub const CONTINUOUS_MIN_SHARE: f64 = 0.2;
/// Distinct non-integer numbers from which a target is continuous whatever the row count.
pub const CONTINUOUS_MIN_FRACTIONAL: usize = 10;

/// Why the distinct values `classes` of a target column of `rows` rows look continuous (a
/// measurement to regress, not classes), or `None`. Each class would be one softmax output:
/// a continuous target builds a classifier of hundreds of classes that learns nothing.
pub fn continuous_target(classes: &[String], rows: usize) -> Option<String> {
    let numbers: Option<Vec<f64>> = classes
        .iter()
        .map(|c| c.trim().parse::<f64>().ok())
        .collect();
    let numbers = numbers?;
    let distinct = numbers.len();
    let fractional = numbers.iter().any(|v| v.is_finite() && v.fract() != 0.0);
    let many = distinct >= CONTINUOUS_MIN_DISTINCT
        && distinct as f64 >= CONTINUOUS_MIN_SHARE * rows as f64;
    if !(many || (fractional && distinct >= CONTINUOUS_MIN_FRACTIONAL)) {
        return None;
    }
    let examples: Vec<&str> = classes.iter().take(3).map(String::as_str).collect();
    Some(format!(
        "looks continuous: {distinct} distinct numbers in {rows} rows (e.g. {}); classification \
         needs a class column: choose another data.target, or bin the values into classes first",
        examples.join(", ")
    ))
}

/// What the rules say about a text column.
pub(super) enum Verdict {
    /// The kind, the evidence in words and, for a categorical, its number of levels.
    Is(Kind, String, Option<usize>),
    /// Mostly numbers with a few stray tokens: an error.
    MostlyNumbers,
}

/// Count of each distinct non-missing value among the rows `train`.
pub(super) fn levels<'a>(
    cells: &'a [String],
    train: &[usize],
    na: &[String],
) -> HashMap<&'a str, usize> {
    let mut counts = HashMap::new();
    for &r in train {
        if !is_na(&cells[r], na) {
            *counts.entry(cells[r].as_str()).or_insert(0) += 1;
        }
    }
    counts
}

/// Applies rules 3–10 of [`super`] to a text column (overrides are handled by the caller).
pub(super) fn classify(cells: &[String], train: &[usize], na: &[String]) -> Verdict {
    let values: Vec<&str> = train
        .iter()
        .map(|&r| cells[r].as_str())
        .filter(|c| !is_na(c, na))
        .collect();
    let n = values.len();
    if n == 0 {
        let why = format!("all {} training values missing", train.len());
        return Verdict::Is(Kind::Empty, why, None);
    }
    let counts = levels(cells, train, na);
    let numbers = values.iter().filter(|v| v.parse::<f64>().is_ok()).count();
    if numbers == n {
        return numeric(&values);
    }
    let strays = counts.keys().filter(|k| k.parse::<f64>().is_err()).count();
    if numbers as f64 >= STRAY_MIN_NUMBER_SHARE * n as f64 && strays <= STRAY_MAX_TOKENS {
        return Verdict::MostlyNumbers;
    }
    let dates = values.iter().filter(|v| looks_like_datetime(v)).count();
    if dates as f64 >= DATE_MIN_SHARE * n as f64 {
        let example = values
            .iter()
            .find(|v| looks_like_datetime(v))
            .unwrap_or(&"");
        let why = format!("{dates} of {n} values are dates or times, such as '{example}'");
        return Verdict::Is(Kind::DateTime, why, None);
    }
    text(&values, &counts)
}

/// A column of numbers: constant or numeric (numeric when a value is infinite, so that
/// applying the schema names that cell).
fn numeric(values: &[&str]) -> Verdict {
    let first = values[0].parse::<f64>().unwrap_or(f64::NAN);
    if !first.is_finite() {
        return Verdict::Is(Kind::Numeric, String::new(), None);
    }
    if values
        .iter()
        .all(|v| v.parse::<f64>().is_ok_and(|x| x == first))
    {
        let why = format!("every value is {}", values[0]);
        return Verdict::Is(Kind::Constant, why, None);
    }
    Verdict::Is(Kind::Numeric, String::new(), None)
}

/// Rules 7–10 on the non-missing values of a text column and their counts.
fn text(values: &[&str], counts: &HashMap<&str, usize>) -> Verdict {
    let (n, k) = (values.len(), counts.len());
    if k == 1 {
        let why = format!("every value is '{}'", values[0]);
        return Verdict::Is(Kind::Constant, why, None);
    }
    let mean_chars = values.iter().map(|v| v.chars().count()).sum::<usize>() as f64 / n as f64;
    if mean_chars >= FREE_TEXT_MIN_CHARS && k as f64 >= FREE_TEXT_MIN_UNIQUE_SHARE * n as f64 {
        let why = format!("{k} of {n} values distinct, {mean_chars:.0} characters on average");
        return Verdict::Is(Kind::FreeText, why, None);
    }
    if k >= ID_MIN_LEVELS {
        if k as f64 >= ID_UNIQUE_SHARE * n as f64 {
            let why = format!("{k} of {n} values unique");
            return Verdict::Is(Kind::Identifier, why, None);
        }
        let mut per_level: Vec<usize> = counts.values().copied().collect();
        per_level.sort_unstable();
        let median = per_level[per_level.len() / 2];
        if median <= ID_MAX_MEDIAN_ROWS {
            let why = format!(
                "{k} levels in {n} values, a typical level in {median} row{}",
                if median == 1 { "" } else { "s" }
            );
            return Verdict::Is(Kind::Identifier, why, None);
        }
    }
    Verdict::Is(Kind::Categorical, String::new(), Some(k))
}

/// The error for a numeric column with cells that are not numbers, counted over the whole file
/// (what the user edits): the first rows and tokens, how many values are numbers, and the
/// fixes. `declared`: the column is in `data.numeric` (or pixels), so the fixes differ.
pub(super) fn stray_error(
    ds: &Dataset,
    name: &str,
    cells: &[String],
    na: &[String],
    declared: bool,
) -> Error {
    let mut n = 0;
    let mut strays = Vec::new();
    for (r, cell) in cells.iter().enumerate() {
        if is_na(cell, na) {
            continue;
        }
        n += 1;
        if cell.parse::<f64>().is_err() {
            strays.push((r, cell.as_str()));
        }
    }
    let line = |r: usize| ds.lines.get(r).copied().unwrap_or(r + 2);
    let Some(&(first, token)) = strays.first() else {
        return data_error(ds, None, name, "every value is a number".into());
    };
    let mut also: Vec<String> = strays[1..]
        .iter()
        .take(STRAY_ROWS_SHOWN - 1)
        .map(|&(r, t)| format!("row {}: '{t}'", line(r)))
        .collect();
    if strays.len() > STRAY_ROWS_SHOWN {
        also.push(format!("{} more", strays.len() - STRAY_ROWS_SHOWN));
    }
    let also = match also.is_empty() {
        true => String::new(),
        false => format!(" (also {})", also.join(", ")),
    };
    let numbers = n - strays.len();
    let msg = if declared {
        format!(
            "'{token}' is not a number{also}, and the column is numeric ({numbers} of {n} values \
             are numbers); correct the file or list the token as missing (data.na_values)"
        )
    } else {
        format!(
            "'{token}' is not a number{also}, but {numbers} of {n} values are; correct the file, \
             list the token as missing (data.na_values), or declare the column categorical \
             (data.categorical)"
        )
    };
    data_error(ds, Some(line(first)), name, msg)
}

/// Header names that mark a row index: R's `rownames`, pandas' `Unnamed: 0` (an index written
/// without a name), an empty header, `id` and `index` (any case).
pub fn is_index_name(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    // The reader names an empty header field `Unnamed: i` (as pandas does); "" stays for
    // columns built in memory.
    matches!(n.as_str(), "" | "id" | "index" | "rownames" | "unnamed: 0")
}

/// Whether the training values of a numeric column are exactly their rows' positions in the
/// file, counted from 1 or from 0 (a row number written out as a column): then the `why`.
/// From [`ID_MIN_LEVELS`] training rows on, as the other identifier rules (in a toy table of a
/// few rows, a real feature can count 1, 2, 3 by chance).
pub fn row_numbers(cells: &[String], train: &[usize], na: &[String]) -> Option<String> {
    let value = |r: usize| (!is_na(&cells[r], na)).then(|| cells[r].trim().parse::<f64>().ok())?;
    let from = |start: usize| {
        train
            .iter()
            .all(|&r| value(r).is_some_and(|v| v == (r + start) as f64))
    };
    let n = cells.len();
    match (train.len() >= ID_MIN_LEVELS, from(1), from(0)) {
        (true, true, _) => Some(format!(
            "its values are the row numbers 1…{n} in file order"
        )),
        (true, _, true) => Some(format!(
            "its values are the row numbers 0…{} in file order",
            n - 1
        )),
        _ => None,
    }
}

/// The note for a kept numeric column whose training values are distinct integers (not row
/// numbers): it may be an identifier nobody ordered, so the report says so.
pub fn unique_integers(cells: &[String], train: &[usize], na: &[String]) -> Option<String> {
    let mut seen = std::collections::HashSet::new();
    for &r in train {
        let v = cells[r]
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|_| !is_na(&cells[r], na))?;
        if v.fract() != 0.0 || !seen.insert(v.to_bits()) {
            return None;
        }
    }
    (seen.len() >= ID_MIN_LEVELS).then(|| {
        "every value a distinct integer, not in row order: kept (data.drop drops it)".to_string()
    })
}
