//! Unit tests of `data::dialect`: number formats at their edges, the sniffer on quoted and
//! ambiguous samples, decoding and its error, and a fuzz of all three on arbitrary bytes.

use super::decode::decode;
use super::numbers::{read_as, rewrite_columns, Plan};
use super::sniff::sniff_delimiter;
use super::*;
use proptest::prelude::*;
use std::path::Path;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn decimal_comma_cells_read_as_plain_numbers() {
    let dc = NumberFormat::DecimalComma;
    for (cell, want) in [
        ("2,5", Some("2.5")),
        ("-0,125", Some("-0.125")),
        ("+3,0e-2", Some("+3.0e-2")),
        ("1.234,56", Some("1234.56")),
        ("1.234.567", Some("1234567")),
        (",5", Some(".5")),
        ("7", Some("7")),
        ("1.5", None),     // a dot decimal is not a grouped thousand
        ("12.34,5", None), // groups are exactly three digits
        ("1,2,3", None),   // one decimal mark
        ("1,5e", None),
        ("abc", None),
        ("", None),
        ("-", None),
        (",", None),
    ] {
        assert_eq!(read_as(cell, dc).as_deref(), want, "{cell}");
    }
    let tc = NumberFormat::ThousandsComma;
    assert_eq!(read_as("1,234.56", tc).as_deref(), Some("1234.56"));
    assert_eq!(read_as("12,345", tc).as_deref(), Some("12345"));
    assert_eq!(read_as("1,23", tc), None);
}

#[test]
fn a_column_is_rewritten_only_when_every_cell_fits_and_one_has_a_comma() {
    let header = strings(&["a", "b", "c", "d", "target"]);
    let mut cells = vec![
        strings(&["1,5", "NA", "-2,25"]),    // decimal comma, a missing cell
        strings(&["1.234", "2.5", "3"]),     // plain: untouched (1.234 stays 1.234)
        strings(&["1,5", "x", "2"]),         // text
        strings(&["1,234.5", "2,000", "7"]), // thousands comma
        strings(&["0,5", "1,5", "0,5"]),     // the target: never rewritten
    ];
    let na = strings(&["NA"]);
    let plan = Plan::Detect {
        decimal: None,
        delimiter: b';',
    };
    let done = rewrite_columns(&header, &mut cells, plan, &na, &strings(&["target"]));
    assert_eq!(
        done,
        vec![
            ("a".to_string(), NumberFormat::DecimalComma),
            ("d".to_string(), NumberFormat::ThousandsComma)
        ]
    );
    assert_eq!(cells[0], strings(&["1.5", "NA", "-2.25"]));
    assert_eq!(cells[1], strings(&["1.234", "2.5", "3"]));
    assert_eq!(cells[2], strings(&["1,5", "x", "2"]));
    assert_eq!(cells[3], strings(&["1234.5", "2000", "7"]));
    assert_eq!(cells[4], strings(&["0,5", "1,5", "0,5"]));
    // With ',' as the delimiter nothing is guessed; data.decimal = "," still reads quoted cells.
    let mut quoted = vec![strings(&["1,5", "2"])];
    let comma = Plan::Detect {
        decimal: None,
        delimiter: b',',
    };
    assert!(rewrite_columns(&header[..1], &mut quoted, comma, &na, &[]).is_empty());
    let asked = Plan::Detect {
        decimal: Some(Decimal::Comma),
        delimiter: b',',
    };
    assert_eq!(
        rewrite_columns(&header[..1], &mut quoted, asked, &na, &[]).len(),
        1
    );
    assert_eq!(quoted[0], strings(&["1.5", "2"]));
}

#[test]
fn an_explicit_decimal_comma_needs_no_comma_in_the_column() {
    let header = strings(&["price", "code"]);
    let mut cells = vec![
        strings(&["1.500", "2.000", "12.000"]),
        strings(&["7", "8", "9"]),
    ];
    let asked = Plan::Detect {
        decimal: Some(Decimal::Comma),
        delimiter: b';',
    };
    let done = rewrite_columns(&header, &mut cells, asked, &[], &[]);
    assert_eq!(
        done,
        vec![("price".to_string(), NumberFormat::DecimalComma)]
    );
    assert_eq!(cells[0], strings(&["1500", "2000", "12000"]));
    assert_eq!(
        cells[1],
        strings(&["7", "8", "9"]),
        "plain integers are left as they are"
    );
    // Guessed, the same column stays 1.5, 2 and 12: no comma says it is a decimal-comma file.
    let mut guessed = vec![strings(&["1.500", "2.000", "12.000"])];
    let plan = Plan::Detect {
        decimal: None,
        delimiter: b';',
    };
    assert!(rewrite_columns(&header[..1], &mut guessed, plan, &[], &[]).is_empty());
}

#[test]
fn a_preferred_delimiter_settles_a_guess() {
    use super::sniff::sniff_delimiter_preferring as sniff;
    // One column: nothing fits; the training file's ';' is taken rather than ','.
    assert_eq!(sniff(b"x\n1,5\n2,25\n", Some(b';')), Ok(b';'));
    // Two fit: the preferred one, if it is among them; else the error.
    assert_eq!(sniff(b"a,b;c\n1,2;3\n", Some(b';')), Ok(b';'));
    assert!(sniff(b"a,b;c\n1,2;3\n", Some(b'|')).is_err());
    // One fits: it wins over the preference (the new file says what it is).
    assert_eq!(sniff(b"a\tb\n1\t2\n", Some(b';')), Ok(b'\t'));
}

