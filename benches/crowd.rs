//! `cargo bench --bench crowd`: a workshop room on one machine. 40 sandboxes (each its own
//! store; `GORAE_CROWD_N` overrides) each start one detached container at once — busybox
//! `sleep 3600`, then the heavier redis — and this prints how many run, their memory (RSS and
//! PSS of monitors + container processes from /proc, and the cgroups' own count where
//! readable), the time to start them all, and the time of a `docker ps` in one sandbox while
//! the others run. Everything is removed afterwards.
//!
//! Each room runs twice: with every store keeping its own copies of the layers
//! (`GORAE_LAYER_POOL=none`, as before the pool) and with the stores sharing one layer pool.
//! Before the rooms, the course's images (the bundled catalog's) are pulled into every store
//! and the disk they take is printed: `du` of all stores and the pool, hard links counted once.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use gorae::engine::Store;
use gorae::engine::container::Container;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gorae"))
}

fn catalog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("images/layout")
}

/// How the stores of a room keep their layers.
#[derive(Clone, Copy)]
enum Layers<'a> {
    /// Each its own copies (`GORAE_LAYER_POOL=none`).
    Own,
    /// One pool shared by all.
    Shared(&'a Path),
}

impl Layers<'_> {
    fn env(&self) -> &std::ffi::OsStr {
        match self {
            Layers::Own => "none".as_ref(),
            Layers::Shared(p) => p.as_os_str(),
        }
    }
    fn label(&self) -> &'static str {
        match self {
            Layers::Own => "own copies",
            Layers::Shared(_) => "shared pool",
        }
    }
}

/// The bundled catalog's images, which the course uses.
const COURSE_IMAGES: [&str; 5] = ["busybox", "debian", "nginx", "redis", "registry"];

fn docker(root: &Path, layers: Layers, args: &[&str]) -> Option<String> {
    let out = Command::new(bin())
        .arg("docker")
        .args(args)
        .env("GORAE_ROOT", root)
        .env("GORAE_LAYER_POOL", layers.env())
        .env("GORAE_IMAGES", catalog())
        .env("LANG", "C.UTF-8")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "docker {args:?} in {}: {}",
            root.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).to_string())
}

/// A `/proc/<pid>/status` or `smaps_rollup` field in kB.
fn proc_kb(pid: i32, file: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// Every host pid in the PID namespace of `init` (the container's processes).
fn container_pids(init: i32) -> Vec<i32> {
    let Ok(ns) = std::fs::read_link(format!("/proc/{init}/ns/pid")) else {
        return Vec::new();
    };
    std::fs::read_dir("/proc")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
                .filter(|pid: &i32| {
                    *pid != init
                        && std::fs::read_link(format!("/proc/{pid}/ns/pid")).is_ok_and(|l| l == ns)
                })
                .chain(std::iter::once(init))
                .collect()
        })
        .unwrap_or_default()
}

/// The memory a container's cgroup has charged (bytes), v2 or v1.
fn cgroup_bytes(id: &str) -> Option<u64> {
    [
        format!("/sys/fs/cgroup/gorae/{id}/memory.current"),
        format!("/sys/fs/cgroup/memory/gorae/{id}/memory.usage_in_bytes"),
    ]
    .iter()
    .find_map(|p| std::fs::read_to_string(p).ok())
    .and_then(|s| s.trim().parse().ok())
}

fn mib(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// Disk used under `paths` in KiB (allocated blocks), each inode once, as `du` counts.
fn disk_kib(paths: &[PathBuf]) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut seen = HashSet::new();
    let mut total = 0;
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(p) = stack.pop() {
        let Ok(m) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if seen.insert((m.dev(), m.ino())) {
            total += m.blocks() / 2;
        }
        if m.is_dir()
            && let Ok(rd) = std::fs::read_dir(&p)
        {
            stack.extend(rd.flatten().map(|e| e.path()));
        }
    }
    total
}

fn bench_dir(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!("gorae-crowd-bench-{}-{what}", std::process::id()))
}

