//! Data records: splitting the variable data structure into DIB + VIB + data, without
//! allocation (EN 13757-3 clause 6.3-6.5).

use crate::app::dib::{DataCoding, Dib, MAX_EXTENSIONS, Special};
use crate::app::error::RecordError;
use crate::app::header::ByteOrder;
use crate::app::unit::Description;
use crate::app::value::{DateTime, Number, Value, decode_bcd, decode_int};
use crate::app::vib::{PlainTextMode, PlainTextPlacement, Vib};

/// What a record carries besides the usual DIB/VIB/data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// A data record with a VIB.
    Data,
    /// DIF 0x0F: manufacturer-specific data to the end of the telegram.
    ManufacturerData,
    /// DIF 0x1F: manufacturer-specific data, and more records follow in the next telegram.
    MoreRecordsFollow,
    /// DIF 0x7F: global readout request (master to slave, no VIB, no data).
    GlobalReadout,
}

/// One data record, borrowing its bytes from the telegram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record<'a> {
    offset: usize,
    wire_len: usize,
    kind: RecordKind,
    dib: Dib,
    vib: Option<Vib<'a>>,
    lvar: Option<u8>,
    data: &'a [u8],
    order: ByteOrder,
}

impl<'a> Record<'a> {
    /// Offset of the DIF in the user data.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Bytes the record takes in the user data (DIB, VIB, LVAR and data; idle fillers before
    /// it not counted).
    pub fn wire_len(&self) -> usize {
        self.wire_len
    }

    /// What kind of record this is.
    pub fn kind(&self) -> RecordKind {
        self.kind
    }

    /// The data information block.
    pub fn dib(&self) -> &Dib {
        &self.dib
    }

    /// The value information block (`None` for DIF 0x0F/0x1F/0x7F).
    pub fn vib(&self) -> Option<&Vib<'a>> {
        self.vib.as_ref()
    }

    /// The LVAR byte of a variable-length record.
    pub fn lvar(&self) -> Option<u8> {
        self.lvar
    }

    /// The data bytes as sent (after the LVAR byte, if any).
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Byte order of multi-byte values.
    pub fn byte_order(&self) -> ByteOrder {
        self.order
    }

    /// Quantity, unit and exponent (`None` without a VIB).
    pub fn describe(&self) -> Option<Description> {
        self.vib.as_ref().map(Vib::describe)
    }

    /// Whether a BCD value has a nibble that is not a decimal digit (decoded leniently).
    pub fn bcd_invalid(&self) -> bool {
        matches!(
            self.value(),
            Value::Bcd {
                invalid_digits: true,
                ..
            }
        )
    }

    /// The decoded value.
    pub fn value(&self) -> Value<'a> {
        let data = self.data;
        match self.kind {
            RecordKind::ManufacturerData | RecordKind::MoreRecordsFollow => {
                return Value::Manufacturer(data);
            }
            RecordKind::GlobalReadout => return Value::None,
            RecordKind::Data => {}
        }
        let time = self.vib.as_ref().is_some_and(Vib::is_time_point);
        match self.dib.coding() {
            DataCoding::NoData | DataCoding::SelectionForReadout | DataCoding::Special => {
                Value::None
            }
            DataCoding::Real32 => {
                let mut b = [0u8; 4];
                b.copy_from_slice(data.get(..4).unwrap_or(&[0; 4]));
                let bits = match self.order {
                    ByteOrder::LsbFirst => u32::from_le_bytes(b),
                    ByteOrder::MsbFirst => u32::from_be_bytes(b),
                };
                Value::Real(f32::from_bits(bits))
            }
            DataCoding::Int16 | DataCoding::Int24 | DataCoding::Int32 | DataCoding::Int48
                if time =>
            {
                time_value(data, self.order)
            }
            DataCoding::Int8
            | DataCoding::Int16
            | DataCoding::Int24
            | DataCoding::Int32
            | DataCoding::Int48
            | DataCoding::Int64 => Value::Integer(decode_int(data, self.order)),
            DataCoding::Bcd2
            | DataCoding::Bcd4
            | DataCoding::Bcd6
            | DataCoding::Bcd8
            | DataCoding::Bcd12 => {
                let (value, valid) = decode_bcd(data, self.order);
                Value::Bcd {
                    value,
                    invalid_digits: !valid,
                }
            }
            DataCoding::VariableLength => match self.lvar.unwrap_or(0) {
                0x00..=0xBF => Value::Text(data),
                l @ 0xC0..=0xDF => {
                    let negative = l >= 0xD0;
                    if data.len() <= 9 {
                        let (v, valid) = decode_bcd(data, self.order);
                        let value = if negative { v.wrapping_neg() } else { v };
                        Value::Bcd {
                            value,
                            invalid_digits: !valid,
                        }
                    } else {
                        Value::LongBcd {
                            bytes: data,
                            negative,
                        }
                    }
                }
                _ => Value::Binary(data),
            },
        }
    }

    /// The value as an exact number with the VIB's exponent: integers and BCD, `None` for
    /// anything else (text, dates, reals, raw data).
    pub fn number(&self) -> Option<Number> {
        let desc = self.describe()?;
        let mantissa = match self.value() {
            Value::Integer(v) | Value::Bcd { value: v, .. } => v,
            _ => return None,
        };
        Some(Number {
            mantissa,
            exponent: desc.exponent,
        })
    }
}

