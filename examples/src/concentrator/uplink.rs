//! The Q/GDW 1376.1 uplink of the daemon: [`UplinkClient`] on its own thread, with a handler
//! that maps the master's requests to daemon commands through `qgdw1376_1::core_map::plan`,
//! runs them on the engine's command queue, waits for their results and answers.
//!
//! Executed here:
//! - 0C F2: the concentrator's clock (the engine's wall clock, as 05 F31 last set it);
//! - 0C F129 and F33: real-time forward active energy, total and tariffs 1–4, each a
//!   `read_now` of the meter (an item the meter does not answer is "no data", EE);
//! - 0C F25: the meter's instantaneous total active power, total power factor, phase voltages
//!   and currents, exact in A.9 / A.5 / A.7 / A.25 (reactive and apparent power and the
//!   zero-sequence current, which the core does not read, are EE);
//! - 0D F161 / F177: the daily freeze / monthly settlement the label names, read from the
//!   meter's own frozen registers;
//! - 05 F1/F2: trip / allow close with the meter's archived password;
//! - 05 F31: set the concentrator's clock (an adjustment over the system clock, kept in the
//!   store, logged and audited);
//! - 05 F49 / F50: pause / resume scheduled reading on a port (real-time commands still run);
//! - 04 F10: archive entries become meters (`core_map::meter_of_entry`; an entry the engine
//!   does not read removes its point), kept in the store with the entry as received and
//!   loaded again after the config's meters at start; a refused entry is denied and logged;
//! - 0A F10: the stored entries of the serials asked for (denied when none is known);
//! - 10 F1: the frame sent as is on the port's channel (`Concentrator::forward`: ahead of
//!   scheduled work, one transaction per bus, baud from the control byte, wait from the
//!   frame timeout byte; on the carrier channel a DL/T 645 frame read by the module at its
//!   address) and the meter's reply frame answered; an empty frame when nothing came back
//!   (length 0 = no answer, as the 1376.2 AFN 13 F1 reply, notes §1.10);
//! - 0E F1 / F2: event records from the store (`events.rs`);
//! - 05 F29 / F37: allow / forbid active event reports (the reports themselves go out through
//!   `UplinkHandler::poll_report`, with ACD/EC on replies while important events wait);
//! - 04 / 0A F1 and F9: uplink communication parameters and event record configuration,
//!   persisted and applied (`params.rs`).
//!
//! Terminal port `p` is the daemon's channel `p` (as `meter_of_entry` places a downloaded
//! meter). The session has already checked the address, repeats, the time
//! label (the handler gives it the calendar time, `wall_clock`) and the PW field (AFNs 04,
//! 05 and 10 carry it; a wrong PW is denied with 00 F2 before anything runs). Anything else
//! planned is denied with AFN 00 F2.

use std::net::ToSocketAddrs;
use std::sync::mpsc::{self, Sender};
use std::thread::{self, JoinHandle};

use concentrator_core::{DateTime, Item, SwitchAction};
use qgdw1376_1::core_map::{Command, decimal_to_quantity, minute_time_of, plan, terminal_clock};
use qgdw1376_1::session::{Answer, Config as SessionConfig, Duration, Event, Reply};
use qgdw1376_1::unit::{Data, Energies, ForwardActive, ForwardReply, List, Values};
use qgdw1376_1::value::{A11, A14, Date, Month, Quantity, Unit};
use qgdw1376_1::{Address, Afn, Da, Dt, FrameRepr};
use serde_json::Value as Json;

use crate::concentrator::config::MasterLink;
use crate::concentrator::daemon::{Msg, Request, SystemClock};
use crate::concentrator::events::{ErcLog, EventsLink};
use crate::concentrator::json::parse_time;
use crate::concentrator::params::{self, DEFAULT_TIMEOUT_S, ParamError};
use crate::uplink_client::{ClientConfig, LinkTiming, StopHandle, UplinkClient, UplinkHandler};

mod ops;

pub use ops::stored_meter;

/// Who the daemon's audit log names for requests from the master station.
const WHO: &str = "master-station";

