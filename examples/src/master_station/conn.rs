//! One concentrator's connection: confirms its link tests, sends queued requests one at a
//! time and collects each reply's frames (FIR/FIN, RSEQ from PSEQ).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

use qgdw1376_1::{Afn, Collector, Direction, FrameRepr, LinkTest, PW_LEN, Progress, Scanner, Seq};

use super::command::TerminalId;
use super::server::{MasterError, Shared};

/// A request waiting for its reply.
pub(crate) struct Job {
    pub afn: Afn,
    pub code: u8,
    pub pw: Option<[u8; PW_LEN]>,
    pub units: Vec<u8>,
    pub reply: Sender<Result<Vec<Vec<u8>>, MasterError>>,
}

struct Outstanding {
    pseq: u8,
    collector: Collector,
    frames: Vec<Vec<u8>>,
    deadline: Instant,
    reply: Sender<Result<Vec<Vec<u8>>, MasterError>>,
}

/// How long a reply may take (real-time reads behind a carrier module take seconds).
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the connection until it closes; `id` is known after the login.
pub(crate) fn serve(mut stream: TcpStream, shared: &Shared, master: u8) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(20)));
    let mut scanner: Box<Scanner<{ qgdw1376_1::MAX_FRAME_LEN }>> = Box::new(Scanner::new());
    let mut buf = vec![0u8; 4096];
    let mut id: Option<TerminalId> = None;
    let mut jobs: Option<Receiver<Job>> = None;
    let mut out: Option<Outstanding> = None;
    let mut pfc: u8 = 0;
    loop {
        // Start the next request when none is outstanding.
        if out.is_none()
            && let (Some(rx), Some(t)) = (jobs.as_ref(), id)
        {
            match rx.try_recv() {
                Ok(job) => {
                    pfc = pfc.wrapping_add(1);
                    let pseq = pfc & 0x0F;
                    let mut f = FrameRepr::request(
                        t.address(master),
                        job.afn,
                        job.code,
                        // CON on the state-changing AFNs (those with PW): the terminal
                        // confirms them with AFN 00 F1 (notes §2.3).
                        Seq::single(pseq, job.pw.is_some()),
                        &job.units,
                    );
                    f.pw = job.pw;
                    let mut bytes = vec![0u8; f.buffer_len()];
                    match f.emit(&mut bytes) {
                        Ok(_) if stream.write_all(&bytes).is_ok() => {
                            out = Some(Outstanding {
                                pseq,
                                collector: Collector::new(),
                                frames: Vec::new(),
                                deadline: Instant::now() + REPLY_TIMEOUT,
                                reply: job.reply,
                            });
                        }
                        Ok(_) => {
                            let _ = job.reply.send(Err(MasterError::Disconnected));
                            break;
                        }
                        Err(e) => {
                            let _ = job.reply.send(Err(MasterError::Encode(e.to_string())));
                        }
                    }
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => break,
            }
        }
        if let Some(o) = out.as_ref()
            && Instant::now() > o.deadline
        {
            let _ = o.reply.send(Err(MasterError::Timeout));
            out = None;
        }
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(_) => break,
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
                if let Some(test) = f.as_link_test() {
                    let t = TerminalId {
                        area: f.address.area,
                        terminal: f.address.terminal,
                    };
                    let mut c = [0u8; 32];
                    let len = FrameRepr::link_confirm(f.address, f.seq.seq)
                        .emit(&mut c)
                        .unwrap_or(0);
                    if stream.write_all(c.get(..len).unwrap_or(&[])).is_err() {
                        return finish(shared, id, out);
                    }
                    match test {
                        LinkTest::Login => {
                            id = Some(t);
                            jobs = Some(shared.register(t));
                            shared.db_session(t, "login");
                        }
                        LinkTest::Heartbeat => shared.heartbeat(t),
                        LinkTest::Logout => shared.db_session(t, "logout"),
                    }
                    continue;
                }
                let Some(o) = out.as_mut() else { continue };
                let first = o.frames.is_empty();
                if f.control.prm || (first && f.seq.seq != o.pseq) {
                    continue;
                }
                match o.collector.push(f.seq) {
                    Ok(Progress::More) => o.frames.push(bytes),
                    Ok(Progress::Complete) => {
                        o.frames.push(bytes);
                        if let Some(o) = out.take() {
                            let _ = o.reply.send(Ok(o.frames));
                        }
                    }
                    Err(e) => {
                        if let Some(o) = out.take() {
                            let _ = o.reply.send(Err(MasterError::Sequence(e.to_string())));
                        }
                    }
                }
            }
            if took == 0 {
                break;
            }
        }
    }
    finish(shared, id, out);
}

fn finish(shared: &Shared, id: Option<TerminalId>, out: Option<Outstanding>) {
    if let Some(o) = out {
        let _ = o.reply.send(Err(MasterError::Disconnected));
    }
    if let Some(t) = id {
        shared.unregister(t);
        shared.db_session(t, "disconnected");
    }
}
