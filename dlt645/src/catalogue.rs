//! The data-identifier catalogue: format, unit and scale of the DIs a concentrator reads,
//! and the iterator that decodes a reply's bytes into exact values.
//!
//! Sources: DL/T 645-2007 Appendix A tables as quoted in meter firmware and public masters
//! (see `../shared/notes/dlt645.md` §1.10–1.13); 1997 formats per the 1997 appendix.
//! Where the catalogue is silent, values stay raw bytes (lossless).

use crate::bcd;
use crate::{
    Baud, Decimal, Di, Di97, Digits, Payload, Quantity, Status, Text, Timestamp, Unit, Value,
};

/// How a calendar field is written (high field first in the standard, low first on the
/// wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeFormat {
    /// YYMMDDWW (04000101, C010), WW 0 = Sunday.
    YYMMDDWW,
    /// hhmmss (04000102, C011).
    Hhmmss,
    /// YYMMDDWWhhmmss (0400010C).
    YYMMDDWWhhmmss,
    /// YYMMDDhhmmss (event times).
    YYMMDDhhmmss,
    /// YYMMDDhhmm (freeze, demand and curve times).
    YYMMDDhhmm,
    /// MMDDhhmm (1997 demand and programming times).
    MMDDhhmm,
    /// DDhh (settlement day).
    DDhh,
}

impl TimeFormat {
    /// Bytes on the wire.
    #[inline]
    pub fn wire_len(self) -> usize {
        match self {
            TimeFormat::YYMMDDWW | TimeFormat::MMDDhhmm => 4,
            TimeFormat::Hhmmss => 3,
            TimeFormat::YYMMDDWWhhmmss => 7,
            TimeFormat::YYMMDDhhmmss => 6,
            TimeFormat::YYMMDDhhmm => 5,
            TimeFormat::DDhh => 2,
        }
    }

    /// The format as the standard writes it.
    #[inline]
    pub fn pattern(self) -> &'static str {
        match self {
            TimeFormat::YYMMDDWW => "YYMMDDWW",
            TimeFormat::Hhmmss => "hhmmss",
            TimeFormat::YYMMDDWWhhmmss => "YYMMDDWWhhmmss",
            TimeFormat::YYMMDDhhmmss => "YYMMDDhhmmss",
            TimeFormat::YYMMDDhhmm => "YYMMDDhhmm",
            TimeFormat::MMDDhhmm => "MMDDhhmm",
            TimeFormat::DDhh => "DDhh",
        }
    }
}

/// The format of one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Packed BCD of `len` bytes, value = digits × 10^`exponent`; with `signed`, bit 7 of the
    /// most significant byte is the sign (2007 Appendix A note on signed quantities).
    Bcd {
        /// Bytes.
        len: u8,
        /// Power of ten of the last digit.
        exponent: i8,
        /// Sign in bit 7 of the top byte.
        signed: bool,
        /// Unit.
        unit: Unit,
    },
    /// A calendar value.
    Time(TimeFormat),
    /// ASCII of `len` bytes, sent reversed.
    Ascii(u8),
    /// A BCD number of `len` bytes read as digits.
    Digits(u8),
    /// A 2-byte status word; `word` 0 means "numbered by position in a block".
    Status {
        /// 1..=7, or 0 for the block.
        word: u8,
    },
    /// The 1-byte 1997 status word C020.
    Status97,
    /// A baud feature word.
    Baud,
    /// `len` bytes the catalogue does not describe further.
    Raw(u8),
}

impl Format {
    /// Bytes of the field.
    #[inline]
    pub fn wire_len(self) -> usize {
        match self {
            Format::Bcd { len, .. }
            | Format::Ascii(len)
            | Format::Digits(len)
            | Format::Raw(len) => usize::from(len),
            Format::Time(t) => t.wire_len(),
            Format::Status { .. } => 2,
            Format::Status97 | Format::Baud => 1,
        }
    }
}

/// One named field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Field {
    /// What it is ("voltage", "freeze time").
    pub name: &'static str,
    /// How it is written.
    pub format: Format,
}

/// Whether a layout's record occurs once or repeats to the end of the data (FF blocks,
/// frozen tariffs, curve records).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Repeat {
    /// One record.
    Once,
    /// Records until the data ends.
    Block,
}

/// What the catalogue knows about a DI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Layout {
    /// What the DI names.
    pub name: &'static str,
    /// The phase (A, B, C) for per-phase DIs.
    pub phase: Option<char>,
    /// A field that comes once before the records (the start time of a 0610 curve).
    pub head: Option<Field>,
    /// One record: one field, or a value and its time (maximum demand).
    pub record: [Option<Field>; 2],
    /// Once or repeated.
    pub repeat: Repeat,
}

impl Layout {
    #[inline]
    const fn one(name: &'static str, format: Format) -> Layout {
        Layout {
            name,
            phase: None,
            head: None,
            record: [Some(Field { name, format }), None],
            repeat: Repeat::Once,
        }
    }

    /// Bytes of one record.
    #[inline]
    pub fn record_len(&self) -> usize {
        self.record
            .iter()
            .flatten()
            .map(|f| f.format.wire_len())
            .sum()
    }
}

#[inline]
const fn bcd(len: u8, exponent: i8, signed: bool, unit: Unit) -> Format {
    Format::Bcd {
        len,
        exponent,
        signed,
        unit,
    }
}

impl Layout {
    const fn two(name: &'static str, value: Format, second: &'static str, then: Format) -> Layout {
        Layout {
            name,
            phase: None,
            head: None,
            record: [
                Some(Field {
                    name,
                    format: value,
                }),
                Some(Field {
                    name: second,
                    format: then,
                }),
            ],
            repeat: Repeat::Once,
        }
    }

    const fn curve(name: &'static str, format: Format) -> Layout {
        let mut l = Layout::one(name, format);
        l.head = Some(Field {
            name: "curve start",
            format: YMDHM,
        });
        l
    }
}

