//! The sans-IO M-Bus master: requests with retries and FCB bookkeeping, multi-telegram
//! readout, primary and secondary scans. It owns no port and no clock.
//!
//! Inputs: [`Master::start`] / [`Master::send`] (commands), [`Master::handle_received`] (bytes
//! from the line with the time they arrived), [`Master::handle_timeout`] (the time reached
//! [`Master::poll_timeout`]). After every input, drain the outputs in this order:
//! [`Master::poll_transmit`] (bytes to put on the line now), [`Master::poll_event`] (until
//! `None`), then [`Master::poll_timeout`] (when to call `handle_timeout` next).

use heapless::Deque;
use thiserror::Error;

use crate::frame::MAX_FRAME_LEN;
use crate::search::{Probe, WildcardSearch};
use crate::{
    Address, Control, Deframer, EmitError, FcbTable, Frame, FrameFormat, Instant, LineTiming,
    Request, SecondaryAddress, SecondaryMask, more_records_follow,
};

/// Settings of a [`Master`].
#[derive(Debug, Clone, Copy)]
pub struct MasterConfig {
    /// Line speed and the margin for converters or gateways.
    pub timing: LineTiming,
    /// Extra attempts of a data request after silence, noise or a garbled reply (libmbus: 3
    /// attempts in all).
    pub retries: u8,
    /// Extra attempts of a scan probe after silence or a lone noise byte (libmbus: 1).
    pub search_retries: u8,
    /// Most telegrams read in one multi-telegram readout (wmbusmeters stops after 10).
    pub max_telegrams: u8,
    /// Most probes of one secondary scan (a device garbling every answer would otherwise
    /// turn every probe into a collision).
    pub max_probes: u32,
    /// Drop the echo of our own request (level converters without echo suppression).
    pub echo: bool,
    /// Whether a telegram asks to be polled again (DIF 0x1F, "more records follow").
    pub more_follow: fn(&Frame<'_>) -> bool,
}

impl Default for MasterConfig {
    fn default() -> Self {
        MasterConfig {
            timing: LineTiming::default(),
            retries: 2,
            search_retries: 1,
            max_telegrams: 10,
            max_probes: 5000,
            echo: false,
            more_follow: more_records_follow,
        }
    }
}

/// A job for the master.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Read a slave by primary address: SND_NKE first if `reset`, then REQ_UD2 with the
    /// right FCB until a telegram no longer says "more records follow" (or the cap).
    ReadOut {
        /// The slave.
        address: Address,
        /// Send SND_NKE first so the readout starts at the first telegram with FCB = 1.
        reset: bool,
    },
    /// Read a slave by secondary address: SND_NKE to 253 (deselect all), select `mask`,
    /// then the readout at 253.
    ReadSecondary {
        /// The selection pattern (usually exact).
        mask: SecondaryMask,
    },
    /// Ping primary addresses `first..=last` with SND_NKE and report who answers.
    ScanPrimary {
        /// First address probed.
        first: u8,
        /// Last address probed.
        last: u8,
    },
    /// Find the secondary addresses under `start` by wildcard narrowing.
    ScanSecondary {
        /// The mask the search starts from ([`SecondaryMask::ALL`] for the whole bus).
        start: SecondaryMask,
    },
}

/// Something a scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A slave acknowledged at this primary address.
    Primary(Address),
    /// The answer at this primary address was garbled: two or more slaves share it.
    PrimaryCollision(Address),
    /// A slave with this secondary address (read from its telegram's long header; the
    /// selecting mask if the telegram has none).
    Secondary(SecondaryAddress),
    /// Two or more slaves answer to this mask and no narrower mask tells them apart (the same
    /// secondary address, or addresses that differ only where one has the nibble F).
    DuplicateSecondary(SecondaryMask),
}

/// How a command ended well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// The slave acknowledged (E5).
    Acknowledged,
    /// A request that gets no answer (address 255) was sent and the line left quiet.
    Sent,
    /// The slave answered with a frame, available from [`Master::telegram`].
    Reply,
    /// A readout ended.
    Telegrams {
        /// Telegrams read.
        count: u8,
        /// Whether the last one still said "more records follow" (the cap was reached).
        capped: bool,
    },
    /// A scan ended.
    Scanned {
        /// Slaves found.
        found: u32,
        /// Probes sent (not counting retries).
        probes: u32,
        /// Whether a secondary scan stopped at [`MasterConfig::max_probes`] with masks left.
        capped: bool,
    },
}

