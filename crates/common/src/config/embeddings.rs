//! `model.embeddings`: which categorical columns an MLP reads through an embedding table
//! (`nn.Embedding`) instead of one-hot features, and the automatic rule's two numbers.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// Categorical columns with at least this many training levels get an embedding under `"auto"`
/// (fewer: one-hot, whose width is then small and which needs no extra parameters to learn).
pub const EMBED_MIN_LEVELS: usize = 16;
/// The largest dimension `"auto"` gives a table.
pub const EMBED_MAX_DIM: usize = 50;

/// `model.embeddings`: `"none"` (every categorical column one-hot), `"auto"`, or
/// `{ column = dim, … }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Embeddings {
    /// Every categorical column is one-hot encoded (the default).
    #[default]
    None,
    /// Categorical columns with ≥ [`EMBED_MIN_LEVELS`] training levels get a table of
    /// [`auto_dim`] dimensions.
    Auto,
    /// These columns, with these dimensions.
    Columns(BTreeMap<String, usize>),
}

impl Embeddings {
    /// Whether this is the default (so that configs without it serialize as before).
    pub fn is_default(&self) -> bool {
        *self == Embeddings::None
    }

    /// The dimension of the table for categorical column `name` with `levels` training levels,
    /// or `None` when it stays one-hot.
    pub fn dim_for(&self, name: &str, levels: usize) -> Option<usize> {
        match self {
            Embeddings::None => None,
            Embeddings::Auto => (levels >= EMBED_MIN_LEVELS).then(|| auto_dim(levels)),
            Embeddings::Columns(m) => m.get(name).copied(),
        }
    }
}

/// fastai's rule of thumb, `round(1.6 · levels^0.56)`, capped at [`EMBED_MAX_DIM`]: 16 levels
/// → 8, 100 → 21, 1,000 → 50 (fastai caps at 600, for much larger tables than ours).
pub fn auto_dim(levels: usize) -> usize {
    let d = (1.6 * (levels as f64).powf(0.56)).round() as usize;
    d.clamp(1, EMBED_MAX_DIM)
}

impl Serialize for Embeddings {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Embeddings::None => s.serialize_str("none"),
            Embeddings::Auto => s.serialize_str("auto"),
            Embeddings::Columns(m) => m.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Embeddings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Embeddings;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "\"none\", \"auto\" or a table of column = dimension, such as { city = 8 }",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Embeddings, E> {
                match v {
                    "none" => Ok(Embeddings::None),
                    "auto" => Ok(Embeddings::Auto),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Embeddings, A::Error> {
                let mut m = BTreeMap::new();
                while let Some((k, v)) = map.next_entry::<String, usize>()? {
                    if v == 0 {
                        return Err(de::Error::custom(format!(
                            "column '{k}': an embedding needs a dimension ≥ 1"
                        )));
                    }
                    m.insert(k, v);
                }
                Ok(Embeddings::Columns(m))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_tables_and_the_dimension_rule() {
        #[derive(Deserialize, Serialize)]
        struct T {
            e: Embeddings,
        }
        let read = |s: &str| toml::from_str::<T>(s).map(|t| t.e);
        assert_eq!(read("e = \"auto\"").unwrap(), Embeddings::Auto);
        assert_eq!(read("e = \"none\"").unwrap(), Embeddings::None);
        let cols = read("e = { city = 8, \"zip code\" = 3 }").unwrap();
        assert_eq!(cols.dim_for("zip code", 2), Some(3));
        assert_eq!(cols.dim_for("other", 500), None);
        let back = toml::to_string(&T { e: cols.clone() }).unwrap();
        assert_eq!(read(&back).unwrap(), cols);
        assert!(read("e = \"yes\"")
            .unwrap_err()
            .to_string()
            .contains("\"auto\""));
        assert!(read("e = { city = 0 }")
            .unwrap_err()
            .to_string()
            .contains("city"));
        assert_eq!(
            [2, 16, 100, 1000].map(auto_dim),
            [2, 8, 21, 50],
            "round(1.6·n^0.56), capped at 50"
        );
        assert_eq!(Embeddings::Auto.dim_for("c", EMBED_MIN_LEVELS - 1), None);
        assert_eq!(Embeddings::Auto.dim_for("c", EMBED_MIN_LEVELS), Some(8));
    }
}
