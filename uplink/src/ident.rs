//! Application function code AFN and the data unit identifiers DA (pn sets) and DT (Fn sets)
//! (notes §2.4, §2.5).

/// The application function code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Afn {
    /// 00: confirm / deny.
    Confirm,
    /// 01: reset (carries PW).
    Reset,
    /// 02: link-interface test (login, logout, heartbeat).
    LinkTest,
    /// 03: relay-station command.
    Relay,
    /// 04: set parameters (carries PW).
    SetParameters,
    /// 05: control command (carries PW).
    Control,
    /// 06: identity authentication and key agreement (carries PW).
    Authentication,
    /// 08: request active reporting by a cascaded terminal.
    CascadeReport,
    /// 09: request terminal configuration.
    Configuration,
    /// 0A: query parameters.
    QueryParameters,
    /// 0B: request task data.
    TaskData,
    /// 0C: request class-1 (real-time) data.
    Class1,
    /// 0D: request class-2 (historical) data.
    Class2,
    /// 0E: request class-3 (event) data.
    Class3,
    /// 0F: file transfer (carries PW).
    File,
    /// 10: data forwarding (carries PW).
    Forward,
    /// Any other code.
    Unknown(u8),
}

impl Afn {
    /// The AFN of a code byte.
    pub fn from_byte(b: u8) -> Self {
        match b {
            0x00 => Self::Confirm,
            0x01 => Self::Reset,
            0x02 => Self::LinkTest,
            0x03 => Self::Relay,
            0x04 => Self::SetParameters,
            0x05 => Self::Control,
            0x06 => Self::Authentication,
            0x08 => Self::CascadeReport,
            0x09 => Self::Configuration,
            0x0A => Self::QueryParameters,
            0x0B => Self::TaskData,
            0x0C => Self::Class1,
            0x0D => Self::Class2,
            0x0E => Self::Class3,
            0x0F => Self::File,
            0x10 => Self::Forward,
            other => Self::Unknown(other),
        }
    }

    /// The code byte.
    pub fn to_byte(self) -> u8 {
        match self {
            Self::Confirm => 0x00,
            Self::Reset => 0x01,
            Self::LinkTest => 0x02,
            Self::Relay => 0x03,
            Self::SetParameters => 0x04,
            Self::Control => 0x05,
            Self::Authentication => 0x06,
            Self::CascadeReport => 0x08,
            Self::Configuration => 0x09,
            Self::QueryParameters => 0x0A,
            Self::TaskData => 0x0B,
            Self::Class1 => 0x0C,
            Self::Class2 => 0x0D,
            Self::Class3 => 0x0E,
            Self::File => 0x0F,
            Self::Forward => 0x10,
            Self::Unknown(b) => b,
        }
    }

    /// Downlink frames of this AFN end with the 16-byte password/MAC field PW (notes §2.1:
    /// AFN 01, 04, 05, 06, 0F and 10).
    pub fn carries_pw(self) -> bool {
        matches!(self.to_byte(), 0x01 | 0x04 | 0x05 | 0x06 | 0x0F | 0x10)
    }
}

/// DA, the information point (pn) set: DA1 a bitmap of 8 points, DA2 the group.
///
/// `pn = 8·(DA2−1) + bit + 1`; DA1 = DA2 = 0 is p0, the terminal itself (notes §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Da {
    /// DA1, the point bitmap.
    pub da1: u8,
    /// DA2, the point group.
    pub da2: u8,
}

impl Da {
    /// p0, the terminal itself.
    pub const P0: Self = Self { da1: 0, da2: 0 };

    /// The DA of one point, 0–2040; `None` above 2040.
    pub fn point(pn: u16) -> Option<Self> {
        if pn == 0 {
            return Some(Self::P0);
        }
        if pn > 2040 {
            return None;
        }
        let i = pn - 1;
        Some(Self {
            da1: 1 << (i % 8),
            da2: u8::try_from(i / 8 + 1).ok()?,
        })
    }

    /// The points it names, ascending: `[0]` for p0, nothing when DA2 ≠ 0 and DA1 = 0 or
    /// when DA2 = 0 and DA1 ≠ 0 (no such point).
    pub fn points(self) -> impl Iterator<Item = u16> {
        let p0 = self.da1 == 0 && self.da2 == 0;
        let base = u16::from(self.da2).saturating_sub(1) * 8;
        let map = if self.da2 == 0 { 0 } else { self.da1 };
        core::iter::once(0).filter(move |_| p0).chain(
            (0..8u16)
                .filter(move |i| map & (1 << i) != 0)
                .map(move |i| base + i + 1),
        )
    }

    /// How many points it names.
    pub fn count(self) -> usize {
        self.points().count()
    }
}

/// DT, the information class (Fn) set: DT1 a bitmap of 8 classes, DT2 the group.
///
/// `Fn = 8·DT2 + bit + 1` (notes §2.4, the same rule as 1376.2 §1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dt {
    /// DT1, the class bitmap.
    pub dt1: u8,
    /// DT2, the class group.
    pub dt2: u8,
}

impl Dt {
    /// The DT of one Fn, 1–2048 (the standard uses F1–F248); `None` for 0 or above 2048.
    pub fn function(n: u16) -> Option<Self> {
        let i = n.checked_sub(1)?;
        Some(Self {
            dt1: 1 << (i % 8),
            dt2: u8::try_from(i / 8).ok()?,
        })
    }

    /// The Fn it names, ascending.
    pub fn functions(self) -> impl Iterator<Item = u16> {
        let base = u16::from(self.dt2) * 8;
        (0..8u16)
            .filter(move |i| self.dt1 & (1 << i) != 0)
            .map(move |i| base + i + 1)
    }

    /// The single Fn it names, if it names exactly one.
    pub fn single(self) -> Option<u16> {
        if self.dt1.count_ones() == 1 {
            self.functions().next()
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pn_and_fn_rules() {
        assert_eq!(Da::point(0), Some(Da::P0));
        assert_eq!(Da::point(1), Some(Da { da1: 1, da2: 1 }));
        assert_eq!(
            Da::point(2040),
            Some(Da {
                da1: 0x80,
                da2: 255
            })
        );
        assert_eq!(Da::point(2041), None);
        // The public AFN 0D capture of notes §2.5 asks p2..p6: DA1 0x3E, DA2 1.
        let d = Da { da1: 0x3E, da2: 1 };
        assert!(d.points().eq([2, 3, 4, 5, 6]));
        assert!(Da::P0.points().eq([0]));
        assert_eq!(Da { da1: 0, da2: 3 }.count(), 0);
        // 1376.2 §1.7 examples of the shared rule: F10 = 02 01, F16 = 80 01, F129 = 01 10.
        assert_eq!(Dt::function(10), Some(Dt { dt1: 0x02, dt2: 1 }));
        assert_eq!(Dt::function(16), Some(Dt { dt1: 0x80, dt2: 1 }));
        assert_eq!(Dt::function(129), Some(Dt { dt1: 0x01, dt2: 16 }));
        assert!(Dt { dt1: 0x05, dt2: 20 }.functions().eq([161, 163]));
        assert_eq!(Dt { dt1: 0x05, dt2: 20 }.single(), None);
        assert_eq!(Dt::function(0), None);
    }

    #[test]
    fn afn_codes() {
        for b in 0..=255u8 {
            assert_eq!(Afn::from_byte(b).to_byte(), b);
        }
        assert!(Afn::Forward.carries_pw() && !Afn::QueryParameters.carries_pw());
    }
}
