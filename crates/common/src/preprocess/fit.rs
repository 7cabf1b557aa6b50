//! Fitting one column's preprocessing on the training rows ([`super::Preprocessor::fit`]):
//! a numeric column's fill, mean, standard deviation and piecewise-linear edges, a categorical
//! column's levels and fill.

use std::collections::BTreeMap;

use super::{piecewise, InputColumn, Preprocessor};
use crate::config::DataConfig;
use crate::schema::{Kind, Schema};
use crate::{Error, Result};

/// Every column `data.piecewise_columns` names must be a numeric input; the error names the
/// first that is not, says what it is instead (the target, categorical, dropped and why, not in
/// the file), and lists the numeric inputs.
pub fn check_piecewise_columns(schema: &Schema, cfg: &DataConfig) -> Result<()> {
    let find = |name: &String| schema.columns.iter().find(|c| &c.name == name);
    for name in &cfg.piecewise_columns {
        let what = match find(name) {
            Some(c) if c.kind == Kind::Numeric => continue,
            _ if schema.target.as_ref() == Some(name) => "is the target".to_string(),
            Some(c) if c.why.is_empty() => format!("is {}", c.kind.label()),
            Some(c) => format!("is {} ({})", c.kind.label(), c.why),
            None => "is not a column of the file".to_string(),
        };
        let numeric = schema.columns.iter().filter(|c| c.kind == Kind::Numeric);
        let have: Vec<&str> = numeric.map(|c| c.name.as_str()).collect();
        let have = match have.is_empty() {
            true => "(none)".to_string(),
            false => have.join(", "),
        };
        let msg = format!("column '{name}' {what}; the numeric inputs are: {have}");
        return Err(Error::config("data.piecewise_columns", msg));
    }
    Ok(())
}

/// The lines a run prints about the piecewise-linear keys: that a fine-tuned model keeps the
/// pretrained encoding (the keys are then not used), or which named columns stay one feature
/// because their training values make fewer than two bins.
pub fn piecewise_notes(cfg: &DataConfig, pretrained: bool, pre: &Preprocessor) -> Vec<String> {
    let encoded = pre.piecewise_columns();
    if pretrained {
        if cfg.piecewise_bins == 0 && cfg.piecewise_columns.is_empty() {
            return Vec::new();
        }
        let names: Vec<&str> = encoded.iter().map(|c| c.0.as_str()).collect();
        let names = if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        };
        return vec![format!(
            "init: data.piecewise_bins and data.piecewise_columns are not used: the pretrained \
             model's preprocessing decides which numbers are encoded piecewise-linearly \
             ({names}); set model.init_preprocessing = \"refit\" to choose again"
        )];
    }
    if super::piecewise_bins(cfg) == 0 {
        return Vec::new();
    }
    let flat = |name: &&String| !encoded.iter().any(|c| &c.0 == *name);
    let flat: Vec<&str> = cfg
        .piecewise_columns
        .iter()
        .filter(flat)
        .map(|s| s.as_str())
        .collect();
    match flat.is_empty() {
        true => Vec::new(),
        false => vec![format!(
            "data: {} (data.piecewise_columns) stay one feature each: their training values \
             make fewer than two bins",
            flat.join(", ")
        )],
    }
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
