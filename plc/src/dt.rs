//! Application function code AFN and data unit identifier DT (notes §1.7, §1.9).

/// The application function code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Afn {
    /// 00H confirm / deny.
    Confirm,
    /// 01H initialisation.
    Init,
    /// 02H data forward.
    Forward,
    /// 03H query data.
    Query,
    /// 04H link-interface test.
    LinkTest,
    /// 05H control.
    Control,
    /// 06H active report.
    Report,
    /// 10H route query.
    RouteQuery,
    /// 11H route set.
    RouteSet,
    /// 12H route control.
    RouteControl,
    /// 13H route data forward (concentrator-led read).
    RouteForward,
    /// 14H route data read (router-led read).
    RouteRead,
    /// 15H file transfer.
    FileTransfer,
    /// F0H internal debug (vendor-defined).
    Debug,
    /// F1H concurrent reading (Q/GDW 10376.2-2019, HPLC).
    Concurrent,
    /// Any other code, kept as is.
    Unknown(u8),
}

impl Afn {
    /// Decodes the AFN byte.
    pub fn from_byte(b: u8) -> Self {
        match b {
            0x00 => Self::Confirm,
            0x01 => Self::Init,
            0x02 => Self::Forward,
            0x03 => Self::Query,
            0x04 => Self::LinkTest,
            0x05 => Self::Control,
            0x06 => Self::Report,
            0x10 => Self::RouteQuery,
            0x11 => Self::RouteSet,
            0x12 => Self::RouteControl,
            0x13 => Self::RouteForward,
            0x14 => Self::RouteRead,
            0x15 => Self::FileTransfer,
            0xF0 => Self::Debug,
            0xF1 => Self::Concurrent,
            b => Self::Unknown(b),
        }
    }

    /// The AFN byte.
    pub fn to_byte(self) -> u8 {
        match self {
            Self::Confirm => 0x00,
            Self::Init => 0x01,
            Self::Forward => 0x02,
            Self::Query => 0x03,
            Self::LinkTest => 0x04,
            Self::Control => 0x05,
            Self::Report => 0x06,
            Self::RouteQuery => 0x10,
            Self::RouteSet => 0x11,
            Self::RouteControl => 0x12,
            Self::RouteForward => 0x13,
            Self::RouteRead => 0x14,
            Self::FileTransfer => 0x15,
            Self::Debug => 0xF0,
            Self::Concurrent => 0xF1,
            Self::Unknown(b) => b,
        }
    }
}

/// The data unit identifier: DT1 is a bitmap inside group DT2, Fn = 8·DT2 + bit + 1.
///
/// Several bits may be set (several Fn of one group in one identifier); typed data units are
/// decoded only when exactly one Fn is named, otherwise the data unit stays raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dt {
    /// DT1: bitmap of the Fn inside the group.
    pub dt1: u8,
    /// DT2: the group number.
    pub dt2: u8,
}

impl Dt {
    /// The identifier of one Fn (1..=2048); `None` outside that range.
    pub fn single(fn_number: u16) -> Option<Self> {
        if !(1..=2048).contains(&fn_number) {
            return None;
        }
        let i = fn_number - 1;
        Some(Self {
            dt1: 1 << (i % 8),
            dt2: u8::try_from(i / 8).ok()?,
        })
    }

    /// The Fn when exactly one is named.
    pub fn fn_number(self) -> Option<u16> {
        if self.dt1.count_ones() != 1 {
            return None;
        }
        Some(u16::from(self.dt2) * 8 + self.dt1.trailing_zeros() as u16 + 1)
    }

    /// Every Fn named, in ascending order.
    pub fn fns(self) -> impl Iterator<Item = u16> {
        (0..8u16)
            .filter(move |i| self.dt1 & (1 << i) != 0)
            .map(move |i| u16::from(self.dt2) * 8 + i + 1)
    }
}
