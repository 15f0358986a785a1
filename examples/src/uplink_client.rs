//! The concentrator's uplink over TCP: the sans-IO terminal session of `qgdw1376_1::session`
//! driven on a `TcpStream` (connect out to the master station, log in, heartbeats, reconnect
//! with back-off), with a handler trait the daemon implements. With
//! [`UplinkClient::with_tls`] the link is TLS with mutual authentication ([`crate::tls`]); a
//! failed handshake is a failed connection (reported to [`UplinkHandler::link_error`], back-off,
//! retry).
//!
//! ```no_run
//! use examples::uplink_client::{ClientConfig, UplinkClient, UplinkHandler};
//! use qgdw1376_1::session::{Answer, Config, Reply};
//! use qgdw1376_1::{Address, FrameRepr};
//!
//! struct DenyAll;
//! impl UplinkHandler for DenyAll {
//!     fn request(&mut self, _: &FrameRepr<'_>, _: &mut Reply<'_>) -> Answer {
//!         Answer::Deny
//!     }
//! }
//! let address = Address { area: 0x0200, terminal: 0x1234, master: 0, group: false };
//! let config = ClientConfig::new("127.0.0.1:9000".parse().unwrap(), Config::new(address), [0; 16]);
//! let client = UplinkClient::new(config);
//! let stop = client.stop_handle();
//! std::thread::spawn(move || { std::thread::sleep(std::time::Duration::from_secs(60)); stop.stop(); });
//! let stats = client.run(&mut DenyAll).unwrap();
//! println!("{} requests executed", stats.executed);
//! ```

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration as StdDuration;

use qgdw1376_1::session::{
    Answer, Config, Event, Handler, Instant, KeyCheck, LinkState, Reply, Terminal,
};
use qgdw1376_1::{Ec, FrameRepr, PW_LEN, Scanner};

use crate::tls::{self, Stream, TlsClient};

/// Reply buffer of the session: data units of one reply and its frames.
const REPLY: usize = 16 * 1024;
/// Largest frame the scanner assembles.
const FRAME: usize = qgdw1376_1::MAX_FRAME_LEN;
/// Longest the loop sleeps without looking at the stop flag.
const TICK: StdDuration = StdDuration::from_millis(20);

/// What the daemon does with the master's requests and the session's events.
pub trait UplinkHandler {
    /// Executes a request that passed the session's checks (address, repeat, PW); fills
    /// `reply` and says how to answer.
    fn request(&mut self, request: &FrameRepr<'_>, reply: &mut Reply<'_>) -> Answer;

    /// A session event (connect, login, heartbeat missed, audit of a denial, repeat, the
    /// master's answer to an active report).
    fn event(&mut self, event: &Event) {
        let _ = event;
    }

    /// The next active report (AFN 0E data units) and whether it asks for a confirm; asked
    /// while logged in and no report waits for its confirm. The session resends one with
    /// CON until [`Event::ReportConfirmed`] / [`Event::ReportDenied`] or
    /// [`Event::ReportAbandoned`].
    fn poll_report(&mut self) -> Option<(Vec<u8>, bool)> {
        None
    }

    /// EC while important events wait to be read: sets ACD = 1 and EC on replies.
    fn event_counters(&mut self) -> Option<Ec> {
        None
    }

    /// The terminal's calendar time (the local time the master's time labels count in),
    /// handed to the session each turn of the loop so that a request whose Tp has expired is
    /// dropped ([`Event::Expired`]). `None` (the default): Tp is not checked.
    fn wall_clock(&mut self) -> Option<qgdw1376_1::value::DateTime> {
        None
    }

    /// The link timing in force (AFN 04 F1: heartbeat period, confirm timeout, login
    /// attempts); applied to the session whenever it changes. `None` (the default): the
    /// [`ClientConfig`]'s session settings stay.
    fn link_timing(&mut self) -> Option<LinkTiming> {
        None
    }

    /// The link failed and why: TCP connect, TLS handshake (certificate refused), read or
    /// write error, closed by the master station. The session backs off and reconnects.
    fn link_error(&mut self, reason: &str) {
        let _ = reason;
    }
}

struct Adapter<'h, H>(&'h mut H);

impl<H: UplinkHandler> Handler for Adapter<'_, H> {
    fn request(&mut self, request: &FrameRepr<'_>, reply: &mut Reply<'_>) -> Answer {
        self.0.request(request, reply)
    }
}

/// Session timing a handler may change while the link runs (AFN 04 F1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkTiming {
    /// Heartbeat period.
    pub heartbeat: qgdw1376_1::session::Duration,
    /// How long the session waits for the master's confirm.
    pub confirm_timeout: qgdw1376_1::session::Duration,
    /// Login frames sent before the connection is given up.
    pub login_attempts: u8,
}

/// Where to connect and how the session behaves.
#[derive(Debug, Clone, Copy)]
pub struct ClientConfig {
    /// The master station.
    pub master: SocketAddr,
    /// Session settings (address, heartbeat, timeouts, back-off).
    pub session: Config,
    /// The PW key state-changing requests must carry.
    pub key: [u8; PW_LEN],
    /// How long one connection attempt may take.
    pub connect_timeout: StdDuration,
}

impl ClientConfig {
    /// A client of `master` with a 5 s connect timeout.
    pub fn new(master: SocketAddr, session: Config, key: [u8; PW_LEN]) -> Self {
        Self {
            master,
            session,
            key,
            connect_timeout: StdDuration::from_secs(5),
        }
    }
}

