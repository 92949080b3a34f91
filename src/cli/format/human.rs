//! Docker's human-readable numbers and times: go-units' sizes and durations, "… ago", Go's
//! time.Time printing, and Docker's Ellipsis.

use unicode_width::UnicodeWidthStr;

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

/// go-units' HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits ("4.26MB"),
/// what Docker's SIZE columns print.
pub fn human_size(size: u64) -> String {
    human_size_with_precision(size, 3)
}

/// go-units' HumanSize: 4 significant digits ("2.048kB"), for `docker build`'s context size
/// and the images' VirtualSize field.
pub fn human_size4(size: u64) -> String {
    human_size_with_precision(size, 4)
}

/// go-units' HumanSizeWithPrecision: decimal units, `%.{precision}g` of the value.
fn human_size_with_precision(size: u64, precision: usize) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut v = size as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < UNITS.len() {
        v /= 1000.0;
        i += 1;
    }
    format!("{}{}", format_g(v, precision), UNITS[i])
}

/// Go's `%.{precision}g` for a value below 1000 (a u64 is below 1000 EB): that many
/// significant digits, trailing zeros dropped.
fn format_g(v: f64, precision: usize) -> String {
    let int_digits = if v >= 100.0 {
        3
    } else if v >= 10.0 {
        2
    } else {
        1
    };
    let digits = precision.saturating_sub(int_digits);
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A limit in binary units, as go-units' BytesSize writes it ("16GiB").
pub fn binary_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{}GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{}MiB", b >> 20),
        b => format!("{b}B"),
    }
}

/// BuildKit's byte counts (tonistiigi/units `%.2f`): whole bytes below 1000 ("98B"), else
/// decimal units with two decimals ("2.15MB").
pub fn units_bytes(size: u64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let (mut v, mut i) = (size as f64, 0);
    while v >= 1000.0 && i + 1 < UNITS.len() {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{size}B")
    } else {
        format!("{v:.2}{}", UNITS[i])
    }
}

/// The longest start of `s` that fits in `max` display columns (no marker: BuildKit's
/// display cuts its lines so).
pub fn cut(s: &str, max: usize) -> &str {
    let mut w = 0;
    for (i, ch) in s.char_indices() {
        w += unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
        if w > max {
            return &s[..i];
        }
    }
    s
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

/// Go's time.Time.String() for a Unix time in seconds, in the local zone:
/// "2024-05-01 09:30:00 +0900 KST".
pub fn go_time(millis: u64) -> String {
    let secs = (millis / 1000) as i64;
    let Some(t) = crate::engine::runtime::sys::local_time(secs) else {
        return chrono::DateTime::from_timestamp(secs, 0)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S +0000 UTC").to_string())
            .unwrap_or_default();
    };
    let sign = if t.utc_offset < 0 { '-' } else { '+' };
    let abs = t.utc_offset.unsigned_abs();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} {sign}{:02}{:02} {}",
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
        abs / 3600,
        abs / 60 % 60,
        t.zone
    )
}

/// Go's `Format(time.RFC3339)` for a Unix time in the local zone: "2024-05-01T09:30:00+09:00",
/// "…Z" in UTC.
pub fn go_rfc3339(millis: u64) -> String {
    let secs = (millis / 1000) as i64;
    let Some(t) = crate::engine::runtime::sys::local_time(secs) else {
        return chrono::DateTime::from_timestamp(secs, 0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default();
    };
    let abs = t.utc_offset.unsigned_abs();
    let zone = match t.utc_offset {
        0 => "Z".to_string(),
        o => format!(
            "{}{:02}:{:02}",
            if o < 0 { '-' } else { '+' },
            abs / 3600,
            abs / 60 % 60
        ),
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
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
    fn four_digit_sizes_match_docker() {
        assert_eq!(human_size4(2048), "2.048kB");
        assert_eq!(human_size4(512), "512B");
        assert_eq!(human_size4(10240), "10.24kB");
        assert_eq!(human_size4(1_500_000), "1.5MB");
        assert_eq!(human_size4(0), "0B");
        assert_eq!(human_size4(116_543_000), "116.5MB");
    }

    #[test]
    fn limits_print_in_binary_units() {
        assert_eq!(binary_size(16 << 30), "16GiB");
        assert_eq!(binary_size(512 << 20), "512MiB");
        assert_eq!(binary_size(1000), "1000B");
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

    #[test]
    fn go_time_prints_like_go() {
        let s = go_time(1_700_000_000_000);
        // "2023-11-14 22:13:20 +0000 UTC" in UTC; the shape holds in any zone.
        let parts: Vec<&str> = s.split(' ').collect();
        assert_eq!(parts.len(), 4, "{s}");
        assert_eq!(parts[0].len(), 10);
        assert_eq!(parts[1].len(), 8);
        assert!(
            parts[2].starts_with('+') || parts[2].starts_with('-'),
            "{s}"
        );
    }
}
