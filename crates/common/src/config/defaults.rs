//! The defaults of every config section: together they are the chapter's Route 1 run
//! (`main.py` of "desde cero"); [`Config::chapter_route2`] is the Route 2 run (PyTorch's
//! `main.py`: `make_toy_data(n=5000)`, `MLP(hidden=64)`, Adam lr 1e-3, batch 128, 30 epochs).

use super::*;

impl Default for Config {
    /// The chapter's Route 1 run: circle n=2000, 2→32→1 ReLU, BCE-with-logits, SGD lr 0.5,
    /// batch 64, 20 epochs, seed 42.
    fn default() -> Self {
        Config {
            seed: 42,
            data: DataConfig::default(),
            model: ModelConfig::default(),
            optim: OptimConfig::default(),
            train: TrainConfig::default(),
        }
    }
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            source: Source::Circle,
            path: None,
            target: None,
            n: 2000,
            dim: 0,
            noise: 0.1,
            classes: 3,
            categorical: vec![],
            numeric: vec![],
            drop: vec![],
            keep: vec![],
            na_values: DEFAULT_NA_VALUES.iter().map(|s| s.to_string()).collect(),
            scaling: Scaling::Auto,
            piecewise_bins: 0,
            piecewise_columns: Vec::new(),
            split: SplitConfig::default(),
            augment: AugmentConfig::default(),
            image: Default::default(),
            keep_classes: Vec::new(),
            delimiter: None,
            decimal: None,
            encoding: None,
            train_per_class: 0,
            folds: 0,
            fold: 0,
        }
    }
}

impl Default for SplitConfig {
    fn default() -> Self {
        SplitConfig {
            train: 0.8,
            val: 0.2,
            test: 0.0,
        }
    }
}

impl Default for AugmentConfig {
    fn default() -> Self {
        AugmentConfig {
            enabled: false,
            max_shift: 1,
            max_rotate_deg: 10.0,
            flip: false,
            random_resized_crop: false,
            crop_scale: super::DEFAULT_CROP_SCALE,
            crop_ratio: super::DEFAULT_CROP_RATIO,
        }
    }
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            kind: ModelKind::Mlp,
            hidden: vec![32],
            activation: Activation::Relu,
            dropout: 0.0,
            head: HeadKind::Auto,
            init: InitScheme::Chapter,
            channels: vec![16, 32],
            batch_norm: false,
            blocks: vec![2, 2, 2, 2],
            widths: vec![64, 128, 256, 512],
            stem: Stem::Imagenet,
            init_from: None,
            freeze: Vec::new(),
            reinit: Vec::new(),
            init_preprocessing: InitPreprocessing::Pretrained,
            embeddings: Embeddings::None,
        }
    }
}

impl Default for OptimConfig {
    fn default() -> Self {
        OptimConfig {
            name: OptimName::Sgd,
            lr: 0.5,
            momentum: 0.0,
            weight_decay: 0.0,
            betas: [0.9, 0.999],
            eps: 1e-8,
            lr_scale: Default::default(),
        }
    }
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            name: ScheduleName::Constant,
            step_size: 10,
            gamma: 0.1,
            min_lr: 0.0,
            patience: 5,
            factor: 0.5,
        }
    }
}

impl Default for EarlyStoppingConfig {
    fn default() -> Self {
        EarlyStoppingConfig {
            enabled: false,
            patience: 10,
            min_delta: 0.0,
            restore_best: true,
        }
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 20,
            batch_size: 64,
            monitor: "val_loss".into(),
            mode: MonitorMode::Auto,
            schedule: ScheduleConfig::default(),
            early_stopping: EarlyStoppingConfig::default(),
            log_grad_norms: false,
            tensorboard: true,
            save_interval_s: DEFAULT_SAVE_INTERVAL_S,
            flush_denormals: true,
            cache_frozen: true,
            class_weights: None,
            threshold: Default::default(),
        }
    }
}

impl Config {
    /// The chapter's Route 2 run: circle n=5000, 2→64→64→2 ReLU, softmax cross-entropy, Adam
    /// lr 1e-3, batch 128, 30 epochs, seed 42, PyTorch's default init (split 80/20).
    pub fn chapter_route2() -> Self {
        let mut cfg = Config::default();
        cfg.data.n = 5000;
        cfg.model.hidden = vec![64, 64];
        cfg.model.activation = Activation::Relu;
        cfg.model.head = HeadKind::Softmax;
        cfg.model.init = InitScheme::Pytorch;
        cfg.optim.name = OptimName::Adam;
        cfg.optim.lr = 1e-3;
        cfg.train.batch_size = 128;
        cfg.train.epochs = 30;
        cfg
    }
}
