//! `docker push`, `login`, `logout` through the binary: against the bundled `registry:2` run by
//! gorae itself (as root and as `learner`), and against Debian's `docker-registry` directly
//! (open, and with htpasswd auth).
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::Run;

/// Who runs `gorae docker …`: root, or a user switched to; each with its own store and its own
/// Docker config dir (credentials never touch the real ~/.docker).
struct Actor {
    _dir: tempfile::TempDir,
    root: PathBuf,
    config: PathBuf,
    user: Option<(u32, u32, String)>,
}

impl Actor {
    fn root() -> Actor {
        Actor::new(None)
    }

    fn new(user: Option<(u32, u32, String)>) -> Actor {
        let dir = tempfile::Builder::new()
            .prefix("gorae-push-")
            .tempdir()
            .unwrap();
        Actor {
            root: dir.path().join("store"),
            config: dir.path().join("docker-config"),
            _dir: dir,
            user,
        }
    }

    /// The user `name` (the test must start as root to switch to it).
    fn user(name: &str) -> Option<Actor> {
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        let line = passwd.lines().find(|l| l.split(':').next() == Some(name))?;
        let f: Vec<&str> = line.split(':').collect();
        let (uid, gid): (u32, u32) = (f[2].parse().ok()?, f[3].parse().ok()?);
        let a = Actor::new(Some((uid, gid, f[5].to_string())));
        std::fs::create_dir(&a.root).unwrap();
        std::fs::create_dir(&a.config).unwrap();
        for p in [a.root.parent().unwrap(), &a.root, &a.config] {
            let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
            // SAFETY: chown of dirs this test created.
            unsafe { libc::chown(c.as_ptr(), uid, gid) };
        }
        Some(a)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(common::bin());
        c.arg("docker")
            .args(args)
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("GORAE_ROOT", &self.root)
            .env("GORAE_IMAGES", common::catalog())
            .env("DOCKER_CONFIG", &self.config)
            .env("LANG", "C.UTF-8")
            .current_dir("/")
            .stdin(Stdio::null());
        if let Some((uid, gid, home)) = &self.user {
            c.uid(*uid).gid(*gid).env("HOME", home);
        }
        c
    }

    fn docker(&self, args: &[&str]) -> Run {
        let o = self.command(args).output().unwrap();
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).to_string(),
            stderr: String::from_utf8_lossy(&o.stderr).to_string(),
        }
    }

    /// `docker ARGS…` with `input` on stdin.
    fn docker_stdin(&self, args: &[&str], input: &str) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A command that fails before reading its stdin closes it: EPIPE is not the test's concern.
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        let o = child.wait_with_output().unwrap();
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).to_string(),
            stderr: String::from_utf8_lossy(&o.stderr).to_string(),
        }
    }

    fn ok(&self, args: &[&str]) -> String {
        let r = self.docker(args);
        assert_eq!(
            r.code, 0,
            "docker {args:?} failed ({}):\nstdout: {}\nstderr: {}",
            r.code, r.stdout, r.stderr
        );
        r.stdout
    }
}

impl Drop for Actor {
    fn drop(&mut self) {
        let r = self.docker(&["ps", "-aq"]);
        for id in r.stdout.split_whitespace() {
            let _ = self.docker(&["rm", "-f", id]);
        }
    }
}

/// Whether a registry answers `GET /v2/` on the port (any status: it is up).
fn registry_up(port: u16) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /v2/ HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

fn wait_for_registry(port: u16) {
    for _ in 0..150 {
        if registry_up(port) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no registry answered on port {port}");
}

/// The `N: digest: sha256:… size: M` line's digest for `tag`.
fn pushed_digest(out: &str, tag: &str) -> String {
    let prefix = format!("{tag}: digest: ");
    let line = out
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no digest line for {tag} in:\n{out}"));
    let rest = &line[prefix.len()..];
    let (digest, size) = rest.split_once(" size: ").unwrap();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{line}"
    );
    assert!(size.parse::<u64>().unwrap() > 0, "{line}");
    digest.to_string()
}

