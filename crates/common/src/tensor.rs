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
    /// 64-bit integers (a BatchNorm's `num_batches_tracked`).
    I64(Vec<i64>),
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
    /// An int64 tensor (a batch count); panics in debug builds if the length does not match.
    pub fn i64(shape: Vec<usize>, data: Vec<i64>) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        HostTensor {
            shape,
            data: TensorData::I64(data),
        }
    }
    /// The elements as i64 (floats rounded toward zero, as `tensor.long()`).
    pub fn to_i64(&self) -> Vec<i64> {
        match &self.data {
            TensorData::I64(v) => v.clone(),
            TensorData::F32(v) => v.iter().map(|&x| x as i64).collect(),
            TensorData::F64(v) => v.iter().map(|&x| x as i64).collect(),
        }
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.data {
            TensorData::F32(v) => v.len(),
            TensorData::F64(v) => v.len(),
            TensorData::I64(v) => v.len(),
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
            TensorData::I64(v) => v.iter().map(|&x| x as f64).collect(),
        }
    }
    /// The elements as f32 (rounding from f64 if needed).
    pub fn to_f32(&self) -> Vec<f32> {
        match &self.data {
            TensorData::F32(v) => v.clone(),
            TensorData::F64(v) => v.iter().map(|&x| x as f32).collect(),
            TensorData::I64(v) => v.iter().map(|&x| x as f32).collect(),
        }
    }
}

/// Finds a tensor by name.
pub fn find<'a>(tensors: &'a NamedTensors, name: &str) -> Option<&'a HostTensor> {
    tensors.iter().find(|(n, _)| n == name).map(|(_, t)| t)
}

/// Refuses a set of model tensors (a checkpoint, weights to start from) that holds a tensor
/// in the model's namespace ([`crate::spec::ModelSpec::claims`]) that the model has no place
/// for, naming the first such tensor and the model. Both backends call it before loading, so
/// neither ignores a stray weight silently; `optim.*` tensors are the optimizer's.
pub fn refuse_unknown_params(
    tensors: &NamedTensors,
    spec: &crate::spec::ModelSpec,
) -> crate::Result<()> {
    let state = spec.state();
    match tensors
        .iter()
        .find(|(n, _)| spec.claims(n) && !state.iter().any(|(s, _)| s == n))
    {
        Some((name, _)) => Err(crate::Error::Shape(format!(
            "tensor '{name}' is not a parameter or buffer of the model {}",
            spec.describe()
        ))),
        None => Ok(()),
    }
}
