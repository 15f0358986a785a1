//! Typed data units for the AFN/Fn a concentrator uses; every other AFN/Fn keeps its raw bytes.

pub(crate) mod codec;
pub mod confirm;
pub mod file;
pub mod list;
pub mod protocol;
pub mod query;
pub mod read;
pub mod report;
pub mod route;
pub mod time;

use codec::{Reader, Writer};
use confirm::{Confirm, DenyReason};
use file::FileSegment;
use list::Entries;
use protocol::{Protocol, ProtocolFrame};
use query::{BroadcastDelay, RunMode, VendorInfo};
use read::{
    ConcurrentRead, DelayRequest, MeterData, MonitorReply, MonitorRequest, ReadAnswer, ReadRequest,
};
use report::{NodeReport, Registered, RouteStatus, SlaveEvent};
use route::{AddNode, NodeCount, NodePage, NodeQuery, RegistrationWindow, RouteRunStatus};
use time::DateTime;

use crate::{Address, Afn, Direction, Dt, Edition, EmitError, Error};

/// A data unit, typed by AFN, Fn and direction.
///
/// Commands without data (AFN 01 F1–F3, AFN 12 F1–F3, queries such as AFN 03 F10 down) are
/// [`Empty`](DataUnit::Empty); any AFN/Fn without a typed layout, or a DT naming several Fn,
/// is [`Raw`](DataUnit::Raw).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataUnit<'a> {
    /// A typed command or query that carries no data.
    Empty,
    /// AFN 00 F1 confirm (both directions).
    Confirm(Confirm),
    /// AFN 00 F2 deny (both directions).
    Deny(DenyReason),
    /// AFN 02 F1 forward (both directions).
    Forward(ProtocolFrame<'a>),
    /// AFN 03 F1 up: vendor and version.
    Vendor(VendorInfo),
    /// AFN 03 F4 up: master-node address.
    MasterAddress(Address),
    /// AFN 03 F9 down: broadcast delay query for a frame (the HPLC tool sends none).
    BroadcastDelayQuery(Option<ProtocolFrame<'a>>),
    /// AFN 03 F9 up: broadcast delay.
    BroadcastDelay(BroadcastDelay<'a>),
    /// AFN 03 F10 up: run mode.
    RunMode(RunMode),
    /// AFN 04 F1 down: send test for this many seconds.
    SendTest(u8),
    /// AFN 04 F3 down: communication test to an address.
    CommTest {
        /// Rate code.
        rate: u8,
        /// Destination address.
        destination: Address,
        /// The test frame.
        frame: ProtocolFrame<'a>,
    },
    /// AFN 05 F1 down: set the master-node address.
    SetMasterAddress(Address),
    /// AFN 05 F2 down: allow (`true`) or forbid slave event reporting.
    EventReporting(bool),
    /// AFN 05 F3 down: start a broadcast (control byte = protocol type, then the frame).
    Broadcast(ProtocolFrame<'a>),
    /// AFN 05 F4 down: slave monitor maximum timeout in seconds.
    MonitorTimeout(u8),
    /// AFN 06 F1 up: slave-node information.
    NodeReports(Entries<'a, NodeReport>),
    /// AFN 06 F2 up: meter data.
    MeterData(MeterData<'a>),
    /// AFN 06 F3 up: route work-status change.
    RouteStatus(RouteStatus),
    /// AFN 06 F4 up: registration results.
    Registered(Registered<'a>),
    /// AFN 06 F5 up: slave event.
    SlaveEvent(SlaveEvent<'a>),
    /// AFN 10 F2/F5/F6 down: node page query.
    NodeQuery(NodeQuery),
    /// AFN 10 F1 up: node count.
    NodeCount(NodeCount),
    /// AFN 10 F2/F5/F6 up: a page of nodes.
    NodePage(NodePage<'a>),
    /// AFN 10 F4 up: route run status.
    RouteRunStatus(RouteRunStatus),
    /// AFN 11 F1 down: add slave nodes.
    AddNodes(Entries<'a, AddNode>),
    /// AFN 11 F2 down: delete slave nodes.
    DeleteNodes(Entries<'a, Address>),
    /// AFN 11 F5 down: activate slave registration.
    Registration(RegistrationWindow),
    /// AFN 13 F1 down: monitor a slave node.
    MonitorRequest(MonitorRequest<'a>),
    /// AFN 13 F1 up: the meter's reply.
    MonitorReply(MonitorReply<'a>),
    /// AFN 14 F1 up: the router asks what to read.
    ReadRequest(ReadRequest),
    /// AFN 14 F1 down: the answer.
    ReadAnswer(ReadAnswer<'a>),
    /// AFN 14 F2 down: the concentrator clock.
    Clock(DateTime),
    /// AFN 14 F3 up: delay-corrected data wanted.
    DelayRequest(DelayRequest<'a>),
    /// AFN 14 F3 down: the corrected frame (1-byte length + frame).
    DelayCorrected(&'a [u8]),
    /// AFN 15 F1 down: file segment.
    FileSegment(FileSegment<'a>),
    /// AFN 15 F1 up: the segment index received.
    FileAck(u32),
    /// AFN F1 F1 (both directions): concurrent read.
    Concurrent(ConcurrentRead<'a>),
    /// Any other AFN/Fn, kept whole.
    Raw(&'a [u8]),
}

/// The typed layout an AFN/Fn/direction has, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Empty,
    Confirm,
    Deny,
    Forward,
    Vendor,
    MasterAddress,
    DelayQuery,
    Delay,
    RunMode,
    SendTest,
    CommTest,
    SetMaster,
    EventReporting,
    Broadcast,
    MonitorTimeout,
    NodeReports,
    MeterData,
    RouteStatus,
    Registered,
    SlaveEvent,
    NodeQuery,
    NodeCount,
    NodePage,
    RunStatus,
    AddNodes,
    DeleteNodes,
    Registration,
    MonitorRequest,
    MonitorReply,
    ReadRequest,
    ReadAnswer,
    Clock,
    DelayRequest,
    DelayCorrected,
    FileSegment,
    FileAck,
    Concurrent,
}

fn kind(afn: Afn, f: u16, dir: Direction) -> Option<Kind> {
    use Direction::{Down, Up};
    use Kind as K;
    Some(match (afn, f, dir) {
        (Afn::Confirm, 1, _) => K::Confirm,
        (Afn::Confirm, 2, _) => K::Deny,
        (Afn::Init, 1..=3, Down) => K::Empty,
        (Afn::Forward, 1, _) => K::Forward,
        (Afn::Query, 1 | 4 | 10, Down) => K::Empty,
        (Afn::Query, 9, Down) => K::DelayQuery,
        (Afn::Query, 1, Up) => K::Vendor,
        (Afn::Query, 4, Up) => K::MasterAddress,
        (Afn::Query, 9, Up) => K::Delay,
        (Afn::Query, 10, Up) => K::RunMode,
        (Afn::LinkTest, 1, Down) => K::SendTest,
        (Afn::LinkTest, 2, Down) => K::Empty,
        (Afn::LinkTest, 3, Down) => K::CommTest,
        (Afn::Control, 1, Down) => K::SetMaster,
        (Afn::Control, 2, Down) => K::EventReporting,
        (Afn::Control, 3, Down) => K::Broadcast,
        (Afn::Control, 4, Down) => K::MonitorTimeout,
        (Afn::Report, 1, Up) => K::NodeReports,
        (Afn::Report, 2, Up) => K::MeterData,
        (Afn::Report, 3, Up) => K::RouteStatus,
        (Afn::Report, 4, Up) => K::Registered,
        (Afn::Report, 5, Up) => K::SlaveEvent,
        (Afn::RouteQuery, 1 | 4, Down) => K::Empty,
        (Afn::RouteQuery, 2 | 5 | 6, Down) => K::NodeQuery,
        (Afn::RouteQuery, 1, Up) => K::NodeCount,
        (Afn::RouteQuery, 2 | 5 | 6, Up) => K::NodePage,
        (Afn::RouteQuery, 4, Up) => K::RunStatus,
        (Afn::RouteSet, 1, Down) => K::AddNodes,
        (Afn::RouteSet, 2, Down) => K::DeleteNodes,
        (Afn::RouteSet, 5, Down) => K::Registration,
        (Afn::RouteSet, 6, Down) => K::Empty,
        (Afn::RouteControl, 1..=3, Down) => K::Empty,
        (Afn::RouteForward, 1, Down) => K::MonitorRequest,
        (Afn::RouteForward, 1, Up) => K::MonitorReply,
        (Afn::RouteRead, 1, Up) => K::ReadRequest,
        (Afn::RouteRead, 1, Down) => K::ReadAnswer,
        (Afn::RouteRead, 2, Up) => K::Empty,
        (Afn::RouteRead, 2, Down) => K::Clock,
        (Afn::RouteRead, 3, Up) => K::DelayRequest,
        (Afn::RouteRead, 3, Down) => K::DelayCorrected,
        (Afn::FileTransfer, 1, Down) => K::FileSegment,
        (Afn::FileTransfer, 1, Up) => K::FileAck,
        (Afn::Concurrent, 1, _) => K::Concurrent,
        _ => return None,
    })
}

/// Whether an AFN/Fn in a direction has a typed data unit in this crate.
pub fn is_typed(afn: Afn, fn_number: u16, direction: Direction) -> bool {
    kind(afn, fn_number, direction).is_some()
}

impl<'a> DataUnit<'a> {
    /// Decodes `data`, the data unit of a frame with this AFN, DT and direction.
    ///
    /// `offset` is where `data` starts in the frame, so errors carry frame offsets.
    pub fn parse(
        afn: Afn,
        dt: Dt,
        direction: Direction,
        edition: Edition,
        data: &'a [u8],
        offset: usize,
    ) -> Result<Self, Error> {
        let Some(f) = dt.fn_number() else {
            return Ok(Self::Raw(data));
        };
        let Some(k) = kind(afn, f, direction) else {
            return Ok(Self::Raw(data));
        };
        let mut r = Reader::new(data, offset, afn.to_byte(), f);
        let r = &mut r;
        let ed = edition;
        let unit = match k {
            Kind::Empty => Self::Empty,
            Kind::Confirm => Self::Confirm(Confirm::read(r, ed)?),
            Kind::Deny => Self::Deny(DenyReason::read(r, ed)?),
            Kind::Forward => Self::Forward(ProtocolFrame::read(r)?),
            Kind::Vendor => Self::Vendor(VendorInfo::read(r)?),
            Kind::MasterAddress => Self::MasterAddress(r.address()?),
            Kind::DelayQuery => Self::BroadcastDelayQuery(if r.remaining() == 0 {
                None
            } else {
                Some(ProtocolFrame::read(r)?)
            }),
            Kind::Delay => Self::BroadcastDelay(BroadcastDelay::read(r)?),
            Kind::RunMode => Self::RunMode(RunMode::read(r)?),
            Kind::SendTest => Self::SendTest(r.u8()?),
            Kind::CommTest => Self::CommTest {
                rate: r.u8()?,
                destination: r.address()?,
                frame: ProtocolFrame::read(r)?,
            },
            Kind::SetMaster => Self::SetMasterAddress(r.address()?),
            Kind::EventReporting => Self::EventReporting(r.flag()?),
            Kind::Broadcast => Self::Broadcast(ProtocolFrame::read(r)?),
            Kind::MonitorTimeout => Self::MonitorTimeout(r.u8()?),
            Kind::NodeReports => Self::NodeReports(route::counted(r, ed)?),
            Kind::MeterData => Self::MeterData(MeterData::read(r)?),
            Kind::RouteStatus => Self::RouteStatus(RouteStatus::from_byte(r.u8()?)),
            Kind::Registered => Self::Registered(Registered::read(r)?),
            Kind::SlaveEvent => Self::SlaveEvent(SlaveEvent::read(r)?),
            Kind::NodeQuery => Self::NodeQuery(NodeQuery::read(r)?),
            Kind::NodeCount => Self::NodeCount(NodeCount {
                count: r.u16()?,
                max: r.u16()?,
            }),
            Kind::NodePage => Self::NodePage(NodePage::read(r, ed)?),
            Kind::RunStatus => Self::RouteRunStatus(RouteRunStatus::read(r)?),
            Kind::AddNodes => Self::AddNodes(route::counted(r, ed)?),
            Kind::DeleteNodes => Self::DeleteNodes(route::counted(r, ed)?),
            Kind::Registration => Self::Registration(RegistrationWindow::read(r)?),
            Kind::MonitorRequest => Self::MonitorRequest(MonitorRequest::read(r, ed)?),
            Kind::MonitorReply => Self::MonitorReply(MonitorReply::read(r)?),
            Kind::ReadRequest => Self::ReadRequest(ReadRequest::read(r)?),
            Kind::ReadAnswer => Self::ReadAnswer(ReadAnswer::read(r, ed)?),
            Kind::Clock => Self::Clock(DateTime::read(r)?),
            Kind::DelayRequest => Self::DelayRequest(DelayRequest::read(r)?),
            Kind::DelayCorrected => {
                let n = r.u8()?;
                Self::DelayCorrected(r.take(usize::from(n))?)
            }
            Kind::FileSegment => Self::FileSegment(FileSegment::read(r)?),
            Kind::FileAck => Self::FileAck(r.u32()?),
            Kind::Concurrent => Self::Concurrent(ConcurrentRead::read(r)?),
        };
        r.finish()?;
        Ok(unit)
    }

    /// Bytes the data unit takes on the wire in `edition`.
    pub fn buffer_len(&self, edition: Edition) -> usize {
        match self {
            Self::Empty => 0,
            Self::Confirm(_) => Confirm::len(edition),
            Self::Deny(_) => 1,
            Self::Forward(f) | Self::Broadcast(f) => f.len(),
            Self::Vendor(_) => VendorInfo::LEN,
            Self::MasterAddress(_) | Self::SetMasterAddress(_) => 6,
            Self::BroadcastDelayQuery(f) => f.map_or(0, |f| f.len()),
            Self::BroadcastDelay(d) => d.len(),
            Self::RunMode(m) => m.len(),
            Self::SendTest(_) | Self::EventReporting(_) | Self::MonitorTimeout(_) => 1,
            Self::RouteStatus(_) => 1,
            Self::CommTest { frame, .. } => 7 + frame.len(),
            Self::NodeReports(e) => 1 + e.as_bytes().len(),
            Self::MeterData(m) => m.len(),
            Self::Registered(r) => r.len_bytes(),
            Self::SlaveEvent(e) => e.len(),
            Self::NodeQuery(_) => 3,
            Self::NodeCount(_) => 4,
            Self::NodePage(p) => p.len(),
            Self::RouteRunStatus(_) => RouteRunStatus::LEN,
            Self::AddNodes(e) => 1 + e.as_bytes().len(),
            Self::DeleteNodes(e) => 1 + e.as_bytes().len(),
            Self::Registration(_) => RegistrationWindow::LEN,
            Self::MonitorRequest(m) => m.len(edition),
            Self::MonitorReply(m) => m.len(),
            Self::ReadRequest(_) => ReadRequest::LEN,
            Self::ReadAnswer(a) => a.len(edition),
            Self::Clock(_) => 6,
            Self::DelayRequest(d) => d.len(),
            Self::DelayCorrected(f) => 1 + f.len(),
            Self::FileSegment(s) => s.len(),
            Self::FileAck(_) => 4,
            Self::Concurrent(c) => c.len(),
            Self::Raw(d) => d.len(),
        }
    }

    /// Writes the data unit into `buf` in `edition`; returns the bytes written.
    pub fn emit(&self, buf: &mut [u8], edition: Edition) -> Result<usize, EmitError> {
        let mut w = Writer::new(buf);
        let w = &mut w;
        match self {
            Self::Empty => {}
            Self::Confirm(c) => c.write(w, edition)?,
            Self::Deny(d) => w.u8(d.code(edition)?)?,
            Self::Forward(f) | Self::Broadcast(f) => f.write(w)?,
            Self::Vendor(v) => v.write(w)?,
            Self::MasterAddress(a) | Self::SetMasterAddress(a) => w.put(&a.0)?,
            Self::BroadcastDelayQuery(f) => {
                if let Some(f) = f {
                    f.write(w)?;
                }
            }
            Self::BroadcastDelay(d) => d.write(w)?,
            Self::RunMode(m) => m.write(w)?,
            Self::SendTest(v) | Self::MonitorTimeout(v) => w.u8(*v)?,
            Self::EventReporting(b) => w.u8(u8::from(*b))?,
            Self::RouteStatus(s) => w.u8(s.to_byte())?,
            Self::CommTest {
                rate,
                destination,
                frame,
            } => {
                w.u8(*rate)?;
                w.put(&destination.0)?;
                frame.write(w)?;
            }
            Self::NodeReports(e) => route::write_counted(e, w)?,
            Self::MeterData(m) => m.write(w)?,
            Self::Registered(r) => r.write(w)?,
            Self::SlaveEvent(e) => e.write(w)?,
            Self::NodeQuery(q) => q.write(w)?,
            Self::NodeCount(c) => {
                w.u16(c.count)?;
                w.u16(c.max)?;
            }
            Self::NodePage(p) => p.write(w)?,
            Self::RouteRunStatus(s) => s.write(w)?,
            Self::AddNodes(e) => {
                check_edition(
                    e.iter()
                        .all(|n| n.index.is_some() == (edition == Edition::V2009)),
                )?;
                if e.as_bytes().len() != e.len() * <AddNode as list::Entry>::size(edition) {
                    return Err(EmitError::Edition);
                }
                route::write_counted(e, w)?;
            }
            Self::DeleteNodes(e) => route::write_counted(e, w)?,
            Self::Registration(g) => g.write(w)?,
            Self::MonitorRequest(m) => m.write(w, edition)?,
            Self::MonitorReply(m) => m.write(w)?,
            Self::ReadRequest(q) => q.write(w)?,
            Self::ReadAnswer(a) => a.write(w, edition)?,
            Self::Clock(t) => t.write(w)?,
            Self::DelayRequest(d) => d.write(w)?,
            Self::DelayCorrected(f) => w.short_bytes(f)?,
            Self::FileSegment(s) => s.write(w)?,
            Self::FileAck(i) => w.u32(*i)?,
            Self::Concurrent(c) => c.write(w)?,
            Self::Raw(d) => w.put(d)?,
        }
        Ok(w.pos())
    }

    /// The carried frame and its protocol, for the data units that carry one (AFN 02 F1,
    /// 05 F3, 06 F2, 06 F5, 13 F1, 14 F1, F1 F1, ...). `None` for a protocol unknown from the
    /// unit alone (AFN 14 F1 down and 14 F3 carry no protocol byte: `Transparent` is not
    /// assumed, the caller knows the meter).
    pub fn carried_frame(&self) -> Option<(Option<Protocol>, &'a [u8])> {
        match *self {
            Self::Forward(f) | Self::Broadcast(f) => Some((Some(f.protocol), f.frame)),
            Self::CommTest { frame, .. } => Some((Some(frame.protocol), frame.frame)),
            Self::BroadcastDelayQuery(Some(f)) => Some((Some(f.protocol), f.frame)),
            Self::BroadcastDelay(BroadcastDelay { frame: Some(f), .. }) => {
                Some((Some(f.protocol), f.frame))
            }
            Self::MeterData(m) => Some((Some(m.protocol), m.frame)),
            Self::SlaveEvent(e) => Some((Some(e.protocol), e.frame)),
            Self::MonitorRequest(m) => Some((Some(m.protocol), m.frame)),
            Self::MonitorReply(m) => Some((Some(m.protocol), m.frame)),
            Self::ReadAnswer(a) => Some((None, a.frame)),
            Self::DelayRequest(d) => Some((None, d.frame)),
            Self::DelayCorrected(f) => Some((None, f)),
            Self::Concurrent(c) => Some((Some(c.protocol), c.frame)),
            _ => None,
        }
    }
}

fn check_edition(ok: bool) -> Result<(), EmitError> {
    if ok { Ok(()) } else { Err(EmitError::Edition) }
}
