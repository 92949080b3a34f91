//! save / load / export / import and registry pulls, through the real binary.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::Sandbox;
use sha2::{Digest, Sha256};

fn pulled() -> Sandbox {
    let s = Sandbox::new();
    s.ok(&["pull", "busybox"]);
    s
}

fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Every entry of a tarball (plain or gzip'd): (path, contents).
fn entries(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let plain: Vec<u8> = if data.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data)
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        data.to_vec()
    };
    let mut a = tar::Archive::new(&plain[..]);
    a.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let p = e.path().unwrap().to_string_lossy().to_string();
            let mut buf = Vec::new();
            e.read_to_end(&mut buf).unwrap();
            (p, buf)
        })
        .collect()
}

fn file<'a>(ents: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &ents
        .iter()
        .find(|(p, _)| p == name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .1
}

/// A tarball from (path, contents) pairs; paths are written raw (hostile ones too).
fn tarball(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        let name = h.as_old_mut().name.as_mut();
        name[..path.len()].copy_from_slice(path.as_bytes());
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

fn image_id(s: &Sandbox, name: &str) -> String {
    s.ok(&["inspect", "-f", "{{.Id}}", name]).trim().to_string()
}

/// Run `docker ARGS` with `input` on stdin.
fn with_stdin(s: &Sandbox, args: &[&str], input: &[u8]) -> common::Run {
    let mut c = s.command(args);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
    }
}

