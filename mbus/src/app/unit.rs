//! What a VIB means: quantity, unit and power-of-ten exponent (EN 13757-3 tables 10, 12, 14;
//! m-bus.com 8.4.3 and 8.4.4).

use crate::app::vib::{Combinable, Vib, combinable, exponent_adjustment};

/// The physical unit a value is counted in (scaled by [`Description::exponent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Unit {
    /// No unit (counts, identifiers, flags, text).
    None,
    /// Watt hour.
    WattHour,
    /// Joule.
    Joule,
    /// Cubic metre.
    CubicMetre,
    /// Kilogram.
    Kilogram,
    /// Second.
    Second,
    /// Minute.
    Minute,
    /// Hour.
    Hour,
    /// Day.
    Day,
    /// Month.
    Month,
    /// Year.
    Year,
    /// Watt.
    Watt,
    /// Joule per hour.
    JoulePerHour,
    /// Cubic metre per hour.
    CubicMetrePerHour,
    /// Cubic metre per minute.
    CubicMetrePerMinute,
    /// Cubic metre per second.
    CubicMetrePerSecond,
    /// Kilogram per hour.
    KilogramPerHour,
    /// Degree Celsius.
    Celsius,
    /// Kelvin.
    Kelvin,
    /// Bar.
    Bar,
    /// Degree Fahrenheit.
    Fahrenheit,
    /// Volt.
    Volt,
    /// Ampere.
    Ampere,
    /// Cubic foot.
    CubicFoot,
    /// US gallon.
    UsGallon,
    /// US gallon per minute.
    UsGallonPerMinute,
    /// US gallon per hour.
    UsGallonPerHour,
    /// Baud.
    Baud,
    /// Bit times.
    BitTimes,
    /// Local legal currency units.
    Currency,
    /// Heat cost allocator units (dimensionless).
    HcaUnits,
}

impl Unit {
    /// The usual symbol ("" for [`Unit::None`]).
    pub fn symbol(self) -> &'static str {
        use Unit::*;
        match self {
            None => "",
            WattHour => "Wh",
            Joule => "J",
            CubicMetre => "m³",
            Kilogram => "kg",
            Second => "s",
            Minute => "min",
            Hour => "h",
            Day => "d",
            Month => "month",
            Year => "a",
            Watt => "W",
            JoulePerHour => "J/h",
            CubicMetrePerHour => "m³/h",
            CubicMetrePerMinute => "m³/min",
            CubicMetrePerSecond => "m³/s",
            KilogramPerHour => "kg/h",
            Celsius => "°C",
            Kelvin => "K",
            Bar => "bar",
            Fahrenheit => "°F",
            Volt => "V",
            Ampere => "A",
            CubicFoot => "ft³",
            UsGallon => "US gal",
            UsGallonPerMinute => "US gal/min",
            UsGallonPerHour => "US gal/h",
            Baud => "Bd",
            BitTimes => "bit times",
            Currency => "currency",
            HcaUnits => "HCA",
        }
    }
}

/// What a record measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)] // the variant names are the EN 13757-3 names
pub enum Quantity {
    Energy,
    Volume,
    Mass,
    OnTime,
    OperatingTime,
    Power,
    VolumeFlow,
    MassFlow,
    FlowTemperature,
    ReturnTemperature,
    TemperatureDifference,
    ExternalTemperature,
    Pressure,
    /// Time point, date (type G).
    Date,
    /// Time point, date and time (type F, I) or time (type J).
    DateTime,
    HcaUnits,
    AveragingDuration,
    ActualityDuration,
    FabricationNumber,
    EnhancedIdentification,
    BusAddress,
    Credit,
    Debit,
    AccessNumber,
    Medium,
    Manufacturer,
    ParameterSetId,
    ModelVersion,
    HardwareVersion,
    FirmwareVersion,
    SoftwareVersion,
    CustomerLocation,
    Customer,
    AccessCodeUser,
    AccessCodeOperator,
    AccessCodeSystemOperator,
    AccessCodeDeveloper,
    Password,
    ErrorFlags,
    ErrorMask,
    DigitalOutput,
    DigitalInput,
    BaudRate,
    ResponseDelay,
    Retry,
    FirstStorageNumber,
    LastStorageNumber,
    StorageBlockSize,
    StorageInterval,
    DurationSinceLastReadout,
    StartOfTariff,
    DurationOfTariff,
    PeriodOfTariff,
    Dimensionless,
    Voltage,
    Current,
    ResetCounter,
    CumulationCounter,
    ControlSignal,
    DayOfWeek,
    WeekNumber,
    TimePointOfDayChange,
    ParameterActivationState,
    SupplierInformation,
    DurationSinceLastCumulation,
    BatteryOperatingTime,
    BatteryChangeDateTime,
    /// FD 0x74 (OMS): remaining battery lifetime in days.
    RemainingBatteryLifetime,
    ColdWarmTemperatureLimit,
    CumulativeMaxPower,
    /// VIF 0x7C/0xFC: the unit is the record's plain text.
    PlainText,
    /// VIF 0x7F/0xFF.
    ManufacturerSpecific,
    /// VIF 0x7E/0xFE (readout selection).
    AnyVif,
    /// A code the standard reserves: the table (0 primary, 0xFB, 0xFD) and code.
    Reserved(u8, u8),
}

