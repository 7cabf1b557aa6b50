//! The chapter's own Python loops for `compare bench --python`: Route 1's NumPy MLP
//! (`scripts/chapter_route1.py`, the chapter's code line for line) and Route 2's PyTorch loop
//! (`scripts/bench_python.py`), each run as a child process of the project's Python (`.venv`,
//! installed by `scripts/libtorch.sh`), between our own runs of the same workload, so that a
//! ratio compares measurements taken seconds apart. The scripts time their training steps
//! themselves and print one JSON line; the whole-process case is timed here, from spawn to
//! exit, for the Python script and our `scratch train` alike.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::config::Config;
use common::{Error, Result};

/// The workspace root (where `scripts/` and `.venv` are), as built.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A script of the workspace's `scripts/` folder.
fn script(name: &str) -> PathBuf {
    workspace().join("scripts").join(name)
}

/// The project's Python: `$TWIN_NETS_VENV/bin/python`, else `<workspace>/.venv/bin/python`;
/// an error saying how to install it when it is missing.
pub fn python() -> Result<PathBuf> {
    let venv = std::env::var_os("TWIN_NETS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".venv"));
    let py = venv.join("bin").join("python");
    if py.exists() {
        Ok(py)
    } else {
        Err(Error::Other(format!(
            "bench --python: no Python at {}; install the project's .venv with `make setup` \
             (scripts/libtorch.sh installs PyTorch and NumPy there)",
            py.display()
        )))
    }
}

/// The arguments (script first) of the chapter's Python loop that trains what `cfg` trains:
/// Route 1's NumPy script for a `route == 1` workload, Route 2's PyTorch loop (case `case`)
/// otherwise; `--time-steps`/`--json` make them print their step-loop rate as JSON.
pub fn loop_args(route: u8, case: char, cfg: &Config, n_train: usize) -> Vec<String> {
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    if route == 1 {
        let mut args = vec![script("chapter_route1.py").display().to_string()];
        args.extend(strings(&["--time-steps", "--quiet"]));
        args.extend(route1_flags(cfg));
        args
    } else {
        let mut args = vec![script("bench_python.py").display().to_string()];
        let case = case.to_string();
        let rows = n_train.to_string();
        args.extend(strings(&[
            "--json", "--reps", "1", "--case", &case, "--rows", &rows,
        ]));
        args
    }
}

/// `chapter_route1.py`'s flags for `cfg` (rows before the split, epochs, width, noise
/// features, batch size, learning rate, seed).
pub fn route1_flags(cfg: &Config) -> Vec<String> {
    let hidden = cfg.model.hidden.first().copied().unwrap_or(32);
    [
        ("--n", cfg.data.n.to_string()),
        ("--epochs", cfg.train.epochs.to_string()),
        ("--hidden", hidden.to_string()),
        ("--dim", cfg.data.dim.to_string()),
        ("--batch-size", cfg.train.batch_size.to_string()),
        ("--lr", cfg.optim.lr.to_string()),
        ("--seed", cfg.seed.to_string()),
    ]
    .into_iter()
    .flat_map(|(k, v)| [k.to_string(), v])
    .collect()
}

/// Runs `py args…` to completion; its stdout, or an error with its stderr.
fn output(py: &Path, args: &[String]) -> Result<String> {
    let out = Command::new(py)
        .args(args)
        .output()
        .map_err(|e| Error::io(py, e))?;
    if !out.status.success() {
        return Err(Error::Other(format!(
            "bench --python: `{} {}` failed ({}): {}",
            py.display(),
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The training samples per second that a script reports on its last JSON line.
pub fn samples_per_s(py: &Path, args: &[String]) -> Result<f64> {
    let stdout = output(py, args)?;
    let last = stdout.lines().rev().find(|l| l.starts_with('{'));
    last.and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .and_then(|v| v.get("samples_per_s")?.as_f64())
        .ok_or_else(|| {
            Error::Other(format!(
                "bench --python: `{}` printed no samples_per_s JSON line:\n{stdout}",
                args.join(" ")
            ))
        })
}

/// Wall-clock seconds of one whole process, from spawn to exit (its output is discarded, and
/// a failure is an error naming the command and its stderr).
pub fn process_seconds(program: &Path, args: &[String]) -> Result<f64> {
    let start = Instant::now();
    output(program, args)?;
    Ok(start.elapsed().as_secs_f64())
}

/// Python's and NumPy's versions, for the table's heading.
pub fn versions(py: &Path) -> Result<String> {
    let code = "import numpy, torch, platform; \
                print(f'Python {platform.python_version()}, NumPy {numpy.__version__}, PyTorch {torch.__version__}')";
    let args = ["-c".to_string(), code.to_string()];
    Ok(output(py, &args)?.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route1_flags_are_the_chapter_defaults_for_the_chapter_run() {
        let flags = route1_flags(&Config::default()).join(" ");
        assert_eq!(
            flags,
            "--n 2000 --epochs 20 --hidden 32 --dim 0 --batch-size 64 --lr 0.5 --seed 42"
        );
    }

    #[test]
    fn the_scripts_exist() {
        for name in ["chapter_route1.py", "bench_python.py"] {
            assert!(script(name).exists(), "{}", script(name).display());
        }
    }
}
