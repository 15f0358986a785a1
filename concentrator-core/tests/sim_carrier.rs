//! Simulation tests on the carrier channel: a simulated Q/GDW 1376.2 module relays DL/T 645
//! reads (AFN 13 F1) to meters one to four hops away.
// Test helpers index freely (clippy.toml allows it inside #[test] functions only).
#![allow(clippy::indexing_slicing)]

mod sim;

use concentrator_core::{ChannelId, EventKind, Quality, Task};
use sim::{Sim, carrier_bus, epoch};

#[test]
fn module_start_up_archive_sync_and_a_round() {
    let mut sim = Sim::new(1, epoch(), vec![carrier_bus(500, 20, 0)]);
    sim.engine.start_round(Task::LoadCurve);
    assert!(sim.run_until(3_600_000, |s| !s.engine.is_busy(ChannelId(0))));
    // The session synchronised the module's node list with the archive.
    assert_eq!(sim.buses[0].nodes.len(), 20);
    let good = sim
        .events
        .iter()
        .filter(|e| matches!(e.1.kind, EventKind::Reading(r) if r.quality == Quality::Good))
        .count();
    assert_eq!(good, 20);
    assert_eq!(sim.buses[0].relayed, 20);
    assert_eq!(sim.max_in_flight, 1);
}

/// The figure: 1024 meters on 4 RS-485 buses, 1 M-Bus segment and 1 carrier module,
/// 5 % of exchanges lost, a few dead meters of each kind: every meter is read within its
/// round or reported failed, and the same seed gives the same transcript.
fn mixed_round(seed: u64) -> Sim {
    let mut buses: Vec<sim::Bus> = (0..4)
        .map(|b| sim::rs485_bus(100_000 + b * 1000, 200, 5))
        .collect();
    buses.push(sim::mbus_bus(24, true, 5));
    buses.push(carrier_bus(900_000, 200, 5));
    for bus in buses.iter_mut().take(4) {
        bus.meters[7].fault = sim::Fault::Silent;
        bus.meters[8].fault = sim::Fault::EveryThird;
    }
    buses[4].slaves[3].fault = sim::Fault::Silent;
    buses[5].meters[11].fault = sim::Fault::Silent;
    let mut sim = Sim::new(seed, epoch(), buses);
    sim.run_round(Task::LoadCurve, 7_200_000);
    sim
}

