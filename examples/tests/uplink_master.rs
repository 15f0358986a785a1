//! The master station (library and `master-station` program) against concentrators running
//! `uplink_client` on loopback, with a scripted handler: login and heartbeats kept, a real-time
//! read, a trip with a wrong and a right password, results in SQLite; and 200 concentrators
//! logged in to one master station with heartbeats and reads flowing.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command as Process, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use examples::master_station::{Command, Db, MasterStation, TerminalId, render_frames};

use common::daemon::wait_login;
use common::load::{ReadLoad, read_load, vm_rss};
use examples::uplink_client::{ClientConfig, StopHandle, UplinkClient, UplinkHandler};
use qgdw1376_1::session::{Answer, Config, Duration as SessionDuration, Reply};
use qgdw1376_1::unit::{Data, ForwardActive, Values};
use qgdw1376_1::value::{A14, Quantity, Unit};
use qgdw1376_1::{Address, Afn, Da, Dt, FrameRepr, PW_LEN};

const KEY: [u8; PW_LEN] = *b"0123456789abcdef";

/// Answers 0C F129 with 1234.5678 kWh total; executes 05; records calls.
#[derive(Clone, Default)]
struct Meterish {
    calls: Arc<Mutex<Vec<(Afn, u16)>>>,
}

impl UplinkHandler for Meterish {
    fn request(&mut self, request: &FrameRepr<'_>, reply: &mut Reply<'_>) -> Answer {
        let unit = request.data_units().next().and_then(Result::ok);
        let (pn, f) = unit.map_or((0, 0), |u| (u.pn, u.fn_number));
        self.calls.lock().unwrap().push((request.afn, f));
        match (request.afn, f) {
            (Afn::Class1, 129) => {
                let total = Quantity {
                    mantissa: 12_345_678,
                    exponent: -4,
                    unit: Unit::KiloWattHour,
                };
                let values = [Some(total), None];
                let data = [Data::ForwardActive(ForwardActive {
                    time: None,
                    values: Values::new(A14, Unit::KiloWattHour, &values),
                })];
                reply
                    .push(Da::point(pn).unwrap(), Dt::function(129).unwrap(), &data)
                    .unwrap();
                Answer::Data
            }
            (Afn::Control, 1 | 2) => Answer::Done,
            _ => Answer::Deny,
        }
    }
}

fn client(
    master: std::net::SocketAddr,
    terminal: u16,
    h: Meterish,
) -> (StopHandle, std::thread::JoinHandle<()>) {
    let mut c = Config::new(Address {
        area: 0x0200,
        terminal,
        master: 0,
        group: false,
    });
    c.heartbeat = SessionDuration::millis(500);
    c.backoff_min = SessionDuration::millis(50);
    c.backoff_max = SessionDuration::millis(200);
    let client = UplinkClient::new(ClientConfig::new(master, c, KEY));
    let stop = client.stop_handle();
    let mut h = h;
    let j = std::thread::spawn(move || {
        client.run(&mut h).unwrap();
    });
    (stop, j)
}

fn db_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("upsess-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    dir
}

#[test]
fn read_and_trip_through_the_master_station_stored_in_sqlite() {
    let path = db_path("lib.sqlite");
    let ms = MasterStation::start(
        "127.0.0.1:0".parse().unwrap(),
        Some(Db::open(&path).unwrap()),
        1,
    )
    .unwrap();
    let h = Meterish::default();
    let (stop, join) = client(ms.local_addr(), 0x1234, h.clone());
    let t: TerminalId = "0200:1234".parse().unwrap();
    wait_login(&ms, t, None);

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
    assert_eq!(v["afn"], 0x0C);
    let fa = &v["units"][0]["value"]["forward_active"];
    assert_eq!(fa[0]["mantissa"], 12_345_678);
    assert_eq!(fa[0]["exponent"], -4);
    assert!(fa[1].is_null(), "tariff 1 is 'no data'");

    // Trip with a wrong password: AFN 00 F2, not executed; right password: AFN 00 F1.
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
        (Some(0), Some(2))
    );
    let right = ms.request(t, &Command::Trip { pn: 1, pw: KEY }).unwrap();
    let r = render_frames(&right);
    assert_eq!(
        (r["afn"].as_u64(), r["units"][0]["fn"].as_u64()),
        (Some(0), Some(1))
    );
    let close = ms
        .request(t, &Command::AllowClose { pn: 1, pw: KEY })
        .unwrap();
    assert_eq!(render_frames(&close)["units"][0]["fn"], 1);
    assert_eq!(
        h.calls.lock().unwrap().clone(),
        [(Afn::Class1, 129), (Afn::Control, 1), (Afn::Control, 2)]
    );
    // Heartbeats are confirmed and counted while the session stays up.
    std::thread::sleep(Duration::from_millis(1200));
    let hb = ms.terminals()[0].heartbeats;
    assert!(hb >= 1, "{hb}");
    stop.stop();
    join.join().unwrap();
    let db = Db::open(&path).unwrap();
    let rows = db.results().unwrap();
    assert_eq!(rows.len(), 4);
    assert!(rows[0].1.starts_with("ReadNow"));
    assert!(rows[0].2.contains("12345678"));
    assert_eq!(
        db.sessions().unwrap()[0],
        ("0200:1234".to_string(), "login".to_string())
    );
}

