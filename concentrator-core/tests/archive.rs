//! Archive validation through the engine's public API, and the engine's size.

use concentrator_core::*;

type Engine = Concentrator<MemStore<4>, OffsetClock, 2048>;

fn engine() -> Box<Engine> {
    let epoch = DateTime::new(2026, 1, 1, 0, 0, 0).unwrap();
    let mut e = Box::new(Engine::new(MemStore::new(), OffsetClock { epoch }));
    e.add_channel(
        ChannelId(0),
        ChannelConfig {
            kind: ChannelKind::Rs485,
            line: LineSettings::DLT645_2400,
        },
    )
    .unwrap();
    e.add_channel(
        ChannelId(1),
        ChannelConfig {
            kind: ChannelKind::Mbus,
            line: LineSettings::MBUS_2400,
        },
    )
    .unwrap();
    e
}

fn dlt(no: u16, address: u64, channel: u8) -> Meter {
    Meter {
        archive_no: no,
        protocol: Protocol::Dlt645_2007,
        address: MeterAddress::dlt645(address).unwrap(),
        channel: ChannelId(channel),
        baud: None,
        control: None,
        reads: ReadSet::ENERGY_IMPORT,
        allow_clock_set: false,
    }
}

#[test]
fn engine_for_2048_meters_is_well_under_512_kib() {
    let size = core::mem::size_of::<Engine>();
    println!("size_of Concentrator<MemStore<4>, OffsetClock, 2048> = {size} bytes");
    assert!(size < 512 * 1024, "{size} bytes");
}

#[test]
fn validation_errors_are_typed() {
    let mut e = engine();
    e.add_meter(dlt(1, 161, 0)).unwrap();
    assert_eq!(
        e.add_meter(dlt(1, 162, 0)),
        Err(ArchiveError::DuplicateArchiveNo(1))
    );
    assert_eq!(
        e.add_meter(dlt(2, 161, 0)),
        Err(ArchiveError::DuplicateAddress { other: 1 })
    );
    assert_eq!(
        e.add_meter(dlt(0, 163, 0)),
        Err(ArchiveError::ZeroArchiveNo)
    );
    assert_eq!(
        e.add_meter(dlt(3, 163, 5)),
        Err(ArchiveError::UnknownChannel(ChannelId(5)))
    );
    assert_eq!(
        e.add_meter(dlt(3, 163, 1)),
        Err(ArchiveError::WrongChannelKind {
            protocol: Protocol::Dlt645_2007,
            kind: ChannelKind::Mbus
        })
    );
    // The wildcard AA is not a meter address (notes §1.3); offset 5 is the top byte.
    let mut m = dlt(3, 163, 0);
    m.address = MeterAddress::Dlt645([0x63, 0x01, 0, 0, 0, 0xAA]);
    assert_eq!(e.add_meter(m), Err(ArchiveError::BadAddress { offset: 5 }));
    m.address = MeterAddress::MbusPrimary(5);
    assert_eq!(e.add_meter(m), Err(ArchiveError::AddressProtocolMismatch));
    let mut m = dlt(3, 163, 0);
    m.baud = Some(2500);
    assert_eq!(e.add_meter(m), Err(ArchiveError::BadBaud(2500)));
    assert!(MeterAddress::dlt645(999_999_999_999).is_err());
    let mut mb = dlt(4, 1, 1);
    mb.protocol = Protocol::MbusPrimary;
    mb.address = MeterAddress::MbusPrimary(251);
    assert_eq!(e.add_meter(mb), Err(ArchiveError::BadAddress { offset: 0 }));
    // The same M-Bus address on another channel kind is a different meter.
    mb.address = MeterAddress::MbusPrimary(1);
    e.add_meter(mb).unwrap();
    assert_eq!(e.archive().len(), 2);
}

