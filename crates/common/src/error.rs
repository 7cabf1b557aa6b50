//! The one error type of the shared core. Every variant names what is at fault (file, row,
//! column, key, tensor, shape) so that the CLIs can print it as one line and exit non-zero.

use std::path::PathBuf;

/// Result alias used across the workspace's library code.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the shared core, each naming its culprit.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An OS-level I/O failure on a named file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Bad data in a CSV file (`row` is 1-based counting the header as row 1, like an editor).
    #[error("{}{}: {msg}", path.display(), location(*row, column.as_deref()))]
    Data {
        /// The file.
        path: PathBuf,
        /// The 1-based line number, if one row is at fault.
        row: Option<usize>,
        /// The column name, if one column is at fault.
        column: Option<String>,
        /// What is wrong.
        msg: String,
    },
    /// A configuration key with a bad or unknown value.
    #[error("config key '{key}': {msg}")]
    Config {
        /// The dotted key, e.g. `optim.lr`.
        key: String,
        /// What is wrong.
        msg: String,
    },
    /// A checkpoint that cannot be read or does not fit the model.
    #[error("checkpoint {}: {msg}", path.display())]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong.
        msg: String,
    },
    /// Tensor shapes that do not fit together.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// The loss became NaN or infinite.
    #[error("training diverged at epoch {epoch}, batch {batch}: loss is {loss}; try a lower learning rate (optim.lr)")]
    Diverged {
        /// 1-based epoch.
        epoch: usize,
        /// 0-based batch within the epoch.
        batch: usize,
        /// The non-finite loss value.
        loss: f64,
    },
    /// Training stopped on request (Ctrl-C, SIGTERM, SIGHUP: see `fit::interrupted`). The
    /// checkpoint and history of every completed epoch are on disk.
    #[error("training interrupted after epoch {epoch}: {resume_hint}")]
    Interrupted {
        /// The last completed (and saved) epoch; 0 when none was.
        epoch: usize,
        /// How to go on: the `--resume` checkpoint to use, or that there is none.
        resume_hint: String,
    },
    /// A backend-specific failure (libtorch, device) described in words.
    #[error("{0}")]
    Backend(String),
    /// Anything else, described in words.
    #[error("{0}")]
    Other(String),
}

/// `: row R column 'C'` (either part may be absent), or nothing when neither is known.
fn location(row: Option<usize>, column: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(r) = row {
        s.push_str(&format!(" row {r}"));
    }
    if let Some(c) = column {
        s.push_str(&format!(" column '{c}'"));
    }
    if s.is_empty() {
        s
    } else {
        format!(":{s}")
    }
}

impl Error {
    /// A file-level data error (the file cannot be opened, is too large, ...) of a file that
    /// the config key `key` named, with that key added: the user fixes the config, not the
    /// code. Other errors come back unchanged.
    pub fn naming_key(self, key: &str) -> Self {
        match self {
            Error::Data {
                path,
                row: None,
                column: None,
                msg,
            } => Error::Data {
                path,
                row: None,
                column: None,
                msg: format!("{msg} (the file named by {key})"),
            },
            other => other,
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
    /// A config error on `key`.
    pub fn config(key: impl Into<String>, msg: impl Into<String>) -> Self {
        Error::Config {
            key: key.into(),
            msg: msg.into(),
        }
    }
    /// A checkpoint error on `path`.
    pub fn checkpoint(path: impl Into<PathBuf>, msg: impl Into<String>) -> Self {
        Error::Checkpoint {
            path: path.into(),
            msg: msg.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_errors_name_what_is_known_without_empty_places() {
        let at = |row, column: Option<&str>| Error::Data {
            path: "d.csv".into(),
            row,
            column: column.map(str::to_string),
            msg: "bad".into(),
        };
        assert_eq!(at(None, None).to_string(), "d.csv: bad");
        assert_eq!(at(Some(3), None).to_string(), "d.csv: row 3: bad");
        assert_eq!(
            at(Some(3), Some("x")).to_string(),
            "d.csv: row 3 column 'x': bad"
        );
        assert_eq!(
            at(None, None).naming_key("data.path").to_string(),
            "d.csv: bad (the file named by data.path)"
        );
        assert_eq!(
            at(Some(3), None).naming_key("data.path").to_string(),
            "d.csv: row 3: bad",
            "a row's fault is the file's, not the key's"
        );
    }
}
