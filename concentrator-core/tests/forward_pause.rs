//! Transparent forwarding (`forward`, Q/GDW 1376.1 AFN 10 F1) and pausing a channel's
//! scheduled reading (`set_paused`, AFN 05 F49/F50), in virtual time.
// Test helpers index freely (clippy.toml allows it inside #[test] functions only).
#![allow(clippy::indexing_slicing)]

mod sim;

use concentrator_core::{
    ChannelConfig, ChannelId, ChannelKind, CommandError, Concentrator, DateTime, Duration, Event,
    EventKind, Instant, Item, LineSettings, MAX_FORWARD, MAX_TRANSMIT, MemStore, Meter,
    MeterAddress, OffsetClock, Origin, Outcome, Protocol, ReadSet, Schedule, Task,
};
use sim::{Sim, carrier_bus, epoch, rs485_bus};

/// Vector V04 (shared/vectors/dlt645/frames.tsv): read DI 00010000 of meter 000000000161.
const V04: [u8; 20] = [
    0xFE, 0xFE, 0xFE, 0xFE, 0x68, 0x61, 0x01, 0, 0, 0, 0, 0x68, 0x11, 0x04, 0x33, 0x33, 0x34, 0x33,
    0x14, 0x16,
];
/// Vector V05: meter 161's reply, 0.26 kWh.
const V05: [u8; 20] = [
    0x68, 0x61, 0x01, 0, 0, 0, 0, 0x68, 0x91, 0x08, 0x33, 0x33, 0x34, 0x33, 0x59, 0x33, 0x33, 0x33,
    0x8A, 0x16,
];

type Engine = Concentrator<MemStore<64>, OffsetClock, 16>;

fn engine() -> Box<Engine> {
    let clock = OffsetClock {
        epoch: DateTime::new(2026, 3, 10, 10, 0, 0).unwrap(),
    };
    let mut e = Box::new(Engine::new(MemStore::new(), clock));
    e.set_schedule(Schedule::OFF);
    e.add_channel(
        ChannelId(0),
        ChannelConfig {
            kind: ChannelKind::Rs485,
            line: LineSettings::DLT645_2400,
        },
    )
    .unwrap();
    e.add_meter(Meter {
        archive_no: 1,
        protocol: Protocol::Dlt645_2007,
        address: MeterAddress::dlt645(161).unwrap(),
        channel: ChannelId(0),
        baud: None,
        control: None,
        reads: ReadSet::ENERGY_IMPORT,
        allow_clock_set: false,
    })
    .unwrap();
    e
}

fn events(e: &mut Engine) -> Vec<Event> {
    std::iter::from_fn(|| e.poll_event()).collect()
}

/// Drives until the round's statistics are out, within `ms` from now.
fn round_within(sim: &mut Sim, ms: u64) -> bool {
    let end = sim.now.ticks() + ms;
    sim.run_until(end, Sim::round_done) && sim.round_done()
}

#[test]
fn forward_returns_the_meters_reply_frame() {
    let mut e = engine();
    let id = e
        .forward(
            ChannelId(0),
            &V04,
            None,
            Duration::millis(500),
            Origin::Master,
        )
        .unwrap();
    let mut buf = [0u8; MAX_TRANSMIT];
    let t0 = Instant::from_ticks(0);
    let tx = e.poll_transmit(t0, &mut buf).unwrap();
    assert_eq!((tx.channel, tx.baud), (ChannelId(0), 2400));
    assert_eq!(&buf[..tx.len], &V04);
    assert_eq!(e.in_flight(ChannelId(0)), Some(0));
    // The bus echoes the request first (some adapters do): ignored. Then the meter's reply,
    // after two wake-up bytes and in two chunks.
    e.handle_received(ChannelId(0), &V04, Instant::from_ticks(90));
    assert!(events(&mut e).is_empty());
    e.handle_received(ChannelId(0), &[0xFE, 0xFE], Instant::from_ticks(200));
    e.handle_received(ChannelId(0), &V05[..7], Instant::from_ticks(210));
    assert_eq!(e.forward_reply(id), None, "no reply before the result");
    e.handle_received(ChannelId(0), &V05[7..], Instant::from_ticks(260));
    let ev = events(&mut e);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(
        ev[0].kind,
        EventKind::ForwardResult {
            id,
            channel: ChannelId(0),
            origin: Origin::Master,
            outcome: Outcome::Done,
            len: 20,
        }
    );
    assert_eq!(e.forward_reply(id), Some(&V05[..]));
    assert_eq!(e.counters().ignored_frames, 1);
    assert_eq!(e.in_flight(ChannelId(0)), None);
    // The result is in the store like every event.
    assert_eq!(e.store().len(), 1);
}

