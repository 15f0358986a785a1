//! A slave's RSP_UD telegrams: read from hex (the libmbus corpus), or built from a few fields;
//! its primary address and identification number patched in.

use std::fmt;
use std::path::Path;

use wired_mbus::app::{
    ByteOrder, DataCoding, Dib, Function, IdNumber, LongHeader, Manufacturer, PlainTextPlacement,
    RecordRepr, Status, Value, Vib,
};
use wired_mbus::{Address, Control, Frame, Repr, SecondaryAddress};

use crate::{HexError, parse_hex};

/// CI of a variable-data answer with a long header, LSB first.
const CI_LONG: u8 = 0x72;
/// CI of the same, MSB first.
const CI_LONG_MSB: u8 = 0x76;
/// DIF 0x1F: more records follow in the next telegram (EN 13757-3 special functions).
const DIF_MORE: u8 = 0x1F;
/// VIF 0x13: volume, 10^-3 m³ (litres) (EN 13757-3 primary VIF table, E001 0nnn).
const VIF_LITRES: u8 = 0x13;

/// A slave's telegrams could not be set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TelegramError {
    /// The hex text is not hex.
    Hex(HexError),
    /// A file could not be read.
    Io(String),
    /// Telegram `index` is not a checked frame (what the codec said).
    Frame {
        /// Which telegram (0 = first).
        index: usize,
        /// The codec's error.
        error: String,
    },
    /// Telegram `index` is a frame but no RSP_UD long frame.
    NotRspUd {
        /// Which telegram.
        index: usize,
    },
    /// No telegram at all.
    Empty,
    /// A field does not fit (identification number over 8 digits, manufacturer not three
    /// letters A..Z, a record the encoder refused, a telegram over 252 data bytes).
    Field(&'static str),
}

impl fmt::Display for TelegramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TelegramError::Hex(e) => write!(f, "bad hex: {e}"),
            TelegramError::Io(e) => write!(f, "{e}"),
            TelegramError::Frame { index, error } => {
                write!(f, "telegram {}: not an M-Bus frame: {error}", index + 1)
            }
            TelegramError::NotRspUd { index } => {
                write!(f, "telegram {}: not an RSP_UD long frame", index + 1)
            }
            TelegramError::Empty => write!(f, "no telegram"),
            TelegramError::Field(what) => write!(f, "{what}"),
        }
    }
}

impl std::error::Error for TelegramError {}

/// One simulated slave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaveConfig {
    /// Its primary address (0 = unconfigured, 1..=250).
    pub primary: u8,
    /// Its RSP_UD telegrams, whole long frames, sent in turn as the FCB toggles (a
    /// multi-telegram readout: all but the last end with DIF 0x1F).
    pub telegrams: Vec<Vec<u8>>,
}

impl SlaveConfig {
    /// A slave answering with `telegrams` (each a checked RSP_UD long frame).
    pub fn from_frames(primary: u8, telegrams: Vec<Vec<u8>>) -> Result<Self, TelegramError> {
        if telegrams.is_empty() {
            return Err(TelegramError::Empty);
        }
        for (index, t) in telegrams.iter().enumerate() {
            let frame = Frame::new_checked(t).map_err(|e| TelegramError::Frame {
                index,
                error: e.to_string(),
            })?;
            if !matches!(
                Repr::parse(&frame),
                Repr::Long {
                    control: Control::RspUd { .. },
                    ..
                }
            ) {
                return Err(TelegramError::NotRspUd { index });
            }
        }
        Ok(Self { primary, telegrams })
    }

