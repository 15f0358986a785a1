//! Data bytes that are either plain or still scrambled (+0x33), read without copying.

use core::fmt;

use crate::bcd::SCRAMBLE;

/// A run of DATA bytes.
///
/// Parsed frames borrow their bytes as they are on the wire ([`Payload::Wire`], +0x33);
/// builders hand in plain bytes ([`Payload::Plain`]). Both read the same through
/// [`Payload::get`] and [`Payload::iter`], and compare equal when their plain bytes are equal.
#[derive(Clone, Copy)]
pub enum Payload<'a> {
    /// Plain bytes, as meant.
    Plain(&'a [u8]),
    /// Bytes as on the wire: each is the plain byte + 0x33.
    Wire(&'a [u8]),
}

impl<'a> Payload<'a> {
    /// An empty payload.
    pub const EMPTY: Payload<'static> = Payload::Plain(&[]);

    /// Number of bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.raw().len()
    }

    /// Is it empty?
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.raw().is_empty()
    }

    #[inline]
    fn raw(&self) -> &'a [u8] {
        match *self {
            Payload::Plain(b) | Payload::Wire(b) => b,
        }
    }

    #[inline]
    fn unscramble(&self, b: u8) -> u8 {
        match self {
            Payload::Plain(_) => b,
            Payload::Wire(_) => b.wrapping_sub(SCRAMBLE),
        }
    }

    /// The plain byte at `i`.
    #[inline]
    pub fn get(&self, i: usize) -> Option<u8> {
        self.raw().get(i).map(|b| self.unscramble(*b))
    }

    /// The plain bytes in order.
    #[inline]
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = u8> + ExactSizeIterator + use<'a> {
        let wire = matches!(self, Payload::Wire(_));
        self.raw()
            .iter()
            .map(move |b| if wire { b.wrapping_sub(SCRAMBLE) } else { *b })
    }

    /// Bytes `range`, or `None` if out of bounds.
    #[inline]
    pub fn slice(&self, from: usize, to: usize) -> Option<Payload<'a>> {
        let r = self.raw().get(from..to)?;
        Some(match self {
            Payload::Plain(_) => Payload::Plain(r),
            Payload::Wire(_) => Payload::Wire(r),
        })
    }

    /// Split at `n`, or `None` if shorter than `n`.
    #[inline]
    pub fn split_at(&self, n: usize) -> Option<(Payload<'a>, Payload<'a>)> {
        Some((self.slice(0, n)?, self.slice(n, self.len())?))
    }

    /// The first `N` plain bytes as an array.
    #[inline]
    pub fn array<const N: usize>(&self) -> Option<[u8; N]> {
        let raw: [u8; N] = self.raw().get(..N)?.try_into().ok()?;
        Some(match self {
            Payload::Plain(_) => raw,
            Payload::Wire(_) => raw.map(|b| b.wrapping_sub(SCRAMBLE)),
        })
    }

    /// Copy the plain bytes into `out` (which must be at least [`len`](Self::len) long);
    /// returns the number copied.
    #[inline]
    pub fn copy_to(&self, out: &mut [u8]) -> usize {
        let mut n = 0;
        for (d, s) in out.iter_mut().zip(self.iter()) {
            *d = s;
            n += 1;
        }
        n
    }

    /// The bytes as given, and whether they are scrambled.
    #[inline]
    pub fn as_raw(&self) -> (&'a [u8], bool) {
        (self.raw(), matches!(self, Payload::Wire(_)))
    }
}

impl PartialEq for Payload<'_> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Payload<'_> {}

impl fmt::Debug for Payload<'_> {
    /// Plain bytes in hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Payload(")?;
        for b in self.iter() {
            write!(f, "{b:02X}")?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for Payload<'_> {
    /// Plain bytes in hex, in wire order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.iter() {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}
