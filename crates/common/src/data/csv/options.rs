//! How a CSV is to be read: the dialect keys of a config as read options, and the options for
//! new rows of a trained model (the training file's dialect, saved with its schema, unless the
//! command line says otherwise).

use super::super::dialect::{parse_delimiter, DialectOptions, Encoding, CANDIDATES};
use super::super::table::ReadOptions;
use crate::config::DataConfig;
use crate::preprocess::{InputColumn, Preprocessor};
use crate::{Error, Result};

/// `data.delimiter`, `data.decimal` and `data.encoding` as read options (a delimiter other
/// than `,` `;` `|` `tab` is an error naming the key).
pub fn dialect_options(cfg: &DataConfig) -> Result<DialectOptions> {
    let delimiter = match &cfg.delimiter {
        None => None,
        Some(d) => Some(parse_delimiter(d).ok_or_else(|| {
            Error::config(
                "data.delimiter",
                format!("'{d}' is not a delimiter; use \",\", \";\", \"|\" or \"tab\""),
            )
        })?),
    };
    Ok(DialectOptions {
        delimiter,
        decimal: cfg.decimal,
        encoding: cfg.encoding,
    })
}

/// The read options for new rows of a model's data (predict, eval): the training file's
/// dialect as saved with the schema, except where `given` names another delimiter, decimal
/// mark or encoding. A delimiter that was guessed for the training file is guessed again, the
/// saved one settling a guess that finds none or several; a file that is valid UTF-8 (or
/// marked UTF-16) is read as such, others in the training file's encoding.
pub(super) fn predict_options<'a>(
    pre: &'a Preprocessor,
    given: &DialectOptions,
) -> ReadOptions<'a> {
    let saved = pre.schema.dialect.as_ref();
    // A saved delimiter is one of the candidates, or it is ignored (a hand-edited checkpoint).
    let saved_delimiter = saved
        .filter(|d| d.delimiter.is_ascii() && CANDIDATES.contains(&(d.delimiter as u8)))
        .map(|d| (d.delimiter as u8, d.sniffed));
    let dialect = DialectOptions {
        delimiter: given.delimiter.or_else(|| {
            saved_delimiter
                .filter(|&(_, sniffed)| !sniffed)
                .map(|(d, _)| d)
        }),
        decimal: given.decimal,
        encoding: given.encoding,
    };
    // A decimal mark given for the new file means: detect its formats under that mark.
    let formats = match (given.decimal, saved) {
        (None, Some(d)) => Some(d.number_formats.as_slice()),
        (None, None) => Some(&[][..]),
        (Some(_), _) => None,
    };
    let mut text_columns: Vec<String> = pre.target.iter().cloned().collect();
    text_columns.extend(pre.columns.iter().filter_map(|c| match c {
        InputColumn::Categorical { name, .. } | InputColumn::Embedded { name, .. } => {
            Some(name.clone())
        }
        InputColumn::Numeric { .. } => None,
    }));
    ReadOptions {
        dialect,
        na_values: pre.schema.na_values(),
        text_columns,
        formats,
        preferred_delimiter: saved_delimiter.map(|(d, _)| d),
        fallback_encoding: saved.map(|d| d.encoding).filter(|&e| e != Encoding::Utf8),
    }
}
