//! The module session: a sans-IO state machine for one carrier module (notes §1.11, §1.12).
//!
//! Inputs: [`handle_received`](Session::handle_received) (bytes from the UART, any chunking),
//! [`handle_timeout`](Session::handle_timeout), and commands ([`read`](Session::read),
//! [`answer_read`](Session::answer_read), [`broadcast`](Session::broadcast), ...). Outputs,
//! drained after every input in this order: [`poll_transmit`](Session::poll_transmit) (frames
//! for the UART), [`poll_timeout`](Session::poll_timeout) (when to call `handle_timeout`),
//! [`poll_event`](Session::poll_event). Time is the caller's monotonic clock in milliseconds.

mod config;
mod drive;
mod event;
mod reply;
mod report;

pub use config::{Config, StartMode};
pub use event::{Event, Failure, FrameBuf, ModuleInfo, Op, ReadId, Step};

use heapless::{Deque, Vec};

use crate::unit::confirm::Confirm;
use crate::unit::list::Entries;
use crate::unit::protocol::{Protocol, ProtocolFrame};
use crate::unit::read::{ConcurrentRead, MonitorRequest, ReadAnswer, ReadFlag};
use crate::unit::route::{AddNode, NodeQuery, RegistrationWindow};
use crate::unit::time::DateTime;
use crate::{
    Address, AddressField, Afn, Control, DataUnit, Direction, Dt, Edition, FrameRepr, Info,
    InfoDown, R1, RateUnit, Scanner,
};

/// A point on the caller's monotonic clock, in milliseconds (the same `fugit` type as
/// `rs485_link::Instant`).
pub type Instant = fugit::TimerInstantU64<1000>;
/// A span of the caller's monotonic clock, in milliseconds.
pub type Duration = fugit::TimerDurationU64<1000>;

/// The longest frame the session sends; [`Session::poll_transmit`] needs a buffer this long.
pub const MAX_TX_LEN: usize = 320;

type TxBuf = Vec<u8, MAX_TX_LEN>;

/// Commands waiting for their turn.
const JOBS: usize = 8;
/// Events waiting to be polled; the oldest are kept, newer ones counted as lost.
const EVENTS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    HardwareInit,
    RunMode,
    ReadMaster,
    SetMaster,
    ParamInit,
    NodeCount,
    NodePage { count: u8 },
    Delete { n: u8 },
    Add { n: u8 },
    StartRouting { op: Op },
    PauseForReads,
    ResumeAfterReads,
    Read,
    Job(Op),
    Probe,
}

#[derive(Debug, Clone)]
struct Pending {
    purpose: Purpose,
    seq: u8,
    deadline: Instant,
    timeout: Duration,
    tries: u8,
    frame: TxBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitReport { until: Instant },
    Reset,
    RunMode,
    Master,
    SetMaster,
    Count,
    Page { next: u16 },
    Delete,
    Add,
    StartRouting,
    Ready,
    Backoff { until: Instant },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Job {
    Read {
        id: ReadId,
        meter: Address,
        protocol: Protocol,
        frame: FrameBuf,
        concurrent: bool,
    },
    BroadcastDelay {
        protocol: Protocol,
        frame: FrameBuf,
    },
    Broadcast {
        protocol: Protocol,
        frame: FrameBuf,
    },
    StartRegistration(RegistrationWindow),
    StopRegistration,
    Routing(Op),
}

/// What the module asked for in a router-led round and is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked {
    Read { meter: Address },
    Clock,
    Delay { meter: Address },
}

/// Why a command was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The command queue (or the archive) is full.
    #[error("queue full")]
    Full,
    /// The carried frame is longer than 255 bytes.
    #[error("frame longer than 255 bytes")]
    FrameTooLong,
    /// The module has not asked for this answer (or it was already given).
    #[error("nothing to answer")]
    NotAsked,
    /// The module does not support the command (concurrent reads without
    /// [`Config::concurrent`]).
    #[error("not supported by the module")]
    Unsupported,
}

