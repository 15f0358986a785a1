//! Property tests: parsing any bytes never panics, and whatever parses re-emits to the same
//! bytes; representations built from typed values survive emit then parse.
#![allow(clippy::indexing_slicing)] // tests index their own buffers (clippy.toml)

use proptest::prelude::*;
use qgdw1376_2::unit::confirm::{Confirm, DenyReason};
use qgdw1376_2::unit::file::FileSegment;
use qgdw1376_2::unit::list::Entries;
use qgdw1376_2::unit::protocol::Protocol;
use qgdw1376_2::unit::protocol::ProtocolFrame;
use qgdw1376_2::unit::query::{BroadcastDelay, DelaySupport, Medium, RunMode, VendorInfo};
use qgdw1376_2::unit::read::{
    ConcurrentRead, DelayRequest, MeterData, MonitorReply, MonitorRequest, ReadAnswer, ReadFlag,
};
use qgdw1376_2::unit::report::{NodeReport, Registered, SlaveEvent};
use qgdw1376_2::unit::route::{AddNode, NodeInfo, NodePage, RegistrationWindow};
use qgdw1376_2::unit::time::{Date, DateTime};
use qgdw1376_2::{
    Address, AddressField, Afn, CommMode, Control, DataUnit, Direction, Dt, Edition, Frame,
    FrameRepr, Info, InfoDown, InfoUp, R1, RateUnit, Scanner, checksum, scan,
};

/// Builds a frame with a valid envelope around arbitrary fields.
fn envelope(c: u8, r: [u8; 6], addr: &[u8], afn: u8, dt: [u8; 2], data: &[u8]) -> Vec<u8> {
    let len = 10 + addr.len() + 3 + data.len() + 2;
    let mut f = vec![0x68, len as u8, (len >> 8) as u8, c];
    f.extend_from_slice(&r);
    f.extend_from_slice(addr);
    f.push(afn);
    f.extend_from_slice(&dt);
    f.extend_from_slice(data);
    let cs = checksum(&f[3..]);
    f.push(cs);
    f.push(0x16);
    f
}

const TYPED: &[(u8, u16)] = &[
    (0x00, 1),
    (0x00, 2),
    (0x01, 1),
    (0x02, 1),
    (0x03, 1),
    (0x03, 4),
    (0x03, 9),
    (0x03, 10),
    (0x04, 1),
    (0x04, 3),
    (0x05, 1),
    (0x05, 2),
    (0x05, 3),
    (0x05, 4),
    (0x06, 1),
    (0x06, 2),
    (0x06, 3),
    (0x06, 4),
    (0x06, 5),
    (0x10, 1),
    (0x10, 2),
    (0x10, 4),
    (0x10, 5),
    (0x10, 6),
    (0x11, 1),
    (0x11, 2),
    (0x11, 5),
    (0x12, 2),
    (0x13, 1),
    (0x14, 1),
    (0x14, 2),
    (0x14, 3),
    (0x15, 1),
    (0xF1, 1),
];

fn edition() -> impl Strategy<Value = Edition> {
    prop_oneof![Just(Edition::V2009), Just(Edition::V2013)]
}

