//! Does a telegram ask to be polled again (DIF 0x1F, "more records follow")?

use crate::Frame;
use crate::app::UserData;

/// Whether `frame` is a variable-data telegram whose records include the DIF 0x1F ("more
/// records follow", EN 13757-3 special functions): the master asks again with REQ_UD2 and
/// the FCB toggled.
///
/// The record walk is the application layer's ([`VariableData::more_records_follow`]): a
/// 0x1F DIF may be followed by
/// manufacturer bytes (`berg_dz_plus.hex` in the libmbus corpus), and a value byte 0x1F at
/// the end of a telegram is no DIF (the Itron Cyble frames), so looking at the last byte
/// alone is wrong on 4 of the 51 corpus frames.
///
/// [`VariableData::more_records_follow`]: crate::app::VariableData::more_records_follow
pub fn more_records_follow(frame: &Frame<'_>) -> bool {
    match UserData::from_frame(frame) {
        Ok(UserData::Variable(v)) => v.more_records_follow(),
        _ => false,
    }
}
