//! Simulation tests on RS-485 buses of DL/T 645-2007 meters.
// Test helpers index freely (clippy.toml allows it inside #[test] functions only).
#![allow(clippy::indexing_slicing)]

mod sim;

use concentrator_core::{
    Alarm, ChannelId, DateTime, EventKind, Item, Origin, Outcome, Phase, Quality, RelayState,
    SwitchAction, Task, Value,
};
use sim::{Fault, Sim, epoch, rs485_bus};

#[test]
fn one_meter_energy_read_now() {
    let mut sim = Sim::new(1, epoch(), vec![rs485_bus(161, 1, 0)]);
    let id = sim
        .engine
        .read_now(1, Item::ActiveEnergyImport { tariff: 0 }, Origin::Master)
        .unwrap();
    assert!(sim.run_for(5_000));
    let kinds: Vec<_> = sim.events.iter().map(|e| e.1.kind).collect();
    let EventKind::Reading(r) = kinds[0] else {
        panic!("{kinds:?}")
    };
    assert_eq!(r.meter, 1);
    assert_eq!(
        r.value,
        Value::Number(
            concentrator_core::Decimal::new(1_000_000, -2),
            concentrator_core::Unit::KiloWattHour
        )
    );
    assert_eq!(r.quality, Quality::Good);
    assert_eq!(
        kinds[1],
        EventKind::CommandResult {
            id,
            meter: 1,
            outcome: Outcome::Done
        }
    );
    assert_eq!(kinds.len(), 2);
}

/// Meter `i` of a bus gets a fault: a handful of each kind, spread over the buses.
fn faulty_buses(loss: u64) -> Vec<sim::Bus> {
    let mut buses: Vec<_> = (0..4)
        .map(|b| rs485_bus(100_000 + b as u64 * 1000, 256, loss))
        .collect();
    for (b, bus) in buses.iter_mut().enumerate() {
        bus.meters[10 + b].fault = Fault::Silent;
        bus.meters[20 + b].fault = Fault::Corrupt;
        bus.meters[30 + b].fault = Fault::Late;
        bus.meters[40 + b].fault = Fault::ErrorReply;
        bus.meters[50 + b].fault = Fault::EveryThird;
    }
    buses
}

/// 1024 meters on 4 RS-485 buses at 2400 baud, 5 % of exchanges lost, faults injected: every
/// meter is read or reported failed within the round.
fn big_round(seed: u64) -> Sim {
    let mut sim = Sim::new(seed, epoch(), faulty_buses(5));
    sim.run_round(Task::LoadCurve, 3_600_000);
    sim
}

