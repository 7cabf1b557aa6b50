//! What a sweep runs: the grid (`--grid key=v1,v2`), the seeds (`1..10` or `1,4,9`), the folds
//! and the shard, parsed and checked before any training, and the fixed, ordered list of runs
//! they make. The plan is saved as `DIR/sweep.json` (the manifest): shards and
//! `sweep --summarize` rebuild the same list from it, so every process agrees on the runs and
//! their names without talking to each other.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// One grid key and its values, as given (TOML literals or bare text, like `--set`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridKey {
    /// The dotted config key.
    pub key: String,
    /// Its values, in the order given.
    pub values: Vec<String>,
}

/// Everything that decides a sweep's runs: written to `DIR/sweep.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// `scratch` or `torch`.
    pub backend: String,
    /// The config file, as given.
    pub config: String,
    /// `--set` overrides common to every run.
    pub set: Vec<String>,
    /// The grid, first key outermost.
    pub grid: Vec<GridKey>,
    /// The seeds, in order.
    pub seeds: Vec<u64>,
    /// Cross-validation folds (0 = the config's hold-out split).
    pub folds: usize,
}

/// One run of the sweep: an ordinary run folder `DIR/<name>`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    /// Position in the sweep's fixed order.
    pub index: usize,
    /// Index of its grid point.
    pub point: usize,
    /// The folder name.
    pub name: String,
    /// `(key, value)` of each grid key.
    pub values: Vec<(String, String)>,
    /// Its seed.
    pub seed: u64,
    /// Its fold (`None` without cross-validation).
    pub fold: Option<usize>,
}

impl RunPlan {
    /// The `--set` overrides that make this run (after the sweep's own `--set`s): every grid
    /// value, the seed and the fold, so that the run's hparams can be read off its command.
    pub fn overrides(&self, folds: usize) -> Vec<String> {
        let mut out: Vec<String> = self
            .values
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        out.push(format!("seed={}", self.seed));
        if let Some(f) = self.fold {
            out.push(format!("data.folds={folds}"));
            out.push(format!("data.fold={f}"));
        }
        out
    }
}

impl Manifest {
    /// Every `--set` of `run`'s `train` command: the sweep's own, then the run's
    /// ([`RunPlan::overrides`]).
    pub fn sets_of(&self, run: &RunPlan) -> Vec<String> {
        let mut out = self.set.clone();
        out.extend(run.overrides(self.folds));
        out
    }

    /// Every run, grid points in row-major order (first key outermost), then seeds, then folds.
    pub fn runs(&self) -> Vec<RunPlan> {
        let points = grid_points(&self.grid);
        let width = points.len().saturating_sub(1).to_string().len();
        let folds: Vec<Option<usize>> = match self.folds {
            0 => vec![None],
            k => (0..k).map(Some).collect(),
        };
        let mut runs = Vec::new();
        for (p, values) in points.iter().enumerate() {
            for &seed in &self.seeds {
                for &fold in &folds {
                    let mut name = format!("p{p:0width$}");
                    for (k, v) in values {
                        let short = k.rsplit('.').next().unwrap_or(k);
                        name.push_str(&format!("-{short}={}", slug(v)));
                    }
                    name.push_str(&format!("-seed{seed}"));
                    if let Some(f) = fold {
                        name.push_str(&format!("-fold{f}"));
                    }
                    let index = runs.len();
                    let values = values.clone();
                    runs.push(RunPlan {
                        index,
                        point: p,
                        name,
                        values,
                        seed,
                        fold,
                    });
                }
            }
        }
        runs
    }
}

/// The grid points: every combination of the keys' values (one empty point without a grid).
pub fn grid_points(grid: &[GridKey]) -> Vec<Vec<(String, String)>> {
    let mut points = vec![Vec::new()];
    for g in grid {
        points = points
            .into_iter()
            .flat_map(|p| {
                g.values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push((g.key.clone(), v.clone()));
                    q
                })
            })
            .collect();
    }
    points
}

/// A value as a folder-name fragment: `[32, 16]` → `32x16`, other odd characters → `-`.
fn slug(v: &str) -> String {
    let v = v.trim().trim_matches(|c| c == '[' || c == ']' || c == '"');
    v.chars()
        .filter(|c| *c != ' ')
        .map(|c| match c {
            ',' => 'x',
            c if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_') => c,
            _ => '-',
        })
        .collect()
}

/// Parses `--grid key=v1,v2,...`: commas inside brackets or quotes belong to the value
/// (`model.hidden=[32,16],[64]` has two values). Errors on a missing `=`, an empty list or
/// value, and on the keys a sweep sets itself (`seed`, `data.folds`, `data.fold`).
pub fn parse_grid(raw: &str) -> Result<GridKey> {
    let bad = |why: String| Error::Other(format!("--grid '{raw}': {why}"));
    let (key, list) = raw
        .split_once('=')
        .ok_or_else(|| bad("no '=' (expected key=v1,v2,..., e.g. optim.lr=0.01,0.003)".into()))?;
    let key = key.trim().to_string();
    if key.is_empty() {
        return Err(bad("empty key".into()));
    }
    if ["seed", "data.folds", "data.fold"].contains(&key.as_str()) {
        return Err(bad(format!(
            "{key} is set by the sweep itself: use --seeds or --folds"
        )));
    }
    let values = split_top_level(list);
    if list.trim().is_empty() {
        return Err(bad("empty value list".into()));
    }
    if let Some(i) = values.iter().position(|v| v.is_empty()) {
        return Err(bad(format!("value {} is empty", i + 1)));
    }
    Ok(GridKey { key, values })
}

