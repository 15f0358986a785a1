//! The checked view of one EN 13757-2 frame: single character, short, control or long frame.

use crate::{Address, Control, FrameError};

/// The single character a slave sends to acknowledge (E5).
pub const ACK: u8 = 0xE5;
/// The single character for a negative acknowledgement (A2, EN 13757-2:2018).
pub const NACK: u8 = 0xA2;
/// Start byte of a short frame.
pub const SHORT_START: u8 = 0x10;
/// Start byte (first and fourth byte) of a control or long frame.
pub const LONG_START: u8 = 0x68;
/// Stop byte of short, control and long frames.
pub const STOP: u8 = 0x16;
/// The longest frame: a long frame with L = 255 (6 + 255 bytes).
pub const MAX_FRAME_LEN: usize = 261;
/// The most user data a long frame carries after its CI field (L = 255 minus C, A, CI).
pub const MAX_DATA_LEN: usize = 252;

/// The four frame formats of EN 13757-2 (FT1.2 of IEC 60870-5-1), with the NACK single
/// character of the 2018 edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameFormat {
    /// `E5`.
    Ack,
    /// `A2`.
    Nack,
    /// `10 C A CS 16`.
    Short,
    /// `68 03 03 68 C A CI CS 16`: a long frame without user data.
    Control,
    /// `68 L L 68 C A CI data CS 16` with 1..=252 data bytes.
    Long,
}

/// The 8-bit arithmetic sum EN 13757-2 uses as its checksum.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |s, b| s.wrapping_add(*b))
}

/// What the header of a checked frame says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Fields {
    /// E5.
    Ack,
    /// A2.
    Nack,
    /// A short frame.
    Short { control: Control, address: Address },
    /// A control or long frame.
    Long {
        control: Control,
        address: Address,
        ci: u8,
    },
}

/// Check the frame at the front of `buf` and return its format and length.
///
/// Bytes after the frame are not looked at. A buffer that ends early gives
/// [`FrameError::Truncated`] only while every byte seen so far could belong to a frame.
pub fn check_prefix(buf: &[u8]) -> Result<(FrameFormat, usize), FrameError> {
    check(buf).map(|(fields, len)| (format_of(fields, len), len))
}

fn format_of(fields: Fields, len: usize) -> FrameFormat {
    match fields {
        Fields::Ack => FrameFormat::Ack,
        Fields::Nack => FrameFormat::Nack,
        Fields::Short { .. } => FrameFormat::Short,
        // 9 bytes = L of 3: C, A and CI only.
        Fields::Long { .. } if len == 9 => FrameFormat::Control,
        Fields::Long { .. } => FrameFormat::Long,
    }
}

fn truncated(expected: usize, buf: &[u8]) -> FrameError {
    FrameError::Truncated {
        expected,
        actual: buf.len(),
    }
}

/// The checks of [`check_prefix`], returning the header fields.
pub(crate) fn check(buf: &[u8]) -> Result<(Fields, usize), FrameError> {
    let Some(&first) = buf.first() else {
        return Err(truncated(1, buf));
    };
    match first {
        ACK => Ok((Fields::Ack, 1)),
        NACK => Ok((Fields::Nack, 1)),
        SHORT_START => {
            // 10 C A CS 16; CS = C + A.
            let frame: &[u8; 5] = buf
                .get(..5)
                .and_then(|f| f.try_into().ok())
                .ok_or(truncated(5, buf))?;
            let [_, c, a, cs, stop] = *frame;
            check_tail(checksum(&[c, a]), cs, 3, stop)?;
            let fields = Fields::Short {
                control: Control::from_byte(c),
                address: Address::from_byte(a),
            };
            Ok((fields, 5))
        }
        LONG_START => {
            // Check each header byte as soon as it is there, so that a deframer can reject
            // noise early instead of waiting for a length that was never sent.
            if let Some(&len) = buf.get(1)
                && len < 3
            {
                return Err(FrameError::BadLength { offset: 1, len });
            }
            if let (Some(&first), Some(&second)) = (buf.get(1), buf.get(2))
                && first != second
            {
                return Err(FrameError::LengthMismatch { first, second });
            }
            if let Some(&byte) = buf.get(3)
                && byte != LONG_START
            {
                return Err(FrameError::BadSecondStart { offset: 3, byte });
            }
            let head: &[u8; 4] = buf
                .get(..4)
                .and_then(|h| h.try_into().ok())
                .ok_or(truncated(4, buf))?;
            // 68 L L 68, then L bytes from C on, then CS and 16.
            let len = usize::from(head[1]);
            let total = len + 6;
            let frame = buf.get(..total).ok_or(truncated(total, buf))?;
            let (body, tail) = frame
                .split_at_checked(4 + len)
                .ok_or(truncated(total, buf))?;
            let (&[c, a, ci], _) = body
                .get(4..)
                .and_then(|b| b.split_first_chunk::<3>())
                .ok_or(truncated(total, buf))?;
            let &[cs, stop] = tail else {
                return Err(truncated(total, buf));
            };
            check_tail(checksum(body.get(4..).unwrap_or(&[])), cs, 4 + len, stop)?;
            let fields = Fields::Long {
                control: Control::from_byte(c),
                address: Address::from_byte(a),
                ci,
            };
            Ok((fields, total))
        }
        byte => Err(FrameError::BadStart { offset: 0, byte }),
    }
}

