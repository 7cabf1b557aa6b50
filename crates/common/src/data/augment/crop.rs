//! The random resized crop and the flip of image augmentation, as torchvision draws them:
//! `RandomResizedCrop.get_params` (ten tries at an area fraction in `scale` and a log-uniform
//! aspect ratio in `ratio`, then the central crop that fits the ratio) and the crop resized back
//! to the image size with PIL's antialiased bilinear weights (in f64, no rounding: the pixels
//! here are raw values, not bytes).

use rand::Rng as _;

use crate::data::images::resize::bilinear_weights;
use crate::seed::Rng;

/// A crop: top row, left column, height, width.
pub type Window = (usize, usize, usize, usize);

/// torchvision's `RandomResizedCrop.get_params` for an `h × w` image.
pub fn random_window(
    h: usize,
    w: usize,
    scale: [f64; 2],
    ratio: [f64; 2],
    rng: &mut Rng,
) -> Window {
    let area = (h * w) as f64;
    let (lo, hi) = (ratio[0].ln(), ratio[1].ln());
    for _ in 0..10 {
        let target = area * rng.gen_range(scale[0]..=scale[1]);
        let aspect = rng.gen_range(lo..=hi).exp();
        let cw = (target * aspect).sqrt().round_ties_even() as usize;
        let ch = (target / aspect).sqrt().round_ties_even() as usize;
        if 0 < cw && cw <= w && 0 < ch && ch <= h {
            let top = rng.gen_range(0..=h - ch);
            let left = rng.gen_range(0..=w - cw);
            return (top, left, ch, cw);
        }
    }
    let in_ratio = w as f64 / h as f64;
    let (ch, cw) = if in_ratio < ratio[0] {
        (((w as f64) / ratio[0]).round_ties_even() as usize, w)
    } else if in_ratio > ratio[1] {
        (h, ((h as f64) * ratio[1]).round_ties_even() as usize)
    } else {
        (h, w)
    };
    ((h - ch) / 2, (w - cw) / 2, ch.max(1), cw.max(1))
}

/// The window `win` of an `h × w` plane, resized back to `h × w`.
///
/// # Shapes
/// `src`, `dst`: `[h, w]` row-major.
pub fn crop_resize(src: &[f64], dst: &mut [f64], h: usize, w: usize, win: Window) {
    let (top, left, ch, cw) = win;
    let cols = bilinear_weights(cw, w);
    let rows = bilinear_weights(ch, h);
    // Horizontal pass over the window's rows, then the vertical one.
    let mut mid = vec![0.0; ch * w];
    for y in 0..ch {
        let line = &src[(top + y) * w + left..(top + y) * w + left + cw];
        for (x, (min, k)) in cols.iter().enumerate() {
            mid[y * w + x] = k.iter().zip(&line[*min..]).map(|(k, v)| k * v).sum();
        }
    }
    for (y, (min, k)) in rows.iter().enumerate() {
        for x in 0..w {
            dst[y * w + x] = k
                .iter()
                .enumerate()
                .map(|(i, k)| k * mid[(min + i) * w + x])
                .sum();
        }
    }
}

/// Mirrors each row of an `h × w` plane in place.
pub fn flip(plane: &mut [f64], w: usize) {
    plane.chunks_exact_mut(w).for_each(|row| row.reverse());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{Seeds, Stream};

    #[test]
    fn windows_fit_and_follow_the_ranges() {
        let mut rng = Seeds::new(3).rng(Stream::Augment);
        for _ in 0..500 {
            let (t, l, ch, cw) = random_window(32, 24, [0.08, 1.0], [0.75, 4.0 / 3.0], &mut rng);
            assert!(ch >= 1 && cw >= 1 && t + ch <= 32 && l + cw <= 24);
            let frac = (ch * cw) as f64 / (32.0 * 24.0);
            assert!((0.05..=1.0).contains(&frac), "{frac}");
        }
        // An impossible ratio falls back to the central crop with the nearest ratio.
        let win = random_window(10, 40, [0.99, 1.0], [1.0, 1.0], &mut rng);
        assert_eq!(win, (0, 15, 10, 10));
    }

    #[test]
    fn whole_window_is_identity_and_flip_mirrors() {
        let src: Vec<f64> = (0..12).map(f64::from).collect();
        let mut dst = vec![0.0; 12];
        crop_resize(&src, &mut dst, 3, 4, (0, 0, 3, 4));
        assert!(
            src.iter().zip(&dst).all(|(a, b)| (a - b).abs() < 1e-12),
            "{dst:?}"
        );
        // A 1×1 window fills the image with that pixel.
        crop_resize(&src, &mut dst, 3, 4, (1, 2, 1, 1));
        assert!(dst.iter().all(|&v| (v - 6.0).abs() < 1e-12), "{dst:?}");
        let mut p = src.clone();
        flip(&mut p, 4);
        assert_eq!(&p[..4], &[3.0, 2.0, 1.0, 0.0]);
    }
}