#[test]
fn a_byte_order_mark_wins_over_an_8bit_encoding_and_is_recorded() {
    let p = Path::new("t.csv");
    let mut utf8 = vec![0xEF, 0xBB, 0xBF];
    utf8.extend("a,ñ\n".as_bytes());
    for enc in [Encoding::Windows1252, Encoding::Latin1] {
        let (text, used) = decode(p, utf8.clone(), Some(enc)).unwrap();
        assert_eq!(used, Encoding::Utf8, "{enc:?}");
        assert!(String::from_utf8(text).unwrap().ends_with("a,ñ\n"));
    }
}

#[test]
fn the_sniffer_respects_quotes_and_refuses_to_guess() {
    let semi = b"a;b;c\n1,5;2;x\n\"3;4\";5,25;\"y\nz\"\n";
    assert_eq!(sniff_delimiter(semi), Ok(b';'));
    let tab = b"name\tvalue\nSmith, J\t3\nDoe, A\t4\n";
    assert_eq!(sniff_delimiter(tab), Ok(b'\t'));
    assert_eq!(sniff_delimiter(b"a|b\n1|2\n"), Ok(b'|'));
    assert_eq!(sniff_delimiter(b"a,b\n1,2\n\n3,4\n"), Ok(b','));
    // Nothing fits: ',' (the reader's errors then speak).
    assert_eq!(sniff_delimiter(b"just one column\n1\n"), Ok(b','));
    // Two fit: an error naming both and the key.
    let err = sniff_delimiter(b"a,b;c\n1,2;3\n").unwrap_err();
    assert!(
        err.contains("',' gives 2")
            && err.contains("';' gives 2")
            && err.contains("data.delimiter"),
        "{err}"
    );
}

#[test]
fn decoding_names_line_byte_and_the_encoding_to_set() {
    let p = Path::new("t.csv");
    let latin1 = b"a,b\nse\xF1or,A\xF1o\n".to_vec();
    let err = decode(p, latin1.clone(), None).unwrap_err().to_string();
    assert!(
        err.contains("row 2") && err.contains("0xF1") && err.contains("señor,Año"),
        "{err}"
    );
    assert!(err.contains("data.encoding = \"windows-1252\""), "{err}");
    for enc in [Encoding::Windows1252, Encoding::Latin1] {
        let (text, used) = decode(p, latin1.clone(), Some(enc)).unwrap();
        assert_eq!(
            (String::from_utf8(text).unwrap(), used),
            ("a,b\nseñor,Año\n".into(), enc)
        );
    }
    // Windows-1252 and Latin-1 differ in 0x80–0x9F: '€' against a control character.
    let euro = decode(p, vec![0x80], Some(Encoding::Windows1252))
        .unwrap()
        .0;
    assert_eq!(String::from_utf8(euro).unwrap(), "€");
    assert_eq!(
        decode(p, vec![0x80], Some(Encoding::Latin1)).unwrap().0,
        "\u{80}".as_bytes()
    );
    // UTF-16 with its byte-order mark is recognised without being named.
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend("a,ñ\n".encode_utf16().flat_map(u16::to_le_bytes));
    let (text, used) = decode(p, utf16.clone(), None).unwrap();
    assert_eq!((text, used), ("a,ñ\n".as_bytes().to_vec(), Encoding::Utf16));
    // UTF-16 without one, unnamed: the zero bytes give it away in the message.
    let err = decode(p, utf16[2..].to_vec(), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"utf-16\""), "{err}");
    assert!(decode(p, vec![0x61, 0x00, 0x62], Some(Encoding::Utf16)).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Garbage never panics: the sniffer answers or explains, decoding answers or explains,
    /// and every number reader returns a plain number or nothing.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = sniff_delimiter(&bytes);
        for enc in [None, Some(Encoding::Utf8), Some(Encoding::Windows1252),
                    Some(Encoding::Latin1), Some(Encoding::Utf16)] {
            if let Ok((text, _)) = decode(Path::new("f.csv"), bytes.clone(), enc) {
                prop_assert!(std::str::from_utf8(&text).is_ok());
                let _ = sniff_delimiter(&text);
            }
        }
        let cell = String::from_utf8_lossy(&bytes);
        for f in [NumberFormat::DecimalComma, NumberFormat::ThousandsComma] {
            if let Some(plain) = read_as(&cell, f) {
                prop_assert!(plain.parse::<f64>().is_ok(), "{cell:?} → {plain:?}");
            }
        }
    }

    /// Sniffing structured garbage: fields of delimiter-rich text, quoted or not.
    #[test]
    fn delimiter_soup_never_panics(rows in proptest::collection::vec(
        proptest::collection::vec("[a-z0-9,;|\\t\"\\n ]{0,6}", 1..5), 1..8)) {
        let text: String = rows.iter().map(|r| r.join(";") + "\n").collect();
        let _ = sniff_delimiter(text.as_bytes());
    }
}
