//! The sans-IO engine: inputs, the per-channel transaction machine, rounds and outputs.

use heapless::Deque;
use thiserror::Error;

use crate::archive::{Archive, ArchiveError, Meter};
use crate::channel::{ChannelConfig, ChannelId, ChannelKind, LineSettings};
use crate::event::{
    Alarm, CommandId, Event, EventKind, Origin, Outcome, Reading, SwitchAction, Task,
};
use crate::item::Item;
use crate::mapping::{self, Decoded, FrameScan, Next, Reply, Request};
use crate::schedule::Schedule;
use crate::store::Store;
use crate::time::{DateTime, Duration, Instant, WallClock};
use crate::timer::{MAX_CHANNELS, Timer, TimerTable};
use crate::value::{Quality, Value};

use qgdw1376_2::session::{Config as SessionConfig, ReadId, Session};

use crate::item::Protocol;

mod carrier;
mod forward;
mod round;

use forward::ForwardSlot;
pub use forward::MAX_FORWARD;

use round::task_index;

/// Receive buffer per channel: two longest DL/T 645 frames (4 + 12 + 200 bytes each).
const RX_CAP: usize = 512;
/// Queued real-time commands per channel.
const COMMAND_QUEUE: usize = 8;
/// Events waiting for `poll_event`.
const EVENT_QUEUE: usize = 128;
/// Events the store refused, kept until it accepts them. No new transaction starts while any
/// is held, so one input's events must fit: a reply (≤ 17), the timeouts of every channel
/// (≤ 8 × 3), or removing a meter with full command queues (≤ 8 × 8).
const UNSTORED: usize = 128;
/// Most follow-up frames one read may take (a meter that keeps saying "more" is cut off).
const MAX_FOLLOW_UPS: u8 = 16;
/// A meter clock further off than this is reported and corrected (issue 8, "Tasks").
const MAX_DRIFT_SECONDS: i64 = 300;

/// A request the engine wants on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub channel: ChannelId,
    /// How many bytes of the buffer given to `poll_transmit` to send.
    pub len: usize,
    /// The baud rate to send (and receive the reply) at.
    pub baud: u32,
}

/// Why a channel could not be configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ChannelError {
    /// The channel index is at or above [`MAX_CHANNELS`].
    #[error("channel {} beyond the channel table", .0.0)]
    OutOfRange(ChannelId),
    /// The channel is already configured.
    #[error("channel {} already configured", .0.0)]
    Exists(ChannelId),
    /// A carrier channel is already configured (there is one carrier module).
    #[error("a carrier channel already exists")]
    SecondCarrier,
    /// A carrier channel needs its module settings: use
    /// [`add_carrier`](Concentrator::add_carrier).
    #[error("carrier channels are added with add_carrier")]
    NeedsCarrierConfig,
    /// The line settings are unusable (baud 0, bits per character outside 7..=12, no tries).
    #[error("unusable line settings")]
    BadLine,
}

