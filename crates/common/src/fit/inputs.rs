//! What every backend checks of the data it is given, written once so that the same bad input
//! gives the same error from both backends: the training set (when the backend is built) and
//! each epoch's order of rows (when the loop hands it over).

use crate::data::XY;
use crate::{Error, Result};

/// Checks a training set against the model it trains: one label per feature row, the model's
/// input width on every row, and every label one of `n_classes` classes (its row is named).
/// An empty set (an evaluation-only backend) passes whatever its width: it holds no row to
/// misfit the model.
///
/// `n_classes` is the number of classes the head can tell apart: `spec.n_outputs().max(2)`
/// (a one-logit binary head still has two classes).
///
/// # Shapes
/// `train.x`: `[n, n_inputs]`, `train.y`: `[n]`.
pub fn check_train_set(train: &XY, n_inputs: usize, n_classes: usize) -> Result<()> {
    if train.x.nrows() != train.y.len() {
        return Err(Error::Shape(format!(
            "train: {} feature rows but {} labels",
            train.x.nrows(),
            train.y.len()
        )));
    }
    if !train.y.is_empty() {
        check_features("train", train.x.ncols(), n_inputs)?;
    }
    if let Some((row, &c)) = train.y.iter().enumerate().find(|(_, &c)| c >= n_classes) {
        return Err(Error::Shape(format!(
            "train: label {c} at row {row} is not one of {n_classes} classes"
        )));
    }
    Ok(())
}

/// Checks that input rows of `features` columns fit a model taking `n_inputs`; `what` names
/// the input in the message (`train`, `logits`).
pub fn check_features(what: &str, features: usize, n_inputs: usize) -> Result<()> {
    if features != n_inputs {
        return Err(Error::Shape(format!(
            "{what}: input has {features} features, the model expects {n_inputs}"
        )));
    }
    Ok(())
}

