//! Requests from the master: one variant per function of both editions.

use crate::{
    Baud, DateTime, Di, Di97, Error, FreezeTime, Function, MinuteTime, Operator, OutputMode,
    Password, Payload, SwitchAction,
};

/// The most DATA bytes of a write request (2007 §4.5 and 1997 alike: L ≤ 50 for writes).
pub const MAX_WRITE_LEN: usize = 50;

/// A request (D7 = 0), decoded. Build one and [`emit`](crate::Repr::emit) it through a
/// [`Repr`](crate::Repr).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Request<'a> {
    /// 0x03 (2007): security authentication, DI + operator code + ESAM data, carried as is.
    Security {
        /// The security DI (070000FF identity authentication, ...).
        di: Di,
        /// The data after the DI (operator code, ciphertext, random numbers ...).
        data: Payload<'a>,
    },
    /// 0x08: broadcast time (both editions; address 999999999999).
    BroadcastTime(DateTime),
    /// 0x11, L = 4: read one DI.
    Read {
        /// What to read.
        di: Di,
    },
    /// 0x11, L = 5: read `count` blocks (records) of a DI.
    ReadBlocks {
        /// What to read.
        di: Di,
        /// N, the number of blocks, as sent (BCD for 0610 curves).
        count: u8,
    },
    /// 0x11, L = 10: read `count` records from `start` (load curves 06xx0001, 0610xxxx).
    ReadFrom {
        /// What to read.
        di: Di,
        /// N, the number of records, as sent (BCD for 0610 curves).
        count: u8,
        /// The first record time.
        start: MinuteTime,
    },
    /// 0x12: read the follow-up frame `seq` (1, 2, ...) of a reply that had D5 set.
    ReadFollow {
        /// The DI of the original read.
        di: Di,
        /// Frame sequence number.
        seq: u8,
    },
    /// 0x13: read the communication address (address all AA, L = 0).
    ReadAddress,
    /// 0x14: write data.
    Write {
        /// What to write.
        di: Di,
        /// Password level and password.
        password: Password,
        /// Operator code.
        operator: Operator,
        /// The value (and MAC under level 98/99), plain.
        data: Payload<'a>,
    },
    /// 0x15: write the communication address (address all AA).
    WriteAddress(crate::Address),
    /// 0x16: freeze.
    Freeze(FreezeTime),
    /// 0x17: change the baud rate of the port the request came in on.
    ChangeBaud(Baud),
    /// 0x18: change the password of one level.
    ChangePassword {
        /// 04000C01..04000C0A: which level (0..9).
        di: Di,
        /// The current password (with its level).
        old: Password,
        /// The new password (with its level).
        new: Password,
    },
    /// 0x19: maximum-demand clear.
    ClearDemand {
        /// Password level and password.
        password: Password,
        /// Operator code.
        operator: Operator,
    },
    /// 0x1A: meter clear.
    ClearMeter {
        /// Password level and password.
        password: Password,
        /// Operator code.
        operator: Operator,
    },
    /// 0x1B: event clear; DI FFFFFFFF clears all events, DI0 = FF all records of one type.
    ClearEvents {
        /// Password level and password.
        password: Password,
        /// Operator code.
        operator: Operator,
        /// The event DI.
        di: Di,
    },
    /// 0x1C, plaintext form (L = 16).
    Switch {
        /// Password level (not 98) and password.
        password: Password,
        /// Operator code.
        operator: Operator,
        /// N1.
        action: SwitchAction,
        /// N2: pre-trip duration (minutes) for 1D/1E, otherwise 0.
        delay: u8,
        /// N3..N8: the command is void after this time.
        valid_until: DateTime,
    },
    /// 0x1C, ESAM form: PA = 98 and the ciphertext + MAC carried unchanged (State-Grid 2013).
    SwitchEsam {
        /// Level 98 and (ignored) password.
        password: Password,
        /// Operator code.
        operator: Operator,
        /// Ciphertext and MAC as produced by the encryption machine (20 bytes).
        ciphertext: Payload<'a>,
    },
    /// 0x1D: multi-function terminal output.
    TerminalOutput(OutputMode),
    /// 0x01 (1997): read data.
    Read97 {
        /// What to read.
        di: Di97,
    },
    /// 0x02 (1997): read follow-up data (no sequence number in 1997).
    ReadFollow97 {
        /// The DI of the original read.
        di: Di97,
    },
    /// 0x03 (1997): re-read data.
    ReRead97 {
        /// What to read.
        di: Di97,
    },
    /// 0x04 (1997): write data.
    Write97 {
        /// What to write.
        di: Di97,
        /// Password level and password.
        password: Password,
        /// The value, plain.
        data: Payload<'a>,
    },
    /// 0x0A (1997): write device address.
    WriteAddress97(crate::Address),
    /// 0x0C (1997): change baud rate.
    ChangeBaud97(Baud),
    /// 0x0F (1997): change password.
    ChangePassword97 {
        /// Current level and password.
        old: Password,
        /// New level and password.
        new: Password,
    },
    /// 0x10 (1997): maximum-demand clear.
    ClearDemand97 {
        /// Password level and password.
        password: Password,
    },
}