fn time_value<'a>(data: &'a [u8], order: ByteOrder) -> Value<'a> {
    let mut buf = [0u8; 6];
    let n = data.len().min(6);
    for i in 0..n {
        let src = match order {
            ByteOrder::LsbFirst => i,
            ByteOrder::MsbFirst => n - 1 - i,
        };
        if let (Some(d), Some(s)) = (buf.get_mut(i), data.get(src)) {
            *d = *s;
        }
    }
    match DateTime::decode(buf.get(..n).unwrap_or(&[])) {
        Some(t) => Value::DateTime(t),
        None => Value::Integer(decode_int(data, order)),
    }
}

/// Length of an LVAR data field: EN 13757-3:2018 table 5 and the older m-bus.com 4.8 text
/// (0xC0..0xCF / 0xD0..0xDF BCD), taken together. `None` for the reserved codes.
pub fn lvar_len(lvar: u8) -> Option<usize> {
    Some(match lvar {
        0x00..=0xBF => usize::from(lvar),
        0xC0..=0xCF => usize::from(lvar - 0xC0),
        0xD0..=0xDF => usize::from(lvar - 0xD0),
        0xE0..=0xEF => usize::from(lvar - 0xE0),
        0xF0..=0xF4 => 4 * usize::from(lvar - 0xEC),
        0xF5 => 48,
        0xF6 => 64,
        _ => return None,
    })
}

/// Options for splitting records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// Where to look for the plain-text unit of VIF 0xFC.
    pub plain_text: PlainTextMode,
    /// Byte order of the values.
    pub byte_order: ByteOrder,
}

/// Iterator over the records of a variable data structure. Yields `Err` once, at the first
/// record that cannot be split, and then ends. No allocation.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
    opts: ParseOptions,
    done: bool,
    more: bool,
}

impl<'a> Records<'a> {
    /// Records in `data`, whose first byte is at `base` in the user data (for error offsets).
    pub fn new(data: &'a [u8], base: usize, opts: ParseOptions) -> Self {
        Self {
            data,
            pos: 0,
            base,
            opts,
            done: false,
            more: false,
        }
    }

    /// Whether a DIF 0x1F ("more records follow") has been seen so far. Scans ahead
    /// without consuming: true if this telegram ends with DIF 0x1F.
    pub fn more_records_follow(&self) -> bool {
        self.more
            || self
                .clone()
                .filter_map(Result::ok)
                .any(|r| r.kind() == RecordKind::MoreRecordsFollow)
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.data.get(at).copied()
    }