/// The store has no images and no leftovers in tmp/, and still pulls and runs.
fn assert_store_clean_and_usable(s: &Sandbox, what: &str) {
    assert_eq!(
        s.ok(&["images", "-q"]).trim(),
        "",
        "{what}: images appeared"
    );
    let tmp: Vec<_> = std::fs::read_dir(s.root().join("tmp"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(tmp.is_empty(), "{what}: tmp/ left behind {tmp:?}");
    let index = std::fs::read_to_string(s.root().join("index.json")).unwrap_or_default();
    assert!(!index.contains("sha256"), "{what}: index changed: {index}");
}

#[test]
fn save_rmi_load_round_trip_keeps_tags_ids_and_runs() {
    let s = pulled();
    s.ok(&["tag", "busybox", "mine/box:v2"]);
    let id = image_id(&s, "busybox");
    let out = s.dir.path().join("images.tar");
    let out_s = out.to_str().unwrap();
    s.ok(&["save", "-o", out_s, "busybox", "mine/box:v2"]);
    let data = std::fs::read(&out).unwrap();
    let ents = entries(&data);
    let manifest: serde_json::Value = serde_json::from_slice(file(&ents, "manifest.json")).unwrap();
    assert_eq!(
        manifest[0]["RepoTags"],
        serde_json::json!(["busybox:latest", "mine/box:v2"])
    );
    assert_eq!(
        manifest[0]["Config"],
        format!("blobs/sha256/{}", id.trim_start_matches("sha256:"))
    );
    // Docker 25+'s layout: plain-tar layers named by their diff ID, an OCI index.
    let layer = manifest[0]["Layers"][0].as_str().unwrap();
    let layer_data = file(&ents, layer);
    assert_eq!(
        format!("blobs/sha256/{}", sha(layer_data)),
        layer,
        "layer is named by its digest"
    );
    assert!(
        !layer_data.starts_with(&[0x1f, 0x8b]),
        "layers are plain tar"
    );
    let index: serde_json::Value = serde_json::from_slice(file(&ents, "index.json")).unwrap();
    let names: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            m["annotations"]["io.containerd.image.name"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        names,
        ["docker.io/library/busybox:latest", "docker.io/mine/box:v2"]
    );
    assert_eq!(
        file(&ents, "oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#
    );
    assert!(!ents.iter().any(|(p, _)| p.contains(".tmp")));

    s.ok(&["rmi", "busybox", "mine/box:v2"]);
    assert_eq!(s.ok(&["images", "-q"]).trim(), "");
    let loaded = s.ok(&["load", "-i", out_s]);
    assert_eq!(
        loaded,
        "Loaded image: busybox:latest\nLoaded image: mine/box:v2\n"
    );
    assert_eq!(image_id(&s, "busybox"), id, "the image ID survives");
    assert_eq!(image_id(&s, "mine/box:v2"), id);
    assert_eq!(
        s.ok(&["run", "--rm", "mine/box:v2", "echo", "back"]),
        "back\n"
    );

    // To stdout (not a terminal here) and back through stdin; by ID it has no tag.
    let piped = s.command(&["save", &id]).output().unwrap();
    assert_eq!(piped.status.code(), Some(0));
    s.ok(&["rmi", "busybox", "mine/box:v2"]);
    let r = with_stdin(&s, &["load"], &piped.stdout);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, format!("Loaded image ID: {id}\n"));
    let listed = s.ok(&["images", "--no-trunc", "-q"]);
    assert_eq!(listed.trim(), id);
    assert_eq!(
        s.ok(&["run", "--rm", &id, "echo", "untagged"]),
        "untagged\n"
    );
}

#[test]
fn save_fails_cleanly_for_unknown_images() {
    let s = pulled();
    let out = s.dir.path().join("x.tar");
    let r = s.docker(&["save", "-o", out.to_str().unwrap(), "busybox", "nope"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("nope"), "{}", r.stderr);
    assert!(!out.exists(), "no file for a failed save");
    let leftovers: Vec<_> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Build older Docker's format from a gorae save: `<id>/layer.tar` (gzip'd here), `<id>.json`
/// config, the layer reached through a file symlink and a dir symlink, and a gzip'd outer
/// tarball.
fn legacy_tarball(save: &[u8], tag: &str) -> Vec<u8> {
    let ents = entries(save);
    let manifest: serde_json::Value = serde_json::from_slice(file(&ents, "manifest.json")).unwrap();
    let config = file(&ents, manifest[0]["Config"].as_str().unwrap()).to_vec();
    let layer = file(&ents, manifest[0]["Layers"][0].as_str().unwrap()).to_vec();
    let config_name = format!("{}.json", sha(&config));
    let v1 = "a".repeat(64);
    let legacy = serde_json::json!([{
        "Config": config_name,
        "RepoTags": [tag],
        "Layers": ["other/layer.tar"],
    }]);
    let mut b = tar::Builder::new(Vec::new());
    let add = |b: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, path, data).unwrap();
    };
    add(&mut b, &format!("{v1}/layer.tar"), &gzip(&layer));
    add(&mut b, &format!("{v1}/VERSION"), b"1.0");
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "link", &v1).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "other/layer.tar", "../link/layer.tar")
        .unwrap();
    add(&mut b, &config_name, &config);
    add(
        &mut b,
        "manifest.json",
        &serde_json::to_vec(&legacy).unwrap(),
    );
    gzip(&b.into_inner().unwrap())
}

#[test]
fn load_reads_the_legacy_format_with_gzip_layers() {
    let s = pulled();
    let id = image_id(&s, "busybox");
    let save = s.command(&["save", "busybox"]).output().unwrap().stdout;
    let legacy = legacy_tarball(&save, "old/style:1");
    let path = s.dir.path().join("legacy.tar.gz");
    std::fs::write(&path, &legacy).unwrap();
    s.ok(&["rmi", "busybox"]);
    let out = s.ok(&["load", "-i", path.to_str().unwrap()]);
    assert_eq!(out, "Loaded image: old/style:1\n");
    assert_eq!(image_id(&s, "old/style:1"), id);
    assert_eq!(
        s.ok(&["run", "--rm", "old/style:1", "echo", "legacy"]),
        "legacy\n"
    );
}

/// Rewrites one entry of a tarball (None drops it).
type Edit<'a> = dyn Fn(&str, &[u8]) -> Option<Vec<u8>> + 'a;

/// `docker save real/saved:1 | gzip`, made once by real Docker 20.10 (`<id>/layer.tar` form)
/// from busybox as gorae saved it.
#[test]
fn load_reads_a_real_docker_save() {
    let s = Sandbox::new();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/docker-20.10-save.tar.gz");
    let out = s.ok(&["load", "-i", fixture.to_str().unwrap()]);
    assert_eq!(out, "Loaded image: real/saved:1\n");
    let bundled = Sandbox::new();
    bundled.ok(&["pull", "busybox"]);
    assert_eq!(image_id(&s, "real/saved:1"), image_id(&bundled, "busybox"));
    assert_eq!(
        s.ok(&["run", "--rm", "real/saved:1", "echo", "real"]),
        "real\n"
    );
}

