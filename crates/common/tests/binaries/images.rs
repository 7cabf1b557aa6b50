//! A binary on image folders, end to end: it reads the same pixels as the library (the FNV
//! hash of the decoded set it prints before training), and a bad file stops the run naming
//! the file, or, with `data.image.bad_files = "skip"`, is left out with a warning (shown also
//! with `-q`) and listed in the run folder's `bad_files.txt`.

use super::{repo, strings};
use std::path::Path;
use std::process::Command;

/// Runs `bin args…` in the repository root; returns (success, stderr).
fn run_err(bin: &str, args: &[String]) -> (bool, String) {
    let out = Command::new(bin)
        .args(args)
        .current_dir(repo())
        .env_remove("RUST_LOG")
        .output()
        .expect("start");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    (out.status.success(), err)
}

/// The `pixels <hash>` of an "images:" line.
fn pixel_hash(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.starts_with("images:") && l.contains("pixels"))
        .unwrap_or_else(|| panic!("no images line: {text}"));
    let at = line.find("pixels ").expect("pixels") + 7;
    line[at..at + 16].to_string()
}

/// The digits folder through `bin`: the printed pixel hash is the library's.
pub fn same_pixels_as_the_library(bin: &str) {
    let out = tempfile::tempdir().unwrap();
    let args = strings(&[
        "train",
        "-c",
        "configs/digits_folder.toml",
        "--set",
        "train.epochs=1",
        "--out",
    ]);
    let mut args = args;
    args.push(out.path().display().to_string());
    let (ok, err) = run_err(bin, &args);
    assert!(ok, "{err}");
    let mut cfg =
        common::config::Config::load(&repo().join("configs/digits_folder.toml"), &[]).unwrap();
    cfg.data.path = cfg.data.path.map(|p| repo().join(p));
    let data = common::data::prepare(&cfg).unwrap();
    assert_eq!(
        pixel_hash(&err),
        pixel_hash(&data.notes.join("\n")),
        "{bin}: the same decoded bytes"
    );
}

/// A PNG of the shipped digits folder (class `class`, the `i`-th PNG file there).
fn png(class: usize, i: usize) -> Vec<u8> {
    let dir = repo().join("data/digits_folder").join(class.to_string());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    files.sort();
    std::fs::read(&files[i]).unwrap()
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// A planted truncated file: an error naming it by default; skipped with a warning and a list.
pub fn a_bad_file_is_named_or_skipped(bin: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("pics");
    for i in 0..12 {
        write(
            &data,
            &format!("{}/{i}.png", ["ant", "bee"][i % 2]),
            &png(i % 2, i),
        );
    }
    let good = png(1, 20);
    write(&data, "bee/broken.png", &good[..good.len() - 20]);
    let out = dir.path().join("run");
    let mut args = strings(&["train", "-q", "--set", "data.source=\"images\"", "--set"]);
    args.push(format!("data.path=\"{}\"", data.display()));
    args.extend(strings(&[
        "--set",
        "model.kind=\"cnn\"",
        "--set",
        "model.channels=[4]",
        "--set",
        "train.epochs=1",
        "--out",
    ]));
    args.push(out.display().to_string());
    let (ok, err) = run_err(bin, &args);
    assert!(
        !ok && err.contains("bee/broken.png") && err.contains("truncated or corrupt"),
        "{err}"
    );
    args.extend(strings(&["--set", "data.image.bad_files=\"skip\""]));
    let (ok, err) = run_err(bin, &args);
    assert!(ok, "{err}");
    assert!(
        err.contains("warning: skipped 1 bad file ") && err.contains("bee/broken.png"),
        "{err}"
    );
    let list = std::fs::read_to_string(out.join("bad_files.txt")).expect("bad_files.txt");
    assert!(
        list.starts_with("bee/broken.png\t") && list.lines().count() == 1,
        "{list}"
    );
}