#[test]
fn forward_without_answer_ends_empty_after_its_timeout() {
    let mut e = engine();
    let id = e
        .forward(
            ChannelId(0),
            &V04,
            None,
            Duration::millis(300),
            Origin::Master,
        )
        .unwrap();
    let mut buf = [0u8; MAX_TRANSMIT];
    let tx = e.poll_transmit(Instant::from_ticks(0), &mut buf).unwrap();
    // 20 bytes of 11 bits at 2400 baud = 92 ms on the wire, then the 300 ms asked for.
    let deadline = e.poll_timeout().unwrap().ticks();
    assert_eq!(tx.len, 20);
    assert_eq!(deadline, 92 + 300);
    // Half a frame arrives, then nothing: no answer, and it is tried only once.
    e.handle_received(ChannelId(0), &V05[..8], Instant::from_ticks(200));
    e.handle_timeout(Instant::from_ticks(deadline - 1));
    assert!(events(&mut e).is_empty());
    let mut t = deadline;
    while let Some(next) = e.poll_timeout() {
        t = t.max(next.ticks());
        e.handle_timeout(Instant::from_ticks(t));
        assert!(e.poll_transmit(Instant::from_ticks(t), &mut buf).is_none());
        if !e.is_busy(ChannelId(0)) {
            break;
        }
    }
    let ev = events(&mut e);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(
        ev[0].kind,
        EventKind::ForwardResult {
            id,
            channel: ChannelId(0),
            origin: Origin::Master,
            outcome: Outcome::NoAnswer,
            len: 0,
        }
    );
    assert_eq!(e.forward_reply(id), Some(&[][..]));
    assert_eq!(e.counters().requests, 1);
}

#[test]
fn forward_refusals_are_typed() {
    let mut e = engine();
    let t = Duration::millis(100);
    assert_eq!(
        e.forward(ChannelId(5), &V04, None, t, Origin::Master),
        Err(CommandError::UnknownChannel(ChannelId(5)))
    );
    assert_eq!(
        e.forward(ChannelId(0), &[], None, t, Origin::Master),
        Err(CommandError::FrameLength(0))
    );
    let long = [0x68u8; MAX_FORWARD + 1];
    assert_eq!(
        e.forward(ChannelId(0), &long, None, t, Origin::Master),
        Err(CommandError::FrameLength(MAX_FORWARD + 1))
    );
    let first = e.forward(ChannelId(0), &V04, Some(1200), t, Origin::Local);
    assert!(first.is_ok());
    assert_eq!(
        e.forward(ChannelId(0), &V04, None, t, Origin::Master),
        Err(CommandError::ForwardBusy(ChannelId(0)))
    );
    // The baud asked for is the one sent at.
    let mut buf = [0u8; MAX_TRANSMIT];
    let tx = e.poll_transmit(Instant::from_ticks(0), &mut buf).unwrap();
    assert_eq!(tx.baud, 1200);
    // Nothing was queued by the refusals: one request only.
    assert_eq!(e.counters().requests, 1);
}

