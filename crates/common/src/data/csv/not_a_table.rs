//! A file handed to a table model that is not a table: a folder, or an image (a user who
//! trained on a CSV and passes a photo to `predict`). Named as what it is, rather than read as
//! text that is not UTF-8 (which suggested an encoding).

use std::io::Read;
use std::path::Path;

use crate::frame::data_err;
use crate::Result;

/// Image signatures that no text file starts with (binary bytes, or a whole word that a header
/// would not hold): BMP's `BM` and PNM's `P1`…`P7` are left out, since a CSV header may begin
/// with them.
const SIGNATURES: [(&[u8], &str); 6] = [
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
];

/// Refuses a folder, or a file whose first bytes are an image's, where a table model reads a
/// CSV file. A file that cannot be opened passes (reading it reports that), and so does one
/// that is not a regular file (a pipe is read once, by the table reader).
pub(super) fn check_is_table(path: &Path) -> Result<()> {
    const EXPECTED: &str = "this model was trained on a table and reads a CSV file of its columns";
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    if meta.is_dir() {
        let msg = format!("is a folder; {EXPECTED}");
        return Err(data_err(path, None, None, msg));
    }
    if !meta.is_file() {
        // A pipe (`--input /dev/stdin`, `<(zcat rows.csv.gz)`) can be read once only: by the
        // table reader.
        return Ok(());
    }
    let mut head = [0u8; 12];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = &head[..n];
    let webp = head.len() == 12 && &head[..4] == b"RIFF" && &head[8..] == b"WEBP";
    let image = SIGNATURES
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map(|(_, name)| *name)
        .or(webp.then_some("WebP"));
    match image {
        Some(format) => Err(data_err(
            path,
            None,
            None,
            format!("is an image ({format}); {EXPECTED}"),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_and_folders_are_named_and_text_passes() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        let png = file("a.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
        let e = check_is_table(&png).unwrap_err().to_string();
        assert!(e.ends_with("a.csv: is an image (PNG); this model was trained on a table and reads a CSV file of its columns"), "{e}");
        let webp = file("b.webp", b"RIFF\x10\0\0\0WEBPVP8 ");
        assert!(check_is_table(&webp)
            .unwrap_err()
            .to_string()
            .contains("(WebP)"));
        let e = check_is_table(dir.path()).unwrap_err().to_string();
        assert!(e.contains("is a folder;"), "{e}");
        // Headers that begin as BMP or PNM signatures would, text and short files pass.
        for (name, text) in [
            ("bmi.csv", "BMI,age\n1,2\n"),
            ("p.csv", "P1,P2\n1,2\n"),
            ("s.csv", "a"),
        ] {
            assert!(
                check_is_table(&file(name, text.as_bytes())).is_ok(),
                "{name}"
            );
        }
        assert!(check_is_table(&dir.path().join("missing.csv")).is_ok());
        // Not a regular file (a pipe, a device): not opened here, so no byte is taken from it.
        assert!(check_is_table(Path::new("/dev/null")).is_ok());
    }
}