/// The bundled registry, run by gorae, a round trip through it: push, push again, rmi, pull.
fn round_trip_through_the_bundled_registry(a: &Actor) {
    let port = common::free_port();
    a.ok(&[
        "run",
        "-d",
        "-p",
        &format!("{port}:5000"),
        "--name",
        "registry",
        "registry:2",
    ]);
    wait_for_registry(port);
    a.ok(&["pull", "busybox"]);
    let id = a.ok(&["inspect", "-f", "{{.Id}}", "busybox"]);
    let name = format!("localhost:{port}/hello-app:1.0");
    a.ok(&["tag", "busybox", &name]);

    let out = a.ok(&["push", &name]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        format!("The push refers to repository [localhost:{port}/hello-app]"),
        "{out}"
    );
    // Layers by the short diff ID, as Docker's push shows them.
    let diff = a.ok(&["inspect", "-f", "{{index .RootFS.Layers 0}}", "busybox"]);
    let short = &diff.trim()["sha256:".len()..][..12];
    assert_eq!(lines[1], format!("{short}: Preparing"), "{out}");
    assert_eq!(lines[2], format!("{short}: Pushed"), "{out}");
    let digest = pushed_digest(&out, "1.0");
    // Docker records the pushed repository's digest beside the catalog pull's.
    let repo_digests = a.ok(&["inspect", "-f", "{{json .RepoDigests}}", &name]);
    assert!(
        repo_digests.contains(&format!("\"localhost:{port}/hello-app@{digest}\""))
            && repo_digests.contains("\"busybox@sha256:"),
        "{repo_digests}"
    );

    let again = a.ok(&["push", &name]);
    assert!(
        again.contains(&format!("{short}: Layer already exists")),
        "{again}"
    );
    assert_eq!(pushed_digest(&again, "1.0"), digest);

    a.ok(&["rmi", &name, "busybox"]);
    assert!(a.docker(&["inspect", &name]).code != 0);
    let pulled = a.ok(&["pull", &name]);
    assert!(
        pulled.contains(&format!("Digest: {digest}")),
        "the pulled manifest is the pushed one: {pulled}"
    );
    assert_eq!(
        a.ok(&["inspect", "-f", "{{.Id}}", &name]),
        id,
        "same image ID"
    );
    assert_eq!(
        a.ok(&["inspect", "-f", "{{json .RepoDigests}}", &name]),
        format!("[\"localhost:{port}/hello-app@{digest}\"]\n"),
        "a pull from a registry records that registry's digest"
    );
    assert_eq!(a.ok(&["run", "--rm", &name, "echo", "back"]), "back\n");

    // Pulled again by digest: fetched by it and verified, recorded without a tag.
    let pinned = format!("localhost:{port}/hello-app@{digest}");
    a.ok(&["rmi", &name]);
    let out = a.ok(&["pull", &pinned]);
    assert_eq!(
        out.lines().next(),
        Some(format!("{pinned}: Pulling from hello-app").as_str()),
        "{out}"
    );
    assert!(
        out.ends_with(&format!(
            "Digest: {digest}\nStatus: Downloaded newer image for {pinned}\n{pinned}\n"
        )),
        "{out}"
    );
    assert_eq!(
        a.ok(&["inspect", "-f", "{{.Id}} {{json .RepoTags}}", &pinned]),
        format!("{} []\n", id.trim())
    );
    assert_eq!(
        a.ok(&["run", "--rm", &pinned, "echo", "pinned"]),
        "pinned\n"
    );
    let unknown = format!("localhost:{port}/hello-app@sha256:{}", "0".repeat(64));
    let missing = a.docker(&["pull", &unknown]);
    assert!(
        missing.code == 1 && missing.stderr.contains("manifest unknown"),
        "{}",
        missing.stderr
    );
    a.ok(&["rm", "-f", "registry"]);
}

#[test]
fn push_and_pull_back_through_the_bundled_registry_as_root() {
    if !common::is_root() {
        common::skip("running registry:2 as root needs root");
        return;
    }
    round_trip_through_the_bundled_registry(&Actor::root());
}

