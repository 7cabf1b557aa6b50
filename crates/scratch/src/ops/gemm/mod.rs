//! The large matrix products: [`gemm`], `C = A·B (+ C)`, with this crate's own micro-kernels
//! (AVX-512F or AVX2+FMA, `gemm/x86.rs`) under a packing and threading driver
//! (`gemm/driver.rs`); on a CPU without either, ndarray's GEMM (matrixmultiply).
//!
//! Why our own: on an AVX-512 Xeon, matrixmultiply reached about half of what libtorch's MKL
//! gets on the same shapes (docs/PERFORMANCE.md), and the products are most of a wide net's
//! step. The kernel in use is chosen once per process: the best the CPU has, or the one named
//! by `TWIN_NETS_GEMM` (`avx512`, `avx2`, `matrixmultiply`), so that a benchmark can time them
//! side by side and a test can check each on one machine.
//!
//! This module's `unsafe` code is the SIMD kernels and the raw-pointer packing and tiling
//! under them. It is sound because the kernels run only where the CPU reports their features;
//! every pointer comes from an ndarray view whose shape and (non-negative) strides the entry
//! point checks; the packing buffer has the length the plan computes; and the threads of a
//! product write disjoint regions and are joined before the product returns.
#![allow(unsafe_code)]

mod driver;
#[cfg(target_arch = "x86_64")]
mod x86;
#[cfg(target_arch = "x86_64")]
mod x86_pack;

use std::cell::RefCell;
use std::sync::OnceLock;

use super::pool::{run_parts, MAX_PARTS};
use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2, LinalgScalar};

use driver::{Mat, Plan};

/// Products with fewer multiply-adds than this run on one thread: waking a second one costs
/// microseconds, as much as the product itself.
const PARALLEL_MACS: usize = 1 << 20;

/// `(kc, a_panel, b_panel, ldb, c_tile, ldc, rows, accumulate)`: one tile's products.
type MicroKernel<T> = unsafe fn(usize, *const T, *const T, usize, *mut T, usize, usize, bool);
/// `(src, stride, lines, kc, dst, width)`: a block-transposing pack.
type TransposePack<T> = unsafe fn(*const T, usize, usize, usize, *mut T, usize);

/// A micro-kernel: `C[MR×NR tile] (+)= Apanel·Bpanel` over `kc` packed steps.
pub struct Kernel<T> {
    /// Its instruction set, for messages (`AVX-512F`).
    pub name: &'static str,
    /// Its name in `TWIN_NETS_GEMM` (`avx512`, `avx2`).
    pub key: &'static str,
    /// Rows of its tile.
    pub mr: usize,
    /// Columns of its tile.
    pub nr: usize,
    /// See `gemm/x86.rs`.
    run: MicroKernel<T>,
    /// The block-transposing pack for operands whose `k` runs along their rows
    /// `(src, stride, lines, kc, dst, width)`; see `gemm/x86_pack.rs`. `None`: element by element.
    transpose: Option<TransposePack<T>>,
}

/// A scalar the products have micro-kernels for (`f32`, `f64`).
pub trait Element: LinalgScalar + Send + Sync + 'static {
    /// Zero, for padding.
    const ZERO: Self;
    /// The kernels this CPU runs for this type, fastest first (empty off x86-64).
    fn kernels() -> &'static [Kernel<Self>];
    /// Runs `f` with this thread's scratch buffer for a flipped product's `Cᵀ`, `len` long.
    fn with_buffer<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R;
    /// Runs `f` with this thread's packing buffer, `len` long.
    fn with_packing<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R;
}

/// Runs `f` on the first `len` values of `cell`'s vector, grown as needed (a fresh vector
/// if the cell is already borrowed, which the entry points never do).
fn borrowed<T: Element, R>(cell: &RefCell<Vec<T>>, len: usize, f: impl FnOnce(&mut [T]) -> R) -> R {
    match cell.try_borrow_mut() {
        Ok(mut buf) => {
            if buf.len() < len {
                buf.resize(len, T::ZERO);
            }
            f(&mut buf[..len])
        }
        Err(_) => f(&mut vec![T::ZERO; len]),
    }
}

