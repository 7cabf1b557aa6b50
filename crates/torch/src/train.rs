//! The step loop of one epoch (the chapter's `train_one_epoch`): for each minibatch, forward →
//! loss → backward → optimizer step, with the batch's loss and logits kept on the device and
//! read back once when the epoch ends.
//!
//! Speed on a small network is libtorch's fixed cost per operation (dispatch, autograd nodes,
//! allocations), so the loop keeps the operations per step few and allocation-free where it
//! can without changing a single result: batches are views of the epoch's rows gathered once,
//! the forward pass differentiates transposed Linear-weight leaves (no `t()` nodes, see
//! `model`), the gradients are copied into one preallocated flat buffer, and the optimizer
//! works in preallocated buffers (see `optim`).

use common::fit::{check_interrupted, EpochCtx, EpochStats};
use common::seed::Rng;
use common::{Error, Result};
use ndarray::Array2;
use rand::SeedableRng;
use tch::{Kind, TchError, Tensor};

use crate::backend::TorchBackend;
use crate::convert::{labels_to_tensor, matrix_to_tensor, TchContext};
use crate::model::{self, Net};
use crate::optim::Optimizer;

/// The flat gradient of a step (`[n_params]`, laid out like [`Net::flat`]), filled in place
/// through views shaped like [`Net::train_leaves`]: one copy per parameter, no allocation.
#[derive(Debug)]
pub(crate) struct GradBuffer {
    flat: Tensor,
    views: Vec<Tensor>,
}

impl GradBuffer {
    /// A zero buffer for the parameters of `net`.
    pub(crate) fn new(net: &Net) -> Result<Self> {
        let flat = net
            .flat()
            .f_zeros_like()
            .ctx("allocate the gradient buffer")?;
        let views = net.leaf_views(&flat).ctx("gradient views")?;
        Ok(GradBuffer { flat, views })
    }
}

/// What an epoch leaves on the device until [`finish_epoch`] reads it.
pub(crate) struct EpochTensors {
    /// Mean loss of each batch (scalars).
    losses: Vec<Tensor>,
    /// Logits of each batch, computed before its update.
    logits: Vec<Tensor>,
    /// Labels in epoch order (`Int64`, `[n]`).
    y_epoch: Tensor,
    /// `(param, ‖grad‖₂)` of the last step, when asked for.
    grad_norms: Vec<(String, f64)>,
}

/// Runs every step of one epoch over the rows in `order`.
pub(crate) fn run_epoch(
    b: &mut TorchBackend,
    order: &[usize],
    ctx: &EpochCtx,
) -> Result<EpochTensors> {
    let head = b.net.spec().head;
    let order_t = labels_to_tensor(order, b.device)?;
    let y_epoch = b.train_y.f_index_select(0, &order_t).ctx("gather labels")?;
    let targets = model::loss_targets(head, &y_epoch, b.kind).ctx("loss targets")?;
    let mut augment_rng = Rng::seed_from_u64(ctx.augment_seed);
    let n_batches = order.len().div_ceil(ctx.batch_size);
    let mut out = EpochTensors {
        losses: Vec::new(),
        logits: Vec::new(),
        y_epoch,
        grad_norms: Vec::new(),
    };
    let x_epoch = gather_epoch(b, &order_t)?;
    for (batch, start) in (0..order.len()).step_by(ctx.batch_size).enumerate() {
        // Ctrl-C stops within one step; the loop drops this partial epoch.
        check_interrupted()?;
        let len = ctx.batch_size.min(order.len() - start);
        let xb = match (&x_epoch, &b.augment) {
            (Some(x), _) => x
                .f_narrow(0, start as i64, len as i64)
                .ctx("gather batch")?,
            (None, Some((x, augmenter))) => {
                let mut rows = gather_rows(x, &order[start..start + len]);
                augmenter.apply(&mut rows.view_mut(), &mut augment_rng);
                matrix_to_tensor(&rows, b.kind, b.device)?
            }
            (None, None) => {
                return Err(Error::Backend(
                    "epoch rows were neither gathered nor augmented".into(),
                ))
            }
        };
        let yb = targets
            .f_narrow(0, start as i64, len as i64)
            .ctx("gather batch")?;
        let (loss, logits, grads) = step(&b.net, &mut b.optim, &b.grads, &xb, &yb, ctx.lr)?;
        out.losses.push(loss);
        out.logits.push(logits);
        if ctx.log_grad_norms && batch + 1 == n_batches {
            let grads = b.net.param_grads(grads).ctx("gradients")?;
            out.grad_norms = grad_norms(&b.net, &grads)?;
        }
    }
    Ok(out)
}