/// Counters of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Connections opened.
    pub connects: u64,
    /// Successful logins.
    pub logins: u64,
    /// Frames written.
    pub frames_sent: u64,
    /// Frames received.
    pub frames_received: u64,
    /// Received frames that were invalid.
    pub invalid: u64,
    /// Requests executed by the handler.
    pub executed: u64,
    /// Repeated requests answered from the cache.
    pub repeats: u64,
}

/// Stops a running client from another thread.
#[derive(Debug, Clone)]
pub struct StopHandle(Arc<AtomicBool>);

impl StopHandle {
    /// Asks the client to stop; `run` returns within a few tens of milliseconds.
    pub fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The TCP (or TLS) client.
pub struct UplinkClient {
    config: ClientConfig,
    stop: Arc<AtomicBool>,
    tls: Option<TlsClient>,
}

impl UplinkClient {
    /// A client that has not started.
    pub fn new(config: ClientConfig) -> Self {
        Self {
            config,
            stop: Arc::new(AtomicBool::new(false)),
            tls: None,
        }
    }

    /// Runs the link over TLS: verifies the master station, presents the concentrator's
    /// certificate.
    pub fn with_tls(mut self, tls: TlsClient) -> Self {
        self.tls = Some(tls);
        self
    }

    /// A handle to stop [`run`](Self::run).
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle(self.stop.clone())
    }

    /// Runs the session until stopped: connects, logs in, answers requests, sends heartbeats,
    /// reconnects with back-off when the link drops. Returns the counters.
    pub fn run<H: UplinkHandler>(&self, handler: &mut H) -> io::Result<ClientStats> {
        let start = std::time::Instant::now();
        let now = || Instant::from_ticks(u64::try_from(start.elapsed().as_millis()).unwrap_or(0));
        let mut term: Box<Terminal<KeyCheck, REPLY>> = Box::new(Terminal::new(
            self.config.session,
            KeyCheck::new(self.config.key),
            now(),
        ));
        let mut scanner: Box<Scanner<FRAME>> = Box::new(Scanner::new());
        let mut stream: Option<Stream> = None;
        let mut stats = ClientStats::default();
        let mut buf = vec![0u8; 4096];
        let mut timing = None;
        while !self.stop.load(Ordering::Relaxed) {
            if let Some(t) = handler.link_timing()
                && timing != Some(t)
            {
                term.set_heartbeat(now(), t.heartbeat);
                term.set_link_timing(t.confirm_timeout, t.login_attempts);
                timing = Some(t);
            }
            if let Some(c) = handler.wall_clock() {
                term.set_wall_clock(now(), c);
            }
            term.poll(now());
            while let Some(e) = term.poll_event() {
                match e {
                    Event::Connect => {
                        match tls::connect(
                            &self.config.master,
                            self.config.connect_timeout,
                            self.tls.as_ref(),
                        ) {
                            Ok(s) => {
                                stream = Some(s);
                                scanner.reset();
                                stats.connects += 1;
                                term.connected(now());
                            }
                            Err(e) => {
                                handler.link_error(&e.to_string());
                                term.disconnected(now());
                            }
                        }
                    }
                    Event::Disconnect => stream = None,
                    Event::LoggedIn => stats.logins += 1,
                    Event::Repeated { .. } => stats.repeats += 1,
                    _ => {}
                }
                handler.event(&e);
            }
            // Events for the master: ACD/EC on replies, the next active report.
            if term.state() == LinkState::Online {
                term.set_event_counters(handler.event_counters());
                if !term.report_waiting()
                    && let Some((units, con)) = handler.poll_report()
                {
                    let _ = term.report(now(), &units, con);
                }
            }
            if let Some(s) = stream.as_mut() {
                let mut failed = false;
                while let Some(f) = term.poll_transmit() {
                    if let Err(e) = s.write_all(f).and_then(|()| s.flush()) {
                        handler.link_error(&format!("write: {e}"));
                        failed = true;
                        break;
                    }
                    stats.frames_sent += 1;
                }
                if failed {
                    stream = None;
                    term.disconnected(now());
                    continue;
                }
            }
            let wait = term
                .poll_timeout()
                .map(|t| StdDuration::from_millis(t.ticks().saturating_sub(now().ticks())))
                .unwrap_or(TICK)
                .clamp(StdDuration::from_millis(1), TICK);
            let Some(s) = stream.as_mut() else {
                std::thread::sleep(wait);
                continue;
            };
            s.set_read_timeout(Some(wait))?;
            match s.read(&mut buf) {
                Ok(0) => {
                    handler.link_error("closed by the master station");
                    stream = None;
                    term.disconnected(now());
                }
                Ok(n) => {
                    let mut data = buf.get(..n).unwrap_or(&[]);
                    while !data.is_empty() {
                        let took = scanner.push(data);
                        data = data.get(took..).unwrap_or(&[]);
                        while let Some(frame) = scanner.next_frame() {
                            stats.frames_received += 1;
                            let before = term.executed();
                            let mut adapter = Adapter(handler);
                            if term.receive(now(), frame.as_bytes(), &mut adapter).is_err() {
                                stats.invalid += 1;
                            }
                            stats.executed += term.executed() - before;
                        }
                        if took == 0 {
                            break;
                        }
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => {
                    handler.link_error(&format!("read: {e}"));
                    stream = None;
                    term.disconnected(now());
                }
            }
        }
        Ok(stats)
    }
}
