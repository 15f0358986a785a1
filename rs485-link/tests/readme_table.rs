//! The README's timing table is generated here from the code, so it cannot drift: this test
//! fails (and prints the table) when the README differs.

use rs485_link::{LineSettings, Margins, ProtocolTiming, Timing};

fn ms(us: u64) -> String {
    format!("{}.{:03}", us / 1000, us % 1000)
}

fn table() -> String {
    let rows: [(&str, &ProtocolTiming, LineSettings); 8] = [
        (
            "DL/T 645",
            &ProtocolTiming::DLT645,
            LineSettings::DLT645_1200,
        ),
        (
            "DL/T 645",
            &ProtocolTiming::DLT645,
            LineSettings::DLT645_2400,
        ),
        (
            "DL/T 645",
            &ProtocolTiming::DLT645,
            LineSettings::DLT645_4800,
        ),
        (
            "DL/T 645",
            &ProtocolTiming::DLT645,
            LineSettings::DLT645_9600,
        ),
        ("M-Bus", &ProtocolTiming::MBUS, LineSettings::MBUS_300),
        ("M-Bus", &ProtocolTiming::MBUS, LineSettings::MBUS_2400),
        ("M-Bus", &ProtocolTiming::MBUS, LineSettings::MBUS_9600),
        (
            "carrier module",
            &ProtocolTiming::CARRIER,
            LineSettings::CARRIER_9600,
        ),
    ];
    let mut s = String::from(
        "| protocol | line | character (ms) | gap limit (ms) | turnaround (ms) | response timeout (ms) | with `Margins::USB` (ms) |\n\
         |---|---|---:|---:|---:|---:|---:|\n",
    );
    for (name, p, line) in rows {
        let t = Timing::new(p, line, Margins::NONE);
        let u = Timing::new(p, line, Margins::USB);
        s += &format!(
            "| {name} | {} 8E1 | {} | {} | {} | {} | {} |\n",
            line.baud(),
            ms(t.char_us()),
            ms(t.gap_us()),
            ms(t.turnaround_us()),
            ms(t.response_us()),
            ms(u.response_us()),
        );
    }
    s
}

#[test]
fn readme_timing_table_matches_the_code() {
    let readme = include_str!("../README.md");
    let t = table();
    assert!(
        readme.contains(&t),
        "README.md must contain this table:\n\n{t}"
    );
}
