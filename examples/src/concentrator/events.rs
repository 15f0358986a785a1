//! The daemon's event records (Q/GDW 1376.1 ERC, AFN 0E), kept durably in its SQLite store.
//!
//! Two classes, important (read with 0E F1, counted by EC1) and general (0E F2, EC2), each a
//! ring of 256 records numbered by its counter as the standard numbers them: the n-th record
//! of a class (n from 0) has the pointer `n mod 256`, and the counter after it is
//! `(n + 1) mod 256`. So vector U08, the first power-off of a terminal, is reported with
//! EC1 = 1 and pointers pm = 0, pn = 1 (pn exclusive). A query `pm..pn` returns the records
//! `pm, pm+1, … pn−1` (mod 256, so `pm > pn` wraps past 255), notes §2.6.
//!
//! What raises a record:
//! * the core's alarms through `qgdw1376_1::core_map::erc`: a meter silent through a round
//!   (`MeterOffline`) is ERC31 "starts", once until the meter's next good reading, which is
//!   ERC31 "ends" (see [`ErcLog::record_event`]); both carry the meter's last good forward
//!   active total and its read time from the store's readings. A meter clock off by more
//!   than the tolerance (`ClockDrift`) is ERC12 "starts" (the core reports no return to
//!   tolerance, so no "ends");
//! * ERC14, the terminal's power off / on: the daemon writes a last-alive time when it starts
//!   and every minute ([`ALIVE_EVERY_S`]); at the next start it records off = the last-alive
//!   time (so up to a minute early), on = now.
//!
//! ERC13 (meter fault) and ERC33 (status-word change) are not raised: they need the meter's
//! fault counters and its 7 status words, and `concentrator-core` reports neither (its
//! events carry readings, command outcomes with the DL/T 645 error word, and the alarms
//! above). The codec types them (`qgdw1376_1::unit::{MeterFault, StatusChange}`) for when it
//! does.
//!
//! Which ERCs are recorded, and which class a recorded one goes to, is AFN 04 F9's valid and
//! importance flags (bit n−1 = ERCn, `params.rs`), persisted; until the master sets them every
//! ERC is recorded and the classes are [`Classes::default`]. Active reporting (AFN 05 F29 allow
//! / F37 forbid, persisted here) sends important records only, oldest first, each until the
//! master confirms it (at least once: a record is marked reported only on the confirm, so
//! one unconfirmed when the link or the daemon stopped goes again after the next login),
//! with CON as AFN 04 F1's CON flags D2 say (07 until the master sets F1).

use std::path::Path;
use std::sync::{Arc, Mutex};

use concentrator_core::DateTime;
use qgdw1376_1::Ec;
use qgdw1376_1::core_map::minute_time_of;
use qgdw1376_1::unit::{Erc, EventRecord, PowerOffOn};
use rusqlite::{Connection, OptionalExtension, params};

use crate::concentrator::json::time_str;

/// Records in each class's ring (the 1-byte pointers of AFN 0E, notes §4.2).
pub const RING: u64 = 256;

/// How often the daemon writes its last-alive time (the ERC14 power-off time is at most
/// this much early).
pub const ALIVE_EVERY_S: i64 = 60;

/// AFN 04 F1's CON flags until the master sets F1: D2 = event reports want a confirm; the
/// PEP sample of notes §2.6 has 07 (all three classes).
pub const CON_FLAGS: u8 = 0x07;

/// CON flag bit of class-3 (event) reports.
const CON_EVENTS: u8 = 0x04;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS erc (
    class INTEGER NOT NULL,
    ptr INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    erc INTEGER NOT NULL,
    data BLOB NOT NULL,
    at TEXT NOT NULL,
    reported INTEGER NOT NULL DEFAULT 0,
    read INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (class, ptr)
);
CREATE TABLE IF NOT EXISTS erc_state (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
";

/// The two event classes of AFN 0E.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Important events: 0E F1, EC1, reported actively.
    Important,
    /// General events: 0E F2, EC2.
    General,
}

impl Class {
    fn code(self) -> i64 {
        match self {
            Self::Important => 1,
            Self::General => 2,
        }
    }

    fn counter_key(self) -> &'static str {
        match self {
            Self::Important => "count_important",
            Self::General => "count_general",
        }
    }
}

/// Which ERCs are important: bit n−1 set = ERCn is important, as in AFN 04 F9's importance
/// flags (64 bits, ERC1–ERC64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classes(pub u64);

impl Default for Classes {
    /// Important: ERC1 (initialisation / version change), ERC13 (meter fault), ERC14 (power
    /// off/on), ERC21 (terminal fault), ERC31 (reading failure): what stops data reaching the
    /// master. General: everything else, e.g. ERC12 (meter clock) and ERC33 (status word).
    /// This default is the daemon's choice until 04 F9 sets the flags.
    fn default() -> Self {
        let bit = |n: u32| 1u64 << (n - 1);
        Self(bit(1) | bit(13) | bit(14) | bit(21) | bit(31))
    }
}

impl Classes {
    /// The class of ERC `erc`.
    pub fn of(self, erc: u8) -> Class {
        match erc.checked_sub(1) {
            Some(b) if b < 64 && self.0 & (1 << b) != 0 => Class::Important,
            _ => Class::General,
        }
    }
}

/// One stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Its number in its class since the store was made (the pointer is this mod 256).
    pub seq: i64,
    /// Its pointer (0–255).
    pub ptr: u8,
    /// ERC code.
    pub erc: u8,
    /// The Le data bytes.
    pub data: Vec<u8>,
}

