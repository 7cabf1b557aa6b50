//! `kill -9` at random moments of real training processes (the `scratch` binary): after every
//! kill, each file left in the run folder loads with the project's own loaders, the history
//! holds consecutive epochs, `last.safetensors` is no later than its last epoch (a save
//! renames the history first, and may hold a save interval of epochs) and `best.safetensors`
//! is no later than `last`; resuming after the kills reaches exactly the
//! last and best checkpoints and the history of a run never killed.
//!
//! Each process resumes from the `last.safetensors` its predecessor left (or starts afresh
//! when there is none), so resuming is killed too. It is killed after a delay drawn uniformly
//! in [0, 250 ms): about a fifth of the kills land in start-up (process start, data
//! preparation, loading the checkpoint), the rest among training steps and file writes (every
//! epoch rewrites the history and one or two checkpoints). A chain that completes between
//! kills is checked like the last one, and a new chain starts. The seed of the moments is
//! printed; `TWIN_NETS_KILL_SEED` replays one, `TWIN_NETS_KILLS` sets their number (30 on
//! the circle and on the penguins CSV, 6 on the digits CNN, whose run is longer; there the
//! delays are drawn up to the length of an unkilled run, so that kills reach every phase).

mod robust_support;

use nix::sys::signal::Signal;
use rand::{Rng, SeedableRng};
use robust_support::*;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::Duration;

/// Kill delays on the circle are drawn in [0, CIRCLE_DELAY) seconds.
const CIRCLE_DELAY: f64 = 0.25;

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The next process of a chain in `out`: resume when a last checkpoint exists.
fn next_args(case: Case, epochs: usize, out: &Path) -> Vec<String> {
    let last = out.join("last.safetensors");
    let mut args = case.train_args(out, epochs, &[]);
    if last.exists() {
        args.extend(["--resume".to_string(), last.display().to_string()]);
    }
    args
}

/// The invariants of a run folder after a kill.
fn check_after_kill(out: &Path, kill: usize) {
    let f = check_folder(out);
    let rows = f.rows.clone().unwrap_or_default();
    assert_eq!(
        rows,
        (1..=rows.len()).collect::<Vec<_>>(),
        "kill {kill}: history epochs {rows:?}"
    );
    if let Some(last) = f.last {
        let k = rows.len();
        assert!(last <= k, "kill {kill}: last epoch {last}, history to {k}");
    }
    if let Some(best) = f.best {
        let last = f
            .last
            .unwrap_or_else(|| panic!("kill {kill}: a best checkpoint but no last"));
        assert!(
            best <= last,
            "kill {kill}: best epoch {best} after the last one, {last}"
        );
    }
}

/// Kills chains of `case` runs of `epochs` epochs `kills` times (unless `TWIN_NETS_KILLS`
/// says otherwise), each after a delay drawn in [0, `max_delay`) seconds, or in [0, the
/// length of an unkilled run) when `max_delay` is `None`.
fn kill_chains(case: Case, epochs: usize, kills: usize, max_delay: Option<f64>) {
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference");
    let started = std::time::Instant::now();
    run_ok(dir.path(), &case.train_args(&reference, epochs, &[]));
    let max_delay = max_delay.unwrap_or_else(|| started.elapsed().as_secs_f64());
    let expected = final_state(&reference);

    let seed = env_or("TWIN_NETS_KILL_SEED", rand::random::<u64>());
    let kills = env_or("TWIN_NETS_KILLS", kills);
    println!(
        "{}: kill moments TWIN_NETS_KILL_SEED={seed}, {kills} kills in [0, {max_delay:.2} s)",
        case.config
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (mut chain, mut done, mut completed, mut mid_write) = (0, 0, 0, 0);
    while done < kills {
        let out = dir.path().join(format!("chain-{chain}"));
        let mut child = spawn(dir.path(), &next_args(case, epochs, &out));
        std::thread::sleep(Duration::from_secs_f64(rng.gen_range(0.0..max_delay)));
        let running = child.try_wait().expect("wait").is_none();
        if running {
            signal(&child, Signal::SIGKILL);
        }
        let (status, err) = finish(&mut child, Duration::from_secs(300));
        // Killed by the signal, or (rarely) it finished just before the kill landed.
        if status.signal() == Some(Signal::SIGKILL as i32) {
            done += 1;
            check_after_kill(&out, done);
            // A temporary file left behind means the kill landed inside an atomic write.
            mid_write += usize::from(!temp_files(&out).is_empty());
        } else {
            assert!(
                status.success(),
                "seed {seed}: an unkilled run failed: {err}"
            );
            assert!(
                final_state(&out) == expected,
                "seed {seed}: chain {chain} differs from the reference"
            );
            assert_eq!(
                temp_files(&out),
                Vec::<String>::new(),
                "a finished run cleans up"
            );
            (chain, completed) = (chain + 1, completed + 1);
        }
    }
    // Finish the chain in progress: the kills cost time, never results.
    let out = dir.path().join(format!("chain-{chain}"));
    run_ok(dir.path(), &next_args(case, epochs, &out));
    assert!(
        final_state(&out) == expected,
        "seed {seed}: the last chain differs from the reference"
    );
    assert_eq!(temp_files(&out), Vec::<String>::new());
    println!(
        "{}: {done} kills ({mid_write} inside a file write), {} chains completed",
        case.config,
        completed + 1
    );
}

#[test]
fn kill_9_at_random_moments_leaves_only_loadable_files() {
    kill_chains(CIRCLE, 400, 30, Some(CIRCLE_DELAY));
}

#[test]
fn kill_9_on_the_penguins_csv_leaves_only_loadable_files() {
    kill_chains(PENGUINS, 200, 30, None);
}

#[test]
fn kill_9_on_the_digits_cnn_leaves_only_loadable_files() {
    kill_chains(DIGITS_CNN, 3, 6, None);
}
