//! The demo end to end: simulated DL/T 645 meters on two RS-485 buses, M-Bus water meters
//! and a carrier module on pty pairs, driven by the real daemon; it must exit 0 and show the
//! simulated values (meter simulator defaults: 1000 kWh, 220.0 V on phase A, 2.2 kW).

use std::process::Command;

#[test]
fn demo_reads_every_bus_switches_and_syncs() {
    let dir = std::env::temp_dir().join(format!("concentrator-demo-test-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_concentrator"))
        .args(["demo", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Eleven meters, the silent one fails.
    assert!(
        text.contains("round done: 11 meters, 10 read, 1 failed"),
        "{text}"
    );
    let row = |meter: &str, item: &str, value: &str| {
        text.lines().any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.first() == Some(&meter)
                && l.contains(item)
                && l.contains(value)
                && l.ends_with("good")
        })
    };
    assert!(row("1", "energy_import", "1000.00 kWh"), "{text}");
    assert!(row("1", "voltage A", "220.0 V"), "{text}");
    assert!(row("2", "active_power", "3.5000 kW"), "{text}");
    assert!(row("3", "energy_import", "12345.67 kWh"), "{text}");
    assert!(row("5", "energy_import", "1000.00 kWh"), "{text}"); // DL/T 645-1997
    assert!(row("7", "volume", "1234.567 m3"), "{text}"); // M-Bus, litres scaled exactly
    assert!(row("8", "volume", "89.012 m3"), "{text}"); // M-Bus by secondary address
    assert!(row("11", "energy_import", "1000.00 kWh"), "{text}"); // behind the carrier module
    assert!(
        text.contains("meter 2 switch off: done; relay now open"),
        "{text}"
    );
    assert!(
        text.contains("meter 2 switch on: done; relay now closed"),
        "{text}"
    );
    assert!(text.contains("clock sync: 6 meters checked"), "{text}");
    // The master station over Q/GDW 1376.1: a read and the switch with a wrong, then the
    // right PW (wrong: AFN 00 F2 and the relay untouched).
    assert!(
        text.contains("concentrator 0200:1234 logged in (AFN 02 F1)"),
        "{text}"
    );
    assert!(
        text.contains("AFN 0C F129 p1 (meter 1): forward active 1000.0"),
        "{text}"
    );
    assert!(
        text.contains("trip p2 with a wrong PW: denied (AFN 00 F2); relay closed"),
        "{text}"
    );
    assert!(
        text.contains("trip p2 with the right PW: confirmed (AFN 00 F1); relay open"),
        "{text}"
    );
    assert!(
        text.contains("allow close p2: confirmed (AFN 00 F1); relay closed"),
        "{text}"
    );
    assert!(dir.join("concentrator.db").exists());
    assert!(dir.join("master.db").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
