//! `concentrator demo`: the whole concentrator on pseudo-terminals, no hardware. Simulated
//! DL/T 645 meters on two RS-485 buses, M-Bus water meters, and a carrier module with meters
//! behind it; one reading round with progress, a table of readings, a real-time read, a
//! remote switch off and on with the relay state read back, a clock sync, then a Q/GDW 1376.1
//! master station on loopback that the concentrator logs in to: it reads a meter (AFN 0C
//! F129) and switches another (05 F1 trip with a wrong then the right PW, 05 F2 allow close)
//! through the concentrator, and where the SQLite databases are.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration as StdDuration, Instant as StdInstant};

use crate::mbus_sim::{self, MbusSim, MbusSimConfig, SlaveConfig};
use crate::meter_sim::{self, Fault, MeterConfig, MeterSim, SimConfig};
use crate::plc_sim::{self, PlcModuleSim, SimMeter};
use crate::pty::Pty;
use concentrator_core::{Item, SwitchAction, Task};
use dlt645::{Address, Edition};
use rs485_link::LineSettings;
use serde_json::Value as Json;
use serialport::{SerialPort, TTYPort};

use crate::concentrator::config::Config;
use crate::concentrator::daemon::{self, Daemon, Request};
use crate::concentrator::json::decimal_str;
use crate::concentrator::ops::Progress;
use crate::master_station::{Command, Db, MasterStation, TerminalId, render_frames};
use concentrator_core::Decimal;
use qgdw1376_1::PW_LEN;

/// The terminal address the demo's concentrator logs in with (area 0200, terminal 1234).
const TERMINAL: &str = "0200:1234";
/// The PW key of the demo's `[uplink]` section (hex 00 01 .. 0F).
const KEY: [u8; PW_LEN] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

fn addr(n: u64) -> Result<Address, String> {
    Address::from_number(n).ok_or_else(|| format!("bad address {n}"))
}