/// A catalogue answer: a static entry plus what the DI itself selects (phase, block).
/// A pointer and a byte, so that it travels in two registers, not through memory.
#[derive(Debug, Clone, Copy)]
struct Spec {
    base: &'static Layout,
    /// The phase letter (`b'A'`..`b'C'`, 0 for none) in the low seven bits, [`Spec::BLOCK`]
    /// for a repeated record.
    select: u8,
}

impl Spec {
    /// `select` bit: the record repeats to the end of the data.
    const BLOCK: u8 = 0x80;

    const fn once(base: &'static Layout) -> Spec {
        Spec { base, select: 0 }
    }

    const fn block(base: &'static Layout, block: bool) -> Spec {
        Spec {
            base,
            select: if block { Spec::BLOCK } else { 0 },
        }
    }

    /// With the phase; phases are the letters A, B, C (ASCII, below 0x80).
    fn phase(mut self, phase: Option<char>) -> Spec {
        if let Some(p) = phase.and_then(|p| u8::try_from(p).ok()) {
            self.select |= p & !Spec::BLOCK;
        }
        self
    }

    #[inline]
    fn repeat(&self) -> Repeat {
        if self.select & Spec::BLOCK != 0 {
            Repeat::Block
        } else {
            Repeat::Once
        }
    }

    fn layout(&self) -> Layout {
        let p = self.select & !Spec::BLOCK;
        Layout {
            phase: (p != 0).then_some(char::from(p)),
            repeat: self.repeat(),
            ..*self.base
        }
    }
}

/// `const { &Layout::one(..) }`: a static entry with one field.
macro_rules! one {
    ($name:expr, $format:expr) => {
        const { &Layout::one($name, $format) }
    };
}

/// Energy quantities by DI2 (and by 0x05 freeze DI1), 00..0A: XXXXXX.XX, signed for the
/// combined ones (2007 Appendix A.1; notes §1.10). A table, so that the lookup is an index.
static ENERGY: [Layout; 11] = [
    Layout::one("combined active energy", bcd(4, -2, true, Unit::KWh)),
    Layout::one("forward active energy", bcd(4, -2, false, Unit::KWh)),
    Layout::one("reverse active energy", bcd(4, -2, false, Unit::KWh)),
    Layout::one("combined reactive 1 energy", bcd(4, -2, true, Unit::Kvarh)),
    Layout::one("combined reactive 2 energy", bcd(4, -2, true, Unit::Kvarh)),
    Layout::one("quadrant I reactive energy", bcd(4, -2, false, Unit::Kvarh)),
    Layout::one(
        "quadrant II reactive energy",
        bcd(4, -2, false, Unit::Kvarh),
    ),
    Layout::one(
        "quadrant III reactive energy",
        bcd(4, -2, false, Unit::Kvarh),
    ),
    Layout::one(
        "quadrant IV reactive energy",
        bcd(4, -2, false, Unit::Kvarh),
    ),
    Layout::one("forward apparent energy", bcd(4, -2, false, Unit::KVAh)),
    Layout::one("reverse apparent energy", bcd(4, -2, false, Unit::KVAh)),
];

/// The energy layout of quantity kind `k` (00..0A).
#[inline]
fn energy(k: u8) -> Option<&'static Layout> {
    ENERGY.get(usize::from(k))
}

/// `const { &Layout::two(name, XX.XXXX unit, "maximum demand time", YYMMDDhhmm) }`.
macro_rules! demand {
    ($name:expr, $signed:expr, $unit:expr) => {
        const {
            &Layout::two(
                $name,
                bcd(3, -4, $signed, $unit),
                "maximum demand time",
                YMDHM,
            )
        }
    };
}

/// Maximum demand of DI2 (and of 0x05 freeze DI1 09/0A): XX.XXXX + YYMMDDhhmm.
fn demand(k: u8) -> Option<&'static Layout> {
    Some(match k {
        0x00 => demand!("combined active maximum demand", true, Unit::KW),
        0x01 => demand!("forward active maximum demand", false, Unit::KW),
        0x02 => demand!("reverse active maximum demand", false, Unit::KW),
        0x03 => demand!("combined reactive 1 maximum demand", true, Unit::Kvar),
        0x04 => demand!("combined reactive 2 maximum demand", true, Unit::Kvar),
        0x05 => demand!("quadrant I reactive maximum demand", false, Unit::Kvar),
        0x06 => demand!("quadrant II reactive maximum demand", false, Unit::Kvar),
        0x07 => demand!("quadrant III reactive maximum demand", false, Unit::Kvar),
        0x08 => demand!("quadrant IV reactive maximum demand", false, Unit::Kvar),
        0x09 => demand!("forward apparent maximum demand", false, Unit::KVA),
        0x0A => demand!("reverse apparent maximum demand", false, Unit::KVA),
        _ => return None,
    })
}

/// DI2 of energy/demand DIs: (phase, quantity kind) — totals 00..0A, phase A 15..1E,
/// B 29..32, C 3D..46 (2007 Appendix A.1).
fn split_phase(di2: u8) -> Option<(Option<char>, u8)> {
    match di2 {
        0x00..=0x0A => Some((None, di2)),
        0x15..=0x1E => Some((Some('A'), di2 - 0x14)),
        0x29..=0x32 => Some((Some('B'), di2 - 0x28)),
        0x3D..=0x46 => Some((Some('C'), di2 - 0x3C)),
        _ => None,
    }
}

fn phase_of(di1: u8) -> Option<char> {
    match di1 {
        1 => Some('A'),
        2 => Some('B'),
        3 => Some('C'),
        _ => None,
    }
}

const YMDHM: Format = Format::Time(TimeFormat::YYMMDDhhmm);

/// Look up a 2007 DI.
pub fn lookup(di: Di) -> Option<Layout> {
    spec(di).map(|s| s.layout())
}

