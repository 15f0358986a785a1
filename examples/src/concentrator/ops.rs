//! The local operator interface: a Unix socket that takes one JSON request per line and
//! answers with JSON lines (progress, then one line with `"final": true`), and the client
//! side used by `concentrator read|switch|sync|round|status|export`.

use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::mpsc::{self, Sender};
use std::thread;

use concentrator_core::{SwitchAction, Task};
use serde_json::{Value as Json, json};

use crate::concentrator::daemon::{Msg, Request};
use crate::concentrator::json::{parse_item, parse_task};

/// A request as it travels on the socket.
pub fn request_json(req: &Request) -> Json {
    match req {
        Request::Read { meter, item } => {
            json!({"cmd": "read", "meter": meter, "item": crate::concentrator::json::item_name(*item)})
        }
        Request::Switch { meter, action } => json!({
            "cmd": "switch", "meter": meter,
            "action": match action { SwitchAction::Off => "off", SwitchAction::On => "on" },
        }),
        Request::Round(task) => {
            json!({"cmd": "round", "task": crate::concentrator::json::task_name(*task)})
        }
        Request::Status => json!({"cmd": "status"}),
        Request::Export { meter } => json!({"cmd": "export", "meter": meter}),
        // The master station's requests (1376.1 uplink); the socket does not take them.
        Request::SetClock(t) => {
            json!({"cmd": "set_clock", "time": crate::concentrator::json::time_str(*t)})
        }
        Request::Forward {
            channel,
            frame,
            baud,
            timeout_ms,
        } => json!({
            "cmd": "forward", "channel": channel.0, "frame": crate::cli::hex(frame),
            "baud": baud, "timeout_ms": timeout_ms,
        }),
        Request::Pause { channel, paused } => {
            json!({"cmd": "pause", "channel": channel.0, "paused": paused})
        }
        Request::SetArchive {
            serial,
            point,
            entry,
            ..
        } => json!({"cmd": "set_archive", "serial": serial, "point": point, "entry": entry}),
        Request::QueryArchive { serial } => json!({"cmd": "query_archive", "serial": serial}),
    }
}

/// The request in `j`, or what is wrong with it.
pub fn parse_request(j: &Json) -> Result<Request, String> {
    let meter = || {
        j.get("meter")
            .and_then(Json::as_u64)
            .and_then(|m| u16::try_from(m).ok())
            .ok_or_else(|| "missing or bad \"meter\"".to_string())
    };
    let s = |k: &str| j.get(k).and_then(Json::as_str);
    match s("cmd") {
        Some("read") => Ok(Request::Read {
            meter: meter()?,
            item: s("item")
                .and_then(parse_item)
                .ok_or_else(|| "missing or unknown \"item\"".to_string())?,
        }),
        Some("switch") => Ok(Request::Switch {
            meter: meter()?,
            action: match s("action") {
                Some("off") => SwitchAction::Off,
                Some("on") => SwitchAction::On,
                _ => return Err("\"action\" must be off or on".into()),
            },
        }),
        Some("round") => Ok(Request::Round(
            s("task")
                .and_then(parse_task)
                .ok_or_else(|| "unknown \"task\"".to_string())?,
        )),
        Some("sync") => Ok(Request::Round(Task::ClockSync)),
        Some("status") => Ok(Request::Status),
        Some("export") => Ok(Request::Export {
            meter: match j.get("meter") {
                None | Some(Json::Null) => None,
                Some(_) => Some(meter()?),
            },
        }),
        _ => Err("unknown \"cmd\" (read, switch, round, sync, status, export)".into()),
    }
}

/// Serve the operator socket at `path` (an old socket file is replaced).
pub fn serve(path: &Path, tx: Sender<Msg>) -> Result<(), String> {
    let _ = std::fs::remove_file(path);
    let listener =
        UnixListener::bind(path).map_err(|e| format!("{}: cannot listen: {e}", path.display()))?;
    thread::spawn(move || {
        for (n, conn) in listener.incoming().enumerate() {
            let Ok(conn) = conn else { continue };
            let tx = tx.clone();
            thread::spawn(move || client(conn, &tx, n));
        }
    });
    Ok(())
}

fn client(conn: UnixStream, tx: &Sender<Msg>, n: usize) {
    let Ok(mut out) = conn.try_clone() else {
        return;
    };
    let mut line = String::new();
    if BufReader::new(conn).read_line(&mut line).is_err() {
        return;
    }
    let req = serde_json::from_str::<Json>(&line)
        .map_err(|e| format!("not JSON: {e}"))
        .and_then(|j| parse_request(&j));
    let req = match req {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(out, "{}", json!({"ok": false, "error": e, "final": true}));
            return;
        }
    };
    let (reply, answers) = mpsc::channel();
    let who = format!("socket#{n}");
    if tx.send(Msg::Request { req, who, reply }).is_err() {
        return;
    }
    for a in answers {
        if writeln!(out, "{a}").is_err() {
            return;
        }
        if a.get("final").and_then(Json::as_bool) == Some(true) {
            return;
        }
    }
}

/// Shows progress lines: a bar on a terminal, plain lines otherwise.
pub struct Progress {
    tty: bool,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    /// For standard error.
    pub fn new() -> Self {
        Progress {
            tty: std::io::stderr().is_terminal(),
        }
    }

    /// Show one progress answer.
    pub fn show(&self, a: &Json) {
        let Some(p) = a.get("progress") else {
            return;
        };
        let task = p.get("task").and_then(Json::as_str).unwrap_or("round");
        let done = p.get("done").and_then(Json::as_u64).unwrap_or(0);
        let total = p.get("total").and_then(Json::as_u64).unwrap_or(0).max(done);
        if self.tty {
            let width = 30u64;
            let fill = (done * width).checked_div(total).unwrap_or(width);
            let bar: String = (0..width)
                .map(|i| if i < fill { '#' } else { '.' })
                .collect();
            eprint!("\r{task} [{bar}] {done}/{total} meters");
            if done >= total {
                eprintln!();
            }
        } else {
            eprintln!("{task}: {done}/{total} meters");
        }
    }

    /// End a bar that did not reach its total.
    pub fn finish(&self) {
        if self.tty {
            eprintln!();
        }
    }
}

/// Send `req` to the daemon at `socket`; progress goes to `progress`; the final answer is
/// returned.
pub fn ask(socket: &Path, req: &Request, progress: &Progress) -> Result<Json, String> {
    let mut conn = UnixStream::connect(socket)
        .map_err(|e| format!("{}: cannot reach the daemon: {e}", socket.display()))?;
    writeln!(conn, "{}", request_json(req)).map_err(|e| e.to_string())?;
    for line in BufReader::new(conn).lines() {
        let line = line.map_err(|e| e.to_string())?;
        let a: Json = serde_json::from_str(&line).map_err(|e| format!("bad answer: {e}"))?;
        if a.get("final").and_then(Json::as_bool) == Some(true) {
            progress.finish();
            return Ok(a);
        }
        progress.show(&a);
    }
    Err("the daemon closed the connection without an answer".into())
}
