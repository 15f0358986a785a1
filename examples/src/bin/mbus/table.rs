//! Plain-text tables for people, rendered from the same JSON values `--json` prints, so the
//! two outputs cannot disagree.

use serde_json::Value as Json;

/// Columns padded to their widest cell, two spaces apart.
pub(crate) fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (cell, w) in cells.zip(&widths) {
            text.push_str(cell);
            text.extend(std::iter::repeat_n(' ', w + 2 - cell.chars().count()));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

fn str_of(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A record's value as one cell: the exact decimal, a date, text or hex bytes.
pub(crate) fn value_cell(v: &Json) -> String {
    if let Some(d) = v.get("decimal") {
        return str_of(d);
    }
    if let Some(r) = v.get("real") {
        let e = v.get("exponent").and_then(Json::as_i64).unwrap_or(0);
        return if e == 0 {
            str_of(r)
        } else {
            format!("{}e{e}", str_of(r))
        };
    }
    if let Some(y) = v.get("year") {
        let n = |k: &str| v.get(k).and_then(Json::as_u64);
        let mut s = format!(
            "{}-{:02}-{:02}",
            str_of(y),
            n("month").unwrap_or(0),
            n("day").unwrap_or(0)
        );
        if let (Some(h), Some(m)) = (n("hour"), n("minute")) {
            s.push_str(&format!(" {h:02}:{m:02}"));
            if let Some(sec) = n("second") {
                s.push_str(&format!(":{sec:02}"));
            }
        }
        if v.get("invalid").and_then(Json::as_bool) == Some(true) {
            s.push_str(" (invalid)");
        }
        return s;
    }
    for key in ["text", "binary_hex", "manufacturer_hex", "bcd_hex"] {
        if let Some(t) = v.get(key) {
            return str_of(t);
        }
    }
    str_of(v)
}

/// The records of one decoded telegram (the object `json::telegram` builds).
pub(crate) fn records(telegram: &Json) -> String {
    let empty = Vec::new();
    let records = telegram
        .get("records")
        .and_then(Json::as_array)
        .unwrap_or(&empty);
    let rows: Vec<Vec<String>> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let value = r.get("value").map(value_cell).unwrap_or_else(|| {
                // Fixed-structure counters carry their value at the top level.
                r.get("decimal").map(str_of).unwrap_or_default()
            });
            vec![
                i.to_string(),
                r.get("function").map(str_of).unwrap_or_default(),
                r.get("storage").map(str_of).unwrap_or_default(),
                r.get("tariff").map(str_of).unwrap_or_default(),
                r.get("subunit").map(str_of).unwrap_or_default(),
                r.get("quantity").map(str_of).unwrap_or_default(),
                value,
                r.get("unit").map(str_of).unwrap_or_default(),
            ]
        })
        .collect();
    render(
        &[
            "#", "FUNCTION", "STORAGE", "TARIFF", "SUBUNIT", "QUANTITY", "VALUE", "UNIT",
        ],
        &rows,
    )
}

/// The slave information line of one decoded telegram.
pub(crate) fn header(telegram: &Json) -> String {
    let h = telegram.get("header").unwrap_or(&Json::Null);
    let field = |k: &str| h.get(k).map(str_of).unwrap_or_default();
    let medium = h
        .get("medium")
        .and_then(|m| m.get("name"))
        .map(str_of)
        .unwrap_or_default();
    let mut parts = Vec::new();
    for (label, v) in [
        ("id", field("id")),
        ("manufacturer", field("manufacturer")),
        ("version", field("version")),
        ("medium", medium),
        ("access", field("access_number")),
        ("status", field("status")),
    ] {
        if !v.is_empty() {
            parts.push(format!("{label} {v}"));
        }
    }
    parts.join("  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_padded() {
        let t = render(
            &["A", "BB"],
            &[
                vec!["xyz".into(), "1".into()],
                vec!["q".into(), "22".into()],
            ],
        );
        assert_eq!(t, "A    BB\nxyz  1\nq    22\n");
    }

    #[test]
    fn value_cells() {
        let v = serde_json::json!({"mantissa": 5410, "exponent": -2, "decimal": "54.10"});
        assert_eq!(value_cell(&v), "54.10");
        let d = serde_json::json!({"year": 2012, "month": 3, "day": 4, "hour": 5, "minute": 6,
            "second": null, "invalid": false});
        assert_eq!(value_cell(&d), "2012-03-04 05:06");
        assert_eq!(value_cell(&serde_json::json!({"text": "abc"})), "abc");
    }
}