impl Stored {
    /// As on the wire: {ERC, Le, data}.
    pub fn wire(&self) -> Vec<u8> {
        let mut v = vec![self.erc, u8::try_from(self.data.len()).unwrap_or(u8::MAX)];
        v.extend_from_slice(&self.data);
        v
    }
}

/// The answer to a query `pm..pn`: the counters and the records actually held, from `pm`
/// on (a pointer never written ends the run, so `pn` may come back smaller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// EC1, EC2 now.
    pub ec: Ec,
    /// First pointer returned.
    pub pm: u8,
    /// One past the last pointer returned (mod 256).
    pub pn: u8,
    /// The records `pm..pn`.
    pub records: Vec<Stored>,
}

/// Why an event could not be stored.
#[derive(Debug)]
pub enum ErcError {
    /// The store refused it.
    Store(rusqlite::Error),
    /// The record does not encode (a time outside 2000–2099).
    Encode {
        /// The ERC.
        erc: u8,
        /// Why.
        what: String,
    },
}

impl std::fmt::Display for ErcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Store(e) => write!(f, "event store: {e}"),
            Self::Encode { erc, what } => write!(f, "ERC{erc} does not encode: {what}"),
        }
    }
}

impl std::error::Error for ErcError {}

impl From<rusqlite::Error> for ErcError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e)
    }
}

/// The event log: its own connection to the daemon's database file.
pub struct ErcLog {
    conn: Connection,
    classes: Classes,
    /// AFN 04 F9's valid flags: bit n−1 set = ERCn is recorded.
    valid: u64,
    /// AFN 04 F1 as the master set it (`None`: never; [`CON_FLAGS`] apply).
    comm: Option<qgdw1376_1::unit::CommParams>,
    /// Cached: whether 05 F29 allowed reporting.
    reporting: bool,
}

/// The event log shared by the engine thread (recording) and the uplink (queries, reports).
pub type SharedErcLog = Arc<Mutex<ErcLog>>;

impl ErcLog {
    /// Opens the tables in the database at `path` (the daemon's `[storage] path`; WAL mode,
    /// `synchronous = FULL` as the rest of the store: a record is on disk when `record`
    /// returned). `classes` applies until the master sets AFN 04 F9; a stored F9 and F1
    /// (`params.rs`) apply at once.
    pub fn open(path: &Path, classes: Classes) -> rusqlite::Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        conn.execute_batch(crate::concentrator::params::SCHEMA)?;
        let stored = |e: crate::concentrator::params::ParamError| {
            rusqlite::Error::ToSqlConversionFailure(Box::new(e))
        };
        let f9 = crate::concentrator::params::load_events(&conn).map_err(stored)?;
        let comm = crate::concentrator::params::load_comm(&conn).map_err(stored)?;
        let mut log = Self {
            conn,
            classes,
            valid: u64::MAX,
            comm,
            reporting: false,
        };
        if let Some(c) = f9 {
            log.apply_events(c);
        }
        log.reporting = log.state("reporting")?.unwrap_or(0) != 0;
        Ok(log)
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub(crate) fn apply_events(&mut self, c: qgdw1376_1::unit::EventConfig) {
        self.valid = c.valid;
        self.classes = Classes(c.important);
    }

    pub(crate) fn apply_comm(&mut self, p: Option<qgdw1376_1::unit::CommParams>) {
        self.comm = p;
    }

    /// AFN 04 F1 as the master last set it (`None`: never).
    pub fn comm_params(&self) -> Option<qgdw1376_1::unit::CommParams> {
        self.comm
    }

    /// The event record configuration in force (AFN 0A F9's answer).
    pub fn event_config(&self) -> qgdw1376_1::unit::EventConfig {
        qgdw1376_1::unit::EventConfig {
            valid: self.valid,
            important: self.classes.0,
        }
    }

    /// Whether ERC `erc` is recorded (AFN 04 F9's valid flags).
    pub fn records(&self, erc: u8) -> bool {
        self.event_config().records(erc)
    }

    /// Into the shared form.
    pub fn shared(self) -> SharedErcLog {
        Arc::new(Mutex::new(self))
    }