#[test]
fn corrupt_tarballs_are_rejected_and_leave_the_store_usable() {
    let s = pulled();
    let save = s.command(&["save", "busybox"]).output().unwrap().stdout;
    s.ok(&["rmi", "busybox"]);
    let ents = entries(&save);
    let manifest: serde_json::Value = serde_json::from_slice(file(&ents, "manifest.json")).unwrap();
    let config_name = manifest[0]["Config"].as_str().unwrap().to_string();
    let layer_name = manifest[0]["Layers"][0].as_str().unwrap().to_string();
    let rebuild = |f: &Edit<'_>| -> Vec<u8> {
        let kept: Vec<(String, Vec<u8>)> = ents
            .iter()
            .filter(|(p, _)| !p.ends_with('/'))
            .filter_map(|(p, d)| f(p, d).map(|d| (p.clone(), d)))
            .collect();
        let refs: Vec<(&str, &[u8])> = kept.iter().map(|(p, d)| (p.as_str(), &d[..])).collect();
        tarball(&refs)
    };
    let tampered = rebuild(&|p, d| {
        let mut d = d.to_vec();
        if p == layer_name {
            let last = d.len() - 2000;
            d[last] ^= 0xff;
        }
        Some(d)
    });
    let bad_config = rebuild(&|p, d| {
        if p == config_name {
            let mut d = d.to_vec();
            d.extend_from_slice(b" ");
            return Some(d);
        }
        Some(d.to_vec())
    });
    let missing_blob = rebuild(&|p, d| (p != layer_name).then(|| d.to_vec()));
    let escaping = {
        let mut files: Vec<(&str, &[u8])> = vec![("../escaped", b"evil")];
        files.extend(
            ents.iter()
                .filter(|(p, _)| !p.ends_with('/'))
                .map(|(p, d)| (p.as_str(), &d[..])),
        );
        tarball(&files)
    };
    // A consistent image whose only layer claims a 9 GiB file (a gzip bomb's header).
    let bomb = {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(9 << 30);
        h.set_mode(0o644);
        h.set_path("zeros").unwrap();
        h.set_cksum();
        let layer_tar = h.as_bytes().to_vec();
        let layer = gzip(&layer_tar);
        let config = serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "config": {"Cmd": ["sh"]},
            "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{}", sha(&layer_tar))]},
        })
        .to_string();
        let config_path = format!("blobs/sha256/{}", sha(config.as_bytes()));
        let layer_path = format!("blobs/sha256/{}", sha(&layer));
        let manifest = serde_json::json!([{
            "Config": config_path, "RepoTags": ["bomb:latest"], "Layers": [layer_path],
        }])
        .to_string();
        tarball(&[
            (&config_path, config.as_bytes()),
            (&layer_path, &layer),
            ("manifest.json", manifest.as_bytes()),
        ])
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("decompression bomb", bomb, "decompression bomb"),
        ("truncated", save[..save.len() / 2].to_vec(), "archive"),
        ("truncated gzip", gzip(&save)[..30_000].to_vec(), "archive"),
        ("tampered layer", tampered, "digest"),
        ("tampered config", bad_config, "sha256:"),
        ("missing blob", missing_blob, "lacks"),
        ("escaping path", escaping, "../escaped"),
        (
            "not a tarball",
            b"hello, this is not a tar file at all".repeat(20),
            "",
        ),
        ("empty", Vec::new(), ""),
    ];
    for (what, data, needle) in cases {
        let path = s.dir.path().join("bad.tar");
        std::fs::write(&path, &data).unwrap();
        let r = s.docker(&["load", "-i", path.to_str().unwrap()]);
        assert_ne!(r.code, 0, "{what}: accepted");
        assert!(r.stderr.contains(needle), "{what}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{what}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{what}: {}", r.stdout);
        assert_store_clean_and_usable(&s, what);
        assert!(!s.root().join("escaped").exists());
        assert!(!s.root().join("tmp/escaped").exists());
    }
    let ok = s.docker(&["run", "--rm", "busybox", "echo", "still fine"]);
    assert_eq!(ok.stdout, "still fine\n", "{}", ok.stderr);
}

