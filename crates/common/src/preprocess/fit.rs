//! Fitting one column's preprocessing on the training rows ([`super::Preprocessor::fit`]):
//! a numeric column's fill, mean, standard deviation and piecewise-linear edges, a categorical
//! column's levels and fill.

use std::collections::BTreeMap;

use super::{piecewise, InputColumn};
use crate::frame::{ColumnValues, Frame};
use crate::{Error, Result};

/// Every column `data.piecewise_columns` names must be a numeric input of `frame`; the error
/// names the first that is not, and lists the numeric ones.
pub(super) fn check_piecewise_columns(frame: &Frame, chosen: &[String]) -> Result<()> {
    let numeric = |c: &&crate::frame::Column| matches!(c.values, ColumnValues::Numeric(_));
    for name in chosen {
        let found = frame.columns.iter().find(|c| &c.name == name);
        if found.as_ref().is_some_and(numeric) {
            continue;
        }
        let what = match found {
            Some(_) => "is not numeric",
            None => "is not an input (dropped, the target, or not in the file)",
        };
        let have: Vec<&str> = frame
            .columns
            .iter()
            .filter(numeric)
            .map(|c| c.name.as_str())
            .collect();
        let have = if have.is_empty() {
            "(none)".to_string()
        } else {
            have.join(", ")
        };
        let msg = format!("column '{name}' {what}; the numeric inputs are: {have}");
        return Err(Error::config("data.piecewise_columns", msg));
    }
    Ok(())
}

/// Numeric column: train-mean fill and, when `scale`, the population mean/std of the imputed
/// train values (imputed values equal the mean, so they add nothing to the variance); with
/// `bins > 0`, the piecewise-linear edges of the non-missing train values.
pub(super) fn numeric(
    name: &str,
    v: &[f64],
    rows: &[usize],
    scale: bool,
    bins: usize,
) -> InputColumn {
    let (mut sum, mut count) = (0.0, 0usize);
    for &r in rows {
        if !v[r].is_nan() {
            sum += v[r];
            count += 1;
        }
    }
    let fill = if count > 0 { sum / count as f64 } else { 0.0 };
    let (mut mean, mut std) = (0.0, 1.0);
    if scale && !rows.is_empty() {
        let ss: f64 = rows
            .iter()
            .filter(|&&r| !v[r].is_nan())
            .map(|&r| (v[r] - fill) * (v[r] - fill))
            .sum();
        let sd = (ss / rows.len() as f64).sqrt();
        mean = fill;
        // A (nearly) constant column would blow up to ±inf or noise: leave it unscaled.
        std = if sd.is_finite() && sd > 1e-12 * fill.abs().max(1.0) {
            sd
        } else {
            1.0
        };
    }
    let bins = match bins {
        0 => Vec::new(),
        n => {
            let mut seen: Vec<f64> = rows.iter().map(|&r| v[r]).filter(|x| !x.is_nan()).collect();
            seen.sort_unstable_by(f64::total_cmp);
            piecewise::edges(&seen, n)
        }
    };
    InputColumn::Numeric {
        name: name.to_string(),
        fill,
        mean,
        std,
        bins,
    }
}

/// Categorical column: sorted train categories and the train mode as fill.
pub(super) fn categorical(name: &str, v: &[Option<String>], rows: &[usize]) -> InputColumn {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for &r in rows {
        if let Some(s) = &v[r] {
            *counts.entry(s.as_str()).or_default() += 1;
        }
    }
    let mut fill = "";
    let mut best = 0;
    for (&k, &n) in &counts {
        if n > best {
            (fill, best) = (k, n);
        }
    }
    InputColumn::Categorical {
        name: name.to_string(),
        categories: counts.keys().map(|k| k.to_string()).collect(),
        fill: fill.to_string(),
    }
}
