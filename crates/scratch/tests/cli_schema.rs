//! The column schema through the real binary, on a raw export as a new user would try it
//! (built here): a row-number column (R's `write.csv` writes one), per-row sample IDs, an individual ID measured twice, dates, free-text
//! comments, constant and empty columns, mixed missing tokens, a category with rare levels.
//! `train` prints the schema table and writes `schema.txt`; only the measurements and real
//! categories reach the first layer; warnings are at most one line per column; a typo in a
//! numeric column is an error naming column, row and token; `predict` reads raw rows with
//! missing values, an extra column and columns in another order, and names a missing column.

mod cli_support;

use cli_support::*;
use std::path::Path;

const SPECIES: [&str; 3] = ["Adelie", "Chinstrap", "Gentoo"];

/// A deterministic pseudo-random number in `[0, 1)` for row `i`, stream `s`.
fn u(i: usize, s: usize) -> f64 {
    let mut x = (i as u64 + 1).wrapping_mul(6364136223846793005) ^ (s as u64 + 7) << 32;
    x ^= x >> 29;
    x = x.wrapping_mul(0xbf58476d1ce4e5b9);
    x ^= x >> 32;
    (x % 1_000_000) as f64 / 1e6
}

/// One row of the raw export (species first, as in the file).
fn row(i: usize) -> String {
    let k = i % 3;
    let missing = ["NA", "", "?", "n/a"][i % 4];
    let bill = [38.8, 48.8, 47.5][k] + 5.0 * (u(i, 1) - 0.5);
    let bill = if i % 37 == 5 {
        missing.to_string()
    } else {
        format!("{bill:.1}")
    };
    let flipper = ([190.0, 196.0, 217.0][k] + 12.0 * (u(i, 2) - 0.5)).round();
    let mass = [3700.0, 3733.0, 5076.0][k] + 600.0 * (u(i, 3) - 0.5);
    let mass = if i % 41 == 7 {
        "null".to_string()
    } else {
        format!("{}", mass.round())
    };
    let island = match k {
        0 => ["Torgersen", "Biscoe", "Dream"][i % 3 / 2 + (i / 3) % 2],
        1 => "Dream",
        _ => "Biscoe",
    };
    let sex = if i % 23 == 3 {
        missing
    } else {
        ["MALE", "FEMALE"][(i / 3) % 2]
    };
    let nest = match i % 50 {
        49 => format!("rare site {i}"),
        n => format!("site {}", n % 6),
    };
    let comment = match i % 3 {
        0 => format!("Nest never observed with full clutch, visit {}", i / 3),
        _ => String::new(),
    };
    format!(
        "{},{},PAL0708-{:04},N{}A{},2007-11-{:02},Anvers,{island},{bill},{flipper},{mass},{sex},\
         {nest},\"{comment}\",NA\n",
        i + 1,
        SPECIES[k],
        i + 1,
        i / 2 + 1,
        i / 2 % 2 + 1,
        i % 28 + 1,
    )
}

/// The raw export: 300 rows.
fn messy() -> String {
    let mut text = String::from(
        "obs,species,sample_id,individual_id,date_egg,region,island,bill_length_mm,\
         flipper_length_mm,body_mass_g,sex,nest_site,comments,delta_13c\n",
    );
    (0..300).for_each(|i| text.push_str(&row(i)));
    text
}

