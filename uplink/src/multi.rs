//! Multi-frame messages (notes §2.3): FIR/FIN mark the first and last frame, the responder's
//! RSEQ starts at the request's PSEQ and goes up by one per response frame (mod 16).

use crate::Seq;

/// The SEQ of frame `index` (0-based) of a `total`-frame response to a request with
/// sequence number `pseq`; `con` asks the master to confirm each frame.
pub fn response_seq(pseq: u8, index: usize, total: usize, con: bool) -> Seq {
    Seq {
        tpv: false,
        fir: index == 0,
        fin: index + 1 >= total,
        con,
        seq: ((usize::from(pseq & 0x0F) + index) % 16) as u8,
    }
}

/// Why a frame does not continue the message being collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SequenceError {
    /// A middle or last frame arrived with no first frame before it.
    #[error("FIR = 0 but no message is open")]
    NotStarted,
    /// A first (or single) frame arrived while a message was still open.
    #[error("FIR = 1 while frame RSEQ {expected} was expected")]
    Restarted {
        /// The RSEQ the open message expected next.
        expected: u8,
    },
    /// A frame skipped or repeated a sequence number.
    #[error("RSEQ {found}, expected {expected}")]
    Gap {
        /// The RSEQ expected.
        expected: u8,
        /// The RSEQ found.
        found: u8,
    },
}

/// What a collected frame means for its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Progress {
    /// The message is complete with this frame (FIN = 1).
    Complete,
    /// More frames follow.
    More,
}

/// Follows the SEQ fields of the frames of one multi-frame response (the master's side).
///
/// A sans-IO checker: feed each response frame's SEQ in arrival order; it says when the
/// message is complete and refuses frames out of order. After an error it is reset and
/// expects a first frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Collector {
    next: Option<u8>,
    frames: usize,
}

impl Collector {
    /// Nothing collected.
    pub const fn new() -> Self {
        Self {
            next: None,
            frames: 0,
        }
    }

    /// Frames of the open (or just completed) message so far.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Takes the SEQ of the next frame.
    pub fn push(&mut self, seq: Seq) -> Result<Progress, SequenceError> {
        let r = match (self.next, seq.fir) {
            (Some(expected), true) => Err(SequenceError::Restarted { expected }),
            (None, false) => Err(SequenceError::NotStarted),
            (Some(expected), false) if expected != seq.seq => Err(SequenceError::Gap {
                expected,
                found: seq.seq,
            }),
            (None, true) => {
                self.frames = 0;
                Ok(())
            }
            (Some(_), false) => Ok(()),
        };
        if let Err(e) = r {
            *self = Self::new();
            return Err(e);
        }
        self.frames += 1;
        if seq.fin {
            self.next = None;
            Ok(Progress::Complete)
        } else {
            self.next = Some((seq.seq + 1) & 0x0F);
            Ok(Progress::More)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Position;

    #[test]
    fn three_frames_wrapping_rseq() {
        let seqs: [Seq; 3] = core::array::from_fn(|i| response_seq(15, i, 3, false));
        assert_eq!(
            seqs.map(|s| s.position()),
            [Position::First, Position::Middle, Position::Last]
        );
        assert_eq!(seqs.map(|s| s.seq), [15, 0, 1]);
        let mut c = Collector::new();
        assert_eq!(c.push(seqs[0]), Ok(Progress::More));
        assert_eq!(c.push(seqs[1]), Ok(Progress::More));
        assert_eq!(c.push(seqs[2]), Ok(Progress::Complete));
        assert_eq!(c.frames(), 3);
        // A single frame is complete at once.
        assert_eq!(c.push(response_seq(4, 0, 1, false)), Ok(Progress::Complete));
    }

    #[test]
    fn out_of_order_frames_are_refused() {
        let mut c = Collector::new();
        assert_eq!(
            c.push(response_seq(3, 1, 3, false)),
            Err(SequenceError::NotStarted)
        );
        assert_eq!(c.push(response_seq(3, 0, 3, false)), Ok(Progress::More));
        assert_eq!(
            c.push(response_seq(3, 2, 3, false)),
            Err(SequenceError::Gap {
                expected: 4,
                found: 5
            })
        );
        assert_eq!(c.push(response_seq(3, 0, 3, false)), Ok(Progress::More));
        assert_eq!(
            c.push(response_seq(7, 0, 2, false)),
            Err(SequenceError::Restarted { expected: 4 })
        );
    }
}
