//! The chapter's Route 2 `main.py`: data → model spec → initial weights → backend → the
//! shared epoch loop (`common::fit`), for any config.

use common::config::Config;
use common::data::augment::Augmenter;
use common::data::{prepare, Prepared};
use common::fit::{fit, FitOptions, FitOutcome, Run};
use common::init::init_params;
use common::seed::{Seeds, Stream};
use common::spec::ModelSpec;
use common::Result;

use crate::backend::{TorchBackend, TorchOptions};

/// A torch backend for `cfg` on prepared `data`, from the shared initial weights
/// (`common::init`, `Stream::Init` of `cfg.seed`) so that it starts exactly where the scratch
/// backend starts, with image augmentation when `cfg.data.augment` asks for it.
pub fn build_backend(
    cfg: &Config,
    data: &Prepared,
    spec: &ModelSpec,
    opts: &TorchOptions,
) -> Result<TorchBackend> {
    let init = init_params(
        spec,
        cfg.model.init,
        &mut Seeds::new(cfg.seed).rng(Stream::Init),
    );
    let backend = TorchBackend::new(spec, &init, cfg, &data.train, opts)?;
    Ok(backend.with_augmenter(Augmenter::new(&data.pre, &cfg.data.augment), &data.train))
}

/// Prepares the data of `cfg`, builds the backend and trains it with `common::fit`.
/// Returns the loop's outcome and the trained backend.
pub fn train_config(
    cfg: &Config,
    fit_opts: &FitOptions,
    opts: &TorchOptions,
) -> Result<(FitOutcome, TorchBackend)> {
    let data = prepare(cfg)?;
    let spec = ModelSpec::from_config(cfg, data.n_features(), data.image_shape, data.n_classes())?;
    let mut backend = build_backend(cfg, &data, &spec, opts)?;
    let outcome = fit(
        &mut backend,
        &Run {
            cfg,
            spec: &spec,
            data: &data,
        },
        fit_opts,
    )?;
    Ok((outcome, backend))
}
