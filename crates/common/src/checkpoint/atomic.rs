//! Atomic file replacement: write a temporary file in the same folder, fsync it, rename it over
//! the target, fsync the folder. A crash at any point leaves either the old file or the new one,
//! never a half-written mix (rename is atomic within one file system, which the shared folder
//! guarantees).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The temporary name used while writing `path`: `<path>.tmp-<pid>` in the same folder.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
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
    if path.file_name().is_none() {
        let msg = "not a file path (it names no file)";
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, msg),
        ));
    }
    let dir = parent_dir(path);
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = temp_path(path);
    let written = File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(&tmp, e));
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
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
