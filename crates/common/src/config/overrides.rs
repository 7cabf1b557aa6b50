//! Reading and writing the config as TOML, and `--set dotted.key=value` overrides.
//!
//! The text is parsed into a `toml::Value` first, overrides are applied to that tree, and only
//! then is it deserialized (through `serde_path_to_error`), so that a type error or an unknown
//! key in the file *or* in an override is reported with its full dotted key and where it came
//! from (the file, or the `--set` that introduced it).

use std::path::{Path, PathBuf};

use super::Config;
use crate::{Error, Result};

/// One parsed `--set dotted.key=value` override.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The dotted key, e.g. `optim.lr`.
    pub key: String,
    /// The value: a TOML literal (`1e-3`, `[64, 64]`, `true`, `"adam"`), or the raw text as a
    /// string when it is not one (`adam`, `data/penguins.csv`).
    pub value: toml::Value,
    /// The override as given, for messages.
    raw: String,
}

impl Override {
    /// Parses `dotted.key=value`; an override without `=` or with an empty key segment is an
    /// error naming it.
    pub fn parse(raw: &str) -> Result<Override> {
        let malformed = |why: &str| {
            Error::Other(format!(
                "malformed --set override '{raw}': {why} (expected dotted.key=value, e.g. train.epochs=50)"
            ))
        };
        let (key, value) = raw.split_once('=').ok_or_else(|| malformed("no '='"))?;
        let segments: Vec<&str> = key.split('.').map(str::trim).collect();
        if segments.iter().any(|s| s.is_empty()) {
            return Err(malformed("empty key or key segment"));
        }
        Ok(Override {
            key: segments.join("."),
            value: parse_literal(value.trim()),
            raw: raw.to_string(),
        })
    }

    /// Sets the value in `root`, creating intermediate tables as needed. Fails when a prefix
    /// of the key already holds a non-table value (e.g. `seed.x=1`).
    pub fn apply(&self, root: &mut toml::Value) -> Result<()> {
        let segments: Vec<&str> = self.key.split('.').collect();
        let (last, parents) = segments.split_last().expect("parse rejects an empty key");
        let mut cur = root;
        for (depth, seg) in parents.iter().enumerate() {
            let table = self.table_at(cur, &segments[..depth])?;
            cur = table
                .entry(seg.to_string())
                .or_insert_with(|| toml::Value::Table(Default::default()));
        }
        self.table_at(cur, parents)?
            .insert(last.to_string(), self.value.clone());
        Ok(())
    }

    fn table_at<'v>(&self, v: &'v mut toml::Value, prefix: &[&str]) -> Result<&'v mut toml::Table> {
        v.as_table_mut().ok_or_else(|| {
            Error::config(
                &self.key,
                format!(
                    "cannot set it (from --set {}): '{}' is not a table",
                    self.raw,
                    prefix.join(".")
                ),
            )
        })
    }

    /// True when an error at `key` concerns this override: the key itself, inside it, or a
    /// table the override created (`seed.x=1` makes `seed` a table).
    /// Whether this override writes the dotted `key`: the key itself, or a table above it whose
    /// value holds it (`data={target="y"}` writes `data.target`).
    pub(super) fn sets(&self, key: &str) -> bool {
        if key == self.key {
            return true;
        }
        let Some(rest) = key
            .strip_prefix(&self.key)
            .and_then(|r| r.strip_prefix('.'))
        else {
            return false;
        };
        let mut value = &self.value;
        for part in rest.split('.') {
            match value.get(part) {
                Some(inner) => value = inner,
                None => return false,
            }
        }
        true
    }

    fn covers(&self, key: &str) -> bool {
        let inside = |outer: &str, inner: &str| {
            inner
                .strip_prefix(outer)
                .is_some_and(|rest| rest.starts_with(['.', '[']))
        };
        key == self.key || inside(&self.key, key) || inside(key, &self.key)
    }
}

