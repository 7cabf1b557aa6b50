//! The column schema: what each column of a table is and how it is treated, decided once on
//! the TRAINING rows (never on validation or test rows), shown as a table, saved with the model
//! (inside the fitted [`crate::preprocess::Preprocessor`]) and applied unchanged at evaluation
//! and prediction. Data flows one way: read ([`crate::data`]) → schema (this module) →
//! preprocess → tensors.
//!
//! # Rules
//! A cell is missing when it is empty or equals one of `data.na_values` (trimmed, any case;
//! default [`crate::config::DEFAULT_NA_VALUES`]). Then, for each column but the target, the
//! first rule that applies decides (thresholds are the constants of [`rules`]):
//! 1. listed in `data.drop` → **excluded** (dropped);
//! 2. listed in `data.numeric` → **numeric**, listed in `data.categorical` → **categorical**,
//!    kept whatever the rules below would say (a column that does not exist is an error);
//! 3. every training value missing → **empty** (dropped);
//! 4. every training value a number → **numeric** (integer-valued columns too: they are never
//!    inferred categorical or identifier), unless it has one distinct value → **constant**
//!    (dropped). Any row of the file that is then not a number is an error naming it;
//! 5. at least [`rules::STRAY_MIN_NUMBER_SHARE`] of the values numbers, with at most
//!    [`rules::STRAY_MAX_TOKENS`] distinct other tokens → an **error** naming the column, the
//!    first rows and tokens and the fixes (a typo such as `0.4o2` never makes a categorical);
//! 6. text: at least [`rules::DATE_MIN_SHARE`] of the values dates or times (`2007-11-09`,
//!    `2007-11-09T10:00`, `2007/11/09`, `11/9/07`, `9 Nov 2007`: see [`dates`]) → **date/time**
//!    (dropped: one category per day cannot generalize to new days);
//! 7. one distinct value → **constant** (dropped: after imputation it carries nothing);
//! 8. values [`rules::FREE_TEXT_MIN_CHARS`] characters long on average and at least
//!    [`rules::FREE_TEXT_MIN_UNIQUE_SHARE`] of them distinct → **free text** (dropped);
//! 9. at least [`rules::ID_MIN_LEVELS`] levels and either at least [`rules::ID_UNIQUE_SHARE`]
//!    of the values distinct (AutoGluon's rule), or a median of at most
//!    [`rules::ID_MAX_MEDIAN_ROWS`] training rows per level (an ID of individuals measured
//!    twice) → **identifier** (dropped: nothing learned about a level carries to new rows);
//! 10. otherwise → **categorical** (one-hot over the training levels).
//!
//! A column that rules 4 or 10 keep is still an **identifier** (dropped) when its header names
//! a row index (`id`, `index`, `rownames`, pandas' `Unnamed: 0`, an empty header: any case), or
//! when it is numeric and its values are exactly its rows' numbers in the file (1…n or 0…n−1).
//! A kept numeric column of distinct integers in another order stays, with a note in the
//! report. `data.keep` keeps a column whatever these rules say (numeric when every training
//! value is a number, else categorical).
//!
//! Every drop is listed with its reason in the report ([`Schema::report`]); none is silent.
//! Generated (synthetic) and image data skip inference: all their columns are numeric.

mod dates;
mod identity;
mod report;
pub mod rules;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use std::collections::HashSet;

use crate::config::{DataConfig, DEFAULT_NA_VALUES};
use crate::frame::{
    infinite_cell_message, is_na, number_cell, Column, ColumnValues, Dataset, Frame, NumberCell,
};
use crate::{Error, Result};

pub use dates::looks_like_datetime;
pub use rules::continuous_target;

/// What a column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Numbers: one feature (standardized, or as is), or one per piecewise-linear bin.
    Numeric,
    /// Categories: one-hot over the training levels.
    Categorical,
    /// Nearly one value per row, or per individual: dropped.
    Identifier,
    /// One distinct value: dropped.
    Constant,
    /// Every training value missing: dropped.
    Empty,
    /// Long, mostly distinct strings: dropped.
    FreeText,
    /// Dates or times: dropped.
    DateTime,
    /// Listed in `data.drop`.
    Excluded,
}

impl Kind {
    /// True for the kinds that become features.
    pub fn is_kept(self) -> bool {
        matches!(self, Kind::Numeric | Kind::Categorical)
    }
    /// The kind in words, as the report shows it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Numeric => "numeric",
            Kind::Categorical => "categorical",
            Kind::Identifier => "identifier",
            Kind::Constant => "constant",
            Kind::Empty => "empty",
            Kind::FreeText => "free text",
            Kind::DateTime => "date/time",
            Kind::Excluded => "excluded",
        }
    }
}

