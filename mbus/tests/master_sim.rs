//! The master against a simulated bus of several slaves, in virtual time: multi-telegram
//! readout with FCB, retries, echo, gap timeouts, primary scan, and the secondary wildcard
//! search with collisions.

// Test helpers index like the tests themselves (clippy.toml).
#![allow(clippy::indexing_slicing)]

use std::collections::VecDeque;
use std::fs;

use wired_mbus::{
    Address, Command, Completion, Control, Duration, Event, Found, Frame, Instant, LineTiming,
    Master, MasterConfig, MasterError, Repr, Request, SecondaryAddress, SecondaryMask,
};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/mbus/libmbus"
);

fn corpus_frame(name: &str) -> Vec<u8> {
    fs::read_to_string(format!("{CORPUS}/frames/{name}"))
        .unwrap()
        .split_whitespace()
        .map(|t| u8::from_str_radix(t, 16).unwrap())
        .collect()
}

/// A RSP_UD with a long header for `sa` and one volume record (DIF 04, VIF 13), ending in
/// DIF 0x1F when `more`.
fn telegram(primary: u8, sa: SecondaryAddress, volume: u32, more: bool) -> Vec<u8> {
    let mut data = sa.to_bytes().to_vec();
    data.extend_from_slice(&[0x01, 0x00, 0x00, 0x00]); // access number, status, signature
    data.extend_from_slice(&[0x04, 0x13]);
    data.extend_from_slice(&volume.to_le_bytes());
    if more {
        data.push(0x1F);
    }
    let repr = Repr::Long {
        control: Control::RspUd {
            acd: false,
            dfc: false,
        },
        address: Address::from_byte(primary),
        ci: 0x72,
        data: &data,
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut buf).unwrap();
    buf
}

#[derive(Debug)]
struct Slave {
    primary: u8,
    secondary: SecondaryAddress,
    /// Answer latency after the end of the request.
    delay: u64,
    selected: bool,
    telegrams: Vec<Vec<u8>>,
    next: usize,
    last: Option<usize>,
    last_fcb: Option<bool>,
    /// Every REQ_UD2 FCB this slave saw.
    fcbs: Vec<bool>,
}

impl Slave {
    fn new(primary: u8, secondary: SecondaryAddress, delay: u64, telegrams: Vec<Vec<u8>>) -> Self {
        Slave {
            primary,
            secondary,
            delay,
            selected: false,
            telegrams,
            next: 0,
            last: None,
            last_fcb: None,
            fcbs: Vec::new(),
        }
    }

    fn simple(primary: u8, secondary: SecondaryAddress, delay: u64) -> Self {
        let t = telegram(primary, secondary, u32::from(primary), false);
        Slave::new(primary, secondary, delay, vec![t])
    }

    fn reset_link(&mut self) {
        self.next = 0;
        self.last = None;
        self.last_fcb = None;
    }

    fn addressed(&self, a: Address) -> bool {
        let b = a.byte();
        b == self.primary || b == 254 || b == 255 || (b == 253 && self.selected)
    }

    /// The slave side of EN 13757-2: what it answers to `req`.
    fn handle(&mut self, req: &Request<'_>) -> Option<Vec<u8>> {
        let silent = req.address().expects_no_reply();
        match *req {
            Request::SndNke { address } if self.addressed(address) => {
                self.reset_link();
                if address == Address::NETWORK {
                    // SND_NKE to 253 deselects (notes 1.4); the selected slave still answers.
                    self.selected = false;
                }
                (!silent).then(|| vec![0xE5])
            }
            Request::Select { mask, .. } => {
                // A selection that does not match deselects (EN 13757-3, network layer).
                self.selected = mask.matches(self.secondary);
                if self.selected {
                    self.reset_link();
                }
                self.selected.then(|| vec![0xE5])
            }
            Request::SetPrimaryAddress {
                address,
                new_address,
                ..
            } if self.addressed(address) => {
                self.primary = new_address;
                (!silent).then(|| vec![0xE5])
            }
            Request::SwitchBaudRate { address, .. } if self.addressed(address) => {
                // Acknowledged at the old speed (notes 1.6); the simulated line keeps one.
                (!silent).then(|| vec![0xE5])
            }
            Request::ReqUd2 { address, fcb } if self.addressed(address) && !silent => {
                self.fcbs.push(fcb);
                // Same FCB as last time: the master lost our answer, send it again.
                if self.last_fcb == Some(fcb)
                    && let Some(last) = self.last
                {
                    return Some(self.telegrams[last].clone());
                }
                let i = self.next;
                self.last = Some(i);
                self.next = (i + 1) % self.telegrams.len();
                self.last_fcb = Some(fcb);
                Some(self.telegrams[i].clone())
            }
            _ => None,
        }
    }
}

