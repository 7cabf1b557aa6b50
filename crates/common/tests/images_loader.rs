//! The image-folder loader on planted folders of real files: each layout rule, each kind of
//! bad file, hidden entries, nesting, every colour type and bit depth, EXIF orientation, the
//! size and memory checks, each with the documented result (see `data::images`; its limits are
//! in `images_limits.rs`).

mod images_support;

use common::config::{BadFiles, ImageConfig};
use common::data::images::{decode, Part};
use image::{DynamicImage, ImageFormat};
use images_support::{encode, err, jpeg_with_orientation, pattern, png, put, read, sized};

/// PNG's CRC-32 (IEEE), to plant a header that declares a huge image.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A valid PNG whose IHDR says `w × h` (a decompression bomb's header).
fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    let mut p = png(4, 4, 1);
    p[16..20].copy_from_slice(&w.to_be_bytes());
    p[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&p[12..29]);
    p[29..33].copy_from_slice(&crc.to_be_bytes());
    p
}

#[test]
fn bad_files_of_each_kind_are_named_with_their_reason_or_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for i in 0..3 {
        put(root, &format!("a/ok{i}.png"), &png(8, 8, i));
        put(root, &format!("b/ok{i}.png"), &png(8, 8, 10 + i));
    }
    put(root, "a/empty.png", b"");
    let full = png(8, 8, 99);
    put(root, "a/truncated.png", &full[..full.len() / 2]);
    put(root, "b/text.jpg", b"this is not a picture, only words\n");
    put(root, "b/bomb.png", &png_declaring(100_000, 100_000));
    let e = err(root, &ImageConfig::default());
    for (file, why) in [
        ("a/empty.png", "empty file"),
        ("a/truncated.png", "truncated or corrupt"),
        ("b/text.jpg", "not an image"),
        ("b/bomb.png", "data.image.max_pixels"),
    ] {
        let line = e
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("{file} not named: {e}"));
        assert!(line.contains(why), "{file}: {line}");
    }
    assert!(
        e.contains("4 of 10 files") && e.contains("bad_files = \"skip\""),
        "{e}"
    );
    let skip = ImageConfig {
        bad_files: BadFiles::Skip,
        ..ImageConfig::default()
    };
    let set = read(root, &skip).unwrap();
    assert_eq!((set.len(), set.bad.len()), (6, 4));
    assert_eq!(set.shape, [3, 8, 8]);
    // The pixel limit applies to honest files too.
    let small = ImageConfig {
        max_pixels: 63,
        ..skip
    };
    assert!(
        err(root, &small).contains("no readable image"),
        "every 8×8 file is over 63 pixels"
    );
}

#[test]
fn layout_rules_name_the_path_at_fault() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    put(root, "cat/x.png", &png(6, 6, 1));
    put(root, "dog/y.png", &png(6, 6, 2));
    put(root, "stray.png", &png(6, 6, 3));
    assert!(err(root, &ImageConfig::default()).contains("stray.png"));
    std::fs::remove_file(root.join("stray.png")).unwrap();
    std::fs::create_dir(root.join("empty")).unwrap();
    std::fs::write(root.join("empty/notes.txt"), "no pictures").unwrap();
    let e = err(root, &ImageConfig::default());
    assert!(
        e.contains("empty") && e.contains("empty class folder"),
        "{e}"
    );
    std::fs::remove_dir_all(root.join("empty")).unwrap();
    // Given splits: a class in val/ that train/ lacks.
    let split = tempfile::tempdir().unwrap();
    let s = split.path();
    put(s, "train/cat/a.png", &png(6, 6, 1));
    put(s, "train/dog/b.png", &png(6, 6, 2));
    put(s, "valid/cat/c.png", &png(6, 6, 3));
    put(s, "valid/bird/d.png", &png(6, 6, 4));
    let e = err(s, &ImageConfig::default());
    assert!(
        e.contains("bird") && e.contains("not among the training classes"),
        "{e}"
    );
    std::fs::remove_dir_all(s.join("valid/bird")).unwrap();
    put(s, "test/dog/e.png", &png(6, 6, 5));
    let set = read(s, &ImageConfig::default()).unwrap();
    assert_eq!(set.classes, ["cat", "dog"]);
    assert_eq!(
        set.files,
        [
            "train/cat/a.png",
            "train/dog/b.png",
            "valid/cat/c.png",
            "test/dog/e.png"
        ]
    );
    assert_eq!(
        set.parts.as_deref(),
        Some(&[Part::Train, Part::Train, Part::Val, Part::Test][..])
    );
    // train/ without val/ is refused rather than read as a class called "train".
    std::fs::remove_dir_all(s.join("valid")).unwrap();
    assert!(err(s, &ImageConfig::default()).contains("val/"));
}

