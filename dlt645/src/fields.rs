//! Small command fields: password, operator code, baud word, switch command, output mode.

use core::fmt;

use bitflags::bitflags;

/// Password level PA and password P0..P2 (sent P0 first; digits are BCD, low pair first).
///
/// Kept as sent, so any byte value survives a round trip; [`Password::new`] builds one from
/// six digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Password {
    /// PA: 02/04 plaintext levels, 03 factory, 98 ciphertext + MAC, 99 plaintext + MAC.
    pub level: u8,
    /// P0, P1, P2 as sent (P0 holds the two lowest digits).
    pub code: [u8; 3],
}

impl Password {
    /// Level `level` (written as in the standard, e.g. `0x02`, `0x98`) and a six-digit
    /// password, e.g. `Password::new(0x02, 123456)`. Returns `None` above 999999.
    pub fn new(level: u8, digits: u32) -> Option<Password> {
        if digits > 999_999 {
            return None;
        }
        let mut code = [0u8; 3];
        let mut rest = digits;
        for c in &mut code {
            let pair = (rest % 100) as u8;
            *c = ((pair / 10) << 4) | (pair % 10);
            rest /= 100;
        }
        Some(Password { level, code })
    }

    pub(crate) fn wire(&self) -> [u8; 4] {
        let [a, b, c] = self.code;
        [self.level, a, b, c]
    }

    pub(crate) fn from_wire(b: [u8; 4]) -> Password {
        let [level, a, b, c] = b;
        Password {
            level,
            code: [a, b, c],
        }
    }
}

impl fmt::Display for Password {
    /// `PA:P2P1P0` in hex, e.g. `02:123456`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c] = self.code;
        write!(f, "{:02X}:{c:02X}{b:02X}{a:02X}", self.level)
    }
}

/// The operator code C0..C3 (who did it; recorded in the meter's programming events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Operator(pub [u8; 4]);

impl fmt::Display for Operator {
    /// C3..C0 in hex (as written, most significant first).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0.iter().rev() {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

/// A serial speed in the baud feature word Z (0x17, 0x0C and DIs 04000701..05): one bit
/// per rate, bit1 600 .. bit6 19200 (2007 §A feature words; not the BCD of bps/300 some
/// libraries send).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Baud {
    /// 600 bit/s (bit 1).
    B600,
    /// 1200 bit/s (bit 2).
    B1200,
    /// 2400 bit/s (bit 3).
    B2400,
    /// 4800 bit/s (bit 4).
    B4800,
    /// 9600 bit/s (bit 5).
    B9600,
    /// 19200 bit/s (bit 6).
    B19200,
}

impl Baud {
    /// The rate of a one-hot word, or `None` for any other value.
    pub fn from_word(z: u8) -> Option<Baud> {
        Some(match z {
            0x02 => Baud::B600,
            0x04 => Baud::B1200,
            0x08 => Baud::B2400,
            0x10 => Baud::B4800,
            0x20 => Baud::B9600,
            0x40 => Baud::B19200,
            _ => return None,
        })
    }

    /// The word Z.
    pub fn word(self) -> u8 {
        match self {
            Baud::B600 => 0x02,
            Baud::B1200 => 0x04,
            Baud::B2400 => 0x08,
            Baud::B4800 => 0x10,
            Baud::B9600 => 0x20,
            Baud::B19200 => 0x40,
        }
    }

    /// Bits per second.
    pub fn bps(self) -> u32 {
        match self {
            Baud::B600 => 600,
            Baud::B1200 => 1200,
            Baud::B2400 => 2400,
            Baud::B4800 => 4800,
            Baud::B9600 => 9600,
            Baud::B19200 => 19200,
        }
    }
}

/// The command N1 of a remote switch (0x1C) (State-Grid usage of 2007 §5.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SwitchAction {
    /// 1A: trip (switch off).
    Trip,
    /// 1B: close allowed (the customer presses the button).
    AllowClose,
    /// 1C: direct close (2014-era firmware).
    DirectClose,
    /// 1D: pre-trip for N2 minutes, then direct close (regional firmware).
    PreTripThenClose,
    /// 1E: pre-trip for N2 minutes, then close allowed (regional firmware).
    PreTripThenAllow,
    /// 2A: alarm.
    Alarm,
    /// 2B: alarm release.
    AlarmRelease,
    /// 3A: protect (blocks trips).
    Protect,
    /// 3B: protect release.
    ProtectRelease,
    /// Any other code, kept.
    Unknown(u8),
}

