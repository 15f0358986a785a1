//! The protocol-type byte and a frame carried with it (AFN 02/05/06/13/14/F1, notes §1.9).

use super::codec::{Reader, Writer};
use crate::{EmitError, Error};

/// The protocol of a carried frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// 0: transparent.
    Transparent,
    /// 1: DL/T 645-1997.
    Dlt645_1997,
    /// 2: DL/T 645-2007.
    Dlt645_2007,
    /// 3: DL/T 698.45 (NUC).
    Dlt698_45,
    /// 4: CJ/T 188 water and heat meters (NUC).
    Cjt188,
    /// Any other code, kept.
    Unknown(u8),
}

impl Protocol {
    /// Decodes the byte.
    pub fn from_byte(b: u8) -> Self {
        match b {
            0 => Self::Transparent,
            1 => Self::Dlt645_1997,
            2 => Self::Dlt645_2007,
            3 => Self::Dlt698_45,
            4 => Self::Cjt188,
            b => Self::Unknown(b),
        }
    }

    /// The byte.
    pub fn to_byte(self) -> u8 {
        match self {
            Self::Transparent => 0,
            Self::Dlt645_1997 => 1,
            Self::Dlt645_2007 => 2,
            Self::Dlt698_45 => 3,
            Self::Cjt188 => 4,
            Self::Unknown(b) => b,
        }
    }

    /// Whether the carried frame is DL/T 645 (either edition).
    pub fn is_dlt645(self) -> bool {
        matches!(self, Self::Dlt645_1997 | Self::Dlt645_2007)
    }
}

/// A protocol type, a one-byte length and the frame (AFN 02 F1, AFN 05 F3, AFN 04 F3 ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProtocolFrame<'a> {
    /// Protocol of the carried frame.
    pub protocol: Protocol,
    /// The carried frame (a DL/T 645 frame, often with FE wake-up bytes before it).
    pub frame: &'a [u8],
}

impl<'a> ProtocolFrame<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, Error> {
        let protocol = Protocol::from_byte(r.u8()?);
        let n = r.u8()?;
        let frame = r.take(usize::from(n))?;
        Ok(Self { protocol, frame })
    }

    pub(crate) fn len(&self) -> usize {
        2 + self.frame.len()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.u8(self.protocol.to_byte())?;
        w.short_bytes(self.frame)
    }
}
