//! The SQLite store: every event the engine appends (readings in their own table too), an
//! audit log of operator and switch actions, and the forwarding state of each record.
//!
//! WAL mode with `synchronous = FULL`: once `append` returned, the record survives a crash or
//! a `kill -9`, so a reading the engine published (it publishes only after the store took it)
//! is never lost. Forwarding marks a record only after the peer acknowledged it.

use std::path::Path;

use concentrator_core::{DateTime, Event, EventKind, RecordId, Store, Value};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value as Json;

use crate::concentrator::json::{
    decimal_str, event_json, item_name, parse_event, quality_name, time_str, unit_name, value_json,
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    meter INTEGER,
    kind TEXT NOT NULL,
    event TEXT NOT NULL,
    forwarded INTEGER NOT NULL DEFAULT 0,
    forward_tries INTEGER NOT NULL DEFAULT 0,
    forwarded_at TEXT
);
CREATE INDEX IF NOT EXISTS records_unforwarded ON records (forwarded, id);
CREATE INDEX IF NOT EXISTS records_meter ON records (meter, at);
CREATE TABLE IF NOT EXISTS readings (
    record INTEGER PRIMARY KEY REFERENCES records (id),
    meter INTEGER NOT NULL,
    item TEXT NOT NULL,
    part INTEGER NOT NULL,
    mantissa INTEGER,
    exponent INTEGER,
    unit TEXT,
    value TEXT,
    meter_time TEXT,
    read_at TEXT NOT NULL,
    quality TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    what TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS archive (
    serial INTEGER PRIMARY KEY,
    point INTEGER NOT NULL,
    entry TEXT NOT NULL
);
";

/// An archive entry the master downloaded (1376.1 AFN 04 F10), as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveRow {
    /// The master's serial of the entry.
    pub serial: u16,
    /// The archive number (measuring point) it is for.
    pub point: u16,
    /// The entry as the uplink wrote it (JSON text).
    pub entry: String,
}

/// An archive row of `SELECT serial, point, entry`.
fn archive_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ArchiveRow> {
    Ok(ArchiveRow {
        serial: r.get(0)?,
        point: r.get(1)?,
        entry: r.get(2)?,
    })
}

/// A reading row for export.
#[derive(Debug, Clone)]
pub struct ReadingRow {
    /// Record id.
    pub record: i64,
    /// Archive number.
    pub meter: i64,
    /// Item name.
    pub item: String,
    /// Part of a block item.
    pub part: i64,
    /// Exact decimal text, or the value's text form.
    pub value: Option<String>,
    /// Unit symbol.
    pub unit: Option<String>,
    /// Meter time stamp.
    pub meter_time: Option<String>,
    /// When it was read.
    pub read_at: String,
    /// Quality.
    pub quality: String,
}

/// The daemon's store.
pub struct SqliteStore {
    conn: Connection,
}

