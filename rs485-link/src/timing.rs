//! Link timing derived from the line settings and the protocol's rules: character time,
//! inter-byte gap limit, turnaround delay and response timeout.
//!
//! All arithmetic is exact integer arithmetic in microseconds; a figure made of bit periods is
//! rounded up once, when it is turned into microseconds, and rounded up again to whole
//! milliseconds only when it becomes a [`Duration`].

use crate::{Duration, LineSettings};

/// One time figure of a protocol: `chars` characters plus `bits` bit periods plus `us`
/// microseconds; the first two scale with the line speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// Whole characters (each [`LineSettings::bits_per_char`] bits).
    pub chars: u32,
    /// Bit periods.
    pub bits: u32,
    /// Fixed microseconds.
    pub us: u64,
}

impl Span {
    /// A fixed time in milliseconds.
    pub const fn ms(ms: u64) -> Self {
        Self {
            chars: 0,
            bits: 0,
            us: ms * 1000,
        }
    }

    /// A number of bit periods.
    pub const fn bits(bits: u32) -> Self {
        Self {
            chars: 0,
            bits,
            us: 0,
        }
    }

    /// A number of character times.
    pub const fn chars(chars: u32) -> Self {
        Self {
            chars,
            bits: 0,
            us: 0,
        }
    }

    /// This span plus `ms` milliseconds.
    pub const fn plus_ms(self, ms: u64) -> Self {
        Self {
            us: self.us + ms * 1000,
            ..self
        }
    }

    /// The span on `line`, in microseconds (bit periods rounded up once).
    pub const fn resolve_us(&self, line: &LineSettings) -> u64 {
        let bits = self.chars as u64 * line.bits_per_char() as u64 + self.bits as u64;
        line.bits_us(bits).saturating_add(self.us)
    }
}

/// How a protocol derives its link timing from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProtocolTiming {
    /// The longest silence allowed between two bytes of one frame; a longer one discards the
    /// partial frame.
    pub gap: Span,
    /// The shortest wait between the end of one frame and the start of the answer (or of the
    /// next request): the responder's minimum reply delay.
    pub turnaround: Span,
    /// The longest wait from the end of a request to the first byte of its reply.
    pub response: Span,
}

impl ProtocolTiming {
    /// DL/T 645 (1997 and 2007, clause 5.3.3 of the 2007 text as quoted in `dlt645.md` §1.1):
    /// a meter answers within 20 ms ≤ Td ≤ 500 ms and the gap between two bytes of a frame is
    /// Tb ≤ 500 ms. The master also waits Td min (20 ms) after a reply before the next request
    /// (`dlt645.md` §3.3).
    pub const DLT645: Self = Self {
        gap: Span::ms(500),
        turnaround: Span::ms(20),
        response: Span::ms(500),
    };

    /// M-Bus (EN 13757-2, quoted in libmbus `mbus-serial.c`, `mbus.md` §5.1): a slave answers
    /// no earlier than 11 bit times and no later than 330 bit times + 50 ms after the end of the
    /// request. The standard admits no idle line inside a telegram (IEC 60870-5-1 FT1.2); we
    /// allow 20 character times, the low end of the range masters use (`mbus.md` §5.1,
    /// "recommended master defaults"), because UARTs and converters deliver in bursts.
    pub const MBUS: Self = Self {
        gap: Span::chars(20),
        turnaround: Span::bits(11),
        response: Span::bits(330).plus_ms(50),
    };

    /// The carrier module's UART (Q/GDW 1376.2, `plc-uplink.md` §1.2 and §1.13): a 500 ms
    /// inter-byte gap ends a frame and local commands are answered within 6 s (NUC
    /// `UART_3762_Rx`, `Uart_3762_TxData`); 50 ms between frames (the HPLC CCO's own budget in
    /// HW `mrs_srv_readmeter_manage`). Meter reads through the module wait for the module's
    /// monitor timeout instead, which the module session (`qgdw1376-2`) owns.
    pub const CARRIER: Self = Self {
        gap: Span::ms(500),
        turnaround: Span::ms(50),
        response: Span::ms(6000),
    };
}

/// Extra time added to each figure, for USB converters and operating-system latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Margins {
    /// Added to the inter-byte gap limit, in microseconds.
    pub gap_us: u64,
    /// Added to the turnaround delay, in microseconds.
    pub turnaround_us: u64,
    /// Added to the response timeout, in microseconds.
    pub response_us: u64,
}

impl Margins {
    /// No margin: the protocol's own figures.
    pub const NONE: Self = Self {
        gap_us: 0,
        turnaround_us: 0,
        response_us: 0,
    };

    /// For USB serial converters: +150 ms on the response timeout (libmbus's allowance for USB
    /// latency, `mbus.md` §5.1) and +50 ms on the gap (a converter delivers in bursts, every
    /// 1..16 ms with FTDI's latency timer, and the host may be late to read them).
    pub const USB: Self = Self {
        gap_us: 50_000,
        turnaround_us: 0,
        response_us: 150_000,
    };
}

/// The link timing of one protocol on one line, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timing {
    line: LineSettings,
    gap_us: u64,
    turnaround_us: u64,
    response_us: u64,
}

impl Timing {
    /// The timing of `protocol` on `line`, each figure plus its margin.
    pub const fn new(protocol: &ProtocolTiming, line: LineSettings, margins: Margins) -> Self {
        Self {
            line,
            gap_us: protocol
                .gap
                .resolve_us(&line)
                .saturating_add(margins.gap_us),
            turnaround_us: protocol
                .turnaround
                .resolve_us(&line)
                .saturating_add(margins.turnaround_us),
            response_us: protocol
                .response
                .resolve_us(&line)
                .saturating_add(margins.response_us),
        }
    }

