//! Initial weights, produced once in `common` (in f64) so that both backends can start from
//! exactly the same numbers. The chapter's `Linear.__init__` (Route 1 §4) draws `N(0, 0.1)`
//! weights and zero biases; PyTorch's default (Route 2 §5) is `U(-1/√fan_in, 1/√fan_in)` for
//! both (kaiming_uniform with a=√5). A BatchNorm starts at γ = 1, β = 0, running mean 0,
//! running variance 1 and no batches tracked, as PyTorch's; a ResNet's bias-free convolutions
//! get torchvision's `kaiming_normal_(mode="fan_out", nonlinearity="relu")` under the PyTorch
//! scheme, as `torchvision.models.ResNet.__init__` does.

mod pretrained;
pub use pretrained::{from_pretrained, Pretrained};

use rand::distributions::{Distribution, Uniform};
use rand_distr::Normal;

use crate::config::{Config, InitScheme};
use crate::seed::{Rng, Seeds, Stream};
use crate::spec::{ModelSpec, ParamRole};
use crate::tensor::{HostTensor, NamedTensors};

/// Standard deviation of the chapter's `rng.normal(0, 0.1, ...)` weights.
pub const CHAPTER_STD: f64 = 0.1;

/// The initial weights of a run of `cfg`: [`init_params`] of `cfg.model.init`, drawn from the
/// `Stream::Init` stream of `cfg.seed`, so that every backend of the run starts from them.
pub fn initial_params(spec: &ModelSpec, cfg: &Config) -> NamedTensors {
    init_params(
        spec,
        cfg.model.init,
        &mut Seeds::new(cfg.seed).rng(Stream::Init),
    )
}

/// Draws every parameter of `spec` (in [`ModelSpec::params`] order) from `rng`, then appends
/// the buffers' initial values ([`ModelSpec::buffers`] order).
///
/// Each tensor is filled in row-major order; the chapter's biases are zeros and draw nothing,
/// so changing the bias scheme never shifts the weights drawn after it; BatchNorm tensors draw
/// nothing either.
///
/// # Shapes
/// Each tensor has the shape of its [`crate::spec::ParamInfo`]; data is F64 (a batch count
/// I64).
pub fn init_params(spec: &ModelSpec, scheme: InitScheme, rng: &mut Rng) -> NamedTensors {
    let torchvision = !spec.names.is_empty();
    let mut out: NamedTensors = spec
        .params()
        .into_iter()
        .map(|p| {
            let len: usize = p.shape.iter().product();
            let data: Vec<f64> = match (p.role, scheme) {
                (ParamRole::NormWeight, _) => vec![1.0; len],
                (ParamRole::NormBias, _) => vec![0.0; len],
                // `nn.Embedding(rows, dim, padding_idx=0)`: N(0, 1), the reserved row zeros.
                (ParamRole::Embedding, _) => {
                    let dim = p.shape.get(1).copied().unwrap_or(0);
                    let normal = Normal::new(0.0, 1.0).expect("1 is a valid standard deviation");
                    let mut v = vec![0.0; dim.min(len)];
                    v.extend(normal.sample_iter(&mut *rng).take(len - v.len()));
                    v
                }
                (ParamRole::Weight, InitScheme::Pytorch) if torchvision && p.shape.len() == 4 => {
                    let std = (2.0 / p.fan_out.max(1) as f64).sqrt();
                    let normal = Normal::new(0.0, std).expect("a positive standard deviation");
                    normal.sample_iter(&mut *rng).take(len).collect()
                }
                (_, InitScheme::Chapter) if p.is_weight => {
                    let normal =
                        Normal::new(0.0, CHAPTER_STD).expect("0.1 is a valid standard deviation");
                    normal.sample_iter(&mut *rng).take(len).collect()
                }
                (_, InitScheme::Chapter) => vec![0.0; len],
                (_, InitScheme::Pytorch) => {
                    // fan_in ≥ 1 for every layer a valid spec can hold.
                    let bound = 1.0 / (p.fan_in.max(1) as f64).sqrt();
                    Uniform::new(-bound, bound)
                        .sample_iter(&mut *rng)
                        .take(len)
                        .collect()
                }
            };
            (p.name, HostTensor::f64(p.shape, data))
        })
        .collect();
    out.extend(initial_buffers(spec));
    out
}

/// The buffers of a fresh model: running means 0, running variances 1, no batches tracked.
pub fn initial_buffers(spec: &ModelSpec) -> NamedTensors {
    spec.buffers()
        .into_iter()
        .map(|b| {
            let len: usize = b.shape.iter().product();
            let t = if b.count {
                HostTensor::i64(b.shape, vec![0; len])
            } else if b.name.ends_with("running_var") {
                HostTensor::f64(b.shape, vec![1.0; len])
            } else {
                HostTensor::f64(b.shape, vec![0.0; len])
            };
            (b.name, t)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, ModelKind};
    use crate::seed::{Seeds, Stream};
    use crate::tensor::TensorData;

    fn values(t: &HostTensor) -> &[f64] {
        match &t.data {
            TensorData::F64(v) => v,
            _ => panic!("init must produce f64"),
        }
    }

    fn mean_std(v: &[f64]) -> (f64, f64) {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (
            m,
            (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64).sqrt(),
        )
    }

    #[test]
    fn chapter_scheme_normal_weights_zero_biases() {
        let mut c = Config::default();
        c.model.hidden = vec![200];
        let spec = ModelSpec::from_config(&c, 50, None, 2).unwrap();
        let t = init_params(
            &spec,
            InitScheme::Chapter,
            &mut Seeds::new(1).rng(Stream::Init),
        );
        assert_eq!(t.len(), spec.params().len());
        assert_eq!(t[0].0, "net.0.weight");
        assert_eq!(t[0].1.shape, vec![200, 50]);
        let (m, s) = mean_std(values(&t[0].1));
        assert!(
            m.abs() < 0.01 && (s - 0.1).abs() < 0.005,
            "mean {m} std {s}"
        );
        assert!(values(&t[1].1).iter().all(|&b| b == 0.0));
    }

    #[test]
    fn pytorch_scheme_bounds_by_fan_in() {
        let mut c = Config::default();
        c.model.kind = ModelKind::Cnn;
        c.model.channels = vec![8];
        c.model.hidden = vec![16];
        let spec = ModelSpec::from_config(&c, 64, Some([1, 8, 8]), 10).unwrap();
        let t = init_params(
            &spec,
            InitScheme::Pytorch,
            &mut Seeds::new(2).rng(Stream::Init),
        );
        for (info, (name, tensor)) in spec.params().iter().zip(&t) {
            assert_eq!(&info.name, name);
            assert_eq!(info.shape, tensor.shape);
            let b = 1.0 / (info.fan_in as f64).sqrt();
            let v = values(tensor);
            assert!(v.iter().all(|x| x.abs() < b), "{name} exceeds ±{b}");
            let spread = v.iter().fold(0.0f64, |a, x| a.max(x.abs()));
            assert!(spread > 0.5 * b, "{name} does not fill its range");
        }
    }

    #[test]
    fn same_rng_same_weights() {
        let spec = ModelSpec::from_config(&Config::default(), 2, None, 2).unwrap();
        let a = init_params(
            &spec,
            InitScheme::Pytorch,
            &mut Seeds::new(9).rng(Stream::Init),
        );
        let b = init_params(
            &spec,
            InitScheme::Pytorch,
            &mut Seeds::new(9).rng(Stream::Init),
        );
        let c = init_params(
            &spec,
            InitScheme::Pytorch,
            &mut Seeds::new(10).rng(Stream::Init),
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
