//! The carrier channel: the engine drives the `qgdw1376-2` module session, hands it DL/T 645
//! requests (AFN 13 F1 reads, AFN 05 F3 broadcasts) and takes the meters' replies from it.

use qgdw1376_2::Address as PlcAddress;
use qgdw1376_2::session::{Event as SessionEvent, Op, Session};
use qgdw1376_2::unit::protocol::Protocol as PlcProtocol;
use qgdw1376_2::unit::query::DelaySupport;
use qgdw1376_2::unit::report::RouteStatus;

use super::round::round_item;
use super::{Asked, Concentrator, Job, Round, Transmit, TxnState, Work, add_ms, request_of};
use crate::archive::MeterAddress;
use crate::channel::ChannelId;
use crate::event::{Alarm, Event, EventKind, Outcome, Task};
use crate::item::Protocol;
use crate::mapping::{Decoded, Next, Reply};
use crate::store::Store;
use crate::time::{Instant, WallClock};

impl<S: Store, W: WallClock, const N: usize> Concentrator<S, W, N> {
    // ----- the carrier channel -------------------------------------------------------------

    /// Runs `f` on the module session (created on first use, with the archive synchronised),
    /// then takes the session's events.
    pub(super) fn drive_carrier(&mut self, now: Instant, f: impl FnOnce(&mut Session<N>, Instant)) {
        let Some(c) = self.carrier.as_mut() else {
            return;
        };
        let ci = c.channel;
        let session = c.session.get_or_insert_with(|| Session::new(c.config, now));
        if c.archive_dirty {
            c.archive_dirty = false;
            let nodes = self.archive.iter().filter_map(|m| {
                let protocol = match m.protocol {
                    Protocol::Dlt645_2007 => PlcProtocol::Dlt645_2007,
                    Protocol::Dlt645_1997 => PlcProtocol::Dlt645_1997,
                    Protocol::MbusPrimary | Protocol::MbusSecondary => return None,
                };
                match m.address {
                    MeterAddress::Dlt645(a) if usize::from(m.channel.0) == ci => {
                        Some((PlcAddress(a), protocol))
                    }
                    _ => None,
                }
            });
            if session.set_archive(nodes, now).is_err() {
                // More carrier meters than the session holds: try again at the next input.
                c.archive_dirty = true;
            }
        }
        f(session, now);
        self.carrier_events(now);
        self.refresh_timer(ci, now);
    }

    fn carrier_events(&mut self, now: Instant) {
        loop {
            let Some(c) = self.carrier.as_mut() else {
                return;
            };
            let ci = c.channel;
            let Some(ev) = c.session.as_mut().and_then(Session::poll_event) else {
                return;
            };
            match ev {
                SessionEvent::ReadDone { id, frame, .. } if c.read == Some(id) => {
                    c.read = None;
                    self.carrier_reply(ci, &frame, now);
                }
                SessionEvent::ReadFailed { id, .. } if c.read == Some(id) => {
                    // Denied, timed out, or the meter did not answer the module: one failed
                    // try, retried with back-off like a silent RS-485 meter.
                    c.read = None;
                    self.try_failed(ci, now);
                }
                // The module confirmed the broadcast and needs `wait_s` to send it to every
                // node; the channel stays with the broadcast until then.
                SessionEvent::Done(Op::Broadcast { wait_s }) => {
                    if let Some(ch) = self.channels.get_mut(ci).and_then(Option::as_mut)
                        && let Some(txn) = ch.txn.as_mut()
                        && matches!(txn.state, TxnState::Broadcasting { .. })
                    {
                        txn.state = TxnState::Broadcasting {
                            until: now.ticks().saturating_add(u64::from(wait_s) * 1000),
                        };
                    }
                }
                // The module's transmission delay for the time broadcast (AFN 03 F9): the
                // time goes out shifted by it, so the meters set the time it is on arrival.
                SessionEvent::BroadcastDelay { delay_s } if c.delay_query => {
                    c.delay_query = false;
                    let _ = self.broadcast_time(ci, delay_s, now);
                }
                // The module could not say (denied, or no answer in time): broadcast the
                // time uncorrected rather than not at all.
                SessionEvent::Failed {
                    op: Op::BroadcastDelay,
                    ..
                } if c.delay_query => {
                    c.delay_query = false;
                    let _ = self.broadcast_time(ci, 0, now);
                }
                SessionEvent::Failed {
                    op: Op::Broadcast { .. },
                    ..
                } if self
                    .channels
                    .get(ci)
                    .and_then(Option::as_ref)
                    .and_then(|ch| ch.txn)
                    .is_some_and(|t| matches!(t.state, TxnState::Broadcasting { .. })) =>
                {
                    self.end_txn(ci, now);
                }
                SessionEvent::RouterAsks { meter, .. } => self.router_asks(ci, meter.0, now),
                SessionEvent::MeterData {
                    meter: Some(meter),
                    frame,
                    ..
                } => self.router_data(meter.0, &frame, now),
                SessionEvent::RouteStatus(RouteStatus::ReadingFinished) => {
                    self.router_finished(ci, now)
                }
                // The module is not in service (start-up failed, or it went silent or restarted
                // and start-up begins again): the work queued for it cannot be done now.
                SessionEvent::InitFailed { .. }
                | SessionEvent::ModuleLost
                | SessionEvent::ModuleRestarted => self.fail_queued_work(ci, now),
                // Archive synchronisation, reports and router-led requests are the session's
                // business; reads are concentrator-led.
                _ => {}
            }
        }
    }

