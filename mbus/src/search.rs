//! The wildcard search over secondary addresses: which mask to probe next.

use crate::{SecondaryAddress, SecondaryMask};
use heapless::Vec;

/// What one probe (a selection, then REQ_UD2 to 253) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// Nobody answered: no slave matches.
    Nothing,
    /// Exactly one slave answered with a valid telegram.
    Single(SecondaryAddress),
    /// Several slaves answered at once (a garbled reply).
    Collision,
}

#[derive(Debug, Clone, Copy)]
struct Level {
    /// The collided mask this level narrows (its nibble at `pos` is a wildcard).
    mask: SecondaryMask,
    /// The position varied at this level.
    pos: usize,
    /// The next value to try at `pos` (0..=0xE probe, 0xF the wildcard branch, 0x10 done).
    next: u8,
    /// Slaves found before this level started.
    found_before: u32,
    /// Set when this level walks the F branch of its parent: the parent's position is then
    /// "the value F", not a wildcard, and a slave found here with another nibble there was
    /// already found in the parent's probes 0..=E.
    f_at: Option<usize>,
}

/// A depth-first narrowing of wildcard masks, left to right over all 16 nibble positions and
/// all 16 nibble values (libmbus tries only 0..=9, even in the hexadecimal manufacturer,
/// version and medium fields: its issue #73).
///
/// The start mask is probed first; every probe that collides is narrowed at its next wildcard
/// position with the values 0..=E. Probing F there would repeat the collided mask, so the F
/// branch (slaves whose nibble really is F) is walked one position further without a probe,
/// and only when the values 0..=E did not account for the collision (fewer than two slaves
/// found under them). Walking it always would re-probe the whole subtree at every level; the
/// price of not doing so is that a slave whose nibble is F is missed when two or more slaves
/// with other values at that position were found (IDs are BCD and never hold F; the other
/// fields can). A collision that cannot be narrowed further is counted in
/// [`duplicates`](WildcardSearch::duplicates): two slaves with the same secondary address, or
/// slaves that differ only where one has the nibble F (no mask can select "exactly F": the
/// wildcard also matches the other).
#[derive(Debug, Clone)]
pub struct WildcardSearch {
    start: Option<SecondaryMask>,
    stack: Vec<Level, 17>,
    found: u32,
    probes: u32,
    duplicates: u32,
    limit: u32,
    capped: bool,
}

impl WildcardSearch {
    /// A search below `start` (usually [`SecondaryMask::ALL`]), without a probe limit.
    pub fn new(start: SecondaryMask) -> Self {
        Self::with_limit(start, u32::MAX)
    }

    /// A search that stops after `limit` probes: a device that garbles every answer would
    /// otherwise make every probe a collision and the search walk all 15^16 masks.
    pub fn with_limit(start: SecondaryMask, limit: u32) -> Self {
        WildcardSearch {
            start: Some(start),
            stack: Vec::new(),
            found: 0,
            probes: 0,
            duplicates: 0,
            limit,
            capped: false,
        }
    }

    /// Whether the search stopped at its probe limit with masks left to probe.
    pub fn capped(&self) -> bool {
        self.capped
    }

    /// The next mask to probe, or `None` when the search is over.
    pub fn next_probe(&mut self) -> Option<SecondaryMask> {
        if self.probes >= self.limit && (self.start.is_some() || !self.stack.is_empty()) {
            self.capped = true;
            self.start = None;
            self.stack.clear();
            return None;
        }
        if let Some(start) = self.start.take() {
            self.probes += 1;
            return Some(start);
        }
        loop {
            let top = self.stack.last_mut()?;
            let value = top.next;
            top.next = top.next.saturating_add(1);
            match value {
                0..=0xE if self.probes >= self.limit => {
                    self.capped = true;
                    self.stack.clear();
                    return None;
                }
                0..=0xE => {
                    self.probes += 1;
                    return Some(top.mask.with_nibble(top.pos, value));
                }
                0xF => {
                    let (mask, pos, before) = (top.mask, top.pos, top.found_before);
                    if self.found.saturating_sub(before) < 2
                        && let Some(next) = next_wildcard(mask, pos + 1)
                    {
                        self.push(mask, next, Some(pos));
                    }
                }
                _ => {
                    self.stack.pop();
                }
            }
        }
    }

    fn push(&mut self, mask: SecondaryMask, pos: usize, f_at: Option<usize>) {
        let level = Level {
            mask,
            pos,
            next: 0,
            found_before: self.found,
            f_at,
        };
        // At most one level per position (16) and the depth never exceeds that.
        let _ = self.stack.push(level);
    }

