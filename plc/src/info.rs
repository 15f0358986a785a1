//! The 6-byte information field R, with its different downlink and uplink layouts (notes §1.5).

use crate::EmitError;

/// R1, the same bit layout in both directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct R1 {
    /// D0 routing flag: `true` = no routing (bypass), `false` = the module routes.
    pub no_routing: bool,
    /// D1 attached-node flag: attached nodes present.
    pub attached_nodes: bool,
    /// D2 communication-module flag: the frame addresses a slave node and carries the address
    /// field; `false` = operation on the master node, no address field.
    pub slave_node: bool,
    /// D3 conflict detection on.
    pub conflict_detection: bool,
    /// D4–D7 relay level 0–15. On the way down this many relay addresses follow A1.
    pub relay_level: u8,
}

impl R1 {
    /// Decodes the byte.
    pub fn from_byte(b: u8) -> Self {
        Self {
            no_routing: b & 0x01 != 0,
            attached_nodes: b & 0x02 != 0,
            slave_node: b & 0x04 != 0,
            conflict_detection: b & 0x08 != 0,
            relay_level: b >> 4,
        }
    }

    /// Encodes the byte; the relay level must be below 16.
    pub fn to_byte(self) -> Result<u8, EmitError> {
        if self.relay_level > 15 {
            return Err(EmitError::Value);
        }
        Ok(u8::from(self.no_routing)
            | u8::from(self.attached_nodes) << 1
            | u8::from(self.slave_node) << 2
            | u8::from(self.conflict_detection) << 3
            | self.relay_level << 4)
    }
}

/// Unit of the communication rate (R5 bit D7 on the way down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RateUnit {
    /// bit/s.
    #[default]
    Bps,
    /// kbit/s.
    Kbps,
}

/// The downlink information field (concentrator to module).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct InfoDown {
    /// R1.
    pub r1: R1,
    /// R2 D0–D3: channel id (0 = no channel distinction).
    pub channel: u8,
    /// R2 D4–D7: error-correction code (0 none, 1 RS).
    pub ecc: u8,
    /// R3: expected number of reply bytes.
    pub expected_reply_len: u8,
    /// R4–R5 D0–D14: communication rate, 0 = default.
    pub rate: u16,
    /// R5 D7 (bit 15 of R4–R5): the rate's unit.
    pub rate_unit: RateUnit,
    /// R6: message sequence number, echoed in the reply.
    pub seq: u8,
}

/// The uplink information field (module to concentrator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct InfoUp {
    /// R1 (relay level = the level actually used).
    pub r1: R1,
    /// R2 D0–D3: channel id.
    pub channel: u8,
    /// R2 D4–D7: reserved on the way up; kept so that emit reproduces the wire.
    pub r2_reserved: u8,
    /// R3 D0–D3: measured phase (0 unknown, 1–3).
    pub phase: u8,
    /// R3 D4–D7: meter channel characteristic.
    pub channel_characteristic: u8,
    /// R4 D0–D3: last-hop command signal quality (0 none, 1 lowest … 15).
    pub command_quality: u8,
    /// R4 D4–D7: last-hop reply signal quality.
    pub reply_quality: u8,
    /// R5 D0: the module has events to report.
    pub event_pending: bool,
    /// R5 D1–D7: reserved; kept so that emit reproduces the wire.
    pub r5_reserved: u8,
    /// R6: sequence number of the request this answers (or the module's own).
    pub seq: u8,
}

/// The information field R, laid out by direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Info {
    /// Concentrator to module.
    Down(InfoDown),
    /// Module to concentrator.
    Up(InfoUp),
}

fn nib(v: u8) -> Result<u8, EmitError> {
    if v > 15 { Err(EmitError::Value) } else { Ok(v) }
}

impl Info {
    /// Decodes the six bytes of R in the given direction.
    pub fn parse(r: [u8; 6], up: bool) -> Self {
        let [b1, b2, b3, b4, b5, b6] = r;
        if up {
            Self::Up(InfoUp {
                r1: R1::from_byte(b1),
                channel: b2 & 0x0F,
                r2_reserved: b2 >> 4,
                phase: b3 & 0x0F,
                channel_characteristic: b3 >> 4,
                command_quality: b4 & 0x0F,
                reply_quality: b4 >> 4,
                event_pending: b5 & 1 != 0,
                r5_reserved: b5 >> 1,
                seq: b6,
            })
        } else {
            let rate = u16::from_le_bytes([b4, b5]);
            Self::Down(InfoDown {
                r1: R1::from_byte(b1),
                channel: b2 & 0x0F,
                ecc: b2 >> 4,
                expected_reply_len: b3,
                rate: rate & 0x7FFF,
                rate_unit: if rate & 0x8000 != 0 {
                    RateUnit::Kbps
                } else {
                    RateUnit::Bps
                },
                seq: b6,
            })
        }
    }

    /// Encodes the six bytes; fails when a field exceeds its bit width.
    pub fn to_bytes(&self) -> Result<[u8; 6], EmitError> {
        match self {
            Self::Down(d) => {
                if d.rate > 0x7FFF {
                    return Err(EmitError::Value);
                }
                let rate = d.rate
                    | match d.rate_unit {
                        RateUnit::Bps => 0,
                        RateUnit::Kbps => 0x8000,
                    };
                let [lo, hi] = rate.to_le_bytes();
                Ok([
                    d.r1.to_byte()?,
                    nib(d.channel)? | nib(d.ecc)? << 4,
                    d.expected_reply_len,
                    lo,
                    hi,
                    d.seq,
                ])
            }
            Self::Up(u) => {
                if u.r5_reserved > 0x7F {
                    return Err(EmitError::Value);
                }
                Ok([
                    u.r1.to_byte()?,
                    nib(u.channel)? | nib(u.r2_reserved)? << 4,
                    nib(u.phase)? | nib(u.channel_characteristic)? << 4,
                    nib(u.command_quality)? | nib(u.reply_quality)? << 4,
                    u8::from(u.event_pending) | u.r5_reserved << 1,
                    u.seq,
                ])
            }
        }
    }

    /// R1, whichever the direction.
    pub fn r1(&self) -> R1 {
        match self {
            Self::Down(d) => d.r1,
            Self::Up(u) => u.r1,
        }
    }

    /// The sequence number R6.
    pub fn seq(&self) -> u8 {
        match self {
            Self::Down(d) => d.seq,
            Self::Up(u) => u.seq,
        }
    }
}
