//! Command-line options of the port commands (`scan`, `scan-secondary`, `read`,
//! `set-address`).

use rs485_link::LineSettings;
use wired_mbus::{Address, Duration, LineTiming, MasterConfig, SecondaryMask};

/// Where a command is sent: a primary address or a secondary address (mask).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Primary address 0..=250 (or 254, broadcast with reply, for a lone slave).
    Primary(Address),
    /// 16 hex digits, libmbus style; `F` nibbles are wildcards.
    Secondary(SecondaryMask),
}

impl Target {
    /// A decimal primary address, or 16 hex digits of a secondary address.
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        if s.len() == 16 {
            return s
                .parse()
                .map(Target::Secondary)
                .map_err(|e| format!("--addr {s:?}: {e}"));
        }
        let n: u8 = s.parse().map_err(|_| {
            format!("--addr {s:?}: neither a primary address 0..=250 nor 16 hex digits")
        })?;
        match n {
            0..=Address::MAX_PRIMARY | 254 => Ok(Target::Primary(Address::from_byte(n))),
            _ => Err(format!(
                "--addr {n}: 251..=253 and 255 are reserved (253 is reached through a secondary address)"
            )),
        }
    }

    /// For messages and JSON: the number, or the 16 hex digits.
    pub(crate) fn label(&self) -> String {
        match self {
            Target::Primary(a) => a.byte().to_string(),
            Target::Secondary(m) => m.to_string(),
        }
    }
}

/// The options every port command takes, and the ones that only some take.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The serial device.
    pub(crate) port: String,
    /// The line speed (8E1).
    pub(crate) baud: u32,
    /// Added to every receive timeout.
    pub(crate) margin: Duration,
    /// Extra attempts of a data request.
    pub(crate) retries: Option<u8>,
    /// Extra attempts of a scan probe after silence.
    pub(crate) probe_retries: Option<u8>,
    /// Drop the echo of our own request.
    pub(crate) echo: bool,
    /// JSON on stdout instead of a table.
    pub(crate) json: bool,
    /// `--addr`.
    pub(crate) addr: Option<Target>,
    /// `--new` (set-address).
    pub(crate) new_address: Option<u8>,
    /// `--force` (set-address: even if the new address already answers).
    pub(crate) force: bool,
    /// First and last primary address of a scan.
    pub(crate) first: u8,
    /// Last primary address of a scan.
    pub(crate) last: u8,
    /// Start mask of a secondary scan.
    pub(crate) mask: SecondaryMask,
    /// No SND_NKE before a primary readout.
    pub(crate) no_reset: bool,
    /// Most telegrams of one readout.
    pub(crate) max_telegrams: Option<u8>,
    /// No progress lines on stderr.
    pub(crate) quiet: bool,
}

impl Options {
    /// The master's settings for these options.
    pub(crate) fn master_config(&self) -> MasterConfig {
        let mut cfg = MasterConfig {
            timing: LineTiming::new(self.baud).with_margin(self.margin),
            echo: self.echo,
            ..MasterConfig::default()
        };
        if let Some(r) = self.retries {
            cfg.retries = r;
        }
        if let Some(r) = self.probe_retries {
            cfg.search_retries = r;
        }
        if let Some(m) = self.max_telegrams {
            cfg.max_telegrams = m;
        }
        cfg
    }
}

fn value<'a>(it: &mut impl Iterator<Item = &'a String>, flag: &str) -> Result<&'a str, String> {
    it.next()
        .map(String::as_str)
        .ok_or_else(|| format!("{flag} needs a value"))
}

fn number<T: std::str::FromStr>(s: &str, flag: &str) -> Result<T, String> {
    s.parse()
        .map_err(|_| format!("{flag} {s:?}: not a number in range"))
}