#[test]
fn forward_jumps_the_round_without_cutting_the_transaction_in_flight() {
    let mut sim = Sim::new(3, epoch(), vec![rs485_bus(161, 3, 0)]);
    sim.engine.start_round(Task::DailyFrozen);
    // Run until the round's first read is on the wire.
    assert!(sim.run_until(10_000, |s| !s.exchanges.is_empty()));
    assert_eq!(sim.engine.in_flight(ChannelId(0)), Some(1));
    // Forward a read of the third meter (000000000163) while meter 1 is being read.
    let mut frame = V04;
    frame[5] = 0x63;
    frame[18] = V04[18] + 2;
    let id = sim
        .engine
        .forward(
            ChannelId(0),
            &frame,
            None,
            Duration::millis(1000),
            Origin::Master,
        )
        .unwrap();
    assert!(round_within(&mut sim, 60_000));
    let reply = sim.engine.forward_reply(id).unwrap().to_vec();
    // The simulated meter 163 answers DI 00010000 with its register (10000.74 kWh, BCD + 33H).
    let mut expected = vec![
        0x68, 0x63, 0x01, 0, 0, 0, 0, 0x68, 0x91, 0x08, 0x33, 0x33, 0x34, 0x33, 0xA7, 0x33, 0x33,
        0x34,
    ];
    let cs = expected.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    expected.extend([cs, 0x16]);
    assert_eq!(reply, expected);
    // Order on the bus: meter 1's frozen read (in flight) finished, then the forward, then
    // the round went on with meters 2 and 3. Every exchange got its reply: nothing was cut.
    // (A daily-frozen read is two exchanges: the freeze time, then the registers.)
    assert_eq!(sim.exchanges.len(), 7);
    assert_eq!(
        sim.exchanges[2].req_len, 20,
        "the forward went after meter 1's read"
    );
    assert!(sim.exchanges.iter().all(|x| x.reply_at.is_some()));
    assert!(sim.exchanges[2].sent_at >= sim.exchanges[1].reply_at.unwrap());
    assert_eq!(sim.max_in_flight, 1);
    let kinds: Vec<_> = sim.events.iter().map(|e| e.1.kind).collect();
    let fwd = kinds
        .iter()
        .position(|k| matches!(k, EventKind::ForwardResult { .. }))
        .unwrap();
    let first_reading = kinds
        .iter()
        .position(|k| matches!(k, EventKind::Reading(r) if r.meter == 1))
        .unwrap();
    assert!(first_reading < fwd);
    assert!(
        kinds[fwd..]
            .iter()
            .any(|k| matches!(k, EventKind::Reading(r) if r.meter == 2))
    );
}

#[test]
fn paused_channel_holds_its_round_but_runs_commands() {
    let mut sim = Sim::new(4, epoch(), vec![rs485_bus(161, 3, 0)]);
    sim.engine.set_paused(ChannelId(0), true).unwrap();
    assert!(sim.engine.is_paused(ChannelId(0)));
    assert_eq!(
        sim.engine.set_paused(ChannelId(7), true),
        Err(CommandError::UnknownChannel(ChannelId(7)))
    );
    sim.engine.start_round(Task::DailyFrozen);
    assert!(sim.run_for(60_000));
    assert!(sim.exchanges.is_empty(), "a paused channel started a round");
    assert!(sim.engine.is_busy(ChannelId(0)), "the round is held");
    // A real-time read still runs on the paused channel.
    let id = sim
        .engine
        .read_now(2, Item::ActiveEnergyImport { tariff: 0 }, Origin::Master)
        .unwrap();
    assert!(sim.run_for(5_000));
    assert_eq!(sim.exchanges.len(), 1);
    assert!(sim.events.iter().any(|e| e.1.kind
        == EventKind::CommandResult {
            id,
            meter: 2,
            outcome: Outcome::Done
        }));
    assert!(!sim.round_done());
    // Resumed: the held round reads all three meters (two exchanges each).
    sim.engine.set_paused(ChannelId(0), false).unwrap();
    assert!(round_within(&mut sim, 60_000));
    assert_eq!(sim.exchanges.len(), 7);
    let stats = sim.events.iter().find_map(|e| match e.1.kind {
        EventKind::RoundStats {
            channel: None,
            meters,
            read,
            failed,
            ..
        } => Some((meters, read, failed)),
        _ => None,
    });
    assert_eq!(stats, Some((3, 3, 0)));
}

