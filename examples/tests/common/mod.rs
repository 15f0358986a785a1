//! What several of these test programs share: DL/T 645 addresses, requests as a master sends
//! them, the captured frames of `shared/vectors/dlt645/frames.tsv`, and a module session run
//! against the simulated carrier module; the `concentrator` daemon as the end-to-end tests
//! run it ([`daemon`]), certificates made at test time ([`pki`]) and load on a master station
//! ([`load`]).
#![allow(dead_code)] // each test program uses a part
#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

pub(crate) mod daemon;
pub(crate) mod load;
pub(crate) mod pki;

use dlt645::{Address, Repr, Request};
use examples::parse_hex;
use examples::plc_sim::PlcModuleSim;
use qgdw1376_2::session::{Event, Instant, MAX_TX_LEN, Session};

/// The captured DL/T 645 frames, one `id<TAB>hex<TAB>...` line each.
pub(crate) const DLT645_FRAMES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/dlt645/frames.tsv"
));

/// The frame of vector `id`, as listed (with its wake-up bytes, if any).
pub(crate) fn vector(id: &str) -> Vec<u8> {
    let line = DLT645_FRAMES
        .lines()
        .find(|l| l.split('\t').next() == Some(id))
        .unwrap_or_else(|| panic!("vector {id} missing"));
    parse_hex(line.split('\t').nth(1).unwrap()).unwrap()
}

/// The meter address with number `n`.
pub(crate) fn addr(n: u64) -> Address {
    Address::from_number(n).unwrap()
}

/// Request `r` to `to`, behind four FE wake-up bytes as a master sends it.
pub(crate) fn request(to: Address, r: Request<'_>) -> Vec<u8> {
    let repr = Repr::request(to, r);
    let mut buf = vec![0xFE; 4 + repr.buffer_len()];
    repr.emit(&mut buf[4..]).unwrap();
    buf
}

/// Runs the module session `s` against the simulated carrier module `m` from `start` until
/// `until`, or until neither has anything scheduled: frames go both ways, every session event
/// goes to `on_event` (with the session, to answer it, and the time), and the clock jumps to
/// the next wake-up, told to `advance`. Returns the time reached; a livelock fails.
pub(crate) fn run_session<const N: usize>(
    s: &mut Session<N>,
    m: &mut PlcModuleSim,
    start: Instant,
    until: Instant,
    mut advance: impl FnMut(Instant),
    mut on_event: impl FnMut(&mut Session<N>, Instant, Event),
) -> Instant {
    let mut buf = [0u8; MAX_TX_LEN];
    let mut now = start;
    for _ in 0..100_000 {
        while let Some(n) = s.poll_transmit(&mut buf) {
            m.handle_received(&buf[..n], now);
        }
        let mut moved = false;
        while let Some(f) = m.poll_transmit(now) {
            s.handle_received(&f, now);
            moved = true;
        }
        while let Some(e) = s.poll_event() {
            on_event(s, now, e);
            moved = true;
        }
        if moved {
            continue;
        }
        let next = [s.poll_timeout(), m.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(n) if n <= until => {
                now = now.max(n);
                advance(now);
                s.handle_timeout(now);
            }
            _ => return now,
        }
    }
    panic!("livelock");
}
