//! Test backends and data for the `fit_*` tests: a tiny softmax regression in plain Rust
//! (deterministic, honoring the order, batch size, lr and dropout seed it is given, with SGD
//! momentum as its optimizer state) and a scripted backend whose weight at each epoch is
//! fixed in advance, so that validation metrics follow a known curve.

#![allow(dead_code)] // each test file uses part of it

mod scripted;

#[allow(unused_imports)] // not every test file uses it
pub use scripted::Scripted;

use common::config::Config;
use common::data::{Prepared, XY};
use common::fit::{Backend, EpochCtx, EpochStats, FitOptions, Run};
use common::preprocess::Preprocessor;
use common::spec::{Head, LayerSpec, ModelSpec};
use common::split::Split;
use common::tensor::{find, HostTensor, NamedTensors};
use common::{Error, Result};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use std::path::Path;

/// `n` points per split in `classes` noisy clusters on a circle, two features.
pub fn toy_data(n: usize, classes: usize) -> Prepared {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut xy = || {
        let mut x = Array2::zeros((n, 2));
        let y: Vec<usize> = (0..n).map(|i| i % classes).collect();
        for (i, &c) in y.iter().enumerate() {
            let angle = c as f64 * std::f64::consts::TAU / classes as f64;
            x[[i, 0]] = (angle.cos() + rng.gen_range(-0.9..0.9)) as f32;
            x[[i, 1]] = (angle.sin() + rng.gen_range(-0.9..0.9)) as f32;
        }
        XY { x, y }
    };
    let (train, val) = (xy(), xy());
    prepared(train, val, classes)
}

/// One feature, `+1` for class 1 and `-1` for class 0: the scripted backend's data.
pub fn sign_data(n: usize) -> Prepared {
    let y: Vec<usize> = (0..n).map(|i| i % 2).collect();
    let x = Array2::from_shape_fn((n, 1), |(i, _)| if y[i] == 1 { 1.0 } else { -1.0 });
    prepared(
        XY {
            x: x.clone(),
            y: y.clone(),
        },
        XY { x, y },
        2,
    )
}

fn prepared(train: XY, val: XY, classes: usize) -> Prepared {
    let class_names: Vec<String> = (0..classes).map(|c| c.to_string()).collect();
    let pre = Preprocessor {
        columns: vec![],
        target: None,
        class_names: class_names.clone(),
        image_shape: None,
        schema: Default::default(),
        image: None,
    };
    Prepared {
        pre,
        train,
        val,
        test: XY::default(),
        split: Split::default(),
        class_names,
        image_shape: None,
        sources: vec![],
        bad_files: vec![],
        notes: vec![],
    }
}

/// A single Linear layer `features → classes` with a softmax head.
pub fn linear_spec(features: usize, classes: usize) -> ModelSpec {
    ModelSpec {
        names: Vec::new(),
        input_shape: vec![features],
        layers: vec![LayerSpec::Linear {
            inputs: features,
            outputs: classes,
        }],
        head: Head::Softmax { classes },
        freeze: Vec::new(),
    }
}

/// A valid config for `epochs` epochs of batch 16 (the rest is the chapter's default).
pub fn config(epochs: usize) -> Config {
    let mut cfg = Config::default();
    cfg.train.epochs = epochs;
    cfg.train.batch_size = 16;
    cfg.optim.lr = 0.2;
    cfg.optim.momentum = 0.5;
    cfg
}

/// Quiet options writing to `dir`.
pub fn options(dir: &Path) -> FitOptions {
    FitOptions {
        out_dir: dir.to_path_buf(),
        quiet: true,
        chapter_lines: false,
        resume: None,
        overwrite: false,
        hparams: Vec::new(),
    }
}

/// Runs `fit` on borrowed inputs.
pub fn run_fit(
    b: &mut dyn Backend,
    cfg: &Config,
    spec: &ModelSpec,
    data: &Prepared,
    opts: &FitOptions,
) -> Result<common::fit::FitOutcome> {
    common::fit::fit(b, &Run { cfg, spec, data }, opts)
}