/// A session with one carrier module, holding an archive of up to `N` nodes.
#[derive(Debug)]
pub struct Session<const N: usize> {
    config: Config,
    phase: Phase,
    seq: u8,
    pending: Option<Pending>,
    tx: Deque<TxBuf, 4>,
    events: Deque<Event, EVENTS>,
    lost_events: usize,
    jobs: Deque<Job, JOBS>,
    next_id: u32,
    module: Option<ModuleInfo>,
    archive: Vec<(Address, Protocol), N>,
    present: Vec<bool, N>,
    extras: Vec<Address, N>,
    extras_overflow: bool,
    module_total: u16,
    paged: u16,
    deleted: u16,
    added: u16,
    routing_running: bool,
    paused_for_reads: bool,
    asked: Option<(u8, Asked)>,
    last_heard: Instant,
    scanner: Scanner<2048>,
}

fn proto_frame(frame: &[u8]) -> Result<FrameBuf, CommandError> {
    FrameBuf::from_slice(frame).map_err(|_| CommandError::FrameTooLong)
}

impl<const N: usize> Session<N> {
    /// A session starting now, as `config.start` says.
    pub fn new(config: Config, now: Instant) -> Self {
        let mut s = Self {
            config,
            phase: Phase::RunMode,
            seq: 0,
            pending: None,
            tx: Deque::new(),
            events: Deque::new(),
            lost_events: 0,
            jobs: Deque::new(),
            next_id: 0,
            module: None,
            archive: Vec::new(),
            present: Vec::new(),
            extras: Vec::new(),
            extras_overflow: false,
            module_total: 0,
            paged: 0,
            deleted: 0,
            added: 0,
            routing_running: false,
            paused_for_reads: false,
            asked: None,
            last_heard: now,
            scanner: Scanner::new(),
        };
        s.phase = match config.start {
            StartMode::AwaitReport => Phase::AwaitReport {
                until: now + config.power_up_wait,
            },
            StartMode::Reset => Phase::Reset,
            StartMode::Query => Phase::RunMode,
        };
        s.drive(now);
        s
    }

    /// Sets the concentrator's node archive. When the module is running, the archive is
    /// synchronised again (AFN 10 F1/F2, 11 F2, 11 F1).
    pub fn set_archive<I>(&mut self, nodes: I, now: Instant) -> Result<(), CommandError>
    where
        I: IntoIterator<Item = (Address, Protocol)>,
    {
        self.archive.clear();
        for n in nodes {
            self.archive.push(n).map_err(|_| CommandError::Full)?;
        }
        if self.phase == Phase::Ready {
            self.phase = Phase::Count;
        }
        self.drive(now);
        Ok(())
    }

    /// Whether start-up has finished and the module is in service.
    pub fn is_ready(&self) -> bool {
        self.phase == Phase::Ready
    }

    /// The module's run mode, once known.
    pub fn module(&self) -> Option<ModuleInfo> {
        self.module
    }

    /// Events dropped because nobody polled them.
    pub fn lost_events(&self) -> usize {
        self.lost_events
    }

    /// Queues a concentrator-led read of `meter` (AFN 13 F1); routing is paused first and
    /// resumed when the queue is empty.
    pub fn read(
        &mut self,
        meter: Address,
        protocol: Protocol,
        frame: &[u8],
        now: Instant,
    ) -> Result<ReadId, CommandError> {
        self.queue_read(meter, protocol, frame, false, now)
    }

    /// Queues a concurrent read (AFN F1 F1, Q/GDW 10376.2-2019): several DL/T 645 requests to
    /// one meter in one frame, as the SPL logs show (`F1 01 00 02 00 3C 00` + three requests).
    /// The reply's frames arrive together in [`Event::ReadDone`]; split them with
    /// [`dlt645_frames`](crate::dlt645_frames). Only when [`Config::concurrent`] says the module
    /// supports it.
    pub fn read_concurrent(
        &mut self,
        meter: Address,
        protocol: Protocol,
        frames: &[u8],
        now: Instant,
    ) -> Result<ReadId, CommandError> {
        if !self.config.concurrent {
            return Err(CommandError::Unsupported);
        }
        self.queue_read(meter, protocol, frames, true, now)
    }

