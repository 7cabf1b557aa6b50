//! `[data.image]`: how a folder of image files (`data.source = "images"`) becomes `[C, H, W]`
//! tensors: the size and its resize policy, the channel count, what a bad file does, the
//! per-channel normalization and the limits that keep a huge or hostile file from taking the
//! machine. Read by `data::images`; saved in the checkpoint so `eval` and `predict` replay it.

use serde::{Deserialize, Serialize};

/// PIL's `Image.MAX_IMAGE_PIXELS` (89,478,485, a 1 GB RGBA image): above it PIL warns of a
/// decompression bomb. Our default refuses such a file outright.
pub const DEFAULT_MAX_PIXELS: u64 = 89_478_485;
/// The default limit on the memory the decoded set may take (MiB).
pub const DEFAULT_MAX_MEMORY_MB: f64 = 4096.0;

/// `[data.image]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImageConfig {
    /// `[H, W]` every image is brought to; unset = the files' own size, which must be the
    /// same for all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<[usize; 2]>,
    /// 1 (grey) or 3 (RGB); unset = 3 when any file has colour, else 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<usize>,
    /// How an image of another size reaches `size`.
    pub resize: ResizePolicy,
    /// What a file that does not decode does.
    pub bad_files: BadFiles,
    /// The per-channel normalization of the pixels (in `[0, 1]` units).
    pub normalize: Normalize,
    /// The most pixels one file may declare (width × height): a larger one is a bad file.
    pub max_pixels: u64,
    /// The most memory (MiB) the decoded set and its features may take: refused before
    /// decoding, with the estimate, instead of swapping.
    pub max_memory_mb: f64,
}

impl Default for ImageConfig {
    fn default() -> Self {
        ImageConfig {
            size: None,
            channels: None,
            resize: ResizePolicy::Crop,
            bad_files: BadFiles::Error,
            normalize: Normalize::Named(NormalizeName::Fit),
            max_pixels: DEFAULT_MAX_PIXELS,
            max_memory_mb: DEFAULT_MAX_MEMORY_MB,
        }
    }
}

impl ImageConfig {
    /// True when nothing is set: the table is then left out of a written config, so configs
    /// of other sources keep their bytes.
    pub fn is_default(&self) -> bool {
        *self == ImageConfig::default()
    }
}

/// How an image reaches `data.image.size = [H, W]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResizePolicy {
    /// Shorter side to `max(H, W)` keeping the aspect ratio, then the centre `[H, W]`:
    /// torchvision's eval transform `Resize(max(H, W))` + `CenterCrop((H, W))`.
    Crop,
    /// Straight to `[H, W]`, aspect ratio not kept: torchvision's `Resize((H, W))`.
    Stretch,
}

/// What a file that does not decode (or is over a limit) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BadFiles {
    /// Stop before training with every bad file's path and reason.
    Error,
    /// Leave them out: one warning (count and first paths), the full list in the run folder.
    Skip,
}

/// Per-channel normalization: `feature = (pixel / 255 - mean[c]) / std[c]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Normalize {
    /// `"fit"`, `"none"` or `"imagenet"`.
    Named(NormalizeName),
    /// Given values, one per channel (or one for all).
    Given {
        /// Per-channel means in `[0, 1]` units.
        mean: Vec<f64>,
        /// Per-channel standard deviations, each > 0.
        std: Vec<f64>,
    },
}

/// The named normalizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NormalizeName {
    /// Mean and standard deviation of each channel over the training split's pixels.
    Fit,
    /// `pixel / 255` only.
    None,
    /// ImageNet's `mean = [0.485, 0.456, 0.406]`, `std = [0.229, 0.224, 0.225]` (RGB).
    Imagenet,
    /// The mean and std stored in `model.init_from`'s metadata (a torchvision export by
    /// `scripts/export_torchvision.py` carries its weights' own).
    Weights,
}

/// ImageNet's per-channel mean (RGB), as torchvision's pretrained models expect.
pub const IMAGENET_MEAN: [f64; 3] = [0.485, 0.456, 0.406];
/// ImageNet's per-channel standard deviation (RGB).
pub const IMAGENET_STD: [f64; 3] = [0.229, 0.224, 0.225];
