//! `compare bench --products`: every candidate for scratch's large products, timed on the
//! exact products the bench's GEMM-bound workloads do in a step (R1 (c), R2 (c): each Linear
//! layer's forward `x·Wᵀ`, weight gradient `dYᵀ·x`, input gradient `dY·W`; the digits CNN:
//! each convolution's `W·cols`, `dY·colsᵀ`, `Wᵀ·dY`), in f32 and f64, with one thread and
//! with the machine's: scratch's own micro-kernels (each the CPU has), matrixmultiply (the
//! kernel they replaced) and libtorch's `mm` (the reference), in GFLOP/s, best of `reps`.
//! Products small enough for scratch's loop kernels (a dimension under 4, or under 32k
//! multiply-adds) are left out: no GEMM runs them.

use std::fmt::Write as _;
use std::time::Instant;

use common::data::prepare;
use common::spec::ModelSpec;
use common::Result;
use ndarray::{Array2, ArrayView2};
use rand::{Rng as _, SeedableRng};
use scratch::float::Float;
use scratch::ops::gemm::{gemm_with, kernel_for, threads, Kernel};
use tch::{Kind, Tensor};

use super::gemm::{linear_products, Product};

/// How long each candidate repeats one product, per round.
const WINDOW_SECONDS: f64 = 0.06;

/// The products of one step of each GEMM-bound workload and of the CNN.
fn products() -> Result<Vec<Product>> {
    let mut out = Vec::new();
    for w in super::workloads(1)? {
        if !(w.gemm || w.name.starts_with("CNN")) {
            continue;
        }
        let data = prepare(&w.cfg)?;
        let spec: ModelSpec = data.spec(&w.cfg)?;
        let b = w.cfg.train.batch_size;
        let tag = w
            .name
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        out.extend(linear_products(&spec, b, &tag));
        for (name, [o, k, p]) in spec.conv_products() {
            let cols = b * p;
            out.push(Product {
                name: format!("{tag} {name} W·cols"),
                mkn: [o, k, cols],
                transposed: [false, false],
            });
            out.push(Product {
                name: format!("{tag} {name} dY·colsᵀ"),
                mkn: [o, cols, k],
                transposed: [false, true],
            });
            out.push(Product {
                name: format!("{tag} {name} Wᵀ·dY"),
                mkn: [k, o, cols],
                transposed: [true, false],
            });
        }
    }
    out.retain(|p| {
        let [m, k, n] = p.mkn;
        m * k * n > 1 << 15 && m.min(k).min(n) >= 4
    });
    Ok(out)
}

/// The best GFLOP/s of `f` (one product of `flops`) over `reps` windows.
fn rate(flops: f64, reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut best = 0.0f64;
    for _ in 0..reps.max(1) {
        let (t, mut calls) = (Instant::now(), 0usize);
        while t.elapsed().as_secs_f64() < WINDOW_SECONDS {
            f();
            calls += 1;
        }
        best = best.max(flops * calls as f64 / t.elapsed().as_secs_f64() / 1e9);
    }
    best
}

/// `A` and `B` of `p` in `T`, stored as the layer stores them, as views of the product.
fn operands<T: Float>(p: &Product, seed: u64) -> (Array2<T>, Array2<T>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut fill =
        |r: usize, c: usize| Array2::from_shape_fn((r, c), |_| T::of(rng.gen_range(-1.0..1.0)));
    let [m, k, n] = p.mkn;
    let a = if p.transposed[0] {
        fill(k, m)
    } else {
        fill(m, k)
    };
    let b = if p.transposed[1] {
        fill(n, k)
    } else {
        fill(k, n)
    };
    (a, b)
}

fn view<'a, T>(x: &'a Array2<T>, transposed: bool) -> ArrayView2<'a, T> {
    if transposed {
        x.t()
    } else {
        x.view()
    }
}

