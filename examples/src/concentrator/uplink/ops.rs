//! The master's forwarding, archive, clock, port and power requests, run on the daemon.
//!
//! Ports and channels: terminal port `p` is the daemon's channel `p`, as
//! `core_map::meter_of_entry` places a downloaded meter (its port is its channel), so a
//! forward, a pause and an archive entry naming the same port reach the same bus.

use concentrator_core::{ChannelId, DateTime, Decimal, Item, MAX_CHANNELS, Meter, Phase, Value};
use qgdw1376_1::core_map::{decimal_to_quantity, meter_of_entry, minute_time_of};
use qgdw1376_1::unit::{MeterEntry, MeterProtocol, PowerSnapshot};
use qgdw1376_1::value::{A5, A7, A9, A25, Format, Quantity, Unit};
use serde_json::{Value as Json, json};

use super::DaemonHandler;
use crate::cli::hex;
use crate::concentrator::daemon::Request;
use crate::concentrator::json::{parse_value, time_str, unit_name};

/// The channel of terminal port `port`; `None` beyond the engine's channel table.
pub(super) fn channel_of_port(port: u8) -> Option<ChannelId> {
    (usize::from(port) < MAX_CHANNELS).then_some(ChannelId(port))
}

/// The baud rate of a transparent control byte: D7–D5 = 0 300, 1 600, 2 1200, 3 2400, 4 4800,
/// 5 7200, 6 9600, 7 19200 (the layout NUC and PEP use; its bits are unverified, notes §2.7
/// and §5). The master station's 0x6B is 2400 baud 8E1.
pub(super) fn forward_baud(control: u8) -> u32 {
    const BAUDS: [u32; 8] = [300, 600, 1200, 2400, 4800, 7200, 9600, 19200];
    BAUDS
        .get(usize::from(control >> 5))
        .copied()
        .unwrap_or(2400)
}

/// The reply wait of a forward, ms: D6–D0 a count, D7 its unit (1: seconds, 0: 10 ms; notes
/// §2.7 "D7 = unit"). A count of 0 would allow no answer at all: it waits one second.
pub(super) fn forward_timeout_ms(frame_timeout: u8) -> u64 {
    let n = u64::from(frame_timeout & 0x7F);
    match (n, frame_timeout & 0x80 != 0) {
        (0, _) => 1000,
        (n, true) => n * 1000,
        (n, false) => n * 10,
    }
}

fn hex6(j: &Json, k: &str) -> Option<[u8; 6]> {
    let b = crate::cli::hex_bytes(j.get(k)?.as_str()?).ok()?;
    <[u8; 6]>::try_from(b.as_slice()).ok()
}

fn byte(j: &Json, k: &str) -> Option<u8> {
    u8::try_from(j.get(k)?.as_u64()?).ok()
}

/// An AFN 04 F10 entry as the daemon stores it (every field, so 0A F10 answers what was
/// downloaded; byte arrays in wire order).
pub(super) fn entry_json(e: &MeterEntry) -> Json {
    json!({
        "serial": e.serial, "point": e.point, "port": e.port, "baud": e.baud,
        "protocol": e.protocol.to_byte(), "address": hex(&e.address),
        "password": hex(&e.password), "tariffs": e.tariffs, "digits": e.digits,
        "collector": hex(&e.collector), "class": e.class,
    })
}

/// The entry [`entry_json`] wrote.
pub(super) fn entry_of_json(j: &Json) -> Option<MeterEntry> {
    Some(MeterEntry {
        serial: u16::try_from(j.get("serial")?.as_u64()?).ok()?,
        point: u16::try_from(j.get("point")?.as_u64()?).ok()?,
        port: byte(j, "port")?,
        baud: byte(j, "baud")?,
        protocol: MeterProtocol::from_byte(byte(j, "protocol")?),
        address: hex6(j, "address")?,
        password: hex6(j, "password")?,
        tariffs: byte(j, "tariffs")?,
        digits: byte(j, "digits")?,
        collector: hex6(j, "collector")?,
        class: byte(j, "class")?,
    })
}

/// The meter of a stored entry text (`None`: not an entry, or one the engine does not read).
pub fn stored_meter(text: &str) -> Option<Meter> {
    let j: Json = serde_json::from_str(text).ok()?;
    meter_of_entry(&entry_of_json(&j)?)
}

/// A reading's exact value if it is a number in `unit` (the daemon's unit name).
pub(super) fn number(r: &Json, unit: &str) -> Option<Decimal> {
    match parse_value(r.get("value")?)? {
        Value::Number(d, u) if unit_name(u) == unit => Some(d),
        _ => None,
    }
}

/// `d` in `format`, exactly, or "no data".
fn quantity(d: Option<Decimal>, format: Format, unit: Unit) -> Option<Quantity> {
    decimal_to_quantity(d?, format, unit)
}

impl DaemonHandler {
    /// AFN 10 F1: the frame sent on the port's channel and the reply frame (empty when the
    /// meter did not answer: length 0 is "no answer", as in the 1376.2 AFN 13 F1 reply the
    /// notes §1.10 describe). `None` when the daemon refused it (no such channel, a forward
    /// already waiting there).
    pub(super) fn forward(
        &mut self,
        port: u8,
        control: u8,
        frame_timeout: u8,
        frame: &[u8],
    ) -> Option<Vec<u8>> {
        let channel = channel_of_port(port)?;
        let a = self
            .ask_ok(Request::Forward {
                channel,
                frame: frame.to_vec(),
                baud: Some(forward_baud(control)),
                timeout_ms: forward_timeout_ms(frame_timeout),
            })
            .map_err(|e| (self.log)(&format!("uplink: forward on port {port} refused: {e}")))
            .ok()?;
        crate::cli::hex_bytes(a.get("reply")?.as_str()?).ok()
    }