/// Paths in an export, dirs without their trailing slash.
fn paths(data: &[u8]) -> BTreeSet<String> {
    entries(data)
        .into_iter()
        .map(|(p, _)| p.trim_end_matches('/').to_string())
        .collect()
}

#[test]
fn export_is_the_containers_view_and_imports_as_a_runnable_image() {
    let s = pulled();
    s.ok(&[
        "run",
        "--name",
        "changed",
        "busybox",
        "sh",
        "-c",
        "echo hello > /root/new.txt; rm /bin/cat; rm -rf /home; mkdir -p /srv/a; echo x > /srv/a/b; \
         rm -rf /var; mkdir /var; echo v > /var/only",
    ]);
    s.ok(&["run", "--name", "plain", "busybox", "true"]);
    let exported = s.dir.path().join("changed.tar");
    s.ok(&["export", "-o", exported.to_str().unwrap(), "changed"]);
    let data = std::fs::read(&exported).unwrap();
    let got = paths(&data);
    // The unchanged container's export is the image; the changed one differs exactly by the
    // changes made.
    let base = paths(&s.command(&["export", "plain"]).output().unwrap().stdout);
    assert!(
        base.contains("bin/cat") && base.contains("home") && base.contains("var/spool"),
        "{base:?}"
    );
    // /var was replaced by a new dir (opaque in the upper layer): only its new file shows.
    let mut want: BTreeSet<String> = base
        .into_iter()
        .filter(|p| p != "bin/cat" && p != "home" && !p.starts_with("home/"))
        .filter(|p| !p.starts_with("var/"))
        .collect();
    for p in ["root/new.txt", "srv", "srv/a", "srv/a/b", "var/only"] {
        want.insert(p.to_string());
    }
    assert_eq!(got, want);
    let ents = entries(&data);
    assert_eq!(file(&ents, "root/new.txt"), b"hello\n");
    assert!(
        !got.iter().any(|p| p.contains(".wh.")),
        "no whiteouts in an export"
    );

    let id = s.ok(&[
        "import",
        "-c",
        "CMD [\"head\", \"/root/new.txt\"]",
        exported.to_str().unwrap(),
        "flat:1",
    ]);
    assert!(
        id.trim().starts_with("sha256:") && id.trim().len() == 71,
        "{id}"
    );
    assert_eq!(image_id(&s, "flat:1"), id.trim());
    assert_eq!(
        s.ok(&["run", "--rm", "flat:1"]),
        "hello\n",
        "-c CMD applies"
    );
    assert_eq!(s.ok(&["run", "--rm", "flat:1", "ls", "/srv/a"]), "b\n");
    let r = s.docker(&["run", "--rm", "flat:1", "ls", "/bin/cat"]);
    assert_ne!(r.code, 0, "deleted files stay deleted");
    let history = s.ok(&["history", "flat:1"]);
    assert!(history.contains("Imported from -"), "{history}");
    let inspect: serde_json::Value = serde_json::from_str(&s.ok(&["inspect", "flat:1"])).unwrap();
    assert_eq!(
        inspect[0]["RootFS"]["Layers"].as_array().map(Vec::len),
        Some(1),
        "{inspect}"
    );

    // From stdin, gzip'd, untagged, with a message.
    let r = with_stdin(&s, &["import", "-m", "from a pipe", "-"], &gzip(&data));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let id2 = r.stdout.trim().to_string();
    assert!(s.ok(&["history", &id2]).contains("from a pipe"));
    assert_eq!(
        s.ok(&["run", "--rm", &id2, "head", "/root/new.txt"]),
        "hello\n"
    );

    let bad = with_stdin(
        &s,
        &["import", "-", "evil:1"],
        &tarball(&[("../evil", b"x")]),
    );
    assert_ne!(bad.code, 0);
    assert!(!bad.stderr.contains("panicked"), "{}", bad.stderr);
    assert!(s.docker(&["inspect", "evil:1"]).code != 0);
}

