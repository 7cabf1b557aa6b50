//! The sweep folder's lock: two processes training the same runs at once must be refused, but
//! the shards of one sweep, on other machines, share the folder by design.
//!
//! So the lock is per shard: `DIR/.lock-shard-I-of-N` (an unsharded sweep is shard 1 of 1),
//! created with `create_new` and holding `pid host`. A sweep is refused when its own lock file
//! is held, or when a lock of a *different* shard count `N` is held (an unsharded sweep and a
//! sharded one would train the same runs); shards `I ≠ J` of the same `N` run disjoint runs
//! and coexist. A lock is stale, and taken over, when it was written on this host by a
//! process that no longer exists (a killed sweep); a lock of another host cannot be checked,
//! so the message says to delete it when that sweep is known to be gone. A global lock would
//! have refused the shards; no lock at all would let a rerun started by mistake next to a
//! running sweep resume the same runs twice.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::checkpoint::atomic::process_alive;
use crate::{Error, Result};

/// The prefix of every lock file in a sweep folder.
const PREFIX: &str = ".lock-shard-";

/// A held lock; dropping it removes the file.
#[derive(Debug)]
pub struct SweepLock {
    path: PathBuf,
}

impl Drop for SweepLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// This machine's name (for telling whose pid a lock holds).
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::env::var("HOSTNAME"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// The holder `(pid, host)` of the lock file at `path`, `None` when it is stale or unreadable.
fn live_holder(path: &Path) -> Option<(u32, String)> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut parts = text.split_whitespace();
    let pid: u32 = parts.next()?.parse().ok()?;
    let h = parts.next().unwrap_or("unknown").to_string();
    if h == host() && !process_alive(pid) {
        return None;
    }
    Some((pid, h))
}

/// Takes the lock of shard `i` of `n` in `dir` (created if needed), or says who holds it.
pub fn acquire(dir: &Path, (i, n): (usize, usize)) -> Result<SweepLock> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let ours = dir.join(format!("{PREFIX}{i}-of-{n}"));
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
        if entry.path() != ours && other_n == Some(n) {
            continue;
        }
        match live_holder(&entry.path()) {
            Some((pid, h)) => return Err(held(dir, &entry.path(), pid, &h)),
            None => {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&ours)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => held(dir, &ours, 0, "another process"),
            _ => Error::io(&ours, e),
        })?;
    writeln!(file, "{} {}", std::process::id(), host()).map_err(|e| Error::io(&ours, e))?;
    Ok(SweepLock { path: ours })
}

fn held(dir: &Path, lock: &Path, pid: u32, host: &str) -> Error {
    Error::Other(format!(
        "another sweep is writing {} (lock {} held by pid {pid} on {host}); nothing was \
         started. Wait for it to finish, or delete the lock file if that sweep is gone",
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
        // A dead pid on this host: stale, taken over.
        std::fs::write(
            dir.join(".lock-shard-1-of-1"),
            format!("{} {}", u32::MAX - 1, host()),
        )
        .unwrap();
        assert!(acquire(&dir, (1, 1)).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
