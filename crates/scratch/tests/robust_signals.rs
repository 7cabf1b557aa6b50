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
    run_ok(dir.path(), &case.train_args(&full, epochs, &EVERY_EPOCH));

    let mut child = spawn(dir.path(), &case.train_args(&part, epochs, &EVERY_EPOCH));
    wait_for_rows(&part, 1, &mut child);
    signal(&child, sig);
    let (status, err) = finish(&mut child, Duration::from_secs(60));
    assert_eq!(
        status.code(),
        Some(130),
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
    let args = [
        case.train_args(&part, epochs, &EVERY_EPOCH),
        resume.to_vec(),
    ]
    .concat();
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
    // One long step per epoch: 6,000 training rows in a single batch through 2→2048→2048→1
    // (about 150 GFLOP, seconds even in a release build). The step cannot be cut short, so
    // both signals land inside epoch 2's only step, whatever the machine's speed or load: the
    // first asks for a stop at the next step, the second quits at once. Epoch 1 writes its
    // history row, then last, then best (it always improves); epoch 2's step starts right after.
    let slow = [
        "--set",
        "model.hidden=[2048, 2048]",
        "--set",
        "data.n=7500",
        "--set",
        "train.batch_size=6000",
        EVERY_EPOCH[0],
        EVERY_EPOCH[1],
    ];
    let mut child = spawn(dir.path(), &train_args(&out, 50, &slow));
    wait_for_rows(&out, 1, &mut child);
    while !out.join("best.safetensors").exists() {
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(300));
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

/// A labelled CSV of `rows` rows and 8 numeric columns (about 7 MB at 100,000 rows): reading,
/// typing and preparing it takes a while, long enough to be interrupted.
fn big_csv(dir: &std::path::Path, name: &str, rows: usize) -> std::path::PathBuf {
    use std::fmt::Write;
    let mut text = String::from("a,b,c,d,e,f,g,h,y\n");
    for r in 0..rows {
        let x = r as f64 * 0.618_033_988_749_895;
        for c in 0..8 {
            let _ = write!(text, "{:.6},", (x * (c + 1) as f64).sin() * 3.7);
        }
        let _ = writeln!(text, "{}", if x.fract() > 0.5 { "p" } else { "q" });
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Outside a training run (loading data, evaluating) a signal ends the process at once, as if
/// no handler were installed: killed by the signal (a shell reports status 130), no panic, and
/// no run folder files.
#[test]
fn a_signal_while_loading_or_evaluating_ends_the_process_at_once() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let data = big_csv(dir.path(), "big.csv", 600_000);
    let small = big_csv(dir.path(), "small.csv", 2_000);
    let csv_args = |out: &std::path::Path, file: &std::path::Path| -> Vec<String> {
        let mut args: Vec<String> = ["train", "-q", "--set", "train.epochs=1", "--out"]
            .map(String::from)
            .to_vec();
        args.push(out.display().to_string());
        for kv in [
            "data.source=\"csv\"".to_string(),
            format!("data.path={:?}", file.display().to_string()),
            "data.target=\"y\"".to_string(),
        ] {
            args.extend(["--set".to_string(), kv]);
        }
        args
    };
    // Signals the process a while after its start and checks that the signal ended it. A
    // process that ends with success got the signal only in its one epoch (which an interrupt
    // lets complete): past loading, because this thread woke up late on a loaded machine or
    // the file loaded faster than the delay. Such a try proves nothing and is run again with
    // a shorter delay (150, 50, then 15 ms), a late wake-up being reported. A signal that comes
    // before the handler is installed ends the process as well, so the shorter delays cannot
    // hide a signal ignored while loading. Returns the try that counted (folder `run-<try>`).
    let ended_by_signal = |args: &dyn Fn(usize) -> Vec<String>, what: &str| -> usize {
        for (attempt, delay) in [(1, 150), (2, 50), (3, 15)] {
            let mut child = spawn(dir.path(), &args(attempt));
            let start = std::time::Instant::now();
            std::thread::sleep(Duration::from_millis(delay));
            let sent = start.elapsed();
            signal(&child, Signal::SIGINT);
            let (status, err) = finish(&mut child, Duration::from_secs(120));
            if status.success() && attempt < 3 {
                eprintln!("{what}: signalled {sent:?} after the start, past loading: again");
                continue;
            }
            assert!(
                status.signal() == Some(Signal::SIGINT as i32) || status.code() == Some(130),
                "{what}: ended with {status} (signal sent {sent:?} after the start): {err}"
            );
            assert!(!err.contains("panicked"), "{what}: {err}");
            return attempt;
        }
        unreachable!("the third try always returns")
    };
    let run = |attempt: usize| dir.path().join(format!("run-{attempt}"));
    let attempt = ended_by_signal(&|a| csv_args(&run(a), &data), "loading");
    let out = run(attempt);
    assert!(
        !out.join("last.safetensors").exists() && !out.join("history.csv").exists(),
        "nothing of a run was written"
    );
    // A real checkpoint of the same columns, evaluated on the big file.
    let model = dir.path().join("model");
    run_ok(dir.path(), &csv_args(&model, &small));
    let ckpt = model.join("best.safetensors").display().to_string();
    let eval: Vec<String> = [
        "eval",
        "--checkpoint",
        &ckpt,
        "--data",
        data.to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec();
    ended_by_signal(&|_| eval.clone(), "evaluating");
}
