//! The digits images (`data/digits.csv`): 64 pixel columns `pixel_R_C` (8×8, row-major, values
//! 0–16) and a `label` column, as `[1, 8, 8]` images or flat features, plus seeded augmentation
//! ([`augment_batch`], [`Augmenter`], defined in [`super::augment`]). The final project's image
//! task (the chapter's Route 2 `datasets.py` with transforms).

use std::path::{Path, PathBuf};

use super::{csv, Dataset};
use crate::config::DataConfig;
use crate::Result;

/// The default file, relative to the current directory.
pub const DEFAULT_PATH: &str = "data/digits.csv";
/// The default label column.
pub const TARGET: &str = "label";
/// `[C, H, W]` of one image.
pub const IMAGE_SHAPE: [usize; 3] = [1, 8, 8];

/// The digits file used when `data.path` is unset: [`DEFAULT_PATH`] in the current directory,
/// or, when that does not exist (tests and examples run from a crate folder), the workspace's
/// own `data/digits.csv`.
pub fn default_path() -> PathBuf {
    let here = PathBuf::from(DEFAULT_PATH);
    if here.exists() {
        return here;
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(DEFAULT_PATH);
    if workspace.exists() {
        workspace
    } else {
        here
    }
}

/// The pixel column names in row-major order (`pixel_0_0`, `pixel_0_1`, ...).
pub fn pixel_names() -> Vec<String> {
    let [_, h, w] = IMAGE_SHAPE;
    (0..h)
        .flat_map(|r| (0..w).map(move |c| format!("pixel_{r}_{c}")))
        .collect()
}

/// Loads the digits (`data.path` or [`default_path`], label `data.target` or `label`), with
/// the 64 pixel columns forced numeric and put in row-major order. A missing pixel column or an
/// extra column is an error naming it.
pub fn load(cfg: &DataConfig) -> Result<Dataset> {
    let path = cfg.path.clone().unwrap_or_else(default_path);
    let mut csv_cfg = cfg.clone();
    csv_cfg.target = Some(cfg.target.clone().unwrap_or_else(|| TARGET.to_string()));
    csv_cfg.numeric = pixel_names();
    csv_cfg.categorical.clear();
    // Pixel columns must exist; check_column_lists in the CSV loader reports a missing one.
    let mut ds = csv::load(&path, &csv_cfg)?;
    if let Some(extra) = ds
        .frame
        .columns
        .iter()
        .find(|c| !csv_cfg.numeric.contains(&c.name))
    {
        let msg =
            "unexpected column in the digits file (expected pixel_R_C columns and the label; \
                   list it in data.drop)"
                .to_string();
        return Err(crate::Error::Data {
            path,
            row: None,
            column: Some(extra.name.clone()),
            msg,
        });
    }
    if ds.frame.columns.len() != csv_cfg.numeric.len() {
        let msg = "the digits need all 64 pixel columns; do not drop any";
        return Err(crate::Error::config("data.drop", msg));
    }
    let mut columns = std::mem::take(&mut ds.frame.columns);
    let order = pixel_names();
    columns.sort_by_key(|c| order.iter().position(|n| *n == c.name));
    ds.frame.columns = columns;
    ds.image_shape = Some(IMAGE_SHAPE);
    ds.origin = format!("digits({})", path.display());
    Ok(ds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn pixel_names_are_row_major() {
        let n = pixel_names();
        assert_eq!(n.len(), 64);
        assert_eq!(
            (n[0].as_str(), n[1].as_str(), n[8].as_str(), n[63].as_str()),
            ("pixel_0_0", "pixel_0_1", "pixel_1_0", "pixel_7_7")
        );
    }

    #[test]
    fn columns_are_reordered_and_missing_ones_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv");
        let mut names = pixel_names();
        names.reverse();
        let mut text = names.join(",") + ",label\n";
        for row in 0..2 {
            let vals: Vec<String> = (0..64).rev().map(|i| (i + row).to_string()).collect();
            text += &format!("{},{row}\n", vals.join(","));
        }
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let cfg = DataConfig {
            path: Some(path.clone()),
            ..DataConfig::default()
        };
        let ds = load(&cfg).unwrap();
        assert_eq!(ds.frame.columns[0].name, "pixel_0_0");
        assert_eq!(
            ds.frame.columns[9].values,
            super::super::ColumnValues::Text(vec!["9".into(), "10".into()])
        );
        assert_eq!(ds.image_shape, Some([1, 8, 8]));
        let dropped = DataConfig {
            drop: vec!["pixel_3_3".into()],
            ..cfg.clone()
        };
        assert!(load(&dropped)
            .unwrap_err()
            .to_string()
            .contains("data.drop"));

        let text = pixel_names()[1..].join(",") + ",label\n" + &"1,".repeat(63) + "0\n";
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let err = load(&cfg).unwrap_err().to_string();
        assert!(err.contains("pixel_0_0") && err.contains("d.csv"), "{err}");
    }
}
