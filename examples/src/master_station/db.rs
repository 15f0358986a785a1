//! Results and sessions in SQLite.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, params};

use super::command::TerminalId;
use super::render::render_frames;

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
                 command TEXT NOT NULL, frames_hex TEXT NOT NULL, decoded_json TEXT NOT NULL);",
        )?;
        // `peer` (the TLS client certificate's subject) came later: add it to older files.
        if conn.prepare("SELECT peer FROM sessions LIMIT 0").is_err() {
            conn.execute_batch("ALTER TABLE sessions ADD COLUMN peer TEXT;")?;
        }
        Ok(Self { conn })
    }

    /// Records a session change (login, logout, disconnected).
    pub fn session(&self, t: TerminalId, what: &str) -> rusqlite::Result<()> {
        self.session_peer(t, what, None)
    }

    /// Records a session change with the subject of the concentrator's TLS certificate
    /// (`None` over plain TCP).
    pub fn session_peer(
        &self,
        t: TerminalId,
        what: &str,
        peer: Option<&str>,
    ) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO sessions (at_ms, terminal, what, peer) VALUES (?1, ?2, ?3, ?4)",
            params![now_ms(), t.to_string(), what, peer],
        )?;
        Ok(())
    }

    /// Records the reply frames of a command, raw and decoded.
    pub fn result(&self, t: TerminalId, command: &str, frames: &[Vec<u8>]) -> rusqlite::Result<()> {
        let hex: Vec<String> = frames
            .iter()
            .map(|f| f.iter().map(|b| format!("{b:02X}")).collect::<String>())
            .collect();
        self.conn.execute(
            "INSERT INTO results (at_ms, terminal, command, frames_hex, decoded_json) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                now_ms(),
                t.to_string(),
                command,
                hex.join(" "),
                render_frames(frames).to_string()
            ],
        )?;
        Ok(())
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
        let mut st = self
            .conn
            .prepare("SELECT terminal, what FROM sessions ORDER BY rowid")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
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
