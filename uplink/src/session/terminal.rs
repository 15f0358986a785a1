//! The terminal session's state machine.

use super::auth::{Authorize, Denial};
use super::backoff::Backoff;
use super::config::Config;
use super::event::{Event, Events};
use super::outbox::Outbox;
use super::reply::{Answer, Handler, Reply};
use crate::unit::Data;
use crate::value::DateTime;
use crate::{Address, Afn, Control, Direction, Ec, Error, FrameRepr, LinkTest, Seq};

/// A point in time, milliseconds (as everywhere in the workspace).
pub type Instant = fugit::TimerInstantU64<1000>;
/// A span of time, milliseconds.
pub type Duration = fugit::TimerDurationU64<1000>;

/// Where the link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkState {
    /// Not connected; waiting for the back-off to end.
    Offline,
    /// [`Event::Connect`] was given; waiting for `connected` or `disconnected`.
    Connecting,
    /// Connected, login sent, no confirm yet.
    LoggingIn,
    /// Logged in; heartbeats flowing.
    Online,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Offline {
        connect_at: Instant,
    },
    Connecting,
    LoggingIn {
        pseq: u8,
        sent_at: Instant,
        attempts: u8,
    },
    Online {
        next_heartbeat: Instant,
        outstanding: Option<(u8, Instant)>,
        missed: u8,
    },
}

/// What identifies a request frame: its SEQ byte, length and a 64-bit FNV-1a hash of all its
/// bytes. A repeat of the same frame matches; a new request differs at least in PSEQ or
/// content (a collision of the hash with the same SEQ and length is the only way to mistake
/// one, about 2^-64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    seq: u8,
    len: usize,
    hash: u64,
}

impl Fingerprint {
    fn of(seq: Seq, bytes: &[u8]) -> Self {
        let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        Self {
            seq: seq.to_byte().unwrap_or(0),
            len: bytes.len(),
            hash,
        }
    }
}

/// Largest active report frame (ERC records are at most a few tens of bytes each).
const REPORT: usize = 512;

/// Why an active report was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// Not logged in: reports go only over a logged-in link.
    #[error("not logged in")]
    Offline,
    /// The previous report has not been sent yet, or waits for the master's confirm.
    #[error("a report is still waiting to be sent or confirmed")]
    Busy,
    /// The frame does not fit the report buffer.
    #[error("report too long")]
    TooLong,
}

/// Largest link-management frame: login and heartbeat are 20 bytes (vector U01).
const LINK_FRAME: usize = 20;

/// A terminal's uplink session, sans-IO.
///
/// `N` is the size of the reply buffers (the data units a handler may write, and the frames
/// of the reply kept for a repeated request).
///
/// The caller:
/// * calls [`poll`](Self::poll) with the time (at the latest by [`poll_timeout`](Self::poll_timeout)),
/// * acts on [`poll_event`](Self::poll_event): [`Event::Connect`] means open the connection and
///   call [`connected`](Self::connected) (or [`disconnected`](Self::disconnected) on failure),
///   [`Event::Disconnect`] means close it,
/// * writes every frame [`poll_transmit`](Self::poll_transmit) gives,
/// * passes each complete received frame (see [`crate::Scanner`]) to [`receive`](Self::receive).
#[derive(Debug)]
pub struct Terminal<A, const N: usize> {
    config: Config,
    auth: A,
    state: State,
    backoff: Backoff,
    pfc: u8,
    link: [u8; LINK_FRAME],
    link_len: usize,
    outbox: Outbox<N>,
    scratch: [u8; N],
    last: Option<Fingerprint>,
    events: Events,
    executed: u64,
    report: [u8; REPORT],
    report_len: usize,
    /// Bytes of the report frame kept for a resend while it waits for its confirm.
    report_kept: usize,
    /// The report waiting for the master's confirm: its PSEQ and when it was last sent.
    report_wait: Option<(u8, Instant)>,
    /// EC (and so ACD = 1) put on response frames while important events wait.
    ec: Option<Ec>,
    /// The wall clock: the monotonic time it was given at and its calendar time then, in
    /// seconds since 2000-01-01 (for the Tp check).
    clock: Option<(Instant, i64)>,
}

