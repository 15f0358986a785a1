//! The command line of the port subcommands (`read`, `address`, `switch`, `time`).

use dlt645::{Address, Edition, Operator, Password, SwitchAction};
use rs485_link::{LineSettings, Margins, Parity, ProtocolTiming, StopBits, Timing};

use super::names::{self, Target};

/// How to reach the bus.
#[derive(Debug, Clone)]
pub(crate) struct Port {
    /// The serial device.
    pub(crate) path: String,
    /// Baud rate and framing.
    pub(crate) line: LineSettings,
    /// Extra milliseconds on the gap limit and the response timeout.
    pub(crate) margin_ms: u64,
    /// Extra attempts after a timeout or a garbled reply.
    pub(crate) retries: u32,
    /// The converter echoes what we send.
    pub(crate) echo: bool,
}

impl Port {
    /// DL/T 645 timing on this line (2007 §5.3.3: reply within 500 ms, bytes ≤ 500 ms apart)
    /// plus the margin.
    pub(crate) fn timing(&self) -> Timing {
        let us = self.margin_ms.saturating_mul(1000);
        Timing::new(
            &ProtocolTiming::DLT645,
            self.line,
            Margins {
                gap_us: us,
                turnaround_us: 0,
                response_us: us,
            },
        )
    }
}

/// A subcommand that talks to the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// Read one DI of one meter, follow-up frames included.
    Read {
        /// The meter.
        addr: Address,
        /// What to read.
        target: Target,
        /// Records to read (0x11 with L = 5, `N` in BCD as load curves take it), or one DI.
        count: Option<u8>,
    },
    /// Read the address of the only meter on the bus (0x13 to AAAAAAAAAAAA).
    Address,
    /// Remote switch (0x1C plaintext), then read status word 3.
    Switch {
        /// The meter.
        addr: Address,
        /// Trip, close or allow closing.
        action: SwitchAction,
        /// Switch password (level and code).
        password: Password,
        /// Operator code.
        operator: Operator,
        /// Minutes the command stays valid.
        valid_min: u32,
    },
    /// Broadcast time (0x08) from the system clock.
    Time,
}

/// The whole command line of a port subcommand.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The bus.
    pub(crate) port: Port,
    /// One JSON object on stdout instead of plain lines.
    pub(crate) json: bool,
    /// Minutes east of UTC of the meters' local time (`time`, and the switch deadline).
    pub(crate) utc_offset_min: i64,
    /// What to do.
    pub(crate) command: Command,
}

fn number<T: std::str::FromStr>(v: &str, flag: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{flag}: {v:?} is not a valid number"))
}

fn address(v: &str) -> Result<Address, String> {
    let a: Address = v
        .parse()
        .map_err(|e| format!("--addr {v:?}: {e} (12 digits, or fewer: padded with 0)"))?;
    if a.is_broadcast() || a.is_wildcard() {
        return Err(format!(
            "--addr {v}: give one meter's address (use `address` to find it)"
        ));
    }
    Ok(a)
}

