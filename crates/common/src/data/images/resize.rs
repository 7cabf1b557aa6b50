//! Resizing decoded images to `data.image.size` as torchvision does on PIL images (pixel for
//! pixel as Pillow 12 does; Pillow 13 runs the vertical pass first for some shapes, where a few
//! pixels differ by one level): PIL's bilinear `Image.resize` (a triangle filter widened by the scale when
//! shrinking, so it antialiases; two separable passes in 22-bit fixed point, each rounded to
//! 8 bits, as `libImaging/Resample.c` computes them), torchvision's `Resize(s)` output size
//! (shorter side to `s`, longer side `int(s · long / short)`) and `CenterCrop`'s offsets
//! (Python's `round`, half to even). A test checks the bytes against torchvision itself.

use crate::config::ResizePolicy;

/// PIL's fixed-point precision for 8-bit images (`PRECISION_BITS = 32 - 8 - 2`).
const PRECISION_BITS: u32 = 22;

/// Brings an interleaved `[h, w, c]` image to `[size[0], size[1], c]` by `policy`.
///
/// # Shapes
/// `pixels`: `[h, w, c]`; returns `[H, W, c]` with `[H, W] = size`.
pub fn fit(
    pixels: &[u8],
    (h, w, c): (usize, usize, usize),
    size: [usize; 2],
    policy: ResizePolicy,
) -> Vec<u8> {
    let [th, tw] = size;
    match policy {
        ResizePolicy::Stretch => resize(pixels, (h, w, c), (th, tw)),
        ResizePolicy::Crop => {
            let (nh, nw) = shorter_side_to(h, w, th.max(tw));
            let resized = resize(pixels, (h, w, c), (nh, nw));
            center_crop(&resized, (nh, nw, c), (th, tw))
        }
    }
}

/// The size an `h × w` image is resized to before any crop: `size` for `stretch`, the
/// shorter side to `max(H, W)` for `crop`.
pub fn intermediate(h: usize, w: usize, size: [usize; 2], policy: ResizePolicy) -> (usize, usize) {
    match policy {
        ResizePolicy::Stretch => (size[0], size[1]),
        ResizePolicy::Crop => shorter_side_to(h, w, size[0].max(size[1])),
    }
}

/// torchvision's `Resize(s)` output size for an `h × w` image: the shorter side becomes `s`,
/// the longer `int(s · long / short)`.
pub fn shorter_side_to(h: usize, w: usize, s: usize) -> (usize, usize) {
    let (short, long) = if w <= h { (w, h) } else { (h, w) };
    let new_long = (s as f64 * long as f64 / short as f64) as usize;
    if w <= h {
        (new_long, s)
    } else {
        (s, new_long)
    }
}

/// torchvision's `CenterCrop((th, tw))` of an image at least that large.
///
/// # Shapes
/// `pixels`: `[h, w, c]`; returns `[th, tw, c]`.
pub(crate) fn center_crop(
    pixels: &[u8],
    (h, w, c): (usize, usize, usize),
    (th, tw): (usize, usize),
) -> Vec<u8> {
    let top = ((h - th) as f64 / 2.0).round_ties_even() as usize;
    let left = ((w - tw) as f64 / 2.0).round_ties_even() as usize;
    let mut out = Vec::with_capacity(th * tw * c);
    for y in top..top + th {
        let row = (y * w + left) * c;
        out.extend_from_slice(&pixels[row..row + tw * c]);
    }
    out
}

/// PIL's `Image.resize((nw, nh), Image.BILINEAR)` of an interleaved 8-bit image.
///
/// # Shapes
/// `pixels`: `[h, w, c]`; returns `[nh, nw, c]`.
pub fn resize(
    pixels: &[u8],
    (h, w, c): (usize, usize, usize),
    (nh, nw): (usize, usize),
) -> Vec<u8> {
    let mut cur = std::borrow::Cow::Borrowed(pixels);
    if nw != w {
        let (bounds, ksize, kk) = coefficients(w, nw);
        let mut out = vec![0u8; h * nw * c];
        for y in 0..h {
            for x in 0..nw {
                let (min, len) = bounds[x];
                let k = &kk[x * ksize..x * ksize + len];
                for ch in 0..c {
                    let at = |i: usize| i32::from(cur[(y * w + min + i) * c + ch]);
                    out[(y * nw + x) * c + ch] =
                        clip8(k.iter().enumerate().map(|(i, &k)| at(i) * k));
                }
            }
        }
        cur = std::borrow::Cow::Owned(out);
    }
    if nh != h {
        let (bounds, ksize, kk) = coefficients(h, nh);
        let mut out = vec![0u8; nh * nw * c];
        for (y, &(min, len)) in bounds.iter().enumerate() {
            let k = &kk[y * ksize..y * ksize + len];
            for x in 0..nw * c {
                let at = |i: usize| i32::from(cur[(min + i) * nw * c + x]);
                out[y * nw * c + x] = clip8(k.iter().enumerate().map(|(i, &k)| at(i) * k));
            }
        }
        cur = std::borrow::Cow::Owned(out);
    }
    cur.into_owned()
}

