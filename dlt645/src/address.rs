//! The meter address A0..A5: twelve BCD digits, low byte first on the wire.

use core::fmt;

use crate::bcd;

/// A DL/T 645 address as it travels: six bytes, `A0` (the two lowest digits) first.
///
/// Besides twelve BCD digits, two special forms exist (DL/T 645-2007 §4.2; the rules of which
/// function may use them are in [`Address::allowed_for`]):
/// * broadcast, all bytes `99` ([`Address::BROADCAST`]);
/// * wildcard ("shortened addressing"), `AA` in the high bytes and real digits below, down
///   to all `AA` ([`Address::WILDCARD`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address(pub [u8; 6]);

impl Address {
    /// The broadcast address 999999999999.
    pub const BROADCAST: Address = Address([0x99; 6]);
    /// The all-wildcard address AAAAAAAAAAAA.
    pub const WILDCARD: Address = Address([0xAA; 6]);

    /// The address of a meter number 0..=999_999_999_999 (digits as printed on the meter).
    ///
    /// Returns `None` above twelve digits.
    #[inline]
    pub fn from_number(n: u64) -> Option<Address> {
        if n > 999_999_999_999 {
            return None;
        }
        let mut bytes = [0u8; 6];
        let mut rest = n;
        for b in &mut bytes {
            // `rest % 100` < 100, so `encode` always succeeds.
            *b = bcd::encode((rest % 100) as u8).unwrap_or(0);
            rest /= 100;
        }
        Some(Address(bytes))
    }

    /// The address from its six wire bytes (`A0` first).
    #[inline]
    pub const fn from_bytes(bytes: [u8; 6]) -> Address {
        Address(bytes)
    }

    /// The six wire bytes (`A0` first).
    #[inline]
    pub const fn as_bytes(&self) -> &[u8; 6] {
        &self.0
    }

    /// The address as a number, if all twelve digits are BCD (no wildcard).
    #[inline]
    pub fn number(&self) -> Option<u64> {
        let mut n = 0u64;
        for b in self.0.iter().rev() {
            n = n * 100 + u64::from(bcd::decode(*b)?);
        }
        Some(n)
    }

    /// Is this the broadcast address 999999999999?
    #[inline]
    pub fn is_broadcast(&self) -> bool {
        *self == Self::BROADCAST
    }

    /// Is this the all-AA wildcard?
    #[inline]
    pub fn is_wildcard(&self) -> bool {
        *self == Self::WILDCARD
    }

    /// Is this a partial wildcard: some high digits `A`, at least one real digit below?
    ///
    /// The wildcard digits must be the high ones (vendor manuals: "AAAAAAAAA123" addresses the
    /// meter ending in 123, so a byte may be half wildcard, `A1`).
    #[inline]
    pub fn is_partial_wildcard(&self) -> bool {
        let aa = self.wildcard_digits();
        aa > 0 && aa < 12
    }

    /// How many high bytes (from A5 down) are wholly the wildcard `AA`.
    #[inline]
    pub fn wildcard_bytes(&self) -> usize {
        self.0.iter().rev().take_while(|b| **b == 0xAA).count()
    }

    /// How many high digits (from the top nibble down) are the wildcard `A`.
    pub fn wildcard_digits(&self) -> usize {
        self.nibbles().take_while(|n| *n == 0xA).count()
    }

    /// The twelve digits (nibbles), most significant first.
    fn nibbles(&self) -> impl Iterator<Item = u8> + '_ {
        self.0.iter().rev().flat_map(|b| [b >> 4, b & 0x0F])
    }

    /// Is the address well formed: BCD digits, optionally with wildcard `A` digits on top?
    pub fn is_valid(&self) -> bool {
        self.nibbles().skip_while(|n| *n == 0xA).all(|n| n <= 9)
    }

    /// May a request with function code `function` (D4..D0 of C) be sent to this address?
    ///
    /// * Broadcast is only for broadcast time (0x08), freeze (0x16) and terminal output
    ///   (0x1D) (2007 §4.2; meter firmware also accepts 0x1D), and 0x08 needs it.
    /// * The all-AA wildcard is refused by meters for write data (0x14), baud change
    ///   (0x17), demand/meter/event clear (0x19, 0x1A, 0x1B) and remote switch (0x1C)
    ///   (State-Grid meter firmware address checks); read address (0x13) and write address
    ///   (0x15) need it.
    /// * Partial wildcards are accepted wherever a real address is.
    #[inline]
    pub fn allowed_for(&self, function: u8) -> bool {
        if self.is_broadcast() {
            return matches!(function, 0x08 | 0x16 | 0x1D);
        }
        if function == 0x08 {
            return false;
        }
        if matches!(function, 0x13 | 0x15) {
            return self.is_wildcard();
        }
        if self.is_wildcard() {
            return !matches!(function, 0x14 | 0x17 | 0x19 | 0x1A | 0x1B | 0x1C);
        }
        true
    }
}

impl fmt::Display for Address {
    /// Twelve digits, most significant first, as printed on a meter; wildcard nibbles print
    /// as `A`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0.iter().rev() {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl core::str::FromStr for Address {
    type Err = AddressParseError;

    /// Twelve characters, most significant first: digits, or `A` for a wildcard nibble.
    /// Fewer than twelve digits are padded with leading zeros.
    #[inline]
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.as_bytes();
        if s.is_empty() || s.len() > 12 {
            return Err(AddressParseError);
        }
        let mut digits = [b'0'; 12];
        let pad = 12 - s.len();
        for (d, c) in digits.iter_mut().skip(pad).zip(s) {
            *d = *c;
        }
        let mut bytes = [0u8; 6];
        for (i, b) in bytes.iter_mut().enumerate() {
            // byte i holds digits 11-2i-1 (high nibble) and 11-2i (low nibble)
            let hi = nibble(*digits.get(10 - 2 * i).ok_or(AddressParseError)?)?;
            let lo = nibble(*digits.get(11 - 2 * i).ok_or(AddressParseError)?)?;
            *b = (hi << 4) | lo;
        }
        Ok(Address(bytes))
    }
}

#[inline]
fn nibble(c: u8) -> Result<u8, AddressParseError> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'A' | b'a' => Ok(0xA),
        _ => Err(AddressParseError),
    }
}

/// A text address is not 1..=12 digits (or `A`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("an address is 1 to 12 digits 0-9 or A")]
pub struct AddressParseError;
