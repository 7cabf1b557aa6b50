//! One image file → pixels, with pure-Rust decoders (the `image` crate: PNG, JPEG via
//! zune-jpeg, GIF (first frame), WebP, TIFF, BMP, PNM; no C decoder). What a file becomes:
//!
//! - **orientation**: the EXIF orientation (JPEG, PNG `eXIf`, WebP, TIFF) is applied, so a
//!   phone photo stands as it was taken;
//! - **colour**: kept as grey (one channel) when the file is grey, else RGB; `channels = 1`
//!   turns RGB into grey with PIL's `convert("L")` integer formula (ITU-R 601-2:
//!   `(19595 R + 38470 G + 7471 B + 2¹⁵) >> 16`), `channels = 3` repeats a grey channel;
//! - **alpha** is dropped, not composited (as `ImageFolder`'s `convert("RGB")` drops it);
//!   palettes are expanded; 16-bit samples are scaled to 8 bits (`(v + 128) / 257`: PIL
//!   instead clips 16-bit grey at 255, so such files differ from torchvision's);
//! - **bad files** are an `Err` with the reason: empty, not an image, over
//!   `data.image.max_pixels` (checked from the header, before any pixel is allocated),
//!   truncated or corrupt. A decoder panic is caught and reported as a bad file too.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

/// Decoded pixels, interleaved (`[H, W, C]`, row-major).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// 1 (grey) or 3 (RGB).
    pub channels: usize,
    /// True when the file stores colour (RGB or a colour palette), even if `channels` is 1.
    pub colour: bool,
    /// `height × width × channels` bytes.
    pub pixels: Vec<u8>,
}

/// The most memory one decoder may allocate (bytes).
const MAX_ALLOC: u64 = 4 << 30;

/// Decodes `bytes`; `channels` forces 1 or 3, `None` keeps grey files grey and colour files
/// RGB. `max_pixels` bounds `width × height` as declared by the header.
pub fn decode(bytes: &[u8], channels: Option<usize>, max_pixels: u64) -> Result<Decoded, String> {
    if bytes.is_empty() {
        return Err("empty file (0 bytes)".into());
    }
    match catch_unwind(AssertUnwindSafe(|| {
        decode_inner(bytes, channels, max_pixels)
    })) {
        Ok(r) => r,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(format!("the decoder failed on this file ({msg})"))
        }
    }
}

fn decode_inner(bytes: &[u8], channels: Option<usize>, max_pixels: u64) -> Result<Decoded, String> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("unreadable: {e}"))?;
    let Some(format) = reader.format() else {
        return Err(
            "not an image: its first bytes match no PNG, JPEG, GIF, WebP, TIFF, BMP \
                    or PNM signature"
                .into(),
        );
    };
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let what = |e: image::ImageError| format!("{format:?} file truncated or corrupt: {e}");
    let mut decoder = reader.into_decoder().map_err(what)?;
    let (w, h) = decoder.dimensions();
    let pixels = u64::from(w) * u64::from(h);
    if pixels > max_pixels {
        return Err(format!(
            "{w}×{h} = {pixels} pixels is over data.image.max_pixels ({max_pixels}): a \
             decompression bomb, or a picture to shrink first"
        ));
    }
    if pixels == 0 {
        return Err(format!("{format:?} header declares an empty {w}×{h} image"));
    }
    // An unreadable orientation tag is not worth losing the picture for.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(what)?;
    img.apply_orientation(orientation);
    Ok(to_channels(&img, channels))
}

/// The decoded image as 1 or 3 interleaved 8-bit channels (see the module documentation).
fn to_channels(img: &DynamicImage, channels: Option<usize>) -> Decoded {
    let colour = img.color().has_color();
    let (width, height) = (img.width() as usize, img.height() as usize);
    let (channels, pixels) = match (channels, colour) {
        (Some(3), _) | (None, true) => (3, img.to_rgb8().into_raw()),
        (_, false) => (1, img.to_luma8().into_raw()),
        (_, true) => (1, pil_luma(&img.to_rgb8().into_raw())),
    };
    Decoded {
        width,
        height,
        channels,
        colour,
        pixels,
    }
}

/// PIL's `convert("L")` of interleaved RGB bytes: `(19595 R + 38470 G + 7471 B + 0x8000) >> 16`.
pub fn pil_luma(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3)
        .map(|p| {
            let l = 19595 * u32::from(p[0]) + 38470 * u32::from(p[1]) + 7471 * u32::from(p[2]);
            ((l + 0x8000) >> 16) as u8
        })
        .collect()
}

/// A grey image as RGB (the grey value in each channel).
pub fn grey_to_rgb(grey: &[u8]) -> Vec<u8> {
    grey.iter().flat_map(|&g| [g, g, g]).collect()
}
