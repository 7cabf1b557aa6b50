//! The BatchNorms' buffers beside the flat parameter buffer: `running_mean`, `running_var`
//! (in the parameters' kind, on their device) and the int64 `num_batches_tracked`, one set per
//! BatchNorm in `state_dict` order. `F.batch_norm` updates the statistics in place in train
//! mode; the count is ours to advance, as `nn.BatchNorm2d.forward` does.

use common::spec::{BufferInfo, ModelSpec};
use common::tensor::{find, NamedTensors};
use common::{Error, Result};
use tch::{Device, Kind, TchError, Tensor};

use crate::convert::{dims, host_to_tensor, tensor_to_host, TchContext};

/// Every BatchNorm's buffers.
#[derive(Debug)]
pub(super) struct Norms {
    /// `(running_mean, running_var, num_batches_tracked)` per BatchNorm.
    sets: Vec<[Tensor; 3]>,
    /// The spec's buffers, three per BatchNorm, in the same order.
    infos: Vec<BufferInfo>,
}

impl Norms {
    /// Fresh buffers (mean 0, variance 1, count 0) for every BatchNorm of `spec`.
    pub fn new(
        spec: &ModelSpec,
        kind: Kind,
        device: Device,
    ) -> std::result::Result<Self, TchError> {
        let infos = spec.buffers();
        let sets = infos
            .chunks_exact(3)
            .map(|b| {
                let c = dims(&b[0].shape);
                Ok([
                    Tensor::f_zeros(c.as_slice(), (kind, device))?,
                    Tensor::f_ones(c.as_slice(), (kind, device))?,
                    Tensor::f_zeros([], (Kind::Int64, device))?,
                ])
            })
            .collect::<std::result::Result<_, TchError>>()?;
        Ok(Norms { sets, infos })
    }

    /// The running mean and variance of BatchNorm `i`.
    pub fn stats(&self, i: usize) -> (&Tensor, &Tensor) {
        (&self.sets[i][0], &self.sets[i][1])
    }

    /// `num_batches_tracked += 1` for BatchNorm `i` (after a train-mode forward).
    pub fn count_batch(&self, i: usize) -> std::result::Result<(), TchError> {
        let mut count = self.sets[i][2].shallow_clone();
        tch::no_grad(|| count.f_add_scalar_(1)).map(|_| ())
    }

    /// Every buffer on the host, named as the spec (the count as int64).
    pub fn export(&self) -> Result<NamedTensors> {
        self.infos
            .iter()
            .zip(self.sets.iter().flatten())
            .map(|(info, t)| Ok((info.name.clone(), tensor_to_host(t, &info.name)?)))
            .collect()
    }

    /// Copies every buffer in by name; each is required and its shape must match.
    pub fn load(&mut self, tensors: &NamedTensors) -> Result<()> {
        for (info, t) in self.infos.iter().zip(self.sets.iter_mut().flatten()) {
            let name = &info.name;
            let src = find(tensors, name)
                .ok_or_else(|| Error::Shape(format!("buffer '{name}' is missing")))?;
            if src.shape != info.shape {
                let msg = format!(
                    "buffer '{name}' has shape {:?}, the model needs {:?}",
                    src.shape, info.shape
                );
                return Err(Error::Shape(msg));
            }
            let v = host_to_tensor(src, name, t.kind(), t.device())?;
            tch::no_grad(|| t.f_copy_(&v)).ctx(name)?;
        }
        Ok(())
    }
}
