//! The folder walk of an image set: which files are images of which class in which split,
//! before a byte of pixel data is read. Two layouts, as torchvision's `ImageFolder` users lay
//! them out:
//!
//! - (a) `DIR/<class>/<files>`: one pool, split later by the config's seeded `data.split`;
//! - (b) `DIR/train/<class>/…`, `DIR/val/<class>/…` (or `valid/`), optionally
//!   `DIR/test/<class>/…`: the splits as given. These folder names are compared without case
//!   (`Train/`, `VAL/`), as file extensions are; a pool whose class folders are all split
//!   names (`val/`, `test/`, `validation/`, …) is refused rather than learnt as classes. A
//!   `train/` without a validation folder is refused, but `Train/` in another case is then a
//!   class (`Bus/ Car/ Train/`) unless a `val/`, `valid/` or `validation/` (any case) is
//!   beside it.
//!
//! One sorted class list for all splits (the training folder's, in layout (b)), so a class
//! never gets two numbers. Files are searched recursively inside a class folder and ordered
//! as `ImageFolder` orders them (`sorted(os.walk(...))`: by folder path, then by name).
//! Hidden entries (a name starting with `.`, such as `.DS_Store` or `.ipynb_checkpoints`) and
//! `__MACOSX` are ignored at every level; files without an image extension are ignored and
//! counted. A class in val/test that train lacks, an empty class folder and a file where class
//! folders are expected are errors naming the path.
//!
//! Symbolic links are followed, as `os.walk(followlinks=True)` follows them, with three
//! exceptions that `ImageFolder` would turn into wrong labels or an endless walk: a link back
//! to a folder that contains it (a loop), a link into another class folder, and a second path
//! to a folder or file already read. Each is left out and listed in [`Scan::links`]. A broken
//! link with an image extension is kept, so that the decode reports it as a bad file; one
//! without (a folder on a drive not mounted?) is listed in [`Scan::links`] too.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

mod walk;
pub use walk::images_under;
use walk::{finish_class, walk_class, Seen};

/// The file extensions read as images (compared without case).
pub const EXTENSIONS: [&str; 12] = [
    "png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff", "pnm", "pbm", "pgm", "ppm",
];
/// The deepest folder nesting followed inside a class folder.
const MAX_DEPTH: usize = 32;
/// The folder names of given splits (compared without case), in order of preference.
const TRAIN_NAMES: [&str; 1] = ["train"];
const VAL_NAMES: [&str; 2] = ["val", "valid"];
const TEST_NAMES: [&str; 1] = ["test"];
/// Names that look like a split rather than a class (compared without case): a pool of class
/// folders named only these is a split layout the walk does not read as given.
const SPLIT_LIKE: [&str; 8] = [
    "train",
    "training",
    "val",
    "valid",
    "validation",
    "test",
    "testing",
    "eval",
];

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

/// Links not followed: (relative path, why).
pub type Links = Vec<(String, String)>;

/// What the walk found.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// The class names, sorted.
    pub classes: Vec<String>,
    /// The image files in order: by part (train, val, test), class, folder path, name.
    pub files: Vec<Found>,
    /// Files skipped for their extension (relative paths).
    pub ignored: Vec<String>,
    /// Links not followed (relative path, why): loops, links into another class folder,
    /// second paths to a folder or file already read, and broken links without an image
    /// extension.
    pub links: Links,
    /// True in layout (b).
    pub given_splits: bool,
    /// True in layout (b) with a `test/` folder.
    pub has_test: bool,
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

/// `"broken symbolic link (to TARGET)"` when `path` is a link whose target cannot be read,
/// else `None`: the reason a bad file or a layout error gives instead of "No such file".
pub fn broken_link(path: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_symlink() || std::fs::metadata(path).is_ok() {
        return None;
    }
    let target = std::fs::read_link(path).map_or_else(|_| "?".into(), |t| t.display().to_string());
    Some(format!("broken symbolic link (to {target})"))
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

/// What an entry is, links followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
    /// A symbolic link whose target is missing (or itself a loop of links).
    Broken,
}

