//! Results and sessions in SQLite.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use qgdw1376_1::FrameRepr;
use qgdw1376_1::unit::Data;
use rusqlite::{Connection, params};
use serde_json::Value;

use super::command::TerminalId;
use super::render::{erc_json, hex, render_frames};

/// An event record a concentrator reported actively (AFN 0E with PRM = 1). Serialized (the
/// master-station `reports` command) as an object with these field names.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EventRow {
    /// The concentrator.
    pub terminal: String,
    /// 1 important (F1), 2 general (F2).
    pub class: u8,
    /// Its pointer in the concentrator's ring.
    pub ptr: u8,
    /// ERC code.
    pub erc: u8,
    /// The record decoded (see `render::erc_json`).
    pub record: Value,
    /// How many times it arrived (more than 1: a report resent because a confirm was lost).
    pub copies: i64,
}

/// The master station's database.
pub struct Db {
    conn: Connection,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Db {
    /// Opens (creating) the database at `path` (`:memory:` for none on disk).
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS sessions (at_ms INTEGER NOT NULL, terminal TEXT NOT NULL, what TEXT NOT NULL, peer TEXT);
             CREATE TABLE IF NOT EXISTS results (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, terminal TEXT NOT NULL,
                 command TEXT NOT NULL, frames_hex TEXT NOT NULL, decoded_json TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, first_ms INTEGER NOT NULL,
                 last_ms INTEGER NOT NULL, terminal TEXT NOT NULL, class INTEGER NOT NULL,
                 ptr INTEGER NOT NULL, erc INTEGER NOT NULL, record_hex TEXT NOT NULL,
                 record_json TEXT NOT NULL, copies INTEGER NOT NULL DEFAULT 1,
                 UNIQUE (terminal, class, ptr, record_hex));",
        )?;
        // `peer` (the TLS client certificate's subject) came later: add it to older files.
        if conn.prepare("SELECT peer FROM sessions LIMIT 0").is_err() {
            conn.execute_batch("ALTER TABLE sessions ADD COLUMN peer TEXT;")?;
        }
        Ok(Self { conn })
    }

    /// Records a session change (login, logout, disconnected) with the subject of the
    /// concentrator's TLS certificate (`None` over plain TCP).
    pub fn session(&self, t: TerminalId, what: &str, peer: Option<&str>) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO sessions (at_ms, terminal, what, peer) VALUES (?1, ?2, ?3, ?4)",
            params![now_ms(), t.to_string(), what, peer],
        )?;
        Ok(())
    }

    /// Records the reply frames of a command, raw and decoded.
    pub fn result(&self, t: TerminalId, command: &str, frames: &[Vec<u8>]) -> rusqlite::Result<()> {
        let frames_hex: Vec<String> = frames.iter().map(|f| hex(f)).collect();
        self.conn.execute(
            "INSERT INTO results (at_ms, terminal, command, frames_hex, decoded_json) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                now_ms(),
                t.to_string(),
                command,
                frames_hex.join(" "),
                render_frames(frames).to_string()
            ],
        )?;
        Ok(())
    }

    /// Stores the records of an active report (AFN 0E F1/F2 units): one row per record,
    /// keyed by terminal, class, pointer and bytes, so a resent copy counts in `copies`
    /// rather than adding a row. Returns the records in the frame.
    pub fn report(&self, t: TerminalId, frame: &FrameRepr<'_>) -> rusqlite::Result<usize> {
        let now = now_ms();
        let tx = self.conn.unchecked_transaction()?;
        let mut st = tx.prepare_cached(
            "INSERT INTO events (first_ms, last_ms, terminal, class, ptr, erc, record_hex, record_json)
             VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (terminal, class, ptr, record_hex)
             DO UPDATE SET copies = copies + 1, last_ms = excluded.last_ms",
        )?;
        let mut n = 0;
        for unit in frame.data_units().flatten() {
            let Ok(Some(Data::Events(ev))) = unit.data() else {
                continue;
            };
            let class = if unit.fn_number == 1 { 1 } else { 2 };
            for (k, rec) in ev.records.iter().enumerate() {
                let ptr = ev.pm.wrapping_add(u8::try_from(k).unwrap_or(0));
                let mut buf = [0u8; 2 + 255];
                let len = rec.emit(&mut buf).unwrap_or(0);
                let record_hex = hex(buf.get(..len).unwrap_or(&[]));
                st.execute(params![
                    now,
                    t.to_string(),
                    class,
                    ptr,
                    rec.erc,
                    record_hex,
                    erc_json(&rec).to_string()
                ])?;
                n += 1;
            }
        }
        drop(st);
        tx.commit()?;
        Ok(n)
    }

    /// Reported event records (of one terminal or all), in arrival order.
    pub fn events(&self, terminal: Option<TerminalId>) -> rusqlite::Result<Vec<EventRow>> {
        let mut st = self.conn.prepare(
            "SELECT terminal, class, ptr, erc, record_json, copies FROM events
             WHERE ?1 IS NULL OR terminal = ?1 ORDER BY id",
        )?;
        let rows = st.query_map(params![terminal.map(|t| t.to_string())], |r| {
            let json: String = r.get(4)?;
            Ok(EventRow {
                terminal: r.get(0)?,
                class: r.get(1)?,
                ptr: r.get(2)?,
                erc: r.get(3)?,
                record: serde_json::from_str(&json).unwrap_or(Value::Null),
                copies: r.get(5)?,
            })
        })?;
        rows.collect()
    }

    /// Stored results: (terminal, command, decoded JSON), oldest first.
    pub fn results(&self) -> rusqlite::Result<Vec<(String, String, String)>> {
        let mut st = self
            .conn
            .prepare("SELECT terminal, command, decoded_json FROM results ORDER BY id")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect()
    }

    /// Session records: (terminal, what), oldest first.
    pub fn sessions(&self) -> rusqlite::Result<Vec<(String, String)>> {
        Ok(self
            .session_peers()?
            .into_iter()
            .map(|(t, what, _)| (t, what))
            .collect())
    }

    /// Session records with the TLS peer: (terminal, what, certificate subject), oldest first.
    pub fn session_peers(&self) -> rusqlite::Result<Vec<(String, String, Option<String>)>> {
        let mut st = self
            .conn
            .prepare("SELECT terminal, what, peer FROM sessions ORDER BY rowid")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect()
    }
}
