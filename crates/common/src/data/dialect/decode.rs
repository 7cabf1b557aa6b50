//! Bytes to UTF-8: the file's encoding (`data.encoding`, or UTF-8 by default and UTF-16 when
//! the file starts with its byte-order mark) decoded once, before anything parses the text.
//! A file that is not valid UTF-8 and names no encoding is an error that gives the line, the
//! byte and its value, and what the bytes read as in Windows-1252, so the fix is one key away.

use std::path::Path;

use super::Encoding;
use crate::frame::data_err;
use crate::Result;

/// The UTF-16 byte-order marks (little- and big-endian).
const UTF16_BOMS: [[u8; 2]; 2] = [[0xFF, 0xFE], [0xFE, 0xFF]];
/// The UTF-8 byte-order mark.
const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Decodes `bytes` (read from `path`) as `encoding`, or as UTF-8 (UTF-16 when a UTF-16
/// byte-order mark starts the file) when `None`; returns the UTF-8 bytes and the encoding
/// used. A UTF-8 byte-order mark is left for the CSV reader, which skips it.
pub fn decode(
    path: &Path,
    bytes: Vec<u8>,
    encoding: Option<Encoding>,
) -> Result<(Vec<u8>, Encoding)> {
    let utf16_bom = bytes.len() >= 2 && UTF16_BOMS.iter().any(|b| bytes[..2] == b[..]);
    match encoding {
        None if utf16_bom => utf16(path, &bytes),
        None | Some(Encoding::Utf8) => match std::str::from_utf8(&bytes) {
            Ok(_) => Ok((bytes, Encoding::Utf8)),
            Err(e) => Err(not_utf8(path, &bytes, e.valid_up_to(), encoding.is_some())),
        },
        Some(Encoding::Utf16) => utf16(path, &bytes),
        // A byte-order mark wins over an 8-bit encoding (as in browsers), and is recorded.
        Some(Encoding::Windows1252 | Encoding::Latin1) if utf16_bom => utf16(path, &bytes),
        Some(Encoding::Windows1252 | Encoding::Latin1) if bytes.starts_with(UTF8_BOM) => {
            decode(path, bytes, Some(Encoding::Utf8))
        }
        Some(Encoding::Windows1252) => {
            // WHATWG's windows-1252 maps every byte, so it cannot fail.
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&bytes);
            Ok((text.into_owned().into_bytes(), Encoding::Windows1252))
        }
        Some(Encoding::Latin1) => {
            let text: String = bytes.iter().map(|&b| char::from(b)).collect();
            Ok((text.into_bytes(), Encoding::Latin1))
        }
    }
}

/// UTF-16 (little-endian without a byte-order mark); an odd length or an unpaired surrogate
/// is an error.
fn utf16(path: &Path, bytes: &[u8]) -> Result<(Vec<u8>, Encoding)> {
    let (text, _, had_errors) = encoding_rs::UTF_16LE.decode(bytes);
    if had_errors {
        let msg = "not valid UTF-16 (data.encoding = \"utf-16\"): an odd number of bytes or an \
                   unpaired surrogate; is the file in another encoding?";
        return Err(data_err(path, None, None, msg.into()));
    }
    Ok((text.into_owned().into_bytes(), Encoding::Utf16))
}

/// The error for the first invalid UTF-8 sequence at byte `at`.
fn not_utf8(path: &Path, bytes: &[u8], at: usize, asked: bool) -> crate::Error {
    let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
    let line_start = bytes[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let shown: Vec<String> = bytes[at..]
        .iter()
        .take(4)
        .map(|b| format!("0x{b:02X}"))
        .collect();
    let mut msg = format!(
        "not valid UTF-8 at byte {} of the line (byte {} of the file): {}",
        at - line_start + 1,
        at + 1,
        shown.join(" ")
    );
    let nuls = bytes.iter().take(4096).filter(|&&b| b == 0).count();
    if nuls * 8 > bytes.len().min(4096) {
        msg.push_str(
            "; the file is full of zero bytes, as UTF-16 is: set data.encoding = \"utf-16\"",
        );
    } else {
        msg.push_str(&format!(
            "; read as Windows-1252 that part of the line is \"{}\": if that is right, set \
             data.encoding = \"windows-1252\" (or \"latin-1\"; --encoding for predict and eval)",
            as_windows_1252_around(bytes, line_start, at)
        ));
    }
    if asked {
        msg.push_str(" (data.encoding = \"utf-8\")");
    }
    data_err(path, Some(line), None, msg)
}

/// The text of the line holding byte `at` (starting at `line_start`), decoded as Windows-1252,
/// from up to 30 characters before that byte to 30 after it (`…` where cut).
fn as_windows_1252_around(bytes: &[u8], line_start: usize, at: usize) -> String {
    let line_end = bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| at + i);
    let decode = |b: &[u8]| encoding_rs::WINDOWS_1252.decode(b).0.into_owned();
    let before: Vec<char> = decode(&bytes[line_start..at]).chars().collect();
    let after: Vec<char> = decode(&bytes[at..line_end]).trim_end().chars().collect();
    let from = before.len().saturating_sub(30);
    let mut s = String::new();
    if from > 0 {
        s.push('…');
    }
    s.extend(&before[from..]);
    s.extend(after.iter().take(31));
    if after.len() > 31 {
        s.push('…');
    }
    s
}