/// A TOML literal if `text` is one, else `text` as a string. Dates are kept as text: no
/// config field is a date, and `2024-01-01` is more likely meant as a name.
fn parse_literal(text: &str) -> toml::Value {
    let parsed = toml::from_str::<toml::Table>(&format!("v = {text}"));
    match parsed {
        // More than one key means the text smuggled in a newline and another assignment.
        Ok(mut t) if t.len() == 1 => match t.remove("v") {
            Some(toml::Value::Datetime(_)) | None => toml::Value::String(text.to_string()),
            Some(v) => v,
        },
        _ => toml::Value::String(text.to_string()),
    }
}

impl Config {
    /// Reads a TOML file, applies `--set` overrides (`dotted.key=value`, the value parsed as a
    /// TOML literal, or as a string if it is not one) and validates. Errors name the file and
    /// the key (unknown keys, wrong types, impossible values); a missing file is `Error::Io`.
    pub fn load(path: &Path, overrides: &[String]) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Config::from_toml_str(&text, &path.display().to_string(), overrides)
    }

    /// Parses TOML text (the `origin` names it in errors), then overrides, then validates.
    pub fn from_toml_str(text: &str, origin: &str, overrides: &[String]) -> Result<Config> {
        let tree = parse_toml(text, origin)?;
        from_value(tree.clone(), Some(&tree), origin, overrides)
    }

    /// [`Config::from_toml_str`] for a text the program wrote (the tabular defaults of
    /// `--csv`): only the keys `overrides` set are the user's, so only those are warned about
    /// when they have no effect (turning early stopping off does not warn about its patience).
    pub(crate) fn from_defaults_str(
        text: &str,
        origin: &str,
        overrides: &[String],
    ) -> Result<Config> {
        from_value(parse_toml(text, origin)?, None, origin, overrides)
    }

    /// Applies `--set` overrides to this config and validates the result.
    pub fn with_overrides(&self, overrides: &[String]) -> Result<Config> {
        let value = toml::Value::try_from(self.portable())
            .map_err(|e| Error::Other(format!("the config cannot be written as TOML: {e}")))?;
        from_value(value, None, "the config", overrides)
    }

    /// The config as TOML text (what is written to `config.toml` in the run folder and
    /// embedded in checkpoints), without the keys that have no effect on this run
    /// ([`unused_keys`](super::unused_keys)); `from_toml_str` of it gives back this config
    /// with those keys at their defaults, i.e. the same run.
    pub fn to_toml(&self) -> String {
        // Only a non-UTF-8 `data.path` could fail, and `portable` has replaced it.
        let mut tree = match toml::Value::try_from(self.portable()) {
            Ok(t) => t,
            Err(e) => return format!("# the config cannot be written as TOML: {e}\n"),
        };
        for (key, _) in super::unused_keys(self) {
            super::unused::remove(&mut tree, key);
        }
        toml::to_string(&tree)
            .unwrap_or_else(|e| format!("# the config cannot be written as TOML: {e}\n"))
    }

    /// A copy whose `data.path` is valid UTF-8 (TOML strings must be), converted lossily.
    fn portable(&self) -> Config {
        let mut cfg = self.clone();
        if let Some(p) = &cfg.data.path {
            cfg.data.path = Some(PathBuf::from(p.to_string_lossy().into_owned()));
        }
        cfg
    }
}

/// `text` as a TOML tree; a syntax error names `origin`.
fn parse_toml(text: &str, origin: &str) -> Result<toml::Value> {
    let table: toml::Table =
        toml::from_str(text).map_err(|e| Error::Other(format!("{origin}: invalid TOML: {e}")))?;
    Ok(toml::Value::Table(table))
}