    fn state(&self, key: &str) -> rusqlite::Result<Option<i64>> {
        self.conn
            .query_row(
                "SELECT value FROM erc_state WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()
    }

    fn clear_state(&self, key: &str) -> rusqlite::Result<()> {
        self.conn
            .execute("DELETE FROM erc_state WHERE key = ?1", params![key])?;
        Ok(())
    }

    fn set_state(&self, key: &str, value: i64) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO erc_state (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Stores `record` (raised at `at`) in its class's ring; returns the class and pointer.
    pub fn record(
        &mut self,
        record: &EventRecord<'_>,
        at: DateTime,
    ) -> Result<(Class, u8), ErcError> {
        let mut buf = [0u8; 2 + 255];
        let n = record.emit(&mut buf).map_err(|e| ErcError::Encode {
            erc: record.erc,
            what: e.to_string(),
        })?;
        let data = buf.get(2..n).unwrap_or(&[]);
        let class = self.classes.of(record.erc);
        let tx = self.conn.transaction()?;
        let count: i64 = tx
            .query_row(
                "SELECT value FROM erc_state WHERE key = ?1",
                params![class.counter_key()],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        let ptr = count.rem_euclid(RING as i64);
        tx.execute(
            "INSERT OR REPLACE INTO erc (class, ptr, seq, erc, data, at, reported, read)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0)",
            params![class.code(), ptr, count, record.erc, data, time_str(at)],
        )?;
        tx.execute(
            "INSERT INTO erc_state (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![class.counter_key(), count + 1],
        )?;
        tx.commit()?;
        Ok((class, u8::try_from(ptr).unwrap_or(0)))
    }

    /// Stores the ERC record a core event raises (`core_map::erc`), if any.
    ///
    /// ERC31 is kept as the standard's start/end pair rather than one record per failed
    /// round (a dead meter would fill the ring in a few days of 15-minute rounds): the first
    /// `MeterOffline` of a meter records ERC31 "starts" (D15 = 1) and opens the failure
    /// (persisted); more while it is open record nothing; the meter's next good reading
    /// records ERC31 "ends" (D15 = 0) and closes it. Both carry the meter's last good
    /// forward active total and its read time from the store (A.14), which the core event
    /// does not; reactive stays "no data" (the daemon does not read it).
    pub fn record_event(
        &mut self,
        event: &concentrator_core::Event,
    ) -> Option<Result<(EventRecord<'static>, Class, u8), ErcError>> {
        use concentrator_core::{Alarm, EventKind, Quality};
        let open = |m: u16| format!("erc31_open:{m}");
        if matches!(
            event.kind,
            EventKind::Reading(_) | EventKind::Alarm(Alarm::MeterOffline { .. })
        ) && !self.records(31)
        {
            // ERC31 not recorded (04 F9): no start/end pair is opened either.
            return None;
        }
        let mut rec = match event.kind {
            EventKind::Reading(r) if r.quality == Quality::Good => {
                match self.state(&open(r.meter)) {
                    Ok(Some(_)) => {}
                    Ok(None) => return None,
                    Err(e) => return Some(Err(e.into())),
                }
                if let Err(e) = self.clear_state(&open(r.meter)) {
                    return Some(Err(e.into()));
                }
                EventRecord {
                    erc: 31,
                    body: Erc::ReadingFailure(qgdw1376_1::unit::ReadingFailure {
                        time: minute_time_of(event.at)?,
                        point: qgdw1376_1::unit::PointFlag(r.meter & 0x0FFF),
                        last_success: None,
                        forward_active: None,
                        forward_reactive: None,
                    }),
                }
            }
            EventKind::Alarm(Alarm::MeterOffline { meter, .. }) => {
                match self.state(&open(meter)) {
                    Ok(Some(_)) => return None,
                    Ok(None) => {}
                    Err(e) => return Some(Err(e.into())),
                }
                if let Err(e) = self.set_state(&open(meter), 1) {
                    return Some(Err(e.into()));
                }
                qgdw1376_1::core_map::erc(event)?
            }
            _ => qgdw1376_1::core_map::erc(event)?,
        };
        if !self.records(rec.erc) {
            return None;
        }
        if let (Erc::ReadingFailure(f), Some(meter)) = (&mut rec.body, event.meter())
            && let Ok(Some((at, value))) = self.last_good_energy(meter)
        {
            f.last_success = minute_time_of(at);
            f.forward_active = qgdw1376_1::core_map::decimal_to_quantity(
                value,
                qgdw1376_1::value::A14,
                qgdw1376_1::value::Unit::KiloWattHour,
            );
        }
        Some(
            self.record(&rec, event.at)
                .map(|(class, ptr)| (rec, class, ptr)),
        )
    }

    /// The meter's last good forward active total (read time, kWh) in the store's readings.
    fn last_good_energy(
        &self,
        meter: u16,
    ) -> rusqlite::Result<Option<(DateTime, concentrator_core::Decimal)>> {
        let row: Option<(String, i64, i64)> = self
            .conn
            .query_row(
                "SELECT read_at, mantissa, exponent FROM readings
                 WHERE meter = ?1 AND item = 'energy_import' AND part = 0 AND quality = 'good'
                   AND unit = 'kWh' AND mantissa IS NOT NULL
                 ORDER BY record DESC LIMIT 1",
                params![meter],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        Ok(row.and_then(|(at, m, e)| {
            Some((
                crate::concentrator::json::parse_time(&at)?,
                concentrator_core::Decimal::new(m, i8::try_from(e).ok()?),
            ))
        }))
    }

    /// EC1 and EC2: each class's record count mod 256.
    pub fn counters(&self) -> rusqlite::Result<Ec> {
        let ec = |c: Class| -> rusqlite::Result<u8> {
            let n = self.state(c.counter_key())?.unwrap_or(0);
            Ok(u8::try_from(n.rem_euclid(RING as i64)).unwrap_or(0))
        };
        Ok(Ec {
            important: ec(Class::Important)?,
            general: ec(Class::General)?,
        })
    }

    fn row(&self, class: Class, ptr: u8) -> rusqlite::Result<Option<Stored>> {
        self.conn
            .query_row(
                "SELECT seq, erc, data FROM erc WHERE class = ?1 AND ptr = ?2",
                params![class.code(), ptr],
                |r| {
                    Ok(Stored {
                        seq: r.get(0)?,
                        ptr,
                        erc: r.get(1)?,
                        data: r.get(2)?,
                    })
                },
            )
            .optional()
    }

    /// The records `pm..pn` of `class` (pn exclusive, wrapping past 255): pointers never
    /// written before the first held one are skipped, the run ends at the next one not held.
    /// The records returned count as read by the master (they no longer raise ACD).
    pub fn query(&mut self, class: Class, pm: u8, pn: u8) -> rusqlite::Result<Window> {
        let ec = self.counters()?;
        let mut records = Vec::new();
        let mut start = None;
        for k in 0..pn.wrapping_sub(pm) {
            let ptr = pm.wrapping_add(k);
            match self.row(class, ptr)? {
                Some(r) => {
                    start.get_or_insert(ptr);
                    records.push(r);
                }
                None if start.is_some() => break,
                None => {}
            }
        }
        let pm = start.unwrap_or(pn);
        let count = u8::try_from(records.len()).unwrap_or(u8::MAX);
        let tx = self.conn.transaction()?;
        for r in &records {
            tx.execute(
                "UPDATE erc SET read = 1 WHERE class = ?1 AND ptr = ?2",
                params![class.code(), r.ptr],
            )?;
        }
        tx.commit()?;
        Ok(Window {
            ec,
            pm,
            pn: pm.wrapping_add(count),
            records,
        })
    }

    /// `Some(EC)` while an important record has been neither confirmed in a report nor sent
    /// in a 0E F1 reply: the session then sets ACD = 1 and appends EC (notes §2.1).
    pub fn attention(&self) -> rusqlite::Result<Option<Ec>> {
        let waiting: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM erc WHERE class = 1 AND reported = 0 AND read = 0)",
            [],
            |r| r.get(0),
        )?;
        if waiting {
            self.counters().map(Some)
        } else {
            Ok(None)
        }
    }

    /// The oldest important record not yet confirmed by the master, when reporting is
    /// allowed.
    pub fn next_unreported(&self) -> rusqlite::Result<Option<Stored>> {
        if !self.reporting {
            return Ok(None);
        }
        self.conn
            .query_row(
                "SELECT seq, ptr, erc, data FROM erc WHERE class = 1 AND reported = 0
                 ORDER BY seq LIMIT 1",
                [],
                |r| {
                    Ok(Stored {
                        seq: r.get(0)?,
                        ptr: r.get(1)?,
                        erc: r.get(2)?,
                        data: r.get(3)?,
                    })
                },
            )
            .optional()
    }

    /// The master confirmed the report of the important record number `seq` (by number,
    /// not pointer: the ring may have wrapped meanwhile, and then nothing is marked).
    pub fn mark_reported(&mut self, seq: i64) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE erc SET reported = 1 WHERE class = 1 AND seq = ?1",
            params![seq],
        )?;
        Ok(())
    }