/// The decision on one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSchema {
    /// Header name.
    pub name: String,
    /// What it is.
    pub kind: Kind,
    /// Why, in words: the evidence for a drop (`342 of 344 values unique`), or the key that
    /// declared the kind; empty for an inferred kept column.
    pub why: String,
    /// Missing values among the training rows.
    pub missing: usize,
    /// Distinct non-missing training values of a categorical column (its one-hot width).
    pub levels: Option<usize>,
}

/// The decisions on every column, and what the report needs to state them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Schema {
    /// Every column but the target, in file order (`data.drop` columns last).
    pub columns: Vec<ColumnSchema>,
    /// Where the data came from.
    pub origin: String,
    /// The label column, if any.
    pub target: Option<String>,
    /// Number of training rows the schema was inferred on.
    pub train_rows: usize,
    /// True when numeric features are standardized.
    pub scaled: bool,
    /// The missing-value tokens (`data.na_values`); `None` (checkpoints from before the
    /// schema) means [`DEFAULT_NA_VALUES`].
    pub na_values: Option<Vec<String>>,
    /// For generated or image data: a one-line description instead of inference.
    pub note: Option<String>,
    /// How the CSV file was read, when not as a plain comma-separated UTF-8 file with plain
    /// numbers (absent then, so such checkpoints keep their bytes); `predict` and `eval` read
    /// new rows the same way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialect: Option<crate::data::dialect::Dialect>,
    /// Categorical columns read through the model's embedding tables (`model.embeddings`):
    /// `(column, table key, dimension)`, for the report.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub embedded: Vec<(String, String, usize)>,
    /// Numeric columns encoded piecewise-linearly (`data.piecewise_bins`): `(column, bins)`,
    /// for the report.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub piecewise: Vec<(String, usize)>,
}

impl Schema {
    /// Infers the schema of `ds` from its training rows `train`, with the overrides of `cfg`.
    /// A mostly-numeric column with stray tokens is an error naming column, rows and tokens.
    pub fn infer(ds: &Dataset, train: &[usize], cfg: &DataConfig) -> Result<Schema> {
        let mut columns = Vec::with_capacity(ds.frame.columns.len() + cfg.drop.len());
        for col in &ds.frame.columns {
            columns.push(infer_column(ds, col, train, cfg)?);
        }
        if ds.path.is_some() && ds.image_shape.is_none() {
            columns.extend(cfg.drop.iter().map(|name| ColumnSchema {
                name: name.clone(),
                kind: Kind::Excluded,
                why: "listed in data.drop".into(),
                missing: 0,
                levels: None,
            }));
        }
        let schema = Schema {
            columns,
            origin: ds.origin.clone(),
            target: cfg.target.clone().filter(|_| ds.path.is_some()),
            train_rows: train.len(),
            scaled: false,
            na_values: Some(cfg.na_values.clone()),
            note: note_for(ds),
            dialect: ds.dialect.clone().filter(|d| !d.is_plain()),
            embedded: Vec::new(),
            piecewise: Vec::new(),
        };
        schema.check_some_kept(ds)?;
        Ok(schema)
    }

    /// The missing-value tokens in force.
    pub fn na_values(&self) -> &[String] {
        static DEFAULT: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        match &self.na_values {
            Some(v) => v,
            None => DEFAULT.get_or_init(|| DEFAULT_NA_VALUES.map(String::from).to_vec()),
        }
    }

    /// The decision on the column called `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnSchema> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The dropped columns, each with its kind.
    pub fn dropped(&self) -> Vec<&ColumnSchema> {
        self.columns.iter().filter(|c| !c.kind.is_kept()).collect()
    }

    /// The kept columns of `ds` typed as decided, in file order: what preprocessing fits on.
    /// A cell of a numeric column that is not a number is an error naming its row.
    pub fn apply(&self, ds: &Dataset) -> Result<Frame> {
        let mut columns = Vec::new();
        for col in &ds.frame.columns {
            let Some(entry) = self.column(&col.name).filter(|e| e.kind.is_kept()) else {
                continue;
            };
            let values = match (&col.values, entry.kind) {
                (ColumnValues::Text(cells), Kind::Numeric) => {
                    ColumnValues::Numeric(self.parse_numbers(ds, &col.name, cells)?)
                }
                (ColumnValues::Text(cells), _) => ColumnValues::Categorical(
                    cells
                        .iter()
                        .map(|c| (!is_na(c, self.na_values())).then(|| c.clone()))
                        .collect(),
                ),
                (values, _) => values.clone(),
            };
            columns.push(Column {
                name: col.name.clone(),
                values,
            });
        }
        Ok(Frame {
            columns,
            n_rows: ds.frame.n_rows,
        })
    }

