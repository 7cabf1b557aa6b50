//! What the loop leaves on disk after each epoch, and what it says when it cannot: the
//! checkpoint files (the chapter's `save_checkpoint`), a write that failed because the disk is
//! full, and the resume hint of an interrupted run.
//!
//! Every file goes through `write_atomic`, in the order history → last → best, so that after a
//! crash at any moment `last.safetensors` holds an epoch that the history also records (the
//! history may be up to one save interval ahead; resuming trims it) and `best.safetensors`
//! none later than `last`'s (it may lag one improvement behind; resuming repairs it).
//! `fit::pending` orders the commits of a save that holds several epochs.

use std::path::{Path, PathBuf};

use super::run_dir::{BEST_FILE, HISTORY_FILE, LAST_FILE};
use super::{Backend, Run};
use crate::checkpoint::{Checkpoint, CheckpointMeta, TrainState, FORMAT_VERSION};
use crate::tensor::NamedTensors;
use crate::{Error, Result};

/// `ENOSPC`, `EFBIG` and `EDQUOT` (Linux and macOS agree on the first two): a write refused
/// for lack of room rather than for a fault of the file.
fn is_out_of_room(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(28) | Some(27))
        || (cfg!(target_os = "linux") && e.raw_os_error() == Some(122))
}

/// Adds to a failed write of the run folder what happened to the run and how to go on: the
/// files of epoch `saved` (the last one completely written) are intact.
pub(super) fn with_disk_hint(err: Error, out_dir: &Path, saved: usize) -> Error {
    let Error::Io { path, source } = err else {
        return err;
    };
    let room = if is_out_of_room(&source) {
        "the disk is full (or a size or quota limit was reached); "
    } else {
        ""
    };
    let next = if saved > 0 {
        format!(
            "{room}the files of epoch {saved} are intact: fix this, then resume with --resume {}",
            out_dir.join(LAST_FILE).display()
        )
    } else {
        format!("{room}no epoch was saved: fix this, then run the same command again")
    };
    let source = std::io::Error::new(source.kind(), format!("{source}; {next}"));
    Error::Io { path, source }
}

/// The `Error::Interrupted` of a run whose last saved epoch is `done`. `start` is the epoch
/// the run began after (0, or the resumed checkpoint's) and `resumed` that checkpoint: when
/// nothing was saved since, it is still the one to resume from.
pub(super) fn interrupted_error(
    out_dir: &Path,
    done: usize,
    start: usize,
    resumed: Option<&Path>,
) -> Error {
    let from: Option<PathBuf> = if done > start {
        Some(out_dir.join(LAST_FILE))
    } else {
        resumed.map(Path::to_path_buf)
    };
    let resume_hint = match from {
        Some(p) => format!(
            "the checkpoint and {HISTORY_FILE} are saved in {}; to continue, run the same \
             command with --resume {}",
            out_dir.display(),
            p.display()
        ),
        None => "no epoch was completed, so nothing was saved: run the same command again".into(),
    };
    Error::Interrupted {
        epoch: done,
        resume_hint,
    }
}

/// The bytes of `best.safetensors` or `last.safetensors` (which one: `path`'s file name).
pub(super) fn checkpoint_bytes(
    run: &Run<'_>,
    backend: &dyn Backend,
    tensors: &NamedTensors,
    path: &Path,
    value: f64,
    state: &TrainState,
) -> Result<Vec<u8>> {
    let (cfg, data) = (run.cfg, run.data);
    let best = path.file_name().is_some_and(|n| n == BEST_FILE);
    let meta = CheckpointMeta {
        format_version: FORMAT_VERSION,
        backend: backend.name().to_string(),
        kind: if best { "best" } else { "last" }.to_string(),
        config: cfg.clone(),
        spec: run.spec.clone(),
        preprocessing: data.pre.clone(),
        monitor: cfg.train.monitor.clone(),
        monitor_value: value,
        train_state: state.clone(),
        threshold: None,
    };
    Checkpoint {
        tensors: tensors.clone(),
        meta,
    }
    .to_bytes(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_named_with_the_way_back() {
        let full = Error::io(
            "run/last.safetensors.tmp-1",
            std::io::Error::from_raw_os_error(28),
        );
        let msg = with_disk_hint(full, Path::new("run"), 4).to_string();
        for needle in [
            "last.safetensors.tmp-1",
            "disk is full",
            "epoch 4 are intact",
            "--resume run/last.safetensors",
        ] {
            assert!(msg.contains(needle), "{needle}: {msg}");
        }
        let other = Error::io("x", std::io::Error::from_raw_os_error(13));
        let msg = with_disk_hint(other, Path::new("run"), 0).to_string();
        assert!(
            !msg.contains("disk is full") && msg.contains("no epoch was saved"),
            "{msg}"
        );
        let not_io = with_disk_hint(Error::Other("o".into()), Path::new("run"), 1);
        assert_eq!(not_io.to_string(), "o");
    }

    #[test]
    fn the_resume_hint_names_the_right_checkpoint() {
        let hint = |done, start, resumed: Option<&Path>| {
            interrupted_error(Path::new("out"), done, start, resumed).to_string()
        };
        assert!(hint(3, 0, None).contains("--resume out/last.safetensors"));
        assert!(hint(0, 0, None).contains("nothing was saved"));
        let old = Path::new("old/last.safetensors");
        assert!(hint(5, 5, Some(old)).contains("--resume old/last.safetensors"));
        assert!(hint(6, 5, Some(old)).contains("--resume out/last.safetensors"));
        assert!(hint(3, 0, None).starts_with("training interrupted after epoch 3"));
    }
}
