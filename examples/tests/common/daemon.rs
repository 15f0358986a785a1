//! The `concentrator` daemon as the end-to-end tests run it: started from a config file,
//! killed when dropped, asked for a round over its control socket; and whether the master
//! station's commands to it were confirmed (AFN 00 F1) or denied (AFN 00 F2).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use examples::master_station::{MasterStation, TerminalId, render_frames};

use serde_json::Value;

/// The daemon process; killed (and reaped) when dropped.
pub(crate) struct Daemon(pub(crate) Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `concentrator run --config <dir>/<config>`, its stdout written to `<dir>/<log>`,
/// stderr dropped.
pub(crate) fn start(dir: &Path, config: &str, log: &str) -> Daemon {
    Daemon(
        Command::new(env!("CARGO_BIN_EXE_concentrator"))
            .args(["run", "--config"])
            .arg(dir.join(config))
            .stdout(std::fs::File::create(dir.join(log)).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// Polls `ok` every 20 ms until it holds; fails with `what` after `secs` seconds.
pub(crate) fn wait_for(what: &str, secs: u64, mut ok: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while !ok() {
        assert!(Instant::now() < end, "{what}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// `concentrator round --json` against the daemon's socket `sock`: the round's JSON.
pub(crate) fn round(sock: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_concentrator"))
        .args(["round", "--json", "--socket"])
        .arg(sock)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// An empty directory `<temp>/<name>-<pid>` for one test (what a failed earlier run left
/// there is removed first).
pub(crate) fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A daemon config: storage `c.db`, control socket `c.sock`, terminal 0200:1234 of the
/// master at `master` (heartbeat 1 s, key 000102...0f), and for each line `devices[n-1]`
/// channel n-1 (300 ms, one try) with DL/T 645-2007 meter 200+n reading `energy_import`,
/// archive number n; `meter_extra` is added to each meter's section.
pub(crate) fn uplink_config(master: SocketAddr, devices: &[String], meter_extra: &str) -> String {
    let mut cfg = format!(
        "[storage]\npath = \"c.db\"\n[control]\nsocket = \"c.sock\"\n\
         [uplink]\nmaster = \"tcp:{master}\"\narea = \"0200\"\nterminal = \"1234\"\nheartbeat_s = 1\n\
         key = \"000102030405060708090a0b0c0d0e0f\"\n"
    );
    for (i, device) in devices.iter().enumerate() {
        let n = i + 1;
        cfg.push_str(&format!(
            "[[channel]]\nid = {i}\nkind = \"rs485\"\ndevice = \"{device}\"\n\
             response_timeout_ms = 300\ntries = 1\n\
             [[meter]]\narchive_no = {n}\nchannel = {i}\nprotocol = \"dlt645-2007\"\n\
             address = \"{:012}\"\nreads = [\"energy_import\"]\n{meter_extra}",
            200 + n
        ));
    }
    cfg
}

/// Waits up to 30 s until terminal `t` is logged in to `ms` (with a login at or after
/// `since`, if given).
pub(crate) fn wait_login(ms: &MasterStation, t: TerminalId, since: Option<SystemTime>) {
    wait_for(&format!("{t} did not log in"), 30, || {
        ms.terminals()
            .iter()
            .any(|i| i.id == t && since.is_none_or(|s| i.since >= s))
    });
}

/// The UTC calendar time `back_s` seconds ago, from the system clock.
pub(crate) fn utc_ago(back_s: i64) -> concentrator_core::DateTime {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // 946 684 800 s from 1970-01-01 to 2000-01-01.
    concentrator_core::DateTime::from_seconds_since_2000(
        i64::try_from(secs).unwrap() - 946_684_800 - back_s,
    )
    .unwrap()
}

/// (AFN, Fn) of the first unit of a reply.
pub(crate) fn afn_fn(frames: &[Vec<u8>]) -> (Option<u64>, Option<u64>) {
    let v = render_frames(frames);
    (v["afn"].as_u64(), v["units"][0]["fn"].as_u64())
}

/// A command denied: AFN 00 F2.
pub(crate) const DENIED: (Option<u64>, Option<u64>) = (Some(0), Some(2));
/// A command confirmed: AFN 00 F1.
pub(crate) const DONE: (Option<u64>, Option<u64>) = (Some(0), Some(1));

/// A state-changing command answered with AFN 00 F1 (the rendered reply in the failure).
pub(crate) fn confirmed(frames: &[Vec<u8>]) {
    assert_eq!(afn_fn(frames), DONE, "{}", render_frames(frames));
}
