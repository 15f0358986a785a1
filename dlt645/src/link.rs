//! `rs485_link::Framing` for DL/T 645 (behind the `link` feature), using [`scan`](crate::scan).

use crate::scan::{MAX_SCAN_LEN, Scan, scan};

/// The DL/T 645 frame format for the link layer's deframer: wake-up preamble `FE FE FE FE`,
/// frames found by [`scan`](crate::scan::scan) (both editions share the envelope).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dlt645Framing;

impl rs485_link::Framing for Dlt645Framing {
    const MAX_FRAME_LEN: usize = MAX_SCAN_LEN;

    fn preamble(&self) -> &[u8] {
        &crate::PREAMBLE
    }

    fn scan(&self, buf: &[u8]) -> rs485_link::Scan {
        match scan(buf) {
            Scan::Frame { start, end } => rs485_link::Scan::Frame { start, end },
            Scan::Incomplete { needed } => rs485_link::Scan::Incomplete { needed },
            Scan::Skip(n) => rs485_link::Scan::Skip(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rs485_link::Framing;

    #[test]
    fn framing_matches_scan_on_a_reply_with_wake_up_bytes() {
        // streams.tsv S4 (seven FE before a read-address reply)
        let s = [
            0xFE, 0xFE, 0xFE, 0xFE, 0xFE, 0xFE, 0xFE, 0x68, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12,
            0x68, 0x93, 0x06, 0x45, 0xC3, 0xAB, 0x89, 0x67, 0x45, 0x07, 0x16,
        ];
        assert_eq!(
            Dlt645Framing.scan(&s),
            rs485_link::Scan::Frame { start: 7, end: 25 }
        );
        assert_eq!(Dlt645Framing.preamble(), &[0xFE; 4]);
        // A cut frame with seven FE: the extra three are dropped, the rest waits.
        assert_eq!(Dlt645Framing.scan(&s[..20]), rs485_link::Scan::Skip(3));
        assert_eq!(
            Dlt645Framing.scan(&s[3..20]),
            rs485_link::Scan::Incomplete { needed: 5 }
        );
    }
}