    /// 05 F29 (`true`) / F37 (`false`); kept across restarts.
    pub fn set_reporting(&mut self, allow: bool) -> rusqlite::Result<()> {
        self.set_state("reporting", i64::from(allow))?;
        self.reporting = allow;
        Ok(())
    }

    /// Writes a line to the store's audit log (the table `SqliteStore` keeps).
    pub fn audit(&self, at: DateTime, who: &str, what: &str) -> rusqlite::Result<()> {
        crate::concentrator::store::insert_audit(&self.conn, at, who, what)
    }

    /// Whether active reporting is allowed (05 F29 last; forbidden until the master allows).
    pub fn reporting(&self) -> bool {
        self.reporting
    }

    /// Whether event reports ask for a confirm: D2 of AFN 04 F1's CON flags (as the master
    /// set them, else [`CON_FLAGS`]).
    pub fn report_con(&self) -> bool {
        self.comm.map_or(CON_FLAGS, |p| p.confirm.bits()) & CON_EVENTS != 0
    }

    /// The daemon is alive at `now`.
    pub fn alive(&self, now: DateTime) -> rusqlite::Result<()> {
        self.set_state("last_alive", now.seconds_since_2000())
    }

    /// The daemon starts at `now`: after an earlier run, ERC14 with power off = the last
    /// time it was alive and power on = `now`. Returns where it went.
    pub fn power_on(&mut self, now: DateTime) -> Result<Option<(Class, u8)>, ErcError> {
        let last = self
            .state("last_alive")?
            .and_then(DateTime::from_seconds_since_2000);
        self.alive(now)?;
        let Some(off) = last.filter(|_| self.records(14)) else {
            return Ok(None);
        };
        let rec = EventRecord {
            erc: 14,
            body: Erc::PowerOffOn(PowerOffOn {
                off: minute_time_of(off),
                on: minute_time_of(now),
            }),
        };
        self.record(&rec, now).map(Some)
    }
}

/// Data-unit bytes per reply frame the uplink session splits at (its `Config::new` default,
/// which `uplink::spawn` keeps): a long 0E F1/F2 answer is cut into groups this long at
/// most, one frame each.
pub const UNITS_PER_FRAME: usize = 1024;

/// How often the uplink looks for a record to report and for the counters of ACD.
const LOOK_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Whether [`LOOK_EVERY`] has passed since `last` (then `last` is now).
fn due(last: &mut Option<std::time::Instant>) -> bool {
    if last.is_some_and(|t| t.elapsed() < LOOK_EVERY) {
        return false;
    }
    *last = Some(std::time::Instant::now());
    true
}

/// The uplink's side of the event log: answers 0E F1/F2 and 05 F29/F37, hands the session
/// the next report and the counters for ACD, and marks a record reported on the confirm.
/// It asks the engine thread for the shared log the first time it needs it.
pub struct EventsLink {
    tx: std::sync::mpsc::Sender<crate::concentrator::daemon::Msg>,
    log: Option<SharedErcLog>,
    /// The record whose report waits for the master's confirm.
    in_flight: Option<i64>,
    /// A report was denied: none until the next login.
    paused: bool,
    /// When the log was last asked for a record to report, and for the counters.
    looked: Option<std::time::Instant>,
    counted: Option<std::time::Instant>,
    counters: Option<Ec>,
}

impl EventsLink {
    /// A link asking the engine queue `tx` for the log.
    pub fn new(tx: std::sync::mpsc::Sender<crate::concentrator::daemon::Msg>) -> Self {
        Self {
            tx,
            log: None,
            in_flight: None,
            paused: false,
            looked: None,
            counted: None,
            counters: None,
        }
    }

