//! Conversions between host data (`ndarray` matrices, [`HostTensor`]s, labels) and libtorch
//! tensors, the precision switch, and the mapping of libtorch's errors to [`common::Error`].
//! The chapter's `torch.tensor(Xtr, dtype=torch.float32)` / `torch.long` of `make_loaders`.

use common::tensor::{HostTensor, TensorData};
use common::{Error, Result};
use ndarray::Array2;
use tch::{Device, Kind, TchError, Tensor};

/// Floating-point precision of a torch backend: `F32` to train fast, `F64` for exact parity
/// with the scratch backend in double precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// `torch.float32` (the default).
    #[default]
    F32,
    /// `torch.float64`.
    F64,
}

impl Precision {
    /// The libtorch element kind.
    pub fn kind(self) -> Kind {
        match self {
            Precision::F32 => Kind::Float,
            Precision::F64 => Kind::Double,
        }
    }
}

/// Adds what was being done to a libtorch error, as `Error::Backend`.
pub(crate) trait TchContext<T> {
    /// `Error::Backend("libtorch: <what>: <error>")`.
    fn ctx(self, what: &str) -> Result<T>;
}

impl<T> TchContext<T> for std::result::Result<T, TchError> {
    fn ctx(self, what: &str) -> Result<T> {
        self.map_err(|e| Error::Backend(format!("libtorch: {what}: {e}")))
    }
}

/// Shape as libtorch wants it.
pub(crate) fn dims(shape: &[usize]) -> Vec<i64> {
    shape.iter().map(|&d| d as i64).collect()
}

/// Uploads a host tensor with its shape, converted to `kind`, onto `device`. `what` names it
/// in errors.
///
/// # Shapes
/// `t.shape` → the same shape.
pub fn host_to_tensor(t: &HostTensor, what: &str, kind: Kind, device: Device) -> Result<Tensor> {
    let numel: usize = t.shape.iter().product();
    if numel != t.len() {
        return Err(Error::Shape(format!(
            "tensor '{what}' has {} elements but shape {:?} needs {numel}",
            t.len(),
            t.shape
        )));
    }
    let flat = match &t.data {
        TensorData::F32(v) => Tensor::f_from_slice(v),
        TensorData::F64(v) => Tensor::f_from_slice(v),
        TensorData::I64(v) => Tensor::f_from_slice(v),
    };
    flat.and_then(|f| f.f_reshape(dims(&t.shape)))
        .and_then(|f| f.f_to_dtype(kind, false, false))
        .and_then(|f| f.f_to_device_(device, kind, false, false))
        .ctx(what)
}

/// Downloads a tensor to the host: `Float` becomes F32 data, `Double` F64, `Int64` I64.
///
/// # Shapes
/// Any shape → the same shape (row-major).
pub fn tensor_to_host(t: &Tensor, what: &str) -> Result<HostTensor> {
    let shape: Vec<usize> = t.size().iter().map(|&d| d as usize).collect();
    let flat = t.f_reshape([-1]).ctx(what)?;
    match t.kind() {
        Kind::Float => Ok(HostTensor::f32(
            shape,
            Vec::<f32>::try_from(&flat).ctx(what)?,
        )),
        Kind::Double => Ok(HostTensor::f64(
            shape,
            Vec::<f64>::try_from(&flat).ctx(what)?,
        )),
        Kind::Int64 => Ok(HostTensor::i64(
            shape,
            Vec::<i64>::try_from(&flat).ctx(what)?,
        )),
        k => Err(Error::Backend(format!(
            "tensor '{what}' has kind {k:?}, expected a float tensor"
        ))),
    }
}

/// Uploads a feature matrix.
///
/// # Shapes
/// `x`: `[n, d]` → `[n, d]`.
pub fn matrix_to_tensor(x: &Array2<f32>, kind: Kind, device: Device) -> Result<Tensor> {
    let (n, d) = x.dim();
    let data = x.as_standard_layout();
    let slice = data.as_slice().unwrap_or_default();
    Tensor::f_from_slice(slice)
        .and_then(|t| t.f_reshape([n as i64, d as i64]))
        .and_then(|t| t.f_to_device_(device, kind, false, false))
        .ctx("upload features")
}

/// Downloads a 2-D float tensor as an f32 matrix (f64 values are rounded).
///
/// # Shapes
/// `[n, k]` → `[n, k]`.
pub fn tensor_to_matrix(t: &Tensor) -> Result<Array2<f32>> {
    let size = t.size();
    if size.len() != 2 {
        return Err(Error::Shape(format!(
            "expected a 2-D tensor, got shape {size:?}"
        )));
    }
    let v =
        Vec::<f32>::try_from(&t.f_reshape([-1]).ctx("download logits")?).ctx("download logits")?;
    Array2::from_shape_vec((size[0] as usize, size[1] as usize), v)
        .map_err(|e| Error::Shape(format!("logits of shape {size:?}: {e}")))
}

/// Uploads class indices as an `Int64` tensor (what `cross_entropy` and `index_select` take).
///
/// # Shapes
/// `y`: `[n]` → `[n]`.
pub fn labels_to_tensor(y: &[usize], device: Device) -> Result<Tensor> {
    let v: Vec<i64> = y.iter().map(|&c| c as i64).collect();
    Tensor::f_from_slice(&v)
        .and_then(|t| t.f_to_device(device))
        .ctx("upload labels")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_round_trip_keeps_shape_values_and_precision() {
        let h = HostTensor::f64(vec![2, 3], vec![1.0, -2.5, 3.25, 0.0, 1e-3, 7.0]);
        let t = host_to_tensor(&h, "w", Kind::Double, Device::Cpu).unwrap();
        assert_eq!(t.size(), vec![2, 3]);
        assert_eq!(tensor_to_host(&t, "w").unwrap(), h);
        let t32 = host_to_tensor(&h, "w", Kind::Float, Device::Cpu).unwrap();
        assert_eq!(
            tensor_to_host(&t32, "w").unwrap().data,
            TensorData::F32(h.to_f32())
        );
    }

    #[test]
    fn bad_length_names_the_tensor() {
        let h = HostTensor {
            shape: vec![2, 2],
            data: TensorData::F32(vec![1.0; 3]),
        };
        let err = host_to_tensor(&h, "net.0.weight", Kind::Float, Device::Cpu).unwrap_err();
        assert!(err.to_string().contains("net.0.weight"), "{err}");
    }

    #[test]
    fn matrix_round_trip_including_non_standard_layout() {
        let x = Array2::from_shape_vec((3, 2), vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let t = matrix_to_tensor(&x.t().to_owned(), Kind::Float, Device::Cpu).unwrap();
        assert_eq!(t.size(), vec![2, 3]);
        assert_eq!(tensor_to_matrix(&t).unwrap(), x.t());
        let empty = Array2::<f32>::zeros((0, 4));
        assert_eq!(
            matrix_to_tensor(&empty, Kind::Double, Device::Cpu)
                .unwrap()
                .size(),
            vec![0, 4]
        );
    }

    #[test]
    fn labels_are_int64() {
        let t = labels_to_tensor(&[0, 2, 1], Device::Cpu).unwrap();
        assert_eq!(t.kind(), Kind::Int64);
        assert_eq!(Vec::<i64>::try_from(&t).unwrap(), vec![0, 2, 1]);
    }
}
