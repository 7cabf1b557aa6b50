//! The process's memory allocator: mimalloc, for Rust's allocations and, through its `override`
//! feature, for `malloc`/`free`/`posix_memalign` of the whole process, libtorch included.
//!
//! Why: on the chapter's small MLP a training step is some forty libtorch operations on
//! 1–32 KiB tensors, and every one allocates its output with `posix_memalign` and frees it a few
//! operations later. Under glibc's allocator that churn (bin searches, `malloc_consolidate`,
//! heap trimming) cost about 6% of a step's instructions (callgrind, `torch bench --case a`);
//! mimalloc's per-thread free lists make it a few instructions. It changes no number: memory
//! holds the same values wherever it is.
//!
//! Any binary that links this crate gets it (the `torch` and `compare` binaries, and the tests,
//! so that they run what users run). The `mimalloc` feature (on by default) turns it off for a
//! program that brings its own global allocator.

/// The global allocator of every program that links this crate with the `mimalloc` feature.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
