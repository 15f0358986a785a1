//! Transparent forwarding (a master's frame sent as is on a channel, the first frame that
//! comes back returned as is: Q/GDW 1376.1 AFN 10 F1) and pausing a channel's scheduled
//! reading (AFN 05 F49 / F50).

use core::ops::Range;

use qgdw1376_2::Address as PlcAddress;
use qgdw1376_2::unit::protocol::Protocol as PlcProtocol;

use super::{Concentrator, Job, TxnState, add_ms, drain_front};
use crate::channel::{ChannelId, ChannelKind};
use crate::engine::CommandError;
use crate::event::{CommandId, Event, EventKind, Origin, Outcome};
use crate::store::Store;
use crate::time::{DateTime, Duration, Instant, WallClock};

/// The longest frame [`Concentrator::forward`] sends or returns: the longest DL/T 645 frame
/// the scanner takes (12 + 255 bytes, L being one byte) behind four wake-up bytes (notes
/// §1.1); an M-Bus long frame (4 + 255 + 2 bytes, EN 13757-2) is shorter.
pub const MAX_FORWARD: usize = 4 + dlt645::MAX_FRAME_LEN;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotState {
    /// In the channel's command queue.
    Queued,
    /// On the wire, waiting for the reply.
    Sent,
    /// Ended; `bytes` holds the reply (empty when there was none).
    Ended,
}

/// A channel's forward: the frame to send, then the reply.
#[derive(Debug, Clone)]
pub(super) struct ForwardSlot {
    id: CommandId,
    origin: Origin,
    /// How long to wait for the reply after the frame is on the wire.
    pub(super) timeout: Duration,
    baud: Option<u32>,
    bytes: heapless::Vec<u8, MAX_FORWARD>,
    state: SlotState,
    /// On the carrier channel: the DL/T 645 frame's position in `bytes`, its meter address
    /// and whether it is 2007 ([`dlt645_target`], checked once when the forward is accepted).
    target: Option<(usize, [u8; 6], bool)>,
}

impl ForwardSlot {
    /// Writes the frame into `buf` for sending; its length (`None`: `buf` is too short) and
    /// the baud rate to send at.
    pub(super) fn start(&mut self, buf: &mut [u8], line_baud: u32) -> (Option<usize>, u32) {
        let baud = self.baud.unwrap_or(line_baud);
        let len = self.bytes.len();
        let Some(out) = buf.get_mut(..len) else {
            return (None, baud);
        };
        out.copy_from_slice(&self.bytes);
        self.state = SlotState::Sent;
        (Some(len), baud)
    }

    fn busy(&self) -> bool {
        self.state != SlotState::Ended
    }
}

/// The DL/T 645 frame inside `bytes` (wake-up bytes before it skipped), checked: its
/// position, meter address and the module protocol to read it with (a function code of
/// 0x11 and up is DL/T 645-2007, below is 1997; notes §1.4). `None` when `bytes` is not one
/// DL/T 645 frame.
fn dlt645_target(bytes: &[u8]) -> Option<(usize, [u8; 6], bool)> {
    let start = bytes.iter().position(|b| *b != dlt645::WAKE_UP)?;
    let f = dlt645::Frame::new_checked(bytes.get(start..)?).ok()?;
    let v2007 = f.control().0 & 0x1F >= 0x11 || f.control().0 & 0x1F == 0x08;
    Some((start, f.address().0, v2007))
}

/// `frame` without the wake-up bytes before it.
fn without_wake_up(frame: &[u8]) -> &[u8] {
    let n = frame.iter().take_while(|b| **b == dlt645::WAKE_UP).count();
    frame.get(n..).unwrap_or_default()
}

/// Puts `frame` into the slot as its reply; `false` (and no reply) when it does not fit. The
/// scanner only finds frames of the channel's protocol, none longer than [`MAX_FORWARD`];
/// should one not fit, it is reported as no answer, never cut short.
fn take_reply(slot: &mut ForwardSlot, frame: &[u8]) -> bool {
    slot.bytes.clear();
    let complete = slot.bytes.extend_from_slice(frame).is_ok();
    if !complete {
        slot.bytes.clear();
    }
    slot.state = SlotState::Ended;
    complete
}

