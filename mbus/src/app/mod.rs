//! The application layer (EN 13757-3): CI field, fixed and variable data structures, headers,
//! data records (DIF/DIFE/VIF/VIFE) and their exact values.
//!
//! Start with [`UserData::parse`] on the CI byte and the user data of a long frame; walk the
//! records of a [`VariableData`] with [`VariableData::records`], a zero-allocation iterator.
//! [`libmbus`] writes libmbus's normalized XML through any `core::fmt::Write`.

pub mod dib;
pub mod emit;
pub mod error;
pub mod fixed;
pub mod header;
pub mod libmbus;
pub mod record;
pub mod unit;
pub mod user_data;
pub mod value;
pub mod vib;

pub use dib::{DataCoding, Dib, Function, Special};
pub use emit::RecordRepr;
pub use error::{AppError, EmitError, RecordError};
pub use fixed::{Counter, FixedData, FixedUnit};
pub use header::{
    ApplicationStatus, ByteOrder, IdNumber, LongHeader, Manufacturer, Medium, ShortHeader, Status,
};
pub use record::{ParseOptions, Record, RecordKind, Records};
pub use unit::{Description, Quantity, Unit};
pub use user_data::{ApplicationError, Header, UserData, VariableData};
pub use value::{DateTime, Number, TimeType, Value};
pub use vib::{Combinable, PlainTextMode, PlainTextPlacement, Vib};
