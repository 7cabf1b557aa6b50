//! A closed pipe never costs a run (`common::console`): `train … | head -1` closes standard
//! output after the first line (and here standard error too, at once); the run still trains
//! every epoch, writes every file of its folder and exits 0, as it would have.

use super::{repo, strings};
use std::io::BufRead;
use std::process::{Command, Stdio};

/// `bin train` on penguins with both output streams closed early.
pub fn a_closed_pipe_costs_nothing(bin: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let mut args = strings(&[
        "train",
        "-c",
        "configs/penguins.toml",
        "--set",
        "train.epochs=12",
        "--out",
    ]);
    args.push(out.display().to_string());
    let mut child = Command::new(bin)
        .args(&args)
        .current_dir(repo())
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    drop(child.stderr.take());
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("a first line");
    // The reader is gone: every later line meets a closed pipe.
    let status = child.wait().expect("wait");
    assert!(
        status.success(),
        "{bin}: exit {status:?} after the pipe closed (first line: {first})"
    );
    for f in [
        "best.safetensors",
        "last.safetensors",
        "test_metrics.json",
        "split.json",
        "curves.svg",
    ] {
        assert!(
            out.join(f).is_file(),
            "{bin}: {f} missing after the pipe closed"
        );
    }
    let history = std::fs::read_to_string(out.join("history.csv")).unwrap();
    assert_eq!(
        history.lines().count(),
        13,
        "{bin}: every epoch trained: {history}"
    );
}
