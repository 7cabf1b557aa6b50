//! Reading a safetensors file defensively. Every check the `safetensors` crate would make is
//! made here first, with a message naming the file and the tensor at fault, so that a
//! truncated, bit-flipped or foreign file is an error that says what is wrong, and the crate's
//! own parser only ever sees input it accepts.

use safetensors::{Dtype, SafeTensors};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

use super::meta;
use crate::tensor::{HostTensor, NamedTensors, TensorData};
use crate::{Error, Result};

/// The safetensors crate refuses headers above 100 MB; so do we, before allocating anything.
const MAX_HEADER: u64 = 100_000_000;

/// One tensor entry of the JSON header.
#[derive(Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: [usize; 2],
}

/// The JSON header split at the 8-byte length prefix: `(header text, data section)`.
fn split_header<'a>(bytes: &'a [u8], path: &Path) -> Result<(&'a str, &'a [u8])> {
    let err = |msg: String| Error::checkpoint(path, msg);
    if bytes.len() < 8 {
        return Err(err(format!(
            "only {} bytes: too short to be a safetensors file (truncated, or not a checkpoint)",
            bytes.len()
        )));
    }
    let (len_bytes, rest) = bytes.split_at(8);
    let n = u64::from_le_bytes(len_bytes.try_into().unwrap_or([0xff; 8]));
    let looks_like_json = rest.first() == Some(&b'{');
    if n > rest.len() as u64 {
        return Err(err(if looks_like_json && n <= MAX_HEADER {
            format!(
                "truncated: the header claims {n} bytes but only {} follow",
                rest.len()
            )
        } else {
            "not a safetensors file (no valid header length and JSON header at the start)"
                .to_string()
        }));
    }
    let (header, data) = rest.split_at(n as usize);
    if !looks_like_json {
        return Err(err(
            "not a safetensors file (its header is not a JSON object)".to_string(),
        ));
    }
    let text = std::str::from_utf8(header)
        .map_err(|_| err("the header is not valid UTF-8 text (corrupted file)".to_string()))?;
    Ok((text, data))
}

/// The parsed header: the `__metadata__` map and the tensor entries by name.
type Header = (Option<HashMap<String, String>>, Vec<(String, Entry)>);

/// Parses the header JSON into the metadata map and the tensor entries.
fn parse_header(text: &str, path: &Path) -> Result<Header> {
    let err = |msg: String| Error::checkpoint(path, msg);
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| {
            err(format!(
                "the header is not valid JSON ({e}): corrupted file"
            ))
        })?;
    let mut metadata = None;
    let mut entries = Vec::with_capacity(map.len());
    for (name, value) in map {
        if name == "__metadata__" {
            let m: HashMap<String, String> = serde_json::from_value(value)
                .map_err(|e| err(format!("__metadata__ is not a map of strings ({e})")))?;
            metadata = Some(m);
        } else {
            let entry: Entry = serde_json::from_value(value)
                .map_err(|e| err(format!("tensor '{name}': malformed header entry ({e})")))?;
            entries.push((name, entry));
        }
    }
    Ok((metadata, entries))
}

/// The metadata of a file that must be ours.
fn required(
    metadata: Option<HashMap<String, String>>,
    path: &Path,
) -> Result<HashMap<String, String>> {
    metadata.ok_or_else(|| {
        Error::checkpoint(
            path,
            "no __metadata__ in the header: a safetensors file, but not a twin-nets checkpoint",
        )
    })
}

