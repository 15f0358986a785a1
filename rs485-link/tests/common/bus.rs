//! A simulated half-duplex bus on a virtual clock: a UART for the drivers (blocking and async)
//! whose bytes arrive at scripted times, and a clock that jumps to the next arrival.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::rc::Rc;

use rs485_link::{AsyncClock, Clock, Direction, Instant};

/// What the line does after each request: a list of (delay after the end of the request in ms,
/// bytes), bytes of one entry arriving together.
pub type Responder = Box<dyn FnMut(&[u8]) -> Vec<(u64, Vec<u8>)>>;

/// The shared state of the bus.
pub struct State {
    pub now: u64,
    /// Bytes to arrive: (time, byte).
    pub incoming: VecDeque<(u64, u8)>,
    pub written: Vec<u8>,
    /// Every request, as flushed.
    pub requests: Vec<(u64, Vec<u8>)>,
    pub echo: bool,
    pub responder: Responder,
    /// Direction changes and writes, in order, with the time.
    pub log: Vec<(u64, &'static str)>,
    /// Async writes never complete (a stuck transmitter), to cancel a transaction mid-write.
    pub stall_writes: bool,
}

#[derive(Clone)]
pub struct Bus(pub Rc<RefCell<State>>);

impl Bus {
    pub fn new(echo: bool, responder: Responder) -> Self {
        Bus(Rc::new(RefCell::new(State {
            now: 0,
            incoming: VecDeque::new(),
            written: Vec::new(),
            requests: Vec::new(),
            echo,
            responder,
            log: Vec::new(),
            stall_writes: false,
        })))
    }

    /// Bytes that will arrive at `at` regardless of requests (noise, unsolicited frames).
    pub fn inject(&self, at: u64, bytes: &[u8]) {
        let mut s = self.0.borrow_mut();
        for &b in bytes {
            s.incoming.push_back((at, b));
        }
        let mut v: Vec<_> = s.incoming.drain(..).collect();
        v.sort_by_key(|(t, _)| *t);
        s.incoming = v.into();
    }

    pub fn now(&self) -> u64 {
        self.0.borrow().now
    }

    pub fn requests(&self) -> Vec<(u64, Vec<u8>)> {
        self.0.borrow().requests.clone()
    }

    pub fn log(&self) -> Vec<(u64, &'static str)> {
        self.0.borrow().log.clone()
    }

    fn ready(&self) -> bool {
        let s = self.0.borrow();
        s.incoming.front().is_some_and(|(t, _)| *t <= s.now)
    }

    fn take(&self, buf: &mut [u8]) -> usize {
        let mut s = self.0.borrow_mut();
        let now = s.now;
        let mut n = 0;
        while n < buf.len() && s.incoming.front().is_some_and(|(t, _)| *t <= now) {
            buf[n] = s.incoming.pop_front().unwrap().1;
            n += 1;
        }
        n
    }

    fn write(&self, buf: &[u8]) {
        let mut s = self.0.borrow_mut();
        s.written.extend_from_slice(buf);
        let now = s.now;
        s.log.push((now, "write"));
    }

    fn flush(&self) {
        let req = {
            let mut s = self.0.borrow_mut();
            // The bytes take no virtual time to send; the echo comes back at once.
            let req = std::mem::take(&mut s.written);
            let now = s.now;
            s.requests.push((now, req.clone()));
            if s.echo {
                for &b in &req {
                    s.incoming.push_back((now, b));
                }
            }
            req
        };
        let replies = (self.0.borrow_mut().responder)(&req);
        let now = self.now();
        for (delay, bytes) in replies {
            self.inject(now + delay, &bytes);
        }
    }

    /// Advance to `until`, or to the next arrival if sooner.
    fn advance(&self, until: u64) {
        let mut s = self.0.borrow_mut();
        let next = s.incoming.front().map_or(until, |(t, _)| (*t).min(until));
        s.now = s.now.max(next);
    }
}

impl embedded_io::ErrorType for Bus {
    type Error = Infallible;
}

impl embedded_io::Read for Bus {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        assert!(self.ready(), "the blocking driver must not block in read");
        Ok(self.take(buf))
    }
}

impl embedded_io::ReadReady for Bus {
    fn read_ready(&mut self) -> Result<bool, Infallible> {
        Ok(self.ready())
    }
}

impl embedded_io::Write for Bus {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        Bus::write(self, buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<(), Infallible> {
        Bus::flush(self);
        Ok(())
    }
}

impl embedded_io_async::Read for Bus {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        // Pending until a byte is there; the virtual sleep moves time forward.
        core::future::poll_fn(|_| {
            if self.ready() {
                core::task::Poll::Ready(())
            } else {
                core::task::Poll::Pending
            }
        })
        .await;
        Ok(self.take(buf))
    }
}

impl embedded_io_async::Write for Bus {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        if self.0.borrow().stall_writes {
            core::future::pending::<()>().await;
        }
        Bus::write(self, buf);
        Ok(buf.len())
    }
    async fn flush(&mut self) -> Result<(), Infallible> {
        Bus::flush(self);
        Ok(())
    }
}

/// The bus's virtual clock.
#[derive(Clone)]
pub struct VClock(pub Bus);

impl Clock for VClock {
    fn now(&mut self) -> Instant {
        Instant::from_ticks(self.0.now())
    }
    fn idle(&mut self, until: Instant) {
        self.0.advance(until.ticks());
    }
}

impl AsyncClock for VClock {
    fn now(&mut self) -> Instant {
        Instant::from_ticks(self.0.now())
    }
    async fn sleep_until(&mut self, at: Instant) {
        // Time jumps to `at`, or to the next arrival first (then the read wins the next race).
        self.0.advance(at.ticks());
        if self.0.now() < at.ticks() {
            core::future::pending::<()>().await;
        }
    }
}

/// A DE/RE pin that logs its changes on the bus.
pub struct Pin(pub Bus);

impl Direction for Pin {
    fn transmit(&mut self) {
        let mut s = self.0.0.borrow_mut();
        let now = s.now;
        s.log.push((now, "transmit"));
    }
    fn receive(&mut self) {
        let mut s = self.0.0.borrow_mut();
        let now = s.now;
        s.log.push((now, "receive"));
    }
}

/// Run a future to completion on this thread (a no-op waker: the simulated bus never parks).
pub fn block_on<F: core::future::Future>(f: F) -> F::Output {
    let mut f = core::pin::pin!(f);
    let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    for _ in 0..1_000_000 {
        if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("future did not complete: the driver is stuck");
}