/// Overrides, deserialization with full key paths, validation; errors say where the bad
/// value came from.
///
/// `given` is the tree the user wrote (a file's), or `None` when `value` is a whole config
/// already (only the overrides were written by the user): keys without effect that the user
/// wrote are warned about.
fn from_value(
    mut value: toml::Value,
    given: Option<&toml::Value>,
    origin: &str,
    overrides: &[String],
) -> Result<Config> {
    let overrides = overrides
        .iter()
        .map(|o| Override::parse(o))
        .collect::<Result<Vec<_>>>()?;
    for o in &overrides {
        o.apply(&mut value)?;
    }
    let whence = |key: &str| match overrides.iter().rev().find(|o| o.covers(key)) {
        Some(o) => format!("from --set {}", o.raw),
        None => format!("in {origin}"),
    };
    let cfg: Config = serde_path_to_error::deserialize(value).map_err(|e| {
        let key = match e.path().to_string() {
            p if p.is_empty() || p == "." => "(top level)".to_string(),
            p => p,
        };
        // toml appends "\nin `key`" lines: the key is already in the error, keep line one.
        let inner = e.inner().to_string();
        let msg = inner.lines().next().unwrap_or_default().to_string();
        Error::config(&key, format!("{msg} ({})", whence(&key)))
    })?;
    cfg.validate_written().map_err(|e| match e {
        Error::Config { key, msg } => {
            let msg = format!("{msg} ({})", whence(&key));
            Error::Config { key, msg }
        }
        other => other,
    })?;
    for (key, why) in super::unused_keys(&cfg) {
        let written = given.is_some_and(|t| super::unused::holds(t, key))
            || overrides.iter().any(|o| o.covers(key));
        if written {
            tracing::warn!(
                "config key '{key}' has no effect {why} ({}); it is left out of the run's config",
                whence(key)
            );
        }
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_strings() {
        assert_eq!(parse_literal("1e-3"), toml::Value::Float(1e-3));
        assert_eq!(
            parse_literal("[64, 64]"),
            toml::Value::Array(vec![64.into(), 64.into()])
        );
        assert_eq!(parse_literal("true"), toml::Value::Boolean(true));
        assert_eq!(
            parse_literal("\"adam\""),
            toml::Value::String("adam".into())
        );
        assert_eq!(parse_literal("adam"), toml::Value::String("adam".into()));
        assert_eq!(
            parse_literal("data/x.csv"),
            toml::Value::String("data/x.csv".into())
        );
        assert_eq!(
            parse_literal("2024-01-01"),
            toml::Value::String("2024-01-01".into())
        );
        assert_eq!(
            parse_literal("1\nw = 2"),
            toml::Value::String("1\nw = 2".into())
        );
        assert_eq!(parse_literal(""), toml::Value::String(String::new()));
    }

    #[test]
    fn override_parsing() {
        let o = Override::parse(" optim . lr = 0.1 ").unwrap();
        assert_eq!(o.key, "optim.lr");
        assert_eq!(o.value, toml::Value::Float(0.1));
        // Only the first '=' splits: the rest belongs to the value.
        assert_eq!(
            Override::parse("data.target=a=b").unwrap().value,
            toml::Value::String("a=b".into())
        );
        for bad in ["optim.lr", "=1", "optim..lr=1", ".lr=1"] {
            let e = Override::parse(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
    }

    #[test]
    fn apply_creates_tables_and_refuses_non_tables() {
        let mut root = toml::Value::Table(Default::default());
        Override::parse("train.schedule.name=step")
            .unwrap()
            .apply(&mut root)
            .unwrap();
        assert_eq!(root["train"]["schedule"]["name"].as_str(), Some("step"));
        Override::parse("seed=1").unwrap().apply(&mut root).unwrap();
        let e = Override::parse("seed.x=1")
            .unwrap()
            .apply(&mut root)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("seed.x") && e.contains("'seed' is not a table"),
            "{e}"
        );
    }

    #[test]
    fn sets_the_key_or_a_table_holding_it() {
        let o = Override::parse("data={target=\"y\", split={val=0.2}}").unwrap();
        assert!(o.sets("data.target") && o.sets("data.split.val") && o.sets("data"));
        assert!(!o.sets("data.path") && !o.sets("data.split.test") && !o.sets("datax.target"));
        assert!(Override::parse("data.target=y")
            .unwrap()
            .sets("data.target"));
        assert!(!Override::parse("data.targets=y")
            .unwrap()
            .sets("data.target"));
    }

    #[test]
    fn covers_only_the_key_and_its_children() {
        let o = Override::parse("model.hidden=[1]").unwrap();
        assert!(o.covers("model.hidden") && o.covers("model.hidden[0]"));
        assert!(!o.covers("model.hiddenx") && !o.covers("optim"));
        assert!(
            o.covers("model"),
            "an error at a parent table the override filled"
        );
    }
}