/// Reads fields from DATA, with error offsets in the frame buffer.
pub(crate) struct Reader<'a> {
    pub(crate) p: Payload<'a>,
    pub(crate) base: usize,
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    #[inline]
    pub(crate) fn new(p: Payload<'a>, base: usize) -> Self {
        Reader { p, base, pos: 0 }
    }

    #[inline]
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let a = self
            .p
            .slice(self.pos, self.pos + N)
            .and_then(|s| s.array::<N>())
            .ok_or(Error::Truncated { needed: N })?;
        self.pos += N;
        Ok(a)
    }

    #[inline]
    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    #[inline]
    pub(crate) fn di(&mut self) -> Result<Di, Error> {
        Ok(Di::from_wire(self.array()?))
    }

    #[inline]
    pub(crate) fn di97(&mut self) -> Result<Di97, Error> {
        Ok(Di97::from_wire(self.array()?))
    }

    #[inline]
    pub(crate) fn password(&mut self) -> Result<Password, Error> {
        Ok(Password::from_wire(self.array()?))
    }

    #[inline]
    pub(crate) fn operator(&mut self) -> Result<Operator, Error> {
        Ok(Operator(self.array()?))
    }

    #[inline]
    pub(crate) fn code_at(&self, back: usize, found: u8) -> Error {
        Error::BadCode {
            offset: self.base + self.pos - back,
            found,
        }
    }

    #[inline]
    pub(crate) fn date_time(&mut self) -> Result<DateTime, Error> {
        let t = DateTime::parse(&self.p, self.pos, self.base)?;
        self.pos += 6;
        Ok(t)
    }

    #[inline]
    pub(crate) fn minute_time(&mut self) -> Result<MinuteTime, Error> {
        let t = MinuteTime::parse(&self.p, self.pos, self.base)?;
        self.pos += 5;
        Ok(t)
    }

    #[inline]
    pub(crate) fn freeze_time(&mut self) -> Result<FreezeTime, Error> {
        let t = FreezeTime::parse(&self.p, self.pos, self.base)?;
        self.pos += 4;
        Ok(t)
    }

    #[inline]
    pub(crate) fn baud(&mut self) -> Result<Baud, Error> {
        let z = self.u8()?;
        Baud::from_word(z).ok_or(self.code_at(1, z))
    }

    #[inline]
    pub(crate) fn address(&mut self) -> Result<crate::Address, Error> {
        Ok(crate::Address(self.array()?))
    }

    #[inline]
    pub(crate) fn rest(&mut self) -> Payload<'a> {
        let r = self
            .p
            .slice(self.pos, self.p.len())
            .unwrap_or(Payload::EMPTY);
        self.pos = self.p.len();
        r
    }

    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.p.len().saturating_sub(self.pos)
    }
}

