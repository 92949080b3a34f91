//! Docker's output conventions: tab-aligned tables, human durations and sizes, truncation.

use unicode_width::UnicodeWidthStr;

/// Docker's tables: every column but the last padded to max(width + 3, 10) display columns.
pub fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.width());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let target = (widths[i] + 3).max(10);
                line.push_str(&" ".repeat(target - cell.width()));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// go-units' HumanDuration, which Docker uses for "2 minutes ago" and "Up 3 seconds".
pub fn human_duration(millis: u64) -> String {
    let secs = millis / 1000;
    let mins = secs / 60;
    let hours = (millis as f64 / 3_600_000.0 + 0.5) as u64;
    if secs < 1 {
        "Less than a second".into()
    } else if secs == 1 {
        "1 second".into()
    } else if secs < 60 {
        format!("{secs} seconds")
    } else if mins == 1 {
        "About a minute".into()
    } else if mins < 60 {
        format!("{mins} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", millis / 3_600_000 / 24 / 365)
    }
}

pub fn ago(then_millis: u64) -> String {
    let now = crate::engine::now_millis();
    format!("{} ago", human_duration(now.saturating_sub(then_millis)))
}

/// go-units' HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits.
pub fn human_size(size: u64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut s = size as f64;
    let mut i = 0;
    while s >= 1000.0 && i + 1 < UNITS.len() {
        s /= 1000.0;
        i += 1;
    }
    format!("{}{}", format_g3(s), UNITS[i])
}

/// `%.3g` as Go prints it for values below 1000.
fn format_g3(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Docker's Ellipsis: cut to `max` display columns with a trailing "…".
pub fn ellipsis(s: &str, max: usize) -> String {
    if s.width() <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for ch in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
        if w + cw > max.saturating_sub(1) {
            break;
        }
        out.push(ch);
        w += cw;
    }
    out.push('…');
    out
}

/// Go's strconv.Quote for the COMMAND column.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_docker() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(4_261_550), "4.26MB");
        assert_eq!(human_size(116_543_000), "117MB");
        assert_eq!(human_size(1_200), "1.2kB");
        assert_eq!(human_size(999), "999B");
    }

    #[test]
    fn durations_match_docker() {
        assert_eq!(human_duration(300), "Less than a second");
        assert_eq!(human_duration(1_000), "1 second");
        assert_eq!(human_duration(42_000), "42 seconds");
        assert_eq!(human_duration(61_000), "About a minute");
        assert_eq!(human_duration(5 * 60_000), "5 minutes");
        assert_eq!(human_duration(3 * 3_600_000), "3 hours");
        assert_eq!(human_duration(3 * 86_400_000), "3 days");
    }

    #[test]
    fn tables_pad_like_tabwriter() {
        let t = table(&[
            vec!["CONTAINER ID".into(), "IMAGE".into(), "NAMES".into()],
            vec!["0123456789ab".into(), "busybox".into(), "x".into()],
        ]);
        assert_eq!(
            t,
            "CONTAINER ID   IMAGE     NAMES\n0123456789ab   busybox   x\n"
        );
    }

    #[test]
    fn ellipsis_counts_display_columns() {
        assert_eq!(
            ellipsis("docker-entrypoint.sh redis-server", 20),
            "docker-entrypoint.s…"
        );
        assert_eq!(ellipsis("sh", 20), "sh");
        assert_eq!(ellipsis("한글한글한글", 7), "한글한…");
    }
}