#[inline]
fn spec(di: Di) -> Option<Spec> {
    // The total energies 0000xxxx..000Axxxx, the DIs a concentrator reads most, are an index
    // into the table, inline in the caller; the same answer as `spec_other` gives them.
    if di.di3() == 0
        && let Some(base) = ENERGY.get(usize::from(di.di2()))
    {
        return Some(Spec::block(base, di.di1() == 0xFF || di.di0() == 0xFF));
    }
    spec_other(di)
}

/// [`spec`] for every DI.
#[inline(never)]
fn spec_other(di: Di) -> Option<Spec> {
    let (d3, d2, d1, d0) = (di.di3(), di.di2(), di.di1(), di.di0());
    let block = d1 == 0xFF || d0 == 0xFF;
    match d3 {
        0x00 if di.0 == 0x0090_0200 => Some(Spec::once(one!(
            "remaining money",
            bcd(4, -2, false, Unit::Yuan)
        ))),
        0x00 => {
            let (phase, kind) = split_phase(d2)?;
            Some(Spec::block(energy(kind)?, block).phase(phase))
        }
        0x01 => {
            let (phase, kind) = split_phase(d2)?;
            Some(Spec::block(demand(kind)?, block).phase(phase))
        }
        0x02 => variables(d2, d1, d0),
        0x03 => events(d2, d1, d0),
        0x04 => parameters(di),
        0x05 => frozen(d2, d1),
        0x06 if d2 == 0x10 => curve(d1, d0),
        _ => None,
    }
}

fn variables(d2: u8, d1: u8, d0: u8) -> Option<Spec> {
    let block = d1 == 0xFF;
    let phase_ok = matches!(d1, 0x01..=0x03 | 0xFF);
    let total_ok = matches!(d1, 0x00..=0x03 | 0xFF);
    let base = match (d2, d0) {
        (0x01, 0x00) if phase_ok => one!("voltage", bcd(2, -1, false, Unit::Volt)),
        (0x02, 0x00) if phase_ok => one!("current", bcd(3, -3, true, Unit::Ampere)),
        (0x03, 0x00) if total_ok => one!("active power", bcd(3, -4, true, Unit::KW)),
        (0x04, 0x00) if total_ok => one!("reactive power", bcd(3, -4, true, Unit::Kvar)),
        (0x05, 0x00) if total_ok => one!("apparent power", bcd(3, -4, true, Unit::KVA)),
        (0x06, 0x00) if total_ok => one!("power factor", bcd(2, -3, true, Unit::None)),
        (0x07, 0x00) if phase_ok => one!("phase angle", bcd(2, -1, false, Unit::Degree)),
        (0x08, 0x00) if phase_ok => one!("voltage THD", bcd(2, -2, false, Unit::Percent)),
        (0x09, 0x00) if phase_ok => one!("current THD", bcd(2, -2, false, Unit::Percent)),
        (0x0A, 0x01..=0x15 | 0xFF) if matches!(d1, 0x01..=0x03) => {
            let l = one!("voltage harmonic", bcd(2, -2, false, Unit::Percent));
            return Some(Spec::block(l, d0 == 0xFF).phase(phase_of(d1)));
        }
        (0x0B, 0x01..=0x15 | 0xFF) if matches!(d1, 0x01..=0x03) => {
            let l = one!("current harmonic", bcd(2, -2, false, Unit::Percent));
            return Some(Spec::block(l, d0 == 0xFF).phase(phase_of(d1)));
        }
        (0x80, _) if d1 == 0x00 => {
            return Some(Spec::once(match d0 {
                0x01 => one!("neutral current", bcd(3, -3, true, Unit::Ampere)),
                0x02 => one!("frequency", bcd(2, -2, false, Unit::Hertz)),
                0x03 => one!(
                    "one-minute average active power",
                    bcd(3, -4, true, Unit::KW)
                ),
                0x04 => one!("active demand", bcd(3, -4, true, Unit::KW)),
                0x05 => one!("reactive demand", bcd(3, -4, true, Unit::Kvar)),
                0x06 => one!("apparent demand", bcd(3, -4, true, Unit::KVA)),
                0x07 => one!("internal temperature", bcd(2, -1, true, Unit::Celsius)),
                0x08 => one!("clock battery voltage", bcd(2, -2, false, Unit::Volt)),
                0x09 => one!("reading battery voltage", bcd(2, -2, false, Unit::Volt)),
                0x0A => one!("battery working time", bcd(4, 0, false, Unit::Minute)),
                0x0B => one!("current ladder price", bcd(4, -4, false, Unit::YuanPerKWh)),
                _ => return None,
            }));
        }
        _ => return None,
    };
    Some(Spec::block(base, block).phase(phase_of(d1)))
}

fn events(d2: u8, d1: u8, d0: u8) -> Option<Spec> {
    const COUNT: Format = bcd(3, 0, false, Unit::None);
    Some(match (d2, d1, d0) {
        // 0330xx00: programming, meter clear, demand clear, event clear, time set ... counts
        (0x30, _, 0x00) => Spec::once(one!("event count", COUNT)),
        (0x11, 0x00, 0x00) => Spec::once(one!("power-down count", COUNT)),
        // 0301..0308 0000: per-phase counts and cumulative minutes (A, B, C)
        (0x01..=0x08, 0x00, 0x00) => Spec::block(
            const {
                &Layout::two(
                    "event count",
                    COUNT,
                    "cumulative time",
                    bcd(3, 0, false, Unit::Minute),
                )
            },
            true,
        ),
        _ => return None,
    })
}