/// The meaning of a VIB: value × 10^exponent in `unit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Description {
    /// The quantity.
    pub quantity: Quantity,
    /// The unit.
    pub unit: Unit,
    /// The power of ten, combinable multipliers included.
    pub exponent: i8,
}

const fn d(quantity: Quantity, unit: Unit, exponent: i8) -> Description {
    Description {
        quantity,
        unit,
        exponent,
    }
}

const fn duration_nn(n: u8) -> Unit {
    match n & 0x03 {
        0 => Unit::Second,
        1 => Unit::Minute,
        2 => Unit::Hour,
        _ => Unit::Day,
    }
}

const fn duration_pp(n: u8) -> Unit {
    match n & 0x03 {
        0 => Unit::Hour,
        1 => Unit::Day,
        2 => Unit::Month,
        _ => Unit::Year,
    }
}

/// Primary VIF table (EN 13757-3 table 10), code with the extension bit cleared.
const fn primary(v: u8) -> Description {
    use Quantity as Q;
    let n = (v & 0x07) as i8;
    let nn = (v & 0x03) as i8;
    match v {
        0x00..=0x07 => d(Q::Energy, Unit::WattHour, n - 3),
        0x08..=0x0F => d(Q::Energy, Unit::Joule, n),
        0x10..=0x17 => d(Q::Volume, Unit::CubicMetre, n - 6),
        0x18..=0x1F => d(Q::Mass, Unit::Kilogram, n - 3),
        0x20..=0x23 => d(Q::OnTime, duration_nn(v), 0),
        0x24..=0x27 => d(Q::OperatingTime, duration_nn(v), 0),
        0x28..=0x2F => d(Q::Power, Unit::Watt, n - 3),
        0x30..=0x37 => d(Q::Power, Unit::JoulePerHour, n),
        0x38..=0x3F => d(Q::VolumeFlow, Unit::CubicMetrePerHour, n - 6),
        0x40..=0x47 => d(Q::VolumeFlow, Unit::CubicMetrePerMinute, n - 7),
        0x48..=0x4F => d(Q::VolumeFlow, Unit::CubicMetrePerSecond, n - 9),
        0x50..=0x57 => d(Q::MassFlow, Unit::KilogramPerHour, n - 3),
        0x58..=0x5B => d(Q::FlowTemperature, Unit::Celsius, nn - 3),
        0x5C..=0x5F => d(Q::ReturnTemperature, Unit::Celsius, nn - 3),
        0x60..=0x63 => d(Q::TemperatureDifference, Unit::Kelvin, nn - 3),
        0x64..=0x67 => d(Q::ExternalTemperature, Unit::Celsius, nn - 3),
        0x68..=0x6B => d(Q::Pressure, Unit::Bar, nn - 3),
        0x6C => d(Q::Date, Unit::None, 0),
        0x6D => d(Q::DateTime, Unit::None, 0),
        0x6E => d(Q::HcaUnits, Unit::HcaUnits, 0),
        0x70..=0x73 => d(Q::AveragingDuration, duration_nn(v), 0),
        0x74..=0x77 => d(Q::ActualityDuration, duration_nn(v), 0),
        0x78 => d(Q::FabricationNumber, Unit::None, 0),
        0x79 => d(Q::EnhancedIdentification, Unit::None, 0),
        0x7A => d(Q::BusAddress, Unit::None, 0),
        0x7C => d(Q::PlainText, Unit::None, 0),
        0x7E => d(Q::AnyVif, Unit::None, 0),
        0x7F => d(Q::ManufacturerSpecific, Unit::None, 0),
        other => d(Q::Reserved(0, other), Unit::None, 0),
    }
}

