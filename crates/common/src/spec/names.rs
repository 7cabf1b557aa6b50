//! Module names make tensor names (`layer1.0.conv1.weight`), so a spec's names are checked
//! before anything is built from them: one per top-level module when given, and in every
//! container unique, non-empty and without a dot.

use super::{LayerSpec, ModelSpec};
use crate::{Error, Result};

impl ModelSpec {
    /// Module names make tensor names, so they must be usable as such: one per top-level
    /// module when given, and in every container unique, non-empty and without a dot (or two
    /// modules would share a tensor name, and the two backends would bind them differently).
    pub(super) fn check_names(&self) -> Result<()> {
        if !self.names.is_empty() && self.names.len() != self.layers.len() {
            let msg = format!(
                "{} module names for {} modules",
                self.names.len(),
                self.layers.len()
            );
            return Err(Error::Shape(msg));
        }
        check_unique("the model", self.names.iter())?;
        for (i, layer) in self.layers.iter().enumerate() {
            check_children(i, layer)?;
        }
        Ok(())
    }
}

/// Names of one container's modules: unique, non-empty, no dot.
fn check_unique<'a>(what: &str, names: impl Iterator<Item = &'a String>) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for n in names {
        if n.is_empty() || n.contains('.') || !seen.insert(n.as_str()) {
            let msg = format!("{what}: module name {n:?} is empty, holds a dot or repeats");
            return Err(Error::Shape(msg));
        }
    }
    Ok(())
}

/// [`check_unique`] on every container inside `layer` (top-level index `i`).
fn check_children(i: usize, layer: &LayerSpec) -> Result<()> {
    let lists: Vec<&[super::Named]> = match layer {
        LayerSpec::Sequential { layers } => vec![layers],
        LayerSpec::Residual {
            body, downsample, ..
        } => {
            // The shortcut's tensors are named `….downsample.*`.
            if body.iter().any(|(n, _)| n == "downsample") {
                let msg = "a residual block's main branch has a module named \"downsample\"";
                return Err(Error::Shape(format!("layer {i}: {msg}")));
            }
            vec![body, downsample]
        }
        _ => return Ok(()),
    };
    for list in lists {
        check_unique(&format!("layer {i}"), list.iter().map(|(n, _)| n))?;
        for (_, child) in list {
            check_children(i, child)?;
        }
    }
    Ok(())
}
