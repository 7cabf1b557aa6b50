//! Fewer classes and fewer examples (`data.keep_classes`, `data.train_per_class`): what a
//! transfer-learning study needs, e.g. pretraining the digits CNN on classes 0–4 and then
//! learning classes 5–9 from 10 examples of each.

use std::borrow::Cow;

use crate::frame::{ColumnValues, Dataset};
use crate::{Error, Result};

/// The rows of a subset, as indices into the dataset it was taken from.
pub type SourceRows = Option<Vec<usize>>;

/// The new index of each class of `names` under `data.keep_classes = keep` (non-empty):
/// `None` for a class left out. A name that is not a class of `origin` (listing them), a name
/// given twice and fewer than two classes are errors.
pub fn keep_map(names: &[String], keep: &[String], origin: &str) -> Result<Vec<Option<usize>>> {
    let mut new_index = vec![None; names.len()];
    for (i, name) in keep.iter().enumerate() {
        let Some(old) = names.iter().position(|c| c == name) else {
            return Err(Error::config(
                "data.keep_classes",
                format!(
                    "\"{name}\" is not a class of {origin}; its classes are {}",
                    names.join(", ")
                ),
            ));
        };
        if new_index[old].replace(i).is_some() {
            return Err(Error::config(
                "data.keep_classes",
                format!("\"{name}\" is listed twice"),
            ));
        }
    }
    if keep.len() < 2 {
        return Err(Error::config(
            "data.keep_classes",
            "a classifier needs at least two classes",
        ));
    }
    Ok(new_index)
}

/// `ds` restricted to the rows of the classes named in `keep`, renumbered in that order, with
/// the kept rows' indices in `ds`; `ds` itself (and `None`) when `keep` is empty. A name that
/// is not a class of `ds` is an error listing them.
pub fn keep_classes<'a>(
    ds: &'a Dataset,
    keep: &[String],
) -> Result<(Cow<'a, Dataset>, SourceRows)> {
    if keep.is_empty() {
        return Ok((Cow::Borrowed(ds), None));
    }
    let new_index = keep_map(&ds.class_names, keep, &ds.origin)?;
    let rows: Vec<usize> = (0..ds.labels.len())
        .filter(|&r| new_index[ds.labels[r]].is_some())
        .collect();
    let mut out = ds.clone();
    out.labels = rows
        .iter()
        .map(|&r| new_index[ds.labels[r]].expect("kept"))
        .collect();
    out.class_names = keep.to_vec();
    out.lines = rows
        .iter()
        .filter_map(|&r| ds.lines.get(r).copied())
        .collect();
    out.frame.n_rows = rows.len();
    for col in &mut out.frame.columns {
        col.values = match &col.values {
            ColumnValues::Numeric(v) => ColumnValues::Numeric(rows.iter().map(|&r| v[r]).collect()),
            ColumnValues::Categorical(v) => {
                ColumnValues::Categorical(rows.iter().map(|&r| v[r].clone()).collect())
            }
            ColumnValues::Text(v) => {
                ColumnValues::Text(rows.iter().map(|&r| v[r].clone()).collect())
            }
        };
    }
    out.origin = format!("{} (classes {})", ds.origin, keep.join(", "));
    Ok((Cow::Owned(out), Some(rows)))
}

/// The first `per_class` rows of each class in `rows` (kept in their order); all of them when
/// `per_class` is 0.
pub fn cap_per_class(rows: &[usize], labels: &[usize], per_class: usize) -> Vec<usize> {
    if per_class == 0 {
        return rows.to_vec();
    }
    let mut taken = std::collections::HashMap::new();
    rows.iter()
        .copied()
        .filter(|&r| {
            let n = taken.entry(labels[r]).or_insert(0usize);
            *n += 1;
            *n <= per_class
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn digits() -> Dataset {
        let mut cfg = Config::default();
        cfg.data.source = crate::config::Source::Digits;
        crate::data::load(&cfg).unwrap()
    }

    #[test]
    fn keeps_the_named_classes_renumbered_in_order() {
        let ds = digits();
        let keep: Vec<String> = ["7", "5"].iter().map(|s| s.to_string()).collect();
        let (sub, rows) = keep_classes(&ds, &keep).unwrap();
        let rows = rows.expect("a subset");
        assert!(rows.iter().all(|&r| [5, 7].contains(&ds.labels[r])));
        let want = ds.labels.iter().filter(|&&l| l == 7 || l == 5).count();
        assert_eq!((sub.labels.len(), sub.frame.n_rows), (want, want));
        assert_eq!(sub.class_names, keep);
        // The first kept row of the original is the first row here, with its pixels.
        let first = ds.labels.iter().position(|&l| l == 7 || l == 5).unwrap();
        assert_eq!(sub.labels[0], if ds.labels[first] == 7 { 0 } else { 1 });
        let (ColumnValues::Text(a), ColumnValues::Text(b)) =
            (&ds.frame.columns[10].values, &sub.frame.columns[10].values)
        else {
            panic!("digits are read as raw cells")
        };
        assert_eq!(a[first], b[0]);
        let e = keep_classes(&ds, &["5".into(), "x".into()])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("data.keep_classes") && e.contains("\"x\" is not a class"),
            "{e}"
        );
    }

    #[test]
    fn caps_each_class_in_order() {
        let labels = [0, 1, 0, 0, 1, 1, 2];
        assert_eq!(
            cap_per_class(&[6, 0, 1, 2, 3, 4, 5], &labels, 2),
            [6, 0, 1, 2, 4]
        );
        assert_eq!(cap_per_class(&[3, 1], &labels, 0), [3, 1]);
    }
}
