//! Parameters set with AFN 04 and queried with AFN 0A: F1 uplink communication, F3 master
//! station address, F9 event record configuration, F10 meter archive (notes §2.6, §2.7).

use super::cursor::{Reader, Writer};
use super::list::Item;
use crate::{EmitError, UnitError};

bitflags::bitflags! {
    /// Which classes of active reports need the master's confirmation (F1 byte 5).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct ConfirmClasses: u8 {
        /// Class-1 data reports.
        const CLASS1 = 0x01;
        /// Class-2 data reports.
        const CLASS2 = 0x02;
        /// Class-3 (event) reports.
        const CLASS3 = 0x04;
        /// Bits the standard leaves reserved, kept as found.
        const _ = !0;
    }
}

/// AFN 04/0A F1: terminal uplink communication parameters (6 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommParams {
    /// RTS delay in 20 ms units.
    pub rts_delay: u8,
    /// Allowed transmission delay of frames the terminal initiates, minutes.
    pub report_delay: u8,
    /// Responder wait timeout in seconds, 0–4095 (word D0–D11, LM `emtTrans_afn04f1`).
    pub timeout: u16,
    /// Retries, 0–3 (word D12–D13).
    pub retries: u8,
    /// Which active reports need a confirmation.
    pub confirm: ConfirmClasses,
    /// Heartbeat period, minutes.
    pub heartbeat: u8,
}

impl CommParams {
    /// Bytes on the wire.
    pub const LEN: usize = 6;

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, UnitError> {
        let rts_delay = r.u8()?;
        let report_delay = r.u8()?;
        let at = r.pos();
        let word = r.u16()?;
        if word & 0xC000 != 0 {
            // D14–D15 are unused in the 12 + 2-bit layout: refuse rather than drop them.
            return Err(UnitError::Range { offset: at + 1 });
        }
        Ok(Self {
            rts_delay,
            report_delay,
            timeout: word & 0x0FFF,
            retries: ((word >> 12) & 3) as u8,
            confirm: ConfirmClasses::from_bits_retain(r.u8()?),
            heartbeat: r.u8()?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        if self.timeout > 0x0FFF || self.retries > 3 {
            return Err(EmitError::Range);
        }
        w.put(&[self.rts_delay, self.report_delay])?;
        w.u16(self.timeout | u16::from(self.retries) << 12)?;
        w.put(&[self.confirm.bits(), self.heartbeat])
    }
}

/// AFN 04/0A F9: event record configuration (16 bytes): which ERCs the terminal records
/// (valid flags, 8 bytes) and which of those are important (importance flags, 8 bytes), bit
/// n−1 = ERCn, little-endian like every binary field (notes §2.5 lists F9; the layout is the
/// 2 × 64-bit flag words of 2013-era terminal sources such as ICP's `t_afn04_f9 {valid,
/// imp}`, whose event store records ERCn only when its valid bit is set and files it as
/// important or general by its importance bit). An important ERC goes to 0E F1 / EC1, a
/// general one to 0E F2 / EC2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventConfig {
    /// Valid flags: bit n−1 set = ERCn is recorded.
    pub valid: u64,
    /// Importance flags: bit n−1 set = ERCn is important (when recorded).
    pub important: u64,
}

impl EventConfig {
    /// Bytes on the wire.
    pub const LEN: usize = 16;

    fn bit(erc: u8) -> u64 {
        match erc {
            1..=64 => 1 << (erc - 1),
            _ => 0,
        }
    }

    /// Whether ERC `erc` (1–64) is recorded; codes outside 1–64 have no flag and are not.
    pub fn records(&self, erc: u8) -> bool {
        self.valid & Self::bit(erc) != 0
    }

    /// Whether ERC `erc` (1–64) is important; codes outside 1–64 are general.
    pub fn is_important(&self, erc: u8) -> bool {
        self.important & Self::bit(erc) != 0
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, UnitError> {
        Ok(Self {
            valid: u64::from_le_bytes(r.array()?),
            important: u64::from_le_bytes(r.array()?),
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.put(&self.valid.to_le_bytes())?;
        w.put(&self.important.to_le_bytes())
    }
}

/// One IPv4 endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// The address, in dotted order.
    pub ip: [u8; 4],
    /// The TCP/UDP port.
    pub port: u16,
}

/// AFN 04/0A F3: master station addresses and APN (28 bytes; a PEP sample holds
/// 192.168.0.1:8080, 192.168.0.2:8080, APN "ZJDL.ZJ").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MasterAddress {
    /// The main master station.
    pub main: Endpoint,
    /// The backup master station.
    pub backup: Endpoint,
    /// The APN, ASCII, zero-padded to 16 bytes.
    pub apn: [u8; 16],
}

impl MasterAddress {
    /// Bytes on the wire.
    pub const LEN: usize = 28;

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, UnitError> {
        Ok(Self {
            main: Endpoint {
                ip: r.array()?,
                port: r.u16()?,
            },
            backup: Endpoint {
                ip: r.array()?,
                port: r.u16()?,
            },
            apn: r.array()?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.put(&self.main.ip)?;
        w.u16(self.main.port)?;
        w.put(&self.backup.ip)?;
        w.u16(self.backup.port)?;
        w.put(&self.apn)
    }

    /// The APN without its zero padding.
    pub fn apn_bytes(&self) -> &[u8] {
        let n = self.apn.iter().position(|&b| b == 0).unwrap_or(16);
        self.apn.get(..n).unwrap_or(&[])
    }
}

/// The communication protocol of an archive entry (notes §2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeterProtocol {
    /// 0: do not read.
    None,
    /// 1: DL/T 645-1997.
    Dlt645_1997,
    /// 2: AC sampling device.
    AcSampling,
    /// 30: DL/T 645-2007.
    Dlt645_2007,
    /// 31: serial-interface narrowband carrier module (PLC via Q/GDW 1376.2).
    Carrier,
    /// Any other code.
    Unknown(u8),
}

impl MeterProtocol {
    /// From the code byte.
    pub fn from_byte(b: u8) -> Self {
        match b {
            0 => Self::None,
            1 => Self::Dlt645_1997,
            2 => Self::AcSampling,
            30 => Self::Dlt645_2007,
            31 => Self::Carrier,
            o => Self::Unknown(o),
        }
    }

