//! The port commands: primary scan, secondary scan, readout, set primary address.
//!
//! Each opens the port, runs the master to the end of its command and prints a table (or
//! one JSON object with `--json`) on stdout; progress and errors go to stderr.

use std::io::Write;
use std::process::ExitCode;

use serde_json::{Value as Json, json};
use wired_mbus::app::{Manufacturer, Medium, UserData};
use wired_mbus::{
    Address, Command, Completion, Event, Found, Frame, MasterError, Request, SecondaryAddress,
};

use crate::args::{Options, Target};
use crate::bus::{Bus, BusError, Step};
use crate::progress::{Progress, bar};
use crate::{json, table};
use examples::cli::hex;

/// Exit status when the slave (or nobody) answered.
const EXIT_NO_REPLY: u8 = 3;
/// Exit status when the answer was garbled: a collision of several slaves, or noise.
const EXIT_GARBLED: u8 = 4;

fn bus_failed(e: &BusError) -> ExitCode {
    eprintln!("mbus: {e}");
    ExitCode::FAILURE
}

/// A master error as a message and its exit status.
fn master_failed(e: &MasterError, what: &str) -> ExitCode {
    let (hint, code) = match e {
        MasterError::NoReply { .. } => (
            " (check the address, the baud rate and the wiring; --usb or --margin-ms for slow converters)",
            EXIT_NO_REPLY,
        ),
        MasterError::Garbled { .. } => (
            " (a collision: more than one slave answers, or noise on the line)",
            EXIT_GARBLED,
        ),
        _ => ("", 1),
    };
    eprintln!("mbus: {what}: {e}{hint}");
    ExitCode::from(code)
}