fn parameters(di: Di) -> Option<Spec> {
    use Format::Ascii;
    let base = match di.0 {
        0x0400_0101 => one!("date", Format::Time(TimeFormat::YYMMDDWW)),
        0x0400_0102 => one!("time", Format::Time(TimeFormat::Hhmmss)),
        0x0400_0103 => one!("demand period", bcd(1, 0, false, Unit::Minute)),
        0x0400_0104 => one!("sliding window", bcd(1, 0, false, Unit::Minute)),
        0x0400_010C => one!("date and time", Format::Time(TimeFormat::YYMMDDWWhhmmss)),
        0x0400_0401 => one!("communication address", Format::Digits(6)),
        0x0400_0402 => one!("meter number", Format::Digits(6)),
        0x0400_0403 => one!("asset code", Ascii(32)),
        0x0400_0404 => one!("rated voltage", Ascii(6)),
        0x0400_0405 => one!("rated current", Ascii(6)),
        0x0400_0406 => one!("maximum current", Ascii(6)),
        0x0400_0407 => one!("active accuracy class", Ascii(4)),
        0x0400_0408 => one!("reactive accuracy class", Ascii(4)),
        0x0400_0409 => one!("active meter constant", bcd(3, 0, false, Unit::ImpPerKWh)),
        0x0400_040A => one!(
            "reactive meter constant",
            bcd(3, 0, false, Unit::ImpPerKvarh)
        ),
        0x0400_040B => one!("meter model", Ascii(10)),
        0x0400_040C => one!("production date", Ascii(10)),
        0x0400_040D => one!("protocol version", Ascii(16)),
        0x0400_0501 => one!("status word", Format::Status { word: 1 }),
        0x0400_0502 => one!("status word", Format::Status { word: 2 }),
        0x0400_0503 => one!("status word", Format::Status { word: 3 }),
        0x0400_0504 => one!("status word", Format::Status { word: 4 }),
        0x0400_0505 => one!("status word", Format::Status { word: 5 }),
        0x0400_0506 => one!("status word", Format::Status { word: 6 }),
        0x0400_0507 => one!("status word", Format::Status { word: 7 }),
        0x0400_05FF => {
            return Some(Spec::block(
                one!("status word", Format::Status { word: 0 }),
                true,
            ));
        }
        0x0400_0701..=0x0400_0705 => one!("baud rate", Format::Baud),
        0x0400_0B01..=0x0400_0B03 => one!("settlement day", Format::Time(TimeFormat::DDhh)),
        _ => return None,
    };
    Some(Spec::once(base))
}

fn frozen(d2: u8, d1: u8) -> Option<Spec> {
    if d2 > 0x08 {
        return None;
    }
    Some(match d1 {
        0x00 => Spec::once(one!("freeze time", YMDHM)),
        0x01..=0x08 => Spec::block(energy(d1)?, true),
        0x09 | 0x0A => Spec::block(demand(d1 - 0x08)?, true),
        _ => return None,
    })
}

/// `const { &Layout::curve(..) }`: a 0610 curve entry (start time, then records).
macro_rules! curve {
    ($name:expr, $format:expr) => {
        const { &Layout::curve($name, $format) }
    };
}

fn curve(d1: u8, d0: u8) -> Option<Spec> {
    let base = match (d1, d0) {
        (0x01, 0x01..=0x03 | 0xFF) => curve!("voltage", bcd(2, -1, false, Unit::Volt)),
        (0x02, 0x01..=0x03 | 0xFF) => curve!("current", bcd(3, -3, true, Unit::Ampere)),
        (0x03, 0x00..=0x03 | 0xFF) => curve!("active power", bcd(3, -4, true, Unit::KW)),
        (0x04, 0x00..=0x03 | 0xFF) => curve!("reactive power", bcd(3, -4, true, Unit::Kvar)),
        (0x05, 0x00..=0x03 | 0xFF) => curve!("power factor", bcd(2, -3, true, Unit::None)),
        (0x06, 0x01) => curve!("forward active energy", bcd(4, -2, false, Unit::KWh)),
        (0x06, 0x02) => curve!("reverse active energy", bcd(4, -2, false, Unit::KWh)),
        (0x06, 0x03) => curve!("combined reactive 1 energy", bcd(4, -2, true, Unit::Kvarh)),
        (0x06, 0x04) => curve!("combined reactive 2 energy", bcd(4, -2, true, Unit::Kvarh)),
        (0x07, 0x01..=0x04) => curve!("quadrant reactive energy", bcd(4, -2, false, Unit::Kvarh)),
        _ => return None,
    };
    let phase = if matches!(d1, 0x01..=0x05) {
        phase_of(d0)
    } else {
        None
    };
    Some(Spec::block(base, true).phase(phase))
}

/// Look up a 1997 DI.
pub fn lookup97(di: Di97) -> Option<Layout> {
    spec97(di).map(|s| s.layout())
}

