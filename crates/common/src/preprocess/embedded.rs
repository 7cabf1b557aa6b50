//! Categorical columns read through embedding tables (`model.embeddings`): which columns, the
//! PyTorch module name of each table, and the index each value becomes. A training level `k`
//! (0-based in the sorted categories) is row `k + 1`; a level unseen in training is row 0,
//! the table's reserved row ([`crate::spec::UNSEEN_ROW`], PyTorch's `padding_idx`), counted in
//! the same warning line as an unseen one-hot value; a missing value takes the training mode.

use ndarray::ArrayViewMut1;

use super::{InputColumn, Preprocessor, Unseen};
use crate::config::Embeddings;
use crate::spec::{EmbedTable, UNSEEN_ROW};
use crate::{Error, Result};

/// Most levels an embedded column may have: its rows (`levels + 1`) are written as f32
/// features, exact integers up to 2²⁴.
const MAX_LEVELS: usize = 1 << 24;

/// Attribute names of PyTorch's `nn.ModuleDict` (`dir(nn.ModuleDict())` without the `_`
/// ones): a table cannot be named like one (`ModuleDict` refuses it), so such a column's key
/// gets the prefix `c_`, as does one starting with `_`.
#[rustfmt::skip]
const MODULE_DICT_ATTRS: &[&str] = &[
    "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init",
    "children", "clear", "compile", "cpu", "cuda", "double", "dump_patches", "eval",
    "extra_repr", "float", "forward", "get_buffer", "get_extra_state", "get_parameter",
    "get_submodule", "half", "ipu", "items", "keys", "load_state_dict", "modules", "mtia",
    "named_buffers", "named_children", "named_modules", "named_parameters", "parameters", "pop",
    "register_backward_hook", "register_buffer", "register_forward_hook",
    "register_forward_pre_hook", "register_full_backward_hook",
    "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_module", "register_parameter",
    "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_",
    "set_extra_state", "set_submodule", "share_memory", "state_dict", "to", "to_empty", "train",
    "training", "type", "update", "values", "xpu", "zero_grad",
];

/// The module name of a column's table: its name with every character other than an ASCII
/// letter, digit or `_` replaced by `_` (`zip code` → `zip_code`), prefixed with `c_` when it
/// would be empty, start with `_` or clash with a `ModuleDict` attribute, and suffixed `_2`,
/// `_3`, … when an earlier table has it already.
fn module_key(column: &str, taken: &[String]) -> String {
    let mut key: String = column
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if key.is_empty() || key.starts_with('_') || MODULE_DICT_ATTRS.contains(&key.as_str()) {
        key = format!("c_{key}");
    }
    let base = key.clone();
    let mut n = 2;
    while taken.contains(&key) {
        key = format!("{base}_{n}");
        n += 1;
    }
    key
}

impl Preprocessor {
    /// Turns the categorical columns that `which` selects into embedded ones (one index feature
    /// each, after every dense feature). A column named in `{ column = dim }` that is not a
    /// categorical input is an error naming it.
    pub fn embed(&mut self, which: &Embeddings) -> Result<()> {
        if let Embeddings::Columns(m) = which {
            for name in m.keys() {
                let found = self.columns.iter().find(|c| super::input_name(c) == name);
                if !matches!(found, Some(InputColumn::Categorical { .. })) {
                    let have: Vec<&str> = self
                        .columns
                        .iter()
                        .filter(|c| matches!(c, InputColumn::Categorical { .. }))
                        .map(super::input_name)
                        .collect();
                    let what = if found.is_some() {
                        "is numeric"
                    } else {
                        "is not an input"
                    };
                    let msg = format!(
                        "column '{name}' {what}; the categorical inputs are: {}",
                        if have.is_empty() {
                            "(none)".into()
                        } else {
                            have.join(", ")
                        }
                    );
                    return Err(Error::config("model.embeddings", msg));
                }
            }
        }
        let mut keys = Vec::new();
        for c in &mut self.columns {
            let InputColumn::Categorical {
                name,
                categories,
                fill,
            } = c
            else {
                continue;
            };
            let Some(dim) = which.dim_for(name, categories.len()) else {
                continue;
            };
            if categories.len() > MAX_LEVELS {
                let msg = format!(
                    "column '{name}' has {} levels; a table's rows are numbered in f32 \
                     features, exact up to {MAX_LEVELS}",
                    categories.len()
                );
                return Err(Error::config("model.embeddings", msg));
            }
            let key = module_key(name, &keys);
            keys.push(key.clone());
            *c = InputColumn::Embedded {
                name: std::mem::take(name),
                key,
                categories: std::mem::take(categories),
                fill: std::mem::take(fill),
                dim,
            };
        }
        Ok(())
    }

    /// `(column, table key, dimension)` of every embedded column (what the schema's report
    /// says of them).
    pub fn embedded_columns(&self) -> Vec<(String, String, usize)> {
        self.columns
            .iter()
            .filter_map(|c| match c {
                InputColumn::Embedded { name, key, dim, .. } => {
                    Some((name.clone(), key.clone(), *dim))
                }
                _ => None,
            })
            .collect()
    }

    /// The embedding tables the model needs, in the order of their index features.
    pub fn embedding_tables(&self) -> Vec<EmbedTable> {
        self.columns
            .iter()
            .filter_map(|c| match c {
                InputColumn::Embedded {
                    key,
                    categories,
                    dim,
                    ..
                } => Some(EmbedTable {
                    key: key.clone(),
                    rows: categories.len() + 1,
                    dim: *dim,
                }),
                _ => None,
            })
            .collect()
    }
}

/// Writes the table row of each of `rows` of `v` into `out` (`[rows]`); returns the
/// non-missing values that are not among `categories`, counted (they read row 0).
pub(super) fn write_indices(
    out: &mut ArrayViewMut1<f32>,
    categories: &[String],
    fill: &str,
    v: &[Option<String>],
    rows: &[usize],
) -> Unseen {
    let mut unseen = Unseen {
        embedded: true,
        ..Unseen::default()
    };
    for (o, &r) in out.iter_mut().zip(rows) {
        let value = v[r].as_deref().unwrap_or(fill);
        *o = match categories.binary_search_by(|c| c.as_str().cmp(value)) {
            // Exact in f32 up to 2²⁴ levels (16.8 million; `embed` refuses more).
            Ok(k) => (k + 1) as f32,
            Err(_) => {
                if v[r].is_some() {
                    unseen.add(value, r);
                }
                UNSEEN_ROW as f32
            }
        };
    }
    unseen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_keys_are_valid_pytorch_names_and_unique() {
        let mut taken = Vec::new();
        for (col, want) in [
            ("city", "city"),
            ("zip code", "zip_code"),
            ("zip-code", "zip_code_2"),
            ("", "c_"),
            ("_x", "c__x"),
            ("keys", "c_keys"),
            ("año", "a_o"),
            ("0", "0"),
        ] {
            let k = module_key(col, &taken);
            assert_eq!(k, want, "{col:?}");
            taken.push(k);
        }
    }
}
