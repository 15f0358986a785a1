//! The data information block: DIF and up to 10 DIFEs (EN 13757-3 clause 6.3).
//!
//! DIF: bit 7 extension, bit 6 storage number LSB, bits 5-4 function, bits 3-0 data field.
//! DIFE: bit 7 extension, bit 6 subunit, bits 5-4 tariff, bits 3-0 storage number.

/// Most DIFEs (and VIFEs) a record may carry (EN 13757-3; libmbus enforces the same limit).
pub const MAX_EXTENSIONS: usize = 10;

/// The data field (bits 3-0 of the DIF): how the value is coded and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataCoding {
    /// 0x0: no data.
    NoData,
    /// 0x1: 8-bit signed integer.
    Int8,
    /// 0x2: 16-bit signed integer (type G date with VIF 0x6C).
    Int16,
    /// 0x3: 24-bit signed integer (type J time with VIF 0x6D).
    Int24,
    /// 0x4: 32-bit signed integer (type F date-time with VIF 0x6D).
    Int32,
    /// 0x5: 32-bit IEEE 754 real.
    Real32,
    /// 0x6: 48-bit signed integer (type I date-time with VIF 0x6D).
    Int48,
    /// 0x7: 64-bit signed integer.
    Int64,
    /// 0x8: selection for readout (master to slave, no data).
    SelectionForReadout,
    /// 0x9: 2-digit BCD.
    Bcd2,
    /// 0xA: 4-digit BCD.
    Bcd4,
    /// 0xB: 6-digit BCD.
    Bcd6,
    /// 0xC: 8-digit BCD.
    Bcd8,
    /// 0xD: variable length; an LVAR byte follows the VIB.
    VariableLength,
    /// 0xE: 12-digit BCD.
    Bcd12,
    /// 0xF: special function (see [`Special`]).
    Special,
}

impl DataCoding {
    /// From the low nibble of a DIF.
    pub fn from_dif(dif: u8) -> Self {
        use DataCoding::*;
        match dif & 0x0F {
            0x0 => NoData,
            0x1 => Int8,
            0x2 => Int16,
            0x3 => Int24,
            0x4 => Int32,
            0x5 => Real32,
            0x6 => Int48,
            0x7 => Int64,
            0x8 => SelectionForReadout,
            0x9 => Bcd2,
            0xA => Bcd4,
            0xB => Bcd6,
            0xC => Bcd8,
            0xD => VariableLength,
            0xE => Bcd12,
            _ => Special,
        }
    }

    /// The low nibble of the DIF for this coding.
    pub fn nibble(self) -> u8 {
        use DataCoding::*;
        match self {
            NoData => 0x0,
            Int8 => 0x1,
            Int16 => 0x2,
            Int24 => 0x3,
            Int32 => 0x4,
            Real32 => 0x5,
            Int48 => 0x6,
            Int64 => 0x7,
            SelectionForReadout => 0x8,
            Bcd2 => 0x9,
            Bcd4 => 0xA,
            Bcd6 => 0xB,
            Bcd8 => 0xC,
            VariableLength => 0xD,
            Bcd12 => 0xE,
            Special => 0xF,
        }
    }

    /// Data length in bytes for the fixed-length codings (`None` for LVAR and specials).
    pub fn fixed_len(self) -> Option<usize> {
        use DataCoding::*;
        match self {
            NoData | SelectionForReadout => Some(0),
            Int8 | Bcd2 => Some(1),
            Int16 | Bcd4 => Some(2),
            Int24 | Bcd6 => Some(3),
            Int32 | Real32 | Bcd8 => Some(4),
            Int48 | Bcd12 => Some(6),
            Int64 => Some(8),
            VariableLength | Special => None,
        }
    }

    /// Whether this is one of the BCD codings.
    pub fn is_bcd(self) -> bool {
        matches!(
            self,
            DataCoding::Bcd2
                | DataCoding::Bcd4
                | DataCoding::Bcd6
                | DataCoding::Bcd8
                | DataCoding::Bcd12
        )
    }
}

/// The function field (bits 5-4 of the DIF).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// 00: instantaneous value.
    Instantaneous,
    /// 01: maximum value.
    Maximum,
    /// 10: minimum value.
    Minimum,
    /// 11: value during error state.
    DuringError,
}

impl Function {
    /// From a DIF.
    pub fn from_dif(dif: u8) -> Self {
        match (dif >> 4) & 0x03 {
            0 => Function::Instantaneous,
            1 => Function::Maximum,
            2 => Function::Minimum,
            _ => Function::DuringError,
        }
    }

    /// Bits 5-4 of the DIF.
    pub fn bits(self) -> u8 {
        match self {
            Function::Instantaneous => 0x00,
            Function::Maximum => 0x10,
            Function::Minimum => 0x20,
            Function::DuringError => 0x30,
        }
    }
}

