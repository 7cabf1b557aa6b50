//! What the image-folder tests share: the project's Python (for torchvision), the workspace,
//! and writers of planted files (PNG of any colour type and bit depth, JPEG with an EXIF
//! orientation, truncated, zero-byte and not-an-image files).

#![allow(dead_code)] // each test file uses part of it

use std::io::Cursor;
use std::path::{Path, PathBuf};

use common::config::ImageConfig;
use common::data::images::{load, ImageSet, Reading};
use image::{DynamicImage, ImageFormat};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The venv's Python; panics with what to run when it is missing (never skips).
pub fn python() -> PathBuf {
    let venv =
        std::env::var_os("TWIN_NETS_VENV").map_or_else(|| workspace().join(".venv"), PathBuf::from);
    let py = venv.join("bin/python");
    assert!(
        py.is_file(),
        "{} not found: this test compares with torchvision from the project's .venv; run \
         `source scripts/libtorch.sh` (or `make setup`) first",
        py.display()
    );
    py
}

/// A `w × h` test picture with varied values (not round numbers): channel `c` of pixel
/// `(y, x)` is a hash of the four.
pub fn pattern(w: u32, h: u32, seed: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        let v = |c: u32| {
            ((x * 73 + y * 151 + c * 37 + seed * 101).wrapping_mul(2654435761) >> 24) as u8
        };
        image::Rgb([v(0), v(1), v(2)])
    })
}

/// The bytes of `img` encoded as `format`.
pub fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

/// Writes `bytes` to `dir/rel`, creating folders.
pub fn put(dir: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, bytes).expect("write");
    path
}

/// A JPEG of `img` with an EXIF APP1 segment saying `orientation` (1–8), inserted after SOI.
pub fn jpeg_with_orientation(img: &DynamicImage, orientation: u16) -> Vec<u8> {
    let jpeg = encode(img, ImageFormat::Jpeg);
    // TIFF header (little endian), one IFD entry: tag 0x0112 (Orientation), SHORT, count 1.
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A PNG of [`pattern`].
pub fn png(w: u32, h: u32, seed: u32) -> Vec<u8> {
    encode(
        &DynamicImage::ImageRgb8(pattern(w, h, seed)),
        ImageFormat::Png,
    )
}

/// Our loader on `root` with `im`, quietly.
pub fn read(root: &Path, im: &ImageConfig) -> common::Result<ImageSet> {
    load(root, im, &Reading::from_config(im), true)
}

/// The default `[data.image]` with `size` set.
pub fn sized(size: [usize; 2]) -> ImageConfig {
    ImageConfig {
        size: Some(size),
        ..ImageConfig::default()
    }
}

/// The error our loader gives on `root`, as text.
pub fn err(root: &Path, im: &ImageConfig) -> String {
    read(root, im).expect_err("an error").to_string()
}
