//! The training loss's class weights, resolved once from `train.class_weights` and the
//! training labels, so that both backends weigh the same examples by the same numbers.
//!
//! PyTorch's semantics exactly: with a softmax head the weights are `nn.CrossEntropyLoss`'s
//! `weight` (a batch's loss is `Σ w[yᵢ]·ℓᵢ / Σ w[yᵢ]`); with one logit they are
//! `nn.BCEWithLogitsLoss`'s `weight` and `pos_weight` (`Σ w·(1 + (p − 1)·yᵢ)·… / n`, see
//! [`LossWeights::Bce`]).

use crate::config::ClassWeights;
use crate::error::{Error, Result};
use crate::spec::Head;

/// Resolved class weights of the training loss.
#[derive(Debug, Clone, PartialEq)]
pub enum LossWeights {
    /// `nn.CrossEntropyLoss(weight=w)`: one weight per class.
    Softmax(Vec<f64>),
    /// `nn.BCEWithLogitsLoss(weight=weight, pos_weight=pos_weight)`: every example's loss
    /// times `weight` (when given), the positive term of the positives' times `pos_weight`.
    Bce {
        /// `weight` (a scalar here): class 0's weight of a `[w₀, w₁]` list.
        weight: Option<f64>,
        /// `pos_weight`: `w₁ / w₀`, or negatives / positives for `"balanced"`.
        pos_weight: f64,
    },
}

impl LossWeights {
    /// The weights `rule` gives for `head` on the training labels `y`; `None` without a rule,
    /// or without training rows (a model rebuilt to evaluate or predict trains nothing).
    /// Errors name the key: a list of the wrong length, a class with no training row.
    pub fn resolve(
        rule: Option<&ClassWeights>,
        head: Head,
        y: &[usize],
        class_names: &[String],
    ) -> Result<Option<LossWeights>> {
        let Some(rule) = rule else { return Ok(None) };
        if y.is_empty() {
            return Ok(None);
        }
        let k = match head {
            Head::Bce => 2,
            Head::Softmax { classes } => classes,
        };
        let name = |c: usize| class_names.get(c).cloned().unwrap_or_else(|| c.to_string());
        let weights = match rule {
            ClassWeights::Given(w) if w.len() != k => {
                let names: Vec<String> = (0..k).map(name).collect();
                return Err(Error::config(
                    "train.class_weights",
                    format!(
                        "has {} weights, but the target has {k} classes ({}): give one per \
                         class, in that order",
                        w.len(),
                        names.join(", ")
                    ),
                ));
            }
            ClassWeights::Given(w) => w.clone(),
            ClassWeights::Balanced => {
                let mut counts = vec![0usize; k];
                for &c in y {
                    counts[c.min(k - 1)] += 1;
                }
                if let Some(c) = counts.iter().position(|&n| n == 0) {
                    return Err(Error::config(
                        "train.class_weights",
                        format!(
                            "\"balanced\" needs every class in the training rows, but class \
                             '{}' has none: give the weights as a list",
                            name(c)
                        ),
                    ));
                }
                if matches!(head, Head::Bce) {
                    let pos_weight = counts[0] as f64 / counts[1] as f64;
                    return Ok(Some(LossWeights::Bce {
                        weight: None,
                        pos_weight,
                    }));
                }
                // scikit-learn's compute_class_weight("balanced"): n / (K · count_c).
                let n = y.len() as f64;
                counts.iter().map(|&c| n / (k as f64 * c as f64)).collect()
            }
        };
        Ok(Some(match head {
            Head::Bce => LossWeights::Bce {
                weight: Some(weights[0]),
                pos_weight: weights[1] / weights[0],
            },
            Head::Softmax { .. } => LossWeights::Softmax(weights),
        }))
    }

    /// The weight each class's examples get, in class order (for one logit: `weight` for
    /// class 0, `weight · pos_weight` for class 1).
    pub fn per_class(&self) -> Vec<f64> {
        match self {
            LossWeights::Softmax(w) => w.clone(),
            LossWeights::Bce { weight, pos_weight } => {
                let w = weight.unwrap_or(1.0);
                vec![w, w * pos_weight]
            }
        }
    }

    /// One line for the run's start: each class with its weight, and the PyTorch equivalent.
    pub fn describe(&self, class_names: &[String]) -> String {
        let classes: Vec<String> = self
            .per_class()
            .iter()
            .enumerate()
            .map(|(c, w)| {
                let name = class_names.get(c).cloned().unwrap_or_else(|| c.to_string());
                format!("{name} {w:.4}")
            })
            .collect();
        let torch = match self {
            LossWeights::Softmax(_) => "nn.CrossEntropyLoss(weight=…)".to_string(),
            LossWeights::Bce { weight, pos_weight } => match weight {
                Some(w) => format!("nn.BCEWithLogitsLoss(weight={w}, pos_weight={pos_weight})"),
                None => format!("nn.BCEWithLogitsLoss(pos_weight={pos_weight})"),
            },
        };
        format!(
            "class weights of the training loss (train.class_weights): {}; as {torch}",
            classes.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(k: usize) -> Vec<String> {
        (0..k).map(|c| format!("c{c}")).collect()
    }

    #[test]
    fn balanced_is_scikit_learns_rule_for_softmax_and_negatives_over_positives_for_bce() {
        let y = [0, 0, 0, 0, 0, 0, 1, 1, 2];
        let w = LossWeights::resolve(
            Some(&ClassWeights::Balanced),
            Head::Softmax { classes: 3 },
            &y,
            &names(3),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            w,
            LossWeights::Softmax(vec![9.0 / 18.0, 9.0 / 6.0, 9.0 / 3.0])
        );
        let y = [0, 0, 0, 1];
        let w = LossWeights::resolve(Some(&ClassWeights::Balanced), Head::Bce, &y, &names(2));
        let w = w.unwrap().unwrap();
        assert_eq!(
            w,
            LossWeights::Bce {
                weight: None,
                pos_weight: 3.0
            }
        );
        assert_eq!(w.per_class(), [1.0, 3.0]);
    }

    #[test]
    fn a_list_maps_to_weight_and_pos_weight_for_bce() {
        let rule = ClassWeights::Given(vec![2.0, 5.0]);
        let w = LossWeights::resolve(Some(&rule), Head::Bce, &[0, 1], &names(2));
        let w = w.unwrap().unwrap();
        assert_eq!(
            w,
            LossWeights::Bce {
                weight: Some(2.0),
                pos_weight: 2.5
            }
        );
        assert!(
            w.describe(&names(2)).contains("c1 5.0000"),
            "{}",
            w.describe(&names(2))
        );
    }

    #[test]
    fn wrong_lengths_and_absent_classes_are_errors_naming_the_key() {
        let rule = ClassWeights::Given(vec![1.0, 2.0]);
        let e = LossWeights::resolve(Some(&rule), Head::Softmax { classes: 3 }, &[0], &names(3))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("train.class_weights") && e.contains("c0, c1, c2"),
            "{e}"
        );
        let e = LossWeights::resolve(
            Some(&ClassWeights::Balanced),
            Head::Softmax { classes: 3 },
            &[0, 1],
            &names(3),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("class 'c2' has none"), "{e}");
        // No rule, or no training rows (a model rebuilt for eval): no weights.
        assert_eq!(
            LossWeights::resolve(None, Head::Bce, &[0, 1], &names(2)).unwrap(),
            None
        );
        let none = LossWeights::resolve(Some(&ClassWeights::Balanced), Head::Bce, &[], &names(2));
        assert_eq!(none.unwrap(), None);
    }
}