/// The disk `n` stores with the course's images take, against one store alone (KiB).
fn course_disk(n: usize, layers: Layers, base: &Path) -> Option<(u64, u64)> {
    let roots: Vec<PathBuf> = (0..n).map(|i| base.join(format!("s{i}"))).collect();
    let counted = |roots: &[PathBuf]| {
        let mut paths = roots.to_vec();
        if let Layers::Shared(p) = layers {
            paths.push(p.to_path_buf());
        }
        disk_kib(&paths)
    };
    let mut one = 0;
    let t = Instant::now();
    for (i, r) in roots.iter().enumerate() {
        for image in COURSE_IMAGES {
            if docker(r, layers, &["pull", "-q", image]).is_none() {
                println!(
                    "course images ({}): pull of {image} failed; skipped",
                    layers.label()
                );
                return None;
            }
        }
        if i == 0 {
            one = counted(&roots[..1]);
        }
    }
    let all = counted(&roots);
    println!(
        "course images ({}): {} pulled into {n} stores in {:.1} s; disk: one store {:.1} MiB, {n} stores {:.1} MiB = {:.2}x one store",
        layers.label(),
        COURSE_IMAGES.join(" "),
        t.elapsed().as_secs_f64(),
        mib(one),
        mib(all),
        all as f64 / one.max(1) as f64
    );
    Some((one, all))
}

/// What a room measured: PSS per container (container processes only, and with monitors).
struct RoomFigures {
    pss: f64,
    pss_with_monitor: f64,
}

