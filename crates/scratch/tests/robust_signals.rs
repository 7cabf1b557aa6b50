//! Real signals sent to a real training process (the `scratch` binary): SIGINT (Ctrl-C),
//! SIGTERM and SIGHUP stop the run within the current step (the partial epoch is dropped),
//! leave the last completed epoch's checkpoint and history on disk and exit with status 1 and
//! a message naming the `--resume` checkpoint; resuming from it reaches exactly the weights,
//! optimizer state and history of a run never interrupted. Tested on the circle, on the
//! penguins CSV and on the digits CNN. A second Ctrl-C quits at once (status 130) and still
//! leaves only complete files. (`config_walk.rs` shows that the stop comes from inside an
//! epoch, not after it.)
//!
//! Each test waits until the history has a row before signalling: by then the handler is
//! installed (it is, before epoch 1), so the test cannot race the process start-up.

mod robust_support;

use nix::sys::signal::Signal;
use robust_support::*;
use std::time::Duration;

/// The epoch number in `training interrupted after epoch N: ...`.
fn interrupted_epoch(line: &str) -> usize {
    let rest = line.split("after epoch ").nth(1).expect("names the epoch");
    rest.split(':')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("an epoch number")
}

fn interrupt_then_resume(sig: Signal, case: Case, epochs: usize) {
    let dir = tempfile::tempdir().unwrap();
    let (full, part) = (dir.path().join("full"), dir.path().join("part"));
    run_ok(dir.path(), &case.train_args(&full, epochs, &[]));

    let mut child = spawn(dir.path(), &case.train_args(&part, epochs, &[]));
    wait_for_rows(&part, 1, &mut child);
    signal(&child, sig);
    let (status, err) = finish(&mut child, Duration::from_secs(60));
    assert_eq!(
        status.code(),
        Some(1),
        "{sig}: exit status {status}, stderr: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("interrupt received"), "{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("error:"))
        .expect("one error line");
    let last = part.join("last.safetensors");
    assert!(
        line.contains(&format!("--resume {}", last.display())),
        "{line}"
    );
    let epoch = interrupted_epoch(line);
    assert!((1..epochs).contains(&epoch), "{line}");
    let folder = check_folder(&part);
    assert_eq!(
        folder.rows,
        Some((1..=epoch).collect()),
        "history of the saved epochs"
    );
    assert_eq!(
        folder.last,
        Some(epoch),
        "the checkpoint of the epoch named"
    );

    let resume = ["--resume".to_string(), last.display().to_string()];
    let args = [case.train_args(&part, epochs, &[]), resume.to_vec()].concat();
    run_ok(dir.path(), &args);
    assert!(
        final_state(&full) == final_state(&part),
        "{sig}: resumed run differs from the uninterrupted one"
    );
}

#[test]
fn ctrl_c_saves_and_resume_is_exact() {
    interrupt_then_resume(Signal::SIGINT, CIRCLE, 600);
}

#[test]
fn sigterm_saves_and_resume_is_exact() {
    interrupt_then_resume(Signal::SIGTERM, CIRCLE, 600);
}

#[test]
fn sighup_saves_and_resume_is_exact() {
    interrupt_then_resume(Signal::SIGHUP, CIRCLE, 600);
}

#[test]
fn sigterm_on_the_penguins_csv_saves_and_resume_is_exact() {
    interrupt_then_resume(Signal::SIGTERM, PENGUINS, 200);
}

#[test]
fn ctrl_c_on_the_digits_cnn_saves_and_resume_is_exact() {
    interrupt_then_resume(Signal::SIGINT, DIGITS_CNN, 3);
}

#[test]
fn a_second_ctrl_c_quits_at_once_and_leaves_complete_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    // Long validations and short training: a wide layer evaluated on 196,000 validation rows
    // (about a second in a debug build) after a few milliseconds of steps on 4,000 training
    // rows. Both signals land in epoch 2's validation, where no step polls the flag: the
    // first asks for a stop, the second quits at once. Epoch 1 writes its history row, then
    // last, then best (it always improves): once best exists epoch 2 has begun.
    let slow = [
        "--set",
        "model.hidden=[4096]",
        "--set",
        "data.n=200000",
        "--set",
        "data.split={ train = 0.02, val = 0.98, test = 0.0 }",
    ];
    let mut child = spawn(dir.path(), &train_args(&out, 50, &slow));
    wait_for_rows(&out, 1, &mut child);
    while !out.join("best.safetensors").exists() {
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(150));
    signal(&child, Signal::SIGINT);
    std::thread::sleep(Duration::from_millis(30));
    signal(&child, Signal::SIGINT);
    let (status, err) = finish(&mut child, Duration::from_secs(60));
    assert_eq!(
        status.code(),
        Some(130),
        "exit status {status}, stderr: {err}"
    );
    assert!(
        err.contains("quitting now") && !err.contains("panicked"),
        "{err}"
    );
    let folder = check_folder(&out);
    let rows = folder.rows.expect("history kept");
    let saved = folder.last.expect("last checkpoint kept");
    assert_eq!(rows, (1..=rows.len()).collect::<Vec<_>>());
    assert!(
        saved == rows.len() || saved + 1 == rows.len(),
        "{rows:?} vs last epoch {saved}"
    );
    // The folder resumes: one more epoch from the saved one.
    let last = out.join("last.safetensors").display().to_string();
    let more = format!("train.epochs={}", saved + 1);
    let args = [
        train_args(&out, 50, &slow),
        vec!["--set".into(), more, "--resume".into(), last],
    ]
    .concat();
    run_ok(dir.path(), &args);
    assert_eq!(check_folder(&out).last, Some(saved + 1));
}
