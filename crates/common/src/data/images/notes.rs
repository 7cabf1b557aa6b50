//! The lines an image set's reading prints: files ignored for their extension, symbolic links
//! not followed, bad files skipped; each a count and at most three examples, never a line per
//! file.

use std::path::Path;

use super::ImageSet;

/// `n` and `noun`, plural unless `n` is 1 ("1 file", "2 files").
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The first three of `items` joined by `sep`, after "e.g. " when there are several (the
/// list may be cut).
fn examples(items: &[String], sep: &str) -> String {
    let few = items.iter().take(3).cloned().collect::<Vec<_>>().join(sep);
    match items.len() {
        1 => few,
        _ => format!("e.g. {few}"),
    }
}

/// The note on files ignored for their extension, if any.
pub fn ignored_note(set: &ImageSet) -> Option<String> {
    (!set.ignored.is_empty()).then(|| {
        format!(
            "images: ignored {}: not a supported image extension ({})",
            plural(set.ignored.len(), "file"),
            examples(&set.ignored, ", ")
        )
    })
}

/// The warning on symbolic links not followed (loops, links into another class folder,
/// second paths to what was read), if any: each with its reason, the first three.
pub fn links_warning(set: &ImageSet) -> Option<String> {
    links_warning_in(&set.root, &set.links)
}

/// The warning on the symbolic links `links` (relative path, why) not followed in `root`.
pub fn links_warning_in(root: &Path, links: &[(String, String)]) -> Option<String> {
    let listed = with_reasons(links);
    (!listed.is_empty()).then(|| {
        format!(
            "warning: did not follow {} in {} ({})",
            plural(listed.len(), "symbolic link"),
            root.display(),
            examples(&listed, "; ")
        )
    })
}

/// The warning on bad files left out (`bad_files = "skip"`), if any: how many, `how` (where
/// they are listed, or by which setting), and the first three with their reasons.
pub fn bad_files_warning(set: &ImageSet, how: &str) -> Option<String> {
    let listed = with_reasons(&set.bad);
    (!listed.is_empty()).then(|| {
        format!(
            "warning: skipped {} ({how}): {}",
            plural(listed.len(), "bad file"),
            examples(&listed, "; ")
        )
    })
}

/// `path: why` for each (path, why).
fn with_reasons(items: &[(String, String)]) -> Vec<String> {
    items
        .iter()
        .map(|(path, why)| format!("{path}: {why}"))
        .collect()
}
