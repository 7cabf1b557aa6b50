//! Property tests: no mutation or truncation of a valid checkpoint's bytes makes loading
//! panic (each gives a checkpoint or an error), and random tensors round-trip bit for bit.

mod checkpoint_fixture;

use checkpoint_fixture::{meta, valid_bytes};
use common::checkpoint::Checkpoint;
use common::tensor::{HostTensor, TensorData};
use proptest::prelude::*;
use std::path::Path;

fn parse(bytes: &[u8]) -> Result<Checkpoint, common::Error> {
    Checkpoint::from_bytes(bytes, Path::new("fuzzed.safetensors"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn truncation_never_panics(cut in 0usize..4096) {
        let bytes = valid_bytes();
        let cut = cut % bytes.len();
        // Any strict prefix is missing data, so it must be an error, not a checkpoint.
        prop_assert!(parse(&bytes[..cut]).is_err());
    }

    #[test]
    fn byte_mutations_never_panic(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = valid_bytes();
        for (at, value) in &edits {
            let i = at.index(bytes.len());
            bytes[i] = *value;
        }
        // Either outcome is acceptable; a panic fails the test.
        let _ = parse(&bytes);
    }

    #[test]
    fn header_mutations_never_panic(edits in prop::collection::vec((0usize..4096, any::<u8>()), 1..4)) {
        // Concentrate on the first bytes: length prefix, JSON structure and tensor entries.
        let mut bytes = valid_bytes();
        for &(at, value) in &edits {
            let i = at % bytes.len().min(512);
            bytes[i] = value;
        }
        let _ = parse(&bytes);
    }

    #[test]
    fn random_tensors_round_trip(
        f32s in prop::collection::vec(any::<f32>(), 0..24),
        f64s in prop::collection::vec(any::<f64>(), 1..24),
    ) {
        let tensors = vec![
            ("net.0.weight".to_string(), HostTensor::f32(vec![f32s.len()], f32s.clone())),
            ("optim.x".to_string(), HostTensor::f64(vec![1, f64s.len()], f64s.clone())),
        ];
        let ck = Checkpoint { tensors, meta: meta() };
        let back = parse(&ck.to_bytes(Path::new("p")).map_err(|e| TestCaseError::fail(e.to_string()))?)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bits = |t: &HostTensor| match &t.data {
            TensorData::F32(v) => v.iter().map(|x| u64::from(x.to_bits())).collect::<Vec<_>>(),
            TensorData::F64(v) => v.iter().map(|x| x.to_bits()).collect(),
        };
        for (name, t) in &ck.tensors {
            let got = common::tensor::find(&back.tensors, name).ok_or_else(|| TestCaseError::fail(name.clone()))?;
            prop_assert_eq!(&got.shape, &t.shape);
            prop_assert_eq!(bits(got), bits(t));
        }
    }
}
