//! Transposing packs for f32 on x86-64: `dst[p·width + l] = src[l·stride + p]`, the packing
//! of an operand whose `k` runs along its rows (a forward pass `x·Wᵀ` reads both `x` and `W`
//! that way), done as in-register transposes of 16 × 16 (AVX-512F) or 8 × 8 (AVX2) blocks.
//!
//! Why: packed one element at a time, such an operand costs about one cycle per element, a
//! quarter of a 128-row forward product's time on an AVX-512 core; a block transpose moves
//! 16 elements per load and store.

use std::arch::x86_64::*;

/// `dst[p·width + l] = src[l·stride + p]` for `l < lines`, `p < kc`; zeros for
/// `lines ≤ l < width`.
///
/// # Safety
/// The CPU has AVX-512F; `src` is valid for `lines` rows of `kc` at `stride`; `dst` for
/// `kc · width` values.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn transpose_pack_avx512_f32(
    src: *const f32,
    stride: usize,
    lines: usize,
    kc: usize,
    dst: *mut f32,
    width: usize,
) {
    if width <= 8 {
        // An 8-row panel: 8 × 8 blocks waste no shuffles.
        return transpose_pack_avx2_f32(src, stride, lines, kc, dst, width);
    }
    for l0 in (0..width).step_by(16) {
        let live = lines.saturating_sub(l0).min(16);
        let out_mask: __mmask16 = if width - l0 >= 16 {
            0xffff
        } else {
            (1 << (width - l0)) - 1
        };
        for p0 in (0..kc).step_by(16) {
            let np = (kc - p0).min(16);
            let in_mask: __mmask16 = if np == 16 { 0xffff } else { (1 << np) - 1 };
            let mut r = [_mm512_setzero_ps(); 16];
            for (l, r) in r.iter_mut().enumerate().take(live) {
                *r = _mm512_maskz_loadu_ps(in_mask, src.add((l0 + l) * stride + p0));
            }
            transpose16(&mut r);
            for (q, &v) in r.iter().enumerate().take(np) {
                _mm512_mask_storeu_ps(dst.add((p0 + q) * width + l0), out_mask, v);
            }
        }
    }
}

/// Transposes the 16 × 16 block held in `r` (row `i` in `r[i]`) in place: three rounds of
/// shuffles (pairs of rows, pairs of pairs, then 128-bit lanes).
#[target_feature(enable = "avx512f")]
fn transpose16(r: &mut [__m512; 16]) {
    let mut t = [_mm512_setzero_ps(); 16];
    for i in 0..8 {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    // u[4g + e]: rows 4g..4g+4 of column 4·lane + e, in each 128-bit lane.
    let mut u = [_mm512_setzero_ps(); 16];
    for g in 0..4 {
        let pd = |v: __m512| _mm512_castps_pd(v);
        let (a0, a1, b0, b1) = (
            pd(t[4 * g]),
            pd(t[4 * g + 1]),
            pd(t[4 * g + 2]),
            pd(t[4 * g + 3]),
        );
        u[4 * g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, b0));
        u[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, b0));
        u[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(a1, b1));
        u[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(a1, b1));
    }
    for e in 0..4 {
        let v_even = _mm512_shuffle_f32x4::<0x88>(u[e], u[4 + e]);
        let v_odd = _mm512_shuffle_f32x4::<0xdd>(u[e], u[4 + e]);
        let w_even = _mm512_shuffle_f32x4::<0x88>(u[8 + e], u[12 + e]);
        let w_odd = _mm512_shuffle_f32x4::<0xdd>(u[8 + e], u[12 + e]);
        r[e] = _mm512_shuffle_f32x4::<0x88>(v_even, w_even);
        r[8 + e] = _mm512_shuffle_f32x4::<0xdd>(v_even, w_even);
        r[4 + e] = _mm512_shuffle_f32x4::<0x88>(v_odd, w_odd);
        r[12 + e] = _mm512_shuffle_f32x4::<0xdd>(v_odd, w_odd);
    }
}

