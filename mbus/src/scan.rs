//! Where a frame starts and ends in a byte stream: the pure scan a deframer is built on.

use crate::FrameError;
use crate::frame::{ACK, LONG_START, MAX_FRAME_LEN, NACK, SHORT_START, check_prefix};

/// What is at the front of a receive buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScanResult {
    /// A checked frame at `buf[..len]`.
    Frame {
        /// Its length.
        len: usize,
    },
    /// The buffer holds the beginning of a frame (or nothing): at least `needed` more bytes.
    Incomplete {
        /// The fewest bytes that must still arrive (≥ 1).
        needed: usize,
    },
    /// The first `skip` bytes (≥ 1) cannot begin a frame: noise, or a start byte whose header
    /// or checksum is wrong (`error` says what).
    Garbage {
        /// Bytes to drop before scanning again.
        skip: usize,
        /// Why the first byte does not begin a frame.
        error: FrameError,
    },
}

/// Whether `b` can be the first byte of a frame.
pub const fn is_start_byte(b: u8) -> bool {
    matches!(b, ACK | NACK | SHORT_START | LONG_START)
}

/// Look at the front of `buf`.
///
/// Noise is skipped up to the next byte that could start a frame, so that a converter's stray
/// bytes (FD, FE, A5: libmbus issues #131, #199) cost one answer, not one per byte. A start
/// byte whose frame fails its checks is skipped alone: the real frame may begin inside it.
/// Total: never panics, never answers `Incomplete` for [`MAX_FRAME_LEN`] bytes or more.
pub fn scan(buf: &[u8]) -> ScanResult {
    match check_prefix(buf) {
        Ok((_, len)) => ScanResult::Frame { len },
        Err(FrameError::Truncated { expected, actual }) if actual < MAX_FRAME_LEN => {
            ScanResult::Incomplete {
                needed: expected.saturating_sub(actual).max(1),
            }
        }
        Err(error @ FrameError::BadStart { .. }) => {
            let skip = buf
                .iter()
                .skip(1)
                .position(|b| is_start_byte(*b))
                .map_or(buf.len(), |p| p + 1)
                .max(1);
            ScanResult::Garbage { skip, error }
        }
        Err(error) => ScanResult::Garbage { skip: 1, error },
    }
}

/// The M-Bus frame format for `rs485_link`'s deframer and transaction driver.
#[cfg(feature = "link")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MbusFraming;

#[cfg(feature = "link")]
impl rs485_link::Framing for MbusFraming {
    const MAX_FRAME_LEN: usize = MAX_FRAME_LEN;

    fn scan(&self, buf: &[u8]) -> rs485_link::Scan {
        match scan(buf) {
            ScanResult::Frame { len } => rs485_link::Scan::Frame { start: 0, end: len },
            ScanResult::Incomplete { needed } => rs485_link::Scan::Incomplete { needed },
            ScanResult::Garbage { skip, .. } => rs485_link::Scan::Skip(skip),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        assert_eq!(scan(&[]), ScanResult::Incomplete { needed: 1 });
        assert_eq!(scan(&[0xE5, 0x10]), ScanResult::Frame { len: 1 });
        assert_eq!(scan(&[0x10, 0x40]), ScanResult::Incomplete { needed: 3 });
        assert_eq!(
            scan(&[0x68, 0x05, 0x05, 0x68]),
            ScanResult::Incomplete { needed: 7 }
        );
        assert!(matches!(
            scan(&[0xFD, 0xFE, 0xA5, 0x10]),
            ScanResult::Garbage {
                skip: 3,
                error: FrameError::BadStart {
                    offset: 0,
                    byte: 0xFD
                }
            }
        ));
        assert!(matches!(
            scan(&[0xFE, 0xFE]),
            ScanResult::Garbage { skip: 2, .. }
        ));
        assert!(matches!(
            scan(&[0x68, 0x05, 0x06]),
            ScanResult::Garbage {
                skip: 1,
                error: FrameError::LengthMismatch { .. }
            }
        ));
    }
}
