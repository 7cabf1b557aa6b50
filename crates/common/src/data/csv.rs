//! Tabular CSV loading: one header row, the target by name, every other column kept as raw
//! text cells (`data.drop` columns left out). Errors name file, row and column. This is the
//! final project's "real data" path that replaces the chapter's `make_toy_data` (Route 1 §3):
//! penguins (categoricals, `NA`) and breast cancer (imbalanced binary).
//!
//! Reading does not type the columns: the schema ([`crate::schema`]), inferred on the training
//! rows, decides what each column is. At predict time ([`read_for_predict`]) each column is
//! typed as the fitted preprocessing's schema says, with its missing-value tokens, so the same
//! raw cells always give the same features.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::dialect::DialectOptions;
use super::limits::check_predict_size;
use super::table::{ReadOptions, Table};
use super::{Column, ColumnValues, Dataset, Frame};
use crate::config::DataConfig;
use crate::frame::{data_err, is_na};
use crate::preprocess::{InputColumn, Preprocessor};
use crate::{Error, Result};

/// Loads a CSV file as a [`Dataset`] with the label column `cfg.target`.
///
/// Relative paths are relative to the current directory. Class names are the distinct label
/// strings, sorted numerically when every label is a number (`"2"` before `"10"`), else as text.
/// Rows without a label are left out ([`Dataset::file_rows`] maps the rest to the file's rows).
pub fn load(path: &Path, cfg: &DataConfig) -> Result<Dataset> {
    let target = cfg.target.as_deref().ok_or_else(|| {
        Error::config(
            "data.target",
            format!("name the label column of {}", path.display()),
        )
    })?;
    let mut text_columns = vec![target.to_string()];
    text_columns.extend(cfg.categorical.iter().cloned());
    let opts = ReadOptions {
        dialect: dialect_options(cfg)?,
        na_values: &cfg.na_values,
        text_columns,
        ..ReadOptions::default()
    };
    let table = Table::read(path, &opts).map_err(|e| e.naming_key("data.path"))?;
    check_column_lists(&table, cfg, target)?;
    let t = table.index_of(target).ok_or_else(|| {
        let msg = format!(
            "no target column '{target}' (data.target); available columns: {}",
            table.columns_list()
        );
        data_err(path, None, Some(target.to_string()), msg)
    })?;
    let mut table = table;
    let (file_rows, unlabelled_lines) = drop_unlabelled(&mut table, t, &cfg.na_values)?;
    let (labels, class_names) = read_labels(&table, t, &cfg.na_values)?;
    let lines = table.lines.clone();
    let dialect = table.dialect.clone();
    let columns = raw_columns(table, cfg, t);
    if columns.is_empty() {
        return Err(data_err(
            path,
            None,
            None,
            "no feature columns left besides the target".into(),
        ));
    }
    Ok(Dataset {
        frame: Frame {
            columns,
            n_rows: lines.len(),
        },
        labels,
        class_names,
        image_shape: None,
        origin: path.display().to_string(),
        path: Some(path.to_path_buf()),
        lines,
        dialect: Some(dialect),
        file_rows,
        unlabelled_lines,
    })
}

/// Leaves out the rows of `table` whose target (column `t`) is missing: a classifier learns
/// from labelled rows only. Returns the file's data row of each row kept (empty when none was
/// left out) and the lines of those left out; a file without one labelled row is an error.
fn drop_unlabelled(table: &mut Table, t: usize, na: &[String]) -> Result<(Vec<usize>, Vec<usize>)> {
    let missing: Vec<bool> = table.cells[t].iter().map(|c| is_na(c, na)).collect();
    if !missing.contains(&true) {
        return Ok((Vec::new(), Vec::new()));
    }
    let kept: Vec<usize> = (0..missing.len()).filter(|&r| !missing[r]).collect();
    if kept.is_empty() {
        let msg = format!(
            "every one of the {} rows has no target value",
            missing.len()
        );
        return Err(table.err(None, Some(&table.header[t]), msg));
    }
    let left_out = (0..missing.len())
        .filter(|&r| missing[r])
        .map(|r| table.lines[r])
        .collect();
    for col in &mut table.cells {
        *col = kept.iter().map(|&r| std::mem::take(&mut col[r])).collect();
    }
    table.lines = kept.iter().map(|&r| table.lines[r]).collect();
    Ok((kept, left_out))
}

/// Reads a raw CSV for prediction: the preprocessing's input columns by name (any order; extra
/// columns, the target included, are ignored), each typed as the preprocessing expects. A
/// required column that is absent is an error naming it.
pub fn read_for_predict(path: &Path, pre: &Preprocessor) -> Result<Frame> {
    read_for_predict_noting(path, pre, &DialectOptions::default()).map(|read| read.frame)
}

