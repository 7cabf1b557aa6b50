//! The folder walk on the layouts a QA pass found misread: symbolic links (a loop, a link into
//! another class folder, two paths to one file, a broken link), split folders in other letter
//! cases, class folders that are all split names, a `train/` folder that is a class, and what
//! the run prints about them (see `data::images::scan`).

mod images_support;

use std::path::Path;

use common::config::{BadFiles, Config, ImageConfig, ModelKind, Source};
use common::data::images::Part;
use images_support::{err, png, put, read};

#[cfg(unix)]
use std::os::unix::fs::symlink;

/// `n` PNGs in each of the class folders `classes` under `root`.
fn plant(root: &Path, classes: &[&str], n: u32) {
    for (c, class) in classes.iter().enumerate() {
        for i in 0..n {
            put(
                root,
                &format!("{class}/{i}.png"),
                &png(6, 6, c as u32 * 100 + i),
            );
        }
    }
}

fn skip() -> ImageConfig {
    ImageConfig {
        bad_files: BadFiles::Skip,
        ..ImageConfig::default()
    }
}

/// The reason given for the link `rel`, if the walk left it out.
fn link_reason(links: &[(String, String)], rel: &str) -> String {
    links
        .iter()
        .find(|(p, _)| p == rel)
        .map(|(_, why)| why.clone())
        .unwrap_or_else(|| panic!("{rel} not listed: {links:?}"))
}

#[cfg(unix)]
#[test]
fn links_that_loop_or_cross_classes_are_not_followed_and_each_file_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root, &["cat", "dog", "fish"], 2);
    let outside = tempfile::tempdir().unwrap();
    put(outside.path(), "shared.png", &png(6, 6, 7));
    symlink("..", root.join("cat/up")).unwrap();
    symlink("../dog", root.join("cat/dogs")).unwrap();
    symlink("../fish/0.png", root.join("cat/fishy.png")).unwrap();
    symlink(outside.path(), root.join("cat/extra")).unwrap();
    symlink(outside.path(), root.join("dog/extra")).unwrap();
    symlink("0.png", root.join("dog/again.png")).unwrap();
    let set = read(root, &ImageConfig::default()).unwrap();
    // 2 per class, and the outside file once (under cat, which is walked first).
    assert_eq!(set.len(), 7, "{:?}", set.files);
    assert_eq!(set.labels, [0, 0, 0, 1, 1, 2, 2], "{:?}", set.files);
    assert!(set.files.contains(&"cat/extra/shared.png".to_string()));
    assert!(link_reason(&set.links, "cat/up").contains("link loop"));
    assert!(link_reason(&set.links, "cat/dogs").contains("another class folder"));
    assert!(link_reason(&set.links, "cat/fishy.png").contains("another class folder"));
    assert!(link_reason(&set.links, "dog/extra").contains("read already"));
    let why = link_reason(&set.links, "dog/again.png");
    assert!(why.contains("same file as dog/0.png"), "{why}");
}

#[cfg(unix)]
#[test]
fn what_is_reached_directly_and_through_a_link_is_read_by_its_own_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root, &["dog"], 1);
    put(root, "cat/a/x.png", &png(6, 6, 1));
    put(root, "cat/b/real.png", &png(6, 6, 2));
    // Both sort after what they point at, and the walk reads the last folder first.
    symlink("a", root.join("cat/z")).unwrap();
    std::fs::create_dir(root.join("cat/c")).unwrap();
    symlink("../b/real.png", root.join("cat/c/link.png")).unwrap();
    let set = read(root, &ImageConfig::default()).unwrap();
    assert_eq!(set.files, ["cat/a/x.png", "cat/b/real.png", "dog/0.png"]);
    assert!(link_reason(&set.links, "cat/z").contains("read already"));
    assert!(link_reason(&set.links, "cat/c/link.png").contains("same file as cat/b/real.png"));
}

#[cfg(unix)]
#[test]
fn a_class_folder_that_links_to_another_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root, &["cat", "dog"], 2);
    symlink("cat", root.join("kitten")).unwrap();
    let e = err(root, &ImageConfig::default());
    assert!(e.contains("kitten") && e.contains("same folder as"), "{e}");
}

