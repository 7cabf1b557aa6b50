//! Gradient checks (the chapter's debugging checklist: "compare your backward with finite
//! differences"): every analytic gradient of the hand-written backward passes against the
//! central difference `(f(θ+ε) − f(θ−ε)) / 2ε`, in f64.
//!
//! The error of a tensor is normwise, `‖a − n‖₂ / max(‖a‖₂ + ‖n‖₂, 10⁻¹²)`: unlike an
//! element-wise ratio it is not thrown by entries that are zero up to the finite difference's
//! own rounding noise (≈ 10⁻¹⁶/ε), and it is 1 when the two disagree completely. Correct
//! backward passes give about 10⁻⁹ or less with `ε = 10⁻⁶`; a wrong one gives 10⁻² or more.
//! Dropout uses a fixed mask: the dropout stream is reseeded before every forward pass.
//!
//! [`check_layer`] takes any [`Layer`], not only the real ones: the tests hand it layers whose
//! backward pass is deliberately wrong and see it fail (a check that cannot fail proves
//! nothing).

use common::seed::Rng;
use common::spec::{Head, ModelSpec};
use common::tensor::NamedTensors;
use common::Result;
use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;

use crate::layers::{Layer, Mode};
use crate::loss::Loss;
use crate::model::Model;
use crate::ops::Buf;

/// The dropout seed of every forward pass of a check (any fixed value gives a fixed mask).
const MASK_SEED: u64 = 0x5EED;

/// `‖a − n‖₂ / max(‖a‖₂ + ‖n‖₂, 10⁻¹²)`.
pub fn rel_error(analytic: &[f64], numeric: &[f64]) -> f64 {
    let norm = |v: &mut dyn Iterator<Item = f64>| v.map(|x| x * x).sum::<f64>().sqrt();
    let diff = norm(&mut analytic.iter().zip(numeric).map(|(a, n)| a - n));
    diff / (norm(&mut analytic.iter().copied()) + norm(&mut numeric.iter().copied())).max(1e-12)
}

/// Central differences: element `j` of the result is `(f(j, +ε) − f(j, −ε)) / 2ε`, where
/// `f(j, d)` evaluates the objective with element `j` of the checked tensor moved by `d`.
fn numeric_grad(len: usize, eps: f64, mut f: impl FnMut(usize, f64) -> f64) -> Vec<f64> {
    (0..len)
        .map(|j| (f(j, eps) - f(j, -eps)) / (2.0 * eps))
        .collect()
}

/// Sets element `j` of the model's parameter `pi` to `v`; returns the old value.
fn set_model_param(model: &mut Model<f64>, pi: usize, j: usize, v: f64) -> f64 {
    model.replace_param_element(pi, j, v)
}

/// Checks every parameter gradient of the model of `spec` (weights `init`) on the batch
/// `(x, y)`: returns `(name, relative error)` in `state_dict` order. Train mode, so dropout
/// is on, with a fixed mask.
///
/// # Shapes
/// `x`: `[n, features]`, `y`: `[n]`.
pub fn gradcheck(
    spec: &ModelSpec,
    init: &NamedTensors,
    x: &Array2<f64>,
    y: &[usize],
    eps: f64,
) -> Result<Vec<(String, f64)>> {
    let mut out = Vec::new();
    gradcheck_each(spec, init, x, y, eps, |name, _, err| {
        out.push((name.to_string(), err));
        Ok(())
    })?;
    Ok(out)
}

/// [`gradcheck`], reporting each tensor as soon as it is checked: `on_tensor(name, elements,
/// relative error)`, in `state_dict` order. A large model takes minutes (two forward passes
/// per element), so a command line prints a line per tensor; an error returned by
/// `on_tensor` (an interrupt, say) stops the check there.
///
/// # Shapes
/// `x`: `[n, features]`, `y`: `[n]`.
pub fn gradcheck_each(
    spec: &ModelSpec,
    init: &NamedTensors,
    x: &Array2<f64>,
    y: &[usize],
    eps: f64,
    mut on_tensor: impl FnMut(&str, usize, f64) -> Result<()>,
) -> Result<()> {
    // Every backward pass is checked, also those of layers a run keeps frozen.
    let all_trained = ModelSpec {
        freeze: Vec::new(),
        ..spec.clone()
    };
    let mut model = Model::<f64>::new(&all_trained, init)?;
    let mut loss = Loss::new(spec.head);
    let eval = |model: &mut Model<f64>, loss: &mut Loss<f64>| -> Result<f64> {
        model.set_dropout_seed(MASK_SEED);
        let logits = model.forward_view(x.view(), true)?;
        loss.forward(logits, y)
    };
    eval(&mut model, &mut loss)?;
    model.backward(loss.backward());
    let analytic: Vec<(String, Vec<f64>)> = model
        .params()
        .map(|(n, _, g)| (n.to_string(), g.to_vec()))
        .collect();
    for (pi, (name, a)) in analytic.iter().enumerate() {
        let numeric = numeric_grad(a.len(), eps, |j, d| {
            let old = set_model_param(&mut model, pi, j, 0.0);
            set_model_param(&mut model, pi, j, old + d);
            let l = eval(&mut model, &mut loss).unwrap_or(f64::NAN);
            set_model_param(&mut model, pi, j, old);
            l
        });
        on_tensor(name, a.len(), rel_error(a, &numeric))?;
    }
    Ok(())
}

