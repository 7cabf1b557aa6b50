//! The optimizer's state in checkpoints: `optim.{param}.momentum_buffer|exp_avg|exp_avg_sq`,
//! split per parameter from the flat buffers on export and written back into them on import,
//! so that a resumed run continues bit for bit (the chapter's `optimizer.state_dict()`).

use common::spec::ParamInfo;
use common::tensor::{HostTensor, NamedTensors};
use common::{Error, Result};
use tch::Tensor;

use super::{Optimizer, State};
use crate::convert::{host_to_tensor, tensor_to_host, TchContext};

impl Optimizer {
    /// The state as `optim.{param}.{momentum_buffer|exp_avg|exp_avg_sq}` host tensors, split
    /// per parameter with the spans of [`crate::model::Net::spans`].
    pub fn export(&self, infos: &[ParamInfo], spans: &[(i64, i64)]) -> Result<NamedTensors> {
        let mut out = Vec::new();
        for (suffix, buf) in self.buffers() {
            for (info, &(o, n)) in infos.iter().zip(spans) {
                let name = format!("optim.{}.{suffix}", info.name);
                let view = buf
                    .f_narrow(0, o, n)
                    .and_then(|v| v.f_reshape(crate::convert::dims(&info.shape)))
                    .ctx(&name)?;
                out.push((name.clone(), tensor_to_host(&view, &name)?));
            }
        }
        Ok(out)
    }

    /// Loads the state tensors present in `tensors` (others keep their value); each must have
    /// its parameter's shape. A momentum buffer absent from `tensors` stays absent.
    pub fn import(
        &mut self,
        tensors: &NamedTensors,
        infos: &[ParamInfo],
        spans: &[(i64, i64)],
    ) -> Result<()> {
        let suffixes: &[&str] = match self.state {
            State::Sgd { .. } => &["momentum_buffer"],
            State::Adam(_) => &["exp_avg", "exp_avg_sq"],
        };
        for suffix in suffixes {
            for (info, &(o, n)) in infos.iter().zip(spans) {
                let name = format!("optim.{}.{suffix}", info.name);
                if let Some(t) = common::tensor::find(tensors, &name) {
                    self.load_slice(suffix, &name, t, &info.shape, o, n)?;
                }
            }
        }
        Ok(())
    }

    fn load_slice(
        &mut self,
        suffix: &str,
        name: &str,
        t: &HostTensor,
        shape: &[usize],
        o: i64,
        n: i64,
    ) -> Result<()> {
        if t.shape != shape {
            return Err(Error::Shape(format!(
                "tensor '{name}' has shape {:?}, the parameter has {shape:?}",
                t.shape
            )));
        }
        let (kind, device) = (self.k.wd.kind(), self.k.wd.device());
        let src = host_to_tensor(t, name, kind, device)?;
        let buf = match (&mut self.state, suffix) {
            (State::Sgd { buffer }, _) => {
                // A buffer loaded for some parameters only: the rest start from zero, which a
                // checkpoint written by this optimizer never produces (all or none).
                if buffer.is_none() {
                    *buffer = Some(Tensor::f_zeros([self.numel], (kind, device)).ctx(name)?);
                }
                buffer.as_mut().map(|b| b.shallow_clone())
            }
            (State::Adam(a), "exp_avg") => Some(a.exp_avg.shallow_clone()),
            (State::Adam(a), _) => Some(a.exp_avg_sq.shallow_clone()),
        };
        match buf {
            Some(b) => {
                tch::no_grad(|| b.f_narrow(0, o, n)?.f_copy_(&src.f_reshape([-1])?)).ctx(name)
            }
            None => Ok(()),
        }
    }

    /// The state buffers with their checkpoint suffixes.
    fn buffers(&self) -> Vec<(&'static str, &Tensor)> {
        match &self.state {
            State::Sgd { buffer: Some(b) } => vec![("momentum_buffer", b)],
            State::Sgd { buffer: None } => vec![],
            // Like `torch.optim.Adam`, whose state appears with the first step.
            State::Adam(_) if self.step == 0 => vec![],
            State::Adam(a) => vec![("exp_avg", &a.exp_avg), ("exp_avg_sq", &a.exp_avg_sq)],
        }
    }
}
