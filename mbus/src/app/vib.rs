//! The value information block: VIF, up to 10 VIFEs and the plain-text unit of VIF 0x7C/0xFC
//! (EN 13757-3 clause 6.4), and the combinable (orthogonal) VIFE codes (table 15).

use crate::app::dib::MAX_EXTENSIONS;

/// Where a plain-text unit (VIF 0x7C/0xFC) sits.
///
/// EN 13757-3 puts the length byte and the ASCII text after the whole VIFE chain. Meters in
/// the field (Elvaco CMa10, Itron Cyble, EDC; see the libmbus corpus frame
/// `ELV-Elvaco-CMa10.hex`, `02 FC 03 48 52 25 74 ...`) put it right after the VIF byte,
/// before the VIFEs, and libmbus parses it only that way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlainTextPlacement {
    /// Length and text right after the VIF, VIFEs after the text (field practice).
    AfterVif,
    /// Length and text after the VIFE chain (the standard).
    AfterVifes,
}

/// How the parser chooses the plain-text placement for VIF 0xFC (with VIF 0x7C there is no
/// VIFE and both placements are the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PlainTextMode {
    /// Try both; take the one whose text is printable ASCII and fits. When both fit, take
    /// [`PlainTextPlacement::AfterVif`], the placement of every such meter seen so far.
    #[default]
    Auto,
    /// Always right after the VIF.
    AfterVif,
    /// Always after the VIFE chain.
    AfterVifes,
}

/// A value information block as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vib<'a> {
    vif: u8,
    vifes: [u8; MAX_EXTENSIONS],
    len: u8,
    text: &'a [u8],
    placement: PlainTextPlacement,
}

impl<'a> Vib<'a> {
    /// A VIB from its parts; `None` with more than 10 VIFEs or more than 255 text bytes.
    /// `text` is the plain-text unit as sent (last character first), only meaningful with
    /// VIF 0x7C/0xFC; `placement` only matters with VIF 0xFC (otherwise it is stored as
    /// [`PlainTextPlacement::AfterVif`], the two being the same bytes).
    pub fn from_parts(
        vif: u8,
        vifes: &[u8],
        text: &'a [u8],
        placement: PlainTextPlacement,
    ) -> Option<Self> {
        if vifes.len() > MAX_EXTENSIONS || text.len() > 255 {
            return None;
        }
        let mut out = [0u8; MAX_EXTENSIONS];
        out.get_mut(..vifes.len())?.copy_from_slice(vifes);
        let placement = if vif == 0xFC {
            placement
        } else {
            PlainTextPlacement::AfterVif
        };
        let text = if vif & 0x7F == 0x7C { text } else { &[] };
        Some(Self {
            vif,
            vifes: out,
            len: vifes.len() as u8,
            text,
            placement,
        })
    }

    /// A VIB from an already filled VIFE array (the parser's path, which has normalized the
    /// placement and text itself).
    pub(crate) fn from_array(
        vif: u8,
        vifes: [u8; MAX_EXTENSIONS],
        len: u8,
        text: &'a [u8],
        placement: PlainTextPlacement,
    ) -> Self {
        Self {
            vif,
            vifes,
            len,
            text,
            placement,
        }
    }

    /// The VIF byte.
    pub fn vif(&self) -> u8 {
        self.vif
    }

    /// The VIFE bytes, extension bits included.
    pub fn vifes(&self) -> &[u8] {
        self.vifes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Whether the VIF is a plain-text VIF (0x7C/0xFC).
    pub fn is_plain_text(&self) -> bool {
        self.vif & 0x7F == 0x7C
    }

    /// The plain-text unit as sent: the characters in reverse order (EN 13757-3 sends the
    /// last character first). Empty unless [`is_plain_text`](Self::is_plain_text).
    pub fn plain_text_raw(&self) -> &'a [u8] {
        self.text
    }

    /// The plain-text unit in reading order.
    pub fn plain_text(&self) -> impl Iterator<Item = char> + 'a {
        self.text.iter().rev().map(|&b| char::from(b))
    }

    /// Where the plain-text unit was found.
    pub fn placement(&self) -> PlainTextPlacement {
        self.placement
    }

    /// The VIFE codes (extension bit cleared) that modify the value, after the VIFE that
    /// selects an entry of the 0xFB/0xFD tables. Empty for manufacturer-specific VIFs, whose
    /// VIFEs are the manufacturer's own.
    pub fn combinable(&self) -> impl Iterator<Item = Combinable> + '_ {
        combinable(self.vif, self.vifes())
    }

    /// Power-of-ten adjustment the combinable VIFEs apply (0x70..0x77: 10^(n-6); 0x7D: 10^3).
    pub fn exponent_adjustment(&self) -> i8 {
        exponent_adjustment(self.vif, self.vifes())
    }

    /// Bytes on the wire.
    pub fn wire_len(&self) -> usize {
        let text = if self.is_plain_text() {
            1 + self.text.len()
        } else {
            0
        };
        1 + usize::from(self.len) + text
    }
}

