//! The module's replies to the session's requests, and failures (denies, timeouts).

use super::*;

impl<const N: usize> Session<N> {
    pub(super) fn step_of(purpose: Purpose) -> Option<Step> {
        Some(match purpose {
            Purpose::HardwareInit | Purpose::RunMode => Step::RunMode,
            Purpose::ReadMaster | Purpose::SetMaster => Step::MasterAddress,
            Purpose::NodeCount | Purpose::NodePage { .. } => Step::ReadArchive,
            Purpose::ParamInit | Purpose::Delete { .. } | Purpose::Add { .. } => Step::WriteArchive,
            _ => return None,
        })
    }

    pub(super) fn fail(&mut self, purpose: Purpose, failure: Failure, now: Instant) {
        if let Some(step) = Self::step_of(purpose) {
            self.event(Event::InitFailed { step, failure });
            self.phase = Phase::Backoff {
                until: now + self.config.local_timeout,
            };
            return;
        }
        match purpose {
            Purpose::StartRouting { op } => {
                // A module that cannot route (concentrator-led only) may deny this: still
                // in service.
                self.event(Event::Failed { op, failure });
                self.become_ready();
            }
            Purpose::PauseForReads => {
                // Read anyway; the module answers reads even while routing.
                self.paused_for_reads = true;
                self.event(Event::Failed {
                    op: Op::PauseRouting,
                    failure,
                });
            }
            Purpose::ResumeAfterReads => {
                self.paused_for_reads = false;
                self.event(Event::Failed {
                    op: Op::ResumeRouting,
                    failure,
                });
            }
            Purpose::Read => {
                if let Some(Job::Read { id, meter, .. }) = self.jobs.pop_front() {
                    self.event(Event::ReadFailed { id, meter, failure });
                }
            }
            Purpose::Job(op) => {
                self.jobs.pop_front();
                self.event(Event::Failed { op, failure });
            }
            Purpose::Probe if failure == Failure::Timeout => {
                self.event(Event::ModuleLost);
                self.restart_init();
            }
            _ => {}
        }
    }

    pub(super) fn restart_init(&mut self) {
        self.pending = None;
        self.routing_running = false;
        self.paused_for_reads = false;
        self.asked = None;
        self.phase = Phase::RunMode;
    }

    pub(super) fn become_ready(&mut self) {
        self.phase = Phase::Ready;
        if let Some(m) = self.module {
            self.event(Event::Ready(m));
        }
    }

