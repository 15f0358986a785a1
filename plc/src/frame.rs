//! The checked frame view `68 L(2) C R(6) [A] AFN DT1 DT2 data CS 16` (notes §1.3).

use crate::{Address, Afn, Control, Direction, Dt, Error, Info};

/// The start byte.
pub const START: u8 = 0x68;
/// The end byte.
pub const END: u8 = 0x16;
/// The shortest frame: no address field, no data (notes §1.3, HW `PROTO376_2_FIXED_SIZE`).
pub const MIN_FRAME_LEN: usize = 15;
/// The longest frame the 2-byte length field allows.
pub const MAX_FRAME_LEN: usize = 0xFFFF;

/// Offset of the control byte.
const C_AT: usize = 3;
/// Offset of the information field.
const R_AT: usize = 4;
/// Offset of the address field, when present.
const A_AT: usize = 10;

/// The checksum: byte sum from C to the last data byte, mod 256.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |s, b| s.wrapping_add(*b))
}

/// Length of the address field that C and R1 announce: 0 without the module flag, 12 on the
/// way up, 12 + 6 per relay level on the way down.
fn address_len(c: u8, r1: u8) -> usize {
    if r1 & 0x04 == 0 {
        0
    } else if c & 0x80 != 0 {
        12
    } else {
        12 + 6 * usize::from(r1 >> 4)
    }
}

/// A frame whose envelope has been checked: start and end bytes, length, checksum, and room for
/// the address field R announces plus AFN and DT. No accessor can panic afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    buf: &'a [u8],
    addr_len: usize,
}

impl<'a> Frame<'a> {
    /// Checks `buf`, which must hold exactly one frame.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, Error> {
        let Some(&start) = buf.first() else {
            return Err(Error::Truncated {
                needed: MIN_FRAME_LEN,
            });
        };
        if start != START {
            return Err(Error::Start { found: start });
        }
        let (Some(&l0), Some(&l1)) = (buf.get(1), buf.get(2)) else {
            return Err(Error::Truncated {
                needed: MIN_FRAME_LEN - buf.len(),
            });
        };
        let len16 = u16::from_le_bytes([l0, l1]);
        let len = usize::from(len16);
        if len < MIN_FRAME_LEN {
            return Err(Error::Length { len: len16 });
        }
        if buf.len() < len {
            return Err(Error::Truncated {
                needed: len - buf.len(),
            });
        }
        if buf.len() > len {
            return Err(Error::Trailing {
                offset: len,
                extra: buf.len() - len,
            });
        }
        let end = buf.get(len - 1).copied().unwrap_or(0);
        if end != END {
            return Err(Error::End {
                offset: len - 1,
                found: end,
            });
        }
        let cs = buf.get(len - 2).copied().unwrap_or(0);
        let computed = checksum(buf.get(C_AT..len - 2).unwrap_or(&[]));
        if computed != cs {
            return Err(Error::Checksum {
                offset: len - 2,
                computed,
                found: cs,
            });
        }
        let c = buf.get(C_AT).copied().unwrap_or(0);
        let r1 = buf.get(R_AT).copied().unwrap_or(0);
        let addr_len = address_len(c, r1);
        let needed = A_AT + addr_len + 3 + 2;
        if needed > len {
            return Err(Error::Header {
                offset: A_AT,
                needed,
            });
        }
        Ok(Self { buf, addr_len })
    }

    fn byte(&self, at: usize) -> u8 {
        self.buf.get(at).copied().unwrap_or(0)
    }

    /// The whole frame.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// The length field (= the frame's length).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Always `false`: a checked frame has at least 15 bytes.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The control field.
    pub fn control(&self) -> Control {
        Control::from_byte(self.byte(C_AT))
    }

    /// The six raw bytes of R.
    pub fn info_bytes(&self) -> [u8; 6] {
        let mut r = [0u8; 6];
        if let Some(s) = self.buf.get(R_AT..R_AT + 6) {
            r.copy_from_slice(s);
        }
        r
    }

    /// The information field, laid out by the direction in C.
    pub fn info(&self) -> Info {
        Info::parse(self.info_bytes(), self.control().direction == Direction::Up)
    }

    /// The raw address field (empty when R1 says there is none).
    pub fn address_bytes(&self) -> &'a [u8] {
        self.buf.get(A_AT..A_AT + self.addr_len).unwrap_or(&[])
    }

    /// A1, the source address, when the address field is present.
    pub fn source(&self) -> Option<Address> {
        Address::from_wire(self.address_bytes())
    }

    /// A3, the destination address, when the address field is present.
    pub fn destination(&self) -> Option<Address> {
        let a = self.address_bytes();
        Address::from_wire(a.get(a.len().checked_sub(6)?..)?)
    }

    /// The relay addresses between A1 and A3 (downlink only).
    pub fn relays(&self) -> impl Iterator<Item = Address> + 'a {
        let a = self.address_bytes();
        a.get(6..a.len().saturating_sub(6))
            .unwrap_or(&[])
            .chunks_exact(6)
            .filter_map(Address::from_wire)
    }

    /// Offset of the AFN byte.
    pub fn afn_offset(&self) -> usize {
        A_AT + self.addr_len
    }

    /// The application function code.
    pub fn afn(&self) -> Afn {
        Afn::from_byte(self.byte(self.afn_offset()))
    }

    /// The data unit identifier.
    pub fn dt(&self) -> Dt {
        Dt {
            dt1: self.byte(self.afn_offset() + 1),
            dt2: self.byte(self.afn_offset() + 2),
        }
    }

    /// Offset of the first data byte.
    pub fn data_offset(&self) -> usize {
        self.afn_offset() + 3
    }

    /// The data unit's bytes.
    pub fn data(&self) -> &'a [u8] {
        self.buf
            .get(self.data_offset()..self.buf.len() - 2)
            .unwrap_or(&[])
    }
}