/// The rows of `order_t` (`Int64`, `[n]`) gathered once for the epoch, so that every batch is
/// a view (`narrow`) of it; `None` when batches are augmented on the host instead. The buffer
/// is kept across epochs (`index_select_out`): on a wide dataset a fresh one would cost a page
/// fault per 4 KiB every epoch.
///
/// # Shapes
/// `order_t`: `[n]` → `[n, features]`.
fn gather_epoch(b: &mut TorchBackend, order_t: &Tensor) -> Result<Option<Tensor>> {
    if b.augment.is_some() {
        return Ok(None);
    }
    let n = order_t.size()[0];
    let buf = match &b.x_epoch {
        Some(buf) if buf.size()[0] >= n => buf.shallow_clone(),
        _ => {
            let cols = b.train_x.size()[1];
            let buf = Tensor::f_empty([n, cols], (b.kind, b.device)).ctx("allocate epoch rows")?;
            b.x_epoch = Some(buf.shallow_clone());
            buf
        }
    };
    buf.f_narrow(0, 0, n)
        .and_then(|out| b.train_x.f_index_select_out(&out, 0, order_t))
        .map(Some)
        .ctx("gather rows")
}

/// One training step: forward → loss → backward → update. Returns the (detached) loss and
/// logits, and the gradients with respect to [`Net::train_leaves`].
///
/// # Shapes
/// `xb`: `[batch, features]`, `yb`: `[batch]` → loss `[]`, logits `[batch, outputs]`.
fn step(
    net: &Net,
    optim: &mut Optimizer,
    grad: &GradBuffer,
    xb: &Tensor,
    yb: &Tensor,
    lr: f64,
) -> Result<(Tensor, Tensor, Vec<Tensor>)> {
    let forward_backward = || -> std::result::Result<_, TchError> {
        let logits = net.forward_train(xb)?;
        let loss = model::loss(net.spec().head, &logits, yb)?;
        // `torch.autograd.grad`: the gradients come back instead of accumulating in `.grad`,
        // so there is nothing to zero before the next step.
        let grads = Tensor::f_run_backward(&[&loss], net.train_leaves(), false, false)?;
        for (view, g) in grad.views.iter().zip(&grads) {
            view.shallow_clone().f_copy_(g)?;
        }
        Ok((loss.f_detach()?, logits.f_detach()?, grads))
    };
    let (loss, logits, grads) = forward_backward().ctx("training step")?;
    optim.step(net.flat(), &grad.flat, lr)?;
    Ok((loss, logits, grads))
}

/// Reads the epoch's numbers back (one host sync) into the loop's statistics; a non-finite
/// batch loss is `Error::Diverged` naming the first such batch.
pub(crate) fn finish_epoch(
    b: &TorchBackend,
    t: EpochTensors,
    order: &[usize],
    ctx: &EpochCtx,
) -> Result<EpochStats> {
    if t.losses.is_empty() {
        return Ok(EpochStats {
            grad_norms: t.grad_norms,
            ..EpochStats::default()
        });
    }
    let losses = Tensor::f_stack(&t.losses, 0)
        .and_then(|l| l.f_to_kind(Kind::Double))
        .and_then(|l| Vec::<f64>::try_from(&l))
        .ctx("read losses")?;
    let mut loss_sum = 0.0;
    for (batch, (&loss, start)) in losses
        .iter()
        .zip((0..order.len()).step_by(ctx.batch_size))
        .enumerate()
    {
        if !loss.is_finite() {
            return Err(Error::Diverged {
                epoch: ctx.epoch,
                batch,
                loss,
            });
        }
        // The chapter's `total_loss += loss.item() * X.size(0)`.
        loss_sum += loss * ctx.batch_size.min(order.len() - start) as f64;
    }
    let correct = Tensor::f_cat(&t.logits, 0)
        .and_then(|l| model::correct(b.net.spec().head, &l, &t.y_epoch))
        .and_then(|c| c.f_int64_value(&[]))
        .ctx("count correct")?;
    Ok(EpochStats {
        loss_sum,
        correct: correct as usize,
        count: order.len(),
        grad_norms: t.grad_norms,
    })
}

/// `(param name, ‖grad‖₂)` for each parameter.
fn grad_norms(net: &Net, grads: &[Tensor]) -> Result<Vec<(String, f64)>> {
    net.infos()
        .iter()
        .zip(grads)
        .map(|(p, g)| {
            let norm = g
                .f_norm()
                .and_then(|n| n.f_double_value(&[]))
                .ctx(&p.name)?;
            Ok((p.name.clone(), norm))
        })
        .collect()
}

/// The rows of `x` listed in `rows`, in that order.
///
/// # Shapes
/// `x`: `[n, d]` → `[rows.len(), d]`.
fn gather_rows(x: &Array2<f32>, rows: &[usize]) -> Array2<f32> {
    let mut out = Array2::zeros((rows.len(), x.ncols()));
    for (mut dst, &r) in out.rows_mut().into_iter().zip(rows) {
        dst.assign(&x.row(r));
    }
    out
}
