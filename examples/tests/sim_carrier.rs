//! The DL/T 645 meter simulator behind the carrier-module simulator (`plc_sim`), driven by the
//! `qgdw1376-2` module session on a virtual clock: concentrator-led reads of energy and a
//! remote switch-off carried through the PLC network.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use dlt645::{Address, Body, Di, Edition, Operator, Password, Repr, Request, SwitchAction};
use examples::meter_sim::{MeterConfig, MeterSim, SimClock, SimConfig, behind_carrier};
use examples::plc_sim::{self, PlcModuleSim};
use qgdw1376_2::dlt645_frames;
use qgdw1376_2::session::{Config, Duration, Event, Instant, Session};
use qgdw1376_2::unit::protocol::Protocol;

mod common;

use common::{addr, request, run_session};

struct World {
    s: Session<32>,
    m: PlcModuleSim,
    t: Arc<AtomicU64>,
    events: Vec<Event>,
}

impl World {
    fn now(&self) -> Instant {
        Instant::from_ticks(self.t.load(Ordering::Relaxed))
    }

    /// Run the session and the module until `until` (router questions are not answered: the
    /// module here does concentrator-led reads only).
    fn run(&mut self, until: Instant) {
        let start = self.now();
        let t = Arc::clone(&self.t);
        let events = &mut self.events;
        let advance = |now: Instant| t.store(now.ticks(), Ordering::Relaxed);
        run_session(
            &mut self.s,
            &mut self.m,
            start,
            until,
            advance,
            |_, _, e| events.push(e),
        );
    }

    /// Send `frame` to `meter` through the module; the meter's reply.
    fn read(&mut self, meter: Address, frame: &[u8]) -> Vec<u8> {
        self.events.clear();
        let a = qgdw1376_2::Address(meter.0);
        let id = self
            .s
            .read(a, Protocol::Dlt645_2007, frame, self.now())
            .unwrap();
        let until = self.now() + Duration::secs(30);
        self.run(until);
        self.events
            .iter()
            .find_map(|e| match e {
                Event::ReadDone { id: got, frame, .. } if *got == id => Some(frame.to_vec()),
                _ => None,
            })
            .expect("read done")
    }
}

fn world() -> (World, Arc<Mutex<MeterSim>>) {
    let meters = MeterSim::new(SimConfig::new(
        (1..=3)
            .map(|n| MeterConfig::new(addr(n), Edition::V2007))
            .collect(),
    ));
    let sim = Arc::new(Mutex::new(meters));
    let t = Arc::new(AtomicU64::new(0));
    let tc = Arc::clone(&t);
    let clock: SimClock = Arc::new(move || Instant::from_ticks(tc.load(Ordering::Relaxed)));
    let nodes = behind_carrier(&sim, &clock, |i| i as u8);
    let mut cfg = plc_sim::SimConfig::hplc();
    cfg.router_led = false;
    let start = Instant::from_ticks(0);
    let mut s: Session<32> = Session::new(Config::new(qgdw1376_2::Address([0x11; 6])), start);
    s.set_archive(
        (1..=3).map(|n| (qgdw1376_2::Address(addr(n).0), Protocol::Dlt645_2007)),
        start,
    )
    .unwrap();
    let m = PlcModuleSim::new(cfg, nodes, start);
    let mut w = World {
        s,
        m,
        t,
        events: Vec::new(),
    };
    w.run(Instant::from_ticks(60_000));
    assert!(w.s.is_ready());
    (w, sim)
}

/// The first item of a read reply carried back, as displayed.
fn value(frame: &[u8]) -> String {
    let (_, f) = dlt645_frames(frame).next().unwrap();
    let Body::Reply(r) = Repr::parse(&f).unwrap().body else {
        panic!("not a reply")
    };
    r.values().unwrap().next().unwrap().value.to_string()
}

#[test]
fn energy_read_through_the_carrier_module() {
    let (mut w, _sim) = world();
    // An hour of quiet passes on the virtual clock.
    w.t.store(3_600_000, Ordering::Relaxed);
    let start = w.now();
    let frame = w.read(
        addr(3),
        &request(
            addr(3),
            Request::Read {
                di: Di(0x0001_0000),
            },
        ),
    );
    // Two hops: at least 3 × 0.68 s on the virtual clock.
    assert!((w.now() - start).to_millis() >= 3 * 680);
    // 2.2 kW for an hour and the few seconds of the read (under 10 Wh).
    assert_eq!(value(&frame), "1002.20 kWh");
}

#[test]
fn switch_off_through_the_carrier_module_opens_the_relay() {
    let (mut w, sim) = world();
    let off = Request::Switch {
        password: Password {
            level: 0x02,
            code: [0; 3],
        },
        operator: Operator::default(),
        action: SwitchAction::Trip,
        delay: 0,
        valid_until: dlt645::DateTime {
            year: 2027,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
        },
    };
    let frame = w.read(addr(2), &request(addr(2), off));
    let (_, f) = dlt645_frames(&frame).next().unwrap();
    assert!(matches!(
        Repr::parse(&f).unwrap().body,
        Body::Reply(dlt645::Reply::Ack(dlt645::Function::RemoteSwitch))
    ));
    assert_eq!(sim.lock().unwrap().relay_open(addr(2)), Some(true));
    let frame = w.read(
        addr(2),
        &request(
            addr(2),
            Request::Read {
                di: Di(0x0400_0503),
            },
        ),
    );
    assert_eq!(value(&frame), "status word 3: 0050");
}
