//! The checks a config being written gets and a checkpoint's saved config does not: a run
//! saved before a check existed must still load, evaluate and resume.

use super::validate::ensure;
use super::Config;
use crate::Result;

impl Config {
    /// [`Config::validate`] and the checks only a config being written applies: a column list
    /// names each column once. A checkpoint's config is not held to them, so that a run saved
    /// before a check existed still loads.
    pub fn validate_written(&self) -> Result<()> {
        self.validate()?;
        let d = &self.data;
        for (key, names) in [
            ("data.categorical", &d.categorical),
            ("data.numeric", &d.numeric),
            ("data.drop", &d.drop),
            ("data.keep", &d.keep),
            ("data.piecewise_columns", &d.piecewise_columns),
        ] {
            listed_once(key, names)?;
        }
        Ok(())
    }
}

/// A column list names each column once: a repeat is most often a typo for another column (as
/// `data.keep_classes` refuses a class given twice).
fn listed_once(key: &str, names: &[String]) -> Result<()> {
    for (i, name) in names.iter().enumerate() {
        ensure(!names[..i].contains(name), key, || {
            format!("column '{name}' is listed more than once")
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_column_is_refused_when_written_not_when_loaded() {
        // A checkpoint saved before the check existed holds its config as it was: it loads
        // (`validate`), while a config being written is refused (`validate_written`).
        let mut cfg = Config::default();
        cfg.data.drop = vec!["id".into(), "name".into(), "id".into()];
        assert!(cfg.validate().is_ok());
        let e = cfg.validate_written().unwrap_err().to_string();
        assert_eq!(
            e,
            "config key 'data.drop': column 'id' is listed more than once"
        );
    }
}
