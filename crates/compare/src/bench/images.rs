//! `compare bench --images`: the image-folder path against torchvision, in one run, on the
//! shipped digits folder (`data/digits_folder`, 1,797 PNG and JPEG files, 32×32):
//!
//! - scan and decode (images/s): our loader (all cores) against torchvision's `ImageFolder`
//!   and `DataLoader(num_workers=2)` over the same files (`scripts/torchvision_folder.py
//!   --bench`), both to RGB `u8` at 32×32;
//! - one augmented epoch of the small CNN (3×32×32 → conv 16 → conv 32 → 64 → 10, Adam,
//!   batch 32, torchvision's `RandomResizedCrop` and no other transform) on each backend,
//!   against the same PyTorch loop with torchvision transforms and a `DataLoader(num_workers=2)`
//!   (`scripts/torch_image_epoch.py`). PyTorch decodes every epoch; we decode once, so our
//!   line shows the epoch alone and the epoch plus one decode of the whole folder;
//! - peak memory (`ru_maxrss`) of `scratch train` on that config, against the decoded set
//!   (`u8`) plus the model's parameters.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::config::{Config, ImageConfig};
use common::data::images::{load, Reading};
use common::data::prepare;
use common::init::initial_params;
use common::spec::ModelSpec;
use common::{Error, Result};
use torch::DeviceChoice;

use crate::factory;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `images_per_s=` value of a script's one-line report.
pub(super) fn rate_of(out: &str) -> Result<f64> {
    out.split_whitespace()
        .find_map(|w| w.strip_prefix("images_per_s="))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Error::Other(format!("no images_per_s in the script's output: {out}")))
}

