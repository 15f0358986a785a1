//! What `--di` accepts: a hex DI (8 digits for DL/T 645-2007, 4 for -1997) or a name.

use dlt645::{Di, Di97, Edition};

/// A data identifier of either edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// DL/T 645-2007 (read with 0x11, follow-ups with 0x12).
    V2007(Di),
    /// DL/T 645-1997 (read with 0x01, follow-ups with 0x02).
    V1997(Di97),
}

impl Target {
    /// The edition the DI belongs to.
    pub(crate) fn edition(self) -> Edition {
        match self {
            Target::V2007(_) => Edition::V2007,
            Target::V1997(_) => Edition::V1997,
        }
    }

    /// The DI in hex, as the standard writes it.
    pub(crate) fn hex(self) -> String {
        match self {
            Target::V2007(d) => format!("{:08X}", d.0),
            Target::V1997(d) => format!("{:04X}", d.0),
        }
    }
}

/// The names `--di` knows, with their 2007 and 1997 DIs (`None`: the edition has no such item).
/// 2007 DIs from DL/T 645-2007 Appendix A (A.1 energy, A.3 variables, A.5 parameters, A.6
/// freezes); 1997 DIs from the 1997 appendix (9xxx energy, Bxxx variables, Cxxx parameters).
/// Blocks (`FF`) read all phases or tariffs in one frame.
const NAMES: &[(&str, Option<u32>, Option<u16>, &str)] = &[
    (
        "energy",
        Some(0x0001_0000),
        Some(0x9010),
        "forward active energy, total",
    ),
    (
        "energy-tariffs",
        Some(0x0001_FF00),
        Some(0x901F),
        "forward active energy, total and tariffs 1..4",
    ),
    (
        "reverse-energy",
        Some(0x0002_0000),
        Some(0x9020),
        "reverse active energy, total",
    ),
    (
        "voltage",
        Some(0x0201_FF00),
        Some(0xB61F),
        "voltage of phases A, B, C",
    ),
    (
        "current",
        Some(0x0202_FF00),
        Some(0xB62F),
        "current of phases A, B, C",
    ),
    (
        "power",
        Some(0x0203_FF00),
        Some(0xB63F),
        "active power, total and phases",
    ),
    (
        "reactive-power",
        Some(0x0204_FF00),
        Some(0xB64F),
        "reactive power, total and phases",
    ),
    (
        "pf",
        Some(0x0206_FF00),
        Some(0xB65F),
        "power factor, total and phases",
    ),
    ("frequency", Some(0x0280_0002), None, "grid frequency"),
    (
        "clock",
        Some(0x0400_010C),
        None,
        "date, weekday and time (1997: use date or time)",
    ),
    ("date", Some(0x0400_0101), Some(0xC010), "date and weekday"),
    ("time", Some(0x0400_0102), Some(0xC011), "time of day"),
    (
        "address",
        Some(0x0400_0401),
        Some(0xC032),
        "communication address",
    ),
    (
        "meter-number",
        Some(0x0400_0402),
        Some(0xC033),
        "meter number (1997: user number)",
    ),
    (
        "status",
        Some(0x0400_0503),
        Some(0xC020),
        "running status word 3 (relay state); 1997: meter status byte",
    ),
    (
        "status-all",
        Some(0x0400_05FF),
        None,
        "running status words 1..7",
    ),
];

/// Names taking a day number N (1 = the most recent freeze, up to 62: notes §1.12).
const DAY_NAMES: &[(&str, u32, &str)] = &[
    (
        "frozen-day",
        0x0506_0100,
        "daily frozen forward active energy, N days back",
    ),
    (
        "frozen-day-time",
        0x0506_0000,
        "time of the daily freeze, N days back",
    ),
];

/// The help text listing the names.
pub(crate) fn help() -> String {
    let mut s = String::from("DI names (2007 / 1997):\n");
    for (name, d07, d97, what) in NAMES {
        let d07 = d07.map_or("-".to_string(), |d| format!("{d:08X}"));
        let d97 = d97.map_or("-".to_string(), |d| format!("{d:04X}"));
        s.push_str(&format!("  {name:<18}{d07} / {d97:<6}{what}\n"));
    }
    for (name, base, what) in DAY_NAMES {
        s.push_str(&format!(
            "  {:<18}{:06X}NN / -     {what} (N = 1..62)\n",
            format!("{name} N"),
            base >> 8
        ));
    }
    s
}

