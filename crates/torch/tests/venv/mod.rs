//! The project's Python (`.venv/bin/python`, or `$TWIN_NETS_VENV/bin/python`), where
//! `scripts/libtorch.sh` installs the PyTorch whose libtorch this crate links: the tests ask it
//! for reference values. A missing venv fails the test with a message; it never skips.

#![allow(dead_code)] // each test file uses part of it

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The venv's Python; panics with what to run when it is missing.
pub fn python() -> PathBuf {
    let venv =
        std::env::var_os("TWIN_NETS_VENV").map_or_else(|| workspace().join(".venv"), PathBuf::from);
    let py = venv.join("bin/python");
    assert!(
        py.is_file(),
        "{} not found: this test compares with the project's PyTorch; run \
         `source scripts/libtorch.sh` (or `make setup`) first",
        py.display()
    );
    py
}

/// Runs the venv's Python with `args`, `stdin` on its standard input; returns its standard
/// output. Panics with its standard error when it fails.
pub fn run(args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(python())
        .args(args)
        .current_dir(workspace())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the venv's python");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin.as_bytes())
        .expect("write to python");
    let out = child.wait_with_output().expect("wait for python");
    assert!(
        out.status.success(),
        "python {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// What the venv's `import torch` reports: `(torch.__version__, torch's lib/ folder,
/// torch.__config__.show())`.
pub fn torch_info() -> (String, PathBuf, String) {
    let code = "import json, os, warnings\n\
                warnings.filterwarnings('ignore')\n\
                import torch\n\
                print(json.dumps([torch.__version__, \
                os.path.join(os.path.dirname(torch.__file__), 'lib'), torch.__config__.show()]))";
    let out = run(&["-c", code], "");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json from python");
    let s = |i: usize| v[i].as_str().expect("a string").to_string();
    (s(0), PathBuf::from(s(1)), s(2))
}
