//! The per-protocol mapping seam: item → request bytes, reply bytes → readings.
//!
//! The engine only sees [`Request`], [`FrameScan`] and [`Reply`]; each protocol family
//! implements them in its own module with its codec crate.

use crate::archive::Meter;
use crate::channel::ChannelKind;
use crate::event::SwitchAction;
use crate::item::{Item, Protocol};
use crate::time::DateTime;
use crate::value::{Quality, Value};

/// Longest frame the engine sends: the carrier module session's longest frame (a DL/T 645
/// 0x1C switch with preamble is only 32 bytes); `poll_transmit` needs a buffer this long.
pub const MAX_TRANSMIT: usize = qgdw1376_2::session::MAX_TX_LEN;

/// Most values one reply step yields: a block of total + 63 tariffs, or a load-curve frame
/// of up to 49 four-byte records (200 data bytes).
pub(crate) const MAX_PARTS: usize = 64;

/// What one exchange with a meter asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Request {
    /// Step `step` of reading `item`; `seq` > 0 asks for follow-up frame `seq`.
    Read { item: Item, step: u8, seq: u8 },
    /// Remote switch with the meter's password and operator code.
    Switch {
        action: SwitchAction,
        valid_until: DateTime,
    },
    /// Set the meter clock to `to`: step 0 writes the date, step 1 the time.
    SetClock { step: u8, to: DateTime },
}

/// What the front of a receive buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameScan {
    /// A whole checked frame at `start..end`.
    Frame { start: usize, end: usize },
    /// At least `needed` more bytes are required.
    Incomplete { needed: usize },
    /// Drop `n` bytes of garbage.
    Skip(usize),
}

/// What comes after an answered step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// The exchange is complete.
    Done,
    /// Go on with step `n` of the same request.
    Step(u8),
    /// The meter has more frames: ask for follow-up `seq`.
    FollowUp(u8),
}

/// One value of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Part {
    pub(crate) part: u8,
    pub(crate) value: Value,
    pub(crate) quality: Quality,
}

/// Values of one reply step, and state carried from one step to the next.
#[derive(Debug, Clone, Default)]
pub(crate) struct Decoded {
    pub(crate) parts: heapless::Vec<Part, MAX_PARTS>,
    /// The meter's time stamp for the values (a freeze time), or a date kept between the
    /// date and time steps of a clock read.
    pub(crate) carry: Option<DateTime>,
    /// A count kept across follow-up frames (M-Bus data records seen so far).
    pub(crate) counter: u16,
}

/// How a frame relates to the exchange in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    /// Not the answer we wait for (our own echo, another meter, a stale reply): ignore it.
    Ignore,
    /// Answered; the values (if any) are in the [`Decoded`].
    Answered(Next),
    /// The meter answered with an error reply carrying this code.
    MeterError(u16),
}

/// Which codec frames a channel's traffic.
pub(crate) fn scan(kind: ChannelKind, buf: &[u8]) -> FrameScan {
    match kind {
        ChannelKind::Rs485 => crate::map_dlt645::scan(buf),
        ChannelKind::Mbus => crate::map_mbus::scan(buf),
        // Never asked: the engine hands carrier traffic to the module session, which frames
        // it. Should it be asked, nothing on that line is a bare meter frame.
        ChannelKind::Carrier => FrameScan::Skip(buf.len().max(1)),
    }
}

/// Whether the protocol can read the item at all.
pub(crate) fn supports(protocol: Protocol, item: Item) -> bool {
    if protocol.is_dlt645() {
        crate::map_dlt645::supports(protocol, item)
    } else {
        crate::map_mbus::supports(item)
    }
}

/// Builds the request for `meter` on a channel of `kind` into `buf`; `None` if it does not fit
/// or the protocol cannot express it.
pub(crate) fn build(
    kind: ChannelKind,
    meter: &Meter,
    req: &Request,
    buf: &mut [u8],
) -> Option<usize> {
    match kind {
        ChannelKind::Rs485 => crate::map_dlt645::build(meter, req, buf),
        ChannelKind::Mbus => crate::map_mbus::build(meter, req, buf),
        // Carrier requests are DL/T 645 frames handed to the module session by the engine.
        ChannelKind::Carrier => None,
    }
}

/// Builds the broadcast time-sync frame for a channel of `kind` (DL/T 645 0x08).
pub(crate) fn build_broadcast_time(
    kind: ChannelKind,
    to: DateTime,
    buf: &mut [u8],
) -> Option<usize> {
    match kind {
        ChannelKind::Rs485 => crate::map_dlt645::build_broadcast_time(to, buf),
        ChannelKind::Mbus | ChannelKind::Carrier => None,
    }
}

/// Interprets a checked frame against the exchange in flight.
pub(crate) fn interpret(
    kind: ChannelKind,
    meter: &Meter,
    req: &Request,
    frame: &[u8],
    out: &mut Decoded,
) -> Reply {
    match kind {
        ChannelKind::Rs485 => crate::map_dlt645::interpret(meter, req, frame, out),
        ChannelKind::Mbus => crate::map_mbus::interpret(meter, req, frame, out),
        // Carrier replies come out of the module session and go to the DL/T 645 mapping.
        ChannelKind::Carrier => Reply::Ignore,
    }
}