fn room(n: usize, layers: Layers, image: &str, cmd: &[&str]) -> Option<RoomFigures> {
    let label = layers.label();
    // A room's own dirs: a store at a removed store's path would meet its network holder,
    // which lingers for 5 s.
    let base = bench_dir(&format!("{image}-{}", label.replace(' ', "-")));
    let _ = std::fs::remove_dir_all(&base);
    let roots: Vec<PathBuf> = (0..n).map(|i| base.join(format!("s{i}"))).collect();
    let t = Instant::now();
    for r in &roots {
        if docker(r, layers, &["pull", "-q", image]).is_none() {
            println!("{image} ({label}): pull failed; skipped");
            let _ = std::fs::remove_dir_all(&base);
            return None;
        }
    }
    println!(
        "{image} ({label}): pulled into {n} stores one after another in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // Everyone presses Enter at once.
    let t = Instant::now();
    let started: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = roots
            .iter()
            .map(|r| {
                s.spawn(move || {
                    let mut args = vec!["run", "-d", "--name", "app", image];
                    args.extend_from_slice(cmd);
                    docker(r, layers, &args).is_some()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(false))
            .collect()
    });
    let start_time = t.elapsed();
    let ok = started.iter().filter(|s| **s).count();

    let records: Vec<Container> = roots
        .iter()
        .filter_map(|r| Store::open(r.clone(), catalog()).ok())
        .filter_map(|s| s.containers().ok())
        .flatten()
        .filter(|c| c.is_running())
        .collect();
    let running = records
        .iter()
        .filter(|c| Path::new(&format!("/proc/{}", c.state.pid)).exists())
        .count();
    let mut monitor_rss = 0;
    let mut monitor_pss = 0;
    let mut container_rss = 0;
    let mut container_pss = 0;
    let mut procs = 0;
    let mut cgroup_total = 0;
    let mut cgroups = 0;
    let mut seen = HashSet::new();
    for c in &records {
        if seen.insert(c.state.monitor_pid) {
            monitor_rss += proc_kb(c.state.monitor_pid, "status", "VmRSS:").unwrap_or(0);
            monitor_pss += proc_kb(c.state.monitor_pid, "smaps_rollup", "Pss:").unwrap_or(0);
        }
        for pid in container_pids(c.state.pid) {
            if seen.insert(pid) {
                procs += 1;
                container_rss += proc_kb(pid, "status", "VmRSS:").unwrap_or(0);
                container_pss += proc_kb(pid, "smaps_rollup", "Pss:").unwrap_or(0);
            }
        }
        if let Some(b) = cgroup_bytes(&c.id) {
            cgroup_total += b;
            cgroups += 1;
        }
    }
    let per = |kb: u64| mib(kb) / running.max(1) as f64;
    let image = format!("{image} ({label})");
    println!(
        "{image}: {running}/{n} containers running ({ok} `run -d` succeeded), all started in {:.2} s ({:.0} ms each on average)",
        start_time.as_secs_f64(),
        start_time.as_secs_f64() * 1000.0 / n as f64
    );
    println!(
        "{image}: memory RSS: monitors {:.1} MiB + containers {:.1} MiB ({procs} processes) = {:.1} MiB total, {:.2} MiB per container",
        mib(monitor_rss),
        mib(container_rss),
        mib(monitor_rss + container_rss),
        per(monitor_rss + container_rss)
    );
    println!(
        "{image}: memory PSS (shared pages split): monitors {:.1} MiB + containers {:.1} MiB = {:.1} MiB total, {:.2} MiB per container",
        mib(monitor_pss),
        mib(container_pss),
        mib(monitor_pss + container_pss),
        per(monitor_pss + container_pss)
    );
    if cgroups > 0 {
        println!(
            "{image}: cgroup memory charged: {:.1} MiB over {cgroups} cgroups, {:.2} MiB per container (includes page cache)",
            cgroup_total as f64 / (1 << 20) as f64,
            cgroup_total as f64 / (1 << 20) as f64 / cgroups as f64
        );
    } else {
        println!("{image}: cgroup memory: not readable here");
    }

    // One learner types `docker ps` while the room keeps running.
    let mut times = Vec::new();
    for _ in 0..15 {
        let t = Instant::now();
        let out = docker(&roots[0], layers, &["ps"]);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if out.is_none_or(|o| o.lines().count() != 2) {
            println!("{image}: docker ps in sandbox 0 did not list its one container");
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{image}: docker ps in one sandbox with {running} running: median {:.1} ms, max {:.1} ms over {} runs",
        times[times.len() / 2],
        times[times.len() - 1],
        times.len()
    );

    let t = Instant::now();
    std::thread::scope(|s| {
        for r in &roots {
            s.spawn(move || docker(r, layers, &["rm", "-f", "app"]));
        }
    });
    println!(
        "{image}: all removed (rm -f) in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&base);
    Some(RoomFigures {
        pss: per(container_pss),
        pss_with_monitor: per(monitor_pss + container_pss),
    })
}

fn main() {
    let n = std::env::var("GORAE_CROWD_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n: &usize| *n > 0)
        .unwrap_or(40);
    let pool = bench_dir("pool");
    let modes = [Layers::Own, Layers::Shared(&pool)];
    let mut disk = Vec::new();
    let mut redis = Vec::new();
    for layers in modes {
        let _ = std::fs::remove_dir_all(&pool);
        let base = bench_dir("disk");
        let _ = std::fs::remove_dir_all(&base);
        disk.push(course_disk(n, layers, &base));
        let _ = std::fs::remove_dir_all(&base);
        let _ = std::fs::remove_dir_all(&pool);
        room(n, layers, "busybox", &["sleep", "3600"]);
        redis.push(room(n, layers, "redis", &[]));
        let _ = std::fs::remove_dir_all(&pool);
    }
    println!("side by side (own copies | shared pool):");
    if let [Some((o1, oall)), Some((s1, sall))] = disk[..] {
        println!(
            "  disk, {n} stores with the course's images: {:.1} MiB ({:.2}x one store) | {:.1} MiB ({:.2}x one store)",
            mib(oall),
            oall as f64 / o1.max(1) as f64,
            mib(sall),
            sall as f64 / s1.max(1) as f64
        );
    }
    if let [Some(o), Some(s)] = &redis[..] {
        println!(
            "  redis PSS per container: {:.2} MiB | {:.2} MiB (with its monitor: {:.2} | {:.2} MiB)",
            o.pss, s.pss, o.pss_with_monitor, s.pss_with_monitor
        );
    }
}