    /// A link on a log already open (no engine thread to ask).
    pub fn with_log(
        tx: std::sync::mpsc::Sender<crate::concentrator::daemon::Msg>,
        log: SharedErcLog,
    ) -> Self {
        Self {
            log: Some(log),
            ..Self::new(tx)
        }
    }

    /// The shared log, asked of the engine thread the first time.
    pub fn log(&mut self) -> Option<SharedErcLog> {
        if self.log.is_none() {
            let (reply, rx) = std::sync::mpsc::channel();
            self.tx
                .send(crate::concentrator::daemon::Msg::ErcLog { reply })
                .ok()?;
            self.log = rx.recv_timeout(std::time::Duration::from_secs(10)).ok();
        }
        self.log.clone()
    }

    /// Answers 0E F1 (`important`) / F2 for `pm..pn`: one group per [`UNITS_PER_FRAME`]
    /// bytes of records, each with EC1 EC2 and the pointers of the records it holds, so the
    /// session sends a long answer as a multi-frame reply. `Err` says why it cannot.
    pub fn answer(
        &mut self,
        important: bool,
        pm: u8,
        pn: u8,
        reply: &mut qgdw1376_1::session::Reply<'_>,
    ) -> Result<(), String> {
        use qgdw1376_1::unit::{Data, Events, Records};
        let log = self.log().ok_or("the event log is not available")?;
        let class = if important {
            Class::Important
        } else {
            Class::General
        };
        let w = log
            .lock()
            .map_err(|_| "event log lock poisoned".to_string())?
            .query(class, pm, pn)
            .map_err(|e| e.to_string())?;
        let da = qgdw1376_1::Da::P0;
        let dt = qgdw1376_1::Dt::function(if important { 1 } else { 2 }).ok_or("no such Fn")?;
        // DA DT (4) + EC1 EC2 pm pn (4) + the records.
        let mut push = |from: u8, wire: &[u8], n: usize| {
            let ev = Events {
                ec1: w.ec.important,
                ec2: w.ec.general,
                pm: from,
                pn: from.wrapping_add(u8::try_from(n).unwrap_or(0)),
                records: Records::Wire(wire),
            };
            reply
                .push(da, dt, &[Data::Events(ev)])
                .map_err(|e| e.to_string())
        };
        let mut wire = Vec::new();
        let (mut from, mut n) = (w.pm, 0usize);
        for r in &w.records {
            let rec = r.wire();
            if n > 0 && 8 + wire.len() + rec.len() > UNITS_PER_FRAME {
                push(from, &wire, n)?;
                wire.clear();
                from = r.ptr;
                n = 0;
            }
            wire.extend_from_slice(&rec);
            n += 1;
        }
        push(from, &wire, n)
    }

    /// 05 F29 (`true`) / F37 from `who` at `at`; persisted and written to the store's
    /// audit log as the daemon's other state-changing commands are.
    pub fn set_reporting(&mut self, allow: bool, at: DateTime, who: &str) -> Result<(), String> {
        let log = self.log().ok_or("the event log is not available")?;
        let mut l = log
            .lock()
            .map_err(|_| "event log lock poisoned".to_string())?;
        l.audit(at, who, &format!("Reporting {{ allow: {allow} }}"))
            .map_err(|e| e.to_string())?;
        l.set_reporting(allow).map_err(|e| e.to_string())?;
        self.looked = None;
        self.counted = None;
        Ok(())
    }

    /// The next active report: the oldest unconfirmed important record as a 0E F1 group
    /// (pm = its pointer, pn = pm + 1, EC now, the shape of vector U08) and whether it wants
    /// a confirm ([`CON_FLAGS`]). Asked by the client while no report waits.
    pub fn poll_report(&mut self) -> Option<(Vec<u8>, bool)> {
        use qgdw1376_1::unit::{Data, Events, Records, emit_group};
        self.in_flight = None;
        if self.paused || !due(&mut self.looked) {
            return None;
        }
        let log = self.log()?;
        let mut l = log.lock().ok()?;
        let rec = l.next_unreported().ok()??;
        let ec = l.counters().ok()?;
        let con = l.report_con();
        let wire = rec.wire();
        let ev = Events {
            ec1: ec.important,
            ec2: ec.general,
            pm: rec.ptr,
            pn: rec.ptr.wrapping_add(1),
            records: Records::Wire(&wire),
        };
        let mut units = vec![0u8; 8 + wire.len()];
        let n = emit_group(
            &mut units,
            qgdw1376_1::Da::P0,
            qgdw1376_1::Dt::function(1)?,
            &[Data::Events(ev)],
        )
        .ok()?;
        units.truncate(n);
        if con {
            self.in_flight = Some(rec.seq);
        } else {
            // No confirm asked: sent is reported.
            l.mark_reported(rec.seq).ok()?;
            self.looked = None;
        }
        Some((units, con))
    }

    /// EC while important events wait to be read (ACD = 1), looked up every 250 ms.
    pub fn counters(&mut self) -> Option<Ec> {
        if due(&mut self.counted) {
            let log = self.log()?;
            self.counters = log.lock().ok()?.attention().ok()?;
        }
        self.counters
    }

