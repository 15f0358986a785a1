//! Data headers: identification number, manufacturer, version, medium, access number, status
//! and signature (EN 13757-3 clause 6, "variable data structure" headers).

use crate::app::error::AppError;

/// The 8-digit identification number, kept as the packed BCD it is sent as (LSB first on the
/// wire, so `0x24011561` is sent `61 15 01 24`). Nibbles A..F are kept: wildcards and
/// non-conforming meters use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber(pub u32);

impl IdNumber {
    /// The number as a decimal integer, or `None` if a nibble is not a decimal digit.
    pub fn decimal(self) -> Option<u32> {
        let mut out = 0u32;
        for shift in (0..8).rev() {
            let digit = (self.0 >> (shift * 4)) & 0xF;
            if digit > 9 {
                return None;
            }
            out = out * 10 + digit;
        }
        Some(out)
    }

    /// From the four wire bytes (LSB first).
    pub fn from_le_bytes(bytes: [u8; 4]) -> Self {
        Self(u32::from_le_bytes(bytes))
    }
}

impl core::fmt::Display for IdNumber {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:08X}", self.0)
    }
}

/// A manufacturer code: three letters A..Z packed 5 bits each into 15 bits
/// (EN 13757-3 clause 6.3.2; the codes are allocated by the DLMS UA "FLAG" list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Manufacturer(pub u16);

impl Manufacturer {
    /// Pack three letters (`b"KAM"`); `None` unless all three are `A..=Z`.
    pub fn from_letters(letters: [u8; 3]) -> Option<Self> {
        let mut code = 0u16;
        for letter in letters {
            if !letter.is_ascii_uppercase() {
                return None;
            }
            code = (code << 5) | u16::from(letter - 64);
        }
        Some(Self(code))
    }

    /// The three letters. Each 5-bit group is shown as `64 + value`, so codes outside A..Z
    /// come out as `@` or `[`..`_`, as other implementations print them.
    pub fn letters(self) -> [u8; 3] {
        let letter = |shift: u16| 64 + ((self.0 >> shift) & 0x1F) as u8;
        [letter(10), letter(5), letter(0)]
    }
}

impl core::fmt::Display for Manufacturer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for c in self.letters() {
            core::fmt::Write::write_char(f, char::from(c))?;
        }
        Ok(())
    }
}

/// Medium / device type of the variable data header (EN 13757-3 table 3, with the OMS
/// additions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Medium {
    /// 0x00
    Other,
    /// 0x01
    Oil,
    /// 0x02
    Electricity,
    /// 0x03
    Gas,
    /// 0x04, volume measured at return temperature (outlet)
    HeatOutlet,
    /// 0x05
    Steam,
    /// 0x06, 30..90 °C
    WarmWater,
    /// 0x07
    Water,
    /// 0x08
    HeatCostAllocator,
    /// 0x09
    CompressedAir,
    /// 0x0A, volume measured at return temperature (outlet)
    CoolingOutlet,
    /// 0x0B, volume measured at flow temperature (inlet)
    CoolingInlet,
    /// 0x0C, volume measured at flow temperature (inlet)
    HeatInlet,
    /// 0x0D
    HeatCooling,
    /// 0x0E
    BusSystem,
    /// 0x0F
    UnknownMedium,
    /// 0x10
    IrrigationWater,
    /// 0x11
    WaterLogger,
    /// 0x12
    GasLogger,
    /// 0x13
    GasConverter,
    /// 0x14
    CalorificValue,
    /// 0x15, above 90 °C
    HotWater,
    /// 0x16
    ColdWater,
    /// 0x17
    DualWater,
    /// 0x18
    Pressure,
    /// 0x19
    AdConverter,
    /// 0x1A
    SmokeDetector,
    /// 0x1B
    RoomSensor,
    /// 0x1C
    GasDetector,
    /// 0x20
    Breaker,
    /// 0x21
    Valve,
    /// 0x25
    CustomerUnit,
    /// 0x28
    WasteWater,
    /// 0x29
    Garbage,
    /// 0x2A, reserved for CO2 in the standard
    CarbonDioxide,
    /// 0x30
    ServiceUnit,
    /// 0x31
    Gateway,
    /// 0x32
    UnidirectionalRepeater,
    /// 0x33
    BidirectionalRepeater,
    /// 0x36
    RadioConverterSystem,
    /// 0x37
    RadioConverterMeter,
    /// 0x38
    BusConverterMeter,
    /// 0xFF: wildcard in secondary selection
    Wildcard,
    /// Any other (reserved) code.
    Unknown(u8),
}

