//! Every kernel this CPU has (and the matrixmultiply fallback) against a plain triple loop in
//! f64: edge tiles, every operand layout the layers use (`a·b`, `aᵀ·b`, `a·bᵀ`), strided views,
//! accumulation into `c`, several `k` blocks, and one to four threads (same bits for each).

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

/// Runs one product through `kernel` with `threads`, in `T`, and returns it in f64.
fn run<T: Element + num_traits::NumCast>(
    kernel: Option<&Kernel<T>>,
    threads: usize,
    (a, b, c0): (ArrayView2<'_, f64>, ArrayView2<'_, f64>, &Array2<f64>),
    acc: bool,
) -> Array2<f64> {
    let cast = |x: ArrayView2<'_, f64>| x.mapv(|v| T::from(v).unwrap());
    // Keep the layouts: a transposed view stays a transposed view in T.
    let (at, bt) = (cast(a.t()), cast(b.t()));
    let (a_t, b_t) = (
        a.strides()[0] == 1 && a.ncols() > 1,
        b.strides()[0] == 1 && b.ncols() > 1,
    );
    let (aa, ba) = (cast(a), cast(b));
    let av = if a_t { at.t() } else { aa.view() };
    let bv = if b_t { bt.t() } else { ba.view() };
    let mut c = cast(c0.view());
    gemm_with(kernel, threads, av, bv, acc, c.view_mut());
    c.mapv(|v| v.to_f64().unwrap())
}

fn check_all<T: Element + num_traits::NumCast>(tol: f64) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let parallel_before = PARALLEL_RUNS.with(Cell::get);
    let shapes = [
        (9, 40, 100),
        (40, 300, 5),
        (100, 20, 3),
        (1, 1, 1),
        (5, 3, 7),
        (13, 257, 33),
        (25, 300, 70),
        (128, 513, 97),
        (40, 64, 512),
    ];
    let mut kernels: Vec<Option<&Kernel<T>>> = T::kernels().iter().map(Some).collect();
    kernels.push(None);
    for (si, &(m, k, n)) in shapes.iter().enumerate() {
        let seed = 10 * si as u64;
        let (a, b, c0) = (
            random(m, k, seed),
            random(k, n, seed + 1),
            random(m, n, seed + 2),
        );
        let (at, bt) = (a.t().to_owned(), b.t().to_owned());
        // a·b, aᵀ·b (a stored transposed), a·bᵀ (b stored transposed), a strided view.
        let wide = random(m, 2 * k, seed + 3);
        let strided = wide.slice(s![.., ..;2]);
        let layouts = [
            (a.view(), b.view()),
            (at.t(), b.view()),
            (a.view(), bt.t()),
            (strided, b.view()),
        ];
        for (li, &(av, bv)) in layouts.iter().enumerate() {
            for acc in [false, true] {
                let want = reference(av, bv, &c0, acc);
                for kernel in &kernels {
                    let mut first: Option<Array2<f64>> = None;
                    for threads in 1..=4 {
                        let got = run(*kernel, threads, (av, bv, &c0), acc);
                        let err = (&got - &want).iter().fold(0.0f64, |e, d| e.max(d.abs()));
                        let name = kernel.map_or("matrixmultiply", |k| k.name);
                        assert!(err <= tol * (k as f64).sqrt(), "{name}, {threads} threads, {m}×{k}×{n} layout {li} acc {acc}: error {err}");
                        if kernel.is_some() {
                            let same = first.get_or_insert_with(|| got.clone());
                            assert_eq!(
                                same, &got,
                                "{name}: {threads} threads changed the bits ({m}×{k}×{n})"
                            );
                        }
                    }
                }
            }
        }
    }
    let parallel = PARALLEL_RUNS.with(Cell::get) - parallel_before;
    assert!(
        parallel > 20,
        "only {parallel} products ran on several threads"
    );
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
