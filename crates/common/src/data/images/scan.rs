//! The folder walk of an image set: which files are images of which class in which split,
//! before a byte of pixel data is read. Two layouts, as torchvision's `ImageFolder` users lay
//! them out:
//!
//! - (a) `DIR/<class>/<files>`: one pool, split later by the config's seeded `data.split`;
//! - (b) `DIR/train/<class>/…`, `DIR/val/<class>/…` (or `valid/`), optionally
//!   `DIR/test/<class>/…`: the splits as given.
//!
//! One sorted class list for all splits (the training folder's, in layout (b)), so a class
//! never gets two numbers. Files are searched recursively inside a class folder and ordered
//! as `ImageFolder` orders them (`sorted(os.walk(...))`: by folder path, then by name).
//! Hidden entries (a name starting with `.`, such as `.DS_Store` or `.ipynb_checkpoints`) and
//! `__MACOSX` are ignored at every level; files without an image extension are ignored and
//! counted. A class in val/test that train lacks, an empty class folder and a file where class
//! folders are expected are errors naming the path.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The file extensions read as images (compared without case).
pub const EXTENSIONS: [&str; 12] = [
    "png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff", "pnm", "pbm", "pgm", "ppm",
];
/// The deepest folder nesting followed inside a class folder (a symbolic-link loop ends here).
const MAX_DEPTH: usize = 32;

/// Which given split a file belongs to (layout (b)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// `train/`.
    Train,
    /// `val/` or `valid/`.
    Val,
    /// `test/`.
    Test,
}

/// One image file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The path to open.
    pub path: PathBuf,
    /// The path relative to the root, `/`-separated (what `split.json` and `predict` name).
    pub rel: String,
    /// Class index in [`Scan::classes`].
    pub class: usize,
    /// The given split (layout (b)), `None` in layout (a).
    pub part: Option<Part>,
}

/// What the walk found.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// The class names, sorted.
    pub classes: Vec<String>,
    /// The image files in order: by part (train, val, test), class, folder path, name.
    pub files: Vec<Found>,
    /// Files skipped for their extension (relative paths).
    pub ignored: Vec<String>,
    /// True in layout (b).
    pub given_splits: bool,
}

/// True for names the walk never looks at.
pub fn is_hidden(name: &str) -> bool {
    name.starts_with('.') || name == "__MACOSX"
}

/// True when `path`'s extension is one of [`EXTENSIONS`].
pub fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::io(path, e)
}

fn layout_error(path: &Path, msg: impl Into<String>) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        row: None,
        column: None,
        msg: msg.into(),
    }
}

/// The visible entries of `dir`, sorted by name: `(name, path, is_dir)`.
fn entries(dir: &Path) -> Result<Vec<(String, PathBuf, bool)>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let e = e.map_err(|e| io_err(dir, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if is_hidden(&name) {
            continue;
        }
        let path = e.path();
        // Follows symbolic links, as ImageFolder's os.walk(followlinks=True) does.
        let meta = std::fs::metadata(&path).map_err(|e| io_err(&path, e))?;
        out.push((name, path, meta.is_dir()));
    }
    out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(out)
}

/// Walks `root` (see the module documentation).
pub fn scan(root: &Path) -> Result<Scan> {
    let meta = std::fs::metadata(root).map_err(|e| io_err(root, e))?;
    if !meta.is_dir() {
        return Err(layout_error(
            root,
            "data.path must be a folder of class folders for data.source = \"images\"",
        ));
    }
    let top = entries(root)?;
    let has = |n: &str| top.iter().any(|(name, _, d)| *d && name == n);
    let val_name = ["val", "valid"].into_iter().find(|n| has(n));
    let mut out = Scan::default();
    if has("train") {
        let Some(val_name) = val_name else {
            return Err(layout_error(
                &root.join("train"),
                "a train/ folder needs a val/ (or valid/) folder beside it: with train/, \
                 val/ and test/ the splits are given; without them every folder is a class",
            ));
        };
        scan_splits(root, &top, val_name, &mut out)?;
    } else {
        let classes = class_folders(root)?;
        out.classes = classes.iter().map(|(n, _)| n.clone()).collect();
        for (index, (_, path)) in classes.iter().enumerate() {
            collect(root, path, index, None, &mut out)?;
        }
    }
    if out.classes.len() < 2 {
        return Err(layout_error(
            root,
            format!(
                "only one class folder ({}): a classifier needs at least two",
                out.classes.join(", ")
            ),
        ));
    }
    Ok(out)
}

