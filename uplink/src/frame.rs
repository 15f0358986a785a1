//! The checked frame view `68 L L 68 C A AFN SEQ {DA DT data}… [PW] [EC] [Tp] CS 16`
//! (notes §2.1).

use crate::{Address, Afn, Control, Direction, Error, Seq};

/// The start byte (twice).
pub const START: u8 = 0x68;
/// The end byte.
pub const END: u8 = 0x16;
/// Bytes of the envelope around the user data: 68 L L 68 … CS 16.
pub const OVERHEAD: usize = 8;
/// The shortest user data: C, A (5), AFN and SEQ.
pub const MIN_USER_LEN: usize = 8;
/// The shortest frame (user data of C, A, AFN and SEQ only).
pub const MIN_FRAME_LEN: usize = MIN_USER_LEN + OVERHEAD;
/// The longest user data the 14-bit length allows.
pub const MAX_USER_LEN: usize = 0x3FFF;
/// The longest frame.
pub const MAX_FRAME_LEN: usize = MAX_USER_LEN + OVERHEAD;
/// Offset of the data units (after C, A, AFN and SEQ).
pub const UNITS_AT: usize = 14;
/// Length of the password/MAC field PW.
pub const PW_LEN: usize = 16;
/// Protocol id of Q/GDW 1376.1 in D0–D1 of L.
pub const PROTOCOL_1376_1: u8 = 2;
/// Protocol id of Q/GDW 130-2005, the same envelope.
pub const PROTOCOL_130: u8 = 1;

/// The checksum: byte sum of the user data, mod 256.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |s, b| s.wrapping_add(*b))
}

/// Lengths of PW, EC and Tp that the header announces.
pub(crate) fn aux_lens(c: Control, afn: Afn, seq: Seq) -> (usize, usize, usize) {
    let pw = if c.dir == Direction::Down && afn.carries_pw() {
        PW_LEN
    } else {
        0
    };
    let ec = if c.acd() { 2 } else { 0 };
    let tp = if seq.tpv { 6 } else { 0 };
    (pw, ec, tp)
}

/// A frame whose envelope has been checked: both start bytes, both length copies, protocol
/// id, end byte, checksum, and room for the auxiliary fields the header announces. No
/// accessor can panic afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    buf: &'a [u8],
    units_end: usize,
}

impl<'a> Frame<'a> {
    /// Checks `buf`, which must hold exactly one frame.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, Error> {
        let head = |i: usize| {
            buf.get(i).copied().ok_or_else(|| Error::Truncated {
                needed: MIN_FRAME_LEN.saturating_sub(buf.len()),
            })
        };
        let b0 = head(0)?;
        if b0 != START {
            return Err(Error::Start {
                offset: 0,
                found: b0,
            });
        }
        let l1 = u16::from_le_bytes([head(1)?, head(2)?]);
        let l2 = u16::from_le_bytes([head(3)?, head(4)?]);
        if l1 != l2 {
            return Err(Error::LengthMismatch {
                first: l1,
                second: l2,
            });
        }
        let id = (l1 & 3) as u8;
        if id != PROTOCOL_1376_1 && id != PROTOCOL_130 {
            return Err(Error::Protocol { id });
        }
        let ulen = usize::from(l1 >> 2);
        if ulen < MIN_USER_LEN {
            return Err(Error::Length { len: l1 >> 2 });
        }
        let b5 = head(5)?;
        if b5 != START {
            return Err(Error::Start {
                offset: 5,
                found: b5,
            });
        }
        let total = ulen + OVERHEAD;
        if buf.len() < total {
            return Err(Error::Truncated {
                needed: total - buf.len(),
            });
        }
        // The end byte and checksum where L puts them come before "trailing bytes": a frame
        // whose L is short (notes §2.6, the heartbeat-with-clock sample N31) fails there.
        let end_at = total - 1;
        let end = buf.get(end_at).copied().unwrap_or(0);
        if end != END {
            return Err(Error::End {
                offset: end_at,
                found: end,
            });
        }
        let cs_at = total - 2;
        let user = buf.get(6..cs_at).unwrap_or(&[]);
        let computed = checksum(user);
        let found = buf.get(cs_at).copied().unwrap_or(0);
        if computed != found {
            return Err(Error::Checksum {
                offset: cs_at,
                computed,
                found,
            });
        }
        if buf.len() > total {
            return Err(Error::Trailing {
                offset: total,
                extra: buf.len() - total,
            });
        }
        let c = Control::from_byte(buf.get(6).copied().unwrap_or(0));
        let afn = Afn::from_byte(buf.get(12).copied().unwrap_or(0));
        let seq = Seq::from_byte(buf.get(13).copied().unwrap_or(0));
        let (pw, ec, tp) = aux_lens(c, afn, seq);
        let needed = MIN_USER_LEN + pw + ec + tp;
        if ulen < needed {
            return Err(Error::Aux {
                offset: UNITS_AT,
                needed,
            });
        }
        Ok(Self {
            buf,
            units_end: cs_at - pw - ec - tp,
        })
    }

    fn byte(&self, i: usize) -> u8 {
        self.buf.get(i).copied().unwrap_or(0)
    }

    /// The whole frame.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// The protocol id in D0–D1 of L: 2 for Q/GDW 1376.1, 1 for Q/GDW 130-2005.
    pub fn protocol(&self) -> u8 {
        self.byte(1) & 3
    }

    /// The user data: C through the last auxiliary byte.
    pub fn user_data(&self) -> &'a [u8] {
        self.buf.get(6..self.buf.len() - 2).unwrap_or(&[])
    }

    /// The control field.
    pub fn control(&self) -> Control {
        Control::from_byte(self.byte(6))
    }

    /// The address field.
    pub fn address(&self) -> Address {
        Address::from_bytes([
            self.byte(7),
            self.byte(8),
            self.byte(9),
            self.byte(10),
            self.byte(11),
        ])
    }

    /// The application function code.
    pub fn afn(&self) -> Afn {
        Afn::from_byte(self.byte(12))
    }

    /// The sequence field.
    pub fn seq(&self) -> Seq {
        Seq::from_byte(self.byte(13))
    }

    /// The data units: every {DA DT data} group, without PW, EC and Tp.
    pub fn units(&self) -> &'a [u8] {
        self.buf.get(UNITS_AT..self.units_end).unwrap_or(&[])
    }

    /// The auxiliary fields PW, EC, Tp (as present), in wire order.
    pub fn aux(&self) -> &'a [u8] {
        self.buf
            .get(self.units_end..self.buf.len() - 2)
            .unwrap_or(&[])
    }

    /// The password/MAC field, on downlink frames of the AFNs that carry it.
    pub fn pw(&self) -> Option<&'a [u8]> {
        let (pw, _, _) = aux_lens(self.control(), self.afn(), self.seq());
        (pw > 0).then(|| self.aux().get(..pw)).flatten()
    }

    /// The event counters EC1, EC2, on uplink frames with ACD set.
    pub fn ec(&self) -> Option<[u8; 2]> {
        let (pw, ec, _) = aux_lens(self.control(), self.afn(), self.seq());
        if ec == 0 {
            return None;
        }
        let a = self.aux();
        Some([a.get(pw).copied()?, a.get(pw + 1).copied()?])
    }

    /// The time label bytes, when TpV is set.
    pub fn tp(&self) -> Option<&'a [u8]> {
        if !self.seq().tpv {
            return None;
        }
        let a = self.aux();
        a.get(a.len().checked_sub(6)?..)
    }
}
