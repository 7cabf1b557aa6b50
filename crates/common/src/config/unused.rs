//! Keys that have no effect for the chosen source, model, optimizer, schedule or early
//! stopping: `data.path` with the circle, `data.n` with a CSV, `model.channels` with an MLP,
//! `optim.momentum` with Adam, and so on. A user who writes one is warned (naming the key and
//! why), and the saved config (`config.toml`, checkpoints) never records one: what a run
//! folder says was used is what was used.

use super::{Config, ModelKind, OptimName, ScheduleName, Source};

/// The dotted keys of `cfg` that have no effect on its run, each with the reason.
pub fn unused_keys(cfg: &Config) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut none = |keys: &[&'static str], why: String| {
        out.extend(keys.iter().map(|k| (*k, why.clone())));
    };
    let d = &cfg.data;
    let source = format!("with data.source = \"{}\"", source_name(d.source));
    let synthetic = matches!(
        d.source,
        Source::Circle | Source::Moons | Source::Spirals | Source::Blobs
    );
    if synthetic {
        none(
            &["data.path", "data.target"],
            format!("{source} (the data are generated)"),
        );
    }
    if d.source != Source::Csv {
        let why = format!("{source} (the columns are not read from a table of your own)");
        none(
            &[
                "data.categorical",
                "data.numeric",
                "data.drop",
                "data.keep",
                "data.na_values",
                "data.delimiter",
                "data.decimal",
                "data.encoding",
            ],
            why,
        );
    }
    if cfg.model.init_from.is_none() {
        none(
            &["model.reinit", "model.init_preprocessing"],
            "without model.init_from (the weights come from the seed)".into(),
        );
    }
    if !synthetic {
        none(
            &["data.n", "data.dim"],
            format!("{source} (the rows come from the file)"),
        );
    }
    if !matches!(d.source, Source::Moons | Source::Spirals | Source::Blobs) {
        none(&["data.noise"], source.clone());
    }
    if !matches!(d.source, Source::Spirals | Source::Blobs) {
        none(&["data.classes"], source.clone());
    }
    let images = matches!(d.source, Source::Digits | Source::Images);
    if !images {
        none(
            &["data.augment"],
            format!("{source} (augmentation shifts and rotates images)"),
        );
    } else if !d.augment.enabled {
        let why = "with data.augment.enabled = false".to_string();
        none(
            &[
                "data.augment.max_shift",
                "data.augment.max_rotate_deg",
                "data.augment.flip",
                "data.augment.random_resized_crop",
                "data.augment.crop_scale",
                "data.augment.crop_ratio",
            ],
            why,
        );
    } else if !d.augment.random_resized_crop {
        let why = "with data.augment.random_resized_crop = false".to_string();
        none(&["data.augment.crop_scale", "data.augment.crop_ratio"], why);
    }
    if d.source != Source::Images {
        none(
            &["data.image"],
            format!("{source} (the keys say how image files are read)"),
        );
    } else {
        let why = format!("{source} (pixels are normalized by data.image.normalize)");
        none(&["data.scaling", "data.target"], why);
    }
    let piecewise = ["data.piecewise_bins", "data.piecewise_columns"];
    if images {
        let why = format!("{source} (a CNN reads the pixels as a grid, one value each)");
        none(&piecewise, why);
    } else if d.piecewise_bins == 0 {
        let why = "with data.piecewise_bins = 0 (every number is one feature)".to_string();
        none(&piecewise[1..], why);
    }
    if d.folds == 0 {
        none(
            &["data.fold"],
            "with data.folds = 0 (no cross-validation)".into(),
        );
    }
    let kind = format!("with model.kind = \"{}\"", kind_name(cfg.model.kind));
    if d.source != Source::Csv || cfg.model.kind != ModelKind::Mlp {
        let why = format!("{source} and {kind} (tables of an MLP read a CSV's categories)");
        none(&["model.embeddings"], why);
    }
    if cfg.model.kind != ModelKind::Cnn {
        none(&["model.channels"], kind.clone());
    }
    if cfg.model.kind == ModelKind::Resnet {
        let why = format!("{kind} (its layers are model.blocks, model.widths and model.stem)");
        none(
            &[
                "model.hidden",
                "model.activation",
                "model.dropout",
                "model.batch_norm",
            ],
            why,
        );
    } else {
        none(&["model.blocks", "model.widths", "model.stem"], kind);
    }
    match cfg.optim.name {
        OptimName::Adam => none(&["optim.momentum"], "with optim.name = \"adam\"".into()),
        OptimName::Sgd => none(
            &["optim.betas", "optim.eps"],
            "with optim.name = \"sgd\"".into(),
        ),
    }
    let s = &cfg.train.schedule;
    let with = |name: &str| format!("with train.schedule.name = \"{name}\"");
    let name = schedule_name(s.name);
    if s.name != ScheduleName::Step {
        none(
            &["train.schedule.step_size", "train.schedule.gamma"],
            with(name),
        );
    }
    if s.name != ScheduleName::Cosine {
        none(&["train.schedule.min_lr"], with(name));
    }
    if s.name != ScheduleName::Plateau {
        none(
            &["train.schedule.patience", "train.schedule.factor"],
            with(name),
        );
    }
    if !cfg.train.early_stopping.enabled {
        let keys = [
            "train.early_stopping.patience",
            "train.early_stopping.min_delta",
            "train.early_stopping.restore_best",
        ];
        none(&keys, "with train.early_stopping.enabled = false".into());
    }
    out
}