    fn queue_read(
        &mut self,
        meter: Address,
        protocol: Protocol,
        frame: &[u8],
        concurrent: bool,
        now: Instant,
    ) -> Result<ReadId, CommandError> {
        let id = ReadId(self.next_id);
        let frame = proto_frame(frame)?;
        self.jobs
            .push_back(Job::Read {
                id,
                meter,
                protocol,
                frame,
                concurrent,
            })
            .map_err(|_| CommandError::Full)?;
        self.next_id = self.next_id.wrapping_add(1);
        self.drive(now);
        Ok(id)
    }

    /// Asks the module for the broadcast delay of `frame` (AFN 03 F9); the answer arrives as
    /// [`Event::BroadcastDelay`].
    pub fn query_broadcast_delay(
        &mut self,
        protocol: Protocol,
        frame: &[u8],
        now: Instant,
    ) -> Result<(), CommandError> {
        let frame = proto_frame(frame)?;
        self.push_job(Job::BroadcastDelay { protocol, frame }, now)
    }

    /// Broadcasts `frame` to every node (AFN 05 F3), e.g. a DL/T 645 time setting already
    /// shifted by the delay from [`query_broadcast_delay`](Self::query_broadcast_delay).
    pub fn broadcast(
        &mut self,
        protocol: Protocol,
        frame: &[u8],
        now: Instant,
    ) -> Result<(), CommandError> {
        let frame = proto_frame(frame)?;
        self.push_job(Job::Broadcast { protocol, frame }, now)
    }

    /// Starts slave registration (AFN 11 F5); found nodes arrive as [`Event::NodeRegistered`],
    /// the end as [`Event::RouteStatus`] with `SearchFinished`.
    pub fn start_registration(
        &mut self,
        window: RegistrationWindow,
        now: Instant,
    ) -> Result<(), CommandError> {
        self.push_job(Job::StartRegistration(window), now)
    }

    /// Stops slave registration (AFN 11 F6).
    pub fn stop_registration(&mut self, now: Instant) -> Result<(), CommandError> {
        self.push_job(Job::StopRegistration, now)
    }

    /// Restarts (AFN 12 F1), pauses (F2) or resumes (F3) routing; any other `op` is refused.
    pub fn routing(&mut self, op: Op, now: Instant) -> Result<(), CommandError> {
        match op {
            Op::RestartRouting | Op::PauseRouting | Op::ResumeRouting => {
                self.push_job(Job::Routing(op), now)
            }
            _ => Err(CommandError::NotAsked),
        }
    }

    fn push_job(&mut self, job: Job, now: Instant) -> Result<(), CommandError> {
        self.jobs.push_back(job).map_err(|_| CommandError::Full)?;
        self.drive(now);
        Ok(())
    }

    /// Answers the module's AFN 14 F1 ([`Event::RouterAsks`]): `Some(frame)` to read the meter
    /// with it, `None` when nothing is needed (`done` = the meter is finished, otherwise it is
    /// skipped as failed).
    pub fn answer_read(
        &mut self,
        frame: Option<&[u8]>,
        done: bool,
        now: Instant,
    ) -> Result<(), CommandError> {
        let Some((seq, Asked::Read { meter })) = self.asked else {
            return Err(CommandError::NotAsked);
        };
        let (flag, bytes) = match frame {
            Some(f) => (ReadFlag::Send, f),
            None if done => (ReadFlag::Done, &[][..]),
            None => (ReadFlag::Skip, &[][..]),
        };
        if bytes.len() > 255 {
            return Err(CommandError::FrameTooLong);
        }
        let unit = DataUnit::ReadAnswer(ReadAnswer {
            flag,
            delay_sensitive: false,
            frame: bytes,
            attached: Entries::empty(self.config.edition),
        });
        self.asked = None;
        self.send_reply(seq, Afn::RouteRead, 1, Some(meter), unit);
        self.drive(now);
        Ok(())
    }

