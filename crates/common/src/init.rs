//! Initial weights, produced once in `common` (in f64) so that both backends can start from
//! exactly the same numbers. The chapter's `Linear.__init__` draws `N(0, 0.1)` weights and zero
//! biases; PyTorch's default is `U(-1/√fan_in, 1/√fan_in)` for both (kaiming_uniform with a=√5).

use crate::config::InitScheme;
use crate::seed::Rng;
use crate::spec::ModelSpec;
use crate::tensor::NamedTensors;

/// Draws every parameter of `spec` (in [`ModelSpec::params`] order) from `rng`.
///
/// # Shapes
/// Each tensor has the shape of its [`crate::spec::ParamInfo`]; data is F64.
pub fn init_params(spec: &ModelSpec, scheme: InitScheme, rng: &mut Rng) -> NamedTensors {
    let _ = (spec, scheme, rng);
    todo!()
}