    fn parse_one(&mut self) -> Option<Result<Record<'a>, RecordError>> {
        // Skip idle fillers (DIF 0x2F).
        while self.byte(self.pos) == Some(0x2F) {
            self.pos += 1;
        }
        let start = self.pos;
        let dif = self.byte(start)?;
        let offset = self.base + start;
        let mut i = start + 1;
        match Special::from_dif(dif) {
            Some(Special::ManufacturerData) | Some(Special::MoreRecordsFollow) => {
                let rest = self.data.get(i..).unwrap_or(&[]);
                self.pos = self.data.len();
                let kind = if dif == 0x1F {
                    self.more = true;
                    RecordKind::MoreRecordsFollow
                } else {
                    RecordKind::ManufacturerData
                };
                let dib = Dib::from_parts(dif, &[])?;
                return Some(Ok(Record {
                    offset,
                    wire_len: self.data.len() - start,
                    kind,
                    dib,
                    vib: None,
                    lvar: None,
                    data: rest,
                    order: self.opts.byte_order,
                }));
            }
            Some(Special::GlobalReadout) => {
                self.pos = i;
                let dib = Dib::from_parts(dif, &[])?;
                return Some(Ok(Record {
                    offset,
                    wire_len: 1,
                    kind: RecordKind::GlobalReadout,
                    dib,
                    vib: None,
                    lvar: None,
                    data: &[],
                    order: self.opts.byte_order,
                }));
            }
            Some(Special::Reserved(dif)) => {
                return Some(Err(RecordError::ReservedDif { offset, dif }));
            }
            Some(Special::IdleFiller) | None => {}
        }
        // DIFE chain.
        let mut difes = [0u8; MAX_EXTENSIONS];
        let mut ndife = 0usize;
        let mut ext = dif & 0x80 != 0;
        while ext {
            let Some(b) = self.byte(i) else {
                return Some(Err(RecordError::TruncatedDib { offset }));
            };
            let Some(slot) = difes.get_mut(ndife) else {
                return Some(Err(RecordError::TooManyDifes { offset }));
            };
            *slot = b;
            ndife += 1;
            i += 1;
            ext = b & 0x80 != 0;
        }
        let dib = Dib::from_parts(dif, difes.get(..ndife).unwrap_or(&[]))?;
        // VIF.
        let Some(vif) = self.byte(i) else {
            return Some(Err(RecordError::TruncatedVib { offset }));
        };
        i += 1;
        let plain = vif & 0x7F == 0x7C;
        let placement = if plain && vif & 0x80 != 0 {
            self.choose_placement(i)
        } else {
            PlainTextPlacement::AfterVif
        };
        let mut text: &'a [u8] = &[];
        if plain && placement == PlainTextPlacement::AfterVif {
            match self.text_at(i, offset) {
                Ok((t, next)) => {
                    text = t;
                    i = next;
                }
                Err(e) => return Some(Err(e)),
            }
        }
        let mut vifes = [0u8; MAX_EXTENSIONS];
        let mut nvife = 0usize;
        let mut ext = vif & 0x80 != 0;
        while ext {
            let Some(b) = self.byte(i) else {
                return Some(Err(RecordError::TruncatedVib { offset }));
            };
            let Some(slot) = vifes.get_mut(nvife) else {
                return Some(Err(RecordError::TooManyVifes { offset }));
            };
            *slot = b;
            nvife += 1;
            i += 1;
            ext = b & 0x80 != 0;
        }
        if plain && placement == PlainTextPlacement::AfterVifes {
            match self.text_at(i, offset) {
                Ok((t, next)) => {
                    text = t;
                    i = next;
                }
                Err(e) => return Some(Err(e)),
            }
        }
        let vib = Vib::from_parts(vif, vifes.get(..nvife).unwrap_or(&[]), text, placement)?;
        // Data.
        let coding = dib.coding();
        let mut lvar = None;
        let len = match coding.fixed_len() {
            Some(n) => n,
            None => {
                let Some(l) = self.byte(i) else {
                    return Some(Err(RecordError::TruncatedData {
                        offset,
                        needed: 1,
                        available: 0,
                    }));
                };
                i += 1;
                lvar = Some(l);
                match lvar_len(l) {
                    Some(n) => n,
                    None => return Some(Err(RecordError::ReservedLvar { offset, lvar: l })),
                }
            }
        };
        let available = self.data.len().saturating_sub(i);
        let Some(data) = self.data.get(i..i + len) else {
            return Some(Err(RecordError::TruncatedData {
                offset,
                needed: len,
                available,
            }));
        };
        self.pos = i + len;
        Some(Ok(Record {
            offset,
            wire_len: i + len - start,
            kind: RecordKind::Data,
            dib,
            vib: Some(vib),
            lvar,
            data,
            order: self.opts.byte_order,
        }))
    }

    /// The plain-text unit at `at`: length byte and text; returns the text and the next
    /// position.
    fn text_at(&self, at: usize, offset: usize) -> Result<(&'a [u8], usize), RecordError> {
        let len = self.byte(at).ok_or(RecordError::TruncatedVib { offset })?;
        let text = self
            .data
            .get(at + 1..at + 1 + usize::from(len))
            .ok_or(RecordError::TruncatedPlainText { offset, len })?;
        Ok((text, at + 1 + usize::from(len)))
    }

    /// Decide where the plain text of VIF 0xFC sits, `at` being the byte after the VIF.
    fn choose_placement(&self, at: usize) -> PlainTextPlacement {
        match self.opts.plain_text {
            PlainTextMode::AfterVif => PlainTextPlacement::AfterVif,
            PlainTextMode::AfterVifes => PlainTextPlacement::AfterVifes,
            PlainTextMode::Auto => {
                let printable = |at: usize| -> bool {
                    match self.byte(at) {
                        Some(len) if len > 0 => self
                            .data
                            .get(at + 1..at + 1 + usize::from(len))
                            .is_some_and(|t| t.iter().all(|b| (0x20..0x7F).contains(b))),
                        _ => false,
                    }
                };
                if printable(at) {
                    return PlainTextPlacement::AfterVif;
                }
                // Standard placement: skip the VIFE chain first.
                let mut j = at;
                let mut n = 0;
                while let Some(b) = self.byte(j) {
                    j += 1;
                    n += 1;
                    if b & 0x80 == 0 || n > MAX_EXTENSIONS {
                        break;
                    }
                }
                if printable(j) {
                    PlainTextPlacement::AfterVifes
                } else {
                    PlainTextPlacement::AfterVif
                }
            }
        }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.parse_one();
        match item {
            Some(Ok(_)) => {}
            Some(Err(_)) | None => self.done = true,
        }
        item
    }
}

impl core::iter::FusedIterator for Records<'_> {}