    /// AFN 04 F10, one entry: into the engine's archive and the store; `false` (logged) when
    /// refused.
    pub(super) fn set_archive(&mut self, meter: Option<Meter>, entry: &MeterEntry) -> bool {
        let r = self.ask_ok(Request::SetArchive {
            serial: entry.serial,
            point: entry.point,
            meter,
            entry: entry_json(entry).to_string(),
        });
        if let Err(why) = &r {
            (self.log)(&format!(
                "uplink: archive entry {} (point {}) refused: {why}",
                entry.serial, entry.point
            ));
        }
        r.is_ok()
    }

    /// AFN 0A F10, one serial: the entry the master downloaded.
    pub(super) fn query_archive(&mut self, serial: u16) -> Option<MeterEntry> {
        let a = self.ask(Request::QueryArchive { serial })?;
        let text = a.get("entry")?.as_str()?;
        entry_of_json(&serde_json::from_str(text).ok()?)
    }

    /// AFN 05 F31: the concentrator's clock.
    pub(super) fn set_clock(&mut self, to: DateTime) -> bool {
        let ok = self.ask_ok(Request::SetClock(to)).is_ok();
        if !ok {
            (self.log)(&format!("uplink: clock set to {} failed", time_str(to)));
        }
        ok
    }

    /// AFN 05 F49 / F50: pause or resume the port's scheduled reading.
    pub(super) fn pause(&mut self, port: u8, paused: bool) -> bool {
        let Some(channel) = channel_of_port(port) else {
            (self.log)(&format!("uplink: port {port} has no channel"));
            return false;
        };
        let ok = self.ask_ok(Request::Pause { channel, paused }).is_ok();
        if !ok {
            (self.log)(&format!("uplink: port {port} is not a configured channel"));
        }
        ok
    }

    /// AFN 0C F25 of a meter from its instantaneous registers (DL/T 645 02030000 total active
    /// power, 02060000 total power factor, 0201FF00 / 0202FF00 phase voltages and currents),
    /// each exact in its 1376.1 format; what the meter does not answer, or a format cannot
    /// hold exactly, is "no data" (EE), as are reactive and apparent power and the
    /// zero-sequence current, which the core does not read. `None` when nothing answered.
    pub(super) fn power(&self, meter: u16) -> Option<PowerSnapshot> {
        let first = |item: Item, unit: &str| {
            self.readings(meter, item)
                .first()
                .and_then(|r| number(r, unit))
        };
        let phases = |item: Item, unit: &str| {
            let rs = self.readings(meter, item);
            let part = |p: u64| {
                rs.iter()
                    .find(|r| r.get("part").and_then(Json::as_u64) == Some(p))
                    .and_then(|r| number(r, unit))
            };
            [part(0), part(1), part(2)]
        };
        let active = first(Item::ActivePower, "kW");
        // DL/T 645 keeps the factor as 0.950; A.5 is per cent: the same digits, 10^2 up.
        let pf = first(Item::PowerFactor, "").map(|d| Decimal::new(d.mantissa, d.exponent + 2));
        let volts = phases(Item::Voltage(Phase::All), "V");
        let amps = phases(Item::Current(Phase::All), "A");
        if active.is_none() && pf.is_none() && volts.iter().chain(&amps).all(Option::is_none) {
            return None;
        }
        Some(PowerSnapshot {
            time: minute_time_of(self.now()),
            active: [quantity(active, A9, Unit::KiloWatt), None, None, None],
            reactive: [None; 4],
            power_factor: [quantity(pf, A5, Unit::Percent), None, None, None],
            voltage: volts.map(|v| quantity(v, A7, Unit::Volt)),
            current: amps.map(|a| quantity(a, A25, Unit::Ampere)),
            zero_current: None,
            apparent: [None; 4],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_byte_and_timeout_of_the_master_stations_forward() {
        // examples::master_station sends control 0x6B and frame timeout 0x80 | 10.
        assert_eq!(forward_baud(0x6B), 2400);
        assert_eq!(forward_baud(0xCB), 9600);
        assert_eq!(forward_baud(0x0B), 300);
        assert_eq!(forward_timeout_ms(0x80 | 10), 10_000);
        assert_eq!(forward_timeout_ms(50), 500);
        assert_eq!(forward_timeout_ms(0x80), 1000);
        assert_eq!(channel_of_port(2), Some(ChannelId(2)));
        assert_eq!(channel_of_port(31), None);
    }

    #[test]
    fn stored_entries_round_trip_and_give_the_core_meter() {
        let e = MeterEntry {
            serial: 3,
            point: 7,
            port: 1,
            baud: 2,
            protocol: MeterProtocol::Dlt645_1997,
            address: [0x01, 0x02, 0x03, 0x04, 0x05, 0x06],
            password: [0x11, 0x22, 0x33, 0x44, 0x55, 0x66],
            tariffs: 2,
            digits: 0b0110,
            collector: [9, 8, 7, 6, 5, 4],
            class: 0x12,
        };
        let text = entry_json(&e).to_string();
        assert_eq!(
            entry_of_json(&serde_json::from_str(&text).unwrap()),
            Some(e)
        );
        let m = stored_meter(&text).unwrap();
        assert_eq!(
            (m.archive_no, m.channel, m.baud),
            (7, ChannelId(1), Some(1200))
        );
        assert_eq!(stored_meter("{}"), None);
        let ac = MeterEntry {
            protocol: MeterProtocol::AcSampling,
            ..e
        };
        assert_eq!(stored_meter(&entry_json(&ac).to_string()), None);
    }
}
