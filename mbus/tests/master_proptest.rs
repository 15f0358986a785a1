//! The master under arbitrary input: random bytes at random times never make it panic, every
//! command ends with exactly one `Done` once the line goes quiet, and nothing is sent while
//! it is idle.

use proptest::prelude::*;
use wired_mbus::{Address, Command, Duration, Event, Instant, Master, MasterConfig, SecondaryMask};

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (any::<u8>(), any::<bool>()).prop_map(|(a, reset)| Command::ReadOut {
            address: Address::from_byte(a),
            reset
        }),
        any::<u64>().prop_map(|m| Command::ReadSecondary {
            mask: SecondaryMask::from_u64(m)
        }),
        (any::<u8>(), 0u8..6).prop_map(|(first, n)| Command::ScanPrimary {
            first,
            last: first.saturating_add(n)
        }),
        any::<u64>().prop_map(|m| Command::ScanSecondary {
            start: SecondaryMask::from_u64(m | 0xFFFF_FFFF)
        }),
    ]
}

/// One input: bytes after `dt` ms, or (None) the master's own timeout.
fn steps() -> impl Strategy<Value = Vec<(Option<Vec<u8>>, u64)>> {
    prop::collection::vec(
        (
            prop::option::of(prop_oneof![
                prop::collection::vec(any::<u8>(), 1..40),
                Just(vec![0xE5]),
                Just(vec![0xE5, 0xE5]),
                Just(vec![0x68, 0x03, 0x03, 0x68, 0x08, 0x01, 0x72, 0x7B, 0x16]),
            ]),
            0u64..400,
        ),
        0..60,
    )
}

proptest! {
    #[test]
    fn any_input_ends_in_one_done(cmd in command(), steps in steps(), echo in any::<bool>()) {
        let cfg = MasterConfig { echo, max_probes: 300, ..MasterConfig::default() };
        let mut m = Master::new(cfg);
        m.start(cmd).unwrap();
        let mut now = Instant::from_ticks(0);
        let mut buf = [0u8; 261];
        let mut dones = 0;
        let drain = |m: &mut Master, dones: &mut u32| {
            while let Some(ev) = m.poll_event() {
                if let Event::Done(_) = ev {
                    *dones += 1;
                }
                if let Event::Telegram { .. } = ev {
                    assert!(m.telegram().is_some());
                }
            }
        };
        for (bytes, dt) in steps {
            let _ = m.poll_transmit(now, &mut buf);
            drain(&mut m, &mut dones);
            now += Duration::millis(dt);
            match bytes {
                Some(b) => m.handle_received(&b, now),
                None => {
                    if let Some(t) = m.poll_timeout() {
                        now = now.max(t);
                    }
                    m.handle_timeout(now);
                }
            }
        }
        // Then silence: the command must end.
        let mut rounds = 0;
        while m.is_busy() {
            let _ = m.poll_transmit(now, &mut buf);
            drain(&mut m, &mut dones);
            if !m.is_busy() {
                break;
            }
            let t = m.poll_timeout().expect("a busy master always has a wake-up");
            now = now.max(t);
            m.handle_timeout(now);
            rounds += 1;
            prop_assert!(rounds < 100_000, "livelock");
        }
        drain(&mut m, &mut dones);
        prop_assert_eq!(dones, 1);
        prop_assert_eq!(m.poll_transmit(now, &mut buf), None);
        prop_assert_eq!(m.poll_timeout(), None);
    }
}
