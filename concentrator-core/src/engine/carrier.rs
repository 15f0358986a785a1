//! The carrier channel: the engine drives the `qgdw1376-2` module session, hands it DL/T 645
//! requests (AFN 13 F1 reads, AFN 05 F3 broadcasts) and takes the meters' replies from it.

use qgdw1376_2::Address as PlcAddress;
use qgdw1376_2::session::{Event as SessionEvent, Op, Session};
use qgdw1376_2::unit::protocol::Protocol as PlcProtocol;

use super::{Concentrator, Job, Round, Transmit, Txn, TxnState, Work, add_ms, request_of};
use crate::archive::MeterAddress;
use crate::channel::ChannelId;
use crate::event::{Alarm, Event, EventKind, Outcome};
use crate::item::Protocol;
use crate::mapping::{Decoded, Reply};
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
                    Some(task) => Round {
                        task,
                        next_slot: 0,
                        cur: None,
                        broadcast_done: false,
                        meters: 0,
                        read: 0,
                        failed: 0,
                    },
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
        let (Job::Meter { meter, work, .. }, TxnState::Waiting { .. }) = (txn.job, txn.state)
        else {
            return;
        };
        let wall = self.clock.now(now);
        let req = request_of(&txn, work, txn.set_to.unwrap_or(wall));
        let mut decoded = Decoded {
            carry: txn.carry,
            counter: txn.counter,
            ..Decoded::default()
        };
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
        let ch = self.channels.get_mut(ci)?.as_mut()?;
        if ch.guard_until > now.ticks() {
            return None;
        }
        // A command jumps ahead of a round transaction that is only waiting out its back-off
        // (a silent meter's retry): the round transaction is set aside, not cut short, and
        // resumes with its next try once the commands are done.
        if ch.suspended.is_none()
            && !ch.commands.is_empty()
            && ch
                .txn
                .is_some_and(|t| t.in_round && matches!(t.state, TxnState::Backoff { .. }))
        {
            ch.suspended = ch.txn.take();
        }
        if ch.txn.is_none() && ch.commands.is_empty() {
            ch.txn = ch.suspended.take();
            if let Some(t) = ch.txn.as_mut()
                && let TxnState::Backoff { until } = t.state
                && until <= now.ticks()
            {
                t.state = TxnState::Send;
            }
        }
        match ch.txn {
            Some(Txn {
                state: TxnState::Send,
                ..
            }) => {}
            Some(_) => {
                self.refresh_timer(ci, now);
                return None;
            }
            None => {
                let (job, in_round) = self.next_job(ci, now)?;
                let ch = self.channels.get_mut(ci)?.as_mut()?;
                ch.txn = Some(Txn {
                    job,
                    step: 0,
                    seq: 0,
                    tries: 0,
                    state: TxnState::Send,
                    carry: None,
                    counter: 0,
                    set_to: None,
                    in_round,
                });
            }
        }
        let wall = self.clock.now(now);
        let ch = self.channels.get_mut(ci)?.as_mut()?;
        let line = ch.cfg.line;
        let mut txn = ch.txn?;
        let Job::Meter { meter, work, .. } = txn.job else {
            // The daily time broadcast goes to every node through the module (AFN 05 F3);
            // the channel is held until the module has finished broadcasting.
            txn.state = TxnState::Broadcasting {
                until: add_ms(now, line.response_timeout),
            };
            ch.txn = Some(txn);
            let mut frame = [0u8; 32];
            let sent = crate::map_dlt645::broadcast_frame(wall, &mut frame)
                .and_then(|n| frame.get(..n))
                .and_then(|f| {
                    self.carrier
                        .as_mut()?
                        .session
                        .as_mut()?
                        .broadcast(PlcProtocol::Dlt645_2007, f, now)
                        .ok()
                });
            if sent.is_none() {
                self.end_txn(ci, now);
                return None;
            }
            let len = self.carrier.as_mut()?.session.as_mut()?.poll_transmit(buf);
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
            .and_then(|f| {
                self.carrier
                    .as_mut()?
                    .session
                    .as_mut()?
                    .read(address, protocol, f, now)
                    .ok()
            });
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
}
