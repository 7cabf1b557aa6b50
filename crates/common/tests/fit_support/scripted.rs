//! The scripted test backend: its weight after each epoch is fixed in advance, so validation
//! metrics follow a known curve (early stopping, plateau and best-checkpoint tests).

use common::fit::{Backend, EpochCtx, EpochStats};
use common::tensor::{find, HostTensor, NamedTensors};
use common::{Error, Result};
use ndarray::Array2;

/// A backend whose single weight `w` is `script[epoch − 1]` after each epoch; its logits are
/// `[0, w·x]`, so on [`super::sign_data`] the validation loss falls as `w` grows.
pub struct Scripted {
    /// The weight after each epoch.
    pub script: Vec<f64>,
    /// The current weight.
    pub w: f64,
    step: u64,
    /// The lr of each epoch, in order.
    pub lrs: Vec<f64>,
}

impl Scripted {
    /// Starts at `w = 0`.
    pub fn new(script: Vec<f64>) -> Self {
        Scripted {
            script,
            w: 0.0,
            step: 0,
            lrs: vec![],
        }
    }
}

impl Backend for Scripted {
    fn name(&self) -> &'static str {
        "scripted"
    }
    fn train_epoch(&mut self, order: &[usize], ctx: &EpochCtx) -> Result<EpochStats> {
        self.w = self.script[ctx.epoch - 1];
        self.lrs.push(ctx.lr);
        self.step += 1;
        Ok(EpochStats {
            loss_sum: order.len() as f64 / self.w.abs().max(0.1),
            correct: 0,
            count: order.len(),
            grad_norms: vec![],
        })
    }
    fn logits(&mut self, x: &Array2<f32>) -> Result<Array2<f32>> {
        Ok(Array2::from_shape_fn((x.nrows(), 2), |(i, c)| {
            if c == 1 {
                (self.w * x[[i, 0]] as f64) as f32
            } else {
                0.0
            }
        }))
    }
    fn export(&self) -> Result<NamedTensors> {
        Ok(vec![
            (
                "net.0.weight".into(),
                HostTensor::f64(vec![2, 1], vec![0.0, self.w]),
            ),
            (
                "net.0.bias".into(),
                HostTensor::f64(vec![2], vec![0.0, 0.0]),
            ),
        ])
    }
    fn import(&mut self, tensors: &NamedTensors) -> Result<()> {
        let w = find(tensors, "net.0.weight")
            .ok_or_else(|| Error::Other("missing net.0.weight".into()))?;
        self.w = w.to_f64()[1];
        Ok(())
    }
    fn optim_step(&self) -> u64 {
        self.step
    }
    fn set_optim_step(&mut self, step: u64) {
        self.step = step;
    }
}
