//! Both simulators take any bytes without panicking: every frame of the shared vectors (valid
//! and broken), every M-Bus corpus frame, and seeded random mutations and noise of them.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

use dlt645::{Address, Edition};
use examples::mbus_sim::{MbusSim, MbusSimConfig, SlaveConfig};
use examples::meter_sim::{Fault, MeterConfig, MeterSim, SimConfig};
use examples::parse_hex;
use rs485_link::{Duration, Instant};

const FRAMES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/dlt645/frames.tsv"
));
const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/mbus/libmbus/frames"
);

/// xorshift64: the same mutations on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// `frame` with one to four bytes changed, cut, or extended with noise.
fn mutate(frame: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut f = frame.to_vec();
    match rng.below(3) {
        0 => {
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(f.len());
                if let Some(b) = f.get_mut(i) {
                    *b = rng.next() as u8;
                }
            }
        }
        1 => f.truncate(rng.below(f.len() + 1)),
        _ => f.extend((0..rng.below(16)).map(|_| rng.next() as u8)),
    }
    f
}

fn dlt645_vectors() -> Vec<Vec<u8>> {
    FRAMES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| parse_hex(l.split('\t').nth(1)?).ok())
        .collect()
}

#[test]
fn meter_sim_survives_vectors_and_mutations() {
    let vectors = dlt645_vectors();
    let lines = FRAMES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .count();
    assert_eq!(vectors.len(), lines);
    // Meters at the addresses the vectors use, so that many requests reach a meter.
    let addresses = [
        1,
        161,
        1111,
        201_000_000_012,
        202_208_310_002,
        3_430_163,
        123_456_789_012,
    ];
    let mut meters: Vec<MeterConfig> = addresses
        .iter()
        .map(|a| MeterConfig::new(Address::from_number(*a).unwrap(), Edition::V2007))
        .collect();
    meters.push(MeterConfig::new(
        Address::from_number(3_430_163).unwrap(),
        Edition::V1997,
    ));
    meters.push(
        MeterConfig::new(Address::from_number(2).unwrap(), Edition::V2007)
            .with_fault(Fault::EveryNth(2))
            .with_fault(Fault::BadChecksum),
    );
    let mut sim = MeterSim::new(SimConfig::new(meters));
    let mut rng = Rng(0x5EED_0645);
    let mut answered = 0;
    let mut now = Instant::from_ticks(0);
    for v in &vectors {
        answered += usize::from(sim.handle(v, now).is_some());
        for _ in 0..200 {
            let m = mutate(v, &mut rng);
            now += Duration::millis(rng.below(100_000) as u64);
            sim.handle(&m, now);
        }
    }
    // Random noise of every length up to 300.
    for len in 0..300 {
        let noise: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        sim.handle(&noise, now);
    }
    assert!(answered > 5, "only {answered} vectors answered");
    assert!(!sim.take_log().is_empty());
}

#[test]
fn mbus_sim_survives_the_corpus_and_mutations() {
    let mut frames = Vec::new();
    let mut slaves = Vec::new();
    for entry in std::fs::read_dir(CORPUS).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("hex") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if let Ok(bytes) = parse_hex(&text) {
            frames.push(bytes);
        }
        if slaves.len() < 20
            && let Ok(s) = SlaveConfig::from_hex_files(slaves.len() as u8 + 1, &[&path])
        {
            slaves.push(s);
        }
    }
    // Requests too: SND_NKE, REQ_UD2 both FCBs, a wildcard selection, set address.
    let a = |n| wired_mbus::Address::from_byte(n);
    for r in [
        wired_mbus::Request::SndNke { address: a(1) },
        wired_mbus::Request::ReqUd2 {
            address: a(2),
            fcb: true,
        },
        wired_mbus::Request::ReqUd2 {
            address: a(2),
            fcb: false,
        },
        wired_mbus::Request::Select {
            fcb: false,
            mask: wired_mbus::SecondaryMask::ALL,
        },
        wired_mbus::Request::ReqUd2 {
            address: wired_mbus::Address::NETWORK,
            fcb: true,
        },
        wired_mbus::Request::SetPrimaryAddress {
            address: a(3),
            fcb: true,
            new_address: 9,
        },
    ] {
        let mut buf = vec![0u8; r.buffer_len()];
        r.emit(&mut buf).unwrap();
        frames.push(buf);
    }
    let mut sim = MbusSim::new(MbusSimConfig::new(slaves));
    let mut rng = Rng(0x5EED_3757);
    let now = Instant::from_ticks(0);
    let mut answered = 0;
    for f in &frames {
        answered += usize::from(sim.handle(f, now).is_some());
        for _ in 0..200 {
            sim.handle(&mutate(f, &mut rng), now);
        }
    }
    assert!(answered >= 6, "only {answered} requests answered");
}
