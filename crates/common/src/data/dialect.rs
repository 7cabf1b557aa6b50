//! CSV dialects as spreadsheets export them: the delimiter (`,` `;` tab `|`), the decimal mark
//! (`.` or `,`, with thousands separators where unambiguous) and the text encoding (UTF-8,
//! Windows-1252, Latin-1, UTF-16). A file is decoded to UTF-8 first ([`decode`]), its delimiter
//! guessed from the header and first rows unless `data.delimiter` names it ([`sniff`]), and its
//! number cells rewritten in the one syntax every reader parses ([`numbers`]). The resolved
//! [`Dialect`] is printed with the schema and saved with it, so `predict` and `eval` read new
//! rows the way the training file was read.

pub mod decode;
pub mod numbers;
pub mod sniff;

use serde::{Deserialize, Serialize};

/// A text encoding a CSV file may be in (`data.encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark (the default).
    #[default]
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    /// Windows-1252 (Western European Windows exports; a superset of Latin-1's printable
    /// characters, as browsers read `latin1`).
    #[serde(rename = "windows-1252", alias = "cp1252")]
    Windows1252,
    /// ISO-8859-1: every byte is the code point of the same value.
    #[serde(rename = "latin-1", alias = "latin1", alias = "iso-8859-1")]
    Latin1,
    /// UTF-16, little-endian unless a byte-order mark says otherwise (pandas and Excel write
    /// one).
    #[serde(rename = "utf-16", alias = "utf16")]
    Utf16,
}

impl Encoding {
    /// An encoding by name, as configs and flags write it, ignoring case (`utf-8`, `utf8`,
    /// `windows-1252`, `cp1252`, `latin-1`, `latin1`, `iso-8859-1`, `utf-16`, `utf16`).
    pub fn parse(name: &str) -> Option<Encoding> {
        match name.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "windows-1252" | "cp1252" => Some(Encoding::Windows1252),
            "latin-1" | "latin1" | "iso-8859-1" => Some(Encoding::Latin1),
            "utf-16" | "utf16" => Some(Encoding::Utf16),
            _ => None,
        }
    }

    /// The name a config uses (`utf-8`, `windows-1252`, `latin-1`, `utf-16`).
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Windows1252 => "windows-1252",
            Encoding::Latin1 => "latin-1",
            Encoding::Utf16 => "utf-16",
        }
    }
}

/// A decimal mark (`data.decimal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decimal {
    /// `1.5`, with `,` as an optional thousands separator (`1,234.5`) when the delimiter is
    /// not `,`.
    #[serde(rename = ".")]
    Dot,
    /// `1,5`, with `.` as an optional thousands separator (`1.234,5`).
    #[serde(rename = ",")]
    Comma,
}

/// How the numbers of one column were written, when not in the plain syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NumberFormat {
    /// A decimal comma, `.` grouping thousands: `2,5`, `1.234,56`.
    #[serde(rename = "decimal comma")]
    DecimalComma,
    /// A decimal point, `,` grouping thousands: `1,234.56`.
    #[serde(rename = "thousands comma")]
    ThousandsComma,
}

impl NumberFormat {
    /// In words, for the schema table.
    pub fn label(self) -> &'static str {
        match self {
            NumberFormat::DecimalComma => "decimal comma",
            NumberFormat::ThousandsComma => "thousands separator ','",
        }
    }
}

/// What a config asks for: `None` = detect.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DialectOptions {
    /// `data.delimiter`.
    pub delimiter: Option<u8>,
    /// `data.decimal`.
    pub decimal: Option<Decimal>,
    /// `data.encoding` (`None`: UTF-8, or UTF-16 when the file starts with its byte-order mark).
    pub encoding: Option<Encoding>,
}

/// The dialect a file was read in, as saved with the schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dialect {
    /// The field delimiter.
    pub delimiter: char,
    /// Whether the delimiter was guessed (`false`: `data.delimiter` named it).
    pub sniffed: bool,
    /// The encoding the bytes were decoded from.
    pub encoding: Encoding,
    /// The columns whose numbers were not in the plain syntax, and how they were written.
    pub number_formats: Vec<(String, NumberFormat)>,
}

impl Dialect {
    /// True for what every file was read as before dialects existed (comma, UTF-8, plain
    /// numbers): such a dialect is not saved, so those checkpoints keep their bytes.
    pub fn is_plain(&self) -> bool {
        self.delimiter == ',' && self.encoding == Encoding::Utf8 && self.number_formats.is_empty()
    }

    /// How column `name`'s numbers were written, if not plainly.
    pub fn format_of(&self, name: &str) -> Option<NumberFormat> {
        self.number_formats
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, f)| f)
    }

    /// One line for the schema report: `read as: delimiter ';' (detected), encoding
    /// windows-1252, decimal comma in 3 columns`.
    pub fn describe(&self) -> String {
        let how = if self.sniffed {
            "detected"
        } else {
            "data.delimiter"
        };
        let mut s = format!(
            "read as: delimiter {} ({how}), encoding {}",
            delimiter_name(self.delimiter as u8),
            self.encoding.name()
        );
        for format in [NumberFormat::DecimalComma, NumberFormat::ThousandsComma] {
            let n = self
                .number_formats
                .iter()
                .filter(|(_, f)| *f == format)
                .count();
            if n > 0 {
                let cols = if n == 1 { "column" } else { "columns" };
                s.push_str(&format!(", {} in {n} {cols}", format.label()));
            }
        }
        s
    }
}

/// A delimiter as a config writes it: `','`, `';'`, `'|'`, or `tab`.
pub fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "tab".to_string(),
        d => format!("'{}'", d as char),
    }
}

/// The delimiters the sniffer considers, in order of preference when only one fits.
pub const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Parses `data.delimiter`: one of `,` `;` `|`, a tab character, or the word `tab`.
pub fn parse_delimiter(s: &str) -> Option<u8> {
    match s {
        "tab" | "\t" | "\\t" => Some(b'\t'),
        "," => Some(b','),
        ";" => Some(b';'),
        "|" => Some(b'|'),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
