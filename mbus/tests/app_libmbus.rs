//! Conformance against libmbus's committed test corpus (`shared/vectors/mbus/libmbus`):
//! every real telegram gives the same normalized XML as the committed `.norm.xml`, byte for
//! byte except the frames listed with a reason in
//! `tests/data/libmbus-differences.md`; error and unsupported frames give typed errors.

#![allow(clippy::indexing_slicing)] // helpers index golden frames (clippy.toml allows it in #[test] fns only)

use std::fs;
use std::path::{Path, PathBuf};

use wired_mbus::app::libmbus::write_normalized;

mod common;

use common::{VECTORS, hex};

/// CI and user data of a long frame `68 L L 68 C A CI data CS 16`, or why not.
fn long_frame(bytes: &[u8]) -> Result<(u8, &[u8]), &'static str> {
    if bytes.len() < 9 || bytes[0] != 0x68 || bytes[3] != 0x68 {
        return Err("not a long frame");
    }
    let l = usize::from(bytes[1]);
    if l != usize::from(bytes[2]) || l < 3 || bytes.len() != l + 6 {
        return Err("bad length");
    }
    if *bytes.last().unwrap() != 0x16 {
        return Err("bad stop byte");
    }
    let sum = bytes[4..4 + l].iter().fold(0u8, |a, &b| a.wrapping_add(b));
    if sum != bytes[4 + l] {
        return Err("bad checksum");
    }
    if bytes[4] & 0x40 != 0 {
        return Err("master to slave");
    }
    Ok((bytes[6], &bytes[7..4 + l]))
}

fn frames(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(Path::new(VECTORS).join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hex"))
        .collect();
    v.sort();
    v
}

/// Frame names listed in the differences file (lines "- `name.hex`: reason").
fn known_differences() -> Vec<String> {
    let text = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/libmbus-differences.md"
    ))
    .unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn normalized_xml_matches_libmbus() {
    let known = known_differences();
    let mut matched = 0;
    let mut mismatched = Vec::new();
    let all = frames("frames");
    assert_eq!(all.len(), 51, "corpus size changed");
    for path in &all {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let bytes = hex(path);
        let (ci, data) = long_frame(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut out = heapless::Vec::<u8, 32768>::new();
        let res = write_normalized(&mut out, ci, data);
        let expected = fs::read(path.with_extension("norm.xml")).unwrap();
        if res.is_ok() && out[..] == expected[..] {
            matched += 1;
            assert!(
                !known.contains(&name),
                "{name} now matches: remove it from the list"
            );
        } else {
            if !known.contains(&name) {
                eprintln!("--- {name} differs ({res:?})");
            }
            if let Some(dir) = std::env::var_os("MBUS_XML_DUMP") {
                fs::write(Path::new(&dir).join(&name), &out).unwrap();
            }
            mismatched.push(name);
        }
    }
    eprintln!(
        "libmbus normalized XML: {matched} of {} match byte for byte",
        all.len()
    );
    for name in &mismatched {
        assert!(
            known.contains(name),
            "{name} differs from libmbus and is not documented"
        );
    }
    assert_eq!(matched + known.len(), all.len());
}
