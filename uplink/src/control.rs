//! The control field C (notes §2.2): DIR, PRM, FCB/ACD, FCV and the function code.

/// Which way a frame travels (C bit D7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Master station to terminal (DIR = 0).
    Down,
    /// Terminal to master station (DIR = 1).
    Up,
}

/// Function codes (C bits D3–D0); their meaning depends on PRM (LM `eMtFcodeRpm0/1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// PRM = 1, code 1: reset.
    Reset,
    /// PRM = 1, code 4: user data, no reply expected.
    UserData,
    /// PRM = 1, code 9: link test (login, heartbeat).
    LinkTest,
    /// PRM = 1, code 10: request class-1 data.
    RequestClass1,
    /// PRM = 1, code 11: request class-2 data.
    RequestClass2,
    /// PRM = 0, code 0: confirm.
    Confirm,
    /// PRM = 0, code 8: user-data response.
    Response,
    /// PRM = 0, code 9: deny, no data.
    Deny,
    /// PRM = 0, code 11: link status.
    LinkStatus,
    /// A code the standard leaves unused for this PRM.
    Unknown(u8),
}

/// The control field.
///
/// Bits D5 and D4 mean FCB/FCV on the way down and ACD/reserved on the way up; both are kept as
/// found (some terminals set the reserved D4 on responses: C = 0x98 in vector U05).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Control {
    /// D7.
    pub dir: Direction,
    /// D6: 1 = the frame comes from the initiating station.
    pub prm: bool,
    /// D5: frame count bit (down) or ACD, important events waiting and EC present (up).
    pub fcb_acd: bool,
    /// D4: frame count bit valid (down) or reserved (up).
    pub fcv: bool,
    /// D3–D0: the function code.
    pub code: u8,
}

impl Control {
    /// Splits a control byte.
    pub fn from_byte(b: u8) -> Self {
        Self {
            dir: if b & 0x80 != 0 {
                Direction::Up
            } else {
                Direction::Down
            },
            prm: b & 0x40 != 0,
            fcb_acd: b & 0x20 != 0,
            fcv: b & 0x10 != 0,
            code: b & 0x0F,
        }
    }

    /// The control byte; `None` when `code` is above 15.
    pub fn to_byte(&self) -> Option<u8> {
        if self.code > 0x0F {
            return None;
        }
        let mut b = self.code;
        if self.dir == Direction::Up {
            b |= 0x80;
        }
        if self.prm {
            b |= 0x40;
        }
        if self.fcb_acd {
            b |= 0x20;
        }
        if self.fcv {
            b |= 0x10;
        }
        Some(b)
    }

    /// ACD: an uplink frame with D5 set carries the event counters EC (notes §2.1: follow the
    /// ACD bit, not LM's "EC in every uplink" rule).
    pub fn acd(&self) -> bool {
        self.dir == Direction::Up && self.fcb_acd
    }

    /// The function code read with PRM.
    pub fn function(&self) -> Function {
        match (self.prm, self.code) {
            (true, 1) => Function::Reset,
            (true, 4) => Function::UserData,
            (true, 9) => Function::LinkTest,
            (true, 10) => Function::RequestClass1,
            (true, 11) => Function::RequestClass2,
            (false, 0) => Function::Confirm,
            (false, 8) => Function::Response,
            (false, 9) => Function::Deny,
            (false, 11) => Function::LinkStatus,
            (_, c) => Function::Unknown(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observed_bytes() {
        // Notes §2.2: 0xC9 login/heartbeat, 0x0B master reply, 0x4B request, 0x98 response.
        let c = Control::from_byte(0xC9);
        assert_eq!(
            (c.dir, c.prm, c.function()),
            (Direction::Up, true, Function::LinkTest)
        );
        assert_eq!(Control::from_byte(0x0B).function(), Function::LinkStatus);
        assert_eq!(Control::from_byte(0x4B).function(), Function::RequestClass2);
        let r = Control::from_byte(0x98);
        assert_eq!(r.function(), Function::Response);
        assert!(r.fcv && !r.acd());
        assert!(Control::from_byte(0xA8).acd());
        for b in 0..=255u8 {
            assert_eq!(Control::from_byte(b).to_byte(), Some(b));
        }
    }
}
