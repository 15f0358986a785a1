//! Lists inside data units, borrowed either from the wire or from the caller's items, so a
//! parsed unit needs no allocation and a built one needs none either.

use super::cursor::{Reader, Writer};
use crate::value::{Format, Quantity, Unit};
use crate::{EmitError, UnitError};

/// A fixed-size item of a list (an archive entry, a meter serial, a per-unit confirmation).
pub trait Item: Sized + Copy + PartialEq {
    /// Bytes on the wire.
    const LEN: usize;
    /// Decodes exactly `LEN` bytes; error offsets inside them.
    fn decode(b: &[u8]) -> Result<Self, UnitError>;
    /// Writes exactly `LEN` bytes.
    fn encode(&self, out: &mut [u8]) -> Result<(), EmitError>;
}

/// A list of fixed-size items: checked wire bytes, or the caller's slice.
#[derive(Debug, Clone, Copy)]
pub enum List<'a, T> {
    /// Items as received (every one decoded once when the list was parsed).
    Wire(&'a [u8]),
    /// Items to send.
    Items(&'a [T]),
}

impl<'a, T: Item> List<'a, T> {
    /// Checks `n` items at the reader.
    pub(crate) fn read(r: &mut Reader<'a>, n: usize) -> Result<Self, UnitError> {
        let at = r.pos();
        let bytes = r.take(n * T::LEN)?;
        for (i, c) in bytes.chunks_exact(T::LEN).enumerate() {
            T::decode(c).map_err(|e| e.shifted(at + i * T::LEN))?;
        }
        Ok(Self::Wire(bytes))
    }

    /// How many items.
    pub fn len(&self) -> usize {
        match self {
            Self::Wire(b) => b.len() / T::LEN,
            Self::Items(s) => s.len(),
        }
    }

    /// No items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The items in order.
    pub fn iter(&self) -> impl Iterator<Item = T> + 'a {
        let (wire, items): (&'a [u8], &'a [T]) = match *self {
            Self::Wire(b) => (b, &[]),
            Self::Items(s) => (&[], s),
        };
        wire.chunks_exact(T::LEN)
            .filter_map(|c| T::decode(c).ok())
            .chain(items.iter().copied())
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        for item in self.iter() {
            item.encode(w.slot(T::LEN)?)?;
        }
        Ok(())
    }
}

impl<T: Item> PartialEq for List<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<T: Item + Eq> Eq for List<'_, T> {}

impl Item for u16 {
    const LEN: usize = 2;
    fn decode(b: &[u8]) -> Result<Self, UnitError> {
        Reader::new(b).u16()
    }
    fn encode(&self, out: &mut [u8]) -> Result<(), EmitError> {
        Writer::new(out).u16(*self)
    }
}

/// A run of values of one data format and unit (tariff registers, curve points).
#[derive(Debug, Clone, Copy)]
pub struct Values<'a> {
    /// Their data format.
    pub format: Format,
    /// Their unit.
    pub unit: Unit,
    src: Src<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Src<'a> {
    Wire(&'a [u8]),
    Items(&'a [Option<Quantity>]),
}

impl<'a> Values<'a> {
    /// Values to send (`None` is "no data", written as `EE`).
    pub fn new(format: Format, unit: Unit, values: &'a [Option<Quantity>]) -> Self {
        Self {
            format,
            unit,
            src: Src::Items(values),
        }
    }

    /// Checks `n` values at the reader.
    pub(crate) fn read(
        r: &mut Reader<'a>,
        format: Format,
        unit: Unit,
        n: usize,
    ) -> Result<Self, UnitError> {
        let at = r.pos();
        let bytes = r.take(n * format.len)?;
        for (i, c) in bytes.chunks_exact(format.len).enumerate() {
            format
                .decode(c, unit)
                .map_err(|e| e.shifted(at + i * format.len))?;
        }
        Ok(Self {
            format,
            unit,
            src: Src::Wire(bytes),
        })
    }

    /// How many values.
    pub fn len(&self) -> usize {
        match self.src {
            Src::Wire(b) => b.len() / self.format.len,
            Src::Items(s) => s.len(),
        }
    }

    /// No values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values in order; `None` is "no data".
    pub fn iter(&self) -> impl Iterator<Item = Option<Quantity>> + 'a {
        let (wire, items): (&'a [u8], &'a [Option<Quantity>]) = match self.src {
            Src::Wire(b) => (b, &[]),
            Src::Items(s) => (&[], s),
        };
        let (format, unit) = (self.format, self.unit);
        wire.chunks_exact(format.len)
            .filter_map(move |c| format.decode(c, unit).ok())
            .chain(items.iter().copied())
    }

    /// The value at `i`.
    pub fn get(&self, i: usize) -> Option<Option<Quantity>> {
        self.iter().nth(i)
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        for v in self.iter() {
            w.quantity(self.format, self.unit, v)?;
        }
        Ok(())
    }
}

impl PartialEq for Values<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.format == other.format
            && self.unit == other.unit
            && self.len() == other.len()
            && self.iter().eq(other.iter())
    }
}

impl Eq for Values<'_> {}
