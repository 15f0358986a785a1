//! A whole frame as plain data: address, direction, body; parse from a checked
//! [`Frame`] and emit into a caller's buffer.

use crate::frame::{OVERHEAD, write_frame};
use crate::request::{Reader, Writer};
use crate::{
    Address, Control, Edition, Err1997, Err2007, Error, ErrorWord, Frame, Function, Payload, Reply,
    Request, SecurityError, SwitchError,
};

/// What a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Body<'a> {
    /// A request from the master.
    Request(Request<'a>),
    /// A normal reply from a meter.
    Reply(Reply<'a>),
    /// An abnormal reply (C | 0xC0) with its error word.
    Error {
        /// The function that failed.
        function: Function,
        /// Why.
        word: ErrorWord,
    },
    /// A function code neither edition defines (vendor codes 0x09, 0x1E, 0x1F ...), or a
    /// reply to 0x08 (meters never send one): kept as it came.
    Other {
        /// The control byte.
        control: Control,
        /// The DATA.
        data: Payload<'a>,
    },
}

/// A frame as plain data.
///
/// ```
/// use dlt645::{Address, Body, Di, Frame, Repr, Request};
/// let req = Repr::request(Address::from_number(161).unwrap(), Request::Read { di: Di(0x0001_0000) });
/// let mut buf = [0u8; 64];
/// let n = req.emit(&mut buf).unwrap();
/// assert_eq!(&buf[..n], &[0x68, 0x61, 0x01, 0, 0, 0, 0, 0x68, 0x11, 0x04, 0x33, 0x33, 0x34, 0x33, 0x14, 0x16]);
/// let frame = Frame::new_checked(&buf[..n]).unwrap();
/// assert_eq!(Repr::parse(&frame).unwrap(), req);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// The meter address (broadcast or wildcard where the function allows it).
    pub address: Address,
    /// D5: follow-up frames exist (replies only; a request must leave it `false`).
    pub follow: bool,
    /// What the frame carries.
    pub body: Body<'a>,
}

