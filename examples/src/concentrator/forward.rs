//! Forwarding to the master station's stand-in: every record not yet forwarded goes out as
//! one JSON line `{"id": N, "event": {...}}`; the peer answers `{"ack": N}`, and only then is
//! the record marked forwarded (in its own SQLite connection, WAL lets it share the file).
//! A crash between send and mark re-sends that one record after the restart (at least
//! once); a record marked forwarded is never sent again.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use concentrator_core::Store;
use serde_json::{Value as Json, json};

use crate::concentrator::config::Uplink;
use crate::concentrator::json::event_json;
use crate::concentrator::store::SqliteStore;

trait Conn: std::io::Read + Write + Send {}
impl<T: std::io::Read + Write + Send> Conn for T {}

fn connect(to: &Uplink) -> std::io::Result<Box<dyn Conn>> {
    let timeout = Some(Duration::from_secs(5));
    Ok(match to {
        Uplink::Unix(p) => {
            let s = UnixStream::connect(p)?;
            s.set_read_timeout(timeout)?;
            Box::new(s)
        }
        Uplink::Tcp(a) => {
            let s = std::net::TcpStream::connect(a)?;
            s.set_read_timeout(timeout)?;
            Box::new(s)
        }
    })
}

/// Forward one connection's worth; returns when the peer goes away or misbehaves.
fn session(store: &mut SqliteStore, conn: Box<dyn Conn>, log: &dyn Fn(&str)) {
    let mut reader = BufReader::new(conn);
    loop {
        let Some((id, event)) = store.next_unforwarded(None) else {
            thread::sleep(Duration::from_millis(200));
            continue;
        };
        if let Err(e) = store.note_forward_try(id) {
            log(&format!("forwarding: store refused: {e}"));
            return;
        }
        let line = json!({"id": id.0, "event": event_json(&event)});
        if writeln!(reader.get_mut(), "{line}").is_err() {
            return;
        }
        let mut ack = String::new();
        match reader.read_line(&mut ack) {
            Ok(n) if n > 0 => {}
            _ => return,
        }
        let acked = serde_json::from_str::<Json>(&ack)
            .ok()
            .and_then(|j| j.get("ack").and_then(Json::as_u64));
        if acked != Some(id.0) {
            log(&format!(
                "forwarding: expected ack {}, got {}",
                id.0,
                ack.trim()
            ));
            return;
        }
        if let Err(e) = store.mark_forwarded(id) {
            log(&format!("forwarding: cannot mark record {}: {e}", id.0));
            return;
        }
    }
}

/// Run the forwarder on its own thread, reconnecting every second.
pub fn spawn(db: PathBuf, to: Uplink, log: Box<dyn Fn(&str) + Send>) {
    thread::spawn(move || {
        let mut store = match SqliteStore::open(&db) {
            Ok(s) => s,
            Err(e) => {
                log(&format!("forwarding: {}: {e}", db.display()));
                return;
            }
        };
        loop {
            match connect(&to) {
                Ok(c) => session(&mut store, c, &*log),
                Err(e) => log(&format!("forwarding: cannot connect: {e}")),
            }
            thread::sleep(Duration::from_secs(1));
        }
    });
}