/// How a command failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MasterError {
    /// A command is already running.
    #[error("the master is busy")]
    Busy,
    /// No answer after every attempt.
    #[error("no reply from address {0}", .address.byte())]
    NoReply {
        /// The address asked.
        address: Address,
    },
    /// Only garbled bytes (or a collision) after every attempt.
    #[error("garbled reply from address {0}", .address.byte())]
    Garbled {
        /// The address asked.
        address: Address,
    },
    /// The slave answered NACK (A2).
    #[error("NACK from address {0}", .address.byte())]
    Nack {
        /// The address asked.
        address: Address,
    },
    /// A valid frame, but not the kind of answer the request calls for.
    #[error("unexpected reply from address {0}", .address.byte())]
    Unexpected {
        /// The address asked.
        address: Address,
    },
    /// The request could not be written.
    #[error("cannot emit the request: {0}")]
    Emit(EmitError),
}

/// Something the caller should know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A telegram of a readout arrived; its bytes are [`Master::telegram`] until the next
    /// input.
    Telegram {
        /// The address asked.
        address: Address,
        /// 0 for the first telegram of this readout.
        index: u8,
        /// Whether it says more records follow.
        more: bool,
    },
    /// A scan found something.
    Found(Found),
    /// The command ended.
    Done(Result<Completion, MasterError>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Nothing (broadcast 255, or a deselection where an answer does not matter).
    Nothing,
    /// E5.
    Ack,
    /// RSP_UD.
    Data,
}

/// What one exchange (after its retries) got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reply {
    Ack,
    Nack,
    /// A frame, kept in `Master::rx`.
    Frame,
    Silence,
    /// A single byte that is no frame.
    Noise,
    /// Several bytes that are no frame, or (where collisions are possible) more than one
    /// answer.
    Garbled,
    /// `Expect::Nothing` and the line is quiet again.
    Quiet,
}

#[derive(Debug, Clone, Copy)]
struct Exchange {
    address: Address,
    expect: Expect,
    collide: bool,
    fcb: Option<bool>,
    resets_fcb: Option<Address>,
    attempts_left: u8,
    /// When the answer window (or, once bytes came, the inter-byte gap) closes; `None`
    /// until the request is handed to the caller.
    deadline: Option<Instant>,
    frames: u8,
    first: Option<Reply>,
    garbage: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadPhase {
    Deselect,
    Select,
    Reset,
    Request,
}

// The search's stack (17 levels) makes one variant large; the master holds exactly one `Op`
// and allocates nothing, so boxing it is not an option.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum Op {
    Idle,
    Single,
    ReadOut {
        address: Address,
        mask: Option<SecondaryMask>,
        phase: ReadPhase,
        index: u8,
    },
    ScanPrimary {
        current: u8,
        last: u8,
        found: u32,
        probes: u32,
    },
    ScanSecondary {
        search: WildcardSearch,
        mask: SecondaryMask,
        phase: ReadPhase,
    },
}

/// The M-Bus master state machine (see the module documentation for the call order).
#[derive(Debug)]
pub struct Master {
    cfg: MasterConfig,
    fcb: FcbTable,
    deframer: Deframer,
    tx: [u8; MAX_FRAME_LEN],
    tx_len: usize,
    rx: [u8; MAX_FRAME_LEN],
    rx_len: usize,
    ex: Option<Exchange>,
    op: Op,
    events: Deque<Event, 8>,
    ready_at: Option<Instant>,
}

impl Master {
    /// An idle master.
    pub fn new(cfg: MasterConfig) -> Self {
        Master {
            cfg,
            fcb: FcbTable::new(),
            deframer: Deframer::new(),
            tx: [0; MAX_FRAME_LEN],
            tx_len: 0,
            rx: [0; MAX_FRAME_LEN],
            rx_len: 0,
            ex: None,
            op: Op::Idle,
            events: Deque::new(),
            ready_at: None,
        }
    }

