//! The A field: primary addresses, the network-layer address and the broadcasts.

/// The address field of a short, control or long frame (EN 13757-2, 5.4).
///
/// Every byte is a valid address; [`Address::kind`] says what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address(u8);

/// What an [`Address`] byte means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressKind {
    /// 0: the factory default of a slave with no primary address configured.
    Unconfigured,
    /// 1..=250: a primary address.
    Primary(u8),
    /// 251 and 252: reserved.
    Reserved(u8),
    /// 253: the slave selected through the network layer (secondary addressing).
    Network,
    /// 254: broadcast, every slave answers (collides with more than one slave).
    BroadcastReply,
    /// 255: broadcast, no slave answers.
    BroadcastNoReply,
}

impl Address {
    /// 0, the address of an unconfigured slave.
    pub const UNCONFIGURED: Address = Address(0);
    /// 253, the slave selected by a secondary-address selection.
    pub const NETWORK: Address = Address(253);
    /// 254, broadcast with reply.
    pub const BROADCAST_REPLY: Address = Address(254);
    /// 255, broadcast without reply.
    pub const BROADCAST_NO_REPLY: Address = Address(255);
    /// The highest primary address.
    pub const MAX_PRIMARY: u8 = 250;

    /// The address with this byte on the wire.
    pub const fn from_byte(byte: u8) -> Address {
        Address(byte)
    }

    /// A primary address, if `n` is in 1..=250.
    pub const fn primary(n: u8) -> Option<Address> {
        if n >= 1 && n <= Self::MAX_PRIMARY {
            Some(Address(n))
        } else {
            None
        }
    }

    /// The byte on the wire.
    pub const fn byte(self) -> u8 {
        self.0
    }

    /// What the address means.
    pub const fn kind(self) -> AddressKind {
        match self.0 {
            0 => AddressKind::Unconfigured,
            n @ 1..=250 => AddressKind::Primary(n),
            n @ 251..=252 => AddressKind::Reserved(n),
            253 => AddressKind::Network,
            254 => AddressKind::BroadcastReply,
            255 => AddressKind::BroadcastNoReply,
        }
    }

    /// Whether more than one slave may answer a request to this address (254), so that a
    /// garbled reply means a collision rather than line noise.
    pub const fn may_collide(self) -> bool {
        self.0 == 254
    }

    /// Whether no slave answers a request to this address (255).
    pub const fn expects_no_reply(self) -> bool {
        self.0 == 255
    }
}

impl From<u8> for Address {
    fn from(byte: u8) -> Self {
        Address(byte)
    }
}

impl From<Address> for u8 {
    fn from(a: Address) -> Self {
        a.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_en13757_2() {
        assert_eq!(Address::from_byte(0).kind(), AddressKind::Unconfigured);
        assert_eq!(Address::from_byte(1).kind(), AddressKind::Primary(1));
        assert_eq!(Address::from_byte(250).kind(), AddressKind::Primary(250));
        assert_eq!(Address::from_byte(251).kind(), AddressKind::Reserved(251));
        assert_eq!(Address::from_byte(253).kind(), AddressKind::Network);
        assert_eq!(Address::from_byte(254).kind(), AddressKind::BroadcastReply);
        assert_eq!(
            Address::from_byte(255).kind(),
            AddressKind::BroadcastNoReply
        );
        assert_eq!(Address::primary(0), None);
        assert_eq!(Address::primary(251), None);
        assert_eq!(Address::primary(7).map(Address::byte), Some(7));
    }
}
