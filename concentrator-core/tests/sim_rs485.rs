//! Simulation tests on RS-485 buses of DL/T 645-2007 meters.

mod sim;

use concentrator_core::{DateTime, EventKind, Item, Origin, Outcome, Quality, Value};
use sim::{Sim, rs485_bus};

fn epoch() -> DateTime {
    DateTime::new(2026, 3, 10, 10, 0, 0).unwrap()
}

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
