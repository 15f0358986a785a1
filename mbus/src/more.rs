//! Does a telegram ask to be polled again (DIF 0x1F, "more records follow")?

use crate::Frame;

/// The interim rule for multi-telegram readout: a variable-data RSP_UD (CI 0x72, 0x76 or
/// 0x78) whose last user-data byte is the DIF 0x1F.
///
/// EN 13757-3 puts manufacturer-specific bytes after a 0x1F DIF, so the complete rule needs
/// the record walk of the application layer; on the libmbus corpus this byte rule agrees with
/// libmbus on 47 of 51 frames (it misses `berg_dz_plus`, whose 0x1F is followed by
/// manufacturer data, and wrongly fires on three Itron Cyble frames whose last value byte is
/// 0x1F). [`MasterConfig::more_follow`](crate::MasterConfig) takes a better function.
pub fn last_byte_more_follow(frame: &Frame<'_>) -> bool {
    matches!(frame.ci(), Some(0x72 | 0x76 | 0x78)) && frame.user_data().last() == Some(&0x1F)
}
