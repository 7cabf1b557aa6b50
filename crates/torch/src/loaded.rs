//! The libtorch actually loaded into this process, asked at run time rather than read from
//! what the build script saw: its own configuration string (`at::show_config()`, what
//! `torch.__config__.show()` prints in Python) with the version and commit it was built from,
//! and the shared libraries mapped into the process (`/proc/self/maps`), which say which files
//! the dynamic loader really picked and whether `libtorch_cuda` is among them.
//!
//! The configuration string comes through the small C++ shim `csrc/show_config.cpp`. This
//! module's one `unsafe` block calls it; it is sound because the buffer passed is ours, with
//! its true length, the shim writes at most that many bytes and catches every C++ exception.

use std::ffi::c_char;
use std::path::{Path, PathBuf};

#[allow(unsafe_code)]
extern "C" {
    fn twin_nets_show_config(buf: *mut c_char, len: usize) -> usize;
}

/// `at::show_config()` of the loaded libtorch ("PyTorch built with: ... Build settings:
/// ..., TORCH_VERSION=2.11.0, ..."); empty if libtorch threw.
pub fn show_config() -> String {
    let mut buf = vec![0u8; 8192];
    loop {
        // SAFETY: `buf` is a live, writable allocation of `buf.len()` bytes that outlives the
        // call; the shim writes at most `buf.len()` bytes into it and returns without unwinding.
        #[allow(unsafe_code)]
        let full = unsafe { twin_nets_show_config(buf.as_mut_ptr().cast(), buf.len()) };
        if full < buf.len() {
            buf.truncate(full);
            return String::from_utf8_lossy(&buf).into_owned();
        }
        buf.resize(full + 1, 0);
    }
}

/// The value of `KEY=` in the "Build settings" of a configuration string (`TORCH_VERSION`,
/// `COMMIT_SHA`, `CUDA_VERSION`, ...).
pub fn build_setting(config: &str, key: &str) -> Option<String> {
    let settings = config
        .lines()
        .find_map(|l| l.trim().strip_prefix("- Build settings:"))?;
    settings.split(',').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == key && !v.is_empty()).then(|| v.to_string())
    })
}

/// The version of the loaded libtorch as it reports it (`TORCH_VERSION`, e.g. `2.11.0`:
/// without the `+cu130` local tag that Python's `torch.__version__` adds).
pub fn version() -> Option<String> {
    build_setting(&show_config(), "TORCH_VERSION")
}

/// The files mapped into this process (`/proc/self/maps`, Linux), each once, in map order;
/// empty where that file does not exist.
pub fn mapped_files() -> Vec<PathBuf> {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for line in maps.lines() {
        // address perms offset dev inode [path]; the path may contain spaces.
        let path = line.splitn(6, ' ').nth(5).map(str::trim_start);
        if let Some(p) = path.filter(|p| p.starts_with('/')) {
            let p = PathBuf::from(p);
            if !files.contains(&p) {
                files.push(p);
            }
        }
    }
    files
}

/// The mapped file named `name` (e.g. `libtorch_cpu.so`), if the process has loaded it.
pub fn mapped_library(name: &str) -> Option<PathBuf> {
    mapped_files()
        .into_iter()
        .find(|p| p.file_name().is_some_and(|f| f == name))
}

/// The folder of the `libtorch_cpu.so` this process runs on.
pub fn lib_dir() -> Option<PathBuf> {
    mapped_library("libtorch_cpu.so").and_then(|p| p.parent().map(Path::to_path_buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_settings_are_parsed_from_the_config_string() {
        let text = "PyTorch built with:\n  - GCC 13.3\n  - Build settings: BLAS_INFO=mkl, \
                    COMMIT_SHA=70d9, CXX_FLAGS= -O2 -fPIC, TORCH_VERSION=2.11.0, USE_CUDA=ON, \n";
        assert_eq!(
            build_setting(text, "TORCH_VERSION").as_deref(),
            Some("2.11.0")
        );
        assert_eq!(build_setting(text, "COMMIT_SHA").as_deref(), Some("70d9"));
        assert_eq!(build_setting(text, "VERSION"), None);
        assert_eq!(build_setting("no settings here", "TORCH_VERSION"), None);
    }

    #[test]
    fn the_loaded_library_reports_its_own_version_and_file() {
        let config = show_config();
        assert!(config.starts_with("PyTorch built with:"), "{config}");
        let v = version().expect("TORCH_VERSION in at::show_config()");
        assert!(v.split('.').count() == 3, "{v}");
        let lib = mapped_library("libtorch_cpu.so").expect("libtorch_cpu.so is mapped");
        assert!(lib.is_file(), "{}", lib.display());
        assert_eq!(lib_dir().as_deref(), lib.parent());
    }
}