impl Medium {
    /// Decode the medium byte.
    pub fn from_u8(v: u8) -> Self {
        use Medium::*;
        match v {
            0x00 => Other,
            0x01 => Oil,
            0x02 => Electricity,
            0x03 => Gas,
            0x04 => HeatOutlet,
            0x05 => Steam,
            0x06 => WarmWater,
            0x07 => Water,
            0x08 => HeatCostAllocator,
            0x09 => CompressedAir,
            0x0A => CoolingOutlet,
            0x0B => CoolingInlet,
            0x0C => HeatInlet,
            0x0D => HeatCooling,
            0x0E => BusSystem,
            0x0F => UnknownMedium,
            0x10 => IrrigationWater,
            0x11 => WaterLogger,
            0x12 => GasLogger,
            0x13 => GasConverter,
            0x14 => CalorificValue,
            0x15 => HotWater,
            0x16 => ColdWater,
            0x17 => DualWater,
            0x18 => Pressure,
            0x19 => AdConverter,
            0x1A => SmokeDetector,
            0x1B => RoomSensor,
            0x1C => GasDetector,
            0x20 => Breaker,
            0x21 => Valve,
            0x25 => CustomerUnit,
            0x28 => WasteWater,
            0x29 => Garbage,
            0x2A => CarbonDioxide,
            0x30 => ServiceUnit,
            0x31 => Gateway,
            0x32 => UnidirectionalRepeater,
            0x33 => BidirectionalRepeater,
            0x36 => RadioConverterSystem,
            0x37 => RadioConverterMeter,
            0x38 => BusConverterMeter,
            0xFF => Wildcard,
            other => Unknown(other),
        }
    }

    /// A short English name.
    pub fn name(self) -> &'static str {
        use Medium::*;
        match self {
            Other => "other",
            Oil => "oil",
            Electricity => "electricity",
            Gas => "gas",
            HeatOutlet => "heat (outlet)",
            Steam => "steam",
            WarmWater => "warm water (30-90 °C)",
            Water => "water",
            HeatCostAllocator => "heat cost allocator",
            CompressedAir => "compressed air",
            CoolingOutlet => "cooling (outlet)",
            CoolingInlet => "cooling (inlet)",
            HeatInlet => "heat (inlet)",
            HeatCooling => "heat / cooling",
            BusSystem => "bus / system component",
            UnknownMedium => "unknown medium",
            IrrigationWater => "irrigation water",
            WaterLogger => "water data logger",
            GasLogger => "gas data logger",
            GasConverter => "gas converter",
            CalorificValue => "calorific value",
            HotWater => "hot water (above 90 °C)",
            ColdWater => "cold water",
            DualWater => "dual water",
            Pressure => "pressure",
            AdConverter => "A/D converter",
            SmokeDetector => "smoke detector",
            RoomSensor => "room sensor",
            GasDetector => "gas detector",
            Breaker => "breaker (electricity)",
            Valve => "valve (gas or water)",
            CustomerUnit => "customer unit (display)",
            WasteWater => "waste water",
            Garbage => "garbage",
            CarbonDioxide => "carbon dioxide",
            ServiceUnit => "service unit",
            Gateway => "gateway",
            UnidirectionalRepeater => "unidirectional repeater",
            BidirectionalRepeater => "bidirectional repeater",
            RadioConverterSystem => "radio converter (system side)",
            RadioConverterMeter => "radio converter (meter side)",
            BusConverterMeter => "bus converter (meter side)",
            Wildcard => "wildcard",
            Unknown(_) => "reserved",
        }
    }
}

bitflags::bitflags! {
    /// The status byte of a data header (EN 13757-3 table 5). Bits 0-1 are the application
    /// status (see [`Status::application`]); bits 5-7 are manufacturer specific.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Status: u8 {
        /// Application status bit 0 (01 = busy).
        const APP_BUSY = 0x01;
        /// Application status bit 1 (10 = any application error).
        const APP_ERROR = 0x02;
        /// Power low.
        const POWER_LOW = 0x04;
        /// Permanent error.
        const PERMANENT_ERROR = 0x08;
        /// Temporary error.
        const TEMPORARY_ERROR = 0x10;
        /// Manufacturer specific bit 5.
        const MANUFACTURER_1 = 0x20;
        /// Manufacturer specific bit 6.
        const MANUFACTURER_2 = 0x40;
        /// Manufacturer specific bit 7.
        const MANUFACTURER_3 = 0x80;
    }
}

/// The application status in bits 0-1 of the status byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationStatus {
    /// 00: no error.
    Ok,
    /// 01: application busy.
    Busy,
    /// 10: any application error.
    Error,
    /// 11: abnormal condition / alarm.
    Abnormal,
}