/// Writes plain DATA.
pub(crate) struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl<'b> Writer<'b> {
    #[inline]
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Writer { buf, pos: 0 }
    }

    #[inline]
    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let dst =
            self.buf
                .get_mut(self.pos..self.pos + bytes.len())
                .ok_or(Error::BufferTooSmall {
                    needed: self.pos + bytes.len(),
                })?;
        dst.copy_from_slice(bytes);
        self.pos += bytes.len();
        Ok(())
    }

    #[inline]
    pub(crate) fn payload(&mut self, p: &Payload<'_>) -> Result<(), Error> {
        let dst = self
            .buf
            .get_mut(self.pos..self.pos + p.len())
            .ok_or(Error::BufferTooSmall {
                needed: self.pos + p.len(),
            })?;
        p.copy_to(dst);
        self.pos += p.len();
        Ok(())
    }
}

impl<'a> Request<'a> {
    /// The function of this request.
    pub fn function(&self) -> Function {
        use Request::*;
        match self {
            Security { .. } => Function::Security,
            BroadcastTime(_) => Function::BroadcastTime,
            Read { .. } | ReadBlocks { .. } | ReadFrom { .. } => Function::Read,
            ReadFollow { .. } => Function::ReadFollow,
            ReadAddress => Function::ReadAddress,
            Write { .. } => Function::Write,
            WriteAddress(_) => Function::WriteAddress,
            Freeze(_) => Function::Freeze,
            ChangeBaud(_) => Function::ChangeBaud,
            ChangePassword { .. } => Function::ChangePassword,
            ClearDemand { .. } => Function::ClearDemand,
            ClearMeter { .. } => Function::ClearMeter,
            ClearEvents { .. } => Function::ClearEvents,
            Switch { .. } | SwitchEsam { .. } => Function::RemoteSwitch,
            TerminalOutput(_) => Function::TerminalOutput,
            Read97 { .. } => Function::Read97,
            ReadFollow97 { .. } => Function::ReadFollow97,
            ReRead97 { .. } => Function::ReRead97,
            Write97 { .. } => Function::Write97,
            WriteAddress97(_) => Function::WriteAddress97,
            ChangeBaud97(_) => Function::ChangeBaud97,
            ChangePassword97 { .. } => Function::ChangePassword97,
            ClearDemand97 { .. } => Function::ClearDemand97,
        }
    }

    /// The DI this request names, if any (2007).
    #[inline]
    pub fn di(&self) -> Option<Di> {
        use Request::*;
        match self {
            Security { di, .. }
            | Read { di }
            | ReadBlocks { di, .. }
            | ReadFrom { di, .. }
            | ReadFollow { di, .. }
            | Write { di, .. }
            | ChangePassword { di, .. }
            | ClearEvents { di, .. } => Some(*di),
            _ => None,
        }
    }

    /// The DI this request names, if any (1997).
    #[inline]
    pub fn di97(&self) -> Option<Di97> {
        use Request::*;
        match self {
            Read97 { di } | ReadFollow97 { di } | ReRead97 { di } | Write97 { di, .. } => Some(*di),
            _ => None,
        }
    }