/// The combinable VIFEs of a VIF and its VIFE bytes (see [`Vib::combinable`]).
pub(crate) fn combinable(vif: u8, vifes: &[u8]) -> impl Iterator<Item = Combinable> + '_ {
    let skip = match vif {
        0xFB | 0xFD => 1,
        0xFF => vifes.len(),
        _ => 0,
    };
    // After VIFE 0x7F/0xFF everything is manufacturer specific (table 15).
    let rest = vifes.get(skip..).unwrap_or(&[]);
    let end = rest
        .iter()
        .position(|v| v & 0x7F == 0x7F)
        .map_or(rest.len(), |p| p + 1);
    rest.get(..end)
        .unwrap_or(&[])
        .iter()
        .map(|&v| Combinable::from_code(v & 0x7F))
}

/// The power of ten the combinable VIFEs multiply by.
pub(crate) fn exponent_adjustment(vif: u8, vifes: &[u8]) -> i8 {
    if vifes.is_empty() {
        return 0;
    }
    let mut e = 0i8;
    for c in combinable(vif, vifes) {
        if let Combinable::Multiplier(m) = c {
            e = e.saturating_add(m);
        }
    }
    e
}

/// A combinable (orthogonal) VIFE code, EN 13757-3 table 15 (m-bus.com 8.4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Combinable {
    /// 0x00..0x1F: record error code (slave to master) or object action (master to slave).
    ErrorOrAction(u8),
    /// 0x20..0x27: per second, minute, hour, day, week, month, year, revolution (0..7).
    PerTime(u8),
    /// 0x28..0x2B: per input pulse channel 0/1, per output pulse channel 0/1 (0..3).
    PerPulse(u8),
    /// 0x2C..0x35: per litre, m³, kg, K, kWh, GJ, kW, K·l, V, A (0..9).
    PerUnit(u8),
    /// 0x36..0x38: multiplied by s, s/V, s/A (0..2).
    TimesUnit(u8),
    /// 0x39: start date(-time) of.
    StartDateOf,
    /// 0x3A: value is uncorrected (meter unit).
    Uncorrected,
    /// 0x3B: accumulation only if positive contributions.
    AccumulationPositive,
    /// 0x3C: accumulation of the absolute value of negative contributions.
    AccumulationNegative,
    /// 0x40..0x4F: limit values, counts and dates of limit exceedance (raw code).
    Limit(u8),
    /// 0x50..0x6F: durations of limit exceedance (raw code).
    LimitDuration(u8),
    /// 0x70..0x77 multiplicative correction 10^(n-6), and 0x7D (10^3): the exponent.
    Multiplier(i8),
    /// 0x78..0x7B: additive correction constant 10^(n-3) × unit of the VIF: the exponent.
    Additive(i8),
    /// 0x7E: future value.
    FutureValue,
    /// 0x7F: manufacturer-specific VIFEs follow.
    ManufacturerFollows,
    /// Any reserved code.
    Reserved(u8),
}

impl Combinable {
    /// Decode a VIFE with its extension bit cleared.
    pub fn from_code(c: u8) -> Self {
        match c {
            0x00..=0x1F => Combinable::ErrorOrAction(c),
            0x20..=0x27 => Combinable::PerTime(c - 0x20),
            0x28..=0x2B => Combinable::PerPulse(c - 0x28),
            0x2C..=0x35 => Combinable::PerUnit(c - 0x2C),
            0x36..=0x38 => Combinable::TimesUnit(c - 0x36),
            0x39 => Combinable::StartDateOf,
            0x3A => Combinable::Uncorrected,
            0x3B => Combinable::AccumulationPositive,
            0x3C => Combinable::AccumulationNegative,
            0x40..=0x4F => Combinable::Limit(c),
            0x50..=0x6F => Combinable::LimitDuration(c),
            0x70..=0x77 => Combinable::Multiplier((c & 0x07) as i8 - 6),
            0x78..=0x7B => Combinable::Additive((c & 0x03) as i8 - 3),
            0x7D => Combinable::Multiplier(3),
            0x7E => Combinable::FutureValue,
            0x7F => Combinable::ManufacturerFollows,
            other => Combinable::Reserved(other),
        }
    }
}
