//! The GEMM driver: cuts `C = A·B` into the blocks and tiles the micro-kernels compute, packs
//! `A` and `B` into the order the kernels read them, and splits the work across threads.
//!
//! The layout follows the classic BLIS/GotoBLAS plan, reduced to the sizes a classifier meets
//! (a batch of 32–1024 rows, layers of up to a few thousand units):
//! - `k` is cut into blocks of at most [`KC`] so that one packed row-panel of `B`
//!   (`kc × NR`) stays in the L1 cache while the kernel sweeps the rows of `A` past it;
//! - `A` is packed in `MR`-row panels (`[kc][MR]`) once per `k` block, `B` in `NR`-column
//!   panels (`[kc][NR]`) one at a time just before use, zero-padded at the edges, so that every
//!   kernel call reads two contiguous streams;
//! - the threads compute disjoint sets of `C`'s tiles (a share of the columns, or of the rows
//!   when the columns are too few), each packing what it reads, each tile summing its `k`
//!   blocks in the same order whatever the thread count, so the result does not depend on how
//!   many threads ran.

use std::ops::Range;

use super::{Element, Kernel};

/// The largest `k` block: a packed `B` panel of 256 × 32 f32 is 32 KiB, inside the 48 KiB
/// L1 of current x86 cores, next to the `A` panel being streamed.
const KC: usize = 256;
/// Bytes of packed `A` one row block may fill, for it to stay in the L2 cache while the
/// column panels of `B` pass over it.
const A_BLOCK_BYTES: usize = 1 << 18;
/// The largest tile any kernel computes (12 × 32): an edge tile goes through a buffer this size.
const MAX_TILE: usize = 384;

/// A matrix in memory: element `(i, j)` is at `ptr + i·rs + j·cs`.
#[derive(Clone, Copy)]
pub(super) struct Mat<T> {
    pub ptr: *const T,
    pub rs: usize,
    pub cs: usize,
}

// SAFETY: a product's threads only read through a `Mat`, and the product outlives them.
unsafe impl<T: Sync> Send for Mat<T> {}
unsafe impl<T: Sync> Sync for Mat<T> {}

/// Raw pointers shared by the threads of one product; each writes only its own parts.
#[derive(Clone, Copy)]
struct Shared<T> {
    a: Mat<T>,
    b: Mat<T>,
    c: *mut T,
    ldc: usize,
}
// SAFETY: the threads of one product read `a` and `b` and write disjoint tiles of `c`, and
// the product waits for them all.
unsafe impl<T: Send> Send for Shared<T> {}
unsafe impl<T: Sync> Sync for Shared<T> {}

/// The shape of one product and how it is cut.
#[derive(Clone, Copy)]
pub(super) struct Plan {
    m: usize,
    k: usize,
    n: usize,
    mr: usize,
    nr: usize,
    /// Row panels of `A` (tiles down `C`) and column panels of `B` (tiles across `C`).
    mt: usize,
    nt: usize,
    /// The size of every `k` block but possibly the last.
    kb: usize,
    /// Row panels per L2-sized block of packed `A`.
    mc_tiles: usize,
}

impl Plan {
    pub(super) fn new<T>(kernel: &Kernel<T>, m: usize, k: usize, n: usize) -> Self {
        let blocks = k.div_ceil(KC).max(1);
        // A multiple of 16, so that the transposing packs (16 × 16 blocks) rarely mask.
        let kb = k
            .div_ceil(blocks)
            .next_multiple_of(16)
            .min(KC.max(k.div_ceil(blocks)));
        let panel_bytes = kb * kernel.mr * std::mem::size_of::<T>();
        Plan {
            m,
            k,
            n,
            mr: kernel.mr,
            nr: kernel.nr,
            mt: m.div_ceil(kernel.mr),
            nt: n.div_ceil(kernel.nr),
            kb,
            mc_tiles: (A_BLOCK_BYTES / panel_bytes).max(1),
        }
    }

    /// Elements of one thread's packed `A` for one `k` block (all of `A`'s row panels at
    /// most), rounded up to 16 so that the panel of `B` after it starts on a 64-byte line.
    fn a_len(&self) -> usize {
        (self.mt * self.mr * self.kb).next_multiple_of(16)
    }

    /// Elements of one thread's packing buffer: its block of `A`, then one panel of `B`.
    pub(super) fn part_len(&self) -> usize {
        self.a_len() + self.nr * self.kb
    }

