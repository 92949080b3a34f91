//! `run`/`create` flags read as Docker's CLI reads them: `--env-file`, `--memory`, `--cpus`,
//! `--pids-limit`, `--stop-signal`, `--restart`, `--health-*`. Bad values are refused in
//! Docker's words (exit 125).

use super::Failure;
use crate::engine::health::{HealthConfig, parse_go_duration};
use crate::engine::restart::{self, RestartPolicy};
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

/// `--restart` of `run`/`create` (`cmd`): Docker's CLI refuses a malformed value and one
/// next to `--rm` (exit 125, with its help hint), its daemon an unknown policy or a misplaced
/// count (`run` words that as its own failure, 125; `create` passes it on as is, 1).
pub fn restart_policy(cmd: &str, value: &str, auto_remove: bool) -> Result<RestartPolicy, Failure> {
    // Worded only on a refusal: a start formats nothing it does not print.
    let more = || t("run.more-help", &[("cmd", cmd)]);
    let p = restart::parse(value).map_err(|e| {
        let from_daemon = !matches!(
            e,
            restart::PolicyError::NoPolicyBeforeColon | restart::PolicyError::CountNotInteger
        );
        let why = super::describe(&crate::engine::EngineError::RestartPolicy(e));
        if from_daemon && cmd == "create" {
            Failure::new(why, 1)
        } else {
            Failure::new(format!("docker: {why}\n\n{}", more()), 125)
        }
    })?;
    if auto_remove && !p.is_none() {
        return Err(Failure::new(
            format!("docker: {}\n\n{}", t("run.restart-and-rm", &[]), more()),
            125,
        ));
    }
    Ok(p)
}

/// `docker update --restart`: the same refusals, worded as `update` words them (exit 1).
pub fn update_restart_policy(value: &str) -> Result<RestartPolicy, Failure> {
    restart::parse(value).map_err(|e| {
        Failure::new(
            super::describe(&crate::engine::EngineError::RestartPolicy(e)),
            1,
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

/// `--health-*` and `--no-healthcheck` as Docker's CLI reads them: None when none is given.
pub fn healthcheck(cmd: &str, a: &super::args::RunArgs) -> Result<Option<HealthConfig>, Failure> {
    let duration = |flag: &str, v: &Option<String>| -> Result<i64, Failure> {
        let Some(v) = v else { return Ok(0) };
        let n = parse_go_duration(v).map_err(|why| flag_error(cmd, v, flag, &why))?;
        if n < 0 {
            return Err(Failure::new(
                t("run.health-negative", &[("flag", flag), ("cmd", cmd)]),
                125,
            ));
        }
        Ok(n)
    };
    let h = HealthConfig {
        test: a
            .health_cmd
            .iter()
            .filter(|c| !c.is_empty())
            .flat_map(|c| ["CMD-SHELL".to_string(), c.clone()])
            .collect(),
        interval: duration("--health-interval", &a.health_interval)?,
        timeout: duration("--health-timeout", &a.health_timeout)?,
        start_period: duration("--health-start-period", &a.health_start_period)?,
        start_interval: duration("--health-start-interval", &a.health_start_interval)?,
        retries: match &a.health_retries {
            None => 0,
            Some(v) => v.parse::<i64>().map_err(|_| {
                flag_error(
                    cmd,
                    v,
                    "--health-retries",
                    &format!("strconv.ParseInt: parsing \"{v}\": invalid syntax"),
                )
            })?,
        },
    };
    if h.retries < 0 {
        return Err(Failure::new(
            t(
                "run.health-negative",
                &[("flag", "--health-retries"), ("cmd", cmd)],
            ),
            125,
        ));
    }
    let any = h != HealthConfig::default();
    if a.no_healthcheck {
        if any {
            return Err(Failure::new(t("run.health-conflict", &[("cmd", cmd)]), 125));
        }
        return Ok(Some(HealthConfig {
            test: vec!["NONE".into()],
            ..Default::default()
        }));
    }
    Ok(any.then_some(h))
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