#[test]
fn round_of_1024_meters_with_loss_and_faults() {
    let sim = big_round(7);
    assert_eq!(sim.max_in_flight, 1);
    let mut read = std::collections::BTreeSet::new();
    let mut errors = std::collections::BTreeSet::new();
    let mut offline = std::collections::BTreeSet::new();
    for (_, e) in &sim.events {
        match e.kind {
            EventKind::Reading(r) if r.quality == Quality::Good => {
                read.insert(r.meter);
            }
            EventKind::Reading(r) => {
                assert_eq!(r.quality, Quality::MeterError(0x02));
                assert_eq!(r.value, Value::Missing);
                errors.insert(r.meter);
            }
            EventKind::Alarm(Alarm::MeterOffline { meter, .. }) => {
                offline.insert(meter);
            }
            _ => {}
        }
    }
    // Every meter is accounted for exactly once.
    for m in 1..=1024u16 {
        let n = [read.contains(&m), errors.contains(&m), offline.contains(&m)]
            .iter()
            .filter(|x| **x)
            .count();
        assert_eq!(n, 1, "meter {m}");
    }
    for b in 0..4 {
        // Silent and corrupting meters fail; error replies are recorded; a meter that answers
        // every third try is read (3 tries). A reply 2 s late misses the first try's 1 s
        // deadline but lands while the retry waits: same meter, same DI, so it is taken.
        assert!(offline.contains(&sim.archive_no(b, 10 + b)));
        assert!(offline.contains(&sim.archive_no(b, 20 + b)));
        assert!(read.contains(&sim.archive_no(b, 30 + b)));
        assert!(errors.contains(&sim.archive_no(b, 40 + b)));
        assert!(read.contains(&sim.archive_no(b, 50 + b)));
    }
    let stats: Vec<_> = sim
        .events
        .iter()
        .filter_map(|e| match e.1.kind {
            EventKind::RoundStats {
                channel,
                meters,
                read,
                failed,
                ..
            } => Some((channel, meters, read, failed)),
            _ => None,
        })
        .collect();
    assert_eq!(stats.len(), 5);
    let total = stats.iter().find(|s| s.0.is_none()).unwrap();
    assert_eq!(total.1, 1024);
    assert_eq!(usize::from(total.3), offline.len());
    assert_eq!(usize::from(total.2), read.len() + errors.len());
    let round_ms = sim.now.ticks();
    println!(
        "1024 meters, 4 buses, 5% loss: {} read, {} error replies, {} offline; round took {:.1} s virtual; {} requests, {} retries",
        read.len(),
        errors.len(),
        offline.len(),
        round_ms as f64 / 1000.0,
        sim.engine.counters().requests,
        sim.engine.counters().retries
    );
}

#[test]
fn same_seed_same_transcript() {
    let a = big_round(42);
    let b = big_round(42);
    let c = big_round(43);
    assert_eq!(a.transcript, b.transcript);
    assert_eq!(a.events, b.events);
    assert_ne!(a.transcript, c.transcript);
}

#[test]
fn wire_efficiency_at_2400_baud() {
    let mut sim = Sim::new(1, epoch(), vec![rs485_bus(1, 32, 0)]);
    sim.engine.start_round(Task::LoadCurve);
    assert!(
        sim.run_until(3_600_000, |s| s.engine.in_flight(ChannelId(0)).is_none()
            && !s.engine.is_busy(ChannelId(0)))
    );
    let line = sim.buses[0].line;
    let lower: u64 = sim
        .exchanges
        .iter()
        .map(|x| {
            line.wire_time(x.req_len).ticks() + sim::TD_MIN_MS + line.wire_time(x.reply_len).ticks()
        })
        .sum();
    let first = sim.exchanges.first().unwrap().sent_at;
    let last = sim.exchanges.last().unwrap().reply_at.unwrap();
    let round = last - first;
    let ratio = round as f64 / lower as f64;
    println!(
        "wire efficiency: {} exchanges, round {round} ms, lower bound {lower} ms, ratio {ratio:.4}",
        sim.exchanges.len()
    );
    assert_eq!(sim.exchanges.len(), 32);
    assert!(ratio <= 1.05, "round {round} ms vs bound {lower} ms");
}

#[test]
fn real_time_read_during_round_waits_one_transaction_at_most() {
    let mut sim = Sim::new(3, epoch(), vec![rs485_bus(1, 64, 0)]);
    sim.engine.start_round(Task::LoadCurve);
    // Let the round get going, then ask for meter 40 in the middle of a transaction.
    sim.run_until(5_050, |_| false);
    assert!(sim.engine.in_flight(ChannelId(0)).is_some());
    let asked = sim.now.ticks();
    let id = sim
        .engine
        .read_now(40, Item::Voltage(Phase::All), Origin::Master)
        .unwrap();
    assert!(sim.run_until(60_000, |s| s.events.iter().any(|e| matches!(
        e.1.kind,
        EventKind::CommandResult { id: i, .. } if i == id
    ))));
    let answered = sim.now.ticks();
    // One transaction: the longest exchange of this bus (request + Td + reply + guard).
    let line = sim.buses[0].line;
    let txn = sim
        .exchanges
        .iter()
        .map(|x| {
            line.wire_time(x.req_len).ticks()
                + sim::TD_MIN_MS
                + line.wire_time(x.reply_len).ticks()
                + line.guard.ticks()
        })
        .max()
        .unwrap();
    let waited = answered - asked;
    println!("real-time read answered after {waited} ms; one transaction is {txn} ms");
    // At most the rest of the transaction in flight, then its own.
    assert!(waited <= 2 * txn, "{waited} ms");
    // The round carried on and finished afterwards.
    assert!(sim.run_until(600_000, |s| !s.engine.is_busy(ChannelId(0))));
    let n = sim
        .events
        .iter()
        .filter(|e| matches!(e.1.kind, EventKind::Reading(r) if r.item == Item::ActiveEnergyImport { tariff: 0 }))
        .count();
    assert_eq!(n, 64);
}

