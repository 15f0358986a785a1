//! AFN 10 (route query) and AFN 11 (route set) data units.

use super::codec::{Reader, Writer};
use super::list::{Entries, Entry};
use super::protocol::Protocol;
use super::time::DateTime;
use crate::{Address, Edition, EmitError, Error, UnitError};

/// AFN 10 F2/F5/F6 down: page through a node list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeQuery {
    /// First node index (EAST starts at 0, SPL at 1).
    pub start: u16,
    /// Nodes wanted (EAST asks 15, the HW CCO answers at most 32).
    pub count: u8,
}

impl NodeQuery {
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            start: r.u16()?,
            count: r.u8()?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.u16(self.start)?;
        w.u8(self.count)
    }
}

/// AFN 10 F1 up: node count and maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeCount {
    /// Slave nodes in the module's archive.
    pub count: u16,
    /// The most the module supports.
    pub max: u16,
}

/// One entry of AFN 10 F2 up: address and two information bytes (HW `AFN_10_F2_NODE_INFO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeInfo {
    /// Node address.
    pub address: Address,
    /// Byte 0 D0–D3: relay level.
    pub relay_level: u8,
    /// Byte 0 D4–D7: signal quality.
    pub signal_quality: u8,
    /// Byte 1 D0–D2: phase.
    pub phase: u8,
    /// Byte 1 D3–D5: protocol.
    pub protocol: Protocol,
    /// Byte 1 D6–D7, reserved, kept.
    pub reserved: u8,
}

impl Entry for NodeInfo {
    fn size(_: Edition) -> usize {
        8
    }
    fn read(b: &[u8], _: Edition) -> Self {
        let i0 = b.get(6).copied().unwrap_or(0);
        let i1 = b.get(7).copied().unwrap_or(0);
        Self {
            address: Address::from_wire(b).unwrap_or_default(),
            relay_level: i0 & 0x0F,
            signal_quality: i0 >> 4,
            phase: i1 & 0x07,
            protocol: Protocol::from_byte((i1 >> 3) & 0x07),
            reserved: i1 >> 6,
        }
    }
    fn write(&self, out: &mut [u8], _: Edition) -> Result<(), EmitError> {
        let p = self.protocol.to_byte();
        if self.relay_level > 15
            || self.signal_quality > 15
            || self.phase > 7
            || p > 7
            || self.reserved > 3
        {
            return Err(EmitError::Value);
        }
        let o = out
            .get_mut(..8)
            .ok_or(EmitError::BufferTooSmall { needed: 8 })?;
        o.get_mut(..6)
            .unwrap_or(&mut [])
            .copy_from_slice(&self.address.0);
        if let Some(x) = o.get_mut(6) {
            *x = self.relay_level | self.signal_quality << 4;
        }
        if let Some(x) = o.get_mut(7) {
            *x = self.phase | p << 3 | self.reserved << 6;
        }
        Ok(())
    }
}

/// AFN 10 F2/F5/F6 up: one page of a node list.
///
/// F2's layout is confirmed by captures (EAST, SPL); F5 (failed nodes) and F6 (registered
/// nodes) are decoded with the same entry layout, which no capture confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodePage<'a> {
    /// Total nodes in the module's list.
    pub total: u16,
    /// The nodes in this answer.
    pub nodes: Entries<'a, NodeInfo>,
}

impl<'a> NodePage<'a> {
    pub(crate) fn read(r: &mut Reader<'a>, ed: Edition) -> Result<Self, Error> {
        let total = r.u16()?;
        let n = r.u8()?;
        let at = r.pos();
        let bytes = r.take(usize::from(n) * NodeInfo::size(ed))?;
        let nodes = Entries::from_bytes(bytes, ed).ok_or_else(|| r.err_at(at, UnitError::Short))?;
        Ok(Self { total, nodes })
    }

    pub(crate) fn len(&self) -> usize {
        3 + self.nodes.as_bytes().len()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.u16(self.total)?;
        w.u8(u8::try_from(self.nodes.len()).map_err(|_| EmitError::FieldOverflow)?)?;
        self.nodes.write(w)
    }
}

/// AFN 10 F4 up: route run status (16 bytes; checked against the SPL capture
/// `10 08 00 00 03 00 …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteRunStatus {
    /// Status byte D0: routing (the reading round) finished.
    pub finished: bool,
    /// Status byte D1: working.
    pub working: bool,
    /// Status byte D2: events to report.
    pub event_pending: bool,
    /// Status byte D3, reserved, kept.
    pub reserved_bit: bool,
    /// Status byte D4–D7: error-correction code.
    pub ecc: u8,
    /// Slave nodes in total.
    pub node_count: u16,
    /// Nodes read.
    pub read_count: u16,
    /// Nodes read through relays.
    pub relay_read_count: u16,
    /// Work switch byte: D0 work state (1 learning, 0 reading), D1 registration allowed,
    /// D2–D7 reserved (kept whole).
    pub work_switch: u8,
    /// Communication rate.
    pub rate: u16,
    /// Relay level per phase 1–3.
    pub relay_levels: [u8; 3],
    /// Work step per phase 1–3.
    pub work_steps: [u8; 3],
}

