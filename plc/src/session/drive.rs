//! What the session sends next: the start-up steps, archive batches and queued commands.

use super::*;

impl<const N: usize> Session<N> {
    /// Issues the next request when none is outstanding.
    pub(super) fn drive(&mut self, now: Instant) {
        if self.pending.is_some() || self.tx.is_full() {
            return;
        }
        match self.phase {
            Phase::AwaitReport { .. } | Phase::Backoff { .. } => {}
            Phase::Reset => self.request(
                Purpose::HardwareInit,
                Afn::Init,
                1,
                None,
                DataUnit::Empty,
                now,
            ),
            Phase::RunMode => {
                self.request(Purpose::RunMode, Afn::Query, 10, None, DataUnit::Empty, now)
            }
            Phase::Master => self.request(
                Purpose::ReadMaster,
                Afn::Query,
                4,
                None,
                DataUnit::Empty,
                now,
            ),
            Phase::SetMaster => {
                let a = self.config.master_address;
                self.request(
                    Purpose::SetMaster,
                    Afn::Control,
                    1,
                    None,
                    DataUnit::SetMasterAddress(a),
                    now,
                );
            }
            Phase::Count => {
                self.present.clear();
                for _ in 0..self.archive.len() {
                    let _ = self.present.push(false);
                }
                self.extras.clear();
                self.extras_overflow = false;
                self.paged = 0;
                self.deleted = 0;
                self.added = 0;
                self.request(
                    Purpose::NodeCount,
                    Afn::RouteQuery,
                    1,
                    None,
                    DataUnit::Empty,
                    now,
                );
            }
            Phase::Page { next } => {
                let left = self.module_total.saturating_sub(self.paged);
                let count =
                    u8::try_from(left.min(u16::from(self.config.page_size))).unwrap_or(u8::MAX);
                let unit = DataUnit::NodeQuery(NodeQuery { start: next, count });
                self.request(
                    Purpose::NodePage { count },
                    Afn::RouteQuery,
                    2,
                    None,
                    unit,
                    now,
                );
            }
            Phase::Delete => self.drive_delete(now),
            Phase::Add => self.drive_add(now),
            Phase::StartRouting => {
                // Restart when the archive changed, resume otherwise (notes §1.12 step 9).
                let (op, f) = if self.deleted + self.added > 0 {
                    (Op::RestartRouting, 1)
                } else {
                    (Op::ResumeRouting, 3)
                };
                self.request(
                    Purpose::StartRouting { op },
                    Afn::RouteControl,
                    f,
                    None,
                    DataUnit::Empty,
                    now,
                );
            }
            Phase::Ready => self.drive_jobs(now),
        }
    }

    pub(super) fn drive_delete(&mut self, now: Instant) {
        if self.extras_overflow {
            // More stray nodes than we can hold: clear the module's archive (AFN 01 F2) and
            // add every node again.
            self.request(Purpose::ParamInit, Afn::Init, 2, None, DataUnit::Empty, now);
            return;
        }
        if self.extras.is_empty() {
            self.phase = Phase::Add;
            self.drive_add(now);
            return;
        }
        let n = self
            .extras
            .len()
            .min(usize::from(self.config.batch_size.max(1)));
        let mut scratch = [0u8; 6 * 255];
        let ed = self.config.edition;
        let batch = self.extras.get(..n).unwrap_or(&[]).iter().copied();
        let Ok(list) = Entries::encode(batch, ed, &mut scratch) else {
            return;
        };
        let n = u8::try_from(n).unwrap_or(u8::MAX);
        self.request(
            Purpose::Delete { n },
            Afn::RouteSet,
            2,
            None,
            DataUnit::DeleteNodes(list),
            now,
        );
    }

