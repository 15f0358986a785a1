//! Every line of ../shared/vectors/dlt645/frames.tsv and streams.tsv decodes to what it says.
#![allow(clippy::indexing_slicing)] // tests index golden frames (clippy.toml allows it in #[test] fns only)

use dlt645::{Body, Error, Frame, Reply, Repr, Request, Scanner, Value, frames};

const FRAMES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/dlt645/frames.tsv"
));
const STREAMS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/dlt645/streams.tsv"
));

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| b.is_ascii_hexdigit()).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

fn expectations(s: &str) -> Vec<(&str, &str)> {
    s.split(';')
        .filter(|kv| !kv.is_empty())
        .map(|kv| kv.split_once('=').unwrap())
        .collect()
}

fn lines(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').collect())
}

/// Check one ok=true vector against its expectations.
fn check_ok(id: &str, bytes: &[u8], exp: &[(&str, &str)]) {
    let frame = Frame::new_checked(bytes).unwrap_or_else(|e| panic!("{id}: {e}"));
    let repr = Repr::parse(&frame).unwrap_or_else(|e| panic!("{id}: {e}"));
    // `parse` takes a fast path for 2007 read replies; `parse_frame` always the general one.
    assert_eq!(
        Repr::parse_frame(&frame),
        Ok(repr),
        "{id}: fast and general paths differ"
    );
    let values: Vec<Value<'_>> = match &repr.body {
        Body::Reply(r) => r
            .values()
            .map(|v| v.map(|i| i.value).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    for (k, v) in exp {
        match *k {
            "ok" => assert_eq!(*v, "true"),
            "edition" => assert_eq!(
                repr.edition().map(|e| e.to_string()).as_deref(),
                Some(*v),
                "{id} edition"
            ),
            "func" => assert_eq!(
                format!("{:02X}", repr.control().function()),
                v.to_uppercase(),
                "{id} func"
            ),
            "dir" => assert_eq!(
                if repr.is_reply() { "reply" } else { "req" },
                *v,
                "{id} dir"
            ),
            "addr" => assert_eq!(repr.address.to_string(), *v, "{id} addr"),
            "di" => {
                let di = match &repr.body {
                    Body::Request(r) => r
                        .di()
                        .map(|d| d.to_string())
                        .or(r.di97().map(|d| d.to_string())),
                    Body::Reply(r) => r
                        .di()
                        .map(|d| d.to_string())
                        .or(r.di97().map(|d| d.to_string())),
                    _ => None,
                };
                assert_eq!(di.as_deref(), Some(*v), "{id} di");
            }
            "value" => {
                let shown: Vec<String> = values
                    .iter()
                    .map(|v| match v {
                        Value::Number(q) => q.value.to_string(),
                        other => other.to_string(),
                    })
                    .collect();
                assert_eq!(shown.join(","), *v, "{id} value");
            }
            "unit" => {
                let unit = values.iter().find_map(|v| match v {
                    Value::Number(q) => Some(q.unit.symbol()),
                    _ => None,
                });
                assert_eq!(unit, Some(*v), "{id} unit");
            }
            "text" => {
                let text = match &repr.body {
                    Body::Reply(Reply::Address(a)) => a.to_string(),
                    _ => values.first().map(|v| v.to_string()).unwrap_or_default(),
                };
                assert_eq!(text, *v, "{id} text");
            }
            "seq" => {
                let seq = match &repr.body {
                    Body::Request(Request::ReadFollow { seq, .. }) => Some(*seq),
                    Body::Reply(r) => r.seq(),
                    _ => None,
                };
                assert_eq!(seq.map(|s| s.to_string()).as_deref(), Some(*v), "{id} seq");
            }
            "err" => {
                let Body::Error { word, .. } = &repr.body else {
                    panic!("{id}: not an error reply: {repr:?}")
                };
                let (code, meaning) = v.split_once(' ').unwrap();
                assert_eq!(format!("{:02X}", word.bits()), code, "{id} err");
                let meaning = meaning.trim_matches(|c| c == '(' || c == ')');
                assert!(
                    word.meanings().any(|m| m == meaning),
                    "{id}: {meaning} not in {:?}",
                    word.meanings().collect::<Vec<_>>()
                );
            }
            "follow" => assert_eq!(repr.follow.to_string(), *v, "{id} follow"),
            other => panic!("{id}: unknown key {other}"),
        }
    }
    // Emitting the parsed representation gives the same frame back (without wake-up bytes).
    let mut out = [0u8; 300];
    let n = repr
        .emit(&mut out)
        .unwrap_or_else(|e| panic!("{id}: emit {e}"));
    assert_eq!(&out[..n], frame.frame_bytes(), "{id} re-emit");
}

/// Check one ok=false vector: the typed error its reason names.
fn check_rejected(id: &str, bytes: &[u8], reason: &str) {
    let err = Frame::new_checked(bytes).expect_err(id);
    if let Some(rest) = reason.strip_prefix("checksum (correct value ") {
        let expected = u8::from_str_radix(rest.trim_end_matches(')'), 16).unwrap();
        let cs_at = bytes.len() - 2;
        assert_eq!(
            err,
            Error::BadChecksum {
                offset: cs_at,
                expected,
                found: bytes[cs_at]
            },
            "{id}"
        );
    } else if reason.starts_with("end byte") {
        let at = bytes.len() - 1;
        assert_eq!(
            err,
            Error::BadEnd {
                offset: at,
                found: bytes[at]
            },
            "{id}"
        );
    } else if reason.starts_with("second start byte") {
        assert_eq!(
            err,
            Error::BadSecondStart {
                offset: 7,
                found: bytes[7]
            },
            "{id}"
        );
    } else if reason == "incomplete" {
        assert!(matches!(err, Error::Truncated { .. }), "{id}: {err:?}");
    } else {
        panic!("{id}: unknown reason {reason}");
    }
}

#[test]
fn every_frame_vector_decodes_as_described() {
    let mut ok = 0;
    let mut rejected = 0;
    for cols in lines(FRAMES) {
        let (id, bytes, exp) = (cols[0], hex(cols[1]), expectations(cols[2]));
        if exp.contains(&("ok", "false")) {
            let reason = exp.iter().find(|(k, _)| *k == "reason").unwrap().1;
            check_rejected(id, &bytes, reason);
            rejected += 1;
        } else {
            check_ok(id, &bytes, &exp);
            ok += 1;
        }
    }
    assert_eq!((ok, rejected), (20, 5));
}

#[test]
fn every_stream_vector_splits_into_its_frame_count() {
    let mut checked = 0;
    for cols in lines(STREAMS) {
        let (id, bytes, count) = (cols[0], hex(cols[1]), cols[2].parse::<usize>().unwrap());
        assert_eq!(frames(&bytes).count(), count, "{id}: frames()");
        for chunk in 1..=bytes.len() {
            let mut s: Scanner = Scanner::new();
            let mut got = Vec::new();
            for c in bytes.chunks(chunk) {
                assert_eq!(s.push(c), c.len());
                while let Some(f) = s.next_frame() {
                    got.push(f.frame_bytes().to_vec());
                }
            }
            assert_eq!(got.len(), count, "{id}: chunks of {chunk}");
            for f in &got {
                Repr::parse(&Frame::new_checked(&f[..]).unwrap()).unwrap();
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 2);
}

#[test]
fn s2_noise_is_counted_and_both_replies_are_read_address() {
    let cols = lines(STREAMS).next().unwrap();
    let bytes = hex(cols[1]);
    let mut s: Scanner = Scanner::new();
    s.push(&bytes);
    let mut n = 0;
    while let Some(f) = s.next_frame() {
        let r = Repr::parse(&f).unwrap();
        assert!(
            matches!(r.body, Body::Reply(Reply::Address(a)) if a.to_string() == "000006605518")
        );
        n += 1;
    }
    assert_eq!(n, 2);
    assert_eq!(s.dropped(), 3, "fd bb dd");
}
