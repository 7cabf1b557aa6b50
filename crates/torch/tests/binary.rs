//! The `torch` binary: `doctor` prints the state of the libtorch it loaded (the venv's, as the
//! venv's own Python reports it), a bad `--device` or `--threads` and an unusable
//! `--device cuda` fail with one clear line and a non-zero exit. Running the binary at all
//! also shows that its rpath finds libtorch without `LD_LIBRARY_PATH`.

mod venv;

use std::process::Command;

fn torch() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_torch"));
    c.env_remove("LD_LIBRARY_PATH");
    c
}

#[test]
fn doctor_prints_the_version_and_folder_of_the_venvs_torch() {
    let (py_version, py_lib, _) = venv::torch_info();
    let out = torch().arg("doctor").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no '{name}' line: {text}"))
            .to_string()
    };
    let base = py_version.split('+').next().unwrap_or(&py_version);
    assert_eq!(field("libtorch version"), base, "{text}");
    let canon = |p: &std::path::Path| std::fs::canonicalize(p).unwrap();
    assert_eq!(
        canon(std::path::Path::new(&field("libtorch lib"))),
        canon(&py_lib),
        "{text}"
    );
    assert!(!text.contains("warning:"), "{text}");
    assert!(text.contains("cuda available"), "{text}");
}

/// Runs the binary with `args` and asserts a usage error (status 2, before anything runs)
/// whose first line names `flag`, the bad value and `allowed`.
fn assert_refused(args: &[&str], flag: &str, allowed: &str) {
    let out = torch().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    let value = args[args.iter().position(|a| *a == flag).unwrap() + 1];
    assert!(
        err.starts_with(&format!("error: invalid value '{value}' for '{flag}")),
        "{args:?}: {err}"
    );
    assert!(err.contains(allowed), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?} ran");
}

#[test]
fn unknown_device_is_rejected() {
    assert_refused(
        &["--device", "tpu", "doctor"],
        "--device",
        "unknown device 'tpu'",
    );
    // `gpu` is not an alias: the documented values are cpu, cuda and auto.
    assert_refused(
        &["--device", "gpu", "doctor"],
        "--device",
        "cpu, cuda or auto",
    );
}

#[test]
fn zero_threads_is_rejected() {
    assert_refused(&["--threads", "0", "doctor"], "--threads", "≥ 1");
    assert_refused(&["doctor", "--threads", "two"], "--threads", "≥ 1");
    // The smallest allowed value runs, and libtorch uses it.
    let out = torch().args(["--threads", "1", "doctor"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["intra-op", "threads", "1"]),
        "{text}"
    );
}

#[test]
fn cuda_without_a_gpu_fails_with_one_clear_line() {
    if tch::Cuda::is_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = torch()
        .args(["--device", "cuda"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("--device cuda"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no epoch ran");
    // On an image folder too, before the images are read and decoded (or a folder made).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let run = dir.path().join("run");
    let out = torch()
        .args([
            "--device",
            "cuda",
            "train",
            "--config",
            "configs/digits_folder.toml",
        ])
        .args(["--out", run.to_str().unwrap()])
        .current_dir(&root)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("error: --device cuda") && !err.contains("images:"),
        "{err}"
    );
    assert!(!run.exists(), "no run folder");
    // Commands that use no device still run.
    let out = torch()
        .args([
            "--device",
            "cuda",
            "init-config",
            "--csv",
            "data/penguins.csv",
        ])
        .args(["--target", "species"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bench_runs_the_cases_asked_for_and_repeats_them_to_the_same_numbers() {
    let out = torch()
        .args(["bench", "--case", "a", "--reps", "2"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with('(')).collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert!(rows[0].starts_with("(a) chapter 2→64→64→2"), "{text}");
    assert!(
        rows[0].contains("samples/s") && rows[0].contains("digest "),
        "{text}"
    );

    // The same digest as a separate one-repetition run: every repetition trains the same numbers.
    let again = torch().args(["bench", "--case", "a"]).output().unwrap();
    let digest = |t: &str| t.split("digest ").nth(1).map(|d| d[..16].to_string());
    assert_eq!(
        digest(rows[0]),
        digest(&String::from_utf8_lossy(&again.stdout))
    );
}

#[test]
fn bench_rejects_an_unknown_case() {
    let out = torch().args(["bench", "--case", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--case 'x'") && err.contains("a, b, c and d"),
        "{err}"
    );
}

#[test]
fn adam_kernel_is_chosen_on_the_command_line() {
    let digest_of = |args: &[&str]| {
        let out = torch().args(args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{args:?}: {text}");
        text.split("digest ").nth(1).unwrap()[..16].to_string()
    };
    let fused = digest_of(&["bench", "--case", "a"]);
    assert_eq!(
        fused,
        digest_of(&["--adam", "fused", "bench", "--case", "a"])
    );
    // The composite formula rounds differently in the last bit, so 960 steps end elsewhere.
    assert_ne!(
        fused,
        digest_of(&["--adam", "composite", "bench", "--case", "a"])
    );

    let out = torch()
        .args(["--adam", "foreach", "doctor"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown Adam kernel 'foreach'"), "{err}");
}

/// `torch sweep`, as `scratch sweep` is tested: two seeds trained by two children at once;
/// each child gets the global flags given before `sweep` (`--f64 --device cpu`) and its share
/// of the cores (2 jobs on this machine's cores: cores / 2 threads each, at least 1), as its
/// own log line says; the summary has one row per run; a second call trains nothing and gives
/// the same summary, byte for byte.
#[test]
fn torch_sweep_forwards_global_flags_and_a_thread_share_to_each_child() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sw");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let sweep = |extra: &[&str]| {
        let mut c = torch();
        c.current_dir(&root)
            .args(["--f64", "--device", "cpu", "sweep", "--config"]);
        c.args([
            "configs/circle.toml",
            "--set",
            "train.epochs=2",
            "--seeds",
            "1..2",
        ]);
        c.args(["--jobs", "2", "--out"]).arg(&out).args(extra);
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    sweep(&[]);
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 3, "{summary}");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let share = (cores / 2).max(1);
    let logs: Vec<_> = std::fs::read_dir(out.join("logs")).unwrap().collect();
    assert_eq!(logs.len(), 2);
    for log in logs {
        let text = std::fs::read_to_string(log.unwrap().path()).unwrap();
        let first = text.lines().next().unwrap_or("");
        assert!(
            first.starts_with("# ")
                && first.contains(" --f64 --device cpu train ")
                && first.ends_with(&format!("(TWIN_NETS_THREADS={share})")),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "torch: device Cpu, precision F64, {share} libtorch threads (sweep share {share})"
            )),
            "{text}"
        );
    }
    sweep(&[]);
    assert_eq!(
        std::fs::read_to_string(out.join("summary.csv")).unwrap(),
        summary
    );
}
