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

/// One data record, borrowing its bytes from the telegram. Small and `Copy`: the DIB, VIB
/// and value are read from the record's bytes when asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// The record's bytes, DIF to the end of the data.
    raw: &'a [u8],
    offset: usize,
    kind: RecordKind,
    order: ByteOrder,
    placement: PlainTextPlacement,
    ndife: u8,
    nvife: u8,
    has_lvar: bool,
    vif: u8,
    /// Index of the first VIFE. Indices count from the DIF; the header of a record (DIF to
    /// the first data byte) is at most 1 + 10 + 1 + 1 + 255 + 10 + 1 bytes, so `u16` holds
    /// every index.
    vifes_at: u16,
    text_at: u16,
    text_len: u8,
    data_at: u16,
}

impl<'a> Record<'a> {
    /// Offset of the DIF in the user data.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Bytes the record takes in the user data (DIB, VIB, LVAR and data; idle fillers before
    /// it not counted).
    pub fn wire_len(&self) -> usize {
        self.raw.len()
    }

    /// The record's bytes as sent.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.raw
    }

    /// What kind of record this is.
    pub fn kind(&self) -> RecordKind {
        self.kind
    }

    fn dif(&self) -> u8 {
        self.raw.first().copied().unwrap_or(0)
    }

    fn vif(&self) -> u8 {
        self.vif
    }

    fn vife_bytes(&self) -> &'a [u8] {
        let at = usize::from(self.vifes_at);
        self.raw
            .get(at..at + usize::from(self.nvife))
            .unwrap_or(&[])
    }

    fn is_time_point(&self) -> bool {
        let vif = self.vif();
        // Fast path: no VIFE, so only VIF 0x6C/0x6D can make a time point.
        if self.nvife == 0 {
            return vif & 0x7E == 0x6C;
        }
        crate::app::unit::is_time_point(vif, self.vife_bytes())
    }

    /// The data information block.
    pub fn dib(&self) -> Dib {
        let mut difes = [0u8; MAX_EXTENSIONS];
        let n = usize::from(self.ndife);
        if let (Some(d), Some(s)) = (difes.get_mut(..n), self.raw.get(1..1 + n)) {
            d.copy_from_slice(s);
        }
        Dib::from_array(self.dif(), difes, self.ndife)
    }

    /// The value information block (`None` for DIF 0x0F/0x1F/0x7F).
    pub fn vib(&self) -> Option<Vib<'a>> {
        if self.kind != RecordKind::Data {
            return None;
        }
        let mut vifes = [0u8; MAX_EXTENSIONS];
        let src = self.vife_bytes();
        vifes.get_mut(..src.len())?.copy_from_slice(src);
        let text = if self.text_at != 0 {
            let at = usize::from(self.text_at);
            self.raw
                .get(at..at + usize::from(self.text_len))
                .unwrap_or(&[])
        } else {
            &[]
        };
        Some(Vib::from_array(
            self.vif(),
            vifes,
            self.nvife,
            text,
            self.placement,
        ))
    }

    /// The LVAR byte of a variable-length record.
    pub fn lvar(&self) -> Option<u8> {
        if self.has_lvar {
            self.raw.get(usize::from(self.data_at) - 1).copied()
        } else {
            None
        }
    }

    /// The data bytes as sent (after the LVAR byte, if any).
    pub fn data(&self) -> &'a [u8] {
        self.raw.get(usize::from(self.data_at)..).unwrap_or(&[])
    }

    /// Byte order of multi-byte values.
    pub fn byte_order(&self) -> ByteOrder {
        self.order
    }

    /// Quantity, unit and exponent (`None` without a VIB).
    pub fn describe(&self) -> Option<Description> {
        if self.kind != RecordKind::Data {
            return None;
        }
        if self.nvife == 0 {
            return Some(crate::app::unit::describe(self.vif, &[]));
        }
        Some(crate::app::unit::describe(self.vif, self.vife_bytes()))
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
        let data = self.data();
        match self.kind {
            RecordKind::ManufacturerData | RecordKind::MoreRecordsFollow => {
                return Value::Manufacturer(data);
            }
            RecordKind::GlobalReadout => return Value::None,
            RecordKind::Data => {}
        }
        let coding = DataCoding::from_dif(self.dif());
        match coding {
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
                if self.is_time_point() =>
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
            DataCoding::VariableLength => match self.lvar().unwrap_or(0) {
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
        let blank = Record {
            raw: &[],
            offset,
            kind: RecordKind::Data,
            order: self.opts.byte_order,
            placement: PlainTextPlacement::AfterVif,
            ndife: 0,
            nvife: 0,
            has_lvar: false,
            vif: 0,
            vifes_at: 1,
            text_at: 0,
            text_len: 0,
            data_at: 1,
        };
        match Special::from_dif(dif) {
            Some(Special::ManufacturerData) | Some(Special::MoreRecordsFollow) => {
                let raw = self.data.get(start..).unwrap_or(&[]);
                self.pos = self.data.len();
                let kind = if dif == 0x1F {
                    self.more = true;
                    RecordKind::MoreRecordsFollow
                } else {
                    RecordKind::ManufacturerData
                };
                return Some(Ok(Record { raw, kind, ..blank }));
            }
            Some(Special::GlobalReadout) => {
                self.pos = start + 1;
                let raw = self.data.get(start..start + 1).unwrap_or(&[]);
                return Some(Ok(Record {
                    raw,
                    kind: RecordKind::GlobalReadout,
                    ..blank
                }));
            }
            Some(Special::Reserved(dif)) => {
                return Some(Err(RecordError::ReservedDif { offset, dif }));
            }
            Some(Special::IdleFiller) | None => {}
        }
        let rec = self.data.get(start..).unwrap_or(&[]);
        let byte = |i: usize| rec.get(i).copied();
        let mut i = 1;
        // DIFE chain.
        let mut ext = dif & 0x80 != 0;
        while ext {
            let Some(b) = byte(i) else {
                return Some(Err(RecordError::TruncatedDib { offset }));
            };
            if i > MAX_EXTENSIONS {
                return Some(Err(RecordError::TooManyDifes { offset }));
            }
            i += 1;
            ext = b & 0x80 != 0;
        }
        let ndife = (i - 1) as u8;
        // VIF.
        let Some(vif) = byte(i) else {
            return Some(Err(RecordError::TruncatedVib { offset }));
        };
        i += 1;
        let plain = vif & 0x7F == 0x7C;
        let placement = if vif == 0xFC {
            self.choose_placement(start + i)
        } else {
            PlainTextPlacement::AfterVif
        };
        let (mut text_at, mut text_len) = (0usize, 0u8);
        if plain && placement == PlainTextPlacement::AfterVif {
            match self.text_at(start + i, offset) {
                Ok((len, next)) => {
                    text_at = i + 1;
                    text_len = len;
                    i = next - start;
                }
                Err(e) => return Some(Err(e)),
            }
        }
        let vifes_at = i;
        let mut ext = vif & 0x80 != 0;
        while ext {
            let Some(b) = byte(i) else {
                return Some(Err(RecordError::TruncatedVib { offset }));
            };
            if i - vifes_at >= MAX_EXTENSIONS {
                return Some(Err(RecordError::TooManyVifes { offset }));
            }
            i += 1;
            ext = b & 0x80 != 0;
        }
        let nvife = (i - vifes_at) as u8;
        if plain && placement == PlainTextPlacement::AfterVifes {
            match self.text_at(start + i, offset) {
                Ok((len, next)) => {
                    text_at = i + 1;
                    text_len = len;
                    i = next - start;
                }
                Err(e) => return Some(Err(e)),
            }
        }
        // Data.
        let coding = DataCoding::from_dif(dif);
        let mut has_lvar = false;
        let len = match coding.fixed_len() {
            Some(n) => n,
            None => {
                let Some(l) = byte(i) else {
                    return Some(Err(RecordError::TruncatedData {
                        offset,
                        needed: 1,
                        available: 0,
                    }));
                };
                i += 1;
                has_lvar = true;
                match lvar_len(l) {
                    Some(n) => n,
                    None => return Some(Err(RecordError::ReservedLvar { offset, lvar: l })),
                }
            }
        };
        let available = rec.len().saturating_sub(i);
        let Some(raw) = rec.get(..i + len) else {
            return Some(Err(RecordError::TruncatedData {
                offset,
                needed: len,
                available,
            }));
        };
        self.pos = start + i + len;
        // Indices below 300 (see the field comment): the casts are lossless.
        Some(Ok(Record {
            raw,
            placement,
            ndife,
            nvife,
            has_lvar,
            vif,
            vifes_at: vifes_at as u16,
            text_at: text_at as u16,
            text_len,
            data_at: i as u16,
            ..blank
        }))
    }

    /// The plain-text unit at `at`: its length byte; returns the length and the position
    /// after the text.
    fn text_at(&self, at: usize, offset: usize) -> Result<(u8, usize), RecordError> {
        let len = self.byte(at).ok_or(RecordError::TruncatedVib { offset })?;
        let end = at + 1 + usize::from(len);
        if end > self.data.len() {
            return Err(RecordError::TruncatedPlainText { offset, len });
        }
        Ok((len, end))
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
