//! The blocking and async drivers against a simulated bus on a virtual clock (`common::bus`):
//! replies, timeouts, slow bytes, gaps, echo, noise, turnaround and the direction hook.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

mod common;

use common::bus::{Bus, Pin, Responder, VClock, block_on};
use common::{Toy, toy_frame};
use rs485_link::{AsyncLink, LineSettings, Link, LinkError, Timing};

/// DL/T 645 timing at 2400 Bd: response 500 ms, gap 500 ms, turnaround 20 ms.
const TIMING: Timing = Timing::dlt645(LineSettings::DLT645_2400);

fn link(bus: &Bus) -> Link<Bus, VClock, Toy, 64> {
    Link::new(bus.clone(), VClock(bus.clone()), Toy, TIMING)
}

fn alink(bus: &Bus) -> AsyncLink<Bus, VClock, Toy, 64> {
    AsyncLink::new(bus.clone(), VClock(bus.clone()), Toy, TIMING)
}

fn meter(delay: u64, reply: Vec<u8>) -> Responder {
    Box::new(move |_| vec![(delay, reply.clone())])
}

fn silent() -> Responder {
    Box::new(|_| vec![])
}

fn req() -> Vec<u8> {
    toy_frame(&[0x11, 0x33])
}

fn reply() -> Vec<u8> {
    toy_frame(&[0x91, 0x33, 0x44])
}

#[test]
fn the_reply_comes_back_and_the_preamble_goes_out() {
    let bus = Bus::new(false, meter(40, [vec![0xFE, 0xFE], reply()].concat()));
    let mut l = link(&bus);
    assert_eq!(l.transact(&req()).unwrap(), &reply()[..]);
    assert_eq!(bus.requests()[0].1, [vec![0xFE, 0xFE], req()].concat());
    assert_eq!(bus.now(), 40);
}

#[test]
fn silence_is_a_timeout_at_the_response_deadline() {
    let bus = Bus::new(false, silent());
    let mut l = link(&bus);
    assert_eq!(l.transact(&req()), Err(LinkError::Timeout));
    assert_eq!(bus.now(), 500);
}

#[test]
fn a_reply_starting_late_is_a_timeout() {
    let bus = Bus::new(false, meter(501, reply()));
    assert_eq!(link(&bus).transact(&req()), Err(LinkError::Timeout));
}

#[test]
fn slow_bytes_within_the_gap_limit_make_a_frame() {
    // One byte every 400 ms: slow, but each gap is below 500 ms; the frame ends long after
    // the response timeout, which bounds only its first byte.
    let r = reply();
    let bytes: Vec<(u64, Vec<u8>)> = r
        .iter()
        .enumerate()
        .map(|(i, &b)| (100 + 400 * i as u64, vec![b]))
        .collect();
    let bus = Bus::new(false, Box::new(move |_| bytes.clone()));
    let mut l = link(&bus);
    assert_eq!(l.transact(&req()).unwrap(), &r[..]);
    assert_eq!(bus.now(), 100 + 400 * (r.len() as u64 - 1));
}

#[test]
fn a_gap_mid_frame_garbles_the_reply() {
    let r = reply();
    let (head, tail) = r.split_at(4);
    let (head, tail) = (head.to_vec(), tail.to_vec());
    let bus = Bus::new(
        false,
        Box::new(move |_| vec![(30, head.clone()), (531, tail.clone())]),
    );
    let mut l = link(&bus);
    assert_eq!(
        l.transact(&req()),
        Err(LinkError::Garbled { bytes: r.len() })
    );
}

#[test]
fn noise_before_the_reply_is_skipped() {
    let bus = Bus::new(
        false,
        Box::new(|_| vec![(10, vec![0x00, 0x55, 0xAA]), (60, reply())]),
    );
    let mut l = link(&bus);
    assert_eq!(l.transact(&req()).unwrap(), &reply()[..]);
}

#[test]
fn noise_only_is_garbled_not_a_timeout() {
    let bus = Bus::new(false, meter(10, vec![0x00, 0x55, 0xAA]));
    assert_eq!(
        link(&bus).transact(&req()),
        Err(LinkError::Garbled { bytes: 3 })
    );
}

#[test]
fn a_babbling_line_fails_fast_at_the_resync_limit() {
    let bus = Bus::new(false, meter(10, vec![0x00; 300]));
    let mut l = link(&bus).with_resync_limit(100);
    assert_eq!(l.transact(&req()), Err(LinkError::Garbled { bytes: 100 }));
    assert_eq!(bus.now(), 10);
}

#[test]
fn the_echo_is_dropped() {
    let bus = Bus::new(true, meter(25, reply()));
    let mut l = link(&bus).with_echo(true);
    assert_eq!(l.transact(&req()).unwrap(), &reply()[..]);
}

