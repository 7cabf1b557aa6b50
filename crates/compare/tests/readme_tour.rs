//! The README, executed: every ` ```sh ` and ` ```bash ` block of `README.md` runs in bash in
//! a fresh copy of the repository, and each `# you should see: TEXT` line must match a line of
//! what the commands above it (since the previous such line) printed, on standard output or
//! standard error; `…` in TEXT stands for anything. A README that drifts from the code fails
//! `make test`.
//!
//! The commands run as written. In the copy, `target/release/{scratch,torch,compare}` are links
//! to the binaries of this test build (same sources, the test profile), and a `cargo` shell
//! function turns `cargo run --release -p NAME [-- ARGS]` into `target/release/NAME ARGS` and
//! `cargo build --release …` into nothing (the binaries are built). `.venv` is the checkout's
//! (`TWIN_NETS_VENV` too, so `source scripts/libtorch.sh` finds libtorch without installing).
//! Each block gets its own copy, so a block that only works after another one fails here.
//!
//! A line ending in `# not run by the README test: WHY` is left out (with its continuation
//! lines), and such a comment on a line of its own leaves the whole block out. What
//! is left out is listed in [`LEFT_OUT`], so that leaving a line out is a decision: the test
//! fails when the README's list and this one differ.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod tour_support;
use tour_support::{copy_repository, parse, Block};

/// The commands the README marks as not run here (first line of each, as written), and why.
const LEFT_OUT: &[&str] = &[
    // `make run` builds in release mode, and `make test` would run this test again.
    "make run",
    // Minutes of benchmarks on two cores; `crates/compare/tests/cli_bench.rs` runs a smoke bench.
    "cargo run --release -p compare -- bench --python",
    // 80 s of finite differences over 36,000 weights; `gradcheck_models.rs` checks the CNN.
    "target/release/scratch gradcheck --config configs/digits_cnn.toml",
    // SLURM's `sbatch` is not on the test machine; `cli_sweep.rs` runs shards and --summarize.
    "#!/bin/bash",
    "jobid=$(sbatch --parsable sweep.sbatch)",
    // A server that runs until stopped; `tensorboard.rs` queries a real one.
    ".venv/bin/tensorboard --logdir checkpoints/compare-chapter",
    // A ResNet-18 trained at 64×64: minutes; `resnet_pretrained.rs` covers the export.
    ".venv/bin/python scripts/export_torchvision.py resnet18.safetensors",
];

/// One block may take this long before it counts as hung.
const BLOCK_LIMIT: Duration = Duration::from_secs(600);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// The test build's binaries: `compare` is this crate's; `scratch` and `torch` sit beside it
/// when the workspace's tests were built (`make test`, `cargo test --workspace`).
fn binaries() -> PathBuf {
    let compare = PathBuf::from(env!("CARGO_BIN_EXE_compare"));
    let dir = compare.parent().expect("binary folder").to_path_buf();
    for name in ["scratch", "torch"] {
        assert!(
            dir.join(name).is_file(),
            "{} is missing: this test runs the README with the workspace's binaries; build them \
             with `cargo build -p scratch -p torch` or run `make test`",
            dir.join(name).display()
        );
    }
    dir
}

/// Turns `cargo run --release -p NAME [-- ARGS]` into `target/release/NAME ARGS`.
const PRELUDE: &str = r#"exec 2>&1
cargo() {
  if [ "$1 $2 $3" = "run --release -p" ]; then
    local name="$4"; shift 4; [ "${1:-}" = "--" ] && shift
    "target/release/$name" "$@"
  elif [ "$1 $2" = "build --release" ]; then
    :
  else
    echo "README test: unexpected cargo command: cargo $*" >&2; return 2
  fi
}
"#;

/// What went wrong with one block, or `None`.
fn run_block(block: &Block, bins: &Path, venv: &Path) -> Option<String> {
    let work = tempfile::tempdir().expect("temp dir");
    let root = work.path().join("twin-nets");
    copy_repository(&repo(), &root);
    let release = root.join("target/release");
    std::fs::create_dir_all(&release).expect("target/release");
    for name in ["scratch", "torch", "compare"] {
        std::os::unix::fs::symlink(bins.join(name), release.join(name)).expect("link binary");
    }
    std::os::unix::fs::symlink(venv, root.join(".venv")).expect("link .venv");
    // Its own process group, so that a hung block is killed with every process it started
    // (killing bash alone would leave a child holding the output pipe open).
    let mut child = Command::new("bash")
        .process_group(0)
        .args(["-eo", "pipefail", "-c"])
        .arg(format!("{PRELUDE}{}", block.script))
        .current_dir(&root)
        .env("TWIN_NETS_VENV", venv)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start bash");
    let reader = {
        let mut out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut out, &mut text).map(|_| text)
        })
    };
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if start.elapsed() > BLOCK_LIMIT {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = reader.join().expect("reader").unwrap_or_default();
    let tail = |text: &str| -> String {
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(25)..].join("\n")
    };
    match status {
        None => {
            return Some(format!(
                "still running after {BLOCK_LIMIT:?}:\n{}",
                tail(&output)
            ))
        }
        Some(s) if !s.success() => {
            return Some(format!("exited with {s}:\n{}", tail(&output)));
        }
        Some(_) => {}
    }
    block.check(&output)
}

#[test]
fn every_shell_block_of_the_readme_runs_and_prints_what_it_says() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let (blocks, left_out) = parse(&readme);
    eprintln!(
        "README test: {} blocks; left out, as marked:\n  {}",
        blocks.len(),
        left_out.join("\n  ")
    );
    assert_eq!(
        left_out, LEFT_OUT,
        "the README's `# not run by the README test` lines differ from LEFT_OUT"
    );
    let bins = binaries();
    let venv = repo().join(".venv");
    assert!(
        venv.join("bin/python").is_file(),
        "no .venv: run `make test`"
    );
    let mut failures = Vec::new();
    for block in &blocks {
        let start = Instant::now();
        let failure = run_block(block, &bins, &venv);
        eprintln!(
            "README line {}: {} ({:.1} s)",
            block.line,
            if failure.is_none() { "ok" } else { "FAILED" },
            start.elapsed().as_secs_f64()
        );
        if let Some(why) = failure {
            failures.push(format!("README.md line {}: {why}", block.line));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} README blocks fail:\n\n{}",
        failures.len(),
        blocks.len(),
        failures.join("\n\n")
    );
}

/// The checker catches a README that says what the code does not print, and one whose
/// command fails (the planted faults, on a README of two blocks).
#[test]
fn a_block_that_prints_something_else_or_fails_is_reported() {
    let text =
        "```sh\necho 'epoch=020 val_acc=0.9900'\n# you should see: epoch=020 … val_acc=0.9900\n\
                echo other\n# you should see: val_acc=0.99\n```\n\n```sh\nfalse\necho never\n```\n";
    let (blocks, left_out) = parse(text);
    assert!(left_out.is_empty());
    assert_eq!(blocks.len(), 2);
    let bins = binaries();
    let venv = repo().join(".venv");
    let wrong = run_block(&blocks[0], &bins, &venv).expect("a wrong line is caught");
    assert!(
        wrong.contains("val_acc=0.99") && wrong.contains("other"),
        "{wrong}"
    );
    let failed = run_block(&blocks[1], &bins, &venv).expect("a failing command is caught");
    assert!(failed.contains("exited with"), "{failed}");
}