    /// The settings.
    pub fn config(&self) -> &MasterConfig {
        &self.cfg
    }

    /// Change the settings between commands (after a baud-rate switch, say).
    pub fn set_config(&mut self, cfg: MasterConfig) {
        self.cfg = cfg;
    }

    /// The FCB state per address.
    pub fn fcb(&self) -> &FcbTable {
        &self.fcb
    }

    /// Whether a command is running.
    pub fn is_busy(&self) -> bool {
        !matches!(self.op, Op::Idle)
    }

    /// The last frame a slave sent in answer to a data request (valid until the next input).
    pub fn telegram(&self) -> Option<Frame<'_>> {
        let bytes = self.rx.get(..self.rx_len)?;
        Frame::new_checked(bytes).ok()
    }

    /// Start a command.
    pub fn start(&mut self, command: Command) -> Result<(), MasterError> {
        if self.is_busy() {
            return Err(MasterError::Busy);
        }
        match command {
            Command::ReadOut { address, reset } => {
                let phase = if reset {
                    ReadPhase::Reset
                } else {
                    ReadPhase::Request
                };
                self.op = Op::ReadOut {
                    address,
                    mask: None,
                    phase,
                    index: 0,
                };
            }
            Command::ReadSecondary { mask } => {
                self.op = Op::ReadOut {
                    address: Address::NETWORK,
                    mask: Some(mask),
                    phase: ReadPhase::Deselect,
                    index: 0,
                };
            }
            Command::ScanPrimary { first, last } => {
                self.op = Op::ScanPrimary {
                    current: first,
                    last,
                    found: 0,
                    probes: 0,
                };
            }
            Command::ScanSecondary { start } => {
                self.op = Op::ScanSecondary {
                    search: WildcardSearch::with_limit(start, self.cfg.max_probes),
                    mask: start,
                    phase: ReadPhase::Deselect,
                };
            }
        }
        self.next_step();
        Ok(())
    }

    /// Send one request as given (its FCB included) and report the answer with
    /// [`Event::Done`]. The FCB table learns from it: use [`FcbTable::next`] through
    /// [`Master::fcb`] to build requests that follow the protocol.
    pub fn send(&mut self, request: &Request<'_>) -> Result<(), MasterError> {
        if self.is_busy() {
            return Err(MasterError::Busy);
        }
        let address = request.address();
        let expect = if address.expects_no_reply() {
            Expect::Nothing
        } else if request.expects_data() {
            Expect::Data
        } else {
            Expect::Ack
        };
        let collide = address.may_collide()
            || matches!(request, Request::Select { mask, .. } if mask.is_wildcard());
        self.begin(request, expect, collide, self.cfg.retries)?;
        self.op = Op::Single;
        Ok(())
    }

    /// Bytes to send now, if any; returns their length in `buf`. Sending is the caller's
    /// job; the reply timeout runs from `now`. A `buf` of
    /// [`MAX_FRAME_LEN`](crate::MAX_FRAME_LEN) bytes always suffices; a shorter one that
    /// cannot take the request ends the command with [`MasterError::Emit`].
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        if self.ready_at.is_some_and(|t| now < t) {
            return None;
        }
        let ex = self.ex.as_mut()?;
        if ex.deadline.is_some() {
            return None;
        }
        let bytes = self.tx.get(..self.tx_len)?;
        let Some(out) = buf.get_mut(..bytes.len()) else {
            // The command cannot go on without sending: end it rather than stall.
            let err = EmitError::BufferTooSmall {
                needed: bytes.len(),
                available: buf.len(),
            };
            self.finish(Err(MasterError::Emit(err)));
            return None;
        };
        out.copy_from_slice(bytes);
        ex.frames = 0;
        ex.first = None;
        ex.garbage = 0;
        let t = self.cfg.timing;
        ex.deadline = Some(now + t.transmit_time(bytes.len()) + t.reply_timeout());
        self.ready_at = None;
        self.deframer.clear();
        if self.cfg.echo {
            self.deframer.expect_echo(bytes);
        }
        Some(bytes.len())
    }

    /// When to call [`handle_timeout`](Master::handle_timeout) next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.ex {
            Some(Exchange {
                deadline: Some(d), ..
            }) => Some(*d),
            Some(_) => self.ready_at,
            None => None,
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Bytes arrived from the line at `now`.
    pub fn handle_received(&mut self, mut bytes: &[u8], now: Instant) {
        let gap = self.cfg.timing.gap_timeout();
        let Some(ex) = self.ex.as_mut() else {
            return;
        };
        if ex.deadline.is_none() {
            return;
        }
        let mut complete = false;
        while !bytes.is_empty() {
            let n = self.deframer.push(bytes);
            bytes = bytes.get(n..).unwrap_or(&[]);
            while let Some(frame) = self.deframer.next_frame() {
                ex.frames = ex.frames.saturating_add(1);
                if ex.first.is_none() {
                    let reply = match frame.format() {
                        FrameFormat::Ack => Reply::Ack,
                        FrameFormat::Nack => Reply::Nack,
                        _ => {
                            let src = frame.as_bytes();
                            if let Some(dst) = self.rx.get_mut(..src.len()) {
                                dst.copy_from_slice(src);
                                self.rx_len = src.len();
                            }
                            Reply::Frame
                        }
                    };
                    ex.first = Some(reply);
                }
                if !ex.collide && ex.expect != Expect::Nothing {
                    complete = true;
                }
            }
            ex.garbage += self.deframer.take_noise();
        }
        // Bytes held as a possible echo of our request are not the answer yet: the reply
        // window still runs from the end of the request.
        let held = self.deframer.pending() > 0 && !self.deframer.echo_pending();
        let heard = ex.frames > 0 || ex.garbage > 0 || held;
        if heard {
            // Once the answer has begun, only an inter-byte gap ends it (EN 13757-2 allows no
            // pause inside a frame); a converter that cuts a frame short is noticed one gap
            // after its last byte.
            ex.deadline = Some(now + gap);
        }
        if complete {
            self.conclude(now);
        }
    }

    /// The time reached a [`poll_timeout`](Master::poll_timeout) instant.
    pub fn handle_timeout(&mut self, now: Instant) {
        match &self.ex {
            Some(Exchange {
                deadline: Some(d), ..
            }) if now >= *d => self.conclude(now),
            _ => {}
        }
    }

    fn push_event(&mut self, event: Event) {
        // Capacity 8 covers every input's events (at most three) when the caller drains
        // them after each input, as documented; an undrained queue loses its oldest event.
        if self.events.is_full() {
            self.events.pop_front();
        }
        let _ = self.events.push_back(event);
    }

    /// Emit `request` into the transmit buffer and arm an exchange.
    fn begin(
        &mut self,
        request: &Request<'_>,
        expect: Expect,
        collide: bool,
        retries: u8,
    ) -> Result<(), MasterError> {
        let n = request.emit(&mut self.tx).map_err(MasterError::Emit)?;
        self.tx_len = n;
        let resets_fcb = match request {
            Request::SndNke { address } => Some(*address),
            Request::Select { .. } => Some(Address::NETWORK),
            _ => None,
        };
        self.ex = Some(Exchange {
            address: request.address(),
            expect,
            collide,
            fcb: request.fcb(),
            resets_fcb,
            attempts_left: retries,
            deadline: None,
            frames: 0,
            first: None,
            garbage: 0,
        });
        Ok(())
    }

    /// The answer window closed (or a complete answer came): classify, retry or deliver.
    fn conclude(&mut self, now: Instant) {
        let Some(mut ex) = self.ex.take() else {
            return;
        };
        let pending = self.deframer.pending();
        ex.garbage += self.deframer.take_noise();
        let stray = ex.garbage + pending;
        let reply = match (ex.expect, ex.first) {
            (Expect::Nothing, _) => Reply::Quiet,
            (_, None) if stray == 0 => Reply::Silence,
            (_, None) if stray == 1 => Reply::Noise,
            (_, None) => Reply::Garbled,
            (_, Some(_)) if ex.collide && (ex.frames > 1 || stray > 0) => Reply::Garbled,
            (_, Some(first)) => first,
        };
        self.deframer.clear();
        self.ready_at = Some(now + self.cfg.timing.turnaround());
        let retry = match reply {
            Reply::Silence | Reply::Noise => true,
            Reply::Garbled => !ex.collide,
            _ => false,
        };
        if retry && ex.attempts_left > 0 {
            ex.attempts_left -= 1;
            ex.deadline = None;
            self.ex = Some(ex);
            return;
        }
        let success = matches!(reply, Reply::Ack | Reply::Frame);
        if success {
            if let Some(fcb) = ex.fcb {
                self.fcb.succeeded(ex.address, fcb);
            }
            if let Some(a) = ex.resets_fcb {
                self.fcb.reset(a);
            }
        }
        self.on_reply(ex, reply);
    }

    fn fail_for(address: Address, reply: Reply) -> MasterError {
        match reply {
            Reply::Silence => MasterError::NoReply { address },
            Reply::Noise | Reply::Garbled => MasterError::Garbled { address },
            Reply::Nack => MasterError::Nack { address },
            _ => MasterError::Unexpected { address },
        }
    }

    fn finish(&mut self, result: Result<Completion, MasterError>) {
        self.op = Op::Idle;
        self.ex = None;
        self.push_event(Event::Done(result));
    }

    /// Whether the frame in `rx` is an RSP_UD.
    fn rx_is_rsp_ud(&self) -> bool {
        self.telegram()
            .and_then(|f| f.control())
            .is_some_and(|c| matches!(c, Control::RspUd { .. }))
    }

    /// An exchange ended with `reply`: advance the running command.
    fn on_reply(&mut self, ex: Exchange, reply: Reply) {
        let address = ex.address;
        match core::mem::replace(&mut self.op, Op::Idle) {
            Op::Idle => {}
            Op::Single => {
                let result = match (ex.expect, reply) {
                    (_, Reply::Quiet) => Ok(Completion::Sent),
                    (Expect::Ack, Reply::Ack) => Ok(Completion::Acknowledged),
                    (Expect::Data, Reply::Frame) => Ok(Completion::Reply),
                    (_, r) => Err(Self::fail_for(address, r)),
                };
                self.finish(result);
            }
            Op::ReadOut {
                address,
                mask,
                phase,
                index,
            } => {
                let next = match (phase, reply) {
                    (ReadPhase::Deselect, _) => Ok((ReadPhase::Select, index)),
                    (ReadPhase::Select | ReadPhase::Reset, Reply::Ack) => {
                        Ok((ReadPhase::Request, index))
                    }
                    (ReadPhase::Request, Reply::Frame) if self.rx_is_rsp_ud() => {
                        let more = self.telegram().is_some_and(|f| (self.cfg.more_follow)(&f));
                        self.push_event(Event::Telegram {
                            address,
                            index,
                            more,
                        });
                        let count = index.saturating_add(1);
                        if more && count < self.cfg.max_telegrams {
                            Ok((ReadPhase::Request, count))
                        } else {
                            self.finish(Ok(Completion::Telegrams {
                                count,
                                capped: more,
                            }));
                            return;
                        }
                    }
                    (_, r) => Err(Self::fail_for(ex.address, r)),
                };
                match next {
                    Ok((phase, index)) => {
                        self.op = Op::ReadOut {
                            address,
                            mask,
                            phase,
                            index,
                        };
                        self.next_step();
                    }
                    Err(e) => self.finish(Err(e)),
                }
            }
            Op::ScanPrimary {
                current,
                last,
                mut found,
                probes,
            } => {
                let hit = match reply {
                    Reply::Silence | Reply::Quiet => None,
                    // A lone byte survived the retries; a NACK or a frame is still someone.
                    Reply::Noise | Reply::Garbled => Some(Found::PrimaryCollision(address)),
                    Reply::Ack | Reply::Nack | Reply::Frame => Some(Found::Primary(address)),
                };
                if let Some(hit) = hit {
                    found += 1;
                    self.push_event(Event::Found(hit));
                }
                if current >= last {
                    self.finish(Ok(Completion::Scanned {
                        found,
                        probes,
                        capped: false,
                    }));
                } else {
                    self.op = Op::ScanPrimary {
                        current: current + 1,
                        last,
                        found,
                        probes,
                    };
                    self.next_step();
                }
            }
            Op::ScanSecondary {
                mut search,
                mask,
                phase,
            } => {
                let probe = match (phase, reply) {
                    (ReadPhase::Deselect, _) => None,
                    (ReadPhase::Select, Reply::Ack) => {
                        self.op = Op::ScanSecondary {
                            search,
                            mask,
                            phase: ReadPhase::Request,
                        };
                        self.next_step();
                        return;
                    }
                    (ReadPhase::Select | ReadPhase::Request, Reply::Silence | Reply::Nack) => {
                        Some(Probe::Nothing)
                    }
                    (ReadPhase::Request, Reply::Frame) if self.rx_is_rsp_ud() => {
                        let from_header = self.telegram().and_then(|f| {
                            SecondaryAddress::from_long_header(f.ci()?, f.user_data())
                        });
                        let found = from_header
                            .unwrap_or_else(|| SecondaryAddress::from_u64(mask.as_u64()));
                        Some(Probe::Single(found))
                    }
                    (_, _) => Some(Probe::Collision),
                };
                if let Some(probe) = probe {
                    let duplicates = search.duplicates();
                    if let Some(a) = search.report(mask, probe) {
                        self.push_event(Event::Found(Found::Secondary(a)));
                    }
                    if search.duplicates() > duplicates {
                        self.push_event(Event::Found(Found::DuplicateSecondary(mask)));
                    }
                }
                self.op = Op::ScanSecondary {
                    search,
                    mask,
                    phase: ReadPhase::Select,
                };
                self.next_step();
            }
        }
    }

    /// Arm the exchange the running command needs next.
    fn next_step(&mut self) {
        let retries = self.cfg.retries;
        let search_retries = self.cfg.search_retries;
        let step = match &mut self.op {
            Op::Idle | Op::Single => return,
            Op::ReadOut {
                address,
                mask,
                phase,
                ..
            } => {
                let address = *address;
                match (*phase, *mask) {
                    (ReadPhase::Deselect, _) => (
                        Request::SndNke {
                            address: Address::NETWORK,
                        },
                        Expect::Nothing,
                        false,
                        0,
                    ),
                    (ReadPhase::Select, Some(mask)) => (
                        Request::Select {
                            fcb: self.fcb.next(Address::NETWORK),
                            mask,
                        },
                        Expect::Ack,
                        mask.is_wildcard(),
                        retries,
                    ),
                    (ReadPhase::Reset, _) | (ReadPhase::Select, None) => {
                        (Request::SndNke { address }, Expect::Ack, false, retries)
                    }
                    (ReadPhase::Request, _) => (
                        Request::ReqUd2 {
                            address,
                            fcb: self.fcb.next(address),
                        },
                        Expect::Data,
                        address.may_collide(),
                        retries,
                    ),
                }
            }
            Op::ScanPrimary {
                current, probes, ..
            } => {
                *probes += 1;
                (
                    Request::SndNke {
                        address: Address::from_byte(*current),
                    },
                    Expect::Ack,
                    true,
                    search_retries,
                )
            }
            Op::ScanSecondary {
                search,
                mask,
                phase,
            } => match *phase {
                ReadPhase::Deselect => (
                    Request::SndNke {
                        address: Address::NETWORK,
                    },
                    Expect::Nothing,
                    false,
                    0,
                ),
                ReadPhase::Request => (
                    Request::ReqUd2 {
                        address: Address::NETWORK,
                        fcb: self.fcb.next(Address::NETWORK),
                    },
                    Expect::Data,
                    mask.is_wildcard(),
                    search_retries,
                ),
                ReadPhase::Select | ReadPhase::Reset => match search.next_probe() {
                    Some(next) => {
                        *mask = next;
                        (
                            Request::Select {
                                fcb: self.fcb.next(Address::NETWORK),
                                mask: next,
                            },
                            Expect::Ack,
                            next.is_wildcard(),
                            search_retries,
                        )
                    }
                    None => {
                        let done = Completion::Scanned {
                            found: search.found(),
                            probes: search.probes(),
                            capped: search.capped(),
                        };
                        self.finish(Ok(done));
                        return;
                    }
                },
            },
        };
        let (request, expect, collide, attempts) = step;
        if let Err(e) = self.begin(&request, expect, collide, attempts) {
            self.finish(Err(e));
        }
    }
}
