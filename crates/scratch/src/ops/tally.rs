//! A per-thread tally of the matrix products: the multiply-adds they were asked to do and how
//! many went to the general GEMM. One add per product call, so that a test can see which
//! products a step really ran (a frozen layer's weight gradient must not run), hold
//! `ModelSpec::train_flops` to the work done, and count the products the GEMM ran.

use std::cell::Cell;

thread_local! {
    /// Multiply-adds of the products called on this thread (`const`: no lazy initialisation,
    /// so reading it never allocates).
    static MACS: Cell<u64> = const { Cell::new(0) };
    /// Products handed to the GEMM (`ops/gemm`) on this thread.
    static GEMMS: Cell<u64> = const { Cell::new(0) };
}

/// Adds an `[m, k]·[k, n]` product (`m·k·n` multiply-adds) to this thread's tally.
#[inline(always)]
pub(super) fn count_product(m: usize, k: usize, n: usize) {
    let macs = (m as u64).saturating_mul(k as u64).saturating_mul(n as u64);
    MACS.with(|c| c.set(c.get().wrapping_add(macs)));
}

/// Multiply-adds of every matrix product called on this thread so far (the products run by
/// the layers' kernels; the GEMM's own worker threads count on the calling thread). Take the
/// difference of two readings around the work to measure.
pub fn product_macs() -> u64 {
    MACS.with(Cell::get)
}

/// Counts one product handed to the GEMM.
#[inline(always)]
pub(super) fn count_gemm() {
    GEMMS.with(|c| c.set(c.get() + 1));
}

/// Products this thread handed to the GEMM so far (the small ones run in the loop kernels and
/// are not counted here). The GEMM packs into buffers each thread keeps, so they allocate
/// nothing once grown; matrixmultiply, its fallback on a CPU without AVX2, allocates one each.
pub fn gemm_calls() -> u64 {
    GEMMS.with(Cell::get)
}
