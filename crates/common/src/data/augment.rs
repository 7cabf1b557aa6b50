//! Seeded image augmentation for training batches (the chapter's Route 2 "transforms", for the
//! digits project and image folders): each row gets, when switched on, a random resized crop
//! and a horizontal flip ([`crop`], as torchvision draws them), then a random integer shift in
//! `[-max_shift, max_shift]` pixels per axis and a random rotation in
//! `[-max_rotate_deg, max_rotate_deg]` about the image centre, resampled bilinearly with zero
//! fill outside the image. Both routes call the same code with the same seeded stream, so they
//! see the same augmented pixels.
//!
//! Zero fill and standardized features: by the time a batch is augmented its features are
//! standardized, so a raw 0 (blank) pixel is `-mean/std`, not 0, and differs per pixel.
//! Interpolating standardized values would also mix pixels with different scales. So
//! [`Augmenter`] (and [`augment_batch_scaled`]) map each row back to raw pixel units with the
//! preprocessing's per-feature `(mean, std)`, transform there with zero fill, and standardize
//! again. [`augment_batch`] is the same transform on rows that are already raw pixels.

pub mod crop;

use ndarray::ArrayViewMut2;
use rand::Rng as _;

use crate::config::AugmentConfig;
use crate::preprocess::Preprocessor;
use crate::seed::Rng;

/// Augments every row of `x` in place (raw pixel units: zero = blank). Does nothing when
/// `cfg.enabled` is false. Draws three numbers per row from `rng` (shift y, shift x, angle),
/// then the crop window's when `random_resized_crop` is on and a coin when `flip` is on, so
/// the same rng state gives the same batch, bit for bit.
///
/// # Shapes
/// `x`: `[batch, C·H·W]`, each row an image `shape = [C, H, W]` flattened row-major.
///
/// # Panics
/// If `x.ncols() != C·H·W` (a programming error, not bad input).
pub fn augment_batch(
    x: &mut ArrayViewMut2<f32>,
    shape: [usize; 3],
    cfg: &AugmentConfig,
    rng: &mut Rng,
) {
    augment_rows(x, shape, cfg, rng, None);
}

/// Like [`augment_batch`] for standardized rows: `scale[j] = (mean, std)` of feature `j`, so that
/// `raw = x · std + mean` (see [`Preprocessor::feature_scale`]). The fill is a raw 0 pixel.
///
/// # Shapes
/// `x`: `[batch, C·H·W]`; `scale`: `[C·H·W]`.
///
/// # Panics
/// If `x.ncols()` or `scale.len()` differs from `C·H·W`.
pub fn augment_batch_scaled(
    x: &mut ArrayViewMut2<f32>,
    shape: [usize; 3],
    cfg: &AugmentConfig,
    rng: &mut Rng,
    scale: &[(f64, f64)],
) {
    assert_eq!(
        scale.len(),
        shape.iter().product::<usize>(),
        "augment: one (mean, std) per pixel"
    );
    augment_rows(x, shape, cfg, rng, Some(scale));
}

/// Augmentation bound to a fitted preprocessing: what a backend keeps for its training batches.
#[derive(Debug, Clone)]
pub struct Augmenter {
    shape: [usize; 3],
    cfg: AugmentConfig,
    scale: Vec<(f64, f64)>,
}

impl Augmenter {
    /// `None` when augmentation is off or the data are not images; otherwise an augmenter for
    /// features produced by `pre`.
    pub fn new(pre: &Preprocessor, cfg: &AugmentConfig) -> Option<Self> {
        let shape = pre.image_shape?;
        let scale = pre.feature_scale();
        let fits = scale.len() == shape.iter().product::<usize>();
        (cfg.enabled && fits).then_some(Augmenter {
            shape,
            cfg: *cfg,
            scale,
        })
    }
    /// Augments a batch of standardized rows in place, drawing from `rng` (the epoch's
    /// `Stream::Augment` rng).
    ///
    /// # Shapes
    /// `x`: `[batch, C·H·W]`.
    pub fn apply(&self, x: &mut ArrayViewMut2<f32>, rng: &mut Rng) {
        augment_rows(x, self.shape, &self.cfg, rng, Some(&self.scale));
    }
}

/// The shared loop: per row draw (dy, dx, angle), then resample each channel.
fn augment_rows(
    x: &mut ArrayViewMut2<f32>,
    shape: [usize; 3],
    cfg: &AugmentConfig,
    rng: &mut Rng,
    scale: Option<&[(f64, f64)]>,
) {
    let [c, h, w] = shape;
    assert_eq!(
        x.ncols(),
        c * h * w,
        "augment: rows must be flattened {c}×{h}×{w} images"
    );
    if !cfg.enabled {
        return;
    }
    let s = cfg.max_shift as i64;
    let max_deg = if cfg.max_rotate_deg.is_finite() {
        cfg.max_rotate_deg.abs()
    } else {
        0.0
    };
    let mut raw = vec![0f64; c * h * w];
    let mut out = vec![0f64; c * h * w];
    for mut row in x.rows_mut() {
        let dy = rng.gen_range(-s..=s) as f64;
        let dx = rng.gen_range(-s..=s) as f64;
        let deg: f64 = rng.gen_range(-max_deg..=max_deg);
        // Drawn after the shift and angle, and only when on, so that configs without them
        // keep their random streams (and their numbers) unchanged.
        let window = cfg
            .random_resized_crop
            .then(|| crop::random_window(h, w, cfg.crop_scale, cfg.crop_ratio, rng));
        let flip = cfg.flip && rng.gen_bool(0.5);
        if dy == 0.0 && dx == 0.0 && deg == 0.0 && window.is_none() && !flip {
            continue;
        }
        for (j, (r, v)) in raw.iter_mut().zip(row.iter()).enumerate() {
            *r = scale.map_or(*v as f64, |sc| *v as f64 * sc[j].1 + sc[j].0);
        }
        for ch in 0..c {
            let plane = ch * h * w..(ch + 1) * h * w;
            // torchvision's order: crop, then flip, then the affine shift and rotation.
            if let Some(win) = window {
                crop::crop_resize(&raw[plane.clone()], &mut out[plane.clone()], h, w, win);
                raw[plane.clone()].copy_from_slice(&out[plane.clone()]);
            }
            if flip {
                crop::flip(&mut raw[plane.clone()], w);
            }
            warp(
                &raw[plane.clone()],
                &mut out[plane],
                h,
                w,
                dy,
                dx,
                deg.to_radians(),
            );
        }
        for (j, (o, v)) in row.iter_mut().zip(&out).enumerate() {
            *o = scale.map_or(*v, |sc| (*v - sc[j].0) / sc[j].1) as f32;
        }
    }
}

