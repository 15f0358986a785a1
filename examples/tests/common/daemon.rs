//! The `concentrator` daemon as the end-to-end tests run it: started from a config file,
//! killed when dropped, asked for a round over its control socket.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

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
