//! The daemon: one engine thread drives `concentrator-core` with the system's monotonic clock
//! and wall clock; one reader thread per serial port feeds received bytes in; operator
//! requests (socket or demo) come in on the same queue. After every input the engine's
//! outputs are drained in the documented order: transmits, then events, then the timeout.

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration as StdDuration, Instant as StdInstant, SystemTime, UNIX_EPOCH};

use concentrator_core::{
    ChannelConfig, ChannelId, ChannelKind, CommandId, Concentrator, DateTime, Event, EventKind,
    Instant, Item, MAX_TRANSMIT, Meter, Origin, Outcome, SwitchAction, Task, WallClock,
};
use rs485_link::SerialUart;
use serde_json::{Value as Json, json};
use serialport::{SerialPort, TTYPort};

use crate::concentrator::config::{Channel, Config, kind_name};
use crate::concentrator::events::{ALIVE_EVERY_S, Classes, ErcLog, SharedErcLog};
use crate::concentrator::json::{event_json, item_name, task_name};
use crate::concentrator::store::SqliteStore;

/// Meters the engine holds (its tables are sized at compile time).
pub const METERS: usize = 1024;

/// The engine as the daemon runs it.
pub type Engine = Concentrator<SqliteStore, SystemClock, METERS>;

/// Calendar time from the system clock, for the monotonic instant the engine asks about: UTC
/// plus the installation's offset (`[clock] utc_offset_min`; DL/T 645 meters keep local time),
/// plus the adjustment the master's time set (1376.1 AFN 05 F31) made, shared with the daemon
/// and kept in the store (`clock_adjust_s`).
#[derive(Debug, Clone)]
pub struct SystemClock {
    origin: StdInstant,
    offset_s: i64,
    adjust_s: Arc<AtomicI64>,
}

impl SystemClock {
    /// The clock of `cfg` (its UTC offset) counting monotonic instants from `origin`, with the
    /// adjustment kept in `store`.
    pub fn open(cfg: &Config, store: &SqliteStore, origin: StdInstant) -> Result<Self, String> {
        let adjust_s = store
            .setting(CLOCK_ADJUST)
            .map_err(|e| format!("store: {e}"))?
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        Ok(Self {
            origin,
            offset_s: i64::from(cfg.utc_offset_min) * 60,
            adjust_s: Arc::new(AtomicI64::new(adjust_s)),
        })
    }

