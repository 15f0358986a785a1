//! Frame count bit bookkeeping, one bit per address.

use crate::Address;

/// The FCB the master sends next to each of the 256 addresses.
///
/// EN 13757-2 (and m-bus.com 5.3, cited by wmbusmeters): after SND_NKE or a secondary
/// selection the slave expects FCB = 1; the master toggles the bit after every successful
/// exchange and repeats it unchanged on a retry, so that a slave whose answer was lost sends
/// the same answer again. libmbus's single-shot tool starts at 0 after SND_NKE and gets stale
/// telegrams (libmbus #105, #180); this table never does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FcbTable {
    /// Bit set = next FCB for that address is 0.
    cleared: [u64; 4],
}

impl Default for FcbTable {
    fn default() -> Self {
        Self::new()
    }
}

impl FcbTable {
    /// Every address starts at FCB = 1.
    pub const fn new() -> Self {
        FcbTable { cleared: [0; 4] }
    }

    fn slot(address: Address) -> (usize, u64) {
        let a = address.byte();
        (usize::from(a >> 6), 1u64 << (a & 63))
    }

    /// The FCB to send next to `address`.
    pub fn next(&self, address: Address) -> bool {
        let (i, bit) = Self::slot(address);
        self.cleared.get(i).is_none_or(|w| w & bit == 0)
    }

    /// SND_NKE or a selection was acknowledged: the next FCB is 1.
    pub fn reset(&mut self, address: Address) {
        let (i, bit) = Self::slot(address);
        if let Some(w) = self.cleared.get_mut(i) {
            *w &= !bit;
        }
    }

    /// An exchange sent with `sent` succeeded: the next FCB is the other value.
    pub fn succeeded(&mut self, address: Address, sent: bool) {
        let (i, bit) = Self::slot(address);
        if let Some(w) = self.cleared.get_mut(i) {
            if sent {
                *w |= bit;
            } else {
                *w &= !bit;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggles_per_address() {
        let mut t = FcbTable::new();
        let a = Address::from_byte(5);
        let b = Address::from_byte(200);
        assert!(t.next(a));
        t.succeeded(a, true);
        assert!(!t.next(a));
        assert!(t.next(b));
        t.succeeded(a, false);
        assert!(t.next(a));
        t.succeeded(b, true);
        t.reset(b);
        assert!(t.next(b));
    }
}
