//! A rerun of a sweep after its config file changed must not mix the old runs' results with
//! new ones: the runs marked done are skipped, so the summary would average two configs under
//! one name. Before anything starts, one trained run of each grid point (its folder's
//! `config.toml`) is compared with what the command would now give it; any difference is an
//! error naming the run, the key and both values.

use std::path::Path;

use super::plan::{Manifest, RunPlan};
use super::resolve_config;
use crate::config::Config;
use crate::fit::{exact_difference, CONFIG_FILE};
use crate::{Error, Result};

/// Checks that the trained runs among `runs` were trained with the config the sweep now gives
/// them (one run per grid point: seeds only change the `seed` key, which the run's name holds).
pub fn check_unchanged(dir: &Path, m: &Manifest, default: &Config, runs: &[RunPlan]) -> Result<()> {
    let mut checked = Vec::new();
    for run in runs {
        let saved_path = dir.join(&run.name).join(CONFIG_FILE);
        if checked.contains(&run.point) || !saved_path.is_file() {
            continue;
        }
        checked.push(run.point);
        let now = resolve_config(Some(Path::new(&m.config)), default.clone(), &m.sets_of(run))?;
        // Both as a run folder saves them: keys without effect at their defaults.
        let now = Config::from_toml_str(&now.to_toml(), "the sweep's config", &[])?;
        let saved = Config::load(&saved_path, &[])?;
        if let Some((key, ours, theirs)) = exact_difference(&now, &saved) {
            return Err(Error::Other(format!(
                "sweep run {} was trained with {key} = {theirs}, but {} now gives {ours}; its \
                 results and the new runs' would be summarized as one config. Nothing was \
                 started: use another --out, or delete {} to start the sweep over",
                run.name,
                m.config,
                dir.display()
            )));
        }
    }
    Ok(())
}
