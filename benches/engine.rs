//! `cargo bench --bench engine`: figures for the engine, end to end through the CLI:
//! - the median of `docker run --rm busybox true` (target: ≤ 10 ms on a 2-core machine), and
//!   of the same with `-v vol:/d` (what a volume costs a start);
//! - `pull debian` from the bundled catalog into an empty store, as MB/s of unpacked data
//!   (target ≥ 150 MB/s). `perf` shows half the time is creating ~5000 files, mostly ext4
//!   looking for free inodes on a file system where many were recently deleted (as after a
//!   test run); decompression is an eighth (moving it to a thread of its own did not change
//!   the median, so it was taken out again);
//! - `commit` of a container with a 10 MB change;
//! - a fully cached `build` (target: < 200 ms);
//! - `docker compose up -d` of lesson 09's project (a web service built from a Dockerfile,
//!   redis with a named volume): cold (an empty store: pull, build, network, volume, two
//!   containers) and warm (after `down`: images and build cache there).
//!
//! The same work runs through a real Docker engine when `docker info` answers, with ratios.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

fn median_ms(runs: usize, mut f: impl FnMut() -> bool) -> Option<f64> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        if !f() {
            return None;
        }
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    Some(times[times.len() / 2])
}

fn main() {
    let root = std::env::temp_dir().join(format!("gorae-bench-{}", std::process::id()));
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bin = manifest.join("target/release/gorae");
    let built = Command::new("cargo")
        .args(["build", "--release", "--quiet"])
        .current_dir(&manifest)
        .status()
        .is_ok_and(|s| s.success());
    if !built || !bin.exists() {
        eprintln!("could not build the release binary");
        std::process::exit(1);
    }
    let gorae = |args: &[&str]| {
        Command::new(&bin)
            .arg("docker")
            .args(args)
            .env("GORAE_ROOT", &root)
            .env("GORAE_IMAGES", manifest.join("images/layout"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    gorae(&["pull", "busybox"]);
    let runs = 50;
    let ours = median_ms(runs, || gorae(&["run", "--rm", "busybox", "true"]));
    match ours {
        Some(ms) => println!(
            "gorae  docker run --rm busybox true: median {ms:.1} ms over {runs} runs (target ≤ 10 ms)"
        ),
        None => println!("gorae  docker run --rm busybox true: FAILED"),
    }
    // The same with a named volume: what a mount (resolved in the root, bound) costs a start.
    let with_vol = median_ms(runs, || {
        gorae(&["run", "--rm", "-v", "vol:/d", "busybox", "true"])
    });
    match (with_vol, ours) {
        (Some(ms), Some(plain)) => println!(
            "gorae  docker run --rm -v vol:/d busybox true: median {ms:.1} ms ({:+.1} ms over plain run)",
            ms - plain
        ),
        _ => println!("gorae  docker run --rm -v vol:/d busybox true: FAILED"),
    }
    // What a network costs per start: the default bridge (above) against none and a user
    // network (the holder stays up between runs, as it does while anything uses it).
    gorae(&["network", "create", "n"]);
    let _keep = gorae(&[
        "run",
        "-d",
        "--name",
        "keep",
        "--network",
        "n",
        "busybox",
        "sleep",
        "600",
    ]);
    for (what, args) in [
        (
            "--network none",
            ["run", "--rm", "--network", "none", "busybox", "true"],
        ),
        (
            "--network n",
            ["run", "--rm", "--network", "n", "busybox", "true"],
        ),
    ] {
        match median_ms(runs, || gorae(&args)) {
            Some(ms) => println!(
                "gorae  docker run --rm {what} busybox true: median {ms:.1} ms over {runs} runs"
            ),
            None => println!("gorae  docker run --rm {what} busybox true: FAILED"),
        }
    }
    gorae(&["rm", "-f", "keep"]);
    // Pull debian into an empty store: unpacked bytes per second.
    let pull_root = root.join("pull");
    let t = Instant::now();
    let pulled = Command::new(&bin)
        .args(["docker", "pull", "debian"])
        .env("GORAE_ROOT", &pull_root)
        .env("GORAE_IMAGES", manifest.join("images/layout"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let pull_s = t.elapsed().as_secs_f64();
    let unpacked = dir_size(&pull_root.join("layers"));
    if pulled {
        println!(
            "gorae  pull debian (bundled): {:.0} ms, {:.1} MB unpacked, {:.0} MB/s (target ≥ 150 MB/s)",
            pull_s * 1000.0,
            unpacked as f64 / 1e6,
            unpacked as f64 / 1e6 / pull_s
        );
    }
    // Commit of a 10 MB change.
    gorae(&["rm", "-f", "big"]);
    gorae(&[
        "run",
        "--name",
        "big",
        "busybox",
        "sh",
        "-c",
        "head -c 10000000 /dev/urandom > /big.bin",
    ]);
    let t = Instant::now();
    let committed = gorae(&["commit", "big", "bigimg"]);
    let commit_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "gorae  commit of a 10 MB change: {}",
        if committed {
            format!("{commit_ms:.0} ms")
        } else {
            "FAILED".into()
        }
    );
    // A fully cached rebuild.
    let ctx = root.join("ctx");
    let _ = std::fs::create_dir_all(&ctx);
    let _ = std::fs::write(ctx.join("app.txt"), "payload\n");
    let _ = std::fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox\nWORKDIR /app\nRUN echo hello > /hello.txt\nCOPY app.txt ./\nCMD [\"cat\", \"/hello.txt\"]\n",
    );
    let ctx_s = ctx.to_string_lossy().to_string();
    gorae(&["build", "-t", "cached", &ctx_s]);
    let rebuild = median_ms(5, || gorae(&["build", "-t", "cached", &ctx_s]));
    match rebuild {
        Some(ms) => {
            println!("gorae  cached rebuild (5 steps): median {ms:.0} ms (target < 200 ms)")
        }
        None => println!("gorae  cached rebuild: FAILED"),
    }

    compose_up(&bin, &manifest);

    let docker_up = Command::new("docker")
        .arg("info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if docker_up {
        let docker = |args: &[&str]| {
            Command::new("docker")
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let theirs = median_ms(runs / 5, || docker(&["run", "--rm", "busybox", "true"]));
        if let (Some(o), Some(t)) = (ours, theirs) {
            println!(
                "dockerd docker run --rm busybox true: median {t:.1} ms; gorae is {:.1}x faster",
                t / o
            );
        }
    } else {
        println!("dockerd: not running here, no side-by-side figure");
    }
    gorae(&["rm", "-f", "big"]);
    let _ = std::fs::remove_dir_all(&root);
}

/// Lesson 09's project (`lessons/*/09-ship.md`), on host port 18080 rather than the lesson's
/// 8080 so a course running on this machine does not stop the figure.
const LESSON_FILES: &[(&str, &str)] = &[
    (
        "index.cgi",
        "#!/bin/sh\nvisits=$(printf 'INCR visits\\r\\nQUIT\\r\\n' | nc redis 6379 | head -n 1 | tr -d ':\\r')\necho \"Content-Type: text/plain\"\necho\necho \"Hello from hello-web! Visits: $visits\"\n",
    ),
    (
        "Dockerfile",
        "FROM busybox\nCOPY index.cgi /www/cgi-bin/index.cgi\nRUN chmod +x /www/cgi-bin/index.cgi\nSTOPSIGNAL SIGKILL\nCMD [\"httpd\", \"-f\", \"-vv\", \"-p\", \"80\", \"-h\", \"/www\"]\n",
    ),
    (
        "compose.yaml",
        "services:\n  web:\n    build: .\n    ports:\n      - \"18080:80\"\n    depends_on:\n      - redis\n  redis:\n    image: redis\n    volumes:\n      - redis-data:/data\nvolumes:\n  redis-data:\n",
    ),
];

/// `docker compose up -d` of the lesson's project: cold, each time in a fresh store (median of
/// 3), and warm, after `down` in the same store (median of 5).
fn compose_up(bin: &std::path::Path, manifest: &std::path::Path) {
    let base = std::env::temp_dir().join(format!("gorae-bench-compose-{}", std::process::id()));
    let project = base.join("hello-web");
    let _ = std::fs::create_dir_all(&project);
    for (name, text) in LESSON_FILES {
        let _ = std::fs::write(project.join(name), text);
    }
    let compose = |root: &std::path::Path, args: &[&str]| {
        Command::new(bin)
            .args(["docker", "compose"])
            .args(args)
            .current_dir(&project)
            .env("GORAE_ROOT", root)
            .env("GORAE_IMAGES", manifest.join("images/layout"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let mut n = 0;
    let cold = median_ms(3, || {
        n += 1;
        let root = base.join(format!("cold{n}"));
        let up = compose(&root, &["up", "-d"]);
        compose(&root, &["down", "-v"]);
        up
    });
    let warm_root = base.join("warm");
    compose(&warm_root, &["up", "-d"]);
    compose(&warm_root, &["down"]);
    let warm = median_ms(5, || {
        let up = compose(&warm_root, &["up", "-d"]);
        compose(&warm_root, &["down"]);
        up
    });
    compose(&warm_root, &["down", "-v"]);
    match (cold, warm) {
        (Some(c), Some(w)) => println!(
            "gorae  docker compose up -d (lesson 09: build + redis + volume): cold median {c:.0} ms, warm median {w:.0} ms"
        ),
        _ => println!("gorae  docker compose up -d (lesson 09): FAILED"),
    }
    let _ = std::fs::remove_dir_all(&base);
}

fn dir_size(path: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![path.to_path_buf()];
    while let Some(p) = stack.pop() {
        let Ok(m) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if m.is_dir() {
            if let Ok(rd) = std::fs::read_dir(&p) {
                stack.extend(rd.flatten().map(|e| e.path()));
            }
        } else if m.is_file() {
            total += m.len();
        }
    }
    total
}
