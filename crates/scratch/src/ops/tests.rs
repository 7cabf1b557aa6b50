//! The loop kernels and the GEMM path must both agree with a naive triple loop, for the tiny
//! shapes that take the special cases (2-feature inputs, 1 output) and for large ones.

use super::buf::{Buf, Workspace};
use super::products::*;
use ndarray::Array2;

fn filled(m: usize, n: usize, seed: u64) -> Array2<f64> {
    // A cheap deterministic fill with distinct, non-round values.
    Array2::from_shape_fn((m, n), |(i, j)| {
        let h = (i as u64 * 31 + j as u64 * 17 + seed * 101) % 97;
        h as f64 / 13.0 - 3.5
    })
}

fn naive(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    Array2::from_shape_fn((m, n), |(i, j)| (0..k).map(|t| a[[i, t]] * b[[t, j]]).sum())
}

fn close(x: &Array2<f64>, y: &Array2<f64>) {
    assert_eq!(x.dim(), y.dim());
    for (a, b) in x.iter().zip(y) {
        assert!((a - b).abs() <= 1e-9 * (1.0 + a.abs()), "{a} vs {b}");
    }
}

const SHAPES: [(usize, usize, usize); 9] = [
    (64, 2, 32),
    (64, 32, 1),
    (5, 3, 4),
    (7, 9, 11),
    (1, 1, 1),
    (40, 50, 60),
    (3, 0, 4),
    (300, 200, 1),
    (300, 2, 100),
];

#[test]
fn nt_matches_naive_with_and_without_bias() {
    let mut work = Workspace::new();
    for &(m, k, n) in &SHAPES {
        let (a, b) = (filled(m, k, 1), filled(n, k, 2));
        let bias: Vec<f64> = (0..n).map(|j| j as f64 * 0.25 - 1.0).collect();
        let mut c = Array2::zeros((m, n));
        matmul_nt(a.view(), b.view(), None, c.view_mut(), &mut work);
        close(&c, &naive(&a, &b.t().to_owned()));
        matmul_nt(a.view(), b.view(), Some(&bias), c.view_mut(), &mut work);
        let expect = naive(&a, &b.t().to_owned()) + &ndarray::Array1::from(bias.clone());
        close(&c, &expect);
    }
}

#[test]
fn tn_and_nn_match_naive() {
    let mut work = Workspace::new();
    for &(m, p, q) in &SHAPES {
        let (a, b) = (filled(m, p, 3), filled(m, q, 4));
        let mut c = Array2::from_elem((p, q), 7.0);
        matmul_tn(a.view(), b.view(), c.view_mut(), &mut work);
        close(&c, &naive(&a.t().to_owned(), &b));
        let w = filled(p, q, 5);
        let mut d = Array2::from_elem((m, q), 7.0);
        matmul_nn(a.view(), w.view(), d.view_mut());
        close(&d, &naive(&a, &w));
    }
}

#[test]
fn dot_axpy_and_col_sums() {
    let a: Vec<f64> = (0..19).map(|i| i as f64 * 0.5).collect();
    let b: Vec<f64> = (0..19).map(|i| 1.0 - i as f64).collect();
    let want: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
    assert!((dot(&a, &b) - want).abs() < 1e-12);
    let mut y = b.clone();
    axpy(2.0, &a, &mut y);
    assert_eq!(y[3], b[3] + 2.0 * a[3]);
    let m = filled(6, 5, 9);
    let mut s = vec![0.0; 5];
    col_sums(m.view(), &mut s);
    for (j, v) in s.iter().enumerate() {
        assert!((v - m.column(j).sum()).abs() < 1e-12);
    }
}

#[test]
fn buf_reuses_storage_across_shapes() {
    let mut buf = Buf::<f32>::new();
    buf.resize(4, 3);
    buf.as_mut_slice().fill(1.0);
    let ptr = buf.as_slice().as_ptr();
    buf.resize(2, 3);
    assert_eq!(buf.view().dim(), (2, 3));
    buf.resize(4, 3);
    assert_eq!(
        buf.as_slice().as_ptr(),
        ptr,
        "no reallocation when shrinking and regrowing"
    );
    assert_eq!(buf.view_mut().dim(), (4, 3));
}

/// The blocked kernels add each sum's terms in the order the plain loops state, so they must
/// give the same bits as those loops, in f32 where a reordering would show, on widths around
/// a block (16) and on the chapter's shapes.
#[test]
fn blocked_small_kernels_keep_the_plain_loops_order() {
    use super::small::{column_sums, rows_combine, transposed_combine};
    let val = |i: usize, s: usize| (((i * 7919 + s * 104_729) % 1009) as f32 / 101.0 - 4.9).exp();
    for &(m, k, n) in &[
        (64, 2, 32),
        (64, 1, 32),
        (5, 3, 17),
        (9, 7, 16),
        (3, 2, 1),
        (4, 5, 49),
        (6, 2, 17),
        (5, 1, 33),
        (2, 1, 7),
    ] {
        let a: Vec<f32> = (0..m * k).map(|i| val(i, 1)).collect();
        let b: Vec<f32> = (0..k * n).map(|i| val(i, 2) - 1.0).collect();
        let init: Vec<f32> = (0..n).map(|i| val(i, 3)).collect();
        // With a bias and from zero (the input gradient's form), compiled for this CPU's
        // instruction set as the products run them.
        for start in [Some(&init[..]), None] {
            let mut c = vec![f32::NAN; m * n];
            super::simd::simd(
                #[inline(always)]
                || rows_combine(&a, &b, start, &mut c, (k, n)),
            );
            for i in 0..m {
                for j in 0..n {
                    let mut s = start.map_or(0.0, |v| v[j]);
                    (0..k).for_each(|t| s += a[i * k + t] * b[t * n + j]);
                    let got = c[i * n + j].to_bits();
                    assert_eq!(got, s.to_bits(), "rows_combine ({m},{k},{n})");
                }
            }
        }
        // xᵀ·y with x = a ([m, k]) and y = a·b's shape [m, n].
        let y: Vec<f32> = (0..m * n).map(|i| val(i, 4) - 2.0).collect();
        let mut d = vec![f32::NAN; k * n];
        super::simd::simd(
            #[inline(always)]
            || transposed_combine(&a, &y, &mut d, (k, n)),
        );
        let mut sums = vec![f32::NAN; n];
        super::simd::simd(
            #[inline(always)]
            || column_sums(&y, &mut sums),
        );
        for j in 0..n {
            let mut s = 0.0f32;
            (0..m).for_each(|i| s += y[i * n + j]);
            assert_eq!(sums[j].to_bits(), s.to_bits(), "column_sums ({m},{n})");
            for r in 0..k {
                let mut s = 0.0f32;
                (0..m).for_each(|i| s += a[i * k + r] * y[i * n + j]);
                assert_eq!(d[r * n + j].to_bits(), s.to_bits(), "transposed_combine");
            }
        }
    }
}
