//! UART line settings: baud rate and character format, with the presets of the meter buses.

/// Parity bit of a UART character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Parity {
    /// No parity bit.
    None,
    /// Even parity (DL/T 645, M-Bus, Q/GDW 1376.2 all use it).
    Even,
    /// Odd parity.
    Odd,
}

/// Number of data bits in a UART character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataBits {
    /// 5 data bits.
    Five,
    /// 6 data bits.
    Six,
    /// 7 data bits.
    Seven,
    /// 8 data bits.
    Eight,
}

impl DataBits {
    /// The number of data bits.
    pub const fn bits(self) -> u32 {
        match self {
            DataBits::Five => 5,
            DataBits::Six => 6,
            DataBits::Seven => 7,
            DataBits::Eight => 8,
        }
    }
}

/// Number of stop bits in a UART character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StopBits {
    /// One stop bit.
    One,
    /// Two stop bits.
    Two,
}

impl StopBits {
    /// The number of stop bits.
    pub const fn bits(self) -> u32 {
        match self {
            StopBits::One => 1,
            StopBits::Two => 2,
        }
    }
}

/// Why a [`LineSettings`] was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// The baud rate lies outside [`LineSettings::MIN_BAUD`]..=[`LineSettings::MAX_BAUD`].
    #[error("baud rate {baud} outside 300..=115200")]
    Baud {
        /// The refused rate.
        baud: u32,
    },
}

/// Baud rate and character format of a serial line.
///
/// The presets follow the protocol notes: DL/T 645 meters run 8E1 at 1200 (1997 edition),
/// 2400 (2007 default), 4800 or 9600 (DL/T 645-2007 §5.1 as quoted in `dlt645.md` §1.1);
/// M-Bus is 8E1 at 300, 2400 (de-facto default) or 9600 (EN 13757-2 §5, `mbus.md` §5.1);
/// the carrier module's UART is 9600 8E1 (Q/GDW 1376.2, `plc-uplink.md` §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LineSettings {
    baud: u32,
    data_bits: DataBits,
    parity: Parity,
    stop_bits: StopBits,
}

impl LineSettings {
    /// The slowest rate accepted (the slowest M-Bus and DL/T 645-1997 rate).
    pub const MIN_BAUD: u32 = 300;
    /// The fastest rate accepted (the fastest carrier-module rate seen in the field).
    pub const MAX_BAUD: u32 = 115_200;

    /// DL/T 645 at 1200 Bd 8E1 (the 1997 edition's rate and the infrared port's).
    pub const DLT645_1200: Self = Self::preset_8e1(1200);
    /// DL/T 645 at 2400 Bd 8E1 (the usual 2007 RS-485 rate).
    pub const DLT645_2400: Self = Self::preset_8e1(2400);
    /// DL/T 645 at 4800 Bd 8E1.
    pub const DLT645_4800: Self = Self::preset_8e1(4800);
    /// DL/T 645 at 9600 Bd 8E1.
    pub const DLT645_9600: Self = Self::preset_8e1(9600);
    /// M-Bus at 300 Bd 8E1 (the factory rate of many older meters).
    pub const MBUS_300: Self = Self::preset_8e1(300);
    /// M-Bus at 2400 Bd 8E1 (the de-facto default).
    pub const MBUS_2400: Self = Self::preset_8e1(2400);
    /// M-Bus at 9600 Bd 8E1.
    pub const MBUS_9600: Self = Self::preset_8e1(9600);
    /// The carrier (PLC/HPLC) module's UART, 9600 Bd 8E1.
    pub const CARRIER_9600: Self = Self::preset_8e1(9600);

    const fn preset_8e1(baud: u32) -> Self {
        Self {
            baud,
            data_bits: DataBits::Eight,
            parity: Parity::Even,
            stop_bits: StopBits::One,
        }
    }

    /// Settings from their parts; the baud rate must lie in 300..=115200.
    pub const fn new(
        baud: u32,
        data_bits: DataBits,
        parity: Parity,
        stop_bits: StopBits,
    ) -> Result<Self, LineError> {
        if baud < Self::MIN_BAUD || baud > Self::MAX_BAUD {
            return Err(LineError::Baud { baud });
        }
        Ok(Self {
            baud,
            data_bits,
            parity,
            stop_bits,
        })
    }

