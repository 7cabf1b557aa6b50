//! The walk inside class folders (`scan.rs` decides the layout and the class folders): files
//! searched recursively and sorted as `sorted(os.walk())` sorts them, with the symbolic links
//! that `ImageFolder` would follow into wrong labels or an endless walk left out and listed
//! (a loop, a way into another class folder, a second path to something read, a link out of
//! the folder `predict` was given). The same walker serves `predict --input FOLDER`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::*;

/// The real paths read so far, across all class folders: what makes a link a loop, a way into
/// another class, or a second path to something read.
pub(super) struct Seen {
    /// The real path of each class folder, in walk order.
    classes: Vec<PathBuf>,
    dirs: HashSet<PathBuf>,
    /// Real path → the relative path it was first read as.
    files: HashMap<PathBuf, String>,
}

impl Seen {
    /// The class folders' real paths; two class folders that are one folder (a link) are an
    /// error, as its images would carry two labels.
    pub(super) fn new(list: &[ClassFolder]) -> Result<Self> {
        let mut classes: Vec<PathBuf> = Vec::with_capacity(list.len());
        for f in list {
            let real = std::fs::canonicalize(&f.path).map_err(|e| io_err(&f.path, e))?;
            if let Some(i) = classes.iter().position(|c| *c == real) {
                return Err(layout_error(
                    &f.path,
                    format!(
                        "the same folder as {} (a symbolic link?): each class folder needs \
                         its own images",
                        list[i].path.display()
                    ),
                ));
            }
            classes.push(real);
        }
        Ok(Seen {
            dirs: classes.iter().cloned().collect(),
            classes,
            files: HashMap::new(),
        })
    }

    /// Why the folder `real` (reached from the folder `parent`, while walking class folder
    /// `own`) is not followed, or `None` to follow it.
    fn refuse_dir(&mut self, real: &Path, parent: &Path, own: usize) -> Option<String> {
        if parent.starts_with(real) {
            return Some(format!(
                "a link loop: it leads back to {}, a folder that contains it",
                real.display()
            ));
        }
        if let Some(other) = self.other_class(own, |c| real.starts_with(c) || c.starts_with(real)) {
            return Some(format!("it leads into another class folder, {other}"));
        }
        (!self.dirs.insert(real.to_path_buf()))
            .then(|| format!("{} is read already, by another path", real.display()))
    }

    /// Why the image file `real` (found as `rel`, a link when `link`) is not read, or `None`.
    fn refuse_file(&mut self, real: PathBuf, rel: &str, link: bool, own: usize) -> Option<String> {
        if link {
            if let Some(other) = self.other_class(own, |c| real.starts_with(c)) {
                return Some(format!(
                    "it leads to a file of another class folder, {other}"
                ));
            }
        }
        match self.files.get(&real) {
            Some(first) => Some(format!("the same file as {first}, read already")),
            None => {
                self.files.insert(real, rel.to_string());
                None
            }
        }
    }

    /// Another class folder than `own` that `hit` holds for, as its real path.
    fn other_class(&self, own: usize, hit: impl Fn(&Path) -> bool) -> Option<String> {
        self.classes
            .iter()
            .enumerate()
            .find(|&(i, c)| i != own && hit(c))
            .map(|(_, c)| c.display().to_string())
    }
}

/// The images under `dir`, for `predict`: the walk of one class folder on `dir`, in the
/// scan's order, and the links it does not follow (relative path, why): a loop, or a second
/// path to something read. Links out of `dir` are followed, as training follows them (a folder
/// of `ln -s` files, a Hugging Face or DVC cache of links into blobs).
pub fn images_under(dir: &Path) -> Result<(Vec<PathBuf>, Links)> {
    let f = ClassFolder {
        path: dir.to_path_buf(),
        class: 0,
        part: None,
    };
    let mut seen = Seen::new(std::slice::from_ref(&f))?;
    let mut out = Scan::default();
    let mut files = walk_class(dir, &f, 0, &mut seen, &mut out)?;
    sort_files(&mut files);
    Ok((files.into_iter().map(|(_, _, p)| p).collect(), out.links))
}