/// Checks that an epoch's `order` names only rows of a training set of `n_train` rows.
pub fn check_order(order: &[usize], n_train: usize) -> Result<()> {
    match order.iter().find(|&&r| r >= n_train) {
        Some(bad) => Err(Error::Shape(format!(
            "epoch order names row {bad}, but there are {n_train} training rows"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn xy(rows: usize, cols: usize, y: Vec<usize>) -> XY {
        XY {
            x: Array2::zeros((rows, cols)),
            y,
        }
    }

    #[test]
    fn a_good_set_passes_and_an_empty_one_too() {
        check_train_set(&xy(3, 2, vec![0, 1, 1]), 2, 2).unwrap();
        check_train_set(&xy(0, 2, vec![]), 2, 2).unwrap();
        check_train_set(&XY::default(), 2, 2).unwrap();
        check_order(&[2, 0, 1], 3).unwrap();
    }

    #[test]
    fn each_fault_is_named_with_its_numbers() {
        let msg = |r: Result<()>| r.unwrap_err().to_string();
        assert!(msg(check_train_set(&xy(3, 2, vec![0, 1]), 2, 2))
            .contains("train: 3 feature rows but 2 labels"));
        assert!(msg(check_train_set(&xy(2, 5, vec![0, 1]), 2, 2))
            .contains("train: input has 5 features, the model expects 2"));
        assert!(msg(check_train_set(&xy(3, 2, vec![0, 1, 7]), 2, 3))
            .contains("train: label 7 at row 2 is not one of 3 classes"));
        assert!(msg(check_order(&[0, 4], 3)).contains("names row 4, but there are 3"));
    }
}

/// Refuses a `train.monitor` that the validation split cannot define: ROC AUC (`val_auc`)
/// needs rows of two classes, average precision (`val_ap`) rows of the class it ranks. Such a
/// monitor would read NaN at every epoch, no epoch would ever be the best, and the run would
/// end without `best.safetensors`. Whether a metric is defined depends on the labels alone,
/// so it is computed once on constant logits. The error counts the split's rows per class.
///
/// # Shapes
/// `val.y`: `[n]`; `n_outputs`: the head's width.
pub fn check_monitor_defined(
    monitor: &str,
    val: &XY,
    head: crate::spec::Head,
    n_outputs: usize,
    class_names: &[String],
) -> Result<()> {
    // Only the ranking metrics can be undefined; the others cost nothing to check.
    if !matches!(monitor, "val_auc" | "val_ap") || val.y.is_empty() {
        return Ok(());
    }
    let zeros = ndarray::Array2::<f32>::zeros((val.y.len(), n_outputs));
    let report = crate::metrics::evaluate(&zeros, &val.y, head, class_names);
    let value = match monitor {
        "val_auc" => report.roc_auc,
        _ => report.average_precision,
    };
    if value.is_some() {
        return Ok(());
    }
    let counts: Vec<String> = class_names
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let rows = val.y.iter().filter(|&&y| y == c).count();
            format!("'{name}' {rows}")
        })
        .collect();
    let needs = if monitor == "val_auc" {
        "rows of two classes"
    } else {
        "rows of the positive class"
    };
    Err(Error::config(
        "train.monitor",
        format!(
            "'{monitor}' is undefined on this run's validation split, which needs {needs} \
             and holds {} rows ({}); every epoch would read NaN and none would be the best: \
             monitor val_loss, val_f1 or val_bal_acc, or give the rare class more rows",
            val.y.len(),
            counts.join(", ")
        ),
    ))
}

#[cfg(test)]
mod monitor_tests {
    use super::*;
    use crate::spec::Head;

    fn val(y: Vec<usize>) -> XY {
        XY {
            x: ndarray::Array2::zeros((y.len(), 1)),
            y,
        }
    }

    fn names(k: usize) -> Vec<String> {
        ["Adelie", "Gentoo", "Chinstrap"][..k]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn a_binary_split_without_one_class_refuses_auc_and_ap_only() {
        let only_negatives = val(vec![0; 31]);
        for monitor in ["val_auc", "val_ap"] {
            let e = check_monitor_defined(monitor, &only_negatives, Head::Bce, 1, &names(2));
            let e = e.unwrap_err().to_string();
            assert!(
                e.contains("train.monitor")
                    && e.contains(monitor)
                    && e.contains("'Adelie' 31, 'Gentoo' 0"),
                "{e}"
            );
        }
        for monitor in ["val_loss", "val_acc", "val_f1", "val_bal_acc"] {
            assert!(
                check_monitor_defined(monitor, &only_negatives, Head::Bce, 1, &names(2)).is_ok()
            );
        }
        // Positives alone rank nothing against negatives, but their precision is defined.
        let only_positives = val(vec![1; 5]);
        assert!(
            check_monitor_defined("val_auc", &only_positives, Head::Bce, 1, &names(2)).is_err()
        );
        assert!(check_monitor_defined("val_ap", &only_positives, Head::Bce, 1, &names(2)).is_ok());
        let both = val(vec![0, 1, 0]);
        for monitor in ["val_auc", "val_ap"] {
            assert!(check_monitor_defined(monitor, &both, Head::Bce, 1, &names(2)).is_ok());
        }
    }

    #[test]
    fn a_multiclass_split_needs_two_classes_for_auc() {
        let softmax = Head::Softmax { classes: 3 };
        let one = val(vec![2; 4]);
        assert!(check_monitor_defined("val_auc", &one, softmax, 3, &names(3)).is_err());
        let two = val(vec![2, 0, 2]);
        assert!(check_monitor_defined("val_auc", &two, softmax, 3, &names(3)).is_ok());
        assert!(check_monitor_defined("val_ap", &one, softmax, 3, &names(3)).is_ok());
    }
}

/// Refuses, before epoch 1, a training split whose last batch would hold a single example
/// when a BatchNorm of the model sees one value per channel per example (over flat features,
/// `model.batch_norm`, or a 1×1 feature map): one value has no variance to normalise by, and
/// PyTorch refuses such a batch in train mode ("Expected more than 1 value per channel when
/// training"). The error names the key and the sizes that work.
pub fn check_batch_norm_batches(
    spec: &crate::spec::ModelSpec,
    n_train: usize,
    batch_size: usize,
) -> Result<()> {
    let flat_norm = spec.norm_of_single_values();
    let leaves_one = |b: usize| n_train % b == 1 || (b == 1 && n_train > 0);
    if !flat_norm || batch_size == 0 || !leaves_one(batch_size) {
        return Ok(());
    }
    let near = [
        (batch_size + 1..=n_train.max(2)).find(|&b| !leaves_one(b)),
        (2..batch_size).rev().find(|&b| !leaves_one(b)),
    ];
    let sizes: Vec<String> = near.iter().flatten().map(|b| b.to_string()).collect();
    let advice = if sizes.is_empty() {
        "it needs at least 2 training examples".to_string()
    } else {
        format!(
            "choose a batch size B with {n_train} mod B ≠ 1, e.g. {}",
            sizes.join(" or ")
        )
    };
    Err(Error::config(
        "train.batch_size",
        format!(
            "{batch_size} leaves a batch of 1 of the {n_train} training examples, and a \
             BatchNorm of the model sees one value per channel of an example, so it cannot \
             normalise one example by its batch; {advice}"
        ),
    ))
}

#[cfg(test)]
mod batch_norm_tests {
    use super::check_batch_norm_batches;
    use crate::config::Config;
    use crate::spec::ModelSpec;

    #[test]
    fn a_last_batch_of_one_example_is_refused_with_sizes_that_work() {
        let mut cfg = Config::default();
        cfg.model.batch_norm = true;
        let spec = ModelSpec::from_config(&cfg, 2, None, 2).unwrap();
        assert!(check_batch_norm_batches(&spec, 64, 32).is_ok());
        let e = check_batch_norm_batches(&spec, 65, 32)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("train.batch_size") && e.contains("e.g. 33 or 31"),
            "{e}"
        );
        assert!(check_batch_norm_batches(&spec, 1, 4)
            .unwrap_err()
            .to_string()
            .contains("at least 2"));
        cfg.model.batch_norm = false;
        let plain = ModelSpec::from_config(&cfg, 2, None, 2).unwrap();
        assert!(check_batch_norm_batches(&plain, 65, 32).is_ok());
        // ResNet-18 on 32×32 images: its last stage works on 1×1 maps; on 64×64, on 2×2.
        cfg.model.kind = crate::config::ModelKind::Resnet;
        let r18 = |cfg: &Config, side: usize| {
            ModelSpec::from_config(cfg, 3 * side * side, Some([3, side, side]), 2).unwrap()
        };
        assert!(check_batch_norm_batches(&r18(&cfg, 32), 65, 32).is_err());
        assert!(check_batch_norm_batches(&r18(&cfg, 64), 65, 32).is_ok());
        // Frozen, layer4's BatchNorms use their running statistics: a batch of one is fine.
        cfg.model.freeze = ["conv1", "bn1", "layer1", "layer2", "layer3", "layer4"]
            .map(String::from)
            .to_vec();
        assert!(check_batch_norm_batches(&r18(&cfg, 32), 65, 32).is_ok());
    }
}