impl<S: Store, W: WallClock, const N: usize> Concentrator<S, W, N> {
    /// Sends `frame` as it is on `channel` (at `baud`, or the channel's) and returns the first
    /// complete frame of the channel's protocol that comes back within `timeout` of the
    /// frame being on the wire (wake-up bytes and garbage before it skipped; an exact echo of
    /// the frame sent ignored). It is queued like a real-time read: ahead of scheduled work,
    /// never interrupting the transaction in flight, one transaction per bus. It is tried
    /// once (the master decides whether to send it again; a resent control frame could act
    /// twice).
    ///
    /// On the carrier channel the frame must be one DL/T 645 frame: the module reads it at
    /// the frame's address (AFN 13 F1, protocol 2007 or 1997 by the function code, `baud`
    /// not used) and the meter's reply frame comes back without wake-up bytes; an empty
    /// module reply (the meter did not answer) is no answer.
    ///
    /// Exactly one [`EventKind::ForwardResult`] follows: [`Outcome::Done`] with the reply's
    /// length, or [`Outcome::NoAnswer`] with length 0 when nothing complete came back. The
    /// reply is read with [`forward_reply`](Self::forward_reply). One forward per channel
    /// at a time.
    pub fn forward(
        &mut self,
        channel: ChannelId,
        frame: &[u8],
        baud: Option<u32>,
        timeout: Duration,
        origin: Origin,
    ) -> Result<CommandId, CommandError> {
        let ch = self
            .channels
            .get(usize::from(channel.0))
            .and_then(Option::as_ref)
            .ok_or(CommandError::UnknownChannel(channel))?;
        if frame.is_empty() || frame.len() > MAX_FORWARD {
            return Err(CommandError::FrameLength(frame.len()));
        }
        let target = if ch.cfg.kind == ChannelKind::Carrier {
            Some(dlt645_target(frame).ok_or(CommandError::Unsupported)?)
        } else {
            None
        };
        if ch.forward.as_ref().is_some_and(ForwardSlot::busy) {
            return Err(CommandError::ForwardBusy(channel));
        }
        if ch.commands.is_full() {
            return Err(CommandError::QueueFull(channel));
        }
        let id = self.next_command_id();
        let mut bytes = heapless::Vec::new();
        bytes
            .extend_from_slice(frame)
            .map_err(|_| CommandError::FrameLength(frame.len()))?;
        let ch = self
            .channels
            .get_mut(usize::from(channel.0))
            .and_then(Option::as_mut)
            .ok_or(CommandError::UnknownChannel(channel))?;
        ch.commands
            .push_back(Job::Forward { cmd: id })
            .map_err(|_| CommandError::QueueFull(channel))?;
        ch.forward = Some(ForwardSlot {
            id,
            origin,
            timeout,
            baud,
            bytes,
            state: SlotState::Queued,
            target,
        });
        Ok(id)
    }

    /// The reply frame of forward `id` once its [`EventKind::ForwardResult`] has been
    /// reported (empty after no answer); `None` when the channel has since taken another
    /// forward, or `id` is not a forward.
    pub fn forward_reply(&self, id: CommandId) -> Option<&[u8]> {
        self.channels
            .iter()
            .flatten()
            .filter_map(|ch| ch.forward.as_ref())
            .find(|f| f.id == id && f.state == SlotState::Ended)
            .map(|f| f.bytes.as_slice())
    }

    /// Pauses (`true`, AFN 05 F49) or resumes (`false`, F50) a channel's scheduled reading.
    /// A paused channel starts no round transaction: its round, and rounds coming due, wait
    /// where they are and go on when it is resumed; a round transaction already started
    /// (its retries included) finishes. Commands (real-time reads, switching, forwards)
    /// still run on a paused channel: they are the master's explicit orders.
    pub fn set_paused(&mut self, channel: ChannelId, paused: bool) -> Result<(), CommandError> {
        let ch = self
            .channels
            .get_mut(usize::from(channel.0))
            .and_then(Option::as_mut)
            .ok_or(CommandError::UnknownChannel(channel))?;
        ch.paused = paused;
        Ok(())
    }

    /// Whether a channel's scheduled reading is paused.
    pub fn is_paused(&self, channel: ChannelId) -> bool {
        self.channels
            .get(usize::from(channel.0))
            .and_then(Option::as_ref)
            .is_some_and(|c| c.paused)
    }

    /// A frame arrived at `range` of channel `ci`'s receive buffer while forward `cmd` waits:
    /// the reply (the forward ends, `true`), or the echo of the frame sent (dropped, `false`:
    /// keep scanning).
    pub(super) fn forward_frame(
        &mut self,
        ci: usize,
        cmd: CommandId,
        range: Range<usize>,
        now: Instant,
    ) -> bool {
        let Some(ch) = self.channels.get_mut(ci).and_then(Option::as_mut) else {
            return false;
        };
        let end = range.end;
        let frame = ch.rx.get(range).unwrap_or_default();
        let Some(slot) = ch.forward.as_mut().filter(|f| f.id == cmd) else {
            drain_front(&mut ch.rx, end.max(1));
            return false;
        };
        if slot.state == SlotState::Sent && slot.bytes.ends_with(frame) {
            // Our own frame echoed by the bus (IR heads, some RS-485 adapters).
            drain_front(&mut ch.rx, end.max(1));
            self.counters.ignored_frames += 1;
            return false;
        }
        let complete = take_reply(slot, frame);
        self.reply_taken(ci, cmd, complete, now);
        true
    }

