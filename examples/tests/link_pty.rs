//! `rs485_link::Link` on real pseudo-terminal pairs (`serialport::TTYPort::pair()`), with the
//! DL/T 645 framing from `dlt645` and frames from `shared/vectors/dlt645/frames.tsv`: a
//! simulated meter thread on one end, the driver on the other. Slow bytes, a gap mid-frame,
//! echo, silence and noise before the reply.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

use std::io::Write;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use dlt645::Dlt645Framing;
use rs485_link::{Duration, LineSettings, Link, LinkError, SerialUart, StdClock, Timing};
use serialport::TTYPort;

mod common;

use common::vector;

/// V04: read DI 00010000 at meter 000000000161, sent with 4 FE; without them here, since the
/// link sends the framing's preamble itself.
fn request() -> Vec<u8> {
    vector("V04")[4..].to_vec()
}

/// V05: the meter's reply (0.26 kWh).
fn reply() -> Vec<u8> {
    vector("V05")
}

/// What the simulated meter does after it has received a request.
#[derive(Clone)]
enum Act {
    /// Write back the request as received, wake-up bytes included (an echoing adapter).
    Echo,
    /// Write these bytes at once.
    Send(Vec<u8>),
    /// Write these bytes one by one, pausing between them.
    Slow(Vec<u8>, u64),
    /// Pause.
    Sleep(u64),
}

type PtyLink = Link<SerialUart<TTYPort>, StdClock, Dlt645Framing, 512>;

const TIMING: Timing = Timing::dlt645(LineSettings::DLT645_9600);

/// The meter thread; it keeps its end of the pty open until [`finish`](Meter::finish) (a
/// closed pty end makes the other end's reads fail with EIO, pending bytes lost).
struct Meter {
    done: mpsc::Sender<()>,
    thread: thread::JoinHandle<Vec<Vec<u8>>>,
}

impl Meter {
    /// Stop the meter; the requests it received.
    fn finish(self) -> Vec<Vec<u8>> {
        self.done.send(()).unwrap();
        self.thread.join().unwrap()
    }
}

/// A pty pair: the driver's link on one end, a meter thread running `script` (one list of acts
/// per request it receives) on the other.
fn setup(script: Vec<Vec<Act>>) -> (PtyLink, Meter) {
    let (done, finished) = mpsc::channel();
    let (meter_end, driver_end) = TTYPort::pair().expect("pty pair");
    let mut uart = SerialUart::new(driver_end);
    uart.configure(&LineSettings::DLT645_9600)
        .expect("line settings");
    let link = Link::new(uart, StdClock::new(), Dlt645Framing, TIMING);
    let thread = thread::spawn(move || {
        // The meter side uses the link layer too: `receive` deframes the request.
        let mut side: PtyLink = Link::new(
            SerialUart::new(meter_end),
            StdClock::new(),
            Dlt645Framing,
            TIMING,
        );
        let mut seen = Vec::new();
        for acts in script {
            let req = side
                .receive(Duration::millis(5000))
                .expect("the meter gets a request")
                .to_vec();
            seen.push(req.clone());
            let port = side.uart_mut().port_mut();
            for act in acts {
                match act {
                    Act::Echo => {
                        let mut wire = vec![0xFE; 4];
                        wire.extend_from_slice(&req);
                        port.write_all(&wire).unwrap();
                    }
                    Act::Send(b) => port.write_all(&b).unwrap(),
                    Act::Slow(b, ms) => {
                        for byte in b {
                            port.write_all(&[byte]).unwrap();
                            thread::sleep(StdDuration::from_millis(ms));
                        }
                    }
                    Act::Sleep(ms) => thread::sleep(StdDuration::from_millis(ms)),
                }
            }
        }
        finished.recv().unwrap();
        seen
    });
    (link, Meter { done, thread })
}

#[test]
fn request_and_reply_with_wake_up_bytes() {
    let mut wire = vec![0xFE; 4];
    wire.extend_from_slice(&reply());
    let (mut link, meter) = setup(vec![vec![Act::Sleep(25), Act::Send(wire)]]);
    assert_eq!(link.transact(&request()).unwrap(), &reply()[..]);
    assert_eq!(meter.finish(), vec![request()]);
}

#[test]
fn slow_bytes_within_the_gap_make_a_frame() {
    // 20 bytes 40 ms apart: 760 ms in all, beyond the 500 ms response timeout, but every gap
    // is below Tb = 500 ms.
    let (mut link, meter) = setup(vec![vec![Act::Slow(reply(), 40)]]);
    let t = StdInstant::now();
    assert_eq!(link.transact(&request()).unwrap(), &reply()[..]);
    assert!(t.elapsed() >= StdDuration::from_millis(40 * (reply().len() as u64 - 1)));
    meter.finish();
}

#[test]
fn a_gap_mid_frame_garbles_the_reply() {
    let r = reply();
    let (mut link, meter) = setup(vec![vec![
        Act::Send(r[..10].to_vec()),
        Act::Sleep(700),
        Act::Send(r[10..].to_vec()),
    ]]);
    match link.transact(&request()) {
        Err(LinkError::Garbled { bytes }) => assert!(bytes >= 10, "{bytes}"),
        other => panic!("{other:?}"),
    }
    meter.finish();
}

#[test]
fn the_echo_is_dropped() {
    let (link, meter) = setup(vec![vec![Act::Echo, Act::Sleep(30), Act::Send(reply())]]);
    let mut link = link.with_echo(true);
    assert_eq!(link.transact(&request()).unwrap(), &reply()[..]);
    meter.finish();
}

#[test]
fn silence_is_a_timeout_after_the_response_timeout() {
    let (mut link, meter) = setup(vec![vec![]]);
    let t = StdInstant::now();
    assert!(matches!(link.transact(&request()), Err(LinkError::Timeout)));
    let waited = t.elapsed();
    assert!(waited >= StdDuration::from_millis(500), "{waited:?}");
    // Bounded well above 500 ms: a loaded machine may be late to wake, never early.
    assert!(waited < StdDuration::from_millis(2000), "{waited:?}");
    meter.finish();
}

#[test]
fn noise_before_the_reply_is_skipped() {
    // The noise of streams.tsv S2 (fd bb dd), then the reply.
    let (mut link, meter) = setup(vec![vec![
        Act::Send(vec![0xFD, 0xBB, 0xDD]),
        Act::Sleep(20),
        Act::Send(reply()),
    ]]);
    assert_eq!(link.transact(&request()).unwrap(), &reply()[..]);
    meter.finish();
}

#[test]
fn consecutive_transactions_on_one_link() {
    let (mut link, meter) = setup(vec![
        vec![Act::Send(reply())],
        vec![Act::Send(vec![0x00]), Act::Send(reply())],
        vec![],
        vec![Act::Send(reply())],
    ]);
    assert_eq!(link.transact(&request()).unwrap(), &reply()[..]);
    assert_eq!(link.transact(&request()).unwrap(), &reply()[..]);
    assert!(matches!(link.transact(&request()), Err(LinkError::Timeout)));
    assert_eq!(link.transact(&request()).unwrap(), &reply()[..]);
    assert_eq!(meter.finish().len(), 4);
}
