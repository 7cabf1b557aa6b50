//! The chapter's `train_one_epoch`: for each minibatch, forward → loss → backward → optimizer
//! step ([`train_step`]), with the batch's loss and logits kept on the device and read back
//! once when the epoch ends ([`finish_epoch`]).
//!
//! Speed on a small network is libtorch's fixed cost per operation (dispatch, autograd nodes,
//! allocations), so underneath the step keeps the operations few and allocation-free where it
//! can without changing a single result: batches are views of the epoch's rows gathered once
//! (`loader`), the forward pass differentiates transposed Linear-weight leaves (no `t()` nodes,
//! see `model`), [`GradBuffer::backward`] copies the gradients into one preallocated flat
//! buffer, and the optimizer updates the flat parameters from it in preallocated buffers, Adam
//! in libtorch's fused kernel (see `optim`).

use common::fit::{check_interrupted, EpochCtx, EpochStats};
use common::spec::Head;
use common::{Error, Result};
use tch::{Kind, TchError, Tensor};

use crate::convert::TchContext;
use crate::loader::TrainLoader;
use crate::model::{self, Net};
use crate::optim::Optimizer;

/// What training updates: the network, its optimizer and the buffer its gradients land in.
#[derive(Debug)]
pub(crate) struct Learner {
    pub(crate) net: Net,
    pub(crate) optim: Optimizer,
    grads: GradBuffer,
    /// Class weights of the loss (`train.class_weights`), when the run has them.
    pub(crate) weights: Option<model::LossTensors>,
}

/// What one step leaves: the batch's loss and logits (detached, still on the device) and the
/// gradients with respect to [`Net::train_leaves`].
struct Step {
    loss: Tensor,
    logits: Tensor,
    leaf_grads: Vec<Tensor>,
}

/// What an epoch leaves on the device until [`finish_epoch`] reads it.
pub(crate) struct EpochTensors {
    /// Mean loss of each batch (scalars).
    losses: Vec<Tensor>,
    /// Logits of each batch, computed before its update.
    logits: Vec<Tensor>,
    /// Labels in epoch order (`Int64`, `[n]`).
    y: Tensor,
    /// `(param, ‖grad‖₂)` of the last step, when asked for.
    grad_norms: Vec<(String, f64)>,
}

impl Learner {
    /// `net` trained by `optim`.
    pub(crate) fn new(net: Net, optim: Optimizer) -> Result<Self> {
        let grads = GradBuffer::new(&net)?;
        Ok(Learner {
            net,
            optim,
            grads,
            weights: None,
        })
    }

    /// One training step, the chapter's loop body: `logits = model(X)`,
    /// `loss = criterion(logits, y)`, `loss.backward()`, `optimizer.step()`.
    ///
    /// # Shapes
    /// `xb`: `[batch, features]`, `yb`: `[batch]` → loss `[]`, logits `[batch, outputs]`.
    fn train_step(&mut self, xb: &Tensor, yb: &Tensor, lr: f64) -> Result<Step> {
        let net = &self.net;
        let logits = net.forward_train(xb).ctx("training step")?;
        let loss = model::loss(net.spec().head, &logits, yb, self.weights.as_ref())
            .ctx("training step")?;
        let leaf_grads = self.grads.backward(&loss).ctx("training step")?;
        self.optim.step(&self.grads.params, &self.grads.flat, lr)?;
        Ok(Step {
            loss: loss.f_detach().ctx("training step")?,
            logits: logits.f_detach().ctx("training step")?,
            leaf_grads,
        })
    }
}

/// Runs every step of one epoch over the rows in `order` (checked by the caller).
pub(crate) fn train_one_epoch(
    learner: &mut Learner,
    loader: &mut TrainLoader,
    order: &[usize],
    ctx: &EpochCtx,
) -> Result<EpochTensors> {
    debug_assert!(ctx.batch_size >= 1, "EpochCtx::new refuses batch_size 0");
    let head = learner.net.spec().head;
    let mut batches = loader.epoch(order, head, ctx.augment_seed)?;
    let n_batches = order.len().div_ceil(ctx.batch_size);
    let (mut losses, mut logits) = (Vec::new(), Vec::new());
    let mut grad_norms = Vec::new();
    for (batch, start) in (0..order.len()).step_by(ctx.batch_size).enumerate() {
        // Ctrl-C stops within one step; the loop drops this partial epoch.
        check_interrupted()?;
        let (xb, yb) = batches.batch(start, ctx.batch_size.min(order.len() - start))?;
        let step = learner.train_step(&xb, &yb, ctx.lr)?;
        losses.push(step.loss);
        logits.push(step.logits);
        if ctx.log_grad_norms && batch + 1 == n_batches {
            grad_norms = l2_norms(&learner.net, step.leaf_grads)?;
        }
    }
    Ok(EpochTensors {
        losses,
        logits,
        y: batches.y,
        grad_norms,
    })
}

/// Reads the epoch's numbers back (one host sync) into the loop's statistics, for the loss of
/// `head`; a non-finite batch loss is `Error::Diverged` naming the first such batch.
pub(crate) fn finish_epoch(
    head: Head,
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
        .and_then(|l| model::correct(head, &l, &t.y))
        .and_then(|c| c.f_int64_value(&[]))
        .ctx("count correct")?;
    Ok(EpochStats {
        loss_sum,
        correct: correct as usize,
        count: order.len(),
        grad_norms: t.grad_norms,
    })
}

/// The flat gradient of a step (`[n_trained]`, laid out like [`Net::trained_flat`], the layout
/// the optimizer updates), filled in place through views shaped like [`Net::trained_leaves`]:
/// one copy per trained parameter, no allocation.
#[derive(Debug)]
struct GradBuffer {
    flat: Tensor,
    views: Vec<Tensor>,
    /// [`Net::trained_flat`], the parameters this gradient updates.
    params: Tensor,
    /// [`Net::trained_leaves`], what `backward` differentiates.
    leaves: Vec<Tensor>,
}

impl GradBuffer {
    /// A zero buffer for the trained parameters of `net`.
    fn new(net: &Net) -> Result<Self> {
        let params = net.trained_flat().ctx("trained parameters")?;
        let flat = params.f_zeros_like().ctx("allocate the gradient buffer")?;
        let views = net.leaf_views(&flat).ctx("gradient views")?;
        let leaves = net.trained_leaves();
        Ok(GradBuffer {
            flat,
            views,
            params,
            leaves,
        })
    }

    /// `loss.backward()`: the gradients of `loss` with respect to [`Net::trained_leaves`],
    /// copied into the flat buffer and returned. Like `torch.autograd.grad`, they come back
    /// instead of accumulating in `.grad`, so there is nothing to zero before the next step.
    fn backward(&self, loss: &Tensor) -> std::result::Result<Vec<Tensor>, TchError> {
        let grads = Tensor::f_run_backward(&[loss], &self.leaves, false, false)?;
        for (view, g) in self.views.iter().zip(&grads) {
            view.shallow_clone().f_copy_(g)?;
        }
        Ok(grads)
    }
}

/// `(param name, ‖grad‖₂)` for each trained parameter, from its gradient with respect to its
/// training leaf.
fn l2_norms(net: &Net, leaf_grads: Vec<Tensor>) -> Result<Vec<(String, f64)>> {
    let grads = net.param_grads(leaf_grads).ctx("gradients")?;
    net.trained_infos()
        .iter()
        .zip(&grads)
        .map(|(p, g)| {
            let norm = g
                .f_norm()
                .and_then(|n| n.f_double_value(&[]))
                .ctx(&p.name)?;
            Ok((p.name.clone(), norm))
        })
        .collect()
}