/// Checks one entry's dtype, shape and offsets against the data section; returns its dtype.
fn check_entry(name: &str, e: &Entry, data_len: usize, path: &Path) -> Result<Dtype> {
    let err = |msg: String| Error::checkpoint(path, format!("tensor '{name}': {msg}"));
    let dtype = match e.dtype.as_str() {
        "F32" => Dtype::F32,
        "F64" => Dtype::F64,
        "I64" => Dtype::I64,
        other => {
            return Err(err(format!(
                "dtype {other} is not supported (twin-nets reads F32, F64 and I64)"
            )))
        }
    };
    let [start, end] = e.data_offsets;
    let Some(held) = end.checked_sub(start) else {
        return Err(err(format!(
            "its data offsets [{start}, {end}] end before they start"
        )));
    };
    let Some(needed) = e
        .shape
        .iter()
        .try_fold(dtype.size(), |acc, &d| acc.checked_mul(d))
    else {
        return Err(err(format!(
            "shape {:?} has a byte size that overflows",
            e.shape
        )));
    };
    if needed != held {
        let (shape, dt) = (&e.shape, &e.dtype);
        return Err(err(format!(
            "shape {shape:?} of {dt} needs {needed} bytes but its data offsets [{start}, {end}] hold {held}"
        )));
    }
    if end > data_len {
        return Err(err(format!(
            "its data [{start}, {end}) runs past the end of the file ({data_len} data bytes): truncated file"
        )));
    }
    Ok(dtype)
}

/// Checks that the tensors tile the data section exactly, with no gap, overlap or tail.
fn check_tiling(entries: &[(String, Entry)], data_len: usize, path: &Path) -> Result<()> {
    let mut next = 0;
    for (name, e) in entries {
        if e.data_offsets[0] != next {
            let msg = format!(
                "tensor '{name}' starts at byte {} of the data, expected {next}",
                e.data_offsets[0]
            );
            return Err(Error::checkpoint(path, format!("{msg}: corrupted header")));
        }
        next = e.data_offsets[1];
    }
    if next != data_len {
        let msg = format!("the tensors cover {next} bytes but the data section has {data_len}: truncated or padded file");
        return Err(Error::checkpoint(path, msg));
    }
    Ok(())
}

/// Little-endian bytes → elements.
fn decode(dtype: Dtype, shape: &[usize], bytes: &[u8]) -> HostTensor {
    let data = if dtype == Dtype::F64 {
        TensorData::F64(
            bytes
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap_or_default()))
                .collect(),
        )
    } else if dtype == Dtype::I64 {
        TensorData::I64(
            bytes
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().unwrap_or_default()))
                .collect(),
        )
    } else {
        TensorData::F32(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap_or_default()))
                .collect(),
        )
    };
    HostTensor {
        shape: shape.to_vec(),
        data,
    }
}

/// Parses and validates a whole checkpoint file's bytes: the metadata map (format checked)
/// and the tensors in file order.
pub(super) fn parse(bytes: &[u8], path: &Path) -> Result<(HashMap<String, String>, NamedTensors)> {
    let (text, _) = split_header(bytes, path)?;
    let (metadata, _) = parse_header(text, path)?;
    meta::check_format(&required(metadata, path)?, path)?;
    let (metadata, tensors) = parse_any(bytes, path)?;
    Ok((required(metadata, path)?, tensors))
}

/// [`parse`] for any safetensors file of F32/F64 tensors, ours or not (a PyTorch
/// `state_dict` saved with `safetensors.torch.save_file`): the metadata map may be empty.
pub(super) fn parse_any(
    bytes: &[u8],
    path: &Path,
) -> Result<(Option<HashMap<String, String>>, NamedTensors)> {
    let (text, data) = split_header(bytes, path)?;
    let (metadata, mut entries) = parse_header(text, path)?;
    let mut dtypes = HashMap::with_capacity(entries.len());
    for (name, e) in &entries {
        dtypes.insert(name.clone(), check_entry(name, e, data.len(), path)?);
    }
    entries.sort_by_key(|(_, e)| e.data_offsets);
    check_tiling(&entries, data.len(), path)?;
    // Everything the crate validates has been validated; it still parses for the data views.
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| Error::checkpoint(path, format!("not a valid safetensors file: {e}")))?;
    let mut tensors = Vec::with_capacity(entries.len());
    for (name, _) in &entries {
        let view = st
            .tensor(name)
            .map_err(|e| Error::checkpoint(path, format!("tensor '{name}': {e}")))?;
        tensors.push((
            name.clone(),
            decode(dtypes[name], view.shape(), view.data()),
        ));
    }
    Ok((metadata, tensors))
}
