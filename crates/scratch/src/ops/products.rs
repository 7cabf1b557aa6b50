//! The three matrix products underneath every dense layer: `a·bᵀ` ([`matmul_nt`]), `aᵀ·b`
//! ([`matmul_tn`]) and `a·b` ([`matmul_nn`]), with the loop kernels for small shapes
//! (`ops/small.rs`, and [`dot`] here) and the crate's GEMM (`ops/gemm`) for large ones; and
//! [`col_sums`], a bias gradient.

use ndarray::{ArrayView2, ArrayViewMut2};

use super::buf::Workspace;
use super::gemm::gemm;
use super::simd::simd;
use super::small::{column_sums, rows_combine, transposed_combine};
use super::tally::{count_gemm, count_product};
use crate::float::Float;

/// Products with at most this many multiply-adds run in the loop kernels below.
const SMALL_MACS: usize = 1 << 15;

/// Whether an `[m, k]·[k, n]` product goes to the loop kernels: small ones, and those with a
/// dimension under 4 (a 1-logit output layer), where a GEMM would fill its 16-wide register
/// tiles with padding and pack a whole operand for a matrix-vector product.
fn small(m: usize, k: usize, n: usize) -> bool {
    m * k * n <= SMALL_MACS || m.min(k).min(n) < 4
}

/// The kernel the large products run with in this process, so that a benchmark can say which
/// one it timed: the crate's own micro-kernel (`ops/gemm`, its tile in f32 and f64, and the
/// thread count), or matrixmultiply when the CPU has neither AVX-512F nor AVX2+FMA or
/// `TWIN_NETS_GEMM=matrixmultiply` asks for it.
pub fn gemm_kernel() -> String {
    use super::gemm::{family, threads};
    let shapes = |tiles: Vec<String>| tiles.join(" or ");
    let (s, d) = (family::<f32>(), family::<f64>());
    match (s.first(), d.first()) {
        (Some(first), Some(_)) => format!(
            "twin-nets GEMM, {} micro-kernels ({} f32, {} f64), up to {} threads",
            first.name,
            shapes(s.iter().map(|k| format!("{}×{}", k.mr, k.nr)).collect()),
            shapes(d.iter().map(|k| format!("{}×{}", k.mr, k.nr)).collect()),
            threads()
        ),
        _ => "matrixmultiply 0.3 (its own runtime choice of kernel)".into(),
    }
}

/// Writes the transpose of the row-major `[rows, cols]` matrix `src` into `dst` (`[cols, rows]`).
#[inline(always)]
pub fn transpose_into<F: Float>(src: &[F], rows: usize, cols: usize, dst: &mut [F]) {
    for (i, row) in src.chunks_exact(cols).take(rows).enumerate() {
        for (j, &v) in row.iter().enumerate() {
            dst[j * rows + i] = v;
        }
    }
}

