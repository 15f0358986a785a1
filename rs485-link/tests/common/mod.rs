//! A test-only framing shaped like DL/T 645's envelope, so the deframer is tested without any
//! codec: up to 4 `FE` wake-up bytes, `68`, a length byte `L ≤ 32`, `L` payload bytes, an
//! 8-bit sum over `68 L payload`, `16`.
#![allow(dead_code, unreachable_pub, clippy::indexing_slicing)]

pub mod bus;

use rs485_link::{Framing, Scan};

/// The toy format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Toy;

pub const MAX_PAYLOAD: usize = 32;
pub const MAX_PREAMBLE: usize = 4;

impl Framing for Toy {
    const MAX_FRAME_LEN: usize = MAX_PREAMBLE + 4 + MAX_PAYLOAD;

    fn preamble(&self) -> &[u8] {
        &[0xFE, 0xFE]
    }

    fn scan(&self, buf: &[u8]) -> Scan {
        let pre = buf.iter().take_while(|&&b| b == 0xFE).count();
        if pre > MAX_PREAMBLE {
            return Scan::Skip(pre - MAX_PREAMBLE);
        }
        let Some(&first) = buf.get(pre) else {
            return Scan::Incomplete { needed: 1 };
        };
        if first != 0x68 {
            return Scan::Skip(pre + 1);
        }
        let Some(&len) = buf.get(pre + 1) else {
            return Scan::Incomplete { needed: 1 };
        };
        let len = usize::from(len);
        if len > MAX_PAYLOAD {
            return Scan::Skip(pre + 1);
        }
        let total = pre + 4 + len;
        if buf.len() < total {
            return Scan::Incomplete {
                needed: total - buf.len(),
            };
        }
        let body = &buf[pre..pre + 2 + len];
        let sum = body.iter().fold(0u8, |a, &b| a.wrapping_add(b));
        if buf[pre + 2 + len] != sum || buf[pre + 3 + len] != 0x16 {
            return Scan::Skip(pre + 1);
        }
        Scan::Frame {
            start: pre,
            end: total,
        }
    }
}

/// A toy frame around `payload` (≤ 32 bytes), without preamble.
pub fn toy_frame(payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() <= MAX_PAYLOAD);
    let mut f = vec![0x68, payload.len() as u8];
    f.extend_from_slice(payload);
    let sum = f.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    f.push(sum);
    f.push(0x16);
    f
}