/// Parse the arguments after the subcommand name `cmd`.
pub(crate) fn parse(cmd: &str, args: &[String]) -> Result<Options, String> {
    let mut path = None;
    let mut baud = 2400u32;
    let mut parity = Parity::Even;
    let mut margin_ms = None;
    let mut usb = false;
    let mut retries = 1;
    let mut echo = false;
    let mut json = false;
    let mut utc_offset_min = 0i64;
    let mut addr = None;
    let mut di = None;
    let mut day = None;
    let mut edition = None;
    let mut action = None;
    let mut level = 0x02u8;
    let mut code = 0u32;
    let mut operator = Operator([0; 4]);
    let mut valid_min = 10u32;
    let mut count = None;
    let mut it = args.iter().peekable();
    while let Some(flag) = it.next() {
        let flag = flag.as_str();
        let mut value = || {
            it.next()
                .map(String::as_str)
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag {
            "--port" => path = Some(value()?.to_string()),
            "--baud" => baud = number(value()?, flag)?,
            "--parity" => {
                parity = match value()? {
                    "even" | "e" | "E" => Parity::Even,
                    "none" | "n" | "N" => Parity::None,
                    "odd" | "o" | "O" => Parity::Odd,
                    p => return Err(format!("--parity {p:?}: even, none or odd")),
                }
            }
            "--margin-ms" => margin_ms = Some(number::<u64>(value()?, flag)?),
            "--usb" => usb = true,
            "--retries" => retries = number(value()?, flag)?,
            "--echo" => echo = true,
            "--json" => json = true,
            "--utc-offset-min" => utc_offset_min = number(value()?, flag)?,
            "--addr" => addr = Some(address(value()?)?),
            "--di" => {
                let v = value()?.to_string();
                // `frozen-day N`: the number may come as the next argument.
                day = match it.peek() {
                    Some(next) if next.parse::<u8>().is_ok() => {
                        it.next().map(|n| number::<u8>(n, "--di N")).transpose()?
                    }
                    _ => None,
                };
                di = Some(v);
            }
            "--edition" => {
                edition = Some(match value()? {
                    "2007" => Edition::V2007,
                    "1997" => Edition::V1997,
                    e => return Err(format!("--edition {e:?}: 2007 or 1997")),
                })
            }
            "--off" => action = Some(SwitchAction::Trip),
            "--on" => action = Some(SwitchAction::DirectClose),
            "--allow" => action = Some(SwitchAction::AllowClose),
            "--password" => {
                let v = value()?;
                if v.len() != 6 || !v.chars().all(|c| c.is_ascii_digit()) {
                    return Err(format!("--password {v:?}: six digits"));
                }
                code = number(v, flag)?;
            }
            "--level" => {
                let v = value()?;
                level = u8::from_str_radix(v, 16)
                    .map_err(|_| format!("--level {v:?}: a hex byte such as 02 or 04"))?;
                if level == dlt645::ESAM_LEVEL {
                    return Err(
                        "--level 98 is the ESAM (ciphertext) form, which this tool cannot build"
                            .into(),
                    );
                }
            }
            "--operator" => {
                let v = value()?;
                let n = u32::from_str_radix(v, 16)
                    .ok()
                    .filter(|_| v.len() == 8)
                    .ok_or_else(|| format!("--operator {v:?}: eight hex digits"))?;
                // Written C3..C0, sent C0 first.
                operator = Operator(n.to_le_bytes());
            }
            "--valid-min" => valid_min = number(value()?, flag)?,
            "--count" => {
                let n: u8 = number(value()?, flag)?;
                if !(1..=99).contains(&n) {
                    return Err(format!("--count {n}: 1..99 records"));
                }
                // N is sent in BCD for 0610 load curves (notes §1.12).
                count = Some(((n / 10) << 4) | (n % 10));
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let path = path.ok_or("--port DEV is required")?;
    let line = LineSettings::new(baud, rs485_link::DataBits::Eight, parity, StopBits::One)
        .map_err(|e| format!("--baud {baud}: {e}"))?;
    // An explicit margin wins over the preset (USB converters: +150 ms, `Margins::USB`).
    let margin_ms = margin_ms.unwrap_or(if usb {
        Margins::USB.response_us / 1000
    } else {
        0
    });
    let need_addr = || addr.ok_or_else(|| format!("{cmd} needs --addr ADDRESS"));
    let command = match cmd {
        "read" => {
            let di = di.ok_or("read needs --di DI (hex or a name)")?;
            let target = names::resolve(&di, day, edition)?;
            if count.is_some() && target.edition() == Edition::V1997 {
                return Err("--count: DL/T 645-1997 has no block reads".into());
            }
            Command::Read {
                addr: need_addr()?,
                target,
                count,
            }
        }
        "address" => Command::Address,
        "switch" => Command::Switch {
            addr: need_addr()?,
            action: action.ok_or("switch needs --off, --on or --allow")?,
            password: Password::new(level, code).ok_or("--password: six digits")?,
            operator,
            valid_min,
        },
        "time" => Command::Time,
        other => return Err(format!("unknown command {other:?}")),
    };
    Ok(Options {
        port: Port {
            path,
            line,
            margin_ms,
            retries,
            echo,
        },
        json,
        utc_offset_min,
        command,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dlt645::Di;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn defaults_are_2400_8e1_no_margin() {
        let o = parse("address", &args("--port /dev/x")).unwrap();
        assert_eq!(o.port.line, LineSettings::new_8e1(2400).unwrap());
        assert_eq!(o.port.margin_ms, 0);
        assert_eq!(o.port.timing().response_timeout().to_millis(), 500);
        assert_eq!(o.command, Command::Address);
    }

    #[test]
    fn usb_preset_and_explicit_margin() {
        let o = parse("address", &args("--port p --usb")).unwrap();
        assert_eq!(o.port.margin_ms, 150);
        assert_eq!(o.port.timing().response_timeout().to_millis(), 650);
        let o = parse("address", &args("--margin-ms 40 --usb --port p")).unwrap();
        assert_eq!(o.port.margin_ms, 40);
    }

    #[test]
    fn read_with_frozen_day_n() {
        let o = parse(
            "read",
            &args("--port p --addr 161 --di frozen-day 3 --json"),
        )
        .unwrap();
        assert!(o.json);
        assert_eq!(
            o.command,
            Command::Read {
                addr: Address::from_number(161).unwrap(),
                target: Target::V2007(Di(0x0506_0103)),
                count: None,
            }
        );
        let o = parse("read", &args("--port p --addr 1 --di 06100101 --count 40")).unwrap();
        assert!(matches!(
            o.command,
            Command::Read {
                count: Some(0x40),
                ..
            }
        ));
        assert!(parse("read", &args("--port p --addr 1 --di 9010 --count 4")).is_err());
        let o = parse("read", &args("--port p --addr 161 --di frozen-day=3")).unwrap();
        assert!(matches!(
            o.command,
            Command::Read {
                target: Target::V2007(Di(0x0506_0103)),
                ..
            }
        ));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert!(
            parse("read", &args("--addr 1 --di energy"))
                .unwrap_err()
                .contains("--port")
        );
        assert!(
            parse("read", &args("--port p --di energy"))
                .unwrap_err()
                .contains("--addr")
        );
        assert!(
            parse("read", &args("--port p --addr 1"))
                .unwrap_err()
                .contains("--di")
        );
        assert!(
            parse("switch", &args("--port p --addr 1"))
                .unwrap_err()
                .contains("--off")
        );
        assert!(parse("read", &args("--port p --addr AAAAAAAAAAAA --di energy")).is_err());
        assert!(
            parse("address", &args("--port p --baud 12"))
                .unwrap_err()
                .contains("--baud")
        );
        assert!(parse("switch", &args("--port p --addr 1 --off --password 12")).is_err());
        assert!(parse("address", &args("--port p --bogus")).is_err());
    }

    #[test]
    fn switch_password_and_operator() {
        let o = parse(
            "switch",
            &args("--port p --addr 1 --off --password 123456 --level 04 --operator 01020304"),
        )
        .unwrap();
        let Command::Switch {
            action,
            password,
            operator,
            ..
        } = o.command
        else {
            panic!("switch");
        };
        assert_eq!(action, SwitchAction::Trip);
        assert_eq!(password, Password::new(0x04, 123_456).unwrap());
        assert_eq!(operator.0, [0x04, 0x03, 0x02, 0x01]);
    }
}
