//! Property tests: the engine driven by arbitrary input sequences never panics, never
//! livelocks, keeps one transaction per bus and gives every accepted command one result.
// Test helpers index freely (clippy.toml allows it inside #[test] functions only).
#![allow(clippy::indexing_slicing)]

mod drive;

use proptest::prelude::*;

proptest! {
    #[test]
    fn arbitrary_event_sequences_keep_the_invariants(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        drive::drive(&data);
    }
}

#[test]
fn a_quiet_engine_reads_its_rounds_and_goes_idle() {
    // Time jumps only: scheduled rounds run, every meter times out, the engine goes idle.
    let r = drive::drive(&[1, 255, 255, 4, 0, 2, 1, 0, 6, 0, 6, 0]);
    assert!(r.transmits > 0);
    assert_eq!(r.accepted, 1);
}

#[test]
fn a_forward_and_a_paused_round_in_the_drive_end_properly() {
    // Pause channel 0 (20 % 5 = 0, bit 0x10 set), start a daily round, forward 3 bytes on
    // channel 0 (50 ms wait), a read of meter 1, time passes; at the end the channels are
    // resumed and the round runs.
    let r = drive::drive(&[10, 20, 4, 1, 9, 5, 3, 0x68, 0x11, 0x16, 2, 1, 0, 1, 200, 20]);
    assert_eq!(r.accepted, 2, "the forward and the read");
    assert!(r.transmits >= 3);
}

#[test]
fn a_forward_on_the_silent_carrier_module_ends_as_no_answer() {
    // A read of meter 1 on channel 0, then its request forwarded on the carrier channel (3),
    // whose module never answers: start-up fails and the forward ends without a reply.
    let r = drive::drive(&[2, 1, 0, 9, 3, 2]);
    assert_eq!(r.accepted, 2, "the read and the forward");
}