    /// DL/T 645 timing on `line` without margins.
    pub const fn dlt645(line: LineSettings) -> Self {
        Self::new(&ProtocolTiming::DLT645, line, Margins::NONE)
    }

    /// M-Bus timing on `line` without margins.
    pub const fn mbus(line: LineSettings) -> Self {
        Self::new(&ProtocolTiming::MBUS, line, Margins::NONE)
    }

    /// Carrier-module timing on `line` without margins.
    pub const fn carrier(line: LineSettings) -> Self {
        Self::new(&ProtocolTiming::CARRIER, line, Margins::NONE)
    }

    /// The same timing with the response timeout replaced by `us` microseconds (for example a
    /// carrier module's monitor timeout for a meter read).
    pub const fn with_response_us(self, us: u64) -> Self {
        Self {
            response_us: us,
            ..self
        }
    }

    /// The line these figures are for.
    pub const fn line(&self) -> LineSettings {
        self.line
    }

    /// One character on the wire, in microseconds (rounded up).
    pub const fn char_us(&self) -> u64 {
        self.line.char_us()
    }

    /// `len` back-to-back characters on the wire, in microseconds (rounded up once).
    pub const fn frame_us(&self, len: usize) -> u64 {
        self.line.chars_us(len as u64)
    }

    /// The longest silence inside a frame, in microseconds.
    pub const fn gap_us(&self) -> u64 {
        self.gap_us
    }

    /// The shortest wait after a frame before the other side may transmit, in microseconds.
    pub const fn turnaround_us(&self) -> u64 {
        self.turnaround_us
    }

    /// The longest wait from the end of a request to the first byte of the reply, in
    /// microseconds.
    pub const fn response_us(&self) -> u64 {
        self.response_us
    }

    /// [`gap_us`](Self::gap_us) as a [`Duration`], rounded up to whole milliseconds.
    pub const fn gap(&self) -> Duration {
        ceil_ms(self.gap_us)
    }

    /// [`turnaround_us`](Self::turnaround_us) as a [`Duration`], rounded up to whole
    /// milliseconds.
    pub const fn turnaround(&self) -> Duration {
        ceil_ms(self.turnaround_us)
    }

    /// [`response_us`](Self::response_us) as a [`Duration`], rounded up to whole milliseconds.
    pub const fn response_timeout(&self) -> Duration {
        ceil_ms(self.response_us)
    }

    /// `len` characters on the wire as a [`Duration`], rounded up to whole milliseconds.
    pub const fn frame_time(&self, len: usize) -> Duration {
        ceil_ms(self.frame_us(len))
    }
}

/// Microseconds to a millisecond [`Duration`], rounded up (a timeout is never shortened).
pub(crate) const fn ceil_ms(us: u64) -> Duration {
    Duration::from_ticks(us.div_ceil(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dlt645_figures_are_the_clause_figures() {
        let t = Timing::dlt645(LineSettings::DLT645_2400);
        assert_eq!(t.char_us(), 4584);
        assert_eq!(t.gap_us(), 500_000);
        assert_eq!(t.turnaround_us(), 20_000);
        assert_eq!(t.response_us(), 500_000);
        assert_eq!(t.response_timeout(), Duration::millis(500));
        // dlt645.md §3.2: a 22-byte reply at 2400 Bd is 100.8 ms on the wire.
        assert_eq!(t.frame_us(22), 100_834);
        assert_eq!(t.frame_time(22), Duration::millis(101));
    }

    #[test]
    fn mbus_window_scales_with_baud() {
        // mbus.md §5.1 table: 11 bits and 330 bits + 50 ms.
        let t = Timing::mbus(LineSettings::MBUS_2400);
        assert_eq!(t.turnaround_us(), 4584);
        assert_eq!(t.response_us(), 137_500 + 50_000);
        assert_eq!(t.gap_us(), 91_667);
        let t = Timing::mbus(LineSettings::MBUS_300);
        assert_eq!(t.turnaround_us(), 36_667);
        assert_eq!(t.response_us(), 1_100_000 + 50_000);
        let t = Timing::mbus(LineSettings::MBUS_9600);
        assert_eq!(t.response_us(), 34_375 + 50_000);
        assert_eq!(t.response_timeout(), Duration::millis(85));
    }

    #[test]
    fn margins_add_to_each_figure() {
        let m = Margins {
            gap_us: 1,
            turnaround_us: 20,
            response_us: 300,
        };
        let base = Timing::dlt645(LineSettings::DLT645_9600);
        let t = Timing::new(&ProtocolTiming::DLT645, LineSettings::DLT645_9600, m);
        assert_eq!(t.gap_us(), base.gap_us() + 1);
        assert_eq!(t.turnaround_us(), base.turnaround_us() + 20);
        assert_eq!(t.response_us(), base.response_us() + 300);
        assert_eq!(t.gap(), Duration::millis(501));
        let u = Timing::new(&ProtocolTiming::MBUS, LineSettings::MBUS_2400, Margins::USB);
        assert_eq!(u.response_us(), 187_500 + 150_000);
        assert_eq!(u.with_response_us(7).response_us(), 7);
    }

    #[test]
    fn span_rounds_once() {
        let l = LineSettings::DLT645_2400;
        // 1 char + 1 bit = 12 bits = 5000 µs exactly; per-part rounding would give 5001.
        let s = Span {
            chars: 1,
            bits: 1,
            us: 0,
        };
        assert_eq!(s.resolve_us(&l), 5000);
    }
}