fn print(out: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn print_json(v: &Json) -> ExitCode {
    print(&format!("{v}\n"))
}

/// `scan`: SND_NKE to every primary address of the range; who acknowledges is there.
pub(crate) fn scan(o: &Options) -> ExitCode {
    let mut bus = match Bus::open(&o.port, o.master_config()) {
        Ok(b) => b,
        Err(e) => return bus_failed(&e),
    };
    let mut progress = Progress::new(o.quiet);
    let total = u32::from(o.last - o.first) + 1;
    let mut found: Vec<(u8, &str)> = Vec::new();
    let mut current = None;
    let (first, last) = (o.first, o.last);
    let result = bus.run(
        |m| m.start(Command::ScanPrimary { first, last }),
        &mut |step| match step {
            Step::Sent(bytes) => {
                let a = Frame::new_checked(bytes).ok().and_then(|f| f.address());
                if let Some(a) = a.map(Address::byte)
                    && current != Some(a)
                {
                    current = Some(a);
                    let done = u32::from(a - first);
                    let text = format!(
                        "scan {} address {a} ({done}/{total} probed), {} found",
                        bar(done, total, 25),
                        found.len()
                    );
                    progress.status(&text, done % 25 == 0);
                }
            }
            Step::Event(Event::Found(Found::Primary(a)), _) => {
                found.push((a.byte(), "ok"));
                progress.note(&format!("found a slave at primary address {}", a.byte()));
            }
            Step::Event(Event::Found(Found::PrimaryCollision(a)), _) => {
                found.push((a.byte(), "collision"));
                progress.note(&format!(
                    "collision at primary address {}: more than one slave answers",
                    a.byte()
                ));
            }
            Step::Event(..) => {}
        },
    );
    progress.finish();
    let probes = match result {
        Err(e) => return bus_failed(&e),
        Ok(Err(e)) => return master_failed(&e, "scan"),
        Ok(Ok(Completion::Scanned { probes, .. })) => probes,
        Ok(Ok(_)) => total,
    };
    if o.json {
        let list: Vec<Json> = found
            .iter()
            .map(|(a, s)| json!({ "address": a, "status": s }))
            .collect();
        return print_json(&json!({
            "port": o.port,
            "baud": o.baud,
            "first": first,
            "last": last,
            "probes": probes,
            "found": list,
        }));
    }
    let rows: Vec<Vec<String>> = found
        .iter()
        .map(|(a, s)| vec![a.to_string(), (*s).to_owned()])
        .collect();
    let mut out = table::render(&["ADDRESS", "STATUS"], &rows);
    out.push_str(&format!(
        "{} found at {first}..={last} ({probes} probes)\n",
        found.len()
    ));
    print(&out)
}

/// One secondary address as JSON fields.
fn secondary_json(a: SecondaryAddress) -> Json {
    json!({
        "secondary": a.to_string(),
        "id": format!("{:08X}", a.id()),
        "manufacturer": Manufacturer(a.manufacturer()).to_string(),
        "version": a.version(),
        "medium": { "code": a.medium(), "name": Medium::from_u8(a.medium()).name() },
    })
}

/// `scan-secondary`: wildcard narrowing from `--mask` (all wildcards by default).
pub(crate) fn scan_secondary(o: &Options) -> ExitCode {
    let mut bus = match Bus::open(&o.port, o.master_config()) {
        Ok(b) => b,
        Err(e) => return bus_failed(&e),
    };
    let mut progress = Progress::new(o.quiet);
    let mut found: Vec<SecondaryAddress> = Vec::new();
    let mut duplicates: Vec<String> = Vec::new();
    let mut probes = 0u32;
    let start = o.mask;
    let result = bus.run(
        |m| m.start(Command::ScanSecondary { start }),
        &mut |step| match step {
            Step::Sent(bytes) => {
                let frame = Frame::new_checked(bytes).ok();
                if let Some(Ok(Request::Select { mask, .. })) = frame.map(|f| Request::parse(&f)) {
                    probes += 1;
                    let text = format!(
                        "scan-secondary probe {probes} mask {}, {} found",
                        mask,
                        found.len()
                    );
                    progress.status(&text, probes % 10 == 1);
                }
            }
            Step::Event(Event::Found(Found::Secondary(a)), _) => {
                found.push(a);
                progress.note(&format!("found secondary address {a}"));
            }
            Step::Event(Event::Found(Found::DuplicateSecondary(m)), _) => {
                let m = m.to_string();
                progress.note(&format!(
                    "several slaves answer to {m} and cannot be told apart (same secondary address?)"
                ));
                duplicates.push(m);
            }
            Step::Event(..) => {}
        },
    );
    progress.finish();
    let (probes, capped) = match result {
        Err(e) => return bus_failed(&e),
        Ok(Err(e)) => return master_failed(&e, "scan-secondary"),
        Ok(Ok(Completion::Scanned { probes, capped, .. })) => (probes, capped),
        Ok(Ok(_)) => (probes, false),
    };
    if capped {
        eprintln!("mbus: the scan stopped at its probe limit; narrow it with --mask");
    }
    if o.json {
        let list: Vec<Json> = found.iter().map(|a| secondary_json(*a)).collect();
        return print_json(&json!({
            "port": o.port,
            "baud": o.baud,
            "mask": start.to_string(),
            "probes": probes,
            "capped": capped,
            "found": list,
            "duplicates": duplicates,
        }));
    }
    let rows: Vec<Vec<String>> = found
        .iter()
        .map(|a| {
            let j = secondary_json(*a);
            let s = |k: &str| {
                j.get(k)
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            };
            vec![
                s("secondary").unwrap_or_default(),
                s("id").unwrap_or_default(),
                s("manufacturer").unwrap_or_default(),
                a.version().to_string(),
                Medium::from_u8(a.medium()).name().to_owned(),
            ]
        })
        .collect();
    let mut out = table::render(&["SECONDARY", "ID", "MAN", "VERSION", "MEDIUM"], &rows);
    out.push_str(&format!("{} found ({probes} probes)\n", found.len()));
    for d in &duplicates {
        out.push_str(&format!("duplicate: {d}\n"));
    }
    print(&out)
}

/// One telegram of a readout, decoded.
fn telegram_json(index: u8, more: bool, bytes: &[u8]) -> (Json, Option<String>) {
    let mut obj = json!({ "index": index, "more": more, "frame": hex(bytes) });
    let decoded = Frame::new_checked(bytes)
        .map_err(|e| e.to_string())
        .and_then(|f| {
            let ud = UserData::from_frame(&f).map_err(|e| e.to_string())?;
            Ok(json::telegram(&f, &ud))
        });
    let error = match decoded {
        Ok((v, e)) => {
            if let (Some(a), Json::Object(b)) = (obj.as_object_mut(), v) {
                a.extend(b);
            }
            e.map(|e| format!("telegram {index}: {e}"))
        }
        Err(e) => {
            if let Some(a) = obj.as_object_mut() {
                a.insert("error".into(), json!(e));
            }
            Some(format!("telegram {index}: cannot decode: {e}"))
        }
    };
    (obj, error)
}

/// `read`: every telegram of a slave (multi-telegram readout with FCB toggling).
pub(crate) fn read(o: &Options) -> ExitCode {
    let Some(target) = o.addr else {
        eprintln!("mbus: read needs --addr A (a primary address or 16 hex digits)");
        return ExitCode::from(2);
    };
    let mut bus = match Bus::open(&o.port, o.master_config()) {
        Ok(b) => b,
        Err(e) => return bus_failed(&e),
    };
    let command = match target {
        Target::Primary(address) => Command::ReadOut {
            address,
            reset: !o.no_reset,
        },
        Target::Secondary(mask) => Command::ReadSecondary { mask },
    };
    let mut telegrams: Vec<(u8, bool, Vec<u8>)> = Vec::new();
    let result = bus.run(|m| m.start(command), &mut |step| {
        if let Step::Event(Event::Telegram { index, more, .. }, Some(frame)) = step {
            telegrams.push((index, more, frame.as_bytes().to_vec()));
        }
    });
    let capped = match result {
        Err(e) => return bus_failed(&e),
        Ok(Err(e)) => return master_failed(&e, &format!("read {}", target.label())),
        Ok(Ok(Completion::Telegrams { capped, .. })) => capped,
        Ok(Ok(_)) => false,
    };
    if capped {
        eprintln!(
            "mbus: the slave still has more records after {} telegrams (--max-telegrams)",
            telegrams.len()
        );
    }
    let mut errors = Vec::new();
    let decoded: Vec<Json> = telegrams
        .iter()
        .map(|(i, more, bytes)| {
            let (v, e) = telegram_json(*i, *more, bytes);
            errors.extend(e);
            v
        })
        .collect();
    let code = if o.json {
        print_json(&json!({
            "port": o.port,
            "baud": o.baud,
            "address": target.label(),
            "count": telegrams.len(),
            "capped": capped,
            "telegrams": decoded,
        }))
    } else {
        let mut out = String::new();
        for t in &decoded {
            let index = t.get("index").and_then(Json::as_u64).unwrap_or(0);
            let more = t.get("more").and_then(Json::as_bool) == Some(true);
            out.push_str(&format!(
                "telegram {} of {}{}: {}\n",
                index + 1,
                decoded.len(),
                if more { " (more records follow)" } else { "" },
                table::header(t)
            ));
            out.push_str(&table::records(t));
            out.push('\n');
        }
        print(&out)
    };
    for e in &errors {
        eprintln!("mbus: {e}");
    }
    if errors.is_empty() {
        code
    } else {
        ExitCode::FAILURE
    }
}

/// `set-address`: give the slave at `--addr` the primary address `--new`, then check that it
/// answers there.
pub(crate) fn set_address(o: &Options) -> ExitCode {
    let (Some(target), Some(new)) = (o.addr, o.new_address) else {
        eprintln!("mbus: set-address needs --addr A and --new N");
        return ExitCode::from(2);
    };
    let cfg = o.master_config();
    let mut bus = match Bus::open(&o.port, cfg) {
        Ok(b) => b,
        Err(e) => return bus_failed(&e),
    };
    let new_address = Address::from_byte(new);
    let ping = |bus: &mut Bus, address: Address| {
        bus.run(|m| m.send(&Request::SndNke { address }), &mut |_step| {})
    };
    // Two slaves at one primary address cannot be read: refuse a taken address.
    if !o.force && target != Target::Primary(new_address) {
        match ping(&mut bus, new_address) {
            Err(e) => return bus_failed(&e),
            Ok(Err(MasterError::NoReply { .. })) => {}
            Ok(_) => {
                eprintln!(
                    "mbus: set-address: primary address {new} already answers; choose another or use --force"
                );
                return ExitCode::FAILURE;
            }
        }
    }
    let address = match target {
        Target::Primary(a) => {
            // SND_NKE first: the slave's FCB state starts over, the next SND_UD carries 1.
            match ping(&mut bus, a) {
                Err(e) => return bus_failed(&e),
                Ok(Err(e)) => return master_failed(&e, &format!("set-address {}", a.byte())),
                Ok(Ok(_)) => {}
            }
            a
        }
        Target::Secondary(mask) => {
            // Deselect everyone (SND_NKE to 253 gets no answer that matters), then select.
            bus.set_config(wired_mbus::MasterConfig { retries: 0, ..cfg });
            if let Err(e) = ping(&mut bus, Address::NETWORK) {
                return bus_failed(&e);
            }
            bus.set_config(cfg);
            let fcb = bus.master().fcb().next(Address::NETWORK);
            match bus.run(|m| m.send(&Request::Select { fcb, mask }), &mut |_| {}) {
                Err(e) => return bus_failed(&e),
                Ok(Err(e)) => {
                    return master_failed(&e, &format!("select {}", target.label()));
                }
                Ok(Ok(_)) => {}
            }
            Address::NETWORK
        }
    };
    let fcb = bus.master().fcb().next(address);
    let set = Request::SetPrimaryAddress {
        address,
        fcb,
        new_address: new,
    };
    match bus.run(|m| m.send(&set), &mut |_| {}) {
        Err(e) => return bus_failed(&e),
        Ok(Err(e)) => return master_failed(&e, &format!("set-address {}", target.label())),
        Ok(Ok(_)) => {}
    }
    // The slave acknowledged; check that it now answers at the new address.
    let verified = match ping(&mut bus, new_address) {
        Err(e) => return bus_failed(&e),
        Ok(Ok(_)) => true,
        Ok(Err(e)) => {
            eprintln!("mbus: set-address: acknowledged, but no answer at {new} afterwards: {e}");
            false
        }
    };
    let code = if o.json {
        print_json(&json!({
            "port": o.port,
            "address": target.label(),
            "new_address": new,
            "acknowledged": true,
            "verified": verified,
        }))
    } else {
        print(&format!(
            "{} -> primary address {new}: acknowledged{}\n",
            target.label(),
            if verified {
                ", answers at the new address"
            } else {
                ", NOT answering at the new address"
            }
        ))
    };
    if verified {
        code
    } else {
        ExitCode::from(EXIT_NO_REPLY)
    }
}
