//! The layer pool: stores of one user on one machine share unpacked layers (and layer blobs)
//! through `GORAE_LAYER_POOL`; each store refers to the pool's entries, and an entry goes when
//! no store refers to it. Rootless sharing is in tests/rootless.rs, a hostile layer in
//! tests/hardening.rs.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

use common::{Sandbox, layer_file};

/// What the pool holds: names in `layers/` and `blobs/`.
fn pool_entries(pool: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["layers", "blobs"] {
        if let Ok(rd) = std::fs::read_dir(pool.join(sub)) {
            out.extend(
                rd.flatten()
                    .map(|e| format!("{sub}/{}", e.file_name().to_string_lossy())),
            );
        }
    }
    out.sort();
    out
}

/// What the pool holds that takes space of its own: [`pool_entries`] but for blobs that are
/// the bundled catalog's own files (a pull links those rather than copying them; the pool's
/// link stays while the catalog has the file).
fn pool_entries_of_its_own(pool: &Path) -> Vec<String> {
    let bundled = |name: &str| -> bool {
        let (Ok(p), Ok(c)) = (
            std::fs::metadata(pool.join(name)),
            std::fs::metadata(
                common::catalog()
                    .join("blobs/sha256")
                    .join(&name["blobs/".len()..]),
            ),
        ) else {
            return false;
        };
        (p.dev(), p.ino()) == (c.dev(), c.ino())
    };
    pool_entries(pool)
        .into_iter()
        .filter(|e| !(e.starts_with("blobs/") && bundled(e)))
        .collect()
}

