//! Plain data for a frame: parse a checked [`Frame`] into it, emit it into a buffer.

use crate::frame::{ACK, Fields, LONG_START, MAX_DATA_LEN, NACK, SHORT_START, STOP, checksum};
use crate::{Address, Control, EmitError, Frame, FrameFormat};

/// One EN 13757-2 frame as plain data, borrowing its user data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Repr<'a> {
    /// The single character E5.
    Ack,
    /// The single character A2.
    Nack,
    /// A short frame.
    Short {
        /// C field.
        control: Control,
        /// A field.
        address: Address,
    },
    /// A control frame (empty `data`) or a long frame (1..=252 data bytes).
    Long {
        /// C field.
        control: Control,
        /// A field.
        address: Address,
        /// CI field: what the user data holds (EN 13757-3).
        ci: u8,
        /// The user data after the CI field.
        data: &'a [u8],
    },
}

impl<'a> Repr<'a> {
    /// Read a checked frame.
    pub fn parse(frame: &Frame<'a>) -> Repr<'a> {
        match frame.fields() {
            Fields::Ack => Repr::Ack,
            Fields::Nack => Repr::Nack,
            Fields::Short { control, address } => Repr::Short { control, address },
            Fields::Long {
                control,
                address,
                ci,
            } => Repr::Long {
                control,
                address,
                ci,
                data: frame.user_data(),
            },
        }
    }

    /// The format this repr is emitted as.
    pub fn format(&self) -> FrameFormat {
        match self {
            Repr::Ack => FrameFormat::Ack,
            Repr::Nack => FrameFormat::Nack,
            Repr::Short { .. } => FrameFormat::Short,
            Repr::Long { data: [], .. } => FrameFormat::Control,
            Repr::Long { .. } => FrameFormat::Long,
        }
    }

    /// Bytes [`emit`](Repr::emit) writes.
    pub fn buffer_len(&self) -> usize {
        match self {
            Repr::Ack | Repr::Nack => 1,
            Repr::Short { .. } => 5,
            Repr::Long { data, .. } => 9 + data.len(),
        }
    }

    /// Write the frame to the front of `buf`; returns the number of bytes written.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        if let Repr::Long { data, .. } = self
            && data.len() > MAX_DATA_LEN
        {
            return Err(EmitError::DataTooLong { len: data.len() });
        }
        let needed = self.buffer_len();
        let available = buf.len();
        let out = buf
            .get_mut(..needed)
            .ok_or(EmitError::BufferTooSmall { needed, available })?;
        match *self {
            Repr::Ack => out.copy_from_slice(&[ACK]),
            Repr::Nack => out.copy_from_slice(&[NACK]),
            Repr::Short { control, address } => {
                let (c, a) = (control.byte(), address.byte());
                out.copy_from_slice(&[SHORT_START, c, a, c.wrapping_add(a), STOP]);
            }
            Repr::Long {
                control,
                address,
                ci,
                data,
            } => {
                // L counts C, A, CI and the data; data.len() <= 252 was checked above.
                let l = (data.len() + 3) as u8;
                let (head, rest) = out.split_at_mut(7);
                head.copy_from_slice(&[
                    LONG_START,
                    l,
                    l,
                    LONG_START,
                    control.byte(),
                    address.byte(),
                    ci,
                ]);
                let (body, tail) = rest.split_at_mut(data.len());
                body.copy_from_slice(data);
                let cs =
                    checksum(&[control.byte(), address.byte(), ci]).wrapping_add(checksum(data));
                tail.copy_from_slice(&[cs, STOP]);
            }
        }
        Ok(needed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_frame_from_the_notes() {
        // Captured selection of ID 12345678, everything else wildcarded (notes 1.5).
        let data = [0x78, 0x56, 0x34, 0x12, 0xFF, 0xFF, 0xFF, 0xFF];
        let repr = Repr::Long {
            control: Control::SndUd { fcb: true },
            address: Address::NETWORK,
            ci: 0x52,
            data: &data,
        };
        let mut buf = [0u8; 32];
        let n = repr.emit(&mut buf).unwrap();
        assert_eq!(&buf[..4], &[0x68, 0x0B, 0x0B, 0x68]);
        assert_eq!(&buf[4..7], &[0x73, 0xFD, 0x52]);
        let frame = Frame::new_checked(&buf[..n]).unwrap();
        assert_eq!(Repr::parse(&frame), repr);
    }

    #[test]
    fn emit_reports_short_buffers() {
        let repr = Repr::Short {
            control: Control::SndNke,
            address: Address::from_byte(5),
        };
        assert_eq!(
            repr.emit(&mut [0u8; 4]),
            Err(EmitError::BufferTooSmall {
                needed: 5,
                available: 4
            })
        );
        let big = [0u8; 253];
        let long = Repr::Long {
            control: Control::SndUd { fcb: false },
            address: Address::from_byte(5),
            ci: 0x51,
            data: &big,
        };
        assert_eq!(
            long.emit(&mut [0u8; 300]),
            Err(EmitError::DataTooLong { len: 253 })
        );
    }
}
