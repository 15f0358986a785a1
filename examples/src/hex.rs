//! Hex input as people paste it: `68 AA AA`, `68aaaa`, `0x68,0xAA`, across several arguments.

use std::fmt;

/// Why a hex string could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HexError {
    /// A character that is neither a hex digit nor a separator, at this character offset.
    BadChar {
        /// Character offset in the input.
        offset: usize,
        /// The character found.
        found: char,
    },
    /// An odd number of hex digits: the last byte is missing a digit.
    OddDigits,
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HexError::BadChar { offset, found } => {
                write!(f, "not a hex digit: {found:?} at character {offset}")
            }
            HexError::OddDigits => write!(f, "odd number of hex digits"),
        }
    }
}

impl std::error::Error for HexError {}

/// Reads hex bytes, ignoring white space, commas, colons, dashes and `0x` prefixes.
pub fn parse_hex(s: &str) -> Result<Vec<u8>, HexError> {
    let mut out = Vec::with_capacity(s.len() / 2);
    let mut high: Option<u8> = None;
    let mut chars = s.char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        if c.is_whitespace() || matches!(c, ',' | ':' | '-') {
            continue;
        }
        // A `0x` / `0X` prefix, only at a byte boundary and only before another hex digit.
        if c == '0' && high.is_none() && matches!(chars.peek(), Some(&(_, 'x' | 'X'))) {
            chars.next();
            continue;
        }
        let digit = c
            .to_digit(16)
            .ok_or(HexError::BadChar { offset, found: c })? as u8;
        match high.take() {
            None => high = Some(digit),
            Some(h) => out.push(h << 4 | digit),
        }
    }
    if high.is_some() {
        return Err(HexError::OddDigits);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_usual_spellings() {
        assert_eq!(parse_hex("68 AA aa").unwrap(), [0x68, 0xAA, 0xAA]);
        assert_eq!(parse_hex("68aaaa16").unwrap(), [0x68, 0xAA, 0xAA, 0x16]);
        assert_eq!(parse_hex("0x68,0x16").unwrap(), [0x68, 0x16]);
        assert_eq!(parse_hex("fe:fe-68").unwrap(), [0xFE, 0xFE, 0x68]);
        assert_eq!(parse_hex("").unwrap(), Vec::<u8>::new());
        // "00" is a byte, not a prefix.
        assert_eq!(parse_hex("00 01").unwrap(), [0x00, 0x01]);
    }

    #[test]
    fn says_what_is_wrong() {
        assert_eq!(
            parse_hex("68 zz"),
            Err(HexError::BadChar {
                offset: 3,
                found: 'z'
            })
        );
        assert_eq!(parse_hex("68 a"), Err(HexError::OddDigits));
    }
}
