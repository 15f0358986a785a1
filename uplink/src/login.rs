//! The link-management frames (notes §2.6): a terminal's login, logout and heartbeat (AFN 02
//! F1/F2/F3, C = 0xC9, SEQ single frame with CON) and the master's confirm (AFN 00 F1,
//! C = 0x0B, the same sequence number, no CON).

use crate::frame::PROTOCOL_1376_1;
use crate::{Address, Afn, Control, Direction, FrameRepr, Seq};

/// Which link test a terminal sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkTest {
    /// AFN 02 F1.
    Login,
    /// AFN 02 F2.
    Logout,
    /// AFN 02 F3.
    Heartbeat,
}

/// DA p0 with DT F1, F2 and F3.
const P0_F1: [u8; 4] = [0, 0, 0x01, 0];
const P0_F2: [u8; 4] = [0, 0, 0x02, 0];
const P0_F3: [u8; 4] = [0, 0, 0x04, 0];

impl LinkTest {
    /// The Fn.
    pub fn fn_number(self) -> u16 {
        match self {
            Self::Login => 1,
            Self::Logout => 2,
            Self::Heartbeat => 3,
        }
    }

    /// From an AFN 02 Fn.
    pub fn from_fn(n: u16) -> Option<Self> {
        match n {
            1 => Some(Self::Login),
            2 => Some(Self::Logout),
            3 => Some(Self::Heartbeat),
            _ => None,
        }
    }
}

impl FrameRepr<'static> {
    /// A terminal's login, logout or heartbeat with sequence number `seq` (0–15): C = 0xC9
    /// (up, PRM, function 9), AFN 02, SEQ single frame with CON, DA p0 (vectors U01, U03).
    pub fn link_test(address: Address, test: LinkTest, seq: u8) -> Self {
        Self {
            protocol: PROTOCOL_1376_1,
            control: Control {
                dir: Direction::Up,
                prm: true,
                fcb_acd: false,
                fcv: false,
                code: 9,
            },
            address,
            afn: Afn::LinkTest,
            seq: Seq::single(seq & 0x0F, true),
            units: match test {
                LinkTest::Login => &P0_F1,
                LinkTest::Logout => &P0_F2,
                LinkTest::Heartbeat => &P0_F3,
            },
            pw: None,
            ec: None,
            tp: None,
        }
    }

    /// The master's confirm of a link test: C = 0x0B (down, PRM = 0, function 11), AFN 00
    /// F1, the same sequence number, no CON (vector U02 answers U01).
    pub fn link_confirm(address: Address, seq: u8) -> Self {
        Self {
            protocol: PROTOCOL_1376_1,
            control: Control {
                dir: Direction::Down,
                prm: false,
                fcb_acd: false,
                fcv: false,
                code: 11,
            },
            address,
            afn: Afn::Confirm,
            seq: Seq::single(seq & 0x0F, false),
            units: &P0_F1,
            pw: None,
            ec: None,
            tp: None,
        }
    }
}

impl FrameRepr<'_> {
    /// The link test this frame is (AFN 02 from the terminal with a single DA/DT), if any.
    pub fn as_link_test(&self) -> Option<LinkTest> {
        if self.afn != Afn::LinkTest || self.control.dir != Direction::Up {
            return None;
        }
        let [da1, da2, dt1, dt2] = *self.units.first_chunk::<4>()?;
        if (da1, da2) != (0, 0) {
            return None;
        }
        LinkTest::from_fn(crate::Dt { dt1, dt2 }.single()?)
    }
}
