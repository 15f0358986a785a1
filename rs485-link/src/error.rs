//! Errors of a link transaction, generic over the UART's error.

/// Why a transaction failed. `E` is the UART's error type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError<E> {
    /// The UART failed.
    #[error("UART error: {0:?}")]
    Io(E),
    /// The UART reported end of file (a read of a non-empty buffer returned 0 bytes).
    #[error("the UART was closed")]
    Closed,
    /// Nothing at all arrived within the response timeout.
    #[error("no reply within the response timeout")]
    Timeout,
    /// Bytes arrived but no valid frame: noise, a broken frame, a gap mid-frame, or a line
    /// carrying garbage (wrong baud rate or parity, a collision).
    #[error("{bytes} bytes received but no valid frame")]
    Garbled {
        /// Bytes received and dropped (echo not counted).
        bytes: usize,
    },
    /// Echo expected, but what came back differs from what we sent, first at `offset` (or
    /// stops at `offset`): a collision, or an adapter that does not echo.
    #[error("echo differs from the transmission at byte {offset}")]
    Echo {
        /// Offset in the transmission (preamble included).
        offset: usize,
    },
    /// The request (preamble included) is longer than the receive buffer that checks its echo.
    #[error("request of {len} bytes exceeds the echo buffer of {capacity} bytes")]
    RequestTooLong {
        /// The request length, preamble included.
        len: usize,
        /// The deframer's buffer size.
        capacity: usize,
    },
}

impl<E> From<E> for LinkError<E> {
    fn from(e: E) -> Self {
        LinkError::Io(e)
    }
}
