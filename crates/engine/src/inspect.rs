//! Looking into a container from the host: its processes (`docker top`) and the bytes it
//! wrote (`docker ps -s`). The CLI formats what these return.

use std::os::unix::fs::MetadataExt;
use std::time::SystemTime;

use super::container::Container;
use super::{EngineError, Result, Store};

/// One process of a running container, as `docker top` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessRow {
    /// The user name from the host's passwd file, else the uid.
    pub user: String,
    pub pid: i32,
    pub ppid: String,
    /// `pts/N`, or `?` without a terminal.
    pub tty: String,
    /// User plus system CPU time, in whole seconds.
    pub cpu_secs: u64,
    /// When the process started (its /proc dir's time).
    pub started: Option<SystemTime>,
    /// The command line, arguments joined by spaces.
    pub cmd: String,
}

/// Host processes in the container's PID namespace.
pub fn container_pids(c: &Container) -> Vec<i32> {
    let Ok(ns) = std::fs::read_link(format!("/proc/{}/ns/pid", c.state.pid)) else {
        return Vec::new();
    };
    let mut pids: Vec<i32> = std::fs::read_dir("/proc")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
                .filter(|pid: &i32| {
                    std::fs::read_link(format!("/proc/{pid}/ns/pid")).is_ok_and(|l| l == ns)
                })
                .collect()
        })
        .unwrap_or_default();
    pids.sort_unstable();
    pids
}

impl Store {
    /// `docker top`: the processes of a running container (by name or ID), read from /proc.
    pub fn top(&self, name: &str) -> Result<Vec<ProcessRow>> {
        let c = self.resolve_container(name)?;
        if !c.is_running() {
            return Err(EngineError::NotRunning(c.id.clone()));
        }
        let users = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let user_name = |uid: &str| {
            users
                .lines()
                .find(|l| l.split(':').nth(2) == Some(uid))
                .and_then(|l| l.split(':').next())
                .unwrap_or(uid)
                .to_string()
        };
        let hz = crate::runtime::sys::clock_ticks();
        let mut rows = Vec::new();
        for pid in container_pids(&c) {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            let Some(close) = stat.rfind(')') else {
                continue;
            };
            let f: Vec<&str> = stat[close + 2..].split_whitespace().collect();
            let ppid = f.get(1).unwrap_or(&"0").to_string();
            let tty_nr: u64 = f.get(4).and_then(|s| s.parse().ok()).unwrap_or(0);
            let cpu: u64 = f.get(11).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
                + f.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
            let secs = cpu / hz;
            let uid = std::fs::read_to_string(format!("/proc/{pid}/status"))
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("Uid:"))
                        .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
                })
                .unwrap_or_else(|| "0".into());
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|b| {
                    String::from_utf8_lossy(&b)
                        .split('\0')
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            let tty = if tty_nr == 0 {
                "?".to_string()
            } else {
                format!("pts/{}", (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00))
            };
            let started = std::fs::metadata(format!("/proc/{pid}"))
                .and_then(|m| m.modified())
                .ok();
            rows.push(ProcessRow {
                user: user_name(&uid),
                pid,
                ppid,
                tty,
                cpu_secs: secs,
                started,
                cmd: cmdline,
            });
        }
        Ok(rows)
    }

    /// `docker top CONTAINER PS_OPTIONS…`, as Docker's daemon does it: the host's `ps` with
    /// those options (and `-q <pids>`, retried without it for options that refuse `q`), keeping
    /// the rows whose PID column is one of the container's processes. Titles and rows.
    pub fn top_ps(
        &self,
        name: &str,
        ps_args: &[String],
    ) -> Result<(Vec<String>, Vec<Vec<String>>)> {
        let c = self.resolve_container(name)?;
        let joined = ps_args.join(" ");
        validate_ps_args(&joined)?;
        if !c.is_running() {
            return Err(EngineError::NotRunning(c.id.clone()));
        }
        let pids = container_pids(&c);
        let args: Vec<&str> = joined.split(' ').collect();
        let q = format!(
            "-q{}",
            pids.iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(",")
        );
        let ps = |extra: Option<&str>| {
            std::process::Command::new("ps")
                .args(&args)
                .args(extra)
                .stdin(std::process::Stdio::null())
                .output()
        };
        let out = match ps(Some(&q)) {
            Ok(o) if o.status.success() => o,
            _ => match ps(None) {
                Ok(o) if o.status.success() => o,
                Ok(o) => {
                    let err = String::from_utf8_lossy(&o.stderr);
                    let first = err.lines().next().unwrap_or("").to_string();
                    let why = if first.is_empty() {
                        format!("exit status {}", o.status.code().unwrap_or(1))
                    } else {
                        first
                    };
                    return Err(EngineError::Ps(format!("ps: {why}")));
                }
                Err(e) => {
                    return Err(EngineError::Ps(format!(
                        "ps: exec: \"ps\": {}",
                        if e.kind() == std::io::ErrorKind::NotFound {
                            "executable file not found in $PATH".to_string()
                        } else {
                            e.to_string()
                        }
                    )));
                }
            },
        };
        parse_ps_output(&String::from_utf8_lossy(&out.stdout), &pids)
    }

    /// Bytes written by the container (its overlay upper dir, as Docker's SizeRw): every
    /// non-dir entry's size, hard links counted once. Entries the user cannot read are
    /// skipped.
    pub fn container_size(&self, id: &str) -> u64 {
        tree_size(&self.upper_dir(id))
    }
}

