//! Node addresses and the address field A (notes §1.6).

use core::fmt;

/// A 6-byte node (meter) address, kept in wire order (low byte first, as in DL/T 645).
///
/// Usually 12 BCD digits, but vendors use hex addresses (`BB BB BB BB BB BB`), so no digit check
/// is made; [`Display`](fmt::Display) prints the 12 hex digits most significant first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Address(pub [u8; 6]);

impl Address {
    /// The broadcast destination `999999999999` (notes §1.6, ICP `AFN05_F3`).
    pub const BROADCAST: Address = Address([0x99; 6]);

    /// Reads 6 bytes in wire order; `None` when fewer are given.
    pub fn from_wire(b: &[u8]) -> Option<Self> {
        let a: [u8; 6] = b.get(..6)?.try_into().ok()?;
        Some(Self(a))
    }

    /// The address from its 12 printed digits, most significant first (`"000000000100"`).
    /// `None` unless the text is exactly 12 hex digits.
    pub fn from_digits(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 12 {
            return None;
        }
        let mut out = [0u8; 6];
        for (i, o) in out.iter_mut().enumerate() {
            let hi = hex_val(*b.get(10 - 2 * i)?)?;
            let lo = hex_val(*b.get(11 - 2 * i)?)?;
            *o = hi << 4 | lo;
        }
        Some(Self(out))
    }
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0.iter().rev() {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

/// The most relay addresses R1's 4-bit relay level can announce.
pub const MAX_RELAYS: usize = 15;

/// The address field: present exactly when R1 bit D2 (communication-module flag) is 1.
///
/// Downlink: A1 source, one relay address per relay level, A3 destination. Uplink: source and
/// destination only (notes §1.6; HW and ICP parse the uplink without relays).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AddressField {
    /// A1: the source (master node on the way down, the meter on the way up).
    pub source: Address,
    /// Relay addresses, downlink only; as many as R1's relay level.
    pub relays: heapless::Vec<Address, MAX_RELAYS>,
    /// A3: the destination.
    pub destination: Address,
}

impl AddressField {
    /// A field without relays.
    pub fn new(source: Address, destination: Address) -> Self {
        Self {
            source,
            relays: heapless::Vec::new(),
            destination,
        }
    }

    /// Bytes on the wire.
    pub fn wire_len(&self) -> usize {
        12 + 6 * self.relays.len()
    }
}
