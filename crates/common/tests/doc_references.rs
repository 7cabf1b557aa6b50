//! References resolve: every repository path named in a doc comment (`//!`, `///`) or in a
//! Markdown file exists, so the words a learner follows never send them to a file the project
//! does not have.
//!
//! What counts as a reference: a token ending in `.rs`, `.md`, `.toml`, `.sh` or `.py` with a
//! folder in it (`ops/linear.rs`, `scripts/libtorch.sh`), and any bare `.rs`, `.md`, `.toml` or
//! `.sh` name (`flops.rs`, a capitalised design note). Bare `.py` names are the chapter's own files
//! (`train.py`, `layers.py`), not ours. A reference resolves against the repository root, the
//! citing file's folder, its crate's root, `src/` or `tests/`, or as the tail of a path in the
//! repository (`spec/flops.rs`). Not checked, with reason: run outputs (`checkpoints/…`,
//! `runs/…`, `sweeps/…`, the names in [`GENERATED`]) and placeholders (`DIR/…`, `dir/…`, any
//! token holding `…`, and `my.…` / `my_…`, files the reader writes).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Files the binaries write into run, sweep or compare folders: named in docs, never in git.
const GENERATED: &[&str] = &["report.md", "summary.md"];

/// Folders that are not the project's text (build output, the venv, run outputs).
const SKIPPED_DIRS: &[&str] = &["target", ".venv", ".git", "checkpoints", "runs", "sweeps"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every file under `dir`, relative to the repository root, skipping [`SKIPPED_DIRS`] (but
/// keeping `checkpoints/README.md`, which is tracked).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("dir entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !SKIPPED_DIRS.contains(&name) {
                walk(&path, out);
            }
        } else {
            out.push(path.strip_prefix(root()).expect("under root").to_path_buf());
        }
    }
}

fn repository_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    walk(&root(), &mut files);
    files.push(PathBuf::from("checkpoints/README.md"));
    files
}

/// `a/{b,c}/d` → `a/b/d`, `a/c/d` (shell brace expansion, as the README writes paths of
/// both binaries' crates); other words unchanged.
fn expand_braces(word: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (word.find('{'), word.find('}')) else {
        return vec![word.to_string()];
    };
    if close < open {
        return vec![word.to_string()];
    }
    let (head, tail) = (&word[..open], &word[close + 1..]);
    word[open + 1..close]
        .split(',')
        .flat_map(|alt| expand_braces(&format!("{head}{alt}{tail}")))
        .collect()
}

/// The path-like tokens of `line` that count as references (see the module doc).
fn references(line: &str) -> Vec<String> {
    // `…` stays inside a token (`checkpoints/compare-chapter…/report.md`), which then counts as
    // a placeholder.
    let is_path_char = |c: char| c.is_alphanumeric() || "_.-/…".contains(c);
    let words: Vec<String> = line
        .split(|c: char| c.is_whitespace() || c == '`')
        .flat_map(expand_braces)
        .collect();
    words
        .iter()
        .flat_map(|w| w.split(|c: char| !is_path_char(c)))
        .map(|t| t.trim_end_matches('.'))
        .filter(|t| {
            let with_folder = t.contains('/');
            let ext = t.rsplit_once('.').map_or("", |(_, e)| e);
            match ext {
                "rs" | "md" | "toml" | "sh" => t.len() > ext.len() + 1,
                "py" => with_folder,
                _ => false,
            }
        })
        .filter(|t| {
            let first = t.split('/').next().unwrap_or("");
            // `my.toml`, `my_penguins.toml`: a file the reader writes (`init-config > my.toml`).
            let users = t.starts_with("my.") || t.starts_with("my_");
            let placeholder =
                matches!(first, "DIR" | "dir" | "..." | "docs.rs") || t.contains('…') || users;
            let output = matches!(first, "checkpoints" | "runs" | "sweeps");
            !placeholder && !output && !GENERATED.contains(t) && !t.starts_with("//")
        })
        .map(str::to_string)
        .collect()
}

