//! AFN 06 active reports of the module: slave-node info (F1), route status (F3),
//! registration results (F4) and slave events (F5). Meter data (F2) is in `read`.

use super::codec::{Reader, Writer};
use super::list::{Entries, Entry};
use super::protocol::Protocol;
use crate::{Address, Edition, EmitError, Error, UnitError};

/// One entry of AFN 06 F1: address, protocol, node index (9 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeReport {
    /// Node address.
    pub address: Address,
    /// Protocol.
    pub protocol: Protocol,
    /// Node index.
    pub index: u16,
}

impl Entry for NodeReport {
    fn size(_: Edition) -> usize {
        9
    }
    fn read(b: &[u8], _: Edition) -> Self {
        let g = |i: usize| b.get(i).copied().unwrap_or(0);
        Self {
            address: Address::from_wire(b).unwrap_or_default(),
            protocol: Protocol::from_byte(g(6)),
            index: u16::from_le_bytes([g(7), g(8)]),
        }
    }
    fn write(&self, out: &mut [u8], _: Edition) -> Result<(), EmitError> {
        let [lo, hi] = self.index.to_le_bytes();
        let a = self.address.0;
        let bytes = [
            a[0],
            a[1],
            a[2],
            a[3],
            a[4],
            a[5],
            self.protocol.to_byte(),
            lo,
            hi,
        ];
        out.get_mut(..9)
            .ok_or(EmitError::BufferTooSmall { needed: 9 })?
            .copy_from_slice(&bytes);
        Ok(())
    }
}

/// AFN 06 F3 up: route work-status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteStatus {
    /// 1: the reading round is finished.
    ReadingFinished,
    /// 2: the meter search (registration) is finished.
    SearchFinished,
    /// Any other code, kept.
    Unknown(u8),
}

impl RouteStatus {
    /// Decodes the byte.
    pub fn from_byte(b: u8) -> Self {
        match b {
            1 => Self::ReadingFinished,
            2 => Self::SearchFinished,
            b => Self::Unknown(b),
        }
    }

    /// The byte.
    pub fn to_byte(self) -> u8 {
        match self {
            Self::ReadingFinished => 1,
            Self::SearchFinished => 2,
            Self::Unknown(b) => b,
        }
    }
}

/// An attached node of a registered node: address + protocol (7 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AttachedNode {
    /// Address.
    pub address: Address,
    /// Protocol.
    pub protocol: Protocol,
}

impl Entry for AttachedNode {
    fn size(_: Edition) -> usize {
        7
    }
    fn read(b: &[u8], _: Edition) -> Self {
        Self {
            address: Address::from_wire(b).unwrap_or_default(),
            protocol: Protocol::from_byte(b.get(6).copied().unwrap_or(0)),
        }
    }
    fn write(&self, out: &mut [u8], _: Edition) -> Result<(), EmitError> {
        let o = out
            .get_mut(..7)
            .ok_or(EmitError::BufferTooSmall { needed: 7 })?;
        if let Some(a) = o.get_mut(..6) {
            a.copy_from_slice(&self.address.0);
        }
        if let Some(p) = o.get_mut(6) {
            *p = self.protocol.to_byte();
        }
        Ok(())
    }
}

/// One node of an AFN 06 F4 registration report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RegisteredNode<'a> {
    /// Address of the node (a meter or a collector).
    pub address: Address,
    /// Protocol.
    pub protocol: Protocol,
    /// Node index.
    pub index: u16,
    /// Device type (collector, meter, ...; vendor list).
    pub device_type: u8,
    /// Attached nodes behind it in total (M).
    pub attached_total: u8,
    /// The attached nodes carried in this frame (m).
    pub attached: Entries<'a, AttachedNode>,
}

/// AFN 06 F4 up: slave nodes found by registration, with device type and attached nodes.
///
/// Layout per node: address 6, protocol 1, index 2, device type 1, attached total 1, attached
/// in this frame m 1, m × (address 6 + protocol 1); the list starts with a node count. No
/// capture of this report exists in the vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Registered<'a> {
    count: u8,
    bytes: &'a [u8],
}

impl<'a> Registered<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, Error> {
        let count = r.u8()?;
        let start = r.pos();
        for _ in 0..count {
            r.take(11)?;
            let m = r.u8()?;
            r.take(usize::from(m) * 7)?;
        }
        let end = r.pos();
        Ok(Self {
            count,
            bytes: r_slice(r, start, end)?,
        })
    }

    /// A report over `bytes`, the `count` node records after the count byte; `None` unless
    /// they are exactly `count` well-formed records (for building a report, e.g. in a module
    /// simulator).
    pub fn from_bytes(count: u8, bytes: &'a [u8]) -> Option<Self> {
        let mut rest = bytes;
        for _ in 0..count {
            let m = usize::from(*rest.get(11)?) * 7;
            rest = rest.get(12 + m..)?;
        }
        rest.is_empty().then_some(Self { count, bytes })
    }

    /// The node records as on the wire (without the count byte).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        usize::from(self.count)
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The nodes in order.
    pub fn iter(&self) -> impl Iterator<Item = RegisteredNode<'a>> + 'a {
        let mut rest = self.bytes;
        (0..self.count).map_while(move |_| {
            let head = rest.get(..12)?;
            let g = |i: usize| head.get(i).copied().unwrap_or(0);
            let m = usize::from(g(11)) * 7;
            let list = rest.get(12..12 + m)?;
            rest = rest.get(12 + m..)?;
            Some(RegisteredNode {
                address: Address::from_wire(head)?,
                protocol: Protocol::from_byte(g(6)),
                index: u16::from_le_bytes([g(7), g(8)]),
                device_type: g(9),
                attached_total: g(10),
                attached: Entries::from_bytes(list, Edition::V2013)?,
            })
        })
    }

    pub(crate) fn len_bytes(&self) -> usize {
        1 + self.bytes.len()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.u8(self.count)?;
        w.put(self.bytes)
    }
}

/// The bytes a reader went over between two positions.
fn r_slice<'a>(r: &Reader<'a>, start: usize, end: usize) -> Result<&'a [u8], Error> {
    r.slice(start, end)
        .ok_or_else(|| r.err_at(start, UnitError::Short))
}

/// AFN 06 F5 up: an event reported by a slave node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SlaveEvent<'a> {
    /// Device type.
    pub device_type: u8,
    /// Protocol of the event frame.
    pub protocol: Protocol,
    /// The event frame (e.g. a DL/T 645 event report).
    pub frame: &'a [u8],
}

impl<'a> SlaveEvent<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, Error> {
        let device_type = r.u8()?;
        let protocol = Protocol::from_byte(r.u8()?);
        let n = r.u8()?;
        Ok(Self {
            device_type,
            protocol,
            frame: r.take(usize::from(n))?,
        })
    }

    pub(crate) fn len(&self) -> usize {
        3 + self.frame.len()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.u8(self.device_type)?;
        w.u8(self.protocol.to_byte())?;
        w.short_bytes(self.frame)
    }
}