/// Compare the checksum byte found at `cs_at` with the computed one, and the stop byte.
fn check_tail(expected: u8, actual: u8, cs_at: usize, stop: u8) -> Result<(), FrameError> {
    if actual != expected {
        return Err(FrameError::BadChecksum {
            offset: cs_at,
            expected,
            actual,
        });
    }
    if stop != STOP {
        return Err(FrameError::BadStop {
            offset: cs_at + 1,
            byte: stop,
        });
    }
    Ok(())
}

/// A byte slice checked to hold exactly one valid frame; no accessor can fail afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Frame<'a> {
    bytes: &'a [u8],
    fields: Fields,
}

impl<'a> Frame<'a> {
    /// Check that `buf` is exactly one frame: start and stop bytes, both length fields, the
    /// second start byte and the checksum.
    pub fn new_checked(buf: &'a [u8]) -> Result<Frame<'a>, FrameError> {
        let (fields, len) = check(buf)?;
        if len < buf.len() {
            return Err(FrameError::TrailingBytes {
                offset: len,
                extra: buf.len() - len,
            });
        }
        Ok(Frame { bytes: buf, fields })
    }

    /// Check the frame at the front of `buf`; return it and its length, ignoring what follows.
    pub fn parse_prefix(buf: &'a [u8]) -> Result<(Frame<'a>, usize), FrameError> {
        let (fields, len) = check(buf)?;
        let (bytes, _) = buf.split_at_checked(len).ok_or(truncated(len, buf))?;
        Ok((Frame { bytes, fields }, len))
    }

    /// The header fields.
    pub(crate) fn fields(&self) -> Fields {
        self.fields
    }

    /// The format.
    pub fn format(&self) -> FrameFormat {
        format_of(self.fields, self.bytes.len())
    }

    /// The whole frame as received.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The C field, `None` for a single character.
    pub fn control(&self) -> Option<Control> {
        match self.fields {
            Fields::Short { control, .. } | Fields::Long { control, .. } => Some(control),
            Fields::Ack | Fields::Nack => None,
        }
    }

    /// The A field, `None` for a single character.
    pub fn address(&self) -> Option<Address> {
        match self.fields {
            Fields::Short { address, .. } | Fields::Long { address, .. } => Some(address),
            Fields::Ack | Fields::Nack => None,
        }
    }

    /// The CI field of a control or long frame.
    pub fn ci(&self) -> Option<u8> {
        match self.fields {
            Fields::Long { ci, .. } => Some(ci),
            _ => None,
        }
    }

    /// The user data after the CI field (empty except in a long frame): what the application
    /// layer parses.
    pub fn user_data(&self) -> &'a [u8] {
        match self.fields {
            // 68 L L 68 C A CI, data, CS 16.
            Fields::Long { .. } => {
                let end = self.bytes.len().saturating_sub(2);
                self.bytes.get(7..end).unwrap_or(&[])
            }
            _ => &[],
        }
    }

    /// The checksum byte, `None` for a single character.
    pub fn checksum(&self) -> Option<u8> {
        match self.fields {
            Fields::Ack | Fields::Nack => None,
            _ => self.bytes.iter().rev().nth(1).copied(),
        }
    }

    /// The length of the frame in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false: a frame has at least one byte (present for the `len` convention).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_frame_req_ud2() {
        // REQ_UD2 to primary address 1 with FCB set: 10 7B 01 7C 16.
        let f = Frame::new_checked(&[0x10, 0x7B, 0x01, 0x7C, 0x16]).unwrap();
        assert_eq!(f.format(), FrameFormat::Short);
        assert_eq!(f.control(), Some(Control::ReqUd2 { fcb: true }));
        assert_eq!(f.address(), Some(Address::from_byte(1)));
        assert_eq!(f.ci(), None);
        assert_eq!(f.checksum(), Some(0x7C));
    }

    #[test]
    fn errors_carry_offsets() {
        assert_eq!(
            Frame::new_checked(&[0x10, 0x7B, 0x01, 0x7D, 0x16]),
            Err(FrameError::BadChecksum {
                offset: 3,
                expected: 0x7C,
                actual: 0x7D
            })
        );
        assert_eq!(
            Frame::new_checked(&[0x10, 0x7B, 0x01, 0x7C, 0x17]),
            Err(FrameError::BadStop {
                offset: 4,
                byte: 0x17
            })
        );
        assert_eq!(
            Frame::new_checked(&[0x68, 0x04, 0x05]),
            Err(FrameError::LengthMismatch {
                first: 4,
                second: 5
            })
        );
        assert_eq!(
            Frame::new_checked(&[0x68, 0x04, 0x04, 0x69]),
            Err(FrameError::BadSecondStart {
                offset: 3,
                byte: 0x69
            })
        );
        assert_eq!(
            Frame::new_checked(&[0x68, 0x04, 0x04, 0x68, 0x08]),
            Err(FrameError::Truncated {
                expected: 10,
                actual: 5
            })
        );
        assert_eq!(
            Frame::new_checked(&[0xE5, 0xE5]),
            Err(FrameError::TrailingBytes {
                offset: 1,
                extra: 1
            })
        );
        assert_eq!(
            Frame::new_checked(&[]),
            Err(FrameError::Truncated {
                expected: 1,
                actual: 0
            })
        );
    }
}