/// First extension table, after VIF 0xFD (EN 13757-3 table 14; m-bus.com 8.4.4 a).
const fn table_fd(v: u8) -> Description {
    use Quantity as Q;
    let nn = (v & 0x03) as i8;
    let nnnn = (v & 0x0F) as i8;
    match v {
        0x00..=0x03 => d(Q::Credit, Unit::Currency, nn - 3),
        0x04..=0x07 => d(Q::Debit, Unit::Currency, nn - 3),
        0x08 => d(Q::AccessNumber, Unit::None, 0),
        0x09 => d(Q::Medium, Unit::None, 0),
        0x0A => d(Q::Manufacturer, Unit::None, 0),
        0x0B => d(Q::ParameterSetId, Unit::None, 0),
        0x0C => d(Q::ModelVersion, Unit::None, 0),
        0x0D => d(Q::HardwareVersion, Unit::None, 0),
        0x0E => d(Q::FirmwareVersion, Unit::None, 0),
        0x0F => d(Q::SoftwareVersion, Unit::None, 0),
        0x10 => d(Q::CustomerLocation, Unit::None, 0),
        0x11 => d(Q::Customer, Unit::None, 0),
        0x12 => d(Q::AccessCodeUser, Unit::None, 0),
        0x13 => d(Q::AccessCodeOperator, Unit::None, 0),
        0x14 => d(Q::AccessCodeSystemOperator, Unit::None, 0),
        0x15 => d(Q::AccessCodeDeveloper, Unit::None, 0),
        0x16 => d(Q::Password, Unit::None, 0),
        0x17 => d(Q::ErrorFlags, Unit::None, 0),
        0x18 => d(Q::ErrorMask, Unit::None, 0),
        0x1A => d(Q::DigitalOutput, Unit::None, 0),
        0x1B => d(Q::DigitalInput, Unit::None, 0),
        0x1C => d(Q::BaudRate, Unit::Baud, 0),
        0x1D => d(Q::ResponseDelay, Unit::BitTimes, 0),
        0x1E => d(Q::Retry, Unit::None, 0),
        0x20 => d(Q::FirstStorageNumber, Unit::None, 0),
        0x21 => d(Q::LastStorageNumber, Unit::None, 0),
        0x22 => d(Q::StorageBlockSize, Unit::None, 0),
        0x24..=0x27 => d(Q::StorageInterval, duration_nn(v), 0),
        0x28 => d(Q::StorageInterval, Unit::Month, 0),
        0x29 => d(Q::StorageInterval, Unit::Year, 0),
        0x2C..=0x2F => d(Q::DurationSinceLastReadout, duration_nn(v), 0),
        0x30 => d(Q::StartOfTariff, Unit::None, 0),
        0x31..=0x33 => d(Q::DurationOfTariff, duration_nn(v), 0),
        0x34..=0x37 => d(Q::PeriodOfTariff, duration_nn(v), 0),
        0x38 => d(Q::PeriodOfTariff, Unit::Month, 0),
        0x39 => d(Q::PeriodOfTariff, Unit::Year, 0),
        0x3A => d(Q::Dimensionless, Unit::None, 0),
        0x40..=0x4F => d(Q::Voltage, Unit::Volt, nnnn - 9),
        0x50..=0x5F => d(Q::Current, Unit::Ampere, nnnn - 12),
        0x60 => d(Q::ResetCounter, Unit::None, 0),
        0x61 => d(Q::CumulationCounter, Unit::None, 0),
        0x62 => d(Q::ControlSignal, Unit::None, 0),
        0x63 => d(Q::DayOfWeek, Unit::None, 0),
        0x64 => d(Q::WeekNumber, Unit::None, 0),
        0x65 => d(Q::TimePointOfDayChange, Unit::None, 0),
        0x66 => d(Q::ParameterActivationState, Unit::None, 0),
        0x67 => d(Q::SupplierInformation, Unit::None, 0),
        0x68..=0x6B => d(Q::DurationSinceLastCumulation, duration_pp(v), 0),
        0x6C..=0x6F => d(Q::BatteryOperatingTime, duration_pp(v), 0),
        0x70 => d(Q::BatteryChangeDateTime, Unit::None, 0),
        // OMS Vol. 2 adds "remaining battery lifetime (days)" here [std, unverified].
        0x74 => d(Q::RemainingBatteryLifetime, Unit::Day, 0),
        other => d(Q::Reserved(0xFD, other), Unit::None, 0),
    }
}

