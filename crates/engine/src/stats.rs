//! `docker stats`: a container's counters from its cgroups (CPU time, memory, block I/O,
//! pids) and its network namespace (bytes per interface), and the arithmetic Docker's CLI does
//! on two samples.

use std::fs;
use std::path::Path;

use super::container::Container;
use super::runtime::cgroup;

/// One reading of a container's counters (all zero for a container that is not running).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counters {
    /// CPU time the container used, in nanoseconds.
    pub cpu_ns: u64,
    /// CPU time the whole machine spent, in nanoseconds (/proc/stat), for the share.
    pub system_ns: u64,
    pub online_cpus: u32,
    /// Memory in use, page cache that could be dropped not counted (as Docker's CLI).
    pub mem_usage: u64,
    pub mem_limit: u64,
    pub blk_read: u64,
    pub blk_write: u64,
    pub net_rx: u64,
    pub net_tx: u64,
    pub pids: u64,
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_default()
}

fn num(p: &Path) -> Option<u64> {
    read(p).trim().parse().ok()
}

/// `key value` lines (memory.stat, cpu.stat).
fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(' ')?.trim().parse().ok())
}

/// The machine's CPU time (ns) and online CPUs, from /proc/stat's `cpu` lines.
fn system_cpu(stat: &str, hz: u64) -> (u64, u32) {
    let mut total = 0;
    let mut cpus = 0;
    for l in stat.lines() {
        if let Some(rest) = l.strip_prefix("cpu ") {
            let ticks: u64 = rest
                .split_whitespace()
                .filter_map(|f| f.parse::<u64>().ok())
                .sum();
            total = ticks * (1_000_000_000 / hz.max(1));
        } else if l.starts_with("cpu") {
            cpus += 1;
        }
    }
    (total, cpus.max(1))
}

/// Bytes received and sent over the interfaces of `net_dev` (/proc/<pid>/net/dev) but
/// loopback, as Docker counts the container's network interfaces.
fn net_bytes(net_dev: &str) -> (u64, u64) {
    net_dev
        .lines()
        .skip(2)
        .filter_map(|l| {
            let (name, rest) = l.split_once(':')?;
            if name.trim() == "lo" {
                return None;
            }
            let f: Vec<u64> = rest
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            Some((*f.first()?, *f.get(8)?))
        })
        .fold((0, 0), |(r, t), (a, b)| (r + a, t + b))
}

/// The host's memory (/proc/meminfo MemTotal), the limit Docker shows for an unlimited one.
fn host_memory(meminfo: &str) -> u64 {
    meminfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("MemTotal:")?
                .split_whitespace()
                .next()?
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

/// Read container `c`'s counters now.
pub fn counters(c: &Container) -> Counters {
    let stat = read(Path::new("/proc/stat"));
    let (system_ns, online_cpus) = system_cpu(&stat, super::runtime::sys::clock_ticks());
    if !c.is_running() {
        return Counters {
            system_ns,
            online_cpus,
            ..Counters::default()
        };
    }
    let host_mem = host_memory(&read(Path::new("/proc/meminfo")));
    let mut n = read_cgroups(
        &|ctrl| cgroup::own_dir(&c.id, ctrl),
        cgroup::is_unified(),
        host_mem,
    );
    n.system_ns = system_ns;
    n.online_cpus = online_cpus;
    let (rx, tx) = net_bytes(&read(Path::new(&format!("/proc/{}/net/dev", c.state.pid))));
    n.net_rx = rx;
    n.net_tx = tx;
    n
}

/// The cgroup part of [`counters`]; `dir` gives the container's dir for a controller.
fn read_cgroups(dir: &dyn Fn(&str) -> std::path::PathBuf, v2: bool, host_mem: u64) -> Counters {
    let mut n = Counters::default();
    let limit_or_host = |l: Option<u64>| match l {
        Some(l) if l > 0 && l < host_mem => l,
        _ => host_mem,
    };
    if v2 {
        let d = dir("");
        n.cpu_ns = keyed(&read(&d.join("cpu.stat")), "usage_usec").unwrap_or(0) * 1000;
        let usage = num(&d.join("memory.current")).unwrap_or(0);
        let inactive = keyed(&read(&d.join("memory.stat")), "inactive_file").unwrap_or(0);
        n.mem_usage = if inactive < usage {
            usage - inactive
        } else {
            usage
        };
        n.mem_limit = limit_or_host(num(&d.join("memory.max")));
        for l in read(&d.join("io.stat")).lines() {
            for f in l.split_whitespace() {
                if let Some(v) = f
                    .strip_prefix("rbytes=")
                    .and_then(|v| v.parse::<u64>().ok())
                {
                    n.blk_read += v;
                }
                if let Some(v) = f
                    .strip_prefix("wbytes=")
                    .and_then(|v| v.parse::<u64>().ok())
                {
                    n.blk_write += v;
                }
            }
        }
        n.pids = num(&d.join("pids.current")).unwrap_or(0);
        return n;
    }
    n.cpu_ns = num(&dir("cpuacct").join("cpuacct.usage")).unwrap_or(0);
    let mem = dir("memory");
    let usage = num(&mem.join("memory.usage_in_bytes")).unwrap_or(0);
    let inactive = keyed(&read(&mem.join("memory.stat")), "total_inactive_file").unwrap_or(0);
    n.mem_usage = if inactive < usage {
        usage - inactive
    } else {
        usage
    };
    n.mem_limit = limit_or_host(num(&mem.join("memory.limit_in_bytes")));
    let blkio = dir("blkio");
    let io = read(&blkio.join("blkio.throttle.io_service_bytes_recursive"));
    let io = if io.is_empty() {
        read(&blkio.join("blkio.throttle.io_service_bytes"))
    } else {
        io
    };
    for l in io.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if let [_, op, v] = f[..] {
            let v: u64 = v.parse().unwrap_or(0);
            match op {
                "Read" => n.blk_read += v,
                "Write" => n.blk_write += v,
                _ => {}
            }
        }
    }
    n.pids = num(&dir("pids").join("pids.current")).unwrap_or(0);
    n
}

