//! A reader and a writer over data-unit bytes that track the offset for errors.

use crate::value::{DateTime, Format, MinuteTime, Quantity, Unit};
use crate::{EmitError, UnitError};

/// Reads fields in order; every error carries the offset inside the data.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The bytes read since `start`.
    pub(crate) fn since(&self, start: usize) -> &'a [u8] {
        self.buf.get(start..self.pos).unwrap_or(&[])
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], UnitError> {
        let s = self
            .buf
            .get(self.pos..self.pos + n)
            .ok_or_else(|| UnitError::Truncated {
                offset: self.buf.len(),
                needed: (self.pos + n).saturating_sub(self.buf.len()),
            })?;
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], UnitError> {
        let s = self.take(N)?;
        let mut a = [0; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, UnitError> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    pub(crate) fn u16(&mut self) -> Result<u16, UnitError> {
        Ok(u16::from_le_bytes(self.array::<2>()?))
    }

    /// Runs a decoder on the next `n` bytes, moving its error offsets to this reader's.
    pub(crate) fn with<T>(
        &mut self,
        n: usize,
        f: impl FnOnce(&'a [u8]) -> Result<T, UnitError>,
    ) -> Result<T, UnitError> {
        let at = self.pos;
        let s = self.take(n)?;
        f(s).map_err(|e| e.shifted(at))
    }

    pub(crate) fn quantity(
        &mut self,
        f: Format,
        unit: Unit,
    ) -> Result<Option<Quantity>, UnitError> {
        self.with(f.len, |b| f.decode(b, unit))
    }

    pub(crate) fn minute_time(&mut self) -> Result<Option<MinuteTime>, UnitError> {
        self.with(MinuteTime::LEN, MinuteTime::decode_opt)
    }

    pub(crate) fn date_time(&mut self) -> Result<Option<DateTime>, UnitError> {
        self.with(DateTime::LEN, DateTime::decode)
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let s = self.buf.get(self.pos..).unwrap_or(&[]);
        self.pos = self.buf.len();
        s
    }

    /// Nothing may remain.
    pub(crate) fn finish(&self) -> Result<(), UnitError> {
        if self.pos < self.buf.len() {
            Err(UnitError::Trailing { offset: self.pos })
        } else {
            Ok(())
        }
    }
}

/// Writes fields in order into a caller's buffer.
#[derive(Debug)]
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn slot(&mut self, n: usize) -> Result<&mut [u8], EmitError> {
        let needed = self.pos + n;
        let s = self
            .buf
            .get_mut(self.pos..needed)
            .ok_or(EmitError::BufferTooSmall { needed })?;
        self.pos = needed;
        Ok(s)
    }

    pub(crate) fn skip(&mut self, n: usize) -> Result<(), EmitError> {
        self.slot(n).map(|_| ())
    }

    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<(), EmitError> {
        self.slot(bytes.len())?.copy_from_slice(bytes);
        Ok(())
    }

    pub(crate) fn u8(&mut self, b: u8) -> Result<(), EmitError> {
        self.put(&[b])
    }

    pub(crate) fn u16(&mut self, v: u16) -> Result<(), EmitError> {
        self.put(&v.to_le_bytes())
    }

    /// A count or length as the 2-byte field, refusing overflow.
    pub(crate) fn count16(&mut self, n: usize) -> Result<(), EmitError> {
        self.u16(u16::try_from(n).map_err(|_| EmitError::FieldOverflow)?)
    }

    pub(crate) fn quantity(
        &mut self,
        f: Format,
        unit: Unit,
        q: Option<Quantity>,
    ) -> Result<(), EmitError> {
        let s = self.slot(f.len)?;
        f.encode(q, unit, s)
    }

    pub(crate) fn minute_time(&mut self, t: Option<MinuteTime>) -> Result<(), EmitError> {
        self.put(&MinuteTime::encode_opt(t)?)
    }

    pub(crate) fn date_time(&mut self, t: Option<DateTime>) -> Result<(), EmitError> {
        match t {
            Some(t) => self.put(&t.encode()?),
            None => self.put(&[0xEE; DateTime::LEN]),
        }
    }
}

/// The little-endian 16-bit count at `i`, if both bytes are there.
pub(crate) fn le16_at(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i..i + 2) {
        Some(&[lo, hi]) => Some(usize::from(u16::from_le_bytes([lo, hi]))),
        _ => None,
    }
}