#[test]
fn push_and_pull_back_through_the_bundled_registry_as_learner() {
    if !common::is_root() {
        common::skip("this test switches to the 'learner' user and so must start as root");
        return;
    }
    let Some(a) = Actor::user("learner") else {
        common::skip("no 'learner' user");
        return;
    };
    round_trip_through_the_bundled_registry(&a);
}

// ---- Debian's docker-registry, run directly ----

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn registry_tool() -> Result<(), String> {
    if !have("docker-registry") && common::is_root() && have("apt-get") {
        let _ = Command::new("sh")
            .args([
                "-c",
                "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    if have("docker-registry") {
        Ok(())
    } else {
        Err("docker-registry is not installed and apt could not install it".into())
    }
}

struct Registry {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `alice`'s password `s3cret`, as bcrypt (what the registry's htpasswd takes), made once
/// with `perl -e 'print crypt("s3cret", "\$2b\$05\$abcdefghijklmnopqrstuu")'` (glibc's
/// libxcrypt does bcrypt), so the test needs no htpasswd tool.
const ALICE: &str = "alice:$2b$05$abcdefghijklmnopqrstuuLK7U1u6pVRmL7L1BBM2aS35PSZnDXlK";

fn start_registry(htpasswd: bool) -> Registry {
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let mut config = format!(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
        dir.path().join("data").display()
    );
    if htpasswd {
        let file = dir.path().join("htpasswd");
        std::fs::write(&file, format!("{ALICE}\n")).unwrap();
        config.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: gorae-test\n    path: {}\n",
            file.display()
        ));
    }
    let path = dir.path().join("config.yml");
    std::fs::write(&path, config).unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let reg = Registry {
        child,
        port,
        _dir: dir,
    };
    wait_for_registry(port);
    reg
}