/// Resolve `--di` for `edition` (`None`: not given, taken from the DI itself). `day` is the
/// N of a `frozen-day N` name.
pub(crate) fn resolve(
    text: &str,
    day: Option<u8>,
    edition: Option<Edition>,
) -> Result<Target, String> {
    let t = text.trim();
    if let Some(target) = hex(t) {
        if day.is_some() {
            return Err(format!("--di {t}: a hex DI takes no number"));
        }
        return match (target, edition) {
            (target, None) => Ok(target),
            (target, Some(e)) if target.edition() == e => Ok(target),
            (Target::V2007(_), Some(_)) => Err(format!(
                "DI {t} has 8 digits, a DL/T 645-2007 DI, but --edition 1997 was given"
            )),
            (Target::V1997(_), Some(_)) => Err(format!(
                "DI {t} has 4 digits, a DL/T 645-1997 DI, but --edition 2007 was given"
            )),
        };
    }
    // `frozen-day=3`, `frozen-day:3` or one argument "frozen-day 3".
    let (name, day) = match t.split_once(['=', ':', ' ']) {
        Some((name, n)) if day.is_none() => (
            name.trim().to_ascii_lowercase(),
            Some(
                n.trim()
                    .parse::<u8>()
                    .map_err(|_| format!("--di {t}: {n:?} is not a day number"))?,
            ),
        ),
        _ => (t.to_ascii_lowercase(), day),
    };
    let edition = edition.unwrap_or(Edition::V2007);
    if let Some((_, base, _)) = DAY_NAMES.iter().find(|(n, _, _)| *n == name) {
        let n = day.ok_or_else(|| format!("--di {name} needs a day number N (1..62)"))?;
        if !(1..=62).contains(&n) {
            return Err(format!("--di {name} {n}: N is 1..62"));
        }
        if edition == Edition::V1997 {
            return Err(format!("--di {name}: DL/T 645-1997 has no daily freezes"));
        }
        // DI0 is the freeze number N as a plain byte (0x3E = the 62nd, notes §1.12).
        return Ok(Target::V2007(Di(base | u32::from(n))));
    }
    if day.is_some() {
        return Err(format!("--di {name} takes no number"));
    }
    let (_, d07, d97, _) = NAMES.iter().find(|(n, ..)| *n == name).ok_or_else(|| {
        format!(
            "unknown DI {t:?}: give 8 hex digits (2007), 4 (1997) or a name\n{}",
            help()
        )
    })?;
    match edition {
        Edition::V1997 => d97
            .map(|d| Target::V1997(Di97(d)))
            .ok_or_else(|| format!("--di {name}: no DL/T 645-1997 DI for it")),
        _ => d07
            .map(|d| Target::V2007(Di(d)))
            .ok_or_else(|| format!("--di {name}: no DL/T 645-2007 DI for it")),
    }
}

/// 8 hex digits (2007) or 4 (1997), spaces allowed.
fn hex(t: &str) -> Option<Target> {
    let digits: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    match digits.len() {
        8 => u32::from_str_radix(&digits, 16)
            .ok()
            .map(|d| Target::V2007(Di(d))),
        4 => u16::from_str_radix(&digits, 16)
            .ok()
            .map(|d| Target::V1997(Di97(d))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_dis_by_length() {
        assert_eq!(
            resolve("00010000", None, None),
            Ok(Target::V2007(Di(0x0001_0000)))
        );
        assert_eq!(resolve("9010", None, None), Ok(Target::V1997(Di97(0x9010))));
        assert_eq!(
            resolve("9010", None, Some(Edition::V1997)),
            Ok(Target::V1997(Di97(0x9010)))
        );
        assert!(resolve("9010", None, Some(Edition::V2007)).is_err());
        assert!(resolve("00010000", None, Some(Edition::V1997)).is_err());
        assert!(resolve("000100", None, None).is_err());
        assert_eq!(
            resolve("0001 0000", None, None),
            Ok(Target::V2007(Di(0x0001_0000)))
        );
        assert!(resolve("00010000", Some(1), None).is_err());
    }

    #[test]
    fn names_follow_the_edition() {
        assert_eq!(
            resolve("energy", None, None),
            Ok(Target::V2007(Di(0x0001_0000)))
        );
        assert_eq!(
            resolve("Energy", None, Some(Edition::V1997)),
            Ok(Target::V1997(Di97(0x9010)))
        );
        assert_eq!(
            resolve("voltage", None, Some(Edition::V1997)),
            Ok(Target::V1997(Di97(0xB61F)))
        );
        assert!(resolve("frequency", None, Some(Edition::V1997)).is_err());
        assert!(resolve("watts", None, None).is_err());
    }

    #[test]
    fn frozen_day_takes_n() {
        assert_eq!(
            resolve("frozen-day", Some(1), None),
            Ok(Target::V2007(Di(0x0506_0101)))
        );
        assert_eq!(
            resolve("frozen-day", Some(62), None),
            Ok(Target::V2007(Di(0x0506_013E)))
        );
        assert_eq!(
            resolve("frozen-day=2", None, None),
            Ok(Target::V2007(Di(0x0506_0102)))
        );
        assert_eq!(
            resolve("frozen-day 2", None, None),
            Ok(Target::V2007(Di(0x0506_0102)))
        );
        assert!(resolve("frozen-day", None, None).is_err());
        assert!(resolve("frozen-day=x", None, None).is_err());
        assert!(resolve("frozen-day", Some(63), None).is_err());
        assert!(resolve("energy", Some(2), None).is_err());
    }
}