    /// Answers the module's AFN 14 F2 ([`Event::ClockRequested`]) with the concentrator's clock.
    pub fn answer_clock(&mut self, time: DateTime, now: Instant) -> Result<(), CommandError> {
        let Some((seq, Asked::Clock)) = self.asked else {
            return Err(CommandError::NotAsked);
        };
        self.asked = None;
        self.send_reply(seq, Afn::RouteRead, 2, None, DataUnit::Clock(time));
        self.drive(now);
        Ok(())
    }

    /// Answers the module's AFN 14 F3 ([`Event::DelayCorrection`]) with the corrected frame.
    pub fn answer_delay(&mut self, frame: &[u8], now: Instant) -> Result<(), CommandError> {
        let Some((seq, Asked::Delay { meter })) = self.asked else {
            return Err(CommandError::NotAsked);
        };
        if frame.len() > 255 {
            return Err(CommandError::FrameTooLong);
        }
        self.asked = None;
        self.send_reply(
            seq,
            Afn::RouteRead,
            3,
            Some(meter),
            DataUnit::DelayCorrected(frame),
        );
        self.drive(now);
        Ok(())
    }

    /// Bytes from the UART, in any chunking.
    pub fn handle_received(&mut self, bytes: &[u8], now: Instant) {
        let mut rest = bytes;
        let mut frame = [0u8; crate::DEFAULT_MAX_FRAME];
        loop {
            let n = self.scanner.push(rest);
            rest = rest.get(n..).unwrap_or(&[]);
            let mut got = None;
            if let Some(f) = self.scanner.next_frame() {
                let b = f.as_bytes();
                if let Some(dst) = frame.get_mut(..b.len()) {
                    dst.copy_from_slice(b);
                    got = Some(b.len());
                }
            }
            match got {
                Some(len) => self.handle_frame(frame.get(..len).unwrap_or(&[]), now),
                None if rest.is_empty() => break,
                None => {}
            }
        }
        self.drive(now);
    }

    /// One whole frame from the module (for callers that deframe themselves, e.g. with
    /// `rs485_link`'s deframer and [`Q1376_2`](crate::Q1376_2)).
    pub fn handle_frame(&mut self, bytes: &[u8], now: Instant) {
        let Ok(frame) = crate::Frame::new_checked(bytes) else {
            return;
        };
        let control = frame.control();
        if control.direction != Direction::Up {
            // Our own frames echoed back on a shared line.
            return;
        }
        self.last_heard = now;
        match FrameRepr::parse(&frame, self.config.edition) {
            Ok(repr) if repr.control.prm => self.on_report(&repr),
            Ok(repr) => {
                if let Some(p) = self.take_pending(repr.info.seq()) {
                    self.on_reply(p, &repr, now);
                }
            }
            // A reply whose data unit does not decode: the request failed, it does not hang
            // until its timeout. A report that does not decode is dropped.
            Err(_) if !control.prm => {
                if let Some(p) = self.take_pending(frame.info().seq()) {
                    self.fail(p.purpose, Failure::Unexpected, now);
                }
            }
            Err(_) => {}
        }
        self.drive(now);
    }

    fn take_pending(&mut self, seq: u8) -> Option<Pending> {
        if self.pending.as_ref()?.seq == seq {
            self.pending.take()
        } else {
            None
        }
    }

