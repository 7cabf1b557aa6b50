//! The forward pass over the compiled module tree: each [`Layer`] as the libtorch operation
//! PyTorch's module runs (`F.linear`, `F.conv2d`, `F.batch_norm`, …), so that autograd
//! differentiates the same function as the hand-written backward passes of the scratch route.

use common::config::Activation;
use common::spec::{BN_EPS, BN_MOMENTUM};
use tch::{TchError, Tensor};

use super::build::Layer;
use super::norms::Norms;

/// One forward pass: the mode, the parameter tensors and the BatchNorm buffers.
pub(super) struct Pass<'a> {
    /// Train mode: dropout on, BatchNorm on batch statistics (unless frozen).
    pub train: bool,
    /// The parameters, in spec order.
    pub p: &'a [Tensor],
    /// Whether Linear weights in `p` are given as `Wᵀ`.
    pub transposed: bool,
    /// Running statistics, updated in place by a train-mode BatchNorm.
    pub norms: &'a Norms,
    /// `(top-level index, mask)`: those dropout layers multiply by the mask instead of
    /// drawing one (parity checks replay the scratch side's draws).
    pub masks: &'a [(usize, Tensor)],
}

type R = std::result::Result<Tensor, TchError>;

impl Pass<'_> {
    /// The top-level layers in order, replaying [`Pass::masks`].
    pub fn top(&self, layers: &[Layer], h: Tensor) -> R {
        layers.iter().enumerate().try_fold(h, |h, (i, l)| {
            match self.masks.iter().find(|(at, _)| *at == i) {
                Some((_, m)) if matches!(l, Layer::Dropout(_)) => {
                    h.f_mul(&m.f_to_kind(h.kind())?.f_view(h.size().as_slice())?)
                }
                _ => self.apply(l, h),
            }
        })
    }

    /// The layers in order.
    pub fn chain(&self, layers: &[Layer], h: Tensor) -> R {
        layers.iter().try_fold(h, |h, l| self.apply(l, h))
    }

    fn apply(&self, layer: &Layer, h: Tensor) -> R {
        let p = self.p;
        Ok(match *layer {
            // What `F.linear` runs for a 2-D input with a bias.
            Layer::Linear { w, b } if self.transposed && h.dim() == 2 => p[b].f_addmm(&h, &p[w])?,
            Layer::Linear { w, b } if self.transposed => h.f_linear(&p[w].f_tr()?, Some(&p[b]))?,
            Layer::Linear { w, b } => h.f_linear(&p[w], Some(&p[b]))?,
            Layer::Conv2d {
                w,
                b,
                stride,
                padding,
            } => h.f_conv2d(
                &p[w],
                b.map(|b| &p[b]),
                [stride, stride],
                [padding, padding],
                [1, 1],
                1,
            )?,
            Layer::Embed { dense, ref tables } => self.embed(dense, tables, &h)?,
            Layer::Act(act) => activate(act, &h)?,
            Layer::Dropout(rate) => h.f_dropout(rate, self.train)?,
            Layer::MaxPool2d { k, stride, padding } => {
                h.f_max_pool2d([k, k], [stride, stride], [padding, padding], [1, 1], false)?
            }
            Layer::Flatten => h.f_flatten(1, -1)?,
            Layer::BatchNorm { w, b, norm, frozen } => {
                let training = self.train && !frozen;
                let (mean, var) = self.norms.stats(norm);
                let y = h.f_batch_norm(
                    Some(&p[w]),
                    Some(&p[b]),
                    Some(mean),
                    Some(var),
                    training,
                    BN_MOMENTUM,
                    BN_EPS,
                    true,
                )?;
                if training {
                    self.norms.count_batch(norm)?;
                }
                y
            }
            // torchvision's `avgpool` then `torch.flatten(x, 1)`.
            Layer::GlobalAvgPool => h.f_adaptive_avg_pool2d([1, 1])?.f_flatten(1, -1)?,
            Layer::Sequential(ref layers) => self.chain(layers, h)?,
            Layer::Residual {
                ref body,
                ref downsample,
                act,
            } => {
                let shortcut = if downsample.is_empty() {
                    h.shallow_clone()
                } else {
                    self.chain(downsample, h.shallow_clone())?
                };
                let main = self.chain(body, h)?;
                activate(act, &main.f_add(&shortcut)?)?
            }
        })
    }
}

impl Pass<'_> {
    /// What the PyTorch model's `forward` does with `self.emb` (see `common::spec` `embed.rs`):
    /// `cat([x[:, :dense]] + [emb[k](x[:, dense + t].long()) for each table], 1)`.
    fn embed(&self, dense: i64, tables: &[usize], h: &Tensor) -> R {
        let mut parts = vec![h.f_narrow(1, 0, dense)?];
        for (t, &w) in tables.iter().enumerate() {
            let rows = h
                .f_select(1, dense + t as i64)?
                .f_to_kind(tch::Kind::Int64)?;
            let padding_idx = common::spec::UNSEEN_ROW as i64;
            parts.push(Tensor::f_embedding(
                &self.p[w],
                &rows,
                padding_idx,
                false,
                false,
            )?);
        }
        Tensor::f_cat(&parts, 1)
    }
}

fn activate(act: Activation, h: &Tensor) -> R {
    match act {
        Activation::Relu => h.f_relu(),
        Activation::Tanh => h.f_tanh(),
        Activation::Sigmoid => h.f_sigmoid(),
    }
}