/// A raw CSV file read for `predict` or `eval --data`.
#[derive(Debug)]
pub struct RowsRead {
    /// The preprocessing's input columns.
    pub frame: Frame,
    /// The 1-based line of each row in the file (the header is line 1, as an editor counts),
    /// for messages that point at rows.
    pub lines: Vec<usize>,
    /// The class index of each row, when read with [`read_labeled_noting`] from a file that
    /// has the target column.
    pub labels: Option<Vec<usize>>,
    /// One line naming the file's columns that the model does not know, if any.
    pub note: Option<String>,
}

/// [`read_for_predict`] in the dialect `given` (what is not given comes from the training
/// file's, see `dialect::Dialect`), plus one line naming the file's columns that the model does not
/// know (neither an input, nor a column its schema dropped, nor the target), when there are
/// any.
pub fn read_for_predict_noting(
    path: &Path,
    pre: &Preprocessor,
    given: &DialectOptions,
) -> Result<RowsRead> {
    check_is_table(path)?;
    let table = Table::read(path, &predict_options(pre, given))?;
    Ok(RowsRead {
        frame: frame_for(&table, pre)?,
        note: extra_columns_note(&table, pre),
        lines: table.lines,
        labels: None,
    })
}

/// Like [`read_for_predict`], and also the class index of each row when the file has the
/// preprocessing's target column (for evaluating a checkpoint on labelled data). A missing
/// label, or one that is not among the model's classes, is an error naming its row.
pub fn read_labeled_for_predict(
    path: &Path,
    pre: &Preprocessor,
) -> Result<(Frame, Option<Vec<usize>>)> {
    let read = read_labeled_noting(path, pre, &DialectOptions::default())?;
    Ok((read.frame, read.labels))
}

/// [`read_labeled_for_predict`] in the dialect `given` (as [`read_for_predict_noting`]), with
/// the lines of the rows and the note on unknown columns.
pub fn read_labeled_noting(
    path: &Path,
    pre: &Preprocessor,
    given: &DialectOptions,
) -> Result<RowsRead> {
    check_is_table(path)?;
    let table = Table::read(path, &predict_options(pre, given))?;
    let mut read = RowsRead {
        frame: frame_for(&table, pre)?,
        note: extra_columns_note(&table, pre),
        lines: table.lines.clone(),
        labels: None,
    };
    let Some(t) = pre.target.as_deref().and_then(|name| table.index_of(name)) else {
        return Ok(read);
    };
    let index: HashMap<&str, usize> = pre
        .class_names
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let name = table.header[t].as_str();
    let na = pre.schema.na_values();
    let mut labels = Vec::with_capacity(table.n_rows());
    for (r, cell) in table.cells[t].iter().enumerate() {
        match index.get(cell.as_str()) {
            Some(&k) => labels.push(k),
            None if is_na(cell, na) => {
                return Err(table.err(Some(r), Some(name), "missing label".into()))
            }
            None => {
                let msg = format!(
                    "label '{cell}' is not one of the model's classes ({})",
                    pre.class_names.join(", ")
                );
                return Err(table.err(Some(r), Some(name), msg));
            }
        }
    }
    read.labels = Some(labels);
    Ok(read)
}

/// Every column but the target and the `data.drop` ones, as raw text cells, in file order.
fn raw_columns(table: Table, cfg: &DataConfig, t: usize) -> Vec<Column> {
    table
        .header
        .into_iter()
        .zip(table.cells)
        .enumerate()
        .filter(|(i, (name, _))| *i != t && !cfg.drop.contains(name))
        .map(|(_, (name, cells))| Column {
            name,
            values: ColumnValues::Text(cells),
        })
        .collect()
}

/// The preprocessing's input columns from `table`, typed as it expects.
fn frame_for(table: &Table, pre: &Preprocessor) -> Result<Frame> {
    check_predict_size(&table.path, table.n_rows(), pre)?;
    let na = pre.schema.na_values();
    let mut columns = Vec::with_capacity(pre.columns.len());
    for input in &pre.columns {
        let (name, numeric) = match input {
            InputColumn::Numeric { name, .. } => (name, true),
            InputColumn::Categorical { name, .. } | InputColumn::Embedded { name, .. } => {
                (name, false)
            }
        };
        let i = table.index_of(name).ok_or_else(|| {
            let msg = format!(
                "missing column required by the model; available columns: {}",
                table.columns_list()
            );
            data_err(&table.path, None, Some(name.clone()), msg)
        })?;
        let values = if numeric {
            ColumnValues::Numeric(table.numeric(i, na)?)
        } else {
            ColumnValues::Categorical(table.categorical(i, na))
        };
        columns.push(Column {
            name: name.clone(),
            values,
        });
    }
    Ok(Frame {
        columns,
        n_rows: table.n_rows(),
    })
}

