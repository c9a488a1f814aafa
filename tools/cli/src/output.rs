//! Printing: JSON on stdout for scripts (`--json`), aligned tables for people, notes and
//! warnings on stderr. Nothing printed here ever holds a secret: the values printed are
//! documents with `clientSecret` redacted, tags, reports and records.

use chrono::{DateTime, Utc};
use comfy_table::{presets, ContentArrangement, Table};
use serde::Serialize;

pub fn json<T: Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("output serializes")
    );
}

/// A borderless table with a header row.
pub fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(headers.iter().map(|h| h.to_ascii_uppercase()));
    for r in rows {
        t.add_row(r);
    }
    // The preset pads each cell with a space on both sides; lines start flush.
    t.lines()
        .map(|l| l.trim_end().strip_prefix(' ').unwrap_or(&l).to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Label/value lines, aligned (a table without its header row).
pub fn fields(rows: Vec<Vec<String>>) -> String {
    table(&["", ""], rows)
        .lines()
        .skip(1)
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn note(text: impl AsRef<str>) {
    eprintln!("{}", text.as_ref());
}

pub fn warn(text: impl AsRef<str>) {
    eprintln!("warning: {}", text.as_ref());
}

/// `in 3d 4h`, `5m ago`: how far `t` is from `now`, at a glance.
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let d = t - now;
    let (past, d) = if d < chrono::Duration::zero() {
        (true, -d)
    } else {
        (false, d)
    };
    let span = if d.num_days() >= 2 {
        // Nearest day: a due time 45 days out reads "45d" a second later too.
        format!("{}d", (d + chrono::Duration::hours(12)).num_days())
    } else if d.num_hours() >= 1 {
        format!("{}h{:02}m", d.num_hours(), d.num_minutes() % 60)
    } else if d.num_minutes() >= 1 {
        format!("{}m", d.num_minutes())
    } else {
        format!("{}s", d.num_seconds())
    };
    if past {
        format!("{span} ago")
    } else {
        format!("in {span}")
    }
}

/// An ISO time shown as date and relative offset, or `-`.
pub fn when(iso: Option<&str>, now: DateTime<Utc>) -> String {
    match iso.and_then(credguard::rotation::schedule::parse_time) {
        Some(t) => format!("{} ({})", t.format("%Y-%m-%d %H:%M"), relative(t, now)),
        None => "-".into(),
    }
}

/// The last characters of an id: enough to tell clients apart in a table.
pub fn short(id: &str) -> String {
    if id.len() <= 12 {
        id.to_owned()
    } else {
        format!("…{}", &id[id.len() - 8..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        let now = Utc::now();
        assert_eq!(relative(now + chrono::Duration::days(29), now), "in 29d");
        assert_eq!(relative(now - chrono::Duration::minutes(5), now), "5m ago");
        assert_eq!(
            relative(now + chrono::Duration::minutes(90), now),
            "in 1h30m"
        );
    }

    #[test]
    fn tables_align_columns() {
        let t = table(
            &["name", "state"],
            vec![
                vec!["a".into(), "active".into()],
                vec!["longer".into(), "x".into()],
            ],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3, "{t}");
        assert!(lines[0].starts_with("NAME"), "{t}");
        let col = lines[0].find("STATE").unwrap();
        assert_eq!(lines[1].find("active"), Some(col), "{t}");
    }
}
