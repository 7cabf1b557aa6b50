//! What the black-box tests of the `compare` binary share: running it in a folder and reading
//! its output.

use std::path::Path;

use assert_cmd::Command;

/// The `compare` binary, run in `cwd`.
pub fn compare(cwd: &Path) -> Command {
    let mut cmd = Command::cargo_bin("compare").unwrap();
    cmd.current_dir(cwd);
    cmd
}

/// A run's stdout as text.
pub fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The stdout of a run that must have succeeded (its stderr in the failure message).
pub fn succeeded(out: &std::process::Output) -> String {
    let text = stdout_of(out);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}