/// The bus: slaves answering in virtual time; simultaneous answers are wired-AND-ed byte by
/// byte (a space from any slave wins over the idle mark level).
struct Bus {
    timing: LineTiming,
    slaves: Vec<Slave>,
    echo: bool,
    /// (time, bytes) deliveries to the master, in time order.
    queue: VecDeque<(Instant, Vec<u8>)>,
    /// Requests seen, in order.
    requests: Vec<Vec<u8>>,
    /// Drop the answer to the request with this index (0-based), once.
    drop_reply_to: Option<usize>,
    /// Cut the answer to the request with this index to this many bytes.
    cut_reply_to: Option<(usize, usize)>,
    /// Put a stray byte on the line after the first request to this address.
    noise_after: Option<(u8, u8)>,
    /// Extra delay of every delivery (a TCP gateway or a USB converter between us and the
    /// bus), in ms.
    transport_delay: u64,
}

impl Bus {
    fn new(timing: LineTiming, slaves: Vec<Slave>) -> Self {
        Bus {
            timing,
            slaves,
            echo: false,
            queue: VecDeque::new(),
            requests: Vec::new(),
            drop_reply_to: None,
            cut_reply_to: None,
            noise_after: None,
            transport_delay: 0,
        }
    }

    fn deliver(&mut self, start: Instant, bytes: &[u8]) {
        // Bytes reach the master 4 at a time, as a UART FIFO hands them over.
        for (i, chunk) in bytes.chunks(4).enumerate() {
            let at = start
                + self.timing.transmit_time(i * 4 + chunk.len())
                + Duration::millis(self.transport_delay);
            self.queue.push_back((at, chunk.to_vec()));
        }
        self.queue.make_contiguous().sort_by_key(|(t, _)| *t);
    }

    fn transmit(&mut self, bytes: &[u8], now: Instant) {
        let index = self.requests.len();
        self.requests.push(bytes.to_vec());
        let end = now + self.timing.transmit_time(bytes.len());
        if self.echo {
            self.deliver(now, bytes);
        }
        let frame = Frame::new_checked(bytes).unwrap();
        let req = Request::parse(&frame).unwrap();
        // Answers grouped by latency; equal latencies overlap exactly and are AND-ed.
        let mut answers: Vec<(u64, Vec<u8>)> = Vec::new();
        for s in &mut self.slaves {
            if let Some(reply) = s.handle(&req) {
                match answers.iter_mut().find(|(d, _)| *d == s.delay) {
                    Some((_, acc)) => {
                        for (i, b) in reply.iter().enumerate() {
                            match acc.get_mut(i) {
                                Some(a) => *a &= *b,
                                None => acc.push(*b),
                            }
                        }
                    }
                    None => answers.push((s.delay, reply)),
                }
            }
        }
        if self.drop_reply_to == Some(index) {
            self.drop_reply_to = None;
            answers.clear();
        }
        if let Some((i, keep)) = self.cut_reply_to
            && i == index
        {
            for (_, a) in &mut answers {
                a.truncate(keep);
            }
        }
        if let Some((address, byte)) = self.noise_after
            && address == req.address().byte()
        {
            self.noise_after = None;
            answers.push((20, vec![byte]));
        }
        for (delay, bytes) in answers {
            self.deliver(end + Duration::millis(delay), &bytes);
        }
    }
}