#[test]
fn the_program_reads_and_switches_from_its_command_lines() {
    let path = db_path("bin.sqlite");
    let mut child = Process::new(env!("CARGO_BIN_EXE_master-station"))
        .args(["--listen", "127.0.0.1:0", "--json", "--db"])
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    let addr = first.trim().rsplit(' ').next().unwrap().parse().unwrap();
    let (stop, join) = client(addr, 0x0042, Meterish::default());
    let mut stdin = child.stdin.take().unwrap();
    let key: String = KEY.iter().map(|b| format!("{b:02X}")).collect();
    writeln!(stdin, "wait-login 0200:0042 10").unwrap();
    writeln!(stdin, "read 0200:0042 3 129").unwrap();
    writeln!(stdin, "trip 0200:0042 3 {}", "00".repeat(16)).unwrap();
    writeln!(stdin, "trip 0200:0042 3 {key}").unwrap();
    writeln!(stdin, "read 0200:9999 3 129").unwrap();
    writeln!(stdin, "quit").unwrap();
    let out = child.wait_with_output().unwrap();
    stop.stop();
    join.join().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "0200:0042 logged in");
    let read: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(read["units"][0]["pn"], 3);
    assert_eq!(
        read["units"][0]["value"]["forward_active"][0]["mantissa"],
        12_345_678
    );
    let denied: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    assert_eq!(
        (denied["afn"].as_u64(), denied["units"][0]["fn"].as_u64()),
        (Some(0), Some(2))
    );
    let done: serde_json::Value = serde_json::from_str(lines[3]).unwrap();
    assert_eq!(
        (done["afn"].as_u64(), done["units"][0]["fn"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(lines[4], "error: terminal 0200:9999 is not connected");
    assert_eq!(Db::open(&path).unwrap().results().unwrap().len(), 3);
}

/// 200 concentrators (client threads) logged in to one master station, heartbeats every
/// 500 ms, 16 master-side threads reading 0C F129 round robin for 3 s. Every request is
/// answered; prints requests per second and resident memory.
#[test]
fn two_hundred_concentrators_on_one_master_station() {
    const N: u16 = 200;
    let ms = Arc::new(MasterStation::start("127.0.0.1:0".parse().unwrap(), None, 1).unwrap());
    let mut clients = Vec::new();
    for i in 0..N {
        clients.push(client(ms.local_addr(), 0x1000 + i, Meterish::default()));
    }
    for i in 0..N {
        wait_login(
            &ms,
            TerminalId {
                area: 0x0200,
                terminal: 0x1000 + i,
            },
            None,
        );
    }
    let ReadLoad { ok, failed, secs } = read_load(&ms, N, Duration::from_secs(3));
    let heartbeats: u64 = ms.terminals().iter().map(|i| i.heartbeats).sum();
    let logged_in = ms.terminals().len();
    let rss = vm_rss();
    for (stop, _) in &clients {
        stop.stop();
    }
    for (_, j) in clients {
        j.join().unwrap();
    }
    println!(
        "master-station load: {N} concentrators, {ok} reads in {secs:.2} s = {:.0} req/s, {heartbeats} heartbeats, {rss}",
        ok as f64 / secs
    );
    assert_eq!(failed, 0, "nothing lost");
    assert_eq!(logged_in, usize::from(N));
    assert!(heartbeats >= u64::from(N) * 4, "{heartbeats}");
    assert!(ok > 1000);
}
