//! The sweep folder's lock: two processes training the same runs at once must be refused, but
//! the shards of one sweep, on other machines, share the folder by design.
//!
//! So the lock is per shard: `DIR/.lock-shard-I-of-N` (an unsharded sweep is shard 1 of 1). A
//! sweep holds an exclusive kernel lock (`flock`, which NFS maps onto its byte-range locks) on
//! its own file for as long as it runs, and writes `pid host` into it for the messages. A sweep
//! is refused when its own lock is held, or when a lock of a *different* shard count `N` is
//! held (an unsharded sweep and a sharded one would train the same runs); shards `I ≠ J` of the
//! same `N` run disjoint runs and coexist. The kernel, not the file's contents, says whether a
//! lock is held: a killed sweep's file is left behind unlocked and is simply taken, and there
//! is no window between creating the file and writing the pid in which a second sweep could
//! mistake a fresh lock for a stale one (a pid file had that window; CI once caught it). Each
//! sweep locks its own file *before* it looks at the others', so of two sweeps started at the
//! same instant at least one sees the other.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The prefix of every lock file in a sweep folder.
const PREFIX: &str = ".lock-shard-";

/// A held lock; dropping it removes the file, then releases the kernel lock.
#[derive(Debug)]
pub struct SweepLock {
    path: PathBuf,
    /// Holds the kernel lock until dropped (after the file is removed, so that a sweep waiting
    /// on the old file finds it gone and creates a new one).
    _file: File,
}

impl Drop for SweepLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// This machine's name (for the messages: whose pid a lock holds).
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::env::var("HOSTNAME"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Whether the lock file at `path` is held by a running sweep. A file nobody locks (a killed
/// sweep's) is removed on the way.
fn is_held(path: &Path) -> Result<bool> {
    let file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::io(path, e)),
    };
    match file.try_lock() {
        Ok(()) => {
            // Only the file locked here: the path may name a newer sweep's file by now.
            if same_file(&file, path) {
                let _ = std::fs::remove_file(path);
            }
            Ok(false)
        }
        Err(TryLockError::WouldBlock) => Ok(true),
        Err(TryLockError::Error(e)) => Err(Error::io(path, e)),
    }
}

/// Whether `path` still names the file `file` has open.
fn same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    }
}

/// Opens and locks `path`, retrying when the file was removed between the open and the lock
/// (its holder finished): a lock on a removed file would guard nothing. `None` when held.
fn lock_own(path: &Path) -> Result<Option<File>> {
    for _ in 0..100 {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(Error::io(path, e)),
        }
        if same_file(&file, path) {
            return Ok(Some(file));
        }
    }
    Err(Error::Other(format!(
        "{}: the lock file keeps being replaced; is another sweep starting in a loop?",
        path.display()
    )))
}

/// Takes the lock of shard `i` of `n` in `dir` (created if needed), or says who holds it.
pub fn acquire(dir: &Path, (i, n): (usize, usize)) -> Result<SweepLock> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let ours = dir.join(format!("{PREFIX}{i}-of-{n}"));
    let Some(mut file) = lock_own(&ours)? else {
        return Err(held(dir, &ours));
    };
    let text = format!("{} {}\n", std::process::id(), host());
    file.set_len(0)
        .and_then(|()| file.write_all(text.as_bytes()))
        .map_err(|e| Error::io(&ours, e))?;
    let lock = SweepLock {
        path: ours.clone(),
        _file: file,
    };
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let other_n = rest
            .rsplit("-of-")
            .next()
            .and_then(|s| s.parse::<usize>().ok());
        if entry.path() == ours || other_n == Some(n) {
            continue;
        }
        if is_held(&entry.path())? {
            return Err(held(dir, &entry.path()));
        }
    }
    Ok(lock)
}

/// The refusal, naming the holder's pid and host as its file says (when it says).
fn held(dir: &Path, lock: &Path) -> Error {
    let text = std::fs::read_to_string(lock).unwrap_or_default();
    let mut parts = text.split_whitespace();
    let holder = match (parts.next(), parts.next()) {
        (Some(pid), Some(h)) => format!("pid {pid} on {h}"),
        _ => "a process that is starting".to_string(),
    };
    Error::Other(format!(
        "another sweep is writing {} (lock {} held by {holder}); nothing was started. Wait \
         for it to finish",
        dir.display(),
        lock.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_refuses_a_stale_one_is_taken_shards_coexist() {
        let dir = std::env::temp_dir().join(format!("twin-nets-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let lock = acquire(&dir, (1, 1)).unwrap();
        let err = acquire(&dir, (1, 1)).unwrap_err().to_string();
        assert!(err.contains("another sweep"), "{err}");
        assert!(
            acquire(&dir, (1, 2)).is_err(),
            "an unsharded sweep clashes with shards"
        );
        drop(lock);
        let a = acquire(&dir, (1, 2)).unwrap();
        let b = acquire(&dir, (2, 2)).unwrap();
        assert!(acquire(&dir, (2, 2)).is_err());
        drop((a, b));
        // A killed sweep's file (nobody holds its kernel lock): taken over, whatever it says.
        std::fs::write(
            dir.join(".lock-shard-1-of-1"),
            format!("{} {}", u32::MAX - 1, host()),
        )
        .unwrap();
        std::fs::write(dir.join(".lock-shard-2-of-3"), "").unwrap();
        let taken = acquire(&dir, (1, 1)).unwrap();
        assert!(
            !dir.join(".lock-shard-2-of-3").exists(),
            "an unheld lock of another shard count is removed"
        );
        drop(taken);
        // A lock whose holder has not written its pid yet is held all the same: the window in
        // which a pid file looked stale (planted fault: a content-based check passes this).
        let fresh = File::create(dir.join(".lock-shard-1-of-1")).unwrap();
        fresh.try_lock().unwrap();
        let err = acquire(&dir, (1, 1)).unwrap_err().to_string();
        assert!(err.contains("a process that is starting"), "{err}");
        assert!(acquire(&dir, (1, 4)).is_err(), "held whatever it says");
        drop(fresh);
        assert!(acquire(&dir, (1, 1)).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
