//! Property tests: no mutation or truncation of a valid checkpoint's bytes makes loading
//! panic (each gives a checkpoint or an error), and random tensors and metadata (fitted
//! preprocessing, loop state, config, monitored value) with arbitrary floats round-trip bit
//! for bit.

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
            TensorData::I64(v) => v.iter().map(|&x| x as u64).collect(),
        };
        for (name, t) in &ck.tensors {
            let got = common::tensor::find(&back.tensors, name).ok_or_else(|| TestCaseError::fail(name.clone()))?;
            prop_assert_eq!(&got.shape, &t.shape);
            prop_assert_eq!(bits(got), bits(t));
        }
    }

    #[test]
    fn metadata_with_arbitrary_floats_round_trips_bit_for_bit(
        fitted in prop::collection::vec((finite(), finite(), finite()), 1..6),
        lr in finite(),
        best in prop::option::of(finite()),
        monitor_value in any::<f64>(),
        optim_lr in 1e-300f64..1e300,
    ) {
        let mut m = meta();
        m.preprocessing.columns = fitted
            .iter()
            .enumerate()
            .map(|(i, &(fill, mean, std))| common::preprocess::InputColumn::Numeric {
                name: format!("x{i}"),
                fill,
                mean,
                std,
                // Every other column encoded piecewise-linearly: its edges (increasing, as
                // the loader requires) round-trip too.
                bins: {
                    let mut e = vec![fill, mean, std];
                    e.sort_by(f64::total_cmp);
                    let increasing = e.windows(2).all(|p| p[0] < p[1]);
                    if i % 2 == 1 && increasing { e } else { Vec::new() }
                },
            })
            .collect();
        m.train_state.lr = lr;
        m.train_state.best_value = best;
        m.train_state.plateau_best = best.map(|b| -b);
        m.monitor_value = monitor_value;
        m.config.optim.lr = optim_lr;
        let ck = Checkpoint { tensors: checkpoint_fixture::tensors(false), meta: m.clone() };
        let back = parse(&ck.to_bytes(Path::new("p")).map_err(|e| TestCaseError::fail(e.to_string()))?)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(common::fit::exact_difference(&back.meta.preprocessing, &m.preprocessing), None);
        prop_assert_eq!(common::fit::exact_difference(&back.meta.train_state, &m.train_state), None);
        prop_assert_eq!(back.meta.monitor_value.to_bits(), monitor_value.to_bits());
        prop_assert_eq!(back.meta.config.optim.lr.to_bits(), optim_lr.to_bits());
        prop_assert_eq!(back.meta.config.to_toml(), m.config.to_toml());
    }
}

/// Any finite f64, of any magnitude and sign (subnormals included): what JSON can carry.
fn finite() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("finite", |v| v.is_finite())
}
