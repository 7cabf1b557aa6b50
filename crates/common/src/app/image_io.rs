//! `predict` and `eval` on image files, for a model trained on an image folder: which files an
//! input names (one image, a folder searched recursively, or a CSV with a `path` column), read
//! and normalized exactly as the training images were (the checkpoint's saved size, resize
//! policy, channels and per-channel mean/std), and a labelled folder in the training layout.

use std::path::{Path, PathBuf};

use crate::data::dialect::{delimiter_name, sniff::sniff_delimiter};
use crate::data::images::{self, prepare::reading_of, scan, Part};
use crate::data::limits::read_bounded;
use crate::data::XY;
use crate::preprocess::{ImagePrep, Preprocessor};
use crate::{Error, Result};

/// The image files `input` names: itself (an image), the images under it (a folder, sorted as
/// the training scan sorts, hidden entries skipped), or the paths of a CSV's `path` column,
/// relative to the CSV's folder, the CSV read with `delimiter` (`--delimiter`) when given, else
/// detected.
pub fn image_inputs_with(input: &Path, delimiter: Option<u8>) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(input).map_err(|e| Error::io(input, e))?;
    if meta.is_dir() {
        let (out, links) = scan::images_under(input)?;
        if let Some(line) = images::links_warning_in(input, &links) {
            crate::errln!("{line}");
        }
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
    csv_paths(input, delimiter)
}

