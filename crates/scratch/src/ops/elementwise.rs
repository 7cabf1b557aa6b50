//! Element-wise kernels: the activations' and dropout's maps, and the optimizer's update
//! loops. The formula is the caller's closure (so `optim.rs` and the layers state it); these
//! functions only run it over the elements, compiled for the CPU's best instruction set
//! ([`simd`]) along contiguous slices.

use ndarray::ArrayView2;

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

/// `f(&mut w[i], g[i])` for every element: an update without state (plain SGD).
pub fn update_each<F: Float>(w: &mut [F], g: &[F], f: impl Fn(&mut F, F)) {
    simd(
        #[inline(always)]
        || w.iter_mut().zip(g).for_each(|(w, &g)| f(w, g)),
    )
}

/// `f(&mut w[i], g[i], &mut s[i])`: an update with one state tensor (SGD's momentum buffer).
pub fn update_each_with_state<F: Float>(
    w: &mut [F],
    g: &[F],
    s: &mut [F],
    f: impl Fn(&mut F, F, &mut F),
) {
    simd(
        #[inline(always)]
        || {
            w.iter_mut()
                .zip(g)
                .zip(s)
                .for_each(|((w, &g), s)| f(w, g, s))
        },
    )
}

/// `f(&mut w[i], g[i], &mut m[i], &mut v[i])`: an update with two state tensors (Adam's
/// `exp_avg` and `exp_avg_sq`).
pub fn update_each_with_two_states<F: Float>(
    w: &mut [F],
    g: &[F],
    m: &mut [F],
    v: &mut [F],
    f: impl Fn(&mut F, F, &mut F, &mut F),
) {
    simd(
        #[inline(always)]
        || {
            w.iter_mut()
                .zip(g)
                .zip(m.iter_mut().zip(v))
                .for_each(|((w, &g), (m, v))| f(w, g, m, v))
        },
    )
}