impl<A: Authorize, const N: usize> Terminal<A, N> {
    /// A session that asks to connect at `now`.
    pub fn new(config: Config, auth: A, now: Instant) -> Self {
        Self {
            backoff: Backoff::new(config.backoff_min, config.backoff_max),
            config,
            auth,
            state: State::Offline { connect_at: now },
            pfc: 0,
            link: [0; LINK_FRAME],
            link_len: 0,
            outbox: Outbox::default(),
            scratch: [0; N],
            last: None,
            events: Events::default(),
            executed: 0,
            report: [0; REPORT],
            report_len: 0,
            report_kept: 0,
            report_wait: None,
            ec: None,
            clock: None,
        }
    }

    /// Gives the session the terminal's calendar time (the local time the master station's
    /// time labels count in) at the monotonic time `now`; the session runs it on with its
    /// monotonic clock from there. Call it at start and whenever the clock is set (05 F31) or
    /// may have drifted; an invalid calendar time (31 February) forgets the clock.
    ///
    /// With a clock, a request whose time label Tp has expired (older than its allowed delay,
    /// 0 = no limit) is dropped without being executed or answered, and
    /// [`Event::Expired`] says so (notes §2.3, LM `bmt_tp_timeout`). Without one, Tp is not
    /// checked.
    pub fn set_wall_clock(&mut self, now: Instant, calendar: DateTime) {
        self.clock = super::clock::wall_seconds(&calendar).map(|s| (now, s));
    }

    /// Changes how long the session waits for the master's confirm (login, heartbeat, report)
    /// and how many login frames it sends before giving the connection up (at least 1), as
    /// AFN 04 F1's timeout and retries (retries + 1 attempts) say; from the next wait on.
    pub fn set_link_timing(&mut self, confirm_timeout: Duration, login_attempts: u8) {
        self.config.confirm_timeout = confirm_timeout;
        self.config.login_attempts = login_attempts.max(1);
    }

