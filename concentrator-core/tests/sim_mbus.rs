//! Simulation tests on an M-Bus segment with slaves answering real corpus telegrams.
// Test helpers index freely (clippy.toml allows it inside #[test] functions only).
#![allow(clippy::indexing_slicing)]

mod sim;

use concentrator_core::{
    ChannelId, Decimal, EventKind, Item, Origin, Outcome, Quality, Task, Unit, Value,
};
use sim::{Sim, epoch, mbus_bus};

fn readings(sim: &Sim) -> Vec<concentrator_core::Reading> {
    sim.events
        .iter()
        .filter_map(|e| match e.1.kind {
            EventKind::Reading(r) => Some(r),
            _ => None,
        })
        .collect()
}

#[test]
fn energy_and_volume_from_kamstrup_601() {
    let mut sim = Sim::new(1, epoch(), vec![mbus_bus(2, false, 0)]);
    sim.engine.start_round(Task::LoadCurve);
    assert!(sim.run_until(600_000, |s| !s.engine.is_busy(ChannelId(0))));
    let r = readings(&sim);
    assert_eq!(r.len(), 4);
    // kamstrup_multical_601.norm.xml: Energy 37351000 Wh (VIF 06: kWh), Volume 561.08 m^3.
    assert_eq!(
        r[0].value,
        Value::Number(Decimal::new(37_351, 3), Unit::WattHour)
    );
    assert_eq!(r[0].item, Item::ActiveEnergyImport { tariff: 0 });
    assert_eq!(
        r[1].value,
        Value::Number(Decimal::new(56_108, -2), Unit::CubicMetre)
    );
    assert_eq!(r[1].quality, Quality::Good);
    // SND_NKE + REQ_UD2 per item and meter.
    assert_eq!(sim.exchanges.len(), 8);
}

#[test]
fn multi_telegram_readout_follows_more_records() {
    let mut sim = Sim::new(2, epoch(), vec![mbus_bus(1, true, 0)]);
    // Record 10 is in the second telegram: SND_NKE, REQ_UD2 (FCB 1), REQ_UD2 (FCB 0).
    let id = sim
        .engine
        .read_now(1, Item::RawMbusRecord(10), Origin::Master)
        .unwrap();
    assert!(sim.run_for(10_000));
    assert_eq!(sim.exchanges.len(), 3);
    let r = readings(&sim);
    assert_eq!(r.len(), 1);
    assert!(matches!(r[0].value, Value::Raw { .. }));
    assert_eq!(sim.buses[0].slaves[0].readouts, 1);
    assert!(sim.events.iter().any(|e| e.1.kind
        == EventKind::CommandResult {
            id,
            meter: 1,
            outcome: Outcome::Done
        }));
}

#[test]
fn silent_slave_fails_the_round_and_is_reported() {
    let mut bus = mbus_bus(3, false, 0);
    bus.slaves[1].fault = sim::Fault::Silent;
    let mut sim = Sim::new(3, epoch(), vec![bus]);
    sim.engine.start_round(Task::LoadCurve);
    assert!(sim.run_until(600_000, |s| !s.engine.is_busy(ChannelId(0))));
    let offline: Vec<_> = sim.offline_meters();
    assert_eq!(offline, vec![2]);
    // Three tries of SND_NKE, then the meter's other item is skipped for the round.
    assert_eq!(sim.buses[0].slaves[1].heard, 3);
    assert_eq!(readings(&sim).len(), 4);
}

#[test]
fn secondary_address_selection_then_readout() {
    let mut bus = mbus_bus(1, false, 0);
    bus.slaves[0].by_secondary = true;
    let mut sim = Sim::new(4, epoch(), vec![bus]);
    assert_eq!(
        sim.engine.meter(1).unwrap().protocol,
        concentrator_core::Protocol::MbusSecondary
    );
    sim.engine
        .read_now(1, Item::Volume, Origin::Master)
        .unwrap();
    assert!(sim.run_for(10_000));
    // Selection (SND_UD to 253, CI 0x52) answered E5, then REQ_UD2 to 253.
    assert_eq!(sim.exchanges.len(), 2);
    assert_eq!(sim.exchanges[0].req_len, 17);
    let r = readings(&sim);
    assert_eq!(
        r[0].value,
        Value::Number(Decimal::new(56_108, -2), Unit::CubicMetre)
    );
}
