//! One concentrator's connection: the reader thread confirms link tests and hands reply
//! frames to the request waiting for them; requests are written by the caller's thread, one
//! at a time per concentrator (PSEQ from the master's PFC, notes §2.3). Plain TCP or TLS
//! (the handshake runs on the connection's own thread; see [`crate::tls`]).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use qgdw1376_1::{Afn, Collector, Direction, FrameRepr, LinkTest, Progress, Scanner, Seq, Tp};

use super::command::{Built, TerminalId};
use super::server::{MasterError, Shared};
use crate::tls::TlsServer;

/// How long each read or write of a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a reply may take (real-time reads behind a carrier module take seconds).
pub(crate) const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

type ReplyTx = Sender<Result<Vec<Vec<u8>>, MasterError>>;

struct Waiting {
    pseq: u8,
    collector: Collector,
    frames: Vec<Vec<u8>>,
    reply: ReplyTx,
}

/// The writing side of a connection and the request waiting on it.
pub(crate) struct Link {
    writer: Mutex<Box<dyn Write + Send>>,
    /// The PFC; holding it is a request's turn on this link.
    turn: Mutex<u8>,
    waiting: Mutex<Option<Waiting>>,
}

impl Link {
    /// Sends one request to `to` and waits up to `wait` for its whole reply; with `label` a
    /// time label goes with it (TpV = 1; its PFC is set to this request's frame counter,
    /// whose low 4 bits are the PSEQ, notes §2.3).
    pub(crate) fn request_with(
        &self,
        to: TerminalId,
        master: u8,
        req: &Built,
        label: Option<Tp>,
        wait: Duration,
    ) -> Result<Vec<Vec<u8>>, MasterError> {
        let mut pfc = self.turn.lock().map_err(|_| MasterError::Disconnected)?;
        *pfc = pfc.wrapping_add(1);
        let pseq = *pfc & 0x0F;
        let mut f = FrameRepr::request(
            to.address(master),
            req.afn,
            req.code,
            // CON on the state-changing AFNs (those with PW): the terminal confirms them
            // with AFN 00 F1 (notes §2.3).
            Seq::single(pseq, req.pw.is_some()),
            &req.units,
        );
        f.pw = req.pw;
        if let Some(tp) = label {
            f.tp = Some(Tp { pfc: *pfc, ..tp });
            f.seq.tpv = true;
        }
        let mut bytes = vec![0u8; f.buffer_len()];
        f.emit(&mut bytes)
            .map_err(|e| MasterError::Encode(e.to_string()))?;
        let (tx, rx) = mpsc::channel();
        if let Ok(mut w) = self.waiting.lock() {
            *w = Some(Waiting {
                pseq,
                collector: Collector::new(),
                frames: Vec::new(),
                reply: tx,
            });
        }
        let written = self
            .writer
            .lock()
            .map_err(|_| MasterError::Disconnected)?
            .write_all(&bytes);
        if written.is_err() {
            return Err(MasterError::Disconnected);
        }
        let r = rx.recv_timeout(wait);
        if let Ok(mut w) = self.waiting.lock() {
            *w = None;
        }
        match r {
            Ok(r) => r,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(MasterError::Timeout),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(MasterError::Disconnected),
        }
    }

    fn take_frame(&self, f: &FrameRepr<'_>, bytes: Vec<u8>) {
        let Ok(mut guard) = self.waiting.lock() else {
            return;
        };
        let Some(w) = guard.as_mut() else { return };
        if f.control.prm || (w.frames.is_empty() && f.seq.seq != w.pseq) {
            return;
        }
        match w.collector.push(f.seq) {
            Ok(Progress::More) => w.frames.push(bytes),
            Ok(Progress::Complete) => {
                w.frames.push(bytes);
                if let Some(w) = guard.take() {
                    let _ = w.reply.send(Ok(w.frames));
                }
            }
            Err(e) => {
                if let Some(w) = guard.take() {
                    let _ = w.reply.send(Err(MasterError::Sequence(e.to_string())));
                }
            }
        }
    }
}

/// Writes `frame` (a confirm the master sends unasked); `false` when the connection is gone.
fn send(link: &Link, frame: &FrameRepr<'_>) -> bool {
    let mut c = [0u8; 32];
    let len = frame.emit(&mut c).unwrap_or(0);
    link.writer
        .lock()
        .map(|mut w| w.write_all(c.get(..len).unwrap_or(&[])).is_ok())
        .unwrap_or(false)
}

/// Reads the connection until it closes.
pub(crate) fn serve(stream: TcpStream, shared: &Shared, tls: Option<&TlsServer>) {
    let _ = stream.set_nodelay(true);
    let (mut stream, writer, peer): (Box<dyn Read>, Box<dyn Write + Send>, Option<String>) =
        match tls {
            None => {
                let Ok(writer) = stream.try_clone() else {
                    return;
                };
                (Box::new(stream), Box::new(writer), None)
            }
            Some(tls) => {
                let from = stream.peer_addr().ok();
                match tls.accept(stream, HANDSHAKE_TIMEOUT) {
                    Ok(a) => (Box::new(a.reader), Box::new(a.writer), Some(a.subject)),
                    Err(e) => {
                        shared.tls_refused(from, &e);
                        return;
                    }
                }
            }
        };
    let link = Arc::new(Link {
        writer: Mutex::new(writer),
        turn: Mutex::new(0),
        waiting: Mutex::new(None),
    });
    let mut scanner: Box<Scanner<{ qgdw1376_1::MAX_FRAME_LEN }>> = Box::new(Scanner::new());
    let mut buf = vec![0u8; 4096];
    let mut id: Option<TerminalId> = None;
    'read: loop {
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut data = buf.get(..n).unwrap_or(&[]);
        while !data.is_empty() {
            let took = scanner.push(data);
            data = data.get(took..).unwrap_or(&[]);
            while let Some(frame) = scanner.next_frame() {
                let bytes = frame.as_bytes().to_vec();
                let Ok(f) = FrameRepr::parse_bytes(&bytes) else {
                    continue;
                };
                if f.control.dir != Direction::Up {
                    continue;
                }
                let t = TerminalId {
                    area: f.address.area,
                    terminal: f.address.terminal,
                };
                // An active event report (C = 0xC4, AFN 0E): stored, then confirmed when it
                // asks (CON) with AFN 00 F1, RSEQ = its PSEQ; one that could not be stored
                // is not confirmed, so the concentrator sends it again.
                if f.control.prm && f.afn == Afn::Class3 {
                    if shared.report(t, &f) && f.seq.con {
                        let mut confirm = FrameRepr::link_confirm(f.address, f.seq.seq);
                        confirm.control.code = 0;
                        if !send(&link, &confirm) {
                            break 'read;
                        }
                    }
                    continue;
                }
                let Some(test) = f.as_link_test() else {
                    link.take_frame(&f, bytes.clone());
                    continue;
                };
                if !send(&link, &FrameRepr::link_confirm(f.address, f.seq.seq)) {
                    break 'read;
                }
                match test {
                    LinkTest::Login => {
                        id = Some(t);
                        shared.register(t, link.clone());
                        shared.db_session(t, "login", peer.as_deref());
                    }
                    LinkTest::Heartbeat => shared.heartbeat(t),
                    LinkTest::Logout => shared.db_session(t, "logout", None),
                }
            }
            if took == 0 {
                break;
            }
        }
    }
    // Whoever waits gets "disconnected" (the sender is dropped).
    if let Ok(mut w) = link.waiting.lock() {
        *w = None;
    }
    if let Some(t) = id {
        shared.unregister(t, &link);
        shared.db_session(t, "disconnected", None);
    }
}
