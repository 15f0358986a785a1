//! Data units: the walk over a frame's {DA DT data} groups, the catalogue of typed units and
//! their layouts.

mod ack;
mod command;
mod cursor;
mod data;
mod events;
mod forward;
mod list;
mod params;
mod readings;
mod walk;

pub use ack::{AckEntry, AckList};
pub use command::RemoteTrip;
pub(crate) use cursor::Writer;
pub use data::{Data, Layout};
pub use events::{
    Erc, EventRecord, Events, MeterClock, MeterFault, PointFlag, PowerOffOn, ReadingFailure,
    Records, StatusChange,
};
pub use forward::{ForwardReply, ForwardRequest};
pub use list::{Item, List, Values};
pub use params::{
    CommParams, ConfirmClasses, Endpoint, EventConfig, MasterAddress, MeterEntry, MeterProtocol,
};
pub use readings::{Curve, CurveLabel, Energies, ForwardActive, PowerSnapshot, curve_format};
pub use walk::{DataUnit, Units};

use crate::{Da, Dt, EmitError};

/// Writes one {DA DT} group followed by its data (one per (pn, Fn), points outermost) into
/// `out`; returns the bytes written. Concatenate groups to build a frame's data units.
pub fn emit_group(out: &mut [u8], da: Da, dt: Dt, data: &[Data<'_>]) -> Result<usize, EmitError> {
    let mut w = Writer::new(out);
    w.put(&[da.da1, da.da2, dt.dt1, dt.dt2])?;
    for d in data {
        let n = d.buffer_len();
        d.emit(w.slot(n)?)?;
    }
    Ok(w.pos())
}

/// The bytes [`emit_group`] writes.
pub fn group_len(data: &[Data<'_>]) -> usize {
    4 + data.iter().map(Data::buffer_len).sum::<usize>()
}