    /// The carrier module's session, once created.
    fn carrier_session(&mut self) -> Option<&mut Session<N>> {
        self.carrier.as_mut()?.session.as_mut()
    }

    /// Hands the module the time broadcast (AFN 05 F3) with the time `delay_s` ahead of the
    /// wall clock (the module's AFN 03 F9 answer), if channel `ci` still holds the broadcast;
    /// `false` when it was not handed over (the broadcast transaction then ends).
    fn broadcast_time(&mut self, ci: usize, delay_s: u16, now: Instant) -> bool {
        let Some(ch) = self.channels.get_mut(ci).and_then(Option::as_mut) else {
            return false;
        };
        let line = ch.cfg.line;
        let Some(txn) = ch
            .txn
            .as_mut()
            .filter(|t| matches!(t.state, TxnState::Broadcasting { .. }))
        else {
            return false;
        };
        txn.state = TxnState::Broadcasting {
            until: add_ms(now, line.response_timeout),
        };
        let wall = self.clock.now(now);
        let at = wall.add_seconds(i64::from(delay_s)).unwrap_or(wall);
        let mut frame = [0u8; 32];
        let sent = crate::map_dlt645::broadcast_frame(at, &mut frame)
            .and_then(|n| frame.get(..n))
            .and_then(|f| {
                self.carrier_session()?
                    .broadcast(PlcProtocol::Dlt645_2007, f, now)
                    .ok()
            });
        if sent.is_none() {
            self.end_txn(ci, now);
            return false;
        }
        self.refresh_timer(ci, now);
        true
    }

    /// Ends the commands and rounds waiting on channel `ci` (a transaction in flight ends on
    /// its own): commands with [`Outcome::NoAnswer`], round meters as failed and reported.
    fn fail_queued_work(&mut self, ci: usize, now: Instant) {
        let at = self.clock.now(now);
        while let Some(job) = self
            .channels
            .get_mut(ci)
            .and_then(Option::as_mut)
            .and_then(|ch| ch.commands.pop_front())
        {
            self.finish_command(&job, Outcome::NoAnswer, at);
        }
        if self.carrier.as_ref().is_some_and(|c| c.router_led) {
            self.router_finished(ci, now);
        }
        loop {
            let Some(ch) = self.channels.get_mut(ci).and_then(Option::as_mut) else {
                return;
            };
            if ch.txn.is_some() {
                return;
            }
            let mut round = match ch.round.take() {
                Some(r) => r,
                None => match ch.pending.pop_front() {
                    Some(task) => Round::new(task),
                    None => return,
                },
            };
            while let Some(job) = self.next_round_job(ci, &mut round) {
                if let (Job::Meter { meter, .. }, Some(cur)) = (job, round.cur.as_mut()) {
                    cur.failed = true;
                    self.emit(Event {
                        at,
                        kind: EventKind::Alarm(Alarm::MeterOffline {
                            meter: meter.archive_no,
                            channel: meter.channel,
                        }),
                    });
                }
            }
            self.round_finished(ci, round, now);
        }
    }

