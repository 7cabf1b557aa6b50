//! Our image-folder loader against torchvision's `ImageFolder` on the same folder
//! (`scripts/torchvision_folder.py`, torchvision from the project's `.venv`): the same class
//! list, the same files in the same order with the same labels, and for PNG files the same
//! pixels, byte for byte, through a resize (PIL's antialiased bilinear, which ours
//! reproduces) and a centre crop, in RGB and in grey, where Pillow runs its two passes in the
//! order Pillow 12 did (within one level where Pillow 13 runs the vertical pass first). JPEG
//! files go through another decoder (zune-jpeg here, libjpeg-turbo in PIL): their largest
//! difference is bounded and printed.

mod images_support;

use std::path::Path;
use std::process::Command;

use common::config::{ImageConfig, ResizePolicy};
use common::data::images::{load, Reading};
use images_support::{python, workspace};

/// torchvision's reading of `root`: classes, relative paths, labels, shape and pixels.
fn torchvision(
    root: &Path,
    size: [usize; 2],
    policy: &str,
    channels: usize,
) -> (serde_json::Value, Vec<u8>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let prefix = dir.path().join("tv");
    let out = Command::new(python())
        .arg(workspace().join("scripts/torchvision_folder.py"))
        .arg(root)
        .args(["--size", &size[0].to_string(), &size[1].to_string()])
        .args([
            "--policy",
            policy,
            "--channels",
            &channels.to_string(),
            "--out",
        ])
        .arg(&prefix)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "torchvision_folder.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(prefix.with_extension("json")).expect("json"),
    )
    .expect("parse");
    (
        meta,
        std::fs::read(prefix.with_extension("bin")).expect("bin"),
    )
}

/// What a comparison found: PNG files identical, PNG files compared, the largest PNG
/// difference, the largest JPEG difference.
struct Found {
    identical: usize,
    pngs: usize,
    png_max: u8,
    jpeg_max: u8,
}

/// Loads `root` both ways and compares.
fn compare(root: &Path, size: [usize; 2], policy: ResizePolicy, channels: usize) -> Found {
    let name = if policy == ResizePolicy::Crop {
        "shorter"
    } else {
        "stretch"
    };
    let (meta, tv) = torchvision(root, size, name, channels);
    let im = ImageConfig {
        size: Some(size),
        channels: Some(channels),
        resize: policy,
        ..ImageConfig::default()
    };
    let ours = load(root, &im, &Reading::from_config(&im), true).expect("our loader");
    let classes: Vec<String> = serde_json::from_value(meta["classes"].clone()).unwrap();
    let paths: Vec<String> = serde_json::from_value(meta["paths"].clone()).unwrap();
    let labels: Vec<usize> = serde_json::from_value(meta["labels"].clone()).unwrap();
    assert_eq!(ours.classes, classes, "class list");
    assert_eq!(ours.files, paths, "file order");
    assert_eq!(ours.labels, labels, "labels");
    assert_eq!(ours.shape, [channels, size[0], size[1]]);
    assert_eq!(tv.len(), ours.pixels.len());
    let n = ours.image(0).len();
    let mut found = Found {
        identical: 0,
        pngs: 0,
        png_max: 0,
        jpeg_max: 0,
    };
    for (i, path) in paths.iter().enumerate() {
        let (a, b) = (ours.image(i), &tv[i * n..(i + 1) * n]);
        let max = a
            .iter()
            .zip(b)
            .map(|(x, y)| x.abs_diff(*y))
            .max()
            .unwrap_or(0);
        if path.ends_with(".png") {
            found.pngs += 1;
            found.identical += usize::from(max == 0);
            found.png_max = found.png_max.max(max);
        } else {
            found.jpeg_max = found.jpeg_max.max(max);
        }
    }
    found
}

#[test]
fn the_digits_folder_reads_as_torchvision_reads_it() {
    let root = workspace().join("data/digits_folder");
    for (size, policy, channels) in [
        ([32, 32], ResizePolicy::Crop, 3),
        ([16, 16], ResizePolicy::Crop, 3),
        ([12, 20], ResizePolicy::Stretch, 3),
        ([20, 12], ResizePolicy::Crop, 1),
    ] {
        let f = compare(&root, size, policy, channels);
        println!(
            "{size:?} {policy:?} {channels} channels: {} of {} PNG files identical, JPEG max |diff| {}",
            f.identical, f.pngs, f.jpeg_max
        );
        // Square to square: both of PIL's pass orders agree, so every PNG file is identical.
        assert_eq!(
            f.identical, f.pngs,
            "{size:?} {policy:?}: PNG files differ by up to {}",
            f.png_max
        );
        assert!(f.pngs > 1500, "most digits files are PNG");
        // zune-jpeg and libjpeg-turbo differ in IDCT and upsampling rounding.
        assert!(f.jpeg_max <= 8, "JPEG pixels differ by {}", f.jpeg_max);
    }
}

#[test]
fn planted_sizes_and_colour_types_read_as_torchvision_reads_them() {
    use image::{DynamicImage, ImageFormat};
    use images_support::{encode, pattern, put};
    let dir = tempfile::tempdir().expect("tempdir");
    let sizes = [(23, 17), (40, 31), (7, 5), (64, 48), (16, 16), (9, 30)];
    for (i, &(w, h)) in sizes.iter().enumerate() {
        let rgb = DynamicImage::ImageRgb8(pattern(w, h, i as u32));
        let class = ["cat", "dog"][i % 2];
        put(
            dir.path(),
            &format!("{class}/rgb{i}.png"),
            &encode(&rgb, ImageFormat::Png),
        );
        let grey = DynamicImage::ImageLuma8(rgb.to_luma8());
        put(
            dir.path(),
            &format!("{class}/grey{i}.png"),
            &encode(&grey, ImageFormat::Png),
        );
        // RGBA with a varying alpha: both drop it (ImageFolder's convert("RGB")).
        let mut rgba = rgb.to_rgba8();
        rgba.pixels_mut()
            .enumerate()
            .for_each(|(k, p)| p[3] = (k * 7 % 256) as u8);
        put(
            dir.path(),
            &format!("{class}/nested/rgba{i}.png"),
            &encode(&DynamicImage::ImageRgba8(rgba), ImageFormat::Png),
        );
    }
    for (size, policy, channels) in [
        ([16, 16], ResizePolicy::Crop, 3),
        ([24, 10], ResizePolicy::Crop, 3),
        ([11, 13], ResizePolicy::Stretch, 3),
        ([16, 16], ResizePolicy::Crop, 1),
    ] {
        let f = compare(dir.path(), size, policy, channels);
        println!(
            "{size:?} {policy:?} {channels}: {} of {} PNG files identical, max |diff| {}",
            f.identical, f.pngs, f.png_max
        );
        assert_eq!(f.pngs, 18, "{size:?} {policy:?} {channels}");
        // Pillow 13 runs the vertical pass first for some shapes (Pillow 12's Resample.c
        // always ran the horizontal one first, as ours does): the two orders round their
        // intermediate row differently, by at most one level.
        assert!(
            f.png_max <= 1,
            "{size:?} {policy:?} {channels}: PNG pixels differ by {}",
            f.png_max
        );
        assert!(
            f.identical * 2 >= f.pngs,
            "{size:?} {policy:?} {channels}: only {} of {} identical",
            f.identical,
            f.pngs
        );
    }
}