/// Bytes under `dir`: every non-dir entry's size, hard links counted once. Entries the user
/// cannot read are skipped. (A container's SizeRw, a volume's reclaimed space.)
pub fn tree_size(dir: &std::path::Path) -> u64 {
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(m) = std::fs::symlink_metadata(e.path()) else {
                continue;
            };
            if m.is_dir() {
                stack.push(e.path());
            } else if m.nlink() <= 1 || seen.insert((m.dev(), m.ino())) {
                total += m.len();
            }
        }
    }
    total
}

/// Docker refuses `ps` options that rename the PID column (`-o user=PID`): it must find it.
fn validate_ps_args(args: &str) -> Result<()> {
    // Docker's regexp `\s+([^\s]*)=\s*(PID[^\s]*)`, by hand.
    let words: Vec<&str> = args.split_ascii_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let Some((k, v)) = w.split_once('=') else {
            continue;
        };
        // Only a word after whitespace counts (the regexp needs `\s+` before the key).
        if i == 0 && !args.starts_with(char::is_whitespace) {
            continue;
        }
        let v = if v.is_empty() {
            words.get(i + 1).copied().unwrap_or("")
        } else {
            v
        };
        if v.starts_with("PID") && k != "pid" {
            let v = v.split_ascii_whitespace().next().unwrap_or(v);
            return Err(EngineError::Ps(format!(
                "specifying \"{k}={v}\" is not allowed"
            )));
        }
    }
    Ok(())
}

/// Docker's parsePSOutput: titles from the first line; rows whose PID is the container's (and
/// the thread lines `-` that follow one, for `m`); extra fields merged into the last column.
fn parse_ps_output(output: &str, pids: &[i32]) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let mut lines = output.split('\n');
    let titles: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split_ascii_whitespace()
        .map(str::to_string)
        .collect();
    let pid_index = titles
        .iter()
        .position(|t| t == "PID")
        .ok_or_else(|| EngineError::Ps("Couldn't find PID field in ps output".into()))?;
    let mut rows = Vec::new();
    let mut after_ours = false;
    for line in lines.filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        let Some(pid) = fields.get(pid_index) else {
            continue;
        };
        let ours = if *pid == "-" {
            after_ours
        } else {
            let p: i32 = pid.parse().map_err(|_| {
                EngineError::Ps(format!(
                    "Unexpected pid '{pid}': strconv.Atoi: parsing \"{pid}\": invalid syntax"
                ))
            })?;
            after_ours = pids.contains(&p);
            after_ours
        };
        if ours {
            let last = titles.len().saturating_sub(1).min(fields.len());
            let mut row: Vec<String> = fields[..last].iter().map(|s| s.to_string()).collect();
            row.push(fields[last..].join(" "));
            rows.push(row);
        }
    }
    Ok((titles, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_output_keeps_the_containers_rows_and_merges_overhanging_fields() {
        let out = "UID PID PPID CMD\nroot 1 0 init\nroot 7 1 sh -c sleep 9\nroot 9 1 other\n";
        let (titles, rows) = parse_ps_output(out, &[7]).unwrap();
        assert_eq!(titles, ["UID", "PID", "PPID", "CMD"]);
        assert_eq!(rows, vec![vec!["root", "7", "1", "sh -c sleep 9"]]);
        let threads = "PID TID CMD\n7 - sh\n- 7 -\n- 8 -\n9 - x\n- 9 -\n";
        let (_, rows) = parse_ps_output(threads, &[7]).unwrap();
        assert_eq!(rows.len(), 3);
        assert!(matches!(
            parse_ps_output("USER CMD\nroot x\n", &[7]),
            Err(EngineError::Ps(m)) if m == "Couldn't find PID field in ps output"
        ));
    }

    #[test]
    fn renaming_the_pid_column_is_refused_as_docker_does() {
        assert!(validate_ps_args("-o pid,user").is_ok());
        assert!(validate_ps_args("-o pid=PID").is_ok());
        assert!(matches!(
            validate_ps_args("-o user=PID"),
            Err(EngineError::Ps(m)) if m == "specifying \"user=PID\" is not allowed"
        ));
    }
}