    fn carrier_reply(&mut self, ci: usize, frame: &[u8], now: Instant) {
        let Some(txn) = self
            .channels
            .get(ci)
            .and_then(Option::as_ref)
            .and_then(|ch| ch.txn)
        else {
            return;
        };
        if let (Job::Forward { cmd }, TxnState::Waiting { .. }) = (txn.job, txn.state) {
            self.carrier_forward_reply(ci, cmd, frame, now);
            return;
        }
        let (Job::Meter { meter, work, .. }, TxnState::Waiting { .. }) = (txn.job, txn.state)
        else {
            return;
        };
        let (req, mut decoded) = txn.awaited(work, self.clock.now(now));
        match crate::map_dlt645::interpret(&meter, &req, frame, &mut decoded) {
            Reply::Answered(next) => self.step_answered(ci, txn, next, decoded, now),
            Reply::MeterError(code) => self.step_error(ci, txn, code, now),
            Reply::Ignore => {
                self.counters.ignored_frames += 1;
                self.try_failed(ci, now);
            }
        }
    }

    pub(super) fn carrier_transmit(
        &mut self,
        ci: usize,
        now: Instant,
        buf: &mut [u8],
    ) -> Option<Transmit> {
        self.drive_carrier(now, |_, _| {});
        let baud = self.channels.get(ci)?.as_ref()?.cfg.line.baud;
        let channel = ChannelId(ci as u8);
        let c = self.carrier.as_mut()?;
        let session = c.session.as_mut()?;
        // Frames the session wants on the UART (start-up, archive sync, routing control,
        // confirmations) go first, whatever our transaction is doing.
        if let Some(len) = session.poll_transmit(buf) {
            self.counters.requests += 1;
            return Some(Transmit { channel, len, baud });
        }
        if !session.is_ready() {
            return None;
        }
        let router_led = self.carrier.as_ref().is_some_and(|c| c.router_led);
        if router_led {
            self.router_start(ci, now);
            if let Some(len) = self
                .carrier
                .as_mut()
                .and_then(|c| c.session.as_mut())
                .and_then(|s| s.poll_transmit(buf))
            {
                self.counters.requests += 1;
                return Some(Transmit { channel, len, baud });
            }
        }
        // Router-led: the module drives the round; only commands go out from here.
        self.txn_to_send(ci, now, router_led)?;
        let wall = self.clock.now(now);
        let ch = self.channels.get_mut(ci)?.as_mut()?;
        let line = ch.cfg.line;
        let mut txn = ch.txn?;
        if let Job::Forward { cmd } = txn.job {
            let len = self.carrier_forward(ci, cmd, now, buf)?;
            return Some(Transmit { channel, len, baud });
        }
        let Job::Meter { meter, work, .. } = txn.job else {
            // The daily time broadcast goes to every node through the module (AFN 05 F3);
            // the channel is held until the module has finished broadcasting. A module that
            // corrects broadcasts for transmission delay (AFN 03 F10 byte 1 D0) is first asked
            // for the delay of this frame (AFN 03 F9; notes plc-uplink.md §1.11 "Broadcast time
            // sync", after NUC and HW); the time then goes out shifted by it (`broadcast_time`).
            txn.state = TxnState::Broadcasting {
                until: add_ms(now, line.response_timeout),
            };
            ch.txn = Some(txn);
            let c = self.carrier.as_mut()?;
            let session = c.session.as_mut()?;
            if session
                .module()
                .is_some_and(|m| m.delay_support.contains(DelaySupport::BROADCAST))
            {
                let mut frame = [0u8; 32];
                let asked = crate::map_dlt645::broadcast_frame(wall, &mut frame)
                    .and_then(|n| frame.get(..n))
                    .and_then(|f| {
                        session
                            .query_broadcast_delay(PlcProtocol::Dlt645_2007, f, now)
                            .ok()
                    });
                c.delay_query = asked.is_some();
                if asked.is_none() {
                    self.end_txn(ci, now);
                    return None;
                }
            } else if !self.broadcast_time(ci, 0, now) {
                return None;
            }
            let len = self.carrier_session()?.poll_transmit(buf);
            self.refresh_timer(ci, now);
            self.counters.requests += 1;
            return len.map(|len| Transmit { channel, len, baud });
        };
        if matches!(work, Work::SetClock) && txn.set_to.is_none() {
            txn.set_to = Some(wall);
        }
        let req = request_of(&txn, work, wall);
        let mut frame = [0u8; 64];
        let protocol = if meter.protocol == Protocol::Dlt645_1997 {
            PlcProtocol::Dlt645_1997
        } else {
            PlcProtocol::Dlt645_2007
        };
        let address = match meter.address {
            MeterAddress::Dlt645(a) => PlcAddress(a),
            _ => return None,
        };
        txn.tries = txn.tries.saturating_add(1);
        txn.state = TxnState::Waiting {
            // A backstop: the session reports the module's own timeout first.
            deadline: add_ms(now, line.response_timeout),
        };
        ch.txn = Some(txn);
        let read = crate::map_dlt645::build_frame(&meter, &req, &mut frame)
            .and_then(|n| frame.get(..n))
            .and_then(|f| self.carrier_session()?.read(address, protocol, f, now).ok());
        let Some(id) = read else {
            self.try_failed(ci, now);
            return None;
        };
        if txn.tries > 1 {
            self.counters.retries += 1;
        }
        let c = self.carrier.as_mut()?;
        c.read = Some(id);
        let len = c.session.as_mut()?.poll_transmit(buf);
        self.refresh_timer(ci, now);
        let len = len?;
        self.counters.requests += 1;
        Some(Transmit { channel, len, baud })
    }