// ---- a real registry on loopback ----

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// docker-registry and skopeo, installed with apt when missing and possible.
fn registry_tools() -> Result<(), String> {
    if have("docker-registry") && have("skopeo") {
        return Ok(());
    }
    if common::is_root() && have("apt-get") {
        let _ = Command::new("sh")
            .args([
                "-c",
                "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry skopeo",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    if have("docker-registry") && have("skopeo") {
        Ok(())
    } else {
        Err("docker-registry and skopeo are not installed and apt could not install them".into())
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

fn start_registry() -> Registry {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let reg = Registry {
        child,
        port,
        _dir: dir,
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return reg;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the registry did not start on port {port}");
}

fn push(layout: &Path, reference: &str, dest: &str) {
    let out = Command::new("skopeo")
        .args(["copy", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:{reference}", layout.display()))
        .arg(format!("docker://{dest}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "skopeo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn pull_from_a_registry_on_loopback() {
    if let Err(why) = registry_tools() {
        common::skip(why);
        return;
    }
    let reg = start_registry();
    let layout: PathBuf = common::catalog();
    let name = format!("localhost:{}/test/busybox:v1", reg.port);
    push(&layout, "busybox:latest", &name);
    let s = Sandbox::new();
    let out = s.ok(&["pull", &name]);
    assert!(out.contains("v1: Pulling from test/busybox"), "{out}");
    assert!(out.contains(": Pull complete"), "{out}");
    assert!(
        out.contains(&format!("Status: Downloaded newer image for {name}")),
        "{out}"
    );
    assert_eq!(s.ok(&["run", "--rm", &name, "echo", "pulled"]), "pulled\n");
    // The same image as the bundled one, byte for byte.
    let bundled = Sandbox::new();
    bundled.ok(&["pull", "busybox"]);
    assert_eq!(image_id(&s, &name), image_id(&bundled, "busybox"));
    let again = s.ok(&["pull", &name]);
    assert!(again.contains("Image is up to date"), "{again}");

    let missing = s.docker(&["pull", &format!("localhost:{}/test/nothing:v1", reg.port)]);
    assert_ne!(missing.code, 0);
    assert!(missing.stderr.contains("not found"), "{}", missing.stderr);

    // Nothing listening: the offline message, naming what is bundled.
    drop(reg);
    let gone = s.docker(&["pull", &name.replace(":v1", ":v2")]);
    assert_ne!(gone.code, 0);
    assert!(gone.stderr.contains("busybox, debian"), "{}", gone.stderr);
}

// ---- the token flow and manifest lists, against a small registry made here ----

fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// A registry that demands a bearer token (Docker Hub's flow) and serves `lib/box:v1` as a
/// manifest list whose entry for this machine is the catalog's busybox. Returns its port and
/// the log of requests ("GET /path auth=yes|no").
/// A registry behind a token flow serving busybox through a two-platform manifest list;
/// also returns the list's digest.
fn token_registry() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>, String) {
    use std::io::BufRead;
    let layout = common::catalog();
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let manifest = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == "busybox:latest")
        .unwrap()
        .clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let other_arch = if host_arch() == "s390x" {
        "arm64"
    } else {
        "s390x"
    };
    let list = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
        "manifests": [
            {"mediaType": manifest["mediaType"], "digest": format!("sha256:{}", "0".repeat(64)),
             "size": 1, "platform": {"architecture": other_arch, "os": "linux"}},
            {"mediaType": manifest["mediaType"], "digest": manifest["digest"],
             "size": manifest["size"], "platform": {"architecture": host_arch(), "os": "linux"}},
        ]
    });
    let list = serde_json::to_vec(&list).unwrap();
    let list_digest = format!("sha256:{}", sha(&list));
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            let mut authorized = false;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if line
                    .to_ascii_lowercase()
                    .starts_with("authorization: bearer t0k3n")
                {
                    authorized = true;
                }
            }
            let path = first.split_whitespace().nth(1).unwrap_or("").to_string();
            log2.lock().unwrap().push(format!(
                "GET {path} auth={}",
                if authorized { "yes" } else { "no" }
            ));
            let (status, ctype, body, extra): (&str, &str, Vec<u8>, String) = if path
                .starts_with("/token?")
            {
                (
                    "200 OK",
                    "application/json",
                    br#"{"token":"t0k3n"}"#.to_vec(),
                    String::new(),
                )
            } else if !authorized {
                (
                    "401 Unauthorized",
                    "application/json",
                    br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#
                        .to_vec(),
                    format!(
                        "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"fake\",scope=\"repository:lib/box:pull\"\r\n"
                    ),
                )
            } else if path == "/v2/lib/box/manifests/v1" {
                (
                    "200 OK",
                    "application/vnd.docker.distribution.manifest.list.v2+json",
                    list.clone(),
                    String::new(),
                )
            } else if let Some(hex) = path
                .strip_prefix("/v2/lib/box/manifests/sha256:")
                .or_else(|| path.strip_prefix("/v2/lib/box/blobs/sha256:"))
                .filter(|h| h.chars().all(|c| c.is_ascii_hexdigit()))
            {
                match std::fs::read(layout.join("blobs/sha256").join(hex)) {
                    Ok(b) => ("200 OK", "application/octet-stream", b, String::new()),
                    Err(_) => (
                        "404 Not Found",
                        "application/json",
                        b"{}".to_vec(),
                        String::new(),
                    ),
                }
            } else {
                (
                    "404 Not Found",
                    "application/json",
                    b"{}".to_vec(),
                    String::new(),
                )
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    (port, log, list_digest)
}

#[test]
fn pull_follows_the_token_flow_and_picks_this_platform_from_a_list() {
    let (port, log, list_digest) = token_registry();
    let s = Sandbox::new();
    let name = format!("127.0.0.1:{port}/lib/box:v1");
    let out = s.ok(&["pull", &name]);
    assert!(out.contains(": Pull complete"), "{out}");
    // As Docker: the digest of what the tag names (the list), not of this platform's manifest.
    assert!(out.contains(&format!("Digest: {list_digest}\n")), "{out}");
    assert_eq!(
        s.ok(&["images", "--format", "{{.Digest}}", &name]),
        format!("{list_digest}\n")
    );
    assert_eq!(
        s.ok(&["run", "--rm", &name, "echo", "via token"]),
        "via token\n"
    );
    let log = log.lock().unwrap().clone();
    assert_eq!(log[0], "GET /v2/lib/box/manifests/v1 auth=no", "{log:?}");
    assert!(
        log.iter().any(|l| l.starts_with("GET /token?")
            && l.contains("scope=repository%3Alib%2Fbox%3Apull")
            && l.contains("service=fake")),
        "{log:?}"
    );
    assert!(
        log.contains(&"GET /v2/lib/box/manifests/v1 auth=yes".to_string()),
        "{log:?}"
    );
    assert!(
        !log.iter().any(|l| l.contains(&"0".repeat(64))),
        "the other platform's manifest is never fetched: {log:?}"
    );
}

#[test]
fn save_and_export_refuse_to_write_to_a_terminal() {
    if !have("script") {
        common::skip("no `script` to make a pty");
        return;
    }
    let s = pulled();
    s.ok(&["create", "--name", "box1", "busybox"]);
    let bin = common::bin();
    for args in ["save busybox", "export box1"] {
        // `script` gives the command a terminal as stdout, as an interactive shell would.
        let out = Command::new("script")
            .args([
                "-qec",
                &format!("{} docker {args}", bin.display()),
                "/dev/null",
            ])
            .env("GORAE_ROOT", s.root())
            .env("GORAE_LAYER_POOL", &s.pool)
            .env("GORAE_IMAGES", common::catalog())
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("LANGUAGE")
            .env_remove("GORAE_LANG")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{args}: {text}");
        assert!(
            text.contains("cowardly refusing to save to a terminal. Use the -o flag or redirect"),
            "{args}: {text}"
        );
        assert!(text.len() < 200, "{args}: binary reached the terminal");
    }
}
