//! Synthetic data: the chapter's circle (`make_toy_data`, Route 1 §3: 2-D standard normal,
//! label `x0² + x1² > 1`), moons, spirals and Gaussian blobs, any size, with optional extra
//! noise features for scale tests.
//!
//! Every generator writes straight into per-column `Vec<f64>`s (no per-row allocation), so
//! millions of rows take milliseconds. Rows are drawn in order from the `Data` stream; the
//! `data.dim` extra N(0, 1) columns are drawn after the base columns, so adding them never
//! changes the first two features or the labels.

use rand::Rng as _;
use rand_distr::StandardNormal;
use std::f64::consts::PI;

use super::{Column, ColumnValues, Dataset, Frame};
use crate::config::{DataConfig, Source};
use crate::seed::Rng;
use crate::{Error, Result};

/// Base columns and class indices of one generator.
type Base = ([Vec<f64>; 2], Vec<usize>);

/// Generates the configured synthetic dataset (`data.source` must be circle, moons, spirals or
/// blobs) from `rng` (the run's `Data` stream). Features are named `x0`, `x1`, ...; class
/// names are `"0"`, `"1"`, ...
pub fn generate(cfg: &DataConfig, rng: &mut Rng) -> Result<Dataset> {
    check(cfg)?;
    let (n, k) = (cfg.n, cfg.classes);
    let (name, (base, labels), classes) = match cfg.source {
        Source::Circle => ("circle", circle(n, rng), 2),
        Source::Moons => ("moons", moons(n, cfg.noise, rng), 2),
        Source::Spirals => ("spirals", spirals(n, k, cfg.noise, rng), k),
        Source::Blobs => ("blobs", blobs(n, k, cfg.noise, rng), k),
        other => {
            let msg = format!("{other:?} is not a synthetic source");
            return Err(Error::config("data.source", msg.to_lowercase()));
        }
    };
    let mut columns: Vec<Column> = base
        .into_iter()
        .enumerate()
        .map(|(i, v)| Column {
            name: format!("x{i}"),
            values: ColumnValues::Numeric(v),
        })
        .collect();
    for d in 0..cfg.dim {
        let v: Vec<f64> = (0..n).map(|_| rng.sample(StandardNormal)).collect();
        columns.push(Column {
            name: format!("x{}", d + 2),
            values: ColumnValues::Numeric(v),
        });
    }
    Ok(Dataset {
        frame: Frame { columns, n_rows: n },
        labels,
        class_names: (0..classes).map(|c| c.to_string()).collect(),
        image_shape: None,
        origin: origin(name, cfg),
        path: None,
        lines: vec![],
        dialect: None,
        file_rows: vec![],
        unlabelled_lines: vec![],
    })
}

/// `data.n` ≥ 2, `data.noise` a number ≥ 0, `data.classes` ≥ 2 for spirals and blobs.
fn check(cfg: &DataConfig) -> Result<()> {
    if cfg.n < 2 {
        let msg = format!("need at least 2 examples, got {}", cfg.n);
        return Err(Error::config("data.n", msg));
    }
    if !cfg.noise.is_finite() || cfg.noise < 0.0 {
        let msg = format!("must be a number ≥ 0, got {}", cfg.noise);
        return Err(Error::config("data.noise", msg));
    }
    if matches!(cfg.source, Source::Spirals | Source::Blobs) && cfg.classes < 2 {
        let msg = format!("need at least 2 classes, got {}", cfg.classes);
        return Err(Error::config("data.classes", msg));
    }
    Ok(())
}

/// A short description such as `circle(n=2000)` or `blobs(n=900, noise=0.1, classes=3)`.
fn origin(name: &str, cfg: &DataConfig) -> String {
    let mut origin = format!("{name}(n={}", cfg.n);
    if cfg.source != Source::Circle {
        origin.push_str(&format!(", noise={}", cfg.noise));
    }
    if matches!(cfg.source, Source::Spirals | Source::Blobs) {
        origin.push_str(&format!(", classes={}", cfg.classes));
    }
    if cfg.dim > 0 {
        origin.push_str(&format!(", dim=+{}", cfg.dim));
    }
    origin.push(')');
    origin
}

/// The chapter's toy data: `X ~ N(0, I₂)` drawn row by row (as `rng.normal(size=(n, 2))`),
/// `y = x0² + x1² > 1` (about 61% positives: `P(χ²₂ > 1) = e^{-1/2}`).
pub fn circle(n: usize, rng: &mut Rng) -> Base {
    let (mut x0, mut x1) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let (a, b): (f64, f64) = (rng.sample(StandardNormal), rng.sample(StandardNormal));
        x0.push(a);
        x1.push(b);
        y.push(usize::from(a * a + b * b > 1.0));
    }
    ([x0, x1], y)
}

/// Two interleaved half-moons (as scikit-learn's `make_moons`): class 0 on the upper unit
/// half-circle, class 1 on the lower one shifted by (1, -0.5); angle `U(0, π)`, classes
/// alternating row by row, then `N(0, noise²)` added to each coordinate.
pub fn moons(n: usize, noise: f64, rng: &mut Rng) -> Base {
    let (mut x0, mut x1) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % 2;
        let t = rng.gen_range(0.0..PI);
        let (a, b) = if class == 0 {
            (t.cos(), t.sin())
        } else {
            (1.0 - t.cos(), 0.5 - t.sin())
        };
        x0.push(a + noise * rng.sample::<f64, _>(StandardNormal));
        x1.push(b + noise * rng.sample::<f64, _>(StandardNormal));
        y.push(class);
    }
    ([x0, x1], y)
}