/// Second extension table, after VIF 0xFB (EN 13757-3 table 12; m-bus.com 8.4.4 b).
const fn table_fb(v: u8) -> Description {
    use Quantity as Q;
    let n = (v & 0x01) as i8;
    let nn = (v & 0x03) as i8;
    let nnn = (v & 0x07) as i8;
    match v {
        // 10^(n-1) MWh = 10^(n+5) Wh
        0x00 | 0x01 => d(Q::Energy, Unit::WattHour, n + 5),
        // 10^(n-1) GJ = 10^(n+8) J
        0x08 | 0x09 => d(Q::Energy, Unit::Joule, n + 8),
        0x10 | 0x11 => d(Q::Volume, Unit::CubicMetre, n + 2),
        // 10^(n+2) t = 10^(n+5) kg
        0x18 | 0x19 => d(Q::Mass, Unit::Kilogram, n + 5),
        0x21 => d(Q::Volume, Unit::CubicFoot, -1),
        0x22 | 0x23 => d(Q::Volume, Unit::UsGallon, n - 1),
        0x24 => d(Q::VolumeFlow, Unit::UsGallonPerMinute, -3),
        0x25 => d(Q::VolumeFlow, Unit::UsGallonPerMinute, 0),
        0x26 => d(Q::VolumeFlow, Unit::UsGallonPerHour, 0),
        // 10^(n-1) MW = 10^(n+5) W
        0x28 | 0x29 => d(Q::Power, Unit::Watt, n + 5),
        // 10^(n-1) GJ/h = 10^(n+8) J/h
        0x30 | 0x31 => d(Q::Power, Unit::JoulePerHour, n + 8),
        0x58..=0x5B => d(Q::FlowTemperature, Unit::Fahrenheit, nn - 3),
        0x5C..=0x5F => d(Q::ReturnTemperature, Unit::Fahrenheit, nn - 3),
        0x60..=0x63 => d(Q::TemperatureDifference, Unit::Fahrenheit, nn - 3),
        0x64..=0x67 => d(Q::ExternalTemperature, Unit::Fahrenheit, nn - 3),
        0x70..=0x73 => d(Q::ColdWarmTemperatureLimit, Unit::Fahrenheit, nn - 3),
        0x74..=0x77 => d(Q::ColdWarmTemperatureLimit, Unit::Celsius, nn - 3),
        0x78..=0x7F => d(Q::CumulativeMaxPower, Unit::Watt, nnn - 3),
        other => d(Q::Reserved(0xFB, other), Unit::None, 0),
    }
}

/// One of the three tables, evaluated at compile time for all 128 codes, so a lookup is an
/// index (the decoder's hot path).
const fn table(which: u8) -> [Description; 128] {
    let mut t = [d(Quantity::Energy, Unit::None, 0); 128];
    let mut i = 0;
    while i < 128 {
        let code = i as u8;
        #[allow(clippy::indexing_slicing)] // i < 128, checked at compile time
        {
            t[i] = match which {
                0 => primary(code),
                0xFD => table_fd(code),
                _ => table_fb(code),
            };
        }
        i += 1;
    }
    t
}

const PRIMARY: [Description; 128] = table(0);
const FD: [Description; 128] = table(0xFD);
const FB: [Description; 128] = table(0xFB);

fn lookup(t: &[Description; 128], code: u8) -> Description {
    t.get(usize::from(code & 0x7F)).copied().unwrap_or(d(
        Quantity::Reserved(0, code),
        Unit::None,
        0,
    ))
}

/// [`Vib::describe`] on the raw VIF and VIFE bytes.
pub(crate) fn describe(vif: u8, vifes: &[u8]) -> Description {
    let first = vifes.first().map(|v| v & 0x7F);
    let mut base = match (vif, first) {
        (0xFB, Some(v)) => lookup(&FB, v),
        (0xFD, Some(v)) => lookup(&FD, v),
        (0xFB | 0xFD | 0x7B | 0x7D, _) => d(Quantity::Reserved(0, vif & 0x7F), Unit::None, 0),
        (v, _) => lookup(&PRIMARY, v),
    };
    if vifes.is_empty() {
        return base;
    }
    base.exponent = base
        .exponent
        .saturating_add(exponent_adjustment(vif, vifes));
    base
}

/// [`Vib::is_time_point`] on the raw VIF and VIFE bytes.
pub(crate) fn is_time_point(vif: u8, vifes: &[u8]) -> bool {
    let first = vifes.first().map(|v| v & 0x7F);
    matches!(vif & 0x7F, 0x6C | 0x6D)
        || (vif == 0xFD && matches!(first, Some(0x30 | 0x70)))
        || (!vifes.is_empty() && combinable(vif, vifes).any(|c| c == Combinable::StartDateOf))
}

impl Vib<'_> {
    /// Quantity, unit and exponent of this VIB, combinable multipliers (0x70..0x77, 0x7D)
    /// included.
    pub fn describe(&self) -> Description {
        describe(self.vif(), self.vifes())
    }

    /// Whether the value is a time point: VIF 0x6C/0x6D, FD 0x30 (start of tariff),
    /// FD 0x70 (battery change) or a combinable "start date(-time) of" (0x39).
    pub fn is_time_point(&self) -> bool {
        is_time_point(self.vif(), self.vifes())
    }
}
