//! Black-box tests of `scratch sweep` on the shipped penguins config: run folders and
//! summaries; a rerun skips finished runs; a sweep killed half-way (with its children) and
//! rerun, and two shards plus `--summarize`, give the same `summary.md` as one uninterrupted
//! process; a second sweep on a busy folder is refused, and so is a rerun after the config file
//! changed; folds partition train+val with a fixed
//! test split; bad input fails before training; the scikit-learn baseline runs on the
//! recorded splits.

mod cli_support;
mod sweep_sklearn;
use cli_support::*;
use sweep_sklearn::sklearn_baseline;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The sweep of these tests: 2 learning rates × 3 seeds of penguins, 30 epochs each.
const SWEEP: [&str; 14] = [
    "sweep",
    "--config",
    "configs/penguins.toml",
    "--set",
    "train.epochs=30",
    // Every epoch saved, so that a killed run has something to resume.
    "--set",
    "train.save_interval_s=0",
    "--grid",
    "optim.lr=0.01,0.003",
    "--seeds",
    "1..3",
    "--jobs",
    "2",
    "--out",
];

fn sweep(dir: &Path, out: &str, extra: &[&str]) -> (bool, String, String) {
    let mut args: Vec<&str> = SWEEP.to_vec();
    args.push(out);
    args.extend_from_slice(extra);
    run(dir, &args)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn done_runs(out: &Path) -> usize {
    std::fs::read_dir(out.join(".done")).map_or(0, |d| d.count())
}

#[test]
fn kill_rerun_and_shards_give_the_summary_of_one_process() {
    let dir = workdir();
    let d = dir.path();
    let (ok, _, err) = sweep(d, "one", &[]);
    assert!(ok, "{err}");
    let one = read(&d.join("one/summary.md"));
    assert_eq!(one.matches("| optim.lr=").count(), 4, "{one}");
    for f in ["summary.csv", "summary.svg", "sweep.json"] {
        assert!(d.join("one").join(f).is_file(), "missing {f}");
    }
    assert_eq!(read(&d.join("one/summary.csv")).lines().count(), 7);
    let run = d.join("one/p1-lr=0.003-seed2");
    assert!(read(&run.join("config.toml")).contains("lr = 0.003"));
    assert!(run.join("split.json").is_file() && run.join("test_metrics.json").is_file());

    // A rerun trains nothing and writes the same summary.
    let before = read(&run.join("history.csv"));
    let (ok, _, err) = sweep(d, "one", &[]);
    assert!(ok && err.contains("6 already done"), "{err}");
    assert_eq!(read(&d.join("one/summary.md")), one);
    assert_eq!(
        read(&run.join("history.csv")),
        before,
        "a finished run is not retrained"
    );

    killed_then_rerun(d, &one);
    shards_then_summarize(d, &one);
    sklearn_baseline(d);
}

/// Runs (not done) of the sweep folder `out` that have saved an epoch: what a rerun resumes.
fn partly_trained(out: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(out) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| {
            out.join(name).join("last.safetensors").is_file()
                && !out.join(".done").join(name).exists()
        })
        .collect()
}

/// `summary.csv` without its two timing columns (seconds, wall), metrics at full precision.
fn summary_numbers(dir: &Path) -> Vec<String> {
    read(&dir.join("summary.csv"))
        .lines()
        .map(|l| l.rsplitn(3, ',').nth(2).unwrap_or(l).to_string())
        .collect()
}

/// Starts a sweep, refuses a second one on the same folder, kills the first (and its
/// children) once two runs are done and another has saved epochs but not finished, and reruns
/// it: the rerun resumes that run (its log's command line says `--resume`) and the summary's
/// numbers equal the uninterrupted sweep's at full precision. The kill waits for that state,
/// not for a time; a sweep that finishes first (a very fast machine) is tried again in a new
/// folder, and a state never reached within 120 s is a failure, not a pass.
fn killed_then_rerun(d: &Path, one: &str) {
    use std::os::unix::process::CommandExt;
    for attempt in 0..3 {
        let name = format!("killed{attempt}");
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("scratch"));
        let mut args: Vec<&str> = SWEEP.to_vec();
        args.push(&name);
        cmd.args(&args)
            .current_dir(d)
            .stderr(Stdio::null())
            .process_group(0);
        let mut child = cmd.spawn().unwrap();
        let out = d.join(&name);
        let start = Instant::now();
        // While it runs, a second sweep on the folder is refused (checked once its lock is
        // taken, before the kill, so that the check's own time cannot let runs finish). The
        // lock is taken once the file names its pid: the file exists a moment before that.
        let lock = out.join(".lock-shard-1-of-1");
        let taken = || std::fs::read_to_string(&lock).is_ok_and(|t| !t.trim().is_empty());
        while !taken() && child.try_wait().unwrap().is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "no lock in 120 s"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        if child.try_wait().unwrap().is_none() {
            let line =
                assert_clean_error(d, &[&args[..], &[] as &[&str]].concat(), "another sweep");
            assert!(line.contains(".lock-shard-1-of-1"), "{line}");
        }
        let mut finished = false;
        while done_runs(&out) < 2 || partly_trained(&out).is_empty() {
            if child.try_wait().unwrap().is_some() {
                finished = true;
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "the sweep reached no killable state in 120 s ({} runs done)",
                done_runs(&out)
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        if finished {
            continue; // the whole sweep ran between two polls: try again
        }
        let pgid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL).unwrap();
        child.wait().unwrap();
        let left = done_runs(&out);
        let resumable = partly_trained(&out);
        if resumable.is_empty() || left >= 6 {
            continue; // the partly trained run finished between the poll and the kill
        }
        assert!(left >= 2, "killed half-way: {left} of 6 runs done");
        let (ok, _, err) = sweep(d, &name, &[]);
        assert!(ok, "{err}");
        for run in &resumable {
            let log = read(&out.join("logs").join(format!("{run}.log")));
            let first = log.lines().next().unwrap_or("");
            assert!(
                first.contains(" --resume "),
                "{run} was not resumed: {first}"
            );
        }
        assert_eq!(
            read(&out.join("summary.md")),
            one,
            "killed and rerun ≠ uninterrupted"
        );
        assert_eq!(
            summary_numbers(&out),
            summary_numbers(&d.join("one")),
            "summary.csv at full precision"
        );
        return;
    }
    panic!("three sweeps finished before they could be killed half-way");
}

