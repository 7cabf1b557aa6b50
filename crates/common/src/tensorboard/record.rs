//! The record framing of an event file (TFRecord): each record is
//! `u64 length (LE) | u32 masked CRC-32C of those 8 bytes | data | u32 masked CRC-32C of data`.
//! The CRC is the `crc32c` crate's; the mask (rotate right by 15, add a constant) is
//! TensorFlow's, so that a CRC stored inside CRC'd data does not weaken the check.
//!
//! Reading stops at the first record that is incomplete or fails a check: a file appended to
//! by a killed process ends with at most one torn record, and what precedes it is whole.

/// TensorFlow's `kMaskDelta`.
const MASK_DELTA: u32 = 0xa282_ead8;

/// The masked CRC-32C of `bytes`, as TensorFlow's `crc32c::Mask(crc32c::Value(bytes))`.
pub fn masked_crc(bytes: &[u8]) -> u32 {
    let crc = crc32c::crc32c(bytes);
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// `data` framed as one record, appended to `out`.
pub fn frame_into(out: &mut Vec<u8>, data: &[u8]) {
    let len = (data.len() as u64).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc(data).to_le_bytes());
}

/// One whole record found in a file's bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found<'a> {
    /// The record's data.
    pub data: &'a [u8],
    /// Byte offset just past the record (where the next one starts).
    pub end: usize,
}

/// Why reading stopped before the end of the bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// Every byte belonged to a whole record.
    Clean,
    /// The last record is cut short (a writer killed mid-record): `bytes` bytes of it.
    Torn {
        /// Bytes of the partial record.
        bytes: usize,
    },
    /// A record at `offset` fails its length or data CRC.
    Corrupt {
        /// Where the bad record starts.
        offset: usize,
    },
}

/// The whole records at the start of `bytes`, and why reading stopped.
pub fn read_records(bytes: &[u8]) -> (Vec<Found<'_>>, Stop) {
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = bytes.len() - at;
        if rest < 12 {
            return (found, Stop::Torn { bytes: rest });
        }
        let len_bytes = &bytes[at..at + 8];
        if masked_crc(len_bytes) != u32_at(at + 8) {
            return (found, Stop::Corrupt { offset: at });
        }
        let len = u64::from_le_bytes(len_bytes.try_into().expect("8 bytes"));
        let total = usize::try_from(len).ok().and_then(|l| l.checked_add(16));
        match total {
            Some(total) if total <= rest => {
                let data = &bytes[at + 12..at + 12 + total - 16];
                if masked_crc(data) != u32_at(at + total - 4) {
                    return (found, Stop::Corrupt { offset: at });
                }
                at += total;
                found.push(Found { data, end: at });
            }
            _ => return (found, Stop::Torn { bytes: rest }),
        }
    }
    (found, Stop::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(records: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for r in records {
            frame_into(&mut out, r);
        }
        out
    }

    #[test]
    fn the_mask_is_tensorflows() {
        // crc32c("") = 0 masks to the delta itself; "123456789" is CRC-32C's check value
        // 0xe3069283 (RFC 3720), masked by hand: rotr 15 = 0x2507c60d, + delta.
        assert_eq!(masked_crc(b""), MASK_DELTA);
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(
            masked_crc(b"123456789"),
            0x2507_c60d_u32.wrapping_add(MASK_DELTA)
        );
    }

    #[test]
    fn records_frame_and_read_back() {
        let bytes = framed(&[b"one", b"", b"three"]);
        assert_eq!(bytes.len(), 3 * 16 + 3 + 5);
        let (found, stop) = read_records(&bytes);
        let data: Vec<&[u8]> = found.iter().map(|f| f.data).collect();
        assert_eq!(data, [&b"one"[..], b"", b"three"]);
        assert_eq!(found[1].end, 16 + 3 + 16);
        assert_eq!(stop, Stop::Clean);
    }

    #[test]
    fn a_torn_tail_keeps_the_whole_records_before_it() {
        let bytes = framed(&[b"one", b"two"]);
        let first = 16 + 3;
        for cut in first + 1..bytes.len() {
            let (found, stop) = read_records(&bytes[..cut]);
            assert_eq!(found.len(), 1, "cut at {cut}");
            assert_eq!(stop, Stop::Torn { bytes: cut - first }, "cut at {cut}");
        }
        assert_eq!(read_records(&bytes[..first]).1, Stop::Clean);
    }

    #[test]
    fn a_flipped_bit_is_caught_by_either_crc() {
        let bytes = framed(&[b"one", b"two"]);
        // Byte 3 is in the first record's length, byte 14 in its data, byte 20 in the
        // second record's length.
        for (flip, good, offset) in [(3, 0, 0), (14, 0, 0), (20, 1, 19)] {
            let mut bad = bytes.clone();
            bad[flip] ^= 0x10;
            let (found, stop) = read_records(&bad);
            assert_eq!(found.len(), good, "flip {flip}");
            assert_eq!(stop, Stop::Corrupt { offset }, "flip {flip}");
        }
    }
}
