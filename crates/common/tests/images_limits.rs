//! The image-folder loader at its limits: no byte sequence panics the decoder (a fuzz), an
//! extreme aspect ratio, a single class and a link loop are refused or survived, and a
//! pretrained model reads only its own kind of data (see `data::images`).

mod images_support;

use common::config::ImageConfig;
use common::data::images::decode;
use image::{DynamicImage, ImageFormat};
use images_support::{encode, err, pattern, png, put, read, sized};

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
    /// No byte sequence panics the decoder: random bytes, and valid files with bytes changed
    /// or cut, each give pixels or a reason.
    #[test]
    fn decoding_never_panics(
        noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        at in 0usize..2000,
        cut in 0usize..2000,
        which in 0usize..5,
    ) {
        let img = DynamicImage::ImageRgb8(pattern(9, 7, 3));
        let format = [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::Gif, ImageFormat::Bmp, ImageFormat::WebP][which];
        let mut file = encode(&img, format);
        let n = file.len();
        for (i, b) in noise.iter().take(8).enumerate() {
            file[(at + i * 31) % n] ^= b;
        }
        file.truncate(cut.max(1).min(n));
        let _ = decode::decode(&file, None, 1 << 24);
        let _ = decode::decode(&noise, Some(3), 1 << 24);
    }
}

#[test]
fn extreme_shapes_one_class_and_link_loops_are_refused_or_survived() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    put(root, "a/x.png", &png(8, 8, 1));
    put(root, "b/y.png", &png(8, 8, 2));
    // 1×400 is 400 pixels, but scaling its short side to 16 would make 16×6,400.
    put(root, "b/thin.png", &png(1, 400, 3));
    let im = ImageConfig {
        max_pixels: 5_000,
        ..sized([16, 16])
    };
    let e = err(root, &im);
    let line = e
        .lines()
        .find(|l| l.contains("b/thin.png"))
        .unwrap_or_else(|| panic!("{e}"));
    assert!(
        line.contains("data.image.max_pixels") && line.contains("16×6400"),
        "{line}"
    );
    std::fs::remove_file(root.join("b/thin.png")).unwrap();
    // A link back to its own class folder is followed once, not forever.
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("a"), root.join("a/loop")).unwrap();
    assert_eq!(
        read(root, &ImageConfig::default()).unwrap().files,
        ["a/x.png", "b/y.png"]
    );
    std::fs::remove_dir_all(root.join("b")).unwrap();
    let e = err(root, &ImageConfig::default());
    assert!(e.contains("only one class folder (a)"), "{e}");
}

#[test]
fn a_pretrained_model_reads_only_its_own_kind_of_data() {
    use common::config::{Config, Source};
    use common::data::{prepare, prepare_from};
    let mut images = Config::default();
    images.data.source = Source::Images;
    images.data.path = Some(images_support::workspace().join("data/digits_folder"));
    images.data.image.size = Some([8, 8]);
    images.model.kind = common::config::ModelKind::Cnn;
    images.model.channels = vec![4];
    let image_pre = prepare(&images).unwrap().pre;
    let table = Config::default();
    let table_pre = prepare(&table).unwrap().pre;
    let e = prepare_from(&table, Some(&image_pre), true)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("model.init_from") && e.contains("image folder"),
        "{e}"
    );
    let e = prepare_from(&images, Some(&table_pre), true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("model.init_from") && e.contains("table"), "{e}");
    // An image model's own reading wins over this config's: 8×8 stays 8×8.
    let mut other = images.clone();
    other.data.image.size = Some([12, 12]);
    let kept = prepare_from(&other, Some(&image_pre), true).unwrap();
    assert_eq!(kept.image_shape, Some([3, 8, 8]));
    assert_eq!(kept.pre.image, image_pre.image);
}