    /// 8 data bits, even parity, one stop bit at `baud` (the format of all three protocols).
    pub const fn new_8e1(baud: u32) -> Result<Self, LineError> {
        Self::new(baud, DataBits::Eight, Parity::Even, StopBits::One)
    }

    /// The baud rate in bits per second.
    pub const fn baud(&self) -> u32 {
        self.baud
    }

    /// The data bits per character.
    pub const fn data_bits(&self) -> DataBits {
        self.data_bits
    }

    /// The parity.
    pub const fn parity(&self) -> Parity {
        self.parity
    }

    /// The stop bits per character.
    pub const fn stop_bits(&self) -> StopBits {
        self.stop_bits
    }

    /// Bits on the wire per character: start bit, data bits, parity bit if any, stop bits
    /// (11 for 8E1).
    pub const fn bits_per_char(&self) -> u32 {
        let parity = match self.parity {
            Parity::None => 0,
            Parity::Even | Parity::Odd => 1,
        };
        1 + self.data_bits.bits() + parity + self.stop_bits.bits()
    }

    /// The time `bits` bit periods take, in microseconds, rounded up.
    pub const fn bits_us(&self, bits: u64) -> u64 {
        // bits ≤ u32::MAX·k in practice; 1e6 · bits fits u64 for any bits < 1.8e13.
        (bits.saturating_mul(1_000_000)).div_ceil(self.baud as u64)
    }

    /// The time one character takes on the wire, in microseconds, rounded up
    /// (8E1 at 2400 Bd: 11 bits, 4584 µs).
    pub const fn char_us(&self) -> u64 {
        self.bits_us(self.bits_per_char() as u64)
    }

    /// The time `chars` back-to-back characters take, in microseconds, rounded up once (not
    /// per character).
    pub const fn chars_us(&self, chars: u64) -> u64 {
        self.bits_us(chars.saturating_mul(self.bits_per_char() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_8e1_with_eleven_bits() {
        for l in [
            LineSettings::DLT645_1200,
            LineSettings::DLT645_2400,
            LineSettings::DLT645_4800,
            LineSettings::DLT645_9600,
            LineSettings::MBUS_300,
            LineSettings::MBUS_2400,
            LineSettings::MBUS_9600,
            LineSettings::CARRIER_9600,
        ] {
            assert_eq!(l.bits_per_char(), 11);
            assert_eq!(LineSettings::new_8e1(l.baud()), Ok(l));
        }
    }

    #[test]
    fn baud_range_is_checked() {
        assert_eq!(
            LineSettings::new_8e1(299),
            Err(LineError::Baud { baud: 299 })
        );
        assert_eq!(
            LineSettings::new_8e1(115_201),
            Err(LineError::Baud { baud: 115_201 })
        );
        assert!(LineSettings::new_8e1(300).is_ok());
        assert!(LineSettings::new_8e1(115_200).is_ok());
    }

    #[test]
    fn character_times_round_up() {
        // dlt645.md §3.2: 4.58 ms per byte at 2400 Bd; 11e6/2400 = 4583.33 µs → 4584.
        assert_eq!(LineSettings::DLT645_2400.char_us(), 4584);
        // 11e6/9600 = 1145.83 µs → 1146 (plc-uplink.md §1.2: 1.146 ms per byte).
        assert_eq!(LineSettings::CARRIER_9600.char_us(), 1146);
        // 11e6/300 = 36666.7 µs → 36667 (mbus.md §5.1: 36.7 ms).
        assert_eq!(LineSettings::MBUS_300.char_us(), 36_667);
        // Rounded once for a run of characters: 3 chars at 2400 = 13750 µs exactly.
        assert_eq!(LineSettings::DLT645_2400.chars_us(3), 13_750);
        let l = LineSettings::new(9600, DataBits::Seven, Parity::None, StopBits::Two).unwrap();
        assert_eq!(l.bits_per_char(), 10);
        assert_eq!(l.char_us(), 1042);
    }
}