    /// A slave answering with the frames in `hex` (one or more, one after another), as in
    /// the libmbus corpus `.hex` files.
    pub fn from_hex(primary: u8, hex: &str) -> Result<Self, TelegramError> {
        let bytes = parse_hex(hex).map_err(TelegramError::Hex)?;
        let mut telegrams = Vec::new();
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let (frame, len) = Frame::parse_prefix(rest).map_err(|e| TelegramError::Frame {
                index: telegrams.len(),
                error: e.to_string(),
            })?;
            telegrams.push(frame.as_bytes().to_vec());
            rest = rest.get(len..).unwrap_or(&[]);
        }
        Self::from_frames(primary, telegrams)
    }

    /// A slave answering with the telegrams of these hex files, in turn.
    pub fn from_hex_files<P: AsRef<Path>>(primary: u8, files: &[P]) -> Result<Self, TelegramError> {
        let mut text = String::new();
        for f in files {
            let t = std::fs::read_to_string(f.as_ref()).map_err(|e| {
                TelegramError::Io(format!("cannot read {}: {e}", f.as_ref().display()))
            })?;
            text.push_str(&t);
            text.push('\n');
        }
        Self::from_hex(primary, &text)
    }

    /// A water meter built from fields: identification number `id` (up to 8 decimal digits),
    /// manufacturer letters (`"ABC"`), medium byte (0x07 water), one telegram per volume in
    /// `litres` (storage number = telegram index), all but the last ending with DIF 0x1F.
    pub fn built(
        primary: u8,
        id: u32,
        manufacturer: &str,
        medium: u8,
        litres: &[u32],
    ) -> Result<Self, TelegramError> {
        let letters: [u8; 3] = manufacturer
            .as_bytes()
            .try_into()
            .map_err(|_| TelegramError::Field("manufacturer: three letters A..Z"))?;
        let manufacturer = Manufacturer::from_letters(letters)
            .ok_or(TelegramError::Field("manufacturer: three letters A..Z"))?;
        let id = bcd_id(id)?;
        let mut telegrams = Vec::new();
        for (k, v) in litres.iter().enumerate() {
            let header = LongHeader {
                id: IdNumber(id),
                manufacturer,
                version: 1,
                medium,
                access_number: k as u8,
                status: Status::empty(),
                signature: 0,
            };
            let mut data = vec![0u8; 12];
            header
                .emit(&mut data)
                .ok_or(TelegramError::Field("long header"))?;
            let record = RecordRepr {
                dib: Dib::new(Function::Instantaneous, DataCoding::Bcd8, k as u64, 0, 0)
                    .ok_or(TelegramError::Field("storage number"))?,
                vib: Vib::from_parts(VIF_LITRES, &[], &[], PlainTextPlacement::AfterVif)
                    .ok_or(TelegramError::Field("VIB"))?,
                lvar: None,
                value: Value::Bcd {
                    value: i64::from(*v),
                    invalid_digits: false,
                },
                order: ByteOrder::LsbFirst,
            };
            let len = record
                .buffer_len()
                .map_err(|_| TelegramError::Field("volume record"))?;
            let at = data.len();
            data.resize(at + len, 0);
            record
                .emit(data.get_mut(at..).unwrap_or(&mut []))
                .map_err(|_| TelegramError::Field("volume record"))?;
            if k + 1 < litres.len() {
                data.push(DIF_MORE);
            }
            telegrams.push(emit_long(primary, CI_LONG, &data)?);
        }
        Self::from_frames(primary, telegrams)
    }

    /// The same slave with identification number `id` (decimal, up to 8 digits) written
    /// into the long header of every telegram (so one corpus file can make several slaves).
    pub fn with_id(mut self, id: u32) -> Result<Self, TelegramError> {
        let id = bcd_id(id)?;
        for t in &mut self.telegrams {
            let frame = Frame::new_checked(t).map_err(|e| TelegramError::Frame {
                index: 0,
                error: e.to_string(),
            })?;
            let Repr::Long { ci, data, .. } = Repr::parse(&frame) else {
                continue;
            };
            let bytes = match ci {
                CI_LONG => id.to_le_bytes(),
                CI_LONG_MSB => id.to_be_bytes(),
                _ => continue,
            };
            let mut data = data.to_vec();
            if let Some(head) = data.get_mut(..4) {
                head.copy_from_slice(&bytes);
            }
            let address = frame.address().map_or(self.primary, Address::byte);
            *t = emit_long(address, ci, &data)?;
        }
        Ok(self)
    }

    /// The secondary address, from the long header of the first telegram.
    pub fn secondary(&self) -> Option<SecondaryAddress> {
        let t = self.telegrams.first()?;
        let frame = Frame::new_checked(t).ok()?;
        SecondaryAddress::from_long_header(frame.ci()?, frame.user_data())
    }
}

/// `id` (decimal) as packed BCD.
fn bcd_id(id: u32) -> Result<u32, TelegramError> {
    if id > 99_999_999 {
        return Err(TelegramError::Field(
            "identification number: at most 8 digits",
        ));
    }
    let mut out = 0u32;
    let mut rest = id;
    for shift in 0..8 {
        out |= (rest % 10) << (4 * shift);
        rest /= 10;
    }
    Ok(out)
}

/// An RSP_UD long frame from `primary` with `ci` and `data`.
fn emit_long(primary: u8, ci: u8, data: &[u8]) -> Result<Vec<u8>, TelegramError> {
    let repr = Repr::Long {
        control: Control::RspUd {
            acd: false,
            dfc: false,
        },
        address: Address::from_byte(primary),
        ci,
        data,
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut buf)
        .map_err(|_| TelegramError::Field("telegram over 252 data bytes"))?;
    Ok(buf)
}

/// `telegram` as sent by the slave at `primary`: the A field replaced, the checksum redone
/// (the control byte and user data kept as captured).
pub(crate) fn with_address(telegram: &[u8], primary: u8) -> Option<Vec<u8>> {
    let frame = Frame::new_checked(telegram).ok()?;
    let Repr::Long {
        control, ci, data, ..
    } = Repr::parse(&frame)
    else {
        return None;
    };
    let repr = Repr::Long {
        control,
        address: Address::from_byte(primary),
        ci,
        data,
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut buf).ok()?;
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_packed_bcd() {
        assert_eq!(bcd_id(12_345_678), Ok(0x1234_5678));
        assert!(bcd_id(100_000_000).is_err());
    }
}