    /// What the session said: a confirm marks the record reported; a denial stops reports
    /// until the next login.
    pub fn on_session_event(&mut self, e: &qgdw1376_1::session::Event) -> Option<String> {
        use qgdw1376_1::session::Event;
        match e {
            Event::ReportConfirmed { .. } => {
                let seq = self.in_flight.take()?;
                let log = self.log()?;
                let r = log.lock().ok()?.mark_reported(seq);
                self.looked = None;
                self.counted = None;
                r.err()
                    .map(|e| format!("event {seq} not marked reported: {e}"))
            }
            Event::ReportDenied { .. } => {
                self.in_flight = None;
                self.paused = true;
                Some("the master denied an event report; none until the next login".into())
            }
            Event::ReportAbandoned { .. } => {
                self.in_flight = None;
                None
            }
            Event::LoggedIn => {
                self.paused = false;
                self.looked = None;
                None
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qgdw1376_1::unit::{MeterClock, PointFlag, ReadingFailure};
    use qgdw1376_1::value::MinuteTime;

    fn t(min: u8) -> DateTime {
        DateTime::new(2026, 12, 5, 10, min, 0).unwrap()
    }

    fn failure(meter: u16, min: u8) -> EventRecord<'static> {
        EventRecord {
            erc: 31,
            body: Erc::ReadingFailure(ReadingFailure {
                time: minute_time_of(t(min)).unwrap(),
                point: PointFlag(0x8000 | meter),
                last_success: None,
                forward_active: None,
                forward_reactive: None,
            }),
        }
    }

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("erc-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("e.db")
    }

    #[test]
    fn classes_follow_the_f9_bits() {
        let c = Classes::default();
        assert_eq!(c.of(31), Class::Important);
        assert_eq!(c.of(14), Class::Important);
        assert_eq!(c.of(12), Class::General);
        assert_eq!(c.of(33), Class::General);
        assert_eq!(c.of(0), Class::General);
        assert_eq!(c.of(200), Class::General);
        assert_eq!(Classes(1 << 11).of(12), Class::Important);
    }

    #[test]
    fn pointers_count_as_u08_and_wrap_around_the_ring() {
        let path = temp("ring");
        let mut log = ErcLog::open(&path, Classes::default()).unwrap();
        assert_eq!(log.query(Class::Important, 0, 5).unwrap().records, vec![]);
        // The first record: pointer 0, EC1 1 (vector U08: EC1 1, pm 0, pn 1).
        assert_eq!(
            log.record(&failure(1, 0), t(0)).unwrap(),
            (Class::Important, 0)
        );
        let clock = EventRecord {
            erc: 12,
            body: Erc::MeterClock(MeterClock {
                time: minute_time_of(t(1)).unwrap(),
                point: PointFlag(0x8002),
            }),
        };
        assert_eq!(log.record(&clock, t(1)).unwrap(), (Class::General, 0));
        let w = log.query(Class::Important, 0, 1).unwrap();
        assert_eq!(
            (w.ec.important, w.ec.general, w.pm, w.pn, w.records.len()),
            (1, 1, 0, 1, 1)
        );
        assert_eq!(
            EventRecord::from_data(31, &w.records[0].data).unwrap(),
            failure(1, 0)
        );
        // 299 more: the ring holds the last 256, pointers 0..=43 were overwritten once.
        for i in 1..300u16 {
            log.record(&failure(i, (i % 60) as u8), t(0)).unwrap();
        }
        let ec = log.counters().unwrap();
        assert_eq!((ec.important, ec.general), ((300 % 256) as u8, 1));
        // pm > pn wraps: 250..=255 then 0..=3.
        let w = log.query(Class::Important, 250, 4).unwrap();
        assert_eq!((w.pm, w.pn, w.records.len()), (250, 4, 10));
        let points: Vec<u16> = w
            .records
            .iter()
            .map(
                |r| match EventRecord::from_data(r.erc, &r.data).unwrap().body {
                    Erc::ReadingFailure(f) => f.point.point(),
                    _ => panic!(),
                },
            )
            .collect();
        // Pointer 250 holds record 250; pointer 0 holds record 256 (the wrap).
        assert_eq!(
            points,
            vec![250, 251, 252, 253, 254, 255, 256, 257, 258, 259]
        );
        // General class: one record; a query past it ends the run there.
        let w = log.query(Class::General, 0, 10).unwrap();
        assert_eq!((w.pm, w.pn, w.records.len()), (0, 1, 1));
        // pm == pn asks for nothing.
        assert!(
            log.query(Class::Important, 7, 7)
                .unwrap()
                .records
                .is_empty()
        );
        drop(log);
        // Durable: reopened, the counters and records are the same.
        let mut log = ErcLog::open(&path, Classes::default()).unwrap();
        assert_eq!(log.counters().unwrap(), ec);
        assert_eq!(
            log.query(Class::Important, 43, 45).unwrap().records.len(),
            2
        );
    }

    #[test]
    fn reporting_is_persisted_and_only_confirmed_records_leave_the_queue() {
        let path = temp("report");
        let mut log = ErcLog::open(&path, Classes::default()).unwrap();
        log.record(&failure(1, 0), t(0)).unwrap();
        log.record(&failure(2, 1), t(1)).unwrap();
        // Forbidden by default: nothing to report, but ACD is raised.
        assert!(!log.reporting());
        assert_eq!(log.next_unreported().unwrap(), None);
        assert_eq!(log.attention().unwrap().map(|e| e.important), Some(2));
        log.set_reporting(true).unwrap();
        let first = log.next_unreported().unwrap().unwrap();
        assert_eq!(first.ptr, 0);
        // Not confirmed: offered again (also after a reopen).
        drop(log);
        let mut log = ErcLog::open(&path, Classes::default()).unwrap();
        assert!(log.reporting());
        assert_eq!(log.next_unreported().unwrap().unwrap().ptr, 0);
        log.mark_reported(0).unwrap();
        assert_eq!(log.next_unreported().unwrap().unwrap().ptr, 1);
        log.mark_reported(1).unwrap();
        assert_eq!(log.next_unreported().unwrap(), None);
        assert_eq!(log.attention().unwrap(), None);
        // A record read by a 0E F1 query no longer raises ACD (but is still reported).
        log.record(&failure(3, 2), t(2)).unwrap();
        assert!(log.attention().unwrap().is_some());
        log.query(Class::Important, 2, 3).unwrap();
        assert_eq!(log.attention().unwrap(), None);
        assert_eq!(log.next_unreported().unwrap().unwrap().ptr, 2);
        log.set_reporting(false).unwrap();
        assert_eq!(log.next_unreported().unwrap(), None);
    }

    /// The session and the link as the daemon joins them, without the engine.
    struct Join(EventsLink);

    impl qgdw1376_1::session::Handler for Join {
        fn request(
            &mut self,
            request: &qgdw1376_1::FrameRepr<'_>,
            reply: &mut qgdw1376_1::session::Reply<'_>,
        ) -> qgdw1376_1::session::Answer {
            use qgdw1376_1::unit::Data;
            let unit = request.data_units().next().unwrap().unwrap();
            let Ok(Some(Data::EventQuery { pm, pn })) = unit.data() else {
                return qgdw1376_1::session::Answer::Deny;
            };
            self.0.answer(unit.fn_number == 1, pm, pn, reply).unwrap();
            qgdw1376_1::session::Answer::Data
        }
    }

    #[test]
    fn a_long_answer_is_split_into_frames_that_keep_the_pointers_contiguous() {
        use qgdw1376_1::session::{Config, Instant, KeyCheck, Terminal};
        use qgdw1376_1::unit::{Data, emit_group};
        use qgdw1376_1::{Address, Afn, Collector, Da, Dt, FrameRepr, Progress, Seq};
        let path = temp("split");
        let mut log = ErcLog::open(&path, Classes::default()).unwrap();
        // 300 ERC31 (23 bytes each): the ring holds 256, pointers 0..=43 written twice.
        for i in 0..300u16 {
            log.record(&failure(i, (i % 60) as u8), t(0)).unwrap();
        }
        let (tx, _rx) = std::sync::mpsc::channel();
        let mut join = Join(EventsLink::with_log(tx, log.shared()));
        let me = Address {
            area: 0x0200,
            terminal: 0x1234,
            master: 0,
            group: false,
        };
        let at = Instant::from_ticks;
        let mut s: Box<Terminal<KeyCheck, 16384>> =
            Box::new(Terminal::with_key(Config::new(me), [0; 16], at(0)));
        s.poll(at(0));
        s.connected(at(0));
        while s.poll_transmit().is_some() {}
        let mut c = [0u8; 32];
        let n = FrameRepr::link_confirm(me, 1).emit(&mut c).unwrap();
        s.receive(at(1), &c[..n], &mut join).unwrap();
        // 0E F1 pm = 44, pn = 43: 255 records, from the oldest held on, wrapping past 255.
        let mut units = [0u8; 8];
        let dt = Dt::function(1).unwrap();
        let q = [Data::EventQuery { pm: 44, pn: 43 }];
        let len = emit_group(&mut units, Da::P0, dt, &q).unwrap();
        let req = FrameRepr::request(
            Address { master: 1, ..me },
            Afn::Class3,
            11,
            Seq::single(5, false),
            &units[..len],
        );
        let mut bytes = vec![0u8; req.buffer_len()];
        req.emit(&mut bytes).unwrap();
        s.receive(at(2), &bytes, &mut join).unwrap();
        let frames: Vec<Vec<u8>> =
            std::iter::from_fn(|| s.poll_transmit().map(<[u8]>::to_vec)).collect();
        // 255 × 23 bytes of records: at most 1024 data-unit bytes a frame, so 6 frames.
        assert_eq!(frames.len(), 6);
        let mut collector = Collector::new();
        let mut next = 44u8;
        let mut points = Vec::new();
        for (i, f) in frames.iter().enumerate() {
            let r = FrameRepr::parse_bytes(f).unwrap();
            assert!(r.units.len() <= UNITS_PER_FRAME);
            let p = collector.push(r.seq).unwrap();
            assert_eq!(p == Progress::Complete, i == frames.len() - 1);
            let unit = r.data_units().next().unwrap().unwrap();
            let Some(Data::Events(ev)) = unit.data().unwrap() else {
                panic!()
            };
            // Each frame: EC now (300 mod 256 = 44), its own run of pointers.
            assert_eq!((ev.ec1, ev.ec2, ev.pm), (44, 0, next));
            next = ev.pn;
            for rec in ev.records.iter() {
                let Erc::ReadingFailure(f) = rec.body else {
                    panic!()
                };
                points.push(f.point.point());
            }
        }
        assert_eq!(next, 43);
        // Pointer 44 holds record 44 (written once), pointer 0 record 256, 42 record 298.
        let want: Vec<u16> = (44..299).collect();
        assert_eq!(points, want);
    }

    #[test]
    fn erc31_carries_the_last_good_reading_from_the_store() {
        use concentrator_core::{
            Alarm, ChannelId, Decimal, Event, EventKind, Item, Quality, Reading, Store, Unit, Value,
        };
        let path = temp("erc31");
        let mut store = crate::concentrator::store::SqliteStore::open(&path).unwrap();
        let reading = |meter, mantissa, min, quality| Event {
            at: t(min),
            kind: EventKind::Reading(Reading {
                meter,
                item: Item::ActiveEnergyImport { tariff: 0 },
                part: 0,
                value: Value::Number(Decimal::new(mantissa, -2), Unit::KiloWattHour),
                meter_time: None,
                read_at: t(min),
                quality,
            }),
        };
        store
            .append(&reading(2, 123_456, 5, Quality::Good))
            .unwrap();
        store
            .append(&reading(2, 123_499, 6, Quality::Good))
            .unwrap();
        store.append(&reading(3, 1, 7, Quality::Good)).unwrap();
        store.append(&reading(2, 0, 8, Quality::NoAnswer)).unwrap();
        let mut log = ErcLog::open(&path, Classes::default()).unwrap();
        let offline = |meter| Event {
            at: t(9),
            kind: EventKind::Alarm(Alarm::MeterOffline {
                meter,
                channel: ChannelId(0),
            }),
        };
        let (rec, class, ptr) = log.record_event(&offline(2)).unwrap().unwrap();
        assert_eq!((class, ptr), (Class::Important, 0));
        let Erc::ReadingFailure(f) = rec.body else {
            panic!()
        };
        // The last good total: 1234.99 kWh read at 10:06, exactly (A.14: 4 decimals).
        assert_eq!(f.last_success, minute_time_of(t(6)));
        let q = f.forward_active.unwrap();
        assert_eq!((q.mantissa, q.exponent), (12_349_900, -4));
        assert_eq!(f.forward_reactive, None);
        assert_eq!(f.time, minute_time_of(t(9)).unwrap());
        // Stored as built.
        let w = log.query(Class::Important, 0, 1).unwrap();
        assert_eq!(EventRecord::from_data(31, &w.records[0].data).unwrap(), rec);
        assert!(f.point.starts());
        // Still failing in the next rounds: nothing more (the failure is open), also after
        // a reopen.
        assert!(log.record_event(&offline(2)).is_none());
        drop(log);
        let mut log = ErcLog::open(&path, Classes::default()).unwrap();
        assert!(log.record_event(&offline(2)).is_none());
        // A meter never read: no data.
        let (rec, _, _) = log.record_event(&offline(9)).unwrap().unwrap();
        let Erc::ReadingFailure(f) = rec.body else {
            panic!()
        };
        assert_eq!((f.last_success, f.forward_active), (None, None));
        // Readings of a meter with no open failure, and failed readings, raise nothing.
        assert!(
            log.record_event(&reading(3, 1, 10, Quality::Good))
                .is_none()
        );
        assert!(
            log.record_event(&reading(2, 0, 10, Quality::NoAnswer))
                .is_none()
        );
        // Meter 2 answers again: ERC31 "ends" (D15 = 0) with this reading as the last good.
        let back = reading(2, 123_600, 11, Quality::Good);
        store.append(&back).unwrap();
        let (rec, class, ptr) = log.record_event(&back).unwrap().unwrap();
        assert_eq!((class, ptr), (Class::Important, 2));
        let Erc::ReadingFailure(f) = rec.body else {
            panic!()
        };
        assert_eq!((f.point.point(), f.point.starts()), (2, false));
        assert_eq!(f.time, minute_time_of(t(11)).unwrap());
        assert_eq!(f.last_success, minute_time_of(t(11)));
        let q = f.forward_active.unwrap();
        assert_eq!((q.mantissa, q.exponent), (12_360_000, -4));
        // Closed: the next good reading raises nothing, the next failure starts again.
        assert!(log.record_event(&back).is_none());
        let (rec, _, ptr) = log.record_event(&offline(2)).unwrap().unwrap();
        assert_eq!(ptr, 3);
        let Erc::ReadingFailure(f) = rec.body else {
            panic!()
        };
        assert!(f.point.starts());
    }

    #[test]
    fn a_confirm_after_the_ring_wrapped_marks_nothing() {
        let path = temp("wrap");
        let mut log = ErcLog::open(&path, Classes::default()).unwrap();
        log.set_reporting(true).unwrap();
        log.record(&failure(0, 0), t(0)).unwrap();
        let first = log.next_unreported().unwrap().unwrap();
        assert_eq!((first.seq, first.ptr), (0, 0));
        // 256 more while its report waited: pointer 0 now holds record 256.
        for i in 1..=256u16 {
            log.record(&failure(i, 0), t(0)).unwrap();
        }
        log.mark_reported(first.seq).unwrap();
        let next = log.next_unreported().unwrap().unwrap();
        assert_eq!((next.seq, next.ptr), (1, 1));
        for seq in 1..=255 {
            log.mark_reported(seq).unwrap();
        }
        let last = log.next_unreported().unwrap().unwrap();
        assert_eq!((last.seq, last.ptr), (256, 0));
    }

    #[test]
    fn a_restart_records_erc14_from_the_last_alive_time() {
        let path = temp("power");
        let mut log = ErcLog::open(&path, Classes::default()).unwrap();
        // The first start ever: nothing was off.
        assert_eq!(log.power_on(t(0)).unwrap(), None);
        log.alive(t(3)).unwrap();
        drop(log);
        let mut log = ErcLog::open(&path, Classes::default()).unwrap();
        assert_eq!(log.power_on(t(9)).unwrap(), Some((Class::Important, 0)));
        let w = log.query(Class::Important, 0, 1).unwrap();
        let m = |min| MinuteTime {
            year: 26,
            month: 12,
            day: 5,
            hour: 10,
            minute: min,
        };
        assert_eq!(
            EventRecord::from_data(14, &w.records[0].data).unwrap().body,
            Erc::PowerOffOn(PowerOffOn {
                off: Some(m(3)),
                on: Some(m(9)),
            })
        );
    }
}