/// Layout (b): the class folders of `train/`, `val_name/` and `test/` under `root`, whose
/// top-level entries are `top`; train's classes are the class list.
fn scan_splits(
    root: &Path,
    top: &[(String, PathBuf, bool)],
    val_name: &str,
    out: &mut Scan,
) -> Result<()> {
    out.given_splits = true;
    let parts = [
        ("train", Part::Train),
        (val_name, Part::Val),
        ("test", Part::Test),
    ];
    for (name, path, _) in top {
        if !parts.iter().any(|(p, _)| p == name) {
            return Err(layout_error(
                path,
                format!(
                    "unexpected beside train/ and {val_name}/: with given splits the \
                     folder holds only train/, {val_name}/ and test/"
                ),
            ));
        }
    }
    let train_classes = class_folders(&root.join("train"))?;
    out.classes = train_classes.iter().map(|(n, _)| n.clone()).collect();
    for (name, part) in parts {
        let dir = root.join(name);
        if !dir.is_dir() {
            continue;
        }
        let classes = class_folders(&dir)?;
        for (class, path) in classes {
            let Some(index) = out.classes.iter().position(|c| *c == class) else {
                return Err(layout_error(
                    &path,
                    format!(
                        "class '{class}' is not among the training classes ({})",
                        out.classes.join(", ")
                    ),
                ));
            };
            collect(root, &path, index, Some(part), out)?;
        }
    }
    Ok(())
}

/// The class folders of `dir`; a file there is an error, as is a folder without classes.
fn class_folders(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for (name, path, is_dir) in entries(dir)? {
        if !is_dir {
            return Err(layout_error(
                &path,
                "a file where class folders are expected: put each image in its class's \
                 folder (DIR/<class>/<file>)",
            ));
        }
        out.push((name, path));
    }
    if out.is_empty() {
        return Err(layout_error(dir, "no class folders in this folder"));
    }
    Ok(out)
}

/// Adds the images under the class folder `dir`, in `ImageFolder`'s order; an empty class
/// folder is an error.
fn collect(
    root: &Path,
    dir: &Path,
    class: usize,
    part: Option<Part>,
    out: &mut Scan,
) -> Result<()> {
    // (folder path, name, path): sorted by folder path, then name, as sorted(os.walk()).
    let mut files: Vec<(String, String, PathBuf)> = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    // Each real folder once: links that lead back into the tree are followed (as os.walk with
    // followlinks=True) but cannot multiply the walk.
    let mut seen = std::collections::HashSet::new();
    while let Some((folder, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(layout_error(
                &folder,
                format!("nested more than {MAX_DEPTH} folders deep (a link loop?)"),
            ));
        }
        let real = std::fs::canonicalize(&folder).map_err(|e| io_err(&folder, e))?;
        if !seen.insert(real) {
            continue;
        }
        let key = folder.to_string_lossy().into_owned();
        for (name, path, is_dir) in entries(&folder)? {
            if is_dir {
                stack.push((path, depth + 1));
            } else if has_image_extension(&path) {
                files.push((key.clone(), name, path));
            } else {
                out.ignored.push(relative(root, &path));
            }
        }
    }
    if files.is_empty() {
        return Err(layout_error(
            dir,
            format!(
                "empty class folder: no image files ({})",
                EXTENSIONS.join(", ")
            ),
        ));
    }
    files.sort_by(|a, b| (a.0.as_bytes(), a.1.as_bytes()).cmp(&(b.0.as_bytes(), b.1.as_bytes())));
    out.files
        .extend(files.into_iter().map(|(_, _, path)| Found {
            rel: relative(root, &path),
            path,
            class,
            part,
        }));
    Ok(())
}

/// `path` relative to `root`, `/`-separated.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