macro_rules! element {
    ($t:ty, $kernels:ident, $buffer:ident, $packing:ident) => {
        thread_local! {
            static $buffer: RefCell<Vec<$t>> = const { RefCell::new(Vec::new()) };
            static $packing: RefCell<Vec<$t>> = const { RefCell::new(Vec::new()) };
        }
        impl Element for $t {
            const ZERO: Self = 0.0;
            fn kernels() -> &'static [Kernel<Self>] {
                static KERNELS: OnceLock<Vec<Kernel<$t>>> = OnceLock::new();
                #[cfg(target_arch = "x86_64")]
                return KERNELS.get_or_init(x86::$kernels);
                #[cfg(not(target_arch = "x86_64"))]
                return KERNELS.get_or_init(Vec::new);
            }
            fn with_buffer<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R {
                $buffer.with(|cell| borrowed(cell, len, f))
            }
            fn with_packing<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R {
                $packing.with(|cell| borrowed(cell, len, f))
            }
        }
    };
}

element!(f32, kernels_f32, FLIP_F32, PACK_F32);
element!(f64, kernels_f64, FLIP_F64, PACK_F64);

/// The kernels products of this type run with: the instruction set `TWIN_NETS_GEMM` names if
/// this CPU has it (`avx512`, `avx2`; `matrixmultiply` names none: empty), else the fastest
/// the CPU has; one kernel per tile shape. The variable is read once per process.
pub fn family<T: Element>() -> &'static [Kernel<T>] {
    static WANTED: OnceLock<String> = OnceLock::new();
    let wanted = WANTED.get_or_init(|| {
        let v = std::env::var("TWIN_NETS_GEMM").unwrap_or_default();
        v.trim().to_ascii_lowercase().replace(['-', '_'], "")
    });
    let all = T::kernels();
    if wanted == "matrixmultiply" {
        return &[];
    }
    let key = match all.iter().find(|k| k.key == wanted.as_str()) {
        Some(k) => k.key,
        None => match all.first() {
            Some(k) => k.key,
            None => return &[],
        },
    };
    let start = all.iter().position(|k| k.key == key).unwrap_or(0);
    let len = all[start..].iter().take_while(|k| k.key == key).count();
    &all[start..start + len]
}

/// The first kernel of [`family`] (the one to name), if any.
pub fn chosen<T: Element>() -> Option<&'static Kernel<T>> {
    family::<T>().first()
}

/// The kernel [`gemm`] runs an `[m, k]·[k, n]` product with: the one of [`family`] whose
/// tiles pad the `[m, n]` result least, computed the way round [`flip`] chooses for it; the
/// first on a tie.
pub fn kernel_for<T: Element>(m: usize, n: usize) -> Option<&'static Kernel<T>> {
    family::<T>().iter().min_by_key(|k| {
        if flip(k, m, n) {
            padded(k, n, m)
        } else {
            padded(k, m, n)
        }
    })
}

/// The area of an `[m, n]` result rounded up to whole tiles of `kernel`.
fn padded<T>(kernel: &Kernel<T>, m: usize, n: usize) -> usize {
    m.next_multiple_of(kernel.mr) * n.next_multiple_of(kernel.nr)
}

/// Threads the large products use: `MATMUL_NUM_THREADS` (the variable matrixmultiply reads,
/// which `sweep` sets for its runs), else the number of CPUs; at most 4.
pub fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        std::env::var("MATMUL_NUM_THREADS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(cpus)
            .clamp(1, 4)
    })
}

/// `c = a·b`, or `c = a·b + c` when `accumulate` (a bias already in `c`).
///
/// # Shapes
/// `a`: `[m, k]`, `b`: `[k, n]`, `c`: `[m, n]`; any strides.
pub fn gemm<T: Element>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    accumulate: bool,
    c: ArrayViewMut2<'_, T>,
) {
    let kernel = kernel_for::<T>(a.nrows(), b.ncols());
    gemm_with(kernel, threads(), a, b, accumulate, c)
}

