//! Real signals sent to a real training process (the `scratch` binary): SIGINT (Ctrl-C),
//! SIGTERM and SIGHUP let the current epoch finish, leave its checkpoint and history on disk
//! and exit with status 1 and a message naming the `--resume` checkpoint; resuming from it
//! reaches exactly the weights, optimizer state and history of a run never interrupted. A
//! second Ctrl-C quits at once (status 130) and still leaves only complete files.
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

fn interrupt_then_resume(sig: Signal) {
    let dir = tempfile::tempdir().unwrap();
    let (full, part) = (dir.path().join("full"), dir.path().join("part"));
    let epochs = 600;
    run_ok(dir.path(), &train_args(&full, epochs, &[]));

    let mut child = spawn(dir.path(), &train_args(&part, epochs, &[]));
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
    let args = [train_args(&part, epochs, &[]), resume.to_vec()].concat();
    run_ok(dir.path(), &args);
    assert!(
        final_state(&full) == final_state(&part),
        "{sig}: resumed run differs from the uninterrupted one"
    );
}

#[test]
fn ctrl_c_saves_and_resume_is_exact() {
    interrupt_then_resume(Signal::SIGINT);
}

#[test]
fn sigterm_saves_and_resume_is_exact() {
    interrupt_then_resume(Signal::SIGTERM);
}

#[test]
fn sighup_saves_and_resume_is_exact() {
    interrupt_then_resume(Signal::SIGHUP);
}

#[test]
fn a_second_ctrl_c_quits_at_once_and_leaves_complete_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    // Slow epochs (a wide layer on 16,000 rows, about 0.2 s in a release build and 1 s in a
    // debug one), so that both signals land within epoch 2. Epoch 1 writes its history row,
    // then last, then best (it always improves): once best exists the loop has checked for
    // an interrupt and begun epoch 2.
    let slow = ["--set", "model.hidden=[4096]", "--set", "data.n=20000"];
    let mut child = spawn(dir.path(), &train_args(&out, 50, &slow));
    wait_for_rows(&out, 1, &mut child);
    while !out.join("best.safetensors").exists() {
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(20));
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
