//! The error words of abnormal replies (C | 0xC0).

use bitflags::bitflags;

bitflags! {
    /// ERR of a 2007 abnormal reply (one byte; 2007 §5, error information word).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Err2007: u8 {
        /// Bit 0: other error.
        const OTHER = 1 << 0;
        /// Bit 1: no requested data (unknown or unsupported DI).
        const NO_DATA = 1 << 1;
        /// Bit 2: wrong password / not authorised.
        const UNAUTHORISED = 1 << 2;
        /// Bit 3: baud rate cannot be changed.
        const BAUD_FIXED = 1 << 3;
        /// Bit 4: too many yearly time zones.
        const TOO_MANY_ZONES = 1 << 4;
        /// Bit 5: too many daily time periods.
        const TOO_MANY_PERIODS = 1 << 5;
        /// Bit 6: too many tariffs.
        const TOO_MANY_TARIFFS = 1 << 6;
        /// Bit 7: reserved (some firmware: sequence data error).
        const RESERVED = 1 << 7;
    }
}

bitflags! {
    /// ERR of a 1997 abnormal reply (one byte; bit 3 unused).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Err1997: u8 {
        /// Bit 0: illegal data.
        const ILLEGAL_DATA = 1 << 0;
        /// Bit 1: DI error.
        const BAD_DI = 1 << 1;
        /// Bit 2: wrong password / not authorised.
        const UNAUTHORISED = 1 << 2;
        /// Bit 4: too many yearly time zones.
        const TOO_MANY_ZONES = 1 << 4;
        /// Bit 5: too many daily time periods.
        const TOO_MANY_PERIODS = 1 << 5;
        /// Bit 6: too many tariffs.
        const TOO_MANY_TARIFFS = 1 << 6;
        const _ = !0;
    }
}

bitflags! {
    /// SERR, the 2-byte security error word of a 0xC3 reply (State-Grid 2013).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct SecurityError: u16 {
        /// Other error.
        const OTHER = 1 << 0;
        /// Repeated recharge.
        const REPEATED_RECHARGE = 1 << 1;
        /// ESAM verification failed.
        const ESAM_FAILED = 1 << 2;
        /// Identity authentication failed (including timeout).
        const AUTH_FAILED = 1 << 3;
        /// Customer number mismatch.
        const CUSTOMER_MISMATCH = 1 << 4;
        /// Recharge count error.
        const RECHARGE_COUNT = 1 << 5;
        /// Purchase exceeds the hoarding limit.
        const HOARDING_LIMIT = 1 << 6;
        const _ = !0;
    }
}

bitflags! {
    /// The 2-byte control error word of a 0xDC reply (State-Grid "2014 requirements").
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct SwitchError: u16 {
        /// Meter suspended.
        const SUSPENDED = 1 << 0;
        /// MAC error.
        const MAC = 1 << 1;
        /// Wrong password / not authorised.
        const UNAUTHORISED = 1 << 2;
        /// Identity authentication timed out.
        const AUTH_TIMEOUT = 1 << 3;
        /// Execution time invalid (validity passed).
        const EXPIRED = 1 << 4;
        /// Trip failed: protect mode on.
        const PROTECTED = 1 << 5;
        /// Pre-trip failed (protected).
        const PRE_TRIP_PROTECTED = 1 << 6;
        /// Pre-trip duration invalid.
        const PRE_TRIP_DURATION = 1 << 7;
        /// Pre-trip failed: already tripped.
        const ALREADY_TRIPPED = 1 << 8;
        const _ = !0;
    }
}

/// The error word of an abnormal reply, read by edition, function and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorWord {
    /// One-byte ERR of 2007.
    V2007(Err2007),
    /// One-byte ERR of 1997.
    V1997(Err1997),
    /// Two-byte SERR of 0x03 security (0xC3, L = 2).
    Security(SecurityError),
    /// Two-byte control error word of 0x1C (0xDC, L = 2).
    Switch(SwitchError),
}

impl ErrorWord {
    /// The word as a number.
    pub fn bits(&self) -> u16 {
        match self {
            ErrorWord::V2007(e) => u16::from(e.bits()),
            ErrorWord::V1997(e) => u16::from(e.bits()),
            ErrorWord::Security(e) => e.bits(),
            ErrorWord::Switch(e) => e.bits(),
        }
    }

    /// Byte count on the wire.
    pub fn wire_len(&self) -> usize {
        match self {
            ErrorWord::V2007(_) | ErrorWord::V1997(_) => 1,
            ErrorWord::Security(_) | ErrorWord::Switch(_) => 2,
        }
    }

    /// The meanings of the bits that are set, lowest bit first.
    pub fn meanings(&self) -> impl Iterator<Item = &'static str> + '_ {
        let names: &'static [&'static str] = match self {
            ErrorWord::V2007(_) => &[
                "other error",
                "no requested data",
                "wrong password or not authorised",
                "baud rate cannot be changed",
                "too many yearly time zones",
                "too many daily time periods",
                "too many tariffs",
                "reserved",
            ],
            ErrorWord::V1997(_) => &[
                "illegal data",
                "data identifier error",
                "wrong password or not authorised",
                "unused",
                "too many yearly time zones",
                "too many daily time periods",
                "too many tariffs",
                "reserved",
            ],
            ErrorWord::Security(_) => &[
                "other error",
                "repeated recharge",
                "ESAM verification failed",
                "identity authentication failed",
                "customer number mismatch",
                "recharge count error",
                "purchase exceeds hoarding limit",
            ],
            ErrorWord::Switch(_) => &[
                "meter suspended",
                "MAC error",
                "wrong password or not authorised",
                "identity authentication timed out",
                "execution time invalid",
                "trip failed: protect on",
                "pre-trip failed: protected",
                "pre-trip duration invalid",
                "pre-trip failed: already tripped",
            ],
        };
        let bits = self.bits();
        (0..16u16)
            .filter(move |i| bits & (1 << i) != 0)
            .map(move |i| names.get(usize::from(i)).copied().unwrap_or("reserved"))
    }
}
