//! DL/T 645 frames carried inside data units, decoded with the `dlt645` crate.

use crate::DataUnit;

/// The DL/T 645 frames in a carried byte string, each with its offset, decoded with
/// [`dlt645::scan::frames`]: wake-up bytes and stray bytes before them are skipped (an AFN 02
/// F1 reply in the SPL logs has a stray `0x86` before the `FE` preamble, notes §3), and several
/// frames back to back (AFN F1 F1) come out one by one.
pub fn dlt645_frames(carried: &[u8]) -> dlt645::scan::Frames<'_> {
    dlt645::scan::frames(carried)
}

impl<'a> DataUnit<'a> {
    /// The DL/T 645 frames this data unit carries: those of a unit whose protocol byte says
    /// DL/T 645, or which carries a frame without a protocol byte (AFN 14 F1 down, AFN 14 F3).
    /// `None` when the unit carries no frame or another protocol.
    pub fn dlt645_frames(&self) -> Option<dlt645::scan::Frames<'a>> {
        match self.carried_frame()? {
            (Some(p), bytes) if p.is_dlt645() => Some(dlt645_frames(bytes)),
            (None, bytes) => Some(dlt645_frames(bytes)),
            _ => None,
        }
    }
}
