//! AFN 03 answers: vendor and version (F1), run-mode information (F10), broadcast delay (F9).

use super::codec::{Reader, Writer, to_bcd};
use super::protocol::ProtocolFrame;
use super::time::Date;
use crate::{Address, EmitError, Error, UnitError};

/// AFN 03 F1 up: vendor code, chip code, version date and version (9 bytes, notes §1.10).
///
/// Both ASCII pairs are byte-reversed on the wire: the Eastsoft capture (P06) sends
/// `53 45 54 52` for vendor "ES", chip "RT". The fields here hold them in reading order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VendorInfo {
    /// Vendor code in reading order, e.g. `*b"ES"`.
    pub vendor: [u8; 2],
    /// Chip code in reading order, e.g. `*b"RT"`.
    pub chip: [u8; 2],
    /// Version date.
    pub date: Date,
    /// Version, 4 BCD digits as a number (wire `13 00` = version 0013 = 13).
    pub version: u16,
}

impl VendorInfo {
    pub(crate) const LEN: usize = 9;

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        let v = r.take(2)?;
        let c = r.take(2)?;
        let vendor = [
            v.get(1).copied().unwrap_or(0),
            v.first().copied().unwrap_or(0),
        ];
        let chip = [
            c.get(1).copied().unwrap_or(0),
            c.first().copied().unwrap_or(0),
        ];
        let date = Date::read(r)?;
        let lo = r.bcd()?;
        let hi = r.bcd()?;
        Ok(Self {
            vendor,
            chip,
            date,
            version: u16::from(hi) * 100 + u16::from(lo),
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.put(&[self.vendor[1], self.vendor[0], self.chip[1], self.chip[0]])?;
        self.date.write(w)?;
        if self.version > 9999 {
            return Err(EmitError::Value);
        }
        let lo = u8::try_from(self.version % 100).map_err(|_| EmitError::Value)?;
        let hi = u8::try_from(self.version / 100).map_err(|_| EmitError::Value)?;
        w.u8(to_bcd(lo)?)?;
        w.u8(to_bcd(hi)?)
    }
}

/// The local module's medium in AFN 03 F10 byte 0 (not the C-field communication mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Medium {
    /// 1: narrowband carrier.
    Narrowband,
    /// 2: broadband carrier (HPLC).
    Broadband,
    /// 3: micro-power wireless.
    Wireless,
    /// Any other 4-bit value, kept.
    Unknown(u8),
}

impl Medium {
    fn from_nibble(n: u8) -> Self {
        match n {
            1 => Self::Narrowband,
            2 => Self::Broadband,
            3 => Self::Wireless,
            n => Self::Unknown(n),
        }
    }

    fn nibble(self) -> Result<u8, EmitError> {
        match self {
            Self::Narrowband => Ok(1),
            Self::Broadband => Ok(2),
            Self::Wireless => Ok(3),
            Self::Unknown(n) if n <= 15 && !(1..=3).contains(&n) => Ok(n),
            Self::Unknown(_) => Err(EmitError::Value),
        }
    }
}

bitflags::bitflags! {
    /// AFN 03 F10 byte 1 D0–D2: which transactions support transmission-delay correction.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct DelaySupport: u8 {
        /// Broadcast.
        const BROADCAST = 0x01;
        /// Slave monitoring (AFN 13 F1).
        const MONITOR = 0x02;
        /// Router-led reading (AFN 14).
        const ROUTER_READ = 0x04;
    }
}

/// The most rate entries the 4-bit rate count allows.
pub const MAX_RATES: usize = 15;

/// AFN 03 F10 up: the local module's run mode (byte offsets from ICP `dealAFN03_F10` and NUC
/// `RM_3762.c`, checked against the HPLC power-up report P15).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RunMode {
    /// Byte 0 D0–D3: medium.
    pub medium: Medium,
    /// Byte 0 D4: the module manages routes.
    pub module_routes: bool,
    /// Byte 0 D5: the concentrator must download the node archive.
    pub archive_download: bool,
    /// Byte 0 D6: concentrator-led periodic reading supported (bits 6–7 = 01 or 11).
    pub concentrator_led: bool,
    /// Byte 0 D7: router-led periodic reading supported (bits 6–7 = 10 or 11).
    pub router_led: bool,
    /// Byte 1 D0–D2: transmission-delay support.
    pub delay_support: DelaySupport,
    /// Byte 1 D3–D4: failed-node switch initiator.
    pub failed_node_switch: u8,
    /// Byte 1 D5: broadcast confirm mode (confirm before executing, then wait).
    pub broadcast_confirm_first: bool,
    /// Byte 1 D6–D7: broadcast channel mode.
    pub broadcast_channel_mode: u8,
    /// Byte 2 D0–D4: channel count.
    pub channel_count: u8,
    /// Byte 2 D5–D7: low-voltage power-down information.
    pub power_down_info: u8,
    /// Byte 3 D4–D7 (reserved), kept; D0–D3 is the number of [`rates`](Self::rates).
    pub byte3_reserved: u8,
    /// Bytes 4–5, reserved, kept.
    pub reserved: [u8; 2],
    /// Byte 6: slave monitor maximum timeout in seconds (HPLC sample 20 s).
    pub monitor_timeout_s: u8,
    /// Bytes 7–8: broadcast maximum timeout in seconds (HPLC sample 10 s).
    pub broadcast_timeout_s: u16,
    /// Bytes 9–10: maximum frame length (HPLC sample 2048).
    pub max_frame_len: u16,
    /// Bytes 11–12: maximum file-transfer packet.
    pub max_file_packet: u16,
    /// Byte 13: upgrade wait time.
    pub upgrade_wait: u8,
    /// Bytes 14–19: master-node address.
    pub master_address: Address,
    /// Bytes 20–21: maximum slave nodes (HPLC 2040).
    pub max_nodes: u16,
    /// Bytes 22–23: current slave nodes.
    pub node_count: u16,
    /// Bytes 24–26: protocol release date.
    pub protocol_released: Date,
    /// Bytes 27–29: protocol filing date.
    pub protocol_filed: Date,
    /// Bytes 30–38: module vendor information, as AFN 03 F1.
    pub vendor: VendorInfo,
    /// Bytes 39…: the rates, 2 bytes each (D0–D14 value, D15 unit: 1 = kbit/s).
    pub rates: heapless::Vec<u16, MAX_RATES>,
}

