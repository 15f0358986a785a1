//! The plain representation of a frame: parse from a checked [`Frame`], emit into a buffer.

use crate::frame::{END, START, checksum};
use crate::{
    Address, AddressField, Afn, Control, DataUnit, Direction, Dt, Edition, EmitError, Error, Frame,
    Info,
};

/// A Q/GDW 1376.2 frame as plain data, with its data unit decoded for `edition`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FrameRepr<'a> {
    /// The edition the data unit follows.
    pub edition: Edition,
    /// The control field.
    pub control: Control,
    /// The information field; its layout must match `control.direction`.
    pub info: Info,
    /// The address field; present exactly when R1's communication-module flag is set.
    pub address: Option<AddressField>,
    /// The application function code.
    pub afn: Afn,
    /// The data unit identifier.
    pub dt: Dt,
    /// The data unit.
    pub unit: DataUnit<'a>,
}

impl<'a> FrameRepr<'a> {
    /// Decodes a checked frame; fails only when a typed data unit does not decode (the frame's
    /// raw data stays available through [`Frame::data`]).
    pub fn parse(frame: &Frame<'a>, edition: Edition) -> Result<Self, Error> {
        let control = frame.control();
        let info = frame.info();
        let address = match (frame.source(), frame.destination()) {
            (Some(source), Some(destination)) => Some(AddressField {
                source,
                relays: frame.relays().collect(),
                destination,
            }),
            _ => None,
        };
        let afn = frame.afn();
        let dt = frame.dt();
        let unit = DataUnit::parse(
            afn,
            dt,
            control.direction,
            edition,
            frame.data(),
            frame.data_offset(),
        )?;
        Ok(Self {
            edition,
            control,
            info,
            address,
            afn,
            dt,
            unit,
        })
    }

    /// Checks and decodes `bytes` (exactly one frame) in one step.
    pub fn parse_bytes(bytes: &'a [u8], edition: Edition) -> Result<Self, Error> {
        Self::parse(&Frame::new_checked(bytes)?, edition)
    }

    /// The Fn when DT names exactly one.
    pub fn fn_number(&self) -> Option<u16> {
        self.dt.fn_number()
    }

    /// The meter (slave node) this frame concerns: A3 on the way down, A1 on the way up.
    pub fn node(&self) -> Option<Address> {
        let a = self.address.as_ref()?;
        Some(match self.control.direction {
            Direction::Down => a.destination,
            Direction::Up => a.source,
        })
    }

    /// Bytes the frame takes on the wire.
    pub fn buffer_len(&self) -> usize {
        10 + self.address.as_ref().map_or(0, AddressField::wire_len)
            + 3
            + self.unit.buffer_len(self.edition)
            + 2
    }

    /// Writes the frame into `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let len = self.buffer_len();
        let len16 = u16::try_from(len).map_err(|_| EmitError::TooLong)?;
        if buf.len() < len {
            return Err(EmitError::BufferTooSmall { needed: len });
        }
        let up = self.control.direction == Direction::Up;
        if matches!(self.info, Info::Up(_)) != up {
            return Err(EmitError::DirectionMismatch);
        }
        let r1 = self.info.r1();
        match &self.address {
            None if r1.slave_node => return Err(EmitError::AddressMismatch),
            Some(_) if !r1.slave_node => return Err(EmitError::AddressMismatch),
            Some(a) if up && !a.relays.is_empty() => return Err(EmitError::AddressMismatch),
            Some(a) if !up && a.relays.len() != usize::from(r1.relay_level) => {
                return Err(EmitError::AddressMismatch);
            }
            _ => {}
        }
        let out = buf
            .get_mut(..len)
            .ok_or(EmitError::BufferTooSmall { needed: len })?;
        let [l0, l1] = len16.to_le_bytes();
        let mut head = [0u8; 10];
        head[0] = START;
        head[1] = l0;
        head[2] = l1;
        head[3] = self.control.to_byte();
        head[4..10].copy_from_slice(&self.info.to_bytes()?);
        let mut pos = 0;
        let mut put = |bytes: &[u8], out: &mut [u8]| -> Result<(), EmitError> {
            out.get_mut(pos..pos + bytes.len())
                .ok_or(EmitError::BufferTooSmall { needed: len })?
                .copy_from_slice(bytes);
            pos += bytes.len();
            Ok(())
        };
        put(&head, out)?;
        if let Some(a) = &self.address {
            put(&a.source.0, out)?;
            for r in &a.relays {
                put(&r.0, out)?;
            }
            put(&a.destination.0, out)?;
        }
        put(&[self.afn.to_byte(), self.dt.dt1, self.dt.dt2], out)?;
        let data_at = pos;
        let unit_len = self.unit.buffer_len(self.edition);
        let n = self.unit.emit(
            out.get_mut(data_at..data_at + unit_len)
                .ok_or(EmitError::BufferTooSmall { needed: len })?,
            self.edition,
        )?;
        if n != unit_len {
            return Err(EmitError::FieldOverflow);
        }
        let cs = checksum(out.get(3..len - 2).unwrap_or(&[]));
        if let Some(t) = out.get_mut(len - 2..) {
            t.copy_from_slice(&[cs, END]);
        }
        Ok(len)
    }
}
