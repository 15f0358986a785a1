//! AFN 10 F1, transparent forwarding to a meter port (notes §2.7).

use super::cursor::{Reader, Writer, le16_at};
use crate::{EmitError, UnitError};

/// The master's forward request: port, transparent control byte, timeouts, then the frame.
///
/// The layout of the control byte and timeouts is the one NUC and PEP use; its bit details
/// are unverified (notes §5), so they are kept as bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ForwardRequest<'a> {
    /// Terminal port (1 AC sampling, 2–4 RS-485, 31 PLC in NUC).
    pub port: u8,
    /// Transparent control byte: baud, parity, data and stop bits.
    pub control: u8,
    /// Frame wait timeout (D7 = unit).
    pub frame_timeout: u8,
    /// Byte timeout.
    pub byte_timeout: u8,
    /// The frame to send (typically DL/T 645).
    pub frame: &'a [u8],
}

impl<'a> ForwardRequest<'a> {
    pub(crate) fn wire_len(rest: &[u8]) -> usize {
        6 + le16_at(rest, 4).unwrap_or(0)
    }

    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, UnitError> {
        let [port, control, frame_timeout, byte_timeout] = r.array()?;
        let n = usize::from(r.u16()?);
        Ok(Self {
            port,
            control,
            frame_timeout,
            byte_timeout,
            frame: r.take(n)?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.put(&[
            self.port,
            self.control,
            self.frame_timeout,
            self.byte_timeout,
        ])?;
        w.count16(self.frame.len())?;
        w.put(self.frame)
    }
}

/// The terminal's forward reply: port, length, the meter's frame (vector U10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ForwardReply<'a> {
    /// Terminal port.
    pub port: u8,
    /// The meter's reply (empty when it did not answer).
    pub frame: &'a [u8],
}

impl<'a> ForwardReply<'a> {
    pub(crate) fn wire_len(rest: &[u8]) -> usize {
        3 + le16_at(rest, 1).unwrap_or(0)
    }

    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, UnitError> {
        let port = r.u8()?;
        let n = usize::from(r.u16()?);
        Ok(Self {
            port,
            frame: r.take(n)?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.u8(self.port)?;
        w.count16(self.frame.len())?;
        w.put(self.frame)
    }
}