    pub(super) fn on_reply(&mut self, p: Pending, repr: &FrameRepr<'_>, now: Instant) {
        let purpose = p.purpose;
        if let DataUnit::Deny(reason) = repr.unit {
            self.fail(purpose, Failure::Denied(reason), now);
            return;
        }
        let confirmed = matches!(repr.unit, DataUnit::Confirm(_));
        match (purpose, &repr.unit) {
            (Purpose::HardwareInit, _) if confirmed => {
                self.phase = Phase::AwaitReport {
                    until: now + self.config.power_up_wait,
                };
            }
            (Purpose::RunMode, DataUnit::RunMode(m)) => {
                self.learn_run_mode(m);
                self.phase = Phase::Master;
            }
            (Purpose::ReadMaster, DataUnit::MasterAddress(a)) => {
                self.phase = if *a == self.config.master_address {
                    Phase::Count
                } else {
                    Phase::SetMaster
                };
            }
            (Purpose::SetMaster, _) if confirmed => self.phase = Phase::Count,
            (Purpose::NodeCount, DataUnit::NodeCount(c)) => {
                self.module_total = c.count;
                if self.archive.len() > usize::from(c.max) {
                    self.event(Event::ArchiveTooLarge { max: c.max });
                }
                self.phase = if c.count == 0 {
                    Phase::Delete
                } else {
                    Phase::Page {
                        next: self.config.first_index,
                    }
                };
            }
            (Purpose::NodePage { .. }, DataUnit::NodePage(page)) => {
                let got = u16::try_from(page.nodes.len()).unwrap_or(u16::MAX);
                for node in page.nodes.iter() {
                    match self.archive.iter().position(|(a, _)| *a == node.address) {
                        Some(i) => {
                            if let Some(p) = self.present.get_mut(i) {
                                *p = true;
                            }
                        }
                        None => {
                            if self.extras.push(node.address).is_err() {
                                self.extras_overflow = true;
                            }
                        }
                    }
                }
                self.paged = self.paged.saturating_add(got);
                self.phase = if got == 0 || self.paged >= self.module_total {
                    Phase::Delete
                } else {
                    Phase::Page {
                        next: self.config.first_index.saturating_add(self.paged),
                    }
                };
            }
            (Purpose::ParamInit, _) if confirmed => {
                self.extras.clear();
                self.extras_overflow = false;
                for p in self.present.iter_mut() {
                    *p = false;
                }
                self.deleted = self.module_total;
                self.phase = Phase::Add;
            }
            (Purpose::Delete { n }, _) if confirmed => {
                let n = usize::from(n).min(self.extras.len());
                let rest: Vec<Address, N> = self.extras.iter().skip(n).copied().collect();
                self.extras = rest;
                self.deleted = self.deleted.saturating_add(n as u16);
            }
            (Purpose::Add { n }, _) if confirmed => {
                let mut left = n;
                for p in self.present.iter_mut().filter(|p| !**p) {
                    if left == 0 {
                        break;
                    }
                    *p = true;
                    left -= 1;
                }
                self.added = self.added.saturating_add(u16::from(n));
            }
            (Purpose::StartRouting { .. }, _) if confirmed => {
                self.routing_running = true;
                self.become_ready();
            }
            (Purpose::PauseForReads, _) if confirmed => self.paused_for_reads = true,
            (Purpose::ResumeAfterReads, _) if confirmed => self.paused_for_reads = false,
            (Purpose::Read, DataUnit::MonitorReply(_) | DataUnit::Concurrent(_)) => {
                let (protocol, reply) = match &repr.unit {
                    DataUnit::MonitorReply(r) => (r.protocol, r.frame),
                    DataUnit::Concurrent(c) => (c.protocol, c.frame),
                    _ => (Protocol::Transparent, &[][..]),
                };
                if let Some(Job::Read { id, meter, .. }) = self.jobs.pop_front() {
                    if reply.is_empty() {
                        self.event(Event::ReadFailed {
                            id,
                            meter,
                            failure: Failure::NoMeterAnswer,
                        });
                    } else {
                        self.event(Event::ReadDone {
                            id,
                            meter,
                            protocol,
                            frame: FrameBuf::from_slice(reply).unwrap_or_default(),
                        });
                    }
                }
            }
            (Purpose::Job(Op::BroadcastDelay), DataUnit::BroadcastDelay(d)) => {
                self.jobs.pop_front();
                self.event(Event::BroadcastDelay { delay_s: d.delay_s });
                self.event(Event::Done(Op::BroadcastDelay));
            }
            (Purpose::Job(Op::Broadcast { .. }), DataUnit::Confirm(c)) => {
                self.jobs.pop_front();
                self.event(Event::Done(Op::Broadcast { wait_s: c.wait_s }));
            }
            (Purpose::Job(op), _) if confirmed => {
                self.jobs.pop_front();
                match op {
                    Op::RestartRouting | Op::ResumeRouting => self.routing_running = true,
                    Op::PauseRouting => self.routing_running = false,
                    _ => {}
                }
                self.event(Event::Done(op));
            }
            (Purpose::Probe, _) => {}
            _ => self.fail(purpose, Failure::Unexpected, now),
        }
    }

    pub(super) fn learn_run_mode(&mut self, m: &crate::unit::query::RunMode) {
        // NUC falls back to 60 s when the module reports 0 or 120 s and more.
        let monitor = match m.monitor_timeout_s {
            0 | 120..=255 => self.config.monitor_fallback,
            s => Duration::secs(u64::from(s)),
        };
        let broadcast = match m.broadcast_timeout_s {
            0 => self.config.broadcast_fallback,
            s => Duration::secs(u64::from(s)),
        };
        self.module = Some(ModuleInfo {
            medium: m.medium,
            concentrator_led: m.concentrator_led,
            router_led: m.router_led,
            delay_support: m.delay_support,
            monitor_timeout: monitor,
            broadcast_timeout: broadcast,
            max_frame_len: m.max_frame_len,
            max_nodes: m.max_nodes,
        });
    }
}