#[test]
fn round_of_1024_meters_on_rs485_mbus_and_carrier_with_loss() {
    let sim = mixed_round(11);
    assert_eq!(sim.max_in_flight, 1);
    let mut read = std::collections::BTreeMap::<u16, usize>::new();
    let mut offline = std::collections::BTreeSet::new();
    for (_, e) in &sim.events {
        match e.kind {
            EventKind::Reading(r) => {
                assert_eq!(r.quality, Quality::Good, "{r:?}");
                *read.entry(r.meter).or_default() += 1;
            }
            EventKind::Alarm(concentrator_core::Alarm::MeterOffline { meter, .. }) => {
                assert!(offline.insert(meter), "meter {meter} reported twice");
            }
            _ => {}
        }
    }
    let expected_offline: std::collections::BTreeSet<u16> = (0..4)
        .map(|b| sim.archive_no(b, 7))
        .chain([sim.archive_no(4, 3), sim.archive_no(5, 11)])
        .collect();
    // Dead meters are reported; a meter may also fail by bad luck (every try lost).
    assert!(expected_offline.is_subset(&offline), "{offline:?}");
    for m in 1..=1024u16 {
        let mbus = (801..=824).contains(&m);
        let n = read.get(&m).copied().unwrap_or(0);
        if offline.contains(&m) {
            // A failed meter's remaining items are skipped for the round.
            assert!(n < if mbus { 2 } else { 1 }, "meter {m}");
        } else {
            assert_eq!(n, if mbus { 2 } else { 1 }, "meter {m}");
        }
    }
    let (meters, ok, failed) = sim
        .events
        .iter()
        .find_map(|e| match e.1.kind {
            EventKind::RoundStats {
                channel: None,
                meters,
                read,
                failed,
                ..
            } => Some((meters, read, failed)),
            _ => None,
        })
        .unwrap();
    assert_eq!(meters, 1024);
    assert_eq!(usize::from(failed), offline.len());
    assert_eq!(ok + failed, 1024);
    let per_channel = sim
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.1.kind,
                EventKind::RoundStats {
                    channel: Some(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!(per_channel, 6);
    println!(
        "1024 meters (800 RS-485, 24 M-Bus, 200 carrier), 5% loss: {ok} read, {failed} failed {:?}; round {:.1} s virtual; {} requests, {} retries",
        offline,
        sim.now.ticks() as f64 / 1000.0,
        sim.engine.counters().requests,
        sim.engine.counters().retries
    );
}

#[test]
fn mixed_round_is_deterministic() {
    let a = mixed_round(5);
    let b = mixed_round(5);
    assert_eq!(a.transcript, b.transcript);
    assert_eq!(a.events, b.events);
    assert_ne!(a.transcript, mixed_round(6).transcript);
}

/// A module that corrects broadcasts for transmission delay (AFN 03 F10 byte 1 D0) is asked
/// for the delay first (AFN 03 F9), and the time goes out that far ahead: the meters, which
/// hear it 20 s later, end up exact. Without the correction they would be 20 s slow.
#[test]
fn clock_sync_broadcast_is_shifted_by_the_modules_delay() {
    let mut bus = carrier_bus(700, 2, 0);
    bus.broadcast_delay_s = Some(20);
    bus.meters[0].clock_offset = 90;
    bus.meters[1].clock_offset = -60;
    let mut sim = Sim::new(8, epoch(), vec![bus]);
    sim.engine.start_round(Task::ClockSync);
    assert!(sim.run_until(3_600_000, |s| !s.engine.is_busy(ChannelId(0))));
    assert_eq!(sim.buses[0].delay_queries, 1);
    for m in &sim.buses[0].meters {
        assert_eq!(m.broadcasts, 1);
        // The broadcast carries whole seconds: within 1 s of the true time on arrival.
        assert!(m.clock_offset.abs() <= 1, "offset {}", m.clock_offset);
    }
}

#[test]
fn clock_sync_through_the_module() {
    let mut bus = carrier_bus(700, 3, 0);
    bus.meters[0].clock_offset = 90; // fixed by the broadcast
    bus.meters[1].clock_offset = -1200; // 20 min slow: alarm, then set through the module
    let mut sim = Sim::new(8, epoch(), vec![bus]);
    sim.engine.start_round(Task::ClockSync);
    assert!(sim.run_until(3_600_000, |s| !s.engine.is_busy(ChannelId(0))));
    assert_eq!(sim.buses[0].meters[0].broadcasts, 1);
    assert_eq!(sim.buses[0].meters[0].clock_offset, 0);
    // This module does not announce delay correction: no AFN 03 F9 query.
    assert_eq!(sim.buses[0].delay_queries, 0);
    assert!(sim.buses[0].meters[1].clock_offset.abs() <= 2);
    let kinds: Vec<_> = sim.events.iter().map(|e| e.1.kind).collect();
    assert!(kinds.iter().any(|k| matches!(
        k,
        EventKind::Alarm(concentrator_core::Alarm::ClockDrift { meter: 2, .. })
    )));
    assert!(kinds.contains(&EventKind::ClockSet {
        meter: 2,
        outcome: concentrator_core::Outcome::Done
    }));
}

#[test]
fn router_led_round_answers_the_module_and_reports_the_silent_meter() {
    let mut bus = carrier_bus(600, 6, 0);
    bus.router_led = true;
    bus.meters[4].fault = sim::Fault::Silent;
    let mut sim = Sim::new(9, epoch(), vec![bus]);
    // Start-up (the module's own first walk finds nothing to read), then a daily round of
    // two-step items (freeze time, then the frozen energy block).
    assert!(sim.run_for(120_000));
    assert_eq!(sim.buses[0].router_rounds, 1);
    sim.engine.start_round(Task::DailyFrozen);
    assert!(sim.run_until(3_600_000, Sim::round_done));
    assert_eq!(sim.buses[0].router_rounds, 2);
    let frozen: Vec<_> = sim
        .events
        .iter()
        .filter_map(|e| match e.1.kind {
            EventKind::Reading(r) => Some(r),
            _ => None,
        })
        .collect();
    // Five meters × (total + 4 tariffs), each with its freeze time as meter time.
    assert_eq!(frozen.len(), 25);
    assert!(
        frozen
            .iter()
            .all(|r| r.meter_time.is_some() && r.quality == Quality::Good)
    );
    let offline: Vec<_> = sim.offline_meters();
    assert_eq!(offline, vec![5]);
    assert!(sim.events.iter().any(|e| e.1.kind
        == EventKind::RoundStats {
            task: Task::DailyFrozen,
            channel: None,
            meters: 6,
            read: 5,
            failed: 1
        }));
}