#[test]
fn without_echo_dropping_an_echoing_adapter_returns_our_own_frame() {
    // This is why the option exists.
    let bus = Bus::new(true, meter(25, reply()));
    assert_eq!(link(&bus).transact(&req()).unwrap(), &req()[..]);
}

#[test]
fn an_adapter_that_does_not_echo_is_an_echo_mismatch() {
    let bus = Bus::new(false, meter(25, reply()));
    let mut l = link(&bus).with_echo(true);
    // The request goes out as FE FE 68 ..; the reply begins with 68: the first byte differs.
    assert_eq!(l.transact(&req()), Err(LinkError::Echo { offset: 0 }));
}

#[test]
fn a_request_too_long_for_the_echo_buffer_is_refused_before_sending() {
    let bus = Bus::new(true, silent());
    let mut l: Link<Bus, VClock, Toy, 40> =
        Link::new(bus.clone(), VClock(bus.clone()), Toy, TIMING).with_echo(true);
    let long = toy_frame(&[0; 32]); // 36 bytes + 2 preamble = 38 ≤ 40
    assert!(l.send(&long).is_ok());
    let mut l: Link<Bus, VClock, Toy, 40> =
        Link::new(bus.clone(), VClock(bus.clone()), Toy, TIMING).with_echo(true);
    assert_eq!(
        l.transact(&[0; 39]),
        Err(LinkError::RequestTooLong {
            len: 41,
            capacity: 40
        })
    );
    assert_eq!(bus.requests().len(), 1);
}

#[test]
fn the_next_request_waits_out_the_turnaround() {
    let bus = Bus::new(false, meter(30, reply()));
    let mut l = link(&bus);
    l.transact(&req()).unwrap();
    l.transact(&req()).unwrap();
    let reqs = bus.requests();
    // Reply at 30, so the bus is quiet from 30; the next request not before 30 + 20 ms.
    assert_eq!(reqs[0].0, 0);
    assert_eq!(reqs[1].0, 50);
}

#[test]
fn stale_input_is_discarded_before_a_request() {
    let bus = Bus::new(false, meter(30, reply()));
    bus.inject(0, &toy_frame(&[0xEE]));
    let mut l = link(&bus);
    assert_eq!(l.transact(&req()).unwrap(), &reply()[..]);
}

#[test]
fn the_direction_hook_drives_the_bus_only_while_writing() {
    let bus = Bus::new(false, meter(30, reply()));
    let mut l = link(&bus).with_direction(Pin(bus.clone()));
    l.transact(&req()).unwrap();
    let names: Vec<&str> = bus.log().iter().map(|(_, n)| *n).collect();
    assert_eq!(names, ["transmit", "write", "write", "receive"]);
}

#[test]
fn a_broadcast_waits_only_for_its_echo() {
    let bus = Bus::new(true, silent());
    let mut l = link(&bus).with_echo(true);
    l.send(&req()).unwrap();
    assert_eq!(bus.now(), 0);
    let bus = Bus::new(false, silent());
    let mut l = link(&bus).with_echo(true);
    assert_eq!(l.send(&req()), Err(LinkError::Timeout));
}

#[test]
fn receive_takes_unsolicited_frames_one_by_one() {
    let bus = Bus::new(false, silent());
    let (a, b) = (toy_frame(&[1]), toy_frame(&[2]));
    bus.inject(100, &[a.clone(), b.clone()].concat());
    let mut l = link(&bus);
    assert_eq!(
        l.receive(rs485_link::Duration::millis(200)).unwrap(),
        &a[..]
    );
    assert_eq!(
        l.receive(rs485_link::Duration::millis(200)).unwrap(),
        &b[..]
    );
    assert_eq!(
        l.receive(rs485_link::Duration::millis(200)),
        Err(LinkError::Timeout)
    );
    assert_eq!(bus.now(), 300);
}

// The async driver on the same bus.

#[test]
fn async_reply_and_echo() {
    let bus = Bus::new(true, meter(40, reply()));
    let mut l = alink(&bus).with_echo(true);
    assert_eq!(block_on(l.transact(&req())).unwrap(), &reply()[..]);
    assert_eq!(bus.now(), 40);
}

#[test]
fn async_timeout_and_garbled() {
    let bus = Bus::new(false, silent());
    let mut l = alink(&bus);
    assert_eq!(block_on(l.transact(&req())), Err(LinkError::Timeout));
    assert_eq!(bus.now(), 500);
    let bus = Bus::new(false, meter(10, vec![0x01, 0x02]));
    let mut l = alink(&bus);
    assert_eq!(
        block_on(l.transact(&req())),
        Err(LinkError::Garbled { bytes: 2 })
    );
}