/// The images under the class folder `f` (the `own`-th), as (folder path, name, path), not
/// yet sorted; ignored files and links not followed go to `out`.
pub(super) fn walk_class(
    root: &Path,
    f: &ClassFolder,
    own: usize,
    seen: &mut Seen,
    out: &mut Scan,
) -> Result<Vec<(String, String, PathBuf)>> {
    let real = seen.classes[own].clone();
    let mut walk = ClassWalk {
        root,
        own,
        seen,
        out,
        stack: vec![(f.path.clone(), real, 0)],
        files: Vec::new(),
    };
    // Links wait until the folder's own tree is read, so that a folder or file reached both
    // directly and through a link is read, and named, by its own path.
    let mut links: Vec<Pending> = Vec::new();
    loop {
        if let Some((folder, real, depth)) = walk.stack.pop() {
            if depth > MAX_DEPTH {
                let msg = format!("nested more than {MAX_DEPTH} folders deep");
                return Err(layout_error(&folder, msg));
            }
            let key = folder.to_string_lossy().into_owned();
            for e in entries(&folder)? {
                let (parent, key) = (real.clone(), key.clone());
                let p = Pending {
                    e,
                    parent,
                    key,
                    depth,
                };
                if p.e.link {
                    links.push(p);
                } else {
                    walk.judge(p)?;
                }
            }
        } else if links.is_empty() {
            break;
        } else {
            for p in std::mem::take(&mut links) {
                walk.judge(p)?;
            }
        }
    }
    Ok(walk.files)
}

/// An entry waiting to be judged: it, its folder's real path, its folder's path as text (the
/// sort key) and its folder's depth.
struct Pending {
    e: Entry,
    parent: PathBuf,
    key: String,
    depth: usize,
}

/// The walk of one class folder (the `own`-th).
struct ClassWalk<'a> {
    root: &'a Path,
    own: usize,
    seen: &'a mut Seen,
    out: &'a mut Scan,
    /// Folders to read: (path, real path, depth).
    stack: Vec<(PathBuf, PathBuf, usize)>,
    /// (folder path, name, path): sorted by folder path, then name, as sorted(os.walk()).
    files: Vec<(String, String, PathBuf)>,
}

impl ClassWalk<'_> {
    /// Reads, keeps, ignores or refuses (with the reason in [`Scan::links`]) the entry `p`.
    fn judge(&mut self, p: Pending) -> Result<()> {
        let Pending {
            e,
            parent,
            key,
            depth,
        } = p;
        let rel = relative(self.root, &e.path);
        let refused = match e.kind {
            Kind::Dir => {
                let child = real_path(&e, &parent)?;
                let why = self.seen.refuse_dir(&child, &parent, self.own);
                if why.is_none() {
                    self.stack.push((e.path.clone(), child, depth + 1));
                }
                why
            }
            // Perhaps a folder on a drive not mounted: listed, as a link not followed.
            // (Mended since it was listed: still not read, being no image by its name.)
            Kind::Broken if !has_image_extension(&e.path) => {
                Some(broken_link(&e.path).unwrap_or_else(|| "broken symbolic link".to_string()))
            }
            // Kept, so that the decode names it as a bad file.
            Kind::Broken => None,
            _ if !has_image_extension(&e.path) => {
                self.out.ignored.push(rel);
                return Ok(());
            }
            Kind::File => {
                let real = real_path(&e, &parent)?;
                self.seen.refuse_file(real, &rel, e.link, self.own)
            }
        };
        match refused {
            Some(why) => self.out.links.push((rel, why)),
            None if e.kind != Kind::Dir => self.files.push((key, e.name, e.path)),
            None => {}
        }
        Ok(())
    }
}

/// The real path of `e`, an entry of the folder whose real path is `parent`: a link is
/// resolved, anything else is `parent/name` (no system call).
fn real_path(e: &Entry, parent: &Path) -> Result<PathBuf> {
    if e.link {
        std::fs::canonicalize(&e.path).map_err(|err| io_err(&e.path, err))
    } else {
        Ok(parent.join(&e.os_name))
    }
}

/// Sorts a class folder's `files` as `ImageFolder` does and adds them; none is an error.
pub(super) fn finish_class(
    root: &Path,
    f: &ClassFolder,
    mut files: Vec<(String, String, PathBuf)>,
    out: &mut Scan,
) -> Result<()> {
    if files.is_empty() {
        return Err(layout_error(
            &f.path,
            format!(
                "empty class folder: no image files ({})",
                EXTENSIONS.join(", ")
            ),
        ));
    }
    sort_files(&mut files);
    out.files
        .extend(files.into_iter().map(|(_, _, path)| Found {
            rel: relative(root, &path),
            path,
            class: f.class,
            part: f.part,
        }));
    Ok(())
}

/// Sorts (folder path, name, path) as `sorted(os.walk())` does; the path breaks a tie of two
/// names that differ only in invalid UTF-8.
fn sort_files(files: &mut [(String, String, PathBuf)]) {
    files.sort_by(|a, b| {
        (a.0.as_bytes(), a.1.as_bytes(), &a.2).cmp(&(b.0.as_bytes(), b.1.as_bytes(), &b.2))
    });
}
