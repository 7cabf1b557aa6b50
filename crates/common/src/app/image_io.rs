//! `predict` and `eval` on image files, for a model trained on an image folder: which files an
//! input names (one image, a folder searched recursively, or a CSV with a `path` column), read
//! and normalized exactly as the training images were (the checkpoint's saved size, resize
//! policy, channels and per-channel mean/std), and a labelled folder in the training layout.

use std::path::{Path, PathBuf};

use crate::data::images::{self, prepare::reading_of, scan, Part};
use crate::data::XY;
use crate::preprocess::{ImagePrep, Preprocessor};
use crate::{Error, Result};

/// The image files `input` names: itself (an image), the images under it (a folder, sorted as
/// the training scan sorts, hidden entries skipped), or the paths of a CSV's `path` column
/// (else its first column), relative to the CSV's folder.
pub fn image_inputs(input: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(input).map_err(|e| Error::io(input, e))?;
    if meta.is_dir() {
        let mut out = Vec::new();
        walk(input, &mut out, 0)?;
        if out.is_empty() {
            return Err(data_err(input, "no image files in this folder"));
        }
        return Ok(out);
    }
    let is_csv = input
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if !is_csv {
        return Ok(vec![input.to_path_buf()]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(input)
        .map_err(|e| data_err(input, &e.to_string()))?;
    let headers = reader
        .headers()
        .map_err(|e| data_err(input, &e.to_string()))?
        .clone();
    let col = headers.iter().position(|h| h.trim() == "path").unwrap_or(0);
    let base = input.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| data_err(input, &e.to_string()))?;
        let cell = rec.get(col).unwrap_or("").trim();
        if cell.is_empty() {
            return Err(Error::Data {
                path: input.to_path_buf(),
                row: Some(i + 2),
                column: Some(headers.get(col).unwrap_or("path").to_string()),
                msg: "empty path".into(),
            });
        }
        out.push(base.join(cell));
    }
    Ok(out)
}

fn data_err(path: &Path, msg: &str) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        row: None,
        column: None,
        msg: msg.into(),
    }
}

/// The images under `dir`, recursively, in (folder path, name) order.
fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<()> {
    if depth > 32 {
        return Err(data_err(
            dir,
            "nested more than 32 folders deep (a link loop?)",
        ));
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok())
        .filter(|e| !scan::is_hidden(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    entries.sort();
    let (dirs, files): (Vec<_>, Vec<_>) = entries.into_iter().partition(|p| p.is_dir());
    out.extend(files.into_iter().filter(|p| scan::has_image_extension(p)));
    for d in dirs {
        walk(&d, out, depth + 1)?;
    }
    Ok(())
}

/// The features of `paths`, read as the model's training images were (`pre.image`).
///
/// # Shapes
/// Returns `[paths.len(), C·H·W]`.
pub fn image_features(
    pre: &Preprocessor,
    prep: &ImagePrep,
    paths: &[PathBuf],
) -> Result<ndarray::Array2<f32>> {
    let how = reading_of(prep);
    let shape = pre.image_shape.unwrap_or(prep.shape());
    let mut pixels = Vec::with_capacity(paths.len() * shape.iter().product::<usize>());
    for p in paths {
        pixels.extend(images::read_image(p, &how, shape)?);
    }
    Ok(prep.features(&pixels))
}

/// A labelled folder in the training layout, read as the model's training images were: its
/// `test/` images (else `val/`) when it gives splits, else all of them. Its classes must be
/// among the model's (by name).
pub fn labelled_folder(dir: &Path, pre: &Preprocessor, prep: &ImagePrep) -> Result<(XY, String)> {
    let im = crate::config::ImageConfig::default();
    let set = images::load(dir, &im, &reading_of(prep), false)?;
    if [set.shape[1], set.shape[2]] != prep.size || set.shape[0] != prep.channels {
        return Err(data_err(
            dir,
            &format!(
                "images read as {:?}; the model takes {:?}",
                set.shape,
                prep.shape()
            ),
        ));
    }
    let mut map = Vec::with_capacity(set.classes.len());
    for c in &set.classes {
        let Some(i) = pre.class_names.iter().position(|k| k == c) else {
            return Err(data_err(
                &dir.join(c),
                &format!(
                    "class '{c}' is not one the model knows ({})",
                    pre.class_names.join(", ")
                ),
            ));
        };
        map.push(i);
    }
    let (want, what) = match &set.parts {
        Some(parts) if parts.contains(&Part::Test) => (Some(Part::Test), "test/"),
        Some(_) => (Some(Part::Val), "val/"),
        None => (None, "all images"),
    };
    let rows: Vec<usize> = (0..set.len())
        .filter(|&i| want.is_none() || set.parts.as_ref().map(|p| p[i]) == want)
        .collect();
    let mut px = Vec::new();
    rows.iter()
        .for_each(|&i| px.extend_from_slice(set.image(i)));
    let xy = XY {
        x: prep.features(&px),
        y: rows.iter().map(|&i| map[set.labels[i]]).collect(),
    };
    Ok((xy, format!("{} ({what})", dir.display())))
}
