//! The image half of the saved preprocessing: how a file became the model's input during
//! training (size, resize policy, channels) and the per-channel normalization fitted on the
//! training pixels (or given), so that `eval` and `predict` replay it on new files.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::config::ResizePolicy;

/// What `data.source = "images"` did to its files, saved with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImagePrep {
    /// `[H, W]` of the model's input.
    pub size: [usize; 2],
    /// True when `data.image.size` brought every file to `size` (by `resize`); false when
    /// the files had that size themselves, so that a file of another size is refused.
    pub resized: bool,
    /// How a file of another size reached `size`.
    pub resize: ResizePolicy,
    /// 1 (grey) or 3 (RGB).
    pub channels: usize,
    /// Per-channel mean subtracted from `pixel / 255`.
    pub mean: Vec<f64>,
    /// Per-channel standard deviation divided by.
    pub std: Vec<f64>,
    /// The largest `width × height` a file may declare.
    pub max_pixels: u64,
}

impl ImagePrep {
    /// `[C, H, W]`.
    pub fn shape(&self) -> [usize; 3] {
        [self.channels, self.size[0], self.size[1]]
    }

    /// The features of `n` images: `(pixel / 255 - mean[c]) / std[c]`, computed in f64 and
    /// rounded once to f32 (a table of the 256 values per channel).
    ///
    /// # Shapes
    /// `pixels`: `[n, C, H, W]` row-major; returns `[n, C·H·W]`.
    ///
    /// # Panics
    /// If `pixels.len()` is not a multiple of `C·H·W` (a programming error).
    pub fn features(&self, pixels: &[u8]) -> Array2<f32> {
        let width: usize = self.shape().iter().product();
        assert_eq!(pixels.len() % width.max(1), 0, "features: whole images");
        let plane = self.size[0] * self.size[1];
        let tables: Vec<[f32; 256]> = (0..self.channels)
            .map(|c| {
                std::array::from_fn(|v| ((v as f64 / 255.0 - self.mean[c]) / self.std[c]) as f32)
            })
            .collect();
        let x: Vec<f32> = pixels
            .iter()
            .enumerate()
            .map(|(i, &p)| tables[(i % width) / plane][usize::from(p)])
            .collect();
        Array2::from_shape_vec((pixels.len() / width.max(1), width), x)
            .expect("whole images make whole rows")
    }

    /// `(mean, std)` of every feature, so that `pixel / 255 = feature · std + mean`.
    pub fn feature_scale(&self) -> Vec<(f64, f64)> {
        let plane = self.size[0] * self.size[1];
        (0..self.channels)
            .flat_map(|c| std::iter::repeat_n((self.mean[c], self.std[c]), plane))
            .collect()
    }

    /// Mean and standard deviation (population) of each channel of `pixel / 255` over
    /// `images` (`[C, H, W]` each); a constant channel gets std 1.
    pub fn fit_normalization(channels: usize, images: &[&[u8]]) -> (Vec<f64>, Vec<f64>) {
        let mut sum = vec![0u64; channels];
        let mut sq = vec![0u64; channels];
        let mut count = 0u64;
        for img in images {
            let plane = img.len() / channels;
            for c in 0..channels {
                for &p in &img[c * plane..(c + 1) * plane] {
                    sum[c] += u64::from(p);
                    sq[c] += u64::from(p) * u64::from(p);
                }
            }
            count += plane as u64;
        }
        let n = count.max(1) as f64;
        let mean: Vec<f64> = sum.iter().map(|&s| s as f64 / n / 255.0).collect();
        let std = sq
            .iter()
            .zip(&mean)
            .map(|(&q, &m)| {
                let var = (q as f64 / n / (255.0 * 255.0) - m * m).max(0.0);
                if var.sqrt() > 1e-12 {
                    var.sqrt()
                } else {
                    1.0
                }
            })
            .collect();
        (mean, std)
    }
}
