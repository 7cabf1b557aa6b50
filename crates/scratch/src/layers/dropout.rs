//! Inverted dropout (the chapter's regularisation advice; `nn.Dropout`): in train mode each
//! element is kept with probability `1 − p` and scaled by `1/(1 − p)`, so eval mode is the
//! identity and needs no rescaling. The mask is the cache of the backward pass.

use ndarray::ArrayView2;
use rand::Rng as _;

use super::layer::{Layer, Mode};
use crate::float::Float;
use crate::ops::{update_each, zip_map_into, Buf};

/// A dropout layer with its mask cache.
#[derive(Debug, Clone)]
pub struct Dropout<F: Float> {
    /// Drop probability in `[0, 1)`.
    pub p: f64,
    /// `0` or `1/(1 − p)` per element of the last forward pass: the cache of the backward pass.
    mask: Buf<F>,
    /// Whether the last forward pass applied `mask` (train mode with `p > 0`).
    masked: bool,
    /// `∂L/∂x` of the last backward pass.
    dx: Buf<F>,
}

impl<F: Float> Dropout<F> {
    /// A layer dropping with probability `p`.
    pub fn new(p: f64) -> Self {
        Dropout {
            p,
            mask: Buf::new(),
            masked: false,
            dx: Buf::new(),
        }
    }
}

impl<F: Float> Layer<F> for Dropout<F> {
    /// Train mode: draws the mask from the stream (one uniform per element, row-major) and
    /// multiplies the batch by it in place; eval mode (or `p = 0`): the identity, no draw.
    fn forward(&mut self, mut x: Buf<F>, mode: Mode<'_>) -> Buf<F> {
        self.masked = false;
        let Mode::Train(rng) = mode else {
            return x;
        };
        if self.p == 0.0 {
            return x;
        }
        self.masked = true;
        self.mask.resize(x.rows(), x.cols());
        let scale = F::of(1.0 / (1.0 - self.p));
        for m in self.mask.as_mut_slice() {
            *m = if rng.gen::<f64>() < self.p {
                F::zero()
            } else {
                scale
            };
        }
        let mask = self.mask.as_slice();
        apply_mask(x.as_mut_slice(), mask);
        x
    }

    /// `dX = dY ⊙ mask` (or `dY` when no mask was applied).
    fn backward<'a>(
        &'a mut self,
        dy: ArrayView2<'a, F>,
        need_dx: bool,
    ) -> Option<ArrayView2<'a, F>> {
        if !need_dx {
            return None;
        }
        if !self.masked {
            return Some(dy);
        }
        self.dx.resize(dy.nrows(), dy.ncols());
        zip_map_into(self.dx.as_mut_slice(), self.mask.as_slice(), dy, |m, g| {
            g * m
        });
        Some(self.dx.view())
    }

    fn dropout_mask(&self) -> Option<&[F]> {
        self.masked.then(|| self.mask.as_slice())
    }
}

/// `x[i] = x[i] · mask[i]`.
fn apply_mask<F: Float>(x: &mut [F], mask: &[F]) {
    update_each(x, mask, |v, m| *v *= m);
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::seed::Rng;
    use ndarray::Array2;
    use rand::SeedableRng;

    #[test]
    fn train_mode_scales_kept_units_and_eval_is_identity() {
        let x = Array2::from_elem((50, 40), 1.0f64);
        let mut d = Dropout::<f64>::new(0.25);
        let mut rng = Rng::seed_from_u64(7);
        let y = d
            .forward(Buf::from_view(x.view()), Mode::Train(&mut rng))
            .view()
            .to_owned();
        let kept = y.iter().filter(|&&v| v != 0.0).count();
        assert!(y
            .iter()
            .all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-15));
        // 2000 draws at p = 0.25: 1500 expected, 5 standard deviations is about ±97.
        assert!((1400..=1600).contains(&kept), "kept {kept}");
        let eval = d.forward(Buf::from_view(x.view()), Mode::Eval);
        assert_eq!(eval.view(), x.view());
    }
}