/// Sets element `j` of parameter `pi` of `layer` to `v`; returns the old value.
fn set_param(layer: &mut dyn Layer<f64>, pi: usize, j: usize, v: f64) -> f64 {
    let (mut i, mut old) = (0, None);
    layer.visit_params_mut(&mut |p| {
        if i == pi {
            old = Some(std::mem::replace(&mut p.value[j], v));
        }
        i += 1;
    });
    old.expect("parameter index from params()")
}

/// Checks one layer alone under the loss `L = Σ output ⊙ r` (so `∂L/∂output = r`), with `r`
/// a fixed pseudo-random matrix: returns the errors of `input`, then `weight` and `bias`
/// when the layer has them (`param 0`, `param 1`, … for a container with more).
///
/// # Shapes
/// `x`: `[n, in_features]` of the layer.
pub fn check_layer(layer: &mut dyn Layer<f64>, x: &Array2<f64>, eps: f64) -> Vec<(String, f64)> {
    let run = |layer: &mut dyn Layer<f64>, x: ArrayView2<'_, f64>| {
        let mut rng = Rng::seed_from_u64(MASK_SEED);
        layer
            .forward(Buf::from_view(x), Mode::Train(&mut rng))
            .view()
            .to_owned()
    };
    let out = run(layer, x.view());
    // r has no special structure (no zeros, no repeats), so no error can cancel.
    let r = Array2::from_shape_fn(out.dim(), |(i, j)| {
        ((i * 7 + j * 13) % 11) as f64 / 5.0 - 1.03
    });
    let objective = |o: &Array2<f64>| (o * &r).sum();
    let dx: Vec<f64> = layer
        .backward(r.view(), true)
        .expect("need_dx: the layer returns dX")
        .iter()
        .copied()
        .collect();
    let mut xp = x.as_standard_layout().into_owned();
    let num_dx = numeric_grad(xp.len(), eps, |j, d| {
        let old = std::mem::replace(&mut xp.as_slice_mut().expect("standard layout")[j], 0.0);
        xp.as_slice_mut().expect("standard layout")[j] = old + d;
        let l = objective(&run(layer, xp.view()));
        xp.as_slice_mut().expect("standard layout")[j] = old;
        l
    });
    let mut errors = vec![("input".to_string(), rel_error(&dx, &num_dx))];
    let grads: Vec<Vec<f64>> = layer.params().iter().map(|p| p.grad.to_vec()).collect();
    // A container (a residual block) has more than a weight and a bias: numbered then.
    let names: Vec<String> = match grads.len() {
        0..=2 => ["weight", "bias"].map(String::from).to_vec(),
        n => (0..n).map(|i| format!("param {i}")).collect(),
    };
    for (pi, (name, a)) in names.iter().zip(&grads).enumerate() {
        let numeric = numeric_grad(a.len(), eps, |j, d| {
            let old = set_param(layer, pi, j, 0.0);
            set_param(layer, pi, j, old + d);
            let l = objective(&run(layer, x.view()));
            set_param(layer, pi, j, old);
            l
        });
        errors.push((name.to_string(), rel_error(a, &numeric)));
    }
    errors
}

/// Checks a loss's gradient with respect to its logits; returns the relative error.
///
/// # Shapes
/// `logits`: `[n, 1]` (BCE) or `[n, K]`; `y`: `[n]`.
pub fn check_loss(head: Head, logits: &Array2<f64>, y: &[usize], eps: f64) -> Result<f64> {
    let mut loss = Loss::new(head);
    loss.forward(logits.view(), y)?;
    let analytic: Vec<f64> = loss.backward().iter().copied().collect();
    let mut z = logits.as_standard_layout().into_owned();
    let numeric = numeric_grad(z.len(), eps, |j, d| {
        let old = std::mem::replace(&mut z.as_slice_mut().expect("standard layout")[j], 0.0);
        z.as_slice_mut().expect("standard layout")[j] = old + d;
        let l = loss.forward(z.view(), y).unwrap_or(f64::NAN);
        z.as_slice_mut().expect("standard layout")[j] = old;
        l
    });
    Ok(rel_error(&analytic, &numeric))
}