/// One line naming the columns of `table` the model knows nothing about, if any.
fn extra_columns_note(table: &Table, pre: &Preprocessor) -> Option<String> {
    let known = |name: &str| {
        pre.input_names().contains(&name)
            || pre.target.as_deref() == Some(name)
            || pre.schema.columns.iter().any(|c| c.name == name)
    };
    let extra: Vec<&str> = table
        .header
        .iter()
        .map(String::as_str)
        .filter(|n| !known(n))
        .collect();
    (!extra.is_empty()).then(|| {
        format!(
            "{}: ignoring {} column{} the model does not use: {}",
            table.path.display(),
            extra.len(),
            if extra.len() == 1 { "" } else { "s" },
            extra.join(", ")
        )
    })
}

/// Every column named in `data.categorical`, `data.numeric`, `data.drop` and `data.keep` must
/// exist, none may be both categorical and numeric or both dropped and kept, and the target may
/// not be forced, dropped or kept.
fn check_column_lists(table: &Table, cfg: &DataConfig, target: &str) -> Result<()> {
    for (key, list) in [
        ("data.categorical", &cfg.categorical),
        ("data.numeric", &cfg.numeric),
        ("data.drop", &cfg.drop),
        ("data.keep", &cfg.keep),
    ] {
        for name in list.iter() {
            if table.index_of(name).is_none() {
                let msg = format!(
                    "column listed in {key} is not in the file; available columns: {}",
                    table.columns_list()
                );
                return Err(data_err(&table.path, None, Some(name.clone()), msg));
            }
            if name == target {
                return Err(Error::config(
                    key,
                    format!("'{target}' is the target column (data.target)"),
                ));
            }
        }
    }
    if let Some(both) = cfg.keep.iter().find(|c| cfg.drop.contains(c)) {
        return Err(Error::config(
            "data.keep",
            format!("column '{both}' is also listed in data.drop"),
        ));
    }
    if let Some(both) = cfg.categorical.iter().find(|c| cfg.numeric.contains(c)) {
        return Err(Error::config(
            "data.numeric",
            format!("column '{both}' is also listed in data.categorical"),
        ));
    }
    Ok(())
}

/// Class index of every row and the sorted class names. A missing label (left out before, see
/// [`drop_unlabelled`]) is an error naming its row; fewer than two classes is an error naming
/// the column.
fn read_labels(table: &Table, t: usize, na: &[String]) -> Result<(Vec<usize>, Vec<String>)> {
    let name = table.header[t].as_str();
    let cells = &table.cells[t];
    if let Some(r) = cells.iter().position(|c| is_na(c, na)) {
        let n = cells.iter().filter(|c| is_na(c, na)).count();
        let msg = format!(
            "missing target value ({n} of {} rows have none): a classifier learns from labelled \
             rows only; remove the unlabelled rows from the file first",
            cells.len()
        );
        return Err(table.err(Some(r), Some(name), msg));
    }
    let distinct: HashSet<&str> = cells.iter().map(String::as_str).collect();
    let mut classes: Vec<String> = distinct.into_iter().map(str::to_string).collect();
    let numbers: Option<Vec<f64>> = classes.iter().map(|c| c.parse::<f64>().ok()).collect();
    match numbers {
        Some(_) => classes.sort_by(|a, b| {
            let (x, y) = (
                a.parse::<f64>().unwrap_or(f64::NAN),
                b.parse::<f64>().unwrap_or(f64::NAN),
            );
            x.total_cmp(&y).then_with(|| a.cmp(b))
        }),
        None => classes.sort(),
    }
    if classes.len() < 2 {
        let msg = format!(
            "only one class ('{}'); a classifier needs at least two",
            classes.join("")
        );
        return Err(data_err(&table.path, None, Some(name.to_string()), msg));
    }
    if let Some(why) = crate::schema::continuous_target(&classes, cells.len()) {
        let msg = format!("the target (data.target) {why}");
        return Err(data_err(&table.path, None, Some(name.to_string()), msg));
    }
    let index: HashMap<&str, usize> = classes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let labels = cells.iter().map(|c| index[c.as_str()]).collect();
    Ok((labels, classes))
}

mod not_a_table;
mod options;

use not_a_table::check_is_table;
pub use options::dialect_options;
use options::predict_options;

#[cfg(test)]
mod tests;
