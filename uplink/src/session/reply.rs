//! The application's side of a request: the handler trait and the reply it fills.

use crate::unit::{Data, emit_group, group_len};
use crate::{Da, Dt, FrameRepr};

/// The most {DA DT data} groups one reply holds.
pub const MAX_GROUPS: usize = 64;

/// A reply group did not fit the session's reply buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("reply buffer full: {needed} more bytes or one more group needed")]
pub struct ReplyFull {
    /// Bytes the refused group needed.
    pub needed: usize,
}

/// The data units of a reply, collected as whole {DA DT data} groups so the session can
/// split a long reply into frames at group boundaries.
#[derive(Debug)]
pub struct Reply<'b> {
    buf: &'b mut [u8],
    len: usize,
    ends: [u16; MAX_GROUPS],
    groups: usize,
}

impl<'b> Reply<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            len: 0,
            ends: [0; MAX_GROUPS],
            groups: 0,
        }
    }

    /// Appends one group already encoded (DA, DT and data bytes).
    pub fn push_raw(&mut self, group: &[u8]) -> Result<(), ReplyFull> {
        let end = self.len + group.len();
        let full = ReplyFull {
            needed: group.len(),
        };
        let slot = self.buf.get_mut(self.len..end).ok_or(full)?;
        let end16 = u16::try_from(end).map_err(|_| full)?;
        let mark = self.ends.get_mut(self.groups).ok_or(full)?;
        slot.copy_from_slice(group);
        *mark = end16;
        self.groups += 1;
        self.len = end;
        Ok(())
    }

    /// Appends one group: `da`, `dt` and the typed data (one per (pn, Fn)).
    pub fn push(&mut self, da: Da, dt: Dt, data: &[Data<'_>]) -> Result<(), ReplyFull> {
        let need = group_len(data);
        let full = ReplyFull { needed: need };
        let end = self.len + need;
        let slot = self.buf.get_mut(self.len..end).ok_or(full)?;
        let n = emit_group(slot, da, dt, data).map_err(|_| full)?;
        let end16 = u16::try_from(self.len + n).map_err(|_| full)?;
        let mark = self.ends.get_mut(self.groups).ok_or(full)?;
        *mark = end16;
        self.groups += 1;
        self.len += n;
        Ok(())
    }

    /// The bytes collected.
    pub fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.groups == 0
    }

    /// End offsets of the groups.
    pub(crate) fn ends(&self) -> &[u16] {
        self.ends.get(..self.groups).unwrap_or(&[])
    }
}

/// What the application did with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The reply holds the data asked for: sent as a response with the request's AFN.
    Data,
    /// A command was executed: AFN 00 F1 when the request has CON set, nothing otherwise.
    Done,
    /// Refused or no such data: AFN 00 F2.
    Deny,
    /// No answer at all (a frame the terminal does not take part in).
    Ignore,
}

/// The application behind the session: executes requests that passed the checks.
pub trait Handler {
    /// Executes `request` (already checked for address, repetition and password) and fills
    /// `reply` when it answers with data.
    fn request(&mut self, request: &FrameRepr<'_>, reply: &mut Reply<'_>) -> Answer;
}

impl<T: Handler + ?Sized> Handler for &mut T {
    fn request(&mut self, request: &FrameRepr<'_>, reply: &mut Reply<'_>) -> Answer {
        (**self).request(request, reply)
    }
}