/// Parse the options after the subcommand.
pub(crate) fn parse(args: &[String]) -> Result<Options, String> {
    let mut port = None;
    let mut baud = 2400;
    let mut preset = None;
    let mut margin_ms = None;
    let mut o = Options {
        port: String::new(),
        baud,
        margin: Duration::millis(0),
        retries: None,
        probe_retries: None,
        echo: false,
        json: false,
        addr: None,
        new_address: None,
        force: false,
        first: 0,
        last: Address::MAX_PRIMARY,
        mask: SecondaryMask::ALL,
        no_reset: false,
        max_telegrams: None,
        quiet: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let flag = a.as_str();
        match flag {
            "--port" => port = Some(value(&mut it, flag)?.to_owned()),
            "--baud" => baud = number(value(&mut it, flag)?, flag)?,
            "--margin-ms" => margin_ms = Some(number::<u32>(value(&mut it, flag)?, flag)?),
            "--usb" => preset = Some(LineTiming::MARGIN_USB),
            "--gateway" => preset = Some(LineTiming::MARGIN_TCP),
            "--retries" => o.retries = Some(number(value(&mut it, flag)?, flag)?),
            "--probe-retries" => o.probe_retries = Some(number(value(&mut it, flag)?, flag)?),
            "--echo" => o.echo = true,
            "--json" => o.json = true,
            "--addr" => o.addr = Some(Target::parse(value(&mut it, flag)?)?),
            "--new" => {
                let n: u8 = number(value(&mut it, flag)?, flag)?;
                if n > Address::MAX_PRIMARY {
                    return Err(format!("--new {n}: a primary address is 0..=250"));
                }
                o.new_address = Some(n);
            }
            "--force" => o.force = true,
            "--first" => o.first = number(value(&mut it, flag)?, flag)?,
            "--last" => o.last = number(value(&mut it, flag)?, flag)?,
            "--mask" => {
                let s = value(&mut it, flag)?;
                o.mask = s.parse().map_err(|e| format!("--mask {s:?}: {e}"))?;
            }
            "--no-reset" => o.no_reset = true,
            "--max-telegrams" => {
                let n: u8 = number(value(&mut it, flag)?, flag)?;
                if n == 0 {
                    return Err("--max-telegrams must be at least 1".into());
                }
                o.max_telegrams = Some(n);
            }
            "--quiet" | "-q" => o.quiet = true,
            _ => return Err(format!("unknown option {flag:?}")),
        }
    }
    o.port = port.ok_or("--port DEV is required")?;
    // The same check the port adapter applies (300..=115200 Bd).
    LineSettings::new_8e1(baud).map_err(|e| format!("--baud: {e}"))?;
    o.baud = baud;
    // An explicit margin wins over a preset.
    o.margin = match (margin_ms, preset) {
        (Some(ms), _) => Duration::millis(u64::from(ms)),
        (None, Some(p)) => p,
        (None, None) => Duration::millis(0),
    };
    if o.first > o.last || o.last > Address::MAX_PRIMARY {
        return Err(format!(
            "--first {} --last {}: want first <= last <= 250",
            o.first, o.last
        ));
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn margins_presets_and_defaults() {
        let o = parse(&args("--port /dev/ttyUSB0")).unwrap();
        assert_eq!((o.baud, o.margin), (2400, Duration::millis(0)));
        assert_eq!((o.first, o.last), (0, 250));
        assert_eq!(o.mask, SecondaryMask::ALL);
        // A USB converter: libmbus's 150 ms on every receive timeout.
        let o = parse(&args("--port p --usb")).unwrap();
        assert_eq!(o.margin, Duration::millis(150));
        assert_eq!(
            o.master_config().timing.reply_timeout(),
            Duration::millis(338)
        );
        assert_eq!(
            parse(&args("--port p --gateway")).unwrap().margin,
            Duration::millis(2000)
        );
        // An explicit margin wins over a preset, in any order.
        let o = parse(&args("--margin-ms 40 --usb --port p --baud 9600")).unwrap();
        assert_eq!((o.baud, o.margin), (9600, Duration::millis(40)));
        let cfg = parse(&args("--port p --retries 0 --max-telegrams 3 --echo"))
            .unwrap()
            .master_config();
        assert_eq!((cfg.retries, cfg.max_telegrams, cfg.echo), (0, 3, true));
        assert_eq!(cfg.search_retries, MasterConfig::default().search_retries);
        let cfg = parse(&args("--port p --probe-retries 0"))
            .unwrap()
            .master_config();
        assert_eq!((cfg.search_retries, cfg.retries), (0, 2));
    }

    #[test]
    fn bad_options_say_what_is_wrong() {
        let err = |s: &str| parse(&args(s)).unwrap_err();
        assert!(err("--addr 5").contains("--port DEV is required"));
        assert!(err("--port p --baud 100").contains("--baud"));
        assert!(err("--port p --addr 251").contains("reserved"));
        assert!(err("--port p --addr x").contains("neither a primary address"));
        assert!(
            err("--port p --addr 12345678FFFFFFFG").contains("not a hex digit at character 15")
        );
        assert!(err("--port p --new 251").contains("0..=250"));
        assert!(err("--port p --first 9 --last 3").contains("first <= last"));
        assert!(err("--port p --max-telegrams 0").contains("at least 1"));
        assert!(err("--port p --baud").contains("needs a value"));
        assert!(err("--port p --frobnicate").contains("unknown option"));
        assert_eq!(
            Target::parse("254").unwrap(),
            Target::Primary(Address::BROADCAST_REPLY)
        );
        let t = Target::parse("00182007FFFFFFFF").unwrap();
        assert_eq!(t, Target::Secondary(SecondaryMask::id(0x0018_2007)));
        assert_eq!(t.label(), "00182007FFFFFFFF");
    }
}
