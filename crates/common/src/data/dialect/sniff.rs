//! The delimiter, guessed as pandas' `sep=None` and Python's `csv.Sniffer` do, but strictly:
//! a candidate (`,` `;` tab `|`) fits when, read with the CSV reader (so quoted fields may hold
//! delimiters and newlines), the header and the first data rows all have the same number of
//! fields, at least two. One fitting candidate is the answer; none leaves `,` (the reader's
//! errors then say what is wrong); several are an error that lists them and the key to set.

use super::{delimiter_name, CANDIDATES};

/// Records (header included) read to judge a candidate.
pub const SAMPLE_RECORDS: usize = 100;

/// The field counts of the first [`SAMPLE_RECORDS`] non-blank records of `text` read with
/// `delimiter`, or `None` when the reader fails (an unterminated quote, say).
fn field_counts(text: &[u8], delimiter: u8) -> Option<Vec<usize>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text);
    let mut counts = Vec::new();
    let mut rec = csv::ByteRecord::new();
    while counts.len() < SAMPLE_RECORDS {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {
                let blank = rec.len() == 1 && rec[0].iter().all(u8::is_ascii_whitespace);
                if !blank {
                    counts.push(rec.len());
                }
            }
            Ok(false) => break,
            Err(_) => return None,
        }
    }
    Some(counts)
}

/// The delimiter of `text` (UTF-8 CSV): the one candidate that fits, `,` when none does, and
/// an error message naming the candidates when several do.
pub fn sniff_delimiter(text: &[u8]) -> Result<u8, String> {
    sniff_delimiter_preferring(text, None)
}

/// [`sniff_delimiter`], settling the two open cases with `preferred` (the training file's
/// delimiter, when new rows are read for a model): it is taken when no candidate fits, and
/// when it is among several that do.
pub fn sniff_delimiter_preferring(text: &[u8], preferred: Option<u8>) -> Result<u8, String> {
    let fitting: Vec<(u8, usize)> = CANDIDATES
        .iter()
        .filter_map(|&d| {
            let counts = field_counts(text, d)?;
            let first = *counts.first()?;
            (first >= 2 && counts.iter().all(|&c| c == first)).then_some((d, first))
        })
        .collect();
    match fitting[..] {
        [] => Ok(preferred.unwrap_or(b',')),
        [(d, _)] => Ok(d),
        _ if preferred.is_some_and(|p| fitting.iter().any(|&(d, _)| d == p)) => {
            Ok(preferred.unwrap_or(b','))
        }
        _ => {
            let list: Vec<String> = fitting
                .iter()
                .map(|&(d, n)| format!("{} gives {n} fields", delimiter_name(d)))
                .collect();
            Err(format!(
                "cannot tell the delimiter: on the header and the first rows {}; set \
                 data.delimiter to the right one (\",\", \";\", \"|\" or \"tab\"; \
                 --delimiter for predict and eval)",
                list.join(", ")
            ))
        }
    }
}

/// The candidates other than `used` that occur in `header_line` (raw text), with their
/// counts: the evidence for "this file uses another delimiter".
pub fn other_delimiters_in(header_line: &str, used: u8) -> Vec<(u8, usize)> {
    CANDIDATES
        .iter()
        .filter(|&&d| d != used)
        .map(|&d| (d, header_line.bytes().filter(|&b| b == d).count()))
        .filter(|&(_, n)| n > 0)
        .collect()
}
