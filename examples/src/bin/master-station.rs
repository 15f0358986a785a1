//! `master-station`: a Q/GDW 1376.1 master station. Accepts concentrators over TCP, keeps
//! their sessions (confirms logins and heartbeats) and runs commands read from standard
//! input, one per line; results are stored in SQLite and printed as text or `--json`.
//!
//! ```text
//! master-station --listen 0.0.0.0:9000 [--db master.sqlite] [--master 1] [--json]
//!                [--tls-ca CA.pem --tls-cert MASTER.pem --tls-key MASTER.key]
//! with the three --tls-* flags the concentrators connect over TLS and must present a
//! certificate signed by CA.pem; its subject is stored with the session's login (--db).
//! commands:
//!   list                                   logged-in concentrators
//!   wait-login AAAA:TTTT [SECONDS]         wait until it has logged in
//!   read AAAA:TTTT PN FN                   AFN 0C (F2 clock on p0, F25, F33, F129)
//!   frozen-day AAAA:TTTT PN YYYY-MM-DD     AFN 0D F161
//!   frozen-month AAAA:TTTT PN YYYY-MM      AFN 0D F177
//!   events AAAA:TTTT important|general PM PN   AFN 0E F1/F2
//!   forward AAAA:TTTT PORT HEX PW          AFN 10 F1
//!   pause | resume AAAA:TTTT PORT PW       AFN 05 F49/F50
//!   trip | allow-close AAAA:TTTT PN PW     AFN 05 F1/F2 (PW: 32 hex digits)
//!   time-set AAAA:TTTT YYYY-MM-DDTHH:MM:SS PW   AFN 05 F31
//!   report-allow | report-forbid AAAA:TTTT PW   AFN 05 F29 / F37 (active event reporting)
//!   archive-set AAAA:TTTT PW SERIAL:POINT:PORT:BAUD:PROTO:ADDR12:PW12 ...   AFN 04 F10
//!   archive-query AAAA:TTTT SERIAL ...     AFN 0A F10
//!   comm-set AAAA:TTTT PW RTS DELAY TIMEOUT RETRIES CONHEX HEARTBEAT   AFN 04 F1
//!                                          (RTS ×20 ms, DELAY and HEARTBEAT min, TIMEOUT s)
//!   erc-config-set AAAA:TTTT PW VALIDHEX IMPORTANTHEX   AFN 04 F9 (16 hex digits each,
//!                                          bit n-1 = ERCn)
//!   param-query AAAA:TTTT FN               AFN 0A FN (1 uplink parameters, 9 ERC config)
//!   results                                stored results
//!   reports [AAAA:TTTT]                    event records reported actively (needs --db)
//!   quit
//! ```

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use examples::master_station::{Command, Db, MasterStation, TerminalId, render_frames};
use examples::parse_hex;
use examples::tls::{PemFiles, TlsServer};
use qgdw1376_1::PW_LEN;
use qgdw1376_1::unit::{MeterEntry, MeterProtocol};
use qgdw1376_1::value::{Date, DateTime, Month};
use serde_json::json;

struct Args {
    listen: std::net::SocketAddr,
    db: Option<PathBuf>,
    master: u8,
    json: bool,
    tls_ca: Option<PathBuf>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        listen: "127.0.0.1:9000".parse().map_err(|e| format!("{e}"))?,
        db: None,
        master: 1,
        json: false,
        tls_ca: None,
        tls_cert: None,
        tls_key: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            "--listen" => {
                let v = it.next().ok_or("--listen needs ADDR:PORT")?;
                a.listen = v
                    .parse()
                    .map_err(|_| format!("--listen {v}: not ADDR:PORT"))?;
            }
            "--db" => a.db = Some(it.next().ok_or("--db needs a file")?.into()),
            "--master" => {
                let v = it.next().ok_or("--master needs 1-127")?;
                a.master = v
                    .parse()
                    .ok()
                    .filter(|m| (1..=127).contains(m))
                    .ok_or(format!("--master {v}: not 1-127"))?;
            }
            "--json" => a.json = true,
            "--tls-ca" => a.tls_ca = Some(it.next().ok_or("--tls-ca needs a PEM file")?.into()),
            "--tls-cert" => {
                a.tls_cert = Some(it.next().ok_or("--tls-cert needs a PEM file")?.into());
            }
            "--tls-key" => a.tls_key = Some(it.next().ok_or("--tls-key needs a PEM file")?.into()),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(a)
}

fn num<T: std::str::FromStr>(s: Option<&str>, what: &str) -> Result<T, String> {
    let s = s.ok_or(format!("missing {what}"))?;
    s.parse()
        .map_err(|_| format!("{what} '{s}' is not a number"))
}

