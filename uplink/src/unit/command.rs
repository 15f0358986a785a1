//! AFN 05 control commands with a data unit: F1 remote trip (pn = control round).

/// AFN 05 F1, remote trip (遥控跳闸), one byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RemoteTrip {
    /// D7–D4: power-limit time in half hours (0: until the master allows closing).
    pub limit: u8,
    /// D3–D0: alarm delay before the trip, minutes.
    pub alarm_delay: u8,
}

impl RemoteTrip {
    /// From the byte.
    pub fn from_byte(b: u8) -> Self {
        Self {
            limit: b >> 4,
            alarm_delay: b & 0x0F,
        }
    }

    /// The byte; `None` when a field is above 15.
    pub fn to_byte(self) -> Option<u8> {
        (self.limit <= 15 && self.alarm_delay <= 15).then_some(self.limit << 4 | self.alarm_delay)
    }
}
