//! What each backend can build, and the check that refuses a config one of them cannot honour
//! before anything trains, naming the config key that asks for it.
//!
//! Today both backends implement every layer, activation, head and optimizer a config can ask
//! for (that is the point of the project), so the check passes for every valid config; it is
//! what keeps `compare` honest when one backend gains a feature before the other: the table
//! below is where that feature is listed for one backend only, and a config using it is then
//! an error such as `config key 'model.activation': the torch backend has no gelu activation`
//! instead of a comparison of two different models, or a failure after the first backend
//! has already trained for an hour.

use common::config::{Activation, Config, OptimName};
use common::spec::{Head, LayerSpec, ModelSpec};
use common::{Error, Result};

/// A kind of layer of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    /// `Linear`.
    Linear,
    /// An activation (which one is in [`Caps::activations`]).
    Act,
    /// `Dropout`.
    Dropout,
    /// `Conv2d`.
    Conv2d,
    /// `MaxPool2d`.
    MaxPool2d,
    /// `Flatten`.
    Flatten,
    /// `BatchNorm1d` / `BatchNorm2d`.
    BatchNorm,
    /// Global average pooling.
    GlobalAvgPool,
    /// Embedding tables.
    Embed,
    /// A container (`nn.Sequential`, a residual block).
    Block,
}

impl LayerKind {
    /// The kind of a spec layer and the config key that puts it in the model.
    pub fn of(layer: &LayerSpec) -> (Self, &'static str) {
        match layer {
            LayerSpec::Linear { .. } => (LayerKind::Linear, "model.hidden"),
            LayerSpec::Act { .. } => (LayerKind::Act, "model.activation"),
            LayerSpec::Dropout { .. } => (LayerKind::Dropout, "model.dropout"),
            LayerSpec::Conv2d { .. } => (LayerKind::Conv2d, "model.channels"),
            LayerSpec::MaxPool2d { .. } => (LayerKind::MaxPool2d, "model.kind"),
            LayerSpec::Flatten => (LayerKind::Flatten, "model.kind"),
            LayerSpec::BatchNorm { .. } => (LayerKind::BatchNorm, "model.batch_norm"),
            LayerSpec::GlobalAvgPool => (LayerKind::GlobalAvgPool, "model.kind"),
            LayerSpec::Embed { .. } => (LayerKind::Embed, "model.embeddings"),
            LayerSpec::Sequential { .. } | LayerSpec::Residual { .. } => {
                (LayerKind::Block, "model.kind")
            }
        }
    }
}

/// The features one backend implements.
#[derive(Debug, Clone, PartialEq)]
pub struct Caps {
    /// `scratch` or `torch`.
    pub backend: &'static str,
    /// Layer kinds.
    pub layers: Vec<LayerKind>,
    /// Hidden activations.
    pub activations: Vec<Activation>,
    /// Whether the BCE head (one logit) is implemented; softmax always is.
    pub bce_head: bool,
    /// Optimizers.
    pub optimizers: Vec<OptimName>,
}

const ALL_LAYERS: [LayerKind; 10] = [
    LayerKind::Linear,
    LayerKind::Act,
    LayerKind::Dropout,
    LayerKind::Conv2d,
    LayerKind::MaxPool2d,
    LayerKind::Flatten,
    LayerKind::BatchNorm,
    LayerKind::GlobalAvgPool,
    LayerKind::Embed,
    LayerKind::Block,
];
const ALL_ACTIVATIONS: [Activation; 3] = [Activation::Relu, Activation::Tanh, Activation::Sigmoid];

impl Caps {
    /// `scratch::layers`, `scratch::loss` and `scratch::optim`.
    pub fn scratch() -> Self {
        Caps {
            backend: "scratch",
            layers: ALL_LAYERS.to_vec(),
            activations: ALL_ACTIVATIONS.to_vec(),
            bce_head: true,
            optimizers: vec![OptimName::Sgd, OptimName::Adam],
        }
    }
    /// `torch::model` and `torch::optim`.
    pub fn torch() -> Self {
        Caps {
            backend: "torch",
            ..Caps::scratch()
        }
    }

    /// Checks that this backend can build `spec` and run `cfg`'s optimizer; the error names
    /// the config key that asks for what is missing.
    pub fn check(&self, cfg: &Config, spec: &ModelSpec) -> Result<()> {
        let name = self.backend;
        let refuse = |key: &str, what: String| {
            let msg = format!("the {name} backend has no {what}, so the two backends cannot be compared on this config");
            Err(Error::config(key, msg))
        };
        for (i, layer) in spec.layers.iter().enumerate() {
            let (kind, key) = LayerKind::of(layer);
            if !self.layers.contains(&kind) {
                return refuse(key, format!("{kind:?} layer ({})", spec.layer_name(i)));
            }
            if let LayerSpec::Act { act } = layer {
                if !self.activations.contains(act) {
                    return refuse(key, format!("{act:?} activation").to_lowercase());
                }
            }
        }
        if spec.head == Head::Bce && !self.bce_head {
            return refuse("model.head", "bce head".into());
        }
        if !self.optimizers.contains(&cfg.optim.name) {
            return refuse(
                "optim.name",
                format!("{:?} optimizer", cfg.optim.name).to_lowercase(),
            );
        }
        Ok(())
    }
}

/// Checks `spec` and `cfg` against both backends (scratch first).
pub fn check_both(cfg: &Config, spec: &ModelSpec) -> Result<()> {
    Caps::scratch().check(cfg, spec)?;
    Caps::torch().check(cfg, spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_of(cfg: &Config) -> ModelSpec {
        ModelSpec::from_config(cfg, 2, None, 3).unwrap()
    }

    #[test]
    fn every_valid_model_is_buildable_by_both_today() {
        let mut cfg = Config::default();
        cfg.model.activation = Activation::Tanh;
        cfg.model.dropout = 0.2;
        cfg.optim.name = OptimName::Adam;
        check_both(&cfg, &spec_of(&cfg)).unwrap();
    }

    #[test]
    fn a_missing_feature_names_the_key_and_the_backend() {
        let mut cfg = Config::default();
        cfg.model.activation = Activation::Sigmoid;
        let spec = spec_of(&cfg);
        let mut torch = Caps::torch();
        torch.activations.retain(|&a| a != Activation::Sigmoid);
        let err = torch.check(&cfg, &spec).unwrap_err().to_string();
        assert!(
            err.contains("'model.activation'") && err.contains("torch backend has no sigmoid"),
            "{err}"
        );
        cfg.model.dropout = 0.5;
        let mut scratch = Caps::scratch();
        scratch.layers.retain(|&l| l != LayerKind::Dropout);
        let err = scratch.check(&cfg, &spec_of(&cfg)).unwrap_err().to_string();
        assert!(
            err.contains("'model.dropout'") && err.contains("net.2"),
            "{err}"
        );
        let mut no_adam = Caps::torch();
        no_adam.optimizers = vec![OptimName::Sgd];
        cfg.optim.name = OptimName::Adam;
        let err = no_adam.check(&cfg, &spec_of(&cfg)).unwrap_err().to_string();
        assert!(
            err.contains("'optim.name'") && err.contains("adam"),
            "{err}"
        );
    }
}