#[cfg(unix)]
#[test]
fn a_broken_link_is_a_bad_file_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root, &["cat", "dog"], 2);
    symlink("/nonexistent/x.png", root.join("cat/dead.png")).unwrap();
    symlink("/nonexistent/x.txt", root.join("cat/dead.txt")).unwrap();
    let e = err(root, &ImageConfig::default());
    let line = e
        .lines()
        .find(|l| l.contains("cat/dead.png"))
        .unwrap_or_else(|| panic!("{e}"));
    assert!(
        line.contains("broken symbolic link (to /nonexistent/x.png)"),
        "{line}"
    );
    let set = read(root, &skip()).unwrap();
    assert_eq!(set.len(), 4);
    assert_eq!(set.bad.len(), 1);
    assert_eq!(set.bad[0].0, "cat/dead.png");
    assert!(
        set.bad[0].1.contains("broken symbolic link"),
        "{:?}",
        set.bad
    );
    // Without an image extension (a folder on a drive not mounted?), it is a link not
    // followed, not an ignored file.
    assert!(set.ignored.is_empty(), "{:?}", set.ignored);
    let why = link_reason(&set.links, "cat/dead.txt");
    assert_eq!(why, "broken symbolic link (to /nonexistent/x.txt)");
    symlink("/mnt/usb/cats", root.join("cat/more")).unwrap();
    let set = read(root, &skip()).unwrap();
    let why = link_reason(&set.links, "cat/more");
    assert_eq!(why, "broken symbolic link (to /mnt/usb/cats)");
    std::fs::remove_file(root.join("cat/more")).unwrap();
    // Where class folders are expected, a broken link is a layout error saying so.
    symlink("/nonexistent/bird", root.join("bird")).unwrap();
    let e = err(root, &skip());
    assert!(
        e.contains("bird") && e.contains("broken symbolic link"),
        "{e}"
    );
}

#[test]
fn split_folders_are_recognised_in_any_letter_case() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(&root.join("Train"), &["cat", "dog"], 2);
    plant(&root.join("VALID"), &["cat", "dog"], 1);
    plant(&root.join("Test"), &["cat"], 1);
    let set = read(root, &ImageConfig::default()).unwrap();
    assert_eq!(set.classes, ["cat", "dog"]);
    let parts = set.parts.as_deref().expect("given splits");
    assert_eq!(parts.iter().filter(|p| **p == Part::Train).count(), 4);
    assert_eq!(parts.iter().filter(|p| **p == Part::Val).count(), 2);
    assert_eq!(parts.iter().filter(|p| **p == Part::Test).count(), 1);
    assert_eq!(set.files[0], "Train/cat/0.png");
    // Two spellings of one split are refused rather than one of them read as a class.
    plant(&root.join("test"), &["dog"], 1);
    let e = err(root, &ImageConfig::default());
    assert!(
        e.contains("Test/") && e.contains("test/") && e.contains("case"),
        "{e}"
    );
}

#[test]
fn class_folders_that_are_all_split_names_are_refused() {
    for names in [["val", "test"], ["Validation", "TEST"]] {
        let dir = tempfile::tempdir().unwrap();
        plant(dir.path(), &names, 2);
        let e = err(dir.path(), &ImageConfig::default());
        assert!(
            e.contains("split names, not classes") && e.contains(&format!("{}/", names[0])),
            "{e}"
        );
    }
}