#[test]
fn push_to_docker_registry_mounts_across_repositories_and_pushes_all_tags() {
    if let Err(why) = registry_tool() {
        common::skip(why);
        return;
    }
    let reg = start_registry(false);
    let a = Actor::root();
    a.ok(&["pull", "redis"]);
    let base = format!("localhost:{}/base/redis:7", reg.port);
    a.ok(&["tag", "redis", &base]);
    let out = a.ok(&["push", &base]);
    assert_eq!(out.matches(": Pushed").count(), 2, "{out}");

    // The same layers to another repository on that registry: mounted, not uploaded.
    let app = format!("localhost:{}/app", reg.port);
    a.ok(&["tag", "redis", &format!("{app}:1.0")]);
    a.ok(&["tag", "redis", &format!("{app}:2.0")]);
    let out = a.ok(&["push", &format!("{app}:1.0")]);
    assert_eq!(out.matches(": Mounted from base/redis").count(), 2, "{out}");
    assert!(!out.contains("Pushed"), "{out}");

    // --all-tags: every local tag of the repository, each with its digest line.
    let out = a.ok(&["push", "--all-tags", &app]);
    assert!(!out.contains("Using default tag"), "{out}");
    assert_eq!(pushed_digest(&out, "1.0"), pushed_digest(&out, "2.0"));
    assert_eq!(out.matches(": Layer already exists").count(), 4, "{out}");
    let quiet = a.ok(&["push", "-q", &format!("{app}:2.0")]);
    assert_eq!(quiet, format!("{app}:2.0\n"));

    // What Docker says when there is nothing to push, or the flags do not fit.
    let r = a.docker(&["push", &app]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.starts_with("Using default tag: latest\n"),
        "{}",
        r.stdout
    );
    assert_eq!(r.stderr, format!("tag does not exist: {app}:latest\n"));
    let r = a.docker(&["push", &format!("localhost:{}/nothing:1", reg.port)]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!(
            "An image does not exist locally with the tag: localhost:{}/nothing\n",
            reg.port
        )
    );
    let r = a.docker(&["push", "-a", &format!("{app}:1.0")]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "tag can't be used with --all-tags/-a\n");

    // The pushed image pulls into another store, the same image.
    let b = Actor::root();
    b.ok(&["pull", &format!("{app}:2.0")]);
    assert_eq!(
        b.ok(&["inspect", "-f", "{{.Id}}", &format!("{app}:2.0")]),
        a.ok(&["inspect", "-f", "{{.Id}}", "redis"])
    );

    // No registry there any more: Go's words for it.
    drop(reg);
    let r = a.docker(&["push", &format!("{app}:1.0")]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("connect: connection refused"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_image_loaded_uncompressed_pushes_as_its_manifest_says() {
    if let Err(why) = registry_tool() {
        common::skip(why);
        return;
    }
    let reg = start_registry(false);
    let a = Actor::root();
    a.ok(&["pull", "busybox"]);
    let tar = a.root.parent().unwrap().join("busybox.tar");
    a.ok(&["save", "-o", tar.to_str().unwrap(), "busybox"]);
    let b = Actor::root();
    b.ok(&["load", "-i", tar.to_str().unwrap()]);
    let name = format!("localhost:{}/loaded:1", reg.port);
    b.ok(&["tag", "busybox", &name]);
    let out = b.ok(&["push", &name]);
    let digest = pushed_digest(&out, "1");
    let c = Actor::root();
    let pulled = c.ok(&["pull", &name]);
    assert!(pulled.contains(&format!("Digest: {digest}")), "{pulled}");
    assert_eq!(c.ok(&["run", "--rm", &name, "echo", "ok"]), "ok\n");
    assert_eq!(
        c.ok(&["inspect", "-f", "{{.Id}}", &name]),
        b.ok(&["inspect", "-f", "{{.Id}}", "busybox"])
    );
}

fn config_json(a: &Actor) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(a.config.join("config.json")).unwrap()).unwrap()
}

#[test]
fn login_logout_and_pushing_with_stored_credentials() {
    if let Err(why) = registry_tool() {
        common::skip(why);
        return;
    }
    let reg = start_registry(true);
    let server = format!("localhost:{}", reg.port);
    let a = Actor::root();
    a.ok(&["pull", "busybox"]);
    let name = format!("{server}/private:1");
    a.ok(&["tag", "busybox", &name]);

    // Not logged in: the registry's Basic challenge has nothing to answer it with.
    let r = a.docker(&["push", &name]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "no basic auth credentials\n");

    // A wrong password: Docker's warning for -p, then the daemon's refusal.
    let r = a.docker(&["login", "-u", "alice", "-p", "wrong", &server]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!(
            "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n\
             Error response from daemon: login attempt to http://{server}/v2/ failed with status: 401 Unauthorized\n"
        )
    );
    assert!(!a.config.join("config.json").exists(), "nothing stored");

    // In Korean, the same refusal explained.
    let ko = a
        .command(&["login", "-u", "alice", "-p", "wrong", &server])
        .env("LANG", "ko_KR.UTF-8")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&ko.stderr);
    assert_eq!(ko.status.code(), Some(1));
    assert!(err.contains("로그인 실패") && err.contains("401"), "{err}");

    let r = a.docker_stdin(
        &["login", "-u", "alice", "--password-stdin", &server],
        "s3cret\n",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "Login Succeeded\n");
    assert!(
        r.stderr
            .contains("WARNING! Your credentials are stored unencrypted in '"),
        "{}",
        r.stderr
    );
    let path = a.config.join("config.json");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(
        config_json(&a)["auths"][&server]["auth"],
        "YWxpY2U6czNjcmV0",
        "base64 of alice:s3cret"
    );
    // The same again: nothing changes, so no warning.
    let r = a.docker_stdin(
        &["login", "-u", "alice", "--password-stdin", &server],
        "s3cret\n",
    );
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));

    // Other keys of the file survive a login and a logout.
    let mut cfg = config_json(&a);
    cfg["psFormat"] = "table {{.Names}}".into();
    std::fs::write(&path, serde_json::to_vec(&cfg).unwrap()).unwrap();

    let out = a.ok(&["push", &name]);
    let digest = pushed_digest(&out, "1");
    a.ok(&["rmi", &name]);
    let pulled = a.ok(&["pull", &name]);
    assert!(pulled.contains(&format!("Digest: {digest}")), "{pulled}");

    let r = a.docker(&["login", &server]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("Authenticating with existing credentials... [Username: alice]")
    );

    assert_eq!(
        a.ok(&["logout", &server]),
        format!("Removing login credentials for {server}\n")
    );
    let cfg = config_json(&a);
    assert_eq!(cfg["auths"], serde_json::json!({}));
    assert_eq!(cfg["psFormat"], "table {{.Names}}");
    a.ok(&["rmi", &name]);
    let r = a.docker(&["pull", &name]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("no basic auth credentials"),
        "{}",
        r.stderr
    );

    // Flags that do not fit, with Docker's words.
    let r = a.docker_stdin(&["login", "--password-stdin", &server], "x");
    assert_eq!(
        r.stderr,
        "the --password-stdin option requires --username to be set\n"
    );
    let r = a.docker_stdin(
        &["login", "-u", "a", "-p", "x", "--password-stdin", &server],
        "x",
    );
    assert_eq!(
        r.stderr,
        "conflicting options: cannot specify both --password and --password-stdin\n"
    );
    let r = a.docker(&["login", &server]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Error: Cannot perform an interactive login from a non TTY device\n"
    );
}

