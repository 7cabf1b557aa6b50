//! Checkpoint round trips (f32 and f64, all metadata), atomic writes, and the selection and
//! architecture checks on the loaded tensors.

mod checkpoint_fixture;

use checkpoint_fixture::{checkpoint, meta, spec};
use common::checkpoint::{Checkpoint, FORMAT_NAME, FORMAT_VERSION};
use common::spec::{Head, LayerSpec};
use common::tensor::{find, HostTensor};
use common::Error;
use std::path::Path;

/// Saves `ck` into a fresh folder and loads it back.
fn round_trip(ck: &Checkpoint) -> Checkpoint {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("runs/a/best.safetensors");
    ck.save(&path).expect("save");
    Checkpoint::load(&path).expect("load")
}

fn by_name(mut t: Vec<(String, HostTensor)>) -> Vec<(String, HostTensor)> {
    t.sort_by(|a, b| a.0.cmp(&b.0));
    t
}

#[test]
fn round_trip_f64_and_f32_keeps_tensors_and_metadata() {
    for f64_data in [true, false] {
        let ck = checkpoint(f64_data);
        let back = round_trip(&ck);
        assert_eq!(back.meta, ck.meta, "metadata (f64_data={f64_data})");
        assert_eq!(
            by_name(back.tensors),
            by_name(ck.tensors),
            "tensors (f64_data={f64_data})"
        );
    }
}

#[test]
fn metadata_is_readable_as_plain_strings() {
    // What Python's safetensors.safe_open(...).metadata() would see.
    let bytes = checkpoint(false).to_bytes(Path::new("x")).expect("bytes");
    let st = safetensors::SafeTensors::read_metadata(&bytes)
        .expect("plain safetensors")
        .1;
    let md = st.metadata().clone().expect("metadata present");
    assert_eq!(md["format"], FORMAT_NAME);
    assert_eq!(md["format_version"], FORMAT_VERSION.to_string());
    assert_eq!(md["backend"], "scratch");
    assert_eq!(md["kind"], "best");
    assert_eq!(md["monitor"], "val_loss");
    assert_eq!(md["class_names"], r#"["outside","inside"]"#);
    let config: common::config::Config = toml::from_str(&md["config"]).expect("config is TOML");
    assert_eq!(config, meta().config);
    let spec_json: serde_json::Value = serde_json::from_str(&md["spec"]).expect("spec is JSON");
    assert!(spec_json.is_object());
    assert_eq!(
        md["monitor_value"].parse::<f64>().expect("number"),
        meta().monitor_value
    );
}

#[test]
fn nan_monitor_value_survives() {
    let mut ck = checkpoint(true);
    ck.meta.monitor_value = f64::NAN;
    assert!(round_trip(&ck).meta.monitor_value.is_nan());
}

#[test]
fn save_is_atomic_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("last.safetensors");
    let mut ck = checkpoint(false);
    ck.save(&path).expect("first save");
    ck.meta.train_state.epoch = 8;
    ck.save(&path).expect("save over the old file");
    assert_eq!(
        Checkpoint::load(&path)
            .expect("load")
            .meta
            .train_state
            .epoch,
        8
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into())
        .collect();
    assert_eq!(names, vec!["last.safetensors".to_string()]);
}

#[test]
fn inconsistent_tensor_is_refused_at_save_and_the_old_file_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("best.safetensors");
    checkpoint(false).save(&path).expect("good save");
    let before = std::fs::read(&path).expect("read");
    let mut bad = checkpoint(false);
    bad.tensors[0].1.shape = vec![4, 4];
    let err = bad.save(&path).expect_err("shape/data mismatch");
    assert!(err.to_string().contains("net.0.weight"), "{err}");
    let mut dup = checkpoint(false);
    dup.tensors.push(dup.tensors[0].clone());
    assert!(dup
        .save(&path)
        .expect_err("duplicate name")
        .to_string()
        .contains("repeated"));
    assert_eq!(
        std::fs::read(&path).expect("read"),
        before,
        "old checkpoint untouched"
    );
}

#[test]
fn model_tensors_in_spec_order_and_optim_tensors_apart() {
    let back = round_trip(&checkpoint(false));
    let model: Vec<String> = back.model_tensors().into_iter().map(|(n, _)| n).collect();
    let expected: Vec<String> = spec().params().into_iter().map(|p| p.name).collect();
    assert_eq!(model, expected);
    let optim = back.optim_tensors();
    assert_eq!(optim.len(), 8);
    assert!(optim.iter().all(|(n, _)| n.starts_with("optim.net.")));
    let w = find(&back.tensors, "net.0.weight").expect("weight");
    assert_eq!(find(&back.model_tensors(), "net.0.weight"), Some(w));
}

#[test]
fn check_against_spec_accepts_its_own_architecture() {
    round_trip(&checkpoint(true))
        .check_against_spec(Path::new("best.safetensors"))
        .expect("fits");
}

fn spec_error(ck: &Checkpoint) -> String {
    let err = ck
        .check_against_spec(Path::new("runs/x/best.safetensors"))
        .expect_err("must not fit");
    assert!(matches!(err, Error::Checkpoint { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("runs/x/best.safetensors") && msg.contains("built for another architecture"),
        "{msg}"
    );
    msg
}

#[test]
fn check_against_spec_names_the_tensor_and_both_shapes() {
    let mut wider = checkpoint(false);
    wider.meta.spec.layers[0] = LayerSpec::Linear {
        inputs: 2,
        outputs: 5,
    };
    let msg = spec_error(&wider);
    assert!(
        msg.contains("net.0.weight") && msg.contains("[3, 2]") && msg.contains("[5, 2]"),
        "{msg}"
    );

    let mut missing = checkpoint(false);
    missing.tensors.retain(|(n, _)| n != "net.2.bias");
    assert!(spec_error(&missing).contains("net.2.bias"));

    let mut extra = checkpoint(false);
    extra.tensors.push((
        "net.4.weight".into(),
        HostTensor::f32(vec![1, 1], vec![0.5]),
    ));
    assert!(spec_error(&extra).contains("net.4.weight"));

    let mut softmax = checkpoint(false);
    softmax.meta.spec.layers[2] = LayerSpec::Linear {
        inputs: 3,
        outputs: 2,
    };
    softmax.meta.spec.head = Head::Softmax { classes: 2 };
    assert!(spec_error(&softmax).contains("net.2.weight"));
}

#[test]
fn the_same_checkpoint_is_the_same_bytes_every_time() {
    // Each serialization builds its own metadata map, iterated in its own random order; the
    // header is written sorted, so the bytes do not depend on it.
    let ck = common::checkpoint::Checkpoint {
        tensors: checkpoint_fixture::tensors(false),
        meta: checkpoint_fixture::meta(),
    };
    let first = ck.to_bytes(std::path::Path::new("a")).unwrap();
    for _ in 0..8 {
        assert!(ck.to_bytes(std::path::Path::new("a")).unwrap() == first);
    }
    let back =
        common::checkpoint::Checkpoint::from_bytes(&first, std::path::Path::new("a")).unwrap();
    assert_eq!(back.meta, ck.meta);
}
