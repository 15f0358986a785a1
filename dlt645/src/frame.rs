//! The checked frame view: `FE.. 68 A0..A5 68 C L DATA CS 16`.

use crate::{Address, Control, Error, Payload};

/// The first and second start byte.
pub const START: u8 = 0x68;
/// The end byte.
pub const END: u8 = 0x16;
/// The wake-up byte sent before a frame (any number of them, 4 recommended).
pub const WAKE_UP: u8 = 0xFE;
/// The wake-up bytes we send before each request.
pub const PREAMBLE: [u8; 4] = [WAKE_UP; 4];
/// Bytes of a frame besides DATA: two start bytes, six address bytes, C, L, CS, end.
pub const OVERHEAD: usize = 12;
/// The longest frame (L = 255), without wake-up bytes.
pub const MAX_FRAME_LEN: usize = OVERHEAD + 255;

/// Offsets inside a frame (from the first 0x68).
mod field {
    pub(super) const ADDRESS: usize = 1;
    pub(super) const START2: usize = 7;
    pub(super) const CONTROL: usize = 8;
    pub(super) const LEN: usize = 9;
    pub(super) const DATA: usize = 10;
}

/// The checksum: sum mod 256 of every byte from the first 0x68 to the last DATA byte
/// (2007 §4.6; wake-up bytes are not counted).
#[inline]
pub fn checksum(bytes: &[u8]) -> u8 {
    // Eight bytes per step: even and odd bytes are added in separate 16-bit lanes, each lane
    // cut back to its low byte first (only the sum mod 256 matters), so a lane never exceeds
    // 3 × 255 and never carries into its neighbour. Which lane a byte lands in does not
    // matter for the sum.
    const EVEN: u64 = 0x00FF_00FF_00FF_00FF;
    let add = |lanes: u64, w: u64| (lanes & EVEN) + (w & EVEN) + ((w >> 8) & EVEN);
    let (words, tail) = bytes.as_chunks::<8>();
    let word = |w: &[u8; 8]| u64::from_le_bytes(*w);
    let mut lanes = match words {
        // Up to 31 bytes (frames up to L = 14: the usual requests, echoes and replies)
        // without a loop.
        [a] => add(0, word(a)),
        [a, b] => add(add(0, word(a)), word(b)),
        [a, b, c] => add(add(add(0, word(a)), word(b)), word(c)),
        _ => words.iter().fold(0u64, |lanes, w| add(lanes, word(w))),
    };
    if !tail.is_empty() {
        match bytes.last_chunk::<8>() {
            // The last 1..=7 bytes without a loop: the last eight bytes read at once, the
            // 8 - r of them already added shifted out (r = tail.len(), so the shift is 8..=56).
            Some(last) => {
                lanes = add(lanes, u64::from_le_bytes(*last) >> (8 * (8 - tail.len())));
            }
            // Shorter than eight bytes in all.
            None => return tail.iter().fold(0, |s, b| s.wrapping_add(*b)),
        }
    }
    // Four lanes of at most 255 each: their sum reaches the top lane without a carry.
    ((lanes & EVEN).wrapping_mul(0x0001_0001_0001_0001) >> 48) as u8
}

/// A DL/T 645 frame in a byte buffer, checked once by [`Frame::new_checked`].
///
/// After the check no accessor can fail or panic. The buffer may start with any number of
/// wake-up bytes `FE`; they are skipped and not part of [`Frame::frame_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
    /// Offset of the first 0x68 (the number of wake-up bytes).
    start: usize,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// Check `buffer` and wrap it.
    ///
    /// The buffer must hold optional `FE` bytes and exactly one frame: start bytes at their
    /// places, `12 + L` bytes, the right checksum and the end byte 0x16, nothing after it.
    /// Checks run in wire order, so the error names the first faulty byte.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Frame<T>, Error> {
        let start = check(buffer.as_ref())?;
        Ok(Frame { buffer, start })
    }

    /// Wrap bytes that [`scan`](crate::scan::scan) has just answered `Scan::Frame` for: the
    /// same checks already passed (start bytes, length, checksum, end byte, nothing after),
    /// so they are not run twice.
    #[inline]
    pub(crate) fn from_scanned(buffer: T) -> Frame<T> {
        debug_assert!(check(buffer.as_ref()) == Ok(0));
        Frame { buffer, start: 0 }
    }

    /// Consume the view and give the buffer back.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    #[inline]
    fn bytes(&self) -> &[u8] {
        self.buffer.as_ref().get(self.start..).unwrap_or(&[])
    }

    #[inline]
    fn byte(&self, i: usize) -> u8 {
        self.bytes().get(i).copied().unwrap_or(0)
    }

    /// How many wake-up bytes preceded the frame.
    #[inline]
    pub fn preamble_len(&self) -> usize {
        self.start
    }

    /// The frame from the first 0x68 to the end byte.
    #[inline]
    pub fn frame_bytes(&self) -> &[u8] {
        self.bytes()
    }

    /// The meter address.
    #[inline]
    pub fn address(&self) -> Address {
        let mut a = [0u8; 6];
        if let Some(src) = self.bytes().get(field::ADDRESS..field::ADDRESS + 6) {
            a.copy_from_slice(src);
        }
        Address(a)
    }

    /// The control byte.
    #[inline]
    pub fn control(&self) -> Control {
        Control(self.byte(field::CONTROL))
    }

    /// The length byte L (DATA bytes).
    #[inline]
    pub fn data_len(&self) -> u8 {
        self.byte(field::LEN)
    }

    /// DATA as it is on the wire (scrambled, +0x33).
    #[inline]
    pub fn wire_data(&self) -> &[u8] {
        let n = usize::from(self.data_len());
        self.bytes()
            .get(field::DATA..field::DATA + n)
            .unwrap_or(&[])
    }

    /// DATA as a [`Payload`] that unscrambles as it is read, without copying.
    #[inline]
    pub fn data(&self) -> Payload<'_> {
        Payload::Wire(self.wire_data())
    }

    /// The checksum byte.
    #[inline]
    pub fn checksum(&self) -> u8 {
        self.byte(field::DATA + usize::from(self.data_len()))
    }

    /// Offset in the original buffer of DATA's first byte (for error offsets).
    #[inline]
    pub fn data_offset(&self) -> usize {
        self.start + field::DATA
    }

    /// Offset in the original buffer of the length byte.
    #[inline]
    pub fn len_offset(&self) -> usize {
        self.start + field::LEN
    }

    /// Offset in the original buffer of the first address byte.
    #[inline]
    pub fn address_offset(&self) -> usize {
        self.start + field::ADDRESS
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Frame<&'a T> {
    /// The frame from the first 0x68 to the end byte, borrowed for the buffer's lifetime
    /// (outlives the view).
    #[inline]
    pub fn frame_slice(&self) -> &'a [u8] {
        let all: &'a [u8] = T::as_ref(self.buffer);
        all.get(self.start..).unwrap_or(&[])
    }

    /// DATA as a [`Payload`] borrowed for the buffer's lifetime (outlives the view).
    #[inline]
    pub fn payload(&self) -> Payload<'a> {
        let n = usize::from(self.data_len());
        Payload::Wire(
            self.frame_slice()
                .get(field::DATA..field::DATA + n)
                .unwrap_or(&[]),
        )
    }
}

