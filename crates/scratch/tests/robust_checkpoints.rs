//! Damaged, foreign and hostile checkpoints given to the real `scratch` binary's `eval`,
//! `predict` and `train --resume`: truncated, a flipped bit in the header, the wrong dtype,
//! wrong shapes, another architecture, a newer format version, files that are not safetensors,
//! a hostile model spec or config in the metadata. Each must be a one-line error naming the
//! file and the fault, exit status 1, never a panic; a resume refused loses nothing.

mod robust_support;

use robust_support::*;
use serde_json::{json, Map, Value};
use std::path::Path;
use std::process::Command;

/// Trains the 2-epoch circle run into `dir/run` and returns its `last.safetensors` bytes.
fn trained(dir: &Path, extra: &[&str]) -> Vec<u8> {
    run_ok(dir, &train_args(&dir.join("run"), 2, extra));
    std::fs::read(dir.join("run/last.safetensors")).unwrap()
}

fn take_apart(bytes: &[u8]) -> (Map<String, Value>, Vec<u8>) {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    (
        serde_json::from_slice(&bytes[8..8 + n]).unwrap(),
        bytes[8 + n..].to_vec(),
    )
}

fn put_together(header: &Map<String, Value>, data: &[u8]) -> Vec<u8> {
    let text = serde_json::to_string(header).unwrap();
    [
        &(text.len() as u64).to_le_bytes()[..],
        text.as_bytes(),
        data,
    ]
    .concat()
}

fn edit_header(bytes: &[u8], edit: impl FnOnce(&mut Map<String, Value>)) -> Vec<u8> {
    let (mut header, data) = take_apart(bytes);
    edit(&mut header);
    put_together(&header, &data)
}

fn edit_meta(bytes: &[u8], key: &str, value: String) -> Vec<u8> {
    edit_header(bytes, |h| h["__metadata__"][key] = Value::from(value))
}

/// Runs `eval`, `predict` and `train --resume` on `file` in `dir`; each must fail cleanly with
/// an error line naming the file and containing `needle`.
fn refused_everywhere(dir: &Path, file: &Path, needle: &str) {
    let ckpt = file.display().to_string();
    let input = dir.join("rows.csv");
    std::fs::write(&input, "x0,x1\n0.1,0.2\n1.5,-1.5\n").unwrap();
    let resume = train_args(&dir.join("resumed"), 4, &["--resume", &ckpt]);
    let commands: [Vec<String>; 3] = [
        vec!["eval".into(), "--checkpoint".into(), ckpt.clone()],
        vec![
            "predict".into(),
            "--checkpoint".into(),
            ckpt.clone(),
            "--input".into(),
            input.display().to_string(),
        ],
        resume,
    ];
    for args in commands {
        let out = Command::new(env!("CARGO_BIN_EXE_scratch"))
            .args(&args)
            .current_dir(dir)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
        let line = err
            .lines()
            .find(|l| l.starts_with("error:"))
            .unwrap_or_else(|| panic!("no error line: {err}"));
        assert!(
            line.contains(&ckpt) && line.contains(needle),
            "{args:?}: '{needle}' not in: {line}"
        );
    }
    assert!(
        !dir.join("resumed").exists(),
        "a refused resume leaves no run folder behind"
    );
}

#[test]
fn damaged_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = trained(dir.path(), &[]);
    let (header_len, n) = (
        u64::from_le_bytes(good[..8].try_into().unwrap()) as usize,
        good.len(),
    );
    let mut flipped_json = good.clone();
    flipped_json[8] ^= 0x04; // '{' → '\x7f': the header is no longer a JSON object
    let mut flipped_len = good.clone();
    flipped_len[6] ^= 0x01; // the length prefix now claims 2^48 more bytes
    let mut flipped_inside = good.clone();
    let colon = 8 + good[8..8 + header_len]
        .iter()
        .position(|&b| b == b':')
        .unwrap();
    flipped_inside[colon] ^= 0x01; // ':' → ';' inside the JSON text
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", good[..n / 2].to_vec(), "truncated"),
        ("cut-in-data", good[..n - 3].to_vec(), "truncated"),
        ("flip-first-brace", flipped_json, "not a safetensors file"),
        ("flip-length", flipped_len, "not a safetensors file"),
        ("flip-in-json", flipped_inside, "not valid JSON"),
        ("empty", vec![], "too short"),
    ];
    for (name, bytes, needle) in cases {
        let file = dir.path().join(format!("{name}.safetensors"));
        std::fs::write(&file, bytes).unwrap();
        refused_everywhere(dir.path(), &file, needle);
    }
}