fn pw(s: Option<&str>) -> Result<[u8; PW_LEN], String> {
    let b = parse_hex(s.ok_or("missing PW")?).map_err(|e| format!("PW: {e}"))?;
    <[u8; PW_LEN]>::try_from(b.as_slice()).map_err(|_| "PW must be 16 bytes (32 hex digits)".into())
}

fn date_parts(s: &str, n: usize) -> Result<Vec<u16>, String> {
    let v: Vec<u16> = s
        .split(['-', 'T', ':'])
        .map(|p| p.parse::<u16>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("'{s}' is not a date/time"))?;
    if v.len() != n || !(2000..=2099).contains(v.first().unwrap_or(&0)) {
        return Err(format!("'{s}': expected {n} fields, year 2000-2099"));
    }
    Ok(v)
}

fn yy(v: &[u16], i: usize) -> u8 {
    v.get(i).map_or(0, |x| u8::try_from(x % 100).unwrap_or(0))
}

fn entry(s: &str) -> Result<MeterEntry, String> {
    let f: Vec<&str> = s.split(':').collect();
    let [serial, point, port, baud, proto, addr, mpw] = f[..] else {
        return Err(format!(
            "entry '{s}': SERIAL:POINT:PORT:BAUD:PROTO:ADDR12:PW12"
        ));
    };
    let hex6 = |x: &str, what: &str| -> Result<[u8; 6], String> {
        let mut b = parse_hex(x).map_err(|e| format!("{what}: {e}"))?;
        b.reverse(); // written as printed (high byte first), stored low byte first
        <[u8; 6]>::try_from(b.as_slice()).map_err(|_| format!("{what} must be 12 hex digits"))
    };
    Ok(MeterEntry {
        serial: num(Some(serial), "serial")?,
        point: num(Some(point), "point")?,
        port: num(Some(port), "port")?,
        baud: num(Some(baud), "baud code")?,
        protocol: MeterProtocol::from_byte(num(Some(proto), "protocol")?),
        address: hex6(addr, "address")?,
        password: hex6(mpw, "password")?,
        tariffs: 4,
        digits: 0b1001,
        collector: [0; 6],
        class: 0,
    })
}

fn command(words: &[&str]) -> Result<Command, String> {
    let w = |i: usize| words.get(i).copied();
    Ok(match w(0) {
        Some("read") => Command::ReadNow {
            pn: num(w(2), "PN")?,
            fn_number: num(w(3), "FN")?,
        },
        Some("frozen-day") => {
            let d = date_parts(w(3).ok_or("missing date")?, 3)?;
            Command::FrozenDay {
                pn: num(w(2), "PN")?,
                date: Date {
                    year: yy(&d, 0),
                    month: yy(&d, 1),
                    day: yy(&d, 2),
                },
            }
        }
        Some("frozen-month") => {
            let d = date_parts(w(3).ok_or("missing month")?, 2)?;
            Command::FrozenMonth {
                pn: num(w(2), "PN")?,
                month: Month {
                    year: yy(&d, 0),
                    month: yy(&d, 1),
                },
            }
        }
        Some("events") => Command::Events {
            important: match w(2) {
                Some("important") => true,
                Some("general") => false,
                _ => return Err("events: important or general".into()),
            },
            pm: num(w(3), "PM")?,
            pn: num(w(4), "PN")?,
        },
        Some("forward") => Command::Forward {
            port: num(w(2), "PORT")?,
            frame: parse_hex(w(3).ok_or("missing frame")?).map_err(|e| format!("frame: {e}"))?,
            pw: pw(w(4))?,
        },
        Some(c @ ("pause" | "resume")) => Command::PortControl {
            port: num(w(2), "PORT")?,
            pause: c == "pause",
            pw: pw(w(3))?,
        },
        Some("trip") => Command::Trip {
            pn: num(w(2), "PN")?,
            pw: pw(w(3))?,
        },
        Some("allow-close") => Command::AllowClose {
            pn: num(w(2), "PN")?,
            pw: pw(w(3))?,
        },
        Some("report-allow" | "report-forbid") => Command::Reporting {
            allow: w(0) == Some("report-allow"),
            pw: pw(w(2))?,
        },
        Some("time-set") => {
            let d = date_parts(w(2).ok_or("missing time")?, 6)?;
            Command::SetTime {
                time: DateTime {
                    year: yy(&d, 0),
                    month: yy(&d, 1),
                    day: yy(&d, 2),
                    hour: yy(&d, 3),
                    minute: yy(&d, 4),
                    second: yy(&d, 5),
                    weekday: 0,
                },
                pw: pw(w(3))?,
            }
        }
        Some("archive-set") => Command::ArchiveSet {
            pw: pw(w(2))?,
            entries: words
                .iter()
                .skip(3)
                .map(|s| entry(s))
                .collect::<Result<_, _>>()?,
        },
        Some("archive-query") => Command::ArchiveQuery {
            serials: words
                .iter()
                .skip(2)
                .map(|s| num(Some(s), "serial"))
                .collect::<Result<_, _>>()?,
        },
        Some("comm-set") => {
            let hex8 = |s: Option<&str>| {
                u8::from_str_radix(s.ok_or("missing CONHEX")?, 16)
                    .map_err(|_| "CONHEX: 2 hex digits".to_string())
            };
            Command::CommParamsSet {
                pw: pw(w(2))?,
                params: qgdw1376_1::unit::CommParams {
                    rts_delay: num(w(3), "RTS")?,
                    report_delay: num(w(4), "DELAY")?,
                    timeout: num(w(5), "TIMEOUT")?,
                    retries: num(w(6), "RETRIES")?,
                    confirm: qgdw1376_1::unit::ConfirmClasses::from_bits_retain(hex8(w(7))?),
                    heartbeat: num(w(8), "HEARTBEAT")?,
                },
            }
        }
        Some("erc-config-set") => {
            let hex64 = |s: Option<&str>, what: &str| {
                u64::from_str_radix(s.ok_or(format!("missing {what}"))?, 16)
                    .map_err(|_| format!("{what}: up to 16 hex digits"))
            };
            Command::EventConfigSet {
                pw: pw(w(2))?,
                config: qgdw1376_1::unit::EventConfig {
                    valid: hex64(w(3), "VALIDHEX")?,
                    important: hex64(w(4), "IMPORTANTHEX")?,
                },
            }
        }
        Some("param-query") => Command::ParamsQuery {
            fn_number: num(w(2), "FN")?,
        },
        Some(other) => return Err(format!("unknown command '{other}'")),
        None => return Err("empty command".into()),
    })
}