    /// Changes the heartbeat period (AFN 04 F1's heartbeat); while online the next heartbeat
    /// is due one new period after `now` at the latest.
    pub fn set_heartbeat(&mut self, now: Instant, period: Duration) {
        self.config.heartbeat = period;
        if let State::Online {
            next_heartbeat,
            outstanding,
            missed,
        } = self.state
        {
            self.state = State::Online {
                next_heartbeat: next_heartbeat.min(now + period),
                outstanding,
                missed,
            };
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Where the link stands.
    pub fn state(&self) -> LinkState {
        match self.state {
            State::Offline { .. } => LinkState::Offline,
            State::Connecting => LinkState::Connecting,
            State::LoggingIn { .. } => LinkState::LoggingIn,
            State::Online { .. } => LinkState::Online,
        }
    }

    /// Requests passed to the handler so far (repeats answered from the cache not counted).
    pub fn executed(&self) -> u64 {
        self.executed
    }

    /// Events dropped because the caller did not take them.
    pub fn events_dropped(&self) -> usize {
        self.events.dropped()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// The next frame to send: a pending login or heartbeat first, then reply frames.
    pub fn poll_transmit(&mut self) -> Option<&[u8]> {
        if self.link_len > 0 {
            let n = core::mem::take(&mut self.link_len);
            return self.link.get(..n);
        }
        if self.report_len > 0 {
            let n = core::mem::take(&mut self.report_len);
            return self.report.get(..n);
        }
        self.outbox.next_frame()
    }

    /// When [`poll`](Self::poll) must be called next at the latest.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let t = self.config.confirm_timeout;
        match self.state {
            State::Offline { connect_at } => Some(connect_at),
            State::Connecting => None,
            State::LoggingIn { sent_at, .. } => Some(sent_at + t),
            State::Online {
                next_heartbeat,
                outstanding,
                ..
            } => {
                let link = outstanding.map_or(next_heartbeat, |(_, sent)| sent + t);
                Some(match self.report_wait {
                    Some((_, sent)) => link.min(sent + t),
                    None => link,
                })
            }
        }
    }

    /// Whether an active report sent with CON waits for the master's confirm (a new one is
    /// refused with [`ReportError::Busy`] until [`Event::ReportConfirmed`] or
    /// [`Event::ReportDenied`], or until the link drops).
    pub fn report_waiting(&self) -> bool {
        self.report_wait.is_some() || self.report_len > 0
    }

    /// Sets the event counters the terminal announces: `Some` while important events wait to
    /// be read, which sets ACD = 1 and appends EC (EC1 important, EC2 general) to every reply
    /// from then on; `None` clears ACD (notes §2.1, §2.6: EC is present exactly when ACD = 1).
    pub fn set_event_counters(&mut self, ec: Option<Ec>) {
        self.ec = ec;
    }

    /// Queues an active report of event data units (AFN 0E F1/F2 groups, e.g. from
    /// `core_map::erc`): C = 0xC4 (up, PRM = 1, function 4 user data, notes §2.2 and vector
    /// U08), a new PSEQ, CON as asked (AFN 04 F1's CON flags say which classes want a
    /// confirm). Without CON it is sent once. With CON it is resent with the same bytes (same
    /// PSEQ, notes §2.3) every `confirm_timeout` until the master answers AFN 00:
    /// [`Event::ReportConfirmed`] or [`Event::ReportDenied`]; when the link drops first,
    /// [`Event::ReportAbandoned`]. The caller keeps the events until confirmed.
    pub fn report(&mut self, now: Instant, units: &[u8], con: bool) -> Result<u8, ReportError> {
        if !matches!(self.state, State::Online { .. }) {
            return Err(ReportError::Offline);
        }
        if self.report_waiting() {
            return Err(ReportError::Busy);
        }
        let pseq = self.next_pseq();
        let f = FrameRepr {
            protocol: crate::PROTOCOL_1376_1,
            control: Control {
                dir: Direction::Up,
                prm: true,
                fcb_acd: false,
                fcv: false,
                code: 4,
            },
            address: self.link_address(),
            afn: Afn::Class3,
            seq: Seq::single(pseq, con),
            units,
            pw: None,
            ec: None,
            tp: None,
        };
        self.report_len = f.emit(&mut self.report).map_err(|_| ReportError::TooLong)?;
        self.report_kept = self.report_len;
        self.report_wait = con.then_some((pseq, now));
        Ok(pseq)
    }

    /// The connection is open: sends the login (AFN 02 F1).
    pub fn connected(&mut self, now: Instant) {
        self.outbox.drop_pending();
        let pseq = self.next_pseq();
        self.queue_link(LinkTest::Login, pseq);
        self.state = State::LoggingIn {
            pseq,
            sent_at: now,
            attempts: 1,
        };
    }

    /// The connection failed or closed: waits for the back-off, then asks to connect again.
    /// The last reply stays cached, so a request the master repeats after the reconnect is
    /// not executed twice.
    pub fn disconnected(&mut self, now: Instant) {
        self.link_len = 0;
        self.report_len = 0;
        if let Some((pseq, _)) = self.report_wait.take() {
            self.events.push(Event::ReportAbandoned { pseq });
        }
        self.outbox.drop_pending();
        self.state = State::Offline {
            connect_at: now + self.backoff.next_delay(),
        };
    }

    /// Runs the timers: connect after back-off, login retry, heartbeats and supervision.
    pub fn poll(&mut self, now: Instant) {
        let timeout = self.config.confirm_timeout;
        match self.state {
            State::Offline { connect_at } if now >= connect_at => {
                self.state = State::Connecting;
                self.events.push(Event::Connect);
            }
            State::LoggingIn {
                pseq,
                sent_at,
                attempts,
            } if now >= sent_at + timeout => {
                if attempts < self.config.login_attempts {
                    // A resend keeps its PFC, hence its PSEQ (notes §2.3).
                    self.queue_link(LinkTest::Login, pseq);
                    self.state = State::LoggingIn {
                        pseq,
                        sent_at: now,
                        attempts: attempts + 1,
                    };
                } else {
                    self.drop_link(now);
                }
            }
            State::Online {
                outstanding: Some((_, sent)),
                missed,
                ..
            } if now >= sent + timeout => {
                let missed = missed.saturating_add(1);
                self.events.push(Event::HeartbeatMissed { missed });
                if missed >= self.config.max_missed {
                    self.drop_link(now);
                } else {
                    self.send_heartbeat(now, missed);
                }
            }
            State::Online {
                next_heartbeat,
                outstanding: None,
                missed,
            } if now >= next_heartbeat => self.send_heartbeat(now, missed),
            _ => {}
        }
        // An unconfirmed report goes again, the same bytes (same PSEQ, notes §2.3).
        if let (State::Online { .. }, Some((pseq, sent))) = (self.state, self.report_wait)
            && now >= sent + timeout
        {
            self.report_len = self.report_kept;
            self.report_wait = Some((pseq, now));
            self.events.push(Event::ReportResent { pseq });
        }
    }

    /// Takes one complete received frame. Frames not addressed to this terminal, uplink
    /// frames and frames arriving while not connected are ignored; an invalid frame is an
    /// error (the session state is unchanged).
    pub fn receive<H: Handler>(
        &mut self,
        now: Instant,
        bytes: &[u8],
        handler: &mut H,
    ) -> Result<(), Error> {
        let frame = FrameRepr::parse_bytes(bytes)?;
        if matches!(self.state, State::Offline { .. } | State::Connecting)
            || frame.control.dir != Direction::Down
        {
            return Ok(());
        }
        let me = self.config.address;
        let broadcast = frame.address.is_broadcast();
        let unicast = !frame.address.group
            && frame.address.terminal == me.terminal
            && frame.address.area == me.area;
        if !broadcast && !unicast {
            return Ok(());
        }
        if frame.control.prm {
            self.request(now, &frame, bytes, broadcast, handler);
        } else if unicast {
            self.confirm(now, &frame);
        }
        Ok(())
    }

    fn next_pseq(&mut self) -> u8 {
        self.pfc = self.pfc.wrapping_add(1);
        self.pfc & 0x0F
    }

    fn link_address(&self) -> Address {
        Address {
            master: 0,
            group: false,
            ..self.config.address
        }
    }

    fn queue_link(&mut self, test: LinkTest, pseq: u8) {
        let f = FrameRepr::link_test(self.link_address(), test, pseq);
        // 20 bytes always fit: a fixed, valid frame.
        self.link_len = f.emit(&mut self.link).unwrap_or(0);
    }

    fn send_heartbeat(&mut self, now: Instant, missed: u8) {
        let pseq = self.next_pseq();
        self.queue_link(LinkTest::Heartbeat, pseq);
        self.state = State::Online {
            next_heartbeat: now + self.config.heartbeat,
            outstanding: Some((pseq, now)),
            missed,
        };
    }

    fn drop_link(&mut self, now: Instant) {
        self.events.push(Event::Disconnect);
        self.disconnected(now);
    }

    /// A master's AFN 00 answer to a login or heartbeat.
    fn confirm(&mut self, now: Instant, frame: &FrameRepr<'_>) {
        if frame.afn != Afn::Confirm {
            return;
        }
        let Some(Ok(unit)) = frame.data_units().next() else {
            return;
        };
        // F1 all confirmed; F3 per unit: confirmed when every entry has ERR 0 (notes §2.6:
        // some masters confirm a heartbeat with AFN 00 F3); F2 denied.
        let ok = match unit.fn_number {
            1 => true,
            3 => match unit.data() {
                Ok(Some(Data::Acks(acks))) => acks.entries.iter().all(|e| e.err == 0),
                _ => false,
            },
            _ => false,
        };
        let seq = frame.seq.seq;
        // The master's answer to an active report (AFN 00 F1 / F2 with RSEQ = its PSEQ).
        if matches!(self.state, State::Online { .. })
            && let Some((pseq, _)) = self.report_wait
            && pseq == seq
        {
            self.report_wait = None;
            self.report_len = 0;
            self.events.push(if ok {
                Event::ReportConfirmed { pseq }
            } else {
                Event::ReportDenied { pseq }
            });
            return;
        }
        match self.state {
            State::LoggingIn { pseq, .. } if pseq == seq => {
                if ok {
                    self.backoff.reset();
                    self.events.push(Event::LoggedIn);
                    self.state = State::Online {
                        next_heartbeat: now + self.config.heartbeat,
                        outstanding: None,
                        missed: 0,
                    };
                } else {
                    self.events.push(Event::LoginDenied);
                    self.drop_link(now);
                }
            }
            State::Online {
                next_heartbeat,
                outstanding: Some((pseq, _)),
                ..
            } if pseq == seq => {
                self.state = State::Online {
                    next_heartbeat,
                    outstanding: None,
                    missed: 0,
                };
            }
            _ => {}
        }
    }

    /// A request from the master.
    fn request<H: Handler>(
        &mut self,
        now: Instant,
        frame: &FrameRepr<'_>,
        bytes: &[u8],
        broadcast: bool,
        handler: &mut H,
    ) {
        // An expired time label: dropped before anything else, so a captured frame (PW
        // included) replayed late runs nothing (notes §2.3). The cached reply stays.
        if let (Some(tp), Some((at, wall))) = (frame.tp, self.clock) {
            let ms = |t: Instant| i64::try_from(t.ticks()).unwrap_or(i64::MAX);
            let wall = wall.saturating_add(ms(now).saturating_sub(ms(at)).div_euclid(1000));
            if let Some(age) = super::clock::tp_late(&tp, wall) {
                self.events.push(Event::Expired {
                    afn: frame.afn,
                    seq: frame.seq.seq,
                    master: frame.address.master,
                    age_s: u32::try_from(age).unwrap_or(u32::MAX),
                    delay_min: tp.delay,
                });
                return;
            }
        }
        let fp = Fingerprint::of(frame.seq, bytes);
        if self.last == Some(fp) {
            self.events.push(Event::Repeated {
                afn: frame.afn,
                seq: frame.seq.seq,
            });
            self.outbox.rewind();
            return;
        }
        self.last = Some(fp);
        let to = Address {
            master: frame.address.master,
            group: false,
            ..self.config.address
        };
        let pseq = frame.seq.seq;
        if frame.afn.carries_pw()
            && let Err(reason) = self.auth.check(frame)
        {
            self.events.push(Event::Denied {
                afn: frame.afn,
                seq: pseq,
                master: frame.address.master,
                reason,
            });
            self.answer(to, pseq, false, broadcast);
            return;
        }
        self.executed += 1;
        let mut reply = Reply::new(&mut self.scratch);
        let answer = handler.request(frame, &mut reply);
        let framed = match answer {
            Answer::Data if !reply.is_empty() => Some(self.outbox.set_response(
                to,
                frame.afn,
                pseq,
                reply.bytes(),
                reply.ends(),
                self.config.max_units,
                self.ec,
            )),
            _ => None,
        };
        match (answer, framed) {
            (_, Some(Ok(()))) => {
                if broadcast {
                    self.outbox.clear();
                }
            }
            (_, Some(Err(_))) => {
                self.events.push(Event::ReplyTooLarge {
                    afn: frame.afn,
                    seq: pseq,
                });
                self.answer(to, pseq, false, broadcast);
            }
            (Answer::Done, None) if frame.seq.con => self.answer(to, pseq, true, broadcast),
            (Answer::Done | Answer::Ignore, None) => self.outbox.clear(),
            (Answer::Data | Answer::Deny, None) => self.answer(to, pseq, false, broadcast),
        }
    }

    /// AFN 00 F1 (confirm, C = 0x80: PRM = 0 function 0) or F2 (deny, C = 0x89: PRM = 0
    /// function 9), RSEQ = the request's PSEQ (notes §2.2, §2.3). Nothing answers a broadcast.
    fn answer(&mut self, to: Address, pseq: u8, confirm: bool, broadcast: bool) {
        self.outbox.clear();
        if broadcast {
            return;
        }
        const F1: [u8; 4] = [0, 0, 0x01, 0];
        const F2: [u8; 4] = [0, 0, 0x02, 0];
        let mut f = FrameRepr::response(
            to,
            Afn::Confirm,
            Seq::single(pseq, false),
            if confirm { &F1 } else { &F2 },
        );
        f.control = Control {
            code: if confirm { 0 } else { 9 },
            fcb_acd: self.ec.is_some(),
            ..f.control
        };
        f.ec = self.ec;
        // A 20-byte frame fits any outbox of at least that size; a smaller `N` cannot answer.
        let _ = self.outbox.set_single(&f);
    }
}

impl<const N: usize> Terminal<super::auth::KeyCheck, N> {
    /// A session checking PW against a configured key.
    pub fn with_key(config: Config, key: [u8; crate::PW_LEN], now: Instant) -> Self {
        Self::new(config, super::auth::KeyCheck::new(key), now)
    }
}

/// Denial of a request, for callers logging [`Event::Denied`].
impl Denial {
    /// A short name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingPassword => "missing password",
            Self::WrongPassword => "wrong password",
            Self::Refused(_) => "refused",
        }
    }
}
