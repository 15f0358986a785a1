//! The control byte C: direction, abnormal reply, follow-up, function code.

use core::fmt;

/// Which edition of DL/T 645 a frame belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Edition {
    /// DL/T 645-2007 (4-byte DIs, functions 0x11..0x1D, 0x03 security).
    V2007,
    /// DL/T 645-1997 (2-byte DIs, functions 0x01..0x10).
    V1997,
}

impl Edition {
    /// The edition a function code belongs to, or `None` when the code is the same in both
    /// (0x08 broadcast time; 0x03 is security in 2007 and re-read in 1997) or unknown.
    #[inline]
    pub fn of_function(function: u8) -> Option<Edition> {
        match function {
            0x11..=0x1D => Some(Edition::V2007),
            0x01 | 0x02 | 0x04 | 0x0A | 0x0C | 0x0F | 0x10 => Some(Edition::V1997),
            _ => None,
        }
    }
}

impl fmt::Display for Edition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Edition::V2007 => "2007",
            Edition::V1997 => "1997",
        })
    }
}

/// The control byte C (DL/T 645-2007 §4.3; the same bits in 1997).
///
/// D7 direction (1 = reply), D6 abnormal reply, D5 follow-up frames exist, D4..D0 function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Control(pub u8);

impl Control {
    const REPLY: u8 = 0x80;
    const ABNORMAL: u8 = 0x40;
    const FOLLOW: u8 = 0x20;

    /// A request (D7 = 0) for `function` (only D4..D0 are kept).
    #[inline]
    pub const fn request(function: u8) -> Control {
        Control(function & 0x1F)
    }

    /// A normal reply to `function`, with the follow-up flag as given.
    #[inline]
    pub const fn reply(function: u8, follow: bool) -> Control {
        Control((function & 0x1F) | Self::REPLY | if follow { Self::FOLLOW } else { 0 })
    }

    /// An abnormal (error) reply to `function`.
    #[inline]
    pub const fn abnormal(function: u8) -> Control {
        Control((function & 0x1F) | Self::REPLY | Self::ABNORMAL)
    }

    /// D4..D0, the function code.
    #[inline]
    pub const fn function(self) -> u8 {
        self.0 & 0x1F
    }

    /// D7: is this a reply from a meter?
    #[inline]
    pub const fn is_reply(self) -> bool {
        self.0 & Self::REPLY != 0
    }

    /// D6: is this an abnormal (error) reply?
    #[inline]
    pub const fn is_abnormal(self) -> bool {
        self.0 & Self::ABNORMAL != 0
    }

    /// D5: do follow-up frames exist?
    #[inline]
    pub const fn has_follow(self) -> bool {
        self.0 & Self::FOLLOW != 0
    }
}

/// The functions of both editions, named (the code alone is ambiguous for 0x03).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Function {
    /// 0x03 (2007, State-Grid 2013): security authentication.
    Security,
    /// 0x08: broadcast time synchronisation (both editions).
    BroadcastTime,
    /// 0x11: read data.
    Read,
    /// 0x12: read follow-up data.
    ReadFollow,
    /// 0x13: read communication address.
    ReadAddress,
    /// 0x14: write data.
    Write,
    /// 0x15: write communication address.
    WriteAddress,
    /// 0x16: freeze.
    Freeze,
    /// 0x17: change baud rate.
    ChangeBaud,
    /// 0x18: change password.
    ChangePassword,
    /// 0x19: maximum-demand clear.
    ClearDemand,
    /// 0x1A: meter clear.
    ClearMeter,
    /// 0x1B: event clear.
    ClearEvents,
    /// 0x1C: remote switch (trip, close, alarm, protect).
    RemoteSwitch,
    /// 0x1D: multi-function terminal output.
    TerminalOutput,
    /// 0x01 (1997): read data.
    Read97,
    /// 0x02 (1997): read follow-up data.
    ReadFollow97,
    /// 0x03 (1997): re-read data.
    ReRead97,
    /// 0x04 (1997): write data.
    Write97,
    /// 0x0A (1997): write device address.
    WriteAddress97,
    /// 0x0C (1997): change baud rate.
    ChangeBaud97,
    /// 0x0F (1997): change password.
    ChangePassword97,
    /// 0x10 (1997): maximum-demand clear.
    ClearDemand97,
    /// A code neither edition defines (vendor codes such as 0x09, 0x1E, 0x1F).
    Unknown(u8),
}

/// [`Function::from_code`] for every code D4..D0, one table per edition (built at compile
/// time from the match below), so that the lookup is an index.
#[allow(clippy::indexing_slicing)] // c < 32, evaluated at compile time: cannot panic at run time
static BY_CODE: [[Function; 32]; 2] = {
    let mut t = [[Function::Unknown(0); 32]; 2];
    let mut c = 0;
    while c < 32 {
        t[0][c] = Function::by_match(Edition::V2007, c as u8);
        t[1][c] = Function::by_match(Edition::V1997, c as u8);
        c += 1;
    }
    t
};

