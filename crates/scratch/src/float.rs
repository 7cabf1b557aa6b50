//! The float type the network computes in: `f32` for training speed, `f64` for gradient checks
//! and parity with libtorch in double precision, where rounding error stays near 1e-13 a step.
//! Everything in this crate is generic over [`Float`]; the two impls below are all there is.

use common::tensor::{HostTensor, TensorData};
use ndarray::{LinalgScalar, ScalarOperand};
use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, MulAssign, SubAssign};

/// A scalar the layers, losses and optimizers can compute in (`f32` or `f64`).
///
/// `Element` gives the large products this crate's GEMM kernels (`ops/gemm`); `LinalgScalar`
/// lets ndarray multiply them (matrixmultiply, the GEMM's fallback); `num_traits::Float`
/// brings `exp`, `ln_1p`, `sqrt`, ...; the conversions below move values across the
/// crate boundary (configs and host tensors are f64/f32).
pub trait Float:
    LinalgScalar
    + crate::ops::gemm::Element
    + num_traits::Float
    + ScalarOperand
    + AddAssign
    + SubAssign
    + MulAssign
    + Sum
    + Default
    + Debug
    + Display
    + Send
    + Sync
    + 'static
{
    /// `"f32"` or `"f64"`, for messages and bench output.
    const NAME: &'static str;
    /// Converts from f64 (rounding to nearest for f32).
    fn of(x: f64) -> Self;
    /// Converts from f32 (exact for both types).
    fn of_f32(x: f32) -> Self;
    /// Widens to f64 (exact for both types).
    fn as_f64(self) -> f64;
    /// Narrows to f32 (rounding to nearest for f64).
    fn as_f32(self) -> f32;
    /// Wraps row-major data in a host tensor of this precision.
    ///
    /// # Shapes
    /// `data.len() == shape.iter().product()`.
    fn host(shape: Vec<usize>, data: Vec<Self>) -> HostTensor;
    /// The elements of a host tensor in this precision (converting if it holds the other one).
    fn from_host(t: &HostTensor) -> Vec<Self>;
}

impl Float for f32 {
    const NAME: &'static str = "f32";
    fn of(x: f64) -> Self {
        x as f32
    }
    fn of_f32(x: f32) -> Self {
        x
    }
    fn as_f64(self) -> f64 {
        self as f64
    }
    fn as_f32(self) -> f32 {
        self
    }
    fn host(shape: Vec<usize>, data: Vec<Self>) -> HostTensor {
        HostTensor::f32(shape, data)
    }
    fn from_host(t: &HostTensor) -> Vec<Self> {
        t.to_f32()
    }
}

impl Float for f64 {
    const NAME: &'static str = "f64";
    fn of(x: f64) -> Self {
        x
    }
    fn of_f32(x: f32) -> Self {
        x as f64
    }
    fn as_f64(self) -> f64 {
        self
    }
    fn as_f32(self) -> f32 {
        self as f32
    }
    fn host(shape: Vec<usize>, data: Vec<Self>) -> HostTensor {
        HostTensor::f64(shape, data)
    }
    fn from_host(t: &HostTensor) -> Vec<Self> {
        match &t.data {
            TensorData::F64(v) => v.clone(),
            TensorData::F32(v) => v.iter().map(|&x| x as f64).collect(),
            TensorData::I64(v) => v.iter().map(|&x| x as f64).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_round_trip_keeps_values_and_precision() {
        let t = f64::host(vec![2], vec![0.1, -2.5]);
        assert_eq!(t.data, TensorData::F64(vec![0.1, -2.5]));
        assert_eq!(f64::from_host(&t), vec![0.1, -2.5]);
        // f32 round-trips through f64 exactly.
        let t32 = f32::host(vec![1], vec![0.1]);
        assert_eq!(f64::from_host(&t32), vec![0.1f32 as f64]);
        assert_eq!(f32::from_host(&t32), vec![0.1f32]);
    }
}
