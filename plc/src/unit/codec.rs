//! Little reader and writer shared by the data-unit decoders: every read is bounds-checked and
//! reports the absolute frame offset of the byte that was wrong.

use crate::{Address, EmitError, Error, UnitError};

/// A cursor over a data unit.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
    afn: u8,
    fn_number: u16,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8], base: usize, afn: u8, fn_number: u16) -> Self {
        Self {
            data,
            pos: 0,
            base,
            afn,
            fn_number,
        }
    }

    /// An error at data offset `pos`.
    pub(crate) fn err_at(&self, pos: usize, kind: UnitError) -> Error {
        Error::DataUnit {
            afn: self.afn,
            fn_number: self.fn_number,
            offset: self.base + pos,
            kind,
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The bytes between two positions already read.
    pub(crate) fn slice(&self, start: usize, end: usize) -> Option<&'a [u8]> {
        self.data.get(start..end)
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let s = self
            .data
            .get(self.pos..self.pos.saturating_add(n))
            .ok_or_else(|| self.err_at(self.data.len(), UnitError::Short))?;
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        let b = *self
            .data
            .get(self.pos)
            .ok_or_else(|| self.err_at(self.pos, UnitError::Short))?;
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn u16(&mut self) -> Result<u16, Error> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([
            s.first().copied().unwrap_or(0),
            s.get(1).copied().unwrap_or(0),
        ]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, Error> {
        let s = self.take(4)?;
        let mut b = [0u8; 4];
        b.copy_from_slice(s);
        Ok(u32::from_le_bytes(b))
    }

    pub(crate) fn address(&mut self) -> Result<Address, Error> {
        let at = self.pos;
        let s = self.take(6)?;
        Address::from_wire(s).ok_or_else(|| self.err_at(at, UnitError::Short))
    }

    /// One BCD byte as its value 0..=99.
    pub(crate) fn bcd(&mut self) -> Result<u8, Error> {
        let at = self.pos;
        let b = self.u8()?;
        from_bcd(b).ok_or_else(|| self.err_at(at, UnitError::Bcd))
    }

    /// A flag byte that must be 0 or 1.
    pub(crate) fn flag(&mut self) -> Result<bool, Error> {
        let at = self.pos;
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.err_at(at, UnitError::Value)),
        }
    }

    /// Fails unless every byte has been read.
    pub(crate) fn finish(&self) -> Result<(), Error> {
        if self.pos < self.data.len() {
            Err(self.err_at(self.pos, UnitError::Trailing))
        } else {
            Ok(())
        }
    }
}

/// The value of a BCD byte, `None` when a nibble is above 9.
pub(crate) fn from_bcd(b: u8) -> Option<u8> {
    let (hi, lo) = (b >> 4, b & 0x0F);
    (hi <= 9 && lo <= 9).then_some(hi * 10 + lo)
}

/// A value 0..=99 as a BCD byte.
pub(crate) fn to_bcd(v: u8) -> Result<u8, EmitError> {
    if v > 99 {
        return Err(EmitError::Value);
    }
    Ok(((v / 10) << 4) | (v % 10))
}

/// A cursor writing into the caller's buffer.
#[derive(Debug)]
pub(crate) struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl<'b> Writer<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<(), EmitError> {
        let end = self.pos + bytes.len();
        let dst = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(EmitError::BufferTooSmall { needed: end })?;
        dst.copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    pub(crate) fn u8(&mut self, v: u8) -> Result<(), EmitError> {
        self.put(&[v])
    }

    pub(crate) fn u16(&mut self, v: u16) -> Result<(), EmitError> {
        self.put(&v.to_le_bytes())
    }

    pub(crate) fn u32(&mut self, v: u32) -> Result<(), EmitError> {
        self.put(&v.to_le_bytes())
    }

    pub(crate) fn bcd(&mut self, v: u8) -> Result<(), EmitError> {
        self.u8(to_bcd(v)?)
    }

    /// A one-byte length followed by the bytes.
    pub(crate) fn short_bytes(&mut self, bytes: &[u8]) -> Result<(), EmitError> {
        let n = u8::try_from(bytes.len()).map_err(|_| EmitError::FieldOverflow)?;
        self.u8(n)?;
        self.put(bytes)
    }

    /// A two-byte length followed by the bytes.
    pub(crate) fn long_bytes(&mut self, bytes: &[u8]) -> Result<(), EmitError> {
        let n = u16::try_from(bytes.len()).map_err(|_| EmitError::FieldOverflow)?;
        self.u16(n)?;
        self.put(bytes)
    }
}
