//! The meter archive: which meters exist, where they hang and how they are read.

use thiserror::Error;

use crate::channel::{ChannelConfig, ChannelId, ChannelKind};
use crate::item::{Protocol, ReadSet};

/// A meter's bus address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeterAddress {
    /// DL/T 645: six bytes of packed BCD, low byte first as on the wire (meter 123456789012 is
    /// `12 90 78 56 34 12`, notes §1.3).
    Dlt645([u8; 6]),
    /// M-Bus primary address 1..=250 (EN 13757-2: 0 is unconfigured, 251-255 are reserved).
    MbusPrimary(u8),
    /// M-Bus secondary address: identification number (4 bytes BCD), manufacturer (2),
    /// version (1), medium (1), in wire order (EN 13757-3).
    MbusSecondary([u8; 8]),
}

impl MeterAddress {
    /// A DL/T 645 address from its 12-digit decimal number (at most 999 999 999 998).
    pub fn dlt645(number: u64) -> Result<Self, ArchiveError> {
        if number >= 999_999_999_999 {
            return Err(ArchiveError::BadAddress { offset: 0 });
        }
        let mut bytes = [0u8; 6];
        let mut n = number;
        for b in &mut bytes {
            let lo = (n % 10) as u8;
            let hi = ((n / 10) % 10) as u8;
            *b = (hi << 4) | lo;
            n /= 100;
        }
        Ok(MeterAddress::Dlt645(bytes))
    }

    /// The DL/T 645 address as a number, if this is a DL/T 645 address of valid BCD.
    pub fn dlt645_number(&self) -> Option<u64> {
        match self {
            MeterAddress::Dlt645(bytes) => {
                let mut n = 0u64;
                for b in bytes.iter().rev() {
                    let (hi, lo) = (b >> 4, b & 0x0F);
                    if hi > 9 || lo > 9 {
                        return None;
                    }
                    n = n * 100 + u64::from(hi) * 10 + u64::from(lo);
                }
                Some(n)
            }
            _ => None,
        }
    }
}

/// What a meter needs for password-protected writes (remote switch, clock set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ControlAuth {
    /// Password level PA (DL/T 645: 02 or 04 plaintext, notes §1.5).
    pub level: u8,
    /// Password P0 P1 P2 (3 bytes BCD, low byte first).
    pub password: [u8; 3],
    /// Operator code C0..C3.
    pub operator: [u8; 4],
}

/// One meter of the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Meter {
    /// The archive (measuring point) number, unique in the archive, 1 or more.
    pub archive_no: u16,
    /// The protocol it speaks.
    pub protocol: Protocol,
    /// Its bus address.
    pub address: MeterAddress,
    /// The channel it hangs on.
    pub channel: ChannelId,
    /// A baud rate that differs from the channel's (a 1997 meter at 1200 on a 2400 bus).
    pub baud: Option<u32>,
    /// Password and operator code for control writes; `None` forbids them.
    pub control: Option<ControlAuth>,
    /// The scheduled work it takes part in.
    pub reads: ReadSet,
    /// Whether the clock check may correct its clock with a password-protected write.
    pub allow_clock_set: bool,
}

/// Why an archive change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The archive holds its maximum number of meters.
    #[error("archive full")]
    Full,
    /// Archive number 0 is not allowed.
    #[error("archive number 0 is not allowed")]
    ZeroArchiveNo,
    /// Another meter already has this archive number.
    #[error("archive number {0} already in use")]
    DuplicateArchiveNo(u16),
    /// No meter has this archive number.
    #[error("no meter with archive number {0}")]
    NotFound(u16),
    /// The channel is not configured.
    #[error("channel {} is not configured", .0.0)]
    UnknownChannel(ChannelId),
    /// The protocol cannot run on that kind of channel (M-Bus on RS-485, DL/T 645 on M-Bus).
    #[error("protocol {protocol:?} cannot run on a {kind:?} channel")]
    WrongChannelKind {
        /// The meter's protocol.
        protocol: Protocol,
        /// The channel's kind.
        kind: ChannelKind,
    },
    /// Another meter on the same channel has the same address.
    #[error("address already used on this channel by meter {other}")]
    DuplicateAddress {
        /// The archive number of the meter that has it.
        other: u16,
    },
    /// The address does not suit the protocol (an M-Bus address for a DL/T 645 meter).
    #[error("address does not match the protocol")]
    AddressProtocolMismatch,
    /// The address is malformed; `offset` is the byte (wire order) that is wrong.
    #[error("bad address byte at offset {offset}")]
    BadAddress {
        /// The offending byte, in wire order.
        offset: usize,
    },
    /// The baud-rate override is not one the protocols use (300..=19200, a standard rate).
    #[error("unsupported baud rate {0}")]
    BadBaud(u32),
}

