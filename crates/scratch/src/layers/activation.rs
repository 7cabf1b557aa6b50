//! Element-wise activations (the chapter's `layers.ReLU`, plus Tanh and Sigmoid). Each caches
//! its *output*, from which its derivative follows: ReLU `1[y > 0]` (same as `1[x > 0]`),
//! Tanh `1 − y²`, Sigmoid `y(1 − y)`.

use common::config::Activation as Kind;
use ndarray::ArrayView2;

use crate::float::Float;
use crate::ops::{map_into, zip_map_into, Buf};

/// Numerically stable logistic function: `1/(1+e^{-z})` for `z ≥ 0`, `e^z/(1+e^z)` otherwise,
/// so that `exp` never overflows (the chapter's `losses.sigmoid`).
pub fn sigmoid<F: Float>(z: F) -> F {
    if z >= F::zero() {
        F::one() / (F::one() + (-z).exp())
    } else {
        let e = z.exp();
        e / (F::one() + e)
    }
}

/// An activation layer and its output cache.
#[derive(Debug, Clone)]
pub struct Activation<F: Float> {
    /// Which function.
    pub kind: Kind,
    out: Buf<F>,
    dx: Buf<F>,
}

impl<F: Float> Activation<F> {
    /// A layer applying `kind`.
    pub fn new(kind: Kind) -> Self {
        Activation {
            kind,
            out: Buf::new(),
            dx: Buf::new(),
        }
    }

    /// `y = f(x)` element-wise.
    ///
    /// # Shapes
    /// `x`: `[n, d]` → `[n, d]`.
    pub fn forward(&mut self, x: ArrayView2<'_, F>) -> ArrayView2<'_, F> {
        self.out.resize(x.nrows(), x.ncols());
        let out = self.out.as_mut_slice();
        let zero = F::zero();
        match self.kind {
            // `v < 0` (not `v > 0`) so that a NaN passes through, as in torch, and divergence shows.
            Kind::Relu => map_into(out, x, |v| if v < zero { zero } else { v }),
            Kind::Tanh => map_into(out, x, |v| v.tanh()),
            Kind::Sigmoid => map_into(out, x, sigmoid),
        }
        self.out.view()
    }

    /// `dX = dY ⊙ f'(x)`, with `f'` written in terms of the cached output.
    ///
    /// # Shapes
    /// `dy`: `[n, d]` → [`Activation::grad_input`] `[n, d]`.
    pub fn backward(&mut self, dy: ArrayView2<'_, F>) {
        self.dx.resize(dy.nrows(), dy.ncols());
        let (one, zero) = (F::one(), F::zero());
        let (dx, y) = (self.dx.as_mut_slice(), self.out.as_slice());
        match self.kind {
            Kind::Relu => zip_map_into(dx, y, dy, |y, g| if y > zero { g } else { zero }),
            Kind::Tanh => zip_map_into(dx, y, dy, |y, g| g * (one - y * y)),
            Kind::Sigmoid => zip_map_into(dx, y, dy, |y, g| g * (y * (one - y))),
        }
    }

    /// The output of the last forward pass.
    pub fn output(&self) -> ArrayView2<'_, F> {
        self.out.view()
    }
    /// `∂L/∂x` of the last backward pass.
    pub fn grad_input(&self) -> ArrayView2<'_, F> {
        self.dx.view()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_is_stable_and_symmetric() {
        assert_eq!(sigmoid(1e4f64), 1.0);
        assert_eq!(sigmoid(-1e4f64), 0.0);
        assert!((sigmoid(0.3f64) + sigmoid(-0.3f64) - 1.0).abs() < 1e-15);
        assert_eq!(sigmoid(0.0f32), 0.5);
    }
}