/// Two shards at once into one folder, then `--summarize`.
fn shards_then_summarize(d: &Path, one: &str) {
    let shard = |i: &'static str| {
        let dir = d.to_path_buf();
        std::thread::spawn(move || sweep(&dir, "sharded", &["--shard", i]))
    };
    let (a, b) = (shard("1/2"), shard("2/2"));
    for (ok, _, err) in [a.join().unwrap(), b.join().unwrap()] {
        assert!(ok && err.contains("sweep --summarize"), "{err}");
    }
    assert!(
        !d.join("sharded/summary.md").exists(),
        "a shard does not summarize"
    );
    let (ok, _, err) = run(d, &["sweep", "--summarize", "sharded"]);
    assert!(ok, "{err}");
    assert_eq!(
        read(&d.join("sharded/summary.md")),
        one,
        "shards ≠ one process"
    );
    // Summarizing a folder with a missing run says so.
    std::fs::remove_file(d.join("sharded/.done/p0-lr=0.01-seed1")).unwrap();
    assert_clean_error(d, &["sweep", "--summarize", "sharded"], "1 of 6 runs");
}

#[test]
fn folds_partition_train_val_and_keep_the_test_rows() {
    let dir = workdir();
    let d = dir.path();
    let args = [
        "sweep",
        "--config",
        "configs/penguins.toml",
        "--set",
        "train.epochs=2",
        "--folds",
        "4",
        "--jobs",
        "2",
        "--out",
        "cv",
    ];
    let (ok, _, err) = run(d, &args);
    assert!(ok, "{err}");
    let split = |f: usize| -> serde_json::Value {
        serde_json::from_str(&read(&d.join(format!("cv/p0-seed7-fold{f}/split.json")))).unwrap()
    };
    let rows = |v: &serde_json::Value, k: &str| -> Vec<u64> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect()
    };
    let first = split(0);
    let mut vals = Vec::new();
    for f in 0..4 {
        let s = split(f);
        assert_eq!(
            (s["fold"].as_u64(), s["folds"].as_u64()),
            (Some(f as u64), Some(4))
        );
        assert_eq!(
            rows(&s, "test"),
            rows(&first, "test"),
            "the test rows are fixed"
        );
        vals.extend(rows(&s, "val"));
    }
    let mut pool: Vec<u64> = [rows(&first, "train"), rows(&first, "val")].concat();
    pool.sort_unstable();
    vals.sort_unstable();
    assert_eq!(vals, pool, "the 4 validation sets partition train+val");
    let config = read(&d.join("cv/p0-seed7-fold3/config.toml"));
    assert!(
        config.contains("folds = 4") && config.contains("fold = 3"),
        "{config}"
    );
}

#[test]
fn bad_input_fails_before_any_training() {
    let dir = workdir();
    let d = dir.path();
    let base = ["sweep", "--config", "configs/penguins.toml", "--out", "bad"];
    for (extra, needle) in [
        (&["--grid", "optim.lrr=0.1,0.2"][..], "optim.lrr"),
        (&["--grid", "optim.lr="], "empty value list"),
        (&["--grid", "optim.lr=0.1,,0.2"], "value 2 is empty"),
        (&["--seeds", "5..1"], "range is empty"),
        (&["--shard", "3/2"], "--shard '3/2'"),
        (&["--folds", "1"], "at least 2 folds"),
        (&["--jobs", "0"], "--jobs 0"),
        (&["--grid", "seed=1,2"], "--seeds"),
    ] {
        assert_clean_error(d, &[&base[..], extra].concat(), needle);
        assert!(!d.join("bad").exists(), "{extra:?} created the folder");
    }
    // A folder holding another sweep is refused.
    let (ok, _, err) = run(d, &[&base[..], &["--set", "train.epochs=1"]].concat());
    assert!(ok, "{err}");
    let args = [&base[..], &["--set", "train.epochs=2"]].concat();
    assert_clean_error(d, &args, "holds another sweep");
    // The config file edited after its runs were trained: a rerun would skip them and summarize
    // two configs as one, so it is refused, naming the run and the key.
    let rerun = [&base[..], &["--set", "train.epochs=1"]].concat();
    let toml = d.join("configs/penguins.toml");
    let text = read(&toml);
    std::fs::write(&toml, text.replace("dropout = 0.1", "dropout = 0.2")).unwrap();
    let line = assert_clean_error(d, &rerun, "was trained with model.dropout = 0.1");
    assert!(line.contains("now gives 0.2"), "{line}");
    std::fs::write(&toml, text).unwrap();
    let (ok, _, err) = run(d, &rerun);
    assert!(ok && err.contains("1 already done"), "{err}");
}
