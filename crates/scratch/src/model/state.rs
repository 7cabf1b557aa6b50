//! A model's state as named host tensors: its parameters and buffers exported and loaded by
//! `state_dict` name, each shape checked before anything is written.

use common::tensor::{find, NamedTensors};
use common::{Error, Result};

use super::Model;
use crate::float::Float;
use crate::layers::{BufferMut, BufferRef};

impl<F: Float> Model<F> {
    /// The parameters, then the buffers, as host tensors with `state_dict` names and shapes
    /// (`num_batches_tracked` as int64, as in PyTorch).
    pub fn export(&self) -> NamedTensors {
        let shapes = self.shapes.iter();
        let mut out: NamedTensors = self
            .params()
            .zip(shapes)
            .map(|((n, v, _), s)| (n.to_string(), F::host(s.clone(), v.to_vec())))
            .collect();
        let buffers = self.layers.iter().flat_map(|l| l.buffers());
        for (info, b) in self.buffers.iter().zip(buffers) {
            let t = match b {
                BufferRef::Values(v) => F::host(info.shape.clone(), v.to_vec()),
                BufferRef::Count(c) => common::tensor::HostTensor::i64(info.shape.clone(), vec![c]),
            };
            out.push((info.name.clone(), t));
        }
        out
    }

    /// A buffer by name (`bn1.running_mean`), its values as f64.
    pub fn buffer(&self, name: &str) -> Option<Vec<f64>> {
        let i = self.buffers.iter().position(|b| b.name == name)?;
        let b = self.layers.iter().flat_map(|l| l.buffers()).nth(i)?;
        Some(match b {
            BufferRef::Values(v) => v.iter().map(|x| x.as_f64()).collect(),
            BufferRef::Count(c) => vec![c as f64],
        })
    }

    /// Loads parameters and buffers by name. With `required`, a missing tensor is an error; a tensor of
    /// the wrong shape always is (naming it and both shapes). Names the model lacks are not
    /// looked up here: a checkpoint's stray `net.*` tensor is refused before loading by the
    /// backend's import (`common::tensor::refuse_unknown_params`, as in the torch route).
    pub fn load(&mut self, tensors: &NamedTensors, required: bool) -> Result<()> {
        // Check every tensor before writing any, so a bad file leaves the model untouched.
        let mut values = Vec::with_capacity(self.names.len());
        for (name, shape) in self.names.iter().zip(&self.shapes) {
            values.push(match find(tensors, name) {
                Some(t) => Some(checked::<F>(name, shape, t)?),
                None if required => {
                    return Err(Error::Shape(format!(
                        "tensor '{name}' (shape {shape:?}) is missing"
                    )));
                }
                None => None,
            });
        }
        let mut buffers = Vec::with_capacity(self.buffers.len());
        for b in &self.buffers {
            buffers.push(match find(tensors, &b.name) {
                Some(t) => Some(checked::<F>(&b.name, &b.shape, t).map(|_| t)?),
                None if required => {
                    let msg = format!("buffer '{}' (shape {:?}) is missing", b.name, b.shape);
                    return Err(Error::Shape(msg));
                }
                None => None,
            });
        }
        let mut values = values.into_iter();
        self.visit_params_mut(|p| {
            if let Some(Some(v)) = values.next() {
                p.value.copy_from_slice(&v);
            }
        });
        let mut buffers = buffers.into_iter();
        for layer in &mut self.layers {
            layer.visit_buffers_mut(&mut |b| match (b, buffers.next()) {
                (BufferMut::Values(v), Some(Some(t))) => v.copy_from_slice(&F::from_host(t)),
                (BufferMut::Count(c), Some(Some(t))) => *c = t.to_i64()[0],
                _ => {}
            });
        }
        Ok(())
    }
}

/// The elements of `t` in precision `F`, if its shape is `shape` (the error names `name`).
pub(crate) fn checked<F: Float>(
    name: &str,
    shape: &[usize],
    t: &common::tensor::HostTensor,
) -> Result<Vec<F>> {
    if t.shape != shape || t.len() != shape.iter().product::<usize>() {
        let msg = format!(
            "tensor '{name}': expected shape {shape:?}, got {:?} ({} elements)",
            t.shape,
            t.len()
        );
        return Err(Error::Shape(msg));
    }
    Ok(F::from_host(t))
}