    /// The tiles (row panels, column panels) thread `part` of `parts` computes: a share of
    /// the columns, unless there are too few of them to share evenly (then of the rows; each
    /// thread packs every column panel of `B` itself, which costs little as `n` is small).
    fn split(&self, part: usize, parts: usize) -> (Range<usize>, Range<usize>) {
        if self.nt >= 2 * parts || self.nt >= self.mt {
            (0..self.mt, share(self.nt, part, parts))
        } else {
            (share(self.mt, part, parts), 0..self.nt)
        }
    }

    /// The `k` blocks as `(p0, kc)`.
    fn blocks(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.k)
            .step_by(self.kb)
            .map(|p0| (p0, self.kb.min(self.k - p0)))
    }

    /// How many threads are worth starting: one per part of the larger tile count, at most.
    pub(super) fn parts(&self, threads: usize) -> usize {
        threads.min(self.mt.max(self.nt)).max(1)
    }
}

/// `range.len()·part/parts ..` : the `part`-th of `parts` near-equal contiguous shares.
fn share(len: usize, part: usize, parts: usize) -> Range<usize> {
    len * part / parts..len * (part + 1) / parts
}

/// One thread's part of `C = A·B (+ C)`: the tiles [`Plan::split`] gives it. For each `k`
/// block it packs the row panels of `A` it needs, then each column panel of `B` it needs just
/// before the kernel sweeps those rows past it, so that the packed panel of `B` is still in
/// the L1 cache when it is read. The threads share nothing but the read-only `A` and `B`:
/// when they split the columns, each packs the same rows of `A`, which costs a few percent
/// and saves a barrier per block and the traffic of reading panels from another core's cache.
///
/// # Safety
/// `a`, `b` are valid `[m, k]`, `[k, n]` matrices, `c` a row-major `[m, n]` one (row stride
/// `ldc`), `packed` holds `plan.part_len()` elements for this thread alone, and the threads
/// of one product are given different `part`s.
pub(super) unsafe fn part<T: Element>(
    kernel: &Kernel<T>,
    plan: &Plan,
    (a, b): (Mat<T>, Mat<T>),
    (c, ldc): (*mut T, usize),
    packed: *mut T,
    accumulate: bool,
    (part, parts): (usize, usize),
) {
    let s = Shared { a, b, c, ldc };
    let (rows, cols) = plan.split(part, parts);
    let b_panel = packed.add(plan.a_len());
    for (p0, kc) in plan.blocks() {
        let panel = |it: usize| packed.add((it - rows.start) * plan.mr * kc);
        for it in rows.clone() {
            pack_a(kernel, s.a, plan, it * plan.mr, (p0, kc), panel(it));
        }
        let acc = accumulate || p0 > 0;
        for ic in rows.clone().step_by(plan.mc_tiles) {
            for jt in cols.clone() {
                let j0 = jt * plan.nr;
                // A panel of B read by one kernel call only (A has a single row panel) is
                // read where it is when its rows are contiguous: packing it would copy it
                // once to read it once.
                let b_tile = if plan.mt == 1 && s.b.cs == 1 && j0 + plan.nr <= plan.n {
                    (s.b.ptr.add(p0 * s.b.rs + j0), s.b.rs)
                } else {
                    pack_b(kernel, s.b, plan, j0, (p0, kc), b_panel);
                    (b_panel as *const T, plan.nr)
                };
                for it in ic..(ic + plan.mc_tiles).min(rows.end) {
                    tile(kernel, plan, (panel(it), b_tile, kc), &s, (it, jt), acc);
                }
            }
        }
    }
}

/// One kernel call on tile `(it, jt)`; the kernel stores only the tile's rows inside `C`, and
/// a tile cut by `C`'s last column goes through a buffer.
#[inline(always)]
unsafe fn tile<T: Element>(
    kernel: &Kernel<T>,
    plan: &Plan,
    (ap, (bp, ldb), kc): (*const T, (*const T, usize), usize),
    s: &Shared<T>,
    (it, jt): (usize, usize),
    acc: bool,
) {
    let (i0, j0) = (it * plan.mr, jt * plan.nr);
    let out = s.c.add(i0 * s.ldc + j0);
    let (rows, cols) = (plan.mr.min(plan.m - i0), plan.nr.min(plan.n - j0));
    if cols == plan.nr {
        return (kernel.run)(kc, ap, bp, ldb, out, s.ldc, rows, acc);
    }
    debug_assert!(
        plan.mr * plan.nr <= MAX_TILE,
        "a kernel's tile exceeds MAX_TILE"
    );
    let mut buf = [T::ZERO; MAX_TILE];
    (kernel.run)(kc, ap, bp, ldb, buf.as_mut_ptr(), plan.nr, rows, false);
    for i in 0..rows {
        for j in 0..cols {
            let o = out.add(i * s.ldc + j);
            let v = buf[i * plan.nr + j];
            *o = if acc { *o + v } else { v };
        }
    }
}