/// What a drive loop saw.
#[derive(Debug, Default)]
struct Transcript {
    events: Vec<Event>,
    telegrams: Vec<Vec<u8>>,
    end: u64,
}

/// Run the master until its command is done, jumping the clock to the next wake-up.
fn drive(m: &mut Master, bus: &mut Bus, start: Instant) -> Transcript {
    let mut now = start;
    let mut t = Transcript::default();
    for _ in 0..200_000 {
        let mut buf = [0u8; 261];
        if let Some(n) = m.poll_transmit(now, &mut buf) {
            bus.transmit(&buf[..n], now);
        }
        while let Some(ev) = m.poll_event() {
            if let Event::Telegram { .. } = ev {
                t.telegrams.push(m.telegram().unwrap().as_bytes().to_vec());
            }
            t.events.push(ev);
            if let Event::Done(_) = ev {
                t.end = now.ticks();
                return t;
            }
        }
        let next_bus = bus.queue.front().map(|(at, _)| *at);
        let next_master = m.poll_timeout();
        match (next_bus, next_master) {
            (Some(b), Some(mt)) if b <= mt => {
                now = now.max(b);
                let (_, bytes) = bus.queue.pop_front().unwrap();
                m.handle_received(&bytes, now);
            }
            (Some(b), None) => {
                now = now.max(b);
                let (_, bytes) = bus.queue.pop_front().unwrap();
                m.handle_received(&bytes, now);
            }
            (_, Some(mt)) => {
                now = now.max(mt);
                m.handle_timeout(now);
            }
            (None, None) => panic!("stalled: no wake-up and nothing on the bus"),
        }
    }
    panic!("livelock: the command did not end");
}

fn sa(id: u32, manufacturer: u16, version: u8, medium: u8) -> SecondaryAddress {
    SecondaryAddress::new(id, manufacturer, version, medium)
}

fn at(ms: u64) -> Instant {
    Instant::from_ticks(ms)
}

#[test]
fn multi_telegram_readout_starts_at_fcb_1_and_toggles() {
    let a = sa(0x1122_3344, 0x2C2D, 1, 4);
    let ts = vec![
        telegram(5, a, 1, true),
        telegram(5, a, 2, true),
        telegram(5, a, 3, false),
    ];
    let mut bus = Bus::new(
        LineTiming::default(),
        vec![Slave::new(5, a, 20, ts.clone())],
    );
    let mut m = Master::new(MasterConfig::default());
    m.start(Command::ReadOut {
        address: Address::from_byte(5),
        reset: true,
    })
    .unwrap();
    let t = drive(&mut m, &mut bus, at(0));
    assert_eq!(t.telegrams, ts, "{:?} {:?}", t.events, bus.requests);
    assert_eq!(
        t.events.last(),
        Some(&Event::Done(Ok(Completion::Telegrams {
            count: 3,
            capped: false
        })))
    );
    // SND_NKE, then REQ_UD2 with FCB 1, 0, 1 (wmbusmeters / m-bus.com 5.3; libmbus #105).
    assert_eq!(bus.requests[0], [0x10, 0x40, 0x05, 0x45, 0x16]);
    assert_eq!(bus.slaves[0].fcbs, [true, false, true]);
    assert!(!m.is_busy());
}

#[test]
fn a_lost_answer_is_asked_again_with_the_same_fcb() {
    let a = sa(0x1122_3344, 0x2C2D, 1, 4);
    let ts = vec![
        telegram(5, a, 1, true),
        telegram(5, a, 2, true),
        telegram(5, a, 3, false),
    ];
    let timing = LineTiming::default();
    let mut bus = Bus::new(timing, vec![Slave::new(5, a, 20, ts.clone())]);
    // Request 2 is the second REQ_UD2: its answer is lost once.
    bus.drop_reply_to = Some(2);
    let mut m = Master::new(MasterConfig::default());
    m.start(Command::ReadOut {
        address: Address::from_byte(5),
        reset: true,
    })
    .unwrap();
    let t = drive(&mut m, &mut bus, at(0));
    // The slave repeats telegram 2 instead of skipping to 3.
    assert_eq!(t.telegrams, ts);
    assert_eq!(bus.slaves[0].fcbs, [true, false, false, true]);
    assert_eq!(bus.requests[2], bus.requests[3]);
}

