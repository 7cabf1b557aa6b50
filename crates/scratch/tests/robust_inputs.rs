//! Hostile and mistaken inputs given to the real `scratch` binary: a CSV with a million
//! columns, one with a 10 MB line, an identifier column that one-hot encoding would blow up, a
//! config asking for a layer of 10^12 units or 10^12 parameters or 10^13 synthetic values, a
//! run folder that cannot be written, and a learning rate that makes the loss diverge. Each is
//! a one-line error naming its culprit, exit status 1, no panic, and a bounded memory use
//! (each case's own peak resident set, reported by a Python parent process).

mod robust_support;

use robust_support::*;
use std::path::Path;
use std::process::Command;

/// Peak resident memory allowed to a refused case, in MB.
const MAX_RSS_MB: f64 = 300.0;

/// Runs the binary in `dir` under a small Python parent that reports the peak resident set of
/// its only child, so the figure is the case's own (a `getrusage(RUSAGE_CHILDREN)` of this
/// test process would mix in every case run in parallel). Asserts a clean failure whose error
/// line contains every needle and a peak below [`MAX_RSS_MB`]; returns the line and the peak.
fn refused_measured(dir: &Path, args: &[String], needles: &[&str]) -> (String, f64) {
    const WRAPPER: &str = "import resource, subprocess, sys\n\
        r = subprocess.run(sys.argv[1:])\n\
        print('maxrss_kib=%d' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n\
        sys.exit(r.returncode)\n";
    let out = Command::new("python3")
        .args(["-c", WRAPPER, env!("CARGO_BIN_EXE_scratch")])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("python3 runs the case (it is required, like the rest of the set-up)");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("no error line: {err}"));
    for n in needles {
        assert!(line.contains(n), "'{n}' not in: {line}");
    }
    let rss_mb = err
        .lines()
        .find_map(|l| l.strip_prefix("maxrss_kib="))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no peak memory reported: {err}"))
        / 1024.0;
    println!("{needles:?}: peak resident memory {rss_mb:.1} MB");
    assert!(rss_mb < MAX_RSS_MB, "{args:?}: peak memory {rss_mb:.0} MB");
    (line.to_string(), rss_mb)
}

/// [`refused_measured`], returning the error line.
fn refused(dir: &Path, args: &[String], needles: &[&str]) -> String {
    refused_measured(dir, args, needles).0
}

/// A CSV training config for `file` with label `y`, written to `dir/csv.toml`.
fn csv_config(dir: &Path, file: &str) -> String {
    let text = format!(
        "[data]\nsource = \"csv\"\npath = \"{file}\"\ntarget = \"y\"\n[train]\nepochs = 1\n"
    );
    let path = dir.join("csv.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn train_csv(dir: &Path, file: &str) -> Vec<String> {
    let cfg = csv_config(dir, file);
    ["train", "-q", "-c", &cfg, "--out", "run"]
        .map(String::from)
        .to_vec()
}

#[test]
fn a_million_columns_and_a_10_mb_line_are_refused_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let wide = (0..1_000_000)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let row = vec!["0"; 1_000_000].join(",");
    std::fs::write(dir.path().join("wide.csv"), format!("{wide},y\n{row},a\n")).unwrap();
    refused(
        dir.path(),
        &train_csv(dir.path(), "wide.csv"),
        &["wide.csv", "row 1", "1000001 columns", "limit of 65536"],
    );
    let long = "9".repeat(10_000_000);
    std::fs::write(dir.path().join("long.csv"), format!("x,y\n1,a\n{long},b\n")).unwrap();
    refused(
        dir.path(),
        &train_csv(dir.path(), "long.csv"),
        &["long.csv", "row 3", "10000002 bytes", "limit"],
    );
    // predict reads through the same loader.
    run_ok(dir.path(), &train_args(&dir.path().join("ok"), 1, &[]));
    let ckpt = dir.path().join("ok/best.safetensors").display().to_string();
    let predict = ["predict", "--checkpoint", &ckpt, "--input", "long.csv"]
        .map(String::from)
        .to_vec();
    refused(dir.path(), &predict, &["long.csv", "row 3", "limit"]);
    // Each case's peak memory is checked by `refused`.
}

