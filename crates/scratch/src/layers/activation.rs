//! Element-wise activations (the chapter's `layers.ReLU`, plus Tanh and Sigmoid). Each caches
//! its input `X`, as the chapter's ReLU does, and its derivative follows from it: ReLU
//! `1[X > 0]`, Tanh `1 − tanh²(X)`, Sigmoid `σ(X)(1 − σ(X))`.

use common::config::Activation as Kind;
use ndarray::ArrayView2;

use super::layer::{Layer, Mode};
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

/// An activation layer and its cache.
#[derive(Debug, Clone)]
pub struct Activation<F: Float> {
    /// Which function.
    pub kind: Kind,
    /// The input of the last forward pass (the chapter's `cache_X`).
    cache_x: Buf<F>,
    /// `∂L/∂x` of the last backward pass.
    dx: Buf<F>,
}

impl<F: Float> Activation<F> {
    /// A layer applying `kind`.
    pub fn new(kind: Kind) -> Self {
        Activation {
            kind,
            cache_x: Buf::new(),
            dx: Buf::new(),
        }
    }
}

/// ReLU: `v < 0` (not `v > 0`) decides, so that a NaN passes through as in torch and a
/// divergence shows.
fn relu<F: Float>(v: F) -> F {
    if v < F::zero() {
        F::zero()
    } else {
        v
    }
}

impl<F: Float> Layer<F> for Activation<F> {
    /// `cache_X = X`; `Y = f(X)` element-wise.
    fn forward(&mut self, x: Buf<F>, _: Mode<'_>) -> Buf<F> {
        let mut y = std::mem::replace(&mut self.cache_x, x);
        let x = self.cache_x.view();
        y.resize(x.nrows(), x.ncols());
        match self.kind {
            Kind::Relu => map_into(y.as_mut_slice(), x, relu),
            Kind::Tanh => map_into(y.as_mut_slice(), x, |v| v.tanh()),
            Kind::Sigmoid => map_into(y.as_mut_slice(), x, sigmoid),
        }
        y
    }

    /// `dX = dY ⊙ f'(X)`: ReLU `dY·1[X > 0]` (the chapter's), Tanh `dY·(1 − tanh²X)`, Sigmoid
    /// `dY·σ(X)(1 − σ(X))` (`f(X)` recomputed from the cache gives the forward's exact bits).
    fn backward<'a>(
        &'a mut self,
        dy: ArrayView2<'a, F>,
        need_dx: bool,
    ) -> Option<ArrayView2<'a, F>> {
        if !need_dx {
            return None;
        }
        self.dx.resize(dy.nrows(), dy.ncols());
        let (one, zero) = (F::one(), F::zero());
        let (dx, x) = (self.dx.as_mut_slice(), self.cache_x.as_slice());
        match self.kind {
            Kind::Relu => zip_map_into(dx, x, dy, |x, g| if x > zero { g } else { zero }),
            Kind::Tanh => zip_map_into(dx, x, dy, |x, g| {
                let y = x.tanh();
                g * (one - y * y)
            }),
            Kind::Sigmoid => zip_map_into(dx, x, dy, |x, g| {
                let y = sigmoid(x);
                g * (y * (one - y))
            }),
        }
        Some(self.dx.view())
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