    /// DATA length of this request.
    #[inline]
    pub fn data_len(&self) -> usize {
        use Request::*;
        match self {
            Security { data, .. } => 4 + data.len(),
            BroadcastTime(_) => 6,
            Read { .. } => 4,
            ReadBlocks { .. } => 5,
            ReadFrom { .. } => 10,
            ReadFollow { .. } => 5,
            ReadAddress => 0,
            Write { data, .. } => 12 + data.len(),
            WriteAddress(_) | WriteAddress97(_) => 6,
            Freeze(_) => 4,
            ChangeBaud(_) | ChangeBaud97(_) | TerminalOutput(_) => 1,
            ChangePassword { .. } => 12,
            ClearDemand { .. } | ClearMeter { .. } => 8,
            ClearEvents { .. } => 12,
            Switch { .. } => 16,
            SwitchEsam { ciphertext, .. } => 8 + ciphertext.len(),
            Read97 { .. } | ReadFollow97 { .. } | ReRead97 { .. } => 2,
            Write97 { data, .. } => 6 + data.len(),
            ChangePassword97 { .. } => 8,
            ClearDemand97 { .. } => 4,
        }
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        use Request::*;
        match self {
            Security { di, data } => {
                w.put(&di.wire())?;
                w.payload(data)
            }
            BroadcastTime(t) => w.put(&t.wire()?),
            Read { di } => w.put(&di.wire()),
            ReadBlocks { di, count } => {
                w.put(&di.wire())?;
                w.put(&[*count])
            }
            ReadFrom { di, count, start } => {
                w.put(&di.wire())?;
                w.put(&[*count])?;
                w.put(&start.wire()?)
            }
            ReadFollow { di, seq } => {
                w.put(&di.wire())?;
                w.put(&[*seq])
            }
            ReadAddress => Ok(()),
            Write {
                di,
                password,
                operator,
                data,
            } => {
                w.put(&di.wire())?;
                w.put(&password.wire())?;
                w.put(&operator.0)?;
                w.payload(data)
            }
            WriteAddress(a) | WriteAddress97(a) => w.put(&a.0),
            Freeze(t) => w.put(&t.wire()?),
            ChangeBaud(b) | ChangeBaud97(b) => w.put(&[b.word()]),
            ChangePassword { di, old, new } => {
                w.put(&di.wire())?;
                w.put(&old.wire())?;
                w.put(&new.wire())
            }
            ClearDemand { password, operator } | ClearMeter { password, operator } => {
                w.put(&password.wire())?;
                w.put(&operator.0)
            }
            ClearEvents {
                password,
                operator,
                di,
            } => {
                w.put(&password.wire())?;
                w.put(&operator.0)?;
                w.put(&di.wire())
            }
            Switch {
                password,
                operator,
                action,
                delay,
                valid_until,
            } => {
                if password.level == ESAM_LEVEL {
                    return Err(Error::BadField {
                        field: "password.level (98 is the ESAM form)",
                    });
                }
                w.put(&password.wire())?;
                w.put(&operator.0)?;
                w.put(&[action.code(), *delay])?;
                w.put(&valid_until.wire()?)
            }
            SwitchEsam {
                password,
                operator,
                ciphertext,
            } => {
                if password.level != ESAM_LEVEL {
                    return Err(Error::BadField {
                        field: "password.level (the ESAM form needs 98)",
                    });
                }
                w.put(&password.wire())?;
                w.put(&operator.0)?;
                w.payload(ciphertext)
            }
            TerminalOutput(m) => w.put(&[m.code()]),
            Read97 { di } | ReadFollow97 { di } | ReRead97 { di } => w.put(&di.wire()),
            Write97 { di, password, data } => {
                w.put(&di.wire())?;
                w.put(&password.wire())?;
                w.payload(data)
            }
            ChangePassword97 { old, new } => {
                w.put(&old.wire())?;
                w.put(&new.wire())
            }
            ClearDemand97 { password } => w.put(&password.wire()),
        }
    }

