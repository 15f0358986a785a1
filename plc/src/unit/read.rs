//! Meter reading data units: AFN 13 F1 (concentrator-led), AFN 14 F1–F3 (router-led), AFN 06 F2
//! (meter data report) and AFN F1 F1 (concurrent read). Layouts: notes §1.10.

use super::codec::{Reader, Writer};
use super::list::Entries;
use super::protocol::Protocol;
use super::route::{counted, write_counted};
use crate::{Address, Edition, EmitError, Error, UnitError};

/// AFN 13 F1 down: monitor (read) one slave node.
///
/// 2013: protocol, delay flag, attached count + addresses, length + frame. 2009 has no delay
/// flag (HW `ucMinLen` 5 → 6; capture P09).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MonitorRequest<'a> {
    /// Protocol of the frame.
    pub protocol: Protocol,
    /// Delay-sensitive (time setting): the module corrects for transmission delay. Always
    /// `false` in 2009, which has no such flag.
    pub delay_sensitive: bool,
    /// Attached nodes.
    pub attached: Entries<'a, Address>,
    /// The frame to send to the meter.
    pub frame: &'a [u8],
}

impl<'a> MonitorRequest<'a> {
    pub(crate) fn read(r: &mut Reader<'a>, ed: Edition) -> Result<Self, Error> {
        let protocol = Protocol::from_byte(r.u8()?);
        let delay_sensitive = match ed {
            Edition::V2009 => false,
            Edition::V2013 => r.flag()?,
        };
        let attached = counted(r, ed)?;
        let n = r.u8()?;
        let frame = r.take(usize::from(n))?;
        Ok(Self {
            protocol,
            delay_sensitive,
            attached,
            frame,
        })
    }

    pub(crate) fn len(&self, ed: Edition) -> usize {
        let flag = usize::from(ed == Edition::V2013);
        1 + flag + 1 + self.attached.as_bytes().len() + 1 + self.frame.len()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>, ed: Edition) -> Result<(), EmitError> {
        w.u8(self.protocol.to_byte())?;
        match ed {
            Edition::V2009 if self.delay_sensitive => return Err(EmitError::Edition),
            Edition::V2009 => {}
            Edition::V2013 => w.u8(u8::from(self.delay_sensitive))?,
        }
        write_counted(&self.attached, w)?;
        w.short_bytes(self.frame)
    }
}

/// AFN 13 F1 up: the meter's reply. An empty frame means the meter did not answer (SPL logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MonitorReply<'a> {
    /// Uplink transmission time in seconds.
    pub transit_s: u16,
    /// Protocol of the reply.
    pub protocol: Protocol,
    /// The reply frame; empty when the meter did not answer.
    pub frame: &'a [u8],
}

impl<'a> MonitorReply<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, Error> {
        let transit_s = r.u16()?;
        let protocol = Protocol::from_byte(r.u8()?);
        let n = r.u8()?;
        Ok(Self {
            transit_s,
            protocol,
            frame: r.take(usize::from(n))?,
        })
    }

    pub(crate) fn len(&self) -> usize {
        4 + self.frame.len()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.u16(self.transit_s)?;
        w.u8(self.protocol.to_byte())?;
        w.short_bytes(self.frame)
    }
}

/// AFN 14 F1 up: the router asks what to read at a meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReadRequest {
    /// Phase of the meter.
    pub phase: u8,
    /// Meter address.
    pub address: Address,
    /// Node index in the module's archive.
    pub index: u16,
}

impl ReadRequest {
    pub(crate) const LEN: usize = 9;

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            phase: r.u8()?,
            address: r.address()?,
            index: r.u16()?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.u8(self.phase)?;
        w.put(&self.address.0)?;
        w.u16(self.index)
    }
}

/// The read flag of AFN 14 F1 down (NUC `Uart_3762_AFN14F1_Tx`, CLOU `RT_RD_*`; HW rejects
/// values above 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadFlag {
    /// 0: read failed / skip this meter.
    Skip,
    /// 1: read succeeded / this meter is done.
    Done,
    /// 2: here is a frame to send.
    Send,
}

/// AFN 14 F1 down: the concentrator's answer.
///
/// Order: flag, delay flag (2013 only), length + frame, attached count + addresses; the frame
/// comes before the attached nodes here, unlike AFN 13 F1 (capture P12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReadAnswer<'a> {
    /// What to do with this meter.
    pub flag: ReadFlag,
    /// Delay-sensitive frame (2013 only; `false` in 2009).
    pub delay_sensitive: bool,
    /// The frame to send (empty unless the flag is [`ReadFlag::Send`]).
    pub frame: &'a [u8],
    /// Attached nodes.
    pub attached: Entries<'a, Address>,
}

