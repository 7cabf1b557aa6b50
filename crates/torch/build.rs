//! Build script of the `torch` crate: links libtorch so that our binaries and test binaries run
//! without `LD_LIBRARY_PATH`, and keeps libtorch's CUDA registration with the `cuda` feature.
//!
//! torch-sys (through tch) compiles its C++ shim and asks for `-ltorch_cpu -ltorch [-ltorch_cuda]`,
//! but Rust links with `--as-needed`, so a library none of whose symbols we call directly
//! (`libtorch_cuda.so`: it only registers the CUDA backend from static initialisers) is dropped and
//! `Cuda::is_available()` says false on a GPU machine (tch-rs issues #907, #964, #980). We pass
//! those libraries again after `-Wl,--no-as-needed`, and embed an rpath to libtorch's `lib/`.
//!
//! Where libtorch is: `LIBTORCH` (what `scripts/libtorch.sh` exports: the venv's
//! `site-packages/torch`), or `LIBTORCH_LIB`, or `LIBTORCH_USE_PYTORCH=1` with a Python that has
//! torch, or a system install in `/usr/lib` — the same order torch-sys uses.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The command that installs libtorch, named in every error.
const SETUP_HINT: &str =
    "run `make setup` (or `source scripts/libtorch.sh`, which installs torch==2.11.0 \
into .venv once and exports LIBTORCH) before building the torch crate";

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
    // docs.rs-style builds and `cargo doc` without libtorch have nothing to link.
    if env::var_os("DOCS_RS").is_some() {
        return;
    }
    let lib_dir = match find_lib_dir() {
        Ok(dir) => dir,
        Err(msg) => fail(&msg),
    };
    check_lib(&lib_dir, "torch_cpu");
    let cuda = env::var_os("CARGO_FEATURE_CUDA").is_some();
    if cuda {
        check_lib(&lib_dir, "torch_cuda");
    }
    let dir = lib_dir.display();
    println!("cargo:rustc-link-search=native={dir}");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    // The libraries again, this time kept even if no symbol of ours refers to them. Without
    // the `cuda` feature only libtorch_cpu is kept: the PyPI wheel's libtorch.so is a stub that
    // pulls in libtorch_cuda and the whole CUDA stack (cuBLAS, cuDNN, NCCL: ~1 GB mapped),
    // which would slow every start of a CPU-only binary for nothing.
    println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
    println!("cargo:rustc-link-arg=-ltorch_cpu");
    if cuda {
        println!("cargo:rustc-link-arg=-ltorch");
        println!("cargo:rustc-link-arg=-ltorch_cuda");
    }
    println!("cargo:rustc-link-arg=-Wl,--as-needed");
    compile_shim(&lib_dir);
    // Where libtorch was found at build time, and its version: `torch doctor` prints them
    // next to what the loaded library reports at run time (`src/loaded.rs`), and warns when
    // they differ.
    println!("cargo:rustc-env=TWIN_NETS_LIBTORCH_LIB={dir}");
    println!(
        "cargo:rustc-env=TWIN_NETS_LIBTORCH_VERSION={}",
        libtorch_version(&lib_dir)
    );
}

/// libtorch's version from the files beside `lib/`: `version.py` of a PyTorch wheel
/// (`__version__ = '2.11.0+cu130'`) or `build-version` of a libtorch zip; `unknown` otherwise.
fn libtorch_version(lib_dir: &Path) -> String {
    let Some(root) = lib_dir.parent() else {
        return "unknown".into();
    };
    if let Ok(text) = std::fs::read_to_string(root.join("version.py")) {
        let version = text.lines().find_map(|l| l.strip_prefix("__version__ = "));
        if let Some(v) = version {
            return v.trim().trim_matches(|c| c == '\'' || c == '"').to_string();
        }
    }
    std::fs::read_to_string(root.join("build-version"))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Compiles `csrc/fused_adam.cpp` (libtorch's fused Adam kernel), `csrc/show_config.cpp`
/// (`at::show_config()`, the loaded library's own description), which tch does not expose, and
/// `csrc/bench_loop.cpp` (the bench's C++ training loop, Route 2's limit),
/// against libtorch's headers, with the flags torch-sys uses for its own shim.
fn compile_shim(lib_dir: &Path) {
    println!("cargo:rerun-if-changed=csrc/fused_adam.cpp");
    println!("cargo:rerun-if-changed=csrc/show_config.cpp");
    println!("cargo:rerun-if-changed=csrc/bench_loop.cpp");
    println!("cargo:rerun-if-changed=csrc/shim_error.h");
    let include = lib_dir
        .parent()
        .map(|root| root.join("include"))
        .filter(|dir| dir.join("ATen").is_dir())
        .unwrap_or_else(|| PathBuf::from("/usr/include"));
    cc::Build::new()
        .cpp(true)
        .file("csrc/fused_adam.cpp")
        .file("csrc/show_config.cpp")
        .file("csrc/bench_loop.cpp")
        .include(&include)
        // The C++ frontend (`torch/torch.h`) of the bench's C++ loop.
        .include(include.join("torch/csrc/api/include"))
        .flag("-std=c++17")
        .flag("-D_GLIBCXX_USE_CXX11_ABI=1")
        .flag("-DGLOG_USE_GLOG_EXPORT")
        .flag_if_supported("-Wno-unused-parameter")
        .warnings(false)
        .compile("twin_nets_shim");
}

/// Stops the build with one clear message.
fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    eprintln!("hint: {SETUP_HINT}");
    std::process::exit(1);
}

/// Panics with the setup hint unless `lib<name>.so` is in `dir`.
fn check_lib(dir: &Path, name: &str) {
    let file = dir.join(format!("lib{name}.so"));
    if !file.exists() {
        fail(&format!("libtorch library {} not found", file.display()));
    }
}

/// libtorch's `lib/` folder, found the way torch-sys finds it.
fn find_lib_dir() -> Result<PathBuf, String> {
    if let Ok(lib) = env::var("LIBTORCH_LIB") {
        return Ok(PathBuf::from(lib).join("lib"));
    }
    if env::var_os("LIBTORCH_USE_PYTORCH").is_some() {
        return python_lib_dir();
    }
    if let Ok(root) = env::var("LIBTORCH") {
        let dir = PathBuf::from(&root).join("lib");
        if !dir.is_dir() {
            return Err(format!("LIBTORCH={root} has no lib/ folder"));
        }
        return Ok(dir);
    }
    if Path::new("/usr/lib/libtorch.so").exists() {
        return Ok(PathBuf::from("/usr/lib"));
    }
    Err("libtorch not found: LIBTORCH is not set and there is no /usr/lib/libtorch.so".into())
}

/// Asks the active Python for torch's library folder (torch-sys runs `python` inside a virtual
/// environment and `python3` otherwise; so do we, so that both agree).
fn python_lib_dir() -> Result<PathBuf, String> {
    let python = if env::var_os("VIRTUAL_ENV").is_some() {
        "python"
    } else {
        "python3"
    };
    let out = Command::new(python)
        .args([
            "-c",
            "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))",
        ])
        .output()
        .map_err(|e| format!("LIBTORCH_USE_PYTORCH is set but `{python}` cannot run: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "LIBTORCH_USE_PYTORCH is set but `{python} -c 'import torch'` failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}
