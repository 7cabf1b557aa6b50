//! Fuzzing the checkpoint loader beyond `checkpoint_prop.rs`: arbitrary bytes, truncations and
//! byte mutations anywhere, and structured edits of a valid file's JSON header (dtypes,
//! shapes, offsets, tensor names, every metadata key replaced by random text, by mutated JSON
//! or by a hostile model spec with huge or inconsistent layers). Every case must give a
//! checkpoint or an error, never a panic; an accepted checkpoint must also survive the checks
//! the CLIs run on it (spec check, model and optimizer tensors, re-serialization).
//!
//! Cases per property: `TWIN_NETS_FUZZ_CASES` (default 2,000). The 100,000-case run:
//! `TWIN_NETS_FUZZ_CASES=100000 cargo test --release -p common --test robust_fuzz_checkpoint`.

mod checkpoint_fixture;

use checkpoint_fixture::{put_together, take_apart, valid_bytes};
use common::checkpoint::Checkpoint;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::path::Path;

fn cases() -> u32 {
    std::env::var("TWIN_NETS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

/// Loads `bytes` and, when accepted, runs what `eval`/`predict`/`--resume` run on it.
fn load_and_use(bytes: &[u8]) -> Result<(), TestCaseError> {
    let path = Path::new("fuzzed.safetensors");
    let Ok(ck) = Checkpoint::from_bytes(bytes, path) else {
        return Ok(());
    };
    prop_assert!(ck.meta.spec.validate().is_ok(), "accepted an invalid spec");
    if ck.check_against_spec(path).is_ok() {
        let params = ck.meta.spec.params();
        prop_assert_eq!(ck.model_tensors().len(), params.len());
    }
    let _ = ck.optim_tensors();
    let again = ck
        .to_bytes(path)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(
        Checkpoint::from_bytes(&again, path).is_ok(),
        "re-serialized checkpoint refused"
    );
    Ok(())
}

/// A JSON value of any shape, biased to numbers and strings near what the header holds.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0u64..64).prop_map(Value::from),
        any::<f64>().prop_map(|v| json!(v)),
        "[ -~]{0,10}".prop_map(Value::from),
        prop::sample::select(vec![
            "F32",
            "F64",
            "F16",
            "BF16",
            "I64",
            "U8",
            "BOOL",
            "twin-nets",
            "9",
            "1"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A hostile model spec: random layers with sizes from tiny to `usize::MAX`.
fn hostile_spec() -> impl Strategy<Value = String> {
    let size = prop_oneof![
        0usize..5,
        Just(usize::MAX),
        Just(usize::MAX / 2),
        Just(1 << 40),
        1usize..100_000
    ];
    let layer = prop_oneof![
        (size.clone(), size.clone()).prop_map(|(i, o)| json!({"type": "linear", "inputs": i, "outputs": o})),
        Just(json!({"type": "act", "act": "relu"})),
        any::<f64>().prop_map(|p| json!({"type": "dropout", "p": p})),
        (size.clone(), size.clone(), size.clone(), size.clone())
            .prop_map(|(a, b, k, p)| json!({"type": "conv2d", "in_ch": a, "out_ch": b, "kernel": k, "padding": p})),
        size.clone().prop_map(|k| json!({"type": "max_pool2d", "k": k})),
        Just(json!({"type": "flatten"})),
    ];
    let head = prop_oneof![
        Just(json!("bce")),
        size.clone()
            .prop_map(|c| json!({"softmax": {"classes": c}}))
    ];
    (
        prop::collection::vec(size, 1..4),
        prop::collection::vec(layer, 0..6),
        head,
    )
        .prop_map(|(input_shape, layers, head)| {
            json!({"input_shape": input_shape, "layers": layers, "head": head}).to_string()
        })
}

/// One structured edit of the header object.
#[derive(Debug, Clone)]
enum Edit {
    /// Replace a field of a tensor entry (or add one) with a value.
    Tensor(prop::sample::Index, String, Value),
    /// Replace a metadata key with text.
    Meta(prop::sample::Index, String),
    /// Mutate a byte of a metadata value (its JSON or TOML text).
    MetaByte(prop::sample::Index, prop::sample::Index, u8),
    /// Rename a tensor.
    Rename(prop::sample::Index, String),
    /// Replace the model spec.
    Spec(String),
}

fn edit() -> impl Strategy<Value = Edit> {
    let field = prop::sample::select(vec!["dtype", "shape", "data_offsets", "extra"])
        .prop_map(String::from);
    let name = prop_oneof![
        3 => "(net|optim)\\.[0-9]\\.(weight|bias)",
        1 => Just("__metadata__".to_string()),
        1 => Just(String::new()),
    ];
    let meta_text = prop_oneof![
        hostile_spec(),
        json_value().prop_map(|v| v.to_string()),
        "[ -~]{0,12}"
    ];
    prop_oneof![
        (any::<prop::sample::Index>(), field, json_value())
            .prop_map(|(i, f, v)| Edit::Tensor(i, f, v)),
        (any::<prop::sample::Index>(), meta_text).prop_map(|(i, t)| Edit::Meta(i, t)),
        (
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            b' '..=b'~'
        )
            .prop_map(|(k, i, b)| Edit::MetaByte(k, i, b)),
        (any::<prop::sample::Index>(), name).prop_map(|(i, n)| Edit::Rename(i, n)),
        hostile_spec().prop_map(Edit::Spec),
    ]
}

fn apply(header: &mut Map<String, Value>, e: &Edit) {
    let tensors: Vec<String> = header
        .keys()
        .filter(|k| *k != "__metadata__")
        .cloned()
        .collect();
    let meta_keys: Vec<String> = header["__metadata__"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    match e {
        Edit::Tensor(i, field, v) => {
            if let Some(Value::Object(t)) = header.get_mut(&tensors[i.index(tensors.len())]) {
                t.insert(field.clone(), v.clone());
            }
        }
        Edit::Meta(i, text) => {
            let key = meta_keys[i.index(meta_keys.len())].clone();
            header["__metadata__"][&key] = Value::from(text.clone());
        }
        Edit::MetaByte(k, i, b) => {
            let key = meta_keys[k.index(meta_keys.len())].clone();
            let mut bytes = header["__metadata__"][&key]
                .as_str()
                .unwrap_or("")
                .as_bytes()
                .to_vec();
            if !bytes.is_empty() {
                let at = i.index(bytes.len());
                bytes[at] = *b;
            }
            header["__metadata__"][&key] =
                Value::from(String::from_utf8_lossy(&bytes).into_owned());
        }
        Edit::Spec(text) => header["__metadata__"]["spec"] = Value::from(text.clone()),
        Edit::Rename(i, name) => {
            let old = &tensors[i.index(tensors.len())];
            if let Some(v) = header.remove(old) {
                header.insert(name.clone(), v);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600), json_start in any::<bool>()) {
        let mut bytes = bytes;
        if json_start && bytes.len() > 9 {
            // A plausible length prefix and a '{', so the parser gets past the first check.
            let n = (bytes.len() - 8) as u64;
            bytes[..8].copy_from_slice(&n.to_le_bytes());
            bytes[8] = b'{';
        }
        load_and_use(&bytes)?;
    }

    #[test]
    fn truncated_and_mutated(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let mut bytes = valid_bytes();
        for (at, v) in &edits {
            let i = at.index(bytes.len());
            bytes[i] = *v;
        }
        if let Some(c) = cut {
            bytes.truncate(c.index(bytes.len()));
        }
        load_and_use(&bytes)?;
    }

    #[test]
    fn structured_header_edits(edits in prop::collection::vec(edit(), 1..4)) {
        let (mut header, data) = take_apart(&valid_bytes());
        for e in &edits {
            apply(&mut header, e);
        }
        load_and_use(&put_together(&header, &data))?;
    }
}

#[test]
fn the_fixture_passes_every_check() {
    // Guards the properties above: they start from a checkpoint that loads and is usable.
    let bytes = valid_bytes();
    let ck = Checkpoint::from_bytes(&bytes, Path::new("fixture")).expect("valid fixture");
    ck.check_against_spec(Path::new("fixture"))
        .expect("matches its spec");
    assert!(load_and_use(&bytes).is_ok());
}
