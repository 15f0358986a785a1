//! The direction-control hook for RS-485 transceivers without automatic direction (DE/RE).

/// Switches a half-duplex transceiver between driving the bus and listening.
///
/// The driver calls [`transmit`](Self::transmit) just before writing a request and
/// [`receive`](Self::receive) as soon as the UART's `flush` has returned, that is when the last
/// stop bit has left the shift register (the UART's `flush` must guarantee that; on many MCUs
/// this is the "transmission complete" flag, not "buffer empty"). The line must be released
/// before the earliest reply: within the protocol's turnaround ([`Timing::turnaround`]: 20 ms for
/// DL/T 645, 11 bit times for M-Bus: 1.1 ms at 9600 Bd). The driver also leaves the bus idle
/// for the turnaround after a reply before it drives it again.
///
/// Both calls are infallible: GPIO writes on HALs are (`Infallible` error); an implementation
/// over a fallible pin should latch the error and report it elsewhere.
///
/// [`Timing::turnaround`]: crate::Timing::turnaround
pub trait Direction {
    /// Drive the bus (DE high, receiver off).
    fn transmit(&mut self);
    /// Release the bus and listen (DE low, receiver on).
    fn receive(&mut self);
}

/// No direction control: the transceiver switches by itself (automatic-direction RS-485
/// adapters, M-Bus level converters, the carrier module's UART).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AutoDirection;

impl Direction for AutoDirection {
    fn transmit(&mut self) {}
    fn receive(&mut self) {}
}

impl<D: Direction + ?Sized> Direction for &mut D {
    fn transmit(&mut self) {
        (**self).transmit()
    }
    fn receive(&mut self) {
        (**self).receive()
    }
}

/// Drives the bus while alive; releases it when dropped, also on an error or when an async
/// transaction is cancelled, so the bus is never left driven.
pub(crate) struct Transmitting<'a, D: Direction>(&'a mut D);

impl<'a, D: Direction> Transmitting<'a, D> {
    pub(crate) fn start(dir: &'a mut D) -> Self {
        dir.transmit();
        Self(dir)
    }
}

impl<D: Direction> Drop for Transmitting<'_, D> {
    fn drop(&mut self) {
        self.0.receive();
    }
}
