//! Helpers of the `robust_*` tests: the real `scratch` binary started as a child process,
//! signals sent to it with kill(2), and a run folder checked with the project's own loaders
//! (`Config::load`, `history::read`, `Checkpoint::load` + `check_against_spec`).

#![allow(dead_code)] // each test file uses part of it

use common::checkpoint::Checkpoint;
use common::config::Config;
use common::fit::{BEST_FILE, CONFIG_FILE, HISTORY_FILE, LAST_FILE};
use common::history::{self, HistoryRow};
use common::tensor::NamedTensors;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A shipped config (by file stem) with the `--set` overrides that keep its epochs short.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// The file stem in `configs/`.
    pub config: &'static str,
    /// `key=value` overrides.
    pub sets: &'static [&'static str],
    /// The CSV in `data/` that the config reads (its path is made absolute: the tests run
    /// in a temporary folder).
    pub data: Option<&'static str>,
}

/// The chapter's circle run with 320 training rows (an epoch takes a few milliseconds).
pub const CIRCLE: Case = Case {
    config: "circle",
    sets: &["data.n=400"],
    data: None,
};
/// The penguins CSV as shipped (missing values, categoricals, early stopping).
pub const PENGUINS: Case = Case {
    config: "penguins",
    sets: &[],
    data: Some("penguins.csv"),
};
/// The digits CNN as shipped (augmentation, cosine schedule).
pub const DIGITS_CNN: Case = Case {
    config: "digits_cnn",
    sets: &[],
    data: Some("digits.csv"),
};

impl Case {
    /// The config file's absolute path.
    pub fn path(&self) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../configs")
            .join(format!("{}.toml", self.config))
    }
    /// `train` arguments into `out`: `epochs` epochs, quiet, plus `extra`.
    pub fn train_args(&self, out: &Path, epochs: usize, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = vec!["train".into(), "-q".into(), "-c".into()];
        args.push(self.path().display().to_string());
        for s in self.sets {
            args.extend(["--set".to_string(), s.to_string()]);
        }
        if let Some(file) = self.data {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../data")
                .join(file);
            args.extend([
                "--set".to_string(),
                format!("data.path={:?}", path.display().to_string()),
            ]);
        }
        args.extend(["--out".to_string(), out.display().to_string()]);
        args.extend(["--set".to_string(), format!("train.epochs={epochs}")]);
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }
}

/// `train` flags that save every epoch (`train.save_interval_s = 0`): for the tests that
/// watch each epoch's files appear, or need a failing write in the middle of a run.
pub const EVERY_EPOCH: [&str; 2] = ["--set", "train.save_interval_s=0"];

/// The repository's chapter config (synthetic circle data: no files needed).
pub fn circle() -> PathBuf {
    CIRCLE.path()
}

/// `train` arguments for the circle run into `out`: `epochs` epochs of 320 training rows
/// (a few milliseconds each), quiet, plus `extra`.
pub fn train_args(out: &Path, epochs: usize, extra: &[&str]) -> Vec<String> {
    CIRCLE.train_args(out, epochs, extra)
}

/// The variable that lets a case this environment cannot run be skipped, knowingly.
pub const ALLOW_SKIP: &str = "TWIN_NETS_ALLOW_SKIP";

/// A case this environment cannot run: fails the test with `why`, unless `TWIN_NETS_ALLOW_SKIP=1`
/// says to skip it (then a note is printed). A skipped check must not look like a pass.
pub fn cannot_run_here(why: &str) {
    if std::env::var(ALLOW_SKIP).is_ok_and(|v| v == "1") {
        eprintln!("note: skipped ({ALLOW_SKIP}=1): {why}");
        return;
    }
    panic!("{why}; this environment cannot run the case (set {ALLOW_SKIP}=1 to skip it knowingly)");
}

/// The binary, started in `dir` with `args`; stdout discarded, stderr kept for [`finish`].
///
/// The child starts with the default action for SIGINT, SIGTERM and SIGHUP, as from a
/// terminal: tests run in the background of a non-interactive shell (`cargo test &`, `nohup`)
/// inherit SIGINT or SIGHUP ignored, and an ignored signal stays ignored across `exec`, so a
/// signal sent while the binary loads would be lost and the checks would test the shell.
pub fn spawn(dir: &Path, args: &[String]) -> Child {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scratch"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    #[allow(unsafe_code)]
    // SAFETY: the closure only calls sigaction (async-signal-safe) between fork and exec.
    unsafe {
        cmd.pre_exec(default_signal_actions);
    }
    cmd.spawn().expect("start the scratch binary")
}

