//! The raw data as read, before any schema or preprocessing: named columns of one frame, a
//! loaded dataset, what counts as a missing cell. The leaf of the data flow (read → schema →
//! preprocess → tensors): `data` (which reads), `schema` (which decides) and `preprocess`
//! (which applies) all import these types, and this module imports none of them, so that
//! `preprocess` and `schema` need nothing from `data`.

use std::path::{Path, PathBuf};

use crate::Error;

/// The values of one raw column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    /// Numbers; `NaN` marks a missing value.
    Numeric(Vec<f64>),
    /// Category strings; `None` marks a missing value.
    Categorical(Vec<Option<String>>),
    /// Raw cells of a file (trimmed), not yet typed: the schema decides what they are.
    Text(Vec<String>),
}

/// One named raw column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header name.
    pub name: String,
    /// Values, one per row.
    pub values: ColumnValues,
}

/// Raw feature columns, all of length `n_rows` (the target is not among them).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Frame {
    /// The columns in file order.
    pub columns: Vec<Column>,
    /// Number of rows.
    pub n_rows: usize,
}

impl Frame {
    /// The column called `name`, if any.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
    /// The column names in order.
    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }
}

impl ColumnValues {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            ColumnValues::Numeric(v) => v.len(),
            ColumnValues::Categorical(v) => v.len(),
            ColumnValues::Text(v) => v.len(),
        }
    }
    /// True when there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A loaded dataset before preprocessing.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Raw features.
    pub frame: Frame,
    /// Class index of each row, in `0..class_names.len()`.
    pub labels: Vec<usize>,
    /// Class names in index order (sorted label strings for CSV; "0", "1", ... for synthetic).
    pub class_names: Vec<String>,
    /// `[C, H, W]` when rows are images (flattened row-major), e.g. `[1, 8, 8]` for digits.
    pub image_shape: Option<[usize; 3]>,
    /// Where the data came from, for messages (a file path or `circle(n=2000)`).
    pub origin: String,
    /// The CSV file, if any (for error messages naming it).
    pub path: Option<PathBuf>,
    /// The 1-based line of each row in that file (empty for generated data).
    pub lines: Vec<usize>,
    /// How that file was read (`None` for generated data).
    pub dialect: Option<crate::data::dialect::Dialect>,
    /// When rows without a target value were left out of a CSV file: the file's data row
    /// (0-based, header excluded) of each row here, so that `split.json` names the file's rows;
    /// empty when every row of the file is here.
    pub file_rows: Vec<usize>,
    /// The 1-based lines of the rows left out for having no target value.
    pub unlabelled_lines: Vec<usize>,
}

/// True for a cell that `data.na_values` marks missing: empty, or equal to one of
/// `na_values` (both trimmed, ignoring ASCII case).
pub fn is_na(cell: &str, na_values: &[String]) -> bool {
    let c = cell.trim();
    c.is_empty() || na_values.iter().any(|m| m.trim().eq_ignore_ascii_case(c))
}

/// A cell read as a number: what [`number_cell`] found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NumberCell {
    /// Missing (empty or one of `data.na_values`): becomes `NaN`.
    Missing,
    /// A finite number.
    Number(f64),
    /// `inf`, `-inf`, `1e999`: refused, a missing value is written empty or NA.
    Infinite,
    /// Not a number at all.
    NotANumber,
}

/// Reads one cell of a numeric column: the one rule for every reader (training, predict time,
/// the schema), so that a cell means the same everywhere.
pub fn number_cell(cell: &str, na_values: &[String]) -> NumberCell {
    if is_na(cell, na_values) {
        return NumberCell::Missing;
    }
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() => NumberCell::Number(v),
        Ok(_) => NumberCell::Infinite,
        Err(_) => NumberCell::NotANumber,
    }
}

/// The message for an infinite cell.
pub fn infinite_cell_message(cell: &str) -> String {
    format!("infinite value '{cell}' (write an empty cell or NA for a missing value)")
}

/// Builds `Error::Data`.
pub(crate) fn data_err(
    path: &Path,
    row: Option<usize>,
    column: Option<String>,
    msg: String,
) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        row,
        column,
        msg,
    }
}