fn train_args<'a>(out: &'a str, path: &'a str, quiet: bool) -> Vec<String> {
    let mut a: Vec<String> = ["train", "--config", "configs/penguins.toml", "--out", out]
        .map(String::from)
        .to_vec();
    for set in [format!("data.path=\"{path}\""), "train.epochs=3".into()] {
        a.extend(["--set".into(), set]);
    }
    if quiet {
        a.push("--quiet".into());
    }
    a
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The number of features the schema report announces.
fn features(report: &str) -> usize {
    let tail = report.split(" kept (").nth(1).expect("summary line");
    tail.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn a_raw_export_trains_on_its_measurements_and_categories_only() {
    let dir = workdir();
    std::fs::write(dir.path().join("raw.csv"), messy()).unwrap();
    let (ok, _, err) = run(dir.path(), &strs(&train_args("run", "raw.csv", false)));
    assert!(ok, "{err}");
    let report = std::fs::read_to_string(dir.path().join("run/schema.txt")).unwrap();
    assert!(err.contains(&report), "train printed the schema:\n{err}");
    for (column, treatment) in [
        (
            "obs",
            "dropped: identifier (its values are the row numbers 1…300 in file order",
        ),
        ("sample_id", "dropped: identifier ("),
        ("individual_id", "dropped: identifier ("),
        ("date_egg", "dropped: date/time ("),
        ("region", "dropped: constant (every value is 'Anvers')"),
        ("comments", "dropped: free text ("),
        ("delta_13c", "dropped: empty (all "),
        ("island", "one-hot, 3 levels"),
        ("bill_length_mm", "standardized, missing → train mean"),
        ("flipper_length_mm", "standardized"),
        ("body_mass_g", "standardized, missing → train mean"),
        ("sex", "one-hot, 2 levels, missing → most frequent"),
        ("nest_site", "one-hot, "),
    ] {
        let line = report
            .lines()
            .find(|l| l.starts_with(&format!("{column} ")))
            .unwrap_or_else(|| panic!("no line for {column}:\n{report}"));
        assert!(line.contains(treatment), "{column}: {line}");
    }
    // Numbers and real categories only: 3 measurements, island 3, sex 2, the nest sites.
    let nest = report.lines().find(|l| l.starts_with("nest_site")).unwrap();
    let levels: usize = nest
        .split("one-hot, ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(features(&report), 3 + 3 + 2 + levels, "{report}");
    assert!(levels < 12, "{report}");
    // At most one warning line per column (the rare nest sites of val/test rows).
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning: ")).collect();
    for w in &warnings {
        let column = w
            .split("column '")
            .nth(1)
            .map(|c| c.split('\'').next().unwrap());
        let same = warnings
            .iter()
            .filter(|o| column.is_some_and(|c| o.contains(&format!("column '{c}'"))))
            .count();
        assert!(same <= 1, "one line per column: {warnings:#?}");
    }
    assert!(warnings.len() <= 1, "{warnings:#?}");

    // Raw rows for predict: missing values, columns in another order, one extra column, no
    // dropped ones, no target.
    let rows = "sex,island,bill_length_mm,flipper_length_mm,body_mass_g,nest_site,ring\n\
                FEMALE,Dream,NA,195,3650,site 2,R17\n\
                ,Biscoe,47.1,?,5200,rare site 999,R18\n";
    std::fs::write(dir.path().join("new.csv"), rows).unwrap();
    let args = [
        "predict",
        "--checkpoint",
        "run/best.safetensors",
        "--input",
        "new.csv",
    ];
    let (ok, out, err) = run(dir.path(), &args);
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 3, "{out}");
    let notes: Vec<&str> = err.lines().filter(|l| l.contains("ignoring")).collect();
    assert_eq!(notes.len(), 1, "{err}");
    assert!(
        notes[0].contains("1 column the model does not use: ring"),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.contains("nest_site")).count(),
        1,
        "{err}"
    );

    // A column the model needs is missing: an error naming it.
    std::fs::write(dir.path().join("short.csv"), "island,sex\nDream,MALE\n").unwrap();
    let args = [
        "predict",
        "--checkpoint",
        "run/best.safetensors",
        "--input",
        "short.csv",
    ];
    let line = assert_clean_error(dir.path(), &args, "short.csv");
    assert!(
        line.contains("column 'bill_length_mm'") && line.contains("missing column"),
        "{line}"
    );
}

#[test]
fn a_typo_in_a_numeric_column_is_an_error_with_the_fixes() {
    let dir = workdir();
    let text = messy();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Line 58 of the file (data row 57): its flipper length becomes '0.4o2'.
    let mut cells: Vec<String> = lines[57].split(',').map(str::to_string).collect();
    cells[8] = "0.4o2".into(); // after obs, species, …, bill_length_mm
    lines[57] = cells.join(",");
    std::fs::write(
        Path::new(dir.path()).join("typo.csv"),
        lines.join("\n") + "\n",
    )
    .unwrap();
    let line = assert_clean_error(
        dir.path(),
        &strs(&train_args("run", "typo.csv", true)),
        "typo.csv",
    );
    assert_eq!(
        line,
        "error: typo.csv: row 58 column 'flipper_length_mm': '0.4o2' is not a number, but 299 of \
         300 values are; correct the file, list the token as missing (data.na_values), or \
         declare the column categorical (data.categorical)"
    );
    assert!(
        !dir.path().join("run").exists(),
        "a refused run leaves no folder"
    );
    // The advice works: the token listed as missing, the file trains.
    let mut args = train_args("run", "typo.csv", true);
    args.extend([
        "--set".into(),
        "data.na_values=[\"NA\", \"?\", \"n/a\", \"null\", \"0.4o2\"]".into(),
    ]);
    let (ok, _, err) = run(dir.path(), &strs(&args));
    assert!(ok, "{err}");
}

/// A table as R's `write.csv` writes it (the row names first, under an empty header, every
/// field quoted), started with `--csv`/`--target` only: the unnamed column reads as pandas
/// names it and is dropped as an identifier; the rest trains.
#[test]
fn an_r_export_with_an_unnamed_row_name_column_trains_without_it() {
    let dir = workdir();
    let mut text = String::from("\"\",\"x\",\"colour\",\"y\"\n");
    for i in 0..60 {
        let colour = ["red", "green", "blue"][i % 3];
        let y = if (i * 7) % 10 < 4 { "yes" } else { "no" };
        text.push_str(&format!(
            "\"{}\",{:.3},\"{colour}\",\"{y}\"\n",
            i + 1,
            u(i, 3) * 4.0
        ));
    }
    let path = write(dir.path(), "r_export.csv", &text);
    let args = [
        "train",
        "-q",
        "--csv",
        &path,
        "--target",
        "y",
        "--set",
        "train.epochs=2",
        "--out",
        "run",
    ];
    let (ok, _, err) = run(dir.path(), &args);
    assert!(ok, "{err}");
    let schema = std::fs::read_to_string(dir.path().join("run/schema.txt")).unwrap();
    let line = schema
        .lines()
        .find(|l| l.starts_with("Unnamed: 0"))
        .unwrap_or_else(|| panic!("{schema}"));
    assert!(
        line.contains("identifier") && line.contains("named like a row index"),
        "{line}"
    );
    assert!(
        schema.contains("2 kept (4 features), 1 dropped"),
        "{schema}"
    );
}