#[test]
fn an_identifier_column_that_one_hot_would_blow_up_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("id,x,y\n");
    for i in 0..20_000 {
        text.push_str(&format!("user{i},{},{}\n", i % 7, ["a", "b"][i % 2]));
    }
    std::fs::write(dir.path().join("ids.csv"), text).unwrap();
    // The schema drops an identifier by itself: declared categorical, it is kept and refused.
    let mut args = train_csv(dir.path(), "ids.csv");
    args.extend(["--set".into(), "data.categorical=[\"id\"]".into()]);
    refused(
        dir.path(),
        &args,
        &["ids.csv", "column 'id'", "20000 categories", "data.drop"],
    );
    // Each case's peak memory is checked by `refused`.
}

#[test]
fn configs_asking_for_terabytes_are_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let cases: [(&[&str], &[&str]); 3] = [
        (
            &["--set", "model.hidden=[1000000000000]"],
            &["model.hidden[0]", "limit of 1000000"],
        ),
        (
            &["--set", "model.hidden=[1000000, 1000000]"],
            &["model.hidden", "parameters exceed the limit of 100000000"],
        ),
        (
            &["--set", "data.n=100000000", "--set", "data.dim=100000"],
            &["data.dim", "limit of 100000000"],
        ),
    ];
    for (set, needles) in cases {
        refused(dir.path(), &train_args(&out, 1, set), needles);
        assert!(!out.exists(), "no run folder left by a refused config");
    }
    // Each case's peak memory is checked by `refused`.
}

/// Makes `dir` unwritable for this process: chmod 555, or for root (whom permissions do not
/// stop) the immutable attribute, or a read-only bind mount of the folder on itself; false
/// when none works here. [`make_writable`] undoes it.
fn make_read_only(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let writable = || {
        std::fs::write(dir.join("probe"), "x")
            .map(|_| std::fs::remove_file(dir.join("probe")))
            .is_ok()
    };
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    if !writable() {
        return true;
    }
    let chattr = Command::new("chattr").arg("+i").arg(dir).status();
    if chattr.is_ok_and(|s| s.success()) && !writable() {
        return true;
    }
    let run = |args: &[&str]| {
        Command::new("mount")
            .args(args)
            .arg(dir)
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    run(&["--bind"]) && run(&["-o", "remount,bind,ro"]) && !writable()
}

/// Undoes [`make_read_only`] (whichever way it worked).
fn make_writable(dir: &Path) {
    let quiet = |cmd: &mut Command| {
        let _ = cmd.stderr(std::process::Stdio::null()).status();
    };
    quiet(Command::new("umount").arg(dir));
    quiet(Command::new("chattr").arg("-i").arg(dir));
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
}

#[test]
fn an_unwritable_run_folder_fails_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("taken");
    std::fs::write(&file, "x").unwrap();
    refused(
        dir.path(),
        &train_args(&file, 1, &[]),
        &["taken", "not a folder", "--out"],
    );
    refused(
        dir.path(),
        &train_args(&file.join("run"), 1, &[]),
        &["cannot create the run folder", "--out"],
    );
    if cfg!(target_os = "linux") {
        let sys = Path::new("/sys/twin-nets-robust-test");
        refused(
            dir.path(),
            &train_args(sys, 1, &[]),
            &["cannot create the run folder", "--out"],
        );
    }
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    if make_read_only(&locked) {
        let line = refused(
            dir.path(),
            &train_args(&locked, 1, &[]),
            &["locked", "not writable", "--out"],
        );
        let empty = std::fs::read_dir(&locked).unwrap().next().is_none();
        make_writable(&locked);
        assert!(empty, "nothing written: {line}");
    } else {
        make_writable(&locked);
        cannot_run_here("cannot make a read-only folder (chmod, chattr +i and a read-only bind mount all failed)");
    }
}

#[test]
fn a_diverging_run_names_epoch_batch_and_the_fix_and_keeps_the_best() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    // On 320 rows this rate survives epoch 1 (validation loss about 1e22, finite: the best so
    // far) and blows up early in epoch 2 (or 3: the margin to overflow is wide either way).
    let args = train_args(&out, 5, &["--set", "optim.lr=5000"]);
    let line = refused(
        dir.path(),
        &args,
        &[
            "diverged at epoch",
            ", batch ",
            "loss is",
            "lower learning rate",
            "optim.lr",
        ],
    );
    let epoch: usize = line
        .split("epoch ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|n| n.parse().ok())
        .expect("the epoch");
    assert!(epoch >= 2, "{line}");
    let f = check_folder(&out);
    assert_eq!(
        f.rows,
        Some((1..epoch).collect()),
        "the history of the completed epochs"
    );
    assert_eq!(
        f.last,
        Some(epoch - 1),
        "the last completed epoch's checkpoint is kept"
    );
    assert_eq!(f.best, Some(1), "the best checkpoint so far is kept");
}