    /// The monotonic instant now (milliseconds since `origin`).
    fn mono(&self) -> Instant {
        Instant::from_ticks(u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    /// The calendar time now.
    pub fn wall(&self) -> DateTime {
        self.now(self.mono())
    }
}

/// Seconds since 2000-01-01 00:00:00 UTC, now.
pub fn system_secs_since_2000() -> i64 {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    unix - 946_684_800
}

impl WallClock for SystemClock {
    fn now(&self, now: Instant) -> DateTime {
        let behind =
            i64::try_from(self.mono().ticks().saturating_sub(now.ticks()) / 1000).unwrap_or(0);
        let adjust = self.adjust_s.load(Ordering::Relaxed);
        DateTime::from_seconds_since_2000(
            system_secs_since_2000() + self.offset_s + adjust - behind,
        )
        .unwrap_or(DateTime::MIN)
    }
}

/// What an operator asks the daemon.
#[derive(Debug, Clone)]
pub enum Request {
    /// Read `item` of meter `meter` now.
    Read {
        /// Archive number.
        meter: u16,
        /// What.
        item: Item,
    },
    /// Switch a meter's relay.
    Switch {
        /// Archive number.
        meter: u16,
        /// Off or on.
        action: SwitchAction,
    },
    /// Run a round of `task` now (clock sync, load curve...) and answer when it ended.
    Round(Task),
    /// Channels, archive size, store counts, the last rounds.
    Status,
    /// The readings in the store (of one meter or all).
    Export {
        /// One meter, or all.
        meter: Option<u16>,
    },
    /// Set the concentrator's calendar time (kept as an adjustment over the system clock, in
    /// the store, so it survives a restart).
    SetClock(DateTime),
    /// Send a frame as it is on a channel and answer the first frame back (`"reply"`, hex;
    /// empty when nothing came).
    Forward {
        /// Channel.
        channel: ChannelId,
        /// The bytes.
        frame: Vec<u8>,
        /// Baud rate to send at (the channel's when `None`).
        baud: Option<u32>,
        /// How long to wait for the reply, ms.
        timeout_ms: u64,
    },
    /// Pause (`true`) or resume a channel's scheduled reading.
    Pause {
        /// Channel.
        channel: ChannelId,
        /// Pause or resume.
        paused: bool,
    },
    /// Put a meter the master downloaded into the archive (added, or changed if its archive
    /// number exists; `None` removes that number) and keep it, with the master's entry text,
    /// in the store (loaded again after the config's meters at start).
    SetArchive {
        /// The master's key for the entry (1376.1 serial).
        serial: u16,
        /// The archive number the entry is for.
        point: u16,
        /// The meter, or `None` for an entry the engine does not read.
        meter: Option<Meter>,
        /// The entry as the master sent it (opaque text, answered back by `QueryArchive`).
        entry: String,
    },
    /// The stored entry text of a serial (`"entry"`), if the master downloaded one.
    QueryArchive {
        /// The serial.
        serial: u16,
    },
}

/// A message to the engine thread.
pub enum Msg {
    /// Bytes from a port.
    Rx {
        /// Channel.
        ch: u8,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// A port failed (unplugged); the reader keeps trying to reopen it.
    PortDown {
        /// Channel.
        ch: u8,
        /// Why.
        error: String,
    },
    /// A port was reopened; here is its write half.
    PortUp {
        /// Channel.
        ch: u8,
        /// The port to write to.
        port: TTYPort,
    },
    /// An operator request; answers (progress lines, then one with `"final": true`) go to
    /// `reply`.
    Request {
        /// What.
        req: Request,
        /// Who asked (audit log).
        who: String,
        /// Where answers go.
        reply: Sender<Json>,
    },
    /// Ask for the event log (ERC records, AFN 0E), shared with the uplink.
    ErcLog {
        /// Where the handle goes.
        reply: Sender<SharedErcLog>,
    },
    /// Stop the daemon.
    Stop,
}

/// A running daemon.
pub struct Daemon {
    /// Queue into the engine thread.
    pub tx: Sender<Msg>,
    /// The engine's wall clock (sharing its adjustment), for threads that need the time.
    pub clock: SystemClock,
    thread: Option<JoinHandle<Result<(), String>>>,
}

impl Daemon {
    /// Ask the daemon something and wait for the final answer; `progress` sees the lines
    /// before it.
    pub fn ask(
        &self,
        req: Request,
        who: &str,
        mut progress: impl FnMut(&Json),
    ) -> Result<Json, String> {
        let (reply, answers) = mpsc::channel();
        self.tx
            .send(Msg::Request {
                req,
                who: who.to_string(),
                reply,
            })
            .map_err(|_| "daemon stopped".to_string())?;
        for a in answers {
            if a.get("final").and_then(Json::as_bool) == Some(true) {
                return Ok(a);
            }
            progress(&a);
        }
        Err("daemon stopped before answering".into())
    }

    /// Stop and wait for the engine thread.
    pub fn stop(mut self) -> Result<(), String> {
        let _ = self.tx.send(Msg::Stop);
        self.join()
    }

    /// Wait for the engine thread to end.
    pub fn join(&mut self) -> Result<(), String> {
        match self.thread.take() {
            Some(t) => t.join().map_err(|_| "engine thread panicked".to_string())?,
            None => Ok(()),
        }
    }
}

/// Open the serial device of `ch` with its line settings (8E1).
fn open_port(ch: &Channel) -> Result<TTYPort, String> {
    let line = rs485_link::LineSettings::new_8e1(ch.line.baud)
        .map_err(|e| format!("channel {}: {e}", ch.id.0))?;
    SerialUart::open(&ch.device, &line)
        .map(SerialUart::into_inner)
        .map_err(|e| {
            format!(
                "channel {} ({}): cannot open {}: {e}",
                ch.id.0,
                kind_name(ch.kind),
                ch.device
            )
        })
}

/// The reader of one port: bytes go to the engine; when the port fails it says so and
/// tries to reopen the device every second (an unplugged USB adapter coming back).
fn spawn_reader(ch: Channel, port: Option<TTYPort>, tx: Sender<Msg>) {
    thread::spawn(move || {
        let mut buf = [0u8; 512];
        let mut port = port;
        loop {
            let Some(p) = port.as_mut() else {
                // Down: try the device again every second until it is back.
                thread::sleep(StdDuration::from_secs(1));
                let Ok(p) = open_port(&ch) else { continue };
                let Ok(w) = p.try_clone_native() else {
                    continue;
                };
                if tx
                    .send(Msg::PortUp {
                        ch: ch.id.0,
                        port: w,
                    })
                    .is_err()
                {
                    return;
                }
                port = Some(p);
                continue;
            };
            match p.read(&mut buf) {
                Ok(0) => {}
                Ok(n) => {
                    let bytes = buf.get(..n).unwrap_or_default().to_vec();
                    if tx.send(Msg::Rx { ch: ch.id.0, bytes }).is_err() {
                        return;
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => {
                    port = None;
                    let error = e.to_string();
                    if tx.send(Msg::PortDown { ch: ch.id.0, error }).is_err() {
                        return;
                    }
                }
            }
        }
    });
}

/// Build the engine from `cfg` (archive, channels, schedule) on `store`, with the master's
/// archive downloads kept in the store, reading the time from `clock` (`SystemClock::open`).
pub fn build_engine(
    cfg: &Config,
    store: SqliteStore,
    clock: SystemClock,
) -> Result<Box<Engine>, String> {
    let stored = store.archive().map_err(|e| format!("store: {e}"))?;
    let mut engine = Box::new(Engine::new(store, clock));
    engine.set_schedule(cfg.schedule);
    for ch in &cfg.channels {
        let r = if ch.kind == ChannelKind::Carrier {
            let mut sc = qgdw1376_2::session::Config::new(qgdw1376_2::Address(ch.master_address));
            sc.start = qgdw1376_2::session::StartMode::Query;
            engine.add_carrier(ch.id, ch.line, sc)
        } else {
            engine.add_channel(
                ch.id,
                ChannelConfig {
                    kind: ch.kind,
                    line: ch.line,
                },
            )
        };
        r.map_err(|e| format!("channel {}: {e}", ch.id.0))?;
    }
    for m in &cfg.meters {
        engine
            .add_meter(*m)
            .map_err(|e| format!("meter {}: {e}", m.archive_no))?;
    }
    // The master's downloads come after the config and win over it (AFN 04 F10).
    for row in stored {
        match crate::concentrator::uplink::stored_meter(&row.entry) {
            Some(m) => put_meter(&mut engine, m)
                .map_err(|e| format!("stored archive serial {}: {e}", row.serial))?,
            None => {
                let _ = engine.remove_meter(row.point);
            }
        }
    }
    Ok(engine)
}

/// The settings key of the clock adjustment, seconds.
const CLOCK_ADJUST: &str = "clock_adjust_s";

/// Adds `m`, or changes the meter with its archive number.
fn put_meter(engine: &mut Engine, m: Meter) -> Result<(), concentrator_core::ArchiveError> {
    if engine.meter(m.archive_no).is_some() {
        engine.change_meter(m)
    } else {
        engine.add_meter(m)
    }
}

/// Start the daemon: open the store and every port (an error names the device), then run
/// the engine thread. Log lines go to `log`.
pub fn start(cfg: Config, mut log: Box<dyn FnMut(&str) + Send>) -> Result<Daemon, String> {
    let store =
        SqliteStore::open(&cfg.storage).map_err(|e| format!("{}: {e}", cfg.storage.display()))?;
    let mut ercs = ErcLog::open(&cfg.storage, Classes::default())
        .map_err(|e| format!("{}: {e}", cfg.storage.display()))?;
    let started = DateTime::from_seconds_since_2000(
        system_secs_since_2000() + i64::from(cfg.utc_offset_min) * 60,
    )
    .unwrap_or(DateTime::MIN);
    match ercs.power_on(started) {
        Ok(Some((class, ptr))) => log(&format!(
            "event ERC14 (power off/on) stored: {class:?} {ptr}"
        )),
        Ok(None) => {}
        Err(e) => log(&format!("event ERC14 not stored: {e}")),
    }
    let ercs = ercs.shared();
    let clock = SystemClock::open(&cfg, &store, StdInstant::now())?;
    let engine_clock = clock.clone();
    let mut ports: HashMap<u8, TTYPort> = HashMap::new();
    let (tx, rx) = mpsc::channel();
    let mut port_errors = HashMap::new();
    for ch in &cfg.channels {
        match open_port(ch) {
            Ok(port) => {
                let reader = port
                    .try_clone_native()
                    .map_err(|e| format!("channel {}: {e}", ch.id.0))?;
                spawn_reader(ch.clone(), Some(reader), tx.clone());
                ports.insert(ch.id.0, port);
            }
            // A device that may come later (a USB adapter enumerated after boot): start
            // without it and keep trying.
            Err(e) if !ch.required => {
                log(&format!("{e}; waiting for it"));
                port_errors.insert(ch.id.0, format!("waiting: {e}"));
                spawn_reader(ch.clone(), None, tx.clone());
            }
            Err(e) => return Err(e),
        }
    }
    // The engine's tables are large (sized for METERS meters): build and run it on a thread
    // with room for them.
    let thread = thread::Builder::new()
        .name("engine".into())
        .stack_size(256 << 20)
        .spawn(move || {
            let engine = build_engine(&cfg, store, engine_clock.clone())?;
            let mut r = Runner {
                engine,
                clock: engine_clock,
                ports,
                log,
                commands: HashMap::new(),
                rounds: Vec::new(),
                last_rounds: Vec::new(),
                cfg,
                port_errors,
                ercs,
                alive_at: StdInstant::now(),
            };
            r.run(&rx);
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    Ok(Daemon {
        tx,
        clock,
        thread: Some(thread),
    })
}

struct RoundWait {
    task: Task,
    reply: Sender<Json>,
    seen: BTreeSet<u16>,
    total: usize,
}

struct Runner {
    engine: Box<Engine>,
    /// The engine's wall clock (its adjustment is what AFN 05 F31 sets).
    clock: SystemClock,
    ports: HashMap<u8, TTYPort>,
    log: Box<dyn FnMut(&str) + Send>,
    commands: HashMap<CommandId, (Sender<Json>, Vec<Json>)>,
    rounds: Vec<RoundWait>,
    last_rounds: Vec<Json>,
    cfg: Config,
    port_errors: HashMap<u8, String>,
    ercs: SharedErcLog,
    /// When the last-alive time was last written (ERC14).
    alive_at: StdInstant,
}

fn final_answer(mut j: Json) -> Json {
    crate::concentrator::json::set(&mut j, "final", true.into());
    j
}

impl Runner {
    fn now(&self) -> Instant {
        self.clock.mono()
    }

    fn run(&mut self, rx: &Receiver<Msg>) {
        let mut buf = [0u8; MAX_TRANSMIT];
        loop {
            let now = self.now();
            self.engine.handle_timeout(now);
            self.keep_alive(false);
            // 1. transmits
            while let Some(t) = self.engine.poll_transmit(self.now(), &mut buf) {
                let bytes = buf.get(..t.len).unwrap_or_default();
                self.send(t.channel.0, t.baud, bytes);
            }
            // 2. events (already committed to the store)
            while let Some(e) = self.engine.poll_event() {
                self.on_event(&e);
            }
            // 3. sleep until the timeout or the next input
            let wait = self
                .engine
                .poll_timeout()
                .map_or(StdDuration::from_secs(1), |t| {
                    StdDuration::from_millis(t.ticks().saturating_sub(self.now().ticks()))
                });
            let msg = match rx.recv_timeout(wait.min(StdDuration::from_secs(1))) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            match msg {
                Msg::Rx { ch, bytes } => {
                    let now = self.now();
                    self.engine
                        .handle_received(concentrator_core::ChannelId(ch), &bytes, now);
                }
                Msg::PortDown { ch, error } => {
                    (self.log)(&format!("channel {ch}: port failed ({error}); reopening"));
                    self.ports.remove(&ch);
                    self.port_errors.insert(ch, format!("down: {error}"));
                }
                Msg::PortUp { ch, port } => {
                    (self.log)(&format!("channel {ch}: port reopened"));
                    self.ports.insert(ch, port);
                    self.port_errors.remove(&ch);
                }
                Msg::Request { req, who, reply } => self.on_request(req, &who, reply),
                Msg::ErcLog { reply } => {
                    let _ = reply.send(self.ercs.clone());
                }
                Msg::Stop => {
                    self.keep_alive(true);
                    return;
                }
            }
        }
    }

    /// Write a request; a port that is down loses it (the engine's timeout and retries
    /// treat it as unanswered).
    fn send(&mut self, ch: u8, baud: u32, bytes: &[u8]) {
        let Some(port) = self.ports.get_mut(&ch) else {
            return;
        };
        if port.baud_rate().is_ok_and(|b| b != baud) {
            let _ = port.set_baud_rate(baud);
        }
        if let Err(e) = port.write_all(bytes).and_then(|()| port.flush()) {
            (self.log)(&format!("channel {ch}: write failed: {e}"));
        }
    }

    /// Writes the last-alive time every [`ALIVE_EVERY_S`], or now when `force`d (a clean
    /// stop): the power-off time of ERC14.
    fn keep_alive(&mut self, force: bool) {
        let every = StdDuration::from_secs(ALIVE_EVERY_S.unsigned_abs());
        if !force && self.alive_at.elapsed() < every {
            return;
        }
        self.alive_at = StdInstant::now();
        let wall = self.wall();
        let r = self.ercs.lock().map(|l| l.alive(wall));
        if let Ok(Err(e)) = r {
            (self.log)(&format!("last-alive time not stored: {e}"));
        }
    }

    fn on_event(&mut self, e: &Event) {
        let j = event_json(e);
        (self.log)(&format!("stored {j}"));
        // The ERC record the event raises (ERC31 reading failure, ERC12 meter clock).
        let r = self
            .ercs
            .lock()
            .map(|mut l| l.record_event(e))
            .map_err(|_| ());
        match r {
            Ok(Some(Ok((rec, class, ptr)))) => {
                (self.log)(&format!("event ERC{} stored: {class:?} {ptr}", rec.erc));
            }
            Ok(Some(Err(err))) => (self.log)(&format!("event not stored: {err}")),
            Ok(None) => {}
            Err(_) => (self.log)("event log lock poisoned"),
        }
        match e.kind {
            EventKind::Reading(r) => {
                // Readings of a command come before its result; the engine does not tag them
                // with the command, so they go to the pending read of that meter and item.
                let item = item_name(r.item);
                for (_, rs) in self.commands.values_mut() {
                    let marker = rs.first();
                    let same_meter = marker.and_then(|x| x.get("meter")).and_then(Json::as_u64)
                        == Some(u64::from(r.meter));
                    let same_item = marker.and_then(|x| x.get("item")).and_then(Json::as_str)
                        == Some(item.as_str());
                    if same_meter && same_item {
                        rs.push(j.clone());
                    }
                }
                self.round_progress(r.meter, &j);
            }
            EventKind::CommandResult { id, .. } => {
                if let Some((reply, rs)) = self.commands.remove(&id) {
                    let readings: Vec<Json> = rs.into_iter().skip(1).collect();
                    let _ = reply.send(final_answer(json!({
                        "ok": true, "result": j, "readings": readings,
                    })));
                }
            }
            EventKind::ForwardResult { id, outcome, .. } => {
                if let Some((reply, _)) = self.commands.remove(&id) {
                    let bytes = self.engine.forward_reply(id).unwrap_or_default();
                    let _ = reply.send(final_answer(json!({
                        "ok": true, "result": j, "done": outcome == Outcome::Done,
                        "reply": crate::cli::hex(bytes),
                    })));
                }
            }
            EventKind::Alarm(_) | EventKind::ClockSet { .. } => {
                if let Some(m) = e.meter() {
                    self.round_progress(m, &j);
                }
            }
            EventKind::RoundStats {
                task,
                channel: None,
                ..
            } => {
                self.last_rounds
                    .retain(|x| x.get("task") != Some(&Json::from(task_name(task))));
                self.last_rounds.push(j.clone());
                let (done, keep): (Vec<RoundWait>, Vec<RoundWait>) =
                    std::mem::take(&mut self.rounds)
                        .into_iter()
                        .partition(|w| w.task == task);
                self.rounds = keep;
                for w in done {
                    let _ = w.reply.send(final_answer(json!({"ok": true, "result": j})));
                }
            }
            _ => {}
        }
    }

    fn round_progress(&mut self, meter: u16, j: &Json) {
        for w in &mut self.rounds {
            if w.seen.insert(meter) {
                let _ = w.reply.send(json!({
                    "progress": {"task": task_name(w.task), "done": w.seen.len(), "total": w.total},
                    "event": j,
                }));
            }
        }
    }

    /// The concentrator's calendar time now.
    fn wall(&self) -> DateTime {
        self.clock.wall()
    }

    fn refuse(reply: &Sender<Json>, e: impl std::fmt::Display) {
        let _ = reply.send(final_answer(json!({"ok": false, "error": e.to_string()})));
    }

    fn on_request(&mut self, req: Request, who: &str, reply: Sender<Json>) {
        let wall = self.wall();
        let what = format!("{req:?}");
        if !matches!(
            req,
            Request::Status | Request::Export { .. } | Request::QueryArchive { .. }
        ) && let Err(e) = self.engine.store().audit(wall, who, &what)
        {
            (self.log)(&format!("audit log refused: {e}"));
        }
        match req {
            Request::Read { meter, item } => {
                match self.engine.read_now(meter, item, Origin::Local) {
                    Ok(id) => {
                        // The first element is a marker naming the meter and item.
                        self.commands.insert(
                            id,
                            (
                                reply,
                                vec![json!({"meter": meter, "item": item_name(item)})],
                            ),
                        );
                    }
                    Err(e) => Self::refuse(&reply, e),
                }
            }
            Request::Switch { meter, action } => {
                // The command is valid for ten minutes of meter time.
                let until = wall.add_seconds(600).unwrap_or(wall);
                match self.engine.switch(meter, action, until, Origin::Local) {
                    Ok(id) => {
                        self.commands
                            .insert(id, (reply, vec![json!({"meter": meter})]));
                    }
                    Err(e) => Self::refuse(&reply, e),
                }
            }
            Request::Round(task) => {
                let total = self
                    .engine
                    .archive()
                    .iter()
                    .filter(|m| match task {
                        Task::LoadCurve => true,
                        Task::ClockSync => {
                            m.reads.contains(concentrator_core::ReadSet::CLOCK_CHECK)
                        }
                        Task::DailyFrozen => {
                            m.reads.contains(concentrator_core::ReadSet::DAILY_FROZEN)
                        }
                        Task::Monthly => m.reads.contains(concentrator_core::ReadSet::MONTHLY),
                    })
                    .count();
                self.engine.start_round(task);
                self.rounds.push(RoundWait {
                    task,
                    reply,
                    seen: BTreeSet::new(),
                    total,
                });
            }
            Request::Status => {
                let channels: Vec<Json> = self
                    .cfg
                    .channels
                    .iter()
                    .map(|c| {
                        json!({
                            "channel": c.id.0, "kind": kind_name(c.kind), "device": c.device,
                            "baud": c.line.baud, "busy": self.engine.is_busy(c.id),
                            "paused": self.engine.is_paused(c.id),
                            "port": self.port_errors.get(&c.id.0).cloned().unwrap_or_else(|| "open".to_string()),
                            "meters": self.engine.archive().iter().filter(|m| m.channel == c.id).count(),
                        })
                    })
                    .collect();
                let counts = self.engine.store().counts().unwrap_or_default();
                let k = self.engine.counters();
                let _ = reply.send(final_answer(json!({
                    "ok": true,
                    "time": wall.to_string(),
                    "storage": self.cfg.storage.display().to_string(),
                    "meters": self.engine.archive().len(),
                    "channels": channels,
                    "store": {"records": counts.0, "readings": counts.1, "unforwarded": counts.2, "audit": counts.3},
                    "last_rounds": self.last_rounds,
                    "counters": {"requests": k.requests, "retries": k.retries, "stray_bytes": k.stray_bytes, "ignored_frames": k.ignored_frames},
                })));
            }
            Request::SetClock(to) => {
                let adjust = self.clock.adjust_s.load(Ordering::Relaxed)
                    + (to.seconds_since_2000() - wall.seconds_since_2000());
                match self
                    .engine
                    .store()
                    .set_setting(CLOCK_ADJUST, &adjust.to_string())
                {
                    Ok(()) => {
                        self.clock.adjust_s.store(adjust, Ordering::Relaxed);
                        (self.log)(&format!(
                            "clock set to {to} by {who} (was {wall}; {adjust:+} s over the system clock)"
                        ));
                        let _ = reply.send(final_answer(json!({"ok": true, "adjust_s": adjust})));
                    }
                    Err(e) => Self::refuse(&reply, format!("store: {e}")),
                }
            }
            Request::Forward {
                channel,
                frame,
                baud,
                timeout_ms,
            } => {
                let timeout = concentrator_core::Duration::millis(timeout_ms);
                match self
                    .engine
                    .forward(channel, &frame, baud, timeout, Origin::Master)
                {
                    // No marker: a forward collects no readings (its answer is the reply frame).
                    Ok(id) => {
                        self.commands.insert(id, (reply, Vec::new()));
                    }
                    Err(e) => Self::refuse(&reply, e),
                }
            }
            Request::Pause { channel, paused } => match self.engine.set_paused(channel, paused) {
                Ok(()) => {
                    (self.log)(&format!(
                        "channel {}: scheduled reading {} by {who}",
                        channel.0,
                        if paused { "paused" } else { "resumed" }
                    ));
                    let _ = reply.send(final_answer(json!({"ok": true})));
                }
                Err(e) => Self::refuse(&reply, e),
            },
            Request::SetArchive {
                serial,
                point,
                meter,
                entry,
            } => {
                // The serial held another point before: that point's meter goes (the store keeps
                // one entry per serial, so after a restart it would be gone anyway).
                let moved = self
                    .engine
                    .store()
                    .archive_entry(serial)
                    .ok()
                    .flatten()
                    .map(|r| r.point)
                    .filter(|p| *p != point);
                // Removed first (the meter may keep its address on the same bus), put back if
                // the new entry is refused.
                let old = moved.and_then(|p| self.engine.meter(p).copied());
                if let Some(m) = old {
                    let _ = self.engine.remove_meter(m.archive_no);
                }
                let changed = match meter {
                    Some(m) => put_meter(&mut self.engine, m).map_err(|e| e.to_string()),
                    None => match self.engine.remove_meter(point) {
                        Ok(()) | Err(concentrator_core::ArchiveError::NotFound(_)) => Ok(()),
                        Err(e) => Err(e.to_string()),
                    },
                };
                let stored = changed.and_then(|()| {
                    self.engine
                        .store_mut()
                        .put_archive(serial, point, &entry)
                        .map_err(|e| format!("store: {e}"))
                });
                match stored {
                    Ok(()) => {
                        let _ = reply.send(final_answer(json!({"ok": true})));
                    }
                    Err(e) => {
                        if let Some(m) = old {
                            let _ = put_meter(&mut self.engine, m);
                        }
                        (self.log)(&format!(
                            "archive entry {serial} (point {point}) refused: {e}"
                        ));
                        Self::refuse(&reply, e);
                    }
                }
            }
            Request::QueryArchive { serial } => match self.engine.store().archive_entry(serial) {
                Ok(Some(row)) => {
                    let _ = reply.send(final_answer(json!({"ok": true, "entry": row.entry})));
                }
                Ok(None) => Self::refuse(&reply, format!("no archive entry {serial}")),
                Err(e) => Self::refuse(&reply, format!("store: {e}")),
            },
            Request::Export { meter } => match self.engine.store().readings(meter) {
                Ok(rows) => {
                    let rows: Vec<Json> = rows
                        .into_iter()
                        .map(|r| {
                            json!({
                                "record": r.record, "meter": r.meter, "item": r.item, "part": r.part,
                                "value": r.value, "unit": r.unit, "meter_time": r.meter_time,
                                "read_at": r.read_at, "quality": r.quality,
                            })
                        })
                        .collect();
                    let _ = reply.send(final_answer(json!({"ok": true, "readings": rows})));
                }
                Err(e) => Self::refuse(&reply, e),
            },
        }
    }
}
