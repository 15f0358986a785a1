//! The listening master station and its registry of logged-in concentrators.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::command::{Command, TerminalId};
use super::conn::{Link, serve};
use super::db::Db;
use crate::tls::TlsServer;

/// Why a command got no reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterError {
    /// No concentrator with this address is logged in.
    NotConnected(TerminalId),
    /// The connection closed before the reply was complete.
    Disconnected,
    /// No complete reply within the timeout.
    Timeout,
    /// The reply frames were out of order.
    Sequence(String),
    /// The request could not be encoded.
    Encode(String),
}

impl std::fmt::Display for MasterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotConnected(t) => write!(f, "terminal {t} is not connected"),
            Self::Disconnected => write!(f, "the connection closed before the reply was complete"),
            Self::Timeout => write!(f, "no reply within the timeout"),
            Self::Sequence(e) => write!(f, "reply frames out of order: {e}"),
            Self::Encode(e) => write!(f, "encode: {e}"),
        }
    }
}

impl std::error::Error for MasterError {}

/// What the master knows of a logged-in concentrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TerminalInfo {
    /// Its address.
    pub id: TerminalId,
    /// Heartbeats confirmed on this connection.
    pub heartbeats: u64,
    /// When it logged in.
    pub since: SystemTime,
}

pub(crate) struct Entry {
    link: Arc<Link>,
    info: TerminalInfo,
}

pub(crate) struct Shared {
    terminals: Mutex<HashMap<TerminalId, Entry>>,
    db: Option<Mutex<Db>>,
    /// Active report frames received.
    reports: AtomicU64,
    /// TLS handshakes that failed (no or a wrong client certificate, not TLS, timeout).
    tls_refused: AtomicU64,
}

impl Shared {
    pub(crate) fn register(&self, t: TerminalId, link: Arc<Link>) {
        let info = TerminalInfo {
            id: t,
            heartbeats: 0,
            since: SystemTime::now(),
        };
        if let Ok(mut m) = self.terminals.lock() {
            m.insert(t, Entry { link, info });
        }
    }

    /// Forgets `t` if it is still this link (a concentrator that reconnected already has
    /// a new one).
    pub(crate) fn unregister(&self, t: TerminalId, link: &Arc<Link>) {
        if let Ok(mut m) = self.terminals.lock()
            && m.get(&t).is_some_and(|e| Arc::ptr_eq(&e.link, link))
        {
            m.remove(&t);
        }
    }

    pub(crate) fn heartbeat(&self, t: TerminalId) {
        if let Ok(mut m) = self.terminals.lock()
            && let Some(e) = m.get_mut(&t)
        {
            e.info.heartbeats += 1;
        }
    }

    /// Stores an active report; `false` when it could not be stored (no confirm then: the
    /// concentrator resends it).
    pub(crate) fn report(&self, t: TerminalId, frame: &qgdw1376_1::FrameRepr<'_>) -> bool {
        self.reports.fetch_add(1, Ordering::Relaxed);
        match &self.db {
            Some(db) => db.lock().is_ok_and(|db| db.report(t, frame).is_ok()),
            None => true,
        }
    }

    /// A session change, with the TLS peer's certificate subject (`None` over plain TCP).
    pub(crate) fn db_session(&self, t: TerminalId, what: &str, peer: Option<&str>) {
        if let Some(db) = &self.db
            && let Ok(db) = db.lock()
        {
            let _ = db.session(t, what, peer);
        }
    }

    /// A connection whose TLS handshake failed: counted and reported on standard error
    /// (there is no terminal address to store it under).
    pub(crate) fn tls_refused(&self, from: Option<SocketAddr>, e: &std::io::Error) {
        self.tls_refused.fetch_add(1, Ordering::Relaxed);
        let from = from.map_or_else(|| "?".to_string(), |a| a.to_string());
        eprintln!("master-station: TLS handshake with {from} failed: {e}");
    }
}

/// A running master station.
pub struct MasterStation {
    shared: Arc<Shared>,
    addr: SocketAddr,
    master: u8,
}