fn run() -> Result<(), String> {
    let mut a = args()?;
    let db = match &a.db {
        Some(p) => Some(Db::open(p).map_err(|e| format!("{}: {e}", p.display()))?),
        None => None,
    };
    let tls = match (a.tls_ca.take(), a.tls_cert.take(), a.tls_key.take()) {
        (None, None, None) => None,
        (Some(ca), Some(cert), Some(key)) => {
            Some(TlsServer::new(&PemFiles { ca, cert, key }).map_err(|e| format!("TLS: {e}"))?)
        }
        _ => return Err("--tls-ca, --tls-cert and --tls-key go together".into()),
    };
    let secure = tls.is_some();
    let ms = match tls {
        None => MasterStation::start(a.listen, db, a.master),
        Some(tls) => MasterStation::start_tls(a.listen, db, a.master, tls),
    }
    .map_err(|e| format!("listen {}: {e}", a.listen))?;
    let report_db = match &a.db {
        Some(p) => Some(Db::open(p).map_err(|e| format!("{}: {e}", p.display()))?),
        None => None,
    };
    // The address stays the last word (scripts and tests read it).
    eprintln!(
        "master-station {}listening on {}",
        if secure {
            "(TLS, client certificates required) "
        } else {
            ""
        },
        ms.local_addr()
    );
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| format!("stdin: {e}"))?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let out = match words.first().copied() {
            None => continue,
            Some("quit") => break,
            Some("list") => {
                let t = ms.terminals();
                if a.json {
                    json!(t.iter().map(|i| json!({"terminal": i.id.to_string(), "heartbeats": i.heartbeats})).collect::<Vec<_>>()).to_string()
                } else {
                    t.iter()
                        .map(|i| format!("{}  heartbeats {}", i.id, i.heartbeats))
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            }
            Some("results") => match &report_db {
                Some(db) => {
                    let rows = db.results().map_err(|e| format!("db: {e}"))?;
                    rows.iter()
                        .map(|(t, c, j)| format!("{t}\t{c}\t{j}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                }
                None => "error: no --db".into(),
            },
            Some("reports") => match (
                &report_db,
                words.get(1).map(|s| s.parse::<TerminalId>()).transpose(),
            ) {
                (None, _) => "error: no --db".into(),
                (_, Err(e)) => format!("error: {e}"),
                (Some(db), Ok(t)) => {
                    let rows = db.events(t).map_err(|e| format!("db: {e}"))?;
                    if a.json {
                        serde_json::to_value(&rows)
                            .map_err(|e| format!("json: {e}"))?
                            .to_string()
                    } else {
                        rows.iter()
                            .map(|r| {
                                format!(
                                    "{}\t{}\t{}\tERC{}\t{}",
                                    r.terminal,
                                    if r.class == 1 { "important" } else { "general" },
                                    r.ptr,
                                    r.erc,
                                    r.record.get("body").unwrap_or(&serde_json::Value::Null)
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("\n")
                    }
                }
            },
            Some("wait-login") => {
                let t: Result<TerminalId, String> = words
                    .get(1)
                    .ok_or("missing terminal".to_string())
                    .and_then(|s| s.parse());
                match t {
                    Ok(t) => {
                        let secs: u64 = words.get(2).and_then(|s| s.parse().ok()).unwrap_or(30);
                        let end = Instant::now() + Duration::from_secs(secs);
                        while Instant::now() < end && !ms.terminals().iter().any(|i| i.id == t) {
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        if ms.terminals().iter().any(|i| i.id == t) {
                            format!("{t} logged in")
                        } else {
                            format!("error: {t} did not log in within {secs} s")
                        }
                    }
                    Err(e) => format!("error: {e}"),
                }
            }
            Some(_) => {
                let to = words
                    .get(1)
                    .ok_or("missing terminal".to_string())
                    .and_then(|s| s.parse::<TerminalId>());
                match (to, command(&words)) {
                    (Ok(to), Ok(c)) => match ms.request(to, &c) {
                        Ok(frames) => {
                            let v = render_frames(&frames);
                            if a.json { v.to_string() } else { text(&v) }
                        }
                        Err(e) => format!("error: {e}"),
                    },
                    (Err(e), _) | (_, Err(e)) => format!("error: {e}"),
                }
            }
        };
        println!("{out}");
    }
    Ok(())
}

/// A table: one line per unit, `pn  Fn  value`.
fn text(v: &serde_json::Value) -> String {
    let afn = v["afn"].as_u64().unwrap_or(0);
    let mut lines = vec![format!("AFN {afn:02X}  frames {}", v["frames"])];
    if let Some(units) = v["units"].as_array() {
        for u in units {
            let value = match &u["value"] {
                serde_json::Value::Object(o) if o.contains_key("forward_active") => {
                    o["forward_active"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .map(|q| match (q["mantissa"].as_i64(), q["exponent"].as_i64()) {
                                    (Some(m), Some(e)) => {
                                        format!("{m}e{e} {}", q["unit"].as_str().unwrap_or(""))
                                    }
                                    _ => "--".into(),
                                })
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .unwrap_or_default()
                }
                other => other.to_string(),
            };
            lines.push(format!("p{:<4} F{:<4} {value}", u["pn"], u["fn"]));
        }
    }
    lines.join("\n")
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("master-station: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PW: &str = "000102030405060708090a0b0c0d0e0f";

    #[test]
    fn parameter_commands_build_the_units_of_the_vectors() {
        // comm-set with vector U05's parameters: RTS 10, delay 20, 798 s, 0 retries, CON 07,
        // heartbeat 15 min; the data unit is U05's `0A 14 1E 03 07 0F` after DA p0, DT F1.
        let c = command(&[
            "comm-set",
            "0200:1234",
            PW,
            "10",
            "20",
            "798",
            "0",
            "07",
            "15",
        ])
        .unwrap();
        let b = c.build().unwrap();
        assert_eq!(b.afn, qgdw1376_1::Afn::SetParameters);
        assert_eq!(
            b.units,
            [0, 0, 0x01, 0x00, 0x0A, 0x14, 0x1E, 0x03, 0x07, 0x0F]
        );
        assert!(b.pw.is_some());
        // erc-config-set: ERC31 recorded (bit 30), none important; little-endian words.
        let c = command(&["erc-config-set", "0200:1234", PW, "40000000", "0"]).unwrap();
        let b = c.build().unwrap();
        assert_eq!(&b.units[..4], [0, 0, 0x01, 0x01]); // DT F9: group 1, bit 0
        assert_eq!(&b.units[4..12], [0, 0, 0, 0x40, 0, 0, 0, 0]);
        assert_eq!(&b.units[12..], [0; 8]);
        let b = command(&["param-query", "0200:1234", "9"])
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(
            (b.afn, b.code, b.pw),
            (qgdw1376_1::Afn::QueryParameters, 11, None)
        );
        assert_eq!(b.units, [0, 0, 0x01, 0x01]);
        // Out of range: retries 4 does not fit D12–D13, a typed error.
        let c = command(&[
            "comm-set",
            "0200:1234",
            PW,
            "10",
            "20",
            "798",
            "4",
            "07",
            "15",
        ])
        .unwrap();
        assert!(c.build().unwrap_err().contains("encode"));
        assert!(command(&["erc-config-set", "0200:1234", PW, "xyz", "0"]).is_err());
    }
}
