//! The password/MAC check of state-changing requests (notes §2.1: downlink AFN 01, 04, 05, 06,
//! 0F and 10 carry the 16-byte PW field).

use crate::{FrameRepr, PW_LEN};

/// Why a state-changing request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Denial {
    /// The frame has no PW field although its AFN needs one.
    MissingPassword,
    /// The PW field does not match.
    WrongPassword,
    /// A check of the caller's own refused it, with its code.
    Refused(u8),
}

/// A pluggable check of the PW field of a state-changing request.
pub trait Authorize {
    /// Accepts or refuses `request`, whose AFN carries PW ([`crate::Afn::carries_pw`]).
    fn check(&mut self, request: &FrameRepr<'_>) -> Result<(), Denial>;
}

/// The default check: PW must equal a configured 16-byte key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyCheck {
    key: [u8; PW_LEN],
}

impl KeyCheck {
    /// A check against `key`.
    pub const fn new(key: [u8; PW_LEN]) -> Self {
        Self { key }
    }
}

impl Authorize for KeyCheck {
    fn check(&mut self, request: &FrameRepr<'_>) -> Result<(), Denial> {
        let pw = request.pw.ok_or(Denial::MissingPassword)?;
        // Compare every byte so the time taken does not tell how many bytes matched.
        let diff = pw
            .iter()
            .zip(self.key.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if diff == 0 {
            Ok(())
        } else {
            Err(Denial::WrongPassword)
        }
    }
}

impl<T: Authorize + ?Sized> Authorize for &mut T {
    fn check(&mut self, request: &FrameRepr<'_>) -> Result<(), Denial> {
        (**self).check(request)
    }
}
