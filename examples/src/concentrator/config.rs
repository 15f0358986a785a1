//! The daemon's TOML configuration and its validation (errors carry file, line and what is
//! wrong).

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use concentrator_core::{
    ChannelId, ChannelKind, ControlAuth, LineSettings, Meter, MeterAddress, Protocol, ReadSet,
    Schedule,
};
use serde::Deserialize;
use toml::Spanned;

use crate::tls::{PemFiles, TlsClient, TlsError};

/// The whole file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    storage: StorageToml,
    control: Option<ControlToml>,
    clock: Option<ClockToml>,
    schedule: Option<ScheduleToml>,
    uplink: Option<UplinkToml>,
    #[serde(default)]
    channel: Vec<Spanned<ChannelToml>>,
    #[serde(default)]
    meter: Vec<Spanned<MeterToml>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageToml {
    path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ControlToml {
    socket: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockToml {
    utc_offset_min: Spanned<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleToml {
    curve_period_min: Option<u16>,
    daily_at: Option<Spanned<String>>,
    monthly_at: Option<Spanned<String>>,
    clock_sync_at: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UplinkToml {
    forward: Option<Spanned<String>>,
    master: Option<Spanned<String>>,
    area: Option<Spanned<String>>,
    terminal: Option<Spanned<String>>,
    heartbeat_s: Option<Spanned<u16>>,
    key: Option<Spanned<String>>,
    tls_ca: Option<Spanned<String>>,
    tls_cert: Option<Spanned<String>>,
    tls_key: Option<Spanned<String>>,
    tls_server_name: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelToml {
    id: u8,
    kind: String,
    device: String,
    baud: Option<u32>,
    response_timeout_ms: Option<u64>,
    tries: Option<u8>,
    master_address: Option<String>,
    required: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MeterToml {
    archive_no: u16,
    channel: u8,
    protocol: String,
    address: String,
    baud: Option<u32>,
    #[serde(default)]
    reads: Vec<String>,
    password: Option<String>,
    password_level: Option<u8>,
    operator: Option<String>,
    #[serde(default)]
    allow_clock_set: bool,
}

/// A configuration error: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file.
    pub file: PathBuf,
    /// The 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file.display(), l, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A config error before it is given the file: line and message.
type LineError = (Option<usize>, String);

/// `[uplink] forward`: the JSON-lines stand-in.
fn forward_of(
    u: &UplinkToml,
    at: &impl Fn(Range<usize>) -> Option<usize>,
    resolve: &impl Fn(&str) -> PathBuf,
) -> Result<Option<Uplink>, LineError> {
    let Some(fwd) = &u.forward else {
        return Ok(None);
    };
    let f = fwd.get_ref();
    if let Some(p) = f.strip_prefix("unix:") {
        Ok(Some(Uplink::Unix(resolve(p))))
    } else if let Some(a) = f.strip_prefix("tcp:") {
        Ok(Some(Uplink::Tcp(a.to_string())))
    } else {
        Err((
            at(fwd.span()),
            format!("uplink: forward '{f}' is neither unix:PATH nor tcp:HOST:PORT"),
        ))
    }
}

/// `[uplink] master` and the terminal's identity; `area`, `terminal` and `key` are required
/// with `master`, and meaningless without it.
fn master_of(
    u: &UplinkToml,
    at: &impl Fn(Range<usize>) -> Option<usize>,
    resolve: &impl Fn(&str) -> PathBuf,
) -> Result<Option<MasterLink>, LineError> {
    let Some(m) = &u.master else {
        for (name, v) in [
            ("area", &u.area),
            ("terminal", &u.terminal),
            ("key", &u.key),
            ("tls_ca", &u.tls_ca),
            ("tls_cert", &u.tls_cert),
            ("tls_key", &u.tls_key),
            ("tls_server_name", &u.tls_server_name),
        ] {
            if let Some(v) = v {
                return Err((at(v.span()), format!("uplink: {name} without master")));
            }
        }
        return Ok(None);
    };
    let Some(addr) = m.get_ref().strip_prefix("tcp:").filter(|a| a.contains(':')) else {
        return Err((
            at(m.span()),
            format!("uplink: master '{}' is not tcp:HOST:PORT", m.get_ref()),
        ));
    };
    let missing = |name: &str| (at(m.span()), format!("uplink: master needs {name}"));
    // A1 (area code) is BCD, A2 (terminal address) binary (Q/GDW 1376.1 clause 4.3.3.2):
    // both are written as the 4 hex digits the master station shows.
    let hex16 = |name: &str, v: &Spanned<String>, bcd: bool| {
        let s = v.get_ref();
        u16::from_str_radix(s, 16)
            .ok()
            .filter(|_| s.len() == 4 && (!bcd || s.bytes().all(|b| b.is_ascii_digit())))
            .ok_or_else(|| {
                (
                    at(v.span()),
                    format!(
                        "uplink: {name} '{s}' is not 4 {} digits",
                        if bcd { "decimal" } else { "hex" }
                    ),
                )
            })
    };
    let area = hex16(
        "area",
        u.area.as_ref().ok_or_else(|| missing("area"))?,
        true,
    )?;
    let terminal = hex16(
        "terminal",
        u.terminal.as_ref().ok_or_else(|| missing("terminal"))?,
        false,
    )?;
    if terminal == 0 {
        return Err((
            u.terminal.as_ref().and_then(|t| at(t.span())),
            "uplink: terminal 0000 is not a terminal address".into(),
        ));
    }
    let heartbeat_s = match &u.heartbeat_s {
        None => 60,
        Some(h) if (1..=3600).contains(h.get_ref()) => *h.get_ref(),
        Some(h) => {
            return Err((
                at(h.span()),
                format!("uplink: heartbeat_s {} outside 1..=3600", h.get_ref()),
            ));
        }
    };
    let k = u.key.as_ref().ok_or_else(|| missing("key"))?;
    let bytes: Option<Vec<u8>> = (k.get_ref().len() == 2 * qgdw1376_1::PW_LEN)
        .then(|| {
            (0..qgdw1376_1::PW_LEN)
                .map(|i| {
                    k.get_ref()
                        .get(2 * i..2 * i + 2)
                        .and_then(|b| u8::from_str_radix(b, 16).ok())
                })
                .collect()
        })
        .flatten();
    let key = bytes
        .and_then(|b| <[u8; qgdw1376_1::PW_LEN]>::try_from(b).ok())
        .ok_or_else(|| {
            (
                at(k.span()),
                format!("uplink: key is not {} hex digits", 2 * qgdw1376_1::PW_LEN),
            )
        })?;
    Ok(Some(MasterLink {
        master: addr.to_string(),
        area,
        terminal,
        heartbeat_s,
        key,
        tls: tls_of(u, at, resolve)?,
    }))
}

/// `[uplink] tls_ca`, `tls_cert`, `tls_key`, `tls_server_name`: all four or none; the files
/// are loaded here so a bad one is reported with its line.
fn tls_of(
    u: &UplinkToml,
    at: &impl Fn(Range<usize>) -> Option<usize>,
    resolve: &impl Fn(&str) -> PathBuf,
) -> Result<Option<UplinkTls>, LineError> {
    let keys = [
        ("tls_ca", &u.tls_ca),
        ("tls_cert", &u.tls_cert),
        ("tls_key", &u.tls_key),
        ("tls_server_name", &u.tls_server_name),
    ];
    let Some((first, given)) = keys.iter().find_map(|(n, v)| v.as_ref().map(|v| (n, v))) else {
        return Ok(None);
    };
    let missing: Vec<&str> = keys
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| *n)
        .collect();
    let (Some(ca), Some(cert), Some(key), Some(name)) =
        (&u.tls_ca, &u.tls_cert, &u.tls_key, &u.tls_server_name)
    else {
        return Err((
            at(given.span()),
            format!(
                "uplink: {first} needs {} too (TLS takes all four)",
                missing.join(", ")
            ),
        ));
    };
    let tls = UplinkTls {
        files: PemFiles {
            ca: resolve(ca.get_ref()),
            cert: resolve(cert.get_ref()),
            key: resolve(key.get_ref()),
        },
        server_name: name.get_ref().clone(),
    };
    // Which key's line a loading error belongs to.
    tls.client().map_err(|e| {
        let (key, v) = match &e {
            TlsError::ServerName(_) => ("tls_server_name", name),
            // The files load in the order CA, certificate, key.
            TlsError::Pem {
                what: "private key",
                ..
            } => ("tls_key", key),
            TlsError::Read { path, .. }
            | TlsError::Pem { path, .. }
            | TlsError::Rejected { path, .. }
                if *path == tls.files.ca =>
            {
                ("tls_ca", ca)
            }
            TlsError::Read { path, .. } | TlsError::Pem { path, .. } if *path == tls.files.cert => {
                ("tls_cert", cert)
            }
            _ => ("tls_key", key),
        };
        (at(v.span()), format!("uplink: {key}: {e}"))
    })?;
    Ok(Some(tls))
}

/// The uplink's TLS settings: the PEM files (paths resolved against the config's folder) and
/// the name the master station's certificate must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UplinkTls {
    /// CA, the concentrator's certificate chain and its key.
    pub files: PemFiles,
    /// DNS name or IP address in the master station's certificate.
    pub server_name: String,
}

impl UplinkTls {
    /// Loads the files and builds the client's TLS set-up.
    pub fn client(&self) -> Result<TlsClient, TlsError> {
        TlsClient::new(&self.files, &self.server_name)
    }
}

/// Where forwarded records go (the master station's stand-in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uplink {
    /// JSON lines over a Unix socket; the peer acknowledges each record.
    Unix(PathBuf),
    /// JSON lines over TCP; the peer acknowledges each record.
    Tcp(String),
}

/// The Q/GDW 1376.1 uplink as configured (`[uplink] master = "tcp:HOST:PORT"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterLink {
    /// `HOST:PORT` of the master station.
    pub master: String,
    /// Area code (administrative division, 4 BCD digits as written).
    pub area: u16,
    /// Terminal address (4 hex digits as written).
    pub terminal: u16,
    /// Heartbeat period, seconds.
    pub heartbeat_s: u16,
    /// The 16-byte PW key state-changing requests must carry.
    pub key: [u8; qgdw1376_1::PW_LEN],
    /// TLS with mutual authentication, when configured.
    pub tls: Option<UplinkTls>,
}

/// One channel as configured.
#[derive(Debug, Clone)]
pub struct Channel {
    /// Its index.
    pub id: ChannelId,
    /// Its kind.
    pub kind: ChannelKind,
    /// The serial device.
    pub device: String,
    /// Engine line settings (timeouts, tries).
    pub line: LineSettings,
    /// The carrier module's master address (6 BCD bytes, low first), carrier channels only.
    pub master_address: [u8; 6],
    /// Whether the daemon refuses to start without this device (default); `false` starts
    /// without it and keeps trying to open it.
    pub required: bool,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The SQLite database.
    pub storage: PathBuf,
    /// The operator socket.
    pub socket: Option<PathBuf>,
    /// Local time minus UTC, minutes (the meters' and schedules' calendar).
    pub utc_offset_min: i32,
    /// The reading schedule.
    pub schedule: Schedule,
    /// Forwarding target.
    pub uplink: Option<Uplink>,
    /// The Q/GDW 1376.1 master station to connect out to.
    pub master: Option<MasterLink>,
    /// The channels.
    pub channels: Vec<Channel>,
    /// The meter archive.
    pub meters: Vec<Meter>,
}

fn line_of(text: &str, span: Range<usize>) -> usize {
    text.get(..span.start)
        .map_or(1, |s| s.bytes().filter(|b| *b == b'\n').count() + 1)
}

fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// Parses `bytes` hex digits of a BCD string written most significant first (as printed on
/// the meter) into wire order (low byte first).
fn bcd_le<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        let k = 2 * (N - 1 - i);
        *o = u8::from_str_radix(s.get(k..k + 2)?, 16).ok()?;
    }
    Some(out)
}