/// Tensors sorted by name (a checkpoint file keeps them in name order).
pub fn sorted(mut tensors: NamedTensors) -> NamedTensors {
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    tensors
}

/// Softmax regression trained by minibatch SGD with momentum, in f64.
pub struct SoftmaxReg {
    x: Array2<f32>,
    y: Vec<usize>,
    k: usize,
    d: usize,
    momentum: f64,
    /// `[k·d]` weights then `[k]` biases.
    params: Vec<f64>,
    /// Momentum buffers, same layout.
    velocity: Vec<f64>,
    step: u64,
    /// Every context the loop passed, in order.
    pub ctxs: Vec<EpochCtx>,
    /// Every order the loop passed, in order.
    pub orders: Vec<Vec<usize>>,
    /// Return `Error::Diverged` in this epoch.
    pub diverge_at: Option<usize>,
}

impl SoftmaxReg {
    /// Starts from weights drawn from `init_seed` (different seeds prove `import` on resume).
    pub fn new(data: &Prepared, cfg: &Config, init_seed: u64) -> Self {
        let (k, d) = (data.n_classes(), data.n_features());
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(init_seed);
        let params = (0..k * d + k).map(|_| rng.gen_range(-0.1..0.1)).collect();
        SoftmaxReg {
            x: data.train.x.clone(),
            y: data.train.y.clone(),
            k,
            d,
            momentum: cfg.optim.momentum,
            params,
            velocity: vec![0.0; k * d + k],
            step: 0,
            ctxs: vec![],
            orders: vec![],
            diverge_at: None,
        }
    }

    fn scores(&self, x: &Array2<f32>, i: usize) -> Vec<f64> {
        (0..self.k)
            .map(|c| {
                let w = &self.params[c * self.d..(c + 1) * self.d];
                self.params[self.k * self.d + c]
                    + (0..self.d).map(|j| w[j] * x[[i, j]] as f64).sum::<f64>()
            })
            .collect()
    }

    /// Gradient of the batch's mean loss; adds to the loss sum and correct count.
    fn gradient(&self, batch: &[usize], stats: &mut EpochStats) -> Vec<f64> {
        let (k, d) = (self.k, self.d);
        let mut g = vec![0.0; k * d + k];
        for &i in batch {
            let z = self.scores(&self.x, i);
            let m = z.iter().cloned().fold(f64::MIN, f64::max);
            let sum: f64 = z.iter().map(|v| (v - m).exp()).sum();
            let y = self.y[i];
            stats.loss_sum += m + sum.ln() - z[y];
            stats.correct += usize::from((0..k).all(|c| z[c] <= z[y]));
            for c in 0..k {
                let delta =
                    ((z[c] - m).exp() / sum - f64::from(u8::from(c == y))) / batch.len() as f64;
                (0..d).for_each(|j| g[c * d + j] += delta * self.x[[i, j]] as f64);
                g[k * d + c] += delta;
            }
        }
        g
    }
}