proptest! {
    #[test]
    fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = scan(&bytes, 2048);
        if let Ok(f) = Frame::new_checked(&bytes) {
            let _ = FrameRepr::parse(&f, Edition::V2009);
            let _ = FrameRepr::parse(&f, Edition::V2013);
        }
        let mut s = Scanner::<256>::new();
        for chunk in bytes.chunks(7) {
            s.push(chunk);
            while s.next_frame().is_some() {}
        }
    }

    /// Valid envelopes around random typed data units: parse never panics, and whatever
    /// parses re-emits to exactly the same bytes.
    #[test]
    fn what_parses_re_emits_identically(
        c in any::<u8>(),
        r in any::<[u8; 6]>(),
        relays in 0u8..3,
        addr in proptest::collection::vec(any::<u8>(), 30),
        which in 0..TYPED.len(),
        data in proptest::collection::vec(any::<u8>(), 0..60),
        small in proptest::collection::vec(0u8..4, 4),
        ed in edition(),
    ) {
        let (afn, f) = TYPED[which];
        let mut r = r;
        // Half the time make the data unit's leading length/count bytes small so that the
        // layouts with counts and lengths are reached, not just rejected.
        let mut data = data;
        for (i, s) in small.iter().enumerate() {
            if data.len() > i + 2 && s % 2 == 0 {
                data[i + 2] = *s;
            }
        }
        r[0] = (r[0] & 0x0F) | (relays << 4);
        let alen = if r[0] & 4 == 0 { 0 } else if c & 0x80 != 0 { 12 } else { 12 + 6 * usize::from(relays) };
        let dt = Dt::single(f).unwrap();
        let bytes = envelope(c, r, &addr[..alen], afn, [dt.dt1, dt.dt2], &data);
        let frame = Frame::new_checked(&bytes).unwrap();
        if let Ok(repr) = FrameRepr::parse(&frame, ed) {
            let mut out = vec![0; repr.buffer_len()];
            prop_assert_eq!(repr.emit(&mut out), Ok(bytes.len()));
            prop_assert_eq!(out, bytes);
        }
    }

    /// Representations built from typed values: emit then parse is the identity.
    #[test]
    fn emit_then_parse_is_identity(
        ed in edition(),
        seq in any::<u8>(),
        rate in 0u16..0x8000,
        src in any::<[u8; 6]>(),
        dst in any::<[u8; 6]>(),
        relays in proptest::collection::vec(any::<[u8; 6]>(), 0..4),
        frame in proptest::collection::vec(any::<u8>(), 0..40),
        attached in proptest::collection::vec(any::<[u8; 6]>(), 0..3),
        status in any::<u16>(),
        wait in any::<u16>(),
        code in 0u8..20,
        pick in 0u8..22,
        flag in 0u8..3,
        delay in any::<bool>(),
        t in (0u8..60, 0u8..60, 0u8..24, 1u8..29, 1u8..13, 0u8..100),
    ) {
        let delay = delay && ed == Edition::V2013;
        let mut scratch = [0u8; 64];
        let attached = Entries::encode(attached.iter().map(|a| Address(*a)), ed, &mut scratch).unwrap();
        let up = matches!(pick, 1 | 3 | 5 | 8 | 12 | 14 | 15 | 17 | 18 | 19 | 20 | 21);
        let mut reg = Vec::new();
        for (i, a) in [Address(src), Address(dst)].iter().enumerate() {
            reg.extend_from_slice(&a.0);
            reg.extend_from_slice(&[code, flag, 0, t.0]);
            let m = if i == 0 { attached.len() } else { 0 };
            reg.extend_from_slice(&[t.1, m as u8]);
            for x in attached.iter().take(m) {
                reg.extend_from_slice(&x.0);
                reg.push(code);
            }
        }
        let mut scratch2 = [0u8; 256];
        let proto = Protocol::from_byte(code);
        let pf = ProtocolFrame { protocol: proto, frame: &frame };
        let vendor = VendorInfo {
            vendor: [b'A' + code, b'Z'],
            chip: *b"01",
            date: Date { year: t.5, month: t.4, day: t.3 },
            version: wait % 10000,
        };
        let addrs = [Address(src), Address(dst)];
        let (afn, f, unit) = match pick {
            0 => (Afn::RouteForward, 1, DataUnit::MonitorRequest(MonitorRequest {
                protocol: Protocol::Dlt645_2007, delay_sensitive: delay, attached, frame: &frame })),
            1 => (Afn::RouteForward, 1, DataUnit::MonitorReply(MonitorReply {
                transit_s: wait, protocol: Protocol::from_byte(code), frame: &frame })),
            2 => (Afn::RouteRead, 1, DataUnit::ReadAnswer(ReadAnswer {
                flag: [ReadFlag::Skip, ReadFlag::Done, ReadFlag::Send][usize::from(flag)],
                delay_sensitive: delay, frame: &frame, attached })),
            3 => (Afn::Confirm, 1, DataUnit::Confirm(Confirm { status: u32::from(status), wait_s: wait })),
            4 => (Afn::RouteRead, 2, DataUnit::Clock(DateTime {
                second: t.0, minute: t.1, hour: t.2, day: t.3, month: t.4, year: t.5 })),
            5 => (Afn::Confirm, 2, DataUnit::Deny(DenyReason::from_code(code, ed))),
            6 => (Afn::Forward, 1, DataUnit::Forward(pf)),
            7 => (Afn::Control, 3, DataUnit::Broadcast(pf)),
            8 => (Afn::Report, 2, DataUnit::MeterData(MeterData {
                index: status, protocol: proto, transit_s: wait, frame: &frame })),
            9 => (Afn::Concurrent, 1, DataUnit::Concurrent(ConcurrentRead {
                protocol: proto, reserved: flag, frame: &frame })),
            10 => {
                let nodes = addrs.iter().enumerate().map(|(i, a)| AddNode {
                    address: *a,
                    index: (ed == Edition::V2009).then_some(status.wrapping_add(i as u16)),
                    protocol: proto,
                });
                (Afn::RouteSet, 1, DataUnit::AddNodes(Entries::encode(nodes, ed, &mut scratch2).unwrap()))
            }
            11 => (Afn::RouteSet, 2, DataUnit::DeleteNodes(Entries::encode(addrs, ed, &mut scratch2).unwrap())),
            12 => {
                let nodes = addrs.iter().map(|a| NodeInfo {
                    address: *a, relay_level: code % 16, signal_quality: flag, phase: t.0 % 8,
                    protocol: Protocol::from_byte(code % 8), reserved: t.1 % 4,
                });
                (Afn::RouteQuery, 2, DataUnit::NodePage(NodePage {
                    total: status, nodes: Entries::encode(nodes, ed, &mut scratch2).unwrap() }))
            }
            13 => (Afn::RouteSet, 5, DataUnit::Registration(RegistrationWindow {
                start: DateTime { second: t.0, minute: t.1, hour: t.2, day: t.3, month: t.4, year: t.5 },
                duration_min: wait, retries: code, slots: flag })),
            14 => (Afn::RouteRead, 3, DataUnit::DelayRequest(DelayRequest {
                address: Address(dst), delay_s: wait, frame: &frame })),
            15 => (Afn::Report, 5, DataUnit::SlaveEvent(SlaveEvent {
                device_type: flag, protocol: proto, frame: &frame })),
            16 => (Afn::FileTransfer, 1, DataUnit::FileSegment(FileSegment {
                file_id: code, attribute: flag, command: t.0, total_segments: wait,
                index: u32::from(status) << 3, data: &frame })),
            17 => {
                let mut rates = heapless::Vec::new();
                for r in frame.iter().take(usize::from(flag) * 2) {
                    rates.push(u16::from(*r) << 7).unwrap();
                }
                (Afn::Query, 10, DataUnit::RunMode(RunMode {
                    medium: [Medium::Narrowband, Medium::Broadband, Medium::Wireless][usize::from(flag)],
                    module_routes: delay, archive_download: !delay,
                    concentrator_led: code % 2 == 0, router_led: code % 3 == 0,
                    delay_support: DelaySupport::from_bits_truncate(code),
                    failed_node_switch: flag, broadcast_confirm_first: delay,
                    broadcast_channel_mode: t.0 % 4, channel_count: t.1 % 32,
                    power_down_info: t.2 % 8, byte3_reserved: t.3 % 16, reserved: [t.4, t.5],
                    monitor_timeout_s: code, broadcast_timeout_s: wait, max_frame_len: status,
                    max_file_packet: wait ^ status, upgrade_wait: t.0, master_address: Address(src),
                    max_nodes: status / 2, node_count: wait / 2,
                    protocol_released: Date { year: t.5, month: t.4, day: t.3 },
                    protocol_filed: Date::default(),
                    vendor, rates,
                }))
            }
            18 => (Afn::Query, 1, DataUnit::Vendor(vendor)),
            19 => {
                let nodes = addrs.iter().map(|a| NodeReport { address: *a, protocol: proto, index: wait });
                (Afn::Report, 1, DataUnit::NodeReports(Entries::encode(nodes, ed, &mut scratch2).unwrap()))
            }
            21 => (Afn::Report, 4, DataUnit::Registered(Registered::from_bytes(2, &reg).unwrap())),
            _ => (Afn::Query, 9, DataUnit::BroadcastDelay(BroadcastDelay {
                delay_s: wait, frame: (flag > 0).then_some(pf) })),
        };
        let mode = CommMode::Broadband;
        let with_addr = relays.len() % 2 == 0;
        let relay_n = if up || !with_addr { 0 } else { relays.len() };
        let r1 = R1 { slave_node: with_addr, relay_level: relay_n as u8, ..R1::default() };
        let info = if up {
            Info::Up(InfoUp { r1, seq, phase: 1, ..InfoUp::default() })
        } else {
            Info::Down(InfoDown { r1, seq, rate, rate_unit: RateUnit::Bps, ..InfoDown::default() })
        };
        let address = with_addr.then(|| AddressField {
            source: Address(src),
            relays: relays[..relay_n].iter().map(|a| Address(*a)).collect(),
            destination: Address(dst),
        });
        let repr = FrameRepr {
            edition: ed,
            control: Control { direction: if up { Direction::Up } else { Direction::Down }, prm: !up, mode },
            info,
            address,
            afn,
            dt: Dt::single(f).unwrap(),
            unit,
        };
        let mut out = vec![0; repr.buffer_len()];
        let n = repr.emit(&mut out).unwrap();
        prop_assert_eq!(n, out.len());
        let back = FrameRepr::parse_bytes(&out, ed).unwrap();
        prop_assert_eq!(back, repr);
    }
}