    /// Every cell of a numeric column as a number (`NaN` = missing).
    fn parse_numbers(&self, ds: &Dataset, name: &str, cells: &[String]) -> Result<Vec<f64>> {
        let na = self.na_values();
        let mut out = Vec::with_capacity(cells.len());
        for (r, cell) in cells.iter().enumerate() {
            match number_cell(cell, na) {
                NumberCell::Missing => out.push(f64::NAN),
                NumberCell::Number(v) => out.push(v),
                NumberCell::Infinite => {
                    let msg = infinite_cell_message(cell);
                    return Err(data_error(ds, ds.lines.get(r).copied(), name, msg));
                }
                NumberCell::NotANumber => {
                    // Declared numeric (or pixels, or kept): not the inference's own call.
                    let declared = self.column(name).is_some_and(|c| {
                        c.why.starts_with("declared")
                            || c.why.starts_with("kept")
                            || c.why == "pixel"
                    });
                    return Err(rules::stray_error(ds, name, cells, na, declared));
                }
            }
        }
        Ok(out)
    }

    /// At least one column must be kept; otherwise the error lists every drop.
    fn check_some_kept(&self, ds: &Dataset) -> Result<()> {
        if self.columns.iter().any(|c| c.kind.is_kept()) {
            return Ok(());
        }
        let drops: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("'{}' ({}: {})", c.name, c.kind.label(), c.why))
            .collect();
        let msg = format!(
            "no feature column left besides the target: {}; declare the columns to keep in \
             data.numeric or data.categorical",
            drops.join(", ")
        );
        Err(data_error(ds, None, "", msg))
    }
}

/// The decision on one column of `ds`.
fn infer_column(
    ds: &Dataset,
    col: &Column,
    train: &[usize],
    cfg: &DataConfig,
) -> Result<ColumnSchema> {
    let na = &cfg.na_values;
    let name = col.name.clone();
    let (kind, why, levels) = match &col.values {
        ColumnValues::Numeric(_) => (Kind::Numeric, String::new(), None),
        ColumnValues::Categorical(v) => {
            let distinct: HashSet<_> = train.iter().filter_map(|&r| v[r].as_ref()).collect();
            (Kind::Categorical, String::new(), Some(distinct.len()))
        }
        ColumnValues::Text(cells) => {
            if ds.image_shape.is_some() {
                (Kind::Numeric, "pixel".into(), None)
            } else if cfg.numeric.contains(&name) {
                (Kind::Numeric, "declared in data.numeric".into(), None)
            } else if cfg.categorical.contains(&name) {
                let levels = rules::levels(cells, train, na).len();
                (
                    Kind::Categorical,
                    "declared in data.categorical".into(),
                    Some(levels),
                )
            } else {
                let inferred = match rules::classify(cells, train, na) {
                    rules::Verdict::MostlyNumbers => {
                        return Err(rules::stray_error(ds, &name, cells, na, false))
                    }
                    rules::Verdict::Is(kind, why, levels) => (kind, why, levels),
                };
                let inferred = identity::identifier(&name, inferred, cells, train, na);
                if cfg.keep.contains(&name) {
                    identity::kept(inferred, cells, train, na)
                } else {
                    inferred
                }
            }
        }
    };
    Ok(ColumnSchema {
        missing: missing_in(&col.values, train, na),
        name,
        kind,
        why,
        levels,
    })
}

/// Missing values of `values` among the rows `train`.
fn missing_in(values: &ColumnValues, train: &[usize], na: &[String]) -> usize {
    train
        .iter()
        .filter(|&&r| match values {
            ColumnValues::Numeric(v) => v[r].is_nan(),
            ColumnValues::Categorical(v) => v[r].is_none(),
            ColumnValues::Text(v) => is_na(&v[r], na),
        })
        .count()
}

/// The one-line description of generated or image data (no inference is done on them).
fn note_for(ds: &Dataset) -> Option<String> {
    let n = ds.frame.columns.len();
    match (&ds.path, ds.image_shape) {
        (None, _) => Some(format!(
            "{}: generated data, {n} numeric columns (no schema inference)",
            ds.origin
        )),
        (Some(_), Some([c, h, w])) => Some(format!(
            "{}: {c}×{h}×{w} images, {n} numeric pixel columns (no schema inference)",
            ds.origin
        )),
        (Some(_), None) => None,
    }
}

/// A data error on the file of `ds` (or its origin), at a line and a column (`""`: none).
pub(crate) fn data_error(ds: &Dataset, line: Option<usize>, column: &str, msg: String) -> Error {
    Error::Data {
        path: ds.path.clone().unwrap_or_else(|| ds.origin.clone().into()),
        row: line,
        column: (!column.is_empty()).then(|| column.to_string()),
        msg,
    }
}
