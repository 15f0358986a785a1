//! The module session: a sans-IO state machine for one carrier module (notes §1.11, §1.12).
//!
//! Inputs: [`handle_received`](Session::handle_received) (bytes from the UART, any chunking),
//! [`handle_timeout`](Session::handle_timeout), and commands ([`read`](Session::read),
//! [`answer_read`](Session::answer_read), [`broadcast`](Session::broadcast), ...). Outputs,
//! drained after every input in this order: [`poll_transmit`](Session::poll_transmit) (frames
//! for the UART), [`poll_timeout`](Session::poll_timeout) (when to call `handle_timeout`),
//! [`poll_event`](Session::poll_event). Time is the caller's monotonic clock in milliseconds.

mod config;
mod event;

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
            Ok(repr) if repr.control.prm => self.on_report(&repr, now),
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

    /// Issues the next request when none is outstanding.
    fn drive(&mut self, now: Instant) {
        if self.pending.is_some() || self.tx.is_full() {
            return;
        }
        match self.phase {
            Phase::AwaitReport { .. } | Phase::Backoff { .. } => {}
            Phase::Reset => self.request(
                Purpose::HardwareInit,
                Afn::Init,
                1,
                None,
                DataUnit::Empty,
                now,
            ),
            Phase::RunMode => {
                self.request(Purpose::RunMode, Afn::Query, 10, None, DataUnit::Empty, now)
            }
            Phase::Master => self.request(
                Purpose::ReadMaster,
                Afn::Query,
                4,
                None,
                DataUnit::Empty,
                now,
            ),
            Phase::SetMaster => {
                let a = self.config.master_address;
                self.request(
                    Purpose::SetMaster,
                    Afn::Control,
                    1,
                    None,
                    DataUnit::SetMasterAddress(a),
                    now,
                );
            }
            Phase::Count => {
                self.present.clear();
                for _ in 0..self.archive.len() {
                    let _ = self.present.push(false);
                }
                self.extras.clear();
                self.extras_overflow = false;
                self.paged = 0;
                self.deleted = 0;
                self.added = 0;
                self.request(
                    Purpose::NodeCount,
                    Afn::RouteQuery,
                    1,
                    None,
                    DataUnit::Empty,
                    now,
                );
            }
            Phase::Page { next } => {
                let left = self.module_total.saturating_sub(self.paged);
                let count =
                    u8::try_from(left.min(u16::from(self.config.page_size))).unwrap_or(u8::MAX);
                let unit = DataUnit::NodeQuery(NodeQuery { start: next, count });
                self.request(
                    Purpose::NodePage { count },
                    Afn::RouteQuery,
                    2,
                    None,
                    unit,
                    now,
                );
            }
            Phase::Delete => self.drive_delete(now),
            Phase::Add => self.drive_add(now),
            Phase::StartRouting => {
                // Restart when the archive changed, resume otherwise (notes §1.12 step 9).
                let (op, f) = if self.deleted + self.added > 0 {
                    (Op::RestartRouting, 1)
                } else {
                    (Op::ResumeRouting, 3)
                };
                self.request(
                    Purpose::StartRouting { op },
                    Afn::RouteControl,
                    f,
                    None,
                    DataUnit::Empty,
                    now,
                );
            }
            Phase::Ready => self.drive_jobs(now),
        }
    }

    fn drive_delete(&mut self, now: Instant) {
        if self.extras_overflow {
            // More stray nodes than we can hold: clear the module's archive (AFN 01 F2) and
            // add every node again.
            self.request(Purpose::ParamInit, Afn::Init, 2, None, DataUnit::Empty, now);
            return;
        }
        if self.extras.is_empty() {
            self.phase = Phase::Add;
            self.drive_add(now);
            return;
        }
        let n = self
            .extras
            .len()
            .min(usize::from(self.config.batch_size.max(1)));
        let mut scratch = [0u8; 6 * 255];
        let ed = self.config.edition;
        let batch = self.extras.get(..n).unwrap_or(&[]).iter().copied();
        let Ok(list) = Entries::encode(batch, ed, &mut scratch) else {
            return;
        };
        let n = u8::try_from(n).unwrap_or(u8::MAX);
        self.request(
            Purpose::Delete { n },
            Afn::RouteSet,
            2,
            None,
            DataUnit::DeleteNodes(list),
            now,
        );
    }

    fn drive_add(&mut self, now: Instant) {
        let ed = self.config.edition;
        let max = usize::from(self.config.batch_size.max(1));
        let mut batch: Vec<AddNode, 64> = Vec::new();
        for (i, ((address, protocol), present)) in
            self.archive.iter().zip(self.present.iter()).enumerate()
        {
            if *present {
                continue;
            }
            if batch.len() >= max.min(64) {
                break;
            }
            let index = match ed {
                // 2009 entries carry the node index (HW `GetSecondaryNodeItemSize`); the
                // archive position, counted from the first index, serves as index.
                Edition::V2009 => Some(
                    u16::try_from(i)
                        .unwrap_or(u16::MAX)
                        .saturating_add(self.config.first_index),
                ),
                Edition::V2013 => None,
            };
            let _ = batch.push(AddNode {
                address: *address,
                index,
                protocol: *protocol,
            });
        }
        if batch.is_empty() {
            self.phase = Phase::StartRouting;
            if self.deleted + self.added > 0 {
                self.event(Event::ArchiveSynced {
                    deleted: self.deleted,
                    added: self.added,
                });
            }
            self.drive(now);
            return;
        }
        let mut scratch = [0u8; 9 * 64];
        let n = u8::try_from(batch.len()).unwrap_or(u8::MAX);
        let Ok(list) = Entries::encode(batch, ed, &mut scratch) else {
            return;
        };
        self.request(
            Purpose::Add { n },
            Afn::RouteSet,
            1,
            None,
            DataUnit::AddNodes(list),
            now,
        );
    }

    fn drive_jobs(&mut self, now: Instant) {
        let Some(job) = self.jobs.front().cloned() else {
            if self.paused_for_reads {
                self.request(
                    Purpose::ResumeAfterReads,
                    Afn::RouteControl,
                    3,
                    None,
                    DataUnit::Empty,
                    now,
                );
            }
            return;
        };
        match job {
            Job::Read {
                meter,
                protocol,
                frame,
                concurrent,
                ..
            } => {
                if self.routing_running && !self.paused_for_reads {
                    // Pause the router so its own round does not collide (EAST step 1).
                    self.request(
                        Purpose::PauseForReads,
                        Afn::RouteControl,
                        2,
                        None,
                        DataUnit::Empty,
                        now,
                    );
                    return;
                }
                if concurrent {
                    let unit = DataUnit::Concurrent(ConcurrentRead {
                        protocol,
                        reserved: 0,
                        frame: &frame,
                    });
                    self.request(Purpose::Read, Afn::Concurrent, 1, Some(meter), unit, now);
                    return;
                }
                let unit = DataUnit::MonitorRequest(MonitorRequest {
                    protocol,
                    delay_sensitive: false,
                    attached: Entries::empty(self.config.edition),
                    frame: &frame,
                });
                self.request(Purpose::Read, Afn::RouteForward, 1, Some(meter), unit, now);
            }
            Job::BroadcastDelay { protocol, frame } => {
                let unit = DataUnit::BroadcastDelayQuery(Some(ProtocolFrame {
                    protocol,
                    frame: &frame,
                }));
                self.request(
                    Purpose::Job(Op::BroadcastDelay),
                    Afn::Query,
                    9,
                    None,
                    unit,
                    now,
                );
            }
            Job::Broadcast { protocol, frame } => {
                let unit = DataUnit::Broadcast(ProtocolFrame {
                    protocol,
                    frame: &frame,
                });
                self.request(
                    Purpose::Job(Op::Broadcast { wait_s: 0 }),
                    Afn::Control,
                    3,
                    None,
                    unit,
                    now,
                );
            }
            Job::StartRegistration(w) => {
                self.request(
                    Purpose::Job(Op::StartRegistration),
                    Afn::RouteSet,
                    5,
                    None,
                    DataUnit::Registration(w),
                    now,
                );
            }
            Job::StopRegistration => {
                self.request(
                    Purpose::Job(Op::StopRegistration),
                    Afn::RouteSet,
                    6,
                    None,
                    DataUnit::Empty,
                    now,
                );
            }
            Job::Routing(op) => {
                let f = match op {
                    Op::RestartRouting => 1,
                    Op::PauseRouting => 2,
                    _ => 3,
                };
                self.request(
                    Purpose::Job(op),
                    Afn::RouteControl,
                    f,
                    None,
                    DataUnit::Empty,
                    now,
                );
            }
        }
    }

    fn step_of(purpose: Purpose) -> Option<Step> {
        Some(match purpose {
            Purpose::HardwareInit | Purpose::RunMode => Step::RunMode,
            Purpose::ReadMaster | Purpose::SetMaster => Step::MasterAddress,
            Purpose::NodeCount | Purpose::NodePage { .. } => Step::ReadArchive,
            Purpose::ParamInit | Purpose::Delete { .. } | Purpose::Add { .. } => Step::WriteArchive,
            _ => return None,
        })
    }

    fn fail(&mut self, purpose: Purpose, failure: Failure, now: Instant) {
        if let Some(step) = Self::step_of(purpose) {
            self.event(Event::InitFailed { step, failure });
            self.phase = Phase::Backoff {
                until: now + self.config.local_timeout,
            };
            return;
        }
        match purpose {
            Purpose::StartRouting { op } => {
                // A module that cannot route (concentrator-led only) may deny this: still
                // in service.
                self.event(Event::Failed { op, failure });
                self.become_ready();
            }
            Purpose::PauseForReads => {
                // Read anyway; the module answers reads even while routing.
                self.paused_for_reads = true;
                self.event(Event::Failed {
                    op: Op::PauseRouting,
                    failure,
                });
            }
            Purpose::ResumeAfterReads => {
                self.paused_for_reads = false;
                self.event(Event::Failed {
                    op: Op::ResumeRouting,
                    failure,
                });
            }
            Purpose::Read => {
                if let Some(Job::Read { id, meter, .. }) = self.jobs.pop_front() {
                    self.event(Event::ReadFailed { id, meter, failure });
                }
            }
            Purpose::Job(op) => {
                self.jobs.pop_front();
                self.event(Event::Failed { op, failure });
            }
            Purpose::Probe if failure == Failure::Timeout => {
                self.event(Event::ModuleLost);
                self.restart_init();
            }
            _ => {}
        }
    }

    fn restart_init(&mut self) {
        self.pending = None;
        self.routing_running = false;
        self.paused_for_reads = false;
        self.asked = None;
        self.phase = Phase::RunMode;
    }

    fn become_ready(&mut self) {
        self.phase = Phase::Ready;
        if let Some(m) = self.module {
            self.event(Event::Ready(m));
        }
    }

    fn on_reply(&mut self, p: Pending, repr: &FrameRepr<'_>, now: Instant) {
        let purpose = p.purpose;
        if let DataUnit::Deny(reason) = repr.unit {
            self.fail(purpose, Failure::Denied(reason), now);
            return;
        }
        let confirmed = matches!(repr.unit, DataUnit::Confirm(_));
        match (purpose, &repr.unit) {
            (Purpose::HardwareInit, _) if confirmed => {
                self.phase = Phase::AwaitReport {
                    until: now + self.config.power_up_wait,
                };
            }
            (Purpose::RunMode, DataUnit::RunMode(m)) => {
                self.learn_run_mode(m);
                self.phase = Phase::Master;
            }
            (Purpose::ReadMaster, DataUnit::MasterAddress(a)) => {
                self.phase = if *a == self.config.master_address {
                    Phase::Count
                } else {
                    Phase::SetMaster
                };
            }
            (Purpose::SetMaster, _) if confirmed => self.phase = Phase::Count,
            (Purpose::NodeCount, DataUnit::NodeCount(c)) => {
                self.module_total = c.count;
                if self.archive.len() > usize::from(c.max) {
                    self.event(Event::ArchiveTooLarge { max: c.max });
                }
                self.phase = if c.count == 0 {
                    Phase::Delete
                } else {
                    Phase::Page {
                        next: self.config.first_index,
                    }
                };
            }
            (Purpose::NodePage { .. }, DataUnit::NodePage(page)) => {
                let got = u16::try_from(page.nodes.len()).unwrap_or(u16::MAX);
                for node in page.nodes.iter() {
                    match self.archive.iter().position(|(a, _)| *a == node.address) {
                        Some(i) => {
                            if let Some(p) = self.present.get_mut(i) {
                                *p = true;
                            }
                        }
                        None => {
                            if self.extras.push(node.address).is_err() {
                                self.extras_overflow = true;
                            }
                        }
                    }
                }
                self.paged = self.paged.saturating_add(got);
                self.module_total = self.module_total.max(page.total.min(self.module_total));
                self.phase = if got == 0 || self.paged >= self.module_total {
                    Phase::Delete
                } else {
                    Phase::Page {
                        next: self.config.first_index.saturating_add(self.paged),
                    }
                };
            }
            (Purpose::ParamInit, _) if confirmed => {
                self.extras.clear();
                self.extras_overflow = false;
                for p in self.present.iter_mut() {
                    *p = false;
                }
                self.deleted = self.module_total;
                self.phase = Phase::Add;
            }
            (Purpose::Delete { n }, _) if confirmed => {
                let n = usize::from(n).min(self.extras.len());
                let rest: Vec<Address, N> = self.extras.iter().skip(n).copied().collect();
                self.extras = rest;
                self.deleted = self.deleted.saturating_add(n as u16);
            }
            (Purpose::Add { n }, _) if confirmed => {
                let mut left = n;
                for p in self.present.iter_mut().filter(|p| !**p) {
                    if left == 0 {
                        break;
                    }
                    *p = true;
                    left -= 1;
                }
                self.added = self.added.saturating_add(u16::from(n));
            }
            (Purpose::StartRouting { .. }, _) if confirmed => {
                self.routing_running = true;
                self.become_ready();
            }
            (Purpose::PauseForReads, _) if confirmed => self.paused_for_reads = true,
            (Purpose::ResumeAfterReads, _) if confirmed => self.paused_for_reads = false,
            (Purpose::Read, DataUnit::MonitorReply(_) | DataUnit::Concurrent(_)) => {
                let (protocol, reply) = match &repr.unit {
                    DataUnit::MonitorReply(r) => (r.protocol, r.frame),
                    DataUnit::Concurrent(c) => (c.protocol, c.frame),
                    _ => (Protocol::Transparent, &[][..]),
                };
                if let Some(Job::Read { id, meter, .. }) = self.jobs.pop_front() {
                    if reply.is_empty() {
                        self.event(Event::ReadFailed {
                            id,
                            meter,
                            failure: Failure::NoMeterAnswer,
                        });
                    } else {
                        self.event(Event::ReadDone {
                            id,
                            meter,
                            protocol,
                            frame: FrameBuf::from_slice(reply).unwrap_or_default(),
                        });
                    }
                }
            }
            (Purpose::Job(Op::BroadcastDelay), DataUnit::BroadcastDelay(d)) => {
                self.jobs.pop_front();
                self.event(Event::BroadcastDelay { delay_s: d.delay_s });
                self.event(Event::Done(Op::BroadcastDelay));
            }
            (Purpose::Job(Op::Broadcast { .. }), DataUnit::Confirm(c)) => {
                self.jobs.pop_front();
                self.event(Event::Done(Op::Broadcast { wait_s: c.wait_s }));
            }
            (Purpose::Job(op), _) if confirmed => {
                self.jobs.pop_front();
                match op {
                    Op::RestartRouting | Op::ResumeRouting => self.routing_running = true,
                    Op::PauseRouting => self.routing_running = false,
                    _ => {}
                }
                self.event(Event::Done(op));
            }
            (Purpose::Probe, _) => {}
            _ => self.fail(purpose, Failure::Unexpected, now),
        }
    }

    fn learn_run_mode(&mut self, m: &crate::unit::query::RunMode) {
        // NUC falls back to 60 s when the module reports 0 or 120 s and more.
        let monitor = match m.monitor_timeout_s {
            0 | 120..=255 => self.config.monitor_fallback,
            s => Duration::secs(u64::from(s)),
        };
        let broadcast = match m.broadcast_timeout_s {
            0 => self.config.broadcast_fallback,
            s => Duration::secs(u64::from(s)),
        };
        self.module = Some(ModuleInfo {
            medium: m.medium,
            concentrator_led: m.concentrator_led,
            router_led: m.router_led,
            monitor_timeout: monitor,
            broadcast_timeout: broadcast,
            max_frame_len: m.max_frame_len,
            max_nodes: m.max_nodes,
        });
    }

    fn on_report(&mut self, repr: &FrameRepr<'_>, now: Instant) {
        let seq = repr.info.seq();
        let node = repr.node();
        match &repr.unit {
            DataUnit::RunMode(m) => {
                // The power-up report (NUC confirms it with AFN 00 F1).
                self.confirm(seq);
                self.learn_run_mode(m);
                match self.phase {
                    Phase::AwaitReport { .. }
                    | Phase::Reset
                    | Phase::RunMode
                    | Phase::Backoff { .. } => {
                        if matches!(
                            self.pending.as_ref().map(|p| p.purpose),
                            Some(Purpose::RunMode | Purpose::HardwareInit)
                        ) {
                            self.pending = None;
                        }
                        if self.pending.is_none() {
                            self.phase = Phase::Master;
                        }
                    }
                    _ => {
                        self.event(Event::ModuleRestarted);
                        self.restart_init();
                        self.phase = Phase::Master;
                    }
                }
            }
            DataUnit::ReadRequest(q) => {
                self.asked = Some((seq, Asked::Read { meter: q.address }));
                self.event(Event::RouterAsks {
                    meter: q.address,
                    index: q.index,
                    phase: q.phase,
                });
            }
            DataUnit::Empty if repr.afn == Afn::RouteRead && repr.fn_number() == Some(2) => {
                self.asked = Some((seq, Asked::Clock));
                self.event(Event::ClockRequested);
            }
            DataUnit::DelayRequest(d) => {
                self.asked = Some((seq, Asked::Delay { meter: d.address }));
                self.event(Event::DelayCorrection {
                    meter: d.address,
                    delay_s: d.delay_s,
                    frame: FrameBuf::from_slice(d.frame).unwrap_or_default(),
                });
            }
            DataUnit::MeterData(m) => {
                self.confirm(seq);
                self.event(Event::MeterData {
                    meter: node,
                    index: m.index,
                    protocol: m.protocol,
                    frame: FrameBuf::from_slice(m.frame).unwrap_or_default(),
                });
            }
            DataUnit::RouteStatus(s) => {
                self.confirm(seq);
                self.event(Event::RouteStatus(*s));
            }
            DataUnit::Registered(r) => {
                self.confirm(seq);
                for n in r.iter() {
                    self.event(Event::NodeRegistered {
                        address: n.address,
                        protocol: n.protocol,
                        device_type: n.device_type,
                    });
                }
            }
            DataUnit::NodeReports(list) => {
                self.confirm(seq);
                for n in list.iter() {
                    self.event(Event::NodeRegistered {
                        address: n.address,
                        protocol: n.protocol,
                        device_type: 0,
                    });
                }
            }
            DataUnit::SlaveEvent(e) => {
                self.confirm(seq);
                self.event(Event::SlaveEvent {
                    meter: node,
                    protocol: e.protocol,
                    frame: FrameBuf::from_slice(e.frame).unwrap_or_default(),
                });
            }
            _ => {}
        }
        let _ = now;
    }
}