/// The paths of the CSV `input`'s `path` column (a header is required: without one, the
/// first path would be read as a column name), read with `delimiter`, else the detected one.
fn csv_paths(input: &Path, delimiter: Option<u8>) -> Result<Vec<PathBuf>> {
    let bytes = read_bounded(input)?;
    let delimiter = match delimiter {
        Some(d) => d,
        None => sniff_delimiter(&bytes).map_err(|msg| data_err(input, &msg))?,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(&bytes[..]);
    let headers = reader
        .headers()
        .map_err(|e| data_err(input, &e.to_string()))?
        .clone();
    let name = |h: &str| h.trim().trim_start_matches('\u{feff}').to_string();
    let Some(col) = headers
        .iter()
        .position(|h| name(h).eq_ignore_ascii_case("path"))
    else {
        let found: Vec<String> = headers.iter().map(|h| format!("'{}'", name(h))).collect();
        return Err(data_err(
            input,
            &format!(
                "a CSV of images needs a `path` column (header `path`, one file per row, \
                 relative to the CSV's folder or absolute); read with the delimiter {}, its \
                 header has {}: {} (another delimiter? give --delimiter)",
                delimiter_name(delimiter),
                images::plural(found.len(), "column"),
                found.join(", ")
            ),
        ));
    };
    let base = input.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| data_err(input, &e.to_string()))?;
        let cell = rec.get(col).unwrap_or("").trim();
        if cell.is_empty() {
            return Err(Error::Data {
                path: input.to_path_buf(),
                row: Some(i + 2),
                column: Some(name(headers.get(col).unwrap_or("path"))),
                msg: "empty path".into(),
            });
        }
        out.push(base.join(cell));
    }
    if out.is_empty() {
        return Err(data_err(input, "no data rows: no image to predict"));
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

/// Refuses a saved image preprocessing that cannot be applied (a damaged checkpoint).
fn check_prep(prep: &ImagePrep) -> Result<()> {
    let c = prep.channels;
    let ok = (c == 1 || c == 3)
        && prep.size.iter().all(|&s| s >= 1)
        && prep.mean.len() == c
        && prep.std.len() == c
        && prep.mean.iter().all(|m| m.is_finite())
        && prep.std.iter().all(|s| s.is_finite() && *s > 0.0);
    if ok {
        Ok(())
    } else {
        Err(Error::Other(format!(
            "the checkpoint's image preprocessing is damaged: {c} channels, size {:?}, {} means \
             and {} standard deviations",
            prep.size,
            prep.mean.len(),
            prep.std.len()
        )))
    }
}

/// The features of `paths`, read as the model's training images were (`pre.image`).
///
/// # Shapes
/// Returns `[paths.len(), C·H·W]`.
pub fn image_features(prep: &ImagePrep, paths: &[PathBuf]) -> Result<ndarray::Array2<f32>> {
    check_prep(prep)?;
    let how = reading_of(prep);
    let shape = prep.shape();
    let mut pixels = Vec::with_capacity(paths.len() * shape.iter().product::<usize>());
    for p in paths {
        pixels.extend(images::read_image(p, &how, shape)?);
    }
    Ok(prep.features(&pixels))
}

/// What eval's bad-files error says: eval has no config to change, so the files must go.
const EVAL_BAD_FILES_HINT: &str = "eval --data reads them as the checkpoint's run did, with \
     data.image.bad_files = \"error\": move them out of the folder or repair them";

/// Prints what the walk and the decode left out of an evaluated folder, as training does: a
/// metric on fewer images than the folder holds must not pass unnoticed.
fn warn_left_out(set: &images::ImageSet) {
    for line in left_out_warnings(set) {
        crate::errln!("{line}");
    }
}

/// The `warning:` lines of [`warn_left_out`].
fn left_out_warnings(set: &images::ImageSet) -> Vec<String> {
    let how = "the checkpoint's data.image.bad_files = \"skip\"";
    images::links_warning(set)
        .into_iter()
        .chain(images::bad_files_warning(set, how))
        .collect()
}

/// A labelled folder in the training layout, read as the model's training images were: its
/// `test/` images (else `val/`) when it gives splits, else all of them. Its classes must be
/// among the model's (by name). `im` is the run's `[data.image]` (bad files, memory limit).
pub fn labelled_folder(
    dir: &Path,
    pre: &Preprocessor,
    prep: &ImagePrep,
    im: &crate::config::ImageConfig,
) -> Result<(XY, String)> {
    check_prep(prep)?;
    if !dir.is_dir() {
        return Err(data_err(
            dir,
            "--data: a model trained on images is evaluated on a folder in the training layout",
        ));
    }
    // The run's own bad-file and memory settings; the pixels are read as the model saw them.
    let set = images::load_hinted(dir, im, &reading_of(prep), false, EVAL_BAD_FILES_HINT)?;
    warn_left_out(&set);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BadFiles, ImageConfig};

    /// `classes` folders of two 4×4 grey PNGs each under `dir`.
    fn plant(dir: &Path, classes: &[&str]) {
        for (c, class) in classes.iter().enumerate() {
            std::fs::create_dir_all(dir.join(class)).unwrap();
            for i in 0..2u8 {
                let img = image::GrayImage::from_pixel(4, 4, image::Luma([c as u8 * 50 + i]));
                img.save(dir.join(format!("{class}/{i}.png"))).unwrap();
            }
        }
    }

    fn model(classes: &[&str]) -> (Preprocessor, ImagePrep) {
        let prep = ImagePrep {
            size: [4, 4],
            resized: false,
            resize: ImageConfig::default().resize,
            channels: 1,
            mean: vec![0.5],
            std: vec![0.25],
            max_pixels: 1 << 20,
        };
        let pre = Preprocessor {
            columns: vec![],
            target: None,
            class_names: classes.iter().map(|c| c.to_string()).collect(),
            image_shape: Some(prep.shape()),
            schema: Default::default(),
            image: Some(prep.clone()),
        };
        (pre, prep)
    }

    #[test]
    fn an_image_csv_is_read_with_its_delimiter_and_a_missing_column_lists_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("list.csv");
        std::fs::write(&list, "id;path\n1;a.png\n2;sub/b.png\n").unwrap();
        let want = [dir.path().join("a.png"), dir.path().join("sub/b.png")];
        assert_eq!(image_inputs_with(&list, None).unwrap(), want);
        assert_eq!(image_inputs_with(&list, Some(b';')).unwrap(), want);
        let e = image_inputs_with(&list, Some(b','))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("delimiter ','") && e.contains("1 column: 'id;path'"),
            "{e}"
        );
        std::fs::write(&list, "\u{feff}id,file\n1,a.png\n").unwrap();
        let e = image_inputs_with(&list, None).unwrap_err().to_string();
        assert!(e.contains("2 columns: 'id', 'file'"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_to_predict_with_a_link_loop_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        plant(dir.path(), &["cat"]);
        std::os::unix::fs::symlink("..", dir.path().join("cat/up")).unwrap();
        let want = [dir.path().join("cat/0.png"), dir.path().join("cat/1.png")];
        assert_eq!(image_inputs_with(dir.path(), None).unwrap(), want);
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_to_predict_follows_links_but_not_a_loop() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        plant(dir.path(), &["cat", "dog"]);
        let cat = dir.path().join("cat");
        symlink("..", cat.join("up")).unwrap();
        // A file linked from elsewhere is read, as training reads it (a folder of links).
        symlink("../dog/0.png", cat.join("pup.png")).unwrap();
        let want = [cat.join("0.png"), cat.join("1.png"), cat.join("pup.png")];
        assert_eq!(image_inputs_with(&cat, None).unwrap(), want);
        let (_, links) = scan::images_under(&cat).unwrap();
        assert_eq!(links.len(), 1, "{links:?}");
        assert!(
            links[0].0 == "up" && links[0].1.contains("link loop"),
            "{links:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_to_predict_reads_a_folder_by_its_own_path_in_the_scan_order() {
        let dir = tempfile::tempdir().unwrap();
        plant(dir.path(), &["z", "m"]);
        // `a` sorts first and leads to `z`: `z` is read by its own path, and once.
        std::os::unix::fs::symlink("z", dir.path().join("a")).unwrap();
        let want: Vec<PathBuf> = ["m/0.png", "m/1.png", "z/0.png", "z/1.png"]
            .iter()
            .map(|p| dir.path().join(p))
            .collect();
        assert_eq!(image_inputs_with(dir.path(), None).unwrap(), want);
    }

    #[test]
    fn eval_names_the_files_it_leaves_out_and_what_to_do_about_them() {
        let dir = tempfile::tempdir().unwrap();
        plant(dir.path(), &["cat", "dog"]);
        std::fs::write(dir.path().join("cat/broken.png"), b"").unwrap();
        let (pre, prep) = model(&["cat", "dog"]);
        let strict = ImageConfig::default();
        let e = labelled_folder(dir.path(), &pre, &prep, &strict)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cat/broken.png") && e.contains("move them out of the folder"),
            "{e}"
        );
        assert!(!e.contains("leaves them out"), "{e}");
        let skip = ImageConfig {
            bad_files: BadFiles::Skip,
            ..strict
        };
        let (xy, _) = labelled_folder(dir.path(), &pre, &prep, &skip).unwrap();
        assert_eq!(xy.y.len(), 4);
        let set = images::load(dir.path(), &skip, &reading_of(&prep), true).unwrap();
        let lines = left_out_warnings(&set);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("warning: skipped 1 bad file (the checkpoint's")
                && lines[0].contains("cat/broken.png: empty file"),
            "{lines:?}"
        );
    }
}