#[test]
fn the_readout_stops_at_the_cap() {
    let a = sa(0x1122_3344, 0x2C2D, 1, 4);
    let ts = vec![telegram(9, a, 1, true), telegram(9, a, 2, true)];
    let mut bus = Bus::new(LineTiming::default(), vec![Slave::new(9, a, 20, ts)]);
    let cfg = MasterConfig {
        max_telegrams: 4,
        ..MasterConfig::default()
    };
    let mut m = Master::new(cfg);
    m.start(Command::ReadOut {
        address: Address::from_byte(9),
        reset: false,
    })
    .unwrap();
    let t = drive(&mut m, &mut bus, at(0));
    assert_eq!(t.telegrams.len(), 4);
    assert_eq!(
        t.events.last(),
        Some(&Event::Done(Ok(Completion::Telegrams {
            count: 4,
            capped: true
        })))
    );
}

#[test]
fn a_silent_slave_is_given_up_after_the_retries() {
    let timing = LineTiming::default();
    let mut bus = Bus::new(timing, vec![]);
    let mut m = Master::new(MasterConfig::default());
    m.start(Command::ReadOut {
        address: Address::from_byte(3),
        reset: false,
    })
    .unwrap();
    let t = drive(&mut m, &mut bus, at(0));
    assert_eq!(
        t.events,
        [Event::Done(Err(MasterError::NoReply {
            address: Address::from_byte(3)
        }))]
    );
    assert_eq!(bus.requests.len(), 3);
    // Three windows of 23 ms transmit + 188 ms, with 14 ms idle between them.
    assert_eq!(t.end, 3 * (23 + 188) + 2 * 14);
}

#[test]
fn a_real_long_frame_at_300_baud_is_timed_by_gaps_not_by_a_frame_timeout() {
    // metrona_ultraheat_xs.hex: 254 bytes, 9.3 s at 300 Bd, far beyond the 1.15 s window.
    let frame = corpus_frame("metrona_ultraheat_xs.hex");
    let timing = LineTiming::new(300);
    let slave = Slave::new(0x64, sa(0, 0, 0, 0), 50, vec![frame.clone()]);
    let mut bus = Bus::new(timing, vec![slave]);
    let mut m = Master::new(MasterConfig {
        timing,
        ..MasterConfig::default()
    });
    m.start(Command::ReadOut {
        address: Address::from_byte(0x64),
        reset: false,
    })
    .unwrap();
    let t = drive(&mut m, &mut bus, at(0));
    assert_eq!(t.telegrams, [frame]);
    assert_eq!(bus.requests.len(), 1);
    assert!(t.end > 9_000);
}

#[test]
fn a_cut_frame_ends_one_gap_after_its_last_byte_and_is_retried() {
    let frame = corpus_frame("kamstrup_382_005.hex");
    let timing = LineTiming::default();
    let slave = Slave::new(0x78, sa(0, 0, 0, 0), 20, vec![frame.clone()]);
    let mut bus = Bus::new(timing, vec![slave]);
    // libmbus #207: a converter cuts the first answer short.
    bus.cut_reply_to = Some((0, 40));
    let mut m = Master::new(MasterConfig::default());
    m.start(Command::ReadOut {
        address: Address::from_byte(0x78),
        reset: false,
    })
    .unwrap();
    let t = drive(&mut m, &mut bus, at(0));
    assert_eq!(t.telegrams, [frame]);
    assert_eq!(bus.requests.len(), 2);
    // The retry goes out one gap (92 ms) plus turnaround (14 ms) after the 40th byte:
    // request 5 bytes (23 ms), 20 ms latency, 40 bytes (184 ms): cut at 227 ms, retry at
    // 333 ms; then 23 + 20 ms and the 76-byte frame (349 ms), complete at its stop byte.
    assert_eq!(t.end, 333 + 23 + 20 + 349);
}

