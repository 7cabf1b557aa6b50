//! Temporary throughput probe (performance work): `perf_probe <cases, e.g. abc> <threads> <reps>`.
//! Times the step loop as `torch bench` does, by wall clock and by CPU time of all the
//! process's threads (/proc/self/task/*/schedstat), which is robust on a loaded machine.

use std::time::Instant;

use common::data::prepare;
use common::fit::{Backend, EpochCtx};
use common::seed::{permutation, Seeds, Stream};
use common::spec::ModelSpec;
use torch::bench::bench_configs;
use torch::{build_backend, TorchOptions};

fn cpu_ns() -> u64 {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).cloned().unwrap_or_else(|| "abc".into());
    let threads = args.get(2).and_then(|t| t.parse().ok());
    let reps: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(1);
    let tag = std::env::var("TAG").unwrap_or_default();
    let opts = TorchOptions {
        threads,
        ..TorchOptions::default()
    };
    let configs = bench_configs();
    for _ in 0..reps {
        for (i, (label, cfg)) in configs.iter().enumerate() {
            if !which.contains((b'a' + i as u8) as char) {
                continue;
            }
            let data = prepare(cfg).unwrap();
            let spec = ModelSpec::from_config(cfg, data.n_features(), data.image_shape, data.n_classes()).unwrap();
            let mut backend = build_backend(cfg, &data, &spec, &opts).unwrap();
            let seeds = Seeds::new(cfg.seed);
            let n = data.train.y.len();
            let (mut wall, mut cpu) = (0.0, 0u64);
            let mut last = 0.0;
            for epoch in 1..=cfg.train.epochs {
                let order = permutation(n, &mut seeds.epoch_rng(Stream::Shuffle, epoch));
                let ctx = EpochCtx {
                    epoch,
                    lr: cfg.optim.lr,
                    batch_size: cfg.train.batch_size,
                    dropout_seed: seeds.epoch_seed(Stream::Dropout, epoch),
                    augment_seed: seeds.epoch_seed(Stream::Augment, epoch),
                    log_grad_norms: false,
                };
                let (c0, t) = (cpu_ns(), Instant::now());
                let st = backend.train_epoch(&order, &ctx).unwrap();
                wall += t.elapsed().as_secs_f64();
                cpu += cpu_ns() - c0;
                last = st.loss_sum;
            }
            let samples = (n * cfg.train.epochs) as f64;
            println!(
                "{tag} {} wall {:>8.0}/s  cpu {:>8.0}/s  (last loss_sum {last:.6}, {} thr)",
                &label[..3],
                samples / wall,
                samples / (cpu as f64 * 1e-9),
                tch::get_num_threads()
            );
        }
    }
}