/// Sets the default action for the signals the tests send (run between fork and exec).
fn default_signal_actions() -> std::io::Result<()> {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet};
    let default = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        #[allow(unsafe_code)]
        // SAFETY: installing the default action runs no handler code.
        unsafe { sigaction(sig, &default) }.map_err(std::io::Error::from)?;
    }
    Ok(())
}

/// Runs the binary to the end; panics with its stderr unless it succeeds.
pub fn run_ok(dir: &Path, args: &[String]) {
    let mut child = spawn(dir, args);
    let (status, err) = finish(&mut child, Duration::from_secs(300));
    assert!(status.success(), "{args:?} failed: {err}");
}

/// Sends `sig` to the child.
pub fn signal(child: &Child, sig: Signal) {
    let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid fits i32"));
    kill(pid, sig).expect("kill(2)");
}

/// Waits for the child to exit (killing it and failing after `limit`); returns its status
/// and stderr.
pub fn finish(child: &mut Child, limit: Duration) -> (ExitStatus, String) {
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the scratch binary did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let mut err = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut err);
    }
    (status, err)
}

/// Polls until the run folder's history has at least `n` rows (every read of an existing
/// history must succeed: it is only ever replaced atomically); returns the row count. Fails
/// if the child exits first or after a minute.
pub fn wait_for_rows(out: &Path, n: usize, child: &mut Child) -> usize {
    let path = out.join(HISTORY_FILE);
    let start = Instant::now();
    loop {
        if path.exists() {
            let rows =
                history::read(&path).unwrap_or_else(|e| panic!("history unreadable mid-run: {e}"));
            if rows.len() >= n {
                return rows.len();
            }
        }
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("the run exited ({status}) before {n} epochs were recorded");
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no progress in a minute"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// What a run folder holds, every file read with the project's loaders.
#[derive(Debug, Default, PartialEq)]
pub struct Folder {
    /// The epochs of the history rows (`None`: no history file).
    pub rows: Option<Vec<usize>>,
    /// The epoch of `last.safetensors`, if present.
    pub last: Option<usize>,
    /// The epoch of `best.safetensors`, if present.
    pub best: Option<usize>,
}

/// Loads every file of a run folder that exists; panics naming any that does not load.
pub fn check_folder(out: &Path) -> Folder {
    let config = out.join(CONFIG_FILE);
    if config.exists() {
        Config::load(&config, &[]).unwrap_or_else(|e| panic!("config.toml does not load: {e}"));
    }
    let path = out.join(HISTORY_FILE);
    let rows = path.exists().then(|| {
        let rows =
            history::read(&path).unwrap_or_else(|e| panic!("history.csv does not load: {e}"));
        rows.iter().map(|r| r.epoch).collect()
    });
    let epoch = |file: &str| {
        let p = out.join(file);
        p.exists().then(|| {
            let ck = Checkpoint::load(&p).unwrap_or_else(|e| panic!("{file} does not load: {e}"));
            ck.check_against_spec(&p)
                .unwrap_or_else(|e| panic!("{file} does not fit its spec: {e}"));
            ck.meta.train_state.epoch
        })
    };
    Folder {
        rows,
        last: epoch(LAST_FILE),
        best: epoch(BEST_FILE),
    }
}

/// The final state of a finished run: `last.safetensors`'s and `best.safetensors`'s tensors
/// (weights and optimizer state, sorted by name) and epochs, and the history without its
/// wall-clock column.
#[derive(Debug, PartialEq)]
pub struct End {
    /// `last.safetensors`: epoch and tensors.
    pub last: (usize, NamedTensors),
    /// `best.safetensors`: epoch and tensors.
    pub best: (usize, NamedTensors),
    /// The history, `seconds` zeroed.
    pub rows: Vec<HistoryRow>,
}

/// The [`End`] of the run in `out`.
pub fn final_state(out: &Path) -> End {
    let load = |file: &str| {
        let ck = Checkpoint::load(&out.join(file)).unwrap_or_else(|e| panic!("{e}"));
        let mut tensors = ck.tensors;
        tensors.sort_by(|a, b| a.0.cmp(&b.0));
        (ck.meta.train_state.epoch, tensors)
    };
    let mut rows = history::read(&out.join(HISTORY_FILE)).expect("history");
    rows.iter_mut().for_each(|r| r.seconds = 0.0);
    End {
        last: load(LAST_FILE),
        best: load(BEST_FILE),
        rows,
    }
}

/// The `*.tmp-<pid>` files in a folder (left by a killed writer).
pub fn temp_files(out: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(out) else {
        return vec![];
    };
    entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}
