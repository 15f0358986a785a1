//! Receive timing from the line speed (EN 13757-2 response window; notes 5.1).

use fugit::TimerDurationU64;

/// A span in milliseconds (the same type as `rs485_link::Duration`).
pub type Duration = TimerDurationU64<1000>;
/// A point in time in milliseconds (the same type as `rs485_link::Instant`).
pub type Instant = fugit::TimerInstantU64<1000>;

/// Bits per character on the wire: start, 8 data, even parity, stop (8E1).
pub const BITS_PER_CHAR: u32 = 11;

/// Timing of one M-Bus line: its speed and a margin for what sits between us and the bus.
///
/// The slave starts its answer no earlier than 11 bit times and no later than 330 bit times
/// plus 50 ms after the end of the request (EN 13757-2, quoted in libmbus `mbus-serial.c`).
/// After the first byte the frame must arrive without pauses, so the receiver waits for the
/// next byte for a short gap only, never for a whole-frame time: a 261-byte frame takes 1.2 s
/// at 2400 Bd, and a converter that cuts a frame short (libmbus #207) is noticed one gap after
/// its last byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTiming {
    baud: u32,
    margin: Duration,
}

impl LineTiming {
    /// Margin for USB serial converters (libmbus adds about 150 ms for their latency).
    pub const MARGIN_USB: Duration = Duration::millis(150);
    /// Margin for TCP gateways (libmbus issue #135: an Elvaco CMe3000 needs seconds).
    pub const MARGIN_TCP: Duration = Duration::millis(2000);
    /// Characters of silence that end a frame after its last byte: 20, the low end of the
    /// 20..50 character times recommended in `../shared/notes/mbus.md` 5.1 (92 ms at 2400 Bd;
    /// libmbus waits 300 ms, pyMeterBus 200 ms). EN 13757-2 allows no pause inside a frame,
    /// but the caller sees bytes when its UART driver hands them over, not as they arrive.
    pub const GAP_CHARS: u32 = 20;

    /// A directly attached line at `baud` bits per second (at least 1), no margin.
    pub const fn new(baud: u32) -> Self {
        LineTiming {
            baud: if baud == 0 { 1 } else { baud },
            margin: Duration::millis(0),
        }
    }

    /// The same line with `margin` added to every receive timeout.
    pub const fn with_margin(self, margin: Duration) -> Self {
        LineTiming {
            baud: self.baud,
            margin,
        }
    }

    /// The line speed.
    pub const fn baud(&self) -> u32 {
        self.baud
    }

    /// The margin added to receive timeouts.
    pub const fn margin(&self) -> Duration {
        self.margin
    }

    /// `bits` bit times, rounded up to whole milliseconds.
    pub const fn bits(&self, bits: u32) -> Duration {
        let ms = (bits as u64 * 1000).div_ceil(self.baud as u64);
        Duration::millis(ms)
    }

    /// Time to send `chars` characters.
    pub const fn transmit_time(&self, chars: usize) -> Duration {
        let ms = (chars as u64 * BITS_PER_CHAR as u64 * 1000).div_ceil(self.baud as u64);
        Duration::millis(ms)
    }

    /// Earliest start of an answer after the request: 11 bit times.
    pub const fn earliest_reply(&self) -> Duration {
        self.bits(11)
    }

    /// Latest start of an answer after the request: 330 bit times + 50 ms, plus the margin.
    pub fn reply_timeout(&self) -> Duration {
        self.bits(330) + Duration::millis(50) + self.margin
    }

    /// Silence after a received byte that ends the frame (or shows it was cut short):
    /// [`GAP_CHARS`](Self::GAP_CHARS) character times plus the margin.
    pub fn gap_timeout(&self) -> Duration {
        self.bits(Self::GAP_CHARS * BITS_PER_CHAR) + self.margin
    }

    /// Idle line the master leaves after a reply before its next request (33 bit times,
    /// the 3 characters of FT1.2's line idle rule).
    pub const fn turnaround(&self) -> Duration {
        self.bits(33)
    }
}

impl Default for LineTiming {
    /// 2400 Bd, the de-facto default of wired M-Bus.
    fn default() -> Self {
        LineTiming::new(2400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_window_of_the_notes_table() {
        // Notes 5.1: latest response 1.15 s at 300 Bd, 0.19 s at 2400, 0.084 s at 9600.
        assert_eq!(LineTiming::new(300).reply_timeout(), Duration::millis(1150));
        assert_eq!(LineTiming::new(2400).reply_timeout(), Duration::millis(188));
        assert_eq!(LineTiming::new(9600).reply_timeout(), Duration::millis(85));
        // Earliest response: 36.7 ms at 300 Bd, 4.6 ms at 2400 (rounded up).
        assert_eq!(LineTiming::new(300).earliest_reply(), Duration::millis(37));
        assert_eq!(LineTiming::new(2400).earliest_reply(), Duration::millis(5));
        // A 261-byte frame takes 1.2 s at 2400 Bd.
        assert_eq!(
            LineTiming::new(2400).transmit_time(261),
            Duration::millis(1197)
        );
        let usb = LineTiming::new(2400).with_margin(LineTiming::MARGIN_USB);
        assert_eq!(usb.reply_timeout(), Duration::millis(338));
        assert_eq!(usb.gap_timeout(), Duration::millis(242));
        assert_eq!(LineTiming::new(9600).gap_timeout(), Duration::millis(23));
        assert_eq!(LineTiming::new(0).baud(), 1);
    }
}
