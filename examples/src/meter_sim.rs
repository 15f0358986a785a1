//! A bus of simulated DL/T 645-2007 and -1997 meters.
//!
//! [`MeterSim::handle`] is pure: request bytes and the simulated time in, the reply bytes (with
//! wake-up bytes and the delay to wait before sending them) out. [`spawn_on_port`] and
//! [`spawn`] run it on a serial device in a thread, deframing with `rs485_link`.
//!
//! Each meter answers reads (energy that grows with its load, voltages, currents, powers,
//! power factor, frequency, clock, address, status words with the relay state, daily frozen
//! energy 0506xxNN, load curves 0610xxxx with follow-up frames 0x12), password-checked writes,
//! broadcast time, read/write address, the remote switch and the clear commands, and can be
//! given [`Fault`]s. Frames are built and parsed with the `dlt645` crate; values are written in
//! the formats of its catalogue.
//!
//! ```
//! use dlt645::{Address, Body, Di, Edition, Frame, Repr, Request};
//! use examples::meter_sim::{MeterConfig, MeterSim, SimConfig};
//! use rs485_link::Instant;
//!
//! let meter = Address::from_number(161).unwrap();
//! let mut sim = MeterSim::new(SimConfig::new(vec![MeterConfig::new(meter, Edition::V2007)]));
//! // Read forward active energy an hour into the simulation (2.2 kW from 1000 kWh).
//! let read = Repr::request(meter, Request::Read { di: Di(0x0001_0000) });
//! let mut req = [0u8; 16];
//! read.emit(&mut req).unwrap();
//! let reply = sim.handle(&req, Instant::from_ticks(3_600_000)).unwrap();
//! assert_eq!(&reply.bytes[..4], &[0xFE; 4]); // wake-up bytes, then the frame
//! let frame = Frame::new_checked(&reply.bytes[..]).unwrap();
//! let Body::Reply(r) = Repr::parse(&frame).unwrap().body else { panic!() };
//! assert_eq!(r.values().unwrap().next().unwrap().value.to_string(), "1002.20 kWh");
//! ```

mod carrier;
mod config;
mod encode;
mod meter;
mod port;

use dlt645::{
    Address, Body, Di, Edition, Err1997, Err2007, ErrorWord, Frame, Function, Payload, Reply, Repr,
    Request, SecurityError, SwitchError, catalogue, function_edition,
};
use rs485_link::{Duration, Instant};

pub use carrier::{SimClock, behind_carrier};
pub use config::{Fault, FaultParseError, MeterConfig, SimConfig};
pub use port::{SimHandle, spawn, spawn_on_port};

use meter::{Meter, Part};

/// What the bus sends back for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimReply {
    /// The meter that answered (the first one, when several collided).
    pub from: Address,
    /// How long after the end of the request the first byte goes out (turnaround plus any
    /// [`Fault::Late`]).
    pub delay: Duration,
    /// The bytes on the wire: wake-up bytes, then the frame (or the garble of several).
    pub bytes: Vec<u8>,
}

/// A bus of simulated meters.
#[derive(Debug, Clone)]
pub struct MeterSim {
    config: SimConfig,
    meters: Vec<Meter>,
    log: Vec<String>,
}

impl MeterSim {
    /// The meters of `config`, with simulated time 0 at `config.start_time_s`.
    pub fn new(config: SimConfig) -> Self {
        let meters = config
            .meters
            .iter()
            .map(|m| Meter::new(m.clone(), config.start_time_s))
            .collect();
        Self {
            config,
            meters,
            log: Vec::new(),
        }
    }

    /// The addresses of the meters, in configuration order.
    pub fn addresses(&self) -> Vec<Address> {
        self.meters.iter().map(|m| m.address).collect()
    }

    /// Is the relay of the meter at `address` open?
    pub fn relay_open(&self, address: Address) -> Option<bool> {
        self.meter(address).map(Meter::relay_open)
    }

    /// The clock of the meter at `address` at simulated `now`.
    pub fn clock(&self, address: Address, now: Instant) -> Option<concentrator_core::DateTime> {
        self.meter(address)
            .and_then(|m| concentrator_core::DateTime::from_seconds_since_2000(m.clock_s(ms(now))))
    }

    fn meter(&self, address: Address) -> Option<&Meter> {
        self.meters.iter().find(|m| m.address == address)
    }

    /// Log lines (one per request seen) since the last call.
    pub fn take_log(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }

