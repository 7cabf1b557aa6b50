//! A disk that fills up, for real, under the `scratch` binary. Before training, a disk too
//! small for the run's checkpoints is refused with the space needed and free. During training,
//! a failed write names the file and the cause, says which epoch's files are intact and how to
//! resume; everything left loads and the run resumes once there is room.
//!
//! Portable: a file-size limit (`ulimit -f`, with SIGXFSZ ignored so that the write fails with
//! EFBIG as on a full disk) stops the history from growing mid-run. Where this process may
//! mount a small tmpfs (root on Linux, as in CI; elsewhere the test fails unless
//! `TWIN_NETS_ALLOW_SKIP=1`), the same is checked against a real full disk (ENOSPC),
//! filled by another file mid-run, and the pre-flight check against a disk too small.

mod robust_support;

use robust_support::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Checks a run that stopped on a full disk: the error line names the write that failed and
/// the way back, the folder loads, and resuming it (with room again) completes. Returns the
/// epoch the run had saved.
fn check_stopped_then_resume(dir: &Path, out: &Path, err: &str, cause: &str) -> usize {
    assert!(!err.contains("panicked"), "{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("no error line: {err}"));
    let last = out.join("last.safetensors");
    for needle in [
        cause,
        "the disk is full",
        "are intact",
        &format!("--resume {}", last.display()),
    ] {
        assert!(line.contains(needle), "'{needle}' not in: {line}");
    }
    assert!(
        line.contains(&out.display().to_string()),
        "names the file: {line}"
    );
    let f = check_folder(out);
    let rows = f.rows.expect("history kept");
    let saved = f.last.expect("last checkpoint kept");
    // The write that failed may have been a checkpoint's, after the history's of that epoch.
    assert_eq!(
        rows,
        (1..=rows.len()).collect::<Vec<_>>(),
        "consecutive epochs"
    );
    assert!(
        rows.len() == saved || rows.len() == saved + 1,
        "history {rows:?}, last epoch {saved}"
    );
    assert!(
        line.contains(&format!("the files of epoch {saved} are intact")),
        "{line}"
    );
    let more = format!("train.epochs={}", saved + 2);
    let args = [
        train_args(out, saved + 2, &EVERY_EPOCH),
        vec![
            "--set".into(),
            more,
            "--resume".into(),
            last.display().to_string(),
        ],
    ]
    .concat();
    run_ok(dir, &args);
    assert_eq!(check_folder(out).last, Some(saved + 2));
    saved
}

#[test]
fn a_file_size_limit_mid_run_stops_cleanly_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    // 48 KiB: the config and the checkpoints (about 3 kB each) fit, the history outgrows it
    // after about 280 epochs of its ~170 bytes.
    let args: Vec<String> = train_args(&out, 5000, &EVERY_EPOCH);
    let script = "trap '' XFSZ; ulimit -f 48; exec \"$0\" \"$@\"";
    let child = Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_scratch"))
        .args(&args)
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = child;
    let (status, err) = finish(&mut child, Duration::from_secs(120));
    assert_eq!(status.code(), Some(1), "{err}");
    let saved = check_stopped_then_resume(dir.path(), &out, &err, "File too large");
    assert!(
        saved > 100,
        "stopped by the limit, not before: epoch {saved}"
    );
}

/// A tmpfs of `size` mounted on a fresh folder, unmounted on drop; `None` where mounting is
/// not allowed (not root, or no CAP_SYS_ADMIN in this container).
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        if !cfg!(target_os = "linux") {
            return None;
        }
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }
    fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Fills the disk of `dir` with a file until the write fails (ENOSPC).
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 4096];
    while f.write_all(&block).is_ok() {}
    let _ = f.sync_all();
    path
}

#[test]
fn a_real_full_disk_before_and_during_training() {
    let Some(small) = SmallDisk::mount("256k") else {
        cannot_run_here("cannot mount a tmpfs (needs root or CAP_SYS_ADMIN)");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    // Before training: a 4096-unit layer needs about 1.4 MB for its checkpoints.
    let out = small.path().join("wide");
    let line = {
        let args = train_args(&out, 3, &["--set", "model.hidden=[4096]"]);
        let mut child = spawn(work.path(), &args);
        let (status, err) = finish(&mut child, Duration::from_secs(60));
        assert_eq!(status.code(), Some(1), "{err}");
        err.lines()
            .find(|l| l.starts_with("error:"))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line.contains("free") && line.contains("needs about") && line.contains("--out"),
        "{line}"
    );
    assert!(
        !out.exists(),
        "a run refused before training leaves no folder"
    );

    // During training: another file fills the disk after epoch 1 is saved (the pre-flight
    // estimate of 3,000 epochs, about 1.4 MB, fits the 2 MB disk).
    let Some(disk) = SmallDisk::mount("2m") else {
        panic!("mounted one tmpfs but not a second");
    };
    let out = disk.path().join("run");
    let mut child = spawn(work.path(), &train_args(&out, 3000, &EVERY_EPOCH));
    // Two history rows: epoch 1's checkpoints are written (they come before row 2).
    wait_for_rows(&out, 2, &mut child);
    let filler = fill(&disk.path());
    let (status, err) = finish(&mut child, Duration::from_secs(120));
    assert_eq!(status.code(), Some(1), "{err}");
    std::fs::remove_file(filler).unwrap();
    check_stopped_then_resume(work.path(), &out, &err, "No space left on device");
}