/// One visible entry of a folder.
#[derive(Debug, Clone)]
struct Entry {
    /// The name as text (invalid UTF-8 replaced): for sorting, matching and messages only.
    name: String,
    /// The name as the system gives it: what paths are built from.
    os_name: OsString,
    path: PathBuf,
    kind: Kind,
    /// True for a symbolic link (its real path may lie anywhere).
    link: bool,
}

/// The visible entries of `dir`, sorted by name.
fn entries(dir: &Path) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let e = e.map_err(|e| io_err(dir, e))?;
        let os_name = e.file_name();
        let name = os_name.to_string_lossy().into_owned();
        if is_hidden(&name) {
            continue;
        }
        let path = e.path();
        let link = e.file_type().map_err(|e| io_err(&path, e))?.is_symlink();
        // Follows symbolic links, as ImageFolder's os.walk(followlinks=True) does.
        let kind = match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => Kind::Dir,
            Ok(_) => Kind::File,
            Err(_) if link => Kind::Broken,
            Err(e) => return Err(io_err(&path, e)),
        };
        out.push(Entry {
            name,
            os_name,
            path,
            kind,
            link,
        });
    }
    // The raw name breaks a tie of two names that differ only in invalid UTF-8.
    out.sort_by(|a, b| (a.name.as_bytes(), &a.os_name).cmp(&(b.name.as_bytes(), &b.os_name)));
    Ok(out)
}