/// GFLOP/s of every candidate on `p` in `T` (`kind` for libtorch): our kernels at 1 and
/// `threads` threads, matrixmultiply, libtorch `mm` at 1 and `threads` threads.
fn row<T: Float>(p: &Product, kind: Kind, reps: usize) -> Result<Vec<f64>> {
    let [m, _, n] = p.mkn;
    let flops = p.flops();
    let (a, b) = operands::<T>(p, 7);
    let (av, bv) = (view(&a, p.transposed[0]), view(&b, p.transposed[1]));
    let mut c = Array2::<T>::zeros((m, n));
    let all = threads();
    let mut rates = Vec::new();
    let kernels: Vec<Option<&Kernel<T>>> = T::kernels().iter().map(Some).chain([None]).collect();
    for kernel in kernels {
        let counts: &[usize] = if kernel.is_some() { &[1, all] } else { &[all] };
        for &t in counts {
            rates.push(rate(flops, reps, || {
                gemm_with(kernel, t, av, bv, false, c.view_mut())
            }));
        }
    }
    let tensor = |x: &Array2<T>| -> Result<Tensor> {
        let v: Vec<f64> = x.iter().map(|v| v.as_f64()).collect();
        Ok(Tensor::from_slice(&v)
            .reshape([x.nrows() as i64, x.ncols() as i64])
            .to_kind(kind))
    };
    let (ta, tb) = (tensor(&a)?, tensor(&b)?);
    let (ta, tb) = (
        if p.transposed[0] { ta.tr() } else { ta },
        if p.transposed[1] { tb.tr() } else { tb },
    );
    let before = tch::get_num_threads();
    for t in [1, all] {
        tch::set_num_threads(t as i32);
        // Into a tensor made once, as scratch writes into a `C` made once.
        let out = Tensor::zeros([m as i64, n as i64], (kind, tch::Device::Cpu));
        rates.push(rate(flops, reps, || drop(ta.mm_out(&out, &tb))));
    }
    tch::set_num_threads(before);
    Ok(rates)
}

/// The table for one float type.
fn table<T: Float>(name: &str, kind: Kind, list: &[Product], reps: usize) -> Result<String> {
    let all = threads();
    let mut head = String::from("| product | m×k×n |");
    for k in T::kernels() {
        let _ = write!(
            head,
            " scratch {} {}×{} 1 thr | {all} thr |",
            k.name, k.mr, k.nr
        );
    }
    let _ = write!(
        head,
        " matrixmultiply {all} thr | libtorch mm 1 thr | {all} thr | scratch's pick | its share of mm ({all} thr) |"
    );
    let cols = head.matches('|').count() - 1;
    let mut s = format!(
        "\n{name}, GFLOP/s, best of {reps}:\n\n{head}\n|{}\n",
        "---|".repeat(cols)
    );
    for p in list {
        let r = row::<T>(p, kind, reps)?;
        let [m, k, n] = p.mkn;
        let _ = write!(s, "| {} | {m}×{k}×{n} |", p.name);
        r.iter().for_each(|v| {
            let _ = write!(s, " {v:.1} |");
        });
        // The kernel `gemm` itself picks for this shape, at all threads.
        let pick = kernel_for::<T>(m, n);
        let at = pick.and_then(|p| T::kernels().iter().position(|k| std::ptr::eq(k, p)));
        let (label, ours) = match (pick, at) {
            (Some(k), Some(i)) => (format!("{} {}×{}", k.name, k.mr, k.nr), r[2 * i + 1]),
            _ => ("matrixmultiply".to_string(), r[r.len() - 3]),
        };
        let _ = writeln!(s, " {label} | {:.0} % |", 100.0 * ours / r[r.len() - 1]);
    }
    Ok(s)
}

/// The report: one table for f32, one for f64.
pub fn run(reps: usize) -> Result<String> {
    let list = products()?;
    common::errln!(
        "compare bench --products: {} products × f32, f64 ...",
        list.len()
    );
    let mut s = format!(
        "\nscratch's large products against libtorch's mm, on the bench's own shapes; our kernel by default: {}\n",
        scratch::ops::gemm_kernel()
    );
    s += &table::<f32>("f32", Kind::Float, &list, reps)?;
    s += &table::<f64>("f64", Kind::Double, &list, reps)?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list holds each step product of the wide nets in the layout the layer runs it in,
    /// and the CNN's im2col products, and leaves out what the loop kernels run.
    #[test]
    fn the_list_is_the_steps_products_in_their_layouts() {
        let list = products().expect("the bench workloads");
        let find = |name: &str| {
            list.iter()
                .find(|p| p.name == name)
                .unwrap_or_else(|| panic!("{name} missing"))
        };
        let fwd = find("R2 (c) 784→512 x·Wᵀ");
        assert_eq!((fwd.mkn, fwd.transposed), ([128, 784, 512], [false, true]));
        let dw = find("R2 (c) 512→512 dYᵀ·x");
        assert_eq!((dw.mkn, dw.transposed), ([512, 128, 512], [true, false]));
        let dx = find("R2 (c) 512→512 dY·W");
        assert_eq!((dx.mkn, dx.transposed), ([128, 512, 512], [false, false]));
        // The first layer has no input gradient; the 512→1 and 512→2 heads are loop-kernel work.
        assert!(list.iter().all(|p| !p.name.contains("784→512 dY·W")));
        assert!(list.iter().all(|p| p.mkn.iter().all(|&d| d >= 4)));
        // The CNN's first Linear layer passes its input gradient down to the convolutions.
        let dx = find("CNN digits 256→128 dY·W");
        assert_eq!((dx.mkn, dx.transposed), ([32, 128, 256], [false, false]));
        let conv = find("CNN digits net.3 W·cols");
        assert_eq!(conv.mkn, [64, 288, 32 * 4 * 4]);
    }
}