/// Packs rows `i0..i0+MR` (zeros past `m`), columns `p0..p0+kc` of `A` as `[kc][MR]`.
#[inline(always)]
unsafe fn pack_a<T: Element>(
    kernel: &Kernel<T>,
    a: Mat<T>,
    plan: &Plan,
    i0: usize,
    (p0, kc): (usize, usize),
    dst: *mut T,
) {
    let (mr, rows) = (plan.mr, plan.mr.min(plan.m - i0));
    if a.rs == 1 {
        // Columns of A are contiguous (A is a transposed row-major matrix): one copy per p.
        for p in 0..kc {
            let src = a.ptr.add(i0 + (p0 + p) * a.cs);
            copy(src, dst.add(p * mr), rows);
        }
    } else if let (1, Some(transpose)) = (a.cs, kernel.transpose) {
        // Rows of A are contiguous (the usual row-major operand): block transposes.
        return transpose(a.ptr.add(i0 * a.rs + p0), a.rs, rows, kc, dst, mr);
    } else {
        for i in 0..rows {
            let src = a.ptr.add((i0 + i) * a.rs + p0 * a.cs);
            for p in 0..kc {
                *dst.add(p * mr + i) = *src.add(p * a.cs);
            }
        }
    }
    for p in 0..kc {
        for i in rows..mr {
            *dst.add(p * mr + i) = T::ZERO;
        }
    }
}

/// Packs columns `j0..j0+NR` (zeros past `n`), rows `p0..p0+kc` of `B` as `[kc][NR]`.
#[inline(always)]
unsafe fn pack_b<T: Element>(
    kernel: &Kernel<T>,
    b: Mat<T>,
    plan: &Plan,
    j0: usize,
    (p0, kc): (usize, usize),
    dst: *mut T,
) {
    let (nr, cols) = (plan.nr, plan.nr.min(plan.n - j0));
    if b.cs == 1 {
        // Rows of B are contiguous (B is row-major): one copy per p.
        for p in 0..kc {
            let src = b.ptr.add((p0 + p) * b.rs + j0);
            copy(src, dst.add(p * nr), cols);
        }
    } else if let (1, Some(transpose)) = (b.rs, kernel.transpose) {
        // Columns of B are contiguous (B is a transposed row-major matrix, `Wᵀ`).
        return transpose(b.ptr.add(j0 * b.cs + p0), b.cs, cols, kc, dst, nr);
    } else {
        for j in 0..cols {
            let src = b.ptr.add(p0 * b.rs + (j0 + j) * b.cs);
            for p in 0..kc {
                *dst.add(p * nr + j) = *src.add(p * b.rs);
            }
        }
    }
    for p in 0..kc {
        for j in cols..nr {
            *dst.add(p * nr + j) = T::ZERO;
        }
    }
}

/// Copies `n` values; the panel widths the kernels use are copied as fixed-size blocks, which
/// compile to a few vector moves instead of a call to `memcpy` for every 48 or 128 bytes.
#[inline(always)]
unsafe fn copy<T: Copy>(src: *const T, dst: *mut T, n: usize) {
    unsafe fn fixed<T: Copy, const N: usize>(src: *const T, dst: *mut T) {
        dst.cast::<[T; N]>()
            .write_unaligned(src.cast::<[T; N]>().read_unaligned());
    }
    match n {
        32 => fixed::<T, 32>(src, dst),
        16 => fixed::<T, 16>(src, dst),
        12 => fixed::<T, 12>(src, dst),
        8 => fixed::<T, 8>(src, dst),
        6 => fixed::<T, 6>(src, dst),
        _ => std::ptr::copy_nonoverlapping(src, dst, n),
    }
}