/// `k` interleaved spiral arms: row `i` is class `i mod k` at radius `r ~ U(0, 1)` and angle
/// `2π(class/k + r)` (one full turn per arm, arms `1/k` apart in radius), plus `N(0, noise²)`.
pub fn spirals(n: usize, k: usize, noise: f64, rng: &mut Rng) -> Base {
    let (mut x0, mut x1) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % k;
        let r: f64 = rng.gen_range(0.0..1.0);
        let angle = 2.0 * PI * (class as f64 / k as f64 + r);
        x0.push(r * angle.cos() + noise * rng.sample::<f64, _>(StandardNormal));
        x1.push(r * angle.sin() + noise * rng.sample::<f64, _>(StandardNormal));
        y.push(class);
    }
    ([x0, x1], y)
}

/// `k` isotropic Gaussian blobs with standard deviation `noise`, centred evenly on the unit
/// circle (centre `c` at angle `2πc/k`); row `i` is class `i mod k`.
pub fn blobs(n: usize, k: usize, noise: f64, rng: &mut Rng) -> Base {
    let centres: Vec<(f64, f64)> = (0..k)
        .map(|c| (2.0 * PI * c as f64 / k as f64).sin_cos())
        .collect();
    let (mut x0, mut x1) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % k;
        let (s, c) = centres[class];
        x0.push(c + noise * rng.sample::<f64, _>(StandardNormal));
        x1.push(s + noise * rng.sample::<f64, _>(StandardNormal));
        y.push(class);
    }
    ([x0, x1], y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{Seeds, Stream};

    fn rng() -> Rng {
        Seeds::new(42).rng(Stream::Data)
    }

    fn numeric(ds: &Dataset, i: usize) -> &[f64] {
        match &ds.frame.columns[i].values {
            ColumnValues::Numeric(v) => v,
            _ => panic!("synthetic columns are numeric"),
        }
    }

    #[test]
    fn circle_labels_follow_the_radius_and_balance() {
        let ds = generate(
            &DataConfig {
                n: 20_000,
                ..DataConfig::default()
            },
            &mut rng(),
        )
        .unwrap();
        let (a, b) = (numeric(&ds, 0), numeric(&ds, 1));
        for i in 0..ds.labels.len() {
            assert_eq!(ds.labels[i] == 1, a[i] * a[i] + b[i] * b[i] > 1.0);
        }
        let pos = ds.labels.iter().sum::<usize>() as f64 / 20_000.0;
        assert!((pos - (-0.5f64).exp()).abs() < 0.015, "positives {pos}");
        assert_eq!(ds.class_names, ["0", "1"]);
        assert_eq!(ds.origin, "circle(n=20000)");
    }

    #[test]
    fn extra_dims_keep_the_base_data() {
        let plain = generate(&DataConfig::default(), &mut rng()).unwrap();
        let wide = generate(
            &DataConfig {
                dim: 3,
                ..DataConfig::default()
            },
            &mut rng(),
        )
        .unwrap();
        assert_eq!(wide.frame.names(), ["x0", "x1", "x2", "x3", "x4"]);
        assert_eq!(numeric(&plain, 0), numeric(&wide, 0));
        assert_eq!(plain.labels, wide.labels);
        let extra = numeric(&wide, 4);
        let m = extra.iter().sum::<f64>() / extra.len() as f64;
        assert!(m.abs() < 0.1, "noise feature mean {m}");
    }

    #[test]
    fn multi_class_generators_are_balanced_and_separated() {
        for source in [Source::Moons, Source::Spirals, Source::Blobs] {
            let cfg = DataConfig {
                source,
                n: 3000,
                classes: 3,
                noise: 0.05,
                ..DataConfig::default()
            };
            let ds = generate(&cfg, &mut rng()).unwrap();
            let k = ds.class_names.len();
            assert_eq!(k, if source == Source::Moons { 2 } else { 3 });
            for c in 0..k {
                assert_eq!(ds.labels.iter().filter(|&&y| y == c).count(), 3000 / k);
            }
            // Class means differ: the classes are not the same cloud.
            let (a, b) = (numeric(&ds, 0), numeric(&ds, 1));
            let mean = |c: usize| {
                let idx: Vec<usize> = (0..3000).filter(|&i| ds.labels[i] == c).collect();
                let m = |v: &[f64]| idx.iter().map(|&i| v[i]).sum::<f64>() / idx.len() as f64;
                (m(a), m(b))
            };
            let (m0, m1) = (mean(0), mean(1));
            assert!(
                (m0.0 - m1.0).hypot(m0.1 - m1.1) > 0.2,
                "{source:?}: {m0:?} {m1:?}"
            );
        }
    }

    #[test]
    fn bad_settings_name_their_key() {
        let bad = |cfg: DataConfig| generate(&cfg, &mut rng()).unwrap_err().to_string();
        assert!(bad(DataConfig {
            n: 1,
            ..DataConfig::default()
        })
        .contains("data.n"));
        assert!(bad(DataConfig {
            source: Source::Blobs,
            classes: 1,
            ..DataConfig::default()
        })
        .contains("data.classes"));
        assert!(bad(DataConfig {
            source: Source::Moons,
            noise: -1.0,
            ..DataConfig::default()
        })
        .contains("data.noise"));
        assert!(bad(DataConfig {
            source: Source::Csv,
            ..DataConfig::default()
        })
        .contains("data.source"));
    }
}
