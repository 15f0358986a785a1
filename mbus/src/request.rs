//! The requests a master sends: link reset, data requests, application reset, secondary
//! selection, set primary address, baud-rate switch and generic user data.

use crate::{Address, Control, EmitError, Frame, FrameFormat, Repr, RequestError, SecondaryMask};

/// CI of an application reset (EN 13757-3, table of CI fields).
pub const CI_APPLICATION_RESET: u8 = 0x50;
/// CI of a data send, LSB first (used to set the primary address).
pub const CI_DATA_SEND: u8 = 0x51;
/// CI of a secondary-address selection, LSB first.
pub const CI_SELECT: u8 = 0x52;
/// CI of the first baud-rate switch code (300 Bd); 0xB8..=0xBF cover 300..=38400 Bd.
pub const CI_BAUD_BASE: u8 = 0xB8;

/// The record that sets a primary address: DIF 0x01 (8-bit integer), VIF 0x7A (bus address),
/// then the new address (m-bus.com v4.8, 6.4.1; libmbus `mbus_set_primary_address`).
const SET_ADDRESS_DIF: u8 = 0x01;
const SET_ADDRESS_VIF: u8 = 0x7A;

/// The line speeds a slave can be told to switch to (CI 0xB8..=0xBF).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BaudRate {
    /// 300 Bd (CI 0xB8).
    B300,
    /// 600 Bd (CI 0xB9).
    B600,
    /// 1200 Bd (CI 0xBA).
    B1200,
    /// 2400 Bd (CI 0xBB).
    B2400,
    /// 4800 Bd (CI 0xBC).
    B4800,
    /// 9600 Bd (CI 0xBD).
    B9600,
    /// 19200 Bd (CI 0xBE).
    B19200,
    /// 38400 Bd (CI 0xBF).
    B38400,
}

impl BaudRate {
    /// All rates, slowest first.
    pub const ALL: [BaudRate; 8] = [
        BaudRate::B300,
        BaudRate::B600,
        BaudRate::B1200,
        BaudRate::B2400,
        BaudRate::B4800,
        BaudRate::B9600,
        BaudRate::B19200,
        BaudRate::B38400,
    ];

    /// The CI byte that asks for this rate.
    pub const fn ci(self) -> u8 {
        CI_BAUD_BASE + self as u8
    }

    /// The rate a CI byte asks for, if it is in 0xB8..=0xBF.
    pub const fn from_ci(ci: u8) -> Option<BaudRate> {
        match ci {
            0xB8 => Some(BaudRate::B300),
            0xB9 => Some(BaudRate::B600),
            0xBA => Some(BaudRate::B1200),
            0xBB => Some(BaudRate::B2400),
            0xBC => Some(BaudRate::B4800),
            0xBD => Some(BaudRate::B9600),
            0xBE => Some(BaudRate::B19200),
            0xBF => Some(BaudRate::B38400),
            _ => None,
        }
    }

    /// Bits per second.
    pub const fn bits_per_second(self) -> u32 {
        300 << (self as u32)
    }
}

/// A master-to-slave telegram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Request<'a> {
    /// SND_NKE short frame: link reset; the slave answers E5 and its next FCB is expected 1.
    SndNke {
        /// The slave (253 deselects every selected slave).
        address: Address,
    },
    /// REQ_UD2 short frame: ask for meter data (answered by RSP_UD).
    ReqUd2 {
        /// The slave.
        address: Address,
        /// Frame count bit.
        fcb: bool,
    },
    /// REQ_UD1 short frame: ask for alarm data.
    ReqUd1 {
        /// The slave.
        address: Address,
        /// Frame count bit.
        fcb: bool,
    },
    /// SND_UD with CI 0x50 and an optional subcode (some meters select a readout set with it).
    ApplicationReset {
        /// The slave.
        address: Address,
        /// Frame count bit.
        fcb: bool,
        /// The subcode byte, if any.
        subcode: Option<u8>,
    },
    /// SND_UD to 253 with CI 0x52: select the slaves matching a mask (answered by E5).
    Select {
        /// Frame count bit.
        fcb: bool,
        /// The pattern to match.
        mask: SecondaryMask,
    },
    /// SND_UD with CI 0x51 and the record `01 7A nn`: give the slave primary address `nn`.
    SetPrimaryAddress {
        /// The slave (its current address, or 253 after a selection).
        address: Address,
        /// Frame count bit.
        fcb: bool,
        /// The new primary address.
        new_address: u8,
    },
    /// Control frame SND_UD with CI 0xB8..=0xBF: switch the slave's line speed. The slave
    /// acknowledges at the old speed, then switches.
    SwitchBaudRate {
        /// The slave.
        address: Address,
        /// Frame count bit.
        fcb: bool,
        /// The new speed.
        baud: BaudRate,
    },
    /// Any other SND_UD: a CI and up to 252 bytes of data.
    SendData {
        /// The slave.
        address: Address,
        /// Frame count bit.
        fcb: bool,
        /// CI field.
        ci: u8,
        /// Data after the CI field.
        data: &'a [u8],
    },
}

