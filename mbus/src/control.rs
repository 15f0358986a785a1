//! The C field: direction, function, and the FCB/FCV (master) or ACD/DFC (slave) bits.

use bitflags::bitflags;

bitflags! {
    /// The flag bits of a C field (EN 13757-2, 5.3). Bits 5 and 4 are named by direction:
    /// FCB/FCV in a master request (PRM = 1), ACD/DFC in a slave reply (PRM = 0).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct ControlFlags: u8 {
        /// Bit 6, primary station: set in master-to-slave frames.
        const PRM = 0x40;
        /// Bit 5 in a request: frame count bit.
        const FCB = 0x20;
        /// Bit 4 in a request: frame count bit valid.
        const FCV = 0x10;
        /// Bit 5 in a reply: access demand (the slave has class 1 data).
        const ACD = 0x20;
        /// Bit 4 in a reply: data flow control (the slave cannot take more data).
        const DFC = 0x10;
    }
}

/// A C field, decoded into the telegrams of EN 13757-2 (table in `../shared/notes/mbus.md`
/// 1.2). Anything else is kept as [`Control::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Control {
    /// SND_NKE (0x40): link reset; the slave answers E5 and resets its FCB state.
    SndNke,
    /// SND_UD (0x53 / 0x73): send user data to the slave.
    SndUd {
        /// Frame count bit.
        fcb: bool,
    },
    /// REQ_UD1 (0x5A / 0x7A): request class 1 (alarm) data.
    ReqUd1 {
        /// Frame count bit.
        fcb: bool,
    },
    /// REQ_UD2 (0x5B / 0x7B): request class 2 (meter) data.
    ReqUd2 {
        /// Frame count bit.
        fcb: bool,
    },
    /// RSP_UD (0x08, plus 0x20 ACD and 0x10 DFC): the slave's data reply.
    RspUd {
        /// Access demand: the slave has alarm data to send.
        acd: bool,
        /// Data flow control: the slave cannot accept further data.
        dfc: bool,
    },
    /// Any other byte (reserved bit 7 set, a function M-Bus does not use, FCV clear where it
    /// must be set).
    Unknown(u8),
}

const FN_SND_NKE: u8 = 0x0;
const FN_SND_UD: u8 = 0x3;
const FN_RSP_UD: u8 = 0x8;
const FN_REQ_UD1: u8 = 0xA;
const FN_REQ_UD2: u8 = 0xB;

impl Control {
    /// Decode a C byte.
    pub const fn from_byte(byte: u8) -> Control {
        let fcb = byte & 0x20 != 0;
        match byte {
            0x40 => Control::SndNke,
            0x53 | 0x73 => Control::SndUd { fcb },
            0x5A | 0x7A => Control::ReqUd1 { fcb },
            0x5B | 0x7B => Control::ReqUd2 { fcb },
            0x08 | 0x18 | 0x28 | 0x38 => Control::RspUd {
                acd: byte & 0x20 != 0,
                dfc: byte & 0x10 != 0,
            },
            other => Control::Unknown(other),
        }
    }

    /// The C byte on the wire.
    pub const fn byte(self) -> u8 {
        const fn fcb(b: bool) -> u8 {
            if b { 0x20 } else { 0 }
        }
        match self {
            Control::SndNke => 0x40 | FN_SND_NKE,
            Control::SndUd { fcb: b } => 0x50 | fcb(b) | FN_SND_UD,
            Control::ReqUd1 { fcb: b } => 0x50 | fcb(b) | FN_REQ_UD1,
            Control::ReqUd2 { fcb: b } => 0x50 | fcb(b) | FN_REQ_UD2,
            Control::RspUd { acd, dfc } => {
                FN_RSP_UD | if acd { 0x20 } else { 0 } | if dfc { 0x10 } else { 0 }
            }
            Control::Unknown(b) => b,
        }
    }

    /// The flag bits of the byte.
    pub const fn flags(self) -> ControlFlags {
        ControlFlags::from_bits_truncate(self.byte())
    }

    /// The function code (bits 3..0).
    pub const fn function(self) -> u8 {
        self.byte() & 0x0F
    }

    /// Whether the frame goes from master to slave (PRM set).
    pub const fn is_request(self) -> bool {
        self.byte() & 0x40 != 0
    }

    /// The frame count bit of a request that carries one (FCV set), else `None`.
    pub const fn fcb(self) -> Option<bool> {
        match self {
            Control::SndUd { fcb } | Control::ReqUd1 { fcb } | Control::ReqUd2 { fcb } => Some(fcb),
            _ => None,
        }
    }
}

impl From<u8> for Control {
    fn from(byte: u8) -> Self {
        Control::from_byte(byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_bytes_from_the_notes() {
        assert_eq!(Control::from_byte(0x40), Control::SndNke);
        assert_eq!(Control::from_byte(0x53), Control::SndUd { fcb: false });
        assert_eq!(Control::from_byte(0x73), Control::SndUd { fcb: true });
        assert_eq!(Control::from_byte(0x5A), Control::ReqUd1 { fcb: false });
        assert_eq!(Control::from_byte(0x7B), Control::ReqUd2 { fcb: true });
        assert_eq!(
            Control::from_byte(0x08),
            Control::RspUd {
                acd: false,
                dfc: false
            }
        );
        assert_eq!(
            Control::from_byte(0x38),
            Control::RspUd {
                acd: true,
                dfc: true
            }
        );
        // FCV clear on a REQ_UD2 is not an M-Bus telegram.
        assert_eq!(Control::from_byte(0x4B), Control::Unknown(0x4B));
        assert!(Control::from_byte(0x7B).flags().contains(ControlFlags::FCB));
        assert!(!Control::from_byte(0x08).is_request());
    }

    #[test]
    fn every_byte_round_trips() {
        for b in 0..=255u8 {
            assert_eq!(Control::from_byte(b).byte(), b);
            assert_eq!(
                Control::from_byte(Control::from_byte(b).byte()),
                Control::from_byte(b)
            );
        }
    }
}
