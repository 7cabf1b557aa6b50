//! The running record of a parity check: the worst relative error per tensor, and the error
//! that names the first step and tensor beyond the tolerance. In f64 every tensor is measured
//! against its own largest element; in f32 ([`Scale::F32`]) against the scale at which f32
//! resolves it (docs/PARITY.md, "Scales").

use common::{Error, Result};

use super::{rel_err_scaled, StepRecord};

/// How the errors of a step are scaled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scale {
    /// Each tensor against its own largest element (the f64 check), a gradient against at
    /// least 1e-4 of the step's largest gradient element: a gradient that is zero in exact
    /// arithmetic (the bias of a Linear layer under a BatchNorm, which subtracts the batch
    /// mean) is rounding noise of ~1e-17 in both routes, and relative to itself would measure
    /// nothing but that noise.
    #[default]
    PerTensor,
    /// f32: the loss against at least 1 nat, each gradient against at least the step's
    /// largest gradient element and `1/batch`, each weight against at least the model's
    /// largest weight. A quantity that cancels to nearly zero keeps the absolute rounding error
    /// of its terms, so relative to itself it would measure nothing but the cancellation: a
    /// confident BCE loss `ln(1 + e⁻ᶻ)` (libtorch computes it without `log1p`, to an absolute
    /// 2⁻²⁴), a gradient at convergence (a mean of per-example terms up to `1/batch` in size),
    /// a bias that starts at zero.
    F32,
}

impl Scale {
    /// The denominators' floors for the loss, the gradients and the weights of step `a`.
    fn floors(self, a: &StepRecord) -> [f64; 3] {
        match self {
            Scale::PerTensor => {
                let all = a.grads.iter().flat_map(|(_, v)| v);
                [0.0, all.fold(0.0f64, |m, v| m.max(v.abs())) * 1e-4, 0.0]
            }
            Scale::F32 => {
                let max = |t: &[(String, Vec<f64>)]| {
                    let all = t.iter().flat_map(|(_, v)| v);
                    all.fold(0.0f64, |m, v| m.max(v.abs()))
                };
                let per_example = 1.0 / a.batch.max(1) as f64;
                [1.0, max(&a.grads).max(per_example), max(&a.weights)]
            }
        }
    }
}

/// The worst relative error seen per tensor over a parity check.
#[derive(Debug, Clone, Default)]
pub struct ParityReport {
    /// Steps compared.
    pub steps: usize,
    /// The tolerance applied.
    pub tolerance: f64,
    /// `(tensor, max relative error over the steps)`, in comparison order: `logits`, `loss`,
    /// `grad <param>` for each parameter, then each parameter after the update.
    pub worst: Vec<(String, f64)>,
    /// The epoch being compared (1-based), for messages.
    pub epoch: usize,
    /// What is compared, for messages: `parity` (f64) or `parity (f32)`.
    pub what: &'static str,
    /// How errors are scaled.
    pub scale: Scale,
}

