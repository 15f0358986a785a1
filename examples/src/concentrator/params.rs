//! The daemon's terminal parameters set by the master station: AFN 04 F1 (uplink
//! communication parameters) and AFN 04 F9 (event record configuration), read back with
//! AFN 0A F1 / F9 (notes §2.5, §2.6).
//!
//! Both are kept in the daemon's SQLite store (table `uplink_params`, one row per Fn with the
//! unit's wire bytes) through the event log's connection, written to the audit log as the
//! other state-changing commands are, and applied at once and after a restart:
//! * F1: the heartbeat period (minutes) and the confirm timeout (seconds; 0 keeps the
//!   session's 30 s) and retries (login attempts = retries + 1) go to the uplink session;
//!   the CON flags' D2 (class 3) decides whether event reports ask for a confirm. RTS delay
//!   (no radio here) and the allowed delay of the terminal's own frames (they carry no time
//!   label) are kept and read back only.
//! * F9: the valid flags decide which ERCs are recorded at all (a cleared bit: that ERC is
//!   not stored), the importance flags whether a recorded one goes to the important class
//!   (0E F1, EC1, reported actively) or the general one (0E F2, EC2). Records already stored
//!   keep their class.
//!
//! Until the master sets them, 0A F1 / F9 answer the daemon's defaults ([`default_comm`],
//! [`default_events`]).

use concentrator_core::DateTime;
use qgdw1376_1::Direction;
use qgdw1376_1::unit::{CommParams, ConfirmClasses, Data, EventConfig, Layout};
use rusqlite::{Connection, OptionalExtension, params};

use crate::concentrator::events::{CON_FLAGS, Classes, ErcLog};
use crate::concentrator::json::time_str;
use crate::concentrator::store::insert_audit;

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS uplink_params (
    fn INTEGER PRIMARY KEY,
    data BLOB NOT NULL,
    at TEXT NOT NULL
);
";

/// The session's confirm timeout when F1 gives 0 s, and in [`default_comm`]
/// (`qgdw1376_1::session::Config::new`).
pub const DEFAULT_TIMEOUT_S: u16 = 30;
/// The session's login attempts in [`default_comm`] (`Config::new`: 3, so 2 retries).
pub const DEFAULT_RETRIES: u8 = 2;

/// F1 before the master sets it: RTS delay 0, own frames' delay 0 (no limit: they carry no
/// Tp), timeout 30 s and 2 retries (the session's), CON flags [`CON_FLAGS`] and the
/// configured heartbeat in whole minutes, rounded up (F1 counts minutes; a test
/// configuration's `heartbeat_s = 1` reads back as 1).
pub fn default_comm(heartbeat_s: u16) -> CommParams {
    CommParams {
        rts_delay: 0,
        report_delay: 0,
        timeout: DEFAULT_TIMEOUT_S,
        retries: DEFAULT_RETRIES,
        confirm: ConfirmClasses::from_bits_retain(CON_FLAGS),
        heartbeat: u8::try_from(heartbeat_s.div_ceil(60)).unwrap_or(u8::MAX),
    }
}

/// F9 before the master sets it: every ERC recorded, importance as [`Classes::default`].
pub fn default_events() -> EventConfig {
    EventConfig {
        valid: u64::MAX,
        important: Classes::default().0,
    }
}

/// Why a parameter set was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamError {
    /// F1 with heartbeat period 0: the session would beat continuously.
    ZeroHeartbeat,
    /// The unit did not encode or decode (the store's bytes, or a value out of range).
    Unit(String),
    /// The store failed.
    Store(String),
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ZeroHeartbeat => write!(f, "AFN 04 F1: heartbeat period 0 refused"),
            Self::Unit(e) => write!(f, "parameter unit: {e}"),
            Self::Store(e) => write!(f, "store: {e}"),
        }
    }
}

impl std::error::Error for ParamError {}

impl From<rusqlite::Error> for ParamError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.to_string())
    }
}