#[test]
fn clock_sync_broadcasts_then_corrects_large_drift() {
    let mut buses = vec![rs485_bus(1, 4, 0)];
    buses[0].meters[0].clock_offset = 120; // fixed by the broadcast
    buses[0].meters[1].clock_offset = -900; // 15 min slow: alarm, then set
    buses[0].meters[2].clock_offset = 3600; // 1 h fast, but the archive forbids setting
    buses[0].meters[3].clock_offset = 1000; // wrong password in the archive
    buses[0].meters[3].password = [0x11, 0x11, 0x11];
    let mut sim = Sim::new(5, epoch(), buses);
    let mut m3 = *sim.engine.meter(3).unwrap();
    m3.allow_clock_set = false;
    sim.engine.change_meter(m3).unwrap();
    sim.engine.start_round(Task::ClockSync);
    assert!(sim.run_until(600_000, |s| !s.engine.is_busy(ChannelId(0))));
    let drift: Vec<_> = sim
        .events
        .iter()
        .filter_map(|e| match e.1.kind {
            EventKind::Alarm(Alarm::ClockDrift {
                meter,
                drift_seconds,
            }) => Some((meter, drift_seconds)),
            _ => None,
        })
        .collect();
    assert_eq!(drift.len(), 3, "{drift:?}");
    assert_eq!(drift[0].0, 2);
    assert!((-901..=-899).contains(&drift[0].1));
    assert_eq!(drift[1].0, 3);
    assert_eq!(drift[2].0, 4);
    let sets: Vec<_> = sim
        .events
        .iter()
        .filter_map(|e| match e.1.kind {
            EventKind::ClockSet { meter, outcome } => Some((meter, outcome)),
            _ => None,
        })
        .collect();
    // 0x04: ERR bit 2, wrong password (notes §1.8).
    assert_eq!(
        sets,
        vec![(2, Outcome::Done), (4, Outcome::MeterError(0x04))]
    );
    assert_eq!(sim.buses[0].meters[0].clock_offset, 0);
    assert_eq!(sim.buses[0].meters[0].broadcasts, 1);
    assert!(sim.buses[0].meters[1].clock_offset.abs() <= 1);
    assert_eq!(sim.buses[0].meters[2].clock_offset, 3600);
}