impl MasterStation {
    /// Listens on `listen`; results go to `db` when given. `master` is this station's
    /// address (A3, 1–127).
    pub fn start(listen: SocketAddr, db: Option<Db>, master: u8) -> std::io::Result<Self> {
        Self::start_with(listen, db, master, None)
    }

    /// As [`start`](Self::start), the concentrators connecting over TLS: each must present a
    /// certificate signed by the CA of `tls` (mutual authentication); its subject is stored
    /// with the session's login.
    pub fn start_tls(
        listen: SocketAddr,
        db: Option<Db>,
        master: u8,
        tls: TlsServer,
    ) -> std::io::Result<Self> {
        Self::start_with(listen, db, master, Some(tls))
    }

    fn start_with(
        listen: SocketAddr,
        db: Option<Db>,
        master: u8,
        tls: Option<TlsServer>,
    ) -> std::io::Result<Self> {
        let l = TcpListener::bind(listen)?;
        let addr = l.local_addr()?;
        let shared = Arc::new(Shared {
            terminals: Mutex::new(HashMap::new()),
            db: db.map(Mutex::new),
            reports: AtomicU64::new(0),
            tls_refused: AtomicU64::new(0),
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            for stream in l.incoming().flatten() {
                let s = s.clone();
                let tls = tls.clone();
                std::thread::spawn(move || serve(stream, &s, tls.as_ref()));
            }
        });
        Ok(Self {
            shared,
            addr,
            master,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// TLS handshakes that failed since the start.
    pub fn tls_refused(&self) -> u64 {
        self.shared.tls_refused.load(Ordering::Relaxed)
    }

    /// This station's master address.
    pub fn master(&self) -> u8 {
        self.master
    }

    /// The concentrators logged in now.
    pub fn terminals(&self) -> Vec<TerminalInfo> {
        let mut v: Vec<TerminalInfo> = self
            .shared
            .terminals
            .lock()
            .map(|m| m.values().map(|e| e.info).collect())
            .unwrap_or_default();
        v.sort_by_key(|i| (i.id.area, i.id.terminal));
        v
    }

    /// Active report frames (AFN 0E from the concentrators) received so far, resent copies
    /// included.
    pub fn reports_received(&self) -> u64 {
        self.shared.reports.load(Ordering::Relaxed)
    }

    /// The event records concentrators reported actively (from the database; empty
    /// without one).
    pub fn events(&self, terminal: Option<TerminalId>) -> Vec<super::db::EventRow> {
        self.shared
            .db
            .as_ref()
            .and_then(|db| db.lock().ok().and_then(|db| db.events(terminal).ok()))
            .unwrap_or_default()
    }

    /// Sends `command` to `to` and waits for the whole reply (every frame); stores it.
    pub fn request(&self, to: TerminalId, command: &Command) -> Result<Vec<Vec<u8>>, MasterError> {
        self.request_labelled(to, command, None, super::conn::REPLY_TIMEOUT)
    }

    /// [`request`](Self::request) with a time label Tp (send time and allowed delay; its PFC
    /// is the request's frame counter) and a reply timeout of `wait`: a terminal drops a
    /// request whose label has expired without answering ([`MasterError::Timeout`] then).
    pub fn request_labelled(
        &self,
        to: TerminalId,
        command: &Command,
        label: Option<qgdw1376_1::Tp>,
        wait: std::time::Duration,
    ) -> Result<Vec<Vec<u8>>, MasterError> {
        let built = command.build().map_err(MasterError::Encode)?;
        let link = self
            .shared
            .terminals
            .lock()
            .ok()
            .and_then(|m| m.get(&to).map(|e| e.link.clone()))
            .ok_or(MasterError::NotConnected(to))?;
        let frames = link.request_with(to, self.master, &built, label, wait)?;
        if let Some(db) = &self.shared.db
            && let Ok(db) = db.lock()
        {
            let _ = db.result(to, &format!("{command:?}"), &frames);
        }
        Ok(frames)
    }
}
