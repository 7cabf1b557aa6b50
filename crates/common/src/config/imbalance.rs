//! The config's answers to an imbalanced target: `train.class_weights` (how much each class's
//! examples weigh in the training loss) and `train.threshold` (where a binary model's decision
//! falls). Each reads as a word or a value, with an error that names what it accepts.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// `train.class_weights`: `"balanced"`, or one weight per class in class order.
///
/// The semantics are PyTorch's: with a softmax head, `nn.CrossEntropyLoss(weight=w)`
/// (`Σ w[yᵢ]·ℓᵢ / Σ w[yᵢ]` over a batch); with one logit, `nn.BCEWithLogitsLoss(weight=w₀,
/// pos_weight=w₁/w₀)` (`Σ w[yᵢ]·ℓᵢ / n`). `"balanced"` is scikit-learn's rule
/// `n / (K · count_c)` on the training rows for softmax, and `pos_weight = negatives /
/// positives` (the usual PyTorch recipe) for one logit.
#[derive(Debug, Clone, PartialEq)]
pub enum ClassWeights {
    /// Weights from the training rows' class counts.
    Balanced,
    /// One positive weight per class, in the order of the classes' names.
    Given(Vec<f64>),
}

impl Serialize for ClassWeights {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ClassWeights::Balanced => s.serialize_str("balanced"),
            ClassWeights::Given(w) => w.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ClassWeights {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ClassWeights;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"balanced\" or a list of one weight per class, such as [1.0, 9.0]")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ClassWeights, E> {
                match v {
                    "balanced" => Ok(ClassWeights::Balanced),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ClassWeights, A::Error> {
                let mut w = Vec::new();
                while let Some(v) = seq.next_element::<f64>()? {
                    w.push(v);
                }
                Ok(ClassWeights::Given(w))
            }
        }
        d.deserialize_any(V)
    }
}

/// `train.threshold`: the probability of class 1 above which a binary model predicts class 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// A fixed probability in (0, 1); 0.5 is the plain `logit > 0` rule.
    Fixed(f64),
    /// The threshold that maximizes class 1's F1 on the validation split.
    F1,
    /// The threshold that maximizes balanced accuracy on the validation split.
    BalancedAccuracy,
}

impl Default for Threshold {
    fn default() -> Self {
        Threshold::Fixed(0.5)
    }
}

impl Threshold {
    /// Whether this is the default (so that configs without it serialize as before).
    pub fn is_default(&self) -> bool {
        *self == Threshold::default()
    }
}

impl Serialize for Threshold {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Threshold::Fixed(t) => s.serialize_f64(*t),
            Threshold::F1 => s.serialize_str("f1"),
            Threshold::BalancedAccuracy => s.serialize_str("balanced_accuracy"),
        }
    }
}

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Threshold;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a probability such as 0.5, \"f1\" or \"balanced_accuracy\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Threshold, E> {
                match v {
                    "f1" => Ok(Threshold::F1),
                    "balanced_accuracy" => Ok(Threshold::BalancedAccuracy),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Threshold, E> {
                Ok(Threshold::Fixed(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Threshold, E> {
                Ok(Threshold::Fixed(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Threshold, E> {
                Ok(Threshold::Fixed(v as f64))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Serialize)]
    struct T {
        w: Option<ClassWeights>,
        t: Option<Threshold>,
    }

    fn read(text: &str) -> Result<T, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn words_and_values_read_back_as_written() {
        let t = read("w = \"balanced\"\nt = \"f1\"").unwrap();
        assert_eq!(t.w, Some(ClassWeights::Balanced));
        assert_eq!(t.t, Some(Threshold::F1));
        let t = read("w = [1, 9.5]\nt = 0.3").unwrap();
        assert_eq!(t.w, Some(ClassWeights::Given(vec![1.0, 9.5])));
        assert_eq!(t.t, Some(Threshold::Fixed(0.3)));
        let back = toml::to_string(&t).unwrap();
        assert_eq!(back, "w = [1.0, 9.5]\nt = 0.3\n");
        assert_eq!(
            read("t = \"balanced_accuracy\"").unwrap().t,
            Some(Threshold::BalancedAccuracy)
        );
    }

    #[test]
    fn other_words_are_refused_saying_what_is_accepted() {
        let e = read("w = \"balance\"").unwrap_err().to_string();
        assert!(
            e.contains("\"balanced\" or a list of one weight per class"),
            "{e}"
        );
        let e = read("t = \"f2\"").unwrap_err().to_string();
        assert!(e.contains("\"f1\" or \"balanced_accuracy\""), "{e}");
        let e = read("w = [1, \"x\"]").unwrap_err().to_string();
        assert!(e.contains("invalid type"), "{e}");
    }
}