fn read_flag(name: &str) -> Option<ReadSet> {
    Some(match name {
        "energy_import" => ReadSet::ENERGY_IMPORT,
        "energy_export" => ReadSet::ENERGY_EXPORT,
        "voltage" => ReadSet::VOLTAGE,
        "current" => ReadSet::CURRENT,
        "active_power" => ReadSet::ACTIVE_POWER,
        "power_factor" => ReadSet::POWER_FACTOR,
        "relay" => ReadSet::RELAY,
        "volume" => ReadSet::VOLUME,
        "daily_frozen" => ReadSet::DAILY_FROZEN,
        "monthly" => ReadSet::MONTHLY,
        "clock_check" => ReadSet::CLOCK_CHECK,
        _ => return None,
    })
}

impl Config {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            line: None,
            message: format!("cannot read: {e}"),
        })?;
        Config::parse(path, &text)
    }

    /// Validates `text`, the contents of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let at = |span: Range<usize>| Some(line_of(text, span));
        let err = |line: Option<usize>, message: String| ConfigError {
            file: path.to_path_buf(),
            line,
            message,
        };
        let raw: FileToml = toml::from_str(text).map_err(|e| {
            err(
                e.span().and_then(at),
                e.message().trim_end().replace('\n', "; ").to_string(),
            )
        })?;
        // Relative paths are relative to the config file's folder.
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |p: &str| base.join(p);

        let mut schedule = Schedule::OFF;
        if let Some(s) = &raw.schedule {
            let period = s.curve_period_min.unwrap_or(0);
            if ![0, 15, 30, 60].contains(&period) {
                return Err(err(
                    None,
                    format!("schedule: curve_period_min {period} is not 0, 15, 30 or 60"),
                ));
            }
            schedule.curve_period_min = period;
            let hhmm =
                |v: &Option<Spanned<String>>, what: &str| -> Result<Option<u16>, ConfigError> {
                    match v {
                        None => Ok(None),
                        Some(v) => parse_hhmm(v.get_ref()).map(Some).ok_or_else(|| {
                            err(
                                at(v.span()),
                                format!("schedule: {what} '{}' is not a time HH:MM", v.get_ref()),
                            )
                        }),
                    }
                };
            schedule.daily_at_min = hhmm(&s.daily_at, "daily_at")?;
            schedule.monthly_at_min = hhmm(&s.monthly_at, "monthly_at")?;
            schedule.clock_sync_at_min = hhmm(&s.clock_sync_at, "clock_sync_at")?;
        }

        let utc_offset_min = match &raw.clock {
            None => 0,
            Some(c) => {
                let v = *c.utc_offset_min.get_ref();
                if !(-720..=840).contains(&v) {
                    return Err(err(
                        at(c.utc_offset_min.span()),
                        format!("clock: utc_offset_min {v} outside -720..=840"),
                    ));
                }
                v
            }
        };

        let (uplink, master) = match &raw.uplink {
            None => (None, None),
            Some(u) => (
                forward_of(u, &at, &resolve).map_err(|(l, m)| err(l, m))?,
                master_of(u, &at, &resolve).map_err(|(l, m)| err(l, m))?,
            ),
        };

        let mut channels: Vec<Channel> = Vec::new();
        for c in &raw.channel {
            let span = at(c.span());
            let c = c.get_ref();
            if usize::from(c.id) >= concentrator_core::MAX_CHANNELS {
                return Err(err(
                    span,
                    format!(
                        "channel {}: id beyond the {} channels of the engine",
                        c.id,
                        concentrator_core::MAX_CHANNELS
                    ),
                ));
            }
            if channels.iter().any(|x| x.id.0 == c.id) {
                return Err(err(span, format!("channel {}: id used twice", c.id)));
            }
            let (kind, mut line) = match c.kind.as_str() {
                "rs485" => (ChannelKind::Rs485, LineSettings::DLT645_2400),
                "mbus" => (ChannelKind::Mbus, LineSettings::MBUS_2400),
                "carrier" => (ChannelKind::Carrier, LineSettings::CARRIER_9600),
                other => {
                    return Err(err(
                        span,
                        format!(
                            "channel {}: kind '{other}' is not rs485, mbus or carrier",
                            c.id
                        ),
                    ));
                }
            };
            if let Some(b) = c.baud {
                if rs485_link::LineSettings::new_8e1(b).is_err() {
                    return Err(err(
                        span,
                        format!("channel {}: baud {b} outside 300..=115200", c.id),
                    ));
                }
                line.baud = b;
            }
            if let Some(t) = c.response_timeout_ms {
                line.response_timeout = concentrator_core::Duration::millis(t);
            }
            if let Some(t) = c.tries {
                if t == 0 {
                    return Err(err(
                        span,
                        format!("channel {}: tries must be 1 or more", c.id),
                    ));
                }
                line.tries = t;
            }
            let master_address = match &c.master_address {
                None => [0x01, 0, 0, 0, 0, 0],
                Some(a) => bcd_le::<6>(a).ok_or_else(|| {
                    err(
                        span,
                        format!(
                            "channel {}: master_address '{a}' is not 12 decimal digits",
                            c.id
                        ),
                    )
                })?,
            };
            channels.push(Channel {
                id: ChannelId(c.id),
                kind,
                device: c.device.clone(),
                line,
                master_address,
                required: c.required.unwrap_or(true),
            });
        }

        let mut meters: Vec<Meter> = Vec::new();
        for m in &raw.meter {
            let span = at(m.span());
            let m = m.get_ref();
            let no = m.archive_no;
            if no == 0 {
                return Err(err(span, "meter: archive_no 0 is not allowed".into()));
            }
            if meters.iter().any(|x| x.archive_no == no) {
                return Err(err(span, format!("meter {no}: archive_no used twice")));
            }
            let Some(ch) = channels.iter().find(|c| c.id.0 == m.channel) else {
                return Err(err(
                    span,
                    format!("meter {no}: channel {} is not configured", m.channel),
                ));
            };
            let Some(&(_, protocol)) = PROTOCOLS.iter().find(|(name, _)| *name == m.protocol)
            else {
                return Err(err(
                    span,
                    format!(
                        "meter {no}: protocol '{}' is not dlt645-2007, dlt645-1997, \
                         mbus-primary or mbus-secondary",
                        m.protocol
                    ),
                ));
            };
            let fits = match ch.kind {
                ChannelKind::Mbus => !protocol.is_dlt645(),
                ChannelKind::Rs485 | ChannelKind::Carrier => protocol.is_dlt645(),
            };
            if !fits {
                return Err(err(
                    span,
                    format!(
                        "meter {no}: protocol {} cannot run on channel {} ({})",
                        m.protocol,
                        ch.id.0,
                        kind_name(ch.kind)
                    ),
                ));
            }
            let address = match protocol {
                Protocol::Dlt645_2007 | Protocol::Dlt645_1997 => bcd_le::<6>(&m.address)
                    .map(MeterAddress::Dlt645)
                    .ok_or_else(|| {
                        err(
                            span,
                            format!(
                                "meter {no}: address '{}' is not 12 decimal digits",
                                m.address
                            ),
                        )
                    })?,
                Protocol::MbusPrimary => match m.address.parse::<u8>() {
                    Ok(a @ 1..=250) => MeterAddress::MbusPrimary(a),
                    _ => {
                        return Err(err(
                            span,
                            format!(
                                "meter {no}: M-Bus primary address '{}' is not 1..=250",
                                m.address
                            ),
                        ));
                    }
                },
                Protocol::MbusSecondary => {
                    // Printed as id(8 digits) manufacturer(4 hex) version(2 hex) medium(2 hex).
                    secondary(&m.address)
                        .map(MeterAddress::MbusSecondary)
                        .ok_or_else(|| {
                            err(
                                span,
                                format!(
                                    "meter {no}: M-Bus secondary address '{}' is not 16 hex \
                                     digits (id, manufacturer, version, medium)",
                                    m.address
                                ),
                            )
                        })?
                }
            };
            let mut reads = ReadSet::empty();
            for r in &m.reads {
                reads |= read_flag(r).ok_or_else(|| {
                    err(
                        span,
                        format!(
                            "meter {no}: unknown read '{r}' (energy_import, energy_export, \
                                 voltage, current, active_power, power_factor, relay, volume, \
                                 daily_frozen, monthly, clock_check)"
                        ),
                    )
                })?;
            }
            let control = match (&m.password, &m.operator) {
                (None, None) => None,
                (Some(p), o) => {
                    let password = bcd_le::<3>(p).ok_or_else(|| {
                        err(
                            span,
                            format!("meter {no}: password '{p}' is not 6 decimal digits"),
                        )
                    })?;
                    let operator = match o {
                        None => [0; 4],
                        Some(o) => bcd_le::<4>(o).ok_or_else(|| {
                            err(
                                span,
                                format!("meter {no}: operator '{o}' is not 8 decimal digits"),
                            )
                        })?,
                    };
                    let level = m.password_level.unwrap_or(2);
                    if !matches!(level, 2 | 4) {
                        return Err(err(
                            span,
                            format!("meter {no}: password_level {level} is not 2 or 4"),
                        ));
                    }
                    Some(ControlAuth {
                        level,
                        password,
                        operator,
                    })
                }
                (None, Some(_)) => {
                    return Err(err(
                        span,
                        format!("meter {no}: operator given without a password"),
                    ));
                }
            };
            meters.push(Meter {
                archive_no: no,
                protocol,
                address,
                channel: ch.id,
                baud: m.baud,
                control,
                reads,
                allow_clock_set: m.allow_clock_set,
            });
        }

        Ok(Config {
            storage: resolve(&raw.storage.path),
            socket: raw.control.map(|c| resolve(&c.socket)),
            utc_offset_min,
            schedule,
            uplink,
            master,
            channels,
            meters,
        })
    }
}

