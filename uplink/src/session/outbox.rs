//! The frames of the last reply, kept so a repeated request is answered without executing it
//! again (notes §2.3: a resend keeps its PFC, so its PSEQ and bytes are the same).

use crate::multi::response_seq;
use crate::{Address, Afn, Ec, EmitError, FrameRepr};

/// The most frames one reply is split into.
pub const MAX_FRAMES: usize = 32;

/// Why a reply could not be framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OutboxError {
    /// The frames do not fit the buffer or exceed [`MAX_FRAMES`].
    #[error("reply frames do not fit the outbox")]
    Full,
    /// One group alone is longer than the frame limit.
    #[error("a group of {len} bytes exceeds the {max}-byte frame limit")]
    GroupTooLong {
        /// The group's length.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// The codec refused a frame.
    #[error("emit: {0}")]
    Emit(EmitError),
}

/// Frames built into one buffer, handed out one by one and kept for a resend.
#[derive(Debug)]
pub struct Outbox<const N: usize> {
    buf: [u8; N],
    ends: [usize; MAX_FRAMES],
    frames: usize,
    sent: usize,
}

impl<const N: usize> Default for Outbox<N> {
    fn default() -> Self {
        Self {
            buf: [0; N],
            ends: [0; MAX_FRAMES],
            frames: 0,
            sent: 0,
        }
    }
}

impl<const N: usize> Outbox<N> {
    /// Forgets the frames.
    pub fn clear(&mut self) {
        self.frames = 0;
        self.sent = 0;
    }

    /// Frames held.
    pub fn len(&self) -> usize {
        self.frames
    }

    /// Whether no frame is held.
    pub fn is_empty(&self) -> bool {
        self.frames == 0
    }

    /// Frames not yet handed out.
    pub fn pending(&self) -> usize {
        self.frames - self.sent
    }

    /// Marks every frame as handed out (the connection they were for is gone); they stay
    /// cached for a repeat.
    pub fn drop_pending(&mut self) {
        self.sent = self.frames;
    }

    /// Hands every frame out again (a repeated request).
    pub fn rewind(&mut self) {
        self.sent = 0;
    }

    /// The next frame to send.
    pub fn next_frame(&mut self) -> Option<&[u8]> {
        if self.sent >= self.frames {
            return None;
        }
        let start = match self.sent {
            0 => 0,
            i => *self.ends.get(i - 1)?,
        };
        let end = *self.ends.get(self.sent)?;
        self.sent += 1;
        self.buf.get(start..end)
    }

    fn push(&mut self, frame: &FrameRepr<'_>) -> Result<(), OutboxError> {
        let start = match self.frames {
            0 => 0,
            i => *self.ends.get(i - 1).ok_or(OutboxError::Full)?,
        };
        if self.frames >= MAX_FRAMES {
            return Err(OutboxError::Full);
        }
        let out = self.buf.get_mut(start..).ok_or(OutboxError::Full)?;
        let n = frame.emit(out).map_err(|e| match e {
            EmitError::BufferTooSmall { .. } => OutboxError::Full,
            other => OutboxError::Emit(other),
        })?;
        if let Some(e) = self.ends.get_mut(self.frames) {
            *e = start + n;
        }
        self.frames += 1;
        Ok(())
    }

    /// Replaces the content with one frame.
    pub fn set_single(&mut self, frame: &FrameRepr<'_>) -> Result<(), OutboxError> {
        self.clear();
        self.push(frame)
    }

    /// Replaces the content with the response frames carrying `units` (groups ending at
    /// `ends`), at most `max_units` data-unit bytes each, RSEQ counting from `pseq`; with
    /// `ec`, every frame has ACD = 1 and carries EC (notes §2.1).
    #[allow(clippy::too_many_arguments)]
    pub fn set_response(
        &mut self,
        address: Address,
        afn: Afn,
        pseq: u8,
        units: &[u8],
        ends: &[u16],
        max_units: usize,
        ec: Option<Ec>,
    ) -> Result<(), OutboxError> {
        self.clear();
        // Split points: greedy, as many whole groups per frame as fit.
        let mut cuts = [0usize; MAX_FRAMES];
        let mut count = 0;
        let mut start = 0usize;
        let mut last_end = 0usize;
        for &e in ends {
            let e = usize::from(e);
            if e - last_end > max_units {
                return Err(OutboxError::GroupTooLong {
                    len: e - last_end,
                    max: max_units,
                });
            }
            if e - start > max_units {
                *cuts.get_mut(count).ok_or(OutboxError::Full)? = last_end;
                count += 1;
                start = last_end;
            }
            last_end = e;
        }
        *cuts.get_mut(count).ok_or(OutboxError::Full)? = last_end;
        count += 1;
        let mut from = 0;
        for (i, &to) in cuts.iter().take(count).enumerate() {
            let part = units.get(from..to).ok_or(OutboxError::Full)?;
            let mut f =
                FrameRepr::response(address, afn, response_seq(pseq, i, count, false), part);
            f.control.fcb_acd = ec.is_some();
            f.ec = ec;
            self.push(&f)?;
            from = to;
        }
        Ok(())
    }
}
