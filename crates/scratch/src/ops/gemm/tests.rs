//! Every kernel this CPU has (and the matrixmultiply fallback) against a plain triple loop in
//! f64: edge tiles, every operand layout the layers use (`a·b`, `aᵀ·b`, `a·bᵀ`) and strided
//! views (packed element by element), accumulation into `c`, a `c` whose rows are wider than
//! its columns (nothing written past them), several `k` blocks, `k = 0`, the flipped and the
//! in-place paths, and one to four threads (the same bits for each).

use std::cell::Cell;
use std::sync::Mutex;

use ndarray::{s, Array2, ArrayView2};
use rand::{Rng, SeedableRng};

use super::{gemm_with, Element, Kernel};

thread_local! {
    /// Parts of this thread's products that ran on a worker thread (so that the thread-count
    /// checks below are seen to compare something).
    pub(super) static PARALLEL_RUNS: Cell<usize> = const { Cell::new(0) };
}

/// The f32 and f64 checks take turns, so that neither finds the pool busy every time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn random(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Array2::from_shape_fn((rows, cols), |_| rng.gen_range(-1.0..1.0))
}

fn reference(
    a: ArrayView2<'_, f64>,
    b: ArrayView2<'_, f64>,
    c0: &Array2<f64>,
    acc: bool,
) -> Array2<f64> {
    let mut c = if acc {
        c0.clone()
    } else {
        Array2::zeros(c0.dim())
    };
    for i in 0..a.nrows() {
        for j in 0..b.ncols() {
            c[[i, j]] += (0..a.ncols()).map(|p| a[[i, p]] * b[[p, j]]).sum::<f64>();
        }
    }
    c
}

/// How an operand is stored: as itself, as the row-major transpose it is a view of, or as
/// every other column of a twice-wide matrix (a view no packing can copy row by row).
#[derive(Clone, Copy, Debug)]
enum Layout {
    RowMajor,
    Transposed,
    Strided,
}

/// `x` in `T`, stored as `layout` says; the view is taken by [`view`].
fn store<T: Element + num_traits::NumCast>(x: &Array2<f64>, layout: Layout) -> Array2<T> {
    let t = |v: f64| T::from(v).unwrap();
    match layout {
        Layout::RowMajor => x.mapv(t),
        Layout::Transposed => x.t().mapv(t).as_standard_layout().into_owned(),
        Layout::Strided => Array2::from_shape_fn((x.nrows(), 2 * x.ncols()), |(i, j)| {
            if j % 2 == 0 {
                t(x[[i, j / 2]])
            } else {
                t(1e3)
            }
        }),
    }
}

fn view<T>(stored: &Array2<T>, layout: Layout) -> ArrayView2<'_, T> {
    match layout {
        Layout::RowMajor => stored.view(),
        Layout::Transposed => stored.t(),
        Layout::Strided => stored.slice(s![.., ..;2]),
    }
}

/// Runs one product through `kernel` with `threads`, in `T`, into the first `n` columns of a
/// wider `C` (rows `n + 3` apart, the extra columns must stay untouched), and returns it in f64.
fn run<T: Element + num_traits::NumCast>(
    kernel: Option<&Kernel<T>>,
    threads: usize,
    (a, b, c0): (&Array2<f64>, &Array2<f64>, &Array2<f64>),
    (la, lb): (Layout, Layout),
    acc: bool,
) -> Array2<f64> {
    let (sa, sb) = (store::<T>(a, la), store::<T>(b, lb));
    let (m, n) = c0.dim();
    let guard = T::from(7.5).unwrap();
    let mut wide = Array2::from_elem((m, n + 3), guard);
    wide.slice_mut(s![.., ..n])
        .assign(&c0.mapv(|v| T::from(v).unwrap()));
    gemm_with(
        kernel,
        threads,
        view(&sa, la),
        view(&sb, lb),
        acc,
        wide.slice_mut(s![.., ..n]),
    );
    assert!(
        wide.slice(s![.., n..])
            .iter()
            .all(|&v| v.to_f64() == guard.to_f64()),
        "{la:?}·{lb:?} {m}×{n}: wrote outside C"
    );
    wide.slice(s![.., ..n]).mapv(|v| v.to_f64().unwrap())
}

fn check_all<T: Element + num_traits::NumCast>(tol: f64) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let parallel_before = PARALLEL_RUNS.with(Cell::get);
    // Edge tiles, several k blocks, a flipped product (few columns), B read in place (one row
    // panel), k = 0; the last four are large enough to run on several threads (the flipped
    // and the in-place one included).
    let shapes = [
        (9, 40, 100),
        (40, 300, 5),
        (100, 20, 3),
        (1, 1, 1),
        (5, 3, 7),
        (3, 0, 40),
        (13, 257, 33),
        (25, 300, 70),
        (128, 513, 97),
        (40, 64, 512),
        (300, 400, 9),
        (10, 2000, 60),
    ];
    let mut kernels: Vec<Option<&Kernel<T>>> = T::kernels().iter().map(Some).collect();
    kernels.push(None);
    use Layout::*;
    // a·b, aᵀ·b (a stored transposed), a·bᵀ (b stored transposed), strided views of each.
    let layouts = [
        (RowMajor, RowMajor),
        (Transposed, RowMajor),
        (RowMajor, Transposed),
        (Strided, RowMajor),
        (RowMajor, Strided),
    ];
    for (si, &(m, k, n)) in shapes.iter().enumerate() {
        let seed = 10 * si as u64;
        let (a, b, c0) = (
            random(m, k, seed),
            random(k, n, seed + 1),
            random(m, n, seed + 2),
        );
        for &layout in &layouts {
            for acc in [false, true] {
                let want = reference(a.view(), b.view(), &c0, acc);
                for kernel in &kernels {
                    let mut first: Option<Array2<f64>> = None;
                    for threads in 1..=4 {
                        let got = run(*kernel, threads, (&a, &b, &c0), layout, acc);
                        let err = (&got - &want).iter().fold(0.0f64, |e, d| e.max(d.abs()));
                        let name = kernel.map_or("matrixmultiply", |k| k.name);
                        let what =
                            format!("{name}, {threads} threads, {m}×{k}×{n} {layout:?} acc {acc}");
                        assert!(err <= tol * (k.max(1) as f64).sqrt(), "{what}: error {err}");
                        if kernel.is_some() {
                            let same = first.get_or_insert_with(|| got.clone());
                            assert_eq!(same, &got, "{what}: the thread count changed the bits");
                        }
                    }
                }
            }
        }
    }
    // Off x86-64, or without AVX2, there is no kernel: every product is matrixmultiply's.
    if !T::kernels().is_empty() {
        let parallel = PARALLEL_RUNS.with(Cell::get) - parallel_before;
        assert!(
            parallel > 20,
            "only {parallel} products ran on several threads"
        );
    }
}

#[test]
fn f64_products_match_the_triple_loop() {
    check_all::<f64>(1e-14);
}

#[test]
fn f32_products_match_the_triple_loop() {
    check_all::<f32>(2e-6);
}

#[test]
fn a_cpu_with_avx2_gets_a_kernel_and_others_the_fallback() {
    #[cfg(target_arch = "x86_64")]
    let has =
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    let has = false;
    assert_eq!(!f32::kernels().is_empty(), has);
    assert_eq!(!f64::kernels().is_empty(), has);
}