impl ParityReport {
    /// An empty report that will apply `tolerance`.
    pub fn new(tolerance: f64) -> Self {
        ParityReport {
            tolerance,
            epoch: 1,
            what: "parity",
            ..ParityReport::default()
        }
    }
    /// The largest error of all tensors.
    pub fn max(&self) -> f64 {
        self.worst.iter().fold(0.0, |m, (_, e)| m.max(*e))
    }
    /// The largest error of the tensors whose name starts with `prefix`.
    pub fn max_of(&self, prefix: &str) -> f64 {
        let hits = self.worst.iter().filter(|(n, _)| n.starts_with(prefix));
        hits.fold(0.0, |m, (_, e)| m.max(*e))
    }
    /// Records one comparison; `Err` names the step and tensor when it exceeds the tolerance.
    pub fn record(&mut self, step: usize, name: &str, a: &[f64], b: &[f64]) -> Result<()> {
        self.record_scaled(step, name, a, b, 0.0)
    }
    /// [`ParityReport::record`] with the error's denominator at least `floor`.
    pub fn record_scaled(
        &mut self,
        step: usize,
        name: &str,
        a: &[f64],
        b: &[f64],
        floor: f64,
    ) -> Result<()> {
        let e = rel_err_scaled(a, b, floor);
        match self.worst.iter_mut().find(|(n, _)| n == name) {
            Some((_, w)) => *w = w.max(e),
            None => self.worst.push((name.to_string(), e)),
        }
        if e <= self.tolerance {
            return Ok(());
        }
        let at = a
            .iter()
            .zip(b)
            .enumerate()
            .max_by(|x, y| (x.1 .0 - x.1 .1).abs().total_cmp(&(y.1 .0 - y.1 .1).abs()));
        let detail = match at {
            Some((i, (x, y))) => format!(" (element {i}: scratch {x:e}, torch {y:e})"),
            None => format!(" ({} vs {} elements)", a.len(), b.len()),
        };
        Err(Error::Other(format!(
            "{}: step {step} of epoch {}: tensor '{name}' differs: relative error {e:.3e} > tolerance {:.0e}{detail}",
            self.what, self.epoch, self.tolerance
        )))
    }
    /// Compares one step's records in order: logits, loss, each gradient, each updated
    /// weight; `Err` names the step and the first tensor beyond the tolerance.
    pub fn compare(&mut self, step: usize, a: &StepRecord, b: &StepRecord) -> Result<()> {
        self.record(step, "logits", &a.logits, &b.logits)?;
        if a.grads.len() != b.grads.len() || a.weights.len() != b.weights.len() {
            return Err(Error::Other(format!(
                "{}: step {step}: scratch has {} gradients and {} parameters, torch {} and {}",
                self.what,
                a.grads.len(),
                a.weights.len(),
                b.grads.len(),
                b.weights.len()
            )));
        }
        let [loss, grads, weights] = self.scale.floors(a);
        self.record_scaled(step, "loss", &[a.loss], &[b.loss], loss)?;
        for ((name, ga), (_, gb)) in a.grads.iter().zip(&b.grads) {
            self.record_scaled(step, &format!("grad {name}"), ga, gb, grads)?;
        }
        for ((name, wa), (_, wb)) in a.weights.iter().zip(&b.weights) {
            self.record_scaled(step, name, wa, wb, weights)?;
        }
        Ok(())
    }
    /// One line per tensor.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for (name, e) in &self.worst {
            let flag = if *e <= self.tolerance { "ok" } else { "FAIL" };
            s.push_str(&format!(
                "  {name:<28} max relative error {e:.3e}  {flag}\n"
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_divergence_names_step_tensor_and_element() {
        let mut r = ParityReport::new(1e-10);
        r.record(0, "loss", &[0.5], &[0.5]).unwrap();
        let err = r
            .record(3, "grad net.0.bias", &[1.0, 2.0], &[1.0, 2.5])
            .unwrap_err()
            .to_string();
        for needle in ["step 3", "'grad net.0.bias'", "element 1", "2.5e0"] {
            assert!(err.contains(needle), "{needle}: {err}");
        }
        assert_eq!(r.max_of("grad"), 0.2);
    }

    #[test]
    fn f32_scales_floor_cancelled_quantities() {
        let rec = |loss: f64, g: f64| StepRecord {
            loss,
            grads: vec![("g".into(), vec![g, 1e-3])],
            weights: vec![("w".into(), vec![0.5]), ("b".into(), vec![1e-6])],
            batch: 100,
            ..StepRecord::default()
        };
        let (a, b) = (rec(1e-4, 2e-5), rec(1e-4 + 1e-9, 2e-5 + 1e-9));
        // Strictly, a loss of 1e-4 off by 1e-9 is 1e-5 off.
        let mut strict = ParityReport::new(1e-6);
        assert!(strict.compare(0, &a, &b).is_err());
        let mut f32 = ParityReport::new(1e-6);
        f32.scale = Scale::F32;
        f32.compare(0, &a, &b).unwrap();
        assert!(
            f32.max_of("loss") < 1.1e-9 && f32.max_of("grad") < 1.1e-7,
            "{:?}",
            f32.worst
        );
        let c = rec(1e-4, 2e-5 + 1e-5);
        assert!(
            f32.compare(1, &a, &c).is_err(),
            "a real difference is still caught"
        );
    }
}