#[test]
fn the_echo_of_our_request_is_dropped() {
    let a = sa(0x1122_3344, 0x2C2D, 1, 4);
    // The slave answers late in the window (150 of 188 ms): the echo must not start the
    // inter-byte gap timer, or the master would give up before the answer.
    let mut bus = Bus::new(LineTiming::default(), vec![Slave::simple(8, a, 150)]);
    bus.echo = true;
    let mut m = Master::new(MasterConfig {
        echo: true,
        ..MasterConfig::default()
    });
    m.start(Command::ReadOut {
        address: Address::from_byte(8),
        reset: true,
    })
    .unwrap();
    let t = drive(&mut m, &mut bus, at(0));
    assert_eq!(t.telegrams.len(), 1);
    assert_eq!(bus.requests.len(), 2);
}

#[test]
fn primary_scan_finds_slaves_collisions_and_ignores_a_stray_byte() {
    let slaves = vec![
        Slave::simple(1, sa(0x01, 1, 1, 1), 20),
        Slave::simple(7, sa(0x07, 1, 1, 1), 20),
        // Two slaves on 42 with different latencies: two E5s, a collision.
        Slave::simple(42, sa(0x42, 1, 1, 1), 20),
        Slave::simple(42, sa(0x43, 1, 1, 1), 35),
        Slave::simple(250, sa(0x250, 1, 1, 1), 20),
    ];
    let mut bus = Bus::new(LineTiming::default(), slaves);
    // An FD after SND_NKE to the empty address 13 (libmbus #131, #199).
    bus.noise_after = Some((13, 0xFD));
    let mut m = Master::new(MasterConfig::default());
    m.start(Command::ScanPrimary {
        first: 0,
        last: 250,
    })
    .unwrap();
    let t = drive(&mut m, &mut bus, at(0));
    let found: Vec<Found> = t
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Found(f) => Some(*f),
            _ => None,
        })
        .collect();
    let a = Address::from_byte;
    assert_eq!(
        found,
        [
            Found::Primary(a(1)),
            Found::Primary(a(7)),
            Found::PrimaryCollision(a(42)),
            Found::Primary(a(250)),
        ]
    );
    assert_eq!(
        t.events.last(),
        Some(&Event::Done(Ok(Completion::Scanned {
            found: 4,
            probes: 251,
            capped: false
        })))
    );
    // 251 probes; each silent one is sent twice (one search retry), plus the retry after FD.
    let silent = 251 - 4;
    assert_eq!(bus.requests.len(), 4 + 2 * silent);
}

fn found_secondaries(t: &Transcript) -> Vec<SecondaryAddress> {
    let mut v: Vec<SecondaryAddress> = t
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Found(Found::Secondary(a)) => Some(*a),
            _ => None,
        })
        .collect();
    v.sort();
    v
}