/// The lanes `0..n` of an AVX2 vector, as a mask for `maskload`/`maskstore`.
#[target_feature(enable = "avx2")]
fn lanes(n: usize) -> __m256i {
    _mm256_cmpgt_epi32(
        _mm256_set1_epi32(n as i32),
        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
    )
}

/// [`transpose_pack_avx512_f32`] with AVX2 (8 × 8 blocks).
///
/// # Safety
/// The CPU has AVX2; the pointers as for [`transpose_pack_avx512_f32`].
#[target_feature(enable = "avx2")]
pub(super) unsafe fn transpose_pack_avx2_f32(
    src: *const f32,
    stride: usize,
    lines: usize,
    kc: usize,
    dst: *mut f32,
    width: usize,
) {
    for l0 in (0..width).step_by(8) {
        let live = lines.saturating_sub(l0).min(8);
        let out = (width - l0).min(8);
        for p0 in (0..kc).step_by(8) {
            let np = (kc - p0).min(8);
            let mut r = [_mm256_setzero_ps(); 8];
            for (l, r) in r.iter_mut().enumerate().take(live) {
                *r = load_lanes(src.add((l0 + l) * stride + p0), np);
            }
            transpose8(&mut r);
            for (q, &v) in r.iter().enumerate().take(np) {
                store_lanes(dst.add((p0 + q) * width + l0), v, out);
            }
        }
    }
}

/// The first `n` (1–8) values at `src`, zeros after them. A full vector is a plain load:
/// `vmaskmovps` is slow on some cores, where the pack would cost a tenth of a product.
#[target_feature(enable = "avx2")]
unsafe fn load_lanes(src: *const f32, n: usize) -> __m256 {
    if n == 8 {
        _mm256_loadu_ps(src)
    } else {
        _mm256_maskload_ps(src, lanes(n))
    }
}

/// Stores the first `n` (1–8) lanes of `v` at `dst`. Eight lanes, and the six of an AVX2
/// kernel's 6-row panel, are plain stores: a masked store (`vmaskmovps`) is microcoded on AMD's
/// Zen cores, and with one per row of a packed panel the pack took 28 % of the f32 kernel's
/// time on a Zen 3 (14 % with plain stores; docs/PERFORMANCE.md, "AMD EPYC").
#[target_feature(enable = "avx2")]
unsafe fn store_lanes(dst: *mut f32, v: __m256, n: usize) {
    match n {
        8 => _mm256_storeu_ps(dst, v),
        6 => {
            _mm_storeu_ps(dst, _mm256_castps256_ps128(v));
            let high = _mm_castps_si128(_mm256_extractf128_ps::<1>(v));
            _mm_storel_epi64(dst.add(4).cast(), high);
        }
        _ => _mm256_maskstore_ps(dst, lanes(n), v),
    }
}

/// Transposes the 8 × 8 block held in `r` in place (pairs, pairs of pairs, 128-bit halves).
#[target_feature(enable = "avx2")]
fn transpose8(r: &mut [__m256; 8]) {
    let mut t = [_mm256_setzero_ps(); 8];
    for i in 0..4 {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    let mut u = [_mm256_setzero_ps(); 8];
    for g in 0..2 {
        let (a0, a1, b0, b1) = (t[4 * g], t[4 * g + 1], t[4 * g + 2], t[4 * g + 3]);
        u[4 * g] = _mm256_shuffle_ps::<0x44>(a0, b0);
        u[4 * g + 1] = _mm256_shuffle_ps::<0xee>(a0, b0);
        u[4 * g + 2] = _mm256_shuffle_ps::<0x44>(a1, b1);
        u[4 * g + 3] = _mm256_shuffle_ps::<0xee>(a1, b1);
    }
    for e in 0..4 {
        r[e] = _mm256_permute2f128_ps::<0x20>(u[e], u[4 + e]);
        r[4 + e] = _mm256_permute2f128_ps::<0x31>(u[e], u[4 + e]);
    }
}
