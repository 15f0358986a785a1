//! What a session reports to its owner.

use crate::Address;
use crate::unit::confirm::DenyReason;
use crate::unit::protocol::Protocol;
use crate::unit::query::{DelaySupport, Medium};
use crate::unit::report::RouteStatus;

use super::Duration;

/// A carried frame (DL/T 645 request or reply), copied out of the module's frame.
pub type FrameBuf = heapless::Vec<u8, 255>;

/// Identifies a concentrator-led read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReadId(pub u32);

/// Why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Failure {
    /// The module answered AFN 00 F2 with this reason.
    Denied(DenyReason),
    /// No answer within the timeout, retries included.
    Timeout,
    /// The module answered, but the meter did not (AFN 13 F1 up with an empty frame).
    NoMeterAnswer,
    /// The module answered with a frame that is not a reply to the request.
    Unexpected,
}

/// What the session learnt from the module's run mode (AFN 03 F10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleInfo {
    /// Medium.
    pub medium: Medium,
    /// Concentrator-led reading supported.
    pub concentrator_led: bool,
    /// Router-led reading supported.
    pub router_led: bool,
    /// Which transactions the module corrects for transmission delay (AFN 03 F10 byte 1
    /// D0–D2): with `BROADCAST`, ask AFN 03 F9 before a time broadcast and shift the time by
    /// the answer.
    pub delay_support: DelaySupport,
    /// Timeout the session uses for AFN 13 F1 (module value, or the fallback).
    pub monitor_timeout: Duration,
    /// Timeout the session uses for AFN 05 F3.
    pub broadcast_timeout: Duration,
    /// The most bytes per frame the module accepts.
    pub max_frame_len: u16,
    /// The most slave nodes the module holds.
    pub max_nodes: u16,
}

/// The start-up step that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Waiting for or asking for the run mode.
    RunMode,
    /// Reading or setting the master-node address.
    MasterAddress,
    /// Reading the module's node archive.
    ReadArchive,
    /// Deleting or adding nodes.
    WriteArchive,
    /// Starting routing.
    StartRouting,
}

/// An event, drained with [`Session::poll_event`](super::Session::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Start-up finished: the archive is synchronised and routing started.
    Ready(ModuleInfo),
    /// A start-up step failed; start-up begins again after the local timeout.
    InitFailed {
        /// The step.
        step: Step,
        /// Why.
        failure: Failure,
    },
    /// The concentrator's archive holds more nodes than the module's maximum (AFN 10 F1; NUC
    /// raises its "too many nodes" flag). The synchronisation goes on; the module denies the
    /// nodes it cannot take.
    ArchiveTooLarge {
        /// The module's maximum.
        max: u16,
    },
    /// The archive synchronisation changed the module's node list.
    ArchiveSynced {
        /// Nodes deleted from the module.
        deleted: u16,
        /// Nodes added to the module.
        added: u16,
    },
    /// The module stayed silent past the supervision time and did not answer a probe: start-up
    /// begins again.
    ModuleLost,
    /// The module sent a power-up report while running: start-up begins again.
    ModuleRestarted,
    /// A concentrator-led read returned the meter's reply.
    ReadDone {
        /// The read.
        id: ReadId,
        /// Meter address.
        meter: Address,
        /// Protocol of the reply.
        protocol: Protocol,
        /// The meter's reply frame.
        frame: FrameBuf,
    },
    /// A concentrator-led read failed.
    ReadFailed {
        /// The read.
        id: ReadId,
        /// Meter address.
        meter: Address,
        /// Why.
        failure: Failure,
    },
    /// Router-led reading: the module asks what to read at this meter; answer with
    /// [`Session::answer_read`](super::Session::answer_read).
    RouterAsks {
        /// Meter address.
        meter: Address,
        /// Node index in the module.
        index: u16,
        /// Phase.
        phase: u8,
    },
    /// Router-led reading: the module asks for the concentrator's clock; answer with
    /// [`Session::answer_clock`](super::Session::answer_clock).
    ClockRequested,
    /// The module asks for a delay-corrected frame; answer with
    /// [`Session::answer_delay`](super::Session::answer_delay).
    DelayCorrection {
        /// Meter address.
        meter: Address,
        /// Expected transmission delay in seconds.
        delay_s: u16,
        /// The frame to correct.
        frame: FrameBuf,
    },
    /// Router-led reading: a meter's reply (AFN 06 F2), already confirmed to the module.
    MeterData {
        /// Meter address, when the report carries the address field.
        meter: Option<Address>,
        /// Node index.
        index: u16,
        /// Protocol of the reply.
        protocol: Protocol,
        /// The meter's reply frame.
        frame: FrameBuf,
    },
    /// The module reported a route status change (AFN 06 F3): a reading round or a search
    /// finished.
    RouteStatus(RouteStatus),
    /// A node registered itself (AFN 06 F4).
    NodeRegistered {
        /// Address.
        address: Address,
        /// Protocol.
        protocol: Protocol,
        /// Device type.
        device_type: u8,
    },
    /// A slave node reported an event (AFN 06 F5).
    SlaveEvent {
        /// Meter address, when the report carries the address field.
        meter: Option<Address>,
        /// Protocol of the event frame.
        protocol: Protocol,
        /// The event frame.
        frame: FrameBuf,
    },
    /// The broadcast delay for the queried frame (AFN 03 F9): shift the time in the frame by
    /// it, then [`broadcast`](super::Session::broadcast).
    BroadcastDelay {
        /// Delay in seconds.
        delay_s: u16,
    },
    /// A command was confirmed by the module.
    Done(Op),
    /// A command failed.
    Failed {
        /// The command.
        op: Op,
        /// Why.
        failure: Failure,
    },
}

/// A command other than a read, named in [`Event::Done`] and [`Event::Failed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// AFN 03 F9 broadcast delay query.
    BroadcastDelay,
    /// AFN 05 F3 broadcast; `wait_s` from the confirm (0 when the command failed).
    Broadcast {
        /// Wait time from the module's confirm, in seconds.
        wait_s: u16,
    },
    /// AFN 11 F5 registration start.
    StartRegistration,
    /// AFN 11 F6 registration stop.
    StopRegistration,
    /// AFN 12 F1 restart routing.
    RestartRouting,
    /// AFN 12 F2 pause routing.
    PauseRouting,
    /// AFN 12 F3 resume routing.
    ResumeRouting,
}
