//! AFN 15 F1: file transfer, method 1 (module firmware upgrade; notes §1.9, SPL captures).

use super::codec::{Reader, Writer};
use crate::{EmitError, Error};

/// AFN 15 F1 down: one file segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileSegment<'a> {
    /// File identifier (0 clears the transfer; 8 in the captured upgrade).
    pub file_id: u8,
    /// File attribute.
    pub attribute: u8,
    /// File command.
    pub command: u8,
    /// Total number of segments.
    pub total_segments: u16,
    /// Index of this segment.
    pub index: u32,
    /// Segment data (2-byte length on the wire).
    pub data: &'a [u8],
}

impl<'a> FileSegment<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, Error> {
        let file_id = r.u8()?;
        let attribute = r.u8()?;
        let command = r.u8()?;
        let total_segments = r.u16()?;
        let index = r.u32()?;
        let n = r.u16()?;
        Ok(Self {
            file_id,
            attribute,
            command,
            total_segments,
            index,
            data: r.take(usize::from(n))?,
        })
    }

    pub(crate) fn len(&self) -> usize {
        11 + self.data.len()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.u8(self.file_id)?;
        w.u8(self.attribute)?;
        w.u8(self.command)?;
        w.u16(self.total_segments)?;
        w.u32(self.index)?;
        w.long_bytes(self.data)
    }
}
