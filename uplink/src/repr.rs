//! The plain representation of a frame: parse from a checked view, emit into a buffer.

use crate::frame::{self, END, MAX_USER_LEN, MIN_USER_LEN, OVERHEAD, PW_LEN, START, UNITS_AT};
use crate::{Address, Afn, Control, Direction, Ec, EmitError, Error, Frame, Seq, Tp, Units};

/// A Q/GDW 1376.1 frame as plain data. The data units stay borrowed bytes; walk them with
/// [`FrameRepr::data_units`] and decode each with [`DataUnit::data`](crate::DataUnit::data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRepr<'a> {
    /// Protocol id: 2 for Q/GDW 1376.1 ([`frame::PROTOCOL_1376_1`]), 1 for Q/GDW 130-2005.
    pub protocol: u8,
    /// The control field.
    pub control: Control,
    /// The address field.
    pub address: Address,
    /// The application function code.
    pub afn: Afn,
    /// The sequence field.
    pub seq: Seq,
    /// The data units, {DA DT data}… as on the wire.
    pub units: &'a [u8],
    /// PW, present exactly on downlink frames of AFN 01/04/05/06/0F/10.
    pub pw: Option<[u8; PW_LEN]>,
    /// EC, present exactly on uplink frames with ACD set.
    pub ec: Option<Ec>,
    /// Tp, present exactly when SEQ has TpV set.
    pub tp: Option<Tp>,
}

impl<'a> FrameRepr<'a> {
    /// Reads a checked frame. Fails only on a time label whose BCD is invalid.
    pub fn parse(frame: &Frame<'a>) -> Result<Self, Error> {
        let pw = frame.pw().and_then(|p| <[u8; PW_LEN]>::try_from(p).ok());
        let ec = frame
            .ec()
            .map(|[important, general]| Ec { important, general });
        let tp = match frame.tp().and_then(|t| <&[u8; 6]>::try_from(t).ok()) {
            Some(t) => {
                let at = UNITS_AT + frame.units().len() + frame.aux().len() - 6;
                Some(Tp::parse(t).map_err(|e| Error::TimeLabel(e.shifted(at)))?)
            }
            None => None,
        };
        Ok(Self {
            protocol: frame.protocol(),
            control: frame.control(),
            address: frame.address(),
            afn: frame.afn(),
            seq: frame.seq(),
            units: frame.units(),
            pw,
            ec,
            tp,
        })
    }

    /// Checks `bytes` and reads the frame.
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<Self, Error> {
        Self::parse(&Frame::new_checked(bytes)?)
    }

    /// The data units with their typed lengths from the catalogue.
    pub fn data_units(&self) -> Units<'a> {
        Units::new(self.units, self.afn, self.control.dir, UNITS_AT)
    }

    fn user_len(&self) -> usize {
        MIN_USER_LEN
            + self.units.len()
            + self.pw.map_or(0, |_| PW_LEN)
            + self.ec.map_or(0, |_| 2)
            + self.tp.map_or(0, |_| 6)
    }

    /// The bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> usize {
        self.user_len() + OVERHEAD
    }

    /// Writes the frame into `out`; returns its length.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, EmitError> {
        let (pw, ec, tp) = frame::aux_lens(self.control, self.afn, self.seq);
        if (pw > 0) != self.pw.is_some()
            || (ec > 0) != self.ec.is_some()
            || (tp > 0) != self.tp.is_some()
        {
            return Err(EmitError::AuxMismatch);
        }
        if self.protocol != frame::PROTOCOL_1376_1 && self.protocol != frame::PROTOCOL_130 {
            return Err(EmitError::Range);
        }
        let ulen = self.user_len();
        if ulen > MAX_USER_LEN {
            return Err(EmitError::TooLong);
        }
        let total = ulen + OVERHEAD;
        let out = out
            .get_mut(..total)
            .ok_or(EmitError::BufferTooSmall { needed: total })?;
        let c = self.control.to_byte().ok_or(EmitError::Range)?;
        let a = self.address.to_bytes().ok_or(EmitError::Range)?;
        let s = self.seq.to_byte().ok_or(EmitError::Range)?;
        let tp_bytes = match self.tp {
            Some(t) => Some(t.to_bytes().ok_or(EmitError::Range)?),
            None => None,
        };
        // ulen ≤ 0x3FFF, so the shifted word fits 16 bits.
        let l = ((ulen as u16) << 2 | u16::from(self.protocol)).to_le_bytes();
        let mut w = crate::unit::Writer::new(out);
        w.put(&[START])?;
        w.put(&l)?;
        w.put(&l)?;
        w.put(&[START, c])?;
        w.put(&a)?;
        w.put(&[self.afn.to_byte(), s])?;
        w.put(self.units)?;
        if let Some(p) = &self.pw {
            w.put(p)?;
        }
        if let Some(e) = self.ec {
            w.put(&[e.important, e.general])?;
        }
        if let Some(t) = &tp_bytes {
            w.put(t)?;
        }
        let cs = frame::checksum(out.get(6..total - 2).unwrap_or(&[]));
        let mut w = crate::unit::Writer::new(out);
        w.skip(total - 2)?;
        w.put(&[cs, END])?;
        Ok(total)
    }

    /// A frame from the master station (DIR = 0, PRM = 1) with an all-zero PW when `afn`
    /// carries one and no time label.
    pub fn request(address: Address, afn: Afn, code: u8, seq: Seq, units: &'a [u8]) -> Self {
        let control = Control {
            dir: Direction::Down,
            prm: true,
            fcb_acd: false,
            fcv: false,
            code,
        };
        Self {
            protocol: frame::PROTOCOL_1376_1,
            control,
            address,
            afn,
            seq,
            units,
            pw: afn.carries_pw().then_some([0; PW_LEN]),
            ec: None,
            tp: None,
        }
    }

    /// A terminal's response (DIR = 1, PRM = 0, function 8) without ACD and time label.
    pub fn response(address: Address, afn: Afn, seq: Seq, units: &'a [u8]) -> Self {
        let control = Control {
            dir: Direction::Up,
            prm: false,
            fcb_acd: false,
            fcv: false,
            code: 8,
        };
        Self {
            protocol: frame::PROTOCOL_1376_1,
            control,
            address,
            afn,
            seq,
            units,
            pw: None,
            ec: None,
            tp: None,
        }
    }
}