impl RunMode {
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        let b0 = r.u8()?;
        let b1 = r.u8()?;
        let b2 = r.u8()?;
        let b3 = r.u8()?;
        let res = r.take(2)?;
        let mut m = Self {
            medium: Medium::from_nibble(b0 & 0x0F),
            module_routes: b0 & 0x10 != 0,
            archive_download: b0 & 0x20 != 0,
            concentrator_led: b0 & 0x40 != 0,
            router_led: b0 & 0x80 != 0,
            delay_support: DelaySupport::from_bits_truncate(b1 & 0x07),
            failed_node_switch: (b1 >> 3) & 0x03,
            broadcast_confirm_first: b1 & 0x20 != 0,
            broadcast_channel_mode: b1 >> 6,
            channel_count: b2 & 0x1F,
            power_down_info: b2 >> 5,
            byte3_reserved: b3 >> 4,
            reserved: [
                res.first().copied().unwrap_or(0),
                res.get(1).copied().unwrap_or(0),
            ],
            monitor_timeout_s: r.u8()?,
            broadcast_timeout_s: r.u16()?,
            max_frame_len: r.u16()?,
            max_file_packet: r.u16()?,
            upgrade_wait: r.u8()?,
            master_address: r.address()?,
            max_nodes: r.u16()?,
            node_count: r.u16()?,
            protocol_released: Date::read(r)?,
            protocol_filed: Date::read(r)?,
            vendor: VendorInfo::read(r)?,
            rates: heapless::Vec::new(),
        };
        for _ in 0..(b3 & 0x0F) {
            let rate = r.u16()?;
            // The capacity equals the 4-bit count's range, so this push cannot fail.
            m.rates
                .push(rate)
                .map_err(|_| r.err_at(r.pos(), UnitError::Value))?;
        }
        Ok(m)
    }

    pub(crate) fn len(&self) -> usize {
        39 + 2 * self.rates.len()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        let bits2 = |v: u8| if v > 3 { Err(EmitError::Value) } else { Ok(v) };
        if self.channel_count > 31 || self.power_down_info > 7 || self.byte3_reserved > 15 {
            return Err(EmitError::Value);
        }
        let b0 = self.medium.nibble()?
            | u8::from(self.module_routes) << 4
            | u8::from(self.archive_download) << 5
            | u8::from(self.concentrator_led) << 6
            | u8::from(self.router_led) << 7;
        let b1 = self.delay_support.bits()
            | bits2(self.failed_node_switch)? << 3
            | u8::from(self.broadcast_confirm_first) << 5
            | bits2(self.broadcast_channel_mode)? << 6;
        let b2 = self.channel_count | self.power_down_info << 5;
        let n = u8::try_from(self.rates.len()).map_err(|_| EmitError::FieldOverflow)?;
        w.put(&[b0, b1, b2, n | self.byte3_reserved << 4])?;
        w.put(&self.reserved)?;
        w.u8(self.monitor_timeout_s)?;
        w.u16(self.broadcast_timeout_s)?;
        w.u16(self.max_frame_len)?;
        w.u16(self.max_file_packet)?;
        w.u8(self.upgrade_wait)?;
        w.put(&self.master_address.0)?;
        w.u16(self.max_nodes)?;
        w.u16(self.node_count)?;
        self.protocol_released.write(w)?;
        self.protocol_filed.write(w)?;
        self.vendor.write(w)?;
        for r in &self.rates {
            w.u16(*r)?;
        }
        Ok(())
    }
}

/// AFN 03 F9 up: broadcast delay for a frame.
///
/// The standard form echoes the protocol and frame after the 2-byte delay; the HPLC module in
/// the SPL logs answers an empty query with the delay alone (`03 01 01 04 00`), so the frame is
/// optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BroadcastDelay<'a> {
    /// Broadcast transmission delay in seconds.
    pub delay_s: u16,
    /// The frame the delay was computed for, when echoed.
    pub frame: Option<ProtocolFrame<'a>>,
}

impl<'a> BroadcastDelay<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, Error> {
        let delay_s = r.u16()?;
        let frame = if r.remaining() == 0 {
            None
        } else {
            Some(ProtocolFrame::read(r)?)
        };
        Ok(Self { delay_s, frame })
    }

    pub(crate) fn len(&self) -> usize {
        2 + self.frame.map_or(0, |f| f.len())
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.u16(self.delay_s)?;
        self.frame.map_or(Ok(()), |f| f.write(w))
    }
}