fn validate_address(protocol: Protocol, address: &MeterAddress) -> Result<(), ArchiveError> {
    match (protocol, address) {
        (Protocol::Dlt645_2007 | Protocol::Dlt645_1997, MeterAddress::Dlt645(bytes)) => {
            // Every byte must be BCD: the wildcard AA (notes §1.3) and broadcast 99..99 are
            // not meter addresses.
            for (offset, b) in bytes.iter().enumerate() {
                if b >> 4 > 9 || b & 0x0F > 9 {
                    return Err(ArchiveError::BadAddress { offset });
                }
            }
            if bytes.iter().all(|&b| b == 0x99) {
                return Err(ArchiveError::BadAddress { offset: 0 });
            }
            Ok(())
        }
        (Protocol::MbusPrimary, MeterAddress::MbusPrimary(a)) => {
            if (1..=250).contains(a) {
                Ok(())
            } else {
                Err(ArchiveError::BadAddress { offset: 0 })
            }
        }
        (Protocol::MbusSecondary, MeterAddress::MbusSecondary(bytes)) => {
            // The identification number is 8 BCD digits (EN 13757-3); 0xF is a wildcard
            // nibble in a selection, not in a meter's own address.
            for (offset, b) in bytes.iter().take(4).enumerate() {
                if b >> 4 > 9 || b & 0x0F > 9 {
                    return Err(ArchiveError::BadAddress { offset });
                }
            }
            Ok(())
        }
        _ => Err(ArchiveError::AddressProtocolMismatch),
    }
}

fn kind_allows(kind: ChannelKind, protocol: Protocol) -> bool {
    match kind {
        ChannelKind::Rs485 | ChannelKind::Carrier => protocol.is_dlt645(),
        ChannelKind::Mbus => !protocol.is_dlt645(),
    }
}

/// The meters, in fixed slots; a slot index is stable while the meter exists.
#[derive(Debug, Clone)]
pub struct Archive<const N: usize> {
    slots: [Option<Meter>; N],
    len: usize,
}

impl<const N: usize> Default for Archive<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Archive<N> {
    /// An empty archive.
    pub const fn new() -> Self {
        Archive {
            slots: [None; N],
            len: 0,
        }
    }

    /// How many meters it holds.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds no meter.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The meter with this archive number.
    pub fn get(&self, archive_no: u16) -> Option<&Meter> {
        self.slot_of(archive_no).and_then(|s| self.slot(s))
    }

    /// The meter in slot `slot`.
    pub(crate) fn slot(&self, slot: usize) -> Option<&Meter> {
        self.slots.get(slot).and_then(Option::as_ref)
    }

    /// The slot of the meter with this archive number.
    pub(crate) fn slot_of(&self, archive_no: u16) -> Option<usize> {
        self.slots
            .iter()
            .position(|m| m.is_some_and(|m| m.archive_no == archive_no))
    }

    /// All meters, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = &Meter> {
        self.slots.iter().filter_map(Option::as_ref)
    }

    fn validate(
        &self,
        meter: &Meter,
        channels: &[Option<ChannelConfig>],
        skip_slot: Option<usize>,
    ) -> Result<(), ArchiveError> {
        if meter.archive_no == 0 {
            return Err(ArchiveError::ZeroArchiveNo);
        }
        let channel = channels
            .get(usize::from(meter.channel.0))
            .copied()
            .flatten()
            .ok_or(ArchiveError::UnknownChannel(meter.channel))?;
        if !kind_allows(channel.kind, meter.protocol) {
            return Err(ArchiveError::WrongChannelKind {
                protocol: meter.protocol,
                kind: channel.kind,
            });
        }
        validate_address(meter.protocol, &meter.address)?;
        if let Some(baud) = meter.baud
            && !matches!(baud, 300 | 600 | 1200 | 2400 | 4800 | 9600 | 19200)
        {
            return Err(ArchiveError::BadBaud(baud));
        }
        for (i, other) in self.slots.iter().enumerate() {
            let Some(other) = other else { continue };
            if Some(i) == skip_slot {
                continue;
            }
            if other.archive_no == meter.archive_no {
                return Err(ArchiveError::DuplicateArchiveNo(meter.archive_no));
            }
            if other.channel == meter.channel && other.address == meter.address {
                return Err(ArchiveError::DuplicateAddress {
                    other: other.archive_no,
                });
            }
        }
        Ok(())
    }

    /// Adds a meter after validating it; returns its slot.
    pub(crate) fn add(
        &mut self,
        meter: Meter,
        channels: &[Option<ChannelConfig>],
    ) -> Result<usize, ArchiveError> {
        self.validate(&meter, channels, None)?;
        let slot = self
            .slots
            .iter()
            .position(Option::is_none)
            .ok_or(ArchiveError::Full)?;
        if let Some(s) = self.slots.get_mut(slot) {
            *s = Some(meter);
            self.len += 1;
        }
        Ok(slot)
    }

    /// Replaces the meter with `meter.archive_no`; returns its slot.
    pub(crate) fn change(
        &mut self,
        meter: Meter,
        channels: &[Option<ChannelConfig>],
    ) -> Result<usize, ArchiveError> {
        let slot = self
            .slot_of(meter.archive_no)
            .ok_or(ArchiveError::NotFound(meter.archive_no))?;
        self.validate(&meter, channels, Some(slot))?;
        if let Some(s) = self.slots.get_mut(slot) {
            *s = Some(meter);
        }
        Ok(slot)
    }

    /// Removes the meter; returns the slot it had.
    pub(crate) fn remove(&mut self, archive_no: u16) -> Result<usize, ArchiveError> {
        let slot = self
            .slot_of(archive_no)
            .ok_or(ArchiveError::NotFound(archive_no))?;
        if let Some(s) = self.slots.get_mut(slot) {
            *s = None;
            self.len -= 1;
        }
        Ok(slot)
    }
}
