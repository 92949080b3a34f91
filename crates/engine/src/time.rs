//! Time as the store writes it: RFC 3339 strings with nanoseconds, read back as milliseconds.

/// Milliseconds since the epoch of an RFC 3339 time; 0 when it does not parse (or is before).
pub fn parse_time_millis(s: &str) -> u64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis().max(0) as u64)
        .unwrap_or(0)
}

/// Now, in RFC 3339 with nanoseconds (UTC), as Docker writes times.
pub fn rfc3339_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}