/// The special DIFs (data field 0xF), EN 13757-3 table 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Special {
    /// 0x0F: manufacturer-specific data to the end of the telegram.
    ManufacturerData,
    /// 0x1F: the same, and more records follow in the next telegram.
    MoreRecordsFollow,
    /// 0x2F: idle filler, skipped.
    IdleFiller,
    /// 0x7F: global readout request (master to slave).
    GlobalReadout,
    /// 0x3F..0x6F: reserved.
    Reserved(u8),
}

impl Special {
    /// The special function of a DIF, if its data field is 0xF.
    pub fn from_dif(dif: u8) -> Option<Self> {
        if dif & 0x0F != 0x0F {
            return None;
        }
        Some(match dif {
            0x0F => Special::ManufacturerData,
            0x1F => Special::MoreRecordsFollow,
            0x2F => Special::IdleFiller,
            0x7F => Special::GlobalReadout,
            other => Special::Reserved(other),
        })
    }
}

/// A data information block: the DIF and its DIFEs, as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dib {
    dif: u8,
    difes: [u8; MAX_EXTENSIONS],
    len: u8,
}

impl Dib {
    /// A DIB from its bytes; `None` if more than 10 DIFEs. The extension bits are taken as
    /// given (the parser guarantees they chain correctly).
    pub fn from_parts(dif: u8, difes: &[u8]) -> Option<Self> {
        if difes.len() > MAX_EXTENSIONS {
            return None;
        }
        let mut out = [0u8; MAX_EXTENSIONS];
        out.get_mut(..difes.len())?.copy_from_slice(difes);
        Some(Self {
            dif,
            difes: out,
            len: difes.len() as u8,
        })
    }

    /// A DIB from an already filled DIFE array (the parser's path: no copy, no checks).
    pub(crate) fn from_array(dif: u8, difes: [u8; MAX_EXTENSIONS], len: u8) -> Self {
        Self { dif, difes, len }
    }

    /// Build the shortest DIB for these fields; `None` if they need more than 10 DIFEs.
    ///
    /// The storage number's LSB goes in the DIF, then 4 bits per DIFE; tariff 2 bits and
    /// subunit 1 bit per DIFE (EN 13757-3 clause 6.3.3).
    pub fn new(
        function: Function,
        coding: DataCoding,
        storage: u64,
        tariff: u32,
        subunit: u16,
    ) -> Option<Self> {
        let mut difes = [0u8; MAX_EXTENSIONS];
        let mut n = 0usize;
        let mut s = storage >> 1;
        let mut t = tariff;
        let mut u = subunit;
        while s != 0 || t != 0 || u != 0 {
            let slot = difes.get_mut(n)?;
            *slot = (s & 0x0F) as u8 | ((t & 0x03) as u8) << 4 | ((u & 0x01) as u8) << 6;
            s >>= 4;
            t >>= 2;
            u >>= 1;
            n += 1;
        }
        for i in 0..n.saturating_sub(1) {
            if let Some(d) = difes.get_mut(i) {
                *d |= 0x80;
            }
        }
        let ext = if n > 0 { 0x80 } else { 0 };
        let dif = ext | ((storage & 1) as u8) << 6 | function.bits() | coding.nibble();
        Some(Self {
            dif,
            difes,
            len: n as u8,
        })
    }

    /// The DIF byte.
    pub fn dif(&self) -> u8 {
        self.dif
    }

    /// The DIFE bytes.
    pub fn difes(&self) -> &[u8] {
        self.difes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Data field coding.
    pub fn coding(&self) -> DataCoding {
        DataCoding::from_dif(self.dif)
    }

    /// Function field.
    pub fn function(&self) -> Function {
        Function::from_dif(self.dif)
    }

    /// Storage number: DIF bit 6, then 4 bits from each DIFE (up to 41 bits).
    pub fn storage_number(&self) -> u64 {
        let mut out = u64::from((self.dif >> 6) & 1);
        for (i, d) in self.difes().iter().enumerate() {
            out |= u64::from(d & 0x0F) << (1 + 4 * i);
        }
        out
    }

    /// Tariff: 2 bits from each DIFE; `None` when there is no DIFE.
    pub fn tariff(&self) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let mut out = 0u32;
        for (i, d) in self.difes().iter().enumerate() {
            out |= u32::from((d >> 4) & 0x03) << (2 * i);
        }
        Some(out)
    }

    /// Subunit (device): 1 bit from each DIFE; `None` when there is no DIFE.
    pub fn subunit(&self) -> Option<u16> {
        if self.len == 0 {
            return None;
        }
        let mut out = 0u16;
        for (i, d) in self.difes().iter().enumerate() {
            out |= u16::from((d >> 6) & 0x01) << i;
        }
        Some(out)
    }

    /// Bytes on the wire.
    pub fn wire_len(&self) -> usize {
        1 + usize::from(self.len)
    }
}