impl<'a> Request<'a> {
    /// The slave the request goes to.
    pub fn address(&self) -> Address {
        match *self {
            Request::SndNke { address }
            | Request::ReqUd2 { address, .. }
            | Request::ReqUd1 { address, .. }
            | Request::ApplicationReset { address, .. }
            | Request::SetPrimaryAddress { address, .. }
            | Request::SwitchBaudRate { address, .. }
            | Request::SendData { address, .. } => address,
            Request::Select { .. } => Address::NETWORK,
        }
    }

    /// The frame count bit the request carries (`None` for SND_NKE).
    pub fn fcb(&self) -> Option<bool> {
        match *self {
            Request::SndNke { .. } => None,
            Request::ReqUd2 { fcb, .. }
            | Request::ReqUd1 { fcb, .. }
            | Request::ApplicationReset { fcb, .. }
            | Request::Select { fcb, .. }
            | Request::SetPrimaryAddress { fcb, .. }
            | Request::SwitchBaudRate { fcb, .. }
            | Request::SendData { fcb, .. } => Some(fcb),
        }
    }

    /// Whether the slave answers with RSP_UD (data) rather than E5.
    pub fn expects_data(&self) -> bool {
        matches!(self, Request::ReqUd2 { .. } | Request::ReqUd1 { .. })
    }

    /// Hand the frame this request is sent as to `f`.
    fn with_repr<R>(&self, f: impl FnOnce(&Repr<'_>) -> R) -> R {
        let long = |address, fcb, ci, data| Repr::Long {
            control: Control::SndUd { fcb },
            address,
            ci,
            data,
        };
        let repr = match *self {
            Request::SndNke { address } => Repr::Short {
                control: Control::SndNke,
                address,
            },
            Request::ReqUd2 { address, fcb } => Repr::Short {
                control: Control::ReqUd2 { fcb },
                address,
            },
            Request::ReqUd1 { address, fcb } => Repr::Short {
                control: Control::ReqUd1 { fcb },
                address,
            },
            Request::ApplicationReset {
                address,
                fcb,
                subcode,
            } => {
                let sub;
                let data: &[u8] = match subcode {
                    Some(s) => {
                        sub = [s];
                        &sub
                    }
                    None => &[],
                };
                return f(&long(address, fcb, CI_APPLICATION_RESET, data));
            }
            Request::Select { fcb, mask } => {
                let bytes = mask.to_bytes();
                return f(&long(Address::NETWORK, fcb, CI_SELECT, &bytes));
            }
            Request::SetPrimaryAddress {
                address,
                fcb,
                new_address,
            } => {
                let record = [SET_ADDRESS_DIF, SET_ADDRESS_VIF, new_address];
                return f(&long(address, fcb, CI_DATA_SEND, &record));
            }
            Request::SwitchBaudRate { address, fcb, baud } => long(address, fcb, baud.ci(), &[]),
            Request::SendData {
                address,
                fcb,
                ci,
                data,
            } => {
                return f(&long(address, fcb, ci, data));
            }
        };
        f(&repr)
    }

    /// Bytes [`emit`](Request::emit) writes.
    pub fn buffer_len(&self) -> usize {
        self.with_repr(|r| r.buffer_len())
    }

    /// Write the frame to the front of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        self.with_repr(|r| r.emit(buf))
    }

