//! Normal replies from a meter (D7 = 1, D6 = 0), one variant per reply form.

use crate::request::{Reader, Writer};
use crate::{
    Address, Baud, Di, Di97, Error, Function, OutputMode, Password, Payload, SwitchStatus,
};

/// The most DATA bytes of a read reply (2007 §4.5: L ≤ 200 for reads; longer data goes into
/// follow-up frames).
pub const MAX_READ_LEN: usize = 200;

/// A normal reply, decoded. A meter simulator builds these and
/// [`emit`](crate::Repr::emit)s them through a [`Repr`](crate::Repr).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reply<'a> {
    /// 0x83 (2007): security reply, DI + data.
    Security {
        /// The security DI.
        di: Di,
        /// Data after the DI, carried as is.
        data: Payload<'a>,
    },
    /// 0x91 / 0xB1: read reply, DI + data.
    Read {
        /// The DI read.
        di: Di,
        /// The value bytes; decode them with [`Reply::values`].
        data: Payload<'a>,
    },
    /// 0x92 / 0xB2: follow-up reply, DI + data + SEQ.
    ReadFollow {
        /// The DI read.
        di: Di,
        /// The value bytes of this part.
        data: Payload<'a>,
        /// The sequence number, repeated from the request.
        seq: u8,
    },
    /// 0x93: the meter's address.
    Address(Address),
    /// A reply without data confirming the function (0x94, 0x95, 0x96, 0x99, 0x9A, 0x9B,
    /// 0x9C; 1997 0x84, 0x8A, 0x8F, 0x90).
    Ack(Function),
    /// 0x97: the new baud rate (switched to after this reply).
    Baud(Baud),
    /// 0x98: the new password.
    Password(Password),
    /// 0x9C with L = 2: the execution-status word (State-Grid 2014).
    SwitchStatus(SwitchStatus),
    /// 0x9D: the output mode, echoed.
    Output(OutputMode),
    /// 0x81 / 0xA1 (1997): read reply.
    Read97 {
        /// The DI read.
        di: Di97,
        /// The value bytes.
        data: Payload<'a>,
    },
    /// 0x82 / 0xA2 (1997): follow-up reply.
    ReadFollow97 {
        /// The DI read.
        di: Di97,
        /// The value bytes.
        data: Payload<'a>,
    },
    /// 0x83 (1997): re-read reply.
    ReRead97 {
        /// The DI read.
        di: Di97,
        /// The value bytes.
        data: Payload<'a>,
    },
    /// 0x8C (1997): the new baud rate.
    Baud97(Baud),
}

impl<'a> Reply<'a> {
    /// The function this reply answers.
    #[inline]
    pub fn function(&self) -> Function {
        match self {
            Reply::Security { .. } => Function::Security,
            Reply::Read { .. } => Function::Read,
            Reply::ReadFollow { .. } => Function::ReadFollow,
            Reply::Address(_) => Function::ReadAddress,
            Reply::Ack(f) => *f,
            Reply::Baud(_) => Function::ChangeBaud,
            Reply::Password(_) => Function::ChangePassword,
            Reply::SwitchStatus(_) => Function::RemoteSwitch,
            Reply::Output(_) => Function::TerminalOutput,
            Reply::Read97 { .. } => Function::Read97,
            Reply::ReadFollow97 { .. } => Function::ReadFollow97,
            Reply::ReRead97 { .. } => Function::ReRead97,
            Reply::Baud97(_) => Function::ChangeBaud97,
        }
    }

    /// The DI of a data reply (2007).
    #[inline]
    pub fn di(&self) -> Option<Di> {
        match self {
            Reply::Security { di, .. } | Reply::Read { di, .. } | Reply::ReadFollow { di, .. } => {
                Some(*di)
            }
            _ => None,
        }
    }

    /// The DI of a data reply (1997).
    #[inline]
    pub fn di97(&self) -> Option<Di97> {
        match self {
            Reply::Read97 { di, .. }
            | Reply::ReadFollow97 { di, .. }
            | Reply::ReRead97 { di, .. } => Some(*di),
            _ => None,
        }
    }

