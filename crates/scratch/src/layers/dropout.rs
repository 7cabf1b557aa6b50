//! Inverted dropout (the chapter's regularisation advice; `nn.Dropout`): in train mode each
//! element is kept with probability `1 − p` and scaled by `1/(1 − p)`, so eval mode is the
//! identity and needs no rescaling. The mask is the cache of the backward pass.

use common::seed::Rng;
use ndarray::ArrayView2;
use rand::Rng as _;

use crate::float::Float;
use crate::ops::{map_into, zip_map_into, Buf};

/// A dropout layer with its mask cache.
#[derive(Debug, Clone)]
pub struct Dropout<F: Float> {
    /// Drop probability in `[0, 1)`.
    pub p: f64,
    mask: Buf<F>,
    /// Whether the last forward pass applied `mask` (train mode with `p > 0`).
    masked: bool,
    out: Buf<F>,
    dx: Buf<F>,
}

impl<F: Float> Dropout<F> {
    /// A layer dropping with probability `p`.
    pub fn new(p: f64) -> Self {
        Dropout {
            p,
            mask: Buf::new(),
            masked: false,
            out: Buf::new(),
            dx: Buf::new(),
        }
    }

    /// Train mode: draws the mask from `rng` (one uniform per element, row-major) and applies
    /// it; eval mode (or `p = 0`): copies `x` and draws nothing.
    ///
    /// # Shapes
    /// `x`: `[n, d]` → `[n, d]`.
    pub fn forward(
        &mut self,
        x: ArrayView2<'_, F>,
        train: bool,
        rng: &mut Rng,
    ) -> ArrayView2<'_, F> {
        let (n, d) = x.dim();
        self.out.resize(n, d);
        self.masked = train && self.p > 0.0;
        if self.masked {
            self.mask.resize(n, d);
            let scale = F::of(1.0 / (1.0 - self.p));
            for m in self.mask.as_mut_slice() {
                *m = if rng.gen::<f64>() < self.p {
                    F::zero()
                } else {
                    scale
                };
            }
            zip_map_into(self.out.as_mut_slice(), self.mask.as_slice(), x, |m, v| {
                v * m
            });
        } else {
            map_into(self.out.as_mut_slice(), x, |v| v);
        }
        self.out.view()
    }

    /// `dX = dY ⊙ mask` (or `dY` when no mask was applied).
    ///
    /// # Shapes
    /// `dy`: `[n, d]` → [`Dropout::grad_input`] `[n, d]`.
    pub fn backward(&mut self, dy: ArrayView2<'_, F>) {
        self.dx.resize(dy.nrows(), dy.ncols());
        if self.masked {
            zip_map_into(self.dx.as_mut_slice(), self.mask.as_slice(), dy, |m, g| {
                g * m
            });
        } else {
            map_into(self.dx.as_mut_slice(), dy, |g| g);
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
    use ndarray::Array2;
    use rand::SeedableRng;

    #[test]
    fn train_mode_scales_kept_units_and_eval_is_identity() {
        let x = Array2::from_elem((50, 40), 1.0f64);
        let mut d = Dropout::<f64>::new(0.25);
        let mut rng = Rng::seed_from_u64(7);
        let y = d.forward(x.view(), true, &mut rng).to_owned();
        let kept = y.iter().filter(|&&v| v != 0.0).count();
        assert!(y
            .iter()
            .all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-15));
        // 2000 draws at p = 0.25: 1500 expected, 5 standard deviations is about ±97.
        assert!((1400..=1600).contains(&kept), "kept {kept}");
        assert_eq!(d.forward(x.view(), false, &mut rng), x.view());
    }
}