    /// Reports forward `cmd` on channel `ci` ended: the reply is in its slot (`complete`),
    /// or there is none.
    fn reply_taken(&mut self, ci: usize, cmd: CommandId, complete: bool, now: Instant) {
        let Some(slot) = self
            .channels
            .get(ci)
            .and_then(Option::as_ref)
            .and_then(|ch| ch.forward.as_ref())
        else {
            return;
        };
        let (origin, len) = (slot.origin, slot.bytes.len());
        self.end_txn(ci, now);
        let at = self.clock.now(now);
        self.emit(Event {
            at,
            kind: EventKind::ForwardResult {
                id: cmd,
                channel: ChannelId(ci as u8),
                origin,
                outcome: if complete {
                    Outcome::Done
                } else {
                    Outcome::NoAnswer
                },
                len: u16::try_from(len).unwrap_or(u16::MAX),
            },
        });
    }

    /// The carrier channel's transaction is forward `cmd`: hands its frame to the module (AFN
    /// 13 F1 at the frame's address) and returns the module frame to send.
    pub(super) fn carrier_forward(
        &mut self,
        ci: usize,
        cmd: CommandId,
        now: Instant,
        buf: &mut [u8],
    ) -> Option<usize> {
        let ch = self.channels.get_mut(ci)?.as_mut()?;
        let mut txn = ch.txn?;
        let slot = ch.forward.as_mut().filter(|f| f.id == cmd)?;
        slot.state = SlotState::Sent;
        let timeout = slot.timeout;
        txn.tries = 1;
        // The master's wait; the module reports its own timeout as a failed read first when
        // it is shorter.
        txn.state = TxnState::Waiting {
            deadline: add_ms(now, timeout),
        };
        ch.txn = Some(txn);
        let read = slot.target.and_then(|(start, address, v2007)| {
            let protocol = if v2007 {
                PlcProtocol::Dlt645_2007
            } else {
                PlcProtocol::Dlt645_1997
            };
            let f = slot.bytes.get(start..)?;
            self.carrier
                .as_mut()?
                .session
                .as_mut()?
                .read(PlcAddress(address), protocol, f, now)
                .ok()
        });
        let Some(id) = read else {
            self.try_failed(ci, now);
            return None;
        };
        self.counters.requests += 1;
        let c = self.carrier.as_mut()?;
        c.read = Some(id);
        let len = c.session.as_mut()?.poll_transmit(buf);
        self.refresh_timer(ci, now);
        len
    }

    /// The module's reply to the carrier channel's forward `cmd` (an empty frame: the meter
    /// did not answer the module, notes §1.10).
    pub(super) fn carrier_forward_reply(
        &mut self,
        ci: usize,
        cmd: CommandId,
        frame: &[u8],
        now: Instant,
    ) {
        let Some(slot) = self
            .channels
            .get_mut(ci)
            .and_then(Option::as_mut)
            .and_then(|ch| ch.forward.as_mut())
            .filter(|f| f.id == cmd)
        else {
            return;
        };
        let reply = without_wake_up(frame);
        // An empty module reply (the meter did not answer) ends the slot empty: no answer.
        let complete = take_reply(slot, reply) && !reply.is_empty();
        self.reply_taken(ci, cmd, complete, now);
    }

    /// Forward `cmd` on channel `ci` got no complete reply in time (or could not be sent).
    pub(super) fn forward_failed(&mut self, ci: usize, cmd: CommandId, now: Instant) {
        if let Some(ch) = self.channels.get_mut(ci).and_then(Option::as_mut) {
            ch.guard_until = ch.guard_until.max(add_ms(now, ch.cfg.line.guard));
        }
        let at = self.clock.now(now);
        self.forward_ended(cmd, Outcome::NoAnswer, at);
    }

    /// Ends forward `cmd` without a reply and reports `outcome`.
    pub(super) fn forward_ended(&mut self, cmd: CommandId, outcome: Outcome, at: DateTime) {
        let mut found = None;
        for (ci, ch) in self.channels.iter_mut().enumerate() {
            if let Some(slot) = ch
                .as_mut()
                .and_then(|c| c.forward.as_mut())
                .filter(|f| f.id == cmd)
            {
                slot.bytes.clear();
                slot.state = SlotState::Ended;
                found = Some((ci, slot.origin));
            }
        }
        let Some((ci, origin)) = found else {
            return;
        };
        self.emit(Event {
            at,
            kind: EventKind::ForwardResult {
                id: cmd,
                channel: ChannelId(ci as u8),
                origin,
                outcome,
                len: 0,
            },
        });
    }
}
