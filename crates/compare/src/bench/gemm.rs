//! The matrix products of one training step, listed once for the bench, and the machine's
//! f32 GEMM reference for `compare bench`: libtorch's `mm` timed on exactly the products one
//! step of a workload does (for each Linear layer at the workload's batch size: the forward
//! product, the weight gradient, and the input gradient where a Linear or Conv2d layer lies
//! below), at the machine's thread count. Its GFLOP/s, counted as [`ModelSpec::train_flops`]
//! counts them for the bench's MLPs, is the ceiling a step loop of that net can reach; the
//! bench prints each backend's share of it.
//! `compare bench --products` (`products.rs`) times every candidate kernel on the same list.

use std::time::Instant;

use common::spec::{LayerSpec, ModelSpec};
use tch::{Device, Kind, Tensor};

/// How long the products are repeated for (after a warm-up).
const MEASURE_SECONDS: f64 = 0.4;

/// One product of a step: its name, `m, k, n`, and whether `A` and `B` are read transposed.
pub struct Product {
    /// E.g. `R2 (c) 512→512 dYᵀ·x`: the workload's tag, the layer, the product.
    pub name: String,
    /// `[m, k, n]`: `A` is `[m, k]`, `B` is `[k, n]`.
    pub mkn: [usize; 3],
    /// `A` is stored `[k, m]` (a weight gradient's `dYᵀ`), `B` is stored `[n, k]` (`Wᵀ`).
    pub transposed: [bool; 2],
}

impl Product {
    /// Its floating-point operations: a multiply and an add per term.
    pub fn flops(&self) -> f64 {
        let [m, k, n] = self.mkn;
        2.0 * (m * k * n) as f64
    }
}

/// The Linear layers' products of one step of `spec` at `batch` rows, in the layouts the
/// layers run them in: the forward `x·Wᵀ`, the weight gradient `dYᵀ·x`, and the input
/// gradient `dY·W` where a Linear or Conv2d layer lies below (none flows into the data; a
/// CNN's first Linear layer passes one down to its convolutions). The bench's workloads (MLPs
/// and the digits CNN) have no other layers with weights; an embedding table or a BatchNorm
/// below would also need the input gradient, which this list does not count. Named
/// `"{tag} {inputs}→{outputs} {product}"`.
pub fn linear_products(spec: &ModelSpec, batch: usize, tag: &str) -> Vec<Product> {
    let mut out = Vec::new();
    let mut weights_below = false;
    for layer in &spec.layers {
        let (i, o) = match *layer {
            LayerSpec::Linear { inputs, outputs } => (inputs, outputs),
            LayerSpec::Conv2d { .. } => {
                weights_below = true;
                continue;
            }
            _ => continue,
        };
        let mut push = |what: &str, mkn, transposed| {
            let name = format!("{tag} {i}→{o} {what}");
            out.push(Product {
                name,
                mkn,
                transposed,
            })
        };
        push("x·Wᵀ", [batch, i, o], [false, true]);
        push("dYᵀ·x", [o, batch, i], [true, false]);
        if weights_below {
            push("dY·W", [batch, o, i], [false, false]);
        }
        weights_below = true;
    }
    out
}

/// GFLOP/s of libtorch's `mm` on the Linear products of one step of `spec` at `batch` rows
/// ([`linear_products`]), with `threads` intra-op threads (libtorch's setting is restored
/// afterwards).
pub fn gflops(spec: &ModelSpec, batch: usize, threads: usize) -> f64 {
    let before = tch::get_num_threads();
    tch::set_num_threads(threads.max(1) as i32);
    let list = linear_products(spec, batch, "");
    let randn = |rows: usize, cols: usize| {
        Tensor::randn([rows as i64, cols as i64], (Kind::Float, Device::Cpu))
    };
    let operands: Vec<(Tensor, Tensor)> = list
        .iter()
        .map(|p| {
            let [m, k, n] = p.mkn;
            let a = if p.transposed[0] {
                randn(k, m).tr()
            } else {
                randn(m, k)
            };
            let b = if p.transposed[1] {
                randn(n, k).tr()
            } else {
                randn(k, n)
            };
            (a, b)
        })
        .collect();
    let step = || {
        for (a, b) in &operands {
            let _c = a.mm(b);
        }
    };
    for _ in 0..3 {
        step();
    }
    let (start, mut steps) = (Instant::now(), 0usize);
    while start.elapsed().as_secs_f64() < MEASURE_SECONDS {
        step();
        steps += 1;
    }
    let seconds = start.elapsed().as_secs_f64();
    tch::set_num_threads(before);
    let flops: f64 = list.iter().map(Product::flops).sum();
    flops * steps as f64 / seconds / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::config::Config;

    #[test]
    fn the_counted_products_are_train_flops_for_an_mlp() {
        let mut cfg = Config::default();
        cfg.model.hidden = vec![64, 32];
        let spec = ModelSpec::from_config(&cfg, 10, None, 2).expect("spec");
        let list = linear_products(&spec, 7, "t");
        let flops: f64 = list.iter().map(Product::flops).sum();
        assert_eq!(flops, 7.0 * spec.train_flops());
        // 10→64, 64→32, 32→1: forward and weight gradient each, input gradients but the first.
        assert_eq!(list.len(), 3 + 3 + 2);
        assert_eq!(list[0].name, "t 10→64 x·Wᵀ");
        assert_eq!(list[4].mkn, [7, 32, 64]);
        assert!(gflops(&spec, 16, 1) > 0.0);
    }
}