impl<'a> ReadAnswer<'a> {
    pub(crate) fn read(r: &mut Reader<'a>, ed: Edition) -> Result<Self, Error> {
        let at = r.pos();
        let flag = match r.u8()? {
            0 => ReadFlag::Skip,
            1 => ReadFlag::Done,
            2 => ReadFlag::Send,
            _ => return Err(r.err_at(at, UnitError::Value)),
        };
        let delay_sensitive = match ed {
            Edition::V2009 => false,
            Edition::V2013 => r.flag()?,
        };
        let n = r.u8()?;
        let frame = r.take(usize::from(n))?;
        let attached = counted(r, ed)?;
        Ok(Self {
            flag,
            delay_sensitive,
            frame,
            attached,
        })
    }

    pub(crate) fn len(&self, ed: Edition) -> usize {
        let flag = usize::from(ed == Edition::V2013);
        1 + flag + 1 + self.frame.len() + 1 + self.attached.as_bytes().len()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>, ed: Edition) -> Result<(), EmitError> {
        w.u8(match self.flag {
            ReadFlag::Skip => 0,
            ReadFlag::Done => 1,
            ReadFlag::Send => 2,
        })?;
        match ed {
            Edition::V2009 if self.delay_sensitive => return Err(EmitError::Edition),
            Edition::V2009 => {}
            Edition::V2013 => w.u8(u8::from(self.delay_sensitive))?,
        }
        w.short_bytes(self.frame)?;
        write_counted(&self.attached, w)
    }
}

/// AFN 14 F3 up: the router asks for a delay-corrected frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DelayRequest<'a> {
    /// Meter address.
    pub address: Address,
    /// Expected transmission delay in seconds.
    pub delay_s: u16,
    /// The frame to correct.
    pub frame: &'a [u8],
}

impl<'a> DelayRequest<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, Error> {
        let address = r.address()?;
        let delay_s = r.u16()?;
        let n = r.u8()?;
        Ok(Self {
            address,
            delay_s,
            frame: r.take(usize::from(n))?,
        })
    }

    pub(crate) fn len(&self) -> usize {
        9 + self.frame.len()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.put(&self.address.0)?;
        w.u16(self.delay_s)?;
        w.short_bytes(self.frame)
    }
}

/// AFN 06 F2 up: meter data reported in a router-led round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MeterData<'a> {
    /// Node index.
    pub index: u16,
    /// Protocol of the reply.
    pub protocol: Protocol,
    /// Uplink transmission time in seconds (HW always reports 1).
    pub transit_s: u16,
    /// The meter's reply frame.
    pub frame: &'a [u8],
}

impl<'a> MeterData<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, Error> {
        let index = r.u16()?;
        let protocol = Protocol::from_byte(r.u8()?);
        let transit_s = r.u16()?;
        let n = r.u8()?;
        Ok(Self {
            index,
            protocol,
            transit_s,
            frame: r.take(usize::from(n))?,
        })
    }

    pub(crate) fn len(&self) -> usize {
        6 + self.frame.len()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.u16(self.index)?;
        w.u8(self.protocol.to_byte())?;
        w.u16(self.transit_s)?;
        w.short_bytes(self.frame)
    }
}

/// AFN F1 F1: concurrent read, protocol + one reserved byte + 2-byte length + frame(s).
///
/// The layout is read off the SPL capture `F1 01 00 02 00 3C 00 FE FE …` (three DL/T 645
/// requests, 60 bytes); the uplink is decoded with the same layout, which no capture confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConcurrentRead<'a> {
    /// Protocol of the frames.
    pub protocol: Protocol,
    /// The byte after the protocol (0 in every capture), kept.
    pub reserved: u8,
    /// The frame bytes (one or several DL/T 645 frames back to back).
    pub frame: &'a [u8],
}

impl<'a> ConcurrentRead<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, Error> {
        let protocol = Protocol::from_byte(r.u8()?);
        let reserved = r.u8()?;
        let n = r.u16()?;
        Ok(Self {
            protocol,
            reserved,
            frame: r.take(usize::from(n))?,
        })
    }

    pub(crate) fn len(&self) -> usize {
        4 + self.frame.len()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.u8(self.protocol.to_byte())?;
        w.u8(self.reserved)?;
        w.long_bytes(self.frame)
    }
}

/// Entry type of an address list, for symmetry with the node lists.
pub type AddressList<'a> = Entries<'a, Address>;
