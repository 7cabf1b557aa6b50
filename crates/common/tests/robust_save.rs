//! A save of several epochs held in memory (`train.save_interval_s`) that fails between its
//! renames, as a kill or a power cut would stop it: the folder it leaves must resume exactly.
//! The planted fault is a non-empty folder where `best.safetensors` goes, so that rename
//! fails after the history's and `last`'s. The best epoch (2) is older than the last (4):
//! a `last.safetensors` of epoch 4 written before `best` would name a best epoch whose
//! weights are nowhere on disk, and resuming could not restore it.

mod fit_support;

use common::checkpoint::Checkpoint;
use common::fit::{Backend, EpochCtx, EpochStats, FitOptions, BEST_FILE, HISTORY_FILE, LAST_FILE};
use common::{history, Result};
use fit_support::*;
use std::path::{Path, PathBuf};

/// Gradient descent in epochs 1 and 2, ascent after them, so that epoch 2 stays the best
/// while 3 and 4 are held behind it; with `plant`, that path becomes a non-empty folder while
/// epoch 4 trains (after the run's start-up checks, before the save).
fn worse_after_two(
    inner: SoftmaxReg,
    plant: Option<PathBuf>,
) -> Wrapped<impl FnMut(&mut SoftmaxReg, &[usize], &EpochCtx) -> Result<EpochStats>> {
    let train = move |inner: &mut SoftmaxReg, order: &[usize], ctx: &EpochCtx| {
        if ctx.epoch <= 2 {
            return inner.train_epoch(order, ctx);
        }
        if let (4, Some(path)) = (ctx.epoch, &plant) {
            std::fs::create_dir_all(path.join("occupied")).unwrap();
        }
        let ascent = EpochCtx {
            lr: -ctx.lr,
            ..ctx.clone()
        };
        inner.train_epoch(order, &ascent)
    };
    Wrapped {
        inner,
        name: "test",
        train,
    }
}

fn load(dir: &Path, file: &str) -> Checkpoint {
    Checkpoint::load(&dir.join(file)).unwrap()
}

fn history_without_time(dir: &Path) -> Vec<history::HistoryRow> {
    let mut rows = history::read(&dir.join(HISTORY_FILE)).unwrap();
    rows.iter_mut().for_each(|r| r.seconds = 0.0);
    rows
}

#[test]
fn a_save_that_fails_between_its_renames_leaves_a_folder_that_resumes_exactly() {
    let (data, spec) = (toy_data(48, 3), linear_spec(2, 3));
    let mut cfg = config(4);
    // Instant epochs never reach an hour: all four are saved together at the end.
    cfg.train.save_interval_s = 3600.0;
    let (full, part) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = worse_after_two(SoftmaxReg::new(&data, &cfg, 1), None);
    run_fit(&mut a, &cfg, &spec, &data, &options(full.path())).unwrap();
    let best = load(full.path(), BEST_FILE).meta.train_state;
    assert_eq!((best.epoch, best.best_epoch), (2, 2), "the scenario");
    assert_eq!(load(full.path(), LAST_FILE).meta.train_state.epoch, 4);

    let occupied = part.path().join(BEST_FILE);
    let mut b = worse_after_two(SoftmaxReg::new(&data, &cfg, 1), Some(occupied.clone()));
    let err = run_fit(&mut b, &cfg, &spec, &data, &options(part.path())).unwrap_err();
    assert!(err.to_string().contains(BEST_FILE), "{err}");
    // What the failed save left: a `last` whose best epoch is itself, with the history up to it.
    let s = load(part.path(), LAST_FILE).meta.train_state;
    assert_eq!(
        s.best_epoch, s.epoch,
        "last.safetensors (epoch {}) names best epoch {}, whose weights are not on disk",
        s.epoch, s.best_epoch
    );
    let saved = history::read(&part.path().join(HISTORY_FILE)).unwrap();
    assert!(saved.len() >= s.epoch, "history behind last: {saved:?}");

    // The fault gone, resuming reaches the undisturbed run's files.
    std::fs::remove_dir_all(&occupied).unwrap();
    let mut c = worse_after_two(SoftmaxReg::new(&data, &cfg, 77), None);
    let opts = FitOptions {
        resume: Some(part.path().join(LAST_FILE)),
        ..options(part.path())
    };
    run_fit(&mut c, &cfg, &spec, &data, &opts).unwrap();
    assert_eq!(sorted(a.export().unwrap()), sorted(c.export().unwrap()));
    for file in [LAST_FILE, BEST_FILE] {
        let (x, y) = (load(full.path(), file), load(part.path(), file));
        assert_eq!(x.meta.train_state, y.meta.train_state, "{file}");
        assert_eq!(sorted(x.tensors), sorted(y.tensors), "{file}");
    }
    assert_eq!(
        history_without_time(full.path()),
        history_without_time(part.path())
    );
}
