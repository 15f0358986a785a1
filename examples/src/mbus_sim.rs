//! A bus of simulated wired M-Bus slaves (EN 13757-2/-3).
//!
//! [`MbusSim::handle`] is pure: a request frame and the simulated time in, the bytes the bus
//! answers (and the delay before them) out. [`spawn_on_port`] and [`spawn`] run it on a serial
//! device in a thread, deframing with `rs485_link`.
//!
//! Each slave answers SND_NKE with E5 (and resets its FCB state and telegram cycle),
//! REQ_UD2 with its RSP_UD telegrams (taken from the libmbus corpus with the slave's primary
//! address patched in, or built from a few fields), repeats its last telegram when the FCB
//! did not toggle (the master lost it) and moves to the next one when it did (multi-telegram
//! readout, DIF 0x1F), takes part in secondary addressing (CI 0x52 selection with wildcard
//! nibbles; several matching slaves collide) and accepts a new primary address.
//!
//! ```
//! use examples::mbus_sim::{MbusSim, MbusSimConfig, SlaveConfig};
//! use rs485_link::Instant;
//! use wired_mbus::{Address, Frame, Request};
//!
//! // A water meter at primary address 7 with two telegrams (DIF 0x1F after the first).
//! let slave = SlaveConfig::built(7, 12_345_678, "ABC", 0x07, &[100, 200]).unwrap();
//! let mut sim = MbusSim::new(MbusSimConfig::new(vec![slave]));
//! let ask = |sim: &mut MbusSim, r: Request<'_>| {
//!     let mut buf = [0u8; 16];
//!     let n = r.emit(&mut buf).unwrap();
//!     sim.handle(&buf[..n], Instant::from_ticks(0)).unwrap().bytes
//! };
//! let seven = Address::from_byte(7);
//! assert_eq!(ask(&mut sim, Request::SndNke { address: seven }), [0xE5]);
//! let first = ask(&mut sim, Request::ReqUd2 { address: seven, fcb: true });
//! assert!(wired_mbus::more_records_follow(&Frame::new_checked(&first).unwrap()));
//! let second = ask(&mut sim, Request::ReqUd2 { address: seven, fcb: false });
//! assert!(!wired_mbus::more_records_follow(&Frame::new_checked(&second).unwrap()));
//! ```

mod port;
mod telegram;

use rs485_link::{Duration, Instant};
use wired_mbus::{ACK, Address, Frame, Request, SecondaryAddress};

pub use port::{SimHandle, spawn, spawn_on_port};
pub use telegram::{SlaveConfig, TelegramError};

/// What the line shows when several slaves answer at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Collision {
    /// The answers one after another, as when the slaves' reply delays differ by more than a
    /// telegram: the master sees more than one answer.
    #[default]
    Overlap,
    /// The answers superimposed with a skew of one bit (the line's dominant level wins bit by
    /// bit): garbage no checksum survives.
    Garbage,
}

/// The bus: its slaves and how they behave on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MbusSimConfig {
    /// The slaves.
    pub slaves: Vec<SlaveConfig>,
    /// Delay from the end of a request to the answer (EN 13757-2: at least 11 bit times, at
    /// most 330 bit times + 50 ms; notes §1 design summary).
    pub turnaround: Duration,
    /// What a collision looks like.
    pub collision: Collision,
}

impl MbusSimConfig {
    /// A bus of `slaves`, 20 ms turnaround, overlapping answers on collisions.
    pub fn new(slaves: Vec<SlaveConfig>) -> Self {
        Self {
            slaves,
            turnaround: Duration::millis(20),
            collision: Collision::Overlap,
        }
    }
}

/// What the bus sends back for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MbusReply {
    /// How long after the end of the request the first byte goes out.
    pub delay: Duration,
    /// The bytes on the wire.
    pub bytes: Vec<u8>,
    /// How many slaves answered (more than one: a collision).
    pub answers: usize,
}

#[derive(Debug, Clone)]
struct Slave {
    primary: u8,
    secondary: Option<SecondaryAddress>,
    telegrams: Vec<Vec<u8>>,
    selected: bool,
    current: usize,
    /// The FCB of the last REQ_UD2 since the last reset (`None`: reset, the next request
    /// starts the cycle whatever its FCB).
    last_fcb: Option<bool>,
}

/// A bus of simulated M-Bus slaves.
#[derive(Debug, Clone)]
pub struct MbusSim {
    config: MbusSimConfig,
    slaves: Vec<Slave>,
    log: Vec<String>,
}

impl MbusSim {
    /// The slaves of `config`.
    pub fn new(config: MbusSimConfig) -> Self {
        let slaves = config
            .slaves
            .iter()
            .map(|s| Slave {
                primary: s.primary,
                secondary: s.secondary(),
                telegrams: s.telegrams.clone(),
                selected: false,
                current: 0,
                last_fcb: None,
            })
            .collect();
        Self {
            config,
            slaves,
            log: Vec::new(),
        }
    }

    /// The primary addresses of the slaves, in configuration order.
    pub fn primaries(&self) -> Vec<u8> {
        self.slaves.iter().map(|s| s.primary).collect()
    }

    /// The secondary addresses of the slaves that have one.
    pub fn secondaries(&self) -> Vec<SecondaryAddress> {
        self.slaves.iter().filter_map(|s| s.secondary).collect()
    }