/// Runs the master's requests on the daemon.
pub struct DaemonHandler {
    events: EventsLink,
    tx: Sender<Msg>,
    /// The engine's wall clock (sharing the adjustment 05 F31 sets).
    clock: SystemClock,
    /// The configured heartbeat, seconds (kept while F1 is the default).
    heartbeat_s: u16,
    log: Box<dyn FnMut(&str) + Send>,
}

impl DaemonHandler {
    /// A handler sending commands to the engine queue `tx`; `clock` (the daemon's) gives the
    /// local calendar the frozen labels and switch deadlines count in.
    pub fn new(tx: Sender<Msg>, clock: SystemClock, log: Box<dyn FnMut(&str) + Send>) -> Self {
        Self {
            events: EventsLink::new(tx.clone()),
            tx,
            clock,
            heartbeat_s: 15 * 60,
            log,
        }
    }

    /// The configured heartbeat (`[uplink] heartbeat_s`) for 0A F1 before the master sets
    /// 04 F1, and for the session until then.
    pub fn with_heartbeat_s(mut self, heartbeat_s: u16) -> Self {
        self.heartbeat_s = heartbeat_s;
        self
    }

    /// The F1 in force: as the master set it (kept by the event log, `true`), else the
    /// defaults of the configured heartbeat.
    fn comm(&mut self) -> Option<(qgdw1376_1::unit::CommParams, bool)> {
        let stored = self.events.log()?.lock().ok()?.comm_params();
        Some(stored.map_or_else(
            || (params::default_comm(self.heartbeat_s), false),
            |p| (p, true),
        ))
    }

    /// Sets parameter 04 F`f` in the event log with `set` (stored and audited there, at the
    /// concentrator's time); `false` when there is no event log or (logged) it refuses.
    fn set_param(
        &mut self,
        f: u16,
        set: impl FnOnce(&mut ErcLog, DateTime) -> Result<(), ParamError>,
    ) -> bool {
        let Some(log) = self.events.log() else {
            return false;
        };
        let at = self.now();
        let r = log
            .lock()
            .map_err(|_| "event log lock poisoned".to_string())
            .and_then(|mut l| set(&mut l, at).map_err(|e| e.to_string()));
        if let Err(e) = r {
            (self.log)(&format!("uplink: 04 F{f} not taken: {e}"));
            return false;
        }
        true
    }

    /// The concentrator's calendar time: the engine's wall clock (which a master's time set,
    /// 05 F31, adjusts), read here without asking the engine.
    fn now(&self) -> DateTime {
        self.clock.wall()
    }

    /// Ask the engine and wait for the final answer (`None`: the daemon stopped).
    fn ask(&self, req: Request) -> Option<Json> {
        let (reply, answers) = mpsc::channel();
        self.tx
            .send(Msg::Request {
                req,
                who: WHO.to_string(),
                reply,
            })
            .ok()?;
        answers
            .into_iter()
            .find(|a| a.get("final").and_then(Json::as_bool) == Some(true))
    }

    /// Ask the engine and take an answer that is ok; else the daemon's error (or that it
    /// stopped).
    fn ask_ok(&self, req: Request) -> Result<Json, String> {
        let a = self.ask(req).ok_or("daemon stopped")?;
        if a.get("ok").and_then(Json::as_bool) == Some(true) {
            Ok(a)
        } else {
            Err(a
                .get("error")
                .and_then(Json::as_str)
                .unwrap_or("?")
                .to_string())
        }
    }

