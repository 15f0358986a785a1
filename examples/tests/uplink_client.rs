//! The uplink client on loopback against a scripted master station written with the codec:
//! login, heartbeats, a repeated frame not executed twice, a trip with a wrong and a right
//! password, a connection dropped mid-reply then a reconnect; and a load run of 200
//! concentrators (threads) with heartbeats and reads flowing.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::load::vm_rss;
use examples::uplink_client::{ClientConfig, ClientStats, UplinkClient, UplinkHandler};
use qgdw1376_1::session::{Answer, Config, Duration as SessionDuration, Event, Reply};
use qgdw1376_1::unit::{Data, emit_group};
use qgdw1376_1::value::DateTime;
use qgdw1376_1::{
    Address, Afn, Collector, Da, Direction, Dt, FrameRepr, LinkTest, PW_LEN, Progress, Scanner, Seq,
};

const KEY: [u8; PW_LEN] = *b"0123456789abcdef";

/// The handler a daemon would be: answers 0C F2 with a clock, 0D with `groups` 40-byte
/// groups, executes 05 (Done); records every call.
#[derive(Clone, Default)]
struct Scripted {
    calls: Arc<Mutex<Vec<(Afn, u8)>>>,
    events: Arc<Mutex<Vec<Event>>>,
}

impl UplinkHandler for Scripted {
    fn request(&mut self, request: &FrameRepr<'_>, reply: &mut Reply<'_>) -> Answer {
        self.calls
            .lock()
            .unwrap()
            .push((request.afn, request.seq.seq));
        match request.afn {
            Afn::Control => Answer::Done,
            Afn::Class1 => {
                let clock = DateTime {
                    year: 26,
                    month: 3,
                    day: 10,
                    hour: 10,
                    minute: 0,
                    second: 0,
                    weekday: 2,
                };
                reply
                    .push(
                        Da::P0,
                        Dt::function(2).unwrap(),
                        &[Data::Clock(Some(clock))],
                    )
                    .unwrap();
                Answer::Data
            }
            Afn::Class2 => {
                for i in 0..7u8 {
                    let mut g = vec![0x01, 0x01, 0x01, 0x14];
                    g.extend((0..36).map(|j| i.wrapping_add(j)));
                    reply.push_raw(&g).unwrap();
                }
                Answer::Data
            }
            _ => Answer::Deny,
        }
    }

    fn event(&mut self, event: &Event) {
        self.events.lock().unwrap().push(*event);
    }
}

/// One accepted concentrator, seen from the master's side.
struct Peer {
    stream: TcpStream,
    scanner: Box<Scanner<4096>>,
}

impl Peer {
    fn accept(l: &TcpListener) -> Self {
        let (stream, _) = l.accept().unwrap();
        stream.set_nodelay(true).unwrap();
        Self {
            stream,
            scanner: Box::new(Scanner::new()),
        }
    }

    /// The next frame, within `within`.
    fn frame(&mut self, within: Duration) -> Option<Vec<u8>> {
        let end = Instant::now() + within;
        let mut buf = [0u8; 1024];
        loop {
            if let Some(f) = self.scanner.next_frame() {
                return Some(f.as_bytes().to_vec());
            }
            let left = end.checked_duration_since(Instant::now())?;
            self.stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .unwrap();
            match self.stream.read(&mut buf) {
                Ok(0) => return None,
                Ok(n) => {
                    self.scanner.push(buf.get(..n).unwrap());
                }
                Err(_) => {}
            }
        }
    }

    fn send(&mut self, f: &[u8]) {
        self.stream.write_all(f).unwrap();
    }

    /// Expects a link test and confirms it (AFN 00 F1, same SEQ, vector U02's shape).
    fn confirm_link(&mut self, want: LinkTest, me: Address) {
        let f = self.frame(Duration::from_secs(5)).expect("link test");
        let r = FrameRepr::parse_bytes(&f).unwrap();
        assert_eq!(r.as_link_test(), Some(want));
        let mut out = [0u8; 32];
        let n = FrameRepr::link_confirm(me, r.seq.seq)
            .emit(&mut out)
            .unwrap();
        self.send(out.get(..n).unwrap());
    }
}

fn address(terminal: u16) -> Address {
    Address {
        area: 0x0200,
        terminal,
        master: 0,
        group: false,
    }
}

