//! Zero-copy lists of fixed-size entries (node lists, address lists) inside a data unit.

use core::marker::PhantomData;

use super::codec::Writer;
use crate::{Address, Edition, EmitError};

/// One fixed-size entry of a list; its size may depend on the edition.
pub trait Entry: Sized {
    /// Bytes per entry in `edition`.
    fn size(edition: Edition) -> usize;
    /// Decodes one entry from exactly [`size`](Entry::size) bytes.
    fn read(bytes: &[u8], edition: Edition) -> Self;
    /// Encodes one entry into exactly [`size`](Entry::size) bytes.
    fn write(&self, out: &mut [u8], edition: Edition) -> Result<(), EmitError>;
}

/// A list of entries borrowed from a frame (or from a scratch buffer when building one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Entries<'a, T> {
    bytes: &'a [u8],
    edition: Edition,
    _entry: PhantomData<T>,
}

impl<'a, T: Entry> Entries<'a, T> {
    /// A list over `bytes`; `None` unless its length is a multiple of the entry size.
    pub fn from_bytes(bytes: &'a [u8], edition: Edition) -> Option<Self> {
        let size = T::size(edition);
        (size > 0 && bytes.len().is_multiple_of(size)).then_some(Self {
            bytes,
            edition,
            _entry: PhantomData,
        })
    }

    /// Encodes `items` into `scratch` and returns the list over the written bytes.
    pub fn encode<I>(items: I, edition: Edition, scratch: &'a mut [u8]) -> Result<Self, EmitError>
    where
        I: IntoIterator<Item = T>,
    {
        let size = T::size(edition);
        let mut n = 0;
        for item in items {
            let out = scratch
                .get_mut(n..n + size)
                .ok_or(EmitError::BufferTooSmall { needed: n + size })?;
            item.write(out, edition)?;
            n += size;
        }
        let bytes: &'a [u8] = scratch.get(..n).unwrap_or(&[]);
        Ok(Self {
            bytes,
            edition,
            _entry: PhantomData,
        })
    }

    /// An empty list.
    pub fn empty(edition: Edition) -> Self {
        Self {
            bytes: &[],
            edition,
            _entry: PhantomData,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.bytes.len() / T::size(self.edition).max(1)
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = T> + 'a {
        let ed = self.edition;
        self.bytes
            .chunks_exact(T::size(ed).max(1))
            .map(move |c| T::read(c, ed))
    }

    /// The raw bytes of the entries.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        w.put(self.bytes)
    }
}

impl Entry for Address {
    fn size(_: Edition) -> usize {
        6
    }
    fn read(bytes: &[u8], _: Edition) -> Self {
        Address::from_wire(bytes).unwrap_or_default()
    }
    fn write(&self, out: &mut [u8], _: Edition) -> Result<(), EmitError> {
        out.get_mut(..6)
            .ok_or(EmitError::BufferTooSmall { needed: 6 })?
            .copy_from_slice(&self.0);
        Ok(())
    }
}
