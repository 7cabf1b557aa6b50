//! Host-side tensors exchanged between crates: initial weights, checkpoints, parity checks.
//!
//! Both backends convert their own tensors to and from [`HostTensor`], so `common` never
//! depends on ndarray layouts of a backend or on libtorch.

/// Element storage of a host tensor (row-major).
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    /// 32-bit floats.
    F32(Vec<f32>),
    /// 64-bit floats.
    F64(Vec<f64>),
}

/// A dense row-major tensor on the host.
///
/// # Shapes
/// `data.len() == shape.iter().product()`.
#[derive(Debug, Clone, PartialEq)]
pub struct HostTensor {
    /// Dimensions, outermost first (a Linear weight is `[out, in]`).
    pub shape: Vec<usize>,
    /// The elements.
    pub data: TensorData,
}

/// A list of named tensors in a stable order (PyTorch `state_dict` names).
pub type NamedTensors = Vec<(String, HostTensor)>;

impl HostTensor {
    /// A f64 tensor; panics in debug builds if the length does not match the shape.
    pub fn f64(shape: Vec<usize>, data: Vec<f64>) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        HostTensor {
            shape,
            data: TensorData::F64(data),
        }
    }
    /// A f32 tensor; panics in debug builds if the length does not match the shape.
    pub fn f32(shape: Vec<usize>, data: Vec<f32>) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        HostTensor {
            shape,
            data: TensorData::F32(data),
        }
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.data {
            TensorData::F32(v) => v.len(),
            TensorData::F64(v) => v.len(),
        }
    }
    /// True when the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The elements as f64 (converting from f32 if needed).
    pub fn to_f64(&self) -> Vec<f64> {
        match &self.data {
            TensorData::F32(v) => v.iter().map(|&x| x as f64).collect(),
            TensorData::F64(v) => v.clone(),
        }
    }
    /// The elements as f32 (rounding from f64 if needed).
    pub fn to_f32(&self) -> Vec<f32> {
        match &self.data {
            TensorData::F32(v) => v.clone(),
            TensorData::F64(v) => v.iter().map(|&x| x as f32).collect(),
        }
    }
}

/// Finds a tensor by name.
pub fn find<'a>(tensors: &'a NamedTensors, name: &str) -> Option<&'a HostTensor> {
    tensors.iter().find(|(n, _)| n == name).map(|(_, t)| t)
}

/// Refuses a set of model tensors (a checkpoint, weights to start from) that holds a model
/// tensor (`net.*`) the model has no place for (`is_param` says which names it has), naming
/// the first such tensor and the model (`describe`). Both backends call it before loading, so
/// neither ignores a stray weight silently; other prefixes (`optim.*`) are the optimizer's.
pub fn refuse_unknown_params(
    tensors: &NamedTensors,
    is_param: impl Fn(&str) -> bool,
    describe: &str,
) -> crate::Result<()> {
    match tensors
        .iter()
        .find(|(n, _)| n.starts_with("net.") && !is_param(n))
    {
        Some((name, _)) => Err(crate::Error::Shape(format!(
            "tensor '{name}' is not a parameter of the model {describe}"
        ))),
        None => Ok(()),
    }
}