    // ----- router-led rounds ---------------------------------------------------------------

    /// Router-led: when the channel has a round (pending or current) and the module is in
    /// service, restart the module's reading round (AFN 12 F1) and count progress from zero.
    fn router_start(&mut self, ci: usize, now: Instant) {
        let Some(ch) = self.channels.get_mut(ci).and_then(Option::as_mut) else {
            return;
        };
        let Some(c) = self.carrier.as_mut() else {
            return;
        };
        if c.router_round || !c.session.as_ref().is_some_and(Session::is_ready) {
            return;
        }
        if ch.round.is_none() {
            let Some(task) = ch.pending.pop_front() else {
                return;
            };
            ch.round = Some(Round {
                broadcast_done: true,
                ..Round::new(task)
            });
        }
        let restarted = c
            .session
            .as_mut()
            .is_some_and(|s| s.routing(Op::RestartRouting, now).is_ok());
        if restarted {
            c.router_round = true;
            c.asked = None;
            c.progress.fill(0);
        }
    }

    /// The round's task on channel `ci` while a router-led round runs.
    fn router_task(&self, ci: usize) -> Option<Task> {
        let c = self.carrier.as_ref()?;
        if !c.router_round {
            return None;
        }
        Some(self.channels.get(ci)?.as_ref()?.round?.task)
    }

    /// The module asks what to read at `address` (AFN 14 F1): the next item of the round
    /// for that meter, or "done" when it has none (or is not ours, or no round runs).
    fn router_asks(&mut self, ci: usize, address: [u8; 6], now: Instant) {
        let task = self.router_task(ci);
        let found = self.slot_by_address(ci, address);
        let mut frame = [0u8; 64];
        let mut answer: Option<(usize, Asked)> = None;
        if let (Some(task), Some(slot)) = (task, found)
            && let Some(meter) = self.archive.slot(slot).copied()
            && let Some(c) = self.carrier.as_ref()
        {
            let idx = c.progress.get(slot).copied().unwrap_or(u8::MAX);
            // A multi-step item or follow-up in progress for this meter continues.
            let asked = match c.asked {
                Some(a) if a.slot == slot => Some(a),
                _ => round_item(task, &meter, idx).map(|item| Asked {
                    slot,
                    meter,
                    item,
                    step: 0,
                    seq: 0,
                    carry: None,
                    counter: 0,
                }),
            };
            if let Some(a) = asked {
                let req = a.request();
                if let Some(n) = crate::map_dlt645::build_frame(&meter, &req, &mut frame) {
                    answer = Some((n, a));
                }
            }
        }
        let Some(c) = self.carrier.as_mut() else {
            return;
        };
        let Some(session) = c.session.as_mut() else {
            return;
        };
        match answer {
            Some((n, a)) => {
                c.asked = Some(a);
                let _ = session.answer_read(frame.get(..n), false, now);
            }
            None => {
                let _ = session.answer_read(None, true, now);
            }
        }
    }

