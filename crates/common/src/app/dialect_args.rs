//! `--delimiter`, `--decimal` and `--encoding` of `eval` and `predict`: how a new file is
//! written when it is not written as the training file was (the default: the dialect saved
//! with the model's schema).

use crate::config::DataConfig;
use crate::data::csv::dialect_options;
use crate::data::dialect::{Decimal, DialectOptions, Encoding};
use crate::{Error, Result};

/// The dialect flags of `eval` and `predict`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DialectArgs {
    /// The file's delimiter: `,` `;` `|` or `tab` (default: the training file's, or detected).
    #[arg(long)]
    pub delimiter: Option<String>,
    /// The file's decimal mark, `.` or `,` (default: each column as in the training file).
    #[arg(long)]
    pub decimal: Option<String>,
    /// The file's encoding: utf-8, windows-1252, latin-1 or utf-16 (default: the training
    /// file's).
    #[arg(long)]
    pub encoding: Option<String>,
}

impl DialectArgs {
    /// The flags as read options (a value that is none of the accepted ones is an error
    /// naming the flag).
    pub fn options(&self) -> Result<DialectOptions> {
        // A flag, not a config key: the message names it as the user typed it.
        let flag = |name: &str, msg: String| Error::Other(format!("option {name}: {msg}"));
        let decimal = match self.decimal.as_deref() {
            None => None,
            Some(".") => Some(Decimal::Dot),
            Some(",") => Some(Decimal::Comma),
            Some(d) => return Err(flag("--decimal", format!("'{d}' is not '.' or ','"))),
        };
        let encoding = match self.encoding.as_deref() {
            None => None,
            Some(e) => Some(Encoding::parse(e).ok_or_else(|| {
                let msg = format!("'{e}' is not one of utf-8, windows-1252, latin-1, utf-16");
                flag("--encoding", msg)
            })?),
        };
        let data = DataConfig {
            delimiter: self.delimiter.clone(),
            ..DataConfig::default()
        };
        let delimiter = dialect_options(&data)
            .map_err(|_| {
                let d = self.delimiter.as_deref().unwrap_or("");
                flag(
                    "--delimiter",
                    format!("'{d}' is not ',', ';', '|' or 'tab'"),
                )
            })?
            .delimiter;
        Ok(DialectOptions {
            delimiter,
            decimal,
            encoding,
        })
    }
}