/// Docker's files, not gorae's: a test must not have written to the real ~/.docker.
#[test]
fn tests_keep_their_credentials_to_themselves() {
    let a = Actor::root();
    let r = a.docker(&["logout", "localhost:1"]);
    assert_eq!(r.code, 0);
    assert!(!Path::new(&a.config).join("config.json").exists());
}

// ---- bearer tokens and the chunked upload, against a small registry made here ----

/// A registry behind a token server (Docker Hub's flow) that takes `alice:s3cret`, and that
/// refuses a blob sent in one PUT (413), so blobs must come in PATCHed chunks. Keeps what it
/// is sent in memory. Returns its port and the log of requests ("METHOD path auth=…").
fn token_registry() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use sha2::{Digest, Sha256};
    use std::collections::HashMap;
    use std::io::BufRead;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log2 = log.clone();
    std::thread::spawn(move || {
        let mut blobs: HashMap<String, Vec<u8>> = HashMap::new();
        let mut manifests: HashMap<String, (String, Vec<u8>)> = HashMap::new();
        let mut uploads: HashMap<String, Vec<u8>> = HashMap::new();
        let mut next = 0;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            let mut headers: HashMap<String, String> = HashMap::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.trim_end().split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            let len: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0u8; len];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let mut parts = first.split_whitespace();
            let method = parts.next().unwrap_or("").to_string();
            let target = parts.next().unwrap_or("").to_string();
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            let (path, query) = (path.to_string(), query.to_string());
            let auth = headers.get("authorization").cloned().unwrap_or_default();
            let bearer = auth == "Bearer t0k3n";
            log2.lock().unwrap().push(format!(
                "{method} {target} auth={}{}",
                if bearer { "yes" } else { "no" },
                headers
                    .get("content-range")
                    .map(|r| format!(" range={r}"))
                    .unwrap_or_default()
            ));
            let param = |k: &str| {
                query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                    .map(|v| v.replace("%3A", ":"))
            };
            let mut extra = String::new();
            let mut ctype = "application/json".to_string();
            let (status, out): (&str, Vec<u8>) = if path == "/token" {
                if auth == "Basic YWxpY2U6czNjcmV0" {
                    ("200 OK", br#"{"token":"t0k3n"}"#.to_vec())
                } else {
                    (
                        "401 Unauthorized",
                        br#"{"errors":[{"code":"UNAUTHORIZED","message":"incorrect username or password"}]}"#.to_vec(),
                    )
                }
            } else if !bearer {
                extra = format!(
                    "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"fake\"\r\n"
                );
                (
                    "401 Unauthorized",
                    br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#
                        .to_vec(),
                )
            } else if path == "/v2/" {
                ("200 OK", b"{}".to_vec())
            } else if let Some(rest) = path.strip_prefix("/v2/team/box/") {
                if let Some(d) = rest.strip_prefix("blobs/uploads/") {
                    match method.as_str() {
                        "POST" => {
                            next += 1;
                            uploads.insert(next.to_string(), Vec::new());
                            // A path, not a URL: the client resolves it.
                            extra = format!("Location: /v2/team/box/blobs/uploads/{next}\r\n");
                            ("202 Accepted", Vec::new())
                        }
                        "PATCH" => {
                            uploads.get_mut(d).unwrap().extend_from_slice(&body);
                            extra = format!("Location: /v2/team/box/blobs/uploads/{d}\r\n");
                            ("202 Accepted", Vec::new())
                        }
                        "PUT" if !body.is_empty() => ("413 Payload Too Large", Vec::new()),
                        "DELETE" => {
                            uploads.remove(d);
                            ("204 No Content", Vec::new())
                        }
                        "PUT" => {
                            let data = uploads.remove(d).unwrap_or_default();
                            let digest = format!("sha256:{}", hex::encode(Sha256::digest(&data)));
                            if Some(&digest) == param("digest").as_ref() {
                                blobs.insert(digest, data);
                                ("201 Created", Vec::new())
                            } else {
                                ("400 Bad Request", br#"{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}"#.to_vec())
                            }
                        }
                        _ => ("405 Method Not Allowed", Vec::new()),
                    }
                } else if let Some(d) = rest.strip_prefix("blobs/") {
                    match blobs.get(d) {
                        Some(b) if method == "GET" => ("200 OK", b.clone()),
                        Some(_) => ("200 OK", Vec::new()),
                        None => ("404 Not Found", b"{}".to_vec()),
                    }
                } else if let Some(r) = rest.strip_prefix("manifests/") {
                    if method == "PUT" {
                        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&body)));
                        let t = headers.get("content-type").cloned().unwrap_or_default();
                        manifests.insert(r.to_string(), (t.clone(), body.clone()));
                        manifests.insert(digest.clone(), (t, body));
                        extra = format!("Docker-Content-Digest: {digest}\r\n");
                        ("201 Created", Vec::new())
                    } else if let Some((t, m)) = manifests.get(r) {
                        ctype = t.clone();
                        ("200 OK", m.clone())
                    } else {
                        ("404 Not Found", b"{}".to_vec())
                    }
                } else {
                    ("404 Not Found", b"{}".to_vec())
                }
            } else {
                ("404 Not Found", b"{}".to_vec())
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
                out.len()
            );
            let _ = stream.write_all(head.as_bytes());
            if method != "HEAD" {
                let _ = stream.write_all(&out);
            }
        }
    });
    (port, log)
}

