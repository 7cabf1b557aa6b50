//! Checks made before training starts, so that a run that cannot save its work fails at once
//! with a clear message instead of after the first (or the hundredth) epoch: the run folder
//! must be a folder we can create and write in, and its disk must have room for the
//! checkpoints and the history.

use std::io::Write;
use std::path::Path;

use crate::config::Config;
use crate::spec::ModelSpec;
use crate::{Error, Result};

/// An `Error::Io` on the run folder whose message says what to do.
fn folder_error(out: &Path, kind: std::io::ErrorKind, msg: String) -> Error {
    let source = std::io::Error::new(kind, format!("{msg}; choose another folder with --out"));
    Error::io(out, source)
}

/// Makes sure `out` is a folder this process can write in: creates it (and its parents) if
/// needed, then writes and deletes a small probe file (no fsync: room on the disk is
/// checked by [`check_free_space`], and a sync would cost a tiny run a journal commit). Returns true when the folder was
/// created here (so that a run failing before it writes anything can remove it again).
pub(super) fn check_writable(out: &Path) -> Result<bool> {
    if out.exists() && !out.is_dir() {
        let msg = "exists and is not a folder".to_string();
        return Err(folder_error(out, std::io::ErrorKind::AlreadyExists, msg));
    }
    let created = !out.exists();
    std::fs::create_dir_all(out)
        .map_err(|e| folder_error(out, e.kind(), format!("cannot create the run folder ({e})")))?;
    let probe = out.join(format!(".twin-nets-write-test-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|mut f| f.write_all(b"twin-nets checks that the run folder is writable\n"));
    let _ = std::fs::remove_file(&probe);
    written.map_err(|e| {
        folder_error(
            out,
            e.kind(),
            format!("the run folder is not writable ({e})"),
        )
    })?;
    Ok(created)
}

/// A generous estimate of the bytes a run of `spec` writes at its peak: three checkpoints
/// (best, last and the temporary copy of an atomic write), each with every parameter in f64
/// and two optimizer buffers (Adam's moments) plus the metadata, and two copies of the
/// history (about 200 bytes per epoch).
pub fn run_disk_estimate(spec: &ModelSpec, cfg: &Config) -> u64 {
    let tensors = (spec.n_params() as u64).saturating_mul(8 * 3);
    let meta = (cfg.to_toml().len() as u64).saturating_add(64 << 10);
    let checkpoint = tensors.saturating_add(meta);
    let history = (cfg.train.epochs as u64).saturating_mul(200 * 2);
    checkpoint.saturating_mul(3).saturating_add(history)
}

/// Refuses to start when the disk of `out` has less free space than [`run_disk_estimate`].
/// (Only on Unix, where `statvfs` tells; elsewhere a full disk is reported when it happens.)
pub(super) fn check_free_space(out: &Path, spec: &ModelSpec, cfg: &Config) -> Result<()> {
    let need = run_disk_estimate(spec, cfg);
    let Some(free) = free_bytes(out) else {
        return Ok(());
    };
    if free >= need {
        return Ok(());
    }
    let msg = format!(
        "its disk has {} free, but this run needs about {} for its checkpoints and history \
         ({} parameters, {} epochs): free some space",
        mb(free),
        mb(need),
        spec.n_params(),
        cfg.train.epochs
    );
    Err(folder_error(out, std::io::ErrorKind::Other, msg))
}

/// `12.3 MB`.
fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Free bytes for an unprivileged user on the file system holding `dir`.
#[cfg(unix)]
fn free_bytes(dir: &Path) -> Option<u64> {
    let st = nix::sys::statvfs::statvfs(dir).ok()?;
    #[allow(clippy::useless_conversion)] // the field types differ between platforms
    let (blocks, size) = (
        u64::from(st.blocks_available()),
        u64::from(st.fragment_size()),
    );
    Some(blocks.saturating_mul(size))
}

#[cfg(not(unix))]
fn free_bytes(_dir: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_not_a_run_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("taken");
        std::fs::write(&file, "x").unwrap();
        let msg = check_writable(&file).unwrap_err().to_string();
        assert!(
            msg.contains("taken") && msg.contains("not a folder") && msg.contains("--out"),
            "{msg}"
        );
        let msg = check_writable(&file.join("run")).unwrap_err().to_string();
        assert!(msg.contains("cannot create the run folder"), "{msg}");
    }

    #[test]
    fn a_writable_folder_passes_and_keeps_no_probe() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a/b");
        assert!(check_writable(&out).unwrap(), "created");
        assert!(!check_writable(&out).unwrap(), "already there");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
    }

    #[test]
    fn the_estimate_grows_with_parameters_and_epochs() {
        let cfg = Config::default();
        let small = ModelSpec::from_config(&cfg, 2, None, 2).unwrap();
        let mut wide = cfg.clone();
        wide.model.hidden = vec![10_000];
        let big = ModelSpec::from_config(&wide, 2, None, 2).unwrap();
        let (a, b) = (
            run_disk_estimate(&small, &cfg),
            run_disk_estimate(&big, &cfg),
        );
        assert!(a > 3 * 64 * 1024 && b > a + 3 * 24 * 30_000, "{a} {b}");
        let mut long = cfg.clone();
        long.train.epochs = 1000;
        // 980 more epochs of history, and a config text two digits longer.
        let more = run_disk_estimate(&small, &long) - a;
        assert!((980 * 400..980 * 400 + 16).contains(&more), "{more}");
        assert!(check_free_space(Path::new("."), &small, &cfg).is_ok());
    }
}