fn encode(d: &Data<'_>) -> Result<Vec<u8>, ParamError> {
    let mut b = vec![0u8; d.buffer_len()];
    let n = d
        .emit(&mut b)
        .map_err(|e| ParamError::Unit(e.to_string()))?;
    b.truncate(n);
    Ok(b)
}

/// The stored bytes of AFN 04 F`f` decoded as its 0A reply unit (`None`: never set).
fn load<'a>(
    conn: &Connection,
    f: u16,
    buf: &'a mut Vec<u8>,
) -> Result<Option<Data<'a>>, ParamError> {
    let row: Option<Vec<u8>> = conn
        .query_row(
            "SELECT data FROM uplink_params WHERE fn = ?1",
            params![f],
            |r| r.get(0),
        )
        .optional()?;
    let Some(bytes) = row else {
        return Ok(None);
    };
    *buf = bytes;
    let layout = Layout::of(0x0A, Direction::Up, f)
        .ok_or_else(|| ParamError::Unit(format!("F{f} has no layout")))?;
    Data::parse(layout, f, buf)
        .map(Some)
        .map_err(|e| ParamError::Unit(format!("stored F{f}: {e}")))
}

/// The stored F1, if the master set one.
pub(crate) fn load_comm(conn: &Connection) -> Result<Option<CommParams>, ParamError> {
    let mut buf = Vec::new();
    Ok(match load(conn, 1, &mut buf)? {
        Some(Data::CommParams(p)) => Some(p),
        _ => None,
    })
}

/// The stored F9, if the master set one.
pub(crate) fn load_events(conn: &Connection) -> Result<Option<EventConfig>, ParamError> {
    let mut buf = Vec::new();
    Ok(match load(conn, 9, &mut buf)? {
        Some(Data::EventConfig(c)) => Some(c),
        _ => None,
    })
}

/// Stores the unit of F`f` and its audit line in one transaction.
fn save(
    conn: &mut Connection,
    f: u16,
    unit: &Data<'_>,
    at: DateTime,
    who: &str,
    what: &str,
) -> Result<(), ParamError> {
    let bytes = encode(unit)?;
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO uplink_params (fn, data, at) VALUES (?1, ?2, ?3)
         ON CONFLICT (fn) DO UPDATE SET data = excluded.data, at = excluded.at",
        params![f, bytes, time_str(at)],
    )?;
    insert_audit(&tx, at, who, what)?;
    tx.commit()?;
    Ok(())
}

impl ErcLog {
    /// AFN 04 F1 from `who` at `at`: stored, audited, its CON flags used for the next event
    /// report. The caller applies the heartbeat and timing to the session.
    pub fn set_comm_params(
        &mut self,
        p: CommParams,
        at: DateTime,
        who: &str,
    ) -> Result<(), ParamError> {
        if p.heartbeat == 0 {
            return Err(ParamError::ZeroHeartbeat);
        }
        save(
            self.conn_mut(),
            1,
            &Data::CommParams(p),
            at,
            who,
            &format!("SetCommParams({p:?})"),
        )?;
        self.apply_comm(Some(p));
        Ok(())
    }