    /// Report the result of probing `mask` (the value last returned by `next_probe`).
    ///
    /// Returns the slave when it is a new find; `None` for nothing, a collision, or a slave
    /// met again in an F branch.
    pub fn report(&mut self, mask: SecondaryMask, probe: Probe) -> Option<SecondaryAddress> {
        match probe {
            Probe::Nothing => None,
            Probe::Single(address) => {
                let nibbles = SecondaryMask::exact(address);
                let new = self
                    .stack
                    .iter()
                    .filter_map(|l| l.f_at)
                    .all(|p| nibbles.nibble(p) == 0xF);
                if new {
                    self.found += 1;
                }
                new.then_some(address)
            }
            Probe::Collision => {
                // Narrow after the position this probe fixed (F-branch positions before it
                // hold the value F, not a wildcard).
                let from = self.stack.last().map_or(0, |l| l.pos + 1);
                match next_wildcard(mask, from) {
                    Some(pos) => self.push(mask, pos, None),
                    None => {
                        // Two slaves no mask tells apart; count both.
                        self.duplicates += 1;
                        self.found += 2;
                    }
                }
                None
            }
        }
    }

    /// Slaves found so far (a duplicate address counts two).
    pub fn found(&self) -> u32 {
        self.found
    }

    /// Probes handed out so far.
    pub fn probes(&self) -> u32 {
        self.probes
    }

    /// Collisions that could not be narrowed (see the type's documentation).
    pub fn duplicates(&self) -> u32 {
        self.duplicates
    }
}

/// The first wildcard nibble at or after `from`.
fn next_wildcard(mask: SecondaryMask, from: usize) -> Option<usize> {
    (from..SecondaryMask::POSITIONS).find(|p| mask.nibble(*p) == 0xF)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec as StdVec;

    /// Run a search against a set of addresses with an ideal bus.
    fn run(slaves: &[SecondaryAddress]) -> (StdVec<SecondaryAddress>, u32) {
        let (found, s) = run_search(slaves);
        (found, s.probes())
    }

    fn run_search(slaves: &[SecondaryAddress]) -> (StdVec<SecondaryAddress>, WildcardSearch) {
        let mut s = WildcardSearch::new(SecondaryMask::ALL);
        let mut found = StdVec::new();
        while let Some(mask) = s.next_probe() {
            let hits: StdVec<_> = slaves.iter().filter(|a| mask.matches(**a)).collect();
            let probe = match hits.as_slice() {
                [] => Probe::Nothing,
                [one] => Probe::Single(**one),
                _ => Probe::Collision,
            };
            if let Some(a) = s.report(mask, probe) {
                found.push(a);
            }
            assert!(s.probes() < 100_000);
        }
        found.sort();
        (found, s)
    }

    #[test]
    fn finds_hex_nibbles_and_f_nibbles() {
        let mut slaves = [
            // Same ID, manufacturers differing in a hex nibble (KAM 0x2C2D vs 0x2C2E).
            SecondaryAddress::new(0x1234_5678, 0x2C2D, 0x01, 0x04),
            SecondaryAddress::new(0x1234_5678, 0x2C2E, 0x01, 0x04),
            // Version 0xFF: F nibbles that are values, not wildcards.
            SecondaryAddress::new(0x1234_5678, 0x2C2D, 0xFF, 0x07),
            SecondaryAddress::new(0x0000_0001, 0x0442, 0x00, 0x02),
        ];
        let (found, _) = run(&slaves);
        slaves.sort();
        assert_eq!(found, slaves);
    }

    #[test]
    fn slaves_differing_only_by_an_f_nibble_cannot_be_told_apart() {
        let f0 = SecondaryAddress::new(0x1234_5678, 0x2C2D, 0xF0, 0x07);
        let ff = SecondaryAddress::new(0x1234_5678, 0x2C2D, 0xFF, 0x07);
        let (found, s) = run_search(&[f0, ff]);
        // Version F0 is selectable (low nibble 0); FF is not: any mask that matches its low
        // nibble F also matches F0's 0. The search reports one unresolvable collision.
        assert_eq!(found, std::vec![f0]);
        assert_eq!(s.duplicates(), 1);
    }

    #[test]
    fn a_bus_that_always_collides_stops_at_the_limit() {
        let mut s = WildcardSearch::with_limit(SecondaryMask::ALL, 100);
        let mut n = 0;
        while let Some(m) = s.next_probe() {
            s.report(m, Probe::Collision);
            n += 1;
        }
        assert_eq!((n, s.probes(), s.capped()), (100, 100, true));
        let (_, s) = run_search(&[SecondaryAddress::new(1, 2, 3, 4)]);
        assert!(!s.capped());
    }

    #[test]
    fn a_lone_slave_costs_one_probe() {
        let a = SecondaryAddress::new(0x4711_0815, 0x1E77, 0x3C, 0x07);
        assert_eq!(run(&[a]), (std::vec![a], 1));
        assert_eq!(run(&[]), (StdVec::new(), 1));
    }
}
