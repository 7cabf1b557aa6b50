//! The schema as a table a reader understands at a glance: one line per column with its kind,
//! its treatment (`standardized`, `one-hot, 3 levels`, `embedding emb.city, 41 rows × 14 (row 0:
//! unseen)`, `dropped: identifier (342 of 344
//! values unique)`) and its missing count in the training rows. `train` prints it before epoch
//! 1 and writes it to the run folder (`schema.txt`).

use super::{ColumnSchema, Kind, Schema};

impl Schema {
    /// The report: a heading, the table, and a summary line (kept columns, features, drops).
    /// Generated and image data give their one-line note instead.
    pub fn report(&self) -> String {
        if let Some(note) = &self.note {
            return format!("{note}\n");
        }
        let heading = format!(
            "schema of {} ({} training rows{}):",
            self.origin,
            self.train_rows,
            self.target
                .as_ref()
                .map(|t| format!(", target '{t}'"))
                .unwrap_or_default()
        );
        let mut rows = vec![[
            "column".to_string(),
            "kind".to_string(),
            "treatment".to_string(),
            "missing".to_string(),
        ]];
        rows.extend(self.columns.iter().map(|c| {
            [
                c.name.clone(),
                c.kind.label().to_string(),
                self.treatment(c),
                c.missing.to_string(),
            ]
        }));
        let mut out = heading + "\n";
        if let Some(d) = &self.dialect {
            out.push_str(&d.describe());
            out.push('\n');
        }
        out.push_str(&table(&rows));
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// Number of features the kept columns become.
    pub fn n_features(&self) -> usize {
        self.columns
            .iter()
            .map(|c| match c.kind {
                Kind::Numeric => self.bins_of(&c.name).unwrap_or(1),
                Kind::Categorical if self.embedding_of(&c.name).is_some() => 1,
                Kind::Categorical => c.levels.unwrap_or(0),
                _ => 0,
            })
            .sum()
    }

    /// The bin count of a piecewise-linear numeric column.
    fn bins_of(&self, column: &str) -> Option<usize> {
        let found = self.piecewise.iter().find(|(c, _)| c == column);
        found.map(|(_, bins)| *bins)
    }

    /// The table key and dimension of an embedded column.
    fn embedding_of(&self, column: &str) -> Option<(&str, usize)> {
        let found = self.embedded.iter().find(|(c, _, _)| c == column);
        found.map(|(_, key, dim)| (key.as_str(), *dim))
    }

    /// What happens to one column, in words.
    fn treatment(&self, c: &ColumnSchema) -> String {
        let declared = |s: String| match c.why.is_empty() {
            true => s,
            false => format!("{s} ({})", c.why),
        };
        match c.kind {
            Kind::Numeric => {
                let scaled = match self.bins_of(&c.name) {
                    Some(bins) => format!("piecewise-linear, {bins} bins of train quantiles"),
                    None if self.scaled => "standardized".into(),
                    None => "as is".into(),
                };
                let fill = if c.missing > 0 {
                    ", missing → train mean"
                } else {
                    ""
                };
                let written = match self.dialect.as_ref().and_then(|d| d.format_of(&c.name)) {
                    Some(format) => format!(", read with a {}", format.label()),
                    None => String::new(),
                };
                declared(format!("{scaled}{fill}{written}"))
            }
            Kind::Categorical => {
                let k = c.levels.unwrap_or(0);
                let fill = if c.missing > 0 {
                    ", missing → most frequent"
                } else {
                    ""
                };
                let s = if k == 1 { "" } else { "s" };
                match self.embedding_of(&c.name) {
                    Some((key, dim)) => declared(format!(
                        "embedding emb.{key}, {} rows × {dim} (row 0: unseen){fill}",
                        k + 1
                    )),
                    None => declared(format!("one-hot, {k} level{s}{fill}")),
                }
            }
            Kind::Excluded => format!("dropped: {}", c.why),
            kind => format!("dropped: {} ({})", kind.label(), c.why),
        }
    }

    /// `7 columns: 7 kept (10 features), 0 dropped`.
    fn summary(&self) -> String {
        let kept = self.columns.iter().filter(|c| c.kind.is_kept()).count();
        format!(
            "{} columns: {kept} kept ({} features), {} dropped",
            self.columns.len(),
            self.n_features(),
            self.columns.len() - kept
        )
    }
}

/// Left-aligned columns separated by two spaces, trailing spaces trimmed.
fn table(rows: &[[String; 4]]) -> String {
    let mut widths = [0usize; 4];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (cell, w) in row.iter().zip(widths) {
            line.push_str(&format!("{cell:<w$}  "));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
