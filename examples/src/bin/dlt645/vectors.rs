//! `decode --vectors FILE`: check a frames.tsv-format file line by line.
//!
//! Columns: id, frame hex, expectations `key=value;...` (see the header of
//! `shared/vectors/dlt645/frames.tsv`). A line with `ok=true` must decode and match every
//! key; a line with `ok=false` must be rejected with the error its `reason` names.

use std::io::Write;
use std::process::ExitCode;

use serde_json::{Value as Json, json};

use crate::{decode_one, json as js};

/// Outcome of one line.
enum Outcome {
    Ok,
    Rejected,
    Mismatched(Vec<String>),
}

pub(crate) fn run(path: &str, out: &mut impl Write) -> ExitCode {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("dlt645: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut n, mut ok, mut rejected, mut mismatched) = (0, 0, 0, 0);
    for (lineno, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        n += 1;
        let mut cols = line.split('\t');
        let id = cols.next().unwrap_or("").to_string();
        let hex = cols.next().unwrap_or("");
        let expect = cols.next().unwrap_or("");
        let (mut obj, outcome) = check(hex, expect);
        match &outcome {
            Outcome::Ok => ok += 1,
            Outcome::Rejected => rejected += 1,
            Outcome::Mismatched(why) => {
                mismatched += 1;
                eprintln!("dlt645: {path}:{}: {id}: {}", lineno + 1, why.join("; "));
                js::set(&mut obj, "mismatches", why.clone().into());
            }
        }
        js::set(&mut obj, "id", id.into());
        let verdict = match outcome {
            Outcome::Ok => "ok",
            Outcome::Rejected => "rejected",
            Outcome::Mismatched(_) => "mismatched",
        };
        js::set(&mut obj, "vector", verdict.into());
        if writeln!(out, "{obj}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if writeln!(
        out,
        "vectors {n} ok {ok} rejected {rejected} mismatched {mismatched}"
    )
    .is_err()
    {
        return ExitCode::FAILURE;
    }
    if mismatched > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn check(hex: &str, expect: &str) -> (Json, Outcome) {
    let pairs: Vec<(&str, &str)> = expect
        .split(';')
        .filter(|kv| !kv.trim().is_empty())
        .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
        .collect();
    let get = |k: &str| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
    let want_ok = get("ok") != Some("false");
    let bytes = match examples::parse_hex(hex) {
        Ok(b) => b,
        Err(e) => {
            return (
                json!({ "ok": false, "error": e.to_string() }),
                Outcome::Mismatched(vec![format!("hex: {e}")]),
            );
        }
    };
    match decode_one(&bytes) {
        Err(e) => {
            let obj = js::error(&bytes, &e);
            if want_ok {
                return (obj, Outcome::Mismatched(vec![format!("rejected: {e}")]));
            }
            let reason = get("reason").unwrap_or("");
            match reason_matches(reason, &e) {
                Ok(()) => (obj, Outcome::Rejected),
                Err(why) => (obj, Outcome::Mismatched(vec![why])),
            }
        }
        Ok(obj) => {
            if !want_ok {
                return (
                    obj,
                    Outcome::Mismatched(vec!["decoded, but the vector says ok=false".into()]),
                );
            }
            let why: Vec<String> = pairs
                .iter()
                .filter_map(|(k, v)| compare(&obj, k, v).err())
                .collect();
            if why.is_empty() {
                (obj, Outcome::Ok)
            } else {
                (obj, Outcome::Mismatched(why))
            }
        }
    }
}

/// Does the error match the vector's `reason`?
fn reason_matches(reason: &str, e: &dlt645::Error) -> Result<(), String> {
    let kind = js::kind(e);
    let ok = if let Some(rest) = reason.strip_prefix("checksum") {
        // "checksum (correct value FF)": the computed checksum must be that value.
        let want = rest
            .trim()
            .trim_start_matches("(correct value")
            .trim_end_matches(')')
            .trim();
        match e {
            dlt645::Error::BadChecksum { expected, .. } => {
                want.is_empty() || u8::from_str_radix(want, 16) == Ok(*expected)
            }
            _ => false,
        }
    } else if reason.starts_with("end byte") {
        kind == "bad_end"
    } else if reason.starts_with("second start") {
        kind == "bad_second_start"
    } else if reason.starts_with("start byte") {
        kind == "bad_start"
    } else if reason.starts_with("incomplete") {
        kind == "truncated"
    } else {
        // An unknown reason: any typed rejection satisfies it.
        true
    };
    if ok {
        Ok(())
    } else {
        Err(format!("rejected as {kind} ({e}), expected {reason}"))
    }
}

fn str_of<'j>(obj: &'j Json, k: &str) -> Option<&'j str> {
    obj.get(k).and_then(Json::as_str)
}

fn compare(obj: &Json, key: &str, want: &str) -> Result<(), String> {
    let got: Option<String> = match key {
        "ok" | "reason" => return Ok(()),
        "edition" => str_of(obj, "edition").map(str::to_string),
        "func" => {
            return if str_of(obj, "function").is_some_and(|f| f.eq_ignore_ascii_case(want)) {
                Ok(())
            } else {
                Err(format!("func: got {:?}, want {want}", obj.get("function")))
            };
        }
        "dir" => {
            str_of(obj, "direction").map(|d| if d == "request" { "req" } else { d }.to_string())
        }
        "addr" => str_of(obj, "address").map(str::to_string),
        "di" => str_of(obj, "di").map(str::to_string),
        "text" => str_of(obj, "text").map(str::to_string),
        "seq" => obj.get("seq").map(|s| s.to_string()),
        "follow" => obj.get("follow").map(|s| s.to_string()),
        "value" => obj.get("values").and_then(Json::as_array).map(|vs| {
            vs.iter()
                .map(|v| {
                    if v.get("absent").is_some() {
                        "absent".to_string()
                    } else {
                        v.get("value")
                            .map(|x| x.as_str().map_or(x.to_string(), str::to_string))
                            .unwrap_or_default()
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        }),
        "unit" => obj
            .get("values")
            .and_then(Json::as_array)
            .and_then(|vs| vs.iter().find_map(|v| v.get("unit").and_then(Json::as_str)))
            .map(str::to_string),
        "err" => {
            let (code, meaning) = want.split_once(' ').unwrap_or((want, ""));
            let meaning = meaning.trim().trim_start_matches('(').trim_end_matches(')');
            let e = obj.get("error");
            let word_ok = e
                .and_then(|e| e.get("word"))
                .and_then(Json::as_str)
                .is_some_and(|w| w.eq_ignore_ascii_case(code));
            let meaning_ok = meaning.is_empty()
                || e.and_then(|e| e.get("meanings"))
                    .and_then(Json::as_array)
                    .is_some_and(|ms| ms.iter().any(|m| m.as_str() == Some(meaning)));
            return if word_ok && meaning_ok {
                Ok(())
            } else {
                Err(format!("err: got {e:?}, want {want}"))
            };
        }
        other => return Err(format!("unknown expectation key {other}")),
    };
    match got {
        Some(g) if g == want => Ok(()),
        g => Err(format!("{key}: got {g:?}, want {want:?}")),
    }
}
