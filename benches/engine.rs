//! `cargo bench --bench engine`: the median wall time of `docker run --rm busybox true`
//! through gorae's CLI, end to end (target: ≤ 10 ms on a 2-core machine), and the same
//! through a real Docker engine when `docker info` answers, with the ratio.

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
    let _ = std::fs::remove_dir_all(&root);
}