#[test]
fn remote_switch_with_audit() {
    let mut buses = vec![rs485_bus(1, 2, 0)];
    buses[0].meters[1].password = [0x99, 0x99, 0x99];
    let mut sim = Sim::new(9, epoch(), buses);
    let until = DateTime::new(2026, 3, 10, 12, 0, 0).unwrap();
    let ok = sim
        .engine
        .switch(1, SwitchAction::Off, until, Origin::Master)
        .unwrap();
    let bad = sim
        .engine
        .switch(2, SwitchAction::Off, until, Origin::Local)
        .unwrap();
    let check = sim
        .engine
        .read_now(1, Item::RelayState, Origin::Master)
        .unwrap();
    assert!(sim.run_for(30_000));
    assert!(sim.buses[0].meters[0].relay_open);
    assert!(!sim.buses[0].meters[1].relay_open);
    let kinds: Vec<_> = sim.events.iter().map(|e| e.1.kind).collect();
    assert!(kinds.contains(&EventKind::SwitchAudit {
        id: ok,
        meter: 1,
        action: SwitchAction::Off,
        origin: Origin::Master,
        outcome: Outcome::Done
    }));
    assert!(kinds.contains(&EventKind::SwitchAudit {
        id: bad,
        meter: 2,
        action: SwitchAction::Off,
        origin: Origin::Local,
        outcome: Outcome::MeterError(0x04)
    }));
    assert!(kinds.contains(&EventKind::Alarm(Alarm::SwitchFailed {
        meter: 2,
        action: SwitchAction::Off
    })));
    let relay = kinds.iter().find_map(|k| match k {
        EventKind::Reading(r) if r.item == Item::RelayState => Some(r.value),
        _ => None,
    });
    assert_eq!(relay, Some(Value::Relay(RelayState::Open)));
    // Exactly one result per command.
    for id in [ok, bad, check] {
        let n = kinds
            .iter()
            .filter(|k| matches!(k, EventKind::CommandResult { id: i, .. } if *i == id))
            .count();
        assert_eq!(n, 1);
    }
}