impl RouteRunStatus {
    pub(crate) const LEN: usize = 16;

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        let s = r.u8()?;
        let mut m = Self {
            finished: s & 1 != 0,
            working: s & 2 != 0,
            event_pending: s & 4 != 0,
            reserved_bit: s & 8 != 0,
            ecc: s >> 4,
            node_count: r.u16()?,
            read_count: r.u16()?,
            relay_read_count: r.u16()?,
            work_switch: r.u8()?,
            rate: r.u16()?,
            relay_levels: [0; 3],
            work_steps: [0; 3],
        };
        for l in &mut m.relay_levels {
            *l = r.u8()?;
        }
        for l in &mut m.work_steps {
            *l = r.u8()?;
        }
        Ok(m)
    }

    /// Work switch D0: the router is learning routes (not reading).
    pub fn learning(&self) -> bool {
        self.work_switch & 1 != 0
    }

    /// Work switch D1: registration allowed.
    pub fn registration_allowed(&self) -> bool {
        self.work_switch & 2 != 0
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        if self.ecc > 15 {
            return Err(EmitError::Value);
        }
        w.u8(u8::from(self.finished)
            | u8::from(self.working) << 1
            | u8::from(self.event_pending) << 2
            | u8::from(self.reserved_bit) << 3
            | self.ecc << 4)?;
        w.u16(self.node_count)?;
        w.u16(self.read_count)?;
        w.u16(self.relay_read_count)?;
        w.u8(self.work_switch)?;
        w.u16(self.rate)?;
        w.put(&self.relay_levels)?;
        w.put(&self.work_steps)
    }
}

/// One entry of AFN 11 F1: 2013 address + protocol (7 bytes); 2009 address + node index +
/// protocol (9 bytes; HW `GetSecondaryNodeItemSize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddNode {
    /// Node address.
    pub address: Address,
    /// Node index: present in 2009, absent in 2013.
    pub index: Option<u16>,
    /// Protocol of the meter.
    pub protocol: Protocol,
}

impl Entry for AddNode {
    fn size(ed: Edition) -> usize {
        match ed {
            Edition::V2009 => 9,
            Edition::V2013 => 7,
        }
    }
    fn read(b: &[u8], ed: Edition) -> Self {
        let address = Address::from_wire(b).unwrap_or_default();
        let g = |i: usize| b.get(i).copied().unwrap_or(0);
        match ed {
            Edition::V2009 => Self {
                address,
                index: Some(u16::from_le_bytes([g(6), g(7)])),
                protocol: Protocol::from_byte(g(8)),
            },
            Edition::V2013 => Self {
                address,
                index: None,
                protocol: Protocol::from_byte(g(6)),
            },
        }
    }
    fn write(&self, out: &mut [u8], ed: Edition) -> Result<(), EmitError> {
        let mut tmp = [0u8; 9];
        tmp[..6].copy_from_slice(&self.address.0);
        let n = match (ed, self.index) {
            (Edition::V2009, Some(i)) => {
                tmp[6..8].copy_from_slice(&i.to_le_bytes());
                tmp[8] = self.protocol.to_byte();
                9
            }
            (Edition::V2013, None) => {
                tmp[6] = self.protocol.to_byte();
                7
            }
            _ => return Err(EmitError::Edition),
        };
        out.get_mut(..n)
            .ok_or(EmitError::BufferTooSmall { needed: n })?
            .copy_from_slice(tmp.get(..n).unwrap_or(&[]));
        Ok(())
    }
}

/// Reads a one-byte count followed by that many entries.
pub(crate) fn counted<'a, T: Entry>(
    r: &mut Reader<'a>,
    ed: Edition,
) -> Result<Entries<'a, T>, Error> {
    let n = r.u8()?;
    let at = r.pos();
    let bytes = r.take(usize::from(n) * T::size(ed))?;
    Entries::from_bytes(bytes, ed).ok_or_else(|| r.err_at(at, UnitError::Short))
}

/// Writes a one-byte count followed by the entries.
pub(crate) fn write_counted<T: Entry>(
    e: &Entries<'_, T>,
    w: &mut Writer<'_>,
) -> Result<(), EmitError> {
    w.u8(u8::try_from(e.len()).map_err(|_| EmitError::FieldOverflow)?)?;
    e.write(w)
}

/// AFN 11 F5 down: activate slave active registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RegistrationWindow {
    /// Start time.
    pub start: DateTime,
    /// Duration in minutes.
    pub duration_min: u16,
    /// Retries per slave.
    pub retries: u8,
    /// Random time slots.
    pub slots: u8,
}

impl RegistrationWindow {
    pub(crate) const LEN: usize = 10;

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            start: DateTime::read(r)?,
            duration_min: r.u16()?,
            retries: r.u8()?,
            slots: r.u8()?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        self.start.write(w)?;
        w.u16(self.duration_min)?;
        w.u8(self.retries)?;
        w.u8(self.slots)
    }
}