#[test]
fn foreign_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("data.safetensors");
    std::fs::write(&csv, "x0,x1,label\n1,2,a\n").unwrap();
    refused_everywhere(dir.path(), &csv, "not a safetensors file");
    let png = dir.path().join("image.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    refused_everywhere(dir.path(), &png, "not a safetensors file");
    let folder = dir.path().join("folder.safetensors");
    std::fs::create_dir(&folder).unwrap();
    refused_everywhere(dir.path(), &folder, "cannot read");
    refused_everywhere(
        dir.path(),
        &dir.path().join("missing.safetensors"),
        "no such file",
    );
    let plain = put_together(&Map::new(), &[]);
    let st = dir.path().join("plain.safetensors");
    std::fs::write(&st, plain).unwrap();
    refused_everywhere(dir.path(), &st, "not a twin-nets checkpoint");
}

#[test]
fn wrong_dtype_shapes_version_and_architecture() {
    let dir = tempfile::tempdir().unwrap();
    let good = trained(dir.path(), &[]);
    let f16 = edit_header(&good, |h| h["net.0.bias"]["dtype"] = json!("F16"));
    let i32s = edit_header(&good, |h| h["net.0.bias"]["dtype"] = json!("I32"));
    let transposed = edit_header(&good, |h| h["net.0.weight"]["shape"] = json!([2, 32]));
    let newer = edit_meta(&good, "format_version", "2".into());
    let spec16 = r#"{"input_shape":[2],"layers":[{"type":"linear","inputs":2,"outputs":16},{"type":"act","act":"relu"},{"type":"linear","inputs":16,"outputs":1}],"head":"bce"}"#;
    let other_arch = edit_meta(&good, "spec", spec16.into());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("f16", f16, "dtype F16 is not supported"),
        ("i32", i32s, "dtype I32 is not supported"),
        ("transposed", transposed, "has shape [2, 32]"),
        ("newer", newer, "newer twin-nets"),
        ("other-arch", other_arch, "another architecture"),
    ];
    for (name, bytes, needle) in cases {
        let file = dir.path().join(format!("{name}.safetensors"));
        std::fs::write(&file, bytes).unwrap();
        refused_everywhere(dir.path(), &file, needle);
    }
}

#[test]
fn resuming_a_checkpoint_of_another_architecture_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    trained(dir.path(), &["--set", "model.hidden=[16]"]);
    let last = dir
        .path()
        .join("run/last.safetensors")
        .display()
        .to_string();
    let before = std::fs::read(dir.path().join("run/history.csv")).unwrap();
    let args = train_args(&dir.path().join("run"), 4, &["--resume", &last]);
    let mut child = spawn(dir.path(), &args);
    let (status, err) = finish(&mut child, std::time::Duration::from_secs(60));
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("'model.hidden'") && err.contains("[16]") && !err.contains("panicked"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("run/history.csv")).unwrap(),
        before,
        "nothing lost"
    );
}

#[test]
fn hostile_metadata_is_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let good = trained(dir.path(), &[]);
    let huge = r#"{"input_shape":[2],"layers":[{"type":"linear","inputs":2,"outputs":1000000000000},{"type":"linear","inputs":1000000000000,"outputs":1}],"head":"bce"}"#;
    let overflow = r#"{"input_shape":[18446744073709551615,2,2],"layers":[{"type":"conv2d","in_ch":18446744073709551615,"out_ch":2,"kernel":3,"padding":1},{"type":"flatten"},{"type":"linear","inputs":8,"outputs":1}],"head":"bce"}"#;
    let zero_pool = r#"{"input_shape":[1,8,8],"layers":[{"type":"max_pool2d","k":0},{"type":"flatten"},{"type":"linear","inputs":64,"outputs":1}],"head":"bce"}"#;
    let config = std::fs::read_to_string(dir.path().join("run/config.toml")).unwrap();
    let big_data = config.replace("n = 400", "n = 1000000000000000");
    assert_ne!(big_data, config, "the config names data.n");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "huge-layer",
            edit_meta(&good, "spec", huge.into()),
            "not a valid model",
        ),
        (
            "overflow",
            edit_meta(&good, "spec", overflow.into()),
            "not a valid model",
        ),
        (
            "zero-pool",
            edit_meta(&good, "spec", zero_pool.into()),
            "not a valid model",
        ),
        ("big-data", edit_meta(&good, "config", big_data), "data.n"),
        (
            "classes",
            edit_meta(&good, "class_names", r#"["0","1","2"]"#.into()),
            "class_names",
        ),
    ];
    for (name, bytes, needle) in cases {
        let file = dir.path().join(format!("{name}.safetensors"));
        std::fs::write(&file, bytes).unwrap();
        refused_everywhere(dir.path(), &file, needle);
    }
}
