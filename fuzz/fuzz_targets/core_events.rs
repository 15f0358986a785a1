//! The concentrator engine driven by arbitrary event sequences: bytes on any channel, time
//! jumps, commands, archive changes. Invariants (checked by the shared driver): no panic, no
//! livelock (bounded drive to quiescence), one request per bus at a time, exactly one result
//! per accepted command, no number where there is no data.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../concentrator-core/tests/drive/mod.rs"]
mod drive;

fuzz_target!(|data: &[u8]| {
    drive::drive(data);
});