/// The lines of `file` that are documentation: doc comments in Rust, everything in Markdown.
fn doc_lines(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(file)).unwrap_or_default();
    match file.extension().and_then(|e| e.to_str()) {
        Some("rs") => text
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with("//!") || l.starts_with("///"))
            .map(str::to_string)
            .collect(),
        Some("md") => text.lines().map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

/// Whether `reference`, cited in `file`, names a file or folder of the repository.
fn resolves(reference: &str, file: &Path, files: &BTreeSet<PathBuf>) -> bool {
    let dir = file.parent().unwrap_or(Path::new(""));
    let mut bases = vec![PathBuf::new(), dir.to_path_buf()];
    let mut parts = file.components();
    if let (Some(a), Some(b)) = (parts.next(), parts.next()) {
        if a.as_os_str() == "crates" {
            let krate = Path::new("crates").join(b);
            bases.extend([krate.join("src"), krate.join("tests"), krate]);
        }
    }
    let top = root().canonicalize().expect("repository root");
    // Inside the repository only: `../shared/DESIGN.md` is not the project's file.
    let exists = |p: &Path| {
        let full = root().join(p);
        full.canonicalize().is_ok_and(|c| c.starts_with(&top))
    };
    bases.iter().any(|b| exists(&b.join(reference)))
        // `Path::ends_with` compares whole components: `spec/flops.rs`, not `ps.rs`.
        || files.iter().any(|f| f.ends_with(reference))
}

#[test]
fn every_path_named_in_the_docs_exists() {
    let files: BTreeSet<PathBuf> = repository_files().into_iter().collect();
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in &files {
        for line in doc_lines(file) {
            for reference in references(&line) {
                checked += 1;
                if !resolves(&reference, file, &files) {
                    broken.push(format!(
                        "{}: `{reference}` ({})",
                        file.display(),
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} references found: is the walk right?"
    );
    assert!(
        broken.is_empty(),
        "references to files that do not exist:\n{}",
        broken.join("\n")
    );
}

/// The checker catches a planted fault: the citation this test was written for (a doc comment
/// in `float.rs` citing the design note, which the repository does not have) and a moved
/// module.
#[test]
fn a_missing_file_is_caught() {
    let files: BTreeSet<PathBuf> = repository_files().into_iter().collect();
    let cited_in = Path::new("crates/scratch/src/float.rs");
    let planted = "//! and bit-for-bit parity with libtorch (DESIGN.md, \"Numbers\").";
    let refs = references(planted);
    assert_eq!(refs, ["DESIGN.md"]);
    assert!(!resolves("DESIGN.md", cited_in, &files));
    assert!(!resolves(
        "ops/gemm.rs",
        Path::new("crates/scratch/src/ops.rs"),
        &files
    ));
    // And the real ones resolve: crate-relative, tail-of-path and root-relative.
    assert!(resolves(
        "ops/linear.rs",
        Path::new("crates/scratch/src/ops.rs"),
        &files
    ));
    assert!(resolves("spec/flops.rs", Path::new("README.md"), &files));
    assert!(resolves(
        "scripts/libtorch.sh",
        Path::new("Makefile"),
        &files
    ));
}

/// The backticked file names in the paragraph of `doc` that starts with `opening`.
fn files_listed(doc: &str, opening: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join(doc)).expect(doc);
    let start = text
        .find(opening)
        .unwrap_or_else(|| panic!("{doc}: no paragraph starting '{opening}'"));
    let paragraph = text[start..].split("\n\n").next().unwrap_or("");
    paragraph
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| !t.contains(['/', ' ', '<', ':']) && t.contains('.'))
        .filter(|t| !t.starts_with("train.") && !t.starts_with("common"))
        .map(str::to_string)
        .collect()
}

/// The run-folder file lists in the docs are `common::fit::RUN_FILES`, no more, no less.
#[test]
fn the_docs_list_exactly_the_run_folder_files() {
    let want: BTreeSet<String> = common::fit::RUN_FILES
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (doc, opening) in [
        ("README.md", "Every run writes a folder"),
        (
            "docs/ROBUSTNESS.md",
            "A run folder holds exactly the files of one list",
        ),
        ("checkpoints/README.md", "Run folders land here"),
    ] {
        assert_eq!(files_listed(doc, opening), want, "{doc}");
    }
}
