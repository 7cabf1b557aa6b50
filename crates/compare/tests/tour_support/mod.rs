//! The README test's reading of Markdown: shell blocks, their `# you should see:` lines and the
//! lines marked as not run; and the copy of the repository each block runs in.

use std::path::Path;

/// What marks a command (at the end of its line) or a whole block (on a comment line of its
/// own) as not run.
pub const MARK: &str = "# not run by the README test";
/// What introduces an expected line.
pub const SEE: &str = "# you should see:";
/// What the script prints between two groups of commands, to cut the output into segments.
const CUT: &str = "@@readme-test-cut@@";

/// One shell block, ready to run.
#[derive(Debug)]
pub struct Block {
    /// The README line of the opening fence (1-based).
    pub line: usize,
    /// The block's commands, with a cut printed where expected lines were.
    pub script: String,
    /// Expected lines, each with the segment of output it must be found in.
    pub expect: Vec<(usize, String)>,
}

/// The shell blocks of `markdown`, and the first line of each command or block left out.
pub fn parse(markdown: &str) -> (Vec<Block>, Vec<String>) {
    let mut blocks = Vec::new();
    let mut left_out = Vec::new();
    let mut lines = markdown.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let fence = line.trim_end();
        if fence != "```sh" && fence != "```bash" {
            continue;
        }
        let body: Vec<&str> = lines
            .by_ref()
            .map(|(_, l)| l)
            .take_while(|l| l.trim_end() != "```")
            .collect();
        // A comment line of its own that holds the mark leaves the whole block out.
        if body.iter().any(|l| l.trim_start().starts_with(MARK)) {
            let first = body.iter().find(|l| !l.trim_start().starts_with(MARK));
            left_out.push(command(first.copied().unwrap_or("")));
            continue;
        }
        blocks.push(block(i + 1, &body, &mut left_out));
    }
    (blocks, left_out)
}

/// One block's script and expectations; marked commands go to `left_out`.
fn block(line: usize, body: &[&str], left_out: &mut Vec<String>) -> Block {
    let mut script = String::new();
    let mut expect = Vec::new();
    let mut segment = 0;
    let mut skipping = false;
    let mut after_see = false;
    for l in body {
        if skipping {
            skipping = l.trim_end().ends_with('\\');
            continue;
        }
        if let Some(text) = l.trim_start().strip_prefix(SEE) {
            if !after_see {
                script.push_str(&format!("echo '{CUT}'\n"));
                segment += 1;
            }
            after_see = true;
            expect.push((segment - 1, text.trim().to_string()));
            continue;
        }
        after_see = false;
        if let Some(at) = l.find(MARK) {
            left_out.push(command(&l[..at]));
            skipping = l[..at].trim_end().ends_with('\\');
            continue;
        }
        script.push_str(l);
        script.push('\n');
    }
    Block {
        line,
        script,
        expect,
    }
}

/// A command line without its trailing comment, trimmed.
fn command(line: &str) -> String {
    let line = line.trim();
    line.find(" #")
        .map_or(line, |at| &line[..at])
        .trim()
        .to_string()
}

/// Whether `line` holds the pieces of `pattern` between its `…`, in order.
pub fn matches(line: &str, pattern: &str) -> bool {
    let mut rest = line;
    for (k, piece) in pattern.split('…').enumerate() {
        match rest.find(piece) {
            // The first piece may start anywhere: an expected line is a part of a line.
            Some(at) if k == 0 || !piece.is_empty() => rest = &rest[at + piece.len()..],
            Some(_) => {}
            None => return false,
        }
    }
    true
}

impl Block {
    /// What the output lacks, or `None` when every expected line is there.
    pub fn check(&self, output: &str) -> Option<String> {
        let segments: Vec<&str> = output.split(&format!("{CUT}\n")).collect();
        let missing: Vec<String> = self
            .expect
            .iter()
            .filter(|(k, want)| {
                let seg = segments.get(*k).copied().unwrap_or("");
                !seg.lines().any(|l| matches(l, want))
            })
            .map(|(k, want)| {
                let seg = segments.get(*k).copied().unwrap_or("");
                let lines: Vec<&str> = seg.lines().collect();
                let tail = lines[lines.len().saturating_sub(15)..].join("\n");
                format!(
                    "expected a line matching `{want}`; the commands printed (last lines):\n{tail}"
                )
            })
            .collect();
        (!missing.is_empty()).then(|| missing.join("\n"))
    }
}

/// Copies the repository's own files (not the build, the venv, git or run outputs) to `to`.
pub fn copy_repository(from: &Path, to: &Path) {
    const SKIPPED: &[&str] = &["target", ".venv", ".git", "checkpoints", "runs", "sweeps"];
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read the repository") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        let (src, dst) = (entry.path(), to.join(&name));
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            if !SKIPPED.contains(&name.to_str().unwrap_or("")) {
                copy_repository(&src, &dst);
            }
        } else if kind.is_file() {
            std::fs::copy(&src, &dst).expect("copy a file");
        }
    }
}

#[test]
fn an_ellipsis_stands_for_anything_within_a_line() {
    assert!(matches("accuracy   0.9916", "accuracy   0.9…"));
    assert!(matches(
        "x epoch=020 a=1 val_acc=0.99 y",
        "epoch=020 … val_acc=0.99"
    ));
    assert!(!matches(
        "val_acc=0.99 epoch=020",
        "epoch=020 … val_acc=0.99"
    ));
    assert!(!matches("accuracy   0.8916", "accuracy   0.9…"));
}