    /// The value bytes of a data reply (after the DI, without SEQ).
    #[inline]
    pub fn data(&self) -> Option<Payload<'a>> {
        match self {
            Reply::Security { data, .. }
            | Reply::Read { data, .. }
            | Reply::ReadFollow { data, .. }
            | Reply::Read97 { data, .. }
            | Reply::ReadFollow97 { data, .. }
            | Reply::ReRead97 { data, .. } => Some(*data),
            _ => None,
        }
    }

    /// The sequence number of a 2007 follow-up reply.
    #[inline]
    pub fn seq(&self) -> Option<u8> {
        match self {
            Reply::ReadFollow { seq, .. } => Some(*seq),
            _ => None,
        }
    }

    /// DATA length of this reply.
    #[inline]
    pub fn data_len(&self) -> usize {
        match self {
            Reply::Security { data, .. } | Reply::Read { data, .. } => 4 + data.len(),
            Reply::ReadFollow { data, .. } => 5 + data.len(),
            Reply::Address(_) => 6,
            Reply::Ack(_) => 0,
            Reply::Baud(_) | Reply::Output(_) | Reply::Baud97(_) => 1,
            Reply::Password(_) => 4,
            Reply::SwitchStatus(_) => 2,
            Reply::Read97 { data, .. }
            | Reply::ReadFollow97 { data, .. }
            | Reply::ReRead97 { data, .. } => 2 + data.len(),
        }
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        match self {
            Reply::Security { di, data } | Reply::Read { di, data } => {
                w.put(&di.wire())?;
                w.payload(data)
            }
            Reply::ReadFollow { di, data, seq } => {
                w.put(&di.wire())?;
                w.payload(data)?;
                w.put(&[*seq])
            }
            Reply::Address(a) => w.put(&a.0),
            Reply::Ack(f) => {
                if ack_function(*f) {
                    Ok(())
                } else {
                    Err(Error::BadField {
                        field: "Ack function (no data-less reply exists for it)",
                    })
                }
            }
            Reply::Baud(b) | Reply::Baud97(b) => w.put(&[b.word()]),
            Reply::Output(m) => w.put(&[m.code()]),
            Reply::Password(p) => w.put(&p.wire()),
            Reply::SwitchStatus(s) => w.put(&s.bits().to_le_bytes()),
            Reply::Read97 { di, data }
            | Reply::ReadFollow97 { di, data }
            | Reply::ReRead97 { di, data } => {
                w.put(&di.wire())?;
                w.payload(data)
            }
        }
    }

    /// Parse the DATA of a normal reply to `f`; `None` when `f` has no reply form.
    pub(crate) fn parse(
        f: Function,
        mut r: Reader<'a>,
        len_offset: usize,
    ) -> Option<Result<Reply<'a>, Error>> {
        let len = r.p.len();
        let bad = || Error::BadLength {
            offset: len_offset,
            function: f.code(),
            len: len as u8,
        };
        let fixed = |n: usize| if len == n { Ok(()) } else { Err(bad()) };
        let read = |n: usize| {
            if len < n {
                Err(bad())
            } else if len > MAX_READ_LEN {
                Err(Error::TooLong {
                    offset: len_offset,
                    function: f.code(),
                    len: len as u8,
                    max: MAX_READ_LEN as u8,
                })
            } else {
                Ok(())
            }
        };
        let res = (|| {
            Ok(match f {
                Function::Security => {
                    read(4)?;
                    Reply::Security {
                        di: r.di()?,
                        data: r.rest(),
                    }
                }
                Function::Read => {
                    read(4)?;
                    Reply::Read {
                        di: r.di()?,
                        data: r.rest(),
                    }
                }
                Function::ReadFollow => {
                    read(5)?;
                    let di = r.di()?;
                    let body = r.remaining() - 1;
                    let data = r.p.slice(4, 4 + body).ok_or(bad())?;
                    r.pos += body;
                    Reply::ReadFollow {
                        di,
                        data,
                        seq: r.u8()?,
                    }
                }
                Function::ReadAddress => {
                    fixed(6)?;
                    Reply::Address(r.address()?)
                }
                Function::ChangeBaud => {
                    fixed(1)?;
                    Reply::Baud(r.baud()?)
                }
                Function::ChangeBaud97 => {
                    fixed(1)?;
                    Reply::Baud97(r.baud()?)
                }
                Function::ChangePassword => {
                    fixed(4)?;
                    Reply::Password(r.password()?)
                }
                Function::RemoteSwitch if len == 2 => Reply::SwitchStatus(
                    SwitchStatus::from_bits_retain(u16::from_le_bytes(r.array()?)),
                ),
                Function::TerminalOutput => {
                    fixed(1)?;
                    Reply::Output(OutputMode::from_code(r.u8()?))
                }
                Function::Read97 => {
                    read(2)?;
                    Reply::Read97 {
                        di: r.di97()?,
                        data: r.rest(),
                    }
                }
                Function::ReadFollow97 => {
                    read(2)?;
                    Reply::ReadFollow97 {
                        di: r.di97()?,
                        data: r.rest(),
                    }
                }
                Function::ReRead97 => {
                    read(2)?;
                    Reply::ReRead97 {
                        di: r.di97()?,
                        data: r.rest(),
                    }
                }
                f if ack_function(f) => {
                    fixed(0)?;
                    Reply::Ack(f)
                }
                _ => return Err(bad()),
            })
        })();
        if matches!(f, Function::Unknown(_) | Function::BroadcastTime) {
            return None;
        }
        Some(res)
    }

    /// Does this function get a normal reply without data?
    #[inline]
    pub fn is_ack_function(f: Function) -> bool {
        ack_function(f)
    }
}

#[inline]
fn ack_function(f: Function) -> bool {
    matches!(
        f,
        Function::Write
            | Function::WriteAddress
            | Function::Freeze
            | Function::ClearDemand
            | Function::ClearMeter
            | Function::ClearEvents
            | Function::RemoteSwitch
            | Function::Write97
            | Function::WriteAddress97
            | Function::ChangePassword97
            | Function::ClearDemand97
    )
}