#[test]
fn async_slow_bytes_and_gap() {
    let r = reply();
    let slow: Vec<(u64, Vec<u8>)> = r
        .iter()
        .enumerate()
        .map(|(i, &b)| (100 + 450 * i as u64, vec![b]))
        .collect();
    let bus = Bus::new(false, Box::new(move |_| slow.clone()));
    let mut l = alink(&bus);
    assert_eq!(block_on(l.transact(&req())).unwrap(), &r[..]);
    let (head, tail) = r.split_at(3);
    let (head, tail) = (head.to_vec(), tail.to_vec());
    let bus = Bus::new(
        false,
        Box::new(move |_| vec![(5, head.clone()), (600, tail.clone())]),
    );
    let mut l = alink(&bus);
    // The 3 bytes are discarded 501 ms after they came (at 506 ms), past the response
    // deadline (500 ms): the transaction ends then, before the rest arrives.
    assert_eq!(
        block_on(l.transact(&req())),
        Err(LinkError::Garbled { bytes: 3 })
    );
    assert_eq!(bus.now(), 506);
}

#[test]
fn async_turnaround_and_direction() {
    let bus = Bus::new(false, meter(30, reply()));
    let mut l = alink(&bus).with_direction(Pin(bus.clone()));
    block_on(l.transact(&req())).unwrap();
    block_on(l.transact(&req())).unwrap();
    assert_eq!(bus.requests()[1].0, 50);
    let names: Vec<&str> = bus.log().iter().map(|(_, n)| *n).collect();
    assert_eq!(names[..4], ["transmit", "write", "write", "receive"]);
}

#[test]
fn async_cancel_mid_write_releases_the_bus_and_the_next_transaction_is_clean() {
    let bus = Bus::new(false, meter(30, reply()));
    let mut l = alink(&bus).with_direction(Pin(bus.clone()));
    bus.0.borrow_mut().stall_writes = true;
    let request = req();
    {
        let fut = core::pin::pin!(l.transact(&request));
        let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
        assert!(fut.poll(&mut cx).is_pending());
        let names: Vec<&str> = bus.log().iter().map(|(_, n)| *n).collect();
        assert_eq!(
            names,
            ["transmit"],
            "driving the bus while the write is stuck"
        );
        // Dropped here, as an outer timeout would.
    }
    let names: Vec<&str> = bus.log().iter().map(|(_, n)| *n).collect();
    assert_eq!(names, ["transmit", "receive"]);
    bus.0.borrow_mut().stall_writes = false;
    // A stale frame from before is on the line; the next transaction still gets its own reply.
    bus.inject(0, &toy_frame(&[0xEE]));
    assert_eq!(block_on(l.transact(&req())).unwrap(), &reply()[..]);
    assert_eq!(bus.requests().len(), 1);
}

#[test]
fn async_cancel_while_waiting_for_the_reply() {
    let bus = Bus::new(false, meter(30, reply()));
    let mut l = alink(&bus);
    let request = req();
    {
        let fut = core::pin::pin!(l.transact(&request));
        let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
        // Sent, now waiting: the virtual clock has moved to the reply's arrival at 30 ms.
        assert!(fut.poll(&mut cx).is_pending());
    }
    // The cancelled transaction's reply is stale input for the next one.
    assert_eq!(block_on(l.transact(&req())).unwrap(), &reply()[..]);
    assert_eq!(bus.requests()[1].0, 30);
    assert_eq!(bus.now(), 60);
}

#[test]
fn a_line_that_never_stops_is_cut_off_at_the_frame_bound() {
    // A 68 every 400 ms keeps a toy frame "in progress" forever: `68 68` is an impossible
    // length (0x68 > 32), so the first byte goes and the second starts a frame again. The
    // resync limit is out of reach; the hard bound (response timeout plus the longest frame
    // with a full gap before each byte) ends it.
    let trickle: Vec<(u64, Vec<u8>)> = (0..400u64).map(|i| (10 + 400 * i, vec![0x68])).collect();
    let bus = Bus::new(false, Box::new(move |_| trickle.clone()));
    let mut l = link(&bus).with_resync_limit(100_000);
    assert!(matches!(l.transact(&req()), Err(LinkError::Garbled { .. })));
    // 500 ms + 40 × (4.584 ms + 500 ms), rounded up to whole ms.
    let bound = 500 + (40 * (4584 + 500_000) as u64).div_ceil(1000);
    assert!(
        bus.now() >= bound && bus.now() <= bound + 400,
        "{}",
        bus.now()
    );
}

#[test]
fn async_a_line_that_never_stops_is_cut_off_at_the_frame_bound() {
    let trickle: Vec<(u64, Vec<u8>)> = (0..400u64).map(|i| (10 + 400 * i, vec![0x68])).collect();
    let bus = Bus::new(false, Box::new(move |_| trickle.clone()));
    let mut l = alink(&bus).with_resync_limit(100_000);
    assert!(matches!(
        block_on(l.transact(&req())),
        Err(LinkError::Garbled { .. })
    ));
    let bound = 500 + (40 * (4584 + 500_000) as u64).div_ceil(1000);
    assert!(
        bus.now() >= bound && bus.now() <= bound + 400,
        "{}",
        bus.now()
    );
}