fn request(to: Address, afn: Afn, f: u16, seq: u8, pw: Option<[u8; PW_LEN]>) -> Vec<u8> {
    let mut units = [0u8; 64];
    let data: Vec<Data<'_>> = match (afn, f) {
        (Afn::Class2, 161) => vec![Data::DayLabel(qgdw1376_1::value::Date {
            year: 26,
            month: 3,
            day: 9,
        })],
        (Afn::Control, 1) => vec![Data::RemoteTrip(qgdw1376_1::unit::RemoteTrip {
            limit: 0,
            alarm_delay: 0,
        })],
        _ => vec![Data::Empty],
    };
    let pn = if afn == Afn::Class1 { 0 } else { 1 };
    let n = emit_group(
        &mut units,
        Da::point(pn).unwrap(),
        Dt::function(f).unwrap(),
        &data,
    )
    .unwrap();
    let to = Address { master: 1, ..to };
    let mut r = FrameRepr::request(to, afn, 10, Seq::single(seq, true), units.get(..n).unwrap());
    if afn.carries_pw() {
        r.pw = Some(pw.unwrap_or([0; PW_LEN]));
    }
    let mut out = vec![0u8; r.buffer_len()];
    r.emit(&mut out).unwrap();
    out
}

fn session(terminal: u16, heartbeat_ms: u64) -> Config {
    let mut c = Config::new(address(terminal));
    c.heartbeat = SessionDuration::millis(heartbeat_ms);
    c.confirm_timeout = SessionDuration::millis(2_000);
    c.backoff_min = SessionDuration::millis(50);
    c.backoff_max = SessionDuration::millis(400);
    c.max_units = 100;
    c
}

fn start(
    l: &TcpListener,
    config: Config,
    handler: Scripted,
) -> (
    examples::uplink_client::StopHandle,
    std::thread::JoinHandle<ClientStats>,
) {
    let client = UplinkClient::new(ClientConfig::new(l.local_addr().unwrap(), config, KEY));
    let stop = client.stop_handle();
    let mut h = handler;
    let join = std::thread::spawn(move || client.run(&mut h).unwrap());
    (stop, join)
}

#[test]
fn login_heartbeat_repeat_password_and_a_dropped_reply() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let me = address(0x1234);
    let h = Scripted::default();
    let (stop, join) = start(&l, session(0x1234, 300), h.clone());

    let mut m = Peer::accept(&l);
    m.confirm_link(LinkTest::Login, me);
    // A heartbeat comes one period (300 ms) after the login was confirmed.
    let t0 = Instant::now();
    m.confirm_link(LinkTest::Heartbeat, me);
    let waited = t0.elapsed();
    assert!(
        waited >= Duration::from_millis(200) && waited < Duration::from_millis(1500),
        "{waited:?}"
    );

    // A read, then the same frame again: the same reply, executed once.
    let read = request(me, Afn::Class1, 2, 5, None);
    m.send(&read);
    let first = m.frame(Duration::from_secs(5)).unwrap();
    let r = FrameRepr::parse_bytes(&first).unwrap();
    assert_eq!(
        (r.afn, r.seq.seq, r.control.dir),
        (Afn::Class1, 5, Direction::Up)
    );
    m.send(&read);
    let again = loop {
        let f = m.frame(Duration::from_secs(5)).unwrap();
        if FrameRepr::parse_bytes(&f).unwrap().as_link_test().is_none() {
            break f;
        }
    };
    assert_eq!(again, first);

    // Trip with a wrong password: AFN 00 F2, not executed; with the right one: AFN 00 F1.
    m.send(&request(me, Afn::Control, 1, 6, Some([0xFF; PW_LEN])));
    let deny = m.frame(Duration::from_secs(5)).unwrap();
    let d = FrameRepr::parse_bytes(&deny).unwrap();
    assert_eq!(d.afn, Afn::Confirm);
    assert_eq!(d.data_units().next().unwrap().unwrap().fn_number, 2);
    m.send(&request(me, Afn::Control, 1, 7, Some(KEY)));
    let ok = m.frame(Duration::from_secs(5)).unwrap();
    let o = FrameRepr::parse_bytes(&ok).unwrap();
    assert_eq!((o.afn, o.seq.seq), (Afn::Confirm, 7));
    assert_eq!(o.data_units().next().unwrap().unwrap().fn_number, 1);

    // A 4-frame reply; the master drops the connection after the first frame.
    let frozen = request(me, Afn::Class2, 161, 8, None);
    m.send(&frozen);
    let f0 = m.frame(Duration::from_secs(5)).unwrap();
    drop(m);
    // The concentrator reconnects, logs in again, and answers the repeated request from its
    // cache: every frame, nothing executed twice.
    let mut m = Peer::accept(&l);
    m.confirm_link(LinkTest::Login, me);
    m.send(&frozen);
    let mut frames = Vec::new();
    let mut c = Collector::new();
    while frames.len() < 4 {
        let f = m.frame(Duration::from_secs(5)).unwrap();
        let r = FrameRepr::parse_bytes(&f).unwrap();
        if r.as_link_test().is_some() {
            continue;
        }
        let p = c.push(r.seq).unwrap();
        frames.push(f);
        if p == Progress::Complete {
            break;
        }
    }
    assert_eq!(frames.len(), 4);
    assert_eq!(frames[0], f0);
    stop.stop();
    let stats = join.join().unwrap();
    let calls = h.calls.lock().unwrap().clone();
    assert_eq!(
        calls,
        [(Afn::Class1, 5), (Afn::Control, 7), (Afn::Class2, 8)]
    );
    assert_eq!(stats.connects, 2);
    assert_eq!(stats.logins, 2);
    assert_eq!(stats.repeats, 2);
    let events = h.events.lock().unwrap().clone();
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Denied {
            afn: Afn::Control,
            seq: 6,
            ..
        }
    )));
}