impl<'a> Repr<'a> {
    /// A request to `address`.
    #[inline]
    pub fn request(address: Address, request: Request<'a>) -> Repr<'a> {
        Repr {
            address,
            follow: false,
            body: Body::Request(request),
        }
    }

    /// A normal reply from `address`, without follow-up.
    #[inline]
    pub fn reply(address: Address, reply: Reply<'a>) -> Repr<'a> {
        Repr {
            address,
            follow: false,
            body: Body::Reply(reply),
        }
    }

    /// An abnormal reply from `address`.
    #[inline]
    pub fn error(address: Address, function: Function, word: ErrorWord) -> Repr<'a> {
        Repr {
            address,
            follow: false,
            body: Body::Error { function, word },
        }
    }

    /// Parse a checked frame; the edition follows from the function code, and 0x03 is read
    /// as 2007 security unless its length only fits the 1997 re-read.
    ///
    /// The result borrows the frame's buffer, not the view, so the view may be a temporary.
    #[inline]
    pub fn parse<T: AsRef<[u8]> + ?Sized>(frame: &Frame<&'a T>) -> Result<Repr<'a>, Error> {
        Self::parse_as(frame, None)
    }

    /// Parse a checked frame over any buffer type (the result borrows the view).
    #[inline]
    pub fn parse_frame<T: AsRef<[u8]>>(frame: &'a Frame<T>) -> Result<Repr<'a>, Error> {
        parse_inner(
            frame.address(),
            frame.control(),
            frame.data(),
            frame.data_offset(),
            frame.len_offset(),
            frame.address_offset(),
            None,
        )
    }

    /// Parse a checked frame, reading the ambiguous code 0x03 as `edition` when given.
    #[inline]
    pub fn parse_as<T: AsRef<[u8]> + ?Sized>(
        frame: &Frame<&'a T>,
        edition: Option<Edition>,
    ) -> Result<Repr<'a>, Error> {
        // The header in one bounds check (a checked frame always has its ten header bytes
        // and L DATA bytes; the accessors below give the same values, with a check each).
        let bytes = frame.frame_slice();
        if let Some((&[_, a0, a1, a2, a3, a4, a5, _, c, len], rest)) = bytes.split_first_chunk()
            && let Some(data) = rest.get(..usize::from(len))
        {
            let (address, control) = (Address([a0, a1, a2, a3, a4, a5]), Control(c));
            if let Some(r) = fast_read_reply(address, control, Payload::Wire(data)) {
                return Ok(r);
            }
            // The echo of a read request inline too (parse_inner tests it again for the
            // callers that go straight to it).
            if let Some(r) = fast_read_request(address, control, Payload::Wire(data)) {
                return Ok(r);
            }
            return parse_inner(
                address,
                control,
                Payload::Wire(data),
                frame.data_offset(),
                frame.len_offset(),
                frame.address_offset(),
                edition,
            );
        }
        parse_inner(
            frame.address(),
            frame.control(),
            frame.payload(),
            frame.data_offset(),
            frame.len_offset(),
            frame.address_offset(),
            edition,
        )
    }

    /// The function of the frame.
    #[inline]
    pub fn function(&self) -> Function {
        match &self.body {
            Body::Request(r) => r.function(),
            Body::Reply(r) => r.function(),
            Body::Error { function, .. } => *function,
            Body::Other { control, .. } => Function::Unknown(control.function()),
        }
    }

    /// The edition, or `None` when the frame is the same in both (0x08) or unknown.
    #[inline]
    pub fn edition(&self) -> Option<Edition> {
        function_edition(self.function())
    }

    /// The control byte this representation emits.
    #[inline]
    pub fn control(&self) -> Control {
        match &self.body {
            Body::Request(r) => Control::request(r.function().code()),
            // The reply a concentrator sees most, in an arm of its own: its code is a
            // constant, not a second jump table over the reply kinds.
            Body::Reply(Reply::Read { .. }) => Control::reply(Function::Read.code(), self.follow),
            Body::Reply(r) => Control::reply(r.function().code(), self.follow),
            // An abnormal reply keeps D5 as it came (lossless), though meters leave it 0.
            Body::Error { function, .. } => {
                Control(Control::abnormal(function.code()).0 | if self.follow { 0x20 } else { 0 })
            }
            Body::Other { control, .. } => *control,
        }
    }

    /// Is this a reply (normal or abnormal)?
    #[inline]
    pub fn is_reply(&self) -> bool {
        self.control().is_reply()
    }

    #[inline]
    fn data_len(&self) -> usize {
        match &self.body {
            Body::Request(r) => r.data_len(),
            Body::Reply(r) => r.data_len(),
            Body::Error { word, .. } => word.wire_len(),
            Body::Other { data, .. } => data.len(),
        }
    }

    /// Bytes [`emit`](Self::emit) writes (no wake-up bytes).
    #[inline]
    pub fn buffer_len(&self) -> usize {
        OVERHEAD + self.data_len()
    }

    /// Write the frame (without wake-up bytes; send [`PREAMBLE`](crate::PREAMBLE) first)
    /// into `out`; returns the length.
    ///
    /// Refuses what a meter would refuse or what would not parse back the same: an address
    /// the function does not allow, a write over 50 bytes, a read reply over 200, a field
    /// that does not fit its BCD digits, a request with `follow` set.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, Error> {
        let control = self.control();
        let function = control.function();
        let len = self.data_len();
        match &self.body {
            Body::Request(r) => {
                if self.follow {
                    return Err(Error::BadField { field: "follow" });
                }
                if !self.address.allowed_for_request(r.function()) {
                    return Err(Error::AddressNotAllowed {
                        offset: 1,
                        function,
                    });
                }
                if matches!(r, Request::Write { .. } | Request::Write97 { .. })
                    && len > crate::request::MAX_WRITE_LEN
                {
                    return Err(Error::DataTooLong { function, len });
                }
            }
            Body::Reply(r) => {
                if r.data().is_some() && len > crate::reply::MAX_READ_LEN {
                    return Err(Error::DataTooLong { function, len });
                }
            }
            Body::Error { function: f, word } => {
                let known = !matches!(f, Function::BroadcastTime | Function::Unknown(_));
                let ok = known
                    && match word {
                        ErrorWord::V2007(_) => {
                            function_edition(*f) == Some(Edition::V2007) && *f != Function::Security
                        }
                        ErrorWord::V1997(_) => function_edition(*f) == Some(Edition::V1997),
                        ErrorWord::Security(_) => *f == Function::Security,
                        ErrorWord::Switch(_) => *f == Function::RemoteSwitch,
                    };
                if !ok {
                    return Err(Error::BadField {
                        field: "word (its kind does not match the function)",
                    });
                }
            }
            Body::Other { control, .. } => {
                if known_body(*control) {
                    return Err(Error::BadField {
                        field: "control (a known function: use Request or Reply)",
                    });
                }
            }
        }
        write_frame(out, &self.address, control, len, |data| {
            let mut w = Writer::new(data);
            match &self.body {
                Body::Request(r) => r.write(&mut w),
                Body::Reply(r) => r.write(&mut w),
                Body::Error { word, .. } => match word {
                    ErrorWord::V2007(e) => w.put(&[e.bits()]),
                    ErrorWord::V1997(e) => w.put(&[e.bits()]),
                    ErrorWord::Security(e) => w.put(&e.bits().to_le_bytes()),
                    ErrorWord::Switch(e) => w.put(&e.bits().to_le_bytes()),
                },
                Body::Other { data, .. } => w.payload(data),
            }
        })
    }
}

/// The edition a function belongs to, `None` for 0x08 and unknown codes.
#[inline]
pub fn function_edition(f: Function) -> Option<Edition> {
    match f {
        Function::BroadcastTime | Function::Unknown(_) => None,
        Function::Read97
        | Function::ReadFollow97
        | Function::ReRead97
        | Function::Write97
        | Function::WriteAddress97
        | Function::ChangeBaud97
        | Function::ChangePassword97
        | Function::ClearDemand97 => Some(Edition::V1997),
        _ => Some(Edition::V2007),
    }
}

/// Would `parse` read this control byte as a Request/Reply/Error body (rather than Other)?
#[inline]
fn known_body(c: Control) -> bool {
    let code = c.function();
    let defined = code == 0x03 || code == 0x08 || Edition::of_function(code).is_some();
    if !defined {
        return false;
    }
    if !c.is_reply() {
        return !c.is_abnormal() && !c.has_follow();
    }
    // Replies to 0x08 do not exist.
    code != 0x08
}

impl Address {
    /// [`Address::allowed_for`] for a named function; 1997 functions follow the same
    /// broadcast rule (only 0x08 may be broadcast), with no wildcard restriction.
    #[inline]
    pub fn allowed_for_request(&self, f: Function) -> bool {
        match function_edition(f) {
            Some(Edition::V1997) => !self.is_broadcast(),
            _ => self.allowed_for(f.code()),
        }
    }
}

/// The frame a concentrator sees most, a 2007 read reply (0x91, 0xB1), decoded inline in the
/// caller; the same result as the general path (`parse_inner` gives `Reply::Read` for these
/// controls and lengths; the proptests compare both through re-emit).
#[inline]
fn fast_read_reply(address: Address, control: Control, data: Payload<'_>) -> Option<Repr<'_>> {
    let (raw, wire) = data.as_raw();
    if matches!(control.0, 0x91 | 0xB1)
        && raw.len() <= crate::reply::MAX_READ_LEN
        && let Some((di, rest)) = raw.split_first_chunk::<4>()
    {
        // The DI's four bytes unscrambled at once (wire order is DI0 first: little-endian).
        let di = u32::from_le_bytes(*di);
        let (di, data) = if wire {
            (crate::bcd::unscramble4(di, 4), Payload::Wire(rest))
        } else {
            (di, Payload::Plain(rest))
        };
        return Some(Repr {
            address,
            follow: control.has_follow(),
            body: Body::Reply(Reply::Read {
                di: crate::Di(di),
                data,
            }),
        });
    }
    None
}

/// The echo of a concentrator's own read request (0x11, exactly the DI: L = 4), to an address
/// a read may go to (not the broadcast address, 2007 §4.1), inline after the read-reply path
/// and at the top of the general path: the same result as `Request::parse` gives it
/// (`read_request_fast_path_matches_general_path`).
#[inline(always)]
fn fast_read_request(address: Address, control: Control, data: Payload<'_>) -> Option<Repr<'_>> {
    let (raw, wire) = data.as_raw();
    if control.0 == 0x11
        && let Ok(di) = <[u8; 4]>::try_from(raw)
        && address.allowed_for_request(Function::Read)
    {
        let di = u32::from_le_bytes(di);
        let di = if wire {
            crate::bcd::unscramble4(di, 4)
        } else {
            di
        };
        return Some(Repr {
            address,
            follow: false,
            body: Body::Request(Request::Read { di: crate::Di(di) }),
        });
    }
    None
}

/// The 1997 read exchange, which 1997 meters still answer on many buses: the request 0x01
/// with exactly the DI (L = 2) to an address a read may go to (not the broadcast address),
/// and the normal reply 0x81 / 0xA1 with the DI and at most [`MAX_READ_LEN`](crate::MAX_READ_LEN)
/// bytes in all, at the top of the general path: the same result as `Request::parse` /
/// `Reply::parse` give them (`read97_fast_path_matches_general_path`).
#[inline(always)]
fn fast_read97(address: Address, control: Control, data: Payload<'_>) -> Option<Repr<'_>> {
    if !matches!(control.0, 0x01 | 0x81 | 0xA1) {
        return None;
    }
    let (raw, wire) = data.as_raw();
    let (di, rest) = raw.split_first_chunk::<2>()?;
    // The DI's two bytes unscrambled at once (DI0 first on the wire: little-endian).
    let di = u16::from_le_bytes(*di);
    let di = crate::Di97(if wire {
        crate::bcd::unscramble4(u32::from(di), 2) as u16
    } else {
        di
    });
    if control.0 == 0x01 {
        return (rest.is_empty() && address.allowed_for_request(Function::Read97)).then_some(
            Repr {
                address,
                follow: false,
                body: Body::Request(Request::Read97 { di }),
            },
        );
    }
    (raw.len() <= crate::reply::MAX_READ_LEN).then_some(Repr {
        address,
        follow: control.has_follow(),
        body: Body::Reply(Reply::Read97 {
            di,
            data: if wire {
                Payload::Wire(rest)
            } else {
                Payload::Plain(rest)
            },
        }),
    })
}

fn parse_inner<'a>(
    address: Address,
    control: Control,
    data: Payload<'a>,
    data_offset: usize,
    len_offset: usize,
    address_offset: usize,
    hint: Option<Edition>,
) -> Result<Repr<'a>, Error> {
    if let Some(r) = fast_read_request(address, control, data) {
        return Ok(r);
    }
    if let Some(r) = fast_read97(address, control, data) {
        return Ok(r);
    }
    parse_general(
        address,
        control,
        data,
        data_offset,
        len_offset,
        address_offset,
        hint,
    )
}

/// [`parse_inner`] without the read-request fast path: every frame.
#[inline(always)]
fn parse_general<'a>(
    address: Address,
    control: Control,
    data: Payload<'a>,
    data_offset: usize,
    len_offset: usize,
    address_offset: usize,
    hint: Option<Edition>,
) -> Result<Repr<'a>, Error> {
    let code = control.function();
    let len = data.len();
    let other = Repr {
        address,
        follow: control.has_follow(),
        body: Body::Other { control, data },
    };
    if !known_body(control) {
        return Ok(other);
    }
    let edition = match Edition::of_function(code) {
        Some(e) => e,
        None if code == 0x03 => hint.unwrap_or(if control.is_reply() {
            // 2007 security replies carry a 4-byte DI and errors a 2-byte SERR; anything
            // shorter is the 1997 re-read.
            if (control.is_abnormal() && len == 1) || (!control.is_abnormal() && len < 4) {
                Edition::V1997
            } else {
                Edition::V2007
            }
        } else if len == 2 {
            Edition::V1997
        } else {
            Edition::V2007
        }),
        None => hint.unwrap_or(Edition::V2007),
    };
    let f = Function::from_code(edition, code);
    let reader = Reader::new(data, data_offset);
    let body = if !control.is_reply() {
        if !address.allowed_for_request(f) {
            return Err(Error::AddressNotAllowed {
                offset: address_offset,
                function: code,
            });
        }
        match Request::parse(f, reader, len_offset) {
            Some(r) => Body::Request(r?),
            None => return Ok(other),
        }
    } else if control.is_abnormal() {
        let mut r = reader;
        let word = match (len, f) {
            (2, Function::Security) => ErrorWord::Security(SecurityError::from_bits_retain(
                u16::from_le_bytes(r.array()?),
            )),
            (2, Function::RemoteSwitch) => ErrorWord::Switch(SwitchError::from_bits_retain(
                u16::from_le_bytes(r.array()?),
            )),
            (1, _) if edition == Edition::V1997 => {
                ErrorWord::V1997(Err1997::from_bits_retain(r.u8()?))
            }
            (1, f) if f != Function::Security => {
                ErrorWord::V2007(Err2007::from_bits_retain(r.u8()?))
            }
            _ => {
                return Err(Error::BadLength {
                    offset: len_offset,
                    function: code,
                    len: len as u8,
                });
            }
        };
        Body::Error { function: f, word }
    } else {
        match Reply::parse(f, reader, len_offset) {
            Some(r) => Body::Reply(r?),
            None => return Ok(other),
        }
    };
    Ok(Repr {
        address,
        follow: control.has_follow(),
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 1997 read fast path gives what the general path gives, or leaves the frame to it:
    /// control bytes around 0x01 / 0x81 (follow bit, abnormal, 2007 codes), DATA of 0..=6
    /// bytes and of 200 / 201 bytes (the read limit), scrambled and plain, to a normal, the
    /// broadcast, the wildcard and a partly wildcard address.
    #[test]
    fn read97_fast_path_matches_general_path() {
        let addresses = [
            Address([0x63, 0x01, 0x43, 0x03, 0, 0]),
            Address::BROADCAST,
            Address::WILDCARD,
            Address([0x63, 0x01, 0, 0, 0xAA, 0xAA]),
        ];
        let long = [0x35u8; 201];
        let mut fast_hits = 0;
        for address in addresses {
            for c in [0x01u8, 0x21, 0x41, 0x81, 0xA1, 0xC1, 0x11, 0x91, 0x83] {
                for n in [0, 1, 2, 3, 4, 6, 200, 201] {
                    for data in [Payload::Wire(&long[..n]), Payload::Plain(&long[..n])] {
                        let general = parse_general(address, Control(c), data, 10, 9, 1, None);
                        match fast_read97(address, Control(c), data) {
                            Some(fast) => {
                                fast_hits += 1;
                                assert_eq!(Ok(fast), general, "{address:?} {c:02X} {n}");
                            }
                            None => assert!(
                                !matches!(
                                    general,
                                    Ok(Repr {
                                        body: Body::Request(Request::Read97 { .. })
                                            | Body::Reply(Reply::Read97 { .. }),
                                        ..
                                    })
                                ),
                                "{address:?} {c:02X} {n} left to the general path"
                            ),
                        }
                    }
                }
            }
        }
        // Requests: three addresses × wire/plain; replies: four addresses × two controls ×
        // five lengths (2..=200) × wire/plain.
        assert_eq!(fast_hits, 6 + 80);
        // frames.tsv V26: 68 63 01 43 03 00 00 68 01 02 43 C3 83 16, 1997 read of 9010.
        let v26 = [0x43, 0xC3];
        assert_eq!(
            fast_read97(addresses[0], Control(0x01), Payload::Wire(&v26)),
            Some(Repr::request(
                addresses[0],
                Request::Read97 {
                    di: crate::Di97(0x9010)
                }
            ))
        );
    }

    /// The read-request fast path gives what the general path gives, or leaves the frame to
    /// it: control bytes around 0x11, DATA of 0..=6 bytes (only L = 4 is a plain read),
    /// scrambled and plain, to a normal, the broadcast (refused for reads), the wildcard and
    /// a partly wildcard address.
    #[test]
    fn read_request_fast_path_matches_general_path() {
        let addresses = [
            Address([0x61, 0x01, 0, 0, 0, 0]),
            Address::BROADCAST,
            Address::WILDCARD,
            Address([0x61, 0x01, 0, 0, 0xAA, 0xAA]),
        ];
        let bytes = [0x33u8, 0x34, 0x34, 0x35, 0x37, 0x33];
        let mut fast_hits = 0;
        for address in addresses {
            for c in [0x11u8, 0x31, 0x51, 0x91, 0x12, 0x01] {
                for n in 0..=bytes.len() {
                    for data in [Payload::Wire(&bytes[..n]), Payload::Plain(&bytes[..n])] {
                        let general = parse_general(address, Control(c), data, 10, 9, 1, None);
                        match fast_read_request(address, Control(c), data) {
                            Some(fast) => {
                                fast_hits += 1;
                                assert_eq!(Ok(fast), general, "{address:?} {c:02X} {data:?}");
                            }
                            None => assert!(
                                !matches!(
                                    general,
                                    Ok(Repr {
                                        body: Body::Request(Request::Read { .. }),
                                        ..
                                    })
                                ),
                                "{address:?} {c:02X} {data:?} left to the general path"
                            ),
                        }
                    }
                }
            }
        }
        // Three addresses a read may go to, scrambled and plain.
        assert_eq!(fast_hits, 6);
        // frames.tsv V04: 68 61 01 00 00 00 00 68 11 04 33 33 34 33 14 16, read of 00010000.
        let v04 = [0x33, 0x33, 0x34, 0x33];
        assert_eq!(
            fast_read_request(addresses[0], Control(0x11), Payload::Wire(&v04)),
            Some(Repr::request(
                addresses[0],
                Request::Read {
                    di: crate::Di(0x0001_0000)
                }
            ))
        );
    }
}