#[test]
fn bearer_login_and_a_chunked_push_when_the_registry_refuses_one_piece() {
    let (port, log) = token_registry();
    let server = format!("127.0.0.1:{port}");
    let a = Actor::root();
    let r = a.docker_stdin(
        &["login", "-u", "alice", "--password-stdin", &server],
        "nope",
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!(
            "Error response from daemon: Get \"http://{server}/v2/\": unauthorized: incorrect username or password\n"
        )
    );
    let r = a.docker_stdin(
        &["login", "-u", "alice", "--password-stdin", &server],
        "s3cret",
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "Login Succeeded\n"),
        "{}",
        r.stderr
    );

    a.ok(&["pull", "busybox"]);
    let name = format!("{server}/team/box:1");
    a.ok(&["tag", "busybox", &name]);
    let out = a.ok(&["push", &name]);
    assert!(out.contains(": Pushed"), "{out}");
    let digest = pushed_digest(&out, "1");
    let log_now = log.lock().unwrap().clone();
    assert!(
        log_now.iter().any(|l| l.starts_with("GET /token?")
            && l.contains("scope=repository%3Ateam%2Fbox%3Apull%2Cpush")),
        "a token for pull and push: {log_now:?}"
    );
    // One PUT refused (its upload cancelled), then each blob in PATCHes with their ranges and
    // a closing PUT: after one refusal, no more whole blobs are sent.
    let puts: Vec<&String> = log_now
        .iter()
        .filter(|l| l.starts_with("PUT /v2/team/box/blobs/uploads/"))
        .collect();
    assert_eq!(puts.len(), 3, "one refused, two closing: {log_now:?}");
    assert!(
        log_now
            .iter()
            .any(|l| l.starts_with("DELETE /v2/team/box/blobs/uploads/1")),
        "{log_now:?}"
    );
    let patches: Vec<&String> = log_now
        .iter()
        .filter(|l| l.starts_with("PATCH /v2/team/box/blobs/uploads/"))
        .collect();
    assert_eq!(patches.len(), 2, "{log_now:?}");
    assert!(
        patches.iter().all(|l| l.contains(" range=0-")),
        "{log_now:?}"
    );

    a.ok(&["rmi", &name]);
    let pulled = a.ok(&["pull", &name]);
    assert!(pulled.contains(&format!("Digest: {digest}")), "{pulled}");
}

