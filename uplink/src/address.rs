//! The address field A (notes §2.1): area code, terminal address, master address, group flag.

/// The 5-byte address field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Address {
    /// A1, the administrative area code: 4 BCD digits, kept as the wire word (`0x0200` is
    /// area "0200"); not checked, since a terminal answers whatever its master sent.
    pub area: u16,
    /// A2, the terminal address (BIN, 1–65535; 0xFFFF with the group flag is broadcast).
    pub terminal: u16,
    /// A3 D1–D7: the master-station address, 0–127.
    pub master: u8,
    /// A3 D0: A2 is a group address.
    pub group: bool,
}

impl Address {
    /// Decodes the 5 bytes.
    pub fn from_bytes(b: [u8; 5]) -> Self {
        let [a0, a1, t0, t1, a3] = b;
        Self {
            area: u16::from_le_bytes([a0, a1]),
            terminal: u16::from_le_bytes([t0, t1]),
            master: a3 >> 1,
            group: a3 & 1 != 0,
        }
    }

    /// The 5 bytes; `None` when `master` is above 127.
    pub fn to_bytes(&self) -> Option<[u8; 5]> {
        if self.master > 0x7F {
            return None;
        }
        let [a0, a1] = self.area.to_le_bytes();
        let [t0, t1] = self.terminal.to_le_bytes();
        Some([a0, a1, t0, t1, (self.master << 1) | u8::from(self.group)])
    }

    /// Broadcast: terminal address 0xFFFF with the group flag set.
    pub fn is_broadcast(&self) -> bool {
        self.group && self.terminal == 0xFFFF
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_u01_address() {
        // frames-1376-1.tsv U01: "A1 0200, A2 1234, A3 0" from `00 02 34 12 00`.
        let a = Address::from_bytes([0x00, 0x02, 0x34, 0x12, 0x00]);
        assert_eq!(a.area, 0x0200);
        assert_eq!(a.terminal, 0x1234);
        assert_eq!((a.master, a.group), (0, false));
        assert_eq!(a.to_bytes(), Some([0x00, 0x02, 0x34, 0x12, 0x00]));
        // Notes §2.1: A3 = 0x02 is master-station address 1, no group.
        let m = Address::from_bytes([0, 0, 0, 0, 0x02]);
        assert_eq!((m.master, m.group), (1, false));
        assert!(Address::from_bytes([0, 0, 0xFF, 0xFF, 0x01]).is_broadcast());
    }
}
