//! Rounds: which meter and item a channel's scheduled work reads next, and the statistics at
//! the end of a round.

use super::{Concentrator, Job, MeterCursor, Round, Tally, Work};
use crate::archive::Meter;
use crate::channel::{ChannelId, ChannelKind};
use crate::event::{Event, EventKind, Task};
use crate::item::{CURVE_ITEMS, Item, ReadSet};
use crate::mapping;
use crate::store::Store;
use crate::time::{Instant, WallClock};

pub(super) const fn task_index(task: Task) -> usize {
    match task {
        Task::LoadCurve => 0,
        Task::DailyFrozen => 1,
        Task::Monthly => 2,
        Task::ClockSync => 3,
    }
}

/// The `idx`-th item a round of `task` reads from `meter`.
pub(super) fn round_item(task: Task, meter: &Meter, idx: u8) -> Option<Item> {
    let supported = |item: Item| mapping::supports(meter.protocol, item);
    match task {
        Task::LoadCurve => CURVE_ITEMS
            .iter()
            .filter(|(flag, item)| meter.reads.contains(*flag) && supported(*item))
            .map(|(_, item)| *item)
            .nth(usize::from(idx)),
        Task::DailyFrozen => (idx == 0 && meter.reads.contains(ReadSet::DAILY_FROZEN))
            .then_some(Item::FrozenDay { days_ago: 1 })
            .filter(|i| supported(*i)),
        Task::Monthly => (idx == 0 && meter.reads.contains(ReadSet::MONTHLY))
            .then_some(Item::MonthlySettlement { months_ago: 1 })
            .filter(|i| supported(*i)),
        Task::ClockSync => (idx == 0 && meter.reads.contains(ReadSet::CLOCK_CHECK))
            .then_some(Item::Clock)
            .filter(|i| supported(*i)),
    }
}

impl<S: Store, W: WallClock, const N: usize> Concentrator<S, W, N> {
    /// The next job of a channel: queued commands first, then the round.
    pub(super) fn next_job(&mut self, ci: usize, now: Instant) -> Option<(Job, bool)> {
        let ch = self.channels.get_mut(ci)?.as_mut()?;
        if let Some(job) = ch.commands.pop_front() {
            return Some((job, false));
        }
        if ch.paused {
            // AFN 05 F49: a paused channel starts no scheduled transaction; its round (and
            // the rounds coming due) wait where they are until it is resumed.
            return None;
        }
        loop {
            let ch = self.channels.get_mut(ci)?.as_mut()?;
            if ch.round.is_none() {
                let task = ch.pending.pop_front()?;
                ch.round = Some(Round::new(task));
            }
            let kind = ch.cfg.kind;
            let mut round = ch.round?;
            if round.task == Task::ClockSync && !round.broadcast_done {
                round.broadcast_done = true;
                ch.round = Some(round);
                if matches!(kind, ChannelKind::Rs485 | ChannelKind::Carrier) {
                    return Some((Job::BroadcastTime, true));
                }
            }
            if let Some(job) = self.next_round_job(ci, &mut round) {
                if let Some(ch) = self.channels.get_mut(ci).and_then(Option::as_mut) {
                    ch.round = Some(round);
                }
                return Some((job, true));
            }
            // Round over on this channel.
            if let Some(ch) = self.channels.get_mut(ci).and_then(Option::as_mut) {
                ch.round = None;
            }
            self.round_finished(ci, round, now);
        }
    }

    pub(super) fn next_round_job(&mut self, ci: usize, round: &mut Round) -> Option<Job> {
        loop {
            if let Some(cur) = round.cur.as_mut() {
                let meter = self.archive.slot(usize::from(cur.slot)).copied();
                if let Some(meter) = meter
                    && !cur.failed
                {
                    if let Some(item) = round_item(round.task, &meter, cur.item_idx) {
                        cur.item_idx += 1;
                        return Some(Job::Meter {
                            slot: cur.slot,
                            meter,
                            work: Work::Read { item, cmd: None },
                        });
                    }
                    if cur.set_clock {
                        cur.set_clock = false;
                        return Some(Job::Meter {
                            slot: cur.slot,
                            meter,
                            work: Work::SetClock,
                        });
                    }
                }
                if cur.failed {
                    round.failed += 1;
                } else if meter.is_some() {
                    round.read += 1;
                } else {
                    // Removed from the archive during the round: neither read nor failed.
                    round.meters = round.meters.saturating_sub(1);
                }
                round.cur = None;
            }
            // Find the next meter of this channel that takes part in the task.
            let ch_id = ChannelId(ci as u8);
            let mut found = None;
            while round.next_slot < N {
                let s = round.next_slot;
                round.next_slot += 1;
                if let Some(m) = self.archive.slot(s)
                    && m.channel == ch_id
                    && round_item(round.task, m, 0).is_some()
                {
                    found = Some(s);
                    break;
                }
            }
            let s = found?;
            round.meters += 1;
            round.cur = Some(MeterCursor {
                slot: u16::try_from(s).unwrap_or(u16::MAX),
                ..MeterCursor::default()
            });
        }
    }

    pub(super) fn round_finished(&mut self, ci: usize, round: Round, now: Instant) {
        let at = self.clock.now(now);
        if round.meters > 0 {
            self.emit(Event {
                at,
                kind: EventKind::RoundStats {
                    task: round.task,
                    channel: Some(ChannelId(ci as u8)),
                    meters: round.meters,
                    read: round.read,
                    failed: round.failed,
                },
            });
        }
        let Some(t) = self.tallies.get_mut(task_index(round.task)) else {
            return;
        };
        t.meters = t.meters.saturating_add(round.meters);
        t.read = t.read.saturating_add(round.read);
        t.failed = t.failed.saturating_add(round.failed);
        t.channels_left = t.channels_left.saturating_sub(1);
        if t.channels_left == 0 {
            let done = *t;
            *t = Tally::default();
            if done.meters > 0 {
                self.emit(Event {
                    at,
                    kind: EventKind::RoundStats {
                        task: round.task,
                        channel: None,
                        meters: done.meters,
                        read: done.read,
                        failed: done.failed,
                    },
                });
            }
        }
    }
}