#[test]
fn pausing_mid_round_lets_the_transaction_in_flight_finish() {
    let mut sim = Sim::new(5, epoch(), vec![rs485_bus(161, 3, 0)]);
    sim.engine.start_round(Task::DailyFrozen);
    assert!(sim.run_until(10_000, |s| !s.exchanges.is_empty()));
    sim.engine.set_paused(ChannelId(0), true).unwrap();
    assert!(sim.run_for(30_000));
    // Meter 1's read (both its steps) finished and was reported; nothing more started.
    assert_eq!(sim.exchanges.len(), 2);
    assert!(sim.exchanges.iter().all(|x| x.reply_at.is_some()));
    assert!(
        sim.events
            .iter()
            .any(|e| matches!(e.1.kind, EventKind::Reading(r) if r.meter == 1))
    );
    assert_eq!(sim.engine.in_flight(ChannelId(0)), None);
    sim.engine.set_paused(ChannelId(0), false).unwrap();
    assert!(round_within(&mut sim, 60_000));
    // The round went on where it was: meters 2 and 3, not meter 1 again.
    assert_eq!(sim.exchanges.len(), 6);
}

/// A DL/T 645-2007 read of DI 00010000 at `address` (wire order), as vector V04 is built.
fn read_energy(address: [u8; 6]) -> Vec<u8> {
    let mut f = vec![0x68];
    f.extend(address);
    f.extend([0x68, 0x11, 0x04, 0x33, 0x33, 0x34, 0x33]);
    let cs = f.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    f.extend([cs, 0x16]);
    f
}

/// The forward results of a simulation so far.
fn forward_results(sim: &Sim) -> Vec<EventKind> {
    sim.events
        .iter()
        .map(|e| e.1.kind)
        .filter(|k| matches!(k, EventKind::ForwardResult { .. }))
        .collect()
}

#[test]
fn forward_through_the_carrier_module_reads_the_meter_at_the_frames_address() {
    let mut sim = Sim::new(6, epoch(), vec![carrier_bus(500, 3, 0)]);
    let t = Duration::millis(10_000);
    // Not a DL/T 645 frame: the module could not be told where it goes.
    assert_eq!(
        sim.engine
            .forward(ChannelId(0), &[1, 2, 3], None, t, Origin::Master),
        Err(CommandError::Unsupported)
    );
    // Meter 000000000501, with wake-up bytes before the frame as a master may send them.
    let mut frame = vec![0xFE, 0xFE];
    frame.extend(read_energy([0x01, 0x05, 0, 0, 0, 0]));
    let id = sim
        .engine
        .forward(ChannelId(0), &frame, None, t, Origin::Master)
        .unwrap();
    assert!(sim.run_until(60_000, |s| !forward_results(s).is_empty()));
    let results = forward_results(&sim);
    let [
        EventKind::ForwardResult {
            id: done,
            outcome: Outcome::Done,
            len,
            ..
        },
    ] = results[..]
    else {
        panic!("{results:?}")
    };
    assert_eq!(done, id);
    // Meter 501 holds 10000.37 kWh (XXXXXX.XX BCD, low byte first, + 33H); the module's
    // AFN 13 F1 reply carries it (the simulated meter's two wake-up bytes dropped).
    let mut expected = vec![
        0x68, 0x01, 0x05, 0, 0, 0, 0, 0x68, 0x91, 0x08, 0x33, 0x33, 0x34, 0x33, 0x6A, 0x33, 0x33,
        0x34,
    ];
    let cs = expected.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    expected.extend([cs, 0x16]);
    assert_eq!(usize::from(len), expected.len());
    assert_eq!(sim.engine.forward_reply(id), Some(&expected[..]));

    // Nobody at 000000000599: the module answers an empty frame, which is no answer.
    let id = sim
        .engine
        .forward(
            ChannelId(0),
            &read_energy([0x99, 0x05, 0, 0, 0, 0]),
            None,
            t,
            Origin::Master,
        )
        .unwrap();
    let end = sim.now.ticks() + 60_000;
    assert!(sim.run_until(end, |s| forward_results(s).len() == 2));
    assert_eq!(
        forward_results(&sim)[1],
        EventKind::ForwardResult {
            id,
            channel: ChannelId(0),
            origin: Origin::Master,
            outcome: Outcome::NoAnswer,
            len: 0,
        }
    );
    assert_eq!(sim.engine.forward_reply(id), Some(&[][..]));
}
