//! AFN 00 F3, confirmation or denial per data unit: AFN, then {DA DT ERR}… (notes §2.5).

use super::cursor::{Reader, Writer};
use super::list::{Item, List};
use crate::{Afn, Da, Dt, EmitError, UnitError};

/// One per-unit answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AckEntry {
    /// The point set answered.
    pub da: Da,
    /// The class set answered.
    pub dt: Dt,
    /// 0 = confirmed; other codes deny (1 = error / no such data).
    pub err: u8,
}

impl Item for AckEntry {
    const LEN: usize = 5;

    fn decode(b: &[u8]) -> Result<Self, UnitError> {
        let [da1, da2, dt1, dt2, err] = Reader::new(b).array()?;
        Ok(Self {
            da: Da { da1, da2 },
            dt: Dt { dt1, dt2 },
            err,
        })
    }

    fn encode(&self, out: &mut [u8]) -> Result<(), EmitError> {
        Writer::new(out).put(&[self.da.da1, self.da.da2, self.dt.dt1, self.dt.dt2, self.err])
    }
}

/// The AFN 00 F3 data unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckList<'a> {
    /// The AFN of the frame answered.
    pub afn: Afn,
    /// The answers.
    pub entries: List<'a, AckEntry>,
}

impl<'a> AckList<'a> {
    /// Reads the unit, which runs to the end of the data units.
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, UnitError> {
        let afn = Afn::from_byte(r.u8()?);
        let at = r.pos();
        let rest = r.rest();
        if !rest.len().is_multiple_of(AckEntry::LEN) {
            return Err(UnitError::Trailing {
                offset: at + rest.len() / AckEntry::LEN * AckEntry::LEN,
            });
        }
        let mut inner = Reader::new(rest);
        let entries =
            List::read(&mut inner, rest.len() / AckEntry::LEN).map_err(|e| e.shifted(at))?;
        Ok(Self { afn, entries })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.u8(self.afn.to_byte())?;
        self.entries.write(w)
    }
}