/// `y += alpha · x` (a building block kept for callers outside the products, which now run in
/// the blocked kernels of `ops/small.rs`; it vectorises).
#[inline(always)]
pub fn axpy<F: Float>(alpha: F, x: &[F], y: &mut [F]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// `Σ a_i b_i` with eight independent accumulators, so the compiler can keep them in SIMD
/// lanes (a single running sum would force one add after another). The eight lanes are
/// folded as `((s0+s4) + (s1+s5)) + ((s2+s6) + (s3+s7))`: first the two halves lane by lane,
/// which is one vector add, then the four sums in pairs.
#[inline(always)]
pub fn dot<F: Float>(a: &[F], b: &[F]) -> F {
    let n8 = a.len().min(b.len()) / 8 * 8;
    let mut acc = [F::zero(); 8];
    for (ca, cb) in a[..n8].chunks_exact(8).zip(b[..n8].chunks_exact(8)) {
        let ca: &[F; 8] = ca.try_into().expect("a chunk of 8");
        let cb: &[F; 8] = cb.try_into().expect("a chunk of 8");
        for l in 0..8 {
            acc[l] += ca[l] * cb[l];
        }
    }
    // An optimisation barrier: seeing the fold below, LLVM's SLP vectoriser otherwise splits
    // the accumulators into even and odd lanes and shuffles every product in the loop (15
    // instructions per 8 terms instead of 4 on the 2→32→1 net's output layer).
    let acc = std::hint::black_box(acc);
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (&x, &y) in a[n8..].iter().zip(&b[n8..]) {
        s += x * y;
    }
    s
}

/// `out[j] = Σ_i a[i, j]` (a bias gradient).
///
/// # Shapes
/// `a`: `[m, n]`, `out`: `[n]`.
pub fn col_sums<F: Float>(a: ArrayView2<'_, F>, out: &mut [F]) {
    out.fill(F::zero());
    match a.as_slice() {
        Some(s) if !out.is_empty() => simd(
            #[inline(always)]
            || column_sums(s, out),
        ),
        _ => a
            .rows()
            .into_iter()
            .for_each(|r| out.iter_mut().zip(r.iter()).for_each(|(o, &v)| *o += v)),
    }
}

/// `c = a · bᵀ (+ bias on every row)`: a Linear layer's forward pass `x·Wᵀ + b`.
///
/// `work` holds `bᵀ` when the inner dimension is tiny (a 2-feature input), so that the
/// inner loop runs along the long output row instead of two-element dot products.
///
/// # Shapes
/// `a`: `[m, k]`, `b`: `[n, k]`, `bias`: `[n]`, `c`: `[m, n]`.
pub fn matmul_nt<F: Float>(
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    bias: Option<&[F]>,
    mut c: ArrayViewMut2<'_, F>,
    work: &mut Workspace<F>,
) {
    let (m, k, n) = (a.nrows(), a.ncols(), b.nrows());
    debug_assert_eq!((b.ncols(), c.dim()), (k, (m, n)));
    count_product(m, k, n);
    if let (true, Some(sa), Some(sb)) = (small(m, k, n), a.as_slice(), b.as_slice()) {
        if let Some(sc) = c.as_slice_mut() {
            return simd(
                #[inline(always)]
                || nt_small(sa, sb, bias, sc, (m, k, n), &mut work.0),
            );
        }
    }
    if let Some(bias) = bias {
        c.rows_mut()
            .into_iter()
            .for_each(|mut r| r.iter_mut().zip(bias).for_each(|(o, &v)| *o = v));
    }
    count_gemm();
    gemm(a, b.t(), bias.is_some(), c);
}

#[inline(always)]
fn nt_small<F: Float>(
    a: &[F],
    b: &[F],
    bias: Option<&[F]>,
    c: &mut [F],
    (_, k, n): (usize, usize, usize),
    bt: &mut Vec<F>,
) {
    if k == 0 || n == 0 {
        c.iter_mut()
            .enumerate()
            .for_each(|(i, o)| *o = bias.map_or(F::zero(), |b| b[i % n.max(1)]));
        return;
    }
    if k < 8 && n >= 8 {
        // bᵀ is [k, n]; each output row is the bias plus k scaled rows of bᵀ.
        bt.resize(k * n, F::zero());
        transpose_into(b, n, k, bt);
        rows_combine(a, bt, bias, c, (k, n));
    } else {
        for (ar, cr) in a.chunks_exact(k).zip(c.chunks_exact_mut(n)) {
            for (j, (o, br)) in cr.iter_mut().zip(b.chunks_exact(k)).enumerate() {
                *o = bias.map_or(F::zero(), |bias| bias[j]) + dot(ar, br);
            }
        }
    }
}

/// `c = aᵀ · b`: a Linear layer's weight gradient `dW = dYᵀ·X`.
///
/// `work` holds `cᵀ` when `c` has very few columns (a 2-feature input), for the same
/// reason as in [`matmul_nt`].
///
/// # Shapes
/// `a`: `[m, p]`, `b`: `[m, q]`, `c`: `[p, q]`.
pub fn matmul_tn<F: Float>(
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    mut c: ArrayViewMut2<'_, F>,
    work: &mut Workspace<F>,
) {
    let (m, p, q) = (a.nrows(), a.ncols(), b.ncols());
    debug_assert_eq!((b.nrows(), c.dim()), (m, (p, q)));
    count_product(p, m, q);
    if let (true, Some(sa), Some(sb)) = (small(p, m, q), a.as_slice(), b.as_slice()) {
        if let Some(sc) = c.as_slice_mut() {
            return simd(
                #[inline(always)]
                || tn_small(sa, sb, sc, (m, p, q), &mut work.0),
            );
        }
    }
    count_gemm();
    gemm(a.t(), b, false, c);
}

#[inline(always)]
fn tn_small<F: Float>(
    a: &[F],
    b: &[F],
    c: &mut [F],
    (_, p, q): (usize, usize, usize),
    ct: &mut Vec<F>,
) {
    if p == 0 || q == 0 {
        return;
    }
    if q < 8 && p > q {
        // Accumulate cᵀ [q, p] along the long a-rows, then transpose into c.
        ct.resize(q * p, F::zero());
        transposed_combine(b, a, ct, (q, p));
        transpose_into(ct, q, p, c);
    } else {
        transposed_combine(a, b, c, (p, q));
    }
}

/// `c = a · b`: a Linear layer's input gradient `dX = dY·W`.
///
/// # Shapes
/// `a`: `[m, k]`, `b`: `[k, n]`, `c`: `[m, n]`.
pub fn matmul_nn<F: Float>(
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    mut c: ArrayViewMut2<'_, F>,
) {
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    debug_assert_eq!((b.nrows(), c.dim()), (k, (m, n)));
    count_product(m, k, n);
    if let (true, Some(sa), Some(sb)) = (small(m, k, n), a.as_slice(), b.as_slice()) {
        if let (Some(sc), true) = (c.as_slice_mut(), n > 0) {
            if k == 0 {
                sc.fill(F::zero());
                return;
            }
            return simd(
                #[inline(always)]
                || rows_combine(sa, sb, None, sc, (k, n)),
            );
        }
    }
    count_gemm();
    gemm(a, b, false, c);
}
