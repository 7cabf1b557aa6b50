//! Element-wise kernels: the activations' and dropout's maps, and the optimizer's update
//! loops. The formula is the caller's closure (so `optim.rs` and the layers state it); these
//! functions only run it over the elements, compiled for the CPU's best instruction set
//! ([`simd`]) along contiguous slices.

use ndarray::ArrayView2;

use std::sync::Mutex;

use super::pool::{run_parts, MAX_PARTS};
use super::simd::simd;
use crate::float::Float;

/// `out[i] = f(x[i])` in row-major order. Takes the contiguous-slice path whenever it can:
/// ndarray's general element iterator defeats vectorisation, and these loops are hot.
///
/// # Shapes
/// `out.len() == x.len()`.
pub fn map_into<F: Float>(out: &mut [F], x: ArrayView2<'_, F>, f: impl Fn(F) -> F) {
    match x.as_slice() {
        Some(s) => simd(
            #[inline(always)]
            || out.iter_mut().zip(s).for_each(|(o, &v)| *o = f(v)),
        ),
        None => out.iter_mut().zip(x.iter()).for_each(|(o, &v)| *o = f(v)),
    }
}

/// `out[i] = f(a[i], x[i])` in row-major order (same fast path as [`map_into`]).
///
/// # Shapes
/// `out.len() == a.len() == x.len()`.
pub fn zip_map_into<F: Float>(out: &mut [F], a: &[F], x: ArrayView2<'_, F>, f: impl Fn(F, F) -> F) {
    match x.as_slice() {
        Some(s) => simd(
            #[inline(always)]
            || {
                out.iter_mut()
                    .zip(a)
                    .zip(s)
                    .for_each(|((o, &a), &v)| *o = f(a, v))
            },
        ),
        None => out
            .iter_mut()
            .zip(a)
            .zip(x.iter())
            .for_each(|((o, &a), &v)| *o = f(a, v)),
    }
}

/// `x[i] = f(x[i])` in place (dropout's mask, applied to the batch it passes on).
pub fn map_in_place<F: Float>(x: &mut [F], f: impl Fn(F) -> F) {
    simd(
        #[inline(always)]
        || x.iter_mut().for_each(|v| *v = f(*v)),
    )
}

/// Updates with at least this many elements are split across the CPUs (in contiguous chunks
/// of at least half this size): a wide net's optimizer step streams tens of megabytes, which
/// one core's bandwidth makes a large share of the step, while each element's update is the
/// same arithmetic wherever it runs (the results do not depend on the split).
const PARALLEL_UPDATE: usize = 1 << 17;

/// How many chunks an update of `len` elements runs in: one below [`PARALLEL_UPDATE`], else
/// one per GEMM thread (`MATMUL_NUM_THREADS`, else the CPUs, at most 4), each at least half
/// of it.
fn update_chunks(len: usize) -> usize {
    if len < PARALLEL_UPDATE {
        return 1;
    }
    super::gemm::threads().min(len / (PARALLEL_UPDATE / 2))
}

/// Runs `body` on `parts` (chunks of the update's slices), the first on this thread and the
/// others on the worker threads the large products use (`ops/pool.rs`), which run each chunk
/// in this thread's floating-point mode (`common::fpenv`: denormals flushed or not), so that
/// the result does not depend on where a chunk ran. `parts` is an iterator and the chunks
/// wait in slots on the stack, so that an update allocates nothing.
fn run_chunks<T: Send>(mut parts: impl Iterator<Item = T>, body: impl Fn(T) + Sync) {
    let Some(first) = parts.next() else { return };
    let Some(second) = parts.next() else {
        // The common case (small tensors): one chunk, on this thread.
        return body(first);
    };
    let slots: [Mutex<Option<T>>; MAX_PARTS] = std::array::from_fn(|_| Mutex::new(None));
    let mut count = 0;
    for part in [first, second].into_iter().chain(parts) {
        match slots.get(count) {
            Some(slot) => *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(part),
            // More chunks than workers (`update_chunks` makes at most MAX_PARTS): run here.
            None => body(part),
        }
        count += 1;
    }
    run_parts(count.min(MAX_PARTS), &|i| {
        let part = slots[i].lock().map(|mut s| s.take()).unwrap_or(None);
        if let Some(part) = part {
            body(part)
        }
    });
}