/// Validate `buf`; on success return the offset of the first 0x68.
fn check(buf: &[u8]) -> Result<usize, Error> {
    let start = buf.iter().take_while(|b| **b == WAKE_UP).count();
    let frame = buf.get(start..).unwrap_or(&[]);
    let need = |n: usize| Error::Truncated {
        needed: n.saturating_sub(frame.len()).max(1),
    };
    let first = *frame.first().ok_or(need(OVERHEAD))?;
    if first != START {
        return Err(Error::BadStart {
            offset: start,
            found: first,
        });
    }
    let second = *frame.get(field::START2).ok_or(need(OVERHEAD))?;
    if second != START {
        return Err(Error::BadSecondStart {
            offset: start + field::START2,
            found: second,
        });
    }
    let len = usize::from(*frame.get(field::LEN).ok_or(need(OVERHEAD))?);
    let total = OVERHEAD + len;
    if frame.len() < total {
        return Err(need(total));
    }
    let cs_at = field::DATA + len;
    let summed = frame.get(..cs_at).ok_or(need(total))?;
    let expected = checksum(summed);
    let found = *frame.get(cs_at).ok_or(need(total))?;
    if found != expected {
        return Err(Error::BadChecksum {
            offset: start + cs_at,
            expected,
            found,
        });
    }
    let end = *frame.get(cs_at + 1).ok_or(need(total))?;
    if end != END {
        return Err(Error::BadEnd {
            offset: start + cs_at + 1,
            found: end,
        });
    }
    if frame.len() > total {
        return Err(Error::TrailingBytes {
            offset: start + total,
            count: frame.len() - total,
        });
    }
    Ok(start)
}

/// Write a frame (no wake-up bytes) with `address`, `control` and DATA produced by `data`
/// into `out`; `data` receives the plain DATA area of `data_len` bytes and fills it.
/// Scrambling and the checksum are applied here.
pub(crate) fn write_frame(
    out: &mut [u8],
    address: &Address,
    control: Control,
    data_len: usize,
    data: impl FnOnce(&mut [u8]) -> Result<(), Error>,
) -> Result<usize, Error> {
    let total = OVERHEAD + data_len;
    if data_len > 255 {
        return Err(Error::DataTooLong {
            function: control.function(),
            len: data_len,
        });
    }
    let out = out
        .get_mut(..total)
        .ok_or(Error::BufferTooSmall { needed: total })?;
    let (head, rest) = out.split_at_mut(field::DATA);
    let (body, tail) = rest.split_at_mut(data_len);
    head.fill(0);
    if let Some(h) = head.first_mut() {
        *h = START;
    }
    if let Some(a) = head.get_mut(field::ADDRESS..field::ADDRESS + 6) {
        a.copy_from_slice(&address.0);
    }
    if let Some(h) = head.get_mut(field::START2) {
        *h = START;
    }
    if let Some(h) = head.get_mut(field::CONTROL) {
        *h = control.0;
    }
    if let Some(h) = head.get_mut(field::LEN) {
        // data_len <= 255 checked above
        *h = data_len as u8;
    }
    body.fill(0);
    data(body)?;
    for b in body.iter_mut() {
        *b = b.wrapping_add(crate::bcd::SCRAMBLE);
    }
    let cs = checksum(head).wrapping_add(checksum(body));
    if let Some(t) = tail.get_mut(0) {
        *t = cs;
    }
    if let Some(t) = tail.get_mut(1) {
        *t = END;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    /// The lane-wise checksum equals the byte-by-byte sum for every length up to past two
    /// 512-byte blocks, with bytes that make every lane overflow.
    #[test]
    fn checksum_matches_byte_sum() {
        let bytes: [u8; 1100] = core::array::from_fn(|i| (i * 97 + 255) as u8 | 0x80);
        for n in 0..bytes.len() {
            let want = bytes[..n].iter().fold(0u8, |s, b| s.wrapping_add(*b));
            assert_eq!(super::checksum(&bytes[..n]), want, "length {n}");
        }
        assert_eq!(
            super::checksum(&[0xFF; 1100]),
            (1100usize * 255 % 256) as u8
        );
    }
}