/// Rounds a fixed-point sum to 8 bits, clamped (PIL's `clip8` with its `1 << 21` start).
fn clip8(terms: impl Iterator<Item = i32>) -> u8 {
    let sum: i32 = terms.fold(1 << (PRECISION_BITS - 1), |a, t| a + t);
    (sum >> PRECISION_BITS).clamp(0, 255) as u8
}

/// PIL's `precompute_coeffs` + `normalize_coeffs_8bpc` for the bilinear filter: per output
/// index its first input index and tap count, the row stride, and the fixed-point weights.
fn coefficients(in_size: usize, out_size: usize) -> (Vec<(usize, usize)>, usize, Vec<i32>) {
    let taps = bilinear_weights(in_size, out_size);
    let ksize = taps.iter().map(|(_, k)| k.len()).max().unwrap_or(0);
    let mut kk = vec![0i32; out_size * ksize];
    for (xx, (_, k)) in taps.iter().enumerate() {
        for (x, &w) in k.iter().enumerate() {
            let fixed = w * f64::from(1u32 << PRECISION_BITS);
            // C's (int) truncates toward zero.
            kk[xx * ksize + x] = if w < 0.0 {
                (fixed - 0.5) as i32
            } else {
                (fixed + 0.5) as i32
            };
        }
    }
    let bounds = taps.iter().map(|(min, k)| (*min, k.len())).collect();
    (bounds, ksize, kk)
}

/// PIL's bilinear resampling weights from `in_size` to `out_size` samples (`precompute_coeffs`
/// in f64): for each output sample, its first input sample and the normalized weights. The
/// triangle is widened by the scale when shrinking, so every input sample counts.
pub fn bilinear_weights(in_size: usize, out_size: usize) -> Vec<(usize, Vec<f64>)> {
    let scale = in_size as f64 / out_size as f64;
    let filterscale = scale.max(1.0);
    let support = filterscale; // the bilinear filter's support is 1
    let ss = 1.0 / filterscale; // PIL multiplies by the reciprocal: the same last bits
    (0..out_size)
        .map(|xx| {
            let center = (xx as f64 + 0.5) * scale;
            // C's (int) truncates toward zero; then clamped to the image.
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
            let mut k: Vec<f64> = (xmin..xmax)
                .map(|x| {
                    let t = (x as f64 - center + 0.5) * ss;
                    (1.0 - t.abs()).max(0.0)
                })
                .collect();
            let ww: f64 = k.iter().sum();
            if ww != 0.0 {
                k.iter_mut().for_each(|w| *w /= ww);
            }
            (xmin, k)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_size_is_identity_and_sizes_follow_torchvision() {
        let px: Vec<u8> = (0..5 * 7 * 3).map(|i| (i * 37 % 251) as u8).collect();
        assert_eq!(resize(&px, (5, 7, 3), (5, 7)), px);
        assert_eq!(shorter_side_to(480, 640, 224), (224, 298));
        assert_eq!(shorter_side_to(640, 480, 224), (298, 224));
        assert_eq!(shorter_side_to(10, 10, 4), (4, 4));
        // CenterCrop rounds half to even, as Python's round: (5 - 2) / 2 = 1.5 → 2, and
        // (3 - 2) / 2 = 0.5 → 0.
        let col: Vec<u8> = (0..5).collect();
        assert_eq!(center_crop(&col, (5, 1, 1), (2, 1)), vec![2, 3]);
        assert_eq!(center_crop(&col[..3], (3, 1, 1), (2, 1)), vec![0, 1]);
    }

    #[test]
    fn downscale_averages_and_constant_stays_constant() {
        let flat = vec![77u8; 9 * 6];
        assert_eq!(resize(&flat, (9, 6, 1), (4, 5)), vec![77u8; 20]);
        // Halving a 2-pixel row averages it (weights 1/2 each, rounded half up).
        assert_eq!(resize(&[10, 21], (1, 2, 1), (1, 1)), vec![16]);
        // Every output stays within the input's range (no overshoot with a triangle).
        let px: Vec<u8> = (0..32 * 32)
            .map(|i| if (i / 32 + i % 32) % 2 == 0 { 0 } else { 255 })
            .collect();
        let out = resize(&px, (32, 32, 1), (7, 11));
        assert!(out.iter().all(|&v| (100..=155).contains(&v)), "{out:?}");
    }
}