    /// Answer `request` (one frame, wake-up bytes allowed) received at simulated `now`.
    ///
    /// `None` when nobody answers: a broken frame, a reply (our own echo), a request for
    /// another address, a broadcast, a silent meter. Several meters answering one wildcard
    /// request collide: the bytes are what an RS-485 line shows when two drivers talk at
    /// once (here: the frames ANDed together, as the line's dominant level wins), which no
    /// checksum survives.
    pub fn handle(&mut self, request: &[u8], now: Instant) -> Option<SimReply> {
        let frame = match Frame::new_checked(request) {
            Ok(f) => f,
            Err(e) => {
                self.log
                    .push(format!("ignored {} bytes: {e}", request.len()));
                return None;
            }
        };
        let repr = match Repr::parse(&frame) {
            Ok(r) => r,
            Err(e) => {
                self.log.push(format!("ignored frame: {e}"));
                return None;
            }
        };
        let Body::Request(req) = repr.body else {
            return None;
        };
        let to = repr.address;
        let function = req.function();
        let edition = function_edition(function);
        let now_ms = ms(now);
        let mut replies: Vec<SimReply> = Vec::new();
        for meter in &mut self.meters {
            if !addressed(&meter.address, &to) || edition.is_some_and(|e| e != meter.cfg.edition) {
                continue;
            }
            if let Request::BroadcastTime(t) = req {
                let ok = meter.broadcast_time(now_ms, t, self.config.broadcast_limit_s);
                self.log.push(format!(
                    "{} broadcast time {t}: {}",
                    meter.address,
                    if ok {
                        "clock set"
                    } else {
                        "refused (beyond the limit)"
                    }
                ));
                continue;
            }
            meter.requests = meter.requests.wrapping_add(1);
            let faults = meter.cfg.faults.clone();
            let skip = faults.iter().any(|f| match f {
                Fault::Silence => true,
                Fault::EveryNth(n) => meter.requests % n != 0,
                _ => false,
            });
            if skip {
                self.log.push(format!(
                    "{} {}: silent (fault)",
                    meter.address,
                    function.name()
                ));
                continue;
            }
            let (mut bytes, note) = if faults.contains(&Fault::ErrorReply) {
                let word = error_word(function);
                (
                    emit(Repr::error(meter.address, function, word)),
                    "error reply (fault)".to_string(),
                )
            } else {
                answer(meter, &req, now_ms)
            };
            if bytes.is_empty() {
                self.log
                    .push(format!("{} {}: {note}", meter.address, function.name()));
                continue;
            }
            if to.is_broadcast() {
                // Meters act on a broadcast (freeze, terminal output) but never answer it:
                // "Meters never answer a broadcast" (notes §1.3).
                self.log.push(format!(
                    "{} {}: {note} (broadcast: no reply)",
                    meter.address,
                    function.name()
                ));
                continue;
            }
            if faults.contains(&Fault::BadChecksum) {
                let cs = bytes.len().saturating_sub(2);
                if let Some(b) = bytes.get_mut(cs) {
                    *b = b.wrapping_add(1);
                }
            }
            let late = faults
                .iter()
                .find_map(|f| match f {
                    Fault::Late(d) => Some(*d),
                    _ => None,
                })
                .unwrap_or(Duration::millis(0));
            self.log
                .push(format!("{} {}: {note}", meter.address, function.name()));
            replies.push(SimReply {
                from: meter.address,
                delay: self.config.turnaround + late,
                bytes,
            });
        }
        let mut reply = replies.first()?.clone();
        if replies.len() > 1 {
            let len = replies.iter().map(|r| r.bytes.len()).max().unwrap_or(0);
            reply.bytes = (0..len)
                .map(|i| {
                    replies
                        .iter()
                        .map(|r| r.bytes.get(i).copied().unwrap_or(0xFF))
                        .fold(0xFF, |a, b| a & b)
                })
                .collect();
            reply.delay = replies.iter().map(|r| r.delay).max().unwrap_or(reply.delay);
            self.log.push(format!(
                "collision: {} meters answered at once",
                replies.len()
            ));
        }
        let mut wire = vec![dlt645::WAKE_UP; self.config.wake_up];
        wire.append(&mut reply.bytes);
        reply.bytes = wire;
        Some(reply)
    }
}

/// Simulated milliseconds since the start.
fn ms(now: Instant) -> i64 {
    i64::try_from(now.ticks()).unwrap_or(i64::MAX)
}