    /// The good readings of a real-time read of `item` (empty when it failed).
    fn readings(&self, meter: u16, item: Item) -> Vec<Json> {
        let Ok(a) = self.ask_ok(Request::Read { meter, item }) else {
            return Vec::new();
        };
        a.get("readings")
            .and_then(Json::as_array)
            .map(|rs| {
                rs.iter()
                    .filter(|r| r.get("quality").and_then(Json::as_str) == Some("good"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The value of a real-time read, exactly: `None` when the read failed or is not a
    /// number in kWh the A.14 format holds.
    fn read(&self, meter: u16, item: Item) -> Option<Quantity> {
        self.readings(meter, item).first().and_then(energy)
    }

    /// A frozen read: total and tariffs 1–4 by part (a settlement has the total only), and
    /// the meter's freeze time.
    fn frozen(&self, meter: u16, item: Item) -> (Vec<Option<Quantity>>, Option<DateTime>) {
        let rs = self.readings(meter, item);
        let part = |p: u64| {
            rs.iter()
                .find(|r| r.get("part").and_then(Json::as_u64) == Some(p))
                .and_then(energy)
        };
        let time = rs
            .first()
            .and_then(|r| r.get("meter_time")?.as_str().and_then(parse_time));
        ((0..=4).map(part).collect(), time)
    }

    /// Switch a relay; `true` when the meter confirmed.
    fn switch(&self, meter: u16, action: SwitchAction) -> bool {
        self.ask_ok(Request::Switch { meter, action })
            .is_ok_and(|a| a.pointer("/result/outcome").and_then(Json::as_str) == Some("done"))
    }
}

/// A reading's value as an exact A.14 kWh quantity.
fn energy(r: &Json) -> Option<Quantity> {
    decimal_to_quantity(ops::number(r, "kWh")?, A14, Unit::KiloWattHour)
}

/// Year of the century of a label (the core keeps 20YY).
fn century_year(t: DateTime) -> Option<u8> {
    t.year()
        .checked_sub(2000)
        .and_then(|y| u8::try_from(y).ok())
}

impl UplinkHandler for DaemonHandler {
    fn request(&mut self, request: &FrameRepr<'_>, reply: &mut Reply<'_>) -> Answer {
        let mut planned = Vec::new();
        if let Err(e) = plan(request, self.now(), |p| planned.push(p)) {
            (self.log)(&format!("uplink: request denied: {e}"));
            return Answer::Deny;
        }
        if planned.is_empty() {
            return Answer::Deny;
        }
        let mut data = false;
        // 0A F10: the entries found, answered together in one unit after the loop.
        let mut queried = None;
        let mut entries = Vec::new();
        for p in planned {
            let (Some(da), Some(dt)) = (Da::point(p.pn), Dt::function(p.fn_number)) else {
                return Answer::Deny;
            };
            match (request.afn, p.fn_number, p.command) {
                (Afn::Class1, 2, Command::TerminalClock) => {
                    let unit = [Data::Clock(terminal_clock(self.now()))];
                    if reply.push(da, dt, &unit).is_err() {
                        return Answer::Deny;
                    }
                    data = true;
                }
                (Afn::Class2, 161 | 177, Command::Frozen { meter, item, label }) => {
                    let (values, time) = self.frozen(meter, item);
                    if values.first().is_none_or(Option::is_none) {
                        (self.log)(&format!("uplink: meter {meter} has no {item:?}"));
                        return Answer::Deny;
                    }
                    let Some(year) = century_year(label) else {
                        return Answer::Deny;
                    };
                    let fa = ForwardActive {
                        time: time.and_then(minute_time_of),
                        values: Values::new(A14, Unit::KiloWattHour, &values),
                    };
                    let unit = [if p.fn_number == 161 {
                        Data::DailyFrozen(
                            Date {
                                year,
                                month: label.month(),
                                day: label.day(),
                            },
                            fa,
                        )
                    } else {
                        Data::MonthlyFrozen(
                            Month {
                                year,
                                month: label.month(),
                            },
                            fa,
                        )
                    }];
                    if reply.push(da, dt, &unit).is_err() {
                        return Answer::Deny;
                    }
                    data = true;
                }
                (Afn::Class1, f @ (33 | 129), Command::Read { meter, items }) => {
                    let values: Vec<Option<Quantity>> =
                        items.iter().map(|&i| self.read(meter, i)).collect();
                    if values.first().is_none_or(Option::is_none) {
                        (self.log)(&format!("uplink: meter {meter} did not answer F{f}"));
                        return Answer::Deny;
                    }
                    let time = minute_time_of(self.now());
                    let forward_active = Values::new(A14, Unit::KiloWattHour, &values);
                    // F33 also carries reactive energies (A.11); the archive's DL/T 645 reads
                    // do not include them: "no data" (EE), as many as the active tariffs.
                    let none = vec![None; values.len()];
                    let reactive = Values::new(A11, Unit::KiloVarHour, &none);
                    let unit = [if f == 33 {
                        Data::Energies(Energies {
                            time,
                            forward_active,
                            forward_reactive: reactive,
                            reactive_q1: reactive,
                            reactive_q4: reactive,
                        })
                    } else {
                        Data::ForwardActive(ForwardActive {
                            time,
                            values: forward_active,
                        })
                    }];
                    if reply.push(da, dt, &unit).is_err() {
                        return Answer::Deny;
                    }
                    data = true;
                }
                (Afn::Class3, _, Command::Events { important, pm, pn }) => {
                    if let Err(e) = self.events.answer(important, pm, pn, reply) {
                        (self.log)(&format!("uplink: events not answered: {e}"));
                        return Answer::Deny;
                    }
                    data = true;
                }
                (Afn::Class1, 25, Command::Read { meter, .. }) => {
                    let Some(snapshot) = self.power(meter) else {
                        (self.log)(&format!("uplink: meter {meter} did not answer F25"));
                        return Answer::Deny;
                    };
                    if reply.push(da, dt, &[Data::Power(snapshot)]).is_err() {
                        return Answer::Deny;
                    }
                    data = true;
                }
                (Afn::Control, _, Command::Reporting { allow }) => {
                    if let Err(e) = self.events.set_reporting(allow, self.now(), WHO) {
                        (self.log)(&format!("uplink: reporting not changed: {e}"));
                        return Answer::Deny;
                    }
                }
                (
                    Afn::Forward,
                    1,
                    Command::Forward {
                        port,
                        control,
                        frame_timeout,
                        frame,
                    },
                ) => {
                    let Some(answer) = self.forward(port, control, frame_timeout, frame) else {
                        return Answer::Deny;
                    };
                    let unit = [Data::ForwardReply(ForwardReply {
                        port,
                        frame: &answer,
                    })];
                    if reply.push(da, dt, &unit).is_err() {
                        return Answer::Deny;
                    }
                    data = true;
                }
                (Afn::SetParameters, 1, Command::SetCommParams(cp)) => {
                    if !self.set_param(1, |l, at| l.set_comm_params(cp, at, WHO)) {
                        return Answer::Deny;
                    }
                    (self.log)(&format!(
                        "uplink: 04 F1: heartbeat {} min, timeout {} s, {} retries, CON flags {:02X}",
                        cp.heartbeat,
                        cp.timeout,
                        cp.retries,
                        cp.confirm.bits()
                    ));
                }
                (Afn::SetParameters, 9, Command::SetEventConfig(c)) => {
                    if !self.set_param(9, |l, at| l.set_event_config(c, at, WHO)) {
                        return Answer::Deny;
                    }
                }
                (Afn::QueryParameters, f @ (1 | 9), Command::QueryParams) => {
                    let unit = if f == 1 {
                        self.comm().map(|(p, _)| Data::CommParams(p))
                    } else {
                        self.events.log().and_then(|l| {
                            l.lock().ok().map(|l| Data::EventConfig(l.event_config()))
                        })
                    };
                    let Some(unit) = unit else {
                        (self.log)(&format!("uplink: 0A F{f}: the event log is not available"));
                        return Answer::Deny;
                    };
                    if reply.push(da, dt, &[unit]).is_err() {
                        return Answer::Deny;
                    }
                    data = true;
                }
                (Afn::SetParameters, 10, Command::SetArchive { meter, entry, .. }) => {
                    if !self.set_archive(meter, &entry) {
                        return Answer::Deny;
                    }
                }
                (Afn::QueryParameters, 10, Command::QueryArchive { serial }) => {
                    match self.query_archive(serial) {
                        Some(e) => entries.push(e),
                        None => (self.log)(&format!("uplink: no archive entry {serial}")),
                    }
                    queried = Some((da, dt));
                }
                (Afn::Control, 31, Command::SetClock(to)) => {
                    if !self.set_clock(to) {
                        return Answer::Deny;
                    }
                }
                (Afn::Control, 49 | 50, Command::Port { port, pause }) => {
                    if !self.pause(port, pause) {
                        return Answer::Deny;
                    }
                }
                (Afn::Control, _, Command::Switch { meter, action, .. }) => {
                    if !self.switch(meter, action) {
                        (self.log)(&format!("uplink: meter {meter} switch {action:?} failed"));
                        return Answer::Deny;
                    }
                }
                (afn, f, _) => {
                    (self.log)(&format!(
                        "uplink: AFN {:#04x} F{f} not executed by this daemon",
                        afn.to_byte()
                    ));
                    return Answer::Deny;
                }
            }
        }
        if let Some((da, dt)) = queried {
            // None of the serials is known: nothing to answer with.
            if entries.is_empty() {
                return Answer::Deny;
            }
            if reply
                .push(da, dt, &[Data::Archive(List::Items(&entries))])
                .is_err()
            {
                return Answer::Deny;
            }
            data = true;
        }
        if data { Answer::Data } else { Answer::Done }
    }

    fn poll_report(&mut self) -> Option<(Vec<u8>, bool)> {
        self.events.poll_report()
    }

    fn event_counters(&mut self) -> Option<qgdw1376_1::Ec> {
        self.events.counters()
    }

    fn wall_clock(&mut self) -> Option<qgdw1376_1::value::DateTime> {
        terminal_clock(self.now())
    }

    fn link_timing(&mut self) -> Option<LinkTiming> {
        let (p, set) = self.comm()?;
        // The configured period until the master sets F1 (it may be below a minute).
        let heartbeat = if set {
            Duration::minutes(u64::from(p.heartbeat))
        } else {
            Duration::secs(u64::from(self.heartbeat_s))
        };
        let timeout = if p.timeout == 0 {
            DEFAULT_TIMEOUT_S
        } else {
            p.timeout
        };
        Some(LinkTiming {
            heartbeat,
            confirm_timeout: Duration::secs(u64::from(timeout)),
            login_attempts: p.retries + 1,
        })
    }

    fn event(&mut self, event: &Event) {
        if let Some(line) = self.events.on_session_event(event) {
            (self.log)(&format!("uplink: {line}"));
        }
        // The audit of denials (wrong PW, 00 F2) and the link's life go to the daemon's log.
        match event {
            Event::Connect | Event::HeartbeatMissed { missed: 1 } => {}
            e => (self.log)(&format!("uplink: {e:?}")),
        }
    }

    fn link_error(&mut self, reason: &str) {
        (self.log)(&format!("uplink: link failed: {reason}"));
    }
}

/// The running uplink thread.
pub struct Running {
    stop: StopHandle,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// Stop the client and wait for its thread.
    pub fn stop(mut self) {
        self.stop.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Start the uplink of `link` on its own thread, sending commands to `tx`.
pub fn spawn(
    link: &MasterLink,
    tx: Sender<Msg>,
    clock: SystemClock,
    mut log: Box<dyn FnMut(&str) + Send>,
) -> Result<Running, String> {
    let master = link
        .master
        .to_socket_addrs()
        .map_err(|e| format!("uplink: master {}: {e}", link.master))?
        .next()
        .ok_or_else(|| format!("uplink: master {} has no address", link.master))?;
    let mut session = SessionConfig::new(Address {
        area: link.area,
        terminal: link.terminal,
        master: 0,
        group: false,
    });
    session.heartbeat = Duration::secs(u64::from(link.heartbeat_s));
    let mut client = UplinkClient::new(ClientConfig::new(master, session, link.key));
    if let Some(tls) = &link.tls {
        client = client.with_tls(tls.client().map_err(|e| format!("uplink: {e}"))?);
    }
    let stop = client.stop_handle();
    log(&format!(
        "uplink: terminal {:04X}:{:04X} to master station {master}{}",
        link.area,
        link.terminal,
        link.tls.as_ref().map_or(String::new(), |t| format!(
            " over TLS (server name {})",
            t.server_name
        ))
    ));
    let mut handler = DaemonHandler::new(tx, clock, log).with_heartbeat_s(link.heartbeat_s);
    let thread = thread::Builder::new()
        .name("uplink".into())
        .spawn(move || {
            if let Err(e) = client.run(&mut handler) {
                (handler.log)(&format!("uplink stopped: {e}"));
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(Running {
        stop,
        thread: Some(thread),
    })
}
