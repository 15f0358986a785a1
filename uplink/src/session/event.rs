//! What the session tells its caller.

use super::auth::Denial;
use crate::Afn;

/// Something the I/O layer or the audit log must know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Open the connection to the master station now, then call `connected`.
    Connect,
    /// Close the connection (login failed or the link is lost); a `Connect` follows after the
    /// back-off delay.
    Disconnect,
    /// The master confirmed the login.
    LoggedIn,
    /// The master denied the login (AFN 00 F2).
    LoginDenied,
    /// A heartbeat went unconfirmed; `missed` in a row so far.
    HeartbeatMissed {
        /// Consecutive misses.
        missed: u8,
    },
    /// Audit: a state-changing request was refused and answered with AFN 00 F2.
    Denied {
        /// The request's AFN.
        afn: Afn,
        /// Its sequence number.
        seq: u8,
        /// The master-station address that sent it.
        master: u8,
        /// Why.
        reason: Denial,
    },
    /// The master repeated the last request; it was not executed again, the cached reply was
    /// sent instead.
    Repeated {
        /// The request's AFN.
        afn: Afn,
        /// Its sequence number.
        seq: u8,
    },
    /// The master confirmed the active report with this PSEQ (AFN 00 F1, or F3 all ERR 0).
    ReportConfirmed {
        /// The report's PSEQ.
        pseq: u8,
    },
    /// The master denied the active report with this PSEQ (AFN 00 F2); it is not resent.
    ReportDenied {
        /// The report's PSEQ.
        pseq: u8,
    },
    /// The active report with this PSEQ went unconfirmed for `confirm_timeout` and was
    /// sent again.
    ReportResent {
        /// The report's PSEQ.
        pseq: u8,
    },
    /// The link dropped while the active report with this PSEQ waited for its confirm; it
    /// is forgotten (offer it again after the next login).
    ReportAbandoned {
        /// The report's PSEQ.
        pseq: u8,
    },
    /// Audit: a request's time label Tp had expired (sent `age_s` seconds before the
    /// terminal's clock, more than its allowed `delay_min` minutes): dropped, not executed and
    /// not answered (notes §2.3).
    Expired {
        /// The request's AFN.
        afn: Afn,
        /// Its sequence number.
        seq: u8,
        /// The master-station address that sent it.
        master: u8,
        /// How old the label was, seconds.
        age_s: u32,
        /// The delay it allowed, minutes.
        delay_min: u8,
    },
    /// A reply did not fit the session's buffers; AFN 00 F2 was sent instead.
    ReplyTooLarge {
        /// The request's AFN.
        afn: Afn,
        /// Its sequence number.
        seq: u8,
    },
}

const CAP: usize = 16;

/// A fixed-capacity queue of events; when full the oldest is dropped and counted.
#[derive(Debug, Clone)]
pub struct Events {
    buf: [Option<Event>; CAP],
    head: usize,
    len: usize,
    dropped: usize,
}

impl Default for Events {
    fn default() -> Self {
        Self {
            buf: [None; CAP],
            head: 0,
            len: 0,
            dropped: 0,
        }
    }
}

impl Events {
    pub(crate) fn push(&mut self, e: Event) {
        if self.len == CAP {
            self.head = (self.head + 1) % CAP;
            self.len -= 1;
            self.dropped += 1;
        }
        if let Some(slot) = self.buf.get_mut((self.head + self.len) % CAP) {
            *slot = Some(e);
        }
        self.len += 1;
    }

    /// The oldest event.
    pub fn pop(&mut self) -> Option<Event> {
        if self.len == 0 {
            return None;
        }
        let e = self.buf.get_mut(self.head).and_then(Option::take);
        self.head = (self.head + 1) % CAP;
        self.len -= 1;
        e
    }

    /// Events dropped because the caller did not take them in time.
    pub fn dropped(&self) -> usize {
        self.dropped
    }
}