/// [`gemm`] with a given kernel (`None`: matrixmultiply) and thread count.
pub fn gemm_with<T: Element>(
    kernel: Option<&Kernel<T>>,
    threads: usize,
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    accumulate: bool,
    mut c: ArrayViewMut2<'_, T>,
) {
    let ((m, k), n) = (a.dim(), b.ncols());
    assert_eq!(
        (b.nrows(), c.dim()),
        (k, (m, n)),
        "gemm: shapes do not match"
    );
    let unsigned = |s: &[isize]| s.iter().all(|&x| x >= 0);
    let fits = unsigned(a.strides()) && unsigned(b.strides()) && unsigned(c.strides());
    let kernel = match kernel {
        Some(kernel) if fits && (c.strides()[1] == 1 || n <= 1) && m > 0 && n > 0 => kernel,
        _ => {
            let beta = if accumulate { T::one() } else { T::zero() };
            return general_mat_mul(T::one(), &a, &b, beta, &mut c);
        }
    };
    if k == 0 {
        if !accumulate {
            c.fill(T::ZERO);
        }
        return;
    }
    let mat = |v: &ArrayView2<'_, T>| Mat {
        ptr: v.as_ptr(),
        rs: v.strides()[0] as usize,
        cs: v.strides()[1] as usize,
    };
    let (am, bm) = (mat(&a), mat(&b));
    let (ldc, cp) = (c.strides()[0] as usize, c.as_mut_ptr());
    if !flip(kernel, m, n) {
        // SAFETY: `c` is the `[m, n]` matrix at `cp`, its rows `ldc` apart.
        return unsafe { product(kernel, threads, (am, bm), (m, k, n), (cp, ldc), accumulate) };
    }
    // `Cᵀ = Bᵀ·Aᵀ` into `[n, m]` scratch space, then added (or copied) into `C`.
    let flipped = |x: Mat<T>| Mat {
        ptr: x.ptr,
        rs: x.cs,
        cs: x.rs,
    };
    T::with_buffer(m * n, |ct| {
        let ctp = ct.as_mut_ptr();
        // SAFETY: `ct` holds `[n, m]` values, rows `m` apart.
        unsafe {
            product(
                kernel,
                threads,
                (flipped(bm), flipped(am)),
                (n, k, m),
                (ctp, m),
                false,
            )
        };
        for (i, mut row) in c.rows_mut().into_iter().enumerate() {
            for (j, o) in row.iter_mut().enumerate() {
                let v = ct[j * m + i];
                *o = if accumulate { *o + v } else { v };
            }
        }
    })
}

/// Whether `C = A·B` is better computed as `Cᵀ = Bᵀ·Aᵀ`: when the flipped product's result,
/// rounded up to whole tiles, is at most half the area of the unflipped one (a product with 9
/// columns fills 9 of a tile's 32 columns, but 9 of 12 rows flipped). The flip costs a pass
/// over `C` through a scratch buffer, which only such a gain pays for.
fn flip<T>(kernel: &Kernel<T>, m: usize, n: usize) -> bool {
    padded(kernel, n, m) * 2 <= padded(kernel, m, n)
}

/// The product itself: `c = a·b (+ c)` on up to `threads` threads.
///
/// # Safety
/// `a`, `b` are valid `[m, k]`, `[k, n]` matrices and `c` a row-major `[m, n]` one with
/// rows `ldc` apart; `m, k, n ≥ 1`; this thread's packing buffer is not borrowed.
unsafe fn product<T: Element>(
    kernel: &Kernel<T>,
    threads: usize,
    (am, bm): (Mat<T>, Mat<T>),
    (m, k, n): (usize, usize, usize),
    (cp, ldc): (*mut T, usize),
    accumulate: bool,
) {
    let plan = Plan::new(kernel, m, k, n);
    let wanted = if m * k * n >= PARALLEL_MACS {
        plan.parts(threads.min(MAX_PARTS))
    } else {
        1
    };
    let parts = wanted;
    let cp = cp as usize;
    let stride = plan.part_len().next_multiple_of(16);
    T::with_packing(parts * stride + 16, |buf| {
        // Start the packed panels on a 64-byte line, so that no vector load straddles two.
        let skip = buf.as_ptr().align_offset(64).min(16);
        let packed = buf[skip..].as_mut_ptr() as usize;
        let one = |i: usize| {
            // SAFETY: see the module header; `cp` and `packed` outlive the join below.
            unsafe {
                driver::part(
                    kernel,
                    &plan,
                    (am, bm),
                    (cp as *mut T, ldc),
                    (packed as *mut T).add(i * stride),
                    accumulate,
                    (i, parts),
                )
            }
        };
        let _on_workers = run_parts(parts, &one);
        #[cfg(test)]
        tests::PARALLEL_RUNS.with(|n| n.set(n.get() + _on_workers));
    });
}

#[cfg(test)]
mod tests;