/// `f(&mut w[i], g[i])` for every element: an update without state (plain SGD).
pub fn update_each<F: Float>(w: &mut [F], g: &[F], f: impl Fn(&mut F, F) + Sync) {
    let size = w.len().div_ceil(update_chunks(w.len())).max(1);
    let parts = w.chunks_mut(size).zip(g.chunks(size));
    run_chunks(parts, |(w, g)| {
        simd(
            #[inline(always)]
            || w.iter_mut().zip(g).for_each(|(w, &g)| f(w, g)),
        )
    })
}

/// `f(&mut w[i], g[i], &mut s[i])`: an update with one state tensor (SGD's momentum buffer).
pub fn update_each_with_state<F: Float>(
    w: &mut [F],
    g: &[F],
    s: &mut [F],
    f: impl Fn(&mut F, F, &mut F) + Sync,
) {
    let size = w.len().div_ceil(update_chunks(w.len())).max(1);
    let parts = w
        .chunks_mut(size)
        .zip(g.chunks(size))
        .zip(s.chunks_mut(size));
    run_chunks(parts, |((w, g), s)| {
        simd(
            #[inline(always)]
            || {
                w.iter_mut()
                    .zip(g)
                    .zip(s)
                    .for_each(|((w, &g), s)| f(w, g, s))
            },
        )
    })
}

/// `f(&mut w[i], g[i], &mut m[i], &mut v[i])`: an update with two state tensors (Adam's
/// `exp_avg` and `exp_avg_sq`).
pub fn update_each_with_two_states<F: Float>(
    w: &mut [F],
    g: &[F],
    m: &mut [F],
    v: &mut [F],
    f: impl Fn(&mut F, F, &mut F, &mut F) + Sync,
) {
    let size = w.len().div_ceil(update_chunks(w.len())).max(1);
    let parts = w
        .chunks_mut(size)
        .zip(g.chunks(size))
        .zip(m.chunks_mut(size).zip(v.chunks_mut(size)));
    run_chunks(parts, |((w, g), (m, v))| {
        simd(
            #[inline(always)]
            || {
                w.iter_mut()
                    .zip(g)
                    .zip(m.iter_mut().zip(v))
                    .for_each(|((w, &g), (m, v))| f(w, g, m, v))
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_update_is_the_same_as_one_pass() {
        let n = PARALLEL_UPDATE * 3 + 17;
        let g: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
        let step = |w: &mut f32, g: f32, m: &mut f32, v: &mut f32| {
            *m = 0.9 * *m + 0.1 * g;
            *v = 0.999 * *v + 0.001 * g * g;
            *w -= 0.01 * *m / (v.sqrt() + 1e-8);
        };
        let (mut w, mut m, mut v) = (vec![0.5f32; n], vec![0.0; n], vec![0.0; n]);
        update_each_with_two_states(&mut w, &g, &mut m, &mut v, step);
        let (mut w1, mut m1, mut v1) = (vec![0.5f32; n], vec![0.0; n], vec![0.0; n]);
        for i in 0..n {
            step(&mut w1[i], g[i], &mut m1[i], &mut v1[i]);
        }
        assert_eq!((w, m, v), (w1, m1, v1));
    }

    /// The chunks of a split update run on other threads in the caller's denormal mode: with
    /// flushing on, a product that lands below the smallest normal float is 0 in every chunk,
    /// and with it off, it is kept. The workers live for the process, so the second call finds
    /// them in the mode the first left them in unless `run_parts` applies the caller's.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn worker_threads_flush_subnormals_as_the_caller_does() {
        let n = 2 * PARALLEL_UPDATE;
        assert!(
            update_chunks(n) > 1,
            "this check needs a split update, so at least 2 CPUs (found {:?})",
            std::thread::available_parallelism()
        );
        let g = vec![0.25f32; n];
        for flush in [true, false] {
            let _mode = common::fpenv::FlushDenormals::new(flush);
            let mut w = vec![f32::MIN_POSITIVE; n];
            update_each(&mut w, &g, |w, g| *w *= g);
            let subnormal = w.iter().filter(|v| **v != 0.0).count();
            let want = if flush { 0 } else { n };
            assert_eq!(subnormal, want, "flush {flush}: subnormal results");
        }
    }

    #[test]
    fn an_empty_update_does_nothing() {
        let (mut w, mut s) = (Vec::<f64>::new(), Vec::<f64>::new());
        update_each(&mut w, &[], |w, g| *w -= g);
        update_each_with_state(&mut w, &[], &mut s, |w, g, s| *w -= g + *s);
        assert!(w.is_empty());
    }
}