/// 200 concentrators log in to one master (a thread per connection on each side), send
/// heartbeats every 500 ms and answer reads back to back for 3 s. Every request gets its
/// reply; prints requests per second and the process's resident memory.
#[test]
fn two_hundred_concentrators_with_heartbeats_and_reads() {
    const N: u16 = 200;
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let sent = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicU64::new(0));
    let heartbeats = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::new();
    for i in 0..N {
        clients.push(start(&l, session(i + 1, 500), Scripted::default()));
    }
    let run = Duration::from_secs(3);
    let begin = Instant::now();
    let mut masters = Vec::new();
    for _ in 0..N {
        let mut m = Peer::accept(&l);
        let (sent, answered, heartbeats) = (sent.clone(), answered.clone(), heartbeats.clone());
        masters.push(std::thread::spawn(move || {
            let login = m.frame(Duration::from_secs(10)).expect("login");
            let who = FrameRepr::parse_bytes(&login).unwrap().address;
            let mut out = [0u8; 32];
            let n = FrameRepr::link_confirm(who, 1).emit(&mut out).unwrap();
            m.send(&out[..n]);
            let mut seq = 0u8;
            let mut lost = 0u64;
            while begin.elapsed() < run + Duration::from_millis(500) {
                seq = (seq + 1) & 0x0F;
                m.send(&request(who, Afn::Class1, 2, seq, None));
                sent.fetch_add(1, Ordering::Relaxed);
                loop {
                    let Some(f) = m.frame(Duration::from_secs(5)) else {
                        lost += 1;
                        break;
                    };
                    let r = FrameRepr::parse_bytes(&f).unwrap();
                    if r.as_link_test().is_some() {
                        heartbeats.fetch_add(1, Ordering::Relaxed);
                        let n = FrameRepr::link_confirm(who, r.seq.seq)
                            .emit(&mut out)
                            .unwrap();
                        m.send(&out[..n]);
                        continue;
                    }
                    assert_eq!((r.afn, r.seq.seq), (Afn::Class1, seq));
                    answered.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
            lost
        }));
    }
    let lost: u64 = masters.into_iter().map(|j| j.join().unwrap()).sum();
    let elapsed = begin.elapsed();
    let rss = vm_rss();
    // Stop every client before joining any, and close the listener, so none sits in a
    // reconnect to the finished master.
    for (stop, _) in &clients {
        stop.stop();
    }
    drop(l);
    let mut executed = 0;
    for (_, join) in clients {
        let s = join.join().unwrap();
        assert_eq!(s.logins, 1, "no concentrator lost its link");
        executed += s.executed;
    }
    let (sent, answered) = (
        sent.load(Ordering::Relaxed),
        answered.load(Ordering::Relaxed),
    );
    println!(
        "uplink load: {N} concentrators, {answered} requests answered in {:.2} s = {:.0} req/s, {} heartbeats confirmed, {rss}",
        elapsed.as_secs_f64(),
        answered as f64 / elapsed.as_secs_f64(),
        heartbeats.load(Ordering::Relaxed)
    );
    assert_eq!(lost, 0);
    assert_eq!(sent, answered, "every request answered");
    assert_eq!(executed, answered, "each executed exactly once");
    // 500 ms period over 3.5 s: at least 2 per concentrator even on a loaded machine.
    assert!(heartbeats.load(Ordering::Relaxed) >= u64::from(N) * 2);
}

/// The master station restarts (its listener closes and comes back on the same port): the
/// concentrator notices the closed connection, backs off, reconnects and logs in again.
#[test]
fn master_restart_then_reconnect_and_login() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap();
    let me = address(0x0777);
    let (stop, join) = start(&l, session(0x0777, 10_000), Scripted::default());
    let mut m = Peer::accept(&l);
    m.confirm_link(LinkTest::Login, me);
    drop(m);
    drop(l);
    std::thread::sleep(Duration::from_millis(300));
    let l = TcpListener::bind(port).unwrap();
    let mut m = Peer::accept(&l);
    m.confirm_link(LinkTest::Login, me);
    // Still answering on the new connection.
    m.send(&request(me, Afn::Class1, 2, 9, None));
    let r = m.frame(Duration::from_secs(5)).unwrap();
    assert_eq!(FrameRepr::parse_bytes(&r).unwrap().seq.seq, 9);
    stop.stop();
    let s = join.join().unwrap();
    assert!(s.connects >= 2, "{s:?}");
    assert_eq!(s.logins, 2);
    assert_eq!(s.executed, 1);
}