/// The store's layers that are its own dirs (not references to the pool).
fn own_layer_dirs(root: &Path) -> usize {
    std::fs::read_dir(root.join("layers"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().unwrap().is_dir())
        .count()
}

#[test]
fn two_stores_share_one_copy_and_each_reports_sizes_as_docker_does() {
    let a = Sandbox::new();
    let b = Sandbox::sharing(&a.pool);
    let mut alone = Sandbox::new();
    alone.pool = "none".into();
    for s in [&a, &b, &alone] {
        s.ok(&["pull", "-q", "redis"]);
        s.ok(&["pull", "-q", "busybox"]);
    }
    let bin = "usr/bin/redis-check-rdb";
    let shared = layer_file(&a.root(), bin).expect("redis-server in a's layers");
    assert_eq!(Some(shared), layer_file(&b.root(), bin), "one copy");
    assert_ne!(Some(shared), layer_file(&alone.root(), bin));
    assert_eq!(own_layer_dirs(&a.root()), 0, "a refers to the pool");
    assert!(
        own_layer_dirs(&alone.root()) > 0,
        "GORAE_LAYER_POOL=none: own copies"
    );
    assert!(pool_entries(&alone.pool).is_empty());
    // The layer blobs are shared too.
    let blobs = |s: &Sandbox| -> Vec<u64> {
        let mut v: Vec<u64> = std::fs::read_dir(s.root().join("blobs/sha256"))
            .unwrap()
            .flatten()
            .map(|e| e.metadata().unwrap())
            .filter(|m| m.nlink() > 1)
            .map(|m| m.ino())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        blobs(&a).len(),
        3,
        "redis's two layer blobs and busybox's one"
    );
    assert_eq!(blobs(&a), blobs(&b));
    // Every store shows its own images with their full sizes, as Docker does.
    let images = ["images", "--format", "{{.Repository}} {{.ID}} {{.Size}}"];
    let shown = alone.ok(&images);
    assert_eq!(a.ok(&images), shown);
    assert_eq!(b.ok(&images), shown);
    assert_eq!(a.ok(&["system", "df"]), alone.ok(&["system", "df"]));
    for s in [&a, &b, &alone] {
        assert_eq!(s.ok(&["run", "--rm", "busybox", "echo", "hi"]), "hi\n");
    }
}

#[test]
fn rmi_in_one_store_leaves_the_others_containers_and_the_last_rmi_frees_the_pool() {
    let a = Sandbox::new();
    let b = Sandbox::sharing(&a.pool);
    a.ok(&["pull", "-q", "busybox"]);
    b.ok(&["pull", "-q", "busybox"]);
    b.ok(&["run", "-d", "--name", "keep", "busybox", "sleep", "600"]);
    b.ok(&[
        "create",
        "--name",
        "later",
        "busybox",
        "cat",
        "/bin/busybox",
    ]);
    assert!(a.ok(&["rmi", "busybox"]).contains("Deleted:"));
    assert!(!pool_entries(&a.pool).is_empty(), "b still refers to it");
    assert_eq!(b.status("keep").split(' ').next(), Some("Up"));
    assert_eq!(b.ok(&["exec", "keep", "echo", "alive"]), "alive\n");
    let r = b.docker(&["start", "-a", "later"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.len() > 100_000, "the image's files are all there");
    b.ok(&["restart", "-t", "0", "keep"]);
    assert_eq!(b.ok(&["exec", "keep", "echo", "again"]), "again\n");
    // While a container uses the image, `rmi` refuses (as Docker) and keeps the pool's copy.
    let r = b.docker(&["rmi", "busybox"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    b.ok(&["rm", "-f", "keep", "later"]);
    b.ok(&["rmi", "busybox"]);
    assert_eq!(
        pool_entries_of_its_own(&a.pool),
        Vec::<String>::new(),
        "freed"
    );
    // A store whose dir was deleted outright refers to nothing: `system prune -a` elsewhere
    // frees what only it used.
    let gone = Sandbox::sharing(&a.pool);
    gone.ok(&["pull", "-q", "busybox"]);
    std::fs::remove_dir_all(gone.root()).unwrap();
    a.ok(&["pull", "-q", "redis"]);
    a.ok(&["system", "prune", "-a", "-f"]);
    assert_eq!(pool_entries_of_its_own(&a.pool), Vec::<String>::new());
}

#[test]
fn a_pull_killed_mid_unpack_publishes_nothing_half() {
    let killed = Sandbox::new();
    let mut reference = Sandbox::new();
    reference.pool = "none".into();
    reference.ok(&["pull", "-q", "debian"]);
    let listing = [
        "run",
        "--rm",
        "debian",
        "sh",
        "-c",
        "find / -xdev | sort | md5sum",
    ];
    let want = reference.ok(&listing);
    for delay_ms in [5u64, 30, 80, 150, 250, 400] {
        let mut child = killed.command(&["pull", "-q", "debian"]).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        // Every layer the store has is a whole, published pool entry.
        // (A kill before the store was made leaves no layers dir.)
        let layers = std::fs::read_dir(killed.root().join("layers"));
        for e in layers.into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if let Some(hex) = name.strip_suffix(".done") {
                let pooled = killed.pool.join("layers").join(format!("{hex}.done"));
                assert_eq!(
                    e.metadata().unwrap().ino(),
                    std::fs::metadata(&pooled).unwrap().ino(),
                    "killed at {delay_ms} ms: {name} refers to the pool's marker"
                );
            }
        }
        // Another store sharing the pool gets the image whole.
        let other = Sandbox::sharing(&killed.pool);
        other.ok(&["pull", "-q", "debian"]);
        assert_eq!(other.ok(&listing), want, "killed at {delay_ms} ms");
        other.ok(&["rmi", "debian"]);
    }
    killed.ok(&["pull", "-q", "debian"]);
    assert_eq!(killed.ok(&listing), want);
    let staged = common::tmp_left(&killed.root());
    assert!(staged.is_empty(), "left in tmp/: {staged:?}");
}

#[test]
fn a_pool_that_is_not_ours_or_on_another_file_system_is_not_used() {
    if !common::is_root() {
        common::skip("giving the pool to another user takes root");
        return;
    }
    // Another user's pool: root's store keeps its own copy and writes nothing there.
    let mut s = Sandbox::new();
    std::fs::create_dir(&s.pool).unwrap();
    let (uid, gid) = common::user_ids("nobody").unwrap_or((65534, 65534));
    std::os::unix::fs::chown(&s.pool, Some(uid), Some(gid)).unwrap();
    s.ok(&["pull", "-q", "busybox"]);
    assert!(own_layer_dirs(&s.root()) > 0);
    assert_eq!(pool_entries(&s.pool), Vec::<String>::new());
    assert_eq!(s.ok(&["run", "--rm", "busybox", "echo", "ok"]), "ok\n");
    // A pool on another file system (hard links and renames cannot cross).
    let shm = Path::new("/dev/shm");
    let here = std::fs::metadata(s.dir.path()).unwrap().dev();
    match std::fs::metadata(shm) {
        Ok(m) if m.dev() != here => {
            let elsewhere = tempfile::Builder::new()
                .prefix("gorae-pool-")
                .tempdir_in(shm)
                .unwrap();
            s.pool = elsewhere.path().join("pool");
            s.ok(&["pull", "-q", "redis"]);
            assert_eq!(pool_entries(&s.pool), Vec::<String>::new());
            assert!(own_layer_dirs(&s.root()) >= 3);
            let r = s.docker(&["run", "--rm", "redis", "redis-server", "--version"]);
            assert!(r.stdout.starts_with("Redis server"), "{}", r.stderr);
        }
        _ => common::skip("no other file system at /dev/shm to put a pool on"),
    }
}