/// Does a request to `to` reach the meter at `own`? Broadcast reaches everyone (the codec has
/// already refused it for functions that may not use it); an `A` nibble matches any digit
/// (the all-AA wildcard and partial wildcards such as `AAAAAAAAA123`, notes §1.3).
fn addressed(own: &Address, to: &Address) -> bool {
    if to.is_broadcast() {
        return true;
    }
    own.0.iter().zip(to.0.iter()).all(|(o, t)| {
        let hi = t >> 4 == 0xA || t >> 4 == o >> 4;
        let lo = t & 0x0F == 0xA || t & 0x0F == o & 0x0F;
        hi && lo
    })
}

/// The "other error" word of a function's kind.
fn error_word(f: Function) -> ErrorWord {
    match (f, function_edition(f)) {
        (Function::Security, _) => ErrorWord::Security(SecurityError::OTHER),
        (_, Some(Edition::V1997)) => ErrorWord::V1997(Err1997::ILLEGAL_DATA),
        _ => ErrorWord::V2007(Err2007::OTHER),
    }
}

/// Emit a reply frame (the builders refuse nothing we build; an empty vector if they did).
fn emit(repr: Repr<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; repr.buffer_len()];
    match repr.emit(&mut buf) {
        Ok(n) => {
            buf.truncate(n);
            buf
        }
        Err(_) => Vec::new(),
    }
}

/// Up to four decoded items of a 2007 read reply, for the log.
fn describe(di: Di, data: &[u8], continuation: bool) -> String {
    let items: Vec<String> = catalogue::decode(di, Payload::Plain(data), continuation)
        .take(4)
        .map(|i| i.value.to_string())
        .collect();
    let more = if catalogue::decode(di, Payload::Plain(data), continuation).count() > 4 {
        ", ..."
    } else {
        ""
    };
    format!("{}{more}", items.join(", "))
}