/// The folder among `top` named one of `names` (without case, the first name preferred);
/// two that differ only in case are an error.
fn split_folder<'a>(top: &'a [Entry], names: &[&str]) -> Result<Option<&'a Entry>> {
    for n in names {
        let hits: Vec<&Entry> = top
            .iter()
            .filter(|e| e.kind == Kind::Dir && e.name.eq_ignore_ascii_case(n))
            .collect();
        match hits[..] {
            [] => {}
            [one] => return Ok(Some(one)),
            [a, b, ..] => {
                return Err(layout_error(
                    &b.path,
                    format!(
                        "both {}/ and {}/: split folder names are compared without case, so \
                         keep one of them",
                        a.name, b.name
                    ),
                ))
            }
        }
    }
    Ok(None)
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
    let train = split_folder(&top, &TRAIN_NAMES)?;
    let val = split_folder(&top, &VAL_NAMES)?;
    let folders = match (train, val) {
        (Some(train), Some(val)) => {
            let test = split_folder(&top, &TEST_NAMES)?;
            given_splits(&top, train, val, test)?
        }
        (Some(train), None) if train.name == "train" || has_val_like(&top) => {
            return Err(train_without_val(train, &top))
        }
        // `Train/` among class folders (Bus/ Car/ Train/) is a class, as it always was.
        _ => pool(root)?,
    };
    let mut out = Scan {
        classes: folders.classes.clone(),
        given_splits: folders.given,
        has_test: folders.list.iter().any(|f| f.part == Some(Part::Test)),
        ..Scan::default()
    };
    let mut seen = Seen::new(&folders.list)?;
    for (own, f) in folders.list.iter().enumerate() {
        let files = walk_class(root, f, own, &mut seen, &mut out)?;
        finish_class(root, f, files, &mut out)?;
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

/// True when `top` holds a folder named like a validation split (val, valid, validation, in
/// any case): with it, a `Train/` folder in any case means given splits, not a class.
fn has_val_like(top: &[Entry]) -> bool {
    let val_like = |n: &str| {
        ["val", "valid", "validation"]
            .iter()
            .any(|v| v.eq_ignore_ascii_case(n))
    };
    top.iter().any(|e| e.kind == Kind::Dir && val_like(&e.name))
}

/// The error for a `train/` folder without `val/`: what to add for given splits, and what to
/// do when `train` is the name of a class.
fn train_without_val(train: &Entry, top: &[Entry]) -> Error {
    let other_val = top
        .iter()
        .find(|e| e.kind == Kind::Dir && e.name.eq_ignore_ascii_case("validation"))
        .map_or(String::new(), |e| {
            format!(" ({}/ is not read as one: rename it val/)", e.name)
        });
    layout_error(
        &train.path,
        format!(
            "{name}/ has no val/ (or valid/) folder beside it. A top-level {name}/ means the \
             splits are given (train/, val/ and optionally test/, each holding class folders): \
             add val/{other_val}. If '{name}' is meant as a class, rename that folder (e.g. to \
             '{name}_class'): any other name is read as a class folder",
            name = train.name
        ),
    )
}

/// One class folder to walk.
#[derive(Debug, Clone)]
struct ClassFolder {
    path: PathBuf,
    class: usize,
    part: Option<Part>,
}

/// The class folders of a layout, in walk order, and the class list.
struct Folders {
    classes: Vec<String>,
    list: Vec<ClassFolder>,
    given: bool,
}

/// Layout (a): every folder of `root` is a class; refused when they are all split names.
fn pool(root: &Path) -> Result<Folders> {
    let classes = class_folders(root)?;
    let split_like = |n: &String| SPLIT_LIKE.iter().any(|s| s.eq_ignore_ascii_case(n));
    if classes.iter().all(|(n, _)| split_like(n)) {
        let names: Vec<String> = classes.iter().map(|(n, _)| format!("{n}/")).collect();
        return Err(layout_error(
            root,
            format!(
                "the folders here ({}) are split names, not classes: given splits are read \
                 from train/ beside val/ (or valid/) and optionally test/ (names compared \
                 without case), each holding class folders; rename a folder that is a class",
                names.join(" ")
            ),
        ));
    }
    let list = classes
        .iter()
        .enumerate()
        .map(|(class, (_, path))| ClassFolder {
            path: path.clone(),
            class,
            part: None,
        })
        .collect();
    Ok(Folders {
        classes: classes.into_iter().map(|(n, _)| n).collect(),
        list,
        given: false,
    })
}

/// Layout (b): the class folders of `train`, `val` and `test` (entries of the root `top`);
/// train's classes are the class list.
fn given_splits(
    top: &[Entry],
    train: &Entry,
    val: &Entry,
    test: Option<&Entry>,
) -> Result<Folders> {
    let mut parts = vec![(train, Part::Train), (val, Part::Val)];
    parts.extend(test.map(|t| (t, Part::Test)));
    if let Some(e) = top
        .iter()
        .find(|e| !parts.iter().any(|(p, _)| p.os_name == e.os_name))
    {
        let what = match e.kind {
            Kind::Dir => {
                "a class folder here must be moved into each split (train/<class>/, \
                          val/<class>/), or the split folders renamed if they are classes"
            }
            _ => "move this file out of the folder",
        };
        return Err(layout_error(
            &e.path,
            format!(
                "unexpected beside {}/ and {}/: with given splits the folder holds only \
                 train/, val/ (or valid/) and test/; {what}",
                train.name, val.name
            ),
        ));
    }
    let classes: Vec<String> = class_folders(&train.path)?
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let mut list = Vec::new();
    for (dir, part) in parts {
        for (name, path) in class_folders(&dir.path)? {
            let Some(class) = classes.iter().position(|c| *c == name) else {
                return Err(layout_error(
                    &path,
                    format!(
                        "class '{name}' is not among the training classes ({})",
                        classes.join(", ")
                    ),
                ));
            };
            let part = Some(part);
            list.push(ClassFolder { path, class, part });
        }
    }
    Ok(Folders {
        classes,
        list,
        given: true,
    })
}

/// The class folders of `dir`; a file there is an error, as is a folder without classes.
fn class_folders(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for e in entries(dir)? {
        match e.kind {
            Kind::Dir => out.push((e.name, e.path)),
            Kind::File => {
                return Err(layout_error(
                    &e.path,
                    "a file where class folders are expected: put each image in its class's \
                     folder (DIR/<class>/<file>)",
                ))
            }
            Kind::Broken => {
                let why = broken_link(&e.path).unwrap_or_else(|| "broken symbolic link".into());
                return Err(layout_error(
                    &e.path,
                    format!("a {why} where class folders are expected: remove it or mend it"),
                ));
            }
        }
    }
    if out.is_empty() {
        return Err(layout_error(dir, "no class folders in this folder"));
    }
    Ok(out)
}

/// `path` relative to `root`, `/`-separated.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
