//! Atomic file replacement: write a temporary file in the same folder, fsync it, rename it over
//! the target, fsync the folder. A crash at any point leaves either the old file or the new one,
//! never a half-written mix (rename is atomic within one file system, which the shared folder
//! guarantees). [`write_atomic_all`] does the same for several files of one folder with one
//! fsync of the folder.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The temporary name used while writing `path`: `<path>.tmp-<pid>` in the same folder.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!("{TEMP_MARKER}{}", std::process::id()));
    path.with_file_name(name)
}

/// The marker between a file's name and the pid of the process writing it.
const TEMP_MARKER: &str = ".tmp-";

/// Reads a temporary name back: `Some((file name, pid))` for `<file name>.tmp-<pid>` as made
/// by [`temp_path`], whatever the file name; `None` for any other name. This and
/// [`temp_path`] are the one definition of the temporary names: whoever cleans up after a
/// killed writer parses them here.
pub fn parse_temp_name(name: &str) -> Option<(&str, u32)> {
    let at = name.rfind(TEMP_MARKER)?;
    let (base, pid) = (&name[..at], &name[at + TEMP_MARKER.len()..]);
    if base.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((base, pid.parse().ok()?))
}

/// True when process `pid` exists (it may belong to someone else). On Unix a signal-0 probe:
/// only "no such process" means gone; off Unix, only this process is known to be alive.
pub fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        use nix::sys::signal::kill;
        use nix::unistd::Pid;
        match i32::try_from(pid) {
            Ok(raw) if raw > 0 => !matches!(
                kill(Pid::from_raw(raw), None),
                Err(nix::errno::Errno::ESRCH)
            ),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Deletes the temporary files (`<name>.tmp-<pid>`, any name) in `dir` whose writer no longer
/// exists: what a process killed in the middle of [`write_atomic`] leaves behind. Files of
/// live processes (this one included) and every other file are left alone; returns how many
/// were removed.
pub fn remove_stale_temp_files(dir: &Path) -> Result<usize> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let Some((_, pid)) = name.to_str().and_then(parse_temp_name) else {
            continue;
        };
        let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        if is_file && !process_alive(pid) {
            let path = entry.path();
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                // Another cleaner got there first.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
    }
    Ok(removed)
}

/// The folder holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Makes a rename in `dir` durable. Only Unix can open and fsync a folder.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes `bytes` to `path` atomically (temp file + fsync + rename + fsync of the folder),
/// creating missing parent folders. On failure the temporary file is removed and the error
/// names the file involved.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let Some(name) = path.file_name() else {
        let msg = "not a file path (it names no file)";
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, msg),
        ));
    };
    write_atomic_all(parent_dir(path), &[(Path::new(name), bytes)])
}

/// Writes several files of the folder `dir` as one commit: every temporary file is written
/// and fsynced, then each is renamed over its target in the order given, then the folder is
/// fsynced once (one journal commit for the renames instead of one per file). After a crash
/// at any instant each file is its old or its new version, never a mix, and since the renames
/// land in order the files already new are a prefix of `files`. On failure the temporary files
/// not yet renamed are removed and the error names the file involved.
pub fn write_atomic_all(dir: &Path, files: &[(&Path, &[u8])]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut temps: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(files.len());
    let discard = |temps: &[(PathBuf, PathBuf)]| {
        for (tmp, _) in temps {
            let _ = std::fs::remove_file(tmp);
        }
    };
    for (name, bytes) in files {
        let path = dir.join(name);
        let tmp = temp_path(&path);
        let written = File::create(&tmp).and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        });
        temps.push((tmp, path));
        if let Err(e) = written {
            discard(&temps);
            return Err(Error::io(&temps[temps.len() - 1].0, e));
        }
    }
    for (i, (tmp, path)) in temps.iter().enumerate() {
        if let Err(e) = std::fs::rename(tmp, path) {
            discard(&temps[i..]);
            return Err(Error::io(path, e));
        }
    }
    sync_dir(dir).map_err(|e| Error::io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_file_sits_beside_the_target() {
        let tmp = temp_path(Path::new("runs/a/best.safetensors"));
        assert_eq!(tmp.parent(), Some(Path::new("runs/a")));
        let name = tmp
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        assert_eq!(name, format!("best.safetensors.tmp-{}", std::process::id()));
    }

    #[test]
    fn temp_names_parse_back_whatever_the_base_name() {
        let own = temp_path(Path::new("dir/curves.svg"));
        let name = own.file_name().unwrap_or_default().to_string_lossy();
        assert_eq!(
            parse_temp_name(&name),
            Some(("curves.svg", std::process::id()))
        );
        assert_eq!(parse_temp_name("a.tmp-b.tmp-12"), Some(("a.tmp-b", 12)));
        for not_temp in [
            "x.tmp-",
            ".tmp-5",
            "x.tmp-12a",
            "history.csv",
            "x.tmp-99999999999",
        ] {
            assert_eq!(parse_temp_name(not_temp), None, "{not_temp}");
        }
    }

    #[test]
    fn only_dead_writers_temp_files_are_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A pid that existed and is gone: a child that has been waited for.
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let dead = child.id();
        child.wait().expect("wait");
        let names = [
            format!("report.md.tmp-{dead}"),
            format!("anything-new.bin.tmp-{dead}"),
            format!("last.safetensors.tmp-{}", std::process::id()),
            "history.csv".to_string(),
            "notes.tmp-x".to_string(),
        ];
        for n in &names {
            std::fs::write(dir.path().join(n), b"x").expect("write");
        }
        assert_eq!(remove_stale_temp_files(dir.path()).expect("clean"), 2);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut want = names[2..].to_vec();
        want.sort();
        assert_eq!(left, want, "live writers' and ordinary files stay");
    }

    #[test]
    fn replaces_content_and_creates_folders() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x/y/file.txt");
        write_atomic(&path, b"one").expect("first write");
        write_atomic(&path, b"two").expect("second write");
        assert_eq!(std::fs::read(&path).expect("read"), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("x/y"))
            .expect("ls")
            .collect();
        assert_eq!(names.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn a_group_replaces_every_file_in_order_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (Path::new("a.txt"), Path::new("b.txt"));
        write_atomic(&dir.path().join(a), b"old a").expect("first write");
        write_atomic_all(dir.path(), &[(a, b"new a"), (b, b"new b")]).expect("group");
        assert_eq!(std::fs::read(dir.path().join(a)).expect("a"), b"new a");
        assert_eq!(std::fs::read(dir.path().join(b)).expect("b"), b"new b");
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 2);
        // The second target cannot be replaced (a folder): the first is new, no temp is left.
        std::fs::remove_file(dir.path().join(b)).expect("rm");
        std::fs::create_dir_all(dir.path().join("b.txt/inside")).expect("mkdir");
        let err = write_atomic_all(dir.path(), &[(a, b"newer a"), (b, b"newer b")])
            .expect_err("cannot replace a folder");
        assert!(err.to_string().contains("b.txt"), "{err}");
        assert_eq!(std::fs::read(dir.path().join(a)).expect("a"), b"newer a");
        assert!(
            !temp_path(&dir.path().join(b)).exists(),
            "temporary file removed"
        );
    }

    #[test]
    fn failure_names_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        // The target is an existing non-empty folder: rename over it fails.
        let target = dir.path().join("occupied");
        std::fs::create_dir_all(target.join("inside")).expect("mkdir");
        let err = write_atomic(&target, b"data").expect_err("cannot replace a folder");
        assert!(err.to_string().contains("occupied"), "{err}");
        assert!(
            !temp_path(&target).exists(),
            "temporary file removed after failure"
        );
    }
}