    pub(super) fn drive_add(&mut self, now: Instant) {
        let ed = self.config.edition;
        let max = usize::from(self.config.batch_size.max(1));
        let mut batch: Vec<AddNode, 64> = Vec::new();
        for (i, ((address, protocol), present)) in
            self.archive.iter().zip(self.present.iter()).enumerate()
        {
            if *present {
                continue;
            }
            if batch.len() >= max.min(64) {
                break;
            }
            let index = match ed {
                // 2009 entries carry the node index (HW `GetSecondaryNodeItemSize`); the
                // archive position, counted from the first index, serves as index.
                Edition::V2009 => Some(
                    u16::try_from(i)
                        .unwrap_or(u16::MAX)
                        .saturating_add(self.config.first_index),
                ),
                Edition::V2013 => None,
            };
            let _ = batch.push(AddNode {
                address: *address,
                index,
                protocol: *protocol,
            });
        }
        if batch.is_empty() {
            self.phase = Phase::StartRouting;
            if self.deleted + self.added > 0 {
                self.event(Event::ArchiveSynced {
                    deleted: self.deleted,
                    added: self.added,
                });
            }
            self.drive(now);
            return;
        }
        let mut scratch = [0u8; 9 * 64];
        let n = u8::try_from(batch.len()).unwrap_or(u8::MAX);
        let Ok(list) = Entries::encode(batch, ed, &mut scratch) else {
            return;
        };
        self.request(
            Purpose::Add { n },
            Afn::RouteSet,
            1,
            None,
            DataUnit::AddNodes(list),
            now,
        );
    }

    pub(super) fn drive_jobs(&mut self, now: Instant) {
        let Some(job) = self.jobs.front().cloned() else {
            if self.paused_for_reads {
                self.request(
                    Purpose::ResumeAfterReads,
                    Afn::RouteControl,
                    3,
                    None,
                    DataUnit::Empty,
                    now,
                );
            }
            return;
        };
        match job {
            Job::Read {
                meter,
                protocol,
                frame,
                concurrent,
                ..
            } => {
                if self.routing_running && !self.paused_for_reads {
                    // Pause the router so its own round does not collide (EAST step 1).
                    self.request(
                        Purpose::PauseForReads,
                        Afn::RouteControl,
                        2,
                        None,
                        DataUnit::Empty,
                        now,
                    );
                    return;
                }
                if concurrent {
                    let unit = DataUnit::Concurrent(ConcurrentRead {
                        protocol,
                        reserved: 0,
                        frame: &frame,
                    });
                    self.request(Purpose::Read, Afn::Concurrent, 1, Some(meter), unit, now);
                    return;
                }
                let unit = DataUnit::MonitorRequest(MonitorRequest {
                    protocol,
                    delay_sensitive: false,
                    attached: Entries::empty(self.config.edition),
                    frame: &frame,
                });
                self.request(Purpose::Read, Afn::RouteForward, 1, Some(meter), unit, now);
            }
            Job::BroadcastDelay { protocol, frame } => {
                let unit = DataUnit::BroadcastDelayQuery(Some(ProtocolFrame {
                    protocol,
                    frame: &frame,
                }));
                self.request(
                    Purpose::Job(Op::BroadcastDelay),
                    Afn::Query,
                    9,
                    None,
                    unit,
                    now,
                );
            }
            Job::Broadcast { protocol, frame } => {
                let unit = DataUnit::Broadcast(ProtocolFrame {
                    protocol,
                    frame: &frame,
                });
                self.request(
                    Purpose::Job(Op::Broadcast { wait_s: 0 }),
                    Afn::Control,
                    3,
                    None,
                    unit,
                    now,
                );
            }
            Job::StartRegistration(w) => {
                self.request(
                    Purpose::Job(Op::StartRegistration),
                    Afn::RouteSet,
                    5,
                    None,
                    DataUnit::Registration(w),
                    now,
                );
            }
            Job::StopRegistration => {
                self.request(
                    Purpose::Job(Op::StopRegistration),
                    Afn::RouteSet,
                    6,
                    None,
                    DataUnit::Empty,
                    now,
                );
            }
            Job::Routing(op) => {
                let f = match op {
                    Op::RestartRouting => 1,
                    Op::PauseRouting => 2,
                    _ => 3,
                };
                self.request(
                    Purpose::Job(op),
                    Afn::RouteControl,
                    f,
                    None,
                    DataUnit::Empty,
                    now,
                );
            }
        }
    }
}