fn spec97(di: Di97) -> Option<Spec> {
    let (d1, d0) = (di.di1(), di.di0());
    let block = d0 & 0x0F == 0x0F;
    let period_ok = matches!(d1 & 0x0F, 0x0 | 0x1 | 0x4 | 0x5 | 0x8 | 0x9);
    let reactive = d1 & 0x01 == 1;
    let tariff_ok = matches!(d0 & 0x0F, 0x0..=0x4 | 0xF) && matches!(d0 >> 4, 0x1..=0x6);
    let lo = d0 & 0x0F;
    let phase_block = matches!(lo, 1..=3 | 0xF);
    let all_block = matches!(lo, 0..=3 | 0xF);
    let phase = if block { None } else { phase_of(lo) };
    Some(match (d1 >> 4, d1, d0 >> 4) {
        (0x9, _, _) if period_ok && tariff_ok => Spec::block(
            if reactive {
                one!("reactive energy", bcd(4, -2, false, Unit::Kvarh))
            } else {
                one!("active energy", bcd(4, -2, false, Unit::KWh))
            },
            block,
        ),
        (0xA, _, _) if period_ok && tariff_ok => Spec::block(
            if reactive {
                one!("reactive maximum demand", bcd(3, -4, false, Unit::Kvar))
            } else {
                one!("active maximum demand", bcd(3, -4, false, Unit::KW))
            },
            block,
        ),
        (0xB, _, _) if period_ok && tariff_ok => Spec::block(
            one!("maximum demand time", Format::Time(TimeFormat::MMDDhhmm)),
            block,
        ),
        // notes §1.13: 1997 voltage XXX V, current XX.XX A, reactive power XX.XX kvar.
        (_, 0xB6, 0x1) if phase_block => {
            Spec::block(one!("voltage", bcd(2, 0, false, Unit::Volt)), block).phase(phase)
        }
        (_, 0xB6, 0x2) if phase_block => {
            Spec::block(one!("current", bcd(2, -2, false, Unit::Ampere)), block).phase(phase)
        }
        (_, 0xB6, 0x3) if all_block => {
            Spec::block(one!("active power", bcd(3, -4, false, Unit::KW)), block).phase(phase)
        }
        (_, 0xB6, 0x4) if all_block => {
            Spec::block(one!("reactive power", bcd(2, -2, false, Unit::Kvar)), block).phase(phase)
        }
        (_, 0xB6, 0x5) if all_block => {
            Spec::block(one!("power factor", bcd(2, -3, false, Unit::None)), block).phase(phase)
        }
        _ => Spec::once(match di.0 {
            0xB210 => one!("last programming time", Format::Time(TimeFormat::MMDDhhmm)),
            0xB211 => one!("last demand clear time", Format::Time(TimeFormat::MMDDhhmm)),
            0xB212 => one!("programming count", bcd(2, 0, false, Unit::None)),
            0xB213 => one!("demand clear count", bcd(2, 0, false, Unit::None)),
            0xB214 => one!("battery working time", bcd(3, 0, false, Unit::Minute)),
            0xC010 => one!("date", Format::Time(TimeFormat::YYMMDDWW)),
            0xC011 => one!("time", Format::Time(TimeFormat::Hhmmss)),
            0xC020 => one!("status word", Format::Status97),
            0xC030 => one!("active meter constant", bcd(3, 0, false, Unit::ImpPerKWh)),
            0xC031 => one!(
                "reactive meter constant",
                bcd(3, 0, false, Unit::ImpPerKvarh)
            ),
            0xC032 => one!("meter address", Format::Digits(6)),
            0xC033 => one!("user number", Format::Digits(6)),
            0xC034 => one!("device code", Format::Digits(6)),
            0xC111 => one!("demand period", bcd(1, 0, false, Unit::Minute)),
            0xC112 => one!("sliding window", bcd(1, 0, false, Unit::Minute)),
            0xC117 => one!("settlement day", Format::Time(TimeFormat::DDhh)),
            _ => return None,
        }),
    })
}

/// One decoded item of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item<'a> {
    /// What it is (from the catalogue), or "raw"/"extra" for undescribed bytes.
    pub name: &'static str,
    /// Position of its record in a block (0 = total or first; tariff, phase or day order).
    pub index: u16,
    /// The value.
    pub value: Value<'a>,
}

/// The items of a reply's data, decoded by the catalogue (see [`decode`]).
#[derive(Debug, Clone)]
pub struct Values<'a> {
    spec: Option<Spec>,
    data: Payload<'a>,
    head_pending: bool,
    field: u8,
    record: u16,
}