// ---- a real Docker pulls what gorae pushed ----

/// A dockerd of its own (private data root and socket), stopped when dropped.
struct Dockerd {
    child: std::process::Child,
    sock: String,
    _dir: tempfile::TempDir,
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Dockerd {
    fn start() -> Dockerd {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("docker.sock").display().to_string();
        let child = Command::new("dockerd")
            .arg(format!("--data-root={}", dir.path().join("root").display()))
            .arg(format!("--exec-root={}", dir.path().join("exec").display()))
            .arg(format!("--pidfile={}", dir.path().join("pid").display()))
            .arg(format!("--host=unix://{sock}"))
            .args(["--iptables=false", "--ip6tables=false", "--bridge=none"])
            .args(["--storage-driver=vfs"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let d = Dockerd {
            child,
            sock,
            _dir: dir,
        };
        for _ in 0..300 {
            if d.docker(&["info"]).0 {
                return d;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("dockerd did not start");
    }

    fn docker(&self, args: &[&str]) -> (bool, String) {
        let o = Command::new("docker")
            .args(args)
            .env("DOCKER_HOST", format!("unix://{}", self.sock))
            .env("DOCKER_CONFIG", self._dir.path().join("config"))
            .output()
            .unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr),
        )
    }
}

#[test]
#[ignore = "starts a real dockerd (apt-get install docker.io); run by hand: cargo test --test push -- --ignored"]
fn images_pushed_by_gorae_pull_into_a_real_docker() {
    if !common::is_root() || !have("dockerd") || !have("docker") {
        common::skip("needs root, dockerd and docker (apt-get install docker.io)");
        return;
    }
    if let Err(why) = registry_tool() {
        common::skip(why);
        return;
    }
    let reg = start_registry(false);
    let a = Actor::root();
    a.ok(&["pull", "busybox"]);
    // One image as the catalog has it (gzip layers), one loaded from a tarball (plain tar).
    let gz = format!("localhost:{}/hello-app:1.0", reg.port);
    a.ok(&["tag", "busybox", &gz]);
    a.ok(&["push", &gz]);
    let tar = a.root.parent().unwrap().join("b.tar");
    a.ok(&["save", "-o", tar.to_str().unwrap(), "busybox"]);
    let b = Actor::root();
    b.ok(&["load", "-i", tar.to_str().unwrap()]);
    let plain = format!("localhost:{}/loaded:1", reg.port);
    b.ok(&["tag", "busybox", &plain]);
    b.ok(&["push", &plain]);

    let d = Dockerd::start();
    let id = a.ok(&["inspect", "-f", "{{.Id}}", "busybox"]);
    for name in [&gz, &plain] {
        let (ok, out) = d.docker(&["pull", name]);
        assert!(ok, "docker pull {name}: {out}");
        let (ok, out) = d.docker(&["inspect", "-f", "{{.Id}}", name]);
        assert!(ok, "{out}");
        assert_eq!(out, id, "{name}: Docker sees the same image ID");
        let (ok, out) = d.docker(&[
            "run",
            "--rm",
            "--network",
            "none",
            name,
            "echo",
            "in docker",
        ]);
        assert!(ok && out == "in docker\n", "docker run {name}: {out}");
    }
}
