//! The sequence field SEQ, the event counters EC and the time label Tp (notes §2.1, §2.3).

use crate::value::{self, Bcd};

/// SEQ: D7 TpV, D6 FIR, D5 FIN, D4 CON, D3–D0 PSEQ/RSEQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Seq {
    /// A time label Tp ends the auxiliary fields.
    pub tpv: bool,
    /// First frame of a (possibly multi-frame) message.
    pub fir: bool,
    /// Last frame of the message.
    pub fin: bool,
    /// The receiver must confirm.
    pub con: bool,
    /// PSEQ (initiator) or RSEQ (responder), 0–15.
    pub seq: u8,
}

/// Where a frame stands in a multi-frame message (FIR/FIN, notes §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Position {
    /// FIR = 1, FIN = 1.
    Single,
    /// FIR = 1, FIN = 0: more frames follow.
    First,
    /// FIR = 0, FIN = 0.
    Middle,
    /// FIR = 0, FIN = 1.
    Last,
}

impl Seq {
    /// Splits the SEQ byte.
    pub fn from_byte(b: u8) -> Self {
        Self {
            tpv: b & 0x80 != 0,
            fir: b & 0x40 != 0,
            fin: b & 0x20 != 0,
            con: b & 0x10 != 0,
            seq: b & 0x0F,
        }
    }

    /// The SEQ byte; `None` when `seq` is above 15.
    pub fn to_byte(&self) -> Option<u8> {
        if self.seq > 0x0F {
            return None;
        }
        Some(
            self.seq
                | u8::from(self.tpv) << 7
                | u8::from(self.fir) << 6
                | u8::from(self.fin) << 5
                | u8::from(self.con) << 4,
        )
    }

    /// A single-frame SEQ without time label.
    pub fn single(seq: u8, con: bool) -> Self {
        Self {
            tpv: false,
            fir: true,
            fin: true,
            con,
            seq,
        }
    }

    /// FIR/FIN read together.
    pub fn position(&self) -> Position {
        match (self.fir, self.fin) {
            (true, true) => Position::Single,
            (true, false) => Position::First,
            (false, false) => Position::Middle,
            (false, true) => Position::Last,
        }
    }
}

/// EC, the event counters of an uplink frame with ACD set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ec {
    /// EC1: counter of important events.
    pub important: u8,
    /// EC2: counter of general events.
    pub general: u8,
}

/// Tp, the time label: frame counter PFC, send time (A.16: ss mm hh DD) and the allowed
/// transmission delay in minutes (notes §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tp {
    /// PFC, the initiator's frame counter.
    pub pfc: u8,
    /// Second, 0–59.
    pub second: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Hour, 0–23.
    pub hour: u8,
    /// Day of month, 1–31.
    pub day: u8,
    /// Allowed transmission delay in minutes (0: no limit).
    pub delay: u8,
}

impl Tp {
    /// Decodes the 6 bytes; errors carry offsets inside them.
    pub fn parse(b: &[u8; 6]) -> Result<Self, crate::UnitError> {
        let [pfc, s, m, h, d, delay] = *b;
        Ok(Self {
            pfc,
            second: value::bcd_in(s, 1, 0, 59)?,
            minute: value::bcd_in(m, 2, 0, 59)?,
            hour: value::bcd_in(h, 3, 0, 23)?,
            day: value::bcd_in(d, 4, 1, 31)?,
            delay,
        })
    }

    /// The 6 bytes; `None` when a field is out of range.
    pub fn to_bytes(&self) -> Option<[u8; 6]> {
        if self.second > 59 || self.minute > 59 || self.hour > 23 || !(1..=31).contains(&self.day) {
            return None;
        }
        Some([
            self.pfc,
            self.second.to_bcd(),
            self.minute.to_bcd(),
            self.hour.to_bcd(),
            self.day.to_bcd(),
            self.delay,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_bytes_of_the_vectors() {
        // U01: SEQ 71 = single frame, CON, seq 1; U02: 61 = single, no CON, seq 1.
        let s = Seq::from_byte(0x71);
        assert_eq!(s, Seq::single(1, true));
        assert_eq!(Seq::from_byte(0x61), Seq::single(1, false));
        assert_eq!(Seq::from_byte(0x40).position(), Position::First);
        assert_eq!(Seq::from_byte(0x00).position(), Position::Middle);
        assert_eq!(Seq::from_byte(0x20).position(), Position::Last);
        for b in 0..=255u8 {
            assert_eq!(Seq::from_byte(b).to_byte(), Some(b));
        }
    }

    #[test]
    fn tp_round_trip_and_errors() {
        let b = [7, 0x59, 0x30, 0x23, 0x31, 5];
        let tp = Tp::parse(&b).unwrap();
        assert_eq!((tp.second, tp.minute, tp.hour, tp.day), (59, 30, 23, 31));
        assert_eq!(tp.to_bytes(), Some(b));
        assert_eq!(
            Tp::parse(&[0, 0x60, 0, 0, 1, 0]),
            Err(crate::UnitError::Range { offset: 1 })
        );
        assert_eq!(
            Tp::parse(&[0, 0, 0x1A, 0, 1, 0]),
            Err(crate::UnitError::Bcd {
                offset: 2,
                found: 0x1A
            })
        );
    }
}
