//! Where a run goes, so that no command replaces an earlier run without being told to.
//!
//! - `--out DIR` names the folder. If DIR already holds a trained run, `train` refuses (the
//!   epoch loop does: see `fit::FitOptions::overwrite`) unless it is resuming that very run
//!   or `--overwrite` is given.
//! - Without `--out`, a run goes to `checkpoints/<backend>-<config stem>`; when that folder
//!   already holds a run, to the first free `…-2`, `…-3`, … (as Lightning's `version_N`),
//!   and the command says so.
//! - `--resume CKPT` without `--out` continues in the checkpoint's own folder.

use std::path::{Path, PathBuf};

use crate::fit::folder_of;

/// How many numbered siblings are tried before giving up on finding a free default folder.
const MAX_VERSIONS: usize = 10_000;

/// The run folder of a command: `explicit` (`--out`) when given; else the folder of the
/// resumed checkpoint; else `default`, or its first free numbered sibling when `default`
/// already holds something `holds` recognises as a run (and `overwrite` is not set). Returns
/// the folder and whether it differs from what the user would expect (`default` was taken).
pub fn choose_run_folder(
    explicit: Option<&Path>,
    default: &Path,
    resume: Option<&Path>,
    overwrite: bool,
    holds: &dyn Fn(&Path) -> bool,
) -> (PathBuf, bool) {
    if let Some(dir) = explicit {
        return (dir.to_path_buf(), false);
    }
    if let Some(ckpt) = resume {
        return (folder_of(ckpt), false);
    }
    if overwrite || !holds(default) {
        return (default.to_path_buf(), false);
    }
    let name = default
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let name = name.unwrap_or_else(|| "run".into());
    (2..MAX_VERSIONS)
        .map(|v| default.with_file_name(format!("{name}-{v}")))
        .find(|d| !holds(d))
        .map_or_else(|| (default.to_path_buf(), false), |d| (d, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_default_folder_moves_to_the_first_free_number() {
        let taken = ["c/scratch-penguins", "c/scratch-penguins-2"];
        let holds = |p: &Path| taken.iter().any(|t| Path::new(t) == p);
        let default = Path::new("c/scratch-penguins");
        assert_eq!(
            choose_run_folder(None, default, None, false, &holds),
            (PathBuf::from("c/scratch-penguins-3"), true)
        );
        assert_eq!(
            choose_run_folder(None, default, None, true, &holds),
            (default.to_path_buf(), false),
            "--overwrite keeps the default"
        );
        let free = Path::new("c/scratch-moons");
        assert_eq!(
            choose_run_folder(None, free, None, false, &holds),
            (free.to_path_buf(), false)
        );
        assert_eq!(
            choose_run_folder(Some(default), free, None, false, &holds).0,
            default,
            "--out is taken as given (the loop refuses if it holds a run)"
        );
        let ckpt = Path::new("c/scratch-penguins-2/last.safetensors");
        assert_eq!(
            choose_run_folder(None, default, Some(ckpt), false, &holds).0,
            PathBuf::from("c/scratch-penguins-2"),
            "resume continues in the checkpoint's folder"
        );
        assert_eq!(folder_of(Path::new("last.safetensors")), PathBuf::from("."));
    }
}
