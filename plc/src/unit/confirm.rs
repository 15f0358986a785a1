//! AFN 00: confirm (F1) and deny (F2), both edition-dependent (notes §1.10, §1.14).

use super::codec::{Reader, Writer};
use crate::{Edition, EmitError, Error};

/// AFN 00 F1 confirm.
///
/// 2013: 4-byte status + 2-byte wait (SPL logs, 6 bytes). 2009: 2-byte status + 2-byte wait
/// (Eastsoft capture P02, 4 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Confirm {
    /// Status bitmap: bit 0 = command processed, bit n = channel n idle (15 channels in 2009,
    /// 31 in 2013).
    pub status: u32,
    /// Wait time in seconds.
    pub wait_s: u16,
}

impl Confirm {
    /// Whether bit 0 (command processed) is set.
    pub fn command_processed(&self) -> bool {
        self.status & 1 != 0
    }

    /// Whether channel `n` (1..=31) is idle.
    pub fn channel_idle(&self, n: u8) -> bool {
        (1..=31).contains(&n) && self.status & (1 << n) != 0
    }

    pub(crate) fn read(r: &mut Reader<'_>, edition: Edition) -> Result<Self, Error> {
        let status = match edition {
            Edition::V2009 => u32::from(r.u16()?),
            Edition::V2013 => r.u32()?,
        };
        Ok(Self {
            status,
            wait_s: r.u16()?,
        })
    }

    pub(crate) fn len(edition: Edition) -> usize {
        match edition {
            Edition::V2009 => 4,
            Edition::V2013 => 6,
        }
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>, edition: Edition) -> Result<(), EmitError> {
        match edition {
            Edition::V2009 => w.u16(u16::try_from(self.status).map_err(|_| EmitError::Edition)?)?,
            Edition::V2013 => w.u32(self.status)?,
        }
        w.u16(self.wait_s)
    }
}

/// AFN 00 F2 deny reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DenyReason {
    /// 0: communication timeout.
    Timeout,
    /// 1: invalid data unit.
    InvalidData,
    /// 2: length error.
    Length,
    /// 3: checksum error.
    Checksum,
    /// 4: information class does not exist.
    NoSuchInfo,
    /// 5: format error.
    Format,
    /// 6: meter number duplicated.
    DuplicateMeter,
    /// 7: meter number not in the archive.
    NoSuchMeter,
    /// 8: meter application layer did not answer (2013 only).
    MeterNoAnswer,
    /// 9: master node busy (2013 only).
    Busy,
    /// 10: master node does not support the command (2013 only).
    Unsupported,
    /// 11: slave node did not answer (2013 only).
    SlaveNoAnswer,
    /// 12: slave node not in the network (2013 only).
    SlaveNotInNetwork,
    /// Any other code (in 2009, also 8–12), kept.
    Unknown(u8),
}

impl DenyReason {
    /// Decodes a code in `edition`: codes 8–12 exist only in 2013 (HW `mrs3762ProtoDenyFrame`).
    pub fn from_code(code: u8, edition: Edition) -> Self {
        match (code, edition) {
            (0, _) => Self::Timeout,
            (1, _) => Self::InvalidData,
            (2, _) => Self::Length,
            (3, _) => Self::Checksum,
            (4, _) => Self::NoSuchInfo,
            (5, _) => Self::Format,
            (6, _) => Self::DuplicateMeter,
            (7, _) => Self::NoSuchMeter,
            (8, Edition::V2013) => Self::MeterNoAnswer,
            (9, Edition::V2013) => Self::Busy,
            (10, Edition::V2013) => Self::Unsupported,
            (11, Edition::V2013) => Self::SlaveNoAnswer,
            (12, Edition::V2013) => Self::SlaveNotInNetwork,
            (c, _) => Self::Unknown(c),
        }
    }

    /// The code in `edition`; a 2013-only reason has none in 2009.
    pub fn code(self, edition: Edition) -> Result<u8, EmitError> {
        let c = match self {
            Self::Timeout => 0,
            Self::InvalidData => 1,
            Self::Length => 2,
            Self::Checksum => 3,
            Self::NoSuchInfo => 4,
            Self::Format => 5,
            Self::DuplicateMeter => 6,
            Self::NoSuchMeter => 7,
            Self::MeterNoAnswer => 8,
            Self::Busy => 9,
            Self::Unsupported => 10,
            Self::SlaveNoAnswer => 11,
            Self::SlaveNotInNetwork => 12,
            Self::Unknown(c) => {
                // An Unknown holding a code that has a name would not survive a parse.
                if Self::from_code(c, edition) != Self::Unknown(c) {
                    return Err(EmitError::Value);
                }
                return Ok(c);
            }
        };
        if edition == Edition::V2009 && c >= 8 {
            return Err(EmitError::Edition);
        }
        Ok(c)
    }

    pub(crate) fn read(r: &mut Reader<'_>, edition: Edition) -> Result<Self, Error> {
        Ok(Self::from_code(r.u8()?, edition))
    }
}
