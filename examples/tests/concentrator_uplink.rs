//! The daemon's Q/GDW 1376.1 uplink end to end on loopback and a pty: a `MasterStation` on
//! 127.0.0.1:0, the `concentrator` daemon with a simulated DL/T 645 meter on a pty and
//! `[uplink] master` pointing at the station. The concentrator logs in; the master reads
//! AFN 0C F129 of the meter and gets the simulator's register exactly; a trip (05 F1) with a
//! wrong PW is denied (00 F2) and leaves the relay alone; with the right PW the simulated
//! meter's relay opens, and an allow-close (05 F2) closes it again.

#![allow(clippy::indexing_slicing)] // tests may index (clippy.toml)

use std::path::PathBuf;
use std::process::{Child, Command as Process, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use dlt645::{Address, Edition};
use examples::master_station::{Command, MasterStation, TerminalId, render_frames};
use examples::meter_sim::{self, MeterConfig, MeterSim, SimConfig};
use examples::pty::Pty;
use qgdw1376_1::unit::Data;
use qgdw1376_1::value::{Date, Month};
use qgdw1376_1::{FrameRepr, PW_LEN};
use rs485_link::LineSettings;

/// The key written in the config below (hex 000102...0f).
const KEY: [u8; PW_LEN] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

struct Running {
    child: Child,
    dir: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// `concentrator check` of a minimal config with this `[uplink]` section (it starts on line 3).
fn check(name: &str, uplink: &str) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!("concentrator-upcfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let text = format!(
        "[storage]\npath = \"x.db\"\n[uplink]\n{uplink}\
         [[channel]]\nid = 0\nkind = \"rs485\"\ndevice = \"/dev/ttyS1\"\n"
    );
    std::fs::write(&p, text).unwrap();
    Process::new(env!("CARGO_BIN_EXE_concentrator"))
        .args(["check", "--config"])
        .arg(&p)
        .output()
        .unwrap()
}

/// The `[uplink]` section is validated like the rest: `file:line: what`.
#[test]
fn uplink_config_errors_name_the_line() {
    let good = "master = \"tcp:127.0.0.1:9000\"\narea = \"0200\"\nterminal = \"1234\"\n\
                key = \"000102030405060708090a0b0c0d0e0f\"\n";
    let out = check("good.toml", good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Both the JSON-lines forward and the master station may be configured.
    let out = check("both.toml", &format!("{good}forward = \"unix:m.sock\"\n"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let refused = |name: &str, text: &str, line: usize, what: &str| {
        let out = check(name, text);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains(&format!("{name}:{line}: ")),
            "{err} (wanted line {line})"
        );
        assert!(err.contains(what), "{err} (wanted {what})");
    };
    refused(
        "scheme.toml",
        &good.replace("tcp:", "udp:"),
        4,
        "is not tcp:HOST:PORT",
    );
    refused(
        "area.toml",
        &good.replace("0200", "02A0"),
        5,
        "area '02A0' is not 4 decimal digits",
    );
    refused(
        "term.toml",
        &good.replace("1234", "12345"),
        6,
        "terminal '12345' is not 4 hex digits",
    );
    refused(
        "zero.toml",
        &good.replace("1234", "0000"),
        6,
        "terminal 0000",
    );
    refused(
        "key.toml",
        &good.replace("0e0f", "0e"),
        7,
        "key is not 32 hex digits",
    );
    refused(
        "keyhex.toml",
        &good.replace("0e0f", "0e0g"),
        7,
        "key is not 32 hex digits",
    );
    refused(
        "hb.toml",
        &format!("{good}heartbeat_s = 0\n"),
        8,
        "heartbeat_s 0 outside 1..=3600",
    );
    refused(
        "nokey.toml",
        "master = \"tcp:127.0.0.1:9000\"\narea = \"0200\"\nterminal = \"1234\"\n",
        4,
        "master needs key",
    );
    refused("orphan.toml", "area = \"0200\"\n", 4, "area without master");
}

#[test]
fn master_station_reads_and_switches_a_meter_through_the_daemon() {
    // One meter with no load: its register stays at 1234.56 kWh (tariffs 308.64 each).
    let pty = Pty::open().unwrap();
    let device = pty.slave_path().to_string();
    let Pty { master, slave, .. } = pty;
    let address = Address::from_number(201).unwrap();
    let mut meter = MeterConfig::new(address, Edition::V2007);
    meter.power_w = 0;
    meter.energy_wh = 1_234_560;
    let sim = meter_sim::spawn(
        master,
        LineSettings::DLT645_2400,
        MeterSim::new(SimConfig::new(vec![meter])),
        Box::new(|_| {}),
    );
    let _slave = slave;

    let ms = MasterStation::start("127.0.0.1:0".parse().unwrap(), None, 1).unwrap();
    let dir = std::env::temp_dir().join(format!("concentrator-uplink-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = format!(
        "[storage]\npath = \"c.db\"\n\
         [uplink]\nmaster = \"tcp:{}\"\narea = \"0200\"\nterminal = \"1234\"\nheartbeat_s = 1\n\
         key = \"000102030405060708090a0b0c0d0e0f\"\n\
         [[channel]]\nid = 0\nkind = \"rs485\"\ndevice = \"{device}\"\n\
         [[meter]]\narchive_no = 1\nchannel = 0\nprotocol = \"dlt645-2007\"\n\
         address = \"000000000201\"\nreads = [\"energy_import\", \"relay\"]\n\
         password = \"000000\"\noperator = \"00000000\"\n",
        ms.local_addr()
    );
    std::fs::write(dir.join("c.toml"), cfg).unwrap();
    let child = Process::new(env!("CARGO_BIN_EXE_concentrator"))
        .args(["run", "--config"])
        .arg(dir.join("c.toml"))
        .stdout(std::fs::File::create(dir.join("out.log")).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let d = Running { child, dir };

    // The concentrator connects out and logs in as 0200:1234.
    let t: TerminalId = "0200:1234".parse().unwrap();
    let end = Instant::now() + Duration::from_secs(20);
    while !ms.terminals().iter().any(|i| i.id == t) {
        assert!(Instant::now() < end, "the concentrator did not log in");
        thread::sleep(Duration::from_millis(20));
    }

    // Real-time read: total and tariffs 1-4, exactly the simulator's register (A.14).
    let frames = ms
        .request(
            t,
            &Command::ReadNow {
                pn: 1,
                fn_number: 129,
            },
        )
        .unwrap();
    let v = render_frames(&frames);
    assert_eq!(v["afn"], 0x0C, "{v}");
    let fa = &v["units"][0]["value"]["forward_active"];
    let exact = |i: usize| (fa[i]["mantissa"].as_i64(), fa[i]["exponent"].as_i64());
    assert_eq!(exact(0), (Some(12_345_600), Some(-4)), "{v}");
    for tariff in 1..=4 {
        assert_eq!(exact(tariff), (Some(3_086_400), Some(-4)), "{v}");
    }

    // 0C F33: the same active register in the energies block (reactive: no data, EE).
    let frames = ms
        .request(
            t,
            &Command::ReadNow {
                pn: 1,
                fn_number: 33,
            },
        )
        .unwrap();
    let f33 = FrameRepr::parse_bytes(&frames[0]).unwrap();
    let unit = f33.data_units().next().unwrap().unwrap();
    assert_eq!((unit.pn, unit.fn_number), (1, 33));
    let Some(Data::Energies(e)) = unit.data().unwrap() else {
        panic!("{unit:?}")
    };
    let total = e.forward_active.get(0).unwrap().unwrap();
    assert_eq!((total.mantissa, total.exponent), (12_345_600, -4));
    assert_eq!(e.forward_reactive.get(0), Some(None));

    // 0C F2: the concentrator's clock (no [clock] section: UTC), within a few seconds.
    let frames = ms
        .request(
            t,
            &Command::ReadNow {
                pn: 0,
                fn_number: 2,
            },
        )
        .unwrap();
    let clock = render_frames(&frames)["units"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let clock = examples::concentrator::json::parse_time(&clock).unwrap();
    let now_2000 = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
        - 946_684_800;
    assert!(
        (now_2000 - clock.seconds_since_2000()).abs() <= 5,
        "{clock}"
    );

    // The daily freeze two days back (0D F161): the label comes back, and with no load the
    // frozen register equals the live one.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let day = concentrator_core::DateTime::from_seconds_since_2000(
        i64::try_from(secs).unwrap() - 946_684_800 - 2 * 86_400,
    )
    .unwrap();
    let date = Date {
        year: u8::try_from(day.year() - 2000).unwrap(),
        month: day.month(),
        day: day.day(),
    };
    let frames = ms.request(t, &Command::FrozenDay { pn: 1, date }).unwrap();
    let v = render_frames(&frames);
    assert_eq!(
        (v["afn"].as_u64(), v["units"][0]["fn"].as_u64()),
        (Some(0x0D), Some(161)),
        "{v}"
    );
    let fd = &v["units"][0]["value"]["forward_active"];
    let frozen = |i: usize| (fd[i]["mantissa"].as_i64(), fd[i]["exponent"].as_i64());
    assert_eq!(frozen(0), (Some(12_345_600), Some(-4)), "{v}");
    for tariff in 1..=4 {
        assert_eq!(frozen(tariff), (Some(3_086_400), Some(-4)), "{v}");
    }

    // Last month's settlement (0D F177): the total (a settlement holds no tariffs: EE).
    let month = if day.month() == 1 {
        Month {
            year: date.year - 1,
            month: 12,
        }
    } else {
        Month {
            year: date.year,
            month: day.month() - 1,
        }
    };
    let frames = ms
        .request(t, &Command::FrozenMonth { pn: 1, month })
        .unwrap();
    let v = render_frames(&frames);
    assert_eq!(
        (v["afn"].as_u64(), v["units"][0]["fn"].as_u64()),
        (Some(0x0D), Some(177)),
        "{v}"
    );
    let fm = &v["units"][0]["value"]["forward_active"];
    assert_eq!(
        (fm[0]["mantissa"].as_i64(), fm[0]["exponent"].as_i64()),
        (Some(12_345_600), Some(-4)),
        "{v}"
    );
    assert!(fm[1].is_null(), "{v}");

    // Trip with a wrong PW: AFN 00 F2, the relay stays closed.
    let relay_open = || sim.sim().relay_open(address);
    assert_eq!(relay_open(), Some(false));
    let wrong = ms
        .request(
            t,
            &Command::Trip {
                pn: 1,
                pw: [0xAA; PW_LEN],
            },
        )
        .unwrap();
    let w = render_frames(&wrong);
    assert_eq!(
        (w["afn"].as_u64(), w["units"][0]["fn"].as_u64()),
        (Some(0), Some(2)),
        "{w}"
    );
    assert_eq!(relay_open(), Some(false));

    // With the right PW: AFN 00 F1 and the simulated meter's relay is open.
    let right = ms.request(t, &Command::Trip { pn: 1, pw: KEY }).unwrap();
    let r = render_frames(&right);
    assert_eq!(
        (r["afn"].as_u64(), r["units"][0]["fn"].as_u64()),
        (Some(0), Some(1)),
        "{r}"
    );
    assert_eq!(relay_open(), Some(true));

    // Allow close (05 F2): closed again.
    let close = ms
        .request(t, &Command::AllowClose { pn: 1, pw: KEY })
        .unwrap();
    let c = render_frames(&close);
    assert_eq!(
        (c["afn"].as_u64(), c["units"][0]["fn"].as_u64()),
        (Some(0), Some(1)),
        "{c}"
    );
    assert_eq!(relay_open(), Some(false));

    // The denial is audited in the daemon's log.
    let log = std::fs::read_to_string(d.dir.join("out.log")).unwrap();
    assert!(log.contains("uplink: Denied"), "{log}");
    assert!(log.contains("uplink: LoggedIn"), "{log}");
}
