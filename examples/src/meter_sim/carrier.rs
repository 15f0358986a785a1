//! The simulated meters behind a carrier module: one [`SimMeter`] of the module simulator
//! (`plc_sim`) per meter, all answered by one shared [`MeterSim`].

use std::sync::{Arc, Mutex, PoisonError};

use rs485_link::Instant;

use super::MeterSim;
use crate::plc_sim::SimMeter;

/// Where the meters take simulated time from when the module asks them.
pub type SimClock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// The meters of `sim` as nodes of a simulated PLC network: meter `i` sits `hops(i)` relay
/// hops from the module, on phase `i % 3 + 1`. Each node hands the DL/T 645 frame the module
/// carries to `sim` at `clock()` and returns its reply.
pub fn behind_carrier(
    sim: &Arc<Mutex<MeterSim>>,
    clock: &SimClock,
    hops: impl Fn(usize) -> u8,
) -> Vec<SimMeter> {
    let addresses = sim
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .addresses();
    addresses
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            let (sim, clock) = (Arc::clone(sim), Arc::clone(clock));
            SimMeter {
                address: qgdw1376_2::Address(a.0),
                hops: hops(i),
                phase: (i % 3) as u8 + 1,
                responder: Box::new(move |request: &[u8]| {
                    let now = clock();
                    sim.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .handle(request, now)
                        .map(|r| r.bytes)
                }),
            }
        })
        .collect()
}