    /// AFN 04 F9 from `who` at `at`: stored, audited, used for every record from now on.
    pub fn set_event_config(
        &mut self,
        c: EventConfig,
        at: DateTime,
        who: &str,
    ) -> Result<(), ParamError> {
        save(
            self.conn_mut(),
            9,
            &Data::EventConfig(c),
            at,
            who,
            &format!(
                "SetEventConfig {{ valid: {:016X}, important: {:016X} }}",
                c.valid, c.important
            ),
        )?;
        self.apply_events(c);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        let d =
            std::env::temp_dir().join(format!("meterline-params-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&d);
        d
    }

    fn open(path: &std::path::Path) -> ErcLog {
        // The audit table belongs to the daemon's store; open that first as the daemon does.
        crate::concentrator::store::SqliteStore::open(path).unwrap();
        ErcLog::open(path, Classes::default()).unwrap()
    }

    #[test]
    fn f1_and_f9_persist_across_a_reopen_and_are_audited() {
        let path = temp("persist");
        let at = DateTime::new(2026, 12, 5, 4, 0, 0).unwrap();
        {
            let mut log = open(&path);
            assert_eq!(log.comm_params(), None);
            assert_eq!(log.event_config(), default_events());
            assert!(log.report_con());
            let p = CommParams {
                confirm: ConfirmClasses::CLASS1,
                heartbeat: 5,
                ..default_comm(60)
            };
            log.set_comm_params(p, at, "master-station").unwrap();
            assert!(
                !log.report_con(),
                "CON flags without D2: reports unconfirmed"
            );
            let c = EventConfig {
                valid: 1 << 30,
                important: 0,
            };
            log.set_event_config(c, at, "master-station").unwrap();
            let zero = CommParams { heartbeat: 0, ..p };
            assert_eq!(
                log.set_comm_params(zero, at, "master-station"),
                Err(ParamError::ZeroHeartbeat)
            );
        }
        let log = open(&path);
        assert_eq!(
            log.comm_params().map(|p| (p.heartbeat, p.confirm.bits())),
            Some((5, 1))
        );
        assert!(!log.report_con());
        assert_eq!(log.event_config().valid, 1 << 30);
        let audit: Vec<String> = {
            let c = Connection::open(&path).unwrap();
            let mut st = c
                .prepare("SELECT who || ' ' || what FROM audit ORDER BY rowid")
                .unwrap();
            st.query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        assert_eq!(audit.len(), 2, "{audit:?}");
        assert!(audit[0].starts_with("master-station SetCommParams(CommParams { rts_delay: 0"));
        assert_eq!(
            audit[1],
            "master-station SetEventConfig { valid: 0000000040000000, important: 0000000000000000 }"
        );
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn f9_decides_which_ercs_are_kept_and_their_class() {
        use crate::concentrator::events::Class;
        use concentrator_core::{Alarm, ChannelId, Event, EventKind};
        let path = temp("f9");
        let mut log = open(&path);
        let at = |min| DateTime::new(2026, 12, 5, 4, min, 0).unwrap();
        let offline = |meter, min| Event {
            at: at(min),
            kind: EventKind::Alarm(Alarm::MeterOffline {
                meter,
                channel: ChannelId(0),
            }),
        };
        // Default: ERC31 important.
        let (_, class, _) = log.record_event(&offline(1, 0)).unwrap().unwrap();
        assert_eq!(class, Class::Important);
        // ERC31 recorded, general; ERC14 not recorded.
        let c = EventConfig {
            valid: 1 << 30,
            important: 0,
        };
        log.set_event_config(c, at(1), "master-station").unwrap();
        let (rec, class, ptr) = log.record_event(&offline(2, 2)).unwrap().unwrap();
        assert_eq!((rec.erc, class, ptr), (31, Class::General, 0));
        assert_eq!(log.query(Class::General, 0, 1).unwrap().records.len(), 1);
        assert_eq!(
            log.power_on(at(3)).unwrap(),
            None,
            "ERC14 not valid: not kept"
        );
        // ERC31 no longer recorded: a silent meter leaves nothing, opens no failure.
        let c = EventConfig {
            valid: 0,
            important: 0,
        };
        log.set_event_config(c, at(4), "master-station").unwrap();
        assert!(log.record_event(&offline(3, 5)).is_none());
        let ec = log.counters().unwrap();
        assert_eq!((ec.important, ec.general), (1, 1));
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn the_defaults_say_what_the_daemon_does() {
        let p = default_comm(1);
        assert_eq!(
            (p.timeout, p.retries, p.heartbeat, p.confirm.bits()),
            (30, 2, 1, 0x07)
        );
        assert_eq!(default_comm(900).heartbeat, 15);
        let c = default_events();
        assert!((1..=64).all(|e| c.records(e)));
        assert!(c.is_important(31) && c.is_important(14) && !c.is_important(12));
    }
}
