//! Every way a checkpoint file can be wrong gives an `Error::Checkpoint` that names the file
//! and says what is wrong: missing, not safetensors, truncated, corrupted header, missing or
//! foreign metadata, a newer format, an unsupported dtype, a shape that does not fit its data.

mod checkpoint_fixture;

use checkpoint_fixture::{put_together, take_apart, valid_bytes, with_header, with_metadata};
use common::checkpoint::{Checkpoint, FORMAT_VERSION};
use common::Error;
use serde_json::{json, Map, Value};
use std::path::Path;

/// Writes `bytes` to a file and returns the message of loading it, checking that it is an
/// `Error::Checkpoint` naming the file and containing every one of `needles`.
fn load_error(bytes: &[u8], needles: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("damaged.safetensors");
    std::fs::write(&path, bytes).expect("write");
    let err = Checkpoint::load(&path).expect_err("a damaged checkpoint must not load");
    assert!(matches!(err, Error::Checkpoint { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("damaged.safetensors"), "names the file: {msg}");
    for needle in needles {
        assert!(msg.contains(needle), "expected {needle:?} in: {msg}");
    }
    msg
}

#[test]
fn valid_fixture_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ok.safetensors");
    std::fs::write(&path, valid_bytes()).expect("write");
    Checkpoint::load(&path).expect("the undamaged fixture loads");
}

#[test]
fn missing_file() {
    let err = Checkpoint::load(Path::new("no/such/dir/best.safetensors")).expect_err("missing");
    assert!(matches!(err, Error::Checkpoint { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("no/such/dir/best.safetensors") && msg.contains("no such file"),
        "{msg}"
    );
}

#[test]
fn garbage_is_not_safetensors() {
    load_error(
        b"this is a text file, not a checkpoint at all",
        &["not a safetensors file"],
    );
    load_error(b"{\"a\":1}", &["too short"]);
    load_error(&[], &["too short"]);
    // A plausible length followed by something that is not JSON.
    let mut fake = 16u64.to_le_bytes().to_vec();
    fake.extend_from_slice(b"PK\x03\x04 zip archive...");
    load_error(&fake, &["not a safetensors file"]);
}

#[test]
fn truncated_anywhere() {
    let bytes = valid_bytes();
    let header_end = 8 + u64::from_le_bytes(bytes[..8].try_into().expect("8")) as usize;
    // Inside the length prefix, inside the header, and inside the tensor data.
    load_error(&bytes[..5], &["too short"]);
    load_error(&bytes[..header_end / 2], &["truncated"]);
    load_error(&bytes[..header_end + 3], &["truncated"]);
    load_error(&bytes[..bytes.len() - 1], &["truncated"]);
}

#[test]
fn flipped_bits_in_the_header() {
    let bytes = valid_bytes();
    // A quote in the header turned into another character breaks the JSON.
    let quote = bytes
        .iter()
        .skip(9)
        .position(|&b| b == b'"')
        .expect("a quote")
        + 9;
    let mut flipped = bytes.clone();
    flipped[quote] ^= 0x04;
    load_error(&flipped, &["not valid JSON", "corrupted"]);
    // A byte that makes the header invalid UTF-8.
    let mut not_utf8 = bytes.clone();
    not_utf8[quote + 1] = 0xff;
    load_error(&not_utf8, &["UTF-8"]);
    // The length prefix itself damaged.
    let mut huge = bytes;
    huge[7] ^= 0x40;
    load_error(&huge, &["not a safetensors file"]);
}

#[test]
fn missing_or_foreign_metadata() {
    let plain = with_header(|h| {
        h.remove("__metadata__");
    });
    load_error(&plain, &["no __metadata__", "not a twin-nets checkpoint"]);
    let foreign = with_metadata(|m| {
        m.insert("format".into(), json!("pt"));
    });
    load_error(&foreign, &["format is 'pt'", "not a twin-nets checkpoint"]);
    let unmarked = with_metadata(|m| {
        m.remove("format");
    });
    load_error(&unmarked, &["no 'format' key"]);
    let no_spec = with_metadata(|m| {
        m.remove("spec");
    });
    load_error(&no_spec, &["'spec' is missing"]);
    let bad_spec = with_metadata(|m| {
        m.insert("spec".into(), json!("{\"layers\": 3"));
    });
    load_error(&bad_spec, &["metadata 'spec' is not valid"]);
    let bad_config = with_metadata(|m| {
        m.insert("config".into(), json!("seed = \"many\""));
    });
    load_error(&bad_config, &["'config'"]);
    let not_strings = with_header(|h| {
        h.insert("__metadata__".into(), json!({"format": 1}));
    });
    load_error(&not_strings, &["__metadata__ is not a map of strings"]);
    let disagree = with_metadata(|m| {
        m.insert("class_names".into(), json!("[\"a\",\"b\"]"));
    });
    load_error(&disagree, &["class_names", "disagrees"]);
    // Piecewise-linear edges that make no bins (a repeat, a step back, too few) are refused.
    for bins in [
        json!([1.0, 1.0, 2.0]),
        json!([2.0, 1.0, 3.0]),
        json!([0.0, 1.0]),
    ] {
        let bad_bins = with_metadata(|m| {
            let text = m["preprocessing"]
                .as_str()
                .expect("a JSON string")
                .to_string();
            let mut pre: Value = serde_json::from_str(&text).expect("preprocessing JSON");
            let columns = pre["columns"].as_array_mut().expect("columns");
            let numeric = columns.iter_mut().find(|c| c["type"] == "numeric");
            numeric.expect("a numeric column")["bins"] = bins.clone();
            m.insert("preprocessing".into(), json!(pre.to_string()));
        });
        load_error(
            &bad_bins,
            &["'preprocessing'", "column 'x1'", "piecewise-linear edges"],
        );
    }
}

#[test]
fn newer_format_version_is_refused_with_a_hint() {
    let newer = FORMAT_VERSION + 1;
    let bytes = with_metadata(|m| {
        m.insert("format_version".into(), json!(newer.to_string()));
    });
    let expected = format!("written by a newer twin-nets (format {newer} > {FORMAT_VERSION})");
    load_error(&bytes, &[expected.as_str()]);
    let garbled = with_metadata(|m| {
        m.insert("format_version".into(), json!("one"));
    });
    load_error(&garbled, &["format_version", "'one'"]);
}

/// The fixture's header entry of `name`, for editing.
fn entry<'a>(h: &'a mut Map<String, Value>, name: &str) -> &'a mut Map<String, Value> {
    h.get_mut(name)
        .and_then(Value::as_object_mut)
        .expect("tensor entry")
}

#[test]
fn unsupported_dtype_names_the_tensor() {
    // I32 has the same width as F32, so only the dtype is wrong.
    let bytes = with_header(|h| {
        entry(h, "net.2.bias").insert("dtype".into(), json!("I32"));
    });
    load_error(&bytes, &["net.2.bias", "dtype I32", "F32, F64 and I64"]);
}

#[test]
fn shape_that_does_not_match_the_data() {
    let bytes = with_header(|h| {
        entry(h, "net.0.weight").insert("shape".into(), json!([3, 3]));
    });
    load_error(
        &bytes,
        &["net.0.weight", "[3, 3]", "needs 36 bytes", "hold 24"],
    );
    let overflow = with_header(|h| {
        entry(h, "net.0.bias").insert("shape".into(), json!([u64::MAX, 4]));
    });
    load_error(&overflow, &["net.0.bias", "overflows"]);
    let reversed = with_header(|h| {
        entry(h, "net.0.bias").insert("data_offsets".into(), json!([12, 0]));
    });
    load_error(
        &reversed,
        &["net.0.bias", "[12, 0]", "end before they start"],
    );
}

#[test]
fn gaps_overlaps_and_trailing_bytes() {
    let (header, mut data) = take_apart(&valid_bytes());
    data.extend_from_slice(&[0; 4]);
    load_error(&put_together(&header, &data), &["data section", "padded"]);
    // Shift one tensor onto another's bytes: sizes still match, tiling does not.
    let (mut header, data) = take_apart(&valid_bytes());
    let e = entry(&mut header, "net.2.bias");
    let end = e["data_offsets"][1].as_u64().expect("offset");
    e.insert("data_offsets".into(), json!([end - 8, end - 4]));
    load_error(&put_together(&header, &data), &["corrupted header"]);
}