impl Function {
    /// The function of `code` (D4..D0) in `edition`.
    #[inline]
    pub fn from_code(edition: Edition, code: u8) -> Function {
        let t = match edition {
            Edition::V2007 => &BY_CODE[0],
            Edition::V1997 => &BY_CODE[1],
        };
        let code = code & 0x1F;
        t.get(usize::from(code))
            .copied()
            .unwrap_or(Function::Unknown(code))
    }

    /// The function of `code` in `edition`, as the standards list them.
    const fn by_match(edition: Edition, code: u8) -> Function {
        use Function::*;
        match (edition, code & 0x1F) {
            (_, 0x08) => BroadcastTime,
            (Edition::V2007, 0x03) => Security,
            (Edition::V2007, 0x11) => Read,
            (Edition::V2007, 0x12) => ReadFollow,
            (Edition::V2007, 0x13) => ReadAddress,
            (Edition::V2007, 0x14) => Write,
            (Edition::V2007, 0x15) => WriteAddress,
            (Edition::V2007, 0x16) => Freeze,
            (Edition::V2007, 0x17) => ChangeBaud,
            (Edition::V2007, 0x18) => ChangePassword,
            (Edition::V2007, 0x19) => ClearDemand,
            (Edition::V2007, 0x1A) => ClearMeter,
            (Edition::V2007, 0x1B) => ClearEvents,
            (Edition::V2007, 0x1C) => RemoteSwitch,
            (Edition::V2007, 0x1D) => TerminalOutput,
            (Edition::V1997, 0x01) => Read97,
            (Edition::V1997, 0x02) => ReadFollow97,
            (Edition::V1997, 0x03) => ReRead97,
            (Edition::V1997, 0x04) => Write97,
            (Edition::V1997, 0x0A) => WriteAddress97,
            (Edition::V1997, 0x0C) => ChangeBaud97,
            (Edition::V1997, 0x0F) => ChangePassword97,
            (Edition::V1997, 0x10) => ClearDemand97,
            (_, c) => Unknown(c),
        }
    }

    /// The function code (D4..D0 of C).
    pub fn code(self) -> u8 {
        use Function::*;
        match self {
            Security | ReRead97 => 0x03,
            BroadcastTime => 0x08,
            Read => 0x11,
            ReadFollow => 0x12,
            ReadAddress => 0x13,
            Write => 0x14,
            WriteAddress => 0x15,
            Freeze => 0x16,
            ChangeBaud => 0x17,
            ChangePassword => 0x18,
            ClearDemand => 0x19,
            ClearMeter => 0x1A,
            ClearEvents => 0x1B,
            RemoteSwitch => 0x1C,
            TerminalOutput => 0x1D,
            Read97 => 0x01,
            ReadFollow97 => 0x02,
            Write97 => 0x04,
            WriteAddress97 => 0x0A,
            ChangeBaud97 => 0x0C,
            ChangePassword97 => 0x0F,
            ClearDemand97 => 0x10,
            Unknown(c) => c & 0x1F,
        }
    }

    /// A short English name ("read", "write address", ...).
    #[inline]
    pub fn name(self) -> &'static str {
        use Function::*;
        match self {
            Security => "security authentication",
            BroadcastTime => "broadcast time",
            Read | Read97 => "read",
            ReadFollow | ReadFollow97 => "read follow-up",
            ReadAddress => "read address",
            Write | Write97 => "write",
            WriteAddress | WriteAddress97 => "write address",
            Freeze => "freeze",
            ChangeBaud | ChangeBaud97 => "change baud rate",
            ChangePassword | ChangePassword97 => "change password",
            ClearDemand | ClearDemand97 => "clear demand",
            ClearMeter => "clear meter",
            ClearEvents => "clear events",
            RemoteSwitch => "remote switch",
            TerminalOutput => "terminal output",
            ReRead97 => "re-read",
            Unknown(_) => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table lookup gives the match's answer for every byte in both editions (bits
    /// D7..D5 ignored), and names what the standards name: 0x11 read (2007), 0x01 read
    /// (1997), 0x03 security / re-read, 0x08 broadcast time in both, 0x1E unknown.
    #[test]
    fn from_code_table_matches_match() {
        for edition in [Edition::V2007, Edition::V1997] {
            for code in 0..=255u8 {
                assert_eq!(
                    Function::from_code(edition, code),
                    Function::by_match(edition, code),
                    "{edition} {code:02X}"
                );
            }
        }
        assert_eq!(Function::from_code(Edition::V2007, 0x91), Function::Read);
        assert_eq!(Function::from_code(Edition::V1997, 0x01), Function::Read97);
        assert_eq!(
            Function::from_code(Edition::V2007, 0x03),
            Function::Security
        );
        assert_eq!(
            Function::from_code(Edition::V1997, 0x03),
            Function::ReRead97
        );
        assert_eq!(
            Function::from_code(Edition::V1997, 0x08),
            Function::BroadcastTime
        );
        assert_eq!(
            Function::from_code(Edition::V2007, 0x1E),
            Function::Unknown(0x1E)
        );
    }
}