fn source_name(s: Source) -> &'static str {
    match s {
        Source::Circle => "circle",
        Source::Moons => "moons",
        Source::Spirals => "spirals",
        Source::Blobs => "blobs",
        Source::Csv => "csv",
        Source::Digits => "digits",
        Source::Images => "images",
    }
}

fn kind_name(k: ModelKind) -> &'static str {
    match k {
        ModelKind::Mlp => "mlp",
        ModelKind::Cnn => "cnn",
        ModelKind::Resnet => "resnet",
    }
}

fn schedule_name(s: ScheduleName) -> &'static str {
    match s {
        ScheduleName::Constant => "constant",
        ScheduleName::Step => "step",
        ScheduleName::Cosine => "cosine",
        ScheduleName::Plateau => "plateau",
    }
}

/// True when the TOML tree holds `dotted` (or a table that contains it).
pub(super) fn holds(tree: &toml::Value, dotted: &str) -> bool {
    let mut cur = tree;
    for seg in dotted.split('.') {
        match cur.get(seg) {
            Some(v) => cur = v,
            None => return false,
        }
    }
    true
}

/// Removes `dotted` from the TOML tree, if there.
pub(super) fn remove(tree: &mut toml::Value, dotted: &str) {
    let (parents, last) = match dotted.rsplit_once('.') {
        Some((p, l)) => (Some(p), l),
        None => (None, dotted),
    };
    let mut cur = tree;
    for seg in parents.into_iter().flat_map(|p| p.split('.')) {
        match cur.get_mut(seg) {
            Some(v) => cur = v,
            None => return,
        }
    }
    if let Some(t) = cur.as_table_mut() {
        t.remove(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chapter_run_uses_no_table_keys_and_csv_no_synthetic_ones() {
        let chapter = Config::default();
        let keys: Vec<&str> = unused_keys(&chapter).iter().map(|k| k.0).collect();
        for k in [
            "data.path",
            "data.n",
            "model.channels",
            "optim.betas",
            "data.augment",
        ]
        .iter()
        .filter(|k| **k != "data.n")
        {
            assert!(keys.contains(k), "{k} in {keys:?}");
        }
        assert!(
            !keys.contains(&"data.n") && !keys.contains(&"optim.momentum"),
            "{keys:?}"
        );
        let mut csv = chapter.clone();
        csv.data.source = Source::Csv;
        csv.optim.name = OptimName::Adam;
        let keys: Vec<&str> = unused_keys(&csv).iter().map(|k| k.0).collect();
        for k in ["data.n", "data.dim", "optim.momentum"] {
            assert!(keys.contains(&k), "{k} in {keys:?}");
        }
        assert!(!keys.contains(&"data.path") && !keys.contains(&"data.categorical"));
        assert!(!keys.contains(&"data.piecewise_bins"), "{keys:?}");
        csv.data.source = Source::Digits;
        let keys: Vec<&str> = unused_keys(&csv).iter().map(|k| k.0).collect();
        assert!(keys.contains(&"data.piecewise_bins"), "{keys:?}");
        // With a table, bins are used (a fine-tuned model may keep the pretrained encoding,
        // which `data::prepare` says in a note: only the file knows whether it has one).
        csv.data.source = Source::Csv;
        csv.model.init_from = Some("best.safetensors".into());
        let keys: Vec<&str> = unused_keys(&csv).iter().map(|k| k.0).collect();
        assert!(!keys.contains(&"data.piecewise_bins"), "{keys:?}");
        // The columns to encode mean nothing without bins.
        assert!(keys.contains(&"data.piecewise_columns"), "{keys:?}");
        csv.data.piecewise_bins = 8;
        let keys: Vec<&str> = unused_keys(&csv).iter().map(|k| k.0).collect();
        assert!(!keys.contains(&"data.piecewise_columns"), "{keys:?}");
    }

    #[test]
    fn keys_are_found_and_removed_in_a_tree() {
        let mut tree: toml::Value =
            toml::from_str("[data]\nn = 5\n[data.augment]\nenabled = true\n").unwrap();
        assert!(holds(&tree, "data.n") && holds(&tree, "data.augment.enabled"));
        assert!(!holds(&tree, "data.path") && !holds(&tree, "optim.lr"));
        remove(&mut tree, "data.augment");
        remove(&mut tree, "model.hidden");
        assert!(!holds(&tree, "data.augment.enabled") && holds(&tree, "data.n"));
    }
}