    fn slot_by_address(&self, ci: usize, address: [u8; 6]) -> Option<usize> {
        (0..N).find(|&s| {
            self.archive.slot(s).is_some_and(|m| {
                usize::from(m.channel.0) == ci && m.address == MeterAddress::Dlt645(address)
            })
        })
    }

    /// The module reports a meter's reply (AFN 06 F2) to what it was told to read.
    fn router_data(&mut self, address: [u8; 6], frame: &[u8], now: Instant) {
        let Some(c) = self.carrier.as_mut() else {
            return;
        };
        let Some(a) = c
            .asked
            .filter(|a| a.meter.address == MeterAddress::Dlt645(address))
        else {
            return;
        };
        let req = a.request();
        let mut decoded = Decoded {
            carry: a.carry,
            counter: a.counter,
            ..Decoded::default()
        };
        let reply = crate::map_dlt645::interpret(&a.meter, &req, frame, &mut decoded);
        let at = self.clock.now(now);
        let Some(c) = self.carrier.as_mut() else {
            return;
        };
        let item_done = match reply {
            Reply::Answered(Next::Step(step)) => {
                c.asked = Some(Asked {
                    step,
                    seq: 0,
                    carry: decoded.carry,
                    counter: 0,
                    ..a
                });
                false
            }
            Reply::Answered(Next::FollowUp(seq)) if seq <= super::MAX_FOLLOW_UPS => {
                c.asked = Some(Asked {
                    seq,
                    carry: decoded.carry,
                    counter: decoded.counter,
                    ..a
                });
                false
            }
            Reply::Answered(_) | Reply::MeterError(_) => true,
            // Not an answer to what was asked: the module will ask again.
            Reply::Ignore => return,
        };
        if item_done {
            c.asked = None;
            if let Some(p) = c.progress.get_mut(a.slot) {
                *p = p.saturating_add(1);
            }
        }
        match reply {
            Reply::Answered(_) => self.emit_readings(&a.meter, a.item, &decoded, at),
            Reply::MeterError(code) => self.emit_meter_error(&a.meter, a.item, code, at),
            Reply::Ignore => {}
        }
    }

    /// The module finished its reading round (AFN 06 F3), or stopped: the channel's round
    /// ends; meters with items left are failed and reported.
    fn router_finished(&mut self, ci: usize, now: Instant) {
        let Some(task) = self.router_task(ci) else {
            return;
        };
        let at = self.clock.now(now);
        let mut round = Round {
            next_slot: N,
            broadcast_done: true,
            ..Round::new(task)
        };
        for slot in 0..N {
            let Some(meter) = self.archive.slot(slot).copied() else {
                continue;
            };
            if usize::from(meter.channel.0) != ci || round_item(task, &meter, 0).is_none() {
                continue;
            }
            round.meters += 1;
            let done = self
                .carrier
                .as_ref()
                .and_then(|c| c.progress.get(slot).copied())
                .unwrap_or(0);
            if round_item(task, &meter, done).is_none() {
                round.read += 1;
            } else {
                round.failed += 1;
                self.emit(Event {
                    at,
                    kind: EventKind::Alarm(Alarm::MeterOffline {
                        meter: meter.archive_no,
                        channel: meter.channel,
                    }),
                });
            }
        }
        if let Some(c) = self.carrier.as_mut() {
            c.router_round = false;
            c.asked = None;
        }
        if let Some(ch) = self.channels.get_mut(ci).and_then(Option::as_mut) {
            ch.round = None;
        }
        self.round_finished(ci, round, now);
    }
}