/// Docker's CPU %: the container's share of the machine's CPU time between two samples,
/// times the CPUs (100% is one CPU busy).
pub fn cpu_percent(before: &Counters, now: &Counters) -> f64 {
    let cpu = now.cpu_ns.saturating_sub(before.cpu_ns) as f64;
    let system = now.system_ns.saturating_sub(before.system_ns) as f64;
    if cpu > 0.0 && system > 0.0 {
        cpu / system * f64::from(now.online_cpus) * 100.0
    } else {
        0.0
    }
}

/// Docker's MEM %.
pub fn mem_percent(n: &Counters) -> f64 {
    if n.mem_limit == 0 {
        0.0
    } else {
        n.mem_usage as f64 / n.mem_limit as f64 * 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_and_v2_counters_are_read_as_docker_reads_them() {
        let tmp = tempfile::tempdir().unwrap();
        let v1 = tmp.path().join("v1");
        for (ctrl, file, text) in [
            ("cpuacct", "cpuacct.usage", "5000000\n"),
            ("memory", "memory.usage_in_bytes", "3000000\n"),
            (
                "memory",
                "memory.stat",
                "cache 1\ntotal_inactive_file 1000000\n",
            ),
            ("memory", "memory.limit_in_bytes", "9223372036854771712\n"),
            (
                "blkio",
                "blkio.throttle.io_service_bytes",
                "8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\nTotal 12288\n",
            ),
            ("pids", "pids.current", "3\n"),
        ] {
            fs::create_dir_all(v1.join(ctrl)).unwrap();
            fs::write(v1.join(ctrl).join(file), text).unwrap();
        }
        let n = read_cgroups(&|c| v1.join(c), false, 8 << 30);
        assert_eq!(
            (
                n.cpu_ns,
                n.mem_usage,
                n.mem_limit,
                n.blk_read,
                n.blk_write,
                n.pids
            ),
            (5_000_000, 2_000_000, 8 << 30, 4096, 8192, 3)
        );
        let v2 = tmp.path().join("v2");
        fs::create_dir_all(&v2).unwrap();
        for (file, text) in [
            ("cpu.stat", "usage_usec 7\nuser_usec 5\n"),
            ("memory.current", "4096\n"),
            ("memory.stat", "anon 1\ninactive_file 1024\n"),
            ("memory.max", "1073741824\n"),
            ("io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2\n"),
            ("pids.current", "1\n"),
        ] {
            fs::write(v2.join(file), text).unwrap();
        }
        let n = read_cgroups(&|_| v2.clone(), true, 8 << 30);
        assert_eq!(
            (
                n.cpu_ns,
                n.mem_usage,
                n.mem_limit,
                n.blk_read,
                n.blk_write,
                n.pids
            ),
            (7000, 3072, 1 << 30, 10, 20, 1)
        );
    }

    #[test]
    fn machine_cpu_network_and_percentages() {
        let (ns, cpus) = system_cpu(
            "cpu  10 0 10 80 0 0 0 0 0 0\ncpu0 5 0 5 40\ncpu1 5 0 5 40\nintr 1\n",
            100,
        );
        assert_eq!((ns, cpus), (1_000_000_000, 2));
        let dev = "Inter-|   Receive\n face |bytes packets\n    lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n  eth0: 648 8 0 0 0 0 0 0 1200 9 0 0 0 0 0 0\n";
        assert_eq!(net_bytes(dev), (648, 1200));
        assert_eq!(
            host_memory("MemTotal:       16384 kB\nMemFree: 1 kB\n"),
            16384 * 1024
        );
        let a = Counters {
            cpu_ns: 0,
            system_ns: 0,
            online_cpus: 2,
            ..Counters::default()
        };
        let b = Counters {
            cpu_ns: 250,
            system_ns: 1000,
            online_cpus: 2,
            mem_usage: 1,
            mem_limit: 4,
            ..Counters::default()
        };
        assert!((cpu_percent(&a, &b) - 50.0).abs() < 1e-9);
        assert!((mem_percent(&b) - 25.0).abs() < 1e-9);
    }
}
