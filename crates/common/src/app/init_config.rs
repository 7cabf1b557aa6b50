//! `init-config --csv FILE --target COLUMN`: prints the tabular config that `train --csv FILE
//! --target COLUMN` runs, with comments, after checking that the file reads and the column is
//! a class column (so that the printed file trains as it is).

use std::path::PathBuf;

use crate::config::{tabular_toml, Config};
use crate::data::prepare;
use crate::Result;

/// `init-config` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct InitConfigArgs {
    /// The CSV file.
    #[arg(long, value_name = "FILE")]
    pub csv: PathBuf,
    /// Its class column.
    #[arg(long, value_name = "COLUMN")]
    pub target: String,
}

/// Runs `init-config`: the config on standard output (redirect it into a file).
pub fn init_config(args: &InitConfigArgs) -> Result<()> {
    let cfg = Config::tabular(&args.csv, &args.target, &[])?;
    // Reads the file and infers its schema as training will: a missing column, a continuous
    // target or an unreadable file is an error here, not after the config was written.
    let data = prepare(&cfg)?;
    let tables = data.pre.embedded_columns();
    let embedded = match tables.len() {
        0 => String::new(),
        k => {
            let names: Vec<&str> = tables.iter().map(|(c, _, _)| c.as_str()).collect();
            let s = if k == 1 { "" } else { "s" };
            format!(
                " ({k} read through embedding table{s}: {})",
                names.join(", ")
            )
        }
    };
    crate::errln!(
        "init-config: {} rows, {} classes of '{}', {} features{embedded}; the config follows on \
         stdout",
        data.train.y.len() + data.val.y.len() + data.test.y.len(),
        data.n_classes(),
        args.target,
        data.n_features()
    );
    crate::outln!("{}", tabular_toml(&args.csv, &args.target).trim_end());
    Ok(())
}