#[test]
fn train_without_val_says_what_to_do_when_train_is_a_class() {
    let dir = tempfile::tempdir().unwrap();
    plant(dir.path(), &["train", "bus"], 2);
    let e = err(dir.path(), &ImageConfig::default());
    assert!(
        e.contains("train/ has no val/") && e.contains("If 'train' is meant as a class, rename"),
        "{e}"
    );
    assert!(!e.contains("every folder is a class"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    plant(&dir.path().join("Train"), &["cat", "dog"], 2);
    plant(&dir.path().join("Validation"), &["cat", "dog"], 1);
    let e = err(dir.path(), &ImageConfig::default());
    assert!(
        e.contains("Train/ has no val/") && e.contains("Validation/ is not read as one"),
        "{e}"
    );
}

/// An image config on `path` (a CNN, so that images are accepted).
fn config(path: &Path) -> Config {
    let mut cfg = Config::default();
    cfg.data.source = Source::Images;
    cfg.data.path = Some(path.to_path_buf());
    cfg.model.kind = ModelKind::Cnn;
    cfg.model.channels = vec![4];
    cfg
}

#[test]
fn given_splits_without_test_say_there_will_be_no_test_metrics() {
    let dir = tempfile::tempdir().unwrap();
    plant(&dir.path().join("train"), &["cat", "dog"], 3);
    plant(&dir.path().join("val"), &["cat", "dog"], 1);
    let p = common::data::prepare(&config(dir.path())).unwrap();
    assert!(p.test.y.is_empty());
    let line = &p.notes[0];
    assert!(
        line.contains("train/ val/ as given; no test/ folder, so no test metrics"),
        "{line}"
    );
    plant(&dir.path().join("test"), &["cat"], 1);
    let p = common::data::prepare(&config(dir.path())).unwrap();
    assert!(
        p.notes[0].contains("(train/ val/ test/ as given)"),
        "{:?}",
        p.notes
    );
}

#[test]
fn a_missing_relative_data_path_names_the_key_and_the_current_folder() {
    let e = common::data::prepare(&config(Path::new("no/such/images_folder")))
        .unwrap_err()
        .to_string();
    let cwd = std::env::current_dir().unwrap();
    assert!(
        e.contains("data.path") && e.contains("no/such/images_folder"),
        "{e}"
    );
    assert!(
        e.contains(&format!(
            "a relative path is read from the current folder, {}",
            cwd.display()
        )),
        "{e}"
    );
}

#[test]
fn notes_count_in_words_and_give_examples() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root, &["cat", "dog"], 10);
    put(root, "cat/a.jfif", b"jfif");
    let mut cfg = config(root);
    cfg.data.image.bad_files = BadFiles::Skip;
    let notes = common::data::prepare(&cfg).unwrap().notes;
    assert!(
        notes.contains(
            &"images: ignored 1 file: not a supported image extension (cat/a.jfif)".to_string()
        ),
        "{notes:?}"
    );
    put(root, "dog/b.heic", b"heic");
    put(root, "dog/c.png", b"");
    let notes = common::data::prepare(&cfg).unwrap().notes;
    let all = notes.join("\n");
    assert!(
        all.contains(
            "ignored 2 files: not a supported image extension (e.g. cat/a.jfif, dog/b.heic)"
        ),
        "{all}"
    );
    assert!(
        all.contains("warning: skipped 1 bad file (") && all.contains("dog/c.png: empty file"),
        "{all}"
    );
}

// Linux: macOS file systems refuse names that are not UTF-8.
#[cfg(target_os = "linux")]
#[test]
fn names_that_differ_only_in_invalid_utf8_bytes_are_two_files() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root, &["cat", "dog"], 1);
    for (i, name) in [&b"caf\xe9"[..], &b"caf\xe8"[..]].into_iter().enumerate() {
        let file = [name, b".png"].concat();
        let file = root.join("cat").join(OsStr::from_bytes(&file));
        std::fs::write(file, png(6, 6, 10 + i as u32)).unwrap();
        let folder = root.join("dog").join(OsStr::from_bytes(name));
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("x.png"), png(6, 6, 20 + i as u32)).unwrap();
    }
    let set = read(root, &ImageConfig::default()).unwrap();
    assert!(set.links.is_empty(), "{:?}", set.links);
    assert_eq!(set.len(), 6, "{:?}", set.files);
    assert_eq!(set.labels, [0, 0, 0, 1, 1, 1], "{:?}", set.files);
}

#[test]
fn a_class_folder_named_train_in_another_case_is_a_class_without_a_val_folder() {
    for name in ["Train", "TRAIN"] {
        let dir = tempfile::tempdir().unwrap();
        plant(dir.path(), &["Bus", "Car", name], 2);
        let set = read(dir.path(), &ImageConfig::default()).unwrap();
        assert_eq!(set.classes, ["Bus", "Car", name]);
        assert!(set.parts.is_none());
        assert_eq!(set.len(), 6);
    }
}

#[test]
fn a_class_folder_beside_split_folders_is_named_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    plant(&dir.path().join("train"), &["cat", "dog"], 2);
    plant(&dir.path().join("val"), &["cat", "dog"], 1);
    plant(dir.path(), &["bird"], 1);
    let e = err(dir.path(), &ImageConfig::default());
    assert!(
        e.contains("bird") && e.contains("unexpected beside train/ and val/"),
        "{e}"
    );
    assert!(
        e.contains("a class folder here must be moved into each split"),
        "{e}"
    );
    // A file there is named as a file, not as a class folder.
    std::fs::remove_dir_all(dir.path().join("bird")).unwrap();
    std::fs::write(dir.path().join("README.md"), "about").unwrap();
    let e = err(dir.path(), &ImageConfig::default());
    assert!(
        e.contains("README.md") && e.ends_with("move this file out of the folder"),
        "{e}"
    );
}