fn secondary(s: &str) -> Option<[u8; 8]> {
    if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let id = bcd_le::<4>(s.get(..8)?)?;
    let man = u16::from_str_radix(s.get(8..12)?, 16).ok()?.to_le_bytes();
    let ver = u8::from_str_radix(s.get(12..14)?, 16).ok()?;
    let med = u8::from_str_radix(s.get(14..16)?, 16).ok()?;
    Some([id[0], id[1], id[2], id[3], man[0], man[1], ver, med])
}

/// The protocols as a meter's `protocol = "..."` names them.
const PROTOCOLS: [(&str, Protocol); 4] = [
    ("dlt645-2007", Protocol::Dlt645_2007),
    ("dlt645-1997", Protocol::Dlt645_1997),
    ("mbus-primary", Protocol::MbusPrimary),
    ("mbus-secondary", Protocol::MbusSecondary),
];

/// The config name of a protocol (`dlt645-2007`, ...).
pub fn protocol_name(p: Protocol) -> &'static str {
    PROTOCOLS
        .iter()
        .find(|(_, q)| *q == p)
        .map_or("unknown", |(name, _)| name)
}

/// The config name of a channel kind.
pub fn kind_name(k: ChannelKind) -> &'static str {
    match k {
        ChannelKind::Rs485 => "rs485",
        ChannelKind::Mbus => "mbus",
        ChannelKind::Carrier => "carrier",
    }
}
