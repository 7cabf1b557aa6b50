//! Frozen parameters (`model.freeze`, the final project's option B: "document which layers you
//! freeze and why"): which tensors of a spec stay fixed in training, and the checks that make a
//! typo an error instead of a run that silently trains everything.

use super::{ModelSpec, ParamInfo};
use crate::{Error, Result};

/// Whether `prefix` selects `name`: equal, or a prefix ending at a dot, so that `net.1`
/// selects `net.1.weight` and `net.1.bias` but not `net.10.weight`; the empty prefix selects
/// every name, in `model.freeze` and `model.reinit` as in `optim.lr_scale`.
pub fn selects(prefix: &str, name: &str) -> bool {
    prefix.is_empty()
        || name == prefix
        || name
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.'))
}

impl ModelSpec {
    /// Whether the parameter `name` is frozen: some prefix of [`ModelSpec::freeze`] selects it.
    pub fn is_frozen(&self, name: &str) -> bool {
        self.freeze.iter().any(|p| selects(p, name))
    }

    /// The parameters the optimizer updates, in `state_dict` order.
    pub fn trainable(&self) -> Vec<ParamInfo> {
        self.params()
            .into_iter()
            .filter(|p| !self.is_frozen(&p.name))
            .collect()
    }

    /// The learning-rate multiplier of each trained parameter, in [`ModelSpec::trainable`]
    /// order (`optim.lr_scale`): the value of the longest prefix that selects its name (`""`
    /// selects every name), 1 when none does. A prefix that selects no trained parameter is
    /// an error naming it and the trained parameters.
    pub fn lr_scales(&self, table: &std::collections::BTreeMap<String, f64>) -> Result<Vec<f64>> {
        let trained = self.trainable();
        let hits = selects;
        if let Some(bad) = table
            .keys()
            .find(|k| !trained.iter().any(|p| hits(k, &p.name)))
        {
            let names: Vec<&str> = trained.iter().map(|p| p.name.as_str()).collect();
            let msg = format!(
                "\"{bad}\" matches no trained parameter; they are {}",
                names.join(", ")
            );
            return Err(Error::config("optim.lr_scale", msg));
        }
        Ok(trained
            .iter()
            .map(|p| {
                table
                    .iter()
                    .filter(|(k, _)| hits(k, &p.name))
                    .max_by_key(|(k, _)| k.len())
                    .map_or(1.0, |(_, &s)| s)
            })
            .collect())
    }

    /// Every prefix must select a parameter, and at least one parameter must stay trainable;
    /// the error names the prefix (or the list) and the parameters there are.
    pub(super) fn check_freeze(&self) -> Result<()> {
        let names: Vec<String> = self.params().into_iter().map(|p| p.name).collect();
        for prefix in &self.freeze {
            if !names.iter().any(|n| selects(prefix, n)) {
                return Err(Error::config(
                    "model.freeze",
                    format!(
                        "\"{prefix}\" matches no parameter; the parameters are {}",
                        names.join(", ")
                    ),
                ));
            }
        }
        if !self.freeze.is_empty() && self.trainable().is_empty() {
            return Err(Error::config(
                "model.freeze",
                format!(
                    "{:?} freezes every parameter: nothing would train",
                    self.freeze
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, ModelKind};

    fn spec(freeze: &[&str]) -> Result<ModelSpec> {
        let mut cfg = Config::default();
        cfg.model.kind = ModelKind::Mlp;
        cfg.model.hidden = vec![4, 3];
        cfg.model.freeze = freeze.iter().map(|s| s.to_string()).collect();
        ModelSpec::from_config(&cfg, 2, None, 2)
    }

    #[test]
    fn prefixes_select_whole_name_components() {
        let s = spec(&["net.0", "net.2.weight"]).unwrap();
        let frozen: Vec<String> = s
            .params()
            .into_iter()
            .filter(|p| s.is_frozen(&p.name))
            .map(|p| p.name)
            .collect();
        assert_eq!(frozen, ["net.0.weight", "net.0.bias", "net.2.weight"]);
        assert_eq!(s.trainable().len(), 3);
        assert!(!selects("net.1", "net.10.weight"));
    }

    #[test]
    fn a_prefix_matching_nothing_or_freezing_everything_is_an_error() {
        let e = spec(&["net.1"]).unwrap_err().to_string();
        assert!(
            e.contains("model.freeze") && e.contains("\"net.1\" matches no parameter"),
            "{e}"
        );
        assert!(e.contains("net.0.weight, net.0.bias"), "{e}");
        for everything in ["net", ""] {
            let e = spec(&[everything]).unwrap_err().to_string();
            assert!(e.contains("freezes every parameter"), "{everything:?}: {e}");
        }
        assert!(selects("", "fc.weight"));
        assert!(spec(&[]).unwrap().trainable().len() == 6);
    }
}
