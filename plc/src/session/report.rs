//! Frames the module sends on its own (PRM = 1): power-up report, router-led questions,
//! meter data, route status, registrations, events.

use super::*;

impl<const N: usize> Session<N> {
    pub(super) fn on_report(&mut self, repr: &FrameRepr<'_>) {
        let seq = repr.info.seq();
        let node = repr.node();
        match &repr.unit {
            DataUnit::RunMode(m) => {
                // The power-up report (NUC confirms it with AFN 00 F1).
                self.confirm(seq);
                self.learn_run_mode(m);
                match self.phase {
                    Phase::AwaitReport { .. }
                    | Phase::Reset
                    | Phase::RunMode
                    | Phase::Backoff { .. } => {
                        if matches!(
                            self.pending.as_ref().map(|p| p.purpose),
                            Some(Purpose::RunMode | Purpose::HardwareInit)
                        ) {
                            self.pending = None;
                        }
                        if self.pending.is_none() {
                            self.phase = Phase::Master;
                        }
                    }
                    _ => {
                        self.event(Event::ModuleRestarted);
                        self.restart_init();
                        self.phase = Phase::Master;
                    }
                }
            }
            DataUnit::ReadRequest(q) => {
                self.asked = Some((seq, Asked::Read { meter: q.address }));
                self.event(Event::RouterAsks {
                    meter: q.address,
                    index: q.index,
                    phase: q.phase,
                });
            }
            DataUnit::Empty if repr.afn == Afn::RouteRead && repr.fn_number() == Some(2) => {
                self.asked = Some((seq, Asked::Clock));
                self.event(Event::ClockRequested);
            }
            DataUnit::DelayRequest(d) => {
                self.asked = Some((seq, Asked::Delay { meter: d.address }));
                self.event(Event::DelayCorrection {
                    meter: d.address,
                    delay_s: d.delay_s,
                    frame: FrameBuf::from_slice(d.frame).unwrap_or_default(),
                });
            }
            DataUnit::MeterData(m) => {
                self.confirm(seq);
                self.event(Event::MeterData {
                    meter: node,
                    index: m.index,
                    protocol: m.protocol,
                    frame: FrameBuf::from_slice(m.frame).unwrap_or_default(),
                });
            }
            DataUnit::RouteStatus(s) => {
                self.confirm(seq);
                self.event(Event::RouteStatus(*s));
            }
            DataUnit::Registered(r) => {
                self.confirm(seq);
                for n in r.iter() {
                    self.event(Event::NodeRegistered {
                        address: n.address,
                        protocol: n.protocol,
                        device_type: n.device_type,
                    });
                }
            }
            DataUnit::NodeReports(list) => {
                self.confirm(seq);
                for n in list.iter() {
                    self.event(Event::NodeRegistered {
                        address: n.address,
                        protocol: n.protocol,
                        device_type: 0,
                    });
                }
            }
            DataUnit::SlaveEvent(e) => {
                self.confirm(seq);
                self.event(Event::SlaveEvent {
                    meter: node,
                    protocol: e.protocol,
                    frame: FrameBuf::from_slice(e.frame).unwrap_or_default(),
                });
            }
            _ => {}
        }
    }
}
