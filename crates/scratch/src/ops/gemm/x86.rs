//! The GEMM micro-kernels for x86-64, written with `std::arch`: each computes one `MR × NR`
//! tile of `C` as a sum of `kc` outer products of a packed column of `A` (`MR` values) and a
//! packed row of `B` (`NR` values), in `MR × NR/lanes` vector accumulators that stay in
//! registers for the whole sum. AVX-512F (tiles of 12 × 2 and 8 × 3 vectors) and AVX2+FMA
//! (6 × 2 vectors), each for f32 and f64.
//!
//! Why these tile sizes: a tile must leave registers for the row of `B` it reuses `MR` times,
//! and wider tiles mean fewer loads per multiply-add. AVX-512 has 32 vector registers, so
//! 12 rows × 2 vectors = 24 accumulators (+ 2 for `B`), or 8 × 3 (+ 3) for products of 32 or
//! 64 rows, which 12-row tiles would pad by an eighth; AVX2 has 16, so 6 × 2 = 12 (+ 2). Each
//! value of `A` is broadcast straight from memory into the multiply-add (`{1to16}`), so it
//! needs no register of its own.

use std::arch::x86_64::*;

use super::x86_pack::{transpose_pack_avx2_f32, transpose_pack_avx512_f32};

/// Defines one micro-kernel. Safety contract of the generated function (checked by the
/// driver, `gemm/driver.rs`): the CPU has the target features; `a` holds `kc · MR` values
/// packed as the driver packs them; `b` holds `kc` rows of `NR` values, `ldb` apart (a packed
/// panel, `ldb = NR`, or `B` itself when its rows are contiguous); `c` points at an
/// `MR × NR` tile of a row-major matrix with row stride `ldc`, valid for reads (when
/// `accumulate`) and writes in its first `rows ≤ MR` rows (the others are computed, not stored).
macro_rules! microkernel {
    ($name:ident, $feat:literal, $t:ty, $lanes:literal, $mr:literal, $nv:literal,
     $zero:ident, $set1:ident, $load:ident, $store:ident, $fma:ident, $add:ident) => {
        /// `C[tile] (+)= Σ_p a[p] ⊗ b[p]` over `kc` packed columns of `A` and rows of `B`,
        /// stored in the tile's first `rows` rows.
        ///
        /// # Shapes
        /// `a`: `[kc, MR]` packed, `b`: `[kc, NR]` with row stride `ldb` (`NR = nv · lanes`), `c`: an
        /// `[MR, NR]` tile with row stride `ldc`.
        ///
        /// # Safety
        /// See the macro's contract above.
        // Eight plain arguments, passed in registers: the BLIS micro-kernel's signature.
        #[allow(clippy::too_many_arguments)]
        #[target_feature(enable = $feat)]
        pub(super) unsafe fn $name(
            kc: usize,
            a: *const $t,
            b: *const $t,
            ldb: usize,
            c: *mut $t,
            ldc: usize,
            rows: usize,
            accumulate: bool,
        ) {
            let mut acc = [[$zero(); $nv]; $mr];
            for p in 0..kc {
                let row = b.add(p * ldb);
                let mut bv = [$zero(); $nv];
                for (h, v) in bv.iter_mut().enumerate() {
                    *v = $load(row.add(h * $lanes));
                }
                let col = a.add(p * $mr);
                for (i, acc) in acc.iter_mut().enumerate() {
                    let ai = $set1(*col.add(i));
                    for (acc, &bv) in acc.iter_mut().zip(&bv) {
                        *acc = $fma(ai, bv, *acc);
                    }
                }
            }
            for (i, acc) in acc.iter().enumerate().take(rows) {
                for (h, &v) in acc.iter().enumerate() {
                    let out = c.add(i * ldc + h * $lanes);
                    let v = if accumulate { $add($load(out), v) } else { v };
                    $store(out, v);
                }
            }
        }
    };
}

microkernel!(
    avx512_f32,
    "avx512f",
    f32,
    16,
    12,
    2,
    _mm512_setzero_ps,
    _mm512_set1_ps,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_fmadd_ps,
    _mm512_add_ps
);
microkernel!(
    avx512_f64,
    "avx512f",
    f64,
    8,
    12,
    2,
    _mm512_setzero_pd,
    _mm512_set1_pd,
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    _mm512_fmadd_pd,
    _mm512_add_pd
);
microkernel!(
    avx2_f32,
    "avx2,fma",
    f32,
    8,
    6,
    2,
    _mm256_setzero_ps,
    _mm256_set1_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_fmadd_ps,
    _mm256_add_ps
);
microkernel!(
    avx2_f64,
    "avx2,fma",
    f64,
    4,
    6,
    2,
    _mm256_setzero_pd,
    _mm256_set1_pd,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    _mm256_fmadd_pd,
    _mm256_add_pd
);

microkernel!(
    avx512_f32_8x48,
    "avx512f",
    f32,
    16,
    8,
    3,
    _mm512_setzero_ps,
    _mm512_set1_ps,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_fmadd_ps,
    _mm512_add_ps
);
microkernel!(
    avx512_f64_8x24,
    "avx512f",
    f64,
    8,
    8,
    3,
    _mm512_setzero_pd,
    _mm512_set1_pd,
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    _mm512_fmadd_pd,
    _mm512_add_pd
);

/// The kernels this CPU can run for one element type, best first.
macro_rules! kernels_for {
    ($fn_name:ident, $t:ty, $avx512:ident, $avx512_8:ident, $avx2:ident, $tr512:expr, $tr2:expr) => {
        /// The micro-kernels this CPU supports for this element type, by instruction set,
        /// fastest set first; within a set, its tile shapes (the driver picks the one that
        /// pads a product least: 8 rows suit a 32- or 64-row product better than 12).
        pub(super) fn $fn_name() -> Vec<super::Kernel<$t>> {
            let mut found = Vec::new();
            if std::arch::is_x86_feature_detected!("avx512f") {
                found.push(super::Kernel {
                    name: "AVX-512F",
                    key: "avx512",
                    mr: 12,
                    nr: 2 * 64 / std::mem::size_of::<$t>(),
                    run: $avx512,
                    transpose: $tr512,
                });
                found.push(super::Kernel {
                    name: "AVX-512F",
                    key: "avx512",
                    mr: 8,
                    nr: 3 * 64 / std::mem::size_of::<$t>(),
                    run: $avx512_8,
                    transpose: $tr512,
                });
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                found.push(super::Kernel {
                    name: "AVX2+FMA",
                    key: "avx2",
                    mr: 6,
                    nr: 2 * 32 / std::mem::size_of::<$t>(),
                    run: $avx2,
                    transpose: $tr2,
                });
            }
            found
        }
    };
}

kernels_for!(
    kernels_f32,
    f32,
    avx512_f32,
    avx512_f32_8x48,
    avx2_f32,
    Some(transpose_pack_avx512_f32),
    Some(transpose_pack_avx2_f32)
);
kernels_for!(
    kernels_f64,
    f64,
    avx512_f64,
    avx512_f64_8x24,
    avx2_f64,
    None,
    None
);