impl Backend for SoftmaxReg {
    fn name(&self) -> &'static str {
        "test"
    }

    fn train_epoch(&mut self, order: &[usize], ctx: &EpochCtx) -> Result<EpochStats> {
        if self.diverge_at == Some(ctx.epoch) {
            return Err(Error::Diverged {
                epoch: ctx.epoch,
                batch: 0,
                loss: f64::NAN,
            });
        }
        self.ctxs.push(ctx.clone());
        self.orders.push(order.to_vec());
        // Stands in for dropout: the update depends on the epoch's dropout seed.
        let mut noise = rand_chacha::ChaCha8Rng::seed_from_u64(ctx.dropout_seed);
        let mut stats = EpochStats::default();
        let mut last = vec![];
        for batch in order.chunks(ctx.batch_size) {
            let g = self.gradient(batch, &mut stats);
            let scale = 1.0 + 0.1 * noise.gen::<f64>();
            for ((p, v), gi) in self.params.iter_mut().zip(&mut self.velocity).zip(&g) {
                *v = self.momentum * *v + gi * scale;
                *p -= ctx.lr * *v;
            }
            self.step += 1;
            stats.count += batch.len();
            last = g;
        }
        if ctx.log_grad_norms {
            let kd = self.k * self.d;
            let norm = |s: &[f64]| s.iter().map(|v| v * v).sum::<f64>().sqrt();
            stats.grad_norms = vec![
                ("net.0.weight".into(), norm(&last[..kd])),
                ("net.0.bias".into(), norm(&last[kd..])),
            ];
        }
        Ok(stats)
    }

    fn logits(&mut self, x: &Array2<f32>) -> Result<Array2<f32>> {
        let mut out = Array2::zeros((x.nrows(), self.k));
        for i in 0..x.nrows() {
            for (c, z) in self.scores(x, i).into_iter().enumerate() {
                out[[i, c]] = z as f32;
            }
        }
        Ok(out)
    }

    fn export(&self) -> Result<NamedTensors> {
        let kd = self.k * self.d;
        let t = |shape: Vec<usize>, v: &[f64]| HostTensor::f64(shape, v.to_vec());
        Ok(vec![
            (
                "net.0.weight".into(),
                t(vec![self.k, self.d], &self.params[..kd]),
            ),
            ("net.0.bias".into(), t(vec![self.k], &self.params[kd..])),
            (
                "optim.net.0.weight.momentum_buffer".into(),
                t(vec![self.k, self.d], &self.velocity[..kd]),
            ),
            (
                "optim.net.0.bias.momentum_buffer".into(),
                t(vec![self.k], &self.velocity[kd..]),
            ),
        ])
    }

    fn import(&mut self, tensors: &NamedTensors) -> Result<()> {
        let kd = self.k * self.d;
        let get = |name: &str, len: usize| -> Result<Option<Vec<f64>>> {
            match find(tensors, name) {
                Some(t) if t.len() == len => Ok(Some(t.to_f64())),
                Some(t) => Err(Error::Shape(format!("{name}: {:?}", t.shape))),
                None => Ok(None),
            }
        };
        let missing = |name: &str| Error::Other(format!("missing {name}"));
        let w = get("net.0.weight", kd)?.ok_or_else(|| missing("net.0.weight"))?;
        let b = get("net.0.bias", self.k)?.ok_or_else(|| missing("net.0.bias"))?;
        self.params = [w, b].concat();
        if let (Some(vw), Some(vb)) = (
            get("optim.net.0.weight.momentum_buffer", kd)?,
            get("optim.net.0.bias.momentum_buffer", self.k)?,
        ) {
            self.velocity = [vw, vb].concat();
        }
        Ok(())
    }

    fn optim_step(&self) -> u64 {
        self.step
    }

    fn set_optim_step(&mut self, step: u64) {
        self.step = step;
    }
}

/// The test softmax regression with its `train_epoch` replaced by `train` (which gets the
/// regression to train with): for the tests that watch or disturb what the loop does in an
/// epoch. Everything else is the regression's.
pub struct Wrapped<T>
where
    T: FnMut(&mut SoftmaxReg, &[usize], &EpochCtx) -> Result<EpochStats>,
{
    /// The backend that trains.
    pub inner: SoftmaxReg,
    /// The backend's name (in checkpoints).
    pub name: &'static str,
    /// Trains one epoch.
    pub train: T,
}

impl<T> Backend for Wrapped<T>
where
    T: FnMut(&mut SoftmaxReg, &[usize], &EpochCtx) -> Result<EpochStats>,
{
    fn name(&self) -> &'static str {
        self.name
    }
    fn train_epoch(&mut self, order: &[usize], ctx: &EpochCtx) -> Result<EpochStats> {
        (self.train)(&mut self.inner, order, ctx)
    }
    fn logits(&mut self, x: &Array2<f32>) -> Result<Array2<f32>> {
        self.inner.logits(x)
    }
    fn export(&self) -> Result<NamedTensors> {
        self.inner.export()
    }
    fn import(&mut self, tensors: &NamedTensors) -> Result<()> {
        self.inner.import(tensors)
    }
    fn optim_step(&self) -> u64 {
        self.inner.optim_step()
    }
    fn set_optim_step(&mut self, step: u64) {
        self.inner.set_optim_step(step)
    }
}
