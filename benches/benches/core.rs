//! concentrator-core: engine CPU per meter read, measured by replaying a recorded simulation.
//!
//! A simulated round of 256 DL/T 645-2007 meters on one 2400-baud RS-485 bus is run once
//! (simulated meters answer with frames built by `dlt645`) and every input the engine got is
//! recorded. The bench replays those inputs into a fresh engine (same archive, same virtual
//! times), draining `poll_transmit` and `poll_event` after each, so it measures the engine
//! alone: request building, reply scanning and decoding, timers, round bookkeeping, store.
//! It also prints `size_of` the engine for 2048 meters.
#![allow(missing_docs)]

use std::hint::black_box;

use concentrator_core::{ChannelId, DateTime, Instant, MAX_TRANSMIT, Task};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

#[allow(dead_code, unreachable_pub, clippy::all)]
#[path = "../../concentrator-core/tests/sim/mod.rs"]
mod sim;

const METERS: usize = 256;

fn fresh() -> sim::Sim {
    let epoch = DateTime::new(2026, 3, 10, 10, 0, 0).unwrap();
    sim::Sim::new(1, epoch, vec![sim::rs485_bus(1, METERS, 0)])
}

fn replay(s: &mut sim::Sim, inputs: &[sim::Input]) -> usize {
    let mut buf = [0u8; MAX_TRANSMIT];
    let mut readings = 0;
    s.engine.start_round(Task::LoadCurve);
    for (t, input) in inputs {
        let now = Instant::from_ticks(*t);
        match input {
            Some((c, bytes)) => s.engine.handle_received(ChannelId(*c), bytes, now),
            None => s.engine.handle_timeout(now),
        }
        while let Some(tx) = s.engine.poll_transmit(now, &mut buf) {
            black_box(tx);
        }
        while let Some(ev) = s.engine.poll_event() {
            if matches!(ev.kind, concentrator_core::EventKind::Reading(_)) {
                readings += 1;
            }
        }
    }
    readings
}

fn bench(c: &mut Criterion) {
    println!(
        "size_of Concentrator<_, OffsetClock, 2048> (store of 32 bytes inside): {} bytes ({:.1} KiB)",
        std::mem::size_of::<sim::Engine>(),
        std::mem::size_of::<sim::Engine>() as f64 / 1024.0
    );
    let mut recorded = fresh();
    recorded.engine.start_round(Task::LoadCurve);
    assert!(recorded.run_until(3_600_000, |s| !s.engine.is_busy(ChannelId(0))));
    let inputs = recorded.inputs.clone();
    // The replay reproduces the recorded round exactly.
    assert_eq!(replay(&mut fresh(), &inputs), METERS);

    let mut g = c.benchmark_group("core");
    g.throughput(Throughput::Elements(METERS as u64));
    g.bench_function("replay_round_256_meter_reads", |b| {
        b.iter_batched(
            fresh,
            |mut s| replay(&mut s, &inputs),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