#[test]
fn secondary_scan_narrows_through_collisions_and_hex_nibbles() {
    let mut addresses = vec![
        // Shared ID prefix: collisions on wildcard selection down to the 7th digit.
        sa(0x1234_5670, 0x2C2D, 0x01, 0x04),
        sa(0x1234_5671, 0x2C2D, 0x01, 0x04),
        // The same ID twice, manufacturers differing only in a hex nibble (D vs E):
        // a 0..9-only search (libmbus #73) never separates them.
        sa(0x8765_4321, 0x2C2D, 0x1A, 0x07),
        sa(0x8765_4321, 0x2C2E, 0x1A, 0x07),
        sa(0x0000_0001, 0x0442, 0x00, 0x02),
    ];
    // Equal latencies make E5s AND into one clean E5, so the collision shows only in the
    // data; different ones garble the E5s: both paths are exercised.
    let delays = [20, 20, 20, 31, 25];
    let slaves: Vec<Slave> = addresses
        .iter()
        .zip(delays)
        .enumerate()
        .map(|(i, (a, d))| Slave::simple(i as u8 + 1, *a, d))
        .collect();
    let mut bus = Bus::new(LineTiming::default(), slaves);
    let mut m = Master::new(MasterConfig::default());
    m.start(Command::ScanSecondary {
        start: SecondaryMask::ALL,
    })
    .unwrap();
    let t = drive(&mut m, &mut bus, at(0));
    addresses.sort();
    assert_eq!(found_secondaries(&t), addresses);
    let Some(Event::Done(Ok(Completion::Scanned {
        found,
        probes,
        capped: false,
    }))) = t.events.last()
    else {
        panic!("{:?}", t.events.last());
    };
    assert_eq!(*found, 5);
    assert!(*probes > 5);
    // Every probe of the search is a selection at 253, CI 0x52.
    let selections = bus
        .requests
        .iter()
        .filter(|r| r.len() == 17 && r[5] == 0xFD && r[6] == 0x52)
        .count();
    assert!(selections >= *probes as usize);
}

#[test]
fn secondary_scan_reads_real_headers() {
    // Slaves answering with real corpus telegrams: the found address is read from the long
    // header (ID, manufacturer, version, medium).
    let names = [
        "kamstrup_multical_601.hex",
        "abb_f95.hex",
        "siemens_wfh21.hex",
    ];
    let mut expected = Vec::new();
    let slaves: Vec<Slave> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let f = corpus_frame(n);
            let frame = Frame::new_checked(&f).unwrap();
            let a = SecondaryAddress::from_long_header(0x72, frame.user_data()).unwrap();
            expected.push(a);
            Slave::new(i as u8 + 1, a, 20 + i as u64, vec![f.clone()])
        })
        .collect();
    let mut bus = Bus::new(LineTiming::default(), slaves);
    let mut m = Master::new(MasterConfig::default());
    m.start(Command::ScanSecondary {
        start: SecondaryMask::ALL,
    })
    .unwrap();
    let t = drive(&mut m, &mut bus, at(0));
    expected.sort();
    assert_eq!(found_secondaries(&t), expected);
}

#[test]
fn read_by_secondary_address_deselects_selects_then_reads() {
    let a = sa(0x8765_4321, 0x2C2D, 0x1A, 0x07);
    let b = sa(0x8765_4322, 0x2C2D, 0x1A, 0x07);
    let mut bus = Bus::new(
        LineTiming::default(),
        vec![Slave::simple(1, a, 20), Slave::simple(2, b, 20)],
    );
    let mut m = Master::new(MasterConfig::default());
    m.start(Command::ReadSecondary {
        mask: SecondaryMask::exact(b),
    })
    .unwrap();
    let t = drive(&mut m, &mut bus, at(0));
    assert_eq!(t.telegrams, [telegram(2, b, 2, false)]);
    assert_eq!(bus.requests[0], [0x10, 0x40, 0xFD, 0x3D, 0x16]);
    assert_eq!(bus.requests[1][6], 0x52);
    // After the selection the first REQ_UD2 to 253 carries FCB = 1.
    assert_eq!(bus.requests[2], [0x10, 0x7B, 0xFD, 0x78, 0x16]);
}

#[test]
fn send_reports_acknowledgement_and_broadcasts() {
    let a = sa(1, 1, 1, 1);
    let mut bus = Bus::new(LineTiming::default(), vec![Slave::simple(4, a, 20)]);
    let mut m = Master::new(MasterConfig::default());
    m.send(&Request::SndNke {
        address: Address::from_byte(4),
    })
    .unwrap();
    assert_eq!(
        m.send(&Request::SndNke {
            address: Address::from_byte(4)
        }),
        Err(MasterError::Busy)
    );
    let t = drive(&mut m, &mut bus, at(0));
    assert_eq!(t.events, [Event::Done(Ok(Completion::Acknowledged))]);
    m.send(&Request::SndNke {
        address: Address::BROADCAST_NO_REPLY,
    })
    .unwrap();
    let t = drive(&mut m, &mut bus, at(1000));
    assert_eq!(t.events, [Event::Done(Ok(Completion::Sent))]);
}

