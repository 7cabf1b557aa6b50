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

fn read_f64(path: &str) -> Vec<f64> {
    std::fs::read(path)
        .unwrap()
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// Compares `Optimizer` with the dumps of /tmp/tperf/optref.py (torch.optim, for-loop path).
fn optcheck(dir: &str) {
    use common::config::{OptimConfig, OptimName};
    use tch::{Kind, Tensor};
    let p0 = read_f64(&format!("{dir}/p0.f64"));
    let grads: Vec<Vec<f64>> = (0..4)
        .map(|i| read_f64(&format!("{dir}/g{i}.f64")))
        .collect();
    let cfgs = [
        ("adam_wd", OptimName::Adam, 0.01, 0.0, 0.01),
        ("adam", OptimName::Adam, 1e-3, 0.0, 0.0),
        ("sgd_mom_wd", OptimName::Sgd, 0.1, 0.9, 0.01),
        ("sgd", OptimName::Sgd, 0.1, 0.0, 0.0),
    ];
    for (name, opt, lr, momentum, wd) in cfgs {
        for (kind, suf) in [(Kind::Float, "f32"), (Kind::Double, "f64")] {
            let cfg = OptimConfig {
                name: opt,
                lr,
                momentum,
                weight_decay: wd,
                betas: [0.9, 0.999],
                eps: 1e-8,
            };
            let flat = Tensor::from_slice(&p0).to_kind(kind);
            let mut o = torch::optim::Optimizer::new(&cfg, &flat).unwrap();
            for g in &grads {
                o.step(&flat, &Tensor::from_slice(g).to_kind(kind), lr)
                    .unwrap();
            }
            let got = Vec::<f64>::try_from(&flat.to_kind(Kind::Double)).unwrap();
            let want = read_f64(&format!("{dir}/{name}.{suf}"));
            let bad = got
                .iter()
                .zip(&want)
                .filter(|(a, b)| a.to_bits() != b.to_bits())
                .count();
            println!(
                "optcheck {name}.{suf}: {bad} of {} elements differ",
                want.len()
            );
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("optcheck") {
        return optcheck(&args[2]);
    }
    let which = args.get(1).cloned().unwrap_or_else(|| "abc".into());
    let threads = args.get(2).and_then(|t| t.parse().ok());
    let reps: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(1);
    let tag = std::env::var("TAG").unwrap_or_default();
    if std::env::var("BIGFREE").is_ok() {
        // glibc: freeing an mmapped block raises the mmap and trim thresholds to its size.
        let v = vec![1u8; 32 << 20];
        std::hint::black_box(&v);
        drop(v);
    }
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
            let spec =
                ModelSpec::from_config(cfg, data.n_features(), data.image_shape, data.n_classes())
                    .unwrap();
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
            // FNV-1a over every exported tensor's values (weights and optimizer state).
            let mut hash = 0xcbf29ce484222325u64;
            for (name, t) in backend.export().unwrap() {
                for byte in name
                    .bytes()
                    .chain(t.to_f64().iter().flat_map(|v| v.to_bits().to_le_bytes()))
                {
                    hash = (hash ^ byte as u64).wrapping_mul(0x100000001b3);
                }
            }
            println!(
                "{tag} {} wall {:>8.0}/s  cpu {:>8.0}/s  (last loss_sum {last:.6}, {} thr) export {hash:016x}",
                &label[..3],
                samples / wall,
                samples / (cpu as f64 * 1e-9),
                tch::get_num_threads()
            );
        }
    }
}