    /// Time has passed: retries, timeouts, power-up wait, supervision.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(p) = self.pending.as_mut().filter(|p| now >= p.deadline) {
            if p.tries < self.config.retries {
                p.tries += 1;
                p.deadline = now + p.timeout;
                let frame = p.frame.clone();
                let _ = self.tx.push_back(frame);
            } else {
                let p = p.clone();
                self.pending = None;
                self.fail(p.purpose, Failure::Timeout, now);
            }
        }
        match self.phase {
            Phase::AwaitReport { until } if now >= until => self.phase = Phase::RunMode,
            Phase::Backoff { until } if now >= until => self.phase = Phase::RunMode,
            Phase::Ready
                if self.pending.is_none()
                    && self.jobs.is_empty()
                    && now >= self.last_heard + self.config.supervision =>
            {
                self.request(
                    Purpose::Probe,
                    Afn::RouteQuery,
                    4,
                    None,
                    DataUnit::Empty,
                    now,
                );
            }
            _ => {}
        }
        self.drive(now);
    }

    /// The next frame for the UART, written into `buf` (at least [`MAX_TX_LEN`] bytes);
    /// returns its length.
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<usize> {
        let f = self.tx.front()?;
        let dst = buf.get_mut(..f.len())?;
        dst.copy_from_slice(f);
        let n = f.len();
        self.tx.pop_front();
        Some(n)
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let pending = self.pending.as_ref().map(|p| p.deadline);
        let phase = match self.phase {
            Phase::AwaitReport { until } | Phase::Backoff { until } => Some(until),
            Phase::Ready if self.pending.is_none() => {
                Some(self.last_heard + self.config.supervision)
            }
            _ => None,
        };
        match (pending, phase) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn event(&mut self, e: Event) {
        if self.events.push_back(e).is_err() {
            self.lost_events += 1;
        }
    }

    fn next_seq(&mut self) -> u8 {
        let s = self.seq;
        self.seq = self.seq.wrapping_add(1);
        s
    }

    fn encode(
        &self,
        control: Control,
        seq: u8,
        afn: Afn,
        f: u16,
        node: Option<Address>,
        unit: DataUnit<'_>,
    ) -> Option<TxBuf> {
        let r1 = R1 {
            slave_node: node.is_some(),
            ..R1::default()
        };
        let repr = FrameRepr {
            edition: self.config.edition,
            control,
            info: Info::Down(InfoDown {
                r1,
                rate: self.config.rate,
                rate_unit: RateUnit::Bps,
                seq,
                ..InfoDown::default()
            }),
            address: node.map(|a| AddressField::new(self.config.master_address, a)),
            afn,
            dt: Dt::single(f)?,
            unit,
        };
        let mut buf = TxBuf::new();
        buf.resize_default(repr.buffer_len()).ok()?;
        let n = repr.emit(&mut buf).ok()?;
        buf.truncate(n);
        Some(buf)
    }

    /// Sends the concentrator's reply (PRM = 0, the module's sequence number echoed, as NUC
    /// does for AFN 00 and AFN 14 replies).
    fn send_reply(&mut self, seq: u8, afn: Afn, f: u16, node: Option<Address>, unit: DataUnit) {
        let control = Control::down_reply(self.config.mode);
        if let Some(buf) = self.encode(control, seq, afn, f, node, unit) {
            let _ = self.tx.push_back(buf);
        }
    }

    fn confirm(&mut self, seq: u8) {
        let unit = DataUnit::Confirm(Confirm {
            status: 0xFFFF_FFFF
                >> match self.config.edition {
                    Edition::V2009 => 16,
                    Edition::V2013 => 0,
                },
            wait_s: 0,
        });
        self.send_reply(seq, Afn::Confirm, 1, None, unit);
    }

    fn timeout_for(&self, purpose: Purpose) -> Duration {
        let m = self.module;
        match purpose {
            Purpose::Read => {
                m.map_or(self.config.monitor_fallback, |m| m.monitor_timeout) + self.config.margin
            }
            Purpose::Job(Op::Broadcast { .. }) => {
                m.map_or(self.config.broadcast_fallback, |m| m.broadcast_timeout)
                    + self.config.margin
            }
            _ => self.config.local_timeout,
        }
    }

    fn request(
        &mut self,
        purpose: Purpose,
        afn: Afn,
        f: u16,
        node: Option<Address>,
        unit: DataUnit,
        now: Instant,
    ) {
        let seq = self.next_seq();
        let control = Control::command(self.config.mode);
        let Some(frame) = self.encode(control, seq, afn, f, node, unit) else {
            // Cannot happen: every unit the session builds fits MAX_TX_LEN.
            self.fail(purpose, Failure::Unexpected, now);
            return;
        };
        let timeout = self.timeout_for(purpose);
        let _ = self.tx.push_back(frame.clone());
        self.pending = Some(Pending {
            purpose,
            seq,
            deadline: now + timeout,
            timeout,
            tries: 0,
            frame,
        });
    }
}