#[test]
fn secondary_scan_of_a_bus_of_every_corpus_meter() {
    // All 49 CI 0x72 telegrams of the libmbus corpus as slaves: 47 distinct addresses with
    // shared ID prefixes (0000000x, 1234567x, 11xxxxxx) and hex manufacturer nibbles, and two
    // addresses that appear twice (the same meters captured twice).
    let mut paths: Vec<_> = fs::read_dir(format!("{CORPUS}/frames"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hex"))
        .collect();
    paths.sort();
    let mut slaves = Vec::new();
    let mut all = Vec::new();
    for p in &paths {
        let f = corpus_frame(p.file_name().unwrap().to_str().unwrap());
        let frame = Frame::new_checked(&f).unwrap();
        let Some(a) = SecondaryAddress::from_long_header(frame.ci().unwrap(), frame.user_data())
        else {
            continue;
        };
        all.push(a);
        // Distinct latencies: simultaneous answers arrive as separate, garbling bytes.
        let latency = 20 + slaves.len() as u64;
        slaves.push(Slave::new(
            slaves.len() as u8 + 1,
            a,
            latency,
            vec![f.clone()],
        ));
    }
    assert_eq!(slaves.len(), 49);
    let mut once: Vec<SecondaryAddress> = all
        .iter()
        .filter(|a| all.iter().filter(|b| b == a).count() == 1)
        .copied()
        .collect();
    once.sort();
    let mut twice: Vec<SecondaryAddress> = all
        .iter()
        .filter(|a| all.iter().filter(|b| b == a).count() == 2)
        .copied()
        .collect();
    twice.sort();
    twice.dedup();
    assert_eq!((once.len(), twice.len()), (45, 2));

    let mut bus = Bus::new(LineTiming::default(), slaves);
    let mut m = Master::new(MasterConfig::default());
    m.start(Command::ScanSecondary {
        start: SecondaryMask::ALL,
    })
    .unwrap();
    let t = drive(&mut m, &mut bus, at(0));
    assert_eq!(found_secondaries(&t), once);
    let mut dups: Vec<SecondaryAddress> = t
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Found(Found::DuplicateSecondary(mask)) => {
                Some(SecondaryAddress::from_u64(mask.as_u64()))
            }
            _ => None,
        })
        .collect();
    dups.sort();
    assert_eq!(dups, twice);
    let Some(Event::Done(Ok(Completion::Scanned {
        found,
        probes,
        capped: false,
    }))) = t.events.last()
    else {
        panic!("{:?}", t.events.last());
    };
    assert_eq!(*found, 45 + 2 * 2);
    // Printed for the record (`cargo test -- --nocapture`): probes and bus time.
    println!(
        "49 slaves: {probes} probes, {} s of bus time at 2400 Bd",
        t.end / 1000
    );
}

#[test]
fn a_gateway_needs_its_margin() {
    // A TCP gateway adding 600 ms each way (libmbus #135: an Elvaco CMe3000 needs more
    // than libmbus's default): without a margin every attempt times out.
    let a = sa(0x1122_3344, 0x2C2D, 1, 4);
    let run = |timing: LineTiming| {
        let mut bus = Bus::new(timing, vec![Slave::simple(5, a, 20)]);
        bus.transport_delay = 600;
        let mut m = Master::new(MasterConfig {
            timing,
            ..MasterConfig::default()
        });
        m.start(Command::ReadOut {
            address: Address::from_byte(5),
            reset: false,
        })
        .unwrap();
        drive(&mut m, &mut bus, at(0))
    };
    let direct = run(LineTiming::default());
    assert_eq!(
        direct.events.last(),
        Some(&Event::Done(Err(MasterError::NoReply {
            address: Address::from_byte(5)
        })))
    );
    assert_eq!(direct.telegrams.len(), 0);
    let gateway = run(LineTiming::default().with_margin(LineTiming::MARGIN_TCP));
    assert_eq!(gateway.telegrams, [telegram(5, a, 5, false)]);
}