    /// Read a master request back from a checked frame (a slave simulator, a bus monitor,
    /// or the echo of our own request).
    ///
    /// The most specific reading wins: a SND_UD with CI 0x51 and exactly `01 7A nn` is
    /// [`Request::SetPrimaryAddress`], CI 0x50 with at most one byte is
    /// [`Request::ApplicationReset`], CI 0x52 to address 253 is [`Request::Select`], an empty
    /// CI 0xB8..=0xBF is [`Request::SwitchBaudRate`]; any other SND_UD is
    /// [`Request::SendData`].
    pub fn parse(frame: &Frame<'a>) -> Result<Request<'a>, RequestError> {
        match Repr::parse(frame) {
            Repr::Ack | Repr::Nack => Err(RequestError::SingleCharacter),
            Repr::Short { control, address } => match control {
                Control::SndNke => Ok(Request::SndNke { address }),
                Control::ReqUd2 { fcb } => Ok(Request::ReqUd2 { address, fcb }),
                Control::ReqUd1 { fcb } => Ok(Request::ReqUd1 { address, fcb }),
                c if c.is_request() => Err(RequestError::UnknownShortRequest { byte: c.byte() }),
                c => Err(RequestError::NotARequest {
                    offset: 1,
                    byte: c.byte(),
                }),
            },
            Repr::Long {
                control,
                address,
                ci,
                data,
            } => {
                let Control::SndUd { fcb } = control else {
                    return Err(RequestError::NotARequest {
                        offset: 4,
                        byte: control.byte(),
                    });
                };
                Ok(match (ci, data) {
                    (CI_APPLICATION_RESET, []) => Request::ApplicationReset {
                        address,
                        fcb,
                        subcode: None,
                    },
                    (CI_APPLICATION_RESET, [s]) => Request::ApplicationReset {
                        address,
                        fcb,
                        subcode: Some(*s),
                    },
                    (CI_SELECT, _) if address == Address::NETWORK => {
                        let bytes: [u8; 8] =
                            data.try_into()
                                .map_err(|_| RequestError::BadSelectionLength {
                                    offset: 7,
                                    len: data.len(),
                                })?;
                        Request::Select {
                            fcb,
                            mask: SecondaryMask::from_bytes(bytes),
                        }
                    }
                    (CI_DATA_SEND, [SET_ADDRESS_DIF, SET_ADDRESS_VIF, n]) => {
                        Request::SetPrimaryAddress {
                            address,
                            fcb,
                            new_address: *n,
                        }
                    }
                    (ci, []) if frame.format() == FrameFormat::Control => {
                        match BaudRate::from_ci(ci) {
                            Some(baud) => Request::SwitchBaudRate { address, fcb, baud },
                            None => Request::SendData {
                                address,
                                fcb,
                                ci,
                                data,
                            },
                        }
                    }
                    (ci, data) => Request::SendData {
                        address,
                        fcb,
                        ci,
                        data,
                    },
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(r: &Request<'_>) -> ([u8; 32], usize) {
        let mut buf = [0u8; 32];
        let n = r.emit(&mut buf).unwrap();
        (buf, n)
    }

    #[test]
    fn wire_bytes() {
        let a = Address::from_byte(1);
        let (b, n) = bytes(&Request::SndNke { address: a });
        assert_eq!(&b[..n], &[0x10, 0x40, 0x01, 0x41, 0x16]);
        let (b, n) = bytes(&Request::ReqUd2 {
            address: a,
            fcb: true,
        });
        assert_eq!(&b[..n], &[0x10, 0x7B, 0x01, 0x7C, 0x16]);
        // The captured selection of notes 1.5.
        let (b, n) = bytes(&Request::Select {
            fcb: true,
            mask: SecondaryMask::id(0x1234_5678),
        });
        assert_eq!(
            &b[..n],
            &[
                0x68, 0x0B, 0x0B, 0x68, 0x73, 0xFD, 0x52, 0x78, 0x56, 0x34, 0x12, 0xFF, 0xFF, 0xFF,
                0xFF, 0xD2, 0x16
            ]
        );
        // 2400 Bd switch: control frame, CI 0xBB.
        let (b, n) = bytes(&Request::SwitchBaudRate {
            address: a,
            fcb: false,
            baud: BaudRate::B2400,
        });
        assert_eq!(
            &b[..n],
            &[0x68, 0x03, 0x03, 0x68, 0x53, 0x01, 0xBB, 0x0F, 0x16]
        );
    }

    #[test]
    fn frames_that_are_not_requests() {
        fn parse(b: &[u8]) -> Result<Request<'_>, RequestError> {
            Request::parse(&Frame::new_checked(b).unwrap())
        }
        assert_eq!(parse(&[0xE5]), Err(RequestError::SingleCharacter));
        // SND_UD (0x53) in a short frame: a request, but none M-Bus sends that way.
        assert_eq!(
            parse(&[0x10, 0x53, 0x01, 0x54, 0x16]),
            Err(RequestError::UnknownShortRequest { byte: 0x53 })
        );
        // RSP_UD in a short frame.
        assert_eq!(
            parse(&[0x10, 0x08, 0x01, 0x09, 0x16]),
            Err(RequestError::NotARequest {
                offset: 1,
                byte: 0x08
            })
        );
        // A selection with 7 data bytes.
        let mut buf = [0u8; 32];
        let n = Repr::Long {
            control: Control::SndUd { fcb: false },
            address: Address::NETWORK,
            ci: CI_SELECT,
            data: &[0xFF; 7],
        }
        .emit(&mut buf)
        .unwrap();
        assert_eq!(
            parse(&buf[..n]),
            Err(RequestError::BadSelectionLength { offset: 7, len: 7 })
        );
    }

    #[test]
    fn baud_codes() {
        for (i, b) in BaudRate::ALL.iter().enumerate() {
            assert_eq!(BaudRate::from_ci(b.ci()), Some(*b));
            assert_eq!(b.ci(), 0xB8 + i as u8);
        }
        assert_eq!(BaudRate::B2400.bits_per_second(), 2400);
        assert_eq!(BaudRate::B38400.bits_per_second(), 38400);
    }
}