/// Splits at commas outside brackets and quotes, trimming each part.
fn split_top_level(list: &str) -> Vec<String> {
    let (mut parts, mut cur, mut depth, mut quoted) = (Vec::new(), String::new(), 0i32, false);
    for c in list.chars() {
        match c {
            '"' => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    parts.push(cur.trim().to_string());
    parts
}

/// Parses `--seeds`: an inclusive range `1..10` (ten seeds) or a list `1,4,9`.
pub fn parse_seeds(raw: &str) -> Result<Vec<u64>> {
    let bad = |why: String| Error::Other(format!("--seeds '{raw}': {why}"));
    let num = |s: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| bad(format!("'{}' is not a whole number ≥ 0", s.trim())))
    };
    // `1-10` is how many write a range; say how to write it here.
    if let Some((a, b)) = raw.split_once('-') {
        if a.trim().parse::<u64>().is_ok() && b.trim().parse::<u64>().is_ok() {
            return Err(bad(format!(
                "a range is written with two dots: --seeds {}..{}",
                a.trim(),
                b.trim()
            )));
        }
    }
    let seeds = if let Some((a, b)) = raw.split_once("..") {
        let (a, b) = (num(a)?, num(b)?);
        if a > b {
            return Err(bad(format!(
                "the range is empty ({a} > {b}); write {b}..{a}"
            )));
        }
        if b - a >= 100_000 {
            return Err(bad("more than 100,000 seeds".into()));
        }
        (a..=b).collect()
    } else {
        raw.split(',').map(num).collect::<Result<Vec<u64>>>()?
    };
    let mut sorted = seeds.clone();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(bad(format!("seed {} is listed twice", w[0])));
    }
    Ok(seeds)
}

/// Parses `--shard I/N` (1-based: `1/4` … `4/4`, as a SLURM array `--array=1-4` numbers them).
pub fn parse_shard(raw: &str) -> Result<(usize, usize)> {
    let bad = |why: &str| {
        Error::Other(format!(
            "--shard '{raw}': {why} (expected I/N with 1 ≤ I ≤ N, e.g. 2/4)"
        ))
    };
    let (i, n) = raw.split_once('/').ok_or_else(|| bad("no '/'"))?;
    let (i, n) = (i.trim().parse::<usize>(), n.trim().parse::<usize>());
    match (i, n) {
        (Ok(i), Ok(n)) if n >= 1 && (1..=n).contains(&i) => Ok((i, n)),
        (Ok(_), Ok(_)) => Err(bad("shard number out of range")),
        _ => Err(bad("not two whole numbers")),
    }
}

/// The runs of shard `i` of `n` (1-based): every `n`-th run of the fixed order, starting at
/// the `i`-th, so each shard gets a share of every grid point.
pub fn shard_of(runs: Vec<RunPlan>, (i, n): (usize, usize)) -> Vec<RunPlan> {
    runs.into_iter().filter(|r| r.index % n == i - 1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_seeds_and_shards_parse_or_say_why() {
        let g = parse_grid("model.hidden=[32,16],[64]").unwrap();
        assert_eq!(g.values, ["[32,16]", "[64]"]);
        assert!(parse_grid("optim.lr=")
            .unwrap_err()
            .to_string()
            .contains("empty value list"));
        assert!(parse_grid("optim.lr=0.1,,0.2").is_err());
        assert!(parse_grid("seed=1,2")
            .unwrap_err()
            .to_string()
            .contains("--seeds"));
        assert_eq!(parse_seeds("1..3").unwrap(), [1, 2, 3]);
        assert_eq!(parse_seeds("1,4,9").unwrap(), [1, 4, 9]);
        assert!(parse_seeds("5..1")
            .unwrap_err()
            .to_string()
            .contains("empty"));
        assert!(parse_seeds("1,1").is_err());
        assert_eq!(parse_shard("2/4").unwrap(), (2, 4));
        for bad in ["3/2", "0/2", "1/0", "a/b", "1"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn runs_are_ordered_named_and_sharded_without_overlap() {
        let m = Manifest {
            backend: "scratch".into(),
            config: "c.toml".into(),
            set: vec![],
            grid: vec![parse_grid("model.hidden=[8,8],[4]").unwrap()],
            seeds: vec![1, 2],
            folds: 3,
        };
        let runs = m.runs();
        assert_eq!(runs.len(), 12);
        assert_eq!(runs[0].name, "p0-hidden=8x8-seed1-fold0");
        assert_eq!(runs[11].name, "p1-hidden=4-seed2-fold2");
        let mut all: Vec<usize> = (1..=5)
            .flat_map(|i| shard_of(runs.clone(), (i, 5)).into_iter().map(|r| r.index))
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..12).collect::<Vec<_>>());
        assert!(runs[4].overrides(3).contains(&"data.fold=1".to_string()));
    }
}