/// Why a command was refused (it then gets no result event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CommandError {
    /// No meter has this archive number.
    #[error("no meter with archive number {0}")]
    UnknownMeter(u16),
    /// The channel's command queue is full; try again later.
    #[error("command queue of channel {} is full", .0.0)]
    QueueFull(ChannelId),
    /// The meter's protocol cannot read this item.
    #[error("the meter's protocol cannot read this item")]
    Unsupported,
    /// The archive has no password and operator code for this meter.
    #[error("meter {0} has no control password in the archive")]
    NoControlAuth(u16),
    /// The channel is not configured.
    #[error("channel {} is not configured", .0.0)]
    UnknownChannel(ChannelId),
    /// A transparent forward is already waiting or in flight on this channel.
    #[error("a forward is already queued on channel {}", .0.0)]
    ForwardBusy(ChannelId),
    /// The frame to forward is empty or longer than [`MAX_FORWARD`] bytes.
    #[error("frame of {0} bytes cannot be forwarded (1..=MAX_FORWARD)")]
    FrameLength(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    Read {
        item: Item,
        cmd: Option<(CommandId, Origin)>,
    },
    Switch {
        cmd: CommandId,
        origin: Origin,
        action: SwitchAction,
        valid_until: DateTime,
    },
    SetClock,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    Meter {
        slot: u16,
        meter: Meter,
        work: Work,
    },
    BroadcastTime,
    /// A transparent forward: the frame and the reply live in the channel's forward slot.
    Forward {
        cmd: CommandId,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TxnState {
    /// Ready to (re)send once the channel's guard time has passed.
    Send,
    /// Request sent; waiting for the reply until `deadline` (ms).
    Waiting { deadline: u64 },
    /// Failed try; the next try goes out at `until` (ms).
    Backoff { until: u64 },
    /// A broadcast is on the wire until `until` (ms); nobody answers.
    Broadcasting { until: u64 },
}

#[derive(Debug, Clone, Copy)]
struct Txn {
    job: Job,
    step: u8,
    seq: u8,
    tries: u8,
    state: TxnState,
    carry: Option<DateTime>,
    /// Count carried across follow-up frames (M-Bus records seen).
    counter: u16,
    /// Calendar time the clock-set write carries (fixed at the first try).
    set_to: Option<DateTime>,
    /// Whether this read is part of a scheduled round (not a command).
    in_round: bool,
}

impl Txn {
    /// What a reply to this try of `work` answers (a clock set carries the time fixed at its
    /// first try, else `wall`), and the decoding state the reply starts from (what earlier
    /// steps and follow-up frames carried).
    fn awaited(&self, work: Work, wall: DateTime) -> (Request, Decoded) {
        let req = request_of(self, work, self.set_to.unwrap_or(wall));
        let decoded = Decoded {
            carry: self.carry,
            counter: self.counter,
            ..Decoded::default()
        };
        (req, decoded)
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct MeterCursor {
    slot: u16,
    item_idx: u8,
    failed: bool,
    set_clock: bool,
}

#[derive(Debug, Clone, Copy)]
struct Round {
    task: Task,
    next_slot: usize,
    cur: Option<MeterCursor>,
    broadcast_done: bool,
    meters: u16,
    read: u16,
    failed: u16,
}

impl Round {
    /// A round of `task` that has not started: no meter visited yet, nothing counted.
    const fn new(task: Task) -> Self {
        Self {
            task,
            next_slot: 0,
            cur: None,
            broadcast_done: false,
            meters: 0,
            read: 0,
            failed: 0,
        }
    }
}

#[derive(Debug, Clone)]
struct ChannelState {
    cfg: ChannelConfig,
    txn: Option<Txn>,
    rx: heapless::Vec<u8, RX_CAP>,
    commands: Deque<Job, COMMAND_QUEUE>,
    round: Option<Round>,
    pending: Deque<Task, 4>,
    guard_until: u64,
    /// A round transaction waiting out its back-off while a command runs; resumed after.
    suspended: Option<Txn>,
    /// The transparent forward of this channel: its frame, then its reply.
    forward: Option<ForwardSlot>,
    /// Scheduled reading paused (1376.1 AFN 05 F49): no round transaction starts.
    paused: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    channels_left: u8,
    meters: u16,
    read: u16,
    failed: u16,
}

/// The carrier channel: its module session and the read in flight.
struct Carrier<const N: usize> {
    channel: usize,
    config: SessionConfig,
    /// Created at the first input, which brings the time.
    session: Option<Session<N>>,
    /// The archive changed: the module's node list must be synchronised again.
    archive_dirty: bool,
    /// The module read carrying the channel's transaction.
    read: Option<ReadId>,
    /// Router-led reading: the module walks its nodes and asks what to read (AFN 14 F1).
    router_led: bool,
    /// Router-led: the module's reading round was (re)started for the channel's round.
    router_round: bool,
    /// Router-led: items of the current round answered per archive slot.
    progress: [u8; N],
    /// Router-led: what the module was last told to read, and at which meter.
    asked: Option<Asked>,
    /// The time broadcast waits for the module's AFN 03 F9 transmission delay.
    delay_query: bool,
}

/// Router-led: the request handed to the module for one meter.
#[derive(Debug, Clone, Copy)]
struct Asked {
    slot: usize,
    meter: Meter,
    item: Item,
    step: u8,
    seq: u8,
    carry: Option<DateTime>,
    counter: u16,
}

impl Asked {
    /// The read request for the step and follow-up this meter is at.
    const fn request(&self) -> Request {
        Request::Read {
            item: self.item,
            step: self.step,
            seq: self.seq,
        }
    }
}

/// Counters of things the engine dropped or cut short, for diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Bytes received while no reply was awaited (late replies, noise), dropped.
    pub stray_bytes: u64,
    /// Frames received that were not the awaited reply (echo, another meter, stale).
    pub ignored_frames: u64,
    /// Requests sent (first tries and retries).
    pub requests: u64,
    /// Retries sent.
    pub retries: u64,
    /// Events dropped from the `poll_event` queue because the caller did not drain it (they
    /// are in the store all the same).
    pub events_dropped: u64,
}

/// The concentrator engine for up to `N` meters, storing into `S`, with calendar time from `W`.
///
/// # Driving it
///
/// After every input (`handle_received`, `handle_timeout` or a command method), drain the
/// outputs in this order:
/// 1. [`poll_transmit`](Self::poll_transmit) until `None`, sending each request;
/// 2. [`poll_event`](Self::poll_event) until `None`;
/// 3. [`poll_timeout`](Self::poll_timeout), and call `handle_timeout` when that instant comes
///    (earlier calls are harmless).
///
/// Time never goes backwards between calls; `now` is the caller's monotonic clock.
pub struct Concentrator<S: Store, W: WallClock, const N: usize> {
    archive: Archive<N>,
    configs: [Option<ChannelConfig>; MAX_CHANNELS],
    channels: [Option<ChannelState>; MAX_CHANNELS],
    timers: TimerTable,
    schedule: Schedule,
    last_minute: Option<i64>,
    events: Deque<Event, EVENT_QUEUE>,
    unstored: Deque<Event, UNSTORED>,
    tallies: [Tally; 4],
    next_cmd: u32,
    next_channel: usize,
    counters: Counters,
    carrier: Option<Carrier<N>>,
    store: S,
    clock: W,
}

fn add_ms(now: Instant, d: Duration) -> u64 {
    now.ticks().saturating_add(d.ticks())
}

impl<S: Store, W: WallClock, const N: usize> Concentrator<S, W, N> {
    /// An engine with no channel, no meter and the default [`Schedule`].
    pub fn new(store: S, clock: W) -> Self {
        Concentrator {
            archive: Archive::new(),
            configs: [None; MAX_CHANNELS],
            channels: [const { None }; MAX_CHANNELS],
            timers: TimerTable::default(),
            schedule: Schedule::default(),
            last_minute: None,
            events: Deque::new(),
            unstored: Deque::new(),
            tallies: [Tally::default(); 4],
            next_cmd: 1,
            next_channel: 0,
            counters: Counters::default(),
            carrier: None,
            store,
            clock,
        }
    }

    // ----- configuration -------------------------------------------------------------------

    /// Configures a channel.
    pub fn add_channel(&mut self, id: ChannelId, cfg: ChannelConfig) -> Result<(), ChannelError> {
        if cfg.kind == ChannelKind::Carrier {
            return Err(ChannelError::NeedsCarrierConfig);
        }
        self.insert_channel(id, cfg)
    }

    /// Configures the carrier channel: the module's UART line and the Q/GDW 1376.2 session
    /// settings (edition, master address, start mode, timeouts). Meters on this channel are
    /// DL/T 645 meters read through the module (concentrator-led, AFN 13 F1); the module's
    /// node list is kept in step with the archive (AFN 10/11).
    pub fn add_carrier(
        &mut self,
        id: ChannelId,
        line: LineSettings,
        config: SessionConfig,
    ) -> Result<(), ChannelError> {
        self.insert_channel(
            id,
            ChannelConfig {
                kind: ChannelKind::Carrier,
                line,
            },
        )?;
        self.carrier = Some(Carrier {
            channel: usize::from(id.0),
            config,
            session: None,
            archive_dirty: true,
            read: None,
            router_led: false,
            router_round: false,
            progress: [0; N],
            asked: None,
            delay_query: false,
        });
        Ok(())
    }

    /// Switches the carrier channel's scheduled rounds to router-led reading: the module walks
    /// its node list and asks for each meter what to read (AFN 14 F1); the engine answers with
    /// the round's next item for that meter and takes the replies the module reports (AFN 06
    /// F2). The round ends when the module reports its reading round finished (AFN 06 F3);
    /// meters not fully read by then are failed and reported. Commands stay
    /// concentrator-led. Returns false when there is no carrier channel.
    pub fn set_router_led(&mut self, on: bool) -> bool {
        match self.carrier.as_mut() {
            Some(c) => {
                c.router_led = on;
                true
            }
            None => false,
        }
    }

    fn insert_channel(&mut self, id: ChannelId, cfg: ChannelConfig) -> Result<(), ChannelError> {
        let i = usize::from(id.0);
        let line = cfg.line;
        if line.baud == 0 || !(7..=12).contains(&line.bits_per_char) || line.tries == 0 {
            return Err(ChannelError::BadLine);
        }
        let slot = self
            .configs
            .get_mut(i)
            .ok_or(ChannelError::OutOfRange(id))?;
        if slot.is_some() {
            return Err(ChannelError::Exists(id));
        }
        if cfg.kind == ChannelKind::Carrier
            && self
                .configs
                .iter()
                .flatten()
                .any(|c| c.kind == ChannelKind::Carrier)
        {
            return Err(ChannelError::SecondCarrier);
        }
        if let (Some(c), Some(s)) = (self.configs.get_mut(i), self.channels.get_mut(i)) {
            *c = Some(cfg);
            *s = Some(ChannelState {
                cfg,
                txn: None,
                rx: heapless::Vec::new(),
                commands: Deque::new(),
                round: None,
                pending: Deque::new(),
                guard_until: 0,
                suspended: None,
                forward: None,
                paused: false,
            });
        }
        Ok(())
    }

    /// Replaces the reading schedule; it takes effect at the next minute boundary.
    pub fn set_schedule(&mut self, schedule: Schedule) {
        self.schedule = schedule;
    }

    /// Adds a meter to the archive.
    pub fn add_meter(&mut self, meter: Meter) -> Result<(), ArchiveError> {
        self.archive.add(meter, &self.configs)?;
        self.archive_changed();
        Ok(())
    }

    fn archive_changed(&mut self) {
        if let Some(c) = self.carrier.as_mut() {
            c.archive_dirty = true;
        }
    }

    /// Changes a meter (found by its archive number). Work already queued for it keeps the
    /// old settings until it ends.
    pub fn change_meter(&mut self, meter: Meter) -> Result<(), ArchiveError> {
        self.archive.change(meter, &self.configs)?;
        self.archive_changed();
        Ok(())
    }

    /// Removes a meter. Its queued commands end with [`Outcome::MeterRemoved`]; a transaction
    /// in flight is finished but its answer is no longer reported against a round.
    pub fn remove_meter(&mut self, archive_no: u16) -> Result<(), ArchiveError> {
        let slot = self.archive.remove(archive_no)?;
        self.archive_changed();
        let mut removed: heapless::Vec<Job, { COMMAND_QUEUE * MAX_CHANNELS }> =
            heapless::Vec::new();
        for ch in self.channels.iter_mut().flatten() {
            let n = ch.commands.len();
            for _ in 0..n {
                if let Some(job) = ch.commands.pop_front() {
                    match job {
                        Job::Meter { slot: s, .. } if usize::from(s) == slot => {
                            let _ = removed.push(job);
                        }
                        _ => {
                            let _ = ch.commands.push_back(job);
                        }
                    }
                }
            }
        }
        let at = self.archive_time_hint();
        for job in removed {
            self.finish_command(&job, Outcome::MeterRemoved, at);
        }
        Ok(())
    }

    /// The meter with this archive number.
    pub fn meter(&self, archive_no: u16) -> Option<&Meter> {
        self.archive.get(archive_no)
    }

    /// The archive.
    pub fn archive(&self) -> &Archive<N> {
        &self.archive
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, for forwarding (`mark_forwarded`).
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Diagnostic counters.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The archive number of the meter channel `channel` has a transaction with, if any (0
    /// for a time broadcast or a transparent forward).
    /// (At most one transaction per channel exists at any time, by construction.)
    pub fn in_flight(&self, channel: ChannelId) -> Option<u16> {
        let ch = self.channels.get(usize::from(channel.0))?.as_ref()?;
        match ch.txn?.job {
            Job::Meter { meter, .. } => Some(meter.archive_no),
            Job::BroadcastTime | Job::Forward { .. } => Some(0),
        }
    }

    /// Whether channel `channel` has work: a transaction, queued commands or a round.
    pub fn is_busy(&self, channel: ChannelId) -> bool {
        self.channels
            .get(usize::from(channel.0))
            .and_then(Option::as_ref)
            .is_some_and(|c| {
                c.txn.is_some()
                    || c.suspended.is_some()
                    || !c.commands.is_empty()
                    || c.round.is_some()
                    || !c.pending.is_empty()
            })
    }

    // ----- commands ------------------------------------------------------------------------

    fn next_command_id(&mut self) -> CommandId {
        let id = CommandId(self.next_cmd);
        self.next_cmd = self.next_cmd.wrapping_add(1).max(1);
        id
    }

    fn queue_command(
        &mut self,
        archive_no: u16,
        work_of: impl FnOnce(CommandId) -> Work,
    ) -> Result<CommandId, CommandError> {
        let slot = self
            .archive
            .slot_of(archive_no)
            .ok_or(CommandError::UnknownMeter(archive_no))?;
        let meter = *self
            .archive
            .slot(slot)
            .ok_or(CommandError::UnknownMeter(archive_no))?;
        let ch = self
            .channels
            .get(usize::from(meter.channel.0))
            .and_then(Option::as_ref)
            .ok_or(CommandError::UnknownMeter(archive_no))?;
        if ch.commands.is_full() {
            return Err(CommandError::QueueFull(meter.channel));
        }
        let id = self.next_command_id();
        let job = Job::Meter {
            slot: u16::try_from(slot).unwrap_or(u16::MAX),
            meter,
            work: work_of(id),
        };
        if let Some(ch) = self
            .channels
            .get_mut(usize::from(meter.channel.0))
            .and_then(Option::as_mut)
        {
            let _ = ch.commands.push_back(job);
        }
        Ok(id)
    }

    /// Reads `item` from a meter now (a real-time read from the master or a local read from a
    /// local operator). It jumps ahead of scheduled work on the meter's channel but never
    /// interrupts the transaction in flight. Exactly one `CommandResult` follows, after the
    /// readings.
    pub fn read_now(
        &mut self,
        archive_no: u16,
        item: Item,
        origin: Origin,
    ) -> Result<CommandId, CommandError> {
        let meter = self
            .archive
            .get(archive_no)
            .ok_or(CommandError::UnknownMeter(archive_no))?;
        if !mapping::supports(meter.protocol, item) {
            return Err(CommandError::Unsupported);
        }
        self.queue_command(archive_no, |id| Work::Read {
            item,
            cmd: Some((id, origin)),
        })
    }

    /// Switches a meter's relay off or on with its archived password and operator code,
    /// valid until `valid_until` (meter time). One `SwitchAudit` event and one `CommandResult`
    /// follow; a failure also raises [`Alarm::SwitchFailed`].
    pub fn switch(
        &mut self,
        archive_no: u16,
        action: SwitchAction,
        valid_until: DateTime,
        origin: Origin,
    ) -> Result<CommandId, CommandError> {
        let meter = self
            .archive
            .get(archive_no)
            .ok_or(CommandError::UnknownMeter(archive_no))?;
        if meter.control.is_none() {
            return Err(CommandError::NoControlAuth(archive_no));
        }
        // Remote switching (0x1C) is a DL/T 645-2007 function (notes §1.14); 1997 has none.
        if meter.protocol != Protocol::Dlt645_2007 {
            return Err(CommandError::Unsupported);
        }
        self.queue_command(archive_no, |cmd| Work::Switch {
            cmd,
            origin,
            action,
            valid_until,
        })
    }

    /// Starts a round of `task` on every channel now (as the schedule would), e.g. a clock
    /// sync on the master's command. A channel already running or holding that round skips it.
    pub fn start_round(&mut self, task: Task) {
        let mut started = 0u8;
        for ch in self.channels.iter_mut().flatten() {
            let running =
                ch.round.is_some_and(|r| r.task == task) || ch.pending.iter().any(|t| *t == task);
            if running {
                continue;
            }
            if ch.round.is_none() {
                ch.round = Some(Round::new(task));
                started += 1;
            } else if ch.pending.push_back(task).is_ok() {
                started += 1;
            }
        }
        if let Some(t) = self.tallies.get_mut(task_index(task)) {
            t.channels_left = t.channels_left.saturating_add(started);
        }
    }

    // ----- inputs --------------------------------------------------------------------------

    /// Bytes arrived on `channel` at `now`.
    pub fn handle_received(&mut self, channel: ChannelId, bytes: &[u8], now: Instant) {
        let ci = usize::from(channel.0);
        if self.carrier.as_ref().is_some_and(|c| c.channel == ci) {
            // The module session frames and answers the module's traffic itself.
            self.drive_carrier(now, |session, now| session.handle_received(bytes, now));
            self.refresh_timer(ci, now);
            return;
        }
        let Some(ch) = self.channels.get_mut(ci).and_then(Option::as_mut) else {
            self.counters.stray_bytes += bytes.len() as u64;
            return;
        };
        let waiting = matches!(
            ch.txn,
            Some(Txn {
                state: TxnState::Waiting { .. },
                ..
            })
        );
        if !waiting {
            // Nobody asked: a late reply or noise. Dropping it keeps it from being taken
            // for the answer to the next request.
            self.counters.stray_bytes += bytes.len() as u64;
            return;
        }
        for &b in bytes {
            if ch.rx.is_full() {
                ch.rx.remove(0);
            }
            let _ = ch.rx.push(b);
        }
        self.process_rx(ci, now);
        self.refresh_timer(ci, now);
    }

    /// Timers may have expired at `now` (reply timeouts, back-off, schedules).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.drive_carrier(now, |session, now| session.handle_timeout(now));
        for ci in 0..MAX_CHANNELS {
            if !self.timers.is_due(Timer::Channel(ci as u8), now) {
                continue;
            }
            let Some(ch) = self.channels.get_mut(ci).and_then(Option::as_mut) else {
                continue;
            };
            let Some(txn) = ch.txn.as_mut() else {
                self.refresh_timer(ci, now);
                continue;
            };
            match txn.state {
                TxnState::Waiting { deadline } if deadline <= now.ticks() => {
                    self.try_failed(ci, now);
                }
                TxnState::Backoff { until } if until <= now.ticks() => {
                    txn.state = TxnState::Send;
                }
                TxnState::Broadcasting { until } if until <= now.ticks() => {
                    ch.txn = None;
                    ch.guard_until = add_ms(now, ch.cfg.line.guard);
                }
                _ => {}
            }
            self.refresh_timer(ci, now);
        }
        if self.timers.is_due(Timer::Schedule, now) || self.last_minute.is_none() {
            self.check_schedule(now);
        }
    }

    /// The try in flight on channel `ci` failed (timeout, garbled answer, module gave up):
    /// back off and retry, or fail the job once the tries are used up.
    fn try_failed(&mut self, ci: usize, now: Instant) {
        if let Some(c) = self.carrier.as_mut().filter(|c| c.channel == ci) {
            // A late answer to this try is no longer awaited.
            c.read = None;
        }
        let Some(ch) = self.channels.get_mut(ci).and_then(Option::as_mut) else {
            return;
        };
        let Some(txn) = ch.txn.as_mut() else {
            return;
        };
        ch.rx.clear();
        let line = ch.cfg.line;
        // A forward is tried once: the master decides whether to send it again.
        if txn.tries < line.tries && !matches!(txn.job, Job::Forward { .. }) {
            // Back-off doubles per retry; the receive side is flushed meanwhile.
            let shift = u32::from(txn.tries.saturating_sub(1)).min(8);
            let wait = line.backoff.ticks().saturating_mul(1 << shift);
            txn.state = TxnState::Backoff {
                until: now.ticks().saturating_add(wait),
            };
        } else {
            let txn = *txn;
            ch.txn = None;
            ch.guard_until = add_ms(now, line.guard);
            self.job_failed(ci, txn, now);
        }
        self.refresh_timer(ci, now);
    }

    fn check_schedule(&mut self, now: Instant) {
        let wall = self.clock.now(now);
        let minute = wall.seconds_since_2000().div_euclid(60);
        if let Some(last) = self.last_minute {
            for task in self.schedule.due(last, minute) {
                self.start_round(task);
            }
        }
        self.last_minute = Some(minute);
        // Wake at the next minute boundary of the wall clock.
        let to_next = 60 - wall.second();
        self.timers.set(
            Timer::Schedule,
            Instant::from_ticks(now.ticks().saturating_add(u64::from(to_next) * 1000)),
        );
        for ci in 0..MAX_CHANNELS {
            self.refresh_timer(ci, now);
        }
    }

    // ----- outputs -------------------------------------------------------------------------

    /// The next request to send, written into `buf` (at least [`MAX_TRANSMIT`](crate::MAX_TRANSMIT)
    /// bytes). Channels take turns. `None` when no channel has anything to send now.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if self.last_minute.is_none() {
            self.check_schedule(now);
        }
        self.retry_store();
        if !self.unstored.is_empty() {
            // A reading is done only once the store has it: start nothing new meanwhile.
            return None;
        }
        for k in 0..MAX_CHANNELS {
            let ci = (self.next_channel + k) % MAX_CHANNELS;
            if let Some(t) = self.try_transmit(ci, now, buf) {
                self.next_channel = (ci + 1) % MAX_CHANNELS;
                return Some(t);
            }
        }
        None
    }

    /// When `handle_timeout` should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// The next event, oldest first. Every event has already been accepted by the store.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    // ----- the channel machine -------------------------------------------------------------

    fn try_transmit(&mut self, ci: usize, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if self.carrier.as_ref().is_some_and(|c| c.channel == ci) {
            return self.carrier_transmit(ci, now, buf);
        }
        self.txn_to_send(ci, now, false)?;
        let wall = self.clock.now(now);
        let ch = self.channels.get_mut(ci)?.as_mut()?;
        let kind = ch.cfg.kind;
        let line = ch.cfg.line;
        let mut txn = ch.txn?;
        let (len, baud, broadcast) = match txn.job {
            Job::BroadcastTime => (
                mapping::build_broadcast_time(kind, wall, buf),
                line.baud,
                true,
            ),
            Job::Forward { .. } => {
                let (len, baud) = match ch.forward.as_mut() {
                    Some(f) => f.start(buf, line.baud),
                    None => (None, line.baud),
                };
                (len, baud, false)
            }
            Job::Meter { meter, work, .. } => {
                if matches!(work, Work::SetClock) && txn.set_to.is_none() {
                    txn.set_to = Some(wall);
                }
                let req = request_of(&txn, work, wall);
                (
                    mapping::build(kind, &meter, &req, buf),
                    meter.baud.unwrap_or(line.baud),
                    false,
                )
            }
        };
        let Some(len) = len else {
            // The request cannot be built (buffer too short, or the protocol cannot say it):
            // end the job as failed rather than retry forever.
            ch.txn = None;
            self.job_failed(ci, txn, now);
            self.refresh_timer(ci, now);
            return None;
        };
        let wire = crate::channel::LineSettings { baud, ..line }.wire_time(len);
        txn.tries = txn.tries.saturating_add(1);
        self.counters.requests += 1;
        if txn.tries > 1 {
            self.counters.retries += 1;
        }
        let response_timeout = match (txn.job, ch.forward.as_ref()) {
            (Job::Forward { .. }, Some(f)) => f.timeout,
            _ => line.response_timeout,
        };
        txn.state = if broadcast {
            TxnState::Broadcasting {
                until: add_ms(now, wire),
            }
        } else {
            TxnState::Waiting {
                deadline: add_ms(now, wire).saturating_add(response_timeout.ticks()),
            }
        };
        ch.rx.clear();
        ch.txn = Some(txn);
        self.refresh_timer(ci, now);
        Some(Transmit {
            channel: ChannelId(ci as u8),
            len,
            baud,
        })
    }

    /// Gets channel `ci`'s transaction ready to send at `now`, shared by the RS-485/M-Bus
    /// channels and the carrier channel: honours the guard time, sets a round transaction in
    /// back-off aside while commands wait (and resumes it after), and starts the next job when
    /// none is in flight (`commands_only`: queued commands only, never the round). `None`
    /// when there is nothing to send now; otherwise the channel's `txn` is in `Send` state.
    fn txn_to_send(&mut self, ci: usize, now: Instant, commands_only: bool) -> Option<()> {
        let ch = self.channels.get_mut(ci)?.as_mut()?;
        if ch.guard_until > now.ticks() {
            return None;
        }
        // A command jumps ahead of a round transaction that is only waiting out its back-off
        // (a silent meter's retry): the round transaction is set aside, not cut short, and
        // resumes with its next try once the commands are done.
        if ch.suspended.is_none()
            && !ch.commands.is_empty()
            && ch
                .txn
                .is_some_and(|t| t.in_round && matches!(t.state, TxnState::Backoff { .. }))
        {
            ch.suspended = ch.txn.take();
        }
        if ch.txn.is_none() && ch.commands.is_empty() {
            ch.txn = ch.suspended.take();
            if let Some(t) = ch.txn.as_mut()
                && let TxnState::Backoff { until } = t.state
                && until <= now.ticks()
            {
                t.state = TxnState::Send;
            }
        }
        match ch.txn {
            Some(Txn {
                state: TxnState::Send,
                ..
            }) => {}
            Some(_) => {
                self.refresh_timer(ci, now);
                return None;
            }
            None => {
                let (job, in_round) = if commands_only {
                    (ch.commands.pop_front()?, false)
                } else {
                    self.next_job(ci, now)?
                };
                let ch = self.channels.get_mut(ci)?.as_mut()?;
                ch.txn = Some(Txn {
                    job,
                    step: 0,
                    seq: 0,
                    tries: 0,
                    state: TxnState::Send,
                    carry: None,
                    counter: 0,
                    set_to: None,
                    in_round,
                });
            }
        }
        Some(())
    }

    fn process_rx(&mut self, ci: usize, now: Instant) {
        loop {
            let Some(ch) = self.channels.get_mut(ci).and_then(Option::as_mut) else {
                return;
            };
            let Some(txn) = ch.txn else { return };
            let TxnState::Waiting { deadline } = txn.state else {
                return;
            };
            let kind = ch.cfg.kind;
            match mapping::scan(kind, &ch.rx) {
                FrameScan::Skip(n) => {
                    drain_front(&mut ch.rx, n.max(1));
                }
                FrameScan::Incomplete { needed } => {
                    // The rest of the frame may still come: wait for its wire time plus the
                    // inter-byte allowance, never less than the original deadline.
                    if !ch.rx.is_empty() {
                        let line = ch.cfg.line;
                        let more = add_ms(now, line.wire_time(needed))
                            .saturating_add(line.inter_byte_timeout.ticks());
                        if let Some(t) = ch.txn.as_mut() {
                            t.state = TxnState::Waiting {
                                deadline: deadline.max(more),
                            };
                        }
                    }
                    return;
                }
                FrameScan::Frame { start, end } => {
                    if let Job::Forward { cmd } = txn.job {
                        if self.forward_frame(ci, cmd, start..end, now) {
                            return;
                        }
                        continue;
                    }
                    let Job::Meter { meter, work, .. } = txn.job else {
                        drain_front(&mut ch.rx, end.max(1));
                        continue;
                    };
                    let (req, mut decoded) = txn.awaited(work, self.clock.now(now));
                    let reply = match ch.rx.get(start..end) {
                        Some(frame) => mapping::interpret(kind, &meter, &req, frame, &mut decoded),
                        None => Reply::Ignore,
                    };
                    drain_front(&mut ch.rx, end.max(1));
                    match reply {
                        Reply::Ignore => {
                            self.counters.ignored_frames += 1;
                        }
                        Reply::Answered(next) => {
                            self.step_answered(ci, txn, next, decoded, now);
                            return;
                        }
                        Reply::MeterError(code) => {
                            self.step_error(ci, txn, code, now);
                            return;
                        }
                    }
                }
            }
        }
    }

    fn end_txn(&mut self, ci: usize, now: Instant) {
        if let Some(ch) = self.channels.get_mut(ci).and_then(Option::as_mut) {
            ch.txn = None;
            ch.rx.clear();
            ch.guard_until = add_ms(now, ch.cfg.line.guard);
        }
    }

    fn step_answered(&mut self, ci: usize, txn: Txn, next: Next, decoded: Decoded, now: Instant) {
        let at = self.clock.now(now);
        let Job::Meter { slot, meter, work } = txn.job else {
            return;
        };
        if let Work::Read { item, .. } = work {
            self.emit_readings(&meter, item, &decoded, at);
        }
        let next_txn = match next {
            Next::Step(step) => Some(Txn {
                step,
                seq: 0,
                tries: 0,
                state: TxnState::Send,
                carry: decoded.carry,
                counter: 0,
                ..txn
            }),
            Next::FollowUp(seq) if seq <= MAX_FOLLOW_UPS => Some(Txn {
                seq,
                tries: 0,
                state: TxnState::Send,
                carry: decoded.carry,
                counter: decoded.counter,
                ..txn
            }),
            Next::FollowUp(_) | Next::Done => None,
        };
        if let Some(n) = next_txn {
            if let Some(ch) = self.channels.get_mut(ci).and_then(Option::as_mut) {
                ch.txn = Some(n);
                ch.rx.clear();
                ch.guard_until = add_ms(now, ch.cfg.line.guard);
            }
            return;
        }
        self.end_txn(ci, now);
        // Clock check: compare the meter clock (carried from the reply) with ours.
        if let Work::Read {
            item: Item::Clock,
            cmd: None,
        } = work
            && let Some(meter_time) = decoded.parts.iter().find_map(|p| match p.value {
                Value::Time(t) => Some(t),
                _ => None,
            })
        {
            let drift = meter_time.seconds_since_2000() - at.seconds_since_2000();
            if drift.abs() > MAX_DRIFT_SECONDS {
                self.emit(Event {
                    at,
                    kind: EventKind::Alarm(Alarm::ClockDrift {
                        meter: meter.archive_no,
                        drift_seconds: drift,
                    }),
                });
                if meter.allow_clock_set && meter.control.is_some() {
                    self.mark_set_clock(ci, slot);
                }
            }
        }
        self.job_done(&txn, work, meter, Outcome::Done, at);
    }

    /// Reports a meter's error reply `code` to a read of `item`: recorded as such, with no
    /// value, never a zero.
    fn emit_meter_error(&mut self, meter: &Meter, item: Item, code: u16, at: DateTime) {
        self.emit(Event {
            at,
            kind: EventKind::Reading(Reading {
                meter: meter.archive_no,
                item,
                part: 0,
                value: Value::Missing,
                meter_time: None,
                read_at: at,
                quality: Quality::MeterError(code),
            }),
        });
    }

    /// Reports the values of one answered step as readings.
    fn emit_readings(&mut self, meter: &Meter, item: Item, decoded: &Decoded, at: DateTime) {
        for p in &decoded.parts {
            self.emit(Event {
                at,
                kind: EventKind::Reading(Reading {
                    meter: meter.archive_no,
                    item,
                    part: p.part,
                    value: p.value,
                    meter_time: match item {
                        Item::FrozenDay { .. } => decoded.carry,
                        // Record n of a curve block is at start + n × interval.
                        Item::LoadCurve { interval_min, .. } => decoded.carry.and_then(|start| {
                            start.add_seconds(i64::from(p.part) * i64::from(interval_min) * 60)
                        }),
                        _ => None,
                    },
                    read_at: at,
                    quality: p.quality,
                }),
            });
        }
    }

    fn mark_set_clock(&mut self, ci: usize, slot: u16) {
        if let Some(ch) = self.channels.get_mut(ci).and_then(Option::as_mut)
            && let Some(round) = ch.round.as_mut()
            && let Some(cur) = round.cur.as_mut()
            && cur.slot == slot
        {
            cur.set_clock = true;
        }
    }

    fn step_error(&mut self, ci: usize, txn: Txn, code: u16, now: Instant) {
        let at = self.clock.now(now);
        self.end_txn(ci, now);
        let Job::Meter { meter, work, .. } = txn.job else {
            return;
        };
        if let Work::Read { item, .. } = work {
            self.emit_meter_error(&meter, item, code, at);
        }
        self.job_done(&txn, work, meter, Outcome::MeterError(code), at);
    }

    fn job_failed(&mut self, ci: usize, txn: Txn, now: Instant) {
        if let Job::Forward { cmd } = txn.job {
            self.forward_failed(ci, cmd, now);
            return;
        }
        let at = self.clock.now(now);
        let Job::Meter { slot, meter, work } = txn.job else {
            return;
        };
        if txn.in_round {
            if let Some(ch) = self.channels.get_mut(ci).and_then(Option::as_mut)
                && let Some(cur) = ch.round.as_mut().and_then(|r| r.cur.as_mut())
                && cur.slot == slot
            {
                cur.failed = true;
            }
            self.emit(Event {
                at,
                kind: EventKind::Alarm(Alarm::MeterOffline {
                    meter: meter.archive_no,
                    channel: meter.channel,
                }),
            });
        }
        self.job_done(&txn, work, meter, Outcome::NoAnswer, at);
    }

    /// Reports the end of a job: command results, audit, clock-set results.
    fn job_done(&mut self, txn: &Txn, work: Work, meter: Meter, outcome: Outcome, at: DateTime) {
        match work {
            Work::Read { cmd: None, .. } => {}
            Work::SetClock => self.emit(Event {
                at,
                kind: EventKind::ClockSet {
                    meter: meter.archive_no,
                    outcome,
                },
            }),
            Work::Read { cmd: Some(_), .. } | Work::Switch { .. } => {
                self.finish_command(&txn.job, outcome, at);
            }
        }
    }

    fn finish_command(&mut self, job: &Job, outcome: Outcome, at: DateTime) {
        if let Job::Forward { cmd } = *job {
            self.forward_ended(cmd, outcome, at);
            return;
        }
        let Job::Meter { meter, work, .. } = *job else {
            return;
        };
        match work {
            Work::Read {
                cmd: Some((id, _)), ..
            } => self.emit(Event {
                at,
                kind: EventKind::CommandResult {
                    id,
                    meter: meter.archive_no,
                    outcome,
                },
            }),
            Work::Switch {
                cmd,
                origin,
                action,
                ..
            } => {
                self.emit(Event {
                    at,
                    kind: EventKind::SwitchAudit {
                        id: cmd,
                        meter: meter.archive_no,
                        action,
                        origin,
                        outcome,
                    },
                });
                if outcome != Outcome::Done {
                    self.emit(Event {
                        at,
                        kind: EventKind::Alarm(Alarm::SwitchFailed {
                            meter: meter.archive_no,
                            action,
                        }),
                    });
                }
                self.emit(Event {
                    at,
                    kind: EventKind::CommandResult {
                        id: cmd,
                        meter: meter.archive_no,
                        outcome,
                    },
                });
            }
            Work::Read { cmd: None, .. } | Work::SetClock => {}
        }
    }

    /// The calendar time for events raised outside any input with a `now` (archive changes):
    /// the minute of the last schedule check.
    fn archive_time_hint(&self) -> DateTime {
        self.last_minute
            .and_then(|m| DateTime::from_seconds_since_2000(m * 60))
            .unwrap_or(DateTime::MIN)
    }

    // ----- events and the store ------------------------------------------------------------

    fn emit(&mut self, event: Event) {
        if self.unstored.is_empty() && self.store.append(&event).is_ok() {
            self.publish(event);
            return;
        }
        if self.unstored.push_back(event).is_err() {
            // The hold queue is full. It is sized for the events of one input (see
            // `UNSTORED`) and no new work starts while it holds anything, so this cannot
            // happen; should it, the event is counted as dropped rather than panicking.
            self.counters.events_dropped += 1;
        }
    }

    fn publish(&mut self, event: Event) {
        if self.events.is_full() {
            self.events.pop_front();
            self.counters.events_dropped += 1;
        }
        let _ = self.events.push_back(event);
    }

    fn retry_store(&mut self) {
        while let Some(event) = self.unstored.front().copied() {
            if self.store.append(&event).is_err() {
                return;
            }
            self.unstored.pop_front();
            self.publish(event);
        }
    }

    fn refresh_timer(&mut self, ci: usize, now: Instant) {
        let Some(ch) = self.channels.get(ci).and_then(Option::as_ref) else {
            return;
        };
        let deadline = match ch.txn.map(|t| t.state) {
            Some(TxnState::Waiting { deadline }) => Some(deadline),
            Some(TxnState::Backoff { until }) | Some(TxnState::Broadcasting { until }) => {
                Some(until)
            }
            Some(TxnState::Send) => Some(ch.guard_until.max(now.ticks())),
            None => {
                let has_work = !ch.commands.is_empty()
                    || ch.suspended.is_some()
                    || ch.round.is_some()
                    || !ch.pending.is_empty();
                (has_work && ch.guard_until > now.ticks()).then_some(ch.guard_until)
            }
        };
        match deadline {
            Some(d) => self
                .timers
                .set(Timer::Channel(ci as u8), Instant::from_ticks(d)),
            None => self.timers.stop(Timer::Channel(ci as u8)),
        }
    }
}

fn request_of(txn: &Txn, work: Work, wall: DateTime) -> Request {
    match work {
        Work::Read { item, .. } => Request::Read {
            item,
            step: txn.step,
            seq: txn.seq,
        },
        Work::Switch {
            action,
            valid_until,
            ..
        } => Request::Switch {
            action,
            valid_until,
        },
        Work::SetClock => Request::SetClock {
            step: txn.step,
            to: txn.set_to.unwrap_or(wall),
        },
    }
}

fn drain_front(rx: &mut heapless::Vec<u8, RX_CAP>, n: usize) {
    let n = n.min(rx.len());
    let len = rx.len();
    rx.copy_within(n..len, 0);
    rx.truncate(len - n);
}