/// One meter's answer to `req` (its reply frame, or nothing) and a note for the log.
fn answer(m: &mut Meter, req: &Request<'_>, now: i64) -> (Vec<u8>, String) {
    let a = m.address;
    let f = req.function();
    let err07 = |w: Err2007| {
        (
            emit(Repr::error(a, f, ErrorWord::V2007(w))),
            format!("error {:02X}", w.bits()),
        )
    };
    let err97 = |w: Err1997| {
        (
            emit(Repr::error(a, f, ErrorWord::V1997(w))),
            format!("error {:02X}", w.bits()),
        )
    };
    let ack = |note: String| (emit(Repr::reply(a, Reply::Ack(f))), note);
    let read_part = |di: Di, part: Part, seq: Option<u8>| {
        let data = Payload::Plain(&part.data);
        let reply = match seq {
            None => Reply::Read { di, data },
            Some(seq) => Reply::ReadFollow { di, data, seq },
        };
        let repr = Repr {
            follow: part.follow,
            ..Repr::reply(a, reply)
        };
        let what = describe(di, &part.data, seq.is_some());
        let more = if part.follow { " (more follow)" } else { "" };
        (emit(repr), format!("{di:08X} -> {what}{more}", di = di.0))
    };
    match *req {
        Request::Read { di } => match m.read(di, now) {
            Ok(data) => read_part(
                di,
                Part {
                    data,
                    follow: false,
                },
                None,
            ),
            Err(e) => err07(e),
        },
        Request::ReadFrom { di, count, start } => {
            let t = concentrator_core::DateTime::new(
                start.year,
                start.month,
                start.day,
                start.hour,
                start.minute,
                0,
            );
            match t {
                Ok(t) => match m.start_curve(di, count, Some(t.seconds_since_2000()), now) {
                    Ok(p) => read_part(di, p, None),
                    Err(e) => err07(e),
                },
                Err(_) => err07(Err2007::OTHER),
            }
        }
        Request::ReadBlocks { di, count } => match m.start_curve(di, count, None, now) {
            Ok(p) => read_part(di, p, None),
            Err(e) => err07(e),
        },
        Request::ReadFollow { di, seq } => match m.follow_up(di, seq) {
            Ok(p) => read_part(di, p, Some(seq)),
            Err(e) => err07(e),
        },
        Request::ReadAddress => (
            emit(Repr::reply(a, Reply::Address(a))),
            format!("address {a}"),
        ),
        Request::Write {
            di, password, data, ..
        } => match m.write(di, password, data, now) {
            Ok(()) => ack(format!("wrote {:08X}", di.0)),
            Err(e) => err07(e),
        },
        Request::WriteAddress(new) | Request::WriteAddress97(new) => {
            m.address = new;
            (
                emit(Repr::reply(new, Reply::Ack(f))),
                format!("address now {new}"),
            )
        }
        Request::Freeze(_) => ack("frozen".into()),
        Request::ChangeBaud(_) => err07(Err2007::BAUD_FIXED),
        Request::ChangePassword { old, new, .. } => {
            if m.check_password(old) {
                m.set_password(new);
                (
                    emit(Repr::reply(a, Reply::Password(new))),
                    "password changed".into(),
                )
            } else {
                err07(Err2007::UNAUTHORISED)
            }
        }
        Request::ClearDemand { password, .. } | Request::ClearEvents { password, .. } => {
            if m.check_password(password) {
                ack("cleared".into())
            } else {
                err07(Err2007::UNAUTHORISED)
            }
        }
        Request::ClearMeter { password, .. } => {
            if m.check_password(password) {
                m.clear_energy(now);
                ack("meter cleared".into())
            } else {
                err07(Err2007::UNAUTHORISED)
            }
        }
        Request::Switch {
            password,
            action,
            valid_until,
            ..
        } => match m.switch(now, password, action, valid_until) {
            Ok(()) => ack(format!(
                "switch {}: relay {}",
                action.name(),
                if m.relay_open() { "open" } else { "closed" }
            )),
            Err(e) => (
                emit(Repr::error(a, f, ErrorWord::Switch(e))),
                format!("switch {} refused: {:04X}", action.name(), e.bits()),
            ),
        },
        // The ciphertext needs the ESAM's keys, which a simulator does not have.
        Request::SwitchEsam { .. } => (
            emit(Repr::error(a, f, ErrorWord::Switch(SwitchError::MAC))),
            "ESAM switch refused (no keys)".into(),
        ),
        Request::Security { .. } => (
            emit(Repr::error(
                a,
                f,
                ErrorWord::Security(SecurityError::ESAM_FAILED),
            )),
            "security refused (no ESAM)".into(),
        ),
        Request::TerminalOutput(mode) => (
            emit(Repr::reply(a, Reply::Output(mode))),
            format!("output mode {}", mode.code()),
        ),
        Request::Read97 { di } | Request::ReRead97 { di } => match m.read97(di, now) {
            Ok(data) => {
                let reply = if matches!(req, Request::Read97 { .. }) {
                    Reply::Read97 {
                        di,
                        data: Payload::Plain(&data),
                    }
                } else {
                    Reply::ReRead97 {
                        di,
                        data: Payload::Plain(&data),
                    }
                };
                let what: Vec<String> = catalogue::decode97(di, Payload::Plain(&data))
                    .take(4)
                    .map(|i| i.value.to_string())
                    .collect();
                (
                    emit(Repr::reply(a, reply)),
                    format!("{:04X} -> {}", di.0, what.join(", ")),
                )
            }
            Err(e) => err97(e),
        },
        // 1997 meters keep no follow-up data here.
        Request::ReadFollow97 { .. } => err97(Err1997::BAD_DI),
        Request::Write97 { di, password, data } => match m.write97(di, password, data, now) {
            Ok(()) => ack(format!("wrote {:04X}", di.0)),
            Err(e) => err97(e),
        },
        Request::ChangeBaud97(_) => err97(Err1997::ILLEGAL_DATA),
        Request::ChangePassword97 { old, new } => {
            if m.check_password(old) {
                m.set_password(new);
                ack("password changed".into())
            } else {
                err97(Err1997::UNAUTHORISED)
            }
        }
        Request::ClearDemand97 { password } => {
            if m.check_password(password) {
                ack("cleared".into())
            } else {
                err97(Err1997::UNAUTHORISED)
            }
        }
        Request::BroadcastTime(_) => (Vec::new(), "broadcast".into()),
        _ => (Vec::new(), "not supported: no answer".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_digits_match_any_digit() {
        let own: Address = "000000000123".parse().unwrap();
        assert!(addressed(&own, &own));
        assert!(addressed(&own, &Address::WILDCARD));
        assert!(addressed(&own, &"AAAAAAAAA123".parse().unwrap()));
        assert!(!addressed(&own, &"AAAAAAAAA124".parse().unwrap()));
        assert!(!addressed(&own, &"000000000124".parse().unwrap()));
        assert!(addressed(&own, &Address::BROADCAST));
    }
}
