//! `kill -9` at random moments of real training processes (the `scratch` binary): after every
//! kill, each file left in the run folder loads with the project's own loaders, the history
//! holds consecutive epochs and `last.safetensors` is its last epoch or the one before;
//! resuming after the kills reaches exactly the weights and history of a run never killed.
//!
//! Each process resumes from the `last.safetensors` its predecessor left (or starts afresh
//! when there is none), so resuming is killed too, and is killed at a moment drawn uniformly
//! over what is left of the run (at least a quarter of a whole run), so the kills hit start-up,
//! data preparation, training steps and every file write; a chain that completes is checked
//! and a new one starts. The seed of the moments is printed; `TWIN_NETS_KILL_SEED` replays
//! one, `TWIN_NETS_KILLS` changes their number (default 30).

mod robust_support;

use nix::sys::signal::Signal;
use rand::{Rng, SeedableRng};
use robust_support::*;
use std::path::Path;
use std::time::{Duration, Instant};

const EPOCHS: usize = 300;

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The next process of a chain in `out`: resume when a last checkpoint exists.
fn next_args(out: &Path) -> Vec<String> {
    let last = out.join("last.safetensors");
    let mut args = train_args(out, EPOCHS, &[]);
    if last.exists() {
        args.extend(["--resume".to_string(), last.display().to_string()]);
    }
    args
}

/// The invariants of a run folder after a kill; returns the epoch to resume from.
fn check_after_kill(out: &Path, kill: usize) -> usize {
    let f = check_folder(out);
    let rows = f.rows.clone().unwrap_or_default();
    assert_eq!(
        rows,
        (1..=rows.len()).collect::<Vec<_>>(),
        "kill {kill}: history epochs {rows:?}"
    );
    if let Some(last) = f.last {
        let k = rows.len();
        assert!(
            last == k || last + 1 == k,
            "kill {kill}: last epoch {last}, history to {k}"
        );
    }
    if let Some(best) = f.best {
        assert!(
            best <= rows.len(),
            "kill {kill}: best epoch {best}, history to {}",
            rows.len()
        );
    }
    f.last.unwrap_or(0)
}

#[test]
fn kill_9_at_random_moments_leaves_only_loadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference");
    let start = Instant::now();
    run_ok(dir.path(), &train_args(&reference, EPOCHS, &[]));
    let span = start.elapsed().as_secs_f64() * 1.1;
    let expected = final_state(&reference);

    let seed = env_or("TWIN_NETS_KILL_SEED", rand::random::<u64>());
    let kills = env_or("TWIN_NETS_KILLS", 30usize);
    println!("kill moments: TWIN_NETS_KILL_SEED={seed}, {kills} kills over {span:.2} s");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (mut chain, mut done, mut completed, mut saved) = (0, 0, 0, 0);
    while done < kills {
        let out = dir.path().join(format!("chain-{chain}"));
        let mut child = spawn(dir.path(), &next_args(&out));
        let left = ((EPOCHS - saved) as f64 / EPOCHS as f64).max(0.25);
        std::thread::sleep(Duration::from_secs_f64(rng.gen_range(0.0..span * left)));
        if child.try_wait().expect("wait").is_none() {
            signal(&child, Signal::SIGKILL);
            let (status, _) = finish(&mut child, Duration::from_secs(30));
            assert!(!status.success(), "killed");
            done += 1;
            saved = check_after_kill(&out, done);
        } else {
            let (status, err) = finish(&mut child, Duration::from_secs(30));
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
            (chain, completed, saved) = (chain + 1, completed + 1, 0);
        }
    }
    // Finish the chain in progress: the kills cost time, never results.
    let out = dir.path().join(format!("chain-{chain}"));
    run_ok(dir.path(), &next_args(&out));
    assert!(
        final_state(&out) == expected,
        "seed {seed}: the last chain differs from the reference"
    );
    assert_eq!(temp_files(&out), Vec::<String>::new());
    println!("{done} kills, {} chains completed", completed + 1);
}