#[test]
fn follow_up_frames_are_read_to_the_end() {
    let mut buses = vec![rs485_bus(1, 1, 0)];
    buses[0].meters[0].follow_parts = 3;
    let mut sim = Sim::new(2, epoch(), buses);
    sim.engine
        .read_now(1, Item::RawDi(0x0400_0403), Origin::Master)
        .unwrap();
    assert!(sim.run_for(30_000));
    let parts: Vec<Vec<u8>> = sim
        .events
        .iter()
        .filter_map(|e| match e.1.kind {
            EventKind::Reading(r) => match r.value {
                Value::Raw { len, bytes } => Some(bytes[..usize::from(len)].to_vec()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(
        parts,
        vec![b"PART1-".to_vec(), b"PART2".to_vec(), b"PART3".to_vec()]
    );
    assert_eq!(sim.exchanges.len(), 3);
}

#[test]
fn daily_frozen_round_after_midnight() {
    let start = DateTime::new(2026, 3, 31, 23, 58, 30).unwrap();
    let mut sim = Sim::new(4, start, vec![rs485_bus(1, 3, 0)]);
    sim.engine.set_schedule(concentrator_core::Schedule {
        curve_period_min: 0,
        ..concentrator_core::Schedule::default()
    });
    // Run to 00:20 on April 1st: the daily round at 00:05, the monthly at 00:10.
    assert!(sim.run_for(22 * 60 * 1000));
    let frozen: Vec<_> = sim
        .events
        .iter()
        .filter_map(|e| match e.1.kind {
            EventKind::Reading(r) if r.item == (Item::FrozenDay { days_ago: 1 }) => Some((e.0, r)),
            _ => None,
        })
        .collect();
    // Total + 4 tariffs for each of 3 meters.
    assert_eq!(frozen.len(), 15);
    for (t, r) in &frozen {
        assert!(*t >= (6 * 60 + 30) * 1000, "read at {t} ms, before 00:05");
        assert_eq!(
            r.meter_time,
            Some(DateTime::new(2026, 4, 1, 0, 0, 0).unwrap())
        );
    }
    let monthly = sim
        .events
        .iter()
        .filter(|e| matches!(e.1.kind, EventKind::Reading(r) if r.item == (Item::MonthlySettlement { months_ago: 1 })))
        .count();
    assert_eq!(monthly, 3);
}

#[test]
fn store_refusal_holds_events_and_work() {
    let mut sim = Sim::new(6, epoch(), vec![rs485_bus(1, 4, 0)]);
    sim.engine.store_mut().refuse = true;
    sim.engine.start_round(Task::LoadCurve);
    sim.run_for(10_000);
    // The first reply's reading is held; nothing new is sent while the store refuses.
    assert_eq!(sim.exchanges.len(), 1);
    assert!(sim.events.is_empty());
    sim.engine.store_mut().refuse = false;
    assert!(sim.run_until(600_000, |s| !s.engine.is_busy(ChannelId(0))));
    let stored = sim.engine.store().records.len();
    assert_eq!(stored, sim.events.len());
    let readings = sim
        .events
        .iter()
        .filter(|e| matches!(e.1.kind, EventKind::Reading(_)))
        .count();
    assert_eq!(readings, 4);
}

#[test]
fn real_time_read_jumps_ahead_of_a_retry_back_off() {
    let mut buses = vec![rs485_bus(1, 8, 0)];
    buses[0].meters[2].fault = Fault::Silent;
    let mut sim = Sim::new(12, epoch(), buses);
    sim.engine.start_round(Task::LoadCurve);
    // Run until the round is backing off after the silent meter's first try.
    assert!(sim.run_until(60_000, |s| s.exchanges.len() == 3
        && s.now.ticks() >= s.exchanges[2].sent_at + 1_000));
    let asked = sim.now.ticks();
    // The first try timed out; the retry waits for its back-off.
    assert_eq!(sim.exchanges.len(), 3);
    assert!(asked < 5_000);
    let id = sim
        .engine
        .read_now(6, Item::ActiveEnergyImport { tariff: 0 }, Origin::Local)
        .unwrap();
    assert!(sim.run_until(60_000, |s| s.events.iter().any(|e| matches!(
        e.1.kind,
        EventKind::CommandResult { id: i, .. } if i == id
    ))));
    let waited = sim.now.ticks() - asked;
    println!("real-time read during a back-off answered after {waited} ms");

    // One transaction (request + Td + reply), not the silent meter's remaining tries.
    assert!(waited < 300, "{waited} ms");
    // The silent meter still gets its three tries and is reported; the round completes.
    assert!(sim.run_until(600_000, |s| !s.engine.is_busy(ChannelId(0))));
    assert_eq!(sim.buses[0].meters[2].heard, 3);
    let n = sim
        .events
        .iter()
        .filter(|e| matches!(e.1.kind, EventKind::Reading(_)))
        .count();
    assert_eq!(n, 8); // 7 round readings + the command's
}

#[test]
fn load_curve_block_over_follow_up_frames() {
    let mut sim = Sim::new(13, epoch(), vec![rs485_bus(1, 1, 0)]);
    let start = DateTime::new(2026, 3, 10, 0, 0, 0).unwrap();
    let item = Item::LoadCurve {
        start,
        count: 20,
        interval_min: 15,
    };
    sim.engine.read_now(1, item, Origin::Master).unwrap();
    assert!(sim.run_for(30_000));
    // 20 records in frames of 8: one read (L = 10) and two follow-ups (0x12).
    assert_eq!(sim.exchanges.len(), 3);
    let r: Vec<_> = sim
        .events
        .iter()
        .filter_map(|e| match e.1.kind {
            EventKind::Reading(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(r.len(), 20);
    for (k, reading) in r.iter().enumerate() {
        assert_eq!(usize::from(reading.part), k);
        assert_eq!(
            reading.meter_time,
            start.add_seconds(k as i64 * 900),
            "record {k}"
        );
        if k == 3 {
            // A gap in the curve is missing, never zero.
            assert_eq!(
                (reading.value, reading.quality),
                (Value::Missing, Quality::NotAvailable)
            );
        } else {
            let expected = 1_000_000 - 1000 + k as i64 * 25;
            assert_eq!(
                reading.value,
                Value::Number(
                    concentrator_core::Decimal::new(expected, -2),
                    concentrator_core::Unit::KiloWattHour
                )
            );
        }
    }
}