fn ms_since(origin: StdInstant) -> u64 {
    u64::try_from(origin.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The carrier module simulator on the master end of a pty: bytes in, due frames out.
fn spawn_carrier(
    mut port: TTYPort,
    mut sim: PlcModuleSim,
    origin: StdInstant,
    stop: Arc<AtomicBool>,
) -> JoinHandle<()> {
    thread::spawn(move || {
        let _ = port.set_timeout(StdDuration::from_millis(10));
        let mut buf = [0u8; 512];
        while !stop.load(Ordering::Relaxed) {
            let now = qgdw1376_2::session::Instant::from_ticks(ms_since(origin));
            match port.read(&mut buf) {
                Ok(n) if n > 0 => sim.handle_received(buf.get(..n).unwrap_or_default(), now),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => return,
            }
            let now = qgdw1376_2::session::Instant::from_ticks(ms_since(origin));
            while let Some(f) = sim.poll_transmit(now) {
                if port.write_all(&f).and_then(|()| port.flush()).is_err() {
                    return;
                }
            }
        }
    })
}

/// A DL/T 645 meter behind the carrier module, answering through its own simulator.
fn plc_meter(n: u64, hops: u8, origin: StdInstant) -> Result<SimMeter, String> {
    let a = addr(n)?;
    let mut sim = MeterSim::new(SimConfig::new(vec![MeterConfig::new(a, Edition::V2007)]));
    Ok(SimMeter {
        address: qgdw1376_2::Address(a.0),
        hops,
        phase: 1,
        responder: Box::new(move |req: &[u8]| {
            let now = rs485_link::Instant::from_ticks(ms_since(origin));
            sim.handle(req, now).map(|r| r.bytes)
        }),
    })
}

fn meter_toml(out: &mut String, no: u16, ch: u8, protocol: &str, address: &str, reads: &str) {
    let _ = write!(
        out,
        "\n[[meter]]\narchive_no = {no}\nchannel = {ch}\nprotocol = \"{protocol}\"\n\
         address = \"{address}\"\nreads = [{reads}]\npassword = \"000000\"\noperator = \"00000000\"\n"
    );
}

fn value_text(r: &Json) -> String {
    let s = |k: &str| r.get(k).and_then(Json::as_str).unwrap_or("");
    match r.get("value").and_then(Json::as_str) {
        Some(v) => format!("{v} {}", s("unit")),
        None => "-".into(),
    }
}

/// A table of the readings in the store (newest reading per meter, item and part).
fn table(rows: &[Json], cfg: &Config) -> String {
    let mut latest: Vec<&Json> = Vec::new();
    for r in rows {
        let key = |x: &Json| {
            (
                x.get("meter").cloned(),
                x.get("item").cloned(),
                x.get("part").cloned(),
            )
        };
        if let Some(slot) = latest.iter_mut().find(|x| key(x) == key(r)) {
            *slot = r;
        } else {
            latest.push(r);
        }
    }
    latest.sort_by_key(|r| r.get("meter").and_then(Json::as_u64).unwrap_or(0));
    let mut out = format!(
        "{:>5}  {:<8} {:<16} {:<15} {:>18}  {}\n",
        "meter", "channel", "protocol", "item", "value", "quality"
    );
    for r in latest {
        let no = r.get("meter").and_then(Json::as_u64).unwrap_or(0);
        let m = cfg.meters.iter().find(|m| u64::from(m.archive_no) == no);
        let ch = m.and_then(|m| cfg.channels.iter().find(|c| c.id == m.channel));
        let item = r.get("item").and_then(Json::as_str).unwrap_or("");
        let part = r.get("part").and_then(Json::as_u64).unwrap_or(0);
        let item = if item.ends_with(":all") {
            format!(
                "{} {}",
                item.trim_end_matches(":all"),
                ["A", "B", "C"].get(part as usize).unwrap_or(&"?")
            )
        } else {
            item.to_string()
        };
        let _ = writeln!(
            out,
            "{no:>5}  {:<8} {:<16} {item:<15} {:>18}  {}",
            ch.map_or(String::new(), |c| format!(
                "{} {}",
                c.id.0,
                crate::concentrator::config::kind_name(c.kind)
            )),
            m.map_or("", |m| crate::concentrator::config::protocol_name(
                m.protocol
            )),
            value_text(r),
            r.get("quality").and_then(Json::as_str).unwrap_or("")
        );
    }
    out
}

fn ask(d: &Daemon, req: Request) -> Result<Json, String> {
    let progress = Progress::new();
    let a = d.ask(req, "demo", |p| progress.show(p))?;
    progress.finish();
    if a.get("ok").and_then(Json::as_bool) != Some(true) {
        return Err(a
            .get("error")
            .and_then(Json::as_str)
            .unwrap_or("refused")
            .to_string());
    }
    Ok(a)
}

fn reading_text(a: &Json) -> String {
    let rs = a
        .get("readings")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let texts: Vec<String> = rs
        .iter()
        .map(|r| {
            let v = r.get("value");
            let t = v
                .and_then(|v| {
                    v.get("text")
                        .or_else(|| v.get("time"))
                        .or_else(|| v.get("relay"))
                })
                .and_then(Json::as_str)
                .unwrap_or("-");
            let u = v
                .and_then(|v| v.get("unit"))
                .and_then(Json::as_str)
                .unwrap_or("");
            format!("{t} {u}").trim().to_string()
        })
        .collect();
    let outcome = a
        .get("result")
        .and_then(|r| r.get("outcome"))
        .and_then(Json::as_str)
        .unwrap_or("?");
    if texts.is_empty() {
        outcome.to_string()
    } else {
        format!("{} ({outcome})", texts.join(", "))
    }
}

/// An exact A.xx value of a rendered data unit as text (`-` for no data, EE).
fn exact_text(v: &Json) -> String {
    match (
        v.get("mantissa").and_then(Json::as_i64),
        v.get("exponent").and_then(Json::as_i64),
    ) {
        (Some(m), Some(e)) => {
            i8::try_from(e).map_or_else(|_| "-".to_string(), |e| decimal_str(Decimal::new(m, e)))
        }
        _ => "-".to_string(),
    }
}

/// What a control reply says: AFN 00 F1 confirmed, F2 denied.
fn confirm_text(frames: &[Vec<u8>]) -> String {
    let v = render_frames(frames);
    match (
        v.get("afn").and_then(Json::as_u64),
        v.pointer("/units/0/fn").and_then(Json::as_u64),
    ) {
        (Some(0), Some(1)) => "confirmed (AFN 00 F1)".into(),
        (Some(0), Some(2)) => "denied (AFN 00 F2)".into(),
        _ => format!("unexpected reply {v}"),
    }
}

/// The master station reads a meter and switches another through the concentrator's
/// Q/GDW 1376.1 uplink, with a wrong and then the right PW.
fn master_station(d: &Daemon, ms: &MasterStation) -> Result<(), String> {
    println!(
        "\n== master station (Q/GDW 1376.1 over TCP, {}) ==",
        ms.local_addr()
    );
    let t: TerminalId = TERMINAL.parse()?;
    let end = StdInstant::now() + StdDuration::from_secs(15);
    while !ms.terminals().iter().any(|i| i.id == t) {
        if StdInstant::now() > end {
            return Err(format!(
                "the concentrator {t} did not log in to the master station"
            ));
        }
        thread::sleep(StdDuration::from_millis(20));
    }
    println!("concentrator {t} logged in (AFN 02 F1)");
    let read = ms
        .request(
            t,
            &Command::ReadNow {
                pn: 1,
                fn_number: 129,
            },
        )
        .map_err(|e| e.to_string())?;
    let v = render_frames(&read);
    let part = |i: usize| {
        v.pointer(&format!("/units/0/value/forward_active/{i}"))
            .map_or_else(|| "-".to_string(), exact_text)
    };
    let tariffs: Vec<String> = (1..=4).map(part).collect();
    println!(
        "AFN 0C F129 p1 (meter 1): forward active {} kWh, tariffs {} kWh",
        part(0),
        tariffs.join(" / ")
    );
    let relay = |d: &Daemon| -> Result<String, String> {
        let r = ask(
            d,
            Request::Read {
                meter: 2,
                item: Item::RelayState,
            },
        )?;
        Ok(reading_text(&r))
    };
    for (what, command) in [
        (
            "AFN 05 F1 trip p2 with a wrong PW",
            Command::Trip {
                pn: 2,
                pw: [0xAA; PW_LEN],
            },
        ),
        (
            "AFN 05 F1 trip p2 with the right PW",
            Command::Trip { pn: 2, pw: KEY },
        ),
        (
            "AFN 05 F2 allow close p2",
            Command::AllowClose { pn: 2, pw: KEY },
        ),
    ] {
        let reply = ms.request(t, &command).map_err(|e| e.to_string())?;
        println!("{what}: {}; relay {}", confirm_text(&reply), relay(d)?);
    }
    Ok(())
}

/// Run the demo in `dir` (a fresh temporary folder when `None`).
pub fn run(dir: Option<PathBuf>) -> Result<(), String> {
    let started = StdInstant::now();
    let dir = dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("concentrator-demo-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let db = dir.join("concentrator.db");
    for f in [
        "concentrator.db",
        "concentrator.db-wal",
        "concentrator.db-shm",
    ] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let origin = StdInstant::now();
    let quiet = || -> crate::sim_port::Logger { Box::new(|_| {}) };
    println!("== concentrator demo: simulated meters on pseudo-terminals ==");

    // RS-485 bus 0: three DL/T 645-2007 meters.
    let bus0 = Pty::open().map_err(|e| e.to_string())?;
    let dev0 = bus0.slave_path().to_string();
    let Pty {
        master: m0,
        slave: _s0,
        ..
    } = bus0;
    // The meters' clocks start at the system's time; meter 3 runs 90 s fast (the clock
    // sync's broadcast corrects it: within the ±5 min a meter accepts, notes §1.15).
    let bus = |meters| SimConfig {
        start_time_s: daemon::system_secs_since_2000(),
        ..SimConfig::new(meters)
    };
    let sim0 = MeterSim::new(bus(vec![
        MeterConfig::new(addr(1001)?, Edition::V2007),
        MeterConfig {
            power_w: 3_500,
            ..MeterConfig::new(addr(1002)?, Edition::V2007)
        },
        MeterConfig {
            energy_wh: 12_345_670,
            ..MeterConfig::new(addr(1003)?, Edition::V2007)
        }
        .with_fault(Fault::ClockDrift {
            offset_s: 90,
            per_hour_s: 0,
        }),
    ]));
    let _h0 = meter_sim::spawn(m0, LineSettings::DLT645_2400, sim0, quiet());
    // RS-485 bus 1: a 2007 meter, a 1997 meter, and a 2007 meter that stays silent.
    let bus1 = Pty::open().map_err(|e| e.to_string())?;
    let dev1 = bus1.slave_path().to_string();
    let Pty {
        master: m1,
        slave: _s1,
        ..
    } = bus1;
    let sim1 = MeterSim::new(bus(vec![
        MeterConfig::new(addr(2001)?, Edition::V2007),
        MeterConfig::new(addr(2002)?, Edition::V1997),
        MeterConfig::new(addr(2003)?, Edition::V2007).with_fault(Fault::Silence),
    ]));
    let _h1 = meter_sim::spawn(m1, LineSettings::DLT645_2400, sim1, quiet());
    // M-Bus: two water meters.
    let bus2 = Pty::open().map_err(|e| e.to_string())?;
    let dev2 = bus2.slave_path().to_string();
    let Pty {
        master: m2,
        slave: _s2,
        ..
    } = bus2;
    let slaves = vec![
        SlaveConfig::built(5, 12_345_678, "ABC", 0x07, &[1_234_567]).map_err(|e| e.to_string())?,
        SlaveConfig::built(6, 12_345_679, "ABC", 0x07, &[89_012]).map_err(|e| e.to_string())?,
    ];
    let _h2 = mbus_sim::spawn(
        m2,
        LineSettings::MBUS_2400,
        MbusSim::new(MbusSimConfig::new(slaves)),
        quiet(),
    );
    // The carrier module with three meters behind it, one and two hops away.
    let bus3 = Pty::open().map_err(|e| e.to_string())?;
    let dev3 = bus3.slave_path().to_string();
    let Pty {
        master: m3,
        slave: _s3,
        ..
    } = bus3;
    let module = PlcModuleSim::new(
        plc_sim::SimConfig::hplc(),
        vec![
            plc_meter(3001, 1, origin)?,
            plc_meter(3002, 1, origin)?,
            plc_meter(3003, 2, origin)?,
        ],
        qgdw1376_2::session::Instant::from_ticks(ms_since(origin)),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let carrier = spawn_carrier(m3, module, origin, Arc::clone(&stop));

    // The master station, on loopback: the concentrator connects out to it.
    let master_db = dir.join("master.db");
    let _ = std::fs::remove_file(&master_db);
    let mdb = Db::open(&master_db).map_err(|e| format!("{}: {e}", master_db.display()))?;
    let ms = MasterStation::start(([127, 0, 0, 1], 0).into(), Some(mdb), 1)
        .map_err(|e| format!("master station: {e}"))?;

    // The configuration, written as a file like an installation's.
    let key_hex: String = KEY.iter().map(|b| format!("{b:02x}")).collect();
    let mut toml = format!(
        "[storage]\npath = \"concentrator.db\"\n[control]\nsocket = \"concentrator.sock\"\n\
         [uplink]\nmaster = \"tcp:{}\"\narea = \"0200\"\nterminal = \"1234\"\n\
         heartbeat_s = 60\nkey = \"{key_hex}\"\n",
        ms.local_addr()
    );
    for (id, kind, dev, baud) in [
        (0, "rs485", &dev0, 2400),
        (1, "rs485", &dev1, 2400),
        (2, "mbus", &dev2, 2400),
        (3, "carrier", &dev3, 9600),
    ] {
        let _ = write!(
            toml,
            "\n[[channel]]\nid = {id}\nkind = \"{kind}\"\ndevice = \"{dev}\"\nbaud = {baud}\n"
        );
    }
    let elec = "\"energy_import\", \"voltage\", \"active_power\", \"clock_check\"";
    meter_toml(&mut toml, 1, 0, "dlt645-2007", "000000001001", elec);
    meter_toml(&mut toml, 2, 0, "dlt645-2007", "000000001002", elec);
    meter_toml(&mut toml, 3, 0, "dlt645-2007", "000000001003", elec);
    meter_toml(&mut toml, 4, 1, "dlt645-2007", "000000002001", elec);
    meter_toml(
        &mut toml,
        5,
        1,
        "dlt645-1997",
        "000000002002",
        "\"energy_import\", \"clock_check\"",
    );
    meter_toml(&mut toml, 6, 1, "dlt645-2007", "000000002003", elec);
    meter_toml(&mut toml, 7, 2, "mbus-primary", "5", "\"volume\"");
    meter_toml(
        &mut toml,
        8,
        2,
        "mbus-secondary",
        "1234567904430107",
        "\"volume\"",
    );
    meter_toml(
        &mut toml,
        9,
        3,
        "dlt645-2007",
        "000000003001",
        "\"energy_import\"",
    );
    meter_toml(
        &mut toml,
        10,
        3,
        "dlt645-2007",
        "000000003002",
        "\"energy_import\"",
    );
    meter_toml(
        &mut toml,
        11,
        3,
        "dlt645-2007",
        "000000003003",
        "\"energy_import\"",
    );
    let cfg_path = dir.join("concentrator.toml");
    std::fs::write(&cfg_path, &toml).map_err(|e| e.to_string())?;
    let cfg = Config::load(&cfg_path).map_err(|e| e.to_string())?;
    println!(
        "buses: RS-485 {dev0} (3 meters), RS-485 {dev1} (3 meters, one silent), M-Bus {dev2} (2 water meters:\n       one read by primary, one by secondary address),\n       carrier module {dev3} (3 meters behind it, 1-2 relay hops)"
    );
    println!("config: {}", cfg_path.display());

    let log_path = dir.join("daemon.log");
    let mut log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
    let mut uplink_log = log.try_clone().map_err(|e| e.to_string())?;
    let d = daemon::start(
        cfg.clone(),
        Box::new(move |l| {
            let _ = writeln!(log, "{l}");
        }),
    )?;
    // The Q/GDW 1376.1 uplink thread, as `concentrator run` starts it.
    let master = cfg
        .master
        .as_ref()
        .ok_or("the demo config has no [uplink] master")?;
    let uplink = crate::concentrator::uplink::spawn(
        master,
        d.tx.clone(),
        d.clock.clone(),
        Box::new(move |l| {
            let _ = writeln!(uplink_log, "{l}");
        }),
    )?;

    println!("\n== reading round (load curve: energy, voltages, power, volumes) ==");
    let round = ask(&d, Request::Round(Task::LoadCurve))?;
    let r = round.get("result").cloned().unwrap_or_default();
    println!(
        "round done: {} meters, {} read, {} failed",
        r.get("meters").unwrap_or(&Json::Null),
        r.get("read").unwrap_or(&Json::Null),
        r.get("failed").unwrap_or(&Json::Null)
    );
    let export = ask(&d, Request::Export { meter: None })?;
    let rows = export
        .get("readings")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    println!("\n{}", table(&rows, &cfg));
    for m in &cfg.meters {
        let read = rows
            .iter()
            .any(|r| r.get("meter").and_then(Json::as_u64) == Some(u64::from(m.archive_no)));
        if !read {
            println!(
                "meter {}: no answer after every try (alarm: meter offline)",
                m.archive_no
            );
        }
    }
    println!();

    println!("== real-time read ==");
    let a = ask(
        &d,
        Request::Read {
            meter: 1,
            item: Item::ActiveEnergyImport { tariff: 0 },
        },
    )?;
    println!(
        "meter 1 (000000001001) forward active energy: {}",
        reading_text(&a)
    );

    println!("\n== remote switch ==");
    for action in [SwitchAction::Off, SwitchAction::On] {
        let a = ask(&d, Request::Switch { meter: 2, action })?;
        let r = ask(
            &d,
            Request::Read {
                meter: 2,
                item: Item::RelayState,
            },
        )?;
        println!(
            "meter 2 switch {}: {}; relay now {}",
            if action == SwitchAction::Off {
                "off"
            } else {
                "on"
            },
            reading_text(&a),
            reading_text(&r)
        );
    }

    println!("\n== clock sync (broadcast time, then each meter's clock checked) ==");
    let before = ask(
        &d,
        Request::Read {
            meter: 3,
            item: Item::Clock,
        },
    )?;
    println!("meter 3 clock before the sync: {}", reading_text(&before));
    let sync = ask(&d, Request::Round(Task::ClockSync))?;
    let r = sync.get("result").cloned().unwrap_or_default();
    println!(
        "clock sync: {} meters checked, {} read, {} failed",
        r.get("meters").unwrap_or(&Json::Null),
        r.get("read").unwrap_or(&Json::Null),
        r.get("failed").unwrap_or(&Json::Null)
    );

    let after = ask(
        &d,
        Request::Read {
            meter: 3,
            item: Item::Clock,
        },
    )?;
    println!("meter 3 clock after the sync:  {}", reading_text(&after));

    master_station(&d, &ms)?;

    let status = ask(&d, Request::Status)?;
    let store = status.get("store").cloned().unwrap_or_default();
    uplink.stop();
    d.stop()?;
    stop.store(true, Ordering::Relaxed);
    let _ = carrier.join();
    println!(
        "\nSQLite database: {} ({} records, {} readings, {} audit lines)",
        db.display(),
        store.get("records").unwrap_or(&Json::Null),
        store.get("readings").unwrap_or(&Json::Null),
        store.get("audit").unwrap_or(&Json::Null)
    );
    println!("master station database: {}", master_db.display());
    println!("daemon log: {}", log_path.display());
    println!(
        "try: sqlite3 {} 'SELECT meter, item, value, unit, quality FROM readings'",
        db.display()
    );
    println!("demo finished in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
