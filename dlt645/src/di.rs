//! Data identifiers: 4 bytes in 2007, 2 bytes in 1997, both sent lowest byte first.

use core::fmt;

/// A DL/T 645-2007 data identifier DI3 DI2 DI1 DI0 (written high byte first, e.g.
/// `Di(0x0001_0000)` = forward active total energy; on the wire DI0 comes first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Di(pub u32);

impl Di {
    /// DI3, the class (00 energy, 02 variables, 04 parameters, 05 frozen, 06 load ...).
    #[inline]
    pub fn di3(self) -> u8 {
        self.0.to_be_bytes()[0]
    }
    /// DI2.
    #[inline]
    pub fn di2(self) -> u8 {
        self.0.to_be_bytes()[1]
    }
    /// DI1.
    #[inline]
    pub fn di1(self) -> u8 {
        self.0.to_be_bytes()[2]
    }
    /// DI0.
    #[inline]
    pub fn di0(self) -> u8 {
        self.0.to_be_bytes()[3]
    }
    /// The plain wire bytes, DI0 first.
    #[inline]
    pub fn wire(self) -> [u8; 4] {
        self.0.to_le_bytes()
    }
    /// From plain wire bytes, DI0 first.
    #[inline]
    pub fn from_wire(b: [u8; 4]) -> Di {
        Di(u32::from_le_bytes(b))
    }
}

impl fmt::Display for Di {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08X}", self.0)
    }
}

/// A DL/T 645-1997 data identifier DI1 DI0 (e.g. `Di97(0x9010)`, sent `10 90` + 0x33).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Di97(pub u16);

impl Di97 {
    /// DI1 (high byte).
    #[inline]
    pub fn di1(self) -> u8 {
        self.0.to_be_bytes()[0]
    }
    /// DI0 (low byte).
    #[inline]
    pub fn di0(self) -> u8 {
        self.0.to_be_bytes()[1]
    }
    /// The plain wire bytes, DI0 first.
    #[inline]
    pub fn wire(self) -> [u8; 2] {
        self.0.to_le_bytes()
    }
    /// From plain wire bytes, DI0 first.
    #[inline]
    pub fn from_wire(b: [u8; 2]) -> Di97 {
        Di97(u16::from_le_bytes(b))
    }
}

impl fmt::Display for Di97 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}