    /// Log lines (one per slave that acted) since the last call.
    pub fn take_log(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }

    /// Answer one request frame received at simulated `_now` (time does not change what these
    /// slaves say, only when: the reply's delay; the parameter keeps the same shape as
    /// [`MeterSim::handle`](crate::meter_sim::MeterSim::handle)).
    pub fn handle(&mut self, request: &[u8], _now: Instant) -> Option<MbusReply> {
        let frame = match Frame::new_checked(request) {
            Ok(f) => f,
            Err(e) => {
                self.log
                    .push(format!("ignored {} bytes: {e}", request.len()));
                return None;
            }
        };
        // Our own answers (an echoing line) are no requests.
        let req = Request::parse(&frame).ok()?;
        let to = req.address();
        let mut answers: Vec<Vec<u8>> = Vec::new();
        for s in &mut self.slaves {
            let reached = match to.byte() {
                253 => s.selected,
                254 | 255 => true,
                a => a == s.primary,
            };
            if let Request::Select { mask, .. } = req {
                // Selection: a slave whose address matches is selected, any other deselected
                // (EN 13757-3 network layer; m-bus.com 7.1).
                s.selected = s.secondary.is_some_and(|a| mask.matches(a));
                if s.selected {
                    s.last_fcb = None;
                    s.current = 0;
                    self.log
                        .push(format!("{:3}: selected by {mask}", s.primary));
                    answers.push(vec![ACK]);
                }
                continue;
            }
            if !reached {
                continue;
            }
            let silent = to.expects_no_reply();
            let answer: Option<Vec<u8>> = match req {
                Request::SndNke { .. } => {
                    s.last_fcb = None;
                    s.current = 0;
                    if to == Address::NETWORK {
                        s.selected = false;
                    }
                    self.log.push(format!("{:3}: SND_NKE -> E5", s.primary));
                    Some(vec![ACK])
                }
                Request::ReqUd2 { fcb, .. } => {
                    let n = s.telegrams.len().max(1);
                    match s.last_fcb {
                        Some(last) if last == fcb => {}
                        Some(_) => s.current = (s.current + 1) % n,
                        None => s.current = 0,
                    }
                    s.last_fcb = Some(fcb);
                    let t = s.telegrams.get(s.current)?;
                    let bytes = telegram::with_address(t, s.primary)?;
                    self.log.push(format!(
                        "{:3}: REQ_UD2 fcb={} -> telegram {}/{} ({} bytes)",
                        s.primary,
                        u8::from(fcb),
                        s.current + 1,
                        n,
                        bytes.len()
                    ));
                    Some(bytes)
                }
                Request::SetPrimaryAddress { new_address, .. } => {
                    self.log.push(format!(
                        "{:3}: primary address now {new_address}",
                        s.primary
                    ));
                    s.primary = new_address;
                    Some(vec![ACK])
                }
                Request::ApplicationReset { .. } => {
                    s.current = 0;
                    s.last_fcb = None;
                    self.log
                        .push(format!("{:3}: application reset -> E5", s.primary));
                    Some(vec![ACK])
                }
                Request::ReqUd1 { .. }
                | Request::SwitchBaudRate { .. }
                | Request::SendData { .. } => {
                    self.log.push(format!("{:3}: {req:?} -> E5", s.primary));
                    Some(vec![ACK])
                }
                Request::Select { .. } => None,
            };
            if let Some(a) = answer
                && !silent
            {
                answers.push(a);
            }
        }
        if answers.is_empty() {
            return None;
        }
        let count = answers.len();
        let bytes = if count == 1 {
            answers.pop().unwrap_or_default()
        } else {
            self.log
                .push(format!("collision: {count} slaves answered at once"));
            collide(&answers, self.config.collision)
        };
        Some(MbusReply {
            delay: self.config.turnaround,
            bytes,
            answers: count,
        })
    }
}

/// The line when several answers meet.
fn collide(answers: &[Vec<u8>], how: Collision) -> Vec<u8> {
    match how {
        Collision::Overlap => answers.concat(),
        Collision::Garbage => {
            let len = answers.iter().map(Vec::len).max().unwrap_or(0);
            let skewed = |a: &[u8], k: usize, i: usize| -> u8 {
                // Answer `k` starts `k` bits late: each byte takes the top bits of the byte
                // before it.
                let cur = a.get(i).copied().unwrap_or(0xFF);
                if k == 0 {
                    return cur;
                }
                let prev = if i == 0 {
                    0xFF
                } else {
                    a.get(i - 1).copied().unwrap_or(0xFF)
                };
                let k = (k % 8) as u32;
                if k == 0 {
                    cur
                } else {
                    (cur << k) | (prev >> (8 - k))
                }
            };
            (0..len)
                .map(|i| {
                    answers
                        .iter()
                        .enumerate()
                        .fold(0xFF, |acc, (k, a)| acc & skewed(a, k, i))
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_collision_of_two_acks_is_no_ack() {
        let g = collide(&[vec![ACK], vec![ACK]], Collision::Garbage);
        assert_eq!(g.len(), 1);
        assert_ne!(g[0], ACK);
        assert_eq!(
            collide(&[vec![ACK], vec![ACK]], Collision::Overlap),
            [ACK, ACK]
        );
    }
}
