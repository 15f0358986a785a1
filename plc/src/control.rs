//! The control field C (notes §1.4): direction, PRM and communication mode.

/// Which way a frame travels (C bit D7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Concentrator to module (D7 = 0).
    Down,
    /// Module to concentrator (D7 = 1).
    Up,
}

/// Communication mode in C bits D5–D0.
///
/// Not the same code list as the communication mode of AFN 03 F10 (notes §1.4): keep them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommMode {
    /// 1: centralised-routing carrier (narrowband PLC).
    CentralisedCarrier,
    /// 2: distributed-routing carrier.
    DistributedCarrier,
    /// 3: broadband carrier (HPLC).
    Broadband,
    /// 10: micro-power wireless.
    Wireless,
    /// 20: Ethernet.
    Ethernet,
    /// Any reserved value (0, 4–9, 11–19, 21–63).
    Unknown(u8),
}

impl CommMode {
    /// The 6-bit code.
    pub fn code(self) -> u8 {
        match self {
            Self::CentralisedCarrier => 1,
            Self::DistributedCarrier => 2,
            Self::Broadband => 3,
            Self::Wireless => 10,
            Self::Ethernet => 20,
            Self::Unknown(c) => c & 0x3F,
        }
    }

    /// Decodes the 6-bit code (higher bits are ignored).
    pub fn from_code(code: u8) -> Self {
        match code & 0x3F {
            1 => Self::CentralisedCarrier,
            2 => Self::DistributedCarrier,
            3 => Self::Broadband,
            10 => Self::Wireless,
            20 => Self::Ethernet,
            c => Self::Unknown(c),
        }
    }
}

/// The control byte C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Control {
    /// D7: direction.
    pub direction: Direction,
    /// D6 PRM: `true` when the frame comes from the initiating station (a command, or a
    /// module's spontaneous report), `false` for a reply.
    pub prm: bool,
    /// D5–D0: communication mode.
    pub mode: CommMode,
}

impl Control {
    /// Decodes the C byte.
    pub fn from_byte(b: u8) -> Self {
        Self {
            direction: if b & 0x80 != 0 {
                Direction::Up
            } else {
                Direction::Down
            },
            prm: b & 0x40 != 0,
            mode: CommMode::from_code(b),
        }
    }

    /// Encodes the C byte.
    pub fn to_byte(self) -> u8 {
        let dir = match self.direction {
            Direction::Down => 0,
            Direction::Up => 0x80,
        };
        dir | if self.prm { 0x40 } else { 0 } | self.mode.code()
    }

    /// A concentrator command (down, PRM = 1), e.g. `0x43` for HPLC.
    pub fn command(mode: CommMode) -> Self {
        Self {
            direction: Direction::Down,
            prm: true,
            mode,
        }
    }

    /// The concentrator's reply to a module-initiated frame (down, PRM = 0), e.g. `0x03`.
    pub fn down_reply(mode: CommMode) -> Self {
        Self {
            direction: Direction::Down,
            prm: false,
            mode,
        }
    }

    /// A module reply (up, PRM = 0), e.g. `0x83`.
    pub fn up_reply(mode: CommMode) -> Self {
        Self {
            direction: Direction::Up,
            prm: false,
            mode,
        }
    }

    /// A module-initiated report (up, PRM = 1), e.g. `0xC3`.
    pub fn report(mode: CommMode) -> Self {
        Self {
            direction: Direction::Up,
            prm: true,
            mode,
        }
    }
}