/// Decode the value bytes of a 2007 read reply for `di`. `continuation` is true for the
/// follow-up parts of a 0610 curve (they carry no start time).
///
/// Unknown DIs give one `raw` item; bytes left over after the records (a vendor's extra
/// `AA`/`DD`, a short field) come as an `extra` raw item. Nothing fails and nothing is lost.
#[inline]
pub fn decode(di: Di, data: Payload<'_>, continuation: bool) -> Values<'_> {
    let mut v = Values::new(spec(di), data);
    if continuation {
        v.head_pending = false;
    }
    v
}

/// Decode the value bytes of a 1997 read reply for `di`.
#[inline]
pub fn decode97(di: Di97, data: Payload<'_>) -> Values<'_> {
    Values::new(spec97(di), data)
}

impl<'a> Values<'a> {
    #[inline]
    fn new(spec: Option<Spec>, data: Payload<'a>) -> Values<'a> {
        Values {
            head_pending: spec.is_some_and(|s| s.base.head.is_some()),
            spec,
            data,
            record: 0,
            field: 0,
        }
    }

    /// The catalogue entry used, if the DI is known.
    #[inline]
    pub fn layout(&self) -> Option<Layout> {
        self.spec.map(|s| s.layout())
    }

    #[inline]
    fn rest(&mut self, name: &'static str) -> Option<Item<'a>> {
        let p = self.data;
        self.data = Payload::EMPTY;
        Some(Item {
            name,
            index: self.record,
            value: Value::Raw(p),
        })
    }

    #[inline]
    fn take(&mut self, f: &Field, index: u16) -> Option<Item<'a>> {
        let n = match f.format {
            Format::Bcd { len, .. } => usize::from(len),
            other => other.wire_len(),
        };
        let Some((bytes, rest)) = self.data.split_at(n) else {
            return self.rest("extra");
        };
        self.data = rest;
        Some(Item {
            name: f.name,
            index,
            value: decode_field(f.format, bytes, index),
        })
    }
}

impl<'a> Iterator for Values<'a> {
    type Item = Item<'a>;

    #[inline]
    fn next(&mut self) -> Option<Item<'a>> {
        if self.data.is_empty() {
            return None;
        }
        let Some(spec) = self.spec else {
            return self.rest("raw");
        };
        let layout: &'static Layout = spec.base;
        if self.head_pending {
            self.head_pending = false;
            if let Some(h) = &layout.head {
                return self.take(h, 0);
            }
        }
        if spec.repeat() == Repeat::Once && self.record > 0 {
            return self.rest("extra");
        }
        let at = usize::from(self.field);
        let Some(Some(f)) = layout.record.get(at) else {
            return self.rest("extra");
        };
        let last = !matches!(layout.record.get(at + 1), Some(Some(_)));
        let index = self.record;
        self.field += 1;
        if last {
            self.field = 0;
            self.record = self.record.saturating_add(1);
        }
        self.take(f, index)
    }
}

/// What a BCD number field holds, before it becomes a [`Value`].
enum Number {
    /// All FF.
    Absent,
    /// A nibble above 9.
    Invalid,
    /// The signed digits.
    Digits(i64),
}

/// The common case of [`decode_field`] (every energy, voltage, power ... field): a BCD
/// number of `n` = 1 to 8 bytes already loaded into `x` (lane 0 = first byte), decoded in one
/// register. Same answers as the byte-by-byte definition ([`number`] after the all-FF test).
#[inline(always)]
fn bcd_number(x: u64, n: usize, wire: bool, signed: bool) -> Number {
    let mantissa = if n <= 4 {
        // Fields of 1..=4 bytes (all the catalogue's numbers) in a 32-bit register.
        let x = x as u32;
        let plain = if wire { bcd::unscramble4(x, n) } else { x };
        if plain == u32::MAX >> (32 - 8 * n) {
            return Number::Absent;
        }
        let sign_bit = 0x80u32 << (8 * (n - 1));
        let negative = signed && plain & sign_bit != 0;
        let digits = if signed { plain & !sign_bit } else { plain };
        bcd::decode4(digits).map(|d| {
            let d = i64::from(d);
            if negative { -d } else { d }
        })
    } else {
        let plain = if wire { bcd::unscramble_lanes(x, n) } else { x };
        if plain == bcd::lane_mask(n) {
            return Number::Absent;
        }
        number_lanes(plain, n, signed)
    };
    mantissa.map_or(Number::Invalid, Number::Digits)
}

/// A decoded BCD number field as a [`Value`].
#[inline(always)]
fn number_value(number: Number, bytes: Payload<'_>, exponent: i8, unit: Unit) -> Value<'_> {
    match number {
        Number::Absent => Value::Absent,
        Number::Invalid => Value::Invalid(bytes),
        Number::Digits(mantissa) => Value::Number(Quantity {
            value: Decimal { mantissa, exponent },
            unit,
        }),
    }
}

/// Decode one field.
pub fn decode_field(format: Format, bytes: Payload<'_>, index: u16) -> Value<'_> {
    if let Format::Bcd {
        exponent,
        signed,
        unit,
        ..
    } = format
    {
        let (raw, wire) = bytes.as_raw();
        // The usual lengths (4: every energy, XXXXXX.XX; 2: voltages, power factors; 3:
        // currents, powers) each with one load and the lane count a constant that the masks
        // of `bcd_number` fold into; the other lengths in `decode_other` (three compares of
        // the length here, not a jump table over every length).
        let number = match *raw {
            [a, b, c, d] => Some(bcd_number(
                u64::from(u32::from_le_bytes([a, b, c, d])),
                4,
                wire,
                signed,
            )),
            [a, b] => Some(bcd_number(
                u64::from(u16::from_le_bytes([a, b])),
                2,
                wire,
                signed,
            )),
            [a, b, c] => Some(bcd_number(
                u64::from(u32::from_le_bytes([a, b, c, 0])),
                3,
                wire,
                signed,
            )),
            _ => None,
        };
        if let Some(number) = number {
            return number_value(number, bytes, exponent, unit);
        }
    }
    decode_other(format, bytes, index)
}

/// [`decode_field`] for every format but a BCD number of 2 to 4 bytes: out of line, so that
/// the number path does not save the registers this one needs.
#[inline(never)]
fn decode_other(format: Format, bytes: Payload<'_>, index: u16) -> Value<'_> {
    if let Format::Bcd {
        exponent,
        signed,
        unit,
        ..
    } = format
    {
        // The other lengths of 1 to 8 bytes, through the general load.
        let (raw, wire) = bytes.as_raw();
        if let Some(x) = bcd::load_le(raw) {
            return number_value(
                bcd_number(x, raw.len(), wire, signed),
                bytes,
                exponent,
                unit,
            );
        }
    }
    let (raw, wire) = bytes.as_raw();
    let ff = if wire {
        0xFF_u8.wrapping_add(bcd::SCRAMBLE)
    } else {
        0xFF
    };
    let all_ff = !raw.is_empty() && raw.iter().all(|b| *b == ff);
    match format {
        Format::Raw(_) => return Value::Raw(bytes),
        Format::Ascii(_) => return Value::Text(Text(bytes)),
        _ if all_ff => return Value::Absent,
        _ => {}
    }
    match format {
        Format::Bcd {
            exponent,
            signed,
            unit,
            ..
        } => number(bytes, signed).map_or(Value::Invalid(bytes), |mantissa| {
            Value::Number(Quantity {
                value: Decimal { mantissa, exponent },
                unit,
            })
        }),
        Format::Digits(_) => number(bytes, false).map_or(Value::Invalid(bytes), |n| {
            Value::Digits(Digits {
                value: n.unsigned_abs(),
                len: (bytes.len() * 2) as u8,
            })
        }),
        Format::Time(t) => time(t, bytes).map_or(Value::Invalid(bytes), Value::Time),
        Format::Status { word } => {
            let [lo, hi] = bytes.array::<2>().unwrap_or([0, 0]);
            Value::Status(Status {
                word: if word == 0 {
                    (index + 1).min(255) as u8
                } else {
                    word
                },
                bits: u16::from_le_bytes([lo, hi]),
            })
        }
        Format::Status97 => Value::Status(Status {
            word: 1,
            bits: u16::from(bytes.get(0).unwrap_or(0)),
        }),
        Format::Baud => bytes
            .get(0)
            .and_then(Baud::from_word)
            .map_or(Value::Invalid(bytes), Value::Baud),
        Format::Raw(_) | Format::Ascii(_) => Value::Raw(bytes),
    }
}

/// Little-endian packed BCD to an integer; with `signed`, bit 7 of the top byte is the sign.
#[inline]
fn number(bytes: Payload<'_>, signed: bool) -> Option<i64> {
    let (raw, wire) = bytes.as_raw();
    // Up to 8 bytes (16 digits) fit an i64; longer fields are not numbers.
    if raw.len() > 8 {
        return None;
    }
    let off = if wire { bcd::SCRAMBLE } else { 0 };
    let (top, rest) = raw.split_last()?;
    let mut top = top.wrapping_sub(off);
    let negative = signed && top & 0x80 != 0;
    if signed {
        top &= 0x7F;
    }
    let mut n = i64::from(bcd::decode(top)?);
    for b in rest.iter().rev() {
        n = n * 100 + i64::from(bcd::decode(b.wrapping_sub(off))?);
    }
    Some(if negative { -n } else { n })
}

/// [`number`] on plain bytes already in the low `n` (1..=8) lanes of `plain`.
#[inline]
fn number_lanes(plain: u64, n: usize, signed: bool) -> Option<i64> {
    let sign_bit = 0x80u64 << (8 * (n.clamp(1, 8) - 1));
    let negative = signed && plain & sign_bit != 0;
    let digits = if signed { plain & !sign_bit } else { plain };
    // At most 16 digits: below 10^16, so the cast is exact.
    let n = bcd::decode_lanes(digits)? as i64;
    Some(if negative { -n } else { n })
}

/// A calendar field: wire bytes are the written fields reversed.
fn time(t: TimeFormat, bytes: Payload<'_>) -> Option<Timestamp> {
    let n = t.wire_len();
    let (raw, wire) = bytes.as_raw();
    if raw.len() != n {
        return None;
    }
    // The 2..=7 bytes in one register: unscrambled, every nibble checked (the test of
    // `bcd::decode_lanes`), each byte to its value 0..=99 (16h + l - 6h), then the byte order
    // reversed so that `v[0]` is the first written field (the last byte on the wire).
    let x = bcd::load_le(raw)?;
    let plain = if wire { bcd::unscramble_lanes(x, n) } else { x };
    if (plain >> 3) & ((plain >> 2) | (plain >> 1)) & 0x1111_1111_1111_1111 != 0 {
        return None;
    }
    let values = plain - ((plain >> 4) & 0x0F0F_0F0F_0F0F_0F0F) * 6;
    let v = (values.swap_bytes() >> (8 * (8 - n))).to_le_bytes();
    let year = |y: u8| Some(2000 + u16::from(y));
    let [a, b, c, d, e, f, g, _] = v;
    let mut ts = Timestamp::default();
    match t {
        TimeFormat::YYMMDDWW => {
            ts.year = year(a);
            ts.month = Some(b);
            ts.day = Some(c);
            ts.weekday = Some(d);
        }
        TimeFormat::Hhmmss => {
            ts.hour = Some(a);
            ts.minute = Some(b);
            ts.second = Some(c);
        }
        TimeFormat::YYMMDDWWhhmmss => {
            ts.year = year(a);
            ts.month = Some(b);
            ts.day = Some(c);
            ts.weekday = Some(d);
            ts.hour = Some(e);
            ts.minute = Some(f);
            ts.second = Some(g);
        }
        TimeFormat::YYMMDDhhmmss => {
            ts.year = year(a);
            ts.month = Some(b);
            ts.day = Some(c);
            ts.hour = Some(d);
            ts.minute = Some(e);
            ts.second = Some(f);
        }
        TimeFormat::YYMMDDhhmm => {
            ts.year = year(a);
            ts.month = Some(b);
            ts.day = Some(c);
            ts.hour = Some(d);
            ts.minute = Some(e);
        }
        TimeFormat::MMDDhhmm => {
            ts.month = Some(a);
            ts.day = Some(b);
            ts.hour = Some(c);
            ts.minute = Some(d);
        }
        TimeFormat::DDhh => {
            ts.day = Some(a);
            ts.hour = Some(b);
        }
    }
    Some(ts)
}

impl<'a> crate::Reply<'a> {
    /// The decoded values of a read reply (2007 0x91/0x92, 1997 0x81/0x82/0x83); `None` for
    /// other replies.
    #[inline]
    pub fn values(&self) -> Option<Values<'a>> {
        // The 2007 read reply tested first (the other arms are hinted as the rarer ones, so
        // that the compiler orders its tests that way).
        match *self {
            crate::Reply::Read { di, data } => Some(decode(di, data, false)),
            crate::Reply::ReadFollow { di, data, .. } => {
                core::hint::cold_path();
                Some(decode(di, data, true))
            }
            crate::Reply::Read97 { di, data }
            | crate::Reply::ReadFollow97 { di, data }
            | crate::Reply::ReRead97 { di, data } => {
                core::hint::cold_path();
                Some(decode97(di, data))
            }
            _ => {
                core::hint::cold_path();
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The inline table lookup of the total energies gives the general lookup's answer for
    /// every DI it takes (DI2 00..0A, any DI1/DI0 including the FF blocks), and leaves the
    /// rest (0090 0200 remaining money, phase energies, demands) to it.
    #[test]
    fn energy_fast_path_matches_general_lookup() {
        for d2 in 0..=0xFFu8 {
            for (d1, d0) in [
                (0x00, 0x00),
                (0x00, 0x01),
                (0x00, 0xFF),
                (0xFF, 0x00),
                (0xFF, 0xFF),
            ] {
                for d3 in [0x00u8, 0x01] {
                    let di = Di(u32::from_be_bytes([d3, d2, d1, d0]));
                    let fast = spec(di).map(|s| s.layout());
                    let general = spec_other(di).map(|s| s.layout());
                    assert_eq!(fast, general, "{di:?}");
                }
            }
        }
        let di = Di(0x0001_0000);
        assert_eq!(
            spec(di).map(|s| s.layout().name),
            Some("forward active energy")
        );
        assert_eq!(
            spec(Di(0x0090_0200)).map(|s| s.layout().name),
            Some("remaining money")
        );
    }

    /// The phase and the block flag a DI selects come back from the packed `Spec` as the
    /// DI says (2007 Appendix A: DI1 01..03 = phase A..C for variables and harmonics, DI2
    /// 15/29/3D.. = phase A/B/C energies, DI1 or DI0 FF = the block).
    #[test]
    fn spec_keeps_phase_and_block() {
        let check = |di: u32, name: &str, phase: Option<char>, repeat: Repeat| {
            let l = lookup(Di(di)).unwrap();
            assert_eq!(
                (l.name, l.phase, l.repeat),
                (name, phase, repeat),
                "{di:08X}"
            );
        };
        check(0x0201_0100, "voltage", Some('A'), Repeat::Once);
        check(0x0201_0300, "voltage", Some('C'), Repeat::Once);
        check(0x0201_FF00, "voltage", None, Repeat::Block);
        check(0x020A_02FF, "voltage harmonic", Some('B'), Repeat::Block);
        check(
            0x0015_0000,
            "forward active energy",
            Some('A'),
            Repeat::Once,
        );
        check(
            0x003D_FF00,
            "forward active energy",
            Some('C'),
            Repeat::Block,
        );
        check(0x0001_FF00, "forward active energy", None, Repeat::Block);
        check(0x0001_0000, "forward active energy", None, Repeat::Once);
        check(0x0090_0200, "remaining money", None, Repeat::Once);
    }

    /// The register decode of calendar fields gives what reading the bytes one by one gives
    /// (reversed, each packed BCD, the length the format's): every format, wire and plain,
    /// lengths around the right one, digits, nibbles above 9 and FF in every position.
    #[test]
    fn time_matches_bytes() {
        let by_bytes = |t: TimeFormat, bytes: Payload<'_>| -> Option<[u8; 7]> {
            let mut v = [0u8; 7];
            for (i, b) in bytes.iter().rev().enumerate() {
                *v.get_mut(i)? = bcd::decode(b)?;
            }
            (bytes.len() == t.wire_len()).then_some(v)
        };
        let fields = |ts: Timestamp| {
            [
                ts.year.map(|y| (y - 2000) as u8),
                ts.month,
                ts.day,
                ts.weekday,
                ts.hour,
                ts.minute,
                ts.second,
            ]
        };
        let formats = [
            TimeFormat::YYMMDDWW,
            TimeFormat::Hhmmss,
            TimeFormat::YYMMDDWWhhmmss,
            TimeFormat::YYMMDDhhmmss,
            TimeFormat::YYMMDDhhmm,
            TimeFormat::MMDDhhmm,
            TimeFormat::DDhh,
        ];
        let pool = [
            0x00u8, 0x01, 0x09, 0x10, 0x59, 0x99, 0x9A, 0xA0, 0xFF, 0x26, 0x12,
        ];
        let mut seed = 7u32;
        for t in formats {
            for len in 0..=8 {
                for round in 0..500 {
                    let mut raw = [0u8; 8];
                    for b in raw.iter_mut() {
                        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        *b = pool[(seed >> 24) as usize % pool.len()];
                    }
                    if round == 0 {
                        raw = [0x26, 0x12, 0x05, 0x03, 0x15, 0x30, 0x45, 0x00];
                    }
                    let raw = &raw[..len];
                    let mut wire = [0u8; 8];
                    for (w, r) in wire.iter_mut().zip(raw) {
                        *w = r.wrapping_add(bcd::SCRAMBLE);
                    }
                    for bytes in [Payload::Plain(raw), Payload::Wire(&wire[..len])] {
                        let got = time(t, bytes);
                        match by_bytes(t, bytes) {
                            None => assert_eq!(got, None, "{t:?} {bytes:?}"),
                            Some(v) => {
                                let got = got.expect("decodes");
                                // Each field present in the format holds the byte at its
                                // written position; the others are absent.
                                let mut used = fields(got).into_iter().flatten();
                                for want in v.iter().take(t.wire_len()) {
                                    assert_eq!(used.next(), Some(*want), "{t:?} {bytes:?}");
                                }
                                assert_eq!(used.next(), None, "{t:?} {bytes:?}");
                            }
                        }
                    }
                }
            }
        }
    }

    /// The register fast path of BCD fields gives what the byte-by-byte definition gives
    /// (all FF absent, else `number`, else invalid) for every length it takes, both
    /// scramblings, signed and unsigned, on digits, nibbles above 9, sign bits and FF.
    #[test]
    fn bcd_fast_path_matches_bytes() {
        let pool = [
            0x00u8, 0x01, 0x09, 0x10, 0x99, 0x9A, 0xA0, 0x80, 0x7F, 0xFF, 0x32, 0x33,
        ];
        let mut seed = 1u32;
        for n in 1..=8 {
            for round in 0..4000 {
                let mut raw = [0u8; 8];
                for b in raw.iter_mut().take(n) {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    *b = pool[(seed >> 24) as usize % pool.len()];
                }
                if round == 0 {
                    raw = [0xFF; 8];
                }
                let raw = &raw[..n];
                let mut wire = [0u8; 8];
                for (w, r) in wire.iter_mut().zip(raw) {
                    *w = r.wrapping_add(bcd::SCRAMBLE);
                }
                for bytes in [Payload::Plain(raw), Payload::Wire(&wire[..n])] {
                    for signed in [false, true] {
                        let format = bcd(n as u8, -2, signed, Unit::KWh);
                        let want = if raw.iter().all(|b| *b == 0xFF) {
                            Value::Absent
                        } else {
                            number(bytes, signed).map_or(Value::Invalid(bytes), |mantissa| {
                                Value::Number(Quantity {
                                    value: Decimal {
                                        mantissa,
                                        exponent: -2,
                                    },
                                    unit: Unit::KWh,
                                })
                            })
                        };
                        assert_eq!(decode_field(format, bytes, 0), want, "{bytes:?} {signed}");
                    }
                }
            }
        }
    }
}
