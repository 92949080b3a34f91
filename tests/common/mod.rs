//! Helpers for tests that drive the real `gorae` binary against a private store.
#![allow(dead_code)]

pub mod restart;
pub mod tmux;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    /// The layer pool (`GORAE_LAYER_POOL`): the sandbox's own unless made with `sharing`, so a
    /// test's layers never meet another test's (or the machine's real pool).
    pub pool: PathBuf,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).to_string(),
            stderr: String::from_utf8_lossy(&o.stderr).to_string(),
        }
    }
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gorae"))
}

pub fn catalog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("images/layout")
}

/// `LANG=lang` and no other locale variable, no stdin: the language is the test's alone.
pub fn with_locale(c: &mut Command, lang: &str) {
    c.env("LANG", lang)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANGUAGE")
        .env_remove("GORAE_LANG")
        .stdin(Stdio::null());
}

/// Run `gorae ARGS…` itself (not `gorae docker`) under `LANG=lang`.
pub fn gorae(args: &[&str], lang: &str) -> Run {
    let mut c = Command::new(bin());
    c.args(args);
    with_locale(&mut c, lang);
    Run::from(c.output().expect("spawn gorae"))
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("gorae-test-")
            .tempdir()
            .expect("tempdir");
        let pool = dir.path().join("layers");
        Sandbox { dir, pool }
    }

    /// A sandbox whose store shares the layer pool at `pool` (another sandbox's, say).
    pub fn sharing(pool: &Path) -> Sandbox {
        let mut s = Sandbox::new();
        s.pool = pool.to_path_buf();
        s
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.arg("docker")
            .args(args)
            .env("GORAE_ROOT", self.root())
            .env("GORAE_LAYER_POOL", &self.pool)
            .env("GORAE_IMAGES", catalog());
        with_locale(&mut c, "C.UTF-8");
        c
    }

    /// Run `docker ARGS…` and collect its output.
    pub fn docker(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("spawn gorae"))
    }

    pub fn docker_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = self.command(args);
        for (k, v) in env {
            c.env(k, v);
        }
        Run::from(c.output().expect("spawn gorae"))
    }

    /// `docker ps -a`'s STATUS of the container named `name` (empty when there is none).
    pub fn status(&self, name: &str) -> String {
        self.ok(&[
            "ps",
            "-a",
            "--filter",
            &format!("name=^{name}$"),
            "--format",
            "{{.Status}}",
        ])
        .trim()
        .to_string()
    }

    /// Run and insist on success.
    pub fn ok(&self, args: &[&str]) -> String {
        let r = self.docker(args);
        assert_eq!(
            r.code, 0,
            "docker {args:?} failed ({}):\nstdout: {}\nstderr: {}",
            r.code, r.stdout, r.stderr
        );
        r.stdout
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Stop whatever a failing test left running, so its monitor does not outlive the test.
        let r = self.docker(&["ps", "-q"]);
        for id in r.stdout.split_whitespace() {
            let _ = self.docker(&["rm", "-f", id]);
        }
    }
}

/// What is in the store's `tmp/` at `root` once it settles: a `--rm` container's monitor
/// removes its files just after the run returns, so this waits up to 10 s for it to empty.
pub fn tmp_left(root: &Path) -> Vec<std::ffi::OsString> {
    let left = || -> Vec<_> {
        std::fs::read_dir(root.join("tmp"))
            .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default()
    };
    let began = std::time::Instant::now();
    while !left().is_empty() && began.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    left()
}

/// (device, inode) of `rel` (a path in an image) in one of the layers of the store at `root`:
/// the same for two stores that share one copy.
pub fn layer_file(root: &Path, rel: &str) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::read_dir(root.join("layers"))
        .ok()?
        .flatten()
        .find_map(|e| std::fs::metadata(e.path().join(rel)).ok())
        .map(|m| (m.dev(), m.ino()))
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// (uid, gid) of the user `name` in /etc/passwd.
pub fn user_ids(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    let f: Vec<&str> = passwd
        .lines()
        .find(|l| l.split(':').next() == Some(name))?
        .split(':')
        .collect();
    Some((f[2].parse().ok()?, f[3].parse().ok()?))
}

/// Whether /etc/subuid gives the user `name` a range of subordinate ids.
pub fn has_subuid_range(name: &str) -> bool {
    std::fs::read_to_string("/etc/subuid")
        .unwrap_or_default()
        .lines()
        .any(|l| l.split(':').next() == Some(name))
}

/// A test that cannot run here says so and why: `skipped: <test>: <reason>`, written to the
/// process's stderr itself (not through `eprintln!`, which the test harness captures and hides
/// for a passing test), so `cargo test` shows it. The caller then returns. With
/// `GORAE_TESTS_NO_SKIP` set (CI, which installs everything and runs as root) it fails instead.
#[track_caller]
pub fn skip(reason: impl std::fmt::Display) {
    use std::io::Write;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    if std::env::var_os("GORAE_TESTS_NO_SKIP").is_some() {
        panic!("{test} cannot run here: {reason} (GORAE_TESTS_NO_SKIP is set)");
    }
    let _ = writeln!(std::io::stderr(), "skipped: {test}: {reason}");
}

/// A free loopback port (bound and released), for a server that must come back on the same one.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind a loopback port")
        .local_addr()
        .expect("its address")
        .port()
}

/// Moves the calling thread (and every process and thread it starts from now on) into a new
/// network namespace whose loopback is up, so the fixed host ports a lesson publishes (8080,
/// 5000, …) cannot clash with another test's, and an `http` check made from this thread reaches
/// them. Network namespaces are per thread, and unlike a user namespace a threaded process may
/// enter one. Needs root; false (and nothing changed) otherwise. There is no route out, so
/// nothing run in it has egress.
#[allow(dead_code)]
pub fn private_net() -> bool {
    if !is_root() {
        return false;
    }
    // SAFETY: unshare only changes this thread's namespaces.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        return false;
    }
    // SAFETY: a datagram socket and two ioctls on a zeroed `ifreq` naming "lo", with the flags
    // read back before IFF_UP is added; the socket is closed on every path.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0, "a socket in the new network namespace");
        let mut req: libc::ifreq = std::mem::zeroed();
        for (dst, src) in req.ifr_name.iter_mut().zip(b"lo") {
            *dst = *src as libc::c_char;
        }
        let up = libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut req) == 0 && {
            req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            libc::ioctl(fd, libc::SIOCSIFFLAGS, &req) == 0
        };
        libc::close(fd);
        assert!(up, "loopback up in the new network namespace");
    }
    true
}
