//! "A step allocates nothing once the largest batch has been seen", measured: a counting
//! global allocator (this test binary's own) counts the allocations each thread makes while
//! the backend trains an epoch, after a first epoch has seen the largest batch.
//!
//! The stated numbers: 0 allocations per step on the chapter's Route 1 net (circle, 2→32→1,
//! SGD), whose products all run in the crate's loop kernels; on its Route 2 net (2→64→64→2
//! softmax, Adam), whose 3 products per step go to the GEMM, 0 as well: the crate's GEMM
//! (`ops/gemm`) packs into a buffer each thread keeps. Only on a CPU without AVX2, where the
//! products fall back to matrixmultiply (which allocates its packing buffer on every call),
//! 3 per step, exactly one per product. A step that collects its parameters into a `Vec` (as
//! `params_mut()` once did) or an update that collects its chunks fails here (the latter,
//! planted: 4 per step on Route 1, 9 on Route 2).

// A global allocator is an `unsafe impl` by definition; this one only forwards to `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::config::Config;
use common::data::prepare;
use common::fit::{Backend, EpochCtx};
use common::init::init_params;
use common::seed::{permutation, Seeds, Stream};
use common::spec::ModelSpec;
use scratch::ops::gemm_calls;
use scratch::ScratchBackend;

thread_local! {
    /// Allocations (and reallocations) made by this thread (`const`: reading it never allocates).
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// The system allocator, counting per thread (tests run on parallel threads).
struct Counting;

// SAFETY: every call forwards to `System` with the same arguments; the count is a thread-local
// `Cell` whose access neither allocates nor panics (`try_with` during thread teardown).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

fn count() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// Allocations and GEMM calls per step of epoch 2 of `cfg` on the scratch backend (f32).
fn allocations_per_step(cfg: &Config) -> (f64, f64) {
    let data = prepare(cfg).expect("data");
    let spec =
        ModelSpec::from_config(cfg, data.n_features(), data.image_shape, data.n_classes()).unwrap();
    let init = init_params(
        &spec,
        cfg.model.init,
        &mut Seeds::new(cfg.seed).rng(Stream::Init),
    );
    let mut backend = ScratchBackend::<f32>::new(&spec, &init, &cfg.optim, &data.train).unwrap();
    let n = data.train.y.len();
    let seeds = Seeds::new(cfg.seed);
    let mut epoch = |e: usize| {
        let order = permutation(n, &mut seeds.epoch_rng(Stream::Shuffle, e));
        let ctx = EpochCtx {
            epoch: e,
            lr: cfg.optim.lr,
            batch_size: cfg.train.batch_size,
            dropout_seed: seeds.epoch_seed(Stream::Dropout, e),
            augment_seed: seeds.epoch_seed(Stream::Augment, e),
            log_grad_norms: false,
        };
        let (allocs, gemms) = (allocations(), gemm_calls());
        backend.train_epoch(&order, &ctx).expect("epoch");
        (allocations() - allocs, gemm_calls() - gemms)
    };
    // Epoch 1 sees the largest batch (and grows every buffer); epoch 2 is measured.
    let (first, _) = epoch(1);
    assert!(first > 0, "the counter counts (epoch 1 builds the buffers)");
    let steps = n.div_ceil(cfg.train.batch_size) as f64;
    let (allocs, gemms) = epoch(2);
    (allocs as f64 / steps, gemms as f64 / steps)
}

#[test]
fn the_chapter_route1_step_allocates_nothing() {
    let (allocs, gemms) = allocations_per_step(&Config::default());
    assert_eq!(
        (allocs, gemms),
        (0.0, 0.0),
        "allocations, GEMM calls per step"
    );
}

#[test]
fn the_chapter_route2_step_allocates_nothing_with_the_crates_own_gemm() {
    let (allocs, gemms) = allocations_per_step(&Config::chapter_route2());
    let fallback = scratch::ops::gemm::chosen::<f32>().is_none();
    assert_eq!(
        (allocs, gemms),
        (if fallback { 3.0 } else { 0.0 }, 3.0),
        "allocations, GEMM calls per step"
    );
}