/// Writes a line to the audit table on `conn` (the store's, the event log's, or a
/// transaction's).
pub(crate) fn insert_audit(
    conn: &Connection,
    at: DateTime,
    who: &str,
    what: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO audit (at, who, what) VALUES (?1, ?2, ?3)",
        params![time_str(at), who, what],
    )?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> rusqlite::Result<SqliteStore> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(SqliteStore { conn })
    }

    /// Writes an audit line (operator commands and their origin).
    pub fn audit(&self, at: DateTime, who: &str, what: &str) -> rusqlite::Result<()> {
        insert_audit(&self.conn, at, who, what)
    }

    /// The value of setting `key`, if set.
    pub fn setting(&self, key: &str) -> rusqlite::Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT value FROM settings WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()
    }

    /// Sets `key` to `value` (durably, like every write of this store).
    pub fn set_setting(&self, key: &str, value: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Keeps the master's archive entry `serial` for `point` (replacing an entry with the same
    /// serial, and any other serial's entry for the same point).
    pub fn put_archive(&mut self, serial: u16, point: u16, entry: &str) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM archive WHERE point = ?1 AND serial <> ?2",
            params![point, serial],
        )?;
        tx.execute(
            "INSERT INTO archive (serial, point, entry) VALUES (?1, ?2, ?3)
             ON CONFLICT (serial) DO UPDATE SET point = excluded.point, entry = excluded.entry",
            params![serial, point, entry],
        )?;
        tx.commit()
    }

    /// The stored entry of `serial` (its point and text).
    pub fn archive_entry(&self, serial: u16) -> rusqlite::Result<Option<ArchiveRow>> {
        self.conn
            .query_row(
                "SELECT serial, point, entry FROM archive WHERE serial = ?1",
                params![serial],
                archive_row,
            )
            .optional()
    }

    /// Every stored archive entry, by serial.
    pub fn archive(&self) -> rusqlite::Result<Vec<ArchiveRow>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT serial, point, entry FROM archive ORDER BY serial")?;
        let rows = stmt.query_map([], archive_row)?;
        rows.collect()
    }

    /// Counts one more forwarding attempt of record `id`.
    pub fn note_forward_try(&self, id: RecordId) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE records SET forward_tries = forward_tries + 1 WHERE id = ?1",
            params![id_sql(id)],
        )?;
        Ok(())
    }

    /// Readings of `meter` (or all), oldest first.
    pub fn readings(&self, meter: Option<u16>) -> rusqlite::Result<Vec<ReadingRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT record, meter, item, part, value, unit, meter_time, read_at, quality
             FROM readings WHERE ?1 IS NULL OR meter = ?1 ORDER BY record",
        )?;
        let rows = stmt.query_map(params![meter], |r| {
            Ok(ReadingRow {
                record: r.get(0)?,
                meter: r.get(1)?,
                item: r.get(2)?,
                part: r.get(3)?,
                value: r.get(4)?,
                unit: r.get(5)?,
                meter_time: r.get(6)?,
                read_at: r.get(7)?,
                quality: r.get(8)?,
            })
        })?;
        rows.collect()
    }

    /// (records, readings, not yet forwarded, audit lines).
    pub fn counts(&self) -> rusqlite::Result<(i64, i64, i64, i64)> {
        self.conn.query_row(
            "SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM readings),
                    (SELECT count(*) FROM records WHERE forwarded = 0),
                    (SELECT count(*) FROM audit)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
    }

    fn insert(&mut self, event: &Event) -> rusqlite::Result<RecordId> {
        let tx = self.conn.transaction()?;
        let j = event_json(event);
        let kind = j.get("kind").and_then(Json::as_str).unwrap_or("unknown");
        tx.execute(
            "INSERT INTO records (at, meter, kind, event) VALUES (?1, ?2, ?3, ?4)",
            params![time_str(event.at), event.meter(), kind, j.to_string()],
        )?;
        let id = tx.last_insert_rowid();
        match &event.kind {
            EventKind::Reading(r) => {
                let (mantissa, exponent, unit, text) = match r.value {
                    Value::Number(d, u) => (
                        Some(d.mantissa),
                        Some(d.exponent),
                        Some(unit_name(u)),
                        Some(decimal_str(d)),
                    ),
                    Value::Missing => (None, None, None, None),
                    other => {
                        let v = value_json(&other);
                        let text = v
                            .get("time")
                            .or_else(|| v.get("relay"))
                            .or_else(|| v.get("hex"))
                            .and_then(Json::as_str)
                            .map(str::to_string);
                        (None, None, None, text)
                    }
                };
                tx.execute(
                    "INSERT INTO readings (record, meter, item, part, mantissa, exponent, unit,
                        value, meter_time, read_at, quality)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                    params![
                        id,
                        r.meter,
                        item_name(r.item),
                        r.part,
                        mantissa,
                        exponent,
                        unit,
                        text,
                        r.meter_time.map(time_str),
                        time_str(r.read_at),
                        quality_name(r.quality)
                    ],
                )?;
            }
            EventKind::SwitchAudit { .. } | EventKind::ClockSet { .. } => {
                insert_audit(&tx, event.at, "engine", &j.to_string())?;
            }
            _ => {}
        }
        tx.commit()?;
        Ok(RecordId(u64::try_from(id).unwrap_or(0)))
    }

    fn record_after(&self, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Option<(RecordId, Event)> {
        let row: Option<(i64, String)> = self
            .conn
            .prepare_cached(sql)
            .and_then(|mut s| s.query_row(args, |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .ok()
            .flatten();
        let (id, text) = row?;
        let event = serde_json::from_str::<Json>(&text)
            .ok()
            .and_then(|j| parse_event(&j))?;
        Some((RecordId(u64::try_from(id).ok()?), event))
    }
}

fn id_sql(id: RecordId) -> i64 {
    i64::try_from(id.0).unwrap_or(i64::MAX)
}

impl Store for SqliteStore {
    type Error = rusqlite::Error;

    fn append(&mut self, event: &Event) -> Result<RecordId, rusqlite::Error> {
        self.insert(event)
    }

    fn mark_forwarded(&mut self, id: RecordId) -> Result<(), rusqlite::Error> {
        let n = self.conn.execute(
            "UPDATE records SET forwarded = 1, forwarded_at = datetime('now') WHERE id = ?1",
            params![id_sql(id)],
        )?;
        if n == 0 {
            return Err(rusqlite::Error::QueryReturnedNoRows);
        }
        Ok(())
    }

    fn next_unforwarded(&self, after: Option<RecordId>) -> Option<(RecordId, Event)> {
        let after = after.map_or(-1, id_sql);
        self.record_after(
            "SELECT id, event FROM records WHERE forwarded = 0 AND id > ?1 ORDER BY id LIMIT 1",
            &[&after],
        )
    }

    fn query(
        &self,
        meter: u16,
        from: DateTime,
        to: DateTime,
        after: Option<RecordId>,
    ) -> Option<(RecordId, Event)> {
        let after = after.map_or(-1, id_sql);
        self.record_after(
            "SELECT id, event FROM records WHERE meter = ?1 AND at >= ?2 AND at <= ?3
             AND id > ?4 ORDER BY id LIMIT 1",
            &[&meter, &time_str(from), &time_str(to), &after],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use concentrator_core::{Decimal, Item, Quality, Reading, Unit};

    fn reading(meter: u16, mantissa: i64, at: DateTime) -> Event {
        Event {
            at,
            kind: EventKind::Reading(Reading {
                meter,
                item: Item::ActiveEnergyImport { tariff: 0 },
                part: 0,
                value: Value::Number(Decimal::new(mantissa, -2), Unit::KiloWattHour),
                meter_time: None,
                read_at: at,
                quality: Quality::Good,
            }),
        }
    }

    #[test]
    fn append_forward_query_and_reopen() {
        let dir = std::env::temp_dir().join(format!("concentrator-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.db");
        let t = |s| DateTime::new(2026, 3, 10, 10, 0, s).unwrap();
        let (a, b, c) = (
            reading(1, 26, t(0)),
            reading(2, 1234, t(1)),
            reading(1, 27, t(2)),
        );
        {
            let mut s = SqliteStore::open(&path).unwrap();
            let ia = s.append(&a).unwrap();
            let ib = s.append(&b).unwrap();
            s.append(&c).unwrap();
            assert!(ib > ia);
            assert_eq!(s.next_unforwarded(None), Some((ia, a)));
            s.mark_forwarded(ia).unwrap();
            assert_eq!(s.next_unforwarded(None), Some((ib, b)));
            assert!(s.mark_forwarded(RecordId(999)).is_err());
        }
        // Reopened: what was forwarded stays forwarded, the rest is still waiting.
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.next_unforwarded(None).map(|x| x.1), Some(b));
        let (id, e) = s.query(1, t(1), t(59), None).unwrap();
        assert_eq!(e, c);
        assert_eq!(s.query(1, t(1), t(59), Some(id)), None);
        let rows = s.readings(Some(2)).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].value.as_deref(), Some("12.34"));
        assert_eq!(rows[0].unit.as_deref(), Some("kWh"));
        assert_eq!(s.counts().unwrap(), (3, 3, 2, 0));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
