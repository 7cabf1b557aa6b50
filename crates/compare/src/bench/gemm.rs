//! The machine's f32 GEMM reference for `compare bench`: libtorch's `mm` timed on exactly the
//! matrix products one training step of a workload does (for each Linear layer at the
//! workload's batch size: the forward product, the weight gradient, and the input gradient
//! except on the first layer), at the machine's thread count. Its GFLOP/s, counted as
//! [`ModelSpec::train_flops`] counts them, is the ceiling a step loop of that net can reach;
//! the bench prints each backend's share of it.

use std::time::Instant;

use common::spec::{LayerSpec, ModelSpec};
use tch::{Device, Kind, Tensor};

/// How long the products are repeated for (after a warm-up).
const MEASURE_SECONDS: f64 = 0.4;

/// GFLOP/s of libtorch's `mm` on the products of one step of `spec` at `batch` rows, with
/// `threads` intra-op threads (libtorch's setting is restored afterwards).
pub fn gflops(spec: &ModelSpec, batch: usize, threads: usize) -> f64 {
    let before = tch::get_num_threads();
    tch::set_num_threads(threads.max(1) as i32);
    let opts = (Kind::Float, Device::Cpu);
    let b = batch as i64;
    // (x [B, in], W [out, in], dY [B, out], input gradient needed)
    let layers: Vec<(Tensor, Tensor, Tensor, bool)> = spec
        .layers
        .iter()
        .filter_map(|l| match *l {
            LayerSpec::Linear { inputs, outputs } => Some((inputs as i64, outputs as i64)),
            _ => None,
        })
        .enumerate()
        .map(|(i, (n_in, n_out))| {
            let x = Tensor::randn([b, n_in], opts);
            let w = Tensor::randn([n_out, n_in], opts);
            let dy = Tensor::randn([b, n_out], opts);
            (x, w, dy, i > 0)
        })
        .collect();
    let step = || {
        for (x, w, dy, input_grad) in &layers {
            let _y = x.mm(&w.tr());
            let _dw = dy.tr().mm(x);
            if *input_grad {
                let _dx = dy.mm(w);
            }
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
    let flops: f64 = linear_step_flops(spec, batch);
    flops * steps as f64 / seconds / 1e9
}

/// FLOPs of the Linear products of one step at `batch` rows (`train_flops` of an MLP × rows).
fn linear_step_flops(spec: &ModelSpec, batch: usize) -> f64 {
    let mut first = true;
    let mut flops = 0.0;
    for l in &spec.layers {
        if let LayerSpec::Linear { inputs, outputs } = *l {
            let products = if first { 2.0 } else { 3.0 };
            flops += 2.0 * (inputs * outputs) as f64 * products;
            first = false;
        }
    }
    flops * batch as f64
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
        assert_eq!(linear_step_flops(&spec, 7), 7.0 * spec.train_flops());
        assert!(gflops(&spec, 16, 1) > 0.0);
    }
}
