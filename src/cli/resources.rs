//! `run`/`create` flags read as Docker's CLI reads them: `--env-file`, `--memory`, `--cpus`,
//! `--pids-limit`, `--stop-signal`. Bad values are refused in Docker's words (exit 125).

use super::Failure;
use crate::engine::runtime::parse_signal;
use crate::i18n::t;

fn flag_error(cmd: &str, value: &str, flag: &str, why: &str) -> Failure {
    let detail = t(
        "run.bad-flag",
        &[("value", value), ("flag", flag), ("why", why)],
    );
    super::help::flag_error(cmd, &detail)
}

/// Docker's opts.ParseEnvFile: `KEY=VALUE` lines (`KEY` alone takes the caller's value, if
/// set), blank lines and `#` comments skipped, leading whitespace dropped.
pub fn env_file(path: &str) -> Result<Vec<String>, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::NotFound {
            "no such file or directory".to_string()
        } else {
            e.to_string()
        };
        Failure::new(
            t("run.env-file-open", &[("path", path), ("why", &why)]),
            125,
        )
    })?;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (line, None),
        };
        if key.is_empty() {
            return Err(Failure::new(
                t("run.env-file-no-name", &[("line", line)]),
                125,
            ));
        }
        if key.contains(char::is_whitespace) {
            return Err(Failure::new(t("run.env-file-space", &[("name", key)]), 125));
        }
        match value {
            Some(v) => out.push(format!("{key}={v}")),
            None => {
                if let Ok(v) = std::env::var(key) {
                    out.push(format!("{key}={v}"));
                }
            }
        }
    }
    Ok(out)
}

/// go-units' RAMInBytes: a number with an optional b, k, m, g, t, p suffix (and an optional
/// trailing b: "512mb"), binary multiples.
pub fn memory(cmd: &str, value: &str) -> Result<u64, Failure> {
    let bad = || {
        flag_error(
            cmd,
            value,
            "-m, --memory",
            &format!("invalid size: '{value}'"),
        )
    };
    let lower = value.trim().to_ascii_lowercase();
    let split = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (num, unit) = lower.split_at(split);
    let n: f64 = num.parse().map_err(|_| bad())?;
    let unit = unit.strip_suffix('b').unwrap_or(unit);
    let mult: u64 = match unit.strip_suffix('i').unwrap_or(unit) {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        "p" => 1 << 50,
        _ => return Err(bad()),
    };
    let bytes = (n * mult as f64) as u64;
    // The daemon's floor (Docker: "Minimum memory limit allowed is 6MB.").
    if bytes > 0 && bytes < 6 << 20 {
        return Err(Failure::new(t("run.memory-minimum", &[]), 125));
    }
    Ok(bytes)
}

/// `--cpus 1.5` as NanoCPUs; more CPUs than the machine has is refused as Docker's daemon does.
pub fn cpus(cmd: &str, value: &str) -> Result<u64, Failure> {
    let n: f64 = value.parse().map_err(|_| {
        flag_error(
            cmd,
            value,
            "--cpus",
            &format!("failed to parse {value} as a rational number"),
        )
    })?;
    let online = std::thread::available_parallelism().map_or(1, |n| n.get());
    if n < 0.01 || n > online as f64 {
        return Err(Failure::new(
            t(
                "run.cpus-range",
                &[("max", &format!("{online}.00")), ("n", &online.to_string())],
            ),
            125,
        ));
    }
    Ok((n * 1e9) as u64)
}

/// `--pids-limit N` (0 or -1: unlimited).
pub fn pids_limit(cmd: &str, value: &str) -> Result<i64, Failure> {
    value.parse().map_err(|_| {
        flag_error(
            cmd,
            value,
            "--pids-limit",
            &format!("strconv.ParseInt: parsing \"{value}\": invalid syntax"),
        )
    })
}

/// `--stop-signal`: a name or number the engine knows.
pub fn stop_signal(value: &str) -> Result<String, Failure> {
    match parse_signal(value) {
        Some(_) => Ok(value.to_string()),
        None => Err(Failure::new(
            format!(
                "docker: {}",
                super::describe(&crate::engine::EngineError::InvalidSignal(
                    value.to_string()
                ))
            ),
            125,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_are_go_units_ram_in_bytes() {
        assert_eq!(memory("run", "512m").ok(), Some(512 << 20));
        assert_eq!(memory("run", "1g").ok(), Some(1 << 30));
        assert_eq!(memory("run", "1GB").ok(), Some(1 << 30));
        assert_eq!(memory("run", "8388608").ok(), Some(8 << 20));
        assert!(memory("run", "abc").is_err());
        assert!(memory("run", "1m").is_err(), "below the 6MB floor");
    }

    #[test]
    fn env_files_read_as_dockers() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tmp.path(), "# c\n\n  A=1\nB=x=y\nGORAE_UNSET_FOR_TEST\n").unwrap();
        let env = env_file(tmp.path().to_str().unwrap()).unwrap();
        assert_eq!(env, ["A=1", "B=x=y"]);
        std::fs::write(tmp.path(), "BAD NAME=1\n").unwrap();
        assert!(env_file(tmp.path().to_str().unwrap()).is_err());
        assert!(env_file("/nonexistent/gorae.env").is_err());
    }
}
