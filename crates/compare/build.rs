//! Build script of the `compare` crate: the link arguments of `crates/torch/build.rs`, again.
//!
//! `cargo:rustc-link-arg` lines apply only to the targets of the package whose build script
//! prints them, never to its dependents, so the rpath and `--no-as-needed` that the `torch`
//! crate gives its own binaries do not reach `compare` (or its test binaries). Without them a
//! `compare` binary needs `LD_LIBRARY_PATH` to start, and with `--features cuda`, Rust's
//! `--as-needed` drops `libtorch_cuda.so` (only its static initialisers register CUDA, so no
//! symbol of ours refers to it) and `Cuda::is_available()` says false on a GPU machine
//! (tch-rs issues #907 and #980). This is the minimal part of that script: where libtorch's
//! `lib/` is (`LIBTORCH_LIB`, `LIBTORCH` as exported by `scripts/libtorch.sh`,
//! `LIBTORCH_USE_PYTORCH`, `/usr/lib`), the rpath, and the libraries kept after
//! `--no-as-needed`. torch-sys itself reports a missing libtorch with the setup hint.
//! (`include!` of the torch crate's script is not possible: its `//!` header is an inner
//! attribute, refused in an included file.)

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    for var in [
        "LIBTORCH",
        "LIBTORCH_LIB",
        "LIBTORCH_USE_PYTORCH",
        "VIRTUAL_ENV",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    if env::var_os("DOCS_RS").is_some() {
        return;
    }
    let Some(dir) = lib_dir() else {
        // torch-sys fails the build first with its own message; nothing to add here.
        println!("cargo:warning=libtorch not found: run `source scripts/libtorch.sh` first");
        return;
    };
    let dir = dir.display();
    println!("cargo:rustc-link-search=native={dir}");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
    println!("cargo:rustc-link-arg=-ltorch_cpu");
    if env::var_os("CARGO_FEATURE_CUDA").is_some() {
        println!("cargo:rustc-link-arg=-ltorch");
        println!("cargo:rustc-link-arg=-ltorch_cuda");
    }
    println!("cargo:rustc-link-arg=-Wl,--as-needed");
}

/// libtorch's `lib/` folder, looked up in the order torch-sys uses.
fn lib_dir() -> Option<PathBuf> {
    if let Ok(lib) = env::var("LIBTORCH_LIB") {
        return Some(PathBuf::from(lib).join("lib"));
    }
    if env::var_os("LIBTORCH_USE_PYTORCH").is_some() {
        let python = if env::var_os("VIRTUAL_ENV").is_some() {
            "python"
        } else {
            "python3"
        };
        let script =
            "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))";
        let out = Command::new(python).args(["-c", script]).output().ok()?;
        return out
            .status
            .success()
            .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    if let Ok(root) = env::var("LIBTORCH") {
        return Some(PathBuf::from(root).join("lib"));
    }
    let system = PathBuf::from("/usr/lib");
    system.join("libtorch.so").exists().then_some(system)
}