impl Status {
    /// The application status field.
    pub fn application(self) -> ApplicationStatus {
        match self.bits() & 0x03 {
            0 => ApplicationStatus::Ok,
            1 => ApplicationStatus::Busy,
            2 => ApplicationStatus::Error,
            _ => ApplicationStatus::Abnormal,
        }
    }
}

/// The 12-byte long header of CI 0x72 (LSB first) and 0x76 (MSB first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LongHeader {
    /// Identification number.
    pub id: IdNumber,
    /// Manufacturer.
    pub manufacturer: Manufacturer,
    /// Version (generation) of the meter.
    pub version: u8,
    /// Medium / device type, raw (see [`Medium::from_u8`]).
    pub medium: u8,
    /// Access number (transmission counter).
    pub access_number: u8,
    /// Status byte.
    pub status: Status,
    /// Signature / configuration word; non-zero announces encryption (OMS).
    pub signature: u16,
}

/// The 4-byte short header of CI 0x7A.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShortHeader {
    /// Access number (transmission counter).
    pub access_number: u8,
    /// Status byte.
    pub status: Status,
    /// Signature / configuration word.
    pub signature: u16,
}

/// Byte order of multi-byte fields: LSB first (mode 1, CI 0x72/0x73/0x7A/0x78) or MSB
/// first (mode 2, CI 0x76/0x77).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ByteOrder {
    /// Least significant byte first (the usual mode 1).
    #[default]
    LsbFirst,
    /// Most significant byte first (mode 2).
    MsbFirst,
}

/// Length of [`LongHeader`] on the wire.
pub const LONG_HEADER_LEN: usize = 12;
/// Length of [`ShortHeader`] on the wire.
pub const SHORT_HEADER_LEN: usize = 4;

fn two(bytes: &[u8], at: usize, order: ByteOrder) -> u16 {
    let a = bytes.get(at).copied().unwrap_or(0);
    let b = bytes.get(at + 1).copied().unwrap_or(0);
    match order {
        ByteOrder::LsbFirst => u16::from_le_bytes([a, b]),
        ByteOrder::MsbFirst => u16::from_be_bytes([a, b]),
    }
}

impl LongHeader {
    /// Parse the 12 header bytes at the front of `data`.
    pub fn parse(ci: u8, data: &[u8], order: ByteOrder) -> Result<Self, AppError> {
        let h = data
            .get(..LONG_HEADER_LEN)
            .ok_or(AppError::HeaderTooShort {
                ci,
                needed: LONG_HEADER_LEN,
                len: data.len(),
            })?;
        let mut id = [0u8; 4];
        id.copy_from_slice(h.get(..4).unwrap_or(&[0; 4]));
        let id = match order {
            ByteOrder::LsbFirst => u32::from_le_bytes(id),
            ByteOrder::MsbFirst => u32::from_be_bytes(id),
        };
        let byte = |i: usize| h.get(i).copied().unwrap_or(0);
        Ok(Self {
            id: IdNumber(id),
            manufacturer: Manufacturer(two(h, 4, order)),
            version: byte(6),
            medium: byte(7),
            access_number: byte(8),
            status: Status::from_bits_retain(byte(9)),
            signature: two(h, 10, order),
        })
    }

    /// Write the 12 header bytes (LSB first) into `out`; returns 12.
    pub fn emit(&self, out: &mut [u8]) -> Option<usize> {
        let h = out.get_mut(..LONG_HEADER_LEN)?;
        let id = self.id.0.to_le_bytes();
        let m = self.manufacturer.0.to_le_bytes();
        let s = self.signature.to_le_bytes();
        h.copy_from_slice(&[
            id[0],
            id[1],
            id[2],
            id[3],
            m[0],
            m[1],
            self.version,
            self.medium,
            self.access_number,
            self.status.bits(),
            s[0],
            s[1],
        ]);
        Some(LONG_HEADER_LEN)
    }
}

impl ShortHeader {
    /// Parse the 4 header bytes at the front of `data`.
    pub fn parse(ci: u8, data: &[u8], order: ByteOrder) -> Result<Self, AppError> {
        let h = data
            .get(..SHORT_HEADER_LEN)
            .ok_or(AppError::HeaderTooShort {
                ci,
                needed: SHORT_HEADER_LEN,
                len: data.len(),
            })?;
        Ok(Self {
            access_number: h.first().copied().unwrap_or(0),
            status: Status::from_bits_retain(h.get(1).copied().unwrap_or(0)),
            signature: two(h, 2, order),
        })
    }
}
