//! Writing data records: the inverse of the record parser, for masters that send records
//! (SND_UD) and for round-trip tests.

use crate::app::dib::{DataCoding, Dib};
use crate::app::error::EmitError;
use crate::app::header::ByteOrder;
use crate::app::record::{Record, RecordKind, lvar_len};
use crate::app::value::{Value, encode_bcd, encode_int};
use crate::app::vib::{PlainTextPlacement, Vib};

/// A data record to write: DIB, VIB and value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordRepr<'a> {
    /// The data information block (coding, function, storage, tariff, subunit).
    pub dib: Dib,
    /// The value information block.
    pub vib: Vib<'a>,
    /// The LVAR byte, for [`DataCoding::VariableLength`] only.
    pub lvar: Option<u8>,
    /// The value; must match the coding (integers for Int*, BCD or integer for Bcd*, a
    /// [`Value::DateTime`] for Int16/24/32/48 time points, bytes for LVAR).
    pub value: Value<'a>,
    /// Byte order of the value.
    pub order: ByteOrder,
}

impl<'a> RecordRepr<'a> {
    /// The repr of a parsed data record (`None` for DIF 0x0F/0x1F/0x7F records).
    pub fn from_record(r: &Record<'a>) -> Option<Self> {
        if r.kind() != RecordKind::Data {
            return None;
        }
        Some(Self {
            dib: r.dib(),
            vib: r.vib()?,
            lvar: r.lvar(),
            value: r.value(),
            order: r.byte_order(),
        })
    }

    fn data_len(&self) -> Result<usize, EmitError> {
        let coding = self.dib.coding();
        match coding.fixed_len() {
            Some(n) => Ok(n),
            None if coding == DataCoding::VariableLength => self
                .lvar
                .and_then(lvar_len)
                .ok_or(EmitError::ValueMismatch { coding }),
            None => Err(EmitError::ValueMismatch { coding }),
        }
    }

    /// Bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> Result<usize, EmitError> {
        let lvar = usize::from(self.lvar.is_some());
        Ok(self.dib.wire_len() + self.vib.wire_len() + lvar + self.data_len()?)
    }

    /// Write the record into `out`; returns the bytes written.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, EmitError> {
        let needed = self.buffer_len()?;
        let coding = self.dib.coding();
        let mismatch = EmitError::ValueMismatch { coding };
        let len = out.len();
        let out = out
            .get_mut(..needed)
            .ok_or(EmitError::BufferTooShort { needed, len })?;
        let mut w = Writer { out, pos: 0 };
        w.put(self.dib.dif())?;
        w.put_all(self.dib.difes())?;
        w.put(self.vib.vif())?;
        let text = self.vib.plain_text_raw();
        let text_len = u8::try_from(text.len()).map_err(|_| EmitError::VibOverflow)?;
        let plain = self.vib.is_plain_text();
        if plain && self.vib.placement() == PlainTextPlacement::AfterVif {
            w.put(text_len)?;
            w.put_all(text)?;
        }
        w.put_all(self.vib.vifes())?;
        if plain && self.vib.placement() == PlainTextPlacement::AfterVifes {
            w.put(text_len)?;
            w.put_all(text)?;
        }
        if let Some(l) = self.lvar {
            w.put(l)?;
        }
        let data = w.rest();
        match (coding, self.value) {
            (DataCoding::NoData | DataCoding::SelectionForReadout, Value::None) => {}
            (
                DataCoding::Int16 | DataCoding::Int24 | DataCoding::Int32 | DataCoding::Int48,
                Value::DateTime(t),
            ) => {
                let mut tmp = [0u8; 6];
                let n = data.len();
                let t_out = tmp.get_mut(..n).ok_or(mismatch)?;
                t.encode(t_out).ok_or(mismatch)?;
                for (i, b) in t_out.iter().enumerate() {
                    let idx = match self.order {
                        ByteOrder::LsbFirst => i,
                        ByteOrder::MsbFirst => n - 1 - i,
                    };
                    *data.get_mut(idx).ok_or(mismatch)? = *b;
                }
            }
            (c, Value::Integer(v)) if c.fixed_len().is_some() && !c.is_bcd() => {
                if c == DataCoding::Real32 {
                    return Err(mismatch);
                }
                encode_int(v, data, self.order).ok_or(mismatch)?;
            }
            (DataCoding::Real32, Value::Real(f)) => {
                let b = match self.order {
                    ByteOrder::LsbFirst => f.to_bits().to_le_bytes(),
                    ByteOrder::MsbFirst => f.to_bits().to_be_bytes(),
                };
                data.copy_from_slice(&b);
            }
            (
                c,
                Value::Bcd {
                    value,
                    invalid_digits: false,
                }
                | Value::Integer(value),
            ) if c.is_bcd()
                || (c == DataCoding::VariableLength
                    && self.lvar.is_some_and(|l| (0xC0..=0xDF).contains(&l))) =>
            {
                let neg_lvar = self.lvar.is_some_and(|l| l >= 0xD0);
                let v = if neg_lvar {
                    value.checked_neg().ok_or(mismatch)?
                } else {
                    value
                };
                if neg_lvar && v < 0 {
                    return Err(mismatch);
                }
                encode_bcd(v, data, self.order).ok_or(mismatch)?;
            }
            (DataCoding::VariableLength, Value::Text(b) | Value::Binary(b)) => {
                if b.len() != data.len() {
                    return Err(mismatch);
                }
                data.copy_from_slice(b);
            }
            (DataCoding::VariableLength, Value::LongBcd { bytes, .. }) => {
                if bytes.len() != data.len() {
                    return Err(mismatch);
                }
                data.copy_from_slice(bytes);
            }
            _ => return Err(mismatch),
        }
        Ok(needed)
    }
}

struct Writer<'b> {
    out: &'b mut [u8],
    pos: usize,
}

impl<'b> Writer<'b> {
    fn put(&mut self, b: u8) -> Result<(), EmitError> {
        let len = self.out.len();
        *self
            .out
            .get_mut(self.pos)
            .ok_or(EmitError::BufferTooShort {
                needed: self.pos + 1,
                len,
            })? = b;
        self.pos += 1;
        Ok(())
    }

    fn put_all(&mut self, bytes: &[u8]) -> Result<(), EmitError> {
        bytes.iter().try_for_each(|&b| self.put(b))
    }

    fn rest(self) -> &'b mut [u8] {
        let pos = self.pos;
        self.out.get_mut(pos..).unwrap_or_default()
    }
}
