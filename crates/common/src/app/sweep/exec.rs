//! Running a sweep's runs: each is an ordinary `train` process of this same binary, `--jobs`
//! at a time. A run whose folder is marked done is skipped; one with a `last.safetensors`
//! resumes from it (the loop resumes exactly, so a killed sweep rerun gives the same numbers);
//! any other folder is started afresh with `--overwrite`. The done mark is `DIR/.done/<run>`,
//! written once the child exits with success; a child that finished but whose mark was lost
//! (the sweep killed in between) is resumed, which trains nothing and rewrites the same files.
//!
//! Children are in the sweep's process group, so Ctrl-C, `kill -- -PGID` and batch schedulers
//! (which signal the whole job) stop them with it. A sweep killed on its own (`kill PID`)
//! leaves its children to finish their current runs: wait for them before rerunning, or the
//! rerun may resume a run they still write. (Linux's parent-death signal would end them, but
//! it needs `pre_exec`, an `unsafe` call this workspace does not allow.)

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::plan::{Manifest, RunPlan};
use crate::checkpoint::write_atomic;
use crate::fit::LAST_FILE;
use crate::{Error, Result};

/// The folder of done marks inside a sweep folder.
pub const DONE_DIR: &str = ".done";
/// The folder of the runs' stderr logs inside a sweep folder.
pub const LOG_DIR: &str = "logs";

/// How the sweep's children are started.
pub struct Launcher {
    /// This binary.
    pub exe: PathBuf,
    /// The global flags given before `sweep` (`--device cuda`, `--f64`), passed on.
    pub global: Vec<String>,
    /// Threads each child may use.
    pub threads: usize,
}

/// The wall seconds recorded in a run's done mark (NaN when unknown).
pub fn wall_seconds(dir: &Path, run: &RunPlan) -> f64 {
    let text = std::fs::read_to_string(dir.join(DONE_DIR).join(&run.name)).unwrap_or_default();
    text.trim().parse().unwrap_or(f64::NAN)
}

/// True when the run is marked done.
pub fn is_done(dir: &Path, run: &RunPlan) -> bool {
    dir.join(DONE_DIR).join(&run.name).exists()
}

/// The `train` command line of `run` (without the binary and global flags).
pub fn train_args(dir: &Path, m: &Manifest, run: &RunPlan) -> Vec<String> {
    let folder = dir.join(&run.name);
    let mut args = vec![
        "train".to_string(),
        "--quiet".into(),
        "--config".into(),
        m.config.clone(),
    ];
    for s in m.sets_of(run) {
        args.push("--set".into());
        args.push(s);
    }
    args.push("--out".into());
    args.push(folder.to_string_lossy().into_owned());
    let last = folder.join(LAST_FILE);
    if last.exists() {
        args.push("--resume".into());
        args.push(last.to_string_lossy().into_owned());
    } else {
        args.push("--overwrite".into());
    }
    args
}

/// Trains one run to the end in a child process, its stderr in `DIR/logs/<run>.log`.
fn run_one(dir: &Path, m: &Manifest, run: &RunPlan, l: &Launcher) -> Result<()> {
    let log_path = dir.join(LOG_DIR).join(format!("{}.log", run.name));
    let mut log = std::fs::File::create(&log_path).map_err(|e| Error::io(&log_path, e))?;
    let t = l.threads.to_string();
    // The log starts with what the child is told: its command line and its share of threads.
    let args = train_args(dir, m, run);
    let line = format!(
        "# {} {} {} ({}={t})\n",
        l.exe.display(),
        l.global.join(" "),
        args.join(" "),
        super::THREADS_ENV
    );
    std::io::Write::write_all(&mut log, line.as_bytes()).map_err(|e| Error::io(&log_path, e))?;
    let started = std::time::Instant::now();
    let status = Command::new(&l.exe)
        .args(&l.global)
        .args(args)
        .env("MATMUL_NUM_THREADS", &t)
        .env("OMP_NUM_THREADS", &t)
        .env(super::THREADS_ENV, &t)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .status()
        .map_err(|e| Error::io(&l.exe, e))?;
    if !status.success() {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(Error::Other(format!(
            "run {} failed ({status}); its log {}:\n{}",
            run.name,
            log_path.display(),
            tail.join("\n")
        )));
    }
    // The mark holds the wall seconds of the process that finished the run (summary.csv).
    let wall = format!("{:.3}\n", started.elapsed().as_secs_f64());
    write_atomic(&dir.join(DONE_DIR).join(&run.name), wall.as_bytes())
}

/// Runs `runs` (skipping the done ones) with `jobs` workers taking them in order. On a failure
/// no new run starts, the running ones finish, and the first error is returned. Returns how
/// many runs were trained.
pub fn run_all(
    dir: &Path,
    m: &Manifest,
    runs: &[RunPlan],
    jobs: usize,
    l: &Launcher,
) -> Result<usize> {
    let todo: Vec<&RunPlan> = runs.iter().filter(|r| !is_done(dir, r)).collect();
    let logs = dir.join(LOG_DIR);
    std::fs::create_dir_all(&logs).map_err(|e| Error::io(&logs, e))?;
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let first_error: Mutex<Option<Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, todo.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= todo.len() || failed.load(Ordering::SeqCst) {
                    break;
                }
                if let Err(e) = run_one(dir, m, todo[i], l) {
                    failed.store(true, Ordering::SeqCst);
                    let mut slot = first_error.lock().unwrap_or_else(|p| p.into_inner());
                    slot.get_or_insert(e);
                }
            });
        }
    });
    match first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        Some(e) => Err(e),
        None => Ok(todo.len()),
    }
}