/// Runs a script of `scripts/` with the project's Python; its standard output.
pub(super) fn script(py: &Path, name: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(py)
        .arg(workspace().join("scripts").join(name))
        .args(args)
        .output()
        .map_err(|e| Error::io(py, e))?;
    if !out.status.success() {
        return Err(Error::Other(format!(
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The bench config: the shipped digits folder at 32×32 RGB, the anchor's CNN and transform.
fn epoch_config() -> Result<Config> {
    let sets = [
        "data.image.size=[32, 32]",
        "data.image.channels=3",
        "data.augment.max_shift=0",
        "data.augment.max_rotate_deg=0.0",
        "data.augment.crop_scale=[0.08, 1.0]",
        "data.augment.crop_ratio=[0.75, 1.3333333333333333]",
        "model.dropout=0.0",
        "optim.lr=0.001",
        "optim.weight_decay=0.0",
        "train.epochs=1",
        "train.early_stopping.enabled=false",
        "train.schedule.name=\"constant\"",
    ];
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let mut cfg = Config::load(&workspace().join("configs/digits_folder.toml"), &sets)?;
    cfg.data.path = cfg.data.path.map(|p| workspace().join(p));
    Ok(cfg)
}

/// The report (see the module documentation); `reps` rounds, the best of each kept.
pub fn run(reps: usize, py: &Path) -> Result<String> {
    let root = workspace().join("data/digits_folder");
    let root_s = root.display().to_string();
    let im = ImageConfig {
        size: Some([32, 32]),
        channels: Some(3),
        ..ImageConfig::default()
    };
    let cfg = epoch_config()?;
    let data = prepare(&cfg)?;
    let spec = data.spec(&cfg)?;
    let init = initial_params(&spec, &cfg);
    let n_train = data.train.y.len();
    // First, while no other child has run: getrusage(RUSAGE_CHILDREN) keeps the largest
    // peak of every child waited for, and the Python loops' workers are larger.
    let n_files = count_files(&root)?;
    let memory = memory_line(&cfg, &spec, n_files)?;
    let (mut ours, mut tv, mut epochs, mut anchor) = (0.0f64, 0.0f64, [0.0f64; 2], 0.0f64);
    let mut n = 0;
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        let set = load(&root, &im, &Reading::from_config(&im), true)?;
        n = set.len();
        ours = ours.max(n as f64 / t.elapsed().as_secs_f64());
        tv = tv.max(rate_of(&script(
            py,
            "torchvision_folder.py",
            &[&root_s, "--size", "32", "32", "--bench"],
        )?)?);
        for (rate, f) in epochs.iter_mut().zip(factory::both(DeviceChoice::Cpu)) {
            *rate = (*rate).max(super::time_epochs(f.as_ref(), &cfg, &data, &spec, &init)?);
        }
        let args = [
            root_s.as_str(),
            "--size",
            "32",
            "32",
            "--channels",
            "16",
            "32",
            "--hidden",
            "64",
            "--batch-size",
            "32",
            "--threads",
            "2",
        ];
        anchor = anchor.max(rate_of(&script(py, "torch_image_epoch.py", &args)?)?);
    }
    let with_decode = |r: f64| n_train as f64 / (n_train as f64 / r + n as f64 / ours);
    let mut out = format!(
        "\nimages ({n} files of data/digits_folder, 32×32 RGB; best of {reps}):\n\
         scan + decode     ours {ours:>8.0} images/s   torchvision ImageFolder + DataLoader(2 workers) {tv:>8.0}   ratio {:.2}×\n",
        ours / tv
    );
    for (name, r) in ["scratch", "torch"].iter().zip(epochs) {
        out.push_str(&format!(
            "augmented epoch   {name:<7} {r:>8.0} images/s ({:.0} with one decode of the folder)   PyTorch + torchvision loop {anchor:>8.0}   ratio {:.2}× ({:.2}×)\n",
            with_decode(r),
            r / anchor,
            with_decode(r) / anchor
        ));
    }
    out.push_str(&memory);
    Ok(out)
}

/// The image files under `root` (one level of class folders).
fn count_files(root: &Path) -> Result<usize> {
    let mut n = 0;
    for class in std::fs::read_dir(root).map_err(|e| Error::io(root, e))? {
        let class = class.map_err(|e| Error::io(root, e))?.path();
        n += std::fs::read_dir(&class)
            .map_err(|e| Error::io(&class, e))?
            .count();
    }
    Ok(n)
}

/// Peak RSS of `scratch train` on the bench config against the decoded set plus the model.
fn memory_line(cfg: &Config, spec: &ModelSpec, n: usize) -> Result<String> {
    let exe = std::env::current_exe().map_err(|e| Error::Other(e.to_string()))?;
    let scratch = exe.with_file_name("scratch");
    let dir = std::env::temp_dir().join(format!("twin-nets-bench-images-{}", std::process::id()));
    let config = dir.join("config.toml");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    std::fs::write(&config, cfg.to_toml()).map_err(|e| Error::io(&config, e))?;
    let status = Command::new(&scratch)
        .args(["train", "-q", "-c"])
        .arg(&config)
        .arg("--out")
        .arg(dir.join("run"))
        .status()
        .map_err(|e| Error::io(&scratch, e))?;
    let rss_kib = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map(|u| u.max_rss())
        .unwrap_or(0);
    let _ = std::fs::remove_dir_all(&dir);
    if !status.success() {
        return Err(Error::Other(format!(
            "{} train failed on the bench config",
            scratch.display()
        )));
    }
    let set = (n * 3 * 32 * 32) as f64 / 1048576.0;
    let model = spec
        .params()
        .iter()
        .map(|p| p.shape.iter().product::<usize>())
        .sum::<usize>() as f64
        * 4.0
        / 1048576.0;
    let rss = rss_kib as f64 / 1024.0;
    Ok(format!(
        "peak memory       scratch train: {rss:.1} MiB; decoded set {set:.1} MiB + model {model:.2} MiB = {:.1} MiB; ratio {:.1}×\n",
        set + model,
        rss / (set + model)
    ))
}