impl SwitchAction {
    /// From N1.
    pub fn from_code(c: u8) -> SwitchAction {
        match c {
            0x1A => SwitchAction::Trip,
            0x1B => SwitchAction::AllowClose,
            0x1C => SwitchAction::DirectClose,
            0x1D => SwitchAction::PreTripThenClose,
            0x1E => SwitchAction::PreTripThenAllow,
            0x2A => SwitchAction::Alarm,
            0x2B => SwitchAction::AlarmRelease,
            0x3A => SwitchAction::Protect,
            0x3B => SwitchAction::ProtectRelease,
            c => SwitchAction::Unknown(c),
        }
    }

    /// N1.
    pub fn code(self) -> u8 {
        match self {
            SwitchAction::Trip => 0x1A,
            SwitchAction::AllowClose => 0x1B,
            SwitchAction::DirectClose => 0x1C,
            SwitchAction::PreTripThenClose => 0x1D,
            SwitchAction::PreTripThenAllow => 0x1E,
            SwitchAction::Alarm => 0x2A,
            SwitchAction::AlarmRelease => 0x2B,
            SwitchAction::Protect => 0x3A,
            SwitchAction::ProtectRelease => 0x3B,
            SwitchAction::Unknown(c) => c,
        }
    }

    /// A short English name.
    pub fn name(self) -> &'static str {
        match self {
            SwitchAction::Trip => "trip",
            SwitchAction::AllowClose => "allow close",
            SwitchAction::DirectClose => "direct close",
            SwitchAction::PreTripThenClose => "pre-trip then close",
            SwitchAction::PreTripThenAllow => "pre-trip then allow close",
            SwitchAction::Alarm => "alarm",
            SwitchAction::AlarmRelease => "alarm release",
            SwitchAction::Protect => "protect",
            SwitchAction::ProtectRelease => "protect release",
            SwitchAction::Unknown(_) => "unknown",
        }
    }
}

/// What the multi-function terminal outputs (0x1D).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputMode {
    /// 00: clock second pulse.
    ClockPulse,
    /// 01: demand period.
    DemandPeriod,
    /// 02: time-period switch.
    PeriodSwitch,
    /// Any other code, kept.
    Unknown(u8),
}

impl OutputMode {
    /// From the data byte.
    pub fn from_code(c: u8) -> OutputMode {
        match c {
            0 => OutputMode::ClockPulse,
            1 => OutputMode::DemandPeriod,
            2 => OutputMode::PeriodSwitch,
            c => OutputMode::Unknown(c),
        }
    }

    /// The data byte.
    pub fn code(self) -> u8 {
        match self {
            OutputMode::ClockPulse => 0,
            OutputMode::DemandPeriod => 1,
            OutputMode::PeriodSwitch => 2,
            OutputMode::Unknown(c) => c,
        }
    }
}

bitflags! {
    /// The execution-status word of a normal 0x9C reply with L = 2 (State-Grid 2014
    /// requirements; plain 2007 meters answer with L = 0).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct SwitchStatus: u16 {
        /// Directly closed.
        const DIRECT_CLOSE = 1 << 0;
        /// Close allowed.
        const CLOSE_ALLOWED = 1 << 1;
        /// Directly tripped.
        const DIRECT_TRIP = 1 << 2;
        /// Delayed trip (trip-delay time).
        const DELAYED_TRIP = 1 << 3;
        /// Pre-trip.
        const PRE_TRIP = 1 << 4;
        /// Delayed trip because of high current.
        const HIGH_CURRENT_TRIP = 1 << 5;
        /// Protect on.
        const PROTECT = 1 << 8;
        /// Protect released.
        const PROTECT_RELEASED = 1 << 9;
        /// Alarm on.
        const ALARM = 1 << 10;
        /// Alarm released.
        const ALARM_RELEASED = 1 << 11;
        const _ = !0;
    }
}
