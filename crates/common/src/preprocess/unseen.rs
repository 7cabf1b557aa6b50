//! Categories seen at evaluation or prediction that the training rows did not have, counted
//! per column, so that a report is one line per column (a count and at most three examples),
//! never one line per value.

use std::collections::BTreeMap;
use std::fmt;

/// Most example values named in one warning line.
pub const MAX_EXAMPLES: usize = 3;

/// The unseen values of one column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Unseen {
    /// The column.
    pub column: String,
    /// How many rows, for each distinct unseen value.
    pub values: BTreeMap<String, usize>,
    /// The column is read through an embedding table (its unseen values read row 0) rather
    /// than one-hot encoded.
    pub embedded: bool,
    /// The first rows read (0-based indices into the frame) that hold an unseen value,
    /// at most [`MAX_EXAMPLES`]: what [`Unseen::located`] names for `predict` and `eval`.
    pub first_rows: Vec<usize>,
}

impl Unseen {
    /// Counts frame row `row`, which holds `value`.
    pub(super) fn add(&mut self, value: &str, row: usize) {
        *self.values.entry(value.to_string()).or_insert(0) += 1;
        if self.first_rows.len() < MAX_EXAMPLES {
            self.first_rows.push(row);
        }
    }

    /// The line with where the first rows holding an unseen value are, before what was done
    /// with them: their lines in the file (`lines[r]` for frame row `r`: 1-based, the header
    /// line 1, as an editor and the data errors count) and, when `output_rows`, the rows of
    /// `predict`'s output (numbered from 1), e.g. `…('Anvers'), first on line 5 (output row 4);
    /// encoded as all zeros`.
    pub fn located(&self, lines: &[usize], output_rows: bool) -> String {
        let more = self.rows() > self.first_rows.len();
        let list = |numbers: Vec<usize>| {
            let mut items: Vec<String> = numbers.iter().map(usize::to_string).collect();
            if more {
                items.push("…".into());
            }
            let s = if items.len() == 1 { "" } else { "s" };
            (s, items.join(", "))
        };
        let on = self.first_rows.iter();
        let (s, at) = list(
            on.clone()
                .map(|&r| lines.get(r).copied().unwrap_or(r + 2))
                .collect(),
        );
        let mut place = format!(", first on line{s} {at}");
        if output_rows {
            let (s, rows) = list(on.map(|r| r + 1).collect());
            place.push_str(&format!(" (output row{s} {rows})"));
        }
        self.line(&place)
    }

    /// `Some(self)` named `column` when it holds any value.
    pub(super) fn named(mut self, column: &str) -> Option<Unseen> {
        self.column = column.to_string();
        (!self.values.is_empty()).then_some(self)
    }

    /// Rows with an unseen value.
    pub fn rows(&self) -> usize {
        self.values.values().sum()
    }

    /// Merges the reports of several splits into one line per column (first-seen order).
    pub fn merge(all: impl IntoIterator<Item = Unseen>) -> Vec<Unseen> {
        let mut out: Vec<Unseen> = Vec::new();
        for u in all {
            match out.iter_mut().find(|o| o.column == u.column) {
                Some(o) => {
                    for (v, n) in u.values {
                        *o.values.entry(v).or_insert(0) += n;
                    }
                    o.first_rows.extend(u.first_rows);
                    o.first_rows.sort_unstable();
                    o.first_rows.truncate(MAX_EXAMPLES);
                }
                None => out.push(u),
            }
        }
        out
    }
}

impl Unseen {
    /// `column 'island': 5 rows with 2 values not seen in training ('Atlantis', 'Mars')
    /// <place>; encoded as all zeros`.
    fn line(&self, place: &str) -> String {
        let (rows, k) = (self.rows(), self.values.len());
        let mut examples: Vec<String> = self
            .values
            .keys()
            .take(MAX_EXAMPLES)
            .map(|v| format!("'{v}'"))
            .collect();
        if k > MAX_EXAMPLES {
            examples.push("…".into());
        }
        let how = if self.embedded {
            "read as row 0 of its embedding table (zeros)"
        } else {
            "encoded as all zeros"
        };
        format!(
            "column '{}': {rows} row{} with {k} value{} not seen in training ({}){place}; {how}",
            self.column,
            if rows == 1 { "" } else { "s" },
            if k == 1 { "" } else { "s" },
            examples.join(", ")
        )
    }
}

impl fmt::Display for Unseen {
    /// The line without rows: `column 'island': 5 rows with 2 values not seen in training
    /// ('Atlantis', 'Mars'); encoded as all zeros`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_column_with_three_examples_at_most() {
        let mut a = Unseen::default();
        for (row, v) in [(4, "d4"), (7, "d1"), (9, "d2"), (12, "d1"), (20, "d3")] {
            a.add(v, row);
        }
        let a = a.named("date").unwrap();
        let mut b = Unseen::default();
        b.add("d9", 1);
        let merged = Unseen::merge([a, b.named("date").unwrap()]);
        assert_eq!(merged.len(), 1);
        assert_eq!(
            merged[0].to_string(),
            "column 'date': 6 rows with 5 values not seen in training ('d1', 'd2', 'd3', …); \
             encoded as all zeros"
        );
        assert!(Unseen::default().named("x").is_none());
        // The first rows of both splits, by line (and output row); "…" when more hold one.
        assert_eq!(merged[0].first_rows, [1, 4, 7]);
        let lines: Vec<usize> = (0..30).map(|r| r + 2 + r / 5).collect();
        assert_eq!(
            merged[0].located(&lines, true),
            "column 'date': 6 rows with 5 values not seen in training ('d1', 'd2', 'd3', …), \
             first on lines 3, 6, 10, … (output rows 2, 5, 8, …); encoded as all zeros"
        );
        let mut one = Unseen::default();
        one.add("z", 0);
        let one = one.named("c").unwrap().located(&[2], false);
        assert!(
            one.ends_with("not seen in training ('z'), first on line 2; encoded as all zeros"),
            "{one}"
        );
    }
}