/// One `h×w` plane: `dst(p) = src(R⁻¹(p - centre - shift) + centre)`, bilinear, zero outside.
fn warp(src: &[f64], dst: &mut [f64], h: usize, w: usize, dy: f64, dx: f64, theta: f64) {
    let (cy, cx) = ((h as f64 - 1.0) / 2.0, (w as f64 - 1.0) / 2.0);
    let (sin, cos) = theta.sin_cos();
    let at = |r: i64, c: i64| -> f64 {
        if r < 0 || c < 0 || r >= h as i64 || c >= w as i64 {
            0.0
        } else {
            src[r as usize * w + c as usize]
        }
    };
    for r in 0..h {
        for c in 0..w {
            let (py, px) = (r as f64 - dy - cy, c as f64 - dx - cx);
            // Inverse rotation of the output offset gives the source position.
            let (sy, sx) = (cos * py + sin * px + cy, -sin * py + cos * px + cx);
            let (y0, x0) = (sy.floor(), sx.floor());
            let (fy, fx) = (sy - y0, sx - x0);
            let (y0, x0) = (y0 as i64, x0 as i64);
            dst[r * w + c] = (1.0 - fy) * ((1.0 - fx) * at(y0, x0) + fx * at(y0, x0 + 1))
                + fy * ((1.0 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{Seeds, Stream};
    use ndarray::Array2;

    fn image() -> Array2<f32> {
        // One 4×4 image with a single bright pixel at (1, 2).
        let mut x = Array2::zeros((1, 16));
        x[[0, 6]] = 8.0;
        x
    }

    #[test]
    fn pure_shift_moves_pixels_exactly() {
        let mut dst = vec![0.0; 16];
        let src: Vec<f64> = image().iter().map(|&v| v as f64).collect();
        warp(&src, &mut dst, 4, 4, 1.0, -1.0, 0.0);
        assert_eq!(dst[2 * 4 + 1], 8.0);
        assert_eq!(dst.iter().filter(|&&v| v != 0.0).count(), 1);
        // Shifting out of the image fills with zeros.
        warp(&src, &mut dst, 4, 4, 0.0, 2.0, 0.0);
        assert!(dst.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn quarter_turn_about_the_centre() {
        let src: Vec<f64> = (0..9).map(|i| i as f64).collect();
        let mut dst = vec![0.0; 9];
        warp(&src, &mut dst, 3, 3, 0.0, 0.0, std::f64::consts::FRAC_PI_2);
        assert!((dst[4] - 4.0).abs() < 1e-12, "the centre stays");
        let mut sorted = dst.clone();
        sorted.sort_by(f64::total_cmp);
        for (a, b) in sorted.iter().zip(&src) {
            assert!(
                (a - b).abs() < 1e-9,
                "a quarter turn permutes pixels: {dst:?}"
            );
        }
        assert!((dst[0] - src[0]).abs() > 0.5, "corner moved");
    }

    #[test]
    fn deterministic_disabled_and_scaled_fill() {
        let cfg = AugmentConfig {
            enabled: true,
            max_shift: 1,
            max_rotate_deg: 15.0,
            ..AugmentConfig::default()
        };
        let mut a = Array2::from_shape_fn((32, 16), |(i, j)| ((i * 7 + j * 3) % 11) as f32);
        let mut b = a.clone();
        let before = a.clone();
        augment_batch(
            &mut a.view_mut(),
            [1, 4, 4],
            &cfg,
            &mut Seeds::new(5).epoch_rng(Stream::Augment, 1),
        );
        augment_batch(
            &mut b.view_mut(),
            [1, 4, 4],
            &cfg,
            &mut Seeds::new(5).epoch_rng(Stream::Augment, 1),
        );
        assert_eq!(a, b);
        assert_ne!(a, before);
        let off = AugmentConfig {
            enabled: false,
            ..cfg
        };
        augment_batch(
            &mut b.view_mut(),
            [1, 4, 4],
            &off,
            &mut Seeds::new(5).rng(Stream::Augment),
        );
        assert_eq!(a, b);
        // Standardized blank image (raw 0 → -mean/std) stays blank under any transform.
        let scale: Vec<(f64, f64)> = (0..16).map(|j| (j as f64, 2.0)).collect();
        let mut blank = Array2::from_shape_fn((8, 16), |(_, j)| (-(j as f64) / 2.0) as f32);
        let expect = blank.clone();
        augment_batch_scaled(
            &mut blank.view_mut(),
            [1, 4, 4],
            &cfg,
            &mut Seeds::new(1).rng(Stream::Augment),
            &scale,
        );
        assert!(blank.iter().zip(&expect).all(|(a, b)| (a - b).abs() < 1e-6));
    }
}
