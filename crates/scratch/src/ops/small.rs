//! The blocked loop kernels of the small products: [`rows_combine`] (`c = init + a·b`),
//! [`transposed_combine`] (`c = xᵀ·y`) and [`column_sums`]. `ops/products.rs` decides which
//! products are small (at most 2¹⁵ multiply-adds, or a dimension under 4, such as the
//! chapter's 2→32→1 net; contiguous operands) and sends them here, except the forward passes
//! whose inner dimension is 8 or more or whose output has fewer than 8 columns, which are
//! row-by-row dot products (`products::dot`).
//!
//! Why blocks: each output row is cut into blocks of [`BLOCK`] columns whose running sums
//! live in a fixed-size array, which the compiler keeps in one or two vector registers from
//! the first term to the last. The previous kernels called a slice `axpy` once per term,
//! which loaded and stored the output row every time and paid a variable-length loop's
//! set-up on rows of 32 elements: on the 2→32→1 net that was most of the step's
//! instructions. Every sum is still formed in the same order as the plain loop states it
//! (the start value, then the terms one after another), so results are the same bits.

use crate::float::Float;

/// Output columns summed together in registers: one AVX-512 register of f32, two of f64
/// (two and four with AVX2).
pub const BLOCK: usize = 16;

/// `y[l] += alpha · x[l]` over a block (the inner step of both kernels).
#[inline(always)]
fn add_scaled<F: Float>(acc: &mut [F; BLOCK], alpha: F, x: &[F]) {
    let x: &[F; BLOCK] = x[..BLOCK].try_into().expect("a block of BLOCK elements");
    for (s, &v) in acc.iter_mut().zip(x) {
        *s += alpha * v;
    }
}

/// `y += alpha · x` on the few columns after the last full block.
#[inline(always)]
fn add_scaled_tail<F: Float>(y: &mut [F], alpha: F, x: &[F]) {
    for (s, &v) in y.iter_mut().zip(x) {
        *s += alpha * v;
    }
}

/// `c[i, :] = init + Σ_t a[i, t] · b[t, :]` for every row `i`: the terms are added in `t`
/// order to `init` (a bias), or to zero. A Linear layer's forward pass on a 2-feature input
/// (with `b = Wᵀ`) and its input gradient (`dY·W`).
///
/// # Shapes
/// `a`: `[m, k]`, `b`: `[k, n]`, `init`: `[n]`, `c`: `[m, n]`; `k ≥ 1`, `n ≥ 1`.
#[inline(always)]
pub fn rows_combine<F: Float>(
    a: &[F],
    b: &[F],
    init: Option<&[F]>,
    c: &mut [F],
    (k, n): (usize, usize),
) {
    // The chapter's nets take the first two: a 2-feature input's forward pass, and the input
    // gradient of a 1-logit output layer.
    match k {
        1 => rows_combine_fixed::<F, 1>(a, b, init, c, n),
        2 => rows_combine_fixed::<F, 2>(a, b, init, c, n),
        _ => rows_combine_any(a, b, init, c, (k, n)),
    }
}

/// [`rows_combine`] for a `k` known at compile time: block by block, the `K` rows of `b`'s
/// block and the block's start values are loaded once and serve every row of `a`, so a row
/// costs `K` broadcasts, multiplies and adds per block and one store.
#[inline(always)]
fn rows_combine_fixed<F: Float, const K: usize>(
    a: &[F],
    b: &[F],
    init: Option<&[F]>,
    c: &mut [F],
    n: usize,
) {
    let full = n / BLOCK * BLOCK;
    for j in (0..full).step_by(BLOCK) {
        let rows: [[F; BLOCK]; K] = std::array::from_fn(|t| {
            b[t * n + j..t * n + j + BLOCK]
                .try_into()
                .expect("a block of b")
        });
        let start = block_start(init, j);
        for (ar, cr) in a.chunks_exact(K).zip(c.chunks_exact_mut(n)) {
            let mut acc = start;
            for (&x, row) in ar.iter().zip(&rows) {
                add_scaled(&mut acc, x, row);
            }
            cr[j..j + BLOCK].copy_from_slice(&acc);
        }
    }
    if full < n {
        for (ar, cr) in a.chunks_exact(K).zip(c.chunks_exact_mut(n)) {
            combine_tail(ar, b, init, &mut cr[full..], (n, full));
        }
    }
}