    /// The code byte.
    pub fn to_byte(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Dlt645_1997 => 1,
            Self::AcSampling => 2,
            Self::Dlt645_2007 => 30,
            Self::Carrier => 31,
            Self::Unknown(o) => o,
        }
    }
}

/// One AFN 04/0A F10 meter archive entry (27 bytes, LM `sMtTmlPowerCfgOne`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MeterEntry {
    /// Meter serial, 1–2040.
    pub serial: u16,
    /// Measuring point pn, 0–2040.
    pub point: u16,
    /// Terminal port, 1–31 (2–4 RS-485, 31 PLC in NUC).
    pub port: u8,
    /// Baud code, 0–7: 0 default, 1 600, 2 1200, 3 2400, 4 4800, 5 7200, 6 9600, 7 19200.
    pub baud: u8,
    /// The meter's protocol.
    pub protocol: MeterProtocol,
    /// Meter address, 6 BCD bytes low byte first (the DL/T 645 wire order).
    pub address: [u8; 6],
    /// Meter password.
    pub password: [u8; 6],
    /// Number of tariffs.
    pub tariffs: u8,
    /// Digits byte: D3–D2 integer digits − 4, D1–D0 decimals − 1 (other bits as found).
    pub digits: u8,
    /// Collector address (all zero: connected directly).
    pub collector: [u8; 6],
    /// User class: big class D7–D4, small class D3–D0.
    pub class: u8,
}

impl MeterEntry {
    /// The baud rate of the baud code; `None` for "default" (0).
    pub fn baud_rate(&self) -> Option<u32> {
        match self.baud {
            1 => Some(600),
            2 => Some(1200),
            3 => Some(2400),
            4 => Some(4800),
            5 => Some(7200),
            6 => Some(9600),
            7 => Some(19200),
            _ => None,
        }
    }

    /// Integer digits of the energy reading, 4–7.
    pub fn integer_digits(&self) -> u8 {
        4 + ((self.digits >> 2) & 3)
    }

    /// Decimal digits of the energy reading, 1–4.
    pub fn decimal_digits(&self) -> u8 {
        1 + (self.digits & 3)
    }
}

impl Item for MeterEntry {
    const LEN: usize = 27;

    fn decode(b: &[u8]) -> Result<Self, UnitError> {
        let mut r = Reader::new(b);
        let serial = r.u16()?;
        let point = r.u16()?;
        let rp = r.u8()?;
        Ok(Self {
            serial,
            point,
            port: rp & 0x1F,
            baud: rp >> 5,
            protocol: MeterProtocol::from_byte(r.u8()?),
            address: r.array()?,
            password: r.array()?,
            tariffs: r.u8()?,
            digits: r.u8()?,
            collector: r.array()?,
            class: r.u8()?,
        })
    }

    fn encode(&self, out: &mut [u8]) -> Result<(), EmitError> {
        if self.port > 31 || self.baud > 7 {
            return Err(EmitError::Range);
        }
        let mut w = Writer::new(out);
        w.u16(self.serial)?;
        w.u16(self.point)?;
        w.put(&[self.port | self.baud << 5, self.protocol.to_byte()])?;
        w.put(&self.address)?;
        w.put(&self.password)?;
        w.put(&[self.tariffs, self.digits])?;
        w.put(&self.collector)?;
        w.u8(self.class)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_config_bits_are_erc_minus_one_little_endian() {
        // ERC1, ERC14 and ERC31 recorded; ERC14 important.
        let bytes = [
            0x01, 0x20, 0x00, 0x40, 0, 0, 0, 0, //
            0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0,
        ];
        let c = EventConfig::read(&mut Reader::new(&bytes)).unwrap();
        assert_eq!(c.valid, 1 | 1 << 13 | 1 << 30);
        assert!(c.records(1) && c.records(14) && c.records(31));
        assert!(!c.records(12) && !c.records(0) && !c.records(65));
        assert!(c.is_important(14) && !c.is_important(31) && !c.is_important(0));
        let mut out = [0u8; EventConfig::LEN];
        c.write(&mut Writer::new(&mut out)).unwrap();
        assert_eq!(out, bytes);
        // ERC64 is the top bit of the last byte of each word.
        let top = EventConfig {
            valid: 1 << 63,
            important: 1 << 63,
        };
        assert!(top.records(64) && top.is_important(64));
        top.write(&mut Writer::new(&mut out)).unwrap();
        assert_eq!((out[7], out[15]), (0x80, 0x80));
        // One byte short is a typed error, not a panic.
        assert!(EventConfig::read(&mut Reader::new(&bytes[..15])).is_err());
    }
}