#[test]
fn change_and_remove() {
    let mut e = engine();
    e.add_meter(dlt(1, 161, 0)).unwrap();
    e.add_meter(dlt(2, 162, 0)).unwrap();
    // Changing meter 2 to meter 1's address is refused; to its own address is fine.
    assert_eq!(
        e.change_meter(dlt(2, 161, 0)),
        Err(ArchiveError::DuplicateAddress { other: 1 })
    );
    e.change_meter(dlt(2, 170, 0)).unwrap();
    assert_eq!(e.meter(2).unwrap().address.dlt645_number(), Some(170));
    assert_eq!(
        e.change_meter(dlt(9, 180, 0)),
        Err(ArchiveError::NotFound(9))
    );
    // A queued command for a removed meter ends with MeterRemoved, exactly once.
    let id = e
        .read_now(2, Item::ActiveEnergyImport { tariff: 0 }, Origin::Master)
        .unwrap();
    e.remove_meter(2).unwrap();
    assert_eq!(e.remove_meter(2), Err(ArchiveError::NotFound(2)));
    let ev = e.poll_event().unwrap();
    assert_eq!(
        ev.kind,
        EventKind::CommandResult {
            id,
            meter: 2,
            outcome: Outcome::MeterRemoved
        }
    );
    assert!(e.poll_event().is_none());
    assert_eq!(
        e.read_now(2, Item::Clock, Origin::Local),
        Err(CommandError::UnknownMeter(2))
    );
    assert_eq!(
        e.switch(1, SwitchAction::Off, DateTime::MIN, Origin::Master),
        Err(CommandError::NoControlAuth(1))
    );
    assert_eq!(
        e.read_now(1, Item::Volume, Origin::Master),
        Err(CommandError::Unsupported)
    );
}

#[test]
fn channel_configuration_errors() {
    let mut e = engine();
    let cfg = ChannelConfig {
        kind: ChannelKind::Rs485,
        line: LineSettings::DLT645_2400,
    };
    assert_eq!(
        e.add_channel(ChannelId(0), cfg),
        Err(ChannelError::Exists(ChannelId(0)))
    );
    assert_eq!(
        e.add_channel(ChannelId(8), cfg),
        Err(ChannelError::OutOfRange(ChannelId(8)))
    );
    let bad = ChannelConfig {
        line: LineSettings {
            baud: 0,
            ..cfg.line
        },
        ..cfg
    };
    assert_eq!(e.add_channel(ChannelId(2), bad), Err(ChannelError::BadLine));
}

#[test]
fn forwarding_is_at_least_once() {
    let mut store: MemStore<2> = MemStore::new();
    let at = DateTime::MIN;
    let ev = |meter| Event {
        at,
        kind: EventKind::Alarm(Alarm::MeterOffline {
            meter,
            channel: ChannelId(0),
        }),
    };
    let a = store.append(&ev(1)).unwrap();
    let b = store.append(&ev(2)).unwrap();
    // Full of unforwarded records: nothing is overwritten.
    assert_eq!(store.append(&ev(3)), Err(MemStoreError::Full));
    assert_eq!(store.next_unforwarded(None).map(|r| r.0), Some(a));
    store.mark_forwarded(a).unwrap();
    assert_eq!(store.next_unforwarded(None).map(|r| r.0), Some(b));
    // Now the oldest (forwarded) record makes room.
    let c = store.append(&ev(3)).unwrap();
    assert_eq!(store.query(3, at, at, None).map(|r| r.0), Some(c));
    assert_eq!(store.query(1, at, at, None), None);
}

#[test]
fn meter_removed_during_a_round_is_not_counted() {
    let mut e = engine();
    e.set_schedule(Schedule::OFF);
    e.add_meter(dlt(1, 161, 0)).unwrap();
    e.add_meter(dlt(2, 162, 0)).unwrap();
    e.start_round(Task::LoadCurve);
    let mut buf = [0u8; MAX_TRANSMIT];
    let mut now = 0u64;
    // Meter 1 is asked; it is removed while the request is out; nobody answers.
    assert!(
        e.poll_transmit(Instant::from_ticks(now), &mut buf)
            .is_some()
    );
    e.remove_meter(1).unwrap();
    let mut stats = None;
    for _ in 0..100 {
        let Some(t) = e.poll_timeout() else { break };
        now = now.max(t.ticks());
        e.handle_timeout(Instant::from_ticks(now));
        while e
            .poll_transmit(Instant::from_ticks(now), &mut buf)
            .is_some()
        {}
        while let Some(ev) = e.poll_event() {
            if let EventKind::RoundStats {
                channel: None,
                meters,
                read,
                failed,
                ..
            } = ev.kind
            {
                stats = Some((meters, read, failed));
            }
        }
        if stats.is_some() {
            break;
        }
    }
    // Meter 1's transaction in flight still ends (and fails: silent); meter 2 fails too.
    assert_eq!(stats, Some((2, 0, 2)));
}