    /// Parse the DATA of a request with function `f`; `None` for a function code that has
    /// no request form.
    pub(crate) fn parse(
        f: Function,
        mut r: Reader<'a>,
        len_offset: usize,
    ) -> Option<Result<Request<'a>, Error>> {
        let len = r.p.len();
        let bad = || Error::BadLength {
            offset: len_offset,
            function: f.code(),
            len: len as u8,
        };
        let fixed = |n: usize| if len == n { Ok(()) } else { Err(bad()) };
        let at_least = |n: usize| if len >= n { Ok(()) } else { Err(bad()) };
        let write_limit = || {
            if len > MAX_WRITE_LEN {
                Err(Error::TooLong {
                    offset: len_offset,
                    function: f.code(),
                    len: len as u8,
                    max: MAX_WRITE_LEN as u8,
                })
            } else {
                Ok(())
            }
        };
        let res = (|| {
            Ok(match f {
                Function::Security => {
                    at_least(4)?;
                    Request::Security {
                        di: r.di()?,
                        data: r.rest(),
                    }
                }
                Function::BroadcastTime => {
                    fixed(6)?;
                    Request::BroadcastTime(r.date_time()?)
                }
                Function::Read => match len {
                    4 => Request::Read { di: r.di()? },
                    5 => Request::ReadBlocks {
                        di: r.di()?,
                        count: r.u8()?,
                    },
                    10 => Request::ReadFrom {
                        di: r.di()?,
                        count: r.u8()?,
                        start: r.minute_time()?,
                    },
                    _ => return Err(bad()),
                },
                Function::ReadFollow => {
                    fixed(5)?;
                    Request::ReadFollow {
                        di: r.di()?,
                        seq: r.u8()?,
                    }
                }
                Function::ReadAddress => {
                    fixed(0)?;
                    Request::ReadAddress
                }
                Function::Write => {
                    at_least(12)?;
                    write_limit()?;
                    Request::Write {
                        di: r.di()?,
                        password: r.password()?,
                        operator: r.operator()?,
                        data: r.rest(),
                    }
                }
                Function::WriteAddress => {
                    fixed(6)?;
                    Request::WriteAddress(r.address()?)
                }
                Function::Freeze => {
                    fixed(4)?;
                    Request::Freeze(r.freeze_time()?)
                }
                Function::ChangeBaud => {
                    fixed(1)?;
                    Request::ChangeBaud(r.baud()?)
                }
                Function::ChangePassword => {
                    fixed(12)?;
                    Request::ChangePassword {
                        di: r.di()?,
                        old: r.password()?,
                        new: r.password()?,
                    }
                }
                Function::ClearDemand => {
                    fixed(8)?;
                    Request::ClearDemand {
                        password: r.password()?,
                        operator: r.operator()?,
                    }
                }
                Function::ClearMeter => {
                    fixed(8)?;
                    Request::ClearMeter {
                        password: r.password()?,
                        operator: r.operator()?,
                    }
                }
                Function::ClearEvents => {
                    fixed(12)?;
                    Request::ClearEvents {
                        password: r.password()?,
                        operator: r.operator()?,
                        di: r.di()?,
                    }
                }
                Function::RemoteSwitch => {
                    at_least(8)?;
                    let password = r.password()?;
                    let operator = r.operator()?;
                    if password.level == ESAM_LEVEL {
                        Request::SwitchEsam {
                            password,
                            operator,
                            ciphertext: r.rest(),
                        }
                    } else {
                        fixed(16)?;
                        let action = SwitchAction::from_code(r.u8()?);
                        let delay = r.u8()?;
                        Request::Switch {
                            password,
                            operator,
                            action,
                            delay,
                            valid_until: r.date_time()?,
                        }
                    }
                }
                Function::TerminalOutput => {
                    fixed(1)?;
                    Request::TerminalOutput(OutputMode::from_code(r.u8()?))
                }
                Function::Read97 => {
                    fixed(2)?;
                    Request::Read97 { di: r.di97()? }
                }
                Function::ReadFollow97 => {
                    fixed(2)?;
                    Request::ReadFollow97 { di: r.di97()? }
                }
                Function::ReRead97 => {
                    fixed(2)?;
                    Request::ReRead97 { di: r.di97()? }
                }
                Function::Write97 => {
                    at_least(6)?;
                    write_limit()?;
                    Request::Write97 {
                        di: r.di97()?,
                        password: r.password()?,
                        data: r.rest(),
                    }
                }
                Function::WriteAddress97 => {
                    fixed(6)?;
                    Request::WriteAddress97(r.address()?)
                }
                Function::ChangeBaud97 => {
                    fixed(1)?;
                    Request::ChangeBaud97(r.baud()?)
                }
                Function::ChangePassword97 => {
                    fixed(8)?;
                    Request::ChangePassword97 {
                        old: r.password()?,
                        new: r.password()?,
                    }
                }
                Function::ClearDemand97 => {
                    fixed(4)?;
                    Request::ClearDemand97 {
                        password: r.password()?,
                    }
                }
                Function::Unknown(_) => return Err(bad()),
            })
        })();
        if matches!(f, Function::Unknown(_)) {
            return None;
        }
        Some(res)
    }
}

/// Password level of the ESAM (ciphertext + MAC) forms.
pub const ESAM_LEVEL: u8 = 0x98;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_reports_offsets_of_bad_bcd() {
        let data = [0x00, 0x5A, 0x10, 0x01, 0x01, 0x24];
        let mut r = Reader::new(Payload::Plain(&data), 10);
        assert_eq!(
            r.date_time(),
            Err(Error::BadBcd {
                offset: 11,
                found: 0x5A
            })
        );
    }
}
