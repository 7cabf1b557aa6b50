//! Whether a column the rules keep is really an index of the rows (named like one, or
//! holding its rows' numbers in file order), and `data.keep`, which keeps any column.

use super::{rules, Kind};

/// Rules 4½ and 9½: a column named like a row index, or holding its rows' numbers, is an
/// identifier; a kept numeric column of distinct integers says so in its `why`.
pub(super) fn identifier(
    name: &str,
    (kind, why, levels): (Kind, String, Option<usize>),
    cells: &[String],
    train: &[usize],
    na: &[String],
) -> (Kind, String, Option<usize>) {
    if !kind.is_kept() {
        return (kind, why, levels);
    }
    if rules::is_index_name(name) {
        let why = format!("named like a row index ('{name}'); data.keep keeps it");
        return (Kind::Identifier, why, None);
    }
    if kind != Kind::Numeric {
        return (kind, why, levels);
    }
    if let Some(why) = rules::row_numbers(cells, train, na) {
        return (Kind::Identifier, format!("{why}; data.keep keeps it"), None);
    }
    match rules::unique_integers(cells, train, na) {
        Some(note) => (kind, note, levels),
        None => (kind, why, levels),
    }
}

/// `data.keep`: a column the rules would drop is kept, numeric when every training value is a
/// number, else categorical over its training levels.
pub(super) fn kept(
    (kind, why, levels): (Kind, String, Option<usize>),
    cells: &[String],
    train: &[usize],
    na: &[String],
) -> (Kind, String, Option<usize>) {
    if kind.is_kept() {
        return (kind, "kept by data.keep".into(), levels);
    }
    let note = format!("kept by data.keep; the rules said {}: {why}", kind.label());
    let counts = rules::levels(cells, train, na);
    if counts.keys().all(|v| v.trim().parse::<f64>().is_ok()) && !counts.is_empty() {
        (Kind::Numeric, note, None)
    } else {
        (Kind::Categorical, note, Some(counts.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{cells, cfg, ds, flipper, kind_of};
    use super::super::{Kind, Schema};

    #[test]
    fn row_numbers_and_index_names_are_identifiers_unless_kept() {
        let n = 40;
        // Training rows out of order, as a shuffled split gives them.
        let train: Vec<usize> = (0..n).rev().step_by(2).chain((0..n).step_by(2)).collect();
        let cols = [
            ("rownames", cells(|i| format!("{}", i + 1), n)),
            ("row", cells(|i| format!("{}", i + 1), n)),
            ("zero_based", cells(|i| format!("{i}"), n)),
            ("Unnamed: 0", cells(|i| format!("{}", 3 * i), n)),
            ("ID", cells(|i| format!("P{}", i % 7), n)),
            ("tag", cells(|i| format!("{}", (i * 7919) % 1009), n)),
            ("flipper_mm", cells(flipper, n)),
        ];
        let s = Schema::infer(&ds(&cols), &train, &cfg()).unwrap();
        use Kind::*;
        let kinds: Vec<Kind> = s.columns.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [Identifier, Identifier, Identifier, Identifier, Identifier, Numeric, Numeric]
        );
        assert!(
            s.columns[1].why.contains("row numbers 1…40 in file order"),
            "{}",
            s.columns[1].why
        );
        assert!(
            s.columns[2].why.contains("row numbers 0…39"),
            "{}",
            s.columns[2].why
        );
        assert!(
            s.columns[3].why.contains("named like a row index"),
            "{}",
            s.columns[3].why
        );
        // Distinct integers in another order: kept, with a note the report shows.
        assert!(
            s.columns[5]
                .why
                .contains("distinct integer, not in row order"),
            "{}",
            s.columns[5].why
        );
        assert!(
            s.report()
                .contains("dropped: identifier (its values are the row numbers"),
            "{}",
            s.report()
        );
        // One row out of place: not row numbers.
        let shifted = [(
            "row",
            cells(|i| format!("{}", if i == 5 { 99 } else { i + 1 }), n),
        )];
        assert_eq!(kind_of(&shifted, &train, &cfg()), [Numeric]);
        // data.keep keeps a column whatever the rules say.
        let mut c = cfg();
        c.keep = vec!["row".into(), "ID".into()];
        let s = Schema::infer(&ds(&cols), &train, &c).unwrap();
        assert_eq!(
            (s.columns[1].kind, s.columns[4].kind),
            (Numeric, Categorical)
        );
        assert!(s.columns[1]
            .why
            .starts_with("kept by data.keep; the rules said identifier"));
    }
}