#[test]
fn hidden_entries_are_ignored_and_nesting_is_sorted_as_imagefolder_sorts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for rel in [
        "c/b.png",
        "c/a.png",
        "c/sub/m.png",
        "c/sub-b/n.png",
        "c/sub/deep/o.png",
        "d/UP.PNG",
    ] {
        put(root, rel, &png(5, 5, rel.len() as u32));
    }
    put(root, ".ipynb_checkpoints/x.png", &png(5, 5, 1));
    put(root, ".DS_Store", b"\0\0\0\x01Bud1");
    put(root, "c/.DS_Store", b"\0\0\0\x01Bud1");
    put(root, "c/.hidden.png", &png(5, 5, 2));
    put(root, "__MACOSX/c/._a.png", b"resource fork");
    put(root, "d/readme.txt", b"not an image");
    let set = read(root, &ImageConfig::default()).unwrap();
    assert_eq!(set.classes, ["c", "d"]);
    // sorted(os.walk()): by folder path ("-" sorts before "/"), then by name.
    assert_eq!(
        set.files,
        [
            "c/a.png",
            "c/b.png",
            "c/sub/m.png",
            "c/sub-b/n.png",
            "c/sub/deep/o.png",
            "d/UP.PNG"
        ]
    );
    assert_eq!(set.ignored, ["d/readme.txt"]);
}

#[test]
fn colour_types_bit_depths_and_formats_all_convert() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let rgb = pattern(6, 4, 7);
    let img = DynamicImage::ImageRgb8(rgb.clone());
    let grey = DynamicImage::ImageLuma8(img.to_luma8());
    put(root, "grey/l8.png", &encode(&grey, ImageFormat::Png));
    put(
        root,
        "grey/la8.png",
        &encode(
            &DynamicImage::ImageLumaA8(img.to_luma_alpha8()),
            ImageFormat::Png,
        ),
    );
    put(
        root,
        "grey/l16.png",
        &encode(
            &DynamicImage::ImageLuma16(img.to_luma16()),
            ImageFormat::Png,
        ),
    );
    put(root, "grey/g.pgm", &encode(&grey, ImageFormat::Pnm));
    put(
        root,
        "colour/rgb16.png",
        &encode(&DynamicImage::ImageRgb16(img.to_rgb16()), ImageFormat::Png),
    );
    put(
        root,
        "colour/rgba.png",
        &encode(&DynamicImage::ImageRgba8(img.to_rgba8()), ImageFormat::Png),
    );
    put(root, "colour/palette.gif", &encode(&img, ImageFormat::Gif));
    put(root, "colour/x.bmp", &encode(&img, ImageFormat::Bmp));
    put(root, "colour/x.tiff", &encode(&img, ImageFormat::Tiff));
    put(
        root,
        "colour/x.webp",
        &encode(&DynamicImage::ImageRgba8(img.to_rgba8()), ImageFormat::WebP),
    );
    put(root, "colour/x.jpeg", &encode(&img, ImageFormat::Jpeg));
    let set = read(root, &ImageConfig::default()).unwrap();
    assert_eq!(set.shape, [3, 4, 6], "a colour file makes the set RGB");
    assert!(set.bad.is_empty());
    let plane = 24;
    let of = |name: &str| set.image(set.files.iter().position(|f| f.ends_with(name)).unwrap());
    // Lossless RGB files give the pattern back (alpha dropped); 16-bit samples scale back.
    for name in ["rgb16.png", "rgba.png", "x.bmp", "x.tiff", "x.webp"] {
        let px = of(name);
        for (i, p) in rgb.pixels().enumerate() {
            for c in 0..3 {
                assert_eq!(px[c * plane + i], p[c], "{name} pixel {i} channel {c}");
            }
        }
    }
    // A grey file repeats its value in each channel.
    let l8 = of("l8.png");
    assert_eq!(&l8[..plane], &l8[plane..2 * plane]);
    assert_eq!(of("l16.png"), l8, "16-bit grey scales to the 8-bit values");
    assert_eq!(of("g.pgm"), l8);
    // Without colour files the set stays grey.
    std::fs::remove_dir_all(root.join("colour")).unwrap();
    put(root, "grey2/l8.png", &encode(&grey, ImageFormat::Png));
    assert_eq!(
        read(root, &ImageConfig::default()).unwrap().shape,
        [1, 4, 6]
    );
}

#[test]
fn exif_orientation_is_applied() {
    // A 16×8 picture, left half dark, right half bright; orientation 6 = rotate 90° clockwise.
    let img = image::RgbImage::from_fn(16, 8, |x, _| {
        if x < 8 {
            image::Rgb([20; 3])
        } else {
            image::Rgb([230; 3])
        }
    });
    let bytes = jpeg_with_orientation(&DynamicImage::ImageRgb8(img), 6);
    let d = decode::decode(&bytes, None, 1 << 20).unwrap();
    assert_eq!((d.width, d.height), (8, 16), "rotated: taller than wide");
    // The left (dark) half is now the top half.
    let at = |x: usize, y: usize| d.pixels[(y * d.width + x) * d.channels];
    assert!(
        at(4, 3) < 60 && at(4, 12) > 190,
        "top {} bottom {}",
        at(4, 3),
        at(4, 12)
    );
}

#[test]
fn sizes_must_agree_unless_a_size_is_set_and_memory_is_checked_first() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    put(root, "a/x.png", &png(10, 6, 1));
    put(root, "b/y.png", &png(7, 9, 2));
    let e = err(root, &ImageConfig::default());
    assert!(
        e.contains("data.image.size") && e.contains("6×10") && e.contains("9×7"),
        "{e}"
    );
    let set = read(root, &sized([5, 5])).unwrap();
    assert_eq!(set.shape, [3, 5, 5]);
    let tight = ImageConfig {
        max_memory_mb: 1e-4,
        ..sized([64, 64])
    };
    let e = err(root, &tight);
    assert!(
        e.contains("data.image.max_memory_mb") && e.contains("MiB"),
        "{e}"
    );
}