/// [`rows_combine`] for any `k`: row by row, block by block.
#[inline(always)]
fn rows_combine_any<F: Float>(
    a: &[F],
    b: &[F],
    init: Option<&[F]>,
    c: &mut [F],
    (k, n): (usize, usize),
) {
    let full = n / BLOCK * BLOCK;
    for (ar, cr) in a.chunks_exact(k).zip(c.chunks_exact_mut(n)) {
        for j in (0..full).step_by(BLOCK) {
            let mut acc = block_start(init, j);
            for (&x, br) in ar.iter().zip(b.chunks_exact(n)) {
                add_scaled(&mut acc, x, &br[j..]);
            }
            cr[j..j + BLOCK].copy_from_slice(&acc);
        }
        if full < n {
            combine_tail(ar, b, init, &mut cr[full..], (n, full));
        }
    }
}

/// The start values of the block of columns `j..j + BLOCK`: the bias's, or zeros.
#[inline(always)]
fn block_start<F: Float>(init: Option<&[F]>, j: usize) -> [F; BLOCK] {
    match init {
        Some(v) => v[j..j + BLOCK].try_into().expect("a block of the bias"),
        None => [F::zero(); BLOCK],
    }
}

/// One row's columns from `full` on (fewer than a block): `init` plus the terms in order.
#[inline(always)]
fn combine_tail<F: Float>(
    ar: &[F],
    b: &[F],
    init: Option<&[F]>,
    tail: &mut [F],
    (n, full): (usize, usize),
) {
    match init {
        Some(v) => tail.copy_from_slice(&v[full..]),
        None => tail.fill(F::zero()),
    }
    for (&x, br) in ar.iter().zip(b.chunks_exact(n)) {
        add_scaled_tail(tail, x, &br[full..]);
    }
}

/// `c[r, :] = Σ_i x[i, r] · y[i, :]`, that is `c = xᵀ·y`, each sum started at zero and taken
/// over the rows `i` in order: a Linear layer's weight gradient `dYᵀ·X` (or its transpose,
/// when the input has fewer features than the output).
///
/// # Shapes
/// `x`: `[m, p]`, `y`: `[m, q]`, `c`: `[p, q]`; `p ≥ 1`, `q ≥ 1`.
#[inline(always)]
pub fn transposed_combine<F: Float>(x: &[F], y: &[F], c: &mut [F], (p, q): (usize, usize)) {
    let full = q / BLOCK * BLOCK;
    for (r, cr) in c.chunks_exact_mut(q).enumerate().take(p) {
        for j in (0..full).step_by(BLOCK) {
            let mut acc = [F::zero(); BLOCK];
            for (xr, yr) in x.chunks_exact(p).zip(y.chunks_exact(q)) {
                add_scaled(&mut acc, xr[r], &yr[j..]);
            }
            cr[j..j + BLOCK].copy_from_slice(&acc);
        }
        if full < q {
            let tail = &mut cr[full..];
            tail.fill(F::zero());
            for (xr, yr) in x.chunks_exact(p).zip(y.chunks_exact(q)) {
                add_scaled_tail(tail, xr[r], &yr[full..]);
            }
        }
    }
}

/// `out[j] = Σ_i a[i, j]`, each sum started at zero and taken over the rows in order (a
/// bias gradient).
///
/// # Shapes
/// `a`: `[m, n]` row-major, `out`: `[n]`; `n ≥ 1`.
#[inline(always)]
pub fn column_sums<F: Float>(a: &[F], out: &mut [F]) {
    let n = out.len();
    let full = n / BLOCK * BLOCK;
    for j in (0..full).step_by(BLOCK) {
        let mut acc = [F::zero(); BLOCK];
        for r in a.chunks_exact(n) {
            let v: &[F; BLOCK] = r[j..j + BLOCK].try_into().expect("a block of the row");
            for (s, &x) in acc.iter_mut().zip(v) {
                *s += x;
            }
        }
        out[j..j + BLOCK].copy_from_slice(&acc);
    }
    if full < n {
        let tail = &mut out[full..];
        tail.fill(F::zero());
        for r in a.chunks_exact(n) {
            for (s, &x) in tail.iter_mut().zip(&r[full..]) {
                *s += x;
            }
        }
    }
}
