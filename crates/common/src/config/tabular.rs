//! The one-line start (`train --csv FILE --target COLUMN`) and `init-config`: a tabular config
//! with the settings that serve tables best (`configs/penguins.toml`'s, plus `model.embeddings =
//! "auto"` for columns with many levels, which penguins lacks), kept as commented TOML
//! (`tabular.toml`) so that the file `init-config` prints explains itself, and `--csv` trains
//! from exactly that text.

use std::path::Path;

use super::{Config, Override};
use crate::{Error, Result};

/// The commented template, with `{path}` and `{target}` to fill.
const TEMPLATE: &str = include_str!("tabular.toml");

/// The tabular config for `csv` and its class column `target`, as commented TOML text.
pub fn tabular_toml(csv: &Path, target: &str) -> String {
    // TOML's own quoting, so that any path or column name reads back as written.
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    // One pass over the template's own text: a path holding `{target}` stays as written.
    let path = quote(&csv.to_string_lossy());
    TEMPLATE
        .split("{target}")
        .map(|piece| piece.replace("{path}", &path))
        .collect::<Vec<_>>()
        .join(&quote(target))
}

impl Config {
    /// The tabular config for `csv` and `target` ([`tabular_toml`]) with `overrides` applied.
    /// An override of a key that `--csv` or `--target` sets is refused: applied after them, it
    /// would silently train on another file or column than the command line names.
    pub fn tabular(csv: &Path, target: &str, overrides: &[String]) -> Result<Config> {
        let given = [
            ("data.target", "--target"),
            ("data.path", "--csv"),
            ("data.source", "--csv"),
        ];
        for o in overrides.iter().filter_map(|s| Override::parse(s).ok()) {
            if let Some((key, flag)) = given.iter().find(|(key, _)| o.sets(key)) {
                let msg = format!("is set by {flag} here: change {flag} rather than --set it");
                return Err(Error::config(*key, msg));
            }
        }
        let origin = format!("the tabular defaults for {} (--csv)", csv.display());
        Config::from_defaults_str(&tabular_toml(csv, target), &origin, overrides)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{OptimName, Source};

    #[test]
    fn the_template_reads_back_as_penguins_settings_for_any_file_and_column() {
        // Quotes, spaces and the other placeholder's name survive the substitution.
        let odd = "my data/a \"b\" {target}.csv";
        let cfg = Config::tabular(Path::new(odd), "class label {path}", &[]).unwrap();
        assert_eq!(cfg.data.source, Source::Csv);
        assert_eq!(cfg.data.path.as_deref(), Some(Path::new(odd)));
        assert_eq!(cfg.data.target.as_deref(), Some("class label {path}"));
        assert_eq!(cfg.model.hidden, [32, 16]);
        assert_eq!((cfg.optim.name, cfg.optim.lr), (OptimName::Adam, 0.003));
        assert!(cfg.train.early_stopping.enabled);
        let penguins = Config::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/penguins.toml"),
            &[],
        )
        .unwrap();
        let mut same = penguins.clone();
        same.data.path = cfg.data.path.clone();
        same.data.target = cfg.data.target.clone();
        same.model.embeddings = super::super::Embeddings::Auto;
        assert_eq!(
            cfg, same,
            "the tabular defaults are the penguins config's settings"
        );
        let set = Config::tabular(Path::new("x.csv"), "y", &["optim.lr=0.01".into()]).unwrap();
        assert_eq!(set.optim.lr, 0.01);
    }

    #[test]
    fn an_override_of_what_csv_and_target_set_is_refused() {
        for (set, flag) in [
            ("data.target=species", "--target"),
            ("data.path=other.csv", "--csv"),
            ("data.source=digits", "--csv"),
            ("data={target=\"species\"}", "--target"),
        ] {
            let err = Config::tabular(Path::new("x.csv"), "y", &[set.into()]).unwrap_err();
            let key = ["data.target", "data.path", "data.source"]
                .into_iter()
                .find(|k| set.contains(k.trim_start_matches("data.")))
                .unwrap();
            let msg = err.to_string();
            assert!(msg.contains(key) && msg.contains(flag), "{set}: {msg}");
        }
        // Keys beside them still apply.
        let ok = Config::tabular(Path::new("x.csv"), "y", &["data.drop=[\"a\"]".into()]);
        assert_eq!(ok.unwrap().data.drop, ["a"]);
    }
}