#[test]
fn a_transmit_buffer_too_small_ends_the_command() {
    let mut m = Master::new(MasterConfig::default());
    m.start(Command::ReadSecondary {
        mask: SecondaryMask::ALL,
    })
    .unwrap();
    let mut small = [0u8; 5];
    // SND_NKE to 253 fits; the 17-byte selection does not.
    assert_eq!(m.poll_transmit(at(0), &mut small), Some(5));
    let t = m.poll_timeout().unwrap();
    m.handle_timeout(t);
    let t = m.poll_timeout().unwrap();
    assert_eq!(m.poll_transmit(t, &mut small), None);
    assert_eq!(
        m.poll_event(),
        Some(Event::Done(Err(MasterError::Emit(
            wired_mbus::EmitError::BufferTooSmall {
                needed: 17,
                available: 5
            }
        ))))
    );
    assert!(!m.is_busy());
}

#[test]
fn set_primary_address_then_read_at_the_new_one() {
    let a = sa(0x1122_3344, 0x2C2D, 1, 4);
    let mut bus = Bus::new(LineTiming::default(), vec![Slave::simple(5, a, 20)]);
    let mut m = Master::new(MasterConfig::default());
    let five = Address::from_byte(5);
    let fcb = m.fcb().next(five);
    m.send(&Request::SetPrimaryAddress {
        address: five,
        fcb,
        new_address: 9,
    })
    .unwrap();
    let t = drive(&mut m, &mut bus, at(0));
    assert_eq!(t.events, [Event::Done(Ok(Completion::Acknowledged))]);
    // 68 06 06 68 73 05 51 01 7A 09 CS 16: SND_UD with FCB 1, CI 0x51, record 01 7A 09.
    assert_eq!(
        &bus.requests[0][4..10],
        &[0x73, 0x05, 0x51, 0x01, 0x7A, 0x09]
    );
    // A successful SND_UD toggles the FCB of address 5.
    assert!(!m.fcb().next(five));
    let t = drive_read(&mut m, &mut bus, Address::from_byte(9), at(t.end + 1000));
    assert_eq!(t.telegrams.len(), 1);
    let t = drive_read(&mut m, &mut bus, five, at(t.end + 1000));
    assert_eq!(
        t.events,
        [Event::Done(Err(MasterError::NoReply { address: five }))]
    );
}

fn drive_read(m: &mut Master, bus: &mut Bus, address: Address, start: Instant) -> Transcript {
    m.start(Command::ReadOut {
        address,
        reset: true,
    })
    .unwrap();
    drive(m, bus, start)
}

#[test]
fn baud_switch_is_acknowledged() {
    let a = sa(1, 1, 1, 1);
    let mut bus = Bus::new(LineTiming::default(), vec![Slave::simple(3, a, 20)]);
    let mut m = Master::new(MasterConfig::default());
    m.send(&Request::SwitchBaudRate {
        address: Address::from_byte(3),
        fcb: false,
        baud: wired_mbus::BaudRate::B9600,
    })
    .unwrap();
    let t = drive(&mut m, &mut bus, at(0));
    assert_eq!(t.events, [Event::Done(Ok(Completion::Acknowledged))]);
    assert_eq!(
        bus.requests[0],
        [0x68, 0x03, 0x03, 0x68, 0x53, 0x03, 0xBD, 0x13, 0x16]
    );
    // After the acknowledgement the caller switches the port and the master's timing.
    m.set_config(MasterConfig {
        timing: LineTiming::new(9600),
        ..*m.config()
    });
    assert_eq!(m.config().timing.baud(), 9600);
}
